/* container.h: the workload's root, mounts and process from the guest configuration. */
#ifndef HYRUN_ROOTFS_INIT_CONTAINER_H
#define HYRUN_ROOTFS_INIT_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>

#include "common/guest_config.h"

struct container_error {
	int status; /* HY_INIT_STATUS_* */
	int err;    /* errno of the failed step, or 0 */
	char msg[1024];
};

struct container_opts {
	/*
	 * Self-test mode: guest paths resolve under `root`; a share with tag T
	 * is the directory `test_shares`/T, bind-mounted instead of virtiofs;
	 * the child also gets its own UTS namespace and sysctls are skipped,
	 * so nothing of the machine running the test changes.
	 */
	bool test;
	const char *root;	 /* "" in a VM */
	const char *test_shares; /* self-test mode only */
	bool debug;
	int log_fd; /* hyrun-init's console, for debug messages */
	/* Called just before the first step a seccomp profile could forbid:
	 * the boot mark and giving up the I/O ports. */
	void (*before_seccomp)(void);
	/* Optional: called in the new root once its mounts are made, still as
	 * root and before user, capabilities and seccomp: the terminal. 0, or
	 * -1 with *e filled in. */
	int (*setup_terminal)(struct container_error *e);
	/* Optional: called last, right before execve() (seccomp is loaded by
	 * then): holds the workload until it may run. */
	void (*before_exec)(void);
};

/*
 * In the forked workload child (stdio already on the ports): hostname and
 * domainname, then a private mount namespace, the root built from the
 * shares and mounts (mounts_build_root(): linux.devices, the cwd, the
 * read-only and masked paths, the root's propagation and read-only flag
 * too), entered, and process applied (the personality, scheduler and I/O
 * priority before the user and the filter); HOME added to process.env when
 * it has none. Returns only on failure, with *e filled in.
 */
void container_exec(const struct guest_config *gc, const struct container_opts *o,
		    struct container_error *e);

/*
 * In a forked child that is in the container's root already (an exec'd
 * process: the workload's mount namespace and root joined, stdio in place):
 * oomScoreAdj, rlimits, then what container_exec() does after the mounts
 * (terminal, HOME when process.env has none, personality, scheduler, I/O
 * priority, user, capabilities, umask, cwd, noNewPrivileges, seccomp, the
 * PATH search, execve()); a missing cwd is an
 * error, as with runc exec. Hostname, sysctls and mounts are the workload's
 * business and not touched. Returns only on failure, with *e filled in.
 */
void container_exec_process(const struct guest_config *gc, const struct container_opts *o,
			    struct container_error *e);

/*
 * `name` looked up as execvp() does in the colon-separated `path` (an empty
 * entry is the current directory): 0 with the file in buf (len bytes), or
 * EACCES (found, not executable) or ENOENT.
 */
int container_path_search(const char *path, const char *name, char *buf, size_t len);

#endif
