/* proxy.h: the host side of an exec'd process (hyrun exec): stdio, signals and the
 * terminal's size relayed to the guest's agent, the exit status brought back.
 *
 * The agent connection carries agent_proto.h's frames after the exec reply.
 * Everything the guest sends is checked: a malformed header, a frame type
 * the host does not take (anything but STDOUT, STDERR and EXIT), an EXIT of
 * the wrong size or with a status out of range end the relay with 255 and
 * a message, as does the connection ending before EXIT.
 */
#ifndef HYRUN_RUNTIME_PROXY_H
#define HYRUN_RUNTIME_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <termios.h>

struct proxy {
	/* Set by the caller. */
	int conn;	  /* the agent connection, after the exec reply */
	int in, out, err; /* the process's stdio on the host; in < 0: none */
	int term;	  /* the terminal whose size is passed on (WINSIZE), or -1 */
	int sfd;	  /* a signalfd of the signals to forward (SIGWINCH: the
			     size), or -1 */
	bool raw;	  /* term was put in raw mode: restored from `saved` */
	struct termios saved;
	/* The relay's own. */
	bool in_open;
	char *buf;    /* one frame's payload */
	char *outbuf; /* frames for the agent */
	size_t out_len, out_off;
};

/*
 * Relay until the process's EXIT: its status (0..255, or 128+N for signal
 * N), or 255 after reporting what went wrong (rt_error). The terminal is
 * restored on every way out. Output to the agent is never written blocking:
 * while a stdin frame waits for the connection stdin is not read, and the
 * agent's frames are still taken, so a process that fills both its stdin
 * and its stdout cannot deadlock the relay.
 */
int proxy_run(struct proxy *p);

/* Put term back as it was (when raw). */
void proxy_restore_term(struct proxy *p);

#endif
