/* test_netns_netns.c: netns/ on namespaces, veths and taps the tests make.
 *
 * Each test makes its namespaces with `ip netns add hyrun-test-PID-N` (or
 * binds one netns_standby_make() made to such a name) and removes them in
 * the suite's .fini, which Criterion runs after a failed assertion too.
 * Frames only travel between those namespaces.
 */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <linux/nsfs.h>
#include <netpacket/packet.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "netns/netns.h"

#define MAX_NS 3
#define ETH_P_HYTEST 0x88b5 /* IEEE 802 local experimental */
#define VNET_HDR_LEN 12

static char ns_name[MAX_NS][48];
static char ns_file[MAX_NS][96];
static int nr_ns;
static struct netns_wiring w;
static struct netns_wiring sb; /* from netns_standby_make(): the taps the VMM would hold */
static int sb_nsfd = -1;
static int extra_fds[4] = {-1, -1, -1, -1};
static char err[512];
static char out[65536];
static int out_status;

static void reset(struct netns_wiring *x)
{
	memset(x, 0, sizeof(*x));
	for (size_t i = 0; i < NETNS_MAX_IFACES; i++)
		x->ifaces[i].tap_fd = -1;
}

static void setup(void)
{
	nr_ns = 0;
	reset(&w);
	reset(&sb);
	sb_nsfd = -1;
	err[0] = '\0';
}

static void teardown(void)
{
	char cmd[128];

	for (size_t i = 0; i < NETNS_MAX_IFACES; i++) {
		if (w.ifaces[i].tap_fd >= 0)
			close(w.ifaces[i].tap_fd);
		if (sb.ifaces[i].tap_fd >= 0)
			close(sb.ifaces[i].tap_fd);
	}
	if (sb_nsfd >= 0)
		close(sb_nsfd);
	for (size_t i = 0; i < sizeof(extra_fds) / sizeof(extra_fds[0]); i++)
		if (extra_fds[i] >= 0) {
			close(extra_fds[i]);
			extra_fds[i] = -1;
		}
	for (int i = 0; i < nr_ns; i++) {
		if (access(ns_file[i], F_OK) != 0)
			continue;
		snprintf(cmd, sizeof(cmd), "ip netns del %s 2>/dev/null", ns_name[i]);
		if (system(cmd) != 0)
			fprintf(stderr, "test_netns: could not delete namespace %s\n", ns_name[i]);
	}
}

TestSuite(netns, .init = setup, .fini = teardown);

static void need_root(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root (network namespaces, taps, tc)");
	if (access("/dev/net/tun", R_OK | W_OK) != 0)
		cr_skip_test("no /dev/net/tun");
	if (system("ip -V >/dev/null 2>&1 && tc -V >/dev/null 2>&1") != 0)
		cr_skip_test("needs ip and tc (iproute2)");
}

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	cr_assert_eq(rc, 0, "`%s` failed (status %d)", cmd, rc);
}

/* Run a command, its stdout into `out` and its exit status into out_status. */
static const char *run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	FILE *f;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	f = popen(cmd, "r");
	cr_assert_not_null(f, "popen %s", cmd);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	out_status = pclose(f);
	return out;
}

/* A new empty namespace; returns its index (name in ns_name[], file in ns_file[]). */
static int ns_add(void)
{
	int i = nr_ns;

	cr_assert_lt(i, MAX_NS);
	snprintf(ns_name[i], sizeof(ns_name[i]), "hyrun-test-%d-%d", (int)getpid(), i);
	snprintf(ns_file[i], sizeof(ns_file[i]), "/run/netns/%s", ns_name[i]);
	nr_ns++; /* before it exists, so that .fini tries in any case */
	sh("ip netns add %s", ns_name[i]);
	return i;
}

/* Bind the namespace nsfd to a name, as ns_add() would make one; returns its index. */
static int ns_bind(int nsfd)
{
	int i = nr_ns, fd;
	char src[64];

	cr_assert_lt(i, MAX_NS);
	snprintf(ns_name[i], sizeof(ns_name[i]), "hyrun-test-%d-%d", (int)getpid(), i);
	snprintf(ns_file[i], sizeof(ns_file[i]), "/run/netns/%s", ns_name[i]);
	nr_ns++; /* `ip netns del` in .fini unmounts and removes the file */
	if (mkdir("/run/netns", 0755) < 0)
		cr_assert_eq(errno, EEXIST, "mkdir /run/netns: %s", strerror(errno));
	fd = open(ns_file[i], O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	cr_assert(fd >= 0, "%s: %s", ns_file[i], strerror(errno));
	close(fd);
	snprintf(src, sizeof(src), "/proc/self/fd/%d", nsfd);
	cr_assert_eq(mount(src, ns_file[i], NULL, MS_BIND, NULL), 0, "bind %s: %s", ns_file[i],
		     strerror(errno));
	return i;
}

/* Namespace A (returned) with eth0, up, its peer "peer0" up in a second namespace (*b). */
static int ns_with_eth0(int *b)
{
	int a = ns_add();

	*b = ns_add();
	sh("ip -n %s link add eth0 type veth peer name peer0 netns %s", ns_name[a], ns_name[*b]);
	sh("ip -n %s link set eth0 address 02:42:ac:11:00:02 up", ns_name[a]);
	sh("ip -n %s link set peer0 address 02:42:ac:11:00:01 up", ns_name[*b]);
	return a;
}

/* eth1 in a, MTU 9000, up; its peer "down1" stays in a and down (so it is not wired). */
static void add_eth1(int a)
{
	sh("ip -n %s link add eth1 type veth peer name down1", ns_name[a]);
	sh("ip -n %s link set eth1 mtu 9000 up", ns_name[a]);
}

static void assert_nothing_left(int a)
{
	run("ip -n %s -o link show", ns_name[a]);
	cr_assert_eq(out_status, 0);
	cr_assert_null(strstr(out, NETNS_TAP_PREFIX), "a tap is left:\n%s", out);
	run("tc -n %s qdisc show dev eth0 2>/dev/null", ns_name[a]);
	cr_assert_null(strstr(out, "ingress"), "an ingress qdisc is left on eth0:\n%s", out);
}

static bool ip_is(const struct gc_ip *ip, const char *cidr)
{
	char addr[64];
	uint8_t bin[16] = {0};
	const char *slash = strchr(cidr, '/');
	int family = strchr(cidr, ':') ? AF_INET6 : AF_INET;

	snprintf(addr, sizeof(addr), "%.*s", (int)(slash - cidr), cidr);
	cr_assert_eq(inet_pton(family, addr, bin), 1, "%s", cidr);
	return ip->family == family && ip->prefix == (unsigned)atoi(slash + 1) &&
	       memcmp(ip->addr, bin, family == AF_INET ? 4 : 16) == 0;
}

static bool bytes_are(const uint8_t *b, int family, const char *addr)
{
	uint8_t bin[16] = {0};

	cr_assert_eq(inet_pton(family, addr, bin), 1, "%s", addr);
	return memcmp(b, bin, family == AF_INET ? 4 : 16) == 0;
}

static const struct gc_route *route_to(const struct netns_iface *ifc, const char *cidr)
{
	for (size_t i = 0; i < ifc->nr_routes; i++)
		if (ip_is(&ifc->routes[i].destination, cidr))
			return &ifc->routes[i];
	cr_assert_fail("%s: no route to %s", ifc->name, cidr);
	return NULL;
}

static bool has_addr(const struct netns_iface *ifc, const char *cidr)
{
	for (size_t i = 0; i < ifc->nr_addrs; i++)
		if (ip_is(&ifc->addrs[i], cidr))
			return true;
	return false;
}

/* An AF_PACKET socket for ETH_P_HYTEST on `dev` in namespace ns. */
static int packet_socket(int ns, const char *dev, int *ifindex)
{
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	int nsfd = open(ns_file[ns], O_RDONLY | O_CLOEXEC);
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_HYTEST)};
	int s = -1, bound = -1, entered, back = 0;

	cr_assert(self >= 0 && nsfd >= 0);
	entered = setns(nsfd, CLONE_NEWNET);
	if (entered == 0) {
		s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_HYTEST));
		*ifindex = (int)if_nametoindex(dev);
		sll.sll_ifindex = *ifindex;
		if (s >= 0)
			bound = bind(s, (struct sockaddr *)&sll, sizeof(sll));
		back = setns(self, CLONE_NEWNET);
	}
	close(self);
	close(nsfd);
	cr_assert_eq(back, 0, "setns back");
	cr_assert_eq(entered, 0, "setns %s", ns_file[ns]);
	cr_assert(s >= 0 && *ifindex > 0 && bound == 0, "packet socket on %s", dev);
	extra_fds[0] = s;
	return s;
}

/* A broadcast frame of type ETH_P_HYTEST carrying msg; 60 bytes. */
static size_t make_frame(uint8_t *buf, const char *msg)
{
	static const uint8_t src[6] = {0x02, 0, 0, 0, 0, 0x99};

	memset(buf, 0, 60);
	memset(buf, 0xff, 6);
	memcpy(buf + 6, src, 6);
	buf[12] = ETH_P_HYTEST >> 8;
	buf[13] = ETH_P_HYTEST & 0xff;
	memcpy(buf + 14, msg, strlen(msg));
	return 60;
}

/* Whether fd yields, within 3 s, a frame carrying msg `skip` bytes in (past a vnet header). */
static bool wait_frame(int fd, size_t skip, const char *msg)
{
	static uint8_t buf[65536 + VNET_HDR_LEN];
	struct timespec start, now;
	size_t len = strlen(msg);

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		long waited;
		ssize_t n;

		clock_gettime(CLOCK_MONOTONIC, &now);
		waited =
		    (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
		if (waited >= 3000 || poll(&p, 1, (int)(3000 - waited)) <= 0)
			return false;
		n = read(fd, buf, sizeof(buf));
		if (n >= (ssize_t)(skip + 14 + len) && buf[skip + 12] == ETH_P_HYTEST >> 8 &&
		    buf[skip + 13] == (ETH_P_HYTEST & 0xff) &&
		    memcmp(buf + skip + 14, msg, len) == 0)
			return true;
	}
}

Test(netns, wire_reads_links_and_redirects_both_ways)
{
	int b, a, peer_ifindex = 0, hdr = VNET_HDR_LEN, s;
	const struct netns_iface *e0, *e1;
	const struct gc_route *r;
	uint8_t buf[VNET_HDR_LEN + 60];
	struct sockaddr_ll to = {.sll_family = AF_PACKET, .sll_halen = 6};
	bool gateway_seen = false;

	need_root();
	a = ns_with_eth0(&b);
	add_eth1(a);
	sh("ip -n %s addr add 10.88.0.5/16 dev eth0", ns_name[a]);
	sh("ip -n %s addr add fd00::5/64 dev eth0 nodad", ns_name[a]);
	sh("ip -n %s addr add 172.20.0.2/24 dev eth1", ns_name[a]);
	sh("ip -n %s route add default via 10.88.0.1 dev eth0", ns_name[a]);
	sh("ip -n %s route add 192.168.50.0/24 dev eth0 proto static", ns_name[a]);
	sh("ip -n %s route add 10.99.0.0/16 via 10.88.0.1 dev eth0 mtu 1400 metric 50 "
	   "src 10.88.0.5",
	   ns_name[a]);
	sh("ip -n %s -6 route add default via fd00::1 dev eth0", ns_name[a]);
	sh("ip -n %s route add 172.21.0.0/16 via 172.20.0.1 dev eth1", ns_name[a]);
	/* Not ours: another table, and a route that leaves by no interface. */
	sh("ip -n %s route add 10.77.0.0/16 dev eth0 table 100", ns_name[a]);
	sh("ip -n %s route add blackhole 10.66.0.0/16", ns_name[a]);

	cr_assert_eq(netns_wire(ns_file[a], &w, err, sizeof(err)), 0, "%s", err);

	/* What was read: eth0 and eth1 in ifindex order, not the down peer. */
	cr_assert_eq(w.nr, 2);
	e0 = &w.ifaces[0];
	e1 = &w.ifaces[1];
	cr_assert_str_eq(e0->name, "eth0");
	cr_assert_str_eq(e1->name, "eth1");
	cr_assert_arr_eq(e0->mac, ((uint8_t[]){0x02, 0x42, 0xac, 0x11, 0x00, 0x02}), 6);
	cr_assert_eq(e0->mtu, 1500);
	cr_assert_eq(e1->mtu, 9000);

	/* Addresses, without the link-local one eth0 has by now. */
	cr_assert_eq(e0->nr_addrs, 2);
	cr_assert(has_addr(e0, "10.88.0.5/16"));
	cr_assert(has_addr(e0, "fd00::5/64"));
	cr_assert_eq(e1->nr_addrs, 1);
	cr_assert(has_addr(e1, "172.20.0.2/24"));

	/* Routes: no kernel prefix routes, the on-link ones first. */
	cr_assert_eq(e0->nr_routes, 4);
	for (size_t i = 0; i < e0->nr_routes; i++) {
		cr_assert(!gateway_seen || e0->routes[i].has_gateway,
			  "route %zu on the link after one through a gateway", i);
		gateway_seen = e0->routes[i].has_gateway;
	}
	r = route_to(e0, "192.168.50.0/24");
	cr_assert(!r->has_gateway && !r->has_source && r->mtu == 0);
	r = route_to(e0, "0.0.0.0/0");
	cr_assert(r->has_gateway && bytes_are(r->gateway, AF_INET, "10.88.0.1"));
	cr_assert_eq(r->mtu, 0);
	r = route_to(e0, "10.99.0.0/16");
	cr_assert(r->has_gateway && bytes_are(r->gateway, AF_INET, "10.88.0.1"));
	cr_assert(r->has_source && bytes_are(r->source, AF_INET, "10.88.0.5"));
	cr_assert_eq(r->metric, 50);
	cr_assert_eq(r->mtu, 1400);
	r = route_to(e0, "::/0");
	cr_assert(r->has_gateway && bytes_are(r->gateway, AF_INET6, "fd00::1"));
	cr_assert_eq(r->metric, 1024);
	cr_assert_eq(e1->nr_routes, 1);
	r = route_to(e1, "172.21.0.0/16");
	cr_assert(r->has_gateway && bytes_are(r->gateway, AF_INET, "172.20.0.1"));

	/* The taps: named by index, same MTU, up, descriptors ours. */
	cr_assert_str_eq(e0->tap, "hytap0");
	cr_assert_str_eq(e1->tap, "hytap1");
	cr_assert(e0->tap_fd >= 0 && e1->tap_fd >= 0);
	cr_assert(fcntl(e0->tap_fd, F_GETFD) & FD_CLOEXEC);
	cr_assert(e0->ingress_added && e1->ingress_added);
	run("ip -n %s -o link show hytap0", ns_name[a]);
	cr_assert(strstr(out, "mtu 1500 ") && strstr(out, ",UP"), "%s", out);
	run("ip -n %s -o link show hytap1", ns_name[a]);
	cr_assert(strstr(out, "mtu 9000 ") && strstr(out, ",UP"), "%s", out);

	/* Ingress qdiscs and the redirect filters, both ways. */
	const char *pairs[][2] = {
	    {"eth0", "hytap0"}, {"hytap0", "eth0"}, {"eth1", "hytap1"}, {"hytap1", "eth1"}};
	for (size_t i = 0; i < 4; i++) {
		char want[64];

		run("tc -n %s qdisc show dev %s", ns_name[a], pairs[i][0]);
		cr_assert(strstr(out, "qdisc ingress ffff:"), "%s: %s", pairs[i][0], out);
		run("tc -n %s filter show dev %s ingress", ns_name[a], pairs[i][0]);
		snprintf(want, sizeof(want), "Egress Redirect to device %s)", pairs[i][1]);
		cr_assert(strstr(out, want), "%s: no redirect to %s:\n%s", pairs[i][0], pairs[i][1],
			  out);
	}

	/* A frame the VMM would write into the tap leaves by eth0: the peer sees it. */
	s = packet_socket(b, "peer0", &peer_ifindex);
	cr_assert_eq(ioctl(e0->tap_fd, TUNSETVNETHDRSZ, &hdr), 0);
	memset(buf, 0, VNET_HDR_LEN);
	make_frame(buf + VNET_HDR_LEN, "from the guest");
	cr_assert_eq(write(e0->tap_fd, buf, sizeof(buf)), (ssize_t)sizeof(buf), "write tap: %s",
		     strerror(errno));
	cr_assert(wait_frame(s, 0, "from the guest"), "the frame did not reach peer0");

	/* And a frame sent to eth0 comes out of the tap, toward the VMM. */
	make_frame(buf, "to the guest");
	to.sll_ifindex = peer_ifindex;
	memset(to.sll_addr, 0xff, 6);
	cr_assert_eq(sendto(s, buf, 60, 0, (struct sockaddr *)&to, sizeof(to)), 60, "send: %s",
		     strerror(errno));
	cr_assert(wait_frame(e0->tap_fd, VNET_HDR_LEN, "to the guest"),
		  "the frame did not come out of hytap0");

	cr_assert_eq(netns_unwire(ns_file[a], &w, err, sizeof(err)), 0, "%s", err);
	cr_assert(w.ifaces[0].tap_fd == -1 && w.ifaces[1].tap_fd == -1);
	assert_nothing_left(a);
	run("tc -n %s qdisc show dev eth1", ns_name[a]);
	cr_assert_null(strstr(out, "ingress"), "%s", out);
	/* The engine's interfaces are as they were. */
	run("ip -n %s -o addr show dev eth0", ns_name[a]);
	cr_assert(strstr(out, "10.88.0.5/16"), "%s", out);

	/* A second unwire finds nothing to do. */
	cr_assert_eq(netns_unwire(ns_file[a], &w, err, sizeof(err)), 0, "%s", err);
}

Test(netns, empty_namespace_wires_nothing)
{
	int a;

	need_root();
	a = ns_add();
	cr_assert_eq(netns_wire(ns_file[a], &w, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(w.nr, 0);
	cr_assert_eq(netns_unwire(ns_file[a], &w, err, sizeof(err)), 0, "%s", err);
}

Test(netns, missing_path)
{
	char path[128];

	need_root();
	snprintf(path, sizeof(path), "/run/netns/hyrun-test-%d-missing", (int)getpid());
	cr_assert_eq(netns_wire(path, &w, err, sizeof(err)), -ENOENT);
	cr_assert(strstr(err, path), "%s", err);
	cr_assert_eq(w.nr, 0);
}

Test(netns, not_a_network_namespace)
{
	char file[] = "/tmp/hyrun-test-netns-XXXXXX";
	int fd;

	need_root();
	fd = mkstemp(file);
	cr_assert(fd >= 0);
	close(fd);
	cr_assert_eq(netns_wire(file, &w, err, sizeof(err)), -EINVAL);
	unlink(file);
	cr_assert(strstr(err, file) && strstr(err, "not a network namespace"), "%s", err);
	cr_assert_eq(netns_wire("/proc/self/ns/uts", &w, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "not a network namespace"), "%s", err);
	cr_assert_eq(netns_wire("/tmp", &w, err, sizeof(err)), -EINVAL);
	cr_assert_eq(w.nr, 0);
}

Test(netns, too_many_interfaces)
{
	int a;

	need_root();
	a = ns_add();
	for (int i = 0; i < NETNS_MAX_IFACES + 1; i++) {
		sh("ip -n %s link add eth%d type veth peer name down%d", ns_name[a], i, i);
		sh("ip -n %s link set eth%d up", ns_name[a], i);
	}
	cr_assert_eq(netns_wire(ns_file[a], &w, err, sizeof(err)), -E2BIG);
	cr_assert(strstr(err, "5 interfaces") && strstr(err, "at most 4"), "%s", err);
	cr_assert_eq(w.nr, 0);
	assert_nothing_left(a);
}

Test(netns, existing_ingress_qdisc_is_left_alone)
{
	int a, b;

	need_root();
	a = ns_with_eth0(&b);
	sh("tc -n %s qdisc add dev eth0 ingress", ns_name[a]);
	sh("tc -n %s filter add dev eth0 parent ffff: prio 7 protocol ip u32 "
	   "match ip dst 10.1.2.3/32 flowid 1:1",
	   ns_name[a]);

	cr_assert_eq(netns_wire(ns_file[a], &w, err, sizeof(err)), -EEXIST);
	cr_assert(strstr(err, "eth0") && strstr(err, "ingress qdisc"), "%s", err);
	cr_assert_eq(w.nr, 0);
	run("ip -n %s -o link show", ns_name[a]);
	cr_assert_null(strstr(out, NETNS_TAP_PREFIX), "%s", out);
	run("tc -n %s qdisc show dev eth0", ns_name[a]);
	cr_assert(strstr(out, "qdisc ingress ffff:"), "%s", out);
	run("tc -n %s filter show dev eth0 ingress", ns_name[a]);
	cr_assert(strstr(out, "pref 7 u32"), "%s", out);
}

Test(netns, existing_tap_name)
{
	int a, b;

	need_root();
	a = ns_with_eth0(&b);
	sh("ip -n %s tuntap add dev hytap0 mode tap", ns_name[a]);

	cr_assert_eq(netns_wire(ns_file[a], &w, err, sizeof(err)), -EEXIST);
	cr_assert(strstr(err, "eth0") && strstr(err, "hytap0"), "%s", err);
	cr_assert_eq(w.nr, 0);
	run("tc -n %s qdisc show dev eth0", ns_name[a]);
	cr_assert_null(strstr(out, "ingress"), "%s", out);
	/* Someone else's tap stays. */
	run("ip -n %s -o link show hytap0", ns_name[a]);
	cr_assert_eq(out_status, 0);
}

Test(netns, failure_on_second_interface_undoes_the_first)
{
	int a, b;

	need_root();
	a = ns_with_eth0(&b);
	add_eth1(a);
	sh("tc -n %s qdisc add dev eth1 ingress", ns_name[a]);

	cr_assert_eq(netns_wire(ns_file[a], &w, err, sizeof(err)), -EEXIST);
	cr_assert(strstr(err, "netns: eth1: add ingress qdisc"), "%s", err);
	cr_assert_eq(w.nr, 0);
	assert_nothing_left(a);
	run("tc -n %s qdisc show dev eth1", ns_name[a]);
	cr_assert(strstr(out, "qdisc ingress ffff:"), "%s", out);
}

Test(netns, multipath_route_refused)
{
	int a, b;

	need_root();
	a = ns_with_eth0(&b);
	add_eth1(a);
	sh("ip -n %s addr add 10.88.0.5/16 dev eth0", ns_name[a]);
	sh("ip -n %s addr add 172.20.0.2/24 dev eth1", ns_name[a]);
	sh("ip -n %s route add 10.55.0.0/16 nexthop via 10.88.0.1 dev eth0 "
	   "nexthop via 172.20.0.1 dev eth1",
	   ns_name[a]);

	cr_assert_eq(netns_wire(ns_file[a], &w, err, sizeof(err)), -EOPNOTSUPP);
	cr_assert(strstr(err, "10.55.0.0/16") && strstr(err, "multipath"), "%s", err);
	cr_assert_eq(w.nr, 0);
	assert_nothing_left(a);
}

Test(netns, unwire_after_the_interfaces_and_namespace_are_gone)
{
	int a, b;

	need_root();
	a = ns_with_eth0(&b);
	cr_assert_eq(netns_wire(ns_file[a], &w, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(w.nr, 1);
	sh("ip -n %s link del eth0", ns_name[a]);
	cr_assert_eq(netns_unwire(ns_file[a], &w, err, sizeof(err)), 0, "%s", err);
	assert_nothing_left(a);

	/* Again, the namespace itself gone, from a wiring rebuilt from saved names. */
	reset(&w);
	w.nr = 1;
	strcpy(w.ifaces[0].name, "eth0");
	strcpy(w.ifaces[0].tap, "hytap0");
	w.ifaces[0].ingress_added = true;
	sh("ip netns del %s", ns_name[a]);
	cr_assert_eq(netns_unwire(ns_file[a], &w, err, sizeof(err)), 0, "%s", err);
}

Test(netns, unwire_from_saved_state_removes_a_tap_still_held)
{
	struct netns_wiring saved;
	int a, b;

	need_root();
	a = ns_with_eth0(&b);
	cr_assert_eq(netns_wire(ns_file[a], &w, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(w.nr, 1);

	/* What the runtime saved; the descriptor stays open, as in a VMM still running. */
	reset(&saved);
	saved.nr = 1;
	strcpy(saved.ifaces[0].name, w.ifaces[0].name);
	strcpy(saved.ifaces[0].tap, w.ifaces[0].tap);
	saved.ifaces[0].ingress_added = w.ifaces[0].ingress_added;
	cr_assert_eq(netns_unwire(ns_file[a], &saved, err, sizeof(err)), 0, "%s", err);
	assert_nothing_left(a);
	cr_assert(!saved.ifaces[0].ingress_added && !saved.ifaces[0].tap[0]);
}

static ino_t ino_of(const char *path)
{
	struct stat st;

	cr_assert_eq(stat(path, &st), 0, "%s: %s", path, strerror(errno));
	return st.st_ino;
}

/* Whether the link dev in namespace ns exists and has IFF_UP. */
static bool link_up(int ns, const char *dev)
{
	const char *flags_end;

	run("ip -n %s -o link show %s", ns_name[ns], dev);
	cr_assert_eq(out_status, 0, "no link %s:\n%s", dev, out);
	flags_end = strchr(out, '>');
	cr_assert_not_null(flags_end, "%s", out);
	/* <...,UP> or <...,UP,LOWER_UP> or <...,UP,M-DOWN> */
	for (const char *p = strstr(out, ",UP"); p && p < flags_end; p = strstr(p + 1, ",UP"))
		if (p[3] == ',' || p[3] == '>')
			return true;
	return false;
}

static bool has_ingress(int ns, const char *dev)
{
	run("tc -n %s qdisc show dev %s", ns_name[ns], dev);
	return strstr(out, "qdisc ingress ffff:") != NULL;
}

/* netns_standby_make(nr) into sb and sb_nsfd, the namespace bound to a name: its index. */
static int standby(size_t nr)
{
	cr_assert_eq(netns_standby_make(nr, &sb_nsfd, &sb, err, sizeof(err)), 0, "%s", err);
	return ns_bind(sb_nsfd);
}

/* A veth pair made in namespace b, its end "cni0" moved into a as eth0, the way CNI does. */
static void cni_veth(int a, int b, const char *mtu)
{
	sh("ip -n %s link add cni0 type veth peer name peer0", ns_name[b]);
	sh("ip -n %s link set cni0 netns %s", ns_name[b], ns_name[a]);
	sh("ip -n %s link set cni0 name eth0 address 02:42:ac:11:00:02 mtu %s up", ns_name[a], mtu);
	sh("ip -n %s link set peer0 address 02:42:ac:11:00:01 mtu %s up", ns_name[b], mtu);
}

Test(netns, standby_make_makes_down_taps_in_a_new_namespace)
{
	ino_t self = ino_of("/proc/thread-self/ns/net");
	struct stat st;
	int a;

	need_root();
	cr_assert_eq(netns_standby_make(3, &sb_nsfd, &sb, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(ino_of("/proc/thread-self/ns/net"), self, "the caller's namespace changed");
	cr_assert(sb_nsfd >= 0);
	cr_assert_eq(ioctl(sb_nsfd, NS_GET_NSTYPE), CLONE_NEWNET);
	cr_assert_eq(fstat(sb_nsfd, &st), 0);
	cr_assert_neq(st.st_ino, self, "not a new namespace");
	cr_assert(fcntl(sb_nsfd, F_GETFD) & FD_CLOEXEC);

	cr_assert_eq(sb.nr, 3);
	for (size_t i = 0; i < sb.nr; i++) {
		struct ifreq ifr = {0};
		char want[IF_NAMESIZE];

		snprintf(want, sizeof(want), "hytap%u", (unsigned)i);
		cr_assert_str_eq(sb.ifaces[i].tap, want);
		cr_assert_str_eq(sb.ifaces[i].name, "");
		cr_assert_eq(sb.ifaces[i].mtu, 0);
		cr_assert(sb.ifaces[i].tap_fd >= 0);
		cr_assert(fcntl(sb.ifaces[i].tap_fd, F_GETFD) & FD_CLOEXEC);
		cr_assert_eq(ioctl(sb.ifaces[i].tap_fd, TUNGETIFF, &ifr), 0);
		cr_assert_str_eq(ifr.ifr_name, want);
		cr_assert_eq(ifr.ifr_flags & (IFF_TAP | IFF_TUN | IFF_NO_PI | IFF_VNET_HDR),
			     IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, "flags %#x", ifr.ifr_flags);
		cr_assert_eq(ifr.ifr_flags & IFF_PERSIST, 0, "persistent");
	}
	cr_assert_eq(sb.ifaces[3].tap_fd, -1);

	/* In the namespace: lo and the three taps, all down. */
	a = ns_bind(sb_nsfd);
	run("ip -n %s -o link show | wc -l", ns_name[a]);
	cr_assert_eq(atoi(out), 4, "%s", out);
	cr_assert(!link_up(a, "lo"));
	cr_assert(!link_up(a, "hytap0") && !link_up(a, "hytap1") && !link_up(a, "hytap2"));
}

Test(netns, standby_make_refuses_a_bad_count)
{
	need_root();
	cr_assert_eq(netns_standby_make(0, &sb_nsfd, &sb, err, sizeof(err)), -EINVAL);
	cr_assert_eq(sb_nsfd, -1);
	cr_assert_eq(netns_standby_make(NETNS_MAX_IFACES + 1, &sb_nsfd, &sb, err, sizeof(err)),
		     -EINVAL);
	cr_assert(strstr(err, "5 NICs"), "%s", err);
	cr_assert_eq(sb_nsfd, -1);
	cr_assert_eq(sb.nr, 0);
}

Test(netns, wire_standby_without_interfaces_wires_nothing)
{
	int a;

	need_root();
	a = standby(1);
	cr_assert_eq(netns_wire_standby(ns_file[a], 1, &w, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(w.nr, 0);
	cr_assert(!link_up(a, "hytap0"));
}

Test(netns, wire_standby_joins_a_veth_that_came_after)
{
	int a, b, peer_ifindex = 0, hdr = VNET_HDR_LEN, s, tap_fd;
	const struct netns_iface *e0 = &w.ifaces[0];
	uint8_t buf[VNET_HDR_LEN + 60];
	struct sockaddr_ll to = {.sll_family = AF_PACKET, .sll_halen = 6};

	need_root();
	a = standby(2);
	b = ns_add();
	cni_veth(a, b, "1400");
	sh("ip -n %s addr add 10.88.0.5/16 dev eth0", ns_name[a]);
	sh("ip -n %s route add default via 10.88.0.1 dev eth0", ns_name[a]);

	cr_assert_eq(netns_wire_standby(ns_file[a], 2, &w, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(w.nr, 1);
	cr_assert_str_eq(e0->name, "eth0");
	cr_assert_arr_eq(e0->mac, ((uint8_t[]){0x02, 0x42, 0xac, 0x11, 0x00, 0x02}), 6);
	cr_assert_eq(e0->mtu, 1400);
	cr_assert_eq(e0->nr_addrs, 1);
	cr_assert(has_addr(e0, "10.88.0.5/16"));
	cr_assert_eq(e0->nr_routes, 1);
	cr_assert(route_to(e0, "0.0.0.0/0")->has_gateway);
	cr_assert_str_eq(e0->tap, "hytap0");
	cr_assert_eq(e0->tap_fd, -1);
	cr_assert(e0->ingress_added);

	/* The tap took the veth's MTU and is up; the spare one is as it was. */
	cr_assert(link_up(a, "hytap0"));
	cr_assert(strstr(out, "mtu 1400 "), "%s", out);
	cr_assert(!link_up(a, "hytap1"));
	const char *pairs[][2] = {{"eth0", "hytap0"}, {"hytap0", "eth0"}};
	for (size_t i = 0; i < 2; i++) {
		char want[64];

		cr_assert(has_ingress(a, pairs[i][0]), "%s: %s", pairs[i][0], out);
		run("tc -n %s filter show dev %s ingress", ns_name[a], pairs[i][0]);
		snprintf(want, sizeof(want), "Egress Redirect to device %s)", pairs[i][1]);
		cr_assert(strstr(out, "u32") && strstr(out, want), "%s: no redirect to %s:\n%s",
			  pairs[i][0], pairs[i][1], out);
	}
	cr_assert(!has_ingress(a, "hytap1"));

	/* Frames pass both ways through the tap the VMM would hold since boot. */
	tap_fd = sb.ifaces[0].tap_fd;
	s = packet_socket(b, "peer0", &peer_ifindex);
	cr_assert_eq(ioctl(tap_fd, TUNSETVNETHDRSZ, &hdr), 0);
	memset(buf, 0, VNET_HDR_LEN);
	make_frame(buf + VNET_HDR_LEN, "from the guest");
	cr_assert_eq(write(tap_fd, buf, sizeof(buf)), (ssize_t)sizeof(buf), "write tap: %s",
		     strerror(errno));
	cr_assert(wait_frame(s, 0, "from the guest"), "the frame did not reach peer0");
	make_frame(buf, "to the guest");
	to.sll_ifindex = peer_ifindex;
	memset(to.sll_addr, 0xff, 6);
	cr_assert_eq(sendto(s, buf, 60, 0, (struct sockaddr *)&to, sizeof(to)), 60, "send: %s",
		     strerror(errno));
	cr_assert(wait_frame(tap_fd, VNET_HDR_LEN, "to the guest"),
		  "the frame did not come out of hytap0");
}

/* Nothing of a failed netns_wire_standby() is left: no qdisc on eth0 or the taps, taps down. */
static void assert_standby_as_made(int a, size_t nr_taps)
{
	cr_assert_eq(w.nr, 0);
	cr_assert(!has_ingress(a, "eth0"), "an ingress qdisc is left on eth0:\n%s", out);
	for (size_t i = 0; i < nr_taps; i++) {
		char tap[IF_NAMESIZE];

		snprintf(tap, sizeof(tap), "hytap%u", (unsigned)i);
		cr_assert(!link_up(a, tap), "%s is up:\n%s", tap, out);
		cr_assert(!has_ingress(a, tap), "an ingress qdisc is left on %s:\n%s", tap, out);
	}
}

Test(netns, wire_standby_refuses_more_interfaces_than_standby_nics)
{
	int a, b;

	need_root();
	a = standby(1);
	b = ns_add();
	cni_veth(a, b, "1500");
	add_eth1(a);

	cr_assert_eq(netns_wire_standby(ns_file[a], 1, &w, err, sizeof(err)), -E2BIG);
	cr_assert(strstr(err, "2 interfaces") && strstr(err, "1 standby NIC"), "%s", err);
	assert_standby_as_made(a, 1);
	cr_assert(!has_ingress(a, "eth1"));
}

Test(netns, wire_standby_missing_tap)
{
	int a, b;

	need_root();
	a = standby(1);
	b = ns_add();
	cni_veth(a, b, "1500");
	add_eth1(a);

	/* The VM says 2, the namespace has 1: eth0 is joined, then eth1 finds no hytap1. */
	cr_assert_eq(netns_wire_standby(ns_file[a], 2, &w, err, sizeof(err)), -ENODEV);
	cr_assert(strstr(err, "netns: eth1: ") && strstr(err, "hytap1"), "%s", err);
	assert_standby_as_made(a, 1);
	cr_assert(!has_ingress(a, "eth1"));
}

Test(netns, wire_standby_failure_puts_the_taps_back_down)
{
	int a, b;

	need_root();
	a = standby(2);
	b = ns_add();
	cni_veth(a, b, "1500");
	add_eth1(a);
	sh("tc -n %s qdisc add dev eth1 ingress", ns_name[a]);

	cr_assert_eq(netns_wire_standby(ns_file[a], 2, &w, err, sizeof(err)), -EEXIST);
	cr_assert(strstr(err, "netns: eth1: add ingress qdisc"), "%s", err);
	assert_standby_as_made(a, 2);
	/* Someone else's qdisc stays; the taps are the VMM's and stay too. */
	cr_assert(has_ingress(a, "eth1"));
	cr_assert(sb.ifaces[0].tap_fd >= 0 && sb.ifaces[1].tap_fd >= 0);

	/* Once the other qdisc is gone, a second try wires both. */
	sh("tc -n %s qdisc del dev eth1 ingress", ns_name[a]);
	cr_assert_eq(netns_wire_standby(ns_file[a], 2, &w, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(w.nr, 2);
	cr_assert(link_up(a, "hytap1"));
	cr_assert(strstr(out, "mtu 9000 "), "%s", out);
}

Test(netns, wire_never_takes_a_tap_name_for_an_interface)
{
	int a, b;

	need_root();
	a = ns_with_eth0(&b);
	/* Up and Ethernet, but named like our taps. */
	sh("ip -n %s link add hytap5 type veth peer name down5", ns_name[a]);
	sh("ip -n %s link set hytap5 up", ns_name[a]);

	cr_assert_eq(netns_wire(ns_file[a], &w, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(w.nr, 1);
	cr_assert_str_eq(w.ifaces[0].name, "eth0");
	cr_assert_str_eq(w.ifaces[0].tap, "hytap0");
	cr_assert_eq(netns_unwire(ns_file[a], &w, err, sizeof(err)), 0, "%s", err);
	cr_assert(link_up(a, "hytap5"), "%s", out);

	/* A tap by the name netns_wire() would make is still refused. */
	sh("ip -n %s tuntap add dev hytap0 mode tap", ns_name[a]);
	sh("ip -n %s link set hytap0 up", ns_name[a]);
	cr_assert_eq(netns_wire(ns_file[a], &w, err, sizeof(err)), -EEXIST);
	cr_assert(strstr(err, "netns: eth0: make tap hytap0"), "%s", err);
	cr_assert_eq(w.nr, 0);
	cr_assert(!has_ingress(a, "eth0"));
}
