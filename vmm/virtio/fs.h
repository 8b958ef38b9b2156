/* fs.h: virtio-fs (device ID 26) with its FUSE server inside hyrun-vmm.
 *
 * Contract: the share is the directory tree below `root`; nothing outside it
 * is ever opened, created, renamed or linked on behalf of the guest (lookups
 * one component at a time from O_PATH handles anchored at the root,
 * RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS where openat2 exists, no symlink
 * followed on the host, ".." at the root stays at the root). A read-only share
 * refuses every modifying request with EROFS on the host side. Every length
 * and offset in a request is checked against the descriptors it came in;
 * an unknown opcode answers ENOSYS.
 */
#ifndef HYRUN_VMM_VIRTIO_FS_H
#define HYRUN_VMM_VIRTIO_FS_H

#include <stdbool.h>

#include "vmm/virtio/virtio.h"

struct virtio_fs;

/* The guest mounts a share with `mount -t virtiofs <tag> <dir>`. */
#define VIRTIO_FS_TAG_MAX 36

/*
 * Create a share of directory `root` under `tag` with `nr_request_queues`
 * request queues (at least 1) besides the hiprio queue; each queue is served
 * by its own worker thread once the driver activates the device. Returns NULL
 * with the reason in err (root missing or not a directory, tag too long, ...).
 */
struct virtio_fs *virtio_fs_new(const char *tag, const char *root, bool readonly,
				unsigned nr_request_queues, char *err, size_t errlen);
struct virtio_dev *virtio_fs_dev(struct virtio_fs *fs);
/* Stop the workers and close every handle. */
void virtio_fs_free(struct virtio_fs *fs);

#endif
