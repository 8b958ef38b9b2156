/* ps.c: `hyrun ps`: the host processes in the container's cgroup (hyrun-vmm). */
#include "runtime/runtime.h"

#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "runtime/cgroup.h"
#include "runtime/container.h"

static void proc_cmdline(pid_t pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	buf[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0) {
		buf[0] = '\0';
		return;
	}
	buf[n] = '\0';
	for (ssize_t i = 0; i < n - 1; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
}

static void proc_ids(pid_t pid, unsigned *uid, int *ppid)
{
	char path[64], buf[1024];
	FILE *f;

	*uid = 0;
	*ppid = 0;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(buf, sizeof(buf), f)) {
		if (strncmp(buf, "Uid:", 4) == 0)
			*uid = (unsigned)strtoul(buf + 4, NULL, 10);
		else if (strncmp(buf, "PPid:", 5) == 0)
			*ppid = (int)strtol(buf + 5, NULL, 10);
	}
	fclose(f);
}

int cmd_ps(struct rt_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"format", required_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct container *c;
	struct cgroup *cg;
	char err[RT_ERRLEN];
	bool json = false;
	pid_t *pids = NULL;
	size_t n = 0;
	int ch, r = 1;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+f:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			if (rt_parse_format(optarg, &json))
				return 1;
			break;
		case 'h':
			printf("Usage: hyrun ps [--format table|json] CONTAINER_ID\n\n"
			       "The host processes of the container (hyrun-vmm and any helper in\n"
			       "its cgroup); --format json prints their pids as a JSON array.\n"
			       "The workload's own processes live in the guest.\n");
			return 0;
		default:
			rt_error("ps: unknown option or missing value '%s'", argv[optind - 1]);
			return 1;
		}
	}
	if (rt_want_args("ps", argc, optind, 1))
		return 1;
	if (container_open(g->root, argv[optind], CONTAINER_LOCK_READ, &c, err, sizeof(err))) {
		rt_error("%s", err);
		return 1;
	}
	if (cgroup_open(&cg, c->st.cgroups_path, c->st.id, err, sizeof(err))) {
		rt_error("cgroup: %s", err);
		goto out;
	}
	if (cgroup_pids(cg, &pids, &n) < 0) {
		rt_error("cgroup %s: cannot list its processes", cgroup_path(cg));
		cgroup_free(cg);
		goto out;
	}
	cgroup_free(cg);
	if (json) {
		json_t *arr = json_array();
		char *s;

		for (size_t i = 0; arr && i < n; i++)
			json_array_append_new(arr, json_integer(pids[i]));
		s = arr ? json_dumps(arr, JSON_COMPACT) : NULL;
		json_decref(arr);
		if (!s) {
			rt_error("out of memory");
			goto out;
		}
		printf("%s\n", s);
		free(s);
	} else {
		printf("%-8s %-8s %-8s %s\n", "UID", "PID", "PPID", "CMD");
		for (size_t i = 0; i < n; i++) {
			char cmd[512];
			unsigned uid;
			int ppid;

			proc_cmdline(pids[i], cmd, sizeof(cmd));
			proc_ids(pids[i], &uid, &ppid);
			printf("%-8u %-8d %-8d %s\n", uid, (int)pids[i], ppid, cmd);
		}
	}
	r = fflush(stdout) == 0 ? 0 : 1;
out:
	free(pids);
	container_close(c);
	return r;
}
