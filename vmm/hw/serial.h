/* serial.h: a 16550A UART (COM1) for the guest kernel's console.
 *
 * Everything the guest transmits is kept in a 64 KiB ring buffer, so the last
 * kernel messages can be shown when the guest crashes, and is copied to
 * `echo_fd` as well when that is >= 0 (--console). The interrupt output is a
 * level: set_irq(opaque, 1) while an enabled interrupt is pending, 0 otherwise,
 * called only on changes. All functions are thread-safe.
 */
#ifndef HYRUN_VMM_HW_SERIAL_H
#define HYRUN_VMM_HW_SERIAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SERIAL_RING_SIZE (64 * 1024)
#define SERIAL_RX_SIZE 16 /* the 16550A's receive FIFO */

struct serial {
	pthread_mutex_t lock;
	void (*set_irq)(void *opaque, int level);
	void *irq_opaque;
	int echo_fd;

	/* Registers. */
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
	bool thri_pending;	    /* transmitter-empty interrupt not yet acknowledged */
	uint8_t rx[SERIAL_RX_SIZE]; /* received bytes (loopback now, host input later) */
	unsigned rx_head, rx_len;
	int irq_level;

	/* Transmitted bytes. */
	char ring[SERIAL_RING_SIZE];
	size_t ring_pos; /* total bytes ever written */
	char line[256];	 /* echo buffer, flushed per line */
	size_t line_len;
};

void serial_init(struct serial *s, int echo_fd, void (*set_irq)(void *opaque, int level),
		 void *irq_opaque);
void serial_destroy(struct serial *s);

/* A one-byte guest access to register `offset` (0..7). */
void serial_io(struct serial *s, unsigned offset, uint8_t *data, bool is_write);

/* Write out a partial line still held for echo_fd. */
void serial_flush(struct serial *s);

/* Copy the newest transmitted bytes (at most cap, oldest first) to dst.
 * Returns the number copied. */
size_t serial_output_tail(struct serial *s, char *dst, size_t cap);

#endif
