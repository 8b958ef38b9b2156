/* test_runtime_jail.c: jail_spawn runs build/probe in the jail, checks what it sees and leaves. */
#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/cgroup.h"
#include "runtime/jail.h"

#define PROBE "build/probe"
/* An fd the tests pass on, and one they do not. */
#define KEEP_FD 50
#define DROP_FD 51

/* What hyrun-vmm keeps (virtio-fs passthrough). */
static const uint64_t vmm_caps = (1ULL << CAP_CHOWN) | (1ULL << CAP_DAC_OVERRIDE) |
				 (1ULL << CAP_DAC_READ_SEARCH) | (1ULL << CAP_FOWNER) |
				 (1ULL << CAP_FSETID) | (1ULL << CAP_SETUID) |
				 (1ULL << CAP_SETGID) | (1ULL << CAP_SETFCAP);

static char probe[PATH_MAX];
static char err[1024];
static char *argv_buf[8];
static struct jail_bind binds[4];
static const int keep_fds[] = {KEEP_FD};
static struct jail_config cfg;

static void need_root(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root (namespaces, mounts, capabilities)");
	if (!realpath(PROBE, probe))
		cr_skip_test("%s is missing (make builds it)", PROBE);
}

/* A jail with every namespace but user, the probe at /probe and a procfs of its own. */
static void base_config(const char *const *args)
{
	size_t n = 0;

	memset(&cfg, 0, sizeof(cfg));
	for (int i = JAIL_NS_MOUNT; i < JAIL_NS_NR; i++)
		cfg.ns[i].enabled = i != JAIL_NS_USER;
	binds[0] = (struct jail_bind){.source = probe, .target = "/probe", .readonly = true};
	cfg.binds = binds;
	cfg.nr_binds = 1;
	cfg.proc = true;
	cfg.userns_fd = -1;
	cfg.vmm_path = probe;
	argv_buf[n++] = "probe";
	for (; *args && n < sizeof(argv_buf) / sizeof(argv_buf[0]) - 1; args++)
		argv_buf[n++] = (char *)*args;
	argv_buf[n] = NULL;
	cfg.vmm_argv = argv_buf;
	cfg.keep_fds = keep_fds;
	cfg.nr_keep_fds = 1;
	cfg.hostname = "jailed";
	cfg.keep_caps = vmm_caps;
}

static int count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	int n = 0, c;

	cr_assert_not_null(f, "%s", path);
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static void assert_no_children(void)
{
	cr_assert_eq(waitpid(-1, NULL, WNOHANG | __WALL), -1, "a child is left behind");
	cr_assert_eq(errno, ECHILD);
}

/* KEEP_FD close-on-exec (the jail passes it on all the same), DROP_FD not. */
static void open_test_fds(void)
{
	int fd = open("/dev/null", O_RDONLY);

	cr_assert_geq(fd, 0);
	cr_assert_eq(dup3(fd, KEEP_FD, O_CLOEXEC), KEEP_FD);
	cr_assert_eq(dup2(fd, DROP_FD), DROP_FD);
	close(fd);
}

/*
 * Runs the jail from a helper process whose stdout is a pipe: returns the
 * probe's exit status (99: jail_spawn failed) and its output in out.
 */
static int run_jail(char *out, size_t outlen)
{
	size_t len = 0;
	int p[2], st;
	ssize_t n;
	pid_t h;

	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	h = fork();
	cr_assert_geq(h, 0);
	if (h == 0) {
		char e[1024];
		pid_t vmm;
		int null = open("/dev/null", O_RDONLY);

		prctl(PR_SET_CHILD_SUBREAPER, 1);
		dup2(null, 0);
		dup2(p[1], 1);
		dup2(p[1], 2);
		open_test_fds();
		setenv("HYRUN_UNIT", "passed", 1);
		setenv("UNIT_OTHER", "dropped", 1);
		vmm = jail_spawn(&cfg, e, sizeof(e));
		if (vmm < 0) {
			dprintf(1, "jail_spawn: %s\n", e);
			_exit(99);
		}
		while (waitpid(vmm, &st, 0) < 0 && errno == EINTR)
			;
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	}
	close(p[1]);
	while (len < outlen - 1 && (n = read(p[0], out + len, outlen - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(p[0]);
	cr_assert_eq(waitpid(h, &st, 0), h);
	cr_assert(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void run_probe(const char *const *args, char *out, size_t outlen)
{
	int st;

	base_config(args);
	st = run_jail(out, outlen);
	cr_assert_eq(st, 0, "probe %s: status %d: %s", args[0], st, out);
}

/*
 * The VMM's own user namespace: root there, a host id range on the host. An
 * idmapped bind shows the files' real owners; the procfs hides the host's
 * processes; nothing but the mapped ids counts for the capabilities.
 */
Test(runtime_jail, own_user_namespace, .timeout = 60)
{
	const struct jail_idmap map = {0, 2000000000u, 65536};
	char dir[] = "/tmp/hyrun-jail-idmap.XXXXXX", file[PATH_MAX], out[4096], e[512], fstype[64];
	int userns, r;

	need_root();
	cr_assert_not_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/owned", dir);
	cr_assert_eq(close(open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)), 0);
	cr_assert_eq(chown(file, 1000, 1001), 0);
	userns = jail_userns_make(&map, 1, &map, 1, e, sizeof(e));
	cr_assert_geq(userns, 0, "%s", e);
	r = jail_idmap_check(dir, userns, fstype, sizeof(fstype));
	if (r) {
		unlink(file);
		rmdir(dir);
		close(userns);
		cr_skip_test("%s on %s cannot be idmapped here: %s", dir, fstype, strerror(-r));
	}
	/* Not idmappable: procfs. */
	cr_assert_eq(jail_idmap_check("/proc", userns, fstype, sizeof(fstype)), -EINVAL);
	cr_assert_str_eq(fstype, "file system type 0x9fa0");

	base_config((const char *[]){"stat", "/share/owned", "/probe", NULL});
	binds[1] = (struct jail_bind){.source = dir, .target = "/share", .idmap = true};
	cfg.nr_binds = 2;
	cfg.userns_fd = userns;
	cr_assert_eq(run_jail(out, sizeof(out)), 0, "%s", out);
	/* The idmapped share: the host's owners; the plain bind: nobody's. */
	cr_assert(strstr(out, "/share/owned=file mode=0600 uid=1000 gid=1001 "), "%s", out);
	cr_assert(strstr(out, "/probe=file mode=0755 uid=65534 gid=65534 "), "%s", out);

	base_config((const char *[]){"ids", NULL});
	cfg.userns_fd = userns;
	cr_assert_eq(run_jail(out, sizeof(out)), 0, "%s", out);
	cr_assert(strstr(out, "uid=0\ngid=0\neuid=0\negid=0\ngroups=\n"), "%s", out);

	/* Capabilities in its namespace only: the host's files of root are not its own. */
	base_config((const char *[]){"chmod-same", "/probe", NULL});
	cfg.userns_fd = userns;
	cr_assert_eq(run_jail(out, sizeof(out)), 1, "%s", out);

	base_config((const char *[]){"ls", "/proc", NULL});
	cfg.userns_fd = userns;
	cr_assert_eq(run_jail(out, sizeof(out)), 0, "%s", out);
	cr_assert_str_eq(out, "entry=1\nentry=self\nentry=thread-self\n");

	/* With the spec's user namespace too: refused. */
	base_config((const char *[]){"ids", NULL});
	cfg.userns_fd = userns;
	cfg.ns[JAIL_NS_USER].enabled = true;
	cr_assert_eq(run_jail(out, sizeof(out)), 99, "%s", out);
	cr_assert(strstr(out, "cannot both be used"), "%s", out);
	/* An idmapped bind without one: refused. */
	base_config((const char *[]){"ids", NULL});
	binds[1] = (struct jail_bind){.source = dir, .target = "/share", .idmap = true};
	cfg.nr_binds = 2;
	cr_assert_eq(run_jail(out, sizeof(out)), 99, "%s", out);
	cr_assert(strstr(out, "idmapped without a user namespace"), "%s", out);

	close(userns);
	assert_no_children();
	cr_assert_eq(unlink(file), 0);
	cr_assert_eq(rmdir(dir), 0);
}

Test(runtime_jail, probe_view, .timeout = 60)
{
	char out[4096], want[256], dev[256] = "";
	int mounts;

	need_root();
	mounts = count_lines("/proc/self/mountinfo");

	run_probe((const char *[]){"pid", NULL}, out, sizeof(out));
	cr_assert_str_eq(out, "pid=1\nppid=0\n");
	run_probe((const char *[]){"hostname", NULL}, out, sizeof(out));
	cr_assert_str_eq(out, "hostname=jailed\n");
	run_probe((const char *[]){"nnp", NULL}, out, sizeof(out));
	cr_assert_str_eq(out, "nnp=1\n");
	run_probe((const char *[]){"ids", NULL}, out, sizeof(out));
	cr_assert(strstr(out, "uid=0\n"), "%s", out);

	run_probe((const char *[]){"caps", NULL}, out, sizeof(out));
	snprintf(want, sizeof(want),
		 "CapInh=%016llx\nCapPrm=%016llx\nCapEff=%016llx\nCapBnd=%016llx\n"
		 "CapAmb=0000000000000000\n",
		 (unsigned long long)vmm_caps, (unsigned long long)vmm_caps,
		 (unsigned long long)vmm_caps, (unsigned long long)vmm_caps);
	cr_assert_str_eq(out, want);

	/* Only the binds and the devices are in the root. */
	run_probe((const char *[]){"ls", "/", NULL}, out, sizeof(out));
	cr_assert_str_eq(out, "entry=dev\nentry=probe\nentry=proc\n");
	/* /dev/kvm and the taps come as descriptors: no path to them. */
	run_probe((const char *[]){"ls", "/dev", NULL}, out, sizeof(out));
	strcat(dev, "entry=null\nentry=urandom\nentry=zero\n");
	cr_assert_str_eq(out, dev);
	/* The procfs is the jail's own: its one process, nothing system-wide. */
	run_probe((const char *[]){"ls", "/proc", NULL}, out, sizeof(out));
	cr_assert_str_eq(out, "entry=1\nentry=self\nentry=thread-self\n");

	/* Binds are nodev and nosuid; a device's bind read-only instead, so that the host's
	 * node cannot be chmod'ed through it (opening it still works). */
	run_probe((const char *[]){"mountflags", "/probe", NULL}, out, sizeof(out));
	cr_assert_str_eq(out, "ro=1 nodev=1 nosuid=1\n");
	run_probe((const char *[]){"mountflags", "/proc", NULL}, out, sizeof(out));
	cr_assert_str_eq(out, "ro=1 nodev=1 nosuid=1\n");
	run_probe((const char *[]){"mountflags", "/dev/null", NULL}, out, sizeof(out));
	cr_assert_str_eq(out, "ro=1 nodev=0 nosuid=0\n");
	base_config((const char *[]){"chmod-same", "/dev/null", NULL});
	cr_assert_eq(run_jail(out, sizeof(out)), 1, "%s", out);
	cr_assert_str_eq(out, "chmod=EROFS\n");

	run_probe((const char *[]){"fds", NULL}, out, sizeof(out));
	snprintf(want, sizeof(want), "fds=0,1,2,%d\n", KEEP_FD);
	cr_assert_str_eq(out, want);

	run_probe((const char *[]){"env", NULL}, out, sizeof(out));
	cr_assert(strstr(out, "PATH="), "%s", out);
	cr_assert(strstr(out, "HYRUN_UNIT=passed"), "%s", out);
	cr_assert_null(strstr(out, "UNIT_OTHER"), "%s", out);

	/* The exit status is the program's. */
	base_config((const char *[]){"no-such-subcommand", NULL});
	cr_assert_eq(run_jail(out, sizeof(out)), 2, "%s", out);

	cr_assert_eq(count_lines("/proc/self/mountinfo"), mounts, "the host's mounts changed");
	assert_no_children();
}

static void read_proc(pid_t pid, const char *file, char *buf, size_t len)
{
	char p[64];
	ssize_t n;
	int fd;

	snprintf(p, sizeof(p), "/proc/%d/%s", (int)pid, file);
	fd = open(p, O_RDONLY);
	cr_assert_geq(fd, 0, "%s", p);
	n = read(fd, buf, len - 1);
	cr_assert_geq(n, 0);
	buf[n] = '\0';
	close(fd);
}

static bool same_ns(pid_t pid, const char *ns)
{
	char a[64], b[64], pa[64], pb[64];
	ssize_t na, nb;

	snprintf(pa, sizeof(pa), "/proc/%d/ns/%s", (int)pid, ns);
	snprintf(pb, sizeof(pb), "/proc/self/ns/%s", ns);
	na = readlink(pa, a, sizeof(a) - 1);
	nb = readlink(pb, b, sizeof(b) - 1);
	cr_assert(na > 0 && nb > 0);
	a[na] = b[nb] = '\0';
	return !strcmp(a, b);
}

static void kill_and_reap(pid_t pid)
{
	int st;

	kill(pid, SIGKILL);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
}

/* host_view's group: removed after the test (with the probe), also when it failed. */
static struct cgroup *view_cg;

static void destroy_view_cg(void)
{
	if (view_cg) {
		cgroup_destroy(view_cg);
		cgroup_free(view_cg);
		view_cg = NULL;
	}
}

/* The host's view of a jailed process, in its cgroup when cgroups can be made here. */
Test(runtime_jail, host_view, .timeout = 60, .fini = destroy_view_cg)
{
	char buf[8192], want[256], path[64];
	struct cgroup *cg = NULL;
	struct dirent *de;
	int mounts, st, entries = 0;
	pid_t pid;
	DIR *d;

	need_root();
	mounts = count_lines("/proc/self/mountinfo");
	snprintf(path, sizeof(path), "/hyrun/unit-jail-%d", (int)getpid());
	if (cgroup_create(&cg, path, "unit", NULL, err, sizeof(err)) < 0) {
		cr_log_warn("jail in no cgroup: %s", err);
		cg = NULL;
	}
	view_cg = cg;
	cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	base_config((const char *[]){"sleep", "20", NULL});
	cfg.cgroup = cg;
	open_test_fds();
	pid = jail_spawn(&cfg, err, sizeof(err));
	cr_assert_gt(pid, 0, "%s", err);
	close(KEEP_FD);
	close(DROP_FD);

	/* Wait for the exec: then /proc/PID/exe is the probe. */
	for (int i = 0; i < 500; i++) {
		read_proc(pid, "comm", buf, sizeof(buf));
		if (!strcmp(buf, "probe\n"))
			break;
		usleep(10000);
	}
	read_proc(pid, "status", buf, sizeof(buf));
	snprintf(want, sizeof(want), "\nNSpid:\t%d\t1\n", (int)pid);
	cr_assert(strstr(buf, want), "%s", buf);
	cr_assert(strstr(buf, "\nNoNewPrivs:\t1\n"), "%s", buf);
	snprintf(want, sizeof(want), "\nCapEff:\t%016llx\n", (unsigned long long)vmm_caps);
	cr_assert(strstr(buf, want), "%s", buf);
	for (const char *const *ns = (const char *const[]){"mnt", "pid_for_children", "ipc", "uts",
							   "net", "cgroup", NULL};
	     *ns; ns++) {
		if (!strcmp(*ns, "pid_for_children"))
			cr_assert_not(same_ns(pid, "pid"), "pid namespace shared");
		else
			cr_assert_not(same_ns(pid, *ns), "%s namespace shared", *ns);
	}
	cr_assert(same_ns(pid, "user"));

	/* Its root: the binds and /dev only, and read-only. */
	snprintf(want, sizeof(want), "/proc/%d/root", (int)pid);
	d = opendir(want);
	cr_assert_not_null(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.') {
			cr_assert(!strcmp(de->d_name, "dev") || !strcmp(de->d_name, "probe") ||
				      !strcmp(de->d_name, "proc"),
				  "unexpected /%s", de->d_name);
			entries++;
		}
	closedir(d);
	cr_assert_eq(entries, 3);
	read_proc(pid, "mountinfo", buf, sizeof(buf));
	cr_assert(strstr(buf, " / / ro,"), "the root is not read-only:\n%s", buf);
	cr_assert(strstr(buf, " /probe ro,"), "/probe is not read-only:\n%s", buf);

	if (cg) {
		pid_t *pids;
		size_t n;

		cr_assert_eq(cgroup_pids(cg, &pids, &n), 0);
		cr_assert_eq(n, 1);
		cr_assert_eq(pids[0], pid);
		free(pids);
		/* destroy kills it. */
		cr_assert_eq(cgroup_destroy(cg), 0);
		cr_assert_eq(waitpid(pid, &st, 0), pid);
		cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	} else {
		kill_and_reap(pid);
	}
	cr_assert_eq(count_lines("/proc/self/mountinfo"), mounts, "the host's mounts changed");
	assert_no_children();
}

/* A process in a network and a UTS namespace of its own, for the jail to join. */
static pid_t ns_holder(void)
{
	int p[2];
	pid_t pid;
	char c;

	cr_assert_eq(pipe(p), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (unshare(CLONE_NEWNET | CLONE_NEWUTS) < 0 || sethostname("holder", 6) < 0)
			_exit(1);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	cr_assert_eq(read(p[0], &c, 1), 1);
	close(p[0]);
	return pid;
}

Test(runtime_jail, controlling_terminal, .timeout = 60)
{
	char buf[1024], *p;
	int master, slave, saved, session, tty;
	pid_t pid;

	need_root();
	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	cr_assert_geq(master, 0);
	cr_assert(grantpt(master) == 0 && unlockpt(master) == 0);
	slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
	cr_assert_geq(slave, 0);
	saved = fcntl(0, F_DUPFD_CLOEXEC, 3);
	cr_assert_geq(saved, 0);
	cr_assert_eq(dup2(slave, 0), 0);
	cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	base_config((const char *[]){"sleep", "20", NULL});
	cfg.nr_keep_fds = 0;
	cfg.setsid_tty = true;
	pid = jail_spawn(&cfg, err, sizeof(err));
	dup2(saved, 0);
	cr_assert_gt(pid, 0, "%s", err);

	/* stat: pid (comm) state ppid pgrp session tty_nr ... */
	read_proc(pid, "stat", buf, sizeof(buf));
	p = strrchr(buf, ')');
	cr_assert_not_null(p);
	cr_assert_eq(sscanf(p + 2, "%*c %*d %*d %d %d", &session, &tty), 2, "%s", buf);
	cr_assert_eq(session, pid, "%s", buf);
	cr_assert_neq(tty, 0, "%s", buf);
	kill_and_reap(pid);
	close(slave);
	close(master);
	close(saved);

	/* Without a terminal on fd 0 it is refused up front. */
	base_config((const char *[]){"pid", NULL});
	cfg.nr_keep_fds = 0;
	cfg.setsid_tty = true;
	saved = fcntl(0, F_DUPFD_CLOEXEC, 3);
	slave = open("/dev/null", O_RDONLY | O_CLOEXEC);
	dup2(slave, 0);
	cr_assert_eq(jail_spawn(&cfg, err, sizeof(err)), -1);
	dup2(saved, 0);
	cr_assert(strstr(err, "not a terminal"), "%s", err);
	close(slave);
	close(saved);
	assert_no_children();
}

Test(runtime_jail, join_namespaces, .timeout = 60)
{
	char net[64], uts[64], buf[256];
	pid_t holder, pid;

	need_root();
	holder = ns_holder();
	snprintf(net, sizeof(net), "/proc/%d/ns/net", (int)holder);
	snprintf(uts, sizeof(uts), "/proc/%d/ns/uts", (int)holder);

	base_config((const char *[]){"hostname", NULL});
	cfg.ns[JAIL_NS_UTS].path = uts;
	cfg.hostname = NULL;
	cr_assert_eq(run_jail(buf, sizeof(buf)), 0, "%s", buf);
	cr_assert_str_eq(buf, "hostname=holder\n");

	base_config((const char *[]){"sleep", "20", NULL});
	cfg.ns[JAIL_NS_NET].path = net;
	cfg.nr_keep_fds = 0;
	cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	pid = jail_spawn(&cfg, err, sizeof(err));
	cr_assert_gt(pid, 0, "%s", err);
	{
		char a[64], b[64], pa[64];
		ssize_t na, nb;

		snprintf(pa, sizeof(pa), "/proc/%d/ns/net", (int)pid);
		/* The link exists from fork on, and the namespace is joined before the fork. */
		na = readlink(pa, a, sizeof(a) - 1);
		nb = readlink(net, b, sizeof(b) - 1);
		cr_assert(na > 0 && nb > 0);
		a[na] = b[nb] = '\0';
		cr_assert_str_eq(a, b);
	}
	kill_and_reap(pid);
	kill_and_reap(holder);
	assert_no_children();
}

Test(runtime_jail, user_namespace, .timeout = 60)
{
	struct jail_idmap map = {.container_id = 0, .host_id = 100000, .size = 65536};
	char out[1024], want[256];
	int st;

	need_root();
	base_config((const char *[]){"ids", NULL});
	cfg.ns[JAIL_NS_USER].enabled = true;
	cfg.uid_map = cfg.gid_map = &map;
	cfg.nr_uid_map = cfg.nr_gid_map = 1;
	st = run_jail(out, sizeof(out));
	if (st == 99 && strstr(out, "create a user namespace"))
		cr_skip_test("no user namespaces here: %s", out);
	cr_assert_eq(st, 0, "%s", out);
	cr_assert(strstr(out, "uid=0\ngid=0\neuid=0\negid=0\n"), "%s", out);

	base_config((const char *[]){"caps", NULL});
	cfg.ns[JAIL_NS_USER].enabled = true;
	cfg.uid_map = cfg.gid_map = &map;
	cfg.nr_uid_map = cfg.nr_gid_map = 1;
	cr_assert_eq(run_jail(out, sizeof(out)), 0, "%s", out);
	snprintf(want, sizeof(want), "CapEff=%016llx\n", (unsigned long long)vmm_caps);
	cr_assert(strstr(out, want), "%s", out);
	assert_no_children();
}

static void assert_fails(const char *what, const char *needle1, const char *needle2)
{
	int mounts = count_lines("/proc/self/mountinfo");
	pid_t pid;

	err[0] = '\0';
	pid = jail_spawn(&cfg, err, sizeof(err));
	cr_assert_eq(pid, -1, "%s: started", what);
	cr_assert(strstr(err, needle1), "%s: '%s' lacks '%s'", what, err, needle1);
	if (needle2)
		cr_assert(strstr(err, needle2), "%s: '%s' lacks '%s'", what, err, needle2);
	cr_assert_eq(count_lines("/proc/self/mountinfo"), mounts, "%s: mounts changed", what);
	assert_no_children();
}

Test(runtime_jail, errors, .timeout = 60)
{
	char plain[] = "/tmp/hyrun-jail-unit-XXXXXX";
	int fd;

	need_root();
	cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	open_test_fds();

	/* In the child, with and without the pid namespace's second process. */
	base_config((const char *[]){"pid", NULL});
	cfg.vmm_path = "/nonexistent/hyrun-vmm";
	assert_fails("missing VMM", "open the VMM '/nonexistent/hyrun-vmm'", "No such file");
	cfg.ns[JAIL_NS_PID].enabled = false;
	assert_fails("missing VMM, no pid ns", "open the VMM '/nonexistent/hyrun-vmm'",
		     "No such file");

	base_config((const char *[]){"pid", NULL});
	cfg.vmm_path = "/tmp";
	assert_fails("directory VMM", "not a regular file", NULL);

	fd = mkstemp(plain);
	cr_assert_geq(fd, 0);
	close(fd);
	base_config((const char *[]){"pid", NULL});
	cfg.vmm_path = plain;
	assert_fails("VMM not executable", "exec '", "Permission denied");
	unlink(plain);

	base_config((const char *[]){"pid", NULL});
	binds[1] = (struct jail_bind){.source = "/nonexistent/kernel", .target = "/kernel"};
	cfg.nr_binds = 2;
	assert_fails("missing bind source", "/nonexistent/kernel", "No such file");

	base_config((const char *[]){"pid", NULL});
	binds[1] = (struct jail_bind){.source = "/proc", .target = "../escape"};
	cfg.nr_binds = 2;
	assert_fails("relative bind target", "../escape", NULL);

	base_config((const char *[]){"pid", NULL});
	cfg.keep_fds = (const int[]){987};
	assert_fails("closed keep fd", "fd 987", NULL);

	base_config((const char *[]){"pid", NULL});
	cfg.ns[JAIL_NS_UTS].enabled = false;
	assert_fails("hostname without UTS namespace", "hostname", NULL);

	base_config((const char *[]){"pid", NULL});
	cfg.ns[JAIL_NS_USER].enabled = true;
	assert_fails("user namespace without maps", "mappings", NULL);

	base_config((const char *[]){"pid", NULL});
	cfg.ns[JAIL_NS_NET].path = "/nonexistent/ns/net";
	assert_fails("missing namespace path", "/nonexistent/ns/net", NULL);

	/* A path that is no network namespace: setns fails in the child. */
	base_config((const char *[]){"pid", NULL});
	cfg.ns[JAIL_NS_NET].path = "/proc/self/ns/uts";
	assert_fails("wrong namespace type", "join the network namespace", NULL);
	close(KEEP_FD);
	close(DROP_FD);
}
