/* test_vmm_control.c: the control socket's server, and the guest's decoder of the
 * control port's byte stream. */
#include "vmm/control.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/agent_proto.h"
#include "vmm/event.h"

/* --- the guest's decoder ------------------------------------------------------------- */

static struct hy_ctl_event feed(struct hy_ctl_decoder *d, uint8_t b)
{
	struct hy_ctl_event ev;
	enum hy_ctl_kind k = hy_ctl_decode(d, b, &ev);

	cr_assert_eq(k, ev.kind);
	return ev;
}

Test(ctl_decode, single_bytes)
{
	struct hy_ctl_decoder d = {0};
	struct hy_ctl_event ev;

	ev = feed(&d, 1);
	cr_assert_eq(ev.kind, HY_CTL_EV_SIGNAL);
	cr_assert_eq(ev.sig, 1);
	ev = feed(&d, HY_CTL_SIGNAL(64));
	cr_assert_eq(ev.kind, HY_CTL_EV_SIGNAL);
	cr_assert_eq(ev.sig, 64);
	ev = feed(&d, HY_CTL_SIGNAL_ALL(1));
	cr_assert_eq(ev.kind, HY_CTL_EV_SIG_ALL);
	cr_assert_eq(ev.sig, 1);
	ev = feed(&d, HY_CTL_SIGNAL_ALL(64));
	cr_assert_eq(ev.kind, HY_CTL_EV_SIG_ALL);
	cr_assert_eq(ev.sig, 64);
	cr_assert_eq(feed(&d, HY_CTL_START).kind, HY_CTL_EV_START);
	for (unsigned b = 0; b < 256; b++) {
		if ((b >= 1 && b <= 128) || b == HY_CTL_START || b == HY_CTL_WINSIZE)
			continue;
		ev = feed(&d, (uint8_t)b);
		cr_assert_eq(ev.kind, HY_CTL_EV_UNKNOWN, "byte %u", b);
		cr_assert_eq(ev.byte, b);
	}
}

Test(ctl_decode, winsize_any_split)
{
	uint8_t msg[HY_CTL_WINSIZE_LEN];
	struct hy_ctl_decoder d = {0};
	struct hy_ctl_event ev;

	hy_ctl_encode_winsize(msg, 0x1234, 0xF0F1);
	cr_assert_eq(msg[0], HY_CTL_WINSIZE);
	/* The size bytes look like START, WINSIZE and signals: all are data here. */
	for (int i = 0; i < HY_CTL_WINSIZE_LEN - 1; i++)
		cr_assert_eq(feed(&d, msg[i]).kind, HY_CTL_NONE, "byte %d", i);
	ev = feed(&d, msg[HY_CTL_WINSIZE_LEN - 1]);
	cr_assert_eq(ev.kind, HY_CTL_EV_WINSIZE);
	cr_assert_eq(ev.rows, 0x1234);
	cr_assert_eq(ev.cols, 0xF0F1);
	/* Back to single bytes, then a size whose bytes are signal numbers. */
	cr_assert_eq(feed(&d, 15).kind, HY_CTL_EV_SIGNAL);
	hy_ctl_encode_winsize(msg, 24, 80);
	for (int i = 0; i < HY_CTL_WINSIZE_LEN; i++)
		ev = feed(&d, msg[i]);
	cr_assert_eq(ev.kind, HY_CTL_EV_WINSIZE);
	cr_assert_eq(ev.rows, 24);
	cr_assert_eq(ev.cols, 80);
	cr_assert_eq(feed(&d, HY_CTL_START).kind, HY_CTL_EV_START);
}

/* --- the server ---------------------------------------------------------------------- */

static struct event_loop *loop;
static pthread_t loop_thread;
static struct control_server *srv;
static int listen_fd = -1;
static char sock_path[108];
static pthread_mutex_t calls_lock = PTHREAD_MUTEX_INITIALIZER;
static int starts, kills, last_sig;
static bool last_all, refuse_start;

static int on_start(void *opaque, char *err, size_t errlen)
{
	pthread_mutex_lock(&calls_lock);
	starts++;
	pthread_mutex_unlock(&calls_lock);
	if (refuse_start) {
		snprintf(err, errlen, "not now");
		return -1;
	}
	return 0;
}

static int on_kill(void *opaque, int sig, bool all, char *err, size_t errlen)
{
	pthread_mutex_lock(&calls_lock);
	kills++;
	last_sig = sig;
	last_all = all;
	pthread_mutex_unlock(&calls_lock);
	return 0;
}

static const struct control_ops ops = {.start = on_start, .kill = on_kill};

static void *loop_main(void *arg)
{
	event_loop_run(loop);
	return NULL;
}

static void server_setup(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char err[256] = "";

	signal(SIGPIPE, SIG_IGN);
	starts = kills = last_sig = 0;
	last_all = refuse_start = false;
	snprintf(sock_path, sizeof(sock_path), "/tmp/hyrun-test-ctl.%d.sock", getpid());
	unlink(sock_path);
	strcpy(sa.sun_path, sock_path);
	listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert_geq(listen_fd, 0);
	cr_assert_eq(bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(listen_fd, 16), 0);
	cr_assert_eq(control_check_listener(listen_fd, err, sizeof(err)), 0, "%s", err);
	cr_assert(fcntl(listen_fd, F_GETFL) & O_NONBLOCK);
	cr_assert(fcntl(listen_fd, F_GETFD) & FD_CLOEXEC);
	loop = event_loop_new();
	cr_assert_not_null(loop);
	srv = control_server_new(loop, listen_fd, &ops, NULL, NULL, 0);
	cr_assert_not_null(srv);
	cr_assert_eq(pthread_create(&loop_thread, NULL, loop_main, NULL), 0);
}

static void server_teardown(void)
{
	event_loop_stop(loop);
	pthread_join(loop_thread, NULL);
	control_server_free(srv);
	event_loop_free(loop);
	close(listen_fd);
	unlink(sock_path);
}

static int client(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	strcpy(sa.sun_path, sock_path);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "connect: %m");
	return fd;
}

/* Read the reply up to the server's close. */
static void read_reply(int fd, char *buf, size_t cap)
{
	size_t n = 0;

	for (;;) {
		ssize_t r = read(fd, buf + n, cap - 1 - n);

		cr_assert_geq(r, 0, "read: %m");
		if (r == 0)
			break;
		n += (size_t)r;
		cr_assert_lt(n, cap - 1, "reply too long");
	}
	buf[n] = '\0';
	close(fd);
}

static void request(const char *data, size_t len, char *buf, size_t cap)
{
	int fd = client();

	cr_assert_eq(write(fd, data, len), (ssize_t)len);
	read_reply(fd, buf, cap);
}

static void expect_reply(const char *line, const char *want)
{
	char buf[512];

	request(line, strlen(line), buf, sizeof(buf));
	cr_assert(strncmp(buf, want, strlen(want)) == 0, "'%s': reply '%s', want '%s'", line, buf,
		  want);
	cr_assert_eq(strchr(buf, '\n'), buf + strlen(buf) - 1, "not one line: '%s'", buf);
}

TestSuite(control_server, .init = server_setup, .fini = server_teardown, .timeout = 20);

Test(control_server, requests_reach_the_ops)
{
	expect_reply("start\n", "ok");
	cr_assert_eq(starts, 1);
	expect_reply("kill 15\n", "ok");
	cr_assert_eq(kills, 1);
	cr_assert_eq(last_sig, 15);
	cr_assert_not(last_all);
	expect_reply("kill 10 all\n", "ok");
	cr_assert_eq(kills, 2);
	cr_assert_eq(last_sig, 10);
	cr_assert(last_all);
}

Test(control_server, replies_with_every_descriptor_taken)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct rlimit rl;
	int fds[256], n = 0, c[2];
	char buf[256];

	/* The clients' sockets come first: connect() itself needs none. */
	c[0] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	c[1] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert(c[0] >= 0 && c[1] >= 0);
	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	rl.rlim_cur = (rlim_t)c[1] + 64;
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	for (;;) {
		int fd = dup(0);

		if (fd < 0) {
			cr_assert_eq(errno, EMFILE);
			break;
		}
		cr_assert_lt(n, 256);
		fds[n++] = fd;
	}
	strcpy(sa.sun_path, sock_path);
	/* Twice: the reserve is taken again after the first client. */
	for (int k = 0; k < 2; k++) {
		cr_assert_eq(connect(c[k], (struct sockaddr *)&sa, sizeof(sa)), 0, "connect: %m");
		cr_assert_eq(write(c[k], "start\n", 6), 6);
		read_reply(c[k], buf, sizeof(buf));
		cr_assert_str_eq(buf, "ok\n");
		/* read_reply() closed the client: take its descriptor too. */
		fds[n++] = dup(0);
		cr_assert_geq(fds[n - 1], 0);
	}
	cr_assert_eq(starts, 2);
	while (n > 0)
		close(fds[--n]);
}

Test(control_server, errors_are_replies)
{
	expect_reply("kill 99\n", "error: kill: signal '99' is not a number from 1 to 64");
	expect_reply("bogus\n", "error: unknown request 'bogus'");
	expect_reply("\n", "error: empty request");
	refuse_start = true;
	expect_reply("start\n", "error: not now");
	cr_assert_eq(starts, 1);
	cr_assert_eq(kills, 0);
}

Test(control_server, line_without_newline_then_eof)
{
	char buf[256];
	int fd = client();

	cr_assert_eq(write(fd, "kill 2", 6), 6);
	cr_assert_eq(shutdown(fd, SHUT_WR), 0);
	read_reply(fd, buf, sizeof(buf));
	cr_assert_str_eq(buf, "ok\n");
	cr_assert_eq(last_sig, 2);
}

Test(control_server, line_in_pieces)
{
	char buf[256];
	int fd = client();

	cr_assert_eq(write(fd, "ki", 2), 2);
	usleep(20000);
	cr_assert_eq(write(fd, "ll 3 a", 6), 6);
	usleep(20000);
	cr_assert_eq(write(fd, "ll\n", 3), 3);
	read_reply(fd, buf, sizeof(buf));
	cr_assert_str_eq(buf, "ok\n");
	cr_assert_eq(last_sig, 3);
	cr_assert(last_all);
}

Test(control_server, only_the_first_line_counts)
{
	expect_reply("kill 4\nstart\n", "ok");
	usleep(20000);
	cr_assert_eq(kills, 1);
	cr_assert_eq(starts, 0);
}

Test(control_server, too_long)
{
	char line[CONTROL_LINE_MAX + 10], buf[256];

	memset(line, 'x', sizeof(line));
	request(line, sizeof(line), buf, sizeof(buf));
	cr_assert(strstr(buf, "error: request longer than"), "%s", buf);
}

Test(control_server, silent_clients_do_not_block_others)
{
	int silent[12];
	char buf[256];

	for (int i = 0; i < 12; i++)
		silent[i] = client();
	/* More silent connections than slots: the oldest were dropped. */
	usleep(50000);
	read_reply(silent[0], buf, sizeof(buf));
	cr_assert_str_eq(buf, "", "a dropped connection gets no reply");
	expect_reply("start\n", "ok");
	for (int i = 1; i < 12; i++)
		close(silent[i]);
	expect_reply("kill 1\n", "ok");
}

Test(control_server, client_gone_before_reply)
{
	int fd = client();

	cr_assert_eq(write(fd, "start\n", 6), 6);
	close(fd);
	usleep(50000);
	/* Still serving. */
	expect_reply("kill 5\n", "ok");
	cr_assert_eq(starts, 1);
}

Test(control_check_listener, refuses_what_is_not_a_listener)
{
	char err[256];
	int p[2], s;

	cr_assert_eq(pipe(p), 0);
	cr_assert_eq(control_check_listener(p[0], err, sizeof(err)), -ENOTSOCK);
	cr_assert_str_eq(err, "not a socket");
	close(p[0]);
	close(p[1]);
	cr_assert_eq(control_check_listener(p[0], err, sizeof(err)), -EBADF);
	s = socket(AF_UNIX, SOCK_DGRAM, 0);
	cr_assert_eq(control_check_listener(s, err, sizeof(err)), -EPROTOTYPE);
	close(s);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert_eq(control_check_listener(s, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "not listening"), "%s", err);
	close(s);
	s = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_eq(control_check_listener(s, err, sizeof(err)), -EPROTOTYPE);
	close(s);
}
