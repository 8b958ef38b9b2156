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
 *   --net fd=N,mac=MAC[,mtu=M]
 *                         a virtio-net NIC (repeatable; the guest sees the
 *                         NICs in this order) backed by the tap opened
 *                         with IFF_TAP | IFF_NO_PI | IFF_VNET_HDR that is
 *                         inherited as descriptor N; MAC (six hex pairs
 *                         separated by ':', unicast) goes into its config
 *                         space, MTU (PLAN_MIN_MTU..PLAN_MAX_MTU) too when
 *                         given. hyrun-vmm only reads its flags, reads
 *                         and writes frames, and sets the header size,
 *                         the offloads and O_NONBLOCK on it.
 *   --vsock fd=N[,dir=DIR]
 *                         a virtio-vsock device (agent_proto.h): the guest
 *                         is CID 3; host clients come in on the listening
 *                         AF_UNIX stream socket inherited as descriptor N
 *                         ("CONNECT <port>"); a guest connection to host
 *                         port P goes to the socket DIR/vsock.sock_P when
 *                         DIR is given (the rest of the option: it may
 *                         hold ','), else it is refused. At most once.
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
 * such options (--net, --vsock, --control-fd, --ready-fd): a descriptor is opened by
 * the runtime before the jail, never by path inside it.
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
/* virtio-mmio windows: one is the console, the rest may be shares, NICs and
 * the vsock device (nr_shares + nr_nics + has_vsock <= PLAN_MAX_DEVICES - 1). */
#define PLAN_MAX_DEVICES 11
#define PLAN_MAX_SHARES (PLAN_MAX_DEVICES - 1)
#define PLAN_MAX_NICS 4
#define PLAN_MIN_MTU 68
#define PLAN_MAX_MTU 65535
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

struct plan_nic {
	int fd;		/* the tap, inherited */
	uint8_t mac[6]; /* the guest's */
	uint32_t mtu;	/* 0: not given */
};

struct vm_plan {
	const char *kernel;
	const char *initrd;  /* NULL: none */
	uint64_t mem;	     /* bytes, a multiple of 4 KiB, PLAN_MIN_MEM at least */
	unsigned cpus;	     /* 1 .. PLAN_MAX_VCPUS */
	const char *cmdline; /* extra kernel arguments, or NULL */
	struct plan_share shares[PLAN_MAX_SHARES];
	size_t nr_shares;
	struct plan_nic nics[PLAN_MAX_NICS];
	size_t nr_nics;
	struct plan_file *files; /* nr_files entries, caller's storage */
	size_t nr_files;
	bool has_vsock;
	int vsock_fd;		  /* the listening socket, inherited */
	const char *vsock_dir;	  /* guest-initiated connections, or NULL */
	const char *guest_config; /* a file, or NULL */
	int control_fd, ready_fd; /* -1: none */
	/* /dev/kvm opened by the caller (a VMM in a jail gets no path to it); 0 to 2
	 * (a zeroed plan) or -1: the VMM opens /dev/kvm itself. */
	int kvm_fd;
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

/* "fd=N,mac=MAC[,mtu=M]" (keys in any order, each once). 0, or -EINVAL
 * with a message naming the option and the key. */
int plan_parse_net(const char *arg, struct plan_nic *out, char *err, size_t errlen);

/* "fd=N[,dir=DIR]": 0, or -EINVAL with a message naming the option. *dir
 * points into arg (NULL when absent). */
int plan_parse_vsock(const char *arg, int *fd, const char **dir, char *err, size_t errlen);

/* "02:42:ac:11:00:02" -> 6 bytes: 0 or -EINVAL. plan_format_mac() writes
 * 18 bytes (with the NUL). */
int plan_parse_mac(const char *s, uint8_t mac[6]);
void plan_format_mac(const uint8_t mac[6], char out[18]);

/* A size: digits with an optional K, M or G (binary) suffix. 0, -EINVAL, -ERANGE. */
int plan_parse_size(const char *s, uint64_t *out);

/*
 * The plan as hyrun-vmm's options (argv[0] = vmm_name, then the options, NULL
 * terminated; CMD is not added), malloc'd: one block, free() it once.
 * Returns NULL with errno set (EINVAL for a plan out of range).
 */
char **plan_to_argv(const struct vm_plan *p, const char *vmm_name);

#endif
