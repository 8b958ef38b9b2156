/* process.c: the workload's process: UTS names, sysctls, rlimits, HOME, personality, scheduler,
 * I/O priority, user, caps, cwd, execve().
 */
#include "rootfs/init/container.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/ioprio.h>

#include "common/agent_proto.h"
#include "common/fdio.h"
#include "rootfs/init/container_int.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define DEFAULT_UMASK 0022

const struct container_opts *container_opts;

void container_dbg(const char *fmt, ...)
{
	va_list ap;

	if (!container_opts->debug)
		return;
	va_start(ap, fmt);
	/* When this fails there is nowhere to say it. */
	hy_vwrite_line(container_opts->log_fd >= 0 ? container_opts->log_fd : STDERR_FILENO, fmt,
		       ap);
	va_end(ap);
}

int container_fail(struct container_error *e, int status, int err, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(e->msg, sizeof(e->msg), "hyrun-init: ");

	va_start(ap, fmt);
	vsnprintf(e->msg + n, sizeof(e->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	e->status = status;
	e->err = err;
	return -1;
}

static int apply_sysctl(const struct guest_config *gc, struct container_error *e)
{
	for (size_t i = 0; i < gc->nr_sysctl; i++) {
		char path[PATH_MAX];
		size_t len = strlen(gc->sysctl[i].value);
		int fd;

		if (container_opts->test) {
			container_dbg("hyrun-init: self-test: sysctl %s not set",
				      gc->sysctl[i].key);
			continue;
		}
		snprintf(path, sizeof(path), "/proc/sys/%s", gc->sysctl[i].key);
		for (char *p = path + strlen("/proc/sys/"); *p; p++)
			if (*p == '.')
				*p = '/';
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, gc->sysctl[i].value, len) != (ssize_t)len) {
			int err = errno;

			if (fd >= 0)
				close(fd);
			return container_fail(
			    e, HY_INIT_STATUS_SETUP, err, "linux.sysctl: cannot set %s to '%s': %s",
			    gc->sysctl[i].key, gc->sysctl[i].value, strerror(err));
		}
		close(fd);
	}
	return 0;
}

static int apply_rlimits(const struct guest_config *gc, struct container_error *e)
{
	for (size_t i = 0; i < gc->nr_rlimits; i++) {
		const struct gc_rlimit *rl = &gc->rlimits[i];
		struct rlimit lim = {
		    .rlim_cur = rl->soft == UINT64_MAX ? RLIM_INFINITY : rl->soft,
		    .rlim_max = rl->hard == UINT64_MAX ? RLIM_INFINITY : rl->hard,
		};

		if (setrlimit((__rlimit_resource_t)rl->resource, &lim) < 0)
			return container_fail(e, HY_INIT_STATUS_SETUP, errno,
					      "process.rlimits: setting %s: %s",
					      hy_rlimit_name(rl->resource), strerror(errno));
	}
	return 0;
}

static int apply_oom_score_adj(const struct guest_config *gc, struct container_error *e)
{
	char buf[16];
	int fd, n;

	if (!gc->has_oom_score_adj)
		return 0;
	n = snprintf(buf, sizeof(buf), "%d", gc->oom_score_adj);
	fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, buf, (size_t)n) != n) {
		int err = errno;

		if (fd >= 0)
			close(fd);
		return container_fail(e, HY_INIT_STATUS_SETUP, err, "process.oomScoreAdj: %s",
				      strerror(err));
	}
	close(fd);
	return 0;
}

/*
 * sched_setattr(2)'s argument, as the kernel's uapi defines it (through the
 * utilization clamps, which SCHED_FLAG_UTIL_CLAMP_* needs the size of):
 * linux/sched/types.h cannot be included beside glibc's own sched_param.
 */
struct sched_attr_abi {
	uint32_t size;
	uint32_t sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime, sched_deadline, sched_period;
	uint32_t sched_util_min, sched_util_max;
};

/*
 * process.scheduler, as root and before the filter (which may not allow
 * sched_setattr): a real-time policy needs CAP_SYS_NICE, which the user
 * switch may drop.
 */
static int apply_scheduler(const struct guest_config *gc, struct container_error *e)
{
	const struct gc_scheduler *s = &gc->scheduler;
	struct sched_attr_abi attr = {
	    .size = sizeof(attr),
	    .sched_policy = s->policy,
	    .sched_flags = s->flags,
	    .sched_nice = s->nice,
	    .sched_priority = s->priority,
	    .sched_runtime = s->runtime,
	    .sched_deadline = s->deadline,
	    .sched_period = s->period,
	};

	if (!gc->has_scheduler)
		return 0;
	if (syscall(SYS_sched_setattr, 0, &attr, 0) < 0)
		return container_fail(e, HY_INIT_STATUS_SETUP, errno,
				      "process.scheduler: sched_setattr with policy %s: %s",
				      gc_sched_policy_name(s->policy), strerror(errno));
	return 0;
}

static int apply_io_priority(const struct guest_config *gc, struct container_error *e)
{
	const struct gc_io_priority *io = &gc->io_priority;

	if (!gc->has_io_priority)
		return 0;
	if (syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0,
		    IOPRIO_PRIO_VALUE(io->ioclass, io->priority)) < 0) {
		/* A guest kernel without a block layer (the minimal one) has no I/O
		 * priorities and nothing they would order: the container's files
		 * are virtio-fs, served by the host. Nothing to apply, as on a
		 * host whose disks have no I/O scheduler. */
		if (errno == ENOSYS) {
			container_dbg("hyrun-init: process.ioPriority: the guest kernel has no "
				      "block layer; nothing to apply");
			return 0;
		}
		return container_fail(
		    e, HY_INIT_STATUS_SETUP, errno, "process.ioPriority: ioprio_set %s %u: %s",
		    gc_ioprio_class_name(io->ioclass), io->priority, strerror(errno));
	}
	return 0;
}

/*
 * linux.personality. The kernel takes a domain it does not run (LINUX32 on
 * a kernel without 32-bit support) without an error and keeps running the
 * old one, so the result is read back.
 */
static int apply_personality(const struct guest_config *gc, struct container_error *e)
{
	int now;

	if (!gc->has_personality)
		return 0;
	if (personality(gc->personality) < 0)
		return container_fail(e, HY_INIT_STATUS_SETUP, errno, "linux.personality: %s: %s",
				      gc_personality_name(gc->personality), strerror(errno));
	now = personality(0xffffffff);
	if (now != (int)gc->personality)
		return container_fail(e, HY_INIT_STATUS_SETUP, EINVAL,
				      "linux.personality: %s: the guest kernel keeps 0x%x",
				      gc_personality_name(gc->personality), (unsigned)now);
	return 0;
}

static int set_user_and_caps(const struct guest_config *gc, struct container_error *e)
{
	unsigned last = (unsigned)cap_max_bits() - 1;
	cap_t caps;

	if (gc->has_caps) {
		/* Bounding first, while CAP_SETPCAP is still there. Caps the
		 * kernel knows and the spec cannot name are dropped too. */
		for (unsigned c = 0; c <= last; c++) {
			if (c <= hy_cap_last() && (gc->caps[HY_CAP_BOUNDING] >> c & 1))
				continue;
			if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
				return container_fail(
				    e, HY_INIT_STATUS_SETUP, errno,
				    "process.capabilities.bounding: dropping %s: %s",
				    hy_cap_name(c) ? hy_cap_name(c) : "?", strerror(errno));
		}
		/* Keep the permitted set across the switch to a non-zero uid. */
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
			return container_fail(e, HY_INIT_STATUS_SETUP, errno, "PR_SET_KEEPCAPS: %s",
					      strerror(errno));
	}
	if (setgroups(gc->nr_additional_gids, gc->additional_gids) < 0)
		return container_fail(e, HY_INIT_STATUS_SETUP, errno,
				      "process.user.additionalGids: setgroups: %s",
				      strerror(errno));
	if (setresgid(gc->gid, gc->gid, gc->gid) < 0)
		return container_fail(e, HY_INIT_STATUS_SETUP, errno, "process.user.gid %u: %s",
				      gc->gid, strerror(errno));
	if (setresuid(gc->uid, gc->uid, gc->uid) < 0)
		return container_fail(e, HY_INIT_STATUS_SETUP, errno, "process.user.uid %u: %s",
				      gc->uid, strerror(errno));
	if (!gc->has_caps)
		return 0;

	caps = cap_init();
	if (!caps)
		return container_fail(e, HY_INIT_STATUS_SETUP, errno, "cap_init: %s",
				      strerror(errno));
	for (unsigned c = 0; c <= hy_cap_last() && c <= last; c++) {
		cap_value_t v = (cap_value_t)c;

		if (gc->caps[HY_CAP_EFFECTIVE] >> c & 1)
			cap_set_flag(caps, CAP_EFFECTIVE, 1, &v, CAP_SET);
		if (gc->caps[HY_CAP_PERMITTED] >> c & 1)
			cap_set_flag(caps, CAP_PERMITTED, 1, &v, CAP_SET);
		if (gc->caps[HY_CAP_INHERITABLE] >> c & 1)
			cap_set_flag(caps, CAP_INHERITABLE, 1, &v, CAP_SET);
	}
	if (cap_set_proc(caps) < 0) {
		int err = errno;

		cap_free(caps);
		return container_fail(e, HY_INIT_STATUS_SETUP, err,
				      "process.capabilities: setting effective, permitted and "
				      "inheritable: %s",
				      strerror(err));
	}
	cap_free(caps);
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	/* The kernel takes an ambient capability only when it is permitted and
	 * inheritable as well; one that is not is left out, as runc and crun do
	 * (runtime-spec configs commonly list ambient without inheritable). */
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	for (unsigned c = 0; c <= hy_cap_last() && c <= last; c++) {
		if (!(gc->caps[HY_CAP_AMBIENT] >> c & 1))
			continue;
		if (!(gc->caps[HY_CAP_PERMITTED] >> c & 1 && gc->caps[HY_CAP_INHERITABLE] >> c & 1))
			continue;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
			return container_fail(e, HY_INIT_STATUS_SETUP, errno,
					      "process.capabilities.ambient: raising %s: %s",
					      hy_cap_name(c), strerror(errno));
	}
	return 0;
}

/*
 * The home directory /etc/passwd gives uid, read in the root the process
 * runs in (confined to it: the image's symlinks cannot send the read
 * elsewhere): its sixth field, as is. NULL when the file or the uid is not
 * there. Written into buf.
 */
static const char *passwd_home(uid_t uid, char *buf, size_t len)
{
	int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	/* Non-blocking: the image's /etc/passwd could be a FIFO nobody writes. */
	int fd = root < 0 ? -1 : root_open(root, "/etc/passwd", O_RDONLY | O_NONBLOCK);
	const char *home = NULL;
	char *line = NULL;
	size_t cap = 0;
	struct stat st;
	FILE *f = NULL;

	if (root >= 0)
		close(root);
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		f = fdopen(fd, "r");
	if (!f) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while (!home && getline(&line, &cap, f) > 0) {
		/* name:password:uid:gid:gecos:home:shell */
		char *field[7], *p = line, *end;
		size_t n = 0;
		unsigned long id;

		line[strcspn(line, "\n")] = '\0';
		while (n < 7 && p) {
			field[n++] = p;
			p = strchr(p, ':');
			if (p)
				*p++ = '\0';
		}
		if (n < 6 || !field[2][0])
			continue;
		errno = 0;
		id = strtoul(field[2], &end, 10);
		if (errno || *end || field[2][0] == '-' || id != uid)
			continue;
		snprintf(buf, len, "%s", field[5]);
		home = buf;
	}
	free(line);
	fclose(f);
	return home;
}

/*
 * process.env, with HOME added when it has none, as runc and crun add it:
 * the home of process.user.uid in the root's /etc/passwd, or "/". NULL-
 * terminated; process.env itself when nothing is added, else malloc'd
 * (the process is about to exec). NULL when out of memory.
 */
static const char *const *process_env(const struct guest_config *gc)
{
	char buf[PATH_MAX], *var;
	const char **env, *home;

	for (size_t i = 0; i < gc->nr_env; i++)
		if (strncmp(gc->env[i], "HOME=", 5) == 0)
			return gc->env;
	env = calloc(gc->nr_env + 2, sizeof(*env));
	if (!env)
		return NULL;
	home = passwd_home(gc->uid, buf, sizeof(buf));
	if (asprintf(&var, "HOME=%s", home ? home : "/") < 0) {
		free(env);
		return NULL;
	}
	for (size_t i = 0; i < gc->nr_env; i++)
		env[i] = gc->env[i];
	env[gc->nr_env] = var;
	return env;
}

static const char *env_path(const struct guest_config *gc)
{
	for (size_t i = 0; i < gc->nr_env; i++)
		if (strncmp(gc->env[i], "PATH=", 5) == 0)
			return gc->env[i] + 5;
	return DEFAULT_PATH;
}

int container_path_search(const char *path, const char *name, char *buf, size_t len)
{
	const char *p = path;
	bool denied = false;

	while (p) {
		const char *end = strchr(p, ':');
		size_t dlen = end ? (size_t)(end - p) : strlen(p);
		struct stat st;

		if (dlen == 0)
			snprintf(buf, len, "%s", name); /* an empty entry is "." */
		else
			snprintf(buf, len, "%.*s/%s", (int)dlen, p, name);
		if (stat(buf, &st) == 0 && S_ISREG(st.st_mode)) {
			if (access(buf, X_OK) == 0)
				return 0;
			denied = true;
		}
		p = end ? end + 1 : NULL;
	}
	return denied ? EACCES : ENOENT;
}

/*
 * args[0] looked up in the PATH of process.env (not hyrun-init's own), in
 * the new root and as the workload's user. Returns 0 with the path in buf.
 */
static int resolve_exec(const struct guest_config *gc, char *buf, size_t len,
			struct container_error *e)
{
	const char *name = gc->args[0];
	int err;

	if (strchr(name, '/')) {
		snprintf(buf, len, "%s", name);
		return 0;
	}
	err = container_path_search(env_path(gc), name, buf, len);
	if (err == EACCES)
		return container_fail(e, HY_INIT_STATUS_NOEXEC, EACCES, "exec '%s': %s", name,
				      strerror(EACCES));
	if (err)
		return container_fail(e, HY_INIT_STATUS_NOTFOUND, ENOENT,
				      "exec '%s': executable file not found in $PATH", name);
	return 0;
}

static int exec_status(int err)
{
	return err == ENOENT || err == ENOTDIR ? HY_INIT_STATUS_NOTFOUND : HY_INIT_STATUS_NOEXEC;
}

/*
 * The process part, shared by the workload (after its root and mounts) and
 * by exec'd processes (in the workload's root already): terminal, HOME,
 * personality, scheduler, I/O priority, user, capabilities, umask, cwd,
 * noNewPrivileges, seccomp, execve(). The
 * workload's cwd was made with its root (mounts.c); an exec'd process's
 * is not made: a missing one is an error, as with runc exec.
 */
static void exec_process(const struct guest_config *gc, const struct container_opts *o,
			 struct container_error *e)
{
	const char *const *env;
	char exe[PATH_MAX];

	if (o->setup_terminal && o->setup_terminal(e) < 0)
		return;
	/* As root, before the filter: /etc/passwd may be the user's to read
	 * only as root, and the filter may deny the reading. */
	env = process_env(gc);
	if (!env) {
		container_fail(e, HY_INIT_STATUS_SETUP, ENOMEM, "process.env: out of memory");
		return;
	}
	if (o->before_seccomp)
		o->before_seccomp();
	if (apply_personality(gc, e) < 0 || apply_scheduler(gc, e) < 0 ||
	    apply_io_priority(gc, e) < 0)
		return;
	if (gc->seccomp && !gc->no_new_privileges && container_load_seccomp(gc, e) < 0)
		return;
	if (set_user_and_caps(gc, e) < 0)
		return;
	umask(gc->has_umask ? gc->umask : DEFAULT_UMASK);
	if (chdir(gc->cwd) < 0) {
		container_fail(e, HY_INIT_STATUS_SETUP, errno,
			       "chdir to cwd (\"%s\") set in config.json failed: %s", gc->cwd,
			       strerror(errno));
		return;
	}
	if (gc->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		container_fail(e, HY_INIT_STATUS_SETUP, errno, "process.noNewPrivileges: %s",
			       strerror(errno));
		return;
	}
	if (resolve_exec(gc, exe, sizeof(exe), e) < 0)
		return;
	/* Last, so the filter sees only execve() of what set-up made. */
	if (gc->seccomp && gc->no_new_privileges && container_load_seccomp(gc, e) < 0)
		return;
	if (o->before_exec)
		o->before_exec();
	execve(exe, (char *const *)gc->args, (char *const *)env);
	container_fail(e, exec_status(errno), errno, "exec '%s': %s", gc->args[0], strerror(errno));
}

/* hostname and domainname, in the UTS namespace the workload runs in. */
static int set_uts_names(const struct guest_config *gc, struct container_error *e)
{
	if (gc->hostname && sethostname(gc->hostname, strlen(gc->hostname)) < 0)
		return container_fail(e, HY_INIT_STATUS_SETUP, errno, "hostname '%s': %s",
				      gc->hostname, strerror(errno));
	if (gc->domainname && setdomainname(gc->domainname, strlen(gc->domainname)) < 0)
		return container_fail(e, HY_INIT_STATUS_SETUP, errno, "domainname '%s': %s",
				      gc->domainname, strerror(errno));
	return 0;
}

void container_exec(const struct guest_config *gc, const struct container_opts *o,
		    struct container_error *e)
{
	container_opts = o;
	memset(e, 0, sizeof(*e));
	if (!container_opts->test && set_uts_names(gc, e) < 0)
		return;
	if (apply_sysctl(gc, e) < 0 || apply_oom_score_adj(gc, e) < 0 || apply_rlimits(gc, e) < 0 ||
	    mounts_build_root(gc, e) < 0)
		return;
	/* In self-test mode the child has a UTS namespace of its own by now. */
	if (container_opts->test && set_uts_names(gc, e) < 0)
		return;
	exec_process(gc, o, e);
}

void container_exec_process(const struct guest_config *gc, const struct container_opts *o,
			    struct container_error *e)
{
	container_opts = o;
	memset(e, 0, sizeof(*e));
	if (apply_oom_score_adj(gc, e) < 0 || apply_rlimits(gc, e) < 0)
		return;
	exec_process(gc, o, e);
}
