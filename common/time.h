/* time.h: the monotonic clock, as hyrun's timeouts and boot traces read it. */
#ifndef HYRUN_COMMON_TIME_H
#define HYRUN_COMMON_TIME_H

#include <stdint.h>

/* CLOCK_MONOTONIC in microseconds and in milliseconds. */
int64_t hy_now_us(void);
int64_t hy_now_ms(void);

#endif
