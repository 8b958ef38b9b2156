/* fuse.c: FUSE request decoding, validation, dispatch and reply assembly. */
#include "vmm/fs/fuse.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#include <linux/fuse.h>
#include <linux/limits.h>

#include "common/log.h"

/* What INIT offers; only features this server really implements. */
#define OUR_FLAGS                                                                                  \
	(FUSE_ASYNC_READ | FUSE_ATOMIC_O_TRUNC | FUSE_BIG_WRITES | FUSE_AUTO_INVAL_DATA |          \
	 FUSE_DO_READDIRPLUS | FUSE_READDIRPLUS_AUTO | FUSE_PARALLEL_DIROPS | FUSE_MAX_PAGES |     \
	 FUSE_CACHE_SYMLINKS)

struct fuse_server {
	struct passthrough *pt;
	uint32_t minor; /* atomic: 0 until INIT */
};

struct req {
	struct fuse_server *s;
	struct passthrough *pt;
	struct fuse_in_header h;
	const char *body;
	size_t len;  /* body bytes */
	size_t off;  /* parse position in body */
	char *reply; /* reply body, after the out header */
	size_t cap;  /* room for the reply body */
	struct pt_cred cred;
};

/* A handler returns the reply body length (0..cap) or -errno. */
typedef ssize_t (*op_fn)(struct req *r);

enum {
	OP_MODIFY = 1 << 0,  /* refused with EROFS on a read-only share */
	OP_NOREPLY = 1 << 1, /* the guest expects no answer */
	OP_ANYTIME = 1 << 2, /* allowed before INIT */
};

struct op {
	op_fn fn;
	uint32_t min_body;   /* fixed part of the body */
	uint32_t reply_size; /* fixed reply body, checked before the call */
	unsigned flags;
};

/* --- body parsing ------------------------------------------------------------- */

static const void *take(struct req *r, size_t n)
{
	const void *p;

	if (r->len - r->off < n)
		return NULL;
	p = r->body + r->off;
	r->off += n;
	return p;
}

/* A NUL-terminated string inside the body (a symlink target, an xattr name). */
static int take_string(struct req *r, const char **str)
{
	const char *p = r->body + r->off;
	const char *nul = memchr(p, 0, r->len - r->off);

	if (!nul || nul == p)
		return -EINVAL;
	*str = p;
	r->off += (size_t)(nul - p) + 1;
	return 0;
}

/* A directory entry name: one path component. "." and ".." only for LOOKUP. */
static int take_name(struct req *r, const char **name, bool lookup)
{
	int ret = take_string(r, name);

	if (ret < 0)
		return ret;
	if (strchr(*name, '/'))
		return -EINVAL;
	if (strlen(*name) > NAME_MAX)
		return -ENAMETOOLONG;
	if (!lookup && (!strcmp(*name, ".") || !strcmp(*name, "..")))
		return -EINVAL;
	return 0;
}

#define BODY(r, type) ((const type *)take((r), sizeof(type)))

/* --- handlers --------------------------------------------------------------------- */

static ssize_t do_init(struct req *r)
{
	struct fuse_init_in init = {0}, *in = &init;
	struct fuse_init_out out;
	uint32_t minor;
	size_t size;

	/* Older kernels send a shorter fuse_init_in: take what is there. */
	memcpy(&init, r->body, r->len < sizeof(init) ? r->len : sizeof(init));
	if (in->major < FUSE_KERNEL_VERSION)
		return -EPROTO;
	memset(&out, 0, sizeof(out));
	out.major = FUSE_KERNEL_VERSION;
	out.minor = FUSE_KERNEL_MINOR_VERSION;
	if (in->major > FUSE_KERNEL_VERSION) {
		/* The kernel retries with our major: answer only the version. */
		if (r->cap < FUSE_COMPAT_INIT_OUT_SIZE)
			return -EINVAL;
		memcpy(r->reply, &out, FUSE_COMPAT_INIT_OUT_SIZE);
		return FUSE_COMPAT_INIT_OUT_SIZE;
	}
	if (__atomic_load_n(&r->s->minor, __ATOMIC_ACQUIRE))
		return -EPROTO;
	if (in->minor < FUSE_SERVER_MIN_MINOR) {
		log_error("virtio-fs: guest FUSE 7.%u is older than 7.%u", in->minor,
			  FUSE_SERVER_MIN_MINOR);
		return -EPROTO;
	}
	minor = in->minor < FUSE_KERNEL_MINOR_VERSION ? in->minor : FUSE_KERNEL_MINOR_VERSION;
	out.minor = minor;
	out.max_readahead =
	    in->max_readahead < FUSE_SERVER_MAX_WRITE ? in->max_readahead : FUSE_SERVER_MAX_WRITE;
	out.flags = in->flags & OUR_FLAGS;
	out.max_background = 64;
	out.congestion_threshold = 48;
	out.max_write = FUSE_SERVER_MAX_WRITE;
	out.time_gran = 1;
	out.max_pages = FUSE_SERVER_MAX_PAGES;
	size = minor < 23 ? FUSE_COMPAT_22_INIT_OUT_SIZE : sizeof(out);
	if (r->cap < size)
		return -EINVAL;
	memcpy(r->reply, &out, size);
	__atomic_store_n(&r->s->minor, minor, __ATOMIC_RELEASE);
	return (ssize_t)size;
}

static ssize_t do_destroy(struct req *r)
{
	passthrough_destroy(r->pt);
	__atomic_store_n(&r->s->minor, 0, __ATOMIC_RELEASE);
	return 0;
}

static ssize_t do_lookup(struct req *r)
{
	const char *name;
	int ret = take_name(r, &name, true);

	if (ret == 0)
		ret = passthrough_lookup(r->pt, r->h.nodeid, name, (void *)r->reply);
	return ret < 0 ? ret : (ssize_t)sizeof(struct fuse_entry_out);
}

static ssize_t do_forget(struct req *r)
{
	const struct fuse_forget_in *in = BODY(r, struct fuse_forget_in);

	passthrough_forget(r->pt, r->h.nodeid, in->nlookup);
	return 0;
}

static ssize_t do_batch_forget(struct req *r)
{
	const struct fuse_batch_forget_in *in = BODY(r, struct fuse_batch_forget_in);
	size_t avail = (r->len - r->off) / sizeof(struct fuse_forget_one);
	size_t n = in->count < avail ? in->count : avail;

	for (size_t k = 0; k < n; k++) {
		struct fuse_forget_one one;

		memcpy(&one, take(r, sizeof(one)), sizeof(one));
		passthrough_forget(r->pt, one.nodeid, one.nlookup);
	}
	return 0;
}

static ssize_t do_getattr(struct req *r)
{
	int ret = passthrough_getattr(r->pt, r->h.nodeid, (void *)r->reply);

	return ret < 0 ? ret : (ssize_t)sizeof(struct fuse_attr_out);
}

static ssize_t do_setattr(struct req *r)
{
	const struct fuse_setattr_in *in = BODY(r, struct fuse_setattr_in);
	int ret = passthrough_setattr(r->pt, r->h.nodeid, in, (void *)r->reply);

	return ret < 0 ? ret : (ssize_t)sizeof(struct fuse_attr_out);
}

static ssize_t do_readlink(struct req *r)
{
	size_t cap = r->cap < PATH_MAX ? r->cap : PATH_MAX;

	return passthrough_readlink(r->pt, r->h.nodeid, r->reply, cap);
}

static ssize_t do_symlink(struct req *r)
{
	const char *name, *target;
	int ret = take_name(r, &name, false);

	if (ret == 0)
		ret = take_string(r, &target);
	if (ret == 0)
		ret = passthrough_symlink(r->pt, &r->cred, r->h.nodeid, name, target,
					  (void *)r->reply);
	return ret < 0 ? ret : (ssize_t)sizeof(struct fuse_entry_out);
}

static ssize_t do_mknod(struct req *r)
{
	const struct fuse_mknod_in *in = BODY(r, struct fuse_mknod_in);
	const char *name;
	int ret = take_name(r, &name, false);

	if (ret == 0)
		ret = passthrough_mknod(r->pt, &r->cred, r->h.nodeid, name, in->mode, in->rdev,
					in->umask, (void *)r->reply);
	return ret < 0 ? ret : (ssize_t)sizeof(struct fuse_entry_out);
}

static ssize_t do_mkdir(struct req *r)
{
	const struct fuse_mkdir_in *in = BODY(r, struct fuse_mkdir_in);
	const char *name;
	int ret = take_name(r, &name, false);

	if (ret == 0)
		ret = passthrough_mkdir(r->pt, &r->cred, r->h.nodeid, name, in->mode, in->umask,
					(void *)r->reply);
	return ret < 0 ? ret : (ssize_t)sizeof(struct fuse_entry_out);
}

static ssize_t do_unlink(struct req *r)
{
	const char *name;
	int ret = take_name(r, &name, false);

	return ret < 0 ? ret : passthrough_unlink(r->pt, r->h.nodeid, name);
}

static ssize_t do_rmdir(struct req *r)
{
	const char *name;
	int ret = take_name(r, &name, false);

	return ret < 0 ? ret : passthrough_rmdir(r->pt, r->h.nodeid, name);
}

static ssize_t rename_common(struct req *r, uint64_t newdir, uint32_t flags)
{
	const char *name, *newname;
	int ret = take_name(r, &name, false);

	if (ret == 0)
		ret = take_name(r, &newname, false);
	return ret < 0 ? ret : passthrough_rename(r->pt, r->h.nodeid, name, newdir, newname, flags);
}

static ssize_t do_rename(struct req *r)
{
	const struct fuse_rename_in *in = BODY(r, struct fuse_rename_in);

	return rename_common(r, in->newdir, 0);
}

static ssize_t do_rename2(struct req *r)
{
	const struct fuse_rename2_in *in = BODY(r, struct fuse_rename2_in);

	return rename_common(r, in->newdir, in->flags);
}

static ssize_t do_link(struct req *r)
{
	const struct fuse_link_in *in = BODY(r, struct fuse_link_in);
	const char *name;
	int ret = take_name(r, &name, false);

	if (ret == 0)
		ret = passthrough_link(r->pt, in->oldnodeid, r->h.nodeid, name, (void *)r->reply);
	return ret < 0 ? ret : (ssize_t)sizeof(struct fuse_entry_out);
}

static ssize_t do_open(struct req *r)
{
	const struct fuse_open_in *in = BODY(r, struct fuse_open_in);
	int ret = passthrough_open(r->pt, r->h.nodeid, in->flags, (void *)r->reply);

	return ret < 0 ? ret : (ssize_t)sizeof(struct fuse_open_out);
}

static ssize_t do_read(struct req *r)
{
	const struct fuse_read_in *in = BODY(r, struct fuse_read_in);
	size_t size = in->size < r->cap ? in->size : r->cap;

	return passthrough_read(r->pt, in->fh, in->offset, r->reply, size);
}

static ssize_t do_write(struct req *r)
{
	const struct fuse_write_in *in = BODY(r, struct fuse_write_in);
	struct fuse_write_out *out = (void *)r->reply;
	const void *data = take(r, in->size);
	ssize_t n;

	/* The payload must be all there: a size past the body is a lie. */
	if (!data)
		return -EINVAL;
	n = passthrough_write(r->pt, in->fh, in->offset, data, in->size);
	if (n < 0)
		return n;
	memset(out, 0, sizeof(*out));
	out->size = (uint32_t)n;
	return sizeof(*out);
}

static ssize_t do_statfs(struct req *r)
{
	int ret = passthrough_statfs(r->pt, r->h.nodeid, (void *)r->reply);

	return ret < 0 ? ret : (ssize_t)sizeof(struct fuse_statfs_out);
}

static ssize_t do_release(struct req *r)
{
	const struct fuse_release_in *in = BODY(r, struct fuse_release_in);

	return passthrough_release(r->pt, in->fh);
}

static ssize_t do_releasedir(struct req *r)
{
	const struct fuse_release_in *in = BODY(r, struct fuse_release_in);

	return passthrough_releasedir(r->pt, in->fh);
}

static ssize_t do_fsync(struct req *r)
{
	const struct fuse_fsync_in *in = BODY(r, struct fuse_fsync_in);

	return passthrough_fsync(r->pt, in->fh, in->fsync_flags & FUSE_FSYNC_FDATASYNC);
}

static ssize_t do_fsyncdir(struct req *r)
{
	const struct fuse_fsync_in *in = BODY(r, struct fuse_fsync_in);

	return passthrough_fsyncdir(r->pt, in->fh, in->fsync_flags & FUSE_FSYNC_FDATASYNC);
}

static ssize_t do_flush(struct req *r)
{
	const struct fuse_flush_in *in = BODY(r, struct fuse_flush_in);

	return passthrough_flush(r->pt, in->fh);
}

static int take_xattr_name(struct req *r, const char **name)
{
	int ret = take_string(r, name);

	if (ret == 0 && strlen(*name) > XATTR_NAME_MAX)
		ret = -ERANGE;
	return ret;
}

/* FUSE_SETXATTR_EXT is not offered, so the body is the 8-byte layout. */
static ssize_t do_setxattr(struct req *r)
{
	const struct fuse_setxattr_in *in = take(r, FUSE_COMPAT_SETXATTR_IN_SIZE);
	const char *name;
	const void *value;
	int ret = take_xattr_name(r, &name);

	if (ret < 0)
		return ret;
	if (in->size > XATTR_SIZE_MAX)
		return -E2BIG;
	value = take(r, in->size);
	if (!value)
		return -EINVAL;
	return passthrough_setxattr(r->pt, r->h.nodeid, name, value, in->size, in->flags);
}

/* GETXATTR and LISTXATTR: size 0 asks for the size, else for the data. */
static ssize_t xattr_reply(struct req *r, const struct fuse_getxattr_in *in, ssize_t n)
{
	struct fuse_getxattr_out *out = (void *)r->reply;

	if (n < 0 || in->size)
		return n;
	if (r->cap < sizeof(*out))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->size = (uint32_t)n;
	return sizeof(*out);
}

static ssize_t do_getxattr(struct req *r)
{
	const struct fuse_getxattr_in *in = BODY(r, struct fuse_getxattr_in);
	const char *name;
	size_t size = in->size < r->cap ? in->size : r->cap;
	int ret = take_xattr_name(r, &name);

	if (ret < 0)
		return ret;
	return xattr_reply(r, in,
			   passthrough_getxattr(r->pt, r->h.nodeid, name,
						in->size ? r->reply : NULL, in->size ? size : 0));
}

static ssize_t do_listxattr(struct req *r)
{
	const struct fuse_getxattr_in *in = BODY(r, struct fuse_getxattr_in);
	size_t size = in->size < r->cap ? in->size : r->cap;

	return xattr_reply(r, in,
			   passthrough_listxattr(r->pt, r->h.nodeid, in->size ? r->reply : NULL,
						 in->size ? size : 0));
}

static ssize_t do_removexattr(struct req *r)
{
	const char *name;
	int ret = take_xattr_name(r, &name);

	return ret < 0 ? ret : passthrough_removexattr(r->pt, r->h.nodeid, name);
}

static ssize_t do_opendir(struct req *r)
{
	int ret = passthrough_opendir(r->pt, r->h.nodeid, (void *)r->reply);

	return ret < 0 ? ret : (ssize_t)sizeof(struct fuse_open_out);
}

static ssize_t readdir_common(struct req *r, bool plus)
{
	const struct fuse_read_in *in = BODY(r, struct fuse_read_in);
	size_t size = in->size < r->cap ? in->size : r->cap;

	return passthrough_readdir(r->pt, in->fh, in->offset, r->reply, size, plus);
}

static ssize_t do_readdir(struct req *r)
{
	return readdir_common(r, false);
}

static ssize_t do_readdirplus(struct req *r)
{
	return readdir_common(r, true);
}

static ssize_t do_getlk(struct req *r)
{
	const struct fuse_lk_in *in = BODY(r, struct fuse_lk_in);
	struct fuse_lk_out *out = (void *)r->reply;
	int ret;

	if (in->lk_flags & FUSE_LK_FLOCK)
		return -ENOSYS;
	memset(out, 0, sizeof(*out));
	ret = passthrough_getlk(r->pt, in->fh, &in->lk, &out->lk);
	return ret < 0 ? ret : (ssize_t)sizeof(*out);
}

static ssize_t setlk_common(struct req *r, bool wait)
{
	const struct fuse_lk_in *in = BODY(r, struct fuse_lk_in);

	/* flock() stays in the guest (FUSE_FLOCK_LOCKS is not offered). */
	if (in->lk_flags & FUSE_LK_FLOCK)
		return -ENOSYS;
	return passthrough_setlk(r->pt, in->fh, &in->lk, wait);
}

static ssize_t do_setlk(struct req *r)
{
	return setlk_common(r, false);
}

static ssize_t do_setlkw(struct req *r)
{
	return setlk_common(r, true);
}

static ssize_t do_access(struct req *r)
{
	const struct fuse_access_in *in = BODY(r, struct fuse_access_in);

	return passthrough_access(r->pt, &r->cred, r->h.nodeid, in->mask);
}

static ssize_t do_create(struct req *r)
{
	const struct fuse_create_in *in = BODY(r, struct fuse_create_in);
	struct fuse_entry_out *entry = (void *)r->reply;
	struct fuse_open_out *open = (void *)(r->reply + sizeof(*entry));
	const char *name;
	int ret = take_name(r, &name, false);

	if (ret == 0)
		ret = passthrough_create(r->pt, &r->cred, r->h.nodeid, name, in->flags, in->mode,
					 in->umask, entry, open);
	return ret < 0 ? ret : (ssize_t)(sizeof(*entry) + sizeof(*open));
}

static ssize_t do_interrupt(struct req *r)
{
	/* Requests are not cancelled: each finishes quickly or (SETLKW) is
	 * bounded by the device stopping. */
	return 0;
}

static ssize_t do_fallocate(struct req *r)
{
	const struct fuse_fallocate_in *in = BODY(r, struct fuse_fallocate_in);

	return passthrough_fallocate(r->pt, in->fh, in->mode, in->offset, in->length);
}

static ssize_t do_lseek(struct req *r)
{
	const struct fuse_lseek_in *in = BODY(r, struct fuse_lseek_in);
	struct fuse_lseek_out *out = (void *)r->reply;
	uint64_t pos;
	int ret = passthrough_lseek(r->pt, in->fh, in->offset, in->whence, &pos);

	if (ret < 0)
		return ret;
	memset(out, 0, sizeof(*out));
	out->offset = pos;
	return sizeof(*out);
}

#define OP(code, f, in, out, fl)                                                                   \
	[code] = {.fn = (f), .min_body = (in), .reply_size = (out), .flags = (fl)}
#define ENTRY sizeof(struct fuse_entry_out)

static const struct op ops[] = {
    OP(FUSE_INIT, do_init, 16, 0, OP_ANYTIME),
    OP(FUSE_DESTROY, do_destroy, 0, 0, 0),
    OP(FUSE_LOOKUP, do_lookup, 0, ENTRY, 0),
    OP(FUSE_FORGET, do_forget, sizeof(struct fuse_forget_in), 0, OP_NOREPLY),
    OP(FUSE_BATCH_FORGET, do_batch_forget, sizeof(struct fuse_batch_forget_in), 0, OP_NOREPLY),
    OP(FUSE_GETATTR, do_getattr, sizeof(struct fuse_getattr_in), sizeof(struct fuse_attr_out), 0),
    OP(FUSE_SETATTR, do_setattr, sizeof(struct fuse_setattr_in), sizeof(struct fuse_attr_out),
       OP_MODIFY),
    OP(FUSE_READLINK, do_readlink, 0, 0, 0),
    OP(FUSE_SYMLINK, do_symlink, 0, ENTRY, OP_MODIFY),
    OP(FUSE_MKNOD, do_mknod, sizeof(struct fuse_mknod_in), ENTRY, OP_MODIFY),
    OP(FUSE_MKDIR, do_mkdir, sizeof(struct fuse_mkdir_in), ENTRY, OP_MODIFY),
    OP(FUSE_UNLINK, do_unlink, 0, 0, OP_MODIFY),
    OP(FUSE_RMDIR, do_rmdir, 0, 0, OP_MODIFY),
    OP(FUSE_RENAME, do_rename, sizeof(struct fuse_rename_in), 0, OP_MODIFY),
    OP(FUSE_RENAME2, do_rename2, sizeof(struct fuse_rename2_in), 0, OP_MODIFY),
    OP(FUSE_LINK, do_link, sizeof(struct fuse_link_in), ENTRY, OP_MODIFY),
    OP(FUSE_OPEN, do_open, sizeof(struct fuse_open_in), sizeof(struct fuse_open_out), 0),
    OP(FUSE_READ, do_read, sizeof(struct fuse_read_in), 0, 0),
    OP(FUSE_WRITE, do_write, sizeof(struct fuse_write_in), sizeof(struct fuse_write_out),
       OP_MODIFY),
    OP(FUSE_STATFS, do_statfs, 0, sizeof(struct fuse_statfs_out), 0),
    OP(FUSE_RELEASE, do_release, sizeof(struct fuse_release_in), 0, 0),
    OP(FUSE_FSYNC, do_fsync, sizeof(struct fuse_fsync_in), 0, 0),
    OP(FUSE_SETXATTR, do_setxattr, FUSE_COMPAT_SETXATTR_IN_SIZE, 0, OP_MODIFY),
    OP(FUSE_GETXATTR, do_getxattr, sizeof(struct fuse_getxattr_in), 0, 0),
    OP(FUSE_LISTXATTR, do_listxattr, sizeof(struct fuse_getxattr_in), 0, 0),
    OP(FUSE_REMOVEXATTR, do_removexattr, 0, 0, OP_MODIFY),
    OP(FUSE_FLUSH, do_flush, sizeof(struct fuse_flush_in), 0, 0),
    OP(FUSE_OPENDIR, do_opendir, sizeof(struct fuse_open_in), sizeof(struct fuse_open_out), 0),
    OP(FUSE_READDIR, do_readdir, sizeof(struct fuse_read_in), 0, 0),
    OP(FUSE_READDIRPLUS, do_readdirplus, sizeof(struct fuse_read_in), 0, 0),
    OP(FUSE_RELEASEDIR, do_releasedir, sizeof(struct fuse_release_in), 0, 0),
    OP(FUSE_FSYNCDIR, do_fsyncdir, sizeof(struct fuse_fsync_in), 0, 0),
    OP(FUSE_GETLK, do_getlk, sizeof(struct fuse_lk_in), sizeof(struct fuse_lk_out), 0),
    OP(FUSE_SETLK, do_setlk, sizeof(struct fuse_lk_in), 0, 0),
    OP(FUSE_SETLKW, do_setlkw, sizeof(struct fuse_lk_in), 0, 0),
    OP(FUSE_ACCESS, do_access, sizeof(struct fuse_access_in), 0, 0),
    OP(FUSE_CREATE, do_create, sizeof(struct fuse_create_in), ENTRY + sizeof(struct fuse_open_out),
       OP_MODIFY),
    OP(FUSE_INTERRUPT, do_interrupt, sizeof(struct fuse_interrupt_in), 0, OP_NOREPLY | OP_ANYTIME),
    OP(FUSE_FALLOCATE, do_fallocate, sizeof(struct fuse_fallocate_in), 0, OP_MODIFY),
    OP(FUSE_LSEEK, do_lseek, sizeof(struct fuse_lseek_in), sizeof(struct fuse_lseek_out), 0),
};

/* --- dispatch ----------------------------------------------------------------------- */

struct fuse_server *fuse_server_new(struct passthrough *pt)
{
	struct fuse_server *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->pt = pt;
	return s;
}

void fuse_server_free(struct fuse_server *s)
{
	free(s);
}

void fuse_server_reset(struct fuse_server *s)
{
	passthrough_destroy(s->pt);
	__atomic_store_n(&s->minor, 0, __ATOMIC_RELEASE);
}

uint32_t fuse_server_minor(const struct fuse_server *s)
{
	return __atomic_load_n(&s->minor, __ATOMIC_ACQUIRE);
}

static size_t finish(const struct fuse_in_header *h, void *out, ssize_t result)
{
	struct fuse_out_header oh = {.unique = h->unique};

	/* Errors must stay in the range the kernel accepts (-1000, 0). */
	if (result < 0) {
		oh.error = result > -1000 ? (int32_t)result : -EIO;
		result = 0;
	}
	oh.len = (uint32_t)(sizeof(oh) + (size_t)result);
	memcpy(out, &oh, sizeof(oh));
	return oh.len;
}

ssize_t fuse_server_handle(struct fuse_server *s, const void *in, size_t in_len, void *out,
			   size_t out_size)
{
	const size_t oh_size = sizeof(struct fuse_out_header);
	const struct op *op = NULL;
	struct req r = {.s = s, .pt = s->pt};
	bool noreply;
	ssize_t n;

	if (in_len < sizeof(r.h))
		return -EINVAL;
	memcpy(&r.h, in, sizeof(r.h));
	if (r.h.opcode < sizeof(ops) / sizeof(ops[0]) && ops[r.h.opcode].fn)
		op = &ops[r.h.opcode];
	noreply = op && (op->flags & OP_NOREPLY);
	if (noreply && r.h.len == in_len && in_len - sizeof(r.h) >= op->min_body) {
		r.body = (const char *)in + sizeof(r.h);
		r.len = in_len - sizeof(r.h);
		op->fn(&r);
		return 0;
	}
	if (noreply)
		return 0; /* a malformed FORGET is dropped: there is nobody to tell */
	if (out_size < oh_size)
		return -EINVAL;
	if (r.h.len != in_len)
		return (ssize_t)finish(&r.h, out, -EINVAL);
	if (!op)
		return (ssize_t)finish(&r.h, out, -ENOSYS);
	if (!(op->flags & OP_ANYTIME) && !fuse_server_minor(s))
		return (ssize_t)finish(&r.h, out, -EIO);
	r.body = (const char *)in + sizeof(r.h);
	r.len = in_len - sizeof(r.h);
	if (r.len < op->min_body)
		return (ssize_t)finish(&r.h, out, -EINVAL);
	r.reply = (char *)out + oh_size;
	r.cap = out_size - oh_size;
	/* Checked before the call, so a reply that cannot be delivered never
	 * leaves a reference or a handle behind. */
	if (op->reply_size > r.cap)
		return (ssize_t)finish(&r.h, out, -EINVAL);
	if ((op->flags & OP_MODIFY) && passthrough_readonly(s->pt))
		return (ssize_t)finish(&r.h, out, -EROFS);
	r.cred.uid = r.h.uid;
	r.cred.gid = r.h.gid;
	n = op->fn(&r);
	if (n > (ssize_t)r.cap) {
		/* Cannot happen: every handler bounds its reply by r.cap. */
		log_error("virtio-fs: opcode %u overran its reply buffer", r.h.opcode);
		n = -EIO;
	}
	return (ssize_t)finish(&r.h, out, n);
}
