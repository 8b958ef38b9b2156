/* vcpu.c: vCPU creation, initial register state, and the per-vCPU run loop. */
#include "vmm/vcpu.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/agent_proto.h"
#include "common/err.h"
#include "common/log.h"
#include "vmm/boot/x86.h"
#include "vmm/layout.h"
#include "vmm/vm.h"

/* Architectural MSRs (Intel SDM vol. 4; AMD implements the same numbers). */
#define MSR_IA32_TSC 0x10
#define MSR_IA32_SYSENTER_CS 0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_IA32_MISC_ENABLE 0x1a0
#define MSR_MTRR_DEF_TYPE 0x2ff
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SYSCALL_MASK 0xc0000084
#define MSR_KERNEL_GS_BASE 0xc0000102

#define MISC_ENABLE_FAST_STRING (1ULL << 0)
/* MTRRs enabled, default memory type write-back: RAM is ordinary RAM. */
#define MTRR_DEF_TYPE_WB_ENABLED 0x806ULL

#define CR0_PE (1ULL << 0)
#define CR0_MP (1ULL << 1)
#define CR0_ET (1ULL << 4)
#define CR0_NE (1ULL << 5)
#define CR0_WP (1ULL << 16)
#define CR0_PG (1ULL << 31)
#define CR4_PAE (1ULL << 5)
#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)

/* Local APIC register offsets and LVT delivery modes. */
#define APIC_LVT0 0x350
#define APIC_LVT1 0x360
#define APIC_MODE_NMI 0x4
#define APIC_MODE_EXTINT 0x7

#define CPUID_HYPERVISOR (1u << 31)   /* leaf 1 ECX */
#define CPUID_TSC_DEADLINE (1u << 24) /* leaf 1 ECX */

static int kick_signal(void)
{
	/* A real-time signal, so that every classic signal stays free to be
	 * forwarded to the workload. */
	return SIGRTMIN;
}

static int vcpu_ioctl(struct vcpu *v, unsigned long req, void *arg, const char *name, char *err,
		      size_t errlen)
{
	if (ioctl(v->fd, req, arg) < 0)
		return hy_err(err, errlen, -errno, "vCPU %u: %s: %s", v->index, name,
			      strerror(errno));
	return 0;
}

/*
 * KVM's supported CPUID describes the host; what has to be per vCPU, or
 * different from a bare-metal CPU, is patched here.
 */
static int setup_cpuid(struct vcpu *v, char *err, size_t errlen)
{
	const struct kvm_cpuid2 *sup = v->kvm->cpuid;
	size_t size = sizeof(*sup) + sup->nent * sizeof(sup->entries[0]);
	struct kvm_cpuid2 *c = malloc(size);
	int r;

	if (!c)
		return hy_err(err, errlen, -ENOMEM, "out of memory");
	memcpy(c, sup, size);
	for (unsigned i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		switch (e->function) {
		case 0x1:
			/* Without the hypervisor bit Linux never reads KVM's
			 * paravirtual leaves, so it gets no kvm-clock and falls
			 * back to calibrating the TSC against the PIT, which is
			 * slow and unreliable in a VM. */
			e->ecx |= CPUID_HYPERVISOR;
			/* KVM emulates the TSC-deadline timer but leaves the
			 * bit to the VMM. With it the guest programs its local
			 * timer in TSC cycles and skips the APIC timer
			 * calibration (a busy wait of about 100 ms). */
			if (v->kvm->tsc_deadline)
				e->ecx |= CPUID_TSC_DEADLINE;
			/* EBX[31:24] is the initial APIC id, [23:16] the
			 * logical processor count; the host's values leak
			 * through otherwise. */
			e->ebx = (e->ebx & 0xffff) | ((v->nr_cpus & 0xff) << 16) |
				 ((v->index & 0xff) << 24);
			break;
		case 0xb:
		case 0x1f:
			e->edx = v->index; /* x2APIC id */
			break;
		}
	}
	r = vcpu_ioctl(v, KVM_SET_CPUID2, c, "KVM_SET_CPUID2", err, errlen);
	free(c);
	return r;
}

static int setup_msrs(struct vcpu *v, char *err, size_t errlen)
{
	static const struct {
		uint32_t index;
		uint64_t value;
	} init[] = {
	    {MSR_IA32_SYSENTER_CS, 0},
	    {MSR_IA32_SYSENTER_ESP, 0},
	    {MSR_IA32_SYSENTER_EIP, 0},
	    {MSR_STAR, 0},
	    {MSR_LSTAR, 0},
	    {MSR_CSTAR, 0},
	    {MSR_SYSCALL_MASK, 0},
	    {MSR_KERNEL_GS_BASE, 0},
	    {MSR_IA32_TSC, 0},
	    {MSR_IA32_MISC_ENABLE, MISC_ENABLE_FAST_STRING},
	    {MSR_MTRR_DEF_TYPE, MTRR_DEF_TYPE_WB_ENABLED},
	};
	const unsigned n = sizeof(init) / sizeof(init[0]);
	struct kvm_msrs *msrs;
	int r;

	msrs = calloc(1, sizeof(*msrs) + n * sizeof(msrs->entries[0]));
	if (!msrs)
		return hy_err(err, errlen, -ENOMEM, "out of memory");
	msrs->nmsrs = n;
	for (unsigned i = 0; i < n; i++) {
		msrs->entries[i].index = init[i].index;
		msrs->entries[i].data = init[i].value;
	}
	/* KVM_SET_MSRS returns how many it set: it stops at the first refusal. */
	r = ioctl(v->fd, KVM_SET_MSRS, msrs);
	if (r < 0) {
		r = hy_err(err, errlen, -errno, "vCPU %u: KVM_SET_MSRS: %s", v->index,
			   strerror(errno));
	} else if ((unsigned)r < n) {
		r = hy_err(err, errlen, -EINVAL, "vCPU %u: KVM_SET_MSRS: MSR %#x was refused",
			   v->index, init[r].index);
	} else {
		r = 0;
	}
	free(msrs);
	return r;
}

static int setup_fpu(struct vcpu *v, char *err, size_t errlen)
{
	/* The x87 and SSE control words FNINIT and reset would give. */
	struct kvm_fpu fpu = {.fcw = 0x37f, .mxcsr = 0x1f80};

	return vcpu_ioctl(v, KVM_SET_FPU, &fpu, "KVM_SET_FPU", err, errlen);
}

static void set_lvt_mode(struct kvm_lapic_state *lapic, unsigned reg, uint32_t mode)
{
	uint32_t val;

	memcpy(&val, &lapic->regs[reg], sizeof(val));
	val = (val & ~0x700u) | (mode << 8);
	memcpy(&lapic->regs[reg], &val, sizeof(val));
}

static int setup_lapic(struct vcpu *v, char *err, size_t errlen)
{
	struct kvm_lapic_state lapic;
	int r;

	/* "Virtual wire" mode: until Linux programs the IOAPIC (or when it finds
	 * no MP description), PIC interrupts reach the CPU through LINT0 as
	 * ExtINT, and LINT1 carries NMIs, as on a PC after the BIOS. */
	r = vcpu_ioctl(v, KVM_GET_LAPIC, &lapic, "KVM_GET_LAPIC", err, errlen);
	if (r)
		return r;
	set_lvt_mode(&lapic, APIC_LVT0, APIC_MODE_EXTINT);
	set_lvt_mode(&lapic, APIC_LVT1, APIC_MODE_NMI);
	return vcpu_ioctl(v, KVM_SET_LAPIC, &lapic, "KVM_SET_LAPIC", err, errlen);
}

int vcpu_init(struct vcpu *v, struct vm *vm, struct kvm *kvm, unsigned index, unsigned nr_cpus,
	      char *err, size_t errlen)
{
	void *run;
	int r;

	memset(v, 0, sizeof(*v));
	v->vm = vm;
	v->kvm = kvm;
	v->index = index;
	v->nr_cpus = nr_cpus;
	v->fd = ioctl(kvm->vm_fd, KVM_CREATE_VCPU, (unsigned long)index);
	if (v->fd < 0) {
		v->fd = -1;
		return hy_err(err, errlen, -errno, "KVM_CREATE_VCPU %u: %s", index,
			      strerror(errno));
	}
	run = mmap(NULL, kvm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (run == MAP_FAILED) {
		r = hy_err(err, errlen, -errno, "vCPU %u: mmap of kvm_run: %s", index,
			   strerror(errno));
		goto fail;
	}
	v->run = run;
	v->run_size = kvm->run_size;

	/* CPUID first: which MSRs exist and which EFER bits are legal depends on it. */
	r = setup_cpuid(v, err, errlen);
	if (!r)
		r = setup_msrs(v, err, errlen);
	if (!r)
		r = setup_fpu(v, err, errlen);
	if (!r)
		r = setup_lapic(v, err, errlen);
	if (r)
		goto fail;
	return 0;

fail:
	vcpu_destroy(v);
	return r;
}

/* A segment register as the CPU would load it from the GDT entry `d`. */
static struct kvm_segment segment_from_gdt(uint64_t d, uint16_t selector)
{
	struct kvm_segment s = {
	    .base = (uint32_t)(((d >> 16) & 0xffffff) | (((d >> 56) & 0xff) << 24)),
	    .limit = (uint32_t)((d & 0xffff) | (((d >> 48) & 0xf) << 16)),
	    .selector = selector,
	    .type = (uint8_t)((d >> 40) & 0xf),
	    .s = (uint8_t)((d >> 44) & 1),
	    .dpl = (uint8_t)((d >> 45) & 3),
	    .present = (uint8_t)((d >> 47) & 1),
	    .avl = (uint8_t)((d >> 52) & 1),
	    .l = (uint8_t)((d >> 53) & 1),
	    .db = (uint8_t)((d >> 54) & 1),
	    .g = (uint8_t)((d >> 55) & 1),
	};

	if (s.g)
		s.limit = (s.limit << 12) | 0xfff;
	return s;
}

int vcpu_setup_boot(struct vcpu *v, uint64_t entry, uint64_t zero_page, char *err, size_t errlen)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = {
	    .rip = entry,
	    .rsi = zero_page, /* boot protocol: %rsi = struct boot_params */
	    .rsp = HY_BOOT_STACK,
	    .rbp = HY_BOOT_STACK,
	    .rflags = 0x2, /* bit 1 is reserved-one; interrupts off */
	};
	struct kvm_segment data;
	int r;

	r = vcpu_ioctl(v, KVM_GET_SREGS, &sregs, "KVM_GET_SREGS", err, errlen);
	if (r)
		return r;

	/* The 64-bit boot protocol: flat segments from the loader's GDT,
	 * paging on with an identity map that covers the kernel, the zero page
	 * and the command line, interrupts off. */
	sregs.cs = segment_from_gdt(BOOT_GDT_CODE, BOOT_CS_SEL);
	data = segment_from_gdt(BOOT_GDT_DATA, BOOT_DS_SEL);
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
	sregs.tr = segment_from_gdt(BOOT_GDT_TSS, BOOT_TSS_SEL);
	sregs.gdt.base = HY_GDT_ADDR;
	sregs.gdt.limit = BOOT_TSS_SEL + 8 - 1;
	/* An empty IDT: any exception before the kernel installs its own is a
	 * triple fault, which ends the VM with a clear message. */
	sregs.idt.base = HY_IDT_ADDR;
	sregs.idt.limit = 0;

	/* NE and ET are required by VT-x; WP and MP are what Linux sets anyway. */
	sregs.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	sregs.cr3 = HY_PML4_ADDR;
	sregs.cr4 = CR4_PAE;
	sregs.efer = EFER_LME | EFER_LMA;

	r = vcpu_ioctl(v, KVM_SET_SREGS, &sregs, "KVM_SET_SREGS", err, errlen);
	if (r)
		return r;
	return vcpu_ioctl(v, KVM_SET_REGS, &regs, "KVM_SET_REGS", err, errlen);
}

static void kick_handler(int sig)
{
	(void)sig;
}

int vcpu_signal_init(char *err, size_t errlen)
{
	struct sigaction sa = {.sa_handler = kick_handler};
	sigset_t set;

	/* No SA_RESTART: the point is that KVM_RUN returns with EINTR. */
	sigemptyset(&sa.sa_mask);
	if (sigaction(kick_signal(), &sa, NULL) < 0)
		return hy_err(err, errlen, -errno, "sigaction: %s", strerror(errno));
	sigemptyset(&set);
	sigaddset(&set, kick_signal());
	return -pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static void handle_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	unsigned size = run->io.size;
	uint64_t bytes = (uint64_t)size * run->io.count;
	uint8_t *data;

	if ((size != 1 && size != 2 && size != 4) || run->io.data_offset > v->run_size ||
	    bytes > v->run_size - run->io.data_offset) {
		log_error("vCPU %u: KVM reported a malformed port access", v->index);
		vm_stop(v->vm, HY_STATUS_VMM_ERROR);
		return;
	}
	data = (uint8_t *)run + run->io.data_offset;
	/* String instructions (rep ins/outs) arrive as `count` accesses in a row. */
	for (uint32_t i = 0; i < run->io.count; i++)
		vm_port_io(v->vm, run->io.port, data + (size_t)i * size, size,
			   run->io.direction == KVM_EXIT_IO_OUT);
}

static uint64_t guest_rip(struct vcpu *v)
{
	struct kvm_regs regs;

	if (ioctl(v->fd, KVM_GET_REGS, &regs) < 0)
		return 0;
	return regs.rip;
}

static const char *system_event_name(uint32_t type)
{
	switch (type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		return "power-off";
	case KVM_SYSTEM_EVENT_RESET:
		return "reset";
	case KVM_SYSTEM_EVENT_CRASH:
		return "crash";
	default:
		return "event";
	}
}

/* Handle one exit from KVM_RUN. */
static void handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		handle_io(v);
		break;
	case KVM_EXIT_MMIO:
		if (run->mmio.len > sizeof(run->mmio.data)) {
			log_error("vCPU %u: KVM reported a %u-byte MMIO access", v->index,
				  run->mmio.len);
			vm_stop(v->vm, HY_STATUS_VMM_ERROR);
			break;
		}
		vm_mmio(v->vm, run->mmio.phys_addr, run->mmio.data, run->mmio.len,
			run->mmio.is_write);
		break;
	case KVM_EXIT_INTR:
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		break;
	case KVM_EXIT_SHUTDOWN:
		vm_guest_crash(v->vm, "the guest triple-faulted on vCPU %u (rip %#llx)", v->index,
			       (unsigned long long)guest_rip(v));
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		vm_guest_crash(v->vm, "the guest requested a system %s (type %u) on vCPU %u",
			       system_event_name(run->system_event.type), run->system_event.type,
			       v->index);
		break;
	case KVM_EXIT_HLT:
		/* With the in-kernel LAPIC a halt never exits to user space. */
		vm_guest_crash(v->vm, "vCPU %u halted (rip %#llx)", v->index,
			       (unsigned long long)guest_rip(v));
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		vm_guest_crash(v->vm, "KVM internal error on vCPU %u: suberror %u (rip %#llx)",
			       v->index, run->internal.suberror, (unsigned long long)guest_rip(v));
		break;
	case KVM_EXIT_FAIL_ENTRY:
		vm_guest_crash(v->vm, "KVM could not enter vCPU %u: hardware reason %#llx",
			       v->index,
			       (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		break;
	default:
		vm_guest_crash(v->vm, "unexpected KVM exit reason %u on vCPU %u (rip %#llx)",
			       run->exit_reason, v->index, (unsigned long long)guest_rip(v));
		break;
	}
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	char name[16];
	sigset_t set;

	snprintf(name, sizeof(name), "vcpu%u", v->index);
	pthread_setname_np(pthread_self(), name);
	sigemptyset(&set);
	sigaddset(&set, kick_signal());
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	if (v->index == 0)
		vm_mark_first_entry(v->vm);
	while (!vm_stopping(v->vm)) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			log_error("vCPU %u: KVM_RUN: %s", v->index, strerror(errno));
			vm_stop(v->vm, HY_STATUS_VMM_ERROR);
			break;
		}
		handle_exit(v);
	}
	return NULL;
}

/*
 * A vCPU thread runs device emulation a few calls deep. Its stack stays below
 * 2 MiB so that, with transparent huge pages on "always", no huge page backs
 * it: the default 8 MiB stack gets a 2 MiB page for the few KiB it uses.
 */
#define VCPU_STACK_SIZE (1u << 20)

int vcpu_start(struct vcpu *v)
{
	pthread_attr_t attr;
	int r;

	r = pthread_attr_init(&attr);
	if (!r)
		r = pthread_attr_setstacksize(&attr, VCPU_STACK_SIZE);
	if (!r)
		r = pthread_create(&v->thread, &attr, vcpu_thread, v);
	pthread_attr_destroy(&attr);
	if (r) {
		log_error("vCPU %u: pthread_create: %s", v->index, strerror(r));
		return -r;
	}
	__atomic_store_n(&v->started, true, __ATOMIC_RELEASE);
	return 0;
}

void vcpu_kick(struct vcpu *v)
{
	if (!__atomic_load_n(&v->started, __ATOMIC_ACQUIRE))
		return;
	/* immediate_exit covers a thread that is just about to enter KVM_RUN;
	 * the signal covers one already inside it. */
	__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_RELEASE);
	pthread_kill(v->thread, kick_signal());
}

void vcpu_join(struct vcpu *v)
{
	if (!v->started)
		return;
	pthread_join(v->thread, NULL);
	v->started = false;
}

void vcpu_destroy(struct vcpu *v)
{
	if (v->run)
		munmap(v->run, v->run_size);
	if (v->fd >= 0)
		close(v->fd);
	v->run = NULL;
	v->fd = -1;
}
