/* fuzz_bzimage.c: bzimage_parse() on the input, and boot_x86_load() into a 64 MiB guest
 * when it parses.
 *
 * The whole input is the image; its last byte also picks the initrd and the
 * command line length, which changes nothing a parser may rely on. After a
 * successful load, what landed in guest RAM must be where the result says.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "vmm/boot/x86.h"
#include "vmm/guest_mem.h"
#include "vmm/layout.h"

#define RAM_SIZE (64ULL << 20)

static struct guest_mem gm;
static uint8_t initrd[4096 + 3];
static uint8_t extra[100];
static char cmdline[4096];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (guest_mem_init(&gm, RAM_SIZE, 0, NULL, 0))
		abort();
	for (size_t i = 0; i < sizeof(initrd); i++)
		initrd[i] = (uint8_t)(i * 31 + 7);
	for (size_t i = 0; i < sizeof(extra); i++)
		extra[i] = (uint8_t)(i * 17 + 1);
	return 0;
}

static void check_guest(uint64_t gpa, const void *want, size_t len)
{
	const void *p = guest_mem_ptr(&gm, gpa, len);

	FUZZ_CHECK(p && !memcmp(p, want, len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bzimage_info info;
	struct boot_x86_params p;
	struct boot_x86_result res;
	const struct boot_params *bp;
	char err[256];
	uint8_t opt = size ? data[size - 1] : 0;
	size_t cmdline_len;
	uint64_t base, pad, want;
	int ret;

	err[0] = 0;
	ret = bzimage_parse(data, size, &info, err, sizeof(err));
	FUZZ_CHECK(ret == 0 || ret == -EINVAL);
	FUZZ_CHECK(memchr(err, 0, sizeof(err)));
	if (ret)
		return 0;
	FUZZ_CHECK(info.setup_size <= size && info.kernel_size == size - info.setup_size);
	FUZZ_CHECK(info.header_end <= size);
	FUZZ_CHECK(info.version >= 0x020c && (info.xloadflags & 1));

	memset(&p, 0, sizeof(p));
	p.kernel = (struct boot_file){.data = data, .fd = -1, .size = size};
	p.initrd.fd = -1;
	if (opt & 1)
		p.initrd = (struct boot_file){
		    .data = initrd, .fd = -1, .size = (opt & 2) ? sizeof(initrd) : 1};
	if (opt & 4) {
		p.initrd_extra = extra;
		p.initrd_extra_size = sizeof(extra);
	}
	cmdline_len = (opt & 8) ? (size_t)(opt >> 4) * 256 + 15 : 20;
	memset(cmdline, 'c', cmdline_len);
	cmdline[cmdline_len] = 0;
	p.cmdline = cmdline;
	p.acpi_rsdp = (opt & 0x10) ? HY_ACPI_ADDR : 0;
	err[0] = 0;
	ret = boot_x86_load(&gm, &p, &res, err, sizeof(err));
	FUZZ_CHECK(memchr(err, 0, sizeof(err)));
	if (ret) {
		FUZZ_CHECK(ret < 0 && err[0]);
		return 0;
	}
	FUZZ_CHECK(cmdline_len <= info.cmdline_size);
	FUZZ_CHECK(res.entry == HY_KERNEL_LOAD + 0x200 && res.zero_page == HY_ZERO_PAGE);
	check_guest(HY_KERNEL_LOAD, data + info.setup_size, info.kernel_size);
	check_guest(HY_CMDLINE_ADDR, cmdline, cmdline_len + 1);
	bp = guest_mem_ptr(&gm, HY_ZERO_PAGE, sizeof(*bp));
	FUZZ_CHECK(bp);
	FUZZ_CHECK(bp->hdr.cmd_line_ptr == HY_CMDLINE_ADDR);
	/* Either part alone is an initrd too; the appendix starts 4-aligned. */
	base = p.initrd.size;
	pad = p.initrd_extra ? (4 - base % 4) % 4 : 0;
	want = base + (p.initrd_extra ? pad + p.initrd_extra_size : 0);
	FUZZ_CHECK(res.initrd_size == want);
	if (want) {
		FUZZ_CHECK(res.initrd_gpa % 4096 == 0);
		/* Above the kernel's image, below the end of low RAM and the
		 * kernel's initrd_addr_max. */
		FUZZ_CHECK(res.initrd_gpa >= HY_KERNEL_LOAD + info.kernel_size);
		FUZZ_CHECK(res.initrd_gpa + res.initrd_size <= guest_mem_low_end(&gm));
		FUZZ_CHECK(res.initrd_gpa + res.initrd_size - 1 <= info.initrd_addr_max);
		FUZZ_CHECK(bp->hdr.ramdisk_image == res.initrd_gpa);
		FUZZ_CHECK(bp->hdr.ramdisk_size == res.initrd_size);
		if (base)
			check_guest(res.initrd_gpa, initrd, base);
		if (p.initrd_extra)
			check_guest(res.initrd_gpa + base + pad, extra, sizeof(extra));
	}
	/* Without one, bp->hdr.ramdisk_* keep the image's own bytes (the
	 * setup header is copied as is): not checked. */
	return 0;
}
