/* console.h: virtio-console with VIRTIO_CONSOLE_F_MULTIPORT, carrying the
 * workload's stdin, stdout and stderr and the control messages to hyrun-init
 * (signals, start, window size) on four named ports (agent_proto.h). */
#ifndef HYRUN_VMM_VIRTIO_CONSOLE_H
#define HYRUN_VMM_VIRTIO_CONSOLE_H

#include <stddef.h>

#include "vmm/event.h"
#include "vmm/virtio/virtio.h"

struct virtio_console;

/*
 * in_fd feeds port 0 (read until EOF, then the port is reported closed so the
 * guest reads EOF); port 1's output goes to out_fd, port 2's to err_fd. Any
 * may be -1 (stdin: immediate EOF; output: dropped).
 *
 * The console works on copies of its own (close-on-exec, above 2), made here;
 * the caller's descriptors stay the caller's, to close or replace. Each copy
 * goes as soon as its stream is done, so that the host sees end of file as it
 * would with a workload that held the only copy:
 *   - stdin's at its end of file, or when the guest closes port 0;
 *   - stdout's or stderr's when the guest closes port 1 or 2 (the Linux
 *     driver's PORT_OPEN(0) once its last descriptor of the port is closed),
 *     after everything the guest wrote before that has been written out.
 * The host side stays closed: a guest that opens such a port again reads end
 * of file (stdin) or has what it writes taken and dropped (stdout, stderr).
 * NULL when out of memory or descriptors.
 */
struct virtio_console *virtio_console_new(struct event_loop *loop, int in_fd, int out_fd,
					  int err_fd);
struct virtio_dev *virtio_console_dev(struct virtio_console *c);

/* Queue one control message (`len` bytes, agent_proto.h HY_CTL_*) for the
 * control port; it reaches the guest once the guest has the port open. All
 * or nothing: -ENOSPC when too much is pending, -EINVAL for an empty or
 * oversized message. Any thread. */
int virtio_console_send_control(struct virtio_console *c, const void *msg, size_t len);

/*
 * Let go of an output port (HY_CONSOLE_PORT_STDOUT or _STDERR) as the guest's
 * close does, whether or not the guest has it open: what is queued is written
 * out first (as the descriptor takes it), then the copy is closed; later
 * output on the port is dropped. Other ports are ignored. Any thread.
 */
void virtio_console_close_output(struct virtio_console *c, unsigned port);

/* Process every pending output buffer now and write it out (called before the
 * VM exits so nothing the workload wrote is lost). */
void virtio_console_drain(struct virtio_console *c);
void virtio_console_free(struct virtio_console *c);

#endif
