/* network.c: the container's network namespace wired to its VM at create, unwired at delete. */
#include "runtime/network.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "common/err.h"
#include "runtime/runtime.h"

/* The guest's view of what net->w wired. */
static void fill_nics(struct rt_network *net)
{
	for (size_t i = 0; i < net->w.nr; i++) {
		const struct netns_iface *f = &net->w.ifaces[i];

		net->nics[i] = (struct gc_nic){
		    .name = f->name,
		    .mtu = f->mtu,
		    .addresses = f->addrs,
		    .nr_addresses = f->nr_addrs,
		    .routes = f->routes,
		    .nr_routes = f->nr_routes,
		};
		memcpy(net->nics[i].mac, f->mac, sizeof(f->mac));
	}
}

/* A random locally administered unicast MAC for a standby NIC: the guest
 * replaces it with the engine's interface's at start. */
static int standby_mac(uint8_t mac[6], char *err, size_t errlen)
{
	if (getrandom(mac, 6, 0) != 6)
		return hy_err(err, errlen, -errno, "standby NIC: random MAC: %s", strerror(errno));
	mac[0] = (uint8_t)((mac[0] & 0xfc) | 0x02);
	return 0;
}

/* A new namespace of the runtime's making, with standby taps (network.h). */
static int make_standby(struct rt_network *net, const struct oci_linux *l, char *err, size_t errlen)
{
	const struct oci_namespace *user = &l->ns[OCI_NS_USER];
	int r;

	if (geteuid() != 0 || (user->enabled && user->path))
		return 0; /* the jail makes a new one: loopback only */
	for (size_t i = 0; i < RT_STANDBY_NICS; i++)
		if ((r = standby_mac(net->standby[i].mac, err, errlen)))
			return r;
	r = netns_standby_make(RT_STANDBY_NICS, &net->standby_nsfd, &net->w, err, errlen);
	if (r)
		return r;
	net->nr_standby = RT_STANDBY_NICS;
	snprintf(net->standby_path, sizeof(net->standby_path), "/proc/self/fd/%d",
		 net->standby_nsfd);
	return 0;
}

int network_wire(struct rt_network *net, const struct oci_linux *l, char *err, size_t errlen)
{
	const struct oci_namespace *ns = &l->ns[OCI_NS_NETWORK];
	int r;

	memset(net, 0, sizeof(*net));
	if (!ns->enabled)
		return hy_err(err, errlen, -EINVAL,
			      "linux.namespaces has no \"network\" entry, so the container would "
			      "share the host's network: a microVM has its own network stack and "
			      "cannot share the host's (give it a network namespace: Podman's "
			      "default or --network none, ctr run --cni or without --net-host)");
	net->standby_nsfd = -1;
	if (!ns->path)
		return make_standby(net, l, err, errlen);
	r = netns_wire(ns->path, &net->w, err, errlen);
	if (r)
		return r;
	net->path = ns->path;
	fill_nics(net);
	return 0;
}

void network_close_fds(struct rt_network *net)
{
	for (size_t i = 0; i < net->w.nr; i++)
		if (net->w.ifaces[i].tap_fd >= 0) {
			close(net->w.ifaces[i].tap_fd);
			net->w.ifaces[i].tap_fd = -1;
		}
	if (net->nr_standby && net->standby_nsfd >= 0) {
		close(net->standby_nsfd);
		net->standby_nsfd = -1;
	}
}

int network_save(const struct rt_network *net, int dirfd, char *err, size_t errlen)
{
	char buf[8192];
	size_t len;

	if (net->nr_standby)
		return rt_write_at_atomic(
		    dirfd, HY_NETWORK_FILE, buf,
		    (size_t)snprintf(buf, sizeof(buf), "standby %zu\n", net->nr_standby), 0600, err,
		    errlen);
	if (!net->path)
		return 0;
	len = (size_t)snprintf(buf, sizeof(buf), "netns %s\n", net->path);
	for (size_t i = 0; i < net->w.nr && len < sizeof(buf); i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "iface %s %s %d\n",
					net->w.ifaces[i].name, net->w.ifaces[i].tap,
					net->w.ifaces[i].ingress_added);
	if (len >= sizeof(buf))
		return hy_err(err, errlen, -ENAMETOOLONG, "network namespace path too long");
	return rt_write_at_atomic(dirfd, HY_NETWORK_FILE, buf, len, 0600, err, errlen);
}

int network_unwire(struct rt_network *net, char *err, size_t errlen)
{
	int r;

	if (net->nr_standby) {
		/* Ours alone: closing the taps and the namespace removes them. */
		network_close_fds(net);
		net->nr_standby = 0;
		net->w.nr = 0;
		return 0;
	}
	if (!net->path)
		return 0;
	r = netns_unwire(net->path, &net->w, err, errlen);
	net->path = NULL;
	net->w.nr = 0;
	return r;
}

/* HY_NETWORK_FILE into buf, NUL-terminated: 1, or 0 when there is none. */
static int read_saved(int dirfd, char *buf, size_t len, char *err, size_t errlen)
{
	int n = rt_read_at(dirfd, HY_NETWORK_FILE, buf, len);

	if (n == -ENOENT)
		return 0;
	if (n < 0)
		return hy_err(err, errlen, n, "%s: %s", HY_NETWORK_FILE, strerror(-n));
	return 1;
}

/* The line "standby N" (after its first word): N, 1..NETNS_MAX_IFACES. */
static int parse_standby(const char *line, size_t *nr, char *err, size_t errlen)
{
	char end;

	if (sscanf(line + 8, "%zu%c", nr, &end) != 1 || !*nr || *nr > NETNS_MAX_IFACES)
		return hy_err(err, errlen, -EINVAL, "%s: bad line '%s'", HY_NETWORK_FILE, line);
	return 0;
}

int network_unwire_saved(int dirfd, char *err, size_t errlen)
{
	struct rt_network net;
	char buf[8192], *line, *save = NULL, *path = NULL;
	size_t nr;
	int r;

	memset(&net, 0, sizeof(net));
	if ((r = read_saved(dirfd, buf, sizeof(buf), err, errlen)) <= 0)
		return r;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct netns_iface *f;
		char name[IF_NAMESIZE], tap[IF_NAMESIZE];
		int added;

		if (strncmp(line, "netns ", 6) == 0) {
			path = line + 6;
			continue;
		}
		if (strncmp(line, "standby ", 8) == 0)
			/* Gone with the VMM (network.h). */
			return parse_standby(line, &nr, err, errlen);
		if (net.w.nr == NETNS_MAX_IFACES ||
		    sscanf(line, "iface %15s %15s %d", name, tap, &added) != 3)
			return hy_err(err, errlen, -EINVAL, "%s: bad line '%s'", HY_NETWORK_FILE,
				      line);
		f = &net.w.ifaces[net.w.nr++];
		snprintf(f->name, sizeof(f->name), "%s", name);
		snprintf(f->tap, sizeof(f->tap), "%s", tap);
		f->ingress_added = added != 0;
		f->tap_fd = -1;
	}
	if (!path)
		return hy_err(err, errlen, -EINVAL, "%s: no namespace", HY_NETWORK_FILE);
	net.path = path;
	return network_unwire(&net, err, errlen);
}

/* The number of standby NICs HY_NETWORK_FILE records: 0 for none. */
static int saved_standby(int dirfd, size_t *nr, char *err, size_t errlen)
{
	char buf[64];
	int r;

	*nr = 0;
	if ((r = read_saved(dirfd, buf, sizeof(buf), err, errlen)) <= 0)
		return r;
	if (strncmp(buf, "standby ", 8))
		return 0;
	buf[strcspn(buf, "\n")] = '\0';
	return parse_standby(buf, nr, err, errlen);
}

int network_wire_start(int dirfd, pid_t vmm, struct rt_network *net, char **config, char *err,
		       size_t errlen)
{
	size_t nr;
	int r;

	memset(net, 0, sizeof(*net));
	net->standby_nsfd = -1;
	*config = NULL;
	if ((r = saved_standby(dirfd, &nr, err, errlen)) || !nr)
		return r;
	snprintf(net->standby_path, sizeof(net->standby_path), "/proc/%d/ns/net", (int)vmm);
	r = netns_wire_standby(net->standby_path, nr, &net->w, err, errlen);
	if (r)
		return r;
	net->path = net->standby_path;
	fill_nics(net);
	*config = guest_config_encode_start(net->nics, net->w.nr, err, errlen);
	if (!*config) {
		network_unwire_start(net, NULL, 0);
		return -EINVAL;
	}
	return 0;
}

int network_unwire_start(struct rt_network *net, char *err, size_t errlen)
{
	int r;

	if (!net->path)
		return 0;
	/* The taps are the VMM's: only the filters and qdiscs go. */
	r = netns_unwire_standby(net->path, &net->w, err, errlen);
	net->path = NULL;
	net->w.nr = 0;
	return r;
}
