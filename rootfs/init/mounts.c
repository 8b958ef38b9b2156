/* mounts.c: the workload's root and mounts, in the child's own mount namespace. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/openat2.h>

#include "common/agent_proto.h"
#include "common/cleanup.h"
#include "common/fdio.h"
#include "common/strv.h"
#include "rootfs/init/container_int.h"

/* Where the root is assembled, inside the child's own mount namespace. */
#define STAGE_DIR HY_INIT_DIR "/root"

static const char *gpath(char *buf, size_t len, const char *path)
{
	snprintf(buf, len, "%s%s", container_opts->root, path);
	return buf;
}

/* --- paths inside the new root ----------------------------------------------- */

/*
 * Lookups below the new root are confined to it with RESOLVE_IN_ROOT: a
 * symlink in the image ("/proc" -> "/") cannot put a mount outside. The VM
 * is the security boundary, but mounting over the guest's own tree would
 * still break hyrun-init.
 */
int root_open(int rootfd, const char *path, int flags)
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
int root_make(int rootfd, const char *path, bool file, mode_t mode)
{
	char buf[PATH_MAX];
	size_t n;
	int fd;

	fd = root_open(rootfd, path, O_PATH);
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
		fd = root_open(rootfd, buf, O_PATH);
		if (fd >= 0) {
			close(fd);
			buf[i] = saved;
			continue;
		}
		if (errno != ENOENT)
			return -1;
		slash = strrchr(buf, '/');
		*slash = '\0';
		dirfd = root_open(rootfd, buf[0] ? buf : "/", O_PATH | O_DIRECTORY);
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
	return root_open(rootfd, path, O_PATH);
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
	bool tmpcopyup; /* a tmpfs that starts with what its mount point held */
	/* The recursive options (rro, rnosuid...): mount attributes set and
	 * cleared on the new mount and every mount below it (mount_setattr). */
	uint64_t rec_set, rec_clr;
	char data[1024];
};

static const struct {
	const char *name;
	bool clear;
	unsigned long flag;
} flag_options[] = {
    {"ro", false, MS_RDONLY},
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
    {"nosymfollow", false, MS_NOSYMFOLLOW},
    {"symfollow", true, MS_NOSYMFOLLOW},
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
/*
 * The runtime-spec's recursive options (mount_setattr(2) with AT_RECURSIVE):
 * the attribute set, or cleared, on the mount and all mounts below it. The
 * access-time ones replace the whole MOUNT_ATTR__ATIME field.
 */
static const struct {
	const char *name;
	bool clear;
	uint64_t attr;
} rec_options[] = {
    {"rro", false, MOUNT_ATTR_RDONLY},
    {"rrw", true, MOUNT_ATTR_RDONLY},
    {"rnosuid", false, MOUNT_ATTR_NOSUID},
    {"rsuid", true, MOUNT_ATTR_NOSUID},
    {"rnodev", false, MOUNT_ATTR_NODEV},
    {"rdev", true, MOUNT_ATTR_NODEV},
    {"rnoexec", false, MOUNT_ATTR_NOEXEC},
    {"rexec", true, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", false, MOUNT_ATTR_NODIRATIME},
    {"rdiratime", true, MOUNT_ATTR_NODIRATIME},
    {"rnosymfollow", false, MOUNT_ATTR_NOSYMFOLLOW},
    {"rsymfollow", true, MOUNT_ATTR_NOSYMFOLLOW},
    {"rrelatime", false, MOUNT_ATTR_RELATIME},
    {"rnoatime", false, MOUNT_ATTR_NOATIME},
    {"rstrictatime", false, MOUNT_ATTR_STRICTATIME},
    {"ratime", true, MOUNT_ATTR_NOATIME},
};

/* Options that are no mount flag and no filesystem data: "defaults" (the
 * flags' defaults), SELinux relabelling and Podman's ownership option (done
 * by the engine before the runtime runs), crun's symlink copy. */
static const char *const ignored_options[] = {
    "defaults", "notmpcopyup", "copy-symlink", "z", "Z", "U",
};

static void parse_options(const struct gc_mount *m, struct mount_opts *mo)
{
	size_t used = 0;

	memset(mo, 0, sizeof(*mo));
	for (size_t i = 0; i < m->nr_options; i++) {
		const char *o = m->options[i];
		size_t k;
		bool done = false;

		for (k = 0; !done && k < ARRAY_SIZE(flag_options); k++) {
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
		for (k = 0; !done && k < ARRAY_SIZE(propagation_options); k++) {
			if (strcmp(o, propagation_options[k].name) == 0) {
				mo->propagation = propagation_options[k].flag;
				done = true;
			}
		}
		for (k = 0; !done && k < ARRAY_SIZE(rec_options); k++) {
			if (strcmp(o, rec_options[k].name) != 0)
				continue;
			if (rec_options[k].attr & MOUNT_ATTR__ATIME) {
				/* One access-time mode: the field is replaced. */
				mo->rec_clr |= MOUNT_ATTR__ATIME;
				mo->rec_set &= ~(uint64_t)MOUNT_ATTR__ATIME;
				if (!rec_options[k].clear)
					mo->rec_set |= rec_options[k].attr;
			} else if (rec_options[k].clear) {
				mo->rec_set &= ~rec_options[k].attr;
				mo->rec_clr |= rec_options[k].attr;
			} else {
				mo->rec_set |= rec_options[k].attr;
				mo->rec_clr &= ~rec_options[k].attr;
			}
			done = true;
		}
		if (!done && strcmp(o, "tmpcopyup") == 0) {
			mo->tmpcopyup = true;
			done = true;
		}
		if (!done && strcmp(o, "notmpcopyup") == 0) {
			mo->tmpcopyup = false;
			done = true;
		}
		for (k = 0; !done && k < ARRAY_SIZE(ignored_options); k++)
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

/* Whether an option "key" or "key=..." is among the mount's options. */
static bool has_option_key(const struct gc_mount *m, const char *key)
{
	size_t n = strlen(key);

	for (size_t i = 0; i < m->nr_options; i++)
		if (strncmp(m->options[i], key, n) == 0 &&
		    (m->options[i][n] == '\0' || m->options[i][n] == '='))
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

	if (!container_opts->test)
		return mount(tag, target, "virtiofs", flags & ~(MS_BIND | MS_REMOUNT), NULL);
	if (!container_opts->test_shares) {
		errno = ENODEV;
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s", container_opts->test_shares, tag);
	return mount(path, target, NULL, MS_BIND | MS_REC, NULL);
}

static bool best_effort_type(const char *type)
{
	/* cgroup v1/v2 and mqueue depend on the guest kernel's configuration;
	 * a workload rarely needs them, so their absence is not fatal. */
	return strcmp(type, "cgroup") == 0 || strcmp(type, "cgroup2") == 0 ||
	       strcmp(type, "mqueue") == 0;
}

/*
 * tmpcopyup: what the mount point held in the image, copied into the tmpfs
 * mounted over it (Podman asks for it on every --tmpfs), as runc and crun
 * do. Regular files, directories, symlinks and special files, with owner,
 * mode and times; nothing is followed. Depth is bounded: an image is not
 * trusted to be sane.
 */
#define COPYUP_MAX_DEPTH 64

static int copy_file_at(int from, int to, const char *name, const struct stat *st)
{
	char buf[65536];
	int in, out, r = 0;
	ssize_t n;

	in = openat(from, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	if (in < 0)
		return -1;
	out = openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		     st->st_mode & 07777);
	if (out < 0) {
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		int w = hy_write_all(out, buf, (size_t)n);

		if (w < 0) {
			errno = -w;
			r = -1;
			break;
		}
	}
	if (n < 0)
		r = -1;
	if (close(out) < 0)
		r = -1;
	close(in);
	return r;
}

static int copy_tree(int from, int to, unsigned depth, char *failed, size_t len)
{
	DIR *d;
	struct dirent *de;
	int dfd, r = 0;

	if (depth > COPYUP_MAX_DEPTH) {
		snprintf(failed, len, "deeper than %d directories", COPYUP_MAX_DEPTH);
		errno = ELOOP;
		return -1;
	}
	dfd = openat(from, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || !(d = fdopendir(dfd))) {
		if (dfd >= 0)
			close(dfd);
		snprintf(failed, len, "reading the directory");
		return -1;
	}
	while (!r && (errno = 0, de = readdir(d))) {
		const char *n = de->d_name;
		struct timespec times[2];
		struct stat st;

		if (!strcmp(n, ".") || !strcmp(n, ".."))
			continue;
		if (fstatat(from, n, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = -1;
		} else if (S_ISDIR(st.st_mode)) {
			int sub_from, sub_to;

			r = mkdirat(to, n, 0700);
			if (!r) {
				sub_from =
				    openat(from, n, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				sub_to =
				    openat(to, n, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				r = sub_from < 0 || sub_to < 0
					? -1
					: copy_tree(sub_from, sub_to, depth + 1, failed, len);
				if (sub_from >= 0)
					close(sub_from);
				if (sub_to >= 0)
					close(sub_to);
				if (r)
					break; /* failed names the deeper entry */
			}
		} else if (S_ISREG(st.st_mode)) {
			r = copy_file_at(from, to, n, &st);
		} else if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t l = readlinkat(from, n, target, sizeof(target) - 1);

			if (l < 0) {
				r = -1;
			} else {
				target[l] = '\0';
				r = symlinkat(target, to, n);
			}
		} else {
			r = mknodat(to, n, st.st_mode, st.st_rdev);
		}
		if (!r)
			r = fchownat(to, n, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
		/* After the owner: chown clears set-ID bits. */
		if (!r && !S_ISLNK(st.st_mode))
			r = fchmodat(to, n, st.st_mode & 07777, 0);
		if (!r) {
			times[0] = st.st_atim;
			times[1] = st.st_mtim;
			r = utimensat(to, n, times, AT_SYMLINK_NOFOLLOW);
		}
		if (r)
			snprintf(failed, len, "'%s'", n);
	}
	if (!r && errno) {
		snprintf(failed, len, "reading the directory");
		r = -1;
	}
	{
		int err = errno;

		closedir(d);
		errno = err;
	}
	return r;
}

static int do_mount(int rootfd, const struct gc_mount *m, size_t idx, struct container_error *e)
{
	char tpath[64], src[PATH_MAX];
	struct mount_opts mo;
	bool file = m->file != NULL, remount = false;
	int fd, r, below = -1;

	parse_options(m, &mo);
	/* The decoder refuses these; a check that costs nothing. */
	if (m->bind && !m->share && !m->file)
		return container_fail(e, HY_INIT_STATUS_SETUP, EINVAL,
				      "mounts[%zu] (%s): a bind mount the VMM did not share", idx,
				      m->destination);
	fd = root_make(rootfd, m->destination, file, 0755);
	if (fd < 0) {
		if (!m->bind && best_effort_type(m->type)) {
			container_dbg("hyrun-init: mounts[%zu] (%s) skipped: %s", idx,
				      m->destination, strerror(errno));
			return 0;
		}
		return container_fail(e, HY_INIT_STATUS_SETUP, errno,
				      "mounts[%zu]: cannot create the mount point '%s': %s", idx,
				      m->destination, strerror(errno));
	}
	fd_path(tpath, sizeof(tpath), fd);
	if (mo.tmpcopyup && (m->bind || !m->type || strcmp(m->type, "tmpfs") != 0))
		mo.tmpcopyup = false; /* runc and crun: for a tmpfs only */
	if (mo.tmpcopyup) {
		/* The directory the tmpfs will cover, opened while it can still
		 * be reached. */
		below = openat(fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (below < 0) {
			int err = errno;

			close(fd);
			return container_fail(e, HY_INIT_STATUS_SETUP, err,
					      "mounts[%zu]: tmpcopyup: '%s' is not a directory: %s",
					      idx, m->destination, strerror(err));
		}
	}
	if (m->share) {
		r = mount_share(m->share, tpath, mo.flags);
		remount = container_opts->test;
	} else if (m->file) {
		/* A copy made when the VM started: later changes on the host are
		 * not seen (podman's /etc/hosts, /etc/resolv.conf...). */
		snprintf(src, sizeof(src), "%s%s/%s", container_opts->root, HY_INIT_FILES, m->file);
		r = mount(src, tpath, NULL, MS_BIND, NULL);
		remount = true;
	} else {
		if (strcmp(m->type, "devpts") == 0) {
			/* A private instance, with a ptmx anyone may open. */
			if (!hy_strv_contains(m->options, m->nr_options, "newinstance"))
				add_data_option(&mo, "newinstance");
			if (!has_option_key(m, "ptmxmode"))
				add_data_option(&mo, "ptmxmode=0666");
		}
		r = mount(m->source ? m->source : m->type, tpath, m->type, mo.flags & ~MS_BIND,
			  mo.data[0] ? mo.data : NULL);
		if (r < 0 && best_effort_type(m->type)) {
			container_dbg("hyrun-init: mounts[%zu] (%s on %s) skipped: %s", idx,
				      m->type, m->destination, strerror(errno));
			close(fd);
			return 0;
		}
	}
	/* fd is the mount point below the new mount: what follows must name
	 * the new mount itself. */
	if (!r && (remount || mo.propagation || mo.rec_set || mo.rec_clr || below >= 0)) {
		close(fd);
		fd = root_open(rootfd, m->destination, O_PATH);
		if (fd < 0) {
			int err = errno;

			if (below >= 0)
				close(below);
			return container_fail(e, HY_INIT_STATUS_SETUP, err, "mounts[%zu]: '%s': %s",
					      idx, m->destination, strerror(err));
		}
		fd_path(tpath, sizeof(tpath), fd);
		if (below >= 0) {
			char failed[NAME_MAX + 64] = "";

			r = copy_tree(below, fd, 0, failed, sizeof(failed));
			close(below);
			below = -1;
			if (r < 0) {
				int err = errno;

				close(fd);
				return container_fail(e, HY_INIT_STATUS_SETUP, err,
						      "mounts[%zu]: tmpcopyup into '%s': %s: %s",
						      idx, m->destination, failed, strerror(err));
			}
		}
		if (remount)
			r = remount_bind(tpath, mo.flags);
		if (!r && mo.propagation)
			r = mount(NULL, tpath, NULL, mo.propagation, NULL);
		if (!r && (mo.rec_set || mo.rec_clr)) {
			struct mount_attr attr = {.attr_set = mo.rec_set, .attr_clr = mo.rec_clr};

			r = mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
					  sizeof(attr));
		}
	}
	if (below >= 0)
		close(below);
	if (r < 0) {
		int err = errno;

		close(fd);
		return container_fail(e, HY_INIT_STATUS_SETUP, err,
				      "mounts[%zu]: mount %s on '%s': %s", idx,
				      m->share	? "virtiofs"
				      : m->bind ? "bind"
						: m->type,
				      m->destination, strerror(err));
	}
	container_dbg("hyrun-init: mounted %s on %s",
		      m->share	? m->share
		      : m->file ? m->file
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
	int dev = root_open(rootfd, "/dev", O_PATH | O_DIRECTORY);
	struct stat st;

	if (dev < 0)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(nodes); i++) {
		if (mknodat(dev, nodes[i].name, S_IFCHR | 0666,
			    makedev(nodes[i].maj, nodes[i].min)) < 0 &&
		    errno != EEXIST)
			container_dbg("hyrun-init: mknod /dev/%s: %s", nodes[i].name,
				      strerror(errno));
		else
			fchmodat(dev, nodes[i].name, 0666, 0);
	}
	for (size_t i = 0; i < ARRAY_SIZE(links); i++)
		if (symlinkat(links[i][0], dev, links[i][1]) < 0 && errno != EEXIST)
			container_dbg("hyrun-init: symlink /dev/%s: %s", links[i][1],
				      strerror(errno));
	/* With a private devpts, /dev/ptmx must be its ptmx. */
	if (fstatat(dev, "pts/ptmx", &st, AT_SYMLINK_NOFOLLOW) == 0) {
		unlinkat(dev, "ptmx", 0);
		if (symlinkat("pts/ptmx", dev, "ptmx") < 0)
			container_dbg("hyrun-init: symlink /dev/ptmx: %s", strerror(errno));
	}
	close(dev);
}

/* A mount namespace of the child's own. */
static int private_namespace(struct container_error *e)
{
	if (unshare(CLONE_NEWNS | (container_opts->test ? CLONE_NEWUTS : 0)) < 0)
		return container_fail(e, HY_INIT_STATUS_SETUP, errno, "unshare: %s",
				      strerror(errno));
	/* Nothing mounted below may leak back into PID 1's view. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return container_fail(e, HY_INIT_STATUS_SETUP, errno, "making / private: %s",
				      strerror(errno));
	return 0;
}

/* The configuration's mounts, below rootfd. */
static int make_mounts(int rootfd, const struct guest_config *gc, struct container_error *e)
{
	bool dev_mounted = false;

	for (size_t i = 0; i < gc->nr_mounts; i++) {
		if (do_mount(rootfd, &gc->mounts[i], i, e) < 0)
			return -1;
		/* Only into a /dev of the configuration's own: never write
		 * nodes and links into the image on the host. */
		if (strcmp(gc->mounts[i].destination, "/dev") == 0)
			dev_mounted = true;
	}
	if (dev_mounted)
		populate_dev(rootfd);
	return 0;
}

/* --- linux.devices, the cwd ---------------------------------------------------- */

/*
 * linux.devices[idx]: its parent directories made, whatever is at its path
 * replaced (a directory is refused), the node made, then given its owner
 * and fileMode exactly (mknod's mode passes through the umask). The
 * numbers are the guest kernel's: a node of a device only the host has
 * is made all the same, and opening it fails as on a host without it.
 */
static int make_device(int rootfd, const struct gc_device *d, size_t idx, struct container_error *e)
{
	const char *name = strrchr(d->path, '/') + 1;
	mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
	char parent[PATH_MAX];
	struct stat st;
	int dirfd, r = 0;

	snprintf(parent, sizeof(parent), "%.*s", (int)(name - d->path), d->path);
	dirfd = root_make(rootfd, parent, false, 0755);
	if (dirfd < 0)
		return container_fail(e, HY_INIT_STATUS_SETUP, errno,
				      "linux.devices[%zu]: cannot make '%s': %s", idx, parent,
				      strerror(errno));
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		r = -1;
		if (S_ISDIR(st.st_mode))
			errno = EISDIR;
		else
			r = unlinkat(dirfd, name, 0);
	}
	if (!r)
		r = mknodat(dirfd, name, type | (d->mode & 0777), makedev(d->major, d->minor));
	/* The owner first: chown clears the set-user-ID and set-group-ID bits. */
	if (!r && (d->has_uid || d->has_gid))
		r = fchownat(dirfd, name, d->uid, d->gid, AT_SYMLINK_NOFOLLOW);
	if (!r)
		r = fchmodat(dirfd, name, d->mode, 0);
	if (r < 0) {
		int err = errno;

		close(dirfd);
		return container_fail(e, HY_INIT_STATUS_SETUP, err, "linux.devices[%zu] (%s): %s",
				      idx, d->path, strerror(err));
	}
	close(dirfd);
	return 0;
}

/* The cwd, made as root when the image lacks it, as runc does; after the
 * mounts, as it may be in one, and before the root is made read-only. */
static int make_cwd(int rootfd, const struct guest_config *gc, struct container_error *e)
{
	int fd = root_make(rootfd, gc->cwd, false, 0755);

	if (fd < 0)
		return container_fail(e, HY_INIT_STATUS_SETUP, errno,
				      "process.cwd: cannot make '%s': %s", gc->cwd,
				      strerror(errno));
	close(fd);
	return 0;
}

/* --- linux.maskedPaths, linux.readonlyPaths --------------------------------------- */

/* Opens path below rootfd (O_PATH); 1 when there is nothing there, which a
 * masked or read-only path skips, as runc does. */
static int open_listed(int rootfd, const char *what, size_t idx, const char *path, int *fd,
		       struct container_error *e)
{
	*fd = root_open(rootfd, path, O_PATH);
	if (*fd >= 0)
		return 0;
	if (errno == ENOENT || errno == ENOTDIR) {
		container_dbg("hyrun-init: %s[%zu] (%s) skipped: %s", what, idx, path,
			      strerror(errno));
		return 1;
	}
	return container_fail(e, HY_INIT_STATUS_SETUP, errno, "%s[%zu]: '%s': %s", what, idx, path,
			      strerror(errno));
}

/*
 * linux.readonlyPaths[idx]: bound onto itself with every mount below it
 * (/proc/sys's own submounts), then that whole tree made read-only, so that
 * no mount under it stays writable.
 */
static int readonly_path(int rootfd, const char *path, size_t idx, struct container_error *e)
{
	static const char what[] = "linux.readonlyPaths";
	struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
	char fdp[64];
	int fd, r = open_listed(rootfd, what, idx, path, &fd, e);

	if (r)
		return r > 0 ? 0 : -1;
	fd_path(fdp, sizeof(fdp), fd);
	r = mount(fdp, fdp, NULL, MS_BIND | MS_REC, NULL);
	close(fd);
	if (r == 0) {
		/* The new mount on top, not the one it covers. */
		fd = root_open(rootfd, path, O_PATH);
		if (fd < 0)
			r = -1;
		else
			r = mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
					  sizeof(attr));
		if (fd >= 0)
			close(fd);
	}
	if (r < 0)
		return container_fail(e, HY_INIT_STATUS_SETUP, errno,
				      "%s[%zu]: making '%s' read-only: %s", what, idx, path,
				      strerror(errno));
	return 0;
}

/*
 * linux.maskedPaths[idx], as runc masks it: a directory gets an empty
 * read-only tmpfs, anything else (a file, a device node; a symlink is
 * followed, within the root) /dev/null bound over it, which reads as empty
 * and takes every write. nullfd is the guest's /dev/null (O_PATH): the
 * container's /dev may have no such node.
 */
static int mask_path(int rootfd, int nullfd, const char *path, size_t idx,
		     struct container_error *e)
{
	static const char what[] = "linux.maskedPaths";
	char fdp[64], nullp[64];
	struct stat st;
	int fd, r = open_listed(rootfd, what, idx, path, &fd, e);

	if (r)
		return r > 0 ? 0 : -1;
	fd_path(fdp, sizeof(fdp), fd);
	r = fstat(fd, &st);
	if (r == 0 && S_ISDIR(st.st_mode))
		r = mount("tmpfs", fdp, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  NULL);
	else if (r == 0)
		r = mount(fd_path(nullp, sizeof(nullp), nullfd), fdp, NULL, MS_BIND, NULL);
	if (r < 0) {
		int err = errno;

		close(fd);
		return container_fail(e, HY_INIT_STATUS_SETUP, err, "%s[%zu]: masking '%s': %s",
				      what, idx, path, strerror(err));
	}
	close(fd);
	return 0;
}

/* runc's order: the read-only paths, then the masked ones. */
static int protect_paths(int rootfd, const struct guest_config *gc, struct container_error *e)
{
	struct stat st;
	int nullfd;

	for (size_t i = 0; i < gc->nr_readonly_paths; i++)
		if (readonly_path(rootfd, gc->readonly_paths[i], i, e) < 0)
			return -1;
	if (!gc->nr_masked_paths)
		return 0;
	nullfd = open("/dev/null", O_PATH | O_CLOEXEC);
	if (nullfd < 0 || fstat(nullfd, &st) < 0 || !S_ISCHR(st.st_mode) ||
	    st.st_rdev != makedev(1, 3)) {
		int err = nullfd < 0 ? errno : ENODEV;

		if (nullfd >= 0)
			close(nullfd);
		return container_fail(e, HY_INIT_STATUS_SETUP, err,
				      "linux.maskedPaths: the guest's /dev/null: %s",
				      strerror(err));
	}
	for (size_t i = 0; i < gc->nr_masked_paths; i++)
		if (mask_path(rootfd, nullfd, gc->masked_paths[i], i, e) < 0) {
			close(nullfd);
			return -1;
		}
	close(nullfd);
	return 0;
}

/* linux.rootfsPropagation's mount flags, by enum gc_propagation. */
static const unsigned long propagation_flags[] = {
    [GC_PROP_SHARED] = MS_SHARED,
    [GC_PROP_SLAVE] = MS_SLAVE,
    [GC_PROP_PRIVATE] = MS_PRIVATE,
    [GC_PROP_UNBINDABLE] = MS_UNBINDABLE,
    [GC_PROP_RSHARED] = MS_SHARED | MS_REC,
    [GC_PROP_RSLAVE] = MS_SLAVE | MS_REC,
    [GC_PROP_RPRIVATE] = MS_PRIVATE | MS_REC,
    [GC_PROP_RUNBINDABLE] = MS_UNBINDABLE | MS_REC,
};

/*
 * linux.rootfsPropagation on the root mount at rootfd once everything in it
 * is made, as crun applies it (after its pivot_root): a recursive one holds
 * for every mount, whatever their own options asked. Last, since an
 * unbindable root would forbid the read-only paths' binds. Without one the
 * root stays as made, private (the child's namespace was made private
 * first), and each mount keeps what its own options asked for.
 */
static int set_root_propagation(int rootfd, const struct guest_config *gc,
				struct container_error *e)
{
	unsigned prop = gc->root_propagation;
	char fdp[64];

	if (prop == GC_PROP_DEFAULT)
		return 0;
	if (prop >= ARRAY_SIZE(propagation_flags))
		return container_fail(e, HY_INIT_STATUS_SETUP, EINVAL,
				      "linux.rootfsPropagation: unknown value %u", prop);
	if (mount(NULL, fd_path(fdp, sizeof(fdp), rootfd), NULL, propagation_flags[prop], NULL) < 0)
		return container_fail(e, HY_INIT_STATUS_SETUP, errno, "linux.rootfsPropagation: %s",
				      strerror(errno));
	return 0;
}

/*
 * What the root gets below rootfd once its share is mounted: the mounts (and
 * /dev's nodes), linux.devices, the cwd, the read-only and masked paths, in
 * runc's order, then the root's propagation (set_root_propagation() says
 * why it comes last). The root is made read-only once entered.
 */
static int fill_root(int rootfd, const struct guest_config *gc, struct container_error *e)
{
	if (make_mounts(rootfd, gc, e) < 0)
		return -1;
	for (size_t i = 0; i < gc->nr_devices; i++)
		if (make_device(rootfd, &gc->devices[i], i, e) < 0)
			return -1;
	if (make_cwd(rootfd, gc, e) < 0 || protect_paths(rootfd, gc, e) < 0)
		return -1;
	return gc->has_root ? set_root_propagation(rootfd, gc, e) : 0;
}

static int open_dir(const char *path, int *fd, struct container_error *e)
{
	*fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*fd < 0)
		return container_fail(e, HY_INIT_STATUS_SETUP, errno, "open '%s': %s", path,
				      strerror(errno));
	return 0;
}

/* Only the root mount: the mounts on it keep their own flags, as with runc (a
 * tmpfs on /tmp stays writable). */
static int make_root_readonly(struct container_error *e)
{
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
		return container_fail(e, HY_INIT_STATUS_SETUP, errno,
				      "root.readonly: remounting / read-only: %s", strerror(errno));
	return 0;
}

/*
 * The root: the root's share mounted at STAGE_DIR, filled (fill_root())
 * inside it, then moved onto "/" and entered with chroot(), as switch_root
 * does. pivot_root(2) cannot be used: the initramfs is the namespace's root
 * mount (rootfs), which pivot_root refuses to move (EINVAL). Inside the
 * child's own mount namespace the initramfs stays reachable only through
 * PID 1's /proc/1/root, and the VM is the boundary around it all. Without a
 * root the workload stays in the initramfs, which is filled the same way.
 *
 * With root.readonly, everything is made while the root is still writable:
 * the runtime shares it read-write when there is something to make
 * (runtime/plan.h), and the root is made read-only last.
 */
int mounts_build_root(const struct guest_config *gc, struct container_error *e)
{
	char stage[PATH_MAX];
	int rootfd, r;

	if (private_namespace(e) < 0)
		return -1;
	if (!gc->has_root) {
		if (open_dir(gpath(stage, sizeof(stage), "/"), &rootfd, e) < 0)
			return -1;
		r = fill_root(rootfd, gc, e);
		close(rootfd);
		return r;
	}
	gpath(stage, sizeof(stage), STAGE_DIR);
	if (mkdir(stage, 0755) < 0 && errno != EEXIST)
		return container_fail(e, HY_INIT_STATUS_SETUP, errno, "mkdir '%s': %s", stage,
				      strerror(errno));
	if (mount_share(gc->root_share, stage, 0) < 0)
		return container_fail(e, HY_INIT_STATUS_SETUP, errno,
				      "mounting the root (virtio-fs tag '%s'): %s", gc->root_share,
				      strerror(errno));
	if (open_dir(stage, &rootfd, e) < 0)
		return -1;
	r = fill_root(rootfd, gc, e);
	close(rootfd);
	if (r < 0)
		return -1;
	if (chdir(stage) < 0 || mount(stage, "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 ||
	    chdir("/") < 0)
		return container_fail(e, HY_INIT_STATUS_SETUP, errno, "entering the root: %s",
				      strerror(errno));
	return gc->root_readonly ? make_root_readonly(e) : 0;
}
