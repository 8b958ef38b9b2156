/* control.h: hyrun-vmm's control socket (--control-fd): the runtime's requests
 * to a VM in create mode.
 *
 * The runtime creates, binds and listens on an AF_UNIX stream socket and
 * passes it on. Each connection carries one request line and gets one reply
 * line, then the VMM closes it:
 *   start           release the workload (an error once it was started, or
 *                   before the guest reported it prepared)
 *   kill SIG        deliver signal SIG (1..64) to the workload
 *   kill SIG all    deliver it to every process of the container
 * The reply is "ok" or "error: TEXT". Requests are accepted on the event
 * loop's thread; a client that sends nothing holds a connection slot only
 * until MAX connections are open, when the oldest one is dropped.
 */
#ifndef HYRUN_VMM_CONTROL_H
#define HYRUN_VMM_CONTROL_H

#include <stdbool.h>
#include <stddef.h>

#include "vmm/event.h"

/* A request line is at most this long, the newline included. */
#define CONTROL_LINE_MAX 128

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
 * is accepted). Words are separated by single spaces. Returns 0, or -EINVAL
 * with the reason in err (e.g. "kill: signal '0' is not a number from 1 to
 * 64").
 */
int control_parse(const char *line, size_t len, struct control_request *req, char *err,
		  size_t errlen);

/* What the VMM does with a request: 0, or -1 with the reason in err. */
struct control_ops {
	int (*start)(void *opaque, char *err, size_t errlen);
	int (*kill)(void *opaque, int sig, bool all, char *err, size_t errlen);
};

/*
 * Check that fd is a listening AF_UNIX stream socket, then make it
 * non-blocking and close-on-exec. Returns 0, or -errno with the reason in err.
 */
int control_check_listener(int fd, char *err, size_t errlen);

struct control_server;

/* Serve listen_fd (checked with control_check_listener(); still owned by
 * the caller) on `loop`. NULL on failure, after a message. */
struct control_server *control_server_new(struct event_loop *loop, int listen_fd,
					  const struct control_ops *ops, void *opaque);
/* Stop watching and close every open connection. */
void control_server_free(struct control_server *s);

#endif
