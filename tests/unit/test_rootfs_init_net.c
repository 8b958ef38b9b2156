/* test_rootfs_init_net.c: hyrun-init's network set-up, on veth pairs in a network namespace.
 *
 * Each test runs in a Criterion worker of its own, which enters a new network
 * namespace first: nothing of the host's network is touched. Needs root (or
 * CAP_NET_ADMIN over a new namespace); skipped otherwise. A test that reaches
 * sysfs mounts one of the namespace's own (private_sysfs()).
 */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>

#include "common/time.h"
#include "rootfs/init/net.h"

static struct nl_sock *sk;

static void enter_netns(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root (a network namespace, interfaces)");
	if (unshare(CLONE_NEWNET) < 0)
		cr_skip_test("no network namespace here: %s", strerror(errno));
	sk = nl_socket_alloc();
	cr_assert(sk);
	cr_assert_eq(nl_connect(sk, NETLINK_ROUTE), 0);
}

/* The link named `name` as the kernel has it now. */
static struct rtnl_link *get_link(const char *name)
{
	struct rtnl_link *l = NULL;
	int r = rtnl_link_get_kernel(sk, 0, name, &l);

	cr_assert_eq(r, 0, "link %s: %s", name, nl_geterror(r));
	return l;
}

static bool link_exists(const char *name)
{
	struct rtnl_link *l = NULL;

	if (rtnl_link_get_kernel(sk, 0, name, &l) < 0)
		return false;
	rtnl_link_put(l);
	return true;
}

static bool link_up(const char *name)
{
	struct rtnl_link *l = get_link(name);
	bool up = rtnl_link_get_flags(l) & IFF_UP;

	rtnl_link_put(l);
	return up;
}

/* Without assertions: also for a forked child. 0 or a libnl error. */
static int try_set_mac(struct nl_sock *s, const char *name, const uint8_t mac[6])
{
	struct rtnl_link *l = NULL, *c = rtnl_link_alloc();
	struct nl_addr *a = nl_addr_build(AF_LLC, mac, 6);
	int r = -NLE_NOMEM;

	if (c && a && (r = rtnl_link_get_kernel(s, 0, name, &l)) == 0) {
		rtnl_link_set_addr(c, a);
		r = rtnl_link_change(s, l, c, 0);
	}
	nl_addr_put(a);
	if (c)
		rtnl_link_put(c);
	if (l)
		rtnl_link_put(l);
	return r;
}

/* A veth pair a <-> b with these MACs. */
static int try_make_veth(struct nl_sock *s, const char *a, const uint8_t mac_a[6], const char *b,
			 const uint8_t mac_b[6])
{
	int r = rtnl_link_veth_add(s, a, b, getpid());

	if (r == 0)
		r = try_set_mac(s, a, mac_a);
	if (r == 0)
		r = try_set_mac(s, b, mac_b);
	return r;
}

static void make_veth(const char *a, const uint8_t mac_a[6], const char *b, const uint8_t mac_b[6])
{
	int r = try_make_veth(sk, a, mac_a, b, mac_b);

	cr_assert_eq(r, 0, "veth %s/%s: %s", a, b, nl_geterror(r));
}

static void check_link(const char *name, const uint8_t mac[6], unsigned mtu)
{
	struct rtnl_link *l = get_link(name);
	struct nl_addr *a = rtnl_link_get_addr(l);

	cr_assert(rtnl_link_get_flags(l) & IFF_UP, "%s is not up", name);
	cr_assert_eq(rtnl_link_get_mtu(l), mtu, "%s: mtu %u", name, rtnl_link_get_mtu(l));
	cr_assert(a && nl_addr_get_len(a) == 6 && !memcmp(nl_addr_get_binary_addr(a), mac, 6),
		  "%s has another MAC", name);
	rtnl_link_put(l);
}

/* The address `text` ("10.88.0.5/16") on the interface, or NULL; referenced. */
static struct rtnl_addr *find_addr(const char *ifname, const char *text)
{
	struct rtnl_link *l = get_link(ifname);
	int ifindex = rtnl_link_get_ifindex(l);
	struct rtnl_addr *found = NULL;
	struct nl_cache *c;
	struct nl_addr *want;

	rtnl_link_put(l);
	cr_assert_eq(nl_addr_parse(text, AF_UNSPEC, &want), 0);
	cr_assert_eq(rtnl_addr_alloc_cache(sk, &c), 0);
	for (struct nl_object *o = nl_cache_get_first(c); o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;

		if (rtnl_addr_get_ifindex(a) == ifindex &&
		    !nl_addr_cmp(rtnl_addr_get_local(a), want) &&
		    rtnl_addr_get_prefixlen(a) == (int)nl_addr_get_prefixlen(want)) {
			nl_object_get(o);
			found = a;
			break;
		}
	}
	nl_cache_free(c);
	nl_addr_put(want);
	return found;
}

/* The route to `dst` ("0.0.0.0/0") in the main table with this priority, or NULL;
 * referenced. (libnl gives a route without RTA_DST, the default, an empty address.) */
static struct rtnl_route *find_route(int family, const char *dst, uint32_t prio)
{
	struct rtnl_route *found = NULL;
	struct nl_cache *c;
	struct nl_addr *want;

	cr_assert_eq(nl_addr_parse(dst, family, &want), 0);
	cr_assert_eq(rtnl_route_alloc_cache(sk, family, 0, &c), 0);
	for (struct nl_object *o = nl_cache_get_first(c); o; o = nl_cache_get_next(o)) {
		struct rtnl_route *r = (struct rtnl_route *)o;
		struct nl_addr *d = rtnl_route_get_dst(r);

		if (rtnl_route_get_table(r) == RT_TABLE_MAIN && d &&
		    nl_addr_get_prefixlen(d) == nl_addr_get_prefixlen(want) &&
		    (!nl_addr_get_prefixlen(want) || !nl_addr_cmp_prefix(d, want)) &&
		    rtnl_route_get_priority(r) == prio) {
			nl_object_get(o);
			found = r;
			break;
		}
	}
	nl_cache_free(c);
	nl_addr_put(want);
	return found;
}

static void check_route_nh(struct rtnl_route *r, const char *ifname, const char *gateway)
{
	struct rtnl_link *l = get_link(ifname);
	struct rtnl_nexthop *nh;
	struct nl_addr *gw;
	char buf[64];

	cr_assert_eq(rtnl_route_get_nnexthops(r), 1);
	nh = rtnl_route_nexthop_n(r, 0);
	cr_assert_eq(rtnl_route_nh_get_ifindex(nh), rtnl_link_get_ifindex(l));
	gw = rtnl_route_nh_get_gateway(nh);
	if (!gateway)
		cr_assert_null(gw);
	else
		cr_assert(gw && !strcmp(nl_addr2str(gw, buf, sizeof(buf)), gateway), "gateway %s",
			  gw ? buf : "none");
	rtnl_link_put(l);
}

static void check_sysctl(const char *ifname, const char *knob, const char *want)
{
	char path[128], buf[16] = "";
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/%s", ifname, knob);
	fd = open(path, O_RDONLY);
	cr_assert(fd >= 0, "%s: %s", path, strerror(errno));
	cr_assert(read(fd, buf, sizeof(buf) - 1) > 0);
	close(fd);
	cr_assert_str_eq(buf, want, "%s is %s", path, buf);
}

static const uint8_t mac_a[6] = {0x02, 0x42, 0xac, 0x11, 0x00, 0x0a};
static const uint8_t mac_b[6] = {0x02, 0x42, 0xac, 0x11, 0x00, 0x0b};

Test(init_net, loopback_only)
{
	struct rtnl_addr *a;
	char err[512] = "";
	int r;

	enter_netns();
	cr_assert(!link_up("lo"), "lo starts up");
	r = net_setup(NULL, 0, NET_NIC_WAIT_MS, err, sizeof(err));
	cr_assert_eq(r, 0, "%s", err);
	cr_assert(link_up("lo"));
	a = find_addr("lo", "127.0.0.1/8");
	cr_assert(a, "lo has no 127.0.0.1/8");
	rtnl_addr_put(a);
	/* Again: nothing to do, no error. */
	cr_assert_eq(net_setup(NULL, 0, NET_NIC_WAIT_MS, err, sizeof(err)), 0, "%s", err);
}

Test(init_net, two_nics)
{
	static const struct gc_ip addrs[] = {
	    {.family = AF_INET, .addr = {10, 88, 0, 5}, .prefix = 16},
	    {.family = AF_INET6, .addr = {0xfd, 0, [15] = 5}, .prefix = 64},
	};
	static const struct gc_route routes[] = {
	    /* the route the kernel made for 10.88.0.5/16, given again */
	    {.destination = {.family = AF_INET, .addr = {10, 88}, .prefix = 16},
	     .has_source = true,
	     .source = {10, 88, 0, 5}},
	    {.destination = {.family = AF_INET, .addr = {10, 99}, .prefix = 16}, .metric = 7},
	    {.destination = {.family = AF_INET},
	     .has_gateway = true,
	     .gateway = {10, 88, 0, 1},
	     .has_source = true,
	     .source = {10, 88, 0, 5},
	     .metric = 100,
	     .mtu = 1300},
	    {.destination = {.family = AF_INET6, .addr = {0xfd, 0, 0, 1}, .prefix = 64},
	     .has_gateway = true,
	     .gateway = {0xfd, 0, [15] = 1},
	     .metric = 300},
	};
	struct gc_nic nics[] = {
	    {.name = "eth0",
	     .mtu = 1400,
	     .addresses = addrs,
	     .nr_addresses = 2,
	     .routes = routes,
	     .nr_routes = 4},
	    {.name = "eth1", .mtu = 9000},
	};
	struct rtnl_route *rt;
	struct rtnl_addr *a;
	struct nl_addr *x;
	char err[512] = "", buf[64];
	uint32_t m;
	int r;

	enter_netns();
	memcpy(nics[0].mac, mac_a, 6);
	memcpy(nics[1].mac, mac_b, 6);
	make_veth("va", mac_a, "vb", mac_b);
	r = net_setup(nics, 2, NET_NIC_WAIT_MS, err, sizeof(err));
	cr_assert_eq(r, 0, "%s", err);

	cr_assert(!link_exists("va") && !link_exists("vb"));
	check_link("eth0", mac_a, 1400);
	check_link("eth1", mac_b, 9000);
	cr_assert(link_up("lo"));
	check_sysctl("eth0", "accept_ra", "0\n");
	check_sysctl("eth0", "autoconf", "0\n");
	check_sysctl("eth1", "accept_ra", "0\n");

	a = find_addr("eth0", "10.88.0.5/16");
	cr_assert(a, "no 10.88.0.5/16 on eth0");
	x = rtnl_addr_get_broadcast(a);
	cr_assert(x && !strcmp(nl_addr2str(x, buf, sizeof(buf)), "10.88.255.255"), "broadcast %s",
		  x ? buf : "none");
	rtnl_addr_put(a);
	a = find_addr("eth0", "fd00::5/64");
	cr_assert(a, "no fd00::5/64 on eth0");
	cr_assert(rtnl_addr_get_flags(a) & IFA_F_NODAD);
	cr_assert(!(rtnl_addr_get_flags(a) & IFA_F_TENTATIVE), "fd00::5 is tentative");
	rtnl_addr_put(a);

	rt = find_route(AF_INET, "10.88.0.0/16", 0);
	cr_assert(rt, "no 10.88.0.0/16");
	check_route_nh(rt, "eth0", NULL);
	cr_assert_eq(rtnl_route_get_scope(rt), RT_SCOPE_LINK);
	cr_assert_str_eq(nl_addr2str(rtnl_route_get_pref_src(rt), buf, sizeof(buf)), "10.88.0.5");
	rtnl_route_put(rt);

	rt = find_route(AF_INET, "10.99.0.0/16", 7);
	cr_assert(rt, "no 10.99.0.0/16 metric 7");
	check_route_nh(rt, "eth0", NULL);
	cr_assert_eq(rtnl_route_get_scope(rt), RT_SCOPE_LINK);
	cr_assert_eq(rtnl_route_get_protocol(rt), RTPROT_BOOT);
	rtnl_route_put(rt);

	rt = find_route(AF_INET, "0.0.0.0/0", 100);
	cr_assert(rt, "no default route metric 100");
	check_route_nh(rt, "eth0", "10.88.0.1");
	cr_assert_eq(rtnl_route_get_scope(rt), RT_SCOPE_UNIVERSE);
	cr_assert_str_eq(nl_addr2str(rtnl_route_get_pref_src(rt), buf, sizeof(buf)), "10.88.0.5");
	cr_assert_eq(rtnl_route_get_metric(rt, RTAX_MTU, &m), 0);
	cr_assert_eq(m, 1300);
	rtnl_route_put(rt);

	rt = find_route(AF_INET6, "fd00:1::/64", 300);
	cr_assert(rt, "no fd00:1::/64 metric 300");
	check_route_nh(rt, "eth0", "fd00::1");
	rtnl_route_put(rt);
}

/* The guest enumerated the NICs the other way round. */
Test(init_net, names_swapped)
{
	struct gc_nic nics[] = {{.name = "n0", .mtu = 1500}, {.name = "n1", .mtu = 1500}};
	char err[512] = "";
	int r;

	enter_netns();
	memcpy(nics[0].mac, mac_a, 6);
	memcpy(nics[1].mac, mac_b, 6);
	make_veth("n1", mac_a, "n0", mac_b);
	r = net_setup(nics, 2, NET_NIC_WAIT_MS, err, sizeof(err));
	cr_assert_eq(r, 0, "%s", err);
	check_link("n0", mac_a, 1500);
	check_link("n1", mac_b, 1500);
}

Test(init_net, no_such_nic)
{
	const struct gc_nic nic = {.name = "eth0", .mac = {2, 0, 0, 0, 0, 0x99}, .mtu = 1500};
	char err[512] = "";
	int64_t start;
	int r;

	enter_netns();
	make_veth("va", mac_a, "vb", mac_b);
	start = hy_now_ms();
	r = net_setup(&nic, 1, 50, err, sizeof(err));
	cr_assert_eq(r, -ENODEV, "%d %s", r, err);
	cr_assert_geq(hy_now_ms() - start, 50);
	cr_assert_str_eq(err, "network: eth0: no interface with MAC 02:00:00:00:00:99 after 50 ms");
	/* lo came up before */
	cr_assert(link_up("lo"));
}

/* The driver binds the device a while after the set-up has begun to wait. */
Test(init_net, nic_appears_late)
{
	struct gc_nic nic = {.name = "eth0", .mtu = 1500};
	const struct timespec later = {0, 150 * 1000000L};
	char err[512] = "";
	int status, r;
	pid_t pid;

	enter_netns();
	memcpy(nic.mac, mac_b, 6);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		struct nl_sock *s = nl_socket_alloc();

		nanosleep(&later, NULL);
		_exit(!s || nl_connect(s, NETLINK_ROUTE) < 0 ||
		      try_make_veth(s, "va", mac_a, "vb", mac_b) < 0);
	}
	r = net_setup(&nic, 1, NET_NIC_WAIT_MS, err, sizeof(err));
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	cr_assert_eq(r, 0, "%s", err);
	check_link("eth0", mac_b, 1500);
}

/* Errors name the NIC, the step and the kernel's reason. */
Test(init_net, failures_named)
{
	static const struct gc_ip addr = {.family = AF_INET, .addr = {10, 0, 0, 2}, .prefix = 24};
	static const struct gc_ip twice[] = {
	    {.family = AF_INET6, .addr = {0xfd, 0, [15] = 5}, .prefix = 64},
	    {.family = AF_INET6, .addr = {0xfd, 0, [15] = 5}, .prefix = 64},
	};
	static const struct gc_route unreachable = {
	    .destination = {.family = AF_INET}, .has_gateway = true, .gateway = {192, 168, 7, 1}};
	struct gc_nic nic = {.name = "eth0",
			     .mtu = 1500,
			     .addresses = &addr,
			     .nr_addresses = 1,
			     .routes = &unreachable,
			     .nr_routes = 1};
	char err[512] = "";
	int r;

	enter_netns();
	memcpy(nic.mac, mac_a, 6);
	make_veth("va", mac_a, "vb", mac_b);
	r = net_setup(&nic, 1, NET_NIC_WAIT_MS, err, sizeof(err));
	cr_assert_eq(r, -ENETUNREACH, "%d %s", r, err);
	cr_assert(strstr(err, "network: eth0: add route 0.0.0.0/0 via 192.168.7.1: Network is "
			      "unreachable"),
		  "%s", err);

	nic.addresses = twice;
	nic.nr_addresses = 2;
	nic.nr_routes = 0;
	r = net_setup(&nic, 1, NET_NIC_WAIT_MS, err, sizeof(err));
	cr_assert_eq(r, -EEXIST, "%d %s", r, err);
	cr_assert(strstr(err, "network: eth0: add address fd00::5/64: File exists"), "%s", err);

	nic.nr_addresses = 0;
	nic.mtu = 65535 + 1;
	r = net_setup(&nic, 1, NET_NIC_WAIT_MS, err, sizeof(err));
	cr_assert_eq(r, -EINVAL, "%d %s", r, err);
	cr_assert(strstr(err, "network: eth0: set MTU 65536: Invalid argument"), "%s", err);
}

/* --- standby NICs ----------------------------------------------------------------- */

static const uint8_t mac_x[6] = {0x02, 0x42, 0x0a, 0x58, 0x00, 0x05};
static const uint8_t mac_y[6] = {0x02, 0x42, 0x0a, 0x58, 0x00, 0x06};

static int ifindex_of(const char *name)
{
	struct rtnl_link *l = get_link(name);
	int i = rtnl_link_get_ifindex(l);

	rtnl_link_put(l);
	return i;
}

static const char *name_of(int ifindex, char buf[IF_NAMESIZE])
{
	cr_assert(if_indextoname((unsigned)ifindex, buf), "no interface %d", ifindex);
	return buf;
}

/*
 * /sys of this network namespace: sysfs shows the interfaces of the namespace
 * it was mounted from, and the worker's /sys is the host's. Mounted in a
 * mount namespace of the worker's own, so the host's /sys stays as it is.
 */
static void private_sysfs(void)
{
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		cr_skip_test("no sysfs of our own: %s", strerror(errno));
}

/* The standby NICs take the MACs, names and addresses of the network that came. */
Test(init_net, standby_configured)
{
	static const struct gc_ip addr = {.family = AF_INET, .addr = {10, 88, 0, 5}, .prefix = 16};
	static const struct gc_route dflt = {
	    .destination = {.family = AF_INET}, .has_gateway = true, .gateway = {10, 88, 0, 1}};
	struct gc_nic nics[] = {{.name = "eth0",
				 .mtu = 1450,
				 .addresses = &addr,
				 .nr_addresses = 1,
				 .routes = &dflt,
				 .nr_routes = 1},
				{.name = "eth1", .mtu = 1500}};
	struct gc_mac standby[2];
	struct rtnl_route *rt;
	struct rtnl_addr *a;
	char err[512] = "";
	int r;

	enter_netns();
	memcpy(standby[0].mac, mac_a, 6);
	memcpy(standby[1].mac, mac_b, 6);
	memcpy(nics[0].mac, mac_x, 6);
	memcpy(nics[1].mac, mac_y, 6);
	make_veth("va", mac_a, "vb", mac_b);
	r = net_setup_standby(standby, 2, nics, 2, NET_NIC_WAIT_MS, err, sizeof(err));
	cr_assert_eq(r, 0, "%s", err);
	cr_assert(!link_exists("va") && !link_exists("vb"));
	check_link("eth0", mac_x, 1450);
	check_link("eth1", mac_y, 1500);
	check_sysctl("eth0", "accept_ra", "0\n");
	a = find_addr("eth0", "10.88.0.5/16");
	cr_assert(a, "no 10.88.0.5/16 on eth0");
	rtnl_addr_put(a);
	rt = find_route(AF_INET, "0.0.0.0/0", 0);
	cr_assert(rt, "no default route");
	check_route_nh(rt, "eth0", "10.88.0.1");
	rtnl_route_put(rt);
}

/* A NIC's MAC may be another standby NIC's (each is found before any
 * changes), and its name too (the holder is renamed aside first). */
Test(init_net, standby_macs_and_names_crossed)
{
	struct gc_nic nics[] = {{.name = "eth0", .mtu = 1500}, {.name = "eth1", .mtu = 1500}};
	struct gc_mac standby[2];
	char err[512] = "", name[IF_NAMESIZE];
	int i0, i1, r;

	enter_netns();
	memcpy(standby[0].mac, mac_a, 6);
	memcpy(standby[1].mac, mac_b, 6);
	memcpy(nics[0].mac, mac_b, 6);
	memcpy(nics[1].mac, mac_a, 6);
	make_veth("eth1", mac_a, "eth0", mac_b);
	i0 = ifindex_of("eth1");
	i1 = ifindex_of("eth0");
	r = net_setup_standby(standby, 2, nics, 2, NET_NIC_WAIT_MS, err, sizeof(err));
	cr_assert_eq(r, 0, "%s", err);
	cr_assert_str_eq(name_of(i0, name), "eth0");
	cr_assert_str_eq(name_of(i1, name), "eth1");
	check_link("eth0", mac_b, 1500);
	check_link("eth1", mac_a, 1500);
}

Test(init_net, standby_refusals)
{
	const struct gc_nic nic = {.name = "eth0", .mac = {2, 0, 0, 0, 0, 1}, .mtu = 1500};
	const struct gc_mac missing = {.mac = {2, 0, 0, 0, 0, 0x99}};
	char err[512] = "";
	int r;

	enter_netns();
	make_veth("va", mac_a, "vb", mac_b);
	r = net_setup_standby(&missing, 0, &nic, 1, 50, err, sizeof(err));
	cr_assert_eq(r, -E2BIG, "%d %s", r, err);
	cr_assert_str_eq(err, "network: 1 interface(s) for 0 standby NIC(s)");
	/* none, nothing asked: nothing to do */
	cr_assert_eq(net_setup_standby(NULL, 0, NULL, 0, 50, err, sizeof(err)), 0, "%s", err);
	r = net_setup_standby(&missing, 1, &nic, 1, 50, err, sizeof(err));
	cr_assert_eq(r, -ENODEV, "%d %s", r, err);
	cr_assert_str_eq(err, "network: standby NIC 02:00:00:00:00:99: no interface with MAC "
			      "02:00:00:00:00:99 after 50 ms");
	/* "lo" is not touched */
	cr_assert(!link_up("lo"));
}

/*
 * A standby NIC not named at start is unbound from its driver. A veth has no
 * device (nor driver) behind it, so here the unbind fails, clearly, before
 * any NIC is changed; the unbind itself needs a virtio-net device and is
 * checked in the guest (tests/integration).
 */
Test(init_net, standby_unbind_needs_a_device)
{
	const struct gc_nic nic = {.name = "eth0", .mac = {2, 0, 0, 0, 0, 1}, .mtu = 1500};
	struct gc_mac standby[2];
	char err[512] = "";
	int r;

	enter_netns();
	private_sysfs();
	memcpy(standby[0].mac, mac_a, 6);
	memcpy(standby[1].mac, mac_b, 6);
	make_veth("va", mac_a, "vb", mac_b);
	r = net_setup_standby(standby, 2, &nic, 1, NET_NIC_WAIT_MS, err, sizeof(err));
	cr_assert_eq(r, -ENOENT, "%d %s", r, err);
	cr_assert_str_eq(err, "network: standby NIC 02:42:ac:11:00:0b: unbind: "
			      "/sys/class/net/vb/device: No such file or directory (not the "
			      "interface of a device)");
	cr_assert(link_exists("va") && !link_exists("eth0"));
	/* None named: the first fails alike. */
	r = net_setup_standby(standby, 2, NULL, 0, NET_NIC_WAIT_MS, err, sizeof(err));
	cr_assert_eq(r, -ENOENT, "%d %s", r, err);
	cr_assert(strstr(err, "standby NIC 02:42:ac:11:00:0a: unbind: /sys/class/net/va/device"),
		  "%s", err);
}
