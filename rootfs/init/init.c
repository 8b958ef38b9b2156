/* init.c: hyrun-init, the guest's PID 1: prepares the guest, runs the workload, reports its end. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "common/agent_proto.h"
#include "oci/spec.h"
#include "rootfs/init/container.h"

/*
 * INIT_ERROR code for a failure of the guest's own setup (mounts, console
 * ports, fork). 125 is what docker/podman return when the runtime, not the
 * command, failed; it stays apart from 126/127 (command not executable /
 * not found) and from 128+N (killed by signal N).
 */
#define STATUS_SETUP_FAILED HY_INIT_STATUS_SETUP
#define STATUS_NOT_EXECUTABLE HY_INIT_STATUS_NOEXEC
#define STATUS_NOT_FOUND HY_INIT_STATUS_NOTFOUND

/* The virtio-console ports appear asynchronously after virtio_console.ko loads. */
#define PORT_POLL_INTERVAL_NS 1000000L
#define PORT_TIMEOUT_MS 10000L
/* The control port comes with the stdio ones (same device, added in order);
 * an older VMM has none, and the workload then runs without it. */
#define CONTROL_PORT_GRACE_MS 1000L
/* The stdio ports every workload needs. */
#define STDIO_PORTS                                                                                \
	((1u << HY_CONSOLE_PORT_STDIN) | (1u << HY_CONSOLE_PORT_STDOUT) |                          \
	 (1u << HY_CONSOLE_PORT_STDERR))

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
	const char *test_shares; /* HYRUN_INIT_TEST_SHARES: share tag T is <dir>/T */
	bool debug;
	bool wait_start; /* flag wait_start=1: hold the prepared workload until START */
	bool terminal;	 /* flag terminal=1: the workload's stdio is a pty */
	bool ports;	 /* ioperm() succeeded: hyrun-vmm is listening */
	int console;	 /* diagnostics; -1 = fd 2 */
	int modules_failed;
	long port_timeout_ms;
	long control_grace_ms;
	unsigned ports_found;
	char port_dev[HY_CONSOLE_NR_PORTS][PATH_MAX];
	struct oci_spec spec;
	bool has_spec; /* HY_INIT_CONFIG exists: run the workload in its container root */
} init = {.console = -1,
	  .root = "",
	  .port_timeout_ms = PORT_TIMEOUT_MS,
	  .control_grace_ms = CONTROL_PORT_GRACE_MS};

static const char *const port_names[HY_CONSOLE_NR_PORTS] = {
    [HY_CONSOLE_PORT_STDIN] = HY_CONSOLE_NAME_STDIN,
    [HY_CONSOLE_PORT_STDOUT] = HY_CONSOLE_NAME_STDOUT,
    [HY_CONSOLE_PORT_STDERR] = HY_CONSOLE_NAME_STDERR,
    [HY_CONSOLE_PORT_CONTROL] = HY_CONSOLE_NAME_CONTROL,
};

/* Signals PID 1 passes on to the workload's process group. */
static const int forwarded_signals[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

/*
 * From the workload child to PID 1, over a SOCK_SEQPACKET pair that is
 * close-on-exec in the child: end of file there means the execve()
 * succeeded. PID 1 answers CHILD_PREPARED with one byte: go.
 */
enum child_msg_kind {
	CHILD_FAILED = 1, /* status: INIT_ERROR code to report; err: errno of the step */
	CHILD_PREPARED,	  /* wait_start: everything but the execve() is done */
	CHILD_TTY,	  /* terminal: the pty's master comes with it (SCM_RIGHTS) */
};

struct child_msg {
	int kind;
	int status;
	int err;
};

/* In the workload child, before its execve(). */
static struct {
	int chan;    /* its end of the pair to PID 1 */
	int errport; /* the stderr port, for hyrun-init's own messages */
} child = {-1, -1};

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
		else if (strcmp(line, "wait_start") == 0)
			init.wait_start = strcmp(value, "1") == 0;
		else if (strcmp(line, "terminal") == 0)
			init.terminal = strcmp(value, "1") == 0;
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
		/* EEXIST: the driver is built in or already loaded. ENOSYS: a
		 * kernel without module support has every driver it needs
		 * built in (the minimal guest kernel); the rest are skipped. */
		if (syscall(SYS_finit_module, fd, "", 0) == 0 || errno == EEXIST) {
			dbg("hyrun-init: module '%s' loaded (%ld ms)", line, now_ms());
		} else if (errno == ENOSYS) {
			dbg("hyrun-init: the kernel loads no modules; '%s' and the rest skipped",
			    line);
			close(fd);
			break;
		} else {
			msg("hyrun-init: load module '%s': %s", line, strerror(errno));
			init.modules_failed++;
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
	long start = now_ms(), stdio_at = -1;
	unsigned found = 0;
	int i;

	for (;;) {
		found = scan_ports(found);
		if (found == all)
			break;
		if ((found & STDIO_PORTS) == STDIO_PORTS) {
			if (stdio_at < 0)
				stdio_at = now_ms();
			if (now_ms() - stdio_at >= init.control_grace_ms) {
				dbg("hyrun-init: no control port; host signals and requests do not "
				    "reach the workload");
				break;
			}
		} else if (now_ms() - start >= init.port_timeout_ms) {
			for (i = 0; i < HY_CONSOLE_NR_PORTS; i++) {
				if (!(found & (1u << i)) && (STDIO_PORTS & (1u << i)))
					msg("hyrun-init: virtio-console port '%s' not found",
					    port_names[i]);
			}
			die("hyrun-init: stdio ports missing after %ld ms (%d module(s) failed to "
			    "load); cannot run the workload",
			    init.port_timeout_ms, init.modules_failed);
		}
		nanosleep(&interval, NULL);
	}
	init.ports_found = found;
	for (i = 0; i < HY_CONSOLE_NR_PORTS; i++)
		if (found & (1u << i))
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

/* --- the workload child, until its execve() ------------------------------------ */

static void __attribute__((format(printf, 1, 2))) child_say(const char *fmt, ...)
{
	char buf[1200];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(child.errport >= 0 ? child.errport : STDERR_FILENO, buf, n) < 0) {
		/* the exit report says enough */
	}
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

static int tty_error(struct container_error *e, int err, const char *what)
{
	e->status = STATUS_SETUP_FAILED;
	e->err = err;
	snprintf(e->msg, sizeof(e->msg), "terminal: %s: %s", what, strerror(err));
	return -1;
}

static int send_master(int master)
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
	return sendmsg(child.chan, &mh, 0) == (ssize_t)sizeof(m) ? 0 : -1;
}

/*
 * A pty from the devpts of the workload's own root (so that ttyname() finds
 * its slave there), the slave as the controlling terminal and stdin, stdout
 * and stderr, the master handed to PID 1, which relays it to the ports.
 * Runs after the child's setsid(), as root, before user, capabilities and
 * seccomp are applied.
 */
static int child_setup_tty(struct container_error *e)
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
	if (send_master(master) < 0) {
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
		boot_mark(HY_BOOT_MARK_EXEC);
	if (init.ports)
		ioperm(HY_PORT_BASE, HY_PORT_COUNT, 0);
}

/* The workload from config.json, in its root; stdio is on the ports already. */
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
	sigset_t none;
	int sig;

	for (sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	container_exec(&init.spec, &o, &e);
	child_say("%s", e.msg);
	child_fail(e.status ? e.status : STATUS_SETUP_FAILED, e.err);
}

/*
 * argv[0] as execvp() would find it in the workload's PATH, looked up before
 * the workload is held for START so that a missing command is reported
 * then. Returns 0 with the path in buf, or the errno execvp() would give.
 */
static int resolve_plain(const char *name, char *buf, size_t len)
{
	const char *p = WORKLOAD_PATH;
	bool denied = false;

	if (strchr(name, '/')) {
		snprintf(buf, len, "%s", name);
		return access(name, X_OK) == 0 ? 0 : errno;
	}
	while (p) {
		const char *end = strchr(p, ':');
		size_t dlen = end ? (size_t)(end - p) : strlen(p);
		struct stat st;

		snprintf(buf, len, "%.*s/%s", (int)dlen, p, name);
		if (stat(buf, &st) == 0 && S_ISREG(st.st_mode)) {
			if (access(buf, X_OK) == 0)
				return 0;
			denied = true;
		}
		p = end ? end + 1 : NULL;
	}
	return denied ? EACCES : ENOENT;
}

static void __attribute__((noreturn)) exec_failed(const char *name, int err)
{
	if (err == ENOENT && !strchr(name, '/'))
		child_say("hyrun-init: exec '%s': executable file not found in $PATH", name);
	else
		child_say("hyrun-init: exec '%s': %s", name, strerror(err));
	child_fail(err == ENOENT || err == ENOTDIR ? STATUS_NOT_FOUND : STATUS_NOT_EXECUTABLE, err);
}

/* stdio[]: the stdin, stdout and stderr ports, opened by PID 1. */
static void __attribute__((noreturn)) run_child(char **argv, const int stdio[3])
{
	char path[PATH_MAX];
	sigset_t none;
	int i, err, sig;

	setsid();
	for (i = 0; i < 3; i++) {
		if (dup2(stdio[i], i) < 0) {
			err = errno;
			msg("hyrun-init: dup2: %s", strerror(err));
			child_fail(STATUS_SETUP_FAILED, err);
		}
	}
	for (i = 0; i < 3; i++)
		close(stdio[i]);
	/* Still the stderr port once a terminal has taken fds 0-2. */
	child.errport = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	cloexec_from(3);
	if (init.has_spec)
		run_container();
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
		msg("hyrun-init: chdir '/': %s", strerror(errno));

	for (sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

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

/* --- PID 1 while the workload runs ------------------------------------------------ */

/* One direction of the terminal relay: `from` -> buf -> `to`. */
struct relay {
	int from, to;
	bool eof;    /* nothing more comes from `from` */
	bool broken; /* `to` fails: what comes is dropped */
	size_t len, off;
	char buf[4096];
};

static struct {
	pid_t pid;
	int chan; /* to the child until its execve(); -1 after */
	bool prepared, start_requested, released;
	int init_error;
	int master; /* terminal: the pty's master, -1 until the child sends it */
	bool have_winsize;
	struct winsize winsize;
	struct relay in;  /* stdin port -> master */
	struct relay out; /* master -> stdout port */
	struct hy_ctl_decoder dec;
} wl = {.chan = -1, .master = -1};

static void relay_read(struct relay *r)
{
	ssize_t n = read(r->from, r->buf, sizeof(r->buf));

	if (n > 0) {
		r->off = 0;
		r->len = r->broken ? 0 : (size_t)n;
	} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
		/* EIO from a master: every slave descriptor is closed. */
		r->eof = true;
	}
}

static void relay_write(struct relay *r)
{
	ssize_t n = write(r->to, r->buf + r->off, r->len - r->off);

	if (n > 0)
		r->off += (size_t)n;
	else if (n < 0 && errno != EAGAIN && errno != EINTR) {
		dbg("hyrun-init: terminal relay: %s; dropping what follows", strerror(errno));
		r->broken = true;
	}
	if (r->broken || r->off == r->len)
		r->len = r->off = 0;
}

static void set_master(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		msg("hyrun-init: terminal: non-blocking master: %s", strerror(errno));
	wl.master = fd;
	wl.in.to = fd;
	wl.out.from = fd;
	if (wl.have_winsize && ioctl(fd, TIOCSWINSZ, &wl.winsize) < 0)
		msg("hyrun-init: terminal: window size: %s", strerror(errno));
	dbg("hyrun-init: terminal ready (%ld ms)", now_ms());
}

static void try_release(void)
{
	char go = 1;

	if (!wl.start_requested || !wl.prepared || wl.released || wl.chan < 0)
		return;
	if (write(wl.chan, &go, 1) != 1)
		msg("hyrun-init: releasing the workload: %s", strerror(errno));
	wl.released = true;
	boot_mark(HY_BOOT_MARK_EXEC);
	dbg("hyrun-init: workload released (%ld ms)", now_ms());
}

/* One message from the child, or its end of the channel closing. */
static void read_child_msg(int flags)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct child_msg m;
	struct iovec iov = {.iov_base = &m, .iov_len = sizeof(m)};
	struct msghdr mh = {
	    .msg_iov = &iov,
	    .msg_iovlen = 1,
	    .msg_control = u.buf,
	    .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm;
	ssize_t n;
	int fd = -1;

	n = recvmsg(wl.chan, &mh, MSG_CMSG_CLOEXEC | flags);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		dbg("hyrun-init: set-up channel closed: the workload %s (%ld ms)",
		    wl.init_error ? "did not start" : "was exec'd or has ended", now_ms());
		close(wl.chan);
		wl.chan = -1;
		return;
	}
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
		    cm->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	if (n == sizeof(m) && m.kind == CHILD_TTY && fd >= 0 && wl.master < 0) {
		set_master(fd);
		return;
	}
	if (fd >= 0)
		close(fd);
	if (n != sizeof(m)) {
		msg("hyrun-init: malformed message from the workload's set-up");
		return;
	}
	switch (m.kind) {
	case CHILD_FAILED:
		wl.init_error = m.status;
		dbg("hyrun-init: workload did not start: %s", strerror(m.err));
		break;
	case CHILD_PREPARED:
		wl.prepared = true;
		boot_mark(HY_BOOT_MARK_READY);
		dbg("hyrun-init: workload prepared (%ld ms)", now_ms());
		try_release();
		break;
	default:
		break;
	}
}

static void forward_signal(pid_t pid, int sig)
{
	/* Before the child's setsid() its group does not exist yet. */
	if (kill(-pid, sig) < 0 && errno == ESRCH)
		kill(pid, sig);
	dbg("hyrun-init: forwarded signal %d to %d", sig, (int)pid);
}

static void control_message(const struct hy_ctl_event *ev)
{
	switch (ev->kind) {
	case HY_CTL_EV_SIGNAL:
		forward_signal(wl.pid, ev->sig);
		break;
	case HY_CTL_EV_SIG_ALL:
		/* In self-test mode "everything" would be the test machine's. */
		if (init.test) {
			forward_signal(wl.pid, ev->sig);
			break;
		}
		if (kill(-1, ev->sig) < 0 && errno != ESRCH)
			msg("hyrun-init: signal %d to every process: %s", ev->sig, strerror(errno));
		dbg("hyrun-init: signal %d to every process", ev->sig);
		break;
	case HY_CTL_EV_START:
		if (!init.wait_start) {
			dbg("hyrun-init: start without wait_start ignored");
			break;
		}
		wl.start_requested = true;
		try_release();
		break;
	case HY_CTL_EV_WINSIZE:
		wl.winsize = (struct winsize){.ws_row = ev->rows, .ws_col = ev->cols};
		wl.have_winsize = true;
		/* The kernel sends the pty's foreground group SIGWINCH. */
		if (wl.master >= 0 && ioctl(wl.master, TIOCSWINSZ, &wl.winsize) < 0)
			msg("hyrun-init: terminal: window size: %s", strerror(errno));
		break;
	default:
		dbg("hyrun-init: ignoring byte %u from the control port", ev->byte);
		break;
	}
}

/* The host's control messages (agent_proto.h). Returns the fd, or -1 once
 * it is closed (end of file or error). */
static int read_control_port(int fd)
{
	unsigned char buf[64];
	ssize_t n = read(fd, buf, sizeof(buf));
	struct hy_ctl_event ev;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return fd;
	if (n <= 0) {
		dbg("hyrun-init: control port closed (%s)", n < 0 ? strerror(errno) : "EOF");
		close(fd);
		return -1;
	}
	for (ssize_t i = 0; i < n; i++)
		if (hy_ctl_decode(&wl.dec, buf[i], &ev) != HY_CTL_NONE)
			control_message(&ev);
	return fd;
}

/* The workload has ended: what it wrote to the terminal and is still in the
 * pty, out to the stdout port. Descendants that keep the slave open may
 * write more; that is not waited for. */
static void drain_terminal(void)
{
	if (wl.master < 0)
		return;
	for (;;) {
		while (wl.out.len) {
			struct pollfd p = {.fd = wl.out.to, .events = POLLOUT};

			if (poll(&p, 1, -1) < 0 && errno != EINTR)
				return;
			relay_write(&wl.out);
		}
		if (wl.out.eof)
			return;
		relay_read(&wl.out);
		if (!wl.out.len)
			return; /* EAGAIN or the end */
	}
}

static void poll_add(struct pollfd *pl, int *n, int *idx, int fd, short events)
{
	*idx = -1;
	if (fd < 0 || !events)
		return;
	pl[*n] = (struct pollfd){.fd = fd, .events = events};
	*idx = (*n)++;
}

/*
 * Runs the workload and returns its exit report. Signals stay blocked in
 * PID 1 and are read from a signalfd, next to the host's control port: no
 * handler races, and a blocked signal is queued even for init, which the
 * kernel otherwise spares from signals it has no handler for.
 */
static unsigned run_workload(char **argv, const sigset_t *waitset)
{
	int stdio[3], pair[2], status = 0;
	int sfd, ctlport = -1, i;
	pid_t pid;

	sfd = signalfd(-1, waitset, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		die("hyrun-init: signalfd: %s", strerror(errno));
	/* Open before the fork, so messages the host sends while the workload
	 * starts are already queued in the guest for us. */
	if (init.ports_found & (1u << HY_CONSOLE_PORT_CONTROL)) {
		ctlport = open(init.port_dev[HY_CONSOLE_PORT_CONTROL],
			       O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (ctlport < 0)
			msg("hyrun-init: open '%s': %s", init.port_dev[HY_CONSOLE_PORT_CONTROL],
			    strerror(errno));
	}
	/*
	 * virtio_console lets a port be open only once at a time (EBUSY), so
	 * each is opened here once: the child gets them as fds 0-2, and with a
	 * terminal PID 1 keeps stdin and stdout for the relay.
	 */
	for (i = 0; i < 3; i++) {
		int flags = i == HY_CONSOLE_PORT_STDIN ? O_RDONLY : O_WRONLY;

		stdio[i] = open(init.port_dev[i], flags | O_NOCTTY | O_CLOEXEC);
		if (stdio[i] < 0)
			die("hyrun-init: open '%s': %s", init.port_dev[i], strerror(errno));
	}

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
		die("hyrun-init: socketpair: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		die("hyrun-init: fork: %s", strerror(errno));
	if (pid == 0) {
		close(pair[0]);
		child.chan = pair[1];
		if (ctlport >= 0)
			close(ctlport);
		run_child(argv, stdio);
	}
	close(pair[1]);
	wl.pid = pid;
	wl.chan = pair[0];
	close(stdio[HY_CONSOLE_PORT_STDERR]);
	if (init.terminal) {
		wl.in = (struct relay){.from = stdio[HY_CONSOLE_PORT_STDIN], .to = -1};
		wl.out = (struct relay){.from = -1, .to = stdio[HY_CONSOLE_PORT_STDOUT]};
	} else {
		close(stdio[HY_CONSOLE_PORT_STDIN]);
		close(stdio[HY_CONSOLE_PORT_STDOUT]);
	}

	for (;;) {
		struct pollfd pl[7];
		int np = 0, i_sfd, i_ctl, i_chan, i_pin, i_pout, i_master;
		struct signalfd_siginfo si;
		bool tty = wl.master >= 0;
		ssize_t n;
		pid_t w;

		poll_add(pl, &np, &i_sfd, sfd, POLLIN);
		poll_add(pl, &np, &i_ctl, ctlport, POLLIN);
		poll_add(pl, &np, &i_chan, wl.chan, POLLIN);
		poll_add(pl, &np, &i_pin, tty && !wl.in.eof && !wl.in.len ? wl.in.from : -1,
			 POLLIN);
		poll_add(pl, &np, &i_pout, tty && wl.out.len ? wl.out.to : -1, POLLOUT);
		poll_add(pl, &np, &i_master, tty ? wl.master : -1,
			 (wl.in.len ? POLLOUT : 0) | (!wl.out.eof && !wl.out.len ? POLLIN : 0));
		if (poll(pl, np, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("hyrun-init: poll: %s", strerror(errno));
		}
		if (i_ctl >= 0 && pl[i_ctl].revents)
			ctlport = read_control_port(ctlport);
		if (i_chan >= 0 && pl[i_chan].revents)
			read_child_msg(0);
		if (i_pin >= 0 && pl[i_pin].revents)
			relay_read(&wl.in);
		if (i_pout >= 0 && pl[i_pout].revents)
			relay_write(&wl.out);
		if (i_master >= 0 && pl[i_master].revents) {
			if (wl.in.len && (pl[i_master].revents & (POLLOUT | POLLERR | POLLHUP)))
				relay_write(&wl.in);
			if (!wl.out.eof && !wl.out.len &&
			    (pl[i_master].revents & (POLLIN | POLLERR | POLLHUP)))
				relay_read(&wl.out);
		}
		if (!pl[i_sfd].revents)
			continue;
		n = read(sfd, &si, sizeof(si));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n != sizeof(si))
			die("hyrun-init: reading signals: %s",
			    n < 0 ? strerror(errno) : "short read");
		if (si.ssi_signo != SIGCHLD) {
			forward_signal(pid, (int)si.ssi_signo);
			continue;
		}
		/* SIGCHLD coalesces: reap every child that is done, orphans included. */
		while ((w = waitpid(-1, &status, WNOHANG)) > 0) {
			if (w == pid)
				goto done;
		}
	}
done:
	/* What the child said before it ended (a failure that raced its exit). */
	while (wl.chan >= 0)
		read_child_msg(MSG_DONTWAIT);
	/*
	 * Nothing of the workload's output is held back in here: without a
	 * terminal PID 1 has closed its copies of the ports, and virtio_console
	 * has queued the data to the host by the time each write() returned;
	 * with one, the pty is drained now. hyrun-vmm drains the queues before
	 * it acts on the exit report.
	 */
	drain_terminal();
	if (wl.master >= 0)
		close(wl.master);
	if (init.terminal) {
		close(wl.in.from);
		close(wl.out.to);
	}
	close(sfd);
	if (ctlport >= 0)
		close(ctlport);
	if (wl.init_error)
		return HY_EXIT_VALUE(HY_EXIT_KIND_INIT_ERROR, wl.init_error);
	if (WIFSIGNALED(status))
		return HY_EXIT_VALUE(HY_EXIT_KIND_SIGNALED, WTERMSIG(status));
	return HY_EXIT_VALUE(HY_EXIT_KIND_EXITED, WEXITSTATUS(status));
}

/* Where the workload learns why it never ran: its stderr port. */
static void port_error(const char *text)
{
	int fd = open(init.port_dev[HY_CONSOLE_PORT_STDERR], O_WRONLY | O_NOCTTY | O_CLOEXEC);

	msg("%s", text);
	if (fd >= 0) {
		dprintf(fd, "%s\n", text);
		close(fd);
	}
}

static void load_spec(void)
{
	char path[PATH_MAX], err[1024], text[1100];

	gpath(path, sizeof(path), HY_INIT_CONFIG);
	if (access(path, F_OK) < 0)
		return;
	if (oci_spec_load(&init.spec, path, 0, err, sizeof(err)) < 0) {
		snprintf(text, sizeof(text), "hyrun-init: %s", err);
		port_error(text);
		report(HY_EXIT_VALUE(HY_EXIT_KIND_INIT_ERROR, STATUS_SETUP_FAILED));
		power_off();
	}
	init.has_spec = true;
	dbg("hyrun-init: running '%s' from %s", init.spec.args[0], HY_INIT_CONFIG);
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
	init.test_shares = getenv("HYRUN_INIT_TEST_SHARES");
	/* A fake tree without a control port should not cost a second per run. */
	init.control_grace_ms = 0;
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
	load_spec();

	report(run_workload(init.has_spec ? (char **)init.spec.args : read_argv(), &waitset));
	power_off();
}
