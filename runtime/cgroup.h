/* SPDX-License-Identifier: MIT */
/*
 * Control groups of a container (cgroupfs, no systemd): cgroup v2 (unified),
 * v1 and hybrid (v1 controllers plus a v2 hierarchy without controllers).
 */
#ifndef HYRUN_RUNTIME_CGROUP_H
#define HYRUN_RUNTIME_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/guest_config.h"

struct cg_limits {
	int64_t memory_limit;	 /* bytes, -1 = none */
	int64_t memory_swap;	 /* bytes, -1 = none */
	int64_t pids_limit;	 /* -1 = none */
	int64_t cpu_quota;	 /* us, -1 = none */
	uint64_t cpu_period;	 /* us, 0 = default */
	uint64_t cpu_shares;	 /* 0 = none */
	const char *cpuset_cpus; /* NULL = none */
	const char *cpuset_mems; /* NULL = none */
};

/* Opaque: knows v1 / hybrid / v2 and the created directories. */
struct cgroup;

/*
 * Hierarchies: v2 when /sys/fs/cgroup is cgroup2; else v1, one directory per
 * mounted controller hyrun uses (found in /proc/self/mountinfo). Hybrid (v1
 * plus a cgroup2 at /sys/fs/cgroup/unified): the limits and the freezer are
 * v1's, and the group is made in the unified hierarchy as well, so that its
 * processes are also in a non-root v2 group (cgroup.kill, v2-only readers).
 *
 * path: the spec's linux.cgroupsPath ("/a/b" absolute under the hierarchy
 * root, or relative "a/b" = under the default parent "hyrun"); NULL ->
 * "hyrun/<id>". Creates the directories (every mounted v1 controller that is
 * used: memory, pids, cpu, cpuacct, cpuset, freezer; or the v2 directory with
 * the controllers enabled in the parents' cgroup.subtree_control) and applies
 * the limits. Errors name the file that failed.
 */
int cgroup_create(struct cgroup **out, const char *path, const char *id,
		  const struct cg_limits *lim, char *err, size_t errlen);
/* An existing one, for later commands. */
int cgroup_open(struct cgroup **out, const char *path, const char *id, char *err, size_t errlen);
int cgroup_enter(struct cgroup *cg, pid_t pid, char *err, size_t errlen);
/* Waits until the group reads FROZEN / thawed. */
int cgroup_freeze(struct cgroup *cg, bool frozen, char *err, size_t errlen);
int cgroup_pids(struct cgroup *cg, pid_t **pids, size_t *n);
int cgroup_kill_all(struct cgroup *cg, int sig);
/*
 * Kills leftovers (SIGKILL), thaws, removes the group's directory in every
 * hierarchy, and the levels of CGROUP_DEFAULT_PARENT ("/hyrun/...") that are
 * left empty; other parents (e.g. a cgroupsPath "/machine/ctr"'s) are the
 * caller's and stay. Idempotent: 0 when nothing is left; -errno otherwise.
 */
int cgroup_destroy(struct cgroup *cg);
void cgroup_free(struct cgroup *cg);
/*
 * The resolved path from the hierarchy root, for state.json: always starts
 * with '/', so cgroup_open() of it finds the same group ("/hyrun/<id>").
 */
const char *cgroup_path(const struct cgroup *cg);

/* Whether the group is frozen (paused); false when it is not or is gone. */
bool cgroup_is_frozen(struct cgroup *cg);
/* "v1", "hybrid" or "v2". */
const char *cgroup_mode(const struct cgroup *cg);

/* ---- statistics (`hyrun events`) ---- */

/* A limit that reads "max" (cgroup v2), as runc reports it. */
#define CG_UNLIMITED UINT64_MAX

/* One memory counter, bytes: what runc reports as a MemoryEntry. */
struct cg_mem_entry {
	uint64_t usage, max_usage, limit, failcnt;
};

/* One line of memory.stat. */
struct cg_stat_kv {
	char key[48];
	uint64_t value;
};

/*
 * The group's counters, in runc's units. Files the kernel does not have
 * (memory.peak before Linux 5.19, memory.memsw.* without swap accounting, a
 * controller that is not mounted) leave their members 0.
 */
struct cg_stats {
	/* cpu, nanoseconds: v2 cpu.stat; v1 cpuacct.usage, .usage_percpu, .stat */
	uint64_t cpu_total, cpu_user, cpu_kernel;
	uint64_t *percpu; /* v1 only (malloc'd), nr_percpu entries */
	size_t nr_percpu;
	uint64_t nr_periods, nr_throttled, throttled_time; /* cpu.stat; time in ns */
	/*
	 * memory, bytes. v2: usage from memory.current, .peak, .max and the
	 * "max" count of memory.events as failcnt; swap is memory + swap as v1
	 * counts it (runc does the same). v1: the memory.*, memsw.*, kmem.* and
	 * kmem.tcp.* files. A limit of "max" reads CG_UNLIMITED.
	 */
	struct cg_mem_entry mem, swap, kernel, kernel_tcp;
	uint64_t cache;		/* memory.stat: "file" (v2), "cache" (v1) */
	uint64_t oom_kills;	/* memory.events / memory.oom_control: oom_kill */
	struct cg_stat_kv *raw; /* memory.stat (malloc'd), nr_raw entries */
	size_t nr_raw;
	/* pids: limit 0 when there is none (runc's way) */
	uint64_t pids_current, pids_limit;
};

/* The directories to read: in v2 one for all; in v1 one per controller (NULL: not mounted). */
struct cg_stats_dirs {
	bool v2;
	const char *cpu, *cpuacct, *memory, *pids; /* v2: all the same */
};

/* The group's counters; free them with cgroup_stats_free(). Errors name the file. */
int cgroup_stats(struct cgroup *cg, struct cg_stats *st, char *err, size_t errlen);
/* The same from given directories (the unit tests' fake trees). */
int cgroup_stats_read(const struct cg_stats_dirs *d, struct cg_stats *st, char *err, size_t errlen);
void cgroup_stats_free(struct cg_stats *st);

/* ---- changing limits (`hyrun update`) ---- */

/*
 * New limits for a running group: only the members whose has_ flag is set
 * (the cpuset strings: when not NULL) change; -1 is "no limit". memory_swap
 * counts memory plus swap, as the OCI spec does: in v2 memory.swap.max gets
 * memory_swap minus the memory limit (the new one, or the one in force).
 * The swap files are skipped where the kernel has no swap accounting.
 */
struct cg_update {
	bool has_memory, has_memory_swap, has_memory_reservation;
	int64_t memory, memory_swap, memory_reservation; /* bytes */
	bool has_cpu_quota, has_cpu_period, has_cpu_shares;
	int64_t cpu_quota;   /* microseconds */
	uint64_t cpu_period; /* microseconds */
	uint64_t cpu_shares; /* v1 cpu.shares; v2 cpu.weight from it */
	const char *cpuset_cpus, *cpuset_mems;
	bool has_pids;
	int64_t pids;
};

int cgroup_update(struct cgroup *cg, const struct cg_update *u, char *err, size_t errlen);

/* ---- devices ------------------------------------------------------------------ */

/*
 * The VMM's cgroup denies every device but those hyrun-vmm may still open
 * by path in its jail (/dev/kvm and its taps reach it as descriptors, which
 * the device cgroup never checks again): /dev/null, zero, full, random and
 * urandom, read and write; no mknod of any device. On cgroup v1 and hybrid
 * hosts with the devices controller mounted: "a" in devices.deny, then one
 * line per device in devices.allow. Otherwise (v2, or hybrid without that
 * controller) a BPF_CGROUP_DEVICE program on the group's v2 directory,
 * attached with BPF_F_ALLOW_MULTI so that the programs an engine or systemd
 * attached there or above still apply. Either goes with the group when it is
 * removed; `update` leaves it.
 *
 * Only on a group this cgroup_create() made in every hierarchy: a group that
 * existed before (a cgroupsPath shared with something else) is not hyrun's
 * to restrict. Returns 0 when the rules are in force, 1 when nothing was
 * done (the reason in err: the group existed, or there is neither a devices
 * controller nor a v2 hierarchy), -errno with the step that failed.
 */
int cgroup_vmm_devices(struct cgroup *cg, char *err, size_t errlen);

/* ---- pure helpers, exposed for the unit tests ---- */

/* Parent of relative cgroupsPaths (and of the default "hyrun/<id>"). */
#define CGROUP_DEFAULT_PARENT "hyrun"

/* The path from the hierarchy root ("/hyrun/<id>"); -EINVAL for a path with
 * "." or ".." components, an empty or slash-containing id, -ENAMETOOLONG. */
int cgroup_resolve(const char *path, const char *id, char *out, size_t outlen);
/* cpu.shares (2..262144) to cgroup v2 cpu.weight (1..10000), as crun does. */
uint64_t cgroup_shares_to_weight(uint64_t shares);
/* The cgroup v2 cpu.max line: "QUOTA PERIOD" or "max PERIOD" (period 0 = 100000). */
int cgroup_format_cpu_max(int64_t quota, uint64_t period, char *buf, size_t len);
/* memory.swap.max from the OCI memory+swap total: *out = swap - memory, or -1
 * for "max"; -EINVAL when swap is set without a memory limit or below it. */
int cgroup_swap_v2(int64_t memory, int64_t swap, int64_t *out);

/* cgroup_vmm_devices()'s allow-list, in the order it is written (struct gc_device_rule). */
#define CGROUP_VMM_NR_DEVICES 5
extern const struct gc_device_rule cgroup_vmm_device_rules[CGROUP_VMM_NR_DEVICES];

enum {
	CG_CTRL_CPU = 1 << 0,
	CG_CTRL_CPUACCT = 1 << 1,
	CG_CTRL_CPUSET = 1 << 2,
	CG_CTRL_MEMORY = 1 << 3,
	CG_CTRL_PIDS = 1 << 4,
	CG_CTRL_FREEZER = 1 << 5,
	CG_CTRL_DEVICES = 1 << 6,
};
/*
 * One /proc/self/mountinfo line: for a cgroup v1 mount, stores its mount
 * point (octal escapes decoded) in mnt and returns the CG_CTRL_* bits of the
 * controllers it holds that hyrun uses (0 for other cgroup v1 mounts, e.g.
 * name=systemd); -1 for any other line.
 */
int cgroup_parse_mountinfo(const char *line, char *mnt, size_t mntlen);

#endif
