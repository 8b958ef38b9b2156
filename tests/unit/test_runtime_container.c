/* test_runtime_container.c: /proc/<pid>/stat, the computed status, ids, state directories and their
 * locks. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "common/control_proto.h"
#include "oci/state.h"
#include "runtime/container.h"

Test(runtime_container, proc_stat_fields)
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

Test(runtime_container, proc_stat_of_this_process)
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

Test(runtime_container, computed_status)
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

Test(runtime_container, ids)
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

Test(runtime_container, directories, .init = make_root, .fini = remove_root)
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

	/* vsock.d and what host programs left in it go too. */
	cr_assert_eq(mkdirat(c->dirfd, "vsock.d", 0700), 0);
	{
		int fd = openat(c->dirfd, "vsock.d/vsock.sock_5000", O_CREAT | O_WRONLY | O_CLOEXEC,
				0600);

		cr_assert_geq(fd, 0);
		close(fd);
	}
	cr_assert_eq(container_remove(c, err, sizeof(err)), 0, "%s", err);
	container_close(c);
	snprintf(sub + strlen(sub), sizeof(sub) - strlen(sub), "/b");
	cr_assert_eq(access(sub, F_OK), -1);
	*strrchr(sub, '/') = '\0';
	cr_assert_eq(container_open(sub, "b", CONTAINER_LOCK_EXCLUSIVE, &d, err, sizeof(err)),
		     -ENOENT);
	cr_assert_str_eq(err, "container does not exist");
}

Test(runtime_container, exclusive_lock_waits, .init = make_root, .fini = remove_root)
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

/* A VMM's control socket that answers one connection with `reply` and exits 0
 * when the request was `want`. */
static pid_t control_server(const char *dir, const char *want, const char *reply)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	pid_t pid;

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/ctl.sock", dir);
	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	cr_assert_eq(listen(fd, 1), 0);
	pid = fork();
	if (pid == 0) {
		char buf[256] = {0};
		int c = accept(fd, NULL, NULL);
		ssize_t n = c < 0 ? -1 : read(c, buf, sizeof(buf) - 1);

		if (n > 0 && write(c, reply, strlen(reply)) < 0)
			_exit(3);
		_exit(n > 0 && strcmp(buf, want) == 0 ? 0 : 2);
	}
	close(fd);
	return pid;
}

static void control_round(struct container *c, const struct control_request *req, const char *want,
			  const char *reply, int expect, const char *msg)
{
	char err[256] = "";
	int status;
	pid_t pid;

	unlinkat(c->dirfd, "ctl.sock", 0);
	pid = control_server(c->dir, want, reply);
	cr_assert_eq(container_control(c, req, err, sizeof(err)), expect, "%s", err);
	/* "~TEXT": err contains TEXT. */
	if (msg && msg[0] == '~')
		cr_assert(strstr(err, msg + 1), "%s", err);
	else if (msg)
		cr_assert_str_eq(err, msg);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the request was not '%s'", want);
}

Test(runtime_container, control_requests_and_replies, .init = make_root, .fini = remove_root)
{
	struct control_request start = {.op = CONTROL_START};
	struct control_request kill_all = {.op = CONTROL_KILL, .sig = 15, .all = true};
	struct container *c;
	char err[256];

	cr_assert_eq(container_make(root, "ctl", &c, err, sizeof(err)), 0, "%s", err);
	control_round(c, &start, "start\n", "ok\n", 0, NULL);
	control_round(c, &kill_all, "kill 15 all\n", "error: no such process\n", -EIO,
		      "no such process");
	/* Closed without a word: what was asked is named. */
	control_round(c, &start, "start\n", "", -EIO, "~\"start\": ");
	unlinkat(c->dirfd, "ctl.sock", 0);
	cr_assert_eq(container_control(c, &start, err, sizeof(err)), -ENOENT);
	cr_assert(strstr(err, "control socket"), "%s", err);
	container_close(c);
}
