/* lifecycle.h: create, start and delete as functions, shared by their verbs and `run`. */
#ifndef HYRUN_RUNTIME_LIFECYCLE_H
#define HYRUN_RUNTIME_LIFECYCLE_H

#include <stdbool.h>
#include <sys/types.h>

#include "oci/linux.h"
#include "oci/spec.h"
#include "runtime/runtime.h"

struct create_opts {
	const char *id;
	const char *bundle;	    /* default: the current directory */
	const char *pid_file;	    /* NULL: none */
	const char *console_socket; /* NULL: none */
	unsigned preserve_fds;	    /* fds 3 .. 3+N-1 stay open in hyrun-vmm */
	/* `run` in the foreground, for a process.terminal container without a
	 * console socket: own_tty when hyrun's stdin and stdout are a terminal,
	 * which the VMM then uses itself; otherwise, console_master not NULL:
	 * create makes a pty and stores its master there for run to relay
	 * (console_open_pty()). */
	bool own_tty;
	int *console_master;
	/* `run` in the foreground: without --log, the VMM's messages after create
	 * go to hyrun's stderr (else to --log, or nowhere). */
	bool log_to_stderr;
	/* `run` only. */
	bool detach, keep;
};

/*
 * The options of create (run: false) and run (run: true), and the container
 * id: 0, 1 after printing the help, or -1 after reporting the error.
 */
int create_parse_args(struct rt_global *g, bool run, int argc, char **argv, struct create_opts *o);

/*
 * Everything `create` does (see create.c). On success the container is
 * "created" and *vmm_pid is hyrun-vmm's host pid; on failure nothing is
 * left (process, cgroup, state directory) and the error has been reported.
 * The caller must have set PR_SET_CHILD_SUBREAPER when it wants to wait
 * for the VMM afterwards (run does; create needs it only for its clean-up
 * and sets it itself).
 */
int container_create(struct rt_global *g, const struct create_opts *o, pid_t *vmm_pid);
/* `start`: 0, or -1 after reporting. */
int container_start(struct rt_global *g, const char *id);
/* `delete`: 0, or -1 after reporting. With force a running container is killed first, and a
 * missing one is no error. */
int container_delete(struct rt_global *g, const char *id, bool force);

/* Load a config.json and its host-side members. Errors are prefixed with the path. */
int lifecycle_load_spec(const char *path, struct oci_spec *spec, struct oci_linux *l, char *err,
			size_t errlen);

#endif
