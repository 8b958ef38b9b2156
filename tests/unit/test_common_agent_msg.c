/* test_common_agent_msg.c: the agent channel's JSON: round trips and every refusal. */
#include <criterion/criterion.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/agent_msg.h"
#include "common/agent_proto.h"

#define EXEC_CONFIG                                                                                \
	"{\"version\":1,\"process\":{\"args\":[\"/bin/echo\",\"hi\"],\"cwd\":\"/\",\"uid\":0,"     \
	"\"gid\":0}}"

static char err[512];

/* --- helpers -------------------------------------------------------------------- */

static void request_round_trip(const struct agent_request *in, struct agent_request *out,
			       const char *expect_text)
{
	size_t len = 0;
	char *text = agent_request_encode(in, &len, err, sizeof(err));

	cr_assert_not_null(text, "encode: %s", err);
	cr_assert_eq(len, strlen(text));
	if (expect_text)
		cr_assert_str_eq(text, expect_text);
	cr_assert_eq(agent_request_decode(out, text, len, err, sizeof(err)), 0, "decode %s: %s",
		     text, err);
	cr_assert_eq(out->op, in->op);
	free(text);
}

static void refuse_request(const char *text, const char *expect_err)
{
	struct agent_request r;

	err[0] = 0;
	cr_assert_eq(agent_request_decode(&r, text, strlen(text), err, sizeof(err)), -EINVAL,
		     "accepted: %s", text);
	cr_assert(strstr(err, expect_err), "%s: error '%s', expected '%s'", text, err, expect_err);
	cr_assert_null(r.config);
}

static void refuse_reply(const char *text, const char *expect_err)
{
	struct agent_reply r;

	err[0] = 0;
	cr_assert_eq(agent_reply_decode(&r, text, strlen(text), err, sizeof(err)), -EINVAL,
		     "accepted: %s", text);
	cr_assert(strstr(err, expect_err), "%s: error '%s', expected '%s'", text, err, expect_err);
	cr_assert_null(r.processes);
}

static void refuse_event(const char *text, const char *expect_err)
{
	struct agent_event ev;

	err[0] = 0;
	cr_assert_eq(agent_event_decode(&ev, text, strlen(text), err, sizeof(err)), -EINVAL,
		     "accepted: %s", text);
	cr_assert(strstr(err, expect_err), "%s: error '%s', expected '%s'", text, err, expect_err);
}

static void refuse_request_encode(const struct agent_request *r, int expect_errno,
				  const char *expect_err)
{
	size_t len;
	char *text;

	err[0] = 0;
	errno = 0;
	text = agent_request_encode(r, &len, err, sizeof(err));
	cr_assert_null(text, "encoded: %s", text);
	cr_assert_eq(errno, expect_errno, "errno %d", errno);
	cr_assert(strstr(err, expect_err), "error '%s', expected '%s'", err, expect_err);
}

static void refuse_reply_encode(const struct agent_reply *r, int expect_errno,
				const char *expect_err)
{
	size_t len;
	char *text;

	err[0] = 0;
	errno = 0;
	text = agent_reply_encode(r, &len, err, sizeof(err));
	cr_assert_null(text, "encoded: %s", text);
	cr_assert_eq(errno, expect_errno, "errno %d", errno);
	cr_assert(strstr(err, expect_err), "error '%s', expected '%s'", err, expect_err);
}

/* --- requests ------------------------------------------------------------------- */

Test(agent_msg, op_names)
{
	cr_assert_str_eq(agent_op_name(AGENT_OP_START), "start");
	cr_assert_str_eq(agent_op_name(AGENT_OP_EXEC), "exec");
	cr_assert_str_eq(agent_op_name(AGENT_OP_EVENTS), "events");
	cr_assert_null(agent_op_name((enum agent_op)99));
}

Test(agent_msg, request_simple_ops)
{
	static const struct {
		enum agent_op op;
		const char *text;
	} cases[] = {
	    {AGENT_OP_START, "{\"op\":\"start\"}"},   {AGENT_OP_PS, "{\"op\":\"ps\"}"},
	    {AGENT_OP_STATS, "{\"op\":\"stats\"}"},   {AGENT_OP_EVENTS, "{\"op\":\"events\"}"},
	    {AGENT_OP_UPDATE, "{\"op\":\"update\"}"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct agent_request in = {.op = cases[i].op}, out;

		request_round_trip(&in, &out, cases[i].text);
		agent_request_free(&out);
	}
}

Test(agent_msg, request_signal)
{
	struct agent_request in = {.op = AGENT_OP_SIGNAL, .sig = 15}, out;

	request_round_trip(&in, &out, "{\"op\":\"signal\",\"signal\":15}");
	cr_assert_eq(out.sig, 15);
	cr_assert(!out.all);
	in.sig = 64;
	in.all = true;
	request_round_trip(&in, &out, "{\"op\":\"signal\",\"signal\":64,\"all\":true}");
	cr_assert_eq(out.sig, 64);
	cr_assert(out.all);
	cr_assert_eq(agent_request_decode(&out, "{\"all\":false,\"signal\":1,\"op\":\"signal\"}",
					  38, err, sizeof(err)),
		     0, "%s", err);
	cr_assert(!out.all && out.sig == 1);
}

Test(agent_msg, request_exec)
{
	struct agent_request in = {.op = AGENT_OP_EXEC,
				   .config = EXEC_CONFIG,
				   .config_len = strlen(EXEC_CONFIG)},
			     out;

	request_round_trip(&in, &out, "{\"op\":\"exec\",\"config\":" EXEC_CONFIG "}");
	cr_assert_str_eq(out.config, EXEC_CONFIG);
	cr_assert_eq(out.config_len, strlen(EXEC_CONFIG));
	agent_request_free(&out);
	cr_assert_null(out.config);

	/* Spaces in the caller's text: the request carries it compact. */
	in.config = " { \"version\" : 1, \"process\" : {\"args\":[\"sh\"],\"cwd\":\"/\",\"uid\":1,"
		    "\"gid\":2,\"terminal\":true}, \"seccomp\": {\"defaultAction\":"
		    "\"SCMP_ACT_ALLOW\"} } ";
	in.config_len = strlen(in.config);
	request_round_trip(&in, &out, NULL);
	cr_assert_null(strchr(out.config, ' '), "%s", out.config);
	cr_assert(strstr(out.config, "\"terminal\":true"));
	agent_request_free(&out);
}

#define START_CONFIG                                                                               \
	"{\"version\":1,\"network\":[{\"name\":\"eth0\",\"mac\":\"02:42:ac:11:00:02\",\"mtu\":"    \
	"1500,"                                                                                    \
	"\"addresses\":[\"10.88.0.5/16\"]}]}"

Test(agent_msg, request_start_config)
{
	struct agent_request in = {.op = AGENT_OP_START,
				   .config = START_CONFIG,
				   .config_len = strlen(START_CONFIG)},
			     out;

	request_round_trip(&in, &out, "{\"op\":\"start\",\"config\":" START_CONFIG "}");
	cr_assert_str_eq(out.config, START_CONFIG);
	cr_assert_eq(out.config_len, strlen(START_CONFIG));
	agent_request_free(&out);
	cr_assert_null(out.config);

	/* Without: none decoded. */
	in.config = NULL;
	in.config_len = 0;
	request_round_trip(&in, &out, "{\"op\":\"start\"}");
	cr_assert_null(out.config);
	agent_request_free(&out);

	/* No NIC: every standby NIC is to be unbound. */
	in.config = " {\"network\": [], \"version\": 1} ";
	in.config_len = strlen(in.config);
	request_round_trip(&in, &out,
			   "{\"op\":\"start\",\"config\":{\"network\":[],\"version\":1}}");
	agent_request_free(&out);
}

Test(agent_msg, request_start_refusals)
{
	struct agent_request r = {.op = AGENT_OP_START};

	refuse_request("{\"op\":\"start\",\"config\":\"{}\"}", "config: must be an object");
	refuse_request("{\"op\":\"start\",\"config\":null}", "config: must be an object");
	refuse_request("{\"op\":\"start\",\"config\":{}}", "config: version: must be an integer");
	refuse_request("{\"op\":\"start\",\"config\":" EXEC_CONFIG "}",
		       "config: start configuration: unknown member \"process\"");
	refuse_request("{\"op\":\"start\",\"config\":{\"version\":1,\"standbyNics\":[]}}",
		       "config: start configuration: unknown member \"standbyNics\"");
	refuse_request("{\"op\":\"start\",\"config\":{\"version\":1,\"network\":[{\"name\":\"lo\","
		       "\"mac\":\"02:42:ac:11:00:02\",\"mtu\":1500}]}}",
		       "config: network[0].name: \"lo\" is not an interface name");
	refuse_request("{\"op\":\"start\",\"config\":" START_CONFIG ",\"config\":{}}", "duplicate");

	r.config = "{\"version\":1,\"network\":{}}";
	r.config_len = strlen(r.config);
	refuse_request_encode(&r, EINVAL, "config: network: must be an array of objects");
	r.config = EXEC_CONFIG;
	r.config_len = strlen(r.config);
	refuse_request_encode(&r, EINVAL,
			      "config: start configuration: unknown member \"process\"");
	r.config = "[]";
	r.config_len = 2;
	refuse_request_encode(&r, EINVAL, "config: must be an object");
	/* A start configuration is no exec's. */
	r = (struct agent_request){
	    .op = AGENT_OP_EXEC, .config = START_CONFIG, .config_len = strlen(START_CONFIG)};
	refuse_request_encode(&r, EINVAL, "config: unknown member \"network\"");
}

Test(agent_msg, request_update)
{
	struct agent_request in = {.op = AGENT_OP_UPDATE,
				   .res = {.has_memory = true,
					   .memory = 64 << 20,
					   .has_pids = true,
					   .pids = -1,
					   .has_cpu_quota = true,
					   .cpu_quota = 50000,
					   .has_cpu_period = true,
					   .cpu_period = 100000,
					   .has_cpu_weight = true,
					   .cpu_weight = 10000}},
			     out;

	request_round_trip(&in, &out,
			   "{\"op\":\"update\",\"memory\":67108864,\"pids\":-1,\"cpu_quota\":50000,"
			   "\"cpu_period\":100000,\"cpu_weight\":10000}");
	cr_assert(out.res.has_memory && out.res.memory == 64 << 20);
	cr_assert(out.res.has_pids && out.res.pids == -1);
	cr_assert(out.res.has_cpu_quota && out.res.cpu_quota == 50000);
	cr_assert(out.res.has_cpu_period && out.res.cpu_period == 100000);
	cr_assert(out.res.has_cpu_weight && out.res.cpu_weight == 10000);

	in.res = (struct agent_resources){.has_cpu_quota = true, .cpu_quota = -1};
	request_round_trip(&in, &out, "{\"op\":\"update\",\"cpu_quota\":-1}");
	cr_assert(out.res.has_cpu_quota && out.res.cpu_quota == -1);
	cr_assert(!out.res.has_memory && !out.res.has_pids && !out.res.has_cpu_period &&
		  !out.res.has_cpu_weight);
	in.res =
	    (struct agent_resources){.has_memory = true, .memory = -1, .has_pids = true, .pids = 1};
	request_round_trip(&in, &out, "{\"op\":\"update\",\"memory\":-1,\"pids\":1}");
}

Test(agent_msg, request_refusals)
{
	refuse_request("", "request: invalid JSON");
	refuse_request("{\"op\":\"start\"", "request: invalid JSON");
	refuse_request("[]", "request: must be a JSON object");
	refuse_request("\"start\"", "request: invalid JSON"); /* jansson: not an array or object */
	refuse_request("{}", "op: required");
	refuse_request("{\"op\":1}", "op: must be a string");
	refuse_request("{\"op\":\"reboot\"}", "op: unknown op \"reboot\"");
	refuse_request("{\"op\":\"start\",\"op\":\"ps\"}", "duplicate");
	refuse_request("{\"op\":\"start\",\"x\":1}", "request: unknown member \"x\"");
	refuse_request("{\"op\":\"start\",\"signal\":9}", "request: unknown member \"signal\"");
	refuse_request("{\"op\":\"ps\",\"config\":{}}", "request: unknown member \"config\"");
	refuse_request("{\"op\":\"signal\"}", "signal: required");
	refuse_request("{\"op\":\"signal\",\"signal\":0}",
		       "signal: must be an integer from 1 to 64");
	refuse_request("{\"op\":\"signal\",\"signal\":65}", "signal: must be an integer");
	refuse_request("{\"op\":\"signal\",\"signal\":\"9\"}", "signal: must be an integer");
	refuse_request("{\"op\":\"signal\",\"signal\":9.0}", "signal: must be an integer");
	refuse_request("{\"op\":\"signal\",\"signal\":9,\"all\":1}", "all: must be true or false");
	refuse_request("{\"op\":\"signal\",\"signal\":9,\"signal\":9}", "duplicate");
	refuse_request("{\"op\":\"signal\",\"signal\":99999999999999999999}", "invalid JSON");
	refuse_request("{\"op\":\"exec\"}", "config: required");
	refuse_request("{\"op\":\"exec\",\"config\":\"{}\"}", "config: must be an object");
	refuse_request("{\"op\":\"exec\",\"config\":{\"version\":1,\"hostname\":\"x\","
		       "\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"uid\":0,\"gid\":0}}}",
		       "config: unknown member \"hostname\"");
	refuse_request("{\"op\":\"exec\",\"config\":{\"version\":1,\"mounts\":[]}}",
		       "config: unknown member \"mounts\"");
	refuse_request("{\"op\":\"exec\",\"config\":{\"version\":1,\"process\":{\"args\":[],"
		       "\"cwd\":\"/\",\"uid\":0,\"gid\":0}}}",
		       "config: process.args: must be a non-empty array of strings");
	refuse_request("{\"op\":\"exec\",\"config\":{\"version\":1}}", "config: process: required");
	refuse_request("{\"op\":\"exec\",\"config\":{\"version\":1,\"process\":{\"args\":[\"sh\"],"
		       "\"cwd\":\"/\",\"uid\":0,\"gid\":0,\"cwd\":\"/\"}}}",
		       "duplicate");
	refuse_request("{\"op\":\"update\",\"memory\":-2}", "memory: must be an integer from -1");
	refuse_request("{\"op\":\"update\",\"memory\":\"1g\"}", "memory: must be an integer");
	refuse_request("{\"op\":\"update\",\"pids\":0}",
		       "pids: must be -1 (no limit) or at least 1");
	refuse_request("{\"op\":\"update\",\"pids\":-2}", "pids: must be an integer");
	refuse_request("{\"op\":\"update\",\"cpu_quota\":999}", "cpu_quota: must be -1");
	refuse_request("{\"op\":\"update\",\"cpu_quota\":0}", "cpu_quota: must be -1");
	refuse_request("{\"op\":\"update\",\"cpu_period\":999}",
		       "cpu_period: must be an integer from 1000 to 1000000");
	refuse_request("{\"op\":\"update\",\"cpu_period\":1000001}", "cpu_period: must be");
	refuse_request("{\"op\":\"update\",\"cpu_period\":-1}", "cpu_period: must be");
	refuse_request("{\"op\":\"update\",\"cpu_weight\":0}",
		       "cpu_weight: must be an integer from 1 to 10000");
	refuse_request("{\"op\":\"update\",\"cpu_weight\":10001}", "cpu_weight: must be");
	refuse_request("{\"op\":\"update\",\"cpu_weight\":true}", "cpu_weight: must be");
	refuse_request("{\"op\":\"update\",\"swap\":1}", "request: unknown member \"swap\"");
}

Test(agent_msg, request_too_large)
{
	size_t n = HY_AGENT_FRAME_MAX + 1;
	char *big = malloc(n + 1);
	struct agent_request r;

	cr_assert_not_null(big);
	memset(big, ' ', n);
	memcpy(big, "{\"op\":\"ps\"}", 11);
	big[n] = 0;
	cr_assert_eq(agent_request_decode(&r, big, n, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "more than a frame"), "%s", err);
	/* One byte less is a frame's worth, and white space is fine. */
	cr_assert_eq(agent_request_decode(&r, big, n - 1, err, sizeof(err)), 0, "%s", err);
	free(big);
}

Test(agent_msg, request_encode_refusals)
{
	struct agent_request r = {.op = (enum agent_op)42};
	char *huge;
	size_t n = HY_AGENT_FRAME_MAX;

	refuse_request_encode(&r, EINVAL, "op: unknown op 42");
	r = (struct agent_request){.op = AGENT_OP_SIGNAL, .sig = 0};
	refuse_request_encode(&r, EINVAL, "signal: must be an integer from 1 to 64");
	r.sig = 65;
	refuse_request_encode(&r, EINVAL, "signal: must be");
	r = (struct agent_request){.op = AGENT_OP_EXEC};
	refuse_request_encode(&r, EINVAL, "config: required");
	r.config = "{\"version\":";
	r.config_len = strlen(r.config);
	refuse_request_encode(&r, EINVAL, "config: invalid JSON");
	r.config = "[1]";
	r.config_len = 3;
	refuse_request_encode(&r, EINVAL, "config: must be an object");
	r.config = "{\"version\":1,\"version\":1}";
	r.config_len = strlen(r.config);
	refuse_request_encode(&r, EINVAL, "config: invalid JSON");
	r.config = "{\"version\":1,\"mounts\":[],\"process\":{}}";
	r.config_len = strlen(r.config);
	refuse_request_encode(&r, EINVAL, "config: unknown member \"mounts\"");
	r.config =
	    "{\"version\":1,\"process\":{\"args\":[\"sh\"],\"cwd\":\"rel\",\"uid\":0,\"gid\":0}}";
	r.config_len = strlen(r.config);
	refuse_request_encode(&r, EINVAL, "config: process.cwd");
	/* config_len bounds the text: a prefix is not the object. */
	r.config = EXEC_CONFIG;
	r.config_len = 10;
	refuse_request_encode(&r, EINVAL, "config: invalid JSON");

	r = (struct agent_request){.op = AGENT_OP_UPDATE, .res = {.has_pids = true, .pids = 0}};
	refuse_request_encode(&r, EINVAL, "pids: must be -1");
	r.res = (struct agent_resources){.has_memory = true, .memory = -5};
	refuse_request_encode(&r, EINVAL, "memory: must be");
	r.res = (struct agent_resources){.has_cpu_quota = true, .cpu_quota = 10};
	refuse_request_encode(&r, EINVAL, "cpu_quota: must be");
	r.res = (struct agent_resources){.has_cpu_period = true, .cpu_period = UINT64_MAX};
	refuse_request_encode(&r, EINVAL, "cpu_period: must be");
	r.res = (struct agent_resources){.has_cpu_weight = true, .cpu_weight = 0};
	refuse_request_encode(&r, EINVAL, "cpu_weight: must be");

	/* A configuration whose request does not fit in a frame. */
	huge = malloc(n + 200);
	cr_assert_not_null(huge);
	n = (size_t)sprintf(huge, "{\"version\":1,\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\","
				  "\"uid\":0,\"gid\":0,\"env\":[\"X=");
	memset(huge + n, 'x', HY_AGENT_FRAME_MAX - n);
	strcpy(huge + HY_AGENT_FRAME_MAX, "\"]}}");
	r = (struct agent_request){.op = AGENT_OP_EXEC, .config = huge, .config_len = strlen(huge)};
	refuse_request_encode(&r, E2BIG, "more than a frame");
	free(huge);
}

/* --- replies -------------------------------------------------------------------- */

static void reply_round_trip(const struct agent_reply *in, struct agent_reply *out,
			     const char *expect_text)
{
	size_t len = 0;
	char *text = agent_reply_encode(in, &len, err, sizeof(err));

	cr_assert_not_null(text, "encode: %s", err);
	cr_assert_eq(len, strlen(text));
	if (expect_text)
		cr_assert_str_eq(text, expect_text);
	cr_assert_eq(agent_reply_decode(out, text, len, err, sizeof(err)), 0, "decode %s: %s", text,
		     err);
	cr_assert_eq(out->ok, in->ok);
	free(text);
}

Test(agent_msg, reply_ok_and_pid)
{
	struct agent_reply in = {.ok = true}, out;

	reply_round_trip(&in, &out, "{\"ok\":true}");
	cr_assert(!out.has_pid && !out.has_processes && !out.has_stats && !out.has_status);
	in.has_pid = true;
	in.pid = INT_MAX;
	reply_round_trip(&in, &out, "{\"ok\":true,\"pid\":2147483647}");
	cr_assert(out.has_pid && out.pid == INT_MAX);
}

Test(agent_msg, reply_failure)
{
	struct agent_reply in = {.ok = false, .has_status = true, .status = 127}, out;

	strcpy(in.error, "exec 'nosuch': executable file not found in $PATH");
	reply_round_trip(&in, &out,
			 "{\"ok\":false,\"error\":\"exec 'nosuch': executable file not found in "
			 "$PATH\",\"status\":127}");
	cr_assert_str_eq(out.error, in.error);
	cr_assert(out.has_status && out.status == 127);
	in.has_status = false;
	memset(in.error, 'e', AGENT_ERROR_MAX);
	in.error[AGENT_ERROR_MAX] = 0;
	reply_round_trip(&in, &out, NULL);
	cr_assert_str_eq(out.error, in.error);
	cr_assert(!out.has_status);
	strcpy(in.error, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	reply_round_trip(&in, &out, NULL);
	cr_assert_str_eq(out.error, in.error);
}

Test(agent_msg, reply_ps)
{
	struct agent_process procs[3] = {
	    {.pid = 2, .ppid = 1, .uid = 0, .time = 12, .stat = "S", .cmd = "sh -c sleep 1000"},
	    {.pid = 7, .ppid = 2, .uid = UINT32_MAX, .time = INT64_MAX, .stat = "R+", .cmd = ""},
	    {.pid = INT_MAX, .ppid = 0, .uid = 1000, .time = 0, .stat = "Z", .cmd = "[kworker]"},
	};
	struct agent_reply in = {.ok = true, .processes = procs, .nr_processes = 3}, out;

	memset(procs[1].cmd, 'c', AGENT_CMD_MAX);
	procs[1].cmd[AGENT_CMD_MAX] = 0;
	reply_round_trip(&in, &out, NULL);
	cr_assert(out.has_processes);
	cr_assert_eq(out.nr_processes, 3);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(out.processes[i].pid, procs[i].pid);
		cr_assert_eq(out.processes[i].ppid, procs[i].ppid);
		cr_assert_eq(out.processes[i].uid, procs[i].uid);
		cr_assert_eq(out.processes[i].time, procs[i].time);
		cr_assert_str_eq(out.processes[i].stat, procs[i].stat);
		cr_assert_str_eq(out.processes[i].cmd, procs[i].cmd);
	}
	agent_reply_free(&out);
	cr_assert_null(out.processes);

	/* An empty list is still a list. */
	in = (struct agent_reply){.ok = true, .has_processes = true};
	reply_round_trip(&in, &out, "{\"ok\":true,\"processes\":[]}");
	cr_assert(out.has_processes && out.processes && out.nr_processes == 0);
	agent_reply_free(&out);
}

Test(agent_msg, reply_stats)
{
	struct agent_reply in = {.ok = true,
				 .has_stats = true,
				 .stats = {.mem_total = 1ull << 30,
					   .mem_free = 1,
					   .mem_available = 2,
					   .mem_usage = 3,
					   .mem_limit = -1,
					   .cpu_usage_usec = INT64_MAX,
					   .cpu_user_usec = 5,
					   .cpu_system_usec = 6,
					   .pids_current = 7,
					   .pids_limit = 100,
					   .oom_kills = 9}},
			   out;

	reply_round_trip(&in, &out,
			 "{\"ok\":true,\"stats\":{\"memory\":{\"total\":1073741824,\"free\":1,"
			 "\"available\":2,\"usage\":3,\"limit\":-1},\"cpu\":{\"usage_usec\":"
			 "9223372036854775807,\"user_usec\":5,\"system_usec\":6},\"pids\":{"
			 "\"current\":7,\"limit\":100},\"oom_kills\":9}}");
	cr_assert(out.has_stats);
	cr_assert_eq(memcmp(&out.stats, &in.stats, sizeof(in.stats)), 0);
}

#define STATS_OK                                                                                   \
	"\"memory\":{\"total\":1,\"free\":1,\"available\":1,\"usage\":1,\"limit\":-1},"            \
	"\"cpu\":{\"usage_usec\":1,\"user_usec\":1,\"system_usec\":1},"                            \
	"\"pids\":{\"current\":1,\"limit\":-1},\"oom_kills\":0"
#define PROC_OK "\"pid\":1,\"ppid\":0,\"uid\":0,\"time\":0,\"stat\":\"S\""

Test(agent_msg, reply_refusals)
{
	struct agent_reply r;

	refuse_reply("", "reply: invalid JSON");
	refuse_reply("[true]", "reply: must be a JSON object");
	refuse_reply("{}", "ok: required");
	refuse_reply("{\"ok\":1}", "ok: must be true or false");
	refuse_reply("{\"ok\":true,\"ok\":true}", "duplicate");
	refuse_reply("{\"ok\":true,\"error\":\"x\"}", "reply: unknown member \"error\"");
	refuse_reply("{\"ok\":true,\"status\":1}", "reply: unknown member \"status\"");
	refuse_reply("{\"ok\":true,\"extra\":1}", "reply: unknown member \"extra\"");
	refuse_reply("{\"ok\":false}", "error: required");
	refuse_reply("{\"ok\":false,\"error\":\"\"}", "error: must be a string of 1 to 512 bytes");
	refuse_reply("{\"ok\":false,\"error\":5}", "error: must be a string");
	refuse_reply("{\"ok\":false,\"error\":\"x\",\"status\":256}",
		     "status: must be an integer from 0 to 255");
	refuse_reply("{\"ok\":false,\"error\":\"x\",\"status\":-1}", "status: must be");
	refuse_reply("{\"ok\":false,\"error\":\"x\",\"pid\":1}", "reply: unknown member \"pid\"");
	refuse_reply("{\"ok\":false,\"error\":\"\\u0000\"}", "invalid JSON");
	refuse_reply("{\"ok\":false,\"error\":\"\xff\"}", "invalid JSON");
	refuse_reply("{\"ok\":true,\"pid\":0}", "pid: must be an integer from 1 to 2147483647");
	refuse_reply("{\"ok\":true,\"pid\":2147483648}", "pid: must be");
	refuse_reply("{\"ok\":true,\"pid\":1,\"processes\":[]}", "reply: at most one of");
	refuse_reply("{\"ok\":true,\"processes\":{}}", "processes: must be an array of objects");
	refuse_reply("{\"ok\":true,\"processes\":[1]}", "processes[0]: must be an object");
	refuse_reply("{\"ok\":true,\"processes\":[{" PROC_OK "}]}", "processes[0].cmd: required");
	refuse_reply("{\"ok\":true,\"processes\":[{" PROC_OK ",\"cmd\":\"\",\"x\":1}]}",
		     "processes[0]: unknown member \"x\"");
	refuse_reply("{\"ok\":true,\"processes\":[{" PROC_OK ",\"cmd\":\"a\"},{\"pid\":0}]}",
		     "processes[1].pid: must be");
	refuse_reply("{\"ok\":true,\"processes\":[{\"pid\":1,\"ppid\":-1,\"uid\":0,\"time\":0,"
		     "\"stat\":\"S\",\"cmd\":\"\"}]}",
		     "processes[0].ppid: must be");
	refuse_reply("{\"ok\":true,\"processes\":[{\"pid\":1,\"ppid\":0,\"uid\":4294967296,"
		     "\"time\":0,\"stat\":\"S\",\"cmd\":\"\"}]}",
		     "processes[0].uid: must be");
	refuse_reply("{\"ok\":true,\"processes\":[{\"pid\":1,\"ppid\":0,\"uid\":0,\"time\":-1,"
		     "\"stat\":\"S\",\"cmd\":\"\"}]}",
		     "processes[0].time: must be");
	refuse_reply("{\"ok\":true,\"processes\":[{\"pid\":1,\"ppid\":0,\"uid\":0,\"time\":0,"
		     "\"stat\":\"\",\"cmd\":\"\"}]}",
		     "processes[0].stat: must be a string of 1 to 3 bytes");
	refuse_reply("{\"ok\":true,\"processes\":[{\"pid\":1,\"ppid\":0,\"uid\":0,\"time\":0,"
		     "\"stat\":\"SSSS\",\"cmd\":\"\"}]}",
		     "processes[0].stat: must be");
	refuse_reply("{\"ok\":true,\"stats\":{}}", "stats.memory: required");
	refuse_reply("{\"ok\":true,\"stats\":[]}", "stats: must be an object");
	refuse_reply("{\"ok\":true,\"stats\":{" STATS_OK ",\"swap\":1}}",
		     "stats: unknown member \"swap\"");
	refuse_reply("{\"ok\":true,\"stats\":{\"memory\":{},\"cpu\":{},\"pids\":{}}}",
		     "stats.memory.total: required");
	refuse_reply("{\"ok\":true,\"stats\":{\"memory\":{\"total\":1,\"free\":1,\"available\":1,"
		     "\"usage\":1,\"limit\":-2},\"cpu\":{},\"pids\":{}}}",
		     "stats.memory.limit: must be an integer from -1");
	refuse_reply("{\"ok\":true,\"stats\":{\"memory\":{\"total\":1,\"free\":1,\"available\":1,"
		     "\"usage\":1,\"limit\":-1},\"cpu\":{\"usage_usec\":1,\"user_usec\":1,"
		     "\"system_usec\":1,\"x\":1},\"pids\":{}}}",
		     "stats.cpu: unknown member \"x\"");
	refuse_reply("{\"ok\":true,\"stats\":{\"memory\":{\"total\":1,\"free\":1,\"available\":1,"
		     "\"usage\":1,\"limit\":-1},\"cpu\":{\"usage_usec\":1,\"user_usec\":1,"
		     "\"system_usec\":1},\"pids\":{\"current\":1}}}",
		     "stats.pids.limit: required");
	refuse_reply("{\"ok\":true,\"stats\":{\"memory\":{\"total\":1,\"free\":1,\"available\":1,"
		     "\"usage\":1,\"limit\":-1},\"cpu\":{\"usage_usec\":1,\"user_usec\":1,"
		     "\"system_usec\":1},\"pids\":{\"current\":1,\"limit\":-1}}}",
		     "stats.oom_kills: required");

	/* A refused decode leaves nothing to free, even after processes were made. */
	cr_assert_eq(agent_reply_decode(
			 &r, "{\"ok\":true,\"processes\":[{" PROC_OK ",\"cmd\":\"a\"},2]}",
			 strlen("{\"ok\":true,\"processes\":[{" PROC_OK ",\"cmd\":\"a\"},2]}"), err,
			 sizeof(err)),
		     -EINVAL);
	cr_assert_null(r.processes);
	cr_assert(!r.has_processes && r.nr_processes == 0);
}

Test(agent_msg, reply_encode_refusals)
{
	struct agent_process p = {.pid = 1, .stat = "S", .cmd = "x"};
	struct agent_reply r = {.ok = false};
	struct agent_process *many;

	refuse_reply_encode(&r, EINVAL, "error: must be a string of 1");
	memset(r.error, 'x', sizeof(r.error));
	refuse_reply_encode(&r, EINVAL, "error: not NUL-terminated");
	strcpy(r.error, "bad \xff byte");
	refuse_reply_encode(&r, EINVAL, "error: not UTF-8");
	strcpy(r.error, "x");
	r.has_status = true;
	r.status = 300;
	refuse_reply_encode(&r, EINVAL, "status: must be an integer from 0 to 255");
	r.status = 1;
	r.has_pid = true;
	r.pid = 5;
	refuse_reply_encode(&r, EINVAL, "reply: unknown member \"pid\"");

	r = (struct agent_reply){.ok = true, .has_status = true};
	refuse_reply_encode(&r, EINVAL, "status: only in a failed reply");
	r = (struct agent_reply){.ok = true, .has_pid = true, .pid = -3};
	refuse_reply_encode(&r, EINVAL, "pid: must be");
	r = (struct agent_reply){.ok = true, .has_pid = true, .pid = 3, .has_stats = true};
	refuse_reply_encode(&r, EINVAL, "reply: at most one of");
	r = (struct agent_reply){.ok = true, .has_stats = true, .stats = {.mem_total = UINT64_MAX}};
	refuse_reply_encode(&r, EINVAL, "stats.memory.total: must be");
	r = (struct agent_reply){.ok = true, .has_stats = true, .stats = {.pids_limit = -7}};
	refuse_reply_encode(&r, EINVAL, "stats.pids.limit: must be");
	r = (struct agent_reply){.ok = true, .processes = &p, .nr_processes = 1};
	p.stat[0] = 0;
	refuse_reply_encode(&r, EINVAL, "processes[0].stat: must be");
	memcpy(p.stat, "SSSS", 4);
	refuse_reply_encode(&r, EINVAL, "processes[0].stat: not NUL-terminated");
	strcpy(p.stat, "S");
	strcpy(p.cmd, "\xc3");
	refuse_reply_encode(&r, EINVAL, "processes[0].cmd: not UTF-8");
	strcpy(p.cmd, "x");
	p.pid = 0;
	refuse_reply_encode(&r, EINVAL, "processes[0].pid: must be");
	r = (struct agent_reply){.ok = true, .has_processes = true, .nr_processes = 2};
	refuse_reply_encode(&r, EINVAL, "processes: 2 entries without an array");

	/* More than fit in one frame: E2BIG, so the agent can shorten the list. */
	many = calloc(AGENT_PS_MAX, sizeof(*many));
	cr_assert_not_null(many);
	for (int i = 0; i < AGENT_PS_MAX; i++) {
		many[i] = (struct agent_process){.pid = i + 1, .stat = "S"};
		memset(many[i].cmd, 'c', 100);
	}
	r = (struct agent_reply){.ok = true, .processes = many, .nr_processes = AGENT_PS_MAX};
	refuse_reply_encode(&r, E2BIG, "more than a frame");
	r.nr_processes = AGENT_PS_MAX + 1;
	refuse_reply_encode(&r, EINVAL, "processes: more than 4096 entries");
	free(many);
}

/* --- events --------------------------------------------------------------------- */

Test(agent_msg, event_oom)
{
	struct agent_event in = {.type = AGENT_EVENT_OOM}, out = {.type = (enum agent_event_type)7};
	size_t len;
	char *text = agent_event_encode(&in, &len, err, sizeof(err));

	cr_assert_not_null(text, "%s", err);
	cr_assert_str_eq(text, "{\"type\":\"oom\"}");
	cr_assert_eq(agent_event_decode(&out, text, len, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(out.type, AGENT_EVENT_OOM);
	free(text);

	in.type = (enum agent_event_type)3;
	errno = 0;
	cr_assert_null(agent_event_encode(&in, &len, err, sizeof(err)));
	cr_assert_eq(errno, EINVAL);
	cr_assert(strstr(err, "type: unknown event 3"), "%s", err);
}

Test(agent_msg, event_refusals)
{
	refuse_event("", "event: invalid JSON");
	refuse_event("[]", "event: must be a JSON object");
	refuse_event("{}", "type: required");
	refuse_event("{\"type\":1}", "type: must be a string");
	refuse_event("{\"type\":\"exit\",\"pid\":1,\"status\":0}", "event: unknown member \"pid\"");
	refuse_event("{\"type\":\"exit\"}", "type: unknown event \"exit\"");
	refuse_event("{\"type\":\"oom\",\"type\":\"oom\"}", "duplicate");
	refuse_event("{\"type\":\"oom\",\"count\":1}", "event: unknown member \"count\"");
}

/* --- text ----------------------------------------------------------------------- */

Test(agent_msg, text_sanitize)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"plain ascii", "plain ascii"},
	    {"caf\xc3\xa9", "caf\xc3\xa9"},
	    {"\xf0\x9f\x98\x80!", "\xf0\x9f\x98\x80!"},
	    {"a\xffz", "a?z"},
	    {"trunc\xc3", "trunc?"},
	    {"trunc\xe2\x82", "trunc??"},
	    {"\xc0\xaf", "??"},		  /* overlong '/' */
	    {"\xe0\x80\xaf", "???"},	  /* overlong, three bytes */
	    {"\xed\xa0\x80", "???"},	  /* a surrogate */
	    {"\xf4\x90\x80\x80", "????"}, /* above U+10FFFF */
	    {"\x80x", "?x"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[64];

		strcpy(buf, cases[i].in);
		agent_text_sanitize(buf);
		cr_assert_str_eq(buf, cases[i].out, "case %zu", i);
	}
}
