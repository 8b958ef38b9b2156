/* plan.h: a container's VM, planned from its spec: the VMM's jail, its options and the guest
 * configuration.
 *
 * The runtime is the only part that reads config.json. From the parsed spec
 * and the bundle it decides, once:
 *   - the shares: HY_SHARE_ROOTFS for the root, "m<i>" for mounts[i] when it
 *     bind-mounts a host directory (read-only when its options hold "ro" or
 *     "rro"). With root.readonly the root's share is read-only too, unless
 *     hyrun-init must first make something in it (a mount point or the cwd
 *     the image lacks, a device node outside any mount): then it is shared
 *     read-write and hyrun-init makes the root read-only once that is done,
 *     as runc remounts the rootfs read-only after making its mount points;
 *   - the file copies: "<i>" for mounts[i] when it bind-mounts a host
 *     regular file (at most PLAN_FILE_MAX bytes);
 *   - the guest configuration (guest_config.h) hyrun-init applies, encoded;
 *   - for hyrun create, what the VMM's jail holds (binds): the kernel at
 *     HY_JAIL_KERNEL, the initramfs at HY_JAIL_INITRD, the rootfs at
 *     HY_JAIL_ROOTFS, each bind source at HY_JAIL_BINDS "/<i>", the guest
 *     configuration at HY_JAIL_GUEST_CONFIG, and /proc (the virtio-fs server
 *     reopens its O_PATH handles through /proc/self/fd). The plan's paths are
 *     then the jail's; for hand use (`hyrun plan`) they are the host's.
 */
#ifndef HYRUN_RUNTIME_PLAN_H
#define HYRUN_RUNTIME_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "common/guest_config.h"
#include "common/plan.h"
#include "oci/linux.h"
#include "oci/spec.h"
#include "runtime/jail.h"
#include "runtime/sizing.h"

struct plan_request {
	/* What relative root.path and bind sources are relative to: the bundle. */
	const char *base;
	/* Replaces root.path when not NULL. */
	const char *rootfs;
	/* jail: plan for hyrun create (the jail's binds and paths); files names
	 * the kernel and initramfs. Otherwise hand use: host paths, no binds,
	 * no kernel. */
	bool jail;
	const struct vm_files *files;
	/* The host path the encoded guest configuration will be written to. */
	const char *guest_config_path;
};

struct container_plan {
	struct vm_plan
	    vm; /* kernel, initrd, shares, files, guest_config; the caller adds the rest */
	struct guest_config gc;	 /* points into the spec and this plan */
	char *guest_config_text; /* gc, encoded */
	char *rootfs;		 /* the container's rootfs on the host, resolved */
	struct jail_bind *binds; /* jail only */
	size_t nr_binds;
	/* storage the above points into */
	struct plan_file *files;
	struct gc_mount *mounts;
	struct gc_rlimit *rlimits;
	struct gc_seccomp seccomp;
	struct gc_seccomp_rule *rules;
	struct gc_seccomp_arg *args;
	struct gc_device *devices;
	struct gc_device_rule *device_rules;
	char **owned;
	size_t nr_owned;
};

/*
 * Plan the VM of `spec`, whose linux.* for the host side is `l` (parsed from
 * the same document): the guest learns from it whether the spec gives the
 * container a pid namespace, and gets linux.resources as its cgroup's
 * limits (memory.swap as swap alone; cpu.shares as a cgroup v2 weight, as
 * runc converts it; the device rules followed by the devices runc and crun
 * always allow; unified's files, which only the guest's cgroup gets). The plan points into spec, l
 * and req's strings (and req->files'), which must outlive it. Every source must exist: the root a
 * directory, a bind source a directory or a regular file. Returns 0, or a
 * negative errno with a message naming the member ("mounts[2].source: '/x':
 * No such file or directory") in err. Free with plan_free() either way.
 */
int plan_build(struct container_plan *p, const struct oci_spec *spec, const struct oci_linux *l,
	       const struct plan_request *req, char *err, size_t errlen);
void plan_free(struct container_plan *p);

/*
 * The guest configuration of a process exec'd into a running container
 * (agent_msg.h's "exec"): spec's process (scheduler and ioPriority included),
 * its linux.personality and linux.seccomp, nothing else, encoded; malloc'd. NULL with the reason in
 * err.
 */
char *plan_exec_config(const struct oci_spec *spec, char *err, size_t errlen);

/*
 * Give the guest its NICs (what hyrun create read from the container's
 * network namespace) and its standby NICs' MACs (runtime/network.h), and
 * encode the guest configuration again. gc.nics and gc.standby then point
 * into `nics` and `standby`, which must outlive the plan. 0 or -errno with
 * err.
 */
int plan_set_network(struct container_plan *p, const struct gc_nic *nics, size_t nr_nics,
		     const struct gc_mac *standby, size_t nr_standby, char *err, size_t errlen);

#endif
