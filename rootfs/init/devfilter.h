/* devfilter.h: linux.resources.devices as a cgroup v2 device program (BPF_PROG_TYPE_CGROUP_DEVICE).
 *
 * cgroup v2 has no devices.allow file: the kernel asks a BPF program
 * attached to the cgroup (BPF_CGROUP_DEVICE) about each open() and mknod()
 * of a device node by a process in it. devfilter_build() turns the rules
 * into that program; cgroup.c loads and attaches it. Library-style: it never
 * prints, and the unit tests run its output through an interpreter.
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
#ifndef HYRUN_ROOTFS_INIT_DEVFILTER_H
#define HYRUN_ROOTFS_INIT_DEVFILTER_H

#include <stddef.h>

#include <linux/bpf.h>

#include "common/guest_config.h"

/* The kernel's limit on a program's length (BPF_MAXINSNS). */
#define DEVFILTER_MAX_INSNS 4096

/*
 * The devices every container may use whatever its rules say, appended
 * after them (so they win), as runc and crun add theirs: mknod of any char
 * or block device (the node is no access by itself), /dev/null, zero, full,
 * random, urandom, tty, console, ptmx, the pty slaves (major 136) and
 * /dev/net/tun. DEVFILTER_NR_DEFAULTS of them.
 */
#define DEVFILTER_NR_DEFAULTS 12
extern const struct gc_device_rule devfilter_defaults[DEVFILTER_NR_DEFAULTS];

/*
 * The program for `rules` (nr of them, in the configuration's order) into
 * insns (room instructions): how many it took, or -1 with the reason in err
 * (a rule with an unknown type or a number out of range, or more
 * instructions than room). Each rule takes at most 8 instructions, the
 * program 8 more.
 */
int devfilter_build(const struct gc_device_rule *rules, size_t nr, struct bpf_insn *insns,
		    size_t room, char *err, size_t errlen);

#endif
