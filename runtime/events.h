/* events.h: `hyrun events`: runc's stats document and event lines.
 *
 * A line is {"type": "stats", "id": ID, "data": DATA} or {"type": "oom", "id": ID}.
 * DATA has runc's shape (runc's types.Stats, members that runc omits when zero
 * omitted alike), from hyrun-vmm's cgroup on the host:
 *   cpu.usage.{total, percpu (v1 only), kernel, user}   nanoseconds
 *   cpu.throttling.{periods, throttledPeriods, throttledTime}
 *   memory.{cache, usage, swap, kernel, kernelTCP, raw}  usage etc. are
 *       {limit, usage, max, failcnt}; a limit of "max" is 18446744073709551615;
 *       swap counts memory plus swap; raw is memory.stat
 *   pids.{current, limit}                                (limit: 0 = none)
 *   blkio {}, hugetlb {}, intel_rdt {}, network_interfaces null
 * and, hyrun's own, the guest's view (absent when the guest did not answer):
 *   guest.memory.{total, free, available}    the guest kernel's, bytes
 *   guest.memory.{usage, limit}              the container's cgroup in the guest
 *   guest.cpu.usage.{total, user, kernel}    that cgroup's, nanoseconds
 *   guest.pids.{current, limit}              (limit: 0 = none)
 *   guest.oom_kills                          processes the guest kernel OOM-killed
 */
#ifndef HYRUN_RUNTIME_EVENTS_H
#define HYRUN_RUNTIME_EVENTS_H

#include <stdint.h>

#include <jansson.h>

#include "common/agent_msg.h"
#include "runtime/cgroup.h"

/* A Go duration as runc's --interval takes it ("5s", "250ms", "1m30s", "1.5h"), in
 * milliseconds (rounded up): 0, -EINVAL when malformed, -ERANGE when not above 0. */
int events_parse_interval(const char *s, int64_t *ms);

/* DATA from the host cgroup's counters and, unless NULL, the guest's. NULL: no memory. */
json_t *events_stats_data(const struct cg_stats *host, const struct agent_stats *guest);

/* One event line, compact, without its newline (malloc'd; NULL: no memory). Takes
 * data (NULL: none). */
char *events_line(const char *type, const char *id, json_t *data);

#endif
