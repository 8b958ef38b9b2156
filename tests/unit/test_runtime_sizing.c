/* test_runtime_sizing.c: VM size from the spec and annotations; kernel, initramfs, VMM lookup. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci/linux.h"
#include "oci/spec.h"
#include "runtime/defaults.h"
#include "runtime/sizing.h"

static struct oci_spec spec;
static struct oci_linux l;
static char err[512];

static int size_of(const char *linux_json, const char *annotations, struct vm_size *out)
{
	char text[2048];

	snprintf(text, sizeof(text),
		 "{\"ociVersion\": \"1.0.2\", \"process\": {\"args\": [\"/bin/true\"]},"
		 " \"linux\": %s, \"annotations\": %s}",
		 linux_json, annotations);
	oci_linux_free(&l);
	oci_spec_free(&spec);
	cr_assert_eq(oci_spec_parse(&spec, text, strlen(text), 0, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(oci_linux_parse(&l, spec.json, err, sizeof(err)), 0, "%s", err);
	return sizing_compute(&spec, &l, out, err, sizeof(err));
}

static void cleanup(void)
{
	oci_linux_free(&l);
	oci_spec_free(&spec);
}

TestSuite(runtime_sizing, .fini = cleanup);

Test(runtime_sizing, defaults)
{
	struct vm_size s;

	cr_assert_eq(size_of("{}", "{}", &s), 0, "%s", err);
	cr_assert_eq(s.vcpus, HY_VCPUS_DEFAULT);
	cr_assert_eq(s.mem_mib, HY_MEM_DEFAULT_MIB);
}

Test(runtime_sizing, from_resources)
{
	struct vm_size s;

	cr_assert_eq(size_of("{\"resources\": {\"memory\": {\"limit\": 536870912}, \"cpu\": "
			     "{\"quota\": 150000, \"period\": 100000}}}",
			     "{}", &s),
		     0, "%s", err);
	cr_assert_eq(s.mem_mib, 512 - HY_MEM_OVERHEAD_MIB);
	cr_assert_eq(s.vcpus, 2, "1.5 CPUs of quota: 2 vCPUs");
	cr_assert_eq(size_of("{\"resources\": {\"cpu\": {\"quota\": 300000}}}", "{}", &s), 0);
	cr_assert_eq(s.vcpus, 3, "default period 100 ms");
	cr_assert_eq(size_of("{\"resources\": {\"cpu\": {\"cpus\": \"0-3\"}}}", "{}", &s), 0);
	cr_assert_eq(s.vcpus, 4);
	cr_assert_eq(
	    size_of("{\"resources\": {\"cpu\": {\"cpus\": \"0-3\", \"quota\": 100000}}}", "{}", &s),
	    0);
	cr_assert_eq(s.vcpus, 1, "the smaller of quota and cpuset");
	cr_assert_eq(size_of("{\"resources\": {\"cpu\": {\"quota\": 100000000, \"period\": 1000}}}",
			     "{}", &s),
		     0);
	cr_assert_eq(s.vcpus, 32, "capped at the VMM's maximum");
}

Test(runtime_sizing, annotations_win)
{
	struct vm_size s;

	cr_assert_eq(size_of("{\"resources\": {\"memory\": {\"limit\": 1073741824}, \"cpu\": "
			     "{\"quota\": 400000}}}",
			     "{\"io.hyrun.vcpus\": \"2\", \"io.hyrun.memory_mib\": \"300\"}", &s),
		     0, "%s", err);
	cr_assert_eq(s.vcpus, 2);
	cr_assert_eq(s.mem_mib, 300);
}

Test(runtime_sizing, errors)
{
	struct vm_size s;

	cr_assert_eq(size_of("{\"resources\": {\"memory\": {\"limit\": 67108864}}}", "{}", &s),
		     -EINVAL);
	cr_assert_str_eq(err, "linux.resources.memory.limit: 67108864 bytes is too small for a "
			      "microVM: it needs at least 128 MiB (64 MiB of guest RAM and 64 MiB "
			      "for hyrun-vmm)");
	cr_assert_eq(size_of("{}", "{\"io.hyrun.vcpus\": \"0\"}", &s), -EINVAL);
	cr_assert_str_eq(err, "annotations.io.hyrun.vcpus: \"0\" is not a number from 1 to 32");
	cr_assert_eq(size_of("{}", "{\"io.hyrun.vcpus\": \"2x\"}", &s), -EINVAL);
	cr_assert_eq(size_of("{}", "{\"io.hyrun.memory_mib\": \"16\"}", &s), -EINVAL);
	cr_assert(strstr(err, "annotations.io.hyrun.memory_mib"), "%s", err);
	cr_assert_eq(size_of("{\"resources\": {\"memory\": {\"limit\": 268435456}}}",
			     "{\"io.hyrun.memory_mib\": \"256\"}", &s),
		     -EINVAL);
	cr_assert_str_eq(err, "annotations.io.hyrun.memory_mib: 256 MiB of guest RAM and 64 MiB "
			      "for hyrun-vmm do not fit in linux.resources.memory.limit (256 MiB)");
}

static char dir[64];

static void touch(const char *name, mode_t mode)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	close(fd);
}

static void make_dir(void)
{
	char path[128];

	strcpy(dir, "/tmp/hyrun-ut-files.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/guest", dir);
	cr_assert_eq(mkdir(path, 0755), 0);
	touch("hyrun-vmm", 0755);
	touch("guest/vmlinuz", 0644);
	touch("guest/initramfs.cpio", 0644);
}

static void remove_dir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

Test(runtime_sizing, files_next_to_hyrun, .init = make_dir, .fini = remove_dir)
{
	struct vm_files f;
	char want[256];

	cr_assert_eq(vm_files_resolve(&f, dir, NULL, NULL, "", NULL, NULL, err, sizeof(err)), 0,
		     "%s", err);
	snprintf(want, sizeof(want), "%s/guest/vmlinuz", dir);
	cr_assert_str_eq(f.kernel, want, "vmlinuz when there is no vmlinux");
	vm_files_free(&f);
	touch("guest/vmlinux", 0644);
	cr_assert_eq(vm_files_resolve(&f, dir, NULL, NULL, NULL, NULL, NULL, err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s/guest/vmlinux", dir);
	cr_assert_str_eq(f.kernel, want, "the minimal vmlinux first");
	snprintf(want, sizeof(want), "%s/hyrun-vmm", dir);
	cr_assert_str_eq(f.vmm, want);
	snprintf(want, sizeof(want), "%s/guest/initramfs.cpio", dir);
	cr_assert_str_eq(f.initrd, want);
	vm_files_free(&f);
}

Test(runtime_sizing, files_overridden, .init = make_dir, .fini = remove_dir)
{
	struct vm_files f;
	char env_kernel[256], ann[256];

	snprintf(env_kernel, sizeof(env_kernel), "%s/guest/initramfs.cpio", dir);
	cr_assert_eq(
	    vm_files_resolve(&f, dir, NULL, env_kernel, NULL, NULL, NULL, err, sizeof(err)), 0);
	cr_assert_str_eq(f.kernel, env_kernel);
	vm_files_free(&f);

	snprintf(ann, sizeof(ann), "%s/guest/initramfs.cpio", dir);
	cr_assert_eq(vm_files_resolve(&f, dir, NULL, "/nope", NULL, NULL, ann, err, sizeof(err)), 0,
		     "the annotation wins over the environment: %s", err);
	cr_assert_str_eq(f.kernel, ann);
	vm_files_free(&f);
}

/* The annotation picks a kernel only in the kernel directories the host allows. */
Test(runtime_sizing, annotation_kernel_allowlist, .init = make_dir, .fini = remove_dir)
{
	struct vm_files f;
	char ann[256], link[256], dirs[256], env_kernel[256];

	/* hyrun's own directory (not its guest/) is not a kernel directory. */
	snprintf(ann, sizeof(ann), "%s/hyrun-vmm", dir);
	cr_assert_eq(vm_files_resolve(&f, dir, NULL, NULL, NULL, NULL, ann, err, sizeof(err)),
		     -EPERM);
	cr_assert(strstr(err, "not in a kernel directory"), "%s", err);
	cr_assert(strstr(err, "/guest"), "names the directories: %s", err);
	cr_assert(strstr(err, "HYRUN_KERNEL_DIRS"), "%s", err);
	cr_assert_null(f.vmm, "nothing left allocated");
	/* A symlink in guest/ to a file outside is judged by where it leads. */
	snprintf(link, sizeof(link), "%s/guest/escape", dir);
	cr_assert_eq(symlink(ann, link), 0);
	cr_assert_eq(vm_files_resolve(&f, dir, NULL, NULL, NULL, NULL, link, err, sizeof(err)),
		     -EPERM, "%s", err);
	/* A prefix of a directory's name is not that directory. */
	touch("guest2", 0644);
	snprintf(ann, sizeof(ann), "%s/guest2", dir);
	cr_assert_eq(vm_files_resolve(&f, dir, NULL, NULL, NULL, NULL, ann, err, sizeof(err)),
		     -EPERM);
	/* $HYRUN_KERNEL's directory is one too... */
	snprintf(env_kernel, sizeof(env_kernel), "%s/guest2", dir);
	snprintf(ann, sizeof(ann), "%s/hyrun-vmm", dir);
	cr_assert_eq(vm_files_resolve(&f, dir, NULL, env_kernel, NULL, NULL, ann, err, sizeof(err)),
		     0, "%s", err);
	vm_files_free(&f);
	/* ... and $HYRUN_KERNEL_DIRS replaces them all. */
	snprintf(dirs, sizeof(dirs), "/nonexistent:%s", dir);
	cr_assert_eq(vm_files_resolve(&f, dir, NULL, NULL, NULL, dirs, ann, err, sizeof(err)), 0,
		     "%s", err);
	vm_files_free(&f);
	snprintf(ann, sizeof(ann), "%s/guest/vmlinuz", dir);
	cr_assert_eq(
	    vm_files_resolve(&f, dir, NULL, NULL, NULL, "/nonexistent", ann, err, sizeof(err)),
	    -EPERM);
	cr_assert(strstr(err, "(/nonexistent;"), "%s", err);
}

Test(runtime_sizing, files_missing, .init = make_dir, .fini = remove_dir)
{
	struct vm_files f;
	char path[256];

	cr_assert_eq(
	    vm_files_resolve(&f, dir, NULL, "/no/such/kernel", NULL, NULL, NULL, err, sizeof(err)),
	    -ENOENT);
	cr_assert_str_eq(err, "kernel '/no/such/kernel' (from $HYRUN_KERNEL): No such file or "
			      "directory");
	cr_assert_null(f.vmm, "nothing left allocated");
	cr_assert_eq(vm_files_resolve(&f, dir, NULL, NULL, NULL, NULL, "/no/k", err, sizeof(err)),
		     -ENOENT);
	cr_assert_str_eq(err, "kernel '/no/k' (annotation io.hyrun.kernel): No such file or "
			      "directory");
	cr_assert_eq(vm_files_resolve(&f, dir, NULL, NULL, NULL, NULL, "rel/k", err, sizeof(err)),
		     -EINVAL);
	cr_assert(strstr(err, "must be an absolute path"), "%s", err);
	cr_assert_eq(vm_files_resolve(&f, dir, dir, NULL, NULL, NULL, NULL, err, sizeof(err)),
		     -EINVAL);
	cr_assert(strstr(err, "not a regular file"), "%s", err);
	snprintf(path, sizeof(path), "%s/hyrun-vmm", dir);
	cr_assert_eq(chmod(path, 0644), 0);
	if (geteuid() != 0) {
		cr_assert_eq(
		    vm_files_resolve(&f, dir, NULL, NULL, NULL, NULL, NULL, err, sizeof(err)),
		    -EACCES);
		cr_assert(strstr(err, "Permission denied"), "%s", err);
	}
	cr_assert_eq(unlink(path), 0);
	cr_assert_eq(vm_files_resolve(&f, dir, NULL, NULL, NULL, NULL, NULL, err, sizeof(err)),
		     -ENOENT);
	cr_assert(strstr(err, "hyrun-vmm '") && strstr(err, "next to hyrun; $HYRUN_VMM overrides"),
		  "%s", err);
}
