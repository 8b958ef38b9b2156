/* control.h: hyrun-vmm's control socket (--control-fd): the runtime's requests
 * to a VM in create mode.
 *
 * The protocol is common/control_proto.h's. Requests are accepted on the event
 * loop's thread; a client that sends nothing holds a connection slot only
 * until MAX connections are open, when the oldest one is dropped.
 */
#ifndef HYRUN_VMM_CONTROL_H
#define HYRUN_VMM_CONTROL_H

#include <stdbool.h>
#include <stddef.h>

#include "common/control_proto.h"
#include "vmm/event.h"

/* What the VMM does with a request: 0, or -1 with the reason in err. */
struct control_ops {
	int (*start)(void *opaque, char *err, size_t errlen);
	int (*kill)(void *opaque, int sig, bool all, char *err, size_t errlen);
};

/*
 * Check that fd is a listening AF_UNIX stream socket, then make it
 * non-blocking and close-on-exec. Returns 0, or -errno with the reason in err.
 */
int control_check_listener(int fd, char *err, size_t errlen);

struct control_server;

/* Serve listen_fd (checked with control_check_listener(); still owned by
 * the caller) on `loop`. NULL on failure, with the reason in err. */
struct control_server *control_server_new(struct event_loop *loop, int listen_fd,
					  const struct control_ops *ops, void *opaque, char *err,
					  size_t errlen);
/* Stop watching and close every open connection. */
void control_server_free(struct control_server *s);

#endif
