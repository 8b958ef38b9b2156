/* util.c: the runtime's logging (stderr and --log, text or JSON) and atomic writes. */
#include "runtime/runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/err.h"
#include "common/fdio.h"
#include "oci/state.h"

static int log_fd = -1;
static bool log_json;
static enum log_level log_level = LOG_WARN;

int rt_log_open(const char *path, bool json, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0)
		return hy_err(err, errlen, -errno, "--log '%s': %s", path, strerror(errno));
	if (log_fd >= 0)
		close(log_fd);
	log_fd = fd;
	log_json = json;
	return 0;
}

int rt_log_fd(bool *json)
{
	*json = log_json;
	return log_fd;
}

void rt_log_set_level(enum log_level level)
{
	log_level = level;
}

static void log_to_file(enum log_level level, const char *msg)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};
	struct timespec ts;
	char when[48], *line = NULL;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	oci_time_rfc3339(when, sizeof(when), &ts);
	if (log_json) {
		json_t *o =
		    json_pack("{s:s, s:s, s:s}", "level", names[level], "msg", msg, "time", when);
		char *s = o ? json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;

		json_decref(o);
		if (!s)
			return;
		n = asprintf(&line, "%s\n", s);
		free(s);
	} else {
		/* logrus' text format, as runc writes it. */
		json_t *q = json_string(msg);
		char *s = q ? json_dumps(q, JSON_ENCODE_ANY) : NULL;

		json_decref(q);
		if (!s)
			return;
		n = asprintf(&line, "time=\"%s\" level=%s msg=%s\n", when, names[level], s);
		free(s);
	}
	if (n > 0)
		hy_write_all(log_fd, line, (size_t)n);
	free(line);
}

void rt_log(enum log_level level, const char *fmt, ...)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};
	char msg[2048], line[2200];
	va_list ap;
	int n;

	if (level > log_level && level != LOG_ERROR)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* A message must stay one line in the JSON log and on stderr. */
	n = (int)strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	if (log_fd >= 0)
		log_to_file(level, msg);
	if (log_fd < 0 || level == LOG_ERROR) {
		n = snprintf(line, sizeof(line), "hyrun: %s%s%s\n",
			     level == LOG_INFO ? "" : names[level], level == LOG_INFO ? "" : ": ",
			     msg);
		if (n > (int)sizeof(line) - 1)
			n = (int)sizeof(line) - 1;
		hy_write_all(STDERR_FILENO, line, (size_t)n);
	}
}

void rt_log_msg(enum log_level level, const char *msg)
{
	rt_log(level, "%s", msg);
}

int rt_read_at(int dirfd, const char *name, char *buf, size_t len)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	close(fd);
	buf[n] = '\0';
	return (int)n;
}

int rt_write_at_atomic(int dirfd, const char *name, const void *data, size_t len, unsigned mode,
		       char *err, size_t errlen)
{
	char tmp[4096];
	int fd, saved;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp-%d", name, (int)getpid()) >= (int)sizeof(tmp))
		return hy_err(err, errlen, -ENAMETOOLONG, "'%s': path too long", name);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return hy_err(err, errlen, -errno, "create '%s': %s", tmp, strerror(errno));
	saved = -hy_write_all(fd, data, len);
	if (saved)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		saved = errno;
		goto fail;
	}
	fd = -1;
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		saved = errno;
		goto fail;
	}
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlinkat(dirfd, tmp, 0);
	return hy_err(err, errlen, -saved, "write '%s': %s", name, strerror(saved));
}

int rt_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode, char *err,
			 size_t errlen)
{
	return rt_write_at_atomic(AT_FDCWD, path, data, len, mode, err, errlen);
}

int rt_write_pid_file(const char *path, int pid, char *err, size_t errlen)
{
	char buf[24];
	int n = snprintf(buf, sizeof(buf), "%d", pid);

	return rt_write_file_atomic(path, buf, (size_t)n, 0644, err, errlen);
}
