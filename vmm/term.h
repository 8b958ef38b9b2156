/* term.h: hyrun-vmm's side of the workload's terminal: forwarded signals and --tty.
 *
 * Signals sent to hyrun-vmm (SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1,
 * SIGUSR2) are read from a signalfd and passed to the guest's control port
 * (agent_proto.h), which hyrun-init forwards to the workload. With --tty,
 * stdin is put in raw mode for the VM's lifetime and its window size follows
 * SIGWINCH. Everything here runs on the event loop's thread.
 */
#ifndef HYRUN_VMM_TERM_H
#define HYRUN_VMM_TERM_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <termios.h>

struct event_loop;
struct virtio_console;

struct term {
	struct event_loop *loop;
	struct virtio_console *console;
	int sigfd; /* -1 until term_watch_signals() */
	/* --tty: a copy of stdin, the terminal (hyrun-vmm's own stdin is let
	 * go, vmm/callerio.h), -1 without one; its mode before it was made raw;
	 * the last window size passed on. */
	int tty_fd;
	struct termios saved_tty;
	bool tty_raw;
	bool winsize_sent;
	struct winsize winsize;
};

/*
 * Block, in the calling thread and every thread it creates later, the
 * forwarded signals and SIGWINCH (its default action is to ignore it, so
 * blocking it changes nothing otherwise). Call before any thread exists.
 * 0 or -errno.
 */
int term_block_signals(void);

void term_init(struct term *t, struct event_loop *loop, struct virtio_console *console);

/* Read the blocked signals from a signalfd on the loop. 0, or -errno with err filled. */
int term_watch_signals(struct term *t, char *err, size_t errlen);

/*
 * --tty: make stdin the controlling terminal where possible, put it in raw
 * mode (every byte typed, ^C too, reaches the guest's pty unchanged) and pass
 * its window size on. The terminal is used through a copy of stdin from then
 * on. -ENOTTY when stdin is not a terminal; err says why.
 */
int term_make_raw(struct term *t, char *err, size_t errlen);

/* Restore the terminal's mode, close its copy and stop watching signals. */
void term_destroy(struct term *t);

#endif
