/* hooks.c: one hook = fork, exec with the state on stdin, collect its output, wait (timeout). */
#include "runtime/hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "common/err.h"
#include "common/time.h"

#define HOOK_OUTPUT_MAX 4096
/* One failure: what failed, and its output. */
#define HOOK_ERRLEN (HOOK_OUTPUT_MAX + 512)

static void child_exec(const struct oci_hook *h, int in, int out)
{
	char *const *argv = (char *const *)h->args;
	char *const path_only[] = {(char *)h->path, NULL};
	sigset_t none;
	char msg[512];
	int n;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
	    dup2(out, STDERR_FILENO) < 0)
		_exit(127);
	if (!argv || !argv[0])
		argv = path_only;
	execve(h->path, argv, (char *const *)h->env);
	n = snprintf(msg, sizeof(msg), "exec '%s': %s", h->path, strerror(errno));
	if (write(STDERR_FILENO, msg, (size_t)n) < 0)
		_exit(127);
	_exit(127);
}

/* Move fd above the standard descriptors, so that dup2() onto 0-2 in the child cannot
 * clobber another of our descriptors. */
static int above_stdio(int fd)
{
	int nfd;

	if (fd > STDERR_FILENO)
		return fd;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
	close(fd);
	return nfd;
}

/* One hook as it runs: its pipes, what it wrote, whether it is done. */
struct hook_run {
	const struct oci_hook *h;
	const char *what;
	const char *state;
	size_t state_len, written;
	pid_t pid;
	int in, out, pidfd; /* its stdin (ours to write), its stdout+stderr (ours to read) */
	int status;
	bool exited, out_eof;
	int64_t deadline; /* 0: none */
	char output[HOOK_OUTPUT_MAX + 1];
	size_t out_len;
};

/* Fork and exec the hook with pipes for its stdin and its output. */
static int hook_spawn(struct hook_run *hr, char *err, size_t errlen)
{
	int in[2] = {-1, -1}, out[2] = {-1, -1}, r;

	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
		r = hy_err(err, errlen, -errno, "%s: pipe: %s", hr->what, strerror(errno));
		goto fail;
	}
	in[0] = above_stdio(in[0]);
	out[1] = above_stdio(out[1]);
	if (in[0] < 0 || out[1] < 0) {
		r = hy_err(err, errlen, -errno, "%s: fcntl: %s", hr->what, strerror(errno));
		goto fail;
	}
	hr->pid = fork();
	if (hr->pid < 0) {
		r = hy_err(err, errlen, -errno, "%s: fork: %s", hr->what, strerror(errno));
		goto fail;
	}
	if (hr->pid == 0)
		child_exec(hr->h, in[0], out[1]);
	close(in[0]);
	close(out[1]);
	hr->in = in[1];
	hr->out = out[0];
	fcntl(hr->in, F_SETFL, O_NONBLOCK);
	hr->pidfd = (int)syscall(SYS_pidfd_open, hr->pid, 0);
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
	}
	return r;
}

static void feed_state(struct hook_run *hr)
{
	ssize_t n = write(hr->in, hr->state + hr->written, hr->state_len - hr->written);

	if (n > 0)
		hr->written += (size_t)n;
	/* A hook need not read its stdin (EPIPE). */
	if ((n < 0 && errno != EAGAIN && errno != EINTR) || hr->written == hr->state_len) {
		close(hr->in);
		hr->in = -1;
	}
}

static void collect_output(struct hook_run *hr, bool readable)
{
	ssize_t n = 0;

	if (readable) {
		char buf[1024];

		n = read(hr->out, buf, sizeof(buf));
		if (n > 0) {
			size_t take = (size_t)n;

			if (take > HOOK_OUTPUT_MAX - hr->out_len)
				take = HOOK_OUTPUT_MAX - hr->out_len;
			memcpy(hr->output + hr->out_len, buf, take);
			hr->out_len += take;
		} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
			hr->out_eof = true;
		}
	}
	/* Once it has exited, take what is in the pipe and stop: a process it
	 * left behind may keep the pipe open. */
	if (hr->exited && (!readable || n <= 0))
		hr->out_eof = true;
}

static void hook_kill(struct hook_run *hr)
{
	kill(hr->pid, SIGKILL);
	waitpid(hr->pid, NULL, 0);
}

/* Feed the state, collect the output and wait for the hook to exit, or kill it at
 * its deadline. */
static int hook_wait(struct hook_run *hr, char *err, size_t errlen)
{
	while (!hr->exited || !hr->out_eof) {
		struct pollfd p[3];
		int np = 0, wait_ms, idx_in = -1, idx_out = -1, n_ready;

		if (hr->in >= 0) {
			idx_in = np;
			p[np++] = (struct pollfd){.fd = hr->in, .events = POLLOUT};
		}
		if (!hr->out_eof) {
			idx_out = np;
			p[np++] = (struct pollfd){.fd = hr->out, .events = POLLIN};
		}
		if (hr->pidfd >= 0 && !hr->exited)
			p[np++] = (struct pollfd){.fd = hr->pidfd, .events = POLLIN};
		wait_ms = hr->exited ? 0 : hr->pidfd >= 0 ? 1000 : 50;
		if (hr->deadline && !hr->exited) {
			int64_t left = hr->deadline - hy_now_ms();

			if (left <= 0) {
				hook_kill(hr);
				return hy_err(err, errlen, -ETIMEDOUT, "%s: timed out after %u s",
					      hr->what, hr->h->timeout);
			}
			if (left < wait_ms)
				wait_ms = (int)left;
		}
		n_ready = poll(p, (nfds_t)np, wait_ms);
		if (n_ready < 0 && errno != EINTR) {
			int r =
			    hy_err(err, errlen, -errno, "%s: poll: %s", hr->what, strerror(errno));

			hook_kill(hr);
			return r;
		}
		if (idx_in >= 0 && n_ready > 0 && p[idx_in].revents)
			feed_state(hr);
		if (idx_out >= 0)
			collect_output(hr, n_ready > 0 && p[idx_out].revents);
		if (!hr->exited && waitpid(hr->pid, &hr->status, WNOHANG) == hr->pid) {
			hr->exited = true;
			fcntl(hr->out, F_SETFL, O_NONBLOCK);
		}
	}
	return 0;
}

/* 0 when the hook exited with status 0; its output, trimmed, stays in hr->output. */
static int hook_result(struct hook_run *hr, char *err, size_t errlen)
{
	char *o = hr->output;
	size_t n = hr->out_len;

	o[n] = '\0';
	while (n && (o[n - 1] == '\n' || o[n - 1] == ' '))
		o[--n] = '\0';
	hr->out_len = n;
	if (WIFEXITED(hr->status) && WEXITSTATUS(hr->status) == 0)
		return 0;
	if (WIFEXITED(hr->status))
		return hy_err(err, errlen, -ECANCELED, "%s: exit status %d%s%s", hr->what,
			      WEXITSTATUS(hr->status), n ? ": " : "", o);
	return hy_err(err, errlen, -ECANCELED, "%s: killed by signal %d%s%s", hr->what,
		      WTERMSIG(hr->status), n ? ": " : "", o);
}

static int run_one(const struct oci_hook *h, const char *what, const char *state,
		   void (*log)(enum log_level level, const char *msg), char *err, size_t errlen)
{
	struct hook_run *hr = calloc(1, sizeof(*hr));
	struct sigaction old_pipe;
	int r;

	if (!hr)
		return hy_err(err, errlen, -ENOMEM, "out of memory");
	*hr = (struct hook_run){
	    .h = h,
	    .what = what,
	    .state = state,
	    .state_len = strlen(state),
	    .in = -1,
	    .out = -1,
	    .pidfd = -1,
	    .deadline = h->timeout ? hy_now_ms() + (int64_t)h->timeout * 1000 : 0,
	};
	/* A hook that exits without reading its stdin makes the write fail with
	 * EPIPE, which must not kill the caller with SIGPIPE. */
	sigaction(SIGPIPE, &(struct sigaction){.sa_handler = SIG_IGN}, &old_pipe);
	r = hook_spawn(hr, err, errlen);
	if (!r)
		r = hook_wait(hr, err, errlen);
	if (!r)
		r = hook_result(hr, err, errlen);
	if (!r && hr->out_len && log) {
		char msg[HOOK_OUTPUT_MAX + 300];

		snprintf(msg, sizeof(msg), "%s: %s", what, hr->output);
		log(LOG_DEBUG, msg);
	}
	if (hr->in >= 0)
		close(hr->in);
	if (hr->out >= 0)
		close(hr->out);
	if (hr->pidfd >= 0)
		close(hr->pidfd);
	sigaction(SIGPIPE, &old_pipe, NULL);
	free(hr);
	return r;
}

int hooks_run(const struct oci_linux *l, enum oci_hook_kind k, const struct oci_state *st,
	      enum oci_status status, bool keep_going,
	      void (*log)(enum log_level level, const char *msg), char *err, size_t errlen)
{
	size_t used = 0;
	json_t *doc;
	char *state;
	int r = 0;

	if (!l->nr_hooks[k])
		return 0;
	doc = oci_state_hook_json(st, status);
	state = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	if (!state)
		return hy_err(err, errlen, -ENOMEM, "out of memory");
	if (errlen)
		err[0] = '\0';
	for (size_t i = 0; i < l->nr_hooks[k]; i++) {
		const struct oci_hook *h = &l->hooks[k][i];
		char what[256], msg[HOOK_ERRLEN];
		int one;

		snprintf(what, sizeof(what), "hooks.%s[%zu] (%s)", oci_hook_kind_name(k), i,
			 h->path);
		if (log) {
			char line[300];

			snprintf(line, sizeof(line), "running %s", what);
			log(LOG_DEBUG, line);
		}
		one = run_one(h, what, state, log, msg, sizeof(msg));
		if (one == 0)
			continue;
		if (!r)
			r = one;
		/* Every failure, one after the other. */
		if (used < errlen) {
			int n = snprintf(err + used, errlen - used, "%s%s", used ? "; " : "", msg);

			used += n > 0 ? (size_t)n : 0;
		}
		if (!keep_going)
			break;
	}
	free(state);
	return r;
}

enum oci_status hooks_status(enum oci_hook_kind k)
{
	switch (k) {
	case OCI_HOOK_PRESTART:
	case OCI_HOOK_CREATE_RUNTIME:
	case OCI_HOOK_CREATE_CONTAINER:
	case OCI_HOOK_START_CONTAINER:
		return OCI_STATUS_CREATED;
	case OCI_HOOK_POSTSTART:
		return OCI_STATUS_RUNNING;
	case OCI_HOOK_POSTSTOP:
	case OCI_HOOK_NR:
		break;
	}
	return OCI_STATUS_STOPPED;
}

bool hooks_warn_only(enum oci_hook_kind k)
{
	return k == OCI_HOOK_POSTSTART || k == OCI_HOOK_POSTSTOP;
}
