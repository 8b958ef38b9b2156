/* features.c: `hyrun features`: the OCI features document (runtime-spec features.md).
 *
 * It says what hyrun really does: the namespaces, cgroup managers and hooks
 * of the host side (the jail around hyrun-vmm), and the mount options,
 * capabilities and seccomp actions, operators and architectures that
 * hyrun-init applies in the guest (rootfs/init/mounts.c).
 */
#include "runtime/runtime.h"

#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>
#include <seccomp.h>

#include "oci/linux.h"
#include "oci/spec.h"
#include "oci/state.h"
#include "runtime/defaults.h"

/* rootfs/init/mounts.c's flag, recursive, propagation and ignored options (idmap and
 * ridmap are refused: oci/spec.c). */
static const char *const mount_options[] = {
    "async",
    "atime",
    "bind",
    "copy-symlink",
    "defaults",
    "dev",
    "diratime",
    "dirsync",
    "exec",
    "mand",
    "noatime",
    "nodev",
    "nodiratime",
    "noexec",
    "nomand",
    "norelatime",
    "nostrictatime",
    "nosuid",
    "nosymfollow",
    "notmpcopyup",
    "private",
    "ratime",
    "rbind",
    "rdev",
    "rdiratime",
    "relatime",
    "remount",
    "rexec",
    "rnoatime",
    "rnodev",
    "rnodiratime",
    "rnoexec",
    "rnosuid",
    "rnosymfollow",
    "ro",
    "rprivate",
    "rrelatime",
    "rro",
    "rrw",
    "rshared",
    "rslave",
    "rstrictatime",
    "rsuid",
    "rsymfollow",
    "runbindable",
    "rw",
    "shared",
    "slave",
    "strictatime",
    "suid",
    "symfollow",
    "sync",
    "tmpcopyup",
    "unbindable",
    "z",
    "Z",
    "U",
};

/* hyrun-init maps every action but SCMP_ACT_NOTIFY (refused: no agent to notify). */
static const char *const seccomp_actions[] = {
    "SCMP_ACT_ALLOW",	    "SCMP_ACT_ERRNO", "SCMP_ACT_KILL",	"SCMP_ACT_KILL_PROCESS",
    "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG",   "SCMP_ACT_TRACE", "SCMP_ACT_TRAP",
};

static const char *const seccomp_operators[] = {
    "SCMP_CMP_EQ", "SCMP_CMP_GE",	 "SCMP_CMP_GT", "SCMP_CMP_LE",
    "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE",
};

/* linux.seccomp.flags that oci/spec.c knows, and those hyrun-init's libseccomp
 * (2.5) can set; SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs libseccomp 2.6. */
static const char *const seccomp_known_flags[] = {
    "SECCOMP_FILTER_FLAG_TSYNC",
    "SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
};
static const char *const seccomp_supported_flags[] = {
    "SECCOMP_FILTER_FLAG_TSYNC",
    "SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
};

/* The guest is x86-64: its own ABI and the two others its kernel can run. */
static const char *const seccomp_archs[] = {"SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32"};

static json_t *strings(const char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

#define STRINGS(v) strings(v, sizeof(v) / sizeof((v)[0]))

static json_t *features(void)
{
	const struct scmp_version *sv = seccomp_version();
	json_t *hooks = json_array(), *ns = json_array(), *caps = json_array(), *doc;
	char seccomp_ver[32], *desc_vcpus, *desc_mem;

	for (unsigned k = 0; k < OCI_HOOK_NR; k++)
		json_array_append_new(hooks, json_string(oci_hook_kind_name(k)));
	for (unsigned t = 0; t < OCI_NS_NR; t++)
		json_array_append_new(ns, json_string(oci_ns_name(t)));
	for (unsigned c = 0; c <= hy_cap_last(); c++)
		json_array_append_new(caps, json_string(hy_cap_name(c)));
	snprintf(seccomp_ver, sizeof(seccomp_ver), "%u.%u.%u", sv ? sv->major : 0,
		 sv ? sv->minor : 0, sv ? sv->micro : 0);
	if (asprintf(&desc_vcpus,
		     "vCPUs of the container's microVM, 1 to 32 (default: from "
		     "linux.resources.cpu, else %d)",
		     HY_VCPUS_DEFAULT) < 0)
		desc_vcpus = NULL;
	if (asprintf(&desc_mem,
		     "guest RAM in MiB, at least %d (default: memory.limit minus %d MiB, else %d)",
		     HY_MEM_MIN_MIB, HY_MEM_OVERHEAD_MIB, HY_MEM_DEFAULT_MIB) < 0)
		desc_mem = NULL;
	doc = json_pack(
	    "{s:s, s:s, s:o, s:o,"
	    " s:{s:o, s:o, s:{s:b, s:b, s:b, s:b, s:b}, s:{s:b, s:o, s:o, s:o, s:o, s:o},"
	    "    s:{s:b}, s:{s:b}, s:{s:b}, s:{s:{s:b}}},"
	    " s:{s:s, s:s, s:s, s:s, s:s, s:s}}",
	    "ociVersionMin", "1.0.0", "ociVersionMax", OCI_SPEC_VERSION, "hooks", hooks,
	    "mountOptions", STRINGS(mount_options), "linux", "namespaces", ns, "capabilities", caps,
	    "cgroup", "v1", 1, "v2", 1, "systemd", 0, "systemdUser", 0, "rdma", 0, "seccomp",
	    "enabled", 1, "actions", STRINGS(seccomp_actions), "operators",
	    STRINGS(seccomp_operators), "archs", STRINGS(seccomp_archs), "knownFlags",
	    STRINGS(seccomp_known_flags), "supportedFlags", STRINGS(seccomp_supported_flags),
	    "apparmor", "enabled", 0, "selinux", "enabled", 0, "intelRdt", "enabled", 0,
	    "mountExtensions", "idmap", "enabled", 0, "annotations", "io.hyrun.version",
	    HYRUN_VERSION, "io.hyrun.libseccomp.version", seccomp_ver, HY_ANNOTATION_VCPUS,
	    desc_vcpus ? desc_vcpus : "", HY_ANNOTATION_MEMORY, desc_mem ? desc_mem : "",
	    HY_ANNOTATION_KERNEL,
	    "host path of the guest kernel (bzImage or vmlinux) for this container",
	    "io.hyrun.runtime", "microVM (KVM) per container");
	free(desc_vcpus);
	free(desc_mem);
	return doc;
}

int cmd_features(struct rt_global *g, int argc, char **argv)
{
	json_t *doc;
	char *s;
	int c;

	c = rt_parse_help_only("features", argc, argv, 0,
			       "Usage: hyrun features\n\n"
			       "Print the OCI features document: what this runtime supports.\n");
	if (c)
		return c < 0;
	doc = features();
	s = doc ? json_dumps(doc, JSON_INDENT(4)) : NULL;
	json_decref(doc);
	if (!s) {
		rt_error("out of memory");
		return 1;
	}
	printf("%s\n", s);
	free(s);
	return fflush(stdout) == 0 ? 0 : 1;
}
