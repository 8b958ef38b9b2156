/* hooks.h: running the OCI hooks of config.json (runtime-spec "Hooks").
 *
 * Each hook runs in the host's namespaces (hyrun-vmm's own namespaces hold
 * nothing a hook could use: the container's processes are in the guest),
 * with exactly the hook's args and env, the container's state JSON on its
 * stdin, and its stdout and stderr collected: they are shown when it fails
 * and logged at debug level otherwise. A hook with a timeout is killed
 * (SIGKILL) when it runs longer.
 *
 * When they run (hyrun's lifecycle), and the status in the state they get:
 *   prestart, createRuntime  in create, once hyrun-vmm exists           "created"
 *   createContainer          in create, once the guest has prepared
 *                            the workload                               "created"
 *   startContainer           in start, before the workload is released  "created"
 *   poststart                in start, once hyrun-init has reported the
 *                            workload exec'd (the agent's start reply)  "running"
 *   poststop                 in delete, once the VM and its cgroup are
 *                            gone                                       "stopped"
 * The first three come after the runtime-spec's lifecycle step 2, creating
 * the runtime environment, which the status "created" names (and crun gives
 * them), while `hyrun state` still says "creating" until create returns.
 * A failure of one of the first four stops the lifecycle: the container is
 * destroyed and the command fails. poststart and poststop failures are
 * warnings (runtime-spec 1.1: the verb logs them, the remaining hooks still
 * run and the lifecycle goes on as if they had succeeded).
 */
#ifndef HYRUN_RUNTIME_HOOKS_H
#define HYRUN_RUNTIME_HOOKS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/log.h"
#include "oci/linux.h"
#include "oci/state.h"

/*
 * Run the hooks of kind k in order. Returns 0, or a negative errno with the
 * reason in err ("hooks.prestart[1] (/usr/bin/x): exit status 3: <its
 * output>"; -ECANCELED for a hook that failed, -ETIMEDOUT for one killed at
 * its timeout). The first failure stops, unless keep_going: then every hook
 * runs and err holds every failure, separated by "; ". log, when not NULL,
 * receives what is not an error, at LOG_DEBUG: each hook as it starts, and
 * the output of one that succeeded.
 */
int hooks_run(const struct oci_linux *l, enum oci_hook_kind k, const struct oci_state *st,
	      enum oci_status status, bool keep_going,
	      void (*log)(enum log_level level, const char *msg), char *err, size_t errlen);

/* The status in the state that hooks of kind k are given (the table above). */
enum oci_status hooks_status(enum oci_hook_kind k);

/* Whether a failure of a hook of kind k is a warning only, the other hooks of
 * the kind running all the same (poststart, poststop: hooks_run()'s keep_going). */
bool hooks_warn_only(enum oci_hook_kind k);

#endif
