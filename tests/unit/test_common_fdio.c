/* test_common_fdio.c: whole writes and one-line messages (common/fdio.c). */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fdio.h"
#include "common/time.h"

static size_t drain(int fd, char *buf, size_t cap)
{
	size_t len = 0;
	ssize_t n;

	while (len < cap && (n = read(fd, buf + len, cap - len)) > 0)
		len += (size_t)n;
	return len;
}

Test(fdio, write_all_and_line)
{
	char buf[4096];
	int p[2];

	cr_assert_eq(pipe2(p, O_NONBLOCK), 0);
	cr_assert_eq(hy_write_all(p[1], "abc", 3), 0);
	cr_assert_eq(hy_write_line(p[1], "x=%d %s", 42, "y"), 0);
	cr_assert_eq(drain(p[0], buf, sizeof(buf)), 10);
	cr_assert_eq(memcmp(buf, "abcx=42 y\n", 10), 0);
	close(p[0]);
	/* No reader: EPIPE, not the death of the caller. */
	signal(SIGPIPE, SIG_IGN);
	cr_assert_eq(hy_write_all(p[1], "a", 1), -EPIPE);
	cr_assert_eq(hy_write_line(p[1], "a"), -EPIPE);
	close(p[1]);
}

Test(fdio, long_line_is_cut_and_ends_in_newline)
{
	static char big[3 * HY_LINE_MAX], buf[4 * HY_LINE_MAX];
	int p[2];
	size_t n;

	memset(big, 'a', sizeof(big) - 1);
	cr_assert_eq(pipe2(p, O_NONBLOCK), 0);
	cr_assert_eq(hy_write_line(p[1], "%s", big), 0);
	n = drain(p[0], buf, sizeof(buf));
	cr_assert_eq(n, HY_LINE_MAX - 1);
	cr_assert_eq(buf[n - 1], '\n');
	close(p[0]);
	close(p[1]);
}

Test(err, fills_and_returns_the_code)
{
	char err[8] = "";

	errno = EAGAIN;
	cr_assert_eq(hy_err(err, sizeof(err), -ENOENT, "%s %d", "file", 12345), -ENOENT);
	cr_assert_str_eq(err, "file 12");
	cr_assert_eq(errno, EAGAIN, "errno is kept");
	cr_assert_eq(hy_err(NULL, 0, -EIO, "nowhere"), -EIO);
}

Test(time, monotonic)
{
	int64_t a = hy_now_us(), b;

	usleep(2000);
	b = hy_now_us();
	cr_assert_geq(b - a, 2000);
	cr_assert_leq(hy_now_ms() - b / 1000, 1000);
}
