/* pause.c: `hyrun pause` / `resume`: freeze and thaw the cgroup, and so the whole VM. */
#include "runtime/runtime.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "runtime/cgroup.h"
#include "runtime/container.h"

static int set_frozen(struct rt_global *g, const char *id, bool frozen)
{
	struct container *c;
	struct cgroup *cg;
	char err[RT_ERRLEN];
	enum oci_status status;
	int r = -1;

	if (container_open(g->root, id, CONTAINER_LOCK_EXCLUSIVE, &c, err, sizeof(err))) {
		rt_error("%s", err);
		return -1;
	}
	status = container_status(c);
	if (frozen && status != OCI_STATUS_RUNNING && status != OCI_STATUS_CREATED) {
		rt_error(status == OCI_STATUS_PAUSED ? "container already paused"
						     : "container not running");
		goto out;
	}
	if (!frozen && status != OCI_STATUS_PAUSED) {
		rt_error("container not paused");
		goto out;
	}
	if (cgroup_open(&cg, c->st.cgroups_path, c->st.id, err, sizeof(err))) {
		rt_error("cgroup: %s", err);
		goto out;
	}
	r = cgroup_freeze(cg, frozen, err, sizeof(err));
	cgroup_free(cg);
	if (r) {
		rt_error("%s: %s", frozen ? "pause" : "resume", err);
		goto out;
	}
	c->st.paused = frozen;
	r = container_save(c, err, sizeof(err));
	if (r)
		rt_error("%s", err);
out:
	container_close(c);
	return r;
}

static int verb(struct rt_global *g, int argc, char **argv, bool frozen)
{
	int r =
	    rt_parse_help_only(frozen ? "pause" : "resume", argc, argv, 1,
			       frozen ? "Usage: hyrun pause CONTAINER_ID\n\n"
					"Freeze the container's cgroup: the whole microVM stops.\n"
				      : "Usage: hyrun resume CONTAINER_ID\n\n"
					"Thaw a paused container: the microVM continues.\n");

	if (r)
		return r < 0;
	return set_frozen(g, argv[optind], frozen) ? 1 : 0;
}

int cmd_pause(struct rt_global *g, int argc, char **argv)
{
	return verb(g, argc, argv, true);
}

int cmd_resume(struct rt_global *g, int argc, char **argv)
{
	return verb(g, argc, argv, false);
}
