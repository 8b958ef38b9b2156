/* container.h: a container's state directory <root>/<id>/, its lock and its status.
 *
 * The directory holds state.json (oci/state.h), the config.json hyrun-vmm
 * reads (rewritten for its jail) and ctl.sock, the VMM's control socket.
 * `create` makes the directory with mkdir(2), so two creates of the same id
 * cannot both succeed, and locks it at once.
 *
 * Locking: the state directory itself is the lock file, flock(2)ed.
 * Commands that change a container (create, start, delete, kill, pause,
 * resume) hold an exclusive lock while they work; create holds it until the
 * container is created or gone. Commands that only read (state, list, ps)
 * try a shared lock without waiting and, when a writer holds it, read
 * state.json anyway: it is only ever replaced whole (rename), so it is
 * always consistent, and a hook that asks for the state while create runs
 * it does not deadlock.
 *
 * The status reported is computed: `stopped` when the VMM is gone, a zombie,
 * or its pid now belongs to another process (the start time in
 * /proc/<pid>/stat differs from the one recorded at create); `paused` while
 * the cgroup's freezer says frozen (or a pause is recorded); `creating` only
 * while create still holds the lock.
 */
#ifndef HYRUN_RUNTIME_CONTAINER_H
#define HYRUN_RUNTIME_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "oci/state.h"

struct container {
	char *dir;	/* <root>/<id> */
	int dirfd;	/* the state directory, flock()ed (or not, see lock_busy) */
	bool lock_busy; /* a reader found the lock held by a writer */
	struct oci_state st;
};

enum container_lock {
	CONTAINER_LOCK_READ,	  /* shared, without waiting (see above) */
	CONTAINER_LOCK_EXCLUSIVE, /* waits */
};

/* runc's rule: letters, digits, '_', '+', '-', '.'; not "." or ".."; at most 1024 bytes. */
bool container_id_valid(const char *id);

/* mkdir <root> (if needed) and <root>/<id>, locked exclusively. -EEXIST with
 * "container with id exists: ID" when it is there already. */
int container_make(const char *root, const char *id, struct container **out, char *err,
		   size_t errlen);
/* Open and lock an existing one and read its state.json. -ENOENT with
 * "container does not exist" when there is none. */
int container_open(const char *root, const char *id, enum container_lock lock,
		   struct container **out, char *err, size_t errlen);
/*
 * Remove <root>/<id> when it holds no state.json and nobody holds its lock:
 * what a create killed before it wrote its first state leaves. 0 when removed,
 * -ENOENT when there is no such directory, -EBUSY when it is in use or a
 * container.
 */
int container_remove_stale(const char *root, const char *id);
/* Write state.json (atomically). */
int container_save(struct container *c, char *err, size_t errlen);
/* Remove the state directory with everything in it. */
int container_remove(struct container *c, char *err, size_t errlen);
/* Unlock and free (the directory stays). */
void container_close(struct container *c);
/* Drop the lock but keep the state read: for a reader that runs on (events), so that
 * it holds up no writer (kill, delete). */
void container_unlock(struct container *c);

/* The status as reported (see above). */
enum oci_status container_status(const struct container *c);
/* Whether the VMM recorded in the state is still that process and not a zombie. */
bool container_vmm_alive(const struct container *c);

/* The address of the socket `name` in c's state directory; through
 * /proc/self/fd when the directory is deeper than sun_path allows. */
struct sockaddr_un;
void container_socket_addr(const struct container *c, const char *name, struct sockaddr_un *addr);

/* The ids under root, sorted; *ids is NULL-terminated, free each and the array. */
int container_list(const char *root, char ***ids, size_t *n, char *err, size_t errlen);

/*
 * One request on the VMM's control socket (common/control_proto.h). Returns 0
 * when the VMM answered "ok", -EIO with the VMM's "error: ..." text (or what
 * was wrong with its reply) in err otherwise, or -errno when it could not be
 * reached.
 */
struct control_request;
int container_control(struct container *c, const struct control_request *req, char *err,
		      size_t errlen);

/* Wait until the VMM is gone (exited or reaped) for up to `timeout_ms`; 0 when gone. */
int container_wait_vmm(const struct container *c, int timeout_ms);

/* --- pure helpers (unit-tested) ------------------------------------------------ */

/*
 * From the text of /proc/<pid>/stat: the state letter (field 3) and the
 * start time in clock ticks since boot (field 22). The command name (field
 * 2) may hold spaces and parentheses. Returns 0 or -EINVAL.
 */
int proc_stat_parse(const char *text, char *state, uint64_t *start_time);

/*
 * The status from what state.json says and what was observed:
 * proc_state 0 when /proc/<pid> does not exist, else the letter of field 3;
 * proc_start its field 22; lock_busy whether a writer holds the lock;
 * frozen whether the container's cgroup reads frozen.
 */
enum oci_status container_status_compute(const struct oci_state *st, char proc_state,
					 uint64_t proc_start, bool lock_busy, bool frozen);

#endif
