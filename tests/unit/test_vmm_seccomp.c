/* test_vmm_seccomp.c: hyrun-vmm's seccomp allowlist: the rule table, and the filter in a child. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/uio.h>
#include <termios.h>
#include <unistd.h>

#include <linux/if_tun.h>

#include "vmm/fs/passthrough.h"
#include "vmm/seccomp.h"

struct outcome {
	int status;
	char err[4096]; /* what the child wrote on stderr */
};

static pid_t parent_pid;
/* The features the next run_confined() installs the filter for. */
static unsigned confine_features;
/* What the child of the next run_confined() sets up before the filter, or NULL. */
static void (*confine_prepare)(void);

/*
 * Run `fn` in a child that installed the filter first, with its stderr
 * captured (and confine_prepare() run before it). The child exits 0 when `fn`
 * returns; 100 when the install failed.
 */
static void run_confined(void (*fn)(void), struct outcome *o)
{
	size_t len = 0;
	int p[2];
	pid_t pid;

	memset(o, 0, sizeof(*o));
	parent_pid = getpid();
	cr_assert_eq(pipe(p), 0);
	pid = fork();
	cr_assert(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		close(p[0]);
		if (dup2(p[1], STDERR_FILENO) < 0)
			_exit(101);
		/* No core file for the SIGSYS the tests expect. */
		prctl(PR_SET_DUMPABLE, 0);
		if (confine_prepare)
			confine_prepare();
		if (vmm_seccomp_install(confine_features))
			_exit(100);
		fn();
		_exit(0);
	}
	close(p[1]);
	for (;;) {
		ssize_t n = read(p[0], o->err + len, sizeof(o->err) - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(p[0]);
	cr_assert_eq(waitpid(pid, &o->status, 0), pid);
}

static void expect_exit0(const struct outcome *o)
{
	cr_assert(WIFEXITED(o->status) && WEXITSTATUS(o->status) == 0,
		  "the child did not exit 0 (status %#x), stderr: %s", o->status, o->err);
}

static void expect_blocked(const struct outcome *o, const char *report)
{
	cr_assert(WIFSIGNALED(o->status) && WTERMSIG(o->status) == SIGSYS,
		  "the child did not die of SIGSYS (status %#x), stderr: %s", o->status, o->err);
	cr_assert(strstr(o->err, report), "stderr '%s' does not contain '%s'", o->err, report);
}

/* --- the table --------------------------------------------------------------- */

Test(vmm_seccomp, every_rule_has_a_reason_and_a_real_call)
{
	cr_assert_gt(vmm_seccomp_nr_rules, 0);
	for (size_t i = 0; i < vmm_seccomp_nr_rules; i++) {
		const struct vmm_seccomp_rule *r = &vmm_seccomp_rules[i];

		cr_assert(r->name && r->name[0], "rule %zu has no name", i);
		cr_assert(r->why && strlen(r->why) >= 8, "%s: no reason given", r->name);
		cr_assert(!strchr(r->why, '\n'), "%s: the reason is not one line", r->name);
		cr_assert_eq(seccomp_syscall_resolve_name(r->name), r->nr,
			     "%s: number %d is not that call's", r->name, r->nr);
		cr_assert(r->nr >= 0, "%s: not a call of this architecture", r->name);
		if (r->cmp != VMM_SECCOMP_ANY) {
			cr_assert(r->what && r->what[0], "%s: the argument's value has no name",
				  r->name);
			cr_assert_lt(r->arg, 6, "%s: argument %u", r->name, r->arg);
		}
		cr_assert(r->cmp2 == VMM_SECCOMP_ANY ||
			      (r->cmp2 == VMM_SECCOMP_MASKED_EQ &&
			       r->cmp == VMM_SECCOMP_MASKED_EQ && r->arg2 < 6 && r->arg2 != r->arg),
			  "%s: a second argument check that is not one", r->name);
	}
}

Test(vmm_seccomp, no_call_is_listed_twice_unconditionally)
{
	for (size_t i = 0; i < vmm_seccomp_nr_rules; i++)
		for (size_t j = i + 1; j < vmm_seccomp_nr_rules; j++)
			cr_assert(vmm_seccomp_rules[i].nr != vmm_seccomp_rules[j].nr ||
				      (vmm_seccomp_rules[i].cmp != VMM_SECCOMP_ANY &&
				       vmm_seccomp_rules[j].cmp != VMM_SECCOMP_ANY),
				  "%s is listed twice, once without an argument check",
				  vmm_seccomp_rules[i].name);
}

/* Calls that would let a compromised VMM leave its jail or reach others. */
Test(vmm_seccomp, dangerous_calls_are_not_listed)
{
	static const char *const never[] = {
	    "execve",
	    "execveat",
	    "fork",
	    "vfork",
	    "ptrace",
	    "process_vm_readv",
	    "process_vm_writev",
	    "mount",
	    "umount2",
	    "pivot_root",
	    "chroot",
	    "setns",
	    "socketpair",
	    "bind",
	    "listen",
	    "sendto",
	    "sendmsg",
	    "kill",
	    "tkill",
	    "init_module",
	    "finit_module",
	    "delete_module",
	    "bpf",
	    "perf_event_open",
	    "kexec_load",
	    "reboot",
	    "setuid",
	    "setgid",
	    "setresuid",
	    "setresgid",
	    "setgroups",
	    "capset",
	    "keyctl",
	    "add_key",
	    "request_key",
	    "userfaultfd",
	    "io_uring_setup",
	    "open_by_handle_at",
	    "name_to_handle_at",
	    "mknod",
	    "open",
	    "fsopen",
	    "fsmount",
	    "move_mount",
	    "open_tree",
	    "seccomp",
	    "personality",
	    "iopl",
	    "ioperm",
	    "swapon",
	    "acct",
	};

	for (size_t k = 0; k < sizeof(never) / sizeof(never[0]); k++) {
		int nr = seccomp_syscall_resolve_name(never[k]);

		cr_assert(nr != __NR_SCMP_ERROR, "%s: unknown to libseccomp", never[k]);
		for (size_t i = 0; i < vmm_seccomp_nr_rules; i++)
			cr_assert_neq(vmm_seccomp_rules[i].nr, nr, "%s is allowed", never[k]);
	}
}

Test(vmm_seccomp, risky_calls_are_checked_by_argument)
{
	int clone_nr = seccomp_syscall_resolve_name("clone");
	int unshare_nr = seccomp_syscall_resolve_name("unshare");
	int ioctl_nr = seccomp_syscall_resolve_name("ioctl");
	int mmap_nr = seccomp_syscall_resolve_name("mmap");
	int mprotect_nr = seccomp_syscall_resolve_name("mprotect");
	int mknodat_nr = seccomp_syscall_resolve_name("mknodat");
	int openat_nr = seccomp_syscall_resolve_name("openat");
	int mknodat_rules = 0, openat_rules = 0;

	for (size_t i = 0; i < vmm_seccomp_nr_rules; i++) {
		const struct vmm_seccomp_rule *r = &vmm_seccomp_rules[i];

		if (r->nr == clone_nr) {
			cr_assert_eq(r->cmp, VMM_SECCOMP_MASKED_EQ);
			cr_assert(r->mask & CLONE_THREAD && r->value & CLONE_THREAD);
			cr_assert(r->mask & CLONE_NEWUSER && !(r->value & CLONE_NEWUSER));
		}
		if (r->nr == unshare_nr)
			cr_assert(r->cmp == VMM_SECCOMP_MASKED_EQ && r->value == CLONE_FS &&
				  r->mask == ~0ull);
		if (r->nr == mmap_nr || r->nr == mprotect_nr)
			cr_assert(r->cmp == VMM_SECCOMP_MASKED_EQ && r->arg == 2 &&
				      r->mask == PROT_EXEC && r->value == 0,
				  "%s: executable memory allowed", r->name);
		if (r->nr == ioctl_nr)
			cr_assert(r->cmp == VMM_SECCOMP_MASKED_EQ && r->arg == 1,
				  "an ioctl rule without a request");
		/* A file type each; a character device only as 0:0, never a
		 * block device. */
		if (r->nr == mknodat_nr) {
			mknodat_rules++;
			cr_assert(r->cmp == VMM_SECCOMP_MASKED_EQ && r->arg == 2 &&
				  r->mask == S_IFMT);
			cr_assert(r->value == S_IFREG || r->value == S_IFIFO ||
				      r->value == S_IFSOCK || r->value == S_IFCHR,
				  "mknodat: file type %#llo allowed", (unsigned long long)r->value);
			if (r->value == S_IFCHR)
				cr_assert(r->cmp2 == VMM_SECCOMP_MASKED_EQ && r->arg2 == 3 &&
					      r->mask2 == ~0ull && r->value2 == 0,
					  "mknodat: a character device other than 0:0 allowed");
		}
		/* O_CREAT only with O_EXCL; never O_TMPFILE. */
		if (r->nr == openat_nr) {
			openat_rules++;
			cr_assert(r->cmp == VMM_SECCOMP_MASKED_EQ && r->arg == 2 &&
				  r->cmp2 == VMM_SECCOMP_ANY);
			cr_assert((r->mask & (O_CREAT | 020000000)) == (O_CREAT | 020000000) &&
				      !(r->value & 020000000) && !(r->mask & O_DIRECTORY),
				  "openat: O_CREAT or O_TMPFILE unchecked");
			cr_assert(!(r->value & O_CREAT) ||
				      ((r->mask & O_EXCL) && (r->value & O_EXCL)),
				  "openat: O_CREAT without O_EXCL allowed");
		}
	}
	cr_assert_eq(mknodat_rules, 4);
	cr_assert_eq(openat_rules, 2);
}

/* virtio-vsock's guest connections: only Unix stream sockets can be made
 * (connect() itself cannot be filtered by address), and only the writing side
 * of one shut. */
Test(vmm_seccomp, sockets_are_only_unix_streams)
{
	int socket_nr = seccomp_syscall_resolve_name("socket");
	int shutdown_nr = seccomp_syscall_resolve_name("shutdown");
	int accept_nr = seccomp_syscall_resolve_name("accept4");
	bool have_socket = false;

	for (size_t i = 0; i < vmm_seccomp_nr_rules; i++) {
		const struct vmm_seccomp_rule *r = &vmm_seccomp_rules[i];

		if (r->nr == socket_nr) {
			have_socket = true;
			cr_assert(r->cmp == VMM_SECCOMP_MASKED_EQ && r->arg == 0 &&
				  r->mask == 0xffffffffu && r->value == AF_UNIX);
			cr_assert(r->cmp2 == VMM_SECCOMP_MASKED_EQ && r->arg2 == 1 &&
				  r->mask2 == 0xffffffffu &&
				  r->value2 == (SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC));
		}
		if (r->nr == shutdown_nr)
			cr_assert(r->cmp == VMM_SECCOMP_MASKED_EQ && r->arg == 1 &&
				  r->value == SHUT_WR);
		if (r->nr == accept_nr)
			cr_assert(r->cmp == VMM_SECCOMP_MASKED_EQ && r->arg == 3 &&
				  r->value == (SOCK_NONBLOCK | SOCK_CLOEXEC));
	}
	cr_assert(have_socket, "socket is not allowed: virtio-vsock cannot reach the host");
}

/* The taps are set up before the filter; once the VM runs only their offloads
 * change. A tap's interface, owner, persistence, queues or filters never do. */
Test(vmm_seccomp, tap_ioctls_are_only_tunsetoffload)
{
	static const struct {
		unsigned long req;
		const char *name;
	} never[] = {
	    {TUNSETIFF, "TUNSETIFF"},
	    {TUNSETPERSIST, "TUNSETPERSIST"},
	    {TUNSETOWNER, "TUNSETOWNER"},
	    {TUNSETGROUP, "TUNSETGROUP"},
	    {TUNSETLINK, "TUNSETLINK"},
	    {TUNSETQUEUE, "TUNSETQUEUE"},
	    {TUNATTACHFILTER, "TUNATTACHFILTER"},
	    {TUNSETSTEERINGEBPF, "TUNSETSTEERINGEBPF"},
	    {TUNSETFILTEREBPF, "TUNSETFILTEREBPF"},
	    {TUNSETVNETHDRSZ, "TUNSETVNETHDRSZ"},
	    {TUNSETSNDBUF, "TUNSETSNDBUF"},
	    {TUNSETTXFILTER, "TUNSETTXFILTER"},
	};
	int ioctl_nr = seccomp_syscall_resolve_name("ioctl");
	bool offload = false;

	for (size_t i = 0; i < vmm_seccomp_nr_rules; i++) {
		const struct vmm_seccomp_rule *r = &vmm_seccomp_rules[i];

		if (r->nr != ioctl_nr)
			continue;
		if (r->value == (uint32_t)TUNSETOFFLOAD)
			offload = true;
		for (size_t k = 0; k < sizeof(never) / sizeof(never[0]); k++)
			cr_assert_neq(r->value, (uint32_t)never[k].req, "%s is allowed",
				      never[k].name);
	}
	cr_assert(offload, "TUNSETOFFLOAD is not allowed: virtio-net cannot follow the driver");
}

/* --- the filter, installed in a child ---------------------------------------------- */

static void allowed_calls(void)
{
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	static const char msg[] = "still here\n";
	void *p;

	if (fd < 0 || write(fd, "x", 1) != 1 || close(fd) < 0)
		_exit(2);
	p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || munmap(p, 1 << 20) < 0)
		_exit(3);
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(4);
}

Test(vmm_seccomp, allowed_calls_work, .timeout = 30)
{
	struct outcome o;

	run_confined(allowed_calls, &o);
	expect_exit0(&o);
	cr_assert(strstr(o.err, "still here"), "stderr: %s", o.err);
	cr_assert(!strstr(o.err, "seccomp"), "stderr: %s", o.err);
}

static void map_code(void)
{
	mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

Test(vmm_seccomp, executable_mappings_kill, .timeout = 30)
{
	struct outcome o;
	char want[128];

	run_confined(map_code, &o);
	snprintf(want, sizeof(want), "blocked system call mmap (%d), argument 2 = %#x", SYS_mmap,
		 PROT_READ | PROT_EXEC);
	expect_blocked(&o, want);
}

static void make_socket(void)
{
	socket(AF_INET, SOCK_STREAM, 0);
}

Test(vmm_seccomp, socket_kills_and_is_reported, .timeout = 30)
{
	struct outcome o;
	char want[128];

	run_confined(make_socket, &o);
	snprintf(want, sizeof(want),
		 "hyrun-vmm: seccomp: blocked system call socket (%d), argument 0 = %#x\n",
		 SYS_socket, AF_INET);
	expect_blocked(&o, want);
}

static void trace_me(void)
{
	ptrace(PTRACE_TRACEME, 0, NULL, NULL);
}

Test(vmm_seccomp, ptrace_kills, .timeout = 30)
{
	struct outcome o;
	char want[128];

	run_confined(trace_me, &o);
	snprintf(want, sizeof(want), "blocked system call ptrace (%d)", SYS_ptrace);
	expect_blocked(&o, want);
}

static void exec_true(void)
{
	char *argv[] = {"true", NULL};

	execve("/bin/true", argv, environ);
}

Test(vmm_seccomp, execve_kills, .timeout = 30)
{
	struct outcome o;
	char want[128];

	run_confined(exec_true, &o);
	snprintf(want, sizeof(want), "blocked system call execve (%d)", SYS_execve);
	expect_blocked(&o, want);
}

static void do_fork(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
}

Test(vmm_seccomp, fork_kills_with_the_clone_flags, .timeout = 30)
{
	struct outcome o;
	char want[128];

	run_confined(do_fork, &o);
	snprintf(want, sizeof(want), "blocked system call clone (%d), argument 0 = 0x", SYS_clone);
	expect_blocked(&o, want);
}

static void *thread_fn(void *arg)
{
	return arg;
}

static void make_thread(void)
{
	pthread_t t;
	void *ret = NULL;

	/* glibc must fall back from clone3 to clone. */
	if (syscall(SYS_clone3, NULL, 0) != -1 || errno != ENOSYS)
		_exit(4);
	if (pthread_create(&t, NULL, thread_fn, (void *)0x1234) != 0)
		_exit(5);
	if (pthread_join(t, &ret) != 0 || ret != (void *)0x1234)
		_exit(6);
}

Test(vmm_seccomp, threads_are_allowed, .timeout = 30)
{
	struct outcome o;

	run_confined(make_thread, &o);
	expect_exit0(&o);
}

static void tcgets_on_pipe(void)
{
	struct termios t;

	/* Allowed: the kernel answers (stderr is a pipe, not a terminal). */
	if (ioctl(STDERR_FILENO, TCGETS, &t) != -1 || errno != ENOTTY)
		_exit(8);
	/* Not allowed: pushing input into a terminal. */
	ioctl(STDERR_FILENO, TIOCSTI, "x");
}

Test(vmm_seccomp, ioctl_requests_are_filtered, .timeout = 30)
{
	struct outcome o;
	char want[128];

	run_confined(tcgets_on_pipe, &o);
	snprintf(want, sizeof(want), "blocked system call ioctl (%d), argument 1 = %#x", SYS_ioctl,
		 (unsigned)TIOCSTI);
	expect_blocked(&o, want);
}

/* Made before the filter, as the taps are. */
static int frame_pipe[2];

static void tap_calls(void)
{
	char buf[8] = {0};
	struct iovec out = {.iov_base = "frame", .iov_len = 5};
	struct iovec in = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct ifreq ifr = {.ifr_flags = IFF_TAP};

	/* Frames move with writev and readv (a pipe stands in for the tap). */
	if (writev(frame_pipe[1], &out, 1) != 5 || readv(frame_pipe[0], &in, 1) != 5)
		_exit(10);
	/* Allowed, and answered by the kernel: a pipe is no tap. */
	if (ioctl(frame_pipe[0], TUNSETOFFLOAD, 0UL) != -1)
		_exit(11);
	/* Not allowed: attaching to (or creating) an interface. */
	ioctl(frame_pipe[0], TUNSETIFF, &ifr);
}

Test(vmm_seccomp, tap_frames_and_offloads_only, .timeout = 30)
{
	struct outcome o;
	char want[128];

	cr_assert_eq(pipe2(frame_pipe, O_CLOEXEC), 0);
	run_confined(tap_calls, &o);
	snprintf(want, sizeof(want), "blocked system call ioctl (%d), argument 1 = %#x", SYS_ioctl,
		 (unsigned)TUNSETIFF);
	expect_blocked(&o, want);
}

static void signal_parent(void)
{
	/* tgkill is allowed to this process's own threads only. */
	if (syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), 0) != 0)
		_exit(9);
	syscall(SYS_tgkill, parent_pid, parent_pid, 0);
}

Test(vmm_seccomp, tgkill_reaches_only_this_process, .timeout = 30)
{
	struct outcome o;
	char want[128];

	run_confined(signal_parent, &o);
	snprintf(want, sizeof(want), "blocked system call tgkill (%d), argument 0 = %#x",
		 SYS_tgkill, (unsigned)parent_pid);
	expect_blocked(&o, want);
}

static void unshare_mount_ns(void)
{
	unshare(CLONE_NEWNS);
}

Test(vmm_seccomp, unshare_is_only_for_the_fs_context, .timeout = 30)
{
	struct outcome o;
	char want[128];

	run_confined(unshare_mount_ns, &o);
	snprintf(want, sizeof(want), "blocked system call unshare (%d)", SYS_unshare);
	expect_blocked(&o, want);
}

/* A directory of a share, opened before the filter as the shares are. */
static char share_path[32];
static int share_dir = -1;

static void share_open(void)
{
	snprintf(share_path, sizeof(share_path), "/tmp/hyrun-seccomp-XXXXXX");
	cr_assert_not_null(mkdtemp(share_path));
	share_dir = open(share_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(share_dir, 0);
}

/* Removes what the tests may have made; true when `name` was there. */
static bool share_had(const char *name)
{
	return unlinkat(share_dir, name, 0) == 0;
}

static void share_close(void)
{
	static const char *const names[] = {"blk", "null", "wh", "fifo", "file", "sock", "new"};

	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
		share_had(names[k]);
	close(share_dir);
	cr_assert_eq(rmdir(share_path), 0, "%s: %s", share_path, strerror(errno));
}

/* fn, under the filter, tries to make `name` in the share: it must be killed for the
 * call `want` names, and nothing made. */
static void expect_killed_making(void (*fn)(void), const char *name, const char *want)
{
	struct outcome o;
	bool made;

	share_open();
	run_confined(fn, &o);
	made = share_had(name);
	share_close();
	cr_assert_not(made, "%s was made", name);
	expect_blocked(&o, want);
}

static void make_block_device(void)
{
	mknodat(share_dir, "blk", S_IFBLK | 0600, makedev(8, 0));
}

Test(vmm_seccomp, mknodat_of_a_block_device_kills, .timeout = 30)
{
	char want[128];

	snprintf(want, sizeof(want), "blocked system call mknodat (%d), argument 2 = %#x",
		 SYS_mknodat, S_IFBLK | 0600);
	expect_killed_making(make_block_device, "blk", want);
}

static void make_char_device(void)
{
	mknodat(share_dir, "null", S_IFCHR | 0600, makedev(1, 3));
}

Test(vmm_seccomp, mknodat_of_a_char_device_kills, .timeout = 30)
{
	char want[128];

	snprintf(want, sizeof(want), "blocked system call mknodat (%d), argument 2 = %#x",
		 SYS_mknodat, S_IFCHR | 0600);
	expect_killed_making(make_char_device, "null", want);
}

/* dev bits above the 32 the kernel reads are refused too. */
static void make_char_device_high(void)
{
	syscall(SYS_mknodat, share_dir, "wh", S_IFCHR | 0600, 1ull << 32);
}

Test(vmm_seccomp, mknodat_dev_is_checked_in_full, .timeout = 30)
{
	char want[128];

	snprintf(want, sizeof(want), "blocked system call mknodat (%d)", SYS_mknodat);
	expect_killed_making(make_char_device_high, "wh", want);
}

static void make_allowed_nodes(void)
{
	struct stat st;

	if (mknodat(share_dir, "fifo", S_IFIFO | 0600, 0) != 0)
		_exit(40);
	if (fstatat(share_dir, "fifo", &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISFIFO(st.st_mode))
		_exit(41);
	if (mknodat(share_dir, "file", S_IFREG | 0600, 0) != 0)
		_exit(42);
	if (mknodat(share_dir, "sock", S_IFSOCK | 0600, 0) != 0)
		_exit(43);
	/* A whiteout: allowed by the filter; the kernel may still refuse it
	 * (EPERM before Linux 5.8 without CAP_MKNOD, or a file system that
	 * has no such node). */
	if (mknodat(share_dir, "wh", S_IFCHR | 0600, makedev(0, 0)) != 0 && errno != EPERM &&
	    errno != EOPNOTSUPP && errno != EINVAL)
		_exit(44);
}

Test(vmm_seccomp, mknodat_of_files_fifos_sockets_and_whiteouts, .timeout = 30)
{
	struct outcome o;

	share_open();
	run_confined(make_allowed_nodes, &o);
	share_close();
	expect_exit0(&o);
}

static void open_creat_no_excl(void)
{
	openat(share_dir, "new", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
}

Test(vmm_seccomp, openat_creat_without_excl_kills, .timeout = 30)
{
	char want[128];

	snprintf(want, sizeof(want), "blocked system call openat (%d), argument 2 = %#x",
		 SYS_openat, O_WRONLY | O_CREAT | O_CLOEXEC);
	expect_killed_making(open_creat_no_excl, "new", want);
}

static void open_creat_excl_then_tmpfile(void)
{
	int fd =
	    openat(share_dir, "new", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0 || close(fd) != 0)
		_exit(50);
	/* An existing file is reopened without O_CREAT, as CREATE does. */
	fd = openat(share_dir, "new", O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0 || close(fd) != 0)
		_exit(51);
	/* Not allowed: a file without a name. */
	openat(share_dir, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
}

Test(vmm_seccomp, openat_creates_only_with_excl_and_never_tmpfile, .timeout = 30)
{
	struct outcome o;
	bool made;
	char want[128];

	share_open();
	run_confined(open_creat_excl_then_tmpfile, &o);
	made = share_had("new");
	share_close();
	cr_assert(made, "O_CREAT|O_EXCL created nothing");
	snprintf(want, sizeof(want), "blocked system call openat (%d), argument 2 = %#x",
		 SYS_openat, O_TMPFILE | O_RDWR | O_CLOEXEC);
	expect_blocked(&o, want);
}

/* A share, set up before the filter as the VMM's are; the guest caller. */
static struct passthrough *share_pt;
static struct pt_cred share_cred;

/* In the child: its /proc/self/fd, not the parent's, is the one to reopen
 * handles through. */
static void share_serve(void)
{
	share_pt = passthrough_new(share_path, false, NULL, 0);
	if (!share_pt)
		_exit(59);
}

/* The virtio-fs server's own calls for what creates files and nodes: CREATE
 * of a new name and of an existing file, OPEN, SETATTR of the size, MKNOD. */
static void serve_creations(void)
{
	const struct pt_cred cred = share_cred;
	struct fuse_setattr_in sa = {.valid = FATTR_SIZE, .size = 1};
	struct fuse_entry_out e;
	struct fuse_attr_out ao;
	struct fuse_open_out oo;
	int r;

	if (passthrough_thread_init() != 0)
		_exit(60);
	if (passthrough_create(share_pt, &cred, FUSE_ROOT_ID, "new", O_RDWR, 0644, 022, &e, &oo) !=
		0 ||
	    passthrough_write(share_pt, oo.fh, 0, "data", 4) != 4 ||
	    passthrough_release(share_pt, oo.fh) != 0)
		_exit(61);
	if (passthrough_create(share_pt, &cred, FUSE_ROOT_ID, "new", O_WRONLY | O_TRUNC, 0644, 022,
			       &e, &oo) != 0 ||
	    passthrough_release(share_pt, oo.fh) != 0)
		_exit(62);
	if (passthrough_open(share_pt, e.nodeid, O_RDWR, &oo) != 0 ||
	    passthrough_release(share_pt, oo.fh) != 0)
		_exit(63);
	if (passthrough_setattr(share_pt, e.nodeid, &sa, &ao) != 0 || ao.attr.size != 1)
		_exit(64);
	if (passthrough_mknod(share_pt, &cred, FUSE_ROOT_ID, "fifo", S_IFIFO | 0600, 0, 0, &e) != 0)
		_exit(65);
	r = passthrough_mknod(share_pt, &cred, FUSE_ROOT_ID, "wh", S_IFCHR | 0600, 0, 0, &e);
	if (r != 0 && r != -EPERM && r != -EOPNOTSUPP && r != -EINVAL)
		_exit(66);
	/* Refused by the server before the filter sees them. */
	if (passthrough_mknod(share_pt, &cred, FUSE_ROOT_ID, "blk", S_IFBLK | 0600, (8 << 8), 0,
			      &e) != -EPERM ||
	    passthrough_mknod(share_pt, &cred, FUSE_ROOT_ID, "null", S_IFCHR | 0600, (1 << 8) | 3,
			      0, &e) != -EPERM)
		_exit(67);
}

Test(vmm_seccomp, virtio_fs_creations_pass_the_filter, .timeout = 30)
{
	struct outcome o;
	bool blk, null;

	share_open();
	share_cred = (struct pt_cred){.uid = geteuid(), .gid = getegid()};
	confine_prepare = share_serve;
	run_confined(serve_creations, &o);
	confine_prepare = NULL;
	blk = share_had("blk");
	null = share_had("null");
	share_close();
	expect_exit0(&o);
	cr_assert_not(blk || null, "a device node was made");
}

/* Made before the filter, as vsock's listening socket and timer are. */
static char vsock_path[108];
static int vsock_listener = -1, vsock_timer = -1;

static void vsock_calls(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct itimerspec its = {0};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), c;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", vsock_path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		_exit(20);
	c = accept4(vsock_listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (c < 0 || write(fd, "x", 1) != 1 || shutdown(fd, SHUT_WR) != 0)
		_exit(21);
	if (timerfd_settime(vsock_timer, TFD_TIMER_ABSTIME, &its, NULL) != 0)
		_exit(22);
	close(c);
	close(fd);
	/* Not allowed: any other kind of socket. */
	socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

Test(vmm_seccomp, vsock_unix_streams_only, .timeout = 30)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct outcome o;
	char want[128], dir[] = "/tmp/hyrun-seccomp-XXXXXX";

	cr_assert_not_null(mkdtemp(dir));
	snprintf(vsock_path, sizeof(vsock_path), "%s/vsock.sock_1", dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", vsock_path);
	vsock_listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(vsock_listener, 0);
	cr_assert_eq(bind(vsock_listener, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(vsock_listener, 4), 0);
	vsock_timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	cr_assert_geq(vsock_timer, 0);
	confine_features = VMM_SECCOMP_VSOCK_DIR;
	run_confined(vsock_calls, &o);
	confine_features = 0;
	close(vsock_listener);
	close(vsock_timer);
	unlink(vsock_path);
	rmdir(dir);
	snprintf(want, sizeof(want), "blocked system call socket (%d), argument 0 = %#x",
		 SYS_socket, AF_UNIX);
	expect_blocked(&o, want);
}

static void unix_stream_socket(void)
{
	socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

/* Without --vsock dir= the guest cannot connect to the host: the VMM makes no
 * socket at all, and connect() (unfilterable by address) is not allowed. */
Test(vmm_seccomp, no_sockets_without_vsock_dir, .timeout = 30)
{
	struct outcome o;
	char want[128];

	confine_features = 0;
	run_confined(unix_stream_socket, &o);
	snprintf(want, sizeof(want), "blocked system call socket (%d), argument 0 = %#x",
		 SYS_socket, AF_UNIX);
	expect_blocked(&o, want);
}

/* Made before the filter, as callerio's sink is. */
static int spare_pipe[2];

static void replace_stderr(void)
{
	static const char msg[] = "on the new stderr\n";

	/* Allowed: stderr let go of (vmm/callerio.h). */
	if (dup2(spare_pipe[1], STDERR_FILENO) != STDERR_FILENO)
		_exit(30);
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) != (ssize_t)sizeof(msg) - 1)
		_exit(31);
	/* Not allowed: any other number, which could stand in for a share's file. */
	dup2(spare_pipe[1], 7);
}

Test(vmm_seccomp, dup2_only_onto_stderr, .timeout = 30)
{
	struct outcome o;
	char want[160], got[512] = {0};
	size_t len = 0;
	ssize_t n;

	cr_assert_eq(pipe2(spare_pipe, O_CLOEXEC), 0);
	run_confined(replace_stderr, &o);
	close(spare_pipe[1]);
	while ((n = read(spare_pipe[0], got + len, sizeof(got) - 1 - len)) > 0)
		len += (size_t)n;
	close(spare_pipe[0]);
	cr_assert(WIFSIGNALED(o.status) && WTERMSIG(o.status) == SIGSYS, "status %#x, stderr: %s%s",
		  o.status, o.err, got);
	/* The report went where stderr was by then. */
	snprintf(want, sizeof(want),
		 "on the new stderr\nhyrun-vmm: seccomp: blocked system call dup2 (%d), "
		 "argument 1 = 0x7\n",
		 SYS_dup2);
	cr_assert_str_eq(got, want);
	cr_assert(!strstr(o.err, "seccomp"), "stderr: %s", o.err);
}

static void blocked_as_json(void)
{
	vmm_seccomp_report_as("{\"level\":\"error\",\"msg\":\"", "\"}");
	ptrace(PTRACE_TRACEME, 0, NULL, NULL);
}

/* Once stderr is the runtime's JSON log, the report is one JSON object. */
Test(vmm_seccomp, report_wrapped_for_the_log, .timeout = 30)
{
	struct outcome o;
	char want[160];

	run_confined(blocked_as_json, &o);
	snprintf(want, sizeof(want),
		 "{\"level\":\"error\",\"msg\":\"hyrun-vmm: seccomp: blocked system call ptrace "
		 "(%d)\"}\n",
		 SYS_ptrace);
	expect_blocked(&o, want);
}
