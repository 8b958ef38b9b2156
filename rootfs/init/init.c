/* init.c: hyrun-init, the guest's PID 1: prepares the guest, runs the workload, reports its end. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/agent_proto.h"

/*
 * INIT_ERROR code for a failure of the guest's own setup (mounts, console
 * ports, fork). 125 is what docker/podman return when the runtime, not the
 * command, failed; it stays apart from 126/127 (command not executable /
 * not found) and from 128+N (killed by signal N).
 */
#define STATUS_SETUP_FAILED 125
#define STATUS_NOT_EXECUTABLE 126
#define STATUS_NOT_FOUND 127

/* The virtio-console ports appear asynchronously after virtio_console.ko loads. */
#define PORT_POLL_INTERVAL_NS 1000000L
#define PORT_TIMEOUT_MS 10000L

#define ARGV_MAX_BYTES (4 << 20)
#define SMALL_FILE_MAX (64 << 10)

#define WORKLOAD_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define WORKLOAD_HOME "/root"

static struct {
	/*
	 * Self-test mode (not PID 1, HYRUN_INIT_TEST_ROOT set): guest paths
	 * resolve under root, and nothing touches mounts, modules, I/O ports
	 * or power state. In a VM root is "".
	 */
	bool test;
	const char *root;
	bool debug;
	bool ports;  /* ioperm() succeeded: hyrun-vmm is listening */
	int console; /* diagnostics; -1 = fd 2 */
	int modules_failed;
	long port_timeout_ms;
	char port_dev[HY_CONSOLE_NR_PORTS][PATH_MAX];
} init = {.console = -1, .root = "", .port_timeout_ms = PORT_TIMEOUT_MS};

static const char *const port_names[HY_CONSOLE_NR_PORTS] = {
    [HY_CONSOLE_PORT_STDIN] = HY_CONSOLE_NAME_STDIN,
    [HY_CONSOLE_PORT_STDOUT] = HY_CONSOLE_NAME_STDOUT,
    [HY_CONSOLE_PORT_STDERR] = HY_CONSOLE_NAME_STDERR,
};

/* Signals PID 1 passes on to the workload's process group. */
static const int forwarded_signals[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

struct exec_failure {
	int status; /* INIT_ERROR code to report */
	int err;    /* errno of the failed step */
};

static void vmsg(const char *fmt, va_list ap)
{
	char buf[1024];
	int n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);

	if (n < 0)
		return;
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(init.console >= 0 ? init.console : STDERR_FILENO, buf, n) < 0) {
		/* nowhere left to say it */
	}
}

static void __attribute__((format(printf, 1, 2))) msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

static void __attribute__((format(printf, 1, 2))) dbg(const char *fmt, ...)
{
	va_list ap;

	if (!init.debug)
		return;
	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void boot_mark(enum hy_boot_mark mark)
{
	if (init.ports)
		outb(mark, HY_PORT_BOOTMARK);
}

/* A guest path, moved under the test root in self-test mode. */
static const char *gpath(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static const char *gpath(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(buf, len, "%s", init.root);

	if (n < 0 || (size_t)n >= len)
		n = 0;
	va_start(ap, fmt);
	vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
	return buf;
}

/* Reads a whole file into a NUL-terminated heap buffer; NULL with errno on failure. */
static char *read_file(const char *path, size_t max, size_t *lenp)
{
	size_t len = 0, cap = 4096;
	char *buf = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;

	if (fd < 0)
		return NULL;

	for (;;) {
		ssize_t got;

		if (!buf || len == cap) {
			char *nbuf;

			if (buf)
				cap *= 2;
			nbuf = realloc(buf, cap + 1);
			if (!nbuf)
				goto fail;
			buf = nbuf;
		}
		got = read(fd, buf + len, cap - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			goto fail;
		if (got == 0)
			break;
		len += got;
		if (len > max) {
			errno = EFBIG;
			goto fail;
		}
	}
	close(fd);
	buf[len] = '\0';
	if (lenp)
		*lenp = len;
	return buf;
fail:
	err = errno;
	free(buf);
	close(fd);
	errno = err;
	return NULL;
}

static void report(unsigned value)
{
	if (init.test) {
		printf("hyrun-init: exit-report 0x%x\n", value);
		fflush(stdout);
		return;
	}
	dbg("hyrun-init: reporting exit kind %u code %u", (value >> 8) & 0xff, value & 0xff);
	if (init.ports)
		outl(value, HY_PORT_EXIT);
	else
		msg("hyrun-init: workload finished: kind %u code %u", (value >> 8) & 0xff,
		    value & 0xff);
}

/*
 * hyrun-vmm normally stops the VM on the exit-port write; this is the way
 * out when it did not. reboot(2) runs in a child because for the caller it
 * ends in do_exit() when power-off does not happen, and PID 1 must never
 * exit (the kernel panics).
 */
static void __attribute__((noreturn)) power_off(void)
{
	pid_t pid;

	if (init.test)
		exit(0);
	sync();
	pid = fork();
	if (pid == 0) {
		reboot(RB_POWER_OFF);
		_exit(0);
	}
	for (;;) {
		if (waitpid(-1, NULL, 0) < 0 && errno == ECHILD)
			pause();
	}
}

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	report(HY_EXIT_VALUE(HY_EXIT_KIND_INIT_ERROR, STATUS_SETUP_FAILED));
	power_off();
}

/* True when something other than the parent's filesystem is mounted on dir. */
static bool is_mountpoint(const char *dir)
{
	char parent[PATH_MAX];
	struct stat st, pst;

	snprintf(parent, sizeof(parent), "%s/..", dir);
	if (stat(dir, &st) < 0 || stat(parent, &pst) < 0)
		return false;
	return st.st_dev != pst.st_dev;
}

struct mount_entry {
	const char *source;
	const char *target;
	const char *type;
	unsigned long flags;
	const char *data;
	mode_t mode;
	bool required;
};

static const struct mount_entry mounts[] = {
    /* The kernel mounts devtmpfs itself only with a root= device, not with an initramfs. */
    {"devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755", 0755, true},
    {"proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, 0555, true},
    {"sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, 0555, true},
    {"devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "ptmxmode=0666,mode=0620", 0755, false},
    {"tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", 01777, false},
    {"tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", 01777, false},
    {"tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755", 0755, false},
};

static const char *const dev_links[][2] = {
    {"/proc/self/fd", "/dev/fd"},
    {"/proc/self/fd/0", "/dev/stdin"},
    {"/proc/self/fd/1", "/dev/stdout"},
    {"/proc/self/fd/2", "/dev/stderr"},
};

static void mount_filesystems(void)
{
	size_t i;

	for (i = 0; i < sizeof(mounts) / sizeof(mounts[0]); i++) {
		const struct mount_entry *m = &mounts[i];

		if (mkdir(m->target, m->mode) < 0 && errno != EEXIST)
			dbg("hyrun-init: mkdir '%s': %s", m->target, strerror(errno));
		if (is_mountpoint(m->target))
			continue;
		if (mount(m->source, m->target, m->type, m->flags, m->data) == 0 || errno == EBUSY)
			continue;
		if (m->required)
			die("hyrun-init: mount %s on '%s': %s", m->type, m->target,
			    strerror(errno));
		msg("hyrun-init: mount %s on '%s': %s", m->type, m->target, strerror(errno));
	}
	for (i = 0; i < sizeof(dev_links) / sizeof(dev_links[0]); i++) {
		if (symlink(dev_links[i][0], dev_links[i][1]) < 0 && errno != EEXIST)
			msg("hyrun-init: symlink '%s': %s", dev_links[i][1], strerror(errno));
	}
	if (mkdir(WORKLOAD_HOME, 0700) < 0 && errno != EEXIST)
		dbg("hyrun-init: mkdir '%s': %s", WORKLOAD_HOME, strerror(errno));
}

/*
 * The kernel starts PID 1 with fds 0-2 on /dev/console, or with none when
 * the initramfs has no /dev/console. Keeping 0-2 taken means no later pipe
 * or port fd lands there and gets clobbered by the workload's dup2().
 */
static void open_console(void)
{
	int fd;

	for (fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) < 0)
			break;
	}
	if (init.test) {
		init.console = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
		return;
	}
	init.console = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);
}

static void read_flags(void)
{
	char path[PATH_MAX];
	char *buf, *line, *save = NULL;

	buf = read_file(gpath(path, sizeof(path), HY_INIT_FLAGS), SMALL_FILE_MAX, NULL);
	if (!buf)
		return;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *value = strchr(line, '=');

		if (!value)
			continue;
		*value++ = '\0';
		value[strcspn(value, " \t\r")] = '\0';
		if (strcmp(line, "debug") == 0)
			init.debug = strcmp(value, "1") == 0;
	}
	free(buf);
}

static void load_modules(void)
{
	char *buf, *line, *save = NULL;
	int dirfd;

	buf = read_file(HY_INIT_MODORDER, SMALL_FILE_MAX, NULL);
	if (!buf) {
		dbg("hyrun-init: no module list '%s': %s", HY_INIT_MODORDER, strerror(errno));
		return;
	}
	dirfd = open(HY_INIT_MODDIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int fd;

		line += strspn(line, " \t");
		line[strcspn(line, " \t\r")] = '\0';
		if (!*line || *line == '#')
			continue;
		fd = openat(dirfd, line, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			msg("hyrun-init: open module '%s': %s", line, strerror(errno));
			init.modules_failed++;
			continue;
		}
		/* EEXIST: the driver is built in or already loaded. */
		if (syscall(SYS_finit_module, fd, "", 0) < 0 && errno != EEXIST) {
			msg("hyrun-init: load module '%s': %s", line, strerror(errno));
			init.modules_failed++;
		} else {
			dbg("hyrun-init: module '%s' loaded (%ld ms)", line, now_ms());
		}
		close(fd);
	}
	if (dirfd >= 0)
		close(dirfd);
	free(buf);
}

/* One pass over the port class; returns the bit mask of ports found with their nodes. */
static unsigned scan_ports(unsigned found)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir;

	dir = opendir(gpath(path, sizeof(path), "/sys/class/virtio-ports"));
	if (!dir)
		return found;
	while ((de = readdir(dir))) {
		char name[64];
		ssize_t n;
		int fd, i;

		if (de->d_name[0] == '.')
			continue;
		fd = open(gpath(path, sizeof(path), "/sys/class/virtio-ports/%s/name", de->d_name),
			  O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, name, sizeof(name) - 1);
		close(fd);
		if (n <= 0)
			continue;
		name[n] = '\0';
		name[strcspn(name, "\n")] = '\0';
		for (i = 0; i < HY_CONSOLE_NR_PORTS; i++) {
			if ((found & (1u << i)) || strcmp(name, port_names[i]) != 0)
				continue;
			/* devtmpfs creates the node on its own schedule, after the class entry. */
			gpath(path, sizeof(path), "/dev/%s", de->d_name);
			if (access(path, F_OK) == 0) {
				strcpy(init.port_dev[i], path);
				found |= 1u << i;
			}
		}
	}
	closedir(dir);
	return found;
}

static void find_ports(void)
{
	const unsigned all = (1u << HY_CONSOLE_NR_PORTS) - 1;
	const struct timespec interval = {0, PORT_POLL_INTERVAL_NS};
	long start = now_ms();
	unsigned found = 0;
	int i;

	for (;;) {
		found = scan_ports(found);
		if (found == all)
			break;
		if (now_ms() - start >= init.port_timeout_ms) {
			for (i = 0; i < HY_CONSOLE_NR_PORTS; i++) {
				if (!(found & (1u << i)))
					msg("hyrun-init: virtio-console port '%s' not found",
					    port_names[i]);
			}
			die("hyrun-init: stdio ports missing after %ld ms (%d module(s) failed to "
			    "load); cannot run the workload",
			    init.port_timeout_ms, init.modules_failed);
		}
		nanosleep(&interval, NULL);
	}
	for (i = 0; i < HY_CONSOLE_NR_PORTS; i++)
		dbg("hyrun-init: port '%s' is %s (%ld ms)", port_names[i], init.port_dev[i],
		    now_ms());
}

static char **read_argv(void)
{
	static char *default_argv[] = {"/bin/sh", NULL};
	char path[PATH_MAX];
	size_t len, n = 0, i, off;
	char **argv;
	char *buf;

	buf = read_file(gpath(path, sizeof(path), HY_INIT_ARGV), ARGV_MAX_BYTES, &len);
	if (!buf || len == 0) {
		if (!buf && errno != ENOENT)
			msg("hyrun-init: read '%s': %s", path, strerror(errno));
		free(buf);
		return default_argv;
	}
	/* A missing final terminator is tolerated: read_file() NUL-terminates at len. */
	if (buf[len - 1] != '\0')
		len++;
	for (i = 0; i < len; i++)
		n += buf[i] == '\0';
	argv = calloc(n + 1, sizeof(*argv));
	if (!argv)
		die("hyrun-init: out of memory");
	for (i = 0, off = 0; i < n; i++) {
		argv[i] = buf + off;
		off += strlen(buf + off) + 1;
	}
	return argv;
}

static void __attribute__((noreturn)) child_fail(int errfd, int status, int err)
{
	struct exec_failure f = {.status = status, .err = err};

	if (write(errfd, &f, sizeof(f)) < 0) {
		/* the parent then sees the exit status alone */
	}
	_exit(status);
}

/* Everything not 0-2 must be gone once the workload runs, without closing errfd before exec. */
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

static void __attribute__((noreturn)) run_child(char **argv, int errfd)
{
	sigset_t none;
	int fds[HY_CONSOLE_NR_PORTS];
	int i, err, sig;

	setsid();
	/*
	 * virtio_console lets a port be open only once at a time (EBUSY), so
	 * each is opened here once and shared by dup2(). All three are opened
	 * before any dup2() so none can land on a slot that is then replaced.
	 */
	for (i = 0; i < HY_CONSOLE_NR_PORTS; i++) {
		int flags = i == HY_CONSOLE_PORT_STDIN ? O_RDONLY : O_WRONLY;

		fds[i] = open(init.port_dev[i], flags | O_NOCTTY | O_CLOEXEC);
		if (fds[i] < 0) {
			err = errno;
			msg("hyrun-init: open '%s': %s", init.port_dev[i], strerror(err));
			child_fail(errfd, STATUS_SETUP_FAILED, err);
		}
	}
	for (i = 0; i < HY_CONSOLE_NR_PORTS; i++) {
		if (dup2(fds[i], i) < 0) {
			err = errno;
			msg("hyrun-init: dup2: %s", strerror(err));
			child_fail(errfd, STATUS_SETUP_FAILED, err);
		}
	}
	for (i = 0; i < HY_CONSOLE_NR_PORTS; i++) {
		if (fds[i] != i)
			close(fds[i]);
	}
	cloexec_from(3);

	clearenv();
	setenv("PATH", WORKLOAD_PATH, 1);
	setenv("HOME", WORKLOAD_HOME, 1);
	if (chdir("/") < 0)
		msg("hyrun-init: chdir '/': %s", strerror(errno));

	for (sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	boot_mark(HY_BOOT_MARK_EXEC);
	/*
	 * ioperm() bits survive execve(); the workload must not be able to
	 * forge the exit report or boot marks.
	 */
	if (init.ports)
		ioperm(HY_PORT_BASE, HY_PORT_COUNT, 0);
	execvp(argv[0], argv);
	err = errno;

	if ((err == ENOENT) && !strchr(argv[0], '/'))
		dprintf(STDERR_FILENO,
			"hyrun-init: exec '%s': executable file not found in $PATH\n", argv[0]);
	else
		dprintf(STDERR_FILENO, "hyrun-init: exec '%s': %s\n", argv[0], strerror(err));
	child_fail(errfd,
		   err == ENOENT || err == ENOTDIR ? STATUS_NOT_FOUND : STATUS_NOT_EXECUTABLE, err);
}

static void forward_signal(pid_t pid, int sig)
{
	/* Before the child's setsid() its group does not exist yet. */
	if (kill(-pid, sig) < 0 && errno == ESRCH)
		kill(pid, sig);
	dbg("hyrun-init: forwarded signal %d to %d", sig, (int)pid);
}

/*
 * Runs the workload and returns its exit report. Signals stay blocked in
 * PID 1 and are taken with sigwaitinfo(): no handler races, and a blocked
 * signal is queued even for init, which the kernel otherwise spares from
 * signals it has no handler for.
 */
static unsigned run_workload(char **argv, const sigset_t *waitset)
{
	struct exec_failure f;
	int pfd[2], status = 0;
	int init_error = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		die("hyrun-init: pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		die("hyrun-init: fork: %s", strerror(errno));
	if (pid == 0) {
		close(pfd[0]);
		run_child(argv, pfd[1]);
	}
	close(pfd[1]);
	/* EOF: the write end closed on a successful execve(). */
	do
		n = read(pfd[0], &f, sizeof(f));
	while (n < 0 && errno == EINTR);
	close(pfd[0]);
	if (n == sizeof(f)) {
		init_error = f.status;
		dbg("hyrun-init: workload did not start: %s", strerror(f.err));
	} else {
		dbg("hyrun-init: workload %d started (%ld ms)", (int)pid, now_ms());
	}

	for (;;) {
		siginfo_t si;
		pid_t w;
		int sig = sigwaitinfo(waitset, &si);

		if (sig < 0) {
			if (errno == EINTR)
				continue;
			die("hyrun-init: sigwaitinfo: %s", strerror(errno));
		}
		if (sig != SIGCHLD) {
			forward_signal(pid, sig);
			continue;
		}
		/* SIGCHLD coalesces: reap every child that is done, orphans included. */
		while ((w = waitpid(-1, &status, WNOHANG)) > 0) {
			if (w == pid)
				goto done;
		}
	}
done:
	/*
	 * Nothing of the workload's output is held back in here: PID 1 never
	 * opens the ports, and virtio_console has queued the data to the host
	 * by the time each write() returned. hyrun-vmm drains the queues
	 * before it acts on the exit report.
	 */
	if (init_error)
		return HY_EXIT_VALUE(HY_EXIT_KIND_INIT_ERROR, init_error);
	if (WIFSIGNALED(status))
		return HY_EXIT_VALUE(HY_EXIT_KIND_SIGNALED, WTERMSIG(status));
	return HY_EXIT_VALUE(HY_EXIT_KIND_EXITED, WEXITSTATUS(status));
}

static void setup_test_mode(void)
{
	const char *root = getenv("HYRUN_INIT_TEST_ROOT");
	const char *timeout = getenv("HYRUN_INIT_TEST_PORT_TIMEOUT_MS");

	if (!root || !*root) {
		fprintf(stderr, "hyrun-init: must run as PID 1 of a hyrun guest "
				"(HYRUN_INIT_TEST_ROOT=<dir> selects the self-test mode)\n");
		exit(2);
	}
	init.test = true;
	init.root = root;
	if (timeout)
		init.port_timeout_ms = strtol(timeout, NULL, 10);
	/* Stand in for PID 1 so orphans of the workload are reaped here too. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
}

int main(int argc, char **argv)
{
	sigset_t waitset;
	size_t i;

	if (getpid() == 1) {
		/* Without the ports (another VMM) everything but the report still works. */
		init.ports = ioperm(HY_PORT_BASE, HY_PORT_COUNT, 1) == 0;
		boot_mark(HY_BOOT_MARK_INIT);
	} else {
		setup_test_mode();
	}

	sigemptyset(&waitset);
	sigaddset(&waitset, SIGCHLD);
	for (i = 0; i < sizeof(forwarded_signals) / sizeof(forwarded_signals[0]); i++)
		sigaddset(&waitset, forwarded_signals[i]);
	sigprocmask(SIG_BLOCK, &waitset, NULL);

	if (!init.test)
		mount_filesystems();
	open_console();
	read_flags();
	dbg("hyrun-init: started (%ld ms)%s", now_ms(), init.ports ? "" : ", no report port");
	if (!init.test)
		load_modules();
	find_ports();

	report(run_workload(read_argv(), &waitset));
	power_off();
}
