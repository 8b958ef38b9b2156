/* proxy.c: the host side of an exec'd process (proxy.h). */
#include "runtime/proxy.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/agent_proto.h"
#include "runtime/agent.h"
#include "runtime/runtime.h"

/* A full stdin frame, with room behind it for signal and window-size frames. */
#define PROXY_OUTBUF (HY_AGENT_HDR_LEN + HY_AGENT_FRAME_MAX + 4096)

/* A frame queued for the agent connection (sent as it becomes writable). */
static void queue_frame(struct proxy *p, enum hy_agent_frame type, const void *data, size_t len)
{
	if (p->out_len + HY_AGENT_HDR_LEN + len > PROXY_OUTBUF)
		return; /* only small frames queue behind stdin's; there is room for them */
	hy_agent_hdr_encode((uint8_t *)p->outbuf + p->out_len, type, (uint32_t)len);
	if (len)
		memcpy(p->outbuf + p->out_len + HY_AGENT_HDR_LEN, data, len);
	p->out_len += HY_AGENT_HDR_LEN + len;
}

static void send_winsize(struct proxy *p)
{
	struct winsize ws;
	uint8_t b[4];

	if (p->term < 0 || ioctl(p->term, TIOCGWINSZ, &ws) < 0 || !ws.ws_row)
		return;
	b[0] = (uint8_t)ws.ws_row;
	b[1] = (uint8_t)(ws.ws_row >> 8);
	b[2] = (uint8_t)ws.ws_col;
	b[3] = (uint8_t)(ws.ws_col >> 8);
	queue_frame(p, HY_AGENT_WINSIZE, b, 4);
}

/* Write what is queued, as far as the connection takes it now. */
static int flush_out(struct proxy *p)
{
	while (p->out_off < p->out_len) {
		ssize_t n = send(p->conn, p->outbuf + p->out_off, p->out_len - p->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return -1;
		p->out_off += (size_t)n;
	}
	p->out_off = p->out_len = 0;
	return 0;
}

static int write_all(int fd, const char *b, size_t len)
{
	while (len) {
		ssize_t n = write(fd, b, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd pf = {.fd = fd, .events = POLLOUT};

			poll(&pf, 1, -1);
			continue;
		}
		if (n <= 0)
			return -1;
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

void proxy_restore_term(struct proxy *p)
{
	if (p->raw)
		tcsetattr(p->term, TCSANOW, &p->saved);
	p->raw = false;
}

static int relay(struct proxy *p)
{
	bool out_ok = true, err_ok = true;
	char e[256];

	send_winsize(p);
	for (;;) {
		struct pollfd pl[3] = {
		    {.fd = p->conn, .events = POLLIN | (p->out_len ? POLLOUT : 0)},
		    {.fd = p->sfd, .events = POLLIN},
		    {.fd = p->in_open && !p->out_len ? p->in : -1, .events = POLLIN},
		};
		enum hy_agent_frame type;
		uint32_t len;

		if (poll(pl, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			rt_error("exec: poll: %s", strerror(errno));
			return 255;
		}
		if (pl[1].revents) {
			struct signalfd_siginfo si;

			while (read(p->sfd, &si, sizeof(si)) == sizeof(si)) {
				uint8_t b[4];

				if (si.ssi_signo == SIGWINCH) {
					send_winsize(p);
					continue;
				}
				hy_agent_put32(b, si.ssi_signo);
				queue_frame(p, HY_AGENT_SIGNAL, b, 4);
			}
		}
		if (pl[2].revents && !p->out_len) {
			ssize_t n = read(p->in, p->buf, HY_AGENT_FRAME_MAX);

			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			/* EIO: a terminal whose other side is gone. */
			if (n <= 0)
				p->in_open = false;
			queue_frame(p, HY_AGENT_STDIN, p->buf, n > 0 ? (size_t)n : 0);
		}
		if (p->out_len && flush_out(p) < 0) {
			/* The guest closed its end: its frames, EXIT among them, are still
			 * to be read. Nothing more goes to it. */
			p->out_len = p->out_off = 0;
			p->in_open = false;
		}
		if (!(pl[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		if (agent_read_frame(p->conn, -1, &type, p->buf, HY_AGENT_FRAME_MAX, &len, e,
				     sizeof(e)) < 0) {
			proxy_restore_term(p);
			rt_error("exec: the connection to the guest was lost: %s", e);
			return 255;
		}
		switch (type) {
		case HY_AGENT_STDOUT:
			if (out_ok && write_all(p->out, p->buf, len) < 0)
				out_ok = false;
			break;
		case HY_AGENT_STDERR:
			if (err_ok && write_all(p->err, p->buf, len) < 0)
				err_ok = false;
			break;
		case HY_AGENT_EXIT: {
			uint32_t kind, code;

			if (len != 8)
				goto bad;
			kind = hy_agent_get32((uint8_t *)p->buf);
			code = hy_agent_get32((uint8_t *)p->buf + 4);
			proxy_restore_term(p);
			if (kind == HY_EXIT_KIND_EXITED && code <= 255)
				return (int)code;
			if (kind == HY_EXIT_KIND_SIGNALED && code >= 1 && code <= 64)
				return 128 + (int)code;
			goto bad;
		}
		default:
			goto bad;
		}
	}
bad:
	proxy_restore_term(p);
	rt_error("exec: the guest sent a malformed frame");
	return 255;
}

int proxy_run(struct proxy *p)
{
	int r;

	p->in_open = p->in >= 0;
	p->out_len = p->out_off = 0;
	p->buf = malloc(HY_AGENT_FRAME_MAX);
	p->outbuf = malloc(PROXY_OUTBUF);
	if (!p->buf || !p->outbuf) {
		proxy_restore_term(p);
		rt_error("exec: out of memory");
		r = 255;
	} else {
		r = relay(p);
	}
	free(p->buf);
	free(p->outbuf);
	p->buf = p->outbuf = NULL;
	return r;
}
