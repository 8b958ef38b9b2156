/* fuse.h: the FUSE request decoder and dispatcher in front of the passthrough file system.
 *
 * Contract: a request is a private copy of the bytes the guest placed in the
 * device-readable buffers (so it cannot change under the checks); the reply
 * is assembled in a buffer no larger than the device-writable buffers. The
 * header's len must equal the bytes received; each opcode's body must reach
 * its minimum size; names must be NUL-terminated inside the body, non-empty,
 * free of '/', and not "." or ".." (LOOKUP excepted); an unknown opcode gets
 * ENOSYS. Nothing the guest sends can make this code read or write outside
 * the two buffers.
 */
#ifndef HYRUN_VMM_FS_FUSE_H
#define HYRUN_VMM_FS_FUSE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vmm/fs/passthrough.h"

/* Largest WRITE/READ payload offered in INIT. The guest sends one descriptor
 * per page, and a chain may hold VIRTQ_MAX_SEGS buffers: 128 pages plus the
 * headers stay well inside it. */
#define FUSE_SERVER_MAX_PAGES 128
#define FUSE_SERVER_MAX_WRITE (FUSE_SERVER_MAX_PAGES * 4096u)
/* Request and reply buffers that hold any request or reply we accept. */
#define FUSE_SERVER_BUF_SIZE (FUSE_SERVER_MAX_WRITE + 4096u)
/* The oldest protocol minor accepted: from 7.12 on every structure has its
 * current size, so no compatibility layouts are needed. */
#define FUSE_SERVER_MIN_MINOR 12

struct fuse_server;

struct fuse_server *fuse_server_new(struct passthrough *pt);
void fuse_server_free(struct fuse_server *s);

/*
 * Handle one request of `in_len` bytes, writing the reply into `out`
 * (`out_size` bytes: the room the guest gave). Returns the reply length
 * (at least sizeof(struct fuse_out_header)), 0 for a request that takes no
 * reply (FORGET, BATCH_FORGET, INTERRUPT), or -EINVAL when the request cannot
 * be answered at all (shorter than a header, or no room for one): a protocol
 * violation the device treats as a broken driver.
 */
ssize_t fuse_server_handle(struct fuse_server *s, const void *in, size_t in_len, void *out,
			   size_t out_size);

/* The driver was reset: forget the session (nodes, handles, INIT). */
void fuse_server_reset(struct fuse_server *s);

/* The protocol minor agreed in INIT (0 before). */
uint32_t fuse_server_minor(const struct fuse_server *s);

#endif
