/* run.c: `hyrun run`: create + start, then wait for the VM, pass signals on, relay the
 * terminal when hyrun is the console, delete. */
#include "runtime/lifecycle.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "common/fdio.h"
#include "runtime/console.h"

/* What `hyrun run` passes on to hyrun-vmm, which passes them on to the workload. */
static const int forwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

/* How long the pty's last output may take to arrive once the VMM has ended. */
#define DRAIN_MS 1000

/*
 * hyrun as the console of a process.terminal container (no --console-socket,
 * not detached), as runc and crun are: the pty's master, with stdin copied to
 * it and its output to stdout. stdin is never made non-blocking (it is the
 * caller's, maybe shared): it is read only when poll() says so.
 */
struct relay {
	int master; /* -1: no relay */
	bool in_open, out_open, out_dead;
	size_t in_len, in_off;
	char in[4096];
};

static void relay_stdin(struct relay *r)
{
	ssize_t n = read(STDIN_FILENO, r->in, sizeof(r->in));

	if (n > 0) {
		r->in_len = (size_t)n;
		r->in_off = 0;
	} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
		/* As runc and crun: the end of stdin is not passed on (a pty
		 * has no end of file to give but a ^D in canonical mode). */
		r->in_open = false;
	}
}

static void relay_to_master(struct relay *r)
{
	ssize_t n = write(r->master, r->in + r->in_off, r->in_len - r->in_off);

	if (n > 0)
		r->in_off += (size_t)n;
	else if (n < 0 && errno != EAGAIN && errno != EINTR)
		r->in_off = r->in_len; /* the slave is gone: nobody reads it */
	if (r->in_off == r->in_len)
		r->in_len = r->in_off = 0;
}

/* One read of the master to stdout; false at its end (EIO once every slave
 * is closed) or when nothing was there. */
static bool relay_from_master(struct relay *r)
{
	char buf[4096];
	ssize_t n = read(r->master, buf, sizeof(buf));

	if (n > 0) {
		/* Once stdout is gone the output is still read, so the guest
		 * never blocks on a full pty. */
		if (!r->out_dead && hy_write_all(STDOUT_FILENO, buf, (size_t)n) < 0)
			r->out_dead = true;
		return true;
	}
	if (n == 0 || (errno != EAGAIN && errno != EINTR))
		r->out_open = false;
	return false;
}

/* What the pty still holds once the VMM, the last holder of its slave, has ended. */
static void relay_drain(struct relay *r)
{
	while (r->master >= 0 && r->out_open) {
		struct pollfd p = {.fd = r->master, .events = POLLIN};

		if (poll(&p, 1, DRAIN_MS) <= 0 || !relay_from_master(r))
			break;
	}
}

/* Wait for the VMM, our child (we are a subreaper); pass signals on and relay the
 * terminal. Its wait status, or -1. */
static int wait_vmm(pid_t vmm, const sigset_t *set, struct relay *r)
{
	int sfd = signalfd(-1, set, SFD_CLOEXEC), status = 0;

	if (sfd < 0) {
		rt_error("signalfd: %s", strerror(errno));
		return -1;
	}
	for (;;) {
		struct pollfd p[3];
		int np = 0, i_in = -1, i_master = -1;
		pid_t w;

		/* Reap whatever has ended: the VMM, and any process of the jail or of a
		 * hook reparented to us. */
		while ((w = waitpid(-1, &status, WNOHANG)) > 0)
			if (w == vmm)
				goto done;
		if (w < 0 && errno == ECHILD) {
			rt_error("hyrun-vmm (pid %d) is not a child of hyrun run", (int)vmm);
			status = -1;
			goto done;
		}
		p[np++] = (struct pollfd){.fd = sfd, .events = POLLIN};
		if (r->master >= 0 && r->in_open && !r->in_len) {
			i_in = np;
			p[np++] = (struct pollfd){.fd = STDIN_FILENO, .events = POLLIN};
		}
		if (r->master >= 0 && (r->out_open || r->in_len)) {
			i_master = np;
			p[np++] = (struct pollfd){.fd = r->master,
						  .events = (short)((r->out_open ? POLLIN : 0) |
								    (r->in_len ? POLLOUT : 0))};
		}
		if (poll(p, (nfds_t)np, -1) < 0) {
			if (errno == EINTR)
				continue;
			rt_error("poll: %s", strerror(errno));
			status = -1;
			break;
		}
		if (i_in >= 0 && p[i_in].revents)
			relay_stdin(r);
		if (i_master >= 0 && (p[i_master].revents & POLLOUT) && r->in_len)
			relay_to_master(r);
		if (i_master >= 0 && r->out_open &&
		    (p[i_master].revents & (POLLIN | POLLHUP | POLLERR)))
			relay_from_master(r);
		if (p[0].revents) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) != sizeof(si))
				continue;
			if ((int)si.ssi_signo == SIGWINCH) {
				if (r->master >= 0)
					console_copy_winsize(STDIN_FILENO, r->master);
			} else if ((int)si.ssi_signo != SIGCHLD) {
				rt_debug("passing signal %u on to hyrun-vmm", si.ssi_signo);
				kill(vmm, (int)si.ssi_signo);
			}
		}
	}
done:
	relay_drain(r);
	close(sfd);
	return status;
}

/*
 * After a failed start: the VMM's exit status when it ends on its own within
 * a few seconds, as it does once the workload's execve() failed (the guest
 * reports the status and powers off); -1 otherwise. Other children (a
 * hook's leftovers reparented to us) are reaped on the way.
 */
static int failed_exec_status(pid_t vmm)
{
	int status;

	for (int i = 0; i < 100; i++) {
		pid_t w;

		while ((w = waitpid(-1, &status, WNOHANG)) > 0)
			if (w == vmm)
				return status;
		if (w < 0)
			return -1;
		usleep(50 * 1000);
	}
	return -1;
}

/* As runc: the caller's terminal, when stdin is one, in raw mode while hyrun relays
 * the container's, so that every key (^C too) reaches the container's pty. */
static bool make_raw(struct termios *saved)
{
	struct termios raw;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, saved) < 0)
		return false;
	raw = *saved;
	cfmakeraw(&raw);
	if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) < 0) {
		rt_warn("cannot put the terminal in raw mode: %s", strerror(errno));
		return false;
	}
	return true;
}

int cmd_run(struct rt_global *g, int argc, char **argv)
{
	struct relay relay = {.master = -1, .in_open = true, .out_open = true};
	struct create_opts o;
	struct termios saved;
	bool raw = false;
	sigset_t set, old;
	pid_t vmm;
	int status, r = create_parse_args(g, true, argc, argv, &o);

	if (r)
		return r < 0;
	if (!o.detach) {
		o.own_tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
		if (!o.own_tty)
			o.console_master = &relay.master;
		o.log_to_stderr = true;
	}

	/* The VMM must become our child even behind the jail's pid namespace. */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	if (container_create(g, &o, &vmm))
		return 1;
	/* Held from here on, so that none is lost before the wait loop reads them. */
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(&set, forwarded[i]);
	if (!o.detach)
		sigaddset(&set, SIGCHLD);
	if (relay.master >= 0 && isatty(STDIN_FILENO))
		sigaddset(&set, SIGWINCH);
	sigprocmask(SIG_BLOCK, &set, &old);
	if (relay.master >= 0) {
		fcntl(relay.master, F_SETFL, fcntl(relay.master, F_GETFL) | O_NONBLOCK);
		raw = make_raw(&saved);
	}
	if (container_start(g, o.id)) {
		if (raw)
			tcsetattr(STDIN_FILENO, TCSANOW, &saved);
		if (relay.master >= 0)
			close(relay.master);
		status = o.detach ? -1 : failed_exec_status(vmm);
		container_delete(g, o.id, true);
		/* The process's execve() failed: its status (127, 126), as from a
		 * shell and as before a start was answered only once exec'd. */
		if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status))
			return WEXITSTATUS(status);
		return 1;
	}
	if (o.detach)
		return 0;
	status = wait_vmm(vmm, &set, &relay);
	if (raw && tcsetattr(STDIN_FILENO, TCSANOW, &saved) < 0)
		rt_warn("cannot restore the terminal's mode: %s", strerror(errno));
	if (relay.master >= 0)
		close(relay.master);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (!o.keep && container_delete(g, o.id, true))
		return 1;
	if (status == -1)
		return 1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
