/* link.c: the namespace's Ethernet interfaces, with their addresses and routes, read with libnl. */
#include "netns/netns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if_arp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <linux/rtnetlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>

#include "common/err.h"
#include "netns/internal.h"

/* Copy a libnl address of `family` into a gc_* 16-byte field (network byte order). */
static int copy_addr(uint8_t out[16], struct nl_addr *a, int family)
{
	unsigned len = nl_addr_get_len(a);

	if (nl_addr_get_family(a) != family || len > 16)
		return -EINVAL;
	memset(out, 0, 16);
	memcpy(out, nl_addr_get_binary_addr(a), len);
	return 0;
}

/* "10.0.0.0/8", "default" (IPv4 or IPv6), for messages. */
static const char *dst_str(const struct gc_ip *ip, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (ip->prefix == 0)
		return "default";
	inet_ntop(ip->family, ip->addr, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, ip->prefix);
	return buf;
}

static int read_addrs(struct nl_cache *addrs, struct netns_iface *ifc, int ifindex, char *err,
		      size_t errlen)
{
	for (struct nl_object *o = nl_cache_get_first(addrs); o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;
		struct nl_addr *local = rtnl_addr_get_local(a);
		struct gc_ip ip = {.family = rtnl_addr_get_family(a)};

		if (rtnl_addr_get_ifindex(a) != ifindex || !local ||
		    (ip.family != AF_INET && ip.family != AF_INET6) ||
		    copy_addr(ip.addr, local, ip.family) < 0)
			continue;
		/* The guest makes its own link-local address (fe80::/10). */
		if (ip.family == AF_INET6 && ip.addr[0] == 0xfe && (ip.addr[1] & 0xc0) == 0x80)
			continue;
		if (ifc->nr_addrs == GC_MAX_ADDRESSES)
			return hy_err(err, errlen, -E2BIG, "netns: %s: more than %d addresses",
				      ifc->name, GC_MAX_ADDRESSES);
		ip.prefix = rtnl_addr_get_prefixlen(a);
		ifc->addrs[ifc->nr_addrs++] = ip;
	}
	return 0;
}

/* The wired interface (index into ifindex[]) that nexthop `nh` leaves by, or -1. */
static int nh_iface(struct rtnl_nexthop *nh, const int *ifindex, size_t nr)
{
	int idx = rtnl_route_nh_get_ifindex(nh);

	for (size_t i = 0; i < nr; i++)
		if (ifindex[i] == idx)
			return (int)i;
	return -1;
}

/*
 * Add route r to the interface it leaves by, when it is one of ours and has
 * (pass 1) or has not (pass 0) a gateway: two passes put the routes on the
 * link before the routes through a gateway, which need them.
 */
static int take_route(struct rtnl_route *r, int pass, struct netns_wiring *w, const int *ifindex,
		      char *err, size_t errlen)
{
	int family = rtnl_route_get_family(r), nr_nh = rtnl_route_get_nnexthops(r), i;
	struct nl_addr *dst = rtnl_route_get_dst(r), *src = rtnl_route_get_src(r);
	struct nl_addr *gw, *pref = rtnl_route_get_pref_src(r);
	struct rtnl_nexthop *nh;
	struct netns_iface *ifc;
	struct gc_route rt = {0};
	uint32_t mtu;
	char buf[INET6_ADDRSTRLEN + 8];

	/* Only the engine's routes: main table, unicast, not the prefix routes
	 * the kernel adds for an address (the guest's kernel adds its own). */
	if (rtnl_route_get_table(r) != RT_TABLE_MAIN || rtnl_route_get_type(r) != RTN_UNICAST ||
	    rtnl_route_get_protocol(r) == RTPROT_KERNEL ||
	    (family != AF_INET && family != AF_INET6) || !dst || nr_nh < 1)
		return 0;
	rt.destination.family = family;
	rt.destination.prefix = nl_addr_get_prefixlen(dst);
	if (copy_addr(rt.destination.addr, dst, family) < 0)
		return 0;

	if (nr_nh > 1) {
		for (int n = 0; n < nr_nh; n++) {
			i = nh_iface(rtnl_route_nexthop_n(r, n), ifindex, w->nr);
			if (i >= 0)
				return hy_err(err, errlen, -EOPNOTSUPP,
					      "netns: %s: route %s: multipath routes are not "
					      "supported",
					      w->ifaces[i].name,
					      dst_str(&rt.destination, buf, sizeof(buf)));
		}
		return 0;
	}
	nh = rtnl_route_nexthop_n(r, 0);
	i = nh_iface(nh, ifindex, w->nr);
	if (i < 0)
		return 0;
	ifc = &w->ifaces[i];
	gw = rtnl_route_nh_get_gateway(nh);
	if (!!gw != pass)
		return 0;

	if (rtnl_route_nh_get_via(nh) || (gw && copy_addr(rt.gateway, gw, family) < 0))
		return hy_err(err, errlen, -EOPNOTSUPP,
			      "netns: %s: route %s: a gateway of another family is not supported",
			      ifc->name, dst_str(&rt.destination, buf, sizeof(buf)));
	if (src && nl_addr_get_prefixlen(src) > 0)
		return hy_err(err, errlen, -EOPNOTSUPP,
			      "netns: %s: route %s: source-specific routes are not supported",
			      ifc->name, dst_str(&rt.destination, buf, sizeof(buf)));
	rt.has_gateway = gw != NULL;
	rt.has_source = pref && copy_addr(rt.source, pref, family) == 0;
	rt.metric = rtnl_route_get_priority(r);
	/* A route's own MTU (ip route ... mtu N) matters as much as the link's:
	 * without it the guest sends frames too big for the path. */
	if (rtnl_route_get_metric(r, RTAX_MTU, &mtu) == 0)
		rt.mtu = mtu;

	if (ifc->nr_routes == GC_MAX_ROUTES)
		return hy_err(err, errlen, -E2BIG, "netns: %s: more than %d routes", ifc->name,
			      GC_MAX_ROUTES);
	ifc->routes[ifc->nr_routes++] = rt;
	return 0;
}

static int read_routes(struct nl_cache *routes, struct netns_wiring *w, const int *ifindex,
		       char *err, size_t errlen)
{
	for (int pass = 0; pass < 2; pass++)
		for (struct nl_object *o = nl_cache_get_first(routes); o;
		     o = nl_cache_get_next(o)) {
			int rc = take_route((struct rtnl_route *)o, pass, w, ifindex, err, errlen);

			if (rc < 0)
				return rc;
		}
	return 0;
}

/*
 * Whether l is an interface to wire. Never one of our taps: they are
 * Ethernet and up once wired, and with standby NICs they are in the
 * namespace before the engine's interfaces come.
 */
static bool to_wire(struct rtnl_link *l)
{
	unsigned flags = rtnl_link_get_flags(l);
	const char *name = rtnl_link_get_name(l);

	return !(flags & IFF_LOOPBACK) && (flags & IFF_UP) &&
	       rtnl_link_get_arptype(l) == ARPHRD_ETHER &&
	       !(name && strncmp(name, NETNS_TAP_PREFIX, strlen(NETNS_TAP_PREFIX)) == 0);
}

/* The links to wire, sorted by ifindex; *nr counts them all, even past NETNS_MAX_IFACES. */
static void pick_links(struct nl_cache *links, struct rtnl_link **picked, size_t *nr)
{
	*nr = 0;
	for (struct nl_object *o = nl_cache_get_first(links); o; o = nl_cache_get_next(o)) {
		struct rtnl_link *l = (struct rtnl_link *)o;
		size_t at;

		if (!to_wire(l))
			continue;
		at = *nr < NETNS_MAX_IFACES ? *nr : NETNS_MAX_IFACES;
		while (at > 0 && rtnl_link_get_ifindex(picked[at - 1]) > rtnl_link_get_ifindex(l)) {
			if (at < NETNS_MAX_IFACES)
				picked[at] = picked[at - 1];
			at--;
		}
		if (at < NETNS_MAX_IFACES)
			picked[at] = l;
		(*nr)++;
	}
}

int netns_link_read(struct nl_sock *sk, const char *path, struct netns_wiring *w, int *ifindex,
		    size_t *found, char *err, size_t errlen)
{
	struct nl_cache *links = NULL, *addrs = NULL, *routes = NULL;
	struct rtnl_link *picked[NETNS_MAX_IFACES];
	size_t nr;
	int rc;

	*found = 0;
	if ((rc = rtnl_link_alloc_cache(sk, AF_UNSPEC, &links)) < 0 ||
	    (rc = rtnl_addr_alloc_cache(sk, &addrs)) < 0 ||
	    (rc = rtnl_route_alloc_cache(sk, AF_UNSPEC, 0, &routes)) < 0) {
		rc = hy_err(err, errlen, netns_nl_errno(rc),
			    "netns: %s: read links, addresses and routes: %s", path,
			    nl_geterror(rc));
		goto out;
	}

	pick_links(links, picked, &nr);
	*found = nr;
	if (nr > NETNS_MAX_IFACES) {
		rc = hy_err(err, errlen, -E2BIG,
			    "netns: %s: %zu interfaces to wire (Ethernet, up), at most %d", path,
			    nr, NETNS_MAX_IFACES);
		goto out;
	}
	for (size_t i = 0; i < nr; i++) {
		struct netns_iface *ifc = &w->ifaces[i];
		struct nl_addr *mac = rtnl_link_get_addr(picked[i]);
		const char *name = rtnl_link_get_name(picked[i]);

		snprintf(ifc->name, sizeof(ifc->name), "%s", name ? name : "");
		if (!mac || nl_addr_get_len(mac) != sizeof(ifc->mac)) {
			rc = hy_err(err, errlen, -EINVAL, "netns: %s: no Ethernet address",
				    ifc->name);
			goto out;
		}
		memcpy(ifc->mac, nl_addr_get_binary_addr(mac), sizeof(ifc->mac));
		ifc->mtu = rtnl_link_get_mtu(picked[i]);
		ifindex[i] = rtnl_link_get_ifindex(picked[i]);
		rc = read_addrs(addrs, ifc, ifindex[i], err, errlen);
		if (rc < 0)
			goto out;
		w->nr = i + 1;
	}
	rc = read_routes(routes, w, ifindex, err, errlen);
out:
	if (routes)
		nl_cache_free(routes);
	if (addrs)
		nl_cache_free(addrs);
	if (links)
		nl_cache_free(links);
	return rc;
}

int netns_link_ifindex(struct nl_sock *sk, const char *name, int *ifindex)
{
	struct rtnl_link *l;
	int rc = rtnl_link_get_kernel(sk, 0, name, &l);

	if (rc == -NLE_NODEV || rc == -NLE_OBJ_NOTFOUND)
		return -ENODEV;
	if (rc < 0)
		return netns_nl_errno(rc);
	*ifindex = rtnl_link_get_ifindex(l);
	rtnl_link_put(l);
	return 0;
}
