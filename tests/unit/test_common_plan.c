/* test_common_plan.c: the VM plan's options, parsed and rendered (common/plan.c). */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/plan.h"

Test(plan, names)
{
	cr_assert(plan_name_valid("rootfs", PLAN_TAG_MAX));
	cr_assert(plan_name_valid("m12", PLAN_TAG_MAX));
	cr_assert(plan_name_valid("a.b_c-d", PLAN_TAG_MAX));
	cr_assert_not(plan_name_valid("", PLAN_TAG_MAX));
	cr_assert_not(plan_name_valid(".", PLAN_TAG_MAX));
	cr_assert_not(plan_name_valid("..", PLAN_TAG_MAX));
	cr_assert_not(plan_name_valid("a/b", PLAN_TAG_MAX));
	cr_assert_not(plan_name_valid("a b", PLAN_TAG_MAX));
	cr_assert_not(plan_name_valid("a=b", PLAN_TAG_MAX));
	cr_assert_not(plan_name_valid("abcdefghij", 9));
	cr_assert(plan_name_valid("abcdefghi", 9));
}

Test(plan, share)
{
	char arg1[] = "rootfs=/srv/root", arg2[] = "m3=/data:ro", arg3[] = "x=/odd:ro:rw";
	struct plan_share s;
	char err[256];

	cr_assert_eq(plan_parse_share(arg1, &s, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(s.tag, "rootfs");
	cr_assert_str_eq(s.dir, "/srv/root");
	cr_assert_not(s.readonly);
	cr_assert_eq(plan_parse_share(arg2, &s, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(s.tag, "m3");
	cr_assert_str_eq(s.dir, "/data");
	cr_assert(s.readonly);
	/* A directory that ends in ":ro" is written with ":rw" after it. */
	cr_assert_eq(plan_parse_share(arg3, &s, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(s.dir, "/odd:ro");
	cr_assert_not(s.readonly);
}

static void share_fails(const char *arg, const char *want)
{
	char copy[256], err[256] = "";
	struct plan_share s;

	strcpy(copy, arg);
	cr_assert_eq(plan_parse_share(copy, &s, err, sizeof(err)), -EINVAL, "'%s' accepted", arg);
	cr_assert(strstr(err, want), "'%s': message '%s' lacks '%s'", arg, err, want);
	cr_assert(strstr(err, "--share"), "'%s': message '%s' does not name the option", arg, err);
}

Test(plan, share_refused)
{
	share_fails("/no/tag", "TAG=DIR");
	share_fails("=/dir", "tag");
	share_fails("a/b=/dir", "tag");
	share_fails("tag=", "no directory");
	share_fails("0123456789012345678901234567890123456=/d", "tag");
}

Test(plan, file)
{
	struct plan_file f;
	char err[256] = "";

	cr_assert_eq(plan_parse_file("3=/etc/hosts", &f, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(f.name, "3");
	cr_assert_str_eq(f.path, "/etc/hosts");
	cr_assert_eq(plan_parse_file("../x=/etc/hosts", &f, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "--file"), "%s", err);
	cr_assert_eq(plan_parse_file("x", &f, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "NAME=FILE"), "%s", err);
}

Test(plan, size)
{
	uint64_t v;

	cr_assert_eq(plan_parse_size("4096", &v), 0);
	cr_assert_eq(v, 4096);
	cr_assert_eq(plan_parse_size("256M", &v), 0);
	cr_assert_eq(v, 256ULL << 20);
	cr_assert_eq(plan_parse_size("2g", &v), 0);
	cr_assert_eq(v, 2ULL << 30);
	cr_assert_eq(plan_parse_size("8k", &v), 0);
	cr_assert_eq(v, 8192);
	cr_assert_eq(plan_parse_size("", &v), -EINVAL);
	cr_assert_eq(plan_parse_size("-1", &v), -EINVAL);
	cr_assert_eq(plan_parse_size("1T", &v), -EINVAL);
	cr_assert_eq(plan_parse_size("1MB", &v), -EINVAL);
	cr_assert_eq(plan_parse_size("99999999999999999999", &v), -ERANGE);
	cr_assert_eq(plan_parse_size("17179869184G", &v), -ERANGE);
}

static int find(char **argv, const char *opt)
{
	for (int i = 0; argv[i]; i++)
		if (strcmp(argv[i], opt) == 0)
			return i;
	return -1;
}

/* What plan_to_argv() renders, the parsers read back. */
Test(plan, argv_round_trip)
{
	struct plan_file files[2] = {{"0", "/.hyrun-binds/0"}, {"7", "/x y/file"}};
	struct vm_plan p = {
	    .kernel = "/kernel",
	    .initrd = "/initrd",
	    .mem = 384ULL << 20,
	    .cpus = 2,
	    .files = files,
	    .nr_files = 2,
	    .guest_config = "/guest-config.json",
	    .control_fd = 5,
	    .ready_fd = 6,
	    .tty = true,
	};
	struct plan_share s;
	struct plan_file f;
	char err[256], copy[512];
	char **argv;
	uint64_t mem;
	int i;

	p.shares[0] = (struct plan_share){"rootfs", "/rootfs", true};
	p.shares[1] = (struct plan_share){"m1", "/dir:ro", false};
	p.nr_shares = 2;
	argv = plan_to_argv(&p, "hyrun-vmm");
	cr_assert(argv);
	cr_assert_str_eq(argv[0], "hyrun-vmm");
	cr_assert_str_eq(argv[find(argv, "--kernel") + 1], "/kernel");
	cr_assert_str_eq(argv[find(argv, "--initrd") + 1], "/initrd");
	cr_assert_eq(plan_parse_size(argv[find(argv, "--mem") + 1], &mem), 0);
	cr_assert_eq(mem, p.mem);
	cr_assert_str_eq(argv[find(argv, "--cpus") + 1], "2");
	cr_assert_str_eq(argv[find(argv, "--guest-config") + 1], "/guest-config.json");
	cr_assert_str_eq(argv[find(argv, "--control-fd") + 1], "5");
	cr_assert_str_eq(argv[find(argv, "--ready-fd") + 1], "6");
	cr_assert_geq(find(argv, "--tty"), 0);
	cr_assert_lt(find(argv, "--debug"), 0);
	cr_assert_lt(find(argv, "--cmdline"), 0);

	i = find(argv, "--share");
	strcpy(copy, argv[i + 1]);
	cr_assert_eq(plan_parse_share(copy, &s, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(s.tag, "rootfs");
	cr_assert_str_eq(s.dir, "/rootfs");
	cr_assert(s.readonly);
	cr_assert_str_eq(argv[i + 2], "--share");
	strcpy(copy, argv[i + 3]);
	cr_assert_eq(plan_parse_share(copy, &s, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(s.tag, "m1");
	cr_assert_str_eq(s.dir, "/dir:ro");
	cr_assert_not(s.readonly);

	i = find(argv, "--file");
	cr_assert_eq(plan_parse_file(argv[i + 1], &f, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(f.path, "/.hyrun-binds/0");
	cr_assert_eq(plan_parse_file(argv[i + 3], &f, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(f.name, "7");
	cr_assert_str_eq(f.path, "/x y/file");
	free(argv);
}

Test(plan, argv_refuses_a_bad_plan)
{
	struct vm_plan p = {
	    .kernel = "/k", .mem = 256ULL << 20, .cpus = 1, .control_fd = -1, .ready_fd = -1};
	char **argv;

	argv = plan_to_argv(&p, "hyrun-vmm");
	cr_assert(argv);
	cr_assert_lt(find(argv, "--initrd"), 0);
	cr_assert_lt(find(argv, "--control-fd"), 0);
	free(argv);

	p.cpus = PLAN_MAX_VCPUS + 1;
	cr_assert_null(plan_to_argv(&p, "hyrun-vmm"));
	cr_assert_eq(errno, EINVAL);
	p.cpus = 1;
	p.mem = PLAN_MIN_MEM - 4096;
	cr_assert_null(plan_to_argv(&p, "hyrun-vmm"));
	p.mem = PLAN_MIN_MEM + 1;
	cr_assert_null(plan_to_argv(&p, "hyrun-vmm"));
	p.mem = PLAN_MIN_MEM;
	p.shares[0] = (struct plan_share){"bad/tag", "/d", false};
	p.nr_shares = 1;
	cr_assert_null(plan_to_argv(&p, "hyrun-vmm"));
}

Test(plan, net)
{
	struct plan_nic n;
	char err[256];
	char mac[18];

	cr_assert_eq(plan_parse_net("fd=5,mac=02:42:AC:11:00:02", &n, err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(n.fd, 5);
	cr_assert_eq(n.mtu, 0);
	plan_format_mac(n.mac, mac);
	cr_assert_str_eq(mac, "02:42:ac:11:00:02");
	cr_assert_eq(plan_parse_net("mtu=9000,mac=02:00:00:00:00:01,fd=7", &n, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(n.fd, 7);
	cr_assert_eq(n.mtu, 9000);
	cr_assert_eq(n.mac[5], 1);
}

Test(plan, net_refused)
{
	static const char *const bad[] = {
	    "",
	    "fd=5",
	    "mac=02:00:00:00:00:01",
	    "fd=2,mac=02:00:00:00:00:01",
	    "fd=-5,mac=02:00:00:00:00:01",
	    "fd=5x,mac=02:00:00:00:00:01",
	    "fd=99999999999,mac=02:00:00:00:00:01",
	    "fd=5,mac=03:00:00:00:00:01",
	    "fd=5,mac=02:00:00:00:00",
	    "fd=5,mac=02:00:00:00:00:01:02",
	    "fd=5,mac=02-00-00-00-00-01",
	    "fd=5,mac=0g:00:00:00:00:01",
	    "fd=5,mac=02:00:00:00:00:01,mtu=67",
	    "fd=5,mac=02:00:00:00:00:01,mtu=65536",
	    "fd=5,mac=02:00:00:00:00:01,mtu=",
	    "fd=5,fd=6,mac=02:00:00:00:00:01",
	    "fd=5,mac=02:00:00:00:00:01,speed=10",
	    "fd=5,,mac=02:00:00:00:00:01",
	    "fd=5,mac=02:00:00:00:00:01,",
	};
	struct plan_nic n;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		cr_assert_eq(plan_parse_net(bad[i], &n, err, sizeof(err)), -EINVAL, "'%s' accepted",
			     bad[i]);
		cr_assert(strstr(err, "--net"), "'%s': %s", bad[i], err);
	}
}

Test(plan, argv_nics)
{
	struct vm_plan p = {
	    .kernel = "/k", .mem = 256ULL << 20, .cpus = 1, .control_fd = -1, .ready_fd = -1};
	struct plan_nic n;
	char err[256];
	char **argv;
	int i;

	p.nics[0] = (struct plan_nic){.fd = 9, .mac = {2, 0x42, 0xac, 0x11, 0, 2}, .mtu = 1500};
	p.nics[1] = (struct plan_nic){.fd = 10, .mac = {2, 0, 0, 0, 0, 0xfe}};
	p.nr_nics = 2;
	argv = plan_to_argv(&p, "hyrun-vmm");
	cr_assert(argv);
	i = find(argv, "--net");
	cr_assert_geq(i, 0);
	cr_assert_str_eq(argv[i + 1], "fd=9,mac=02:42:ac:11:00:02,mtu=1500");
	cr_assert_eq(plan_parse_net(argv[i + 1], &n, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(memcmp(&n, &p.nics[0], sizeof(n)), 0);
	cr_assert_str_eq(argv[i + 2], "--net");
	cr_assert_eq(plan_parse_net(argv[i + 3], &n, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(memcmp(&n, &p.nics[1], sizeof(n)), 0);
	free(argv);

	p.nics[1].mac[0] = 1; /* multicast */
	cr_assert_null(plan_to_argv(&p, "hyrun-vmm"));
	p.nics[1].mac[0] = 2;
	p.nics[1].fd = 1;
	cr_assert_null(plan_to_argv(&p, "hyrun-vmm"));
	p.nics[1].fd = 10;
	p.nr_shares = PLAN_MAX_DEVICES - 2; /* with two NICs: one device too many */
	for (size_t s = 0; s < p.nr_shares; s++)
		p.shares[s] = (struct plan_share){"t", "/d", false};
	cr_assert_null(plan_to_argv(&p, "hyrun-vmm"));
	p.nr_shares--;
	argv = plan_to_argv(&p, "hyrun-vmm");
	cr_assert(argv);
	free(argv);
}
