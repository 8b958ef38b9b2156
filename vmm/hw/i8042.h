/* i8042.h: the smallest PS/2 controller Linux accepts: enough of the command
 * set for the i8042 driver to probe without timeouts, and the CPU reset line
 * (command 0xfe), which is how the kernel reboots with reboot=k. */
#ifndef HYRUN_VMM_HW_I8042_H
#define HYRUN_VMM_HW_I8042_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct i8042 {
	pthread_mutex_t lock;
	uint8_t ctr;	     /* controller command byte ("CTR") */
	uint8_t outp;	     /* output port */
	uint8_t pending_cmd; /* command waiting for its data byte, or 0 */
	uint8_t out;	     /* output buffer ... */
	bool out_full;	     /* ... and whether it holds a byte */
};

enum i8042_result {
	I8042_OK = 0,
	I8042_RESET = 1, /* the guest pulsed the CPU reset line */
};

void i8042_init(struct i8042 *k);
void i8042_destroy(struct i8042 *k);

/* A one-byte access to port 0x60 (data) or 0x64 (status/command). */
enum i8042_result i8042_io(struct i8042 *k, uint16_t port, uint8_t *data, bool is_write);

#endif
