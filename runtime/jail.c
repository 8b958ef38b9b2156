/* jail.c: starts hyrun-vmm in its namespaces, cgroup and private root, with few capabilities.
 *
 * One file on purpose, though it is long: the steps run in a fixed order across
 * a fork and a clone (user namespace maps written by the parent, the child's
 * mounts, pivot_root, capabilities, exec), and each step's safety depends on
 * the ones before it; split apart, that order would have no one place to read.
 */
#include "runtime/jail.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <linux/magic.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/err.h"
#include "runtime/cgroup.h"

extern char **environ;

#define JAIL_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
/* Environment variables passed to the VMM besides PATH. */
#define JAIL_ENV_PREFIX "HYRUN_"
#define JAIL_MAX_ENV 64

static const struct {
	int flag;
	const char *name;
} ns_info[JAIL_NS_NR] = {
    [JAIL_NS_MOUNT] = {CLONE_NEWNS, "mount"},	    [JAIL_NS_PID] = {CLONE_NEWPID, "pid"},
    [JAIL_NS_IPC] = {CLONE_NEWIPC, "ipc"},	    [JAIL_NS_UTS] = {CLONE_NEWUTS, "uts"},
    [JAIL_NS_NET] = {CLONE_NEWNET, "network"},	    [JAIL_NS_USER] = {CLONE_NEWUSER, "user"},
    [JAIL_NS_CGROUP] = {CLONE_NEWCGROUP, "cgroup"},
};

/* Device nodes the VMM may open, bound read-only from the host when they exist
 * there. /dev/kvm and the taps reach it as descriptors, never as paths. */
static const char *const jail_devices[] = {
    "/dev/null",
    "/dev/zero",
    "/dev/urandom",
};

/* The VMM's procfs: only the processes it could ptrace, and none of the
 * system-wide files. */
#define JAIL_PROC_OPTIONS "hidepid=invisible,subset=pid"

/*
 * Where the private root's tmpfs is mounted: any directory that exists. The
 * mount exists only in the jail's mount namespace, so the host sees nothing.
 */
static const char *const jail_root_dirs[] = {"/tmp", "/mnt", "/run", "/var/tmp", "/dev"};

/*
 * Parent <-> child messages on a SOCK_SEQPACKET pair (one message each):
 *   parent -> child: G go (the child is in the cgroup), M the id maps are written
 *   child -> parent: U write the id maps, P the VMM's pid (from the intermediate
 *                    process of a pid namespace), X about to exec, E error text
 * The child's end is close-on-exec: after X, end of file means the exec succeeded.
 */
struct jail_msg {
	char type;
	int32_t pid;
	char text[1024];
};

static int send_msg(int sock, char type, pid_t pid, const char *text)
{
	struct jail_msg m = {.type = type, .pid = pid};
	size_t len = offsetof(struct jail_msg, text);

	if (text) {
		snprintf(m.text, sizeof(m.text), "%s", text);
		len += strlen(m.text) + 1;
	}
	while (send(sock, &m, len, MSG_NOSIGNAL) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

/* The message's type, 0 at end of file, -errno. */
static int recv_msg(int sock, struct jail_msg *m)
{
	ssize_t n;

	memset(m, 0, sizeof(*m));
	do
		n = recv(sock, m, sizeof(*m) - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return 0;
	return (unsigned char)m->type;
}

/* ---- the child ---------------------------------------------------------------- */

static void child_fail(int sock, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 2, 3)));

/* Reports "jail: WHAT: strerror(errno)" to the parent and exits. */
static void child_fail(int sock, const char *fmt, ...)
{
	char text[1024];
	int e = errno;
	va_list ap;
	int n;

	n = snprintf(text, sizeof(text), "jail: ");
	va_start(ap, fmt);
	n += vsnprintf(text + n, sizeof(text) - (size_t)n, fmt, ap);
	va_end(ap);
	if (e && n > 0 && (size_t)n < sizeof(text))
		snprintf(text + n, sizeof(text) - (size_t)n, ": %s", strerror(e));
	send_msg(sock, 'E', 0, text);
	_exit(1);
}

static void child_wait(int sock, char type)
{
	struct jail_msg m;
	int r = recv_msg(sock, &m);

	/* The parent went away or gave up: nothing to report to. */
	if (r != type)
		_exit(1);
}

static void reset_signals(void)
{
	struct sigaction sa = {.sa_handler = SIG_DFL};
	sigset_t none;

	sigemptyset(&sa.sa_mask);
	/* Ignored signals stay ignored across exec: the VMM starts from the defaults. */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

struct jail_mount {
	const char *source;
	const char *target; /* absolute, checked by check_target() */
	bool readonly;
	int fd;	     /* O_PATH of the source */
	bool dir;    /* the source is a directory */
	bool device; /* the source is a device node */
	bool idmap;  /* idmapped with the jail's userns_fd */
};

/* Creates the mount point for target under root (the jail's tmpfs, not yet populated). */
static int make_target(int root, const char *target, bool dir)
{
	char buf[PATH_MAX], *p, *slash;
	int cur = root, next, fd;

	snprintf(buf, sizeof(buf), "%s", target + strspn(target, "/"));
	for (size_t n = strlen(buf); n > 0 && buf[n - 1] == '/'; n--)
		buf[n - 1] = '\0';
	for (p = buf; (slash = strchr(p, '/')); p = slash + 1) {
		*slash = '\0';
		if (*p && mkdirat(cur, p, 0755) < 0 && errno != EEXIST)
			goto fail;
		next = *p ? openat(cur, p, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : cur;
		if (next < 0)
			goto fail;
		if (cur != root && next != cur)
			close(cur);
		cur = next;
	}
	if (dir) {
		if (mkdirat(cur, p, 0755) < 0 && errno != EEXIST)
			goto fail;
	} else {
		fd = openat(cur, p, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0)
			goto fail;
		close(fd);
	}
	if (cur != root)
		close(cur);
	return 0;
fail:
	if (cur != root) {
		int e = errno;

		close(cur);
		errno = e;
	}
	return -1;
}

/*
 * What a bind is restricted to: read-only when asked; nodev and nosuid unless
 * it is a device node's bind, which must stay openable. A device node's bind
 * is always read-only, so that the VMM cannot chmod or chown the host's node
 * through it (opening a device for writing does not need a writable mount).
 */
static uint64_t bind_attrs(bool readonly, bool device)
{
	return (readonly || device ? MOUNT_ATTR_RDONLY : 0) |
	       (device ? 0 : MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID);
}

/* Restrict the bind mount at fd to bind_attrs(), recursively where the kernel can. */
static int restrict_mount(int fd, bool readonly, bool device)
{
	struct mount_attr attr = {.attr_set = bind_attrs(readonly, device)};
	struct statvfs sv;
	unsigned long flags = MS_REMOUNT | MS_BIND;
	char path[64];

	if (mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) == 0)
		return 0;
	if (errno != ENOSYS)
		return -1;
	flags |= (readonly || device ? MS_RDONLY : 0) | (device ? 0 : MS_NODEV | MS_NOSUID);
	/* A remount must repeat the flags a user namespace locked, or it fails with EPERM. */
	if (fstatvfs(fd, &sv) < 0)
		return -1;
	flags |= (sv.f_flag & ST_NOSUID ? MS_NOSUID : 0) | (sv.f_flag & ST_NODEV ? MS_NODEV : 0) |
		 (sv.f_flag & ST_NOEXEC ? MS_NOEXEC : 0) |
		 (sv.f_flag & ST_NOATIME ? MS_NOATIME : 0) |
		 (sv.f_flag & ST_NODIRATIME ? MS_NODIRATIME : 0) |
		 (sv.f_flag & ST_RELATIME ? MS_RELATIME : 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return mount(NULL, path, NULL, flags, NULL);
}

/*
 * The source at src_fd, with everything mounted below it, idmapped with
 * userns_fd and restricted as bind_attrs() says, on the mount point t.
 * Idmapping works only on a mount that was never attached: a detached copy
 * of the source's tree is made, changed, then attached.
 */
static int idmapped_bind(int src_fd, int t, int userns_fd, bool readonly)
{
	struct mount_attr attr = {
	    .attr_set = MOUNT_ATTR_IDMAP | bind_attrs(readonly, false),
	    .userns_fd = (uint64_t)userns_fd,
	};
	int tree, r;

	tree = open_tree(src_fd, "",
			 OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
	if (tree < 0)
		return -1;
	r = mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr));
	if (!r)
		r = move_mount(tree, "", t, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
	if (r) {
		int e = errno;

		close(tree);
		errno = e;
		return -1;
	}
	close(tree);
	return 0;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* Closes every fd but 0-2, keep_fds and the three given (-1: none); those lose
 * close-on-exec except the three. */
static int close_fds(const struct jail_config *cfg, int extra1, int extra2, int extra3)
{
	size_t nr = 0, cap = cfg->nr_keep_fds + 6;
	unsigned int lo = 0;
	DIR *d;
	int *keep;

	keep = malloc(cap * sizeof(*keep));
	if (!keep)
		return -1;
	for (int fd = 0; fd < 3; fd++)
		keep[nr++] = fd;
	for (size_t i = 0; i < cfg->nr_keep_fds; i++) {
		int fd = cfg->keep_fds[i];

		if (fcntl(fd, F_SETFD, 0) < 0) {
			free(keep);
			return -1;
		}
		keep[nr++] = fd;
	}
	keep[nr++] = extra1;
	keep[nr++] = extra2;
	if (extra3 >= 0)
		keep[nr++] = extra3;
	qsort(keep, nr, sizeof(*keep), cmp_int);
	for (size_t i = 0; i < nr; i++) {
		if ((unsigned int)keep[i] > lo && close_range(lo, (unsigned int)keep[i] - 1, 0) < 0)
			goto fallback;
		if ((unsigned int)keep[i] >= lo)
			lo = (unsigned int)keep[i] + 1;
	}
	if (close_range(lo, ~0U, 0) < 0)
		goto fallback;
	free(keep);
	return 0;
fallback:
	/* close_range(2) came with Linux 5.9; /proc is still the host's here. */
	d = errno == ENOSYS ? opendir("/proc/self/fd") : NULL;
	if (!d) {
		free(keep);
		return -1;
	}
	for (struct dirent *de; (de = readdir(d));) {
		int fd = atoi(de->d_name);

		if (de->d_name[0] == '.' || fd == dirfd(d) ||
		    bsearch(&fd, keep, nr, sizeof(*keep), cmp_int))
			continue;
		close(fd);
	}
	closedir(d);
	free(keep);
	return 0;
}

static int drop_caps(uint64_t keep)
{
	cap_value_t last = cap_max_bits() - 1;
	cap_t caps;
	int r = 0;

	for (cap_value_t c = 0; c <= last; c++)
		if ((c > 63 || !(keep & (1ULL << c))) && cap_drop_bound(c) < 0)
			return -1;
	if (CAP_AMBIENT_SUPPORTED() && cap_reset_ambient() < 0)
		return -1;
	caps = cap_init();
	if (!caps)
		return -1;
	for (cap_value_t c = 0; c <= last && c < 64; c++) {
		if (!(keep & (1ULL << c)))
			continue;
		if (cap_set_flag(caps, CAP_EFFECTIVE, 1, &c, CAP_SET) < 0 ||
		    cap_set_flag(caps, CAP_PERMITTED, 1, &c, CAP_SET) < 0 ||
		    cap_set_flag(caps, CAP_INHERITABLE, 1, &c, CAP_SET) < 0) {
			r = -1;
			break;
		}
	}
	if (!r)
		r = cap_set_proc(caps);
	cap_free(caps);
	return r;
}

static char **jail_env(void)
{
	char **env = calloc(JAIL_MAX_ENV + 2, sizeof(*env));
	size_t n = 0;

	if (!env)
		return NULL;
	env[n++] = (char *)JAIL_PATH;
	for (char **e = environ; e && *e && n <= JAIL_MAX_ENV; e++)
		if (!strncmp(*e, JAIL_ENV_PREFIX, strlen(JAIL_ENV_PREFIX)))
			env[n++] = *e;
	return env;
}

/* Mount namespace, private root with the binds, pivot_root; then the process settings; exec. */
/* The VMM, opened before the old root goes. */
static int open_vmm(const struct jail_config *cfg, int sock)
{
	struct stat st;
	int vmm = open(cfg->vmm_path, O_PATH | O_CLOEXEC);

	if (vmm < 0)
		child_fail(sock, "open the VMM '%s'", cfg->vmm_path);
	if (fstat(vmm, &st) < 0)
		child_fail(sock, "stat the VMM '%s'", cfg->vmm_path);
	if (!S_ISREG(st.st_mode)) {
		errno = 0;
		child_fail(sock, "the VMM '%s' is not a regular file", cfg->vmm_path);
	}
	return vmm;
}

/* What the jail's root will hold: the binds and the devices not bound by them.
 * Sources are opened now: the tmpfs below may hide them (e.g. under /tmp). */
static size_t open_sources(const struct jail_config *cfg, int sock, struct jail_mount *m)
{
	struct stat st;
	size_t nr = 0;

	for (size_t i = 0; i < cfg->nr_binds; i++) {
		m[nr] = (struct jail_mount){.source = cfg->binds[i].source,
					    .target = cfg->binds[i].target,
					    .readonly = cfg->binds[i].readonly,
					    .idmap = cfg->binds[i].idmap};
		m[nr].fd = open(m[nr].source, O_PATH | O_CLOEXEC);
		if (m[nr].fd < 0)
			child_fail(sock, "bind '%s': open '%s'", m[nr].target, m[nr].source);
		nr++;
	}
	for (size_t i = 0; i < ARRAY_SIZE(jail_devices); i++) {
		bool bound = false;

		for (size_t j = 0; j < cfg->nr_binds; j++)
			bound |= !strcmp(cfg->binds[j].target, jail_devices[i]);
		if (bound)
			continue;
		m[nr] = (struct jail_mount){.source = jail_devices[i], .target = jail_devices[i]};
		m[nr].fd = open(jail_devices[i], O_PATH | O_CLOEXEC);
		if (m[nr].fd < 0 && errno == ENOENT)
			continue;
		if (m[nr].fd < 0)
			child_fail(sock, "open '%s'", jail_devices[i]);
		nr++;
	}
	for (size_t i = 0; i < nr; i++) {
		if (fstat(m[i].fd, &st) < 0)
			child_fail(sock, "stat '%s'", m[i].source);
		m[i].dir = S_ISDIR(st.st_mode);
		m[i].device = S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode);
	}
	return nr;
}

/* A small tmpfs that becomes the jail's root; its fd. */
static int private_root(int sock)
{
	const char *base = NULL;
	struct stat st;
	int root;

	for (size_t i = 0; i < ARRAY_SIZE(jail_root_dirs) && !base; i++)
		if (stat(jail_root_dirs[i], &st) == 0 && S_ISDIR(st.st_mode))
			base = jail_root_dirs[i];
	if (!base) {
		errno = ENOENT;
		child_fail(sock, "no directory to mount the private root on (/tmp)");
	}
	if (mount("tmpfs", base, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "mode=0755,size=1m,nr_inodes=4096") < 0)
		child_fail(sock, "mount the private root (tmpfs on '%s')", base);
	root = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		child_fail(sock, "open the private root");
	return root;
}

static void bind_all(const struct jail_config *cfg, int root, struct jail_mount *m, size_t nr,
		     int sock)
{
	char src[64], dst[64];

	/* All mount points first, so that none is created inside a bound host directory. */
	for (size_t i = 0; i < nr; i++)
		if (make_target(root, m[i].target, m[i].dir) < 0)
			child_fail(sock, "bind '%s': create the mount point", m[i].target);
	for (size_t i = 0; i < nr; i++) {
		const char *rel = m[i].target + strspn(m[i].target, "/");
		int t = openat(root, rel, O_PATH | O_NOFOLLOW | O_CLOEXEC);

		if (t < 0)
			child_fail(sock, "bind '%s': open the mount point", m[i].target);
		if (m[i].idmap) {
			if (idmapped_bind(m[i].fd, t, cfg->userns_fd, m[i].readonly) < 0)
				child_fail(sock, "bind '%s' on '%s' idmapped", m[i].source,
					   m[i].target);
			close(t);
			close(m[i].fd);
			continue;
		}
		/* Through the fds: no path is resolved again, a symlink cannot redirect it. */
		snprintf(src, sizeof(src), "/proc/self/fd/%d", m[i].fd);
		snprintf(dst, sizeof(dst), "/proc/self/fd/%d", t);
		if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0)
			child_fail(sock, "bind '%s' on '%s'", m[i].source, m[i].target);
		close(t);
		/* Opened again: now the path leads to the new mount. */
		t = openat(root, rel, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (t < 0 || restrict_mount(t, m[i].readonly, m[i].device) < 0)
			child_fail(sock, "bind '%s': make it %s", m[i].target,
				   m[i].device	   ? "read-only"
				   : m[i].readonly ? "read-only, nodev and nosuid"
						   : "nodev and nosuid");
		close(t);
		close(m[i].fd);
	}
}

/* A procfs of the pid namespace this process is in, at /proc in the private root. */
static void mount_proc(int root, int sock)
{
	char dst[64];
	int t;

	if (make_target(root, "/proc", true) < 0)
		child_fail(sock, "/proc: create the mount point");
	t = openat(root, "proc", O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (t < 0)
		child_fail(sock, "/proc: open the mount point");
	snprintf(dst, sizeof(dst), "/proc/self/fd/%d", t);
	if (mount("proc", dst, "proc", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  JAIL_PROC_OPTIONS) < 0)
		child_fail(sock, "mount a procfs (%s) on /proc", JAIL_PROC_OPTIONS);
	close(t);
}

/* pivot_root into the private root, the old one detached; the root made read-only. */
static void enter_root(const struct jail_config *cfg, int sock, int root, int vmm)
{
	if (fchdir(root) < 0)
		child_fail(sock, "enter the private root");
	close(root);
	if (close_fds(cfg, sock, vmm, cfg->userns_fd > STDERR_FILENO ? cfg->userns_fd : -1) < 0)
		child_fail(sock, "close the inherited file descriptors");
	/* The old root ends up on top of the new one, and is detached right away. */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		child_fail(sock, "pivot_root into the private root");
	if (umount2(".", MNT_DETACH) < 0)
		child_fail(sock, "detach the old root");
	if (chdir("/") < 0)
		child_fail(sock, "chdir /");
	if (mount(NULL, "/", NULL,
		  MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		child_fail(sock, "make the private root read-only");
}

/*
 * Last, the VMM's own user namespace: every mount is made and the root
 * pivoted (both need the caller's namespace), and the host's supplementary
 * groups are dropped first (they could not be later).
 */
static void enter_userns(const struct jail_config *cfg, int sock)
{
	if (setgroups(0, NULL) < 0)
		child_fail(sock, "drop the supplementary groups");
	if (setns(cfg->userns_fd, CLONE_NEWUSER) < 0)
		child_fail(sock, "enter the VMM's user namespace");
	close(cfg->userns_fd);
	if (setresgid(0, 0, 0) < 0)
		child_fail(sock, "user namespace: become gid 0");
	if (setresuid(0, 0, 0) < 0)
		child_fail(sock, "user namespace: become uid 0");
}

static void child_exec(const struct jail_config *cfg, int sock)
{
	struct jail_mount *m = calloc(cfg->nr_binds + ARRAY_SIZE(jail_devices), sizeof(*m));
	int vmm, root;
	size_t nr;
	char **env;

	if (!m)
		child_fail(sock, "out of memory");
	/* Nothing mounted from here on may propagate back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		child_fail(sock, "make the mount namespace private");
	vmm = open_vmm(cfg, sock);
	nr = open_sources(cfg, sock, m);
	root = private_root(sock);
	bind_all(cfg, root, m, nr, sock);
	free(m);
	if (cfg->proc)
		mount_proc(root, sock);
	enter_root(cfg, sock, root, vmm);
	if (cfg->hostname && sethostname(cfg->hostname, strlen(cfg->hostname)) < 0)
		child_fail(sock, "set the hostname '%s'", cfg->hostname);
	if (cfg->userns_fd > STDERR_FILENO)
		enter_userns(cfg, sock);
	if (cfg->setsid_tty) {
		if (setsid() < 0)
			child_fail(sock, "setsid");
		if (ioctl(0, TIOCSCTTY, 0) < 0)
			child_fail(sock, "make fd 0 the controlling terminal");
	}
	if (drop_caps(cfg->keep_caps) < 0)
		child_fail(sock, "drop capabilities");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		child_fail(sock, "set no_new_privs");
	env = jail_env();
	if (!env) {
		errno = ENOMEM;
		child_fail(sock, "environment");
	}
	if (send_msg(sock, 'X', 0, NULL) < 0)
		_exit(1);
	execveat(vmm, "", cfg->vmm_argv, env, AT_EMPTY_PATH);
	child_fail(sock, "exec '%s'", cfg->vmm_path);
}

static void child_main(const struct jail_config *cfg, int sock, const int *nsfd)
{
	int flags = CLONE_NEWNS;

	reset_signals();
	child_wait(sock, 'G');
	/* A joined user namespace first: it owns the others and grants the rights to join them. */
	if (nsfd[JAIL_NS_USER] >= 0 && setns(nsfd[JAIL_NS_USER], CLONE_NEWUSER) < 0)
		child_fail(sock, "join the user namespace '%s'", cfg->ns[JAIL_NS_USER].path);
	for (int i = 0; i < JAIL_NS_NR; i++) {
		if (i == JAIL_NS_USER || nsfd[i] < 0)
			continue;
		if (setns(nsfd[i], ns_info[i].flag) < 0)
			child_fail(sock, "join the %s namespace '%s'", ns_info[i].name,
				   cfg->ns[i].path);
		close(nsfd[i]);
	}
	if (cfg->ns[JAIL_NS_USER].enabled && !cfg->ns[JAIL_NS_USER].path) {
		/* The host's supplementary groups would show as nobody inside. */
		if (setgroups(0, NULL) < 0 && errno != EPERM)
			child_fail(sock, "setgroups");
		if (unshare(CLONE_NEWUSER) < 0)
			child_fail(sock, "create a user namespace");
		if (send_msg(sock, 'U', 0, NULL) < 0)
			_exit(1);
		child_wait(sock, 'M');
	}
	if (cfg->ns[JAIL_NS_USER].enabled) {
		/* Root of the namespace keeps its capabilities across exec. */
		if (setresgid(0, 0, 0) < 0)
			child_fail(sock,
				   "user namespace: become gid 0 (is container gid 0 mapped?)");
		if (setresuid(0, 0, 0) < 0)
			child_fail(sock,
				   "user namespace: become uid 0 (is container uid 0 mapped?)");
	}
	for (int i = 0; i < JAIL_NS_NR; i++)
		if (i != JAIL_NS_USER && cfg->ns[i].enabled && !cfg->ns[i].path)
			flags |= ns_info[i].flag;
	/* Joined or not, the mount namespace is always a private copy. */
	if (unshare(flags) < 0)
		child_fail(sock, "create the namespaces");
	if (cfg->ns[JAIL_NS_PID].enabled) {
		/* Only children enter the pid namespace: the VMM is this one's child. */
		int gate[2];
		pid_t pid;
		char c;

		if (pipe2(gate, O_CLOEXEC) < 0)
			child_fail(sock, "pipe");
		pid = fork();
		if (pid < 0)
			child_fail(sock, "fork into the pid namespace");
		if (pid > 0) {
			if (send_msg(sock, 'P', pid, NULL) < 0)
				kill(pid, SIGKILL);
			_exit(0);
		}
		/*
		 * Nothing from here reaches the parent before its pid did: it must
		 * know whom to reap. The gate opens when this process's parent exits.
		 */
		close(gate[1]);
		while (read(gate[0], &c, 1) < 0 && errno == EINTR)
			;
		close(gate[0]);
	}
	child_exec(cfg, sock);
}

/* ---- the parent --------------------------------------------------------------- */

static int write_file(pid_t pid, const char *file, const char *data, char *err, size_t errlen)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		hy_err(err, errlen, 0, "jail: open '%s': %s", path, strerror(errno));
		return -1;
	}
	n = write(fd, data, strlen(data));
	if (n < 0) {
		hy_err(err, errlen, 0, "jail: write '%s': %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int write_map(pid_t pid, const char *file, const struct jail_idmap *map, size_t nr,
		     char *err, size_t errlen)
{
	char buf[4096];
	size_t len = 0;

	for (size_t i = 0; i < nr; i++) {
		int n = snprintf(buf + len, sizeof(buf) - len, "%u %u %u\n", map[i].container_id,
				 map[i].host_id, map[i].size);

		if (n < 0 || (size_t)n >= sizeof(buf) - len) {
			hy_err(err, errlen, 0, "jail: %s: too many mappings", file);
			return -1;
		}
		len += (size_t)n;
	}
	return write_file(pid, file, buf, err, errlen);
}

static int write_maps(const struct jail_config *cfg, pid_t pid, char *err, size_t errlen)
{
	/*
	 * Without CAP_SETGID over the parent namespace, gid_map can be written only
	 * once setgroups(2) is denied in the child's; with it, setgroups stays usable.
	 */
	if (geteuid() != 0 && write_file(pid, "setgroups", "deny", err, errlen) < 0)
		return -1;
	if (write_map(pid, "gid_map", cfg->gid_map, cfg->nr_gid_map, err, errlen) < 0)
		return -1;
	return write_map(pid, "uid_map", cfg->uid_map, cfg->nr_uid_map, err, errlen);
}

static bool valid_target(const char *t)
{
	char buf[PATH_MAX], *save = NULL;

	if (!t || t[0] != '/' || strlen(t) >= sizeof(buf))
		return false;
	strcpy(buf, t);
	for (char *c = strtok_r(buf, "/", &save); c; c = strtok_r(NULL, "/", &save))
		if (!strcmp(c, ".") || !strcmp(c, ".."))
			return false;
	return strspn(t, "/") != strlen(t);
}

static int check_config(const struct jail_config *cfg, char *err, size_t errlen)
{
	const struct jail_ns *user = &cfg->ns[JAIL_NS_USER];

	if (!cfg->vmm_path || !cfg->vmm_argv || !cfg->vmm_argv[0]) {
		hy_err(err, errlen, 0, "jail: no VMM path or argv");
		return -EINVAL;
	}
	for (size_t i = 0; i < cfg->nr_binds; i++) {
		if (!cfg->binds[i].source || !valid_target(cfg->binds[i].target)) {
			hy_err(err, errlen, 0,
			       "jail: bind '%s': the target must be an absolute path without "
			       "'.' or '..', and the source set",
			       cfg->binds[i].target ? cfg->binds[i].target : "(null)");
			return -EINVAL;
		}
	}
	for (size_t i = 0; i < cfg->nr_keep_fds; i++) {
		if (cfg->keep_fds[i] < 3 || fcntl(cfg->keep_fds[i], F_GETFD) < 0) {
			hy_err(err, errlen, 0, "jail: fd %d to pass on: %s", cfg->keep_fds[i],
			       cfg->keep_fds[i] < 3 ? "0, 1 and 2 are always passed on"
						    : strerror(errno));
			return -EBADF;
		}
	}
	if (cfg->hostname && !cfg->ns[JAIL_NS_UTS].enabled) {
		hy_err(err, errlen, 0, "jail: a hostname needs a UTS namespace of its own");
		return -EINVAL;
	}
	if (cfg->userns_fd > STDERR_FILENO && user->enabled) {
		hy_err(err, errlen, 0,
		       "jail: a user namespace of the VMM's own and the spec's cannot both be "
		       "used");
		return -EINVAL;
	}
	for (size_t i = 0; i < cfg->nr_binds; i++) {
		if (cfg->binds[i].idmap && cfg->userns_fd <= STDERR_FILENO) {
			hy_err(err, errlen, 0, "jail: bind '%s': idmapped without a user namespace",
			       cfg->binds[i].target);
			return -EINVAL;
		}
	}
	if (user->enabled && !user->path && (!cfg->nr_uid_map || !cfg->nr_gid_map)) {
		hy_err(err, errlen, 0, "jail: a new user namespace needs uid and gid mappings");
		return -EINVAL;
	}
	if (cfg->setsid_tty && !isatty(0)) {
		hy_err(err, errlen, 0,
		       "jail: fd 0 is not a terminal, so it cannot be the controlling one");
		return -ENOTTY;
	}
	return 0;
}

/* Reaps pid if it is our child (a pid namespace's VMM is only with PR_SET_CHILD_SUBREAPER). */
static int reap(pid_t pid)
{
	int st = 0;

	while (waitpid(pid, &st, __WALL) < 0)
		if (errno != EINTR)
			return -1;
	return st;
}

static void describe_status(int st, char *buf, size_t len)
{
	if (WIFEXITED(st))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, len, "killed by signal %d", WTERMSIG(st));
	else
		snprintf(buf, len, "ended");
}

/* The namespaces to join, opened before anything changes. */
static int open_namespaces(const struct jail_config *cfg, int *nsfd, char *err, size_t errlen)
{
	for (int i = 0; i < JAIL_NS_NR; i++) {
		if (!cfg->ns[i].enabled || !cfg->ns[i].path)
			continue;
		nsfd[i] = open(cfg->ns[i].path, O_RDONLY | O_CLOEXEC);
		if (nsfd[i] < 0)
			return hy_err(err, errlen, -errno, "jail: %s namespace: open '%s': %s",
				      ns_info[i].name, cfg->ns[i].path, strerror(errno));
	}
	return 0;
}

/* The socket pair to the child, both ends above 0-2: with 0-2 closed in the
 * caller, the pair would pass as the VMM's stdio. */
static int child_socket(int *sv, char *err, size_t errlen)
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return hy_err(err, errlen, -errno, "jail: socketpair: %s", strerror(errno));
	for (int i = 0; i < 2; i++) {
		if (sv[i] < 3) {
			int fd = fcntl(sv[i], F_DUPFD_CLOEXEC, 3);

			if (fd < 0)
				return hy_err(err, errlen, -errno, "jail: dup: %s",
					      strerror(errno));
			close(sv[i]);
			sv[i] = fd;
		}
	}
	return 0;
}

struct spawning {
	pid_t child, vmm;
	bool child_reaped, exec_started;
};

/* Answer the child (id maps) until it has exec'd the VMM or failed. */
static int talk_to_child(const struct jail_config *cfg, int sock, struct spawning *sp, char *err,
			 size_t errlen)
{
	struct jail_msg m;
	char how[64];
	int r, st;

	send_msg(sock, 'G', 0, NULL);
	for (;;) {
		r = recv_msg(sock, &m);
		if (r == 'U') {
			if (write_maps(cfg, sp->child, err, errlen) < 0)
				return -1;
			send_msg(sock, 'M', 0, NULL);
		} else if (r == 'P') {
			sp->vmm = m.pid;
			reap(sp->child);
			sp->child_reaped = true;
		} else if (r == 'X') {
			sp->exec_started = true;
		} else if (r == 'E') {
			return hy_err(err, errlen, -1, "%s", m.text);
		} else if (r == 0) {
			break;
		} else {
			return hy_err(err, errlen, -1, "jail: reading from the child: %s",
				      r < 0 ? strerror(-r) : "unexpected message");
		}
	}
	if (!sp->exec_started) {
		/* Died without a word, e.g. killed. */
		pid_t who = sp->child_reaped ? sp->vmm : sp->child;

		st = reap(who);
		if (who == sp->child)
			sp->child_reaped = true;
		if (st < 0)
			snprintf(how, sizeof(how), "ended");
		else
			describe_status(st, how, sizeof(how));
		return hy_err(err, errlen, -1, "jail: the VMM's process %s before exec", how);
	}
	return 0;
}

static void undo_child(struct spawning *sp)
{
	int st;

	if (!sp->child_reaped) {
		kill(sp->child, SIGKILL);
		reap(sp->child);
	}
	/*
	 * The pid namespace's process stops on its own after an error. It is ours
	 * to kill and reap only as our child (PR_SET_CHILD_SUBREAPER); otherwise
	 * init reaps it and its pid may already be someone else's.
	 */
	if (sp->vmm > 0 && waitpid(sp->vmm, &st, WNOHANG | __WALL) == 0) {
		kill(sp->vmm, SIGKILL);
		reap(sp->vmm);
	}
}

static void close_all(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

pid_t jail_spawn(const struct jail_config *cfg, char *err, size_t errlen)
{
	int nsfd[JAIL_NS_NR], sv[2] = {-1, -1};
	struct spawning sp = {.vmm = -1};

	for (int i = 0; i < JAIL_NS_NR; i++)
		nsfd[i] = -1;
	if (check_config(cfg, err, errlen) < 0)
		return -1;
	if (open_namespaces(cfg, nsfd, err, errlen) < 0 || child_socket(sv, err, errlen) < 0)
		goto fail_fds;
	sp.child = fork();
	if (sp.child < 0) {
		hy_err(err, errlen, 0, "jail: fork: %s", strerror(errno));
		goto fail_fds;
	}
	if (sp.child == 0) {
		close(sv[0]);
		child_main(cfg, sv[1], nsfd);
		_exit(1);
	}
	close_all(&sv[1], 1);
	close_all(nsfd, JAIL_NS_NR);
	/* In the cgroup before it does anything, so everything it forks is in it too. */
	if ((cfg->cgroup && cgroup_enter(cfg->cgroup, sp.child, err, errlen) < 0) ||
	    talk_to_child(cfg, sv[0], &sp, err, errlen) < 0) {
		undo_child(&sp);
		goto fail_fds;
	}
	close(sv[0]);
	return sp.vmm > 0 ? sp.vmm : sp.child;

fail_fds:
	close_all(nsfd, JAIL_NS_NR);
	close_all(sv, 2);
	return -1;
}

/* ---- the VMM's user namespace ------------------------------------------------------- */

int jail_userns_make(const struct jail_idmap *uid_map, size_t nr_uid,
		     const struct jail_idmap *gid_map, size_t nr_gid, char *err, size_t errlen)
{
	struct jail_config maps = {.uid_map = (struct jail_idmap *)uid_map,
				   .nr_uid_map = nr_uid,
				   .gid_map = (struct jail_idmap *)gid_map,
				   .nr_gid_map = nr_gid};
	int up[2], down[2], fd = -1;
	char path[64], c = 0;
	pid_t pid;

	if (!nr_uid || !nr_gid) {
		hy_err(err, errlen, 0, "jail: a user namespace needs uid and gid mappings");
		return -1;
	}
	if (pipe2(up, O_CLOEXEC) < 0)
		return hy_err(err, errlen, -1, "jail: pipe: %s", strerror(errno));
	if (pipe2(down, O_CLOEXEC) < 0) {
		hy_err(err, errlen, 0, "jail: pipe: %s", strerror(errno));
		close(up[0]);
		close(up[1]);
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		/* Makes the namespace, says so, and stays until the parent has its descriptor. */
		close(up[0]);
		close(down[1]);
		c = unshare(CLONE_NEWUSER) < 0 ? (char)errno : 0;
		if (write(up[1], &c, 1) != 1)
			_exit(1);
		while (read(down[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	if (pid < 0) {
		hy_err(err, errlen, 0, "jail: fork: %s", strerror(errno));
		goto out;
	}
	if (read(up[0], &c, 1) != 1) {
		hy_err(err, errlen, 0, "jail: the user namespace's maker ended");
		goto out;
	}
	if (c) {
		hy_err(err, errlen, 0, "jail: create a user namespace for the VMM: %s",
		       strerror(c));
		goto out;
	}
	if (write_maps(&maps, pid, err, errlen) < 0)
		goto out;
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		hy_err(err, errlen, 0, "jail: open '%s': %s", path, strerror(errno));
out:
	close(down[1]);
	close(up[0]);
	if (pid > 0)
		reap(pid);
	return fd;
}

/* A file system's name for messages, from its statfs magic number. */
static void fs_name(unsigned long magic, char *buf, size_t len)
{
	static const struct {
		unsigned long magic;
		const char *name;
	} names[] = {
	    {EXT4_SUPER_MAGIC, "ext4"},		{XFS_SUPER_MAGIC, "xfs"},
	    {BTRFS_SUPER_MAGIC, "btrfs"},	{TMPFS_MAGIC, "tmpfs"},
	    {OVERLAYFS_SUPER_MAGIC, "overlay"}, {V9FS_MAGIC, "9p"},
	    {NFS_SUPER_MAGIC, "nfs"},		{FUSE_SUPER_MAGIC, "fuse"},
	    {SQUASHFS_MAGIC, "squashfs"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (names[i].magic == magic) {
			snprintf(buf, len, "%s", names[i].name);
			return;
		}
	}
	snprintf(buf, len, "file system type 0x%lx", magic);
}

int jail_idmap_check(const char *source, int userns_fd, char *fstype, size_t fstypelen)
{
	struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns_fd};
	struct statfs sf;
	int tree, r = 0;

	snprintf(fstype, fstypelen, "an unknown file system");
	tree = open_tree(AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (tree < 0)
		return -errno;
	if (fstatfs(tree, &sf) == 0)
		fs_name((unsigned long)sf.f_type, fstype, fstypelen);
	if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
		r = -errno;
	close(tree);
	return r;
}
