/* elf.h: loading an uncompressed x86-64 Linux `vmlinux` (ELF) for a direct
 * 64-bit entry, with a zero page built from scratch (it has no setup header). */
#ifndef HYRUN_VMM_BOOT_ELF_H
#define HYRUN_VMM_BOOT_ELF_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/boot/x86.h"
#include "vmm/guest_mem.h"

/* Xen's ELF note carrying the 32-bit PVH entry point (xen/include/public/elfnote.h). */
#define BOOT_ELF_PVH_NOTE_TYPE 18

/* The longest command line an x86 kernel keeps (COMMAND_LINE_SIZE 2048, with the NUL). */
#define BOOT_ELF_CMDLINE_MAX 2047

/* What a validated vmlinux says. */
struct boot_elf_info {
	uint64_t entry;	     /* e_entry: physical address of startup_64 */
	uint64_t pvh_entry;  /* from the PVH note, 0 when there is none */
	uint64_t load_start; /* lowest p_paddr of a PT_LOAD segment */
	uint64_t load_end;   /* highest p_paddr + p_memsz */
	unsigned nr_load;    /* PT_LOAD segments with p_memsz > 0 */
};

/* 1 when the image starts with the ELF magic (the VMM picks its loader by this), else 0. */
int boot_elf_is_elf(const void *img, size_t size);

/*
 * Validate a vmlinux held in memory without touching guest RAM: ELF64,
 * little-endian, EM_X86_64, ET_EXEC, program headers and every PT_LOAD and
 * PT_NOTE inside the file, p_filesz <= p_memsz, no address overflow, the
 * entry inside the file-backed part of a PT_LOAD. Finds the PVH note.
 * Returns 0 or -EINVAL with a message in err.
 */
int boot_elf_parse(const void *img, size_t size, struct boot_elf_info *info, char *err,
		   size_t errlen);

/* boot_elf_parse() of a boot_file: a file's headers and notes are read with
 * pread(2), its segments not at all. */
int boot_elf_parse_file(const struct boot_file *f, struct boot_elf_info *info, char *err,
			size_t errlen);

/*
 * boot_elf_parse(), then copy each PT_LOAD to its p_paddr (which must lie in
 * low guest RAM, at or above 1 MiB) and zero its bss part; place the command
 * line and the initrd as boot_x86_load() does; fill the zero page (boot
 * protocol fields a 64-bit entry reads, e820, acpi_rsdp_addr) and write the
 * identity page tables and GDT. p->kernel is the ELF file; each segment is
 * read from it once, straight into guest RAM.
 * res->entry is e_entry (enter in 64-bit mode with %rsi = res->zero_page).
 * Returns 0 or -errno with err filled.
 */
int boot_elf_load(struct guest_mem *m, const struct boot_x86_params *p, struct boot_x86_result *res,
		  char *err, size_t errlen);

#endif
