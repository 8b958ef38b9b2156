/* serial.c: 16550A UART model: registers, FIFO bits, loopback, THR-empty interrupt. */
#include "vmm/hw/serial.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <linux/serial_reg.h>

#include "common/fdio.h"

/* Carrier, data set ready and clear to send: a cable with someone listening. */
#define MSR_IDLE (UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS)

void serial_init(struct serial *s, int echo_fd, void (*set_irq)(void *opaque, int level),
		 void *irq_opaque)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	s->echo_fd = echo_fd;
	s->set_irq = set_irq;
	s->irq_opaque = irq_opaque;
	s->lcr = UART_LCR_WLEN8;
	s->mcr = UART_MCR_OUT2;
}

void serial_destroy(struct serial *s)
{
	serial_flush(s);
	pthread_mutex_destroy(&s->lock);
}

static void flush_locked(struct serial *s)
{
	/* Console output is best effort; the ring keeps it. */
	if (s->echo_fd >= 0 && s->line_len > 0)
		(void)hy_write_all(s->echo_fd, s->line, s->line_len);
	s->line_len = 0;
}

void serial_flush(struct serial *s)
{
	pthread_mutex_lock(&s->lock);
	flush_locked(s);
	pthread_mutex_unlock(&s->lock);
}

static void transmit(struct serial *s, uint8_t c)
{
	s->ring[s->ring_pos % SERIAL_RING_SIZE] = (char)c;
	s->ring_pos++;
	if (s->echo_fd < 0)
		return;
	/* One write per line keeps the kernel's lines whole when they
	 * interleave with our own messages on stderr. */
	s->line[s->line_len++] = (char)c;
	if (c == '\n' || s->line_len == sizeof(s->line))
		flush_locked(s);
}

static void rx_push(struct serial *s, uint8_t c)
{
	if (s->rx_len == SERIAL_RX_SIZE)
		return; /* overrun: the byte is lost, as on hardware */
	s->rx[(s->rx_head + s->rx_len) % SERIAL_RX_SIZE] = c;
	s->rx_len++;
}

static uint8_t rx_pop(struct serial *s)
{
	uint8_t c;

	if (s->rx_len == 0)
		return 0;
	c = s->rx[s->rx_head];
	s->rx_head = (s->rx_head + 1) % SERIAL_RX_SIZE;
	s->rx_len--;
	return c;
}

/* The highest-priority pending interrupt as an IIR identification. */
static uint8_t pending_iid(const struct serial *s)
{
	if ((s->ier & UART_IER_RDI) && s->rx_len > 0)
		return UART_IIR_RDI;
	if ((s->ier & UART_IER_THRI) && s->thri_pending)
		return UART_IIR_THRI;
	return UART_IIR_NO_INT;
}

static void update_irq(struct serial *s)
{
	int level = pending_iid(s) != UART_IIR_NO_INT;

	/* The line is edge-detected by the PIC/IOAPIC (ISA IRQ 4): drop it when
	 * the guest acknowledges, so the next pending interrupt makes a new edge,
	 * the way the 8250's INTR output behaves. */
	if (level != s->irq_level) {
		s->irq_level = level;
		if (s->set_irq)
			s->set_irq(s->irq_opaque, level);
	}
}

static uint8_t modem_status(const struct serial *s)
{
	uint8_t msr = 0;

	if (!(s->mcr & UART_MCR_LOOP))
		return MSR_IDLE;
	/* Loopback wires the modem outputs back to the inputs; Linux's
	 * autoconfig checks exactly this to recognise a real 8250. */
	if (s->mcr & UART_MCR_RTS)
		msr |= UART_MSR_CTS;
	if (s->mcr & UART_MCR_DTR)
		msr |= UART_MSR_DSR;
	if (s->mcr & UART_MCR_OUT1)
		msr |= UART_MSR_RI;
	if (s->mcr & UART_MCR_OUT2)
		msr |= UART_MSR_DCD;
	return msr;
}

static void reg_write(struct serial *s, unsigned offset, uint8_t v)
{
	bool dlab = s->lcr & UART_LCR_DLAB;

	switch (offset) {
	case UART_TX:
		if (dlab) {
			s->dll = v;
			break;
		}
		if (s->mcr & UART_MCR_LOOP)
			rx_push(s, v);
		else
			transmit(s, v);
		/* Transmission is instantaneous: THR is empty again at once. */
		s->thri_pending = true;
		break;
	case UART_IER:
		if (dlab) {
			s->dlm = v;
			break;
		}
		/* A 16550A has four enable bits; the upper ones read back as zero,
		 * which is how Linux tells it from XScale and 16750 variants. */
		v &= 0x0f;
		if ((v ^ s->ier) & UART_IER_THRI)
			s->thri_pending = v & UART_IER_THRI;
		s->ier = v;
		break;
	case UART_FCR:
		s->fcr = v & (UART_FCR_ENABLE_FIFO | UART_FCR_TRIGGER_MASK);
		if (v & UART_FCR_CLEAR_RCVR)
			s->rx_head = s->rx_len = 0;
		break;
	case UART_LCR:
		s->lcr = v;
		break;
	case UART_MCR:
		s->mcr = v & 0x1f;
		break;
	case UART_SCR:
		s->scr = v;
		break;
	default:
		/* LSR and MSR are read-only. */
		break;
	}
}

static uint8_t reg_read(struct serial *s, unsigned offset)
{
	bool dlab = s->lcr & UART_LCR_DLAB;
	uint8_t v;

	switch (offset) {
	case UART_RX:
		return dlab ? s->dll : rx_pop(s);
	case UART_IER:
		return dlab ? s->dlm : s->ier;
	case UART_IIR:
		v = pending_iid(s);
		/* Reading an IIR that reports THR empty acknowledges it. */
		if (v == UART_IIR_THRI)
			s->thri_pending = false;
		if (s->fcr & UART_FCR_ENABLE_FIFO)
			v |= 0xc0; /* "FIFOs enabled": identifies a 16550A */
		return v;
	case UART_LCR:
		return s->lcr;
	case UART_MCR:
		return s->mcr;
	case UART_LSR:
		v = UART_LSR_THRE | UART_LSR_TEMT;
		if (s->rx_len > 0)
			v |= UART_LSR_DR;
		return v;
	case UART_MSR:
		return modem_status(s);
	case UART_SCR:
		return s->scr;
	}
	return 0xff;
}

void serial_io(struct serial *s, unsigned offset, uint8_t *data, bool is_write)
{
	offset &= 7;
	pthread_mutex_lock(&s->lock);
	if (is_write)
		reg_write(s, offset, *data);
	else
		*data = reg_read(s, offset);
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

size_t serial_output_tail(struct serial *s, char *dst, size_t cap)
{
	size_t n, start;

	pthread_mutex_lock(&s->lock);
	n = s->ring_pos < SERIAL_RING_SIZE ? s->ring_pos : SERIAL_RING_SIZE;
	if (n > cap)
		n = cap;
	start = s->ring_pos - n;
	for (size_t i = 0; i < n; i++)
		dst[i] = s->ring[(start + i) % SERIAL_RING_SIZE];
	pthread_mutex_unlock(&s->lock);
	return n;
}
