/* agent.c: the agent in PID 1: the listening socket, connections, frames, requests, exec relay, ps.
 *
 * Everything here runs inside PID 1's poll loop (supervise.c) and must not
 * block: each descriptor is non-blocking, a connection has one frame of
 * input and one frame of output buffered, and what fills a buffer is read
 * only while there is room for it (a process whose stdin pipe is full stops
 * the reading of its connection; a host that does not read stops the
 * reading of the process's output, whose pipe then fills and stops the
 * process). A connection is freed at the start of the round after it died,
 * so nothing of a round points at freed memory.
 */
#include "rootfs/init/agent.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <linux/vm_sockets.h>

#include "common/agent_proto.h"
#include "common/err.h"
#include "rootfs/init/init.h"

#define HDR HY_AGENT_HDR_LEN
#define BUF_CAP (HDR + HY_AGENT_FRAME_MAX)
/* Frames taken from one connection per round, so that one busy host does
 * not starve the others; output read per round and stream likewise. */
#define FRAMES_PER_ROUND 16
#define READS_PER_ROUND 4
#define OUT_CHUNK (16u << 10)
#define LISTEN_BACKLOG AGENT_MAX_CONNS
/* ps: a command line cut to this when the full list does not fit in a frame. */
#define PS_SHORT_CMD 32

enum conn_state {
	CONN_REQUEST,	 /* reading the request */
	CONN_START,	 /* the workload is released; the reply waits for its execve() */
	CONN_EXEC_START, /* the exec helper runs; its outcome comes on its channel */
	CONN_EXEC_RUN,	 /* replied; stdio relayed until EXIT */
	CONN_EVENTS,	 /* replied; an EVENT for each event until the host closes */
	CONN_CLOSING,	 /* what is queued goes out, then the connection closes */
};

enum role { ROLE_LISTEN, ROLE_OOM, ROLE_SOCK, ROLE_CHAN, ROLE_STDIN, ROLE_OUT, ROLE_ERR, NR_ROLES };

struct conn {
	int fd;
	enum conn_state state;
	bool dead;	     /* closed; freed at the next round */
	short rev[NR_ROLES]; /* this round's revents by role */

	/* The frame being read (header, then payload); a STDIN frame's payload
	 * stays here while it is written to the process (stdin_pending). */
	uint8_t *in;
	size_t in_len;
	bool stdin_pending;
	size_t stdin_off;

	/* Frames for the host: out[out_off..out_len). */
	uint8_t *out;
	size_t out_off, out_len;

	/* exec */
	struct exec_proc p; /* p.pid 0: none */
	int master;	    /* terminal: the pty's master once the helper sent it */
	bool exited;	    /* reaped, with status */
	int status;
	bool out_open[2];   /* stdout, stderr: still relayed */
	uint64_t budget[2]; /* after the exit: what was in them then */
	bool stdin_gone;    /* closed, or the process stopped reading: STDIN dropped */
	bool have_winsize;
	struct winsize ws;
	bool failed;
	int fail_status;
	char fail_msg[AGENT_ERROR_MAX + 1];

	/* events */
	uint64_t oom_pending;
};

static struct {
	int listen;
	int oom; /* the cgroup's OOM watch, -1 without */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)]; /* self-test socket */
	struct conn *conns[AGENT_MAX_CONNS];
	size_t nr;
	struct {
		struct conn *c;
		enum role role;
	} slots[AGENT_POLL_MAX];
} ag = {.listen = -1, .oom = -1};

/* --- listening ---------------------------------------------------------------------- */

static int listen_unix(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		init_msg("hyrun-init: agent: socket path too long: %s", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	snprintf(ag.path, sizeof(ag.path), "%s", path);
	return fd;
}

static int listen_vsock(void)
{
	struct sockaddr_vm sa = {
	    .svm_family = AF_VSOCK,
	    .svm_cid = VMADDR_CID_ANY,
	    .svm_port = HY_AGENT_PORT,
	};
	int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0 && (errno == EAFNOSUPPORT || errno == ENODEV)) {
		init_dbg("hyrun-init: agent: no vsock in this guest (%s); running without",
			 strerror(errno));
		return -2;
	}
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

void agent_listen(void)
{
	int fd;

	if (init.test) {
		if (!init.agent_socket)
			return;
		fd = listen_unix(init.agent_socket);
	} else {
		fd = listen_vsock();
		if (fd == -2)
			return;
	}
	if (fd < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
		/* The workload runs all the same; only exec, ps and the rest are lost. */
		init_msg("hyrun-init: agent: cannot listen: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	ag.listen = fd;
	ag.oom = cgroup_events_fd(NULL, 0);
	init_dbg("hyrun-init: agent listening on %s", init.test ? ag.path : "vsock port 1024");
}

/* --- connections ---------------------------------------------------------------------- */

static int in_fd(const struct conn *c)
{
	return c->p.tty ? c->master : c->p.in;
}

static int out_fd(const struct conn *c, int i)
{
	if (c->p.tty)
		return i == 0 ? c->master : -1;
	return i == 0 ? c->p.out : c->p.err;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void conn_free(struct conn *c)
{
	close_fd(&c->fd);
	close_fd(&c->p.chan);
	close_fd(&c->p.in);
	close_fd(&c->p.out);
	close_fd(&c->p.err);
	close_fd(&c->master);
	free(c->in);
	free(c->out);
	free(c);
}

static void kill_proc(struct conn *c, int sig)
{
	if (c->p.pid <= 0 || c->exited)
		return;
	/* With a terminal the process leads a session and group of its own. */
	if (c->p.tty)
		kill(-c->p.pid, sig);
	kill(c->p.pid, sig);
}

/* The host is gone (or broke the protocol): an exec'd process goes with it. */
static void conn_drop(struct conn *c, const char *why)
{
	if (c->dead)
		return;
	init_dbg("hyrun-init: agent: connection closed: %s", why);
	kill_proc(c, SIGKILL);
	c->dead = true;
}

static size_t out_room(struct conn *c)
{
	if (c->out_off) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	return BUF_CAP - c->out_len;
}

static bool queue(struct conn *c, enum hy_agent_frame type, const void *data, size_t len)
{
	if (out_room(c) < HDR + len)
		return false;
	hy_agent_hdr_encode(c->out + c->out_len, type, (uint32_t)len);
	if (len)
		memcpy(c->out + c->out_len + HDR, data, len);
	c->out_len += HDR + len;
	return true;
}

static void flush(struct conn *c)
{
	while (!c->dead && c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0)
			c->out_off += (size_t)n;
		else if (n < 0 && errno == EINTR)
			continue;
		else if (n < 0 && errno == EAGAIN)
			return;
		else
			conn_drop(c, n < 0 ? strerror(errno) : "short send");
	}
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
}

/* --- replies -------------------------------------------------------------------------- */

static void reply(struct conn *c, const struct agent_reply *r)
{
	char err[256];
	size_t len;
	char *text = agent_reply_encode(r, &len, err, sizeof(err));

	if (!text) {
		/* Only what the agent itself filled in can fail: say so instead. */
		struct agent_reply e = {.ok = false};

		snprintf(e.error, sizeof(e.error), "reply: %s", err);
		agent_text_sanitize(e.error);
		text = agent_reply_encode(&e, &len, err, sizeof(err));
		if (!text) {
			conn_drop(c, "cannot encode a reply");
			return;
		}
	}
	/* A reply is the first frame on its connection, so it always fits. */
	if (!queue(c, HY_AGENT_REPLY, text, len))
		conn_drop(c, "reply does not fit");
	free(text);
}

static void reply_ok(struct conn *c)
{
	struct agent_reply r = {.ok = true};

	reply(c, &r);
}

/* status < 0: none. */
static void __attribute__((format(printf, 3, 4)))
reply_error(struct conn *c, int status, const char *fmt, ...)
{
	struct agent_reply r = {.ok = false, .has_status = status >= 0, .status = status};
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r.error, sizeof(r.error), fmt, ap);
	va_end(ap);
	if (!r.error[0])
		snprintf(r.error, sizeof(r.error), "failed");
	agent_text_sanitize(r.error);
	reply(c, &r);
}

/* --- ps --------------------------------------------------------------------------------- */

static bool exec_helper(int pid)
{
	for (size_t i = 0; i < ag.nr; i++)
		if (ag.conns[i]->state == CONN_EXEC_START && ag.conns[i]->p.pid == pid)
			return true;
	return false;
}

static void reply_ps(struct conn *c)
{
	struct agent_reply r = {.ok = true, .has_processes = true};
	char err[256];
	ssize_t nr;
	size_t len;
	char *text;

	r.processes = calloc(AGENT_PS_MAX, sizeof(*r.processes));
	if (!r.processes) {
		reply_error(c, -1, "ps: out of memory");
		return;
	}
	nr = ps_collect(r.processes, exec_helper);
	if (nr < 0) {
		reply_error(c, -1, "ps: /proc: %s", strerror(errno));
		free(r.processes);
		return;
	}
	r.nr_processes = (size_t)nr;
	text = agent_reply_encode(&r, &len, err, sizeof(err));
	if (!text && errno == E2BIG) {
		/* Shorter command lines, then give up rather than leave processes out. */
		for (size_t i = 0; i < r.nr_processes; i++) {
			r.processes[i].cmd[PS_SHORT_CMD] = 0;
			agent_text_sanitize(r.processes[i].cmd);
		}
		text = agent_reply_encode(&r, &len, err, sizeof(err));
	}
	if (text) {
		if (!queue(c, HY_AGENT_REPLY, text, len))
			conn_drop(c, "reply does not fit");
	} else if (errno == E2BIG) {
		reply_error(c, -1, "ps: %zu processes do not fit in one reply", r.nr_processes);
	} else {
		reply_error(c, -1, "ps: %s", err);
	}
	free(text);
	free(r.processes);
}

/* --- exec ------------------------------------------------------------------------------- */

static void apply_winsize(struct conn *c)
{
	if (c->master >= 0 && c->have_winsize && ioctl(c->master, TIOCSWINSZ, &c->ws) < 0)
		init_dbg("hyrun-init: agent: window size: %s", strerror(errno));
}

static void start_exec(struct conn *c, const struct agent_request *req)
{
	pid_t workload = supervise_workload_pid();
	char err[AGENT_ERROR_MAX];

	if (!workload) {
		reply_error(c, HY_INIT_STATUS_SETUP,
			    "exec: the container's process is not running (not set up yet, or "
			    "ended)");
		return;
	}
	if (exec_spawn(req->config, req->config_len, workload, &c->p, err, sizeof(err)) < 0) {
		reply_error(c, HY_INIT_STATUS_SETUP, "%s", err);
		return;
	}
	c->state = CONN_EXEC_START;
	init_dbg("hyrun-init: agent: exec helper %d", (int)c->p.pid);
}

/* The process's outputs, from the end of the helper on: what they hold
 * when it has ended is all that is still relayed. A pty's master may hold
 * more in the kernel's flip buffer than it says; its read flushes that. */
static void set_budgets(struct conn *c)
{
	for (int i = 0; i < 2; i++) {
		int fd = out_fd(c, i), avail = 0;

		if (!c->out_open[i] || fd < 0)
			continue;
		if (ioctl(fd, FIONREAD, &avail) < 0 || avail < 0)
			avail = 0;
		c->budget[i] = (uint64_t)avail + (c->p.tty ? HY_AGENT_FRAME_MAX : 0);
	}
}

/*
 * The helper's channel has closed: it exec'd, or it failed and said why. The
 * reply waits for this as START's does (start_settle), without a deadline
 * of its own: a host that gives up on it hangs up, which kills the helper
 * (conn_drop), so no process runs that the host was not told of.
 */
static void exec_settled(struct conn *c)
{
	struct agent_reply r = {.ok = true, .has_pid = true, .pid = c->p.pid};

	close_fd(&c->p.chan);
	if (c->failed) {
		reply_error(c, c->fail_status, "%s", c->fail_msg[0] ? c->fail_msg : "exec failed");
		c->state = CONN_CLOSING;
		return;
	}
	reply(c, &r);
	c->state = CONN_EXEC_RUN;
	c->out_open[0] = out_fd(c, 0) >= 0;
	c->out_open[1] = out_fd(c, 1) >= 0;
	if (c->exited)
		set_budgets(c);
	init_dbg("hyrun-init: agent: exec'd %d", (int)c->p.pid);
}

static void read_chan(struct conn *c)
{
	struct exec_failure f;
	int fd;
	ssize_t n;

	for (;;) {
		n = child_chan_recv(c->p.chan, &f, sizeof(f), MSG_DONTWAIT, &fd);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			exec_settled(c);
			return;
		}
		if ((size_t)n >= sizeof(f.m) && f.m.kind == CHILD_TTY && fd >= 0 && c->p.tty &&
		    c->master < 0) {
			int fl = fcntl(fd, F_GETFL);

			if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
				init_msg("hyrun-init: agent: non-blocking master: %s",
					 strerror(errno));
			c->master = fd;
			apply_winsize(c);
		} else {
			if (fd >= 0)
				close(fd);
			if ((size_t)n > sizeof(f.m) && f.m.kind == CHILD_FAILED) {
				size_t tlen = (size_t)n - sizeof(f.m);

				c->failed = true;
				c->fail_status = f.m.status > 0 && f.m.status < 256
						     ? f.m.status
						     : HY_INIT_STATUS_SETUP;
				memcpy(c->fail_msg, f.text, tlen < sizeof(f.text) ? tlen : 0);
				c->fail_msg[sizeof(c->fail_msg) - 1] = 0;
				agent_text_sanitize(c->fail_msg);
			}
		}
	}
}

/* A STDIN frame's payload (in[stdin_off..in_len)) into the process. */
static void write_stdin(struct conn *c)
{
	int fd = in_fd(c);

	if (fd < 0 && c->p.tty && !c->stdin_gone && c->state == CONN_EXEC_START)
		return; /* the master comes with the helper's CHILD_TTY */
	while (fd >= 0 && !c->stdin_gone && c->stdin_off < c->in_len) {
		ssize_t n = write(fd, c->in + c->stdin_off, c->in_len - c->stdin_off);

		if (n > 0) {
			c->stdin_off += (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && errno == EAGAIN) {
			return;
		} else {
			/* The process closed its stdin (EPIPE): what comes is dropped. */
			init_dbg("hyrun-init: agent: stdin of %d: %s", (int)c->p.pid,
				 n < 0 ? strerror(errno) : "short write");
			c->stdin_gone = true;
			if (!c->p.tty)
				close_fd(&c->p.in);
		}
	}
	c->stdin_pending = false;
	c->in_len = 0;
}

/* Returns with in_len 0 unless the payload is still being written. */
static void stdin_frame(struct conn *c, uint32_t len)
{
	if (c->stdin_gone) {
		c->in_len = 0;
		return;
	}
	if (len == 0 && !c->p.tty) {
		close_fd(&c->p.in);
		c->stdin_gone = true;
		c->in_len = 0;
		return;
	}
	if (len == 0) {
		/* A terminal has no end of input but its EOF character (^D), which
		 * ends a read in canonical mode as the end of a pipe does. */
		struct termios t;

		c->in[HDR] = c->master >= 0 && tcgetattr(c->master, &t) == 0 ? t.c_cc[VEOF] : 4;
		c->in_len = HDR + 1;
	}
	c->stdin_pending = true;
	c->stdin_off = HDR;
	write_stdin(c);
}

static void exec_frame(struct conn *c, enum hy_agent_frame type, const uint8_t *data, uint32_t len)
{
	uint32_t sig;

	switch (type) {
	case HY_AGENT_STDIN:
		stdin_frame(c, len);
		return;
	case HY_AGENT_WINSIZE:
		if (len != 4) {
			conn_drop(c, "malformed WINSIZE");
			return;
		}
		/* Without a terminal there is nothing to size: ignored. */
		c->ws = (struct winsize){.ws_row = (unsigned short)(data[0] | data[1] << 8),
					 .ws_col = (unsigned short)(data[2] | data[3] << 8)};
		c->have_winsize = c->p.tty;
		apply_winsize(c);
		break;
	case HY_AGENT_SIGNAL:
		sig = len == 4 ? hy_agent_get32(data) : 0;
		if (sig < 1 || sig > HY_CTL_SIG_MAX) {
			conn_drop(c, "malformed SIGNAL");
			return;
		}
		kill_proc(c, (int)sig);
		break;
	default:
		conn_drop(c, "a frame not allowed in an exec");
		return;
	}
	c->in_len = 0;
}

/* --- requests --------------------------------------------------------------------------- */

static void handle_request(struct conn *c, const uint8_t *data, uint32_t len)
{
	struct agent_reply r = {.ok = true};
	struct agent_request req;
	char err[AGENT_ERROR_MAX - 32];

	c->state = CONN_CLOSING;
	if (agent_request_decode(&req, (const char *)data, len, err, sizeof(err)) < 0) {
		init_dbg("hyrun-init: agent: bad request: %s", err);
		reply_error(c, -1, "%s", err);
		return;
	}
	init_dbg("hyrun-init: agent: %s", agent_op_name(req.op));
	switch (req.op) {
	case AGENT_OP_START:
		/* "Started" is the runtime-spec's "the user-specified program was
		 * executed": the host runs poststart hooks on this reply, so it
		 * comes once the workload is exec'd (start_settle). */
		if (supervise_start(req.config, req.config_len, err, sizeof(err)) < 0)
			reply_error(c, -1, "start: %s", err);
		else
			c->state = CONN_START;
		break;
	case AGENT_OP_SIGNAL:
		supervise_signal(req.sig, req.all);
		reply_ok(c);
		break;
	case AGENT_OP_EXEC:
		start_exec(c, &req);
		break;
	case AGENT_OP_PS:
		reply_ps(c);
		break;
	case AGENT_OP_STATS:
		r.has_stats = true;
		if (cgroup_stats(&r.stats, err, sizeof(err)) < 0)
			reply_error(c, -1, "%s", err);
		else
			reply(c, &r);
		break;
	case AGENT_OP_UPDATE:
		if (cgroup_update(&req.res, err, sizeof(err)) < 0)
			reply_error(c, -1, "%s", err);
		else
			reply_ok(c);
		break;
	case AGENT_OP_EVENTS:
		if (cgroup_events_fd(err, sizeof(err)) < 0) {
			reply_error(c, -1, "%s", err);
		} else {
			reply_ok(c);
			c->state = CONN_EVENTS;
		}
		break;
	}
	agent_request_free(&req);
}

/* --- frames in -------------------------------------------------------------------------- */

static bool wants_read(const struct conn *c)
{
	return !c->dead && !c->stdin_pending && c->state != CONN_CLOSING;
}

static void handle_frame(struct conn *c, enum hy_agent_frame type, uint32_t len)
{
	const uint8_t *data = c->in + HDR;

	switch (c->state) {
	case CONN_REQUEST:
		if (type != HY_AGENT_REQUEST) {
			conn_drop(c, "the first frame is not a REQUEST");
			return;
		}
		handle_request(c, data, len);
		c->in_len = 0;
		return;
	case CONN_EXEC_START:
	case CONN_EXEC_RUN:
		exec_frame(c, type, data, len);
		return;
	default:
		conn_drop(c, "a frame where none is expected");
		return;
	}
}

static void read_frames(struct conn *c)
{
	for (int frames = 0; frames < FRAMES_PER_ROUND && wants_read(c);) {
		enum hy_agent_frame type = 0;
		uint32_t len = 0;
		size_t need = HDR;
		ssize_t n;

		if (c->in_len >= HDR) {
			/* checked when it came in */
			hy_agent_hdr_decode(c->in, &type, &len);
			need = HDR + len;
		}
		if (c->in_len < need) {
			n = read(c->fd, c->in + c->in_len, need - c->in_len);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno == EAGAIN)
				return;
			if (n <= 0) {
				conn_drop(c, n < 0 ? strerror(errno) : "end of stream");
				return;
			}
			c->in_len += (size_t)n;
			if (c->in_len < HDR)
				continue;
			if (hy_agent_hdr_decode(c->in, &type, &len) < 0) {
				conn_drop(c, "malformed frame header");
				return;
			}
			if (c->in_len < HDR + len)
				continue;
		}
		frames++;
		handle_frame(c, type, len);
	}
}

/* --- start --------------------------------------------------------------------------- */

/* The reply to a START, once supervise.c knows whether the workload exec'd. */
static void start_settle(struct conn *c)
{
	char err[AGENT_ERROR_MAX - 32];
	int r = supervise_start_result(err, sizeof(err));

	if (r > 0)
		return;
	if (r < 0)
		reply_error(c, -1, "start: %s", err);
	else
		reply_ok(c);
	c->state = CONN_CLOSING;
}

/* --- one connection's round ------------------------------------------------------------ */

/* Output of the process into STDOUT/STDERR frames, as far as there is room. */
static void pump_output(struct conn *c, int i)
{
	int fd = out_fd(c, i);

	if (fd < 0)
		c->out_open[i] = false;
	for (int k = 0; k < READS_PER_ROUND && c->out_open[i]; k++) {
		size_t room = out_room(c), max;
		ssize_t n;

		if (room < HDR + 1)
			return;
		max = room - HDR < OUT_CHUNK ? room - HDR : OUT_CHUNK;
		if (c->exited) {
			if (c->budget[i] == 0) {
				c->out_open[i] = false;
				return;
			}
			if (max > c->budget[i])
				max = c->budget[i];
		}
		n = read(fd, c->out + c->out_len + HDR, max);
		if (n > 0) {
			hy_agent_hdr_encode(c->out + c->out_len,
					    i ? HY_AGENT_STDERR : HY_AGENT_STDOUT, (uint32_t)n);
			c->out_len += HDR + (size_t)n;
			if (c->exited)
				c->budget[i] -= (uint64_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && errno == EAGAIN) {
			/* Once the process has ended, an empty pipe is its end: a
			 * descendant may hold it open for good. */
			if (c->exited)
				c->out_open[i] = false;
			return;
		} else {
			/* End of file (every writer gone), or EIO: a master whose
			 * slave nobody has open any more. */
			c->out_open[i] = false;
		}
	}
}

static void maybe_exit(struct conn *c)
{
	uint8_t m[8];

	if (c->state != CONN_EXEC_RUN || !c->exited || c->out_open[0] || c->out_open[1])
		return;
	if (WIFSIGNALED(c->status)) {
		hy_agent_put32(m, HY_EXIT_KIND_SIGNALED);
		hy_agent_put32(m + 4, (uint32_t)WTERMSIG(c->status));
	} else {
		hy_agent_put32(m, HY_EXIT_KIND_EXITED);
		hy_agent_put32(m + 4, (uint32_t)WEXITSTATUS(c->status));
	}
	if (queue(c, HY_AGENT_EXIT, m, sizeof(m))) {
		init_dbg("hyrun-init: agent: %d ended (status 0x%x)", (int)c->p.pid, c->status);
		c->state = CONN_CLOSING;
	}
}

static void conn_run(struct conn *c)
{
	static const char oom[] = "{\"type\":\"oom\"}";

	if (c->dead)
		return;
	if (c->state == CONN_START)
		start_settle(c);
	if (c->p.chan >= 0 && (c->rev[ROLE_CHAN] || c->exited))
		read_chan(c);
	if (c->rev[ROLE_SOCK] & POLLOUT)
		flush(c);
	if (c->stdin_pending)
		write_stdin(c);
	if (c->state == CONN_EXEC_RUN && !c->exited)
		for (int i = 0; i < 2; i++)
			if (c->rev[ROLE_OUT + i])
				pump_output(c, i);
	if (c->state == CONN_EVENTS)
		while (c->oom_pending && queue(c, HY_AGENT_EVENT, oom, sizeof(oom) - 1))
			c->oom_pending--;
	if (c->rev[ROLE_SOCK] & (POLLIN | POLLHUP | POLLERR)) {
		if (wants_read(c))
			read_frames(c);
		else if (c->rev[ROLE_SOCK] & (POLLHUP | POLLERR))
			conn_drop(c, "hung up");
	}
	/*
	 * Once the process has ended its outputs are no longer polled (a
	 * descendant may keep them open and silent): what is left in them goes
	 * out as fast as the host takes it. Each pass sends all, or stops on a
	 * host that takes no more (POLLOUT brings it back), and each pump
	 * makes progress or ends its output (budget, empty, end of file).
	 */
	while (!c->dead && c->state == CONN_EXEC_RUN && c->exited) {
		pump_output(c, 0);
		pump_output(c, 1);
		maybe_exit(c);
		flush(c);
		if (c->out_len > c->out_off)
			break;
	}
	maybe_exit(c);
	flush(c);
	if (!c->dead && c->state == CONN_CLOSING && c->out_len == 0)
		c->dead = true;
	memset(c->rev, 0, sizeof(c->rev));
}

/* --- the poll loop's part --------------------------------------------------------------- */

static void accept_conns(void)
{
	while (ag.nr < AGENT_MAX_CONNS) {
		int fd = accept4(ag.listen, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c;

		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				init_dbg("hyrun-init: agent: accept: %s", strerror(errno));
			return;
		}
		c = calloc(1, sizeof(*c));
		if (c) {
			c->in = malloc(BUF_CAP);
			c->out = malloc(BUF_CAP);
		}
		if (!c || !c->in || !c->out) {
			init_msg("hyrun-init: agent: out of memory for a connection");
			if (c) {
				free(c->in);
				free(c->out);
				free(c);
			}
			close(fd);
			continue;
		}
		c->fd = fd;
		c->p = (struct exec_proc){.chan = -1, .in = -1, .out = -1, .err = -1};
		c->master = -1;
		ag.conns[ag.nr++] = c;
	}
}

static void add(struct pollfd *pl, int *n, int fd, short events, struct conn *c, enum role role)
{
	pl[*n] = (struct pollfd){.fd = fd, .events = events};
	ag.slots[*n].c = c;
	ag.slots[*n].role = role;
	(*n)++;
}

int agent_poll_fill(struct pollfd *pl, int room)
{
	size_t kept = 0;
	int n = 0;

	if (room < AGENT_POLL_MAX)
		init_die("hyrun-init: agent: poll array too small");
	for (size_t i = 0; i < ag.nr; i++) {
		if (ag.conns[i]->dead)
			conn_free(ag.conns[i]);
		else
			ag.conns[kept++] = ag.conns[i];
	}
	ag.nr = kept;
	if (ag.listen >= 0 && ag.nr < AGENT_MAX_CONNS)
		add(pl, &n, ag.listen, POLLIN, NULL, ROLE_LISTEN);
	if (ag.listen >= 0 && ag.oom >= 0)
		add(pl, &n, ag.oom, POLLIN, NULL, ROLE_OOM);
	for (size_t i = 0; i < ag.nr; i++) {
		struct conn *c = ag.conns[i];

		/* Always there: a host that hangs up is seen even when nothing is read. */
		add(pl, &n, c->fd,
		    (short)((wants_read(c) ? POLLIN : 0) | (c->out_len > c->out_off ? POLLOUT : 0)),
		    c, ROLE_SOCK);
		if (c->p.chan >= 0)
			add(pl, &n, c->p.chan, POLLIN, c, ROLE_CHAN);
		if (c->stdin_pending && in_fd(c) >= 0)
			add(pl, &n, in_fd(c), POLLOUT, c, ROLE_STDIN);
		if (c->state != CONN_EXEC_RUN || c->exited || out_room(c) < HDR + 1)
			continue;
		for (int k = 0; k < 2; k++)
			if (c->out_open[k] && out_fd(c, k) >= 0)
				add(pl, &n, out_fd(c, k), POLLIN, c, (enum role)(ROLE_OUT + k));
	}
	return n;
}

void agent_poll_handle(const struct pollfd *pl, int n)
{
	bool listen_ready = false;
	uint64_t ooms = 0;

	for (int i = 0; i < n; i++) {
		if (!pl[i].revents)
			continue;
		if (ag.slots[i].role == ROLE_LISTEN)
			listen_ready = true;
		else if (ag.slots[i].role == ROLE_OOM)
			ooms = cgroup_new_oom_kills();
		else
			ag.slots[i].c->rev[ag.slots[i].role] |= pl[i].revents;
	}
	for (size_t i = 0; i < ag.nr; i++) {
		if (ag.conns[i]->state == CONN_EVENTS)
			ag.conns[i]->oom_pending += ooms;
		conn_run(ag.conns[i]);
	}
	if (listen_ready)
		accept_conns();
}

bool agent_child_exited(pid_t pid, int status)
{
	for (size_t i = 0; i < ag.nr; i++) {
		struct conn *c = ag.conns[i];

		if (c->p.pid != pid || c->exited)
			continue;
		c->exited = true;
		c->status = status;
		if (c->state == CONN_EXEC_RUN)
			set_budgets(c);
		conn_run(c);
		return true;
	}
	return false;
}

void agent_shutdown(void)
{
	for (size_t i = 0; i < ag.nr; i++) {
		struct conn *c = ag.conns[i];

		kill_proc(c, SIGKILL);
		if (!c->dead && c->state == CONN_START)
			start_settle(c);
		if (!c->dead)
			flush(c);
		conn_free(c);
	}
	ag.nr = 0;
	close_fd(&ag.listen);
	if (ag.path[0])
		unlink(ag.path);
}
