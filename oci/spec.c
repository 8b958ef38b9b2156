/* spec.c: OCI runtime-spec config.json -> struct oci_spec, with errors that name the member.
 *
 * One file on purpose, though it is long: it is one recursive-descent reader
 * of one document, its sections (root, process, mounts, seccomp, sysctl)
 * share the typed getters and the error context at the top, and each is
 * short; split by section, every file would need the same getters exported.
 * The runtime-spec's names (capabilities, rlimits, seccomp) live in
 * common/names.c; linux.* for the host side is oci/linux.c.
 */
#include "oci/spec.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/guest_config.h"
#include "common/names.h"
#include "common/strv.h"

#define SPEC_FILE_MAX (16u << 20)

/* --- errors ----------------------------------------------------------------- */

struct ctx {
	char *err;
	size_t errlen;
	unsigned flags;
};

/* --- typed getters -------------------------------------------------------- */

static int get_string(struct ctx *c, json_t *v, const char *path, const char **out)
{
	if (!json_is_string(v))
		return hy_err(c->err, c->errlen, -EINVAL, "%s: must be a string", path);
	*out = json_string_value(v);
	return 0;
}

static int get_bool(struct ctx *c, json_t *v, const char *path, bool *out)
{
	if (!json_is_boolean(v))
		return hy_err(c->err, c->errlen, -EINVAL, "%s: must be true or false", path);
	*out = json_is_true(v);
	return 0;
}

/*
 * An unsigned 64-bit value. Integers beyond INT64_MAX, which jansson cannot
 * hold, arrive as their two's-complement negative (see widen_big_integers()),
 * so only 64-bit fields take a negative number: -1 is UINT64_MAX.
 */
static int get_u64(struct ctx *c, json_t *v, const char *path, uint64_t max, uint64_t *out)
{
	if (json_is_integer(v) && (json_integer_value(v) >= 0 || max == UINT64_MAX) &&
	    (uint64_t)json_integer_value(v) <= max) {
		*out = (uint64_t)json_integer_value(v);
		return 0;
	}
	return hy_err(c->err, c->errlen, -EINVAL, "%s: must be an integer from 0 to %llu", path,
		      (unsigned long long)max);
}

static int get_int(struct ctx *c, json_t *v, const char *path, int64_t min, int64_t max,
		   int64_t *out)
{
	if (json_is_integer(v) && json_integer_value(v) >= min && json_integer_value(v) <= max) {
		*out = json_integer_value(v);
		return 0;
	}
	return hy_err(c->err, c->errlen, -EINVAL, "%s: must be an integer from %lld to %lld", path,
		      (long long)min, (long long)max);
}

static int get_u32(struct ctx *c, json_t *v, const char *path, uint32_t *out)
{
	uint64_t x;
	int r = get_u64(c, v, path, UINT32_MAX, &x);

	if (!r)
		*out = (uint32_t)x;
	return r;
}

/* An array of strings as a NULL-terminated vector of borrowed pointers. */
static int get_strv(struct ctx *c, json_t *v, const char *path, bool non_empty, const char ***out,
		    size_t *nr)
{
	const char *what =
	    non_empty ? "must be a non-empty array of strings" : "must be an array of strings";
	const char **vec;
	size_t i, n;

	if (!json_is_array(v))
		return hy_err(c->err, c->errlen, -EINVAL, "%s: %s", path, what);
	n = json_array_size(v);
	if (non_empty && n == 0)
		return hy_err(c->err, c->errlen, -EINVAL, "%s: %s", path, what);
	for (i = 0; i < n; i++)
		if (!json_is_string(json_array_get(v, i)))
			return hy_err(c->err, c->errlen, -EINVAL,
				      "%s: %s (element %zu is not a string)", path, what, i);
	vec = calloc(n + 1, sizeof(*vec));
	if (!vec)
		return hy_err(c->err, c->errlen, -ENOMEM, "out of memory");
	for (i = 0; i < n; i++)
		vec[i] = json_string_value(json_array_get(v, i));
	free(*out);
	*out = vec;
	*nr = n;
	return 0;
}

static int get_object(struct ctx *c, json_t *v, const char *path)
{
	return json_is_object(v)
		   ? 0
		   : hy_err(c->err, c->errlen, -EINVAL, "%s: must be an object", path);
}

static bool absolute(const char *p)
{
	return p[0] == '/';
}

/* --- sections -------------------------------------------------------------- */

static int parse_root(struct ctx *c, struct oci_spec *s, json_t *root)
{
	json_t *v;
	int r;

	if ((r = get_object(c, root, "root")))
		return r;
	v = json_object_get(root, "path");
	if (!v)
		return hy_err(c->err, c->errlen, -EINVAL, "root.path: required");
	if ((r = get_string(c, v, "root.path", &s->root_path)))
		return r;
	if (!s->root_path[0])
		return hy_err(c->err, c->errlen, -EINVAL, "root.path: must not be empty");
	if ((v = json_object_get(root, "readonly")) &&
	    (r = get_bool(c, v, "root.readonly", &s->root_readonly)))
		return r;
	return 0;
}

static int parse_user(struct ctx *c, struct oci_spec *s, json_t *user)
{
	json_t *v;
	size_t i;
	char path[64];
	int r;

	if ((r = get_object(c, user, "process.user")))
		return r;
	if (!(v = json_object_get(user, "uid")))
		return hy_err(c->err, c->errlen, -EINVAL, "process.user.uid: required");
	if ((r = get_u32(c, v, "process.user.uid", &s->uid)))
		return r;
	if (!(v = json_object_get(user, "gid")))
		return hy_err(c->err, c->errlen, -EINVAL, "process.user.gid: required");
	if ((r = get_u32(c, v, "process.user.gid", &s->gid)))
		return r;
	if ((v = json_object_get(user, "umask"))) {
		uint64_t m;

		if ((r = get_u64(c, v, "process.user.umask", 07777, &m)))
			return r;
		s->has_umask = true;
		s->umask = (uint32_t)m;
	}
	if ((v = json_object_get(user, "additionalGids"))) {
		if (!json_is_array(v))
			return hy_err(c->err, c->errlen, -EINVAL,
				      "process.user.additionalGids: must be an array of integers");
		s->nr_additional_gids = json_array_size(v);
		s->additional_gids = calloc(s->nr_additional_gids + 1, sizeof(uint32_t));
		if (!s->additional_gids)
			return hy_err(c->err, c->errlen, -ENOMEM, "out of memory");
		for (i = 0; i < s->nr_additional_gids; i++) {
			snprintf(path, sizeof(path), "process.user.additionalGids[%zu]", i);
			if ((r = get_u32(c, json_array_get(v, i), path, &s->additional_gids[i])))
				return r;
		}
	}
	return 0;
}

static int parse_caps(struct ctx *c, struct oci_spec *s, json_t *caps)
{
	char path[96];
	int r;

	if ((r = get_object(c, caps, "process.capabilities")))
		return r;
	s->has_caps = true;
	for (unsigned set = 0; set < HY_CAP_NR_SETS; set++) {
		json_t *v = json_object_get(caps, hy_cap_set_name(set));
		size_t i;

		/* A set that is absent is empty, as with runc and crun. */
		if (!v)
			continue;
		snprintf(path, sizeof(path), "process.capabilities.%s", hy_cap_set_name(set));
		if (!json_is_array(v))
			return hy_err(c->err, c->errlen, -EINVAL, "%s: must be an array of strings",
				      path);
		for (i = 0; i < json_array_size(v); i++) {
			json_t *e = json_array_get(v, i);
			int cap;

			snprintf(path, sizeof(path), "process.capabilities.%s[%zu]",
				 hy_cap_set_name(set), i);
			if (!json_is_string(e))
				return hy_err(c->err, c->errlen, -EINVAL, "%s: must be a string",
					      path);
			cap = hy_cap_from_name(json_string_value(e));
			if (cap < 0)
				return hy_err(c->err, c->errlen, -EINVAL,
					      "%s: unknown capability \"%s\"", path,
					      json_string_value(e));
			s->caps[set] |= 1ULL << cap;
		}
	}
	return 0;
}

static int parse_rlimits(struct ctx *c, struct oci_spec *s, json_t *arr)
{
	char path[64];
	int r;

	if (!json_is_array(arr))
		return hy_err(c->err, c->errlen, -EINVAL,
			      "process.rlimits: must be an array of objects");
	s->nr_rlimits = json_array_size(arr);
	s->rlimits = calloc(s->nr_rlimits + 1, sizeof(*s->rlimits));
	if (!s->rlimits)
		return hy_err(c->err, c->errlen, -ENOMEM, "out of memory");
	for (size_t i = 0; i < s->nr_rlimits; i++) {
		json_t *e = json_array_get(arr, i), *v;
		struct oci_rlimit *rl = &s->rlimits[i];

		snprintf(path, sizeof(path), "process.rlimits[%zu]", i);
		if ((r = get_object(c, e, path)))
			return r;
		snprintf(path, sizeof(path), "process.rlimits[%zu].type", i);
		if (!(v = json_object_get(e, "type")))
			return hy_err(c->err, c->errlen, -EINVAL, "%s: required", path);
		if ((r = get_string(c, v, path, &rl->type)))
			return r;
		rl->resource = hy_rlimit_from_name(rl->type);
		if (rl->resource < 0)
			return hy_err(c->err, c->errlen, -EINVAL, "%s: unknown resource \"%s\"",
				      path, rl->type);
		for (unsigned j = 0; j < i; j++)
			if (s->rlimits[j].resource == rl->resource)
				return hy_err(c->err, c->errlen, -EINVAL, "%s: \"%s\" given twice",
					      path, rl->type);
		snprintf(path, sizeof(path), "process.rlimits[%zu].hard", i);
		if (!(v = json_object_get(e, "hard")))
			return hy_err(c->err, c->errlen, -EINVAL, "%s: required", path);
		if ((r = get_u64(c, v, path, UINT64_MAX, &rl->hard)))
			return r;
		snprintf(path, sizeof(path), "process.rlimits[%zu].soft", i);
		if (!(v = json_object_get(e, "soft")))
			return hy_err(c->err, c->errlen, -EINVAL, "%s: required", path);
		if ((r = get_u64(c, v, path, UINT64_MAX, &rl->soft)))
			return r;
		if (rl->soft > rl->hard)
			return hy_err(c->err, c->errlen, -EINVAL, "%s: larger than the hard limit",
				      path);
	}
	return 0;
}

/* A required string member of obj named by a table of guest_config.h (lookup):
 * its number. `what` and `choices` word the error. */
static int get_named(struct ctx *c, json_t *obj, const char *key, const char *path,
		     int64_t (*lookup)(const char *), const char *what, const char *choices,
		     int64_t *out)
{
	json_t *v = json_object_get(obj, key);
	const char *name = NULL;
	int r;

	if (!v)
		return hy_err(c->err, c->errlen, -EINVAL, "%s: required", path);
	if ((r = get_string(c, v, path, &name)))
		return r;
	*out = lookup(name);
	if (*out < 0)
		return hy_err(c->err, c->errlen, -EINVAL, "%s: unknown %s \"%s\" (%s)", path, what,
			      name, choices);
	return 0;
}

/* An array of flag names of a table (lookup), as the OR of their bits. */
static int get_flags(struct ctx *c, json_t *v, const char *path, int64_t (*lookup)(const char *),
		     uint64_t *out)
{
	char epath[96];
	size_t i;
	json_t *f;

	if (!json_is_array(v))
		return hy_err(c->err, c->errlen, -EINVAL, "%s: must be an array of strings", path);
	json_array_foreach(v, i, f)
	{
		int64_t bit = json_is_string(f) ? lookup(json_string_value(f)) : -1;

		snprintf(epath, sizeof(epath), "%s[%zu]", path, i);
		if (!json_is_string(f))
			return hy_err(c->err, c->errlen, -EINVAL, "%s: must be a string", epath);
		if (bit < 0)
			return hy_err(c->err, c->errlen, -EINVAL, "%s: unknown flag \"%s\"", epath,
				      json_string_value(f));
		*out |= (uint64_t)bit;
	}
	return 0;
}

/* process.scheduler, checked as sched_setattr(2) checks it, so that a value the
 * guest's kernel would refuse stops create before a VM starts. */
static int parse_scheduler(struct ctx *c, struct oci_spec *s, json_t *obj)
{
	static const char *const times[] = {"runtime", "deadline", "period"};
	struct oci_scheduler *sc = &s->scheduler;
	struct gc_scheduler check;
	char path[64];
	int64_t x;
	json_t *v;
	int r;

	if ((r = get_object(c, obj, "process.scheduler")))
		return r;
	v = json_object_get(obj, "policy");
	if (json_is_string(v) && strcmp(json_string_value(v), "SCHED_ISO") == 0)
		return hy_err(
		    c->err, c->errlen, -EINVAL,
		    "process.scheduler.policy: SCHED_ISO is not supported: Linux reserves "
		    "the policy but never implemented it");
	if ((r = get_named(c, obj, "policy", "process.scheduler.policy", gc_sched_policy_from_name,
			   "policy",
			   "SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_IDLE or "
			   "SCHED_DEADLINE",
			   &x)))
		return r;
	sc->policy = (uint32_t)x;
	if ((v = json_object_get(obj, "nice"))) {
		if ((r = get_int(c, v, "process.scheduler.nice", -20, 19, &x)))
			return r;
		sc->nice = (int32_t)x;
	}
	if ((v = json_object_get(obj, "priority"))) {
		if ((r = get_int(c, v, "process.scheduler.priority", 0, 99, &x)))
			return r;
		sc->priority = (uint32_t)x;
	}
	if ((v = json_object_get(obj, "flags")) &&
	    (r = get_flags(c, v, "process.scheduler.flags", gc_sched_flag_from_name, &sc->flags)))
		return r;
	for (size_t i = 0; i < sizeof(times) / sizeof(*times); i++) {
		uint64_t *out = i == 0 ? &sc->runtime : i == 1 ? &sc->deadline : &sc->period;

		snprintf(path, sizeof(path), "process.scheduler.%s", times[i]);
		if ((v = json_object_get(obj, times[i])) &&
		    (r = get_u64(c, v, path, INT64_MAX, out)))
			return r;
	}
	check = (struct gc_scheduler){sc->policy,  sc->nice,	 sc->priority, sc->flags,
				      sc->runtime, sc->deadline, sc->period};
	if ((r = gc_scheduler_check(&check, "process.scheduler", c->err, c->errlen)))
		return r;
	s->has_scheduler = true;
	return 0;
}

static int parse_io_priority(struct ctx *c, struct oci_spec *s, json_t *obj)
{
	json_t *v;
	int64_t x;
	int r;

	if ((r = get_object(c, obj, "process.ioPriority")))
		return r;
	if ((r = get_named(c, obj, "class", "process.ioPriority.class", gc_ioprio_class_from_name,
			   "class", "IOPRIO_CLASS_RT, IOPRIO_CLASS_BE or IOPRIO_CLASS_IDLE", &x)))
		return r;
	s->io_priority.ioclass = (uint32_t)x;
	if (!(v = json_object_get(obj, "priority")))
		return hy_err(c->err, c->errlen, -EINVAL, "process.ioPriority.priority: required");
	if ((r = get_int(c, v, "process.ioPriority.priority", 0, 7, &x)))
		return r;
	s->io_priority.priority = (uint32_t)x;
	s->has_io_priority = true;
	return 0;
}

static int parse_process(struct ctx *c, struct oci_spec *s, json_t *p)
{
	json_t *v;
	int r;

	if ((r = get_object(c, p, "process")))
		return r;
	s->has_process = true;
	if ((v = json_object_get(p, "terminal")) &&
	    (r = get_bool(c, v, "process.terminal", &s->terminal)))
		return r;
	if ((v = json_object_get(p, "user")) && (r = parse_user(c, s, v)))
		return r;
	v = json_object_get(p, "args");
	if (v) {
		if ((r = get_strv(c, v, "process.args", true, &s->args, &s->nr_args)))
			return r;
	} else if (!(c->flags & OCI_SPEC_ARGS_OPTIONAL)) {
		return hy_err(c->err, c->errlen, -EINVAL,
			      "process.args: required (a non-empty array of strings)");
	}
	if ((v = json_object_get(p, "env"))) {
		if ((r = get_strv(c, v, "process.env", false, &s->env, &s->nr_env)))
			return r;
		for (size_t i = 0; i < s->nr_env; i++)
			if (!strchr(s->env[i], '=') || s->env[i][0] == '=')
				return hy_err(c->err, c->errlen, -EINVAL,
					      "process.env: element %zu (\"%s\") is not NAME=VALUE",
					      i, s->env[i]);
	}
	s->cwd = "/";
	if ((v = json_object_get(p, "cwd"))) {
		if ((r = get_string(c, v, "process.cwd", &s->cwd)))
			return r;
		if (!absolute(s->cwd))
			return hy_err(c->err, c->errlen, -EINVAL,
				      "process.cwd: must be an absolute path");
	}
	if ((v = json_object_get(p, "capabilities")) && (r = parse_caps(c, s, v)))
		return r;
	if ((v = json_object_get(p, "rlimits")) && (r = parse_rlimits(c, s, v)))
		return r;
	if ((v = json_object_get(p, "noNewPrivileges")) &&
	    (r = get_bool(c, v, "process.noNewPrivileges", &s->no_new_privileges)))
		return r;
	if ((v = json_object_get(p, "oomScoreAdj"))) {
		if (!json_is_integer(v) || json_integer_value(v) < -1000 ||
		    json_integer_value(v) > 1000)
			return hy_err(c->err, c->errlen, -EINVAL,
				      "process.oomScoreAdj: must be an integer from -1000 to 1000");
		s->has_oom_score_adj = true;
		s->oom_score_adj = (int)json_integer_value(v);
	}
	if ((v = json_object_get(p, "scheduler")) && (r = parse_scheduler(c, s, v)))
		return r;
	if ((v = json_object_get(p, "ioPriority")) && (r = parse_io_priority(c, s, v)))
		return r;
	return 0;
}

static int parse_mounts(struct ctx *c, struct oci_spec *s, json_t *arr)
{
	char path[96];
	int r;

	if (!json_is_array(arr))
		return hy_err(c->err, c->errlen, -EINVAL, "mounts: must be an array of objects");
	s->nr_mounts = json_array_size(arr);
	s->mounts = calloc(s->nr_mounts + 1, sizeof(*s->mounts));
	if (!s->mounts)
		return hy_err(c->err, c->errlen, -ENOMEM, "out of memory");
	for (size_t i = 0; i < s->nr_mounts; i++) {
		struct oci_mount *m = &s->mounts[i];
		json_t *e = json_array_get(arr, i), *v;

		snprintf(path, sizeof(path), "mounts[%zu]", i);
		if ((r = get_object(c, e, path)))
			return r;
		m->json = e;
		snprintf(path, sizeof(path), "mounts[%zu].destination", i);
		if (!(v = json_object_get(e, "destination")))
			return hy_err(c->err, c->errlen, -EINVAL, "%s: required", path);
		if ((r = get_string(c, v, path, &m->destination)))
			return r;
		if (!absolute(m->destination))
			return hy_err(c->err, c->errlen, -EINVAL,
				      "%s: must be an absolute path (\"%s\")", path,
				      m->destination);
		snprintf(path, sizeof(path), "mounts[%zu].type", i);
		if ((v = json_object_get(e, "type")) && (r = get_string(c, v, path, &m->type)))
			return r;
		snprintf(path, sizeof(path), "mounts[%zu].source", i);
		if ((v = json_object_get(e, "source")) && (r = get_string(c, v, path, &m->source)))
			return r;
		snprintf(path, sizeof(path), "mounts[%zu].options", i);
		if ((v = json_object_get(e, "options")) &&
		    (r = get_strv(c, v, path, false, &m->options, &m->nr_options)))
			return r;
		/* An idmapped mount would shift the host's owners as the guest
		 * sees them through virtio-fs, which has no such mapping: refused
		 * rather than given unshifted (hyrun features says idmap is off). */
		if (json_object_get(e, "uidMappings") || json_object_get(e, "gidMappings"))
			return hy_err(
			    c->err, c->errlen, -EINVAL,
			    "mounts[%zu]: uidMappings and gidMappings (an idmapped "
			    "mount) are not supported: a share is mounted with the host's "
			    "owners",
			    i);
		if (hy_strv_contains(m->options, m->nr_options, "idmap") ||
		    hy_strv_contains(m->options, m->nr_options, "ridmap"))
			return hy_err(c->err, c->errlen, -EINVAL,
				      "mounts[%zu].options: \"%s\" (an idmapped mount) is not "
				      "supported: a share is mounted with the host's owners",
				      i,
				      hy_strv_contains(m->options, m->nr_options, "idmap")
					  ? "idmap"
					  : "ridmap");
		m->bind = (m->type && strcmp(m->type, "bind") == 0) ||
			  hy_strv_contains(m->options, m->nr_options, "bind") ||
			  hy_strv_contains(m->options, m->nr_options, "rbind");
		if (m->bind && !m->source) {
			snprintf(path, sizeof(path), "mounts[%zu].source", i);
			return hy_err(c->err, c->errlen, -EINVAL, "%s: required for a bind mount",
				      path);
		}
		if (!m->bind && !m->type) {
			snprintf(path, sizeof(path), "mounts[%zu].type", i);
			return hy_err(c->err, c->errlen, -EINVAL,
				      "%s: required unless the mount is a bind mount", path);
		}
	}
	return 0;
}

/* A name's number (from names.h's from_name), or an error naming the member. */
static int lookup(struct ctx *c, const char *path, const char *name, int (*from_name)(const char *),
		  const char *what)
{
	int r = from_name(name);

	if (r < 0)
		return hy_err(c->err, c->errlen, -EINVAL, "%s: unknown %s \"%s\"", path, what,
			      name);
	return r;
}

static int parse_action(struct ctx *c, json_t *v, const char *path, enum hy_seccomp_action *out)
{
	const char *name = NULL;
	int r = get_string(c, v, path, &name);

	if (r)
		return r;
	r = lookup(c, path, name, hy_seccomp_action_from_name, "seccomp action");
	if (r < 0)
		return r;
	*out = (enum hy_seccomp_action)r;
	return 0;
}

static int parse_errno_ret(struct ctx *c, json_t *obj, const char *key, const char *path, bool *has,
			   unsigned *out)
{
	json_t *v = json_object_get(obj, key);
	uint64_t x;
	int r;

	if (!v)
		return 0;
	/* errno values fit in the 16 bits SECCOMP_RET_DATA leaves for them. */
	if ((r = get_u64(c, v, path, 0xffff, &x)))
		return r;
	*has = true;
	*out = (unsigned)x;
	return 0;
}

static int parse_seccomp_args(struct ctx *c, struct oci_seccomp_rule *rule, json_t *arr, size_t si)
{
	char path[96];
	int r;

	snprintf(path, sizeof(path), "linux.seccomp.syscalls[%zu].args", si);
	if (!json_is_array(arr))
		return hy_err(c->err, c->errlen, -EINVAL, "%s: must be an array of objects", path);
	rule->nr_args = json_array_size(arr);
	rule->args = calloc(rule->nr_args + 1, sizeof(*rule->args));
	if (!rule->args)
		return hy_err(c->err, c->errlen, -ENOMEM, "out of memory");
	for (size_t i = 0; i < rule->nr_args; i++) {
		struct oci_seccomp_arg *a = &rule->args[i];
		json_t *e = json_array_get(arr, i), *v;
		const char *op = NULL;
		uint64_t idx;

		snprintf(path, sizeof(path), "linux.seccomp.syscalls[%zu].args[%zu]", si, i);
		if ((r = get_object(c, e, path)))
			return r;
		snprintf(path, sizeof(path), "linux.seccomp.syscalls[%zu].args[%zu].index", si, i);
		if (!(v = json_object_get(e, "index")))
			return hy_err(c->err, c->errlen, -EINVAL, "%s: required", path);
		if ((r = get_u64(c, v, path, 5, &idx)))
			return r;
		a->index = (unsigned)idx;
		snprintf(path, sizeof(path), "linux.seccomp.syscalls[%zu].args[%zu].value", si, i);
		if (!(v = json_object_get(e, "value")))
			return hy_err(c->err, c->errlen, -EINVAL, "%s: required", path);
		if ((r = get_u64(c, v, path, UINT64_MAX, &a->value)))
			return r;
		snprintf(path, sizeof(path), "linux.seccomp.syscalls[%zu].args[%zu].valueTwo", si,
			 i);
		if ((v = json_object_get(e, "valueTwo")) &&
		    (r = get_u64(c, v, path, UINT64_MAX, &a->value_two)))
			return r;
		snprintf(path, sizeof(path), "linux.seccomp.syscalls[%zu].args[%zu].op", si, i);
		if (!(v = json_object_get(e, "op")))
			return hy_err(c->err, c->errlen, -EINVAL, "%s: required", path);
		if ((r = get_string(c, v, path, &op)))
			return r;
		r = lookup(c, path, op, hy_seccomp_op_from_name, "operator");
		if (r < 0)
			return r;
		a->op = (enum hy_seccomp_op)r;
	}
	return 0;
}

static int parse_seccomp(struct ctx *c, struct oci_spec *s, json_t *obj)
{
	struct oci_seccomp *sc;
	char path[96];
	json_t *v;
	int r;

	if ((r = get_object(c, obj, "linux.seccomp")))
		return r;
	/* The filter is loaded by the guest's kernel, whose notifications have
	 * no way out of the VM to an agent's socket on the host. */
	if ((v = json_object_get(obj, "listenerPath"))) {
		const char *listener = NULL;

		if ((r = get_string(c, v, "linux.seccomp.listenerPath", &listener)))
			return r;
		if (listener[0])
			return hy_err(c->err, c->errlen, -EINVAL,
				      "linux.seccomp.listenerPath: not supported: the filter runs "
				      "in the VM's kernel, whose notifications cannot reach a "
				      "listener on the host (\"%s\")",
				      listener);
	}
	sc = s->seccomp = calloc(1, sizeof(*sc));
	if (!sc)
		return hy_err(c->err, c->errlen, -ENOMEM, "out of memory");
	if (!(v = json_object_get(obj, "defaultAction")))
		return hy_err(c->err, c->errlen, -EINVAL, "linux.seccomp.defaultAction: required");
	if ((r = parse_action(c, v, "linux.seccomp.defaultAction", &sc->default_action)))
		return r;
	if ((r = parse_errno_ret(c, obj, "defaultErrnoRet", "linux.seccomp.defaultErrnoRet",
				 &sc->has_default_errno_ret, &sc->default_errno_ret)))
		return r;
	if ((v = json_object_get(obj, "architectures"))) {
		if ((r = get_strv(c, v, "linux.seccomp.architectures", false, &sc->architectures,
				  &sc->nr_architectures)))
			return r;
		for (size_t i = 0; i < sc->nr_architectures; i++) {
			snprintf(path, sizeof(path), "linux.seccomp.architectures[%zu]", i);
			if (!hy_seccomp_arch_known(sc->architectures[i]))
				return hy_err(c->err, c->errlen, -EINVAL,
					      "%s: unknown architecture \"%s\"", path,
					      sc->architectures[i]);
		}
	}
	if ((v = json_object_get(obj, "flags"))) {
		uint64_t flags = 0;

		if ((r = get_flags(c, v, "linux.seccomp.flags", gc_seccomp_flag_from_name, &flags)))
			return r;
		sc->flags = (uint32_t)flags;
	}
	if (!(v = json_object_get(obj, "syscalls")))
		return 0;
	if (!json_is_array(v))
		return hy_err(c->err, c->errlen, -EINVAL,
			      "linux.seccomp.syscalls: must be an array of objects");
	sc->nr_syscalls = json_array_size(v);
	sc->syscalls = calloc(sc->nr_syscalls + 1, sizeof(*sc->syscalls));
	if (!sc->syscalls)
		return hy_err(c->err, c->errlen, -ENOMEM, "out of memory");
	for (size_t i = 0; i < sc->nr_syscalls; i++) {
		struct oci_seccomp_rule *rule = &sc->syscalls[i];
		json_t *e = json_array_get(v, i), *m;

		snprintf(path, sizeof(path), "linux.seccomp.syscalls[%zu]", i);
		if ((r = get_object(c, e, path)))
			return r;
		snprintf(path, sizeof(path), "linux.seccomp.syscalls[%zu].names", i);
		if (!(m = json_object_get(e, "names")))
			return hy_err(c->err, c->errlen, -EINVAL, "%s: required", path);
		if ((r = get_strv(c, m, path, true, &rule->names, &rule->nr_names)))
			return r;
		snprintf(path, sizeof(path), "linux.seccomp.syscalls[%zu].action", i);
		if (!(m = json_object_get(e, "action")))
			return hy_err(c->err, c->errlen, -EINVAL, "%s: required", path);
		if ((r = parse_action(c, m, path, &rule->action)))
			return r;
		snprintf(path, sizeof(path), "linux.seccomp.syscalls[%zu].errnoRet", i);
		if ((r = parse_errno_ret(c, e, "errnoRet", path, &rule->has_errno_ret,
					 &rule->errno_ret)))
			return r;
		if ((m = json_object_get(e, "args")) && (r = parse_seccomp_args(c, rule, m, i)))
			return r;
	}
	return 0;
}

/* An object whose members are all strings, as key/value pairs. */
static int parse_string_map(struct ctx *c, json_t *obj, const char *path, void **out, size_t *nr)
{
	struct oci_sysctl *kv; /* struct oci_annotation has the same layout */
	const char *key;
	char epath[160];
	json_t *v;
	size_t i = 0;

	if (!json_is_object(obj))
		return hy_err(c->err, c->errlen, -EINVAL,
			      "%s: must be an object with string values", path);
	kv = calloc(json_object_size(obj) + 1, sizeof(*kv));
	if (!kv)
		return hy_err(c->err, c->errlen, -ENOMEM, "out of memory");
	*out = kv;
	json_object_foreach(obj, key, v)
	{
		if (!json_is_string(v)) {
			snprintf(epath, sizeof(epath), "%s.%s", path, key);
			return hy_err(c->err, c->errlen, -EINVAL, "%s: must be a string", epath);
		}
		kv[i].key = key;
		kv[i].value = json_string_value(v);
		i++;
	}
	*nr = i;
	return 0;
}

static const char *const propagation_names[] = {
    [OCI_PROP_SHARED] = "shared",     [OCI_PROP_SLAVE] = "slave",
    [OCI_PROP_PRIVATE] = "private",   [OCI_PROP_UNBINDABLE] = "unbindable",
    [OCI_PROP_RSHARED] = "rshared",   [OCI_PROP_RSLAVE] = "rslave",
    [OCI_PROP_RPRIVATE] = "rprivate", [OCI_PROP_RUNBINDABLE] = "runbindable",
};

static int parse_propagation(struct ctx *c, struct oci_spec *s, json_t *v)
{
	const char *name = NULL;
	int r;

	if ((r = get_string(c, v, "linux.rootfsPropagation", &name)))
		return r;
	if (!name[0])
		return 0;
	for (size_t i = OCI_PROP_SHARED; i < sizeof(propagation_names) / sizeof(*propagation_names);
	     i++)
		if (strcmp(name, propagation_names[i]) == 0) {
			s->rootfs_propagation = (enum oci_propagation)i;
			return 0;
		}
	return hy_err(c->err, c->errlen, -EINVAL,
		      "linux.rootfsPropagation: \"%s\" is none of shared, slave, private, "
		      "unbindable, rshared, rslave, rprivate, runbindable",
		      name);
}

/* linux.maskedPaths, linux.readonlyPaths: paths in the container, absolute. */
static int parse_paths(struct ctx *c, json_t *v, const char *name, const char ***out, size_t *nr)
{
	int r = get_strv(c, v, name, false, out, nr);

	for (size_t i = 0; !r && i < *nr; i++)
		if (!absolute((*out)[i]))
			return hy_err(c->err, c->errlen, -EINVAL,
				      "%s[%zu]: must be an absolute path (\"%s\")", name, i,
				      (*out)[i]);
	return r;
}

/* devices[i]'s integer member `key`, 0..max; required unless `optional`. */
static int device_number(struct ctx *c, json_t *e, size_t i, const char *key, uint64_t max,
			 bool optional, bool *has, uint32_t *out)
{
	char path[64];
	json_t *v = json_object_get(e, key);
	uint64_t x;
	int r;

	snprintf(path, sizeof(path), "linux.devices[%zu].%s", i, key);
	if (!v) {
		if (optional)
			return 0;
		return hy_err(c->err, c->errlen, -EINVAL, "%s: required for this type", path);
	}
	if ((r = get_u64(c, v, path, max, &x)))
		return r;
	if (has)
		*has = true;
	*out = (uint32_t)x;
	return 0;
}

static int parse_device(struct ctx *c, json_t *e, size_t i, struct oci_device *d)
{
	char path[64];
	const char *type = NULL;
	json_t *v;
	int r;

	snprintf(path, sizeof(path), "linux.devices[%zu]", i);
	if ((r = get_object(c, e, path)))
		return r;
	snprintf(path, sizeof(path), "linux.devices[%zu].path", i);
	if (!(v = json_object_get(e, "path")))
		return hy_err(c->err, c->errlen, -EINVAL, "%s: required", path);
	if ((r = get_string(c, v, path, &d->path)))
		return r;
	if (!gc_dev_path_ok(d->path))
		return hy_err(c->err, c->errlen, -EINVAL,
			      "%s: \"%s\" is not a path below /dev (without empty, \".\" or "
			      "\"..\" components)",
			      path, d->path);
	snprintf(path, sizeof(path), "linux.devices[%zu].type", i);
	if (!(v = json_object_get(e, "type")))
		return hy_err(c->err, c->errlen, -EINVAL, "%s: required", path);
	if ((r = get_string(c, v, path, &type)))
		return r;
	if (strlen(type) != 1 || !strchr("cubp", type[0]))
		return hy_err(c->err, c->errlen, -EINVAL, "%s: \"%s\" is none of c, u, b and p",
			      path, type);
	d->type = type[0];
	/* A FIFO has no device numbers: ignored when given. */
	if ((r = device_number(c, e, i, "major", 4095, d->type == 'p', NULL, &d->major)) ||
	    (r = device_number(c, e, i, "minor", 1048575, d->type == 'p', NULL, &d->minor)))
		return r;
	if (d->type == 'p')
		d->major = d->minor = 0;
	/* Some engines write the file type's bits along with the permissions. */
	if ((r = device_number(c, e, i, "fileMode", S_IFMT | 07777, true, &d->has_mode, &d->mode)))
		return r;
	d->mode &= 07777;
	if ((r = device_number(c, e, i, "uid", UINT32_MAX, true, &d->has_uid, &d->uid)) ||
	    (r = device_number(c, e, i, "gid", UINT32_MAX, true, &d->has_gid, &d->gid)))
		return r;
	return 0;
}

static int parse_devices(struct ctx *c, struct oci_spec *s, json_t *arr)
{
	int r;

	if (!json_is_array(arr))
		return hy_err(c->err, c->errlen, -EINVAL,
			      "linux.devices: must be an array of objects");
	s->nr_devices = json_array_size(arr);
	s->devices = calloc(s->nr_devices + 1, sizeof(*s->devices));
	if (!s->devices)
		return hy_err(c->err, c->errlen, -ENOMEM, "out of memory");
	for (size_t i = 0; i < s->nr_devices; i++)
		if ((r = parse_device(c, json_array_get(arr, i), i, &s->devices[i])))
			return r;
	return 0;
}

/* linux.personality: the execution domain; the runtime-spec defines no flags. */
static int parse_personality(struct ctx *c, struct oci_spec *s, json_t *obj)
{
	json_t *v;
	int64_t x;
	int r;

	if ((r = get_object(c, obj, "linux.personality")))
		return r;
	if ((r = get_named(c, obj, "domain", "linux.personality.domain", gc_personality_from_name,
			   "domain", "LINUX or LINUX32", &x)))
		return r;
	if ((v = json_object_get(obj, "flags"))) {
		if (!json_is_array(v))
			return hy_err(c->err, c->errlen, -EINVAL,
				      "linux.personality.flags: must be an array of strings");
		if (json_array_size(v))
			return hy_err(c->err, c->errlen, -EINVAL,
				      "linux.personality.flags: not supported: the runtime-spec "
				      "defines no personality flags");
	}
	s->has_personality = true;
	s->personality = (uint32_t)x;
	return 0;
}

static int parse_linux(struct ctx *c, struct oci_spec *s, json_t *l)
{
	json_t *v;
	int r;

	if ((r = get_object(c, l, "linux")))
		return r;
	if ((v = json_object_get(l, "rootfsPropagation")) && (r = parse_propagation(c, s, v)))
		return r;
	if ((v = json_object_get(l, "maskedPaths")) &&
	    (r = parse_paths(c, v, "linux.maskedPaths", &s->masked_paths, &s->nr_masked_paths)))
		return r;
	if ((v = json_object_get(l, "readonlyPaths")) &&
	    (r = parse_paths(c, v, "linux.readonlyPaths", &s->readonly_paths,
			     &s->nr_readonly_paths)))
		return r;
	if ((v = json_object_get(l, "devices")) && (r = parse_devices(c, s, v)))
		return r;
	if ((v = json_object_get(l, "personality")) && !json_is_null(v) &&
	    (r = parse_personality(c, s, v)))
		return r;
	if ((v = json_object_get(l, "seccomp")) && !json_is_null(v) && (r = parse_seccomp(c, s, v)))
		return r;
	if ((v = json_object_get(l, "sysctl"))) {
		void *p = NULL;

		r = parse_string_map(c, v, "linux.sysctl", &p, &s->nr_sysctl);
		s->sysctl = p;
		if (r)
			return r;
		for (size_t i = 0; i < s->nr_sysctl; i++)
			if (!s->sysctl[i].key[0] || strstr(s->sysctl[i].key, "..") ||
			    strchr(s->sysctl[i].key, '/'))
				return hy_err(c->err, c->errlen, -EINVAL,
					      "linux.sysctl: invalid key \"%s\"", s->sysctl[i].key);
	}
	return 0;
}

static int parse_doc(struct ctx *c, struct oci_spec *s)
{
	json_t *doc = s->json, *v;
	int r;

	if (!json_is_object(doc))
		return hy_err(c->err, c->errlen, -EINVAL, "(document): must be a JSON object");
	if (!(v = json_object_get(doc, "ociVersion")))
		return hy_err(c->err, c->errlen, -EINVAL, "ociVersion: required");
	if ((r = get_string(c, v, "ociVersion", &s->oci_version)))
		return r;
	if ((v = json_object_get(doc, "root")) && (r = parse_root(c, s, v)))
		return r;
	v = json_object_get(doc, "process");
	if (v) {
		if ((r = parse_process(c, s, v)))
			return r;
	} else if (!(c->flags & OCI_SPEC_ARGS_OPTIONAL)) {
		return hy_err(c->err, c->errlen, -EINVAL, "process: required");
	}
	if ((v = json_object_get(doc, "hostname")) &&
	    (r = get_string(c, v, "hostname", &s->hostname)))
		return r;
	if ((v = json_object_get(doc, "domainname")) &&
	    (r = get_string(c, v, "domainname", &s->domainname)))
		return r;
	if ((v = json_object_get(doc, "mounts")) && (r = parse_mounts(c, s, v)))
		return r;
	if ((v = json_object_get(doc, "linux")) && (r = parse_linux(c, s, v)))
		return r;
	if ((v = json_object_get(doc, "annotations"))) {
		void *p = NULL;

		r = parse_string_map(c, v, "annotations", &p, &s->nr_annotations);
		s->annotations = p;
		if (r)
			return r;
	}
	return 0;
}

/* --- public ---------------------------------------------------------------- */

static void free_fields(struct oci_spec *s)
{
	free(s->additional_gids);
	free(s->args);
	free(s->env);
	free(s->rlimits);
	for (size_t i = 0; s->mounts && i < s->nr_mounts; i++)
		free(s->mounts[i].options);
	free(s->mounts);
	if (s->seccomp) {
		free(s->seccomp->architectures);
		for (size_t i = 0; s->seccomp->syscalls && i < s->seccomp->nr_syscalls; i++) {
			free(s->seccomp->syscalls[i].names);
			free(s->seccomp->syscalls[i].args);
		}
		free(s->seccomp->syscalls);
		free(s->seccomp);
	}
	free(s->sysctl);
	free(s->annotations);
	free(s->masked_paths);
	free(s->readonly_paths);
	free(s->devices);
}

void oci_spec_free(struct oci_spec *s)
{
	if (!s)
		return;
	free_fields(s);
	json_decref(s->json);
	memset(s, 0, sizeof(*s));
}

int oci_spec_from_json(struct oci_spec *s, json_t *json, unsigned flags, char *err, size_t errlen)
{
	struct ctx c = {.err = err, .errlen = errlen, .flags = flags};
	int r;

	memset(s, 0, sizeof(*s));
	if (errlen)
		err[0] = '\0';
	s->json = json;
	r = parse_doc(&c, s);
	if (r)
		oci_spec_free(s);
	return r;
}

/*
 * A copy of the text where each bare integer outside strings above INT64_MAX
 * and at most UINT64_MAX is written as its two's-complement negative, which
 * jansson (int64 only) takes. Such values are real: RLIM_INFINITY in rlimits,
 * all-ones seccomp masks. A 19-digit one grows by a character, so error
 * columns after it may be off by one. NULL when out of memory.
 */
static char *widen_big_integers(const char *t, size_t len, size_t *out_len)
{
	char *out = malloc(len + len / 19 + 1);
	bool in_string = false;
	size_t o = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		char num[32];
		size_t j;

		if (in_string) {
			if (t[i] == '\\' && i + 1 < len)
				out[o++] = t[i++];
			else if (t[i] == '"')
				in_string = false;
			out[o++] = t[i];
			continue;
		}
		if (t[i] == '"')
			in_string = true;
		if (t[i] < '0' || t[i] > '9' || (i > 0 && strchr("-+.eE0123456789", t[i - 1]))) {
			out[o++] = t[i];
			continue;
		}
		for (j = i; j < len && t[j] >= '0' && t[j] <= '9'; j++)
			;
		if (j - i >= 19 && j - i <= 20 && (j == len || !strchr(".eE", t[j]))) {
			unsigned long long v;

			memcpy(num, t + i, j - i);
			num[j - i] = '\0';
			errno = 0;
			v = strtoull(num, NULL, 10);
			if (!errno && v > INT64_MAX) {
				int n = snprintf(num, sizeof(num), "%lld", (long long)v);

				memcpy(out + o, num, (size_t)n);
				o += (size_t)n;
				i = j - 1;
				continue;
			}
		}
		memcpy(out + o, t + i, j - i);
		o += j - i;
		i = j - 1;
	}
	*out_len = o;
	return out;
}

int oci_spec_parse(struct oci_spec *s, const char *text, size_t len, unsigned flags, char *err,
		   size_t errlen)
{
	json_error_t jerr;
	json_t *json;

	memset(s, 0, sizeof(*s));
	json = json_loadb(text, len, 0, &jerr);
	if (!json && strstr(jerr.text, "too big")) {
		size_t copy_len;
		char *copy = widen_big_integers(text, len, &copy_len);

		if (!copy)
			return -ENOMEM;
		json = json_loadb(copy, copy_len, 0, &jerr);
		free(copy);
	}
	if (!json) {
		if (errlen)
			snprintf(err, errlen, "invalid JSON at line %d, column %d: %s", jerr.line,
				 jerr.column, jerr.text);
		return -EINVAL;
	}
	return oci_spec_from_json(s, json, flags, err, errlen);
}

int oci_spec_load(struct oci_spec *s, const char *path, unsigned flags, char *err, size_t errlen)
{
	char *buf = NULL, msg[512];
	size_t len = 0;
	struct stat st;
	int fd, r;

	memset(s, 0, sizeof(*s));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > SPEC_FILE_MAX) {
		r = -EINVAL;
		snprintf(err, errlen, "%s: %s", path,
			 S_ISREG(st.st_mode) ? "too large" : "not a regular file");
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		r = -ENOMEM;
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	r = oci_spec_parse(s, buf, len, flags, msg, sizeof(msg));
	if (r)
		snprintf(err, errlen, "%s: %s", path, msg);
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return r;
}

int oci_spec_set_args(struct oci_spec *s, char *const *argv)
{
	json_t *process, *args;
	size_t n = 0;
	const char **vec;

	if (!argv || !argv[0])
		return -EINVAL;
	args = json_array();
	if (!args)
		return -ENOMEM;
	for (; argv[n]; n++)
		if (json_array_append_new(args, json_string(argv[n]))) {
			json_decref(args);
			return -EINVAL; /* not UTF-8, or out of memory */
		}
	vec = calloc(n + 1, sizeof(*vec));
	if (!vec) {
		json_decref(args);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		vec[i] = json_string_value(json_array_get(args, i));
	process = json_object_get(s->json, "process");
	if (!process) {
		process = json_object();
		if (!process || json_object_set_new(s->json, "process", process)) {
			free(vec);
			json_decref(args);
			return -ENOMEM;
		}
		s->has_process = true;
		s->cwd = "/";
	}
	if (json_object_set_new(process, "args", args)) {
		free(vec);
		return -ENOMEM;
	}
	free(s->args);
	s->args = vec;
	s->nr_args = n;
	return 0;
}

char *oci_spec_dump(const struct oci_spec *s)
{
	return json_dumps(s->json, JSON_COMPACT);
}
