/* devfilter.c: the guest's default device rules (see devfilter.h). */
#include "rootfs/init/devfilter.h"

#include <stdbool.h>

const struct gc_device_rule devfilter_defaults[DEVFILTER_NR_DEFAULTS] = {
    {.allow = true, .type = 'c', .major = -1, .minor = -1, .mknod = true},
    {.allow = true, .type = 'b', .major = -1, .minor = -1, .mknod = true},
#define RWM .read = true, .write = true, .mknod = true
    {.allow = true, .type = 'c', .major = 1, .minor = 3, RWM},	  /* null */
    {.allow = true, .type = 'c', .major = 1, .minor = 5, RWM},	  /* zero */
    {.allow = true, .type = 'c', .major = 1, .minor = 7, RWM},	  /* full */
    {.allow = true, .type = 'c', .major = 1, .minor = 8, RWM},	  /* random */
    {.allow = true, .type = 'c', .major = 1, .minor = 9, RWM},	  /* urandom */
    {.allow = true, .type = 'c', .major = 5, .minor = 0, RWM},	  /* tty */
    {.allow = true, .type = 'c', .major = 5, .minor = 1, RWM},	  /* console */
    {.allow = true, .type = 'c', .major = 5, .minor = 2, RWM},	  /* ptmx */
    {.allow = true, .type = 'c', .major = 136, .minor = -1, RWM}, /* pty slaves */
    {.allow = true, .type = 'c', .major = 10, .minor = 200, RWM}, /* net/tun */
#undef RWM
};
