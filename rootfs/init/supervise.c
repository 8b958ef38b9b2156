/* supervise.c: PID 1 while the workload runs: signals, control port, relay, report. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "common/err.h"
#include "common/time.h"
#include "rootfs/init/agent.h"
#include "rootfs/init/init.h"
#include "rootfs/init/net.h"

/*
 * How long the reply to the agent's START waits for the workload's
 * execve(), from the request on. The host gives up on a reply after 10 s
 * (runtime/agent.h), and a start must not fail while its workload is
 * released: one that is stopped (SIGSTOP from the host) or frozen before
 * its execve() gets its reply after this, and the execve() follows when it
 * runs again.
 */
#define START_EXEC_WAIT_MS 8000

/* Where the agent's START stands (supervise_start_result). */
enum start_outcome {
	START_NONE,    /* no START from the agent */
	START_WAITING, /* for the execve() of the released workload */
	START_EXECD,   /* the set-up channel closed after the go: it exec'd */
	START_FAILED,  /* it did not start (init_error), or ended first */
	START_LATE,    /* no execve() by the deadline: started all the same */
};

/* One direction of the terminal relay: `from` -> buf -> `to`. */
struct relay {
	int from, to;
	bool eof;    /* nothing more comes from `from` */
	bool broken; /* `to` fails: what comes is dropped */
	size_t len, off;
	char buf[4096];
};

static struct {
	pid_t pid;
	int chan;    /* to the child until its execve(); -1 after */
	int sfd;     /* the signalfd of PID 1's blocked signals */
	int ctlport; /* the control port; -1 when there is none or it closed */
	bool prepared, start_requested, released;
	int init_error, init_errno; /* CHILD_FAILED's status and errno */
	enum start_outcome start;
	int64_t start_deadline;
	int master; /* terminal: the pty's master, -1 until the child sends it */
	bool have_winsize;
	struct winsize winsize;
	struct relay in;  /* stdin port -> master */
	struct relay out; /* master -> stdout port */
	struct hy_ctl_decoder dec;
} wl = {.chan = -1, .sfd = -1, .ctlport = -1, .master = -1};

/* --- the terminal relay ------------------------------------------------------------ */

static void relay_read(struct relay *r)
{
	ssize_t n = read(r->from, r->buf, sizeof(r->buf));

	if (n > 0) {
		r->off = 0;
		r->len = r->broken ? 0 : (size_t)n;
	} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
		/* EIO from a master: every slave descriptor is closed. */
		r->eof = true;
	}
}

static void relay_write(struct relay *r)
{
	ssize_t n = write(r->to, r->buf + r->off, r->len - r->off);

	if (n > 0)
		r->off += (size_t)n;
	else if (n < 0 && errno != EAGAIN && errno != EINTR) {
		init_dbg("hyrun-init: terminal relay: %s; dropping what follows", strerror(errno));
		r->broken = true;
	}
	if (r->broken || r->off == r->len)
		r->len = r->off = 0;
}

static void set_master(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		init_msg("hyrun-init: terminal: non-blocking master: %s", strerror(errno));
	wl.master = fd;
	wl.in.to = fd;
	wl.out.from = fd;
	if (wl.have_winsize && ioctl(fd, TIOCSWINSZ, &wl.winsize) < 0)
		init_msg("hyrun-init: terminal: window size: %s", strerror(errno));
	init_dbg("hyrun-init: terminal ready (%" PRId64 " ms)", hy_now_ms());
}

/* The workload has ended: what it wrote to the terminal and is still in the
 * pty, out to the stdout port. Descendants that keep the slave open may
 * write more; that is not waited for. */
static void drain_terminal(void)
{
	if (wl.master < 0)
		return;
	for (;;) {
		while (wl.out.len) {
			struct pollfd p = {.fd = wl.out.to, .events = POLLOUT};

			if (poll(&p, 1, -1) < 0 && errno != EINTR)
				return;
			relay_write(&wl.out);
		}
		if (wl.out.eof)
			return;
		relay_read(&wl.out);
		if (!wl.out.len)
			return; /* EAGAIN or the end */
	}
}

/* --- the child's set-up channel ---------------------------------------------------- */

static void try_release(void)
{
	char go = 1;

	if (!wl.start_requested || !wl.prepared || wl.released || wl.chan < 0)
		return;
	if (write(wl.chan, &go, 1) != 1)
		init_msg("hyrun-init: releasing the workload: %s", strerror(errno));
	wl.released = true;
	init_boot_mark(HY_BOOT_MARK_EXEC);
	init_dbg("hyrun-init: workload released (%" PRId64 " ms)", hy_now_ms());
}

static void child_message(const struct child_msg *m)
{
	switch (m->kind) {
	case CHILD_FAILED:
		wl.init_error = m->status;
		wl.init_errno = m->err;
		init_dbg("hyrun-init: workload did not start: %s", strerror(m->err));
		break;
	case CHILD_PREPARED:
		wl.prepared = true;
		init_boot_mark(HY_BOOT_MARK_READY);
		init_dbg("hyrun-init: workload prepared (%" PRId64 " ms)", hy_now_ms());
		try_release();
		break;
	default:
		break;
	}
}

/* One message from the child, or its end of the channel closing. */
static void read_child_msg(int flags)
{
	struct child_msg m;
	ssize_t n;
	int fd;

	n = child_chan_recv(wl.chan, &m, sizeof(m), flags, &fd);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		init_dbg("hyrun-init: set-up channel closed: the workload %s (%" PRId64 " ms)",
			 wl.init_error ? "did not start" : "was exec'd or has ended", hy_now_ms());
		close(wl.chan);
		wl.chan = -1;
		/* The channel is close-on-exec in the child: after the go, its end
		 * without a failure is the execve() (or the child's death just
		 * before, which the exit report then tells). */
		if (wl.start == START_WAITING)
			wl.start = !wl.init_error && wl.released ? START_EXECD : START_FAILED;
		return;
	}
	if (n == sizeof(m) && m.kind == CHILD_TTY && fd >= 0 && wl.master < 0) {
		set_master(fd);
		return;
	}
	if (fd >= 0)
		close(fd);
	if (n != sizeof(m)) {
		init_msg("hyrun-init: malformed message from the workload's set-up");
		return;
	}
	child_message(&m);
}

/* --- signals and the control port ---------------------------------------------------- */

static void forward_signal(pid_t pid, int sig)
{
	/* Before the child's setsid() its group does not exist yet. */
	if (kill(-pid, sig) < 0 && errno == ESRCH)
		kill(pid, sig);
	init_dbg("hyrun-init: forwarded signal %d to %d", sig, (int)pid);
}

void supervise_signal(int sig, bool all)
{
	/* kill(-0) would be PID 1's own group (in self-test mode the test's). */
	if (wl.pid <= 0)
		return;
	/* In self-test mode "everything" would be the test machine's. */
	if (!all || init.test) {
		forward_signal(wl.pid, sig);
		return;
	}
	if (kill(-1, sig) < 0 && errno != ESRCH)
		init_msg("hyrun-init: signal %d to every process: %s", sig, strerror(errno));
	init_dbg("hyrun-init: signal %d to every process", sig);
}

/*
 * The standby NICs (guest_config.h, "standbyNics") at start: configured as
 * the start configuration `config` says, the rest unbound (config NULL:
 * all). PID 1 waits for them here, in its poll loop: they appeared at boot,
 * so only a broken guest waits the whole NET_NIC_WAIT_MS. The self-test
 * leaves the host's network alone, as setup_network() does.
 */
static int start_network(const char *config, size_t len, char *err, size_t errlen)
{
	size_t nr_standby = init.gc ? init.gc->nr_standby : 0;
	struct guest_config sc = {0};
	int r;

	if (!nr_standby && !config)
		return 0;
	if (!nr_standby)
		return hy_err(err, errlen, -1,
			      "network: a configuration, but the container has no standby NICs");
	if (config && guest_config_decode_start(&sc, config, len, err, errlen) < 0)
		return -1;
	if (init.test) {
		init_dbg("hyrun-init: self-test: standby NICs left alone");
		r = 0;
	} else {
		r = net_setup_standby(init.gc->standby, nr_standby, sc.nics, sc.nr_nics,
				      NET_NIC_WAIT_MS, err, errlen);
		if (r == 0)
			init_dbg("hyrun-init: network: %zu standby NIC(s) set up, %zu unbound "
				 "(%" PRId64 " ms)",
				 sc.nr_nics, nr_standby - sc.nr_nics, hy_now_ms());
	}
	guest_config_free(&sc);
	return r < 0 ? -1 : 0;
}

int supervise_start(const char *config, size_t len, char *err, size_t errlen)
{
	if (!init.wait_start || wl.released || wl.start_requested)
		return hy_err(err, errlen, -1, "the container was started already");
	if (wl.init_error)
		return hy_err(err, errlen, -1, "the container's process failed to start");
	if (wl.chan < 0)
		return hy_err(err, errlen, -1, "the container's process has ended");
	/* Held until the network is there, and held still when it fails. */
	if (start_network(config, len, err, errlen) < 0)
		return -1;
	/* Before the child is prepared, the start is remembered (try_release). */
	wl.start_requested = true;
	wl.start = START_WAITING;
	wl.start_deadline = hy_now_ms() + START_EXEC_WAIT_MS;
	try_release();
	return 0;
}

int supervise_start_result(char *err, size_t errlen)
{
	switch (wl.start) {
	case START_WAITING:
		return 1;
	case START_FAILED:
		if (!wl.init_error)
			return hy_err(err, errlen, -1,
				      "the container's process ended before its execve()");
		if (wl.init_errno > 0)
			return hy_err(err, errlen, -1,
				      "the container's process failed to start (status %d: %s)",
				      wl.init_error, strerror(wl.init_errno));
		return hy_err(err, errlen, -1,
			      "the container's process failed to start (status %d)", wl.init_error);
	default:
		return 0;
	}
}

/* The poll timeout that ends the wait for the execve() (-1: none). */
static int start_timeout(void)
{
	int64_t left;

	if (wl.start != START_WAITING)
		return -1;
	left = wl.start_deadline - hy_now_ms();
	/* poll() rounds up; + 1 so that the deadline has passed when it wakes. */
	return left <= 0 ? 0 : (int)(left > INT_MAX - 1 ? INT_MAX - 1 : left) + 1;
}

static void start_deadline_check(void)
{
	if (wl.start != START_WAITING || hy_now_ms() < wl.start_deadline)
		return;
	wl.start = START_LATE;
	init_msg("hyrun-init: start: the workload has not reached its execve() %d ms after the "
		 "start request (stopped or frozen?); replying that it started",
		 START_EXEC_WAIT_MS);
}

pid_t supervise_workload_pid(void)
{
	if (wl.pid <= 0 || wl.init_error || (wl.chan >= 0 && !wl.prepared))
		return 0;
	return wl.pid;
}

/* The control port's START (a guest without vsock): it carries no
 * configuration, so the standby NICs are unbound. A failure is only told:
 * the port has no reply, and a held workload would hang the container. */
static void control_start(void)
{
	char err[512];

	if (wl.start_requested || wl.released)
		return;
	if (start_network(NULL, 0, err, sizeof(err)) < 0)
		init_msg("hyrun-init: start: %s", err);
	wl.start_requested = true;
	try_release();
}

static void control_message(const struct hy_ctl_event *ev)
{
	switch (ev->kind) {
	case HY_CTL_EV_SIGNAL:
		supervise_signal(ev->sig, false);
		break;
	case HY_CTL_EV_SIG_ALL:
		supervise_signal(ev->sig, true);
		break;
	case HY_CTL_EV_START:
		if (!init.wait_start) {
			init_dbg("hyrun-init: start without wait_start ignored");
			break;
		}
		control_start();
		break;
	case HY_CTL_EV_WINSIZE:
		wl.winsize = (struct winsize){.ws_row = ev->rows, .ws_col = ev->cols};
		wl.have_winsize = true;
		/* The kernel sends the pty's foreground group SIGWINCH. */
		if (wl.master >= 0 && ioctl(wl.master, TIOCSWINSZ, &wl.winsize) < 0)
			init_msg("hyrun-init: terminal: window size: %s", strerror(errno));
		break;
	default:
		init_dbg("hyrun-init: ignoring byte %u from the control port", ev->byte);
		break;
	}
}

/* The host's control messages (agent_proto.h); the port is closed at its
 * end of file or on an error. */
static void read_control_port(void)
{
	unsigned char buf[64];
	ssize_t n = read(wl.ctlport, buf, sizeof(buf));
	struct hy_ctl_event ev;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		init_dbg("hyrun-init: control port closed (%s)", n < 0 ? strerror(errno) : "EOF");
		close(wl.ctlport);
		wl.ctlport = -1;
		return;
	}
	for (ssize_t i = 0; i < n; i++)
		if (hy_ctl_decode(&wl.dec, buf[i], &ev) != HY_CTL_NONE)
			control_message(&ev);
}

/* A pending signal: forwarded, or (SIGCHLD) every finished child reaped.
 * True, with its wait status, once the workload itself has ended. An
 * exec'd process's status goes to its agent connection; other children
 * (orphans PID 1 inherited) are only reaped. */
static bool read_signal(int *status)
{
	struct signalfd_siginfo si;
	ssize_t n = read(wl.sfd, &si, sizeof(si));
	int st;
	pid_t w;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return false;
	if (n != sizeof(si))
		init_die("hyrun-init: reading signals: %s", n < 0 ? strerror(errno) : "short read");
	if (si.ssi_signo != SIGCHLD) {
		forward_signal(wl.pid, (int)si.ssi_signo);
		return false;
	}
	/* SIGCHLD coalesces: reap every child that is done, orphans included. */
	while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
		if (w == wl.pid) {
			*status = st;
			return true;
		}
		agent_child_exited(w, st);
	}
	return false;
}

/* --- the workload's life ------------------------------------------------------------ */

/*
 * The control port and the stdio ports. The control port is opened before
 * the fork, so messages the host sends while the workload starts are
 * already queued in the guest for us. virtio_console lets a port be open
 * only once at a time (EBUSY), so each is opened here once: the child gets
 * them as fds 0-2, and with a terminal PID 1 keeps stdin and stdout for the
 * relay.
 */
static void open_ports(int stdio[3])
{
	if (init.ports_found & (1u << HY_CONSOLE_PORT_CONTROL)) {
		wl.ctlport = open(init.port_dev[HY_CONSOLE_PORT_CONTROL],
				  O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (wl.ctlport < 0)
			init_msg("hyrun-init: open '%s': %s",
				 init.port_dev[HY_CONSOLE_PORT_CONTROL], strerror(errno));
	}
	for (int i = 0; i < 3; i++) {
		int flags = i == HY_CONSOLE_PORT_STDIN ? O_RDONLY : O_WRONLY;

		stdio[i] = open(init.port_dev[i], flags | O_NOCTTY | O_CLOEXEC);
		if (stdio[i] < 0)
			init_die("hyrun-init: open '%s': %s", init.port_dev[i], strerror(errno));
	}
}

static void start_child(char **argv, int stdio[3])
{
	int pair[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
		init_die("hyrun-init: socketpair: %s", strerror(errno));
	/* With a pid namespace the workload is its PID 1 from the clone on, so
	 * that the /proc it mounts (mounts.c, after this) is that namespace's. */
	pid = cgroup_fork(init.gc && init.gc->pid_namespace);
	if (pid < 0)
		init_die("hyrun-init: fork%s: %s",
			 init.gc && init.gc->pid_namespace ? " into a new pid namespace" : "",
			 strerror(errno));
	if (pid == 0) {
		close(pair[0]);
		if (wl.ctlport >= 0)
			close(wl.ctlport);
		child_run(argv, stdio, pair[1]);
	}
	close(pair[1]);
	wl.pid = pid;
	wl.chan = pair[0];
	close(stdio[HY_CONSOLE_PORT_STDERR]);
	if (init.terminal) {
		wl.in = (struct relay){.from = stdio[HY_CONSOLE_PORT_STDIN], .to = -1};
		wl.out = (struct relay){.from = -1, .to = stdio[HY_CONSOLE_PORT_STDOUT]};
	} else {
		close(stdio[HY_CONSOLE_PORT_STDIN]);
		close(stdio[HY_CONSOLE_PORT_STDOUT]);
	}
}

static void poll_add(struct pollfd *pl, int *n, int *idx, int fd, short events)
{
	*idx = -1;
	if (fd < 0 || !events)
		return;
	pl[*n] = (struct pollfd){.fd = fd, .events = events};
	*idx = (*n)++;
}

static bool ready(const struct pollfd *pl, int idx)
{
	return idx >= 0 && pl[idx].revents;
}

/* One round of waiting on everything; true, with the wait status, once the
 * workload has ended. */
static bool wait_round(int *status)
{
	struct pollfd pl[7 + AGENT_POLL_MAX];
	int np = 0, i_sfd, i_ctl, i_chan, i_pin, i_pout, i_master, i_agent, n_agent;
	bool tty = wl.master >= 0;

	poll_add(pl, &np, &i_sfd, wl.sfd, POLLIN);
	poll_add(pl, &np, &i_ctl, wl.ctlport, POLLIN);
	poll_add(pl, &np, &i_chan, wl.chan, POLLIN);
	poll_add(pl, &np, &i_pin, tty && !wl.in.eof && !wl.in.len ? wl.in.from : -1, POLLIN);
	poll_add(pl, &np, &i_pout, tty && wl.out.len ? wl.out.to : -1, POLLOUT);
	poll_add(pl, &np, &i_master, tty ? wl.master : -1,
		 (wl.in.len ? POLLOUT : 0) | (!wl.out.eof && !wl.out.len ? POLLIN : 0));
	i_agent = np;
	n_agent = agent_poll_fill(pl + np, AGENT_POLL_MAX);
	np += n_agent;
	if (poll(pl, np, start_timeout()) < 0) {
		if (errno == EINTR)
			return false;
		init_die("hyrun-init: poll: %s", strerror(errno));
	}
	if (ready(pl, i_ctl))
		read_control_port();
	if (ready(pl, i_chan))
		read_child_msg(0);
	if (ready(pl, i_pin))
		relay_read(&wl.in);
	if (ready(pl, i_pout))
		relay_write(&wl.out);
	if (ready(pl, i_master)) {
		if (wl.in.len && (pl[i_master].revents & (POLLOUT | POLLERR | POLLHUP)))
			relay_write(&wl.in);
		if (!wl.out.eof && !wl.out.len &&
		    (pl[i_master].revents & (POLLIN | POLLERR | POLLHUP)))
			relay_read(&wl.out);
	}
	start_deadline_check();
	agent_poll_handle(pl + i_agent, n_agent);
	return ready(pl, i_sfd) && read_signal(status);
}

static unsigned finish(int status)
{
	/* What the child said before it ended (a failure that raced its exit). */
	while (wl.chan >= 0)
		read_child_msg(MSG_DONTWAIT);
	/* A START still waiting gets its answer before the connections close. */
	if (wl.start == START_WAITING)
		wl.start = START_FAILED;
	/* Exec'd processes do not outlive the workload (nor keep the VM). */
	agent_shutdown();
	/*
	 * Nothing of the workload's output is held back in here: without a
	 * terminal PID 1 has closed its copies of the ports, and virtio_console
	 * has queued the data to the host by the time each write() returned;
	 * with one, the pty is drained now. hyrun-vmm drains the queues before
	 * it acts on the exit report.
	 */
	drain_terminal();
	if (wl.master >= 0)
		close(wl.master);
	if (init.terminal) {
		close(wl.in.from);
		close(wl.out.to);
	}
	close(wl.sfd);
	if (wl.ctlport >= 0)
		close(wl.ctlport);
	if (wl.init_error)
		return HY_EXIT_VALUE(HY_EXIT_KIND_INIT_ERROR, wl.init_error);
	if (WIFSIGNALED(status))
		return HY_EXIT_VALUE(HY_EXIT_KIND_SIGNALED, WTERMSIG(status));
	return HY_EXIT_VALUE(HY_EXIT_KIND_EXITED, WEXITSTATUS(status));
}

/*
 * Signals stay blocked in PID 1 and are read from a signalfd, next to the
 * host's control port: no handler races, and a blocked signal is queued
 * even for init, which the kernel otherwise spares from signals it has no
 * handler for.
 */
unsigned supervise_workload(char **argv, const sigset_t *waitset)
{
	int stdio[3], status = 0;

	wl.sfd = signalfd(-1, waitset, SFD_CLOEXEC | SFD_NONBLOCK);
	if (wl.sfd < 0)
		init_die("hyrun-init: signalfd: %s", strerror(errno));
	open_ports(stdio);
	agent_listen();
	start_child(argv, stdio);
	while (!wait_round(&status))
		;
	return finish(status);
}
