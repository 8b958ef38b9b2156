/* callerio.h: hyrun-vmm's own descriptors 0, 1 and 2, which it got from its caller.
 *
 * The workload's stdio is carried by the console, which works on copies of
 * its own (virtio_console_new()) and closes each once the guest is done
 * with that stream. hyrun-vmm's own 0-2 must not keep the caller's files
 * open past that, or whoever reads the caller's stdout to its end would
 * wait for the whole VM:
 *   - once the VM is set up (the console and the terminal hold their
 *     copies), 0 and 1 become the sink: the writing end of a pipe whose
 *     reading end is closed (writes fail with EPIPE, reads with EBADF);
 *   - 2 carries hyrun-vmm's own messages until callerio_release_stderr()
 *     (main.c calls it in create mode once the workload is prepared, before
 *     "ready" goes out); from then on they go to the log descriptor given
 *     (--log-fd), as lines of the format given, or into the sink.
 * None of 0-2 is ever left free: a file the virtio-fs server opens later
 * must never become hyrun-vmm's stdout or stderr.
 */
#ifndef HYRUN_VMM_CALLERIO_H
#define HYRUN_VMM_CALLERIO_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "common/log.h"

/* How messages are written to the log descriptor once stderr is released. */
enum callerio_format {
	CALLERIO_PLAIN, /* "PROG: LEVEL: MSG", as on stderr */
	/* logrus' text, as hyrun --log-format text writes its own:
	 * time="2024-05-01T10:00:00.000000001Z" level=error msg="PROG: MSG" */
	CALLERIO_TEXT,
	/* one JSON object per line, as hyrun --log-format json (what the
	 * containerd runc shim reads): {"level":"error","msg":"PROG: MSG","time":"..."} */
	CALLERIO_JSON,
};

/* "plain", "text" or "json": 0, or -EINVAL. */
int callerio_parse_format(const char *s, enum callerio_format *out);

/* Make the sink. Before anything else; 0 or -errno with err filled. */
int callerio_init(char *err, size_t errlen);

/*
 * --log-fd: messages go to fd (open for writing; made close-on-exec) in
 * `format` once stderr is released. 0, or -EBADF with err filled.
 */
int callerio_set_log(int fd, enum callerio_format format, char *err, size_t errlen);

/* 0 and 1 become the sink. 0 or -errno with err filled. */
int callerio_drop_stdin_stdout(char *err, size_t errlen);

/*
 * Let the caller's stderr go: from now on hyrun-vmm's messages (common/log.h,
 * callerio_report(), the seccomp report) go to the log descriptor in its
 * format, or into the sink without one. Once; any thread; later calls do
 * nothing.
 */
void callerio_release_stderr(void);

/*
 * A report line (vmm/report.c) that carries its own prefix, if any, without
 * a newline: written as it is on stderr until it is released, then as a
 * message of `level` in the log's format.
 */
void callerio_report(enum log_level level, const char *line);

/*
 * One log line (with its newline) of `format` into buf: the level, the
 * message as "PROG: MSG" (escaped for the text and JSON formats) and, for
 * those, the time `when` (UTC, RFC 3339 with nanoseconds). Cut to fit cap;
 * NUL-terminated. Returns its length.
 */
size_t callerio_format_line(char *buf, size_t cap, enum callerio_format format,
			    enum log_level level, const char *prog, const char *msg,
			    const struct timespec *when);

#endif
