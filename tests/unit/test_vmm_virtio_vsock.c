/* test_vmm_virtio_vsock.c: virtio-vsock driven as the Linux driver drives it, with host clients on
 * a real listening socket and guest connections to sockets in a temporary directory. */
#include <criterion/criterion.h>

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>
#include <linux/virtio_vsock.h>

#include "common/agent_proto.h"
#include "vmm/event.h"
#include "vmm/virtio/mmio.h"
#include "vmm/virtio/vsock.h"

#define RAM_SIZE (8ULL << 20)
#define NQ 3
#define RXQ 0
#define TXQ 1
#define EVQ 2
#define QN 128
#define SLOT 0x2000u /* room behind each descriptor */
#define HDR VIRTIO_VSOCK_HDR_LEN
#define RXBUF (HDR + 4096) /* what Linux posts */
#define F(bit) (1ULL << (bit))
#define GUEST HY_VSOCK_GUEST_CID
#define HOST HY_VSOCK_HOST_CID
#define BUF_ALLOC HY_VSOCK_BUF_ALLOC

static struct guest_mem gm;
static uint8_t *ram;
static struct event_loop *loop;
static pthread_t loop_thread;
static bool loop_running;
static struct virtio_vsock *vs;
static struct virtio_mmio mt;
static int irq_fd = -1;
static int listen_fd = -1;
static char tmpdir[64], listen_path[96];

/* The guest's view of each queue. */
static uint16_t g_avail[NQ], g_used[NQ], g_next_desc[NQ];
static uint8_t chain_segs[NQ][QN]; /* per head: descriptors of an outstanding chain */
static bool busy[NQ][QN];
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

static uint8_t pattern(uint64_t i, unsigned seed)
{
	return (uint8_t)(i * 7 + 3 + seed * 13 + (i >> 10));
}

static void fill(uint8_t *p, size_t len, uint64_t off, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = pattern(off + i, seed);
}

static bool check(const uint8_t *p, size_t len, uint64_t off, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != pattern(off + i, seed))
			return false;
	return true;
}

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

/* Take one used entry: the head and length, the chain's descriptors free again. */
static bool get_used(unsigned qi, uint16_t *id, uint32_t *len)
{
	struct vring_used *u = (void *)hva(used_gpa(qi));

	if (__atomic_load_n(&u->idx, __ATOMIC_ACQUIRE) == g_used[qi])
		return false;
	*id = (uint16_t)u->ring[g_used[qi] % QN].id;
	*len = u->ring[g_used[qi] % QN].len;
	g_used[qi]++;
	cr_assert_lt(*id, QN);
	cr_assert_gt(chain_segs[qi][*id], 0, "queue %u: head %u was not outstanding", qi, *id);
	for (unsigned k = 0; k < chain_segs[qi][*id]; k++)
		busy[qi][(*id + k) % QN] = false;
	chain_segs[qi][*id] = 0;
	return true;
}

static void reap_tx(void)
{
	uint16_t id;
	uint32_t len;

	while (get_used(TXQ, &id, &len))
		cr_assert_eq(len, 0, "the device wrote into a tx buffer");
}

/*
 * A chain of nsegs descriptors of lens[i] bytes, the first n_out
 * device-readable (filled from data), the rest writable. Descriptors are
 * taken in turn; a tx chain waits for earlier ones to come back.
 */
static uint16_t post_chain(unsigned qi, unsigned nsegs, const uint32_t *lens, unsigned n_out,
			   const void *data, bool kick)
{
	struct vring_desc *desc = (void *)hva(desc_gpa(qi));
	uint16_t head = g_next_desc[qi] % QN;
	const uint8_t *p = data;

	cr_assert_leq(nsegs, QN);
	for (int tries = 0;; tries++) {
		bool free_slots = true;

		for (unsigned i = 0; i < nsegs; i++)
			free_slots = free_slots && !busy[qi][(head + i) % QN];
		if (free_slots)
			break;
		cr_assert(qi == TXQ && tries < 3000, "queue %u: no free descriptors", qi);
		reap_tx();
		usleep(1000);
	}
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
		busy[qi][d] = true;
	}
	chain_segs[qi][head] = (uint8_t)nsegs;
	g_next_desc[qi] = (uint16_t)(g_next_desc[qi] + nsegs);
	publish(qi, head, kick);
	return head;
}

static void post_rx(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		post_chain(RXQ, 1, (const uint32_t[]){RXBUF}, 0, NULL, true);
}

/* A packet from the guest, header fields in host order. */
struct pkt {
	uint64_t src_cid, dst_cid;
	uint32_t src_port, dst_port, len;
	uint16_t type, op;
	uint32_t flags, buf_alloc, fwd_cnt;
};

static void hdr_encode(const struct pkt *p, struct virtio_vsock_hdr *h)
{
	h->src_cid = htole64(p->src_cid);
	h->dst_cid = htole64(p->dst_cid);
	h->src_port = htole32(p->src_port);
	h->dst_port = htole32(p->dst_port);
	h->len = htole32(p->len);
	h->type = htole16(p->type);
	h->op = htole16(p->op);
	h->flags = htole32(p->flags);
	h->buf_alloc = htole32(p->buf_alloc);
	h->fwd_cnt = htole32(p->fwd_cnt);
}

static void hdr_decode(const struct virtio_vsock_hdr *h, struct pkt *p)
{
	p->src_cid = le64toh(h->src_cid);
	p->dst_cid = le64toh(h->dst_cid);
	p->src_port = le32toh(h->src_port);
	p->dst_port = le32toh(h->dst_port);
	p->len = le32toh(h->len);
	p->type = le16toh(h->type);
	p->op = le16toh(h->op);
	p->flags = le32toh(h->flags);
	p->buf_alloc = le32toh(h->buf_alloc);
	p->fwd_cnt = le32toh(h->fwd_cnt);
}

/* The header in one descriptor, the payload in descriptors of up to SLOT
 * bytes, as Linux's driver lays a packet out. */
static void send_raw(const struct pkt *p, const void *data, uint32_t data_len)
{
	static uint8_t buf[HDR + 8 * SLOT];
	uint32_t lens[9];
	unsigned n = 1;
	struct virtio_vsock_hdr h;

	cr_assert_leq(data_len, 8 * SLOT);
	reap_tx();
	hdr_encode(p, &h);
	memcpy(buf, &h, HDR);
	if (data_len)
		memcpy(buf + HDR, data, data_len);
	lens[0] = HDR;
	for (uint32_t off = 0; off < data_len; off += SLOT)
		lens[n++] = data_len - off < SLOT ? data_len - off : SLOT;
	post_chain(TXQ, n, lens, n, buf, true);
}

static void send_op(uint16_t op, uint32_t guest_port, uint32_t host_port, uint32_t flags,
		    uint32_t buf_alloc, uint32_t fwd_cnt)
{
	struct pkt p = {.src_cid = GUEST,
			.dst_cid = HOST,
			.src_port = guest_port,
			.dst_port = host_port,
			.type = VIRTIO_VSOCK_TYPE_STREAM,
			.op = op,
			.flags = flags,
			.buf_alloc = buf_alloc,
			.fwd_cnt = fwd_cnt};

	send_raw(&p, NULL, 0);
}

static void send_data(uint32_t guest_port, uint32_t host_port, const void *data, uint32_t len,
		      uint32_t buf_alloc, uint32_t fwd_cnt)
{
	struct pkt p = {.src_cid = GUEST,
			.dst_cid = HOST,
			.src_port = guest_port,
			.dst_port = host_port,
			.len = len,
			.type = VIRTIO_VSOCK_TYPE_STREAM,
			.op = VIRTIO_VSOCK_OP_RW,
			.buf_alloc = buf_alloc,
			.fwd_cnt = fwd_cnt};

	send_raw(&p, data, len);
}

/* The next packet the device put in an rx buffer (payload up to max bytes
 * copied out), within timeout_ms. */
static bool recv_pkt(struct pkt *p, void *payload, size_t max, int timeout_ms)
{
	struct virtio_vsock_hdr h;
	uint16_t id;
	uint32_t len;
	const uint8_t *b;

	for (int i = 0;; i++) {
		if (get_used(RXQ, &id, &len))
			break;
		if (i >= timeout_ms)
			return false;
		usleep(1000);
	}
	b = hva(buf_gpa(RXQ, id));
	cr_assert_geq(len, HDR);
	memcpy(&h, b, HDR);
	hdr_decode(&h, p);
	cr_assert_eq(len, HDR + p->len, "used length %u for a %u-byte payload", len, p->len);
	cr_assert_leq(len, RXBUF);
	cr_assert_eq(p->dst_cid, GUEST);
	cr_assert_eq(p->type, VIRTIO_VSOCK_TYPE_STREAM);
	cr_assert(p->op >= VIRTIO_VSOCK_OP_REQUEST && p->op <= VIRTIO_VSOCK_OP_CREDIT_UPDATE,
		  "op %u", p->op);
	cr_assert(p->op == VIRTIO_VSOCK_OP_RW || p->len == 0);
	if (payload)
		memcpy(payload, b + HDR, p->len < max ? p->len : max);
	return true;
}

static void expect_pkt(struct pkt *p, uint16_t op, uint32_t host_port, uint32_t guest_port)
{
	cr_assert(recv_pkt(p, NULL, 0, 3000), "no packet (op %u expected)", op);
	cr_assert_eq(p->op, op, "op %u, %u expected", p->op, op);
	cr_assert_eq(p->src_cid, HOST);
	cr_assert_eq(p->src_port, host_port, "from port %u, %u expected", p->src_port, host_port);
	cr_assert_eq(p->dst_port, guest_port, "to port %u, %u expected", p->dst_port, guest_port);
}

static void expect_no_pkt(int ms)
{
	struct pkt p;

	cr_assert_not(recv_pkt(&p, NULL, 0, ms), "unexpected packet op %u %u -> %u", p.op,
		      p.src_port, p.dst_port);
}

/* --- the host side ---------------------------------------------------------------------- */

static int unix_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "connect %s: %s", path,
		     strerror(errno));
	return fd;
}

static int unix_listen(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "bind %s: %s", path,
		     strerror(errno));
	cr_assert_eq(listen(fd, 128), 0);
	return fd;
}

static void write_all(int fd, const void *p, size_t len)
{
	cr_assert_eq(write(fd, p, len), (ssize_t)len, "write: %s", strerror(errno));
}

/* Read up to len bytes, waiting at most timeout_ms for each: the count, which
 * is short at end of file (then *eof) or a timeout. */
static size_t read_some(int fd, void *buf, size_t len, int timeout_ms, bool *eof)
{
	size_t got = 0;

	if (eof)
		*eof = false;
	while (got < len) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&pfd, 1, timeout_ms) != 1)
			break;
		n = read(fd, (uint8_t *)buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (eof)
				*eof = true;
			break;
		}
		got += (size_t)n;
	}
	return got;
}

static void expect_eof(int fd)
{
	char c;
	bool eof;

	cr_assert_eq(read_some(fd, &c, 1, 3000, &eof), 0, "data where end of file was expected");
	cr_assert(eof, "the socket was not closed");
}

static void *loop_main(void *arg)
{
	event_loop_run(loop);
	return NULL;
}

static void start_with(const char *dir)
{
	char err[256] = "";

	vs = virtio_vsock_new(loop, listen_fd, dir, err, sizeof(err));
	cr_assert_not_null(vs, "virtio_vsock_new: %s", err);
	virtio_mmio_init(&mt, virtio_vsock_dev(vs), &gm, 0xd0000000, 5, irq_fd);
	cr_assert_eq(pthread_create(&loop_thread, NULL, loop_main, NULL), 0);
	loop_running = true;
}

static void start(void)
{
	start_with(tmpdir);
}

static uint64_t offered_features(void)
{
	uint64_t f;

	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	f = rd(VIRTIO_MMIO_DEVICE_FEATURES);
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	return f | (uint64_t)rd(VIRTIO_MMIO_DEVICE_FEATURES) << 32;
}

/* virtio_mmio probe + virtio_vsock_probe: reset, VERSION_1 (and event idx),
 * three queues, rx buffers, DRIVER_OK. */
static void driver_probe(unsigned nr_rx)
{
	uint64_t accept = F(VIRTIO_F_VERSION_1);

	cr_assert_eq(rd(VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_VSOCK);
	wr(VIRTIO_MMIO_STATUS, 0);
	memset(ram, 0, 0x100000);
	memset(g_avail, 0, sizeof(g_avail));
	memset(g_used, 0, sizeof(g_used));
	memset(g_next_desc, 0, sizeof(g_next_desc));
	memset(chain_segs, 0, sizeof(chain_segs));
	memset(busy, 0, sizeof(busy));
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
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
	cr_assert_eq(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), 0, "three queues");
	/* The event queue gets buffers, which the device never uses. */
	for (unsigned i = 0; i < 4; i++)
		post_chain(EVQ, 1, (const uint32_t[]){4}, 0, NULL, false);
	post_rx(nr_rx);
	wr(VIRTIO_MMIO_STATUS, rd(VIRTIO_MMIO_STATUS) | VIRTIO_CONFIG_S_DRIVER_OK);
	cr_assert_not(needs_reset());
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
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/hyrun-vsock-XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
	snprintf(listen_path, sizeof(listen_path), "%s/vsock.sock", tmpdir);
	listen_fd = unix_listen(listen_path);
	irq_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	cr_assert_geq(irq_fd, 0);
	loop = event_loop_new();
	cr_assert_not_null(loop);
	vs = NULL;
	loop_running = false;
}

static void teardown(void)
{
	char cmd[160];

	if (loop_running) {
		event_loop_stop(loop);
		pthread_join(loop_thread, NULL);
	}
	virtio_vsock_free(vs);
	event_loop_free(loop);
	close(listen_fd);
	close(irq_fd);
	free(ram);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
}

TestSuite(virtio_vsock, .init = setup, .fini = teardown, .timeout = 30);

static struct virtio_vsock_stats stats(void)
{
	struct virtio_vsock_stats s;

	virtio_vsock_get_stats(vs, &s);
	return s;
}

static bool wait_streams(unsigned n)
{
	for (int i = 0; i < 3000; i++) {
		if (stats().streams == n)
			return true;
		usleep(1000);
	}
	return false;
}

/* A host client connected to guest `port`; the guest accepts with buf_alloc.
 * Returns the client, *host_port the device's end. */
static int open_host_stream(uint32_t port, uint32_t buf_alloc, uint32_t *host_port)
{
	char line[32], want[32];
	struct pkt p;
	bool eof;
	int c = unix_connect(listen_path);
	size_t n;

	n = (size_t)snprintf(line, sizeof(line), "CONNECT %u\n", port);
	write_all(c, line, n);
	cr_assert(recv_pkt(&p, NULL, 0, 3000), "no REQUEST reached the guest");
	cr_assert_eq(p.op, VIRTIO_VSOCK_OP_REQUEST);
	cr_assert_eq(p.dst_port, port);
	cr_assert_geq(p.src_port, VIRTIO_VSOCK_PORT_BASE);
	cr_assert_eq(p.buf_alloc, BUF_ALLOC);
	cr_assert_eq(p.fwd_cnt, 0);
	*host_port = p.src_port;
	send_op(VIRTIO_VSOCK_OP_RESPONSE, port, p.src_port, 0, buf_alloc, 0);
	n = (size_t)snprintf(want, sizeof(want), "OK %u\n", p.src_port);
	cr_assert_eq(read_some(c, line, n, 3000, &eof), n, "no OK line");
	cr_assert_arr_eq(line, want, n);
	return c;
}

/* Collect `len` bytes of RW payload for the stream (other packets are
 * skipped); the packets' sizes must fit the guest's credit. */
static void recv_data(uint32_t host_port, uint32_t guest_port, uint8_t *buf, size_t len)
{
	static uint8_t payload[RXBUF];
	size_t got = 0;

	while (got < len) {
		struct pkt p;

		cr_assert(recv_pkt(&p, payload, sizeof(payload), 3000), "%zu of %zu bytes came",
			  got, len);
		cr_assert_eq(p.src_cid, HOST);
		cr_assert_eq(p.src_port, host_port);
		cr_assert_eq(p.dst_port, guest_port);
		if (p.op != VIRTIO_VSOCK_OP_RW)
			continue;
		cr_assert_leq(got + p.len, len, "more data than the client wrote");
		memcpy(buf + got, payload, p.len);
		got += p.len;
		post_rx(1);
	}
}

/* --- features, config space --------------------------------------------------------------- */

Test(virtio_vsock, features_and_config)
{
	uint64_t f, cid = 0, junk = ~0ull;

	start();
	cr_assert_eq(rd(VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_VSOCK);
	f = offered_features();
	cr_assert(f & F(VIRTIO_F_VERSION_1));
	cr_assert_eq(f & 0xffffff, 0, "no device feature (SEQPACKET is not offered): %#llx",
		     (unsigned long long)f);
	virtio_mmio_access(&mt, VIRTIO_MMIO_CONFIG, &cid, 8, false);
	cr_assert_eq(le64toh(cid), GUEST);
	virtio_mmio_access(&mt, VIRTIO_MMIO_CONFIG, &junk, 8, true);
	virtio_mmio_access(&mt, VIRTIO_MMIO_CONFIG, &cid, 8, false);
	cr_assert_eq(le64toh(cid), GUEST, "guest_cid is read-only");
	driver_probe(4);
	expect_no_pkt(50);
}

Test(virtio_vsock, refuses_bad_arguments)
{
	char err[256] = "", dir[200];

	memset(dir, 'd', sizeof(dir) - 1);
	dir[0] = '/';
	dir[sizeof(dir) - 1] = '\0';
	cr_assert_null(virtio_vsock_new(loop, -1, NULL, err, sizeof(err)));
	cr_assert_null(virtio_vsock_new(loop, listen_fd, dir, err, sizeof(err)));
	cr_assert(strstr(err, "longer than"), "err: %s", err);
}

/* --- host-initiated connections ------------------------------------------------------------- */

Test(virtio_vsock, host_connect_accepted)
{
	uint32_t hp, hp2;
	int c, c2;

	start();
	driver_probe(8);
	c = open_host_stream(1024, 65536, &hp);
	cr_assert_eq(hp, VIRTIO_VSOCK_PORT_BASE);
	/* A second one gets a port of its own. */
	c2 = open_host_stream(1024, 65536, &hp2);
	cr_assert_neq(hp2, hp);
	cr_assert_eq(stats().host_connects, 2);
	cr_assert_eq(stats().streams, 2);
	close(c);
	close(c2);
	cr_assert_not(needs_reset());
}

/* A client that comes before the driver: its REQUEST waits for the driver. */
Test(virtio_vsock, client_before_the_driver)
{
	struct pkt p;
	int fd;

	start();
	fd = unix_connect(listen_path);
	write_all(fd, "CONNECT 1024\n", 13);
	cr_assert(wait_streams(1));
	usleep(50000);
	driver_probe(0);
	expect_no_pkt(50);
	post_rx(1);
	expect_pkt(&p, VIRTIO_VSOCK_OP_REQUEST, VIRTIO_VSOCK_PORT_BASE, 1024);
	close(fd);
}

Test(virtio_vsock, host_connect_refused)
{
	struct pkt p;
	char c;
	bool eof;
	int fd;

	start();
	driver_probe(8);
	fd = unix_connect(listen_path);
	write_all(fd, "CONNECT 77\n", 11);
	expect_pkt(&p, VIRTIO_VSOCK_OP_REQUEST, VIRTIO_VSOCK_PORT_BASE, 77);
	/* Nothing listens there: the guest answers RST, the client is closed
	 * without a word, and nothing more goes to the guest. */
	send_op(VIRTIO_VSOCK_OP_RST, 77, p.src_port, 0, 0, 0);
	cr_assert_eq(read_some(fd, &c, 1, 3000, &eof), 0);
	cr_assert(eof);
	expect_no_pkt(100);
	cr_assert_eq(stats().refused, 1);
	cr_assert_eq(stats().rst_received, 1);
	cr_assert_eq(stats().rst_sent, 0);
	cr_assert(wait_streams(0));
	close(fd);
}

Test(virtio_vsock, client_gone_before_the_answer)
{
	struct pkt p;
	int fd;

	start();
	driver_probe(8);
	fd = unix_connect(listen_path);
	write_all(fd, "CONNECT 5\n", 10);
	expect_pkt(&p, VIRTIO_VSOCK_OP_REQUEST, VIRTIO_VSOCK_PORT_BASE, 5);
	close(fd);
	/* The OK line cannot be written: the guest's accepted stream is reset. */
	send_op(VIRTIO_VSOCK_OP_RESPONSE, 5, p.src_port, 0, 65536, 0);
	expect_pkt(&p, VIRTIO_VSOCK_OP_RST, VIRTIO_VSOCK_PORT_BASE, 5);
	cr_assert(wait_streams(0));
}

Test(virtio_vsock, host_connect_times_out)
{
	struct timespec t0, t1;
	struct pkt p;
	char c;
	bool eof;
	int fd;
	long ms;

	start();
	driver_probe(8);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	fd = unix_connect(listen_path);
	write_all(fd, "CONNECT 1024\n", 13);
	expect_pkt(&p, VIRTIO_VSOCK_OP_REQUEST, VIRTIO_VSOCK_PORT_BASE, 1024);
	/* No answer: the client is closed after the timeout, and the guest's
	 * half-open stream is reset. */
	cr_assert_eq(read_some(fd, &c, 1, HY_VSOCK_CONNECT_TIMEOUT_MS + 3000, &eof), 0);
	cr_assert(eof);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	cr_assert_geq(ms, HY_VSOCK_CONNECT_TIMEOUT_MS - 100, "closed after %ld ms", ms);
	expect_pkt(&p, VIRTIO_VSOCK_OP_RST, VIRTIO_VSOCK_PORT_BASE, 1024);
	/* A late RESPONSE is for no stream. */
	send_op(VIRTIO_VSOCK_OP_RESPONSE, 1024, VIRTIO_VSOCK_PORT_BASE, 0, 65536, 0);
	expect_pkt(&p, VIRTIO_VSOCK_OP_RST, VIRTIO_VSOCK_PORT_BASE, 1024);
	cr_assert_eq(stats().refused, 1);
	close(fd);
}

Test(virtio_vsock, bad_connect_lines_are_closed)
{
	static const char *const bad[] = {
	    "HELLO\n",
	    "connect 5\n",
	    "CONNECT\n",
	    "CONNECT \n",
	    "CONNECT -1\n",
	    "CONNECT +5\n",
	    "CONNECT 5 \n",
	    "CONNECT 4294967296\n",
	    "CONNECT 99999999999\n",
	    "CONNECT 5\r\n",
	    "CONNECT 00000000000000000000005\n",
	    "CONNECT 1234567890123456789012345678901234567890",
	};

	start();
	driver_probe(8);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int fd = unix_connect(listen_path);

		write_all(fd, bad[i], strlen(bad[i]));
		expect_eof(fd);
		close(fd);
	}
	/* A line cut short by the client's end of file. */
	{
		int fd = unix_connect(listen_path);

		write_all(fd, "CONNECT 12", 10);
		shutdown(fd, SHUT_WR);
		expect_eof(fd);
		close(fd);
	}
	expect_no_pkt(100);
	cr_assert(wait_streams(0));
	cr_assert_eq(stats().host_connects, 0);
}

/* What the client sends right after its line is the stream's first data. */
Test(virtio_vsock, data_right_after_the_line)
{
	uint8_t buf[16];
	struct pkt p;
	char ok[32];
	int fd, n;

	start();
	driver_probe(8);
	fd = unix_connect(listen_path);
	write_all(fd, "CONNECT 4294967295\nhello", 24);
	expect_pkt(&p, VIRTIO_VSOCK_OP_REQUEST, VIRTIO_VSOCK_PORT_BASE, 4294967295u);
	send_op(VIRTIO_VSOCK_OP_RESPONSE, 4294967295u, p.src_port, 0, 65536, 0);
	n = snprintf(ok, sizeof(ok), "OK %u\n", p.src_port);
	cr_assert_eq(read_some(fd, buf, (size_t)n, 3000, NULL), (size_t)n);
	cr_assert_arr_eq(buf, ok, (size_t)n);
	recv_data(p.src_port, 4294967295u, buf, 5);
	cr_assert_arr_eq(buf, "hello", 5);
	close(fd);
}

/* --- data ------------------------------------------------------------------------------------ */

Test(virtio_vsock, data_both_ways)
{
	static uint8_t out[200000], in[200000];
	size_t sent = 0, got = 0;
	uint32_t hp, fwd = 0;
	int c;

	start();
	driver_probe(32);
	c = open_host_stream(2000, 1u << 20, &hp);
	/* Host -> guest: the guest's 1 MiB buffer takes it all. */
	fill(out, sizeof(out), 0, 1);
	write_all(c, out, sizeof(out));
	recv_data(hp, 2000, in, sizeof(in));
	cr_assert(check(in, sizeof(in), 0, 1), "host -> guest data differs");

	/* Guest -> host in 4 KiB packets, within the device's credit (the
	 * client reads as it goes, so the credit never runs out). */
	fill(out, sizeof(out), 0, 2);
	while (sent < sizeof(out)) {
		uint32_t n = sizeof(out) - sent < 4096 ? (uint32_t)(sizeof(out) - sent) : 4096;
		bool eof;

		send_data(2000, hp, out + sent, n, 1u << 20, fwd);
		sent += n;
		got += read_some(c, in + got, sent - got, 3000, &eof);
		cr_assert_eq(got, sent);
	}
	cr_assert(check(in, sizeof(in), 0, 2), "guest -> host data differs");
	cr_assert_eq(stats().rx_bytes, sizeof(out));
	cr_assert_eq(stats().tx_bytes, sizeof(out));
	cr_assert_eq(virtio_vsock_buffered(vs), 0);
	cr_assert_not(needs_reset());
	close(c);
}

Test(virtio_vsock, data_with_event_idx_and_split_buffers)
{
	static uint8_t out[50000], in[50000];
	uint32_t hp;
	int c;

	g_event_idx = true;
	start();
	driver_probe(0);
	/* Header and payload in two descriptors, as older Linux posts them. */
	for (unsigned i = 0; i < 8; i++)
		post_chain(RXQ, 2, (const uint32_t[]){HDR, 4096}, 0, NULL, true);
	c = open_host_stream(9, 1u << 20, &hp);
	fill(out, sizeof(out), 0, 3);
	write_all(c, out, sizeof(out));
	for (size_t got = 0; got < sizeof(in);) {
		struct pkt p;
		uint16_t id = 0;
		uint32_t len = 0;
		struct virtio_vsock_hdr h;

		for (int i = 0; i < 3000 && !get_used(RXQ, &id, &len); i++)
			usleep(1000);
		cr_assert_geq(len, HDR, "no data after %zu bytes", got);
		memcpy(&h, hva(buf_gpa(RXQ, id)), HDR);
		hdr_decode(&h, &p);
		cr_assert_eq(p.op, VIRTIO_VSOCK_OP_RW);
		cr_assert_eq(len, HDR + p.len);
		cr_assert_leq(p.len, 4096);
		memcpy(in + got, hva(buf_gpa(RXQ, (id + 1) % QN)), p.len);
		got += p.len;
		post_chain(RXQ, 2, (const uint32_t[]){HDR, 4096}, 0, NULL, true);
	}
	cr_assert(check(in, sizeof(in), 0, 3));
	close(c);
}

/* The guest's credit bounds what it gets; a CREDIT_UPDATE lets more come. */
Test(virtio_vsock, host_to_guest_within_credit)
{
	static uint8_t out[65536], in[65536];
	uint32_t hp;
	int c;

	start();
	driver_probe(32);
	c = open_host_stream(3000, 8192, &hp);
	fill(out, sizeof(out), 0, 4);
	write_all(c, out, sizeof(out));
	recv_data(hp, 3000, in, 8192);
	expect_no_pkt(200);
	/* The guest read 4096 bytes: 4096 more may come. */
	send_op(VIRTIO_VSOCK_OP_CREDIT_UPDATE, 3000, hp, 0, 8192, 4096);
	recv_data(hp, 3000, in + 8192, 4096);
	expect_no_pkt(200);
	/* A larger buffer: the rest. */
	send_op(VIRTIO_VSOCK_OP_CREDIT_UPDATE, 3000, hp, 0, 1u << 20, 8192);
	recv_data(hp, 3000, in + 12288, sizeof(in) - 12288);
	cr_assert(check(in, sizeof(in), 0, 4));
	close(c);
}

/* With no rx buffer the client is not read; buffers make it flow. */
Test(virtio_vsock, host_to_guest_waits_for_rx_buffers)
{
	uint8_t buf[8];
	uint32_t hp;
	int c;

	start();
	driver_probe(2);
	c = open_host_stream(3001, 65536, &hp); /* the REQUEST took one buffer */
	/* The one left goes to the first data; then there are none. */
	write_all(c, "abc", 3);
	{
		struct pkt p;

		cr_assert(recv_pkt(&p, buf, sizeof(buf), 3000));
		cr_assert_eq(p.op, VIRTIO_VSOCK_OP_RW);
		cr_assert_eq(p.len, 3);
	}
	write_all(c, "defgh", 5);
	expect_no_pkt(200);
	post_rx(1);
	recv_data(hp, 3001, buf, 5);
	cr_assert_arr_eq(buf, "defgh", 5);
	close(c);
}

/* rx buffers with room for a header only carry credit updates, never stall. */
Test(virtio_vsock, header_only_rx_buffers)
{
	uint8_t buf[8];
	uint32_t hp;
	struct pkt p;
	int c;

	start();
	driver_probe(1);
	c = open_host_stream(3002, 65536, &hp);
	post_chain(RXQ, 1, (const uint32_t[]){HDR}, 0, NULL, true);
	post_chain(RXQ, 1, (const uint32_t[]){HDR}, 0, NULL, true);
	write_all(c, "x", 1);
	expect_pkt(&p, VIRTIO_VSOCK_OP_CREDIT_UPDATE, hp, 3002);
	expect_pkt(&p, VIRTIO_VSOCK_OP_CREDIT_UPDATE, hp, 3002);
	expect_no_pkt(100);
	post_rx(1);
	recv_data(hp, 3002, buf, 1);
	cr_assert_eq(buf[0], 'x');
	close(c);
}

Test(virtio_vsock, credit_request_answered)
{
	static uint8_t data[1000];
	uint8_t in[1000];
	struct pkt p;
	uint32_t hp;
	int c;

	start();
	driver_probe(8);
	c = open_host_stream(4000, 65536, &hp);
	fill(data, sizeof(data), 0, 5);
	send_data(4000, hp, data, sizeof(data), 65536, 0);
	cr_assert_eq(read_some(c, in, sizeof(in), 3000, NULL), sizeof(in));
	send_op(VIRTIO_VSOCK_OP_CREDIT_REQUEST, 4000, hp, 0, 65536, 0);
	expect_pkt(&p, VIRTIO_VSOCK_OP_CREDIT_UPDATE, hp, 4000);
	cr_assert_eq(p.buf_alloc, BUF_ALLOC);
	cr_assert_eq(p.fwd_cnt, sizeof(data));
	cr_assert_eq(stats().credit_updates, 1);
	close(c);
}

/* A guest that ignores the credit is reset, and the device never keeps more
 * than it advertised while the client reads nothing. */
Test(virtio_vsock, guest_over_credit_is_reset)
{
	static uint8_t data[4096];
	uint64_t sent = 0;
	struct pkt p;
	bool reset = false;
	uint32_t hp;
	int c;

	start();
	driver_probe(64);
	c = open_host_stream(4001, 65536, &hp);
	fill(data, sizeof(data), 0, 6);
	while (!reset && sent < (4u << 20)) {
		send_data(4001, hp, data, sizeof(data), 65536, 0);
		sent += sizeof(data);
		cr_assert_leq(virtio_vsock_buffered(vs), BUF_ALLOC);
		while (recv_pkt(&p, NULL, 0, 0)) {
			post_rx(1);
			if (p.op == VIRTIO_VSOCK_OP_RST)
				reset = true;
		}
	}
	for (int i = 0; i < 1000 && !reset; i++)
		if (recv_pkt(&p, NULL, 0, 1) && p.op == VIRTIO_VSOCK_OP_RST)
			reset = true;
	cr_assert(reset, "no RST after %llu bytes", (unsigned long long)sent);
	cr_assert_eq(p.src_port, hp);
	/* Not before the guest had sent a whole buffer's worth. */
	cr_assert_geq(sent, BUF_ALLOC);
	cr_assert(wait_streams(0));
	cr_assert_eq(virtio_vsock_buffered(vs), 0);
	cr_assert_not(needs_reset());
	close(c);
}

struct reader {
	int fd;
	size_t want, got;
	unsigned seed;
	bool ok;
};

static void *reader_main(void *arg)
{
	static uint8_t buf[65536];
	struct reader *r = arg;

	r->ok = true;
	while (r->got < r->want) {
		size_t n = read_some(r->fd, buf, sizeof(buf), 3000, NULL);

		if (!n)
			break;
		if (!check(buf, n, r->got, r->seed))
			r->ok = false;
		r->got += n;
	}
	return NULL;
}

/* A client that does not read: the guest, keeping to its credit, waits; the
 * device keeps at most its buffer. Once the client reads, credit updates let
 * everything through. */
Test(virtio_vsock, slow_reader_stays_bounded)
{
	static uint8_t data[4096];
	const uint64_t total = 2u << 20;
	uint64_t sent = 0;
	uint32_t hp, buf_alloc, fwd = 0, asked_fwd = 0;
	struct reader r = {.want = 2u << 20, .seed = 7};
	pthread_t th = 0;
	bool reading = false, asked = false;
	unsigned idle = 0;
	struct pkt p;
	int c;

	start();
	driver_probe(64);
	c = open_host_stream(4002, 65536, &hp);
	buf_alloc = BUF_ALLOC;
	r.fd = c;
	while (sent < total) {
		uint32_t credit;
		bool got;

		while (recv_pkt(&p, NULL, 0, 0)) {
			post_rx(1);
			cr_assert_neq(p.op, VIRTIO_VSOCK_OP_RST,
				      "reset while keeping to the credit");
			buf_alloc = p.buf_alloc;
			fwd = p.fwd_cnt;
		}
		credit = buf_alloc - (uint32_t)(sent - fwd);
		if (credit) {
			uint32_t n = credit < sizeof(data) ? credit : sizeof(data);

			fill(data, n, sent, 7);
			send_data(4002, hp, data, n, 65536, 0);
			sent += n;
			cr_assert_leq(virtio_vsock_buffered(vs), BUF_ALLOC);
			idle = 0;
			continue;
		}
		/* No credit: ask once per state of the device's counter. */
		if (!asked || asked_fwd != fwd) {
			send_op(VIRTIO_VSOCK_OP_CREDIT_REQUEST, 4002, hp, 0, 65536, 0);
			asked = true;
			asked_fwd = fwd;
		}
		got = recv_pkt(&p, NULL, 0, 300);
		if (got) {
			post_rx(1);
			cr_assert_neq(p.op, VIRTIO_VSOCK_OP_RST);
			buf_alloc = p.buf_alloc;
			fwd = p.fwd_cnt;
			continue;
		}
		if (!reading) {
			/* Stuck: the client reads nothing, and the device holds
			 * exactly its buffer. */
			cr_assert_eq(virtio_vsock_buffered(vs), BUF_ALLOC);
			cr_assert_eq(pthread_create(&th, NULL, reader_main, &r), 0);
			reading = true;
		} else {
			cr_assert_lt(++idle, 10, "stuck with a reader after %llu bytes",
				     (unsigned long long)sent);
		}
	}
	cr_assert(reading, "the device never ran out of room for a client that did not read");
	pthread_join(th, NULL);
	cr_assert_eq(r.got, total);
	cr_assert(r.ok, "the client got other bytes than the guest sent");
	cr_assert_gt(stats().credit_updates, 0);
	cr_assert_eq(stats().rst_sent, 0);
	cr_assert_eq(virtio_vsock_buffered(vs), 0);
	close(c);
}

/* --- shutdown ----------------------------------------------------------------------------------
 */

Test(virtio_vsock, client_half_close)
{
	uint8_t buf[16];
	struct pkt p;
	uint32_t hp;
	int c;

	start();
	driver_probe(16);
	c = open_host_stream(5000, 65536, &hp);
	write_all(c, "abc", 3);
	shutdown(c, SHUT_WR);
	recv_data(hp, 5000, buf, 3);
	cr_assert_arr_eq(buf, "abc", 3);
	expect_pkt(&p, VIRTIO_VSOCK_OP_SHUTDOWN, hp, 5000);
	cr_assert_eq(p.flags, VIRTIO_VSOCK_SHUTDOWN_SEND);
	/* The client still reads. */
	send_data(5000, hp, "reply", 5, 65536, 3);
	cr_assert_eq(read_some(c, buf, 5, 3000, NULL), 5);
	cr_assert_arr_eq(buf, "reply", 5);
	/* The guest closes: the client reads end of file, the guest gets RST. */
	send_op(VIRTIO_VSOCK_OP_SHUTDOWN, 5000, hp,
		VIRTIO_VSOCK_SHUTDOWN_RCV | VIRTIO_VSOCK_SHUTDOWN_SEND, 65536, 3);
	expect_eof(c);
	expect_pkt(&p, VIRTIO_VSOCK_OP_RST, hp, 5000);
	cr_assert(wait_streams(0));
	close(c);
}

Test(virtio_vsock, guest_half_close)
{
	uint8_t buf[16];
	struct pkt p;
	uint32_t hp;
	int c;

	start();
	driver_probe(16);
	c = open_host_stream(5001, 65536, &hp);
	send_data(5001, hp, "last", 4, 65536, 0);
	send_op(VIRTIO_VSOCK_OP_SHUTDOWN, 5001, hp, VIRTIO_VSOCK_SHUTDOWN_SEND, 65536, 0);
	cr_assert_eq(read_some(c, buf, 4, 3000, NULL), 4);
	cr_assert_arr_eq(buf, "last", 4);
	expect_eof(c);
	/* The other way still works. */
	write_all(c, "more", 4);
	recv_data(hp, 5001, buf, 4);
	cr_assert_arr_eq(buf, "more", 4);
	/* Data after SHUTDOWN(SEND) would be a protocol error; the client ends
	 * its side instead: both directions are over. */
	close(c);
	expect_pkt(&p, VIRTIO_VSOCK_OP_SHUTDOWN, hp, 5001);
	expect_pkt(&p, VIRTIO_VSOCK_OP_RST, hp, 5001);
	cr_assert(wait_streams(0));
	cr_assert_eq(stats().rst_sent, 1);
}

Test(virtio_vsock, guest_reset_closes_the_client)
{
	uint32_t hp;
	int c;

	start();
	driver_probe(8);
	c = open_host_stream(5002, 65536, &hp);
	send_op(VIRTIO_VSOCK_OP_RST, 5002, hp, 0, 0, 0);
	expect_eof(c);
	expect_no_pkt(100);
	cr_assert(wait_streams(0));
	close(c);
}

/* --- guest-initiated connections ------------------------------------------------------------ */

Test(virtio_vsock, guest_connect_to_a_host_socket)
{
	char path[96];
	uint8_t buf[16];
	struct pkt p;
	int srv, conn;

	snprintf(path, sizeof(path), "%s/vsock.sock_6000", tmpdir);
	srv = unix_listen(path);
	start();
	driver_probe(16);
	send_op(VIRTIO_VSOCK_OP_REQUEST, 40000, 6000, 0, 65536, 0);
	expect_pkt(&p, VIRTIO_VSOCK_OP_RESPONSE, 6000, 40000);
	cr_assert_eq(p.buf_alloc, BUF_ALLOC);
	conn = accept(srv, NULL, NULL);
	cr_assert_geq(conn, 0);
	send_data(40000, 6000, "ping", 4, 65536, 0);
	cr_assert_eq(read_some(conn, buf, 4, 3000, NULL), 4);
	cr_assert_arr_eq(buf, "ping", 4);
	write_all(conn, "pong", 4);
	recv_data(6000, 40000, buf, 4);
	cr_assert_arr_eq(buf, "pong", 4);
	cr_assert_eq(stats().guest_connects, 1);
	send_op(VIRTIO_VSOCK_OP_SHUTDOWN, 40000, 6000,
		VIRTIO_VSOCK_SHUTDOWN_RCV | VIRTIO_VSOCK_SHUTDOWN_SEND, 65536, 4);
	expect_eof(conn);
	expect_pkt(&p, VIRTIO_VSOCK_OP_RST, 6000, 40000);
	cr_assert(wait_streams(0));
	close(conn);
	close(srv);
}

Test(virtio_vsock, guest_connect_refused)
{
	struct pkt p;
	struct pkt seq = {.src_cid = GUEST,
			  .dst_cid = HOST,
			  .src_port = 40003,
			  .dst_port = 6002,
			  .type = VIRTIO_VSOCK_TYPE_SEQPACKET,
			  .op = VIRTIO_VSOCK_OP_REQUEST,
			  .buf_alloc = 65536};
	struct pkt other = seq;
	char path[96];
	int srv;

	snprintf(path, sizeof(path), "%s/vsock.sock_6002", tmpdir);
	srv = unix_listen(path);
	start();
	driver_probe(16);
	/* Nothing listens on port 6001. */
	send_op(VIRTIO_VSOCK_OP_REQUEST, 40001, 6001, 0, 65536, 0);
	expect_pkt(&p, VIRTIO_VSOCK_OP_RST, 6001, 40001);
	/* SEQPACKET is not offered. */
	send_raw(&seq, NULL, 0);
	expect_pkt(&p, VIRTIO_VSOCK_OP_RST, 6002, 40003);
	/* Another CID than the host's: the RST comes from where it went. */
	other.type = VIRTIO_VSOCK_TYPE_STREAM;
	other.dst_cid = 5;
	send_raw(&other, NULL, 0);
	cr_assert(recv_pkt(&p, NULL, 0, 3000));
	cr_assert_eq(p.op, VIRTIO_VSOCK_OP_RST);
	cr_assert_eq(p.src_cid, 5);
	cr_assert_eq(p.src_port, 6002);
	cr_assert_eq(p.dst_port, 40003);
	cr_assert_eq(stats().guest_connects, 0);
	cr_assert_eq(stats().refused, 1);
	cr_assert(wait_streams(0));
	close(srv);
}

Test(virtio_vsock, guest_connect_without_dir)
{
	struct pkt p;

	start_with(NULL);
	driver_probe(8);
	send_op(VIRTIO_VSOCK_OP_REQUEST, 40002, 6000, 0, 65536, 0);
	expect_pkt(&p, VIRTIO_VSOCK_OP_RST, 6000, 40002);
	cr_assert_eq(stats().refused, 1);
}

/* --- protocol errors ---------------------------------------------------------------------------
 */

Test(virtio_vsock, packets_for_no_stream)
{
	struct pkt p;

	start();
	driver_probe(8);
	send_data(7000, 7001, "zz", 2, 65536, 0);
	expect_pkt(&p, VIRTIO_VSOCK_OP_RST, 7001, 7000);
	send_op(VIRTIO_VSOCK_OP_CREDIT_REQUEST, 7000, 7001, 0, 65536, 0);
	expect_pkt(&p, VIRTIO_VSOCK_OP_RST, 7001, 7000);
	send_op(9, 7000, 7001, 0, 65536, 0);
	expect_pkt(&p, VIRTIO_VSOCK_OP_RST, 7001, 7000);
	/* Never a RST for a RST. */
	send_op(VIRTIO_VSOCK_OP_RST, 7000, 7001, 0, 0, 0);
	expect_no_pkt(100);
	cr_assert_not(needs_reset());
}

/* A packet that does not fit its stream resets that stream only. */
Test(virtio_vsock, protocol_errors_reset_the_stream)
{
	struct pkt bad = {.src_cid = GUEST,
			  .dst_cid = HOST,
			  .type = VIRTIO_VSOCK_TYPE_STREAM,
			  .buf_alloc = 65536};
	uint32_t hp[6];
	struct pkt p;
	int c[6], keep;

	start();
	driver_probe(32);
	for (unsigned i = 0; i < 6; i++)
		c[i] = open_host_stream(8000 + i, 65536, &hp[i]);
	keep = open_host_stream(8100, 65536, &(uint32_t){0});
	send_op(9, 8000, hp[0], 0, 65536, 0);			     /* an unknown op */
	send_op(VIRTIO_VSOCK_OP_RESPONSE, 8001, hp[1], 0, 65536, 0); /* a second RESPONSE */
	send_op(VIRTIO_VSOCK_OP_REQUEST, 8002, hp[2], 0, 65536, 0);  /* REQUEST on a stream */
	bad.src_port = 8003;
	bad.dst_port = hp[3];
	bad.op = VIRTIO_VSOCK_OP_SHUTDOWN;
	bad.len = 3; /* a payload on a non-data packet */
	send_raw(&bad, "abc", 3);
	bad.src_port = 8004;
	bad.dst_port = hp[4];
	bad.op = VIRTIO_VSOCK_OP_RW;
	bad.len = 2;
	bad.src_cid = 7; /* not the guest's CID */
	send_raw(&bad, "ab", 2);
	send_op(VIRTIO_VSOCK_OP_SHUTDOWN, 8005, hp[5], VIRTIO_VSOCK_SHUTDOWN_SEND, 65536, 0);
	send_data(8005, hp[5], "late", 4, 65536, 0); /* data after SHUTDOWN(SEND) */
	for (unsigned i = 0; i < 6; i++) {
		expect_pkt(&p, VIRTIO_VSOCK_OP_RST, hp[i], 8000 + i);
		expect_eof(c[i]);
		close(c[i]);
	}
	cr_assert(wait_streams(1));
	cr_assert_not(needs_reset());
	close(keep);
}

/* --- malformed chains ------------------------------------------------------------------------- */

static int broken_setup(uint32_t *hp)
{
	start();
	driver_probe(8);
	return open_host_stream(9000, 65536, hp);
}

static void expect_broken(int c)
{
	for (int i = 0; i < 3000 && !needs_reset(); i++)
		usleep(1000);
	cr_assert(needs_reset(), "the device did not stop");
	expect_eof(c);
	cr_assert(wait_streams(0));
	close(c);
}

Test(virtio_vsock, tx_chain_with_writable_buffer_breaks)
{
	uint8_t hdr[HDR] = {0};
	uint32_t hp;
	int c = broken_setup(&hp);

	post_chain(TXQ, 2, (const uint32_t[]){HDR, 64}, 1, hdr, true);
	expect_broken(c);
}

Test(virtio_vsock, tx_shorter_than_the_header_breaks)
{
	uint8_t hdr[HDR] = {0};
	uint32_t hp;
	int c = broken_setup(&hp);

	post_chain(TXQ, 1, (const uint32_t[]){HDR - 1}, 1, hdr, true);
	expect_broken(c);
}

Test(virtio_vsock, tx_len_beyond_the_chain_breaks)
{
	struct pkt p = {.src_cid = GUEST,
			.dst_cid = HOST,
			.src_port = 9000,
			.type = VIRTIO_VSOCK_TYPE_STREAM,
			.op = VIRTIO_VSOCK_OP_RW,
			.len = 100};
	uint32_t hp;
	int c = broken_setup(&hp);

	p.dst_port = hp;
	send_raw(&p, "only ten b", 10);
	expect_broken(c);
}

Test(virtio_vsock, rx_chain_with_readable_buffer_breaks)
{
	uint8_t junk[HDR + 64] = {0};
	uint32_t hp;
	int c = broken_setup(&hp);
	struct pkt p;

	/* Use up the good buffers, then one the device may not write. */
	while (recv_pkt(&p, NULL, 0, 0))
		;
	for (unsigned i = 0; i < 8; i++)
		send_op(VIRTIO_VSOCK_OP_CREDIT_REQUEST, 9000, hp, 0, 65536, 0);
	for (unsigned i = 0; i < 7; i++)
		cr_assert(recv_pkt(&p, NULL, 0, 3000));
	post_chain(RXQ, 2, (const uint32_t[]){16, HDR + 48}, 1, junk, true);
	expect_broken(c);
}

Test(virtio_vsock, rx_buffer_shorter_than_the_header_breaks)
{
	uint32_t hp;
	int c = broken_setup(&hp);
	struct pkt p;

	for (unsigned i = 0; i < 8; i++)
		send_op(VIRTIO_VSOCK_OP_CREDIT_REQUEST, 9000, hp, 0, 65536, 0);
	for (unsigned i = 0; i < 7; i++)
		cr_assert(recv_pkt(&p, NULL, 0, 3000));
	post_chain(RXQ, 1, (const uint32_t[]){HDR - 4}, 0, NULL, true);
	expect_broken(c);
}

Test(virtio_vsock, bad_descriptor_breaks)
{
	struct vring_desc *desc = (void *)hva(desc_gpa(TXQ));
	uint32_t hp;
	int c = broken_setup(&hp);
	uint16_t head = g_next_desc[TXQ] % QN;

	desc[head] = (struct vring_desc){.addr = RAM_SIZE - 8, .len = HDR};
	chain_segs[TXQ][head] = 1;
	busy[TXQ][head] = true;
	g_next_desc[TXQ]++;
	publish(TXQ, head, true);
	expect_broken(c);
}

/* --- reset and limits --------------------------------------------------------------------------
 */

Test(virtio_vsock, reset_closes_everything)
{
	static uint8_t data[8192];
	char path[96];
	struct pkt p;
	uint32_t hp;
	int c, line, srv, conn, c2;

	snprintf(path, sizeof(path), "%s/vsock.sock_6100", tmpdir);
	srv = unix_listen(path);
	start();
	driver_probe(16);
	c = open_host_stream(9100, 65536, &hp);
	send_op(VIRTIO_VSOCK_OP_REQUEST, 41000, 6100, 0, 65536, 0);
	expect_pkt(&p, VIRTIO_VSOCK_OP_RESPONSE, 6100, 41000);
	conn = accept(srv, NULL, NULL);
	cr_assert_geq(conn, 0);
	line = unix_connect(listen_path); /* no line yet */
	/* Some bytes kept for the client, which does not read (within the
	 * credit: less than BUF_ALLOC in all). */
	for (unsigned i = 0; i < 30 && !virtio_vsock_buffered(vs); i++)
		send_data(9100, hp, data, sizeof(data), 65536, 0);
	cr_assert(wait_streams(3));
	cr_assert_gt(virtio_vsock_buffered(vs), 0);

	wr(VIRTIO_MMIO_STATUS, 0);
	/* The client that sent no line yet is no stream of the driver's. */
	cr_assert_eq(stats().streams, 1);
	cr_assert_eq(virtio_vsock_buffered(vs), 0);
	expect_eof(conn);
	{
		/* The client gets what was written before, then end of file. */
		static uint8_t sink[1 << 20];
		bool eof = false;

		read_some(c, sink, sizeof(sink), 3000, &eof);
		cr_assert(eof);
	}
	/* The driver comes back: the waiting client and new ones are served. */
	driver_probe(8);
	write_all(line, "CONNECT 9102\n", 13);
	expect_pkt(&p, VIRTIO_VSOCK_OP_REQUEST, hp + 1, 9102);
	c2 = open_host_stream(9101, 65536, &hp);
	close(c2);
	close(c);
	close(line);
	close(conn);
	close(srv);
}

/* At most VIRTIO_VSOCK_MAX_STREAMS streams: a client beyond waits in the
 * listener's backlog; a guest REQUEST beyond gets RST. */
Test(virtio_vsock, stream_limit)
{
	int fds[VIRTIO_VSOCK_MAX_STREAMS], extra, srv;
	struct pkt p;
	char path[96];

	/* A socket is there: the RST below is the limit's. */
	snprintf(path, sizeof(path), "%s/vsock.sock_6200", tmpdir);
	srv = unix_listen(path);
	start();
	driver_probe(16);
	for (unsigned i = 0; i < VIRTIO_VSOCK_MAX_STREAMS; i++)
		fds[i] = unix_connect(listen_path);
	cr_assert(wait_streams(VIRTIO_VSOCK_MAX_STREAMS));
	extra = unix_connect(listen_path);
	write_all(extra, "CONNECT 10\n", 11);
	send_op(VIRTIO_VSOCK_OP_REQUEST, 42000, 6200, 0, 65536, 0);
	expect_pkt(&p, VIRTIO_VSOCK_OP_RST, 6200, 42000);
	expect_no_pkt(200);
	cr_assert_eq(stats().streams, VIRTIO_VSOCK_MAX_STREAMS);
	/* One slot frees: the waiting client is served. */
	close(fds[0]);
	expect_pkt(&p, VIRTIO_VSOCK_OP_REQUEST, VIRTIO_VSOCK_PORT_BASE, 10);
	for (unsigned i = 1; i < VIRTIO_VSOCK_MAX_STREAMS; i++)
		close(fds[i]);
	close(extra);
	close(srv);
}
