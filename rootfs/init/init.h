/* init.h: the PID 1 internals shared by init.c (boot), child.c and supervise.c. */
#ifndef HYRUN_ROOTFS_INIT_INIT_H
#define HYRUN_ROOTFS_INIT_INIT_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/agent_proto.h"
#include "common/guest_config.h"

/*
 * INIT_ERROR code for a failure of the guest's own setup (mounts, console
 * ports, fork). 125 is what docker/podman return when the runtime, not the
 * command, failed; it stays apart from 126/127 (command not executable /
 * not found) and from 128+N (killed by signal N).
 */
#define STATUS_SETUP_FAILED HY_INIT_STATUS_SETUP
#define STATUS_NOT_EXECUTABLE HY_INIT_STATUS_NOEXEC
#define STATUS_NOT_FOUND HY_INIT_STATUS_NOTFOUND

/* The environment of a workload run without a guest configuration. */
#define WORKLOAD_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define WORKLOAD_HOME "/root"

struct init_state {
	/*
	 * Self-test mode (not PID 1, HYRUN_INIT_TEST_ROOT set): guest paths
	 * resolve under root, and nothing touches mounts, modules, I/O ports
	 * or power state. In a VM root is "".
	 */
	bool test;
	const char *root;
	const char *test_shares; /* HYRUN_INIT_TEST_SHARES: share tag T is <dir>/T */
	/* Self-test mode: HYRUN_INIT_AGENT_SOCKET, the Unix socket the agent
	 * listens on instead of vsock (none: no agent), and
	 * HYRUN_INIT_TEST_CGROUP, a cgroup2 directory that stands in for the
	 * guest's root cgroup (none: no cgroup). */
	const char *agent_socket;
	const char *test_cgroup;
	bool debug;
	bool wait_start; /* flag wait_start=1: hold the prepared workload until START */
	/* flag terminal=1, or the guest configuration's process.terminal: the
	 * workload's stdio is a pty */
	bool terminal;
	bool ports;  /* ioperm() succeeded: hyrun-vmm is listening */
	int console; /* diagnostics; -1 = fd 2 */
	int modules_failed;
	long port_timeout_ms;
	long control_grace_ms;
	unsigned ports_found;
	char port_dev[HY_CONSOLE_NR_PORTS][PATH_MAX];
	/* HY_INIT_CONFIG, decoded: the workload runs in its container root.
	 * NULL: HY_INIT_ARGV in the initramfs. */
	const struct guest_config *gc;
};

extern struct init_state init;

/*
 * From the workload child to PID 1, over a SOCK_SEQPACKET pair that is
 * close-on-exec in the child: end of file there means the execve()
 * succeeded. PID 1 answers CHILD_PREPARED with one byte: go.
 */
enum child_msg_kind {
	CHILD_FAILED = 1, /* status: INIT_ERROR code to report; err: errno of the step */
	CHILD_PREPARED,	  /* wait_start: everything but the execve() is done */
	CHILD_TTY,	  /* terminal: the pty's master comes with it (SCM_RIGHTS) */
};

struct child_msg {
	int kind;
	int status;
	int err;
};

/* init.c: messages on hyrun-init's console, the host's ports, the way out. */
void init_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void init_dbg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void __attribute__((noreturn, format(printf, 1, 2))) init_die(const char *fmt, ...);
void init_boot_mark(enum hy_boot_mark mark);

/* child.c: in the forked child, with stdio[] the stdin, stdout and stderr
 * ports and chan its end of the pair to PID 1. Execs the workload or exits. */
void __attribute__((noreturn)) child_run(char **argv, const int stdio[3], int chan);

struct container_error;
/*
 * child.c, for any child of PID 1 that is about to exec: a pty from the
 * devpts of the current root, its slave as the controlling terminal (the
 * caller has called setsid()) and as fds 0-2, its master sent to PID 1 on
 * chan (CHILD_TTY with SCM_RIGHTS). 0, or -1 with *e filled in.
 */
int child_tty(int chan, struct container_error *e);
/* PID 1's end of a child's set-up channel: one message into buf (len bytes)
 * with the descriptor it carries in *fd (-1: none), received close-on-exec.
 * Returns recvmsg()'s result. */
ssize_t child_chan_recv(int chan, void *buf, size_t len, int flags, int *fd);
/* Every signal back to its default action, none blocked (PID 1 blocks and
 * ignores some). */
void child_default_signals(void);

/* supervise.c: runs the workload (argv, or init.gc) to its end and returns
 * its exit report (HY_EXIT_VALUE). waitset: the signals PID 1 has blocked. */
unsigned supervise_workload(char **argv, const sigset_t *waitset);

/*
 * supervise.c, for the agent (agent.c):
 *   supervise_workload_pid()   the workload's pid once it is set up (exec'd,
 *                              or prepared and held for START), else 0; the
 *                              guest's pid (PID 1's namespace) also when the
 *                              workload has a pid namespace of its own
 *   supervise_start()          the agent's start: the standby NICs set up
 *                              from config (a start configuration, len bytes;
 *                              NULL: none, they are all unbound), then 0 when
 *                              the workload is released, or will be once it
 *                              is prepared; -1 with the reason in err when it
 *                              was started already or cannot be, or when the
 *                              network fails ("network: ...": the workload
 *                              stays held), or when there is a config but no
 *                              standby NIC
 *   supervise_start_result()   after a start that returned 0, what the reply
 *                              may say: 1 not yet (the workload has not
 *                              reached its execve()), 0 it has (or is late:
 *                              stopped or frozen, see START_EXEC_WAIT_MS), -1
 *                              it did not start, with the reason in err. PID
 *                              1's poll loop wakes for the deadline, and the
 *                              agent asks each round.
 *   supervise_signal()         a signal to the workload's process group, or
 *                              with all to every process (in self-test mode
 *                              only the workload's group). The workload as
 *                              PID 1 of its pid namespace is sent, from this
 *                              ancestor namespace, only what it handles, and
 *                              SIGKILL and SIGSTOP in every case, as runc's
 *                              kill does on a host
 */
pid_t supervise_workload_pid(void);
int supervise_start(const char *config, size_t len, char *err, size_t errlen);
int supervise_start_result(char *err, size_t errlen);
void supervise_signal(int sig, bool all);

#endif
