/* probe.c: a static program that prints facts about the process it runs as, for the tests.
 *
 * Usage: probe SUBCOMMAND [ARGS...]
 *
 * Every subcommand prints simple "key=value" lines on stdout, so that a test
 * can grep for one fact. It runs inside a guest (the container's view) and on
 * the host (to check what the guest left behind), and needs nothing from the
 * root filesystem it runs on.
 *
 *   env                    the environment, one variable a line
 *   cwd                    cwd=DIR
 *   ids                    uid, gid, euid, egid, groups (comma-separated, as getgroups gives them)
 *   rlimits                RLIMIT_<NAME>=SOFT:HARD for each resource ("unlimited")
 *   caps                   CapInh/CapPrm/CapEff/CapBnd/CapAmb from /proc/self/status, hex
 *   hostname               hostname=NAME (uname's nodename)
 *   umask                  umask=0NNN
 *   nnp                    nnp=0|1 (prctl PR_GET_NO_NEW_PRIVS)
 *   oom                    oom_score_adj=N
 *   pid                    pid=N and ppid=N (as this process's pid namespace sees them)
 *   ls DIR                 DIR's entries but . and .., one "entry=NAME" a line, sorted
 *   fds                    fds=0,1,2,... the open file descriptors (found without /proc)
 *   sleep SECONDS          sleeps, then prints slept=SECONDS
 *   seccomp [SYSCALL...]   seccomp=MODE (0 none, 1 strict, 2 filter), then SYSCALL=ok|ERRNAME
 *                          for each of: getcwd mkdir getpid uname chdir, or nr:N
 *   statfs DIR             f_type=0xHEX (0x65735546 is FUSE, 0x1021994 tmpfs)
 *   stat PATH...           PATH: type mode uid gid size nlink mtime (lstat)
 *   mountflags PATH        ro=0|1 nodev=0|1 nosuid=0|1 of the mount PATH is on
 *   chmod-same PATH        chmod PATH to its own mode: chmod=OK or chmod=ERRNO
 *   getxattr FILE NAME     NAME=VALUE, or NAME=ERRNAME
 *   setxattr FILE NAME VAL sets an extended attribute (no symlink followed): setxattr=ok|ERRNAME
 *   fsops DIR [NS]         file operations in DIR/fsops; NAME=ok or NAME=FAIL ...; exit
 *                          status = number of failures (what it leaves: above cmd_fsops);
 *                          NS is the xattr namespace to use (default "user"; tmpfs
 *                          before Linux 6.6 has only "trusted" and "security")
 *   escape DIR HOSTDIR     attempts to reach files outside the share mounted at DIR;
 *                          HOSTDIR is the host's path of the directory holding the file
 *                          "sentinel" next to the share. NAME=blocked or NAME=ESCAPED
 *   smallfiles DIR N       create, stat and unlink N small files in DIR: *_ms=ELAPSED
 *   time CMD [ARG...]      run CMD, then print elapsed_ms=N (wall clock) and status=N
 *   routes                 the main table's unicast routes, IPv4 then IPv6, from
 *                          rtnetlink: "route=DST/LEN gw=GW dev=IFNAME mtu=N" (gw and mtu
 *                          only when set): busybox's ip does not show a route's MTU
 *   forks MAX              a bounded fork bomb: forks children that wait (on a pipe)
 *                          until told, until a fork fails or MAX are running; then
 *                          forks=N (how many succeeded) and fork_error=ERRNAME ("none"
 *                          when MAX were reached), then releases and reaps them all.
 *                          Under a pids limit L with nothing else in the cgroup,
 *                          N = L - 1: the probe itself counts
 *   open PATH r|w|rw       open(2) PATH for reading, writing or both (O_NONBLOCK, no
 *                          controlling tty): open=ok or open=ERRNAME (EPERM is what a
 *                          cgroup's device filter answers)
 *
 * AF_VSOCK stream sockets (the host is CID 2, see common/agent_proto.h). The
 * servers listen on PORT for any CID, print "listening=PORT" once they do,
 * serve one connection and exit. Data checks use the 64-bit FNV-1a hash,
 * printed as 16 hex digits, and the pattern whose byte i is (i * 7 + 3) & 0xff:
 *   vsock-echo PORT        send back everything received until end of file,
 *                          close, then echoed=N
 *   vsock-sink PORT [DELAY_MS]
 *                          after DELAY_MS (a slow reader: nothing is read before),
 *                          read until end of file: bytes=N and fnv=HEX
 *   vsock-source PORT BYTES
 *                          write BYTES bytes of the pattern, close: bytes=N, fnv=HEX
 *   vsock-connect PORT     connect to the host's PORT, write "hello\n", read until
 *                          end of file: got=WHAT (\n, \\ and bytes outside printable
 *                          ASCII as \xHH)
 *
 * Exit status: 0, or 1 when a subcommand failed (fsops: the number of failed
 * operations, escape: the number of escapes), 2 on a usage error.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/vm_sockets.h>
#include <net/if.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static const char *errname(int err)
{
	const char *n = strerrorname_np(err);

	return n ? n : "E?";
}

static void usage(void)
{
	fprintf(stderr,
		"usage: probe env|cwd|ids|rlimits|caps|hostname|umask|nnp|oom|"
		"pid|ls DIR|fds|sleep SECONDS|"
		"seccomp [SYSCALL...]|statfs DIR|stat PATH...|mountflags PATH|chmod-same PATH|"
		"getxattr FILE NAME|"
		"setxattr FILE NAME VALUE|"
		"fsops DIR [NS]|escape DIR HOSTDIR|smallfiles DIR N|time CMD...|routes|\n"
		"       forks MAX|open PATH r|w|rw|\n"
		"       vsock-echo PORT|vsock-sink PORT [DELAY_MS]|vsock-source PORT BYTES|\n"
		"       vsock-connect PORT\n");
	exit(2);
}

static int cmd_env(void)
{
	for (char **e = environ; *e; e++)
		printf("%s\n", *e);
	return 0;
}

static int cmd_cwd(void)
{
	char buf[4096];

	if (!getcwd(buf, sizeof(buf))) {
		printf("cwd=%s\n", errname(errno));
		return 1;
	}
	printf("cwd=%s\n", buf);
	return 0;
}

static int cmd_ids(void)
{
	gid_t groups[256];
	int n = getgroups(256, groups);

	printf("uid=%u\ngid=%u\neuid=%u\negid=%u\ngroups=", (unsigned)getuid(), (unsigned)getgid(),
	       (unsigned)geteuid(), (unsigned)getegid());
	for (int i = 0; i < n; i++)
		printf("%s%u", i ? "," : "", (unsigned)groups[i]);
	printf("\n");
	return n < 0;
}

static void print_limit(rlim_t v)
{
	if (v == RLIM_INFINITY)
		printf("unlimited");
	else
		printf("%llu", (unsigned long long)v);
}

static int cmd_rlimits(void)
{
	static const struct {
		const char *name;
		int res;
	} lim[] = {
	    {"AS", RLIMIT_AS},
	    {"CORE", RLIMIT_CORE},
	    {"CPU", RLIMIT_CPU},
	    {"DATA", RLIMIT_DATA},
	    {"FSIZE", RLIMIT_FSIZE},
	    {"LOCKS", RLIMIT_LOCKS},
	    {"MEMLOCK", RLIMIT_MEMLOCK},
	    {"MSGQUEUE", RLIMIT_MSGQUEUE},
	    {"NICE", RLIMIT_NICE},
	    {"NOFILE", RLIMIT_NOFILE},
	    {"NPROC", RLIMIT_NPROC},
	    {"RSS", RLIMIT_RSS},
	    {"RTPRIO", RLIMIT_RTPRIO},
	    {"RTTIME", RLIMIT_RTTIME},
	    {"SIGPENDING", RLIMIT_SIGPENDING},
	    {"STACK", RLIMIT_STACK},
	};
	struct rlimit r;
	int rc = 0;

	for (size_t i = 0; i < sizeof(lim) / sizeof(lim[0]); i++) {
		if (getrlimit(lim[i].res, &r) < 0) {
			printf("RLIMIT_%s=%s\n", lim[i].name, errname(errno));
			rc = 1;
			continue;
		}
		printf("RLIMIT_%s=", lim[i].name);
		print_limit(r.rlim_cur);
		printf(":");
		print_limit(r.rlim_max);
		printf("\n");
	}
	return rc;
}

/* Prints the lines of /proc/self/status whose key is in `keys` as key=value. */
static int print_status(const char *const *keys)
{
	char line[512];
	int found = 0;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f) {
		printf("status=%s\n", errname(errno));
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':'), *v;

		if (!colon)
			continue;
		*colon = '\0';
		for (const char *const *k = keys; *k; k++) {
			if (strcmp(line, *k))
				continue;
			v = colon + 1;
			v += strspn(v, " \t");
			v[strcspn(v, "\n")] = '\0';
			printf("%s=%s\n", line, v);
			found++;
		}
	}
	fclose(f);
	return found ? 0 : 1;
}

static int cmd_caps(void)
{
	static const char *const keys[] = {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", NULL};

	return print_status(keys);
}

static int cmd_hostname(void)
{
	struct utsname u;

	if (uname(&u) < 0)
		return 1;
	printf("hostname=%s\n", u.nodename);
	return 0;
}

static int cmd_umask(void)
{
	mode_t m = umask(0);

	umask(m);
	printf("umask=%04o\n", (unsigned)m);
	return 0;
}

static int cmd_nnp(void)
{
	int v = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);

	if (v < 0) {
		printf("nnp=%s\n", errname(errno));
		return 1;
	}
	printf("nnp=%d\n", v);
	return 0;
}

static int cmd_pid(void)
{
	printf("pid=%d\nppid=%d\n", (int)getpid(), (int)getppid());
	return 0;
}

static int cmp_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int skip_dots(const struct dirent *de)
{
	return strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
}

static int cmd_ls(const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, skip_dots, cmp_name);

	if (n < 0) {
		printf("ls=%s\n", errname(errno));
		return 1;
	}
	for (int i = 0; i < n; i++) {
		printf("entry=%s\n", names[i]->d_name);
		free(names[i]);
	}
	free(names);
	return 0;
}

static int cmd_fds(void)
{
	struct rlimit rl;
	long max = 1024;
	const char *sep = "";

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		max = rl.rlim_cur < 65536 ? (long)rl.rlim_cur : 65536;
	printf("fds=");
	for (long fd = 0; fd < max; fd++) {
		if (fcntl((int)fd, F_GETFD) < 0)
			continue;
		printf("%s%ld", sep, fd);
		sep = ",";
	}
	printf("\n");
	return 0;
}

static int cmd_sleep(const char *secs)
{
	struct timespec ts = {.tv_sec = strtol(secs, NULL, 10)};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	printf("slept=%s\n", secs);
	return 0;
}

static int cmd_oom(void)
{
	char buf[32] = "";
	int fd = open("/proc/self/oom_score_adj", O_RDONLY);
	ssize_t n;

	if (fd < 0) {
		printf("oom_score_adj=%s\n", errname(errno));
		return 1;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 1;
	buf[strcspn(buf, "\n")] = '\0';
	printf("oom_score_adj=%s\n", buf);
	return 0;
}

/* Calls one system call by name with harmless arguments; returns 0 or an errno. */
static int try_syscall(const char *name)
{
	char buf[256];
	struct utsname u;
	static const char dir[] = "/tmp/.probe-seccomp";
	long r;

	if (!strcmp(name, "getcwd")) {
		r = syscall(SYS_getcwd, buf, sizeof(buf));
	} else if (!strcmp(name, "mkdir")) {
		r = syscall(SYS_mkdir, dir, 0700);
		if (r == 0)
			rmdir(dir);
		else if (errno == EEXIST)
			r = 0;
	} else if (!strcmp(name, "getpid")) {
		r = syscall(SYS_getpid);
	} else if (!strcmp(name, "uname")) {
		r = syscall(SYS_uname, &u);
	} else if (!strcmp(name, "chdir")) {
		r = syscall(SYS_chdir, ".");
	} else if (!strncmp(name, "nr:", 3)) {
		r = syscall(strtol(name + 3, NULL, 0), 0, 0, 0, 0, 0, 0);
	} else {
		return -1;
	}
	return r < 0 ? errno : 0;
}

static int cmd_seccomp(int argc, char **argv)
{
	static const char *const keys[] = {"Seccomp", "NoNewPrivs", NULL};
	int rc = print_status(keys);

	for (int i = 0; i < argc; i++) {
		int err = try_syscall(argv[i]);

		if (err < 0) {
			printf("%s=unknown-syscall\n", argv[i]);
			rc = 1;
		} else {
			printf("%s=%s\n", argv[i], err ? errname(err) : "ok");
		}
	}
	return rc;
}

static int cmd_statfs(const char *dir)
{
	struct statfs s;

	if (statfs(dir, &s) < 0) {
		printf("f_type=%s\n", errname(errno));
		return 1;
	}
	printf("f_type=0x%lx\n", (unsigned long)s.f_type);
	return 0;
}

/* The mount flags that matter to the jail, of the mount PATH is on. */
static int cmd_mountflags(const char *path)
{
	struct statvfs s;

	if (statvfs(path, &s) < 0) {
		printf("mountflags=%s\n", errname(errno));
		return 1;
	}
	printf("ro=%d nodev=%d nosuid=%d\n", !!(s.f_flag & ST_RDONLY), !!(s.f_flag & ST_NODEV),
	       !!(s.f_flag & ST_NOSUID));
	return 0;
}

/* chmod PATH to its own mode: whether the mount lets the mode change at all. */
static int cmd_chmod_same(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0 || chmod(path, st.st_mode & 07777) < 0) {
		printf("chmod=%s\n", errname(errno));
		return 1;
	}
	printf("chmod=OK\n");
	return 0;
}

static const char *ftype(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFREG:
		return "file";
	case S_IFDIR:
		return "dir";
	case S_IFLNK:
		return "symlink";
	case S_IFIFO:
		return "fifo";
	case S_IFSOCK:
		return "socket";
	case S_IFCHR:
		return "chr";
	case S_IFBLK:
		return "blk";
	}
	return "?";
}

static int cmd_stat(int argc, char **argv)
{
	int rc = 0;
	struct stat st;

	for (int i = 0; i < argc; i++) {
		if (lstat(argv[i], &st) < 0) {
			printf("%s=%s\n", argv[i], errname(errno));
			rc = 1;
			continue;
		}
		printf("%s=%s mode=%04o uid=%u gid=%u size=%lld nlink=%lu mtime=%lld\n", argv[i],
		       ftype(st.st_mode), (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid,
		       (unsigned)st.st_gid, (long long)st.st_size, (unsigned long)st.st_nlink,
		       (long long)st.st_mtime);
	}
	return rc;
}

static int cmd_getxattr(const char *file, const char *name)
{
	char buf[1024];
	ssize_t n = lgetxattr(file, name, buf, sizeof(buf) - 1);

	if (n < 0) {
		printf("%s=%s\n", name, errname(errno));
		return 1;
	}
	buf[n] = '\0';
	printf("%s=%s\n", name, buf);
	return 0;
}

static int cmd_setxattr(const char *file, const char *name, const char *value)
{
	if (lsetxattr(file, name, value, strlen(value), 0) < 0) {
		printf("setxattr=%s\n", errname(errno));
		return 1;
	}
	printf("setxattr=ok\n");
	return 0;
}

/* --- fsops --------------------------------------------------------------------- */

static int failures;

static void report(const char *op, bool ok, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		printf("%s=ok\n", op);
		return;
	}
	failures++;
	printf("%s=FAIL", op);
	if (fmt) {
		printf(" ");
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
	}
	printf("\n");
	fflush(stdout);
}

/* report() for a call that returned < 0 on failure with errno set. */
#define CHECK(op, call)                                                                            \
	do {                                                                                       \
		int e_ = (call) < 0 ? errno : 0;                                                   \
		report(op, !e_, "%s (%s)", errname(e_), #call);                                    \
	} while (0)

static bool write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* Reads the whole (small) file at `path` into buf, NUL-terminated; returns length or -1. */
static ssize_t slurp(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, total = 0;

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf + total, size - 1 - (size_t)total)) > 0)
		total += n;
	close(fd);
	if (n < 0)
		return -1;
	buf[total] = '\0';
	return total;
}

static bool file_is(const char *path, const char *want)
{
	char buf[4096];

	return slurp(path, buf, sizeof(buf)) >= 0 && !strcmp(buf, want);
}

static void op_locks(void)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
	int fd = open("locks", O_RDWR | O_CREAT | O_CLOEXEC, 0644), st = 0;
	pid_t pid;

	if (fd < 0) {
		report("flock", false, "open: %s", errname(errno));
		report("fcntl_lock", false, "open");
		return;
	}
	CHECK("flock", flock(fd, LOCK_EX | LOCK_NB));
	CHECK("funlock", flock(fd, LOCK_UN));
	CHECK("fcntl_lock", fcntl(fd, F_SETLK, &fl));
	/* Another process must see the lock held and be refused. */
	pid = fork();
	if (pid == 0) {
		struct flock q = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_len = 10};
		int cfd = open("locks", O_RDWR | O_CLOEXEC);

		if (cfd < 0 || fcntl(cfd, F_GETLK, &q) < 0)
			_exit(2);
		if (q.l_type != F_WRLCK || q.l_pid != getppid())
			_exit(3);
		if (fcntl(cfd, F_SETLK, &q) == 0 || (errno != EAGAIN && errno != EACCES))
			_exit(4);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		st = -1;
	report("fcntl_getlk", st == 0, "child status 0x%x", st);
	fl.l_type = F_UNLCK;
	CHECK("fcntl_unlock", fcntl(fd, F_SETLK, &fl));
	close(fd);
}

static void op_mmap(void)
{
	static const char line[] = "mmap-ok\n";
	const size_t len = 8192;
	char buf[16] = "";
	int fd = open("mmap", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	char *p;

	if (fd < 0 || ftruncate(fd, (off_t)len) < 0) {
		report("mmap", false, "open/ftruncate: %s", errname(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		report("mmap", false, "%s", errname(errno));
		close(fd);
		return;
	}
	for (size_t i = 0; i < len; i += sizeof(line) - 1)
		memcpy(p + i, line, sizeof(line) - 1);
	CHECK("msync", msync(p, len, MS_SYNC));
	munmap(p, len);
	report("mmap", pread(fd, buf, 8, 4096) == 8 && !memcmp(buf, line, 8), "read back '%.8s'",
	       buf);
	close(fd);
}

static void op_xattr(const char *ns)
{
	char buf[256], name[64], gone[64];
	ssize_t n;

	snprintf(name, sizeof(name), "%s.hyrun", ns);
	snprintf(gone, sizeof(gone), "%s.gone", ns);
	CHECK("setxattr", setxattr("data", name, "probe", 5, 0));
	n = getxattr("data", name, buf, sizeof(buf));
	report("getxattr", n == 5 && !memcmp(buf, "probe", 5), "got %zd (%s)", n,
	       n < 0 ? errname(errno) : "wrong value");
	n = listxattr("data", buf, sizeof(buf));
	report("listxattr", n > 0 && memmem(buf, (size_t)n, name, strlen(name) + 1), "got %zd (%s)",
	       n, n < 0 ? errname(errno) : "name missing");
	CHECK("setxattr2", setxattr("data", gone, "x", 1, 0));
	CHECK("removexattr", removexattr("data", gone));
	n = getxattr("data", gone, buf, sizeof(buf));
	report("removexattr_gone", n < 0 && errno == ENODATA, "got %zd", n);
}

/*
 * What DIR/fsops holds afterwards (checked from the host by the tests):
 *   data       "HELLO world\nbye\n", mode 0640, owner 1234:5678, xattr NS.hyrun=probe
 *   data.link  hard link to data (nlink 2)
 *   data.sym   symlink -> "data"
 *   trunc      "abc", mtime 1000000000
 *   sparse     8192 bytes
 *   mmap       8192 bytes of "mmap-ok\n"
 *   big        1 MiB, byte i = i % 251
 *   fifo       a FIFO
 *   sub/inner  "inner\n"
 *   locks      empty
 *   no "gone", no "emptydir", no "data.tmp"
 */
static int cmd_fsops(const char *dir, const char *ns)
{
	char buf[4096];
	struct stat st;
	ssize_t n;
	int fd;

	if (chdir(dir) < 0) {
		printf("chdir=FAIL %s\n", errname(errno));
		return 1;
	}
	CHECK("mkdir", mkdir("fsops", 0755));
	if (chdir("fsops") < 0) {
		printf("chdir=FAIL %s\n", errname(errno));
		return 1;
	}

	fd = open("data.tmp", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	report("create", fd >= 0, "%s", errname(errno));
	if (fd >= 0) {
		report("write", write_all(fd, "hello world\n", 12), "%s", errname(errno));
		CHECK("fsync", fsync(fd));
		report("pwrite", pwrite(fd, "HELLO", 5, 0) == 5, "%s", errname(errno));
		close(fd);
	}
	fd = open("data.tmp", O_WRONLY | O_APPEND | O_CLOEXEC);
	report("append", fd >= 0 && write_all(fd, "bye\n", 4), "%s", errname(errno));
	if (fd >= 0)
		close(fd);
	report("read", file_is("data.tmp", "HELLO world\nbye\n"), "content differs");

	CHECK("rename", rename("data.tmp", "data"));
	report("rename_gone", access("data.tmp", F_OK) < 0 && errno == ENOENT, "data.tmp remains");
	CHECK("link", link("data", "data.link"));
	report("link_nlink", stat("data", &st) == 0 && st.st_nlink == 2, "nlink %lu",
	       (unsigned long)st.st_nlink);
	report("link_read", file_is("data.link", "HELLO world\nbye\n"), "content differs");
	CHECK("symlink", symlink("data", "data.sym"));
	n = readlink("data.sym", buf, sizeof(buf) - 1);
	report("readlink", n == 4 && !memcmp(buf, "data", 4), "got %zd", n);
	report("symlink_read", file_is("data.sym", "HELLO world\nbye\n"), "content differs");

	CHECK("chmod", chmod("data", 0640));
	report("chmod_stat", stat("data", &st) == 0 && (st.st_mode & 07777) == 0640, "mode %04o",
	       (unsigned)(st.st_mode & 07777));
	CHECK("chown", chown("data", 1234, 5678));
	report("chown_stat", stat("data", &st) == 0 && st.st_uid == 1234 && st.st_gid == 5678,
	       "owner %u:%u", (unsigned)st.st_uid, (unsigned)st.st_gid);
	op_xattr(ns);

	fd = open("trunc", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	report("trunc_create", fd >= 0 && write_all(fd, "abcdefgh", 8), "%s", errname(errno));
	if (fd >= 0)
		close(fd);
	CHECK("truncate", truncate("trunc", 3));
	report("truncate_read", file_is("trunc", "abc"), "content differs");
	{
		struct timespec ts[2] = {{1000000000, 0}, {1000000000, 0}};

		CHECK("utimensat", utimensat(AT_FDCWD, "trunc", ts, 0));
		report("utimensat_stat", stat("trunc", &st) == 0 && st.st_mtime == 1000000000,
		       "mtime %lld", (long long)st.st_mtime);
	}
	fd = open("sparse", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	CHECK("ftruncate", fd < 0 ? -1 : ftruncate(fd, 8192));
	report("ftruncate_stat", fd >= 0 && fstat(fd, &st) == 0 && st.st_size == 8192, "size %lld",
	       (long long)st.st_size);
	if (fd >= 0)
		close(fd);

	op_mmap();

	{
		static unsigned char big[1 << 20], back[1 << 20];

		for (size_t i = 0; i < sizeof(big); i++)
			big[i] = (unsigned char)(i % 251);
		fd = open("big", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		report("bigwrite", fd >= 0 && write_all(fd, big, sizeof(big)), "%s",
		       errname(errno));
		report("bigread",
		       fd >= 0 && pread(fd, back, sizeof(back), 0) == (ssize_t)sizeof(back) &&
			   !memcmp(big, back, sizeof(big)),
		       "content differs");
		if (fd >= 0)
			close(fd);
	}

	op_locks();

	CHECK("mkfifo", mkfifo("fifo", 0600));
	CHECK("mkdir_sub", mkdir("sub", 0755));
	fd = open("sub/inner", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	report("sub_create", fd >= 0 && write_all(fd, "inner\n", 6), "%s", errname(errno));
	if (fd >= 0)
		close(fd);
	fd = open("gone", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
	CHECK("unlink", unlink("gone"));
	report("unlink_gone", access("gone", F_OK) < 0 && errno == ENOENT, "still there");
	CHECK("mkdir_empty", mkdir("emptydir", 0755));
	CHECK("rmdir", rmdir("emptydir"));
	report("rmdir_notempty", rmdir("sub") < 0 && errno == ENOTEMPTY, "rmdir of sub: %s",
	       errname(errno));

	{
		DIR *d = opendir(".");
		struct dirent *de;
		int seen = 0;

		while (d && (de = readdir(d))) {
			static const char *const want[] = {
			    "data", "data.link", "data.sym", "trunc", "sparse",
			    "mmap", "big",	 "fifo",     "sub",   "locks"};

			for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
				seen += !strcmp(de->d_name, want[i]);
			if (!strcmp(de->d_name, "gone") || !strcmp(de->d_name, "data.tmp"))
				seen = -100;
		}
		report("readdir", seen == 10, "matched %d of 10", seen);
		if (d)
			closedir(d);
	}
	{
		struct statfs sf;

		CHECK("statfs", statfs(".", &sf));
	}
	CHECK("sync", (sync(), 0));
	printf("fsops_failures=%d\n", failures);
	return failures > 125 ? 125 : failures;
}

/* --- escape -------------------------------------------------------------------- */

static int escapes;

static void verdict(const char *name, bool escaped, const char *detail)
{
	printf("%s=%s%s%s\n", name, escaped ? "ESCAPED" : "blocked", detail ? " " : "",
	       detail ? detail : "");
	escapes += escaped;
	fflush(stdout);
}

static bool is_sentinel(const char *buf)
{
	return strstr(buf, "HOST-SENTINEL") != NULL;
}

/* Reads `path`; true when what it reads is the host's sentinel. */
static bool reads_sentinel(const char *path)
{
	char buf[512];

	return slurp(path, buf, sizeof(buf)) >= 0 && is_sentinel(buf);
}

/*
 * The race: DIR/race/a is swapped between a real directory (holding a file
 * "sentinel" with guest content) and a symlink to the host's directory, while
 * another process opens, reads, appends to and creates files through
 * "a/...". A server that resolves a guest path again on the host, by name,
 * could follow the symlink there.
 */
static void race(const char *dir, const char *hostdir, int seconds)
{
	char base[4096], a[4200], b[4200], c[4200], path[4300], newf[4300];
	pid_t swapper;
	time_t end;
	long opens = 0, hits = 0;
	int fd;

	snprintf(base, sizeof(base), "%s/race", dir);
	mkdir(base, 0755);
	snprintf(a, sizeof(a), "%s/a", base);
	snprintf(b, sizeof(b), "%s/b", base);
	snprintf(c, sizeof(c), "%s/c", base);
	snprintf(path, sizeof(path), "%s/sentinel", a);
	snprintf(newf, sizeof(newf), "%s/race-created", a);
	mkdir(a, 0755);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		write_all(fd, "guest\n", 6);
		close(fd);
	}
	symlink(hostdir, b);

	swapper = fork();
	if (swapper == 0) {
		end = time(NULL) + seconds;
		while (time(NULL) < end) {
			rename(a, c); /* a: gone   c: dir */
			rename(b, a); /* a: link   */
			rename(a, b); /* b: link   */
			rename(c, a); /* a: dir    */
			renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
			renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
		}
		_exit(0);
	}
	end = time(NULL) + seconds;
	while (time(NULL) < end) {
		char buf[256];
		ssize_t n;

		fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC);
		if (fd >= 0) {
			opens++;
			n = read(fd, buf, sizeof(buf) - 1);
			if (n > 0) {
				buf[n] = '\0';
				hits += is_sentinel(buf);
			}
			/* Harmless inside the share; detected on the host if it lands outside. */
			if (write(fd, "", 0) < 0)
				break;
			close(fd);
		}
		fd = open(newf, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd >= 0) {
			close(fd);
			unlink(newf);
		}
	}
	kill(swapper, SIGKILL);
	waitpid(swapper, NULL, 0);
	snprintf(base, sizeof(base), "%ld opens", opens);
	verdict("symlink_race", hits > 0, base);
}

static int cmd_escape(const char *dir, const char *hostdir)
{
	char path[8192], own[512], via[512];
	struct stat root, st;
	int fd;

	if (stat(dir, &root) < 0) {
		printf("escape: stat %s: %s\n", dir, errname(errno));
		return 1;
	}

	/* A symlink made on the host ("hostetc" -> /etc) must resolve in the guest's tree. */
	snprintf(path, sizeof(path), "%s/hostetc/hostname", dir);
	if (slurp(path, via, sizeof(via)) < 0)
		snprintf(via, sizeof(via), "%s", errname(errno));
	snprintf(path, sizeof(path), "%s/etc/hostname", dir);
	if (slurp(path, own, sizeof(own)) < 0)
		snprintf(own, sizeof(own), "%s", errname(errno));
	via[strcspn(via, "\n")] = '\0';
	own[strcspn(own, "\n")] = '\0';
	printf("hostetc_hostname=%s\n", via);
	verdict("hostetc", strcmp(via, own) != 0, NULL);
	snprintf(path, sizeof(path), "%s/hostup/hostname", dir);
	if (slurp(path, via, sizeof(via)) < 0)
		snprintf(via, sizeof(via), "%s", errname(errno));
	via[strcspn(via, "\n")] = '\0';
	verdict("hostup", strcmp(via, own) != 0, via);

	/* ".." from the share's root stays at its root. */
	snprintf(path, sizeof(path), "%s", dir);
	for (int i = 0; i < 12; i++)
		strcat(path, "/..");
	verdict("dotdot_stat",
		stat(path, &st) < 0 || st.st_ino != root.st_ino || st.st_dev != root.st_dev, NULL);
	{
		bool hit = false;

		for (int depth = 1; depth <= 12; depth++) {
			snprintf(path, sizeof(path), "%s", dir);
			for (int i = 0; i < depth; i++)
				strcat(path, "/..");
			strcat(path, "/sentinel");
			hit |= reads_sentinel(path);
		}
		verdict("dotdot_read", hit, NULL);
	}
	/* Lands in the share's root if anywhere; the host checks its side. */
	snprintf(path, sizeof(path), "%s/../../../dotdot-created", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
	verdict("dotdot_create", false, fd >= 0 ? "(created inside the share)" : errname(errno));
	{
		int rfd = open(dir, O_PATH | O_DIRECTORY);
		bool hit = false;

		for (int depth = 1; rfd >= 0 && depth <= 8; depth++) {
			char rel[64] = "";

			for (int i = 0; i < depth; i++)
				strcat(rel, "../");
			strcat(rel, "sentinel");
			fd = openat(rfd, rel, O_RDONLY | O_CLOEXEC);
			if (fd >= 0) {
				ssize_t n = read(fd, via, sizeof(via) - 1);

				via[n > 0 ? n : 0] = '\0';
				hit |= is_sentinel(via);
				close(fd);
			}
		}
		if (rfd >= 0)
			close(rfd);
		verdict("dotdot_openat", hit, NULL);
	}

	/* The host's absolute path, as a symlink made by the guest. */
	snprintf(path, sizeof(path), "%s/abs-link", dir);
	snprintf(own, sizeof(own), "%s/sentinel", hostdir);
	symlink(own, path);
	verdict("abs_symlink", reads_sentinel(path), NULL);
	verdict("abs_path", reads_sentinel(own), NULL);

	/* A hard link needs a name for the target, which the guest cannot give. */
	{
		char target[8192];
		bool hit = false;

		snprintf(path, sizeof(path), "%s/hardlink", dir);
		snprintf(target, sizeof(target), "%s/../sentinel", dir);
		if (link(target, path) == 0)
			hit |= reads_sentinel(path);
		unlink(path);
		if (link(own, path) == 0)
			hit |= reads_sentinel(path);
		unlink(path);
		snprintf(target, sizeof(target), "%s/abs-link", dir);
		if (linkat(AT_FDCWD, target, AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0)
			hit |= reads_sentinel(path);
		unlink(path);
		verdict("hardlink", hit, NULL);
	}

	/* Renames out of the share land inside it, if anywhere. */
	{
		char to[8192];
		int r1, r2;

		snprintf(path, sizeof(path), "%s/victim", dir);
		fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd >= 0)
			close(fd);
		snprintf(to, sizeof(to), "%s/../../../victim-out", dir);
		r1 = rename(path, to);
		snprintf(to, sizeof(to), "%s/victim-abs", hostdir);
		r2 = rename(path, to);
		snprintf(via, sizeof(via), "dotdot:%s abs:%s", r1 ? errname(errno) : "inside",
			 r2 ? errname(errno) : "inside");
		verdict("rename_out", false, via);
	}

	race(dir, hostdir, 3);
	printf("escapes=%d\n", escapes);
	return escapes;
}

/* --- smallfiles ------------------------------------------------------------------ */

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Counts a failed step; the first one is described on stderr. */
static void small_error(int *errors, const char *what, const char *path, int err)
{
	if (!(*errors)++)
		fprintf(stderr, "probe: smallfiles: %s %s: %s\n", what, path, errname(err));
}

static int cmd_smallfiles(const char *dir, long n)
{
	char path[4200];
	struct stat st;
	double t0, t1, t2, t3;
	int errors = 0;

	t0 = now_ms();
	for (long i = 0; i < n; i++) {
		ssize_t w;
		int fd;

		snprintf(path, sizeof(path), "%s/f%06ld", dir, i);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0) {
			small_error(&errors, "create", path, errno);
			continue;
		}
		w = write(fd, "0123456789abcdef", 16);
		if (w != 16)
			small_error(&errors, "write", path, w < 0 ? errno : EIO);
		if (close(fd) < 0)
			small_error(&errors, "close", path, errno);
	}
	t1 = now_ms();
	for (long i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/f%06ld", dir, i);
		if (stat(path, &st) < 0)
			small_error(&errors, "stat", path, errno);
		else if (st.st_size != 16)
			small_error(&errors, "stat (size is not 16)", path, EIO);
	}
	t2 = now_ms();
	for (long i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/f%06ld", dir, i);
		if (unlink(path) < 0)
			small_error(&errors, "unlink", path, errno);
	}
	t3 = now_ms();
	printf(
	    "files=%ld\ncreate_ms=%.0f\nstat_ms=%.0f\nunlink_ms=%.0f\ntotal_ms=%.0f\nerrors=%d\n",
	    n, t1 - t0, t2 - t1, t3 - t2, t3 - t0, errors);
	return errors != 0;
}

static int cmd_time(char **argv)
{
	double t0 = now_ms();
	int st = 0;
	pid_t pid = fork();

	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "probe: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return 1;
	printf("elapsed_ms=%.1f\nstatus=%d\n", now_ms() - t0,
	       WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

static void print_route(struct rtmsg *rt, size_t len)
{
	char dst[INET6_ADDRSTRLEN] = "", gw[INET6_ADDRSTRLEN] = "", dev[IF_NAMESIZE] = "?";
	unsigned mtu = 0;

	if (rt->rtm_table != RT_TABLE_MAIN || rt->rtm_type != RTN_UNICAST)
		return;
	if (!rt->rtm_dst_len)
		strcpy(dst, rt->rtm_family == AF_INET ? "0.0.0.0" : "::");
	for (struct rtattr *a = RTM_RTA(rt); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		switch (a->rta_type) {
		case RTA_DST:
			inet_ntop(rt->rtm_family, RTA_DATA(a), dst, sizeof(dst));
			break;
		case RTA_GATEWAY:
			inet_ntop(rt->rtm_family, RTA_DATA(a), gw, sizeof(gw));
			break;
		case RTA_OIF:
			if_indextoname(*(unsigned *)RTA_DATA(a), dev);
			break;
		case RTA_METRICS: {
			size_t mlen = RTA_PAYLOAD(a);

			for (struct rtattr *m = RTA_DATA(a); RTA_OK(m, mlen); m = RTA_NEXT(m, mlen))
				if (m->rta_type == RTAX_MTU)
					mtu = *(unsigned *)RTA_DATA(m);
			break;
		}
		}
	}
	printf("route=%s/%u", dst, rt->rtm_dst_len);
	if (gw[0])
		printf(" gw=%s", gw);
	printf(" dev=%s", dev);
	if (mtu)
		printf(" mtu=%u", mtu);
	printf("\n");
}

static int cmd_routes(void)
{
	static const int families[] = {AF_INET, AF_INET6};
	char buf[32768];
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0) {
		printf("routes=%s\n", errname(errno));
		return 1;
	}
	for (size_t f = 0; f < 2; f++) {
		struct {
			struct nlmsghdr nh;
			struct rtmsg rt;
		} req = {
		    .nh = {.nlmsg_len = sizeof(req),
			   .nlmsg_type = RTM_GETROUTE,
			   .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			   .nlmsg_seq = 1},
		    .rt = {.rtm_family = (unsigned char)families[f]},
		};
		bool done = false;

		if (send(fd, &req, sizeof(req), 0) < 0) {
			printf("routes=%s\n", errname(errno));
			close(fd);
			return 1;
		}
		while (!done) {
			ssize_t n = recv(fd, buf, sizeof(buf), 0);

			if (n <= 0)
				break;
			for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
			     h = NLMSG_NEXT(h, n)) {
				if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
					done = true;
					break;
				}
				if (h->nlmsg_type == RTM_NEWROUTE)
					print_route(NLMSG_DATA(h), RTM_PAYLOAD(h));
			}
		}
	}
	close(fd);
	return 0;
}

/* --- forks and open ---------------------------------------------------------------- */

static int cmd_forks(const char *max_s)
{
	long max = strtol(max_s, NULL, 10), n = 0;
	int gate[2], err = 0, st;
	pid_t *kids;

	if (max < 1 || max > 100000)
		usage();
	kids = calloc((size_t)max, sizeof(*kids));
	if (!kids || pipe(gate) < 0) {
		printf("forks=%s\n", errname(errno));
		return 1;
	}
	fflush(stdout);
	while (n < max) {
		pid_t pid = fork();
		char c;

		if (pid < 0) {
			err = errno;
			break;
		}
		if (pid == 0) {
			/* Wait for the end of the gate: the parent closing its end. */
			close(gate[1]);
			while (read(gate[0], &c, 1) < 0 && errno == EINTR)
				;
			_exit(0);
		}
		kids[n++] = pid;
	}
	printf("forks=%ld\nfork_error=%s\n", n, err ? errname(err) : "none");
	close(gate[1]);
	for (long i = 0; i < n; i++)
		while (waitpid(kids[i], &st, 0) < 0 && errno == EINTR)
			;
	free(kids);
	return 0;
}

static int cmd_open(const char *path, const char *mode)
{
	int flags, fd;

	if (!strcmp(mode, "r"))
		flags = O_RDONLY;
	else if (!strcmp(mode, "w"))
		flags = O_WRONLY;
	else if (!strcmp(mode, "rw"))
		flags = O_RDWR;
	else
		usage();
	fd = open(path, flags | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		printf("open=%s\n", errname(errno));
		return 1;
	}
	close(fd);
	printf("open=ok\n");
	return 0;
}

/* --- AF_VSOCK ------------------------------------------------------------------ */

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

static uint64_t fnv1a(uint64_t h, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= FNV_PRIME;
	}
	return h;
}

static uint8_t vsock_pattern(uint64_t i)
{
	return (uint8_t)((i * 7 + 3) & 0xff);
}

/* A vsock port: 0 to 4294967295 in decimal, else a usage error. */
static unsigned vsock_port(const char *s)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || v > 0xffffffffUL)
		usage();
	return (unsigned)v;
}

/* Listen on port (any CID), say so, and take one connection: its descriptor, or -1. */
static int vsock_accept_one(unsigned port)
{
	struct sockaddr_vm sa = {
	    .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY, .svm_port = port};
	int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0), c;

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0) {
		printf("vsock=%s\n", errname(errno));
		return -1;
	}
	printf("listening=%u\n", port);
	do
		c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	while (c < 0 && errno == EINTR);
	if (c < 0)
		printf("accept=%s\n", errname(errno));
	close(fd);
	return c;
}

static bool write_full(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

static int cmd_vsock_echo(const char *port)
{
	static uint8_t buf[65536];
	unsigned long long echoed = 0;
	int c = vsock_accept_one(vsock_port(port));

	if (c < 0)
		return 1;
	for (;;) {
		ssize_t n = read(c, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			printf("read=%s\n", errname(errno));
			close(c);
			return 1;
		}
		if (n == 0)
			break;
		if (!write_full(c, buf, (size_t)n)) {
			printf("write=%s\n", errname(errno));
			close(c);
			return 1;
		}
		echoed += (unsigned long long)n;
	}
	close(c);
	printf("echoed=%llu\n", echoed);
	return 0;
}

static int cmd_vsock_sink(const char *port, const char *delay_ms)
{
	static uint8_t buf[65536];
	unsigned long long bytes = 0;
	uint64_t h = FNV_OFFSET;
	long delay = delay_ms ? strtol(delay_ms, NULL, 10) : 0;
	int c = vsock_accept_one(vsock_port(port));

	if (c < 0)
		return 1;
	if (delay > 0) {
		struct timespec ts = {.tv_sec = delay / 1000, .tv_nsec = (delay % 1000) * 1000000};

		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	for (;;) {
		ssize_t n = read(c, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			printf("read=%s\n", errname(errno));
			close(c);
			return 1;
		}
		if (n == 0)
			break;
		h = fnv1a(h, buf, (size_t)n);
		bytes += (unsigned long long)n;
	}
	close(c);
	printf("bytes=%llu\nfnv=%016llx\n", bytes, (unsigned long long)h);
	return 0;
}

static int cmd_vsock_source(const char *port, const char *count)
{
	static uint8_t buf[65536];
	unsigned long long total = strtoull(count, NULL, 10), done = 0;
	uint64_t h = FNV_OFFSET;
	int c = vsock_accept_one(vsock_port(port));

	if (c < 0)
		return 1;
	while (done < total) {
		size_t n = total - done < sizeof(buf) ? (size_t)(total - done) : sizeof(buf);

		for (size_t i = 0; i < n; i++)
			buf[i] = vsock_pattern(done + i);
		if (!write_full(c, buf, n)) {
			printf("write=%s\n", errname(errno));
			close(c);
			return 1;
		}
		h = fnv1a(h, buf, n);
		done += n;
	}
	close(c);
	printf("bytes=%llu\nfnv=%016llx\n", done, (unsigned long long)h);
	return 0;
}

static int cmd_vsock_connect(const char *port)
{
	struct sockaddr_vm sa = {
	    .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_HOST, .svm_port = vsock_port(port)};
	static const uint8_t hello[] = "hello\n";
	uint8_t buf[4096];
	int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		printf("connect=%s\n", errname(errno));
		return 1;
	}
	if (!write_full(fd, hello, sizeof(hello) - 1)) {
		printf("write=%s\n", errname(errno));
		close(fd);
		return 1;
	}
	printf("got=");
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n')
				fputs("\\n", stdout);
			else if (buf[i] == '\\')
				fputs("\\\\", stdout);
			else if (buf[i] < 0x20 || buf[i] > 0x7e)
				printf("\\x%02x", buf[i]);
			else
				putchar(buf[i]);
		}
	}
	putchar('\n');
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2)
		usage();
	cmd = argv[1];
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(cmd, "env"))
		return cmd_env();
	if (!strcmp(cmd, "cwd"))
		return cmd_cwd();
	if (!strcmp(cmd, "ids"))
		return cmd_ids();
	if (!strcmp(cmd, "rlimits"))
		return cmd_rlimits();
	if (!strcmp(cmd, "caps"))
		return cmd_caps();
	if (!strcmp(cmd, "hostname"))
		return cmd_hostname();
	if (!strcmp(cmd, "umask"))
		return cmd_umask();
	if (!strcmp(cmd, "nnp"))
		return cmd_nnp();
	if (!strcmp(cmd, "oom"))
		return cmd_oom();
	if (!strcmp(cmd, "pid"))
		return cmd_pid();
	if (!strcmp(cmd, "ls") && argc == 3)
		return cmd_ls(argv[2]);
	if (!strcmp(cmd, "fds"))
		return cmd_fds();
	if (!strcmp(cmd, "sleep") && argc == 3)
		return cmd_sleep(argv[2]);
	if (!strcmp(cmd, "seccomp"))
		return cmd_seccomp(argc - 2, argv + 2);
	if (!strcmp(cmd, "statfs") && argc == 3)
		return cmd_statfs(argv[2]);
	if (!strcmp(cmd, "mountflags") && argc == 3)
		return cmd_mountflags(argv[2]);
	if (!strcmp(cmd, "chmod-same") && argc == 3)
		return cmd_chmod_same(argv[2]);
	if (!strcmp(cmd, "stat") && argc >= 3)
		return cmd_stat(argc - 2, argv + 2);
	if (!strcmp(cmd, "getxattr") && argc == 4)
		return cmd_getxattr(argv[2], argv[3]);
	if (!strcmp(cmd, "setxattr") && argc == 5)
		return cmd_setxattr(argv[2], argv[3], argv[4]);
	if (!strcmp(cmd, "fsops") && (argc == 3 || argc == 4))
		return cmd_fsops(argv[2], argc == 4 ? argv[3] : "user");
	if (!strcmp(cmd, "escape") && argc == 4)
		return cmd_escape(argv[2], argv[3]);
	if (!strcmp(cmd, "time") && argc >= 3)
		return cmd_time(argv + 2);
	if (!strcmp(cmd, "routes"))
		return cmd_routes();
	if (!strcmp(cmd, "forks") && argc == 3)
		return cmd_forks(argv[2]);
	if (!strcmp(cmd, "open") && argc == 4)
		return cmd_open(argv[2], argv[3]);
	if (!strcmp(cmd, "smallfiles") && argc == 4)
		return cmd_smallfiles(argv[2], strtol(argv[3], NULL, 10));
	if (!strcmp(cmd, "vsock-echo") && argc == 3)
		return cmd_vsock_echo(argv[2]);
	if (!strcmp(cmd, "vsock-sink") && (argc == 3 || argc == 4))
		return cmd_vsock_sink(argv[2], argc == 4 ? argv[3] : NULL);
	if (!strcmp(cmd, "vsock-source") && argc == 4)
		return cmd_vsock_source(argv[2], argv[3]);
	if (!strcmp(cmd, "vsock-connect") && argc == 3)
		return cmd_vsock_connect(argv[2]);
	usage();
	return 2;
}
