/* kvm.h: the KVM system and VM file descriptors, and the VM-wide ioctls hyrun-vmm uses.
 *
 * Errors (common/err.h): every function returns 0 (or a positive value where
 * stated) or -errno with what failed in err; kvm_irq_line(), called while the
 * VM runs, logs instead.
 */
#ifndef HYRUN_VMM_KVM_H
#define HYRUN_VMM_KVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/kvm.h>

#include "vmm/guest_mem.h"

struct kvm {
	int sys_fd; /* /dev/kvm */
	int vm_fd;
	size_t run_size; /* bytes to mmap for each vCPU's struct kvm_run */
	unsigned max_vcpus;
	bool tsc_deadline;	  /* KVM emulates the LAPIC's TSC-deadline timer mode */
	struct kvm_cpuid2 *cpuid; /* KVM_GET_SUPPORTED_CPUID, filtered per vCPU later */
};

/*
 * Open /dev/kvm, check the API version (12) and every extension hyrun-vmm
 * relies on, create the VM with an in-kernel irqchip and PIT, and fetch the
 * supported CPUID. On failure everything opened so far is closed again.
 */
/* fd > 2: an inherited descriptor of /dev/kvm (checked); else /dev/kvm is opened. */
int kvm_open(struct kvm *k, int fd, char *err, size_t errlen);
void kvm_close(struct kvm *k);

/* Register every RAM region of `m` as a KVM memory slot (slot i = region i). */
int kvm_set_memory(struct kvm *k, const struct guest_mem *m, char *err, size_t errlen);

/* Raise GSI `gsi` whenever eventfd `fd` is written (edge semantics). */
int kvm_irqfd(struct kvm *k, int fd, uint32_t gsi, char *err, size_t errlen);

/* Signal eventfd `fd` instead of exiting when the guest writes `datamatch`
 * (`len` bytes) at `addr`: guest-physical when `pio` is false, a port when true. */
int kvm_ioeventfd(struct kvm *k, int fd, uint64_t addr, uint32_t len, uint64_t datamatch, bool pio,
		  char *err, size_t errlen);

/* Drive an interrupt line of the in-kernel PIC/IOAPIC to `level` (0 or 1). */
int kvm_irq_line(struct kvm *k, uint32_t irq, int level);

/* Whether /dev/kvm on this host lacks hardware virtualization (no vmx/svm CPU
 * flag, or KVM is the PVM flavour): a full Linux guest then runs emulated. */
bool kvm_host_is_emulated(void);

#endif
