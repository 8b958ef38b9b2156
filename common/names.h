/* names.h: the OCI runtime-spec's names for capabilities, rlimits and seccomp
 * actions, operators and architectures, shared by the config.json parser
 * (oci/) and the guest configuration (guest_config.h), which uses the same
 * vocabulary.
 */
#ifndef HYRUN_COMMON_NAMES_H
#define HYRUN_COMMON_NAMES_H

#include <stdbool.h>

enum hy_cap_set {
	HY_CAP_BOUNDING,
	HY_CAP_EFFECTIVE,
	HY_CAP_INHERITABLE,
	HY_CAP_PERMITTED,
	HY_CAP_AMBIENT,
	HY_CAP_NR_SETS,
};

enum hy_seccomp_action {
	HY_SECCOMP_KILL, /* SCMP_ACT_KILL, the same as KILL_THREAD */
	HY_SECCOMP_KILL_PROCESS,
	HY_SECCOMP_KILL_THREAD,
	HY_SECCOMP_TRAP,
	HY_SECCOMP_ERRNO,
	HY_SECCOMP_TRACE,
	HY_SECCOMP_ALLOW,
	HY_SECCOMP_LOG,
	HY_SECCOMP_NOTIFY,
};

enum hy_seccomp_op {
	HY_SECCOMP_OP_NE,
	HY_SECCOMP_OP_LT,
	HY_SECCOMP_OP_LE,
	HY_SECCOMP_OP_EQ,
	HY_SECCOMP_OP_GE,
	HY_SECCOMP_OP_GT,
	HY_SECCOMP_OP_MASKED_EQ,
};

/* "CAP_CHOWN" <-> 0; -1 / NULL when unknown. */
int hy_cap_from_name(const char *name);
const char *hy_cap_name(unsigned cap);
unsigned hy_cap_last(void); /* highest capability number known */
/* "bounding" <-> HY_CAP_BOUNDING. */
int hy_cap_set_from_name(const char *name);
const char *hy_cap_set_name(enum hy_cap_set set);

/* "RLIMIT_NOFILE" <-> RLIMIT_NOFILE; -1 / NULL when unknown. */
int hy_rlimit_from_name(const char *name);
const char *hy_rlimit_name(int resource);

/* "SCMP_ACT_ERRNO" <-> HY_SECCOMP_ERRNO; -1 / "?" when unknown. */
int hy_seccomp_action_from_name(const char *name);
const char *hy_seccomp_action_name(enum hy_seccomp_action a);
/* "SCMP_CMP_EQ" <-> HY_SECCOMP_OP_EQ; -1 / "?" when unknown. */
int hy_seccomp_op_from_name(const char *name);
const char *hy_seccomp_op_name(enum hy_seccomp_op op);
/* "SCMP_ARCH_X86_64" and the runtime-spec's other architectures. */
bool hy_seccomp_arch_known(const char *name);

#endif
