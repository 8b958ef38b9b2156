/* bundle.c: a container's spec on the host side: root and bind-mount shares, file copies. */
#include "oci/bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/agent_proto.h"
#include "common/strv.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/*
 * The spec --rootfs runs with when no --spec is given: root in the guest
 * with every capability and no seccomp filter (the VM is the isolation
 * boundary; a --spec narrows it), and the mounts of `runc spec`'s default
 * config, with cgroup2 rather than cgroup v1 for /sys/fs/cgroup (made only
 * where the guest kernel has it).
 */
static json_t *default_spec(const char *root)
{
	/* clang-format off */
	return json_pack(
	    "{s:s, s:{s:s, s:b}, s:{s:b, s:{s:i, s:i}, s:[s], s:[s, s], s:s},"
	    " s:["
	    "{s:s, s:s, s:s},"
	    "{s:s, s:s, s:s, s:[s, s, s, s]},"
	    "{s:s, s:s, s:s, s:[s, s, s, s, s, s]},"
	    "{s:s, s:s, s:s, s:[s, s, s, s, s]},"
	    "{s:s, s:s, s:s, s:[s, s, s]},"
	    "{s:s, s:s, s:s, s:[s, s, s, s]},"
	    "{s:s, s:s, s:s, s:[s, s, s, s, s]}"
	    "]}",
	    "ociVersion", "1.0.2",
	    "root", "path", root, "readonly", 0,
	    "process", "terminal", 0, "user", "uid", 0, "gid", 0, "args", "/bin/sh",
	    "env", DEFAULT_PATH, "HOME=/root", "cwd", "/",
	    "mounts",
	    "destination", "/proc", "type", "proc", "source", "proc",
	    "destination", "/dev", "type", "tmpfs", "source", "tmpfs", "options", "nosuid",
	    "strictatime", "mode=755", "size=65536k",
	    "destination", "/dev/pts", "type", "devpts", "source", "devpts", "options", "nosuid",
	    "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5",
	    "destination", "/dev/shm", "type", "tmpfs", "source", "shm", "options", "nosuid",
	    "noexec", "nodev", "mode=1777", "size=65536k",
	    "destination", "/dev/mqueue", "type", "mqueue", "source", "mqueue", "options",
	    "nosuid", "noexec", "nodev",
	    "destination", "/sys", "type", "sysfs", "source", "sysfs", "options", "nosuid",
	    "noexec", "nodev", "ro",
	    "destination", "/sys/fs/cgroup", "type", "cgroup2", "source", "cgroup", "options",
	    "nosuid", "noexec", "nodev", "relatime", "ro");
	/* clang-format on */
}

/* `path` relative to `base` unless absolute, resolved to an existing path. */
static char *resolve(const char *base, const char *path)
{
	char buf[PATH_MAX];

	if (path[0] != '/' && base) {
		if (snprintf(buf, sizeof(buf), "%s/%s", base, path) >= (int)sizeof(buf)) {
			errno = ENAMETOOLONG;
			return NULL;
		}
		path = buf;
	}
	return realpath(path, NULL);
}

static int read_small_file(const char *path, struct oci_file *f, char *err, size_t errlen,
			   const char *what)
{
	struct stat st;
	size_t done = 0;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: cannot read '%s': %s", what, path, strerror(errno));
		goto out;
	}
	if (st.st_size > OCI_BUNDLE_FILE_MAX) {
		r = -EFBIG;
		snprintf(err, errlen, "%s: '%s' is larger than %u MiB, too large to copy", what,
			 path, OCI_BUNDLE_FILE_MAX >> 20);
		goto out;
	}
	f->data = malloc((size_t)st.st_size + 1);
	if (!f->data) {
		r = -ENOMEM;
		snprintf(err, errlen, "%s: out of memory", what);
		goto out;
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, (char *)f->data + done, (size_t)st.st_size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	f->len = done;
	f->mode = st.st_mode & 07777;
out:
	if (fd >= 0)
		close(fd);
	return r;
}

/* Bind mounts of host paths: a directory becomes a share of its own, a
 * regular file a copy in the per-VM archive. */
static int plan_mounts(struct oci_bundle *b, const char *base, char *err, size_t errlen)
{
	struct oci_spec *s = &b->spec;
	char what[64];
	int r;

	for (size_t i = 0; i < s->nr_mounts; i++) {
		const struct oci_mount *m = &s->mounts[i];
		struct stat st;
		char *host;

		if (!m->bind)
			continue;
		snprintf(what, sizeof(what), "mounts[%zu].source", i);
		host = resolve(base, m->source);
		if (!host || stat(host, &st) < 0) {
			r = -errno;
			snprintf(err, errlen, "%s: '%s': %s", what, m->source, strerror(errno));
			free(host);
			return r;
		}
		if (S_ISDIR(st.st_mode)) {
			struct oci_share *sh = &b->shares[b->nr_shares++];

			snprintf(sh->tag, sizeof(sh->tag), "m%zu", i);
			sh->host_dir = host;
			sh->readonly = hy_strv_contains(m->options, m->nr_options, "ro") ||
				       hy_strv_contains(m->options, m->nr_options, "rro");
			r = oci_spec_set_mount_extra(s, i, OCI_HYRUN_SHARE, sh->tag);
		} else if (S_ISREG(st.st_mode)) {
			struct oci_file *f = &b->files[b->nr_files++];

			snprintf(f->guest_path, sizeof(f->guest_path), HY_INIT_FILES "/%zu", i);
			r = read_small_file(host, f, err, errlen, what);
			free(host);
			if (r)
				return r;
			r = oci_spec_set_mount_extra(s, i, OCI_HYRUN_FILE, f->guest_path);
		} else {
			snprintf(err, errlen,
				 "%s: '%s' is neither a directory nor a regular file; only those "
				 "can be bind-mounted into the VM",
				 what, m->source);
			free(host);
			return -EINVAL;
		}
		if (r) {
			snprintf(err, errlen, "out of memory");
			return r;
		}
	}
	return 0;
}

int oci_bundle_load(struct oci_bundle *b, const char *spec_path, const char *rootfs_dir,
		    char *const *argv, char *err, size_t errlen)
{
	char msg[768], *base = NULL, *root = NULL;
	const char *where = spec_path ? spec_path : "--rootfs";
	struct stat st;
	int r;

	memset(b, 0, sizeof(*b));
	if (!spec_path && !rootfs_dir) {
		snprintf(err, errlen, "neither a spec nor a root directory");
		return -EINVAL;
	}
	if (spec_path) {
		r = oci_spec_load(&b->spec, spec_path, argv ? OCI_SPEC_ARGS_OPTIONAL : 0, err,
				  errlen);
		if (r)
			return r;
		/* The bundle directory: what root.path is relative to. */
		base = strdup(strrchr(spec_path, '/') ? spec_path : "./");
		if (!base) {
			r = -ENOMEM;
			goto nomem;
		}
		*strrchr(base, '/') = '\0';
		if (!base[0])
			strcpy(base, "/");
	} else {
		json_t *def = default_spec(rootfs_dir);

		if (!def) {
			r = -ENOMEM;
			goto nomem;
		}
		r = oci_spec_from_json(&b->spec, def, 0, msg, sizeof(msg));
		if (r) {
			snprintf(err, errlen, "the default spec: %s", msg);
			return r;
		}
	}
	if (argv && (r = oci_spec_set_args(&b->spec, argv))) {
		snprintf(err, errlen, "the command: %s",
			 r == -EINVAL ? "not valid UTF-8" : "out of memory");
		goto fail;
	}
	if (!b->spec.has_process) {
		snprintf(err, errlen, "%s: process: required (or a command after --)", where);
		r = -EINVAL;
		goto fail;
	}
	if (!rootfs_dir && !b->spec.root_path) {
		snprintf(err, errlen, "%s: root.path: required", where);
		r = -EINVAL;
		goto fail;
	}
	root = resolve(rootfs_dir ? NULL : base, rootfs_dir ? rootfs_dir : b->spec.root_path);
	if (!root || stat(root, &st) < 0 || !S_ISDIR(st.st_mode)) {
		r = root ? -ENOTDIR : -errno;
		snprintf(err, errlen, "%s: the root '%s': %s", rootfs_dir ? "--rootfs" : spec_path,
			 rootfs_dir ? rootfs_dir : b->spec.root_path, strerror(-r));
		goto fail;
	}
	if (!json_object_get(b->spec.json, "root")) {
		json_t *obj = json_pack("{s:s}", "path", root);

		if (!obj || json_object_set_new(b->spec.json, "root", obj)) {
			r = -ENOMEM;
			goto nomem;
		}
	}
	b->shares = calloc(b->spec.nr_mounts + 1, sizeof(*b->shares));
	b->files = calloc(b->spec.nr_mounts + 1, sizeof(*b->files));
	if (!b->shares || !b->files) {
		r = -ENOMEM;
		goto nomem;
	}
	snprintf(b->shares[0].tag, sizeof(b->shares[0].tag), "%s", HY_SHARE_ROOTFS);
	b->shares[0].host_dir = root;
	root = NULL;
	b->shares[0].readonly = b->spec.root_readonly;
	b->nr_shares = 1;
	if (oci_spec_set_root_extra(&b->spec, OCI_HYRUN_SHARE, HY_SHARE_ROOTFS)) {
		r = -ENOMEM;
		goto nomem;
	}
	r = plan_mounts(b, base, msg, sizeof(msg));
	if (r) {
		snprintf(err, errlen, "%s: %s", where, msg);
		goto fail;
	}
	free(base);
	return 0;

nomem:
	snprintf(err, errlen, "out of memory");
fail:
	free(base);
	free(root);
	oci_bundle_free(b);
	return r;
}

void oci_bundle_free(struct oci_bundle *b)
{
	for (size_t i = 0; b->shares && i < b->nr_shares; i++)
		free(b->shares[i].host_dir);
	free(b->shares);
	for (size_t i = 0; b->files && i < b->nr_files; i++)
		free(b->files[i].data);
	free(b->files);
	oci_spec_free(&b->spec);
	memset(b, 0, sizeof(*b));
}

char *oci_bundle_guest_config(const struct oci_bundle *b)
{
	return oci_spec_dump(&b->spec);
}
