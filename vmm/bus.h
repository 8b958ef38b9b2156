/* bus.h: the VM's two address spaces (I/O ports, MMIO) and the devices that claim ranges of them.
 *
 * A device registers a range [base, base + len) with a callback; a guest
 * access that KVM does not handle itself (a vCPU exit) is dispatched to the
 * callback with the offset into the range. Ranges never overlap:
 * bus_register() refuses one that would. Registration happens while the VM
 * is set up, before any vCPU runs; dispatch afterwards only reads the table,
 * so it needs no lock (callbacks do their own locking).
 *
 * An access no range covers whole is "unhandled": a read gets every byte set
 * to the bus's fill value (all ones on the port bus, as an open ISA bus reads;
 * zero on the MMIO bus), a write is dropped, and both are logged at debug
 * level. On a bus made with BUS_SPLIT_BYTES (the port bus) such an access is
 * first split into one-byte accesses to consecutive addresses, as on an 8-bit
 * ISA bus, and each byte goes to whatever covers it.
 */
#ifndef HYRUN_VMM_BUS_H
#define HYRUN_VMM_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BUS_MAX_RANGES 32

/* A guest access at `off` bytes into the range: `len` bytes in guest byte
 * order at `data` (a read fills them). */
typedef void bus_io_fn(void *opaque, uint64_t off, uint8_t *data, unsigned len, bool is_write);

/* Range flags. */
#define BUS_BYTEWISE 1u /* the device is byte-wide: a wider access reaches it byte by byte */

/* Bus flags. */
#define BUS_SPLIT_BYTES 1u /* unhandled wide accesses are split into bytes (ISA) */

struct bus_range {
	uint64_t base, len;
	unsigned flags;
	bus_io_fn *fn;
	void *opaque;
	const char *name; /* for messages; static storage */
};

struct bus {
	const char *name; /* "port", "MMIO" */
	uint8_t fill;	  /* what an unhandled read returns, per byte */
	unsigned flags;
	struct bus_range ranges[BUS_MAX_RANGES];
	unsigned nr_ranges;
	unsigned unhandled_logged; /* atomic: only the first few are logged */
};

void bus_init(struct bus *b, const char *name, uint8_t fill, unsigned flags);

/*
 * Claim [base, base + len) for `fn`. 0; -EINVAL for an empty or wrapping
 * range; -EBUSY when it overlaps a range already registered (both named in
 * err); -ENOSPC when the table is full.
 */
int bus_register(struct bus *b, uint64_t base, uint64_t len, unsigned flags, bus_io_fn *fn,
		 void *opaque, const char *name, char *err, size_t errlen);

/* The range that covers `addr`, or NULL. */
const struct bus_range *bus_find(const struct bus *b, uint64_t addr);

/* Dispatch one guest access (1 to 8 bytes; a KVM MMIO exit is at most 8).
 * Returns true when some device handled all of it. */
bool bus_access(struct bus *b, uint64_t addr, uint8_t *data, unsigned len, bool is_write);

#endif
