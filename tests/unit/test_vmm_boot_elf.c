/* test_vmm_boot_elf.c: vmlinux (ELF) validation, PVH note discovery and loading into guest RAM. */
#include <criterion/criterion.h>

#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <asm/e820.h>

#include "vmm/boot/elf.h"
#include "vmm/layout.h"

#define MiB (1ULL << 20)

/* A synthetic vmlinux: text segment at 16 MiB, data + bss segment at 18 MiB,
 * one PT_NOTE holding a GNU build-id note followed by the PVH note. */
#define E_PHNUM 3
#define E_NOTE_OFF 0x100
#define E_TEXT_OFF 0x200
#define E_TEXT_PADDR 0x1000000ULL
#define E_TEXT_SIZE 0x1000
#define E_DATA_OFF (E_TEXT_OFF + E_TEXT_SIZE)
#define E_DATA_PADDR 0x1200000ULL
#define E_DATA_FILESZ 0x800
#define E_DATA_MEMSZ 0x3000
#define E_FILE_SIZE (E_DATA_OFF + E_DATA_FILESZ)
#define E_ENTRY (E_TEXT_PADDR + 0x40)
#define E_PVH 0x1000600ULL
#define REAL_VMLINUX "build/guest/vmlinux"

struct elf_img {
	uint8_t *b;
	size_t size;
	size_t note_size;
};

static Elf64_Ehdr *ehdr(struct elf_img *e)
{
	return (Elf64_Ehdr *)e->b;
}

static Elf64_Phdr *phdr(struct elf_img *e, unsigned i)
{
	return (Elf64_Phdr *)(e->b + sizeof(Elf64_Ehdr) + i * sizeof(Elf64_Phdr));
}

static size_t put_note(uint8_t *p, const char *name, uint32_t type, const void *desc,
		       uint32_t descsz)
{
	Elf64_Nhdr nh = {(uint32_t)strlen(name) + 1, descsz, type};
	size_t namepad = (nh.n_namesz + 3) & ~3u, descpad = (descsz + 3) & ~3u;

	memcpy(p, &nh, sizeof(nh));
	memcpy(p + sizeof(nh), name, nh.n_namesz);
	memcpy(p + sizeof(nh) + namepad, desc, descsz);
	return sizeof(nh) + namepad + descpad;
}

static struct elf_img make_elf(int with_pvh)
{
	struct elf_img e;
	Elf64_Ehdr *eh;
	Elf64_Phdr *ph;
	uint8_t buildid[20];
	uint64_t pvh = E_PVH;
	size_t i, n = 0;

	e.size = E_FILE_SIZE;
	e.b = calloc(1, e.size);
	cr_assert_not_null(e.b);
	eh = ehdr(&e);
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = E_ENTRY;
	eh->e_phoff = sizeof(Elf64_Ehdr);
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = E_PHNUM;

	for (i = 0; i < sizeof(buildid); i++)
		buildid[i] = (uint8_t)i;
	n += put_note(e.b + E_NOTE_OFF + n, "GNU", 3, buildid, sizeof(buildid));
	if (with_pvh)
		n += put_note(e.b + E_NOTE_OFF + n, "Xen", BOOT_ELF_PVH_NOTE_TYPE, &pvh, 8);
	/* A Xen note of another type must not be taken for the entry. */
	n += put_note(e.b + E_NOTE_OFF + n, "Xen", 6, "linux", 6);
	cr_assert_leq(E_NOTE_OFF + n, E_TEXT_OFF);
	e.note_size = n;

	for (i = 0; i < E_TEXT_SIZE; i++)
		e.b[E_TEXT_OFF + i] = (uint8_t)(i * 7 + 3);
	for (i = 0; i < E_DATA_FILESZ; i++)
		e.b[E_DATA_OFF + i] = (uint8_t)(i * 11 + 5);

	ph = phdr(&e, 0);
	*ph = (Elf64_Phdr){.p_type = PT_LOAD,
			   .p_flags = PF_R | PF_X,
			   .p_offset = E_TEXT_OFF,
			   .p_vaddr = 0xffffffff81000000ULL,
			   .p_paddr = E_TEXT_PADDR,
			   .p_filesz = E_TEXT_SIZE,
			   .p_memsz = E_TEXT_SIZE,
			   .p_align = 0x200000};
	ph = phdr(&e, 1);
	*ph = (Elf64_Phdr){.p_type = PT_LOAD,
			   .p_flags = PF_R | PF_W,
			   .p_offset = E_DATA_OFF,
			   .p_vaddr = 0xffffffff81200000ULL,
			   .p_paddr = E_DATA_PADDR,
			   .p_filesz = E_DATA_FILESZ,
			   .p_memsz = E_DATA_MEMSZ,
			   .p_align = 0x200000};
	ph = phdr(&e, 2);
	*ph = (Elf64_Phdr){.p_type = PT_NOTE, .p_offset = E_NOTE_OFF, .p_filesz = n, .p_align = 4};
	return e;
}

static int parse(struct elf_img *e, struct boot_elf_info *info, char *err)
{
	err[0] = 0;
	return boot_elf_parse(e->b, e->size, info, err, 256);
}

/* Expect parse to fail with -EINVAL and a message containing `what`. */
static void expect_bad(struct elf_img *e, const char *what)
{
	struct boot_elf_info info;
	char err[256];

	cr_assert_eq(parse(e, &info, err), -EINVAL, "accepted; wanted an error about '%s'", what);
	cr_assert_not_null(strstr(err, what), "error '%s' does not mention '%s'", err, what);
	free(e->b);
}

Test(boot_elf_parse, valid_image)
{
	struct elf_img e = make_elf(1);
	struct boot_elf_info info;
	char err[256];

	cr_assert_eq(parse(&e, &info, err), 0, "%s", err);
	cr_assert_eq(info.entry, E_ENTRY);
	cr_assert_eq(info.pvh_entry, E_PVH);
	cr_assert_eq(info.load_start, E_TEXT_PADDR);
	cr_assert_eq(info.load_end, E_DATA_PADDR + E_DATA_MEMSZ);
	cr_assert_eq(info.nr_load, 2);
	free(e.b);
}

Test(boot_elf_parse, no_pvh_note)
{
	struct elf_img e = make_elf(0);
	struct boot_elf_info info;
	char err[256];

	cr_assert_eq(parse(&e, &info, err), 0, "%s", err);
	cr_assert_eq(info.pvh_entry, 0);
	free(e.b);
}

Test(boot_elf_parse, pvh_note_4_byte_desc)
{
	struct elf_img e = make_elf(0);
	struct boot_elf_info info;
	uint32_t pvh = 0x1234560;
	char err[256];
	size_t n;

	n = put_note(e.b + E_NOTE_OFF + e.note_size, "Xen", BOOT_ELF_PVH_NOTE_TYPE, &pvh, 4);
	phdr(&e, 2)->p_filesz = e.note_size + n;
	cr_assert_eq(parse(&e, &info, err), 0, "%s", err);
	cr_assert_eq(info.pvh_entry, 0x1234560);
	free(e.b);
}

Test(boot_elf_parse, is_elf)
{
	struct elf_img e = make_elf(1);
	static const char bz[] = "MZ\0\0HdrS";

	cr_assert_eq(boot_elf_is_elf(e.b, e.size), 1);
	cr_assert_eq(boot_elf_is_elf(e.b, 3), 0);
	cr_assert_eq(boot_elf_is_elf(bz, sizeof(bz)), 0);
	cr_assert_eq(boot_elf_is_elf(NULL, 0), 0);
	free(e.b);
}

Test(boot_elf_parse, truncated_header)
{
	struct elf_img e = make_elf(1);

	e.size = sizeof(Elf64_Ehdr) - 1;
	expect_bad(&e, "truncated");
}

Test(boot_elf_parse, bad_magic)
{
	struct elf_img e = make_elf(1);

	e.b[1] = 'X';
	expect_bad(&e, "not an ELF");
}

Test(boot_elf_parse, wrong_class)
{
	struct elf_img e = make_elf(1);

	e.b[EI_CLASS] = ELFCLASS32;
	expect_bad(&e, "ELF64");
}

Test(boot_elf_parse, big_endian)
{
	struct elf_img e = make_elf(1);

	e.b[EI_DATA] = ELFDATA2MSB;
	expect_bad(&e, "little-endian");
}

Test(boot_elf_parse, wrong_machine)
{
	struct elf_img e = make_elf(1);

	ehdr(&e)->e_machine = EM_386;
	expect_bad(&e, "x86-64");
}

Test(boot_elf_parse, not_executable)
{
	struct elf_img e = make_elf(1);

	ehdr(&e)->e_type = ET_DYN;
	expect_bad(&e, "ET_EXEC");
}

Test(boot_elf_parse, bad_phentsize)
{
	struct elf_img e = make_elf(1);

	ehdr(&e)->e_phentsize = 32;
	expect_bad(&e, "program header table");
}

Test(boot_elf_parse, phdrs_out_of_file)
{
	struct elf_img e = make_elf(1);

	ehdr(&e)->e_phoff = e.size - sizeof(Elf64_Phdr);
	expect_bad(&e, "program headers");
}

Test(boot_elf_parse, phoff_overflow)
{
	struct elf_img e = make_elf(1);

	ehdr(&e)->e_phoff = UINT64_MAX - 8;
	expect_bad(&e, "program headers");
}

Test(boot_elf_parse, segment_out_of_file)
{
	struct elf_img e = make_elf(1);

	phdr(&e, 1)->p_filesz = E_DATA_FILESZ + 1;
	expect_bad(&e, "ends past the file");
}

Test(boot_elf_parse, segment_offset_overflow)
{
	struct elf_img e = make_elf(1);

	phdr(&e, 1)->p_offset = UINT64_MAX - 0x10;
	expect_bad(&e, "ends past the file");
}

Test(boot_elf_parse, filesz_above_memsz)
{
	struct elf_img e = make_elf(1);

	phdr(&e, 0)->p_memsz = E_TEXT_SIZE - 1;
	expect_bad(&e, "p_filesz");
}

Test(boot_elf_parse, paddr_overflow)
{
	struct elf_img e = make_elf(1);

	phdr(&e, 1)->p_paddr = UINT64_MAX - 0x1000;
	expect_bad(&e, "overflows");
}

Test(boot_elf_parse, entry_outside_segments)
{
	struct elf_img e = make_elf(1);

	ehdr(&e)->e_entry = 0x3000000;
	expect_bad(&e, "entry point");
}

Test(boot_elf_parse, entry_in_bss)
{
	struct elf_img e = make_elf(1);

	ehdr(&e)->e_entry = E_DATA_PADDR + E_DATA_FILESZ + 0x10;
	expect_bad(&e, "entry point");
}

Test(boot_elf_parse, no_load_segment)
{
	struct elf_img e = make_elf(1);

	phdr(&e, 0)->p_type = PT_NULL;
	phdr(&e, 1)->p_type = PT_NULL;
	expect_bad(&e, "PT_LOAD");
}

Test(boot_elf_parse, note_out_of_file)
{
	struct elf_img e = make_elf(1);

	phdr(&e, 2)->p_offset = e.size - 4;
	expect_bad(&e, "PT_NOTE");
}

Test(boot_elf_parse, corrupt_note)
{
	struct elf_img e = make_elf(1);
	uint32_t huge = 0xfffffff0;

	/* namesz of the first note runs past the segment. */
	memcpy(e.b + E_NOTE_OFF, &huge, 4);
	expect_bad(&e, "corrupt ELF note");
}

struct loaded {
	struct guest_mem m;
	struct boot_x86_result res;
	struct boot_params bp;
	char err[256];
	int ret;
};

static void load(struct loaded *l, struct elf_img *e, uint64_t mem, const void *initrd,
		 size_t initrd_size, const char *cmdline)
{
	struct boot_x86_params p = {
	    .kernel = {.data = e->b, .fd = -1, .size = e->size},
	    .initrd = {.data = initrd, .fd = -1, .size = initrd ? initrd_size : 0},
	    .cmdline = cmdline,
	    .acpi_rsdp = HY_ACPI_ADDR,
	};
	uint8_t *ram;

	memset(l, 0, sizeof(*l));
	cr_assert_eq(guest_mem_init(&l->m, mem, 0, NULL, 0), 0);
	/* Dirty the kernel's range: the bss must come out zeroed. */
	ram = guest_mem_ptr(&l->m, E_TEXT_PADDR, 4 * MiB);
	if (ram)
		memset(ram, 0xaa, 4 * MiB);
	l->ret = boot_elf_load(&l->m, &p, &l->res, l->err, sizeof(l->err));
	if (!l->ret)
		cr_assert_eq(guest_mem_read(&l->m, HY_ZERO_PAGE, &l->bp, sizeof(l->bp)), 0);
}

Test(boot_elf_load, loads_segments_and_zero_page)
{
	struct elf_img e = make_elf(1);
	static uint8_t initrd[10000];
	const char *cmdline = "console=ttyS0 virtio_mmio.device=512@0xd0000000:5 panic=-1";
	char cmd[128];
	struct loaded l;
	uint8_t *g;
	size_t i;

	for (i = 0; i < sizeof(initrd); i++)
		initrd[i] = (uint8_t)(i ^ 0x5a);
	load(&l, &e, 256 * MiB, initrd, sizeof(initrd), cmdline);
	cr_assert_eq(l.ret, 0, "%s", l.err);

	cr_assert_eq(l.res.entry, E_ENTRY);
	cr_assert_eq(l.res.zero_page, HY_ZERO_PAGE);

	g = guest_mem_ptr(&l.m, E_TEXT_PADDR, E_TEXT_SIZE);
	cr_assert_arr_eq(g, e.b + E_TEXT_OFF, E_TEXT_SIZE);
	g = guest_mem_ptr(&l.m, E_DATA_PADDR, E_DATA_MEMSZ);
	cr_assert_arr_eq(g, e.b + E_DATA_OFF, E_DATA_FILESZ);
	for (i = E_DATA_FILESZ; i < E_DATA_MEMSZ; i++)
		cr_assert_eq(g[i], 0, "bss byte %zu is %#x", i, g[i]);
	/* Bytes between the segments are not the loader's business. */
	g = guest_mem_ptr(&l.m, E_TEXT_PADDR + E_TEXT_SIZE, 1);
	cr_assert_eq(*g, 0xaa);

	cr_assert_eq(l.bp.hdr.boot_flag, 0xaa55);
	cr_assert_eq(l.bp.hdr.header, 0x53726448);
	cr_assert_geq(l.bp.hdr.version, 0x020c);
	cr_assert_eq(l.bp.hdr.type_of_loader, 0xff);
	cr_assert_eq(l.bp.hdr.loadflags & (LOADED_HIGH | CAN_USE_HEAP), LOADED_HIGH | CAN_USE_HEAP);
	cr_assert_eq(l.bp.hdr.kernel_alignment, 0x1000000);
	cr_assert_eq(l.bp.hdr.cmd_line_ptr, HY_CMDLINE_ADDR);
	cr_assert_eq(l.bp.ext_cmd_line_ptr, 0);
	cr_assert_eq(l.bp.hdr.cmdline_size, BOOT_ELF_CMDLINE_MAX);
	cr_assert_eq(guest_mem_read(&l.m, HY_CMDLINE_ADDR, cmd, strlen(cmdline) + 1), 0);
	cr_assert_str_eq(cmd, cmdline);
	cr_assert_eq(l.bp.acpi_rsdp_addr, HY_ACPI_ADDR);
	cr_assert_eq(l.bp.sentinel, 0);

	/* e820: RAM below the EBDA, reserved up to 1 MiB, RAM from 1 MiB to 256 MiB. */
	cr_assert_eq(l.bp.e820_entries, 3);
	cr_assert_eq(l.bp.e820_table[0].type, E820_RAM);
	cr_assert_eq(l.bp.e820_table[1].addr, HY_EBDA_START);
	cr_assert_eq(l.bp.e820_table[1].type, E820_RESERVED);
	cr_assert_eq(l.bp.e820_table[2].addr + l.bp.e820_table[2].size, 256 * MiB);

	/* initrd: page-aligned, above the kernel's end, as high as RAM allows. */
	cr_assert_eq(l.res.initrd_size, sizeof(initrd));
	cr_assert_eq(l.res.initrd_gpa % 4096, 0);
	cr_assert_geq(l.res.initrd_gpa, E_DATA_PADDR + E_DATA_MEMSZ);
	cr_assert_leq(l.res.initrd_gpa + sizeof(initrd), 256 * MiB);
	cr_assert_gt(l.res.initrd_gpa + sizeof(initrd) + 4096, 256 * MiB);
	cr_assert_eq(l.bp.hdr.ramdisk_image, l.res.initrd_gpa);
	cr_assert_eq(l.bp.hdr.ramdisk_size, sizeof(initrd));
	g = guest_mem_ptr(&l.m, l.res.initrd_gpa, sizeof(initrd));
	cr_assert_arr_eq(g, initrd, sizeof(initrd));

	/* Identity page tables: PML4[0] -> PDPT. */
	{
		uint64_t pml4;

		cr_assert_eq(guest_mem_read(&l.m, HY_PML4_ADDR, &pml4, 8), 0);
		cr_assert_eq(pml4 & ~0xfffULL, HY_PDPT_ADDR);
	}
	guest_mem_free(&l.m);
	free(e.b);
}

Test(boot_elf_load, no_initrd)
{
	struct elf_img e = make_elf(1);
	struct loaded l;

	load(&l, &e, 64 * MiB, NULL, 0, NULL);
	cr_assert_eq(l.ret, 0, "%s", l.err);
	cr_assert_eq(l.bp.hdr.ramdisk_image, 0);
	cr_assert_eq(l.bp.hdr.ramdisk_size, 0);
	cr_assert_eq(l.res.initrd_size, 0);
	guest_mem_free(&l.m);
	free(e.b);
}

Test(boot_elf_load, segment_beyond_ram)
{
	struct elf_img e = make_elf(1);
	struct loaded l;

	/* Ends 0x1000 past the end of a 256 MiB guest. */
	phdr(&e, 1)->p_paddr = 256 * MiB - E_DATA_MEMSZ + 0x1000;
	load(&l, &e, 256 * MiB, NULL, 0, "");
	cr_assert_eq(l.ret, -ENOMEM);
	cr_assert_not_null(strstr(l.err, "outside guest RAM"), "%s", l.err);
	/* Nothing was written: the text segment's RAM is still dirty. */
	cr_assert_eq(*(uint8_t *)guest_mem_ptr(&l.m, E_TEXT_PADDR, 1), 0xaa);
	guest_mem_free(&l.m);
	free(e.b);
}

Test(boot_elf_load, segment_in_mmio_hole)
{
	struct elf_img e = make_elf(1);
	struct loaded l;

	/* 4 GiB of RAM: low RAM stops at the hole; no segment may go there. */
	phdr(&e, 1)->p_paddr = HY_MMIO_HOLE_START - 0x1000;
	load(&l, &e, 4096 * MiB, NULL, 0, "");
	cr_assert_eq(l.ret, -ENOMEM);
	guest_mem_free(&l.m);
	free(e.b);
}

Test(boot_elf_load, segment_below_1m)
{
	struct elf_img e = make_elf(1);
	struct loaded l;

	phdr(&e, 1)->p_paddr = HY_ZERO_PAGE;
	load(&l, &e, 256 * MiB, NULL, 0, "");
	cr_assert_eq(l.ret, -EINVAL);
	cr_assert_not_null(strstr(l.err, "below 1 MiB"), "%s", l.err);
	guest_mem_free(&l.m);
	free(e.b);
}

Test(boot_elf_load, cmdline_too_long)
{
	struct elf_img e = make_elf(1);
	char cmd[BOOT_ELF_CMDLINE_MAX + 2];
	struct loaded l;

	memset(cmd, 'a', sizeof(cmd) - 1);
	cmd[sizeof(cmd) - 1] = 0;
	load(&l, &e, 256 * MiB, NULL, 0, cmd);
	cr_assert_eq(l.ret, -E2BIG);
	cmd[sizeof(cmd) - 2] = 0; /* exactly the maximum */
	guest_mem_free(&l.m);
	load(&l, &e, 256 * MiB, NULL, 0, cmd);
	cr_assert_eq(l.ret, 0, "%s", l.err);
	guest_mem_free(&l.m);
	free(e.b);
}

Test(boot_elf_load, initrd_does_not_fit)
{
	struct elf_img e = make_elf(1);
	struct loaded l;
	size_t big = 16 * MiB;
	uint8_t *initrd = calloc(1, big);

	cr_assert_not_null(initrd);
	/* 32 MiB of RAM, kernel up to ~18 MiB: 16 MiB of initrd cannot fit above it. */
	load(&l, &e, 32 * MiB, initrd, big, "");
	cr_assert_eq(l.ret, -ENOMEM, "%s", l.err);
	guest_mem_free(&l.m);
	free(initrd);
	free(e.b);
}

Test(boot_elf_real, built_vmlinux)
{
	struct boot_elf_info info;
	struct elf_img e;
	struct loaded l;
	struct stat st;
	char err[256];
	FILE *f;

	if (stat(REAL_VMLINUX, &st) < 0)
		cr_skip_test("%s is not present (run hack/build-kernel)", REAL_VMLINUX);
	e.size = (size_t)st.st_size;
	e.b = malloc(e.size);
	cr_assert_not_null(e.b);
	f = fopen(REAL_VMLINUX, "rb");
	cr_assert_not_null(f);
	cr_assert_eq(fread(e.b, 1, e.size, f), e.size);
	fclose(f);

	cr_assert_eq(boot_elf_is_elf(e.b, e.size), 1);
	cr_assert_eq(boot_elf_parse(e.b, e.size, &info, err, sizeof(err)), 0, "%s", err);
	/* CONFIG_PHYSICAL_START: startup_64 at 16 MiB; the PVH entry a bit above. */
	cr_assert_eq(info.entry, 0x1000000);
	cr_assert_eq(info.load_start, 0x1000000);
	cr_assert_neq(info.pvh_entry, 0, "no PVH note (CONFIG_PVH off?)");
	cr_assert_gt(info.pvh_entry, info.load_start);
	cr_assert_lt(info.pvh_entry, info.load_end);

	load(&l, &e, 256 * MiB, "070701", 6, "console=ttyS0");
	cr_assert_eq(l.ret, 0, "%s", l.err);
	cr_assert_eq(l.res.entry, 0x1000000);
	cr_assert_geq(l.res.initrd_gpa, info.load_end);
	guest_mem_free(&l.m);
	free(e.b);
}

static int memfile(const void *data, size_t len)
{
	int fd = memfd_create("hyrun-test", MFD_CLOEXEC);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, data, len), (ssize_t)len);
	return fd;
}

/* From a file: headers and notes read with pread, segments straight into RAM. */
Test(boot_elf_load, from_file)
{
	struct elf_img e = make_elf(1);
	struct boot_file f = {.data = NULL, .fd = memfile(e.b, e.size), .size = e.size};
	struct boot_x86_params p = {.kernel = f, .initrd = {.data = NULL, .fd = -1, .size = 0}};
	struct boot_x86_result res;
	struct boot_elf_info info;
	struct guest_mem m;
	char err[256] = "";
	uint8_t *g;

	cr_assert_eq(boot_elf_parse_file(&f, &info, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(info.pvh_entry, E_PVH);
	cr_assert_eq(info.entry, E_ENTRY);
	cr_assert_eq(guest_mem_init(&m, 64 * MiB, 0, NULL, 0), 0);
	memset(guest_mem_ptr(&m, E_DATA_PADDR, E_DATA_MEMSZ), 0xaa, E_DATA_MEMSZ);
	cr_assert_eq(boot_elf_load(&m, &p, &res, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(res.entry, E_ENTRY);
	g = guest_mem_ptr(&m, E_TEXT_PADDR, E_TEXT_SIZE);
	cr_assert_arr_eq(g, e.b + E_TEXT_OFF, E_TEXT_SIZE);
	g = guest_mem_ptr(&m, E_DATA_PADDR, E_DATA_MEMSZ);
	cr_assert_arr_eq(g, e.b + E_DATA_OFF, E_DATA_FILESZ);
	for (size_t i = E_DATA_FILESZ; i < E_DATA_MEMSZ; i++)
		cr_assert_eq(g[i], 0, "bss byte %zu", i);

	/* The file shrinks after its size was taken: a clear error, not garbage. */
	cr_assert_eq(ftruncate(f.fd, E_DATA_OFF + 10), 0);
	cr_assert_eq(boot_elf_load(&m, &p, &res, err, sizeof(err)), -EIO);
	cr_assert(strstr(err, "PT_LOAD segment 1") && strstr(err, "ended early"), "message: %s",
		  err);
	/* A file too short for its segments is refused by the parse. */
	f.size = E_NOTE_OFF;
	cr_assert_eq(ftruncate(f.fd, E_NOTE_OFF), 0);
	cr_assert_eq(boot_elf_parse_file(&f, &info, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "truncated"), "message: %s", err);
	close(f.fd);
	guest_mem_free(&m);
	free(e.b);
}
