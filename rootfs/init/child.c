/* child.c: the forked workload child, until its execve(): stdio, tty, START, exec. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "common/fdio.h"
#include "rootfs/init/agent.h"
#include "rootfs/init/container.h"
#include "rootfs/init/init.h"

static struct {
	int chan;    /* its end of the pair to PID 1 */
	int errport; /* the stderr port, for hyrun-init's own messages */
} child = {-1, -1};

static void __attribute__((format(printf, 1, 2))) child_say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	/* When this fails, the exit report says enough. */
	hy_vwrite_line(child.errport >= 0 ? child.errport : STDERR_FILENO, fmt, ap);
	va_end(ap);
}

static void __attribute__((noreturn)) child_fail(int status, int err)
{
	struct child_msg m = {.kind = CHILD_FAILED, .status = status, .err = err};

	if (write(child.chan, &m, sizeof(m)) < 0) {
		/* the parent then sees the exit status alone */
	}
	_exit(status);
}

/* Everything not 0-2 must be gone once the workload runs, without closing the channel before exec.
 */
static void cloexec_from(int first)
{
	struct rlimit rl;
	int fd, max = 65536;

	if (syscall(SYS_close_range, first, ~0u, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)max)
		max = rl.rlim_cur;
	for (fd = first; fd < max; fd++)
		fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* --- the terminal ------------------------------------------------------------------ */

static int tty_error(struct container_error *e, int err, const char *what)
{
	e->status = STATUS_SETUP_FAILED;
	e->err = err;
	snprintf(e->msg, sizeof(e->msg), "terminal: %s: %s", what, strerror(err));
	return -1;
}

static int send_master(int chan, int master)
{
	struct child_msg m = {.kind = CHILD_TTY};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = &m, .iov_len = sizeof(m)};
	struct msghdr mh = {
	    .msg_iov = &iov,
	    .msg_iovlen = 1,
	    .msg_control = u.buf,
	    .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	memset(&u, 0, sizeof(u));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &master, sizeof(int));
	return sendmsg(chan, &mh, 0) == (ssize_t)sizeof(m) ? 0 : -1;
}

ssize_t child_chan_recv(int chan, void *buf, size_t len, int flags, int *fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr mh = {
	    .msg_iov = &iov,
	    .msg_iovlen = 1,
	    .msg_control = u.buf,
	    .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm;
	ssize_t n;

	*fd = -1;
	n = recvmsg(chan, &mh, MSG_CMSG_CLOEXEC | flags);
	if (n < 0)
		return n;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
		    cm->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(fd, CMSG_DATA(cm), sizeof(int));
	return n;
}

/*
 * A pty from the devpts of the workload's own root (so that ttyname() finds
 * its slave there), the slave as the controlling terminal and stdin, stdout
 * and stderr, the master handed to PID 1, which relays it to the ports.
 * Runs after the child's setsid(), as root, before user, capabilities and
 * seccomp are applied.
 */
int child_tty(int chan, struct container_error *e)
{
	char name[64];
	int master, slave;

	master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return tty_error(e, errno, "opening /dev/ptmx (is devpts mounted on /dev/pts?)");
	if (unlockpt(master) < 0) {
		tty_error(e, errno, "unlocking the pty");
		close(master);
		return -1;
	}
	/* TIOCGPTPEER opens the slave of this very master, whatever the paths. */
	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
	if (slave < 0 && ptsname_r(master, name, sizeof(name)) == 0)
		slave = open(name, O_RDWR | O_NOCTTY);
	if (slave < 0) {
		tty_error(e, errno, "opening the pty's slave");
		close(master);
		return -1;
	}
	if (ioctl(slave, TIOCSCTTY, 0) < 0) {
		tty_error(e, errno, "making the pty the controlling terminal");
		goto fail;
	}
	for (int i = 0; i < 3; i++) {
		if (dup2(slave, i) < 0) {
			tty_error(e, errno, "dup2");
			goto fail;
		}
	}
	if (slave > 2)
		close(slave);
	if (send_master(chan, master) < 0) {
		close(master);
		return tty_error(e, errno, "passing the pty to hyrun-init");
	}
	close(master);
	return 0;
fail:
	close(slave);
	close(master);
	return -1;
}

/*
 * The workload's terminal, and /dev/console made that terminal as runc and
 * crun make it: the pty's slave bound over an empty file there (what the
 * image or the /dev tmpfs had at /dev/console is covered). A root without a
 * writable /dev gets no /dev/console, as runc would fail to make one only
 * where it needs to create the file.
 */
static int child_setup_tty(struct container_error *e)
{
	char self[32];
	int fd;

	if (child_tty(child.chan, e) < 0)
		return -1;
	fd = open("/dev/console", O_WRONLY | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0666);
	if (fd < 0 && (errno == EROFS || errno == ENOENT))
		return 0;
	if (fd >= 0) {
		close(fd);
		snprintf(self, sizeof(self), "/proc/self/fd/%d", STDIN_FILENO);
		if (mount(self, "/dev/console", NULL, MS_BIND, NULL) == 0)
			return 0;
	}
	return tty_error(e, errno, "making /dev/console the terminal");
}

/* --- the last steps before execve() ----------------------------------------------- */

/* wait_start: tell PID 1 the workload is prepared, then wait for its go.
 * Runs after everything, seccomp included: it needs write() and read(). */
static void child_wait_start(void)
{
	struct child_msg m = {.kind = CHILD_PREPARED};
	ssize_t n;
	char go;

	if (!init.wait_start)
		return;
	if (write(child.chan, &m, sizeof(m)) != (ssize_t)sizeof(m)) {
		child_say("hyrun-init: reporting the workload prepared: %s", strerror(errno));
		_exit(STATUS_SETUP_FAILED);
	}
	do
		n = read(child.chan, &go, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1) {
		child_say("hyrun-init: waiting for start: %s", n < 0 ? strerror(errno) : "EOF");
		_exit(STATUS_SETUP_FAILED);
	}
}

/* The boot mark and the end of port access, before a seccomp filter could
 * forbid the ioperm() call. With wait_start, PID 1 marks the exec when it
 * releases the workload. */
static void exec_imminent(void)
{
	if (!init.wait_start)
		init_boot_mark(HY_BOOT_MARK_EXEC);
	if (init.ports)
		ioperm(HY_PORT_BASE, HY_PORT_COUNT, 0);
}

void child_default_signals(void)
{
	sigset_t none;

	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* The workload of the guest configuration, in its root; stdio is on the ports already. */
static void __attribute__((noreturn)) run_container(void)
{
	struct container_opts o = {
	    .test = init.test,
	    .root = init.root,
	    .test_shares = init.test_shares,
	    .debug = init.debug,
	    .log_fd = init.console,
	    .before_seccomp = exec_imminent,
	    .setup_terminal = init.terminal ? child_setup_tty : NULL,
	    .before_exec = child_wait_start,
	};
	struct container_error e;

	child_default_signals();
	/*
	 * A cgroup namespace rooted at the container's cgroup (the child is in
	 * it already), as runc gives one with the spec's cgroup namespace: the
	 * cgroup2 the spec mounts on /sys/fs/cgroup is then the container's own
	 * (its memory.max, pids.max...), and /proc/self/cgroup reads "0::/".
	 * The guest's hierarchy above it is hyrun-init's, nothing the workload
	 * has a use for. Exec'd processes join it (exec.c).
	 */
	if (unshare(CLONE_NEWCGROUP) < 0)
		init_dbg("hyrun-init: no cgroup namespace for the workload: %s", strerror(errno));
	container_exec(init.gc, &o, &e);
	child_say("%s", e.msg);
	child_fail(e.status ? e.status : STATUS_SETUP_FAILED, e.err);
}

/* --- a workload without a guest configuration ------------------------------------- */

/*
 * argv[0] as execvp() would find it in the workload's PATH, looked up before
 * the workload is held for START so that a missing command is reported
 * then. Returns 0 with the path in buf, or the errno execvp() would give.
 */
static int resolve_plain(const char *name, char *buf, size_t len)
{
	if (strchr(name, '/')) {
		snprintf(buf, len, "%s", name);
		return access(name, X_OK) == 0 ? 0 : errno;
	}
	return container_path_search(WORKLOAD_PATH, name, buf, len);
}

static void __attribute__((noreturn)) exec_failed(const char *name, int err)
{
	if (err == ENOENT && !strchr(name, '/'))
		child_say("hyrun-init: exec '%s': executable file not found in $PATH", name);
	else
		child_say("hyrun-init: exec '%s': %s", name, strerror(err));
	child_fail(err == ENOENT || err == ENOTDIR ? STATUS_NOT_FOUND : STATUS_NOT_EXECUTABLE, err);
}

static void __attribute__((noreturn)) run_plain(char **argv)
{
	char path[PATH_MAX];
	int err;

	if (init.terminal) {
		struct container_error e;

		if (child_setup_tty(&e) < 0) {
			child_say("hyrun-init: %s", e.msg);
			child_fail(e.status, e.err);
		}
	}

	clearenv();
	setenv("PATH", WORKLOAD_PATH, 1);
	setenv("HOME", WORKLOAD_HOME, 1);
	if (chdir("/") < 0)
		init_msg("hyrun-init: chdir '/': %s", strerror(errno));
	child_default_signals();

	err = resolve_plain(argv[0], path, sizeof(path));
	if (err)
		exec_failed(argv[0], err);
	/*
	 * ioperm() bits survive execve(); the workload must not be able to
	 * forge the exit report or boot marks.
	 */
	exec_imminent();
	child_wait_start();
	/* execvp(), not execv(): a script without "#!" still runs with /bin/sh. */
	execvp(path, argv);
	exec_failed(argv[0], errno);
}

void child_run(char **argv, const int stdio[3], int chan)
{
	int i;

	child.chan = chan;
	/* First, so that nothing the workload starts stays outside its cgroup. */
	cgroup_enter();
	setsid();
	for (i = 0; i < 3; i++) {
		if (dup2(stdio[i], i) < 0) {
			int err = errno;

			init_msg("hyrun-init: dup2: %s", strerror(err));
			child_fail(STATUS_SETUP_FAILED, err);
		}
	}
	for (i = 0; i < 3; i++)
		close(stdio[i]);
	/* Still the stderr port once a terminal has taken fds 0-2. */
	child.errport = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	cloexec_from(3);
	if (init.gc)
		run_container();
	run_plain(argv);
}
