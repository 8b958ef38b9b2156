/* acpi.h: the firmware tables of a hyrun microVM: RSDP, XSDT, a
 * hardware-reduced FADT (with sleep registers for power-off), a DSDT that
 * describes the virtio-mmio devices (_HID "LNRO0005") and COM1, and a MADT. */
#ifndef HYRUN_VMM_ACPI_H
#define HYRUN_VMM_ACPI_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/guest_mem.h"

struct acpi_mmio_dev {
	uint64_t base;
	uint64_t size;
	uint32_t gsi;
};

struct acpi_config {
	unsigned nr_cpus;
	const struct acpi_mmio_dev *mmio_devs;
	unsigned nr_mmio_devs;
};

/*
 * Build all tables into `buf` (len bytes), laid out as they will sit in guest
 * memory at guest-physical address `gpa` (pointers inside the tables are
 * absolute gpas). RSDP first, at `gpa`. Returns the bytes used, or -ENOSPC.
 * Pure function: testable without a VM.
 */
long acpi_build(const struct acpi_config *cfg, uint64_t gpa, void *buf, size_t len);

/* acpi_build() into guest memory at HY_ACPI_ADDR. Returns the RSDP gpa (> 0) or -errno. */
long acpi_setup(struct guest_mem *m, const struct acpi_config *cfg);

/* Byte sum that makes a table's checksum field right (sum of all bytes == 0). */
uint8_t acpi_checksum(const void *data, size_t len);

#endif
