/* test_vmm_hw_serial.c: the 16550A model as Linux's 8250 driver probes and drives it. */
#include "vmm/hw/serial.h"

#include <criterion/criterion.h>
#include <string.h>

#include <linux/serial_reg.h>

static int irq_level = -1;
static int irq_changes;

static void set_irq(void *opaque, int level)
{
	(void)opaque;
	irq_level = level;
	irq_changes++;
}

static struct serial s;

static void setup(void)
{
	irq_level = -1;
	irq_changes = 0;
	serial_init(&s, -1, set_irq, NULL);
}

static void teardown(void)
{
	serial_destroy(&s);
}

static uint8_t rd(unsigned off)
{
	uint8_t v = 0;

	serial_io(&s, off, &v, false);
	return v;
}

static void wr(unsigned off, uint8_t v)
{
	serial_io(&s, off, &v, true);
}

TestSuite(serial, .init = setup, .fini = teardown);

Test(serial, ier_keeps_only_four_bits)
{
	wr(UART_IER, 0xff);
	cr_assert_eq(rd(UART_IER), 0x0f);
	wr(UART_IER, 0);
	cr_assert_eq(rd(UART_IER), 0);
}

Test(serial, loopback_reflects_modem_lines)
{
	wr(UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2 | UART_MCR_RTS);
	cr_assert_eq(rd(UART_MSR) & 0xf0, UART_MSR_DCD | UART_MSR_CTS);
	wr(UART_MCR, 0);
	cr_assert_eq(rd(UART_MSR) & 0xf0, UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS);
}

Test(serial, loopback_data_is_received_not_sent)
{
	char out[8];

	wr(UART_MCR, UART_MCR_LOOP);
	wr(UART_TX, 'x');
	cr_assert(rd(UART_LSR) & UART_LSR_DR);
	cr_assert_eq(rd(UART_RX), 'x');
	cr_assert_not(rd(UART_LSR) & UART_LSR_DR);
	cr_assert_eq(serial_output_tail(&s, out, sizeof(out)), 0);
}

Test(serial, fifo_bits_identify_16550a)
{
	cr_assert_eq(rd(UART_IIR), UART_IIR_NO_INT);
	wr(UART_FCR, UART_FCR_ENABLE_FIFO);
	cr_assert_eq(rd(UART_IIR) >> 6, 3);
	wr(UART_FCR, 0);
	cr_assert_eq(rd(UART_IIR) >> 6, 0);
}

Test(serial, divisor_latch_is_separate)
{
	wr(UART_LCR, UART_LCR_DLAB);
	wr(UART_DLL, 0x0c);
	wr(UART_DLM, 0x01);
	cr_assert_eq(rd(UART_DLL), 0x0c);
	cr_assert_eq(rd(UART_DLM), 0x01);
	wr(UART_LCR, UART_LCR_WLEN8);
	cr_assert_eq(rd(UART_IER), 0);
}

Test(serial, thre_interrupt_on_enable_ack_and_write)
{
	wr(UART_IER, UART_IER_THRI);
	cr_assert_eq(irq_level, 1);
	cr_assert_eq(rd(UART_IIR) & UART_IIR_ID, UART_IIR_THRI);
	cr_assert_eq(irq_level, 0, "reading IIR acknowledges THRI");
	cr_assert_eq(rd(UART_IIR) & UART_IIR_NO_INT, UART_IIR_NO_INT);
	wr(UART_TX, 'a');
	cr_assert_eq(irq_level, 1, "THR empties at once and interrupts again");
	wr(UART_IER, 0);
	cr_assert_eq(irq_level, 0);
}

Test(serial, linux_thre_bug_probe_passes)
{
	/* serial8250_do_startup(): THRI must be re-asserted after re-enabling. */
	wr(UART_IER, UART_IER_THRI);
	(void)rd(UART_IIR);
	wr(UART_IER, 0);
	wr(UART_IER, UART_IER_THRI);
	cr_assert_eq(rd(UART_IIR) & UART_IIR_NO_INT, 0);
}

Test(serial, lsr_always_ready_to_send)
{
	cr_assert_eq(rd(UART_LSR) & (UART_LSR_THRE | UART_LSR_TEMT), UART_LSR_THRE | UART_LSR_TEMT);
}

Test(serial, ring_keeps_the_newest_bytes)
{
	char *out = malloc(SERIAL_RING_SIZE);
	size_t n;

	cr_assert_not_null(out);
	for (unsigned i = 0; i < SERIAL_RING_SIZE + 10; i++)
		wr(UART_TX, (uint8_t)('a' + i % 26));
	n = serial_output_tail(&s, out, SERIAL_RING_SIZE);
	cr_assert_eq(n, SERIAL_RING_SIZE);
	cr_assert_eq(out[n - 1], 'a' + (SERIAL_RING_SIZE + 9) % 26);
	cr_assert_eq(out[0], 'a' + 10 % 26);
	n = serial_output_tail(&s, out, 3);
	cr_assert_eq(n, 3);
	cr_assert_eq(out[2], 'a' + (SERIAL_RING_SIZE + 9) % 26);
	free(out);
}
