/* vmconfig.c: the jail's binds and the config.json rewritten for the jail's paths. */
#include "runtime/vmconfig.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "runtime/defaults.h"
#include "runtime/runtime.h"

static const char *own(struct vm_plan *p, char *s)
{
	if (!s)
		return NULL;
	p->owned[p->nr_owned++] = s;
	return s;
}

static void add_bind(struct vm_plan *p, const char *source, const char *target, bool readonly)
{
	p->binds[p->nr_binds++] = (struct jail_bind){source, target, readonly};
}

/* `path` relative to `base` unless absolute, resolved; NULL with errno set. */
static char *resolve(const char *base, const char *path)
{
	char buf[PATH_MAX];

	if (path[0] != '/') {
		if (snprintf(buf, sizeof(buf), "%s/%s", base, path) >= (int)sizeof(buf)) {
			errno = ENAMETOOLONG;
			return NULL;
		}
		path = buf;
	}
	return realpath(path, NULL);
}

static bool has_option(const struct oci_mount *m, const char *opt)
{
	for (size_t i = 0; i < m->nr_options; i++)
		if (strcmp(m->options[i], opt) == 0)
			return true;
	return false;
}

int vm_plan_make(struct vm_plan *p, const struct oci_spec *spec, const char *bundle,
		 const struct vm_files *files, const char *config_path, char *err, size_t errlen)
{
	json_t *root, *mounts;
	struct stat st;
	size_t max = spec->nr_mounts + 5;

	memset(p, 0, sizeof(*p));
	p->binds = calloc(max, sizeof(*p->binds));
	p->owned = calloc(max + 1, sizeof(*p->owned));
	p->config = json_deep_copy(spec->json);
	if (!p->binds || !p->owned || !p->config)
		goto nomem;

	if (!spec->root_path) {
		errf(err, errlen, "root.path: required");
		goto fail;
	}
	p->rootfs = resolve(bundle, spec->root_path);
	if (!p->rootfs || stat(p->rootfs, &st) < 0 || !S_ISDIR(st.st_mode)) {
		errf(err, errlen, "root.path: '%s': %s", spec->root_path,
		     p->rootfs ? "not a directory" : strerror(errno));
		goto fail;
	}
	add_bind(p, files->kernel, HY_JAIL_KERNEL, true);
	add_bind(p, files->initrd, HY_JAIL_INITRD, true);
	add_bind(p, p->rootfs, HY_JAIL_ROOTFS, spec->root_readonly);
	add_bind(p, config_path, HY_JAIL_CONFIG, true);
	/* The virtio-fs server reopens its O_PATH handles through /proc/self/fd. */
	add_bind(p, "/proc", "/proc", true);
	root = json_object_get(p->config, "root");
	if (json_object_set_new(root, "path", json_string(HY_JAIL_ROOTFS)))
		goto nomem;

	mounts = json_object_get(p->config, "mounts");
	for (size_t i = 0; i < spec->nr_mounts; i++) {
		const struct oci_mount *m = &spec->mounts[i];
		const char *src, *target;
		char *t;

		if (!m->bind)
			continue;
		src = own(p, resolve(bundle, m->source));
		if (!src || stat(src, &st) < 0) {
			errf(err, errlen, "mounts[%zu].source: '%s': %s", i, m->source,
			     strerror(errno));
			goto fail;
		}
		if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
			errf(err, errlen,
			     "mounts[%zu].source: '%s' is neither a directory nor a regular file; "
			     "only those can be bind-mounted into the VM",
			     i, m->source);
			goto fail;
		}
		if (asprintf(&t, HY_JAIL_BINDS "/%zu", i) < 0)
			goto nomem;
		target = own(p, t);
		add_bind(p, src, target, has_option(m, "ro") || has_option(m, "rro"));
		if (json_object_set_new(json_array_get(mounts, i), "source", json_string(target)))
			goto nomem;
	}
	return 0;
nomem:
	errf(err, errlen, "out of memory");
fail:
	vm_plan_free(p);
	return -EINVAL;
}

void vm_plan_free(struct vm_plan *p)
{
	for (size_t i = 0; p->owned && i < p->nr_owned; i++)
		free(p->owned[i]);
	free(p->owned);
	free(p->binds);
	free(p->rootfs);
	json_decref(p->config);
	memset(p, 0, sizeof(*p));
}
