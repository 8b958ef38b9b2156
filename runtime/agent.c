/* agent.c: the runtime's end of the agent channel (agent.h). */
#include "runtime/agent.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/control_proto.h"
#include "common/err.h"
#include "common/time.h"
#include "runtime/container.h"

/* Wait for fd to be ready for `events` until the deadline (ms on hy_now_ms's
 * clock; < 0: none). 0, -ETIMEDOUT or -errno. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = events};
		int left = -1, n;

		if (deadline >= 0) {
			int64_t d = deadline - hy_now_ms();

			if (d <= 0)
				return -ETIMEDOUT;
			left = d > 60000 ? 60000 : (int)d;
		}
		n = poll(&p, 1, left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

static int read_full(int fd, void *buf, size_t len, int64_t deadline)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n;
		int r = wait_fd(fd, POLLIN, deadline);

		if (r)
			return r;
		n = read(fd, (char *)buf + off, len - off);
		if (n == 0)
			return off ? -EPROTO : -ECONNRESET;
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		off += (size_t)n;
	}
	return 0;
}

int agent_connect(const struct container *c, char *err, size_t errlen)
{
	struct sockaddr_un addr;
	int64_t deadline = hy_now_ms() + AGENT_TIMEOUT_MS;
	char line[HY_VSOCK_LINE_MAX + 1];
	size_t len = 0;
	int fd, r;

	container_socket_addr(c, HY_VSOCK_SOCKET, &addr);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return hy_err(err, errlen, -errno, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		r = -errno;
		close(fd);
		if (r == -ENOENT)
			return hy_err(err, errlen, r, "the container has no vsock socket (%s/%s)",
				      c->dir, HY_VSOCK_SOCKET);
		return hy_err(err, errlen, r, "the container's VM does not answer on %s: %s",
			      HY_VSOCK_SOCKET, strerror(-r));
	}
	len = (size_t)snprintf(line, sizeof(line), "CONNECT %u\n", HY_AGENT_PORT);
	if (write(fd, line, len) != (ssize_t)len) {
		r = -errno;
		close(fd);
		return hy_err(err, errlen, r, "the container's VM does not answer: %s",
			      strerror(-r));
	}
	/* "OK <port>\n", read a byte at a time: what follows it is the agent's. */
	len = 0;
	for (;;) {
		r = read_full(fd, line + len, 1, deadline);
		if (r == -ECONNRESET || (r == -EPROTO && len == 0)) {
			close(fd);
			return hy_err(err, errlen, -ECONNREFUSED,
				      "the guest's agent refused the connection (is hyrun-init "
				      "listening on vsock port %u?)",
				      HY_AGENT_PORT);
		}
		if (r) {
			close(fd);
			return hy_err(err, errlen, r, "waiting for the guest's agent: %s",
				      r == -ETIMEDOUT ? "no answer" : strerror(-r));
		}
		if (line[len] == '\n')
			break;
		if (++len >= HY_VSOCK_LINE_MAX) {
			close(fd);
			return hy_err(err, errlen, -EPROTO, "the VMM's vsock answer is too long");
		}
	}
	line[len] = '\0';
	if (strncmp(line, "OK ", 3) != 0) {
		close(fd);
		return hy_err(err, errlen, -EPROTO, "the VMM's vsock answer is not \"OK <port>\"");
	}
	return fd;
}

int agent_send_frame(int fd, enum hy_agent_frame type, const void *data, size_t len, char *err,
		     size_t errlen)
{
	uint8_t hdr[HY_AGENT_HDR_LEN];
	struct iovec iov[2] = {{hdr, sizeof(hdr)}, {(void *)data, len}};
	size_t total = sizeof(hdr) + len, done = 0;

	if (len > HY_AGENT_FRAME_MAX)
		return hy_err(err, errlen, -EMSGSIZE, "a frame of %zu bytes is too large", len);
	hy_agent_hdr_encode(hdr, type, (uint32_t)len);
	while (done < total) {
		struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
		ssize_t n = sendmsg(fd, &mh, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				int r = wait_fd(fd, POLLOUT, -1);

				if (r)
					return hy_err(err, errlen, r, "agent: %s", strerror(-r));
				continue;
			}
			return hy_err(err, errlen, -errno, "writing to the agent: %s",
				      strerror(errno));
		}
		done += (size_t)n;
		for (int i = 0; i < 2 && n > 0; i++) {
			size_t take = (size_t)n < iov[i].iov_len ? (size_t)n : iov[i].iov_len;

			iov[i].iov_base = (char *)iov[i].iov_base + take;
			iov[i].iov_len -= take;
			n -= (ssize_t)take;
		}
	}
	return 0;
}

int agent_read_frame(int fd, int timeout_ms, enum hy_agent_frame *type, void *buf, size_t cap,
		     uint32_t *len, char *err, size_t errlen)
{
	int64_t deadline = timeout_ms < 0 ? -1 : hy_now_ms() + timeout_ms;
	uint8_t hdr[HY_AGENT_HDR_LEN];
	int r;

	r = read_full(fd, hdr, sizeof(hdr), deadline);
	if (r == -ECONNRESET)
		return hy_err(err, errlen, r, "the agent closed the connection");
	if (r)
		return hy_err(err, errlen, r, "reading from the agent: %s",
			      r == -ETIMEDOUT ? "no answer in time"
			      : r == -EPROTO  ? "the stream ends inside a frame"
					      : strerror(-r));
	if (hy_agent_hdr_decode(hdr, type, len) || *len > cap)
		return hy_err(err, errlen, -EPROTO, "the agent sent a malformed frame header");
	r = read_full(fd, buf, *len, deadline);
	if (r)
		return hy_err(
		    err, errlen, r == -ECONNRESET ? -EPROTO : r, "reading from the agent: %s",
		    r == -ETIMEDOUT ? "no answer in time" : "the stream ends inside a frame");
	return 0;
}

int agent_call(int fd, const struct agent_request *req, struct agent_reply *rep, char *err,
	       size_t errlen)
{
	enum hy_agent_frame type;
	char *text, *buf;
	size_t len;
	uint32_t n;
	int r;

	memset(rep, 0, sizeof(*rep));
	text = agent_request_encode(req, &len, err, errlen);
	if (!text)
		return -EINVAL;
	r = agent_send_frame(fd, HY_AGENT_REQUEST, text, len, err, errlen);
	free(text);
	if (r)
		return r;
	buf = malloc(HY_AGENT_FRAME_MAX);
	if (!buf)
		return hy_err(err, errlen, -ENOMEM, "out of memory");
	r = agent_read_frame(fd, AGENT_TIMEOUT_MS, &type, buf, HY_AGENT_FRAME_MAX, &n, err, errlen);
	if (!r && type != HY_AGENT_REPLY)
		r = hy_err(err, errlen, -EPROTO, "the agent answered %s with a frame of type %d",
			   agent_op_name(req->op), (int)type);
	if (!r) {
		char why[256];

		r = agent_reply_decode(rep, buf, n, why, sizeof(why));
		if (r)
			r = hy_err(err, errlen, -EPROTO, "the agent's reply to %s: %s",
				   agent_op_name(req->op), why);
	}
	free(buf);
	return r;
}

int agent_request(const struct container *c, const struct agent_request *req,
		  struct agent_reply *rep, char *err, size_t errlen)
{
	struct agent_reply mine;
	int fd = agent_connect(c, err, errlen), r;

	if (fd < 0)
		return fd;
	if (!rep)
		rep = &mine;
	r = agent_call(fd, req, rep, err, errlen);
	close(fd);
	if (!r && !rep->ok)
		r = hy_err(err, errlen, -EIO, "%s", rep->error);
	if (r || rep == &mine) {
		agent_reply_free(rep);
		memset(rep, 0, sizeof(*rep));
	}
	return r;
}

int agent_start_or_signal(struct container *c, const struct agent_request *req, char *err,
			  size_t errlen)
{
	struct control_request creq;
	int r = agent_request(c, req, NULL, err, errlen);

	if (r != -ECONNREFUSED)
		return r;
	if (req->op == AGENT_OP_START)
		creq = (struct control_request){.op = CONTROL_START};
	else if (req->op == AGENT_OP_SIGNAL)
		creq =
		    (struct control_request){.op = CONTROL_KILL, .sig = req->sig, .all = req->all};
	else
		return r;
	return container_control(c, &creq, err, errlen);
}
