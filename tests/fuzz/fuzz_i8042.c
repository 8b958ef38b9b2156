/* fuzz_i8042.c: the PS/2 controller under a sequence of guest port accesses. */
#include <stdbool.h>
#include <stdint.h>

#include "tests/fuzz/fuzz.h"
#include "vmm/hw/i8042.h"
#include "vmm/layout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct i8042 k;
	struct fuzz_in in;

	fuzz_in_init(&in, data, size);
	i8042_init(&k);
	while (in.left) {
		uint8_t op = fuzz_u8(&in), v = fuzz_u8(&in);
		uint16_t port = (op & 1) ? HY_I8042_CMD_PORT : HY_I8042_DATA_PORT;
		enum i8042_result r;

		r = i8042_io(&k, port, &v, op & 2);
		FUZZ_CHECK(r == I8042_OK || r == I8042_RESET);
		/* Only a write pulses the reset line (a 0xf0..0xff command, or
		 * an output port value with bit 0 clear). */
		if (r == I8042_RESET)
			FUZZ_CHECK(op & 2);
	}
	i8042_destroy(&k);
	return 0;
}
