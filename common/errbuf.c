/* errbuf.c: formatting an error message into a caller's buffer. */
#include <stdio.h>

#include "common/errbuf.h"

void hy_vseterr(char *err, size_t errlen, const char *fmt, va_list ap)
{
	if (!err || !errlen)
		return;
	vsnprintf(err, errlen, fmt, ap);
}

void hy_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	hy_vseterr(err, errlen, fmt, ap);
	va_end(ap);
}
