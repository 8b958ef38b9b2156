/* legacy.c: the POST code port and the absent RTC, which Linux pokes at without a device there. */
#include "vmm/hw/legacy.h"

#include <stdbool.h>
#include <stdint.h>

#include "vmm/bus.h"

/* POST codes and I/O delays (outb to 0x80): nothing to do. */
static void post_io(void *opaque, uint64_t off, uint8_t *data, unsigned len, bool is_write)
{
	if (!is_write)
		*data = 0xff;
}

/* No RTC. Reading zero rather than all ones matters: an all-ones register A
 * has "update in progress" set forever, and code that waits for it to clear
 * would never finish. */
static void cmos_io(void *opaque, uint64_t off, uint8_t *data, unsigned len, bool is_write)
{
	if (!is_write)
		*data = 0;
}

int legacy_ports_register(struct bus *pio, char *err, size_t errlen)
{
	int r = bus_register(pio, LEGACY_POST_PORT, 1, BUS_BYTEWISE, post_io, NULL, "POST port",
			     err, errlen);

	if (!r)
		r = bus_register(pio, LEGACY_CMOS_PORT, 2, BUS_BYTEWISE, cmos_io, NULL, "CMOS", err,
				 errlen);
	return r;
}
