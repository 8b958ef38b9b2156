/* vm.c: the microVM's life cycle: set-up from the config, running, stopping and the exit
 * status; the paravirtual exit and boot-marker ports, and the port devices whose accesses end it.
 */
#include "vmm/vm.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/agent_proto.h"
#include "common/cleanup.h"
#include "common/err.h"
#include "common/log.h"
#include "common/time.h"
#include "vmm/boot/setup.h"
#include "vmm/bus.h"
#include "vmm/control.h"
#include "vmm/devices.h"
#include "vmm/event.h"
#include "vmm/guest_mem.h"
#include "vmm/hw/i8042.h"
#include "vmm/hw/legacy.h"
#include "vmm/hw/serial.h"
#include "vmm/kvm.h"
#include "vmm/layout.h"
#include "vmm/report.h"
#include "vmm/term.h"
#include "vmm/vcpu.h"
#include "vmm/virtio/console.h"
#include "vmm/virtio/fs.h"
#include "vmm/virtio/net.h"
#include "vmm/virtio/vsock.h"

#define SLP_EN (1u << 5)
/* A plan's share tag always fits the device's config space. */
_Static_assert(PLAN_TAG_MAX <= VIRTIO_FS_TAG_MAX, "a share tag fits virtio-fs's tag field");
/* acpi_sleep_io() serves both registers as one two-port range. */
_Static_assert(HY_ACPI_SLEEP_STS_PORT == HY_ACPI_SLEEP_CTL_PORT + 1,
	       "the sleep status register follows the control register");

struct vm {
	struct vm_config cfg;
	struct kvm kvm;
	bool kvm_open;
	struct guest_mem mem;
	bool mem_ready;
	struct event_loop *loop;
	struct boot_setup boot; /* the host files, until loaded into guest RAM */

	struct vcpu vcpus[HY_MAX_VCPUS];
	unsigned nr_vcpus; /* created */

	/* Exits the kernel does not handle go through these. */
	struct bus pio, mmio;

	struct serial serial;
	struct i8042 i8042;
	bool legacy_ready;

	struct vm_devices devices;
	struct virtio_console *console;
	struct virtio_fs *fs[PLAN_MAX_SHARES];
	unsigned nr_fs;
	struct virtio_net *nics[PLAN_MAX_NICS];
	unsigned nr_nics;
	struct virtio_vsock *vsock;
	struct term term;
	bool term_ready;

	/* Create mode (--control-fd, --ready-fd). */
	struct control_server *control;
	int ready_fd;  /* taken with an atomic exchange: written once, by one thread */
	bool prepared; /* the guest reported HY_BOOT_MARK_READY (atomic) */
	bool started;  /* START was sent (event loop thread only) */

	/* Exit state, under stop_lock. */
	pthread_mutex_t stop_lock;
	bool stopping; /* read without the lock through vm_stopping() */
	bool crashed;
	int status;

	struct boot_times times;
};

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
	__atomic_store_n(&vm->times.first_entry, hy_now_us(), __ATOMIC_RELAXED);
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
		slot = &vm->times.init;
		break;
	case HY_BOOT_MARK_EXEC:
		slot = &vm->times.exec;
		break;
	case HY_BOOT_MARK_READY:
		/* Meaningful only when the guest was asked to wait. */
		if (vm->cfg.plan.control_fd < 0) {
			log_debug("boot mark READY without create mode ignored");
			return;
		}
		slot = &vm->times.ready;
		break;
	default:
		log_debug("unknown boot mark %u", mark);
		return;
	}
	/* Only the first of each counts. */
	first = __atomic_compare_exchange_n(slot, &zero, hy_now_us(), false, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED);
	if (first && mark == HY_BOOT_MARK_READY && !vm_stopping(vm)) {
		log_debug("the guest has prepared the workload");
		/* Before the line goes out: a "start" that follows it must
		 * find the workload prepared. */
		__atomic_store_n(&vm->prepared, true, __ATOMIC_SEQ_CST);
		if (vm->cfg.on_ready)
			vm->cfg.on_ready(vm->console, vm->cfg.on_ready_opaque);
		finish_ready_fd(vm, true);
	}
}

static void pv_port(void *opaque, uint64_t off, uint8_t *data, unsigned size, bool is_write)
{
	struct vm *vm = opaque;
	uint16_t port = (uint16_t)(HY_PORT_BASE + off);

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

/* --- the devices on the port bus ------------------------------------------------ */

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

/* The hardware-reduced FADT's sleep control (offset 0) and status (1) registers. */
static void acpi_sleep_io(void *opaque, uint64_t off, uint8_t *data, unsigned len, bool is_write)
{
	struct vm *vm = opaque;

	if (off == 0 && is_write)
		sleep_control(vm, *data);
	else if (!is_write)
		*data = 0; /* no wake events */
}

static void serial_port_io(void *opaque, uint64_t off, uint8_t *data, unsigned len, bool is_write)
{
	struct vm *vm = opaque;

	serial_io(&vm->serial, (unsigned)off, data, is_write);
}

static void i8042_access(struct vm *vm, uint16_t port, uint8_t *data, bool is_write)
{
	if (i8042_io(&vm->i8042, port, data, is_write) == I8042_RESET)
		vm_guest_crash(vm, "the guest reset the machine (keyboard controller) "
				   "before the workload reported an exit status");
}

static void i8042_data_io(void *opaque, uint64_t off, uint8_t *data, unsigned len, bool is_write)
{
	i8042_access(opaque, HY_I8042_DATA_PORT, data, is_write);
}

static void i8042_cmd_io(void *opaque, uint64_t off, uint8_t *data, unsigned len, bool is_write)
{
	i8042_access(opaque, HY_I8042_CMD_PORT, data, is_write);
}

static void serial_set_irq(void *opaque, int level)
{
	struct vm *vm = opaque;

	kvm_irq_line(&vm->kvm, HY_COM1_IRQ, level);
}

/* The port map. The legacy devices are byte-wide (a wider access reaches
 * consecutive ports, as on an 8-bit ISA bus); the paravirtual ports take a
 * value of any width whole. */
static int register_ports(struct vm *vm, char *err, size_t errlen)
{
	int r;

	r = bus_register(&vm->pio, HY_PORT_BASE, HY_PORT_COUNT, 0, pv_port, vm, "paravirtual ports",
			 err, errlen);
	if (!r)
		r = bus_register(&vm->pio, HY_COM1_PORT, 8, BUS_BYTEWISE, serial_port_io, vm,
				 "COM1", err, errlen);
	if (!r)
		r = bus_register(&vm->pio, HY_I8042_DATA_PORT, 1, BUS_BYTEWISE, i8042_data_io, vm,
				 "i8042 data", err, errlen);
	if (!r)
		r = bus_register(&vm->pio, HY_I8042_CMD_PORT, 1, BUS_BYTEWISE, i8042_cmd_io, vm,
				 "i8042 command", err, errlen);
	if (!r)
		r = bus_register(&vm->pio, HY_ACPI_SLEEP_CTL_PORT, 2, BUS_BYTEWISE, acpi_sleep_io,
				 vm, "ACPI sleep registers", err, errlen);
	if (!r)
		r = legacy_ports_register(&vm->pio, err, errlen);
	return r;
}

void vm_port_io(struct vm *vm, uint16_t port, uint8_t *data, unsigned size, bool is_write)
{
	bus_access(&vm->pio, port, data, size, is_write);
}

void vm_mmio(struct vm *vm, uint64_t addr, uint8_t *data, unsigned len, bool is_write)
{
	bus_access(&vm->mmio, addr, data, len, is_write);
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

/* --- setup ---------------------------------------------------------------- */

static void boot_config(const struct vm *vm, struct boot_setup_config *bc)
{
	*bc = (struct boot_setup_config){
	    .plan = &vm->cfg.plan,
	    .argv = vm->cfg.argv,
	    .guest_config_data = vm->cfg.guest_config_data,
	    .guest_config_len = vm->cfg.guest_config_len,
	    .console = vm->cfg.console,
	    .virtio_cmdline = vm->cfg.virtio_cmdline,
	};
}

/*
 * One virtio-fs device per share, in the plan's order. Opened before KVM, so
 * that a missing directory is reported as such on any host; attached after
 * the console. One request queue each: the Linux driver (6.1) sends every
 * request through the first one anyway.
 */
static int open_shares(struct vm *vm, char *err, size_t errlen)
{
	const struct vm_plan *p = &vm->cfg.plan;

	for (size_t i = 0; i < p->nr_shares; i++) {
		const struct plan_share *sh = &p->shares[i];
		struct virtio_fs *fs =
		    virtio_fs_new(sh->tag, sh->dir, sh->readonly, 1, err, errlen);

		if (!fs)
			return -EINVAL;
		vm->fs[vm->nr_fs++] = fs;
		log_debug("share '%s': %s%s", sh->tag, sh->dir, sh->readonly ? " (read-only)" : "");
	}
	return 0;
}

static int attach_shares(struct vm *vm, char *err, size_t errlen)
{
	for (unsigned i = 0; i < vm->nr_fs; i++) {
		int r = devices_attach(&vm->devices, virtio_fs_dev(vm->fs[i]), err, errlen);

		if (r)
			return r;
	}
	return 0;
}

/*
 * One virtio-net device per NIC, in the plan's order, attached after the
 * shares. The taps were opened by the runtime; they stay open (and
 * close-on-exec) for the life of the VM.
 */
static int open_nics(struct vm *vm, char *err, size_t errlen)
{
	const struct vm_plan *p = &vm->cfg.plan;

	for (size_t i = 0; i < p->nr_nics; i++) {
		const struct plan_nic *nic = &p->nics[i];
		struct virtio_net *n =
		    virtio_net_new(vm->loop, nic->fd, nic->mac, nic->mtu, err, errlen);
		char mac[18];

		if (!n)
			return -EINVAL;
		vm->nics[vm->nr_nics++] = n;
		plan_format_mac(nic->mac, mac);
		log_debug("NIC %zu: fd %d, MAC %s, MTU %u%s", i, nic->fd, mac, nic->mtu,
			  nic->mtu ? "" : " (not announced)");
	}
	return 0;
}

static int attach_nics(struct vm *vm, char *err, size_t errlen)
{
	for (unsigned i = 0; i < vm->nr_nics; i++) {
		int r = devices_attach(&vm->devices, virtio_net_dev(vm->nics[i]), err, errlen);

		if (r)
			return r;
	}
	return 0;
}

/*
 * The vsock device, attached after the NICs. Its listening socket was made
 * by the runtime and checked by main(); guest connections reach sockets in
 * vsock_dir, a path inside the jail.
 */
static int open_vsock(struct vm *vm, char *err, size_t errlen)
{
	const struct vm_plan *p = &vm->cfg.plan;

	if (!p->has_vsock)
		return 0;
	vm->vsock = virtio_vsock_new(vm->loop, p->vsock_fd, p->vsock_dir, err, errlen);
	if (!vm->vsock)
		return -EINVAL;
	log_debug("vsock: guest CID %d, clients on fd %d, guest connections to %s",
		  HY_VSOCK_GUEST_CID, p->vsock_fd, p->vsock_dir ? p->vsock_dir : "(none)");
	return 0;
}

static int setup_vcpus(struct vm *vm, const struct boot_x86_result *boot, char *err, size_t errlen)
{
	unsigned n = vm->cfg.plan.cpus;
	int r;

	if (n > vm->kvm.max_vcpus)
		return hy_err(err, errlen, -EINVAL, "%u vCPUs asked for, KVM allows at most %u", n,
			      vm->kvm.max_vcpus);
	for (unsigned i = 0; i < n; i++) {
		r = vcpu_init(&vm->vcpus[i], vm, &vm->kvm, i, n, err, errlen);
		if (r)
			return r;
		vm->nr_vcpus++;
	}
	r = vcpu_setup_boot(&vm->vcpus[0], boot->entry, boot->zero_page, err, errlen);
	if (r)
		return r;
	return vcpu_signal_init(err, errlen);
}

static int load_guest(struct vm *vm, char *err, size_t errlen)
{
	struct boot_mmio_dev devs[HY_VIRTIO_MAX_DEVS];
	struct boot_setup_config bc;
	struct boot_x86_result boot;
	int r;

	for (unsigned i = 0; i < vm->devices.nr; i++)
		devs[i] = (struct boot_mmio_dev){
		    .base = vm->devices.mmio[i].base,
		    .size = HY_VIRTIO_MMIO_SIZE,
		    .gsi = vm->devices.mmio[i].gsi,
		};
	boot_config(vm, &bc);
	r = boot_setup_load(&vm->boot, &vm->mem, &bc, devs, vm->devices.nr, &boot, err, errlen);
	if (r)
		return r;
	return setup_vcpus(vm, &boot, err, errlen);
}

int vm_create(struct vm **out, const struct vm_config *cfg, char *err, size_t errlen)
{
	const struct vm_plan *p = &cfg->plan;
	struct boot_setup_config bc;
	struct vm *vm;
	int r;

	if (err && errlen)
		err[0] = '\0';
	if (p->cpus < 1 || p->cpus > HY_MAX_VCPUS || p->nr_shares > PLAN_MAX_SHARES ||
	    p->nr_nics > PLAN_MAX_NICS ||
	    p->nr_shares + p->nr_nics + p->has_vsock > PLAN_MAX_DEVICES - 1 || !p->kernel ||
	    (!p->guest_config && !cfg->guest_config_data && (!cfg->argv || !cfg->argv[0])))
		return hy_err(err, errlen, -EINVAL, "the VM plan is out of range");
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return hy_err(err, errlen, -ENOMEM, "out of memory");
	vm->cfg = *cfg;
	vm->kvm.sys_fd = vm->kvm.vm_fd = -1;
	vm->boot.kernel.fd = vm->boot.initrd.fd = -1;
	vm->ready_fd = p->ready_fd;
	vm->times.start = cfg->start_mono_us;
	pthread_mutex_init(&vm->stop_lock, NULL);
	bus_init(&vm->pio, "port", 0xff, BUS_SPLIT_BYTES);
	bus_init(&vm->mmio, "MMIO", 0, 0);
	devices_init(&vm->devices, &vm->kvm, &vm->mem, &vm->mmio);

	/* The files first: a bad kernel is reported as such even on a host
	 * where KVM would fail too. */
	boot_config(vm, &bc);
	r = boot_setup_open(&vm->boot, &bc, err, errlen);
	if (r)
		goto fail;
	r = open_shares(vm, err, errlen);
	if (r)
		goto fail;

	r = kvm_open(&vm->kvm, vm->cfg.plan.kvm_fd, err, errlen);
	if (r)
		goto fail;
	vm->kvm_open = true;
	vm->times.kvm_ready = hy_now_us();
	if (kvm_host_is_emulated())
		log_warn("/dev/kvm here has no hardware virtualization behind it (PVM, or no "
			 "VT-x/AMD-V): a Linux guest runs emulated and takes minutes; use "
			 "hack/testhost");

	r = guest_mem_init(&vm->mem, p->mem,
			   (cfg->hugepages ? GUEST_MEM_HUGEPAGES : GUEST_MEM_THP) |
			       (cfg->prefault ? GUEST_MEM_PREFAULT : 0),
			   err, errlen);
	if (r)
		goto fail;
	vm->mem_ready = true;
	r = kvm_set_memory(&vm->kvm, &vm->mem, err, errlen);
	if (r)
		goto fail;

	vm->loop = event_loop_new();
	if (!vm->loop) {
		r = hy_err(err, errlen, -ENOMEM, "cannot create the event loop");
		goto fail;
	}
	r = open_nics(vm, err, errlen);
	if (r)
		goto fail;
	r = open_vsock(vm, err, errlen);
	if (r)
		goto fail;
	serial_init(&vm->serial, cfg->console ? STDERR_FILENO : -1, serial_set_irq, vm);
	i8042_init(&vm->i8042);
	vm->legacy_ready = true;
	r = register_ports(vm, err, errlen);
	if (r)
		goto fail;

	vm->console = virtio_console_new(vm->loop, STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO);
	if (!vm->console) {
		r = hy_err(err, errlen, -ENOMEM, "cannot create the virtio console");
		goto fail;
	}
	r = devices_attach(&vm->devices, virtio_console_dev(vm->console), err, errlen);
	if (r)
		goto fail;
	r = attach_shares(vm, err, errlen);
	if (r)
		goto fail;
	r = attach_nics(vm, err, errlen);
	if (r)
		goto fail;
	if (vm->vsock) {
		r = devices_attach(&vm->devices, virtio_vsock_dev(vm->vsock), err, errlen);
		if (r)
			goto fail;
	}
	term_init(&vm->term, vm->loop, vm->console);
	vm->term_ready = true;
	r = term_watch_signals(&vm->term, err, errlen);
	if (r)
		goto fail;
	if (p->control_fd >= 0) {
		vm->control =
		    control_server_new(vm->loop, p->control_fd, &control_ops, vm, err, errlen);
		if (!vm->control) {
			r = -ENOMEM;
			goto fail;
		}
	}
	r = devices_watch(&vm->devices, vm->loop, err, errlen);
	if (r)
		goto fail;

	r = load_guest(vm, err, errlen);
	if (r)
		goto fail;
	/* Last: a failure above leaves the terminal as it was. */
	if (p->tty) {
		r = term_make_raw(&vm->term, err, errlen);
		if (r)
			goto fail;
	}

	/* The files were copied into guest memory. */
	boot_setup_free(&vm->boot);
	*out = vm;
	return 0;

fail:
	vm_destroy(vm);
	return r;
}

/* --- running ---------------------------------------------------------------- */

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
		report_crash(&vm->serial, vm->cfg.console);
	if (vm->cfg.boot_trace)
		report_boot_trace(&vm->times, hy_now_us());
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
	devices_destroy(&vm->devices);
	if (vm->term_ready)
		term_destroy(&vm->term);
	control_server_free(vm->control);
	finish_ready_fd(vm, false);
	if (vm->console)
		virtio_console_free(vm->console);
	for (unsigned i = 0; i < vm->nr_fs; i++)
		virtio_fs_free(vm->fs[i]);
	for (unsigned i = 0; i < vm->nr_nics; i++)
		virtio_net_free(vm->nics[i]);
	virtio_vsock_free(vm->vsock);
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
	boot_setup_free(&vm->boot);
	pthread_mutex_destroy(&vm->stop_lock);
	free(vm);
}
