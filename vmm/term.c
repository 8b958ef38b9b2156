/* term.c: forwarded signals, and the host terminal in raw mode with its window size (--tty). */
#include "vmm/term.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "common/agent_proto.h"
#include "common/cleanup.h"
#include "common/err.h"
#include "common/log.h"
#include "vmm/event.h"
#include "vmm/virtio/console.h"

static const int forwarded_signals[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

static void watched_set(sigset_t *set)
{
	sigemptyset(set);
	for (size_t i = 0; i < ARRAY_SIZE(forwarded_signals); i++)
		sigaddset(set, forwarded_signals[i]);
	sigaddset(set, SIGWINCH);
}

int term_block_signals(void)
{
	sigset_t set;

	watched_set(&set);
	return -pthread_sigmask(SIG_BLOCK, &set, NULL);
}

void term_init(struct term *t, struct event_loop *loop, struct virtio_console *console)
{
	memset(t, 0, sizeof(*t));
	t->loop = loop;
	t->console = console;
	t->sigfd = -1;
	t->tty_fd = -1;
}

/* The terminal's window size to the guest (agent_proto.h HY_CTL_WINSIZE). */
static void send_winsize(struct term *t)
{
	uint8_t msg[HY_CTL_WINSIZE_LEN];
	struct winsize ws;
	int r;

	if (ioctl(t->tty_fd, TIOCGWINSZ, &ws) < 0) {
		log_debug("--tty: window size: %s", strerror(errno));
		return;
	}
	/* A window being dragged sends many signals; the guest needs changes. */
	if (t->winsize_sent && ws.ws_row == t->winsize.ws_row && ws.ws_col == t->winsize.ws_col)
		return;
	hy_ctl_encode_winsize(msg, ws.ws_row, ws.ws_col);
	r = virtio_console_send_control(t->console, msg, sizeof(msg));
	if (r < 0) {
		/* The next SIGWINCH tries again. */
		log_warn("window size %ux%u not passed on: %s", ws.ws_col, ws.ws_row, strerror(-r));
		t->winsize_sent = false;
		return;
	}
	t->winsize = ws;
	t->winsize_sent = true;
}

/* Each signal goes to the guest's control port (agent_proto.h), held there
 * until hyrun-init has opened it; hyrun-init passes it to the workload. */
static void signal_cb(void *opaque, uint32_t events)
{
	struct term *t = opaque;
	struct signalfd_siginfo si;

	while (read(t->sigfd, &si, sizeof(si)) == sizeof(si)) {
		uint8_t b = HY_CTL_SIGNAL(si.ssi_signo);
		int r;

		if (si.ssi_signo == SIGWINCH) {
			if (t->tty_raw)
				send_winsize(t);
			continue;
		}
		log_debug("forwarding signal %u to the guest", si.ssi_signo);
		r = virtio_console_send_control(t->console, &b, 1);
		if (r < 0)
			log_warn("signal %u not forwarded: %s", si.ssi_signo, strerror(-r));
	}
}

int term_watch_signals(struct term *t, char *err, size_t errlen)
{
	sigset_t set;
	int r;

	watched_set(&set);
	t->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (t->sigfd < 0)
		return hy_err(err, errlen, -errno, "signalfd: %s", strerror(errno));
	r = event_add(t->loop, t->sigfd, EPOLLIN, signal_cb, t);
	if (r) {
		close(t->sigfd);
		t->sigfd = -1;
		return hy_err(err, errlen, r, "cannot watch signals: %s", strerror(-r));
	}
	return 0;
}

/*
 * SIGWINCH goes to the foreground process group of a terminal's session,
 * so the terminal should be ours. Whoever started us may have arranged
 * that already (setsid() and TIOCSCTTY); if not, try, but a terminal that
 * belongs to another session stays where it is.
 */
static void take_controlling_tty(void)
{
	pid_t sid = getsid(0);

	if (sid >= 0 && tcgetsid(STDIN_FILENO) == sid)
		return;
	if (sid != getpid() && setsid() < 0) {
		log_debug("--tty: setsid: %s; the terminal stays as it is", strerror(errno));
		return;
	}
	if (ioctl(STDIN_FILENO, TIOCSCTTY, 0) < 0)
		log_debug("--tty: cannot make stdin the controlling terminal: %s", strerror(errno));
}

int term_make_raw(struct term *t, char *err, size_t errlen)
{
	struct termios raw;

	if (tcgetattr(STDIN_FILENO, &t->saved_tty) < 0)
		return hy_err(err, errlen, -ENOTTY, "--tty: standard input is not a terminal (%s)",
			      strerror(errno));
	t->tty_fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
	if (t->tty_fd < 0)
		return hy_err(err, errlen, -errno, "--tty: %s", strerror(errno));
	take_controlling_tty();
	raw = t->saved_tty;
	cfmakeraw(&raw);
	if (tcsetattr(t->tty_fd, TCSANOW, &raw) < 0)
		return hy_err(err, errlen, -errno, "--tty: cannot put the terminal in raw mode: %s",
			      strerror(errno));
	t->tty_raw = true;
	send_winsize(t);
	return 0;
}

void term_destroy(struct term *t)
{
	if (t->sigfd >= 0) {
		if (t->loop)
			event_del(t->loop, t->sigfd);
		close(t->sigfd);
		t->sigfd = -1;
	}
	if (t->tty_raw) {
		if (tcsetattr(t->tty_fd, TCSANOW, &t->saved_tty) < 0)
			log_warn("--tty: cannot restore the terminal's mode: %s", strerror(errno));
		t->tty_raw = false;
	}
	if (t->tty_fd >= 0)
		close(t->tty_fd);
	t->tty_fd = -1;
}
