/* kvm.c: /dev/kvm, capability checks, VM creation and VM-wide ioctls. */
#include "vmm/kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/err.h"
#include "common/log.h"
#include "vmm/layout.h"

#define KVM_DEVICE "/dev/kvm"

static const struct {
	long cap;
	const char *name;
} required_caps[] = {
    {KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP"},
    {KVM_CAP_IRQFD, "KVM_CAP_IRQFD"},
    {KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD"},
    {KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY"},
    {KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR"},
    {KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID"},
    {KVM_CAP_PIT2, "KVM_CAP_PIT2"},
    /* vm_stop() relies on it to kick a vCPU without a signal race. */
    {KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT"},
    {KVM_CAP_MP_STATE, "KVM_CAP_MP_STATE"},
};

static int check_caps(int fd, char *err, size_t errlen)
{
	for (size_t i = 0; i < ARRAY_SIZE(required_caps); i++) {
		if (ioctl(fd, KVM_CHECK_EXTENSION, required_caps[i].cap) <= 0)
			return hy_err(err, errlen, -ENOTSUP, "%s lacks the required extension %s",
				      KVM_DEVICE, required_caps[i].name);
	}
	return 0;
}

static int get_supported_cpuid(struct kvm *k, char *err, size_t errlen)
{
	/* The kernel says how many entries it has only by failing with E2BIG. */
	for (unsigned nent = 128; nent <= 4096; nent *= 2) {
		struct kvm_cpuid2 *c;

		c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));
		if (!c)
			return hy_err(err, errlen, -ENOMEM, "out of memory");
		c->nent = nent;
		if (ioctl(k->sys_fd, KVM_GET_SUPPORTED_CPUID, c) == 0) {
			k->cpuid = c;
			return 0;
		}
		free(c);
		if (errno != E2BIG)
			return hy_err(err, errlen, -errno, "KVM_GET_SUPPORTED_CPUID: %s",
				      strerror(errno));
	}
	return hy_err(err, errlen, -E2BIG, "KVM_GET_SUPPORTED_CPUID: more than 4096 entries");
}

static int vm_ioctl(struct kvm *k, unsigned long req, unsigned long arg, const char *name,
		    char *err, size_t errlen)
{
	if (ioctl(k->vm_fd, req, arg) < 0)
		return hy_err(err, errlen, -errno, "%s: %s", name, strerror(errno));
	return 0;
}

/*
 * KVM's default routing drives PIC pin n and IOAPIC pin n for every GSI below
 * 16, and the boot vCPU's LINT0 is ExtINT. A kernel on hardware-reduced ACPI
 * never initialises the 8259s, so leave them masked: otherwise a device
 * interrupt could also arrive through the never-programmed PIC, with its
 * reset vector base of 0. A kernel that uses the PIC (no ACPI) sends ICW1,
 * which clears the mask as on real hardware.
 */
static int mask_pics(struct kvm *k, char *err, size_t errlen)
{
	for (unsigned chip = KVM_IRQCHIP_PIC_MASTER; chip <= KVM_IRQCHIP_PIC_SLAVE; chip++) {
		struct kvm_irqchip ic = {.chip_id = chip};
		int r;

		r = vm_ioctl(k, KVM_GET_IRQCHIP, (unsigned long)&ic, "KVM_GET_IRQCHIP", err,
			     errlen);
		if (r)
			return r;
		ic.chip.pic.imr = 0xff;
		r = vm_ioctl(k, KVM_SET_IRQCHIP, (unsigned long)&ic, "KVM_SET_IRQCHIP", err,
			     errlen);
		if (r)
			return r;
	}
	return 0;
}

static int create_vm(struct kvm *k, char *err, size_t errlen)
{
	struct kvm_pit_config pit = {.flags = KVM_PIT_SPEAKER_DUMMY};
	int r;

	k->vm_fd = ioctl(k->sys_fd, KVM_CREATE_VM, 0);
	if (k->vm_fd < 0) {
		k->vm_fd = -1;
		return hy_err(err, errlen, -errno, "KVM_CREATE_VM: %s", strerror(errno));
	}
	/* Intel VT-x needs three pages for the real-mode TSS and one for the
	 * identity map of unrestricted-guest-less CPUs; both sit just below the
	 * BIOS area, inside the MMIO hole, where no RAM is. */
	r = vm_ioctl(k, KVM_SET_TSS_ADDR, HY_KVM_TSS_ADDR, "KVM_SET_TSS_ADDR", err, errlen);
	if (r)
		return r;
	if (ioctl(k->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_IDENTITY_MAP_ADDR) > 0) {
		uint64_t idmap = HY_KVM_IDMAP_ADDR;

		r = vm_ioctl(k, KVM_SET_IDENTITY_MAP_ADDR, (unsigned long)&idmap,
			     "KVM_SET_IDENTITY_MAP_ADDR", err, errlen);
		if (r)
			return r;
	}
	r = vm_ioctl(k, KVM_CREATE_IRQCHIP, 0, "KVM_CREATE_IRQCHIP", err, errlen);
	if (r)
		return r;
	r = mask_pics(k, err, errlen);
	if (r)
		return r;
	/* The dummy speaker keeps port 0x61 in the kernel instead of exiting to us. */
	r = vm_ioctl(k, KVM_CREATE_PIT2, (unsigned long)&pit, "KVM_CREATE_PIT2", err, errlen);
	if (r)
		return r;
	/* Ticks the guest missed are dropped, not queued up and replayed: a guest
	 * that stalls (a busy host) would otherwise come back to a storm of timer
	 * interrupts that only the PIT's worker thread and the vCPU see. The guest
	 * keeps time with kvm-clock, not by counting PIT ticks. Best effort. */
	if (ioctl(k->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_REINJECT_CONTROL) > 0) {
		struct kvm_reinject_control rc = {.pit_reinject = 0};

		if (ioctl(k->vm_fd, KVM_REINJECT_CONTROL, &rc) < 0)
			log_debug("KVM_REINJECT_CONTROL: %s", strerror(errno));
	}
	return 0;
}

/* The caller's descriptor of /dev/kvm: a character device 10:232, open for reading and writing. */
static int kvm_adopt(int fd, char *err, size_t errlen)
{
	struct stat st;
	int fl;

	if (fstat(fd, &st) < 0 || (fl = fcntl(fd, F_GETFL)) < 0)
		return hy_err(err, errlen, -errno, "--kvm-fd %d: %s", fd, strerror(errno));
	if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 10 || minor(st.st_rdev) != 232)
		return hy_err(err, errlen, -EINVAL, "--kvm-fd %d: not /dev/kvm (10:232)", fd);
	if ((fl & O_ACCMODE) != O_RDWR)
		return hy_err(err, errlen, -EBADF, "--kvm-fd %d: not open for reading and writing",
			      fd);
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return hy_err(err, errlen, -errno, "--kvm-fd %d: %s", fd, strerror(errno));
	return fd;
}

int kvm_open(struct kvm *k, int fd, char *err, size_t errlen)
{
	int r, version;

	k->vm_fd = -1;
	k->cpuid = NULL;
	if (fd > STDERR_FILENO) {
		k->sys_fd = kvm_adopt(fd, err, errlen);
		if (k->sys_fd < 0)
			return k->sys_fd;
	} else {
		k->sys_fd = open(KVM_DEVICE, O_RDWR | O_CLOEXEC);
	}
	if (k->sys_fd < 0) {
		if (errno == ENOENT)
			return hy_err(err, errlen, -errno,
				      "%s does not exist: is the kvm module loaded, and does this "
				      "machine have hardware virtualization?",
				      KVM_DEVICE);
		return hy_err(err, errlen, -errno, "cannot open %s: %s", KVM_DEVICE,
			      strerror(errno));
	}

	version = ioctl(k->sys_fd, KVM_GET_API_VERSION, 0);
	if (version != KVM_API_VERSION) {
		r = hy_err(err, errlen, -ENOTSUP,
			   "%s speaks KVM API version %d, hyrun-vmm needs %d", KVM_DEVICE, version,
			   KVM_API_VERSION);
		goto fail;
	}
	r = check_caps(k->sys_fd, err, errlen);
	if (r)
		goto fail;

	r = ioctl(k->sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (r < (int)sizeof(struct kvm_run)) {
		r = hy_err(err, errlen, -EINVAL, "KVM_GET_VCPU_MMAP_SIZE: %s",
			   r < 0 ? strerror(errno) : "too small");
		goto fail;
	}
	k->run_size = (size_t)r;

	r = ioctl(k->sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (r <= 0)
		r = ioctl(k->sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	k->max_vcpus = r > 0 ? (unsigned)r : 4; /* the API's documented default */
	k->tsc_deadline = ioctl(k->sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0;

	r = get_supported_cpuid(k, err, errlen);
	if (r)
		goto fail;
	r = create_vm(k, err, errlen);
	if (r)
		goto fail;
	return 0;

fail:
	kvm_close(k);
	return r;
}

void kvm_close(struct kvm *k)
{
	if (k->vm_fd >= 0)
		close(k->vm_fd);
	if (k->sys_fd >= 0)
		close(k->sys_fd);
	free(k->cpuid);
	k->vm_fd = k->sys_fd = -1;
	k->cpuid = NULL;
}

int kvm_set_memory(struct kvm *k, const struct guest_mem *m, char *err, size_t errlen)
{
	for (unsigned i = 0; i < m->nr_regions; i++) {
		const struct guest_region *g = &m->regions[i];
		struct kvm_userspace_memory_region region = {
		    .slot = i,
		    .guest_phys_addr = g->gpa,
		    .memory_size = g->size,
		    .userspace_addr = (uintptr_t)g->host,
		};

		if (ioctl(k->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
			return hy_err(err, errlen, -errno,
				      "KVM_SET_USER_MEMORY_REGION (slot %u, %#llx+%#llx): %s", i,
				      (unsigned long long)g->gpa, (unsigned long long)g->size,
				      strerror(errno));
	}
	return 0;
}

int kvm_irqfd(struct kvm *k, int fd, uint32_t gsi, char *err, size_t errlen)
{
	struct kvm_irqfd irqfd = {.fd = (uint32_t)fd, .gsi = gsi};

	return vm_ioctl(k, KVM_IRQFD, (unsigned long)&irqfd, "KVM_IRQFD", err, errlen);
}

int kvm_ioeventfd(struct kvm *k, int fd, uint64_t addr, uint32_t len, uint64_t datamatch, bool pio,
		  char *err, size_t errlen)
{
	struct kvm_ioeventfd ioe = {
	    .datamatch = datamatch,
	    .addr = addr,
	    .len = len,
	    .fd = fd,
	    .flags = KVM_IOEVENTFD_FLAG_DATAMATCH | (pio ? KVM_IOEVENTFD_FLAG_PIO : 0),
	};

	return vm_ioctl(k, KVM_IOEVENTFD, (unsigned long)&ioe, "KVM_IOEVENTFD", err, errlen);
}

int kvm_irq_line(struct kvm *k, uint32_t irq, int level)
{
	struct kvm_irq_level l = {.irq = irq, .level = (uint32_t)level};
	char err[128];
	int r = vm_ioctl(k, KVM_IRQ_LINE, (unsigned long)&l, "KVM_IRQ_LINE", err, sizeof(err));

	/* Called while the VM runs, by a device that cannot fail the access. */
	if (r)
		log_error("%s", err);
	return r;
}

/* Whether the "flags" line of /proc/cpuinfo names vmx or svm. */
static bool cpu_has_virt_flag(void)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char *line = NULL;
	size_t cap = 0;
	bool found = false;

	if (!f)
		return true; /* cannot tell: do not warn */
	while (!found && getline(&line, &cap, f) > 0) {
		if (strncmp(line, "flags", 5) != 0)
			continue;
		for (char *tok = strtok(line, " \t\n"); tok; tok = strtok(NULL, " \t\n")) {
			if (!strcmp(tok, "vmx") || !strcmp(tok, "svm")) {
				found = true;
				break;
			}
		}
		break; /* the first CPU tells for all of them */
	}
	free(line);
	fclose(f);
	return found;
}

bool kvm_host_is_emulated(void)
{
	/* PVM runs a guest without VT-x/AMD-V: an unmodified Linux guest is
	 * emulated instruction by instruction there. */
	if (access("/sys/module/kvm_pvm", F_OK) == 0)
		return true;
	return !cpu_has_virt_flag();
}
