/* test_runtime_console.c: the pty hyrun run keeps for itself, and window sizes. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "runtime/console.h"

static char err[256];

/* A terminal to take a size from: another pty's slave, sized rows x cols. */
static int sized_terminal(unsigned short rows, unsigned short cols, int *master)
{
	struct winsize ws = {.ws_row = rows, .ws_col = cols};
	int slave = console_open_pty(master, -1, err, sizeof(err));

	cr_assert_geq(slave, 0, "%s", err);
	cr_assert_eq(ioctl(*master, TIOCSWINSZ, &ws), 0);
	return slave;
}

Test(runtime_console, own_pty_pair)
{
	int master = -1, slave = console_open_pty(&master, -1, err, sizeof(err));
	struct termios t;
	char buf[8];

	cr_assert_geq(slave, 0, "%s", err);
	cr_assert_geq(master, 0);
	cr_assert(isatty(slave));
	cr_assert(fcntl(slave, F_GETFD) & FD_CLOEXEC);
	cr_assert(fcntl(master, F_GETFD) & FD_CLOEXEC);
	/* What the container writes on the slave, run reads on the master. */
	cr_assert_eq(tcgetattr(slave, &t), 0);
	cfmakeraw(&t);
	cr_assert_eq(tcsetattr(slave, TCSANOW, &t), 0);
	cr_assert_eq(write(slave, "out", 3), 3);
	cr_assert_eq(read(master, buf, sizeof(buf)), 3);
	cr_assert_arr_eq(buf, "out", 3);
	cr_assert_eq(write(master, "in", 2), 2);
	cr_assert_eq(read(slave, buf, sizeof(buf)), 2);
	cr_assert_arr_eq(buf, "in", 2);
	close(slave);
	close(master);
}

Test(runtime_console, size_from_the_callers_terminal)
{
	int tm, term = sized_terminal(42, 133, &tm), master, slave, null;
	struct winsize ws;

	slave = console_open_pty(&master, term, err, sizeof(err));
	cr_assert_geq(slave, 0, "%s", err);
	cr_assert_eq(ioctl(slave, TIOCGWINSZ, &ws), 0);
	cr_assert_eq(ws.ws_row, 42);
	cr_assert_eq(ws.ws_col, 133);
	/* SIGWINCH: the new size follows. */
	ws = (struct winsize){.ws_row = 10, .ws_col = 20};
	cr_assert_eq(ioctl(tm, TIOCSWINSZ, &ws), 0);
	cr_assert_eq(console_copy_winsize(term, master), 0);
	cr_assert_eq(ioctl(slave, TIOCGWINSZ, &ws), 0);
	cr_assert_eq(ws.ws_row, 10);
	cr_assert_eq(ws.ws_col, 20);
	/* Not a terminal: an error, and the size stays. */
	null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	cr_assert_geq(null, 0);
	cr_assert_eq(console_copy_winsize(null, master), -ENOTTY);
	close(null);
	cr_assert_eq(ioctl(slave, TIOCGWINSZ, &ws), 0);
	cr_assert_eq(ws.ws_row, 10);
	close(slave);
	close(master);
	close(term);
	close(tm);
}
