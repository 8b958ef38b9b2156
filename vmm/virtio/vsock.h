/* vsock.h: virtio-vsock (device ID 19): guest stream sockets joined to host Unix sockets.
 *
 * Contract:
 * - The ABI is common/agent_proto.h's: the guest is CID HY_VSOCK_GUEST_CID,
 *   the host HY_VSOCK_HOST_CID; stream sockets only (virtio 1.x section
 *   5.10), no device-specific feature bit, no vhost. Queues: rx 0, tx 1,
 *   event 2 (never used: there is no transport reset to announce).
 * - Host-initiated streams: listen_fd, a listening AF_UNIX stream socket the
 *   caller keeps owning (virtio_vsock_new() makes it non-blocking), is
 *   watched on the event loop from creation on. A client writes
 *   "CONNECT <port>\n"; the device sends the guest a REQUEST from a host
 *   port of its own (counting up from VIRTIO_VSOCK_PORT_BASE, never one in
 *   use) and, on the guest's RESPONSE, writes "OK <host port>\n" to the
 *   client. A malformed line, the guest's RST, or no RESPONSE within
 *   HY_VSOCK_CONNECT_TIMEOUT_MS of the accept closes the client with no reply.
 * - Guest-initiated streams: a REQUEST to host port P connects a new socket
 *   to "<dir>/vsock.sock_<P>" (a path as this process sees it) and answers
 *   RESPONSE, or RST when there is no dir, nothing listens there, or its
 *   backlog is full.
 * - Data moves between the Unix sockets and the guest's buffers with readv
 *   and writev on the element's iovecs, which virtq_pop() checked. Host ->
 *   guest follows the guest's credit (buf_alloc - (tx_cnt - fwd_cnt)); a
 *   client is read only while its stream has credit and an rx buffer is
 *   there. Guest -> host: the device advertises HY_VSOCK_BUF_ALLOC and, as
 *   fwd_cnt, the bytes written to the client; what a client does not take at
 *   once is kept, at most HY_VSOCK_BUF_ALLOC bytes per stream, and a guest
 *   that sends beyond its credit gets RST. CREDIT_UPDATE answers
 *   CREDIT_REQUEST, and goes out by itself when the guest may be short of
 *   credit (half the buffer in flight in its view, a quarter of it freed).
 * - Shutdown: the client's end of file is SHUTDOWN(SEND) to the guest; the
 *   guest's SHUTDOWN(SEND) is shutdown(SHUT_WR) once what is kept was
 *   written; when both directions are over (or the guest said RCV) the
 *   stream ends: the client is closed and the guest gets RST. A write or read
 *   error on the client, a packet that does not fit the stream's state (an
 *   unknown op, type or CID, data beyond credit or after SHUTDOWN(SEND), a
 *   non-data packet with a payload) resets it: RST, client closed. A packet
 *   for no stream gets RST (but RST itself); a RST drops what was kept.
 * - Limits: at most VIRTIO_VSOCK_MAX_STREAMS streams in any state, a client
 *   still sending its CONNECT line included: while they are all taken the
 *   listening socket is not watched (clients wait in its backlog) and guest
 *   REQUESTs get RST. Memory is at most that many times HY_VSOCK_BUF_ALLOC.
 *   Replies to packets of no stream wait for rx buffers in a ring of
 *   VIRTIO_VSOCK_MAX_REPLIES; while it is full the tx queue is not processed
 *   (section 5.10.6.1: processing stops once the resources outside the
 *   virtqueue are exhausted).
 * - A malformed chain (one virtq_pop() refuses, a tx chain with writable
 *   buffers or shorter than the header or than the header's len says, an
 *   rx chain with readable buffers or shorter than the header) marks the
 *   device broken (DEVICE_NEEDS_RESET) and ends every stream (clients are
 *   closed; new ones too, until a reset). A reset ends the streams the
 *   driver knew of; a client whose REQUEST was not sent yet waits on (its
 *   timeout still runs): the driver resets the device when it probes it,
 *   and a client may come before that.
 * - The caller ignores SIGPIPE: a client that went away is a write error
 *   (EPIPE) here.
 */
#ifndef HYRUN_VMM_VIRTIO_VSOCK_H
#define HYRUN_VMM_VIRTIO_VSOCK_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/event.h"
#include "vmm/virtio/virtio.h"

struct virtio_vsock;

#define VIRTIO_VSOCK_HDR_LEN 44
#define VIRTIO_VSOCK_MAX_STREAMS 64
#define VIRTIO_VSOCK_MAX_REPLIES 64
/* The host ports of host-initiated streams: VIRTIO_VSOCK_PORT_BASE up to
 * 0xfffffffe, then around again. */
#define VIRTIO_VSOCK_PORT_BASE (1u << 30)
/* The most payload one rx packet carries. */
#define VIRTIO_VSOCK_MAX_PKT (64u << 10)
/* "<dir>/vsock.sock_<port>" must fit a sockaddr_un. */
#define VIRTIO_VSOCK_DIR_MAX (108 - sizeof("/vsock.sock_4294967295"))

struct virtio_vsock_stats {
	uint64_t host_connects;	 /* streams a host client opened (the guest accepted) */
	uint64_t guest_connects; /* streams the guest opened to a host socket */
	uint64_t refused;	 /* connections refused either way */
	uint64_t rx_bytes;	 /* payload sent to the guest */
	uint64_t tx_bytes;	 /* payload from the guest written to host sockets */
	uint64_t rst_sent, rst_received;
	uint64_t credit_updates; /* CREDIT_UPDATE packets sent */
	unsigned streams;	 /* open now, in any state */
};

/*
 * The device on `loop`, serving host clients of listen_fd and, when dir is
 * not NULL, guest connections to the sockets in dir (at most
 * VIRTIO_VSOCK_DIR_MAX bytes). Returns NULL with the reason in err.
 */
struct virtio_vsock *virtio_vsock_new(struct event_loop *loop, int listen_fd, const char *dir,
				      char *err, size_t errlen);
struct virtio_dev *virtio_vsock_dev(struct virtio_vsock *v);

/* Counters since creation, and the bytes from the guest kept now for clients
 * that have not read them yet (all streams). Any thread. */
void virtio_vsock_get_stats(struct virtio_vsock *v, struct virtio_vsock_stats *out);
size_t virtio_vsock_buffered(struct virtio_vsock *v);

/* Close every stream, stop watching listen_fd (which stays open) and free
 * the device. */
void virtio_vsock_free(struct virtio_vsock *v);

#endif
