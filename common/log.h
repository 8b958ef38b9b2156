/* log.h: diagnostics on stderr, never stdout (stdout belongs to the workload). */
#ifndef HYRUN_COMMON_LOG_H
#define HYRUN_COMMON_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

/* Program name printed before each message ("hyrun-vmm"). */
void log_init(const char *progname, enum log_level level);
enum log_level log_get_level(void);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Where messages go instead of "PROG: LEVEL: MSG" lines on stderr: the writer
 * gets the program name and the formatted message (one line, no newline) and
 * runs on the thread that logs. NULL restores the default. Thread-safe.
 */
void log_set_writer(void (*writer)(enum log_level level, const char *prog, const char *msg));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/*
 * At most one message a second per limiter, for failures a guest or a peer
 * can repeat at will; the next message that passes says how many were
 * suppressed since. Thread-safe; a static zero-initialised limiter works.
 */
struct log_ratelimit {
	int64_t next_ns;     /* CLOCK_MONOTONIC; atomic */
	unsigned suppressed; /* atomic */
};
#define LOG_RATELIMIT_INIT                                                                         \
	{                                                                                          \
		0, 0                                                                               \
	}

/* Whether a message may go out now; *suppressed: how many were dropped since
 * the last one that did. */
bool log_ratelimit_ok(struct log_ratelimit *rl, unsigned *suppressed);

#define log_ratelimited(rl, level, fmt, ...)                                                       \
	do {                                                                                       \
		unsigned log_rl_n_;                                                                \
		if (log_ratelimit_ok((rl), &log_rl_n_)) {                                          \
			if (log_rl_n_)                                                             \
				log_msg((level), fmt " (%u similar messages suppressed)",          \
					##__VA_ARGS__, log_rl_n_);                                 \
			else                                                                       \
				log_msg((level), fmt, ##__VA_ARGS__);                              \
		}                                                                                  \
	} while (0)

#endif
