/* sizing.h: a container's VM: vCPUs, guest RAM and the files hyrun-vmm boots.
 *
 * The rules and defaults are documented in runtime/defaults.h.
 */
#ifndef HYRUN_RUNTIME_SIZING_H
#define HYRUN_RUNTIME_SIZING_H

#include <stddef.h>

#include "oci/linux.h"
#include "oci/spec.h"

struct vm_size {
	unsigned vcpus;
	unsigned mem_mib;
};

/* The value of annotation `key`, NULL when absent. */
const char *sizing_annotation(const struct oci_spec *spec, const char *key);

/* vCPUs and RAM from the annotations and linux.resources; errors name the
 * annotation or member. */
int sizing_compute(const struct oci_spec *spec, const struct oci_linux *l, struct vm_size *out,
		   char *err, size_t errlen);

struct vm_files {
	char *vmm, *kernel, *initrd; /* absolute host paths */
};

/*
 * Pick the files: the annotation io.hyrun.kernel (kernel_annotation), else
 * the environment (env_*; NULL when unset), else next to hyrun (self_dir).
 * Each must exist: the VMM as an executable, the others readable. Errors
 * name the file and where its path came from.
 *
 * Whoever writes a spec's annotations (a Kubernetes pod's author, through
 * the CRI) must not pick the guest kernel from any file the host can read
 * (one shipped in an image layer, say): the annotation's kernel, symlinks
 * resolved, must lie in one of the kernel directories. Those are the host
 * administrator's, from the environment the engine gives hyrun:
 * env_kernel_dirs ($HYRUN_KERNEL_DIRS, absolute directories separated by
 * ':') when set; otherwise hyrun's own kernels' directory (self_dir/guest)
 * and that of $HYRUN_KERNEL when it is set. -EPERM, naming them, otherwise.
 */
int vm_files_resolve(struct vm_files *f, const char *self_dir, const char *env_vmm,
		     const char *env_kernel, const char *env_initrd, const char *env_kernel_dirs,
		     const char *kernel_annotation, char *err, size_t errlen);
void vm_files_free(struct vm_files *f);

#endif
