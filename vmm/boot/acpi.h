/* acpi.h: the firmware tables of a hyrun microVM: RSDP, XSDT, a
 * hardware-reduced FADT (with sleep registers for power-off), a DSDT that
 * describes the virtio-mmio devices (_HID "LNRO0005") and COM1, and a MADT. */
#ifndef HYRUN_VMM_BOOT_ACPI_H
#define HYRUN_VMM_BOOT_ACPI_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/guest_mem.h"

/* One virtio-mmio window: [base, base + size) must lie below 4 GiB (the DSDT
 * describes it with Memory32Fixed); gsi is an IOAPIC pin (< 24). */
struct acpi_mmio_dev {
	uint64_t base;
	uint64_t size;
	uint32_t gsi;
};

struct acpi_config {
	unsigned nr_cpus; /* 1..255: APIC ids are 0..nr_cpus-1 */
	const struct acpi_mmio_dev *mmio_devs;
	unsigned nr_mmio_devs; /* at most ACPI_MAX_MMIO_DEVS */
};

#define ACPI_MAX_MMIO_DEVS 256

/*
 * Build all tables into `buf` (len bytes), laid out as they will sit in guest
 * memory at guest-physical address `gpa` (pointers inside the tables are
 * absolute gpas). RSDP first, at `gpa` (keep it 16-byte aligned so that the
 * kernel's scan of 0xe0000..0xfffff finds it too), then XSDT, FADT, MADT and
 * DSDT. Returns the bytes used, -ENOSPC when `len` is too small (nothing is
 * written past buf + len), or -EINVAL for a config the tables cannot express.
 * Pure function: testable without a VM.
 */
long acpi_build(const struct acpi_config *cfg, uint64_t gpa, void *buf, size_t len);

/* acpi_build() into guest memory at HY_ACPI_ADDR (at most HY_ACPI_MAX bytes).
 * Returns the RSDP gpa (> 0), for boot_params.acpi_rsdp_addr, or -errno. */
long acpi_setup(struct guest_mem *m, const struct acpi_config *cfg);

/* Byte sum that makes a table's checksum field right (sum of all bytes == 0). */
uint8_t acpi_checksum(const void *data, size_t len);

/*
 * Encode an AML PkgLength (ACPI 6.5, 20.2.4) for a package whose contents
 * after the PkgLength are `content_len` bytes; the encoded value counts the
 * PkgLength bytes themselves. Writes 1..4 bytes to `out` and returns how many,
 * or -EINVAL when the package exceeds the 28-bit limit. Exposed for tests.
 */
int acpi_aml_pkglen(uint8_t out[4], size_t content_len);

#endif
