/* x86.c: Linux x86 boot protocol (boot.rst) for a direct 64-bit entry. */
#include "vmm/boot/x86.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <asm/e820.h>

#include "common/err.h"
#include "vmm/layout.h"

/* File offsets of setup header fields: the header sits at 0x1f1 in both the
 * image and the zero page. */
#define HDR_OFF offsetof(struct boot_params, hdr)
#define HDR_FIELD(f) (HDR_OFF + offsetof(struct setup_header, f))
/* The zero page has room for the header up to edd_mbr_sig_buffer. */
#define HDR_ROOM_END offsetof(struct boot_params, edd_mbr_sig_buffer)

#define BZ_MAGIC 0x53726448   /* "HdrS" */
#define BZ_MIN_VERSION 0x020c /* 2.12: xloadflags, so XLF_KERNEL_64 is known */
#define BZ_ENTRY_64 0x200     /* startup_64 is 0x200 past startup_32 */
/* Loader id "undefined" (boot.rst, type_of_loader). */
#define LOADER_UNDEFINED 0xff
/* vid_mode "normal": only the skipped real-mode setup would look at it. */
#define VID_MODE_NORMAL 0xffff
/* heap_end_ptr as the real-mode setup would see it; unused on a 64-bit entry
 * but kept consistent with CAN_USE_HEAP. */
#define HEAP_END_PTR 0xfe00

#define PAGE_SIZE_4K 0x1000ULL
#define PTE_PRESENT (1ULL << 0)
#define PTE_RW (1ULL << 1)
#define PTE_PS (1ULL << 7)
#define PT_ENTRIES 512

int boot_file_read(const struct boot_file *f, uint64_t off, void *dst, uint64_t len)
{
	uint8_t *d = dst;

	if (off > f->size || len > f->size - off)
		return -EINVAL;
	if (f->data) {
		memcpy(d, (const uint8_t *)f->data + off, len);
		return 0;
	}
	while (len) {
		size_t chunk = len > (1u << 30) ? (1u << 30) : (size_t)len;
		ssize_t n = pread(f->fd, d, chunk, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		d += n;
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

int boot_file_to_guest(const struct guest_mem *m, const struct boot_file *f, uint64_t off,
		       uint64_t gpa, uint64_t len)
{
	void *dst;

	if (!len)
		return 0;
	dst = guest_mem_ptr(m, gpa, len);
	if (!dst)
		return -EFAULT;
	return boot_file_read(f, off, dst, len);
}

const char *boot_file_strerror(int err)
{
	if (err == -EIO)
		return "the file ended early (did it change while being read?)";
	if (err == -EINVAL)
		return "outside the file";
	if (err == -EFAULT)
		return "outside guest RAM";
	return strerror(-err);
}

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* `avail` bytes of the image are at `image`; the whole file is `size` bytes. */
static int parse_bzimage(const void *image, size_t avail, uint64_t size, struct bzimage_info *info,
			 char *err, size_t errlen)
{
	const uint8_t *img = image;
	struct setup_header hdr;
	size_t hdr_end, copy_end, need_fields;
	uint64_t setup_size, need;
	unsigned sects;
	uint16_t version;

	memset(info, 0, sizeof(*info));
	/* Enough to look at the magic and the protocol version. */
	need = HDR_FIELD(version) + sizeof(hdr.version);
	if (!img || avail < need) {
		return hy_err(
		    err, errlen, -EINVAL,
		    "truncated: file is %llu bytes, a bzImage setup header needs at least %llu",
		    (unsigned long long)size, (unsigned long long)need);
	}
	if (get_le32(img + HDR_FIELD(header)) != BZ_MAGIC) {
		return hy_err(err, errlen, -EINVAL,
			      "not a Linux bzImage: no 'HdrS' magic at offset %#zx",
			      HDR_FIELD(header));
	}
	version = get_le16(img + HDR_FIELD(version));
	if (version < BZ_MIN_VERSION) {
		return hy_err(err, errlen, -EINVAL,
			      "boot protocol %u.%02u is too old: %u.%02u or newer is needed",
			      version >> 8, version & 0xff, BZ_MIN_VERSION >> 8,
			      BZ_MIN_VERSION & 0xff);
	}

	/*
	 * The header's length is not stored as such: the 2-byte short jump at
	 * 0x200 skips it, so its displacement byte gives the end (boot.rst,
	 * "the end of the setup header can be calculated as 0x0202 + byte at 0x0201").
	 */
	hdr_end = HDR_FIELD(jump) + 2 + img[HDR_FIELD(jump) + 1];
	need_fields = HDR_FIELD(init_size) + sizeof(hdr.init_size);
	if (hdr_end < need_fields) {
		return hy_err(
		    err, errlen, -EINVAL,
		    "setup header ends at %#zx, before the fields of boot protocol 2.12 (%#zx)",
		    hdr_end, need_fields);
	}
	if (avail < hdr_end) {
		return hy_err(err, errlen, -EINVAL,
			      "truncated: file is %llu bytes, setup header says at least %zu",
			      (unsigned long long)size, hdr_end);
	}
	memset(&hdr, 0, sizeof(hdr));
	copy_end = hdr_end < HDR_OFF + sizeof(hdr) ? hdr_end : HDR_OFF + sizeof(hdr);
	memcpy(&hdr, img + HDR_OFF, copy_end - HDR_OFF);

	if (!(hdr.xloadflags & XLF_KERNEL_64)) {
		return hy_err(err, errlen, -EINVAL,
			      "kernel cannot be entered in 64-bit mode (XLF_KERNEL_64 not set)");
	}

	/* boot.rst: "If this field is 0, the real value is 4." */
	sects = hdr.setup_sects ? hdr.setup_sects : 4;
	setup_size = (sects + 1ULL) * 512;
	/* syssize counts 16-byte paragraphs of protected-mode code; signed
	 * images carry a signature beyond that, so only a lower bound holds. */
	need = setup_size + (uint64_t)hdr.syssize * 16;
	if (need <= setup_size)
		need = setup_size + 1;
	if (size < need) {
		return hy_err(err, errlen, -EINVAL,
			      "truncated: file is %llu bytes, setup header says at least %llu",
			      (unsigned long long)size, (unsigned long long)need);
	}

	info->version = version;
	info->setup_size = (uint32_t)setup_size;
	info->kernel_size = size - setup_size;
	info->init_size = hdr.init_size;
	info->initrd_addr_max = hdr.initrd_addr_max;
	info->cmdline_size = hdr.cmdline_size;
	info->kernel_alignment = hdr.kernel_alignment;
	info->xloadflags = hdr.xloadflags;
	info->pref_address = hdr.pref_address;
	info->relocatable = hdr.relocatable_kernel;
	info->header_end = (uint32_t)hdr_end;
	return 0;
}

int bzimage_parse(const void *image, size_t size, struct bzimage_info *info, char *err,
		  size_t errlen)
{
	return parse_bzimage(image, size, size, info, err, errlen);
}

/* Read the first BOOT_FILE_HEAD bytes of `f` (fewer for a smaller file) into
 * head and parse them; the loader then takes the setup header from head. */
static int parse_head(const struct boot_file *f, uint8_t head[BOOT_FILE_HEAD],
		      struct bzimage_info *info, char *err, size_t errlen)
{
	size_t avail = f->size < BOOT_FILE_HEAD ? (size_t)f->size : BOOT_FILE_HEAD;
	int ret = boot_file_read(f, 0, head, avail);

	if (ret) {
		memset(info, 0, sizeof(*info));
		return hy_err(err, errlen, ret, "reading the setup header: %s",
			      boot_file_strerror(ret));
	}
	return parse_bzimage(head, avail, f->size, info, err, errlen);
}

int bzimage_parse_file(const struct boot_file *f, struct bzimage_info *info, char *err,
		       size_t errlen)
{
	uint8_t head[BOOT_FILE_HEAD];

	if (f->data)
		return parse_bzimage(f->data, (size_t)f->size, f->size, info, err, errlen);
	return parse_head(f, head, info, err, errlen);
}

unsigned e820_build(const struct guest_mem *m, struct boot_e820_entry *table, unsigned max)
{
	struct boot_e820_entry e[4];
	uint64_t low_end = guest_mem_low_end(m);
	unsigned n = 0, i;

	e[n++] = (struct boot_e820_entry){0, HY_EBDA_START, E820_RAM};
	/* EBDA, VGA hole, BIOS area: the ACPI tables live in here too, where
	 * the kernel's legacy RSDP scan also looks. */
	e[n++] =
	    (struct boot_e820_entry){HY_EBDA_START, HY_HIMEM_START - HY_EBDA_START, E820_RESERVED};
	if (low_end > HY_HIMEM_START)
		e[n++] =
		    (struct boot_e820_entry){HY_HIMEM_START, low_end - HY_HIMEM_START, E820_RAM};
	for (i = 1; i < m->nr_regions && i < GUEST_MEM_MAX_REGIONS; i++)
		e[n++] = (struct boot_e820_entry){m->regions[i].gpa, m->regions[i].size, E820_RAM};
	if (n > max)
		n = max;
	memcpy(table, e, n * sizeof(e[0]));
	return n;
}

int cmdline_append(char *buf, size_t cap, const char *arg)
{
	size_t cur, add, sep;

	if (!buf || !cap)
		return -E2BIG;
	cur = strnlen(buf, cap);
	if (cur == cap)
		return -E2BIG;
	add = strlen(arg);
	if (!add)
		return 0;
	sep = cur ? 1 : 0;
	if (add > cap - 1 - cur || sep > cap - 1 - cur - add)
		return -E2BIG;
	if (sep)
		buf[cur++] = ' ';
	memcpy(buf + cur, arg, add + 1);
	return 0;
}

/*
 * The 64-bit entry of a relocatable kernel moves itself to the load address
 * rounded up to kernel_alignment, but never below LOAD_PHYSICAL_ADDR (which
 * pref_address holds); a fixed kernel always runs at pref_address. From
 * there it needs init_size bytes (arch/x86/boot/compressed/head_64.S).
 * Returns the end of all memory the kernel uses before it reads the e820
 * map, or 0 when that overflows.
 */
static uint64_t kernel_mem_end(const struct bzimage_info *bi)
{
	uint64_t base = bi->pref_address, align = bi->kernel_alignment, end;

	if (bi->relocatable) {
		base = HY_KERNEL_LOAD;
		if (align && !(align & (align - 1)))
			base = (base + align - 1) & ~(align - 1);
		if (base < bi->pref_address)
			base = bi->pref_address;
	}
	if (base > UINT64_MAX - bi->init_size)
		return 0;
	end = base + bi->init_size;
	if (HY_KERNEL_LOAD + bi->kernel_size > end)
		end = HY_KERNEL_LOAD + bi->kernel_size;
	return end;
}

static int load_initrd(struct guest_mem *m, const struct boot_x86_params *p,
		       const struct bzimage_info *bi, uint64_t kernel_end, struct boot_params *bp,
		       struct boot_x86_result *res, char *err, size_t errlen)
{
	uint64_t low_end = guest_mem_low_end(m);
	uint64_t base_size = p->initrd.size;
	uint64_t extra_size = p->initrd_extra ? p->initrd_extra_size : 0;
	uint64_t pad, total, top, addr;
	static const uint8_t zeros[4];
	int ret;

	if (!base_size && !extra_size) {
		/* The header copied from the image may carry stale values. */
		bp->hdr.ramdisk_image = 0;
		bp->hdr.ramdisk_size = 0;
		bp->ext_ramdisk_image = 0;
		bp->ext_ramdisk_size = 0;
		return 0;
	}
	/* Concatenated cpio archives must each start on a 4-byte boundary
	 * for the kernel's unpacker (init/initramfs.c skips NUL padding). */
	pad = extra_size ? (4 - base_size % 4) % 4 : 0;
	if (base_size > low_end || extra_size > low_end) {
		total = low_end + 1; /* does not fit, reported below */
	} else {
		total = base_size + pad + extra_size;
	}
	top = (uint64_t)bi->initrd_addr_max + 1;
	if (top > low_end)
		top = low_end;
	addr = total <= top ? (top - total) & ~(PAGE_SIZE_4K - 1) : 0;
	if (total > top || addr < kernel_end) {
		return hy_err(
		    err, errlen, -ENOMEM,
		    "initrd of %llu bytes does not fit in guest RAM between the kernel's end at "
		    "%#llx and %#llx; give the VM more memory",
		    (unsigned long long)(base_size + extra_size), (unsigned long long)kernel_end,
		    (unsigned long long)top);
	}

	ret = boot_file_to_guest(m, &p->initrd, 0, addr, base_size);
	if (!ret && pad)
		ret = guest_mem_write(m, addr + base_size, zeros, pad);
	if (!ret && extra_size)
		ret = guest_mem_write(m, addr + base_size + pad, p->initrd_extra, extra_size);
	if (ret) {
		return hy_err(err, errlen, ret, "writing the initrd at %#llx: %s",
			      (unsigned long long)addr, boot_file_strerror(ret));
	}

	bp->hdr.ramdisk_image = (uint32_t)addr;
	bp->hdr.ramdisk_size = (uint32_t)total;
	bp->ext_ramdisk_image = (uint32_t)(addr >> 32);
	bp->ext_ramdisk_size = (uint32_t)(total >> 32);
	res->initrd_gpa = addr;
	res->initrd_size = total;
	return 0;
}

int boot_x86_finish(struct guest_mem *m, const struct boot_x86_params *p, struct boot_params *bp,
		    char *err, size_t errlen)
{
	int ret;

	bp->e820_entries = (uint8_t)e820_build(m, bp->e820_table, E820_MAX_ENTRIES_ZEROPAGE);
	if (p->acpi_rsdp)
		bp->acpi_rsdp_addr = p->acpi_rsdp;
	ret = guest_mem_write(m, HY_ZERO_PAGE, bp, sizeof(*bp));
	if (!ret)
		ret = boot_x86_setup_tables(m);
	if (ret)
		return hy_err(err, errlen, ret, "writing the zero page and boot page tables");
	return 0;
}

int boot_x86_load(struct guest_mem *m, const struct boot_x86_params *p, struct boot_x86_result *res,
		  char *err, size_t errlen)
{
	const char *cmdline = p->cmdline ? p->cmdline : "";
	uint8_t head[BOOT_FILE_HEAD];
	struct bzimage_info bi;
	struct boot_params bp;
	uint64_t low_end = guest_mem_low_end(m), kernel_end, max_cmdline;
	size_t cmdline_len, hdr_end;
	int ret;

	memset(res, 0, sizeof(*res));
	/* The parse checked that the whole header is in head. */
	ret = parse_head(&p->kernel, head, &bi, err, errlen);
	if (ret)
		return ret;
	hdr_end = bi.header_end < HDR_ROOM_END ? bi.header_end : HDR_ROOM_END;

	kernel_end = kernel_mem_end(&bi);
	if (!kernel_end || kernel_end > low_end) {
		return hy_err(
		    err, errlen, -ENOMEM,
		    "kernel needs guest RAM up to %#llx (size %llu, init_size %u) but low RAM "
		    "ends at %#llx; give the VM more memory",
		    (unsigned long long)kernel_end, (unsigned long long)bi.kernel_size,
		    bi.init_size, (unsigned long long)low_end);
	}
	ret = boot_file_to_guest(m, &p->kernel, bi.setup_size, HY_KERNEL_LOAD, bi.kernel_size);
	if (ret) {
		return hy_err(err, errlen, ret, "writing the kernel at %#llx: %s", HY_KERNEL_LOAD,
			      boot_file_strerror(ret));
	}

	/*
	 * boot.rst: a loader takes the setup header from the image into an
	 * otherwise zeroed boot_params. Copying only up to the header's room
	 * keeps a bogus jump byte from spilling image bytes further.
	 */
	memset(&bp, 0, sizeof(bp));
	memcpy((uint8_t *)&bp + HDR_OFF, head + HDR_OFF, hdr_end - HDR_OFF);
	bp.hdr.type_of_loader = LOADER_UNDEFINED;
	bp.hdr.loadflags |= LOADED_HIGH | CAN_USE_HEAP;
	bp.hdr.heap_end_ptr = HEAP_END_PTR;
	bp.hdr.vid_mode = VID_MODE_NORMAL;

	cmdline_len = strlen(cmdline);
	max_cmdline = bi.cmdline_size < HY_CMDLINE_MAX - 1 ? bi.cmdline_size : HY_CMDLINE_MAX - 1;
	if (cmdline_len > max_cmdline) {
		return hy_err(err, errlen, -E2BIG,
			      "kernel command line is %zu bytes, this kernel accepts at most %llu",
			      cmdline_len, (unsigned long long)max_cmdline);
	}
	ret = guest_mem_write(m, HY_CMDLINE_ADDR, cmdline, cmdline_len + 1);
	if (ret) {
		return hy_err(err, errlen, ret, "writing the command line at %#llx",
			      HY_CMDLINE_ADDR);
	}
	bp.hdr.cmd_line_ptr = (uint32_t)HY_CMDLINE_ADDR;
	bp.ext_cmd_line_ptr = (uint32_t)(HY_CMDLINE_ADDR >> 32);

	ret = load_initrd(m, p, &bi, kernel_end, &bp, res, err, errlen);
	if (!ret)
		ret = boot_x86_finish(m, p, &bp, err, errlen);
	if (ret)
		return ret;
	res->entry = HY_KERNEL_LOAD + BZ_ENTRY_64;
	res->zero_page = HY_ZERO_PAGE;
	return 0;
}

int boot_x86_setup_tables(struct guest_mem *m)
{
	static const uint64_t gdt[] = {0, 0, BOOT_GDT_CODE, BOOT_GDT_DATA, BOOT_GDT_TSS};
	static const uint64_t idt;
	uint64_t table[PT_ENTRIES];
	unsigned i, pd;
	int ret;

	/* One PML4 entry -> one PDPT whose first four entries cover 4 GiB. */
	memset(table, 0, sizeof(table));
	table[0] = HY_PDPT_ADDR | PTE_PRESENT | PTE_RW;
	ret = guest_mem_write(m, HY_PML4_ADDR, table, sizeof(table));
	if (ret)
		return ret;

	memset(table, 0, sizeof(table));
	for (pd = 0; pd < 4; pd++)
		table[pd] = (HY_PD_ADDR + pd * PAGE_SIZE_4K) | PTE_PRESENT | PTE_RW;
	ret = guest_mem_write(m, HY_PDPT_ADDR, table, sizeof(table));
	if (ret)
		return ret;

	for (pd = 0; pd < 4; pd++) {
		for (i = 0; i < PT_ENTRIES; i++)
			table[i] =
			    (((uint64_t)pd * PT_ENTRIES + i) << 21) | PTE_PRESENT | PTE_RW | PTE_PS;
		ret = guest_mem_write(m, HY_PD_ADDR + pd * PAGE_SIZE_4K, table, sizeof(table));
		if (ret)
			return ret;
	}

	/* The IDT stays empty: interrupts are off until the kernel loads its
	 * own. It is written before the GDT so that, should the two ever
	 * share bytes, the descriptors the vCPU's segments mirror win. */
	ret = guest_mem_write(m, HY_IDT_ADDR, &idt, sizeof(idt));
	if (ret)
		return ret;
	return guest_mem_write(m, HY_GDT_ADDR, gdt, sizeof(gdt));
}

int boot_x86_load_initrd(struct guest_mem *m, const struct boot_x86_params *p,
			 uint32_t initrd_addr_max, uint64_t kernel_end, struct boot_params *bp,
			 struct boot_x86_result *res, char *err, size_t errlen)
{
	struct bzimage_info bi;

	memset(&bi, 0, sizeof(bi));
	bi.initrd_addr_max = initrd_addr_max;
	return load_initrd(m, p, &bi, kernel_end, bp, res, err, errlen);
}
