/* net.c: the guest's network over rtnetlink (libnl-route): loopback, then each NIC. */
#include "rootfs/init/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>

#include "common/err.h"
#include "common/plan.h"
#include "common/time.h"

struct net {
	struct nl_sock *sk;
	struct nl_cache *links;
	/* The kernel's answer to the request in progress: its errno (0: none
	 * came) and the message of its extended acknowledgement. libnl keeps
	 * neither: it maps the errno to one of its own codes, and many (an
	 * unreachable gateway) to "Unspecific failure". */
	int kerr;
	char kmsg[160];
	const struct gc_nic *nics;
	size_t nr_nics;
	char *err;
	size_t errlen;
};

static int on_error(struct sockaddr_nl *from, struct nlmsgerr *e, void *arg)
{
	/* libnl hands over the payload of a complete, length-checked message. */
	const struct nlmsghdr *h = (const struct nlmsghdr *)((const char *)e - NLMSG_HDRLEN);
	struct net *n = arg;
	size_t off;

	n->kerr = -e->error;
	n->kmsg[0] = '\0';
	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return NL_STOP;
	/* The attributes follow the request, echoed whole unless capped. */
	off = NLMSG_HDRLEN + sizeof(*e);
	if (!(h->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	off = NLMSG_ALIGN(off);
	if (e->msg.nlmsg_len >= NLMSG_HDRLEN && off < h->nlmsg_len) {
		struct nlattr *a = nla_find((struct nlattr *)((char *)h + off),
					    (int)(h->nlmsg_len - off), NLMSGERR_ATTR_MSG);

		if (a && nla_len(a) > 0)
			snprintf(n->kmsg, sizeof(n->kmsg), "%.*s",
				 (int)strnlen(nla_data(a), (size_t)nla_len(a)),
				 (const char *)nla_data(a));
	}
	return NL_STOP;
}

/* Before each request. */
static void arm(struct net *n)
{
	n->kerr = 0;
	n->kmsg[0] = '\0';
}

/* "network: WHAT: reason" for a libnl call that returned nlerr. */
static int __attribute__((format(printf, 3, 4)))
failed(struct net *n, int nlerr, const char *fmt, ...)
{
	char what[192];
	int code = n->kerr > 0 ? n->kerr : nlerr == -NLE_NOMEM ? ENOMEM : EIO;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return hy_err(n->err, n->errlen, -code, "network: %s: %s%s%s%s", what,
		      n->kerr > 0 ? strerror(n->kerr) : nl_geterror(nlerr), n->kmsg[0] ? " (" : "",
		      n->kmsg, n->kmsg[0] ? ")" : "");
}

static int nomem(struct net *n, const char *what)
{
	return hy_err(n->err, n->errlen, -ENOMEM, "network: %s: out of memory", what);
}

static int open_net(struct net *n)
{
	int one = 1, r;

	n->sk = nl_socket_alloc();
	if (!n->sk)
		return nomem(n, "netlink socket");
	if ((r = nl_connect(n->sk, NETLINK_ROUTE)) < 0)
		return failed(n, r, "netlink socket");
	/* Older kernels go without the messages. */
	setsockopt(nl_socket_get_fd(n->sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	if ((r = nl_socket_modify_err_cb(n->sk, NL_CB_CUSTOM, on_error, n)) < 0)
		return failed(n, r, "netlink socket");
	arm(n);
	if ((r = rtnl_link_alloc_cache(n->sk, AF_UNSPEC, &n->links)) < 0)
		return failed(n, r, "list interfaces");
	return 0;
}

static void close_net(struct net *n)
{
	if (n->links)
		nl_cache_free(n->links);
	if (n->sk)
		nl_socket_free(n->sk);
}

static int refresh(struct net *n)
{
	int r;

	arm(n);
	r = nl_cache_refill(n->sk, n->links);
	return r < 0 ? failed(n, r, "list interfaces") : 0;
}

/* The Ethernet interface with this MAC, referenced; NULL when none. */
static struct rtnl_link *link_by_mac(struct net *n, const uint8_t mac[6])
{
	for (struct nl_object *o = nl_cache_get_first(n->links); o; o = nl_cache_get_next(o)) {
		struct rtnl_link *l = (struct rtnl_link *)o;
		struct nl_addr *a = rtnl_link_get_addr(l);

		if (rtnl_link_get_arptype(l) == ARPHRD_ETHER && a && nl_addr_get_len(a) == 6 &&
		    !memcmp(nl_addr_get_binary_addr(a), mac, 6)) {
			nl_object_get(o);
			return l;
		}
	}
	return NULL;
}

/* One change to a link: its flags (IFF_UP set or cleared), name or MTU. */
enum link_op { LINK_UP, LINK_DOWN, LINK_NAME, LINK_MTU };

static int change_link(struct net *n, struct rtnl_link *link, enum link_op op, const char *name,
		       uint32_t mtu)
{
	struct rtnl_link *c = rtnl_link_alloc();
	int r;

	if (!c)
		return -NLE_NOMEM;
	switch (op) {
	case LINK_UP:
		rtnl_link_set_flags(c, IFF_UP);
		break;
	case LINK_DOWN:
		rtnl_link_unset_flags(c, IFF_UP);
		break;
	case LINK_NAME:
		rtnl_link_set_name(c, name);
		break;
	case LINK_MTU:
		rtnl_link_set_mtu(c, mtu);
		break;
	}
	arm(n);
	r = rtnl_link_change(n->sk, link, c, 0);
	rtnl_link_put(c);
	return r;
}

static int loopback_up(struct net *n)
{
	struct rtnl_link *lo = rtnl_link_get_by_name(n->links, "lo");
	int r = 0;

	if (!lo)
		return hy_err(n->err, n->errlen, -ENODEV, "network: lo: no loopback interface");
	if (!(rtnl_link_get_flags(lo) & IFF_UP) && (r = change_link(n, lo, LINK_UP, NULL, 0)) < 0)
		r = failed(n, r, "lo: up");
	rtnl_link_put(lo);
	return r;
}

/* The interface with this MAC, referenced, once there is one; the cache is
 * fresh on return. NULL with *r set when none came in time; `what` names
 * the NIC in the message. */
static struct rtnl_link *find_link(struct net *n, const uint8_t mac[6], const char *what,
				   long wait_ms, int *r)
{
	const struct timespec poll = {0, NET_NIC_POLL_MS * 1000000L};
	int64_t start = hy_now_ms();
	char text[18];

	for (;;) {
		struct rtnl_link *l;

		if ((*r = refresh(n)) < 0)
			return NULL;
		if ((l = link_by_mac(n, mac)))
			return l;
		if (hy_now_ms() - start >= wait_ms)
			break;
		nanosleep(&poll, NULL);
	}
	plan_format_mac(mac, text);
	*r = hy_err(n->err, n->errlen, -ENODEV,
		    "network: %s: no interface with MAC %s after %ld ms", what, text, wait_ms);
	return NULL;
}

static bool configured_name(struct net *n, const char *name)
{
	for (size_t i = 0; i < n->nr_nics; i++)
		if (!strcmp(n->nics[i].name, name))
			return true;
	return false;
}

/* Renames `holder` to a name no interface has and no NIC is to get. */
static int move_aside(struct net *n, const struct gc_nic *nic, struct rtnl_link *holder)
{
	char tmp[GC_IFNAME_MAX + 1];
	int r;

	for (unsigned i = 0;; i++) {
		struct rtnl_link *l;

		snprintf(tmp, sizeof(tmp), "hyrun-tmp%u", i);
		if (configured_name(n, tmp))
			continue;
		l = rtnl_link_get_by_name(n->links, tmp);
		if (!l)
			break;
		rtnl_link_put(l);
	}
	if ((r = change_link(n, holder, LINK_NAME, tmp, 0)) < 0)
		return failed(n, r, "%s: rename the interface that holds the name to %s", nic->name,
			      tmp);
	return 0;
}

/* 0 with `name` right, the link down. */
static int rename_nic(struct net *n, const struct gc_nic *nic, struct rtnl_link *link)
{
	const char *cur = rtnl_link_get_name(link);
	struct rtnl_link *holder;
	int r;

	/* The kernel renames only an interface that is down. */
	if ((rtnl_link_get_flags(link) & IFF_UP) &&
	    (r = change_link(n, link, LINK_DOWN, NULL, 0)) < 0)
		return failed(n, r, "%s: take %s down", nic->name, cur);
	if (!strcmp(cur, nic->name))
		return 0;
	holder = rtnl_link_get_by_name(n->links, nic->name);
	if (holder) {
		r = move_aside(n, nic, holder);
		rtnl_link_put(holder);
		if (r < 0)
			return r;
	}
	if ((r = change_link(n, link, LINK_NAME, nic->name, 0)) < 0)
		return failed(n, r, "%s: rename %s to %s", nic->name, cur, nic->name);
	return 0;
}

/*
 * A NIC takes its addresses from the configuration, never from router
 * advertisements: the host side answers none, and an address or default
 * route learnt later would change the container's network under it.
 * The knobs exist only when the kernel has IPv6 (and the interface has not
 * lost it, as below the IPv6 minimum MTU).
 */
static int ipv6_no_autoconf(struct net *n, const struct gc_nic *nic)
{
	static const char *const knobs[] = {"accept_ra", "autoconf"};
	char path[96];

	if (access("/proc/sys/net/ipv6", F_OK) < 0)
		return 0;
	for (size_t i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		int fd;

		snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/%s", nic->name, knobs[i]);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT)
			return 0;
		if (fd < 0 || write(fd, "0", 1) != 1) {
			int e = errno;

			if (fd >= 0)
				close(fd);
			return hy_err(n->err, n->errlen, -e, "network: %s: set %s to 0: %s",
				      nic->name, path, strerror(e));
		}
		close(fd);
	}
	return 0;
}

static unsigned addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

/* "10.88.0.5/16", or without prefix when prefix < 0. */
static const char *ip_text(char *buf, size_t len, int family, const uint8_t *addr, int prefix)
{
	if (!inet_ntop(family, addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	if (prefix >= 0)
		snprintf(buf + strlen(buf), len - strlen(buf), "/%d", prefix);
	return buf;
}

static struct nl_addr *make_addr(int family, const uint8_t *addr, int prefix)
{
	struct nl_addr *a = nl_addr_build(family, addr, addr_len(family));

	if (a && prefix >= 0)
		nl_addr_set_prefixlen(a, prefix);
	return a;
}

static int add_address(struct net *n, const struct gc_nic *nic, int ifindex, const struct gc_ip *ip)
{
	struct nl_addr *local = make_addr(ip->family, ip->addr, (int)ip->prefix), *brd = NULL;
	struct rtnl_addr *a = rtnl_addr_alloc();
	char text[INET6_ADDRSTRLEN + 8];
	int r = -NLE_NOMEM;

	ip_text(text, sizeof(text), ip->family, ip->addr, (int)ip->prefix);
	if (!a || !local)
		goto out;
	rtnl_addr_set_ifindex(a, ifindex);
	if ((r = rtnl_addr_set_local(a, local)) < 0)
		goto out;
	if (ip->family == AF_INET && ip->prefix < 31) {
		uint32_t b;

		memcpy(&b, ip->addr, 4);
		b |= htonl(~0u >> ip->prefix);
		if (!(brd = nl_addr_build(AF_INET, &b, 4))) {
			r = -NLE_NOMEM;
			goto out;
		}
		if ((r = rtnl_addr_set_broadcast(a, brd)) < 0)
			goto out;
	}
	if (ip->family == AF_INET6)
		rtnl_addr_set_flags(a, IFA_F_NODAD);
	arm(n);
	r = rtnl_addr_add(n->sk, a, 0);
out:
	if (r < 0)
		r = failed(n, r, "%s: add address %s", nic->name, text);
	nl_addr_put(brd);
	nl_addr_put(local);
	if (a)
		rtnl_addr_put(a);
	return r;
}

static int add_route(struct net *n, const struct gc_nic *nic, int ifindex,
		     const struct gc_route *rt)
{
	int family = rt->destination.family;
	struct nl_addr *dst = make_addr(family, rt->destination.addr, (int)rt->destination.prefix);
	struct nl_addr *gw = rt->has_gateway ? make_addr(family, rt->gateway, -1) : NULL;
	struct nl_addr *src = rt->has_source ? make_addr(family, rt->source, -1) : NULL;
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct rtnl_route *route = rtnl_route_alloc();
	char text[2 * INET6_ADDRSTRLEN + 16];
	int r = -NLE_NOMEM;

	ip_text(text, sizeof(text), family, rt->destination.addr, (int)rt->destination.prefix);
	if (rt->has_gateway) {
		size_t len = strlen(text);

		snprintf(text + len, sizeof(text) - len, " via ");
		len = strlen(text);
		ip_text(text + len, sizeof(text) - len, family, rt->gateway, -1);
	}
	if (!dst || !route || !nh || (rt->has_gateway && !gw) || (rt->has_source && !src))
		goto out;
	rtnl_route_set_table(route, RT_TABLE_MAIN);
	rtnl_route_set_protocol(route, RTPROT_BOOT);
	rtnl_route_set_type(route, RTN_UNICAST);
	rtnl_route_set_scope(route, rt->has_gateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
	rtnl_route_set_priority(route, rt->metric);
	if ((r = rtnl_route_set_dst(route, dst)) < 0 ||
	    (src && (r = rtnl_route_set_pref_src(route, src)) < 0) ||
	    (rt->mtu && (r = rtnl_route_set_metric(route, RTAX_MTU, rt->mtu)) < 0))
		goto out;
	rtnl_route_nh_set_ifindex(nh, ifindex);
	if (gw)
		rtnl_route_nh_set_gateway(nh, gw);
	rtnl_route_add_nexthop(route, nh); /* the route owns it now */
	nh = NULL;
	arm(n);
	r = rtnl_route_add(n->sk, route, NLM_F_REPLACE);
out:
	if (r < 0)
		r = failed(n, r, "%s: add route %s", nic->name, text);
	if (nh)
		rtnl_route_nh_free(nh);
	if (route)
		rtnl_route_put(route);
	nl_addr_put(src);
	nl_addr_put(gw);
	nl_addr_put(dst);
	return r;
}

/* `link` (fresh from the cache) set up as `nic`. Requests about the link go
 * by its index: the name it had when found does not matter once it is
 * renamed. */
static int configure_link(struct net *n, const struct gc_nic *nic, struct rtnl_link *link)
{
	int ifindex = rtnl_link_get_ifindex(link), r;

	if ((r = rename_nic(n, nic, link)) < 0 || (r = ipv6_no_autoconf(n, nic)) < 0)
		return r;
	if ((r = change_link(n, link, LINK_MTU, NULL, nic->mtu)) < 0)
		return failed(n, r, "%s: set MTU %u", nic->name, nic->mtu);
	for (size_t i = 0; i < nic->nr_addresses; i++)
		if ((r = add_address(n, nic, ifindex, &nic->addresses[i])) < 0)
			return r;
	if ((r = change_link(n, link, LINK_UP, NULL, 0)) < 0)
		return failed(n, r, "%s: up", nic->name);
	for (size_t i = 0; i < nic->nr_routes; i++)
		if ((r = add_route(n, nic, ifindex, &nic->routes[i])) < 0)
			return r;
	return 0;
}

static int configure_nic(struct net *n, const struct gc_nic *nic, long wait_ms)
{
	struct rtnl_link *link;
	int r;

	if (!(link = find_link(n, nic->mac, nic->name, wait_ms, &r)))
		return r;
	r = configure_link(n, nic, link);
	rtnl_link_put(link);
	return r;
}

int net_setup(const struct gc_nic *nics, size_t nr_nics, long wait_ms, char *err, size_t errlen)
{
	struct net n = {.nics = nics, .nr_nics = nr_nics, .err = err, .errlen = errlen};
	int r;

	if ((r = open_net(&n)) < 0 || (r = loopback_up(&n)) < 0)
		goto out;
	for (size_t i = 0; i < nr_nics; i++)
		if ((r = configure_nic(&n, &nics[i], wait_ms)) < 0)
			goto out;
out:
	close_net(&n);
	return r;
}

/* --- standby NICs ------------------------------------------------------------- */

/* "standby NIC 02:5e:1a:00:00:01", for messages. */
static const char *standby_label(char buf[32], const uint8_t mac[6])
{
	char text[18];

	plan_format_mac(mac, text);
	snprintf(buf, 32, "standby NIC %s", text);
	return buf;
}

/* The standby NIC with this index, referenced, from a fresh cache; NULL with
 * *r set when it is gone. */
static struct rtnl_link *standby_link(struct net *n, int ifindex, const char *label, int *r)
{
	struct rtnl_link *l;

	if ((*r = refresh(n)) < 0)
		return NULL;
	if (!(l = rtnl_link_get(n->links, ifindex)))
		*r =
		    hy_err(n->err, n->errlen, -ENODEV, "network: %s: its interface is gone", label);
	return l;
}

/* Each standby NIC's index, found before any of them changes: a MAC one of
 * them is to take may be that of another still. */
static int find_standby(struct net *n, const struct gc_mac *standby, size_t nr, long wait_ms,
			int *ifindex)
{
	for (size_t i = 0; i < nr; i++) {
		struct rtnl_link *l;
		char label[32];
		int r;

		l = find_link(n, standby[i].mac, standby_label(label, standby[i].mac), wait_ms, &r);
		if (!l)
			return r;
		ifindex[i] = rtnl_link_get_ifindex(l);
		rtnl_link_put(l);
	}
	return 0;
}

static int set_mac(struct net *n, struct rtnl_link *link, const uint8_t mac[6])
{
	struct rtnl_link *c = rtnl_link_alloc();
	struct nl_addr *a = nl_addr_build(AF_LLC, mac, 6);
	int r = -NLE_NOMEM;

	if (c && a) {
		rtnl_link_set_addr(c, a); /* takes its own reference */
		arm(n);
		r = rtnl_link_change(n->sk, link, c, 0);
	}
	nl_addr_put(a);
	if (c)
		rtnl_link_put(c);
	return r;
}

/* The standby NIC down, then with nic's MAC: the kernel changes an Ethernet
 * MAC only while down unless the driver can do it live, which virtio-net
 * can only with a control queue. */
static int take_mac(struct net *n, const struct gc_nic *nic, int ifindex, const char *label)
{
	struct rtnl_link *link;
	struct nl_addr *cur;
	char text[18];
	int r;

	if (!(link = standby_link(n, ifindex, label, &r)))
		return r;
	cur = rtnl_link_get_addr(link);
	plan_format_mac(nic->mac, text);
	if ((rtnl_link_get_flags(link) & IFF_UP) &&
	    (r = change_link(n, link, LINK_DOWN, NULL, 0)) < 0) {
		r = failed(n, r, "%s: take %s down", nic->name, rtnl_link_get_name(link));
		goto out;
	}
	if ((!cur || nl_addr_get_len(cur) != 6 ||
	     memcmp(nl_addr_get_binary_addr(cur), nic->mac, 6)) &&
	    (r = set_mac(n, link, nic->mac)) < 0)
		r = failed(n, r, "%s: set MAC %s on %s", nic->name, text, rtnl_link_get_name(link));
out:
	rtnl_link_put(link);
	return r;
}

static int configure_standby(struct net *n, const struct gc_nic *nic, int ifindex,
			     const uint8_t standby_mac[6])
{
	struct rtnl_link *link;
	char label[32];
	int r;

	standby_label(label, standby_mac);
	if ((r = take_mac(n, nic, ifindex, label)) < 0)
		return r;
	if (!(link = standby_link(n, ifindex, label, &r)))
		return r;
	r = configure_link(n, nic, link);
	rtnl_link_put(link);
	return r;
}

/* The first line of a small file, without its newline; 0 or -errno. */
static int read_line(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), e;
	ssize_t got;

	if (fd < 0)
		return -errno;
	got = read(fd, buf, len - 1);
	e = errno;
	close(fd);
	if (got < 0)
		return -e;
	buf[got] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/*
 * Unbound from its driver, a standby NIC's interface is gone (the driver's
 * remove unregisters it before the write returns). /sys/class/net/NAME/device
 * links to the virtio device ("../../../virtio3"); its name goes to its
 * driver's unbind. sysfs shows the interfaces of the network namespace it
 * was mounted from: the MAC it gives for NAME is checked first, so that an
 * interface of another namespace with that name is never touched (PID 1's
 * /sys is the guest's, mounted at boot in its only network namespace; a
 * test's may be the host's).
 */
static int unbind_nic(struct net *n, int ifindex, const uint8_t mac[6])
{
	char label[32], dir[64], path[PATH_MAX], target[PATH_MAX], addr[32], text[18];
	struct rtnl_link *link;
	const char *dev;
	ssize_t len;
	int r, fd;

	standby_label(label, mac);
	if (!(link = standby_link(n, ifindex, label, &r)))
		return r;
	snprintf(dir, sizeof(dir), "/sys/class/net/%s", rtnl_link_get_name(link));
	rtnl_link_put(link);
	plan_format_mac(mac, text);
	snprintf(path, sizeof(path), "%s/address", dir);
	if ((r = read_line(path, addr, sizeof(addr))) < 0)
		return hy_err(n->err, n->errlen, r, "network: %s: unbind: %s: %s", label, path,
			      strerror(-r));
	if (strcmp(addr, text))
		return hy_err(n->err, n->errlen, -ENODEV,
			      "network: %s: unbind: %s is %s: /sys is not of this network "
			      "namespace",
			      label, path, addr);
	snprintf(path, sizeof(path), "%s/device", dir);
	len = readlink(path, target, sizeof(target) - 1);
	if (len < 0)
		return hy_err(n->err, n->errlen, -errno,
			      "network: %s: unbind: %s: %s (not the interface of a device)", label,
			      path, strerror(errno));
	target[len] = '\0';
	dev = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
	snprintf(path, sizeof(path), "%s/device/driver/unbind", dir);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return hy_err(n->err, n->errlen, -errno, "network: %s: unbind: %s: %s", label, path,
			      strerror(errno));
	len = write(fd, dev, strlen(dev));
	r = len < 0 ? -errno : (size_t)len != strlen(dev) ? -EIO : 0;
	close(fd);
	if (r < 0)
		return hy_err(n->err, n->errlen, r, "network: %s: unbind: write %s to %s: %s",
			      label, dev, path, strerror(-r));
	return 0;
}

int net_setup_standby(const struct gc_mac *standby, size_t nr_standby, const struct gc_nic *nics,
		      size_t nr_nics, long wait_ms, char *err, size_t errlen)
{
	struct net n = {.nics = nics, .nr_nics = nr_nics, .err = err, .errlen = errlen};
	int *ifindex, r;

	if (nr_nics > nr_standby)
		return hy_err(err, errlen, -E2BIG,
			      "network: %zu interface(s) for %zu standby NIC(s)", nr_nics,
			      nr_standby);
	if (!nr_standby)
		return 0;
	ifindex = calloc(nr_standby, sizeof(*ifindex));
	if (!ifindex)
		return nomem(&n, "standby NICs");
	if ((r = open_net(&n)) < 0 ||
	    (r = find_standby(&n, standby, nr_standby, wait_ms, ifindex)) < 0)
		goto out;
	/* The unused first: a name one of them holds is then free for the others. */
	for (size_t i = nr_nics; i < nr_standby; i++)
		if ((r = unbind_nic(&n, ifindex[i], standby[i].mac)) < 0)
			goto out;
	for (size_t i = 0; i < nr_nics; i++)
		if ((r = configure_standby(&n, &nics[i], ifindex[i], standby[i].mac)) < 0)
			goto out;
out:
	close_net(&n);
	free(ifindex);
	return r;
}
