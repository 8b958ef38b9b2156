/* mptable.h: Intel MultiProcessor Specification 1.4 tables, which announce the
 * vCPUs, the IOAPIC and the interrupt routing to a guest kernel built without ACPI. */
#ifndef HYRUN_VMM_BOOT_MPTABLE_H
#define HYRUN_VMM_BOOT_MPTABLE_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/guest_mem.h"

/*
 * Where mptable_setup() writes: the first KiB of the reserved area below
 * 640 KiB, one of the places Linux scans for the floating pointer
 * (arch/x86/kernel/mpparse.c scans 0..1K, 639K..640K and 0xf0000..1M).
 */
#define MPTABLE_ADDR 0x9fc00ULL
#define MPTABLE_MAX 0x400ULL

/* Largest nr_cpus whose table still fits in MPTABLE_MAX bytes. */
#define MPTABLE_MAX_CPUS 40

/* Entry type codes (MP spec 1.4, table 4-3), for callers that walk a table. */
enum mptable_entry_type {
	MPTABLE_PROCESSOR = 0,
	MPTABLE_BUS = 1,
	MPTABLE_IOAPIC = 2,
	MPTABLE_IOINTR = 3,
	MPTABLE_LOCALINTR = 4,
};

/*
 * Build the floating pointer structure followed by the configuration table
 * into `buf` (len bytes) as they will sit in guest memory at `gpa` (16-byte
 * aligned, below 4 GiB): one processor entry per vCPU (APIC ids 0..nr_cpus-1,
 * cpu 0 the bootstrap processor), one ISA bus, the IOAPIC at HY_IOAPIC_ADDR,
 * identity routes for ISA IRQs 0-15 and every virtio-mmio GSI, LINT0 ExtINT
 * and LINT1 NMI. Returns the bytes used, -ENOSPC when len is too small
 * (nothing is written past buf + len) or -EINVAL for a bad nr_cpus or gpa.
 * Pure function: testable without a VM.
 */
long mptable_build(unsigned nr_cpus, uint64_t gpa, void *buf, size_t len);

/* mptable_build() into guest memory at MPTABLE_ADDR (at most MPTABLE_MAX
 * bytes). Returns the gpa of the floating pointer, or -errno. */
long mptable_setup(struct guest_mem *m, unsigned nr_cpus);

#endif
