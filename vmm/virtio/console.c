/* console.c: multiport virtio-console carrying the workload's stdio (virtio 1.x section 5.3). */
#include "vmm/virtio/console.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <linux/virtio_console.h>
#include <linux/virtio_ids.h>

#include "common/agent_proto.h"
#include "common/log.h"

#define NR_PORTS HY_CONSOLE_NR_PORTS
/* Section 5.3.2: port 0 rx/tx, control rx/tx, then rx/tx of ports 1.. */
#define NR_QUEUES (4 + 2 * (NR_PORTS - 1))
#define CTRL_RX 2
#define CTRL_TX 3
#define QUEUE_MAX 256
#define MAX_PENDING 32 /* handshake needs 4 + 2 * 4 + 2 messages */
#define CONTROL_BUF 256
#define NAME_MAX_LEN 32

struct ctrl_msg {
	struct virtio_console_control hdr; /* little-endian, ready to copy */
	char name[NAME_MAX_LEN];
	uint32_t name_len;
};

/* Host side of an output port (stdout, stderr). */
struct out_port {
	int fd;	      /* ours (a copy), -1 once closed */
	bool held;    /* elem is popped and partly written */
	uint64_t off; /* bytes of elem already written */
	bool blocked; /* the fd would block: wait for EPOLLOUT */
	bool watched; /* EPOLLOUT registered for fd */
	bool dead;    /* the reader went away: drop output */
	bool closing; /* close fd once what is queued has been written */
	struct virtq_elem elem;
};

struct virtio_console {
	struct virtio_dev dev;
	struct virtq queues[NR_QUEUES];
	struct virtio_console_config config;
	struct event_loop *loop;

	/* Driver handshake (section 5.3.6.2 and the multiport control flow). */
	bool device_ready;
	bool port_ready[NR_PORTS];
	bool host_open[NR_PORTS];  /* we sent PORT_OPEN(1) */
	bool guest_open[NR_PORTS]; /* the guest has the port open */

	/* Control messages waiting for the driver's control rx buffers. */
	struct ctrl_msg pending[MAX_PENDING];
	unsigned pending_head, pending_count;

	/* stdin -> port 0. */
	int in_fd;	  /* ours (a copy), -1 once closed */
	bool in_pollable; /* epoll works on in_fd (not a regular file) */
	bool in_watched;
	bool in_eof;
	bool in_closed_sent; /* PORT_OPEN(0, 0) queued */
	size_t in_len, in_off;
	uint8_t in_buf[4096];

	/* Control messages -> the control port. */
	size_t ctl_len;
	uint8_t ctl_buf[CONTROL_BUF];

	struct out_port out[NR_PORTS]; /* [1] stdout, [2] stderr */
	struct virtq_elem elem;	       /* scratch for control and stdin */
};

static const char *const port_names[NR_PORTS] = {
    [HY_CONSOLE_PORT_STDIN] = HY_CONSOLE_NAME_STDIN,
    [HY_CONSOLE_PORT_STDOUT] = HY_CONSOLE_NAME_STDOUT,
    [HY_CONSOLE_PORT_STDERR] = HY_CONSOLE_NAME_STDERR,
    [HY_CONSOLE_PORT_CONTROL] = HY_CONSOLE_NAME_CONTROL,
};

static struct virtio_console *to_console(struct virtio_dev *d)
{
	return (struct virtio_console *)((char *)d - offsetof(struct virtio_console, dev));
}

static unsigned rx_queue(unsigned port)
{
	return port == 0 ? 0 : 4 + 2 * (port - 1);
}

static unsigned tx_queue(unsigned port)
{
	return rx_queue(port) + 1;
}

static bool usable(const struct virtio_console *c)
{
	return c->dev.active && !c->dev.broken;
}

/* Pop with the malformed-chain policy applied: 1, 0, or -EINVAL after the
 * device has been marked broken. */
static int pop(struct virtio_console *c, unsigned qi, struct virtq_elem *e)
{
	int ret = virtq_pop(&c->queues[qi], e);

	if (ret < 0)
		virtio_dev_set_broken(&c->dev, "malformed descriptor chain");
	return ret;
}

static int push(struct virtio_console *c, unsigned qi, uint16_t head, uint32_t len)
{
	int ret = virtq_push(&c->queues[qi], head, len);

	if (ret < 0)
		virtio_dev_set_broken(&c->dev, "used ring outside guest memory");
	return ret;
}

/* --- control messages to the guest ------------------------------------- */

static void flush_ctrl(struct virtio_console *c)
{
	bool pushed = false;

	while (c->pending_count && usable(c)) {
		struct ctrl_msg *m = &c->pending[c->pending_head];
		uint64_t n;

		if (pop(c, CTRL_RX, &c->elem) <= 0)
			break;
		/* The driver reads a control message from one buffer and trusts
		 * its length (Linux does not check it), so a message cut short
		 * would be misread. Section 5.3.6.2 gives the driver no way to
		 * post a smaller one, and used len 0 would still be decoded:
		 * a buffer that cannot hold the whole message stops the device
		 * (DEVICE_NEEDS_RESET), it never carries part of one. */
		if (c->elem.out_len || c->elem.in_len < sizeof(m->hdr) + m->name_len) {
			virtio_dev_set_broken(&c->dev, "control receive buffer smaller than "
						       "a control message");
			break;
		}
		n = virtq_elem_write(&c->elem, 0, &m->hdr, sizeof(m->hdr));
		n += virtq_elem_write(&c->elem, n, m->name, m->name_len);
		if (push(c, CTRL_RX, c->elem.head, (uint32_t)n) < 0)
			break;
		pushed = true;
		c->pending_head = (c->pending_head + 1) % MAX_PENDING;
		c->pending_count--;
	}
	if (pushed)
		virtio_dev_notify_used(&c->dev, &c->queues[CTRL_RX]);
}

static void send_ctrl(struct virtio_console *c, uint32_t id, uint16_t event, uint16_t value,
		      const char *name)
{
	struct ctrl_msg *m;

	if (c->pending_count == MAX_PENDING) {
		log_error("%s: control queue overflow, message %u dropped", c->dev.name, event);
		return;
	}
	m = &c->pending[(c->pending_head + c->pending_count) % MAX_PENDING];
	m->hdr.id = htole32(id);
	m->hdr.event = htole16(event);
	m->hdr.value = htole16(value);
	/* The driver takes the name from the buffer length; no NUL needed. */
	m->name_len = name ? (uint32_t)strnlen(name, NAME_MAX_LEN) : 0;
	if (name)
		memcpy(m->name, name, m->name_len);
	c->pending_count++;
	flush_ctrl(c);
}

/* --- stdin -> port 0 ------------------------------------------------------ */

static void stdin_ready(void *opaque, uint32_t events);

static void stdin_watch(struct virtio_console *c, bool on)
{
	int ret;

	if (on == c->in_watched)
		return;
	/* Removing the fd while there is nowhere to put data (instead of
	 * masking EPOLLIN) also stops a hung-up pipe from waking us forever. */
	if (on)
		ret = event_add(c->loop, c->in_fd, EPOLLIN, stdin_ready, c);
	else
		ret = event_del(c->loop, c->in_fd);
	if (ret < 0) {
		log_error("%s: cannot %s stdin: %s", c->dev.name, on ? "watch" : "unwatch",
			  strerror(-ret));
		if (on) {
			/* Without events stdin cannot make progress: end it
			 * rather than leave the guest waiting. */
			c->in_eof = true;
			return;
		}
	}
	c->in_watched = on;
}

/* Done with stdin (its end, or the guest's close of the port): our copy goes,
 * so that a writer on the host sees the reader gone, as with a workload that
 * held the only copy. A port the guest opens again reads end of file. */
static void stdin_close(struct virtio_console *c)
{
	stdin_watch(c, false);
	if (c->in_fd >= 0)
		close(c->in_fd);
	c->in_fd = -1;
	c->in_eof = true;
	c->in_len = c->in_off = 0;
}

static void stdin_read(struct virtio_console *c)
{
	ssize_t n = read(c->in_fd, c->in_buf, sizeof(c->in_buf));

	if (n > 0) {
		c->in_len = (size_t)n;
		c->in_off = 0;
	} else if (n == 0) {
		stdin_close(c);
	} else if (errno != EAGAIN && errno != EINTR) {
		log_warn("%s: reading stdin: %m", c->dev.name);
		stdin_close(c);
	}
}

/* Copy buffered stdin into the guest's port 0 receive buffers. */
static int stdin_deliver(struct virtio_console *c)
{
	bool pushed = false;
	int ret = 0;

	while (c->in_off < c->in_len) {
		uint64_t n;

		ret = pop(c, rx_queue(0), &c->elem);
		if (ret <= 0)
			break;
		n = virtq_elem_write(&c->elem, 0, c->in_buf + c->in_off, c->in_len - c->in_off);
		ret = push(c, rx_queue(0), c->elem.head, (uint32_t)n);
		if (ret < 0)
			break;
		pushed = true;
		c->in_off += n;
	}
	if (c->in_off == c->in_len)
		c->in_off = c->in_len = 0;
	if (pushed)
		virtio_dev_notify_used(&c->dev, &c->queues[rx_queue(0)]);
	return ret < 0 ? ret : 0;
}

/*
 * Move stdin forward as far as it can go now. The Linux driver discards data
 * that arrives on a port the guest has not opened, so nothing is sent before
 * the guest's PORT_OPEN(1); and a read there returns EOF only once the port
 * holds no data and the host side is closed, so PORT_OPEN(0, 0) follows the
 * last byte.
 */
static void stdin_pump(struct virtio_console *c)
{
	for (;;) {
		if (!usable(c) || !c->host_open[0] || !c->guest_open[0])
			break;
		if (stdin_deliver(c) < 0 || c->in_len)
			break;
		if (c->in_eof) {
			if (!c->in_closed_sent) {
				c->in_closed_sent = true;
				send_ctrl(c, HY_CONSOLE_PORT_STDIN, VIRTIO_CONSOLE_PORT_OPEN, 0,
					  NULL);
			}
			break;
		}
		if (!virtq_pending(&c->queues[rx_queue(0)])) {
			/* With event idx the driver kicks only past avail_event:
			 * publish it before sleeping, then look once more. */
			virtq_update_avail_event(&c->queues[rx_queue(0)]);
			if (!virtq_pending(&c->queues[rx_queue(0)]))
				break;
		}
		if (c->in_pollable) {
			stdin_watch(c, true);
			if (c->in_watched)
				return;
			continue; /* in_eof is set now */
		}
		/* A regular file never blocks. */
		stdin_read(c);
	}
	stdin_watch(c, false);
}

static void stdin_ready(void *opaque, uint32_t events)
{
	struct virtio_console *c = opaque;

	pthread_mutex_lock(&c->dev.lock);
	/* The watch may have been dropped after this event was collected. */
	if (c->in_watched && !c->in_len && !c->in_eof)
		stdin_read(c);
	stdin_pump(c);
	pthread_mutex_unlock(&c->dev.lock);
}

/* --- control messages -> the control port ----------------------------------- */

/* Like stdin, nothing is sent before the guest has opened the port. */
static void control_pump(struct virtio_console *c)
{
	unsigned qi = rx_queue(HY_CONSOLE_PORT_CONTROL);
	bool pushed = false;
	size_t off = 0;

	if (!usable(c) || !c->host_open[HY_CONSOLE_PORT_CONTROL] ||
	    !c->guest_open[HY_CONSOLE_PORT_CONTROL])
		return;
	while (off < c->ctl_len) {
		uint64_t n;
		int ret = pop(c, qi, &c->elem);

		if (ret < 0)
			break;
		if (ret == 0) {
			/* With event idx the driver kicks only past avail_event:
			 * publish it, then look once more. */
			virtq_update_avail_event(&c->queues[qi]);
			if (!virtq_pending(&c->queues[qi]))
				break;
			continue;
		}
		n = virtq_elem_write(&c->elem, 0, c->ctl_buf + off, c->ctl_len - off);
		if (push(c, qi, c->elem.head, (uint32_t)n) < 0)
			break;
		pushed = true;
		off += n;
	}
	memmove(c->ctl_buf, c->ctl_buf + off, c->ctl_len - off);
	c->ctl_len -= off;
	if (pushed)
		virtio_dev_notify_used(&c->dev, &c->queues[qi]);
}

/* --- ports 1, 2 -> stdout, stderr ----------------------------------------- */

static void out_ready(void *opaque, uint32_t events);

static void set_out_watch(struct virtio_console *c, struct out_port *o, bool want)
{
	int ret;

	if (want == o->watched)
		return;
	if (want)
		ret = event_add(c->loop, o->fd, EPOLLOUT, out_ready, c);
	else
		ret = event_del(c->loop, o->fd);
	if (ret < 0)
		log_warn("%s: cannot %s output fd: %s", c->dev.name, want ? "watch" : "unwatch",
			 strerror(-ret));
	else
		o->watched = want;
}

/* Each port has a copy of its own, so each is watched on its own, even when
 * stdout and stderr are the same file. */
static void update_out_watch(struct virtio_console *c)
{
	for (unsigned p = HY_CONSOLE_PORT_STDOUT; p <= HY_CONSOLE_PORT_STDERR; p++)
		set_out_watch(c, &c->out[p], c->out[p].blocked && c->out[p].fd >= 0);
}

/*
 * Our copy of an output port's fd goes: once nothing but our copy holds the
 * file, its reader sees end of file. What the guest writes later is taken
 * and dropped.
 */
static void out_close(struct virtio_console *c, struct out_port *o)
{
	o->blocked = false;
	set_out_watch(c, o, false);
	if (o->fd >= 0) {
		if (o->watched) {
			/* event_del() failed: the loop must not keep a closed
			 * (and maybe reused) number. Keep the fd, drop output. */
			o->dead = true;
			return;
		}
		close(o->fd);
	}
	o->fd = -1;
	o->closing = false;
	o->held = false;
}

/* Write the rest of o->elem. Returns 0 when done (or dropped), -EAGAIN. */
static int write_out(struct virtio_console *c, struct out_port *o)
{
	uint64_t skip = o->off;

	for (unsigned i = 0; i < o->elem.n_out; i++) {
		const uint8_t *base = o->elem.iov[i].iov_base;
		size_t len = o->elem.iov[i].iov_len;

		if (skip >= len) {
			skip -= len;
			continue;
		}
		while (skip < len) {
			ssize_t n;

			if (o->dead || o->fd < 0)
				return 0;
			n = write(o->fd, base + skip, len - skip);
			if (n > 0) {
				skip += (size_t)n;
				o->off += (size_t)n;
			} else if (n < 0 && errno == EINTR) {
				continue;
			} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
				return -EAGAIN;
			} else {
				/* EPIPE and friends: nobody reads this any more;
				 * the guest must not wedge on it. */
				if (n < 0 && errno != EPIPE)
					log_warn("%s: writing output: %m", c->dev.name);
				o->dead = true;
				return 0;
			}
		}
		skip = 0;
	}
	return 0;
}

static void process_tx(struct virtio_console *c, unsigned port)
{
	unsigned qi = tx_queue(port);
	struct out_port *o = &c->out[port];
	bool pushed = false;

	if (!usable(c))
		return;
	if (port == HY_CONSOLE_PORT_STDIN || port == HY_CONSOLE_PORT_CONTROL) {
		/* Nothing listens to what the guest writes to stdin or the
		 * control port. */
		while (pop(c, qi, &c->elem) > 0) {
			if (push(c, qi, c->elem.head, 0) < 0)
				break;
			pushed = true;
		}
	} else {
		for (;;) {
			if (!o->held) {
				if (pop(c, qi, &o->elem) <= 0)
					break;
				o->held = true;
				o->off = 0;
			}
			if (write_out(c, o) == -EAGAIN) {
				o->blocked = true;
				break;
			}
			o->held = false;
			if (push(c, qi, o->elem.head, 0) < 0)
				break;
			pushed = true;
		}
		/* Everything queued before the guest's close is out. */
		if (o->closing && !o->held)
			out_close(c, o);
	}
	if (pushed)
		virtio_dev_notify_used(&c->dev, &c->queues[qi]);
}

static void out_ready(void *opaque, uint32_t events)
{
	struct virtio_console *c = opaque;

	pthread_mutex_lock(&c->dev.lock);
	for (unsigned p = HY_CONSOLE_PORT_STDOUT; p < NR_PORTS; p++) {
		if (c->out[p].blocked) {
			c->out[p].blocked = false;
			process_tx(c, p);
		}
	}
	update_out_watch(c);
	pthread_mutex_unlock(&c->dev.lock);
}

/* --- control messages from the guest ------------------------------------- */

static void close_output(struct virtio_console *c, unsigned port)
{
	struct out_port *o = &c->out[port];

	if (o->fd < 0)
		return;
	o->closing = true;
	/* Buffers the guest queued before it closed the port may not have
	 * been kicked yet (or their kick not handled): take them now. A
	 * broken device has nothing more to give. */
	if (usable(c))
		process_tx(c, port);
	if (o->closing && (!o->held || !usable(c)))
		out_close(c, o);
	update_out_watch(c);
}

static void guest_closed(struct virtio_console *c, unsigned port)
{
	if (port == HY_CONSOLE_PORT_STDIN)
		stdin_close(c);
	else if (port == HY_CONSOLE_PORT_STDOUT || port == HY_CONSOLE_PORT_STDERR)
		close_output(c, port);
}

static void handle_ctrl(struct virtio_console *c, uint32_t id, uint16_t event, uint16_t value)
{
	switch (event) {
	case VIRTIO_CONSOLE_DEVICE_READY:
		if (value != 1) {
			log_ratelimited(&c->dev.guest_log, LOG_WARN,
					"%s: the guest driver failed to initialise", c->dev.name);
			return;
		}
		if (c->device_ready)
			return;
		c->device_ready = true;
		for (unsigned p = 0; p < NR_PORTS; p++)
			send_ctrl(c, p, VIRTIO_CONSOLE_PORT_ADD, 1, NULL);
		return;
	case VIRTIO_CONSOLE_PORT_READY:
		if (id >= NR_PORTS || !c->device_ready)
			break;
		if (value != 1) {
			log_ratelimited(&c->dev.guest_log, LOG_WARN,
					"%s: the guest failed to set up port %u", c->dev.name, id);
			return;
		}
		if (c->port_ready[id])
			return;
		c->port_ready[id] = true;
		send_ctrl(c, id, VIRTIO_CONSOLE_PORT_NAME, 1, port_names[id]);
		/* Guest writes block and reads wait for data only while the
		 * host side is connected. */
		send_ctrl(c, id, VIRTIO_CONSOLE_PORT_OPEN, 1, NULL);
		c->host_open[id] = true;
		if (id == HY_CONSOLE_PORT_STDIN)
			stdin_pump(c);
		if (id == HY_CONSOLE_PORT_CONTROL)
			control_pump(c);
		return;
	case VIRTIO_CONSOLE_PORT_OPEN:
		if (id >= NR_PORTS || value > 1 || !c->port_ready[id])
			break;
		/* The Linux driver sends PORT_OPEN(0) when the guest's last
		 * descriptor of the port is closed: the workload is done with
		 * that stream, and the host's end goes too (after what it
		 * wrote before closing). */
		if (c->guest_open[id] && !value)
			guest_closed(c, id);
		c->guest_open[id] = value;
		if (id == HY_CONSOLE_PORT_STDIN)
			stdin_pump(c);
		if (id == HY_CONSOLE_PORT_CONTROL)
			control_pump(c);
		return;
	default:
		break;
	}
	log_ratelimited(&c->dev.guest_log, LOG_WARN,
			"%s: ignoring control message id=%u event=%u value=%u", c->dev.name, id,
			event, value);
}

static void process_ctrl_tx(struct virtio_console *c)
{
	bool pushed = false;

	while (usable(c) && pop(c, CTRL_TX, &c->elem) > 0) {
		struct virtio_console_control m;
		uint16_t head = c->elem.head;

		if (virtq_elem_read(&c->elem, 0, &m, sizeof(m)) == sizeof(m))
			handle_ctrl(c, le32toh(m.id), le16toh(m.event), le16toh(m.value));
		else
			log_ratelimited(&c->dev.guest_log, LOG_WARN,
					"%s: ignoring short control message", c->dev.name);
		/* c->elem may have been reused by the handler. */
		if (push(c, CTRL_TX, head, 0) < 0)
			break;
		pushed = true;
	}
	if (pushed)
		virtio_dev_notify_used(&c->dev, &c->queues[CTRL_TX]);
}

/* --- device ops (called with dev.lock held) ------------------------------- */

static uint64_t console_features(struct virtio_dev *d)
{
	return 1ULL << VIRTIO_CONSOLE_F_MULTIPORT;
}

static void console_config_read(struct virtio_dev *d, uint32_t off, void *data, uint32_t len)
{
	memcpy(data, (const uint8_t *)&to_console(d)->config + off, len);
}

static void console_config_write(struct virtio_dev *d, uint32_t off, const void *data, uint32_t len)
{
	/* emerg_wr is only writable with VIRTIO_CONSOLE_F_EMERG_WRITE, which
	 * is not offered; the rest is read-only. */
}

static int console_activate(struct virtio_dev *d)
{
	struct virtio_console *c = to_console(d);

	if (!virtio_dev_has_feature(d, VIRTIO_CONSOLE_F_MULTIPORT)) {
		log_ratelimited(&d->guest_log, LOG_ERROR,
				"%s: the guest driver does not support multiple ports", d->name);
		return -EOPNOTSUPP;
	}
	/* Pick up anything queued before DRIVER_OK. The transport sets active
	 * only after this returns; process with it set. */
	d->active = true;
	process_ctrl_tx(c);
	flush_ctrl(c);
	for (unsigned p = 0; p < NR_PORTS; p++)
		process_tx(c, p);
	update_out_watch(c);
	stdin_pump(c);
	control_pump(c);
	return 0;
}

static void console_notify(struct virtio_dev *d, unsigned q)
{
	struct virtio_console *c = to_console(d);

	if (q == CTRL_TX) {
		process_ctrl_tx(c);
	} else if (q == CTRL_RX) {
		flush_ctrl(c);
	} else if (q == rx_queue(0)) {
		stdin_pump(c);
	} else if (q == rx_queue(HY_CONSOLE_PORT_CONTROL)) {
		control_pump(c);
	} else if (q == tx_queue(0) || (q >= 4 && (q - 4) % 2 == 1)) {
		unsigned port = q == tx_queue(0) ? 0 : (q - 4) / 2 + 1;

		process_tx(c, port);
		update_out_watch(c);
	}
	/* Receive queues of stdout and stderr stay untouched: we never send
	 * to them, and their buffers stay with the guest. */
}

static void console_reset(struct virtio_dev *d)
{
	struct virtio_console *c = to_console(d);

	c->device_ready = false;
	memset(c->port_ready, 0, sizeof(c->port_ready));
	memset(c->host_open, 0, sizeof(c->host_open));
	memset(c->guest_open, 0, sizeof(c->guest_open));
	c->pending_head = c->pending_count = 0;
	c->in_closed_sent = false;
	stdin_watch(c, false);
	for (unsigned p = 0; p < NR_PORTS; p++) {
		c->out[p].held = false;
		c->out[p].blocked = false;
		/* What was held went with the reset: nothing is left to write. */
		if (c->out[p].closing)
			out_close(c, &c->out[p]);
	}
	update_out_watch(c);
}

static const struct virtio_dev_ops console_ops = {
    .features = console_features,
    .config_read = console_config_read,
    .config_write = console_config_write,
    .activate = console_activate,
    .notify = console_notify,
    .reset = console_reset,
};

/* --- public ------------------------------------------------------------------ */

static void dummy_cb(void *opaque, uint32_t events)
{
}

/* A copy of fd for the console alone (above 2, close-on-exec), or -1 for -1. */
static int own_copy(int fd, bool *failed)
{
	int copy;

	if (fd < 0)
		return -1;
	copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (copy < 0)
		*failed = true;
	return copy;
}

struct virtio_console *virtio_console_new(struct event_loop *loop, int in_fd, int out_fd,
					  int err_fd)
{
	struct virtio_console *c = calloc(1, sizeof(*c));
	bool failed = false;

	if (!c)
		return NULL;
	in_fd = own_copy(in_fd, &failed);
	out_fd = own_copy(out_fd, &failed);
	err_fd = own_copy(err_fd, &failed);
	if (failed) {
		int fds[] = {in_fd, out_fd, err_fd};

		for (unsigned i = 0; i < 3; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		free(c);
		return NULL;
	}
	virtio_dev_init(&c->dev, &console_ops, "virtio-console", VIRTIO_ID_CONSOLE, c->queues,
			NR_QUEUES, QUEUE_MAX, sizeof(c->config));
	c->config.max_nr_ports = htole32(NR_PORTS);
	c->loop = loop;
	c->in_fd = in_fd;
	c->in_eof = in_fd < 0;
	/* epoll refuses regular files (and /dev/null); those never block, so
	 * they are read whenever the guest has room. */
	if (in_fd >= 0) {
		int ret = event_add(loop, in_fd, EPOLLIN, dummy_cb, NULL);

		c->in_pollable = ret == 0;
		if (ret == 0)
			event_del(loop, in_fd);
		else if (ret != -EPERM)
			log_warn("virtio-console: cannot poll stdin: %s", strerror(-ret));
	}
	for (unsigned p = 0; p < NR_PORTS; p++)
		c->out[p].fd = -1;
	c->out[HY_CONSOLE_PORT_STDOUT].fd = out_fd;
	c->out[HY_CONSOLE_PORT_STDERR].fd = err_fd;
	return c;
}

struct virtio_dev *virtio_console_dev(struct virtio_console *c)
{
	return &c->dev;
}

int virtio_console_send_control(struct virtio_console *c, const void *msg, size_t len)
{
	int ret = 0;

	if (len == 0 || len > CONTROL_BUF)
		return -EINVAL;
	pthread_mutex_lock(&c->dev.lock);
	/* Whole messages only: the guest decodes a byte stream, and half a
	 * message would make it misread what follows. */
	if (len > CONTROL_BUF - c->ctl_len) {
		ret = -ENOSPC;
	} else {
		memcpy(c->ctl_buf + c->ctl_len, msg, len);
		c->ctl_len += len;
	}
	control_pump(c);
	pthread_mutex_unlock(&c->dev.lock);
	return ret;
}

void virtio_console_close_output(struct virtio_console *c, unsigned port)
{
	if (port != HY_CONSOLE_PORT_STDOUT && port != HY_CONSOLE_PORT_STDERR)
		return;
	pthread_mutex_lock(&c->dev.lock);
	close_output(c, port);
	pthread_mutex_unlock(&c->dev.lock);
}

void virtio_console_drain(struct virtio_console *c)
{
	pthread_mutex_lock(&c->dev.lock);
	for (unsigned p = 0; p < NR_PORTS; p++)
		process_tx(c, p);
	/* The VM is going away: wait for slow readers instead of dropping. */
	for (unsigned p = HY_CONSOLE_PORT_STDOUT; p < NR_PORTS; p++) {
		struct out_port *o = &c->out[p];

		while (o->blocked && o->fd >= 0 && usable(c)) {
			struct pollfd pfd = {.fd = o->fd, .events = POLLOUT};

			if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
				break;
			o->blocked = false;
			process_tx(c, p);
		}
		if (o->closing && (!o->held || !usable(c)))
			out_close(c, o);
	}
	update_out_watch(c);
	pthread_mutex_unlock(&c->dev.lock);
}

void virtio_console_free(struct virtio_console *c)
{
	if (!c)
		return;
	stdin_close(c);
	for (unsigned p = 0; p < NR_PORTS; p++) {
		struct out_port *o = &c->out[p];

		o->blocked = false;
		set_out_watch(c, o, false);
		if (o->fd >= 0)
			close(o->fd);
	}
	pthread_mutex_destroy(&c->dev.lock);
	free(c);
}
