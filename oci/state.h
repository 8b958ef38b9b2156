/* state.h: a container's state, as the runtime keeps it in <root>/<id>/state.json.
 *
 * The file holds the OCI runtime-spec state (ociVersion, id, status, pid,
 * bundle, annotations), what `runc state` adds (rootfs, created, owner) and
 * hyrun's own bookkeeping under the member "hyrun". The status stored is the
 * last one a command set (creating, created, running, stopped); the status
 * reported is computed from it and the live process (runtime/container.h).
 */
#ifndef HYRUN_OCI_STATE_H
#define HYRUN_OCI_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <jansson.h>

/* The runtime-spec version hyrun implements. */
#define OCI_SPEC_VERSION "1.1.0"

enum oci_status {
	OCI_STATUS_CREATING,
	OCI_STATUS_CREATED,
	OCI_STATUS_RUNNING,
	OCI_STATUS_STOPPED,
	OCI_STATUS_PAUSED,
};

struct oci_state {
	char *id;
	enum oci_status status;
	pid_t pid;	     /* hyrun-vmm's host pid; 0 before it exists */
	char *bundle;	     /* absolute */
	char *rootfs;	     /* absolute */
	char *created;	     /* RFC 3339, UTC, nanoseconds */
	char *owner;	     /* user name of the state directory's owner ("" unknown) */
	json_t *annotations; /* object, owned */
	/* hyrun's own */
	uint64_t start_time; /* field 22 of /proc/<pid>/stat when the VMM started */
	bool paused;	     /* the cgroup is frozen (pause without resume) */
	char *cgroups_path;  /* linux.cgroupsPath as given; NULL = the default */
	char *cgroup;	     /* the resolved cgroup, relative to the hierarchy root */
	/* The VM as create sized it; 0 when unknown (a state.json from before they were kept).
	 * Guest RAM is fixed at boot: `update` checks new memory limits against it. */
	unsigned vcpus;
	unsigned mem_mib;     /* guest RAM, MiB */
	int64_t memory_limit; /* the host cgroup's memory limit at create, bytes; -1: none */
};

const char *oci_status_name(enum oci_status s);
/* -1 when unknown. */
int oci_status_from_name(const char *name);

/*
 * The state as JSON. `status` is the one to write (a computed one for
 * output); with `internal` the "hyrun" member is included (state.json), and
 * without it the document is the runc-shaped output of `state` and `list`.
 */
json_t *oci_state_to_json(const struct oci_state *st, enum oci_status status, bool internal);
/* The runtime-spec's state for hooks: ociVersion, id, status, pid, bundle, annotations. */
json_t *oci_state_hook_json(const struct oci_state *st, enum oci_status status);
/* Parse state.json (as written with internal = true). Returns 0 or -EINVAL / -ENOMEM with a
 * message naming the member. */
int oci_state_from_json(struct oci_state *st, json_t *doc, char *err, size_t errlen);
void oci_state_free(struct oci_state *st);

/* Format a CLOCK_REALTIME time as RFC 3339 in UTC with nanoseconds into buf (>= 40 bytes). */
void oci_time_rfc3339(char *buf, size_t len, const struct timespec *ts);

#endif
