/* start.c: `hyrun start`: startContainer hooks, release the workload, poststart hooks. */
#include "runtime/lifecycle.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "runtime/agent.h"
#include "runtime/container.h"
#include "runtime/defaults.h"
#include "runtime/hooks.h"

int container_start(struct rt_global *g, const char *id)
{
	struct container *c = NULL;
	struct oci_spec spec = {0};
	struct oci_linux l = {0};
	char err[RT_ERRLEN], path[4096];
	int r = -1;

	if (container_open(g->root, id, CONTAINER_LOCK_EXCLUSIVE, &c, err, sizeof(err))) {
		rt_error("%s", err);
		return -1;
	}
	switch (container_status(c)) {
	case OCI_STATUS_CREATED:
		break;
	case OCI_STATUS_RUNNING:
	case OCI_STATUS_PAUSED:
		rt_error("cannot start an already running container");
		goto out;
	case OCI_STATUS_STOPPED:
		rt_error("cannot start a container that has stopped");
		goto out;
	case OCI_STATUS_CREATING:
		rt_error("cannot start a container that is still being created");
		goto out;
	}
	snprintf(path, sizeof(path), "%s/%s", c->dir, HY_CONFIG_FILE);
	if (lifecycle_load_spec(path, &spec, &l, err, sizeof(err))) {
		rt_error("%s", err);
		goto out;
	}
	if (hooks_run(&l, OCI_HOOK_START_CONTAINER, &c->st, OCI_STATUS_CREATED, false, rt_log_msg,
		      err, sizeof(err))) {
		/* runtime-spec: a failed startContainer hook stops the container. */
		rt_error("%s", err);
		kill(c->st.pid, SIGKILL);
		goto out;
	}
	if (agent_start_or_signal(c, &(struct agent_request){.op = AGENT_OP_START}, err,
				  sizeof(err))) {
		rt_error("start: %s", err);
		goto out;
	}
	c->st.status = OCI_STATUS_RUNNING;
	if (container_save(c, err, sizeof(err))) {
		rt_error("%s", err);
		goto out;
	}
	if (hooks_run(&l, OCI_HOOK_POSTSTART, &c->st, OCI_STATUS_RUNNING, true, rt_log_msg, err,
		      sizeof(err)))
		rt_warn("%s", err);
	r = 0;
out:
	oci_linux_free(&l);
	oci_spec_free(&spec);
	container_close(c);
	return r;
}

int cmd_start(struct rt_global *g, int argc, char **argv)
{
	int r = rt_parse_help_only("start", argc, argv, 1,
				   "Usage: hyrun start CONTAINER_ID\n\n"
				   "Start a created container: run the workload the guest has "
				   "prepared.\n");

	if (r)
		return r < 0;
	return container_start(g, argv[optind]) ? 1 : 0;
}
