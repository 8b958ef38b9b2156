/* network.c: the container's network namespace wired to its VM at create, unwired at delete. */
#include "runtime/network.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "runtime/runtime.h"

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
	if (!ns->path)
		return 0; /* the jail makes a new one: loopback only */
	r = netns_wire(ns->path, &net->w, err, errlen);
	if (r)
		return r;
	net->path = ns->path;
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
	return 0;
}

int network_save(const struct rt_network *net, int dirfd, char *err, size_t errlen)
{
	char buf[8192];
	size_t len;

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

	if (!net->path)
		return 0;
	r = netns_unwire(net->path, &net->w, err, errlen);
	net->path = NULL;
	net->w.nr = 0;
	return r;
}

int network_unwire_saved(int dirfd, char *err, size_t errlen)
{
	struct rt_network net;
	char buf[8192], *line, *save = NULL, *path = NULL;
	ssize_t n;
	int fd;

	memset(&net, 0, sizeof(net));
	fd = openat(dirfd, HY_NETWORK_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? 0
				       : hy_err(err, errlen, -errno, "%s: %s", HY_NETWORK_FILE,
						strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return hy_err(err, errlen, -errno, "%s: %s", HY_NETWORK_FILE, strerror(errno));
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct netns_iface *f;
		char name[IF_NAMESIZE], tap[IF_NAMESIZE];
		int added;

		if (strncmp(line, "netns ", 6) == 0) {
			path = line + 6;
			continue;
		}
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
