/* queue.c: split virtqueues (virtio 1.x section 2.7), device side. */
#include "vmm/virtio/queue.h"

#include <endian.h>
#include <errno.h>
#include <string.h>

#include <linux/virtio_ring.h>

/* Host views of the three ring areas, valid for one operation only: the
 * driver may reconfigure nothing while the queue is ready, but looking the
 * areas up each time keeps every access behind guest_mem_ptr(). */
struct ring {
	volatile struct vring_desc *desc;
	volatile struct vring_avail *avail;
	volatile struct vring_used *used;
};

/*
 * Section 2.7: descriptor table 16 * size bytes, 16-aligned; driver area
 * 6 + 2 * size, 2-aligned; device area 6 + 8 * size, 4-aligned. The trailing
 * used_event / avail_event words are part of the layout in 1.x whether or not
 * EVENT_IDX is negotiated.
 */
static int ring_map(const struct virtq *q, struct ring *r)
{
	uint64_t n = q->size;

	if (!q->mem || n == 0 || n > VIRTQ_MAX_SIZE)
		return -EINVAL;
	if ((q->desc_gpa & 15) || (q->avail_gpa & 1) || (q->used_gpa & 3))
		return -EINVAL;
	r->desc = guest_mem_ptr(q->mem, q->desc_gpa, 16 * n);
	r->avail = guest_mem_ptr(q->mem, q->avail_gpa, 6 + 2 * n);
	r->used = guest_mem_ptr(q->mem, q->used_gpa, 6 + 8 * n);
	if (!r->desc || !r->avail || !r->used)
		return -EINVAL;
	return 0;
}

static uint16_t load16(volatile const uint16_t *p)
{
	return le16toh(__atomic_load_n(p, __ATOMIC_RELAXED));
}

static void store16(volatile uint16_t *p, uint16_t v)
{
	__atomic_store_n(p, htole16(v), __ATOMIC_RELAXED);
}

void virtq_reset(struct virtq *q)
{
	const struct guest_mem *mem = q->mem;

	memset(q, 0, sizeof(*q));
	q->mem = mem;
}

/* Distance the driver's avail index is ahead of us, or -EINVAL when it claims
 * more chains than the ring can hold (section 2.7.13: idx only moves forward
 * by the number of entries added). */
static int avail_count(const struct virtq *q, const struct ring *r)
{
	uint16_t n = (uint16_t)(load16(&r->avail->idx) - q->last_avail_idx);

	return n > q->size ? -EINVAL : n;
}

/* struct vring_desc without its alignment: an indirect table may sit at any
 * address the driver chose (section 2.7.5.3 asks for none). */
struct desc_unaligned {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
} __attribute__((packed));

/* Read one descriptor field by field so that a concurrent change by the
 * driver cannot make us validate one value and use another. */
static void desc_read(volatile const struct vring_desc *desc, struct vring_desc *d)
{
	volatile const struct desc_unaligned *src = (volatile const void *)desc;

	d->addr = le64toh(src->addr);
	d->len = le32toh(src->len);
	d->flags = le16toh(src->flags);
	d->next = le16toh(src->next);
}

static int walk_chain(const struct virtq *q, const struct ring *r, uint16_t head,
		      struct virtq_elem *e)
{
	volatile const struct vring_desc *table = r->desc;
	uint32_t table_size = q->size, steps = 0, idx = head;
	bool indirect = false;
	unsigned nsegs = 0;

	e->head = head;
	e->n_out = e->n_in = 0;
	e->out_len = e->in_len = 0;

	for (;;) {
		struct vring_desc d;
		void *p;

		/* A chain visits each descriptor of its table at most once, so
		 * more steps than entries means a loop (section 2.7.5.2). */
		if (++steps > table_size)
			return -EINVAL;
		desc_read(&table[idx], &d);

		if (d.flags & VRING_DESC_F_INDIRECT) {
			/* Section 2.7.5.3.1: only with the feature, never nested,
			 * never combined with NEXT, a whole number of entries.
			 * Only the head may point at a table (as every driver
			 * does); the WRITE flag of this descriptor is ignored. */
			if (!q->indirect || indirect || steps != 1 || (d.flags & VRING_DESC_F_NEXT))
				return -EINVAL;
			if (d.len == 0 || d.len % sizeof(struct vring_desc))
				return -EINVAL;
			table = guest_mem_ptr(q->mem, d.addr, d.len);
			if (!table)
				return -EINVAL;
			table_size = d.len / sizeof(struct vring_desc);
			indirect = true;
			idx = 0;
			steps = 0;
			continue;
		}

		/* Zero-length buffers carry nothing and only serve to confuse
		 * length accounting; reject them like other implementations. */
		if (d.len == 0 || nsegs >= VIRTQ_MAX_SEGS)
			return -EINVAL;
		p = guest_mem_ptr(q->mem, d.addr, d.len);
		if (!p)
			return -EINVAL;
		e->iov[nsegs].iov_base = p;
		e->iov[nsegs].iov_len = d.len;
		nsegs++;
		if (d.flags & VRING_DESC_F_WRITE) {
			e->n_in++;
			e->in_len += d.len;
		} else {
			/* Section 2.7.4: readable buffers come first. */
			if (e->n_in)
				return -EINVAL;
			e->n_out++;
			e->out_len += d.len;
		}
		/* Section 2.7.5.2: a chain is at most 2^32 bytes; the used
		 * length is 32 bits, keep totals representable. */
		if (e->out_len + e->in_len > UINT32_MAX)
			return -EINVAL;

		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		idx = d.next;
		if (idx >= table_size)
			return -EINVAL;
	}
}

int virtq_pop(struct virtq *q, struct virtq_elem *e)
{
	struct ring r;
	uint16_t head;
	int n, ret;

	if (!q->ready)
		return 0;
	if (ring_map(q, &r))
		return -EINVAL;
	n = avail_count(q, &r);
	if (n == 0 && q->event_idx) {
		/* Ask for a notification on the next buffer, then look again:
		 * the driver may have added one before it saw avail_event. */
		virtq_update_avail_event(q);
		n = avail_count(q, &r);
	}
	if (n <= 0)
		return n;
	/* Section 2.7.13.1: read idx before the ring entries it covers. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);

	head = load16(&r.avail->ring[q->last_avail_idx % q->size]);
	if (head >= q->size)
		return -EINVAL;
	ret = walk_chain(q, &r, head, e);
	if (ret)
		return ret;
	q->last_avail_idx++;
	return 1;
}

int virtq_push(struct virtq *q, uint16_t head, uint32_t len)
{
	volatile struct vring_used_elem *u;
	struct ring r;

	if (!q->ready || ring_map(q, &r) || head >= q->size)
		return -EINVAL;
	u = &r.used->ring[q->used_idx % q->size];
	u->id = htole32(head);
	u->len = htole32(len);
	q->used_idx++;
	/* Section 2.7.14: the entry must be visible before the index. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	store16(&r.used->idx, q->used_idx);
	return 0;
}

bool virtq_should_notify(struct virtq *q)
{
	uint16_t old = q->signalled_used, new = q->used_idx;
	bool valid = q->signalled_used_valid;
	struct ring r;

	if (!q->ready || ring_map(q, &r))
		return false;
	/* Order the used->idx store before reading the driver's suppression
	 * state, or both sides can decide the other will act (2.7.10). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	q->signalled_used = new;
	q->signalled_used_valid = true;
	/* Nothing pushed since the last check (signalled_used starts at 0
	 * with the queue, so this also covers the first call). */
	if (old == new)
		return false;
	if (!q->event_idx)
		return !(load16(&r.avail->flags) & VRING_AVAIL_F_NO_INTERRUPT);
	if (!valid)
		return true;
	/* used_event sits right after the avail ring (2.7.10). */
	return vring_need_event(load16(&r.avail->ring[q->size]), new, old);
}

void virtq_update_avail_event(struct virtq *q)
{
	struct ring r;

	if (!q->event_idx || !q->ready || ring_map(q, &r))
		return;
	/* avail_event sits right after the used ring (2.7.10). */
	store16((volatile uint16_t *)((volatile uint8_t *)r.used + 4 + 8 * (size_t)q->size),
		q->last_avail_idx);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

unsigned virtq_pending(const struct virtq *q)
{
	struct ring r;
	int n;

	if (!q->ready || ring_map(q, &r))
		return 0;
	n = avail_count(q, &r);
	return n < 0 ? 0 : (unsigned)n;
}

uint64_t virtq_elem_read(const struct virtq_elem *e, uint64_t off, void *dst, uint64_t len)
{
	uint64_t done = 0;

	for (unsigned i = 0; i < e->n_out && done < len; i++) {
		uint64_t seg = e->iov[i].iov_len, n;

		if (off >= seg) {
			off -= seg;
			continue;
		}
		n = seg - off < len - done ? seg - off : len - done;
		memcpy((uint8_t *)dst + done, (uint8_t *)e->iov[i].iov_base + off, n);
		done += n;
		off = 0;
	}
	return done;
}

uint64_t virtq_elem_write(struct virtq_elem *e, uint64_t off, const void *src, uint64_t len)
{
	uint64_t done = 0;

	for (unsigned i = e->n_out; i < e->n_out + e->n_in && done < len; i++) {
		uint64_t seg = e->iov[i].iov_len, n;

		if (off >= seg) {
			off -= seg;
			continue;
		}
		n = seg - off < len - done ? seg - off : len - done;
		memcpy((uint8_t *)e->iov[i].iov_base + off, (const uint8_t *)src + done, n);
		done += n;
		off = 0;
	}
	return done;
}
