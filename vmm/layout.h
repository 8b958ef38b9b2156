/* layout.h: the guest-physical memory map and fixed resources of a hyrun microVM. */
#ifndef HYRUN_VMM_LAYOUT_H
#define HYRUN_VMM_LAYOUT_H

#include "common/plan.h"

/*
 * Low memory (below 1 MiB):
 *   0x000500  GDT (boot segments, entered directly in 64-bit mode)
 *   0x000540  IDT (empty; interrupts stay off until the kernel loads its own)
 *   0x007000  zero page (struct boot_params)
 *   0x008ff0  initial stack pointer
 *   0x009000  PML4, 0x00a000 PDPT, 0x00b000..0x00efff four PDs:
 *             identity map of the first 4 GiB with 2 MiB pages
 *   0x020000  kernel command line (up to HY_CMDLINE_MAX bytes)
 *   0x09fc00  start of the reserved area (EBDA .. BIOS)
 *   0x0e0000  ACPI tables, RSDP first (the kernel also scans here)
 *   0x100000  the kernel's protected-mode code (bzImage)
 * RAM above 1 MiB continues to min(mem, HY_MMIO_HOLE_START); anything beyond
 * that is placed from 4 GiB upwards. The hole holds the virtio-mmio windows,
 * the IOAPIC and the LAPIC.
 */
#define HY_GDT_ADDR 0x500ULL
#define HY_IDT_ADDR 0x540ULL
#define HY_ZERO_PAGE 0x7000ULL
#define HY_BOOT_STACK 0x8ff0ULL
#define HY_PML4_ADDR 0x9000ULL
#define HY_PDPT_ADDR 0xa000ULL
#define HY_PD_ADDR 0xb000ULL /* four consecutive pages */
#define HY_CMDLINE_ADDR 0x20000ULL
#define HY_CMDLINE_MAX 0x10000ULL
#define HY_EBDA_START 0x9fc00ULL
#define HY_ACPI_ADDR 0xe0000ULL
#define HY_ACPI_MAX 0x20000ULL /* up to 1 MiB */
#define HY_HIMEM_START 0x100000ULL
#define HY_KERNEL_LOAD 0x100000ULL

#define HY_MMIO_HOLE_START 0xc0000000ULL
#define HY_MMIO_HOLE_END 0x100000000ULL
#define HY_IOAPIC_ADDR 0xfec00000ULL
#define HY_LAPIC_ADDR 0xfee00000ULL
#define HY_KVM_TSS_ADDR 0xfffbd000ULL
#define HY_KVM_IDMAP_ADDR 0xfffbc000ULL

/* virtio-mmio windows: device i at BASE + i * SIZE, on GSI IRQ_BASE + i
 * (edge-triggered, active high, as the DSDT describes them). */
#define HY_VIRTIO_MMIO_BASE 0xd0000000ULL
#define HY_VIRTIO_MMIO_SIZE 0x200ULL
#define HY_VIRTIO_IRQ_BASE 5
/* The console, then up to 10 shares and NICs together. The bound is the MP table: one interrupt
 * route per GSI (5..15) must fit in its 1 KiB with MPTABLE_MAX_CPUS processors (mptable.c asserts
 * it). */
#define HY_VIRTIO_MAX_DEVS 11

/* Legacy devices. */
#define HY_COM1_PORT 0x3f8
#define HY_COM1_IRQ 4
#define HY_I8042_DATA_PORT 0x60
#define HY_I8042_CMD_PORT 0x64

/*
 * ACPI hardware-reduced sleep control/status registers (FADT
 * SLEEP_CONTROL_REG / SLEEP_STATUS_REG), one byte each, in I/O space.
 * Writing SLP_EN | (SLP_TYP=HY_ACPI_S5_TYP) << 2 powers the VM off.
 */
#define HY_ACPI_SLEEP_CTL_PORT 0x3c0
#define HY_ACPI_SLEEP_STS_PORT 0x3c1
#define HY_ACPI_S5_TYP 5

/* The plan's limits (common/plan.h) are what the machine can hold. */
#define HY_MAX_VCPUS PLAN_MAX_VCPUS
_Static_assert(HY_VIRTIO_MAX_DEVS == PLAN_MAX_DEVICES,
	       "one virtio-mmio window per device the plan allows");
_Static_assert(PLAN_MAX_SHARES + 1 <= HY_VIRTIO_MAX_DEVS, "the console and every share fit");
_Static_assert(PLAN_MAX_NICS + 1 <= HY_VIRTIO_MAX_DEVS, "the console and every NIC fit");
_Static_assert(HY_VIRTIO_IRQ_BASE + HY_VIRTIO_MAX_DEVS - 1 <= 15,
	       "virtio GSIs stay in the MP table's ISA range");

#endif
