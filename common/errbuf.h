/* errbuf.h: formatting an error message into a caller's buffer. */
#ifndef HYRUN_COMMON_ERRBUF_H
#define HYRUN_COMMON_ERRBUF_H

#include <stdarg.h>
#include <stddef.h>

/* vsnprintf into err (errlen bytes); nothing when err is NULL or errlen 0. */
void hy_vseterr(char *err, size_t errlen, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
void hy_seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
