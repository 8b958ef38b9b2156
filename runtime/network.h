/* network.h: a container's network, as hyrun create wires it and hyrun delete unwires it.
 *
 * The spec's network namespace decides (linux.namespaces):
 *   - a "network" entry with a path (what Podman, CNI and containerd's CRI
 *     prepare): its interfaces are joined to the VM's NICs (netns/netns.h)
 *     and the guest gets their MACs, MTUs, addresses and routes;
 *   - a "network" entry without a path (podman --network none, ctr run
 *     without --cni): the jail makes a new, empty namespace and the guest
 *     has loopback only;
 *   - no "network" entry (the host's network, runc's --net=host): refused.
 *     A VM has its own network stack; the host's interfaces cannot be handed
 *     to it without taking them from the host.
 * What create wired is written to HY_NETWORK_FILE in the state directory
 * (the namespace's path, then per interface its name, its tap and whether
 * create added its ingress qdisc), so that delete can undo exactly that.
 */
#ifndef HYRUN_RUNTIME_NETWORK_H
#define HYRUN_RUNTIME_NETWORK_H

#include <stddef.h>

#include "common/guest_config.h"
#include "common/plan.h"
#include "netns/netns.h"
#include "oci/linux.h"

#define HY_NETWORK_FILE "network"

struct rt_network {
	const char *path; /* the namespace wired, or NULL */
	struct netns_wiring w;
	struct gc_nic nics[NETNS_MAX_IFACES]; /* point into w */
};

/*
 * Wire the namespace the spec names (see above). On success net->w.nr NICs
 * are ready: their taps' descriptors are open (close-on-exec) and
 * net->nics describes them for the guest. -EINVAL for the host's network;
 * netns_wire()'s errors otherwise. Nothing is left on error.
 */
int network_wire(struct rt_network *net, const struct oci_linux *l, char *err, size_t errlen);

/* Record what was wired in the state directory (nothing when nothing was). */
int network_save(const struct rt_network *net, int dirfd, char *err, size_t errlen);

/* Undo what network_wire() did: close the taps still open, remove the
 * filters and qdiscs it added. */
int network_unwire(struct rt_network *net, char *err, size_t errlen);

/* hyrun delete: undo what the state directory's HY_NETWORK_FILE records
 * (nothing when there is none). */
int network_unwire_saved(int dirfd, char *err, size_t errlen);

#endif
