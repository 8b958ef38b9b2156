/* plan.h: the VM plan, the one thing that crosses from the runtime to hyrun-vmm. An ABI.
 *
 * The runtime (hyrun create, or `hyrun plan` for hand use) reads config.json
 * and decides everything about a container's VM; hyrun-vmm runs what it is
 * given and knows nothing of OCI. The plan reaches hyrun-vmm as options:
 *
 *   --kernel FILE         the guest kernel (bzImage or vmlinux)
 *   --initrd FILE         the initramfs with hyrun-init as /init
 *   --mem SIZE            guest RAM (K, M or G suffix), PLAN_MIN_MEM at least
 *   --cpus N              vCPUs, 1 to PLAN_MAX_VCPUS
 *   --cmdline ARGS        appended to the kernel command line
 *   --share TAG=DIR[:ro]  serve the host directory DIR to the guest over
 *                         virtio-fs under the mount tag TAG ([A-Za-z0-9._-],
 *                         at most PLAN_TAG_MAX bytes); ":ro" makes it
 *                         read-only (":rw", the default, may be written to
 *                         end a DIR that itself ends in ":ro")
 *   --file NAME=FILE      copy the host regular file FILE (at most
 *                         PLAN_FILE_MAX bytes) into the guest at
 *                         HY_INIT_FILES "/" NAME ([A-Za-z0-9._-]) when the
 *                         VM starts: a snapshot, not a live view
 *   --guest-config FILE   the guest configuration (guest_config.h) that
 *                         hyrun-init applies; copied into the guest at
 *                         HY_INIT_CONFIG. Without it the workload (the
 *                         command line's CMD) runs in the initramfs.
 *   --control-fd N        create mode: the control socket (control_proto.h)
 *   --ready-fd N          create mode: "ready\n" once the workload is prepared
 *   --tty                 stdin is a terminal (raw mode, window size)
 *   --debug               debug messages from hyrun-vmm and hyrun-init
 *
 * Host resources may also reach hyrun-vmm as inherited descriptors named by
 * such options (--control-fd, --ready-fd): a descriptor is opened by the
 * runtime before the jail, never by path inside it.
 *
 * Paths in a plan are as hyrun-vmm sees them: inside its jail for hyrun
 * create, host paths for hand use.
 */
#ifndef HYRUN_COMMON_PLAN_H
#define HYRUN_COMMON_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits both sides check. */
#define PLAN_MAX_VCPUS 32
#define PLAN_MIN_MEM (32ULL << 20)
#define PLAN_DEFAULT_MEM (256ULL << 20)
/* virtio-mmio windows: one is the console, the rest may be shares. */
#define PLAN_MAX_DEVICES 11
#define PLAN_MAX_SHARES (PLAN_MAX_DEVICES - 1)
#define PLAN_MAX_FILES 256
/* virtio-fs config space holds 36 bytes of tag (virtio 1.2 section 5.11.4). */
#define PLAN_TAG_MAX 36
#define PLAN_NAME_MAX 64
#define PLAN_FILE_MAX (16u << 20)

struct plan_share {
	char tag[PLAN_TAG_MAX + 1];
	const char *dir;
	bool readonly;
};

struct plan_file {
	char name[PLAN_NAME_MAX + 1];
	const char *path;
};

struct vm_plan {
	const char *kernel;
	const char *initrd;  /* NULL: none */
	uint64_t mem;	     /* bytes, a multiple of 4 KiB, PLAN_MIN_MEM at least */
	unsigned cpus;	     /* 1 .. PLAN_MAX_VCPUS */
	const char *cmdline; /* extra kernel arguments, or NULL */
	struct plan_share shares[PLAN_MAX_SHARES];
	size_t nr_shares;
	struct plan_file *files; /* nr_files entries, caller's storage */
	size_t nr_files;
	const char *guest_config; /* a file, or NULL */
	int control_fd, ready_fd; /* -1: none */
	bool tty;
	bool debug;
};

/* A tag or a file name: [A-Za-z0-9._-], 1 to `max` bytes, not "." or "..". */
bool plan_name_valid(const char *s, size_t max);

/* "TAG=DIR[:ro|:rw]" and "NAME=FILE". dir/path point into arg; a share's
 * suffix is cut off arg in place. 0, or -EINVAL with a message naming the
 * option. */
int plan_parse_share(char *arg, struct plan_share *out, char *err, size_t errlen);
int plan_parse_file(const char *arg, struct plan_file *out, char *err, size_t errlen);

/* A size: digits with an optional K, M or G (binary) suffix. 0, -EINVAL, -ERANGE. */
int plan_parse_size(const char *s, uint64_t *out);

/*
 * The plan as hyrun-vmm's options (argv[0] = vmm_name, then the options, NULL
 * terminated; CMD is not added), malloc'd: one block, free() it once.
 * Returns NULL with errno set (EINVAL for a plan out of range).
 */
char **plan_to_argv(const struct vm_plan *p, const char *vmm_name);

#endif
