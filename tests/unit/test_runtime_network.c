/* test_runtime_network.c: what hyrun create decides from the spec's network namespace, and
 * what it records for hyrun delete (runtime/network.c), on a namespace the test makes. */
#include <criterion/criterion.h>

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/network.h"

static char ns_name[64], ns_path[128], dir[64];
static int dirfd_ = -1;
static char err[512];

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static void setup(void)
{
	snprintf(ns_name, sizeof(ns_name), "hyrun-rtnet-%d", (int)getpid());
	snprintf(ns_path, sizeof(ns_path), "/run/netns/%s", ns_name);
	snprintf(dir, sizeof(dir), "/tmp/hyrun-rtnet-XXXXXX");
	cr_assert(mkdtemp(dir));
	dirfd_ = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(dirfd_, 0);
	err[0] = '\0';
}

static void teardown(void)
{
	sh("ip netns del %s 2>/dev/null", ns_name);
	sh("rm -rf %s", dir);
	if (dirfd_ >= 0)
		close(dirfd_);
}

TestSuite(runtime_network, .init = setup, .fini = teardown, .timeout = 30);

static void need_root(void)
{
	if (geteuid() != 0 || access("/dev/net/tun", R_OK | W_OK) != 0)
		cr_skip_test("needs root and /dev/net/tun");
}

/* A spec without a network namespace would share the host's: refused. */
Test(runtime_network, host_network_refused)
{
	struct oci_linux l = {0};
	struct rt_network net;

	cr_assert_eq(network_wire(&net, &l, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "host's network"), "%s", err);
	cr_assert_null(net.path);
}

/* A new namespace (no path), as root: one of the runtime's own with a standby tap, recorded
 * as such; delete has nothing to undo (it all goes with the VMM). Not root: loopback only. */
Test(runtime_network, new_namespace_gets_standby_nics)
{
	struct oci_linux l = {0};
	struct rt_network net;
	char buf[64];
	ssize_t n;
	int fd;

	l.ns[OCI_NS_NETWORK].enabled = true;
	cr_assert_eq(network_wire(&net, &l, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(network_save(&net, dirfd_, err, sizeof(err)), 0, "%s", err);
	if (geteuid() != 0) {
		cr_assert_eq(net.nr_standby, 0);
		cr_assert_eq(net.w.nr, 0);
		cr_assert_eq(faccessat(dirfd_, HY_NETWORK_FILE, F_OK, 0), -1, "a network file");
		return;
	}
	cr_assert_eq(net.nr_standby, RT_STANDBY_NICS);
	cr_assert_eq(net.w.nr, RT_STANDBY_NICS);
	cr_assert_geq(net.w.ifaces[0].tap_fd, 0);
	cr_assert_geq(net.standby_nsfd, 0);
	/* Locally administered unicast MACs. */
	cr_assert_eq(net.standby[0].mac[0] & 3, 2);
	snprintf(buf, sizeof(buf), "/proc/self/fd/%d", net.standby_nsfd);
	cr_assert_str_eq(net.standby_path, buf);
	fd = openat(dirfd_, HY_NETWORK_FILE, O_RDONLY);
	cr_assert_geq(fd, 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	cr_assert_gt(n, 0);
	buf[n] = '\0';
	cr_assert_str_eq(buf, "standby 1\n");
	cr_assert_eq(network_unwire_saved(dirfd_, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(network_unwire(&net, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(net.nr_standby, 0);
	cr_assert_eq(net.standby_nsfd, -1);
}

/* hyrun start: what an engine put in the standby namespace since create (a veth, as a
 * CNI plugin would) is wired to the standby tap, and described for the guest; a failed
 * start takes the wiring back and leaves the tap. The "VMM" is a child in the namespace. */
Test(runtime_network, wired_at_start)
{
	struct oci_linux l = {0};
	struct rt_network net, started;
	char *config = NULL, path[64];
	pid_t child;

	need_root();
	l.ns[OCI_NS_NETWORK].enabled = true;
	cr_assert_eq(network_wire(&net, &l, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(network_save(&net, dirfd_, err, sizeof(err)), 0, "%s", err);
	child = fork();
	cr_assert_geq(child, 0);
	if (child == 0) {
		/* Gone with the test, even when an assertion ends it early. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 ||
		    setns(net.standby_nsfd, CLONE_NEWNET) < 0)
			_exit(1);
		pause();
		_exit(0);
	}
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)child);
	for (int i = 0; i < 100; i++) {
		int a = open(path, O_RDONLY), b = open("/proc/self/ns/net", O_RDONLY);
		struct stat sa, sb;

		fstat(a, &sa);
		fstat(b, &sb);
		close(a);
		close(b);
		if (sa.st_ino != sb.st_ino)
			break;
		usleep(10000);
	}
	/* Nothing appeared yet: an empty network for the guest. */
	cr_assert_eq(network_wire_start(dirfd_, child, &started, &config, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_not_null(config);
	cr_assert_null(strstr(config, "eth0"), "%s", config);
	free(config);
	config = NULL;
	cr_assert_eq(network_unwire_start(&started, err, sizeof(err)), 0, "%s", err);

	cr_assert_eq(sh("ip link add hyrtnet%d mtu 1450 type veth peer name hyrtpeer%d mtu 1450 && "
			"ip link set hyrtpeer%d netns %d && nsenter --net=%s sh -c 'ip link set "
			"hyrtpeer%d name eth0 && ip addr add 10.213.8.2/24 dev eth0 && ip link set "
			"eth0 up'",
			(int)getpid() % 10000, (int)getpid() % 10000, (int)getpid() % 10000,
			(int)child, path, (int)getpid() % 10000),
		     0);
	cr_assert_eq(network_wire_start(dirfd_, child, &started, &config, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(started.w.nr, 1);
	cr_assert_not_null(strstr(config, "\"eth0\""), "%s", config);
	cr_assert_not_null(strstr(config, "10.213.8.2/24"), "%s", config);
	cr_assert_not_null(strstr(config, "1450"), "%s", config);
	cr_assert_eq(sh("nsenter --net=%s tc qdisc show dev eth0 | grep -q ingress", path), 0);
	cr_assert_eq(sh("nsenter --net=%s ip link show hytap0 | grep -q 'mtu 1450'", path), 0);
	free(config);
	/* The start failed after it: the filters go, the tap stays. */
	cr_assert_eq(network_unwire_start(&started, err, sizeof(err)), 0, "%s", err);
	cr_assert_neq(sh("nsenter --net=%s tc qdisc show | grep -q ingress", path), 0);
	cr_assert_eq(sh("nsenter --net=%s ip link show hytap0 >/dev/null", path), 0);

	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	sh("ip link del hyrtnet%d 2>/dev/null", (int)getpid() % 10000);
	cr_assert_eq(network_unwire(&net, err, sizeof(err)), 0, "%s", err);
}

/* No standby NICs recorded (a namespace with a path, or none): start has nothing to do. */
Test(runtime_network, start_without_standby)
{
	struct rt_network started;
	char *config = (char *)"x";

	cr_assert_eq(network_wire_start(dirfd_, getpid(), &started, &config, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_null(config);
	cr_assert_eq(network_unwire_start(&started, err, sizeof(err)), 0, "%s", err);
}

/* What create wires, saved; delete (another process) undoes it from the file alone. */
Test(runtime_network, wire_save_unwire_saved)
{
	struct oci_linux l = {0};
	struct rt_network net;
	char buf[512], mac[18], want[256];
	ssize_t n;
	FILE *f;
	int fd;

	need_root();
	/* The peer stays down: netns_wire() skips it. */
	cr_assert_eq(
	    sh("ip netns add %s && ip -n %s link add eth0 mtu 1400 type veth peer name "
	       "peer0 && ip -n %s addr add 10.213.9.2/24 dev eth0 && ip -n %s link set eth0 "
	       "up",
	       ns_name, ns_name, ns_name, ns_name),
	    0);
	l.ns[OCI_NS_NETWORK].enabled = true;
	l.ns[OCI_NS_NETWORK].path = ns_path;
	cr_assert_eq(network_wire(&net, &l, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(net.w.nr, 1);
	cr_assert_str_eq(net.nics[0].name, "eth0");
	cr_assert_eq(net.nics[0].mtu, 1400);
	cr_assert_eq(net.nics[0].nr_addresses, 1);
	snprintf(buf, sizeof(buf), "ip netns exec %s cat /sys/class/net/eth0/address", ns_name);
	f = popen(buf, "r");
	cr_assert(f && fgets(mac, sizeof(mac), f));
	pclose(f);
	cr_assert_eq(memcmp(net.nics[0].mac, net.w.ifaces[0].mac, 6), 0);
	{
		char got[18];

		plan_format_mac(net.nics[0].mac, got);
		cr_assert_str_eq(got, mac);
	}

	cr_assert_eq(network_save(&net, dirfd_, err, sizeof(err)), 0, "%s", err);
	fd = openat(dirfd_, HY_NETWORK_FILE, O_RDONLY);
	cr_assert_geq(fd, 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	cr_assert_gt(n, 0);
	buf[n] = '\0';
	snprintf(want, sizeof(want), "netns %s\niface eth0 hytap0 1\n", ns_path);
	cr_assert_str_eq(buf, want);

	/* The VMM's copy of the tap is gone with the VMM: only the file remains. */
	close(net.w.ifaces[0].tap_fd);
	net.w.ifaces[0].tap_fd = -1;
	cr_assert_eq(network_unwire_saved(dirfd_, err, sizeof(err)), 0, "%s", err);
	cr_assert_neq(sh("ip -n %s link show hytap0 >/dev/null 2>&1", ns_name), 0, "tap left");
	cr_assert_neq(sh("tc -n %s qdisc show dev eth0 | grep -q ingress", ns_name), 0,
		      "qdisc left");
	/* The engine's interface is left as it was. */
	cr_assert_eq(sh("ip -n %s -o addr show eth0 | grep -q 10.213.9.2/24", ns_name), 0);
	/* Twice, or after the engine removed the namespace: nothing to do. */
	cr_assert_eq(network_unwire_saved(dirfd_, err, sizeof(err)), 0, "%s", err);
	sh("ip netns del %s", ns_name);
	cr_assert_eq(network_unwire_saved(dirfd_, err, sizeof(err)), 0, "%s", err);
}

Test(runtime_network, bad_saved_file)
{
	static const char *const bad[] = {
	    "iface eth0 hytap0 1\n",
	    "netns /run/netns/x\niface eth0\n",
	    "netns /run/netns/x\nsomething else\n",
	    "standby 0\n",
	    "standby 99\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int fd = openat(dirfd_, HY_NETWORK_FILE, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		cr_assert_geq(fd, 0);
		cr_assert_eq(write(fd, bad[i], strlen(bad[i])), (ssize_t)strlen(bad[i]));
		close(fd);
		err[0] = '\0';
		cr_assert_eq(network_unwire_saved(dirfd_, err, sizeof(err)), -EINVAL, "'%s'",
			     bad[i]);
		cr_assert(strstr(err, HY_NETWORK_FILE), "%s", err);
	}
}
