/* event.c: the VMM's epoll event loop. */
#include "vmm/event.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/log.h"

struct handler {
	event_cb cb;
	void *opaque;
};

/*
 * Handlers are kept in a table indexed by fd and looked up when an event is
 * dispatched, not through a pointer in epoll_data: a callback may remove
 * another fd (or itself) while later events for it sit in the same batch.
 */
struct event_loop {
	int epfd;
	int stop_fd;	      /* eventfd: wakes the loop from any thread */
	pthread_mutex_t lock; /* guards handlers / nr_handlers */
	struct handler *handlers;
	unsigned nr_handlers;
	bool stopping;
};

#define MAX_EVENTS 32

struct event_loop *event_loop_new(void)
{
	struct epoll_event ev = {.events = EPOLLIN};
	struct event_loop *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		goto err_free;
	l->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->stop_fd < 0)
		goto err_epoll;
	ev.data.fd = l->stop_fd;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->stop_fd, &ev) < 0)
		goto err_stop;
	pthread_mutex_init(&l->lock, NULL);
	return l;

err_stop:
	close(l->stop_fd);
err_epoll:
	close(l->epfd);
err_free:
	free(l);
	return NULL;
}

void event_loop_free(struct event_loop *l)
{
	if (!l)
		return;
	close(l->stop_fd);
	close(l->epfd);
	pthread_mutex_destroy(&l->lock);
	free(l->handlers);
	free(l);
}

static int grow(struct event_loop *l, int fd)
{
	unsigned n = l->nr_handlers ? l->nr_handlers : 16;
	struct handler *h;

	if ((unsigned)fd < l->nr_handlers)
		return 0;
	while (n <= (unsigned)fd)
		n *= 2;
	h = realloc(l->handlers, n * sizeof(*h));
	if (!h)
		return -ENOMEM;
	for (unsigned i = l->nr_handlers; i < n; i++)
		h[i] = (struct handler){0};
	l->handlers = h;
	l->nr_handlers = n;
	return 0;
}

int event_add(struct event_loop *l, int fd, uint32_t events, event_cb cb, void *opaque)
{
	struct epoll_event ev = {.events = events, .data.fd = fd};
	int ret;

	if (fd < 0 || fd == l->stop_fd || !cb)
		return -EINVAL;
	pthread_mutex_lock(&l->lock);
	ret = grow(l, fd);
	if (ret)
		goto out;
	if (l->handlers[fd].cb) {
		ret = -EEXIST;
		goto out;
	}
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		ret = -errno;
		goto out;
	}
	l->handlers[fd] = (struct handler){.cb = cb, .opaque = opaque};
out:
	pthread_mutex_unlock(&l->lock);
	return ret;
}

int event_mod(struct event_loop *l, int fd, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.fd = fd};

	if (fd < 0 || fd == l->stop_fd)
		return -EINVAL;
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

int event_del(struct event_loop *l, int fd)
{
	int ret = 0;

	if (fd < 0 || fd == l->stop_fd)
		return -EINVAL;
	pthread_mutex_lock(&l->lock);
	if ((unsigned)fd >= l->nr_handlers || !l->handlers[fd].cb) {
		ret = -ENOENT;
	} else {
		l->handlers[fd] = (struct handler){0};
		if (epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL) < 0)
			ret = -errno;
	}
	pthread_mutex_unlock(&l->lock);
	return ret;
}

/* Wait for one batch of events (at most timeout_ms, -1: no limit) and
 * dispatch it. The number of events, 0 after EINTR, or -errno. */
static int dispatch(struct event_loop *l, int timeout_ms)
{
	struct epoll_event evs[MAX_EVENTS];
	uint64_t v;
	int n = epoll_wait(l->epfd, evs, MAX_EVENTS, timeout_ms);

	if (n < 0) {
		if (errno == EINTR)
			return 0;
		log_error("epoll_wait: %m");
		return -errno;
	}
	for (int i = 0; i < n; i++) {
		int fd = evs[i].data.fd;
		struct handler h = {0};

		if (fd == l->stop_fd) {
			if (read(l->stop_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
				log_warn("event loop: stop eventfd: %m");
			__atomic_store_n(&l->stopping, true, __ATOMIC_SEQ_CST);
			continue;
		}
		pthread_mutex_lock(&l->lock);
		if ((unsigned)fd < l->nr_handlers)
			h = l->handlers[fd];
		pthread_mutex_unlock(&l->lock);
		if (h.cb && !__atomic_load_n(&l->stopping, __ATOMIC_SEQ_CST))
			h.cb(h.opaque, evs[i].events);
	}
	return n;
}

int event_loop_run(struct event_loop *l)
{
	for (;;) {
		int n = dispatch(l, -1);

		if (n < 0)
			return n;
		if (__atomic_exchange_n(&l->stopping, false, __ATOMIC_SEQ_CST))
			return 0;
	}
}

int event_loop_run_once(struct event_loop *l, int timeout_ms)
{
	return dispatch(l, timeout_ms);
}

void event_loop_stop(struct event_loop *l)
{
	uint64_t one = 1;

	/* Async-signal-safe and thread-safe: only a write to the eventfd. */
	if (write(l->stop_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("event loop: cannot stop: %m");
}
