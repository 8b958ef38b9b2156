/* seccomp.c: the workload's seccomp filter, built with libseccomp. */
#include <ctype.h>
#include <errno.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "common/agent_proto.h"
#include "common/cleanup.h"
#include "rootfs/init/container_int.h"

static uint32_t seccomp_action(enum hy_seccomp_action a, bool has_errno, unsigned errno_ret)
{
	switch (a) {
	case HY_SECCOMP_KILL:
	case HY_SECCOMP_KILL_THREAD:
		return SCMP_ACT_KILL_THREAD;
	case HY_SECCOMP_KILL_PROCESS:
		return SCMP_ACT_KILL_PROCESS;
	case HY_SECCOMP_TRAP:
		return SCMP_ACT_TRAP;
	case HY_SECCOMP_ERRNO:
		return SCMP_ACT_ERRNO(has_errno ? errno_ret : EPERM);
	case HY_SECCOMP_TRACE:
		return SCMP_ACT_TRACE(has_errno ? errno_ret : EPERM);
	case HY_SECCOMP_LOG:
		return SCMP_ACT_LOG;
	case HY_SECCOMP_ALLOW:
	case HY_SECCOMP_NOTIFY:
		break;
	}
	return SCMP_ACT_ALLOW;
}

static const enum scmp_compare seccomp_ops[] = {
    [HY_SECCOMP_OP_NE] = SCMP_CMP_NE,
    [HY_SECCOMP_OP_LT] = SCMP_CMP_LT,
    [HY_SECCOMP_OP_LE] = SCMP_CMP_LE,
    [HY_SECCOMP_OP_EQ] = SCMP_CMP_EQ,
    [HY_SECCOMP_OP_GE] = SCMP_CMP_GE,
    [HY_SECCOMP_OP_GT] = SCMP_CMP_GT,
    [HY_SECCOMP_OP_MASKED_EQ] = SCMP_CMP_MASKED_EQ,
};

static int add_rule(scmp_filter_ctx ctx, uint32_t action, int nr,
		    const struct gc_seccomp_rule *rule)
{
	struct scmp_arg_cmp cmp[6];
	bool repeated = false;
	int r;

	for (size_t i = 0; i < rule->nr_args; i++)
		for (size_t j = 0; j < i; j++)
			repeated |= rule->args[i].index == rule->args[j].index;
	for (size_t i = 0; i < rule->nr_args && i < ARRAY_SIZE(cmp); i++)
		cmp[i] = (struct scmp_arg_cmp){
		    .arg = rule->args[i].index,
		    .op = seccomp_ops[rule->args[i].op],
		    .datum_a = rule->args[i].value,
		    .datum_b = rule->args[i].value_two,
		};
	if (!repeated)
		return seccomp_rule_add_array(
		    ctx, action, nr, (unsigned)(rule->nr_args < 6 ? rule->nr_args : 6), cmp);
	/* Conditions on the same argument cannot be ANDed in one libseccomp
	 * rule; like other runtimes, each becomes a rule of its own (OR). */
	for (size_t i = 0; i < rule->nr_args && i < ARRAY_SIZE(cmp); i++) {
		r = seccomp_rule_add_array(ctx, action, nr, 1, &cmp[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * linux.seccomp.flags as libseccomp's filter attributes. libseccomp refuses
 * an attribute the running kernel lacks (its API level); one this
 * libseccomp has no attribute for cannot be set at all. Either stops the
 * container: the runtime-spec asks for the flags to hold.
 */
static int set_flags(scmp_filter_ctx ctx, uint32_t flags, struct container_error *e)
{
	static const struct {
		uint32_t flag;
		enum scmp_filter_attr attr;
	} attrs[] = {
		{GC_SECCOMP_FLAG_TSYNC, SCMP_FLTATR_CTL_TSYNC},
		{GC_SECCOMP_FLAG_LOG, SCMP_FLTATR_CTL_LOG},
		{GC_SECCOMP_FLAG_SPEC_ALLOW, SCMP_FLTATR_CTL_SSB},
#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 6)
		{GC_SECCOMP_FLAG_WAIT_KILLABLE_RECV, SCMP_FLTATR_CTL_WAITKILL},
#endif
	};

	for (unsigned b = 0; b < 32; b++) {
		uint32_t flag = 1u << b;
		const char *name = gc_seccomp_flag_name(flag);
		size_t i;
		int r;

		if (!(flags & flag))
			continue;
		for (i = 0; i < ARRAY_SIZE(attrs) && attrs[i].flag != flag; i++)
			;
		if (i == ARRAY_SIZE(attrs))
			return container_fail(e, HY_INIT_STATUS_SETUP, EOPNOTSUPP,
					      "linux.seccomp.flags: %s cannot be set by this "
					      "hyrun-init's libseccomp (%d.%d.%d)",
					      name ? name : "?", SCMP_VER_MAJOR, SCMP_VER_MINOR,
					      SCMP_VER_MICRO);
		r = seccomp_attr_set(ctx, attrs[i].attr, 1);
		if (r < 0)
			return container_fail(e, HY_INIT_STATUS_SETUP, -r,
					      "linux.seccomp.flags: %s: the guest kernel or "
					      "libseccomp cannot set it: %s",
					      name, strerror(-r));
	}
	return 0;
}

static void arch_token(const char *spec_name, char *buf, size_t len)
{
	const char *p = spec_name + strlen("SCMP_ARCH_");
	size_t i;

	for (i = 0; p[i] && i + 1 < len; i++)
		buf[i] = (char)tolower((unsigned char)p[i]);
	buf[i] = '\0';
}

/* Build and load the filter. Without noNewPrivileges it is loaded while the
 * process still has CAP_SYS_ADMIN, and must not set no_new_privs itself. */
int container_load_seccomp(const struct guest_config *gc, struct container_error *e)
{
	const struct gc_seccomp *sc = gc->seccomp;
	uint32_t def =
	    seccomp_action(sc->default_action, sc->has_default_errno_ret, sc->default_errno_ret);
	scmp_filter_ctx ctx;
	int r;

	if (sc->default_action == HY_SECCOMP_NOTIFY)
		return container_fail(
		    e, HY_INIT_STATUS_SETUP, EINVAL,
		    "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY is not supported");
	ctx = seccomp_init(def);
	if (!ctx)
		return container_fail(e, HY_INIT_STATUS_SETUP, EINVAL,
				      "linux.seccomp: seccomp_init failed");
	if (!gc->no_new_privileges)
		seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (sc->flags && set_flags(ctx, sc->flags, e) < 0) {
		seccomp_release(ctx);
		return -1;
	}
	for (size_t i = 0; i < sc->nr_architectures; i++) {
		char name[32];
		uint32_t arch;

		arch_token(sc->architectures[i], name, sizeof(name));
		arch = seccomp_arch_resolve_name(name);
		if (!arch) {
			container_dbg("hyrun-init: seccomp architecture %s unknown to libseccomp",
				      sc->architectures[i]);
			continue;
		}
		r = seccomp_arch_add(ctx, arch);
		if (r < 0 && r != -EEXIST)
			container_dbg("hyrun-init: seccomp architecture %s: %s",
				      sc->architectures[i], strerror(-r));
	}
	for (size_t i = 0; i < sc->nr_syscalls; i++) {
		const struct gc_seccomp_rule *rule = &sc->syscalls[i];
		uint32_t action =
		    seccomp_action(rule->action, rule->has_errno_ret, rule->errno_ret);

		if (rule->action == HY_SECCOMP_NOTIFY) {
			seccomp_release(ctx);
			return container_fail(
			    e, HY_INIT_STATUS_SETUP, EINVAL,
			    "linux.seccomp.syscalls[%zu].action: SCMP_ACT_NOTIFY is "
			    "not supported",
			    i);
		}
		/* libseccomp refuses a rule that repeats the default action. */
		if (action == def)
			continue;
		for (size_t n = 0; n < rule->nr_names; n++) {
			int nr = seccomp_syscall_resolve_name(rule->names[n]);

			/* Names this libseccomp or architecture does not know
			 * are skipped, as other runtimes do. */
			if (nr == __NR_SCMP_ERROR)
				continue;
			r = add_rule(ctx, action, nr, rule);
			if (r < 0) {
				seccomp_release(ctx);
				return container_fail(
				    e, HY_INIT_STATUS_SETUP, -r,
				    "linux.seccomp.syscalls[%zu]: rule for '%s': %s", i,
				    rule->names[n], strerror(-r));
			}
		}
	}
	r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r < 0)
		return container_fail(e, HY_INIT_STATUS_SETUP, -r,
				      "linux.seccomp: loading the filter%s: %s",
				      sc->flags ? " (with linux.seccomp.flags)" : "", strerror(-r));
	return 0;
}
