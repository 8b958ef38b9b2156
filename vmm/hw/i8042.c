/* i8042.c: PS/2 controller: command byte, self tests, and the reset line. */
#include "vmm/hw/i8042.h"

#include "vmm/layout.h"

/* Status register bits. */
#define STS_OBF 0x01	  /* output buffer full: a byte waits at port 0x60 */
#define STS_SYS 0x04	  /* system flag: POST passed */
#define STS_UNLOCKED 0x10 /* keyboard not inhibited (Linux warns "Keylock active") */

/* Command byte bits. */
#define CTR_KBDINT 0x01
#define CTR_SYS 0x04
#define CTR_KBDDIS 0x10
#define CTR_AUXDIS 0x20
#define CTR_XLATE 0x40

/* Controller commands (port 0x64). */
#define CMD_READ_CTR 0x20
#define CMD_WRITE_CTR 0x60
#define CMD_AUX_DISABLE 0xa7
#define CMD_AUX_ENABLE 0xa8
#define CMD_AUX_TEST 0xa9
#define CMD_SELF_TEST 0xaa
#define CMD_KBD_TEST 0xab
#define CMD_KBD_DISABLE 0xad
#define CMD_KBD_ENABLE 0xae
#define CMD_READ_OUTP 0xd0
#define CMD_WRITE_OUTP 0xd1
#define CMD_WRITE_KBD_OUT 0xd2
#define CMD_PULSE_RESET 0xfe

void i8042_init(struct i8042 *k)
{
	pthread_mutex_init(&k->lock, NULL);
	k->ctr = CTR_KBDINT | CTR_SYS | CTR_XLATE;
	k->outp = 0x01; /* bit 0: the CPU reset line, active low */
	k->pending_cmd = 0;
	k->out_full = false;
}

void i8042_destroy(struct i8042 *k)
{
	pthread_mutex_destroy(&k->lock);
}

static void put_out(struct i8042 *k, uint8_t v)
{
	k->out = v;
	k->out_full = true;
}

/*
 * Answering the commands Linux sends while probing matters for boot time:
 * each one left unanswered costs the driver a 500 ms wait for OBF.
 */
static enum i8042_result command(struct i8042 *k, uint8_t cmd)
{
	switch (cmd) {
	case CMD_READ_CTR:
		put_out(k, k->ctr);
		break;
	case CMD_WRITE_CTR:
	case CMD_WRITE_OUTP:
	case CMD_WRITE_KBD_OUT:
		k->pending_cmd = cmd;
		break;
	case CMD_AUX_DISABLE:
		k->ctr |= CTR_AUXDIS;
		break;
	case CMD_AUX_ENABLE:
		k->ctr &= (uint8_t)~CTR_AUXDIS;
		break;
	case CMD_AUX_TEST:
		put_out(k, 0xff); /* no mouse port */
		break;
	case CMD_SELF_TEST:
		put_out(k, 0x55);
		break;
	case CMD_KBD_TEST:
		put_out(k, 0x00);
		break;
	case CMD_KBD_DISABLE:
		k->ctr |= CTR_KBDDIS;
		break;
	case CMD_KBD_ENABLE:
		k->ctr &= (uint8_t)~CTR_KBDDIS;
		break;
	case CMD_READ_OUTP:
		put_out(k, k->outp);
		break;
	default:
		/* 0xf0..0xff pulse output port lines low; bit 0 is CPU reset. */
		if ((cmd & 0xf0) == 0xf0 && !(cmd & 0x01))
			return I8042_RESET;
		break;
	}
	return I8042_OK;
}

static enum i8042_result data_write(struct i8042 *k, uint8_t v)
{
	uint8_t cmd = k->pending_cmd;

	k->pending_cmd = 0;
	switch (cmd) {
	case CMD_WRITE_CTR:
		k->ctr = v;
		break;
	case CMD_WRITE_OUTP:
		k->outp = v;
		if (!(v & 0x01))
			return I8042_RESET;
		break;
	case CMD_WRITE_KBD_OUT:
		put_out(k, v);
		break;
	default:
		/* A byte for the keyboard: there is none (i8042.dumbkbd). */
		break;
	}
	return I8042_OK;
}

enum i8042_result i8042_io(struct i8042 *k, uint16_t port, uint8_t *data, bool is_write)
{
	enum i8042_result r = I8042_OK;

	pthread_mutex_lock(&k->lock);
	if (port == HY_I8042_CMD_PORT) {
		if (is_write)
			r = command(k, *data);
		else
			*data = (uint8_t)((k->out_full ? STS_OBF : 0) | STS_SYS | STS_UNLOCKED);
	} else {
		if (is_write) {
			r = data_write(k, *data);
		} else {
			*data = k->out_full ? k->out : 0;
			k->out_full = false;
		}
	}
	pthread_mutex_unlock(&k->lock);
	return r;
}
