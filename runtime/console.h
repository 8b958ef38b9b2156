/* console.h: process.terminal: a pty pair, the master handed over --console-socket.
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

/* Send fd with SCM_RIGHTS and `name` as data on a connected socket. 0 or -errno. */
int console_send_fd(int sock, const char *name, int fd);

#endif
