/* virtio.h: the device side of a virtio device, independent of the transport.
 *
 * A device embeds struct virtio_dev and supplies a small ops table. Only the
 * transport (mmio.c) decodes registers; a device sees its queues, its config
 * space and the negotiated features.
 *
 * Locking: the transport holds dev->lock around every ops call. Register
 * accesses arrive on vCPU threads, queue notifications and back-end events on
 * the event loop thread; a device that touches its state from its own
 * back-end callbacks takes dev->lock itself.
 */
#ifndef HYRUN_VMM_VIRTIO_VIRTIO_H
#define HYRUN_VMM_VIRTIO_VIRTIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/log.h"
#include "vmm/virtio/queue.h"

struct virtio_dev;

struct virtio_dev_ops {
	/* Device-specific feature bits offered (the transport adds
	 * VIRTIO_F_VERSION_1, VIRTIO_RING_F_EVENT_IDX and
	 * VIRTIO_RING_F_INDIRECT_DESC, which the queue code handles). */
	uint64_t (*features)(struct virtio_dev *d);
	/* Config space access; off + len is within config_size. */
	void (*config_read)(struct virtio_dev *d, uint32_t off, void *data, uint32_t len);
	void (*config_write)(struct virtio_dev *d, uint32_t off, const void *data, uint32_t len);
	/* The driver set DRIVER_OK: queues are configured. Return 0 or -errno
	 * (the transport then sets DEVICE_NEEDS_RESET). */
	int (*activate)(struct virtio_dev *d);
	/* The driver notified queue q (event loop thread). */
	void (*notify)(struct virtio_dev *d, unsigned q);
	/* The driver reset the device: drop all queue state. */
	void (*reset)(struct virtio_dev *d);
};

struct virtio_dev {
	const struct virtio_dev_ops *ops;
	const char *name;   /* for messages */
	uint32_t device_id; /* VIRTIO_ID_* */
	unsigned nr_queues;
	struct virtq *queues; /* nr_queues entries, owned by the device */
	uint16_t queue_max;   /* largest queue size offered */
	uint32_t config_size;
	uint64_t features; /* negotiated (driver-accepted) bits */
	bool active;	   /* DRIVER_OK seen and activate() succeeded */
	bool broken;	   /* a malformed request was seen */
	pthread_mutex_t lock;
	/* What the guest can repeat at will costs at most a line a second each
	 * (kept across resets): the device stopping for a malformed request, and
	 * the guest's other mistakes (refused features, queue sizes, control
	 * messages). The VMM's stderr is a log on the host's disk. */
	struct log_ratelimit broken_log, guest_log;

	/* Set by the transport: raise the used-buffer (isr bit 0) or config
	 * change (bit 1) interrupt. Callable with dev->lock held. */
	void (*interrupt)(struct virtio_dev *d, uint32_t isr_bits);
	void *transport;
};

#define VIRTIO_ISR_QUEUE 1u
#define VIRTIO_ISR_CONFIG 2u

/* Helpers for devices. */
void virtio_dev_init(struct virtio_dev *d, const struct virtio_dev_ops *ops, const char *name,
		     uint32_t device_id, struct virtq *queues, unsigned nr_queues,
		     uint16_t queue_max, uint32_t config_size);
/* Push-side notification: raise the queue interrupt if virtq_should_notify(). */
void virtio_dev_notify_used(struct virtio_dev *d, struct virtq *q);
/* Mark the device broken after a malformed request: logs `why`, raises a
 * config interrupt with DEVICE_NEEDS_RESET set by the transport. */
void virtio_dev_set_broken(struct virtio_dev *d, const char *why);
bool virtio_dev_has_feature(const struct virtio_dev *d, unsigned bit);

#endif
