/* agent.h: the runtime's end of the agent channel (common/agent_proto.h,
 * common/agent_msg.h): connections through the container's vsock.sock to
 * hyrun-init's agent.
 *
 * Nothing the guest sends is trusted: frames are checked with
 * hy_agent_hdr_decode() and replies decoded by agent_reply_decode().
 */
#ifndef HYRUN_RUNTIME_AGENT_H
#define HYRUN_RUNTIME_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include "common/agent_msg.h"
#include "common/agent_proto.h"

struct container;

/* How long one request-reply exchange may take before it is given up. */
#define AGENT_TIMEOUT_MS 10000

/*
 * A connection to the agent of container c: connect to <c->dir>/vsock.sock,
 * "CONNECT HY_AGENT_PORT", wait for "OK <port>". Returns the connected
 * descriptor (blocking, close-on-exec), or -errno with the reason in err
 * ("the container's VM does not answer", "the agent refused the
 * connection").
 */
int agent_connect(const struct container *c, char *err, size_t errlen);

/* One frame out: 0, or -errno with the reason in err. */
int agent_send_frame(int fd, enum hy_agent_frame type, const void *data, size_t len, char *err,
		     size_t errlen);
/*
 * One frame in, its payload into buf (cap at least HY_AGENT_FRAME_MAX).
 * timeout_ms < 0 waits for good. 0 with *type and *len, -ECONNRESET at end
 * of stream before a header, -ETIMEDOUT, -EPROTO for a malformed header or a
 * stream cut inside a frame; the reason in err.
 */
int agent_read_frame(int fd, int timeout_ms, enum hy_agent_frame *type, void *buf, size_t cap,
		     uint32_t *len, char *err, size_t errlen);

/*
 * Send req as the REQUEST frame on fd and read the REPLY (within
 * AGENT_TIMEOUT_MS). 0 with *rep decoded (rep->ok may be false: the agent's
 * refusal, in rep->error), or -errno with the reason in err for a
 * transport or protocol failure. Free *rep with agent_reply_free().
 */
int agent_call(int fd, const struct agent_request *req, struct agent_reply *rep, char *err,
	       size_t errlen);

/*
 * connect, call, close: for requests that end with their reply. Returns 0
 * only when the agent answered ok; -EIO with the agent's error text in err
 * when it refused; other -errno for the transport. *rep (may be NULL) is
 * filled on 0; free it with agent_reply_free().
 */
int agent_request(const struct container *c, const struct agent_request *req,
		  struct agent_reply *rep, char *err, size_t errlen);

/*
 * "start" or "signal" for container c: through the agent; when the guest has
 * none listening (a guest kernel without vsock: the connection is refused),
 * through the VMM's control socket (control_proto.h), which passes it on
 * over the console's control port. 0, or -errno with the reason in err.
 */
int agent_start_or_signal(struct container *c, const struct agent_request *req, char *err,
			  size_t errlen);

#endif
