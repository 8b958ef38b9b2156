/* state.c: state.json <-> struct oci_state. */
#include "oci/state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/err.h"

static const char *const status_names[] = {
    [OCI_STATUS_CREATING] = "creating", [OCI_STATUS_CREATED] = "created",
    [OCI_STATUS_RUNNING] = "running",	[OCI_STATUS_STOPPED] = "stopped",
    [OCI_STATUS_PAUSED] = "paused",
};

const char *oci_status_name(enum oci_status s)
{
	return (unsigned)s < sizeof(status_names) / sizeof(status_names[0]) ? status_names[s]
									    : "unknown";
}

int oci_status_from_name(const char *name)
{
	for (unsigned i = 0; i < sizeof(status_names) / sizeof(status_names[0]); i++)
		if (strcmp(status_names[i], name) == 0)
			return (int)i;
	return -1;
}

void oci_time_rfc3339(char *buf, size_t len, const struct timespec *ts)
{
	struct tm tm;
	char date[32];

	gmtime_r(&ts->tv_sec, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%09ldZ", date, (long)ts->tv_nsec);
}

static json_t *annotations_or_empty(const struct oci_state *st)
{
	return st->annotations ? json_incref(st->annotations) : json_object();
}

json_t *oci_state_hook_json(const struct oci_state *st, enum oci_status status)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:s}", "ociVersion", OCI_SPEC_VERSION, "id",
			      st->id, "status", oci_status_name(status), "pid", (int)st->pid,
			      "bundle", st->bundle ? st->bundle : "");

	if (o && json_object_set_new(o, "annotations", annotations_or_empty(st))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *oci_state_to_json(const struct oci_state *st, enum oci_status status, bool internal)
{
	json_t *o = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s}", "ociVersion",
			      OCI_SPEC_VERSION, "id", st->id, "pid", (int)st->pid, "status",
			      oci_status_name(status), "bundle", st->bundle ? st->bundle : "",
			      "rootfs", st->rootfs ? st->rootfs : "", "created",
			      st->created ? st->created : "", "owner", st->owner ? st->owner : "");
	json_t *h;

	if (!o)
		return NULL;
	if (json_object_set_new(o, "annotations", annotations_or_empty(st)))
		goto fail;
	if (!internal)
		return o;
	h = json_pack("{s:I, s:b, s:o, s:o}", "startTime", (json_int_t)st->start_time, "paused",
		      st->paused, "cgroupsPath",
		      st->cgroups_path ? json_string(st->cgroups_path) : json_null(), "cgroup",
		      st->cgroup ? json_string(st->cgroup) : json_null());
	if (!h || json_object_set_new(o, "hyrun", h))
		goto fail;
	if (st->mem_mib && (json_object_set_new(h, "vcpus", json_integer(st->vcpus)) ||
			    json_object_set_new(h, "memoryMiB", json_integer(st->mem_mib)) ||
			    json_object_set_new(h, "memoryLimit", json_integer(st->memory_limit))))
		goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

static int dup_string(json_t *obj, const char *key, bool required, char **out, char *err,
		      size_t errlen)
{
	json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v)) {
		if (required)
			return hy_err(err, errlen, -EINVAL, "%s: required", key);
		return 0;
	}
	if (!json_is_string(v))
		return hy_err(err, errlen, -EINVAL, "%s: must be a string", key);
	*out = strdup(json_string_value(v));
	if (!*out)
		return hy_err(err, errlen, -ENOMEM, "out of memory");
	return 0;
}

/* "vcpus", "memoryMiB", "memoryLimit": all three or none. */
static int get_vm_size(json_t *h, struct oci_state *st, char *err, size_t errlen)
{
	json_t *cpus = json_object_get(h, "vcpus"), *mem = json_object_get(h, "memoryMiB"),
	       *lim = json_object_get(h, "memoryLimit");

	if (!cpus && !mem && !lim)
		return 0;
	if (!json_is_integer(cpus) || json_integer_value(cpus) < 1 ||
	    json_integer_value(cpus) > 0xffff)
		return hy_err(err, errlen, -EINVAL, "hyrun.vcpus: must be a number of vCPUs");
	if (!json_is_integer(mem) || json_integer_value(mem) < 1 ||
	    json_integer_value(mem) > 0x7fffffff)
		return hy_err(err, errlen, -EINVAL, "hyrun.memoryMiB: must be a number of MiB");
	if (!json_is_integer(lim) || json_integer_value(lim) < -1)
		return hy_err(err, errlen, -EINVAL,
			      "hyrun.memoryLimit: must be a number of bytes, or -1");
	st->vcpus = (unsigned)json_integer_value(cpus);
	st->mem_mib = (unsigned)json_integer_value(mem);
	st->memory_limit = json_integer_value(lim);
	return 0;
}

int oci_state_from_json(struct oci_state *st, json_t *doc, char *err, size_t errlen)
{
	json_t *v, *h;
	int r, s;

	memset(st, 0, sizeof(*st));
	if (!json_is_object(doc))
		return hy_err(err, errlen, -EINVAL, "(document): must be a JSON object");
	if ((r = dup_string(doc, "id", true, &st->id, err, errlen)) ||
	    (r = dup_string(doc, "bundle", true, &st->bundle, err, errlen)) ||
	    (r = dup_string(doc, "rootfs", false, &st->rootfs, err, errlen)) ||
	    (r = dup_string(doc, "created", false, &st->created, err, errlen)) ||
	    (r = dup_string(doc, "owner", false, &st->owner, err, errlen)))
		goto fail;
	v = json_object_get(doc, "status");
	if (!json_is_string(v) || (s = oci_status_from_name(json_string_value(v))) < 0) {
		r = hy_err(err, errlen, -EINVAL, "status: must be a known status");
		goto fail;
	}
	st->status = (enum oci_status)s;
	v = json_object_get(doc, "pid");
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > 0x7fffffff) {
		r = hy_err(err, errlen, -EINVAL, "pid: must be a process id");
		goto fail;
	}
	st->pid = (pid_t)json_integer_value(v);
	v = json_object_get(doc, "annotations");
	if (v && !json_is_object(v)) {
		r = hy_err(err, errlen, -EINVAL, "annotations: must be an object");
		goto fail;
	}
	st->annotations = v ? json_incref(v) : NULL;
	h = json_object_get(doc, "hyrun");
	if (!json_is_object(h)) {
		r = hy_err(err, errlen, -EINVAL, "hyrun: required (an object)");
		goto fail;
	}
	v = json_object_get(h, "startTime");
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		r = hy_err(err, errlen, -EINVAL, "hyrun.startTime: must be a non-negative integer");
		goto fail;
	}
	st->start_time = (uint64_t)json_integer_value(v);
	v = json_object_get(h, "paused");
	if (v && !json_is_boolean(v)) {
		r = hy_err(err, errlen, -EINVAL, "hyrun.paused: must be true or false");
		goto fail;
	}
	st->paused = json_is_true(v);
	if ((r = dup_string(h, "cgroupsPath", false, &st->cgroups_path, err, errlen)) ||
	    (r = dup_string(h, "cgroup", false, &st->cgroup, err, errlen)))
		goto fail;
	if ((r = get_vm_size(h, st, err, errlen)))
		goto fail;
	return 0;
fail:
	oci_state_free(st);
	return r;
}

void oci_state_free(struct oci_state *st)
{
	if (!st)
		return;
	free(st->id);
	free(st->bundle);
	free(st->rootfs);
	free(st->created);
	free(st->owner);
	json_decref(st->annotations);
	free(st->cgroups_path);
	free(st->cgroup);
	memset(st, 0, sizeof(*st));
}
