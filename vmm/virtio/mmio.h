/* mmio.h: the virtio-mmio transport (virtio 1.x section 4.2, version 2 only).
 * The only code that knows virtio-mmio register offsets. */
#ifndef HYRUN_VMM_VIRTIO_MMIO_H
#define HYRUN_VMM_VIRTIO_MMIO_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/guest_mem.h"
#include "vmm/virtio/virtio.h"

struct virtio_mmio {
	struct virtio_dev *dev;
	const struct guest_mem *mem;
	uint64_t base; /* guest-physical window base */
	uint32_t gsi;
	int irq_fd; /* eventfd: a write raises the interrupt (KVM irqfd) */

	/* Register state. */
	uint32_t status;
	uint32_t isr;
	uint32_t dev_features_sel, drv_features_sel;
	uint64_t drv_features;
	uint32_t queue_sel;
	uint32_t config_generation;
};

/* Bind a device to a transport window. irq_fd is an eventfd the caller has
 * attached to the guest's interrupt (KVM_IRQFD) and keeps owning. */
void virtio_mmio_init(struct virtio_mmio *t, struct virtio_dev *d, const struct guest_mem *mem,
		      uint64_t base, uint32_t gsi, int irq_fd);

/*
 * A guest access of `len` bytes (1, 2, 4 or 8) at `offset` inside the window.
 * Reads fill `data`; unknown or misaligned registers read as zero and ignore
 * writes. A write to QueueNotify calls the device's notify() directly (used
 * when no ioeventfd is attached, and by the tests).
 */
void virtio_mmio_access(struct virtio_mmio *t, uint64_t offset, void *data, uint32_t len,
			bool is_write);

/* Queue q was notified through an ioeventfd (event loop thread). */
void virtio_mmio_queue_notify(struct virtio_mmio *t, unsigned q);

/* The offset of QueueNotify, for the caller's ioeventfd registration. */
#define VIRTIO_MMIO_NOTIFY_OFFSET 0x50

#endif
