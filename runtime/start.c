/* start.c: `hyrun start`: startContainer hooks, the network that appeared since create,
 * release the workload, poststart hooks. */
#include "runtime/lifecycle.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "runtime/agent.h"
#include "runtime/container.h"
#include "runtime/defaults.h"
#include "runtime/hooks.h"
#include "runtime/network.h"

/*
 * The "start" request, with the network an engine put in the VM's namespace since
 * create (ctr run --cni, a prestart hook) wired to the standby NICs, when the
 * container has them (network.h). A start that fails takes the wiring back.
 */
static int release(struct container *c, char *err, size_t errlen)
{
	struct agent_request req = {.op = AGENT_OP_START};
	struct rt_network net;
	char msg[RT_ERRLEN], *config = NULL;
	int r;

	if (!container_vmm_alive(c))
		return hy_err(err, errlen, -ESRCH, "hyrun-vmm (pid %d) has ended", (int)c->st.pid);
	r = network_wire_start(c->dirfd, c->st.pid, &net, &config, msg, sizeof(msg));
	if (r)
		return hy_err(err, errlen, r, "network: %s", msg);
	if (config) {
		req.config = config;
		req.config_len = strlen(config);
		/* Only the agent channel carries a network to the guest. */
		r = agent_request(c, &req, NULL, err, errlen);
	} else {
		r = agent_start_or_signal(c, &req, err, errlen);
	}
	free(config);
	if (r && network_unwire_start(&net, msg, sizeof(msg)))
		rt_warn("network: %s", msg);
	return r;
}

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
	if (hooks_run(&l, OCI_HOOK_START_CONTAINER, &c->st, hooks_status(OCI_HOOK_START_CONTAINER),
		      hooks_warn_only(OCI_HOOK_START_CONTAINER), rt_log_msg, err, sizeof(err))) {
		/* runtime-spec: a failed startContainer hook stops the container. */
		rt_error("%s", err);
		kill(c->st.pid, SIGKILL);
		goto out;
	}
	if (release(c, err, sizeof(err))) {
		rt_error("start: %s", err);
		goto out;
	}
	c->st.status = OCI_STATUS_RUNNING;
	if (container_save(c, err, sizeof(err))) {
		rt_error("%s", err);
		goto out;
	}
	/*
	 * The agent answers "start" once the workload has been exec'd, so
	 * poststart follows the runtime-spec's step 8; a start that failed or
	 * timed out runs none. (Through the control socket, for a guest without
	 * vsock, the answer only says the start was passed on.) A failure is a
	 * warning (runtime-spec 1.1): the other hooks run, and the container
	 * goes on as if it had succeeded.
	 */
	if (hooks_run(&l, OCI_HOOK_POSTSTART, &c->st, hooks_status(OCI_HOOK_POSTSTART),
		      hooks_warn_only(OCI_HOOK_POSTSTART), rt_log_msg, err, sizeof(err)))
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
