/* passthrough.h: the file system behind virtio-fs: guest requests applied to a host directory.
 *
 * Contract: nothing outside the share root is ever opened, created, renamed,
 * linked or changed. The guest names files only through node ids this module
 * handed out (LOOKUP and the create-type calls) plus single path components
 * resolved from the O_PATH handle of such a node: no symlink is followed on
 * the host, ".." at the root is the root, and a node id or file handle the
 * guest was never given is refused with EBADF (handles) or ENOENT (nodes).
 *
 * The caller validates names (non-empty, NUL-terminated, no '/'); these
 * functions re-check what confinement depends on. They return 0 (or a byte
 * count) on success and -errno on failure, never touch the guest directly and
 * are safe to call from several threads at once.
 *
 * Node ids and file handles are (generation << 32 | slot + 1): a stale id
 * whose slot was reused is rejected. The root is FUSE_ROOT_ID (1).
 */
#ifndef HYRUN_VMM_FS_PASSTHROUGH_H
#define HYRUN_VMM_FS_PASSTHROUGH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/fuse.h>

struct passthrough;

/* The identity of the guest process behind a request (fuse_in_header). */
struct pt_cred {
	uint32_t uid, gid;
};

/*
 * The cap on descriptors a guest makes one share hold: an O_PATH handle per
 * node it looked up (until FORGET; the root is not counted) and one per file
 * or directory handle (until RELEASE). A LOOKUP, READDIRPLUS entry, create-type
 * call, OPEN or OPENDIR that would go beyond it fails with ENFILE and opens
 * nothing, so a guest cannot starve the VMM of descriptors (the control
 * socket, the event loop, other shares).
 *
 * Default: half of what RLIMIT_NOFILE's soft limit leaves after PT_FDS_KEEP
 * descriptors for the VMM itself, within [PT_FDS_MIN, PT_FDS_MAX]: one share
 * alone never exhausts the process, and a guest that needs more than 65536
 * files open at once is not one this runtime serves. Several busy shares
 * together can still reach the process limit; the control socket keeps a
 * reserve descriptor for that case (vmm/control.c).
 */
#define PT_FDS_MAX 65536u
#define PT_FDS_MIN 16u
#define PT_FDS_KEEP 64u

/* How long the guest may cache entries and attributes. */
#define PT_ENTRY_TIMEOUT_S 1
#define PT_ATTR_TIMEOUT_S 1

/*
 * Share `root`. Opens the root and /proc/self/fd (used to reopen O_PATH
 * handles; kept open, so the process may later pivot_root away from /proc).
 * Returns NULL with the reason in err.
 */
struct passthrough *passthrough_new(const char *root, bool readonly, char *err, size_t errlen);
void passthrough_free(struct passthrough *pt);
bool passthrough_readonly(const struct passthrough *pt);
/* Make blocking calls (SETLKW) give up with EINTR: the device is stopping. */
void passthrough_stop(struct passthrough *pt, bool stop);

/*
 * Prepare the calling thread to serve requests: a private umask (0, so the
 * modes the guest asks for are applied exactly) and current directory
 * (unshare(CLONE_FS)). Call once per worker thread.
 */
int passthrough_thread_init(void);

/* DESTROY: forget every node but the root and close every handle. */
void passthrough_destroy(struct passthrough *pt);

int passthrough_lookup(struct passthrough *pt, uint64_t parent, const char *name,
		       struct fuse_entry_out *out);
void passthrough_forget(struct passthrough *pt, uint64_t nodeid, uint64_t nlookup);
int passthrough_getattr(struct passthrough *pt, uint64_t nodeid, struct fuse_attr_out *out);
/* FATTR_MODE, UID, GID, SIZE (ftruncate on FATTR_FH), ATIME, MTIME and their _NOW. */
int passthrough_setattr(struct passthrough *pt, uint64_t nodeid, const struct fuse_setattr_in *in,
			struct fuse_attr_out *out);
/* Returns the target's length (not NUL-terminated), at most `size`. */
ssize_t passthrough_readlink(struct passthrough *pt, uint64_t nodeid, char *buf, size_t size);

/* Create-type calls run with the filesystem uid/gid of `cred` (EPERM, and
 * nothing created, when this process cannot take them); the mode is masked
 * with `umask` (idempotent when the guest kernel masked it already). CREATE
 * without O_EXCL opens an existing name only if it is a regular file, with
 * OPEN's errors otherwise (ENXIO for a device node, FIFO or socket). */
int passthrough_mknod(struct passthrough *pt, const struct pt_cred *cred, uint64_t parent,
		      const char *name, uint32_t mode, uint32_t rdev, uint32_t umask,
		      struct fuse_entry_out *out);
int passthrough_mkdir(struct passthrough *pt, const struct pt_cred *cred, uint64_t parent,
		      const char *name, uint32_t mode, uint32_t umask, struct fuse_entry_out *out);
int passthrough_symlink(struct passthrough *pt, const struct pt_cred *cred, uint64_t parent,
			const char *name, const char *target, struct fuse_entry_out *out);
int passthrough_create(struct passthrough *pt, const struct pt_cred *cred, uint64_t parent,
		       const char *name, uint32_t flags, uint32_t mode, uint32_t umask,
		       struct fuse_entry_out *entry, struct fuse_open_out *open);
int passthrough_link(struct passthrough *pt, uint64_t nodeid, uint64_t newparent,
		     const char *newname, struct fuse_entry_out *out);
int passthrough_unlink(struct passthrough *pt, uint64_t parent, const char *name);
int passthrough_rmdir(struct passthrough *pt, uint64_t parent, const char *name);
/* flags: RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_WHITEOUT. */
int passthrough_rename(struct passthrough *pt, uint64_t parent, const char *name,
		       uint64_t newparent, const char *newname, uint32_t flags);

int passthrough_open(struct passthrough *pt, uint64_t nodeid, uint32_t flags,
		     struct fuse_open_out *out);
ssize_t passthrough_read(struct passthrough *pt, uint64_t fh, uint64_t off, void *buf, size_t size);
ssize_t passthrough_write(struct passthrough *pt, uint64_t fh, uint64_t off, const void *buf,
			  size_t size);
int passthrough_flush(struct passthrough *pt, uint64_t fh);
int passthrough_fsync(struct passthrough *pt, uint64_t fh, bool datasync);
int passthrough_release(struct passthrough *pt, uint64_t fh);
int passthrough_fallocate(struct passthrough *pt, uint64_t fh, uint32_t mode, uint64_t off,
			  uint64_t len);
int passthrough_lseek(struct passthrough *pt, uint64_t fh, uint64_t off, uint32_t whence,
		      uint64_t *result);

int passthrough_opendir(struct passthrough *pt, uint64_t nodeid, struct fuse_open_out *out);
/* Fill `buf` with fuse_dirent (or, with `plus`, fuse_direntplus, each of
 * which counts as a LOOKUP) records starting at cookie `off`; returns bytes. */
ssize_t passthrough_readdir(struct passthrough *pt, uint64_t fh, uint64_t off, void *buf,
			    size_t size, bool plus);
int passthrough_releasedir(struct passthrough *pt, uint64_t fh);
int passthrough_fsyncdir(struct passthrough *pt, uint64_t fh, bool datasync);

int passthrough_statfs(struct passthrough *pt, uint64_t nodeid, struct fuse_kstatfs *out);
int passthrough_access(struct passthrough *pt, const struct pt_cred *cred, uint64_t nodeid,
		       uint32_t mask);

int passthrough_setxattr(struct passthrough *pt, uint64_t nodeid, const char *name,
			 const void *value, size_t size, uint32_t flags);
/* size 0: returns the size the value needs. */
ssize_t passthrough_getxattr(struct passthrough *pt, uint64_t nodeid, const char *name, void *buf,
			     size_t size);
ssize_t passthrough_listxattr(struct passthrough *pt, uint64_t nodeid, void *buf, size_t size);
int passthrough_removexattr(struct passthrough *pt, uint64_t nodeid, const char *name);

/* POSIX record locks mapped to open file description locks on the handle's
 * host file (F_OFD_*): the lock owner is the handle, not the guest process. */
int passthrough_getlk(struct passthrough *pt, uint64_t fh, const struct fuse_file_lock *in,
		      struct fuse_file_lock *out);
int passthrough_setlk(struct passthrough *pt, uint64_t fh, const struct fuse_file_lock *in,
		      bool wait);

/* Set the descriptor cap (0: the default above); for tests and callers that
 * know how many shares divide the process's descriptors. */
void passthrough_set_fd_limit(struct passthrough *pt, unsigned max);
/* Descriptors counted against the cap. */
unsigned passthrough_nr_fds(struct passthrough *pt);

/* For tests: number of live nodes (the root included) and open handles. */
unsigned passthrough_nr_nodes(struct passthrough *pt);
unsigned passthrough_nr_handles(struct passthrough *pt);

#endif
