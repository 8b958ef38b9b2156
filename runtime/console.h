/* console.h: process.terminal: a pty pair, the master handed over --console-socket
 * (or kept by hyrun run, which relays it).
 *
 * As runc does it (and conmon and the containerd shim expect): connect to
 * the AF_UNIX stream socket given with --console-socket and send one
 * message whose data is the pty's name and whose SCM_RIGHTS carries the
 * master. The slave becomes hyrun-vmm's stdin and stdout (--tty); the
 * guest gives the workload a pty of its own and the VMM carries bytes and
 * window sizes between the two.
 */
#ifndef HYRUN_RUNTIME_CONSOLE_H
#define HYRUN_RUNTIME_CONSOLE_H

#include <stddef.h>

/* Returns the slave's fd (O_CLOEXEC) after sending the master, or a negative errno
 * with err set. */
int console_send_pty(const char *socket_path, char *err, size_t errlen);

/*
 * A pty pair kept by hyrun itself (run in the foreground is the console): the
 * slave's fd is returned, the master's stored in *master (both O_CLOEXEC).
 * When size_from is a terminal's fd, the pty gets its window size. A negative
 * errno with err set, and nothing left open, on failure.
 */
int console_open_pty(int *master, int size_from, char *err, size_t errlen);

/* The window size of terminal `from` given to pty master `to` (whose slave's
 * foreground process group gets SIGWINCH). 0 or -errno. */
int console_copy_winsize(int from, int to);

/* Send fd with SCM_RIGHTS and `name` as data on a connected socket. 0 or -errno. */
int console_send_fd(int sock, const char *name, int fd);

#endif
