/* sizing.c: VM size from the spec, and the kernel, initramfs and VMM to use. */
#include "runtime/sizing.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/plan.h"
#include "runtime/defaults.h"
#include "runtime/runtime.h"

const char *sizing_annotation(const struct oci_spec *spec, const char *key)
{
	for (size_t i = 0; i < spec->nr_annotations; i++)
		if (strcmp(spec->annotations[i].key, key) == 0)
			return spec->annotations[i].value;
	return NULL;
}

static int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned *out)
{
	unsigned long v;
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

static unsigned vcpus_from_resources(const struct oci_resources *res)
{
	unsigned n = 0;

	if (res->cpu_quota > 0) {
		uint64_t period = res->cpu_period ? res->cpu_period : 100000;
		uint64_t q = ((uint64_t)res->cpu_quota + period - 1) / period;

		n = q > PLAN_MAX_VCPUS ? PLAN_MAX_VCPUS : (unsigned)q;
	}
	if (res->cpus) {
		int c = oci_cpuset_count(res->cpus);

		if (c > 0 && (!n || (unsigned)c < n))
			n = (unsigned)c;
	}
	if (n > PLAN_MAX_VCPUS)
		n = PLAN_MAX_VCPUS;
	return n ? n : HY_VCPUS_DEFAULT;
}

int sizing_compute(const struct oci_spec *spec, const struct oci_linux *l, struct vm_size *out,
		   char *err, size_t errlen)
{
	const char *a_cpus = sizing_annotation(spec, HY_ANNOTATION_VCPUS);
	const char *a_mem = sizing_annotation(spec, HY_ANNOTATION_MEMORY);
	int64_t limit = l->res.memory_limit;
	const uint64_t mib = 1ULL << 20;

	if (a_cpus) {
		if (parse_uint(a_cpus, 1, PLAN_MAX_VCPUS, &out->vcpus))
			return hy_err(err, errlen, -EINVAL,
				      "annotations." HY_ANNOTATION_VCPUS
				      ": \"%s\" is not a number from 1 to %d",
				      a_cpus, PLAN_MAX_VCPUS);
	} else {
		out->vcpus = vcpus_from_resources(&l->res);
	}

	if (limit > 0 && (uint64_t)limit < (uint64_t)(HY_MEM_MIN_MIB + HY_MEM_OVERHEAD_MIB) * mib)
		return hy_err(
		    err, errlen, -EINVAL,
		    "linux.resources.memory.limit: %lld bytes is too small for a microVM: "
		    "it needs at least %d MiB (%d MiB of guest RAM and %d MiB for hyrun-vmm)",
		    (long long)limit, HY_MEM_MIN_MIB + HY_MEM_OVERHEAD_MIB, HY_MEM_MIN_MIB,
		    HY_MEM_OVERHEAD_MIB);
	if (a_mem) {
		if (parse_uint(a_mem, HY_MEM_MIN_MIB, HY_MEM_MAX_MIB, &out->mem_mib))
			return hy_err(err, errlen, -EINVAL,
				      "annotations." HY_ANNOTATION_MEMORY
				      ": \"%s\" is not a number of MiB from %d to %d",
				      a_mem, HY_MEM_MIN_MIB, HY_MEM_MAX_MIB);
		if (limit > 0 &&
		    ((uint64_t)out->mem_mib + HY_MEM_OVERHEAD_MIB) * mib > (uint64_t)limit)
			return hy_err(
			    err, errlen, -EINVAL,
			    "annotations." HY_ANNOTATION_MEMORY
			    ": %u MiB of guest RAM and %d MiB for hyrun-vmm do not fit in "
			    "linux.resources.memory.limit (%llu MiB)",
			    out->mem_mib, HY_MEM_OVERHEAD_MIB,
			    (unsigned long long)((uint64_t)limit / mib));
	} else if (limit > 0) {
		uint64_t m = (uint64_t)limit / mib - HY_MEM_OVERHEAD_MIB;

		out->mem_mib = m > HY_MEM_MAX_MIB ? HY_MEM_MAX_MIB : (unsigned)m;
	} else {
		out->mem_mib = HY_MEM_DEFAULT_MIB;
	}
	return 0;
}

static int check_file(const char *path, bool exec, const char *what, const char *from, char *err,
		      size_t errlen, char **out)
{
	struct stat st;

	if (path[0] != '/')
		return hy_err(err, errlen, -EINVAL, "%s '%s' (%s): must be an absolute path", what,
			      path, from);
	if (stat(path, &st) < 0)
		return hy_err(err, errlen, -errno, "%s '%s' (%s): %s", what, path, from,
			      strerror(errno));
	if (!S_ISREG(st.st_mode))
		return hy_err(err, errlen, -EINVAL, "%s '%s' (%s): not a regular file", what, path,
			      from);
	if (access(path, exec ? X_OK : R_OK) < 0)
		return hy_err(err, errlen, -errno, "%s '%s' (%s): %s", what, path, from,
			      strerror(errno));
	*out = strdup(path);
	if (!*out)
		return hy_err(err, errlen, -ENOMEM, "out of memory");
	return 0;
}

static int pick(const char *self_dir, const char *env_value, const char *env_name,
		const char *const *names, size_t nr_names, bool exec, const char *what, char *err,
		size_t errlen, char **out)
{
	char path[PATH_MAX], from[64];

	if (env_value && env_value[0]) {
		snprintf(from, sizeof(from), "from $%s", env_name);
		return check_file(env_value, exec, what, from, err, errlen, out);
	}
	for (size_t i = 0; i < nr_names; i++) {
		snprintf(path, sizeof(path), "%s/%s", self_dir, names[i]);
		if (i + 1 < nr_names && access(path, F_OK) < 0)
			continue;
		snprintf(from, sizeof(from), "next to hyrun; $%s overrides", env_name);
		return check_file(path, exec, what, from, err, errlen, out);
	}
	return hy_err(err, errlen, -EINVAL, "no %s", what);
}

/* Whether the real path `real` lies below directory `dir` (resolved here). */
static bool below(const char *real, const char *dir, size_t dir_len)
{
	char d[PATH_MAX], rd[PATH_MAX];
	size_t n;

	if (dir_len == 0 || dir_len >= sizeof(d) || dir[0] != '/')
		return false;
	memcpy(d, dir, dir_len);
	d[dir_len] = '\0';
	if (!realpath(d, rd))
		return false;
	n = strlen(rd);
	if (n == 1)
		return true; /* "/" */
	return strncmp(real, rd, n) == 0 && real[n] == '/';
}

/* The annotation's kernel must lie in a kernel directory (sizing.h). */
static int check_kernel_dir(const char *kernel, const char *self_dir, const char *env_kernel,
			    const char *env_dirs, char *err, size_t errlen)
{
	char real[PATH_MAX], dirs[2 * PATH_MAX + 8];
	const char *p, *end;

	if (!realpath(kernel, real))
		return hy_err(err, errlen, -errno, "kernel '%s' (annotation %s): %s", kernel,
			      HY_ANNOTATION_KERNEL, strerror(errno));
	if (env_dirs && env_dirs[0]) {
		snprintf(dirs, sizeof(dirs), "%s", env_dirs);
	} else {
		const char *slash = env_kernel && env_kernel[0] ? strrchr(env_kernel, '/') : NULL;

		snprintf(dirs, sizeof(dirs), "%s/guest%s%.*s", self_dir, slash ? ":" : "",
			 slash ? (int)(slash - env_kernel) : 0, slash ? env_kernel : "");
	}
	for (p = dirs; *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, ':');
		if (below(real, p, (size_t)(end - p)))
			return 0;
	}
	return hy_err(err, errlen, -EPERM,
		      "kernel '%s' (annotation %s): not in a kernel directory this host allows "
		      "(%s; the host's administrator sets them in $%s)",
		      kernel, HY_ANNOTATION_KERNEL, dirs, HY_ENV_KERNEL_DIRS);
}

int vm_files_resolve(struct vm_files *f, const char *self_dir, const char *env_vmm,
		     const char *env_kernel, const char *env_initrd, const char *env_kernel_dirs,
		     const char *kernel_annotation, char *err, size_t errlen)
{
	static const char *const vmm_names[] = {HY_VMM_NAME};
	static const char *const kernel_names[] = HY_KERNEL_NAMES;
	static const char *const initrd_names[] = {HY_INITRD_NAME};
	int r;

	memset(f, 0, sizeof(*f));
	r = pick(self_dir, env_vmm, HY_ENV_VMM, vmm_names, 1, true, "hyrun-vmm", err, errlen,
		 &f->vmm);
	if (!r && kernel_annotation) {
		r = check_file(kernel_annotation, false, "kernel",
			       "annotation " HY_ANNOTATION_KERNEL, err, errlen, &f->kernel);
		if (!r)
			r = check_kernel_dir(kernel_annotation, self_dir, env_kernel,
					     env_kernel_dirs, err, errlen);
	} else if (!r)
		r = pick(self_dir, env_kernel, HY_ENV_KERNEL, kernel_names, 2, false, "kernel", err,
			 errlen, &f->kernel);
	if (!r)
		r = pick(self_dir, env_initrd, HY_ENV_INITRD, initrd_names, 1, false, "initramfs",
			 err, errlen, &f->initrd);
	if (r)
		vm_files_free(f);
	return r;
}

void vm_files_free(struct vm_files *f)
{
	free(f->vmm);
	free(f->kernel);
	free(f->initrd);
	memset(f, 0, sizeof(*f));
}
