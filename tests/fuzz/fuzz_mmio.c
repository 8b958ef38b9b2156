/* fuzz_mmio.c: the virtio-mmio transport under a sequence of guest register accesses.
 *
 * A trivial device (two queues, 24 bytes of config space) sits behind the
 * transport; its callbacks check what the transport promises them: config
 * accesses inside config space, notify only for a live queue of an active
 * device, activate only with FEATURES_OK. On notify it pops and pushes
 * everything, so queue addresses the guest programmed are exercised too.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>

#include "tests/fuzz/fuzz.h"
#include "vmm/guest_mem.h"
#include "vmm/virtio/mmio.h"
#include "vmm/virtio/virtio.h"

#define RAM_SIZE 0x10000u
#define NR_QUEUES 2
#define CONFIG_SIZE 24

struct fake {
	struct virtio_dev dev;
	struct virtq queues[NR_QUEUES];
	uint8_t config[CONFIG_SIZE];
	uint64_t features;
	int activate_ret;
};

static uint8_t *ram;
static struct guest_mem gm;
static struct fake fake;
static struct virtio_mmio mt;
static struct virtq_elem elem;
static int irq_fd = -1;

static struct fake *to_fake(struct virtio_dev *d)
{
	return (struct fake *)((char *)d - offsetof(struct fake, dev));
}

static uint64_t fake_features(struct virtio_dev *d)
{
	return to_fake(d)->features;
}

static void fake_config_read(struct virtio_dev *d, uint32_t off, void *data, uint32_t len)
{
	FUZZ_CHECK(off <= CONFIG_SIZE && len <= CONFIG_SIZE - off);
	memcpy(data, to_fake(d)->config + off, len);
}

static void fake_config_write(struct virtio_dev *d, uint32_t off, const void *data, uint32_t len)
{
	FUZZ_CHECK(off <= CONFIG_SIZE && len <= CONFIG_SIZE - off);
	memcpy(to_fake(d)->config + off, data, len);
}

static int fake_activate(struct virtio_dev *d)
{
	FUZZ_CHECK(mt.status & VIRTIO_CONFIG_S_FEATURES_OK);
	FUZZ_CHECK(d->features & (1ULL << VIRTIO_F_VERSION_1));
	return to_fake(d)->activate_ret;
}

static void fake_notify(struct virtio_dev *d, unsigned qi)
{
	struct virtq *q;
	bool pushed = false;
	int ret;

	FUZZ_CHECK(qi < NR_QUEUES);
	FUZZ_CHECK(d->active && !d->broken);
	q = &d->queues[qi];
	FUZZ_CHECK(q->ready && q->size && q->size <= d->queue_max && !(q->size & (q->size - 1)));
	for (int i = 0; i < 64; i++) {
		ret = virtq_pop(q, &elem);
		if (ret < 0) {
			virtio_dev_set_broken(d, "bad chain");
			break;
		}
		if (ret == 0)
			break;
		virtq_elem_write(&elem, 0, fake.config, sizeof(fake.config));
		if (virtq_push(q, elem.head, (uint32_t)elem.in_len) < 0) {
			virtio_dev_set_broken(d, "bad used ring");
			break;
		}
		pushed = true;
	}
	if (pushed)
		virtio_dev_notify_used(d, q);
}

static void fake_reset(struct virtio_dev *d)
{
	memset(to_fake(d)->config, 0, CONFIG_SIZE);
}

static const struct virtio_dev_ops fake_ops = {
    .features = fake_features,
    .config_read = fake_config_read,
    .config_write = fake_config_write,
    .activate = fake_activate,
    .notify = fake_notify,
    .reset = fake_reset,
};

/* The registers a driver uses, so that most accesses hit one. */
static const uint16_t regs[] = {
    VIRTIO_MMIO_MAGIC_VALUE,	 VIRTIO_MMIO_VERSION,
    VIRTIO_MMIO_DEVICE_ID,	 VIRTIO_MMIO_VENDOR_ID,
    VIRTIO_MMIO_DEVICE_FEATURES, VIRTIO_MMIO_DEVICE_FEATURES_SEL,
    VIRTIO_MMIO_DRIVER_FEATURES, VIRTIO_MMIO_DRIVER_FEATURES_SEL,
    VIRTIO_MMIO_QUEUE_SEL,	 VIRTIO_MMIO_QUEUE_NUM_MAX,
    VIRTIO_MMIO_QUEUE_NUM,	 VIRTIO_MMIO_QUEUE_READY,
    VIRTIO_MMIO_QUEUE_NOTIFY,	 VIRTIO_MMIO_INTERRUPT_STATUS,
    VIRTIO_MMIO_INTERRUPT_ACK,	 VIRTIO_MMIO_STATUS,
    VIRTIO_MMIO_QUEUE_DESC_LOW,	 VIRTIO_MMIO_QUEUE_DESC_HIGH,
    VIRTIO_MMIO_QUEUE_AVAIL_LOW, VIRTIO_MMIO_QUEUE_AVAIL_HIGH,
    VIRTIO_MMIO_QUEUE_USED_LOW,	 VIRTIO_MMIO_QUEUE_USED_HIGH,
    VIRTIO_MMIO_SHM_SEL,	 VIRTIO_MMIO_CONFIG_GENERATION,
    VIRTIO_MMIO_CONFIG,		 VIRTIO_MMIO_CONFIG + 4,
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	ram = aligned_alloc(4096, RAM_SIZE);
	if (!ram)
		abort();
	gm.regions[0] = (struct guest_region){.gpa = 0, .size = RAM_SIZE, .host = ram};
	gm.nr_regions = 1;
	gm.ram_size = RAM_SIZE;
	irq_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	return 0;
}

static void check_state(void)
{
	struct virtio_dev *d = &fake.dev;

	if (d->active)
		FUZZ_CHECK((mt.status & VIRTIO_CONFIG_S_DRIVER_OK) &&
			   (mt.status & VIRTIO_CONFIG_S_FEATURES_OK));
	if (mt.status & VIRTIO_CONFIG_S_FEATURES_OK)
		FUZZ_CHECK(d->features & (1ULL << VIRTIO_F_VERSION_1));
	for (unsigned i = 0; i < NR_QUEUES; i++) {
		uint16_t s = fake.queues[i].size;

		FUZZ_CHECK(s <= d->queue_max && !(s & (s - 1)));
		FUZZ_CHECK(fake.queues[i].mem == &gm);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in;
	uint64_t cnt;
	size_t n;
	const uint8_t *img;

	fuzz_in_init(&in, data, size);
	memset(&fake, 0, sizeof(fake));
	virtio_dev_init(&fake.dev, &fake_ops, "fuzz-dev", 42, fake.queues, NR_QUEUES,
			(uint16_t)(1u << (fuzz_u8(&in) % 12)), CONFIG_SIZE);
	fake.features = fuzz_u64(&in);
	fake.activate_ret = (fuzz_u8(&in) & 1) ? -EINVAL : 0;
	virtio_mmio_init(&mt, &fake.dev, &gm, 0xd0000000, 5, irq_fd);
	memset(ram, 0, RAM_SIZE);
	/* Part of the input is a RAM image for the rings the guest sets up. */
	n = fuzz_u8(&in) * 16u;
	n = fuzz_take(&in, &img, n);
	memcpy(ram + 0x1000, img, n);

	while (in.left) {
		uint8_t op = fuzz_u8(&in);
		static const uint32_t lens[] = {4, 4, 4, 1, 2, 8, 3, 0};
		uint32_t len = lens[(op >> 1) & 7];
		uint64_t off;
		uint8_t buf[8];

		if (op & 0x10)
			off = regs[fuzz_u8(&in) % (sizeof(regs) / sizeof(regs[0]))];
		else
			off = fuzz_u16(&in) % 0x200;
		if (op & 1) {
			/* Writes: values mostly small, as registers want them. */
			uint64_t v = (op & 0x20) ? fuzz_u64(&in) : fuzz_u8(&in);

			if ((op & 0xc0) == 0xc0)
				v = 0x1000 + (v & 0xff) * 16; /* a queue address into the image */
			memcpy(buf, &v, sizeof(buf));
			virtio_mmio_access(&mt, off, buf, len, true);
		} else {
			memset(buf, 0xa5, sizeof(buf));
			virtio_mmio_access(&mt, off, buf, len, false);
			if (len == 4 && off == VIRTIO_MMIO_MAGIC_VALUE)
				FUZZ_CHECK(!memcmp(buf, "virt", 4));
		}
		if ((op & 0xe0) == 0xe0)
			virtio_mmio_queue_notify(&mt, op & 3);
		check_state();
	}
	if (irq_fd >= 0 && read(irq_fd, &cnt, sizeof(cnt)) < 0)
		cnt = 0;
	pthread_mutex_destroy(&fake.dev.lock);
	return 0;
}
