/* container.c: apply an OCI config.json in the workload's child: mounts, root, process. */
#include "rootfs/init/container.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/openat2.h>

#include "common/agent_proto.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define DEFAULT_UMASK 0022
/* Where the root is assembled, inside the child's own mount namespace. */
#define STAGE_DIR HY_INIT_DIR "/root"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const struct container_opts *opts;

static void __attribute__((format(printf, 1, 2))) dbg(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	if (!opts->debug)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(opts->log_fd >= 0 ? opts->log_fd : STDERR_FILENO, buf, (size_t)n) < 0) {
		/* nowhere to say it */
	}
}

/* Fill *e (status, errno, message prefixed "hyrun-init: "); returns -1. */
static int __attribute__((format(printf, 4, 5)))
set_error(struct container_error *e, int status, int err, const char *fmt, ...)
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

static const char *gpath(char *buf, size_t len, const char *path)
{
	snprintf(buf, len, "%s%s", opts->root, path);
	return buf;
}

/* --- paths inside the new root ----------------------------------------------- */

/*
 * Lookups below the new root are confined to it with RESOLVE_IN_ROOT: a
 * symlink in the image ("/proc" -> "/") cannot put a mount outside. The VM
 * is the security boundary, but mounting over the guest's own tree would
 * still break hyrun-init.
 */
static int open_in_root(int rootfd, const char *path, int flags)
{
	struct open_how how = {
	    .flags = (uint64_t)(flags | O_CLOEXEC),
	    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};

	while (*path == '/')
		path++;
	if (!*path)
		path = ".";
	return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
}

/* mkdir -p of `path` (relative to the root), the last component a directory
 * or an empty file. Returns an O_PATH fd of it, or -1 with errno. */
static int make_in_root(int rootfd, const char *path, bool file, mode_t mode)
{
	char buf[PATH_MAX];
	size_t n;
	int fd;

	fd = open_in_root(rootfd, path, O_PATH);
	if (fd >= 0 || errno != ENOENT)
		return fd;
	n = strlen(path);
	if (n >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		char saved = buf[i], *slash;
		bool last;
		int dirfd, r;

		if ((saved != '/' && saved != '\0') || buf[i - 1] == '/')
			continue;
		last = buf[i + strspn(buf + i, "/")] == '\0';
		buf[i] = '\0';
		fd = open_in_root(rootfd, buf, O_PATH);
		if (fd >= 0) {
			close(fd);
			buf[i] = saved;
			continue;
		}
		if (errno != ENOENT)
			return -1;
		slash = strrchr(buf, '/');
		*slash = '\0';
		dirfd = open_in_root(rootfd, buf[0] ? buf : "/", O_PATH | O_DIRECTORY);
		*slash = '/';
		if (dirfd < 0)
			return -1;
		if (last && file) {
			r = openat(dirfd, slash + 1, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
				   0644);
			if (r >= 0)
				close(r);
		} else {
			r = mkdirat(dirfd, slash + 1, mode);
		}
		if (r < 0 && errno != EEXIST) {
			int err = errno;

			close(dirfd);
			errno = err;
			return -1;
		}
		close(dirfd);
		buf[i] = saved;
	}
	return open_in_root(rootfd, path, O_PATH);
}

static const char *fd_path(char *buf, size_t len, int fd)
{
	snprintf(buf, len, "/proc/self/fd/%d", fd);
	return buf;
}

/* --- mount options -------------------------------------------------------------- */

struct mount_opts {
	unsigned long flags; /* MS_* for mount() */
	unsigned long clear; /* set by default, cleared by an option (MS_NOATIME...) */
	unsigned long propagation;
	bool rec_bind;
	char data[1024];
};

static const struct {
	const char *name;
	bool clear;
	unsigned long flag;
} flag_options[] = {
    {"ro", false, MS_RDONLY},
    {"rro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"nosuid", false, MS_NOSUID},
    {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV},
    {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},
    {"exec", true, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},
    {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},
    {"mand", false, MS_MANDLOCK},
    {"nomand", true, MS_MANDLOCK},
    {"atime", true, MS_NOATIME},
    {"noatime", false, MS_NOATIME},
    {"diratime", true, MS_NODIRATIME},
    {"nodiratime", false, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME},
    {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME},
    {"nostrictatime", true, MS_STRICTATIME},
    {"remount", false, MS_REMOUNT},
    {"bind", false, MS_BIND},
    {"rbind", false, MS_BIND | MS_REC},
};

static const struct {
	const char *name;
	unsigned long flag;
} propagation_options[] = {
    {"private", MS_PRIVATE},	   {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},	   {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},	   {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

/* Options other runtimes interpret themselves (copy-up, relabelling, id
 * mapping): not mount data, and nothing hyrun does in the guest. */
static const char *const ignored_options[] = {
    "tmpcopyup", "notmpcopyup", "copy-symlink", "z", "Z", "U", "idmap", "ridmap",
};

static void parse_options(const struct oci_mount *m, struct mount_opts *mo)
{
	size_t used = 0;

	memset(mo, 0, sizeof(*mo));
	for (size_t i = 0; i < m->nr_options; i++) {
		const char *o = m->options[i];
		size_t k;
		bool done = false;

		for (k = 0; !done && k < ARRAY_LEN(flag_options); k++) {
			if (strcmp(o, flag_options[k].name) != 0)
				continue;
			if (flag_options[k].clear) {
				mo->flags &= ~flag_options[k].flag;
				mo->clear |= flag_options[k].flag;
			} else {
				mo->flags |= flag_options[k].flag;
			}
			done = true;
		}
		for (k = 0; !done && k < ARRAY_LEN(propagation_options); k++) {
			if (strcmp(o, propagation_options[k].name) == 0) {
				mo->propagation = propagation_options[k].flag;
				done = true;
			}
		}
		for (k = 0; !done && k < ARRAY_LEN(ignored_options); k++)
			done = strcmp(o, ignored_options[k]) == 0;
		if (done)
			continue;
		/* Anything else is filesystem data ("mode=755", "size=65536k"). */
		used += (size_t)snprintf(mo->data + used, sizeof(mo->data) - used, "%s%s",
					 used ? "," : "", o);
		if (used >= sizeof(mo->data))
			used = sizeof(mo->data) - 1;
	}
	mo->rec_bind = (mo->flags & (MS_BIND | MS_REC)) == (MS_BIND | MS_REC);
	mo->flags &= ~MS_REC;
}

static bool has_data_option(const char *data, const char *key)
{
	size_t n = strlen(key);

	for (const char *p = data; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (strncmp(p, key, n) == 0 && (p[n] == '\0' || p[n] == ',' || p[n] == '='))
			return true;
	return false;
}

static void add_data_option(struct mount_opts *mo, const char *opt)
{
	size_t used = strlen(mo->data);

	snprintf(mo->data + used, sizeof(mo->data) - used, "%s%s", used ? "," : "", opt);
}

/* --- mounts ---------------------------------------------------------------------- */

#define BIND_FLAGS                                                                                 \
	(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME | \
	 MS_STRICTATIME)

/* Bind mounts ignore most flags on the first call: they take a remount. */
static int remount_bind(const char *target, unsigned long flags)
{
	if (!(flags & BIND_FLAGS))
		return 0;
	return mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | (flags & BIND_FLAGS), NULL);
}

/* Mount share `tag` at `target`: virtiofs with `flags` in a VM; in self-test
 * mode a bind of the test directory, whose flags need remount_bind(). */
static int mount_share(const char *tag, const char *target, unsigned long flags)
{
	char path[PATH_MAX];

	if (!opts->test)
		return mount(tag, target, "virtiofs", flags & ~(MS_BIND | MS_REMOUNT), NULL);
	if (!opts->test_shares) {
		errno = ENODEV;
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s", opts->test_shares, tag);
	return mount(path, target, NULL, MS_BIND | MS_REC, NULL);
}

static bool best_effort_type(const char *type)
{
	/* cgroup v1/v2 and mqueue depend on the guest kernel's configuration;
	 * a workload rarely needs them, so their absence is not fatal. */
	return strcmp(type, "cgroup") == 0 || strcmp(type, "cgroup2") == 0 ||
	       strcmp(type, "mqueue") == 0;
}

static int do_mount(int rootfd, const struct oci_mount *m, size_t idx, struct container_error *e)
{
	char tpath[64], src[PATH_MAX];
	struct mount_opts mo;
	bool file = m->hyrun_file != NULL, remount = false;
	int fd, r;

	parse_options(m, &mo);
	if (m->bind && !m->hyrun_share && !m->hyrun_file)
		return set_error(e, HY_INIT_STATUS_SETUP, EINVAL,
				 "mounts[%zu] (%s): a bind mount of '%s', which the VMM did not "
				 "share",
				 idx, m->destination, m->source);
	fd = make_in_root(rootfd, m->destination, file, 0755);
	if (fd < 0) {
		if (!m->bind && best_effort_type(m->type)) {
			dbg("hyrun-init: mounts[%zu] (%s) skipped: %s", idx, m->destination,
			    strerror(errno));
			return 0;
		}
		return set_error(e, HY_INIT_STATUS_SETUP, errno,
				 "mounts[%zu]: cannot create the mount point '%s': %s", idx,
				 m->destination, strerror(errno));
	}
	fd_path(tpath, sizeof(tpath), fd);
	if (m->hyrun_share) {
		r = mount_share(m->hyrun_share, tpath, mo.flags);
		remount = opts->test;
	} else if (m->hyrun_file) {
		/* A copy made when the VM started: later changes on the host are
		 * not seen (podman's /etc/hosts, /etc/resolv.conf...). */
		r = mount(gpath(src, sizeof(src), m->hyrun_file), tpath, NULL, MS_BIND, NULL);
		remount = true;
	} else {
		if (strcmp(m->type, "devpts") == 0) {
			/* A private instance, with a ptmx anyone may open. */
			if (!has_data_option(mo.data, "newinstance"))
				add_data_option(&mo, "newinstance");
			if (!has_data_option(mo.data, "ptmxmode"))
				add_data_option(&mo, "ptmxmode=0666");
		}
		r = mount(m->source ? m->source : m->type, tpath, m->type, mo.flags & ~MS_BIND,
			  mo.data[0] ? mo.data : NULL);
		if (r < 0 && best_effort_type(m->type)) {
			dbg("hyrun-init: mounts[%zu] (%s on %s) skipped: %s", idx, m->type,
			    m->destination, strerror(errno));
			close(fd);
			return 0;
		}
	}
	/* fd is the mount point below the new mount: what follows must name
	 * the new mount itself. */
	if (!r && (remount || mo.propagation)) {
		close(fd);
		fd = open_in_root(rootfd, m->destination, O_PATH);
		if (fd < 0)
			return set_error(e, HY_INIT_STATUS_SETUP, errno, "mounts[%zu]: '%s': %s",
					 idx, m->destination, strerror(errno));
		fd_path(tpath, sizeof(tpath), fd);
		if (remount)
			r = remount_bind(tpath, mo.flags);
		if (!r && mo.propagation)
			r = mount(NULL, tpath, NULL, mo.propagation, NULL);
	}
	if (r < 0) {
		int err = errno;

		close(fd);
		return set_error(e, HY_INIT_STATUS_SETUP, err, "mounts[%zu]: mount %s on '%s': %s",
				 idx,
				 m->hyrun_share ? "virtiofs"
				 : m->bind	? "bind"
						: m->type,
				 m->destination, strerror(err));
	}
	dbg("hyrun-init: mounted %s on %s",
	    m->hyrun_share  ? m->hyrun_share
	    : m->hyrun_file ? m->hyrun_file
			    : m->type,
	    m->destination);
	close(fd);
	return 0;
}

/* The device nodes and links every container finds in /dev (as runc makes them). */
static void populate_dev(int rootfd)
{
	static const struct {
		const char *name;
		unsigned maj, min;
	} nodes[] = {
	    {"null", 1, 3},   {"zero", 1, 5},	 {"full", 1, 7},
	    {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
	};
	static const char *const links[][2] = {
	    {"/proc/self/fd", "fd"},	   {"/proc/self/fd/0", "stdin"},
	    {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"},
	    {"/proc/kcore", "core"},
	};
	int dev = open_in_root(rootfd, "/dev", O_PATH | O_DIRECTORY);
	struct stat st;

	if (dev < 0)
		return;
	for (size_t i = 0; i < ARRAY_LEN(nodes); i++) {
		if (mknodat(dev, nodes[i].name, S_IFCHR | 0666,
			    makedev(nodes[i].maj, nodes[i].min)) < 0 &&
		    errno != EEXIST)
			dbg("hyrun-init: mknod /dev/%s: %s", nodes[i].name, strerror(errno));
		else
			fchmodat(dev, nodes[i].name, 0666, 0);
	}
	for (size_t i = 0; i < ARRAY_LEN(links); i++)
		if (symlinkat(links[i][0], dev, links[i][1]) < 0 && errno != EEXIST)
			dbg("hyrun-init: symlink /dev/%s: %s", links[i][1], strerror(errno));
	/* With a private devpts, /dev/ptmx must be its ptmx. */
	if (fstatat(dev, "pts/ptmx", &st, AT_SYMLINK_NOFOLLOW) == 0) {
		unlinkat(dev, "ptmx", 0);
		if (symlinkat("pts/ptmx", dev, "ptmx") < 0)
			dbg("hyrun-init: symlink /dev/ptmx: %s", strerror(errno));
	}
	close(dev);
}

static int apply_sysctl(const struct oci_spec *s, struct container_error *e)
{
	for (size_t i = 0; i < s->nr_sysctl; i++) {
		char path[PATH_MAX];
		size_t len = strlen(s->sysctl[i].value);
		int fd;

		if (opts->test) {
			dbg("hyrun-init: self-test: sysctl %s not set", s->sysctl[i].key);
			continue;
		}
		snprintf(path, sizeof(path), "/proc/sys/%s", s->sysctl[i].key);
		for (char *p = path + strlen("/proc/sys/"); *p; p++)
			if (*p == '.')
				*p = '/';
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, s->sysctl[i].value, len) != (ssize_t)len) {
			int err = errno;

			if (fd >= 0)
				close(fd);
			return set_error(e, HY_INIT_STATUS_SETUP, err,
					 "linux.sysctl: cannot set %s to '%s': %s",
					 s->sysctl[i].key, s->sysctl[i].value, strerror(err));
		}
		close(fd);
	}
	return 0;
}

static int apply_rlimits(const struct oci_spec *s, struct container_error *e)
{
	for (size_t i = 0; i < s->nr_rlimits; i++) {
		const struct oci_rlimit *rl = &s->rlimits[i];
		struct rlimit lim = {
		    .rlim_cur = rl->soft == UINT64_MAX ? RLIM_INFINITY : rl->soft,
		    .rlim_max = rl->hard == UINT64_MAX ? RLIM_INFINITY : rl->hard,
		};

		if (setrlimit((__rlimit_resource_t)rl->resource, &lim) < 0)
			return set_error(e, HY_INIT_STATUS_SETUP, errno,
					 "process.rlimits: setting %s: %s", rl->type,
					 strerror(errno));
	}
	return 0;
}

static int apply_oom_score_adj(const struct oci_spec *s, struct container_error *e)
{
	char buf[16];
	int fd, n;

	if (!s->has_oom_score_adj)
		return 0;
	n = snprintf(buf, sizeof(buf), "%d", s->oom_score_adj);
	fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, buf, (size_t)n) != n) {
		int err = errno;

		if (fd >= 0)
			close(fd);
		return set_error(e, HY_INIT_STATUS_SETUP, err, "process.oomScoreAdj: %s",
				 strerror(err));
	}
	close(fd);
	return 0;
}

/*
 * The root: the rootfs share mounted at STAGE_DIR, the spec's mounts made
 * inside it, then moved onto "/" and entered with chroot(), as switch_root
 * does. pivot_root(2) cannot be used: the initramfs is the namespace's
 * root mount (rootfs), which pivot_root refuses to move (EINVAL). Inside the
 * child's own mount namespace the initramfs stays reachable only through
 * PID 1's /proc/1/root, and the VM is the boundary around it all.
 */
static int build_root(const struct oci_spec *s, struct container_error *e)
{
	char stage[PATH_MAX];
	const char *tag = s->root_hyrun_share ? s->root_hyrun_share : HY_SHARE_ROOTFS;
	bool dev_mounted = false;
	int rootfd;

	if (unshare(CLONE_NEWNS | (opts->test ? CLONE_NEWUTS : 0)) < 0)
		return set_error(e, HY_INIT_STATUS_SETUP, errno, "unshare: %s", strerror(errno));
	/* Nothing mounted below may leak back into PID 1's view. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return set_error(e, HY_INIT_STATUS_SETUP, errno, "making / private: %s",
				 strerror(errno));
	gpath(stage, sizeof(stage), STAGE_DIR);
	if (mkdir(stage, 0755) < 0 && errno != EEXIST)
		return set_error(e, HY_INIT_STATUS_SETUP, errno, "mkdir '%s': %s", stage,
				 strerror(errno));
	if (mount_share(tag, stage, 0) < 0)
		return set_error(e, HY_INIT_STATUS_SETUP, errno,
				 "mounting the root (virtio-fs tag '%s'): %s", tag,
				 strerror(errno));
	rootfd = open(stage, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return set_error(e, HY_INIT_STATUS_SETUP, errno, "open '%s': %s", stage,
				 strerror(errno));
	for (size_t i = 0; i < s->nr_mounts; i++) {
		if (do_mount(rootfd, &s->mounts[i], i, e) < 0) {
			close(rootfd);
			return -1;
		}
		/* Only into a /dev of the spec's own: never write nodes and
		 * links into the image on the host. */
		if (strcmp(s->mounts[i].destination, "/dev") == 0)
			dev_mounted = true;
	}
	if (dev_mounted)
		populate_dev(rootfd);
	close(rootfd);

	if (chdir(stage) < 0 || mount(stage, "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 ||
	    chdir("/") < 0)
		return set_error(e, HY_INIT_STATUS_SETUP, errno, "entering the root: %s",
				 strerror(errno));
	if (s->root_readonly && mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
		return set_error(e, HY_INIT_STATUS_SETUP, errno,
				 "root.readonly: remounting / read-only: %s", strerror(errno));
	return 0;
}

/* --- process ------------------------------------------------------------------------ */

static int set_user_and_caps(const struct oci_spec *s, struct container_error *e)
{
	unsigned last = (unsigned)cap_max_bits() - 1;
	cap_t caps;

	if (s->has_caps) {
		/* Bounding first, while CAP_SETPCAP is still there. Caps the
		 * kernel knows and the spec cannot name are dropped too. */
		for (unsigned c = 0; c <= last; c++) {
			if (c <= oci_cap_last() && (s->caps[OCI_CAP_BOUNDING] >> c & 1))
				continue;
			if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
				return set_error(e, HY_INIT_STATUS_SETUP, errno,
						 "process.capabilities.bounding: dropping %s: %s",
						 oci_cap_name(c) ? oci_cap_name(c) : "?",
						 strerror(errno));
		}
		/* Keep the permitted set across the switch to a non-zero uid. */
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
			return set_error(e, HY_INIT_STATUS_SETUP, errno, "PR_SET_KEEPCAPS: %s",
					 strerror(errno));
	}
	if (setgroups(s->nr_additional_gids, s->additional_gids) < 0)
		return set_error(e, HY_INIT_STATUS_SETUP, errno,
				 "process.user.additionalGids: setgroups: %s", strerror(errno));
	if (setresgid(s->gid, s->gid, s->gid) < 0)
		return set_error(e, HY_INIT_STATUS_SETUP, errno, "process.user.gid %u: %s", s->gid,
				 strerror(errno));
	if (setresuid(s->uid, s->uid, s->uid) < 0)
		return set_error(e, HY_INIT_STATUS_SETUP, errno, "process.user.uid %u: %s", s->uid,
				 strerror(errno));
	if (!s->has_caps)
		return 0;

	caps = cap_init();
	if (!caps)
		return set_error(e, HY_INIT_STATUS_SETUP, errno, "cap_init: %s", strerror(errno));
	for (unsigned c = 0; c <= oci_cap_last() && c <= last; c++) {
		cap_value_t v = (cap_value_t)c;

		if (s->caps[OCI_CAP_EFFECTIVE] >> c & 1)
			cap_set_flag(caps, CAP_EFFECTIVE, 1, &v, CAP_SET);
		if (s->caps[OCI_CAP_PERMITTED] >> c & 1)
			cap_set_flag(caps, CAP_PERMITTED, 1, &v, CAP_SET);
		if (s->caps[OCI_CAP_INHERITABLE] >> c & 1)
			cap_set_flag(caps, CAP_INHERITABLE, 1, &v, CAP_SET);
	}
	if (cap_set_proc(caps) < 0) {
		int err = errno;

		cap_free(caps);
		return set_error(e, HY_INIT_STATUS_SETUP, err,
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
	for (unsigned c = 0; c <= oci_cap_last() && c <= last; c++) {
		if (!(s->caps[OCI_CAP_AMBIENT] >> c & 1))
			continue;
		if (!(s->caps[OCI_CAP_PERMITTED] >> c & 1 && s->caps[OCI_CAP_INHERITABLE] >> c & 1))
			continue;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
			return set_error(e, HY_INIT_STATUS_SETUP, errno,
					 "process.capabilities.ambient: raising %s: %s",
					 oci_cap_name(c), strerror(errno));
	}
	return 0;
}

static uint32_t seccomp_action(enum oci_seccomp_action a, bool has_errno, unsigned errno_ret)
{
	switch (a) {
	case OCI_SECCOMP_KILL:
	case OCI_SECCOMP_KILL_THREAD:
		return SCMP_ACT_KILL_THREAD;
	case OCI_SECCOMP_KILL_PROCESS:
		return SCMP_ACT_KILL_PROCESS;
	case OCI_SECCOMP_TRAP:
		return SCMP_ACT_TRAP;
	case OCI_SECCOMP_ERRNO:
		return SCMP_ACT_ERRNO(has_errno ? errno_ret : EPERM);
	case OCI_SECCOMP_TRACE:
		return SCMP_ACT_TRACE(has_errno ? errno_ret : EPERM);
	case OCI_SECCOMP_LOG:
		return SCMP_ACT_LOG;
	case OCI_SECCOMP_ALLOW:
	case OCI_SECCOMP_NOTIFY:
		break;
	}
	return SCMP_ACT_ALLOW;
}

static const enum scmp_compare seccomp_ops[] = {
    [OCI_SECCOMP_OP_NE] = SCMP_CMP_NE,
    [OCI_SECCOMP_OP_LT] = SCMP_CMP_LT,
    [OCI_SECCOMP_OP_LE] = SCMP_CMP_LE,
    [OCI_SECCOMP_OP_EQ] = SCMP_CMP_EQ,
    [OCI_SECCOMP_OP_GE] = SCMP_CMP_GE,
    [OCI_SECCOMP_OP_GT] = SCMP_CMP_GT,
    [OCI_SECCOMP_OP_MASKED_EQ] = SCMP_CMP_MASKED_EQ,
};

static int add_rule(scmp_filter_ctx ctx, uint32_t action, int nr,
		    const struct oci_seccomp_rule *rule)
{
	struct scmp_arg_cmp cmp[6];
	bool repeated = false;
	int r;

	for (size_t i = 0; i < rule->nr_args; i++)
		for (size_t j = 0; j < i; j++)
			repeated |= rule->args[i].index == rule->args[j].index;
	for (size_t i = 0; i < rule->nr_args && i < ARRAY_LEN(cmp); i++)
		cmp[i] = (struct scmp_arg_cmp){
		    .arg = rule->args[i].index,
		    .op = seccomp_ops[rule->args[i].op],
		    .datum_a = rule->args[i].value,
		    .datum_b = rule->args[i].value_two,
		};
	if (!repeated)
		return seccomp_rule_add_array(
		    ctx, action, nr, (unsigned)(rule->nr_args < 6 ? rule->nr_args : 6), cmp);
	/* Conditions on the same argument cannot be ANDed in one libseccomp
	 * rule; like other runtimes, each becomes a rule of its own (OR). */
	for (size_t i = 0; i < rule->nr_args && i < ARRAY_LEN(cmp); i++) {
		r = seccomp_rule_add_array(ctx, action, nr, 1, &cmp[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

static void arch_token(const char *spec_name, char *buf, size_t len)
{
	const char *p = spec_name + strlen("SCMP_ARCH_");
	size_t i;

	for (i = 0; p[i] && i + 1 < len; i++)
		buf[i] = (char)tolower((unsigned char)p[i]);
	buf[i] = '\0';
}

/* Build and load the filter. Without noNewPrivileges it is loaded while the
 * process still has CAP_SYS_ADMIN, and must not set no_new_privs itself. */
static int load_seccomp(const struct oci_spec *s, struct container_error *e)
{
	const struct oci_seccomp *sc = s->seccomp;
	uint32_t def =
	    seccomp_action(sc->default_action, sc->has_default_errno_ret, sc->default_errno_ret);
	scmp_filter_ctx ctx;
	int r;

	if (sc->default_action == OCI_SECCOMP_NOTIFY)
		return set_error(e, HY_INIT_STATUS_SETUP, EINVAL,
				 "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY is not supported");
	ctx = seccomp_init(def);
	if (!ctx)
		return set_error(e, HY_INIT_STATUS_SETUP, EINVAL,
				 "linux.seccomp: seccomp_init failed");
	if (!s->no_new_privileges)
		seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	for (size_t i = 0; i < sc->nr_architectures; i++) {
		char name[32];
		uint32_t arch;

		arch_token(sc->architectures[i], name, sizeof(name));
		arch = seccomp_arch_resolve_name(name);
		if (!arch) {
			dbg("hyrun-init: seccomp architecture %s unknown to libseccomp",
			    sc->architectures[i]);
			continue;
		}
		r = seccomp_arch_add(ctx, arch);
		if (r < 0 && r != -EEXIST)
			dbg("hyrun-init: seccomp architecture %s: %s", sc->architectures[i],
			    strerror(-r));
	}
	for (size_t i = 0; i < sc->nr_syscalls; i++) {
		const struct oci_seccomp_rule *rule = &sc->syscalls[i];
		uint32_t action =
		    seccomp_action(rule->action, rule->has_errno_ret, rule->errno_ret);

		if (rule->action == OCI_SECCOMP_NOTIFY) {
			seccomp_release(ctx);
			return set_error(e, HY_INIT_STATUS_SETUP, EINVAL,
					 "linux.seccomp.syscalls[%zu].action: SCMP_ACT_NOTIFY is "
					 "not supported",
					 i);
		}
		/* libseccomp refuses a rule that repeats the default action. */
		if (action == def)
			continue;
		for (size_t n = 0; n < rule->nr_names; n++) {
			int nr = seccomp_syscall_resolve_name(rule->names[n]);

			/* Names this libseccomp or architecture does not know
			 * are skipped, as other runtimes do. */
			if (nr == __NR_SCMP_ERROR)
				continue;
			r = add_rule(ctx, action, nr, rule);
			if (r < 0) {
				seccomp_release(ctx);
				return set_error(e, HY_INIT_STATUS_SETUP, -r,
						 "linux.seccomp.syscalls[%zu]: rule for '%s': %s",
						 i, rule->names[n], strerror(-r));
			}
		}
	}
	r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r < 0)
		return set_error(e, HY_INIT_STATUS_SETUP, -r,
				 "linux.seccomp: loading the filter: %s", strerror(-r));
	return 0;
}

static const char *env_path(const struct oci_spec *s)
{
	for (size_t i = 0; i < s->nr_env; i++)
		if (strncmp(s->env[i], "PATH=", 5) == 0)
			return s->env[i] + 5;
	return DEFAULT_PATH;
}

/*
 * args[0] looked up in the PATH of process.env (not hyrun-init's own), in
 * the new root and as the workload's user. Returns 0 with the path in buf.
 */
static int resolve_exec(const struct oci_spec *s, char *buf, size_t len, struct container_error *e)
{
	const char *name = s->args[0], *p = env_path(s);
	bool denied = false;

	if (strchr(name, '/')) {
		snprintf(buf, len, "%s", name);
		return 0;
	}
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
	if (denied)
		return set_error(e, HY_INIT_STATUS_NOEXEC, EACCES, "exec '%s': %s", name,
				 strerror(EACCES));
	return set_error(e, HY_INIT_STATUS_NOTFOUND, ENOENT,
			 "exec '%s': executable file not found in $PATH", name);
}

static int exec_status(int err)
{
	return err == ENOENT || err == ENOTDIR ? HY_INIT_STATUS_NOTFOUND : HY_INIT_STATUS_NOEXEC;
}

void container_exec(const struct oci_spec *s, const struct container_opts *o,
		    struct container_error *e)
{
	char exe[PATH_MAX];
	struct stat st;

	opts = o;
	memset(e, 0, sizeof(*e));
	if (s->hostname && !opts->test && sethostname(s->hostname, strlen(s->hostname)) < 0) {
		set_error(e, HY_INIT_STATUS_SETUP, errno, "hostname '%s': %s", s->hostname,
			  strerror(errno));
		return;
	}
	if (apply_sysctl(s, e) < 0 || apply_oom_score_adj(s, e) < 0 || apply_rlimits(s, e) < 0 ||
	    build_root(s, e) < 0)
		return;
	/* In self-test mode the child has a UTS namespace of its own by now. */
	if (s->hostname && opts->test && sethostname(s->hostname, strlen(s->hostname)) < 0) {
		set_error(e, HY_INIT_STATUS_SETUP, errno, "hostname '%s': %s", s->hostname,
			  strerror(errno));
		return;
	}
	if (o->setup_terminal && o->setup_terminal(e) < 0)
		return;
	/* Created as root, like runc does; entered below as the workload's user. */
	if (stat(s->cwd, &st) < 0 && errno == ENOENT) {
		int fd = make_in_root(AT_FDCWD, s->cwd, false, 0755);

		if (fd >= 0)
			close(fd);
	}
	if (o->before_seccomp)
		o->before_seccomp();
	if (s->seccomp && !s->no_new_privileges && load_seccomp(s, e) < 0)
		return;
	if (set_user_and_caps(s, e) < 0)
		return;
	umask(s->has_umask ? s->umask : DEFAULT_UMASK);
	if (chdir(s->cwd) < 0) {
		set_error(e, HY_INIT_STATUS_SETUP, errno,
			  "chdir to cwd (\"%s\") set in config.json failed: %s", s->cwd,
			  strerror(errno));
		return;
	}
	if (s->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		set_error(e, HY_INIT_STATUS_SETUP, errno, "process.noNewPrivileges: %s",
			  strerror(errno));
		return;
	}
	if (resolve_exec(s, exe, sizeof(exe), e) < 0)
		return;
	/* Last, so the filter sees only execve() of what set-up made. */
	if (s->seccomp && s->no_new_privileges && load_seccomp(s, e) < 0)
		return;
	if (o->before_exec)
		o->before_exec();
	execve(exe, (char *const *)s->args,
	       (char *const *)(s->env ? s->env : (const char *[]){NULL}));
	set_error(e, exec_status(errno), errno, "exec '%s': %s", s->args[0], strerror(errno));
}
