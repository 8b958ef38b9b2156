/* test_vmm_boot_x86.c: bzImage parsing, e820, command line and loading into guest RAM. */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <asm/e820.h>

#include "vmm/boot/x86.h"
#include "vmm/layout.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

#define T_SETUP_SECTS 4
#define T_SETUP_SIZE ((T_SETUP_SECTS + 1) * 512)
#define T_PAYLOAD (64 * 1024)
#define T_HDR_END 0x26c /* 0x202 + 0x6a, as in 6.x kernels */
#define T_INIT_SIZE (8 * MiB)
#define T_PREF (16 * MiB)
/* Relocatable at 1 MiB, aligned to 2 MiB, but never below pref_address. */
#define T_KERNEL_END (T_PREF + T_INIT_SIZE)
#define REAL_KERNEL "/tmp/k/cloud/boot/vmlinuz-6.1.0-56-cloud-amd64"

static struct setup_header *hdr_of(uint8_t *img)
{
	return (struct setup_header *)(img + offsetof(struct boot_params, hdr));
}

/* A minimal image with the header fields a 6.x x86_64 bzImage has. */
static uint8_t *make_image(size_t *size)
{
	size_t n = T_SETUP_SIZE + T_PAYLOAD, i;
	uint8_t *img = calloc(1, n);
	struct setup_header *h;

	cr_assert_not_null(img);
	/* Real-mode bytes after the header: must not reach the zero page. */
	memset(img + T_HDR_END, 0xcc, T_SETUP_SIZE - T_HDR_END);
	for (i = 0; i < T_PAYLOAD; i++)
		img[T_SETUP_SIZE + i] = (uint8_t)(i * 13 + 1);
	h = hdr_of(img);
	h->setup_sects = T_SETUP_SECTS;
	h->syssize = T_PAYLOAD / 16;
	h->boot_flag = 0xaa55;
	h->jump = (uint16_t)(0xeb | (T_HDR_END - 0x202) << 8);
	memcpy(&h->header, "HdrS", 4);
	h->version = 0x020f;
	h->loadflags = LOADED_HIGH;
	h->kernel_version = 0x1234;
	h->code32_start = 0x100000;
	h->initrd_addr_max = 0x7fffffff;
	h->kernel_alignment = 0x200000;
	h->relocatable_kernel = 1;
	h->min_alignment = 21;
	h->xloadflags = XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G;
	h->cmdline_size = 0x7ff;
	h->pref_address = T_PREF;
	h->init_size = T_INIT_SIZE;
	*size = n;
	return img;
}

static int parse(const uint8_t *img, size_t size, struct bzimage_info *bi, char *err)
{
	err[0] = 0;
	return bzimage_parse(img, size, bi, err, 256);
}

Test(boot_x86_parse, valid_image)
{
	struct bzimage_info bi;
	char err[256];
	size_t size;
	uint8_t *img = make_image(&size);

	cr_assert_eq(parse(img, size, &bi, err), 0, "%s", err);
	cr_assert_eq(bi.version, 0x020f);
	cr_assert_eq(bi.setup_size, T_SETUP_SIZE);
	cr_assert_eq(bi.kernel_size, T_PAYLOAD);
	cr_assert_eq(bi.init_size, T_INIT_SIZE);
	cr_assert_eq(bi.initrd_addr_max, 0x7fffffff);
	cr_assert_eq(bi.cmdline_size, 0x7ff);
	cr_assert_eq(bi.kernel_alignment, 0x200000);
	cr_assert_eq(bi.xloadflags, XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G);
	cr_assert_eq(bi.pref_address, T_PREF);
	cr_assert_eq(bi.relocatable, 1);
	cr_assert_eq(bi.header_end, T_HDR_END);
	free(img);
}

Test(boot_x86_parse, setup_sects_zero_means_four)
{
	struct bzimage_info bi;
	char err[256];
	size_t size;
	uint8_t *img = make_image(&size);

	hdr_of(img)->setup_sects = 0;
	cr_assert_eq(parse(img, size, &bi, err), 0, "%s", err);
	cr_assert_eq(bi.setup_size, 5 * 512);
	cr_assert_eq(bi.kernel_size, size - 5 * 512);

	/* And a different count really moves the split. */
	hdr_of(img)->setup_sects = 2;
	hdr_of(img)->syssize = 0;
	cr_assert_eq(parse(img, size, &bi, err), 0, "%s", err);
	cr_assert_eq(bi.setup_size, 3 * 512);
	free(img);
}

Test(boot_x86_parse, truncated)
{
	struct bzimage_info bi;
	char err[256];
	size_t size;
	uint8_t *img = make_image(&size);

	cr_assert_eq(parse(img, 0x100, &bi, err), -EINVAL);
	cr_assert(strstr(err, "truncated"), "message: %s", err);
	cr_assert_eq(parse(img, 0, &bi, err), -EINVAL);
	/* Magic and version present, rest of the header cut off. */
	cr_assert_eq(parse(img, T_HDR_END - 1, &bi, err), -EINVAL);
	cr_assert(strstr(err, "truncated"), "message: %s", err);
	/* Whole setup, but less protected-mode code than syssize says. */
	cr_assert_eq(parse(img, size - 16, &bi, err), -EINVAL);
	cr_assert(strstr(err, "truncated"), "message: %s", err);
	cr_assert(strstr(err, "setup header says at least"), "message: %s", err);
	/* Only the setup sectors, no kernel at all. */
	hdr_of(img)->syssize = 0;
	cr_assert_eq(parse(img, T_SETUP_SIZE, &bi, err), -EINVAL);
	cr_assert(strstr(err, "truncated"), "message: %s", err);
	free(img);
}

Test(boot_x86_parse, wrong_magic)
{
	struct bzimage_info bi;
	char err[256];
	size_t size;
	uint8_t *img = make_image(&size);

	memcpy(&hdr_of(img)->header, "HdrT", 4);
	cr_assert_eq(parse(img, size, &bi, err), -EINVAL);
	cr_assert(strstr(err, "no 'HdrS' magic at offset 0x202"), "message: %s", err);
	/* An ELF vmlinux is not a bzImage either. */
	memset(img, 0, size);
	memcpy(img, "\177ELF", 4);
	cr_assert_eq(parse(img, size, &bi, err), -EINVAL);
	cr_assert(strstr(err, "HdrS"), "message: %s", err);
	free(img);
}

Test(boot_x86_parse, old_protocol)
{
	struct bzimage_info bi;
	char err[256];
	size_t size;
	uint8_t *img = make_image(&size);

	hdr_of(img)->version = 0x0209;
	cr_assert_eq(parse(img, size, &bi, err), -EINVAL);
	cr_assert(strstr(err, "boot protocol 2.09 is too old"), "message: %s", err);
	cr_assert(strstr(err, "2.12"), "message: %s", err);
	hdr_of(img)->version = 0x020c;
	cr_assert_eq(parse(img, size, &bi, err), 0, "%s", err);
	free(img);
}

Test(boot_x86_parse, not_64bit)
{
	struct bzimage_info bi;
	char err[256];
	size_t size;
	uint8_t *img = make_image(&size);

	hdr_of(img)->xloadflags = XLF_CAN_BE_LOADED_ABOVE_4G;
	cr_assert_eq(parse(img, size, &bi, err), -EINVAL);
	cr_assert(strstr(err, "XLF_KERNEL_64"), "message: %s", err);
	free(img);
}

Test(boot_x86_parse, header_too_short)
{
	struct bzimage_info bi;
	char err[256];
	size_t size;
	uint8_t *img = make_image(&size);

	/* A jump that ends the header before init_size. */
	hdr_of(img)->jump = 0x40eb;
	cr_assert_eq(parse(img, size, &bi, err), -EINVAL);
	cr_assert(strstr(err, "setup header ends at"), "message: %s", err);
	free(img);
}

Test(boot_x86_parse, real_kernel)
{
	struct bzimage_info bi;
	char err[256];
	struct stat st;
	uint8_t *img;
	FILE *f;

	if (stat(REAL_KERNEL, &st) < 0)
		cr_skip_test("%s is not present", REAL_KERNEL);
	img = malloc((size_t)st.st_size);
	cr_assert_not_null(img);
	f = fopen(REAL_KERNEL, "rb");
	cr_assert_not_null(f);
	cr_assert_eq(fread(img, 1, (size_t)st.st_size, f), (size_t)st.st_size);
	fclose(f);

	cr_assert_eq(parse(img, (size_t)st.st_size, &bi, err), 0, "%s", err);
	cr_assert_geq(bi.version, 0x020c);
	cr_assert(bi.xloadflags & XLF_KERNEL_64);
	cr_assert_eq(bi.setup_size % 512, 0);
	cr_assert_eq(bi.setup_size + bi.kernel_size, (uint64_t)st.st_size);
	cr_assert_gt(bi.init_size, bi.kernel_size);
	cr_assert_geq(bi.cmdline_size, 255);
	cr_assert(bi.relocatable);

	/* It also loads into a 256 MiB guest. */
	{
		struct guest_mem m;
		struct boot_x86_params p = {
		    .kernel = {.data = img, .fd = -1, .size = (uint64_t)st.st_size},
		    .initrd = {.data = "0707", .fd = -1, .size = 4},
		    .cmdline = "console=ttyS0",
		};
		struct boot_x86_result res;
		struct boot_params *bp;

		cr_assert_eq(guest_mem_init(&m, 256 * MiB, 0, NULL, 0), 0);
		cr_assert_eq(boot_x86_load(&m, &p, &res, err, sizeof(err)), 0, "%s", err);
		bp = guest_mem_ptr(&m, HY_ZERO_PAGE, sizeof(*bp));
		cr_assert_eq(memcmp(&bp->hdr.header, "HdrS", 4), 0);
		cr_assert_eq(bp->hdr.version, bi.version);
		cr_assert_geq(res.initrd_gpa, bi.pref_address + bi.init_size);
		guest_mem_free(&m);
	}
	free(img);
}

Test(boot_x86_e820, small_memory)
{
	struct boot_e820_entry t[8];
	struct guest_mem m;
	unsigned n;

	cr_assert_eq(guest_mem_init(&m, 256 * MiB, 0, NULL, 0), 0);
	n = e820_build(&m, t, 8);
	cr_assert_eq(n, 3);
	cr_assert_eq(t[0].addr, 0);
	cr_assert_eq(t[0].size, HY_EBDA_START);
	cr_assert_eq(t[0].type, E820_RAM);
	cr_assert_eq(t[1].addr, HY_EBDA_START);
	cr_assert_eq(t[1].size, 0x100000 - HY_EBDA_START);
	cr_assert_eq(t[1].type, E820_RESERVED);
	cr_assert_eq(t[2].addr, 0x100000);
	cr_assert_eq(t[2].size, 256 * MiB - 0x100000);
	cr_assert_eq(t[2].type, E820_RAM);
	/* The ACPI tables sit in the reserved range. */
	cr_assert_geq(HY_ACPI_ADDR, t[1].addr);
	cr_assert_leq(HY_ACPI_ADDR + HY_ACPI_MAX, t[1].addr + t[1].size);
	/* A short table gets the first entries only. */
	cr_assert_eq(e820_build(&m, t, 2), 2);
	guest_mem_free(&m);
}

Test(boot_x86_e820, above_4g)
{
	struct boot_e820_entry t[8];
	struct guest_mem m;
	unsigned n;

	cr_assert_eq(guest_mem_init(&m, 4 * GiB, 0, NULL, 0), 0);
	n = e820_build(&m, t, 8);
	cr_assert_eq(n, 4);
	cr_assert_eq(t[2].addr, 0x100000);
	cr_assert_eq(t[2].size, HY_MMIO_HOLE_START - 0x100000);
	cr_assert_eq(t[3].addr, 4 * GiB);
	cr_assert_eq(t[3].size, 1 * GiB);
	cr_assert_eq(t[3].type, E820_RAM);
	guest_mem_free(&m);
}

Test(boot_x86_cmdline, append)
{
	char buf[16] = "";

	cr_assert_eq(cmdline_append(buf, sizeof(buf), "quiet"), 0);
	cr_assert_str_eq(buf, "quiet");
	cr_assert_eq(cmdline_append(buf, sizeof(buf), ""), 0);
	cr_assert_str_eq(buf, "quiet");
	cr_assert_eq(cmdline_append(buf, sizeof(buf), "panic=1"), 0);
	cr_assert_str_eq(buf, "quiet panic=1");
	/* 13 + ' ' + 2 = 16 bytes: one too many for the NUL. */
	cr_assert_eq(cmdline_append(buf, sizeof(buf), "ab"), -E2BIG);
	cr_assert_str_eq(buf, "quiet panic=1");
	/* 13 + ' ' + 1 + NUL = 16: exactly fits. */
	cr_assert_eq(cmdline_append(buf, sizeof(buf), "a"), 0);
	cr_assert_str_eq(buf, "quiet panic=1 a");
	cr_assert_eq(cmdline_append(buf, sizeof(buf), "b"), -E2BIG);
	cr_assert_str_eq(buf, "quiet panic=1 a");
}

Test(boot_x86_cmdline, first_arg_exact_and_overflow)
{
	char buf[4] = "";

	cr_assert_eq(cmdline_append(buf, sizeof(buf), "abcd"), -E2BIG);
	cr_assert_str_eq(buf, "");
	cr_assert_eq(cmdline_append(buf, sizeof(buf), "abc"), 0);
	cr_assert_str_eq(buf, "abc");
	/* No NUL inside the buffer: refused, not overrun. */
	memcpy(buf, "wxyz", 4);
	cr_assert_eq(cmdline_append(buf, sizeof(buf), "a"), -E2BIG);
}

struct load_fixture {
	struct guest_mem m;
	uint8_t *img;
	size_t size;
	uint8_t base[1001];
	uint8_t extra[64];
	struct boot_x86_params p;
	struct boot_x86_result res;
	char err[256];
};

static void load_setup(struct load_fixture *f, uint64_t mem)
{
	size_t i;

	memset(f, 0, sizeof(*f));
	f->img = make_image(&f->size);
	for (i = 0; i < sizeof(f->base); i++)
		f->base[i] = (uint8_t)(0x80 | i);
	for (i = 0; i < sizeof(f->extra); i++)
		f->extra[i] = (uint8_t)(i + 1);
	f->p.kernel = (struct boot_file){.data = f->img, .fd = -1, .size = f->size};
	f->p.initrd = (struct boot_file){.data = f->base, .fd = -1, .size = sizeof(f->base)};
	f->p.initrd_extra = f->extra;
	f->p.initrd_extra_size = sizeof(f->extra);
	f->p.cmdline = "console=ttyS0 panic=-1";
	f->p.acpi_rsdp = HY_ACPI_ADDR;
	cr_assert_eq(guest_mem_init(&f->m, mem, 0, NULL, 0), 0);
	/* Dirty RAM as a reused VM would have, to check what the loader zeroes. */
	memset(guest_mem_ptr(&f->m, 0, 1 * MiB), 0x5a, 1 * MiB);
	memset(guest_mem_ptr(&f->m, mem - 4 * MiB, 4 * MiB), 0x5a, 4 * MiB);
}

static void load_teardown(struct load_fixture *f)
{
	guest_mem_free(&f->m);
	free(f->img);
}

static uint64_t rd64(const struct guest_mem *m, uint64_t gpa)
{
	uint64_t v;

	cr_assert_eq(guest_mem_read(m, gpa, &v, sizeof(v)), 0);
	return v;
}

Test(boot_x86_load, full_layout)
{
	static struct load_fixture f;
	const struct boot_params *bp;
	const uint8_t *z, *rd;
	uint64_t total, i;
	unsigned pd, j;

	load_setup(&f, 256 * MiB);
	cr_assert_eq(boot_x86_load(&f.m, &f.p, &f.res, f.err, sizeof(f.err)), 0, "%s", f.err);
	cr_assert_eq(f.res.entry, HY_KERNEL_LOAD + 0x200);
	cr_assert_eq(f.res.zero_page, HY_ZERO_PAGE);

	/* Kernel body at 1 MiB. */
	cr_assert_eq(
	    memcmp(guest_mem_ptr(&f.m, HY_KERNEL_LOAD, T_PAYLOAD), f.img + T_SETUP_SIZE, T_PAYLOAD),
	    0);

	/* Zero page: header copied, everything else ours or zero. */
	bp = guest_mem_ptr(&f.m, HY_ZERO_PAGE, sizeof(*bp));
	cr_assert_not_null(bp);
	z = (const uint8_t *)bp;
	cr_assert_eq(memcmp(&bp->hdr.header, "HdrS", 4), 0);
	cr_assert_eq(bp->hdr.version, 0x020f);
	cr_assert_eq(bp->hdr.kernel_version, 0x1234);
	cr_assert_eq(bp->hdr.boot_flag, 0xaa55);
	cr_assert_eq(bp->hdr.setup_sects, T_SETUP_SECTS);
	cr_assert_eq(bp->hdr.init_size, T_INIT_SIZE);
	cr_assert_eq(bp->hdr.type_of_loader, 0xff);
	cr_assert_eq(bp->hdr.loadflags & (LOADED_HIGH | CAN_USE_HEAP), LOADED_HIGH | CAN_USE_HEAP);
	cr_assert_neq(bp->hdr.heap_end_ptr, 0);
	cr_assert_eq(bp->hdr.vid_mode, 0xffff);
	cr_assert_eq(bp->hdr.cmd_line_ptr, HY_CMDLINE_ADDR);
	cr_assert_eq(bp->ext_cmd_line_ptr, 0);
	cr_assert_eq(bp->acpi_rsdp_addr, HY_ACPI_ADDR);
	cr_assert_eq(bp->sentinel, 0);
	for (i = 0; i < offsetof(struct boot_params, acpi_rsdp_addr); i++)
		cr_assert_eq(z[i], 0, "zero page byte %#lx", (unsigned long)i);
	for (i = T_HDR_END; i < offsetof(struct boot_params, edd_mbr_sig_buffer); i++)
		cr_assert_eq(z[i], 0, "byte %#lx past the setup header", (unsigned long)i);

	cr_assert_eq(bp->e820_entries, 3);
	cr_assert_eq(bp->e820_table[2].addr, 0x100000);
	cr_assert_eq(bp->e820_table[2].size, 256 * MiB - 0x100000);
	cr_assert_eq(bp->e820_table[3].size, 0);

	/* Command line. */
	cr_assert_str_eq((const char *)guest_mem_ptr(&f.m, HY_CMDLINE_ADDR, 1),
			 "console=ttyS0 panic=-1");

	/* initrd: base, 3 zero bytes to reach 1004, extra; page-aligned, as
	 * high as fits, above the kernel's decompression area. */
	total = 1004 + sizeof(f.extra);
	cr_assert_eq(f.res.initrd_size, total);
	cr_assert_eq(bp->hdr.ramdisk_size, total);
	cr_assert_eq(bp->hdr.ramdisk_image, f.res.initrd_gpa);
	cr_assert_eq(bp->ext_ramdisk_image, 0);
	cr_assert_eq(bp->ext_ramdisk_size, 0);
	cr_assert_eq(f.res.initrd_gpa % 4096, 0);
	cr_assert_leq(f.res.initrd_gpa + total, 256 * MiB);
	cr_assert_lt(256 * MiB - (f.res.initrd_gpa + total), 4096, "initrd not placed high");
	cr_assert_geq(f.res.initrd_gpa, T_KERNEL_END);
	rd = guest_mem_ptr(&f.m, f.res.initrd_gpa, total);
	cr_assert_eq(memcmp(rd, f.base, sizeof(f.base)), 0);
	cr_assert_eq(rd[1001], 0);
	cr_assert_eq(rd[1002], 0);
	cr_assert_eq(rd[1003], 0);
	cr_assert_eq(memcmp(rd + 1004, f.extra, sizeof(f.extra)), 0);

	/* Page tables: PML4 -> PDPT -> 4 PDs of 2 MiB pages, identity to 4 GiB. */
	cr_assert_eq(rd64(&f.m, HY_PML4_ADDR), HY_PDPT_ADDR | 0x3);
	for (j = 1; j < 512; j++)
		cr_assert_eq(rd64(&f.m, HY_PML4_ADDR + 8 * j), 0);
	for (pd = 0; pd < 4; pd++)
		cr_assert_eq(rd64(&f.m, HY_PDPT_ADDR + 8 * pd), (HY_PD_ADDR + 0x1000 * pd) | 0x3);
	for (j = 4; j < 512; j++)
		cr_assert_eq(rd64(&f.m, HY_PDPT_ADDR + 8 * j), 0);
	for (pd = 0; pd < 4; pd++)
		for (j = 0; j < 512; j++)
			cr_assert_eq(rd64(&f.m, HY_PD_ADDR + 0x1000 * pd + 8 * j),
				     ((uint64_t)(pd * 512 + j) << 21) | 0x83, "PD %u entry %u", pd,
				     j);

	/* GDT: the selectors the vCPU uses index these. */
	cr_assert_eq(rd64(&f.m, HY_GDT_ADDR), 0);
	cr_assert_eq(rd64(&f.m, HY_GDT_ADDR + 8), 0);
	cr_assert_eq(rd64(&f.m, HY_GDT_ADDR + BOOT_CS_SEL), BOOT_GDT_CODE);
	cr_assert_eq(rd64(&f.m, HY_GDT_ADDR + BOOT_DS_SEL), BOOT_GDT_DATA);
	cr_assert_eq(rd64(&f.m, HY_GDT_ADDR + BOOT_TSS_SEL), BOOT_GDT_TSS);
	/* The IDT is empty wherever it does not share bytes with the GDT. */
	if (HY_IDT_ADDR >= HY_GDT_ADDR + 5 * 8 || HY_IDT_ADDR + 8 <= HY_GDT_ADDR)
		cr_assert_eq(rd64(&f.m, HY_IDT_ADDR), 0);
	load_teardown(&f);
}

Test(boot_x86_load, initrd_only_and_extra_only)
{
	static struct load_fixture f;
	const uint8_t *rd;

	load_setup(&f, 64 * MiB);
	f.p.initrd_extra = NULL;
	f.p.initrd_extra_size = 0;
	cr_assert_eq(boot_x86_load(&f.m, &f.p, &f.res, f.err, sizeof(f.err)), 0, "%s", f.err);
	cr_assert_eq(f.res.initrd_size, sizeof(f.base));
	cr_assert_eq(f.res.initrd_gpa % 4096, 0);
	cr_assert_leq(f.res.initrd_gpa + sizeof(f.base), 64 * MiB);
	rd = guest_mem_ptr(&f.m, f.res.initrd_gpa, sizeof(f.base));
	cr_assert_eq(memcmp(rd, f.base, sizeof(f.base)), 0);
	load_teardown(&f);

	load_setup(&f, 64 * MiB);
	f.p.initrd = (struct boot_file){.data = NULL, .fd = -1, .size = 0};
	cr_assert_eq(boot_x86_load(&f.m, &f.p, &f.res, f.err, sizeof(f.err)), 0, "%s", f.err);
	cr_assert_eq(f.res.initrd_size, sizeof(f.extra));
	rd = guest_mem_ptr(&f.m, f.res.initrd_gpa, sizeof(f.extra));
	cr_assert_eq(memcmp(rd, f.extra, sizeof(f.extra)), 0);
	load_teardown(&f);

	/* No initrd at all: ramdisk fields stay zero. */
	load_setup(&f, 64 * MiB);
	f.p.initrd = (struct boot_file){.data = NULL, .fd = -1, .size = 0};
	f.p.initrd_extra = NULL;
	f.p.initrd_extra_size = 0;
	f.p.acpi_rsdp = 0;
	cr_assert_eq(boot_x86_load(&f.m, &f.p, &f.res, f.err, sizeof(f.err)), 0, "%s", f.err);
	cr_assert_eq(f.res.initrd_size, 0);
	{
		const struct boot_params *bp = guest_mem_ptr(&f.m, HY_ZERO_PAGE, sizeof(*bp));

		cr_assert_eq(bp->hdr.ramdisk_image, 0);
		cr_assert_eq(bp->hdr.ramdisk_size, 0);
		cr_assert_eq(bp->acpi_rsdp_addr, 0);
	}
	load_teardown(&f);
}

Test(boot_x86_load, initrd_addr_max_respected)
{
	static struct load_fixture f;

	load_setup(&f, 256 * MiB);
	hdr_of(f.img)->initrd_addr_max = 64 * MiB - 1;
	cr_assert_eq(boot_x86_load(&f.m, &f.p, &f.res, f.err, sizeof(f.err)), 0, "%s", f.err);
	cr_assert_leq(f.res.initrd_gpa + f.res.initrd_size, 64 * MiB);
	cr_assert_gt(f.res.initrd_gpa + f.res.initrd_size, 64 * MiB - 4096);
	load_teardown(&f);

	/* A limit below the kernel's end leaves no room. */
	load_setup(&f, 256 * MiB);
	hdr_of(f.img)->initrd_addr_max = T_KERNEL_END - 1;
	cr_assert_eq(boot_x86_load(&f.m, &f.p, &f.res, f.err, sizeof(f.err)), -ENOMEM);
	cr_assert(strstr(f.err, "initrd"), "message: %s", f.err);
	load_teardown(&f);
}

Test(boot_x86_load, errors)
{
	static struct load_fixture f;
	static uint8_t big[40 * MiB];
	char longline[0x900];

	/* initrd larger than the RAM above the kernel. */
	load_setup(&f, 64 * MiB);
	f.p.initrd = (struct boot_file){.data = big, .fd = -1, .size = sizeof(big)};
	cr_assert_eq(boot_x86_load(&f.m, &f.p, &f.res, f.err, sizeof(f.err)), -ENOMEM);
	cr_assert(strstr(f.err, "does not fit"), "message: %s", f.err);
	load_teardown(&f);

	/* Kernel's decompression area beyond RAM. */
	load_setup(&f, 16 * MiB);
	cr_assert_eq(boot_x86_load(&f.m, &f.p, &f.res, f.err, sizeof(f.err)), -ENOMEM);
	cr_assert(strstr(f.err, "kernel needs guest RAM"), "message: %s", f.err);
	load_teardown(&f);

	/* Command line longer than the kernel's cmdline_size. */
	load_setup(&f, 64 * MiB);
	memset(longline, 'a', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = 0;
	f.p.cmdline = longline;
	cr_assert_eq(boot_x86_load(&f.m, &f.p, &f.res, f.err, sizeof(f.err)), -E2BIG);
	cr_assert(strstr(f.err, "command line"), "message: %s", f.err);
	/* Exactly cmdline_size bytes is accepted. */
	longline[0x7ff] = 0;
	cr_assert_eq(boot_x86_load(&f.m, &f.p, &f.res, f.err, sizeof(f.err)), 0, "%s", f.err);
	cr_assert_eq(strlen(guest_mem_ptr(&f.m, HY_CMDLINE_ADDR, 0x800)), 0x7ff);
	load_teardown(&f);

	/* A bad image is reported through the same error buffer. */
	load_setup(&f, 64 * MiB);
	hdr_of(f.img)->version = 0x0200;
	cr_assert_eq(boot_x86_load(&f.m, &f.p, &f.res, f.err, sizeof(f.err)), -EINVAL);
	cr_assert(strstr(f.err, "too old"), "message: %s", f.err);
	load_teardown(&f);
}

/* An anonymous file holding `len` bytes of `data`, for the loaders' pread path. */
static int memfile(const void *data, size_t len)
{
	int fd = memfd_create("hyrun-test", MFD_CLOEXEC);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, data, len), (ssize_t)len);
	return fd;
}

Test(boot_file, read_bounds)
{
	static const char text[] = "0123456789";
	struct boot_file mem = {.data = text, .fd = -1, .size = 10};
	struct boot_file file = {.data = NULL, .fd = memfile(text, 10), .size = 10};
	char buf[11] = "";

	cr_assert_eq(boot_file_read(&mem, 3, buf, 4), 0);
	cr_assert_eq(memcmp(buf, "3456", 4), 0);
	cr_assert_eq(boot_file_read(&file, 6, buf, 4), 0);
	cr_assert_eq(memcmp(buf, "6789", 4), 0);
	cr_assert_eq(boot_file_read(&file, 0, buf, 0), 0);
	cr_assert_eq(boot_file_read(&file, 10, buf, 0), 0);
	cr_assert_eq(boot_file_read(&mem, 7, buf, 4), -EINVAL);
	cr_assert_eq(boot_file_read(&file, 11, buf, 0), -EINVAL);
	cr_assert_eq(boot_file_read(&file, UINT64_MAX, buf, 2), -EINVAL);
	/* A file shorter than its recorded size: it changed after fstat(). */
	cr_assert_eq(ftruncate(file.fd, 8), 0);
	cr_assert_eq(boot_file_read(&file, 6, buf, 4), -EIO);
	close(file.fd);
}

/* Loading from files gives the guest exactly what loading from memory gives. */
Test(boot_x86_load, from_files)
{
	static struct load_fixture a, b;
	int kfd, ifd;

	load_setup(&a, 256 * MiB);
	cr_assert_eq(boot_x86_load(&a.m, &a.p, &a.res, a.err, sizeof(a.err)), 0, "%s", a.err);

	load_setup(&b, 256 * MiB);
	kfd = memfile(b.img, b.size);
	ifd = memfile(b.base, sizeof(b.base));
	b.p.kernel = (struct boot_file){.data = NULL, .fd = kfd, .size = b.size};
	b.p.initrd = (struct boot_file){.data = NULL, .fd = ifd, .size = sizeof(b.base)};
	cr_assert_eq(
	    bzimage_parse_file(&b.p.kernel, &(struct bzimage_info){0}, b.err, sizeof(b.err)), 0,
	    "%s", b.err);
	cr_assert_eq(boot_x86_load(&b.m, &b.p, &b.res, b.err, sizeof(b.err)), 0, "%s", b.err);

	cr_assert_eq(memcmp(&a.res, &b.res, sizeof(a.res)), 0);
	cr_assert_eq(memcmp(guest_mem_ptr(&a.m, HY_ZERO_PAGE, 4096),
			    guest_mem_ptr(&b.m, HY_ZERO_PAGE, 4096), 4096),
		     0);
	cr_assert_eq(
	    memcmp(guest_mem_ptr(&b.m, HY_KERNEL_LOAD, T_PAYLOAD), b.img + T_SETUP_SIZE, T_PAYLOAD),
	    0);
	cr_assert_eq(memcmp(guest_mem_ptr(&a.m, a.res.initrd_gpa, a.res.initrd_size),
			    guest_mem_ptr(&b.m, b.res.initrd_gpa, b.res.initrd_size),
			    a.res.initrd_size),
		     0);
	load_teardown(&a);

	/* The kernel file shrinks after its size was taken. */
	cr_assert_eq(ftruncate(kfd, T_SETUP_SIZE + 100), 0);
	cr_assert_eq(boot_x86_load(&b.m, &b.p, &b.res, b.err, sizeof(b.err)), -EIO);
	cr_assert(strstr(b.err, "ended early"), "message: %s", b.err);
	/* ... or the initrd does. */
	cr_assert_eq(pwrite(kfd, b.img, b.size, 0), (ssize_t)b.size);
	cr_assert_eq(ftruncate(ifd, 10), 0);
	cr_assert_eq(boot_x86_load(&b.m, &b.p, &b.res, b.err, sizeof(b.err)), -EIO);
	cr_assert(strstr(b.err, "initrd"), "message: %s", b.err);
	close(kfd);
	close(ifd);
	load_teardown(&b);
}

Test(boot_x86_parse, file_too_short_for_a_header)
{
	struct bzimage_info bi;
	char err[256] = "";
	size_t size;
	uint8_t *img = make_image(&size);
	struct boot_file f = {.data = NULL, .fd = memfile(img, 0x100), .size = 0x100};

	cr_assert_eq(bzimage_parse_file(&f, &bi, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "truncated"), "message: %s", err);
	close(f.fd);
	free(img);
}
