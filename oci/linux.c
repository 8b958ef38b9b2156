/* linux.c: linux.namespaces, id mappings, cgroupsPath, resources and hooks of config.json. */
#include "oci/linux.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/guest_config.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const char *const ns_names[OCI_NS_NR] = {
    [OCI_NS_PID] = "pid",	[OCI_NS_NETWORK] = "network", [OCI_NS_MOUNT] = "mount",
    [OCI_NS_IPC] = "ipc",	[OCI_NS_UTS] = "uts",	      [OCI_NS_USER] = "user",
    [OCI_NS_CGROUP] = "cgroup",
};

static const char *const hook_names[OCI_HOOK_NR] = {
    [OCI_HOOK_PRESTART] = "prestart",
    [OCI_HOOK_CREATE_RUNTIME] = "createRuntime",
    [OCI_HOOK_CREATE_CONTAINER] = "createContainer",
    [OCI_HOOK_START_CONTAINER] = "startContainer",
    [OCI_HOOK_POSTSTART] = "poststart",
    [OCI_HOOK_POSTSTOP] = "poststop",
};

const char *oci_ns_name(enum oci_ns_type t)
{
	return (unsigned)t < OCI_NS_NR ? ns_names[t] : "?";
}

const char *oci_hook_kind_name(enum oci_hook_kind k)
{
	return (unsigned)k < OCI_HOOK_NR ? hook_names[k] : "?";
}

struct ctx {
	char *err;
	size_t errlen;
};

static int get_u32(struct ctx *c, json_t *v, const char *path, uint32_t *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > (json_int_t)UINT32_MAX)
		return hy_err(c->err, c->errlen, -EINVAL, "%s: must be an integer from 0 to %u",
			      path, UINT32_MAX);
	*out = (uint32_t)json_integer_value(v);
	return 0;
}

static int get_i64(struct ctx *c, json_t *v, const char *path, int64_t *out)
{
	if (!json_is_integer(v))
		return hy_err(c->err, c->errlen, -EINVAL, "%s: must be an integer", path);
	*out = (int64_t)json_integer_value(v);
	return 0;
}

static int get_u64(struct ctx *c, json_t *v, const char *path, uint64_t *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return hy_err(c->err, c->errlen, -EINVAL, "%s: must be a non-negative integer",
			      path);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

/* An array of strings as a NULL-terminated vector of borrowed pointers. */
static int get_strv(struct ctx *c, json_t *v, const char *path, const char ***out, size_t *nr)
{
	const char **vec;
	size_t n;

	if (!json_is_array(v))
		return hy_err(c->err, c->errlen, -EINVAL, "%s: must be an array of strings", path);
	n = json_array_size(v);
	for (size_t i = 0; i < n; i++)
		if (!json_is_string(json_array_get(v, i)))
			return hy_err(
			    c->err, c->errlen, -EINVAL,
			    "%s: must be an array of strings (element %zu is not a string)", path,
			    i);
	vec = calloc(n + 1, sizeof(*vec));
	if (!vec)
		return hy_err(c->err, c->errlen, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		vec[i] = json_string_value(json_array_get(v, i));
	*out = vec;
	*nr = n;
	return 0;
}

/* --- namespaces and id mappings ---------------------------------------------- */

static int parse_namespaces(struct ctx *c, struct oci_linux *l, json_t *arr)
{
	char path[64];

	if (!json_is_array(arr))
		return hy_err(c->err, c->errlen, -EINVAL,
			      "linux.namespaces: must be an array of objects");
	for (size_t i = 0; i < json_array_size(arr); i++) {
		json_t *e = json_array_get(arr, i), *v;
		const char *type;
		unsigned t;

		snprintf(path, sizeof(path), "linux.namespaces[%zu]", i);
		if (!json_is_object(e))
			return hy_err(c->err, c->errlen, -EINVAL, "%s: must be an object", path);
		snprintf(path, sizeof(path), "linux.namespaces[%zu].type", i);
		v = json_object_get(e, "type");
		if (!v)
			return hy_err(c->err, c->errlen, -EINVAL, "%s: required", path);
		if (!json_is_string(v))
			return hy_err(c->err, c->errlen, -EINVAL, "%s: must be a string", path);
		type = json_string_value(v);
		for (t = 0; t < OCI_NS_NR; t++)
			if (strcmp(ns_names[t], type) == 0)
				break;
		if (t == OCI_NS_NR) {
			if (strcmp(type, "time") == 0)
				return hy_err(
				    c->err, c->errlen, -EINVAL,
				    "%s: \"time\" is not supported: the microVM has its own "
				    "clocks",
				    path);
			return hy_err(c->err, c->errlen, -EINVAL,
				      "%s: unknown namespace type \"%s\"", path, type);
		}
		if (l->ns[t].enabled)
			return hy_err(c->err, c->errlen, -EINVAL, "%s: \"%s\" is listed twice",
				      path, type);
		l->ns[t].enabled = true;
		if ((v = json_object_get(e, "path"))) {
			snprintf(path, sizeof(path), "linux.namespaces[%zu].path", i);
			if (!json_is_string(v))
				return hy_err(c->err, c->errlen, -EINVAL, "%s: must be a string",
					      path);
			l->ns[t].path = json_string_value(v);
			if (l->ns[t].path[0] != '/')
				return hy_err(c->err, c->errlen, -EINVAL,
					      "%s: must be an absolute path (\"%s\")", path,
					      l->ns[t].path);
		}
	}
	return 0;
}

static int parse_idmaps(struct ctx *c, json_t *arr, const char *name, struct oci_idmap **out,
			size_t *nr)
{
	char path[64];
	json_t *v;
	size_t n;
	int r;

	if (!json_is_array(arr))
		return hy_err(c->err, c->errlen, -EINVAL, "%s: must be an array of objects", name);
	n = json_array_size(arr);
	*out = calloc(n + 1, sizeof(**out));
	if (!*out)
		return hy_err(c->err, c->errlen, -ENOMEM, "out of memory");
	*nr = n;
	for (size_t i = 0; i < n; i++) {
		static const char *const keys[] = {"containerID", "hostID", "size"};
		json_t *e = json_array_get(arr, i);
		uint32_t vals[3];

		snprintf(path, sizeof(path), "%s[%zu]", name, i);
		if (!json_is_object(e))
			return hy_err(c->err, c->errlen, -EINVAL, "%s: must be an object", path);
		for (size_t k = 0; k < ARRAY_LEN(keys); k++) {
			snprintf(path, sizeof(path), "%s[%zu].%s", name, i, keys[k]);
			if (!(v = json_object_get(e, keys[k])))
				return hy_err(c->err, c->errlen, -EINVAL, "%s: required", path);
			if ((r = get_u32(c, v, path, &vals[k])))
				return r;
		}
		if (vals[2] == 0) {
			snprintf(path, sizeof(path), "%s[%zu].size", name, i);
			return hy_err(c->err, c->errlen, -EINVAL, "%s: must be at least 1", path);
		}
		(*out)[i] = (struct oci_idmap){vals[0], vals[1], vals[2]};
	}
	return 0;
}

/* --- resources -------------------------------------------------------------- */

int oci_cpuset_count(const char *list)
{
	const char *p = list;
	int count = 0;

	if (!*p)
		return -1;
	while (*p) {
		unsigned long a, b;
		char *end;

		if (*p < '0' || *p > '9')
			return -1;
		a = strtoul(p, &end, 10);
		b = a;
		if (*end == '-') {
			if (end[1] < '0' || end[1] > '9')
				return -1;
			b = strtoul(end + 1, &end, 10);
		}
		if (b < a || b > 65535 || count + (b - a + 1) > 65536)
			return -1;
		count += (int)(b - a + 1);
		if (*end == ',') {
			end++;
			if (!*end)
				return -1;
		} else if (*end) {
			return -1;
		}
		p = end;
	}
	return count;
}

static int parse_memory(struct ctx *c, struct oci_resources *res, json_t *m)
{
	json_t *v;
	int r;

	if (!json_is_object(m))
		return hy_err(c->err, c->errlen, -EINVAL,
			      "linux.resources.memory: must be an object");
	if ((v = json_object_get(m, "limit"))) {
		if ((r = get_i64(c, v, "linux.resources.memory.limit", &res->memory_limit)))
			return r;
		/* runc and crun take 0 and -1 as "no limit". */
		if (res->memory_limit == 0)
			res->memory_limit = -1;
		if (res->memory_limit < -1)
			return hy_err(c->err, c->errlen, -EINVAL,
				      "linux.resources.memory.limit: must be a positive number of "
				      "bytes, or -1 for none");
	}
	if ((v = json_object_get(m, "swap"))) {
		if ((r = get_i64(c, v, "linux.resources.memory.swap", &res->memory_swap)))
			return r;
		if (res->memory_swap == 0)
			res->memory_swap = -1;
		if (res->memory_swap < -1)
			return hy_err(c->err, c->errlen, -EINVAL,
				      "linux.resources.memory.swap: must be a positive number of "
				      "bytes, or -1 for unlimited");
		if (res->memory_swap > 0 && res->memory_limit > 0 &&
		    res->memory_swap < res->memory_limit)
			return hy_err(c->err, c->errlen, -EINVAL,
				      "linux.resources.memory.swap: %lld is below memory.limit "
				      "(%lld): it counts memory plus swap",
				      (long long)res->memory_swap, (long long)res->memory_limit);
		if (res->memory_swap > 0 && res->memory_limit <= 0)
			return hy_err(c->err, c->errlen, -EINVAL,
				      "linux.resources.memory.swap: needs "
				      "linux.resources.memory.limit as well");
		res->has_memory_swap = true;
	}
	return 0;
}

static int parse_cpu(struct ctx *c, struct oci_resources *res, json_t *cpu)
{
	json_t *v;
	int r;

	if (!json_is_object(cpu))
		return hy_err(c->err, c->errlen, -EINVAL, "linux.resources.cpu: must be an object");
	if ((v = json_object_get(cpu, "shares"))) {
		if ((r = get_u64(c, v, "linux.resources.cpu.shares", &res->cpu_shares)))
			return r;
		if (res->cpu_shares != 0 && (res->cpu_shares < 2 || res->cpu_shares > 262144))
			return hy_err(c->err, c->errlen, -EINVAL,
				      "linux.resources.cpu.shares: must be from 2 to 262144");
	}
	if ((v = json_object_get(cpu, "quota"))) {
		if ((r = get_i64(c, v, "linux.resources.cpu.quota", &res->cpu_quota)))
			return r;
		if (res->cpu_quota == 0)
			res->cpu_quota = -1;
		if (res->cpu_quota < -1 || (res->cpu_quota > 0 && res->cpu_quota < 1000))
			return hy_err(c->err, c->errlen, -EINVAL,
				      "linux.resources.cpu.quota: must be at least 1000 "
				      "(microseconds), or -1 for none");
	}
	if ((v = json_object_get(cpu, "period"))) {
		if ((r = get_u64(c, v, "linux.resources.cpu.period", &res->cpu_period)))
			return r;
		if (res->cpu_period != 0 && (res->cpu_period < 1000 || res->cpu_period > 1000000))
			return hy_err(c->err, c->errlen, -EINVAL,
				      "linux.resources.cpu.period: must be from 1000 to 1000000 "
				      "(microseconds)");
	}
	if ((v = json_object_get(cpu, "cpus")) && !(json_is_string(v) && !json_string_length(v))) {
		if (!json_is_string(v) || oci_cpuset_count(json_string_value(v)) < 0)
			return hy_err(
			    c->err, c->errlen, -EINVAL,
			    "linux.resources.cpu.cpus: must be a list of CPUs such as \"0-3,6\"");
		res->cpus = json_string_value(v);
	}
	if ((v = json_object_get(cpu, "mems")) && !(json_is_string(v) && !json_string_length(v))) {
		if (!json_is_string(v) || oci_cpuset_count(json_string_value(v)) < 0)
			return hy_err(c->err, c->errlen, -EINVAL,
				      "linux.resources.cpu.mems: must be a list of memory nodes "
				      "such as \"0-1\"");
		res->mems = json_string_value(v);
	}
	v = json_object_get(cpu, "realtimeRuntime");
	if (v && !(json_is_integer(v) && json_integer_value(v) == 0))
		return hy_err(
		    c->err, c->errlen, -EINVAL,
		    "linux.resources.cpu.realtimeRuntime: real-time scheduling is not supported");
	return 0;
}

static int parse_device_rule(struct ctx *c, json_t *e, size_t i, struct oci_device_rule *rule)
{
	static const char *const nums[] = {"major", "minor"};
	const char *s;
	char path[64];
	json_t *v;

	snprintf(path, sizeof(path), "linux.resources.devices[%zu]", i);
	if (!json_is_object(e))
		return hy_err(c->err, c->errlen, -EINVAL, "%s: must be an object", path);
	snprintf(path, sizeof(path), "linux.resources.devices[%zu].allow", i);
	v = json_object_get(e, "allow");
	if (!json_is_boolean(v))
		return hy_err(c->err, c->errlen, -EINVAL, "%s: %s", path,
			      v ? "must be true or false" : "required");
	rule->allow = json_is_true(v);
	rule->type = 'a';
	snprintf(path, sizeof(path), "linux.resources.devices[%zu].type", i);
	if ((v = json_object_get(e, "type"))) {
		s = json_is_string(v) ? json_string_value(v) : "";
		if (strlen(s) != 1 || !strchr("acb", s[0]))
			return hy_err(c->err, c->errlen, -EINVAL,
				      "%s: must be \"a\", \"c\" or \"b\"", path);
		rule->type = s[0];
	}
	for (size_t k = 0; k < ARRAY_LEN(nums); k++) {
		int64_t *out = k ? &rule->minor : &rule->major;

		*out = -1;
		snprintf(path, sizeof(path), "linux.resources.devices[%zu].%s", i, nums[k]);
		if (!(v = json_object_get(e, nums[k])) || json_is_null(v))
			continue;
		if (!json_is_integer(v) || json_integer_value(v) < -1 ||
		    json_integer_value(v) > (json_int_t)UINT32_MAX)
			return hy_err(c->err, c->errlen, -EINVAL,
				      "%s: must be -1 (any) or an integer from 0 to %u", path,
				      UINT32_MAX);
		*out = json_integer_value(v);
	}
	/* Absent, it is all of them, as in the cgroup's own rules; empty, it
	 * would match nothing, and runc refuses it too. */
	snprintf(path, sizeof(path), "linux.resources.devices[%zu].access", i);
	v = json_object_get(e, "access");
	s = !v ? "rwm" : json_is_string(v) ? json_string_value(v) : "";
	if (!s[0])
		return hy_err(c->err, c->errlen, -EINVAL,
			      "%s: must be a non-empty combination of r, w and m", path);
	for (const char *p = s; *p; p++) {
		bool *bit = *p == 'r'	? &rule->read
			    : *p == 'w' ? &rule->write
			    : *p == 'm' ? &rule->mknod
					: NULL;

		if (!bit || *bit)
			return hy_err(c->err, c->errlen, -EINVAL,
				      "%s: \"%s\" is not a combination of r, w and m", path, s);
		*bit = true;
	}
	return 0;
}

static int parse_device_rules(struct ctx *c, struct oci_resources *res, json_t *arr)
{
	int r;

	if (!json_is_array(arr))
		return hy_err(c->err, c->errlen, -EINVAL,
			      "linux.resources.devices: must be an array of objects");
	res->nr_devices = json_array_size(arr);
	res->devices = calloc(res->nr_devices + 1, sizeof(*res->devices));
	if (!res->devices)
		return hy_err(c->err, c->errlen, -ENOMEM, "out of memory");
	res->has_devices = true;
	for (size_t i = 0; i < res->nr_devices; i++)
		if ((r = parse_device_rule(c, json_array_get(arr, i), i, &res->devices[i])))
			return r;
	return 0;
}

/*
 * linux.resources.unified: for the guest's cgroup alone (plan.h). Each key is
 * opened in the cgroup's directory there, so it must be a name in it; whether
 * the guest has the file is learnt there.
 */
static int parse_unified(struct ctx *c, struct oci_resources *res, json_t *obj)
{
	const char *key;
	char path[160];
	json_t *v;
	size_t i = 0;

	if (!json_is_object(obj))
		return hy_err(c->err, c->errlen, -EINVAL,
			      "linux.resources.unified: must be an object with string values");
	res->unified = calloc(json_object_size(obj) + 1, sizeof(*res->unified));
	if (!res->unified)
		return hy_err(c->err, c->errlen, -ENOMEM, "out of memory");
	json_object_foreach(obj, key, v)
	{
		if (!gc_unified_key_ok(key))
			return hy_err(c->err, c->errlen, -EINVAL,
				      "linux.resources.unified: \"%s\" is not the name of a cgroup "
				      "file (one without '/', not \".\" or \"..\")",
				      key);
		snprintf(path, sizeof(path), "linux.resources.unified.%s", key);
		if (!json_is_string(v))
			return hy_err(c->err, c->errlen, -EINVAL, "%s: must be a string", path);
		res->unified[i].key = key;
		res->unified[i++].value = json_string_value(v);
	}
	res->nr_unified = i;
	return 0;
}

static int parse_resources(struct ctx *c, struct oci_resources *res, json_t *obj)
{
	json_t *v;
	int r;

	if (!json_is_object(obj))
		return hy_err(c->err, c->errlen, -EINVAL, "linux.resources: must be an object");
	if ((v = json_object_get(obj, "memory")) && (r = parse_memory(c, res, v)))
		return r;
	if ((v = json_object_get(obj, "cpu")) && (r = parse_cpu(c, res, v)))
		return r;
	if ((v = json_object_get(obj, "pids"))) {
		json_t *lim;

		if (!json_is_object(v))
			return hy_err(c->err, c->errlen, -EINVAL,
				      "linux.resources.pids: must be an object");
		if ((lim = json_object_get(v, "limit"))) {
			if ((r = get_i64(c, lim, "linux.resources.pids.limit", &res->pids_limit)))
				return r;
			if (res->pids_limit <= 0)
				res->pids_limit = -1;
		}
	}
	if ((v = json_object_get(obj, "devices")) && !json_is_null(v) &&
	    (r = parse_device_rules(c, res, v)))
		return r;
	if ((v = json_object_get(obj, "unified")) && !json_is_null(v) &&
	    (r = parse_unified(c, res, v)))
		return r;
	return 0;
}

/* --- hooks ------------------------------------------------------------------ */

static int parse_hook_list(struct ctx *c, struct oci_linux *l, enum oci_hook_kind k, json_t *arr)
{
	char path[96];
	size_t n = json_array_size(arr);
	int r;

	l->hooks[k] = calloc(n + 1, sizeof(struct oci_hook));
	if (!l->hooks[k])
		return hy_err(c->err, c->errlen, -ENOMEM, "out of memory");
	l->nr_hooks[k] = n;
	for (size_t i = 0; i < n; i++) {
		struct oci_hook *h = &l->hooks[k][i];
		json_t *e = json_array_get(arr, i), *v;

		snprintf(path, sizeof(path), "hooks.%s[%zu]", hook_names[k], i);
		if (!json_is_object(e))
			return hy_err(c->err, c->errlen, -EINVAL, "%s: must be an object", path);
		snprintf(path, sizeof(path), "hooks.%s[%zu].path", hook_names[k], i);
		if (!(v = json_object_get(e, "path")))
			return hy_err(c->err, c->errlen, -EINVAL, "%s: required", path);
		if (!json_is_string(v))
			return hy_err(c->err, c->errlen, -EINVAL, "%s: must be a string", path);
		h->path = json_string_value(v);
		if (h->path[0] != '/')
			return hy_err(c->err, c->errlen, -EINVAL,
				      "%s: must be an absolute path (\"%s\")", path, h->path);
		if ((v = json_object_get(e, "args"))) {
			snprintf(path, sizeof(path), "hooks.%s[%zu].args", hook_names[k], i);
			if ((r = get_strv(c, v, path, &h->args, &h->nr_args)))
				return r;
		}
		snprintf(path, sizeof(path), "hooks.%s[%zu].env", hook_names[k], i);
		if ((v = json_object_get(e, "env"))) {
			if ((r = get_strv(c, v, path, &h->env, &h->nr_env)))
				return r;
			for (size_t j = 0; j < h->nr_env; j++)
				if (!strchr(h->env[j], '=') || h->env[j][0] == '=')
					return hy_err(c->err, c->errlen, -EINVAL,
						      "%s: element %zu (\"%s\") is not NAME=VALUE",
						      path, j, h->env[j]);
		} else {
			h->env = calloc(1, sizeof(*h->env));
			if (!h->env)
				return hy_err(c->err, c->errlen, -ENOMEM, "out of memory");
		}
		if ((v = json_object_get(e, "timeout"))) {
			snprintf(path, sizeof(path), "hooks.%s[%zu].timeout", hook_names[k], i);
			if (!json_is_integer(v) || json_integer_value(v) < 1 ||
			    json_integer_value(v) > 86400)
				return hy_err(c->err, c->errlen, -EINVAL,
					      "%s: must be a number of seconds from 1 to 86400",
					      path);
			h->timeout = (unsigned)json_integer_value(v);
		}
	}
	return 0;
}

static int parse_hooks(struct ctx *c, struct oci_linux *l, json_t *obj)
{
	int r;

	if (!json_is_object(obj))
		return hy_err(c->err, c->errlen, -EINVAL, "hooks: must be an object");
	for (unsigned k = 0; k < OCI_HOOK_NR; k++) {
		json_t *v = json_object_get(obj, hook_names[k]);
		char path[48];

		if (!v)
			continue;
		snprintf(path, sizeof(path), "hooks.%s", hook_names[k]);
		if (!json_is_array(v))
			return hy_err(c->err, c->errlen, -EINVAL, "%s: must be an array of objects",
				      path);
		if ((r = parse_hook_list(c, l, k, v)))
			return r;
	}
	return 0;
}

/* --- the document ---------------------------------------------------------------- */

static int parse_linux(struct ctx *c, struct oci_linux *l, json_t *lx)
{
	json_t *v;
	int r;

	if (!json_is_object(lx))
		return hy_err(c->err, c->errlen, -EINVAL, "linux: must be an object");
	if ((v = json_object_get(lx, "namespaces")) && (r = parse_namespaces(c, l, v)))
		return r;
	if ((v = json_object_get(lx, "uidMappings")) &&
	    (r = parse_idmaps(c, v, "linux.uidMappings", &l->uid_mappings, &l->nr_uid_mappings)))
		return r;
	if ((v = json_object_get(lx, "gidMappings")) &&
	    (r = parse_idmaps(c, v, "linux.gidMappings", &l->gid_mappings, &l->nr_gid_mappings)))
		return r;
	if ((v = json_object_get(lx, "cgroupsPath"))) {
		if (!json_is_string(v))
			return hy_err(c->err, c->errlen, -EINVAL,
				      "linux.cgroupsPath: must be a string");
		if (json_string_length(v))
			l->cgroups_path = json_string_value(v);
	}
	if ((v = json_object_get(lx, "resources")) && (r = parse_resources(c, &l->res, v)))
		return r;
	if ((v = json_object_get(lx, "timeOffsets")) && json_object_size(v))
		return hy_err(c->err, c->errlen, -EINVAL,
			      "linux.timeOffsets: not supported: the microVM has its own clocks");
	if ((v = json_object_get(lx, "intelRdt")) && !json_is_null(v))
		return hy_err(c->err, c->errlen, -EINVAL, "linux.intelRdt: not supported");
	return 0;
}

/* The IPC sysctls runc lets through only with an ipc namespace of the container's own. */
static bool ipc_sysctl(const char *key)
{
	static const char *const keys[] = {
	    "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
	    "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
	};

	for (size_t i = 0; i < ARRAY_LEN(keys); i++)
		if (strcmp(key, keys[i]) == 0)
			return true;
	return strncmp(key, "fs.mqueue.", 10) == 0;
}

/*
 * linux.sysctl as runc and crun refuse it. The guest's kernel is the
 * container's alone, so nothing would reach the host; the refusals keep what
 * a spec means: a sysctl of a namespace the spec does not give the container
 * is meant for the host's, and kernel.hostname would fight the hostname
 * member (runc refuses it always). kernel.domainname is how Docker sets a
 * domain name, which runc takes with a uts namespace; crun refuses it only
 * beside a domainname member, with which it would fight.
 */
static int check_sysctl(struct ctx *c, const struct oci_linux *l, json_t *doc)
{
	json_t *sysctl = json_object_get(json_object_get(doc, "linux"), "sysctl"), *v;
	json_t *domainname = json_object_get(doc, "domainname");
	const char *key;

	if (!json_is_object(sysctl))
		return 0; /* oci/spec.c names what is wrong with it */
	json_object_foreach(sysctl, key, v)
	{
		if (strcmp(key, "kernel.hostname") == 0 ||
		    (strcmp(key, "kernel.domainname") == 0 && json_is_string(domainname) &&
		     json_string_length(domainname)))
			return hy_err(c->err, c->errlen, -EINVAL,
				      "linux.sysctl.%s: not allowed: it conflicts with the "
				      "\"%s\" member of config.json, which sets it",
				      key, key + strlen("kernel."));
		if (strcmp(key, "kernel.domainname") == 0 && !l->ns[OCI_NS_UTS].enabled)
			return hy_err(c->err, c->errlen, -EINVAL,
				      "linux.sysctl.%s: not allowed without a uts namespace (a "
				      "\"uts\" entry in linux.namespaces)",
				      key);
		if (strncmp(key, "net.", 4) == 0 && !l->ns[OCI_NS_NETWORK].enabled)
			return hy_err(c->err, c->errlen, -EINVAL,
				      "linux.sysctl.%s: not allowed without a network namespace (a "
				      "\"network\" entry in linux.namespaces)",
				      key);
		if (ipc_sysctl(key) && !l->ns[OCI_NS_IPC].enabled)
			return hy_err(c->err, c->errlen, -EINVAL,
				      "linux.sysctl.%s: not allowed without an ipc namespace (an "
				      "\"ipc\" entry in linux.namespaces)",
				      key);
	}
	return 0;
}

/*
 * hostname and domainname need a uts namespace, as runc requires: without
 * one the spec asks to rename the host's. The guest's names are the
 * container's alone either way; the refusal keeps what the spec means and
 * what runc does with it. "" sets nothing and passes.
 */
static int check_uts(struct ctx *c, const struct oci_linux *l, json_t *doc)
{
	static const char *const members[] = {"hostname", "domainname"};

	if (l->ns[OCI_NS_UTS].enabled)
		return 0;
	for (size_t i = 0; i < ARRAY_LEN(members); i++) {
		json_t *v = json_object_get(doc, members[i]);

		if (json_is_string(v) && json_string_length(v))
			return hy_err(c->err, c->errlen, -EINVAL,
				      "%s: not allowed without a uts namespace (a \"uts\" entry in "
				      "linux.namespaces)",
				      members[i]);
	}
	return 0;
}

static int check_consistency(struct ctx *c, struct oci_linux *l)
{
	const struct oci_namespace *user = &l->ns[OCI_NS_USER];

	if ((l->nr_uid_mappings || l->nr_gid_mappings) && !user->enabled)
		return hy_err(
		    c->err, c->errlen, -EINVAL,
		    "linux.uidMappings: id mappings need a \"user\" entry in linux.namespaces");
	if (user->enabled && !user->path && (!l->nr_uid_mappings || !l->nr_gid_mappings))
		return hy_err(c->err, c->errlen, -EINVAL,
			      "linux.uidMappings: a new user namespace needs both uidMappings and "
			      "gidMappings");
	if (user->enabled && user->path && (l->nr_uid_mappings || l->nr_gid_mappings))
		return hy_err(c->err, c->errlen, -EINVAL,
			      "linux.uidMappings: id mappings cannot be given when joining a user "
			      "namespace by path");
	if (l->cgroups_path && strchr(l->cgroups_path, ':') && l->cgroups_path[0] != '/')
		return hy_err(c->err, c->errlen, -EINVAL,
			      "linux.cgroupsPath: \"%s\" is a systemd path (slice:prefix:name); "
			      "hyrun manages cgroups "
			      "with cgroupfs only: give a path such as \"/hyrun/<id>\"",
			      l->cgroups_path);
	if (l->cgroups_path) {
		const char *p = l->cgroups_path;

		while ((p = strstr(p, "..")) != NULL) {
			if ((p == l->cgroups_path || p[-1] == '/') && (p[2] == '/' || !p[2]))
				return hy_err(c->err, c->errlen, -EINVAL,
					      "linux.cgroupsPath: must not contain \"..\"");
			p += 2;
		}
	}
	return 0;
}

int oci_linux_parse(struct oci_linux *l, json_t *doc, char *err, size_t errlen)
{
	struct ctx c = {.err = err, .errlen = errlen};
	json_t *v;
	int r;

	memset(l, 0, sizeof(*l));
	l->res.memory_limit = -1;
	l->res.memory_swap = -1;
	l->res.cpu_quota = -1;
	l->res.pids_limit = -1;
	if (errlen)
		err[0] = '\0';
	if (!json_is_object(doc))
		return hy_err(c.err, c.errlen, -EINVAL, "(document): must be a JSON object");
	if ((v = json_object_get(doc, "linux")) && (r = parse_linux(&c, l, v)))
		return r;
	if ((v = json_object_get(doc, "hooks")) && (r = parse_hooks(&c, l, v)))
		return r;
	if ((r = check_sysctl(&c, l, doc)) || (r = check_uts(&c, l, doc)))
		return r;
	return check_consistency(&c, l);
}

void oci_linux_free(struct oci_linux *l)
{
	if (!l)
		return;
	free(l->uid_mappings);
	free(l->gid_mappings);
	free(l->res.devices);
	free(l->res.unified);
	for (unsigned k = 0; k < OCI_HOOK_NR; k++) {
		for (size_t i = 0; l->hooks[k] && i < l->nr_hooks[k]; i++) {
			free(l->hooks[k][i].args);
			free(l->hooks[k][i].env);
		}
		free(l->hooks[k]);
	}
	memset(l, 0, sizeof(*l));
}
