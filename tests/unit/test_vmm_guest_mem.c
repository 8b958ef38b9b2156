/* test_vmm_guest_mem.c: guest RAM layout and the bounds checks of guest_mem_ptr(). */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "vmm/guest_mem.h"
#include "vmm/layout.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

Test(guest_mem, rejects_bad_sizes)
{
	struct guest_mem m;

	cr_assert_eq(guest_mem_init(&m, 8 * MiB, 0, NULL, 0), -EINVAL);
	cr_assert_eq(guest_mem_init(&m, 16 * MiB - 4096, 0, NULL, 0), -EINVAL);
	cr_assert_eq(guest_mem_init(&m, 16 * MiB + 100, 0, NULL, 0), -EINVAL);
	/* hugetlb backing needs whole 2 MiB pages. */
	cr_assert_eq(guest_mem_init(&m, 16 * MiB + 4096, GUEST_MEM_HUGEPAGES, NULL, 0), -EINVAL);
	cr_assert_eq(m.nr_regions, 0);
}

Test(guest_mem, small_single_region)
{
	struct guest_mem m;

	cr_assert_eq(guest_mem_init(&m, 64 * MiB, 0, NULL, 0), 0);
	cr_assert_eq(m.nr_regions, 1);
	cr_assert_eq(m.ram_size, 64 * MiB);
	cr_assert_eq(m.regions[0].gpa, 0);
	cr_assert_eq(m.regions[0].size, 64 * MiB);
	cr_assert_eq(guest_mem_low_end(&m), 64 * MiB);
	guest_mem_free(&m);
	cr_assert_eq(m.nr_regions, 0);
	/* A second free of the cleared struct is harmless. */
	guest_mem_free(&m);
}

Test(guest_mem, thp_flag_maps)
{
	struct guest_mem m;

	cr_assert_eq(guest_mem_init(&m, 32 * MiB, GUEST_MEM_THP, NULL, 0), 0);
	cr_assert_not_null(guest_mem_ptr(&m, 0, 32 * MiB));
	guest_mem_free(&m);
}

/* Guest RAM starts on a 2 MiB boundary, so KVM can map it with 2 MiB pages;
 * nothing of the alignment slack stays mapped around it. */
Test(guest_mem, aligned_to_2m)
{
	for (unsigned i = 0; i < 8; i++) {
		struct guest_mem m;
		uint8_t *p;
		unsigned char vec;

		cr_assert_eq(
		    guest_mem_init(&m, 34 * MiB + i * 4096, i % 2 ? GUEST_MEM_THP : 0, NULL, 0), 0);
		p = m.regions[0].host;
		cr_assert_eq((uintptr_t)p % (2 * MiB), 0, "guest RAM at %p", (void *)p);
		/* The reservation's tail is never empty and must be gone: mincore()
		 * fails with ENOMEM on an unmapped page. */
		cr_assert_eq(mincore(p + m.ram_size, 4096, &vec), -1);
		cr_assert_eq(errno, ENOMEM);
		p[0] = 1;
		p[m.ram_size - 1] = 1;
		guest_mem_free(&m);
	}
}

Test(guest_mem, ptr_inside_and_edges)
{
	struct guest_mem m;
	uint8_t *base;

	cr_assert_eq(guest_mem_init(&m, 16 * MiB, 0, NULL, 0), 0);
	base = m.regions[0].host;
	cr_assert_eq(guest_mem_ptr(&m, 0, 1), base);
	cr_assert_eq(guest_mem_ptr(&m, 0x1234, 16), base + 0x1234);
	cr_assert_eq(guest_mem_ptr(&m, 0, 16 * MiB), base);
	cr_assert_eq(guest_mem_ptr(&m, 16 * MiB - 1, 1), base + 16 * MiB - 1);
	/* len 0 is fine inside and exactly at the end. */
	cr_assert_eq(guest_mem_ptr(&m, 100, 0), base + 100);
	cr_assert_eq(guest_mem_ptr(&m, 16 * MiB, 0), base + 16 * MiB);
	guest_mem_free(&m);
}

Test(guest_mem, ptr_rejects_outside)
{
	struct guest_mem m;

	cr_assert_eq(guest_mem_init(&m, 16 * MiB, 0, NULL, 0), 0);
	/* Straddling the end. */
	cr_assert_null(guest_mem_ptr(&m, 16 * MiB - 1, 2));
	cr_assert_null(guest_mem_ptr(&m, 0, 16 * MiB + 1));
	/* Above the end, len 0 included. */
	cr_assert_null(guest_mem_ptr(&m, 16 * MiB, 1));
	cr_assert_null(guest_mem_ptr(&m, 16 * MiB + 1, 0));
	cr_assert_null(guest_mem_ptr(&m, HY_MMIO_HOLE_END, 1));
	/* gpa + len wraps around: must not look like a small range. */
	cr_assert_null(guest_mem_ptr(&m, UINT64_MAX, 1));
	cr_assert_null(guest_mem_ptr(&m, UINT64_MAX - 10, 20));
	cr_assert_null(guest_mem_ptr(&m, 4096, UINT64_MAX));
	cr_assert_null(guest_mem_ptr(&m, 4096, UINT64_MAX - 4095));
	cr_assert_null(guest_mem_ptr(&m, UINT64_MAX, 0));
	cr_assert_null(guest_mem_ptr(NULL, 0, 1));
	guest_mem_free(&m);
}

Test(guest_mem, copy_helpers)
{
	struct guest_mem m;
	char out[6] = {0};

	cr_assert_eq(guest_mem_init(&m, 16 * MiB, 0, NULL, 0), 0);
	cr_assert_eq(guest_mem_write(&m, 0x5000, "hello", 6), 0);
	cr_assert_eq(guest_mem_read(&m, 0x5000, out, 6), 0);
	cr_assert_str_eq(out, "hello");
	cr_assert_eq(memcmp(m.regions[0].host + 0x5000, "hello", 6), 0);
	cr_assert_eq(guest_mem_write(&m, 16 * MiB - 3, "hello", 6), -EFAULT);
	cr_assert_eq(guest_mem_read(&m, UINT64_MAX - 2, out, 6), -EFAULT);
	guest_mem_free(&m);
}

/* MAP_NORESERVE lets these map more than the build machine has. */
Test(guest_mem, exactly_hole_start_is_one_region)
{
	struct guest_mem m;

	cr_assert_eq(guest_mem_init(&m, HY_MMIO_HOLE_START, 0, NULL, 0), 0);
	cr_assert_eq(m.nr_regions, 1);
	cr_assert_eq(guest_mem_low_end(&m), HY_MMIO_HOLE_START);
	cr_assert_not_null(guest_mem_ptr(&m, HY_MMIO_HOLE_START - 8, 8));
	cr_assert_null(guest_mem_ptr(&m, HY_MMIO_HOLE_START - 8, 9));
	cr_assert_null(guest_mem_ptr(&m, HY_MMIO_HOLE_END, 0));
	guest_mem_free(&m);
}

Test(guest_mem, big_two_regions)
{
	struct guest_mem m;
	uint64_t size = 5 * GiB;
	uint64_t high = size - HY_MMIO_HOLE_START;
	uint8_t *p;

	cr_assert_eq(guest_mem_init(&m, size, 0, NULL, 0), 0);
	cr_assert_eq(m.nr_regions, 2);
	cr_assert_eq(m.ram_size, size);
	cr_assert_eq(m.regions[0].gpa, 0);
	cr_assert_eq(m.regions[0].size, HY_MMIO_HOLE_START);
	cr_assert_eq(m.regions[1].gpa, HY_MMIO_HOLE_END);
	cr_assert_eq(m.regions[1].size, high);
	cr_assert_eq(guest_mem_low_end(&m), HY_MMIO_HOLE_START);

	/* Low region end, len 0 at the end, straddling into the hole. */
	cr_assert_eq(guest_mem_ptr(&m, HY_MMIO_HOLE_START - 1, 1),
		     m.regions[0].host + HY_MMIO_HOLE_START - 1);
	cr_assert_not_null(guest_mem_ptr(&m, HY_MMIO_HOLE_START, 0));
	cr_assert_null(guest_mem_ptr(&m, HY_MMIO_HOLE_START - 1, 2));
	/* Anywhere in the hole (virtio-mmio, IOAPIC, LAPIC). */
	cr_assert_null(guest_mem_ptr(&m, HY_MMIO_HOLE_START, 1));
	cr_assert_null(guest_mem_ptr(&m, HY_VIRTIO_MMIO_BASE, 4));
	cr_assert_null(guest_mem_ptr(&m, HY_LAPIC_ADDR, 4));
	cr_assert_null(guest_mem_ptr(&m, HY_MMIO_HOLE_END - 1, 1));
	/* A range spanning the hole from low into high RAM. */
	cr_assert_null(guest_mem_ptr(&m, HY_MMIO_HOLE_START - 4096, 2 * GiB));
	cr_assert_null(guest_mem_ptr(&m, HY_MMIO_HOLE_END - 1, 2));

	/* High region. */
	cr_assert_eq(guest_mem_ptr(&m, HY_MMIO_HOLE_END, 8), m.regions[1].host);
	cr_assert_eq(guest_mem_ptr(&m, HY_MMIO_HOLE_END + high - 8, 8),
		     m.regions[1].host + high - 8);
	cr_assert_not_null(guest_mem_ptr(&m, HY_MMIO_HOLE_END + high, 0));
	cr_assert_null(guest_mem_ptr(&m, HY_MMIO_HOLE_END + high - 8, 9));
	cr_assert_null(guest_mem_ptr(&m, HY_MMIO_HOLE_END + high, 1));
	cr_assert_null(guest_mem_ptr(&m, HY_MMIO_HOLE_END + 16, UINT64_MAX - 8));

	/* The two regions are distinct RAM. */
	p = guest_mem_ptr(&m, HY_MMIO_HOLE_END, 1);
	*p = 0xa5;
	cr_assert_eq(*(uint8_t *)guest_mem_ptr(&m, 0, 1), 0);
	cr_assert_eq(m.regions[1].host[0], 0xa5);
	guest_mem_free(&m);
}
