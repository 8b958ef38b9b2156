/* fuzz_console.c: the multiport virtio-console driven by a guest the input scripts.
 *
 * The harness plays the Linux driver as tests/unit/test_console.c does
 * (probe, control messages, buffers on every port), but each step and every
 * field comes from the input: control messages with any id/event/value and
 * length (PORT_OPEN 0 and 1 in any order: the host closes its side of a
 * stream the guest closed), output buffers, receive buffers, raw descriptors,
 * register writes, signals, drains, the host letting go of a port. Queue
 * notifications are handled synchronously (no event loop thread), stdin is a
 * memfd, stdout and stderr go to /dev/null.
 *
 * Besides crashes, it checks that the device never writes guest memory the
 * driver did not hand it: descriptor tables, avail rings and device-readable
 * buffers must keep what the guest put there (until a raw descriptor or a raw
 * register write makes that unknowable).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_console.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "common/agent_proto.h"
#include "tests/fuzz/fuzz.h"
#include "vmm/event.h"
#include "vmm/guest_mem.h"
#include "vmm/virtio/console.h"
#include "vmm/virtio/mmio.h"

#define RAM_SIZE 0x40000u
#define NQ (4 + 2 * (HY_CONSOLE_NR_PORTS - 1))
#define QN 8
#define BUF 256
#define CTRL_RX 2
#define CTRL_TX 3
#define FREE_START 0x20000u /* raw descriptors may point anywhere from here */
#define MAX_OPS 256

static uint8_t *ram, *shadow;
static struct guest_mem gm;
static struct virtio_mmio mt;
static int null_out = -1, null_err = -1;

/* The guest's view of each queue. */
static uint16_t g_avail[NQ], g_used[NQ];
/* Bytes of each buffer slot the device must not change (readable buffers). */
static uint32_t ro_len[NQ][QN];
static bool checks_on;

static uint64_t desc_gpa(unsigned qi)
{
	return 0x1000 + qi * 0x400;
}

static uint64_t avail_gpa(unsigned qi)
{
	return desc_gpa(qi) + 0x100;
}

static uint64_t used_gpa(unsigned qi)
{
	return desc_gpa(qi) + 0x200;
}

static uint64_t buf_gpa(unsigned qi, unsigned d)
{
	return 0x10000 + (qi * QN + d) * BUF;
}

static unsigned rxq(unsigned port)
{
	return port == 0 ? 0 : 4 + 2 * (port - 1);
}

/* Guest writes go to RAM and to the shadow the checks compare against. */
static void gw(uint64_t gpa, const void *src, size_t len)
{
	memcpy(ram + gpa, src, len);
	memcpy(shadow + gpa, src, len);
}

static void gw16(uint64_t gpa, uint16_t v)
{
	gw(gpa, &v, sizeof(v));
}

static void wr(uint64_t off, uint32_t v)
{
	virtio_mmio_access(&mt, off, &v, 4, true);
}

static uint32_t rd(uint64_t off)
{
	uint32_t v = 0;

	virtio_mmio_access(&mt, off, &v, 4, false);
	return v;
}

static void same(uint64_t gpa, size_t len)
{
	FUZZ_CHECK(!memcmp(ram + gpa, shadow + gpa, len));
}

/* The device may write used rings and writable buffers, nothing else. */
static void check_guest_owned(void)
{
	if (!checks_on)
		return;
	for (unsigned qi = 0; qi < NQ; qi++) {
		same(desc_gpa(qi), QN * sizeof(struct vring_desc));
		same(avail_gpa(qi), 6 + 2 * QN);
		for (unsigned d = 0; d < QN; d++)
			same(buf_gpa(qi, d), ro_len[qi][d]);
	}
}

static void post_desc(unsigned qi, uint16_t head, uint64_t addr, uint32_t len, uint16_t flags,
		      uint16_t next, bool kick)
{
	struct vring_desc d = {.addr = addr, .len = len, .flags = flags, .next = next};

	gw(desc_gpa(qi) + (head % QN) * sizeof(d), &d, sizeof(d));
	gw16(avail_gpa(qi) + 4 + 2 * (g_avail[qi] % QN), head);
	g_avail[qi]++;
	gw16(avail_gpa(qi) + 2, g_avail[qi]);
	if (kick)
		wr(VIRTIO_MMIO_QUEUE_NOTIFY, qi);
}

/* One single-buffer chain in the queue's next slot, as virtqueue_add_*buf(). */
static void post(unsigned qi, bool writable, const void *data, uint32_t len, bool kick)
{
	unsigned d = g_avail[qi] % QN;

	if (len > BUF)
		len = BUF;
	if (writable) {
		ro_len[qi][d] = 0;
	} else {
		gw(buf_gpa(qi, d), data, len);
		ro_len[qi][d] = len;
	}
	post_desc(qi, (uint16_t)d, buf_gpa(qi, d), len, writable ? VRING_DESC_F_WRITE : 0, 0, kick);
}

/* Take what the device put in the used ring: ids and lengths must make sense
 * for what was posted. Control rx buffers go back to the device. */
static void reap(unsigned qi)
{
	const struct vring_used *u = (const void *)(ram + used_gpa(qi));

	for (int i = 0; i < QN && u->idx != g_used[qi]; i++) {
		const struct vring_used_elem *e = &u->ring[g_used[qi] % QN];

		if (checks_on) {
			FUZZ_CHECK(e->id < QN);
			FUZZ_CHECK(e->len <= BUF);
			if (qi == CTRL_RX)
				FUZZ_CHECK(e->len >= sizeof(struct virtio_console_control));
		}
		g_used[qi]++;
		if (qi == CTRL_RX)
			post(CTRL_RX, true, NULL, BUF, true);
	}
}

static void probe(uint8_t flags)
{
	uint32_t f = 0;

	wr(VIRTIO_MMIO_STATUS, 0);
	memset(ram, 0, FREE_START);
	memset(shadow, 0, FREE_START);
	memset(g_avail, 0, sizeof(g_avail));
	memset(g_used, 0, sizeof(g_used));
	memset(ro_len, 0, sizeof(ro_len));
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	if (!(flags & 1))
		f |= 1u << VIRTIO_CONSOLE_F_MULTIPORT;
	if (flags & 2)
		f |= 1u << VIRTIO_RING_F_EVENT_IDX;
	if (flags & 4)
		f |= 1u << VIRTIO_RING_F_INDIRECT_DESC;
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, f);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 1); /* VERSION_1 */
	wr(VIRTIO_MMIO_STATUS, rd(VIRTIO_MMIO_STATUS) | VIRTIO_CONFIG_S_FEATURES_OK);
	for (unsigned qi = 0; qi < NQ; qi++) {
		wr(VIRTIO_MMIO_QUEUE_SEL, qi);
		wr(VIRTIO_MMIO_QUEUE_NUM, QN);
		wr(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc_gpa(qi));
		wr(VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)avail_gpa(qi));
		wr(VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)used_gpa(qi));
		wr(VIRTIO_MMIO_QUEUE_READY, 1);
	}
	/* Control rx buffers before or after DRIVER_OK, as drivers differ. */
	for (unsigned i = 0; i < (flags & 8 ? QN : 2u); i++)
		post(CTRL_RX, true, NULL, BUF, false);
	wr(VIRTIO_MMIO_STATUS, rd(VIRTIO_MMIO_STATUS) | VIRTIO_CONFIG_S_DRIVER_OK);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	signal(SIGPIPE, SIG_IGN);
	ram = aligned_alloc(4096, RAM_SIZE);
	shadow = malloc(RAM_SIZE);
	null_out = open("/dev/null", O_WRONLY | O_CLOEXEC);
	null_err = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (!ram || !shadow || null_out < 0 || null_err < 0)
		abort();
	gm.regions[0] = (struct guest_region){.gpa = 0, .size = RAM_SIZE, .host = ram};
	gm.nr_regions = 1;
	gm.ram_size = RAM_SIZE;
	return 0;
}

static const uint16_t raw_regs[] = {
    VIRTIO_MMIO_STATUS,		VIRTIO_MMIO_QUEUE_SEL,	    VIRTIO_MMIO_QUEUE_READY,
    VIRTIO_MMIO_QUEUE_NUM,	VIRTIO_MMIO_QUEUE_NOTIFY,   VIRTIO_MMIO_INTERRUPT_ACK,
    VIRTIO_MMIO_QUEUE_DESC_LOW, VIRTIO_MMIO_QUEUE_USED_LOW, VIRTIO_MMIO_DRIVER_FEATURES,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in;
	struct event_loop *loop;
	struct virtio_console *con;
	int in_fd = -1;
	uint8_t setup;
	unsigned nops = 0;

	fuzz_in_init(&in, data, size);
	memset(ram, 0, RAM_SIZE);
	memset(shadow, 0, RAM_SIZE);
	memset(g_avail, 0, sizeof(g_avail));
	memset(g_used, 0, sizeof(g_used));
	memset(ro_len, 0, sizeof(ro_len));
	checks_on = true;

	setup = fuzz_u8(&in);
	if (setup & 1) {
		/* A regular file never blocks: the device reads it whenever
		 * the guest has room. */
		const uint8_t *text;
		size_t n = fuzz_take(&in, &text, fuzz_u8(&in) * 4u);

		in_fd = memfd_create("fuzz-stdin", MFD_CLOEXEC);
		if (in_fd < 0 || (n && write(in_fd, text, n) != (ssize_t)n) ||
		    lseek(in_fd, 0, SEEK_SET) < 0)
			abort();
	}
	loop = event_loop_new();
	FUZZ_CHECK(loop);
	/* stdout and stderr on one fd or two: the device watches them differently. */
	con = virtio_console_new(loop, in_fd, null_out, (setup & 2) ? null_out : null_err);
	FUZZ_CHECK(con);
	virtio_mmio_init(&mt, virtio_console_dev(con), &gm, 0xd0000000, 5, -1);
	if (!(setup & 4))
		probe(setup >> 4);

	while (in.left && nops++ < MAX_OPS) {
		uint8_t op = fuzz_u8(&in), a = fuzz_u8(&in);

		switch (op & 15) {
		case 0:
			probe(a);
			break;
		case 2: {
			const uint8_t *d;
			size_t n = fuzz_take(&in, &d, a);

			post(rxq(op >> 4 & 3) + 1, false, d, (uint32_t)n, !(op & 0x80));
			break;
		}
		case 3:
			post(rxq(a & 3), true, NULL, 1 + (a >> 2) * 4u, !(op & 0x80));
			break;
		case 4:
			reap(CTRL_RX);
			break;
		case 5:
			for (unsigned qi = 0; qi < NQ; qi++)
				if (qi != CTRL_RX)
					reap(qi);
			break;
		case 6: {
			unsigned qi = a % NQ;
			uint64_t addr = fuzz_u32(&in);
			uint32_t len = fuzz_u16(&in);
			uint16_t flags = fuzz_u8(&in) & 7, head = fuzz_u8(&in), next = fuzz_u8(&in);

			if (op & 0x10)
				addr = FREE_START + addr % (RAM_SIZE - FREE_START);
			if (op & 0x20)
				addr = buf_gpa(qi, head % QN);
			if ((flags & VRING_DESC_F_INDIRECT) ||
			    ((flags & VRING_DESC_F_WRITE) &&
			     (addr < FREE_START || addr + len > RAM_SIZE)))
				checks_on = false;
			if (!(flags & VRING_DESC_F_WRITE))
				ro_len[qi][head % QN] = 0;
			post_desc(qi, head % (op & 0x40 ? 256 : QN), addr, len, flags, next % 16,
				  !(op & 0x80));
			break;
		}
		case 7:
			checks_on = false;
			wr(raw_regs[a % (sizeof(raw_regs) / sizeof(raw_regs[0]))], fuzz_u32(&in));
			break;
		case 8:
			virtio_console_send_control(con, &a, 1);
			break;
		case 9:
			virtio_console_drain(con);
			break;
		case 10:
			virtio_mmio_queue_notify(&mt, a % (NQ + 2));
			break;
		case 11:
			wr(VIRTIO_MMIO_INTERRUPT_ACK, rd(VIRTIO_MMIO_INTERRUPT_STATUS));
			break;
		case 12:
			/* The host lets go of a port (not only stdout and stderr
			 * are tried), whatever the guest is doing with it. */
			virtio_console_close_output(con, a % (HY_CONSOLE_NR_PORTS + 1));
			break;
		default: {
			/* A control message: mostly well-formed, any field possible. */
			struct virtio_console_control m = {
			    .id = (a & 0x80) ? 0xffffffffu : a % 6u,
			    .event = (uint16_t)(fuzz_u8(&in) % 10u),
			    .value = (uint16_t)(fuzz_u8(&in) % 3u),
			};
			uint32_t len = sizeof(m);

			if (op & 0x10)
				m.event = fuzz_u16(&in);
			if (op & 0x20)
				len = a & 7;
			post(CTRL_TX, false, &m, len, !(op & 0x80));
			break;
		}
		}
		check_guest_owned();
	}
	virtio_console_drain(con);
	check_guest_owned();
	virtio_console_free(con);
	event_loop_free(loop);
	if (in_fd >= 0)
		close(in_fd);
	return 0;
}
