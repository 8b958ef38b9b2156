/* fsguest.c: a hostile virtio-fs driver, run as a tiny guest kernel under hyrun-vmm.
 *
 * A freestanding program (start.S enters guest_main() with interrupts off, the
 * first 4 GiB identity-mapped and guest RAM from 0 to 64 MiB: --mem 64M). It
 * finds the virtio-fs device in the virtio-mmio windows, drives it as a
 * virtio 1.x driver with split rings (hiprio queue 0, request queue 1), says
 * FUSE_INIT, then sends the requests and descriptor chains of one case that no
 * stock kernel would send, and checks what comes back. Built once per case
 * with -DHOSTILE_CASE=NAME (tests/hostile/lib.sh); the share it expects holds
 * a regular file "file", a FIFO "fifo" and, where the host can make one, the
 * character device "zero" (c 1 5).
 *
 * It reports on the serial port (lines "hostile NAME: ...", seen with
 * hyrun-vmm --console) and ends through the exit port (0x600) with:
 *   64  the case passed: every hostile request got an error answer, or the
 *       device stopped itself (DEVICE_NEEDS_RESET) where that is the rule,
 *       and a fresh driver was served normally afterwards
 *   50  no virtio-fs device in the virtio-mmio windows
 *   51  no answer within the time limit (a request or a stop that never came)
 *   52  the device refused the driver's setup (features, queue size)
 *   53  an answer that does not hold together, or a result the case forbids
 *   54  FUSE_INIT failed
 *   55  the device stopped itself where it had to answer
 *   56  the device served a chain it had to refuse (it did not stop)
 *   57  the server opened a special file (FIFO or device node) for the guest
 *   58  a READ gave data through a file handle the guest was never given
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/fuse.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#define EXIT_PASS 64
#define EXIT_NO_DEVICE 50
#define EXIT_TIMEOUT 51
#define EXIT_SETUP 52
#define EXIT_UNEXPECTED 53
#define EXIT_INIT 54
#define EXIT_STOPPED 55
#define EXIT_NOT_STOPPED 56
#define EXIT_SPECIAL_OPENED 57
#define EXIT_READ_LEAK 58

#ifndef HOSTILE_CASE
#error "build with -DHOSTILE_CASE=NAME"
#endif
#define STR_(x) #x
#define STR(x) STR_(x)
#define CASE_FN_(x) case_##x
#define CASE_FN(x) CASE_FN_(x)

/* The machine (vmm/layout.h, common/agent_proto.h). */
#define RAM_END 0x4000000ULL /* --mem 64M */
#define MMIO_BASE 0xd0000000ULL
#define MMIO_SIZE 0x200
#define MMIO_WINDOWS 11
#define MMIO_MAGIC 0x74726976u
#define PORT_EXIT 0x600
#define COM1 0x3f8

/* Guest memory this program uses (its code and stack are below 0x200000). */
#define QSZ 256
#define RING_Q0 0x200000ULL /* desc, avail, used: one page each */
#define RING_Q1 0x210000ULL
#define REQ_BUF 0x300000ULL /* request, up to 64 KiB */
#define REP_BUF 0x320000ULL /* reply, up to 64 KiB */
#define INDIRECT_TABLE 0x3a0000ULL
#define FORGET_BUF 0x400000ULL /* QSZ FORGET requests, 64 bytes apart */
#define BIG_AREA 0x1000000ULL  /* 48 MiB for huge buffers and random rings */
#define BIG_LEN 0x3000000u
#define OUTSIDE_RAM 0x7fff00000000ULL
#define REP_CAP 8192u

/* open(2) flags and file types of the x86-64 Linux ABI the FUSE protocol carries. */
#define G_O_RDONLY 0
#define G_O_WRONLY 01
#define G_O_RDWR 02
#define G_O_EXCL 0200
#define G_O_TRUNC 01000
#define G_O_APPEND 02000
#define G_O_NONBLOCK 04000
#define G_S_IFMT 0170000
#define G_S_IFIFO 0010000
#define G_S_IFCHR 0020000
#define G_S_IFREG 0100000

#define CASE static __attribute__((unused, noreturn)) void

void guest_main(void);
void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);

/* gcc may emit calls to these for struct copies and initialisers. */
void *memcpy(void *d, const void *s, size_t n)
{
	uint8_t *dp = d;
	const uint8_t *sp = s;

	while (n--)
		*dp++ = *sp++;
	return d;
}

void *memset(void *d, int c, size_t n)
{
	uint8_t *dp = d;

	while (n--)
		*dp++ = (uint8_t)c;
	return d;
}

static size_t slen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

/* --- ports, serial, exit ----------------------------------------------------------------- */

static void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static void puts_(const char *s)
{
	while (*s)
		outb(COM1, (uint8_t)*s++);
}

static void put_hex(uint64_t v)
{
	char buf[19];
	int i = 18;

	buf[i] = 0;
	do {
		buf[--i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	buf[--i] = 'x';
	buf[--i] = '0';
	puts_(buf + i);
}

static void put_dec(int64_t v)
{
	char buf[24];
	int i = 23;
	uint64_t u = v < 0 ? (uint64_t)-v : (uint64_t)v;

	buf[i] = 0;
	do {
		buf[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		buf[--i] = '-';
	puts_(buf + i);
}

static void say(const char *what)
{
	puts_("hostile " STR(HOSTILE_CASE) ": ");
	puts_(what);
}

static __attribute__((noreturn)) void finish(uint32_t code, const char *why)
{
	say(why);
	puts_(" (exit ");
	put_dec(code);
	puts_(")\n");
	outl(PORT_EXIT, code);
	for (;;)
		__asm__ volatile("hlt");
}

/* --- virtio-mmio and the split rings ----------------------------------------------------- */

struct vq {
	unsigned index;
	volatile struct vring_desc *desc;
	volatile struct vring_avail *avail;
	volatile struct vring_used *used;
	uint16_t avail_idx, used_idx;
};

static uintptr_t win; /* the virtio-fs device's window */
static struct vq vqs[2];
static uint64_t unique;

static uint32_t rd(uintptr_t base, unsigned off)
{
	return *(volatile uint32_t *)(base + off);
}

static void wr(uintptr_t base, unsigned off, uint32_t v)
{
	*(volatile uint32_t *)(base + off) = v;
}

static void find_device(void)
{
	for (unsigned i = 0; i < MMIO_WINDOWS; i++) {
		uintptr_t w = MMIO_BASE + i * MMIO_SIZE;

		if (rd(w, VIRTIO_MMIO_MAGIC_VALUE) == MMIO_MAGIC &&
		    rd(w, VIRTIO_MMIO_VERSION) == 2 &&
		    rd(w, VIRTIO_MMIO_DEVICE_ID) == VIRTIO_ID_FS) {
			win = w;
			return;
		}
	}
	finish(EXIT_NO_DEVICE, "no virtio-fs device");
}

/* Queue `index` with its rings at desc, avail and used (the driver's view); the device
 * is told dev_desc and dev_used instead where those are not 0. */
static void queue_setup(struct vq *q, unsigned index, uint64_t desc, uint64_t avail, uint64_t used,
			uint64_t dev_desc, uint64_t dev_used)
{
	q->index = index;
	q->desc = (void *)(uintptr_t)desc;
	q->avail = (void *)(uintptr_t)avail;
	q->used = (void *)(uintptr_t)used;
	q->avail_idx = q->used_idx = 0;
	/* The rings of an earlier driver are still there: start from zero. */
	memset((void *)(uintptr_t)desc, 0, 16 * QSZ);
	memset((void *)(uintptr_t)avail, 0, 6 + 2 * QSZ);
	memset((void *)(uintptr_t)used, 0, 6 + 8 * QSZ);
	desc = dev_desc ? dev_desc : desc;
	used = dev_used ? dev_used : used;
	wr(win, VIRTIO_MMIO_QUEUE_SEL, index);
	if (rd(win, VIRTIO_MMIO_QUEUE_READY) || rd(win, VIRTIO_MMIO_QUEUE_NUM_MAX) < QSZ)
		finish(EXIT_SETUP, "queue busy or too small");
	wr(win, VIRTIO_MMIO_QUEUE_NUM, QSZ);
	wr(win, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
	wr(win, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
	wr(win, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)avail);
	wr(win, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, (uint32_t)(avail >> 32));
	wr(win, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)used);
	wr(win, VIRTIO_MMIO_QUEUE_USED_HIGH, (uint32_t)(used >> 32));
	wr(win, VIRTIO_MMIO_QUEUE_READY, 1);
}

static void fs_reset(void)
{
	wr(win, VIRTIO_MMIO_STATUS, 0);
}

/* Section 3.1.1: reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK, queues, DRIVER_OK;
 * the device is told the request queue's descriptor table and used ring are at
 * dev_desc and dev_used where those are not 0. */
static void fs_up_at(uint64_t features, uint64_t dev_desc, uint64_t dev_used)
{
	uint32_t s = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;

	find_device();
	fs_reset();
	wr(win, VIRTIO_MMIO_STATUS, s);
	features |= 1ULL << VIRTIO_F_VERSION_1;
	wr(win, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(win, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
	wr(win, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(win, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
	s |= VIRTIO_CONFIG_S_FEATURES_OK;
	wr(win, VIRTIO_MMIO_STATUS, s);
	if (!(rd(win, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK))
		finish(EXIT_SETUP, "features refused");
	queue_setup(&vqs[0], 0, RING_Q0, RING_Q0 + 0x1000, RING_Q0 + 0x2000, 0, 0);
	queue_setup(&vqs[1], 1, RING_Q1, RING_Q1 + 0x1000, RING_Q1 + 0x2000, dev_desc, dev_used);
	wr(win, VIRTIO_MMIO_STATUS, s | VIRTIO_CONFIG_S_DRIVER_OK);
	/* Rings placed outside RAM on purpose may stop the device as soon as it takes
	 * them (or only at the first request): the case's must_stop() sees either. */
	if ((rd(win, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET) && !dev_desc && !dev_used)
		finish(EXIT_SETUP, "the device needs a reset right after setup");
}

struct seg {
	uint64_t addr;
	uint32_t len;
	uint16_t flags; /* VRING_DESC_F_WRITE */
};

/* Make the chain at `head` available (not notified). */
static void publish(struct vq *q, uint16_t head)
{
	q->avail->ring[q->avail_idx % QSZ] = head;
	q->avail_idx++;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	q->avail->idx = q->avail_idx;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* A chain of n descriptors from `head` on, made available (not notified). */
static void post(struct vq *q, uint16_t head, const struct seg *s, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		volatile struct vring_desc *d = &q->desc[(head + i) % QSZ];

		d->addr = s[i].addr;
		d->len = s[i].len;
		d->flags = (uint16_t)(s[i].flags | (i + 1 < n ? VRING_DESC_F_NEXT : 0));
		d->next = (uint16_t)((head + i + 1) % QSZ);
	}
	publish(q, head);
}

static void kick(struct vq *q)
{
	wr(win, VIRTIO_MMIO_QUEUE_NOTIFY, q->index);
}

enum wait { W_USED, W_STOPPED, W_TIMEOUT };

/* Long enough for a software-emulated host at any TSC rate of 1 GHz or more. */
#define TIMEOUT_TICKS 30000000000ULL

static bool stopped(void)
{
	return rd(win, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET;
}

/* Until the device used `count` more chains, or stopped itself. */
static enum wait wait_used(struct vq *q, uint16_t count)
{
	uint64_t t0 = rdtsc();

	for (unsigned spin = 0;; spin++) {
		uint16_t idx = __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE);

		if ((uint16_t)(idx - q->used_idx) >= count) {
			q->used_idx = (uint16_t)(q->used_idx + count);
			return W_USED;
		}
		/* Each status read is an exit to the VMM: not on every spin. */
		if (!(spin & 255) && stopped())
			return W_STOPPED;
		if (rdtsc() - t0 > TIMEOUT_TICKS)
			return W_TIMEOUT;
	}
}

/* --- FUSE requests -------------------------------------------------------------------------- */

#define REQ ((struct fuse_in_header *)(uintptr_t)REQ_BUF)
#define REP ((struct fuse_out_header *)(uintptr_t)REP_BUF)
#define REP_BODY ((void *)(uintptr_t)(REP_BUF + sizeof(struct fuse_out_header)))

/* The request header and body at REQ_BUF; hlen: the header's len, 0 for the true one. */
static uint32_t build(uint32_t opcode, uint64_t nodeid, const void *body, uint32_t blen,
		      uint32_t hlen)
{
	uint32_t len = (uint32_t)sizeof(struct fuse_in_header) + blen;

	memset(REQ, 0, sizeof(*REQ));
	REQ->len = hlen ? hlen : len;
	REQ->opcode = opcode;
	REQ->unique = ++unique;
	REQ->nodeid = nodeid;
	memcpy((char *)REQ + sizeof(*REQ), body, blen);
	memset(REP, 0xa5, sizeof(*REP));
	return len;
}

static void must_answer(enum wait w, const char *what)
{
	if (w == W_STOPPED) {
		say(what);
		puts_(": ");
		finish(EXIT_STOPPED, "the device stopped instead of answering");
	}
	if (w == W_TIMEOUT) {
		say(what);
		puts_(": ");
		finish(EXIT_TIMEOUT, "no answer");
	}
}

/* The error of the answer in REP to the last request: it must hold together. */
static int32_t answer(struct vq *q, uint32_t cap, const char *what)
{
	uint32_t used_len = q->used->ring[(uint16_t)(q->used_idx - 1) % QSZ].len;

	if (used_len < sizeof(*REP) || used_len != REP->len || REP->len > cap ||
	    REP->unique != unique || REP->error > 0 || REP->error <= -1000) {
		say(what);
		puts_(": used length ");
		put_dec(used_len);
		puts_(", header len ");
		put_dec(REP->len);
		puts_(", error ");
		put_dec(REP->error);
		puts_("\n");
		finish(EXIT_UNEXPECTED, "an answer that does not hold together");
	}
	return REP->error;
}

/* One request on the request queue with `cap` bytes of reply room; its error. */
static int32_t call_hlen(const char *what, uint32_t opcode, uint64_t nodeid, const void *body,
			 uint32_t blen, uint32_t cap, uint32_t hlen)
{
	struct seg s[2] = {
	    {REQ_BUF, build(opcode, nodeid, body, blen, hlen), 0},
	    {REP_BUF, cap, VRING_DESC_F_WRITE},
	};

	post(&vqs[1], 0, s, 2);
	kick(&vqs[1]);
	must_answer(wait_used(&vqs[1], 1), what);
	return answer(&vqs[1], cap, what);
}

static int32_t call(const char *what, uint32_t opcode, uint64_t nodeid, const void *body,
		    uint32_t blen)
{
	return call_hlen(what, opcode, nodeid, body, blen, REP_CAP, 0);
}

static void report(const char *what, int32_t err)
{
	say(what);
	puts_(": ");
	if (err)
		put_dec(err);
	else
		puts_("ok");
	puts_("\n");
}

/* A request that must be refused: its error, reported. */
static int32_t refused(const char *what, int32_t err, uint32_t code)
{
	report(what, err);
	if (!err)
		finish(code, "a request that had to fail succeeded");
	return err;
}

static void succeeded(const char *what, int32_t err)
{
	if (err) {
		report(what, err);
		finish(EXIT_UNEXPECTED, "a request that had to succeed failed");
	}
}

static void fuse_init(void)
{
	struct fuse_init_in in = {
	    .major = FUSE_KERNEL_VERSION,
	    .minor = FUSE_KERNEL_MINOR_VERSION,
	    .max_readahead = 0x20000,
	};
	int32_t err = call("INIT", FUSE_INIT, 0, &in, sizeof(in));

	if (err) {
		report("INIT", err);
		finish(EXIT_INIT, "FUSE_INIT failed");
	}
}

static void up(uint64_t features)
{
	fs_up_at(features, 0, 0);
	fuse_init();
}

static int32_t getattr(uint64_t nodeid)
{
	struct fuse_getattr_in in = {0};

	return call("GETATTR", FUSE_GETATTR, nodeid, &in, sizeof(in));
}

/* The server still answers: GETATTR of the root. */
static void alive(const char *what)
{
	int32_t err = getattr(FUSE_ROOT_ID);

	if (err || ((struct fuse_attr_out *)REP_BODY)->attr.ino == 0) {
		report(what, err);
		finish(EXIT_UNEXPECTED, "the server does not answer GETATTR of the root");
	}
	say(what);
	puts_(": the server answers\n");
}

static int32_t lookup(uint64_t parent, const char *name, struct fuse_entry_out *e)
{
	int32_t err = call("LOOKUP", FUSE_LOOKUP, parent, name, (uint32_t)slen(name) + 1);

	if (!err && e)
		memcpy(e, REP_BODY, sizeof(*e));
	return err;
}

static int32_t open_(uint32_t opcode, uint64_t nodeid, uint32_t flags, uint64_t *fh)
{
	struct fuse_open_in in = {.flags = flags};
	int32_t err = call("OPEN", opcode, nodeid, &in, sizeof(in));

	if (!err && fh)
		*fh = ((struct fuse_open_out *)REP_BODY)->fh;
	return err;
}

static int32_t create(uint64_t parent, const char *name, uint32_t flags)
{
	uint8_t body[sizeof(struct fuse_create_in) + 64];
	struct fuse_create_in in = {.flags = flags, .mode = G_S_IFREG | 0644};
	uint32_t n = (uint32_t)slen(name) + 1;

	memcpy(body, &in, sizeof(in));
	memcpy(body + sizeof(in), name, n);
	return call("CREATE", FUSE_CREATE, parent, body, (uint32_t)sizeof(in) + n);
}

static int32_t read_(uint64_t fh, uint64_t off, uint32_t size)
{
	struct fuse_read_in in = {.fh = fh, .offset = off, .size = size};

	return call("READ", FUSE_READ, 1, &in, sizeof(in));
}

/* `count` FORGET requests on the hiprio queue, one chain each, QSZ at a time; request k
 * of a batch names ids[k % nids]. The chains are built once and made available again
 * batch after batch (the device used them all): the guest's own work stays small under
 * emulation. */
static void forget_many(const uint64_t *ids, unsigned nids, uint64_t nlookup, unsigned count)
{
	struct vq *q = &vqs[0];
	const uint32_t len = sizeof(struct fuse_in_header) + sizeof(struct fuse_forget_in);
	unsigned batch = count < QSZ ? count : QSZ;

	for (unsigned i = 0; i < batch; i++) {
		uintptr_t b = FORGET_BUF + 64 * i;
		struct fuse_in_header *h = (void *)b;
		struct fuse_forget_in *f = (void *)(b + sizeof(*h));
		volatile struct vring_desc *d = &q->desc[i];

		memset(h, 0, sizeof(*h));
		h->len = len;
		h->opcode = FUSE_FORGET;
		h->unique = ++unique;
		h->nodeid = ids[i % nids];
		f->nlookup = nlookup;
		d->addr = b;
		d->len = len;
		d->flags = 0;
		d->next = 0;
	}
	for (unsigned done = 0; done < count;) {
		unsigned n = count - done < batch ? count - done : batch;

		for (unsigned i = 0; i < n; i++)
			q->avail->ring[(q->avail_idx + i) % QSZ] = (uint16_t)i;
		q->avail_idx = (uint16_t)(q->avail_idx + n);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		q->avail->idx = q->avail_idx;
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		kick(q);
		must_answer(wait_used(q, (uint16_t)n), "FORGET");
		done += n;
	}
}

/* --- the cases ------------------------------------------------------------------------------ */

/* CREATE of an existing FIFO, with each access mode: never a handle (the host side
 * would block in open() or hand the guest a pipe); OPEN of it too. */
CASE case_create_fifo(void)
{
	static const uint32_t flags[] = {G_O_RDWR, G_O_WRONLY | G_O_TRUNC,
					 G_O_RDONLY | G_O_NONBLOCK, G_O_WRONLY | G_O_APPEND,
					 G_O_RDWR | G_O_EXCL};
	struct fuse_entry_out e;

	up(0);
	for (unsigned i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		refused("CREATE fifo", create(FUSE_ROOT_ID, "fifo", flags[i]), EXIT_SPECIAL_OPENED);
	succeeded("LOOKUP fifo", lookup(FUSE_ROOT_ID, "fifo", &e));
	if ((e.attr.mode & G_S_IFMT) != G_S_IFIFO)
		finish(EXIT_UNEXPECTED, "fifo is not a FIFO");
	refused("OPEN fifo O_RDWR", open_(FUSE_OPEN, e.nodeid, G_O_RDWR, NULL),
		EXIT_SPECIAL_OPENED);
	refused("OPEN fifo O_RDONLY|O_NONBLOCK",
		open_(FUSE_OPEN, e.nodeid, G_O_RDONLY | G_O_NONBLOCK, NULL), EXIT_SPECIAL_OPENED);
	alive("after CREATE of a FIFO");
	finish(EXIT_PASS, "passed");
}

/* The handles the server hands out are (generation << 32 | slot + 1): the first few
 * slots, any generation a guest could guess, and nonsense. */
static const uint64_t guessed_fh[] = {0, 1, 2, 3, 4, (1ULL << 32) | 1, ~0ULL};

/* CREATE of an existing character device node (c 1 5, /dev/zero's numbers): never a
 * handle, and no READ finds one. */
CASE case_create_chardev(void)
{
	struct fuse_entry_out e;

	up(0);
	succeeded("LOOKUP zero", lookup(FUSE_ROOT_ID, "zero", &e));
	if ((e.attr.mode & G_S_IFMT) != G_S_IFCHR || e.attr.rdev != ((1u << 8) | 5u))
		finish(EXIT_UNEXPECTED, "zero is not the character device 1:5");
	refused("CREATE zero O_RDWR", create(FUSE_ROOT_ID, "zero", G_O_RDWR), EXIT_SPECIAL_OPENED);
	refused("CREATE zero O_RDONLY", create(FUSE_ROOT_ID, "zero", G_O_RDONLY),
		EXIT_SPECIAL_OPENED);
	refused("CREATE zero O_WRONLY|O_TRUNC",
		create(FUSE_ROOT_ID, "zero", G_O_WRONLY | G_O_TRUNC), EXIT_SPECIAL_OPENED);
	refused("OPEN zero", open_(FUSE_OPEN, e.nodeid, G_O_RDONLY, NULL), EXIT_SPECIAL_OPENED);
	for (unsigned i = 0; i < sizeof(guessed_fh) / sizeof(guessed_fh[0]); i++)
		refused("READ of a guessed handle", read_(guessed_fh[i], 0, 4096), EXIT_READ_LEAK);
	alive("after CREATE of a device node");
	finish(EXIT_PASS, "passed");
}

/* Node ids the server never handed out. */
CASE case_bad_nodeid(void)
{
	static const uint64_t ids[] = {
	    0, ~0ULL, 0x5eed5eed5eed5eedULL, 2, (1ULL << 32) | 1, 0xffffffffULL, 1ULL << 63};
	struct fuse_open_in oi = {0};
	struct fuse_release_in ri = {0};

	up(0);
	for (unsigned i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		uint64_t id = ids[i];

		say("node id ");
		put_hex(id);
		puts_("\n");
		refused("GETATTR", getattr(id), EXIT_UNEXPECTED);
		refused("LOOKUP", lookup(id, "file", NULL), EXIT_UNEXPECTED);
		refused("LOOKUP ..", lookup(id, "..", NULL), EXIT_UNEXPECTED);
		refused("OPEN", open_(FUSE_OPEN, id, G_O_RDONLY, NULL), EXIT_UNEXPECTED);
		refused("OPENDIR", open_(FUSE_OPENDIR, id, G_O_RDONLY, NULL), EXIT_UNEXPECTED);
		refused("READLINK", call("READLINK", FUSE_READLINK, id, NULL, 0), EXIT_UNEXPECTED);
		refused("STATFS", call("STATFS", FUSE_STATFS, id, NULL, 0), EXIT_UNEXPECTED);
		refused("LISTXATTR", call("LISTXATTR", FUSE_LISTXATTR, id, &oi, 8),
			EXIT_UNEXPECTED);
		ri.fh = id;
		refused("RELEASE", call("RELEASE", FUSE_RELEASE, id, &ri, sizeof(ri)),
			EXIT_UNEXPECTED);
		refused("READ", read_(id, 0, 4096), EXIT_READ_LEAK);
		forget_many(&id, 1, 1, 1);
		forget_many(&id, 1, ~0ULL, 1);
	}
	alive("after unknown node ids");
	finish(EXIT_PASS, "passed");
}

/* The request queue was given a chain the device must refuse: it stops itself
 * (DEVICE_NEEDS_RESET); the driver then resets it. */
static void expect_stop(const char *what)
{
	kick(&vqs[1]);
	switch (wait_used(&vqs[1], 1)) {
	case W_USED:
		say(what);
		puts_(": ");
		finish(EXIT_NOT_STOPPED, "the device served a chain it had to refuse");
	case W_TIMEOUT:
		say(what);
		puts_(": ");
		finish(EXIT_TIMEOUT, "the device neither answered nor stopped");
	case W_STOPPED:
		break;
	}
	say(what);
	puts_(": the device stopped itself\n");
	fs_reset();
}

static void must_stop(const char *what, const struct seg *s, unsigned n)
{
	post(&vqs[1], 0, s, n);
	expect_stop(what);
}

/* Lengths far beyond what anything holds. */
CASE case_huge_len(void)
{
	struct fuse_entry_out e;
	uint64_t fh, dfh;
	uint8_t body[sizeof(struct fuse_write_in) + 64];
	struct fuse_write_in wi = {.size = 0xffffffffu};
	struct fuse_setxattr_in si = {.size = 0xffffffffu};
	struct fuse_getxattr_in gi = {.size = 0xffffffffu};
	struct fuse_read_in ri = {.size = 0xffffffffu};
	struct fuse_getattr_in ga = {0};
	int32_t err;
	uint32_t n;

	up(0);
	succeeded("LOOKUP file", lookup(FUSE_ROOT_ID, "file", &e));
	succeeded("OPEN file", open_(FUSE_OPEN, e.nodeid, G_O_RDWR, &fh));
	err = read_(fh, 0, 0xffffffffu);
	report("READ of 0xffffffff bytes", err);
	if (err || REP->len != sizeof(*REP) + e.attr.size)
		finish(EXIT_UNEXPECTED, "READ of the whole file went wrong");
	report("READ at offset 2^64-1", read_(fh, ~0ULL, 0xffffffffu));

	/* WRITE that claims 4 GiB of payload and carries 16 bytes. */
	wi.fh = fh;
	memcpy(body, &wi, sizeof(wi));
	memset(body + sizeof(wi), 'X', 16);
	refused("WRITE of 0xffffffff bytes",
		call("WRITE", FUSE_WRITE, e.nodeid, body, (uint32_t)sizeof(wi) + 16),
		EXIT_UNEXPECTED);
	wi.size = 16;
	wi.offset = ~0ULL - 8;
	memcpy(body, &wi, sizeof(wi));
	refused("WRITE at offset 2^64-9",
		call("WRITE", FUSE_WRITE, e.nodeid, body, (uint32_t)sizeof(wi) + 16),
		EXIT_UNEXPECTED);

	memcpy(body, &si, FUSE_COMPAT_SETXATTR_IN_SIZE);
	memcpy(body + FUSE_COMPAT_SETXATTR_IN_SIZE, "user.hostile\0value", 18);
	refused("SETXATTR of 0xffffffff bytes",
		call("SETXATTR", FUSE_SETXATTR, e.nodeid, body, FUSE_COMPAT_SETXATTR_IN_SIZE + 18),
		EXIT_UNEXPECTED);
	memcpy(body, &gi, sizeof(gi));
	memcpy(body + sizeof(gi), "user.hostile", 13);
	report("GETXATTR of 0xffffffff bytes",
	       call("GETXATTR", FUSE_GETXATTR, e.nodeid, body, (uint32_t)sizeof(gi) + 13));
	report("LISTXATTR of 0xffffffff bytes",
	       call("LISTXATTR", FUSE_LISTXATTR, e.nodeid, &gi, sizeof(gi)));
	succeeded("OPENDIR root", open_(FUSE_OPENDIR, FUSE_ROOT_ID, G_O_RDONLY, &dfh));
	ri.fh = dfh;
	succeeded("READDIR of 0xffffffff bytes",
		  call("READDIR", FUSE_READDIR, FUSE_ROOT_ID, &ri, sizeof(ri)));
	succeeded("READDIRPLUS of 0xffffffff bytes",
		  call("READDIRPLUS", FUSE_READDIRPLUS, FUSE_ROOT_ID, &ri, sizeof(ri)));

	/* Header lengths that do not match the chain. */
	refused("GETATTR with len 0xffffffff",
		call_hlen("GETATTR", FUSE_GETATTR, 1, &ga, sizeof(ga), REP_CAP, 0xffffffffu),
		EXIT_UNEXPECTED);
	refused("GETATTR with len beyond the chain",
		call_hlen("GETATTR", FUSE_GETATTR, 1, &ga, sizeof(ga), REP_CAP,
			  sizeof(struct fuse_in_header) + sizeof(ga) + 4096),
		EXIT_UNEXPECTED);
	refused("GETATTR with len of the header alone",
		call_hlen("GETATTR", FUSE_GETATTR, 1, &ga, sizeof(ga), REP_CAP,
			  sizeof(struct fuse_in_header)),
		EXIT_UNEXPECTED);
	/* A 48 MiB request whose header says so: more than the server takes in. */
	{
		struct fuse_in_header *h = (void *)(uintptr_t)BIG_AREA;
		struct seg s[2] = {{BIG_AREA, BIG_LEN, 0}, {REP_BUF, REP_CAP, VRING_DESC_F_WRITE}};

		memset(h, 0, sizeof(*h));
		h->len = BIG_LEN;
		h->opcode = FUSE_GETATTR;
		h->unique = ++unique;
		h->nodeid = 1;
		post(&vqs[1], 0, s, 2);
		kick(&vqs[1]);
		must_answer(wait_used(&vqs[1], 1), "a 48 MiB GETATTR");
		refused("a 48 MiB GETATTR", answer(&vqs[1], REP_CAP, "a 48 MiB GETATTR"),
			EXIT_UNEXPECTED);
	}
	alive("after huge lengths");

	/* No room for a reply header: the device stops. */
	{
		struct seg s[2] = {{REQ_BUF, 0, 0}, {REP_BUF, 8, VRING_DESC_F_WRITE}};

		s[0].len = build(FUSE_GETATTR, 1, &ga, sizeof(ga), 0);
		must_stop("8 bytes of reply room", s, 2);
	}
	/* 90 descriptors of 48 MiB each, all over the same RAM: a chain of more than 4 GiB. */
	{
		struct seg s[90];

		up(0);
		n = sizeof(s) / sizeof(s[0]);
		for (unsigned i = 0; i < n; i++)
			s[i] = (struct seg){BIG_AREA, BIG_LEN, i ? VRING_DESC_F_WRITE : 0};
		must_stop("a chain of more than 4 GiB", s, n);
	}
	up(0);
	alive("a fresh driver");
	finish(EXIT_PASS, "passed");
}

/* 100000 FORGETs and BATCH_FORGETs with counts of 2^32-1 on the hiprio queue. */
CASE case_forget_storm(void)
{
	uint64_t ids[8];
	struct fuse_entry_out e;
	uint8_t body[sizeof(struct fuse_batch_forget_in) + 4 * sizeof(struct fuse_forget_one)];
	struct fuse_batch_forget_in bi = {.count = 0xffffffffu};
	struct fuse_forget_one one[4];
	uint32_t len;

	up(0);
	for (int i = 0; i < 3; i++)
		succeeded("LOOKUP file", lookup(FUSE_ROOT_ID, "file", &e));
	ids[0] = e.nodeid;
	ids[1] = FUSE_ROOT_ID;
	ids[2] = 0;
	ids[3] = ~0ULL;
	ids[4] = e.nodeid + (1ULL << 32); /* the same slot, another generation */
	ids[5] = e.nodeid + 1;
	ids[6] = 0x123456789abcdefULL;
	ids[7] = e.nodeid;
	forget_many(ids, 8, 1, 100000);
	say("100000 FORGETs served\n");

	/* BATCH_FORGET: a count of 2^32-1 with none, then with four entries. */
	for (int k = 0; k < 2; k++) {
		struct seg s = {FORGET_BUF, 0, 0};
		struct fuse_in_header *h = (void *)(uintptr_t)FORGET_BUF;

		for (int i = 0; i < 4; i++)
			one[i] = (struct fuse_forget_one){.nodeid = ids[i], .nlookup = ~0ULL};
		memcpy(body, &bi, sizeof(bi));
		memcpy(body + sizeof(bi), one, sizeof(one));
		len = (uint32_t)(sizeof(*h) + sizeof(bi) + (k ? sizeof(one) : 0));
		memset(h, 0, sizeof(*h));
		h->len = len;
		h->opcode = FUSE_BATCH_FORGET;
		h->unique = ++unique;
		memcpy((char *)h + sizeof(*h), body, len - sizeof(*h));
		s.len = len;
		for (int r = 0; r < 4; r++) {
			for (int i = 0; i < 250; i++)
				post(&vqs[0], (uint16_t)i, &s, 1);
			kick(&vqs[0]);
			must_answer(wait_used(&vqs[0], 250), "BATCH_FORGET");
		}
	}
	say("2000 BATCH_FORGETs of 2^32-1 served\n");
	/* Its lookups are all forgotten: the node is gone. */
	refused("GETATTR of the forgotten node", getattr(ids[0]), EXIT_UNEXPECTED);
	alive("after the FORGET storm");
	succeeded("LOOKUP file again", lookup(FUSE_ROOT_ID, "file", &e));
	finish(EXIT_PASS, "passed");
}

/* A GETATTR of the root as a chain of two: request and reply room. */
static void getattr_chain(struct seg s[2])
{
	struct fuse_getattr_in ga = {0};

	s[0] = (struct seg){REQ_BUF, build(FUSE_GETATTR, FUSE_ROOT_ID, &ga, sizeof(ga), 0), 0};
	s[1] = (struct seg){REP_BUF, REP_CAP, VRING_DESC_F_WRITE};
}

/* Buffers and rings the device is told are where no guest RAM is. */
CASE case_desc_outside_ram(void)
{
	struct seg s[2];

	up(0);
	alive("a first driver");
	getattr_chain(s);
	s[0].addr = OUTSIDE_RAM;
	must_stop("a request buffer at 0x7fff00000000", s, 2);
	up(0);
	getattr_chain(s);
	s[0].addr = RAM_END;
	must_stop("a request buffer right after RAM", s, 2);
	up(0);
	getattr_chain(s);
	s[1].addr = RAM_END - 8;
	s[1].len = 16;
	must_stop("a reply buffer across the end of RAM", s, 2);
	up(0);
	getattr_chain(s);
	s[1].addr = MMIO_BASE;
	s[1].len = 4096;
	must_stop("a reply buffer over the virtio-mmio windows", s, 2);
	up(0);
	getattr_chain(s);
	s[0].addr = ~0ULL - 0xfff;
	s[0].len = 0x2000;
	must_stop("a request buffer whose end wraps around", s, 2);
	fs_up_at(0, OUTSIDE_RAM, 0);
	getattr_chain(s);
	must_stop("a descriptor table at 0x7fff00000000", s, 2);
	fs_up_at(0, 0, MMIO_BASE);
	getattr_chain(s);
	must_stop("a used ring over the virtio-mmio windows", s, 2);
	up(0);
	alive("a fresh driver");
	finish(EXIT_PASS, "passed");
}

static void set_desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	volatile struct vring_desc *d = &vqs[1].desc[i];

	d->addr = addr;
	d->len = len;
	d->flags = flags;
	d->next = next;
}

/* Chains that never end, and indices that point nowhere. */
CASE case_desc_loop(void)
{
	const uint64_t indirect = 1ULL << VIRTIO_RING_F_INDIRECT_DESC;
	volatile struct vring_desc *t = (void *)(uintptr_t)INDIRECT_TABLE;
	struct seg s[2];
	uint32_t len;

	up(0);
	getattr_chain(s);
	len = s[0].len;
	set_desc(0, REQ_BUF, len, VRING_DESC_F_NEXT, 0);
	publish(&vqs[1], 0);
	expect_stop("a descriptor whose next is itself");

	up(0);
	set_desc(0, REQ_BUF, len, VRING_DESC_F_NEXT, 1);
	set_desc(1, REQ_BUF, len, VRING_DESC_F_NEXT, 0);
	publish(&vqs[1], 0);
	expect_stop("two descriptors that point at each other");

	up(0);
	set_desc(0, REQ_BUF, len, VRING_DESC_F_NEXT, 1);
	set_desc(1, REP_BUF, 64, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2);
	set_desc(2, REP_BUF, 64, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1);
	publish(&vqs[1], 0);
	expect_stop("a loop among the writable descriptors");

	up(0);
	for (unsigned i = 0; i < QSZ; i++)
		set_desc(i, REQ_BUF, len, VRING_DESC_F_NEXT, (uint16_t)((i + 1) % QSZ));
	publish(&vqs[1], 0);
	expect_stop("a loop through the whole table");

	up(0);
	set_desc(0, REQ_BUF, len, VRING_DESC_F_NEXT, 0xffff);
	publish(&vqs[1], 0);
	expect_stop("a next index of 0xffff");

	up(0);
	publish(&vqs[1], QSZ + 44);
	expect_stop("an available head past the table");

	up(0);
	set_desc(0, REQ_BUF, len, 0, 0);
	vqs[1].avail->ring[0] = 0;
	vqs[1].avail_idx = 1000;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	vqs[1].avail->idx = 1000;
	expect_stop("an available index 1000 ahead");

	up(0);
	set_desc(0, INDIRECT_TABLE, 64, VRING_DESC_F_INDIRECT, 0);
	publish(&vqs[1], 0);
	expect_stop("an indirect table without the feature");

	up(indirect);
	memset((void *)t, 0, 64);
	t[0].addr = REQ_BUF;
	t[0].len = len;
	t[0].flags = VRING_DESC_F_NEXT;
	t[0].next = 0;
	set_desc(0, INDIRECT_TABLE, 64, VRING_DESC_F_INDIRECT, 0);
	publish(&vqs[1], 0);
	expect_stop("an indirect descriptor whose next is itself");

	up(indirect);
	t[0].addr = INDIRECT_TABLE;
	t[0].len = 64;
	t[0].flags = VRING_DESC_F_INDIRECT;
	set_desc(0, INDIRECT_TABLE, 64, VRING_DESC_F_INDIRECT, 0);
	publish(&vqs[1], 0);
	expect_stop("an indirect table that points at itself");

	up(indirect);
	set_desc(0, OUTSIDE_RAM, 64, VRING_DESC_F_INDIRECT, 0);
	publish(&vqs[1], 0);
	expect_stop("an indirect table outside RAM");

	up(0);
	alive("a fresh driver");
	finish(EXIT_PASS, "passed");
}

/* --- mmio_storm ------------------------------------------------------------------------------ */

#ifndef STORM_ROUNDS
#define STORM_ROUNDS 8 /* random writes to each register offset of each window, about */
#endif

/* A fixed seed: a failure can be replayed. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	/* xorshift64 (Marsaglia 2003). */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Half the values small: selectors, status bits and queue indices that mean something. */
static uint32_t storm_value(void)
{
	uint64_t r = rnd();

	return (r & 1) ? (uint32_t)(r >> 32) : (uint32_t)((r >> 8) & 15);
}

/* Ports whose writes end the VM by design, which says nothing about robustness: the
 * exit and boot-mark ports, the i8042 command port (reset), the ACPI sleep control
 * (power off), and 0xcf9 (reset control on a PC; nothing here). */
static bool port_spared(uint16_t p)
{
	return (p >= PORT_EXIT && p < PORT_EXIT + 8) || p == 0x64 || p == 0x3c0 || p == 0x3c1 ||
	       p == 0xcf9;
}

static void storm_port(uint16_t p, uint32_t v, unsigned width)
{
	if (port_spared(p))
		return;
	if (width == 1)
		outb(p, (uint8_t)v);
	else if (width == 2)
		outw(p, (uint16_t)v);
	else
		outl(p, v);
}

/* Random values at random offsets of every window: registers, config space, any width. */
static void storm_registers(void)
{
	for (unsigned r = 0; r < STORM_ROUNDS * 128; r++) {
		for (unsigned w = 0; w < MMIO_WINDOWS; w++) {
			uintptr_t b = MMIO_BASE + w * MMIO_SIZE;
			uint64_t x = rnd();
			unsigned off = (unsigned)(x >> 16) % MMIO_SIZE;

			switch (x & 7) {
			case 0:
				*(volatile uint8_t *)(b + off) = (uint8_t)storm_value();
				break;
			case 1:
				*(volatile uint16_t *)(b + (off & ~1u)) = (uint16_t)storm_value();
				break;
			case 2:
				*(volatile uint64_t *)(b + (off & ~7u)) = rnd();
				break;
			case 3:
				(void)*(volatile uint32_t *)(b + (off & ~3u));
				break;
			default:
				wr(b, off & ~3u, storm_value());
				break;
			}
		}
	}
}

/* Every port below 0x1000, then random ones, random widths and values. */
static void storm_ports(void)
{
	for (unsigned p = 0; p < 0x1000; p++)
		storm_port((uint16_t)p, storm_value(), 1);
	for (unsigned k = 0; k < 4096; k++) {
		uint64_t x = rnd();

		if (x & 1)
			storm_port((uint16_t)(x >> 16), storm_value(), (unsigned)(x >> 8) % 4 + 1);
		else
			(void)inb((uint16_t)(x >> 16));
	}
}

/* A driver that does the handshake right and then gives each device rings of random
 * sizes in random bytes and kicks every queue. */
static void storm_drivers(void)
{
	for (unsigned i = 0; i < 0x100000 / 8; i++)
		((volatile uint64_t *)(uintptr_t)BIG_AREA)[i] = rnd();
	for (unsigned w = 0; w < MMIO_WINDOWS; w++) {
		uintptr_t b = MMIO_BASE + w * MMIO_SIZE;
		uint32_t f0, f1, s = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
		uint64_t t0;

		if (rd(b, VIRTIO_MMIO_MAGIC_VALUE) != MMIO_MAGIC)
			continue;
		wr(b, VIRTIO_MMIO_STATUS, 0);
		wr(b, VIRTIO_MMIO_STATUS, s);
		wr(b, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
		f0 = rd(b, VIRTIO_MMIO_DEVICE_FEATURES);
		wr(b, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
		f1 = rd(b, VIRTIO_MMIO_DEVICE_FEATURES);
		wr(b, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
		wr(b, VIRTIO_MMIO_DRIVER_FEATURES, f0 & (uint32_t)rnd());
		wr(b, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
		wr(b, VIRTIO_MMIO_DRIVER_FEATURES, (f1 & (uint32_t)rnd()) | 1);
		s |= VIRTIO_CONFIG_S_FEATURES_OK;
		wr(b, VIRTIO_MMIO_STATUS, s);
		for (unsigned q = 0; q < 8; q++) {
			wr(b, VIRTIO_MMIO_QUEUE_SEL, q);
			wr(b, VIRTIO_MMIO_QUEUE_NUM, 1u << (rnd() % 11));
			wr(b, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)(BIG_AREA + (rnd() & 0xffff0)));
			wr(b, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
			wr(b, VIRTIO_MMIO_QUEUE_AVAIL_LOW,
			   (uint32_t)(BIG_AREA + (rnd() & 0xffffe)));
			wr(b, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, 0);
			wr(b, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)(BIG_AREA + (rnd() & 0xffffc)));
			wr(b, VIRTIO_MMIO_QUEUE_USED_HIGH, 0);
			wr(b, VIRTIO_MMIO_QUEUE_READY, 1);
		}
		wr(b, VIRTIO_MMIO_STATUS, s | VIRTIO_CONFIG_S_DRIVER_OK);
		for (unsigned q = 0; q < 8; q++)
			wr(b, VIRTIO_MMIO_QUEUE_NOTIFY, q);
		wr(b, VIRTIO_MMIO_QUEUE_NOTIFY, (uint32_t)rnd());
		/* Time for the device threads to chew on it. */
		t0 = rdtsc();
		while (rdtsc() - t0 < 100000000ULL)
			__asm__ volatile("pause");
		wr(b, VIRTIO_MMIO_STATUS, 0);
	}
}

#ifndef STORM_COMPLAINTS
#define STORM_COMPLAINTS 2000
#endif

/* The same mistakes over and over (a queue size that is no power of 2, features
 * without VERSION_1) on every device: the VMM may say so, but not once per write. */
static void storm_complaints(void)
{
	for (unsigned w = 0; w < MMIO_WINDOWS; w++) {
		uintptr_t b = MMIO_BASE + w * MMIO_SIZE;

		if (rd(b, VIRTIO_MMIO_MAGIC_VALUE) != MMIO_MAGIC)
			continue;
		wr(b, VIRTIO_MMIO_STATUS, 0);
		wr(b, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
		wr(b, VIRTIO_MMIO_QUEUE_SEL, 0);
		for (unsigned i = 0; i < STORM_COMPLAINTS; i++) {
			wr(b, VIRTIO_MMIO_QUEUE_NUM, 3);
			wr(b, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_FEATURES_OK);
		}
		wr(b, VIRTIO_MMIO_STATUS, 0);
	}
}

/* Writes to every register of every virtio-mmio window and to the I/O ports. */
CASE case_mmio_storm(void)
{
	say("storm: complaints\n");
	storm_complaints();
	say("storm: registers\n");
	storm_registers();
	storm_ports();
	storm_registers();
	/* The storm reprogrammed the UART too: 8N1, no interrupts, no loopback. */
	outb(COM1 + 3, 0x03);
	outb(COM1 + 1, 0);
	outb(COM1 + 4, 0x03);
	say("storm: drivers\n");
	storm_drivers();
	for (unsigned w = 0; w < MMIO_WINDOWS; w++)
		if (rd(MMIO_BASE + w * MMIO_SIZE, VIRTIO_MMIO_MAGIC_VALUE) == MMIO_MAGIC)
			wr(MMIO_BASE + w * MMIO_SIZE, VIRTIO_MMIO_STATUS, 0);
	up(0);
	alive("after the storm");
	finish(EXIT_PASS, "passed");
}

void guest_main(void)
{
	say("starting\n");
	CASE_FN(HOSTILE_CASE)();
}
