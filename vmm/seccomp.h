/* seccomp.h: hyrun-vmm's own system call allowlist (libseccomp). */
#ifndef HYRUN_VMM_SECCOMP_H
#define HYRUN_VMM_SECCOMP_H

#include <stddef.h>
#include <stdint.h>

/* How a rule looks at an argument of the call. */
enum vmm_seccomp_cmp {
	VMM_SECCOMP_ANY,       /* any arguments */
	VMM_SECCOMP_MASKED_EQ, /* (arg & mask) == value */
	VMM_SECCOMP_SELF_PID,  /* arg == the VMM's own pid (filled in at install) */
};

/* One allowed system call, or one allowed form of it (several rules for the
 * same call are alternatives: an ioctl request each, for instance). */
struct vmm_seccomp_rule {
	int nr;		  /* the x86-64 system call number (SCMP_SYS()) */
	const char *name; /* its name, as libseccomp spells it */
	enum vmm_seccomp_cmp cmp;
	unsigned arg; /* the argument compared, 0-based */
	uint64_t mask, value;
	const char *what; /* the argument values' names (an ioctl request), or NULL */
	const char *why;  /* why hyrun-vmm needs it, once the VM runs */
	/* A second argument that must match too: (arg2 & mask2) == value2 when
	 * cmp2 is VMM_SECCOMP_MASKED_EQ; VMM_SECCOMP_ANY (0): none. */
	enum vmm_seccomp_cmp cmp2;
	unsigned arg2;
	uint64_t mask2, value2;
	/* VMM_SECCOMP_* features the rule is for: it is installed only when
	 * each of them is asked for (0: always). */
	unsigned only;
};

/* Features whose calls are allowed only when the VM uses them. */
enum {
	/* --vsock dir=DIR: the guest may connect to host ports, so the VMM
	 * makes Unix sockets and connects them. connect()'s address is out of
	 * a filter's sight: without dir, neither call is allowed. */
	VMM_SECCOMP_VSOCK_DIR = 1u << 0,
};

/* The allowlist, in the order it is installed. */
extern const struct vmm_seccomp_rule vmm_seccomp_rules[];
extern const size_t vmm_seccomp_nr_rules;

/*
 * Confine the calling process, all its threads included (TSYNC), to the
 * rules above (those of `features`, VMM_SECCOMP_*, and those for always), for
 * good. Call it once the VM is fully set up (guest memory,
 * KVM and vCPU file descriptors, devices, the kernel loaded, every file
 * opened) and before the vCPUs run.
 *
 * Any other system call, or a listed one with other arguments, raises SIGSYS:
 * the handler installed here prints
 *   hyrun-vmm: seccomp: blocked system call NAME (NR)
 * on stderr (with the filtered argument when the rule has one) and the
 * process dies of SIGSYS. clone3 fails with ENOSYS instead, so that glibc
 * creates threads with clone, whose flags the filter can see. A call made
 * for another architecture (int 0x80) kills the process at once.
 *
 * Returns 0, or -errno with the reason logged. Built with HY_VMM_NO_SECCOMP
 * (build/debug/hyrun-vmm, for debugging only) it installs nothing, says so
 * on stderr, and returns 0.
 */
int vmm_seccomp_install(unsigned features);

/*
 * Wrap the report line above in prefix and suffix (static strings; no quote
 * or backslash of the report needs escaping), for a stderr that has become
 * the runtime's log (vmm/callerio.h): logrus' text or a JSON object. Any
 * thread, any time.
 */
void vmm_seccomp_report_as(const char *prefix, const char *suffix);

#endif
