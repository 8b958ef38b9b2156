/* fdio.c: whole writes and one-line messages (fdio.h). */
#include "common/fdio.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

int hy_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int hy_vwrite_line(int fd, const char *fmt, va_list ap)
{
	char buf[HY_LINE_MAX];
	int n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);

	if (n < 0)
		return -EINVAL;
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	ssize_t w = write(fd, buf, (size_t)n);

	if (w < 0)
		return -errno;
	return w == n ? 0 : -EIO;
}

int hy_write_line(int fd, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = hy_vwrite_line(fd, fmt, ap);
	va_end(ap);
	return r;
}
