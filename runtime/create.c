/* create.c: `hyrun create`: the jail, hyrun-vmm, the guest booted up to the workload's exec.
 *
 * Order (each step undone if a later one fails):
 *   1. validate: the id, the bundle's config.json, the console choice, the VM
 *      size and files; nothing exists yet
 *   2. <root>/<id>/ made (mkdir: a duplicate id fails here) and locked;
 *      state.json "creating"; the config.json rewritten for the jail
 *   3. the cgroup, with the spec's limits
 *   4. the pty, its master sent over --console-socket (process.terminal)
 *   5. ctl.sock (listening) and the ready pipe, inherited by the VMM
 *   6. jail_spawn(hyrun-vmm --control-fd --ready-fd [--tty] ...)
 *   7. prestart and createRuntime hooks
 *   8. wait until the VMM writes "ready" (the guest has prepared the
 *      workload) or fails: its exit status is turned into a message
 *   9. createContainer hooks; state.json "created"; --pid-file
 */
#include "runtime/lifecycle.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/agent_proto.h"
#include "runtime/cgroup.h"
#include "runtime/console.h"
#include "runtime/container.h"
#include "runtime/defaults.h"
#include "runtime/hooks.h"
#include "runtime/jail.h"
#include "runtime/sizing.h"
#include "runtime/vmconfig.h"

/* What virtio-fs passthrough needs of the VMM's capabilities; all others are dropped. */
#define VMM_KEEP_CAPS                                                                              \
	((1ULL << CAP_CHOWN) | (1ULL << CAP_DAC_OVERRIDE) | (1ULL << CAP_DAC_READ_SEARCH) |        \
	 (1ULL << CAP_FOWNER) | (1ULL << CAP_FSETID) | (1ULL << CAP_SETUID) |                      \
	 (1ULL << CAP_SETGID) | (1ULL << CAP_MKNOD) | (1ULL << CAP_SETFCAP))

static const enum jail_ns_type ns_map[OCI_NS_NR] = {
    [OCI_NS_PID] = JAIL_NS_PID,	      [OCI_NS_NETWORK] = JAIL_NS_NET,
    [OCI_NS_MOUNT] = JAIL_NS_MOUNT,   [OCI_NS_IPC] = JAIL_NS_IPC,
    [OCI_NS_UTS] = JAIL_NS_UTS,	      [OCI_NS_USER] = JAIL_NS_USER,
    [OCI_NS_CGROUP] = JAIL_NS_CGROUP,
};

int lifecycle_load_spec(const char *path, struct oci_spec *spec, struct oci_linux *l, char *err,
			size_t errlen)
{
	char msg[RT_ERRLEN];
	int r;

	memset(l, 0, sizeof(*l));
	r = oci_spec_load(spec, path, 0, err, errlen);
	if (r)
		return r;
	r = oci_linux_parse(l, spec->json, msg, sizeof(msg));
	if (r) {
		errf(err, errlen, "%s: %s", path, msg);
		oci_linux_free(l);
		oci_spec_free(spec);
	}
	return r;
}

/* Everything made so far, for the clean-up. */
struct creating {
	struct container *c;
	struct cgroup *cg;
	pid_t pid;
};

/* Wait for the VMM (our child, or reparented to us as subreaper) to exit; its wait
 * status, or -1 when it did not within timeout_ms. */
static int reap(pid_t pid, int timeout_ms)
{
	int status, waited = 0;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR && errno != ECHILD)
			return -1;
		/* ECHILD: an intermediate process of the jail has not exited yet. */
		if (r < 0 && errno == ECHILD && kill(pid, 0) < 0)
			return -1;
		if (waited >= timeout_ms)
			return -1;
		usleep(5000);
		waited += 5;
	}
}

static void undo(struct creating *k)
{
	char err[RT_ERRLEN];

	if (k->pid > 0) {
		kill(k->pid, SIGKILL);
		if (reap(k->pid, HY_KILL_WAIT_S * 1000) == -1)
			rt_warn("hyrun-vmm (pid %d) did not exit after SIGKILL", (int)k->pid);
	}
	if (k->cg) {
		if (cgroup_destroy(k->cg) < 0)
			rt_warn("removing the cgroup %s failed", cgroup_path(k->cg));
		cgroup_free(k->cg);
	}
	if (k->c) {
		if (container_remove(k->c, err, sizeof(err)))
			rt_warn("%s", err);
		container_close(k->c);
	}
}

static void describe_exit(int status, const char *arg0, char *buf, size_t len)
{
	if (status == -1) {
		snprintf(buf, len, "hyrun-vmm closed its ready pipe but did not exit");
	} else if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);

		snprintf(buf, len, "hyrun-vmm was killed by signal %d%s", sig,
			 sig == SIGSYS ? " (its seccomp filter blocked a system call: see its "
					 "message above)"
				       : "");
	} else {
		switch (WEXITSTATUS(status)) {
		case HY_INIT_STATUS_NOTFOUND:
			snprintf(buf, len,
				 "unable to start container process: exec: \"%s\": executable file "
				 "not found in $PATH",
				 arg0);
			break;
		case HY_INIT_STATUS_NOEXEC:
			snprintf(
			    buf, len,
			    "unable to start container process: exec: \"%s\": permission denied",
			    arg0);
			break;
		case HY_STATUS_VMM_ERROR:
			snprintf(buf, len,
				 "hyrun-vmm or hyrun-init failed (exit status %d): the reason "
				 "is in the message above",
				 HY_STATUS_VMM_ERROR);
			break;
		case HY_STATUS_GUEST_CRASH:
			snprintf(buf, len, "the guest crashed before the workload was ready");
			break;
		default:
			snprintf(buf, len,
				 "hyrun-vmm exited with status %d before the workload was ready",
				 WEXITSTATUS(status));
		}
	}
}

/* A descriptor the VMM inherits: not close-on-exec and above the preserved ones. */
static int inheritable(int fd, int min_fd)
{
	int nfd = fcntl(fd, F_DUPFD, min_fd);

	close(fd);
	return nfd;
}

static int control_socket(struct container *c, int min_fd, char *err, size_t errlen)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd;

	if (snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/%s", c->dir, HY_CONTROL_SOCKET) >=
	    (int)sizeof(addr.sun_path))
		snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d/%s", c->dirfd,
			 HY_CONTROL_SOCKET);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 16) < 0) {
		errf(err, errlen, "control socket %s/%s: %s", c->dir, HY_CONTROL_SOCKET,
		     strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	fd = inheritable(fd, min_fd);
	if (fd < 0)
		errf(err, errlen, "control socket: %s", strerror(errno));
	return fd;
}

static int create_timeout_s(void)
{
	const char *s = getenv(HY_ENV_CREATE_TIMEOUT);
	char *end;
	long v;

	if (!s || !*s)
		return HY_CREATE_TIMEOUT_S;
	v = strtol(s, &end, 10);
	if (*end || v <= 0 || v > 86400) {
		rt_warn("$%s=\"%s\" is not a number of seconds: using %d", HY_ENV_CREATE_TIMEOUT, s,
			HY_CREATE_TIMEOUT_S);
		return HY_CREATE_TIMEOUT_S;
	}
	return (int)v;
}

/* 1: "ready" came; 0: the pipe closed without it; -1: timed out. */
static int wait_ready(int fd, int timeout_s)
{
	struct timespec t0, now;
	char buf[16];
	size_t len = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		long left;
		ssize_t n;
		int r;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = (long)timeout_s * 1000 -
		       ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0)
			return -1;
		r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			return -1;
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, "ready\n"))
			return 1;
		if (len == sizeof(buf) - 1)
			return 0;
	}
}

static int self_dir(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);
	char *slash;

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	return 0;
}

static void limits_from(const struct oci_resources *res, struct cg_limits *lim)
{
	*lim = (struct cg_limits){
	    .memory_limit = res->memory_limit,
	    .memory_swap = res->has_memory_swap ? res->memory_swap : -1,
	    .pids_limit = res->pids_limit,
	    .cpu_quota = res->cpu_quota,
	    .cpu_period = res->cpu_period,
	    .cpu_shares = res->cpu_shares,
	    .cpuset_cpus = res->cpus,
	    .cpuset_mems = res->mems,
	};
}

static int write_pid_file(const char *path, pid_t pid, char *err, size_t errlen)
{
	char buf[24];
	int n = snprintf(buf, sizeof(buf), "%d", (int)pid);

	return rt_write_file_atomic(path, buf, (size_t)n, 0644, err, errlen);
}

int container_create(struct rt_global *g, const struct create_opts *o, pid_t *vmm_pid)
{
	struct creating k = {.pid = -1};
	struct oci_spec spec = {0};
	struct oci_linux l = {0};
	struct vm_files files = {0};
	struct vm_plan plan = {0};
	struct vm_size size;
	struct jail_config jc;
	struct cg_limits lim;
	struct timespec now;
	char err[RT_ERRLEN], msg[RT_ERRLEN], bundle[PATH_MAX], dir[PATH_MAX], path[PATH_MAX];
	char created[48], mem_arg[24], cpus_arg[16], ctl_arg[16], ready_arg[16];
	char *argv[24], *text = NULL;
	int keep[3 + 64], nkeep = 0, argc = 0;
	int slave = -1, ctl = -1, ready[2] = {-1, -1}, saved_stdio[2] = {-1, -1};
	int min_fd = STDERR_FILENO + 1 + (int)o->preserve_fds, r = -1, st;
	bool tty = false, setsid_tty = false;

	/* 1. Validate, before anything exists. */
	if (!container_id_valid(o->id)) {
		rt_error("invalid container id format: \"%s\"", o->id);
		return -1;
	}
	if (!realpath(o->bundle ? o->bundle : ".", bundle)) {
		rt_error("bundle '%s': %s", o->bundle ? o->bundle : ".", strerror(errno));
		return -1;
	}
	if (snprintf(path, sizeof(path), "%s/config.json", bundle) >= (int)sizeof(path)) {
		rt_error("bundle '%s': path too long", bundle);
		return -1;
	}
	if (lifecycle_load_spec(path, &spec, &l, err, sizeof(err))) {
		rt_error("%s", err);
		return -1;
	}
	if (spec.terminal && !o->console_socket && !o->own_tty) {
		rt_error("process.terminal is true but no --console-socket was given: cannot "
			 "allocate a tty for a container that runs detached (hyrun run uses its "
			 "own terminal when it has one)");
		goto out;
	}
	if (!spec.terminal && o->console_socket) {
		rt_error(
		    "--console-socket given but process.terminal is false: no tty to hand over");
		goto out;
	}
	if (sizing_compute(&spec, &l, &size, err, sizeof(err))) {
		rt_error("%s", err);
		goto out;
	}
	if (self_dir(dir, sizeof(dir)) < 0) {
		rt_error("cannot find hyrun's own directory: %s", strerror(errno));
		goto out;
	}
	if (vm_files_resolve(&files, dir, getenv(HY_ENV_VMM), getenv(HY_ENV_KERNEL),
			     getenv(HY_ENV_INITRD), sizing_annotation(&spec, HY_ANNOTATION_KERNEL),
			     err, sizeof(err))) {
		rt_error("%s", err);
		goto out;
	}
	if (o->preserve_fds > 64) {
		rt_error("--preserve-fds %u: at most 64", o->preserve_fds);
		goto out;
	}
	for (unsigned i = 0; i < o->preserve_fds; i++) {
		int fd = STDERR_FILENO + 1 + (int)i;

		if (fcntl(fd, F_GETFD) < 0) {
			rt_error("--preserve-fds %u: descriptor %d is not open", o->preserve_fds,
				 fd);
			goto out;
		}
		keep[nkeep++] = fd;
	}

	/* The binds, and the config.json as the VMM will read it from the state directory. */
	if (snprintf(path, sizeof(path), "%s/%s/%s", g->root, o->id, HY_CONFIG_FILE) >=
	    (int)sizeof(path)) {
		rt_error("--root '%s': path too long", g->root);
		goto out;
	}
	if (vm_plan_make(&plan, &spec, bundle, &files, path, err, sizeof(err))) {
		rt_error("%s/config.json: %s", bundle, err);
		goto out;
	}

	/* 2. The state directory. */
	if (container_make(g->root, o->id, &k.c, err, sizeof(err))) {
		rt_error("%s", err);
		goto out;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	oci_time_rfc3339(created, sizeof(created), &now);
	k.c->st.status = OCI_STATUS_CREATING;
	k.c->st.bundle = strdup(bundle);
	k.c->st.created = strdup(created);
	k.c->st.annotations = json_incref(json_object_get(spec.json, "annotations"));
	if (l.cgroups_path)
		k.c->st.cgroups_path = strdup(l.cgroups_path);
	if (!k.c->st.bundle || !k.c->st.created || (l.cgroups_path && !k.c->st.cgroups_path)) {
		rt_error("out of memory");
		goto fail;
	}
	k.c->st.rootfs = strdup(plan.rootfs);
	text = json_dumps(plan.config, JSON_COMPACT);
	if (!k.c->st.rootfs || !text) {
		rt_error("out of memory");
		goto fail;
	}
	if (rt_write_at_atomic(k.c->dirfd, HY_CONFIG_FILE, text, strlen(text), 0600, err,
			       sizeof(err)) ||
	    container_save(k.c, err, sizeof(err))) {
		rt_error("%s", err);
		goto fail;
	}

	/* 3. The cgroup. */
	limits_from(&l.res, &lim);
	if (cgroup_create(&k.cg, l.cgroups_path, o->id, &lim, err, sizeof(err))) {
		k.cg = NULL;
		rt_error("cgroup: %s", err);
		goto fail;
	}
	free(k.c->st.cgroup);
	k.c->st.cgroup = strdup(cgroup_path(k.cg));
	if (container_save(k.c, err, sizeof(err))) {
		rt_error("%s", err);
		goto fail;
	}

	/* 4. The terminal. */
	if (spec.terminal && o->console_socket) {
		slave = console_send_pty(o->console_socket, err, sizeof(err));
		if (slave < 0) {
			rt_error("%s", err);
			goto fail;
		}
		tty = setsid_tty = true;
	} else if (spec.terminal) {
		tty = true; /* run in the foreground: hyrun's own terminal */
	}

	/* 5. What the VMM inherits besides its stdio. */
	ctl = control_socket(k.c, min_fd, err, sizeof(err));
	if (ctl < 0) {
		rt_error("%s", err);
		goto fail;
	}
	if (pipe2(ready, O_CLOEXEC) < 0 || (ready[1] = inheritable(ready[1], min_fd)) < 0) {
		rt_error("ready pipe: %s", strerror(errno));
		goto fail;
	}
	keep[nkeep++] = ctl;
	keep[nkeep++] = ready[1];

	snprintf(mem_arg, sizeof(mem_arg), "%uM", size.mem_mib);
	snprintf(cpus_arg, sizeof(cpus_arg), "%u", size.vcpus);
	snprintf(ctl_arg, sizeof(ctl_arg), "%d", ctl);
	snprintf(ready_arg, sizeof(ready_arg), "%d", ready[1]);
	argv[argc++] = HY_VMM_NAME;
	argv[argc++] = "--kernel";
	argv[argc++] = HY_JAIL_KERNEL;
	argv[argc++] = "--initrd";
	argv[argc++] = HY_JAIL_INITRD;
	argv[argc++] = "--mem";
	argv[argc++] = mem_arg;
	argv[argc++] = "--cpus";
	argv[argc++] = cpus_arg;
	argv[argc++] = "--spec";
	argv[argc++] = HY_JAIL_CONFIG;
	argv[argc++] = "--control-fd";
	argv[argc++] = ctl_arg;
	argv[argc++] = "--ready-fd";
	argv[argc++] = ready_arg;
	if (tty)
		argv[argc++] = "--tty";
	if (g->debug)
		argv[argc++] = "--debug";
	argv[argc] = NULL;

	memset(&jc, 0, sizeof(jc));
	for (unsigned t = 0; t < OCI_NS_NR; t++) {
		jc.ns[ns_map[t]].enabled = l.ns[t].enabled;
		jc.ns[ns_map[t]].path = l.ns[t].path;
	}
	/* struct oci_idmap and struct jail_idmap are the same three numbers. */
	_Static_assert(sizeof(struct oci_idmap) == sizeof(struct jail_idmap), "idmap layout");
	jc.uid_map = (struct jail_idmap *)l.uid_mappings;
	jc.nr_uid_map = l.nr_uid_mappings;
	jc.gid_map = (struct jail_idmap *)l.gid_mappings;
	jc.nr_gid_map = l.nr_gid_mappings;
	jc.binds = plan.binds;
	jc.nr_binds = plan.nr_binds;
	jc.vmm_path = files.vmm;
	jc.vmm_argv = argv;
	jc.keep_fds = keep;
	jc.nr_keep_fds = (size_t)nkeep;
	jc.cgroup = k.cg;
	jc.setsid_tty = setsid_tty;
	if (l.ns[OCI_NS_UTS].enabled && !l.ns[OCI_NS_UTS].path)
		jc.hostname = spec.hostname;
	jc.keep_caps = VMM_KEEP_CAPS;

	/* 6. The VMM. As subreaper, hyrun can reap it on failure even when the jail
	 * put it in a pid namespace behind an intermediate process. */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	if (slave >= 0) {
		saved_stdio[0] = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, min_fd);
		saved_stdio[1] = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, min_fd);
		if (saved_stdio[0] < 0 || saved_stdio[1] < 0 || dup2(slave, STDIN_FILENO) < 0 ||
		    dup2(slave, STDOUT_FILENO) < 0) {
			rt_error("pty: %s", strerror(errno));
			goto fail;
		}
	}
	rt_debug("starting %s with %u vCPU(s), %u MiB, kernel %s", files.vmm, size.vcpus,
		 size.mem_mib, files.kernel);
	k.pid = jail_spawn(&jc, err, sizeof(err));
	if (slave >= 0) {
		dup2(saved_stdio[0], STDIN_FILENO);
		dup2(saved_stdio[1], STDOUT_FILENO);
	}
	close(ctl);
	close(ready[1]);
	ctl = ready[1] = -1;
	if (slave >= 0)
		close(slave);
	slave = -1;
	if (k.pid <= 0) {
		k.pid = -1;
		rt_error("starting hyrun-vmm: %s", err);
		goto fail;
	}
	k.c->st.pid = k.pid;
	{
		char pstate;
		uint64_t start = 0;
		char statpath[64], buf[1024];
		FILE *f;

		snprintf(statpath, sizeof(statpath), "/proc/%d/stat", (int)k.pid);
		f = fopen(statpath, "re");
		if (f && fgets(buf, sizeof(buf), f) && proc_stat_parse(buf, &pstate, &start) == 0)
			k.c->st.start_time = start;
		if (f)
			fclose(f);
	}
	if (container_save(k.c, err, sizeof(err))) {
		rt_error("%s", err);
		goto fail;
	}

	/* 7. Hooks that run once the VMM exists. */
	if (hooks_run(&l, OCI_HOOK_PRESTART, &k.c->st, OCI_STATUS_CREATING, false, err,
		      sizeof(err)) ||
	    hooks_run(&l, OCI_HOOK_CREATE_RUNTIME, &k.c->st, OCI_STATUS_CREATING, false, err,
		      sizeof(err))) {
		rt_error("%s", err);
		goto fail;
	}

	/* 8. The guest prepares the workload. */
	switch (wait_ready(ready[0], create_timeout_s())) {
	case 1:
		break;
	case 0:
		st = reap(k.pid, HY_KILL_WAIT_S * 1000);
		if (st != -1)
			k.pid = -1;
		describe_exit(st, spec.args[0], msg, sizeof(msg));
		rt_error("%s", msg);
		goto fail;
	default:
		rt_error("the microVM did not get ready within %d s ($%s sets the limit)",
			 create_timeout_s(), HY_ENV_CREATE_TIMEOUT);
		goto fail;
	}

	/* 9. Created. */
	if (hooks_run(&l, OCI_HOOK_CREATE_CONTAINER, &k.c->st, OCI_STATUS_CREATING, false, err,
		      sizeof(err))) {
		rt_error("%s", err);
		goto fail;
	}
	k.c->st.status = OCI_STATUS_CREATED;
	if (container_save(k.c, err, sizeof(err)) ||
	    (o->pid_file && write_pid_file(o->pid_file, k.pid, err, sizeof(err)))) {
		rt_error("%s", err);
		goto fail;
	}
	*vmm_pid = k.pid;
	container_close(k.c);
	k.c = NULL;
	cgroup_free(k.cg);
	k.cg = NULL;
	r = 0;
	goto out;

fail:
	undo(&k);
out:
	for (int i = 0; i < 2; i++) {
		if (saved_stdio[i] >= 0)
			close(saved_stdio[i]);
		if (ready[i] >= 0)
			close(ready[i]);
	}
	if (ctl >= 0)
		close(ctl);
	if (slave >= 0)
		close(slave);
	free(text);
	vm_plan_free(&plan);
	vm_files_free(&files);
	oci_linux_free(&l);
	oci_spec_free(&spec);
	return r;
}

static void create_usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: hyrun create [OPTIONS] CONTAINER_ID\n"
	    "\n"
	    "Create a container from an OCI bundle: boot its microVM and prepare the\n"
	    "workload (process.args) up to its exec; `hyrun start` releases it. The pid\n"
	    "of the container (--pid-file) is hyrun-vmm's; its exit status is the\n"
	    "workload's.\n"
	    "\n"
	    "Options:\n"
	    "  -b, --bundle DIR         the bundle (config.json and the rootfs); default: .\n"
	    "  --pid-file FILE          write hyrun-vmm's pid to FILE\n"
	    "  --console-socket PATH    with process.terminal: an AF_UNIX socket that receives\n"
	    "                           the pty master (SCM_RIGHTS), as with runc\n"
	    "  --preserve-fds N         keep descriptors 3 .. 3+N-1 open in hyrun-vmm (they stay\n"
	    "                           on the host: the guest cannot use host descriptors)\n"
	    "  --no-pivot               accepted for runc compatibility: hyrun-vmm always runs\n"
	    "                           in a pivot_root jail; the guest has its own root\n"
	    "  --no-new-keyring         accepted: the guest kernel has its own keyrings\n"
	    "  -h, --help               show this help\n");
}

int parse_preserve_fds(const char *s, unsigned *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < 0 || v > 64) {
		rt_error("--preserve-fds '%s': must be a number from 0 to 64", s);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

int cmd_create(struct rt_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"bundle", required_argument, NULL, 'b'},
	    {"pid-file", required_argument, NULL, 'p'},
	    {"console-socket", required_argument, NULL, 'c'},
	    {"preserve-fds", required_argument, NULL, 'f'},
	    {"no-pivot", no_argument, NULL, 'n'},
	    {"no-new-keyring", no_argument, NULL, 'k'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct create_opts o = {0};
	pid_t pid;
	int c;

	if (g->systemd_cgroup) {
		rt_error("--systemd-cgroup: the systemd cgroup manager is not supported; use the "
			 "cgroupfs manager (Podman: cgroup_manager = \"cgroupfs\"; containerd: "
			 "SystemdCgroup = false)");
		return 1;
	}
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:b:h", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			o.bundle = optarg;
			break;
		case 'p':
			o.pid_file = optarg;
			break;
		case 'c':
			o.console_socket = optarg;
			break;
		case 'f':
			if (parse_preserve_fds(optarg, &o.preserve_fds))
				return 1;
			break;
		case 'n':
		case 'k':
			break;
		case 'h':
			create_usage(stdout);
			return 0;
		case ':':
			rt_error("create: option '%s' needs an argument", argv[optind - 1]);
			return 1;
		default:
			rt_error("create: unknown option '%s' (see hyrun create --help)",
				 argv[optind - 1]);
			return 1;
		}
	}
	if (rt_want_args("create", argc, optind, 1))
		return 1;
	o.id = argv[optind];
	return container_create(g, &o, &pid) ? 1 : 0;
}
