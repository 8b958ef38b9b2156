/* vm.c: the microVM: setup from the config, port/MMIO dispatch, the paravirtual
 * exit and boot-marker ports, stopping, and the exit status. */
#include "vmm/vm.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "common/agent_proto.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "oci/bundle.h"
#include "vmm/acpi.h"
#include "vmm/boot_elf.h"
#include "vmm/mptable.h"
#include "vmm/boot_x86.h"
#include "vmm/control.h"
#include "vmm/cpio.h"
#include "vmm/event.h"
#include "vmm/guest_mem.h"
#include "vmm/i8042.h"
#include "vmm/kvm.h"
#include "vmm/layout.h"
#include "vmm/serial.h"
#include "vmm/vcpu.h"
#include "vmm/virtio/console.h"
#include "vmm/virtio/fs.h"
#include "vmm/virtio/mmio.h"

/*
 * The kernel command line every guest gets.
 * - console=ttyS0: kernel messages (and panics, even with "quiet") reach the
 *   serial ring buffer that is shown when the guest crashes.
 * - reboot=k, panic=-1: a panic reboots at once, through the keyboard
 *   controller, which ends the VM instead of leaving it spinning.
 * - pci=off: there is no PCI bus; this skips probing config space.
 * - 8250.nr_uarts=1: only COM1 exists; no time spent probing COM2..4.
 * - i8042.*: the controller has no mouse port, no multiplexer and no PnP
 *   description, and the keyboard is never talked to; this keeps the driver's
 *   probe to a handful of port accesses.
 * - rdinit=/init: hyrun-init, from the initramfs.
 * "nomodeset" is not needed: there is no display device for a driver to find.
 */
#define DEFAULT_CMDLINE                                                                            \
	"console=ttyS0 reboot=k panic=-1 pci=off 8250.nr_uarts=1 i8042.noaux i8042.nomux "         \
	"i8042.nopnp i8042.dumbkbd rdinit=/init"

#define CMDLINE_CAP 4096
#define CRASH_TAIL_LINES 20
#define POST_PORT 0x80
#define CMOS_PORT 0x70
#define SLP_EN (1u << 5)

/* One ioeventfd: the guest wrote queue index `q` to a transport's QueueNotify. */
struct queue_notify {
	struct virtio_mmio *t;
	unsigned q;
	int fd;
};

struct vm {
	struct vm_config cfg;
	struct kvm kvm;
	bool kvm_open;
	struct guest_mem mem;
	bool mem_ready;
	struct event_loop *loop;
	struct boot_file kernel, initrd; /* open until loaded into guest RAM */
	bool kernel_is_elf; /* an uncompressed vmlinux, booted without the decompressor */

	struct vcpu vcpus[HY_MAX_VCPUS];
	unsigned nr_vcpus; /* created */

	struct serial serial;
	struct i8042 i8042;
	bool legacy_ready;

	struct virtio_mmio mmio[HY_VIRTIO_MAX_DEVS];
	int mmio_irqfd[HY_VIRTIO_MAX_DEVS];
	unsigned nr_mmio;
	struct queue_notify *notifies;
	unsigned nr_notifies, cap_notifies;
	struct virtio_console *console;

	/* --rootfs / --spec: the container and its virtio-fs shares. */
	struct oci_bundle bundle;
	bool has_bundle;
	struct virtio_fs *fs[HY_VIRTIO_MAX_DEVS];
	unsigned nr_fs;
	int sigfd; /* forwarded signals, -1 until set up */

	/* Create mode (--control-fd, --ready-fd). */
	struct control_server *control;
	int ready_fd;  /* taken with an atomic exchange: written once, by one thread */
	bool prepared; /* the guest reported HY_BOOT_MARK_READY (atomic) */
	bool started;  /* START was sent (event loop thread only) */

	/* --tty: the terminal's mode before it was made raw; the last window
	 * size passed on (event loop thread only). */
	struct termios saved_tty;
	bool tty_raw;
	bool winsize_sent;
	struct winsize winsize;

	/* Exit state, under stop_lock. */
	pthread_mutex_t stop_lock;
	bool stopping; /* read without the lock through vm_stopping() */
	bool crashed;
	int status;

	/* Boot trace, CLOCK_MONOTONIC microseconds; 0 = not (yet) happened. */
	int64_t t_kvm_ready, t_first_entry, t_init, t_exec, t_ready;

	uint8_t port_logged[65536 / 8]; /* unknown ports already reported */
	unsigned mmio_logged;
};

int64_t vm_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* --- stopping ------------------------------------------------------------- */

static void stop_locked(struct vm *vm, int status)
{
	vm->status = status;
	__atomic_store_n(&vm->stopping, true, __ATOMIC_SEQ_CST);
	/* Kicks happen under stop_lock: vm_run() takes the lock before it joins
	 * the threads, so no thread is signalled after it was joined. */
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		vcpu_kick(&vm->vcpus[i]);
	if (vm->loop)
		event_loop_stop(vm->loop);
}

bool vm_stop(struct vm *vm, int status)
{
	bool first;

	pthread_mutex_lock(&vm->stop_lock);
	first = !vm->stopping;
	if (first)
		stop_locked(vm, status);
	pthread_mutex_unlock(&vm->stop_lock);
	return first;
}

bool vm_stopping(const struct vm *vm)
{
	return __atomic_load_n(&vm->stopping, __ATOMIC_SEQ_CST);
}

void vm_guest_crash(struct vm *vm, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	pthread_mutex_lock(&vm->stop_lock);
	if (!vm->stopping) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		log_error("%s", msg);
		vm->crashed = true;
		stop_locked(vm, HY_STATUS_GUEST_CRASH);
	}
	pthread_mutex_unlock(&vm->stop_lock);
}

void vm_mark_first_entry(struct vm *vm)
{
	__atomic_store_n(&vm->t_first_entry, vm_now_us(), __ATOMIC_RELAXED);
}

/* --- the paravirtual ports (agent_proto.h) ---------------------------------- */

/* Translate the workload's exit report into hyrun-vmm's exit status, or -1. */
static int exit_value_status(uint32_t v)
{
	unsigned kind = (v >> 8) & 0xff, code = v & 0xff;

	if (v >> 16)
		return -1;
	switch (kind) {
	case HY_EXIT_KIND_EXITED:
		return (int)code;
	case HY_EXIT_KIND_SIGNALED:
		return code >= 1 && code <= 64 ? 128 + (int)code : -1;
	case HY_EXIT_KIND_INIT_ERROR:
		return code >= 1 ? (int)code : -1;
	}
	return -1;
}

static void report_exit(struct vm *vm, const uint8_t *data, unsigned size)
{
	uint32_t v = 0;
	int status;

	if (size != sizeof(v)) {
		memcpy(&v, data, size < sizeof(v) ? size : sizeof(v));
		vm_guest_crash(vm, "guest reported an invalid exit value %#x (a %u-byte write)", v,
			       size);
		return;
	}
	memcpy(&v, data, sizeof(v));
	status = exit_value_status(v);
	if (status < 0) {
		vm_guest_crash(vm, "guest reported an invalid exit value %#x", v);
		return;
	}
	log_debug("workload exit value %#x: status %d", v, status);
	/* The console is drained in vm_run() before the status is returned. */
	vm_stop(vm, status);
}

/* Close the ready fd, after writing the line if the workload is prepared. */
static void finish_ready_fd(struct vm *vm, bool ready)
{
	int fd = __atomic_exchange_n(&vm->ready_fd, -1, __ATOMIC_SEQ_CST);
	ssize_t n;

	if (fd < 0)
		return;
	if (ready) {
		do
			n = write(fd, "ready\n", 6);
		while (n < 0 && errno == EINTR);
		/* EPIPE: whoever waited for it is gone, which is theirs to handle. */
		if (n != 6)
			log_debug("--ready-fd: %s", n < 0 ? strerror(errno) : "short write");
	}
	close(fd);
}

static void boot_mark(struct vm *vm, uint8_t mark)
{
	int64_t *slot;
	int64_t zero = 0;
	bool first;

	switch (mark) {
	case HY_BOOT_MARK_INIT:
		slot = &vm->t_init;
		break;
	case HY_BOOT_MARK_EXEC:
		slot = &vm->t_exec;
		break;
	case HY_BOOT_MARK_READY:
		/* Meaningful only when the guest was asked to wait. */
		if (vm->cfg.control_fd < 0) {
			log_debug("boot mark READY without create mode ignored");
			return;
		}
		slot = &vm->t_ready;
		break;
	default:
		log_debug("unknown boot mark %u", mark);
		return;
	}
	/* Only the first of each counts. */
	first = __atomic_compare_exchange_n(slot, &zero, vm_now_us(), false, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED);
	if (first && mark == HY_BOOT_MARK_READY && !vm_stopping(vm)) {
		log_debug("the guest has prepared the workload");
		/* Before the line goes out: a "start" that follows it must
		 * find the workload prepared. */
		__atomic_store_n(&vm->prepared, true, __ATOMIC_SEQ_CST);
		finish_ready_fd(vm, true);
	}
}

static void pv_port(struct vm *vm, uint16_t port, uint8_t *data, unsigned size, bool is_write)
{
	if (!is_write) {
		memset(data, 0xff, size);
		return;
	}
	switch (port) {
	case HY_PORT_EXIT:
		report_exit(vm, data, size);
		break;
	case HY_PORT_BOOTMARK:
		boot_mark(vm, data[0]);
		break;
	default:
		log_debug("write to unused paravirtual port %#x ignored", port);
		break;
	}
}

/* --- port and MMIO dispatch -------------------------------------------------- */

static void sleep_control(struct vm *vm, uint8_t v)
{
	/* ACPI 6.4 section 4.8.3.7: SLP_EN starts the transition to SLP_TYP. */
	if (!(v & SLP_EN))
		return;
	if (((v >> 2) & 7) == HY_ACPI_S5_TYP)
		vm_guest_crash(vm, "the guest powered off before the workload reported an exit "
				   "status");
	else
		log_debug("sleep state %u requested, not supported", (v >> 2) & 7);
}

static void unknown_port(struct vm *vm, uint16_t port, uint8_t *data, bool is_write)
{
	uint8_t bit = (uint8_t)(1u << (port % 8));

	if (!is_write)
		*data = 0xff; /* an open ISA bus reads as all ones */
	if (log_get_level() >= LOG_DEBUG &&
	    !(__atomic_fetch_or(&vm->port_logged[port / 8], bit, __ATOMIC_RELAXED) & bit))
		log_debug("guest %s unhandled port %#x", is_write ? "wrote" : "read", port);
}

static void byte_port(struct vm *vm, uint16_t port, uint8_t *data, bool is_write)
{
	if (port >= HY_COM1_PORT && port < HY_COM1_PORT + 8) {
		serial_io(&vm->serial, port - HY_COM1_PORT, data, is_write);
	} else if (port == HY_I8042_DATA_PORT || port == HY_I8042_CMD_PORT) {
		if (i8042_io(&vm->i8042, port, data, is_write) == I8042_RESET)
			vm_guest_crash(vm, "the guest reset the machine (keyboard controller) "
					   "before the workload reported an exit status");
	} else if (port == HY_ACPI_SLEEP_CTL_PORT) {
		if (is_write)
			sleep_control(vm, *data);
		else
			*data = 0;
	} else if (port == HY_ACPI_SLEEP_STS_PORT) {
		if (!is_write)
			*data = 0; /* no wake events */
	} else if (port == POST_PORT) {
		/* POST codes and I/O delays (outb to 0x80): nothing to do. */
		if (!is_write)
			*data = 0xff;
	} else if (port == CMOS_PORT || port == CMOS_PORT + 1) {
		/* No RTC. Reading zero rather than all ones matters: an all-ones
		 * register A has "update in progress" set forever, and code that
		 * waits for it to clear would never finish. */
		if (!is_write)
			*data = 0;
	} else {
		unknown_port(vm, port, data, is_write);
	}
}

void vm_port_io(struct vm *vm, uint16_t port, uint8_t *data, unsigned size, bool is_write)
{
	if (port >= HY_PORT_BASE && port < HY_PORT_BASE + HY_PORT_COUNT) {
		pv_port(vm, port, data, size, is_write);
		return;
	}
	/* The legacy devices are byte-wide: a wider access touches consecutive
	 * ports, as on an 8-bit ISA bus. */
	for (unsigned i = 0; i < size; i++)
		byte_port(vm, (uint16_t)(port + i), data + i, is_write);
}

void vm_mmio(struct vm *vm, uint64_t addr, uint8_t *data, unsigned len, bool is_write)
{
	uint64_t end = HY_VIRTIO_MMIO_BASE + (uint64_t)vm->nr_mmio * HY_VIRTIO_MMIO_SIZE;

	if (addr >= HY_VIRTIO_MMIO_BASE && addr < end) {
		uint64_t rel = addr - HY_VIRTIO_MMIO_BASE;
		unsigned i = (unsigned)(rel / HY_VIRTIO_MMIO_SIZE);
		uint64_t off = rel % HY_VIRTIO_MMIO_SIZE;

		if (off + len <= HY_VIRTIO_MMIO_SIZE) {
			virtio_mmio_access(&vm->mmio[i], off, data, len, is_write);
			return;
		}
	}
	if (!is_write)
		memset(data, 0, len);
	if (__atomic_fetch_add(&vm->mmio_logged, 1, __ATOMIC_RELAXED) < 16)
		log_debug("guest %s unhandled MMIO %#llx (%u bytes)", is_write ? "wrote" : "read",
			  (unsigned long long)addr, len);
}

/* --- setup ---------------------------------------------------------------- */

/*
 * Open a kernel or initrd for loading: it is read later with pread(2) straight
 * into guest memory (boot_file_to_guest()), one copy and only the parts the
 * guest needs, rather than mmap()ed, which costs a page fault per 4 KiB on
 * network and 9p filesystems.
 */
static int open_file(struct boot_file *f, const char *path, const char *what)
{
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		int err = -errno;

		log_error("cannot open %s '%s': %s", what, path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return err;
	}
	if (!S_ISREG(st.st_mode)) {
		log_error("%s '%s' is not a regular file", what, path);
		close(fd);
		return -EINVAL;
	}
	if (st.st_size == 0) {
		log_error("%s '%s' is empty", what, path);
		close(fd);
		return -EINVAL;
	}
	*f = (struct boot_file){.data = NULL, .fd = fd, .size = (uint64_t)st.st_size};
	return 0;
}

static void close_file(struct boot_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	*f = (struct boot_file){.data = NULL, .fd = -1, .size = 0};
}

static void serial_set_irq(void *opaque, int level)
{
	struct vm *vm = opaque;

	kvm_irq_line(&vm->kvm, HY_COM1_IRQ, level);
}

static void queue_notify_cb(void *opaque, uint32_t events)
{
	struct queue_notify *n = opaque;
	uint64_t count;

	/* Several notifications may have coalesced into one count: one pass over
	 * the queue handles them all. */
	if (read(n->fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		log_debug("reading a queue notification eventfd: %s", strerror(errno));
	virtio_mmio_queue_notify(n->t, n->q);
}

static int add_queue_notify(struct vm *vm, struct virtio_mmio *t, unsigned q)
{
	struct queue_notify *n;
	int fd, r;

	if (vm->nr_notifies == vm->cap_notifies) {
		unsigned cap = vm->cap_notifies ? vm->cap_notifies * 2 : 16;
		struct queue_notify *p = realloc(vm->notifies, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		vm->notifies = p;
		vm->cap_notifies = cap;
	}
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0) {
		r = -errno;
		log_error("eventfd: %s", strerror(errno));
		return r;
	}
	n = &vm->notifies[vm->nr_notifies];
	*n = (struct queue_notify){.t = t, .q = q, .fd = fd};
	r = kvm_ioeventfd(&vm->kvm, fd, t->base + VIRTIO_MMIO_NOTIFY_OFFSET, 4, q, false);
	if (r) {
		close(fd);
		return r;
	}
	vm->nr_notifies++;
	return 0;
}

/* Put device `d` behind the next virtio-mmio window, with its interrupt on an
 * irqfd and one ioeventfd per queue. */
static int attach_mmio(struct vm *vm, struct virtio_dev *d)
{
	unsigned i = vm->nr_mmio;
	uint64_t base = HY_VIRTIO_MMIO_BASE + i * HY_VIRTIO_MMIO_SIZE;
	uint32_t gsi = HY_VIRTIO_IRQ_BASE + i;
	int fd, r;

	if (i == HY_VIRTIO_MAX_DEVS) {
		log_error("too many virtio devices (at most %d)", HY_VIRTIO_MAX_DEVS);
		return -ENOSPC;
	}
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0) {
		r = -errno;
		log_error("eventfd: %s", strerror(errno));
		return r;
	}
	r = kvm_irqfd(&vm->kvm, fd, gsi);
	if (r) {
		close(fd);
		return r;
	}
	vm->mmio_irqfd[i] = fd;
	virtio_mmio_init(&vm->mmio[i], d, &vm->mem, base, gsi, fd);
	vm->nr_mmio++;
	for (unsigned q = 0; q < d->nr_queues; q++) {
		r = add_queue_notify(vm, &vm->mmio[i], q);
		if (r)
			return r;
	}
	return 0;
}

/* Register the ioeventfds with the loop once every device is attached: the
 * loop keeps pointers into vm->notifies, which realloc() may move before. */
static int watch_queue_notifies(struct vm *vm)
{
	for (unsigned i = 0; i < vm->nr_notifies; i++) {
		struct queue_notify *n = &vm->notifies[i];
		int r = event_add(vm->loop, n->fd, EPOLLIN, queue_notify_cb, n);

		if (r) {
			log_error("cannot watch a queue notification: %s", strerror(-r));
			return r;
		}
	}
	return 0;
}

/* --- forwarded signals ------------------------------------------------------- */

static const int forwarded_signals[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

/* The forwarded signals, and SIGWINCH (a new window size with --tty; its
 * default action is to ignore it, so blocking it changes nothing otherwise). */
static void watched_set(sigset_t *set)
{
	sigemptyset(set);
	for (size_t i = 0; i < ARRAY_SIZE(forwarded_signals); i++)
		sigaddset(set, forwarded_signals[i]);
	sigaddset(set, SIGWINCH);
}

int vm_block_forwarded_signals(void)
{
	sigset_t set;

	watched_set(&set);
	return -pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/* The terminal's window size to the guest (agent_proto.h HY_CTL_WINSIZE). */
static void send_winsize(struct vm *vm)
{
	uint8_t msg[HY_CTL_WINSIZE_LEN];
	struct winsize ws;
	int r;

	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0) {
		log_debug("--tty: window size: %s", strerror(errno));
		return;
	}
	/* A window being dragged sends many signals; the guest needs changes. */
	if (vm->winsize_sent && ws.ws_row == vm->winsize.ws_row && ws.ws_col == vm->winsize.ws_col)
		return;
	hy_ctl_encode_winsize(msg, ws.ws_row, ws.ws_col);
	r = virtio_console_send_control(vm->console, msg, sizeof(msg));
	if (r < 0) {
		/* The next SIGWINCH tries again. */
		log_warn("window size %ux%u not passed on: %s", ws.ws_col, ws.ws_row, strerror(-r));
		vm->winsize_sent = false;
		return;
	}
	vm->winsize = ws;
	vm->winsize_sent = true;
}

/* Each signal goes to the guest's control port (agent_proto.h), held there
 * until hyrun-init has opened it; hyrun-init passes it to the workload. */
static void signal_cb(void *opaque, uint32_t events)
{
	struct vm *vm = opaque;
	struct signalfd_siginfo si;

	while (read(vm->sigfd, &si, sizeof(si)) == sizeof(si)) {
		uint8_t b = HY_CTL_SIGNAL(si.ssi_signo);
		int r;

		if (si.ssi_signo == SIGWINCH) {
			if (vm->tty_raw)
				send_winsize(vm);
			continue;
		}
		log_debug("forwarding signal %u to the guest", si.ssi_signo);
		r = virtio_console_send_control(vm->console, &b, 1);
		if (r < 0)
			log_warn("signal %u not forwarded: %s", si.ssi_signo, strerror(-r));
	}
}

static int setup_signals(struct vm *vm)
{
	sigset_t set;
	int r;

	watched_set(&set);
	vm->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (vm->sigfd < 0) {
		r = -errno;
		log_error("signalfd: %s", strerror(errno));
		return r;
	}
	r = event_add(vm->loop, vm->sigfd, EPOLLIN, signal_cb, vm);
	if (r)
		log_error("cannot watch signals: %s", strerror(-r));
	return r;
}

/* --- create mode: the control socket ---------------------------------------------- */

static int send_ctl_byte(struct vm *vm, uint8_t b, char *err, size_t errlen)
{
	int r = virtio_console_send_control(vm->console, &b, 1);

	if (r < 0) {
		snprintf(err, errlen, "%s",
			 r == -ENOSPC ? "too many control messages are waiting for the guest"
				      : strerror(-r));
		return -1;
	}
	return 0;
}

static int control_start(void *opaque, char *err, size_t errlen)
{
	struct vm *vm = opaque;

	if (vm->started) {
		snprintf(err, errlen, "the workload was already started");
		return -1;
	}
	if (!__atomic_load_n(&vm->prepared, __ATOMIC_SEQ_CST)) {
		snprintf(err, errlen, "the workload is not prepared yet (wait for ready)");
		return -1;
	}
	if (send_ctl_byte(vm, HY_CTL_START, err, errlen))
		return -1;
	vm->started = true;
	log_debug("workload released");
	return 0;
}

static int control_kill(void *opaque, int sig, bool all, char *err, size_t errlen)
{
	struct vm *vm = opaque;

	if (sig < 1 || sig > HY_CTL_SIG_MAX) {
		snprintf(err, errlen, "signal %d is not a number from 1 to %d", sig,
			 HY_CTL_SIG_MAX);
		return -1;
	}
	log_debug("signal %d to %s", sig, all ? "every process" : "the workload");
	return send_ctl_byte(vm, all ? HY_CTL_SIGNAL_ALL(sig) : HY_CTL_SIGNAL(sig), err, errlen);
}

static const struct control_ops control_ops = {
    .start = control_start,
    .kill = control_kill,
};

/* --- --tty: the host terminal ----------------------------------------------------- */

/*
 * SIGWINCH goes to the foreground process group of a terminal's session,
 * so the terminal should be ours. Whoever started us may have arranged
 * that already (setsid() and TIOCSCTTY); if not, try, but a terminal that
 * belongs to another session stays where it is.
 */
static void take_controlling_tty(void)
{
	pid_t sid = getsid(0);

	if (sid >= 0 && tcgetsid(STDIN_FILENO) == sid)
		return;
	if (sid != getpid() && setsid() < 0) {
		log_debug("--tty: setsid: %s; the terminal stays as it is", strerror(errno));
		return;
	}
	if (ioctl(STDIN_FILENO, TIOCSCTTY, 0) < 0)
		log_debug("--tty: cannot make stdin the controlling terminal: %s", strerror(errno));
}

/* Raw mode: every byte typed (^C, ^D, ^Z too) reaches the guest's pty
 * unchanged, and the guest's line discipline does the rest. */
static int setup_tty(struct vm *vm)
{
	struct termios raw;

	if (tcgetattr(STDIN_FILENO, &vm->saved_tty) < 0) {
		log_error("--tty: standard input is not a terminal (%s)", strerror(errno));
		return -ENOTTY;
	}
	take_controlling_tty();
	raw = vm->saved_tty;
	cfmakeraw(&raw);
	if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) < 0) {
		int r = -errno;

		log_error("--tty: cannot put the terminal in raw mode: %s", strerror(errno));
		return r;
	}
	vm->tty_raw = true;
	send_winsize(vm);
	return 0;
}

static void restore_tty(struct vm *vm)
{
	if (!vm->tty_raw)
		return;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &vm->saved_tty) < 0)
		log_warn("--tty: cannot restore the terminal's mode: %s", strerror(errno));
	vm->tty_raw = false;
}

/* --- the container's shares ------------------------------------------------------ */

/*
 * One share per directory: the root, then each bind-mounted host
 * directory. One request queue each: the Linux driver (6.1) sends every
 * request through the first one anyway.
 */
static int setup_shares(struct vm *vm)
{
	for (size_t i = 0; i < vm->bundle.nr_shares; i++) {
		const struct oci_share *sh = &vm->bundle.shares[i];
		struct virtio_fs *fs;
		int r;

		if (vm->nr_mmio == HY_VIRTIO_MAX_DEVS) {
			log_error("too many bind-mounted directories: at most %d virtio devices",
				  HY_VIRTIO_MAX_DEVS);
			return -ENOSPC;
		}
		fs = virtio_fs_new(sh->tag, sh->host_dir, sh->readonly, 1);
		if (!fs)
			return -EINVAL; /* virtio_fs_new() said why */
		vm->fs[vm->nr_fs++] = fs;
		log_debug("share '%s': %s%s", sh->tag, sh->host_dir,
			  sh->readonly ? " (read-only)" : "");
		r = attach_mmio(vm, virtio_fs_dev(fs));
		if (r)
			return r;
	}
	return 0;
}

static int build_cmdline(struct vm *vm, char *buf, size_t cap)
{
	char arg[128];
	int r;

	buf[0] = '\0';
	r = cmdline_append(buf, cap, DEFAULT_CMDLINE);
	if (!r && !vm->cfg.console)
		r = cmdline_append(buf, cap, "quiet");
	/*
	 * Devices are described both in the DSDT and on the command line: a
	 * kernel without ACPI (the minimal one) reads only the latter, and a
	 * distribution kernel without CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES ignores
	 * it (virtio_mmio is then a module loaded without these parameters).
	 */
	for (unsigned i = 0; !r && vm->cfg.virtio_cmdline && i < vm->nr_mmio; i++) {
		snprintf(arg, sizeof(arg), "virtio_mmio.device=%#llx@%#llx:%u",
			 (unsigned long long)HY_VIRTIO_MMIO_SIZE,
			 (unsigned long long)vm->mmio[i].base, vm->mmio[i].gsi);
		r = cmdline_append(buf, cap, arg);
	}
	if (!r && vm->cfg.cmdline_extra && vm->cfg.cmdline_extra[0])
		r = cmdline_append(buf, cap, vm->cfg.cmdline_extra);
	if (r)
		log_error("the kernel command line is longer than %zu bytes", cap - 1);
	return r;
}

/* The container's files: config.json and the copies of bind-mounted files. */
static int add_container_files(struct vm *vm, struct cpio_buf *cb)
{
	cleanup_free char *config = oci_bundle_guest_config(&vm->bundle);
	int r;

	if (!config)
		return -ENOMEM;
	r = cpio_add_file(cb, &HY_INIT_CONFIG[1], 0444, config, strlen(config));
	if (!r && vm->bundle.nr_files)
		r = cpio_add_dir(cb, &HY_INIT_FILES[1], 0755);
	/* A snapshot taken now, not a live bind: changes on the host after
	 * the start (a rewritten /etc/resolv.conf) are not seen. */
	for (size_t i = 0; !r && i < vm->bundle.nr_files; i++) {
		const struct oci_file *f = &vm->bundle.files[i];

		r = cpio_add_file(cb, &f->guest_path[1], f->mode, f->data, f->len);
	}
	return r;
}

/* The per-VM files hyrun-init reads: the workload's argv, the flags, and
 * for a container its config.json and file copies. */
static int build_init_files(struct vm *vm, struct cpio_buf *cb)
{
	char *const *argv = vm->has_bundle ? (char *const *)vm->bundle.spec.args : vm->cfg.argv;
	bool terminal = vm->cfg.tty || (vm->has_bundle && vm->bundle.spec.terminal);
	char flags[64];
	char *argv_buf = NULL;
	size_t len = 0;
	FILE *f;
	int r;

	f = open_memstream(&argv_buf, &len);
	if (!f)
		return -ENOMEM;
	for (char *const *a = argv; *a; a++)
		fwrite(*a, 1, strlen(*a) + 1, f);
	if (fclose(f) != 0) {
		free(argv_buf);
		return -ENOMEM;
	}
	snprintf(flags, sizeof(flags), "%s%s%s", vm->cfg.debug ? "debug=1\n" : "",
		 vm->cfg.control_fd >= 0 ? "wait_start=1\n" : "", terminal ? "terminal=1\n" : "");

	/* Names are relative to the initramfs root, like every archive's. */
	r = cpio_add_dir(cb, &HY_INIT_DIR[1], 0755);
	if (!r)
		r = cpio_add_file(cb, &HY_INIT_ARGV[1], 0444, argv_buf, len);
	if (!r)
		r = cpio_add_file(cb, &HY_INIT_FLAGS[1], 0444, flags, strlen(flags));
	if (!r && vm->has_bundle)
		r = add_container_files(vm, cb);
	if (!r)
		r = cpio_finish(cb);
	free(argv_buf);
	if (r)
		log_error("cannot build the per-VM initramfs: %s", strerror(-r));
	return r;
}

static int setup_acpi(struct vm *vm, uint64_t *rsdp)
{
	struct acpi_mmio_dev devs[HY_VIRTIO_MAX_DEVS];
	struct acpi_config cfg = {
	    .nr_cpus = vm->cfg.nr_cpus,
	    .mmio_devs = devs,
	    .nr_mmio_devs = vm->nr_mmio,
	};
	long r;

	for (unsigned i = 0; i < vm->nr_mmio; i++)
		devs[i] = (struct acpi_mmio_dev){
		    .base = vm->mmio[i].base,
		    .size = HY_VIRTIO_MMIO_SIZE,
		    .gsi = vm->mmio[i].gsi,
		};
	r = acpi_setup(&vm->mem, &cfg);
	if (r < 0) {
		log_error("cannot build the ACPI tables: %s", strerror((int)-r));
		return (int)r;
	}
	*rsdp = (uint64_t)r;
	/* Both descriptions are written: a kernel with ACPI reads the MADT, one
	 * without it (the minimal kernel) finds its CPUs in the MP table. */
	r = mptable_setup(&vm->mem, vm->cfg.nr_cpus);
	if (r < 0) {
		log_error("cannot build the MP table: %s", strerror((int)-r));
		return (int)r;
	}
	return 0;
}

static int load_guest(struct vm *vm, uint64_t rsdp, struct boot_x86_result *res)
{
	cleanup_free char *cmdline = malloc(CMDLINE_CAP);
	struct cpio_buf cb = {0};
	char err[256] = "";
	struct boot_x86_params p;
	int r;

	if (!cmdline)
		return -ENOMEM;
	r = build_cmdline(vm, cmdline, CMDLINE_CAP);
	if (r)
		return r;
	log_debug("kernel command line: %s", cmdline);
	r = build_init_files(vm, &cb);
	if (r)
		goto out;
	p = (struct boot_x86_params){
	    .kernel = vm->kernel,
	    .initrd = vm->initrd,
	    .initrd_extra = cb.data,
	    .initrd_extra_size = cb.len,
	    .cmdline = cmdline,
	    .acpi_rsdp = rsdp,
	};
	if (vm->kernel_is_elf)
		r = boot_elf_load(&vm->mem, &p, res, err, sizeof(err));
	else
		r = boot_x86_load(&vm->mem, &p, res, err, sizeof(err));
	if (r)
		log_error("cannot load the kernel '%s'%s%s%s: %s", vm->cfg.kernel_path,
			  vm->cfg.initrd_path ? " and initrd '" : "",
			  vm->cfg.initrd_path ? vm->cfg.initrd_path : "",
			  vm->cfg.initrd_path ? "'" : "", err[0] ? err : strerror(-r));
out:
	cpio_free(&cb);
	return r;
}

static int check_files(struct vm *vm)
{
	struct bzimage_info info;
	struct boot_elf_info elf;
	uint8_t head[4]; /* the ELF magic's length */
	char err[256] = "";
	int r;

	r = open_file(&vm->kernel, vm->cfg.kernel_path, "kernel");
	if (r)
		return r;
	vm->kernel_is_elf = vm->kernel.size >= sizeof(head) &&
			    !boot_file_read(&vm->kernel, 0, head, sizeof(head)) &&
			    boot_elf_is_elf(head, sizeof(head));
	if (vm->kernel_is_elf)
		r = boot_elf_parse_file(&vm->kernel, &elf, err, sizeof(err));
	else
		r = bzimage_parse_file(&vm->kernel, &info, err, sizeof(err));
	if (r) {
		log_error("kernel '%s': %s", vm->cfg.kernel_path,
			  err[0] ? err : "not a usable kernel image");
		return r;
	}
	if (vm->cfg.initrd_path)
		r = open_file(&vm->initrd, vm->cfg.initrd_path, "initrd");
	return r;
}

static int setup_vcpus(struct vm *vm, const struct boot_x86_result *boot)
{
	int r;

	if (vm->cfg.nr_cpus > vm->kvm.max_vcpus) {
		log_error("%u vCPUs asked for, KVM allows at most %u", vm->cfg.nr_cpus,
			  vm->kvm.max_vcpus);
		return -EINVAL;
	}
	for (unsigned i = 0; i < vm->cfg.nr_cpus; i++) {
		r = vcpu_init(&vm->vcpus[i], vm, &vm->kvm, i, vm->cfg.nr_cpus);
		if (r)
			return r;
		vm->nr_vcpus++;
	}
	r = vcpu_setup_boot(&vm->vcpus[0], boot->entry, boot->zero_page);
	if (r)
		return r;
	return vcpu_signal_init();
}

int vm_create(struct vm **out, const struct vm_config *cfg)
{
	struct boot_x86_result boot;
	uint64_t rsdp = 0;
	struct vm *vm;
	int r;

	if (cfg->nr_cpus < 1 || cfg->nr_cpus > HY_MAX_VCPUS || !cfg->argv || !cfg->argv[0])
		return -EINVAL;
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	vm->cfg = *cfg;
	vm->kvm.sys_fd = vm->kvm.vm_fd = -1;
	vm->sigfd = -1;
	vm->kernel.fd = vm->initrd.fd = -1;
	vm->ready_fd = cfg->ready_fd;
	for (unsigned i = 0; i < HY_VIRTIO_MAX_DEVS; i++)
		vm->mmio_irqfd[i] = -1;
	pthread_mutex_init(&vm->stop_lock, NULL);

	/* The files first: a bad kernel is reported as such even on a host
	 * where KVM would fail too. */
	r = check_files(vm);
	if (r)
		goto fail;
	if (cfg->rootfs_dir || cfg->spec_path) {
		char err[1024];

		r = oci_bundle_load(&vm->bundle, cfg->spec_path, cfg->rootfs_dir,
				    cfg->argv_given ? cfg->argv : NULL, err, sizeof(err));
		if (r) {
			log_error("%s", err);
			goto fail;
		}
		vm->has_bundle = true;
	}

	r = kvm_open(&vm->kvm);
	if (r)
		goto fail;
	vm->kvm_open = true;
	vm->t_kvm_ready = vm_now_us();
	if (kvm_host_is_emulated())
		log_warn("/dev/kvm here has no hardware virtualization behind it (PVM, or no "
			 "VT-x/AMD-V): a Linux guest runs emulated and takes minutes; use "
			 "hack/testhost");

	r = guest_mem_init(&vm->mem, cfg->mem_size,
			   (cfg->hugepages ? GUEST_MEM_HUGEPAGES : GUEST_MEM_THP) |
			       (cfg->prefault ? GUEST_MEM_PREFAULT : 0));
	if (r)
		goto fail; /* guest_mem_init() said why */
	vm->mem_ready = true;
	r = kvm_set_memory(&vm->kvm, &vm->mem);
	if (r)
		goto fail;

	vm->loop = event_loop_new();
	if (!vm->loop) {
		log_error("cannot create the event loop");
		r = -ENOMEM;
		goto fail;
	}
	serial_init(&vm->serial, cfg->console ? STDERR_FILENO : -1, serial_set_irq, vm);
	i8042_init(&vm->i8042);
	vm->legacy_ready = true;

	vm->console = virtio_console_new(vm->loop, STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO);
	if (!vm->console) {
		log_error("cannot create the virtio console");
		r = -ENOMEM;
		goto fail;
	}
	r = attach_mmio(vm, virtio_console_dev(vm->console));
	if (r)
		goto fail;
	r = setup_shares(vm);
	if (r)
		goto fail;
	r = setup_signals(vm);
	if (r)
		goto fail;
	if (cfg->control_fd >= 0) {
		vm->control = control_server_new(vm->loop, cfg->control_fd, &control_ops, vm);
		if (!vm->control) {
			r = -ENOMEM;
			goto fail;
		}
	}
	r = watch_queue_notifies(vm);
	if (r)
		goto fail;

	r = setup_acpi(vm, &rsdp);
	if (r)
		goto fail;
	r = load_guest(vm, rsdp, &boot);
	if (r)
		goto fail;
	r = setup_vcpus(vm, &boot);
	if (r)
		goto fail;
	/* Last: a failure above leaves the terminal as it was. */
	if (cfg->tty) {
		r = setup_tty(vm);
		if (r)
			goto fail;
	}

	/* The files were copied into guest memory. */
	close_file(&vm->kernel);
	close_file(&vm->initrd);
	*out = vm;
	return 0;

fail:
	vm_destroy(vm);
	return r;
}

/* --- running ---------------------------------------------------------------- */

/* Print a line of guest output without letting it drive the terminal. */
static void print_guest_line(const char *prefix, const char *s, size_t len)
{
	char buf[600];
	size_t n = 0;

	n = (size_t)snprintf(buf, sizeof(buf), "%s", prefix);
	for (size_t i = 0; i < len && n < sizeof(buf) - 2; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\r')
			continue;
		buf[n++] = (c >= 0x20 && c < 0x7f) || c == '\t' ? (char)c : '?';
	}
	buf[n++] = '\n';
	if (write(STDERR_FILENO, buf, n) < 0)
		return;
}

/* After a crash: the end of the serial console, and the panic message. */
static void report_crash(struct vm *vm)
{
	cleanup_free char *buf = malloc(SERIAL_RING_SIZE);
	size_t len, start, lines = 0;
	const char *panic = NULL;

	if (!buf)
		return;
	len = serial_output_tail(&vm->serial, buf, SERIAL_RING_SIZE);
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	if (len == 0) {
		log_error("the guest wrote nothing to its serial console");
		return;
	}
	for (start = len; start > 0; start--) {
		if (buf[start - 1] == '\n' && ++lines == CRASH_TAIL_LINES)
			break;
	}
	/* With --console the same text is already on stderr. */
	if (!vm->cfg.console) {
		log_error("last lines of the guest's serial console:");
		for (size_t i = start; i < len;) {
			const char *nl = memchr(buf + i, '\n', len - i);
			size_t end = nl ? (size_t)(nl - buf) : len;

			print_guest_line("  | ", buf + i, end - i);
			i = end + 1;
		}
	}
	for (const char *p = buf; (p = memmem(p, len - (size_t)(p - buf), "Kernel panic", 12)); p++)
		panic = p;
	if (panic) {
		const char *nl = memchr(panic, '\n', len - (size_t)(panic - buf));
		size_t n = nl ? (size_t)(nl - panic) : len - (size_t)(panic - buf);

		print_guest_line("hyrun-vmm: guest kernel panic: ", panic, n);
	}
}

static void print_boot_trace(struct vm *vm, int64_t exit_us)
{
	int64_t start = vm->cfg.start_mono_us;
	int64_t t[] = {vm->t_kvm_ready, vm->t_first_entry, vm->t_init, vm->t_exec, exit_us};
	char buf[256];
	int n;

	for (size_t i = 0; i < ARRAY_SIZE(t); i++)
		t[i] = t[i] ? t[i] - start : -1;
	n = snprintf(buf, sizeof(buf),
		     "hyrun-vmm: boot-trace: start_mono_us=%lld kvm_ready_us=%lld "
		     "first_entry_us=%lld init_us=%lld exec_us=%lld exit_us=%lld\n",
		     (long long)start, (long long)t[0], (long long)t[1], (long long)t[2],
		     (long long)t[3], (long long)t[4]);
	if (write(STDERR_FILENO, buf, (size_t)n) < 0)
		return;
}

int vm_run(struct vm *vm)
{
	int r = 0;

	for (unsigned i = 0; i < vm->nr_vcpus && !vm_stopping(vm); i++) {
		r = vcpu_start(&vm->vcpus[i]);
		if (r) {
			vm_stop(vm, HY_STATUS_VMM_ERROR);
			break;
		}
	}
	if (!r) {
		r = event_loop_run(vm->loop);
		if (r < 0)
			log_error("event loop: %s", strerror(-r));
	}
	/* Also the barrier that waits for a concurrent vm_stop() to finish
	 * kicking the vCPU threads (a no-op when the VM stopped already). */
	if (vm_stop(vm, HY_STATUS_VMM_ERROR) && r >= 0)
		log_error("the event loop ended without the VM stopping");
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		vcpu_join(&vm->vcpus[i]);
	/* Whoever waits for the workload to be prepared learns it never will be. */
	finish_ready_fd(vm, false);

	/* Everything the workload wrote before reporting its exit status. */
	virtio_console_drain(vm->console);
	serial_flush(&vm->serial);
	if (vm->crashed)
		report_crash(vm);
	if (vm->cfg.boot_trace)
		print_boot_trace(vm, vm_now_us());
	return vm->status;
}

void vm_destroy(struct vm *vm)
{
	if (!vm)
		return;
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		vcpu_join(&vm->vcpus[i]);
		vcpu_destroy(&vm->vcpus[i]);
	}
	for (unsigned i = 0; i < vm->nr_notifies; i++) {
		if (vm->loop)
			event_del(vm->loop, vm->notifies[i].fd);
		close(vm->notifies[i].fd);
	}
	free(vm->notifies);
	if (vm->sigfd >= 0) {
		if (vm->loop)
			event_del(vm->loop, vm->sigfd);
		close(vm->sigfd);
	}
	control_server_free(vm->control);
	finish_ready_fd(vm, false);
	restore_tty(vm);
	if (vm->console)
		virtio_console_free(vm->console);
	for (unsigned i = 0; i < vm->nr_fs; i++)
		virtio_fs_free(vm->fs[i]);
	if (vm->has_bundle)
		oci_bundle_free(&vm->bundle);
	for (unsigned i = 0; i < HY_VIRTIO_MAX_DEVS; i++)
		if (vm->mmio_irqfd[i] >= 0)
			close(vm->mmio_irqfd[i]);
	if (vm->legacy_ready) {
		serial_destroy(&vm->serial);
		i8042_destroy(&vm->i8042);
	}
	if (vm->loop)
		event_loop_free(vm->loop);
	if (vm->kvm_open)
		kvm_close(&vm->kvm);
	if (vm->mem_ready)
		guest_mem_free(&vm->mem);
	close_file(&vm->kernel);
	close_file(&vm->initrd);
	pthread_mutex_destroy(&vm->stop_lock);
	free(vm);
}
