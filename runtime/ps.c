/* ps.c: `hyrun ps`: the container's processes in its guest, or its host pids (ps.h). */
#include "runtime/ps.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "runtime/agent.h"
#include "runtime/cgroup.h"
#include "runtime/container.h"
#include "runtime/runtime.h"

void ps_format_time(uint64_t cs, char *buf, size_t len)
{
	uint64_t s = cs / 100, days = s / 86400;

	s %= 86400;
	if (days)
		snprintf(buf, len, "%" PRIu64 "-%02u:%02u:%02u", days, (unsigned)(s / 3600),
			 (unsigned)(s / 60 % 60), (unsigned)(s % 60));
	else
		snprintf(buf, len, "%02u:%02u:%02u", (unsigned)(s / 3600), (unsigned)(s / 60 % 60),
			 (unsigned)(s % 60));
}

bool ps_arg_accepted(const char *arg)
{
	static const char *const ok[] = {"-e",	 "-f", "-ef", "-fe", "-A", "-Af", "-fA", "aux",
					 "-aux", "ax", "axu", "-a",  "a",  "x",	  "-x"};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!strcmp(arg, ok[i]))
			return true;
	return false;
}

void ps_sanitize(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

/* The host pids in the container's cgroup: hyrun-vmm and the exec proxies. */
static int host_pids(struct container *c)
{
	struct cgroup *cg;
	char err[RT_ERRLEN];
	pid_t *pids = NULL;
	json_t *arr;
	size_t n = 0;
	char *s;

	if (cgroup_open(&cg, c->st.cgroups_path, c->st.id, err, sizeof(err))) {
		rt_error("cgroup: %s", err);
		return -1;
	}
	if (cgroup_pids(cg, &pids, &n) < 0) {
		rt_error("cgroup %s: cannot list its processes", cgroup_path(cg));
		cgroup_free(cg);
		return -1;
	}
	cgroup_free(cg);
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		json_array_append_new(arr, json_integer(pids[i]));
	free(pids);
	s = arr ? json_dumps(arr, JSON_COMPACT) : NULL;
	json_decref(arr);
	if (!s) {
		rt_error("out of memory");
		return -1;
	}
	printf("%s\n", s);
	free(s);
	return 0;
}

static int guest_table(struct container *c)
{
	struct agent_request req = {.op = AGENT_OP_PS};
	struct agent_reply rep = {0};
	enum oci_status status = container_status(c);
	char err[RT_ERRLEN];

	if (status == OCI_STATUS_STOPPED || status == OCI_STATUS_CREATING) {
		rt_error("container not running");
		return -1;
	}
	if (status == OCI_STATUS_PAUSED) {
		rt_error("ps: the container is paused: its guest answers once it is resumed "
			 "(--format json lists the host pids)");
		return -1;
	}
	if (agent_request(c, &req, &rep, err, sizeof(err))) {
		if (!container_vmm_alive(c))
			rt_error("container not running");
		else
			rt_error("ps: %s", err);
		return -1;
	}
	if (!rep.has_processes) {
		rt_error("ps: the guest's reply holds no process list");
		agent_reply_free(&rep);
		return -1;
	}
	printf("%-8s %-8s %-8s %-4s %-11s %s\n", "UID", "PID", "PPID", "STAT", "TIME", "CMD");
	for (size_t i = 0; i < rep.nr_processes; i++) {
		struct agent_process *p = &rep.processes[i];
		char t[32];

		ps_format_time(p->time, t, sizeof(t));
		ps_sanitize(p->stat);
		ps_sanitize(p->cmd);
		printf("%-8" PRIu32 " %-8d %-8d %-4s %-11s %s\n", p->uid, p->pid, p->ppid, p->stat,
		       t, p->cmd);
	}
	agent_reply_free(&rep);
	return 0;
}

int cmd_ps(struct rt_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"format", required_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct container *c;
	char err[RT_ERRLEN];
	bool json = false;
	int ch, r;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:f:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			if (rt_parse_format(optarg, &json))
				return 1;
			break;
		case 'h':
			printf(
			    "Usage: hyrun ps [--format table|json] CONTAINER_ID [PS OPTIONS]\n\n"
			    "table (the default): the container's processes inside its guest,\n"
			    "as the guest sees them:\n"
			    "  UID PID PPID STAT TIME CMD\n"
			    "with the guest's uids and pids, STAT the state letter (R, S, D, "
			    "Z...),\n"
			    "TIME the CPU time used as [DD-]HH:MM:SS and CMD the command line.\n"
			    "json: a JSON array of the HOST pids of the container: hyrun-vmm and\n"
			    "the proxies of `hyrun exec` processes, the processes an engine can\n"
			    "signal on the host (not the guest's).\n"
			    "PS OPTIONS: runc passes them to ps(1); hyrun has none to run in the\n"
			    "guest, so it accepts -e, -f, -ef, -A, aux and the like and ignores\n"
			    "them, and refuses any other.\n");
			return 0;
		case ':':
			rt_error("ps: option '%s' needs a value", argv[optind - 1]);
			return 1;
		default:
			rt_error("ps: unknown option or missing value '%s'", argv[optind - 1]);
			return 1;
		}
	}
	if (argc - optind < 1) {
		rt_error("\"ps\" requires a minimum of 1 argument (see hyrun ps --help)");
		return 1;
	}
	for (int i = optind + 1; i < argc; i++)
		if (!ps_arg_accepted(argv[i])) {
			rt_error("ps: ps(1) options are not supported (\"%s\"): the processes are "
				 "in the guest, and hyrun ps prints UID PID PPID STAT TIME CMD; "
				 "-ef, aux and the like are accepted and ignored",
				 argv[i]);
			return 1;
		}
	if (container_open(g->root, argv[optind], CONTAINER_LOCK_READ, &c, err, sizeof(err))) {
		rt_error("%s", err);
		return 1;
	}
	r = json ? host_pids(c) : guest_table(c);
	if (!r && fflush(stdout))
		r = -1;
	container_close(c);
	return r ? 1 : 0;
}
