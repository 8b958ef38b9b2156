/* update.h: `hyrun update`: runc's options and resources file, and how the new limits
 * split between the VMM's cgroup on the host and the container's cgroup in the guest.
 *
 * The split (update_split):
 *   memory       the guest's container cgroup gets the limit minus HY_MEM_OVERHEAD_MIB
 *                (create sizes guest RAM the same way from memory.limit); the host
 *                cgroup gets the limit, but never less than guest RAM plus the
 *                overhead: pages the guest once touched stay the VMM's (there is no
 *                balloon), so a lower host limit would have the host OOM-kill the
 *                whole VM where the guest's kernel reclaims and kills inside the
 *                container. A limit above what the VM booted with (guest RAM plus the
 *                overhead, or the limit it was created with if that is more) is
 *                refused: guest RAM is fixed at boot (no memory hot-plug).
 *   memory-swap, memory-reservation, cpuset-cpus, cpuset-mems
 *                the host cgroup only (the guest has no swap; its vCPUs and memory
 *                nodes are the VM's).
 *   cpu quota, period
 *                both: the host cgroup (the vCPU threads) and the guest's cgroup.
 *   cpu shares   the host's cpu.shares (v1) or cpu.weight (v2), and the guest's
 *                cpu.weight, converted as runc and crun do.
 *   pids         the guest only: the host cgroup holds the VMM's threads and the
 *                exec proxies, not the workload's processes.
 *   blkio-weight, kernel-memory, kernel-memory-tcp
 *                accepted and ignored with a warning.
 */
#ifndef HYRUN_RUNTIME_UPDATE_H
#define HYRUN_RUNTIME_UPDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/agent_msg.h"
#include "runtime/cgroup.h"

#define UPDATE_CPUSET_MAX 1024

/* What was asked for. A member left 0 (an empty string) stays as it is, as with runc;
 * -1 is "no limit". */
struct update_req {
	int64_t memory, memory_reservation, memory_swap; /* bytes */
	int64_t cpu_quota;				 /* microseconds */
	uint64_t cpu_period;				 /* microseconds */
	uint64_t cpu_shares;
	char cpus[UPDATE_CPUSET_MAX], mems[UPDATE_CPUSET_MAX];
	int64_t pids;
	uint64_t blkio_weight;
	bool kernel_memory; /* kernel-memory or kernel-memory-tcp given: ignored */
};

struct update_opts {
	struct update_req req;
	const char *resources; /* -r FILE, "-" for stdin; NULL: the options */
	bool other_options;    /* options besides -r were given (ignored with it, as runc) */
	const char *id;
};

/*
 * A size as runc takes it: bytes, or a decimal number with a binary unit
 * (k, m, g, t, p; any case, optionally followed by "i" and/or "b": "64m",
 * "1.5GiB", "512 kb"), or -1. 0 or -EINVAL.
 */
int update_parse_size(const char *s, int64_t *out);

/*
 * The verb's command line (argv[0] is "update"): 0, 1 when --help was asked
 * for, or -EINVAL with the reason in err (an unknown option, a malformed
 * value, not exactly one container id).
 */
int update_parse_args(int argc, char **argv, struct update_opts *o, char *err, size_t errlen);

/*
 * An OCI linux.resources object, as runc's -r reads it ("memory", "cpu",
 * "pids", "blockIO"; other members, such as "devices", are ignored), into r
 * (zeroed first). 0 or -EINVAL naming the member.
 */
int update_parse_resources(const char *text, size_t len, struct update_req *r, char *err,
			   size_t errlen);

/* What the container's VM booted with (oci_state: mem_mib, memory_limit). */
struct update_vm {
	unsigned mem_mib;     /* guest RAM; 0: unknown */
	int64_t create_limit; /* memory limit at create, bytes; -1: none */
};

/*
 * The split above: host and guest zeroed, then filled with what changes.
 * 0, or -EINVAL with the reason in err (a value out of range, a memory limit
 * the VM cannot have).
 */
int update_split(const struct update_req *r, const struct update_vm *vm, struct cg_update *host,
		 struct agent_resources *guest, char *err, size_t errlen);

/* Whether the split has anything for the guest. */
bool update_guest_has_work(const struct agent_resources *guest);

#endif
