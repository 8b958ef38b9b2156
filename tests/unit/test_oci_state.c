/* test_oci_state.c: state.json round trip and shape, its errors, RFC 3339 times. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "oci/state.h"

static struct oci_state sample(void)
{
	struct oci_state st = {
	    .id = strdup("web-1"),
	    .status = OCI_STATUS_RUNNING,
	    .pid = 4242,
	    .bundle = strdup("/srv/bundles/web"),
	    .rootfs = strdup("/srv/bundles/web/rootfs"),
	    .created = strdup("2024-05-01T10:00:00.000000001Z"),
	    .owner = strdup("root"),
	    .annotations = json_pack("{s:s}", "io.hyrun.vcpus", "2"),
	    .start_time = 123456789,
	    .paused = true,
	    .cgroups_path = strdup("/machine/web-1"),
	    .cgroup = strdup("machine/web-1"),
	    .vcpus = 2,
	    .mem_mib = 448,
	    .memory_limit = 512 << 20,
	};
	return st;
}

Test(oci_state, round_trip)
{
	struct oci_state st = sample(), back;
	char err[256];
	json_t *doc = oci_state_to_json(&st, st.status, true);
	char *text = json_dumps(doc, 0);
	json_t *again = json_loads(text, 0, NULL);

	cr_assert_not_null(again);
	cr_assert_eq(oci_state_from_json(&back, again, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(back.id, "web-1");
	cr_assert_eq(back.status, OCI_STATUS_RUNNING);
	cr_assert_eq(back.pid, 4242);
	cr_assert_str_eq(back.bundle, "/srv/bundles/web");
	cr_assert_str_eq(back.rootfs, "/srv/bundles/web/rootfs");
	cr_assert_str_eq(back.created, "2024-05-01T10:00:00.000000001Z");
	cr_assert_eq(back.start_time, 123456789);
	cr_assert(back.paused);
	cr_assert_str_eq(back.cgroups_path, "/machine/web-1");
	cr_assert_str_eq(back.cgroup, "machine/web-1");
	cr_assert_eq(back.vcpus, 2);
	cr_assert_eq(back.mem_mib, 448);
	cr_assert_eq(back.memory_limit, 512 << 20);
	cr_assert_str_eq(json_string_value(json_object_get(back.annotations, "io.hyrun.vcpus")),
			 "2");
	oci_state_free(&back);
	json_decref(again);
	free(text);
	json_decref(doc);
	oci_state_free(&st);
}

Test(oci_state, output_shape_is_runc_s)
{
	struct oci_state st = sample();
	json_t *doc = oci_state_to_json(&st, OCI_STATUS_PAUSED, false);
	const char *keys[] = {"ociVersion", "id",      "pid",	"status",     "bundle",
			      "rootfs",	    "created", "owner", "annotations"};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		cr_assert_not_null(json_object_get(doc, keys[i]), "%s missing", keys[i]);
	cr_assert_null(json_object_get(doc, "hyrun"), "internal members stay internal");
	cr_assert_str_eq(json_string_value(json_object_get(doc, "status")), "paused");
	cr_assert_eq(json_integer_value(json_object_get(doc, "pid")), 4242);
	json_decref(doc);

	doc = oci_state_hook_json(&st, OCI_STATUS_CREATING);
	cr_assert_eq(json_object_size(doc), 6, "runtime-spec state: 6 members");
	cr_assert_str_eq(json_string_value(json_object_get(doc, "status")), "creating");
	json_decref(doc);
	oci_state_free(&st);
}

Test(oci_state, bad_documents_name_the_member)
{
	struct oci_state st;
	char err[256];
	json_t *doc = json_loads("{\"id\": \"a\", \"bundle\": \"/b\", \"status\": \"sleeping\", "
				 "\"pid\": 1, \"hyrun\": {\"startTime\": 1}}",
				 0, NULL);

	cr_assert_eq(oci_state_from_json(&st, doc, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "status"), "%s", err);
	json_object_set_new(doc, "status", json_string("created"));
	json_object_set_new(doc, "pid", json_integer(-4));
	cr_assert_eq(oci_state_from_json(&st, doc, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "pid"), "%s", err);
	json_object_set_new(doc, "pid", json_integer(4));
	json_object_set_new(json_object_get(doc, "hyrun"), "memoryMiB", json_integer(0));
	cr_assert_eq(oci_state_from_json(&st, doc, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "hyrun.vcpus"), "%s", err);
	json_object_set_new(json_object_get(doc, "hyrun"), "vcpus", json_integer(1));
	cr_assert_eq(oci_state_from_json(&st, doc, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "hyrun.memoryMiB"), "%s", err);
	json_object_del(json_object_get(doc, "hyrun"), "vcpus");
	json_object_del(json_object_get(doc, "hyrun"), "memoryMiB");
	/* A state.json from before the VM size was kept. */
	cr_assert_eq(oci_state_from_json(&st, doc, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(st.mem_mib, 0);
	oci_state_free(&st);
	json_object_del(doc, "hyrun");
	cr_assert_eq(oci_state_from_json(&st, doc, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "hyrun"), "%s", err);
	json_decref(doc);
}

Test(oci_state, rfc3339)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = 5};
	char buf[48];

	oci_time_rfc3339(buf, sizeof(buf), &ts);
	cr_assert_str_eq(buf, "1970-01-01T00:00:00.000000005Z");
}
