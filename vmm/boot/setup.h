/* setup.h: everything a guest finds in memory when its first vCPU starts.
 *
 * boot_setup_open() reads and checks every host file the boot needs before
 * anything else is set up (so a bad kernel is reported as such even on a host
 * where KVM would fail too): the kernel and initrd (opened, read later with
 * pread(2) straight into guest RAM), the plan's --file copies and the guest
 * configuration. boot_setup_load() then writes into guest memory the ACPI
 * tables and MP table, the kernel command line, the kernel, the initrd and
 * after it the per-VM initramfs (agent_proto.h: HY_INIT_ARGV, HY_INIT_FLAGS,
 * HY_INIT_CONFIG, HY_INIT_FILES). Both fill err and return -errno on failure.
 */
#ifndef HYRUN_VMM_BOOT_SETUP_H
#define HYRUN_VMM_BOOT_SETUP_H

#include <stdbool.h>
#include <stddef.h>

#include "common/plan.h"
#include "vmm/boot/cpio.h"
#include "vmm/boot/x86.h"

/* The largest guest configuration taken: far above any real config.json's
 * translation, far below what would hurt a small guest's initramfs. */
#define BOOT_GUEST_CONFIG_MAX (4u << 20)

struct boot_setup_config {
	const struct vm_plan *plan; /* kernel, initrd, cpus, cmdline, files, guest_config,
				       control_fd (wait_start), tty and debug */
	char *const *argv;	    /* CMD, the workload without a guest configuration */
	/* A guest configuration held in memory (--rootfs), used when
	 * plan->guest_config is NULL; NULL: none. */
	const char *guest_config_data;
	size_t guest_config_len;
	bool console;	     /* no "quiet" */
	bool virtio_cmdline; /* devices on the command line as well as in the DSDT */
};

/* A virtio-mmio window, as the firmware tables and command line describe it. */
struct boot_mmio_dev {
	uint64_t base, size;
	uint32_t gsi;
};

struct boot_blob {
	char *data;
	size_t len;
	unsigned mode;
};

struct boot_setup {
	struct boot_file kernel, initrd; /* open until loaded into guest RAM */
	bool kernel_is_elf;	 /* an uncompressed vmlinux, booted without the decompressor */
	struct boot_blob *files; /* plan->nr_files copies */
	size_t nr_files;
	struct boot_blob guest_config; /* data NULL: from the config's memory, or none */
};

int boot_setup_open(struct boot_setup *b, const struct boot_setup_config *c, char *err,
		    size_t errlen);

int boot_setup_load(struct boot_setup *b, struct guest_mem *mem, const struct boot_setup_config *c,
		    const struct boot_mmio_dev *devs, unsigned nr_devs, struct boot_x86_result *res,
		    char *err, size_t errlen);

/* The per-VM initramfs alone (agent_proto.h's files), appended to `cb` and
 * finished; boot_setup_load() puts it after the initrd. 0 or -errno. */
int boot_setup_initramfs(const struct boot_setup *b, const struct boot_setup_config *c,
			 struct cpio_buf *cb);

/* Close the files and free the copies (also after a failed open). */
void boot_setup_free(struct boot_setup *b);

#endif
