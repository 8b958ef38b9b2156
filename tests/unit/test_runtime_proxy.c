/* test_runtime_proxy.c: the exec proxy's relay (runtime/proxy.c) against a fake agent on a
 * socketpair: what a well-behaved guest sends arrives where it belongs, and what a hostile
 * one sends ends the relay with 255 rather than a hang or a wrong status. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/agent_proto.h"
#include "runtime/proxy.h"

static int sp[2] = {-1, -1}; /* [0] the proxy's end, [1] the fake agent's */
static int outp[2] = {-1, -1}, errp[2] = {-1, -1};

static void setup(void)
{
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
	cr_assert_eq(pipe2(outp, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(errp, O_CLOEXEC), 0);
	/* Room for what the tests send, so the relay never blocks on them. */
	fcntl(outp[1], F_SETPIPE_SZ, 1 << 20);
}

static void teardown(void)
{
	int *fds[] = {sp, outp, errp};

	for (size_t i = 0; i < 3; i++)
		for (int j = 0; j < 2; j++)
			if (fds[i][j] >= 0)
				close(fds[i][j]);
}

TestSuite(runtime_proxy, .init = setup, .fini = teardown, .timeout = 20);

static void put(const void *b, size_t len)
{
	cr_assert_eq(write(sp[1], b, len), (ssize_t)len);
}

static void frame(enum hy_agent_frame type, const void *data, size_t len)
{
	uint8_t hdr[HY_AGENT_HDR_LEN];

	hy_agent_hdr_encode(hdr, type, (uint32_t)len);
	put(hdr, sizeof(hdr));
	if (len)
		put(data, len);
}

static void exit_frame(uint32_t kind, uint32_t code)
{
	uint8_t b[8];

	hy_agent_put32(b, kind);
	hy_agent_put32(b + 4, code);
	frame(HY_AGENT_EXIT, b, sizeof(b));
}

static int run(int in)
{
	struct proxy p = {
	    .conn = sp[0], .in = in, .out = outp[1], .err = errp[1], .term = -1, .sfd = -1};

	return proxy_run(&p);
}

static void expect_pipe(int fd, const char *want)
{
	char buf[256];
	ssize_t n;

	fcntl(fd, F_SETFL, O_NONBLOCK);
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	cr_assert_str_eq(buf, want);
}

Test(runtime_proxy, output_apart_and_status)
{
	frame(HY_AGENT_STDOUT, "out1 ", 5);
	frame(HY_AGENT_STDERR, "err1 ", 5);
	frame(HY_AGENT_STDOUT, "out2", 4);
	frame(HY_AGENT_STDERR, "err2", 4);
	exit_frame(HY_EXIT_KIND_EXITED, 3);
	cr_assert_eq(run(-1), 3);
	expect_pipe(outp[0], "out1 out2");
	expect_pipe(errp[0], "err1 err2");
}

Test(runtime_proxy, killed_by_a_signal)
{
	exit_frame(HY_EXIT_KIND_SIGNALED, 9);
	cr_assert_eq(run(-1), 137);
}

static void *agent_sends_a_megabyte(void *arg)
{
	static char chunk[HY_AGENT_FRAME_MAX];

	(void)arg;
	memset(chunk, 'x', sizeof(chunk));
	for (int i = 0; i < 16; i++)
		frame(HY_AGENT_STDOUT, chunk, sizeof(chunk));
	exit_frame(HY_EXIT_KIND_EXITED, 0);
	return NULL;
}

/* More than the socket holds: the relay takes frames as they come. */
Test(runtime_proxy, a_megabyte_of_output)
{
	size_t total = 0;
	char buf[65536];
	pthread_t t;
	ssize_t n;

	cr_assert_eq(pthread_create(&t, NULL, agent_sends_a_megabyte, NULL), 0);
	cr_assert_eq(run(-1), 0);
	pthread_join(t, NULL);
	fcntl(outp[0], F_SETFL, O_NONBLOCK);
	while ((n = read(outp[0], buf, sizeof(buf))) > 0)
		total += (size_t)n;
	cr_assert_eq(total, 16 * (size_t)HY_AGENT_FRAME_MAX);
}

static char stdin_seen[64];
static int stdin_frames, stdin_eofs;

/* The fake agent: reads STDIN frames until the empty one, then answers EXIT. */
static void *agent_reads_stdin(void *arg)
{
	size_t len = 0;

	(void)arg;
	for (;;) {
		uint8_t hdr[HY_AGENT_HDR_LEN];
		enum hy_agent_frame type;
		uint32_t n;

		if (read(sp[1], hdr, sizeof(hdr)) != (ssize_t)sizeof(hdr) ||
		    hy_agent_hdr_decode(hdr, &type, &n) || type != HY_AGENT_STDIN)
			break;
		if (n == 0) {
			stdin_eofs++;
			break;
		}
		if (len + n >= sizeof(stdin_seen) || read(sp[1], stdin_seen + len, n) != (ssize_t)n)
			break;
		len += n;
		stdin_frames++;
	}
	exit_frame(HY_EXIT_KIND_EXITED, 0);
	return NULL;
}

Test(runtime_proxy, stdin_and_its_end)
{
	int in[2];
	pthread_t t;

	cr_assert_eq(pipe2(in, O_CLOEXEC), 0);
	cr_assert_eq(write(in[1], "abc", 3), 3);
	close(in[1]);
	cr_assert_eq(pthread_create(&t, NULL, agent_reads_stdin, NULL), 0);
	cr_assert_eq(run(in[0]), 0);
	pthread_join(t, NULL);
	close(in[0]);
	cr_assert_str_eq(stdin_seen, "abc");
	cr_assert_eq(stdin_eofs, 1);
}

/* --- a hostile guest ------------------------------------------------------------------- */

Test(runtime_proxy, header_with_reserved_bytes)
{
	uint8_t hdr[HY_AGENT_HDR_LEN];

	hy_agent_hdr_encode(hdr, HY_AGENT_STDOUT, 1);
	hdr[5] = 0xff;
	put(hdr, sizeof(hdr));
	put("x", 1);
	cr_assert_eq(run(-1), 255);
}

Test(runtime_proxy, frame_larger_than_allowed)
{
	uint8_t hdr[HY_AGENT_HDR_LEN];

	hy_agent_hdr_encode(hdr, HY_AGENT_STDOUT, 0);
	hy_agent_put32(hdr, HY_AGENT_FRAME_MAX + 1);
	put(hdr, sizeof(hdr));
	cr_assert_eq(run(-1), 255);
}

Test(runtime_proxy, host_frame_types_refused)
{
	frame(HY_AGENT_STDIN, "x", 1);
	cr_assert_eq(run(-1), 255);
}

Test(runtime_proxy, a_second_reply_refused)
{
	frame(HY_AGENT_REPLY, "{\"ok\":true}", 11);
	cr_assert_eq(run(-1), 255);
}

Test(runtime_proxy, exit_of_the_wrong_size)
{
	frame(HY_AGENT_EXIT, "\0\0\0\0", 4);
	cr_assert_eq(run(-1), 255);
}

Test(runtime_proxy, exit_status_out_of_range)
{
	exit_frame(HY_EXIT_KIND_EXITED, 256);
	cr_assert_eq(run(-1), 255);
}

Test(runtime_proxy, exit_signal_out_of_range)
{
	exit_frame(HY_EXIT_KIND_SIGNALED, 0);
	cr_assert_eq(run(-1), 255);
}

Test(runtime_proxy, exit_of_an_unknown_kind)
{
	exit_frame(HY_EXIT_KIND_INIT_ERROR, 1);
	cr_assert_eq(run(-1), 255);
}

Test(runtime_proxy, connection_ends_before_exit)
{
	frame(HY_AGENT_STDOUT, "partial", 7);
	close(sp[1]);
	sp[1] = -1;
	cr_assert_eq(run(-1), 255);
	expect_pipe(outp[0], "partial");
}

Test(runtime_proxy, connection_ends_inside_a_frame)
{
	uint8_t hdr[HY_AGENT_HDR_LEN];

	hy_agent_hdr_encode(hdr, HY_AGENT_STDOUT, 100);
	put(hdr, sizeof(hdr));
	put("short", 5);
	close(sp[1]);
	sp[1] = -1;
	cr_assert_eq(run(-1), 255);
}
