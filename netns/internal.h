/* internal.h: what netns/'s files share; not part of the layer's interface.
 *
 * Every function here runs inside the namespace being wired (netns.c enters
 * it) on a libnl socket opened there. Those that take err fill it as
 * "netns: IFACE: STEP: REASON", IFACE being the engine's interface that the
 * step was for.
 */
#ifndef HYRUN_NETNS_INTERNAL_H
#define HYRUN_NETNS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <netlink/netlink.h>

#include "netns/netns.h"

/* libnl's error code (-NLE_*) as a negative errno; -EIO where none fits. */
int netns_nl_errno(int nle);

/* link.c */

/*
 * Fill w (nr, and per interface name, mac, mtu, addresses, routes) with the
 * namespace's interfaces to wire, in ifindex order, and their ifindex in
 * ifindex[] (NETNS_MAX_IFACES entries). Links named NETNS_TAP_PREFIX... are
 * never interfaces to wire. *found gets how many there are (even past
 * NETNS_MAX_IFACES, and before a later step fails; 0 when the links could
 * not be read). `path` names the namespace in messages. -E2BIG for too many
 * interfaces (addresses, routes), -EOPNOTSUPP for a route the guest
 * configuration cannot carry.
 */
int netns_link_read(struct nl_sock *sk, const char *path, struct netns_wiring *w, int *ifindex,
		    size_t *found, char *err, size_t errlen);
/* The ifindex of the link `name`: 0, -ENODEV when there is none. */
int netns_link_ifindex(struct nl_sock *sk, const char *name, int *ifindex);

/* tap.c */

/*
 * Make the tap `tap` (not persistent, IFF_TAP | IFF_NO_PI | IFF_VNET_HDR) in
 * the current network namespace, left as the kernel makes it (down): its
 * descriptor (close-on-exec), -EEXIST when a link by that name exists.
 * `iface` names what it is for in messages.
 */
int netns_tap_open(const char *iface, const char *tap, char *err, size_t errlen);
/*
 * netns_tap_open() for interface ifc, then netns_tap_set() with ifc->mtu, up.
 * Its name and descriptor go into ifc->tap and ifc->tap_fd as soon as it
 * exists (even when a later step fails), its ifindex into *tap_ifindex.
 */
int netns_tap_make(struct nl_sock *sk, struct netns_iface *ifc, const char *tap, int *tap_ifindex,
		   char *err, size_t errlen);
/*
 * Give the tap `tap` MTU mtu (0: leave it) and bring it up or down; its
 * ifindex into *tap_ifindex (when not NULL). -ENODEV when there is no link
 * by that name or it is not a tun/tap device.
 */
int netns_tap_set(struct nl_sock *sk, const char *iface, const char *tap, uint32_t mtu, bool up,
		  int *tap_ifindex, char *err, size_t errlen);
/* Delete the tap `name`: 0 when done or when there is no tap by that name. */
int netns_tap_delete(struct nl_sock *sk, const char *name);

/* tc.c */

/* Add the ingress qdisc (ffff:) on `dev`; -EEXIST when it has one already. */
int netns_tc_ingress_add(struct nl_sock *sk, const char *iface, const char *dev, int ifindex,
			 char *err, size_t errlen);
/* Delete the ingress qdisc of `ifindex`: 0 when done or when it has none. */
int netns_tc_ingress_delete(struct nl_sock *sk, int ifindex);
/* Redirect every frame `from` receives to the egress of `to` (a filter under its ingress qdisc). */
int netns_tc_redirect(struct nl_sock *sk, const char *iface, const char *from, int from_ifindex,
		      const char *to, int to_ifindex, char *err, size_t errlen);

#endif
