/* log.c: diagnostics on stderr. */
#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *log_prog = "hyrun";
static enum log_level log_level = LOG_WARN;
/* log_set_writer()'s, or NULL; atomic */
static void (*log_writer)(enum log_level level, const char *prog, const char *msg);

void log_init(const char *progname, enum log_level level)
{
	log_prog = progname;
	log_level = level;
}

enum log_level log_get_level(void)
{
	return log_level;
}

void log_set_writer(void (*writer)(enum log_level level, const char *prog, const char *msg))
{
	__atomic_store_n(&log_writer, writer, __ATOMIC_RELEASE);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};
	void (*writer)(enum log_level, const char *, const char *) =
	    __atomic_load_n(&log_writer, __ATOMIC_ACQUIRE);
	char buf[1024];
	va_list ap;
	int n, prefix;

	if (level > log_level)
		return;
	n = prefix = snprintf(buf, sizeof(buf), "%s: %s: ", log_prog, names[level]);
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (writer) {
		writer(level, log_prog, buf + prefix);
		return;
	}
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	/* One write() so lines from several threads do not interleave. */
	if (write(STDERR_FILENO, buf, (size_t)n) < 0)
		return;
}
