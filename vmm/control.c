/* control.c: the control socket of a VM in create mode (one request line per connection). */
#include "vmm/control.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/err.h"
#include "common/fdio.h"
#include "common/log.h"

/* Open connections at a time; a new one beyond that drops the oldest. */
#define MAX_CONNS 8

struct conn {
	struct control_server *srv;
	int fd;
	uint64_t seq; /* accept order, to find the oldest */
	size_t len;
	char buf[CONTROL_LINE_MAX];
};

struct control_server {
	struct event_loop *loop;
	int listen_fd;
	const struct control_ops *ops;
	void *opaque;
	uint64_t seq;
	struct conn *conns[MAX_CONNS];
	/*
	 * The reserve: /dev/null, opened while descriptors are plenty. When
	 * accept() fails for lack of descriptors (a guest made virtio-fs hold
	 * them all), it is closed to take one client in its place, and the
	 * listener is left unwatched (level-triggered, it would spin) until a
	 * connection closes and the reserve is opened again.
	 */
	int reserve_fd;
	bool paused;
};

static struct log_ratelimit accept_log = LOG_RATELIMIT_INIT;

static int open_reserve(void)
{
	return open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static void set_paused(struct control_server *s, bool paused)
{
	int r;

	if (s->paused == paused)
		return;
	r = event_mod(s->loop, s->listen_fd, paused ? 0 : EPOLLIN);
	if (r < 0)
		log_ratelimited(&accept_log, LOG_WARN, "control: cannot %s the listener: %s",
				paused ? "pause" : "resume", strerror(-r));
	else
		s->paused = paused;
}

/* --- the listening socket ------------------------------------------------------ */

int control_check_listener(int fd, char *err, size_t errlen)
{
	int domain = 0, type = 0, listening = 0, fl;
	socklen_t sl = sizeof(int);
	struct stat st;

	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -errno;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "not a socket");
		return -ENOTSOCK;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &sl) < 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &(socklen_t){sizeof(int)}) < 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &(socklen_t){sizeof(int)}) < 0) {
		snprintf(err, errlen, "getsockopt: %s", strerror(errno));
		return -errno;
	}
	if (domain != AF_UNIX || type != SOCK_STREAM) {
		snprintf(err, errlen, "not an AF_UNIX stream socket");
		return -EPROTOTYPE;
	}
	if (!listening) {
		snprintf(err, errlen, "the socket is not listening (listen(2) it first)");
		return -EINVAL;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		snprintf(err, errlen, "fcntl: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

/* --- connections --------------------------------------------------------------- */

static void conn_close(struct conn *c)
{
	struct control_server *s = c->srv;

	for (unsigned i = 0; i < MAX_CONNS; i++)
		if (s->conns[i] == c)
			s->conns[i] = NULL;
	event_del(s->loop, c->fd);
	close(c->fd);
	free(c);
	if (s->reserve_fd < 0)
		s->reserve_fd = open_reserve();
	set_paused(s, false);
}

/* reason NULL: "ok". A fresh socket's buffer takes a short line at once; a
 * client that went away just misses its answer. */
static void reply(struct conn *c, const char *reason)
{
	char buf[CONTROL_LINE_MAX + 256];
	int n = control_reply_format(reason, buf, sizeof(buf));
	int r = n < 0 ? n : hy_write_all(c->fd, buf, (size_t)n);

	if (r < 0)
		log_debug("control: reply not delivered: %s", strerror(-r));
}

static void handle_line(struct conn *c, size_t len)
{
	struct control_server *s = c->srv;
	struct control_request req;
	char err[256] = "";
	int r;

	if (control_request_parse(c->buf, len, &req, err, sizeof(err)) < 0) {
		reply(c, err);
		return;
	}
	if (req.op == CONTROL_START)
		r = s->ops->start(s->opaque, err, sizeof(err));
	else
		r = s->ops->kill(s->opaque, req.sig, req.all, err, sizeof(err));
	if (r < 0)
		reply(c, err[0] ? err : "failed");
	else
		reply(c, NULL);
}

static void conn_ready(void *opaque, uint32_t events)
{
	struct conn *c = opaque;
	char *nl;
	ssize_t n;

	n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		conn_close(c);
		return;
	}
	c->len += (size_t)n;
	nl = memchr(c->buf, '\n', c->len);
	if (nl) {
		handle_line(c, (size_t)(nl - c->buf));
	} else if (n == 0) {
		/* The client shut its side down after a line without "\n". */
		if (c->len > 0)
			handle_line(c, c->len);
	} else if (c->len == sizeof(c->buf)) {
		char msg[64];

		snprintf(msg, sizeof(msg), "request longer than %d bytes", CONTROL_LINE_MAX - 1);
		reply(c, msg);
	} else {
		return; /* the rest of the line is still on its way */
	}
	/* Unread input would make the close a reset, which can cost the
	 * client the reply: take what already came (a bounded amount). */
	for (int i = 0; i < 8 && read(c->fd, c->buf, sizeof(c->buf)) > 0; i++)
		;
	conn_close(c);
}

static struct conn *add_conn(struct control_server *s, int fd)
{
	struct conn *c = calloc(1, sizeof(*c));
	unsigned slot = 0;
	int r;

	if (!c) {
		log_warn("control: out of memory, connection dropped");
		close(fd);
		return NULL;
	}
	*c = (struct conn){.srv = s, .fd = fd, .seq = s->seq++};
	for (unsigned i = 0; i < MAX_CONNS; i++) {
		if (!s->conns[i]) {
			slot = i;
			break;
		}
		if (s->conns[i]->seq < s->conns[slot]->seq)
			slot = i;
	}
	if (s->conns[slot]) {
		log_debug("control: %d connections open, dropping the oldest", MAX_CONNS);
		conn_close(s->conns[slot]);
	}
	r = event_add(s->loop, fd, EPOLLIN | EPOLLRDHUP, conn_ready, c);
	if (r < 0) {
		log_warn("control: cannot watch a connection: %s", strerror(-r));
		close(fd);
		free(c);
		return NULL;
	}
	s->conns[slot] = c;
	return c;
}

static bool conns_open(const struct control_server *s)
{
	for (unsigned i = 0; i < MAX_CONNS; i++)
		if (s->conns[i])
			return true;
	return false;
}

/* accept() failed with EMFILE or ENFILE: serve one client on the reserve. */
static void accept_on_reserve(struct control_server *s, int err)
{
	struct conn *c = NULL;
	int fd;

	if (s->reserve_fd < 0)
		s->reserve_fd = open_reserve(); /* a descriptor may have come free */
	if (s->reserve_fd >= 0) {
		close(s->reserve_fd);
		s->reserve_fd = -1;
		fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0)
			c = add_conn(s, fd);
		if (!c)
			s->reserve_fd = open_reserve();
	}
	log_ratelimited(&accept_log, LOG_WARN, "control: accept: %s%s", strerror(err),
			c ? "; a client served on the reserve descriptor" : "");
	/* Until a connection closes, accepting would fail again. Without one
	 * open, nothing would resume the listener: keep it watched. */
	if (conns_open(s))
		set_paused(s, true);
}

static void accept_ready(void *opaque, uint32_t events)
{
	struct control_server *s = opaque;

	for (;;) {
		int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0) {
			add_conn(s, fd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno == EMFILE || errno == ENFILE) {
			accept_on_reserve(s, errno);
			return;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			log_warn("control: accept: %m");
		return;
	}
}

struct control_server *control_server_new(struct event_loop *loop, int listen_fd,
					  const struct control_ops *ops, void *opaque, char *err,
					  size_t errlen)
{
	struct control_server *s = calloc(1, sizeof(*s));
	int r;

	if (!s) {
		hy_err(err, errlen, -ENOMEM, "control socket: out of memory");
		return NULL;
	}
	*s = (struct control_server){
	    .loop = loop, .listen_fd = listen_fd, .ops = ops, .opaque = opaque};
	s->reserve_fd = open_reserve();
	if (s->reserve_fd < 0) {
		hy_err(err, errlen, -errno, "control socket: cannot open /dev/null: %m");
		free(s);
		return NULL;
	}
	r = event_add(loop, listen_fd, EPOLLIN, accept_ready, s);
	if (r < 0) {
		hy_err(err, errlen, r, "cannot watch the control socket: %s", strerror(-r));
		close(s->reserve_fd);
		free(s);
		return NULL;
	}
	return s;
}

void control_server_free(struct control_server *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < MAX_CONNS; i++)
		if (s->conns[i])
			conn_close(s->conns[i]);
	event_del(s->loop, s->listen_fd);
	if (s->reserve_fd >= 0)
		close(s->reserve_fd);
	free(s);
}
