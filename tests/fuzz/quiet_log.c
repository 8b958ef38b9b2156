/* quiet_log.c: common/log.h for the fuzz harnesses: silent unless FUZZ_VERBOSE is set.
 *
 * Malformed input is the point of fuzzing, so the warnings and errors the
 * code under test logs for it would only bury the sanitizer reports (and
 * slow every run down). Linked ahead of libhyrun.a, it replaces common/log.o.
 */
#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int verbose = -1;
static enum log_level level = LOG_WARN;

void log_init(const char *progname, enum log_level lvl)
{
	level = lvl;
}

enum log_level log_get_level(void)
{
	return level;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	if (verbose < 0)
		verbose = getenv("FUZZ_VERBOSE") != NULL;
	if (!verbose)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
