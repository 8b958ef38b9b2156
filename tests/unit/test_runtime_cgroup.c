/* test_runtime_cgroup.c: cgroup paths and values; real groups where /sys/fs/cgroup is writable.
 * The VMM's device rules are tried by a child in the group on device nodes the test makes. */
#include <criterion/criterion.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/bpf.h>

#include "common/devfilter.h"
#include "runtime/cgroup.h"

static char err[1024];

static const struct cg_limits no_limits = {
    .memory_limit = -1, .memory_swap = -1, .pids_limit = -1, .cpu_quota = -1};

Test(runtime_cgroup, resolve)
{
	char out[PATH_MAX];

	cr_assert_eq(cgroup_resolve(NULL, "c1", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "/hyrun/c1");
	cr_assert_eq(cgroup_resolve("", "c1", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "/hyrun/c1");
	cr_assert_eq(cgroup_resolve("a/b", "c1", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "/hyrun/a/b");
	cr_assert_eq(cgroup_resolve("/machine//libpod-1/", "c1", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "/machine/libpod-1");
	/* What cgroup_path() gives back names the same group again. */
	cr_assert_eq(cgroup_resolve("/hyrun/c1", "other", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "/hyrun/c1");

	cr_assert_eq(cgroup_resolve("/a/../b", "c1", out, sizeof(out)), -EINVAL);
	cr_assert_eq(cgroup_resolve("./b", "c1", out, sizeof(out)), -EINVAL);
	cr_assert_eq(cgroup_resolve("/", "c1", out, sizeof(out)), -EINVAL);
	cr_assert_eq(cgroup_resolve(NULL, "a/b", out, sizeof(out)), -EINVAL);
	cr_assert_eq(cgroup_resolve(NULL, "..", out, sizeof(out)), -EINVAL);
	cr_assert_eq(cgroup_resolve(NULL, "", out, sizeof(out)), -EINVAL);
	cr_assert_eq(cgroup_resolve("/abcdefgh", "c1", out, 8), -ENAMETOOLONG);
}

Test(runtime_cgroup, shares_to_weight)
{
	cr_assert_eq(cgroup_shares_to_weight(0), 0);
	cr_assert_eq(cgroup_shares_to_weight(1), 1);
	cr_assert_eq(cgroup_shares_to_weight(2), 1);
	cr_assert_eq(cgroup_shares_to_weight(1024), 39);
	cr_assert_eq(cgroup_shares_to_weight(262144), 10000);
	cr_assert_eq(cgroup_shares_to_weight(1000000), 10000);
}

Test(runtime_cgroup, cpu_max)
{
	char buf[64];

	cr_assert_eq(cgroup_format_cpu_max(50000, 100000, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "50000 100000");
	cr_assert_eq(cgroup_format_cpu_max(20000, 0, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "20000 100000");
	cr_assert_eq(cgroup_format_cpu_max(-1, 250000, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "max 250000");
	cr_assert_eq(cgroup_format_cpu_max(50000, 100000, buf, 5), -ENAMETOOLONG);
}

Test(runtime_cgroup, swap_v2)
{
	int64_t v;

	cr_assert_eq(cgroup_swap_v2(-1, -1, &v), 0);
	cr_assert_eq(v, -1);
	cr_assert_eq(cgroup_swap_v2(100, 300, &v), 0);
	cr_assert_eq(v, 200);
	cr_assert_eq(cgroup_swap_v2(100, 100, &v), 0);
	cr_assert_eq(v, 0);
	cr_assert_eq(cgroup_swap_v2(100, 50, &v), -EINVAL);
	cr_assert_eq(cgroup_swap_v2(-1, 100, &v), -EINVAL);
}

Test(runtime_cgroup, mountinfo)
{
	char mnt[PATH_MAX];

	cr_assert_eq(cgroup_parse_mountinfo("33 25 0:28 / /sys/fs/cgroup/memory rw,nosuid,nodev,"
					    "noexec,relatime shared:14 - cgroup cgroup rw,memory\n",
					    mnt, sizeof(mnt)),
		     CG_CTRL_MEMORY);
	cr_assert_str_eq(mnt, "/sys/fs/cgroup/memory");
	/* No optional fields, co-mounted controllers, an escaped space. */
	cr_assert_eq(cgroup_parse_mountinfo("34 25 0:29 / /sys/fs/cgroup/cpu\\040x rw - cgroup "
					    "cgroup rw,cpu,cpuacct",
					    mnt, sizeof(mnt)),
		     CG_CTRL_CPU | CG_CTRL_CPUACCT);
	cr_assert_str_eq(mnt, "/sys/fs/cgroup/cpu x");
	cr_assert_eq(cgroup_parse_mountinfo("35 25 0:30 / /sys/fs/cgroup/systemd rw shared:9 - "
					    "cgroup cgroup rw,xattr,name=systemd",
					    mnt, sizeof(mnt)),
		     0);
	cr_assert_eq(cgroup_parse_mountinfo("36 25 0:31 / /sys/fs/cgroup/unified rw shared:4 - "
					    "cgroup2 cgroup2 rw,nsdelegate",
					    mnt, sizeof(mnt)),
		     -1);
	cr_assert_eq(cgroup_parse_mountinfo("22 27 0:21 / /proc rw,relatime - proc proc rw", mnt,
					    sizeof(mnt)),
		     -1);
	cr_assert_eq(cgroup_parse_mountinfo("garbage", mnt, sizeof(mnt)), -1);
}

/* ---- real groups --------------------------------------------------------------- */

/* The group a test made: removed after the test, also when an assertion failed. */
static struct cgroup *live;

static void destroy_live(void)
{
	if (live) {
		cgroup_destroy(live);
		cgroup_free(live);
		live = NULL;
	}
}

static struct cgroup *create_or_skip(const char *path, const struct cg_limits *lim)
{
	struct cgroup *cg = NULL;
	int r;

	if (geteuid() != 0)
		cr_skip_test("needs root to make cgroups");
	r = cgroup_create(&cg, path, "unit", lim, err, sizeof(err));
	if (r == -EROFS || r == -EACCES || r == -EPERM)
		cr_skip_test("cannot make cgroups here: %s", err);
	if (r == -ENOTSUP)
		cr_skip_test("a controller is missing here: %s", err);
	cr_assert_eq(r, 0, "cgroup_create: %s", err);
	live = cg;
	return cg;
}

/* The group's directory in the hierarchy of ctrl (the unified one in v2). */
static void group_dir(struct cgroup *cg, const char *ctrl, char *out)
{
	if (!strcmp(cgroup_mode(cg), "v2"))
		snprintf(out, PATH_MAX, "/sys/fs/cgroup%s", cgroup_path(cg));
	else
		snprintf(out, PATH_MAX, "/sys/fs/cgroup/%s%s", ctrl, cgroup_path(cg));
}

static bool read_value(struct cgroup *cg, const char *ctrl, const char *file, char *buf, size_t len)
{
	char dir[PATH_MAX], p[PATH_MAX + 64];
	FILE *f;

	group_dir(cg, ctrl, dir);
	snprintf(p, sizeof(p), "%s/%s", dir, file);
	f = fopen(p, "r");
	if (!f)
		return false;
	if (!fgets(buf, (int)len, f))
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
	return true;
}

static void assert_value(struct cgroup *cg, const char *ctrl, const char *file, const char *want)
{
	char buf[256];

	cr_assert(read_value(cg, ctrl, file, buf, sizeof(buf)), "%s/%s is missing", ctrl, file);
	cr_assert_str_eq(buf, want, "%s: '%s', want '%s'", file, buf, want);
}

static bool dir_exists(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static pid_t sleeper(void)
{
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	return pid;
}

static bool has_group(pid_t pid, const char *path)
{
	char p[64], line[1024];
	bool found = false;
	FILE *f;

	snprintf(p, sizeof(p), "/proc/%d/cgroup", (int)pid);
	f = fopen(p, "r");
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(strchr(line, ':') + 1, ':') + 1;

		colon[strcspn(colon, "\n")] = '\0';
		found |= !strcmp(colon, path);
	}
	fclose(f);
	return found;
}

Test(runtime_cgroup, limits, .fini = destroy_live)
{
	struct cg_limits lim = {
	    .memory_limit = 64 << 20,
	    .memory_swap = 128 << 20,
	    .pids_limit = 42,
	    .cpu_quota = 50000,
	    .cpu_period = 100000,
	    .cpu_shares = 1024,
	    .cpuset_cpus = "0",
	    .cpuset_mems = "0",
	};
	char path[64], dir[PATH_MAX], buf[256];
	struct cgroup *cg;

	snprintf(path, sizeof(path), "/hyrun/unit-limits-%d", (int)getpid());
	cg = create_or_skip(path, &lim);
	cr_assert_str_eq(cgroup_path(cg), path);
	if (!strcmp(cgroup_mode(cg), "v2")) {
		assert_value(cg, NULL, "memory.max", "67108864");
		if (read_value(cg, NULL, "memory.swap.max", buf, sizeof(buf)))
			cr_assert_str_eq(buf, "67108864");
		assert_value(cg, NULL, "pids.max", "42");
		assert_value(cg, NULL, "cpu.max", "50000 100000");
		assert_value(cg, NULL, "cpu.weight", "39");
		assert_value(cg, NULL, "cpuset.cpus", "0");
		assert_value(cg, NULL, "cpuset.mems", "0");
	} else {
		assert_value(cg, "memory", "memory.limit_in_bytes", "67108864");
		if (read_value(cg, "memory", "memory.memsw.limit_in_bytes", buf, sizeof(buf)))
			cr_assert_str_eq(buf, "134217728");
		assert_value(cg, "pids", "pids.max", "42");
		assert_value(cg, "cpu", "cpu.cfs_quota_us", "50000");
		assert_value(cg, "cpu", "cpu.cfs_period_us", "100000");
		assert_value(cg, "cpu", "cpu.shares", "1024");
		assert_value(cg, "cpuset", "cpuset.cpus", "0");
		assert_value(cg, "cpuset", "cpuset.mems", "0");
	}
	cr_assert_eq(cgroup_destroy(cg), 0);
	group_dir(cg, "memory", dir);
	cr_assert_not(dir_exists(dir), "%s is left behind", dir);
}

Test(runtime_cgroup, lifecycle, .fini = destroy_live)
{
	char path[64], dir[PATH_MAX], parent[64];
	struct cgroup *cg, *again;
	pid_t pid, *pids;
	size_t n;
	int st;

	/* Relative: under the default parent, whose empty levels go with the group. */
	snprintf(path, sizeof(path), "unit-life-%d/leaf", (int)getpid());
	cg = create_or_skip(path, &no_limits);
	snprintf(parent, sizeof(parent), "/hyrun/unit-life-%d", (int)getpid());
	snprintf(dir, sizeof(dir), "%s/leaf", parent);
	cr_assert_str_eq(cgroup_path(cg), dir);

	pid = sleeper();
	cr_assert_eq(cgroup_enter(cg, pid, err, sizeof(err)), 0, "%s", err);
	cr_assert(has_group(pid, cgroup_path(cg)), "%d is not in %s", (int)pid, cgroup_path(cg));
	cr_assert_eq(cgroup_pids(cg, &pids, &n), 0);
	cr_assert_eq(n, 1);
	cr_assert_eq(pids[0], pid);
	free(pids);

	cr_assert_not(cgroup_is_frozen(cg));
	cr_assert_eq(cgroup_freeze(cg, true, err, sizeof(err)), 0, "%s", err);
	cr_assert(cgroup_is_frozen(cg));
	/* A later command finds the same group by the path state.json keeps. */
	cr_assert_eq(cgroup_open(&again, cgroup_path(cg), "ignored", err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_str_eq(cgroup_path(again), cgroup_path(cg));
	cr_assert(cgroup_is_frozen(again));
	cr_assert_eq(cgroup_freeze(again, false, err, sizeof(err)), 0, "%s", err);
	cr_assert_not(cgroup_is_frozen(cg));

	cr_assert_eq(cgroup_kill_all(again, SIGTERM), 0);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	cgroup_free(again);

	/* destroy kills what is left, frozen or not, and removes the directories. */
	pid = sleeper();
	cr_assert_eq(cgroup_enter(cg, pid, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cgroup_freeze(cg, true, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cgroup_destroy(cg), 0);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	group_dir(cg, "freezer", dir);
	cr_assert_not(dir_exists(dir), "%s is left behind", dir);
	group_dir(cg, "freezer", dir);
	*strrchr(dir, '/') = '\0';
	cr_assert_not(dir_exists(dir), "the empty parent %s is left behind", dir);
	if (!strcmp(cgroup_mode(cg), "hybrid")) {
		snprintf(dir, sizeof(dir), "/sys/fs/cgroup/unified%s", cgroup_path(cg));
		cr_assert_not(dir_exists(dir), "%s is left behind", dir);
	}
	cr_assert_eq(cgroup_destroy(cg), 0, "a second destroy");
	cr_assert_eq(cgroup_open(&again, cgroup_path(cg), NULL, err, sizeof(err)), -ENOENT);
	cr_assert(strstr(err, cgroup_path(cg)), "%s", err);
}

Test(runtime_cgroup, bad_value_leaves_nothing)
{
	struct cg_limits lim = no_limits;
	char path[64], dir[PATH_MAX];
	struct cgroup *cg = NULL;
	int r;

	if (geteuid() != 0)
		cr_skip_test("needs root to make cgroups");
	lim.cpuset_cpus = "99999";
	snprintf(path, sizeof(path), "/hyrun/unit-bad-%d", (int)getpid());
	r = cgroup_create(&cg, path, "unit", &lim, err, sizeof(err));
	if (r == -EROFS || r == -EACCES || r == -EPERM)
		cr_skip_test("cannot make cgroups here: %s", err);
	if (r == -ENOTSUP)
		cr_skip_test("no cpuset controller here: %s", err);
	cr_assert_lt(r, 0);
	cr_assert_null(cg);
	cr_assert(strstr(err, "cpuset.cpus") && strstr(err, path), "%s", err);
	snprintf(dir, sizeof(dir), "/sys/fs/cgroup%s", path);
	cr_assert_not(dir_exists(dir), "%s is left behind", dir);
	snprintf(dir, sizeof(dir), "/sys/fs/cgroup/cpuset%s", path);
	cr_assert_not(dir_exists(dir), "%s is left behind", dir);
}

Test(runtime_cgroup, invalid_requests)
{
	struct cg_limits lim = no_limits;
	struct cgroup *cg = NULL;

	cr_assert_eq(cgroup_create(&cg, "/a/../b", "x", NULL, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "/a/../b"), "%s", err);
	cr_assert_null(cg);
	lim.memory_swap = 1 << 30;
	cr_assert_eq(cgroup_create(&cg, "/hyrun/unit-never", "x", &lim, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "memory"), "%s", err);
	cr_assert_not(dir_exists("/sys/fs/cgroup/hyrun/unit-never"));
	cr_assert_not(dir_exists("/sys/fs/cgroup/memory/hyrun/unit-never"));
}

/* ---- statistics from fake trees --------------------------------------------------- */

static void put(const char *dir, const char *file, const char *text)
{
	char p[PATH_MAX];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, file);
	f = fopen(p, "w");
	cr_assert_not_null(f, "%s", p);
	fputs(text, f);
	fclose(f);
}

static char *fake_dir(const char *name)
{
	char tmpl[] = "/tmp/hyrun-cgstats-XXXXXX", *base, *p;

	base = mkdtemp(tmpl);
	cr_assert_not_null(base);
	cr_assert_geq(asprintf(&p, "%s/%s", base, name), 0);
	cr_assert_eq(mkdir(p, 0755), 0);
	return p;
}

static void rm_fake(char *dir)
{
	char cmd[PATH_MAX + 16];

	*strrchr(dir, '/') = '\0';
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
	free(dir);
}

static uint64_t raw_get(const struct cg_stats *st, const char *key)
{
	for (size_t i = 0; i < st->nr_raw; i++)
		if (!strcmp(st->raw[i].key, key))
			return st->raw[i].value;
	return (uint64_t)-2;
}

Test(runtime_cgroup, stats_v2_fake)
{
	char *d = fake_dir("v2");
	struct cg_stats_dirs dirs = {.v2 = true, .cpu = d, .cpuacct = d, .memory = d, .pids = d};
	struct cg_stats st;

	put(d, "cpu.stat",
	    "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\nnr_periods 10\n"
	    "nr_throttled 3\nthrottled_usec 77\nnr_bursts 0\n");
	put(d, "memory.current", "1048576\n");
	put(d, "memory.peak", "2097152\n");
	put(d, "memory.max", "max\n");
	put(d, "memory.events", "low 0\nhigh 0\nmax 4\noom 1\noom_kill 2\noom_group_kill 0\n");
	put(d, "memory.stat",
	    "anon 4096\nfile 8192\nkernel 100\nsome_very_long_key_"
	    "that_does_not_fit_in_forty_eight_bytes 1\nbroken x\n");
	put(d, "memory.swap.current", "4096\n");
	put(d, "memory.swap.max", "max\n");
	put(d, "pids.current", "7\n");
	put(d, "pids.max", "max\n");

	cr_assert_eq(cgroup_stats_read(&dirs, &st, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(st.cpu_total, 2500000);
	cr_assert_eq(st.cpu_user, 2000000);
	cr_assert_eq(st.cpu_kernel, 500000);
	cr_assert_eq(st.nr_periods, 10);
	cr_assert_eq(st.nr_throttled, 3);
	cr_assert_eq(st.throttled_time, 77000);
	cr_assert_eq(st.nr_percpu, 0);
	cr_assert_eq(st.mem.usage, 1048576);
	cr_assert_eq(st.mem.max_usage, 2097152);
	cr_assert_eq(st.mem.limit, CG_UNLIMITED);
	cr_assert_eq(st.mem.failcnt, 4);
	cr_assert_eq(st.oom_kills, 2);
	cr_assert_eq(st.cache, 8192);
	cr_assert_eq(st.nr_raw, 3, "the long key and the broken value are skipped");
	cr_assert_eq(raw_get(&st, "anon"), 4096);
	cr_assert_eq(raw_get(&st, "kernel"), 100);
	/* memory + swap, as v1 counts it; "max" stays unlimited. */
	cr_assert_eq(st.swap.usage, 1048576 + 4096);
	cr_assert_eq(st.swap.limit, CG_UNLIMITED);
	cr_assert_eq(st.pids_current, 7);
	cr_assert_eq(st.pids_limit, 0, "no limit reads 0, as runc reports it");
	cgroup_stats_free(&st);

	/* Limits set; no swap accounting; no memory.peak (before Linux 5.19). */
	put(d, "memory.max", "536870912\n");
	put(d, "pids.max", "64\n");
	put(d, "memory.swap.max", "1048576\n");
	cr_assert_eq(cgroup_stats_read(&dirs, &st, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(st.mem.limit, 536870912);
	cr_assert_eq(st.swap.limit, 536870912 + 1048576);
	cr_assert_eq(st.pids_limit, 64);
	cgroup_stats_free(&st);
	{
		char p[PATH_MAX];

		snprintf(p, sizeof(p), "%s/memory.peak", d);
		unlink(p);
		snprintf(p, sizeof(p), "%s/memory.swap.current", d);
		unlink(p);
	}
	cr_assert_eq(cgroup_stats_read(&dirs, &st, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(st.mem.max_usage, 0);
	cr_assert_eq(st.swap.usage, 0);
	cr_assert_eq(st.swap.limit, 0);
	cgroup_stats_free(&st);

	/* A value that is not a number is an error that names the file. */
	put(d, "memory.current", "lots\n");
	cr_assert_eq(cgroup_stats_read(&dirs, &st, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "memory.current"), "%s", err);
	cr_assert_null(st.raw);
	rm_fake(d);

	/* A group that is gone. */
	dirs.cpu = dirs.memory = dirs.pids = dirs.cpuacct = "/nonexistent/hyrun-unit";
	cr_assert_eq(cgroup_stats_read(&dirs, &st, err, sizeof(err)), -ENOENT);
	cr_assert(strstr(err, "/nonexistent/hyrun-unit"), "%s", err);
}

Test(runtime_cgroup, stats_v1_fake)
{
	char *cpu = fake_dir("cpu"), *acct = fake_dir("cpuacct"), *mem = fake_dir("memory");
	struct cg_stats_dirs dirs = {.cpu = cpu, .cpuacct = acct, .memory = mem, .pids = NULL};
	long hz = sysconf(_SC_CLK_TCK);
	struct cg_stats st;

	put(acct, "cpuacct.usage", "123456789\n");
	put(acct, "cpuacct.usage_percpu", "100 200 300 \n");
	put(acct, "cpuacct.stat", "user 5\nsystem 2\n");
	put(cpu, "cpu.stat", "nr_periods 4\nnr_throttled 1\nthrottled_time 999\n");
	put(mem, "memory.usage_in_bytes", "4096\n");
	put(mem, "memory.max_usage_in_bytes", "8192\n");
	put(mem, "memory.limit_in_bytes", "9223372036854771712\n");
	put(mem, "memory.failcnt", "0\n");
	put(mem, "memory.kmem.usage_in_bytes", "512\n");
	put(mem, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
	put(mem, "memory.stat", "cache 1024\nrss 2048\ntotal_cache 1024\n");

	cr_assert_eq(cgroup_stats_read(&dirs, &st, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(st.cpu_total, 123456789);
	cr_assert_eq(st.nr_percpu, 3);
	cr_assert_eq(st.percpu[0], 100);
	cr_assert_eq(st.percpu[2], 300);
	cr_assert_eq(st.cpu_user, 5 * (1000000000ULL / (uint64_t)hz));
	cr_assert_eq(st.cpu_kernel, 2 * (1000000000ULL / (uint64_t)hz));
	cr_assert_eq(st.nr_periods, 4);
	cr_assert_eq(st.throttled_time, 999);
	cr_assert_eq(st.mem.usage, 4096);
	cr_assert_eq(st.mem.max_usage, 8192);
	cr_assert_eq(st.mem.limit, 9223372036854771712ULL);
	cr_assert_eq(st.kernel.usage, 512);
	cr_assert_eq(st.swap.usage, 0, "no memsw files: no swap accounting");
	cr_assert_eq(st.oom_kills, 3);
	cr_assert_eq(st.cache, 1024);
	cr_assert_eq(raw_get(&st, "rss"), 2048);
	cr_assert_eq(st.pids_current, 0, "no pids hierarchy");
	cgroup_stats_free(&st);

	put(acct, "cpuacct.usage_percpu", "100 x\n");
	cr_assert_eq(cgroup_stats_read(&dirs, &st, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "usage_percpu"), "%s", err);
	cr_assert_null(st.percpu);
	rm_fake(cpu);
	rm_fake(acct);
	rm_fake(mem);
}

/* ---- statistics and updates of a real group ------------------------------------------ */

Test(runtime_cgroup, stats_and_update, .fini = destroy_live)
{
	struct cg_limits lim = no_limits;
	struct cg_update u = {0};
	struct cg_stats st;
	char path[64], buf[256];
	struct cgroup *cg;
	pid_t pid;
	bool v2;

	lim.memory_limit = 256 << 20;
	lim.pids_limit = 100;
	lim.cpu_quota = 50000;
	lim.cpu_period = 100000;
	snprintf(path, sizeof(path), "/hyrun/unit-update-%d", (int)getpid());
	cg = create_or_skip(path, &lim);
	v2 = !strcmp(cgroup_mode(cg), "v2");
	pid = sleeper();
	cr_assert_eq(cgroup_enter(cg, pid, err, sizeof(err)), 0, "%s", err);

	cr_assert_eq(cgroup_stats(cg, &st, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(st.pids_current, 1);
	cr_assert_eq(st.pids_limit, 100);
	cr_assert_eq(st.mem.limit, 256 << 20);
	/* (Usage may be 0: v1 leaves a moved task's pages charged where they were.) */
	cr_assert_gt(st.nr_raw, 0);
	cgroup_stats_free(&st);

	/* Only what is flagged changes; -1 lifts a limit. */
	u.has_memory = true;
	u.memory = 128 << 20;
	u.has_pids = true;
	u.pids = -1;
	u.has_cpu_quota = true;
	u.cpu_quota = 20000;
	u.has_cpu_shares = true;
	u.cpu_shares = 512;
	cr_assert_eq(cgroup_update(cg, &u, err, sizeof(err)), 0, "%s", err);
	if (v2) {
		assert_value(cg, NULL, "memory.max", "134217728");
		assert_value(cg, NULL, "pids.max", "max");
		assert_value(cg, NULL, "cpu.max", "20000 100000");
		assert_value(cg, NULL, "cpu.weight", "20");
	} else {
		assert_value(cg, "memory", "memory.limit_in_bytes", "134217728");
		assert_value(cg, "pids", "pids.max", "max");
		assert_value(cg, "cpu", "cpu.cfs_quota_us", "20000");
		assert_value(cg, "cpu", "cpu.cfs_period_us", "100000");
		assert_value(cg, "cpu", "cpu.shares", "512");
	}

	/* The period alone keeps the quota; -1 for the quota is no limit. */
	memset(&u, 0, sizeof(u));
	u.has_cpu_period = true;
	u.cpu_period = 50000;
	cr_assert_eq(cgroup_update(cg, &u, err, sizeof(err)), 0, "%s", err);
	if (v2)
		assert_value(cg, NULL, "cpu.max", "20000 50000");
	else
		assert_value(cg, "cpu", "cpu.cfs_period_us", "50000");
	memset(&u, 0, sizeof(u));
	u.has_cpu_quota = true;
	u.cpu_quota = -1;
	u.has_memory = true;
	u.memory = -1;
	cr_assert_eq(cgroup_update(cg, &u, err, sizeof(err)), 0, "%s", err);
	if (v2) {
		assert_value(cg, NULL, "cpu.max", "max 50000");
		assert_value(cg, NULL, "memory.max", "max");
	} else {
		assert_value(cg, "cpu", "cpu.cfs_quota_us", "-1");
		cr_assert(read_value(cg, "memory", "memory.limit_in_bytes", buf, sizeof(buf)));
		cr_assert_gt(strtoull(buf, NULL, 10), 1ULL << 60, "%s", buf);
	}
	cr_assert_eq(cgroup_stats(cg, &st, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(st.pids_limit, 0);
	cgroup_stats_free(&st);

	/* A bad value names the file. */
	memset(&u, 0, sizeof(u));
	u.cpuset_cpus = "99999";
	cr_assert_lt(cgroup_update(cg, &u, err, sizeof(err)), 0);
	cr_assert(strstr(err, "cpuset.cpus"), "%s", err);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* ---- the VMM's device rules ------------------------------------------------------ */

/* Device nodes of the tests' own, in a directory on a filesystem that allows them. */
static char nodes[] = "/tmp/hyrun-unit-devices-XXXXXX";
static bool have_nodes;

static void remove_nodes(void)
{
	static const char *const names[] = {"null", "mem", "urandom", "tty", "made"};
	char p[PATH_MAX];

	if (!have_nodes)
		return;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", nodes, names[i]);
		unlink(p);
	}
	rmdir(nodes);
	have_nodes = false;
}

static void devices_fini(void)
{
	destroy_live();
	remove_nodes();
}

static void make_node(const char *name, unsigned ma, unsigned mi)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", nodes, name);
	cr_assert_eq(mknod(p, S_IFCHR | 0600, makedev(ma, mi)), 0, "mknod %s: %s", p,
		     strerror(errno));
}

/* null (1:3) and urandom (1:9), allowed; mem (1:1) and tty (5:0), not. */
static void make_nodes_or_skip(void)
{
	struct statvfs sv;

	cr_assert_not_null(mkdtemp(nodes));
	have_nodes = true;
	if (statvfs(nodes, &sv) == 0 && (sv.f_flag & ST_NODEV))
		cr_skip_test("%s is on a nodev filesystem", nodes);
	make_node("null", 1, 3);
	make_node("urandom", 1, 9);
	make_node("mem", 1, 1);
	make_node("tty", 5, 0);
}

/* What a process in the group gets: 0, or the errno of each attempt. */
struct probe {
	int null_rw, urandom_r, mem_r, tty_rw, kvm_rw, mknod_null, mknod_tty;
};

static int try_open(const char *name, int flags)
{
	char p[PATH_MAX];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", nodes, name);
	fd = open(p, flags | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static int try_mknod(unsigned ma, unsigned mi)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/made", nodes);
	if (mknod(p, S_IFCHR | 0600, makedev(ma, mi)) < 0)
		return errno;
	unlink(p);
	return 0;
}

/*
 * Forks a child, puts it in the group (cgroup_enter, or only the v2
 * directory procs_dir when cg is NULL), and has it try the nodes.
 */
static struct probe probe(struct cgroup *cg, const char *procs_dir)
{
	struct probe pr = {0};
	int go[2], res[2], st;
	char c = 0, val[32];
	pid_t pid;

	cr_assert_eq(pipe(go), 0);
	cr_assert_eq(pipe(res), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(go[1]);
		close(res[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		pr.null_rw = try_open("null", O_RDWR);
		pr.urandom_r = try_open("urandom", O_RDONLY);
		pr.mem_r = try_open("mem", O_RDONLY);
		pr.tty_rw = try_open("tty", O_RDWR);
		pr.kvm_rw = access("/dev/kvm", F_OK) == 0
				? (open("/dev/kvm", O_RDWR | O_CLOEXEC) < 0 ? errno : 0)
				: EPERM;
		pr.mknod_null = try_mknod(1, 3);
		pr.mknod_tty = try_mknod(5, 0);
		_exit(write(res[1], &pr, sizeof(pr)) == sizeof(pr) ? 0 : 1);
	}
	close(go[0]);
	close(res[1]);
	if (cg) {
		cr_assert_eq(cgroup_enter(cg, pid, err, sizeof(err)), 0, "%s", err);
	} else {
		char p[PATH_MAX + 16];
		FILE *f;

		snprintf(p, sizeof(p), "%s/cgroup.procs", procs_dir);
		snprintf(val, sizeof(val), "%d", (int)pid);
		f = fopen(p, "w");
		cr_assert_not_null(f, "%s: %s", p, strerror(errno));
		cr_assert_geq(fputs(val, f), 0);
		cr_assert_eq(fclose(f), 0, "%s: %s", p, strerror(errno));
	}
	cr_assert_eq(write(go[1], &c, 1), 1);
	cr_assert_eq(read(res[0], &pr, sizeof(pr)), (ssize_t)sizeof(pr));
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(go[1]);
	close(res[0]);
	return pr;
}

static void assert_vmm_devices(const struct probe *pr)
{
	cr_assert_eq(pr->null_rw, 0, "open null rw: %s", strerror(pr->null_rw));
	cr_assert_eq(pr->urandom_r, 0, "open urandom: %s", strerror(pr->urandom_r));
	cr_assert_eq(pr->mem_r, EPERM, "open mem (1:1): %s", strerror(pr->mem_r));
	cr_assert_eq(pr->tty_rw, EPERM, "open tty (5:0): %s", strerror(pr->tty_rw));
	cr_assert_eq(pr->kvm_rw, EPERM, "open /dev/kvm: %s", strerror(pr->kvm_rw));
	cr_assert_eq(pr->mknod_null, EPERM, "mknod 1:3: %s", strerror(pr->mknod_null));
	cr_assert_eq(pr->mknod_tty, EPERM, "mknod 5:0: %s", strerror(pr->mknod_tty));
}

/* The group's v2 directory (the unified hierarchy's in hybrid mode), false in v1. */
static bool v2_dir(struct cgroup *cg, char *out)
{
	if (!strcmp(cgroup_mode(cg), "v2"))
		snprintf(out, PATH_MAX, "/sys/fs/cgroup%s", cgroup_path(cg));
	else if (!strcmp(cgroup_mode(cg), "hybrid"))
		snprintf(out, PATH_MAX, "/sys/fs/cgroup/unified%s", cgroup_path(cg));
	else
		return false;
	return true;
}

/* The device programs attached to the directory itself: their number, and the flags. */
static unsigned attached(const char *dir, unsigned *flags)
{
	union bpf_attr attr;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	cr_assert_geq(fd, 0, "%s: %s", dir, strerror(errno));
	memset(&attr, 0, sizeof(attr));
	attr.query.target_fd = (uint32_t)fd;
	attr.query.attach_type = BPF_CGROUP_DEVICE;
	cr_assert_eq(syscall(SYS_bpf, BPF_PROG_QUERY, &attr, sizeof(attr)), 0,
		     "BPF_PROG_QUERY %s: %s", dir, strerror(errno));
	close(fd);
	*flags = attr.query.attach_flags;
	return attr.query.prog_cnt;
}

/* Where the rules are v1's devices.list, what it reads; false otherwise. */
static bool devices_list(struct cgroup *cg, char *buf, size_t len)
{
	char dir[PATH_MAX], p[PATH_MAX + 16];
	size_t n;
	FILE *f;

	if (!strcmp(cgroup_mode(cg), "v2"))
		return false;
	group_dir(cg, "devices", dir);
	snprintf(p, sizeof(p), "%s/devices.list", dir);
	f = fopen(p, "r");
	if (!f)
		return false;
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
	return true;
}

static int vmm_devices_or_skip(struct cgroup *cg)
{
	int r = cgroup_vmm_devices(cg, err, sizeof(err));

	if (r == 1)
		cr_skip_test("no device rules here: %s", err);
	if (r == -EPERM || r == -ENOSYS || r == -EINVAL)
		cr_skip_test("cannot attach a device program here: %s", err);
	return r;
}

Test(runtime_cgroup, vmm_devices, .fini = devices_fini)
{
	struct cg_update u = {.has_pids = true, .pids = 64};
	char path[64], dir[PATH_MAX], list[512];
	struct cgroup *cg;
	struct probe pr;
	unsigned flags;

	snprintf(path, sizeof(path), "/hyrun/unit-devices-%d", (int)getpid());
	cg = create_or_skip(path, &no_limits);
	make_nodes_or_skip();
	cr_assert_eq(vmm_devices_or_skip(cg), 0, "%s", err);
	if (devices_list(cg, list, sizeof(list))) {
		cr_assert_str_eq(list, "c 1:3 rw\nc 1:5 rw\nc 1:7 rw\nc 1:8 rw\nc 1:9 rw\n");
	} else {
		cr_assert(v2_dir(cg, dir));
		cr_assert_eq(attached(dir, &flags), 1);
		cr_assert_eq(flags, BPF_F_ALLOW_MULTI);
	}
	pr = probe(cg, NULL);
	assert_vmm_devices(&pr);

	/* `update` changes limits, never the device rules. */
	cr_assert_eq(cgroup_update(cg, &u, err, sizeof(err)), 0, "%s", err);
	pr = probe(cg, NULL);
	assert_vmm_devices(&pr);

	/* The rules go with the group. */
	cr_assert_eq(cgroup_destroy(cg), 0);
	group_dir(cg, "devices", dir);
	cr_assert_not(dir_exists(dir), "%s is left behind", dir);
}

/*
 * The program itself, on the group's v2 directory alone, next to a program
 * attached there before it (as an engine's would be: it denies 1:9): both
 * decide.
 */
Test(runtime_cgroup, vmm_device_program_beside_another, .fini = devices_fini)
{
	const struct gc_device_rule others[] = {
	    {.allow = true,
	     .type = 'a',
	     .major = -1,
	     .minor = -1,
	     .read = true,
	     .write = true,
	     .mknod = true},
	    {.allow = false, .type = 'c', .major = 1, .minor = 9, .read = true, .write = true},
	};
	char path[64], dir[PATH_MAX], msg[512];
	struct cgroup *cg;
	struct probe pr;
	unsigned flags;
	int fd, r;

	snprintf(path, sizeof(path), "/hyrun/unit-devprog-%d", (int)getpid());
	cg = create_or_skip(path, &no_limits);
	if (!v2_dir(cg, dir))
		cr_skip_test("no cgroup v2 hierarchy here");
	make_nodes_or_skip();
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(fd, 0, "%s: %s", dir, strerror(errno));
	r = devfilter_install(fd, others, 2, BPF_F_ALLOW_MULTI, msg, sizeof(msg));
	if (r == -EPERM || r == -ENOSYS || r == -EINVAL)
		cr_skip_test("cannot attach a device program here: %s", msg);
	cr_assert_gt(r, 0, "%s", msg);
	r = devfilter_install(fd, cgroup_vmm_device_rules, CGROUP_VMM_NR_DEVICES, BPF_F_ALLOW_MULTI,
			      msg, sizeof(msg));
	close(fd);
	cr_assert_gt(r, 0, "%s", msg);
	cr_assert_eq(attached(dir, &flags), 2);

	pr = probe(NULL, dir);
	cr_assert_eq(pr.urandom_r, EPERM, "the other program still denies 1:9: %s",
		     strerror(pr.urandom_r));
	pr.urandom_r = 0;
	assert_vmm_devices(&pr);
	cr_assert_eq(cgroup_destroy(cg), 0);
	cr_assert_not(dir_exists(dir), "%s is left behind", dir);
}

/* A group that existed before (a cgroupsPath shared with others) gets no rules of hyrun's. */
Test(runtime_cgroup, vmm_devices_only_on_groups_it_made, .fini = devices_fini)
{
	char path[64], dir[PATH_MAX], list[512];
	struct cgroup *cg, *again;
	unsigned flags;

	snprintf(path, sizeof(path), "/hyrun/unit-devshared-%d", (int)getpid());
	cg = create_or_skip(path, &no_limits);
	cr_assert_eq(cgroup_create(&again, path, "unit", &no_limits, err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(cgroup_vmm_devices(again, err, sizeof(err)), 1);
	cr_assert(strstr(err, "existed before"), "%s", err);
	cgroup_free(again);
	if (devices_list(cg, list, sizeof(list)))
		cr_assert_str_eq(list, "a *:* rwm\n");
	if (v2_dir(cg, dir))
		cr_assert_eq(attached(dir, &flags), 0);
}

/* A failed step is named, with the group's directory. */
Test(runtime_cgroup, vmm_devices_error_names_the_step, .fini = devices_fini)
{
	char path[64];
	struct cgroup *cg;
	int r;

	snprintf(path, sizeof(path), "/hyrun/unit-devgone-%d", (int)getpid());
	cg = create_or_skip(path, &no_limits);
	/* The directories go behind the struct's back. */
	cr_assert_eq(cgroup_destroy(cg), 0);
	r = cgroup_vmm_devices(cg, err, sizeof(err));
	if (r == 1)
		cr_skip_test("no device rules here: %s", err);
	cr_assert_eq(r, -ENOENT, "%d: %s", r, err);
	cr_assert(strstr(err, path), "%s", err);
	cr_assert(strstr(err, "devices.deny") || strstr(err, ": open: "), "%s", err);
}
