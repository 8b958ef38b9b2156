/* test_vmm_boot_acpi.c: unit tests for the ACPI tables and their AML, checked by parsing them back.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/boot/acpi.h"
#include "vmm/guest_mem.h"
#include "vmm/layout.h"

#define IMG_GPA 0xe0000ULL
#define IMG_MAX 0x20000

/* A built image and where it sits in guest-physical space. */
struct img {
	uint8_t *p;
	size_t used;
	uint64_t gpa;
};

static uint64_t rd(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static uint8_t bytesum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	for (size_t i = 0; i < n; i++)
		s += p[i];
	return s;
}

/* Host pointer for [gpa, gpa + n) inside the image, or NULL. */
static const uint8_t *at(const struct img *im, uint64_t gpa, size_t n)
{
	if (gpa < im->gpa || gpa - im->gpa > im->used || n > im->used - (gpa - im->gpa))
		return NULL;
	return im->p + (gpa - im->gpa);
}

/* A System Description Table at gpa: in bounds, right signature, length and checksum. */
static const uint8_t *sdt_at(const struct img *im, uint64_t gpa, const char *sig)
{
	const uint8_t *t = at(im, gpa, 36);
	uint32_t len;

	cr_assert_not_null(t, "table %s at %#llx outside the image", sig, (unsigned long long)gpa);
	cr_assert(memcmp(t, sig, 4) == 0, "expected %s at %#llx, found %.4s", sig,
		  (unsigned long long)gpa, (const char *)t);
	len = (uint32_t)rd(t + 4, 4);
	cr_assert_geq(len, 36);
	cr_assert_not_null(at(im, gpa, len), "%s length %u runs past the image", sig, len);
	cr_assert_eq(bytesum(t, len), 0, "%s checksum", sig);
	cr_assert(memcmp(t + 10, "HYRUN ", 6) == 0, "%s OEM id", sig);
	cr_assert(memcmp(t + 16, "HYRUNVM ", 8) == 0, "%s OEM table id", sig);
	return t;
}

struct tables {
	const uint8_t *rsdp, *xsdt, *fadt, *madt, *dsdt;
};

/* Follow the pointers from the RSDP the way the kernel does. */
static struct tables walk(const struct img *im)
{
	struct tables t = {0};
	uint32_t xlen;

	t.rsdp = at(im, im->gpa, 36);
	cr_assert_not_null(t.rsdp);
	cr_assert(memcmp(t.rsdp, "RSD PTR ", 8) == 0);
	cr_assert_eq(t.rsdp[15], 2, "RSDP revision");
	cr_assert_eq(rd(t.rsdp + 20, 4), 36, "RSDP length");
	cr_assert_eq(bytesum(t.rsdp, 20), 0, "RSDP v1 checksum");
	cr_assert_eq(bytesum(t.rsdp, 36), 0, "RSDP extended checksum");
	cr_assert(memcmp(t.rsdp + 9, "HYRUN ", 6) == 0);

	t.xsdt = sdt_at(im, rd(t.rsdp + 24, 8), "XSDT");
	xlen = (uint32_t)rd(t.xsdt + 4, 4);
	cr_assert_eq(xlen, 36 + 2 * 8, "XSDT holds FADT and MADT");
	t.fadt = sdt_at(im, rd(t.xsdt + 36, 8), "FACP");
	t.madt = sdt_at(im, rd(t.xsdt + 44, 8), "APIC");
	t.dsdt = sdt_at(im, rd(t.fadt + 140, 8), "DSDT");
	return t;
}

static void assert_disjoint(const struct tables *t)
{
	const uint8_t *tab[] = {t->rsdp, t->xsdt, t->fadt, t->madt, t->dsdt};
	size_t len[5] = {36};

	for (int i = 1; i < 5; i++)
		len[i] = rd(tab[i] + 4, 4);
	for (int i = 0; i < 5; i++)
		for (int j = i + 1; j < 5; j++)
			cr_assert(tab[i] + len[i] <= tab[j] || tab[j] + len[j] <= tab[i],
				  "tables %d and %d overlap", i, j);
}

/* ---- minimal AML reader (only what acpi.c emits) ------------------------ */

struct cur {
	const uint8_t *p, *end;
};

static uint8_t next(struct cur *c)
{
	cr_assert_lt(c->p, c->end, "AML runs past its package");
	return *c->p++;
}

/* PkgLength: returns the end of the package that starts at the PkgLength. */
static const uint8_t *pkg(struct cur *c)
{
	const uint8_t *start = c->p;
	uint8_t lead = next(c);
	unsigned extra = lead >> 6;
	uint32_t len = extra ? (lead & 0x0f) : (lead & 0x3f);

	if (extra)
		cr_assert_eq(lead & 0x30, 0, "reserved PkgLength bits set");
	for (unsigned i = 0; i < extra; i++)
		len |= (uint32_t)next(c) << (4 + 8 * i);
	cr_assert_leq(start + len, c->end, "package longer than its parent");
	return start + len;
}

static uint64_t aml_integer(struct cur *c)
{
	uint8_t op = next(c);
	unsigned n;
	uint64_t v = 0;

	switch (op) {
	case 0x00:
		return 0;
	case 0x01:
		return 1;
	case 0xff:
		return UINT64_MAX;
	case 0x0a:
		n = 1;
		break;
	case 0x0b:
		n = 2;
		break;
	case 0x0c:
		n = 4;
		break;
	case 0x0e:
		n = 8;
		break;
	default:
		cr_assert_fail("not an integer opcode: %#x", op);
		return 0;
	}
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)next(c) << (8 * i);
	return v;
}

static void nameseg(struct cur *c, char out[5])
{
	for (int i = 0; i < 4; i++)
		out[i] = (char)next(c);
	out[4] = 0;
}

struct rsrc {
	int nr_mem, nr_irq, nr_io;
	uint32_t mem_base, mem_size, gsi;
	uint8_t mem_rw, irq_flags;
	uint16_t io_min, io_max;
	uint8_t io_len;
};

/* Walk a resource template; every descriptor must lie inside it and End Tag must close it. */
static struct rsrc parse_resources(const uint8_t *p, size_t n)
{
	struct rsrc r = {0};
	size_t i = 0;
	bool ended = false;

	while (i < n) {
		uint8_t tag = p[i];
		size_t hdr, len;

		cr_assert(!ended, "descriptor after End Tag");
		if (tag & 0x80) {
			cr_assert_leq(i + 3, n);
			hdr = 3;
			len = (size_t)rd(p + i + 1, 2);
		} else {
			hdr = 1;
			len = tag & 7;
			tag = (uint8_t)(tag & 0x78);
		}
		cr_assert_leq(i + hdr + len, n, "descriptor %#x past the buffer", tag);
		const uint8_t *d = p + i + hdr;

		switch (tag) {
		case 0x86:
			cr_assert_eq(len, 9);
			r.nr_mem++;
			r.mem_rw = d[0];
			r.mem_base = (uint32_t)rd(d + 1, 4);
			r.mem_size = (uint32_t)rd(d + 5, 4);
			break;
		case 0x89:
			cr_assert_eq(len, 6);
			cr_assert_eq(d[1], 1, "one interrupt per descriptor");
			r.nr_irq++;
			r.irq_flags = d[0];
			r.gsi = (uint32_t)rd(d + 2, 4);
			break;
		case 0x40: /* I/O port (0x47 without its length bits) */
			cr_assert_eq(len, 7);
			r.nr_io++;
			cr_assert_eq(d[0], 1, "16-bit decode");
			r.io_min = (uint16_t)rd(d + 1, 2);
			r.io_max = (uint16_t)rd(d + 3, 2);
			r.io_len = d[6];
			break;
		case 0x78: /* End Tag */
			cr_assert_eq(len, 1);
			ended = true;
			break;
		default:
			cr_assert_fail("unexpected resource descriptor %#x", tag);
		}
		i += hdr + len;
	}
	cr_assert(ended, "resource template without End Tag");
	return r;
}

struct device {
	char name[5];
	char hid[16];
	int64_t uid;
	struct rsrc crs;
	bool has_crs;
};

/* Device := 5B 82 PkgLength NameSeg { Name (seg, value) }* */
static struct device parse_device(struct cur *c)
{
	struct device dev = {.uid = -1};
	struct cur in;

	cr_assert_eq(next(c), 0x5b, "expected ExtOpPrefix");
	cr_assert_eq(next(c), 0x82, "expected DeviceOp");
	in.end = pkg(c);
	in.p = c->p;
	nameseg(&in, dev.name);
	while (in.p < in.end) {
		char seg[5];
		uint8_t op;

		cr_assert_eq(next(&in), 0x08, "device %s: only Name objects expected", dev.name);
		nameseg(&in, seg);
		op = *in.p;
		if (op == 0x0d) {
			size_t k = 0;

			in.p++;
			cr_assert_str_eq(seg, "_HID");
			while (in.p < in.end && *in.p && k < sizeof(dev.hid) - 1)
				dev.hid[k++] = (char)*in.p++;
			cr_assert_eq(next(&in), 0, "unterminated string");
		} else if (op == 0x11) {
			struct cur b;
			uint64_t size;

			in.p++;
			cr_assert_str_eq(seg, "_CRS");
			b.end = pkg(&in);
			b.p = in.p;
			size = aml_integer(&b);
			cr_assert_eq(size, (uint64_t)(b.end - b.p), "Buffer size != its bytes");
			dev.crs = parse_resources(b.p, (size_t)size);
			dev.has_crs = true;
			in.p = b.end;
		} else {
			cr_assert_str_eq(seg, "_UID");
			dev.uid = (int64_t)aml_integer(&in);
		}
	}
	cr_assert_eq(in.p, in.end);
	c->p = in.end;
	return dev;
}

static size_t count_substr(const uint8_t *p, size_t n, const char *s)
{
	size_t k = strlen(s), cnt = 0;

	for (size_t i = 0; i + k <= n; i++)
		if (memcmp(p + i, s, k) == 0)
			cnt++;
	return cnt;
}

/* ---- fixtures ------------------------------------------------------------ */

static struct acpi_mmio_dev devs[ACPI_MAX_MMIO_DEVS];

/* Irregular bases, sizes and GSIs, so that swapped or shared fields show up. */
static struct acpi_config config(unsigned cpus, unsigned nr)
{
	for (unsigned i = 0; i < nr; i++) {
		devs[i].base = HY_VIRTIO_MMIO_BASE + i * 0x11000ULL;
		devs[i].size = HY_VIRTIO_MMIO_SIZE + i * 0x100ULL;
		devs[i].gsi = HY_VIRTIO_IRQ_BASE + (i * 7) % 19;
	}
	return (struct acpi_config){.nr_cpus = cpus, .mmio_devs = devs, .nr_mmio_devs = nr};
}

static uint8_t image[IMG_MAX];

static struct img build(const struct acpi_config *cfg)
{
	long n;

	memset(image, 0xa5, sizeof(image));
	n = acpi_build(cfg, IMG_GPA, image, sizeof(image));
	cr_assert_gt(n, 0, "acpi_build: %ld", n);
	cr_assert_leq(n, IMG_MAX);
	return (struct img){.p = image, .used = (size_t)n, .gpa = IMG_GPA};
}

static void check_madt(const uint8_t *madt, unsigned cpus)
{
	uint32_t len = (uint32_t)rd(madt + 4, 4);
	unsigned lapics = 0, ioapics = 0, nmis = 0;

	cr_assert_eq(rd(madt + 36, 4), HY_LAPIC_ADDR);
	cr_assert_eq(rd(madt + 40, 4) & 1, 1, "PCAT_COMPAT");
	for (uint32_t off = 44; off < len;) {
		const uint8_t *e = madt + off;

		cr_assert_leq(off + 2, len);
		cr_assert_geq(e[1], 2);
		cr_assert_leq(off + e[1], len, "MADT entry past the table");
		switch (e[0]) {
		case 0:
			cr_assert_eq(e[1], 8);
			cr_assert_eq(e[2], lapics, "processor UID");
			cr_assert_eq(e[3], lapics, "APIC id");
			cr_assert_eq(rd(e + 4, 4) & 1, 1, "enabled");
			lapics++;
			break;
		case 1:
			cr_assert_eq(e[1], 12);
			cr_assert_eq(rd(e + 4, 4), HY_IOAPIC_ADDR);
			cr_assert_eq(rd(e + 8, 4), 0, "GSI base");
			ioapics++;
			break;
		case 4:
			cr_assert_eq(e[1], 6);
			cr_assert_eq(e[2], 0xff, "all processors");
			cr_assert_eq(e[5], 1, "LINT1");
			nmis++;
			break;
		default:
			cr_assert_fail("unexpected MADT entry type %u", e[0]);
		}
		off += e[1];
	}
	cr_assert_eq(lapics, cpus);
	cr_assert_eq(ioapics, 1);
	cr_assert_eq(nmis, 1);
}

static void check_gas_io8(const uint8_t *g, uint16_t port)
{
	cr_assert_eq(g[0], 1, "SystemIO");
	cr_assert_eq(g[1], 8, "bit width");
	cr_assert_eq(g[2], 0, "bit offset");
	cr_assert_eq(g[3], 1, "byte access");
	cr_assert_eq(rd(g + 4, 8), port);
}

static void check_fadt(const struct img *im, const struct tables *t)
{
	const uint8_t *f = t->fadt;
	uint64_t dsdt_gpa = im->gpa + (uint64_t)(t->dsdt - im->p);

	cr_assert_eq(rd(f + 4, 4), 276, "FADT length");
	cr_assert_eq(f[8], 6, "FADT revision");
	cr_assert(rd(f + 112, 4) & (1u << 20), "HW_REDUCED_ACPI");
	cr_assert_eq(rd(f + 109, 2) & (1u << 2), 1u << 2, "VGA not present");
	cr_assert_eq(rd(f + 109, 2) & (1u << 5), 1u << 5, "CMOS RTC not present");
	cr_assert_eq(rd(f + 109, 2) & (1u << 1), 0, "no 8042 advertised");
	cr_assert_eq(rd(f + 140, 8), dsdt_gpa, "X_DSDT");
	cr_assert_eq(rd(f + 40, 4), dsdt_gpa, "DSDT");
	cr_assert_eq(rd(f + 36, 4), 0, "no FACS");
	cr_assert_eq(rd(f + 132, 8), 0, "no X_FACS");
	cr_assert_eq(rd(f + 208, 8), 0, "no PM timer");
	check_gas_io8(f + 244, HY_ACPI_SLEEP_CTL_PORT);
	check_gas_io8(f + 256, HY_ACPI_SLEEP_STS_PORT);
}

/* DSDT := Name (_S5_, Package) Scope (\_SB_) { Device... }, ending exactly at the table's end. */
static void check_dsdt(const uint8_t *dsdt, const struct acpi_config *cfg)
{
	uint32_t len = (uint32_t)rd(dsdt + 4, 4);
	struct cur c = {dsdt + 36, dsdt + len};
	const uint8_t *scope_end;
	unsigned virtio = 0, com1 = 0;
	char seg[5];

	cr_assert_geq(dsdt[8], 2, "64-bit integers need DSDT revision >= 2");

	cr_assert_eq(next(&c), 0x08);
	nameseg(&c, seg);
	cr_assert_str_eq(seg, "_S5_");
	cr_assert_eq(next(&c), 0x12, "PackageOp");
	{
		struct cur p;

		p.end = pkg(&c);
		p.p = c.p;
		cr_assert_eq(next(&p), 2, "NumElements");
		cr_assert_eq(aml_integer(&p), HY_ACPI_S5_TYP, "SLP_TYPa");
		cr_assert_eq(aml_integer(&p), 0, "SLP_TYPb");
		cr_assert_eq(p.p, p.end);
		c.p = p.end;
	}

	cr_assert_eq(next(&c), 0x10, "ScopeOp");
	scope_end = pkg(&c);
	cr_assert_eq(scope_end, c.end, "Scope must end with the table");
	cr_assert_eq(next(&c), '\\');
	nameseg(&c, seg);
	cr_assert_str_eq(seg, "_SB_");

	while (c.p < c.end) {
		struct device d = parse_device(&c);

		cr_assert(d.has_crs, "%s has no _CRS", d.name);
		if (strcmp(d.hid, "LNRO0005") == 0) {
			const struct acpi_mmio_dev *m = &cfg->mmio_devs[virtio];
			char want[5];

			snprintf(want, sizeof(want), "VR%02X", virtio);
			cr_assert_str_eq(d.name, want);
			cr_assert_eq(d.uid, virtio, "_UID");
			cr_assert_eq(d.crs.nr_mem, 1);
			cr_assert_eq(d.crs.nr_irq, 1);
			cr_assert_eq(d.crs.nr_io, 0);
			cr_assert_eq(d.crs.mem_rw, 1, "ReadWrite");
			cr_assert_eq(d.crs.mem_base, m->base, "%s base", d.name);
			cr_assert_eq(d.crs.mem_size, m->size, "%s size", d.name);
			cr_assert_eq(d.crs.gsi, m->gsi, "%s gsi", d.name);
			cr_assert_eq(d.crs.irq_flags, 0x03,
				     "ResourceConsumer, Edge, ActiveHigh, Exclusive");
			virtio++;
		} else {
			cr_assert_str_eq(d.hid, "PNP0501");
			cr_assert_str_eq(d.name, "COM1");
			cr_assert_eq(d.crs.nr_io, 1);
			cr_assert_eq(d.crs.io_min, HY_COM1_PORT);
			cr_assert_eq(d.crs.io_max, HY_COM1_PORT);
			cr_assert_eq(d.crs.io_len, 8);
			cr_assert_eq(d.crs.nr_irq, 1);
			cr_assert_eq(d.crs.gsi, HY_COM1_IRQ);
			cr_assert_eq(d.crs.irq_flags, 0x03);
			com1++;
		}
	}
	cr_assert_eq(virtio, cfg->nr_mmio_devs);
	cr_assert_eq(com1, 1);
	cr_assert_eq(count_substr(dsdt, len, "LNRO0005"), cfg->nr_mmio_devs);
}

static void check_all(unsigned cpus, unsigned nr)
{
	struct acpi_config cfg = config(cpus, nr);
	struct img im = build(&cfg);
	struct tables t = walk(&im);

	assert_disjoint(&t);
	check_madt(t.madt, cpus);
	check_fadt(&im, &t);
	check_dsdt(t.dsdt, &cfg);
}

/* ---- tests ---------------------------------------------------------------- */

Test(acpi, tables_for_cpu_and_device_counts)
{
	static const unsigned cpus[] = {1, 2, 8};
	static const unsigned nr[] = {0, 1, 3};

	for (size_t i = 0; i < sizeof(cpus) / sizeof(cpus[0]); i++)
		for (size_t j = 0; j < sizeof(nr) / sizeof(nr[0]); j++)
			check_all(cpus[i], nr[j]);
}

/* 256 devices push the \_SB_ scope past 4095 bytes: a 3-byte PkgLength in a real DSDT. */
Test(acpi, many_devices_multibyte_pkglen)
{
	struct acpi_config cfg = config(255, ACPI_MAX_MMIO_DEVS);
	struct img im = build(&cfg);
	struct tables t = walk(&im);
	const uint8_t *dsdt = t.dsdt;
	const uint8_t *scope;

	check_madt(t.madt, 255);
	check_dsdt(dsdt, &cfg);
	scope = memchr(dsdt + 36, 0x10, rd(dsdt + 4, 4) - 36);
	cr_assert_not_null(scope);
	cr_assert_eq(scope[1] >> 6, 2, "scope PkgLength should use 3 bytes");
}

Test(acpi, rsdp_at_gpa_and_16_byte_alignment)
{
	struct acpi_config cfg = config(2, 1);
	struct img im = build(&cfg);
	struct tables t = walk(&im);

	cr_assert_eq(t.rsdp, im.p);
	cr_assert_eq((uintptr_t)(t.xsdt - im.p) % 16, 0);
	cr_assert_eq((uintptr_t)(t.fadt - im.p) % 16, 0);
	cr_assert_eq((uintptr_t)(t.madt - im.p) % 16, 0);
	cr_assert_eq((uintptr_t)(t.dsdt - im.p) % 16, 0);
}

Test(acpi, enospc_never_writes_past_len)
{
	struct acpi_config cfg = config(8, 3);
	static uint8_t b[IMG_MAX];
	long need = acpi_build(&cfg, IMG_GPA, image, sizeof(image));

	cr_assert_gt(need, 36);
	for (long len = 0; len < need; len++) {
		memset(b, 0xa5, (size_t)need + 64);
		cr_assert_eq(acpi_build(&cfg, IMG_GPA, b, (size_t)len), -ENOSPC, "len %ld", len);
		for (long k = len; k < need + 64; k++)
			cr_assert_eq(b[k], 0xa5, "len %ld: byte %ld written", len, k);
	}
	cr_assert_eq(acpi_build(&cfg, IMG_GPA, b, (size_t)need), need);
	cr_assert_eq(memcmp(b, image, (size_t)need), 0, "same output in an exact-size buffer");
}

Test(acpi, rejects_bad_config)
{
	struct acpi_config cfg = config(1, 1);
	struct acpi_mmio_dev high = {.base = 0xfffff000ULL, .size = 0x2000, .gsi = 5};
	struct acpi_mmio_dev badirq = {.base = HY_VIRTIO_MMIO_BASE, .size = 0x200, .gsi = 24};

	cr_assert_eq(acpi_build(NULL, IMG_GPA, image, sizeof(image)), -EINVAL);
	cfg.nr_cpus = 0;
	cr_assert_eq(acpi_build(&cfg, IMG_GPA, image, sizeof(image)), -EINVAL);
	cfg.nr_cpus = 256;
	cr_assert_eq(acpi_build(&cfg, IMG_GPA, image, sizeof(image)), -EINVAL);
	cfg.nr_cpus = 1;
	cfg.mmio_devs = &high;
	cr_assert_eq(acpi_build(&cfg, IMG_GPA, image, sizeof(image)), -EINVAL);
	cfg.mmio_devs = &badirq;
	cr_assert_eq(acpi_build(&cfg, IMG_GPA, image, sizeof(image)), -EINVAL);
	cfg.mmio_devs = NULL;
	cr_assert_eq(acpi_build(&cfg, IMG_GPA, image, sizeof(image)), -EINVAL);
	cfg.nr_mmio_devs = ACPI_MAX_MMIO_DEVS + 1;
	cfg.mmio_devs = devs;
	cr_assert_eq(acpi_build(&cfg, IMG_GPA, image, sizeof(image)), -EINVAL);
}

/* Decode as the AML interpreter does; returns the bytes used. */
static int pkglen_decode(const uint8_t *p, uint32_t *value)
{
	unsigned extra = p[0] >> 6;

	*value = extra ? (p[0] & 0x0fu) : (p[0] & 0x3fu);
	for (unsigned i = 0; i < extra; i++)
		*value |= (uint32_t)p[1 + i] << (4 + 8 * i);
	return (int)extra + 1;
}

Test(acpi, pkglen_boundaries)
{
	static const struct {
		size_t content;
		int n;
		uint8_t enc[4];
	} cases[] = {
	    {0, 1, {0x01}},
	    {62, 1, {0x3f}},
	    {63, 2, {0x41, 0x04}},		      /* 65 */
	    {4093, 2, {0x4f, 0xff}},		      /* 4095 */
	    {4094, 3, {0x81, 0x00, 0x01}},	      /* 4097 */
	    {1048572, 3, {0x8f, 0xff, 0xff}},	      /* 0xfffff */
	    {1048573, 4, {0xc1, 0x00, 0x00, 0x01}},   /* 0x100001 */
	    {268435451, 4, {0xcf, 0xff, 0xff, 0xff}}, /* 0xfffffff */
	};
	uint8_t out[4];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(out, 0, sizeof(out));
		cr_assert_eq(acpi_aml_pkglen(out, cases[i].content), cases[i].n, "content %zu",
			     cases[i].content);
		cr_assert_eq(memcmp(out, cases[i].enc, (size_t)cases[i].n), 0,
			     "content %zu: %02x %02x %02x %02x", cases[i].content, out[0], out[1],
			     out[2], out[3]);
	}
	cr_assert_eq(acpi_aml_pkglen(out, 268435452), -EINVAL);
	cr_assert_eq(acpi_aml_pkglen(out, SIZE_MAX), -EINVAL);
}

Test(acpi, pkglen_round_trip_is_minimal)
{
	static const size_t from[] = {0, 4080, 1048560, 268435440};
	uint8_t out[4];

	for (size_t r = 0; r < sizeof(from) / sizeof(from[0]); r++) {
		for (size_t c = from[r]; c < from[r] + 80 && c <= 268435451; c++) {
			uint32_t v;
			int n = acpi_aml_pkglen(out, c);

			cr_assert_gt(n, 0);
			cr_assert_eq(pkglen_decode(out, &v), n);
			cr_assert_eq(v, c + (size_t)n, "content %zu", c);
			if (n > 1)
				cr_assert_eq(out[0] & 0x30, 0, "reserved bits");
			/* minimal: the next shorter form could not hold it */
			if (n == 2)
				cr_assert_gt(c + 1, 63);
			if (n == 3)
				cr_assert_gt(c + 2, 4095);
			if (n == 4)
				cr_assert_gt(c + 3, 1048575);
		}
	}
}

Test(acpi, checksum)
{
	uint8_t t[5] = {1, 2, 3, 0, 250};

	t[3] = acpi_checksum(t, sizeof(t));
	cr_assert_eq(bytesum(t, sizeof(t)), 0);
	cr_assert_eq(acpi_checksum(t, 0), 0);
}

Test(acpi, setup_writes_guest_memory)
{
	struct guest_mem m = {0};
	struct acpi_config cfg = config(2, 2);
	const uint64_t size = 2 << 20;
	struct img im;

	m.regions[0].gpa = 0;
	m.regions[0].size = size;
	m.regions[0].host = calloc(1, size);
	m.nr_regions = 1;
	m.ram_size = size;
	cr_assert_not_null(m.regions[0].host);

	cr_assert_eq(acpi_setup(&m, &cfg), (long)HY_ACPI_ADDR);
	im = (struct img){
	    .p = m.regions[0].host + HY_ACPI_ADDR, .used = HY_ACPI_MAX, .gpa = HY_ACPI_ADDR};
	check_madt(walk(&im).madt, 2);
	check_dsdt(walk(&im).dsdt, &cfg);

	/* RAM that ends inside the ACPI area: the checked accessor refuses it. */
	m.regions[0].size = HY_ACPI_ADDR + 0x1000;
	cr_assert_eq(acpi_setup(&m, &cfg), -EFAULT);
	free(m.regions[0].host);
}
