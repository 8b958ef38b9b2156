/* x86.h: Linux x86 boot protocol: bzImage parsing and loading, zero page,
 * e820 map, command line, initrd placement, identity page tables and GDT for a
 * direct 64-bit entry. */
#ifndef HYRUN_VMM_BOOT_X86_H
#define HYRUN_VMM_BOOT_X86_H

#include <stddef.h>
#include <stdint.h>

#include <asm/bootparam.h>

#include "vmm/guest_mem.h"

/* What a validated bzImage setup header says. */
struct bzimage_info {
	uint16_t version;     /* boot protocol version, e.g. 0x020f */
	uint32_t setup_size;  /* bytes of real-mode setup, (setup_sects + 1) * 512 */
	uint64_t kernel_size; /* bytes of protected-mode code after setup */
	uint32_t init_size;   /* memory the kernel needs from its load address */
	uint32_t initrd_addr_max;
	uint32_t cmdline_size; /* maximum command line length, without the NUL */
	uint32_t kernel_alignment;
	uint16_t xloadflags;
	uint64_t pref_address; /* where a non-relocatable kernel runs (2.10+) */
	uint8_t relocatable;   /* relocatable_kernel */
	uint32_t header_end;   /* file offset just past the setup header */
};

/*
 * A kernel or initrd as the loaders read it: its whole contents in memory
 * (`data`), or, when data is NULL, the open file `fd`, read with pread(2)
 * straight into guest memory so that a file is copied once. `size` is its
 * length in bytes either way; size 0 means there is none.
 */
struct boot_file {
	const void *data;
	int fd;
	uint64_t size;
};

/* Bytes read from a file for parsing: every header a loader looks at lies
 * in the first BOOT_FILE_HEAD bytes (an ELF program header table too, where
 * it is not, is read on its own). */
#define BOOT_FILE_HEAD 4096

/*
 * Copy [off, off + len) of `f` to dst. Returns 0; -EINVAL when the range is
 * not inside the file; -EIO when the file ends early (it shrank after its
 * size was taken); -errno when pread() fails.
 */
int boot_file_read(const struct boot_file *f, uint64_t off, void *dst, uint64_t len);

/*
 * Copy [off, off + len) of `f` to guest-physical `gpa`, with one copy: the
 * destination is checked with guest_mem_ptr() and a file is read straight
 * into it. Returns 0, -EFAULT when [gpa, gpa + len) is not guest RAM, or what
 * boot_file_read() returns.
 */
int boot_file_to_guest(const struct guest_mem *m, const struct boot_file *f, uint64_t off,
		       uint64_t gpa, uint64_t len);

/* What a failure of boot_file_read() or boot_file_to_guest() means, for a message. */
const char *boot_file_strerror(int err);

/*
 * Validate a bzImage held in memory. Rejects, with a message in err
 * (errlen bytes), a file that is truncated, has no "HdrS" magic, speaks
 * a boot protocol older than 2.12, or cannot be entered in 64-bit mode
 * (XLF_KERNEL_64). Returns 0 or -EINVAL.
 */
int bzimage_parse(const void *image, size_t size, struct bzimage_info *info, char *err,
		  size_t errlen);

/* bzimage_parse() of a boot_file, reading only its first BOOT_FILE_HEAD bytes. */
int bzimage_parse_file(const struct boot_file *f, struct bzimage_info *info, char *err,
		       size_t errlen);

/*
 * Build the e820 map for this guest memory into `table` (at most `max`
 * entries): RAM [0, HY_EBDA_START), reserved [HY_EBDA_START, 1 MiB), RAM from
 * 1 MiB to the end of low memory, and RAM above 4 GiB when present.
 * Returns the number of entries.
 */
unsigned e820_build(const struct guest_mem *m, struct boot_e820_entry *table, unsigned max);

/*
 * Append `arg` to the command line in `buf` (capacity `cap` including the
 * NUL), separated by one space; an empty `arg` adds nothing. Returns 0 or
 * -E2BIG, leaving buf unchanged when it would not fit (or when buf holds no
 * NUL within cap).
 */
int cmdline_append(char *buf, size_t cap, const char *arg);

struct boot_x86_params {
	struct boot_file kernel;  /* bzImage, or vmlinux for boot_elf_load() */
	struct boot_file initrd;  /* base initramfs (size 0: none) */
	const void *initrd_extra; /* appended after the initramfs, 4-byte aligned (may be NULL) */
	size_t initrd_extra_size;
	const char *cmdline;
	uint64_t acpi_rsdp; /* 0 when there are no ACPI tables */
};

struct boot_x86_result {
	uint64_t entry;	    /* 64-bit entry point (load address + 0x200) */
	uint64_t zero_page; /* gpa of struct boot_params, goes in %rsi */
	uint64_t initrd_gpa;
	uint64_t initrd_size; /* including the appended part */
};

/*
 * Load the kernel at HY_KERNEL_LOAD, the initrd (+ extra) page-aligned as high
 * as initrd_addr_max and low memory allow but above all memory the kernel
 * claims while it decompresses itself, the command line at HY_CMDLINE_ADDR,
 * and fill the zero page (setup header copied from the image, loader type,
 * e820, cmdline, ramdisk, acpi_rsdp_addr). Writes the identity page tables and
 * the GDT (boot_x86_setup_tables). Returns 0 or -errno with err filled.
 */
int boot_x86_load(struct guest_mem *m, const struct boot_x86_params *p, struct boot_x86_result *res,
		  char *err, size_t errlen);

/* Identity-map the first 4 GiB (2 MiB pages) and write the boot GDT
 * (0x10 = 64-bit code, 0x18 = data, 0x20 = TSS). Returns 0 or -EFAULT. */
int boot_x86_setup_tables(struct guest_mem *m);

/* Complete a zero page for either loader (e820 map, RSDP address), write it at
 * HY_ZERO_PAGE with the identity page tables and GDT. Returns 0 or -EFAULT. */
int boot_x86_finish(struct guest_mem *m, const struct boot_x86_params *p, struct boot_params *bp,
		    char *err, size_t errlen);

/* The GDT entries written above, for the vCPU's segment registers. */
#define BOOT_GDT_CODE 0x00af9b000000ffffULL
#define BOOT_GDT_DATA 0x00cf93000000ffffULL
#define BOOT_GDT_TSS 0x008f8b000000ffffULL
#define BOOT_CS_SEL 0x10
#define BOOT_DS_SEL 0x18
#define BOOT_TSS_SEL 0x20

/*
 * The initrd placement of boot_x86_load() for other loaders: put p->initrd
 * (+ p->initrd_extra, 4-byte aligned) page-aligned as high as initrd_addr_max
 * and low RAM allow but not below kernel_end, and fill bp's ramdisk fields
 * and res->initrd_*. Nothing to do without an initrd. Returns 0 or -errno
 * with err filled.
 */
int boot_x86_load_initrd(struct guest_mem *m, const struct boot_x86_params *p,
			 uint32_t initrd_addr_max, uint64_t kernel_end, struct boot_params *bp,
			 struct boot_x86_result *res, char *err, size_t errlen);

#endif
