/* test_runtime_hooks.c: hooks get the state on stdin, exactly their args and env, a timeout. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "oci/linux.h"
#include "runtime/hooks.h"
#include "runtime/runtime.h"

static char dir[64];
static struct oci_linux l;
static json_t *doc;
static struct oci_state st;
static char err[1024];

static void setup(void)
{
	strcpy(dir, "/tmp/hyrun-ut-hooks.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	st.id = strdup("c1");
	st.pid = 77;
	st.bundle = strdup("/bundle");
	st.annotations = json_pack("{s:s}", "a", "b");
	rt_log_set_level(LOG_ERROR); /* warnings of warn_only runs stay quiet */
}

static void teardown(void)
{
	char cmd[128];

	oci_linux_free(&l);
	json_decref(doc);
	oci_state_free(&st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(runtime_hooks, .init = setup, .fini = teardown);

/* Hooks of one kind: /bin/sh -c SCRIPT each, with the test dir as $D. */
static void hooks(enum oci_hook_kind k, const char *const *scripts, size_t n, int timeout)
{
	json_t *arr = json_array(), *h;
	char env[128];
	const char *names[] = {"prestart",	 "createRuntime", "createContainer",
			       "startContainer", "poststart",	  "poststop"};

	snprintf(env, sizeof(env), "D=%s", dir);
	for (size_t i = 0; i < n; i++) {
		h = json_pack("{s:s, s:[s, s, s], s:[s]}", "path", "/bin/sh", "args", "sh", "-c",
			      scripts[i], "env", env);
		if (timeout)
			json_object_set_new(h, "timeout", json_integer(timeout));
		json_array_append_new(arr, h);
	}
	doc = json_pack("{s:{s:o}}", "hooks", names[k], arr);
	cr_assert_eq(oci_linux_parse(&l, doc, err, sizeof(err)), 0, "%s", err);
}

static char *slurp(const char *name)
{
	char path[128], *buf = calloc(1, 4096);
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY);
	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	cr_assert_geq(read(fd, buf, 4095), 0);
	close(fd);
	return buf;
}

Test(runtime_hooks, state_on_stdin_in_order)
{
	const char *s[] = {"cat > $D/state; echo one >> $D/order",
			   "echo two >> $D/order; env | sort > $D/env; echo $0 > $D/argv0"};
	json_t *got;
	char *text;

	hooks(OCI_HOOK_PRESTART, s, 2, 0);
	cr_assert_eq(hooks_run(&l, OCI_HOOK_PRESTART, &st, OCI_STATUS_CREATING, false, NULL, err,
			       sizeof(err)),
		     0, "%s", err);
	text = slurp("state");
	got = json_loads(text, 0, NULL);
	cr_assert_not_null(got, "state: %s", text);
	cr_assert_str_eq(json_string_value(json_object_get(got, "id")), "c1");
	cr_assert_str_eq(json_string_value(json_object_get(got, "status")), "creating");
	cr_assert_eq(json_integer_value(json_object_get(got, "pid")), 77);
	cr_assert_str_eq(json_string_value(json_object_get(got, "bundle")), "/bundle");
	cr_assert_str_eq(
	    json_string_value(json_object_get(json_object_get(got, "annotations"), "a")), "b");
	json_decref(got);
	free(text);
	text = slurp("order");
	cr_assert_str_eq(text, "one\ntwo\n");
	free(text);
	/* Exactly the hook's env (sh adds PWD, SHLVL and _ of its own). */
	text = slurp("env");
	cr_assert(strstr(text, "D=/tmp/hyrun-ut-hooks."), "%s", text);
	cr_assert_null(strstr(text, "PATH="), "no env inherited from hyrun: %s", text);
	free(text);
	text = slurp("argv0");
	cr_assert_str_eq(text, "sh\n");
	free(text);
}

Test(runtime_hooks, failure_stops_and_reports_output)
{
	const char *s[] = {"echo first >> $D/ran", "echo 'no network' >&2; exit 3",
			   "echo third >> $D/ran"};
	char *text;

	hooks(OCI_HOOK_CREATE_RUNTIME, s, 3, 0);
	cr_assert_eq(hooks_run(&l, OCI_HOOK_CREATE_RUNTIME, &st, OCI_STATUS_CREATING, false, NULL,
			       err, sizeof(err)),
		     -ECANCELED);
	cr_assert_str_eq(err, "hooks.createRuntime[1] (/bin/sh): exit status 3: no network");
	text = slurp("ran");
	cr_assert_str_eq(text, "first\n", "the hooks after a failure do not run");
	free(text);
}

Test(runtime_hooks, keep_going_goes_on)
{
	const char *s[] = {"exit 1", "echo second >> $D/ran"};
	char *text;

	hooks(OCI_HOOK_POSTSTOP, s, 2, 0);
	cr_assert_eq(
	    hooks_run(&l, OCI_HOOK_POSTSTOP, &st, OCI_STATUS_STOPPED, true, NULL, err, sizeof(err)),
	    -ECANCELED);
	cr_assert_str_eq(err, "hooks.poststop[0] (/bin/sh): exit status 1");
	text = slurp("ran");
	cr_assert_str_eq(text, "second\n");
	free(text);
}

Test(runtime_hooks, timeout)
{
	const char *s[] = {"sleep 30"};
	struct timespec t0, t1;

	hooks(OCI_HOOK_START_CONTAINER, s, 1, 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_eq(hooks_run(&l, OCI_HOOK_START_CONTAINER, &st, OCI_STATUS_CREATED, false, NULL,
			       err, sizeof(err)),
		     -ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cr_assert_str_eq(err, "hooks.startContainer[0] (/bin/sh): timed out after 1 s");
	cr_assert_lt(t1.tv_sec - t0.tv_sec, 5);
}

Test(runtime_hooks, not_executable)
{
	doc = json_pack("{s:{s:[{s:s}]}}", "hooks", "poststart", "path", "/no/such/hook");
	cr_assert_eq(oci_linux_parse(&l, doc, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(hooks_run(&l, OCI_HOOK_POSTSTART, &st, OCI_STATUS_RUNNING, false, NULL, err,
			       sizeof(err)),
		     -ECANCELED);
	cr_assert_str_eq(err, "hooks.poststart[0] (/no/such/hook): exit status 127: exec "
			      "'/no/such/hook': No such file or directory");
}

Test(runtime_hooks, hook_that_ignores_stdin_and_leaves_a_daemon)
{
	/* The daemon keeps stdout open: the hook is done when the hook itself exits. */
	const char *s[] = {"(sleep 20 &) ; exit 0"};
	struct timespec t0, t1;

	hooks(OCI_HOOK_CREATE_CONTAINER, s, 1, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_eq(hooks_run(&l, OCI_HOOK_CREATE_CONTAINER, &st, OCI_STATUS_CREATING, false, NULL,
			       err, sizeof(err)),
		     0, "%s", err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cr_assert_lt(t1.tv_sec - t0.tv_sec, 5);
}

/* runtime-spec 1.1, runtime.md: prestart, createRuntime and createContainer run
 * after the environment was created (after lifecycle step 2: "created"),
 * startContainer before the program runs, poststart once it runs; only
 * poststart and poststop failures are warnings. */
Test(runtime_hooks, status_and_failure_per_kind)
{
	static const struct {
		enum oci_hook_kind k;
		enum oci_status status;
		bool warn_only;
	} want[] = {
	    {OCI_HOOK_PRESTART, OCI_STATUS_CREATED, false},
	    {OCI_HOOK_CREATE_RUNTIME, OCI_STATUS_CREATED, false},
	    {OCI_HOOK_CREATE_CONTAINER, OCI_STATUS_CREATED, false},
	    {OCI_HOOK_START_CONTAINER, OCI_STATUS_CREATED, false},
	    {OCI_HOOK_POSTSTART, OCI_STATUS_RUNNING, true},
	    {OCI_HOOK_POSTSTOP, OCI_STATUS_STOPPED, true},
	};

	cr_assert_eq(sizeof(want) / sizeof(want[0]), OCI_HOOK_NR);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		cr_assert_eq(hooks_status(want[i].k), want[i].status, "%s",
			     oci_hook_kind_name(want[i].k));
		cr_assert_eq(hooks_warn_only(want[i].k), want[i].warn_only, "%s",
			     oci_hook_kind_name(want[i].k));
	}
}

/* What a prestart hook reads on stdin, with the status create gives it. */
Test(runtime_hooks, prestart_reads_created)
{
	const char *s[] = {"cat > $D/state"};
	json_t *got;
	char *text;

	hooks(OCI_HOOK_PRESTART, s, 1, 0);
	cr_assert_eq(hooks_run(&l, OCI_HOOK_PRESTART, &st, hooks_status(OCI_HOOK_PRESTART),
			       hooks_warn_only(OCI_HOOK_PRESTART), NULL, err, sizeof(err)),
		     0, "%s", err);
	text = slurp("state");
	got = json_loads(text, 0, NULL);
	cr_assert_not_null(got, "state: %s", text);
	cr_assert_str_eq(json_string_value(json_object_get(got, "status")), "created");
	json_decref(got);
	free(text);
}

/* A poststart failure: every poststart hook runs, and the error names each
 * failure for the warning. */
Test(runtime_hooks, poststart_failure_keeps_going)
{
	const char *s[] = {"echo broken >&2; exit 2", "cat > $D/state", "exit 4"};
	json_t *got;
	char *text;

	hooks(OCI_HOOK_POSTSTART, s, 3, 0);
	cr_assert_eq(hooks_run(&l, OCI_HOOK_POSTSTART, &st, hooks_status(OCI_HOOK_POSTSTART),
			       hooks_warn_only(OCI_HOOK_POSTSTART), NULL, err, sizeof(err)),
		     -ECANCELED);
	cr_assert_str_eq(err, "hooks.poststart[0] (/bin/sh): exit status 2: broken; "
			      "hooks.poststart[2] (/bin/sh): exit status 4");
	text = slurp("state");
	got = json_loads(text, 0, NULL);
	cr_assert_not_null(got, "state: %s", text);
	cr_assert_str_eq(json_string_value(json_object_get(got, "status")), "running");
	json_decref(got);
	free(text);
}
