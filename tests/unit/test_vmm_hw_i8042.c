/* test_vmm_hw_i8042.c: the PS/2 controller answers Linux's probe and resets on 0xfe. */
#include "vmm/hw/i8042.h"

#include <criterion/criterion.h>

#include "vmm/layout.h"

static struct i8042 k;

static void setup(void)
{
	i8042_init(&k);
}

static void teardown(void)
{
	i8042_destroy(&k);
}

TestSuite(i8042, .init = setup, .fini = teardown);

static enum i8042_result cmd(uint8_t c)
{
	return i8042_io(&k, HY_I8042_CMD_PORT, &c, true);
}

static uint8_t status(void)
{
	uint8_t v = 0;

	i8042_io(&k, HY_I8042_CMD_PORT, &v, false);
	return v;
}

static uint8_t data(void)
{
	uint8_t v = 0;

	i8042_io(&k, HY_I8042_DATA_PORT, &v, false);
	return v;
}

Test(i8042, ctr_round_trip)
{
	uint8_t v = 0x65;

	cr_assert_eq(status() & 1, 0);
	cmd(0x60);
	i8042_io(&k, HY_I8042_DATA_PORT, &v, true);
	cmd(0x20);
	cr_assert_eq(status() & 1, 1);
	cr_assert_eq(data(), 0x65);
	cr_assert_eq(status() & 1, 0);
}

Test(i8042, self_test_and_keylock)
{
	cmd(0xaa);
	cr_assert_eq(data(), 0x55);
	cr_assert(status() & 0x10, "keyboard reported as not inhibited");
}

Test(i8042, reset_line)
{
	cr_assert_eq(cmd(0xfe), I8042_RESET);
	cr_assert_eq(cmd(0xff), I8042_OK);
}
