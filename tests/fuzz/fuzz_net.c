/* fuzz_net.c: virtio-net driven by a guest the input scripts, over a socketpair for a tap.
 *
 * The harness plays the Linux driver as tests/unit/test_vmm_virtio_net.c
 * does (probe, receive buffers, frames to send), but each step and every
 * field comes from the input: features, chains of any shape, frames of any
 * length and header arriving on the "wire" (the other end of a
 * SOCK_SEQPACKET socketpair), raw descriptors, register writes, a wire that
 * fills up or goes away. Queue notifications are handled synchronously (no
 * event loop thread): the device reads the wire when the receive queue is
 * notified.
 *
 * Besides crashes, it checks that the device never writes guest memory the
 * driver did not hand it (descriptor tables, avail rings, transmit buffers
 * keep what the guest put there), that it returns only chains that are
 * outstanding, transmit chains with used length 0 and receive chains with no
 * more than they hold, and that every received frame starts with a header
 * the driver may get: num_buffers 1 without MRG_RXBUF, at least 1 with it,
 * no offload flags (the socket offers none). Raw descriptors and raw
 * register writes turn the checks off for the rest of the input.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "tests/fuzz/fuzz.h"
#include "vmm/event.h"
#include "vmm/guest_mem.h"
#include "vmm/virtio/mmio.h"
#include "vmm/virtio/net.h"

#define RAM_SIZE 0x40000u
#define NQ 2
#define RXQ 0
#define TXQ 1
#define QN 8
#define BUF 2048
#define HDR VIRTIO_NET_HDR_LEN
#define FREE_START 0x30000u /* raw descriptors may point anywhere from here */
#define MAX_OPS 256
#define MAX_WIRE 16384

static uint8_t *ram, *shadow;
static struct guest_mem gm;
static struct virtio_mmio mt;
static const uint8_t mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};

/* The guest's view of each queue. */
static uint16_t g_avail[NQ], g_used[NQ], g_next[NQ];
/* Per descriptor slot: part of an outstanding chain, and for a head the
 * chain's length in descriptors and bytes. */
static bool busy[NQ][QN];
static uint8_t chain_segs[NQ][QN];
static uint32_t chain_len[NQ][QN];
/* Bytes of each buffer slot the device must not change (transmit buffers). */
static uint32_t ro_len[NQ][QN];
static bool checks_on, mrg;
static unsigned frame_left; /* receive buffers still to come for the current frame */

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

/* The device may write used rings and receive buffers, nothing else. */
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

static void publish(unsigned qi, uint16_t head, bool kick)
{
	gw16(avail_gpa(qi) + 4 + 2 * (g_avail[qi] % QN), head);
	g_avail[qi]++;
	gw16(avail_gpa(qi) + 2, g_avail[qi]);
	if (kick)
		wr(VIRTIO_MMIO_QUEUE_NOTIFY, qi);
}

/*
 * A chain of nsegs descriptors in the next free slots, segment i lens[i]
 * bytes: transmit chains readable (filled from data), receive chains
 * writable. Skipped when the slots are still outstanding.
 */
static void post_chain(unsigned qi, unsigned nsegs, const uint32_t *lens, const uint8_t *data,
		       size_t dlen, bool kick)
{
	uint16_t head = g_next[qi] % QN;
	uint32_t total = 0;

	for (unsigned i = 0; i < nsegs; i++)
		if (busy[qi][(head + i) % QN])
			return;
	for (unsigned i = 0; i < nsegs; i++) {
		unsigned d = (head + i) % QN;
		struct vring_desc desc = {
		    .addr = buf_gpa(qi, d),
		    .len = lens[i],
		    .flags = (uint16_t)((qi == RXQ ? VRING_DESC_F_WRITE : 0) |
					(i + 1 < nsegs ? VRING_DESC_F_NEXT : 0)),
		    .next = (uint16_t)((d + 1) % QN),
		};

		if (qi == TXQ) {
			size_t n = dlen < lens[i] ? dlen : lens[i];

			/* Short data is padded with zeros. */
			memset(ram + desc.addr, 0, lens[i]);
			memset(shadow + desc.addr, 0, lens[i]);
			if (n)
				gw(desc.addr, data, n);
			data += n;
			dlen -= n;
			ro_len[qi][d] = lens[i];
		} else {
			ro_len[qi][d] = 0;
		}
		gw(desc_gpa(qi) + d * sizeof(desc), &desc, sizeof(desc));
		busy[qi][d] = true;
		total += lens[i];
	}
	chain_segs[qi][head] = (uint8_t)nsegs;
	chain_len[qi][head] = total;
	g_next[qi] = (uint16_t)(g_next[qi] + nsegs);
	publish(qi, head, kick);
}

/* Bytes [off, off + len) of the receive chain at head, as the driver reads them. */
static void chain_read(uint16_t head, uint32_t off, void *dst, uint32_t len)
{
	const struct vring_desc *desc = (const void *)(ram + desc_gpa(RXQ));
	uint8_t *p = dst;

	for (unsigned i = 0; i < chain_segs[RXQ][head] && len; i++) {
		unsigned d = (head + i) % QN;
		uint32_t seg = desc[d].len, n;

		if (off >= seg) {
			off -= seg;
			continue;
		}
		n = seg - off < len ? seg - off : len;
		memcpy(p, ram + desc[d].addr + off, n);
		p += n;
		len -= n;
		off = 0;
	}
}

/* Take what the device put in the used ring; ids and lengths must make sense
 * for what was posted, and a received frame's header for what was agreed. */
static void reap(unsigned qi)
{
	const struct vring_used *u = (const void *)(ram + used_gpa(qi));

	for (int i = 0; i < QN && u->idx != g_used[qi]; i++) {
		const struct vring_used_elem *e = &u->ring[g_used[qi] % QN];
		uint16_t id = (uint16_t)e->id;

		g_used[qi]++;
		if (!checks_on)
			continue;
		FUZZ_CHECK(id < QN && busy[qi][id] && chain_segs[qi][id]);
		FUZZ_CHECK(e->len <= chain_len[qi][id]);
		if (qi == TXQ) {
			FUZZ_CHECK(e->len == 0);
		} else if (frame_left) {
			frame_left--;
		} else {
			uint8_t hdr[HDR];
			uint16_t nb;

			FUZZ_CHECK(e->len >= HDR);
			chain_read(id, 0, hdr, HDR);
			memcpy(&nb, hdr + 10, 2);
			FUZZ_CHECK(hdr[0] == 0 && hdr[1] == 0);
			FUZZ_CHECK(nb >= 1 && (mrg || nb == 1));
			frame_left = nb - 1u;
		}
		for (unsigned k = 0; k < chain_segs[qi][id]; k++)
			busy[qi][(id + k) % QN] = false;
		chain_segs[qi][id] = 0;
	}
}

static void probe(uint8_t flags)
{
	uint32_t lo = 0;

	wr(VIRTIO_MMIO_STATUS, 0);
	memset(ram, 0, FREE_START);
	memset(shadow, 0, FREE_START);
	memset(g_avail, 0, sizeof(g_avail));
	memset(g_used, 0, sizeof(g_used));
	memset(g_next, 0, sizeof(g_next));
	memset(busy, 0, sizeof(busy));
	memset(chain_segs, 0, sizeof(chain_segs));
	memset(ro_len, 0, sizeof(ro_len));
	frame_left = 0;
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	mrg = flags & 1;
	if (mrg)
		lo |= 1u << VIRTIO_NET_F_MRG_RXBUF;
	if (flags & 2)
		lo |= 1u << VIRTIO_RING_F_EVENT_IDX;
	if (flags & 4)
		lo |= 1u << VIRTIO_RING_F_INDIRECT_DESC;
	if (flags & 8)
		lo |= (1u << VIRTIO_NET_F_MAC) | (1u << VIRTIO_NET_F_STATUS);
	/* Asking for an offload the socket does not offer: FEATURES_OK is
	 * refused and nothing runs until the next probe. */
	if (flags & 0x80)
		lo |= 1u << VIRTIO_NET_F_GUEST_CSUM;
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, lo);
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
	/* Receive buffers before or after DRIVER_OK. */
	for (unsigned i = 0; i < (flags & 0x10 ? 4u : 0u); i++)
		post_chain(RXQ, 1, (const uint32_t[]){BUF}, NULL, 0, false);
	wr(VIRTIO_MMIO_STATUS, rd(VIRTIO_MMIO_STATUS) | VIRTIO_CONFIG_S_DRIVER_OK);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	signal(SIGPIPE, SIG_IGN);
	ram = aligned_alloc(4096, RAM_SIZE);
	shadow = malloc(RAM_SIZE);
	if (!ram || !shadow)
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

/* A chain's segment lengths from the input: 1 to 3 segments. */
static unsigned chain_shape(struct fuzz_in *in, uint8_t op, uint8_t a, uint32_t *lens)
{
	unsigned nsegs = 1 + (op >> 4 & 3) % 3;

	lens[0] = 1 + a * 8u;
	for (unsigned i = 1; i < nsegs; i++)
		lens[i] = 1 + fuzz_u16(in) % BUF;
	if (lens[0] > BUF)
		lens[0] = BUF;
	return nsegs;
}

/* A frame on the wire: its length, then its header, then a pattern or bytes. */
static void wire_send(struct fuzz_in *in, int fd, uint8_t op)
{
	static uint8_t frame[MAX_WIRE];
	size_t len = fuzz_u16(in) % MAX_WIRE;
	const uint8_t *p;
	size_t n;

	memset(frame, 0, HDR);
	if (op & 0x10)
		fuzz_bytes(in, frame, len < HDR ? len : HDR);
	n = fuzz_take(in, &p, op & 0x20 ? len : 0);
	if (n)
		memcpy(frame, p, n);
	for (size_t i = n > HDR ? n : HDR; i < len; i++)
		frame[i] = (uint8_t)i;
	if (fd >= 0 && send(fd, frame, len, MSG_DONTWAIT) < 0 && errno != EAGAIN &&
	    errno != EPIPE && errno != ECONNREFUSED && errno != ENOBUFS)
		abort();
}

/* What the device sent: whole frames, each with its header. */
static void wire_drain(int fd)
{
	static uint8_t frame[3 * BUF + 64];

	for (int i = 0; fd >= 0 && i < 64; i++) {
		ssize_t n = recv(fd, frame, sizeof(frame), MSG_DONTWAIT);

		if (n <= 0)
			break;
		FUZZ_CHECK(n >= HDR);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in;
	struct event_loop *loop;
	struct virtio_net *net;
	struct virtio_net_stats st;
	uint32_t mtu = 0, lens[3];
	char err[256];
	int sv[2];
	uint8_t setup;
	unsigned nops = 0;

	fuzz_in_init(&in, data, size);
	memset(ram, 0, RAM_SIZE);
	memset(shadow, 0, RAM_SIZE);
	memset(g_avail, 0, sizeof(g_avail));
	memset(g_used, 0, sizeof(g_used));
	memset(busy, 0, sizeof(busy));
	memset(ro_len, 0, sizeof(ro_len));
	checks_on = true;

	setup = fuzz_u8(&in);
	if (setup & 1)
		mtu = 68 + fuzz_u16(&in) % 9000;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	if (setup & 2) {
		/* A wire that fills up: writes see EAGAIN. */
		int small = 4096;

		setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	}
	loop = event_loop_new();
	FUZZ_CHECK(loop);
	net = virtio_net_new(loop, sv[0], mac, mtu, err, sizeof(err));
	FUZZ_CHECK(net);
	virtio_mmio_init(&mt, virtio_net_dev(net), &gm, 0xd0000000, 5, -1);
	if (!(setup & 4))
		probe(setup >> 4);

	while (in.left && nops++ < MAX_OPS) {
		uint8_t op = fuzz_u8(&in), a = fuzz_u8(&in);

		switch (op & 15) {
		case 0:
			probe(a);
			break;
		case 1: {
			unsigned n = chain_shape(&in, op, a, lens);

			post_chain(RXQ, n, lens, NULL, 0, !(op & 0x80));
			break;
		}
		case 2: {
			unsigned n = chain_shape(&in, op, a, lens);
			const uint8_t *d;
			size_t dl = fuzz_take(&in, &d, fuzz_u8(&in) * 4u);

			post_chain(TXQ, n, lens, d, dl, !(op & 0x80));
			break;
		}
		case 3:
			wire_send(&in, sv[1], op);
			break;
		case 4:
			reap(RXQ);
			break;
		case 5:
			reap(TXQ);
			break;
		case 6: {
			unsigned qi = a % NQ;
			uint64_t addr = fuzz_u32(&in);
			uint32_t len = fuzz_u16(&in);
			uint16_t flags = fuzz_u8(&in) & 7, head = fuzz_u8(&in), next = fuzz_u8(&in);
			struct vring_desc desc;

			if (op & 0x10)
				addr = FREE_START + addr % (RAM_SIZE - FREE_START);
			if (op & 0x20)
				addr = buf_gpa(qi, head % QN);
			/* The device may now write or return anything. */
			checks_on = false;
			desc = (struct vring_desc){
			    .addr = addr, .len = len, .flags = flags, .next = next % 16};
			gw(desc_gpa(qi) + (head % QN) * sizeof(desc), &desc, sizeof(desc));
			publish(qi, (uint16_t)(head % (op & 0x40 ? 256 : QN)), !(op & 0x80));
			break;
		}
		case 7:
			checks_on = false;
			wr(raw_regs[a % (sizeof(raw_regs) / sizeof(raw_regs[0]))], fuzz_u32(&in));
			break;
		case 8:
			wire_drain(sv[1]);
			break;
		case 9:
			virtio_mmio_queue_notify(&mt, a % (NQ + 1));
			break;
		case 10:
			wr(VIRTIO_MMIO_INTERRUPT_ACK, rd(VIRTIO_MMIO_INTERRUPT_STATUS));
			break;
		case 11:
			/* The other end goes away: reads end, writes fail. */
			if (sv[1] >= 0 && (a & 0x80)) {
				close(sv[1]);
				sv[1] = -1;
			}
			break;
		case 12: {
			uint64_t v = 0;

			virtio_mmio_access(&mt, VIRTIO_MMIO_CONFIG + a % 16, &v,
					   1u << (op >> 4 & 3), false);
			virtio_mmio_access(&mt, VIRTIO_MMIO_CONFIG + a % 16, &v,
					   1u << (op >> 4 & 3), true);
			break;
		}
		default:
			virtio_net_get_stats(net, &st);
			FUZZ_CHECK(st.rx_too_big <= st.rx_dropped);
			FUZZ_CHECK(virtio_net_tap_offloads(net) == 0);
			break;
		}
		check_guest_owned();
	}
	wire_drain(sv[1]);
	reap(RXQ);
	reap(TXQ);
	check_guest_owned();
	virtio_net_free(net);
	event_loop_free(loop);
	close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	return 0;
}
