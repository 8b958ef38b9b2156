/* names.c: the runtime-spec's names for capabilities, rlimits and seccomp (names.h). */
#include "common/names.h"

#include <string.h>
#include <sys/resource.h>

#include "common/cleanup.h"

static const char *const cap_names[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

static const char *const cap_set_names[HY_CAP_NR_SETS] = {
    [HY_CAP_BOUNDING] = "bounding",	  [HY_CAP_EFFECTIVE] = "effective",
    [HY_CAP_INHERITABLE] = "inheritable", [HY_CAP_PERMITTED] = "permitted",
    [HY_CAP_AMBIENT] = "ambient",
};

static const struct {
	const char *name;
	int resource;
} rlimit_names[] = {
    {"RLIMIT_CPU", RLIMIT_CPU},		  {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_DATA", RLIMIT_DATA},	  {"RLIMIT_STACK", RLIMIT_STACK},
    {"RLIMIT_CORE", RLIMIT_CORE},	  {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_NPROC", RLIMIT_NPROC},	  {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},	  {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},	  {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},	  {"RLIMIT_RTTIME", RLIMIT_RTTIME},
};

static const char *const action_names[] = {
    [HY_SECCOMP_KILL] = "SCMP_ACT_KILL",
    [HY_SECCOMP_KILL_PROCESS] = "SCMP_ACT_KILL_PROCESS",
    [HY_SECCOMP_KILL_THREAD] = "SCMP_ACT_KILL_THREAD",
    [HY_SECCOMP_TRAP] = "SCMP_ACT_TRAP",
    [HY_SECCOMP_ERRNO] = "SCMP_ACT_ERRNO",
    [HY_SECCOMP_TRACE] = "SCMP_ACT_TRACE",
    [HY_SECCOMP_ALLOW] = "SCMP_ACT_ALLOW",
    [HY_SECCOMP_LOG] = "SCMP_ACT_LOG",
    [HY_SECCOMP_NOTIFY] = "SCMP_ACT_NOTIFY",
};

static const char *const op_names[] = {
    [HY_SECCOMP_OP_NE] = "SCMP_CMP_NE",
    [HY_SECCOMP_OP_LT] = "SCMP_CMP_LT",
    [HY_SECCOMP_OP_LE] = "SCMP_CMP_LE",
    [HY_SECCOMP_OP_EQ] = "SCMP_CMP_EQ",
    [HY_SECCOMP_OP_GE] = "SCMP_CMP_GE",
    [HY_SECCOMP_OP_GT] = "SCMP_CMP_GT",
    [HY_SECCOMP_OP_MASKED_EQ] = "SCMP_CMP_MASKED_EQ",
};

/* The runtime-spec's list; hyrun-init resolves them with libseccomp. */
static const char *const arch_names[] = {
    "SCMP_ARCH_X86",	 "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",		"SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",	"SCMP_ARCH_MIPS64N32",
    "SCMP_ARCH_MIPSEL",	 "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64",	 "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",	"SCMP_ARCH_S390X",
    "SCMP_ARCH_PARISC",	 "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",
};

static int lookup(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] && strcmp(names[i], name) == 0)
			return (int)i;
	return -1;
}

int hy_cap_from_name(const char *name)
{
	return lookup(cap_names, ARRAY_SIZE(cap_names), name);
}

const char *hy_cap_name(unsigned cap)
{
	return cap < ARRAY_SIZE(cap_names) ? cap_names[cap] : NULL;
}

unsigned hy_cap_last(void)
{
	return ARRAY_SIZE(cap_names) - 1;
}

int hy_cap_set_from_name(const char *name)
{
	return lookup(cap_set_names, ARRAY_SIZE(cap_set_names), name);
}

const char *hy_cap_set_name(enum hy_cap_set set)
{
	return (unsigned)set < ARRAY_SIZE(cap_set_names) ? cap_set_names[set] : NULL;
}

int hy_rlimit_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(rlimit_names); i++)
		if (strcmp(rlimit_names[i].name, name) == 0)
			return rlimit_names[i].resource;
	return -1;
}

const char *hy_rlimit_name(int resource)
{
	for (size_t i = 0; i < ARRAY_SIZE(rlimit_names); i++)
		if (rlimit_names[i].resource == resource)
			return rlimit_names[i].name;
	return NULL;
}

int hy_seccomp_action_from_name(const char *name)
{
	return lookup(action_names, ARRAY_SIZE(action_names), name);
}

const char *hy_seccomp_action_name(enum hy_seccomp_action a)
{
	return (unsigned)a < ARRAY_SIZE(action_names) ? action_names[a] : "?";
}

int hy_seccomp_op_from_name(const char *name)
{
	return lookup(op_names, ARRAY_SIZE(op_names), name);
}

const char *hy_seccomp_op_name(enum hy_seccomp_op op)
{
	return (unsigned)op < ARRAY_SIZE(op_names) ? op_names[op] : "?";
}

bool hy_seccomp_arch_known(const char *name)
{
	return lookup(arch_names, ARRAY_SIZE(arch_names), name) >= 0;
}
