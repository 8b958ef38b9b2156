/* legacy.h: the PC ports a Linux guest touches that have no device behind them in a hyrun microVM.
 */
#ifndef HYRUN_VMM_HW_LEGACY_H
#define HYRUN_VMM_HW_LEGACY_H

#include <stddef.h>

struct bus;

#define LEGACY_POST_PORT 0x80
#define LEGACY_CMOS_PORT 0x70 /* index; data at 0x71 */

/*
 * Register on the port bus: the POST code port (outb to 0x80 is also the
 * classic I/O delay; reads as all ones) and the CMOS/RTC index and data
 * ports, which read as zero (there is no RTC). 0 or -errno with err filled.
 */
int legacy_ports_register(struct bus *pio, char *err, size_t errlen);

#endif
