/* agent.h: hyrun-init's agent (common/agent_proto.h, common/agent_msg.h) in PID 1.
 *
 * agent.c   the listening socket and its connections, served from PID 1's
 *           poll loop (supervise.c): frames, requests, the exec relay, ps
 * exec.c    the helper child an exec'd process starts as
 * cgroup.c  the container's cgroup in the guest: made at boot, joined by the
 *           workload and every exec'd process; update, stats, OOM events
 * ps.c      the container's processes
 *
 * PID 1 never blocks on a peer: every descriptor of a connection is
 * non-blocking, and it reads from one only as fast as what it read can be
 * passed on. Limits: AGENT_MAX_CONNS connections at once (more wait in the
 * listen backlog), each with one frame of input (HY_AGENT_FRAME_MAX + header)
 * and one frame of output buffered, so at most about 8 MiB in all.
 */
#ifndef HYRUN_ROOTFS_INIT_AGENT_H
#define HYRUN_ROOTFS_INIT_AGENT_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/agent_msg.h"
#include "rootfs/init/init.h"

#define AGENT_MAX_CONNS 64
/* The listening socket, the OOM watch, and per connection its socket, the
 * exec's set-up channel, stdin and two outputs. */
#define AGENT_POLL_MAX (2 + AGENT_MAX_CONNS * 5)

/*
 * Listen: vsock port HY_AGENT_PORT in a VM (without a vsock driver the
 * guest runs without an agent), the Unix socket init.agent_socket in
 * self-test mode. Called before the workload is forked, so connections made
 * once the host learns the workload is prepared wait in the backlog.
 */
void agent_listen(void);

/*
 * One round of PID 1's poll loop: agent_poll_fill() puts the agent's
 * descriptors in pl (room entries at least AGENT_POLL_MAX) and returns how
 * many; agent_poll_handle() acts on their revents.
 */
int agent_poll_fill(struct pollfd *pl, int room);
void agent_poll_handle(const struct pollfd *pl, int n);

/* A child PID 1 reaped that is not the workload: true when it was an exec'd
 * process (its status goes to its connection as EXIT). */
bool agent_child_exited(pid_t pid, int status);

/* The workload has ended: exec'd processes are killed (SIGKILL), what is
 * queued is sent if the peer takes it at once, and every connection closes. */
void agent_shutdown(void);

/* --- exec.c -------------------------------------------------------------------------- */

struct exec_proc {
	pid_t pid;
	int chan; /* the helper's set-up channel (child_msg); end of file: execve() done */
	bool tty;
	/* PID 1's ends, non-blocking: without a terminal three pipes; with one,
	 * -1 until the helper sends the pty's master on chan. */
	int in, out, err;
};

/* What the helper sends on chan when it fails: CHILD_FAILED, the status to
 * report (HY_INIT_STATUS_*), and the message, NUL-terminated. */
struct exec_failure {
	struct child_msg m;
	char text[AGENT_ERROR_MAX + 1];
};

/*
 * Start an exec'd process: `config` (len bytes) is the request's guest
 * configuration; it joins the mount namespace, root and cgroup of the
 * workload `workload`. 0 with *p filled in (the helper runs, its outcome
 * comes on p->chan: CHILD_FAILED with its message after the struct, or end
 * of file), or -1 with the reason in err.
 */
int exec_spawn(const char *config, size_t len, pid_t workload, struct exec_proc *p, char *err,
	       size_t errlen);

/* --- cgroup.c ------------------------------------------------------------------------ */

/*
 * At boot: cgroup2 mounted on /sys/fs/cgroup (in self-test mode only with
 * init.test_cgroup, used as it is), the controllers memory, pids and cpu
 * enabled for its children as far as the kernel has them, and the cgroup
 * "container" made. Without cgroup2 the guest runs without; update, stats
 * and events then fail with the reason.
 */
void cgroup_setup(void);
/* In a child of PID 1, before anything else: move into the container's cgroup
 * (nothing to do in a child cgroup_fork() made there). */
void cgroup_enter(void);
/*
 * fork(), the child born in the container's cgroup where the kernel can
 * (clone3 with CLONE_INTO_CGROUP, Linux 5.7): no migration, which costs a
 * grace period of RCU, on the way of every exec. With new_pid_ns, the child
 * is PID 1 of a pid namespace of its own (CLONE_NEWPID). Returns as fork()
 * does; EAGAIN when the cgroup's pids.max is reached, ENOMEM when the pid
 * namespace the caller forks into (setns) is dying.
 */
pid_t cgroup_fork(bool new_pid_ns);
/*
 * The guest configuration's linux.resources on the container's cgroup, at
 * boot before the workload is forked: memory.max, memory.swap.max,
 * pids.max, cpu.max and cpu.weight, then the device filter (devfilter.h)
 * when there are device rules, with the stdio ports (ports, nr_ports device
 * numbers) readable and writable. A limit the guest cannot apply (no
 * cgroup2, its controller missing or its file absent from the guest kernel)
 * is an error that names it, as is a device filter the kernel refuses (the
 * verifier's log) or cannot attach; two are not, as nothing is lost: a limit
 * of "max" (-1) where there is no controller, and memory.swap on a guest
 * kernel without swap. 0, or -1 with the reason in err.
 */
int cgroup_apply(const struct gc_resources *res, const dev_t *ports, size_t nr_ports, char *err,
		 size_t errlen);
/* The limits of the "update" request: 0, or -1 with the reason in err. */
int cgroup_update(const struct agent_resources *res, char *err, size_t errlen);
/* The counters of the "stats" request (the guest's /proc/meminfo too). */
int cgroup_stats(struct agent_stats *st, char *err, size_t errlen);
/* The OOM watch (an inotify descriptor for memory.events), or -1 with the
 * reason in err when there is none. */
int cgroup_events_fd(char *err, size_t errlen);
/* After the watch became readable: how many OOM kills are new since the last call. */
uint64_t cgroup_new_oom_kills(void);

/* --- ps.c ---------------------------------------------------------------------------- */

/*
 * The container's processes into ps (room for AGENT_PS_MAX): PID 1's
 * descendants (in self-test mode hyrun-init's), which leaves out PID 1 and
 * the kernel's threads (children of kthreadd), and those skip() names (exec
 * helpers that have not exec'd yet). How many, or -1 with errno. Reads
 * /proc/PID/cmdline, which waits for a process's memory map lock.
 *
 * The pids and ppids are the guest's (PID 1's /proc), also when the
 * workload is PID 1 of a pid namespace of its own and its processes see
 * other numbers: as runc's ps lists the host's pids, not the container's.
 * They are what the rest of the agent speaks: the pid of an exec's reply,
 * the processes PID 1 signals and reaps.
 */
ssize_t ps_collect(struct agent_process *ps, bool (*skip)(int pid));

#endif
