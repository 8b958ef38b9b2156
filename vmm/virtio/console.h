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
 * guest reads EOF); port 1's output goes to out_fd, port 2's to err_fd. The
 * fds stay owned by the caller. in_fd may be -1 (immediate EOF).
 */
struct virtio_console *virtio_console_new(struct event_loop *loop, int in_fd, int out_fd,
					  int err_fd);
struct virtio_dev *virtio_console_dev(struct virtio_console *c);

/* Queue one control message (`len` bytes, agent_proto.h HY_CTL_*) for the
 * control port; it reaches the guest once the guest has the port open. All
 * or nothing: -ENOSPC when too much is pending, -EINVAL for an empty or
 * oversized message. Any thread. */
int virtio_console_send_control(struct virtio_console *c, const void *msg, size_t len);

/* Process every pending output buffer now and write it out (called before the
 * VM exits so nothing the workload wrote is lost). */
void virtio_console_drain(struct virtio_console *c);
void virtio_console_free(struct virtio_console *c);

#endif
