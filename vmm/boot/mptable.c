/* mptable.c: MultiProcessor Specification 1.4 floating pointer and configuration table. */
#include "vmm/boot/mptable.h"

#include <errno.h>
#include <string.h>

#include "vmm/layout.h"

/*
 * A kernel with ACPI takes its processors and interrupt routing from the MADT
 * (vmm/boot/acpi.c); one built without ACPI, like the fast-boot kernel, finds them
 * only here. Both describe the same machine: APIC ids 0..n-1, one IOAPIC
 * with id 0 and GSI base 0, ISA IRQ n on IOAPIC pin n (no IRQ0 -> pin 2
 * override: KVM's default routing sends GSI n to pin n), LINT1 as NMI.
 *
 * Layout (MP spec 1.4, chapter 4): the 16-byte floating pointer, then the
 * configuration table header and its base entries sorted by type.
 */

#define MPF_SIZE 16
#define MPC_HDR_SIZE 44
#define MPC_PROC_SIZE 20
#define MPC_ENTRY_SIZE 8 /* bus, IOAPIC, I/O and local interrupt entries */

#define MP_SPEC_REV 4	       /* 1.4 */
#define MP_LAPIC_VERSION 0x14  /* integrated xAPIC, what KVM's LAPIC reports */
#define MP_IOAPIC_VERSION 0x11 /* KVM's in-kernel IOAPIC */
#define MP_IOAPIC_ID 0	       /* KVM's IOAPIC id after reset, as in the MADT */
#define MP_ISA_BUS_ID 0

#define MP_CPU_ENABLED 0x01
#define MP_CPU_BSP 0x02
/* CPU signature (family 6) and feature flags (FPU, APIC): informational only. */
#define MP_CPU_SIGNATURE 0x600
#define MP_CPU_FEATURES ((1u << 0) | (1u << 9))
#define MP_IOAPIC_USABLE 0x01

/* Interrupt types (table 4-8); flags 0 = "conforms to the bus": edge, active
 * high on ISA, which is also how the virtio-mmio interrupts are signalled. */
#define MP_INT 0
#define MP_NMI 1
#define MP_EXTINT 3
#define MP_IRQ_CONFORMS 0
#define MP_ALL_LAPICS 0xff

#define ISA_IRQS 16
#define IOAPIC_PINS 24 /* KVM_IOAPIC_NUM_PINS */

/* Routes for the ISA IRQs plus the virtio GSIs above them (those below 16
 * are ISA IRQs already). */
#define VIRTIO_GSI_END (HY_VIRTIO_IRQ_BASE + HY_VIRTIO_MAX_DEVS)
#define NR_IRQ_ROUTES (VIRTIO_GSI_END > ISA_IRQS ? VIRTIO_GSI_END : ISA_IRQS)
_Static_assert(VIRTIO_GSI_END <= IOAPIC_PINS, "virtio GSIs must be IOAPIC pins");
/* Floating pointer, header, processors, bus + IOAPIC, routes, LINT0 + LINT1. */
#define TABLE_SIZE(cpus)                                                                           \
	(MPF_SIZE + MPC_HDR_SIZE + (size_t)(cpus)*MPC_PROC_SIZE +                                  \
	 MPC_ENTRY_SIZE * (2 + NR_IRQ_ROUTES + 2))

_Static_assert(TABLE_SIZE(MPTABLE_MAX_CPUS) <= MPTABLE_MAX,
	       "MPTABLE_MAX_CPUS processors must fit in MPTABLE_MAX");
_Static_assert(HY_MAX_VCPUS <= MPTABLE_MAX_CPUS, "the MP table cannot list every vCPU");

static void put8(uint8_t **p, unsigned v)
{
	*(*p)++ = (uint8_t)v;
}

static void put16(uint8_t **p, unsigned v)
{
	put8(p, v & 0xff);
	put8(p, (v >> 8) & 0xff);
}

static void put32(uint8_t **p, uint32_t v)
{
	put16(p, v & 0xffff);
	put16(p, v >> 16);
}

static void putstr(uint8_t **p, const char *s, size_t n)
{
	memcpy(*p, s, n);
	*p += n;
}

/* The byte that makes the sum of [b, b + n) zero (spec: all checksums). */
static uint8_t checksum(const uint8_t *b, size_t n)
{
	uint8_t sum = 0;

	while (n--)
		sum = (uint8_t)(sum + *b++);
	return (uint8_t)-sum;
}

static void put_irq_entry(uint8_t **p, unsigned type, unsigned irqtype, unsigned bus,
			  unsigned bus_irq, unsigned apic, unsigned pin)
{
	put8(p, type);
	put8(p, irqtype);
	put16(p, MP_IRQ_CONFORMS);
	put8(p, bus);
	put8(p, bus_irq);
	put8(p, apic);
	put8(p, pin);
}

long mptable_build(unsigned nr_cpus, uint64_t gpa, void *buf, size_t len)
{
	uint8_t *start = buf, *p = buf, *mpc;
	unsigned i, entries;
	size_t size;

	if (!nr_cpus || nr_cpus > MPTABLE_MAX_CPUS)
		return -EINVAL;
	/* The floating pointer must be paragraph aligned and both structures
	 * addressable with 32-bit pointers. */
	size = TABLE_SIZE(nr_cpus);
	if (gpa & 0xf || gpa > UINT32_MAX - size)
		return -EINVAL;
	if (!buf || len < size)
		return -ENOSPC;
	memset(buf, 0, size);

	/* Floating pointer (spec 4.1). feature byte 1 = 0: a configuration
	 * table is present; feature byte 2 = 0: virtual wire mode, no IMCR. */
	putstr(&p, "_MP_", 4);
	put32(&p, (uint32_t)(gpa + MPF_SIZE));
	put8(&p, MPF_SIZE / 16);
	put8(&p, MP_SPEC_REV);
	p += 1 + 5; /* checksum, features 1-5 */

	/* Configuration table header (spec 4.2). */
	mpc = p;
	entries = nr_cpus + 2 + NR_IRQ_ROUTES + 2;
	putstr(&p, "PCMP", 4);
	put16(&p, (unsigned)(size - MPF_SIZE));
	put8(&p, MP_SPEC_REV);
	p++; /* checksum */
	putstr(&p, "HYRUN   ", 8);
	putstr(&p, "MICROVM     ", 12);
	put32(&p, 0); /* no OEM table */
	put16(&p, 0);
	put16(&p, entries);
	put32(&p, (uint32_t)HY_LAPIC_ADDR);
	put16(&p, 0); /* no extended entries */
	put8(&p, 0);
	put8(&p, 0);

	/* Processors: the VMM gives vCPU i APIC id i; vCPU 0 boots. */
	for (i = 0; i < nr_cpus; i++) {
		put8(&p, MPTABLE_PROCESSOR);
		put8(&p, i);
		put8(&p, MP_LAPIC_VERSION);
		put8(&p, MP_CPU_ENABLED | (i == 0 ? MP_CPU_BSP : 0));
		put32(&p, MP_CPU_SIGNATURE);
		put32(&p, MP_CPU_FEATURES);
		p += 8; /* reserved */
	}

	put8(&p, MPTABLE_BUS);
	put8(&p, MP_ISA_BUS_ID);
	putstr(&p, "ISA   ", 6);

	put8(&p, MPTABLE_IOAPIC);
	put8(&p, MP_IOAPIC_ID);
	put8(&p, MP_IOAPIC_VERSION);
	put8(&p, MP_IOAPIC_USABLE);
	put32(&p, (uint32_t)HY_IOAPIC_ADDR);

	/* Identity routes; virtio GSIs at 16 and above ride on the ISA bus
	 * too (edge, active high), as Linux accepts any bus IRQ number. */
	for (i = 0; i < NR_IRQ_ROUTES; i++)
		put_irq_entry(&p, MPTABLE_IOINTR, MP_INT, MP_ISA_BUS_ID, i, MP_IOAPIC_ID, i);

	/* Virtual wire mode: the PIC's output on LINT0, NMI on LINT1. */
	put_irq_entry(&p, MPTABLE_LOCALINTR, MP_EXTINT, MP_ISA_BUS_ID, 0, MP_ALL_LAPICS, 0);
	put_irq_entry(&p, MPTABLE_LOCALINTR, MP_NMI, MP_ISA_BUS_ID, 0, MP_ALL_LAPICS, 1);

	mpc[7] = checksum(mpc, size - MPF_SIZE);
	start[10] = checksum(start, MPF_SIZE);
	return (long)size;
}

long mptable_setup(struct guest_mem *m, unsigned nr_cpus)
{
	uint8_t buf[MPTABLE_MAX];
	long n;
	int ret;

	_Static_assert(MPTABLE_ADDR >= HY_EBDA_START && MPTABLE_ADDR + MPTABLE_MAX <= HY_ACPI_ADDR,
		       "the MP table must sit in the reserved area, below the ACPI tables");
	n = mptable_build(nr_cpus, MPTABLE_ADDR, buf, sizeof(buf));
	if (n < 0)
		return n;
	ret = guest_mem_write(m, MPTABLE_ADDR, buf, (size_t)n);
	return ret ? ret : (long)MPTABLE_ADDR;
}
