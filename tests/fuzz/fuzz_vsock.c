/* fuzz_vsock.c: virtio-vsock driven by a hostile guest the input scripts, with real host sockets.
 *
 * The harness plays the guest's driver as tests/unit/test_vmm_virtio_vsock.c
 * does, but every step and field comes from the input: features, rx chains
 * of any shape, packets with any header (CIDs, ports, op, type, len, flags,
 * credit) and payload, raw descriptors and register writes. On the host side
 * it plays clients of the device's listening socket (CONNECT lines valid or
 * not, data, reads, half-closes, closes) and servers of the sockets in the
 * device's dir that guest connections reach (accept, data, close). The event
 * loop runs one round at a time, when the input says (event_loop_run_once()),
 * so interleavings are the input's too; the connect timer never fires.
 *
 * Besides crashes, it checks that the device writes only used rings and rx
 * buffers (descriptor tables, avail rings, tx and event buffers keep what the
 * guest put there), returns only outstanding chains (tx with used length 0,
 * rx with no more than they hold, never an event buffer), that each rx
 * packet is well formed (header and len match the used length, addressed to
 * the guest's CID, a stream type, a known op, our buf_alloc on a stream's
 * packets), that data never exceeds the credit the guest gave for the pair
 * of ports (the most it could have meant since the stream began), and that
 * the device keeps at most VIRTIO_VSOCK_MAX_STREAMS streams and their
 * buffers. Raw descriptors and raw register writes turn the ring checks off
 * for the rest of the input.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>
#include <linux/virtio_vsock.h>

#include "common/agent_proto.h"
#include "tests/fuzz/fuzz.h"
#include "vmm/event.h"
#include "vmm/guest_mem.h"
#include "vmm/virtio/mmio.h"
#include "vmm/virtio/vsock.h"

#define RAM_SIZE 0x40000u
#define NQ 3
#define RXQ 0
#define TXQ 1
#define EVQ 2
#define QN 8
#define BUF 2048
#define HDR VIRTIO_VSOCK_HDR_LEN
#define FREE_START 0x30000u /* raw descriptors may point anywhere from here */
#define MAX_OPS 256
#define MAX_CLIENTS 8
#define MAX_SERVERS 8
#define MAX_FLOWS 64
#define NR_PORTS 8

static uint8_t *ram, *shadow;
static struct guest_mem gm;
static struct virtio_mmio mt;
static char dir[64];
static int host_srv[2] = {-1, -1}; /* dir/vsock.sock_1, dir/vsock.sock_2 */
static unsigned nr_inputs;

/* The guest's view of each queue. */
static uint16_t g_avail[NQ], g_used[NQ], g_next[NQ];
static bool busy[NQ][QN];
static uint8_t chain_segs[NQ][QN];
static uint32_t chain_len[NQ][QN];
static uint32_t ro_len[NQ][QN]; /* bytes of each buffer slot the device must not change */
static bool checks_on;

/* Host sockets of this input. */
static int clients[MAX_CLIENTS], servers[MAX_SERVERS];

/* Ports seen on the wire, for packets that hit streams. */
static uint32_t ports[NR_PORTS];
static unsigned ports_next;

/* The credit model: per pair of ports, RW bytes the device sent since the
 * pair's latest REQUEST (either way), and the most credit the guest's packets
 * for it could have given (fwd_cnt + buf_alloc). */
struct flow {
	bool used;
	uint32_t host_port, guest_port;
	uint64_t sent, limit;
};
static struct flow flows[MAX_FLOWS];
static unsigned flows_next;

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

static void remember_port(uint32_t p)
{
	ports[ports_next++ % NR_PORTS] = p;
}

static struct flow *flow_get(uint32_t host_port, uint32_t guest_port, bool create)
{
	struct flow *f;

	for (unsigned i = 0; i < MAX_FLOWS; i++)
		if (flows[i].used && flows[i].host_port == host_port &&
		    flows[i].guest_port == guest_port)
			return &flows[i];
	if (!create)
		return NULL;
	f = &flows[flows_next++ % MAX_FLOWS];
	*f = (struct flow){.used = true, .host_port = host_port, .guest_port = guest_port};
	return f;
}

/* A new stream may begin for the pair: what was sent before does not count. */
static void flow_restart(uint32_t host_port, uint32_t guest_port, uint64_t limit)
{
	struct flow *f = flow_get(host_port, guest_port, true);

	f->sent = 0;
	f->limit = limit;
}

static void publish(unsigned qi, uint16_t head, bool kick)
{
	gw16(avail_gpa(qi) + 4 + 2 * (g_avail[qi] % QN), head);
	g_avail[qi]++;
	gw16(avail_gpa(qi) + 2, g_avail[qi]);
	if (kick)
		wr(VIRTIO_MMIO_QUEUE_NOTIFY, qi);
}

/* A chain in the next free slots, segment i lens[i] bytes: tx chains readable
 * (filled from data), the others writable. Skipped when slots are taken. */
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
		    .flags = (uint16_t)((qi != TXQ ? VRING_DESC_F_WRITE : 0) |
					(i + 1 < nsegs ? VRING_DESC_F_NEXT : 0)),
		    .next = (uint16_t)((d + 1) % QN),
		};

		if (qi == TXQ) {
			size_t n = dlen < lens[i] ? dlen : lens[i];

			memset(ram + desc.addr, 0, lens[i]);
			memset(shadow + desc.addr, 0, lens[i]);
			if (n)
				gw(desc.addr, data, n);
			data += n;
			dlen -= n;
		}
		/* The device writes rx buffers only. */
		ro_len[qi][d] = qi == RXQ ? 0 : lens[i];
		gw(desc_gpa(qi) + d * sizeof(desc), &desc, sizeof(desc));
		busy[qi][d] = true;
		total += lens[i];
	}
	chain_segs[qi][head] = (uint8_t)nsegs;
	chain_len[qi][head] = total;
	g_next[qi] = (uint16_t)(g_next[qi] + nsegs);
	publish(qi, head, kick);
}

/* Bytes [off, off + len) of the rx chain at head, as the driver reads them. */
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

/* A packet the device sent: well formed, and data within the credit. */
static void check_rx_packet(uint16_t id, uint32_t used_len)
{
	struct virtio_vsock_hdr h;
	uint32_t len, src_port, dst_port;
	uint16_t op;
	struct flow *f;

	FUZZ_CHECK(used_len >= HDR);
	chain_read(id, 0, &h, HDR);
	len = le32toh(h.len);
	op = le16toh(h.op);
	src_port = le32toh(h.src_port);
	dst_port = le32toh(h.dst_port);
	FUZZ_CHECK(used_len == HDR + len);
	FUZZ_CHECK(le64toh(h.dst_cid) == HY_VSOCK_GUEST_CID);
	FUZZ_CHECK(le16toh(h.type) == VIRTIO_VSOCK_TYPE_STREAM);
	FUZZ_CHECK(op >= VIRTIO_VSOCK_OP_REQUEST && op <= VIRTIO_VSOCK_OP_CREDIT_UPDATE);
	FUZZ_CHECK(op == VIRTIO_VSOCK_OP_RW || len == 0);
	FUZZ_CHECK(len <= VIRTIO_VSOCK_MAX_PKT);
	FUZZ_CHECK(le32toh(h.flags) ==
		   (op == VIRTIO_VSOCK_OP_SHUTDOWN ? (uint32_t)VIRTIO_VSOCK_SHUTDOWN_SEND : 0));
	/* A RST for a packet of no stream answers from wherever it went; every
	 * other packet is a stream's, from the host, with our credit. */
	if (op != VIRTIO_VSOCK_OP_RST || h.buf_alloc) {
		FUZZ_CHECK(le64toh(h.src_cid) == HY_VSOCK_HOST_CID);
		FUZZ_CHECK(le32toh(h.buf_alloc) == HY_VSOCK_BUF_ALLOC);
	}
	remember_port(src_port);
	remember_port(dst_port);
	if (op == VIRTIO_VSOCK_OP_REQUEST) {
		FUZZ_CHECK(src_port >= VIRTIO_VSOCK_PORT_BASE && src_port != UINT32_MAX);
		flow_restart(src_port, dst_port, 0);
	} else if (op == VIRTIO_VSOCK_OP_RW) {
		f = flow_get(src_port, dst_port, false);
		if (f) {
			f->sent += len;
			FUZZ_CHECK(f->sent <= f->limit);
		}
	}
}

/* Take what the device put in the used rings. */
static void reap(void)
{
	for (unsigned qi = 0; qi < NQ; qi++) {
		const struct vring_used *u = (const void *)(ram + used_gpa(qi));

		for (int i = 0; i < QN && u->idx != g_used[qi]; i++) {
			const struct vring_used_elem *e = &u->ring[g_used[qi] % QN];
			uint16_t id = (uint16_t)e->id;

			g_used[qi]++;
			if (!checks_on)
				continue;
			FUZZ_CHECK(qi != EVQ);
			FUZZ_CHECK(id < QN && busy[qi][id] && chain_segs[qi][id]);
			FUZZ_CHECK(e->len <= chain_len[qi][id]);
			if (qi == TXQ)
				FUZZ_CHECK(e->len == 0);
			else
				check_rx_packet(id, e->len);
			for (unsigned k = 0; k < chain_segs[qi][id]; k++)
				busy[qi][(id + k) % QN] = false;
			chain_segs[qi][id] = 0;
		}
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
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	if (flags & 2)
		lo |= 1u << VIRTIO_RING_F_EVENT_IDX;
	if (flags & 4)
		lo |= 1u << VIRTIO_RING_F_INDIRECT_DESC;
	/* A device feature that is not offered: FEATURES_OK is refused and
	 * nothing runs until the next probe. */
	if (flags & 0x80)
		lo |= 1u;
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, lo);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 1); /* VERSION_1 */
	wr(VIRTIO_MMIO_STATUS, rd(VIRTIO_MMIO_STATUS) | VIRTIO_CONFIG_S_FEATURES_OK);
	for (unsigned qi = 0; qi < NQ; qi++) {
		if ((flags & 0x40) && qi == EVQ)
			break;
		wr(VIRTIO_MMIO_QUEUE_SEL, qi);
		wr(VIRTIO_MMIO_QUEUE_NUM, QN);
		wr(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc_gpa(qi));
		wr(VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)avail_gpa(qi));
		wr(VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)used_gpa(qi));
		wr(VIRTIO_MMIO_QUEUE_READY, 1);
	}
	if (!(flags & 0x40))
		post_chain(EVQ, 1, (const uint32_t[]){4}, NULL, 0, false);
	/* rx buffers before or after DRIVER_OK. */
	for (unsigned i = 0; i < (flags & 0x10 ? 4u : 0u); i++)
		post_chain(RXQ, 1, (const uint32_t[]){HDR + 256}, NULL, 0, false);
	wr(VIRTIO_MMIO_STATUS, rd(VIRTIO_MMIO_STATUS) | VIRTIO_CONFIG_S_DRIVER_OK);
}

static int unix_socket_at(const char *path, bool listening)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | (listening ? 0 : SOCK_NONBLOCK), 0);

	if (fd < 0)
		abort();
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (listening) {
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0)
			abort();
		fcntl(fd, F_SETFL, O_NONBLOCK);
	} else if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The device's listening socket: an abstract name of its own per input. */
static int device_listener(struct sockaddr_un *sa, socklen_t *sl)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int n;

	if (fd < 0)
		abort();
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	n = snprintf(sa->sun_path + 1, sizeof(sa->sun_path) - 1, "hyrun-fuzz-vsock-%d-%u",
		     (int)getpid(), nr_inputs++);
	*sl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
	if (bind(fd, (struct sockaddr *)sa, *sl) < 0 || listen(fd, 64) < 0)
		abort();
	return fd;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[96];

	signal(SIGPIPE, SIG_IGN);
	ram = aligned_alloc(4096, RAM_SIZE);
	shadow = malloc(RAM_SIZE);
	if (!ram || !shadow)
		abort();
	gm.regions[0] = (struct guest_region){.gpa = 0, .size = RAM_SIZE, .host = ram};
	gm.nr_regions = 1;
	gm.ram_size = RAM_SIZE;
	snprintf(dir, sizeof(dir), "/tmp/hyrun-fuzz-vsock-XXXXXX");
	if (!mkdtemp(dir))
		abort();
	for (unsigned i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/vsock.sock_%u", dir, i + 1);
		host_srv[i] = unix_socket_at(path, true);
	}
	return 0;
}

static uint32_t pick_port(struct fuzz_in *in)
{
	static const uint32_t fixed[] = {
	    1, 2, 1024, VIRTIO_VSOCK_PORT_BASE, VIRTIO_VSOCK_PORT_BASE + 1, UINT32_MAX};
	uint8_t c = fuzz_u8(in);

	if (c < 0x80)
		return ports[c % NR_PORTS];
	if (c < 0xf0)
		return fixed[c % (sizeof(fixed) / sizeof(fixed[0]))];
	return fuzz_u32(in);
}

/* A packet from the guest: each header field valid unless the input says
 * otherwise; the payload from the input; the chain cut where it says. */
static void send_packet(struct fuzz_in *in, uint8_t op, uint8_t a)
{
	static uint8_t pkt[HDR + 3 * BUF];
	uint8_t sel = fuzz_u8(in), sel2 = fuzz_u8(in);
	uint32_t guest_port = pick_port(in), host_port = pick_port(in);
	uint32_t plen = fuzz_u16(in) % (2 * BUF), total, lens[3], cut1, cut2;
	struct virtio_vsock_hdr h = {0};
	uint32_t buf_alloc, fwd, len;
	uint16_t vop = a & 7;
	const uint8_t *p;
	struct flow *f;
	size_t n;

	if (a & 8)
		vop = fuzz_u16(in);
	buf_alloc = sel2 & 1 ? fuzz_u32(in) : sel2 & 2 ? 4096 : 65536;
	f = flow_get(host_port, guest_port, false);
	fwd = sel2 & 4 ? fuzz_u32(in) : f ? (uint32_t)f->sent : 0;
	len = sel & 0x40 ? fuzz_u32(in) : vop == VIRTIO_VSOCK_OP_RW ? plen : 0;
	h.src_cid = htole64(sel & 1 ? fuzz_u64(in) : HY_VSOCK_GUEST_CID);
	h.dst_cid = htole64(sel & 2 ? fuzz_u64(in) : HY_VSOCK_HOST_CID);
	h.src_port = htole32(guest_port);
	h.dst_port = htole32(host_port);
	h.len = htole32(len);
	h.type = htole16(sel & 4 ? fuzz_u16(in) : VIRTIO_VSOCK_TYPE_STREAM);
	h.op = htole16(vop);
	h.flags = htole32(sel & 8 ? fuzz_u32(in) : sel2 >> 4 & 3);
	h.buf_alloc = htole32(buf_alloc);
	h.fwd_cnt = htole32(fwd);
	memcpy(pkt, &h, HDR);
	if (vop != VIRTIO_VSOCK_OP_RW)
		plen = sel & 0x20 ? plen % 64 : 0;
	n = fuzz_take(in, &p, sel & 0x10 ? plen : 0);
	memcpy(pkt + HDR, p, n);
	for (size_t i = n; i < plen; i++)
		pkt[HDR + i] = (uint8_t)(i * 7 + 3);
	total = HDR + plen;
	/* The credit model, erring on the generous side: any packet but RST
	 * may have given the device credit, any REQUEST may begin a stream
	 * (or end the one there was). */
	if (vop == VIRTIO_VSOCK_OP_REQUEST) {
		flow_restart(host_port, guest_port, (uint64_t)fwd + buf_alloc);
	} else if (vop != VIRTIO_VSOCK_OP_RST && (f = flow_get(host_port, guest_port, false)) &&
		   (uint64_t)fwd + buf_alloc > f->limit) {
		f->limit = (uint64_t)fwd + buf_alloc;
	}
	/* Up to three segments: by default the header, then slots' worth of
	 * payload; or cut where the input says, the header too. With 0x40 the
	 * chain ends at the second cut: shorter than the header or than len
	 * says, which breaks the device. */
	if (op & 0x20) {
		cut1 = fuzz_u16(in) % (total + 1);
		cut2 = cut1 + (total > cut1 ? fuzz_u16(in) % (total - cut1 + 1) : 0);
	} else {
		cut1 = HDR;
		cut2 = cut1 + (total - cut1 < BUF ? total - cut1 : BUF);
	}
	lens[0] = cut1 ? cut1 : 1;
	lens[1] = cut2 - cut1;
	lens[2] = op & 0x40 ? 0 : total - cut2;
	{
		uint32_t segs[3];
		unsigned nsegs = 0;

		for (unsigned i = 0; i < 3; i++)
			if (lens[i] && lens[i] <= BUF)
				segs[nsegs++] = lens[i];
			else if (lens[i])
				return; /* too long for a slot */
		post_chain(TXQ, nsegs, segs, pkt, total, !(op & 0x80));
	}
}

/* rx chains: mostly as Linux posts them, sometimes any shape. */
static void post_rx(struct fuzz_in *in, uint8_t op, uint8_t a)
{
	uint32_t lens[3];
	unsigned nsegs = 1 + (op >> 4 & 3) % 3;

	lens[0] = op & 0x40 ? 1 + a * 8u : HDR + a * 8u;
	for (unsigned i = 1; i < nsegs; i++)
		lens[i] = 1 + fuzz_u16(in) % BUF;
	if (lens[0] > BUF)
		lens[0] = BUF;
	post_chain(RXQ, nsegs, lens, NULL, 0, !(op & 0x80));
}

static void client_op(struct fuzz_in *in, uint8_t op, uint8_t a, const struct sockaddr_un *sa,
		      socklen_t sl)
{
	static uint8_t buf[8192];
	int *c = &clients[a % MAX_CLIENTS];
	const uint8_t *p;
	size_t n;
	char line[40];

	switch (op >> 4 & 7) {
	case 0: /* a new client, with a valid line or whatever the input says */
		if (*c >= 0)
			close(*c);
		*c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (*c < 0)
			abort();
		if (connect(*c, (const struct sockaddr *)sa, sl) < 0 && errno != EAGAIN) {
			close(*c);
			*c = -1;
			break;
		}
		if (a & 0x80) {
			n = fuzz_take(in, &p, fuzz_u8(in) % 48);
			if (n && write(*c, p, n) < 0) {
			}
		} else {
			n = (size_t)snprintf(line, sizeof(line), "CONNECT %u\n", pick_port(in));
			if (write(*c, line, n) < 0) {
			}
		}
		break;
	case 1: /* data */
		if (*c >= 0) {
			n = fuzz_u16(in) % sizeof(buf);
			for (size_t i = 0; i < n; i++)
				buf[i] = (uint8_t)(i + a);
			if (write(*c, buf, n) < 0) {
			}
		}
		break;
	case 2: /* read what came */
		if (*c >= 0) {
			ssize_t r = read(*c, buf, a & 0x80 ? sizeof(buf) : 64);

			if (r == 0) {
				close(*c);
				*c = -1;
			}
		}
		break;
	case 3:
		if (*c >= 0)
			shutdown(*c, SHUT_WR);
		break;
	case 4:
		if (*c >= 0)
			close(*c);
		*c = -1;
		break;
	default: { /* the servers that guest connections reached */
		int *s = &servers[a % MAX_SERVERS];

		if (op & 0x80) {
			if (*s >= 0)
				close(*s);
			*s = accept4(host_srv[a & 1], NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		} else if (*s >= 0 && (a & 0x40)) {
			close(*s);
			*s = -1;
		} else if (*s >= 0 && (a & 0x20)) {
			if (read(*s, buf, sizeof(buf)) < 0) {
			}
		} else if (*s >= 0) {
			n = fuzz_u16(in) % sizeof(buf);
			memset(buf, a, n);
			if (write(*s, buf, n) < 0) {
			}
		}
		break;
	}
	}
}

static const uint16_t raw_regs[] = {
    VIRTIO_MMIO_STATUS,		VIRTIO_MMIO_QUEUE_SEL,	    VIRTIO_MMIO_QUEUE_READY,
    VIRTIO_MMIO_QUEUE_NUM,	VIRTIO_MMIO_QUEUE_NOTIFY,   VIRTIO_MMIO_INTERRUPT_ACK,
    VIRTIO_MMIO_QUEUE_DESC_LOW, VIRTIO_MMIO_QUEUE_USED_LOW, VIRTIO_MMIO_DRIVER_FEATURES,
};

static void check_bounds(struct virtio_vsock *v)
{
	struct virtio_vsock_stats st;

	virtio_vsock_get_stats(v, &st);
	FUZZ_CHECK(st.streams <= VIRTIO_VSOCK_MAX_STREAMS);
	FUZZ_CHECK(virtio_vsock_buffered(v) <=
		   (size_t)VIRTIO_VSOCK_MAX_STREAMS * HY_VSOCK_BUF_ALLOC);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in;
	struct event_loop *loop;
	struct virtio_vsock *v;
	struct sockaddr_un sa;
	socklen_t sl;
	char err[256];
	uint8_t setup;
	unsigned nops = 0;
	int lst;

	fuzz_in_init(&in, data, size);
	memset(ram, 0, RAM_SIZE);
	memset(shadow, 0, RAM_SIZE);
	memset(g_avail, 0, sizeof(g_avail));
	memset(g_used, 0, sizeof(g_used));
	memset(g_next, 0, sizeof(g_next));
	memset(busy, 0, sizeof(busy));
	memset(chain_segs, 0, sizeof(chain_segs));
	memset(ro_len, 0, sizeof(ro_len));
	memset(ports, 0, sizeof(ports));
	memset(flows, 0, sizeof(flows));
	ports_next = flows_next = 0;
	checks_on = true;
	for (unsigned i = 0; i < MAX_CLIENTS; i++)
		clients[i] = -1;
	for (unsigned i = 0; i < MAX_SERVERS; i++)
		servers[i] = -1;

	setup = fuzz_u8(&in);
	lst = device_listener(&sa, &sl);
	loop = event_loop_new();
	FUZZ_CHECK(loop);
	v = virtio_vsock_new(loop, lst, setup & 1 ? NULL : dir, err, sizeof(err));
	FUZZ_CHECK(v);
	virtio_mmio_init(&mt, virtio_vsock_dev(v), &gm, 0xd0000000, 5, -1);
	if (!(setup & 2))
		probe(setup >> 2);

	while (in.left && nops++ < MAX_OPS) {
		uint8_t op = fuzz_u8(&in), a = fuzz_u8(&in);

		switch (op & 15) {
		case 0:
			probe(a);
			break;
		case 1:
			post_rx(&in, op, a);
			break;
		case 2:
		case 3:
			send_packet(&in, op, a);
			break;
		case 4:
		case 5:
			client_op(&in, op, a, &sa, sl);
			break;
		case 6:
		case 7:
			/* Host sockets that became ready are served. */
			for (unsigned i = 0; i <= (a & 3); i++)
				event_loop_run_once(loop, 0);
			break;
		case 8: {
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
		case 9:
			checks_on = false;
			wr(raw_regs[a % (sizeof(raw_regs) / sizeof(raw_regs[0]))], fuzz_u32(&in));
			break;
		case 10:
			virtio_mmio_queue_notify(&mt, a % (NQ + 1));
			break;
		case 11:
			wr(VIRTIO_MMIO_INTERRUPT_ACK, rd(VIRTIO_MMIO_INTERRUPT_STATUS));
			break;
		case 12: {
			uint64_t val = 0;

			virtio_mmio_access(&mt, VIRTIO_MMIO_CONFIG + a % 16, &val,
					   1u << (op >> 4 & 3), false);
			virtio_mmio_access(&mt, VIRTIO_MMIO_CONFIG + a % 16, &val,
					   1u << (op >> 4 & 3), true);
			break;
		}
		default:
			check_bounds(v);
			break;
		}
		reap();
		check_guest_owned();
	}
	for (unsigned i = 0; i < 4; i++)
		event_loop_run_once(loop, 0);
	reap();
	check_guest_owned();
	check_bounds(v);
	if (getenv("FUZZ_VERBOSE")) {
		struct virtio_vsock_stats st;

		virtio_vsock_get_stats(v, &st);
		fprintf(
		    stderr,
		    "fuzz-vsock: host %llu guest %llu refused %llu rx %llu tx %llu rst %llu/%llu "
		    "credit %llu streams %u broken %d\n",
		    (unsigned long long)st.host_connects, (unsigned long long)st.guest_connects,
		    (unsigned long long)st.refused, (unsigned long long)st.rx_bytes,
		    (unsigned long long)st.tx_bytes, (unsigned long long)st.rst_sent,
		    (unsigned long long)st.rst_received, (unsigned long long)st.credit_updates,
		    st.streams, virtio_vsock_dev(v)->broken);
	}
	virtio_vsock_free(v);
	event_loop_free(loop);
	close(lst);
	for (unsigned i = 0; i < MAX_CLIENTS; i++)
		if (clients[i] >= 0)
			close(clients[i]);
	for (unsigned i = 0; i < MAX_SERVERS; i++)
		if (servers[i] >= 0)
			close(servers[i]);
	/* Guest connections nobody accepted: gone with this input. */
	for (unsigned i = 0; i < 2; i++) {
		int fd;

		while ((fd = accept4(host_srv[i], NULL, NULL, SOCK_CLOEXEC)) >= 0)
			close(fd);
	}
	return 0;
}
