/* report.c: the crash report (the end of the serial console, the panic line) and the boot trace. */
#include "vmm/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "vmm/callerio.h"
#include "vmm/hw/serial.h"

#define CRASH_TAIL_LINES 20

/* Print a line of guest output without letting it drive the terminal. */
static void print_guest_line(const char *prefix, const char *s, size_t len)
{
	char buf[600];
	size_t n = 0;

	n = (size_t)snprintf(buf, sizeof(buf), "%s", prefix);
	for (size_t i = 0; i < len && n < sizeof(buf) - 2; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\r')
			continue;
		buf[n++] = (c >= 0x20 && c < 0x7f) || c == '\t' ? (char)c : '?';
	}
	buf[n] = '\0';
	callerio_report(LOG_ERROR, buf);
}

void report_crash(struct serial *s, bool console_shown)
{
	cleanup_free char *buf = malloc(SERIAL_RING_SIZE);
	size_t len, start, lines = 0;
	const char *panic = NULL;

	if (!buf)
		return;
	len = serial_output_tail(s, buf, SERIAL_RING_SIZE);
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	if (len == 0) {
		log_error("the guest wrote nothing to its serial console");
		return;
	}
	for (start = len; start > 0; start--) {
		if (buf[start - 1] == '\n' && ++lines == CRASH_TAIL_LINES)
			break;
	}
	if (!console_shown) {
		log_error("last lines of the guest's serial console:");
		for (size_t i = start; i < len;) {
			const char *nl = memchr(buf + i, '\n', len - i);
			size_t end = nl ? (size_t)(nl - buf) : len;

			print_guest_line("  | ", buf + i, end - i);
			i = end + 1;
		}
	}
	for (const char *p = buf; (p = memmem(p, len - (size_t)(p - buf), "Kernel panic", 12)); p++)
		panic = p;
	if (panic) {
		const char *nl = memchr(panic, '\n', len - (size_t)(panic - buf));
		size_t n = nl ? (size_t)(nl - panic) : len - (size_t)(panic - buf);

		print_guest_line("hyrun-vmm: guest kernel panic: ", panic, n);
	}
}

void report_boot_trace(const struct boot_times *bt, int64_t exit_us)
{
	int64_t start = bt->start;
	int64_t t[] = {bt->kvm_ready, bt->first_entry, bt->init, bt->exec, exit_us};
	char buf[256];

	for (size_t i = 0; i < ARRAY_SIZE(t); i++)
		t[i] = t[i] ? t[i] - start : -1;
	snprintf(buf, sizeof(buf),
		 "hyrun-vmm: boot-trace: start_mono_us=%lld kvm_ready_us=%lld "
		 "first_entry_us=%lld init_us=%lld exec_us=%lld exit_us=%lld",
		 (long long)start, (long long)t[0], (long long)t[1], (long long)t[2],
		 (long long)t[3], (long long)t[4]);
	callerio_report(LOG_INFO, buf);
}
