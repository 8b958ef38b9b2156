/* agent_msg.c: the agent channel's JSON (agent_msg.h): encoders and strict decoders.
 *
 * Like guest_config.c, each encoder checks its output with the decoder, so
 * the two cannot drift apart and a range the decoder refuses is refused by
 * the encoder too, with the same message.
 */
#include "common/agent_msg.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/agent_proto.h"
#include "common/cleanup.h"
#include "common/err.h"
#include "common/guest_config.h"

/* A member's name in messages: a base (processes[12]) fits in BASE_LEN, so its
 * members fit in PATH_LEN. */
#define BASE_LEN 48
#define PATH_LEN 96

static const char *const op_names[] = {
    [AGENT_OP_START] = "start",	  [AGENT_OP_SIGNAL] = "signal", [AGENT_OP_EXEC] = "exec",
    [AGENT_OP_PS] = "ps",	  [AGENT_OP_STATS] = "stats",	[AGENT_OP_UPDATE] = "update",
    [AGENT_OP_EVENTS] = "events",
};

static const char *const event_names[] = {
    [AGENT_EVENT_OOM] = "oom",
};

/* The members an exec's configuration may have (agent_msg.h). */
static const char *const exec_config_members[] = {"version", "process", "seccomp", NULL};

const char *agent_op_name(enum agent_op op)
{
	if ((unsigned)op >= ARRAY_SIZE(op_names))
		return NULL;
	return op_names[op];
}

/* --- UTF-8 ---------------------------------------------------------------------- */

/* The length of the well-formed UTF-8 sequence at s (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or 0. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned c = s[0], min;
	size_t n;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07, min = 0x10000;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void agent_text_sanitize(char *s)
{
	unsigned char *p = (unsigned char *)s;

	while (*p) {
		size_t n = utf8_len(p);

		if (n == 0)
			*p++ = '?';
		else
			p += n;
	}
}

/* --- decoding ------------------------------------------------------------------- */

struct dec {
	char *err;
	size_t errlen;
};

static int __attribute__((format(printf, 3, 4)))
bad(struct dec *d, const char *path, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return hy_err(d->err, d->errlen, -EINVAL, "%s: %s", path, msg);
}

/* "base.key", or "key" at the top level (base NULL). */
static const char *member_path(char *buf, size_t len, const char *base, const char *key)
{
	if (base)
		snprintf(buf, len, "%s.%s", base, key);
	else
		snprintf(buf, len, "%s", key);
	return buf;
}

static int check_object(struct dec *d, json_t *obj, const char *path, const char *const *known)
{
	const char *key;
	json_t *v;

	if (!json_is_object(obj))
		return bad(d, path, "must be an object");
	json_object_foreach(obj, key, v)
	{
		size_t i;

		for (i = 0; known[i]; i++)
			if (strcmp(known[i], key) == 0)
				break;
		if (!known[i])
			return bad(d, path, "unknown member \"%s\"", key);
	}
	return 0;
}

/* obj[key], an integer from min to max. Absent: -EINVAL when required, else
 * 0 with *has false. */
static int get_int(struct dec *d, json_t *obj, const char *base, const char *key, bool required,
		   int64_t min, int64_t max, int64_t *out, bool *has)
{
	json_t *v = json_object_get(obj, key);
	char path[PATH_LEN];

	member_path(path, sizeof(path), base, key);
	if (has)
		*has = v != NULL;
	if (!v) {
		if (required)
			return bad(d, path, "required");
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return bad(d, path, "must be an integer from %lld to %lld", (long long)min,
			   (long long)max);
	*out = json_integer_value(v);
	return 0;
}

static int get_u64(struct dec *d, json_t *obj, const char *base, const char *key, uint64_t *out)
{
	int64_t x = 0;
	int r = get_int(d, obj, base, key, true, 0, INT64_MAX, &x, NULL);

	*out = (uint64_t)x;
	return r;
}

static int get_bool(struct dec *d, json_t *obj, const char *key, bool *out)
{
	json_t *v = json_object_get(obj, key);

	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return bad(d, key, "must be true or false");
	*out = json_is_true(v);
	return 0;
}

/* obj[key], a string of min..max bytes copied into out (max + 1 bytes). */
static int get_text(struct dec *d, json_t *obj, const char *path, const char *key, size_t min,
		    size_t max, char *out)
{
	json_t *v = json_object_get(obj, key);
	size_t n;

	if (!v)
		return bad(d, path, "required");
	if (!json_is_string(v))
		return bad(d, path, "must be a string");
	n = json_string_length(v);
	if (n < min || n > max)
		return bad(d, path, "must be a string of %zu to %zu bytes", min, max);
	/* jansson allows no NUL in strings unless asked (JSON_ALLOW_NUL). */
	memcpy(out, json_string_value(v), n + 1);
	return 0;
}

static json_t *load(struct dec *d, const char *what, const char *text, size_t len)
{
	json_error_t jerr;
	json_t *doc;

	if (len > HY_AGENT_FRAME_MAX) {
		hy_err(d->err, d->errlen, -EINVAL, "%s: %zu bytes, more than a frame holds (%u)",
		       what, len, HY_AGENT_FRAME_MAX);
		return NULL;
	}
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc) {
		hy_err(d->err, d->errlen, -EINVAL, "%s: invalid JSON at line %d, column %d: %s",
		       what, jerr.line, jerr.column, jerr.text);
		return NULL;
	}
	if (!json_is_object(doc)) {
		bad(d, what, "must be a JSON object");
		json_decref(doc);
		return NULL;
	}
	return doc;
}

/*
 * A request's configuration, kept as compact text: an exec's (required) is a
 * guest configuration with only the members exec uses, a start's (optional)
 * a start configuration, whose decoder refuses any other member itself.
 */
static int decode_config(struct dec *d, json_t *v, struct agent_request *r)
{
	bool start = r->op == AGENT_OP_START;
	char gerr[512];
	struct guest_config gc;
	char *text;
	int ret;

	if (!v)
		return start ? 0 : bad(d, "config", "required");
	if (start && !json_is_object(v))
		return bad(d, "config", "must be an object");
	if (!start && (ret = check_object(d, v, "config", exec_config_members)))
		return ret;
	text = json_dumps(v, JSON_COMPACT);
	if (!text)
		return hy_err(d->err, d->errlen, -ENOMEM, "config: out of memory");
	r->config = text;
	r->config_len = strlen(text);
	if (start)
		ret = guest_config_decode_start(&gc, text, r->config_len, gerr, sizeof(gerr));
	else
		ret = guest_config_decode(&gc, text, r->config_len, gerr, sizeof(gerr));
	if (ret == -ENOMEM)
		return hy_err(d->err, d->errlen, -ENOMEM, "config: out of memory");
	if (ret)
		return hy_err(d->err, d->errlen, -EINVAL, "config: %s", gerr);
	guest_config_free(&gc);
	return 0;
}

static int decode_update(struct dec *d, json_t *o, struct agent_resources *res)
{
	int64_t x = 0;
	int r;

	if ((r = get_int(d, o, NULL, "memory", false, -1, INT64_MAX, &res->memory,
			 &res->has_memory)))
		return r;
	if ((r = get_int(d, o, NULL, "pids", false, -1, INT64_MAX, &res->pids, &res->has_pids)))
		return r;
	if (res->has_pids && res->pids == 0)
		return bad(d, "pids", "must be -1 (no limit) or at least 1");
	if ((r = get_int(d, o, NULL, "cpu_quota", false, -1, INT64_MAX, &res->cpu_quota,
			 &res->has_cpu_quota)))
		return r;
	if (res->has_cpu_quota && res->cpu_quota >= 0 && res->cpu_quota < 1000)
		return bad(d, "cpu_quota", "must be -1 (no limit) or at least 1000");
	if ((r = get_int(d, o, NULL, "cpu_period", false, 1000, 1000000, &x, &res->has_cpu_period)))
		return r;
	res->cpu_period = (uint64_t)x;
	if ((r = get_int(d, o, NULL, "cpu_weight", false, 1, 10000, &x, &res->has_cpu_weight)))
		return r;
	res->cpu_weight = (uint64_t)x;
	return 0;
}

static int decode_request(struct dec *d, json_t *o, struct agent_request *r)
{
	static const char *const only_op[] = {"op", NULL};
	static const char *const signal_members[] = {"op", "signal", "all", NULL};
	static const char *const config_members[] = {"op", "config", NULL};
	static const char *const update_members[] = {
	    "op", "memory", "pids", "cpu_quota", "cpu_period", "cpu_weight", NULL};
	json_t *op = json_object_get(o, "op");
	const char *const *known = only_op;
	int64_t sig = 0;
	size_t i;
	int ret;

	if (!op)
		return bad(d, "op", "required");
	if (!json_is_string(op))
		return bad(d, "op", "must be a string");
	for (i = 0; i < ARRAY_SIZE(op_names); i++)
		if (strcmp(op_names[i], json_string_value(op)) == 0)
			break;
	if (i == ARRAY_SIZE(op_names))
		return bad(d, "op", "unknown op \"%s\"", json_string_value(op));
	r->op = (enum agent_op)i;
	if (r->op == AGENT_OP_SIGNAL)
		known = signal_members;
	else if (r->op == AGENT_OP_EXEC || r->op == AGENT_OP_START)
		known = config_members;
	else if (r->op == AGENT_OP_UPDATE)
		known = update_members;
	if ((ret = check_object(d, o, "request", known)))
		return ret;
	switch (r->op) {
	case AGENT_OP_SIGNAL:
		if ((ret = get_int(d, o, NULL, "signal", true, 1, HY_CTL_SIG_MAX, &sig, NULL)))
			return ret;
		r->sig = (int)sig;
		return get_bool(d, o, "all", &r->all);
	case AGENT_OP_EXEC:
	case AGENT_OP_START:
		return decode_config(d, json_object_get(o, "config"), r);
	case AGENT_OP_UPDATE:
		return decode_update(d, o, &r->res);
	default:
		return 0;
	}
}

int agent_request_decode(struct agent_request *r, const char *text, size_t len, char *err,
			 size_t errlen)
{
	struct dec d = {.err = err, .errlen = errlen};
	json_t *doc;
	int ret;

	memset(r, 0, sizeof(*r));
	doc = load(&d, "request", text, len);
	if (!doc)
		return -EINVAL;
	ret = decode_request(&d, doc, r);
	json_decref(doc);
	if (ret)
		agent_request_free(r);
	return ret;
}

void agent_request_free(struct agent_request *r)
{
	free((char *)r->config);
	memset(r, 0, sizeof(*r));
}

static int decode_process(struct dec *d, json_t *o, size_t idx, struct agent_process *p)
{
	static const char *const known[] = {"pid", "ppid", "uid", "time", "stat", "cmd", NULL};
	char base[BASE_LEN], path[PATH_LEN];
	int64_t x = 0;
	int r;

	snprintf(base, sizeof(base), "processes[%zu]", idx);
	if ((r = check_object(d, o, base, known)))
		return r;
	if ((r = get_int(d, o, base, "pid", true, 1, INT_MAX, &x, NULL)))
		return r;
	p->pid = (int)x;
	if ((r = get_int(d, o, base, "ppid", true, 0, INT_MAX, &x, NULL)))
		return r;
	p->ppid = (int)x;
	if ((r = get_int(d, o, base, "uid", true, 0, UINT32_MAX, &x, NULL)))
		return r;
	p->uid = (uint32_t)x;
	if ((r = get_u64(d, o, base, "time", &p->time)))
		return r;
	if ((r = get_text(d, o, member_path(path, sizeof(path), base, "stat"), "stat", 1,
			  sizeof(p->stat) - 1, p->stat)))
		return r;
	return get_text(d, o, member_path(path, sizeof(path), base, "cmd"), "cmd", 0, AGENT_CMD_MAX,
			p->cmd);
}

static int decode_processes(struct dec *d, json_t *v, struct agent_reply *rep)
{
	size_t n = json_array_size(v);
	json_t *p;
	size_t i;
	int r;

	if (!json_is_array(v))
		return bad(d, "processes", "must be an array of objects");
	if (n > AGENT_PS_MAX)
		return bad(d, "processes", "more than %d entries", AGENT_PS_MAX);
	rep->processes = calloc(n ? n : 1, sizeof(*rep->processes));
	if (!rep->processes)
		return hy_err(d->err, d->errlen, -ENOMEM, "processes: out of memory");
	rep->has_processes = true;
	json_array_foreach(v, i, p)
	{
		if ((r = decode_process(d, p, i, &rep->processes[i])))
			return r;
		rep->nr_processes = i + 1;
	}
	return 0;
}

static int decode_stats(struct dec *d, json_t *v, struct agent_stats *s)
{
	static const char *const known[] = {"memory", "cpu", "pids", "oom_kills", NULL};
	static const char *const mem_known[] = {"total", "free",  "available",
						"usage", "limit", NULL};
	static const char *const cpu_known[] = {"usage_usec", "user_usec", "system_usec", NULL};
	static const char *const pids_known[] = {"current", "limit", NULL};
	json_t *m, *c, *p;
	int r;

	if ((r = check_object(d, v, "stats", known)))
		return r;
	m = json_object_get(v, "memory");
	c = json_object_get(v, "cpu");
	p = json_object_get(v, "pids");
	if (!m || !c || !p)
		return bad(d, !m ? "stats.memory" : !c ? "stats.cpu" : "stats.pids", "required");
	if ((r = check_object(d, m, "stats.memory", mem_known)) ||
	    (r = get_u64(d, m, "stats.memory", "total", &s->mem_total)) ||
	    (r = get_u64(d, m, "stats.memory", "free", &s->mem_free)) ||
	    (r = get_u64(d, m, "stats.memory", "available", &s->mem_available)) ||
	    (r = get_u64(d, m, "stats.memory", "usage", &s->mem_usage)) ||
	    (r = get_int(d, m, "stats.memory", "limit", true, -1, INT64_MAX, &s->mem_limit, NULL)))
		return r;
	if ((r = check_object(d, c, "stats.cpu", cpu_known)) ||
	    (r = get_u64(d, c, "stats.cpu", "usage_usec", &s->cpu_usage_usec)) ||
	    (r = get_u64(d, c, "stats.cpu", "user_usec", &s->cpu_user_usec)) ||
	    (r = get_u64(d, c, "stats.cpu", "system_usec", &s->cpu_system_usec)))
		return r;
	if ((r = check_object(d, p, "stats.pids", pids_known)) ||
	    (r = get_u64(d, p, "stats.pids", "current", &s->pids_current)) ||
	    (r = get_int(d, p, "stats.pids", "limit", true, -1, INT64_MAX, &s->pids_limit, NULL)))
		return r;
	return get_u64(d, v, "stats", "oom_kills", &s->oom_kills);
}

static int decode_reply(struct dec *d, json_t *o, struct agent_reply *rep)
{
	static const char *const fail_members[] = {"ok", "error", "status", NULL};
	static const char *const ok_members[] = {"ok", "pid", "processes", "stats", NULL};
	json_t *ok = json_object_get(o, "ok"), *v;
	int64_t x = 0;
	int r;

	if (!ok)
		return bad(d, "ok", "required");
	if (!json_is_boolean(ok))
		return bad(d, "ok", "must be true or false");
	rep->ok = json_is_true(ok);
	if (!rep->ok) {
		if ((r = check_object(d, o, "reply", fail_members)))
			return r;
		if ((r = get_text(d, o, "error", "error", 1, AGENT_ERROR_MAX, rep->error)))
			return r;
		if ((r = get_int(d, o, NULL, "status", false, 0, 255, &x, &rep->has_status)))
			return r;
		rep->status = (int)x;
		return 0;
	}
	if ((r = check_object(d, o, "reply", ok_members)))
		return r;
	if (json_object_size(o) > 2)
		return bad(d, "reply", "at most one of \"pid\", \"processes\" and \"stats\"");
	if ((r = get_int(d, o, NULL, "pid", false, 1, INT_MAX, &x, &rep->has_pid)))
		return r;
	rep->pid = (int)x;
	if ((v = json_object_get(o, "processes")) && (r = decode_processes(d, v, rep)))
		return r;
	if ((v = json_object_get(o, "stats"))) {
		if ((r = decode_stats(d, v, &rep->stats)))
			return r;
		rep->has_stats = true;
	}
	return 0;
}

int agent_reply_decode(struct agent_reply *rep, const char *text, size_t len, char *err,
		       size_t errlen)
{
	struct dec d = {.err = err, .errlen = errlen};
	json_t *doc;
	int ret;

	memset(rep, 0, sizeof(*rep));
	doc = load(&d, "reply", text, len);
	if (!doc)
		return -EINVAL;
	ret = decode_reply(&d, doc, rep);
	json_decref(doc);
	if (ret)
		agent_reply_free(rep);
	return ret;
}

void agent_reply_free(struct agent_reply *rep)
{
	free(rep->processes);
	memset(rep, 0, sizeof(*rep));
}

int agent_event_decode(struct agent_event *ev, const char *text, size_t len, char *err,
		       size_t errlen)
{
	static const char *const known[] = {"type", NULL};
	struct dec d = {.err = err, .errlen = errlen};
	json_t *doc, *type;
	int ret = 0;
	size_t i;

	memset(ev, 0, sizeof(*ev));
	doc = load(&d, "event", text, len);
	if (!doc)
		return -EINVAL;
	type = json_object_get(doc, "type");
	if ((ret = check_object(&d, doc, "event", known)))
		goto out;
	if (!type) {
		ret = bad(&d, "type", "required");
		goto out;
	}
	if (!json_is_string(type)) {
		ret = bad(&d, "type", "must be a string");
		goto out;
	}
	for (i = 0; i < ARRAY_SIZE(event_names); i++)
		if (strcmp(event_names[i], json_string_value(type)) == 0)
			break;
	if (i == ARRAY_SIZE(event_names))
		ret = bad(&d, "type", "unknown event \"%s\"", json_string_value(type));
	else
		ev->type = (enum agent_event_type)i;
out:
	json_decref(doc);
	return ret;
}

/* --- encoding ------------------------------------------------------------------- */

struct enc {
	char *err;
	size_t errlen;
	int r; /* the first error */
};

static void __attribute__((format(printf, 3, 4)))
enc_fail(struct enc *e, const char *path, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (e->r)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	e->r = hy_err(e->err, e->errlen, -EINVAL, "%s: %s", path, msg);
}

/* obj[key] = v, taking v; a NULL v is out of memory (or an error already noted). */
static void put(struct enc *e, json_t *obj, const char *key, json_t *v)
{
	if ((!v || json_object_set_new(obj, key, v) < 0) && !e->r)
		e->r = hy_err(e->err, e->errlen, -ENOMEM, "%s: out of memory", key);
}

/* A 64-bit unsigned member. Above INT64_MAX it goes out negative, which the
 * decoder check then refuses with the member's name and range. */
static json_t *u64(uint64_t x)
{
	return json_integer((json_int_t)x);
}

/* A NUL-terminated text in a buffer of cap bytes, as a JSON string. */
static json_t *text(struct enc *e, const char *path, const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);
	json_t *v;

	if (n == cap) {
		enc_fail(e, path, "not NUL-terminated within %zu bytes", cap);
		return NULL;
	}
	v = json_stringn(s, n);
	if (!v) {
		/* json_stringn() fails on text that is not UTF-8 (or on memory). */
		char *copy = strndup(s, n);
		bool utf8;

		if (!copy)
			return NULL;
		agent_text_sanitize(copy);
		utf8 = strcmp(copy, s) == 0;
		free(copy);
		if (!utf8)
			enc_fail(e, path, "not UTF-8");
	}
	return v;
}

/*
 * The document as text, checked by `check` (the decoder): NULL with errno
 * set and err filled on any error noted in e or found here.
 */
static char *finish(struct enc *e, json_t *doc, size_t *len,
		    int (*check)(const char *text, size_t len, char *err, size_t errlen))
{
	char *out = NULL;
	size_t n = 0;
	int r = e->r;

	if (!doc && !r)
		r = hy_err(e->err, e->errlen, -ENOMEM, "out of memory");
	if (!r) {
		out = json_dumps(doc, JSON_COMPACT);
		if (!out)
			r = hy_err(e->err, e->errlen, -ENOMEM, "out of memory");
	}
	json_decref(doc);
	if (!r) {
		n = strlen(out);
		if (n > HY_AGENT_FRAME_MAX)
			r = hy_err(e->err, e->errlen, -E2BIG, "%zu bytes, more than a frame (%u)",
				   n, HY_AGENT_FRAME_MAX);
		else
			r = check(out, n, e->err, e->errlen);
	}
	if (r) {
		free(out);
		errno = -r;
		return NULL;
	}
	if (len)
		*len = n;
	return out;
}

static int check_request(const char *t, size_t n, char *err, size_t errlen)
{
	struct agent_request r;
	int ret = agent_request_decode(&r, t, n, err, errlen);

	agent_request_free(&r);
	return ret;
}

static int check_reply(const char *t, size_t n, char *err, size_t errlen)
{
	struct agent_reply r;
	int ret = agent_reply_decode(&r, t, n, err, errlen);

	agent_reply_free(&r);
	return ret;
}

static int check_event(const char *t, size_t n, char *err, size_t errlen)
{
	struct agent_event ev;

	return agent_event_decode(&ev, t, n, err, errlen);
}

static void enc_config(struct enc *e, json_t *o, const struct agent_request *r)
{
	json_error_t jerr;
	json_t *cfg;

	if (!r->config) {
		enc_fail(e, "config", "required");
		return;
	}
	cfg = json_loadb(r->config, r->config_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!cfg) {
		enc_fail(e, "config", "invalid JSON at line %d, column %d: %s", jerr.line,
			 jerr.column, jerr.text);
		return;
	}
	if (!json_is_object(cfg)) {
		enc_fail(e, "config", "must be an object");
		json_decref(cfg);
		return;
	}
	put(e, o, "config", cfg);
}

char *agent_request_encode(const struct agent_request *r, size_t *len, char *err, size_t errlen)
{
	struct enc e = {.err = err, .errlen = errlen};
	const struct agent_resources *res = &r->res;
	const char *op = agent_op_name(r->op);
	json_t *o;

	if (!op) {
		hy_err(err, errlen, -EINVAL, "op: unknown op %d", (int)r->op);
		errno = EINVAL;
		return NULL;
	}
	o = json_object();
	if (!o)
		return finish(&e, o, len, check_request);
	put(&e, o, "op", json_string(op));
	switch (r->op) {
	case AGENT_OP_SIGNAL:
		put(&e, o, "signal", json_integer(r->sig));
		if (r->all)
			put(&e, o, "all", json_true());
		break;
	case AGENT_OP_EXEC:
		enc_config(&e, o, r);
		break;
	case AGENT_OP_START:
		if (r->config)
			enc_config(&e, o, r);
		break;
	case AGENT_OP_UPDATE:
		if (res->has_memory)
			put(&e, o, "memory", json_integer(res->memory));
		if (res->has_pids)
			put(&e, o, "pids", json_integer(res->pids));
		if (res->has_cpu_quota)
			put(&e, o, "cpu_quota", json_integer(res->cpu_quota));
		if (res->has_cpu_period)
			put(&e, o, "cpu_period", u64(res->cpu_period));
		if (res->has_cpu_weight)
			put(&e, o, "cpu_weight", u64(res->cpu_weight));
		break;
	default:
		break;
	}
	return finish(&e, o, len, check_request);
}

static json_t *enc_process(struct enc *e, const struct agent_process *p, size_t idx)
{
	char path[PATH_LEN];
	json_t *o = json_object();

	if (!o)
		return NULL;
	put(e, o, "pid", json_integer(p->pid));
	put(e, o, "ppid", json_integer(p->ppid));
	put(e, o, "uid", json_integer(p->uid));
	put(e, o, "time", u64(p->time));
	snprintf(path, sizeof(path), "processes[%zu].stat", idx);
	put(e, o, "stat", text(e, path, p->stat, sizeof(p->stat)));
	snprintf(path, sizeof(path), "processes[%zu].cmd", idx);
	put(e, o, "cmd", text(e, path, p->cmd, sizeof(p->cmd)));
	return o;
}

static json_t *enc_stats(struct enc *e, const struct agent_stats *s)
{
	json_t *o = json_object(), *m = json_object(), *c = json_object(), *p = json_object();

	if (!o || !m || !c || !p) {
		json_decref(o);
		json_decref(m);
		json_decref(c);
		json_decref(p);
		return NULL;
	}
	put(e, m, "total", u64(s->mem_total));
	put(e, m, "free", u64(s->mem_free));
	put(e, m, "available", u64(s->mem_available));
	put(e, m, "usage", u64(s->mem_usage));
	put(e, m, "limit", json_integer(s->mem_limit));
	put(e, c, "usage_usec", u64(s->cpu_usage_usec));
	put(e, c, "user_usec", u64(s->cpu_user_usec));
	put(e, c, "system_usec", u64(s->cpu_system_usec));
	put(e, p, "current", u64(s->pids_current));
	put(e, p, "limit", json_integer(s->pids_limit));
	put(e, o, "memory", m);
	put(e, o, "cpu", c);
	put(e, o, "pids", p);
	put(e, o, "oom_kills", u64(s->oom_kills));
	return o;
}

char *agent_reply_encode(const struct agent_reply *r, size_t *len, char *err, size_t errlen)
{
	struct enc e = {.err = err, .errlen = errlen};
	json_t *o = json_object();

	if (!o)
		return finish(&e, o, len, check_reply);
	put(&e, o, "ok", json_boolean(r->ok));
	if (!r->ok) {
		put(&e, o, "error", text(&e, "error", r->error, sizeof(r->error)));
		if (r->has_status)
			put(&e, o, "status", json_integer(r->status));
	} else if (r->has_status) {
		enc_fail(&e, "status", "only in a failed reply");
	}
	if (r->has_pid)
		put(&e, o, "pid", json_integer(r->pid));
	if (r->has_processes || r->processes) {
		json_t *a = json_array();

		if (r->nr_processes && !r->processes)
			enc_fail(&e, "processes", "%zu entries without an array", r->nr_processes);
		if (r->nr_processes > AGENT_PS_MAX)
			enc_fail(&e, "processes", "more than %d entries", AGENT_PS_MAX);
		for (size_t i = 0; a && !e.r && i < r->nr_processes; i++)
			if (json_array_append_new(a, enc_process(&e, &r->processes[i], i)) < 0)
				put(&e, o, "processes", NULL);
		put(&e, o, "processes", a);
	}
	if (r->has_stats)
		put(&e, o, "stats", enc_stats(&e, &r->stats));
	/* pid, processes or stats in a failed reply: the decoder check refuses them */
	return finish(&e, o, len, check_reply);
}

char *agent_event_encode(const struct agent_event *ev, size_t *len, char *err, size_t errlen)
{
	struct enc e = {.err = err, .errlen = errlen};
	json_t *o;

	if ((unsigned)ev->type >= ARRAY_SIZE(event_names)) {
		hy_err(err, errlen, -EINVAL, "type: unknown event %d", (int)ev->type);
		errno = EINVAL;
		return NULL;
	}
	o = json_object();
	if (o)
		put(&e, o, "type", json_string(event_names[ev->type]));
	return finish(&e, o, len, check_event);
}
