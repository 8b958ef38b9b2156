/* cgroup.c: the container's cgroup in the guest (cgroup v2): set-up, joining, limits, counters.
 *
 * Layout: cgroup2 on /sys/fs/cgroup in PID 1's mount namespace (the
 * initramfs); PID 1 stays in the root cgroup, the workload and every exec'd
 * process go into the child "container", the one cgroup whose limits the
 * host updates and whose counters it reads. The root cgroup may hold
 * processes and still delegate controllers (cgroup v2's "no internal
 * processes" rule spares it), so nothing else has to move.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include "common/err.h"
#include "rootfs/init/agent.h"
#include "rootfs/init/init.h"
#include "rootfs/init/procfs.h"

#define CGROUP_MOUNT "/sys/fs/cgroup"
#define CGROUP_NAME "container"

static struct {
	int dir;     /* <base>/container, -1 without a cgroup */
	int procs;   /* its cgroup.procs, inherited by PID 1's children (close-on-exec) */
	int inotify; /* watching its memory.events, -1 without */
	uint64_t oom_kills;
	bool entered;  /* in a child: born in the cgroup (cgroup_fork) */
	char why[160]; /* why there is no cgroup, or no OOM watch */
	char why_events[160];
} cg = {.dir = -1, .procs = -1, .inotify = -1};

/* A small file of the container's cgroup, NUL-terminated: its length, or -errno. */
static int read_at(const char *name, char *buf, size_t len)
{
	int fd = openat(cg.dir, name, O_RDONLY | O_CLOEXEC), err;
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	err = errno;
	close(fd);
	if (n < 0)
		return -err;
	buf[n] = 0;
	return (int)n;
}

static int write_at(int dirfd, const char *name, const char *text)
{
	int fd = openat(dirfd, name, O_WRONLY | O_TRUNC | O_CLOEXEC), err = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	if (n < 0)
		err = -errno;
	close(fd);
	return err;
}

static bool is_cgroup2(const char *dir)
{
	struct statfs sf;

	return statfs(dir, &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC;
}

/* The controllers the container's cgroup may use, as far as the root has them. */
static void enable_controllers(int base)
{
	static const char *const wanted[] = {"memory", "pids", "cpu"};
	char avail[512], word[16];
	int fd = openat(base, "cgroup.controllers", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, avail, sizeof(avail) - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (n < 0) {
		init_dbg("hyrun-init: cgroup: no cgroup.controllers: %s", strerror(errno));
		return;
	}
	avail[n] = 0;
	for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
		char have[sizeof(avail) + 2];
		int r;

		snprintf(have, sizeof(have), " %.*s ", (int)strcspn(avail, "\n"), avail);
		snprintf(word, sizeof(word), " %s ", wanted[i]);
		if (!strstr(have, word)) {
			init_dbg("hyrun-init: cgroup: the kernel has no %s controller", wanted[i]);
			continue;
		}
		snprintf(word, sizeof(word), "+%s", wanted[i]);
		r = write_at(base, "cgroup.subtree_control", word);
		if (r < 0)
			init_dbg("hyrun-init: cgroup: enabling %s: %s", wanted[i], strerror(-r));
	}
}

static void setup_oom_watch(const char *base)
{
	char path[PATH_MAX], buf[512];
	uint64_t kills = 0;

	snprintf(path, sizeof(path), "%s/" CGROUP_NAME "/memory.events", base);
	cg.inotify = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (cg.inotify < 0 || inotify_add_watch(cg.inotify, path, IN_MODIFY) < 0) {
		snprintf(cg.why_events, sizeof(cg.why_events),
			 "no OOM events: watching memory.events: %s", strerror(errno));
		init_dbg("hyrun-init: cgroup: %s", cg.why_events);
		if (cg.inotify >= 0)
			close(cg.inotify);
		cg.inotify = -1;
		return;
	}
	if (read_at("memory.events", buf, sizeof(buf)) >= 0)
		procfs_keyed(buf, "oom_kill", &kills);
	cg.oom_kills = kills;
}

void cgroup_setup(void)
{
	const char *base = CGROUP_MOUNT;
	int basefd;

	snprintf(cg.why, sizeof(cg.why), "no cgroup in this guest");
	if (init.test) {
		base = init.test_cgroup;
		if (!base) {
			snprintf(cg.why, sizeof(cg.why), "no cgroup (self-test mode)");
			return;
		}
	} else if (!is_cgroup2(base) &&
		   mount("cgroup2", base, "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
		snprintf(cg.why, sizeof(cg.why), "no cgroup2 in the guest kernel (mount: %s)",
			 strerror(errno));
		init_dbg("hyrun-init: %s", cg.why);
		return;
	}
	basefd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (basefd < 0) {
		snprintf(cg.why, sizeof(cg.why), "cgroup: open '%s': %s", base, strerror(errno));
		init_msg("hyrun-init: %s", cg.why);
		return;
	}
	enable_controllers(basefd);
	if (mkdirat(basefd, CGROUP_NAME, 0755) < 0 && errno != EEXIST) {
		snprintf(cg.why, sizeof(cg.why), "cgroup: mkdir '%s/" CGROUP_NAME "': %s", base,
			 strerror(errno));
		init_msg("hyrun-init: %s", cg.why);
		close(basefd);
		return;
	}
	cg.dir = openat(basefd, CGROUP_NAME, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	close(basefd);
	if (cg.dir >= 0)
		cg.procs = openat(cg.dir, "cgroup.procs", O_WRONLY | O_CLOEXEC);
	if (cg.dir < 0 || cg.procs < 0) {
		snprintf(cg.why, sizeof(cg.why), "cgroup: open '%s/" CGROUP_NAME "': %s", base,
			 strerror(errno));
		init_msg("hyrun-init: %s", cg.why);
		if (cg.dir >= 0)
			close(cg.dir);
		cg.dir = -1;
		return;
	}
	setup_oom_watch(base);
	init_dbg("hyrun-init: cgroup '%s/" CGROUP_NAME "' ready", base);
}

pid_t cgroup_fork(void)
{
	struct clone_args args = {
	    .flags = CLONE_INTO_CGROUP,
	    .exit_signal = SIGCHLD,
	    .cgroup = (uint64_t)cg.dir,
	};
	long pid;

	if (cg.dir < 0)
		return fork();
	pid = syscall(SYS_clone3, &args, sizeof(args));
	/* A kernel before 5.7, or a directory that is no cgroup (the self-test's
	 * stand-in): fork, and the child joins by writing its pid. */
	if (pid < 0 && errno != EAGAIN && errno != ENOMEM)
		return fork();
	if (pid == 0)
		cg.entered = true;
	return (pid_t)pid;
}

void cgroup_enter(void)
{
	char pid[24];
	int n;

	if (cg.procs < 0 || cg.entered)
		return;
	n = snprintf(pid, sizeof(pid), "%d", (int)getpid());
	/* Not fatal: the process runs, outside the limits. */
	if (write(cg.procs, pid, (size_t)n) != n)
		init_msg("hyrun-init: joining the container's cgroup: %s", strerror(errno));
}

static int no_cgroup(char *err, size_t errlen, const char *what)
{
	return hy_err(err, errlen, -1, "%s: %s", what, cg.why);
}

static int set_limit(const char *file, int64_t v, char *err, size_t errlen)
{
	char text[32];
	int r;

	if (v < 0)
		snprintf(text, sizeof(text), "max");
	else
		snprintf(text, sizeof(text), "%" PRId64, v);
	r = write_at(cg.dir, file, text);
	if (r < 0)
		return hy_err(err, errlen, -1, "update: %s %s: %s", file, text, strerror(-r));
	return 0;
}

/* cpu.max is "QUOTA PERIOD": the one not given keeps its value. */
static int set_cpu_max(const struct agent_resources *res, char *err, size_t errlen)
{
	char cur[64], quota[24] = "max", text[64];
	unsigned long long period = 100000;
	int r = read_at("cpu.max", cur, sizeof(cur));

	if (r < 0)
		return hy_err(err, errlen, -1, "update: cpu.max: %s", strerror(-r));
	if (sscanf(cur, "%23s %llu", quota, &period) < 1)
		return hy_err(err, errlen, -1, "update: cpu.max: cannot read \"%s\"", cur);
	if (res->has_cpu_quota) {
		if (res->cpu_quota < 0)
			snprintf(quota, sizeof(quota), "max");
		else
			snprintf(quota, sizeof(quota), "%" PRId64, res->cpu_quota);
	}
	if (res->has_cpu_period)
		period = res->cpu_period;
	snprintf(text, sizeof(text), "%s %llu", quota, period);
	r = write_at(cg.dir, "cpu.max", text);
	if (r < 0)
		return hy_err(err, errlen, -1, "update: cpu.max %s: %s", text, strerror(-r));
	return 0;
}

int cgroup_update(const struct agent_resources *res, char *err, size_t errlen)
{
	if (cg.dir < 0)
		return no_cgroup(err, errlen, "update");
	if (res->has_memory && set_limit("memory.max", res->memory, err, errlen) < 0)
		return -1;
	if (res->has_pids && set_limit("pids.max", res->pids, err, errlen) < 0)
		return -1;
	if ((res->has_cpu_quota || res->has_cpu_period) && set_cpu_max(res, err, errlen) < 0)
		return -1;
	if (res->has_cpu_weight &&
	    set_limit("cpu.weight", (int64_t)res->cpu_weight, err, errlen) < 0)
		return -1;
	return 0;
}

/* One value of a cgroup file: a limit ("max" is -1), the value of key, or the
 * file's one number. */
static int counter(const char *file, const char *key, uint64_t *u, int64_t *limit, char *err,
		   size_t errlen)
{
	char buf[1024];
	int r = read_at(file, buf, sizeof(buf));

	if (r < 0)
		return hy_err(err, errlen, -1, "stats: %s: %s", file, strerror(-r));
	if (limit)
		r = procfs_limit(buf, limit);
	else if (key)
		r = procfs_keyed(buf, key, u);
	else
		r = sscanf(buf, "%" SCNu64, u) == 1 ? 0 : -1;
	if (r < 0)
		return hy_err(err, errlen, -1, "stats: %s: no %s in \"%.64s\"", file,
			      key ? key : "number", buf);
	return 0;
}

int cgroup_stats(struct agent_stats *st, char *err, size_t errlen)
{
	char buf[4096];
	int fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	memset(st, 0, sizeof(*st));
	if (fd >= 0)
		close(fd);
	if (n < 0)
		return hy_err(err, errlen, -1, "stats: /proc/meminfo: %s", strerror(errno));
	buf[n] = 0;
	if (procfs_meminfo(buf, "MemTotal", &st->mem_total) < 0 ||
	    procfs_meminfo(buf, "MemFree", &st->mem_free) < 0 ||
	    procfs_meminfo(buf, "MemAvailable", &st->mem_available) < 0)
		return hy_err(err, errlen, -1, "stats: /proc/meminfo: unreadable");
	if (cg.dir < 0)
		return no_cgroup(err, errlen, "stats");
	if (counter("memory.current", NULL, &st->mem_usage, NULL, err, errlen) < 0 ||
	    counter("memory.max", NULL, NULL, &st->mem_limit, err, errlen) < 0 ||
	    counter("cpu.stat", "usage_usec", &st->cpu_usage_usec, NULL, err, errlen) < 0 ||
	    counter("cpu.stat", "user_usec", &st->cpu_user_usec, NULL, err, errlen) < 0 ||
	    counter("cpu.stat", "system_usec", &st->cpu_system_usec, NULL, err, errlen) < 0 ||
	    counter("pids.current", NULL, &st->pids_current, NULL, err, errlen) < 0 ||
	    counter("pids.max", NULL, NULL, &st->pids_limit, err, errlen) < 0 ||
	    counter("memory.events", "oom_kill", &st->oom_kills, NULL, err, errlen) < 0)
		return -1;
	return 0;
}

int cgroup_events_fd(char *err, size_t errlen)
{
	if (cg.dir < 0)
		return no_cgroup(err, errlen, "events");
	if (cg.inotify < 0)
		return hy_err(err, errlen, -1, "events: %s", cg.why_events);
	return cg.inotify;
}

uint64_t cgroup_new_oom_kills(void)
{
	char buf[512];
	uint64_t kills = 0, n;

	/* The events only wake us; the count is in the file. */
	while (read(cg.inotify, buf, sizeof(buf)) > 0)
		;
	if (read_at("memory.events", buf, sizeof(buf)) < 0 ||
	    procfs_keyed(buf, "oom_kill", &kills) < 0 || kills <= cg.oom_kills)
		return 0;
	n = kills - cg.oom_kills;
	cg.oom_kills = kills;
	return n;
}
