/* net.h: virtio-net (device ID 1) backed by a tap the runtime opened.
 *
 * Contract:
 * - The back end is a descriptor the caller keeps owning: a tap opened with
 *   IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, or (for tests) a SOCK_SEQPACKET or
 *   SOCK_DGRAM socket. Either way every read and write carries one frame
 *   preceded by the 12-byte struct virtio_net_hdr_mrg_rxbuf. virtio_net_new()
 *   sets the descriptor non-blocking, and on a tap sets the header size
 *   (TUNSETVNETHDRSZ) and probes the offloads it accepts (TUNSETOFFLOAD, left
 *   at 0). On a socket no offload is offered.
 * - One queue pair: receive queue 0, transmit queue 1; no control queue.
 *   Offered: MAC, STATUS (link always up), MTU when one was given,
 *   MRG_RXBUF; on a tap also CSUM, HOST_TSO4/6, HOST_ECN (the tap takes any
 *   GSO header from us) and, when the tap accepts them, GUEST_CSUM,
 *   GUEST_TSO4/6, GUEST_ECN, and GUEST_UFO/HOST_UFO. The tap's offloads
 *   (what it may hand us) follow what the driver accepted, set at DRIVER_OK
 *   and cleared by a reset.
 * - Frames go straight between the tap and the guest's buffers (readv and
 *   writev on the element's iovecs, which virtq_pop() checked). Receiving
 *   with MRG_RXBUF holds enough receive chains for the largest frame the
 *   negotiated features allow before it reads; chains a frame did not need
 *   stay held for the next one. The tap is watched on the event loop only
 *   while there is somewhere to put a frame.
 * - A malformed request from the guest (a chain virtq_pop() refuses, a
 *   transmit chain with writable buffers or shorter than the header, a
 *   receive chain with readable buffers or too short for the header) marks
 *   the device broken (DEVICE_NEEDS_RESET); a reset recovers it. Frames are
 *   never a reason to stop: one too large for the buffers posted, or with a
 *   header the driver did not negotiate (a GSO type, NEEDS_CSUM), is dropped
 *   and counted; a frame to send that the tap refuses, or larger than
 *   VIRTIO_NET_MAX_FRAME, is dropped and counted, and the guest gets its
 *   buffer back. A write that would block (EAGAIN) keeps its
 *   chain and is tried again once the descriptor is writable; nothing behind
 *   it is sent meanwhile.
 * - The host byte order of the tap's header is little-endian (x86-64), as
 *   virtio 1.x wants it.
 */
#ifndef HYRUN_VMM_VIRTIO_NET_H
#define HYRUN_VMM_VIRTIO_NET_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/event.h"
#include "vmm/virtio/virtio.h"

struct virtio_net;

/* Largest frame the device moves, without and with the 12-byte header: a
 * 64 KiB GSO frame with its Ethernet and VLAN headers. */
#define VIRTIO_NET_HDR_LEN 12
#define VIRTIO_NET_MAX_FRAME (65550 + VIRTIO_NET_HDR_LEN)

struct virtio_net_stats {
	uint64_t rx_frames, rx_bytes; /* delivered to the guest (bytes without header) */
	uint64_t rx_dropped;	      /* read from the back end, not delivered */
	uint64_t rx_too_big;	      /* of which: larger than the buffers held */
	uint64_t tx_frames, tx_bytes; /* written to the back end */
	uint64_t tx_dropped;	      /* refused by the back end */
};

/*
 * A NIC with MAC `mac` (unicast) on `fd`, `mtu` (68..65535) in its config
 * space or 0 for none. `loop` is where the descriptor is watched once the
 * driver runs the device. Returns NULL with the reason in err (a descriptor
 * that is neither a suitable tap nor a datagram socket, a tap without
 * IFF_VNET_HDR, ...).
 */
struct virtio_net *virtio_net_new(struct event_loop *loop, int fd, const uint8_t mac[6],
				  uint32_t mtu, char *err, size_t errlen);
struct virtio_dev *virtio_net_dev(struct virtio_net *n);

/* Counters since creation. Any thread. */
void virtio_net_get_stats(struct virtio_net *n, struct virtio_net_stats *out);
/* The TUN_F_* offloads now set on the tap (0 on a socket). Any thread. */
unsigned virtio_net_tap_offloads(struct virtio_net *n);

/* Stop watching the descriptor (which stays open) and free the device. */
void virtio_net_free(struct virtio_net *n);

#endif
