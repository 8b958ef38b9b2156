/* err.c: formatting an error message into a caller's buffer (err.h). */
#include "common/err.h"

#include <errno.h>
#include <stdio.h>

int hy_verr(char *err, size_t errlen, int code, const char *fmt, va_list ap)
{
	int saved = errno;

	if (err && errlen)
		vsnprintf(err, errlen, fmt, ap);
	errno = saved;
	return code;
}

int hy_err(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	hy_verr(err, errlen, code, fmt, ap);
	va_end(ap);
	return code;
}
