/* test_runtime_agent.c: the runtime's end of the agent channel (runtime/agent.c) against a
 * fake VMM: a thread on the container's vsock.sock that plays the hybrid handshake and the
 * agent, or misbehaves. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "runtime/agent.h"
#include "runtime/container.h"

enum fake_mode {
	FAKE_OK,	  /* OK, then an ok reply to the request */
	FAKE_REFUSE,	  /* close after the CONNECT line, as for an RST */
	FAKE_BAD_LINE,	  /* not "OK <port>" */
	FAKE_BAD_HEADER,  /* OK, then a frame header with reserved bytes set */
	FAKE_CUT_FRAME,	  /* OK, then half a frame */
	FAKE_WRONG_TYPE,  /* OK, then STDOUT instead of REPLY */
	FAKE_AGENT_ERROR, /* OK, then {"ok": false, ...} */
	FAKE_GARBAGE_REPLY,
};

static char dir[64];
static int dirfd_ = -1, lfd = -1;
static struct container ct;
static pthread_t thr;
static enum fake_mode mode;
static char got_line[64], got_request[1024];
static char err[512];

static void send_frame(int fd, enum hy_agent_frame type, const char *data, size_t len)
{
	uint8_t hdr[HY_AGENT_HDR_LEN];

	hy_agent_hdr_encode(hdr, type, (uint32_t)len);
	cr_assert_eq(write(fd, hdr, sizeof(hdr)), (ssize_t)sizeof(hdr));
	if (len)
		cr_assert_eq(write(fd, data, len), (ssize_t)len);
}

static void *fake_vmm(void *arg)
{
	int c = accept(lfd, NULL, NULL);
	size_t n = 0;
	uint8_t hdr[HY_AGENT_HDR_LEN];
	static const char reply[] = "{\"ok\": true}";
	static const char refusal[] = "{\"ok\": false, \"error\": \"not prepared yet\"}";

	(void)arg;
	if (c < 0)
		return NULL;
	while (n + 1 < sizeof(got_line) && read(c, got_line + n, 1) == 1 && got_line[n] != '\n')
		n++;
	got_line[n] = '\0';
	switch (mode) {
	case FAKE_REFUSE:
		close(c);
		return NULL;
	case FAKE_BAD_LINE:
		(void)!write(c, "NO\n", 3);
		close(c);
		return NULL;
	default:
		break;
	}
	(void)!write(c, "OK 1073741824\n", 14);
	if (read(c, hdr, sizeof(hdr)) == (ssize_t)sizeof(hdr)) {
		uint32_t len = hy_agent_get32(hdr);

		if (len < sizeof(got_request) && read(c, got_request, len) == (ssize_t)len)
			got_request[len] = '\0';
	}
	switch (mode) {
	case FAKE_OK:
		send_frame(c, HY_AGENT_REPLY, reply, strlen(reply));
		break;
	case FAKE_AGENT_ERROR:
		send_frame(c, HY_AGENT_REPLY, refusal, strlen(refusal));
		break;
	case FAKE_BAD_HEADER:
		hy_agent_hdr_encode(hdr, HY_AGENT_REPLY, 2);
		hdr[6] = 1;
		(void)!write(c, hdr, sizeof(hdr));
		break;
	case FAKE_CUT_FRAME:
		hy_agent_hdr_encode(hdr, HY_AGENT_REPLY, 100);
		(void)!write(c, hdr, sizeof(hdr));
		(void)!write(c, "{\"ok\"", 5);
		break;
	case FAKE_WRONG_TYPE:
		send_frame(c, HY_AGENT_STDOUT, "hi", 2);
		break;
	case FAKE_GARBAGE_REPLY:
		send_frame(c, HY_AGENT_REPLY, "{\"ok\": 7}", 9);
		break;
	default:
		break;
	}
	close(c);
	return NULL;
}

static void start_fake(enum fake_mode m)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};

	mode = m;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s/%s", dir, HY_VSOCK_SOCKET);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(lfd, 0);
	cr_assert_eq(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(lfd, 4), 0);
	cr_assert_eq(pthread_create(&thr, NULL, fake_vmm, NULL), 0);
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/hyrun-rtagent-XXXXXX");
	cr_assert(mkdtemp(dir));
	dirfd_ = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(dirfd_, 0);
	ct = (struct container){.dir = dir, .dirfd = dirfd_};
	got_line[0] = got_request[0] = err[0] = '\0';
	lfd = -1;
}

static void teardown(void)
{
	char path[128];

	if (lfd >= 0) {
		pthread_join(thr, NULL);
		close(lfd);
	}
	snprintf(path, sizeof(path), "%s/%s", dir, HY_VSOCK_SOCKET);
	unlink(path);
	rmdir(dir);
	close(dirfd_);
}

TestSuite(runtime_agent, .init = setup, .fini = teardown, .timeout = 20);

Test(runtime_agent, request_and_reply)
{
	struct agent_request req = {.op = AGENT_OP_SIGNAL, .sig = 15};
	struct agent_reply rep;

	start_fake(FAKE_OK);
	cr_assert_eq(agent_request(&ct, &req, &rep, err, sizeof(err)), 0, "%s", err);
	cr_assert(rep.ok);
	agent_reply_free(&rep);
	cr_assert_str_eq(got_line, "CONNECT 1024");
	cr_assert(strstr(got_request, "\"signal\""), "%s", got_request);
}

Test(runtime_agent, no_socket)
{
	struct agent_request req = {.op = AGENT_OP_START};

	cr_assert_eq(agent_request(&ct, &req, NULL, err, sizeof(err)), -ENOENT);
	cr_assert(strstr(err, "no vsock socket"), "%s", err);
}

Test(runtime_agent, refused_is_econnrefused)
{
	struct agent_request req = {.op = AGENT_OP_START};

	start_fake(FAKE_REFUSE);
	cr_assert_eq(agent_request(&ct, &req, NULL, err, sizeof(err)), -ECONNREFUSED);
	cr_assert(strstr(err, "refused"), "%s", err);
}

Test(runtime_agent, bad_handshake_line)
{
	struct agent_request req = {.op = AGENT_OP_START};

	start_fake(FAKE_BAD_LINE);
	cr_assert_eq(agent_request(&ct, &req, NULL, err, sizeof(err)), -EPROTO, "%s", err);
}

Test(runtime_agent, malformed_header)
{
	struct agent_request req = {.op = AGENT_OP_PS};

	start_fake(FAKE_BAD_HEADER);
	cr_assert_eq(agent_request(&ct, &req, NULL, err, sizeof(err)), -EPROTO, "%s", err);
	cr_assert(strstr(err, "malformed"), "%s", err);
}

Test(runtime_agent, cut_frame)
{
	struct agent_request req = {.op = AGENT_OP_PS};

	start_fake(FAKE_CUT_FRAME);
	cr_assert_eq(agent_request(&ct, &req, NULL, err, sizeof(err)), -EPROTO, "%s", err);
}

Test(runtime_agent, wrong_frame_type)
{
	struct agent_request req = {.op = AGENT_OP_STATS};

	start_fake(FAKE_WRONG_TYPE);
	cr_assert_eq(agent_request(&ct, &req, NULL, err, sizeof(err)), -EPROTO, "%s", err);
}

Test(runtime_agent, refusal_text_comes_back)
{
	struct agent_request req = {.op = AGENT_OP_START};

	start_fake(FAKE_AGENT_ERROR);
	cr_assert_eq(agent_request(&ct, &req, NULL, err, sizeof(err)), -EIO);
	cr_assert_str_eq(err, "not prepared yet");
}

Test(runtime_agent, garbage_reply_refused)
{
	struct agent_request req = {.op = AGENT_OP_START};

	start_fake(FAKE_GARBAGE_REPLY);
	cr_assert_eq(agent_request(&ct, &req, NULL, err, sizeof(err)), -EPROTO, "%s", err);
}
