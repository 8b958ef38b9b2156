/* test_vmm_callerio.c: hyrun-vmm's descriptors 0-2 let go of, and its log lines. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/log.h"
#include "vmm/callerio.h"

static const struct timespec when = {.tv_sec = 1714557600, .tv_nsec = 5}; /* 2024-05-01 10:00 */

Test(vmm_callerio, formats)
{
	enum callerio_format f;
	char line[256];
	size_t n;

	cr_assert_eq(callerio_parse_format("plain", &f), 0);
	cr_assert_eq(f, CALLERIO_PLAIN);
	cr_assert_eq(callerio_parse_format("text", &f), 0);
	cr_assert_eq(f, CALLERIO_TEXT);
	cr_assert_eq(callerio_parse_format("json", &f), 0);
	cr_assert_eq(f, CALLERIO_JSON);
	cr_assert_eq(callerio_parse_format("JSON", &f), -EINVAL);
	cr_assert_eq(callerio_parse_format("", &f), -EINVAL);

	n = callerio_format_line(line, sizeof(line), CALLERIO_PLAIN, LOG_WARN, "hyrun-vmm",
				 "disk full", &when);
	cr_assert_str_eq(line, "hyrun-vmm: warning: disk full\n");
	cr_assert_eq(n, strlen(line));
	callerio_format_line(line, sizeof(line), CALLERIO_TEXT, LOG_ERROR, "hyrun-vmm",
			     "the guest said \"no\"", &when);
	cr_assert_str_eq(line, "time=\"2024-05-01T10:00:00.000000005Z\" level=error "
			       "msg=\"hyrun-vmm: the guest said \\\"no\\\"\"\n");
	callerio_format_line(line, sizeof(line), CALLERIO_JSON, LOG_DEBUG, "hyrun-vmm", "a\\b",
			     &when);
	cr_assert_str_eq(line, "{\"level\":\"debug\",\"msg\":\"hyrun-vmm: a\\\\b\","
			       "\"time\":\"2024-05-01T10:00:00.000000005Z\"}\n");
}

/* Every byte a message may hold stays inside one valid JSON line. */
Test(vmm_callerio, json_lines_stay_valid)
{
	char msg[300], line[2048];
	json_t *o;
	json_error_t jerr;
	size_t n;

	for (int i = 0; i < 255; i++)
		msg[i] = (char)(i + 1);
	msg[255] = '\0';
	n = callerio_format_line(line, sizeof(line), CALLERIO_JSON, LOG_ERROR, "p", msg, &when);
	cr_assert_eq(line[n - 1], '\n');
	cr_assert_null(memchr(line, '\n', n - 1), "more than one line");
	o = json_loadb(line, n, 0, &jerr);
	cr_assert_not_null(o, "%s: %s", jerr.text, line);
	cr_assert_str_eq(json_string_value(json_object_get(o, "level")), "error");
	cr_assert_str_eq(json_string_value(json_object_get(o, "time")),
			 "2024-05-01T10:00:00.000000005Z");
	/* ASCII comes back as it was; the rest as code points of the same value. */
	cr_assert(!strncmp(json_string_value(json_object_get(o, "msg")), "p: \x01\x02\x03", 6));
	json_decref(o);
}

/* A message too long for the line is cut; the line stays whole. */
Test(vmm_callerio, long_messages_are_cut_not_broken)
{
	static char msg[6000], line[1024];
	enum callerio_format formats[] = {CALLERIO_PLAIN, CALLERIO_TEXT, CALLERIO_JSON};
	json_t *o;
	size_t n;

	memset(msg, '"', sizeof(msg) - 1);
	for (size_t i = 0; i < 3; i++) {
		n = callerio_format_line(line, sizeof(line), formats[i], LOG_INFO, "p", msg, &when);
		cr_assert_lt(n, sizeof(line));
		cr_assert_eq(strlen(line), n);
		cr_assert_eq(line[n - 1], '\n');
	}
	o = json_loadb(line, n, 0, NULL);
	cr_assert_not_null(o, "cut JSON line: %s", line);
	json_decref(o);
	cr_assert_str_eq(line + n - 3, "\"}\n");
}

/* The date computed by hand is the C library's. */
Test(vmm_callerio, dates_as_gmtime)
{
	static const time_t fixed[] = {0,
				       -1,
				       951782400 /* 2000-02-29 */,
				       4107542400 /* 2100-03-01 */,
				       -62135596800 /* 0001-01-01 */,
				       253402300799 /* 9999-12-31T23:59:59 */};
	char line[256], want[64];

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]) + 4000; i++) {
		time_t t = i < sizeof(fixed) / sizeof(fixed[0])
			       ? fixed[i]
			       : (time_t)(i * 86400 * 37 + i * 7919) - 2000000000;
		struct timespec ts = {.tv_sec = t, .tv_nsec = 123456789};
		struct tm tm;

		cr_assert_not_null(gmtime_r(&t, &tm));
		snprintf(want, sizeof(want), "time=\"%04d-%02d-%02dT%02d:%02d:%02d.123456789Z\"",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			 tm.tm_sec);
		callerio_format_line(line, sizeof(line), CALLERIO_TEXT, LOG_INFO, "p", "m", &ts);
		cr_assert(!strncmp(line, want, strlen(want)), "%lld: %s, want %s", (long long)t,
			  line, want);
	}
}

/* A child whose stdout and stderr are a pipe of the test's, as a caller's. */
struct child {
	pid_t pid;
	int err;  /* the child's stderr, read end */
	int log;  /* its --log-fd, read end */
	int sync; /* the child writes a byte here when done */
};

static void start_child(struct child *c, void (*fn)(int log_fd, int sync_fd))
{
	int e[2], l[2], s[2];

	cr_assert_eq(pipe2(e, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(l, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(s, O_CLOEXEC), 0);
	c->pid = fork();
	cr_assert_geq(c->pid, 0);
	if (c->pid == 0) {
		signal(SIGPIPE, SIG_IGN);
		if (dup2(e[1], STDERR_FILENO) < 0 || dup2(e[1], STDOUT_FILENO) < 0)
			_exit(90);
		if (e[1] > STDERR_FILENO)
			close(e[1]);
		close(e[0]);
		close(l[0]);
		close(s[0]);
		log_init("hyrun-vmm", LOG_DEBUG);
		fn(l[1], s[1]);
		/* Stay, holding whatever it still holds, until killed. */
		pause();
		_exit(0);
	}
	close(e[1]);
	close(l[1]);
	close(s[1]);
	c->err = e[0];
	c->log = l[0];
	c->sync = s[0];
}

static void wait_sync(struct child *c)
{
	struct pollfd p = {.fd = c->sync, .events = POLLIN};
	char b;

	cr_assert_eq(poll(&p, 1, 5000), 1, "the child did not get there");
	cr_assert_eq(read(c->sync, &b, 1), 1, "the child failed");
}

static void stop_child(struct child *c)
{
	kill(c->pid, SIGKILL);
	waitpid(c->pid, NULL, 0);
	close(c->err);
	close(c->log);
	close(c->sync);
}

/* All of what fd holds now, given that its writers are gone: -1 when it is
 * still open for writing somewhere. */
static ssize_t read_closed(int fd, char *buf, size_t cap)
{
	size_t got = 0;

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, 2000) != 1)
			return -1;
		n = read(fd, buf + got, cap - 1 - got);
		if (n <= 0) {
			buf[got] = '\0';
			return n == 0 ? (ssize_t)got : -1;
		}
		got += (size_t)n;
	}
}

static void json_log_child(int log_fd, int sync_fd)
{
	char err[256];

	if (callerio_init(err, sizeof(err)) ||
	    callerio_set_log(log_fd, CALLERIO_JSON, err, sizeof(err)))
		_exit(91);
	log_warn("before");
	callerio_report(LOG_ERROR, "  | a report line");
	if (callerio_drop_stdin_stdout(err, sizeof(err)))
		_exit(92);
	/* stdout is the sink: a write fails instead of reaching the caller. */
	if (write(STDOUT_FILENO, "x", 1) != -1 || errno != EPIPE)
		_exit(93);
	callerio_release_stderr();
	callerio_release_stderr(); /* once is all it does */
	log_error("after \"quoted\"");
	callerio_report(LOG_ERROR, "hyrun-vmm: guest kernel panic: oops");
	if (write(sync_fd, "k", 1) != 1)
		_exit(94);
}

Test(vmm_callerio, release_to_a_json_log)
{
	static const char *const want[] = {"hyrun-vmm: after \"quoted\"",
					   "hyrun-vmm: guest kernel panic: oops"};
	struct child c;
	char buf[2048], *line, *save = NULL;
	size_t i = 0;

	start_child(&c, json_log_child);
	wait_sync(&c);
	/* The caller's stderr and stdout are let go of while the child lives. */
	cr_assert_geq(read_closed(c.err, buf, sizeof(buf)), 0,
		      "the caller's stderr is still held after the release");
	cr_assert_str_eq(buf, "hyrun-vmm: warning: before\n  | a report line\n");
	cr_assert_eq(kill(c.pid, 0), 0);
	kill(c.pid, SIGKILL);
	waitpid(c.pid, NULL, 0);
	cr_assert_gt(read_closed(c.log, buf, sizeof(buf)), 0);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save), i++) {
		json_error_t jerr;
		json_t *o = json_loads(line, 0, &jerr);

		cr_assert_not_null(o, "not JSON: %s (%s)", line, jerr.text);
		cr_assert_lt(i, 2, "an extra line: %s", line);
		cr_assert_str_eq(json_string_value(json_object_get(o, "level")), "error");
		cr_assert_str_eq(json_string_value(json_object_get(o, "msg")), want[i]);
		cr_assert_not_null(json_string_value(json_object_get(o, "time")));
		json_decref(o);
	}
	cr_assert_eq(i, 2);
	c.pid = getpid(); /* already reaped */
	close(c.err);
	close(c.log);
	close(c.sync);
}

static void nowhere_child(int log_fd, int sync_fd)
{
	char err[256];

	close(log_fd);
	if (callerio_init(err, sizeof(err)) || callerio_drop_stdin_stdout(err, sizeof(err)))
		_exit(91);
	callerio_release_stderr();
	log_error("lost");
	/* stderr is the sink now. */
	if (write(STDERR_FILENO, "x", 1) != -1 || errno != EPIPE)
		_exit(92);
	if (write(sync_fd, "k", 1) != 1)
		_exit(93);
}

Test(vmm_callerio, release_without_a_log)
{
	struct child c;
	char buf[256];

	start_child(&c, nowhere_child);
	wait_sync(&c);
	cr_assert_eq(read_closed(c.err, buf, sizeof(buf)), 0, "stderr got '%s'", buf);
	stop_child(&c);
}

static void bad_log_child(int log_fd, int sync_fd)
{
	char err[256];
	int p[2];

	if (callerio_set_log(999, CALLERIO_TEXT, err, sizeof(err)) != -EBADF ||
	    !strstr(err, "--log-fd 999"))
		_exit(91);
	if (pipe(p) < 0 || callerio_set_log(p[0], CALLERIO_TEXT, err, sizeof(err)) != -EBADF ||
	    !strstr(err, "not open for writing"))
		_exit(92);
	if (write(sync_fd, "k", 1) != 1)
		_exit(93);
}

Test(vmm_callerio, log_fd_must_be_writable)
{
	struct child c;

	start_child(&c, bad_log_child);
	wait_sync(&c);
	stop_child(&c);
}
