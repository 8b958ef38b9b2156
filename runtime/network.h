/* network.h: a container's network, as hyrun create wires it and hyrun delete unwires it.
 *
 * The spec's network namespace decides (linux.namespaces):
 *   - a "network" entry with a path (what Podman, CNI and containerd's CRI
 *     prepare): its interfaces are joined to the VM's NICs (netns/netns.h)
 *     and the guest gets their MACs, MTUs, addresses and routes;
 *   - a "network" entry without a path (podman --network none, ctr run
 *     with or without --cni, Docker): the runtime makes a new namespace
 *     with RT_STANDBY_NICS standby taps in it (netns_standby_make()), the
 *     jail puts hyrun-vmm in it, and the VM gets a standby NIC per tap.
 *     An engine may fill that namespace (/proc/PID/ns/net) after create:
 *     `hyrun start` wires what appeared to the standby taps
 *     (network_wire_start()) and the "start" request tells the guest; what
 *     is not wired is unbound in the guest, which then has loopback only.
 *     Where the runtime cannot make a namespace of its own (not root, or a
 *     user namespace joined by path, which would not let the jail join a
 *     namespace owned by the host's), the jail makes the new namespace and
 *     the guest has loopback only;
 *   - no "network" entry (the host's network, runc's --net=host): refused.
 *     A VM has its own network stack; the host's interfaces cannot be handed
 *     to it without taking them from the host.
 * What create wired is written to HY_NETWORK_FILE in the state directory
 * (the namespace's path, then per interface its name, its tap and whether
 * create added its ingress qdisc), so that delete can undo exactly that; a
 * namespace with standby NICs is recorded as "standby N". Nothing of it is
 * undone at delete: the namespace is the VM's own and goes away with the
 * VMM, the taps and what start added to it with it (reaching it through
 * /proc/PID/ns/net after the VMM ended could name another process's).
 */
#ifndef HYRUN_RUNTIME_NETWORK_H
#define HYRUN_RUNTIME_NETWORK_H

#include <stddef.h>
#include <sys/types.h>

#include "common/guest_config.h"
#include "common/plan.h"
#include "netns/netns.h"
#include "oci/linux.h"

#define HY_NETWORK_FILE "network"
/* Standby NICs of a new namespace: one, for the one interface CNI's
 * plugins and Docker give a container. */
#define RT_STANDBY_NICS 1

struct rt_network {
	const char *path; /* the namespace wired, or NULL */
	struct netns_wiring w;
	struct gc_nic nics[NETNS_MAX_IFACES]; /* point into w */
	/* A new namespace with standby NICs (nr_standby > 0): w holds its taps,
	 * standby_nsfd the namespace until the jail joined it (through
	 * standby_path, "/proc/self/fd/N"), standby the NICs' MACs. */
	size_t nr_standby;
	int standby_nsfd;
	char standby_path[32];
	struct gc_mac standby[NETNS_MAX_IFACES];
};

/*
 * Wire the namespace the spec names (see above). On success net->w.nr NICs
 * are ready: their taps' descriptors are open (close-on-exec) and
 * net->nics describes them for the guest. -EINVAL for the host's network;
 * netns_wire()'s errors otherwise. Nothing is left on error.
 */
int network_wire(struct rt_network *net, const struct oci_linux *l, char *err, size_t errlen);

/* Close the runtime's copies of the taps and of the standby namespace (once
 * hyrun-vmm holds them, so that they vanish with it). */
void network_close_fds(struct rt_network *net);

/* Record what was wired in the state directory (nothing when nothing was). */
int network_save(const struct rt_network *net, int dirfd, char *err, size_t errlen);

/* Undo what network_wire() did: close the taps still open, remove the
 * filters and qdiscs it added. */
int network_unwire(struct rt_network *net, char *err, size_t errlen);

/* hyrun delete: undo what the state directory's HY_NETWORK_FILE records
 * (nothing when there is none). */
int network_unwire_saved(int dirfd, char *err, size_t errlen);

/*
 * hyrun start, for a container with standby NICs (HY_NETWORK_FILE in dirfd
 * says so; nothing to do otherwise: 0 with *config NULL): wire what appeared
 * in the VMM's namespace (/proc/VMM/ns/net, the caller having checked that
 * VMM is the container's) to the standby taps, and build the "start"
 * request's configuration (guest_config_encode_start(), malloc'd, in
 * *config; an empty "network" when nothing appeared). net records what was
 * wired for network_unwire_start(). Nothing is left on error.
 */
int network_wire_start(int dirfd, pid_t vmm, struct rt_network *net, char **config, char *err,
		       size_t errlen);
/* Undo network_wire_start() when the start failed after it: the filters and
 * qdiscs go, the standby taps stay for another start. */
int network_unwire_start(struct rt_network *net, char *err, size_t errlen);

#endif
