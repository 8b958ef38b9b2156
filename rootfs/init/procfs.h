/* procfs.h: parsers of the text of /proc and cgroup files, for the agent's ps and stats.
 *
 * Library-style (they never print, the unit tests link them): each takes the
 * text already read, NUL-terminated, and returns 0 or -EINVAL.
 */
#ifndef HYRUN_ROOTFS_INIT_PROCFS_H
#define HYRUN_ROOTFS_INIT_PROCFS_H

#include <stddef.h>
#include <stdint.h>

/* What ps takes from /proc/PID/stat. */
struct procfs_stat {
	int pid, ppid;
	char state;
	uint64_t utime, stime; /* clock ticks */
	char comm[32];	       /* the kernel's is at most 15 bytes (TASK_COMM_LEN) */
};

/* /proc/PID/stat; the command name may hold spaces and ')' itself. */
int procfs_parse_stat(const char *text, struct procfs_stat *st);

/*
 * A command line as ps shows it, into out (outlen bytes, at least 4): the
 * arguments of /proc/PID/cmdline (len bytes, each NUL-terminated) joined by
 * spaces, or "[comm]" when there are none (a kernel thread, a zombie); cut
 * to fit and made valid UTF-8.
 */
void procfs_format_cmd(const char *cmdline, size_t len, const char *comm, char *out, size_t outlen);

/* The value of "key N" in a flat-keyed file (cpu.stat, memory.events). */
int procfs_keyed(const char *text, const char *key, uint64_t *out);

/* The value of "Key:  N kB" in /proc/meminfo, in bytes. */
int procfs_meminfo(const char *text, const char *key, uint64_t *bytes);

/* A cgroup limit (memory.max, pids.max): "max" is -1. */
int procfs_limit(const char *text, int64_t *out);

/* The effective uid of the "Uid:" line of /proc/PID/status. */
int procfs_status_uid(const char *text, uint32_t *uid);

#endif
