/* devfilter.h: device rules as a cgroup v2 device program (BPF_PROG_TYPE_CGROUP_DEVICE).
 *
 * cgroup v2 has no devices.allow file: the kernel asks a BPF program
 * attached to the cgroup (BPF_CGROUP_DEVICE) about each open() and mknod()
 * of a device node by a process in it. devfilter_build() turns the rules
 * into that program; devfilter_install() loads and attaches it. Two users:
 * hyrun-init (linux.resources.devices on the container's cgroup in the
 * guest) and the runtime (the VMM's cgroup on the host). Library-style: it
 * never prints, and the unit tests run its output through an interpreter.
 *
 * What the program decides, for a request on a device (its type, major and
 * minor) with a set of accesses (read, write, mknod):
 *   - each access on its own: the last rule that matches the device (type
 *     'a' matches char and block devices, a major or minor of -1 any) and
 *     names that access decides it, allow or deny;
 *   - an access no matching rule names is denied (a filter is an
 *     allow-list, as runc's is on cgroup v2);
 *   - the request is allowed when each of its accesses is.
 * A rule that names no access decides nothing. This is runc's and crun's
 * "last matching rule wins", taken per access: a rule denying "w" also
 * stops an open for reading and writing, which a rule matched only when it
 * names every requested access would let a broader earlier allow through.
 *
 * The kernel's context (include/uapi/linux/bpf.h, struct bpf_cgroup_dev_ctx):
 *   u32 access_type   (BPF_DEVCG_ACC_* << 16) | BPF_DEVCG_DEV_*
 *   u32 major, minor
 * at offsets 0, 4 and 8, read with 32-bit loads (the verifier refuses
 * others); the program returns 1 to allow, 0 to deny (EPERM).
 */
#ifndef HYRUN_COMMON_DEVFILTER_H
#define HYRUN_COMMON_DEVFILTER_H

#include <stddef.h>

#include <linux/bpf.h>

#include "common/guest_config.h"

/* The kernel's limit on a program's length (BPF_MAXINSNS). */
#define DEVFILTER_MAX_INSNS 4096

/*
 * The program for `rules` (nr of them, in the configuration's order) into
 * insns (room instructions): how many it took, or -1 with the reason in err
 * (a rule with an unknown type or a number out of range, or more
 * instructions than room). Each rule takes at most 8 instructions, the
 * program 8 more.
 */
int devfilter_build(const struct gc_device_rule *rules, size_t nr, struct bpf_insn *insns,
		    size_t room, char *err, size_t errlen);

/*
 * The program for `rules` built, loaded and attached to the cgroup v2
 * directory cgroup_fd (BPF_CGROUP_DEVICE) with `flags` (0, or
 * BPF_F_ALLOW_MULTI so that programs attached by others, on this cgroup
 * and its ancestors, still apply). The program's descriptor is closed: the
 * attachment holds the program for as long as the cgroup exists. Returns
 * the program's length in instructions, or -errno with the step that
 * failed in err: devfilter_build's message, "load the device program (N
 * instructions): <error>[: verifier: <the log's last lines>]" or "attach
 * the device program: <error>".
 */
int devfilter_install(int cgroup_fd, const struct gc_device_rule *rules, size_t nr, unsigned flags,
		      char *err, size_t errlen);

/*
 * Loads insns (n of them) as a BPF_PROG_TYPE_CGROUP_DEVICE program: its
 * descriptor, or -errno with "load the device program ..." in err, as above.
 */
int devfilter_load(const struct bpf_insn *insns, int n, char *err, size_t errlen);

#endif
