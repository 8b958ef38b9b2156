/* test_vmm_boot_mptable.c: MP spec 1.4 floating pointer and configuration table. */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "vmm/layout.h"
#include "vmm/boot/mptable.h"

#define MiB (1ULL << 20)

static uint8_t sum8(const uint8_t *b, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *b++);
	return s;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

struct counts {
	unsigned type[5];
	unsigned bsp;
	uint32_t irq_routes; /* bit n: ISA/bus IRQ n routed to IOAPIC pin n */
	unsigned extint_lint0, nmi_lint1;
};

/* Check both checksums and every entry; return the counts by type. */
static struct counts check_table(const uint8_t *buf, long n, uint64_t gpa, unsigned nr_cpus)
{
	struct counts c;
	const uint8_t *mpc, *e, *end;
	unsigned i, cpu = 0, nr_entries;
	uint8_t ioapic_id = 0xff;

	memset(&c, 0, sizeof(c));
	cr_assert_gt(n, 16 + 44);

	/* Floating pointer. */
	cr_assert_eq(memcmp(buf, "_MP_", 4), 0);
	cr_assert_eq(le32(buf + 4), gpa + 16, "physptr %#x", le32(buf + 4));
	cr_assert_eq(buf[8], 1, "length in paragraphs");
	cr_assert_eq(buf[9], 4, "spec revision 1.4");
	cr_assert_eq(sum8(buf, 16), 0, "floating pointer checksum");
	cr_assert_eq(buf[11], 0, "feature byte 1: a configuration table follows");

	/* Configuration table at physptr. */
	mpc = buf + (le32(buf + 4) - gpa);
	cr_assert_eq(memcmp(mpc, "PCMP", 4), 0);
	cr_assert_eq(le16(mpc + 4), n - 16, "base table length");
	cr_assert_eq(mpc[6], 4);
	cr_assert_eq(sum8(mpc, le16(mpc + 4)), 0, "configuration table checksum");
	cr_assert_eq(le32(mpc + 36), HY_LAPIC_ADDR);
	cr_assert_eq(le16(mpc + 40), 0, "no extended table");
	nr_entries = le16(mpc + 34);

	e = mpc + 44;
	end = mpc + le16(mpc + 4);
	for (i = 0; i < nr_entries; i++) {
		cr_assert_lt(e, end, "entry %u past the table", i);
		cr_assert_leq(e[0], 4, "entry %u has type %u", i, e[0]);
		c.type[e[0]]++;
		switch (e[0]) {
		case 0:
			cr_assert_eq(e[1], cpu, "processor APIC id");
			cr_assert(e[3] & 1, "processor %u not enabled", cpu);
			if (e[3] & 2) {
				c.bsp++;
				cr_assert_eq(cpu, 0, "BSP flag on cpu %u", cpu);
			}
			cpu++;
			e += 20;
			break;
		case 1:
			cr_assert_eq(memcmp(e + 2, "ISA   ", 6), 0);
			e += 8;
			break;
		case 2:
			ioapic_id = e[1];
			cr_assert(e[3] & 1, "IOAPIC usable");
			cr_assert_eq(le32(e + 4), HY_IOAPIC_ADDR);
			e += 8;
			break;
		case 3:
			cr_assert_eq(e[1], 0, "INT type");
			cr_assert_eq(e[6], ioapic_id, "route to the IOAPIC listed before");
			cr_assert_eq(e[5], e[7], "identity route, IRQ %u -> pin %u", e[5], e[7]);
			cr_assert_lt(e[7], 24);
			c.irq_routes |= 1u << e[7];
			e += 8;
			break;
		case 4:
			if (e[1] == 3 && e[7] == 0)
				c.extint_lint0++;
			if (e[1] == 1 && e[7] == 1)
				c.nmi_lint1++;
			e += 8;
			break;
		}
	}
	cr_assert_eq(e, end, "entries end at the table's length");
	cr_assert_eq(cpu, nr_cpus);
	return c;
}

static void check_cpus(unsigned nr_cpus)
{
	uint8_t buf[MPTABLE_MAX];
	struct counts c;
	uint32_t virtio = 0;
	unsigned i;
	long n;

	n = mptable_build(nr_cpus, MPTABLE_ADDR, buf, sizeof(buf));
	cr_assert_gt(n, 0, "mptable_build(%u) = %ld", nr_cpus, n);
	cr_assert_leq(n, MPTABLE_MAX);
	c = check_table(buf, n, MPTABLE_ADDR, nr_cpus);
	cr_assert_eq(c.type[0], nr_cpus);
	cr_assert_eq(c.bsp, 1);
	cr_assert_eq(c.type[1], 1);
	cr_assert_eq(c.type[2], 1);
	cr_assert_eq(c.type[4], 2);
	cr_assert_eq(c.extint_lint0, 1);
	cr_assert_eq(c.nmi_lint1, 1);
	for (i = 0; i < HY_VIRTIO_MAX_DEVS; i++)
		virtio |= 1u << (HY_VIRTIO_IRQ_BASE + i);
	cr_assert_eq(c.irq_routes & 0xffff, 0xffff, "ISA IRQs 0-15 all routed");
	cr_assert_eq(c.irq_routes & virtio, virtio, "virtio GSIs routed");
	cr_assert_eq(c.type[3], (unsigned)__builtin_popcount(c.irq_routes), "no duplicate route");
}

Test(mptable, one_cpu)
{
	check_cpus(1);
}

Test(mptable, two_cpus)
{
	check_cpus(2);
}

Test(mptable, eight_cpus)
{
	check_cpus(8);
}

Test(mptable, max_cpus)
{
	check_cpus(HY_MAX_VCPUS);
	check_cpus(MPTABLE_MAX_CPUS);
}

Test(mptable, size_grows_with_cpus)
{
	uint8_t buf[MPTABLE_MAX];
	long one = mptable_build(1, MPTABLE_ADDR, buf, sizeof(buf));
	long eight = mptable_build(8, MPTABLE_ADDR, buf, sizeof(buf));

	cr_assert_eq(eight - one, 7 * 20);
}

Test(mptable, bad_arguments)
{
	uint8_t buf[MPTABLE_MAX];

	cr_assert_eq(mptable_build(0, MPTABLE_ADDR, buf, sizeof(buf)), -EINVAL);
	cr_assert_eq(mptable_build(MPTABLE_MAX_CPUS + 1, MPTABLE_ADDR, buf, sizeof(buf)), -EINVAL);
	cr_assert_eq(mptable_build(2, MPTABLE_ADDR + 8, buf, sizeof(buf)), -EINVAL);
	cr_assert_eq(mptable_build(2, 0xfffffff0ULL, buf, sizeof(buf)), -EINVAL);
	cr_assert_eq(mptable_build(2, 1ULL << 32, buf, sizeof(buf)), -EINVAL);
}

Test(mptable, too_small_buffer)
{
	uint8_t buf[MPTABLE_MAX + 16];
	long need;

	need = mptable_build(4, MPTABLE_ADDR, buf, MPTABLE_MAX);
	cr_assert_gt(need, 0);
	memset(buf, 0xee, sizeof(buf));
	cr_assert_eq(mptable_build(4, MPTABLE_ADDR, buf, (size_t)need - 1), -ENOSPC);
	cr_assert_eq(buf[need - 1], 0xee, "wrote past the buffer");
	cr_assert_eq(mptable_build(4, MPTABLE_ADDR, buf, (size_t)need), need);
	cr_assert_eq(buf[need], 0xee, "wrote past the table");
}

Test(mptable, other_address)
{
	uint8_t buf[MPTABLE_MAX];
	long n = mptable_build(3, 0xf0000, buf, sizeof(buf));

	check_table(buf, n, 0xf0000, 3);
}

Test(mptable, setup_in_guest_ram)
{
	struct guest_mem m;
	uint8_t want[MPTABLE_MAX], *g;
	long n, gpa;
	size_t i;

	cr_assert_eq(guest_mem_init(&m, 64 * MiB, 0, NULL, 0), 0);
	g = guest_mem_ptr(&m, 0, HY_HIMEM_START);
	cr_assert_not_null(g);
	memset(g, 0x5c, HY_HIMEM_START);
	gpa = mptable_setup(&m, 2);
	cr_assert_eq(gpa, MPTABLE_ADDR);
	n = mptable_build(2, MPTABLE_ADDR, want, sizeof(want));
	cr_assert_arr_eq(g + MPTABLE_ADDR, want, (size_t)n);
	/* Nothing outside the table changed: not the ACPI area, not RAM below the EBDA. */
	for (i = 0; i < HY_HIMEM_START; i++) {
		if (i >= MPTABLE_ADDR && i < MPTABLE_ADDR + (size_t)n)
			continue;
		cr_assert_eq(g[i], 0x5c, "byte at %#zx changed", i);
	}
	cr_assert_eq(mptable_setup(&m, 0), -EINVAL);
	guest_mem_free(&m);
}
