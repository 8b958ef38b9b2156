/* guest_config.c: the guest configuration's encoder, decoder and defaults.
 *
 * One file on purpose, though it is long: the encoder and the decoder are two
 * walks over one format, kept side by side so that a member added to one is
 * seen missing from the other; the encoder checks its output with the decoder.
 */
#include "common/guest_config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/agent_proto.h"
#include "common/cleanup.h"
#include "common/err.h"
#include "common/plan.h"
#include "common/strv.h"

/* What guest_config_free() releases: the document the strings point into and
 * the arrays made for the struct. */
struct gc_store {
	json_t *doc;
	void **blocks;
	size_t nr, cap;
};

struct dec {
	struct gc_store *st;
	char *err;
	size_t errlen;
};

/* A member's name in messages; a prefix (mounts[3]) fits in BASE_LEN, so its
 * members fit in PATH_LEN. */
#define BASE_LEN 48
#define PATH_LEN 96

/* "PATH: message" into err; -EINVAL. Both the decoder and the encoder word
 * their errors so, naming the member. */
static int __attribute__((format(printf, 4, 0)))
member_err(char *err, size_t errlen, const char *path, const char *fmt, va_list ap)
{
	char msg[256];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	return hy_err(err, errlen, -EINVAL, "%s: %s", path, msg);
}

static int __attribute__((format(printf, 3, 4)))
bad(struct dec *d, const char *path, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = member_err(d->err, d->errlen, path, fmt, ap);
	va_end(ap);
	return r;
}

static int nomem(struct dec *d)
{
	return hy_err(d->err, d->errlen, -ENOMEM, "guest configuration: out of memory");
}

/* Zeroed memory owned by the store; NULL when out of memory. */
static void *store_alloc(struct dec *d, size_t n, size_t size)
{
	struct gc_store *st = d->st;
	void *p;

	if (st->nr == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 16;
		void **b = realloc(st->blocks, cap * sizeof(*b));

		if (!b)
			return NULL;
		st->blocks = b;
		st->cap = cap;
	}
	p = calloc(n ? n : 1, size);
	if (p)
		st->blocks[st->nr++] = p;
	return p;
}

/* --- the runtime-spec's names for numbers -------------------------------------- */

struct name_value {
	const char *name;
	uint64_t value;
};

/* The kernel's numbers (linux/sched.h, linux/ioprio.h, linux/personality.h,
 * linux/seccomp.h), written out: this file builds without those headers. */
static const struct name_value sched_policies[] = {
    {"SCHED_OTHER", 0}, {"SCHED_FIFO", 1}, {"SCHED_RR", 2},
    {"SCHED_BATCH", 3}, {"SCHED_IDLE", 5}, {"SCHED_DEADLINE", 6},
};
static const struct name_value sched_flags[] = {
    {"SCHED_FLAG_RESET_ON_FORK", 0x01},	 {"SCHED_FLAG_RECLAIM", 0x02},
    {"SCHED_FLAG_DL_OVERRUN", 0x04},	 {"SCHED_FLAG_KEEP_POLICY", 0x08},
    {"SCHED_FLAG_KEEP_PARAMS", 0x10},	 {"SCHED_FLAG_UTIL_CLAMP_MIN", 0x20},
    {"SCHED_FLAG_UTIL_CLAMP_MAX", 0x40},
};
static const struct name_value ioprio_classes[] = {
    {"IOPRIO_CLASS_RT", 1},
    {"IOPRIO_CLASS_BE", 2},
    {"IOPRIO_CLASS_IDLE", 3},
};
static const struct name_value personalities[] = {
    {"LINUX", 0x0000},
    {"LINUX32", 0x0008},
};
static const struct name_value seccomp_flags[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", GC_SECCOMP_FLAG_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", GC_SECCOMP_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", GC_SECCOMP_FLAG_SPEC_ALLOW},
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", GC_SECCOMP_FLAG_WAIT_KILLABLE_RECV},
};

static int64_t from_name(const struct name_value *t, size_t n, const char *name)
{
	for (size_t i = 0; name && i < n; i++)
		if (strcmp(t[i].name, name) == 0)
			return (int64_t)t[i].value;
	return -1;
}

static const char *to_name(const struct name_value *t, size_t n, uint64_t value)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].value == value)
			return t[i].name;
	return NULL;
}

#define NAME_FUNCS(table, from, to, type)                                                          \
	int64_t from(const char *name)                                                             \
	{                                                                                          \
		return from_name(table, ARRAY_SIZE(table), name);                                  \
	}                                                                                          \
	const char *to(type value)                                                                 \
	{                                                                                          \
		return to_name(table, ARRAY_SIZE(table), value);                                   \
	}

NAME_FUNCS(sched_policies, gc_sched_policy_from_name, gc_sched_policy_name, uint32_t)
NAME_FUNCS(sched_flags, gc_sched_flag_from_name, gc_sched_flag_name, uint64_t)
NAME_FUNCS(ioprio_classes, gc_ioprio_class_from_name, gc_ioprio_class_name, uint32_t)
NAME_FUNCS(personalities, gc_personality_from_name, gc_personality_name, uint32_t)
NAME_FUNCS(seccomp_flags, gc_seccomp_flag_from_name, gc_seccomp_flag_name, uint32_t)
#undef NAME_FUNCS

#define SCHED_FIFO_NR 1
#define SCHED_RR_NR 2
#define SCHED_DEADLINE_NR 6
/* The smallest runtime SCHED_DEADLINE takes: the kernel's 2^DL_SCALE ns. */
#define DL_MIN_RUNTIME 1024

int gc_scheduler_check(const struct gc_scheduler *s, const char *prefix, char *err, size_t errlen)
{
	const char *policy = gc_sched_policy_name(s->policy);
	bool rt = s->policy == SCHED_FIFO_NR || s->policy == SCHED_RR_NR;
	uint64_t all = 0;

	for (size_t i = 0; i < ARRAY_SIZE(sched_flags); i++)
		all |= sched_flags[i].value;
	if (!policy)
		return hy_err(err, errlen, -EINVAL, "%s.policy: unknown policy %u", prefix,
			      s->policy);
	if (s->nice < -20 || s->nice > 19)
		return hy_err(err, errlen, -EINVAL, "%s.nice: %d is not from -20 to 19", prefix,
			      s->nice);
	if (rt && (s->priority < 1 || s->priority > 99))
		return hy_err(err, errlen, -EINVAL, "%s.priority: %s needs a priority from 1 to 99",
			      prefix, policy);
	if (!rt && s->priority)
		return hy_err(err, errlen, -EINVAL,
			      "%s.priority: only SCHED_FIFO and SCHED_RR take a priority, not %s",
			      prefix, policy);
	if (s->flags & ~all)
		return hy_err(err, errlen, -EINVAL, "%s.flags: unknown flags 0x%llx", prefix,
			      (unsigned long long)(s->flags & ~all));
	if (s->policy != SCHED_DEADLINE_NR) {
		if (s->runtime || s->deadline || s->period)
			return hy_err(err, errlen, -EINVAL,
				      "%s.%s: only SCHED_DEADLINE takes a runtime, deadline and "
				      "period, not %s",
				      prefix,
				      s->runtime    ? "runtime"
				      : s->deadline ? "deadline"
						    : "period",
				      policy);
		return 0;
	}
	if (s->runtime < DL_MIN_RUNTIME || s->runtime > INT64_MAX)
		return hy_err(err, errlen, -EINVAL,
			      "%s.runtime: SCHED_DEADLINE needs a runtime of at least %d ns",
			      prefix, DL_MIN_RUNTIME);
	if (s->deadline < s->runtime || s->deadline > INT64_MAX)
		return hy_err(err, errlen, -EINVAL,
			      "%s.deadline: must be at least the runtime (%llu ns)", prefix,
			      (unsigned long long)s->runtime);
	if (s->period > INT64_MAX || (s->period && s->period < s->deadline))
		return hy_err(err, errlen, -EINVAL,
			      "%s.period: must be at least the deadline (%llu ns), or 0 for the "
			      "deadline",
			      prefix, (unsigned long long)s->deadline);
	return 0;
}

bool gc_unified_key_ok(const char *key)
{
	return key && *key && !strchr(key, '/') && strcmp(key, ".") != 0 && strcmp(key, "..") != 0;
}

/* --- members ------------------------------------------------------------------ */

/* Refuses members of obj not in the NULL-terminated list. */
static int check_members(struct dec *d, json_t *obj, const char *path, const char *const *known)
{
	const char *key;
	json_t *v;

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

static int get_object(struct dec *d, json_t *v, const char *path, const char *const *known)
{
	if (!json_is_object(v))
		return bad(d, path, "must be an object");
	return check_members(d, v, path, known);
}

static int get_string(struct dec *d, json_t *v, const char *path, bool non_empty, const char **out)
{
	if (!json_is_string(v) || (non_empty && json_string_length(v) == 0))
		return bad(d, path, non_empty ? "must be a non-empty string" : "must be a string");
	*out = json_string_value(v);
	return 0;
}

static int get_abs_path(struct dec *d, json_t *v, const char *path, const char **out)
{
	if (!json_is_string(v) || json_string_value(v)[0] != '/')
		return bad(d, path, "must be an absolute path");
	*out = json_string_value(v);
	return 0;
}

static int get_bool(struct dec *d, json_t *v, const char *path, bool *out)
{
	if (!json_is_boolean(v))
		return bad(d, path, "must be true or false");
	*out = json_is_true(v);
	return 0;
}

static int get_int(struct dec *d, json_t *v, const char *path, int64_t min, int64_t max,
		   int64_t *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return bad(d, path, "must be an integer from %lld to %lld", (long long)min,
			   (long long)max);
	*out = json_integer_value(v);
	return 0;
}

/* A 64-bit unsigned value: above INT64_MAX it is written as its two's-complement
 * negative (-1 is UINT64_MAX). */
static int get_u64(struct dec *d, json_t *v, const char *path, uint64_t *out)
{
	if (!json_is_integer(v))
		return bad(d, path, "must be an integer");
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int get_u32(struct dec *d, json_t *v, const char *path, uint32_t *out)
{
	int64_t x;
	int r = get_int(d, v, path, 0, UINT32_MAX, &x);

	if (!r)
		*out = (uint32_t)x;
	return r;
}

/* An array of strings as a NULL-terminated vector pointing into the document. */
static int get_strv(struct dec *d, json_t *v, const char *path, bool non_empty,
		    const char *const **out, size_t *nr)
{
	const char **sv;
	size_t n = json_array_size(v);

	if (!json_is_array(v) || (non_empty && n == 0))
		goto fail;
	sv = store_alloc(d, n + 1, sizeof(*sv));
	if (!sv)
		return nomem(d);
	for (size_t i = 0; i < n; i++) {
		json_t *s = json_array_get(v, i);

		if (!json_is_string(s))
			goto fail;
		sv[i] = json_string_value(s);
	}
	*out = sv;
	*nr = n;
	return 0;
fail:
	return bad(d, path,
		   non_empty ? "must be a non-empty array of strings"
			     : "must be an array of strings");
}

/* An array of objects: n, or a negative errno. */
static int check_array(struct dec *d, json_t *v, const char *path, size_t *n)
{
	if (!json_is_array(v))
		return bad(d, path, "must be an array of objects");
	*n = json_array_size(v);
	return 0;
}

/* An array of flag names, each named once, as the OR of their bits. */
static int get_flags(struct dec *d, json_t *v, const char *path, int64_t (*lookup)(const char *),
		     uint64_t *out)
{
	size_t i;
	json_t *f;

	if (!json_is_array(v))
		return bad(d, path, "must be an array of flag names");
	*out = 0;
	json_array_foreach(v, i, f)
	{
		int64_t bit = json_is_string(f) ? lookup(json_string_value(f)) : -1;

		if (!json_is_string(f))
			return bad(d, path, "must be an array of flag names");
		if (bit < 0)
			return bad(d, path, "unknown flag \"%s\"", json_string_value(f));
		if (*out & (uint64_t)bit)
			return bad(d, path, "\"%s\" given twice", json_string_value(f));
		*out |= (uint64_t)bit;
	}
	return 0;
}

/* A name of a table (the `lookup` of its numbers). */
static int get_named(struct dec *d, json_t *v, const char *path, int64_t (*lookup)(const char *),
		     const char *what, int64_t *out)
{
	const char *name = NULL;
	int r;

	if ((r = get_string(d, v, path, true, &name)))
		return r;
	*out = lookup(name);
	if (*out < 0)
		return bad(d, path, "unknown %s \"%s\"", what, name);
	return 0;
}

/* --- root, mounts ------------------------------------------------------------- */

/* linux.rootfsPropagation's names, indexed by enum gc_propagation. */
static const char *const propagation_names[] = {
    [GC_PROP_SHARED] = "shared",     [GC_PROP_SLAVE] = "slave",
    [GC_PROP_PRIVATE] = "private",   [GC_PROP_UNBINDABLE] = "unbindable",
    [GC_PROP_RSHARED] = "rshared",   [GC_PROP_RSLAVE] = "rslave",
    [GC_PROP_RPRIVATE] = "rprivate", [GC_PROP_RUNBINDABLE] = "runbindable",
};

static int decode_root(struct dec *d, json_t *v, struct guest_config *gc)
{
	static const char *const known[] = {"share", "readonly", "propagation", NULL};
	const char *prop = NULL;
	json_t *m;
	int r;

	if ((r = get_object(d, v, "root", known)))
		return r;
	if ((r = get_string(d, json_object_get(v, "share"), "root.share", true, &gc->root_share)))
		return r;
	if ((m = json_object_get(v, "readonly")) &&
	    (r = get_bool(d, m, "root.readonly", &gc->root_readonly)))
		return r;
	if ((m = json_object_get(v, "propagation"))) {
		size_t i;

		if ((r = get_string(d, m, "root.propagation", true, &prop)))
			return r;
		for (i = GC_PROP_SHARED; i < ARRAY_SIZE(propagation_names); i++)
			if (strcmp(prop, propagation_names[i]) == 0)
				break;
		if (i == ARRAY_SIZE(propagation_names))
			return bad(d, "root.propagation",
				   "\"%s\" is none of shared, slave, private, unbindable, rshared, "
				   "rslave, rprivate, runbindable",
				   prop);
		gc->root_propagation = (enum gc_propagation)i;
	}
	gc->has_root = true;
	return 0;
}

/* A name under HY_INIT_FILES: one path component. */
static bool plain_name(const char *s)
{
	return *s && !strchr(s, '/') && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

static int decode_mount(struct dec *d, json_t *v, size_t idx, struct gc_mount *m)
{
	static const char *const known[] = {"destination", "type", "source", "options",
					    "share",	   "file", NULL};
	char path[PATH_LEN], mp[BASE_LEN];
	json_t *f;
	int r;

	snprintf(mp, sizeof(mp), "mounts[%zu]", idx);
	if ((r = get_object(d, v, mp, known)))
		return r;
	snprintf(path, sizeof(path), "%s.destination", mp);
	if ((r = get_abs_path(d, json_object_get(v, "destination"), path, &m->destination)))
		return r;
	snprintf(path, sizeof(path), "%s.type", mp);
	if ((f = json_object_get(v, "type")) && (r = get_string(d, f, path, true, &m->type)))
		return r;
	snprintf(path, sizeof(path), "%s.source", mp);
	if ((f = json_object_get(v, "source")) && (r = get_string(d, f, path, false, &m->source)))
		return r;
	snprintf(path, sizeof(path), "%s.options", mp);
	if ((f = json_object_get(v, "options")) &&
	    (r = get_strv(d, f, path, false, &m->options, &m->nr_options)))
		return r;
	snprintf(path, sizeof(path), "%s.share", mp);
	if ((f = json_object_get(v, "share")) && (r = get_string(d, f, path, true, &m->share)))
		return r;
	snprintf(path, sizeof(path), "%s.file", mp);
	if ((f = json_object_get(v, "file"))) {
		if ((r = get_string(d, f, path, true, &m->file)))
			return r;
		if (!plain_name(m->file))
			return bad(d, path, "must be a file name, without '/'");
	}
	m->bind = (m->type && strcmp(m->type, "bind") == 0) ||
		  hy_strv_contains(m->options, m->nr_options, "bind") ||
		  hy_strv_contains(m->options, m->nr_options, "rbind");
	if (m->share && m->file)
		return bad(d, mp, "\"share\" and \"file\" exclude each other");
	if (m->bind && !m->share && !m->file)
		return bad(d, mp, "a bind mount needs \"share\" or \"file\"");
	if (!m->bind && (m->share || m->file))
		return bad(d, mp, "\"%s\" is only for a bind mount", m->share ? "share" : "file");
	if (!m->bind && !m->type)
		return bad(d, mp, "\"type\" is required but for a bind mount");
	return 0;
}

static int decode_mounts(struct dec *d, json_t *v, struct guest_config *gc)
{
	struct gc_mount *mounts;
	size_t n = 0;
	int r;

	if ((r = check_array(d, v, "mounts", &n)))
		return r;
	mounts = store_alloc(d, n, sizeof(*mounts));
	if (!mounts)
		return nomem(d);
	for (size_t i = 0; i < n; i++)
		if ((r = decode_mount(d, json_array_get(v, i), i, &mounts[i])))
			return r;
	gc->mounts = mounts;
	gc->nr_mounts = n;
	return 0;
}

/* maskedPaths, readonlyPaths: absolute paths. */
static int decode_paths(struct dec *d, json_t *v, const char *name, const char *const **out,
			size_t *nr)
{
	int r;

	if ((r = get_strv(d, v, name, false, out, nr)))
		return r;
	for (size_t i = 0; i < *nr; i++) {
		char path[PATH_LEN];

		snprintf(path, sizeof(path), "%s[%zu]", name, i);
		if ((*out)[i][0] != '/')
			return bad(d, path, "\"%s\" is not an absolute path", (*out)[i]);
	}
	return 0;
}

bool gc_dev_path_ok(const char *p)
{
	if (strncmp(p, "/dev/", 5) != 0)
		return false;
	for (p += 5;;) {
		size_t n = strcspn(p, "/");

		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		if (!p[n])
			return true;
		p += n + 1;
	}
}

/* An optional integer member of o from min to max: *has set when present. */
static int get_opt_int(struct dec *d, json_t *o, const char *key, const char *base, int64_t min,
		       int64_t max, bool *has, int64_t *out)
{
	char path[PATH_LEN];
	json_t *v = json_object_get(o, key);

	if (!v)
		return 0;
	snprintf(path, sizeof(path), "%s.%s", base, key);
	if (has)
		*has = true;
	return get_int(d, v, path, min, max, out);
}

static int decode_device(struct dec *d, json_t *v, size_t idx, struct gc_device *dev)
{
	static const char *const known[] = {"path",	"type", "major", "minor",
					    "fileMode", "uid",	"gid",	 NULL};
	char dp[BASE_LEN], path[PATH_LEN];
	const char *type = NULL;
	int64_t major = 0, minor = 0, x = 0;
	int r;

	snprintf(dp, sizeof(dp), "devices[%zu]", idx);
	if ((r = get_object(d, v, dp, known)))
		return r;
	snprintf(path, sizeof(path), "%s.path", dp);
	if ((r = get_abs_path(d, json_object_get(v, "path"), path, &dev->path)))
		return r;
	if (!gc_dev_path_ok(dev->path))
		return bad(d, path,
			   "\"%s\" is not a path below /dev (without empty, \".\" or \"..\" "
			   "components)",
			   dev->path);
	snprintf(path, sizeof(path), "%s.type", dp);
	if ((r = get_string(d, json_object_get(v, "type"), path, true, &type)))
		return r;
	if (strlen(type) != 1 || !strchr("cubp", type[0]))
		return bad(d, path, "\"%s\" is none of c, u, b and p", type);
	dev->type = type[0] == 'u' ? 'c' : type[0];
	/* A FIFO has no numbers: ignored when given, but still in range. */
	if (dev->type != 'p' && !json_object_get(v, "major"))
		return bad(d, dp, "\"major\" is required for a device of type %s", type);
	if (dev->type != 'p' && !json_object_get(v, "minor"))
		return bad(d, dp, "\"minor\" is required for a device of type %s", type);
	if ((r = get_opt_int(d, v, "major", dp, 0, 4095, NULL, &major)) ||
	    (r = get_opt_int(d, v, "minor", dp, 0, 1048575, NULL, &minor)))
		return r;
	if (dev->type != 'p') {
		dev->major = (uint32_t)major;
		dev->minor = (uint32_t)minor;
	}
	if ((r = get_opt_int(d, v, "fileMode", dp, 0, 07777, &dev->has_mode, &x)))
		return r;
	dev->mode = dev->has_mode ? (uint32_t)x : 0666;
	x = 0;
	if ((r = get_opt_int(d, v, "uid", dp, 0, UINT32_MAX, &dev->has_uid, &x)))
		return r;
	dev->uid = (uint32_t)x;
	x = 0;
	if ((r = get_opt_int(d, v, "gid", dp, 0, UINT32_MAX, &dev->has_gid, &x)))
		return r;
	dev->gid = (uint32_t)x;
	return 0;
}

static int decode_devices(struct dec *d, json_t *v, struct guest_config *gc)
{
	struct gc_device *devs;
	size_t n = 0;
	int r;

	if ((r = check_array(d, v, "devices", &n)))
		return r;
	if (n > GC_MAX_DEVICES)
		return bad(d, "devices", "at most %d devices", GC_MAX_DEVICES);
	devs = store_alloc(d, n, sizeof(*devs));
	if (!devs)
		return nomem(d);
	for (size_t i = 0; i < n; i++)
		if ((r = decode_device(d, json_array_get(v, i), i, &devs[i])))
			return r;
	gc->devices = devs;
	gc->nr_devices = n;
	return 0;
}

/* --- resources ---------------------------------------------------------------- */

static int decode_device_rule(struct dec *d, json_t *v, size_t idx, struct gc_device_rule *rule)
{
	static const char *const known[] = {"allow", "type", "major", "minor", "access", NULL};
	char rp[BASE_LEN], path[PATH_LEN];
	const char *s = NULL;
	json_t *f;
	int r;

	snprintf(rp, sizeof(rp), "resources.devices[%zu]", idx);
	if ((r = get_object(d, v, rp, known)))
		return r;
	snprintf(path, sizeof(path), "%s.allow", rp);
	if ((r = get_bool(d, json_object_get(v, "allow"), path, &rule->allow)))
		return r;
	rule->type = 'a';
	snprintf(path, sizeof(path), "%s.type", rp);
	if ((f = json_object_get(v, "type"))) {
		if ((r = get_string(d, f, path, true, &s)))
			return r;
		if (strlen(s) != 1 || !strchr("acb", s[0]))
			return bad(d, path, "\"%s\" is none of a, c and b", s);
		rule->type = s[0];
	}
	rule->major = rule->minor = -1;
	if ((r = get_opt_int(d, v, "major", rp, -1, UINT32_MAX, NULL, &rule->major)) ||
	    (r = get_opt_int(d, v, "minor", rp, -1, UINT32_MAX, NULL, &rule->minor)))
		return r;
	s = "rwm";
	snprintf(path, sizeof(path), "%s.access", rp);
	if ((f = json_object_get(v, "access")) && (r = get_string(d, f, path, true, &s)))
		return r;
	for (const char *c = s; *c; c++) {
		bool *bit = *c == 'r'	? &rule->read
			    : *c == 'w' ? &rule->write
			    : *c == 'm' ? &rule->mknod
					: NULL;

		if (!bit || *bit)
			return bad(d, path, "\"%s\" is not a combination of r, w and m", s);
		*bit = true;
	}
	return 0;
}

/* resources.unified: file names of the container's cgroup, and strings. */
static int decode_unified(struct dec *d, json_t *v, struct gc_resources *res)
{
	struct gc_unified *u;
	const char *key;
	json_t *val;
	size_t i = 0;

	if (!json_is_object(v))
		return bad(d, "resources.unified", "must be an object of strings");
	u = store_alloc(d, json_object_size(v), sizeof(*u));
	if (!u)
		return nomem(d);
	json_object_foreach(v, key, val)
	{
		char path[PATH_LEN];

		snprintf(path, sizeof(path), "resources.unified.%s", key);
		/* The key is opened in the cgroup's directory. */
		if (!gc_unified_key_ok(key))
			return bad(d, path, "not a file name of a cgroup");
		if (!json_is_string(val))
			return bad(d, path, "must be a string");
		u[i].key = key;
		u[i++].value = json_string_value(val);
	}
	res->unified = u;
	res->nr_unified = i;
	return 0;
}

static int decode_resources(struct dec *d, json_t *v, struct guest_config *gc)
{
	static const char *const known[] = {"memory",	"memorySwap", "pids",
					    "cpuQuota", "cpuPeriod",  "cpuWeight",
					    "devices",	"unified",    NULL};
	struct gc_resources *res = &gc->resources;
	struct gc_device_rule *rules;
	int64_t x = 0;
	json_t *f;
	size_t n = 0;
	int r;

	if ((r = get_object(d, v, "resources", known)))
		return r;
	if ((r = get_opt_int(d, v, "memory", "resources", -1, INT64_MAX, &res->has_memory,
			     &res->memory)) ||
	    (r = get_opt_int(d, v, "memorySwap", "resources", -1, INT64_MAX, &res->has_memory_swap,
			     &res->memory_swap)) ||
	    (r = get_opt_int(d, v, "pids", "resources", -1, INT64_MAX, &res->has_pids,
			     &res->pids)) ||
	    (r = get_opt_int(d, v, "cpuQuota", "resources", -1, INT64_MAX, &res->has_cpu_quota,
			     &res->cpu_quota)))
		return r;
	if (res->has_pids && res->pids == 0)
		return bad(d, "resources.pids", "must be -1 (no limit) or at least 1");
	if (res->has_cpu_quota && res->cpu_quota >= 0 && res->cpu_quota < 1000)
		return bad(d, "resources.cpuQuota", "must be -1 (no limit) or at least 1000");
	if ((r = get_opt_int(d, v, "cpuPeriod", "resources", 1000, 1000000, &res->has_cpu_period,
			     &x)))
		return r;
	res->cpu_period = (uint64_t)x;
	if ((r = get_opt_int(d, v, "cpuWeight", "resources", 1, 10000, &res->has_cpu_weight, &x)))
		return r;
	res->cpu_weight = (uint64_t)x;
	if ((f = json_object_get(v, "devices"))) {
		if ((r = check_array(d, f, "resources.devices", &n)))
			return r;
		if (n > GC_MAX_DEVICE_RULES)
			return bad(d, "resources.devices", "at most %d rules", GC_MAX_DEVICE_RULES);
		rules = store_alloc(d, n, sizeof(*rules));
		if (!rules)
			return nomem(d);
		for (size_t i = 0; i < n; i++)
			if ((r = decode_device_rule(d, json_array_get(f, i), i, &rules[i])))
				return r;
		res->has_devices = true;
		res->devices = rules;
		res->nr_devices = n;
	}
	if ((f = json_object_get(v, "unified")) && (r = decode_unified(d, f, res)))
		return r;
	gc->has_resources = true;
	return 0;
}

/* --- process ------------------------------------------------------------------ */

static int decode_caps(struct dec *d, json_t *v, struct guest_config *gc)
{
	static const char *const known[] = {"bounding",	 "effective", "inheritable",
					    "permitted", "ambient",   NULL};
	const char *key;
	json_t *set;
	int r;

	if ((r = get_object(d, v, "process.capabilities", known)))
		return r;
	json_object_foreach(v, key, set)
	{
		int s = hy_cap_set_from_name(key);
		char path[PATH_LEN];
		size_t i;
		json_t *c;

		snprintf(path, sizeof(path), "process.capabilities.%s", key);
		if (!json_is_array(set))
			return bad(d, path, "must be an array of capability names");
		json_array_foreach(set, i, c)
		{
			int cap = json_is_string(c) ? hy_cap_from_name(json_string_value(c)) : -1;

			if (!json_is_string(c))
				return bad(d, path, "must be an array of capability names");
			if (cap < 0)
				return bad(d, path, "unknown capability \"%s\"",
					   json_string_value(c));
			gc->caps[s] |= 1ull << cap;
		}
	}
	gc->has_caps = true;
	return 0;
}

static int decode_rlimits(struct dec *d, json_t *v, struct guest_config *gc)
{
	static const char *const known[] = {"type", "soft", "hard", NULL};
	struct gc_rlimit *rl;
	size_t n = 0;
	int r;

	if ((r = check_array(d, v, "process.rlimits", &n)))
		return r;
	rl = store_alloc(d, n, sizeof(*rl));
	if (!rl)
		return nomem(d);
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_array_get(v, i);
		char ip[BASE_LEN], path[PATH_LEN];
		const char *type = NULL;

		snprintf(ip, sizeof(ip), "process.rlimits[%zu]", i);
		if ((r = get_object(d, o, ip, known)))
			return r;
		snprintf(path, sizeof(path), "%s.type", ip);
		if ((r = get_string(d, json_object_get(o, "type"), path, true, &type)))
			return r;
		rl[i].resource = hy_rlimit_from_name(type);
		if (rl[i].resource < 0)
			return bad(d, path, "unknown rlimit \"%s\"", type);
		for (size_t j = 0; j < i; j++)
			if (rl[j].resource == rl[i].resource)
				return bad(d, path, "\"%s\" given twice", type);
		snprintf(path, sizeof(path), "%s.soft", ip);
		if ((r = get_u64(d, json_object_get(o, "soft"), path, &rl[i].soft)))
			return r;
		snprintf(path, sizeof(path), "%s.hard", ip);
		if ((r = get_u64(d, json_object_get(o, "hard"), path, &rl[i].hard)))
			return r;
	}
	gc->rlimits = rl;
	gc->nr_rlimits = n;
	return 0;
}

static int decode_gids(struct dec *d, json_t *v, struct guest_config *gc)
{
	uint32_t *gids;
	size_t n = json_array_size(v);

	if (!json_is_array(v))
		return bad(d, "process.additionalGids", "must be an array of integers");
	gids = store_alloc(d, n, sizeof(*gids));
	if (!gids)
		return nomem(d);
	for (size_t i = 0; i < n; i++) {
		char path[PATH_LEN];
		int r;

		snprintf(path, sizeof(path), "process.additionalGids[%zu]", i);
		if ((r = get_u32(d, json_array_get(v, i), path, &gids[i])))
			return r;
	}
	gc->additional_gids = gids;
	gc->nr_additional_gids = n;
	return 0;
}

static int decode_scheduler(struct dec *d, json_t *v, struct guest_config *gc)
{
	static const char *const known[] = {"policy",  "nice",	   "priority", "flags",
					    "runtime", "deadline", "period",   NULL};
	static const char *const base = "process.scheduler";
	struct gc_scheduler *s = &gc->scheduler;
	int64_t x = 0;
	json_t *f;
	int r;

	if ((r = get_object(d, v, base, known)))
		return r;
	if ((r = get_named(d, json_object_get(v, "policy"), "process.scheduler.policy",
			   gc_sched_policy_from_name, "policy", &x)))
		return r;
	s->policy = (uint32_t)x;
	x = 0;
	if ((r = get_opt_int(d, v, "nice", base, -20, 19, NULL, &x)))
		return r;
	s->nice = (int32_t)x;
	x = 0;
	if ((r = get_opt_int(d, v, "priority", base, 0, 99, NULL, &x)))
		return r;
	s->priority = (uint32_t)x;
	if ((f = json_object_get(v, "flags")) &&
	    (r = get_flags(d, f, "process.scheduler.flags", gc_sched_flag_from_name, &s->flags)))
		return r;
	x = 0;
	if ((r = get_opt_int(d, v, "runtime", base, 0, INT64_MAX, NULL, &x)))
		return r;
	s->runtime = (uint64_t)x;
	x = 0;
	if ((r = get_opt_int(d, v, "deadline", base, 0, INT64_MAX, NULL, &x)))
		return r;
	s->deadline = (uint64_t)x;
	x = 0;
	if ((r = get_opt_int(d, v, "period", base, 0, INT64_MAX, NULL, &x)))
		return r;
	s->period = (uint64_t)x;
	if ((r = gc_scheduler_check(s, base, d->err, d->errlen)))
		return r;
	gc->has_scheduler = true;
	return 0;
}

static int decode_io_priority(struct dec *d, json_t *v, struct guest_config *gc)
{
	static const char *const known[] = {"class", "priority", NULL};
	int64_t x;
	int r;

	if ((r = get_object(d, v, "process.ioPriority", known)))
		return r;
	if ((r = get_named(d, json_object_get(v, "class"), "process.ioPriority.class",
			   gc_ioprio_class_from_name, "class", &x)))
		return r;
	gc->io_priority.ioclass = (uint32_t)x;
	if ((r = get_int(d, json_object_get(v, "priority"), "process.ioPriority.priority", 0, 7,
			 &x)))
		return r;
	gc->io_priority.priority = (uint32_t)x;
	gc->has_io_priority = true;
	return 0;
}

/* The members of process that are optional scalars. */
static int decode_process_opts(struct dec *d, json_t *p, struct guest_config *gc)
{
	int64_t x;
	json_t *v;
	int r;

	if ((v = json_object_get(p, "terminal")) &&
	    (r = get_bool(d, v, "process.terminal", &gc->terminal)))
		return r;
	if ((v = json_object_get(p, "umask"))) {
		if ((r = get_int(d, v, "process.umask", 0, 07777, &x)))
			return r;
		gc->has_umask = true;
		gc->umask = (uint32_t)x;
	}
	if ((v = json_object_get(p, "noNewPrivileges")) &&
	    (r = get_bool(d, v, "process.noNewPrivileges", &gc->no_new_privileges)))
		return r;
	if ((v = json_object_get(p, "oomScoreAdj"))) {
		if ((r = get_int(d, v, "process.oomScoreAdj", -1000, 1000, &x)))
			return r;
		gc->has_oom_score_adj = true;
		gc->oom_score_adj = (int)x;
	}
	return 0;
}

static int decode_process(struct dec *d, json_t *p, struct guest_config *gc)
{
	static const char *const known[] = {
	    "args",
	    "env",
	    "cwd",
	    "terminal",
	    "uid",
	    "gid",
	    "additionalGids",
	    "umask",
	    "capabilities",
	    "rlimits",
	    "noNewPrivileges",
	    "oomScoreAdj",
	    "scheduler",
	    "ioPriority",
	    NULL,
	};
	json_t *v;
	int r;

	if ((r = get_object(d, p, "process", known)))
		return r;
	if ((r = get_strv(d, json_object_get(p, "args"), "process.args", true, &gc->args,
			  &gc->nr_args)))
		return r;
	if ((v = json_object_get(p, "env")) &&
	    (r = get_strv(d, v, "process.env", false, &gc->env, &gc->nr_env)))
		return r;
	if ((r = get_abs_path(d, json_object_get(p, "cwd"), "process.cwd", &gc->cwd)))
		return r;
	if ((r = get_u32(d, json_object_get(p, "uid"), "process.uid", &gc->uid)) ||
	    (r = get_u32(d, json_object_get(p, "gid"), "process.gid", &gc->gid)))
		return r;
	if ((v = json_object_get(p, "additionalGids")) && (r = decode_gids(d, v, gc)))
		return r;
	if ((v = json_object_get(p, "capabilities")) && (r = decode_caps(d, v, gc)))
		return r;
	if ((v = json_object_get(p, "rlimits")) && (r = decode_rlimits(d, v, gc)))
		return r;
	if ((v = json_object_get(p, "scheduler")) && (r = decode_scheduler(d, v, gc)))
		return r;
	if ((v = json_object_get(p, "ioPriority")) && (r = decode_io_priority(d, v, gc)))
		return r;
	return decode_process_opts(d, p, gc);
}

/* --- network ------------------------------------------------------------------ */

static unsigned ip_bits(int family)
{
	return family == AF_INET ? 32 : 128;
}

/* An address of either family, without prefix: the first len bytes of s. */
static bool parse_addr(const char *s, size_t len, int *family, uint8_t out[16])
{
	char buf[INET6_ADDRSTRLEN];

	if (len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(out, 0, 16);
	*family = memchr(buf, ':', len) ? AF_INET6 : AF_INET;
	return inet_pton(*family, buf, out) == 1;
}

/* "10.88.0.5/16", "fd00::5/64": the prefix length in decimal, without sign
 * or leading zero. */
static int get_ip(struct dec *d, json_t *v, const char *path, struct gc_ip *ip)
{
	const char *s, *slash, *p;
	size_t n;

	if (!json_is_string(v))
		return bad(d, path, "must be a string");
	s = json_string_value(v);
	slash = strchr(s, '/');
	p = slash ? slash + 1 : "";
	n = strlen(p);
	if (!slash || !parse_addr(s, (size_t)(slash - s), &ip->family, ip->addr) || n == 0 ||
	    n > 3 || strspn(p, "0123456789") != n || (n > 1 && p[0] == '0'))
		return bad(d, path,
			   "\"%s\" is not an address with a prefix length like 10.88.0.5/16 or "
			   "fd00::5/64",
			   s);
	ip->prefix = (unsigned)strtoul(p, NULL, 10);
	if (ip->prefix > ip_bits(ip->family))
		return bad(d, path, "prefix length %u is more than %u", ip->prefix,
			   ip_bits(ip->family));
	return 0;
}

/* A gateway or a source: an address of the family `family`, without prefix. */
static int get_host_ip(struct dec *d, json_t *v, const char *path, int family, uint8_t out[16])
{
	int f;

	if (!json_is_string(v) || !parse_addr(json_string_value(v), json_string_length(v), &f, out))
		return bad(d, path, "must be an IPv4 or IPv6 address");
	if (f != family)
		return bad(d, path, "must be an %s address, as the destination is",
			   family == AF_INET ? "IPv4" : "IPv6");
	return 0;
}

/* No bit set past the prefix. */
static bool is_network(const struct gc_ip *ip)
{
	for (unsigned i = 0; i < ip_bits(ip->family) / 8; i++) {
		unsigned bits = ip->prefix > i * 8 ? ip->prefix - i * 8 : 0;
		uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff00u >> bits);

		if (ip->addr[i] & (uint8_t)~mask)
			return false;
	}
	return true;
}

/* A name the kernel takes as it is (dev_valid_name()); '%' would make it a
 * template that the kernel fills with a number. */
static bool ifname_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > GC_IFNAME_MAX || !strcmp(s, ".") || !strcmp(s, "..") || !strcmp(s, "lo"))
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || *s == '%' || isspace((unsigned char)*s))
			return false;
	return true;
}

static int decode_route(struct dec *d, json_t *v, const char *rp, struct gc_route *rt)
{
	static const char *const known[] = {"destination", "gateway", "source",
					    "metric",	   "mtu",     NULL};
	char path[PATH_LEN + 16];
	json_t *f;
	int64_t x;
	int r;

	if ((r = get_object(d, v, rp, known)))
		return r;
	snprintf(path, sizeof(path), "%s.destination", rp);
	if ((r = get_ip(d, json_object_get(v, "destination"), path, &rt->destination)))
		return r;
	if (!is_network(&rt->destination))
		return bad(d, path, "\"%s\" has bits set past the prefix",
			   json_string_value(json_object_get(v, "destination")));
	snprintf(path, sizeof(path), "%s.gateway", rp);
	if ((f = json_object_get(v, "gateway"))) {
		if ((r = get_host_ip(d, f, path, rt->destination.family, rt->gateway)))
			return r;
		rt->has_gateway = true;
	}
	snprintf(path, sizeof(path), "%s.source", rp);
	if ((f = json_object_get(v, "source"))) {
		if ((r = get_host_ip(d, f, path, rt->destination.family, rt->source)))
			return r;
		rt->has_source = true;
	}
	snprintf(path, sizeof(path), "%s.metric", rp);
	if ((f = json_object_get(v, "metric")) && (r = get_u32(d, f, path, &rt->metric)))
		return r;
	snprintf(path, sizeof(path), "%s.mtu", rp);
	if ((f = json_object_get(v, "mtu"))) {
		if ((r = get_int(d, f, path, PLAN_MIN_MTU, PLAN_MAX_MTU, &x)))
			return r;
		rt->mtu = (uint32_t)x;
	}
	return 0;
}

static int decode_addresses(struct dec *d, json_t *v, const char *np, struct gc_nic *nic)
{
	char path[PATH_LEN];
	struct gc_ip *ips;
	size_t n = json_array_size(v);
	int r;

	snprintf(path, sizeof(path), "%s.addresses", np);
	if (!json_is_array(v))
		return bad(d, path, "must be an array of strings");
	if (n > GC_MAX_ADDRESSES)
		return bad(d, path, "at most %d addresses", GC_MAX_ADDRESSES);
	ips = store_alloc(d, n, sizeof(*ips));
	if (!ips)
		return nomem(d);
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s.addresses[%zu]", np, i);
		if ((r = get_ip(d, json_array_get(v, i), path, &ips[i])))
			return r;
	}
	nic->addresses = ips;
	nic->nr_addresses = n;
	return 0;
}

static int decode_routes(struct dec *d, json_t *v, const char *np, struct gc_nic *nic)
{
	char path[PATH_LEN], rp[PATH_LEN];
	struct gc_route *routes;
	size_t n = 0;
	int r;

	snprintf(path, sizeof(path), "%s.routes", np);
	if ((r = check_array(d, v, path, &n)))
		return r;
	if (n > GC_MAX_ROUTES)
		return bad(d, path, "at most %d routes", GC_MAX_ROUTES);
	routes = store_alloc(d, n, sizeof(*routes));
	if (!routes)
		return nomem(d);
	for (size_t i = 0; i < n; i++) {
		snprintf(rp, sizeof(rp), "%s.routes[%zu]", np, i);
		if ((r = decode_route(d, json_array_get(v, i), rp, &routes[i])))
			return r;
	}
	nic->routes = routes;
	nic->nr_routes = n;
	return 0;
}

/* A NIC's MAC: six hex pairs, unicast, not all zero. The text in *text. */
static int get_mac(struct dec *d, json_t *v, const char *path, uint8_t mac[6], const char **text)
{
	static const uint8_t zero[6];
	int r;

	if ((r = get_string(d, v, path, true, text)))
		return r;
	if (plan_parse_mac(*text, mac))
		return bad(d, path, "\"%s\" is not six hex pairs like 02:42:ac:11:00:02", *text);
	if ((mac[0] & 1) || !memcmp(mac, zero, sizeof(zero)))
		return bad(d, path, "%s is not a unicast address", *text);
	return 0;
}

/* nics[idx], checked against the NICs before it. */
static int decode_nic(struct dec *d, json_t *v, size_t idx, struct gc_nic *nics)
{
	static const char *const known[] = {"name", "mac", "mtu", "addresses", "routes", NULL};
	struct gc_nic *nic = &nics[idx];
	char np[BASE_LEN], path[PATH_LEN];
	const char *mac = NULL;
	int64_t x;
	json_t *f;
	int r;

	snprintf(np, sizeof(np), "network[%zu]", idx);
	if ((r = get_object(d, v, np, known)))
		return r;
	snprintf(path, sizeof(path), "%s.name", np);
	if ((r = get_string(d, json_object_get(v, "name"), path, true, &nic->name)))
		return r;
	if (!ifname_valid(nic->name))
		return bad(d, path,
			   "\"%s\" is not an interface name: 1 to %d bytes without '/', ':', '%%' "
			   "or white space, not \"lo\", \".\" or \"..\"",
			   nic->name, GC_IFNAME_MAX);
	for (size_t i = 0; i < idx; i++)
		if (!strcmp(nics[i].name, nic->name))
			return bad(d, path, "\"%s\" given twice", nic->name);
	snprintf(path, sizeof(path), "%s.mac", np);
	if ((r = get_mac(d, json_object_get(v, "mac"), path, nic->mac, &mac)))
		return r;
	for (size_t i = 0; i < idx; i++)
		if (!memcmp(nics[i].mac, nic->mac, sizeof(nic->mac)))
			return bad(d, path, "%s given twice", mac);
	snprintf(path, sizeof(path), "%s.mtu", np);
	if ((r = get_int(d, json_object_get(v, "mtu"), path, PLAN_MIN_MTU, PLAN_MAX_MTU, &x)))
		return r;
	nic->mtu = (uint32_t)x;
	if ((f = json_object_get(v, "addresses")) && (r = decode_addresses(d, f, np, nic)))
		return r;
	if ((f = json_object_get(v, "routes")) && (r = decode_routes(d, f, np, nic)))
		return r;
	return 0;
}

static int decode_network(struct dec *d, json_t *v, struct guest_config *gc)
{
	struct gc_nic *nics;
	size_t n = 0;
	int r;

	if ((r = check_array(d, v, "network", &n)))
		return r;
	if (n > GC_MAX_NICS)
		return bad(d, "network", "at most %d interfaces", GC_MAX_NICS);
	nics = store_alloc(d, n, sizeof(*nics));
	if (!nics)
		return nomem(d);
	for (size_t i = 0; i < n; i++)
		if ((r = decode_nic(d, json_array_get(v, i), i, nics)))
			return r;
	gc->nics = nics;
	gc->nr_nics = n;
	return 0;
}

/* After "network": the standby NICs' MACs are apart from its NICs', as the
 * guest finds each NIC by its MAC. */
static int decode_standby(struct dec *d, json_t *v, struct guest_config *gc)
{
	struct gc_mac *macs;
	size_t n = json_array_size(v);

	if (!json_is_array(v))
		return bad(d, "standbyNics", "must be an array of MAC addresses");
	if (n + gc->nr_nics > GC_MAX_NICS)
		return bad(d, "standbyNics", "at most %d interfaces with those of \"network\"",
			   GC_MAX_NICS);
	macs = store_alloc(d, n, sizeof(*macs));
	if (!macs)
		return nomem(d);
	for (size_t i = 0; i < n; i++) {
		char path[PATH_LEN];
		const char *mac;
		int r;

		snprintf(path, sizeof(path), "standbyNics[%zu]", i);
		if ((r = get_mac(d, json_array_get(v, i), path, macs[i].mac, &mac)))
			return r;
		for (size_t j = 0; j < i; j++)
			if (!memcmp(macs[j].mac, macs[i].mac, 6))
				return bad(d, path, "%s given twice", mac);
		for (size_t j = 0; j < gc->nr_nics; j++)
			if (!memcmp(gc->nics[j].mac, macs[i].mac, 6))
				return bad(d, path, "%s is network[%zu]'s MAC too", mac, j);
	}
	gc->standby = macs;
	gc->nr_standby = n;
	return 0;
}

/* --- sysctl, seccomp ---------------------------------------------------------- */

static int decode_sysctl(struct dec *d, json_t *v, struct guest_config *gc)
{
	struct gc_sysctl *sc;
	const char *key;
	json_t *val;
	size_t i = 0;

	if (!json_is_object(v))
		return bad(d, "sysctl", "must be an object of strings");
	sc = store_alloc(d, json_object_size(v), sizeof(*sc));
	if (!sc)
		return nomem(d);
	json_object_foreach(v, key, val)
	{
		char path[PATH_LEN];

		snprintf(path, sizeof(path), "sysctl.%s", key);
		/* The key becomes a path below /proc/sys. */
		if (!*key || strchr(key, '/') || strstr(key, ".."))
			return bad(d, path, "not a sysctl name");
		if (!json_is_string(val))
			return bad(d, path, "must be a string");
		sc[i].key = key;
		sc[i++].value = json_string_value(val);
	}
	gc->sysctl = sc;
	gc->nr_sysctl = i;
	return 0;
}

static int get_action(struct dec *d, json_t *v, const char *path, enum hy_seccomp_action *out)
{
	int a = json_is_string(v) ? hy_seccomp_action_from_name(json_string_value(v)) : -1;

	if (!json_is_string(v))
		return bad(d, path, "must be a string");
	if (a < 0)
		return bad(d, path, "unknown action \"%s\"", json_string_value(v));
	*out = (enum hy_seccomp_action)a;
	return 0;
}

static int get_errno_ret(struct dec *d, json_t *v, const char *path, bool *has, unsigned *out)
{
	int64_t x;
	int r;

	if (!v)
		return 0;
	if ((r = get_int(d, v, path, 0, 0xffff, &x)))
		return r;
	*has = true;
	*out = (unsigned)x;
	return 0;
}

static int decode_sc_arg(struct dec *d, json_t *v, const char *ap, struct gc_seccomp_arg *a)
{
	static const char *const known[] = {"index", "value", "valueTwo", "op", NULL};
	char path[PATH_LEN + 16];
	json_t *f;
	int64_t x;
	int r, op;

	if ((r = get_object(d, v, ap, known)))
		return r;
	snprintf(path, sizeof(path), "%s.index", ap);
	if ((r = get_int(d, json_object_get(v, "index"), path, 0, 5, &x)))
		return r;
	a->index = (unsigned)x;
	snprintf(path, sizeof(path), "%s.value", ap);
	if ((r = get_u64(d, json_object_get(v, "value"), path, &a->value)))
		return r;
	snprintf(path, sizeof(path), "%s.valueTwo", ap);
	if ((f = json_object_get(v, "valueTwo")) && (r = get_u64(d, f, path, &a->value_two)))
		return r;
	snprintf(path, sizeof(path), "%s.op", ap);
	f = json_object_get(v, "op");
	if (!json_is_string(f))
		return bad(d, path, "must be a string");
	op = hy_seccomp_op_from_name(json_string_value(f));
	if (op < 0)
		return bad(d, path, "unknown operator \"%s\"", json_string_value(f));
	a->op = (enum hy_seccomp_op)op;
	return 0;
}

static int decode_sc_rule(struct dec *d, json_t *v, size_t idx, struct gc_seccomp_rule *rule)
{
	static const char *const known[] = {"names", "action", "errnoRet", "args", NULL};
	char rp[BASE_LEN], path[PATH_LEN];
	struct gc_seccomp_arg *args;
	json_t *f;
	size_t n = 0;
	int r;

	snprintf(rp, sizeof(rp), "seccomp.syscalls[%zu]", idx);
	if ((r = get_object(d, v, rp, known)))
		return r;
	snprintf(path, sizeof(path), "%s.names", rp);
	if ((r = get_strv(d, json_object_get(v, "names"), path, true, &rule->names,
			  &rule->nr_names)))
		return r;
	snprintf(path, sizeof(path), "%s.action", rp);
	if ((r = get_action(d, json_object_get(v, "action"), path, &rule->action)))
		return r;
	snprintf(path, sizeof(path), "%s.errnoRet", rp);
	if ((r = get_errno_ret(d, json_object_get(v, "errnoRet"), path, &rule->has_errno_ret,
			       &rule->errno_ret)))
		return r;
	if (!(f = json_object_get(v, "args")))
		return 0;
	snprintf(path, sizeof(path), "%s.args", rp);
	if ((r = check_array(d, f, path, &n)))
		return r;
	args = store_alloc(d, n, sizeof(*args));
	if (!args)
		return nomem(d);
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s.args[%zu]", rp, i);
		if ((r = decode_sc_arg(d, json_array_get(f, i), path, &args[i])))
			return r;
	}
	rule->args = args;
	rule->nr_args = n;
	return 0;
}

static int decode_seccomp(struct dec *d, json_t *v, struct guest_config *gc)
{
	static const char *const known[] = {"defaultAction", "defaultErrnoRet", "architectures",
					    "flags",	     "syscalls",	NULL};
	uint64_t flags = 0;
	struct gc_seccomp_rule *rules;
	struct gc_seccomp *sc;
	json_t *f;
	size_t n = 0;
	int r;

	if ((r = get_object(d, v, "seccomp", known)))
		return r;
	sc = store_alloc(d, 1, sizeof(*sc));
	if (!sc)
		return nomem(d);
	if ((r = get_action(d, json_object_get(v, "defaultAction"), "seccomp.defaultAction",
			    &sc->default_action)) ||
	    (r = get_errno_ret(d, json_object_get(v, "defaultErrnoRet"), "seccomp.defaultErrnoRet",
			       &sc->has_default_errno_ret, &sc->default_errno_ret)))
		return r;
	if ((f = json_object_get(v, "architectures"))) {
		if ((r = get_strv(d, f, "seccomp.architectures", false, &sc->architectures,
				  &sc->nr_architectures)))
			return r;
		for (size_t i = 0; i < sc->nr_architectures; i++)
			if (!hy_seccomp_arch_known(sc->architectures[i]))
				return bad(d, "seccomp.architectures",
					   "unknown architecture \"%s\"", sc->architectures[i]);
	}
	if ((f = json_object_get(v, "flags")) &&
	    (r = get_flags(d, f, "seccomp.flags", gc_seccomp_flag_from_name, &flags)))
		return r;
	sc->flags = (uint32_t)flags;
	if ((f = json_object_get(v, "syscalls"))) {
		if ((r = check_array(d, f, "seccomp.syscalls", &n)))
			return r;
		rules = store_alloc(d, n, sizeof(*rules));
		if (!rules)
			return nomem(d);
		for (size_t i = 0; i < n; i++)
			if ((r = decode_sc_rule(d, json_array_get(f, i), i, &rules[i])))
				return r;
		sc->syscalls = rules;
		sc->nr_syscalls = n;
	}
	gc->seccomp = sc;
	return 0;
}

/* --- personality --------------------------------------------------------------- */

static int decode_personality(struct dec *d, json_t *v, struct guest_config *gc)
{
	static const char *const known[] = {"domain", NULL};
	int64_t x;
	int r;

	if ((r = get_object(d, v, "personality", known)))
		return r;
	if ((r = get_named(d, json_object_get(v, "domain"), "personality.domain",
			   gc_personality_from_name, "domain", &x)))
		return r;
	gc->personality = (uint32_t)x;
	gc->has_personality = true;
	return 0;
}

/* --- the document ------------------------------------------------------------- */

/* doc, an object of the members `known`, at the version this build knows. */
static int decode_head(struct dec *d, json_t *doc, const char *what, const char *const *known)
{
	int64_t version;
	int r;

	if ((r = get_object(d, doc, what, known)))
		return r;
	if ((r = get_int(d, json_object_get(doc, "version"), "version", 0, INT64_MAX, &version)))
		return r;
	if (version != GUEST_CONFIG_VERSION)
		return bad(d, "version", "%lld, where this hyrun-init knows %d", (long long)version,
			   GUEST_CONFIG_VERSION);
	return 0;
}

static int decode_doc(struct dec *d, json_t *doc, struct guest_config *gc)
{
	static const char *const known[] = {
	    "version",	     "hostname",    "domainname",   "root",	 "mounts",  "maskedPaths",
	    "readonlyPaths", "devices",	    "pidNamespace", "resources", "process", "personality",
	    "network",	     "standbyNics", "sysctl",	    "seccomp",	 NULL,
	};
	json_t *v;
	int r;

	if ((r = decode_head(d, doc, "guest configuration", known)))
		return r;
	if ((v = json_object_get(doc, "hostname")) &&
	    (r = get_string(d, v, "hostname", true, &gc->hostname)))
		return r;
	if ((v = json_object_get(doc, "domainname")) &&
	    (r = get_string(d, v, "domainname", true, &gc->domainname)))
		return r;
	if ((v = json_object_get(doc, "root")) && (r = decode_root(d, v, gc)))
		return r;
	if ((v = json_object_get(doc, "mounts")) && (r = decode_mounts(d, v, gc)))
		return r;
	if ((v = json_object_get(doc, "maskedPaths")) &&
	    (r = decode_paths(d, v, "maskedPaths", &gc->masked_paths, &gc->nr_masked_paths)))
		return r;
	if ((v = json_object_get(doc, "readonlyPaths")) &&
	    (r = decode_paths(d, v, "readonlyPaths", &gc->readonly_paths, &gc->nr_readonly_paths)))
		return r;
	if ((v = json_object_get(doc, "devices")) && (r = decode_devices(d, v, gc)))
		return r;
	if ((v = json_object_get(doc, "pidNamespace")) &&
	    (r = get_bool(d, v, "pidNamespace", &gc->pid_namespace)))
		return r;
	if ((v = json_object_get(doc, "resources")) && (r = decode_resources(d, v, gc)))
		return r;
	if (!(v = json_object_get(doc, "process")))
		return bad(d, "process", "required");
	if ((r = decode_process(d, v, gc)))
		return r;
	if ((v = json_object_get(doc, "personality")) && (r = decode_personality(d, v, gc)))
		return r;
	if ((v = json_object_get(doc, "network")) && (r = decode_network(d, v, gc)))
		return r;
	if ((v = json_object_get(doc, "standbyNics")) && (r = decode_standby(d, v, gc)))
		return r;
	if ((v = json_object_get(doc, "sysctl")) && (r = decode_sysctl(d, v, gc)))
		return r;
	if ((v = json_object_get(doc, "seccomp")) && (r = decode_seccomp(d, v, gc)))
		return r;
	return 0;
}

/* The start request's configuration: the network only. */
static int decode_start_doc(struct dec *d, json_t *doc, struct guest_config *gc)
{
	static const char *const known[] = {"version", "network", NULL};
	json_t *v;
	int r;

	if ((r = decode_head(d, doc, "start configuration", known)))
		return r;
	if ((v = json_object_get(doc, "network")) && (r = decode_network(d, v, gc)))
		return r;
	return 0;
}

/* The text parsed, then handed to one of the document decoders above. */
static int decode_text(struct guest_config *gc, const char *text, size_t len, const char *what,
		       int (*decode)(struct dec *d, json_t *doc, struct guest_config *gc),
		       char *err, size_t errlen)
{
	struct dec d = {.err = err, .errlen = errlen};
	json_error_t jerr;
	int r;

	memset(gc, 0, sizeof(*gc));
	d.st = calloc(1, sizeof(*d.st));
	if (!d.st)
		return nomem(&d);
	gc->priv = d.st;
	d.st->doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!d.st->doc) {
		guest_config_free(gc);
		return hy_err(err, errlen, -EINVAL, "%s: invalid JSON at line %d, column %d: %s",
			      what, jerr.line, jerr.column, jerr.text);
	}
	r = decode(&d, d.st->doc, gc);
	if (r)
		guest_config_free(gc);
	return r;
}

int guest_config_decode(struct guest_config *gc, const char *text, size_t len, char *err,
			size_t errlen)
{
	return decode_text(gc, text, len, "guest configuration", decode_doc, err, errlen);
}

int guest_config_decode_start(struct guest_config *gc, const char *text, size_t len, char *err,
			      size_t errlen)
{
	return decode_text(gc, text, len, "start configuration", decode_start_doc, err, errlen);
}

void guest_config_free(struct guest_config *gc)
{
	struct gc_store *st = gc->priv;

	if (st) {
		for (size_t i = 0; i < st->nr; i++)
			free(st->blocks[i]);
		free(st->blocks);
		json_decref(st->doc);
		free(st);
	}
	memset(gc, 0, sizeof(*gc));
}

/* --- encoding ----------------------------------------------------------------- */

struct enc {
	char *err;
	size_t errlen;
	int r; /* the first error */
};

static int __attribute__((format(printf, 3, 4)))
enc_fail(struct enc *e, const char *path, const char *fmt, ...)
{
	va_list ap;

	if (e->r)
		return e->r;
	va_start(ap, fmt);
	e->r = member_err(e->err, e->errlen, path, fmt, ap);
	va_end(ap);
	return e->r;
}

/* Sets obj[key] = v (taking v); a NULL v is out of memory or an error already noted. */
static void put(struct enc *e, json_t *obj, const char *key, json_t *v)
{
	if (!v || json_object_set_new(obj, key, v) < 0) {
		if (!e->r)
			e->r = hy_err(e->err, e->errlen, -ENOMEM, "%s: out of memory", key);
	}
}

/* Appends v to a (taking v); NULL is out of memory or an error already noted. */
static void append(struct enc *e, json_t *a, json_t *v, const char *path)
{
	if (!v || json_array_append_new(a, v) < 0) {
		if (!e->r)
			e->r = hy_err(e->err, e->errlen, -ENOMEM, "%s: out of memory", path);
	}
}

static json_t *enc_string(struct enc *e, const char *path, const char *s)
{
	json_t *v;

	if (!s) {
		enc_fail(e, path, "missing");
		return NULL;
	}
	v = json_string(s);
	if (!v)
		enc_fail(e, path, "not valid UTF-8");
	return v;
}

static json_t *enc_strv(struct enc *e, const char *path, const char *const *v, size_t n)
{
	json_t *a = json_array();

	if (n && !v) {
		enc_fail(e, path, "missing");
		json_decref(a);
		return NULL;
	}
	for (size_t i = 0; a && i < n; i++) {
		json_t *s = enc_string(e, path, v[i]);

		if (!s || json_array_append_new(a, s) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *enc_u64(uint64_t x)
{
	return json_integer((json_int_t)x);
}

static json_t *enc_mount(struct enc *e, const struct gc_mount *m, size_t idx)
{
	char path[PATH_LEN];
	json_t *o = json_object();

#define MEMBER(name) (snprintf(path, sizeof(path), "mounts[%zu]." name, idx), path)
	if (!o)
		return NULL;
	put(e, o, "destination", enc_string(e, MEMBER("destination"), m->destination));
	if (m->type)
		put(e, o, "type", enc_string(e, MEMBER("type"), m->type));
	if (m->source)
		put(e, o, "source", enc_string(e, MEMBER("source"), m->source));
	if (m->nr_options)
		put(e, o, "options", enc_strv(e, MEMBER("options"), m->options, m->nr_options));
	if (m->share)
		put(e, o, "share", enc_string(e, MEMBER("share"), m->share));
	if (m->file)
		put(e, o, "file", enc_string(e, MEMBER("file"), m->file));
#undef MEMBER
	return o;
}

static json_t *enc_caps(struct enc *e, const struct guest_config *gc)
{
	json_t *o = json_object();

	for (unsigned s = 0; o && s < HY_CAP_NR_SETS; s++) {
		json_t *a = json_array();

		for (unsigned c = 0; a && c < 64; c++) {
			if (!(gc->caps[s] >> c & 1))
				continue;
			if (c > hy_cap_last()) {
				enc_fail(e, "process.capabilities", "no name for capability %u", c);
				break;
			}
			json_array_append_new(a, json_string(hy_cap_name(c)));
		}
		put(e, o, hy_cap_set_name((enum hy_cap_set)s), a);
	}
	return o;
}

static json_t *enc_rlimits(struct enc *e, const struct guest_config *gc)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < gc->nr_rlimits; i++) {
		const struct gc_rlimit *rl = &gc->rlimits[i];
		const char *name = hy_rlimit_name(rl->resource);

		if (!name) {
			enc_fail(e, "process.rlimits", "unknown resource %d", rl->resource);
			break;
		}
		json_array_append_new(a, json_pack("{s:s, s:o, s:o}", "type", name, "soft",
						   enc_u64(rl->soft), "hard", enc_u64(rl->hard)));
	}
	return a;
}

/* Flag bits as the array of their names. */
static json_t *enc_flags(struct enc *e, const char *path, uint64_t flags,
			 const char *(*name)(uint64_t bit))
{
	json_t *a = json_array();

	for (unsigned b = 0; a && b < 64; b++) {
		if (!(flags >> b & 1))
			continue;
		if (!name(1ull << b)) {
			enc_fail(e, path, "no name for flag 0x%llx", 1ull << b);
			break;
		}
		append(e, a, json_string(name(1ull << b)), path);
	}
	return a;
}

static const char *sched_flag_name(uint64_t bit)
{
	return gc_sched_flag_name(bit);
}

static const char *seccomp_flag_name(uint64_t bit)
{
	return bit > UINT32_MAX ? NULL : gc_seccomp_flag_name((uint32_t)bit);
}

/* A name from a table, or a failure naming the member. */
static json_t *enc_named(struct enc *e, const char *path, const char *name, uint64_t value)
{
	if (!name) {
		enc_fail(e, path, "no name for %llu", (unsigned long long)value);
		return NULL;
	}
	return json_string(name);
}

static json_t *enc_scheduler(struct enc *e, const struct gc_scheduler *s)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	put(e, o, "policy",
	    enc_named(e, "process.scheduler.policy", gc_sched_policy_name(s->policy), s->policy));
	if (s->nice)
		put(e, o, "nice", json_integer(s->nice));
	if (s->priority)
		put(e, o, "priority", json_integer(s->priority));
	if (s->flags)
		put(e, o, "flags",
		    enc_flags(e, "process.scheduler.flags", s->flags, sched_flag_name));
	if (s->runtime)
		put(e, o, "runtime", enc_u64(s->runtime));
	if (s->deadline)
		put(e, o, "deadline", enc_u64(s->deadline));
	if (s->period)
		put(e, o, "period", enc_u64(s->period));
	return o;
}

static json_t *enc_process(struct enc *e, const struct guest_config *gc)
{
	json_t *p = json_object();

	if (!p)
		return NULL;
	put(e, p, "args", enc_strv(e, "process.args", gc->args, gc->nr_args));
	if (gc->nr_env)
		put(e, p, "env", enc_strv(e, "process.env", gc->env, gc->nr_env));
	put(e, p, "cwd", enc_string(e, "process.cwd", gc->cwd));
	if (gc->terminal)
		put(e, p, "terminal", json_true());
	put(e, p, "uid", json_integer(gc->uid));
	put(e, p, "gid", json_integer(gc->gid));
	if (gc->nr_additional_gids) {
		json_t *a = json_array();

		for (size_t i = 0; a && i < gc->nr_additional_gids; i++)
			json_array_append_new(a, json_integer(gc->additional_gids[i]));
		put(e, p, "additionalGids", a);
	}
	if (gc->has_umask)
		put(e, p, "umask", json_integer(gc->umask));
	if (gc->has_caps)
		put(e, p, "capabilities", enc_caps(e, gc));
	if (gc->nr_rlimits)
		put(e, p, "rlimits", enc_rlimits(e, gc));
	if (gc->no_new_privileges)
		put(e, p, "noNewPrivileges", json_true());
	if (gc->has_oom_score_adj)
		put(e, p, "oomScoreAdj", json_integer(gc->oom_score_adj));
	if (gc->has_scheduler)
		put(e, p, "scheduler", enc_scheduler(e, &gc->scheduler));
	if (gc->has_io_priority)
		put(e, p, "ioPriority",
		    json_pack("{s:o, s:I}", "class",
			      enc_named(e, "process.ioPriority.class",
					gc_ioprio_class_name(gc->io_priority.ioclass),
					gc->io_priority.ioclass),
			      "priority", (json_int_t)gc->io_priority.priority));
	return p;
}

static json_t *enc_sc_rule(struct enc *e, const struct gc_seccomp_rule *rule, size_t idx)
{
	char path[PATH_LEN];
	json_t *o = json_object(), *args;

	if (!o)
		return NULL;
	snprintf(path, sizeof(path), "seccomp.syscalls[%zu].names", idx);
	put(e, o, "names", enc_strv(e, path, rule->names, rule->nr_names));
	put(e, o, "action", json_string(hy_seccomp_action_name(rule->action)));
	if (rule->has_errno_ret)
		put(e, o, "errnoRet", json_integer(rule->errno_ret));
	if (!rule->nr_args)
		return o;
	args = json_array();
	for (size_t i = 0; args && i < rule->nr_args; i++) {
		const struct gc_seccomp_arg *a = &rule->args[i];

		json_array_append_new(
		    args, json_pack("{s:I, s:o, s:o, s:s}", "index", (json_int_t)a->index, "value",
				    enc_u64(a->value), "valueTwo", enc_u64(a->value_two), "op",
				    hy_seccomp_op_name(a->op)));
	}
	put(e, o, "args", args);
	return o;
}

static json_t *enc_seccomp(struct enc *e, const struct gc_seccomp *sc)
{
	json_t *o = json_object(), *rules;

	if (!o)
		return NULL;
	put(e, o, "defaultAction", json_string(hy_seccomp_action_name(sc->default_action)));
	if (sc->has_default_errno_ret)
		put(e, o, "defaultErrnoRet", json_integer(sc->default_errno_ret));
	if (sc->nr_architectures)
		put(e, o, "architectures",
		    enc_strv(e, "seccomp.architectures", sc->architectures, sc->nr_architectures));
	if (sc->flags)
		put(e, o, "flags", enc_flags(e, "seccomp.flags", sc->flags, seccomp_flag_name));
	rules = json_array();
	for (size_t i = 0; rules && i < sc->nr_syscalls; i++)
		json_array_append_new(rules, enc_sc_rule(e, &sc->syscalls[i], i));
	put(e, o, "syscalls", rules);
	return o;
}

/* An address with (prefix >= 0) or without its prefix length. */
static json_t *enc_ip(struct enc *e, const char *path, int family, const uint8_t *addr,
		      long long prefix)
{
	char text[INET6_ADDRSTRLEN + 24];
	json_t *v;

	if (family != AF_INET && family != AF_INET6) {
		enc_fail(e, path, "family %d is neither AF_INET nor AF_INET6", family);
		return NULL;
	}
	inet_ntop(family, addr, text, INET6_ADDRSTRLEN);
	if (prefix >= 0)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "/%lld", prefix);
	v = json_string(text);
	if (!v)
		enc_fail(e, path, "out of memory");
	return v;
}

static json_t *enc_route(struct enc *e, const struct gc_route *rt, const char *rp)
{
	char path[PATH_LEN + 16];
	int family = rt->destination.family;
	json_t *o = json_object();

	if (!o)
		return NULL;
	snprintf(path, sizeof(path), "%s.destination", rp);
	put(e, o, "destination",
	    enc_ip(e, path, family, rt->destination.addr, rt->destination.prefix));
	snprintf(path, sizeof(path), "%s.gateway", rp);
	if (rt->has_gateway)
		put(e, o, "gateway", enc_ip(e, path, family, rt->gateway, -1));
	snprintf(path, sizeof(path), "%s.source", rp);
	if (rt->has_source)
		put(e, o, "source", enc_ip(e, path, family, rt->source, -1));
	if (rt->metric)
		put(e, o, "metric", json_integer(rt->metric));
	if (rt->mtu)
		put(e, o, "mtu", json_integer(rt->mtu));
	return o;
}

static json_t *enc_nic(struct enc *e, const struct gc_nic *nic, size_t idx)
{
	char np[BASE_LEN], path[PATH_LEN], mac[18];
	json_t *o = json_object(), *a;

	if (!o)
		return NULL;
	snprintf(np, sizeof(np), "network[%zu]", idx);
	snprintf(path, sizeof(path), "%s.name", np);
	put(e, o, "name", enc_string(e, path, nic->name));
	plan_format_mac(nic->mac, mac);
	put(e, o, "mac", json_string(mac));
	put(e, o, "mtu", json_integer(nic->mtu));
	snprintf(path, sizeof(path), "%s.addresses", np);
	if (nic->nr_addresses && !nic->addresses)
		enc_fail(e, path, "missing");
	else if (nic->nr_addresses) {
		a = json_array();
		for (size_t i = 0; a && i < nic->nr_addresses; i++) {
			const struct gc_ip *ip = &nic->addresses[i];

			snprintf(path, sizeof(path), "%s.addresses[%zu]", np, i);
			append(e, a, enc_ip(e, path, ip->family, ip->addr, ip->prefix), path);
		}
		put(e, o, "addresses", a);
	}
	snprintf(path, sizeof(path), "%s.routes", np);
	if (nic->nr_routes && !nic->routes)
		enc_fail(e, path, "missing");
	else if (nic->nr_routes) {
		a = json_array();
		for (size_t i = 0; a && i < nic->nr_routes; i++) {
			snprintf(path, sizeof(path), "%s.routes[%zu]", np, i);
			append(e, a, enc_route(e, &nic->routes[i], path), path);
		}
		put(e, o, "routes", a);
	}
	return o;
}

static json_t *enc_network(struct enc *e, const struct gc_nic *nics, size_t nr_nics)
{
	char path[PATH_LEN];
	json_t *a;

	if (!nics) {
		enc_fail(e, "network", "missing");
		return NULL;
	}
	a = json_array();
	for (size_t i = 0; a && i < nr_nics; i++) {
		snprintf(path, sizeof(path), "network[%zu]", i);
		append(e, a, enc_nic(e, &nics[i], i), path);
	}
	return a;
}

static json_t *enc_standby(struct enc *e, const struct guest_config *gc)
{
	char mac[18];
	json_t *a;

	if (!gc->standby) {
		enc_fail(e, "standbyNics", "missing");
		return NULL;
	}
	a = json_array();
	for (size_t i = 0; a && i < gc->nr_standby; i++) {
		plan_format_mac(gc->standby[i].mac, mac);
		append(e, a, json_string(mac), "standbyNics");
	}
	return a;
}

static json_t *enc_root(struct enc *e, const struct guest_config *gc)
{
	json_t *o = json_pack("{s:o, s:b}", "share", enc_string(e, "root.share", gc->root_share),
			      "readonly", gc->root_readonly);

	if (!o || gc->root_propagation == GC_PROP_DEFAULT)
		return o;
	if ((unsigned)gc->root_propagation >= ARRAY_SIZE(propagation_names))
		enc_fail(e, "root.propagation", "unknown value %d", (int)gc->root_propagation);
	else
		put(e, o, "propagation", json_string(propagation_names[gc->root_propagation]));
	return o;
}

static json_t *enc_devices(struct enc *e, const struct guest_config *gc)
{
	json_t *a = json_array();

	if (!gc->devices) {
		enc_fail(e, "devices", "missing");
		json_decref(a);
		return NULL;
	}
	for (size_t i = 0; a && i < gc->nr_devices; i++) {
		const struct gc_device *dev = &gc->devices[i];
		char path[PATH_LEN], type[2] = {dev->type, 0};
		json_t *o = json_object();

		snprintf(path, sizeof(path), "devices[%zu]", i);
		if (o) {
			char member[PATH_LEN + 8];

			snprintf(member, sizeof(member), "%s.path", path);
			put(e, o, "path", enc_string(e, member, dev->path));
			put(e, o, "type", json_string(type));
			if (dev->type != 'p') {
				put(e, o, "major", json_integer(dev->major));
				put(e, o, "minor", json_integer(dev->minor));
			}
			if (dev->has_mode)
				put(e, o, "fileMode", json_integer(dev->mode));
			if (dev->has_uid)
				put(e, o, "uid", json_integer(dev->uid));
			if (dev->has_gid)
				put(e, o, "gid", json_integer(dev->gid));
		}
		append(e, a, o, path);
	}
	return a;
}

static json_t *enc_device_rules(struct enc *e, const struct gc_resources *res)
{
	json_t *a = json_array();

	if (res->nr_devices && !res->devices) {
		enc_fail(e, "resources.devices", "missing");
		json_decref(a);
		return NULL;
	}
	for (size_t i = 0; a && i < res->nr_devices; i++) {
		const struct gc_device_rule *rule = &res->devices[i];
		char path[PATH_LEN], type[2] = {rule->type, 0}, access[4];
		size_t n = 0;

		if (rule->read)
			access[n++] = 'r';
		if (rule->write)
			access[n++] = 'w';
		if (rule->mknod)
			access[n++] = 'm';
		access[n] = '\0';
		snprintf(path, sizeof(path), "resources.devices[%zu]", i);
		append(e, a,
		       json_pack("{s:b, s:s, s:I, s:I, s:s}", "allow", rule->allow, "type", type,
				 "major", (json_int_t)rule->major, "minor", (json_int_t)rule->minor,
				 "access", access),
		       path);
	}
	return a;
}

static json_t *enc_resources(struct enc *e, const struct gc_resources *res)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	if (res->has_memory)
		put(e, o, "memory", json_integer(res->memory));
	if (res->has_memory_swap)
		put(e, o, "memorySwap", json_integer(res->memory_swap));
	if (res->has_pids)
		put(e, o, "pids", json_integer(res->pids));
	if (res->has_cpu_quota)
		put(e, o, "cpuQuota", json_integer(res->cpu_quota));
	if (res->has_cpu_period)
		put(e, o, "cpuPeriod", enc_u64(res->cpu_period));
	if (res->has_cpu_weight)
		put(e, o, "cpuWeight", enc_u64(res->cpu_weight));
	if (res->has_devices)
		put(e, o, "devices", enc_device_rules(e, res));
	if (res->nr_unified && !res->unified) {
		enc_fail(e, "resources.unified", "missing");
	} else if (res->nr_unified) {
		json_t *u = json_object();

		for (size_t i = 0; u && i < res->nr_unified; i++)
			put(e, u, res->unified[i].key ? res->unified[i].key : "",
			    enc_string(e, "resources.unified", res->unified[i].value));
		put(e, o, "unified", u);
	}
	return o;
}

static json_t *enc_doc(struct enc *e, const struct guest_config *gc)
{
	json_t *doc = json_object();

	if (!doc)
		return NULL;
	put(e, doc, "version", json_integer(GUEST_CONFIG_VERSION));
	if (gc->hostname)
		put(e, doc, "hostname", enc_string(e, "hostname", gc->hostname));
	if (gc->domainname)
		put(e, doc, "domainname", enc_string(e, "domainname", gc->domainname));
	if (gc->has_root)
		put(e, doc, "root", enc_root(e, gc));
	if (gc->nr_mounts) {
		json_t *a = json_array();

		for (size_t i = 0; a && i < gc->nr_mounts; i++)
			json_array_append_new(a, enc_mount(e, &gc->mounts[i], i));
		put(e, doc, "mounts", a);
	}
	if (gc->nr_masked_paths)
		put(e, doc, "maskedPaths",
		    enc_strv(e, "maskedPaths", gc->masked_paths, gc->nr_masked_paths));
	if (gc->nr_readonly_paths)
		put(e, doc, "readonlyPaths",
		    enc_strv(e, "readonlyPaths", gc->readonly_paths, gc->nr_readonly_paths));
	if (gc->nr_devices)
		put(e, doc, "devices", enc_devices(e, gc));
	if (gc->pid_namespace)
		put(e, doc, "pidNamespace", json_true());
	if (gc->has_resources)
		put(e, doc, "resources", enc_resources(e, &gc->resources));
	put(e, doc, "process", enc_process(e, gc));
	if (gc->has_personality)
		put(e, doc, "personality",
		    json_pack("{s:o}", "domain",
			      enc_named(e, "personality.domain",
					gc_personality_name(gc->personality), gc->personality)));
	if (gc->nr_nics)
		put(e, doc, "network", enc_network(e, gc->nics, gc->nr_nics));
	if (gc->nr_standby)
		put(e, doc, "standbyNics", enc_standby(e, gc));
	if (gc->nr_sysctl) {
		json_t *o = json_object();

		for (size_t i = 0; o && i < gc->nr_sysctl; i++)
			put(e, o, gc->sysctl[i].key ? gc->sysctl[i].key : "",
			    enc_string(e, "sysctl", gc->sysctl[i].value));
		put(e, doc, "sysctl", o);
	}
	if (gc->seccomp)
		put(e, doc, "seccomp", enc_seccomp(e, gc->seccomp));
	return doc;
}

/*
 * The text is decoded again before it is handed out, so that what hyrun-init
 * would refuse (a relative cwd, a bind mount without a share) fails here,
 * with the same message, in the runtime. `decode` is the decoder of the
 * document (doc, taken).
 */
static char *enc_finish(struct enc *e, json_t *doc,
			int (*decode)(struct guest_config *gc, const char *text, size_t len,
				      char *err, size_t errlen))
{
	struct guest_config check;
	char *text = NULL;

	if (!doc && !e->r)
		e->r = hy_err(e->err, e->errlen, -ENOMEM, "guest configuration: out of memory");
	if (!e->r) {
		text = json_dumps(doc, JSON_COMPACT);
		if (!text)
			e->r = hy_err(e->err, e->errlen, -ENOMEM,
				      "guest configuration: out of memory");
	}
	json_decref(doc);
	if (e->r)
		return NULL;
	if (decode(&check, text, strlen(text), e->err, e->errlen) < 0) {
		free(text);
		return NULL;
	}
	guest_config_free(&check);
	return text;
}

char *guest_config_encode(const struct guest_config *gc, char *err, size_t errlen)
{
	struct enc e = {.err = err, .errlen = errlen};

	return enc_finish(&e, enc_doc(&e, gc), guest_config_decode);
}

char *guest_config_encode_start(const struct gc_nic *nics, size_t nr_nics, char *err, size_t errlen)
{
	struct enc e = {.err = err, .errlen = errlen};
	json_t *doc = json_object();

	if (doc) {
		put(&e, doc, "version", json_integer(GUEST_CONFIG_VERSION));
		if (nr_nics)
			put(&e, doc, "network", enc_network(&e, nics, nr_nics));
	}
	return enc_finish(&e, doc, guest_config_decode_start);
}

/* --- the default --------------------------------------------------------------- */

#define OPTS(...)                                                                                  \
	(const char *const[]){__VA_ARGS__}, ARRAY_SIZE(((const char *const[]){__VA_ARGS__}))

/* `runc spec`'s mounts. cgroup2 and mqueue are made where the guest kernel has them. */
static const struct gc_mount default_mounts[] = {
    {.destination = "/proc", .type = "proc", .source = "proc"},
    {.destination = "/dev",
     .type = "tmpfs",
     .source = "tmpfs",
     .options = OPTS("nosuid", "strictatime", "mode=755", "size=65536k")},
    {.destination = "/dev/pts",
     .type = "devpts",
     .source = "devpts",
     .options = OPTS("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5")},
    {.destination = "/dev/shm",
     .type = "tmpfs",
     .source = "shm",
     .options = OPTS("nosuid", "noexec", "nodev", "mode=1777", "size=65536k")},
    {.destination = "/dev/mqueue",
     .type = "mqueue",
     .source = "mqueue",
     .options = OPTS("nosuid", "noexec", "nodev")},
    {.destination = "/sys",
     .type = "sysfs",
     .source = "sysfs",
     .options = OPTS("nosuid", "noexec", "nodev", "ro")},
    {.destination = "/sys/fs/cgroup",
     .type = "cgroup2",
     .source = "cgroup",
     .options = OPTS("nosuid", "noexec", "nodev", "relatime", "ro")},
};

static const char *const default_env[] = {
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME=/root",
    NULL,
};

void guest_config_default(struct guest_config *gc, const char *const *args, size_t nr_args)
{
	memset(gc, 0, sizeof(*gc));
	gc->has_root = true;
	gc->root_share = HY_SHARE_ROOTFS;
	gc->mounts = default_mounts;
	gc->nr_mounts = ARRAY_SIZE(default_mounts);
	gc->args = args;
	gc->nr_args = nr_args;
	gc->env = default_env;
	gc->nr_env = ARRAY_SIZE(default_env) - 1;
	gc->cwd = "/";
}
