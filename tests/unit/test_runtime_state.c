/* test_runtime_state.c: state.json round trip, the computed status, state directories. */
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
#include "runtime/container.h"

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
	};
	return st;
}

Test(runtime_state, round_trip)
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
	cr_assert_str_eq(json_string_value(json_object_get(back.annotations, "io.hyrun.vcpus")),
			 "2");
	oci_state_free(&back);
	json_decref(again);
	free(text);
	json_decref(doc);
	oci_state_free(&st);
}

Test(runtime_state, output_shape_is_runc_s)
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

Test(runtime_state, bad_documents_name_the_member)
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
	json_object_del(doc, "hyrun");
	cr_assert_eq(oci_state_from_json(&st, doc, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "hyrun"), "%s", err);
	json_decref(doc);
}

Test(runtime_state, proc_stat_fields)
{
	char state;
	uint64_t start;
	/* comm with spaces and a ')' of its own: the last ')' ends it. */
	const char *line = "4242 (hyrun vmm) x)) S 1 4242 4242 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 "
			   "3 0 987654 12345678 100 18446744073709551615\n";

	cr_assert_eq(proc_stat_parse(line, &state, &start), 0);
	cr_assert_eq(state, 'S');
	cr_assert_eq(start, 987654);
	cr_assert_eq(proc_stat_parse("1 (init) Z 0 1 1 0 -1 1 2 3 4 5 6 7 8 9 10 11 1 0 77 0",
				     &state, &start),
		     0);
	cr_assert_eq(state, 'Z');
	cr_assert_eq(start, 77);
	cr_assert_eq(proc_stat_parse("1 (init) S 0 1", &state, &start), -EINVAL, "too short");
	cr_assert_eq(proc_stat_parse("1 init S 0", &state, &start), -EINVAL);
	cr_assert_eq(proc_stat_parse("", &state, &start), -EINVAL);
}

Test(runtime_state, proc_stat_of_this_process)
{
	char buf[1024], state;
	uint64_t start;
	FILE *f = fopen("/proc/self/stat", "r");

	cr_assert_not_null(f);
	cr_assert_not_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	cr_assert_eq(proc_stat_parse(buf, &state, &start), 0);
	cr_assert_eq(state, 'R');
	cr_assert_gt(start, 0);
}

Test(runtime_state, computed_status)
{
	struct oci_state st = {.status = OCI_STATUS_RUNNING, .pid = 10, .start_time = 500};

	cr_assert_eq(container_status_compute(&st, 'S', 500, false, false), OCI_STATUS_RUNNING);
	cr_assert_eq(container_status_compute(&st, 'R', 500, true, false), OCI_STATUS_RUNNING);
	cr_assert_eq(container_status_compute(&st, 0, 0, false, false), OCI_STATUS_STOPPED, "gone");
	cr_assert_eq(container_status_compute(&st, 'Z', 500, false, false), OCI_STATUS_STOPPED,
		     "a zombie has exited");
	cr_assert_eq(container_status_compute(&st, 'S', 501, false, false), OCI_STATUS_STOPPED,
		     "pid reused by another process");
	cr_assert_eq(container_status_compute(&st, 'S', 500, false, true), OCI_STATUS_PAUSED,
		     "the freezer says frozen");
	st.paused = true;
	cr_assert_eq(container_status_compute(&st, 'D', 500, false, false), OCI_STATUS_PAUSED);
	cr_assert_eq(container_status_compute(&st, 0, 0, false, false), OCI_STATUS_STOPPED);
	st.paused = false;
	st.status = OCI_STATUS_CREATED;
	cr_assert_eq(container_status_compute(&st, 'S', 500, false, false), OCI_STATUS_CREATED);
	st.status = OCI_STATUS_CREATING;
	cr_assert_eq(container_status_compute(&st, 'S', 500, true, false), OCI_STATUS_CREATING);
	cr_assert_eq(container_status_compute(&st, 'S', 500, false, false), OCI_STATUS_STOPPED,
		     "a create that died half way");
	st.pid = 0;
	cr_assert_eq(container_status_compute(&st, 0, 0, true, false), OCI_STATUS_CREATING);
	st.status = OCI_STATUS_STOPPED;
	st.pid = 10;
	cr_assert_eq(container_status_compute(&st, 'S', 500, false, false), OCI_STATUS_STOPPED);
}

Test(runtime_state, ids)
{
	cr_assert(container_id_valid("abc"));
	cr_assert(container_id_valid("a.b-c_d+e9"));
	cr_assert_not(container_id_valid(""));
	cr_assert_not(container_id_valid("."));
	cr_assert_not(container_id_valid(".."));
	cr_assert_not(container_id_valid("a/b"));
	cr_assert_not(container_id_valid("a b"));
	cr_assert_not(container_id_valid("ä"));
}

static char root[64];

static void make_root(void)
{
	strcpy(root, "/tmp/hyrun-ut-state.XXXXXX");
	cr_assert_not_null(mkdtemp(root));
}

static void remove_root(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	cr_assert_eq(system(cmd), 0);
}

Test(runtime_state, directories, .init = make_root, .fini = remove_root)
{
	struct container *c, *d;
	char err[256], sub[128], **ids;
	size_t n;

	snprintf(sub, sizeof(sub), "%s/nested/root", root);
	cr_assert_eq(container_make(sub, "b", &c, err, sizeof(err)), 0, "%s", err);
	c->st.status = OCI_STATUS_CREATED;
	c->st.bundle = strdup("/bundle");
	c->st.pid = getpid();
	cr_assert_eq(container_save(c, err, sizeof(err)), 0, "%s", err);

	cr_assert_eq(container_make(sub, "b", &d, err, sizeof(err)), -EEXIST);
	cr_assert_str_eq(err, "container with id exists: b");
	cr_assert_eq(container_make(sub, "../x", &d, err, sizeof(err)), -EINVAL);

	/* A reader does not wait for the writer that holds the lock. */
	cr_assert_eq(container_open(sub, "b", CONTAINER_LOCK_READ, &d, err, sizeof(err)), 0, "%s",
		     err);
	cr_assert(d->lock_busy);
	cr_assert_str_eq(d->st.bundle, "/bundle");
	cr_assert_eq(d->st.status, OCI_STATUS_CREATED);
	container_close(d);

	cr_assert_eq(container_make(sub, "a", &d, err, sizeof(err)), 0, "%s", err);
	container_close(d); /* a directory without state.json: not (yet) a container */
	cr_assert_eq(container_open(sub, "a", CONTAINER_LOCK_READ, &d, err, sizeof(err)), -ENOENT);
	cr_assert_str_eq(err, "container does not exist");
	cr_assert_eq(container_list(sub, &ids, &n, err, sizeof(err)), 0);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(ids[0], "a");
	cr_assert_str_eq(ids[1], "b");
	cr_assert_null(ids[2]);
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);

	/* The debris of a create killed early goes; a container does not. */
	cr_assert_eq(container_remove_stale(sub, "b"), -EBUSY);
	cr_assert_eq(container_remove_stale(sub, "a"), 0);
	cr_assert_eq(container_remove_stale(sub, "a"), -ENOENT);
	cr_assert_eq(container_list(sub, &ids, &n, err, sizeof(err)), 0);
	cr_assert_eq(n, 1);
	free(ids[0]);
	free(ids);

	cr_assert_eq(container_remove(c, err, sizeof(err)), 0, "%s", err);
	container_close(c);
	cr_assert_eq(container_open(sub, "b", CONTAINER_LOCK_EXCLUSIVE, &d, err, sizeof(err)),
		     -ENOENT);
	cr_assert_str_eq(err, "container does not exist");
}

Test(runtime_state, exclusive_lock_waits, .init = make_root, .fini = remove_root)
{
	struct container *c;
	char err[256], path[128];
	int status;
	pid_t pid;

	cr_assert_eq(container_make(root, "x", &c, err, sizeof(err)), 0, "%s", err);
	c->st.bundle = strdup("/b");
	cr_assert_eq(container_save(c, err, sizeof(err)), 0);
	pid = fork();
	if (pid == 0) {
		struct container *d;
		char e[256];

		/* The lock belongs to the open directory, which fork() shared: let go of
		 * our copy. Then wait for the parent's, and see what it saved last. */
		close(c->dirfd);
		if (container_open(root, "x", CONTAINER_LOCK_EXCLUSIVE, &d, e, sizeof(e)))
			_exit(2);
		_exit(d->st.status == OCI_STATUS_RUNNING ? 0 : 3);
	}
	usleep(100000);
	c->st.status = OCI_STATUS_RUNNING;
	cr_assert_eq(container_save(c, err, sizeof(err)), 0);
	container_close(c);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
	snprintf(path, sizeof(path), "%s/x/state.json", root);
	cr_assert_eq(access(path, F_OK), 0);
}

Test(runtime_state, rfc3339)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = 5};
	char buf[48];

	oci_time_rfc3339(buf, sizeof(buf), &ts);
	cr_assert_str_eq(buf, "1970-01-01T00:00:00.000000005Z");
}
