/* linux.h: the parts of config.json that only the host runtime acts on.
 *
 * oci/spec.h decodes what the guest applies (process, mounts, seccomp...);
 * this decodes what the runtime applies around hyrun-vmm: linux.namespaces,
 * linux.uidMappings / gidMappings, linux.cgroupsPath, linux.resources
 * (memory, cpu, pids; the VMM's cgroup on the host) and the hooks. The plan
 * hands the namespaces' presence and linux.resources (devices and unified
 * included) to the guest too (runtime/plan.h). It also checks linux.sysctl,
 * hostname and domainname against the namespaces, as runc does. Unknown members are ignored;
 * members hyrun cannot honour are refused, naming the member.
 *
 * Strings point into the JSON document given to oci_linux_parse(): they live
 * as long as that document.
 */
#ifndef HYRUN_OCI_LINUX_H
#define HYRUN_OCI_LINUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

enum oci_ns_type {
	OCI_NS_PID,
	OCI_NS_NETWORK,
	OCI_NS_MOUNT,
	OCI_NS_IPC,
	OCI_NS_UTS,
	OCI_NS_USER,
	OCI_NS_CGROUP,
	OCI_NS_NR,
};

struct oci_namespace {
	bool enabled;
	const char *path; /* NULL: a new one */
};

struct oci_idmap {
	uint32_t container_id, host_id, size;
};

/* linux.resources.devices[i], a rule of the device cgroup. */
struct oci_device_rule {
	bool allow;
	char type;		 /* 'a', 'c' or 'b' (absent: 'a') */
	int64_t major, minor;	 /* -1 (or absent): any; at most UINT32_MAX */
	bool read, write, mknod; /* "access": r, w and m (absent: all three) */
};

/* linux.resources.unified[key]: a cgroup v2 file (a name without '/') and its value. */
struct oci_unified {
	const char *key, *value;
};

/* -1 (or 0 for the unsigned ones, NULL for the strings): not set. */
struct oci_resources {
	int64_t memory_limit; /* bytes */
	int64_t memory_swap;  /* bytes, memory + swap as in the runtime-spec; -1 unlimited */
	bool has_memory_swap;
	int64_t cpu_quota; /* microseconds per period */
	uint64_t cpu_period;
	uint64_t cpu_shares;
	const char *cpus; /* cpuset list, "0-3,6" */
	const char *mems;
	int64_t pids_limit; /* > 0, or -1 */
	bool has_devices;   /* linux.resources.devices present, even empty */
	struct oci_device_rule *devices;
	size_t nr_devices;
	struct oci_unified *unified; /* for the guest's cgroup only */
	size_t nr_unified;
};

enum oci_hook_kind {
	OCI_HOOK_PRESTART,
	OCI_HOOK_CREATE_RUNTIME,
	OCI_HOOK_CREATE_CONTAINER,
	OCI_HOOK_START_CONTAINER,
	OCI_HOOK_POSTSTART,
	OCI_HOOK_POSTSTOP,
	OCI_HOOK_NR,
};

struct oci_hook {
	const char *path;  /* absolute */
	const char **args; /* NULL-terminated; NULL when absent (argv = { path }) */
	size_t nr_args;
	const char **env; /* NULL-terminated, never NULL */
	size_t nr_env;
	unsigned timeout; /* seconds, 0 = none */
};

struct oci_linux {
	struct oci_namespace ns[OCI_NS_NR];
	struct oci_idmap *uid_mappings, *gid_mappings;
	size_t nr_uid_mappings, nr_gid_mappings;
	const char *cgroups_path; /* NULL when absent */
	struct oci_resources res;
	struct oci_hook *hooks[OCI_HOOK_NR];
	size_t nr_hooks[OCI_HOOK_NR];
};

/*
 * Decode and validate those members of the config.json document `doc`.
 * Returns 0, or -EINVAL / -ENOMEM with a message naming the member in err
 * ("linux.namespaces[2].type: \"time\" is not supported"). `l` is always
 * safe to pass to oci_linux_free() afterwards.
 */
int oci_linux_parse(struct oci_linux *l, json_t *doc, char *err, size_t errlen);
void oci_linux_free(struct oci_linux *l);

/* "pid", "network", ... as the runtime-spec spells them. */
const char *oci_ns_name(enum oci_ns_type t);
/* "prestart", "createRuntime", ... */
const char *oci_hook_kind_name(enum oci_hook_kind k);

/* Number of CPUs in a cpuset list ("0-3,6" -> 5); -1 when malformed. */
int oci_cpuset_count(const char *list);

#endif
