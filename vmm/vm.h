/* vm.h: one microVM: guest memory, vCPUs, devices, the event loop and the
 * exit status, put together from a struct vm_config.
 *
 * Life cycle: vm_create() does all host-side setup (files, KVM, memory,
 * devices, boot structures) and reports problems as -errno after one line on
 * stderr; vm_run() starts the vCPUs, runs the event loop on the calling thread
 * and returns the exit status once the VM stops; vm_destroy() frees it all.
 */
#ifndef HYRUN_VMM_VM_H
#define HYRUN_VMM_VM_H

#include <stdbool.h>
#include <stdint.h>

struct vm_config {
	const char *kernel_path;
	const char *initrd_path; /* NULL: only the per-VM files */
	uint64_t mem_size;	 /* bytes, a multiple of 4 KiB */
	unsigned nr_cpus;
	const char *cmdline_extra; /* appended to the default command line, or NULL */
	char *const *argv;	   /* the workload, NULL-terminated, at least one entry */
	bool argv_given;	   /* argv came from the command line: it replaces process.args */
	const char *rootfs_dir;	   /* --rootfs: share this directory as the workload's root */
	const char *spec_path;	   /* --spec: an OCI config.json applied in the guest */
	bool console;		   /* kernel messages to stderr, no "quiet" */
	bool boot_trace;	   /* print the boot-time breakdown at exit */
	bool debug;		   /* debug=1 for hyrun-init */
	bool hugepages;		   /* MAP_HUGETLB guest RAM instead of THP */
	bool prefault;		   /* fault all guest RAM in before the boot */
	bool virtio_cmdline;   /* also announce virtio-mmio devices on the command line (default) */
	int64_t start_mono_us; /* CLOCK_MONOTONIC at process start */
	/*
	 * Create mode (--control-fd): a listening AF_UNIX stream socket,
	 * checked with control_check_listener(), or -1. The guest prepares the
	 * workload and holds it until a "start" request (vmm/control.h).
	 */
	int control_fd;
	/* --ready-fd: gets "ready\n" once the guest has prepared the workload,
	 * then is closed; closed unwritten if the VM ends first. -1: none. */
	int ready_fd;
	/* --tty: stdin is a terminal; it is put in raw mode for the VM's
	 * lifetime (made the controlling terminal where possible) and its
	 * window size follows SIGWINCH; the workload gets a pty in the guest. */
	bool tty;
};

struct vm;

int vm_create(struct vm **out, const struct vm_config *cfg);
/* Returns the exit status hyrun-vmm should exit with. */
int vm_run(struct vm *vm);
void vm_destroy(struct vm *vm);

/*
 * Stop the VM with `status`: the first call decides the status; later calls
 * change nothing. Callable from any thread. Returns true for the first call.
 */
bool vm_stop(struct vm *vm, int status);
bool vm_stopping(const struct vm *vm);

/* The guest failed (printf-style reason): stop with HY_STATUS_GUEST_CRASH and
 * show the end of the serial console. A no-op once the workload has reported
 * its exit status, so a reset or power-off after that is the normal end. */
void vm_guest_crash(struct vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Called by vCPU threads for exits the kernel does not handle. `data` holds
 * `size` bytes in guest byte order (reads fill it). */
void vm_port_io(struct vm *vm, uint16_t port, uint8_t *data, unsigned size, bool is_write);
void vm_mmio(struct vm *vm, uint64_t addr, uint8_t *data, unsigned len, bool is_write);

/* The boot vCPU is about to enter the guest for the first time. */
void vm_mark_first_entry(struct vm *vm);

/*
 * Block, in the calling thread and every thread it creates later, the
 * signals hyrun-vmm forwards to the workload (SIGTERM, SIGINT, SIGHUP,
 * SIGQUIT, SIGUSR1, SIGUSR2) and SIGWINCH (a new window size with --tty); the
 * event loop reads them from a signalfd. Call before any thread exists.
 */
int vm_block_forwarded_signals(void);

/* Microseconds of CLOCK_MONOTONIC. */
int64_t vm_now_us(void);

#endif
