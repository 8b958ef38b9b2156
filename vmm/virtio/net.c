/* net.c: virtio-net (virtio 1.x section 5.1) on a tap, with mergeable receive buffers. */
#include "vmm/virtio/net.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/if_ether.h>
#include <linux/if_tun.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>

#include "common/err.h"
#include "common/log.h"

#define RXQ 0
#define TXQ 1
#define NR_QUEUES 2
#define QUEUE_MAX 256
#define HDR_LEN VIRTIO_NET_HDR_LEN
#define VLAN_HLEN 4
/* readv() takes at most IOV_MAX (1024) segments; the last one is the sink. */
#define RX_IOV_MAX 1024
#define RX_MAX_CHAINS QUEUE_MAX
/* Frames per wake-up before the event loop gets to run other work; the
 * descriptor stays readable, so the rest comes with the next epoll_wait(). */
#define RX_BUDGET 64
#define SINK_LEN 64

/* Offsets in struct virtio_net_hdr_mrg_rxbuf (section 5.1.6). */
#define HDR_FLAGS 0
#define HDR_GSO_TYPE 1
#define HDR_NUM_BUFFERS 10

_Static_assert(sizeof(struct virtio_net_hdr_mrg_rxbuf) == HDR_LEN, "the 1.x header is 12 bytes");
_Static_assert(RX_IOV_MAX - 1 >= 3 * VIRTQ_MAX_SEGS, "a few chains always fit one read");

#define F(bit) (1ULL << (bit))
#define GUEST_GSO                                                                                  \
	(F(VIRTIO_NET_F_GUEST_TSO4) | F(VIRTIO_NET_F_GUEST_TSO6) | F(VIRTIO_NET_F_GUEST_UFO))

/* A receive chain held by the device: its writable bytes are rx_iov[first
 * segment .. + nsegs), in the order chains were popped. */
struct rx_chain {
	uint16_t head;
	unsigned nsegs;
	uint32_t len;
};

struct virtio_net {
	struct virtio_dev dev;
	struct virtq queues[NR_QUEUES];
	struct virtio_net_config config; /* little-endian, ready to copy */
	struct event_loop *loop;
	int fd;
	bool is_tap;
	uint64_t offered;      /* device-specific feature bits */
	unsigned tap_offloads; /* TUN_F_* set on the tap now */
	uint32_t watched;      /* epoll events registered for fd (0: none) */
	bool rx_stopped;       /* end of file or a fatal read error, until reset */
	bool warned_rx, warned_tx;
	char name[40];

	/* Receive chains popped and not used yet. */
	struct rx_chain rx_chains[RX_MAX_CHAINS];
	unsigned rx_nchains, rx_nsegs;
	uint64_t rx_cap; /* their writable bytes */
	struct iovec rx_iov[RX_IOV_MAX];
	bool rx_pushed; /* used buffers not yet signalled */
	/* Takes what does not fit the chains, so that readv() on a socket
	 * reports a frame too large too (a tap reports its full length). */
	uint8_t sink[SINK_LEN];

	/* A transmit chain whose write would have blocked. */
	bool tx_held;
	struct virtq_elem tx_elem;
	struct virtq_elem scratch;

	struct virtio_net_stats stats;
};

static struct virtio_net *to_net(struct virtio_dev *d)
{
	return (struct virtio_net *)((char *)d - offsetof(struct virtio_net, dev));
}

static bool usable(const struct virtio_net *n)
{
	return n->dev.active && !n->dev.broken;
}

static bool has(const struct virtio_net *n, unsigned bit)
{
	return virtio_dev_has_feature(&n->dev, bit);
}

/* Pop with the malformed-chain policy applied: 1, 0, or -EINVAL after the
 * device has been marked broken. */
static int pop(struct virtio_net *n, unsigned qi, struct virtq_elem *e)
{
	int ret = virtq_pop(&n->queues[qi], e);

	if (ret < 0)
		virtio_dev_set_broken(&n->dev, "malformed descriptor chain");
	return ret;
}

static int push(struct virtio_net *n, unsigned qi, uint16_t head, uint32_t len)
{
	int ret = virtq_push(&n->queues[qi], head, len);

	if (ret < 0)
		virtio_dev_set_broken(&n->dev, "used ring outside guest memory");
	return ret;
}

/* Copy between a flat buffer and an iovec list, from byte `off`. */
static void iov_from(const struct iovec *iov, unsigned cnt, size_t off, void *dst, size_t len)
{
	for (unsigned i = 0; i < cnt && len; i++) {
		size_t seg = iov[i].iov_len, k;

		if (off >= seg) {
			off -= seg;
			continue;
		}
		k = seg - off < len ? seg - off : len;
		memcpy(dst, (const uint8_t *)iov[i].iov_base + off, k);
		dst = (uint8_t *)dst + k;
		len -= k;
		off = 0;
	}
}

static void iov_to(const struct iovec *iov, unsigned cnt, size_t off, const void *src, size_t len)
{
	for (unsigned i = 0; i < cnt && len; i++) {
		size_t seg = iov[i].iov_len, k;

		if (off >= seg) {
			off -= seg;
			continue;
		}
		k = seg - off < len ? seg - off : len;
		memcpy((uint8_t *)iov[i].iov_base + off, src, k);
		src = (const uint8_t *)src + k;
		len -= k;
		off = 0;
	}
}

/* --- watching the descriptor ----------------------------------------------- */

static void fd_ready(void *opaque, uint32_t events);

/* Whether no more receive chains can be held (mergeable buffers). */
static bool rx_full(const struct virtio_net *n)
{
	return n->rx_nchains == RX_MAX_CHAINS || n->rx_nsegs > RX_IOV_MAX - 1 - VIRTQ_MAX_SEGS;
}

/* Whether the chains held can take the next frame, whatever its size. */
static bool rx_ready(const struct virtio_net *n)
{
	uint64_t need;

	if (n->rx_nchains == 0)
		return false;
	/* Section 5.1.6.3: without MRG_RXBUF every frame goes into one chain. */
	if (!has(n, VIRTIO_NET_F_MRG_RXBUF))
		return true;
	/* No room to hold more: read with what there is; a larger frame is
	 * dropped. */
	if (rx_full(n))
		return true;
	/* Without receive offloads the tap hands over MTU-sized frames; a
	 * driver may post far less than 64 KiB then. */
	if (n->dev.features & GUEST_GSO)
		need = VIRTIO_NET_MAX_FRAME;
	else
		need = HDR_LEN + ETH_HLEN + VLAN_HLEN +
		       (n->config.mtu ? le16toh(n->config.mtu) : ETH_DATA_LEN);
	return n->rx_cap >= need;
}

/* Whether to take more receive chains: with MRG_RXBUF as many as the largest
 * frame may need (a frame above the MTU still fits then), else one. */
static bool rx_wants_more(const struct virtio_net *n)
{
	if (!has(n, VIRTIO_NET_F_MRG_RXBUF))
		return n->rx_nchains == 0;
	return !rx_full(n) && n->rx_cap < VIRTIO_NET_MAX_FRAME;
}

static void update_watch(struct virtio_net *n)
{
	uint32_t want = 0;
	int ret;

	if (usable(n) && !n->rx_stopped && rx_ready(n))
		want |= EPOLLIN;
	if (usable(n) && n->tx_held)
		want |= EPOLLOUT;
	if (want == n->watched)
		return;
	/* Removing the fd rather than masking it also keeps a hung-up socket
	 * from waking the loop forever. */
	if (!want)
		ret = event_del(n->loop, n->fd);
	else if (!n->watched)
		ret = event_add(n->loop, n->fd, want, fd_ready, n);
	else
		ret = event_mod(n->loop, n->fd, want);
	if (ret < 0) {
		log_error("%s: cannot watch the tap: %s", n->dev.name, strerror(-ret));
		if (want)
			return; /* tried again on the next notification */
	}
	n->watched = want;
}

/* --- receive: tap -> guest ---------------------------------------------------- */

static void rx_drop_held(struct virtio_net *n)
{
	n->rx_nchains = n->rx_nsegs = 0;
	n->rx_cap = 0;
}

/* Hold the receive chains the driver has made available, as many as
 * rx_wants_more(). 0, or -EINVAL after the device was marked broken. */
static int rx_fill(struct virtio_net *n)
{
	struct virtq_elem *e = &n->scratch;

	while (rx_wants_more(n)) {
		struct rx_chain *c;
		int ret = pop(n, RXQ, e);

		if (ret <= 0)
			return ret;
		/* Section 5.1.6.3.1: receive buffers are device-writable and
		 * hold at least the header. */
		if (e->n_out || e->in_len < HDR_LEN) {
			virtio_dev_set_broken(&n->dev,
					      e->n_out ? "receive chain with readable buffers"
						       : "receive chain shorter than the header");
			return -EINVAL;
		}
		c = &n->rx_chains[n->rx_nchains++];
		c->head = e->head;
		c->nsegs = e->n_in;
		c->len = (uint32_t)e->in_len;
		memcpy(&n->rx_iov[n->rx_nsegs], &e->iov[e->n_out], e->n_in * sizeof(e->iov[0]));
		n->rx_nsegs += e->n_in;
		n->rx_cap += e->in_len;
	}
	return 0;
}

/* Whether the header the back end wrote is one the driver agreed to get
 * (section 5.1.6.4.1); made so where it only has to be tidied up. */
static bool rx_header_ok(struct virtio_net *n, uint8_t hdr[HDR_LEN])
{
	uint8_t gso = hdr[HDR_GSO_TYPE];

	if (gso & VIRTIO_NET_HDR_GSO_ECN) {
		if (!has(n, VIRTIO_NET_F_GUEST_ECN))
			return false;
		gso &= (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	}
	switch (gso) {
	case VIRTIO_NET_HDR_GSO_NONE:
		break;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		if (!has(n, VIRTIO_NET_F_GUEST_TSO4))
			return false;
		break;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		if (!has(n, VIRTIO_NET_F_GUEST_TSO6))
			return false;
		break;
	case VIRTIO_NET_HDR_GSO_UDP:
		if (!has(n, VIRTIO_NET_F_GUEST_UFO))
			return false;
		break;
	default:
		return false;
	}
	if (!has(n, VIRTIO_NET_F_GUEST_CSUM)) {
		/* A partial checksum cannot be completed by a driver that did
		 * not ask for them; DATA_VALID it may not get either. */
		if (hdr[HDR_FLAGS] & VIRTIO_NET_HDR_F_NEEDS_CSUM)
			return false;
		hdr[HDR_FLAGS] = 0;
	} else {
		hdr[HDR_FLAGS] &= VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID;
	}
	return true;
}

static void rx_drop(struct virtio_net *n, bool too_big)
{
	n->stats.rx_dropped++;
	if (too_big)
		n->stats.rx_too_big++;
}

/* Give the first chains, which hold `len` bytes of frame, to the driver. */
static int rx_deliver(struct virtio_net *n, uint64_t len)
{
	uint64_t left = len;
	unsigned used = 0, segs = 0;
	uint64_t bytes = 0;

	while (left) {
		struct rx_chain *c = &n->rx_chains[used++];
		uint32_t k = left < c->len ? (uint32_t)left : c->len;

		if (push(n, RXQ, c->head, k) < 0)
			return -EINVAL;
		left -= k;
		segs += c->nsegs;
		bytes += c->len;
	}
	memmove(n->rx_chains, n->rx_chains + used,
		(n->rx_nchains - used) * sizeof(n->rx_chains[0]));
	memmove(n->rx_iov, n->rx_iov + segs, (n->rx_nsegs - segs) * sizeof(n->rx_iov[0]));
	n->rx_nchains -= used;
	n->rx_nsegs -= segs;
	n->rx_cap -= bytes;
	n->rx_pushed = true;
	n->stats.rx_frames++;
	n->stats.rx_bytes += len - HDR_LEN;
	return 0;
}

/* Move one frame from the back end to the guest. 1 when a frame was read
 * (delivered or dropped), 0 when there is none or nowhere to put it, -EINVAL
 * after the device was marked broken. */
static int rx_one(struct virtio_net *n)
{
	uint8_t hdr[HDR_LEN];
	uint16_t nb;
	uint64_t cap;
	unsigned used;
	ssize_t len;

	if (!usable(n) || n->rx_stopped || !n->queues[RXQ].ready)
		return 0;
	if (rx_fill(n) < 0)
		return -EINVAL;
	if (!rx_ready(n))
		return 0;
	/* In non-mergeable mode only the first chain is offered. */
	cap = has(n, VIRTIO_NET_F_MRG_RXBUF) ? n->rx_cap : n->rx_chains[0].len;
	used = has(n, VIRTIO_NET_F_MRG_RXBUF) ? n->rx_nsegs : n->rx_chains[0].nsegs;
	n->rx_iov[used] = (struct iovec){.iov_base = n->sink, .iov_len = sizeof(n->sink)};
	do
		len = readv(n->fd, n->rx_iov, (int)used + 1);
	while (len < 0 && errno == EINTR);
	if (len < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		/* tun drops a frame whose offloads its header cannot describe
		 * and says EINVAL; the next one may be fine. */
		if (errno == EINVAL || errno == EFAULT || errno == EMSGSIZE) {
			log_debug("%s: reading the tap: %m; frame dropped", n->dev.name);
			rx_drop(n, false);
			return 1;
		}
		log_error("%s: reading the tap: %m; receiving stops until the driver resets "
			  "the device",
			  n->dev.name);
		n->rx_stopped = true;
		return 0;
	}
	if (len == 0) {
		/* Only a socket ends; its peer is gone. */
		log_debug("%s: the back end was closed", n->dev.name);
		n->rx_stopped = true;
		return 0;
	}
	/* Either way the chains stay held for the next frame. */
	if (len < HDR_LEN) {
		log_debug("%s: dropped a %zd-byte frame without a header", n->dev.name, len);
		rx_drop(n, false);
		return 1;
	}
	if ((uint64_t)len > cap) {
		if (!n->warned_rx)
			log_warn("%s: dropped a frame larger than the %llu bytes of receive "
				 "buffers the guest posted (counted from now on)",
				 n->dev.name, (unsigned long long)cap);
		n->warned_rx = true;
		rx_drop(n, true);
		return 1;
	}
	iov_from(n->rx_iov, used, 0, hdr, sizeof(hdr));
	if (!rx_header_ok(n, hdr)) {
		log_debug("%s: dropped a frame with offloads the driver did not accept "
			  "(flags %#x, gso type %#x)",
			  n->dev.name, hdr[HDR_FLAGS], hdr[HDR_GSO_TYPE]);
		rx_drop(n, false);
		return 1;
	}
	/* Section 5.1.6.4: num_buffers is the number of chains the frame
	 * spans, 1 without MRG_RXBUF. The tap leaves it as it was. */
	nb = 0;
	for (uint64_t left = (uint64_t)len; left; nb++)
		left -= left < n->rx_chains[nb].len ? left : n->rx_chains[nb].len;
	nb = htole16(nb);
	memcpy(hdr + HDR_NUM_BUFFERS, &nb, sizeof(nb));
	iov_to(n->rx_iov, used, 0, hdr, sizeof(hdr));
	return rx_deliver(n, (uint64_t)len) < 0 ? -EINVAL : 1;
}

static void rx_process(struct virtio_net *n)
{
	for (unsigned i = 0; i < RX_BUDGET; i++)
		if (rx_one(n) <= 0)
			break;
	if (n->rx_pushed) {
		n->rx_pushed = false;
		virtio_dev_notify_used(&n->dev, &n->queues[RXQ]);
	}
}

/* --- transmit: guest -> tap ----------------------------------------------------- */

/* Write the held chain. 0 when it is done with (sent or dropped), -EAGAIN. */
static int tx_write(struct virtio_net *n)
{
	struct virtq_elem *e = &n->tx_elem;
	ssize_t len;

	/* Larger than any frame with a 64 KiB GSO payload: no tap takes it. */
	if (e->out_len > VIRTIO_NET_MAX_FRAME) {
		log_debug("%s: dropped a %llu-byte frame to send", n->dev.name,
			  (unsigned long long)e->out_len);
		n->stats.tx_dropped++;
		return 0;
	}
	do
		len = writev(n->fd, e->iov, (int)e->n_out);
	while (len < 0 && errno == EINTR);
	if (len < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return -EAGAIN;
	if (len < 0) {
		/* A header the tap refuses (a bad GSO request), the link down
		 * (EIO), the peer gone: the frame is lost, as on a wire. */
		if (!n->warned_tx)
			log_warn("%s: a frame could not be sent: %m", n->dev.name);
		else
			log_debug("%s: a frame could not be sent: %m", n->dev.name);
		n->warned_tx = true;
		n->stats.tx_dropped++;
		return 0;
	}
	n->stats.tx_frames++;
	n->stats.tx_bytes += e->out_len - HDR_LEN;
	return 0;
}

static void tx_process(struct virtio_net *n)
{
	struct virtq_elem *e = &n->tx_elem;
	bool pushed = false;

	while (usable(n)) {
		if (!n->tx_held) {
			if (pop(n, TXQ, e) <= 0)
				break;
			/* Section 5.1.6.2: a frame is the header and the data,
			 * all device-readable. */
			if (e->n_in || e->out_len < HDR_LEN) {
				virtio_dev_set_broken(
				    &n->dev, e->n_in ? "transmit chain with writable buffers"
						     : "transmit chain shorter than the header");
				break;
			}
			n->tx_held = true;
		}
		if (tx_write(n) == -EAGAIN)
			break;
		n->tx_held = false;
		if (push(n, TXQ, e->head, 0) < 0)
			break;
		pushed = true;
	}
	if (pushed)
		virtio_dev_notify_used(&n->dev, &n->queues[TXQ]);
}

static void fd_ready(void *opaque, uint32_t events)
{
	struct virtio_net *n = opaque;

	pthread_mutex_lock(&n->dev.lock);
	/* The watch may have been dropped after this event was collected. */
	if (n->watched) {
		if (n->tx_held && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			tx_process(n);
		if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
			rx_process(n);
		update_watch(n);
	}
	pthread_mutex_unlock(&n->dev.lock);
}

/* --- device ops (dev.lock held) ------------------------------------------------- */

static uint64_t net_features(struct virtio_dev *d)
{
	return to_net(d)->offered;
}

static void net_config_read(struct virtio_dev *d, uint32_t off, void *data, uint32_t len)
{
	memcpy(data, (const uint8_t *)&to_net(d)->config + off, len);
}

static void net_config_write(struct virtio_dev *d, uint32_t off, const void *data, uint32_t len)
{
	/* Section 5.1.4: with VERSION_1 the MAC changes only through the
	 * control queue, which is not offered; the rest is read-only. */
}

/* The tap offloads that match what the driver accepted: what the tap may
 * hand us is what the driver takes (section 5.1.6.4, and tun's rule that
 * segmentation offloads need the checksum one). */
static unsigned tap_offloads_for(const struct virtio_net *n)
{
	unsigned f = TUN_F_CSUM;

	if (!n->is_tap || !has(n, VIRTIO_NET_F_GUEST_CSUM))
		return 0;
	if (has(n, VIRTIO_NET_F_GUEST_TSO4))
		f |= TUN_F_TSO4;
	if (has(n, VIRTIO_NET_F_GUEST_TSO6))
		f |= TUN_F_TSO6;
	if (has(n, VIRTIO_NET_F_GUEST_ECN) && (f & (TUN_F_TSO4 | TUN_F_TSO6)))
		f |= TUN_F_TSO_ECN;
	if (has(n, VIRTIO_NET_F_GUEST_UFO))
		f |= TUN_F_UFO;
	return f;
}

static int set_offloads(struct virtio_net *n, unsigned f)
{
	if (!n->is_tap || f == n->tap_offloads)
		return 0;
	if (ioctl(n->fd, TUNSETOFFLOAD, (unsigned long)f) < 0)
		return -errno;
	n->tap_offloads = f;
	return 0;
}

static int net_activate(struct virtio_dev *d)
{
	struct virtio_net *n = to_net(d);
	int ret = set_offloads(n, tap_offloads_for(n));

	if (ret < 0) {
		log_error("%s: cannot set the tap's offloads: %s", d->name, strerror(-ret));
		return ret;
	}
	/* Pick up anything queued before DRIVER_OK. The transport sets active
	 * only after this returns; process with it set. */
	d->active = true;
	tx_process(n);
	rx_process(n);
	update_watch(n);
	return 0;
}

static void net_notify(struct virtio_dev *d, unsigned q)
{
	struct virtio_net *n = to_net(d);

	if (q == TXQ)
		tx_process(n);
	else if (q == RXQ)
		rx_process(n);
	update_watch(n);
}

static void net_reset(struct virtio_dev *d)
{
	struct virtio_net *n = to_net(d);
	int ret;

	/* The buffers held belong to the driver again. */
	rx_drop_held(n);
	n->tx_held = false;
	n->rx_stopped = false;
	n->rx_pushed = false;
	update_watch(n);
	ret = set_offloads(n, 0);
	if (ret < 0)
		log_warn("%s: cannot clear the tap's offloads: %s", d->name, strerror(-ret));
}

static const struct virtio_dev_ops net_ops = {
    .features = net_features,
    .config_read = net_config_read,
    .config_write = net_config_write,
    .activate = net_activate,
    .notify = net_notify,
    .reset = net_reset,
};

/* --- public ---------------------------------------------------------------------- */

/* What the back end is: a tap set up for us, or a datagram socket (tests).
 * Fills *offered with the feature bits that depend on it. */
static int probe_backend(int fd, uint64_t *offered, bool *is_tap, char *err, size_t errlen)
{
	struct ifreq ifr;
	int type, hdr_len = HDR_LEN;
	socklen_t tlen = sizeof(type);
	const unsigned tso = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;
	bool ufo;

	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(fd, TUNGETIFF, &ifr) < 0) {
		if (errno != ENOTTY && errno != EINVAL)
			return hy_err(err, errlen, -errno, "TUNGETIFF: %s", strerror(errno));
		/* Not a tap: frames keep their boundaries only on a datagram
		 * socket. */
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) < 0 ||
		    (type != SOCK_SEQPACKET && type != SOCK_DGRAM))
			return hy_err(err, errlen, -EINVAL, "neither a tap nor a datagram socket");
		*is_tap = false;
		return 0;
	}
	if ((ifr.ifr_flags & (IFF_TAP | IFF_TUN)) != IFF_TAP || !(ifr.ifr_flags & IFF_NO_PI) ||
	    !(ifr.ifr_flags & IFF_VNET_HDR))
		return hy_err(err, errlen, -EINVAL,
			      "tap %.*s was not opened with IFF_TAP|IFF_NO_PI|IFF_VNET_HDR",
			      IFNAMSIZ, ifr.ifr_name);
	/* Section 5.1.6: with VERSION_1 the header always has num_buffers. */
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr_len) < 0)
		return hy_err(err, errlen, -errno, "tap %.*s: TUNSETVNETHDRSZ: %s", IFNAMSIZ,
			      ifr.ifr_name, strerror(errno));
	/* The tap takes any GSO frame from us; what it may hand us is what it
	 * accepts in TUNSETOFFLOAD (unknown bits are EINVAL). */
	*offered |= F(VIRTIO_NET_F_CSUM) | F(VIRTIO_NET_F_HOST_TSO4) | F(VIRTIO_NET_F_HOST_TSO6) |
		    F(VIRTIO_NET_F_HOST_ECN);
	if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)tso) == 0)
		*offered |= F(VIRTIO_NET_F_GUEST_CSUM) | F(VIRTIO_NET_F_GUEST_TSO4) |
			    F(VIRTIO_NET_F_GUEST_TSO6) | F(VIRTIO_NET_F_GUEST_ECN);
	ufo = ioctl(fd, TUNSETOFFLOAD, (unsigned long)(TUN_F_CSUM | TUN_F_UFO)) == 0;
	if (ufo && (*offered & F(VIRTIO_NET_F_GUEST_CSUM)))
		*offered |= F(VIRTIO_NET_F_GUEST_UFO) | F(VIRTIO_NET_F_HOST_UFO);
	if (ioctl(fd, TUNSETOFFLOAD, 0UL) < 0)
		return hy_err(err, errlen, -errno, "tap %.*s: TUNSETOFFLOAD: %s", IFNAMSIZ,
			      ifr.ifr_name, strerror(errno));
	*is_tap = true;
	return 0;
}

struct virtio_net *virtio_net_new(struct event_loop *loop, int fd, const uint8_t mac[6],
				  uint32_t mtu, char *err, size_t errlen)
{
	uint64_t offered = F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_STATUS) | F(VIRTIO_NET_F_MRG_RXBUF);
	struct virtio_net *n;
	bool is_tap = false;
	char why[200];
	int fl, ret;

	if (!loop || fd < 0) {
		hy_err(err, errlen, -EINVAL, "virtio-net: no event loop or no descriptor");
		return NULL;
	}
	if (mac[0] & 1) {
		hy_err(err, errlen, -EINVAL, "virtio-net: the MAC is a multicast address");
		return NULL;
	}
	if (mtu && (mtu < 68 || mtu > 65535)) {
		hy_err(err, errlen, -EINVAL, "virtio-net: MTU %u is not 68 to 65535", mtu);
		return NULL;
	}
	ret = probe_backend(fd, &offered, &is_tap, why, sizeof(why));
	if (ret == 0) {
		fl = fcntl(fd, F_GETFL);
		if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
			ret = hy_err(why, sizeof(why), -errno, "O_NONBLOCK: %s", strerror(errno));
	}
	if (ret < 0) {
		hy_err(err, errlen, ret, "virtio-net: descriptor %d: %s", fd, why);
		return NULL;
	}
	n = calloc(1, sizeof(*n));
	if (!n) {
		hy_err(err, errlen, -ENOMEM, "virtio-net: out of memory");
		return NULL;
	}
	if (mtu)
		offered |= F(VIRTIO_NET_F_MTU);
	snprintf(n->name, sizeof(n->name), "virtio-net(%02x:%02x:%02x:%02x:%02x:%02x)", mac[0],
		 mac[1], mac[2], mac[3], mac[4], mac[5]);
	/* The config space up to mtu: speed, duplex and RSS need features not
	 * offered (section 5.1.4). */
	virtio_dev_init(&n->dev, &net_ops, n->name, VIRTIO_ID_NET, n->queues, NR_QUEUES, QUEUE_MAX,
			offsetof(struct virtio_net_config, mtu) + sizeof(n->config.mtu));
	memcpy(n->config.mac, mac, 6);
	n->config.status = htole16(VIRTIO_NET_S_LINK_UP);
	n->config.max_virtqueue_pairs = htole16(1);
	n->config.mtu = htole16((uint16_t)mtu);
	n->loop = loop;
	n->fd = fd;
	n->is_tap = is_tap;
	n->offered = offered;
	return n;
}

struct virtio_dev *virtio_net_dev(struct virtio_net *n)
{
	return &n->dev;
}

void virtio_net_get_stats(struct virtio_net *n, struct virtio_net_stats *out)
{
	pthread_mutex_lock(&n->dev.lock);
	*out = n->stats;
	pthread_mutex_unlock(&n->dev.lock);
}

unsigned virtio_net_tap_offloads(struct virtio_net *n)
{
	unsigned f;

	pthread_mutex_lock(&n->dev.lock);
	f = n->tap_offloads;
	pthread_mutex_unlock(&n->dev.lock);
	return f;
}

void virtio_net_free(struct virtio_net *n)
{
	if (!n)
		return;
	if (n->watched)
		event_del(n->loop, n->fd);
	pthread_mutex_destroy(&n->dev.lock);
	free(n);
}
