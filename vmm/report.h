/* report.h: what hyrun-vmm prints on stderr at the end of a VM: the crash report and the boot
 * trace (through callerio_report(): in the runtime's log once stderr is let go). */
#ifndef HYRUN_VMM_REPORT_H
#define HYRUN_VMM_REPORT_H

#include <stdbool.h>
#include <stdint.h>

struct serial;

/* CLOCK_MONOTONIC microseconds (common/time.h); 0: did not happen. */
struct boot_times {
	int64_t start; /* hyrun-vmm started */
	int64_t kvm_ready, first_entry, init, exec, ready;
};

/*
 * After a guest crash: the last lines of its serial console (unless
 * `console_shown`: with --console they are on stderr already) and the kernel
 * panic message, if any. Guest text is printed with control characters
 * replaced, so that it cannot drive the terminal.
 */
void report_crash(struct serial *s, bool console_shown);

/* --boot-trace: one line of microseconds since the start, -1 for what did not happen. */
void report_boot_trace(const struct boot_times *t, int64_t exit_us);

#endif
