/* kill.c: `hyrun kill`: a signal for the workload in the guest; SIGKILL ends the VM. */
#include "runtime/runtime.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "runtime/agent.h"
#include "runtime/cgroup.h"
#include "runtime/container.h"
#include "runtime/signals.h"

static int thaw(struct container *c, char *err, size_t errlen)
{
	struct cgroup *cg;
	int r;

	if (cgroup_open(&cg, c->st.cgroups_path, c->st.id, err, errlen))
		return -1;
	r = cgroup_freeze(cg, false, err, errlen);
	cgroup_free(cg);
	if (r)
		return -1;
	c->st.paused = false;
	return container_save(c, err, errlen);
}

static int do_kill(struct rt_global *g, const char *id, int sig, bool all)
{
	struct container *c;
	struct agent_request req;
	char err[RT_ERRLEN];
	enum oci_status status;
	int r = -1;

	if (container_open(g->root, id, CONTAINER_LOCK_EXCLUSIVE, &c, err, sizeof(err))) {
		rt_error("%s", err);
		return -1;
	}
	status = container_status(c);
	if (status == OCI_STATUS_STOPPED || status == OCI_STATUS_CREATING) {
		rt_error("container not running");
		goto out;
	}
	if (sig == SIGKILL) {
		/* The VM is the container: killing hyrun-vmm ends every process in it. A
		 * frozen process only dies once thawed (cgroup v1). */
		if (kill(c->st.pid, SIGKILL) < 0) {
			rt_error("kill %d: %s", (int)c->st.pid, strerror(errno));
			goto out;
		}
		if (status == OCI_STATUS_PAUSED && thaw(c, err, sizeof(err)))
			rt_warn("resuming the killed container: %s", err);
		r = 0;
		goto out;
	}
	if (status == OCI_STATUS_PAUSED) {
		rt_error("cannot send %s to a paused container: resume it first (SIGKILL works)",
			 signal_name(sig) ? signal_name(sig) : "the signal");
		goto out;
	}
	req = (struct agent_request){.op = AGENT_OP_SIGNAL, .sig = sig, .all = all};
	if (agent_start_or_signal(c, &req, err, sizeof(err))) {
		/*
		 * The container was running when the request went out. A workload
		 * that exits on the signal powers the guest off, and the VMM may
		 * end before its answer is written: the signal was delivered. So
		 * a VMM that is gone, or goes within two seconds, means done.
		 */
		if (container_wait_vmm(c, 2000)) {
			rt_error("kill: %s", err);
			goto out;
		}
	}
	r = 0;
out:
	container_close(c);
	return r;
}

int cmd_kill(struct rt_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"all", no_argument, NULL, 'a'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	bool all = false;
	int c, sig = SIGTERM;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+ah", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			all = true;
			break;
		case 'h':
			printf("Usage: hyrun kill [--all] CONTAINER_ID [SIGNAL]\n\n"
			       "Send SIGNAL (default SIGTERM; a name with or without SIG, or a\n"
			       "number) to the container's workload in the guest; with --all to\n"
			       "every process of the container. SIGKILL ends the microVM.\n");
			return 0;
		default:
			rt_error("kill: unknown option '%s'", argv[optind - 1]);
			return 1;
		}
	}
	if (argc - optind < 1 || argc - optind > 2) {
		rt_error("\"kill\" requires 1 or 2 arguments: CONTAINER_ID [SIGNAL]");
		return 1;
	}
	if (argc - optind == 2) {
		sig = signal_parse(argv[optind + 1]);
		if (sig < 0) {
			rt_error("invalid signal \"%s\"", argv[optind + 1]);
			return 1;
		}
	}
	return do_kill(g, argv[optind], sig, all) ? 1 : 0;
}
