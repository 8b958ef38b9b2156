/* vmconfig.h: what hyrun-vmm sees inside its jail.
 *
 * The VMM's private root holds only binds: the kernel at /kernel, the
 * initramfs at /initrd, the container's rootfs at /rootfs, the config.json it
 * reads at /config.json, and the source of every bind mount of the spec at
 * /.hyrun-binds/<index of the mount>, and /proc (hyrun-vmm's virtio-fs server
 * reopens its O_PATH handles through /proc/self/fd). The config.json it gets is the
 * bundle's, rewritten for those paths: root.path is "/rootfs" and each bind
 * mount's source its /.hyrun-binds path; everything else is as given.
 */
#ifndef HYRUN_RUNTIME_VMCONFIG_H
#define HYRUN_RUNTIME_VMCONFIG_H

#include <stddef.h>

#include <jansson.h>

#include "oci/spec.h"
#include "runtime/jail.h"
#include "runtime/sizing.h"

struct vm_plan {
	json_t *config; /* the rewritten config.json, owned */
	char *rootfs;	/* the container's rootfs on the host, resolved */
	struct jail_bind *binds;
	size_t nr_binds;
	char **owned; /* strings the binds point to */
	size_t nr_owned;
};

/*
 * bundle: the absolute bundle directory (relative root.path and bind sources
 * are taken from it); config_path: where the rewritten config.json will be
 * written on the host. Every source must exist, and a bind source must be a
 * directory or a regular file. Errors name the member.
 */
int vm_plan_make(struct vm_plan *p, const struct oci_spec *spec, const char *bundle,
		 const struct vm_files *files, const char *config_path, char *err, size_t errlen);
void vm_plan_free(struct vm_plan *p);

#endif
