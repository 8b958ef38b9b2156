/* defaults.h: every default of the hyrun runtime, in one place.
 *
 * Files: hyrun looks for what it runs next to its own binary (<dir> is the
 * directory of /proc/self/exe):
 *   <dir>/hyrun-vmm                                   (env HYRUN_VMM)
 *   <dir>/guest/vmlinux, else <dir>/guest/vmlinuz     (env HYRUN_KERNEL,
 *                                                      annotation io.hyrun.kernel)
 *   <dir>/guest/initramfs.cpio                        (env HYRUN_INITRD)
 * The annotation wins over the environment, which wins over the default.
 *
 * VM size, per container:
 *   vCPUs   annotation io.hyrun.vcpus; else ceil(cpu.quota / cpu.period)
 *           when a quota is set; else the number of CPUs in cpu.cpus; else 1.
 *   memory  annotation io.hyrun.memory_mib; else memory.limit minus
 *           HY_MEM_OVERHEAD_MIB (what hyrun-vmm itself needs beside guest RAM,
 *           so that the VMM fits in the container's cgroup), at least
 *           HY_MEM_MIN_MIB; else HY_MEM_DEFAULT_MIB.
 */
#ifndef HYRUN_RUNTIME_DEFAULTS_H
#define HYRUN_RUNTIME_DEFAULTS_H

#ifndef HYRUN_VERSION
#define HYRUN_VERSION "0.1.0-dev"
#endif

#define HY_DEFAULT_ROOT "/run/hyrun"

#define HY_VCPUS_DEFAULT 1
#define HY_MEM_DEFAULT_MIB 256
#define HY_MEM_OVERHEAD_MIB 64
#define HY_MEM_MIN_MIB 64
/* Largest guest RAM an annotation may ask for. */
#define HY_MEM_MAX_MIB (1024 * 1024)

#define HY_ANNOTATION_VCPUS "io.hyrun.vcpus"
#define HY_ANNOTATION_MEMORY "io.hyrun.memory_mib"
#define HY_ANNOTATION_KERNEL "io.hyrun.kernel"
/* "true": the guest may open vsock connections to host ports (sockets that
 * host programs bind in the state directory's HY_VSOCK_DIR). Off by default:
 * the VMM then needs neither socket() nor connect(), whose address a seccomp
 * filter cannot check. */
#define HY_ANNOTATION_VSOCK_CONNECT "io.hyrun.vsock_guest_connect"

#define HY_ENV_VMM "HYRUN_VMM"
#define HY_ENV_KERNEL "HYRUN_KERNEL"
#define HY_ENV_INITRD "HYRUN_INITRD"
/* "1": a container whose shares cannot be idmapped (a file system this kernel
 * cannot idmap, such as overlayfs, or tmpfs before Linux 6.3) gets a VMM that
 * runs as root on the host, with a warning; otherwise its create is refused. */
#define HY_ENV_ROOT_VMM "HYRUN_ROOT_VMM"
/* The directories io.hyrun.kernel may name a kernel in (sizing.h). */
#define HY_ENV_KERNEL_DIRS "HYRUN_KERNEL_DIRS"

#define HY_VMM_NAME "hyrun-vmm"
#define HY_KERNEL_NAMES                                                                            \
	{                                                                                          \
		"guest/vmlinux", "guest/vmlinuz"                                                   \
	}
#define HY_INITRD_NAME "guest/initramfs.cpio"

/* Seconds `create` waits for the guest to prepare the workload (env HYRUN_CREATE_TIMEOUT). */
#define HY_CREATE_TIMEOUT_S 120
#define HY_ENV_CREATE_TIMEOUT "HYRUN_CREATE_TIMEOUT"
/* Seconds a request on the control socket may take. */
#define HY_CONTROL_TIMEOUT_S 30
/* Seconds `delete` waits for a killed VMM to be gone. */
#define HY_KILL_WAIT_S 10

/* Paths inside the VMM's jail (its private root). */
#define HY_JAIL_KERNEL "/kernel"
#define HY_JAIL_INITRD "/initrd"
#define HY_JAIL_ROOTFS "/rootfs"
#define HY_JAIL_GUEST_CONFIG "/guest-config.json"
#define HY_JAIL_BINDS "/.hyrun-binds"
/* The state directory's HY_VSOCK_DIR, read-only: where guest-initiated vsock
 * connections go (agent_proto.h). */
#define HY_JAIL_VSOCK "/vsock"

/* Files in a container's state directory <root>/<id>/: its state; the bundle's
 * config.json as create read it (start and delete run its hooks); the guest
 * configuration (bound into the jail at HY_JAIL_GUEST_CONFIG); the control socket;
 * the vsock socket (HY_VSOCK_SOCKET, agent_proto.h: host clients of the guest,
 * the runtime's agent connections among them); HY_VSOCK_DIR, where a host
 * program listens on "vsock.sock_<P>" to take the guest's connections to
 * port P. */
#define HY_STATE_FILE "state.json"
#define HY_CONFIG_FILE "config.json"
#define HY_GUEST_CONFIG_FILE "guest-config.json"
/* The slot of the host id range (idpool.h) the VMM's user namespace maps to. */
#define HY_IDS_FILE "vmm-ids"
#define HY_CONTROL_SOCKET "ctl.sock"
#define HY_VSOCK_DIR "vsock.d"

#endif
