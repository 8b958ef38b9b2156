/* test_vmm_virtio_net.c: virtio-net driven as the Linux driver drives it, over a socketpair and a
 * real tap. */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/ethtool.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "vmm/event.h"
#include "vmm/virtio/mmio.h"
#include "vmm/virtio/net.h"

#define RAM_SIZE (8ULL << 20)
#define NQ 2
#define RXQ 0
#define TXQ 1
#define QN 16
#define SLOT 0x20000u /* room behind each descriptor */
#define HDR VIRTIO_NET_HDR_LEN
#define F(bit) (1ULL << (bit))
#define ETHERTYPE_TEST 0x88b5 /* IEEE local experimental */

static struct guest_mem gm;
static uint8_t *ram;
static struct event_loop *loop;
static pthread_t loop_thread;
static bool loop_running;
static struct virtio_net *net;
static struct virtio_mmio mt;
static int irq_fd = -1;
static int sv[2] = {-1, -1}; /* sv[0] is the device's "tap", sv[1] the wire */
static int tap_fd = -1;

static const uint8_t guest_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};

/* The guest's view of each queue. */
static uint16_t g_avail[NQ], g_used[NQ], g_next_desc[NQ];
static bool g_event_idx;

static uint64_t desc_gpa(unsigned qi)
{
	return 0x10000 + qi * 0x4000;
}

static uint64_t avail_gpa(unsigned qi)
{
	return desc_gpa(qi) + 0x1000;
}

static uint64_t used_gpa(unsigned qi)
{
	return desc_gpa(qi) + 0x2000;
}

static uint64_t buf_gpa(unsigned qi, unsigned d)
{
	return 0x100000 + (qi * QN + d) * (uint64_t)SLOT;
}

static uint8_t *hva(uint64_t gpa)
{
	return ram + gpa;
}

static uint32_t rd(uint64_t off)
{
	uint32_t v = 0;

	virtio_mmio_access(&mt, off, &v, 4, false);
	return v;
}

static void wr(uint64_t off, uint32_t v)
{
	virtio_mmio_access(&mt, off, &v, 4, true);
}

static bool needs_reset(void)
{
	return rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET;
}

static uint8_t pattern(size_t i, unsigned seed)
{
	return (uint8_t)(i * 7 + seed * 13 + (i >> 8));
}

/* Publish a chain whose head is `head` and kick as virtqueue_kick() would. */
static void publish(unsigned qi, uint16_t head, bool kick)
{
	struct vring_avail *av = (void *)hva(avail_gpa(qi));

	av->ring[g_avail[qi] % QN] = head;
	g_avail[qi]++;
	__atomic_store_n(&av->idx, g_avail[qi], __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (kick && g_event_idx) {
		uint16_t event;

		memcpy(&event, hva(used_gpa(qi) + 4 + 8 * QN), sizeof(event));
		kick = vring_need_event(event, g_avail[qi], (uint16_t)(g_avail[qi] - 1));
	}
	if (kick)
		wr(VIRTIO_MMIO_QUEUE_NOTIFY, qi);
}

/*
 * A chain of nsegs descriptors of lens[i] bytes each, the first n_out
 * device-readable (filled from data), the rest writable (poisoned).
 * Descriptors are taken in turn, so a test keeps fewer than QN outstanding.
 */
static uint16_t post_chain(unsigned qi, unsigned nsegs, const uint32_t *lens, unsigned n_out,
			   const void *data, bool kick)
{
	struct vring_desc *desc = (void *)hva(desc_gpa(qi));
	uint16_t head = g_next_desc[qi] % QN;
	const uint8_t *p = data;

	cr_assert_leq(nsegs, QN);
	for (unsigned i = 0; i < nsegs; i++) {
		unsigned d = (head + i) % QN;

		cr_assert_leq(lens[i], SLOT);
		desc[d].addr = buf_gpa(qi, d);
		desc[d].len = lens[i];
		desc[d].flags = (uint16_t)((i >= n_out ? VRING_DESC_F_WRITE : 0) |
					   (i + 1 < nsegs ? VRING_DESC_F_NEXT : 0));
		desc[d].next = (uint16_t)((d + 1) % QN);
		if (i < n_out && p) {
			memcpy(hva(buf_gpa(qi, d)), p, lens[i]);
			p += lens[i];
		} else if (i >= n_out) {
			memset(hva(buf_gpa(qi, d)), 0xee, lens[i]);
		}
	}
	g_next_desc[qi] = (uint16_t)(g_next_desc[qi] + nsegs);
	publish(qi, head, kick);
	return head;
}

/* One receive buffer of len bytes, as add_recvbuf_mergeable() posts them. */
static uint16_t post_rx(uint32_t len)
{
	return post_chain(RXQ, 1, &len, 0, NULL, true);
}

/* A frame (header included) in two descriptors: the header, then the rest. */
static uint16_t post_tx(const void *frame, uint32_t len)
{
	uint32_t lens[2] = {HDR, len - HDR};

	return post_chain(TXQ, len > HDR ? 2 : 1, lens, 2, frame, true);
}

static bool get_used(unsigned qi, uint16_t *id, uint32_t *len)
{
	struct vring_used *u = (void *)hva(used_gpa(qi));

	if (__atomic_load_n(&u->idx, __ATOMIC_ACQUIRE) == g_used[qi])
		return false;
	*id = (uint16_t)u->ring[g_used[qi] % QN].id;
	*len = u->ring[g_used[qi] % QN].len;
	g_used[qi]++;
	return true;
}

static bool wait_used(unsigned qi, uint16_t *id, uint32_t *len)
{
	for (int i = 0; i < 3000; i++) {
		if (get_used(qi, id, len))
			return true;
		usleep(1000);
	}
	return false;
}

static void *loop_main(void *arg)
{
	event_loop_run(loop);
	return NULL;
}

static void start_on(int fd, uint32_t mtu)
{
	char err[256] = "";

	net = virtio_net_new(loop, fd, guest_mac, mtu, err, sizeof(err));
	cr_assert_not_null(net, "virtio_net_new: %s", err);
	virtio_mmio_init(&mt, virtio_net_dev(net), &gm, 0xd0000000, 5, irq_fd);
	cr_assert_eq(pthread_create(&loop_thread, NULL, loop_main, NULL), 0);
	loop_running = true;
}

static void start(uint32_t mtu)
{
	start_on(sv[0], mtu);
}

static uint64_t offered_features(void)
{
	uint64_t f;

	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	f = rd(VIRTIO_MMIO_DEVICE_FEATURES);
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	return f | (uint64_t)rd(VIRTIO_MMIO_DEVICE_FEATURES) << 32;
}

/* virtio_mmio probe + virtnet_probe: reset, features (those of `want` the
 * device offers), both queues, DRIVER_OK. Returns the features accepted. */
static uint64_t driver_probe(uint64_t want)
{
	uint64_t accept;

	cr_assert_eq(rd(VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_NET);
	wr(VIRTIO_MMIO_STATUS, 0);
	memset(ram, 0, 0x100000);
	memset(g_avail, 0, sizeof(g_avail));
	memset(g_used, 0, sizeof(g_used));
	memset(g_next_desc, 0, sizeof(g_next_desc));
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	accept = (want & offered_features()) | F(VIRTIO_F_VERSION_1);
	if (g_event_idx)
		accept |= F(VIRTIO_RING_F_EVENT_IDX);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)accept);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(accept >> 32));
	wr(VIRTIO_MMIO_STATUS, rd(VIRTIO_MMIO_STATUS) | VIRTIO_CONFIG_S_FEATURES_OK);
	cr_assert(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK);
	for (unsigned qi = 0; qi < NQ; qi++) {
		wr(VIRTIO_MMIO_QUEUE_SEL, qi);
		cr_assert_geq(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), QN);
		wr(VIRTIO_MMIO_QUEUE_NUM, QN);
		wr(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc_gpa(qi));
		wr(VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)avail_gpa(qi));
		wr(VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)used_gpa(qi));
		wr(VIRTIO_MMIO_QUEUE_READY, 1);
	}
	wr(VIRTIO_MMIO_QUEUE_SEL, NQ);
	cr_assert_eq(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), 0, "exactly one queue pair");
	wr(VIRTIO_MMIO_STATUS, rd(VIRTIO_MMIO_STATUS) | VIRTIO_CONFIG_S_DRIVER_OK);
	cr_assert_not(needs_reset());
	return accept;
}

/* A frame with its 12-byte header: zero header, `len` bytes in all. */
static void make_frame(uint8_t *buf, size_t len, unsigned seed)
{
	memset(buf, 0, HDR);
	for (size_t i = HDR; i < len; i++)
		buf[i] = pattern(i, seed);
}

static void wire_send(const void *buf, size_t len)
{
	cr_assert_eq(send(sv[1], buf, len, 0), (ssize_t)len, "send: %s", strerror(errno));
}

static ssize_t wire_recv(void *buf, size_t len, int timeout_ms)
{
	struct pollfd p = {.fd = sv[1], .events = POLLIN};

	if (poll(&p, 1, timeout_ms) != 1)
		return -1;
	return recv(sv[1], buf, len, MSG_DONTWAIT);
}

static void setup(void)
{
	signal(SIGPIPE, SIG_IGN);
	ram = aligned_alloc(4096, RAM_SIZE);
	cr_assert_not_null(ram);
	memset(ram, 0, RAM_SIZE);
	memset(&gm, 0, sizeof(gm));
	gm.regions[0] = (struct guest_region){.gpa = 0, .size = RAM_SIZE, .host = ram};
	gm.nr_regions = 1;
	gm.ram_size = RAM_SIZE;
	g_event_idx = false;
	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	irq_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	cr_assert_geq(irq_fd, 0);
	loop = event_loop_new();
	cr_assert_not_null(loop);
	net = NULL;
	loop_running = false;
	tap_fd = -1;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void teardown(void)
{
	if (loop_running) {
		event_loop_stop(loop);
		pthread_join(loop_thread, NULL);
	}
	virtio_net_free(net);
	event_loop_free(loop);
	close_fd(&sv[0]);
	close_fd(&sv[1]);
	close_fd(&tap_fd);
	close(irq_fd);
	free(ram);
}

TestSuite(virtio_net, .init = setup, .fini = teardown, .timeout = 30);

static struct virtio_net_stats stats(void)
{
	struct virtio_net_stats s;

	virtio_net_get_stats(net, &s);
	return s;
}

/* --- features and config space --------------------------------------------- */

Test(virtio_net, features_and_config)
{
	uint64_t f;
	uint8_t mac[6], junk[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	uint16_t status = 0, mtu = 0;

	start(9000);
	cr_assert_eq(rd(VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_NET);
	f = offered_features();
	cr_assert(f & F(VIRTIO_NET_F_MAC));
	cr_assert(f & F(VIRTIO_NET_F_STATUS));
	cr_assert(f & F(VIRTIO_NET_F_MTU));
	cr_assert(f & F(VIRTIO_NET_F_MRG_RXBUF));
	cr_assert(f & F(VIRTIO_F_VERSION_1));
	/* A socket offloads nothing, and nothing needs a control queue. */
	cr_assert_eq(f & (F(VIRTIO_NET_F_CSUM) | F(VIRTIO_NET_F_GUEST_CSUM) |
			  F(VIRTIO_NET_F_HOST_TSO4) | F(VIRTIO_NET_F_GUEST_TSO4) |
			  F(VIRTIO_NET_F_CTRL_VQ) | F(VIRTIO_NET_F_MQ)),
		     0, "features %#llx", (unsigned long long)f);

	for (unsigned i = 0; i < 6; i++)
		virtio_mmio_access(&mt, VIRTIO_MMIO_CONFIG + i, &mac[i], 1, false);
	cr_assert_arr_eq(mac, guest_mac, 6);
	virtio_mmio_access(&mt, VIRTIO_MMIO_CONFIG + 6, &status, 2, false);
	cr_assert_eq(le16toh(status), VIRTIO_NET_S_LINK_UP);
	virtio_mmio_access(&mt, VIRTIO_MMIO_CONFIG + 10, &mtu, 2, false);
	cr_assert_eq(le16toh(mtu), 9000);
	/* The MAC is read-only without a control queue (1.x). */
	virtio_mmio_access(&mt, VIRTIO_MMIO_CONFIG, junk, 4, true);
	virtio_mmio_access(&mt, VIRTIO_MMIO_CONFIG, mac, 4, false);
	cr_assert_arr_eq(mac, guest_mac, 4);
	/* Nothing past mtu: speed and duplex need a feature not offered. */
	cr_assert_eq(rd(VIRTIO_MMIO_CONFIG + 12), 0);
	driver_probe(f);
	cr_assert_eq(virtio_net_tap_offloads(net), 0);
}

Test(virtio_net, no_mtu_no_mtu_feature)
{
	uint16_t mtu = 0xffff;

	start(0);
	cr_assert_not(offered_features() & F(VIRTIO_NET_F_MTU));
	virtio_mmio_access(&mt, VIRTIO_MMIO_CONFIG + 10, &mtu, 2, false);
	cr_assert_eq(mtu, 0);
}

Test(virtio_net, refuses_what_is_not_a_frame_channel)
{
	char err[256] = "";
	int st[2], p[2];
	uint8_t mcast[6] = {0x01, 0, 0x5e, 0, 0, 1};

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, st), 0);
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	cr_assert_null(virtio_net_new(loop, st[0], guest_mac, 0, err, sizeof(err)));
	cr_assert(strstr(err, "neither a tap nor a datagram socket"), "err: %s", err);
	cr_assert(strstr(err, "descriptor"), "err: %s", err);
	cr_assert_null(virtio_net_new(loop, p[0], guest_mac, 0, err, sizeof(err)));
	cr_assert_null(virtio_net_new(loop, sv[0], mcast, 0, err, sizeof(err)));
	cr_assert(strstr(err, "multicast"), "err: %s", err);
	cr_assert_null(virtio_net_new(loop, sv[0], guest_mac, 67, err, sizeof(err)));
	close(st[0]);
	close(st[1]);
	close(p[0]);
	close(p[1]);
}

/* --- transmit -------------------------------------------------------------------- */

Test(virtio_net, tx_reaches_the_wire_byte_exact)
{
	static uint8_t frame[1514 + HDR], got[sizeof(frame) + 16];
	struct virtio_net_stats s;
	uint16_t head, id;
	uint32_t len;

	start(0);
	driver_probe(F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_MRG_RXBUF));
	make_frame(frame, sizeof(frame), 1);
	/* A header the wire must see as the guest wrote it. */
	frame[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	frame[4] = 0x34;
	head = post_tx(frame, sizeof(frame));
	cr_assert(wait_used(TXQ, &id, &len), "the transmit buffer did not come back");
	cr_assert_eq(id, head);
	cr_assert_eq(len, 0, "the device wrote into a transmit buffer");
	cr_assert_eq(wire_recv(got, sizeof(got), 2000), (ssize_t)sizeof(frame));
	cr_assert_arr_eq(got, frame, sizeof(frame));

	/* Header and data in one descriptor, and a minimal frame. */
	post_chain(TXQ, 1, (uint32_t[]){HDR + 60}, 1, frame, true);
	cr_assert(wait_used(TXQ, &id, &len));
	cr_assert_eq(wire_recv(got, sizeof(got), 2000), HDR + 60);
	cr_assert_arr_eq(got, frame, HDR + 60);
	s = stats();
	cr_assert_eq(s.tx_frames, 2);
	cr_assert_eq(s.tx_bytes, sizeof(frame) - HDR + 60);
	cr_assert_eq(s.tx_dropped, 0);
}

/* A write that would block keeps the frame and everything behind it, in order. */
Test(virtio_net, tx_waits_for_a_full_wire)
{
	static uint8_t frame[60000 + HDR], got[sizeof(frame)];
	int sndbuf = 65536;
	unsigned done = 0, recvd = 0;
	uint16_t id;
	uint32_t len;

	cr_assert_eq(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)), 0);
	start(0);
	driver_probe(F(VIRTIO_NET_F_MRG_RXBUF));
	for (unsigned i = 0; i < 6; i++) {
		make_frame(frame, sizeof(frame), i);
		post_tx(frame, sizeof(frame));
	}
	usleep(100000);
	while (get_used(TXQ, &id, &len))
		done++;
	cr_assert_lt(done, 6, "six 60 KB frames fit a 128 KB socket buffer");
	/* The wire drains: the rest goes, in order. */
	while (recvd < 6) {
		cr_assert_eq(wire_recv(got, sizeof(got), 2000), (ssize_t)sizeof(frame), "frame %u",
			     recvd);
		make_frame(frame, sizeof(frame), recvd);
		cr_assert_arr_eq(got, frame, sizeof(frame), "frame %u", recvd);
		recvd++;
	}
	while (done < 6) {
		cr_assert(wait_used(TXQ, &id, &len), "only %u of 6 frames completed", done);
		done++;
	}
	cr_assert_eq(stats().tx_frames, 6);
	cr_assert_eq(stats().tx_dropped, 0);
	cr_assert_not(needs_reset());
}

Test(virtio_net, tx_to_a_closed_wire_is_dropped)
{
	static uint8_t frame[100 + HDR];
	uint16_t id;
	uint32_t len;

	start(0);
	driver_probe(F(VIRTIO_NET_F_MRG_RXBUF));
	post_rx(2048);
	post_rx(2048);
	close_fd(&sv[1]);
	make_frame(frame, sizeof(frame), 3);
	post_tx(frame, sizeof(frame));
	cr_assert(wait_used(TXQ, &id, &len), "the guest must get its buffer back");
	post_tx(frame, sizeof(frame));
	cr_assert(wait_used(TXQ, &id, &len));
	cr_assert_eq(stats().tx_dropped, 2);
	cr_assert_eq(stats().tx_frames, 0);
	usleep(20000);
	cr_assert_not(get_used(RXQ, &id, &len));
	cr_assert_not(needs_reset());
}

Test(virtio_net, tx_larger_than_any_frame_is_dropped)
{
	static uint8_t frame[HDR + 100], got[256];
	uint32_t lens[2] = {HDR, VIRTIO_NET_MAX_FRAME - HDR + 1};
	uint16_t id;
	uint32_t len;

	start(0);
	driver_probe(F(VIRTIO_NET_F_MRG_RXBUF));
	post_chain(TXQ, 2, lens, 2, NULL, true);
	cr_assert(wait_used(TXQ, &id, &len));
	cr_assert_eq(stats().tx_dropped, 1);
	cr_assert_eq(wire_recv(got, sizeof(got), 50), -1);
	/* The next one goes. */
	make_frame(frame, sizeof(frame), 4);
	post_tx(frame, sizeof(frame));
	cr_assert(wait_used(TXQ, &id, &len));
	cr_assert_eq(wire_recv(got, sizeof(got), 2000), (ssize_t)sizeof(frame));
	cr_assert_not(needs_reset());
}

/* --- receive ------------------------------------------------------------------------- */

/* Check a frame received in mergeable buffers: its header, num_buffers, and
 * the data across the buffers. Returns the first buffer's id. */
static uint16_t expect_rx_mergeable(const uint8_t *frame, size_t flen, const uint32_t *buf_lens,
				    unsigned nbufs)
{
	size_t off = 0;
	uint16_t id, first = 0, nb;
	uint32_t len;
	unsigned k = 0;

	while (off < flen) {
		uint32_t want = flen - off < buf_lens[k] ? (uint32_t)(flen - off) : buf_lens[k];

		cr_assert(wait_used(RXQ, &id, &len), "buffer %u of the frame missing", k);
		cr_assert_eq(len, want, "buffer %u: used length %u, want %u", k, len, want);
		if (k == 0) {
			first = id;
			memcpy(&nb, hva(buf_gpa(RXQ, id)) + 10, 2);
			cr_assert_eq(le16toh(nb), nbufs, "num_buffers %u, want %u", le16toh(nb),
				     nbufs);
			cr_assert_arr_eq(hva(buf_gpa(RXQ, id)), frame, 10, "header");
			cr_assert_arr_eq(hva(buf_gpa(RXQ, id)) + HDR, frame + HDR, len - HDR);
		} else {
			cr_assert_arr_eq(hva(buf_gpa(RXQ, id)), frame + off, len);
		}
		off += len;
		k++;
	}
	cr_assert_eq(k, nbufs);
	return first;
}

Test(virtio_net, rx_mergeable_spans_chains)
{
	static uint8_t frame[2500];
	uint32_t lens[3] = {1000, 1000, 1000};
	struct virtio_net_stats s;
	uint16_t id;
	uint32_t len;

	start(0);
	driver_probe(F(VIRTIO_NET_F_MRG_RXBUF));
	for (int i = 0; i < 4; i++)
		post_rx(1000);
	make_frame(frame, sizeof(frame), 5);
	wire_send(frame, sizeof(frame));
	expect_rx_mergeable(frame, sizeof(frame), lens, 3);
	s = stats();
	cr_assert_eq(s.rx_frames, 1);
	cr_assert_eq(s.rx_bytes, sizeof(frame) - HDR);

	/* The fourth buffer is still held: 1000 bytes are not room for a full
	 * 1500-byte frame, so the next frame waits for more. */
	make_frame(frame, 100, 6);
	wire_send(frame, 100);
	usleep(50000);
	cr_assert_not(get_used(RXQ, &id, &len), "read with too little room for a full frame");
	post_rx(1000);
	cr_assert_eq(expect_rx_mergeable(frame, 100, lens, 1), 3, "the held buffer comes first");
	cr_assert_not(needs_reset());
}

/* A frame as large as the buffers posted, exactly. */
Test(virtio_net, rx_mergeable_exact_fit_with_mtu)
{
	static uint8_t frame[4 * 3000];
	uint32_t lens[4] = {3000, 3000, 3000, 3000};

	start(9000);
	driver_probe(F(VIRTIO_NET_F_MRG_RXBUF) | F(VIRTIO_NET_F_MTU));
	for (int i = 0; i < 3; i++)
		post_rx(3000);
	make_frame(frame, sizeof(frame), 7);
	wire_send(frame, sizeof(frame));
	/* 9000 bytes are not room for a frame of a 9000-byte MTU: nothing is
	 * read yet. */
	usleep(50000);
	cr_assert_eq(stats().rx_frames + stats().rx_dropped, 0);
	post_rx(3000);
	expect_rx_mergeable(frame, sizeof(frame), lens, 4);
}

Test(virtio_net, rx_without_mrg_into_one_chain)
{
	static uint8_t frame[3000];
	uint32_t lens[3] = {HDR, 2000, 2000};
	uint16_t head, id, nb;
	uint32_t len;

	start(0);
	driver_probe(F(VIRTIO_NET_F_MAC));
	/* Leftover bytes where num_buffers goes: the device must set it. */
	head = post_chain(RXQ, 3, lens, 0, NULL, true);
	make_frame(frame, sizeof(frame), 9);
	wire_send(frame, sizeof(frame));
	cr_assert(wait_used(RXQ, &id, &len));
	cr_assert_eq(id, head);
	cr_assert_eq(len, sizeof(frame));
	memcpy(&nb, hva(buf_gpa(RXQ, head)) + 10, 2);
	cr_assert_eq(le16toh(nb), 1);
	cr_assert_arr_eq(hva(buf_gpa(RXQ, head)), frame, 10);
	cr_assert_arr_eq(hva(buf_gpa(RXQ, head + 1)), frame + HDR, 2000);
	cr_assert_arr_eq(hva(buf_gpa(RXQ, head + 2)), frame + HDR + 2000,
			 sizeof(frame) - HDR - 2000);
	cr_assert_eq(stats().rx_frames, 1);
}

Test(virtio_net, rx_frame_too_big_is_dropped)
{
	static uint8_t frame[3000];
	struct virtio_net_stats s;
	uint16_t head, id;
	uint32_t len;

	start(0);
	driver_probe(F(VIRTIO_NET_F_MAC));
	head = post_chain(RXQ, 1, (uint32_t[]){1000}, 0, NULL, true);
	make_frame(frame, sizeof(frame), 11);
	wire_send(frame, sizeof(frame));
	usleep(50000);
	cr_assert_not(get_used(RXQ, &id, &len));
	s = stats();
	cr_assert_eq(s.rx_dropped, 1);
	cr_assert_eq(s.rx_too_big, 1);
	cr_assert_not(needs_reset());
	/* The buffer stays for the next frame. */
	make_frame(frame, 500, 12);
	wire_send(frame, 500);
	cr_assert(wait_used(RXQ, &id, &len));
	cr_assert_eq(id, head);
	cr_assert_eq(len, 500);
	cr_assert_arr_eq(hva(buf_gpa(RXQ, head)) + HDR, frame + HDR, 500 - HDR);

	/* Mergeable: larger than all the buffers held. */
	driver_probe(F(VIRTIO_NET_F_MRG_RXBUF));
	post_rx(1000);
	post_rx(1000);
	make_frame(frame, sizeof(frame), 13);
	wire_send(frame, sizeof(frame));
	make_frame(frame, 200, 14);
	wire_send(frame, 200);
	cr_assert(wait_used(RXQ, &id, &len));
	cr_assert_eq(len, 200);
	cr_assert_arr_eq(hva(buf_gpa(RXQ, id)) + HDR, frame + HDR, 200 - HDR);
	s = stats();
	cr_assert_eq(s.rx_too_big, 2);
	cr_assert_eq(s.rx_frames, 2);
	cr_assert_not(needs_reset());
}

/* Runts and headers the driver did not negotiate never reach it. */
Test(virtio_net, rx_drops_runts_and_unnegotiated_offloads)
{
	static uint8_t frame[200];
	uint16_t id;
	uint32_t len;

	start(0);
	driver_probe(F(VIRTIO_NET_F_MRG_RXBUF));
	post_rx(2048);
	post_rx(2048);
	wire_send("short", 5);
	make_frame(frame, sizeof(frame), 15);
	frame[1] = VIRTIO_NET_HDR_GSO_TCPV4;
	wire_send(frame, sizeof(frame));
	make_frame(frame, sizeof(frame), 16);
	frame[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	wire_send(frame, sizeof(frame));
	/* DATA_VALID is cleared for a driver without GUEST_CSUM. */
	make_frame(frame, sizeof(frame), 17);
	frame[0] = VIRTIO_NET_HDR_F_DATA_VALID;
	wire_send(frame, sizeof(frame));
	cr_assert(wait_used(RXQ, &id, &len));
	cr_assert_eq(len, sizeof(frame));
	cr_assert_eq(hva(buf_gpa(RXQ, id))[0], 0, "flags");
	cr_assert_arr_eq(hva(buf_gpa(RXQ, id)) + HDR, frame + HDR, sizeof(frame) - HDR);
	cr_assert_eq(stats().rx_dropped, 3);
	cr_assert_eq(stats().rx_frames, 1);
	cr_assert_not(needs_reset());
}

Test(virtio_net, rx_waits_for_buffers)
{
	static uint8_t frame[300], peek[400];
	uint32_t lens[1] = {2048};
	uint16_t id;
	uint32_t len;

	start(0);
	driver_probe(F(VIRTIO_NET_F_MRG_RXBUF));
	make_frame(frame, sizeof(frame), 21);
	wire_send(frame, sizeof(frame));
	usleep(50000);
	/* Not read: it still waits on the socket. */
	cr_assert_eq(recv(sv[0], peek, sizeof(peek), MSG_PEEK | MSG_DONTWAIT),
		     (ssize_t)sizeof(frame));
	cr_assert_eq(stats().rx_frames + stats().rx_dropped, 0);
	cr_assert_not(get_used(RXQ, &id, &len));
	post_rx(2048);
	expect_rx_mergeable(frame, sizeof(frame), lens, 1);
}

Test(virtio_net, rx_resumes_with_event_idx)
{
	static uint8_t frame[1500];
	uint32_t lens[1] = {2048};

	g_event_idx = true;
	start(0);
	driver_probe(F(VIRTIO_NET_F_MRG_RXBUF));
	post_rx(2048);
	for (unsigned i = 0; i < 3; i++) {
		make_frame(frame, sizeof(frame), 30 + i);
		wire_send(frame, sizeof(frame));
		usleep(20000);
		/* The ring ran dry: only a kick past avail_event wakes it. */
		post_rx(2048);
		expect_rx_mergeable(frame, sizeof(frame), lens, 1);
	}
}

/* --- malformed requests ------------------------------------------------------------ */

static void expect_broken_then_recover(void)
{
	static uint8_t frame[64 + HDR], got[128];
	uint16_t id;
	uint32_t len;

	cr_assert(needs_reset(), "the device did not stop");
	cr_assert(rd(VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_CONFIG);
	/* Nothing more is processed until the driver resets the device. */
	make_frame(frame, sizeof(frame), 40);
	post_tx(frame, sizeof(frame));
	cr_assert_not(get_used(TXQ, &id, &len));
	cr_assert_eq(wire_recv(got, sizeof(got), 50), -1);

	driver_probe(F(VIRTIO_NET_F_MRG_RXBUF));
	post_tx(frame, sizeof(frame));
	cr_assert(wait_used(TXQ, &id, &len));
	cr_assert_eq(wire_recv(got, sizeof(got), 2000), (ssize_t)sizeof(frame));
	post_rx(2048);
	wire_send(frame, sizeof(frame));
	cr_assert(wait_used(RXQ, &id, &len));
	cr_assert_eq(len, sizeof(frame));
}

Test(virtio_net, tx_chain_with_writable_buffer_breaks)
{
	uint8_t frame[HDR + 10] = {0};

	start(0);
	driver_probe(F(VIRTIO_NET_F_MRG_RXBUF));
	post_chain(TXQ, 2, (uint32_t[]){HDR, 10}, 1, frame, true);
	expect_broken_then_recover();
}

Test(virtio_net, tx_shorter_than_the_header_breaks)
{
	uint8_t frame[8] = {0};

	start(0);
	driver_probe(F(VIRTIO_NET_F_MRG_RXBUF));
	post_chain(TXQ, 1, (uint32_t[]){8}, 1, frame, true);
	expect_broken_then_recover();
}

Test(virtio_net, rx_chain_with_readable_buffer_breaks)
{
	uint8_t junk[16] = {0};

	start(0);
	driver_probe(F(VIRTIO_NET_F_MRG_RXBUF));
	post_chain(RXQ, 1, (uint32_t[]){16}, 1, junk, true);
	expect_broken_then_recover();
}

Test(virtio_net, rx_buffer_shorter_than_the_header_breaks)
{
	start(0);
	driver_probe(F(VIRTIO_NET_F_MRG_RXBUF));
	post_rx(8);
	expect_broken_then_recover();
}

Test(virtio_net, bad_descriptor_breaks)
{
	struct vring_desc *desc = (void *)hva(desc_gpa(TXQ));

	start(0);
	driver_probe(F(VIRTIO_NET_F_MRG_RXBUF));
	/* A buffer past the end of guest RAM. */
	desc[0] = (struct vring_desc){.addr = RAM_SIZE - 4, .len = 64};
	g_next_desc[TXQ] = 1;
	publish(TXQ, 0, true);
	expect_broken_then_recover();
	/* A head outside the ring. */
	publish(RXQ, QN + 1, true);
	expect_broken_then_recover();
}

/* --- a real tap, in a network namespace of the test's own ---------------------------- */

static char tap_name[IFNAMSIZ];

static int open_tap(short flags)
{
	struct ifreq ifr;
	int fd;

	if (access("/dev/net/tun", F_OK) < 0)
		cr_skip_test("no /dev/net/tun here");
	if (unshare(CLONE_NEWNET) < 0)
		cr_skip_test("cannot make a network namespace: %s", strerror(errno));
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		cr_skip_test("cannot open /dev/net/tun: %s", strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "hynet0");
	ifr.ifr_flags = flags;
	cr_assert_eq(ioctl(fd, TUNSETIFF, &ifr), 0, "TUNSETIFF: %s", strerror(errno));
	snprintf(tap_name, sizeof(tap_name), "%s", ifr.ifr_name);
	return fd;
}

/* Whether the tap's feature `name` (as ethtool -k spells it) is active. */
static bool tap_feature(const char *name)
{
	struct ifreq ifr;
	struct ethtool_sset_info *info;
	struct ethtool_gstrings *strs;
	struct ethtool_gfeatures *feat;
	uint32_t n, blocks;
	int s, idx = -1;
	bool on;

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(s, 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", tap_name);

	info = calloc(1, sizeof(*info) + sizeof(uint32_t));
	info->cmd = ETHTOOL_GSSET_INFO;
	info->sset_mask = 1ULL << ETH_SS_FEATURES;
	ifr.ifr_data = (void *)info;
	cr_assert_eq(ioctl(s, SIOCETHTOOL, &ifr), 0, "ETHTOOL_GSSET_INFO: %s", strerror(errno));
	n = info->data[0];
	free(info);

	strs = calloc(1, sizeof(*strs) + n * ETH_GSTRING_LEN);
	strs->cmd = ETHTOOL_GSTRINGS;
	strs->string_set = ETH_SS_FEATURES;
	strs->len = n;
	ifr.ifr_data = (void *)strs;
	cr_assert_eq(ioctl(s, SIOCETHTOOL, &ifr), 0, "ETHTOOL_GSTRINGS: %s", strerror(errno));
	for (uint32_t i = 0; i < n && idx < 0; i++)
		if (!strncmp((char *)strs->data + i * ETH_GSTRING_LEN, name, ETH_GSTRING_LEN))
			idx = (int)i;
	free(strs);
	cr_assert_geq(idx, 0, "no feature %s", name);

	blocks = (n + 31) / 32;
	feat = calloc(1, sizeof(*feat) + blocks * sizeof(feat->features[0]));
	feat->cmd = ETHTOOL_GFEATURES;
	feat->size = blocks;
	ifr.ifr_data = (void *)feat;
	cr_assert_eq(ioctl(s, SIOCETHTOOL, &ifr), 0, "ETHTOOL_GFEATURES: %s", strerror(errno));
	on = feat->features[idx / 32].active & (1u << (idx % 32));
	free(feat);
	close(s);
	return on;
}

Test(virtio_net, tap_offloads_follow_the_driver)
{
	static const unsigned tap_bits[] = {
	    VIRTIO_NET_F_CSUM,	     VIRTIO_NET_F_GUEST_CSUM, VIRTIO_NET_F_GUEST_TSO4,
	    VIRTIO_NET_F_GUEST_TSO6, VIRTIO_NET_F_GUEST_ECN,  VIRTIO_NET_F_HOST_TSO4,
	    VIRTIO_NET_F_HOST_TSO6,  VIRTIO_NET_F_HOST_ECN,   VIRTIO_NET_F_MRG_RXBUF,
	};
	uint64_t f;

	tap_fd = open_tap(IFF_TAP | IFF_NO_PI | IFF_VNET_HDR);
	start_on(tap_fd, 0);
	f = offered_features();
	for (size_t i = 0; i < sizeof(tap_bits) / sizeof(tap_bits[0]); i++)
		cr_assert(f & F(tap_bits[i]), "feature %u not offered on a tap", tap_bits[i]);
	/* Offloads change only through a reset: there is no control queue. */
	cr_assert_not(f & F(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS));
	cr_assert_not(f & F(VIRTIO_NET_F_CTRL_VQ));
	/* UFO comes in pairs, and only with the checksum offloads. */
	cr_assert_eq(!!(f & F(VIRTIO_NET_F_GUEST_UFO)), !!(f & F(VIRTIO_NET_F_HOST_UFO)));
	/* Nothing before the driver asks. */
	cr_assert_eq(virtio_net_tap_offloads(net), 0);
	cr_assert_not(tap_feature("tx-tcp-segmentation"));
	cr_assert_not(tap_feature("tx-checksum-ip-generic"));

	driver_probe(F(VIRTIO_NET_F_MRG_RXBUF) | F(VIRTIO_NET_F_GUEST_CSUM) |
		     F(VIRTIO_NET_F_GUEST_TSO4) | F(VIRTIO_NET_F_CSUM) | F(VIRTIO_NET_F_HOST_TSO4));
	cr_assert_eq(virtio_net_tap_offloads(net), TUN_F_CSUM | TUN_F_TSO4);
	cr_assert(tap_feature("tx-checksum-ip-generic"));
	cr_assert(tap_feature("tx-tcp-segmentation"));
	cr_assert_not(tap_feature("tx-tcp6-segmentation"));
	cr_assert_not(tap_feature("tx-tcp-ecn-segmentation"));

	driver_probe(F(VIRTIO_NET_F_MRG_RXBUF) | F(VIRTIO_NET_F_GUEST_CSUM) |
		     F(VIRTIO_NET_F_GUEST_TSO4) | F(VIRTIO_NET_F_GUEST_TSO6) |
		     F(VIRTIO_NET_F_GUEST_ECN));
	cr_assert_eq(virtio_net_tap_offloads(net),
		     TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN);
	cr_assert(tap_feature("tx-tcp6-segmentation"));
	cr_assert(tap_feature("tx-tcp-ecn-segmentation"));

	/* Segmentation without the checksum offload is not something tun
	 * takes (nor the spec allows): nothing is switched on. */
	driver_probe(F(VIRTIO_NET_F_MRG_RXBUF) | F(VIRTIO_NET_F_GUEST_TSO4));
	cr_assert_eq(virtio_net_tap_offloads(net), 0);
	cr_assert_not(tap_feature("tx-tcp-segmentation"));

	driver_probe(F(VIRTIO_NET_F_GUEST_CSUM));
	cr_assert_eq(virtio_net_tap_offloads(net), TUN_F_CSUM);
	/* A reset turns them off. */
	wr(VIRTIO_MMIO_STATUS, 0);
	cr_assert_eq(virtio_net_tap_offloads(net), 0);
	cr_assert_not(tap_feature("tx-checksum-ip-generic"));
}

Test(virtio_net, tap_without_vnet_hdr_is_refused)
{
	char err[256] = "";

	tap_fd = open_tap(IFF_TAP | IFF_NO_PI);
	cr_assert_null(virtio_net_new(loop, tap_fd, guest_mac, 0, err, sizeof(err)));
	cr_assert(strstr(err, "IFF_VNET_HDR") && strstr(err, tap_name), "err: %s", err);
}

static void link_up(void)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(s, 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", tap_name);
	cr_assert_eq(ioctl(s, SIOCGIFFLAGS, &ifr), 0);
	ifr.ifr_flags |= IFF_UP;
	cr_assert_eq(ioctl(s, SIOCSIFFLAGS, &ifr), 0, "SIOCSIFFLAGS: %s", strerror(errno));
	close(s);
}

/* An Ethernet frame of our own type: dst, src, type, then a pattern. */
static void eth_frame(uint8_t *p, size_t len, const uint8_t *dst, const uint8_t *src, unsigned seed)
{
	memcpy(p, dst, 6);
	memcpy(p + 6, src, 6);
	p[12] = ETHERTYPE_TEST >> 8;
	p[13] = ETHERTYPE_TEST & 0xff;
	for (size_t i = 14; i < len; i++)
		p[i] = pattern(i, seed);
}

Test(virtio_net, tap_frames_both_ways)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	static const uint8_t host_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
	static uint8_t frame[HDR + 200], got[2048];
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL)};
	uint16_t id, nb;
	uint32_t len;
	bool seen = false;
	int ps;

	tap_fd = open_tap(IFF_TAP | IFF_NO_PI | IFF_VNET_HDR);
	link_up();
	ps = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	cr_assert_geq(ps, 0, "AF_PACKET: %s", strerror(errno));
	sll.sll_ifindex = (int)if_nametoindex(tap_name);
	cr_assert_eq(bind(ps, (struct sockaddr *)&sll, sizeof(sll)), 0);
	start_on(tap_fd, 0);
	driver_probe(F(VIRTIO_NET_F_MRG_RXBUF) | F(VIRTIO_NET_F_CSUM) | F(VIRTIO_NET_F_GUEST_CSUM));

	/* Guest to host: the frame comes out of the tap as received. */
	memset(frame, 0, HDR);
	eth_frame(frame + HDR, sizeof(frame) - HDR, bcast, guest_mac, 50);
	post_tx(frame, sizeof(frame));
	cr_assert(wait_used(TXQ, &id, &len));
	for (int tries = 0; tries < 50 && !seen; tries++) {
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		struct pollfd p = {.fd = ps, .events = POLLIN};
		ssize_t n;

		cr_assert_eq(poll(&p, 1, 2000), 1, "nothing came out of the tap");
		n = recvfrom(ps, got, sizeof(got), 0, (struct sockaddr *)&from, &fl);
		cr_assert_gt(n, 0);
		if (from.sll_pkttype == PACKET_OUTGOING || got[12] != ETHERTYPE_TEST >> 8 ||
		    got[13] != (ETHERTYPE_TEST & 0xff))
			continue; /* the host's own traffic (IPv6 and the like) */
		cr_assert_eq(n, (ssize_t)sizeof(frame) - HDR);
		cr_assert_arr_eq(got, frame + HDR, sizeof(frame) - HDR);
		seen = true;
	}
	cr_assert(seen);
	cr_assert_eq(stats().tx_frames, 1);

	/* Host to guest: sent on the tap, it lands in the receive buffers. */
	for (int i = 0; i < 4; i++)
		post_rx(2048);
	eth_frame(frame + HDR, sizeof(frame) - HDR, guest_mac, host_mac, 51);
	sll.sll_halen = 6;
	memcpy(sll.sll_addr, guest_mac, 6);
	cr_assert_eq(
	    sendto(ps, frame + HDR, sizeof(frame) - HDR, 0, (struct sockaddr *)&sll, sizeof(sll)),
	    (ssize_t)sizeof(frame) - HDR, "sendto: %s", strerror(errno));
	for (seen = false; !seen;) {
		const uint8_t *b;

		cr_assert(wait_used(RXQ, &id, &len), "the frame did not reach the guest");
		b = hva(buf_gpa(RXQ, id));
		memcpy(&nb, b + 10, 2);
		cr_assert_eq(le16toh(nb), 1);
		cr_assert_geq(len, HDR + 14);
		if (b[HDR + 12] == ETHERTYPE_TEST >> 8 && b[HDR + 13] == (ETHERTYPE_TEST & 0xff)) {
			cr_assert_eq(len, sizeof(frame));
			cr_assert_eq(b[1], VIRTIO_NET_HDR_GSO_NONE);
			cr_assert_arr_eq(b + HDR, frame + HDR, sizeof(frame) - HDR);
			seen = true;
		}
		post_rx(2048);
	}
	close(ps);
	cr_assert_not(needs_reset());
}
