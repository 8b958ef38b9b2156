/* main.c: hyrun-vmm's command line: options, then one VM from boot to exit status. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "common/agent_proto.h"
#include "common/guest_config.h"
#include "common/log.h"
#include "common/plan.h"
#include "common/time.h"
#include "vmm/callerio.h"
#include "vmm/control.h"
#include "vmm/layout.h"
#include "vmm/seccomp.h"
#include "vmm/term.h"
#include "vmm/virtio/console.h"
#include "vmm/vm.h"

#ifndef HYRUN_VERSION
#define HYRUN_VERSION "0.1.0-dev"
#endif

enum {
	OPT_CONSOLE = 0x100,
	OPT_BOOT_TRACE,
	OPT_DEBUG,
	OPT_HUGEPAGES,
	OPT_PREFAULT,
	OPT_VIRTIO_CMDLINE,
	OPT_ROOTFS,
	OPT_SHARE,
	OPT_NET,
	OPT_VSOCK,
	OPT_FILE,
	OPT_GUEST_CONFIG,
	OPT_CONTROL_FD,
	OPT_KVM_FD,
	OPT_READY_FD,
	OPT_LOG_FD,
	OPT_LOG_FORMAT,
	OPT_TTY,
};

static const struct option options[] = {
    {"kernel", required_argument, NULL, 'k'},
    {"initrd", required_argument, NULL, 'i'},
    {"mem", required_argument, NULL, 'm'},
    {"cpus", required_argument, NULL, 'c'},
    {"cmdline", required_argument, NULL, 'a'},
    {"console", no_argument, NULL, OPT_CONSOLE},
    {"boot-trace", no_argument, NULL, OPT_BOOT_TRACE},
    {"debug", no_argument, NULL, OPT_DEBUG},
    {"hugepages", no_argument, NULL, OPT_HUGEPAGES},
    {"prefault", no_argument, NULL, OPT_PREFAULT},
    {"no-virtio-cmdline", no_argument, NULL, OPT_VIRTIO_CMDLINE},
    {"rootfs", required_argument, NULL, OPT_ROOTFS},
    {"share", required_argument, NULL, OPT_SHARE},
    {"net", required_argument, NULL, OPT_NET},
    {"vsock", required_argument, NULL, OPT_VSOCK},
    {"file", required_argument, NULL, OPT_FILE},
    {"guest-config", required_argument, NULL, OPT_GUEST_CONFIG},
    {"control-fd", required_argument, NULL, OPT_CONTROL_FD},
    {"kvm-fd", required_argument, NULL, OPT_KVM_FD},
    {"ready-fd", required_argument, NULL, OPT_READY_FD},
    {"log-fd", required_argument, NULL, OPT_LOG_FD},
    {"log-format", required_argument, NULL, OPT_LOG_FORMAT},
    {"tty", no_argument, NULL, OPT_TTY},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: hyrun-vmm --kernel FILE [OPTIONS] [--] [CMD [ARGS...]]\n"
		"\n"
		"Boot a Linux microVM with KVM, run CMD (default /bin/sh) in it with this\n"
		"process's stdin, stdout and stderr, and exit with CMD's status.\n"
		"\n"
		"Options:\n"
		"  --kernel FILE     the guest kernel: an x86-64 bzImage, or an uncompressed\n"
		"                    vmlinux (ELF, entered at its 64-bit entry) (required)\n"
		"  --initrd FILE     the initramfs (newc cpio, may be compressed) with hyrun-init\n"
		"                    as /init\n"
		"  --mem SIZE        guest RAM; K, M or G suffix, bytes without one; at least\n"
		"                    32M, a multiple of 4K (default 256M)\n"
		"  --cpus N          number of vCPUs, 1 to %d (default 1)\n"
		"  --cmdline ARGS    extra kernel command line arguments, appended last\n"
		"  --console         show the kernel's console (serial) output on stderr, and do\n"
		"                    not pass \"quiet\" to the kernel\n"
		"  --boot-trace      at exit, print on stderr when KVM was ready, the guest was\n"
		"                    first entered, init started and CMD was executed, in\n"
		"                    microseconds since hyrun-vmm started (-1: did not happen)\n"
		"  --debug           debug messages from hyrun-vmm and from hyrun-init\n"
		"  --hugepages       back guest RAM with hugetlbfs pages (default: transparent\n"
		"                    huge pages where the kernel allows)\n"
		"  --prefault        fault all guest RAM in before booting (default: pages are\n"
		"                    allocated when the guest first touches them)\n"
		"  --no-virtio-cmdline  describe the virtio-mmio devices only in ACPI, not also\n"
		"                    on the kernel command line (virtio_mmio.device=...)\n"
		"  --share TAG=DIR[:ro]  serve the host directory DIR to the guest over\n"
		"                    virtio-fs with the mount tag TAG ([A-Za-z0-9._-], at most\n"
		"                    %d bytes); \":ro\" makes it read-only (\":rw\", the default,\n"
		"                    may end a DIR that itself ends in \":ro\"); at most %d\n"
		"  --net fd=N,mac=MAC[,mtu=M]  a virtio-net NIC on the tap inherited as fd N\n"
		"                    (opened with IFF_TAP|IFF_NO_PI|IFF_VNET_HDR), with the\n"
		"                    guest MAC address MAC (like 02:00:00:00:00:01) and, when\n"
		"                    given, the MTU M (%d to %d) announced to the guest;\n"
		"                    repeatable, at most %d, seen by the guest in this order\n"
		"  --vsock fd=N[,dir=DIR]  a virtio-vsock device, the guest being CID %d: host\n"
		"                    clients connect to the listening AF_UNIX stream socket\n"
		"                    inherited as fd N and write \"CONNECT PORT\\n\" to reach\n"
		"                    guest port PORT (answered \"OK HOSTPORT\\n\" once the guest\n"
		"                    accepted); a guest connection to host port P goes to the\n"
		"                    socket DIR/vsock.sock_P (refused without DIR); at most once;\n"
		"                    shares, NICs and the vsock device together at most %d\n"
		"  --file NAME=FILE  copy the regular file FILE (at most %u MiB) into the guest\n"
		"                    at %s/NAME, with its permission bits, when the VM\n"
		"                    starts (a copy, not a live view)\n"
		"  --guest-config FILE  the guest configuration (JSON, made by hyrun) that\n"
		"                    hyrun-init applies: the workload, its root (a share),\n"
		"                    mounts and process; it holds CMD, so no CMD may be given\n"
		"  --rootfs DIR      share DIR read-write with the guest (virtio-fs) and run CMD\n"
		"                    in it as root, with proc, sysfs, a tmpfs /dev, devpts,\n"
		"                    /dev/shm and mqueue mounted, PATH and HOME=/root set\n"
		"  --control-fd N    create mode: the guest prepares CMD up to its execve()\n"
		"                    and holds it until a \"start\" request arrives on fd N, a\n"
		"                    listening AF_UNIX stream socket; each connection sends\n"
		"                    one line and gets \"ok\" or \"error: REASON\" back:\n"
		"                      start          release CMD (once, after ready)\n"
		"                      kill SIG       signal SIG (1-64) to CMD\n"
		"                      kill SIG all   signal SIG to every process in the guest\n"
		"  --kvm-fd N        use the inherited /dev/kvm descriptor N instead of opening\n"
		"                    /dev/kvm (a jailed VMM has no path to it)\n"
		"  --ready-fd N      with --control-fd: write \"ready\" and a newline on fd N\n"
		"                    (a pipe) once CMD is prepared, then close it; it is\n"
		"                    closed without a line when the VM ends before that.\n"
		"                    Before the line goes out, hyrun-vmm lets go of its\n"
		"                    stderr (with --tty, also of what carried hyrun-init's\n"
		"                    messages there): its later messages go to --log-fd, or\n"
		"                    nowhere\n"
		"  --log-fd N        with --ready-fd: where hyrun-vmm's messages go once it has\n"
		"                    let go of stderr (a file open for appending)\n"
		"  --log-format F    how they are written there: plain (\"hyrun-vmm: error:\n"
		"                    ...\", the default), text (logrus' key=value lines) or\n"
		"                    json (one object per line), as hyrun's --log-format\n"
		"  --tty             stdin is a terminal: CMD gets a pty in the guest (as with\n"
		"                    the guest configuration's process.terminal) with stdout\n"
		"                    and stderr on it;\n"
		"                    the terminal is put in raw mode while the VM runs, so\n"
		"                    ^C and the like reach the guest as bytes, made the\n"
		"                    controlling terminal where possible, and its window size\n"
		"                    is passed on at start and on every SIGWINCH\n"
		"  -h, --help        show this help\n"
		"  -V, --version     show the version\n"
		"\n"
		"Exit status:\n"
		"  0-255   CMD's exit status\n"
		"  128+N   CMD was killed by signal N\n"
		"  %d     the guest crashed (kernel panic, triple fault, reset or power-off\n"
		"          before CMD's status was reported); the end of its console is shown\n"
		"  %d     hyrun-vmm failed: bad options, unusable kernel or initrd, no usable\n"
		"          /dev/kvm, out of memory\n"
		"  hyrun-init reports 126 (CMD not executable) and 127 (CMD not found) like a\n"
		"  shell does, and 125 when setting up CMD's container failed (a mount, cwd,\n"
		"  user, capabilities, seccomp); the reason is on stderr.\n"
		"\n"
		"SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 sent to hyrun-vmm are\n"
		"passed on to CMD.\n"
		"\n"
		"\n"
		"CMD gets hyrun-vmm's stdin, stdout and stderr, of which hyrun-vmm keeps no\n"
		"other copy (but stderr for its own messages, until it lets go of it with\n"
		"--ready-fd): once CMD, every process of it in the guest, has closed one,\n"
		"the host side is closed too, so a reader of stdout or stderr sees end of\n"
		"file while CMD runs on. A stream opened again in the guest after that reads\n"
		"end of file (stdin) or goes nowhere (stdout, stderr).\n",
		PLAN_MAX_VCPUS, PLAN_TAG_MAX, PLAN_MAX_SHARES, PLAN_MIN_MTU, PLAN_MAX_MTU,
		PLAN_MAX_NICS, HY_VSOCK_GUEST_CID, PLAN_MAX_DEVICES - 1, PLAN_FILE_MAX >> 20,
		HY_INIT_FILES, HY_STATUS_GUEST_CRASH, HY_STATUS_VMM_ERROR);
}

static int parse_mem(const char *s, uint64_t *out)
{
	int r = plan_parse_size(s, out);

	if (r == -EINVAL) {
		log_error("--mem '%s': not a size (a number with an optional K, M or G suffix)", s);
		return r;
	}
	if (r == -ERANGE) {
		log_error("--mem '%s': too large", s);
		return r;
	}
	if (*out < PLAN_MIN_MEM) {
		log_error("--mem '%s': a guest needs at least 32M", s);
		return -EINVAL;
	}
	if (*out % 4096) {
		log_error("--mem '%s': not a multiple of 4K", s);
		return -EINVAL;
	}
	return 0;
}

static int parse_cpus(const char *s, unsigned *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!isdigit((unsigned char)s[0]) || *end || errno || v < 1 || v > PLAN_MAX_VCPUS) {
		log_error("--cpus '%s': must be a number from 1 to %d", s, PLAN_MAX_VCPUS);
		return -EINVAL;
	}
	*out = (unsigned)v;
	return 0;
}

/* An inherited file descriptor number: not stdin, stdout or stderr. */
static int parse_fd(const char *opt, const char *s, int *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!isdigit((unsigned char)s[0]) || *end || errno || v > INT32_MAX) {
		log_error("%s '%s': not a file descriptor number", opt, s);
		return -EINVAL;
	}
	if (v <= 2) {
		log_error("%s %lu: must not be stdin, stdout or stderr", opt, v);
		return -EINVAL;
	}
	*out = (int)v;
	return 0;
}

/* Where hyrun-vmm's messages go once it lets go of stderr. */
struct log_opts {
	int fd; /* -1: nowhere */
	enum callerio_format format;
	bool format_given;
};

/* --log-fd and --log-format: with --ready-fd, on a descriptor of their own. */
static int check_log_fd(const struct vm_plan *p, const struct log_opts *lo)
{
	char err[256];

	if (lo->format_given && lo->fd < 0) {
		log_error("--log-format needs --log-fd");
		return -EINVAL;
	}
	if (lo->fd < 0)
		return 0;
	if (p->ready_fd < 0) {
		log_error("--log-fd needs --ready-fd: hyrun-vmm lets go of its stderr once the "
			  "workload is prepared");
		return -EINVAL;
	}
	if (lo->fd == p->control_fd || lo->fd == p->ready_fd ||
	    (p->has_vsock && lo->fd == p->vsock_fd)) {
		log_error("--log-fd %d: also given as --%s", lo->fd,
			  lo->fd == p->control_fd ? "control-fd"
			  : lo->fd == p->ready_fd ? "ready-fd"
						  : "vsock fd=");
		return -EINVAL;
	}
	for (size_t i = 0; i < p->nr_nics; i++) {
		if (p->nics[i].fd == lo->fd) {
			log_error("--log-fd %d: also a NIC's tap", lo->fd);
			return -EINVAL;
		}
	}
	if (callerio_set_log(lo->fd, lo->format, err, sizeof(err))) {
		log_error("%s", err);
		return -EBADF;
	}
	return 0;
}

/* --control-fd and --ready-fd: what they must be, checked before anything runs. */
static int check_create_fds(const struct vm_plan *cfg)
{
	char err[256];
	int fl;

	if (cfg->ready_fd >= 0 && cfg->control_fd < 0) {
		log_error("--ready-fd needs --control-fd (there is nothing to be ready for)");
		return -EINVAL;
	}
	if (cfg->control_fd >= 0 && cfg->control_fd == cfg->ready_fd) {
		log_error("--control-fd and --ready-fd must be different descriptors");
		return -EINVAL;
	}
	if (cfg->control_fd >= 0 && control_check_listener(cfg->control_fd, err, sizeof(err))) {
		log_error("--control-fd %d: %s", cfg->control_fd, err);
		return -EINVAL;
	}
	if (cfg->ready_fd < 0)
		return 0;
	fl = fcntl(cfg->ready_fd, F_GETFL);
	if (fl < 0) {
		log_error("--ready-fd %d: %s", cfg->ready_fd, strerror(errno));
		return -EBADF;
	}
	if ((fl & O_ACCMODE) == O_RDONLY) {
		log_error("--ready-fd %d: not open for writing", cfg->ready_fd);
		return -EBADF;
	}
	if (fcntl(cfg->ready_fd, F_SETFD, FD_CLOEXEC) < 0) {
		log_error("--ready-fd %d: %s", cfg->ready_fd, strerror(errno));
		return -EBADF;
	}
	return 0;
}

/*
 * The virtio-fs server keeps one O_PATH descriptor per inode the guest holds
 * (the guest kernel drops them only under memory pressure), so a tree of a few
 * thousand files outgrows the usual soft limit of 1024: take the hard limit.
 */
static void raise_nofile_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			log_debug("raising RLIMIT_NOFILE: %s", strerror(errno));
	}
}

/* Whether `tag` is already one of p's shares. */
static bool tag_taken(const struct vm_plan *p, const char *tag)
{
	for (size_t i = 0; i < p->nr_shares; i++)
		if (!strcmp(p->shares[i].tag, tag))
			return true;
	return false;
}

/* --share TAG=DIR[:ro]: one more share, with a tag of its own. */
static int add_share(struct vm_plan *p, char *arg)
{
	char err[512];

	if (p->nr_shares == PLAN_MAX_SHARES) {
		log_error("--share '%s': at most %d shares", arg, PLAN_MAX_SHARES);
		return -ENOSPC;
	}
	if (plan_parse_share(arg, &p->shares[p->nr_shares], err, sizeof(err))) {
		log_error("%s", err);
		return -EINVAL;
	}
	if (tag_taken(p, p->shares[p->nr_shares].tag)) {
		log_error("--share '%s': the tag '%s' is already shared", arg,
			  p->shares[p->nr_shares].tag);
		return -EINVAL;
	}
	p->nr_shares++;
	return 0;
}

/* --net fd=N,mac=MAC[,mtu=M]: one more NIC, on a tap and a MAC of its own. */
static int add_nic(struct vm_plan *p, const char *arg)
{
	struct plan_nic *nic = &p->nics[p->nr_nics];
	char err[512], mac[18];

	if (p->nr_nics == PLAN_MAX_NICS) {
		log_error("--net '%s': at most %d NICs", arg, PLAN_MAX_NICS);
		return -ENOSPC;
	}
	if (plan_parse_net(arg, nic, err, sizeof(err))) {
		log_error("%s", err);
		return -EINVAL;
	}
	for (size_t i = 0; i < p->nr_nics; i++) {
		if (p->nics[i].fd == nic->fd) {
			log_error("--net '%s': fd %d is already another NIC's tap", arg, nic->fd);
			return -EINVAL;
		}
		if (!memcmp(p->nics[i].mac, nic->mac, sizeof(nic->mac))) {
			plan_format_mac(nic->mac, mac);
			log_error("--net '%s': MAC %s is already another NIC's", arg, mac);
			return -EINVAL;
		}
	}
	p->nr_nics++;
	return 0;
}

/* --vsock fd=N[,dir=DIR]: the vsock device, once. */
static int add_vsock(struct vm_plan *p, const char *arg)
{
	char err[512];

	if (p->has_vsock) {
		log_error("--vsock '%s': at most one vsock device", arg);
		return -EINVAL;
	}
	if (plan_parse_vsock(arg, &p->vsock_fd, &p->vsock_dir, err, sizeof(err))) {
		log_error("%s", err);
		return -EINVAL;
	}
	p->has_vsock = true;
	return 0;
}

/*
 * The NICs and the vsock device once every option is known (--rootfs adds a
 * share): they fit the device windows, and each tap is an open descriptor of
 * its own, made close-on-exec (the runtime cleared the flag so that it was
 * inherited); the vsock socket is a listening AF_UNIX stream socket, made
 * non-blocking and close-on-exec.
 */
static int check_nics(const struct vm_plan *p)
{
	char err[256];

	if (p->nr_shares + p->nr_nics + p->has_vsock > PLAN_MAX_DEVICES - 1) {
		log_error("%zu shares, %zu NICs and %d vsock device: at most %d devices besides "
			  "the console",
			  p->nr_shares, p->nr_nics, p->has_vsock, PLAN_MAX_DEVICES - 1);
		return -ENOSPC;
	}
	if (p->has_vsock) {
		int fd = p->vsock_fd;

		if (fd == p->control_fd || fd == p->ready_fd) {
			log_error("--vsock fd=%d: also given as --%s-fd", fd,
				  fd == p->control_fd ? "control" : "ready");
			return -EINVAL;
		}
		for (size_t i = 0; i < p->nr_nics; i++) {
			if (p->nics[i].fd == fd) {
				log_error("--vsock fd=%d: also a NIC's tap", fd);
				return -EINVAL;
			}
		}
		if (control_check_listener(fd, err, sizeof(err))) {
			log_error("--vsock fd=%d: %s", fd, err);
			return -EINVAL;
		}
	}
	for (size_t i = 0; i < p->nr_nics; i++) {
		int fd = p->nics[i].fd;

		if (fd == p->control_fd || fd == p->ready_fd) {
			log_error("--net fd=%d: also given as --%s-fd", fd,
				  fd == p->control_fd ? "control" : "ready");
			return -EINVAL;
		}
		if (fcntl(fd, F_GETFD) < 0) {
			log_error("--net fd=%d: not an open descriptor (%s)", fd, strerror(errno));
			return -EBADF;
		}
		if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
			log_error("--net fd=%d: %s", fd, strerror(errno));
			return -EBADF;
		}
	}
	return 0;
}

/* --file NAME=FILE: one more file, with a name of its own. */
static int add_file(struct vm_plan *p, const char *arg)
{
	static struct plan_file files[PLAN_MAX_FILES];
	char err[512];

	if (p->nr_files == PLAN_MAX_FILES) {
		log_error("--file '%s': at most %d files", arg, PLAN_MAX_FILES);
		return -ENOSPC;
	}
	if (plan_parse_file(arg, &files[p->nr_files], err, sizeof(err))) {
		log_error("%s", err);
		return -EINVAL;
	}
	for (size_t i = 0; i < p->nr_files; i++) {
		if (!strcmp(files[i].name, files[p->nr_files].name)) {
			log_error("--file '%s': the name '%s' is already used", arg, files[i].name);
			return -EINVAL;
		}
	}
	p->files = files;
	p->nr_files++;
	return 0;
}

/*
 * --rootfs DIR, for hand use: a front that builds the same kind of plan
 * hyrun makes. DIR is shared read-write as HY_SHARE_ROOTFS, before any
 * --share, and the guest configuration is guest_config_default() for CMD.
 */
static int rootfs_plan(struct vm_config *cfg, const char *dir, char **config)
{
	struct vm_plan *p = &cfg->plan;
	struct plan_share root = {.tag = HY_SHARE_ROOTFS, .dir = dir, .readonly = false};
	struct guest_config gc;
	size_t nr_args = 0;
	char err[512];

	if (p->guest_config) {
		log_error("--rootfs and --guest-config: --rootfs makes a guest configuration of "
			  "its own (use --share " HY_SHARE_ROOTFS "=DIR with --guest-config)");
		return -EINVAL;
	}
	if (p->nr_shares == PLAN_MAX_SHARES) {
		log_error("--rootfs: at most %d shares, --rootfs's included", PLAN_MAX_SHARES);
		return -ENOSPC;
	}
	if (tag_taken(p, HY_SHARE_ROOTFS)) {
		log_error("--rootfs: the tag '" HY_SHARE_ROOTFS "' is already shared");
		return -EINVAL;
	}
	memmove(&p->shares[1], &p->shares[0], p->nr_shares * sizeof(p->shares[0]));
	p->shares[0] = root;
	p->nr_shares++;

	while (cfg->argv[nr_args])
		nr_args++;
	guest_config_default(&gc, (const char *const *)cfg->argv, nr_args);
	*config = guest_config_encode(&gc, err, sizeof(err));
	if (!*config) {
		log_error("--rootfs: the guest configuration: %s", err);
		return -EINVAL;
	}
	cfg->guest_config_data = *config;
	cfg->guest_config_len = strlen(*config);
	return 0;
}

/* The command line into cfg (and --rootfs's DIR, --log-fd): 0 to go on, 1 when done
 * (--help, --version), -1 after a message. */
static int parse_options(int argc, char **argv, struct vm_config *cfg, const char **rootfs,
			 struct log_opts *lo)
{
	struct vm_plan *plan = &cfg->plan;
	int opt;

	opterr = 0; /* our messages, not getopt's */
	while ((opt = getopt_long(argc, argv, "+:hV", options, NULL)) != -1) {
		switch (opt) {
		case 'k':
			plan->kernel = optarg;
			break;
		case 'i':
			plan->initrd = optarg;
			break;
		case 'm':
			if (parse_mem(optarg, &plan->mem))
				return -1;
			break;
		case 'c':
			if (parse_cpus(optarg, &plan->cpus))
				return -1;
			break;
		case 'a':
			plan->cmdline = optarg;
			break;
		case OPT_CONSOLE:
			cfg->console = true;
			break;
		case OPT_BOOT_TRACE:
			cfg->boot_trace = true;
			break;
		case OPT_DEBUG:
			plan->debug = true;
			break;
		case OPT_HUGEPAGES:
			cfg->hugepages = true;
			break;
		case OPT_PREFAULT:
			cfg->prefault = true;
			break;
		case OPT_VIRTIO_CMDLINE:
			cfg->virtio_cmdline = false;
			break;
		case OPT_ROOTFS:
			*rootfs = optarg;
			break;
		case OPT_SHARE:
			if (add_share(plan, optarg))
				return -1;
			break;
		case OPT_NET:
			if (add_nic(plan, optarg))
				return -1;
			break;
		case OPT_VSOCK:
			if (add_vsock(plan, optarg))
				return -1;
			break;
		case OPT_FILE:
			if (add_file(plan, optarg))
				return -1;
			break;
		case OPT_GUEST_CONFIG:
			plan->guest_config = optarg;
			break;
		case OPT_CONTROL_FD:
			if (parse_fd("--control-fd", optarg, &plan->control_fd))
				return -1;
			break;
		case OPT_KVM_FD:
			if (parse_fd("--kvm-fd", optarg, &plan->kvm_fd))
				return -1;
			break;
		case OPT_READY_FD:
			if (parse_fd("--ready-fd", optarg, &plan->ready_fd))
				return -1;
			break;
		case OPT_LOG_FD:
			if (parse_fd("--log-fd", optarg, &lo->fd))
				return -1;
			break;
		case OPT_LOG_FORMAT:
			if (callerio_parse_format(optarg, &lo->format)) {
				log_error("--log-format '%s': must be plain, text or json", optarg);
				return -1;
			}
			lo->format_given = true;
			break;
		case OPT_TTY:
			plan->tty = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case 'V':
			printf("hyrun-vmm %s\n", HYRUN_VERSION);
			return 1;
		case ':':
			log_error("option '%s' needs an argument (see --help)", argv[optind - 1]);
			return -1;
		default:
			if (optopt)
				log_error("unknown option '-%c' (see --help)", optopt);
			else
				log_error("unknown option '%s' (see --help)", argv[optind - 1]);
			return -1;
		}
	}
	if (!plan->kernel) {
		log_error("no kernel given: --kernel FILE is required (see --help)");
		return -1;
	}
	if (optind < argc) {
		if (plan->guest_config) {
			log_error("'%s': no CMD with --guest-config: the guest configuration holds "
				  "the workload's arguments",
				  argv[optind]);
			return -1;
		}
		cfg->argv = argv + optind;
	}
	return 0;
}

/*
 * Create mode: the workload is prepared and create is about to return, so the
 * caller's stdio is let go of but for the streams the workload uses. With a
 * terminal the workload's output is the pty: the stderr port carried only
 * hyrun-init's messages while it prepared the workload.
 */
static void workload_ready(struct virtio_console *console, void *opaque)
{
	const struct vm_config *cfg = opaque;

	if (cfg->plan.tty)
		virtio_console_close_output(console, HY_CONSOLE_PORT_STDERR);
	callerio_release_stderr();
}

int main(int argc, char **argv)
{
	static char *default_argv[] = {"/bin/sh", NULL};
	struct vm_config cfg = {
	    .plan =
		{
		    .mem = PLAN_DEFAULT_MEM,
		    .cpus = 1,
		    .control_fd = -1,
		    .kvm_fd = -1,
		    .ready_fd = -1,
		},
	    .argv = default_argv,
	    .virtio_cmdline = true,
	    .start_mono_us = hy_now_us(),
	};
	struct log_opts lo = {.fd = -1};
	const char *rootfs = NULL;
	char *rootfs_config = NULL;
	char err[1024];
	struct vm *vm;
	int status;

	log_init("hyrun-vmm", LOG_WARN);
	/* Not dumpable: a process without CAP_SYS_PTRACE (another container's
	 * VMM, which runs as the same uid) can then neither read this one's guest
	 * RAM through /proc/PID/mem nor enter its files through /proc/PID/root or
	 * /proc/PID/fd; no core dump holds guest memory either. The VMM's own
	 * /proc/self stays usable to it. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		log_error("cannot make hyrun-vmm non-dumpable: %s", strerror(errno));
		return HY_STATUS_VMM_ERROR;
	}
	/* The workload's stdout may be a pipe that closes early: that must be a
	 * write error to handle, not the death of the VM. */
	signal(SIGPIPE, SIG_IGN);
	raise_nofile_limit();
	/* Before any thread exists, so that none of them takes these signals:
	 * they are read from a signalfd and forwarded to the workload. */
	if (term_block_signals()) {
		log_error("cannot block the signals to forward");
		return HY_STATUS_VMM_ERROR;
	}

	if (callerio_init(err, sizeof(err))) {
		log_error("%s", err);
		return HY_STATUS_VMM_ERROR;
	}
	switch (parse_options(argc, argv, &cfg, &rootfs, &lo)) {
	case 0:
		break;
	case 1:
		return 0;
	default:
		return HY_STATUS_VMM_ERROR;
	}
	if (cfg.plan.debug)
		log_init("hyrun-vmm", LOG_DEBUG);
	if (check_create_fds(&cfg.plan))
		return HY_STATUS_VMM_ERROR;
	if (cfg.plan.ready_fd >= 0) {
		cfg.on_ready = workload_ready;
		cfg.on_ready_opaque = &cfg;
	}
	if (rootfs && rootfs_plan(&cfg, rootfs, &rootfs_config))
		return HY_STATUS_VMM_ERROR;
	if (check_nics(&cfg.plan) || check_log_fd(&cfg.plan, &lo)) {
		free(rootfs_config);
		return HY_STATUS_VMM_ERROR;
	}

	err[0] = '\0';
	status = vm_create(&vm, &cfg, err, sizeof(err));
	if (status) {
		log_error("%s", err[0] ? err : strerror(-status));
		free(rootfs_config);
		return HY_STATUS_VMM_ERROR;
	}
	/* The console and the terminal have copies of their own: the caller's
	 * stdin and stdout are CMD's alone from here on. */
	if (callerio_drop_stdin_stdout(err, sizeof(err))) {
		log_error("%s", err);
		vm_destroy(vm);
		free(rootfs_config);
		return HY_STATUS_VMM_ERROR;
	}
	/* Everything is opened and mapped: from here on, only the calls the
	 * running VM needs (vmm/seccomp.c). */
	if (vmm_seccomp_install(cfg.plan.has_vsock && cfg.plan.vsock_dir ? VMM_SECCOMP_VSOCK_DIR
									 : 0)) {
		vm_destroy(vm);
		free(rootfs_config);
		return HY_STATUS_VMM_ERROR;
	}
	status = vm_run(vm);
	vm_destroy(vm);
	free(rootfs_config);
	return status;
}
