/* fuzz_agent_msg.c: the agent channel's JSON decoded as request, reply and event, then re-encoded.
 *
 * The guest decodes requests from the host and the host replies and events
 * from the guest: whatever decodes must satisfy the header's ranges, encode
 * again, and decode to the same values.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/agent_msg.h"
#include "common/agent_proto.h"
#include "tests/fuzz/fuzz.h"

static void check_err(int ret, const char *err)
{
	FUZZ_CHECK(memchr(err, 0, 512));
	if (ret)
		FUZZ_CHECK((ret == -EINVAL || ret == -ENOMEM) && err[0]);
}

static void check_request(const struct agent_request *r)
{
	const struct agent_resources *res = &r->res;

	FUZZ_CHECK(agent_op_name(r->op));
	FUZZ_CHECK(r->op != AGENT_OP_SIGNAL || (r->sig >= 1 && r->sig <= HY_CTL_SIG_MAX));
	/* required for exec, optional for start, none for the others */
	FUZZ_CHECK(r->op != AGENT_OP_EXEC || r->config != NULL);
	FUZZ_CHECK(r->op == AGENT_OP_EXEC || r->op == AGENT_OP_START || r->config == NULL);
	if (r->config)
		FUZZ_CHECK(strlen(r->config) == r->config_len && r->config[0] == '{');
	FUZZ_CHECK(!res->has_memory || res->memory >= -1);
	FUZZ_CHECK(!res->has_pids || res->pids == -1 || res->pids >= 1);
	FUZZ_CHECK(!res->has_cpu_quota || res->cpu_quota == -1 || res->cpu_quota >= 1000);
	FUZZ_CHECK(!res->has_cpu_period || (res->cpu_period >= 1000 && res->cpu_period <= 1000000));
	FUZZ_CHECK(!res->has_cpu_weight || (res->cpu_weight >= 1 && res->cpu_weight <= 10000));
}

static void fuzz_request(const char *text, size_t size)
{
	struct agent_request r, again;
	char err[512] = "";
	size_t len = 0;
	char *out;
	int ret;

	ret = agent_request_decode(&r, text, size, err, sizeof(err));
	check_err(ret, err);
	if (ret) {
		FUZZ_CHECK(r.config == NULL);
		return;
	}
	check_request(&r);
	out = agent_request_encode(&r, &len, err, sizeof(err));
	if (!out)
		fprintf(stderr, "a decoded request does not encode: %s\n", err);
	FUZZ_CHECK(out && strlen(out) == len && len <= HY_AGENT_FRAME_MAX);
	ret = agent_request_decode(&again, out, len, err, sizeof(err));
	if (ret)
		fprintf(stderr, "the encoding does not decode: %s\n%s\n", err, out);
	FUZZ_CHECK(ret == 0);
	FUZZ_CHECK(again.op == r.op && again.sig == r.sig && again.all == r.all);
	FUZZ_CHECK(!memcmp(&again.res, &r.res, sizeof(r.res)));
	FUZZ_CHECK((again.config == NULL) == (r.config == NULL));
	if (r.config)
		FUZZ_CHECK(!strcmp(again.config, r.config));
	agent_request_free(&again);
	agent_request_free(&r);
	FUZZ_CHECK(r.config == NULL);
	free(out);
}

static void check_reply(const struct agent_reply *r)
{
	FUZZ_CHECK(memchr(r->error, 0, sizeof(r->error)));
	if (!r->ok) {
		FUZZ_CHECK(r->error[0]);
		FUZZ_CHECK(!r->has_status || (r->status >= 0 && r->status <= 255));
		FUZZ_CHECK(!r->has_pid && !r->has_processes && !r->has_stats);
		return;
	}
	FUZZ_CHECK(!r->has_status && !r->error[0]);
	FUZZ_CHECK(r->has_pid + r->has_processes + r->has_stats <= 1);
	FUZZ_CHECK(!r->has_pid || r->pid >= 1);
	FUZZ_CHECK(r->has_processes == (r->processes != NULL));
	FUZZ_CHECK(r->nr_processes <= AGENT_PS_MAX);
	for (size_t i = 0; i < r->nr_processes; i++) {
		const struct agent_process *p = &r->processes[i];

		FUZZ_CHECK(p->pid >= 1 && p->ppid >= 0 && p->time <= INT64_MAX);
		FUZZ_CHECK(p->stat[0] && memchr(p->stat, 0, sizeof(p->stat)));
		FUZZ_CHECK(memchr(p->cmd, 0, sizeof(p->cmd)));
	}
	if (r->has_stats) {
		FUZZ_CHECK(r->stats.mem_limit >= -1 && r->stats.pids_limit >= -1);
		FUZZ_CHECK(r->stats.mem_total <= INT64_MAX && r->stats.oom_kills <= INT64_MAX);
	}
}

static void fuzz_reply(const char *text, size_t size)
{
	struct agent_reply r, again;
	char err[512] = "";
	size_t len = 0;
	char *out;
	int ret;

	ret = agent_reply_decode(&r, text, size, err, sizeof(err));
	check_err(ret, err);
	if (ret) {
		FUZZ_CHECK(r.processes == NULL);
		return;
	}
	check_reply(&r);
	out = agent_reply_encode(&r, &len, err, sizeof(err));
	if (!out)
		fprintf(stderr, "a decoded reply does not encode: %s\n", err);
	FUZZ_CHECK(out && strlen(out) == len && len <= HY_AGENT_FRAME_MAX);
	ret = agent_reply_decode(&again, out, len, err, sizeof(err));
	if (ret)
		fprintf(stderr, "the encoding does not decode: %s\n%s\n", err, out);
	FUZZ_CHECK(ret == 0);
	FUZZ_CHECK(again.ok == r.ok && !strcmp(again.error, r.error));
	FUZZ_CHECK(again.has_status == r.has_status && again.status == r.status);
	FUZZ_CHECK(again.has_pid == r.has_pid && again.pid == r.pid);
	FUZZ_CHECK(again.has_processes == r.has_processes && again.nr_processes == r.nr_processes);
	for (size_t i = 0; i < r.nr_processes; i++) {
		const struct agent_process *a = &r.processes[i], *b = &again.processes[i];

		FUZZ_CHECK(a->pid == b->pid && a->ppid == b->ppid && a->uid == b->uid &&
			   a->time == b->time && !strcmp(a->stat, b->stat) &&
			   !strcmp(a->cmd, b->cmd));
	}
	FUZZ_CHECK(again.has_stats == r.has_stats &&
		   !memcmp(&again.stats, &r.stats, sizeof(r.stats)));
	agent_reply_free(&again);
	agent_reply_free(&r);
	FUZZ_CHECK(r.processes == NULL);
	free(out);
}

static void fuzz_event(const char *text, size_t size)
{
	struct agent_event ev, again;
	char err[512] = "";
	size_t len = 0;
	char *out;
	int ret;

	ret = agent_event_decode(&ev, text, size, err, sizeof(err));
	check_err(ret, err);
	if (ret)
		return;
	FUZZ_CHECK(ev.type == AGENT_EVENT_OOM);
	out = agent_event_encode(&ev, &len, err, sizeof(err));
	FUZZ_CHECK(out && strlen(out) == len);
	FUZZ_CHECK(agent_event_decode(&again, out, len, err, sizeof(err)) == 0);
	FUZZ_CHECK(again.type == ev.type);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_request((const char *)data, size);
	fuzz_reply((const char *)data, size);
	fuzz_event((const char *)data, size);
	return 0;
}
