/* agent_proto.h: the ABI between hyrun-vmm (host) and hyrun-init (guest).
 *
 * Everything the guest sends through these channels is untrusted: the host
 * validates each value before acting on it.
 */
#ifndef HYRUN_COMMON_AGENT_PROTO_H
#define HYRUN_COMMON_AGENT_PROTO_H

/*
 * Paravirtual I/O ports, claimed by hyrun-vmm and used by hyrun-init through
 * ioperm(2). A VM exit on an I/O port is the cheapest guest->host signal
 * there is, and it needs no driver in the guest.
 */
#define HY_PORT_BASE        0x0600
#define HY_PORT_COUNT       8

/*
 * 32-bit write: the workload has finished; the VM ends once the console has
 * been drained. Layout of the value:
 *   bits  0..7   exit code (HY_EXIT_KIND_EXITED) or signal number (SIGNALED)
 *   bits  8..15  kind (enum hy_exit_kind)
 *   bits 16..31  zero
 */
#define HY_PORT_EXIT        (HY_PORT_BASE + 0)

enum hy_exit_kind {
	HY_EXIT_KIND_EXITED = 0,	/* workload called exit(code) */
	HY_EXIT_KIND_SIGNALED = 1,	/* workload was killed by a signal */
	HY_EXIT_KIND_INIT_ERROR = 2,	/* hyrun-init failed before the workload ran;
					   the code is the status to report (126, 127, ...) */
};

#define HY_EXIT_VALUE(kind, code) ((((unsigned)(kind) & 0xff) << 8) | ((unsigned)(code) & 0xff))

/* 8-bit write: a boot-progress marker (enum hy_boot_mark), timestamped by the VMM. */
#define HY_PORT_BOOTMARK    (HY_PORT_BASE + 4)

enum hy_boot_mark {
	HY_BOOT_MARK_INIT = 1,		/* hyrun-init entered main() */
	HY_BOOT_MARK_EXEC = 2,		/* the workload is about to be exec'd */
};

/*
 * Names of the virtio-console (multiport) ports carrying the workload's
 * stdio. Port ids are fixed: 0 = stdin, 1 = stdout, 2 = stderr. The guest
 * finds them under /sys/class/virtio-ports/<dev>/name.
 */
#define HY_CONSOLE_PORT_STDIN   0
#define HY_CONSOLE_PORT_STDOUT  1
#define HY_CONSOLE_PORT_STDERR  2
#define HY_CONSOLE_NR_PORTS     3
#define HY_CONSOLE_NAME_STDIN   "hyrun.stdin"
#define HY_CONSOLE_NAME_STDOUT  "hyrun.stdout"
#define HY_CONSOLE_NAME_STDERR  "hyrun.stderr"

/*
 * Per-VM files the VMM appends to the initramfs as a second newc cpio
 * archive (the kernel unpacks concatenated archives in order).
 *   HY_INIT_ARGV   the workload's argv: each argument NUL-terminated, in order.
 *   HY_INIT_FLAGS  text, one "key=value" per line (e.g. "debug=1").
 */
#define HY_INIT_DIR     "/.hyrun"
#define HY_INIT_ARGV    HY_INIT_DIR "/argv"
#define HY_INIT_FLAGS   HY_INIT_DIR "/flags"

/* Module load order inside the initramfs: one file name per line, relative
 * to HY_INIT_MODDIR, dependencies first. Written by the initramfs builder. */
#define HY_INIT_MODDIR      "/lib/hyrun-modules"
#define HY_INIT_MODORDER    HY_INIT_MODDIR "/order"

/*
 * Exit statuses of hyrun-vmm that are not the workload's own (documented in
 * README): chosen away from the shell's 126/127 and from 128+N.
 */
#define HY_STATUS_VMM_ERROR     125	/* host-side error: bad options, kernel file, /dev/kvm */
#define HY_STATUS_GUEST_CRASH   123	/* guest panic, triple fault, reset or power-off
					   before the workload reported an exit status */

#endif
