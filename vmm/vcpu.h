/* vcpu.h: virtual CPUs: creation, initial x86 state, and the run loop thread.
 *
 * Each vCPU runs on its own thread. Exits that need the device model go to
 * the VM through vm_port_io() and vm_mmio() (vm.h); guest failures are
 * reported with vm_guest_crash(). A vCPU thread ends when the VM stops:
 * vcpu_kick() makes a thread blocked in KVM_RUN return promptly.
 *
 * The set-up functions return 0 or -errno with the reason in err (common/err.h);
 * vcpu_start(), called while the VM starts running, logs.
 */
#ifndef HYRUN_VMM_VCPU_H
#define HYRUN_VMM_VCPU_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/kvm.h>

#include "vmm/kvm.h"

struct vm;

struct vcpu {
	struct vm *vm;
	struct kvm *kvm;
	unsigned index; /* also the APIC id */
	unsigned nr_cpus;
	int fd;
	struct kvm_run *run;
	size_t run_size;
	pthread_t thread;
	bool started; /* thread exists and has not been joined */
};

/*
 * Create vCPU `index` of `nr_cpus` and give it CPUID, MSR, FPU and LAPIC
 * state. vCPU 0 is the boot processor; the others stay in KVM's reset state
 * until the guest starts them with INIT/SIPI.
 */
int vcpu_init(struct vcpu *v, struct vm *vm, struct kvm *kvm, unsigned index, unsigned nr_cpus,
	      char *err, size_t errlen);

/* Put the boot vCPU in 64-bit mode at `entry` with the boot protocol's
 * registers: %rsi = zero page, paging on with the identity tables. */
int vcpu_setup_boot(struct vcpu *v, uint64_t entry, uint64_t zero_page, char *err, size_t errlen);

/*
 * Install the (empty) handler of the signal that kicks vCPU threads out of
 * KVM_RUN and block it in the calling thread; threads created afterwards
 * inherit the mask and unblock it themselves. Call once, before vcpu_start().
 */
int vcpu_signal_init(char *err, size_t errlen);

int vcpu_start(struct vcpu *v);
/* Make the vCPU leave KVM_RUN; the thread then sees the VM stopping. */
void vcpu_kick(struct vcpu *v);
void vcpu_join(struct vcpu *v);
void vcpu_destroy(struct vcpu *v);

#endif
