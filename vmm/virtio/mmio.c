/* mmio.c: the virtio-mmio transport, version 2 (virtio 1.x section 4.2.2). */
#include "vmm/virtio/mmio.h"

#include <endian.h>
#include <string.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "common/log.h"

#define MMIO_MAGIC 0x74726976u /* "virt" */
#define MMIO_VERSION 2u
#define MMIO_VENDOR 0x55525948u /* "HYRU" in guest memory order */

/* Feature bits 28..41 belong to the transport (section 6); the device only
 * contributes the others, and we offer exactly the ring features we handle. */
#define TRANSPORT_FEATURES_MASK                                                                    \
	(((1ULL << (VIRTIO_TRANSPORT_F_END + 1)) - 1) & ~((1ULL << VIRTIO_TRANSPORT_F_START) - 1))
#define TRANSPORT_FEATURES                                                                         \
	((1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_RING_F_EVENT_IDX) |                        \
	 (1ULL << VIRTIO_RING_F_INDIRECT_DESC))

static uint64_t offered_features(struct virtio_mmio *t)
{
	struct virtio_dev *d = t->dev;
	uint64_t f = d->ops->features ? d->ops->features(d) : 0;

	return (f & ~TRANSPORT_FEATURES_MASK) | TRANSPORT_FEATURES;
}

static struct virtq *selected_queue(struct virtio_mmio *t)
{
	return t->queue_sel < t->dev->nr_queues ? &t->dev->queues[t->queue_sel] : NULL;
}

/* Called with dev->lock held (virtio.h). */
static void mmio_interrupt(struct virtio_dev *d, uint32_t isr_bits)
{
	struct virtio_mmio *t = d->transport;
	uint64_t one = 1;

	if (d->broken)
		t->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	__atomic_fetch_or(&t->isr, isr_bits, __ATOMIC_SEQ_CST);
	if (t->irq_fd >= 0 && write(t->irq_fd, &one, sizeof(one)) != sizeof(one))
		log_warn("%s: cannot raise interrupt: %m", d->name);
}

static void device_reset(struct virtio_mmio *t)
{
	struct virtio_dev *d = t->dev;

	if (d->ops->reset)
		d->ops->reset(d);
	for (unsigned i = 0; i < d->nr_queues; i++) {
		virtq_reset(&d->queues[i]);
		d->queues[i].mem = t->mem;
	}
	t->status = 0;
	t->isr = 0;
	t->dev_features_sel = 0;
	t->drv_features_sel = 0;
	t->drv_features = 0;
	t->queue_sel = 0;
	d->features = 0;
	d->active = false;
	d->broken = false;
}

static void apply_ring_features(struct virtio_mmio *t, struct virtq *q)
{
	q->mem = t->mem;
	q->event_idx = virtio_dev_has_feature(t->dev, VIRTIO_RING_F_EVENT_IDX);
	q->indirect = virtio_dev_has_feature(t->dev, VIRTIO_RING_F_INDIRECT_DESC);
}

static void status_write(struct virtio_mmio *t, uint32_t v)
{
	struct virtio_dev *d = t->dev;
	uint32_t old = t->status, new;
	int ret;

	/* Section 4.2.2.1: writing zero resets the device. */
	if (v == 0) {
		device_reset(t);
		return;
	}
	/* The driver only ever sets bits (section 3.1.1); NEEDS_RESET is ours. */
	new = old | (v & ~(uint32_t)VIRTIO_CONFIG_S_NEEDS_RESET);

	if ((new &VIRTIO_CONFIG_S_FEATURES_OK) && !(old & VIRTIO_CONFIG_S_FEATURES_OK)) {
		/* Section 3.1.1 step 5/6: refuse by not keeping FEATURES_OK.
		 * This transport only speaks the 1.x layout. */
		if ((t->drv_features & ~offered_features(t)) ||
		    !(t->drv_features & (1ULL << VIRTIO_F_VERSION_1))) {
			log_ratelimited(&d->guest_log, LOG_WARN,
					"%s: driver features %#llx refused", d->name,
					(unsigned long long)t->drv_features);
			new &= ~(uint32_t)VIRTIO_CONFIG_S_FEATURES_OK;
		} else {
			d->features = t->drv_features;
		}
	}

	if ((new &VIRTIO_CONFIG_S_DRIVER_OK) && !(old & VIRTIO_CONFIG_S_DRIVER_OK)) {
		if (!(new &VIRTIO_CONFIG_S_FEATURES_OK)) {
			new &= ~(uint32_t)VIRTIO_CONFIG_S_DRIVER_OK;
		} else {
			for (unsigned i = 0; i < d->nr_queues; i++)
				apply_ring_features(t, &d->queues[i]);
			t->status = new;
			ret = d->ops->activate ? d->ops->activate(d) : 0;
			if (ret) {
				log_ratelimited(&d->guest_log, LOG_ERROR,
						"%s: activation failed: %s", d->name,
						strerror(-ret));
				d->broken = true;
				t->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
				mmio_interrupt(d, VIRTIO_ISR_CONFIG);
			} else {
				d->active = true;
			}
			return;
		}
	}
	t->status = new;
}

static void set_low(uint64_t *v, uint32_t lo)
{
	*v = (*v & 0xffffffff00000000ULL) | lo;
}

static void set_high(uint64_t *v, uint32_t hi)
{
	*v = (*v & 0xffffffffULL) | ((uint64_t)hi << 32);
}

static void notify_locked(struct virtio_mmio *t, unsigned qi)
{
	struct virtio_dev *d = t->dev;

	/* Section 3.1.1: nothing is consumed before DRIVER_OK; the device's
	 * activate() picks up whatever the driver queued before that. */
	if (qi >= d->nr_queues || !d->active || d->broken || !d->queues[qi].ready)
		return;
	if (d->ops->notify)
		d->ops->notify(d, qi);
}

static uint32_t reg_read(struct virtio_mmio *t, uint64_t off)
{
	struct virtio_dev *d = t->dev;
	struct virtq *q = selected_queue(t);

	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION:
		return MMIO_VERSION;
	case VIRTIO_MMIO_DEVICE_ID:
		return d->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return MMIO_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		if (t->dev_features_sel > 1)
			return 0;
		return (uint32_t)(offered_features(t) >> (32 * t->dev_features_sel));
	case VIRTIO_MMIO_DRIVER_FEATURES:
		if (t->drv_features_sel > 1)
			return 0;
		return (uint32_t)(t->drv_features >> (32 * t->drv_features_sel));
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return q ? d->queue_max : 0;
	case VIRTIO_MMIO_QUEUE_NUM:
		return q ? q->size : 0;
	case VIRTIO_MMIO_QUEUE_READY:
		return q ? q->ready : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return __atomic_load_n(&t->isr, __ATOMIC_SEQ_CST);
	case VIRTIO_MMIO_STATUS:
		return t->status;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
		return q ? (uint32_t)q->desc_gpa : 0;
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		return q ? (uint32_t)(q->desc_gpa >> 32) : 0;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
		return q ? (uint32_t)q->avail_gpa : 0;
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
		return q ? (uint32_t)(q->avail_gpa >> 32) : 0;
	case VIRTIO_MMIO_QUEUE_USED_LOW:
		return q ? (uint32_t)q->used_gpa : 0;
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		return q ? (uint32_t)(q->used_gpa >> 32) : 0;
	/* Section 4.2.2: a region that does not exist has length -1. */
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
	case VIRTIO_MMIO_SHM_BASE_LOW:
	case VIRTIO_MMIO_SHM_BASE_HIGH:
		return 0xffffffffu;
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return t->config_generation;
	default:
		return 0;
	}
}

static void reg_write(struct virtio_mmio *t, uint64_t off, uint32_t v)
{
	struct virtio_dev *d = t->dev;
	struct virtq *q = selected_queue(t);
	/* Section 4.2.2.2: queue registers describe a queue that is not live. */
	struct virtq *cfg_q = q && !q->ready ? q : NULL;

	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		t->dev_features_sel = v;
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		/* Kept as written; FEATURES_OK decides whether it is acceptable. */
		if (t->status & VIRTIO_CONFIG_S_FEATURES_OK)
			break;
		if (t->drv_features_sel == 0)
			set_low(&t->drv_features, v);
		else if (t->drv_features_sel == 1)
			set_high(&t->drv_features, v);
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		t->drv_features_sel = v;
		break;
	case VIRTIO_MMIO_QUEUE_SEL:
		t->queue_sel = v;
		break;
	case VIRTIO_MMIO_QUEUE_NUM:
		/* The split ring's free-running indices need a power of 2. */
		if (!cfg_q)
			break;
		if (v == 0 || v > d->queue_max || (v & (v - 1))) {
			log_ratelimited(&d->guest_log, LOG_WARN, "%s: queue %u: bad size %u",
					d->name, t->queue_sel, v);
			break;
		}
		cfg_q->size = (uint16_t)v;
		break;
	case VIRTIO_MMIO_QUEUE_READY:
		if (!q)
			break;
		if (!v) {
			q->ready = false;
			break;
		}
		if (q->ready || q->size == 0)
			break;
		apply_ring_features(t, q);
		q->last_avail_idx = 0;
		q->used_idx = 0;
		q->signalled_used = 0;
		q->signalled_used_valid = false;
		q->ready = true;
		break;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		notify_locked(t, v);
		break;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		__atomic_fetch_and(&t->isr, ~v, __ATOMIC_SEQ_CST);
		break;
	case VIRTIO_MMIO_STATUS:
		status_write(t, v);
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
		if (cfg_q)
			set_low(&cfg_q->desc_gpa, v);
		break;
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		if (cfg_q)
			set_high(&cfg_q->desc_gpa, v);
		break;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
		if (cfg_q)
			set_low(&cfg_q->avail_gpa, v);
		break;
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
		if (cfg_q)
			set_high(&cfg_q->avail_gpa, v);
		break;
	case VIRTIO_MMIO_QUEUE_USED_LOW:
		if (cfg_q)
			set_low(&cfg_q->used_gpa, v);
		break;
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		if (cfg_q)
			set_high(&cfg_q->used_gpa, v);
		break;
	default:
		break;
	}
}

static void config_access(struct virtio_mmio *t, uint64_t off, void *data, uint32_t len,
			  bool is_write)
{
	struct virtio_dev *d = t->dev;

	if (off > d->config_size || len > d->config_size - off)
		return;
	if (is_write) {
		if (d->ops->config_write)
			d->ops->config_write(d, (uint32_t)off, data, len);
	} else if (d->ops->config_read) {
		d->ops->config_read(d, (uint32_t)off, data, len);
	}
}

void virtio_mmio_init(struct virtio_mmio *t, struct virtio_dev *d, const struct guest_mem *mem,
		      uint64_t base, uint32_t gsi, int irq_fd)
{
	memset(t, 0, sizeof(*t));
	t->dev = d;
	t->mem = mem;
	t->base = base;
	t->gsi = gsi;
	t->irq_fd = irq_fd;
	d->transport = t;
	d->interrupt = mmio_interrupt;
	for (unsigned i = 0; i < d->nr_queues; i++)
		d->queues[i].mem = mem;
}

void virtio_mmio_access(struct virtio_mmio *t, uint64_t offset, void *data, uint32_t len,
			bool is_write)
{
	struct virtio_dev *d = t->dev;
	uint32_t v;

	if (len != 1 && len != 2 && len != 4 && len != 8)
		return;
	if (!is_write)
		memset(data, 0, len);

	pthread_mutex_lock(&d->lock);
	if (offset >= VIRTIO_MMIO_CONFIG) {
		config_access(t, offset - VIRTIO_MMIO_CONFIG, data, len, is_write);
	} else if (len == 4 && !(offset & 3)) {
		/* Section 4.2.2.2: control registers are 32-bit, aligned. */
		if (is_write) {
			memcpy(&v, data, 4);
			reg_write(t, offset, le32toh(v));
		} else {
			v = htole32(reg_read(t, offset));
			memcpy(data, &v, 4);
		}
	}
	pthread_mutex_unlock(&d->lock);
}

void virtio_mmio_queue_notify(struct virtio_mmio *t, unsigned q)
{
	pthread_mutex_lock(&t->dev->lock);
	notify_locked(t, q);
	pthread_mutex_unlock(&t->dev->lock);
}
