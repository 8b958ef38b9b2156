/* devices.c: virtio-mmio windows on the MMIO bus, irqfds and ioeventfds for the virtio devices. */
#include "vmm/devices.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "vmm/bus.h"
#include "vmm/event.h"
#include "vmm/kvm.h"
#include "vmm/virtio/virtio.h"

/* One ioeventfd: the guest wrote queue index `q` to a transport's QueueNotify. */
struct queue_notify {
	struct virtio_mmio *t;
	unsigned q;
	int fd;
};

void devices_init(struct vm_devices *d, struct kvm *kvm, const struct guest_mem *mem,
		  struct bus *mmio_bus)
{
	memset(d, 0, sizeof(*d));
	d->kvm = kvm;
	d->mem = mem;
	d->mmio_bus = mmio_bus;
	for (unsigned i = 0; i < HY_VIRTIO_MAX_DEVS; i++)
		d->irqfd[i] = -1;
}

static void mmio_io(void *opaque, uint64_t off, uint8_t *data, unsigned len, bool is_write)
{
	virtio_mmio_access(opaque, off, data, len, is_write);
}

static void queue_notify_cb(void *opaque, uint32_t events)
{
	struct queue_notify *n = opaque;
	uint64_t count;

	/* Several notifications may have coalesced into one count: one pass over
	 * the queue handles them all. */
	if (read(n->fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		log_debug("reading a queue notification eventfd: %s", strerror(errno));
	virtio_mmio_queue_notify(n->t, n->q);
}

static int add_queue_notify(struct vm_devices *d, struct virtio_mmio *t, unsigned q, char *err,
			    size_t errlen)
{
	struct queue_notify *n;
	int fd, r;

	if (d->nr_notifies == d->cap_notifies) {
		unsigned cap = d->cap_notifies ? d->cap_notifies * 2 : 16;
		struct queue_notify *p = realloc(d->notifies, cap * sizeof(*p));

		if (!p)
			return hy_err(err, errlen, -ENOMEM, "out of memory");
		d->notifies = p;
		d->cap_notifies = cap;
	}
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0)
		return hy_err(err, errlen, -errno, "eventfd: %s", strerror(errno));
	n = &d->notifies[d->nr_notifies];
	*n = (struct queue_notify){.t = t, .q = q, .fd = fd};
	r = kvm_ioeventfd(d->kvm, fd, t->base + VIRTIO_MMIO_NOTIFY_OFFSET, 4, q, false, err,
			  errlen);
	if (r) {
		close(fd);
		return r;
	}
	d->nr_notifies++;
	return 0;
}

int devices_attach(struct vm_devices *d, struct virtio_dev *dev, char *err, size_t errlen)
{
	unsigned i = d->nr;
	uint64_t base = HY_VIRTIO_MMIO_BASE + i * HY_VIRTIO_MMIO_SIZE;
	uint32_t gsi = HY_VIRTIO_IRQ_BASE + i;
	int fd, r;

	if (d->loop)
		return hy_err(err, errlen, -EBUSY, "%s: attached after the devices were watched",
			      dev->name);
	if (i == HY_VIRTIO_MAX_DEVS)
		return hy_err(err, errlen, -ENOSPC, "too many virtio devices (at most %d)",
			      HY_VIRTIO_MAX_DEVS);
	r = bus_register(d->mmio_bus, base, HY_VIRTIO_MMIO_SIZE, 0, mmio_io, &d->mmio[i], dev->name,
			 err, errlen);
	if (r)
		return r;
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0)
		return hy_err(err, errlen, -errno, "eventfd: %s", strerror(errno));
	r = kvm_irqfd(d->kvm, fd, gsi, err, errlen);
	if (r) {
		close(fd);
		return r;
	}
	d->irqfd[i] = fd;
	virtio_mmio_init(&d->mmio[i], dev, d->mem, base, gsi, fd);
	d->nr++;
	for (unsigned q = 0; q < dev->nr_queues; q++) {
		r = add_queue_notify(d, &d->mmio[i], q, err, errlen);
		if (r)
			return r;
	}
	return 0;
}

/* The loop keeps pointers into d->notifies, which realloc() may move until
 * the last device is attached. */
int devices_watch(struct vm_devices *d, struct event_loop *loop, char *err, size_t errlen)
{
	/* Set first: devices_destroy() takes back whatever was added (event_del()
	 * of one that was not is a harmless -ENOENT). */
	d->loop = loop;
	for (unsigned i = 0; i < d->nr_notifies; i++) {
		struct queue_notify *n = &d->notifies[i];
		int r = event_add(loop, n->fd, EPOLLIN, queue_notify_cb, n);

		if (r)
			return hy_err(err, errlen, r, "cannot watch a queue notification: %s",
				      strerror(-r));
	}
	return 0;
}

void devices_destroy(struct vm_devices *d)
{
	for (unsigned i = 0; i < d->nr_notifies; i++) {
		if (d->loop)
			event_del(d->loop, d->notifies[i].fd);
		close(d->notifies[i].fd);
	}
	free(d->notifies);
	d->notifies = NULL;
	d->nr_notifies = 0;
	for (unsigned i = 0; i < HY_VIRTIO_MAX_DEVS; i++) {
		if (d->irqfd[i] >= 0)
			close(d->irqfd[i]);
		d->irqfd[i] = -1;
	}
}
