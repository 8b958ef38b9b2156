/* test_runtime_cgroup.c: cgroup paths and values; real groups where /sys/fs/cgroup is writable. */
#include <criterion/criterion.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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
