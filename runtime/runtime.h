/* runtime.h: what the hyrun commands share: global options, logging, the verbs.
 *
 * Each verb lives in its own file (create.c, start.c, ...) and is called
 * with the arguments after its name (argv[0] is the verb). It returns the
 * process exit status: 0, or 1 after reporting the error with rt_error(),
 * as runc does; `run` returns the workload's status.
 */
#ifndef HYRUN_RUNTIME_RUNTIME_H
#define HYRUN_RUNTIME_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>

#include "common/log.h"

struct rt_global {
	const char *root; /* state root, default HY_DEFAULT_ROOT */
	bool debug;
	bool systemd_cgroup;
};

/* Room for one error message. */
#define RT_ERRLEN 1024

/*
 * Logging. Errors always go to stderr ("hyrun: error: MSG") and, with --log,
 * to the log file as well; warnings and debug messages go to the log file
 * when there is one, to stderr otherwise. The log file is text
 * (time="..." level=error msg="...") or, with --log-format json, one JSON
 * object per line: {"level":"error","msg":"...","time":"..."}, which the
 * containerd runc shim reads.
 */
int rt_log_open(const char *path, bool json, char *err, size_t errlen);
void rt_log_set_level(enum log_level level);
/* The --log file's descriptor (close-on-exec; -1 without --log) and whether it is JSON. */
int rt_log_fd(bool *json);
void rt_log(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One message as it is, for a module that hands its messages to the caller. */
void rt_log_msg(enum log_level level, const char *msg);
#define rt_error(...) rt_log(LOG_ERROR, __VA_ARGS__)
#define rt_warn(...) rt_log(LOG_WARN, __VA_ARGS__)
#define rt_info(...) rt_log(LOG_INFO, __VA_ARGS__)
#define rt_debug(...) rt_log(LOG_DEBUG, __VA_ARGS__)

/* The verbs. */
int cmd_create(struct rt_global *g, int argc, char **argv);
int cmd_start(struct rt_global *g, int argc, char **argv);
int cmd_run(struct rt_global *g, int argc, char **argv);
int cmd_state(struct rt_global *g, int argc, char **argv);
int cmd_kill(struct rt_global *g, int argc, char **argv);
int cmd_delete(struct rt_global *g, int argc, char **argv);
int cmd_list(struct rt_global *g, int argc, char **argv);
int cmd_ps(struct rt_global *g, int argc, char **argv);
int cmd_pause(struct rt_global *g, int argc, char **argv);
int cmd_resume(struct rt_global *g, int argc, char **argv);
int cmd_events(struct rt_global *g, int argc, char **argv);
int cmd_update(struct rt_global *g, int argc, char **argv);
int cmd_spec(struct rt_global *g, int argc, char **argv);
int cmd_features(struct rt_global *g, int argc, char **argv);
int cmd_plan(struct rt_global *g, int argc, char **argv);
int cmd_exec(struct rt_global *g, int argc, char **argv);

/*
 * Argument checks shared by the verbs: `want` positional arguments exactly
 * (after getopt), reported as runc does ("\"start\" requires exactly 1
 * argument(s)"). Returns 0 or reports and returns -1.
 */
int rt_want_args(const char *verb, int argc, int optind_, int want);
/*
 * The options of a verb that takes only --help, then exactly `want`
 * arguments (at argv[optind]): 0 to go on, 1 after printing usage (the verb
 * exits 0), -1 after reporting the error (it exits 1).
 */
int rt_parse_help_only(const char *verb, int argc, char **argv, int want, const char *usage);
/* --format table|json (list, ps): *json set. Returns 0 or reports and returns -1. */
int rt_parse_format(const char *arg, bool *json);

/* Write a whole buffer to a file atomically: a temporary file beside it, then rename. */
int rt_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode, char *err,
			 size_t errlen);
/* --pid-file: the pid in decimal, written atomically. */
int rt_write_pid_file(const char *path, int pid, char *err, size_t errlen);
/* The same relative to a directory fd. */
int rt_write_at_atomic(int dirfd, const char *name, const void *data, size_t len, unsigned mode,
		       char *err, size_t errlen);
/* A small file relative to a directory fd (not followed if a symlink), at most
 * len - 1 bytes of it, NUL-terminated in buf: the bytes read, or -errno
 * (-ENOENT: there is none). */
int rt_read_at(int dirfd, const char *name, char *buf, size_t len);

#endif
