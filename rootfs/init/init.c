/* init.c: hyrun-init, the guest's PID 1: boot (mounts, modules, ports, flags, config). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
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
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/agent_proto.h"
#include "common/fdio.h"
#include "common/guest_config.h"
#include "common/time.h"
#include "rootfs/init/agent.h"
#include "rootfs/init/init.h"
#include "rootfs/init/net.h"

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
#define CONFIG_MAX_BYTES (16 << 20)

struct init_state init = {.console = -1,
			  .root = "",
			  .port_timeout_ms = PORT_TIMEOUT_MS,
			  .control_grace_ms = CONTROL_PORT_GRACE_MS};

/* HY_INIT_CONFIG, decoded; init.gc points here when there is one. */
static struct guest_config config;

static const char *const port_names[HY_CONSOLE_NR_PORTS] = {
    [HY_CONSOLE_PORT_STDIN] = HY_CONSOLE_NAME_STDIN,
    [HY_CONSOLE_PORT_STDOUT] = HY_CONSOLE_NAME_STDOUT,
    [HY_CONSOLE_PORT_STDERR] = HY_CONSOLE_NAME_STDERR,
    [HY_CONSOLE_PORT_CONTROL] = HY_CONSOLE_NAME_CONTROL,
};

/* Signals PID 1 passes on to the workload's process group. */
static const int forwarded_signals[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

static void vmsg(const char *fmt, va_list ap)
{
	/* When this fails there is nowhere left to say it. */
	hy_vwrite_line(init.console >= 0 ? init.console : STDERR_FILENO, fmt, ap);
}

void init_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

void init_dbg(const char *fmt, ...)
{
	va_list ap;

	if (!init.debug)
		return;
	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

void init_boot_mark(enum hy_boot_mark mark)
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
	init_dbg("hyrun-init: reporting exit kind %u code %u", (value >> 8) & 0xff, value & 0xff);
	if (init.ports)
		outl(value, HY_PORT_EXIT);
	else
		init_msg("hyrun-init: workload finished: kind %u code %u", (value >> 8) & 0xff,
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

void init_die(const char *fmt, ...)
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
			init_dbg("hyrun-init: mkdir '%s': %s", m->target, strerror(errno));
		if (is_mountpoint(m->target))
			continue;
		if (mount(m->source, m->target, m->type, m->flags, m->data) == 0 || errno == EBUSY)
			continue;
		if (m->required)
			init_die("hyrun-init: mount %s on '%s': %s", m->type, m->target,
				 strerror(errno));
		init_msg("hyrun-init: mount %s on '%s': %s", m->type, m->target, strerror(errno));
	}
	for (i = 0; i < sizeof(dev_links) / sizeof(dev_links[0]); i++) {
		if (symlink(dev_links[i][0], dev_links[i][1]) < 0 && errno != EEXIST)
			init_msg("hyrun-init: symlink '%s': %s", dev_links[i][1], strerror(errno));
	}
	if (mkdir(WORKLOAD_HOME, 0700) < 0 && errno != EEXIST)
		init_dbg("hyrun-init: mkdir '%s': %s", WORKLOAD_HOME, strerror(errno));
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
		init_dbg("hyrun-init: no module list '%s': %s", HY_INIT_MODORDER, strerror(errno));
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
			init_msg("hyrun-init: open module '%s': %s", line, strerror(errno));
			init.modules_failed++;
			continue;
		}
		/* EEXIST: the driver is built in or already loaded. ENOSYS: a
		 * kernel without module support has every driver it needs
		 * built in (the minimal guest kernel); the rest are skipped. */
		if (syscall(SYS_finit_module, fd, "", 0) == 0 || errno == EEXIST) {
			init_dbg("hyrun-init: module '%s' loaded (%" PRId64 " ms)", line,
				 hy_now_ms());
		} else if (errno == ENOSYS) {
			init_dbg(
			    "hyrun-init: the kernel loads no modules; '%s' and the rest skipped",
			    line);
			close(fd);
			break;
		} else {
			init_msg("hyrun-init: load module '%s': %s", line, strerror(errno));
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
	int64_t start = hy_now_ms(), stdio_at = -1;
	unsigned found = 0;
	int i;

	for (;;) {
		found = scan_ports(found);
		if (found == all)
			break;
		if ((found & STDIO_PORTS) == STDIO_PORTS) {
			if (stdio_at < 0)
				stdio_at = hy_now_ms();
			if (hy_now_ms() - stdio_at >= init.control_grace_ms) {
				init_dbg(
				    "hyrun-init: no control port; host signals and requests do not "
				    "reach the workload");
				break;
			}
		} else if (hy_now_ms() - start >= init.port_timeout_ms) {
			for (i = 0; i < HY_CONSOLE_NR_PORTS; i++) {
				if (!(found & (1u << i)) && (STDIO_PORTS & (1u << i)))
					init_msg("hyrun-init: virtio-console port '%s' not found",
						 port_names[i]);
			}
			init_die(
			    "hyrun-init: stdio ports missing after %ld ms (%d module(s) failed to "
			    "load); cannot run the workload",
			    init.port_timeout_ms, init.modules_failed);
		}
		nanosleep(&interval, NULL);
	}
	init.ports_found = found;
	for (i = 0; i < HY_CONSOLE_NR_PORTS; i++)
		if (found & (1u << i))
			init_dbg("hyrun-init: port '%s' is %s (%" PRId64 " ms)", port_names[i],
				 init.port_dev[i], hy_now_ms());
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
			init_msg("hyrun-init: read '%s': %s", path, strerror(errno));
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
		init_die("hyrun-init: out of memory");
	for (i = 0, off = 0; i < n; i++) {
		argv[i] = buf + off;
		off += strlen(buf + off) + 1;
	}
	return argv;
}

/* Where the workload learns why it never ran: its stderr port. */
static void port_error(const char *text)
{
	int fd = open(init.port_dev[HY_CONSOLE_PORT_STDERR], O_WRONLY | O_NOCTTY | O_CLOEXEC);

	init_msg("%s", text);
	if (fd >= 0) {
		hy_write_line(fd, "%s", text);
		close(fd);
	}
}

static void __attribute__((noreturn)) config_failed(const char *err)
{
	char text[1100];

	snprintf(text, sizeof(text), "hyrun-init: %s", err);
	port_error(text);
	report(HY_EXIT_VALUE(HY_EXIT_KIND_INIT_ERROR, STATUS_SETUP_FAILED));
	power_off();
}

/* The guest configuration, when the VMM was given one. Its process.terminal
 * asks for a pty as the flag terminal=1 does. */
static void load_config(void)
{
	char path[PATH_MAX], err[1024];
	size_t len;
	char *text;

	gpath(path, sizeof(path), HY_INIT_CONFIG);
	if (access(path, F_OK) < 0)
		return;
	text = read_file(path, CONFIG_MAX_BYTES, &len);
	if (!text) {
		snprintf(err, sizeof(err), "%s: %s", HY_INIT_CONFIG, strerror(errno));
		config_failed(err);
	}
	if (guest_config_decode(&config, text, len, err, sizeof(err)) < 0)
		config_failed(err);
	free(text);
	init.gc = &config;
	if (config.terminal)
		init.terminal = true;
	init_dbg("hyrun-init: running '%s' from %s", config.args[0], HY_INIT_CONFIG);
}

/*
 * Loopback, and the configuration's NICs, before anything of the workload
 * runs (its sysctls then find the NICs under their names). A NIC that cannot
 * be set up stops the container as a wrong configuration does. The self-test
 * runs on the host: its network is left alone.
 */
static void setup_network(void)
{
	size_t nr = init.gc ? init.gc->nr_nics : 0;
	char err[1024];

	if (init.test) {
		init_dbg("hyrun-init: self-test: network left alone");
		return;
	}
	if (net_setup(init.gc ? init.gc->nics : NULL, nr, NET_NIC_WAIT_MS, err, sizeof(err)) < 0)
		config_failed(err);
	init_dbg("hyrun-init: network: lo and %zu interface(s) up (%" PRId64 " ms)", nr,
		 hy_now_ms());
}

/*
 * linux.resources on the container's cgroup, before the workload is forked
 * (agent.h, cgroup_apply). A limit that cannot be applied stops the
 * container as a wrong configuration does. The device filter lets the
 * workload reopen its stdio ports: their device numbers, where they are
 * device nodes (in self-test mode they are plain files).
 */
static void setup_resources(void)
{
	static const int stdio_ports[] = {HY_CONSOLE_PORT_STDIN, HY_CONSOLE_PORT_STDOUT,
					  HY_CONSOLE_PORT_STDERR};
	dev_t ports[3];
	size_t nr = 0;
	char err[1024];
	struct stat st;

	if (!init.gc || !init.gc->has_resources)
		return;
	for (size_t i = 0; i < 3; i++)
		if (stat(init.port_dev[stdio_ports[i]], &st) == 0 && S_ISCHR(st.st_mode))
			ports[nr++] = st.st_rdev;
	if (cgroup_apply(&init.gc->resources, ports, nr, err, sizeof(err)) < 0)
		config_failed(err);
	init_dbg("hyrun-init: linux.resources applied (%" PRId64 " ms)", hy_now_ms());
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
	init.agent_socket = getenv("HYRUN_INIT_AGENT_SOCKET");
	init.test_cgroup = getenv("HYRUN_INIT_TEST_CGROUP");
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
		init_boot_mark(HY_BOOT_MARK_INIT);
	} else {
		setup_test_mode();
	}

	sigemptyset(&waitset);
	sigaddset(&waitset, SIGCHLD);
	for (i = 0; i < sizeof(forwarded_signals) / sizeof(forwarded_signals[0]); i++)
		sigaddset(&waitset, forwarded_signals[i]);
	sigprocmask(SIG_BLOCK, &waitset, NULL);
	/* The agent writes to pipes and sockets whose readers may be gone
	 * (children reset this). */
	signal(SIGPIPE, SIG_IGN);

	if (!init.test)
		mount_filesystems();
	open_console();
	read_flags();
	init_dbg("hyrun-init: started (%" PRId64 " ms)%s", hy_now_ms(),
		 init.ports ? "" : ", no report port");
	if (!init.test)
		load_modules();
	find_ports();
	load_config();
	setup_network();
	cgroup_setup();
	setup_resources();

	report(supervise_workload(init.gc ? (char **)init.gc->args : read_argv(), &waitset));
	power_off();
}
