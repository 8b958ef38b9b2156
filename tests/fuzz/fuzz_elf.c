/* fuzz_elf.c: boot_elf_parse() on the input, and boot_elf_load() into a 64 MiB guest
 * when it parses.
 *
 * The whole input is the ELF file; its last byte also picks the initrd. A
 * successful load must have put every PT_LOAD where its header says, inside
 * low RAM above 1 MiB.
 */
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "vmm/boot/elf.h"
#include "vmm/guest_mem.h"
#include "vmm/layout.h"

#define RAM_SIZE (64ULL << 20)

static struct guest_mem gm;
static uint8_t initrd[4096];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (guest_mem_init(&gm, RAM_SIZE, 0, NULL, 0))
		abort();
	for (size_t i = 0; i < sizeof(initrd); i++)
		initrd[i] = (uint8_t)(i * 31 + 7);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct boot_elf_info info;
	struct boot_x86_params p;
	struct boot_x86_result res;
	Elf64_Ehdr eh;
	char err[256];
	uint8_t opt = size ? data[size - 1] : 0;
	int ret;

	FUZZ_CHECK(boot_elf_is_elf(data, size) == (size >= 4 && !memcmp(data, ELFMAG, 4)));
	err[0] = 0;
	ret = boot_elf_parse(data, size, &info, err, sizeof(err));
	FUZZ_CHECK(ret == 0 || ret == -EINVAL);
	FUZZ_CHECK(memchr(err, 0, sizeof(err)));
	if (ret)
		return 0;
	FUZZ_CHECK(info.load_start <= info.load_end);
	FUZZ_CHECK(info.entry >= info.load_start && info.entry < info.load_end);

	memset(&p, 0, sizeof(p));
	p.kernel = (struct boot_file){.data = data, .fd = -1, .size = size};
	p.initrd.fd = -1;
	if (opt & 1) {
		p.initrd = (struct boot_file){
		    .data = initrd, .fd = -1, .size = (opt & 2) ? sizeof(initrd) : 5};
	}
	p.cmdline = (opt & 4) ? "console=ttyS0 quiet" : NULL;
	err[0] = 0;
	ret = boot_elf_load(&gm, &p, &res, err, sizeof(err));
	FUZZ_CHECK(memchr(err, 0, sizeof(err)));
	if (ret) {
		FUZZ_CHECK(ret < 0 && err[0]);
		return 0;
	}
	FUZZ_CHECK(res.entry == info.entry);
	FUZZ_CHECK(info.load_start >= HY_HIMEM_START && info.load_end <= guest_mem_low_end(&gm));

	/* Each PT_LOAD landed in guest RAM at p_paddr. */
	memcpy(&eh, data, sizeof(eh));
	for (unsigned i = 0; eh.e_phentsize == sizeof(Elf64_Phdr) && i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		FUZZ_CHECK(eh.e_phoff <= size && (i + 1ULL) * sizeof(ph) <= size - eh.e_phoff);
		memcpy(&ph, data + eh.e_phoff + (size_t)i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		FUZZ_CHECK(ph.p_paddr >= info.load_start &&
			   ph.p_paddr + ph.p_memsz <= info.load_end);
		FUZZ_CHECK(guest_mem_ptr(&gm, ph.p_paddr, ph.p_memsz));
	}
	if (p.initrd.size) {
		const void *g;

		FUZZ_CHECK(res.initrd_size == p.initrd.size && res.initrd_gpa % 4096 == 0);
		FUZZ_CHECK(res.initrd_gpa >= info.load_end);
		FUZZ_CHECK(res.initrd_gpa + res.initrd_size <= guest_mem_low_end(&gm));
		g = guest_mem_ptr(&gm, res.initrd_gpa, res.initrd_size);
		FUZZ_CHECK(g && !memcmp(g, initrd, p.initrd.size));
	}
	return 0;
}
