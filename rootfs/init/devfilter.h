/* devfilter.h: the devices every container in the guest may use, whatever its rules say.
 *
 * cgroup.c appends them after linux.resources.devices (so they win), as
 * runc and crun add theirs, and installs the whole as the container's
 * device program (common/devfilter.h).
 */
#ifndef HYRUN_ROOTFS_INIT_DEVFILTER_H
#define HYRUN_ROOTFS_INIT_DEVFILTER_H

#include "common/devfilter.h"
#include "common/guest_config.h"

/*
 * mknod of any char or block device (the node is no access by itself),
 * /dev/null, zero, full, random, urandom, tty, console, ptmx, the pty slaves
 * (major 136) and /dev/net/tun. DEVFILTER_NR_DEFAULTS of them.
 */
#define DEVFILTER_NR_DEFAULTS 12
extern const struct gc_device_rule devfilter_defaults[DEVFILTER_NR_DEFAULTS];

#endif
