/* agent_msg.h: the JSON of the agent channel (agent_proto.h), both ends. An ABI.
 *
 * Both ends are of one build, so each side refuses what it does not know: an
 * unknown "op", an unknown member, a member of the wrong type or out of range,
 * a duplicate member. Integers are JSON integers. A REQUEST, a REPLY and an
 * EVENT are each one JSON object, the whole payload of one frame (at most
 * HY_AGENT_FRAME_MAX bytes, so an exec's configuration must fit in that).
 *
 * Requests (host -> guest), "op" first by convention:
 *   {"op": "start", "config": {...}}                       ("config" opt)
 *       release the workload held since boot (wait_start): at once when it
 *       is prepared, else as soon as it is (as the control port's START).
 *       An error when it was started already (or was never held), or when
 *       it failed to start. "config" (guest_config_encode_start()) names
 *       the network the standby NICs take (guest_config.h, "standbyNics"):
 *       hyrun-init configures them, and unbinds those it does not name,
 *       before it releases the workload; absent, every standby NIC is
 *       unbound. A NIC that cannot be configured fails the request (the
 *       workload stays held).
 *   {"op": "signal", "signal": 15, "all": false}          ("all" opt)
 *       signal 1..64 to the workload (its process group); with "all": true
 *       to every process of the container (every guest process but PID 1).
 *   {"op": "exec", "config": {...}}
 *       run a process in the container: "config" is a guest configuration
 *       (guest_config.h) of which hyrun-init uses "process" and "seccomp"
 *       only (its other members must be absent). The process joins the
 *       workload's root, mount namespace and cgroup, with its own user,
 *       capabilities, rlimits, seccomp, cwd (not created: a missing one is
 *       an error 125) and environment; with "terminal": true it gets a pty
 *       of its own. An error (125) while the workload is not set up yet
 *       (before it was prepared) or has ended.
 *   {"op": "ps"}
 *       the processes of the container (every guest process but PID 1, the
 *       agent's own and the kernel's threads: PID 1's descendants).
 *   {"op": "stats"}
 *       the guest's memory and the container's cgroup's counters.
 *   {"op": "update", "memory": N, "pids": N, "cpu_quota": N, "cpu_period": N,
 *    "cpu_weight": N}                                         (each opt)
 *       limits of the container's cgroup in the guest (cgroup v2): memory.max
 *       in bytes, pids.max, cpu.max "QUOTA PERIOD" (microseconds), cpu.weight
 *       1..10000. -1 for memory, pids or cpu_quota is "max" (no limit).
 *       cpu_period alone keeps the quota; cpu_quota alone keeps the period.
 *       Applied in that order; the first that fails stops the rest.
 *   {"op": "events"}
 *       keep the connection open and send an EVENT for each event.
 *   stats, update and events fail, saying why, where the guest has no
 *   cgroup2 (events also without the memory controller's memory.events).
 *
 * Replies (guest -> host):
 *   {"ok": true}                                    start, signal, update, events
 *   {"ok": true, "pid": N}                          exec: the process's guest pid
 *   {"ok": true, "processes": [{"pid": N, "ppid": N, "uid": N,
 *        "time": CENTISECONDS, "stat": "S", "cmd": "sh -c ..."}, ...]}      ps
 *        (at most AGENT_PS_MAX entries; "time" is user+system CPU time; "cmd"
 *        the command line, arguments joined by spaces, at most AGENT_CMD_MAX
 *        bytes, or "[comm]" when it has none. When the list does not fit in
 *        one frame, the commands are cut to 32 bytes; when it still does not,
 *        the reply is an error)
 *   {"ok": true, "stats": {
 *        "memory": {"total": B, "free": B, "available": B,   (guest, bytes)
 *                   "usage": B, "limit": B},     (the container's cgroup; limit -1: none)
 *        "cpu": {"usage_usec": N, "user_usec": N, "system_usec": N},
 *        "pids": {"current": N, "limit": N},                 (limit -1: none)
 *        "oom_kills": N}}                                    stats
 *   {"ok": false, "error": "TEXT", "status": N}     ("status" opt)
 *        the request failed; TEXT (1..AGENT_ERROR_MAX bytes) says why. For
 *        exec, "status" is the exit status to report (127: the command was
 *        not found, 126: it cannot be executed, 125: any other set-up
 *        failure).
 *
 * Events (guest -> host, after "events"):
 *   {"type": "oom"}     the guest kernel killed a process of the container for memory
 *   {"type": "exit", "pid": N, "status": N}   reserved, not sent yet (and
 *                                             refused by this decoder)
 */
#ifndef HYRUN_COMMON_AGENT_MSG_H
#define HYRUN_COMMON_AGENT_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AGENT_PS_MAX 4096
#define AGENT_CMD_MAX 256
#define AGENT_ERROR_MAX 512

enum agent_op {
	AGENT_OP_START,
	AGENT_OP_SIGNAL,
	AGENT_OP_EXEC,
	AGENT_OP_PS,
	AGENT_OP_STATS,
	AGENT_OP_UPDATE,
	AGENT_OP_EVENTS,
};

/* "update": each limit with its has_ flag. */
struct agent_resources {
	bool has_memory;
	int64_t memory; /* bytes, or -1: max */
	bool has_pids;
	int64_t pids; /* >= 1, or -1: max */
	bool has_cpu_quota;
	int64_t cpu_quota; /* microseconds >= 1000, or -1: max */
	bool has_cpu_period;
	uint64_t cpu_period; /* microseconds, 1000..1000000 */
	bool has_cpu_weight;
	uint64_t cpu_weight; /* 1..10000 */
};

struct agent_request {
	enum agent_op op;
	int sig;  /* SIGNAL: 1..64 */
	bool all; /* SIGNAL */
	/* EXEC (required), START (opt: NULL for none): the guest configuration
	 * as compact JSON text, NUL-terminated (decoded: malloc'd, owned by the
	 * request; encoding: the caller's). */
	const char *config;
	size_t config_len;
	struct agent_resources res; /* UPDATE */
};

struct agent_process {
	int pid, ppid;
	uint32_t uid;
	uint64_t time; /* centiseconds of CPU */
	char stat[4];  /* the state letter from /proc/PID/stat, NUL-terminated */
	char cmd[AGENT_CMD_MAX + 1];
};

struct agent_stats {
	uint64_t mem_total, mem_free, mem_available;
	uint64_t mem_usage;
	int64_t mem_limit; /* -1: none */
	uint64_t cpu_usage_usec, cpu_user_usec, cpu_system_usec;
	uint64_t pids_current;
	int64_t pids_limit; /* -1: none */
	uint64_t oom_kills;
};

struct agent_reply {
	bool ok;
	char error[AGENT_ERROR_MAX + 1]; /* !ok */
	bool has_status;
	int status; /* !ok, 0..255 */
	bool has_pid;
	int pid; /* exec */
	/* ps: encoded when has_processes or processes is set; decoded: has_processes,
	 * and processes malloc'd (non-NULL even for none) */
	bool has_processes;
	struct agent_process *processes;
	size_t nr_processes;
	bool has_stats;
	struct agent_stats stats;
};

enum agent_event_type {
	AGENT_EVENT_OOM,
};

struct agent_event {
	enum agent_event_type type;
};

/*
 * Encoders: the object as compact JSON, malloc'd, NUL-terminated, with its
 * length in *len (without the NUL). NULL with the reason in err and errno
 * set: EINVAL for a member out of range, an exec or start config that is not
 * a JSON object (or not a configuration its op accepts), text that is not
 * UTF-8 (error, cmd); E2BIG for a text larger than HY_AGENT_FRAME_MAX;
 * ENOMEM. What an encoder returns decodes (it is checked with the decoder).
 */
char *agent_request_encode(const struct agent_request *r, size_t *len, char *err, size_t errlen);
char *agent_reply_encode(const struct agent_reply *r, size_t *len, char *err, size_t errlen);
char *agent_event_encode(const struct agent_event *ev, size_t *len, char *err, size_t errlen);

/*
 * Decoders: `len` bytes (not NUL-terminated). 0, or -EINVAL with the member
 * that is wrong named in err (-ENOMEM). Free what a decoded request or reply
 * holds with agent_request_free() / agent_reply_free(), also after a failed
 * decode.
 */
int agent_request_decode(struct agent_request *r, const char *text, size_t len, char *err,
			 size_t errlen);
void agent_request_free(struct agent_request *r);
int agent_reply_decode(struct agent_reply *r, const char *text, size_t len, char *err,
		       size_t errlen);
void agent_reply_free(struct agent_reply *r);
int agent_event_decode(struct agent_event *ev, const char *text, size_t len, char *err,
		       size_t errlen);

/* The name of an op ("exec"), for messages; NULL for a value not in enum agent_op. */
const char *agent_op_name(enum agent_op op);

/*
 * Make s valid UTF-8 in place, for text taken from elsewhere (a command line
 * in /proc, a path in an error message) that goes into a reply: each byte
 * that is not part of a well-formed UTF-8 sequence becomes '?'.
 */
void agent_text_sanitize(char *s);

#endif
