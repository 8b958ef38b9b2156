/* fuzz_serial.c: the 16550A UART under a sequence of guest port accesses.
 *
 * The interrupt callback checks the header's promise that it is called only
 * on changes of level; the transmit ring's tail must come back intact.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "vmm/hw/serial.h"

static int level;
static unsigned changes;

static void set_irq(void *opaque, int lvl)
{
	FUZZ_CHECK(opaque == &level);
	FUZZ_CHECK(lvl == 0 || lvl == 1);
	FUZZ_CHECK(lvl != level);
	level = lvl;
	changes++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct serial s;
	static char tail[SERIAL_RING_SIZE + 16];
	struct fuzz_in in;
	size_t n;

	fuzz_in_init(&in, data, size);
	level = 0;
	serial_init(&s, -1, set_irq, &level);
	while (in.left) {
		uint8_t op = fuzz_u8(&in);
		uint8_t v = (op & 0x10) ? fuzz_u8(&in) : 0;

		if (op & 0x08) {
			serial_io(&s, op & 7, &v, true);
		} else {
			serial_io(&s, op & 7, &v, false);
		}
		if ((op & 0xe0) == 0xe0) {
			n = serial_output_tail(&s, tail, (size_t)v * 300);
			FUZZ_CHECK(n <= (size_t)v * 300 && n <= SERIAL_RING_SIZE);
		}
	}
	n = serial_output_tail(&s, tail, sizeof(tail));
	FUZZ_CHECK(n <= SERIAL_RING_SIZE && n <= s.ring_pos);
	serial_flush(&s);
	serial_destroy(&s);
	return 0;
}
