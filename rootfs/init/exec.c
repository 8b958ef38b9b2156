/* exec.c: an exec'd process: the helper child that joins the container and becomes the process.
 *
 * The helper is a child of PID 1 (never PID 1 itself) that enters the
 * workload's namespaces and root the way nsenter does: the namespaces and
 * the root are opened from /proc/<workload> first, then setns() and
 * fchdir() + chroot("."), because setns() to a mount namespace leaves the
 * caller at that namespace's root mount, not at the workload's chroot. It
 * joins the container's cgroup before that, takes its stdio, and applies the
 * process with the workload's own code (container_exec_process()). Until
 * its execve() it reports on a close-on-exec channel, as the workload child
 * does: end of file is success, CHILD_FAILED a status and a message.
 *
 * A pid namespace cannot be entered by the helper itself (setns() with
 * CLONE_NEWPID moves only the caller's future children), so PID 1 enters
 * it for its own children, forks the helper there and goes back: the
 * exec'd process is in the workload's namespace (a small pid, parent 0 as
 * runc exec's processes see theirs) and still PID 1's child, reaped and
 * signalled by its guest pid as any other.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/agent_msg.h"
#include "common/err.h"
#include "common/guest_config.h"
#include "rootfs/init/agent.h"
#include "rootfs/init/container.h"
#include "rootfs/init/init.h"

static void __attribute__((noreturn)) helper_fail(int chan, int status, int err, const char *msg)
{
	static const char prefix[] = "hyrun-init: ";
	struct exec_failure f = {.m = {.kind = CHILD_FAILED, .status = status, .err = err}};

	/* The reply names what failed; it is not hyrun-init's console. */
	if (strncmp(msg, prefix, sizeof(prefix) - 1) == 0)
		msg += sizeof(prefix) - 1;
	snprintf(f.text, sizeof(f.text), "%s", msg);
	if (send(chan, &f, sizeof(f.m) + strlen(f.text) + 1, MSG_NOSIGNAL) < 0) {
		/* PID 1 then sees end of file and the exit status alone */
	}
	_exit(status);
}

static void __attribute__((noreturn, format(printf, 3, 4)))
helper_failf(int chan, int err, const char *fmt, ...)
{
	char msg[AGENT_ERROR_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	helper_fail(chan, HY_INIT_STATUS_SETUP, err, msg);
}

/* The I/O ports stay PID 1's: ioperm() bits survive fork() and execve(). */
static void drop_ports(void)
{
	if (init.ports)
		ioperm(HY_PORT_BASE, HY_PORT_COUNT, 0);
}

static int open_proc(pid_t pid, const char *what, int flags)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
	return open(path, flags | O_CLOEXEC);
}

static bool same_file(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

static void __attribute__((noreturn))
helper_run(const struct guest_config *gc, pid_t workload, int chan, const int stdio[3])
{
	struct container_opts o = {
	    .test = init.test,
	    .root = init.root,
	    .test_shares = init.test_shares,
	    .debug = init.debug,
	    .log_fd = init.console,
	    .before_seccomp = drop_ports,
	};
	struct container_error e;
	int mnt, uts, cgns, root;

	child_default_signals();
	setsid();
	cgroup_enter();
	/* All before the first setns(): /proc is PID 1's until then. */
	mnt = open_proc(workload, "ns/mnt", O_RDONLY);
	uts = open_proc(workload, "ns/uts", O_RDONLY);
	cgns = open_proc(workload, "ns/cgroup", O_RDONLY);
	root = open_proc(workload, "root", O_PATH | O_DIRECTORY);
	if (mnt < 0 || uts < 0 || root < 0)
		helper_failf(chan, errno, "joining the container: /proc/%d: %s (has it ended?)",
			     (int)workload, strerror(errno));
	/* A workload without a root of its own shares PID 1's: nothing to join
	 * (and the self-test then needs no privileges for it). The workload's
	 * cgroup namespace (child.c) is rooted at the container's cgroup, where
	 * the helper is already; a kernel without cgroup namespaces has no
	 * ns/cgroup. */
	if ((!same_file(uts, "/proc/self/ns/uts") && setns(uts, CLONE_NEWUTS) < 0) ||
	    (cgns >= 0 && !same_file(cgns, "/proc/self/ns/cgroup") &&
	     setns(cgns, CLONE_NEWCGROUP) < 0) ||
	    (!same_file(mnt, "/proc/self/ns/mnt") && setns(mnt, CLONE_NEWNS) < 0))
		helper_failf(chan, errno, "joining the container: setns: %s", strerror(errno));
	if (!same_file(root, "/") && (fchdir(root) < 0 || chroot(".") < 0))
		helper_failf(chan, errno, "entering the container's root: %s", strerror(errno));
	close(mnt);
	close(uts);
	if (cgns >= 0)
		close(cgns);
	close(root);
	if (gc->terminal) {
		if (child_tty(chan, &e) < 0)
			helper_fail(chan, HY_INIT_STATUS_SETUP, e.err, e.msg);
	} else {
		for (int i = 0; i < 3; i++)
			if (dup2(stdio[i], i) < 0)
				helper_failf(chan, errno, "dup2: %s", strerror(errno));
	}
	/* Nothing of PID 1's (other connections, pipes) may reach the process. */
	if (syscall(SYS_close_range, 3, ~0u, CLOSE_RANGE_CLOEXEC) < 0)
		for (int fd = 3; fd < 1024; fd++)
			fcntl(fd, F_SETFD, FD_CLOEXEC);
	container_exec_process(gc, &o, &e);
	helper_fail(chan, e.status ? e.status : HY_INIT_STATUS_SETUP, e.err, e.msg);
}

static void close_pair(int p[2])
{
	for (int i = 0; i < 2; i++)
		if (p[i] >= 0)
			close(p[i]);
}

/*
 * The helper, forked where the workload's processes live: into its pid
 * namespace when it has one of its own (see the top), else as a plain
 * child. Returns as fork() does, with the reason in err on failure.
 */
static pid_t fork_helper(pid_t workload, char *err, size_t errlen)
{
	static int own = -1; /* PID 1's own pid namespace, to come back to */
	int ns = open_proc(workload, "ns/pid", O_RDONLY), saved;
	pid_t pid;

	if (ns < 0)
		return hy_err(err, errlen, -1,
			      "exec: /proc/%d/ns/pid: %s (has the container's process ended?)",
			      (int)workload, strerror(errno));
	if (same_file(ns, "/proc/self/ns/pid")) {
		close(ns);
		pid = cgroup_fork(false);
		if (pid < 0)
			hy_err(err, errlen, -1, "exec: fork: %s", strerror(errno));
		return pid;
	}
	if (own < 0)
		own = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
	if (own < 0 || setns(ns, CLONE_NEWPID) < 0) {
		hy_err(err, errlen, -1, "exec: entering the container's pid namespace: %s",
		       strerror(errno));
		close(ns);
		return -1;
	}
	close(ns);
	pid = cgroup_fork(false);
	saved = errno;
	if (pid == 0)
		return 0;
	/* Every later child of PID 1 (the next exec, a poweroff) would be
	 * born in there otherwise. */
	if (setns(own, CLONE_NEWPID) < 0)
		init_die("hyrun-init: exec: leaving the container's pid namespace: %s",
			 strerror(errno));
	if (pid < 0 && saved == ENOMEM)
		return hy_err(err, errlen, -1,
			      "exec: the container's pid namespace is gone (its process has "
			      "ended)");
	if (pid < 0)
		return hy_err(err, errlen, -1, "exec: fork: %s", strerror(saved));
	return pid;
}

static int nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

int exec_spawn(const char *config, size_t len, pid_t workload, struct exec_proc *p, char *err,
	       size_t errlen)
{
	int chan[2] = {-1, -1}, in[2] = {-1, -1}, out[2] = {-1, -1}, errp[2] = {-1, -1};
	struct guest_config gc;
	char gerr[512];
	pid_t pid;

	if (guest_config_decode(&gc, config, len, gerr, sizeof(gerr)) < 0)
		return hy_err(err, errlen, -1, "config: %s", gerr);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, chan) < 0 ||
	    (!gc.terminal && (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 ||
			      pipe2(errp, O_CLOEXEC) < 0))) {
		hy_err(err, errlen, -1, "exec: %s", strerror(errno));
		goto fail;
	}
	pid = fork_helper(workload, err, errlen);
	if (pid < 0)
		goto fail;
	if (pid == 0) {
		close(chan[0]);
		if (!gc.terminal) {
			close(in[1]);
			close(out[0]);
			close(errp[0]);
		}
		helper_run(&gc, workload, chan[1], (const int[]){in[0], out[1], errp[1]});
	}
	*p = (struct exec_proc){.pid = pid,
				.chan = chan[0],
				.tty = gc.terminal,
				.in = in[1],
				.out = out[0],
				.err = errp[0]};
	close(chan[1]);
	if (!gc.terminal) {
		close(in[0]);
		close(out[1]);
		close(errp[1]);
	}
	/* Only PID 1's ends: the process's are other open files and stay blocking. */
	if (nonblock(p->chan) < 0 || (p->in >= 0 && nonblock(p->in) < 0) ||
	    (p->out >= 0 && nonblock(p->out) < 0) || (p->err >= 0 && nonblock(p->err) < 0))
		init_msg("hyrun-init: exec: non-blocking descriptors: %s", strerror(errno));
	guest_config_free(&gc);
	return 0;
fail:
	close_pair(chan);
	close_pair(in);
	close_pair(out);
	close_pair(errp);
	guest_config_free(&gc);
	return -1;
}
