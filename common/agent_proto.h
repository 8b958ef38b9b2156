/* agent_proto.h: the ABI between hyrun-vmm (host) and hyrun-init (guest).
 *
 * Everything the guest sends through these channels is untrusted: the host
 * validates each value before acting on it.
 */
#ifndef HYRUN_COMMON_AGENT_PROTO_H
#define HYRUN_COMMON_AGENT_PROTO_H

#include <stdint.h>

/*
 * Paravirtual I/O ports, claimed by hyrun-vmm and used by hyrun-init through
 * ioperm(2). A VM exit on an I/O port is the cheapest guest->host signal
 * there is, and it needs no driver in the guest.
 */
#define HY_PORT_BASE 0x0600
#define HY_PORT_COUNT 8

/*
 * 32-bit write: the workload has finished; the VM ends once the console has
 * been drained. Layout of the value:
 *   bits  0..7   exit code (HY_EXIT_KIND_EXITED) or signal number (SIGNALED)
 *   bits  8..15  kind (enum hy_exit_kind)
 *   bits 16..31  zero
 */
#define HY_PORT_EXIT (HY_PORT_BASE + 0)

enum hy_exit_kind {
	HY_EXIT_KIND_EXITED = 0,     /* workload called exit(code) */
	HY_EXIT_KIND_SIGNALED = 1,   /* workload was killed by a signal */
	HY_EXIT_KIND_INIT_ERROR = 2, /* hyrun-init failed before the workload ran;
					the code is the status to report (126, 127, ...) */
};

#define HY_EXIT_VALUE(kind, code) ((((unsigned)(kind)&0xff) << 8) | ((unsigned)(code)&0xff))

/* 8-bit write: a boot-progress marker (enum hy_boot_mark), timestamped by the VMM. */
#define HY_PORT_BOOTMARK (HY_PORT_BASE + 4)

enum hy_boot_mark {
	HY_BOOT_MARK_INIT = 1,	/* hyrun-init entered main() */
	HY_BOOT_MARK_EXEC = 2,	/* the workload is about to be exec'd */
	HY_BOOT_MARK_READY = 3, /* wait_start=1: the workload is prepared up
				   to its execve() and waits for START */
};

/*
 * Names of the virtio-console (multiport) ports. Port ids are fixed: 0 =
 * stdin, 1 = stdout, 2 = stderr of the workload, 3 = control. The guest finds
 * them under /sys/class/virtio-ports/<dev>/name. (The control port keeps its
 * first name, "hyrun.signal", from when it carried only signals.)
 *
 * With a terminal (flag terminal=1) the workload's stdin, stdout and stderr
 * are the slave of a pty in the guest: hyrun-init copies port 0 to the
 * master and the master to port 1; port 2 then carries only hyrun-init's own
 * messages about a workload that could not be started.
 *
 * The control port carries host -> guest messages only, a byte stream read
 * by hyrun-init (PID 1), which keeps the port open from boot to the end:
 *   1..64         HY_CTL_SIGNAL: send that signal to the workload (its
 *                 process group)
 *   65..128       HY_CTL_SIGNAL_ALL: send signal (byte - 64) to every process
 *                 of the guest but PID 1 (kill(-1, sig))
 *   0xF0          HY_CTL_START: release the workload held by wait_start=1;
 *                 ignored after the first and without wait_start
 *   0xF1 r_hi r_lo c_hi c_lo
 *                 HY_CTL_WINSIZE: the terminal has r rows and c columns
 *                 (big-endian 16-bit each); applied to the pty (TIOCSWINSZ,
 *                 which sends the workload SIGWINCH); ignored without one
 * Other bytes are ignored. The host holds messages until the guest has
 * opened the port (the guest driver drops data for a port nobody has open),
 * so a message sent during boot is delivered once init is up.
 */
#define HY_CONSOLE_PORT_STDIN 0
#define HY_CONSOLE_PORT_STDOUT 1
#define HY_CONSOLE_PORT_STDERR 2
#define HY_CONSOLE_PORT_CONTROL 3
#define HY_CONSOLE_NR_PORTS 4
#define HY_CONSOLE_NAME_STDIN "hyrun.stdin"
#define HY_CONSOLE_NAME_STDOUT "hyrun.stdout"
#define HY_CONSOLE_NAME_STDERR "hyrun.stderr"
#define HY_CONSOLE_NAME_CONTROL "hyrun.signal"

#define HY_CTL_SIG_MAX 64
#define HY_CTL_SIGNAL(sig) ((uint8_t)(sig))
#define HY_CTL_SIGNAL_ALL(sig) ((uint8_t)(HY_CTL_SIG_MAX + (sig)))
#define HY_CTL_START 0xF0
#define HY_CTL_WINSIZE 0xF1
#define HY_CTL_WINSIZE_LEN 5 /* the command byte and four bytes of size */

static inline void hy_ctl_encode_winsize(uint8_t out[HY_CTL_WINSIZE_LEN], uint16_t rows,
					 uint16_t cols)
{
	out[0] = HY_CTL_WINSIZE;
	out[1] = (uint8_t)(rows >> 8);
	out[2] = (uint8_t)rows;
	out[3] = (uint8_t)(cols >> 8);
	out[4] = (uint8_t)cols;
}

/* One decoded control message. */
enum hy_ctl_kind {
	HY_CTL_NONE,	   /* the byte was taken; the message is not complete yet */
	HY_CTL_EV_SIGNAL,  /* sig: to the workload */
	HY_CTL_EV_SIG_ALL, /* sig: to every process */
	HY_CTL_EV_START,
	HY_CTL_EV_WINSIZE, /* rows, cols */
	HY_CTL_EV_UNKNOWN, /* byte: not a message; skipped */
};

struct hy_ctl_event {
	enum hy_ctl_kind kind;
	int sig;
	uint16_t rows, cols;
	uint8_t byte;
};

/* Decoder state: zero-initialise it. Messages may arrive split across reads. */
struct hy_ctl_decoder {
	uint8_t buf[HY_CTL_WINSIZE_LEN];
	unsigned len;
};

/* Feed one byte; returns the kind of the message it completes (also in *ev). */
static inline enum hy_ctl_kind hy_ctl_decode(struct hy_ctl_decoder *d, uint8_t b,
					     struct hy_ctl_event *ev)
{
	ev->kind = HY_CTL_NONE;
	ev->sig = 0;
	ev->rows = ev->cols = 0;
	ev->byte = b;
	if (d->len > 0) {
		d->buf[d->len++] = b;
		if (d->len < HY_CTL_WINSIZE_LEN)
			return HY_CTL_NONE;
		d->len = 0;
		ev->kind = HY_CTL_EV_WINSIZE;
		ev->rows = (uint16_t)(d->buf[1] << 8 | d->buf[2]);
		ev->cols = (uint16_t)(d->buf[3] << 8 | d->buf[4]);
	} else if (b >= 1 && b <= HY_CTL_SIG_MAX) {
		ev->kind = HY_CTL_EV_SIGNAL;
		ev->sig = b;
	} else if (b > HY_CTL_SIG_MAX && b <= 2 * HY_CTL_SIG_MAX) {
		ev->kind = HY_CTL_EV_SIG_ALL;
		ev->sig = b - HY_CTL_SIG_MAX;
	} else if (b == HY_CTL_START) {
		ev->kind = HY_CTL_EV_START;
	} else if (b == HY_CTL_WINSIZE) {
		d->buf[0] = b;
		d->len = 1;
	} else {
		ev->kind = HY_CTL_EV_UNKNOWN;
	}
	return ev->kind;
}

/* --- virtio-vsock and the agent channel ------------------------------------------------
 *
 * hyrun-vmm serves a virtio-vsock device (virtio 1.x section 5.10, device ID
 * 19, stream sockets only) when given --vsock (plan.h). The guest has CID
 * HY_VSOCK_GUEST_CID; the host is HY_VSOCK_HOST_CID.
 *
 * Host side (the "hybrid" scheme): a Unix stream socket the runtime bound
 * (vsock.sock in the container's state directory) and handed to hyrun-vmm.
 *   - A host client connects and writes one line "CONNECT <port>\n" (port in
 *     decimal, 0..4294967295; the line at most HY_VSOCK_LINE_MAX bytes with
 *     its newline). hyrun-vmm opens a stream to that guest port from a host
 *     port of its own choosing and, once the guest accepted it, writes
 *     "OK <host port>\n"; from then on the Unix connection carries the
 *     stream's bytes both ways. A refused connection (nothing listens: the
 *     guest answers RST), a malformed line, or no answer within
 *     HY_VSOCK_CONNECT_TIMEOUT_MS closes the Unix connection without a reply.
 *   - A guest connection to host port P goes to the Unix socket
 *     "<dir>/vsock.sock_<P>" (dir from --vsock dir=) when one listens there;
 *     otherwise the guest gets RST.
 *   - Closing the Unix connection shuts the stream down; a guest shutdown of
 *     both directions or RST closes it. Flow control is the spec's credit:
 *     hyrun-vmm holds at most its advertised buffer (HY_VSOCK_BUF_ALLOC) per
 *     stream for a host reader that is slow, and reads from the host only as
 *     much as the guest has credit for.
 */
#define HY_VSOCK_HOST_CID 2
#define HY_VSOCK_GUEST_CID 3
#define HY_VSOCK_LINE_MAX 32
#define HY_VSOCK_CONNECT_TIMEOUT_MS 5000
#define HY_VSOCK_BUF_ALLOC (256u << 10)
#define HY_VSOCK_SOCKET "vsock.sock"

/*
 * The agent: hyrun-init listens on guest port HY_AGENT_PORT and serves each
 * connection on its own. A connection carries frames both ways: an 8-byte
 * header (hy_agent_hdr_encode) then `len` bytes of payload.
 *   bytes 0..3  len, little-endian, 0..HY_AGENT_FRAME_MAX
 *   byte  4     type (enum hy_agent_frame)
 *   bytes 5..7  zero
 * The host's first frame is a REQUEST (JSON, common/agent_msg.h); the guest
 * answers with one REPLY (JSON). Most requests end there and the guest
 * closes the connection. Two keep it open:
 *   exec    the process's stdio: the host sends STDIN (an empty one is the
 *           end of stdin: the process's stdin is closed; with a terminal
 *           the terminal's EOF character, ^D, is written instead), WINSIZE
 *           (with a terminal; ignored without one) and SIGNAL (to the
 *           process; with a terminal to its process group, it leads a
 *           session of its own); these may come before the REPLY. The guest
 *           sends STDOUT and STDERR (with a terminal only STDOUT: the pty's
 *           output), each in the order the process wrote it, then EXIT
 *           once, after which it closes. After a failed exec (REPLY with
 *           "ok": false) there is no EXIT. The host closing the connection
 *           (end of stream) or sending anything malformed or out of place
 *           (a header hy_agent_hdr_decode() refuses, a guest->host type, a
 *           REQUEST, a WINSIZE or SIGNAL of the wrong size, a signal out of
 *           range) closes it and kills the process (SIGKILL). EXIT comes
 *           when the exec'd process itself has ended and what it wrote to
 *           its own pipes before it ended has been sent; output of
 *           descendants that keep its stdout open after that is not waited
 *           for. When the workload ends, exec'd processes are killed and
 *           their connections close without EXIT (the VM ends).
 *   events  the guest sends an EVENT (JSON) for each event until the host
 *           closes the connection; any frame from the host closes it.
 * A first frame that is not a REQUEST closes the connection; a REQUEST that
 * does not decode is answered with an error REPLY. The guest serves at most
 * 64 connections at once; more wait in its listen backlog. It reads from a
 * connection only as fast as it can pass the data on, so a slow process
 * slows its writer, and vsock's credit does the rest; a host that does not
 * read slows the process the same way, never the other connections.
 */
#define HY_AGENT_PORT 1024
#define HY_AGENT_HDR_LEN 8
#define HY_AGENT_FRAME_MAX (64u << 10)

enum hy_agent_frame {
	/* host -> guest */
	HY_AGENT_REQUEST = 1, /* JSON, agent_msg.h */
	HY_AGENT_STDIN = 2,   /* bytes for the process's stdin; empty: its end */
	HY_AGENT_WINSIZE = 3, /* 4 bytes: rows, columns (16-bit little-endian each) */
	HY_AGENT_SIGNAL = 4,  /* 4 bytes: a signal 1..64 (32-bit little-endian) for the process */
	/* guest -> host */
	HY_AGENT_REPLY = 16,  /* JSON, agent_msg.h */
	HY_AGENT_STDOUT = 17, /* the process's output */
	HY_AGENT_STDERR = 18,
	HY_AGENT_EXIT = 19,  /* 8 bytes: kind (enum hy_exit_kind: EXITED or SIGNALED),
				code or signal (32-bit little-endian each) */
	HY_AGENT_EVENT = 20, /* JSON, agent_msg.h */
};

static inline void hy_agent_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline uint32_t hy_agent_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void hy_agent_hdr_encode(uint8_t out[HY_AGENT_HDR_LEN], enum hy_agent_frame type,
				       uint32_t len)
{
	hy_agent_put32(out, len);
	out[4] = (uint8_t)type;
	out[5] = out[6] = out[7] = 0;
}

/*
 * A header as read: 0 with type and length, or -1 when it is not one (the
 * length above HY_AGENT_FRAME_MAX, reserved bytes not zero, a type that is
 * not in enum hy_agent_frame). Whether the type is one the reader expects
 * in that direction and state is its own check.
 */
static inline int hy_agent_hdr_decode(const uint8_t in[HY_AGENT_HDR_LEN], enum hy_agent_frame *type,
				      uint32_t *len)
{
	uint32_t l = hy_agent_get32(in);
	uint8_t t = in[4];

	if (l > HY_AGENT_FRAME_MAX || in[5] || in[6] || in[7])
		return -1;
	if (!(t >= HY_AGENT_REQUEST && t <= HY_AGENT_SIGNAL) &&
	    !(t >= HY_AGENT_REPLY && t <= HY_AGENT_EVENT))
		return -1;
	*type = (enum hy_agent_frame)t;
	*len = l;
	return 0;
}

/*
 * Per-VM files the VMM appends to the initramfs as a second newc cpio
 * archive (the kernel unpacks concatenated archives in order).
 *   HY_INIT_ARGV   the workload's argv: each argument NUL-terminated, in order.
 *   HY_INIT_FLAGS  text, one "key=value" per line:
 *     debug=1       hyrun-init's debug messages on the serial console
 *     wait_start=1  prepare the workload up to its execve(), report
 *                   HY_BOOT_MARK_READY, and hold it there until HY_CTL_START
 *     terminal=1    give the workload a pty (see the console ports above)
 */
#define HY_INIT_DIR "/.hyrun"
#define HY_INIT_ARGV HY_INIT_DIR "/argv"
#define HY_INIT_FLAGS HY_INIT_DIR "/flags"

/*
 * HY_INIT_CONFIG  the guest configuration (guest_config.h), present only when
 *   hyrun-vmm was given one (--guest-config): the workload, its root, mounts
 *   and process. Without it, the workload is HY_INIT_ARGV, run in the
 *   initramfs.
 * HY_INIT_FILES   the host files the plan copies in (plan.h, --file NAME=FILE):
 *   HY_INIT_FILES "/NAME", which a mount's "file" member names.
 * HY_SHARE_ROOTFS the tag hyrun gives the container root's share.
 */
#define HY_INIT_CONFIG HY_INIT_DIR "/guest-config.json"
#define HY_INIT_FILES HY_INIT_DIR "/files"
#define HY_SHARE_ROOTFS "rootfs"

/* Module load order inside the initramfs: one file name per line, relative
 * to HY_INIT_MODDIR, dependencies first. Written by the initramfs builder. */
#define HY_INIT_MODDIR "/lib/hyrun-modules"
#define HY_INIT_MODORDER HY_INIT_MODDIR "/order"

/*
 * INIT_ERROR codes hyrun-init reports when the workload never started; its
 * message is on the workload's stderr port.
 *   127  the executable was not found (not in process.env's PATH, or the
 *        given path does not exist)
 *   126  it was found but cannot be executed (permissions, format)
 *   125  any other setup failure: a mount, the root, cwd, user, capabilities,
 *        rlimits, seccomp, or the guest's own set-up (ports, fork)
 */
#define HY_INIT_STATUS_SETUP 125
#define HY_INIT_STATUS_NOEXEC 126
#define HY_INIT_STATUS_NOTFOUND 127

/*
 * Exit statuses of hyrun-vmm that are not the workload's own (documented in
 * README): chosen away from the shell's 126/127 and from 128+N.
 */
#define HY_STATUS_VMM_ERROR 125 /* host-side error: bad options, kernel file, /dev/kvm */
#define HY_STATUS_GUEST_CRASH                                                                      \
	123 /* guest panic, triple fault, reset or power-off                                       \
	       before the workload reported an exit status */

#endif
