/* create.c: `hyrun create`: the jail, hyrun-vmm, the guest booted up to the workload's exec.
 *
 * Steps, each a function below with its own undo (a later failure undoes the
 * earlier steps in reverse order):
 *   1. load_spec: the id, the bundle's config.json, the console choice, the VM
 *      size and files; nothing exists yet
 *   2. plan_vm: the VM plan (runtime/plan.h): the jail's binds, hyrun-vmm's
 *      shares and files, the guest configuration
 *   3. make_state: <root>/<id>/ made (mkdir: a duplicate id fails here) and
 *      locked; state.json "creating"; config.json (for the hooks of start and
 *      delete) and guest-config.json written there
 *   4. make_cgroup: the cgroup, with the spec's limits
 *   5. make_jail: the pty (its master sent over --console-socket, or kept for
 *      run's relay), ctl.sock (listening), the ready pipe and the log,
 *      inherited by the VMM; the jail's config
 *   6. start_vmm: jail_spawn(hyrun-vmm with the plan's options)
 *   7. wait_ready, between the prestart/createRuntime hooks and the
 *      createContainer hooks: the VMM writes "ready" once the guest has
 *      prepared the workload (having let go of the caller's stderr first:
 *      its later messages go to --log), or fails and its exit status becomes
 *      a message
 *   8. finish: state.json "created"; --pid-file
 * One file, though it is long: the steps share one struct of what was made so
 * far, which the undo walks back; the verb's option parsing (shared with run)
 * sits at its end.
 */
#include "runtime/lifecycle.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/capability.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/agent_proto.h"
#include "common/err.h"
#include "common/time.h"
#include "runtime/cgroup.h"
#include "runtime/console.h"
#include "runtime/container.h"
#include "runtime/defaults.h"
#include "runtime/hooks.h"
#include "runtime/idpool.h"
#include "runtime/jail.h"
#include "runtime/network.h"
#include "runtime/plan.h"
#include "runtime/sizing.h"

/* What virtio-fs passthrough needs of the VMM's capabilities; all others are
 * dropped. In the VMM's own user namespace they count only for files whose
 * owners it maps. No CAP_MKNOD: FIFOs, sockets and whiteouts need none, and
 * the VMM never makes a device node. */
#define VMM_KEEP_CAPS                                                                              \
	((1ULL << CAP_CHOWN) | (1ULL << CAP_DAC_OVERRIDE) | (1ULL << CAP_DAC_READ_SEARCH) |        \
	 (1ULL << CAP_FOWNER) | (1ULL << CAP_FSETID) | (1ULL << CAP_SETUID) |                      \
	 (1ULL << CAP_SETGID) | (1ULL << CAP_SETFCAP))

/* Descriptors hyrun opens above the preserved ones while it creates a container
 * (the VMM's sockets, pipes, taps and log, and its own files), which the
 * open-file limit must leave room for. */
#define FDS_ABOVE_PRESERVED 64
/* The largest --preserve-fds: every descriptor number must fit an int. */
#define PRESERVE_FDS_MAX (INT_MAX - STDERR_FILENO - 1 - FDS_ABOVE_PRESERVED)

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
		hy_err(err, errlen, r, "%s: %s", path, msg);
		oci_linux_free(l);
		oci_spec_free(spec);
	}
	return r;
}

/* Everything made so far, for the next step and for the clean-up. */
struct creating {
	struct rt_global *g;
	const struct create_opts *o;
	char bundle[PATH_MAX];
	char guest_config[PATH_MAX]; /* in the state directory; the plan binds it */
	struct oci_spec spec;
	struct oci_linux l;
	struct vm_files files;
	struct vm_size size;
	struct container_plan plan;
	struct rt_network net;
	struct container *c;
	struct cgroup *cg;
	struct jail_config jc;
	char **argv;
	int *keep; /* inherited by the VMM: preserved fds, taps, ctl, ready, vsock, log */
	size_t nkeep, cap_keep;
	int slave, master, ctl, vsock, ready[2], log;
	int kvm, userns;	 /* /dev/kvm and the VMM's user namespace, inherited */
	struct idpool_range ids; /* the host ids that namespace maps to */
	bool have_ids;
	char owner[PATH_MAX];	  /* the state directory's real path: holds the ids */
	char vsock_dir[PATH_MAX]; /* <state>/HY_VSOCK_DIR, bound into the jail */
	int min_fd;
	pid_t pid;
	char err[RT_ERRLEN];
};

/* Wait for the VMM (our child, or reparented to us as subreaper) to exit; its wait
 * status, or -1 when it did not within timeout_ms. */
static int reap(pid_t pid, int timeout_ms)
{
	int64_t deadline = hy_now_ms() + timeout_ms;
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR && errno != ECHILD)
			return -1;
		/* ECHILD: an intermediate process of the jail has not exited yet. */
		if (r < 0 && errno == ECHILD && kill(pid, 0) < 0)
			return -1;
		if (hy_now_ms() >= deadline)
			return -1;
		usleep(5000);
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

/* fd goes to the VMM (jail_config.keep_fds). 0 or -ENOMEM with k->err set. */
static int keep_fd(struct creating *k, int fd)
{
	if (k->nkeep == k->cap_keep) {
		size_t cap = k->cap_keep ? 2 * k->cap_keep : 16;
		int *n = realloc(k->keep, cap * sizeof(*n));

		if (!n)
			return hy_err(k->err, sizeof(k->err), -ENOMEM, "out of memory");
		k->keep = n;
		k->cap_keep = cap;
	}
	k->keep[k->nkeep++] = fd;
	return 0;
}

/* A listening socket `name` in the state directory, inherited by the VMM. A
 * Unix socket cannot be bound on every filesystem (9p, some network
 * filesystems): the message then says the state root is where it failed. */
static int state_socket(struct creating *k, const char *name, const char *what, int backlog)
{
	struct sockaddr_un addr;
	mode_t mask;
	int fd, r;

	container_socket_addr(k->c, name, &addr);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	/* 0600 whatever the caller's umask: whoever may connect may start and kill. */
	mask = umask(0177);
	r = fd < 0 ? -1 : bind(fd, (struct sockaddr *)&addr, sizeof(addr));
	umask(mask);
	if (r < 0 || listen(fd, backlog) < 0) {
		r = -errno;
		if (fd >= 0)
			close(fd);
		return hy_err(k->err, sizeof(k->err), r,
			      "cannot bind the %s %s/%s: %s (the state root --root must be on a "
			      "filesystem that can hold Unix sockets, such as tmpfs)",
			      what, k->c->dir, name, strerror(-r));
	}
	fd = inheritable(fd, k->min_fd);
	if (fd < 0)
		return hy_err(k->err, sizeof(k->err), -errno, "%s: %s", what, strerror(errno));
	return fd;
}

/*
 * The vsock device's host side (agent_proto.h): vsock.sock, listening, for
 * the VMM; and, when the spec asks for it (HY_ANNOTATION_VSOCK_CONNECT),
 * HY_VSOCK_DIR, bound read-only into the jail, where host programs may
 * listen for the guest's connections.
 */
static int vsock_socket(struct creating *k)
{
	struct container *c = k->c;
	struct jail_bind *b;
	const char *a;
	int fd = state_socket(k, HY_VSOCK_SOCKET, "vsock socket", 64);

	if (fd < 0)
		return fd;
	k->vsock = fd;
	k->plan.vm.has_vsock = true;
	k->plan.vm.vsock_fd = fd;
	a = sizing_annotation(&k->spec, HY_ANNOTATION_VSOCK_CONNECT);
	if (!a || strcmp(a, "true") != 0) {
		if (a && strcmp(a, "false") != 0)
			return hy_err(k->err, sizeof(k->err), -EINVAL,
				      "annotations." HY_ANNOTATION_VSOCK_CONNECT
				      ": '%s' is neither \"true\" nor \"false\"",
				      a);
		return 0;
	}
	snprintf(k->vsock_dir, sizeof(k->vsock_dir), "%s/%s", c->dir, HY_VSOCK_DIR);
	if (mkdirat(c->dirfd, HY_VSOCK_DIR, 0700) < 0 && errno != EEXIST)
		return hy_err(k->err, sizeof(k->err), -errno, "mkdir %s: %s", k->vsock_dir,
			      strerror(errno));
	b = realloc(k->plan.binds, (k->plan.nr_binds + 1) * sizeof(*b));
	if (!b)
		return hy_err(k->err, sizeof(k->err), -ENOMEM, "out of memory");
	k->plan.binds = b;
	b[k->plan.nr_binds++] = (struct jail_bind){k->vsock_dir, HY_JAIL_VSOCK, true, false};
	k->plan.vm.vsock_dir = HY_JAIL_VSOCK;
	return 0;
}

/* /dev/kvm, opened here: the VMM gets the descriptor, never a path. */
static int open_kvm(struct creating *k)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return hy_err(k->err, sizeof(k->err), -errno,
			      errno == ENOENT
				  ? "/dev/kvm does not exist: is the kvm module loaded, "
				    "and does this machine have hardware virtualization?"
				  : "cannot open /dev/kvm: %s",
			      strerror(errno));
	k->kvm = inheritable(fd, k->min_fd);
	if (k->kvm < 0)
		return hy_err(k->err, sizeof(k->err), -errno, "/dev/kvm: %s", strerror(errno));
	k->plan.vm.kvm_fd = k->kvm;
	return keep_fd(k, k->kvm);
}

/* The VMM runs as root after all: no idmapped binds, the ids given back. */
static void root_vmm(struct creating *k)
{
	for (size_t i = 0; i < k->plan.nr_binds; i++)
		k->plan.binds[i].idmap = false;
	if (k->userns >= 0)
		close(k->userns);
	k->userns = -1;
	if (k->have_ids)
		idpool_release(IDPOOL_DIR, k->owner, k->ids.slot);
	k->have_ids = false;
}

/* The host id that id 0 maps to in map, or -1. */
static int64_t map_root(const struct oci_idmap *map, size_t nr)
{
	for (size_t i = 0; i < nr; i++)
		if (map[i].container_id == 0 && map[i].size > 0)
			return map[i].host_id;
	return -1;
}

/* "INSIDE OUTSIDE COUNT" lines of a uid_map or gid_map: the host id of 0, or -1. */
static int64_t map_text_root(const char *text)
{
	unsigned long in, out, count;

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (sscanf(l, "%lu %lu %lu", &in, &out, &count) == 3 && in == 0 && count > 0)
			return (int64_t)out;
	return -1;
}

/*
 * The host ids of uid and gid 0 of the user namespace at path: a child joins
 * it and reads its own maps, which it sees relative to the namespace's parent.
 */
static int joined_userns_root(const char *path, int64_t *uid, int64_t *gid)
{
	char buf[2][1024] = {{0}};
	int p[2], st;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid == 0) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		const char *files[2] = {"/proc/self/uid_map", "/proc/self/gid_map"};

		if (fd < 0 || setns(fd, CLONE_NEWUSER) < 0)
			_exit(1);
		for (int i = 0; i < 2; i++) {
			FILE *f = fopen(files[i], "re");
			size_t n = f ? fread(buf[i], 1, sizeof(buf[i]) - 1, f) : 0;

			if (f)
				fclose(f);
			buf[i][n] = '\0';
		}
		_exit(write(p[1], buf, sizeof(buf)) == (ssize_t)sizeof(buf) ? 0 : 1);
	}
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return -errno;
	}
	st = read(p[0], buf, sizeof(buf)) == (ssize_t)sizeof(buf) ? 0 : -EIO;
	close(p[0]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	buf[0][sizeof(buf[0]) - 1] = buf[1][sizeof(buf[1]) - 1] = '\0';
	*uid = map_text_root(buf[0]);
	*gid = map_text_root(buf[1]);
	return st;
}

/* The files the VMM reads besides the shares (the guest configuration, the
 * vsock directory) become its root's, in its user namespace. */
static int give_vmm_files(struct creating *k, int64_t uid, int64_t gid)
{
	if (uid < 0 || gid < 0)
		return hy_err(k->err, sizeof(k->err), -EINVAL,
			      "the user namespace maps no host id to uid or gid 0: hyrun-vmm runs "
			      "as root there");
	if (fchownat(k->c->dirfd, HY_GUEST_CONFIG_FILE, (uid_t)uid, (gid_t)gid,
		     AT_SYMLINK_NOFOLLOW) < 0 ||
	    (k->vsock_dir[0] &&
	     fchownat(k->c->dirfd, HY_VSOCK_DIR, (uid_t)uid, (gid_t)gid, AT_SYMLINK_NOFOLLOW) < 0))
		return hy_err(k->err, sizeof(k->err), -errno,
			      "give the VMM's files to its host uid %lld: %s", (long long)uid,
			      strerror(errno));
	return 0;
}

/*
 * The VMM's user namespace (idpool.h): host ids of a range of the container's
 * own, every share idmapped with it. The files the VMM reads besides the
 * shares (guest configuration, the vsock directory) become the range's root's.
 * With a user namespace in the spec, the VMM runs in that one instead, as
 * the engine mapped it (the engine chowned the root filesystem to it). A
 * share that cannot be idmapped refuses the create, or with $HY_ENV_ROOT_VMM=1
 * makes the VMM run as root, saying so.
 */
static int vmm_userns(struct creating *k)
{
	struct jail_idmap map;
	char fstype[64], buf[32];
	const char *allow;
	int r;

	k->jc.proc = true;
	if (k->l.ns[OCI_NS_USER].enabled) {
		int64_t uid = -1, gid = -1;

		root_vmm(k);
		if (!k->l.ns[OCI_NS_USER].path) {
			uid = map_root(k->l.uid_mappings, k->l.nr_uid_mappings);
			gid = map_root(k->l.gid_mappings, k->l.nr_gid_mappings);
		} else if ((r = joined_userns_root(k->l.ns[OCI_NS_USER].path, &uid, &gid)) < 0) {
			return hy_err(k->err, sizeof(k->err), r, "user namespace '%s': %s",
				      k->l.ns[OCI_NS_USER].path, strerror(-r));
		}
		return give_vmm_files(k, uid, gid);
	}
	if (!realpath(k->c->dir, k->owner))
		return hy_err(k->err, sizeof(k->err), -errno, "%s: %s", k->c->dir, strerror(errno));
	if (idpool_take(IDPOOL_DIR, k->owner, &k->ids, k->err, sizeof(k->err)))
		return -1;
	k->have_ids = true;
	map = (struct jail_idmap){0, k->ids.first, k->ids.size};
	k->userns = jail_userns_make(&map, 1, &map, 1, k->err, sizeof(k->err));
	if (k->userns < 0)
		return -1;
	for (size_t i = 0; i < k->plan.nr_binds; i++) {
		const struct jail_bind *b = &k->plan.binds[i];

		if (!b->idmap)
			continue;
		r = jail_idmap_check(b->source, k->userns, fstype, sizeof(fstype));
		if (!r)
			continue;
		allow = getenv(HY_ENV_ROOT_VMM);
		if (r != -EINVAL || !allow || strcmp(allow, "1"))
			return hy_err(k->err, sizeof(k->err), r,
				      "the share '%s' is on %s, which cannot be mounted idmapped "
				      "here (%s), so hyrun-vmm cannot run unprivileged; %s=1 in "
				      "hyrun's environment lets it run as root instead",
				      b->source, fstype, strerror(-r), HY_ENV_ROOT_VMM);
		rt_warn("the share '%s' is on %s, which cannot be mounted idmapped here: "
			"hyrun-vmm runs as root (%s=1)",
			b->source, fstype, HY_ENV_ROOT_VMM);
		root_vmm(k);
		return 0;
	}
	if (give_vmm_files(k, k->ids.first, k->ids.first))
		return -1;
	snprintf(buf, sizeof(buf), "%u\n", k->ids.slot);
	if (rt_write_at_atomic(k->c->dirfd, HY_IDS_FILE, buf, strlen(buf), 0600, k->err,
			       sizeof(k->err)))
		return -1;
	k->jc.userns_fd = k->userns;
	return 0;
}

static void undo_ids(struct creating *k)
{
	root_vmm(k);
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
static int read_ready(int fd, int timeout_s)
{
	int64_t deadline = hy_now_ms() + (int64_t)timeout_s * 1000;
	char buf[16];
	size_t len = 0;

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int64_t left = deadline - hy_now_ms();
		ssize_t n;
		int r;

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
	    /* Not the spec's pids limit: the host cgroup holds the VMM's threads and
	     * the exec proxies, not the container's processes, which the guest's
	     * cgroup counts (hyrun-init applies linux.resources.pids there). A
	     * limit of 10 meant for a fork bomb would stop the VMM starting its
	     * vCPUs. The VMM cannot fork (its seccomp filter allows threads only). */
	    .pids_limit = -1,
	    .cpu_quota = res->cpu_quota,
	    .cpu_period = res->cpu_period,
	    .cpu_shares = res->cpu_shares,
	    .cpuset_cpus = res->cpus,
	    .cpuset_mems = res->mems,
	};
}

/*
 * --preserve-fds: descriptors 3 .. 3+N-1, each open, go to the VMM. What
 * hyrun opens for the VMM goes above them (min_fd), so the open-file limit
 * must leave room there: the soft limit is raised (to the hard one at most)
 * when it does not.
 */
static int preserved_fds(struct creating *k)
{
	unsigned n = k->o->preserve_fds;
	rlim_t need;
	struct rlimit rl;

	if (n > PRESERVE_FDS_MAX)
		return hy_err(k->err, sizeof(k->err), -EINVAL, "--preserve-fds %u: at most %d", n,
			      PRESERVE_FDS_MAX);
	need = (rlim_t)k->min_fd + FDS_ABOVE_PRESERVED;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return hy_err(k->err, sizeof(k->err), -errno, "getrlimit(RLIMIT_NOFILE): %s",
			      strerror(errno));
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
		if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need)
			return hy_err(k->err, sizeof(k->err), -EMFILE,
				      "--preserve-fds %u: descriptors 3 to %d leave no room for "
				      "the %d hyrun needs above them within the open-file limit "
				      "(RLIMIT_NOFILE %llu)",
				      n, k->min_fd - 1, FDS_ABOVE_PRESERVED,
				      (unsigned long long)rl.rlim_max);
		rl.rlim_cur = need;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			return hy_err(k->err, sizeof(k->err), -errno,
				      "--preserve-fds %u: raising RLIMIT_NOFILE to %llu: %s", n,
				      (unsigned long long)need, strerror(errno));
	}
	for (unsigned i = 0; i < n; i++) {
		int fd = STDERR_FILENO + 1 + (int)i;

		if (fcntl(fd, F_GETFD) < 0)
			return hy_err(k->err, sizeof(k->err), -EBADF,
				      "--preserve-fds %u: descriptor %d is not open", n, fd);
		if (keep_fd(k, fd))
			return -1;
	}
	return 0;
}

/* 1. Validate, before anything exists. */
static int load_spec(struct creating *k)
{
	const struct create_opts *o = k->o;
	char path[PATH_MAX], dir[PATH_MAX];

	if (!container_id_valid(o->id))
		return hy_err(k->err, sizeof(k->err), -EINVAL,
			      "invalid container id format: \"%s\"", o->id);
	if (!realpath(o->bundle ? o->bundle : ".", k->bundle))
		return hy_err(k->err, sizeof(k->err), -errno, "bundle '%s': %s",
			      o->bundle ? o->bundle : ".", strerror(errno));
	if (snprintf(path, sizeof(path), "%s/config.json", k->bundle) >= (int)sizeof(path))
		return hy_err(k->err, sizeof(k->err), -ENAMETOOLONG, "bundle '%s': path too long",
			      k->bundle);
	if (lifecycle_load_spec(path, &k->spec, &k->l, k->err, sizeof(k->err)))
		return -1;
	if (k->spec.terminal && !o->console_socket && !o->own_tty && !o->console_master)
		return hy_err(k->err, sizeof(k->err), -EINVAL,
			      "process.terminal is true but no --console-socket was given: "
			      "cannot allocate a tty for a container that runs detached (hyrun "
			      "run in the foreground is the console itself)");
	if (!k->spec.terminal && o->console_socket)
		return hy_err(
		    k->err, sizeof(k->err), -EINVAL,
		    "--console-socket given but process.terminal is false: no tty to hand over");
	if (sizing_compute(&k->spec, &k->l, &k->size, k->err, sizeof(k->err)))
		return -1;
	if (self_dir(dir, sizeof(dir)) < 0)
		return hy_err(k->err, sizeof(k->err), -errno,
			      "cannot find hyrun's own directory: %s", strerror(errno));
	if (vm_files_resolve(&k->files, dir, getenv(HY_ENV_VMM), getenv(HY_ENV_KERNEL),
			     getenv(HY_ENV_INITRD), getenv(HY_ENV_KERNEL_DIRS),
			     sizing_annotation(&k->spec, HY_ANNOTATION_KERNEL), k->err,
			     sizeof(k->err)))
		return -1;
	return preserved_fds(k);
}

/* 2. The plan, with the guest configuration where make_state will write it. */
static int plan_vm(struct creating *k)
{
	struct plan_request req = {
	    .base = k->bundle,
	    .jail = true,
	    .files = &k->files,
	    .guest_config_path = k->guest_config,
	};
	char msg[RT_ERRLEN];
	int r;

	if (snprintf(k->guest_config, sizeof(k->guest_config), "%s/%s/%s", k->g->root, k->o->id,
		     HY_GUEST_CONFIG_FILE) >= (int)sizeof(k->guest_config))
		return hy_err(k->err, sizeof(k->err), -ENAMETOOLONG, "--root '%s': path too long",
			      k->g->root);
	r = plan_build(&k->plan, &k->spec, &k->l, &req, msg, sizeof(msg));
	if (r)
		return hy_err(k->err, sizeof(k->err), r, "%s/config.json: %s", k->bundle, msg);
	return 0;
}

/* 3. The state directory. */
static int make_state(struct creating *k)
{
	const struct oci_linux *l = &k->l;
	struct oci_state *st;
	struct timespec now;
	char created[48];
	char *text;
	int r;

	if (container_make(k->g->root, k->o->id, &k->c, k->err, sizeof(k->err)))
		return -1;
	st = &k->c->st;
	clock_gettime(CLOCK_REALTIME, &now);
	oci_time_rfc3339(created, sizeof(created), &now);
	st->status = OCI_STATUS_CREATING;
	st->bundle = strdup(k->bundle);
	st->created = strdup(created);
	st->rootfs = strdup(k->plan.rootfs);
	st->annotations = json_incref(json_object_get(k->spec.json, "annotations"));
	if (l->cgroups_path)
		st->cgroups_path = strdup(l->cgroups_path);
	text = json_dumps(k->spec.json, JSON_COMPACT);
	if (!st->bundle || !st->created || !st->rootfs || !text ||
	    (l->cgroups_path && !st->cgroups_path)) {
		free(text);
		return hy_err(k->err, sizeof(k->err), -ENOMEM, "out of memory");
	}
	r = rt_write_at_atomic(k->c->dirfd, HY_CONFIG_FILE, text, strlen(text), 0600, k->err,
			       sizeof(k->err));
	free(text);
	if (r)
		return -1;
	return container_save(k->c, k->err, sizeof(k->err)) ? -1 : 0;
}

static void undo_state(struct creating *k)
{
	char err[RT_ERRLEN];

	if (!k->c)
		return;
	if (container_remove(k->c, err, sizeof(err)))
		rt_warn("%s", err);
	container_close(k->c);
	k->c = NULL;
}

/* 4. The network: the namespace's interfaces joined to the VM's NICs (taps the VMM
 * inherits), or standby NICs in a namespace of our own (network.h), then the guest
 * configuration, which configures them. */
static int wire_network(struct creating *k)
{
	struct rt_network *net = &k->net;
	struct netns_wiring *w = &net->w;
	char msg[RT_ERRLEN];

	if (network_wire(net, &k->l, msg, sizeof(msg)))
		return hy_err(k->err, sizeof(k->err), -EINVAL, "network: %s", msg);
	if (network_save(net, k->c->dirfd, k->err, sizeof(k->err)))
		return -1;
	if ((w->nr || net->nr_standby) &&
	    plan_set_network(&k->plan, net->nr_standby ? NULL : net->nics,
			     net->nr_standby ? 0 : w->nr, net->standby, net->nr_standby, k->err,
			     sizeof(k->err)))
		return -1;
	for (size_t i = 0; i < w->nr; i++) {
		struct netns_iface *f = &w->ifaces[i];
		int fd = inheritable(f->tap_fd, k->min_fd);

		f->tap_fd = fd;
		if (fd < 0)
			return hy_err(k->err, sizeof(k->err), -errno, "tap %s: %s", f->tap,
				      strerror(errno));
		/* A standby NIC has no MTU of its own: the guest sets the one the
		 * engine's interface has at start. */
		k->plan.vm.nics[i] = (struct plan_nic){.fd = fd, .mtu = f->mtu};
		memcpy(k->plan.vm.nics[i].mac, net->nr_standby ? net->standby[i].mac : f->mac,
		       sizeof(f->mac));
		if (keep_fd(k, fd))
			return -1;
	}
	k->plan.vm.nr_nics = w->nr;
	return rt_write_at_atomic(k->c->dirfd, HY_GUEST_CONFIG_FILE, k->plan.guest_config_text,
				  strlen(k->plan.guest_config_text), 0600, k->err, sizeof(k->err))
		   ? -1
		   : 0;
}

static void undo_network(struct creating *k)
{
	char err[RT_ERRLEN];

	if (network_unwire(&k->net, err, sizeof(err)))
		rt_warn("network: %s", err);
}

/* 5. The cgroup. */
static int make_cgroup(struct creating *k)
{
	struct cg_limits lim;
	char msg[RT_ERRLEN];
	int r;

	limits_from(&k->l.res, &lim);
	r = cgroup_create(&k->cg, k->l.cgroups_path, k->o->id, &lim, msg, sizeof(msg));
	if (r) {
		k->cg = NULL;
		return hy_err(k->err, sizeof(k->err), r < 0 ? r : -EINVAL, "cgroup: %s", msg);
	}
	if ((r = cgroup_vmm_devices(k->cg, msg, sizeof(msg))) < 0)
		return hy_err(k->err, sizeof(k->err), r, "%s", msg);
	free(k->c->st.cgroup);
	k->c->st.cgroup = strdup(cgroup_path(k->cg));
	if (!k->c->st.cgroup)
		return hy_err(k->err, sizeof(k->err), -ENOMEM, "out of memory");
	/* `update` keeps memory limits within what the VM booted with. */
	k->c->st.vcpus = k->size.vcpus;
	k->c->st.mem_mib = k->size.mem_mib;
	k->c->st.memory_limit = lim.memory_limit;
	return container_save(k->c, k->err, sizeof(k->err)) ? -1 : 0;
}

static void undo_cgroup(struct creating *k)
{
	if (!k->cg)
		return;
	if (cgroup_destroy(k->cg) < 0)
		rt_warn("removing the cgroup %s failed", cgroup_path(k->cg));
	cgroup_free(k->cg);
	k->cg = NULL;
}

/*
 * Where the VMM's own messages go once the workload is prepared and it lets
 * go of the caller's stderr (vmm/callerio.h): the --log file, in its format;
 * for run in the foreground without one, run's own stderr (run keeps it
 * anyway); else nowhere.
 */
static int vmm_log(struct creating *k, const char **format)
{
	bool json = false;
	int fd = rt_log_fd(&json);

	*format = fd >= 0 ? (json ? "json" : "text") : "plain";
	if (fd < 0 && k->o->log_to_stderr)
		fd = STDERR_FILENO;
	if (fd < 0)
		return 0;
	k->log = fcntl(fd, F_DUPFD_CLOEXEC, k->min_fd);
	if (k->log < 0)
		return hy_err(k->err, sizeof(k->err), -errno, "the VMM's log: %s", strerror(errno));
	return keep_fd(k, k->log);
}

/* The plan's options, then --log-fd and --log-format, which are not the VM's
 * plan but where the VMM itself reports. */
static int vmm_argv(struct creating *k, const char *log_format)
{
	char **plan = plan_to_argv(&k->plan.vm, HY_VMM_NAME), **argv, *strings, fd[16];
	const char *more[4] = {"--log-fd", fd, "--log-format", log_format};
	size_t n = 0, len = 0;

	if (!plan)
		return hy_err(k->err, sizeof(k->err), -errno, "hyrun-vmm's options: %s",
			      strerror(errno));
	if (k->log < 0) {
		k->argv = plan;
		return 0;
	}
	snprintf(fd, sizeof(fd), "%d", k->log);
	while (plan[n])
		len += strlen(plan[n++]) + 1;
	for (size_t i = 0; i < 4; i++)
		len += strlen(more[i]) + 1;
	/* One block, as plan_to_argv() makes it: the pointers, then the strings. */
	argv = malloc((n + 5) * sizeof(*argv) + len);
	if (!argv) {
		free(plan);
		return hy_err(k->err, sizeof(k->err), -ENOMEM, "out of memory");
	}
	strings = (char *)(argv + n + 5);
	for (size_t i = 0; i < n + 4; i++) {
		const char *a = i < n ? plan[i] : more[i - n];

		argv[i] = strcpy(strings, a);
		strings += strlen(a) + 1;
	}
	argv[n + 4] = NULL;
	free(plan);
	k->argv = argv;
	return 0;
}

/* The terminal: a pty whose master goes over --console-socket, or stays for
 * run's relay (with the window size of run's own terminal, when it has one);
 * or, with own_tty, hyrun's own terminal itself. */
static int make_console(struct creating *k, bool *tty)
{
	const struct create_opts *o = k->o;

	*tty = k->spec.terminal;
	if (!k->spec.terminal || (!o->console_socket && !o->console_master))
		return 0;
	if (o->console_socket)
		k->slave = console_send_pty(o->console_socket, k->err, sizeof(k->err));
	else
		k->slave = console_open_pty(&k->master, isatty(STDIN_FILENO) ? STDIN_FILENO : -1,
					    k->err, sizeof(k->err));
	if (k->slave < 0)
		return -1;
	k->jc.setsid_tty = true;
	return 0;
}

/* 6. What the VMM inherits besides its stdio, and the jail around it. */
static int make_jail(struct creating *k)
{
	struct jail_config *jc = &k->jc;
	const struct oci_linux *l = &k->l;
	const char *log_format;
	bool tty;

	if (make_console(k, &tty))
		return -1;
	k->ctl = state_socket(k, HY_CONTROL_SOCKET, "control socket", 16);
	if (k->ctl < 0)
		return -1;
	if (pipe2(k->ready, O_CLOEXEC) < 0 ||
	    (k->ready[1] = inheritable(k->ready[1], k->min_fd)) < 0)
		return hy_err(k->err, sizeof(k->err), -errno, "ready pipe: %s", strerror(errno));
	if (keep_fd(k, k->ctl) || keep_fd(k, k->ready[1]))
		return -1;
	if (vsock_socket(k) < 0 || keep_fd(k, k->vsock))
		return -1;
	if (vmm_log(k, &log_format))
		return -1;
	if (open_kvm(k) || vmm_userns(k))
		return -1;

	k->plan.vm.mem = (uint64_t)k->size.mem_mib << 20;
	k->plan.vm.cpus = k->size.vcpus;
	k->plan.vm.control_fd = k->ctl;
	k->plan.vm.ready_fd = k->ready[1];
	k->plan.vm.tty = tty;
	k->plan.vm.debug = k->g->debug;
	if (vmm_argv(k, log_format))
		return -1;

	for (unsigned t = 0; t < OCI_NS_NR; t++) {
		jc->ns[ns_map[t]].enabled = l->ns[t].enabled;
		jc->ns[ns_map[t]].path = l->ns[t].path;
	}
	/* The new namespace with standby NICs is ours, joined like an engine's. */
	if (k->net.nr_standby)
		jc->ns[JAIL_NS_NET].path = k->net.standby_path;
	/* struct oci_idmap and struct jail_idmap are the same three numbers. */
	_Static_assert(sizeof(struct oci_idmap) == sizeof(struct jail_idmap), "idmap layout");
	jc->uid_map = (struct jail_idmap *)l->uid_mappings;
	jc->nr_uid_map = l->nr_uid_mappings;
	jc->gid_map = (struct jail_idmap *)l->gid_mappings;
	jc->nr_gid_map = l->nr_gid_mappings;
	jc->binds = k->plan.binds;
	jc->nr_binds = k->plan.nr_binds;
	jc->vmm_path = k->files.vmm;
	jc->vmm_argv = k->argv;
	jc->keep_fds = k->keep;
	jc->nr_keep_fds = k->nkeep;
	jc->cgroup = k->cg;
	if (l->ns[OCI_NS_UTS].enabled && !l->ns[OCI_NS_UTS].path)
		jc->hostname = k->spec.hostname;
	jc->keep_caps = VMM_KEEP_CAPS;
	return 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void undo_jail(struct creating *k)
{
	close_fd(&k->slave);
	close_fd(&k->master);
	close_fd(&k->log);
	close_fd(&k->ctl);
	close_fd(&k->vsock);
	close_fd(&k->ready[0]);
	close_fd(&k->ready[1]);
	close_fd(&k->kvm);
	close_fd(&k->userns);
	free(k->argv);
	k->argv = NULL;
}

static uint64_t start_time(pid_t pid)
{
	char path[64], buf[1024], pstate;
	uint64_t start = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f) || proc_stat_parse(buf, &pstate, &start) < 0)
		start = 0;
	fclose(f);
	return start;
}

/* 7. The VMM. As subreaper, hyrun can reap it on failure even when the jail put it
 * in a pid namespace behind an intermediate process. */
static int start_vmm(struct creating *k)
{
	int saved[2] = {-1, -1};
	bool stdio_ok = true;

	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	if (k->slave >= 0) {
		saved[0] = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, k->min_fd);
		saved[1] = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, k->min_fd);
		stdio_ok = saved[0] >= 0 && saved[1] >= 0 && dup2(k->slave, STDIN_FILENO) >= 0 &&
			   dup2(k->slave, STDOUT_FILENO) >= 0;
	}
	if (stdio_ok) {
		rt_debug("starting %s with %u vCPU(s), %u MiB, kernel %s", k->files.vmm,
			 k->size.vcpus, k->size.mem_mib, k->files.kernel);
		k->pid = jail_spawn(&k->jc, k->err, sizeof(k->err));
	}
	if (k->slave >= 0) {
		if (saved[0] >= 0)
			dup2(saved[0], STDIN_FILENO);
		if (saved[1] >= 0)
			dup2(saved[1], STDOUT_FILENO);
		close_fd(&saved[0]);
		close_fd(&saved[1]);
	}
	/* Only the VMM keeps its ends (a tap and the standby namespace then vanish
	 * with it). */
	network_close_fds(&k->net);
	close_fd(&k->kvm);
	close_fd(&k->userns);
	close_fd(&k->ctl);
	close_fd(&k->vsock);
	close_fd(&k->ready[1]);
	close_fd(&k->slave);
	close_fd(&k->log);
	if (!stdio_ok)
		return hy_err(k->err, sizeof(k->err), -errno, "pty: %s", strerror(errno));
	if (k->pid <= 0) {
		char msg[RT_ERRLEN];

		k->pid = -1;
		snprintf(msg, sizeof(msg), "%s", k->err);
		return hy_err(k->err, sizeof(k->err), -EINVAL, "starting hyrun-vmm: %s", msg);
	}
	k->c->st.pid = k->pid;
	k->c->st.start_time = start_time(k->pid);
	return container_save(k->c, k->err, sizeof(k->err)) ? -1 : 0;
}

static void undo_vmm(struct creating *k)
{
	if (k->pid <= 0)
		return;
	kill(k->pid, SIGKILL);
	if (reap(k->pid, HY_KILL_WAIT_S * 1000) == -1)
		rt_warn("hyrun-vmm (pid %d) did not exit after SIGKILL", (int)k->pid);
	k->pid = -1;
}

/* prestart, createRuntime and createContainer come after the runtime
 * environment has been created (runtime-spec lifecycle steps 3 to 5, after
 * step 2): the state they are given says "created" (hooks.h), as crun's does,
 * while state.json says "creating" until create has finished. */
static int run_hooks(struct creating *k, enum oci_hook_kind kind)
{
	return hooks_run(&k->l, kind, &k->c->st, hooks_status(kind), hooks_warn_only(kind),
			 rt_log_msg, k->err, sizeof(k->err))
		   ? -1
		   : 0;
}

/* 8. The guest prepares the workload. */
static int wait_ready(struct creating *k)
{
	int timeout = create_timeout_s(), st;

	switch (read_ready(k->ready[0], timeout)) {
	case 1:
		return 0;
	case 0:
		st = reap(k->pid, HY_KILL_WAIT_S * 1000);
		if (st != -1)
			k->pid = -1;
		describe_exit(st, k->spec.args[0], k->err, sizeof(k->err));
		return -1;
	default:
		return hy_err(k->err, sizeof(k->err), -ETIMEDOUT,
			      "the microVM did not get ready within %d s ($%s sets the limit)",
			      timeout, HY_ENV_CREATE_TIMEOUT);
	}
}

/* 9. Created. */
static int finish(struct creating *k)
{
	k->c->st.status = OCI_STATUS_CREATED;
	if (container_save(k->c, k->err, sizeof(k->err)) ||
	    (k->o->pid_file && rt_write_pid_file(k->o->pid_file, k->pid, k->err, sizeof(k->err))))
		return -1;
	return 0;
}

int container_create(struct rt_global *g, const struct create_opts *o, pid_t *vmm_pid)
{
	struct creating *k = calloc(1, sizeof(*k));
	int r = -1;

	if (!k) {
		rt_error("out of memory");
		return -1;
	}
	k->g = g;
	k->o = o;
	k->pid = -1;
	k->slave = k->master = k->ctl = k->vsock = k->ready[0] = k->ready[1] = k->log = -1;
	k->kvm = k->userns = k->jc.userns_fd = -1;
	k->min_fd = STDERR_FILENO + 1 + (int)o->preserve_fds;

	if (load_spec(k) || plan_vm(k) || make_state(k) || wire_network(k) || make_cgroup(k) ||
	    make_jail(k) || start_vmm(k) || run_hooks(k, OCI_HOOK_PRESTART) ||
	    run_hooks(k, OCI_HOOK_CREATE_RUNTIME) || wait_ready(k) ||
	    run_hooks(k, OCI_HOOK_CREATE_CONTAINER) || finish(k)) {
		rt_error("%s", k->err);
		undo_vmm(k);
		undo_ids(k);
		undo_cgroup(k);
		undo_network(k);
		undo_state(k);
		goto out;
	}
	*vmm_pid = k->pid;
	if (o->console_master) {
		*o->console_master = k->master;
		k->master = -1;
	}
	container_close(k->c);
	cgroup_free(k->cg);
	r = 0;
out:
	undo_jail(k);
	free(k->keep);
	plan_free(&k->plan);
	vm_files_free(&k->files);
	oci_linux_free(&k->l);
	oci_spec_free(&k->spec);
	free(k);
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
	    "  --preserve-fds N         keep descriptors 3 .. 3+N-1 (each must be open) open in\n"
	    "                           hyrun-vmm for the container's life (they stay on the\n"
	    "                           host: the guest cannot use host descriptors)\n"
	    "  --no-pivot               accepted for runc compatibility: hyrun-vmm always runs\n"
	    "                           in a pivot_root jail; the guest has its own root\n"
	    "  --no-new-keyring         accepted: the guest kernel has its own keyrings\n"
	    "  -h, --help               show this help\n");
}

static void run_usage(FILE *f)
{
	fprintf(f, "Usage: hyrun run [OPTIONS] CONTAINER_ID\n"
		   "\n"
		   "Create and start a container, wait for it, delete it and exit with\n"
		   "the workload's status (128+N when a signal N ended it).\n"
		   "SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 sent to hyrun\n"
		   "run are passed on to the workload.\n"
		   "\n"
		   "Options: those of create, and\n"
		   "  -d, --detach   return once the container is started\n"
		   "  --keep         do not delete the container when it exits\n"
		   "A process.terminal container without --console-socket gets a pty whose\n"
		   "other end hyrun run relays to its own stdin and stdout (in the\n"
		   "foreground only; its own terminal, when it has one, is put in raw mode\n"
		   "and its window size passed on).\n");
}

static int parse_preserve_fds(const char *s, unsigned *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < 0 || v > PRESERVE_FDS_MAX) {
		rt_error("--preserve-fds '%s': must be a number from 0 to %d", s, PRESERVE_FDS_MAX);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

int create_parse_args(struct rt_global *g, bool run, int argc, char **argv, struct create_opts *o)
{
	static const struct option opts[] = {
	    {"bundle", required_argument, NULL, 'b'},
	    {"pid-file", required_argument, NULL, 'p'},
	    {"console-socket", required_argument, NULL, 'c'},
	    {"preserve-fds", required_argument, NULL, 'f'},
	    {"detach", no_argument, NULL, 'd'},
	    {"keep", no_argument, NULL, 'K'},
	    {"no-pivot", no_argument, NULL, 'n'},
	    {"no-new-keyring", no_argument, NULL, 'k'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *verb = run ? "run" : "create";
	int c;

	memset(o, 0, sizeof(*o));
	if (g->systemd_cgroup) {
		rt_error("--systemd-cgroup: the systemd cgroup manager is not supported; use the "
			 "cgroupfs manager (Podman: cgroup_manager = \"cgroupfs\"; containerd: "
			 "SystemdCgroup = false)");
		return -1;
	}
	opterr = 0;
	while ((c = getopt_long(argc, argv, run ? "+:b:dh" : "+:b:h", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			o->bundle = optarg;
			break;
		case 'p':
			o->pid_file = optarg;
			break;
		case 'c':
			o->console_socket = optarg;
			break;
		case 'f':
			if (parse_preserve_fds(optarg, &o->preserve_fds))
				return -1;
			break;
		case 'd':
		case 'K':
			if (!run)
				goto unknown;
			if (c == 'd')
				o->detach = true;
			else
				o->keep = true;
			break;
		case 'n':
		case 'k':
			break;
		case 'h':
			(run ? run_usage : create_usage)(stdout);
			return 1;
		case ':':
			rt_error("%s: option '%s' needs an argument", verb, argv[optind - 1]);
			return -1;
		default:
		unknown:
			rt_error("%s: unknown option '%s' (see hyrun %s --help)", verb,
				 argv[optind - 1], verb);
			return -1;
		}
	}
	if (rt_want_args(verb, argc, optind, 1))
		return -1;
	o->id = argv[optind];
	return 0;
}

int cmd_create(struct rt_global *g, int argc, char **argv)
{
	struct create_opts o;
	pid_t pid;
	int r = create_parse_args(g, false, argc, argv, &o);

	if (r)
		return r < 0;
	return container_create(g, &o, &pid) ? 1 : 0;
}
