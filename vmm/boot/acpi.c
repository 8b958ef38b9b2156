/* acpi.c: ACPI tables of a hyrun microVM (RSDP, XSDT, FADT, MADT, DSDT) and an AML encoder. */
#include "vmm/boot/acpi.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <linux/kvm.h>

#include "vmm/layout.h"

/*
 * Platform model: an ACPI "hardware-reduced" machine (ACPI 6.5, 4.1), like
 * the microVMs of QEMU (microvm), Firecracker and Cloud Hypervisor. There is
 * no PM1 block, PM timer, GPE block, SCI or FACS; the only fixed hardware is
 * the sleep control/status register pair, which is all Linux needs to power
 * off through \_S5. On x86, Linux reacts to HW_REDUCED_ACPI by using no
 * legacy PIC and no PIT/HPET timer interrupt (acpi_generic_reduced_hw_init):
 * timekeeping comes from kvm-clock and the LAPIC timer, and every device
 * interrupt, legacy COM1 included, reaches Linux only through the IOAPIC pins
 * that the DSDT names.
 */

/* Identification written into every table header. */
#define OEM_ID "HYRUN "
#define OEM_TABLE_ID "HYRUNVM "
#define OEM_REVISION 1
#define CREATOR_ID "HYRN"
#define CREATOR_REVISION 1
#define HYPERVISOR_VENDOR_ID "HYRUNVMM"

#define TABLE_ALIGN 16
#define SDT_HEADER_LEN 36
#define SDT_LENGTH_OFF 4
#define SDT_CHECKSUM_OFF 9

/* RSDP (ACPI 6.5, 5.2.5.3), revision 2: 20-byte ACPI 1.0 part + extension. */
#define RSDP_LEN 36
#define RSDP_V1_LEN 20
#define RSDP_CHECKSUM_OFF 8
#define RSDP_XSDT_OFF 24
#define RSDP_EXT_CHECKSUM_OFF 32

/* FADT (ACPI 6.5, 5.2.9, table 5.9): revision 6 is 276 bytes. */
#define FADT_REVISION 6
#define FADT_MINOR_REVISION 5
#define FADT_LEN 276
#define FADT_DSDT_OFF 40
#define FADT_IAPC_BOOT_ARCH_OFF 109
#define FADT_FLAGS_OFF 112
#define FADT_MINOR_OFF 131
#define FADT_X_DSDT_OFF 140
#define FADT_SLEEP_CTL_OFF 244
#define FADT_SLEEP_STS_OFF 256
#define FADT_HV_VENDOR_OFF 268

/* FADT fixed feature flags (table 5.10). */
#define FADT_F_PWR_BUTTON (1u << 4) /* set: no fixed-hardware power button */
#define FADT_F_SLP_BUTTON (1u << 5) /* set: no fixed-hardware sleep button */
#define FADT_F_HW_REDUCED_ACPI (1u << 20)

/* IA-PC boot architecture flags (table 5.11). */
#define IAPC_VGA_NOT_PRESENT (1u << 2)
#define IAPC_MSI_NOT_SUPPORTED (1u << 3)
#define IAPC_PCIE_ASPM_CONTROLS (1u << 4)
#define IAPC_CMOS_RTC_NOT_PRESENT (1u << 5)

/* MADT (ACPI 6.5, 5.2.12). */
#define MADT_REVISION 5
#define MADT_PCAT_COMPAT (1u << 0)
#define MADT_LAPIC 0
#define MADT_IOAPIC 1
#define MADT_LAPIC_NMI 4
#define MADT_LAPIC_ENABLED (1u << 0)
#define MADT_ALL_PROCESSORS 0xff
#define MPS_INTI_ACTIVE_HIGH 0x1
#define MPS_INTI_EDGE (0x1 << 2)
#define IOAPIC_ID 0

/* DSDT revision 2 or later: AML integers are 64 bits wide (ACPI 6.5, 5.2.11.1). */
#define DSDT_REVISION 2

/* AML encoding (ACPI 6.5, 20.2). */
#define AML_ZERO 0x00
#define AML_ONE 0x01
#define AML_NAME 0x08
#define AML_BYTE_PREFIX 0x0a
#define AML_WORD_PREFIX 0x0b
#define AML_DWORD_PREFIX 0x0c
#define AML_STRING_PREFIX 0x0d
#define AML_QWORD_PREFIX 0x0e
#define AML_SCOPE 0x10
#define AML_BUFFER 0x11
#define AML_PACKAGE 0x12
#define AML_EXT_PREFIX 0x5b
#define AML_EXT_DEVICE 0x82
#define AML_ROOT_CHAR '\\'

/* Resource data types (ACPI 6.5, 6.4). */
#define RES_IO 0x47	     /* small item, 7 data bytes */
#define RES_END_TAG 0x79     /* small item, 1 data byte */
#define RES_MEM32_FIXED 0x86 /* large item */
#define RES_EXT_IRQ 0x89     /* large item */
#define RES_IRQ_CONSUMER (1u << 0)
#define RES_IRQ_EDGE (1u << 1)

/* PkgLength limits: the encoded value counts its own 1..4 bytes (20.2.4). */
#define PKGLEN_MAX_1 0x3f
#define PKGLEN_MAX_2 0xfff
#define PKGLEN_MAX_3 0xfffff
#define PKGLEN_MAX_4 0xfffffff

/*
 * Output cursor over a caller's buffer. A write that does not fit sets `full`
 * and drops it and everything after it, so builders need not check each put;
 * acpi_build() turns `full` into -ENOSPC at the end.
 */
struct blob {
	uint8_t *buf;
	size_t cap;
	size_t pos;
	bool full;
};

static void put(struct blob *b, const void *data, size_t n)
{
	if (b->full || n > b->cap - b->pos) {
		b->full = true;
		return;
	}
	memcpy(b->buf + b->pos, data, n);
	b->pos += n;
}

static void put_zeros(struct blob *b, size_t n)
{
	if (b->full || n > b->cap - b->pos) {
		b->full = true;
		return;
	}
	memset(b->buf + b->pos, 0, n);
	b->pos += n;
}

/* ACPI is little-endian whatever the host is. */
static void put_le(struct blob *b, uint64_t v, unsigned bytes)
{
	uint8_t t[8];

	for (unsigned i = 0; i < bytes; i++)
		t[i] = (uint8_t)(v >> (8 * i));
	put(b, t, bytes);
}

static void put8(struct blob *b, uint8_t v)
{
	put(b, &v, 1);
}

/* Patch bytes already written (a pointer or length known only later). */
static void poke_le(struct blob *b, size_t off, uint64_t v, unsigned bytes)
{
	if (b->full || off > b->pos || bytes > b->pos - off)
		return;
	for (unsigned i = 0; i < bytes; i++)
		b->buf[off + i] = (uint8_t)(v >> (8 * i));
}

static void poke(struct blob *b, size_t off, const void *data, size_t n)
{
	if (b->full || off > b->pos || n > b->pos - off)
		return;
	memcpy(b->buf + off, data, n);
}

static void align(struct blob *b, size_t a)
{
	put_zeros(b, (a - b->pos % a) % a);
}

uint8_t acpi_checksum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += p[i];
	return (uint8_t)(0 - sum);
}

/* ---- AML encoder ---------------------------------------------------------- */

int acpi_aml_pkglen(uint8_t out[4], size_t content_len)
{
	static const size_t max[4] = {PKGLEN_MAX_1, PKGLEN_MAX_2, PKGLEN_MAX_3, PKGLEN_MAX_4};

	for (unsigned n = 1; n <= 4; n++) {
		size_t total;

		if (content_len > max[n - 1] - n)
			continue;
		total = content_len + n;
		if (n == 1) {
			out[0] = (uint8_t)total;
			return 1;
		}
		/* Lead byte: bits 7-6 = count of following bytes, bits 3-0 = low nibble. */
		out[0] = (uint8_t)(((n - 1) << 6) | (total & 0xf));
		for (unsigned i = 1; i < n; i++)
			out[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
		return (int)n;
	}
	return -EINVAL;
}

/*
 * A package's PkgLength precedes its body but depends on the body's size, so
 * the body is written first and moved right by the PkgLength's size when the
 * package is closed. Packages nest: an inner close never moves an outer start.
 */
static size_t aml_pkg_begin(struct blob *b)
{
	return b->pos;
}

static void aml_pkg_end(struct blob *b, size_t start)
{
	uint8_t enc[4];
	size_t body;
	int n;

	if (b->full)
		return;
	body = b->pos - start;
	n = acpi_aml_pkglen(enc, body);
	if (n < 0 || (size_t)n > b->cap - b->pos) {
		b->full = true;
		return;
	}
	memmove(b->buf + start + n, b->buf + start, body);
	memcpy(b->buf + start, enc, (size_t)n);
	b->pos += (size_t)n;
}

/* NameString: an optional root prefix and one 4-character NameSeg (all names here). */
static void aml_name_string(struct blob *b, const char *name)
{
	if (*name == AML_ROOT_CHAR) {
		put8(b, AML_ROOT_CHAR);
		name++;
	}
	put(b, name, 4);
}

/* Smallest integer encoding (20.2.3). */
static void aml_int(struct blob *b, uint64_t v)
{
	if (v == 0) {
		put8(b, AML_ZERO);
	} else if (v == 1) {
		put8(b, AML_ONE);
	} else if (v <= UINT8_MAX) {
		put8(b, AML_BYTE_PREFIX);
		put_le(b, v, 1);
	} else if (v <= UINT16_MAX) {
		put8(b, AML_WORD_PREFIX);
		put_le(b, v, 2);
	} else if (v <= UINT32_MAX) {
		put8(b, AML_DWORD_PREFIX);
		put_le(b, v, 4);
	} else {
		put8(b, AML_QWORD_PREFIX);
		put_le(b, v, 8);
	}
}

static void aml_name_int(struct blob *b, const char *name, uint64_t v)
{
	put8(b, AML_NAME);
	aml_name_string(b, name);
	aml_int(b, v);
}

static void aml_name_str(struct blob *b, const char *name, const char *s)
{
	put8(b, AML_NAME);
	aml_name_string(b, name);
	put8(b, AML_STRING_PREFIX);
	put(b, s, strlen(s) + 1);
}

/* DefDevice := ExtOpPrefix DeviceOp PkgLength NameString TermList; close with aml_pkg_end(). */
static size_t aml_device_begin(struct blob *b, const char *name)
{
	size_t start;

	put8(b, AML_EXT_PREFIX);
	put8(b, AML_EXT_DEVICE);
	start = aml_pkg_begin(b);
	aml_name_string(b, name);
	return start;
}

/* DefScope := ScopeOp PkgLength NameString TermList; close with aml_pkg_end(). */
static size_t aml_scope_begin(struct blob *b, const char *name)
{
	size_t start;

	put8(b, AML_SCOPE);
	start = aml_pkg_begin(b);
	aml_name_string(b, name);
	return start;
}

/* ---- resource templates (ACPI 6.5, 6.4) ------------------------------------ */

/* I/O port range with 16-bit decode and a fixed base. */
static void res_io16(struct blob *r, uint16_t port, uint8_t len)
{
	put8(r, RES_IO);
	put8(r, 0x01);	    /* decodes all 16 address bits */
	put_le(r, port, 2); /* minimum base */
	put_le(r, port, 2); /* maximum base */
	put8(r, 1);	    /* alignment */
	put8(r, len);
}

static void res_mem32_fixed(struct blob *r, uint32_t base, uint32_t size)
{
	put8(r, RES_MEM32_FIXED);
	put_le(r, 9, 2); /* data length */
	put8(r, 0x01);	 /* read-write */
	put_le(r, base, 4);
	put_le(r, size, 4);
}

/* Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive) { gsi } */
static void res_ext_irq(struct blob *r, uint32_t gsi)
{
	put8(r, RES_EXT_IRQ);
	put_le(r, 6, 2); /* data length: flags, count, one number */
	put8(r, RES_IRQ_CONSUMER | RES_IRQ_EDGE);
	put8(r, 1);
	put_le(r, gsi, 4);
}

/*
 * Name (name, ResourceTemplate () { ... }): a Buffer holding the descriptors
 * in `r` and an End Tag. An End Tag checksum of 0 means "valid" (6.4.2.9),
 * which is what ASL compilers emit.
 */
static void aml_name_resources(struct blob *b, const char *name, struct blob *r)
{
	size_t start;

	put8(r, RES_END_TAG);
	put8(r, 0);
	if (r->full) {
		b->full = true;
		return;
	}
	put8(b, AML_NAME);
	aml_name_string(b, name);
	put8(b, AML_BUFFER);
	start = aml_pkg_begin(b);
	aml_int(b, r->pos);
	put(b, r->buf, r->pos);
	aml_pkg_end(b, start);
}

/* ---- tables --------------------------------------------------------------- */

static size_t sdt_begin(struct blob *b, const char sig[4], uint8_t revision)
{
	size_t start = b->pos;

	put(b, sig, 4);
	put_le(b, 0, 4); /* length: sdt_end() */
	put8(b, revision);
	put8(b, 0); /* checksum: sdt_checksum(), after every patch */
	put(b, OEM_ID, 6);
	put(b, OEM_TABLE_ID, 8);
	put_le(b, OEM_REVISION, 4);
	put(b, CREATOR_ID, 4);
	put_le(b, CREATOR_REVISION, 4);
	return start;
}

static void sdt_end(struct blob *b, size_t start)
{
	poke_le(b, start + SDT_LENGTH_OFF, b->pos - start, 4);
}

static void sdt_checksum(struct blob *b, size_t start)
{
	const uint8_t *l;
	uint32_t len;

	if (b->full)
		return;
	l = b->buf + start + SDT_LENGTH_OFF;
	len = (uint32_t)l[0] | (uint32_t)l[1] << 8 | (uint32_t)l[2] << 16 | (uint32_t)l[3] << 24;
	b->buf[start + SDT_CHECKSUM_OFF] = 0;
	b->buf[start + SDT_CHECKSUM_OFF] = acpi_checksum(b->buf + start, len);
}

static size_t build_rsdp(struct blob *b)
{
	size_t start = b->pos;

	put(b, "RSD PTR ", 8);
	put8(b, 0); /* checksum of the first 20 bytes */
	put(b, OEM_ID, 6);
	put8(b, 2);	 /* revision 2: ACPI 2.0+, has an XSDT */
	put_le(b, 0, 4); /* RsdtAddress: no RSDT, 64-bit Linux uses the XSDT */
	put_le(b, RSDP_LEN, 4);
	put_le(b, 0, 8); /* XsdtAddress: patched */
	put8(b, 0);	 /* extended checksum of all 36 bytes */
	put_zeros(b, 3);
	return start;
}

/* XSDT with two entries (FADT, MADT), patched once their addresses are known. */
static size_t build_xsdt(struct blob *b)
{
	size_t start = sdt_begin(b, "XSDT", 1);

	put_le(b, 0, 8);
	put_le(b, 0, 8);
	sdt_end(b, start);
	return start;
}

/* Generic Address Structure (5.2.3.2) for a one-byte register in I/O space. */
static void poke_gas_io8(struct blob *b, size_t off, uint16_t port)
{
	uint8_t gas[12] = {
	    1, /* address space: SystemIO */
	    8, /* register bit width */
	    0, /* bit offset */
	    1, /* access size: byte */
	    (uint8_t)port,
	    (uint8_t)(port >> 8),
	};

	poke(b, off, gas, sizeof(gas));
}

static size_t build_fadt(struct blob *b)
{
	size_t start = sdt_begin(b, "FACP", FADT_REVISION);

	put_zeros(b, FADT_LEN - SDT_HEADER_LEN);
	sdt_end(b, start);

	/*
	 * Hardware-reduced, as the peers do. PWR_BUTTON/SLP_BUTTON set say there
	 * are no fixed-hardware buttons. LOW_POWER_S0_IDLE_CAPABLE stays clear:
	 * a container VM never suspends, and setting it would only make Linux
	 * prefer s2idle for a suspend nobody asks for.
	 */
	poke_le(b, start + FADT_FLAGS_OFF,
		FADT_F_HW_REDUCED_ACPI | FADT_F_PWR_BUTTON | FADT_F_SLP_BUTTON, 4);

	/*
	 * Tell Linux what it must not probe: no VGA, no MSI and no ASPM (there
	 * is no PCI at all), and no CMOS RTC at 0x70 (the VMM emulates none;
	 * wall-clock time comes from kvm-clock), so rtc_cmos is not registered.
	 * The 8042 flag stays clear: Linux then treats the i8042 as absent and
	 * skips its probe; a reboot through port 0x64 does not need the driver.
	 * LEGACY_DEVICES stays clear: there are no other ISA devices to find.
	 */
	poke_le(b, start + FADT_IAPC_BOOT_ARCH_OFF,
		IAPC_VGA_NOT_PRESENT | IAPC_MSI_NOT_SUPPORTED | IAPC_PCIE_ASPM_CONTROLS |
		    IAPC_CMOS_RTC_NOT_PRESENT,
		2);
	poke_le(b, start + FADT_MINOR_OFF, FADT_MINOR_REVISION, 1);

	/*
	 * SCI_INT stays 0: there is no SCI in hardware-reduced mode, and Linux
	 * skips the SCI interrupt setup there (acpi_parse_madt_ioapic_entries).
	 * Power-off: Linux writes SLP_TYPa << 2 | SLP_EN to SLEEP_CONTROL_REG and
	 * requires both registers to be present before it offers S5.
	 */
	poke_gas_io8(b, start + FADT_SLEEP_CTL_OFF, HY_ACPI_SLEEP_CTL_PORT);
	poke_gas_io8(b, start + FADT_SLEEP_STS_OFF, HY_ACPI_SLEEP_STS_PORT);
	poke(b, start + FADT_HV_VENDOR_OFF, HYPERVISOR_VENDOR_ID, 8);
	return start;
}

static size_t build_madt(struct blob *b, const struct acpi_config *cfg)
{
	size_t start = sdt_begin(b, "APIC", MADT_REVISION);

	put_le(b, HY_LAPIC_ADDR, 4);
	/* KVM_CREATE_IRQCHIP gives the VM a dual 8259 too, so PCAT_COMPAT is the truth. */
	put_le(b, MADT_PCAT_COMPAT, 4);

	for (unsigned i = 0; i < cfg->nr_cpus; i++) {
		put8(b, MADT_LAPIC);
		put8(b, 8);
		put8(b, (uint8_t)i); /* ACPI processor UID */
		put8(b, (uint8_t)i); /* APIC id: the VMM numbers vCPUs 0..n-1 */
		put_le(b, MADT_LAPIC_ENABLED, 4);
	}

	/*
	 * The IOAPIC's id is 0 because that is what KVM's in-kernel IOAPIC
	 * reports after reset; on xAPIC systems IOAPIC ids do not share a
	 * namespace with APIC ids, and 64-bit Linux never rewrites them.
	 */
	put8(b, MADT_IOAPIC);
	put8(b, 12);
	put8(b, IOAPIC_ID);
	put8(b, 0);
	put_le(b, HY_IOAPIC_ADDR, 4);
	put_le(b, 0, 4); /* global system interrupt base */

	/*
	 * No Interrupt Source Overrides. Without them Linux maps ISA IRQ n to
	 * GSI n, which is exactly KVM's default routing (GSI n drives PIC pin n
	 * and IOAPIC pin n for n < 16; the in-kernel PIT raises GSI 0). The
	 * usual PC override "IRQ0 -> GSI2" would be wrong here: it matches
	 * chipsets, and QEMU's custom routing table, not KVM's defaults. It
	 * hardly matters in practice, as a hardware-reduced Linux never sets up
	 * the PIT interrupt, but the tables must not lie. Every other interrupt
	 * is described, with its trigger mode, by the device's _CRS.
	 */

	/* LINT1 of every processor is wired to NMI (edge, active high). */
	put8(b, MADT_LAPIC_NMI);
	put8(b, 6);
	put8(b, MADT_ALL_PROCESSORS);
	put_le(b, MPS_INTI_ACTIVE_HIGH | MPS_INTI_EDGE, 2);
	put8(b, 1); /* LINT1 */

	sdt_end(b, start);
	return start;
}

static void dsdt_com1(struct blob *b)
{
	uint8_t tmp[32];
	struct blob r = {.buf = tmp, .cap = sizeof(tmp)};
	size_t dev = aml_device_begin(b, "COM1");

	aml_name_str(b, "_HID", "PNP0501"); /* 16550A-compatible UART */
	aml_name_int(b, "_UID", 0);
	res_io16(&r, HY_COM1_PORT, 8);
	res_ext_irq(&r, HY_COM1_IRQ);
	aml_name_resources(b, "_CRS", &r);
	aml_pkg_end(b, dev);
}

/*
 * virtio-mmio over ACPI: Linux's virtio_mmio driver matches _HID "LNRO0005"
 * and takes its window from the first memory resource and its interrupt from
 * the first interrupt resource of _CRS.
 */
static void dsdt_virtio_mmio(struct blob *b, unsigned idx, const struct acpi_mmio_dev *d)
{
	static const char hex[] = "0123456789ABCDEF";
	char name[5] = {'V', 'R', hex[(idx >> 4) & 0xf], hex[idx & 0xf], 0};
	uint8_t tmp[32];
	struct blob r = {.buf = tmp, .cap = sizeof(tmp)};
	size_t dev = aml_device_begin(b, name);

	aml_name_str(b, "_HID", "LNRO0005");
	aml_name_int(b, "_UID", idx);
	res_mem32_fixed(&r, (uint32_t)d->base, (uint32_t)d->size);
	res_ext_irq(&r, d->gsi);
	aml_name_resources(b, "_CRS", &r);
	aml_pkg_end(b, dev);
}

static size_t build_dsdt(struct blob *b, const struct acpi_config *cfg)
{
	size_t start = sdt_begin(b, "DSDT", DSDT_REVISION);
	size_t pkg, scope;

	/*
	 * Name (\_S5, Package () { SLP_TYPa, SLP_TYPb }): ACPICA takes SLP_TYPa
	 * from element 0; hardware-reduced sleep uses only SLP_TYPa.
	 */
	put8(b, AML_NAME);
	aml_name_string(b, "_S5_");
	put8(b, AML_PACKAGE);
	pkg = aml_pkg_begin(b);
	put8(b, 2); /* NumElements */
	aml_int(b, HY_ACPI_S5_TYP);
	aml_int(b, 0);
	aml_pkg_end(b, pkg);

	scope = aml_scope_begin(b, "\\_SB_");
	dsdt_com1(b);
	for (unsigned i = 0; i < cfg->nr_mmio_devs; i++)
		dsdt_virtio_mmio(b, i, &cfg->mmio_devs[i]);
	aml_pkg_end(b, scope);

	sdt_end(b, start);
	return start;
}

static int check_config(const struct acpi_config *cfg)
{
	/* APIC id 0xff is the broadcast id, so at most 255 xAPIC CPUs. */
	if (!cfg || cfg->nr_cpus == 0 || cfg->nr_cpus > 255)
		return -EINVAL;
	if (cfg->nr_mmio_devs > ACPI_MAX_MMIO_DEVS || (cfg->nr_mmio_devs && !cfg->mmio_devs))
		return -EINVAL;
	for (unsigned i = 0; i < cfg->nr_mmio_devs; i++) {
		const struct acpi_mmio_dev *d = &cfg->mmio_devs[i];

		/* Memory32Fixed: the window must end at or below 4 GiB. */
		if (d->size == 0 || d->size > UINT32_MAX || d->base > UINT32_MAX ||
		    d->size > (uint64_t)UINT32_MAX + 1 - d->base)
			return -EINVAL;
		/* One IOAPIC with GSI base 0: KVM's has 24 pins. */
		if (d->gsi >= KVM_IOAPIC_NUM_PINS)
			return -EINVAL;
	}
	return 0;
}

long acpi_build(const struct acpi_config *cfg, uint64_t gpa, void *buf, size_t len)
{
	struct blob b = {.buf = buf, .cap = buf ? len : 0};
	size_t rsdp, xsdt, fadt, madt, dsdt;
	int err;

	err = check_config(cfg);
	if (err)
		return err;
	if (len > UINT64_MAX - gpa)
		return -EINVAL;

	rsdp = build_rsdp(&b);
	align(&b, TABLE_ALIGN);
	xsdt = build_xsdt(&b);
	align(&b, TABLE_ALIGN);
	fadt = build_fadt(&b);
	align(&b, TABLE_ALIGN);
	madt = build_madt(&b, cfg);
	align(&b, TABLE_ALIGN);
	dsdt = build_dsdt(&b, cfg);
	if (b.full)
		return -ENOSPC;

	/* Both DSDT pointers when it sits below 4 GiB; ACPICA is happy when they agree. */
	poke_le(&b, fadt + FADT_X_DSDT_OFF, gpa + dsdt, 8);
	if (gpa + dsdt <= UINT32_MAX)
		poke_le(&b, fadt + FADT_DSDT_OFF, gpa + dsdt, 4);
	poke_le(&b, xsdt + SDT_HEADER_LEN, gpa + fadt, 8);
	poke_le(&b, xsdt + SDT_HEADER_LEN + 8, gpa + madt, 8);
	poke_le(&b, rsdp + RSDP_XSDT_OFF, gpa + xsdt, 8);

	sdt_checksum(&b, dsdt);
	sdt_checksum(&b, madt);
	sdt_checksum(&b, fadt);
	sdt_checksum(&b, xsdt);
	b.buf[rsdp + RSDP_CHECKSUM_OFF] = acpi_checksum(b.buf + rsdp, RSDP_V1_LEN);
	b.buf[rsdp + RSDP_EXT_CHECKSUM_OFF] = acpi_checksum(b.buf + rsdp, RSDP_LEN);
	return (long)b.pos;
}

long acpi_setup(struct guest_mem *m, const struct acpi_config *cfg)
{
	void *p = guest_mem_ptr(m, HY_ACPI_ADDR, HY_ACPI_MAX);
	long n;

	if (!p)
		return -EFAULT;
	n = acpi_build(cfg, HY_ACPI_ADDR, p, HY_ACPI_MAX);
	if (n < 0)
		return n;
	return (long)HY_ACPI_ADDR;
}
