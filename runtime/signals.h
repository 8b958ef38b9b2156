/* signals.h: signal names and numbers as `kill` takes them. */
#ifndef HYRUN_RUNTIME_SIGNALS_H
#define HYRUN_RUNTIME_SIGNALS_H

/*
 * "TERM", "SIGTERM", "term", "15", "RTMIN+3", "SIGRTMAX-1" -> the signal
 * number (1..64); -1 when `s` names no signal.
 */
int signal_parse(const char *s);
/* "SIGTERM" for 15; NULL for numbers with no name of their own. */
const char *signal_name(int sig);

#endif
