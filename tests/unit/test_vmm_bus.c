/* test_vmm_bus.c: port and MMIO dispatch: ranges, overlaps, unhandled accesses, wide accesses. */
#include "vmm/bus.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <string.h>

struct rec {
	unsigned calls;
	uint64_t off[16];
	unsigned len[16];
	bool write[16];
	uint8_t value; /* what a read returns, per byte */
	uint8_t last_written;
};

static void rec_io(void *opaque, uint64_t off, uint8_t *data, unsigned len, bool is_write)
{
	struct rec *r = opaque;

	if (r->calls < 16) {
		r->off[r->calls] = off;
		r->len[r->calls] = len;
		r->write[r->calls] = is_write;
	}
	r->calls++;
	if (is_write)
		r->last_written = data[len - 1];
	else
		memset(data, r->value, len);
}

static int reg(struct bus *b, uint64_t base, uint64_t len, unsigned flags, struct rec *r,
	       const char *name, char *err, size_t errlen)
{
	return bus_register(b, base, len, flags, rec_io, r, name, err, errlen);
}

Test(bus, dispatch_with_offset)
{
	struct bus b;
	struct rec a = {.value = 0x11}, c = {.value = 0x22};
	uint8_t d[4] = {0};
	char err[256] = "";

	bus_init(&b, "MMIO", 0, 0);
	cr_assert_eq(reg(&b, 0x1000, 0x200, 0, &a, "a", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(reg(&b, 0x1200, 0x200, 0, &c, "c", err, sizeof(err)), 0, "%s", err);
	cr_assert(bus_access(&b, 0x1070, d, 4, false));
	cr_assert_eq(a.calls, 1);
	cr_assert_eq(a.off[0], 0x70);
	cr_assert_eq(a.len[0], 4);
	cr_assert_eq(d[0], 0x11);
	cr_assert_eq(d[3], 0x11);
	d[0] = 0x5a;
	cr_assert(bus_access(&b, 0x1200, d, 1, true));
	cr_assert_eq(c.calls, 1);
	cr_assert_eq(c.off[0], 0);
	cr_assert(c.write[0]);
	cr_assert_eq(c.last_written, 0x5a);
	cr_assert_eq(bus_find(&b, 0x13ff)->opaque, &c);
	cr_assert_null(bus_find(&b, 0x1400));
	cr_assert_null(bus_find(&b, 0xfff));
}

Test(bus, overlaps_refused)
{
	struct bus b;
	struct rec a = {0};
	char err[256] = "";

	bus_init(&b, "port", 0xff, BUS_SPLIT_BYTES);
	cr_assert_eq(reg(&b, 0x3f8, 8, BUS_BYTEWISE, &a, "COM1", err, sizeof(err)), 0);
	cr_assert_eq(reg(&b, 0x3ff, 1, 0, &a, "last byte", err, sizeof(err)), -EBUSY);
	cr_assert(strstr(err, "COM1") && strstr(err, "last byte"), "%s", err);
	cr_assert_eq(reg(&b, 0x3f0, 9, 0, &a, "first byte", err, sizeof(err)), -EBUSY);
	cr_assert_eq(reg(&b, 0x3f0, 0x20, 0, &a, "around", err, sizeof(err)), -EBUSY);
	cr_assert_eq(reg(&b, 0x3fa, 2, 0, &a, "inside", err, sizeof(err)), -EBUSY);
	/* Adjacent on both sides is fine. */
	cr_assert_eq(reg(&b, 0x3f0, 8, 0, &a, "below", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(reg(&b, 0x400, 1, 0, &a, "above", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(b.nr_ranges, 3);
}

Test(bus, bad_ranges_refused)
{
	struct bus b;
	struct rec a = {0};
	char err[256] = "";

	bus_init(&b, "MMIO", 0, 0);
	cr_assert_eq(reg(&b, 0x1000, 0, 0, &a, "empty", err, sizeof(err)), -EINVAL);
	cr_assert_eq(reg(&b, UINT64_MAX, 2, 0, &a, "wraps", err, sizeof(err)), -EINVAL);
	cr_assert_eq(bus_register(&b, 0, 1, 0, NULL, NULL, "no callback", err, sizeof(err)),
		     -EINVAL);
	for (unsigned i = 0; i < BUS_MAX_RANGES; i++)
		cr_assert_eq(reg(&b, i * 0x10, 0x10, 0, &a, "r", err, sizeof(err)), 0);
	cr_assert_eq(reg(&b, 0x10000, 1, 0, &a, "one too many", err, sizeof(err)), -ENOSPC);
}

Test(bus, unknown_ports_read_as_all_ones)
{
	struct bus b;
	uint8_t d[4] = {1, 2, 3, 4};

	bus_init(&b, "port", 0xff, BUS_SPLIT_BYTES);
	cr_assert_not(bus_access(&b, 0x200, d, 1, false));
	cr_assert_eq(d[0], 0xff);
	cr_assert_eq(d[1], 2, "only the access's bytes change");
	cr_assert_not(bus_access(&b, 0x200, d, 4, false));
	for (int i = 0; i < 4; i++)
		cr_assert_eq(d[i], 0xff);
	cr_assert_not(bus_access(&b, 0x200, d, 4, true), "a write to nothing is dropped");
}

Test(bus, unknown_mmio_reads_as_zero)
{
	struct bus b;
	uint8_t d[8];

	memset(d, 0xaa, sizeof(d));
	bus_init(&b, "MMIO", 0, 0);
	cr_assert_not(bus_access(&b, 0xd0000000, d, 8, false));
	for (int i = 0; i < 8; i++)
		cr_assert_eq(d[i], 0);
}

Test(bus, wide_access_to_a_bytewise_device)
{
	struct bus b;
	struct rec com = {.value = 0x60};
	uint8_t d[4] = {0};
	char err[256] = "";

	bus_init(&b, "port", 0xff, BUS_SPLIT_BYTES);
	cr_assert_eq(reg(&b, 0x3f8, 8, BUS_BYTEWISE, &com, "COM1", err, sizeof(err)), 0);
	cr_assert(bus_access(&b, 0x3f9, d, 4, false));
	cr_assert_eq(com.calls, 4);
	for (unsigned i = 0; i < 4; i++) {
		cr_assert_eq(com.off[i], 1 + i);
		cr_assert_eq(com.len[i], 1);
		cr_assert_eq(d[i], 0x60);
	}
}

Test(bus, wide_port_access_across_devices_is_split_into_bytes)
{
	struct bus b;
	struct rec lo = {.value = 0x01}, hi = {.value = 0x02};
	uint8_t d[4] = {0};
	char err[256] = "";

	bus_init(&b, "port", 0xff, BUS_SPLIT_BYTES);
	cr_assert_eq(reg(&b, 0x70, 2, BUS_BYTEWISE, &lo, "lo", err, sizeof(err)), 0);
	cr_assert_eq(reg(&b, 0x73, 1, BUS_BYTEWISE, &hi, "hi", err, sizeof(err)), 0);
	/* 0x70, 0x71: lo; 0x72: nothing; 0x73: hi. */
	cr_assert_not(bus_access(&b, 0x70, d, 4, false));
	cr_assert_eq(d[0], 0x01);
	cr_assert_eq(d[1], 0x01);
	cr_assert_eq(d[2], 0xff);
	cr_assert_eq(d[3], 0x02);
	cr_assert_eq(lo.calls, 2);
	cr_assert_eq(lo.off[1], 1);
	cr_assert_eq(hi.calls, 1);
	cr_assert_eq(hi.off[0], 0);
}

Test(bus, wide_access_to_a_whole_device_stays_whole)
{
	struct bus b;
	struct rec pv = {.value = 0};
	uint8_t d[4] = {7, 0, 0, 0};
	char err[256] = "";

	bus_init(&b, "port", 0xff, BUS_SPLIT_BYTES);
	cr_assert_eq(reg(&b, 0x600, 8, 0, &pv, "pv", err, sizeof(err)), 0);
	cr_assert(bus_access(&b, 0x600, d, 4, true));
	cr_assert_eq(pv.calls, 1);
	cr_assert_eq(pv.len[0], 4);
}

Test(bus, mmio_access_past_a_window_is_unhandled)
{
	struct bus b;
	struct rec w = {.value = 0x33};
	uint8_t d[8];
	char err[256] = "";

	bus_init(&b, "MMIO", 0, 0);
	cr_assert_eq(reg(&b, 0x1000, 0x200, 0, &w, "window", err, sizeof(err)), 0);
	memset(d, 0xaa, sizeof(d));
	cr_assert_not(bus_access(&b, 0x11fc, d, 8, false));
	cr_assert_eq(w.calls, 0, "no device sees a straddling access");
	for (int i = 0; i < 8; i++)
		cr_assert_eq(d[i], 0);
	cr_assert(bus_access(&b, 0x11f8, d, 8, false), "the window's last 8 bytes");
	cr_assert_eq(w.calls, 1);
}
