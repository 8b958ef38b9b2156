/* log_ratelimit.c: log_ratelimit_ok() (log.h), apart from log.c so that a
 * replacement of log.c (tests/fuzz/quiet_log.c) keeps it. */
#include "common/log.h"

#include <time.h>

bool log_ratelimit_ok(struct log_ratelimit *rl, unsigned *suppressed)
{
	struct timespec ts;
	int64_t now, next;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	next = __atomic_load_n(&rl->next_ns, __ATOMIC_RELAXED);
	if (now < next || !__atomic_compare_exchange_n(&rl->next_ns, &next, now + 1000000000, false,
						       __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
		__atomic_add_fetch(&rl->suppressed, 1, __ATOMIC_RELAXED);
		return false;
	}
	*suppressed = __atomic_exchange_n(&rl->suppressed, 0, __ATOMIC_RELAXED);
	return true;
}
