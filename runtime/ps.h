/* ps.h: `hyrun ps`: the guest's processes as a table, the host's pids as JSON.
 *
 * The table lists the processes of the container in its guest (the agent's "ps"):
 *   UID PID PPID STAT TIME CMD
 * with guest uids and pids, STAT the state letter of /proc/PID/stat, TIME the CPU
 * time used as [DD-]HH:MM:SS. --format json prints a JSON array of the host pids in
 * the container's cgroup (hyrun-vmm and the exec proxies): those an engine can signal.
 */
#ifndef HYRUN_RUNTIME_PS_H
#define HYRUN_RUNTIME_PS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* CPU time in centiseconds as ps(1) prints TIME: "HH:MM:SS", "DD-HH:MM:SS" past a day. */
void ps_format_time(uint64_t centiseconds, char *buf, size_t len);

/*
 * runc hands the arguments after the id to ps(1); the guest has no ps(1) of
 * hyrun's: the usual selections of every process ("-e", "-f", "-ef", "-A",
 * "aux"...) are accepted and change nothing, anything else is refused.
 */
bool ps_arg_accepted(const char *arg);

/* What the guest sent, made safe for a terminal: control bytes become '?'. */
void ps_sanitize(char *s);

#endif
