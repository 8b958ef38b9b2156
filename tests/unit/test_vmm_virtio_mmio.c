/* test_vmm_virtio_mmio.c: virtio-mmio register semantics against a fake device. */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "common/log.h"
#include "vmm/virtio/mmio.h"

#define FAKE_NR_QUEUES 2
#define FAKE_CONFIG_SIZE 12
#define FAKE_FEATURES ((1ULL << 1) | (1ULL << 5) | (1ULL << 28) | (1ULL << 33))

static struct fake_dev {
	struct virtio_dev dev;
	struct virtq queues[FAKE_NR_QUEUES];
	uint8_t config[FAKE_CONFIG_SIZE];
	int activate_ret;
	int activate_calls, reset_calls, notify_calls, config_reads, config_writes;
	unsigned last_notify;
	bool locked_in_ops;
} fd;

static struct virtio_mmio t;
static struct guest_mem mem;
static uint8_t *ram;
static int irq_fd;

static bool lock_held(void)
{
	/* The transport holds dev.lock around ops: a trylock must fail. */
	if (pthread_mutex_trylock(&fd.dev.lock) == 0) {
		pthread_mutex_unlock(&fd.dev.lock);
		return false;
	}
	return true;
}

static uint64_t fake_features(struct virtio_dev *d)
{
	return FAKE_FEATURES;
}

static void fake_config_read(struct virtio_dev *d, uint32_t off, void *data, uint32_t len)
{
	fd.config_reads++;
	fd.locked_in_ops = lock_held();
	memcpy(data, fd.config + off, len);
}

static void fake_config_write(struct virtio_dev *d, uint32_t off, const void *data, uint32_t len)
{
	fd.config_writes++;
	memcpy(fd.config + off, data, len);
}

static int fake_activate(struct virtio_dev *d)
{
	fd.activate_calls++;
	fd.locked_in_ops = lock_held();
	return fd.activate_ret;
}

static void fake_notify(struct virtio_dev *d, unsigned q)
{
	fd.notify_calls++;
	fd.last_notify = q;
	fd.locked_in_ops = lock_held();
}

static void fake_reset(struct virtio_dev *d)
{
	fd.reset_calls++;
	fd.locked_in_ops = lock_held();
}

static const struct virtio_dev_ops fake_ops = {
    .features = fake_features,
    .config_read = fake_config_read,
    .config_write = fake_config_write,
    .activate = fake_activate,
    .notify = fake_notify,
    .reset = fake_reset,
};

static uint32_t rd(uint64_t off)
{
	uint32_t v = 0xdeadbeef;

	virtio_mmio_access(&t, off, &v, 4, false);
	return v;
}

static void wr(uint64_t off, uint32_t v)
{
	virtio_mmio_access(&t, off, &v, 4, true);
}

static uint64_t irq_count(void)
{
	uint64_t v = 0;

	if (read(irq_fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

static void setup(void)
{
	memset(&fd, 0, sizeof(fd));
	ram = calloc(1, 0x10000);
	cr_assert_not_null(ram);
	memset(&mem, 0, sizeof(mem));
	mem.regions[0] = (struct guest_region){.gpa = 0, .size = 0x10000, .host = ram};
	mem.nr_regions = 1;
	mem.ram_size = 0x10000;
	irq_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	cr_assert_geq(irq_fd, 0);
	virtio_dev_init(&fd.dev, &fake_ops, "fake", 42, fd.queues, FAKE_NR_QUEUES, 64,
			FAKE_CONFIG_SIZE);
	virtio_mmio_init(&t, &fd.dev, &mem, 0xd0000000, 5, irq_fd);
	for (unsigned i = 0; i < FAKE_CONFIG_SIZE; i++)
		fd.config[i] = (uint8_t)(0x10 + i);
}

static void teardown(void)
{
	close(irq_fd);
	free(ram);
}

TestSuite(virtio_mmio, .init = setup, .fini = teardown);

static void negotiate(uint64_t features)
{
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
	wr(VIRTIO_MMIO_STATUS,
	   VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
}

static void setup_queue(unsigned qi, uint32_t num, uint64_t desc, uint64_t avail, uint64_t used)
{
	wr(VIRTIO_MMIO_QUEUE_SEL, qi);
	wr(VIRTIO_MMIO_QUEUE_NUM, num);
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
	wr(VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
	wr(VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)avail);
	wr(VIRTIO_MMIO_QUEUE_AVAIL_HIGH, (uint32_t)(avail >> 32));
	wr(VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)used);
	wr(VIRTIO_MMIO_QUEUE_USED_HIGH, (uint32_t)(used >> 32));
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
}

#define VERSION_1 (1ULL << VIRTIO_F_VERSION_1)

static void bring_up(void)
{
	negotiate(VERSION_1 | (1ULL << 1) | (1ULL << VIRTIO_RING_F_EVENT_IDX));
	setup_queue(0, 16, 0x1000, 0x2000, 0x3000);
	setup_queue(1, 16, 0x4000, 0x5000, 0x6000);
	wr(VIRTIO_MMIO_STATUS, rd(VIRTIO_MMIO_STATUS) | VIRTIO_CONFIG_S_DRIVER_OK);
}

Test(virtio_mmio, identity)
{
	cr_assert_eq(rd(VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
	cr_assert_eq(rd(VIRTIO_MMIO_VERSION), 2);
	cr_assert_eq(rd(VIRTIO_MMIO_DEVICE_ID), 42);
	cr_assert_neq(rd(VIRTIO_MMIO_VENDOR_ID), 0);
	cr_assert_eq(rd(VIRTIO_MMIO_STATUS), 0);
	/* Legacy-only registers and holes read as zero. */
	cr_assert_eq(rd(VIRTIO_MMIO_QUEUE_PFN), 0);
	cr_assert_eq(rd(0x0f0), 0);
}

Test(virtio_mmio, misaligned_and_narrow_register_access)
{
	uint32_t v = 0xffffffff;
	uint16_t h = 0xffff;
	uint64_t q = ~0ULL;

	virtio_mmio_access(&t, VIRTIO_MMIO_MAGIC_VALUE + 1, &v, 4, false);
	cr_assert_eq(v, 0);
	virtio_mmio_access(&t, VIRTIO_MMIO_MAGIC_VALUE, &h, 2, false);
	cr_assert_eq(h, 0);
	virtio_mmio_access(&t, VIRTIO_MMIO_MAGIC_VALUE, &q, 8, false);
	cr_assert_eq(q, 0, "64-bit accesses only in config space");
	q = 0;
	virtio_mmio_access(&t, VIRTIO_MMIO_STATUS, &q, 8, true);
	h = VIRTIO_CONFIG_S_ACKNOWLEDGE;
	virtio_mmio_access(&t, VIRTIO_MMIO_STATUS, &h, 2, true);
	cr_assert_eq(rd(VIRTIO_MMIO_STATUS), 0);
	v = VIRTIO_CONFIG_S_ACKNOWLEDGE;
	virtio_mmio_access(&t, VIRTIO_MMIO_STATUS + 2, &v, 4, true);
	cr_assert_eq(rd(VIRTIO_MMIO_STATUS), 0);
}

Test(virtio_mmio, device_features_both_halves)
{
	uint64_t f;

	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	f = rd(VIRTIO_MMIO_DEVICE_FEATURES);
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	f |= (uint64_t)rd(VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	cr_assert(f & (1ULL << 1));
	cr_assert(f & (1ULL << 5));
	cr_assert(f & VERSION_1);
	cr_assert(f & (1ULL << VIRTIO_RING_F_EVENT_IDX));
	cr_assert(f & (1ULL << VIRTIO_RING_F_INDIRECT_DESC));
	/* The device may not claim transport bits the transport does not do. */
	cr_assert_not(f & (1ULL << 33));
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 2);
	cr_assert_eq(rd(VIRTIO_MMIO_DEVICE_FEATURES), 0);
}

Test(virtio_mmio, features_ok_accepted)
{
	uint64_t want = VERSION_1 | (1ULL << 5) | (1ULL << VIRTIO_RING_F_INDIRECT_DESC);

	negotiate(want);
	cr_assert(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK);
	cr_assert_eq(fd.dev.features, want);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	cr_assert_eq(rd(VIRTIO_MMIO_DRIVER_FEATURES), (uint32_t)want);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	cr_assert_eq(rd(VIRTIO_MMIO_DRIVER_FEATURES), 1);
	/* Frozen after FEATURES_OK. */
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 0);
	cr_assert_eq(rd(VIRTIO_MMIO_DRIVER_FEATURES), 1);
	cr_assert(virtio_dev_has_feature(&fd.dev, 5));
	cr_assert_not(virtio_dev_has_feature(&fd.dev, 1));
}

Test(virtio_mmio, features_ok_refused_unoffered_bit)
{
	negotiate(VERSION_1 | (1ULL << 2));
	cr_assert_not(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK);
	cr_assert_eq(fd.dev.features, 0);
	/* A high unoffered bit too. */
	wr(VIRTIO_MMIO_STATUS, 0);
	negotiate(VERSION_1 | (1ULL << 33));
	cr_assert_not(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK);
}

Test(virtio_mmio, features_ok_refused_without_version_1)
{
	negotiate(1ULL << 1);
	cr_assert_not(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK);
	cr_assert(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_DRIVER);
	/* DRIVER_OK without FEATURES_OK is not accepted either. */
	wr(VIRTIO_MMIO_STATUS, rd(VIRTIO_MMIO_STATUS) | VIRTIO_CONFIG_S_DRIVER_OK);
	cr_assert_not(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_DRIVER_OK);
	cr_assert_eq(fd.activate_calls, 0);
}

Test(virtio_mmio, queue_config_and_ready)
{
	struct virtq *q = &fd.queues[1];

	negotiate(VERSION_1 | (1ULL << VIRTIO_RING_F_EVENT_IDX));
	wr(VIRTIO_MMIO_QUEUE_SEL, 1);
	cr_assert_eq(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), 64);
	cr_assert_eq(rd(VIRTIO_MMIO_QUEUE_READY), 0);

	/* Not a power of 2, zero, too large: ignored. */
	wr(VIRTIO_MMIO_QUEUE_NUM, 24);
	wr(VIRTIO_MMIO_QUEUE_NUM, 0);
	wr(VIRTIO_MMIO_QUEUE_NUM, 128);
	cr_assert_eq(q->size, 0);
	/* Ready without a size is refused. */
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	cr_assert_eq(rd(VIRTIO_MMIO_QUEUE_READY), 0);

	setup_queue(1, 32, 0x123456789000ULL, 0xabcd00002000ULL, 0x3000);
	cr_assert_eq(rd(VIRTIO_MMIO_QUEUE_READY), 1);
	cr_assert(q->ready);
	cr_assert_eq(q->size, 32);
	cr_assert_eq(q->desc_gpa, 0x123456789000ULL);
	cr_assert_eq(q->avail_gpa, 0xabcd00002000ULL);
	cr_assert_eq(q->used_gpa, 0x3000);
	cr_assert(q->event_idx);
	cr_assert_not(q->indirect);
	cr_assert_eq(q->mem, &mem);
	cr_assert_not(fd.queues[0].ready);

	/* Live queue: configuration writes are ignored. */
	wr(VIRTIO_MMIO_QUEUE_NUM, 16);
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW, 0x5000);
	wr(VIRTIO_MMIO_QUEUE_USED_HIGH, 1);
	cr_assert_eq(q->size, 32);
	cr_assert_eq(q->desc_gpa, 0x123456789000ULL);
	cr_assert_eq(q->used_gpa, 0x3000);

	wr(VIRTIO_MMIO_QUEUE_READY, 0);
	cr_assert_not(q->ready);
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW, 0x5000);
	cr_assert_eq(q->desc_gpa, 0x123400005000ULL);

	/* A selector past the last queue reads as an absent queue. */
	wr(VIRTIO_MMIO_QUEUE_SEL, FAKE_NR_QUEUES);
	cr_assert_eq(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	cr_assert_eq(rd(VIRTIO_MMIO_QUEUE_READY), 0);
}

Test(virtio_mmio, driver_ok_activates)
{
	bring_up();
	cr_assert_eq(fd.activate_calls, 1);
	cr_assert(fd.locked_in_ops, "ops run under dev->lock");
	cr_assert(fd.dev.active);
	cr_assert(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_DRIVER_OK);
	cr_assert_not(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	/* Writing DRIVER_OK again does not re-activate. */
	wr(VIRTIO_MMIO_STATUS, rd(VIRTIO_MMIO_STATUS));
	cr_assert_eq(fd.activate_calls, 1);
}

Test(virtio_mmio, activate_failure_needs_reset)
{
	fd.activate_ret = -ENOMEM;
	bring_up();
	cr_assert_eq(fd.activate_calls, 1);
	cr_assert_not(fd.dev.active);
	cr_assert(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	cr_assert(rd(VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_CONFIG);
	cr_assert_geq(irq_count(), 1);
	/* The driver cannot set NEEDS_RESET or clear it but by reset. */
	wr(VIRTIO_MMIO_STATUS, 0);
	cr_assert_eq(rd(VIRTIO_MMIO_STATUS), 0);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_NEEDS_RESET);
	cr_assert_eq(rd(VIRTIO_MMIO_STATUS), VIRTIO_CONFIG_S_ACKNOWLEDGE);
}

Test(virtio_mmio, reset_clears_everything)
{
	bring_up();
	fd.dev.interrupt(&fd.dev, VIRTIO_ISR_QUEUE);
	wr(VIRTIO_MMIO_QUEUE_SEL, 1);
	wr(VIRTIO_MMIO_STATUS, 0);
	cr_assert_eq(fd.reset_calls, 1);
	cr_assert(fd.locked_in_ops);
	cr_assert_eq(rd(VIRTIO_MMIO_STATUS), 0);
	cr_assert_eq(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	cr_assert_eq(t.queue_sel, 0);
	cr_assert_eq(fd.dev.features, 0);
	cr_assert_not(fd.dev.active);
	for (unsigned i = 0; i < FAKE_NR_QUEUES; i++) {
		cr_assert_not(fd.queues[i].ready);
		cr_assert_eq(fd.queues[i].size, 0);
		cr_assert_eq(fd.queues[i].desc_gpa, 0);
		cr_assert_eq(fd.queues[i].used_gpa, 0);
		cr_assert_not(fd.queues[i].event_idx);
		cr_assert_eq(fd.queues[i].mem, &mem);
	}
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	cr_assert_eq(rd(VIRTIO_MMIO_DRIVER_FEATURES), 0);
	/* And it can be brought up again. */
	bring_up();
	cr_assert_eq(fd.activate_calls, 2);
	cr_assert(fd.dev.active);
}

Test(virtio_mmio, interrupt_status_and_ack)
{
	cr_assert_eq(irq_count(), 0);
	fd.dev.interrupt(&fd.dev, VIRTIO_ISR_QUEUE);
	cr_assert_eq(rd(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
	cr_assert_eq(irq_count(), 1);
	fd.dev.interrupt(&fd.dev, VIRTIO_ISR_CONFIG);
	cr_assert_eq(rd(VIRTIO_MMIO_INTERRUPT_STATUS),
		     VIRTIO_MMIO_INT_VRING | VIRTIO_MMIO_INT_CONFIG);
	wr(VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
	cr_assert_eq(rd(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG);
	wr(VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_CONFIG);
	cr_assert_eq(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	cr_assert_eq(irq_count(), 1);
}

Test(virtio_mmio, set_broken_raises_needs_reset)
{
	bring_up();
	virtio_dev_set_broken(&fd.dev, "test");
	cr_assert(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	cr_assert(rd(VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_CONFIG);
	cr_assert_eq(irq_count(), 1);
	/* No more notifications reach a broken device. */
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	cr_assert_eq(fd.notify_calls, 0);
}

Test(virtio_mmio, config_space_bounds)
{
	uint8_t b = 0;
	uint16_t h = 0;
	uint32_t v = 0;
	uint64_t q = 0;

	virtio_mmio_access(&t, VIRTIO_MMIO_CONFIG + 3, &b, 1, false);
	cr_assert_eq(b, 0x13);
	virtio_mmio_access(&t, VIRTIO_MMIO_CONFIG + 2, &h, 2, false);
	cr_assert_eq(h, 0x1312);
	virtio_mmio_access(&t, VIRTIO_MMIO_CONFIG + 4, &q, 8, false);
	cr_assert_eq(q, 0x1b1a191817161514ULL);
	cr_assert_eq(rd(VIRTIO_MMIO_CONFIG + 8), 0x1b1a1918);
	cr_assert(fd.locked_in_ops);
	cr_assert_eq(fd.config_reads, 4);

	/* Straddling or beyond the end: zero, and the device is not asked. */
	v = 0xffffffff;
	virtio_mmio_access(&t, VIRTIO_MMIO_CONFIG + FAKE_CONFIG_SIZE - 2, &v, 4, false);
	cr_assert_eq(v, 0);
	q = ~0ULL;
	virtio_mmio_access(&t, VIRTIO_MMIO_CONFIG + 8, &q, 8, false);
	cr_assert_eq(q, 0);
	cr_assert_eq(rd(VIRTIO_MMIO_CONFIG + 0x80), 0);
	cr_assert_eq(rd(0x1fc), 0);
	cr_assert_eq(fd.config_reads, 4);

	wr(VIRTIO_MMIO_CONFIG + FAKE_CONFIG_SIZE, 0x55);
	wr(VIRTIO_MMIO_CONFIG + FAKE_CONFIG_SIZE - 2, 0x55);
	cr_assert_eq(fd.config_writes, 0);
	wr(VIRTIO_MMIO_CONFIG + 8, 0xcafef00d);
	cr_assert_eq(fd.config_writes, 1);
	cr_assert_eq(rd(VIRTIO_MMIO_CONFIG + 8), 0xcafef00d);

	/* Odd lengths are not bus accesses. */
	v = 0xffffffff;
	virtio_mmio_access(&t, VIRTIO_MMIO_CONFIG, &v, 3, false);
	cr_assert_eq(v, 0xffffffff);
}

Test(virtio_mmio, notify_calls_device)
{
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	cr_assert_eq(fd.notify_calls, 0, "not before DRIVER_OK");
	bring_up();
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	cr_assert_eq(fd.notify_calls, 1);
	cr_assert_eq(fd.last_notify, 1);
	cr_assert(fd.locked_in_ops);
	virtio_mmio_queue_notify(&t, 0);
	cr_assert_eq(fd.notify_calls, 2);
	cr_assert_eq(fd.last_notify, 0);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, FAKE_NR_QUEUES);
	virtio_mmio_queue_notify(&t, 1000);
	cr_assert_eq(fd.notify_calls, 2);
	/* A queue the driver switched off is not notified. */
	wr(VIRTIO_MMIO_QUEUE_SEL, 1);
	wr(VIRTIO_MMIO_QUEUE_READY, 0);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	cr_assert_eq(fd.notify_calls, 2);
}

Test(virtio_mmio, shm_regions_absent_and_generation)
{
	wr(VIRTIO_MMIO_SHM_SEL, 0);
	cr_assert_eq(rd(VIRTIO_MMIO_SHM_LEN_LOW), 0xffffffff);
	cr_assert_eq(rd(VIRTIO_MMIO_SHM_LEN_HIGH), 0xffffffff);
	cr_assert_eq(rd(VIRTIO_MMIO_CONFIG_GENERATION), rd(VIRTIO_MMIO_CONFIG_GENERATION));
}

static unsigned log_lines;

static void count_log_lines(enum log_level level, const char *prog, const char *msg)
{
	log_lines++;
}

/* A guest repeats a mistake as often as it likes: the VMM says so at most once a second
 * (its stderr is a log on the host's disk), and still says it the first time. */
Test(virtio_mmio, repeated_guest_mistakes_are_rate_limited)
{
	log_lines = 0;
	log_set_writer(count_log_lines);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	for (int i = 0; i < 1000; i++) {
		wr(VIRTIO_MMIO_QUEUE_NUM, 3);
		/* No VERSION_1: refused. */
		wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_FEATURES_OK);
	}
	log_set_writer(NULL);
	cr_assert_geq(log_lines, 1);
	cr_assert_lt(log_lines, 10, "%u lines for 2000 refused writes", log_lines);
	cr_assert_eq(fd.queues[0].size, 0);
	cr_assert_eq(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK, 0);
}

Test(virtio_mmio, repeated_breaking_is_rate_limited)
{
	log_lines = 0;
	log_set_writer(count_log_lines);
	for (int i = 0; i < 1000; i++) {
		bring_up();
		virtio_dev_set_broken(&fd.dev, "test");
		cr_assert(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
		wr(VIRTIO_MMIO_STATUS, 0);
	}
	log_set_writer(NULL);
	cr_assert_geq(log_lines, 1);
	cr_assert_lt(log_lines, 10, "%u lines for 1000 breaks", log_lines);
}
