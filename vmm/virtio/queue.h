/* queue.h: split virtqueues (virtio 1.x, section 2.7), device side.
 *
 * Contract: the guest owns the ring memory and may change it at any time;
 * nothing read from it is trusted. virtq_pop() validates every descriptor
 * (address range through guest_mem_ptr(), chain length bounded by the queue
 * size, indirect tables, direction order) and reports a malformed chain as
 * -EINVAL; the device then marks itself broken (DEVICE_NEEDS_RESET).
 */
#ifndef HYRUN_VMM_VIRTIO_QUEUE_H
#define HYRUN_VMM_VIRTIO_QUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vmm/guest_mem.h"

#define VIRTQ_MAX_SIZE 1024 /* largest queue size a device offers */
#define VIRTQ_MAX_SEGS 256  /* most buffers one element may carry */

struct virtq {
	/* Set by the transport from the driver's configuration. */
	uint16_t size; /* queue size chosen by the driver (the transport only
			  accepts powers of 2, as the split ring needs) */
	bool ready;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	bool event_idx; /* VIRTIO_F_RING_EVENT_IDX negotiated */
	bool indirect;	/* VIRTIO_RING_F_INDIRECT_DESC negotiated */
	const struct guest_mem *mem;

	/* Device-side state. */
	uint16_t last_avail_idx; /* next avail ring entry to consume */
	uint16_t used_idx;	 /* next used ring entry to fill */
	uint16_t signalled_used; /* used_idx when the driver was last notified */
	bool signalled_used_valid;
};

struct virtq_elem {
	uint16_t head;		  /* descriptor index to return in the used ring */
	unsigned n_out;		  /* device-readable buffers: iov[0 .. n_out) */
	unsigned n_in;		  /* device-writable buffers: iov[n_out .. n_out + n_in) */
	uint64_t out_len, in_len; /* total bytes of each kind */
	struct iovec iov[VIRTQ_MAX_SEGS];
};

/* Reset device-side state (queue disabled, indices zero). */
void virtq_reset(struct virtq *q);

/*
 * Take the next available chain. Returns 1 with *e filled, 0 when the ring
 * is empty, -EINVAL when the ring or the chain is malformed (addresses out of
 * guest RAM, loops, chains longer than the queue, a readable buffer after a
 * writable one, zero-length or overflowing lengths, a bad avail index, more
 * than VIRTQ_MAX_SEGS buffers, an indirect table that is misaligned in size,
 * nested, or used without the feature).
 * With event_idx, finding the ring empty also publishes avail_event and
 * re-checks, so a caller that loops until 0 never misses a notification.
 */
int virtq_pop(struct virtq *q, struct virtq_elem *e);

/* Return a chain to the driver with `len` bytes written into its writable
 * buffers. Returns 0 or -EINVAL (used ring outside guest RAM). */
int virtq_push(struct virtq *q, uint16_t head, uint32_t len);

/* Whether the driver wants an interrupt for what was pushed since the last
 * call that returned true (honours VIRTQ_AVAIL_F_NO_INTERRUPT and used_event). */
bool virtq_should_notify(struct virtq *q);

/* With event_idx: publish avail_event = last_avail_idx so the driver notifies
 * on the next buffer. No-op otherwise. */
void virtq_update_avail_event(struct virtq *q);

/* Number of available chains not yet popped (0 when not ready or broken). */
unsigned virtq_pending(const struct virtq *q);

/* Copy helpers over an element's buffers. Return bytes copied. */
uint64_t virtq_elem_read(const struct virtq_elem *e, uint64_t off, void *dst, uint64_t len);
uint64_t virtq_elem_write(struct virtq_elem *e, uint64_t off, const void *src, uint64_t len);

#endif
