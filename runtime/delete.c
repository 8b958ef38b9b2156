/* delete.c: `hyrun delete`: the VM, its cgroup and its state directory go; poststop hooks. */
#include "runtime/lifecycle.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/cgroup.h"
#include "runtime/container.h"
#include "runtime/defaults.h"
#include "runtime/hooks.h"
#include "runtime/idpool.h"
#include "runtime/network.h"

/* The host id range of the VMM's user namespace (HY_IDS_FILE) goes back to the pool. */
static void release_ids(struct container *c)
{
	char buf[32], owner[PATH_MAX];
	unsigned long slot;

	if (rt_read_at(c->dirfd, HY_IDS_FILE, buf, sizeof(buf)) <= 0 || !realpath(c->dir, owner))
		return;
	slot = strtoul(buf, NULL, 10);
	idpool_release(IDPOOL_DIR, owner, (unsigned)slot);
}

int container_delete(struct rt_global *g, const char *id, bool force)
{
	struct container *c;
	struct cgroup *cg;
	struct oci_spec spec = {0};
	struct oci_linux l = {0};
	char err[RT_ERRLEN], path[4096];
	enum oci_status status;
	bool have_hooks;
	int r;

	r = container_open(g->root, id, CONTAINER_LOCK_EXCLUSIVE, &c, err, sizeof(err));
	if (r == -ENOENT && force) {
		/* Nothing, or the directory of a create that was killed early. */
		container_remove_stale(g->root, id);
		return 0;
	}
	if (r) {
		rt_error("%s", err);
		return -1;
	}
	status = container_status(c);
	/* As runc: a created container is deleted without --force (the containerd shim
	 * does that for a container that never started). */
	if ((status == OCI_STATUS_RUNNING || status == OCI_STATUS_PAUSED) && !force) {
		rt_error("cannot delete container %s that is not stopped: %s", id,
			 oci_status_name(status));
		container_close(c);
		return -1;
	}
	if (container_vmm_alive(c)) {
		kill(c->st.pid, SIGKILL);
		rt_debug("killed hyrun-vmm (pid %d)", (int)c->st.pid);
	}
	r = cgroup_open(&cg, c->st.cgroups_path, id, err, sizeof(err));
	if (r == 0) {
		/* A frozen VMM only dies once thawed. */
		if (status == OCI_STATUS_PAUSED && cgroup_freeze(cg, false, err, sizeof(err)))
			rt_warn("thawing the cgroup: %s", err);
	} else {
		cg = NULL;
		rt_debug("cgroup: %s", err);
	}
	if (container_wait_vmm(c, HY_KILL_WAIT_S * 1000))
		rt_warn("hyrun-vmm (pid %d) is still there %d s after SIGKILL", (int)c->st.pid,
			HY_KILL_WAIT_S);
	/* The taps went with the VMM; the filters and qdiscs create added go now. */
	if (network_unwire_saved(c->dirfd, err, sizeof(err)))
		rt_warn("network: %s", err);
	if (cg) {
		if (cgroup_destroy(cg) < 0)
			rt_warn("removing the cgroup %s failed", cgroup_path(cg));
		cgroup_free(cg);
	}
	release_ids(c);
	snprintf(path, sizeof(path), "%s/%s", c->dir, HY_CONFIG_FILE);
	have_hooks = lifecycle_load_spec(path, &spec, &l, err, sizeof(err)) == 0;
	if (!have_hooks)
		rt_debug("no poststop hooks: %s", err);
	r = 0;
	if (container_remove(c, err, sizeof(err))) {
		rt_error("%s", err);
		r = -1;
	}
	if (have_hooks)
		if (hooks_run(&l, OCI_HOOK_POSTSTOP, &c->st, OCI_STATUS_STOPPED, true, rt_log_msg,
			      err, sizeof(err)))
			rt_warn("%s", err);
	oci_linux_free(&l);
	oci_spec_free(&spec);
	container_close(c);
	return r;
}

int cmd_delete(struct rt_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"force", no_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	bool force = false;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+fh", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			force = true;
			break;
		case 'h':
			printf("Usage: hyrun delete [--force] CONTAINER_ID\n\n"
			       "Delete a stopped (or created) container: its microVM, cgroup and\n"
			       "state. --force kills a running one first.\n");
			return 0;
		default:
			rt_error("delete: unknown option '%s'", argv[optind - 1]);
			return 1;
		}
	}
	if (rt_want_args("delete", argc, optind, 1))
		return 1;
	return container_delete(g, argv[optind], force) ? 1 : 0;
}
