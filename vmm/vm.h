/* vm.h: one microVM: guest memory, vCPUs, devices, the event loop and the
 * exit status, put together from a struct vm_config (a VM plan, common/plan.h).
 *
 * Life cycle: vm_create() does all host-side setup (files, KVM, memory,
 * devices, boot structures) and reports a problem as -errno with the reason
 * in err, printing nothing (common/err.h); vm_run() starts the vCPUs, runs the event loop on the
 * calling thread and returns the exit status once the VM stops; vm_destroy() frees it all.
 */
#ifndef HYRUN_VMM_VM_H
#define HYRUN_VMM_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/plan.h"

struct virtio_console;

struct vm_config {
	/* What to run (common/plan.h): kernel, initrd, memory, vCPUs, command
	 * line, shares, files, guest configuration, create mode, --tty. */
	struct vm_plan plan;
	/* The workload (CMD), NULL-terminated, at least one entry; used only
	 * without a guest configuration. */
	char *const *argv;
	/* A guest configuration held in memory (--rootfs DIR builds one), used
	 * when plan.guest_config is NULL; NULL: none. */
	const char *guest_config_data;
	size_t guest_config_len;
	bool console;	       /* kernel messages to stderr, no "quiet" */
	bool boot_trace;       /* print the boot-time breakdown at exit */
	bool hugepages;	       /* MAP_HUGETLB guest RAM instead of THP */
	bool prefault;	       /* fault all guest RAM in before the boot */
	bool virtio_cmdline;   /* also announce virtio-mmio devices on the command line (default) */
	int64_t start_mono_us; /* CLOCK_MONOTONIC at process start */
	/* Create mode: called once, on the vCPU thread that saw it, when the
	 * guest has prepared the workload, before "ready" is written to the
	 * ready fd; given the workload's console. NULL: nothing. */
	void (*on_ready)(struct virtio_console *console, void *opaque);
	void *on_ready_opaque;
};

struct vm;

int vm_create(struct vm **out, const struct vm_config *cfg, char *err, size_t errlen);
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

#endif
