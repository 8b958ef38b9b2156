/* spec.h: the OCI runtime-spec config.json, parsed and validated into C structs.
 *
 * Read by the runtime (hyrun create, and hyrun plan for hand use), which
 * plans the VM from it (runtime/plan.h). Only the parts hyrun acts on are decoded; unknown
 * members are ignored, as the runtime-spec asks of a runtime. Every error
 * names the member it is about, e.g. "process.args: must be a non-empty
 * array of strings".
 *
 * Strings in the structs point into the JSON document the spec keeps
 * (spec->json): they live as long as the spec and change only through the
 * oci_spec_set_* setters below.
 */
#ifndef HYRUN_OCI_SPEC_H
#define HYRUN_OCI_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/names.h"

struct oci_rlimit {
	const char *type; /* "RLIMIT_NOFILE" */
	int resource;	  /* RLIMIT_NOFILE */
	uint64_t hard, soft;
};

struct oci_mount {
	const char *destination; /* absolute */
	const char *type;	 /* NULL when absent */
	const char *source;	 /* NULL when absent */
	const char **options;
	size_t nr_options;
	bool bind;    /* type "bind", or a "bind"/"rbind" option */
	json_t *json; /* this entry in spec->json */
};

struct oci_seccomp_arg {
	unsigned index;
	uint64_t value, value_two;
	enum hy_seccomp_op op;
};

struct oci_seccomp_rule {
	const char **names;
	size_t nr_names;
	enum hy_seccomp_action action;
	bool has_errno_ret;
	unsigned errno_ret;
	struct oci_seccomp_arg *args;
	size_t nr_args;
};

struct oci_seccomp {
	uint32_t flags; /* linux.seccomp.flags: guest_config.h's GC_SECCOMP_FLAG_* bits */
	enum hy_seccomp_action default_action;
	bool has_default_errno_ret;
	unsigned default_errno_ret;
	const char **architectures; /* "SCMP_ARCH_X86_64", ... */
	size_t nr_architectures;
	struct oci_seccomp_rule *syscalls;
	size_t nr_syscalls;
};

/* process.scheduler, with the kernel's numbers (guest_config.h's struct gc_scheduler),
 * checked as sched_setattr(2) checks them. */
struct oci_scheduler {
	uint32_t policy; /* SCHED_OTHER ... SCHED_DEADLINE; SCHED_ISO is refused */
	int32_t nice;
	uint32_t priority;
	uint64_t flags; /* SCHED_FLAG_* */
	uint64_t runtime, deadline, period;
};

/* process.ioPriority: IOPRIO_CLASS_RT (1), _BE (2) or _IDLE (3), and 0..7. */
struct oci_io_priority {
	uint32_t ioclass;
	uint32_t priority;
};

struct oci_sysctl {
	const char *key, *value;
};

struct oci_annotation {
	const char *key, *value;
};

/* linux.rootfsPropagation; the order is guest_config.h's enum gc_propagation. */
enum oci_propagation {
	OCI_PROP_NONE = 0, /* absent or "" */
	OCI_PROP_SHARED,
	OCI_PROP_SLAVE,
	OCI_PROP_PRIVATE,
	OCI_PROP_UNBINDABLE,
	OCI_PROP_RSHARED,
	OCI_PROP_RSLAVE,
	OCI_PROP_RPRIVATE,
	OCI_PROP_RUNBINDABLE,
};

/* linux.devices[i]: a node the container's /dev gets. */
struct oci_device {
	const char *path;      /* below /dev, without empty, "." or ".." components */
	char type;	       /* 'c', 'u', 'b' or 'p' */
	uint32_t major, minor; /* 0..4095 and 0..1048575; 0 for 'p' */
	bool has_mode;
	uint32_t mode; /* permission bits (fileMode without its file type bits) */
	bool has_uid, has_gid;
	uint32_t uid, gid;
};

struct oci_spec {
	json_t *json; /* the whole document, owned */
	const char *oci_version;

	const char *root_path; /* NULL when there is no root */
	bool root_readonly;

	bool has_process;
	bool terminal;
	uint32_t uid, gid;
	bool has_umask;
	uint32_t umask;
	uint32_t *additional_gids;
	size_t nr_additional_gids;
	const char **args; /* NULL-terminated; nr_args > 0 */
	size_t nr_args;
	const char **env; /* NULL-terminated */
	size_t nr_env;
	const char *cwd;
	bool has_caps; /* process.capabilities present; otherwise keep what there is */
	uint64_t caps[HY_CAP_NR_SETS]; /* bit N: capability N (names.h) */
	struct oci_rlimit *rlimits;
	size_t nr_rlimits;
	bool no_new_privileges;
	bool has_oom_score_adj;
	int oom_score_adj;
	bool has_scheduler;
	struct oci_scheduler scheduler;
	bool has_io_priority;
	struct oci_io_priority io_priority;

	const char *hostname;
	const char *domainname;
	struct oci_mount *mounts;
	size_t nr_mounts;

	/* linux.* the guest applies (oci/linux.h has the host's) */
	enum oci_propagation rootfs_propagation;
	const char **masked_paths; /* NULL-terminated, absolute */
	size_t nr_masked_paths;
	const char **readonly_paths; /* NULL-terminated, absolute */
	size_t nr_readonly_paths;
	struct oci_device *devices;
	size_t nr_devices;
	bool has_personality;
	uint32_t personality; /* linux.personality.domain: PER_LINUX or PER_LINUX32 */

	struct oci_seccomp *seccomp; /* NULL: no filter */
	struct oci_sysctl *sysctl;
	size_t nr_sysctl;
	struct oci_annotation *annotations;
	size_t nr_annotations;
};

enum {
	/* process.args may be missing (the caller supplies them). */
	OCI_SPEC_ARGS_OPTIONAL = 1u << 0,
};

/*
 * Parse `len` bytes of JSON. On success returns 0 and fills *spec (free it
 * with oci_spec_free()). On failure returns -EINVAL (or -ENOMEM) and writes
 * a message naming the member, or the line and column of a syntax error,
 * into err.
 */
int oci_spec_parse(struct oci_spec *spec, const char *text, size_t len, unsigned flags, char *err,
		   size_t errlen);
/* The same from a JSON value; takes over the caller's reference to `json`
 * (it is released on failure too). */
int oci_spec_from_json(struct oci_spec *spec, json_t *json, unsigned flags, char *err,
		       size_t errlen);
/* Read and parse a file; errors are prefixed with its path. */
int oci_spec_load(struct oci_spec *spec, const char *path, unsigned flags, char *err,
		  size_t errlen);
void oci_spec_free(struct oci_spec *spec);

/* Replace process.args (in the document too). Returns 0, -EINVAL or -ENOMEM. */
int oci_spec_set_args(struct oci_spec *spec, char *const *argv);
/* The document as compact JSON, malloc'd; NULL when out of memory. */
char *oci_spec_dump(const struct oci_spec *spec);

#endif
