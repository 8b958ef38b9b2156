/* netns.h: a container's network namespace joined to its VM's NICs (libnl-route).
 *
 * The engine (Podman's netavark or CNI plugins, containerd's CNI) prepares a
 * network namespace with a veth end (or another Ethernet interface) in it,
 * with addresses and routes. netns_wire() reads that configuration, makes a
 * tap per interface in the same namespace and joins the two with tc: an
 * ingress qdisc on each and a filter that matches every frame (u32, one key
 * of mask 0) whose action is a mirred egress redirect to the other (every
 * frame the veth receives leaves by the tap, toward the VMM, and every frame
 * the VMM writes into the tap leaves by the veth). The guest's NIC takes
 * the veth's MAC and the guest its addresses and routes, so the bridge, ARP
 * and the engine's firewall rules see the same interface as with runc. The
 * veth itself is left as the engine made it (its addresses stay; frames
 * redirected at ingress never reach the namespace's own stack).
 *
 * Only the runtime links this layer. Functions switch the calling thread's
 * network namespace with setns() and always switch it back.
 */
#ifndef HYRUN_NETNS_NETNS_H
#define HYRUN_NETNS_NETNS_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/guest_config.h"
#include "common/plan.h"

#define NETNS_MAX_IFACES PLAN_MAX_NICS
/* The tap made for interface i of a wiring is "hytap<i>". */
#define NETNS_TAP_PREFIX "hytap"

struct netns_iface {
	char name[IF_NAMESIZE]; /* the engine's interface in the namespace */
	uint8_t mac[6];
	uint32_t mtu;
	/* What the engine configured on it, in the guest configuration's
	 * terms: addresses without IPv6 link-local ones; routes of the main
	 * table through this interface (unicast, not the kernel's own routes
	 * for an address's prefix), routes on the link before routes through
	 * a gateway, each with its MTU when it has one. */
	struct gc_ip addrs[GC_MAX_ADDRESSES];
	size_t nr_addrs;
	struct gc_route routes[GC_MAX_ROUTES];
	size_t nr_routes;

	char tap[IF_NAMESIZE]; /* the tap made for it, "" before */
	int tap_fd;	       /* IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, close-on-exec; -1: none */
	bool ingress_added;    /* netns_wire() added the ingress qdisc on `name` */
};

struct netns_wiring {
	size_t nr;
	struct netns_iface ifaces[NETNS_MAX_IFACES];
};

/*
 * Wire the namespace at `path` (a file such as /run/netns/NAME or
 * /proc/PID/ns/net): every interface but loopback that is up and Ethernet
 * (ARPHRD_ETHER), in ifindex order, gets a tap with the same MTU, up, and the
 * redirect both ways (links named NETNS_TAP_PREFIX... are never interfaces
 * to wire). A qdisc the kernel reports busy is tried again (a few
 * times, briefly). On success w describes everything (the taps' descriptors
 * are the caller's, to hand to hyrun-vmm and then close). On error nothing
 * that was made is left (taps, filters, qdiscs), w->nr is 0, and err names
 * the problem and the interface: -ENOENT/-EINVAL for a path that is not a
 * network namespace, -E2BIG for more than NETNS_MAX_IFACES interfaces (or
 * more addresses or routes on one than the guest configuration carries),
 * -EOPNOTSUPP for a route through one that the guest configuration cannot
 * express (multipath, a gateway of another family, source-specific),
 * -ENODEV for an interface that vanished meanwhile, -EEXIST when one already
 * has an ingress qdisc or a tap by our name exists, -errno of netlink
 * otherwise.
 */
int netns_wire(const char *path, struct netns_wiring *w, char *err, size_t errlen);

/*
 * Undo a wiring (from netns_wire(), or rebuilt from what the runtime saved:
 * the names and ingress_added are all it reads): close the taps' descriptors
 * still open, delete the taps and the filters and ingress qdiscs netns_wire()
 * added. What is already gone (the taps go by themselves once their last
 * descriptor closes; the engine may have removed the namespace, or left its
 * file behind as something that is no longer a network namespace) counts as
 * done. Tries everything; 0, or the first -errno with err. Each part done is
 * cleared in w (tap_fd -1, tap "", ingress_added false), so that calling it
 * again after an error retries only what is left.
 */
int netns_unwire(const char *path, struct netns_wiring *w, char *err, size_t errlen);

/*
 * Standby NICs, for a network namespace the engine fills only after create
 * (`ctr run --cni` and Docker's prestart hook configure the runtime's new
 * namespace, /proc/PID/ns/net, between create and start).
 *
 * netns_standby_make(): a new network namespace (*nsfd: its descriptor,
 * close-on-exec, the caller's to pass on and close), with `lo` as the
 * kernel makes it and nr (1..NETNS_MAX_IFACES) taps NETNS_TAP_PREFIX "0".. in
 * it: IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, not persistent, left down. w->nr
 * is nr; each ifaces[i] has tap and tap_fd (close-on-exec) set, name "",
 * mtu 0. The calling thread's namespace is unchanged. On error nothing is
 * left (no descriptor, the namespace gone with it).
 */
int netns_standby_make(size_t nr, int *nsfd, struct netns_wiring *w, char *err, size_t errlen);

/*
 * At start: wire the interfaces that appeared in the namespace at `path`
 * since netns_standby_make() to its taps, which are there already (held by
 * hyrun-vmm): the interfaces are read as netns_wire() reads them (up,
 * Ethernet, ifindex order; links named NETNS_TAP_PREFIX... are never
 * interfaces to wire), interface i goes to tap NETNS_TAP_PREFIX "i": the
 * tap gets its MTU and is brought up, and tc joins the two as netns_wire()
 * does. On success w is filled as netns_wire() fills it, with tap_fd -1;
 * no interface is success with w->nr 0. -E2BIG (naming how many appeared)
 * when there are more than nr_standby; -ENODEV when a tap is missing;
 * otherwise netns_wire()'s errors. On error what it added is removed (the
 * qdiscs and filters; the taps stay, down) and w->nr is 0.
 */
int netns_wire_standby(const char *path, size_t nr_standby, struct netns_wiring *w, char *err,
		       size_t errlen);

/*
 * Take back what netns_wire_standby() wired into w (a start that failed
 * after it): the qdiscs and filters on the interfaces and the taps go, the
 * taps go back down; w->nr is 0 after. A namespace that is gone counts as
 * done. 0, or a -errno of entering the namespace with err.
 */
int netns_unwire_standby(const char *path, struct netns_wiring *w, char *err, size_t errlen);

#endif
