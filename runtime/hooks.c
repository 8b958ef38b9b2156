/* hooks.c: one hook = fork, exec with the state on stdin, collect its output, wait (timeout). */
#include "runtime/hooks.h"

#include "common/err.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "runtime/runtime.h"

#define HOOK_OUTPUT_MAX 4096

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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

static int run_one(const struct oci_hook *h, const char *what, const char *state, char *err,
		   size_t errlen)
{
	int in[2] = {-1, -1}, out[2] = {-1, -1}, pidfd = -1, status = 0, r = -1;
	char output[HOOK_OUTPUT_MAX + 1];
	size_t out_len = 0, state_len = strlen(state), written = 0;
	bool exited = false, out_eof = false;
	long deadline = h->timeout ? now_ms() + (long)h->timeout * 1000 : 0;
	struct sigaction old_pipe;
	pid_t pid;

	/* A hook that exits without reading its stdin makes the write fail with
	 * EPIPE, which must not kill the caller with SIGPIPE. */
	sigaction(SIGPIPE, &(struct sigaction){.sa_handler = SIG_IGN}, &old_pipe);
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
		hy_err(err, errlen, -errno, "%s: pipe: %s", what, strerror(errno));
		goto out;
	}
	in[0] = above_stdio(in[0]);
	out[1] = above_stdio(out[1]);
	if (in[0] < 0 || out[1] < 0) {
		hy_err(err, errlen, -errno, "%s: fcntl: %s", what, strerror(errno));
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		hy_err(err, errlen, -errno, "%s: fork: %s", what, strerror(errno));
		goto out;
	}
	if (pid == 0)
		child_exec(h, in[0], out[1]);
	close(in[0]);
	close(out[1]);
	in[0] = out[1] = -1;
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);

	while (!exited || !out_eof) {
		struct pollfd p[3];
		int np = 0, wait_ms, idx_in = -1, idx_out = -1, n_ready;

		if (in[1] >= 0) {
			idx_in = np;
			p[np++] = (struct pollfd){.fd = in[1], .events = POLLOUT};
		}
		if (!out_eof) {
			idx_out = np;
			p[np++] = (struct pollfd){.fd = out[0], .events = POLLIN};
		}
		if (pidfd >= 0 && !exited)
			p[np++] = (struct pollfd){.fd = pidfd, .events = POLLIN};
		/* Once it has exited, take what is in the pipe and stop: a process
		 * it left behind may keep the pipe open. */
		wait_ms = exited ? 0 : pidfd >= 0 ? 1000 : 50;
		if (deadline && !exited) {
			long left = deadline - now_ms();

			if (left <= 0) {
				kill(pid, SIGKILL);
				waitpid(pid, NULL, 0);
				hy_err(err, errlen, -EINVAL, "%s: timed out after %u s", what,
				       h->timeout);
				goto out;
			}
			if (left < wait_ms)
				wait_ms = (int)left;
		}
		n_ready = poll(p, (nfds_t)np, wait_ms);
		if (n_ready < 0 && errno != EINTR) {
			hy_err(err, errlen, -errno, "%s: poll: %s", what, strerror(errno));
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			goto out;
		}
		if (idx_in >= 0 && n_ready > 0 && p[idx_in].revents) {
			ssize_t n = write(in[1], state + written, state_len - written);

			if (n > 0)
				written += (size_t)n;
			/* A hook need not read its stdin (EPIPE). */
			if ((n < 0 && errno != EAGAIN && errno != EINTR) || written == state_len) {
				close(in[1]);
				in[1] = -1;
			}
		}
		if (idx_out >= 0) {
			bool readable = n_ready > 0 && p[idx_out].revents;
			ssize_t n = 0;

			if (readable) {
				char buf[1024];

				n = read(out[0], buf, sizeof(buf));
				if (n > 0) {
					size_t take = (size_t)n;

					if (take > HOOK_OUTPUT_MAX - out_len)
						take = HOOK_OUTPUT_MAX - out_len;
					memcpy(output + out_len, buf, take);
					out_len += take;
				} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
					out_eof = true;
				}
			}
			if (exited && (!readable || n <= 0))
				out_eof = true;
		}
		if (!exited && waitpid(pid, &status, WNOHANG) == pid) {
			exited = true;
			fcntl(out[0], F_SETFL, O_NONBLOCK);
		}
	}
	output[out_len] = '\0';
	while (out_len && (output[out_len - 1] == '\n' || output[out_len - 1] == ' '))
		output[--out_len] = '\0';
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		if (out_len)
			rt_debug("%s: %s", what, output);
		r = 0;
	} else if (WIFEXITED(status)) {
		hy_err(err, errlen, -EINVAL, "%s: exit status %d%s%s", what, WEXITSTATUS(status),
		       out_len ? ": " : "", output);
	} else {
		hy_err(err, errlen, -EINVAL, "%s: killed by signal %d%s%s", what, WTERMSIG(status),
		       out_len ? ": " : "", output);
	}
out:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
	}
	if (pidfd >= 0)
		close(pidfd);
	sigaction(SIGPIPE, &old_pipe, NULL);
	return r;
}

int hooks_run(const struct oci_linux *l, enum oci_hook_kind k, const struct oci_state *st,
	      enum oci_status status, bool warn_only, char *err, size_t errlen)
{
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
	for (size_t i = 0; i < l->nr_hooks[k]; i++) {
		const struct oci_hook *h = &l->hooks[k][i];
		char what[256], msg[RT_ERRLEN];

		snprintf(what, sizeof(what), "hooks.%s[%zu] (%s)", oci_hook_kind_name(k), i,
			 h->path);
		rt_debug("running %s", what);
		if (run_one(h, what, state, msg, sizeof(msg)) == 0)
			continue;
		if (warn_only) {
			rt_warn("%s", msg);
			continue;
		}
		hy_err(err, errlen, -EINVAL, "%s", msg);
		r = -1;
		break;
	}
	free(state);
	return r;
}
