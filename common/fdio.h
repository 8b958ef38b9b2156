/* fdio.h: whole writes and one-line messages on file descriptors. */
#ifndef HYRUN_COMMON_FDIO_H
#define HYRUN_COMMON_FDIO_H

#include <stdarg.h>
#include <stddef.h>

/* Write all `len` bytes, retrying after EINTR and short writes. 0, or -errno
 * (-EIO when write(2) returned 0). */
int hy_write_all(int fd, const void *buf, size_t len);

/*
 * Format one message, append a newline and write it with a single write(2)
 * (so that lines from several processes on one console do not interleave).
 * A message longer than HY_LINE_MAX - 1 bytes is cut. 0, or -errno.
 */
#define HY_LINE_MAX 1024
int hy_write_line(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int hy_vwrite_line(int fd, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

#endif
