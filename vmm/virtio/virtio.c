/* virtio.c: transport-independent helpers for virtio devices. */
#include "vmm/virtio/virtio.h"

#include <string.h>

#include "common/log.h"

void virtio_dev_init(struct virtio_dev *d, const struct virtio_dev_ops *ops, const char *name,
		     uint32_t device_id, struct virtq *queues, unsigned nr_queues,
		     uint16_t queue_max, uint32_t config_size)
{
	memset(d, 0, sizeof(*d));
	d->ops = ops;
	d->name = name;
	d->device_id = device_id;
	d->queues = queues;
	d->nr_queues = nr_queues;
	d->queue_max = queue_max > VIRTQ_MAX_SIZE ? VIRTQ_MAX_SIZE : queue_max;
	d->config_size = config_size;
	pthread_mutex_init(&d->lock, NULL);
	for (unsigned i = 0; i < nr_queues; i++) {
		queues[i].mem = NULL;
		virtq_reset(&queues[i]);
	}
}

void virtio_dev_notify_used(struct virtio_dev *d, struct virtq *q)
{
	if (virtq_should_notify(q) && d->interrupt)
		d->interrupt(d, VIRTIO_ISR_QUEUE);
}

void virtio_dev_set_broken(struct virtio_dev *d, const char *why)
{
	if (d->broken)
		return;
	d->broken = true;
	log_ratelimited(&d->broken_log, LOG_ERROR,
			"%s: malformed request from the guest: %s; device needs reset", d->name,
			why);
	/* Section 2.1.2: DEVICE_NEEDS_RESET is announced with a configuration
	 * change notification. */
	if (d->interrupt)
		d->interrupt(d, VIRTIO_ISR_CONFIG);
}

bool virtio_dev_has_feature(const struct virtio_dev *d, unsigned bit)
{
	return bit < 64 && (d->features & (1ULL << bit));
}
