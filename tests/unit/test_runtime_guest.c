/* test_runtime_guest.c: ps, events and update, the verbs that ask the guest, against a
 * fake agent on the container's vsock.sock and a state directory made by hand. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/agent_msg.h"
#include "common/agent_proto.h"
#include "common/fdio.h"
#include "runtime/cgroup.h"
#include "runtime/container.h"
#include "runtime/runtime.h"

#define ID "guest-1"

static char root[64], dir[80], out_path[160];
static pid_t vmm = -1;
static struct cgroup *cg;

/* ---- the fake agent ------------------------------------------------------------ */

static int listen_fd = -1;
static pthread_t agent_thread;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct agent_request last; /* the last request the agent got */
static int nr_requests;
static bool refuse; /* answer {"ok": false} */

static int read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = read(fd, (char *)buf + got, n - got);

		if (k <= 0)
			return -1;
		got += (size_t)k;
	}
	return 0;
}

static void send_frame(int fd, enum hy_agent_frame type, const char *text, size_t len)
{
	uint8_t h[HY_AGENT_HDR_LEN];

	hy_agent_hdr_encode(h, type, (uint32_t)len);
	hy_write_all(fd, h, sizeof(h));
	hy_write_all(fd, text, len);
}

static void reply(int fd, const struct agent_reply *rep)
{
	char err[256];
	size_t len;
	char *text = agent_reply_encode(rep, &len, err, sizeof(err));

	/* (No assertions off the test's own thread: the host sees no reply instead.) */
	if (!text)
		return;
	send_frame(fd, HY_AGENT_REPLY, text, len);
	free(text);
}

static void serve(int fd)
{
	char *buf = malloc(HY_AGENT_FRAME_MAX);
	struct agent_process procs[2] = {
	    {.pid = 1, .ppid = 0, .uid = 0, .time = 12345, .stat = "S", .cmd = "sleep 1000"},
	    {.pid = 7,
	     .ppid = 1,
	     .uid = 1000,
	     .time = 100 * 86400 * 2,
	     .stat = "R",
	     .cmd = "sh -c \x1b[2Jtop"},
	};
	struct agent_reply rep = {.ok = true};
	struct agent_request req;
	enum hy_agent_frame type;
	uint8_t h[HY_AGENT_HDR_LEN];
	char line[32], err[256];
	uint32_t len;
	size_t n = 0;

	if (!buf)
		return;
	while (n < sizeof(line) - 1 && read(fd, line + n, 1) == 1 && line[n] != '\n')
		n++;
	line[n] = '\0';
	if (strcmp(line, "CONNECT 1024"))
		goto out;
	hy_write_all(fd, "OK 5\n", 5);
	if (read_full(fd, h, sizeof(h)) || hy_agent_hdr_decode(h, &type, &len) ||
	    type != HY_AGENT_REQUEST || read_full(fd, buf, len) ||
	    agent_request_decode(&req, buf, len, err, sizeof(err)))
		goto out;
	pthread_mutex_lock(&lock);
	agent_request_free(&last);
	last = req;
	nr_requests++;
	pthread_mutex_unlock(&lock);
	if (refuse) {
		rep.ok = false;
		snprintf(rep.error, sizeof(rep.error), "cgroup: write pids.max: Invalid argument");
		reply(fd, &rep);
		goto out;
	}
	switch (req.op) {
	case AGENT_OP_PS:
		rep.has_processes = true;
		rep.processes = procs;
		rep.nr_processes = 2;
		break;
	case AGENT_OP_STATS:
		rep.has_stats = true;
		rep.stats = (struct agent_stats){.mem_total = 400 << 20,
						 .mem_free = 300 << 20,
						 .mem_available = 350 << 20,
						 .mem_usage = 5 << 20,
						 .mem_limit = 192 << 20,
						 .cpu_usage_usec = 1500,
						 .cpu_user_usec = 1000,
						 .cpu_system_usec = 500,
						 .pids_current = 3,
						 .pids_limit = -1,
						 .oom_kills = 2};
		break;
	case AGENT_OP_EVENTS: {
		struct agent_event ev = {.type = AGENT_EVENT_OOM};
		char *text = agent_event_encode(&ev, &n, err, sizeof(err));

		reply(fd, &rep);
		send_frame(fd, HY_AGENT_EVENT, text, n);
		free(text);
		/* Open until the host closes it. */
		while (read(fd, buf, HY_AGENT_FRAME_MAX) > 0)
			;
		goto out;
	}
	default:
		break;
	}
	reply(fd, &rep);
out:
	free(buf);
}

static void *connection(void *arg)
{
	int fd = (int)(intptr_t)arg;

	serve(fd);
	close(fd);
	return NULL;
}

/* Each connection on its own, as hyrun-init's agent serves them. */
static void *agent_main(void *arg)
{
	pthread_t t;
	int fd;

	while ((fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		if (pthread_create(&t, NULL, connection, (void *)(intptr_t)fd)) {
			close(fd);
			continue;
		}
		pthread_detach(t);
	}
	return NULL;
}

/* ---- the container --------------------------------------------------------------- */

static void write_state(bool with_cgroup)
{
	char path[256], buf[1024], *p;
	unsigned long long start = 0;
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)vmm);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	cr_assert_not_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	p = strrchr(buf, ')') + 2;
	for (n = 3; n < 22; n++)
		p = strchr(p, ' ') + 1;
	start = strtoull(p, NULL, 10);
	snprintf(path, sizeof(path), "%s/state.json", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fprintf(f,
		"{\"ociVersion\": \"1.1.0\", \"id\": \"" ID "\", \"pid\": %d, \"status\": "
		"\"running\", \"bundle\": \"/nonexistent\", \"hyrun\": {\"startTime\": %llu, "
		"\"cgroupsPath\": %s%s%s, \"vcpus\": 1, \"memoryMiB\": 448, \"memoryLimit\": "
		"536870912}}",
		(int)vmm, start, with_cgroup ? "\"" : "", with_cgroup ? cgroup_path(cg) : "null",
		with_cgroup ? "\"" : "");
	fclose(f);
}

static void setup(void)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};

	snprintf(root, sizeof(root), "/tmp/hyrun-guest-XXXXXX");
	cr_assert_not_null(mkdtemp(root));
	snprintf(dir, sizeof(dir), "%s/" ID, root);
	cr_assert_eq(mkdir(dir, 0700), 0);
	snprintf(out_path, sizeof(out_path), "%s/stdout", root);
	vmm = fork();
	cr_assert_geq(vmm, 0);
	if (vmm == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	snprintf(a.sun_path, sizeof(a.sun_path), "%s/%s", dir, HY_VSOCK_SOCKET);
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(listen_fd, 0);
	cr_assert_eq(bind(listen_fd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(listen_fd, 8), 0);
	cr_assert_eq(pthread_create(&agent_thread, NULL, agent_main, NULL), 0);
	write_state(false);
}

static void teardown(void)
{
	char cmd[128];

	if (vmm > 0) {
		kill(vmm, SIGKILL);
		waitpid(vmm, NULL, 0);
	}
	if (cg) {
		cgroup_destroy(cg);
		cgroup_free(cg);
		cg = NULL;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		cr_log_warn("could not remove %s", root);
}

/* A cgroup for the verbs that read or change the host's; the fake VMM joins it. */
static void with_cgroup(void)
{
	struct cg_limits lim = {
	    .memory_limit = 512 << 20, .memory_swap = -1, .pids_limit = -1, .cpu_quota = -1};
	char err[1024], path[64];
	int r;

	if (geteuid() != 0)
		cr_skip_test("needs root to make cgroups");
	snprintf(path, sizeof(path), "/hyrun/unit-guest-%d", (int)getpid());
	r = cgroup_create(&cg, path, ID, &lim, err, sizeof(err));
	if (r == -EROFS || r == -EACCES || r == -EPERM || r == -ENOTSUP)
		cr_skip_test("cannot make cgroups here: %s", err);
	cr_assert_eq(r, 0, "%s", err);
	cr_assert_eq(cgroup_enter(cg, vmm, err, sizeof(err)), 0, "%s", err);
	write_state(true);
}

/* Run a verb with its stdout in out_path; its exit status. */
static int run(int (*verb)(struct rt_global *, int, char **), int argc, char **argv)
{
	struct rt_global g = {.root = root};
	int saved = dup(STDOUT_FILENO), fd, r;

	fflush(stdout);
	fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	dup2(fd, STDOUT_FILENO);
	close(fd);
	optind = 0;
	r = verb(&g, argc, argv);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	return r;
}

static char *output(void)
{
	static char buf[65536];
	int fd = open(out_path, O_RDONLY);
	ssize_t n;

	cr_assert_geq(fd, 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

TestSuite(runtime_guest, .init = setup, .fini = teardown);

Test(runtime_guest, ps_table)
{
	char *argv[] = {"ps", ID, "-ef", NULL};
	char *bad[] = {"ps", ID, "-o", "pid", NULL};
	char *out;

	cr_assert_eq(run(cmd_ps, 3, argv), 0);
	out = output();
	cr_assert_eq(last.op, AGENT_OP_PS);
	cr_assert(strstr(out, "UID      PID      PPID     STAT TIME        CMD\n") == out, "%s",
		  out);
	cr_assert(strstr(out, "\n0        1        0        S    00:02:03    sleep 1000\n"), "%s",
		  out);
	/* Two days of CPU; the escape sequence defused. */
	cr_assert(strstr(out, "\n1000     7        1        R    2-00:00:00  sh -c ?[2Jtop\n"),
		  "%s", out);
	cr_assert_eq(run(cmd_ps, 4, bad), 1);
	cr_assert_eq(nr_requests, 1, "refused before asking");
}

Test(runtime_guest, ps_stopped)
{
	char *argv[] = {"ps", ID, NULL};

	kill(vmm, SIGKILL);
	waitpid(vmm, NULL, 0);
	vmm = -1;
	cr_assert_eq(run(cmd_ps, 2, argv), 1);
	cr_assert_eq(nr_requests, 0);
}

Test(runtime_guest, ps_json_is_host_pids)
{
	char *argv[] = {"ps", "--format", "json", ID, NULL};
	char want[64];

	with_cgroup();
	cr_assert_eq(run(cmd_ps, 4, argv), 0);
	snprintf(want, sizeof(want), "[%d]\n", (int)vmm);
	cr_assert_str_eq(output(), want);
	cr_assert_eq(nr_requests, 0, "the guest is not asked");
}

Test(runtime_guest, events_stats)
{
	char *argv[] = {"events", "--stats", ID, NULL};
	char *out;

	with_cgroup();
	cr_assert_eq(run(cmd_events, 3, argv), 0);
	out = output();
	cr_assert_eq(last.op, AGENT_OP_STATS);
	cr_assert(strncmp(out, "{\"type\":\"stats\",\"id\":\"" ID "\",\"data\":{\"cpu\":", 38) == 0,
		  "%s", out);
	cr_assert(strstr(out, "\"usage\":{\"limit\":536870912,"), "%s", out);
	cr_assert(strstr(out, "\"pids\":{\"current\":1}"), "%s", out);
	cr_assert(strstr(out, "\"guest\":{\"memory\":{\"total\":419430400,\"free\":314572800,"
			      "\"available\":367001600,\"usage\":5242880,\"limit\":201326592},"
			      "\"cpu\":{\"usage\":{\"total\":1500000,\"user\":1000000,\"kernel\":"
			      "500000}},\"pids\":{\"current\":3,\"limit\":0},\"oom_kills\":2}}}\n"),
		  "%s", out);
	cr_assert_eq(strchr(out, '\n'), out + strlen(out) - 1, "one line");
}

Test(runtime_guest, events_stream_ends_with_the_vmm)
{
	char *argv[] = {"events", "--interval", "100ms", ID, NULL};
	pid_t killer;
	char *out, *oom, *stats;

	with_cgroup();
	/* The VMM goes away after a few intervals. */
	killer = fork();
	cr_assert_geq(killer, 0);
	if (killer == 0) {
		usleep(600 * 1000);
		kill(vmm, SIGKILL);
		_exit(0);
	}
	cr_assert_eq(run(cmd_events, 4, argv), 0);
	waitpid(killer, NULL, 0);
	out = output();
	oom = strstr(out, "{\"type\":\"oom\",\"id\":\"" ID "\"}\n");
	stats = strstr(out, "{\"type\":\"stats\",\"id\":\"" ID "\",\"data\":");
	cr_assert_not_null(oom, "%s", out);
	cr_assert_not_null(stats, "%s", out);
	cr_assert_not_null(strstr(stats + 1, "{\"type\":\"stats\""), "several intervals: %s", out);
}

Test(runtime_guest, events_not_running)
{
	char *argv[] = {"events", "--stats", ID, NULL};

	kill(vmm, SIGKILL);
	waitpid(vmm, NULL, 0);
	vmm = -1;
	cr_assert_eq(run(cmd_events, 3, argv), 1);
}

Test(runtime_guest, update_splits)
{
	char *argv[] = {"update", "--memory", "256m", "--pids-limit", "5", "--cpu-share",
			"1024",	  ID,	      NULL};
	char *too_big[] = {"update", "--memory", "2g", ID, NULL};
	char *host_only[] = {"update", "--memory-reservation", "64m", ID, NULL};

	with_cgroup();
	cr_assert_eq(run(cmd_update, 8, argv), 0);
	cr_assert_eq(nr_requests, 1);
	cr_assert_eq(last.op, AGENT_OP_UPDATE);
	cr_assert(last.res.has_memory);
	cr_assert_eq(last.res.memory, (256 - 64) << 20);
	cr_assert(last.res.has_pids);
	cr_assert_eq(last.res.pids, 5);
	cr_assert(last.res.has_cpu_weight);
	cr_assert_eq(last.res.cpu_weight, 39);
	cr_assert_not(last.res.has_cpu_quota);

	cr_assert_eq(run(cmd_update, 4, too_big), 1);
	cr_assert_eq(nr_requests, 1, "refused before anything changed");
	cr_assert_eq(run(cmd_update, 4, host_only), 0);
	cr_assert_eq(nr_requests, 1, "nothing for the guest");

	refuse = true;
	cr_assert_eq(run(cmd_update, 8, argv), 1);
}
