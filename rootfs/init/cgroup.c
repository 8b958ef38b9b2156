/* cgroup.c: the container's cgroup in the guest (cgroup v2): set-up, joining, limits, counters.
 *
 * Layout: cgroup2 on /sys/fs/cgroup in PID 1's mount namespace (the
 * initramfs); PID 1 stays in the root cgroup, the workload and every exec'd
 * process go into the child "container", the one cgroup whose limits the
 * host updates and whose counters it reads. The root cgroup may hold
 * processes and still delegate controllers (cgroup v2's "no internal
 * processes" rule spares it), so nothing else has to move.
 *
 * The configuration's linux.resources (cgroup_apply) go on the container's
 * cgroup before the workload is forked: its set-up runs under them as
 * runc's init does, and nothing of it runs unlimited. linux.resources.unified
 * is written last, so that its files win over the limits above, as with runc. PID 1 itself stays
 * outside them, so the device filter never stands between hyrun-init and
 * the nodes it opens (ports, console) or makes.
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
#include <sys/sysmacros.h>
#include <unistd.h>

#include <linux/magic.h>

#include "common/err.h"
#include "rootfs/init/agent.h"
#include "rootfs/init/devfilter.h"
#include "rootfs/init/init.h"
#include "rootfs/init/procfs.h"

#define CGROUP_MOUNT "/sys/fs/cgroup"
#define CGROUP_NAME "container"

/* The controllers the container's cgroup may use (enable_controllers). */
enum { CTRL_MEMORY, CTRL_PIDS, CTRL_CPU, NR_CTRLS };
static const char *const ctrl_names[NR_CTRLS] = {"memory", "pids", "cpu"};

static struct {
	int dir;     /* <base>/container, -1 without a cgroup */
	int procs;   /* its cgroup.procs, inherited by PID 1's children (close-on-exec) */
	int inotify; /* watching its memory.events, -1 without */
	uint64_t oom_kills;
	bool entered;		     /* in a child: born in the cgroup (cgroup_fork) */
	unsigned enabled;	     /* 1 << CTRL_*: enabled for the container's cgroup */
	char why_ctrl[NR_CTRLS][96]; /* why one is not */
	char why[160];		     /* why there is no cgroup, or no OOM watch */
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

/* The controllers the container's cgroup may use, as far as the root has
 * them; what is missing is noted for cgroup_apply()'s messages. */
static void enable_controllers(int base)
{
	char avail[512], word[16];
	int fd = openat(base, "cgroup.controllers", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, avail, sizeof(avail) - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (n < 0) {
		for (int i = 0; i < NR_CTRLS; i++)
			snprintf(cg.why_ctrl[i], sizeof(cg.why_ctrl[i]), "cgroup.controllers: %s",
				 strerror(errno));
		init_dbg("hyrun-init: cgroup: no cgroup.controllers: %s", strerror(errno));
		return;
	}
	avail[n] = 0;
	for (int i = 0; i < NR_CTRLS; i++) {
		char have[sizeof(avail) + 2];
		int r;

		snprintf(have, sizeof(have), " %.*s ", (int)strcspn(avail, "\n"), avail);
		snprintf(word, sizeof(word), " %s ", ctrl_names[i]);
		if (!strstr(have, word)) {
			snprintf(cg.why_ctrl[i], sizeof(cg.why_ctrl[i]),
				 "the guest kernel has no %s controller", ctrl_names[i]);
			init_dbg("hyrun-init: cgroup: %s", cg.why_ctrl[i]);
			continue;
		}
		snprintf(word, sizeof(word), "+%s", ctrl_names[i]);
		r = write_at(base, "cgroup.subtree_control", word);
		if (r < 0) {
			snprintf(cg.why_ctrl[i], sizeof(cg.why_ctrl[i]),
				 "enabling the %s controller: %s", ctrl_names[i], strerror(-r));
			init_dbg("hyrun-init: cgroup: %s", cg.why_ctrl[i]);
			continue;
		}
		cg.enabled |= 1u << i;
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

static long clone3_child(uint64_t flags, int cgroup)
{
	struct clone_args args = {.flags = flags, .exit_signal = SIGCHLD};

	if (cgroup >= 0) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)cgroup;
	}
	return syscall(SYS_clone3, &args, sizeof(args));
}

pid_t cgroup_fork(bool new_pid_ns)
{
	uint64_t flags = new_pid_ns ? CLONE_NEWPID : 0;
	long pid = -1;

	if (cg.dir >= 0) {
		pid = clone3_child(flags, cg.dir);
		if (pid == 0)
			cg.entered = true;
		/* EAGAIN is pids.max speaking, ENOMEM a dying pid namespace (exec.c):
		 * not the kernel's age, which a fallback would get around. */
		if (pid >= 0 || errno == EAGAIN || errno == ENOMEM)
			return (pid_t)pid;
	}
	/* A kernel before 5.7, or a directory that is no cgroup (the self-test's
	 * stand-in): the child joins by writing its pid (cgroup_enter). */
	if (!flags)
		return fork();
	pid = clone3_child(flags, -1);
	/* Before 5.3 there is no clone3; clone() with no stack of its own
	 * returns in the child on a copy of this one, as fork() does. */
	if (pid < 0 && errno == ENOSYS)
		pid = syscall(SYS_clone, (unsigned long)flags | SIGCHLD, NULL, NULL, NULL, NULL);
	return (pid_t)pid;
}

void cgroup_enter(void)
{
	char pid[24];
	int n;

	if (cg.procs < 0 || cg.entered)
		return;
	/* getpid() is 1 in a pid namespace of the child's own, and the kernel
	 * reads the pid in the writer's namespace: it names the child all the same. */
	n = snprintf(pid, sizeof(pid), "%d", (int)getpid());
	/* Not fatal: the process runs, outside the limits. */
	if (write(cg.procs, pid, (size_t)n) != n)
		init_msg("hyrun-init: joining the container's cgroup: %s", strerror(errno));
}

static int no_cgroup(char *err, size_t errlen, const char *what)
{
	return hy_err(err, errlen, -1, "%s: %s", what, cg.why);
}

static void limit_text(char *text, size_t len, int64_t v)
{
	if (v < 0)
		snprintf(text, len, "max");
	else
		snprintf(text, len, "%" PRId64, v);
}

/* `what` names the request in messages: "update", or the configuration's member. */
static int set_limit(const char *file, int64_t v, const char *what, char *err, size_t errlen)
{
	char text[32];
	int r;

	limit_text(text, sizeof(text), v);
	r = write_at(cg.dir, file, text);
	if (r < 0)
		return hy_err(err, errlen, -1, "%s: %s %s: %s", what, file, text, strerror(-r));
	return 0;
}

/* cpu.max is "QUOTA PERIOD": the one not given keeps its value. */
static int set_cpu_max(const struct agent_resources *res, const char *what, char *err,
		       size_t errlen)
{
	char cur[64], quota[24] = "max", text[64];
	unsigned long long period = 100000;
	int r = read_at("cpu.max", cur, sizeof(cur));

	if (r < 0)
		return hy_err(err, errlen, -1, "%s: cpu.max: %s", what, strerror(-r));
	if (sscanf(cur, "%23s %llu", quota, &period) < 1)
		return hy_err(err, errlen, -1, "%s: cpu.max: cannot read \"%s\"", what, cur);
	if (res->has_cpu_quota)
		limit_text(quota, sizeof(quota), res->cpu_quota);
	if (res->has_cpu_period)
		period = res->cpu_period;
	snprintf(text, sizeof(text), "%s %llu", quota, period);
	r = write_at(cg.dir, "cpu.max", text);
	if (r < 0)
		return hy_err(err, errlen, -1, "%s: cpu.max %s: %s", what, text, strerror(-r));
	return 0;
}

int cgroup_update(const struct agent_resources *res, char *err, size_t errlen)
{
	if (cg.dir < 0)
		return no_cgroup(err, errlen, "update");
	if (res->has_memory && set_limit("memory.max", res->memory, "update", err, errlen) < 0)
		return -1;
	if (res->has_pids && set_limit("pids.max", res->pids, "update", err, errlen) < 0)
		return -1;
	if ((res->has_cpu_quota || res->has_cpu_period) &&
	    set_cpu_max(res, "update", err, errlen) < 0)
		return -1;
	if (res->has_cpu_weight &&
	    set_limit("cpu.weight", (int64_t)res->cpu_weight, "update", err, errlen) < 0)
		return -1;
	return 0;
}

/* --- linux.resources at boot -------------------------------------------------------- */

/*
 * Whether a limit of the configuration can go on: its controller enabled
 * and its file there. 1: write it; 0: skip it, as nothing is lost (no limit
 * asked for: `unlimited`); -1 with the reason in err.
 */
static int can_limit(int ctrl, const char *file, bool unlimited, const char *member, char *err,
		     size_t errlen)
{
	if (!(cg.enabled & 1u << ctrl)) {
		if (unlimited)
			return 0;
		return hy_err(err, errlen, -1, "linux.resources.%s: %s", member, cg.why_ctrl[ctrl]);
	}
	if (faccessat(cg.dir, file, W_OK, 0) < 0) {
		if (unlimited)
			return 0;
		return hy_err(err, errlen, -1,
			      "linux.resources.%s: the guest kernel cannot set it (%s: %s)", member,
			      file, strerror(errno));
	}
	return 1;
}

static int apply_limit(int ctrl, const char *file, int64_t v, const char *member, char *err,
		       size_t errlen)
{
	char what[64];
	int r = can_limit(ctrl, file, v < 0, member, err, errlen);

	if (r <= 0)
		return r;
	snprintf(what, sizeof(what), "linux.resources.%s", member);
	return set_limit(file, v, what, err, errlen);
}

static int apply_limits(const struct gc_resources *g, char *err, size_t errlen)
{
	struct agent_resources cpu = {
	    .has_cpu_quota = g->has_cpu_quota,
	    .cpu_quota = g->cpu_quota,
	    .has_cpu_period = g->has_cpu_period,
	    .cpu_period = g->cpu_period,
	};
	int r;

	if (g->has_memory &&
	    apply_limit(CTRL_MEMORY, "memory.max", g->memory, "memory.limit", err, errlen) < 0)
		return -1;
	/* A guest kernel without swap (no memory.swap.max) swaps nothing out:
	 * any swap limit holds there, as crun lets it pass on such a host. */
	if (g->has_memory_swap) {
		if (cg.enabled & 1u << CTRL_MEMORY &&
		    faccessat(cg.dir, "memory.swap.max", W_OK, 0) < 0 && errno == ENOENT)
			init_dbg("hyrun-init: cgroup: no swap in the guest kernel: memory.swap "
				 "holds without memory.swap.max");
		else if (apply_limit(CTRL_MEMORY, "memory.swap.max", g->memory_swap, "memory.swap",
				     err, errlen) < 0)
			return -1;
	}
	if (g->has_pids &&
	    apply_limit(CTRL_PIDS, "pids.max", g->pids, "pids.limit", err, errlen) < 0)
		return -1;
	if (g->has_cpu_quota || g->has_cpu_period) {
		r = can_limit(CTRL_CPU, "cpu.max", (!g->has_cpu_quota || g->cpu_quota < 0),
			      g->has_cpu_quota ? "cpu.quota" : "cpu.period", err, errlen);
		if (r < 0 || (r > 0 && set_cpu_max(&cpu, "linux.resources.cpu", err, errlen) < 0))
			return -1;
	}
	if (g->has_cpu_weight && apply_limit(CTRL_CPU, "cpu.weight", (int64_t)g->cpu_weight,
					     "cpu.shares", err, errlen) < 0)
		return -1;
	return 0;
}

/*
 * The device filter: the rules, devfilter_defaults, and read and write of
 * the workload's stdio ports. Those are virtio-console ports, which runc's
 * containers never have: without them a workload that reopens its own
 * stdio (/dev/stdout is /proc/self/fd/1, an open() of the port) would fail
 * where it works under runc, whose stdio is a pipe or a pty (allowed).
 */
static int apply_devices(const struct gc_resources *g, const dev_t *ports, size_t nr_ports,
			 char *err, size_t errlen)
{
	size_t nr = g->nr_devices + DEVFILTER_NR_DEFAULTS + nr_ports;
	struct gc_device_rule *rules = calloc(nr, sizeof(*rules));
	char msg[512];
	int n;

	if (!rules)
		return hy_err(err, errlen, -1, "linux.resources.devices: out of memory");
	if (g->nr_devices)
		memcpy(rules, g->devices, g->nr_devices * sizeof(*rules));
	memcpy(rules + g->nr_devices, devfilter_defaults, sizeof(devfilter_defaults));
	for (size_t i = 0; i < nr_ports; i++)
		rules[g->nr_devices + DEVFILTER_NR_DEFAULTS + i] = (struct gc_device_rule){
		    .allow = true,
		    .type = 'c',
		    .major = major(ports[i]),
		    .minor = minor(ports[i]),
		    .read = true,
		    .write = true,
		};
	/* The guest's cgroup is the container's alone: no other program to keep. */
	n = devfilter_install(cg.dir, rules, nr, 0, msg, sizeof(msg));
	free(rules);
	if (n < 0)
		return hy_err(err, errlen, -1, "linux.resources.devices: %s", msg);
	init_dbg("hyrun-init: cgroup: device filter of %zu rules (%zu given) attached, %d "
		 "instructions",
		 nr, g->nr_devices, n);
	return 0;
}

/* Whether the whitespace-separated list holds word. */
static bool list_has(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)) != NULL; p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || !p[n]))
			return true;
	return false;
}

/*
 * The controller of unified's `key` ("io" of "io.max") enabled for the
 * container's cgroup: when enable_controllers() left it out, it is enabled
 * in the parent (the guest's root cgroup, the container's alone), then
 * looked for again. -1 with a message naming the key when it is not there.
 */
static int unified_controller(const char *key, size_t len, char *err, size_t errlen)
{
	char have[512], ctrl[32], plus[40];
	int parent, r;

	if (len == 0 || len >= sizeof(ctrl))
		return hy_err(err, errlen, -1,
			      "linux.resources.unified.%s: not a file of a cgroup controller", key);
	snprintf(ctrl, sizeof(ctrl), "%.*s", (int)len, key);
	if (read_at("cgroup.controllers", have, sizeof(have)) >= 0 && list_has(have, ctrl))
		return 0;
	snprintf(plus, sizeof(plus), "+%s", ctrl);
	parent = openat(cg.dir, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	r = parent >= 0 ? write_at(parent, "cgroup.subtree_control", plus) : -errno;
	if (parent >= 0)
		close(parent);
	if (r < 0)
		return hy_err(
		    err, errlen, -1,
		    "linux.resources.unified.%s: the guest has no %s controller to enable "
		    "(%s)",
		    key, ctrl, strerror(-r));
	if (read_at("cgroup.controllers", have, sizeof(have)) < 0 || !list_has(have, ctrl))
		return hy_err(
		    err, errlen, -1,
		    "linux.resources.unified.%s: the %s controller is not enabled for the "
		    "container's cgroup",
		    key, ctrl);
	init_dbg("hyrun-init: cgroup: the %s controller enabled for linux.resources.unified", ctrl);
	return 0;
}

/*
 * linux.resources.unified: each value written to its file of the container's
 * cgroup (a name in its directory, as the decoder checked), in order. The
 * runtime-spec asks a runtime to fail when one cannot be applied: a file the
 * guest kernel lacks, a value it refuses.
 */
static int apply_unified(const struct gc_resources *g, char *err, size_t errlen)
{
	for (size_t i = 0; i < g->nr_unified; i++) {
		const char *key = g->unified[i].key, *value = g->unified[i].value;
		const char *dot = strchr(key, '.');
		int r;

		/* cgroup.* files are the core's, of no controller. */
		if (dot && strncmp(key, "cgroup.", 7) != 0 &&
		    unified_controller(key, (size_t)(dot - key), err, errlen) < 0)
			return -1;
		r = write_at(cg.dir, key, value);
		if (r < 0)
			return hy_err(err, errlen, -1,
				      "linux.resources.unified.%s: cannot write \"%s\": %s", key,
				      value, strerror(-r));
		init_dbg("hyrun-init: cgroup: %s set to \"%s\"", key, value);
	}
	return 0;
}

int cgroup_apply(const struct gc_resources *res, const dev_t *ports, size_t nr_ports, char *err,
		 size_t errlen)
{
	if (cg.dir < 0)
		return hy_err(err, errlen, -1, "linux.resources: cannot be applied: %s", cg.why);
	if (apply_limits(res, err, errlen) < 0)
		return -1;
	if (res->has_devices && apply_devices(res, ports, nr_ports, err, errlen) < 0)
		return -1;
	if (res->nr_unified && apply_unified(res, err, errlen) < 0)
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
