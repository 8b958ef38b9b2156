/* callerio.c: hyrun-vmm's descriptors 0-2 let go of the caller's files; its messages then
 * go to the runtime's log. */
#include "vmm/callerio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "vmm/seccomp.h"

#define LINE_MAX_LEN 8192

static int sink = -1;
static int log_fd = -1;
static enum callerio_format log_format = CALLERIO_PLAIN;
static bool released;  /* atomic */
static bool formatted; /* atomic: write_formatted() is the log's writer */

int callerio_parse_format(const char *s, enum callerio_format *out)
{
	if (!strcmp(s, "plain"))
		*out = CALLERIO_PLAIN;
	else if (!strcmp(s, "text"))
		*out = CALLERIO_TEXT;
	else if (!strcmp(s, "json"))
		*out = CALLERIO_JSON;
	else
		return -EINVAL;
	return 0;
}

int callerio_init(char *err, size_t errlen)
{
	int p[2];

	if (sink >= 0)
		return 0;
	if (pipe2(p, O_CLOEXEC) < 0)
		return hy_err(err, errlen, -errno,
			      "the pipe that replaces stdin, stdout and "
			      "stderr: %s",
			      strerror(errno));
	close(p[0]);
	sink = p[1];
	return 0;
}

int callerio_set_log(int fd, enum callerio_format format, char *err, size_t errlen)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return hy_err(err, errlen, -EBADF, "--log-fd %d: %s", fd, strerror(errno));
	if ((fl & O_ACCMODE) == O_RDONLY)
		return hy_err(err, errlen, -EBADF, "--log-fd %d: not open for writing", fd);
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return hy_err(err, errlen, -EBADF, "--log-fd %d: %s", fd, strerror(errno));
	log_fd = fd;
	log_format = format;
	return 0;
}

int callerio_drop_stdin_stdout(char *err, size_t errlen)
{
	if (sink < 0)
		return hy_err(err, errlen, -EBADF, "callerio_init() was not called");
	for (int fd = STDIN_FILENO; fd <= STDOUT_FILENO; fd++)
		if (dup2(sink, fd) < 0)
			return hy_err(err, errlen, -errno, "replacing descriptor %d: %s", fd,
				      strerror(errno));
	return 0;
}

/* Days since 1970-01-01 to a proleptic Gregorian date (the civil calendar
 * counted in 400-year eras of 146097 days, each starting on March 1st, so
 * that the leap day ends a year). */
static void civil_date(int64_t days, int64_t *year, unsigned *month, unsigned *day)
{
	int64_t era, z = days + 719468; /* days since 0000-03-01 */
	unsigned doe, yoe, doy, mp;

	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*day = doy - (153 * mp + 2) / 5 + 1;
	*month = mp < 10 ? mp + 3 : mp - 9;
	*year = (int64_t)yoe + era * 400 + (*month <= 2);
}

/* RFC 3339 in UTC with nanoseconds, as hyrun's own log has it. Computed here
 * rather than with gmtime_r(), which may look for the time zone's files. */
static void format_time(char *buf, size_t cap, const struct timespec *ts)
{
	int64_t secs = ts->tv_sec, days = secs / 86400, rem = secs % 86400, year;
	unsigned month, day;

	if (rem < 0) {
		rem += 86400;
		days--;
	}
	civil_date(days, &year, &month, &day);
	snprintf(buf, cap, "%04lld-%02u-%02uT%02u:%02u:%02u.%09ldZ", (long long)year, month, day,
		 (unsigned)(rem / 3600), (unsigned)(rem / 60 % 60), (unsigned)(rem % 60),
		 (long)ts->tv_nsec);
}

/* Append s to buf[*n] as the inside of a JSON string. Every byte that is not
 * printable ASCII is escaped, so the line stays one valid line whatever the
 * message holds. */
static void put_escaped(char *buf, size_t cap, size_t *n, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[8];
		size_t len;

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			len = 2;
		} else if (c == '\n' || c == '\t' || c == '\r') {
			esc[0] = '\\';
			esc[1] = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
			len = 2;
		} else if (c < 0x20 || c >= 0x7f) {
			len = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", c);
		} else {
			esc[0] = (char)c;
			len = 1;
		}
		if (*n + len >= cap)
			return;
		memcpy(buf + *n, esc, len);
		*n += len;
	}
}

static void put_str(char *buf, size_t cap, size_t *n, const char *s)
{
	size_t len = strlen(s);

	if (*n + len >= cap)
		len = cap - 1 - *n;
	memcpy(buf + *n, s, len);
	*n += len;
}

size_t callerio_format_line(char *buf, size_t cap, enum callerio_format format,
			    enum log_level level, const char *prog, const char *msg,
			    const struct timespec *when)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};
	const char *name = level <= LOG_DEBUG ? names[level] : "error";
	char t[48];
	size_t n = 0;

	if (cap < 2)
		return 0;
	cap--; /* room for the newline */
	format_time(t, sizeof(t), when);
	switch (format) {
	case CALLERIO_PLAIN:
		put_str(buf, cap, &n, prog);
		put_str(buf, cap, &n, ": ");
		put_str(buf, cap, &n, name);
		put_str(buf, cap, &n, ": ");
		put_str(buf, cap, &n, msg);
		break;
	case CALLERIO_TEXT:
		put_str(buf, cap, &n, "time=\"");
		put_str(buf, cap, &n, t);
		put_str(buf, cap, &n, "\" level=");
		put_str(buf, cap, &n, name);
		put_str(buf, cap, &n, " msg=\"");
		put_escaped(buf, cap - 1, &n, prog);
		put_escaped(buf, cap - 1, &n, ": ");
		put_escaped(buf, cap - 1, &n, msg);
		put_str(buf, cap, &n, "\"");
		break;
	case CALLERIO_JSON:
		put_str(buf, cap, &n, "{\"level\":\"");
		put_str(buf, cap, &n, name);
		put_str(buf, cap, &n, "\",\"msg\":\"");
		/* Room kept for the closing members, so a long message is cut
		 * and the line stays valid JSON. */
		put_escaped(buf, cap > 64 ? cap - 64 : 0, &n, prog);
		put_escaped(buf, cap > 64 ? cap - 64 : 0, &n, ": ");
		put_escaped(buf, cap > 64 ? cap - 64 : 0, &n, msg);
		put_str(buf, cap, &n, "\",\"time\":\"");
		put_str(buf, cap, &n, t);
		put_str(buf, cap, &n, "\"}");
		break;
	}
	buf[n++] = '\n';
	buf[n] = '\0';
	return n;
}

static void write_formatted(enum log_level level, const char *prog, const char *msg)
{
	char line[LINE_MAX_LEN];
	struct timespec now;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &now);
	n = callerio_format_line(line, sizeof(line), log_format, level, prog, msg, &now);
	/* One write(): lines from several threads do not interleave, and the
	 * log is open for appending. Nowhere is left to report a failure. */
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}

void callerio_release_stderr(void)
{
	bool was = __atomic_exchange_n(&released, true, __ATOMIC_SEQ_CST);
	int to = log_fd >= 0 ? log_fd : sink;

	if (was)
		return;
	/* The format first: a line logged meanwhile may reach the caller as
	 * JSON, but never the JSON log as a line it cannot parse. */
	if (log_fd >= 0 && log_format != CALLERIO_PLAIN) {
		log_set_writer(write_formatted);
		__atomic_store_n(&formatted, true, __ATOMIC_SEQ_CST);
		vmm_seccomp_report_as(log_format == CALLERIO_JSON
					  ? "{\"level\":\"error\",\"msg\":\""
					  : "level=error msg=\"",
				      log_format == CALLERIO_JSON ? "\"}" : "\"");
	}
	if (to < 0 || dup2(to, STDERR_FILENO) < 0) {
		/* Not expected (both were checked at start); the caller's stderr
		 * stays, which is the lesser evil to losing every message. */
		log_warn("cannot let go of stderr: %s", to < 0 ? "no sink" : strerror(errno));
		return;
	}
	if (log_fd >= 0) {
		close(log_fd);
		log_fd = -1;
	}
}

void callerio_report(enum log_level level, const char *line)
{
	char buf[LINE_MAX_LEN];
	size_t n;

	if (__atomic_load_n(&formatted, __ATOMIC_SEQ_CST)) {
		const char *prefix = "hyrun-vmm: ";

		if (!strncmp(line, prefix, strlen(prefix)))
			line += strlen(prefix);
		write_formatted(level, "hyrun-vmm", line);
		return;
	}
	n = (size_t)snprintf(buf, sizeof(buf) - 1, "%s", line);
	if (n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(STDERR_FILENO, buf, n) < 0)
		return;
}
