/* control_proto.h: the control protocol between the runtime and hyrun-vmm. An ABI:
 * the runtime of one version talks to the VMM it started, of the same build,
 * but both sides encode and parse it only through this module.
 *
 * Transport: the runtime creates, binds and listens on an AF_UNIX stream
 * socket (ctl.sock in the container's state directory) and hands it to
 * hyrun-vmm as --control-fd. Each connection carries one request line and
 * gets one reply line, then the VMM closes it. A line ends with "\n" and is
 * at most CONTROL_LINE_MAX bytes, the newline included.
 *
 * Requests (words separated by one space):
 *   start           release the workload (an error once it was started, or
 *                   before the guest reported it prepared)
 *   kill SIG        deliver signal SIG (1..64) to the workload
 *   kill SIG all    deliver it to every process of the container
 * Replies:
 *   ok
 *   error: TEXT     TEXT says why, for the runtime to print
 */
#ifndef HYRUN_COMMON_CONTROL_PROTO_H
#define HYRUN_COMMON_CONTROL_PROTO_H

#include <stdbool.h>
#include <stddef.h>

#define CONTROL_LINE_MAX 128
/* Largest signal number a request may carry. */
#define CONTROL_SIG_MAX 64

enum control_op {
	CONTROL_START,
	CONTROL_KILL,
};

struct control_request {
	enum control_op op;
	int sig;  /* CONTROL_KILL: 1..64 */
	bool all; /* CONTROL_KILL: every process, not only the workload */
};

/*
 * Parse one request line (`len` bytes, without its newline; a trailing "\r"
 * is accepted). Returns 0, or -EINVAL with the reason in err (e.g. "kill:
 * signal '0' is not a number from 1 to 64").
 */
int control_request_parse(const char *line, size_t len, struct control_request *req, char *err,
			  size_t errlen);
/* The request as a line with its newline, NUL-terminated, into buf (at least
 * CONTROL_LINE_MAX + 1 bytes). Returns its length, or -EINVAL for a request
 * out of range. */
int control_request_format(const struct control_request *req, char *buf, size_t len);

/* A reply line with its newline: "ok\n" when reason is NULL, else
 * "error: REASON\n" (cut to fit, newlines in REASON made spaces). Returns its
 * length. */
int control_reply_format(const char *reason, char *buf, size_t len);
/*
 * Parse a reply (`len` bytes, up to and maybe including the newline). Returns
 * 0 for "ok"; -EIO with the VMM's reason in err for "error: TEXT"; -EPROTO
 * with a description for anything else (an empty reply: the VMM closed the
 * connection without answering).
 */
int control_reply_parse(const char *reply, size_t len, char *err, size_t errlen);

#endif
