/* strv.h: arrays of strings (mount options, argument lists). */
#ifndef HYRUN_COMMON_STRV_H
#define HYRUN_COMMON_STRV_H

#include <stdbool.h>
#include <stddef.h>

/* Whether one of the n strings of v equals s (a mount's "ro" option, ...). */
bool hy_strv_contains(const char *const *v, size_t n, const char *s);

#endif
