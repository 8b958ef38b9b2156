/* seccomp.c: hyrun-vmm's own system call allowlist, installed before the vCPUs run. */
#include "vmm/seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <ucontext.h>
#include <unistd.h>

#include <linux/if_tun.h>
#include <linux/kvm.h>

#include "common/cleanup.h"
#include "common/log.h"

/* The kernel's own O_TMPFILE bit: glibc's __O_TMPFILE also holds O_DIRECTORY,
 * which every directory open sets. */
#define SECCOMP_O_TMPFILE_BIT 020000000

/* The members of a rule: any arguments. */
#define ANY_F(sys, reason) .nr = SCMP_SYS(sys), .name = #sys, .cmp = VMM_SECCOMP_ANY, .why = reason
#define ANY(sys, reason)                                                                           \
	{                                                                                          \
		ANY_F(sys, reason)                                                                 \
	}
/* An argument whose bits in `m` must equal `val` (named `valname`). */
#define ARG(sys, idx, m, val, valname, reason)                                                     \
	{                                                                                          \
		.nr = SCMP_SYS(sys), .name = #sys, .cmp = VMM_SECCOMP_MASKED_EQ, .arg = idx,       \
		.mask = m, .value = val, .what = valname, .why = reason                            \
	}
/* Two arguments, both of which must match. */
#define ARG2_F(sys, idx, m, val, idx2, m2, val2, valname, reason)                                  \
	.nr = SCMP_SYS(sys), .name = #sys, .cmp = VMM_SECCOMP_MASKED_EQ, .arg = idx, .mask = m,    \
	.value = val, .what = valname, .why = reason, .cmp2 = VMM_SECCOMP_MASKED_EQ, .arg2 = idx2, \
	.mask2 = m2, .value2 = val2
/* Two arguments, as a rule of its own. */
#define ARG2(sys, idx, m, val, idx2, m2, val2, valname, reason)                                    \
	{                                                                                          \
		ARG2_F(sys, idx, m, val, idx2, m2, val2, valname, reason)                          \
	}
/* A rule installed only for the features in `f` (VMM_SECCOMP_*), of the
 * members ANY_F() or ARG2_F() give. */
#define ONLY(f, ...)                                                                               \
	{                                                                                          \
		.only = (f), __VA_ARGS__                                                           \
	}
/* Ioctl requests, fcntl commands, prctl options and signal numbers are
 * ints to the kernel, which looks at nothing above the low 32 bits. */
#define LOW32 0xffffffffu
#define IOCTL(req, why) ARG(ioctl, 1, LOW32, req, #req, why)
#define FCNTL(cmd, why) ARG(fcntl, 1, LOW32, cmd, #cmd, why)

/* The flags a thread is created with; a new process or namespace has others. */
#define THREAD_FLAGS_MASK                                                                          \
	(CLONE_VM | CLONE_SIGHAND | CLONE_THREAD | CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS |  \
	 CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)
#define THREAD_FLAGS (CLONE_VM | CLONE_SIGHAND | CLONE_THREAD)

/*
 * Only what runs after vmm_seccomp_install(): opening /dev/kvm, creating the
 * VM and vCPUs, mapping guest memory, reading the kernel and opening the
 * shares all happen before, so none of that is here.
 */
const struct vmm_seccomp_rule vmm_seccomp_rules[] = {
    /* Memory. */
    ANY(brk, "malloc grows the main heap"),
    /* Never executable: no new code can be mapped once the VM runs. */
    ARG(mmap, 2, PROT_EXEC, 0, "not PROT_EXEC",
	"malloc's large blocks and arenas, and the stacks of new threads"),
    ANY(munmap, "free() of large blocks, thread stacks, the kvm_run pages at teardown"),
    ANY(mremap, "realloc() of large blocks"),
    ARG(mprotect, 2, PROT_EXEC, 0, "not PROT_EXEC",
	"malloc arenas grow by mprotect; glibc sets thread stack guard pages"),
    ANY(madvise, "glibc returns the stacks of ended threads and trimmed heap memory"),

    /* Threads, their synchronisation and signals. */
    ARG(clone, 0, THREAD_FLAGS_MASK, THREAD_FLAGS, "CLONE_VM|CLONE_SIGHAND|CLONE_THREAD",
	"pthread_create: vCPU threads, and virtio-fs workers started when the guest "
	"activates a share; threads only, never a process or a namespace"),
    ANY(set_robust_list, "glibc registers each new thread's robust mutex list"),
    ANY(rseq, "glibc registers restartable sequences in each new thread"),
    ANY(futex, "mutexes and condition variables between vCPU, worker and main threads"),
    ANY(exit, "a thread ends (pthread_exit, or returning from its function)"),
    ANY(exit_group, "the VMM exits with the workload's status"),
    ANY(gettid, "raise() and pthread_kill() name the target thread"),
    ANY(getpid, "raise() and pthread_kill() name this process"),
    {.nr = SCMP_SYS(tgkill),
     .name = "tgkill",
     .cmp = VMM_SECCOMP_SELF_PID,
     .what = "getpid()",
     .why = "pthread_kill() kicks a vCPU out of KVM_RUN; raise(); only to this process's threads"},
    ANY(rt_sigprocmask, "threads block the signals they must not take (pthread_sigmask)"),
    /* glibc's set*id broadcast signal (__SIGRTMIN + 1), whose handler it
     * installs at the first pthread_create(). */
    ARG(rt_sigaction, 0, LOW32, __SIGRTMIN + 1, "SIGSETXID",
	"glibc installs its set*id signal handler when the first thread starts"),
    ANY(rt_sigreturn, "return from the vCPU kick signal's handler"),
    ANY(restart_syscall, "a sleep stopped by SIGSTOP resumes through it after SIGCONT"),
    ARG(prctl, 0, LOW32, PR_SET_NAME, "PR_SET_NAME", "pthread_setname_np names the vCPU threads"),

    /* The event loop, eventfds, the console and the control socket. */
    ANY(read, "stdin, eventfds, the signalfd, the control socket, vsock clients, the vsock timer"),
    ANY(write, "stdout and stderr, eventfds (irqfd, queue kicks, loop stop), replies, vsock data"),
    ANY(writev, "virtio-net frames (header and data) to the tap, vsock data from guest buffers; "
		"glibc's last words before abort()"),
    ANY(close, "descriptors of finished requests, handles, connections, and the console's "
	       "copies of the workload's stdio once the guest has closed them"),
    ARG(dup2, 1, LOW32, STDERR_FILENO, "STDERR_FILENO",
	"stderr, the caller's, is let go once the workload is prepared: the log descriptor "
	"or a closed pipe takes its place (vmm/callerio.h)"),
    ANY(epoll_wait, "the device and control event loop"),
    ANY(epoll_ctl, "watching and unwatching stdin, stdout, connections"),
    ANY(poll, "virtio-fs workers wait for their queue; the console drains stdout"),
    ANY(clock_gettime, "boot trace, timestamps (where the vDSO falls back to the call)"),
    ANY(clock_nanosleep, "a waiting virtio-fs lock request retries after a pause (nanosleep)"),

    /* KVM: only the calls made once the vCPUs run. */
    IOCTL(KVM_RUN, "each vCPU thread runs the guest"),
    IOCTL(KVM_GET_REGS, "the guest's instruction pointer in a crash report"),
    IOCTL(KVM_IRQ_LINE, "the serial port raises and lowers its interrupt"),

    /* virtio-net: the taps were inherited and set up (header size, non-blocking)
     * before the filter; frames move straight between them and guest buffers. */
    ANY(readv, "virtio-net frames from the tap, vsock data from host sockets, straight into "
	       "the guest's receive buffers"),
    IOCTL(TUNSETOFFLOAD, "virtio-net sets the tap's offloads to what the guest driver accepted"),

    /* The control socket (--control-fd) and the vsock socket (--vsock): the
     * listening sockets were inherited. */
    ARG(accept4, 3, LOW32, SOCK_NONBLOCK | SOCK_CLOEXEC, "SOCK_NONBLOCK|SOCK_CLOEXEC",
	"a client of the control socket or of the vsock device's socket"),

    /* virtio-vsock (vmm/virtio/vsock.c): guest connections to the host go to
     * Unix sockets in --vsock's dir; the timer was created before the filter. */
    ONLY(VMM_SECCOMP_VSOCK_DIR,
	 ARG2_F(socket, 0, LOW32, AF_UNIX, 1, LOW32, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		"AF_UNIX, SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC",
		"virtio-vsock with dir=: a Unix stream socket for a guest connection to a host "
		"port")),
    ONLY(VMM_SECCOMP_VSOCK_DIR,
	 ANY_F(connect,
	       "virtio-vsock with dir=: that socket to DIR/vsock.sock_PORT (the address "
	       "is in memory, out of a filter's sight; only AF_UNIX sockets can be made)")),
    ARG(shutdown, 1, LOW32, SHUT_WR, "SHUT_WR",
	"virtio-vsock: the guest's SHUTDOWN(SEND) becomes end of file for the host client"),
    ARG(timerfd_settime, 1, LOW32, TFD_TIMER_ABSTIME, "TFD_TIMER_ABSTIME",
	"virtio-vsock: the deadline of the connections being set up"),

    /* The terminal (--tty): raw mode is set before the filter, restored at exit. */
    IOCTL(TCGETS, "tcsetattr() reads the mode back when it restores the terminal"),
    IOCTL(TCSETS, "the terminal's mode restored when the VM ends (tcsetattr)"),
    IOCTL(TIOCGWINSZ, "the terminal's window size, passed to the guest on SIGWINCH"),

    /* The virtio-fs server (vmm/fs/passthrough.c): everything the guest may
     * ask of a shared directory, always relative to descriptors of it. */
    /* Never a file created without O_EXCL, where it could open what a name
     * points to, nor an unnamed O_TMPFILE: CREATE creates with O_EXCL and
     * otherwise reopens an existing regular file without O_CREAT. */
    ARG(openat, 2, O_CREAT | SECCOMP_O_TMPFILE_BIT, 0, "neither O_CREAT nor O_TMPFILE",
	"open a file or directory of the share by handle, or through /proc/self/fd"),
    ARG(openat, 2, O_CREAT | O_EXCL | SECCOMP_O_TMPFILE_BIT, O_CREAT | O_EXCL, "O_CREAT|O_EXCL",
	"CREATE: a new regular file of the share, never one that exists"),
    ANY(openat2, "look up a name with RESOLVE_BENEATH|RESOLVE_NO_MAGICLINKS; its flags lie in "
		 "struct open_how, in memory, out of a filter's sight"),
    ANY(newfstatat, "attributes of an inode (glibc's fstat and fstatat with AT_EMPTY_PATH)"),
    ANY(fstatfs, "STATFS: the figures of the share's file system"),
    ANY(getdents64, "READDIR, READDIRPLUS: a directory's entries"),
    ANY(lseek, "a directory stream's position; LSEEK with SEEK_DATA/SEEK_HOLE"),
    ANY(pread64, "READ: file data for the guest"),
    ANY(pwrite64, "WRITE: file data from the guest"),
    ANY(ftruncate, "SETATTR of the size"),
    ANY(fallocate, "FALLOCATE: reserve or punch file space"),
    ANY(fsync, "FSYNC, FSYNCDIR: the guest flushes a file"),
    ANY(fdatasync, "FSYNC with the datasync flag"),
    ANY(dup, "FLUSH closes a duplicate to report delayed write errors"),
    ANY(mkdirat, "MKDIR: the guest creates a directory"),
    /* Never a device node but the overlayfs whiteout (0:0, which needs no
     * CAP_MKNOD since Linux 5.8): passthrough_mknod() refuses the others
     * with EPERM before this call. The kernel reads dev as an unsigned int
     * (glibc zero-extends it); all 64 bits must be 0 here. */
    ARG(mknodat, 2, S_IFMT, S_IFREG, "S_IFREG", "MKNOD: a regular file"),
    ARG(mknodat, 2, S_IFMT, S_IFIFO, "S_IFIFO", "MKNOD: a FIFO (never opened on the host)"),
    ARG(mknodat, 2, S_IFMT, S_IFSOCK, "S_IFSOCK", "MKNOD: a Unix socket's node"),
    ARG2(mknodat, 2, S_IFMT, S_IFCHR, 3, ~0ull, 0, "S_IFCHR, dev 0",
	 "MKNOD: an overlayfs whiteout, the character device 0:0"),
    ANY(symlinkat, "SYMLINK: the guest creates a symbolic link"),
    ANY(linkat, "LINK: the guest creates a hard link"),
    ANY(unlinkat, "UNLINK, RMDIR: the guest removes a name"),
    ANY(renameat2, "RENAME2 with flags (RENAME_NOREPLACE, RENAME_EXCHANGE)"),
    ANY(renameat, "RENAME: glibc's renameat2() without flags makes this call"),
    ANY(readlinkat, "READLINK: a symbolic link's target"),
    ANY(fchownat, "SETATTR of the owner"),
    ANY(fchmodat, "SETATTR of the mode"),
    ANY(utimensat, "SETATTR of the times"),
    ANY(fgetxattr, "GETXATTR on a regular file or directory"),
    ANY(fsetxattr, "SETXATTR on a regular file or directory"),
    ANY(flistxattr, "LISTXATTR on a regular file or directory"),
    ANY(fremovexattr, "REMOVEXATTR on a regular file or directory"),
    ANY(getxattr, "GETXATTR on other nodes, through /proc/self/fd"),
    ANY(setxattr, "SETXATTR on other nodes, through /proc/self/fd"),
    ANY(listxattr, "LISTXATTR on other nodes, through /proc/self/fd"),
    ANY(removexattr, "REMOVEXATTR on other nodes, through /proc/self/fd"),
    ANY(fchdir, "a worker's cwd is /proc/self/fd for the xattr calls above"),
    ANY(setfsuid, "requests run with the guest caller's uid for permission checks"),
    ANY(setfsgid, "requests run with the guest caller's gid for permission checks"),
    ANY(umask, "a worker's umask is 0: the guest's umask is applied to the mode given"),
    ARG(unshare, 0, ~0ull, CLONE_FS, "CLONE_FS",
	"each virtio-fs worker gets its own cwd and umask"),
    FCNTL(F_OFD_GETLK, "GETLK: POSIX locks as open file description locks"),
    FCNTL(F_OFD_SETLK, "SETLK, SETLKW: POSIX locks as open file description locks"),

#ifdef __SANITIZE_ADDRESS__
    /* A SANITIZE=1 build (the unit tests under ASan; a sanitized VMM runs
     * only with ASAN_OPTIONS=detect_leaks=0: LeakSanitizer needs ptrace). */
    ANY(sigaltstack, "ASan's runtime gives each thread an alternate signal stack"),
    ANY(sched_getaffinity, "ASan's runtime reads the CPU set when a thread starts"),
#endif
};

const size_t vmm_seccomp_nr_rules = ARRAY_SIZE(vmm_seccomp_rules);

#ifdef HY_VMM_NO_SECCOMP

void vmm_seccomp_report_as(const char *prefix, const char *suffix)
{
	(void)prefix;
	(void)suffix;
}

int vmm_seccomp_install(unsigned features)
{
	(void)features;
	log_warn("built without the seccomp filter: for debugging only");
	return 0;
}

#else

/* System call names for the SIGSYS handler, which can call nothing that is
 * not async-signal-safe: looked up once, at install, into a static pool. */
#define NAMES_MAX 512
#define NAME_POOL 8192
static const char *sc_names[NAMES_MAX];
static char sc_name_pool[NAME_POOL];
/* The argument the rules for a call compare (shown in the report), or -1. */
static signed char sc_shown_arg[NAMES_MAX];
/* What the report line is wrapped in (vmm_seccomp_report_as()); atomic. */
static const char *report_prefix = "", *report_suffix = "";

void vmm_seccomp_report_as(const char *prefix, const char *suffix)
{
	__atomic_store_n(&report_suffix, suffix, __ATOMIC_SEQ_CST);
	__atomic_store_n(&report_prefix, prefix, __ATOMIC_SEQ_CST);
}

static void fill_names(void)
{
	size_t used = 0;

	for (int nr = 0; nr < NAMES_MAX; nr++) {
		cleanup_free char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
		size_t len;

		sc_shown_arg[nr] = -1;
		if (!name)
			continue;
		len = strlen(name) + 1;
		if (len > NAME_POOL - used)
			continue;
		memcpy(sc_name_pool + used, name, len);
		sc_names[nr] = sc_name_pool + used;
		used += len;
	}
	for (size_t i = 0; i < vmm_seccomp_nr_rules; i++) {
		const struct vmm_seccomp_rule *r = &vmm_seccomp_rules[i];

		if (r->cmp != VMM_SECCOMP_ANY && r->nr >= 0 && r->nr < NAMES_MAX)
			sc_shown_arg[r->nr] = (signed char)r->arg;
	}
}

static void put_str(char *buf, size_t cap, size_t *n, const char *s)
{
	while (*s && *n < cap)
		buf[(*n)++] = *s++;
}

static void put_num(char *buf, size_t cap, size_t *n, unsigned long long v, unsigned base)
{
	char tmp[24];
	int i = 0;

	do {
		tmp[i++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (base == 16)
		put_str(buf, cap, n, "0x");
	while (i > 0 && *n < cap)
		buf[(*n)++] = tmp[--i];
}

static unsigned long long syscall_arg(const ucontext_t *uc, int arg)
{
	static const int regs[] = {REG_RDI, REG_RSI, REG_RDX, REG_R10, REG_R8, REG_R9};

	return (unsigned long long)uc->uc_mcontext.gregs[regs[arg]];
}

/*
 * SA_RESETHAND made SIGSYS's action the default one again on entry, and
 * SIGSYS is blocked until the handler returns: raise() leaves it pending,
 * and it kills the process as soon as the handler has returned. Only
 * write(), and raise()'s own calls (all allowed), are made here.
 */
static void sigsys_handler(int sig, siginfo_t *si, void *ucv)
{
	int nr = si->si_syscall;
	bool known = nr >= 0 && nr < NAMES_MAX;
	char buf[320];
	size_t n = 0;

	put_str(buf, sizeof(buf), &n, __atomic_load_n(&report_prefix, __ATOMIC_SEQ_CST));
	put_str(buf, sizeof(buf), &n, "hyrun-vmm: seccomp: blocked system call ");
	put_str(buf, sizeof(buf), &n, known && sc_names[nr] ? sc_names[nr] : "unknown");
	put_str(buf, sizeof(buf), &n, " (");
	put_num(buf, sizeof(buf), &n, (unsigned)nr, 10);
	put_str(buf, sizeof(buf), &n, ")");
	if (known && sc_shown_arg[nr] >= 0 && ucv) {
		put_str(buf, sizeof(buf), &n, ", argument ");
		put_num(buf, sizeof(buf), &n, (unsigned)sc_shown_arg[nr], 10);
		put_str(buf, sizeof(buf), &n, " = ");
		put_num(buf, sizeof(buf), &n, syscall_arg(ucv, sc_shown_arg[nr]), 16);
	}
	put_str(buf, sizeof(buf), &n, __atomic_load_n(&report_suffix, __ATOMIC_SEQ_CST));
	put_str(buf, sizeof(buf), &n, "\n");
	if (write(STDERR_FILENO, buf, n) < 0) {
		/* Nowhere left to report it: dying of SIGSYS still tells. */
	}
	raise(sig);
}

static int add_rule(scmp_filter_ctx ctx, const struct vmm_seccomp_rule *r, pid_t self)
{
	struct scmp_arg_cmp cmp = {.arg = r->arg};
	struct scmp_arg_cmp cmp2 = {
	    .arg = r->arg2, .op = SCMP_CMP_MASKED_EQ, .datum_a = r->mask2, .datum_b = r->value2};

	switch (r->cmp) {
	case VMM_SECCOMP_ANY:
		return seccomp_rule_add_exact(ctx, SCMP_ACT_ALLOW, r->nr, 0);
	case VMM_SECCOMP_MASKED_EQ:
		cmp.op = SCMP_CMP_MASKED_EQ;
		cmp.datum_a = r->mask;
		cmp.datum_b = r->value;
		break;
	case VMM_SECCOMP_SELF_PID:
		cmp.op = SCMP_CMP_EQ;
		cmp.datum_a = (uint64_t)self;
		break;
	default:
		return -EINVAL;
	}
	if (r->cmp2 == VMM_SECCOMP_MASKED_EQ)
		return seccomp_rule_add_exact(ctx, SCMP_ACT_ALLOW, r->nr, 2, cmp, cmp2);
	if (r->cmp2 != VMM_SECCOMP_ANY)
		return -EINVAL;
	return seccomp_rule_add_exact(ctx, SCMP_ACT_ALLOW, r->nr, 1, cmp);
}

static int build(scmp_filter_ctx ctx, unsigned features)
{
	pid_t self = getpid();
	int r;

	r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (r) {
		log_error("seccomp: cannot make foreign-architecture calls fatal: %s",
			  strerror(-r));
		return r;
	}
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (r) {
		log_error("seccomp: cannot ask for the filter on every thread: %s", strerror(-r));
		return r;
	}
	for (size_t i = 0; i < vmm_seccomp_nr_rules; i++) {
		const struct vmm_seccomp_rule *rule = &vmm_seccomp_rules[i];

		if (rule->only & ~features)
			continue;
		r = add_rule(ctx, rule, self);
		if (r) {
			log_error("seccomp: cannot add the rule for %s%s%s: %s", rule->name,
				  rule->what ? " " : "", rule->what ? rule->what : "",
				  strerror(-r));
			return r;
		}
	}
	/* glibc tries clone3 first and falls back to clone on ENOSYS; clone3's
	 * flags sit in memory, where a filter cannot look. */
	r = seccomp_rule_add_exact(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	if (r)
		log_error("seccomp: cannot add the rule for clone3: %s", strerror(-r));
	return r;
}

int vmm_seccomp_install(unsigned features)
{
	struct sigaction sa = {
	    .sa_sigaction = sigsys_handler,
	    .sa_flags = SA_SIGINFO | SA_RESETHAND,
	};
	scmp_filter_ctx ctx;
	int r;

	fill_names();
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0) {
		r = -errno;
		log_error("seccomp: cannot install the SIGSYS handler: %s", strerror(errno));
		return r;
	}
	ctx = seccomp_init(SCMP_ACT_TRAP);
	if (!ctx) {
		log_error("seccomp: cannot create the filter (libseccomp)");
		return -ENOMEM;
	}
	r = build(ctx, features);
	if (!r) {
		r = seccomp_load(ctx);
		if (r)
			log_error("seccomp: cannot load the filter: %s", strerror(-r));
	}
	seccomp_release(ctx);
	return r;
}

#endif
