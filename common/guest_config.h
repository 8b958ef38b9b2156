/* guest_config.h: the guest configuration, what hyrun-init applies to the workload. An ABI.
 *
 * The runtime builds it from config.json (the only place config.json is
 * read); hyrun-vmm copies it into the guest unread (plan.h, --guest-config)
 * at HY_INIT_CONFIG; hyrun-init decodes it with guest_config_decode() and
 * applies it. It is JSON (UTF-8, compact) of this shape; members marked
 * "opt" may be absent, unknown members are refused (both ends are of one
 * build, so an unknown member is a bug, not a newer peer):
 *
 * {
 *   "version": 1,
 *   "hostname": "name",                                          opt
 *   "domainname": "example.org",                                 opt
 *       the UTS namespace's NIS domain name (setdomainname)
 *   "root": {"share": "rootfs", "readonly": false,               opt
 *            "propagation": "rslave"},                           opt
 *       the workload's root: the virtio-fs share with this tag. Absent:
 *       the workload runs in the initramfs. "propagation" is
 *       linux.rootfsPropagation: one of shared, slave, private,
 *       unbindable (applied to the root mount alone) or rshared, rslave,
 *       rprivate, runbindable (recursively, over each mount's own
 *       propagation option), applied once the root is filled; absent: the
 *       root stays private, as every mount of the workload's namespace is
 *       made (there is no host mount to be a slave of), and each mount
 *       keeps its own propagation option. With "readonly", the missing
 *       mount points and the cwd are created first (confined to the root),
 *       then the root mount alone is made read-only (runtime/plan.h says
 *       when the share is writable for that).
 *   "mounts": [                                                  opt
 *     {"destination": "/abs/path",
 *      "type": "proc",              opt for a bind mount only
 *      "source": "proc",                                         opt
 *      "options": ["nosuid", ...],                               opt
 *      "share": "m3"       a directory from the host: the virtio-fs share
 *                          with this tag, mounted (type virtiofs) there  opt
 *      "file": "3"         a file from the host: its copy at
 *                          HY_INIT_FILES "/3" (a name without '/'),
 *                          bind-mounted there                          opt
 *     }, ...],             a mount with "share" or "file" takes its options'
 *                          ro/nosuid/... from "options"; one of the two is
 *                          required for a bind mount ("bind"/"rbind" type
 *                          or option), neither is allowed otherwise
 *   "maskedPaths": ["/proc/kcore", ...],                          opt
 *       absolute; made unreadable after the mounts: a directory gets a
 *       read-only empty tmpfs, anything else /dev/null bound over it (a
 *       symlink is followed, within the root); a path that does not exist
 *       is skipped
 *   "readonlyPaths": ["/proc/sys", ...],                          opt
 *       absolute; bind-mounted onto themselves and remounted read-only,
 *       recursively (mounts below stay, read-only too); one that does not
 *       exist is skipped
 *   "devices": [                                                 opt
 *     {"path": "/dev/fuse", "type": "c",   c, u (a character device), b or p;
 *                                          the path without empty, "." or
 *                                          ".." components
 *      "major": 10, "minor": 229,          0..4095 and 0..1048575; absent
 *                                          (and ignored) for "p"
 *      "fileMode": 438,                    permission bits, 0..07777   opt
 *                                          (absent: 0666 as runc)
 *      "uid": 0, "gid": 0}, ...]                                    opt
 *       linux.devices: nodes made (mknod) in the container's /dev after the
 *       mounts, replacing what is there; the numbers are the guest
 *       kernel's. At most GC_MAX_DEVICES; paths absolute, below /dev.
 *   "pidNamespace": true,                                        opt
 *       the spec lists a pid namespace: the workload is PID 1 of a pid
 *       namespace of its own (hyrun-init stays PID 1 of the guest, outside
 *       it, reaping and relaying); exec'd processes join it
 *   "resources": {                                               opt
 *     the container cgroup's limits in the guest, applied before the
 *     workload starts; each member opt, with agent_resources' ranges:
 *     "memory": N (bytes, -1 max), "memorySwap": N (bytes of swap alone,
 *     -1 max), "pids": N (>= 1, -1 max), "cpuQuota": N (µs >= 1000, -1
 *     max), "cpuPeriod": N (1000..1000000), "cpuWeight": N (1..10000),
 *     "unified": {"memory.high": "100M", ...}
 *         linux.resources.unified: cgroup v2 files of the container's
 *         cgroup and what is written to each, after every other limit (so
 *         that these win); a key is a file name (gc_unified_key_ok: no
 *         '/', not "." or ".."); a key that cannot be written stops the
 *         container, naming it
 *     "devices": [{"allow": false, "type": "a",       a, c or b   (opt: a)
 *                  "major": -1, "minor": -1,          -1: any     (opt: -1)
 *                                                     or 0..UINT32_MAX
 *                  "access": "rwm"}, ...]             r, w and m, each at
 *                                                     most once   (opt: rwm)
 *       linux.resources.devices in order, then the devices runc and crun
 *       always allow (runtime/plan.c); the last matching rule wins (as
 *       runc's device filter); at most GC_MAX_DEVICE_RULES; absent: no
 *       device filter
 *   },
 *   "process": {
 *     "args": ["/bin/sh", ...],          non-empty
 *     "env": ["PATH=...", ...],                                  opt
 *     "cwd": "/",                        absolute
 *     "terminal": false,                                         opt
 *     "uid": 0, "gid": 0,
 *     "additionalGids": [1, 2],                                  opt
 *     "umask": 18,                                               opt
 *     "capabilities": {"bounding": ["CAP_CHOWN", ...], "effective": [...],
 *                      "inheritable": [...], "permitted": [...],
 *                      "ambient": [...]},                        opt
 *         absent: the process keeps every capability hyrun-init has
 *     "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 1024}], opt
 *     "noNewPrivileges": false,                                  opt
 *     "oomScoreAdj": 0,                                          opt
 *     "scheduler": {"policy": "SCHED_BATCH",                     opt
 *                   "nice": 0, "priority": 0,                    opt
 *                   "flags": ["SCHED_FLAG_RESET_ON_FORK"],       opt
 *                   "runtime": 0, "deadline": 0, "period": 0},   opt
 *         sched_setattr(2) before the execve(), as gc_scheduler_check()
 *         allows it (the kernel's ranges; no SCHED_ISO, which Linux lacks)
 *     "ioPriority": {"class": "IOPRIO_CLASS_BE", "priority": 4}  opt
 *         ioprio_set(2) on the process; class IOPRIO_CLASS_RT, _BE or
 *         _IDLE, priority 0..7
 *   },
 *   "personality": {"domain": "LINUX32"}                         opt
 *       linux.personality: personality(2) before the execve() of the
 *       workload and of each exec'd process; LINUX or LINUX32, no flags
 *   "network": [                                                 opt
 *     {"name": "eth0",         the guest's NIC with this MAC takes this name
 *                              (1 to 15 bytes, no '/', ':', '%' or white
 *                              space, not "lo", "." or "..")
 *      "mac": "02:42:ac:11:00:02",          lower or upper case hex;
 *                                           unicast, not all zero
 *      "mtu": 1500,                         PLAN_MIN_MTU..PLAN_MAX_MTU
 *      "addresses": ["10.88.0.5/16", "fd00::5/64"],              opt
 *      "routes": [                                                opt
 *        {"destination": "0.0.0.0/0",   no bits set past the prefix
 *         "gateway": "10.88.0.1",        absent: on the link     opt
 *         "source": "10.88.0.5",         preferred source        opt
 *         "metric": 100,                 0..UINT32_MAX           opt
 *         "mtu": 1400}, ...]             the route's MTU,        opt
 *                                        PLAN_MIN_MTU..PLAN_MAX_MTU
 *     }, ...]
 *       at most GC_MAX_NICS interfaces (names and MACs unique), each with
 *       at most GC_MAX_ADDRESSES addresses and GC_MAX_ROUTES routes; a
 *       route's gateway and source are of its destination's family.
 *       hyrun-init brings up "lo" in every case, then each NIC: renamed,
 *       MTU, addresses (IPv6 without duplicate address detection), up,
 *       then the routes in the order given (the runtime lists the routes
 *       on the link before those through a gateway), in the main table as
 *       `ip route replace` adds them: one equal to a route the kernel made
 *       for an address (same destination and metric) takes its place. Any
 *       failure stops the container before its process runs
 *       (rootfs/init/net.h). Absent or empty: the guest has loopback only.
 *   "standbyNics": ["02:5e:1a:00:00:01", ...]                    opt
 *       NICs for a network that appears only after create (a new network
 *       namespace that `ctr run --cni` or Docker's prestart hook fills
 *       between create and start): the MACs the VMM gave them (unicast,
 *       unique, none also in "network"; nr_standby + nr_nics at most
 *       GC_MAX_NICS). hyrun-init leaves them alone at boot. The "start"
 *       request (agent_msg.h) then carries a configuration made by
 *       guest_config_encode_start(): its NIC i configures standby NIC i
 *       (which takes that entry's MAC and name, then is set up as a
 *       "network" NIC is), and the standby NICs it does not name are
 *       unbound from their driver, so the guest is left with exactly what
 *       was wired (loopback only when nothing was).
 *   "sysctl": {"net.ipv4.ip_forward": "1"},                      opt
 *   "seccomp": {                                                 opt
 *     "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,   (ret opt)
 *     "architectures": ["SCMP_ARCH_X86_64", ...],                opt
 *     "flags": ["SECCOMP_FILTER_FLAG_LOG", ...],                 opt
 *         set on the filter when it is loaded (each at most once); one
 *         the guest's libseccomp or kernel cannot set stops the container
 *     "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW",
 *                   "errnoRet": 1,                               opt
 *                   "args": [{"index": 0, "value": 1, "valueTwo": 0,
 *                             "op": "SCMP_CMP_EQ"}]}]            opt
 *   }
 * }
 * Names (capabilities, rlimit types, seccomp actions, operators and
 * architectures) are the runtime-spec's, from names.h. Integers are JSON
 * integers (at most INT64_MAX); the 64-bit unsigned members (rlimits' soft
 * and hard, seccomp args' value and valueTwo) above INT64_MAX are written as
 * their two's-complement negative: -1 is UINT64_MAX (RLIM_INFINITY). A sysctl
 * key has no '/' and no "..". A duplicate member in an object, or an rlimit
 * type, scheduler flag or seccomp flag given twice, is refused.
 */
#ifndef HYRUN_COMMON_GUEST_CONFIG_H
#define HYRUN_COMMON_GUEST_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/names.h"

#define GUEST_CONFIG_VERSION 1

struct gc_mount {
	const char *destination; /* absolute */
	const char *type;	 /* NULL when absent */
	const char *source;	 /* NULL when absent */
	const char *const *options;
	size_t nr_options;
	bool bind;	   /* type "bind", or a "bind"/"rbind" option (decoded, not encoded) */
	const char *share; /* NULL when absent */
	const char *file;  /* NULL when absent */
};

struct gc_rlimit {
	int resource; /* RLIMIT_NOFILE */
	uint64_t soft, hard;
};

struct gc_seccomp_arg {
	unsigned index;
	uint64_t value, value_two;
	enum hy_seccomp_op op;
};

struct gc_seccomp_rule {
	const char *const *names;
	size_t nr_names;
	enum hy_seccomp_action action;
	bool has_errno_ret;
	unsigned errno_ret;
	const struct gc_seccomp_arg *args;
	size_t nr_args;
};

/* linux.seccomp.flags: the kernel's SECCOMP_FILTER_FLAG_* bits. */
#define GC_SECCOMP_FLAG_TSYNC (1u << 0)
#define GC_SECCOMP_FLAG_LOG (1u << 1)
#define GC_SECCOMP_FLAG_SPEC_ALLOW (1u << 2)
#define GC_SECCOMP_FLAG_WAIT_KILLABLE_RECV (1u << 5)

struct gc_seccomp {
	uint32_t flags; /* GC_SECCOMP_FLAG_* */
	enum hy_seccomp_action default_action;
	bool has_default_errno_ret;
	unsigned default_errno_ret;
	const char *const *architectures;
	size_t nr_architectures;
	const struct gc_seccomp_rule *syscalls;
	size_t nr_syscalls;
};

#define GC_MAX_NICS 4 /* PLAN_MAX_NICS */
#define GC_MAX_ADDRESSES 32
#define GC_MAX_ROUTES 64
#define GC_IFNAME_MAX 15

/* An IPv4 or IPv6 address with a prefix length. */
struct gc_ip {
	int family;	  /* AF_INET or AF_INET6 */
	uint8_t addr[16]; /* network byte order; 4 bytes used for AF_INET */
	unsigned prefix;  /* 0..32 or 0..128 */
};

struct gc_route {
	struct gc_ip destination;
	bool has_gateway;
	uint8_t gateway[16]; /* of destination.family */
	bool has_source;
	uint8_t source[16];
	uint32_t metric;
	uint32_t mtu; /* 0: not set */
};

struct gc_nic {
	const char *name;
	uint8_t mac[6];
	uint32_t mtu;
	const struct gc_ip *addresses;
	size_t nr_addresses;
	const struct gc_route *routes;
	size_t nr_routes;
};

struct gc_mac {
	uint8_t mac[6];
};

struct gc_sysctl {
	const char *key, *value;
};

#define GC_MAX_DEVICES 256
#define GC_MAX_DEVICE_RULES 256

struct gc_device {
	const char *path; /* absolute, below /dev */
	char type;	  /* 'c', 'b' or 'p' ('u' is decoded as 'c') */
	uint32_t major, minor;
	bool has_mode;
	uint32_t mode; /* permission bits; 0666 when !has_mode */
	bool has_uid, has_gid;
	uint32_t uid, gid;
};

struct gc_device_rule {
	bool allow;
	char type;	      /* 'a', 'c' or 'b' */
	int64_t major, minor; /* -1: any */
	bool read, write, mknod;
};

/* resources.unified[i]: a file of the container's cgroup and its new content. */
struct gc_unified {
	const char *key, *value;
};

/* The "resources" member: agent_resources' limits plus the device rules. */
struct gc_resources {
	bool has_memory;
	int64_t memory;
	bool has_memory_swap;
	int64_t memory_swap; /* bytes of swap, not memory + swap */
	bool has_pids;
	int64_t pids;
	bool has_cpu_quota;
	int64_t cpu_quota;
	bool has_cpu_period;
	uint64_t cpu_period;
	bool has_cpu_weight;
	uint64_t cpu_weight;
	bool has_devices; /* a device filter, even an empty one (deny all) */
	const struct gc_device_rule *devices;
	size_t nr_devices;
	const struct gc_unified *unified; /* written last, in this order */
	size_t nr_unified;
};

/*
 * process.scheduler: the attributes of sched_setattr(2), with the kernel's
 * numbers (SCHED_* policies, SCHED_FLAG_* bits, nanoseconds).
 */
struct gc_scheduler {
	uint32_t policy;   /* SCHED_OTHER (0) ... SCHED_DEADLINE (6), not SCHED_ISO (4) */
	int32_t nice;	   /* -20..19 */
	uint32_t priority; /* 1..99 for SCHED_FIFO and SCHED_RR, else 0 */
	uint64_t flags;	   /* SCHED_FLAG_* */
	uint64_t runtime, deadline, period; /* SCHED_DEADLINE only, else 0 */
};

/* process.ioPriority: ioprio_set(2)'s class (IOPRIO_CLASS_RT 1, BE 2, IDLE 3) and level. */
struct gc_io_priority {
	uint32_t ioclass;
	uint32_t priority; /* 0..7 */
};

enum gc_propagation {
	GC_PROP_DEFAULT = 0, /* absent: rprivate */
	GC_PROP_SHARED,
	GC_PROP_SLAVE,
	GC_PROP_PRIVATE,
	GC_PROP_UNBINDABLE,
	GC_PROP_RSHARED,
	GC_PROP_RSLAVE,
	GC_PROP_RPRIVATE,
	GC_PROP_RUNBINDABLE,
};

struct guest_config {
	const char *hostname;	/* NULL: keep the guest's */
	const char *domainname; /* NULL: keep the guest's */

	bool has_root;
	const char *root_share;
	bool root_readonly;
	enum gc_propagation root_propagation;

	const struct gc_mount *mounts;
	size_t nr_mounts;
	const char *const *masked_paths;
	size_t nr_masked_paths;
	const char *const *readonly_paths;
	size_t nr_readonly_paths;
	const struct gc_device *devices;
	size_t nr_devices;

	bool pid_namespace;
	bool has_resources;
	struct gc_resources resources;

	/* process */
	const char *const *args; /* NULL-terminated, nr_args > 0 */
	size_t nr_args;
	const char *const *env; /* NULL-terminated */
	size_t nr_env;
	const char *cwd;
	bool terminal;
	uint32_t uid, gid;
	const uint32_t *additional_gids;
	size_t nr_additional_gids;
	bool has_umask;
	uint32_t umask;
	bool has_caps;
	uint64_t caps[HY_CAP_NR_SETS]; /* bit N: capability N */
	const struct gc_rlimit *rlimits;
	size_t nr_rlimits;
	bool no_new_privileges;
	bool has_oom_score_adj;
	int oom_score_adj;
	bool has_scheduler;
	struct gc_scheduler scheduler;
	bool has_io_priority;
	struct gc_io_priority io_priority;

	bool has_personality;
	uint32_t personality; /* PER_LINUX (0) or PER_LINUX32 (8) */

	const struct gc_nic *nics; /* the "network" array */
	size_t nr_nics;
	const struct gc_mac *standby; /* the "standbyNics" array */
	size_t nr_standby;

	const struct gc_sysctl *sysctl;
	size_t nr_sysctl;
	const struct gc_seccomp *seccomp; /* NULL: no filter */

	void *priv; /* the decoder's storage; NULL in a configuration built by hand */
};

/*
 * The runtime-spec's names of what the members above carry as numbers, both
 * ways: scheduling policies (SCHED_OTHER ... SCHED_DEADLINE, with the
 * kernel's numbers), scheduler flags (SCHED_FLAG_*, their bits), I/O
 * priority classes (IOPRIO_CLASS_RT, _BE, _IDLE), personality domains
 * (LINUX, LINUX32: PER_LINUX, PER_LINUX32) and seccomp filter flags
 * (SECCOMP_FILTER_FLAG_*: GC_SECCOMP_FLAG_*). _from_name: the number, or
 * -1 for a name not known; _name: NULL for a number without a name.
 * SCHED_ISO has no number here: Linux never implemented it.
 */
int64_t gc_sched_policy_from_name(const char *name);
const char *gc_sched_policy_name(uint32_t policy);
int64_t gc_sched_flag_from_name(const char *name);
const char *gc_sched_flag_name(uint64_t bit);
int64_t gc_ioprio_class_from_name(const char *name);
const char *gc_ioprio_class_name(uint32_t ioclass);
int64_t gc_personality_from_name(const char *name);
const char *gc_personality_name(uint32_t domain);
int64_t gc_seccomp_flag_from_name(const char *name);
const char *gc_seccomp_flag_name(uint32_t bit);

/*
 * Whether sched_setattr(2) can take s, as the kernel checks it: nice
 * -20..19; a priority of 1..99 with SCHED_FIFO and SCHED_RR and none with
 * the others; runtime, deadline and period with SCHED_DEADLINE only, where
 * runtime is at least 1024 ns and at most deadline, deadline at most period
 * (0: period is deadline), each below 2^63; flags SCHED_FLAG_* only. 0, or
 * -EINVAL with "<prefix>.<member>: what is wrong" in err.
 */
int gc_scheduler_check(const struct gc_scheduler *s, const char *prefix, char *err, size_t errlen);

/* A linux.devices path: "/dev/x/y", below /dev with no empty, "." or ".."
 * component, so that the node lands in the container's /dev whatever the
 * image holds. Used by the spec's parser and the decoder alike. */
bool gc_dev_path_ok(const char *p);

/* A name linux.resources.unified may have: a file of the cgroup's own
 * directory (not empty, no '/', not "." or ".."). */
bool gc_unified_key_ok(const char *key);

/*
 * Encode a configuration (built by hand, pointing at the caller's strings) as
 * compact JSON, malloc'd. NULL with the reason in err (a member out of
 * range, out of memory); errors name the member.
 */
char *guest_config_encode(const struct guest_config *gc, char *err, size_t errlen);

/*
 * Decode `len` bytes. 0, or -EINVAL (-ENOMEM) with the member that is wrong
 * named in err ("process.args: must be a non-empty array of strings", or the
 * line and column of a syntax error). Free with guest_config_free().
 */
int guest_config_decode(struct guest_config *gc, const char *text, size_t len, char *err,
			size_t errlen);
void guest_config_free(struct guest_config *gc);

/*
 * The configuration a "start" request carries (agent_msg.h): {"version": 1,
 * "network": [...]} and nothing else ("process" is not wanted; "network"
 * may be empty or absent). The decoder checks "network" as
 * guest_config_decode() does and refuses any other member; the result has
 * only nics/nr_nics set. The encoder: NULL with err as
 * guest_config_encode()'s.
 */
int guest_config_decode_start(struct guest_config *gc, const char *text, size_t len, char *err,
			      size_t errlen);
char *guest_config_encode_start(const struct gc_nic *nics, size_t nr_nics, char *err,
				size_t errlen);

/*
 * The configuration `hyrun-vmm --rootfs DIR` runs CMD with: the share
 * HY_SHARE_ROOTFS as a read-write root; the mounts of `runc spec` (proc, a
 * tmpfs /dev, devpts, /dev/shm, mqueue, a read-only sysfs, cgroup2 where the
 * guest kernel has it); args; PATH and HOME=/root; uid and gid 0; every
 * capability; no seccomp filter (the VM is the boundary). Points at static
 * data and at args, which must outlive it.
 */
void guest_config_default(struct guest_config *gc, const char *const *args, size_t nr_args);

#endif
