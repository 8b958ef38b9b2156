/* time.c: the monotonic clock (time.h). */
#include "common/time.h"

#include <time.h>

int64_t hy_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t hy_now_ms(void)
{
	return hy_now_us() / 1000;
}
