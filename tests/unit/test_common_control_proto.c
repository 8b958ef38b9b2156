/* test_common_control_proto.c: the control protocol's codec: requests parsed and formatted,
 * replies formatted and parsed. */
#include "common/control_proto.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <string.h>

/* --- control_parse ------------------------------------------------------------------ */

static int parse(const char *line, struct control_request *req, char *err, size_t errlen)
{
	return control_request_parse(line, strlen(line), req, err, errlen);
}

Test(control_parse, start)
{
	struct control_request req = {.op = CONTROL_KILL, .sig = 3, .all = true};
	char err[256] = "";

	cr_assert_eq(parse("start", &req, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(req.op, CONTROL_START);
	cr_assert_eq(req.sig, 0);
	cr_assert_not(req.all);
	cr_assert_eq(parse("start\r", &req, err, sizeof(err)), 0, "a CRLF line ending");
}

Test(control_parse, kill)
{
	struct control_request req;
	char err[256] = "";

	cr_assert_eq(parse("kill 15", &req, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(req.op, CONTROL_KILL);
	cr_assert_eq(req.sig, 15);
	cr_assert_not(req.all);
	cr_assert_eq(parse("kill 10 all", &req, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(req.sig, 10);
	cr_assert(req.all);
	cr_assert_eq(parse("kill 1", &req, err, sizeof(err)), 0);
	cr_assert_eq(req.sig, 1);
	cr_assert_eq(parse("kill 64 all", &req, err, sizeof(err)), 0);
	cr_assert_eq(req.sig, 64);
	cr_assert_eq(parse("kill 009", &req, err, sizeof(err)), 0);
	cr_assert_eq(req.sig, 9);
}

static void expect_error(const char *line, const char *want)
{
	struct control_request req;
	char err[256] = "";

	cr_assert_eq(control_request_parse(line, strlen(line), &req, err, sizeof(err)), -EINVAL,
		     "'%s' was accepted", line);
	cr_assert(strstr(err, want), "'%s': error '%s' lacks '%s'", line, err, want);
}

Test(control_parse, refused)
{
	expect_error("", "empty request");
	expect_error("\r", "empty request");
	expect_error("stop", "unknown request 'stop'");
	expect_error("START", "unknown request 'START'");
	expect_error("start now", "start takes no argument");
	expect_error("kill", "kill needs a signal number");
	expect_error("kill 0", "signal '0' is not a number from 1 to 64");
	expect_error("kill 65", "signal '65' is not");
	expect_error("kill 1000", "signal '1000' is not");
	expect_error("kill -9", "signal '-9' is not");
	expect_error("kill +9", "signal '+9' is not");
	expect_error("kill TERM", "signal 'TERM' is not");
	expect_error("kill 15x", "signal '15x' is not");
	expect_error("kill 15 some", "expected kill SIG or kill SIG all");
	expect_error("kill 15 all more", "expected kill SIG or kill SIG all");
	expect_error("kill 15 all more words", "too many words");
	expect_error("kill  15", "separated by one space");
	expect_error(" start", "separated by one space");
	expect_error("start ", "separated by one space");
	expect_error("kill\t15", "unknown request 'kill?15'");
}

Test(control_parse, embedded_nul_and_unprintable)
{
	struct control_request req;
	char err[256] = "";
	static const char line[] = "start\0junk";

	cr_assert_eq(control_request_parse(line, sizeof(line) - 1, &req, err, sizeof(err)),
		     -EINVAL);
	cr_assert(strstr(err, "start?junk"), "%s", err);
	expect_error("\x1b[2Jboom", "unknown request '?[2Jboom'");
}

Test(control_parse, long_words_are_cut_in_messages)
{
	char line[200], err[256] = "";
	struct control_request req;

	memset(line, 'a', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	cr_assert_eq(parse(line, &req, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "..."), "%s", err);
	cr_assert_lt(strlen(err), 120, "%s", err);
}

/* --- round trips ------------------------------------------------------------------- */

static void round_trip(struct control_request in)
{
	struct control_request out = {.op = CONTROL_START, .sig = -1, .all = !in.all};
	char line[CONTROL_LINE_MAX + 1], err[256] = "";
	int n = control_request_format(&in, line, sizeof(line));

	cr_assert_gt(n, 0);
	cr_assert_eq((size_t)n, strlen(line));
	cr_assert_eq(line[n - 1], '\n', "'%s' has no newline", line);
	cr_assert_eq(control_request_parse(line, (size_t)n - 1, &out, err, sizeof(err)), 0,
		     "'%s': %s", line, err);
	cr_assert_eq(out.op, in.op);
	if (in.op == CONTROL_KILL) {
		cr_assert_eq(out.sig, in.sig);
		cr_assert_eq(out.all, in.all);
	}
}

Test(control_request, format_parse_round_trip)
{
	round_trip((struct control_request){.op = CONTROL_START});
	for (int sig = 1; sig <= CONTROL_SIG_MAX; sig++) {
		round_trip((struct control_request){.op = CONTROL_KILL, .sig = sig});
		round_trip((struct control_request){.op = CONTROL_KILL, .sig = sig, .all = true});
	}
}

Test(control_request, format_refuses_out_of_range)
{
	char line[CONTROL_LINE_MAX + 1];

	cr_assert_eq(control_request_format(&(struct control_request){.op = CONTROL_KILL, .sig = 0},
					    line, sizeof(line)),
		     -EINVAL);
	cr_assert_eq(control_request_format(
			 &(struct control_request){.op = CONTROL_KILL, .sig = CONTROL_SIG_MAX + 1},
			 line, sizeof(line)),
		     -EINVAL);
}

Test(control_reply, ok_round_trip)
{
	char line[CONTROL_LINE_MAX + 1], err[256] = "";
	int n = control_reply_format(NULL, line, sizeof(line));

	cr_assert_str_eq(line, "ok\n");
	cr_assert_eq(n, 3);
	cr_assert_eq(control_reply_parse(line, (size_t)n, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(control_reply_parse(line, 2, err, sizeof(err)), 0, "without its newline");
}

Test(control_reply, error_round_trip)
{
	char line[CONTROL_LINE_MAX + 1], err[256] = "";
	int n = control_reply_format("the workload is not prepared yet", line, sizeof(line));

	cr_assert_str_eq(line, "error: the workload is not prepared yet\n");
	cr_assert_eq(control_reply_parse(line, (size_t)n, err, sizeof(err)), -EIO);
	cr_assert(strstr(err, "the workload is not prepared yet"), "%s", err);
}

Test(control_reply, newlines_in_a_reason_stay_on_one_line)
{
	char line[CONTROL_LINE_MAX + 1];
	int n = control_reply_format("two\nlines", line, sizeof(line));

	cr_assert_gt(n, 0);
	cr_assert_null(memchr(line, '\n', (size_t)n - 1), "'%s'", line);
	cr_assert_eq(line[n - 1], '\n');
}

Test(control_reply, long_reason_is_cut)
{
	char reason[400], line[CONTROL_LINE_MAX + 1];
	int n;

	memset(reason, 'x', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = '\0';
	n = control_reply_format(reason, line, sizeof(line));
	cr_assert_gt(n, 0);
	cr_assert_lt((size_t)n, sizeof(line));
	cr_assert_eq(line[n - 1], '\n');
}

Test(control_reply, garbage_is_a_protocol_error)
{
	char err[256] = "";

	cr_assert_eq(control_reply_parse("", 0, err, sizeof(err)), -EPROTO);
	cr_assert_eq(control_reply_parse("okay\n", 5, err, sizeof(err)), -EPROTO);
	cr_assert_eq(control_reply_parse("hello\n", 6, err, sizeof(err)), -EPROTO);
}
