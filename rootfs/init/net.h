/* net.h: the guest's network: loopback, and the guest configuration's NICs. */
#ifndef HYRUN_ROOTFS_INIT_NET_H
#define HYRUN_ROOTFS_INIT_NET_H

#include <stddef.h>

#include "common/guest_config.h"

/* How long a NIC may take to appear: virtio-net binds its devices on its
 * own schedule once the transport has found them. */
#define NET_NIC_WAIT_MS 5000
#define NET_NIC_POLL_MS 10

/*
 * In the caller's network namespace, over rtnetlink: bring "lo" up, then for
 * each NIC in order
 *   - find the Ethernet interface with its MAC, waiting up to wait_ms for it
 *     to appear;
 *   - take it down if it is up, and rename it when its name differs (an
 *     interface that holds the name is renamed aside first, so NICs may
 *     swap names);
 *   - where the kernel has IPv6, turn off router advertisements and address
 *     autoconfiguration on it (net.ipv6.conf.<name>.accept_ra, autoconf);
 *   - set its MTU, add its addresses (IPv4 with the broadcast address of
 *     the prefix below /31, IPv6 without duplicate address detection, so
 *     usable at once), bring it up;
 *   - add its routes in order, through it, in the main table, as
 *     `ip route replace` does: a route without gateway has scope link, the
 *     metric is the route's priority, its MTU the RTAX_MTU metric. Replace,
 *     so that a route equal to one the kernel made for an address (same
 *     destination and metric) takes its place instead of failing.
 * Library-style: it never prints. 0, or a negative errno with err naming
 * the NIC and the step ("network: eth0: add address 10.88.0.5/16: File
 * exists", with the kernel's own explanation in parentheses when it gave
 * one).
 */
int net_setup(const struct gc_nic *nics, size_t nr_nics, long wait_ms, char *err, size_t errlen);

/*
 * At start, the standby NICs (guest_config.h, "standbyNics"): standby NIC i
 * (the Ethernet interface with MAC standby[i], waited for as net_setup()
 * waits) takes nics[i]'s MAC while down, then is configured as net_setup()
 * configures a NIC (name, MTU, addresses, up, routes); each standby NIC
 * past nr_nics is unbound from its driver through sysfs
 * (/sys/class/net/NAME/device/driver/unbind), so it is gone from the guest.
 * "lo" is not touched. -E2BIG when nr_nics > nr_standby. 0, or a negative
 * errno with err as net_setup()'s ("network: eth0: set MAC ...: ...",
 * "network: standby NIC 02:...: unbind: ...").
 */
int net_setup_standby(const struct gc_mac *standby, size_t nr_standby, const struct gc_nic *nics,
		      size_t nr_nics, long wait_ms, char *err, size_t errlen);

#endif
