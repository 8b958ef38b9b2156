/* event.h: the VMM's epoll event loop. Runs on the main thread; device
 * back-ends (ioeventfds, host stdio, timers) register file descriptors here. */
#ifndef HYRUN_VMM_EVENT_H
#define HYRUN_VMM_EVENT_H

#include <stdbool.h>
#include <stdint.h>

struct event_loop;

/* Called on the loop's thread with the epoll events that fired. */
typedef void (*event_cb)(void *opaque, uint32_t events);

struct event_loop *event_loop_new(void);
void event_loop_free(struct event_loop *l);

/* Watch fd for `events` (EPOLLIN, EPOLLOUT, ...). Returns 0 or -errno. */
int event_add(struct event_loop *l, int fd, uint32_t events, event_cb cb, void *opaque);
/* Change the events watched on fd. Returns 0 or -errno. */
int event_mod(struct event_loop *l, int fd, uint32_t events);
int event_del(struct event_loop *l, int fd);

/* Run until event_loop_stop() is called (from any thread) or a callback
 * fails fatally. Returns 0 after a stop, -errno on an epoll failure. */
int event_loop_run(struct event_loop *l);
void event_loop_stop(struct event_loop *l);

/* One round of event_loop_run(), for tests and fuzzing that drive the loop
 * step by step: wait at most timeout_ms (0: not at all) and dispatch what
 * came. Returns the number of events, or -errno. After event_loop_stop(),
 * callbacks do not run until event_loop_run() has seen the stop. */
int event_loop_run_once(struct event_loop *l, int timeout_ms);

#endif
