/* err.h: hyrun's one error convention, and its one helper.
 *
 * - Library code (common/, oci/, netns/, the runtime's modules, vmm devices
 *   and loaders) never prints. A function that can fail takes the caller's
 *   buffer as `char *err, size_t errlen` (always spelled so), fills it
 *   through hy_err() with a message that names what failed (a file, a
 *   member, a device), and returns a negative errno-style value (-EINVAL,
 *   -ENOMEM, the failed call's -errno). 0 is success.
 * - Each CLI verb (hyrun's runtime/<verb>.c, hyrun-vmm's main.c) prints once,
 *   with context, through its logger.
 * - Once a VM runs, a host-side fatal error in hyrun-vmm stops that VM with a
 *   clear message (vm_stop()); a malformed guest request gets a protocol
 *   error or stops the VM, never undefined behaviour.
 * - hyrun-init, a one-shot PID 1, may die with a message.
 */
#ifndef HYRUN_COMMON_ERR_H
#define HYRUN_COMMON_ERR_H

#include <stdarg.h>
#include <stddef.h>

/*
 * Format a message into err (errlen bytes; nothing when err is NULL or
 * errlen 0) and return `code`, so that a failure reads
 *     return hy_err(err, errlen, -EINVAL, "process.args: must be an array");
 * errno is preserved.
 */
int hy_err(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int hy_verr(char *err, size_t errlen, int code, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

#endif
