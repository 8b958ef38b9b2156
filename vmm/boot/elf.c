/* elf.c: load an uncompressed x86-64 vmlinux and build its zero page for a 64-bit entry. */
#include "vmm/boot/elf.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <asm/e820.h>

#include "common/err.h"
#include "vmm/layout.h"

/*
 * A vmlinux is what the bzImage decompressor would have unpacked: the kernel
 * proper, linked to run at its physical load address (p_paddr), whose ELF
 * entry is startup_64 (arch/x86/kernel/head_64.S). Entered in 64-bit mode on
 * identity page tables with %rsi pointing at boot_params, it reads the same
 * zero page fields as the decompressor passes on, so there is no decompression
 * step and no setup code to skip. The setup header the zero page needs is
 * made up here: only the fields the kernel proper reads matter.
 */

#define BZ_MAGIC 0x53726448 /* "HdrS" */
#define BOOT_FLAG 0xaa55
#define PROTOCOL_VERSION 0x020f /* 2.15, the level of a 6.x bzImage */
#define LOADER_UNDEFINED 0xff
#define VID_MODE_NORMAL 0xffff
#define HEAP_END_PTR 0xfe00
#define KERNEL_ALIGNMENT 0x1000000 /* what an x86_64 bzImage advertises */
/* Boot protocol: "the highest safe address for the initrd" of every 2.03+ kernel. */
#define INITRD_ADDR_MAX 0x7fffffff

/* More program headers than a kernel has, small enough to walk without care. */
#define MAX_PHDRS 64
/* A vmlinux's notes take a few hundred bytes; more is not a kernel. */
#define MAX_NOTE_BYTES (1u << 20)

int boot_elf_is_elf(const void *img, size_t size)
{
	return img && size >= SELFMAG && !memcmp(img, ELFMAG, SELFMAG);
}

/* [off, off + len) inside a file of `size` bytes, without overflow. */
static int in_file(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t note_pad(uint64_t n)
{
	return (n + 3) & ~3ULL;
}

/*
 * Walk one PT_NOTE segment (already checked to lie in the file) for Xen's
 * PHYS32_ENTRY note. Linux emits its descriptor with _ASM_PTR, so it is 8
 * bytes on x86_64; 4 bytes is accepted too, as the spec's value is 32-bit.
 */
static int find_pvh_note(const uint8_t *seg, uint64_t len, uint64_t *entry, char *err,
			 size_t errlen)
{
	uint64_t off = 0, namesz, descsz, type, desc_off, next;

	while (len - off >= sizeof(Elf64_Nhdr)) {
		namesz = get_le32(seg + off);
		descsz = get_le32(seg + off + 4);
		type = get_le32(seg + off + 8);
		desc_off = off + sizeof(Elf64_Nhdr) + note_pad(namesz);
		next = desc_off + note_pad(descsz);
		/* Each term is below 2^34, so the sums cannot overflow. */
		if (desc_off > len || next > len || descsz > len - desc_off) {
			return hy_err(err, errlen, -EINVAL,
				      "corrupt ELF note at offset %#llx of a PT_NOTE",
				      (unsigned long long)off);
		}
		if (type == BOOT_ELF_PVH_NOTE_TYPE && namesz == 4 &&
		    !memcmp(seg + off + sizeof(Elf64_Nhdr), "Xen", 4)) {
			if (descsz == 4) {
				*entry = get_le32(seg + desc_off);
			} else if (descsz == 8) {
				*entry = get_le32(seg + desc_off) |
					 (uint64_t)get_le32(seg + desc_off + 4) << 32;
			} else {
				return hy_err(
				    err, errlen, -EINVAL,
				    "PVH entry note has a %llu-byte value, expected 4 or 8",
				    (unsigned long long)descsz);
			}
		}
		off = next;
	}
	return 0;
}

static int check_header(const struct boot_file *f, Elf64_Ehdr *eh, char *err, size_t errlen)
{
	uint64_t size = f->size;
	int ret;

	if ((!f->data && f->fd < 0) || size < sizeof(*eh)) {
		return hy_err(err, errlen, -EINVAL,
			      "truncated: file is %llu bytes, an ELF64 header needs %zu",
			      (unsigned long long)size, sizeof(*eh));
	}
	ret = boot_file_read(f, 0, eh, sizeof(*eh));
	if (ret) {
		return hy_err(err, errlen, ret, "reading the ELF header: %s",
			      boot_file_strerror(ret));
	}
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG)) {
		return hy_err(err, errlen, -EINVAL, "not an ELF file: no \\177ELF magic");
	}
	if (eh->e_ident[EI_CLASS] != ELFCLASS64) {
		return hy_err(err, errlen, -EINVAL,
			      "ELF class %u is not ELF64: a 64-bit vmlinux is needed",
			      eh->e_ident[EI_CLASS]);
	}
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB) {
		return hy_err(err, errlen, -EINVAL, "ELF data encoding %u is not little-endian",
			      eh->e_ident[EI_DATA]);
	}
	if (eh->e_ident[EI_VERSION] != EV_CURRENT || eh->e_version != EV_CURRENT) {
		return hy_err(err, errlen, -EINVAL, "unknown ELF version %u",
			      eh->e_ident[EI_VERSION]);
	}
	if (eh->e_machine != EM_X86_64) {
		return hy_err(err, errlen, -EINVAL, "ELF machine %u is not x86-64 (%u)",
			      eh->e_machine, EM_X86_64);
	}
	if (eh->e_type != ET_EXEC) {
		return hy_err(err, errlen, -EINVAL, "ELF type %u is not an executable (ET_EXEC)",
			      eh->e_type);
	}
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || !eh->e_phnum || eh->e_phnum > MAX_PHDRS) {
		return hy_err(
		    err, errlen, -EINVAL,
		    "bad program header table: %u entries of %u bytes (1..%u of %zu expected)",
		    eh->e_phnum, eh->e_phentsize, MAX_PHDRS, sizeof(Elf64_Phdr));
	}
	if (!in_file(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr), size)) {
		return hy_err(
		    err, errlen, -EINVAL,
		    "truncated: program headers at %#llx (%u entries) end past the file's %llu "
		    "bytes",
		    (unsigned long long)eh->e_phoff, eh->e_phnum, (unsigned long long)size);
	}
	return 0;
}

/* The ELF header and program header table of a checked file. */
struct elf_headers {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[MAX_PHDRS];
};

static int read_headers(const struct boot_file *f, struct elf_headers *h, char *err, size_t errlen)
{
	int ret = check_header(f, &h->eh, err, errlen);

	if (ret)
		return ret;
	ret = boot_file_read(f, h->eh.e_phoff, h->ph, (uint64_t)h->eh.e_phnum * sizeof(Elf64_Phdr));
	if (ret)
		return hy_err(err, errlen, ret, "reading the program headers: %s",
			      boot_file_strerror(ret));
	return 0;
}

static int read_pvh_note(const struct boot_file *f, const Elf64_Phdr *ph, uint64_t *entry,
			 char *err, size_t errlen)
{
	uint8_t *seg;
	int ret;

	if (f->data)
		return find_pvh_note((const uint8_t *)f->data + ph->p_offset, ph->p_filesz, entry,
				     err, errlen);
	if (ph->p_filesz > MAX_NOTE_BYTES) {
		return hy_err(err, errlen, -EINVAL, "PT_NOTE segment of %llu bytes is too large",
			      (unsigned long long)ph->p_filesz);
	}
	seg = malloc(ph->p_filesz ? ph->p_filesz : 1);
	if (!seg)
		return -ENOMEM;
	ret = boot_file_read(f, ph->p_offset, seg, ph->p_filesz);
	if (ret)
		hy_err(err, errlen, ret, "reading a PT_NOTE segment: %s", boot_file_strerror(ret));
	else
		ret = find_pvh_note(seg, ph->p_filesz, entry, err, errlen);
	free(seg);
	return ret;
}

static int parse(const struct boot_file *f, struct elf_headers *h, struct boot_elf_info *info,
		 char *err, size_t errlen)
{
	uint64_t size = f->size;
	int entry_ok = 0, ret;
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	unsigned i;

	memset(info, 0, sizeof(*info));
	ret = read_headers(f, h, err, errlen);
	if (ret)
		return ret;
	eh = h->eh;

	info->load_start = UINT64_MAX;
	for (i = 0; i < eh.e_phnum; i++) {
		ph = h->ph[i];
		if (ph.p_type == PT_NOTE) {
			if (!in_file(ph.p_offset, ph.p_filesz, size)) {
				return hy_err(
				    err, errlen, -EINVAL,
				    "truncated: PT_NOTE segment %u at %#llx+%#llx ends past the "
				    "file's %llu bytes",
				    i, (unsigned long long)ph.p_offset,
				    (unsigned long long)ph.p_filesz, (unsigned long long)size);
			}
			ret = read_pvh_note(f, &ph, &info->pvh_entry, err, errlen);
			if (ret)
				return ret;
			continue;
		}
		if (ph.p_type != PT_LOAD || !ph.p_memsz)
			continue;
		if (ph.p_filesz > ph.p_memsz) {
			return hy_err(
			    err, errlen, -EINVAL,
			    "PT_LOAD segment %u has p_filesz %#llx larger than p_memsz %#llx", i,
			    (unsigned long long)ph.p_filesz, (unsigned long long)ph.p_memsz);
		}
		if (!in_file(ph.p_offset, ph.p_filesz, size)) {
			return hy_err(
			    err, errlen, -EINVAL,
			    "truncated: PT_LOAD segment %u at %#llx+%#llx ends past the file's "
			    "%llu bytes",
			    i, (unsigned long long)ph.p_offset, (unsigned long long)ph.p_filesz,
			    (unsigned long long)size);
		}
		if (ph.p_paddr > UINT64_MAX - ph.p_memsz) {
			return hy_err(err, errlen, -EINVAL,
				      "PT_LOAD segment %u: p_paddr %#llx + p_memsz %#llx overflows",
				      i, (unsigned long long)ph.p_paddr,
				      (unsigned long long)ph.p_memsz);
		}
		if (ph.p_paddr < info->load_start)
			info->load_start = ph.p_paddr;
		if (ph.p_paddr + ph.p_memsz > info->load_end)
			info->load_end = ph.p_paddr + ph.p_memsz;
		/* The entry must be code from the file, not bss. */
		if (eh.e_entry >= ph.p_paddr && eh.e_entry - ph.p_paddr < ph.p_filesz)
			entry_ok = 1;
		info->nr_load++;
	}
	if (!info->nr_load) {
		return hy_err(err, errlen, -EINVAL, "no loadable (PT_LOAD) segment");
	}
	if (!entry_ok) {
		return hy_err(
		    err, errlen, -EINVAL,
		    "entry point %#llx is not inside the file contents of a PT_LOAD segment "
		    "(a vmlinux links it to the physical address of startup_64)",
		    (unsigned long long)eh.e_entry);
	}
	info->entry = eh.e_entry;
	return 0;
}

int boot_elf_parse(const void *image, size_t size, struct boot_elf_info *info, char *err,
		   size_t errlen)
{
	const struct boot_file f = {.data = image, .fd = -1, .size = image ? size : 0};
	struct elf_headers h;

	return parse(&f, &h, info, err, errlen);
}

int boot_elf_parse_file(const struct boot_file *f, struct boot_elf_info *info, char *err,
			size_t errlen)
{
	struct elf_headers h;

	return parse(f, &h, info, err, errlen);
}

/* Every segment must land in low RAM above the boot structures below 1 MiB
 * (zero page, page tables, command line, MP and ACPI tables). Checked for all
 * segments before anything is written. */
static int check_segments(struct guest_mem *m, const struct elf_headers *h, char *err,
			  size_t errlen)
{
	uint64_t low_end = guest_mem_low_end(m);
	Elf64_Phdr ph;
	unsigned i;

	for (i = 0; i < h->eh.e_phnum; i++) {
		ph = h->ph[i];
		if (ph.p_type != PT_LOAD || !ph.p_memsz)
			continue;
		if (ph.p_paddr < HY_HIMEM_START) {
			return hy_err(err, errlen, -EINVAL,
				      "PT_LOAD segment %u at %#llx is below 1 MiB, where the boot "
				      "structures live",
				      i, (unsigned long long)ph.p_paddr);
		}
		if (ph.p_paddr + ph.p_memsz > low_end ||
		    !guest_mem_ptr(m, ph.p_paddr, ph.p_memsz)) {
			return hy_err(
			    err, errlen, -ENOMEM,
			    "PT_LOAD segment %u [%#llx, %#llx) is outside guest RAM below %#llx; "
			    "give the VM more memory",
			    i, (unsigned long long)ph.p_paddr,
			    (unsigned long long)(ph.p_paddr + ph.p_memsz),
			    (unsigned long long)low_end);
		}
	}
	return 0;
}

/* Each segment read from the file straight to its place in guest RAM. */
static int copy_segments(struct guest_mem *m, const struct boot_file *f,
			 const struct elf_headers *h, char *err, size_t errlen)
{
	const Elf64_Phdr *ph;
	uint8_t *dst;
	unsigned i;
	int ret;

	for (i = 0; i < h->eh.e_phnum; i++) {
		ph = &h->ph[i];
		if (ph->p_type != PT_LOAD || !ph->p_memsz)
			continue;
		/* Checked by check_segments(); guest RAM may be reused, so the
		 * bss is cleared explicitly. */
		dst = guest_mem_ptr(m, ph->p_paddr, ph->p_memsz);
		ret = boot_file_read(f, ph->p_offset, dst, ph->p_filesz);
		if (ret) {
			return hy_err(err, errlen, ret, "reading PT_LOAD segment %u: %s", i,
				      boot_file_strerror(ret));
		}
		memset(dst + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
	}
	return 0;
}

int boot_elf_load(struct guest_mem *m, const struct boot_x86_params *p, struct boot_x86_result *res,
		  char *err, size_t errlen)
{
	const char *cmdline = p->cmdline ? p->cmdline : "";
	struct boot_elf_info info;
	struct elf_headers h;
	struct boot_params bp;
	size_t cmdline_len;
	int ret;

	memset(res, 0, sizeof(*res));
	ret = parse(&p->kernel, &h, &info, err, errlen);
	if (ret)
		return ret;
	ret = check_segments(m, &h, err, errlen);
	if (ret)
		return ret;

	cmdline_len = strlen(cmdline);
	if (cmdline_len > BOOT_ELF_CMDLINE_MAX) {
		return hy_err(err, errlen, -E2BIG,
			      "kernel command line is %zu bytes, the kernel keeps at most %u",
			      cmdline_len, BOOT_ELF_CMDLINE_MAX);
	}

	ret = copy_segments(m, &p->kernel, &h, err, errlen);
	if (ret)
		return ret;

	ret = guest_mem_write(m, HY_CMDLINE_ADDR, cmdline, cmdline_len + 1);
	if (ret) {
		return hy_err(err, errlen, ret, "writing the command line at %#llx",
			      HY_CMDLINE_ADDR);
	}

	/* boot.rst: the fields a boot loader must fill, plus the magic the
	 * kernel checks to trust the header at all. */
	memset(&bp, 0, sizeof(bp));
	bp.hdr.boot_flag = BOOT_FLAG;
	bp.hdr.header = BZ_MAGIC;
	bp.hdr.version = PROTOCOL_VERSION;
	bp.hdr.type_of_loader = LOADER_UNDEFINED;
	bp.hdr.loadflags = LOADED_HIGH | CAN_USE_HEAP;
	bp.hdr.heap_end_ptr = HEAP_END_PTR;
	bp.hdr.vid_mode = VID_MODE_NORMAL;
	bp.hdr.kernel_alignment = KERNEL_ALIGNMENT;
	bp.hdr.initrd_addr_max = INITRD_ADDR_MAX;
	bp.hdr.cmdline_size = BOOT_ELF_CMDLINE_MAX;
	bp.hdr.code32_start = (uint32_t)info.load_start;
	bp.hdr.cmd_line_ptr = (uint32_t)HY_CMDLINE_ADDR;
	bp.ext_cmd_line_ptr = (uint32_t)(HY_CMDLINE_ADDR >> 32);
	/* The kernel proper reserves [_text, _end) itself: above the highest
	 * segment end (bss and brk included) the initrd is safe. */
	ret = boot_x86_load_initrd(m, p, INITRD_ADDR_MAX, info.load_end, &bp, res, err, errlen);
	if (!ret)
		ret = boot_x86_finish(m, p, &bp, err, errlen);
	if (ret)
		return ret;
	res->entry = info.entry;
	res->zero_page = HY_ZERO_PAGE;
	return 0;
}
