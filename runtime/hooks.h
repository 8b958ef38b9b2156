/* hooks.h: running the OCI hooks of config.json (runtime-spec "Hooks").
 *
 * Each hook runs in the host's namespaces (hyrun-vmm's own namespaces hold
 * nothing a hook could use: the container's processes are in the guest),
 * with exactly the hook's args and env, the container's state JSON on its
 * stdin, and its stdout and stderr collected: they are shown when it fails
 * and logged at debug level otherwise. A hook with a timeout is killed
 * (SIGKILL) when it runs longer.
 *
 * When they run (hyrun's lifecycle):
 *   prestart, createRuntime  in create, once hyrun-vmm exists (state "creating")
 *   createContainer          in create, once the guest has prepared the workload
 *   startContainer           in start, before the workload is released (state "created")
 *   poststart                in start, after it was released (state "running")
 *   poststop                 in delete, once the VM and its cgroup are gone (state "stopped")
 * A failure of one of the first four stops the lifecycle: the container is
 * destroyed and the command fails. poststart and poststop failures are
 * warnings (the verb prints them), and the remaining hooks still run.
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

#endif
