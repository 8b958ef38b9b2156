/* container_int.h: what process.c, mounts.c and seccomp.c share. */
#ifndef HYRUN_ROOTFS_INIT_CONTAINER_INT_H
#define HYRUN_ROOTFS_INIT_CONTAINER_INT_H

#include <stdbool.h>
#include <sys/types.h>

#include "rootfs/init/container.h"

/* The options of the container_exec() call in progress. */
extern const struct container_opts *container_opts;

/* A debug message on hyrun-init's console (with the debug flag only). */
void container_dbg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Fill *e (status, errno, message prefixed "hyrun-init: "); returns -1. */
int container_fail(struct container_error *e, int status, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* mounts.c: path lookups confined below rootfd (RESOLVE_IN_ROOT), and mkdir
 * -p of path with its last component a directory or an empty file; an O_PATH
 * fd, or -1 with errno. */
int root_open(int rootfd, const char *path, int flags);
int root_make(int rootfd, const char *path, bool file, mode_t mode);
/* A private mount namespace, the root and its mounts, linux.devices, the
 * cwd, the read-only and masked paths, the root's propagation; the process
 * enters the root, which is then made read-only if asked. 0, or -1 with *e
 * filled in. */
int mounts_build_root(const struct guest_config *gc, struct container_error *e);

/* seccomp.c: build and load gc->seccomp. 0, or -1 with *e filled in. */
int container_load_seccomp(const struct guest_config *gc, struct container_error *e);

#endif
