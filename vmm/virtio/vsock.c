/* vsock.c: virtio-vsock (virtio 1.x section 5.10): guest stream sockets joined to host Unix
 * sockets. */
#include "vmm/virtio/vsock.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <linux/virtio_ids.h>
#include <linux/virtio_vsock.h>

#include "common/agent_proto.h"
#include "common/err.h"
#include "common/log.h"
#include "common/time.h"

#define RXQ 0
#define TXQ 1
#define NR_QUEUES 3 /* rx, tx, and the event queue (2), which is never used */
#define QUEUE_MAX 256
#define HDR_LEN VIRTIO_VSOCK_HDR_LEN
#define MAX_STREAMS VIRTIO_VSOCK_MAX_STREAMS
#define MAX_REPLIES VIRTIO_VSOCK_MAX_REPLIES
#define BUF_ALLOC HY_VSOCK_BUF_ALLOC
/* Packets one client may move per wake-up before the event loop runs other work;
 * the socket stays readable, so the rest comes with the next epoll_wait(). */
#define RX_BUDGET 32
/* accept4() out of descriptors: try again after this long, or when a stream ends. */
#define ACCEPT_RETRY_MS 1000
#define CONNECT_PREFIX "CONNECT "
#define SOCKET_PREFIX "/vsock.sock_"

_Static_assert(sizeof(struct virtio_vsock_hdr) == HDR_LEN, "the packet header is 44 bytes");
_Static_assert(VIRTIO_VSOCK_DIR_MAX + sizeof(SOCKET_PREFIX "4294967295") <=
		   sizeof(((struct sockaddr_un *)0)->sun_path),
	       "a socket path in dir fits a sockaddr_un");
_Static_assert((BUF_ALLOC & (BUF_ALLOC - 1)) == 0 && BUF_ALLOC >= 4096,
	       "the kept buffer grows by doubling up to BUF_ALLOC");

enum stream_state {
	ST_FREE,
	ST_LINE,       /* a host client that has not sent its CONNECT line yet */
	ST_REQUEST,    /* host-initiated: REQUEST to send or sent, no answer yet */
	ST_CONNECTING, /* guest-initiated: connect() in progress */
	ST_OPEN,
	ST_DEAD, /* the client is closed; RST still to send */
};

struct virtio_vsock;

struct stream {
	struct virtio_vsock *v; /* set once: callbacks get the slot, never freed */
	enum stream_state state;
	int fd;
	uint32_t watched; /* epoll events registered for fd */
	uint32_t host_port, guest_port;
	int64_t deadline_ms; /* ST_LINE, ST_REQUEST, ST_CONNECTING */
	char line[HY_VSOCK_LINE_MAX];
	unsigned line_len;

	/* Header-only packets waiting for an rx buffer, sent in this order. */
	bool need_request, need_response, need_credit, need_shutdown, need_rst;
	bool request_sent;

	/* Host -> guest. */
	uint32_t tx_cnt; /* payload sent to the guest */
	uint32_t peer_buf_alloc, peer_fwd_cnt;
	bool host_eof;	  /* the client's end of file, SHUTDOWN(SEND) */
	bool peer_no_rcv; /* the guest's SHUTDOWN(RCV) */

	/* Guest -> host. */
	uint32_t rx_cnt;   /* payload received from the guest */
	uint32_t fwd_cnt;  /* of which written to the client */
	uint32_t fwd_sent; /* fwd_cnt as the last header sent told it */
	bool peer_no_send; /* the guest's SHUTDOWN(SEND) */
	bool wr_shut;	   /* shutdown(SHUT_WR) done */
	uint8_t *buf;	   /* kept for the client: buf[buf_off .. + buf_len) */
	size_t buf_cap, buf_off, buf_len;
};

/* A RST for a packet of no stream: from where it was sent to. */
struct reply {
	uint64_t src_cid;
	uint32_t src_port, dst_port;
};

struct virtio_vsock {
	struct virtio_dev dev;
	struct virtq queues[NR_QUEUES];
	struct virtio_vsock_config config; /* little-endian, ready to copy */
	struct event_loop *loop;
	int listen_fd;
	bool listen_watched;
	bool accept_paused; /* out of descriptors, until accept_retry_ms */
	int64_t accept_retry_ms;
	int timer_fd;
	int64_t timer_at_ms; /* when the timer is armed for; 0: disarmed */
	bool has_dir;
	char dir[VIRTIO_VSOCK_DIR_MAX + 1];
	uint32_t next_port;

	struct stream streams[MAX_STREAMS];
	unsigned nr_streams;
	unsigned ctrl_next; /* where flushing control packets starts: each gets a turn */

	struct reply replies[MAX_REPLIES];
	unsigned reply_head, reply_count;
	bool tx_stalled; /* the replies ring filled up: the tx queue waits */

	/* An rx chain popped and not used yet. */
	bool rx_held;
	struct virtq_elem rx_elem;
	struct virtq_elem tx_elem;
	struct iovec iov[VIRTQ_MAX_SEGS]; /* a payload's part of an element */
	bool rx_pushed, tx_pushed;	  /* used buffers not yet signalled */

	struct virtio_vsock_stats stats;
	size_t buffered;
};

static struct virtio_vsock *to_vsock(struct virtio_dev *d)
{
	return (struct virtio_vsock *)((char *)d - offsetof(struct virtio_vsock, dev));
}

static bool usable(const struct virtio_vsock *v)
{
	return v->dev.active && !v->dev.broken;
}

/* Pop with the malformed-chain policy applied: 1, 0, or -EINVAL after the
 * device has been marked broken. */
static int pop(struct virtio_vsock *v, unsigned qi, struct virtq_elem *e)
{
	int ret = virtq_pop(&v->queues[qi], e);

	if (ret < 0)
		virtio_dev_set_broken(&v->dev, "malformed descriptor chain");
	return ret;
}

static int push(struct virtio_vsock *v, unsigned qi, uint16_t head, uint32_t len)
{
	int ret = virtq_push(&v->queues[qi], head, len);

	if (ret < 0)
		virtio_dev_set_broken(&v->dev, "used ring outside guest memory");
	return ret;
}

/* v->iov: `len` bytes of e's readable (or writable) buffers from byte `off`.
 * Returns the number of segments. */
static unsigned iov_slice(struct virtio_vsock *v, const struct virtq_elem *e, bool writable,
			  uint64_t off, uint64_t len)
{
	unsigned i = writable ? e->n_out : 0, end = writable ? e->n_out + e->n_in : e->n_out;
	unsigned n = 0;

	for (; i < end && len; i++) {
		uint64_t seg = e->iov[i].iov_len, k;

		if (off >= seg) {
			off -= seg;
			continue;
		}
		k = seg - off < len ? seg - off : len;
		v->iov[n++] = (struct iovec){.iov_base = (uint8_t *)e->iov[i].iov_base + off,
					     .iov_len = (size_t)k};
		len -= k;
		off = 0;
	}
	return n;
}

/* --- streams ------------------------------------------------------------------------- */

static bool stream_ctrl_pending(const struct stream *s)
{
	return s->need_request || s->need_response || s->need_credit || s->need_shutdown ||
	       s->need_rst;
}

static bool ctrl_pending(const struct virtio_vsock *v)
{
	if (v->reply_count)
		return true;
	for (unsigned i = 0; i < MAX_STREAMS; i++)
		if (v->streams[i].state != ST_FREE && stream_ctrl_pending(&v->streams[i]))
			return true;
	return false;
}

/* A stream the guest may address: ports are known from ST_REQUEST on. */
static struct stream *stream_find(struct virtio_vsock *v, uint32_t host_port, uint32_t guest_port)
{
	for (unsigned i = 0; i < MAX_STREAMS; i++) {
		struct stream *s = &v->streams[i];

		if (s->state > ST_LINE && s->host_port == host_port && s->guest_port == guest_port)
			return s;
	}
	return NULL;
}

static bool host_port_used(const struct virtio_vsock *v, uint32_t port)
{
	for (unsigned i = 0; i < MAX_STREAMS; i++)
		if (v->streams[i].state > ST_LINE && v->streams[i].host_port == port)
			return true;
	return false;
}

/* A host port for a host-initiated stream: counting up, none in use (there are
 * far fewer streams than ports, so this ends). 0xffffffff is VMADDR_PORT_ANY. */
static uint32_t alloc_port(struct virtio_vsock *v)
{
	for (;;) {
		uint32_t p = v->next_port;

		v->next_port = p >= UINT32_MAX - 1 ? VIRTIO_VSOCK_PORT_BASE : p + 1;
		if (!host_port_used(v, p))
			return p;
	}
}

static struct stream *stream_alloc(struct virtio_vsock *v, int fd, enum stream_state state)
{
	for (unsigned i = 0; i < MAX_STREAMS; i++) {
		struct stream *s = &v->streams[i];

		if (s->state != ST_FREE)
			continue;
		*s = (struct stream){.v = v, .state = state, .fd = fd};
		v->nr_streams++;
		return s;
	}
	return NULL;
}

static void stream_close_fd(struct stream *s)
{
	struct virtio_vsock *v = s->v;

	if (s->watched)
		event_del(v->loop, s->fd);
	s->watched = 0;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	v->buffered -= s->buf_len;
	free(s->buf);
	s->buf = NULL;
	s->buf_cap = s->buf_off = s->buf_len = 0;
}

static void stream_free(struct stream *s)
{
	struct virtio_vsock *v = s->v;

	stream_close_fd(s);
	*s = (struct stream){.v = v, .state = ST_FREE, .fd = -1};
	v->nr_streams--;
	/* A slot is free again: a paused listener may accept once more. */
	v->accept_paused = false;
}

/*
 * End a stream: the client is closed at once. rst: the guest knows the
 * stream and did not reset it itself, so it gets RST (once the control
 * packets before it, a SHUTDOWN included unless `abort`, went out).
 */
static void stream_end(struct stream *s, bool rst, bool abort)
{
	stream_close_fd(s);
	if (!rst) {
		stream_free(s);
		return;
	}
	s->need_request = s->need_response = s->need_credit = false;
	if (abort)
		s->need_shutdown = false;
	s->need_rst = true;
	s->state = ST_DEAD;
}

/* A protocol error or a host-side failure on an established stream. */
static void stream_reset(struct stream *s, const char *why)
{
	log_debug("%s: stream %u -> guest port %u reset: %s", s->v->dev.name, s->host_port,
		  s->guest_port, why);
	stream_end(s, true, true);
}

/* Whether the driver may know of the stream (it was told of it, or asked). */
static bool guest_knows(const struct stream *s)
{
	return s->state > ST_REQUEST || (s->state == ST_REQUEST && s->request_sent);
}

/* End the streams (all, or those the driver knows of) without a word to the
 * driver, and forget the replies it was owed. */
static void drop_streams(struct virtio_vsock *v, bool all)
{
	for (unsigned i = 0; i < MAX_STREAMS; i++) {
		struct stream *s = &v->streams[i];

		if (s->state != ST_FREE && (all || guest_knows(s)))
			stream_free(s);
	}
	v->reply_head = v->reply_count = 0;
	v->tx_stalled = false;
}

/* --- packets to the guest ------------------------------------------------------------- */

static void hdr_fill(struct virtio_vsock_hdr *h, uint64_t src_cid, uint32_t src_port,
		     uint32_t dst_port, uint16_t op, uint32_t flags, uint32_t len,
		     uint32_t buf_alloc, uint32_t fwd_cnt)
{
	h->src_cid = htole64(src_cid);
	h->dst_cid = htole64(HY_VSOCK_GUEST_CID);
	h->src_port = htole32(src_port);
	h->dst_port = htole32(dst_port);
	h->len = htole32(len);
	h->type = htole16(VIRTIO_VSOCK_TYPE_STREAM);
	h->op = htole16(op);
	h->flags = htole32(flags);
	h->buf_alloc = htole32(buf_alloc);
	h->fwd_cnt = htole32(fwd_cnt);
}

/* Section 5.10.6.3: every packet of a stream carries our credit. */
static void stream_hdr(struct stream *s, struct virtio_vsock_hdr *h, uint16_t op, uint32_t flags,
		       uint32_t len)
{
	hdr_fill(h, HY_VSOCK_HOST_CID, s->host_port, s->guest_port, op, flags, len, BUF_ALLOC,
		 s->fwd_cnt);
	s->fwd_sent = s->fwd_cnt;
}

/* Whether an rx chain is held, popping one when not. */
static bool rx_get(struct virtio_vsock *v)
{
	struct virtq_elem *e = &v->rx_elem;

	if (v->rx_held)
		return true;
	if (!usable(v) || pop(v, RXQ, e) <= 0)
		return false;
	/* Section 5.10.6.4: rx buffers are device-writable; each takes one
	 * packet, so it holds at least the header. */
	if (e->n_out || e->in_len < HDR_LEN) {
		virtio_dev_set_broken(&v->dev, e->n_out ? "rx chain with readable buffers"
							: "rx chain shorter than the header");
		return false;
	}
	v->rx_held = true;
	return true;
}

/* Hand the held rx chain back with a packet of `len` bytes, header included. */
static void rx_put(struct virtio_vsock *v, const struct virtio_vsock_hdr *h, uint32_t len)
{
	virtq_elem_write(&v->rx_elem, 0, h, HDR_LEN);
	v->rx_held = false;
	if (push(v, RXQ, v->rx_elem.head, len) == 0)
		v->rx_pushed = true;
}

static void send_credit(struct stream *s)
{
	struct virtio_vsock_hdr h;

	stream_hdr(s, &h, VIRTIO_VSOCK_OP_CREDIT_UPDATE, 0, 0);
	s->need_credit = false;
	s->v->stats.credit_updates++;
	rx_put(s->v, &h, HDR_LEN);
}

/* Send s's first pending control packet into the held rx chain. */
static void stream_send_ctrl(struct stream *s)
{
	struct virtio_vsock *v = s->v;
	struct virtio_vsock_hdr h;

	if (s->need_request) {
		stream_hdr(s, &h, VIRTIO_VSOCK_OP_REQUEST, 0, 0);
		s->need_request = false;
		s->request_sent = true;
	} else if (s->need_response) {
		stream_hdr(s, &h, VIRTIO_VSOCK_OP_RESPONSE, 0, 0);
		s->need_response = false;
	} else if (s->need_credit) {
		send_credit(s);
		return;
	} else if (s->need_shutdown) {
		stream_hdr(s, &h, VIRTIO_VSOCK_OP_SHUTDOWN, VIRTIO_VSOCK_SHUTDOWN_SEND, 0);
		s->need_shutdown = false;
	} else {
		stream_hdr(s, &h, VIRTIO_VSOCK_OP_RST, 0, 0);
		v->stats.rst_sent++;
		stream_free(s);
	}
	rx_put(v, &h, HDR_LEN);
}

/* Send what control packets the rx buffers take: replies to packets of no
 * stream first, then each stream's in turn. */
static void ctrl_flush(struct virtio_vsock *v)
{
	while (v->reply_count && rx_get(v)) {
		struct reply *r = &v->replies[v->reply_head];
		struct virtio_vsock_hdr h;

		hdr_fill(&h, r->src_cid, r->src_port, r->dst_port, VIRTIO_VSOCK_OP_RST, 0, 0, 0, 0);
		v->reply_head = (v->reply_head + 1) % MAX_REPLIES;
		v->reply_count--;
		v->stats.rst_sent++;
		rx_put(v, &h, HDR_LEN);
	}
	for (unsigned k = 0; k < MAX_STREAMS; k++) {
		unsigned i = (v->ctrl_next + k) % MAX_STREAMS;
		struct stream *s = &v->streams[i];

		while (s->state != ST_FREE && stream_ctrl_pending(s)) {
			if (!rx_get(v)) {
				v->ctrl_next = i;
				return;
			}
			stream_send_ctrl(s);
		}
	}
}

/* RST for a packet that belongs to no stream (section 5.10.6.4: also one of an
 * unknown type). The caller made sure the ring has room. */
static void reply_rst(struct virtio_vsock *v, const struct virtio_vsock_hdr *h)
{
	struct reply *r;

	if (v->reply_count == MAX_REPLIES)
		return;
	r = &v->replies[(v->reply_head + v->reply_count++) % MAX_REPLIES];
	r->src_cid = le64toh(h->dst_cid);
	r->src_port = le32toh(h->dst_port);
	r->dst_port = le32toh(h->src_port);
}

/* --- host -> guest ------------------------------------------------------------------------ */

/* Section 5.10.6.3: the guest's free receive space for the stream. */
static uint32_t peer_credit(const struct stream *s)
{
	uint32_t used = s->tx_cnt - s->peer_fwd_cnt;

	return used >= s->peer_buf_alloc ? 0 : s->peer_buf_alloc - used;
}

static bool can_read(const struct stream *s)
{
	return s->state == ST_OPEN && !s->need_response && !s->host_eof && !s->peer_no_rcv &&
	       peer_credit(s) > 0;
}

static void stream_check_done(struct stream *s)
{
	/* Both directions are over: the guest sent its last byte and it was
	 * written, and either the client has nothing more or the guest takes
	 * nothing more. */
	if (s->state == ST_OPEN && s->peer_no_send && !s->buf_len &&
	    (s->host_eof || s->peer_no_rcv))
		stream_end(s, true, false);
}

/* Move what the client wrote into the guest's rx buffers, within credit. */
static void stream_to_guest(struct stream *s)
{
	struct virtio_vsock *v = s->v;

	for (unsigned i = 0; i < RX_BUDGET; i++) {
		struct virtio_vsock_hdr h;
		uint64_t room;
		uint32_t n;
		unsigned cnt;
		ssize_t r;

		if (!can_read(s))
			return;
		/* Control packets, which may answer what the guest waits for, go
		 * before data. */
		ctrl_flush(v);
		if (ctrl_pending(v) || !rx_get(v))
			return;
		room = v->rx_elem.in_len - HDR_LEN;
		if (room == 0) {
			/* A chain with room for a header only: still a packet
			 * the guest may get at any time (5.10.6.3). */
			send_credit(s);
			continue;
		}
		n = peer_credit(s);
		if (n > VIRTIO_VSOCK_MAX_PKT)
			n = VIRTIO_VSOCK_MAX_PKT;
		if (n > room)
			n = (uint32_t)room;
		cnt = iov_slice(v, &v->rx_elem, true, HDR_LEN, n);
		do
			r = readv(s->fd, v->iov, (int)cnt);
		while (r < 0 && errno == EINTR);
		if (r < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				stream_reset(s, strerror(errno));
			return;
		}
		if (r == 0) {
			s->host_eof = true;
			s->need_shutdown = true;
			stream_check_done(s);
			return;
		}
		stream_hdr(s, &h, VIRTIO_VSOCK_OP_RW, 0, (uint32_t)r);
		rx_put(v, &h, HDR_LEN + (uint32_t)r);
		s->tx_cnt += (uint32_t)r;
		v->stats.rx_bytes += (uint64_t)r;
	}
}

/* --- guest -> host ------------------------------------------------------------------------- */

/* Let the guest know of freed space before it runs short: when, as far as it
 * knows, half the buffer is in flight and a quarter of it was written since
 * it last heard. A guest that waits for credit has the whole buffer in
 * flight in its view, so it hears as soon as a quarter is written. */
static void maybe_credit(struct stream *s)
{
	uint32_t freed = s->fwd_cnt - s->fwd_sent, in_flight = s->rx_cnt - s->fwd_sent;

	if (s->state == ST_OPEN && !s->peer_no_send && in_flight >= BUF_ALLOC / 2 &&
	    freed >= BUF_ALLOC / 4)
		s->need_credit = true;
}

/* After bytes were written to the client or the guest shut a direction. */
static void stream_after_write(struct stream *s)
{
	maybe_credit(s);
	if (s->state == ST_OPEN && s->peer_no_send && !s->buf_len && !s->wr_shut) {
		/* The client reads end of file; it may still be writing. A
		 * client that went away already fails this: nothing to do. */
		shutdown(s->fd, SHUT_WR);
		s->wr_shut = true;
	}
	stream_check_done(s);
}

static void stream_wrote(struct stream *s, size_t n)
{
	s->fwd_cnt += (uint32_t)n;
	s->v->stats.tx_bytes += n;
}

/* Write what is kept for the client, as far as it takes it. */
static void stream_flush(struct stream *s)
{
	struct virtio_vsock *v = s->v;

	while (s->buf_len) {
		ssize_t r = write(s->fd, s->buf + s->buf_off, s->buf_len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (r <= 0) {
			stream_reset(s, r < 0 ? strerror(errno) : "the client takes nothing");
			return;
		}
		s->buf_off += (size_t)r;
		s->buf_len -= (size_t)r;
		v->buffered -= (size_t)r;
		stream_wrote(s, (size_t)r);
	}
	if (!s->buf_len) {
		/* Only slow clients need the buffer; most never do. */
		free(s->buf);
		s->buf = NULL;
		s->buf_cap = s->buf_off = 0;
	}
	stream_after_write(s);
}

/* Keep bytes [off, off + len) of e for the client; the caller checked that
 * the total stays within BUF_ALLOC. */
static int keep(struct stream *s, const struct virtq_elem *e, uint64_t off, size_t len)
{
	size_t need = s->buf_len + len;

	if (s->buf_off + need > s->buf_cap) {
		if (s->buf_len)
			memmove(s->buf, s->buf + s->buf_off, s->buf_len);
		s->buf_off = 0;
		if (need > s->buf_cap) {
			size_t cap = s->buf_cap ? s->buf_cap : 4096;
			uint8_t *p;

			while (cap < need)
				cap *= 2;
			p = realloc(s->buf, cap);
			if (!p)
				return -ENOMEM;
			s->buf = p;
			s->buf_cap = cap;
		}
	}
	virtq_elem_read(e, off, s->buf + s->buf_off + s->buf_len, len);
	s->buf_len += len;
	s->v->buffered += len;
	return 0;
}

/* A RW packet of `len` payload bytes for an open stream. */
static void stream_from_guest(struct stream *s, const struct virtq_elem *e, uint32_t len)
{
	struct virtio_vsock *v = s->v;
	size_t done = 0;

	if (s->peer_no_send) {
		stream_reset(s, "data after SHUTDOWN(SEND)");
		return;
	}
	/* Section 5.10.6.3: never beyond the credit we gave (what the guest
	 * knows of, fwd_sent); that also bounds what is kept here. */
	if ((uint64_t)(uint32_t)(s->rx_cnt - s->fwd_sent) + len > BUF_ALLOC) {
		stream_reset(s, "data beyond the credit given");
		return;
	}
	if (!len)
		return;
	s->rx_cnt += len;
	if (!s->buf_len) {
		unsigned cnt = iov_slice(v, e, false, HDR_LEN, len);
		ssize_t r;

		do
			r = writev(s->fd, v->iov, (int)cnt);
		while (r < 0 && errno == EINTR);
		if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			stream_reset(s, strerror(errno));
			return;
		}
		if (r > 0) {
			done = (size_t)r;
			stream_wrote(s, done);
		}
	}
	if (done < len && keep(s, e, HDR_LEN + done, len - done) < 0) {
		stream_reset(s, "out of memory");
		return;
	}
	stream_after_write(s);
}

/* --- connections -------------------------------------------------------------------------- */

/* "<dir>/vsock.sock_<port>"; the length fits (checked at creation). */
static socklen_t sock_addr(const struct virtio_vsock *v, uint32_t port, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	snprintf(sa->sun_path, sizeof(sa->sun_path), "%s" SOCKET_PREFIX "%u", v->dir, port);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(sa->sun_path) + 1);
}

static void guest_connected(struct stream *s)
{
	s->state = ST_OPEN;
	s->deadline_ms = 0;
	s->need_response = true;
	s->v->stats.guest_connects++;
}

/* A guest REQUEST to host port P: the socket dir/vsock.sock_P, or RST. */
static void guest_connect(struct virtio_vsock *v, const struct virtio_vsock_hdr *h)
{
	uint32_t host_port = le32toh(h->dst_port), guest_port = le32toh(h->src_port);
	struct sockaddr_un sa;
	struct stream *s;
	socklen_t sl;
	int fd, r;

	if (!v->has_dir || v->nr_streams == MAX_STREAMS)
		goto refuse;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_debug("%s: socket: %m", v->dev.name);
		goto refuse;
	}
	sl = sock_addr(v, host_port, &sa);
	r = connect(fd, (struct sockaddr *)&sa, sl);
	/* An AF_UNIX connect() does not block: it succeeds or fails at once
	 * (EAGAIN: the listener's backlog is full, refused like the rest).
	 * EINPROGRESS is handled anyway, as for any stream socket. */
	if (r < 0 && errno != EINPROGRESS && errno != EINTR) {
		log_debug("%s: guest port %u -> %s: %m", v->dev.name, guest_port, sa.sun_path);
		close(fd);
		goto refuse;
	}
	s = stream_alloc(v, fd, ST_CONNECTING);
	s->host_port = host_port;
	s->guest_port = guest_port;
	s->peer_buf_alloc = le32toh(h->buf_alloc);
	s->peer_fwd_cnt = le32toh(h->fwd_cnt);
	if (r == 0)
		guest_connected(s);
	else
		s->deadline_ms = hy_now_ms() + HY_VSOCK_CONNECT_TIMEOUT_MS;
	return;

refuse:
	v->stats.refused++;
	reply_rst(v, h);
}

/* The connect() in progress is done (the socket became writable). */
static void connect_finish(struct stream *s)
{
	struct sockaddr_un sa;
	socklen_t sl = sock_addr(s->v, s->host_port, &sa);

	if (connect(s->fd, (struct sockaddr *)&sa, sl) == 0 || errno == EISCONN) {
		guest_connected(s);
	} else if (errno != EALREADY && errno != EINPROGRESS && errno != EINTR) {
		log_debug("%s: guest port %u -> %s: %m", s->v->dev.name, s->guest_port,
			  sa.sun_path);
		s->v->stats.refused++;
		stream_end(s, true, true);
	}
}

/* "CONNECT <port>\n", port in decimal, 0 to 4294967295. */
static int parse_connect(const char *line, size_t len, uint32_t *port)
{
	size_t plen = strlen(CONNECT_PREFIX), i;
	uint64_t v = 0;

	if (len < plen + 2 || len > plen + 11 || memcmp(line, CONNECT_PREFIX, plen) != 0 ||
	    line[len - 1] != '\n')
		return -EINVAL;
	for (i = plen; i < len - 1; i++) {
		if (line[i] < '0' || line[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(line[i] - '0');
	}
	if (v > UINT32_MAX)
		return -EINVAL;
	*port = (uint32_t)v;
	return 0;
}

/* The client's CONNECT line, read a byte at a time so that nothing it sends
 * after the newline (the stream's first bytes) is taken with it. */
static void line_read(struct stream *s)
{
	struct virtio_vsock *v = s->v;
	uint32_t port;

	while (s->line_len < sizeof(s->line)) {
		char c;
		ssize_t r = read(s->fd, &c, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (r <= 0) {
			stream_end(s, false, true);
			return;
		}
		s->line[s->line_len++] = c;
		if (c == '\n')
			break;
	}
	if (parse_connect(s->line, s->line_len, &port) < 0) {
		log_debug("%s: a client sent no valid CONNECT line; closed", v->dev.name);
		stream_end(s, false, true);
		return;
	}
	s->guest_port = port;
	s->host_port = alloc_port(v);
	s->state = ST_REQUEST;
	s->need_request = true;
	log_debug("%s: a client asks for guest port %u (host port %u)", v->dev.name, port,
		  s->host_port);
}

/* The guest accepted a host client's stream: "OK <host port>\n". A fresh
 * socket's buffer takes so short a line at once. */
static void host_connected(struct stream *s)
{
	char ok[32];
	int n = snprintf(ok, sizeof(ok), "OK %u\n", s->host_port);
	ssize_t r;

	do
		r = write(s->fd, ok, (size_t)n);
	while (r < 0 && errno == EINTR);
	if (r != n) {
		stream_reset(s, "the client went away before the guest accepted");
		return;
	}
	s->state = ST_OPEN;
	s->deadline_ms = 0;
	s->v->stats.host_connects++;
}

static void accept_clients(struct virtio_vsock *v)
{
	while (v->nr_streams < MAX_STREAMS) {
		int fd = accept4(v->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct stream *s;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			log_warn("%s: accepting a client: %m", v->dev.name);
			/* Out of descriptors or memory: the listener would stay
			 * readable; pause rather than spin. */
			v->accept_paused = true;
			v->accept_retry_ms = hy_now_ms() + ACCEPT_RETRY_MS;
			return;
		}
		if (v->dev.broken) {
			close(fd);
			continue;
		}
		s = stream_alloc(v, fd, ST_LINE);
		s->deadline_ms = hy_now_ms() + HY_VSOCK_CONNECT_TIMEOUT_MS;
		line_read(s);
	}
}

/* --- packets from the guest --------------------------------------------------------------- */

/* One packet on the tx queue; its chain holds the header and len payload bytes. */
static void tx_packet(struct virtio_vsock *v, const struct virtq_elem *e)
{
	struct virtio_vsock_hdr h;
	struct stream *s;
	uint32_t len, flags;
	uint16_t op;
	bool ours;

	virtq_elem_read(e, 0, &h, HDR_LEN);
	len = le32toh(h.len);
	op = le16toh(h.op);
	flags = le32toh(h.flags);
	if (len > e->out_len - HDR_LEN) {
		virtio_dev_set_broken(&v->dev, "packet length beyond its chain");
		return;
	}
	/* Addressed from the guest to us, a stream, no payload but data's. */
	ours = le64toh(h.src_cid) == HY_VSOCK_GUEST_CID &&
	       le64toh(h.dst_cid) == HY_VSOCK_HOST_CID &&
	       le16toh(h.type) == VIRTIO_VSOCK_TYPE_STREAM && (op == VIRTIO_VSOCK_OP_RW || !len);
	s = stream_find(v, le32toh(h.dst_port), le32toh(h.src_port));
	if (!s) {
		if (op == VIRTIO_VSOCK_OP_REQUEST && ours)
			guest_connect(v, &h);
		else if (op != VIRTIO_VSOCK_OP_RST)
			reply_rst(v, &h);
		return;
	}
	if (op == VIRTIO_VSOCK_OP_RST) {
		v->stats.rst_received++;
		if (s->state == ST_REQUEST)
			v->stats.refused++;
		log_debug("%s: the guest reset stream %u -> %u", v->dev.name, s->host_port,
			  s->guest_port);
		stream_end(s, false, true);
		return;
	}
	/* Ours already reset: RST is on its way. */
	if (s->state == ST_DEAD)
		return;
	if (!ours) {
		stream_reset(s, "a packet of another type, address or length");
		return;
	}
	s->peer_buf_alloc = le32toh(h.buf_alloc);
	s->peer_fwd_cnt = le32toh(h.fwd_cnt);
	/* Only RST and RESPONSE fit before the stream is open. */
	if (op == VIRTIO_VSOCK_OP_RESPONSE) {
		if (s->state == ST_REQUEST && s->request_sent)
			host_connected(s);
		else
			stream_reset(s, "RESPONSE to no REQUEST");
		return;
	}
	if (s->state != ST_OPEN || s->need_response) {
		stream_reset(s, "a packet before the stream was open");
		return;
	}
	switch (op) {
	case VIRTIO_VSOCK_OP_RW:
		stream_from_guest(s, e, len);
		break;
	case VIRTIO_VSOCK_OP_SHUTDOWN:
		/* Section 5.10.6.6: the flags are permanent once sent. */
		if (flags & VIRTIO_VSOCK_SHUTDOWN_RCV)
			s->peer_no_rcv = true;
		if (flags & VIRTIO_VSOCK_SHUTDOWN_SEND)
			s->peer_no_send = true;
		stream_after_write(s);
		break;
	case VIRTIO_VSOCK_OP_CREDIT_UPDATE:
		/* Taken above; the client is read again if it may be. */
		break;
	case VIRTIO_VSOCK_OP_CREDIT_REQUEST:
		s->need_credit = true;
		break;
	default:
		/* REQUEST for an existing stream, an unknown op. */
		stream_reset(s, "an unexpected op");
		break;
	}
}

static void tx_process(struct virtio_vsock *v)
{
	struct virtq_elem *e = &v->tx_elem;

	while (usable(v)) {
		/* Each packet may need a reply; with nowhere to hold one, stop
		 * until the guest takes what waits (section 5.10.6.1). */
		if (v->reply_count == MAX_REPLIES) {
			v->tx_stalled = true;
			break;
		}
		if (pop(v, TXQ, e) <= 0)
			break;
		/* Section 5.10.6.4: tx buffers are device-readable, a header
		 * then the payload. */
		if (e->n_in || e->out_len < HDR_LEN) {
			virtio_dev_set_broken(&v->dev, e->n_in
							   ? "tx chain with writable buffers"
							   : "tx chain shorter than the header");
			break;
		}
		tx_packet(v, e);
		if (!usable(v))
			break;
		if (push(v, TXQ, e->head, 0) < 0)
			break;
		v->tx_pushed = true;
	}
}

/* --- the event loop ------------------------------------------------------------------------ */

static void stream_ready(void *opaque, uint32_t events);

static void watch(struct stream *s, uint32_t want)
{
	struct virtio_vsock *v = s->v;
	int ret;

	if (want == s->watched)
		return;
	if (!want)
		ret = event_del(v->loop, s->fd);
	else if (!s->watched)
		ret = event_add(v->loop, s->fd, want, stream_ready, s);
	else
		ret = event_mod(v->loop, s->fd, want);
	if (ret < 0) {
		log_error("%s: cannot watch a stream's socket: %s", v->dev.name, strerror(-ret));
		if (want) {
			/* It could never move again. */
			if (s->state == ST_LINE || (s->state == ST_REQUEST && !s->request_sent))
				stream_end(s, false, true);
			else
				stream_end(s, true, true);
			return;
		}
	}
	s->watched = want;
}

static void listener_ready(void *opaque, uint32_t events);

static void watch_listener(struct virtio_vsock *v)
{
	bool want = v->nr_streams < MAX_STREAMS && !v->accept_paused;
	int ret;

	if (want == v->listen_watched)
		return;
	if (want)
		ret = event_add(v->loop, v->listen_fd, EPOLLIN, listener_ready, v);
	else
		ret = event_del(v->loop, v->listen_fd);
	if (ret < 0)
		log_error("%s: cannot %s the listening socket: %s", v->dev.name,
			  want ? "watch" : "unwatch", strerror(-ret));
	else
		v->listen_watched = want;
}

/* Arm the timer for the earliest deadline (absolute: it cannot drift). */
static void arm_timer(struct virtio_vsock *v)
{
	struct itimerspec its = {0};
	int64_t at = v->accept_paused ? v->accept_retry_ms : 0;

	for (unsigned i = 0; i < MAX_STREAMS; i++) {
		const struct stream *s = &v->streams[i];

		if (s->deadline_ms &&
		    (s->state == ST_LINE || s->state == ST_REQUEST || s->state == ST_CONNECTING) &&
		    (!at || s->deadline_ms < at))
			at = s->deadline_ms;
	}
	if (at == v->timer_at_ms)
		return;
	its.it_value.tv_sec = at / 1000;
	its.it_value.tv_nsec = (at % 1000) * 1000000;
	if (timerfd_settime(v->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		log_error("%s: cannot arm the timer: %m", v->dev.name);
	else
		v->timer_at_ms = at;
}

/* The end of every entry point: send what waits, resume a stalled tx queue,
 * then watch exactly the sockets that can move, and signal the guest. */
static void settle(struct virtio_vsock *v)
{
	bool rx_data;

	for (;;) {
		ctrl_flush(v);
		if (!v->tx_stalled || v->reply_count == MAX_REPLIES || !usable(v))
			break;
		v->tx_stalled = false;
		tx_process(v);
	}
	/* Clients are read only when a packet can go out at once; with
	 * event idx, looking for a buffer also asks for the next kick. */
	rx_data = usable(v) && !ctrl_pending(v) && rx_get(v);
	/* Nothing moves any more until a reset: let every client know now. */
	if (v->dev.broken)
		drop_streams(v, true);
	for (unsigned i = 0; i < MAX_STREAMS; i++) {
		struct stream *s = &v->streams[i];
		uint32_t want = 0;

		switch (s->state) {
		case ST_LINE:
			want = EPOLLIN;
			break;
		case ST_CONNECTING:
			want = EPOLLOUT;
			break;
		case ST_OPEN:
			want = (can_read(s) && rx_data ? EPOLLIN : 0) | (s->buf_len ? EPOLLOUT : 0);
			break;
		default:
			break;
		}
		if (s->state != ST_FREE)
			watch(s, want);
	}
	watch_listener(v);
	arm_timer(v);
	if (v->rx_pushed) {
		v->rx_pushed = false;
		virtio_dev_notify_used(&v->dev, &v->queues[RXQ]);
	}
	if (v->tx_pushed) {
		v->tx_pushed = false;
		virtio_dev_notify_used(&v->dev, &v->queues[TXQ]);
	}
}

static void stream_ready(void *opaque, uint32_t events)
{
	struct stream *s = opaque;
	struct virtio_vsock *v = s->v;

	pthread_mutex_lock(&v->dev.lock);
	/* The watch may have been dropped (or the slot reused) after this
	 * event was collected: everything below copes with nothing to do. */
	if (s->watched) {
		switch (s->state) {
		case ST_LINE:
			line_read(s);
			break;
		case ST_CONNECTING:
			connect_finish(s);
			break;
		case ST_OPEN:
			if (s->buf_len && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
				stream_flush(s);
			if (s->state == ST_OPEN && (s->watched & EPOLLIN) &&
			    (events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
				stream_to_guest(s);
			break;
		default:
			break;
		}
	}
	settle(v);
	pthread_mutex_unlock(&v->dev.lock);
}

static void listener_ready(void *opaque, uint32_t events)
{
	struct virtio_vsock *v = opaque;

	pthread_mutex_lock(&v->dev.lock);
	if (v->listen_watched)
		accept_clients(v);
	settle(v);
	pthread_mutex_unlock(&v->dev.lock);
}

static void timer_ready(void *opaque, uint32_t events)
{
	struct virtio_vsock *v = opaque;
	int64_t now = hy_now_ms();
	uint64_t ticks;

	pthread_mutex_lock(&v->dev.lock);
	if (read(v->timer_fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		log_warn("%s: reading the timer: %m", v->dev.name);
	/* It fired, so it is disarmed: arm_timer() sets it again. */
	v->timer_at_ms = 0;
	for (unsigned i = 0; i < MAX_STREAMS; i++) {
		struct stream *s = &v->streams[i];

		if (!s->deadline_ms || s->deadline_ms > now)
			continue;
		if (s->state == ST_LINE) {
			log_debug("%s: a client sent no CONNECT line in time", v->dev.name);
			stream_end(s, false, true);
		} else if (s->state == ST_REQUEST || s->state == ST_CONNECTING) {
			log_debug("%s: no connection to guest port %u in time", v->dev.name,
				  s->guest_port);
			v->stats.refused++;
			stream_end(s, s->state == ST_CONNECTING || s->request_sent, true);
		}
	}
	if (v->accept_paused && v->accept_retry_ms <= now)
		v->accept_paused = false;
	settle(v);
	pthread_mutex_unlock(&v->dev.lock);
}

/* --- device ops (dev.lock held) --------------------------------------------------------------- */

static uint64_t vsock_features(struct virtio_dev *d)
{
	/* Stream sockets need no feature bit (section 5.10.3); SEQPACKET is
	 * not offered. */
	return 0;
}

static void vsock_config_read(struct virtio_dev *d, uint32_t off, void *data, uint32_t len)
{
	memcpy(data, (const uint8_t *)&to_vsock(d)->config + off, len);
}

static void vsock_config_write(struct virtio_dev *d, uint32_t off, const void *data, uint32_t len)
{
	/* guest_cid is read-only. */
}

static int vsock_activate(struct virtio_dev *d)
{
	struct virtio_vsock *v = to_vsock(d);

	/* Pick up anything queued before DRIVER_OK. The transport sets active
	 * only after this returns; process with it set. */
	d->active = true;
	tx_process(v);
	settle(v);
	return 0;
}

static void vsock_notify(struct virtio_dev *d, unsigned q)
{
	struct virtio_vsock *v = to_vsock(d);

	if (q == TXQ)
		tx_process(v);
	/* rx: new buffers, for what waits; event: nothing is ever sent there. */
	settle(v);
}

static void vsock_reset(struct virtio_dev *d)
{
	struct virtio_vsock *v = to_vsock(d);

	/* The driver forgot every connection; their clients learn it by their
	 * socket closing. Clients the driver never heard of wait for it (the
	 * driver resets the device when it probes it, and a client may come
	 * before). The buffers held belong to the driver again. */
	drop_streams(v, false);
	v->rx_held = false;
	v->rx_pushed = v->tx_pushed = false;
	watch_listener(v);
	arm_timer(v);
}

static const struct virtio_dev_ops vsock_ops = {
    .features = vsock_features,
    .config_read = vsock_config_read,
    .config_write = vsock_config_write,
    .activate = vsock_activate,
    .notify = vsock_notify,
    .reset = vsock_reset,
};

/* --- public ------------------------------------------------------------------------------------
 */

struct virtio_vsock *virtio_vsock_new(struct event_loop *loop, int listen_fd, const char *dir,
				      char *err, size_t errlen)
{
	struct virtio_vsock *v;
	int fl, ret;

	if (!loop || listen_fd < 0) {
		hy_err(err, errlen, -EINVAL, "virtio-vsock: no event loop or no listening socket");
		return NULL;
	}
	if (dir && (dir[0] == '\0' || strlen(dir) > VIRTIO_VSOCK_DIR_MAX)) {
		hy_err(err, errlen, -ENAMETOOLONG,
		       "virtio-vsock: dir '%s' is empty or longer than %zu bytes", dir,
		       (size_t)VIRTIO_VSOCK_DIR_MAX);
		return NULL;
	}
	fl = fcntl(listen_fd, F_GETFL);
	if (fl < 0 || fcntl(listen_fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		hy_err(err, errlen, -errno, "virtio-vsock: descriptor %d: %s", listen_fd,
		       strerror(errno));
		return NULL;
	}
	v = calloc(1, sizeof(*v));
	if (!v) {
		hy_err(err, errlen, -ENOMEM, "virtio-vsock: out of memory");
		return NULL;
	}
	virtio_dev_init(&v->dev, &vsock_ops, "virtio-vsock", VIRTIO_ID_VSOCK, v->queues, NR_QUEUES,
			QUEUE_MAX, sizeof(v->config));
	v->config.guest_cid = htole64(HY_VSOCK_GUEST_CID);
	v->loop = loop;
	v->listen_fd = listen_fd;
	v->next_port = VIRTIO_VSOCK_PORT_BASE;
	if (dir) {
		v->has_dir = true;
		snprintf(v->dir, sizeof(v->dir), "%s", dir);
	}
	for (unsigned i = 0; i < MAX_STREAMS; i++)
		v->streams[i] = (struct stream){.v = v, .state = ST_FREE, .fd = -1};
	v->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (v->timer_fd < 0) {
		hy_err(err, errlen, -errno, "virtio-vsock: timerfd_create: %s", strerror(errno));
		goto fail;
	}
	ret = event_add(loop, v->timer_fd, EPOLLIN, timer_ready, v);
	if (ret < 0) {
		hy_err(err, errlen, ret, "virtio-vsock: cannot watch the timer: %s",
		       strerror(-ret));
		goto fail;
	}
	pthread_mutex_lock(&v->dev.lock);
	watch_listener(v);
	ret = v->listen_watched ? 0 : -EINVAL;
	pthread_mutex_unlock(&v->dev.lock);
	if (ret < 0) {
		hy_err(err, errlen, ret, "virtio-vsock: cannot watch descriptor %d", listen_fd);
		event_del(loop, v->timer_fd);
		goto fail;
	}
	return v;

fail:
	if (v->timer_fd >= 0)
		close(v->timer_fd);
	pthread_mutex_destroy(&v->dev.lock);
	free(v);
	return NULL;
}

struct virtio_dev *virtio_vsock_dev(struct virtio_vsock *v)
{
	return &v->dev;
}

void virtio_vsock_get_stats(struct virtio_vsock *v, struct virtio_vsock_stats *out)
{
	pthread_mutex_lock(&v->dev.lock);
	*out = v->stats;
	out->streams = v->nr_streams;
	pthread_mutex_unlock(&v->dev.lock);
}

size_t virtio_vsock_buffered(struct virtio_vsock *v)
{
	size_t n;

	pthread_mutex_lock(&v->dev.lock);
	n = v->buffered;
	pthread_mutex_unlock(&v->dev.lock);
	return n;
}

void virtio_vsock_free(struct virtio_vsock *v)
{
	if (!v)
		return;
	drop_streams(v, true);
	if (v->listen_watched)
		event_del(v->loop, v->listen_fd);
	event_del(v->loop, v->timer_fd);
	close(v->timer_fd);
	pthread_mutex_destroy(&v->dev.lock);
	free(v);
}
