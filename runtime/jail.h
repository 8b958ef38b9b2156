/* SPDX-License-Identifier: MIT */
/*
 * The jail around hyrun-vmm: namespaces, cgroup, a private tmpfs root with
 * only what the VMM needs, capabilities and no_new_privs.
 */
#ifndef HYRUN_RUNTIME_JAIL_H
#define HYRUN_RUNTIME_JAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct cgroup;

enum jail_ns_type {
	JAIL_NS_MOUNT,
	JAIL_NS_PID,
	JAIL_NS_IPC,
	JAIL_NS_UTS,
	JAIL_NS_NET,
	JAIL_NS_USER,
	JAIL_NS_CGROUP,
	JAIL_NS_NR
};

struct jail_ns {
	bool enabled;
	const char *path; /* join this one; NULL = new */
};

struct jail_idmap {
	uint32_t container_id, host_id, size;
};

/* Something the VMM needs inside its private root. */
struct jail_bind {
	const char *source; /* host path */
	const char *target; /* path inside the jail root, e.g. "/kernel", "/rootfs" */
	bool readonly;
	/* With userns_fd: an idmapped mount with that namespace's mapping, so that the
	 * VMM, root there, sees and makes files with their owners on the host. */
	bool idmap;
};

struct jail_config {
	struct jail_ns ns[JAIL_NS_NR]; /* mount is always private, even if not listed */
	struct jail_idmap *uid_map, *gid_map;
	size_t nr_uid_map, nr_gid_map;
	struct jail_bind *binds;
	size_t nr_binds;
	const char
	    *vmm_path; /* host path of hyrun-vmm, exec'd from an fd opened before pivot_root */
	char *const *vmm_argv; /* argv with jail paths */
	const int *keep_fds;   /* besides 0,1,2: inherited as they are (same numbers) */
	size_t nr_keep_fds;
	struct cgroup *cgroup; /* the child joins it before exec (NULL = none) */
	bool setsid_tty;       /* setsid() and make fd 0 the controlling terminal */
	const char *hostname;  /* set in a new UTS ns (optional) */
	uint64_t
	    keep_caps; /* bitmask of CAP_* kept (bounding, permitted, effective, inheritable) */
	/* > 2: a user namespace (jail_userns_make) the VMM enters last, after every
	 * mount, the pivot_root and the hostname, as its uid and gid 0: the jail's
	 * other namespaces stay owned by the caller's, so the VMM's capabilities
	 * count only for files whose owners that namespace maps. Not with
	 * ns[JAIL_NS_USER]. */
	int userns_fd;
	/* A procfs of the VMM's own pid namespace at /proc (hidepid=invisible,
	 * subset=pid: only the processes it may ptrace, nothing but them). */
	bool proc;
};

/*
 * A new user namespace with these mappings, as an O_RDONLY descriptor of it
 * (a child process makes it, the caller writes its maps, the child is gone
 * when this returns). -1 with err set.
 */
int jail_userns_make(const struct jail_idmap *uid_map, size_t nr_uid,
		     const struct jail_idmap *gid_map, size_t nr_gid, char *err, size_t errlen);

/*
 * Whether the directory or file at source (with everything mounted below it)
 * can be mounted idmapped with the user namespace userns_fd: 0, or -errno
 * (-EINVAL: a file system this kernel cannot idmap). fstype gets the file
 * system's name (from statfs), for messages.
 */
int jail_idmap_check(const char *source, int userns_fd, char *fstype, size_t fstypelen);

/*
 * Forks (and, with a new pid namespace, forks again so the VMM is that
 * namespace's PID 1), sets up namespaces, uid/gid maps (written by the
 * parent), cgroup, a tmpfs private root with only the binds (plus /dev/null,
 * /dev/zero, /dev/urandom, /dev/kvm, /dev/net/tun if they exist), pivot_root,
 * drops capabilities except keep_caps (libcap), PR_SET_NO_NEW_PRIVS, closes
 * all fds but 0-2 and keep_fds, then execs the VMM.
 * Returns the VMM's host pid (a child of the caller or, with a pid ns,
 * reparented: the caller should have PR_SET_CHILD_SUBREAPER set when it wants
 * to wait for it), -1 on error. Any failure in the child before exec is
 * reported back over a CLOEXEC pipe as text and returned in err; nothing is
 * left behind.
 */
pid_t jail_spawn(const struct jail_config *cfg, char *err, size_t errlen);
/*
 * Details of the contract:
 * - Namespaces: a joined user namespace first, then the other paths, then a
 *   new user namespace (the caller writes the maps; "deny" goes to setgroups
 *   only when the caller is not root), then all new ones at once. With a user
 *   namespace, uid and gid 0 must be mapped: the VMM runs as root there, and
 *   the VMM binary and bind sources must be reachable by the mapped root.
 * - A joined mount namespace is copied too: the bind sources and vmm_path are
 *   looked up in it.
 * - With userns_fd, the namespaces are made in the caller's user namespace,
 *   binds marked idmap are idmapped with userns_fd's mapping (recursively;
 *   a file system that cannot be idmapped is an error), and the VMM enters
 *   userns_fd just before exec. With proc, /proc is a procfs of its own.
 * - The private root is a small tmpfs mounted over /tmp (else /mnt, /run, ...)
 *   in the new mount namespace only, so nothing appears on the host. Every
 *   mount point is made before any bind, so none is created inside a bound
 *   host directory: a target below another bind's target must already exist
 *   in that bind's source. Binds are recursive, and restricted recursively
 *   (mount_setattr) where the kernel can: every bind nodev and nosuid (a
 *   compromised VMM can make device nodes in a share but never open them),
 *   but a device node's bind, which is read-only instead (the host's node
 *   cannot be chmod'ed or chown'ed through it); readonly ones read-only too.
 *   The root ends read-only.
 * - setsid() is called only with setsid_tty; otherwise the VMM stays in the
 *   caller's session. A hostname needs the UTS namespace enabled.
 * - The VMM's environment: PATH and the caller's HYRUN_* variables.
 * - keep_fds lose close-on-exec; every other fd (but 0-2) is closed.
 */

#endif
