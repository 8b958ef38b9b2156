/* test_vmm_fs_passthrough.c: the passthrough file system driven by FUSE requests built in memory.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <linux/fuse.h>

#include "vmm/fs/fuse.h"
#include "vmm/fs/passthrough.h"

static char top[64], share[96], outside[96], sentinel[128];
static struct passthrough *pt;
static struct fuse_server *srv;
static char *req, *rep;
static uint64_t next_unique = 1;
static uint32_t req_uid, req_gid;

#define REP_SIZE FUSE_SERVER_BUF_SIZE

static void host_path(char *buf, size_t size, const char *rel)
{
	snprintf(buf, size, "%s/%s", share, rel);
}

static void write_host(const char *path, const char *data)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	cr_assert(fd >= 0, "open %s: %s", path, strerror(errno));
	cr_assert_eq(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	close(fd);
}

static char *read_host(const char *path)
{
	static char buf[4096];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	cr_assert(fd >= 0, "open %s: %s", path, strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	cr_assert(n >= 0);
	buf[n] = 0;
	close(fd);
	return buf;
}

/*
 * Build and dispatch one request: the fixed argument, up to two strings
 * (each sent with its NUL) and raw data. Returns the reply's error (0 or
 * -errno); *body points at the reply body.
 */
static int call(uint32_t opcode, uint64_t nodeid, const void *arg, size_t arglen, const char *s1,
		const char *s2, const void *data, size_t datalen, void **body, size_t *body_len)
{
	struct fuse_in_header h = {.opcode = opcode,
				   .unique = next_unique++,
				   .nodeid = nodeid,
				   .uid = req_uid,
				   .gid = req_gid,
				   .pid = 42};
	struct fuse_out_header oh;
	size_t len = sizeof(h);
	ssize_t n;

	if (arglen) {
		memcpy(req + len, arg, arglen);
		len += arglen;
	}
	if (s1) {
		memcpy(req + len, s1, strlen(s1) + 1);
		len += strlen(s1) + 1;
	}
	if (s2) {
		memcpy(req + len, s2, strlen(s2) + 1);
		len += strlen(s2) + 1;
	}
	if (datalen) {
		memcpy(req + len, data, datalen);
		len += datalen;
	}
	h.len = (uint32_t)len;
	memcpy(req, &h, sizeof(h));
	n = fuse_server_handle(srv, req, len, rep, REP_SIZE);
	if (n == 0)
		return 0;
	cr_assert(n >= (ssize_t)sizeof(oh), "opcode %u: result %zd", opcode, n);
	memcpy(&oh, rep, sizeof(oh));
	cr_assert_eq(oh.len, (uint32_t)n);
	cr_assert_eq(oh.unique, h.unique);
	if (body)
		*body = rep + sizeof(oh);
	if (body_len)
		*body_len = (size_t)n - sizeof(oh);
	if (oh.error == 0 && opcode != FUSE_READ && opcode != FUSE_READDIR &&
	    opcode != FUSE_READDIRPLUS && opcode != FUSE_READLINK && opcode != FUSE_GETXATTR &&
	    opcode != FUSE_LISTXATTR && opcode != FUSE_INIT)
		cr_assert(n >= (ssize_t)sizeof(oh));
	return oh.error;
}

static void do_init(void)
{
	struct fuse_init_in in = {.major = 7,
				  .minor = 38,
				  .max_readahead = 1 << 20,
				  .flags = FUSE_ASYNC_READ | FUSE_DO_READDIRPLUS};

	cr_assert_eq(call(FUSE_INIT, 0, &in, sizeof(in), NULL, NULL, NULL, 0, NULL, NULL), 0);
}

static int lookup(uint64_t parent, const char *name, struct fuse_entry_out *e)
{
	void *b;
	int r = call(FUSE_LOOKUP, parent, NULL, 0, name, NULL, NULL, 0, &b, NULL);

	if (r == 0 && e)
		memcpy(e, b, sizeof(*e));
	return r;
}

static int create(uint64_t parent, const char *name, uint32_t mode, uint32_t flags, uint32_t umask,
		  struct fuse_entry_out *e, uint64_t *fh)
{
	struct fuse_create_in in = {.flags = flags, .mode = S_IFREG | mode, .umask = umask};
	void *b;
	int r = call(FUSE_CREATE, parent, &in, sizeof(in), name, NULL, NULL, 0, &b, NULL);

	if (r == 0) {
		if (e)
			memcpy(e, b, sizeof(*e));
		if (fh)
			*fh = ((struct fuse_open_out *)((char *)b + sizeof(*e)))->fh;
	}
	return r;
}

static int fopen_node(uint64_t node, uint32_t flags, uint64_t *fh)
{
	struct fuse_open_in in = {.flags = flags};
	void *b;
	int r = call(FUSE_OPEN, node, &in, sizeof(in), NULL, NULL, NULL, 0, &b, NULL);

	if (r == 0)
		*fh = ((struct fuse_open_out *)b)->fh;
	return r;
}

static int fwrite_fh(uint64_t node, uint64_t fh, uint64_t off, const char *data)
{
	struct fuse_write_in in = {.fh = fh, .offset = off, .size = (uint32_t)strlen(data)};
	void *b;
	int r = call(FUSE_WRITE, node, &in, sizeof(in), NULL, NULL, data, strlen(data), &b, NULL);

	if (r == 0)
		cr_assert_eq(((struct fuse_write_out *)b)->size, strlen(data));
	return r;
}

static int fread_fh(uint64_t node, uint64_t fh, uint64_t off, uint32_t size, char *out)
{
	struct fuse_read_in in = {.fh = fh, .offset = off, .size = size};
	void *b;
	size_t n;
	int r = call(FUSE_READ, node, &in, sizeof(in), NULL, NULL, NULL, 0, &b, &n);

	if (r < 0)
		return r;
	memcpy(out, b, n);
	out[n] = 0;
	return (int)n;
}

static int release(uint64_t node, uint64_t fh)
{
	struct fuse_release_in in = {.fh = fh};

	return call(FUSE_RELEASE, node, &in, sizeof(in), NULL, NULL, NULL, 0, NULL, NULL);
}

static int mkdir_node(uint64_t parent, const char *name, uint32_t mode, uint32_t umask,
		      struct fuse_entry_out *e)
{
	struct fuse_mkdir_in in = {.mode = mode, .umask = umask};
	void *b;
	int r = call(FUSE_MKDIR, parent, &in, sizeof(in), name, NULL, NULL, 0, &b, NULL);

	if (r == 0 && e)
		memcpy(e, b, sizeof(*e));
	return r;
}

static int setattr(uint64_t node, struct fuse_setattr_in *in, struct fuse_attr_out *out)
{
	void *b;
	int r = call(FUSE_SETATTR, node, in, sizeof(*in), NULL, NULL, NULL, 0, &b, NULL);

	if (r == 0 && out)
		memcpy(out, b, sizeof(*out));
	return r;
}

static int rm_tree(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void setup_tree(bool readonly)
{
	strcpy(top, "/tmp/hyrun-pt-XXXXXX");
	cr_assert_not_null(mkdtemp(top));
	snprintf(share, sizeof(share), "%s/share", top);
	snprintf(outside, sizeof(outside), "%s/outside", top);
	snprintf(sentinel, sizeof(sentinel), "%s/sentinel", outside);
	cr_assert_eq(mkdir(share, 0755), 0);
	cr_assert_eq(mkdir(outside, 0755), 0);
	write_host(sentinel, "secret");
	req = malloc(FUSE_SERVER_BUF_SIZE);
	rep = malloc(REP_SIZE);
	cr_assert(req && rep);
	cr_assert_eq(passthrough_thread_init(), 0);
	pt = passthrough_new(share, readonly, NULL, 0);
	cr_assert_not_null(pt);
	srv = fuse_server_new(pt);
	cr_assert_not_null(srv);
	/* Ids any process may switch to (a failed switch is EPERM). */
	req_uid = geteuid();
	req_gid = getegid();
	do_init();
}

static void setup_rw(void)
{
	setup_tree(false);
}

static void teardown(void)
{
	fuse_server_free(srv);
	passthrough_free(pt);
	free(req);
	free(rep);
	nftw(top, rm_tree, 16, FTW_DEPTH | FTW_PHYS);
}

/* The sentinel outside the share still holds exactly what it held. */
static void assert_sentinel_intact(void)
{
	struct stat st;

	cr_assert_str_eq(read_host(sentinel), "secret");
	cr_assert_eq(lstat(sentinel, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0644);
	cr_assert_eq(st.st_nlink, 1);
	cr_assert_eq(st.st_uid, getuid());
	cr_assert_eq(getxattr(sentinel, "user.evil", NULL, 0), -1);
	cr_assert_eq(getxattr(sentinel, "trusted.evil", NULL, 0), -1);
	/* Nothing was created next to it. */
	cr_assert_eq(access(sentinel, F_OK), 0);
}

TestSuite(passthrough_ops, .init = setup_rw, .fini = teardown);

Test(passthrough_ops, lookup_and_getattr)
{
	char p[160];
	struct fuse_entry_out e, e2;
	void *b;

	host_path(p, sizeof(p), "hello");
	write_host(p, "hello world");
	cr_assert_eq(lookup(FUSE_ROOT_ID, "hello", &e), 0);
	cr_assert_neq(e.nodeid, 0);
	cr_assert_neq(e.nodeid, FUSE_ROOT_ID);
	cr_assert_eq(e.attr.size, 11);
	cr_assert(S_ISREG(e.attr.mode));
	/* The same file is the same node. */
	cr_assert_eq(lookup(FUSE_ROOT_ID, "hello", &e2), 0);
	cr_assert_eq(e2.nodeid, e.nodeid);
	struct fuse_getattr_in gi = {0};
	cr_assert_eq(call(FUSE_GETATTR, e.nodeid, &gi, sizeof(gi), NULL, NULL, NULL, 0, &b, NULL),
		     0);
	cr_assert_eq(((struct fuse_attr_out *)b)->attr.size, 11);
	cr_assert_eq(((struct fuse_attr_out *)b)->attr.ino, e.attr.ino);
	cr_assert_eq(lookup(FUSE_ROOT_ID, "missing", NULL), -ENOENT);
	/* A node id never handed out. */
	cr_assert_eq(
	    call(FUSE_GETATTR, 0x777700000005ULL, &gi, sizeof(gi), NULL, NULL, NULL, 0, NULL, NULL),
	    -ENOENT);
	cr_assert_eq(lookup(e.nodeid, "x", NULL), -ENOTDIR);
}

Test(passthrough_ops, create_write_read_umask)
{
	struct fuse_entry_out e;
	uint64_t fh = 0;
	char p[160], buf[64];
	struct stat st;

	cr_assert_eq(create(FUSE_ROOT_ID, "f", 0666, O_RDWR | O_CREAT, 022, &e, &fh), 0);
	host_path(p, sizeof(p), "f");
	cr_assert_eq(stat(p, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0644, "mode %o", st.st_mode & 07777);
	cr_assert_eq(e.attr.ino, st.st_ino);
	cr_assert_eq(fwrite_fh(e.nodeid, fh, 0, "hello"), 0);
	cr_assert_eq(fwrite_fh(e.nodeid, fh, 5, ", world"), 0);
	cr_assert_eq(fread_fh(e.nodeid, fh, 0, 64, buf), 12);
	cr_assert_str_eq(buf, "hello, world");
	cr_assert_eq(fread_fh(e.nodeid, fh, 7, 3, buf), 3);
	cr_assert_str_eq(buf, "wor");
	cr_assert_eq(fread_fh(e.nodeid, fh, 100, 10, buf), 0);
	cr_assert_str_eq(read_host(p), "hello, world");
	struct fuse_flush_in fl = {.fh = fh};
	cr_assert_eq(call(FUSE_FLUSH, e.nodeid, &fl, sizeof(fl), NULL, NULL, NULL, 0, NULL, NULL),
		     0);
	struct fuse_fsync_in fs = {.fh = fh, .fsync_flags = FUSE_FSYNC_FDATASYNC};
	cr_assert_eq(call(FUSE_FSYNC, e.nodeid, &fs, sizeof(fs), NULL, NULL, NULL, 0, NULL, NULL),
		     0);
	cr_assert_eq(passthrough_nr_handles(pt), 1);
	cr_assert_eq(release(e.nodeid, fh), 0);
	cr_assert_eq(passthrough_nr_handles(pt), 0);
	/* A released handle is gone. */
	cr_assert_eq(fread_fh(e.nodeid, fh, 0, 4, buf), -EBADF);
	cr_assert_eq(release(e.nodeid, fh), -EBADF);
	/* O_EXCL on an existing name. */
	cr_assert_eq(create(FUSE_ROOT_ID, "f", 0600, O_RDWR | O_CREAT | O_EXCL, 0, NULL, NULL),
		     -EEXIST);
	/* Reopen with O_TRUNC. */
	cr_assert_eq(fopen_node(e.nodeid, O_WRONLY | O_TRUNC, &fh), 0);
	cr_assert_str_eq(read_host(p), "");
	cr_assert_eq(release(e.nodeid, fh), 0);
}

Test(passthrough_ops, mkdir_rmdir_unlink_umask)
{
	struct fuse_entry_out d, e;
	char p[160];
	struct stat st;

	cr_assert_eq(mkdir_node(FUSE_ROOT_ID, "dir", 0777, 027, &d), 0);
	host_path(p, sizeof(p), "dir");
	cr_assert_eq(stat(p, &st), 0);
	cr_assert(S_ISDIR(st.st_mode));
	cr_assert_eq(st.st_mode & 07777, 0750);
	cr_assert_eq(mkdir_node(FUSE_ROOT_ID, "dir", 0777, 0, NULL), -EEXIST);
	cr_assert_eq(create(d.nodeid, "inner", 0644, O_WRONLY, 0, &e, NULL), 0);
	cr_assert_eq(call(FUSE_RMDIR, FUSE_ROOT_ID, NULL, 0, "dir", NULL, NULL, 0, NULL, NULL),
		     -ENOTEMPTY);
	cr_assert_eq(call(FUSE_UNLINK, d.nodeid, NULL, 0, "inner", NULL, NULL, 0, NULL, NULL), 0);
	cr_assert_eq(call(FUSE_UNLINK, d.nodeid, NULL, 0, "inner", NULL, NULL, 0, NULL, NULL),
		     -ENOENT);
	cr_assert_eq(call(FUSE_RMDIR, FUSE_ROOT_ID, NULL, 0, "dir", NULL, NULL, 0, NULL, NULL), 0);
	cr_assert_eq(stat(p, &st), -1);
	/* FIFO through MKNOD; device nodes are refused. */
	struct fuse_mknod_in mk = {.mode = S_IFIFO | 0640};
	cr_assert_eq(
	    call(FUSE_MKNOD, FUSE_ROOT_ID, &mk, sizeof(mk), "fifo", NULL, NULL, 0, NULL, NULL), 0);
	host_path(p, sizeof(p), "fifo");
	cr_assert_eq(lstat(p, &st), 0);
	cr_assert(S_ISFIFO(st.st_mode));
	mk.mode = S_IFCHR | 0600;
	mk.rdev = (1 << 8) | 3; /* 1:3, /dev/null */
	cr_assert_eq(
	    call(FUSE_MKNOD, FUSE_ROOT_ID, &mk, sizeof(mk), "null", NULL, NULL, 0, NULL, NULL),
	    -EPERM);
	mk.mode = S_IFBLK | 0600;
	cr_assert_eq(
	    call(FUSE_MKNOD, FUSE_ROOT_ID, &mk, sizeof(mk), "blk", NULL, NULL, 0, NULL, NULL),
	    -EPERM);
	host_path(p, sizeof(p), "null");
	cr_assert_eq(lstat(p, &st), -1);
	/* Opening a FIFO for I/O on the host is refused. */
	struct fuse_entry_out fe;
	uint64_t fh = 0;
	cr_assert_eq(lookup(FUSE_ROOT_ID, "fifo", &fe), 0);
	cr_assert_eq(fopen_node(fe.nodeid, O_RDONLY, &fh), -ENXIO);
}

/*
 * A device node would be a real device on the host (and the VMM's seccomp
 * filter kills it for mknodat of one): refused with EPERM before any call,
 * whatever the guest's privileges, and nothing is made.
 */
Test(passthrough_ops, mknod_of_a_device_is_eperm_and_makes_nothing)
{
	static const struct {
		uint32_t mode, rdev;
		const char *name;
	} refused[] = {
	    {S_IFBLK | 0600, (8 << 8) | 0, "sda"},   /* 8:0 */
	    {S_IFBLK | 0600, 0, "blk0"},	     /* a block device, even 0:0 */
	    {S_IFCHR | 0666, (1 << 8) | 3, "null"},  /* 1:3 */
	    {S_IFCHR | 0666, 1u << 20, "highminor"}, /* 0:256, minor in the high bits */
	};
	char p[160];
	struct stat st;

	for (size_t k = 0; k < sizeof(refused) / sizeof(refused[0]); k++) {
		struct fuse_mknod_in mk = {.mode = refused[k].mode, .rdev = refused[k].rdev};

		cr_assert_eq(call(FUSE_MKNOD, FUSE_ROOT_ID, &mk, sizeof(mk), refused[k].name, NULL,
				  NULL, 0, NULL, NULL),
			     -EPERM, "%s", refused[k].name);
		host_path(p, sizeof(p), refused[k].name);
		cr_assert_eq(lstat(p, &st), -1, "%s was made", refused[k].name);
		cr_assert_eq(errno, ENOENT);
	}
}

/* The overlayfs whiteout, the character device 0:0, is made as asked. */
Test(passthrough_ops, mknod_of_a_whiteout_makes_it)
{
	struct fuse_mknod_in mk = {.mode = S_IFCHR | 0600, .rdev = 0};
	struct fuse_entry_out e;
	char p[160];
	struct stat st;
	void *b;
	int r;

	/* Unprivileged since Linux 5.8, if the file system has them. */
	host_path(p, sizeof(p), "probe");
	if (mknod(p, S_IFCHR | 0600, makedev(0, 0)) < 0)
		cr_skip_test("cannot make a whiteout here: %s", strerror(errno));
	cr_assert_eq(unlink(p), 0);
	r = call(FUSE_MKNOD, FUSE_ROOT_ID, &mk, sizeof(mk), "wh", NULL, NULL, 0, &b, NULL);
	cr_assert_eq(r, 0, "MKNOD of a whiteout: %s", strerror(-r));
	memcpy(&e, b, sizeof(e));
	cr_assert(S_ISCHR(e.attr.mode));
	cr_assert_eq(e.attr.rdev, 0);
	host_path(p, sizeof(p), "wh");
	cr_assert_eq(lstat(p, &st), 0);
	cr_assert(S_ISCHR(st.st_mode));
	cr_assert_eq(st.st_rdev, makedev(0, 0));
}

Test(passthrough_ops, rename_and_rename2)
{
	struct fuse_entry_out d;
	char p[160];
	struct fuse_rename_in rn;
	struct fuse_rename2_in rn2 = {0};

	host_path(p, sizeof(p), "a");
	write_host(p, "A");
	host_path(p, sizeof(p), "b");
	write_host(p, "B");
	cr_assert_eq(mkdir_node(FUSE_ROOT_ID, "d", 0755, 0, &d), 0);
	rn.newdir = d.nodeid;
	cr_assert_eq(
	    call(FUSE_RENAME, FUSE_ROOT_ID, &rn, sizeof(rn), "a", "a2", NULL, 0, NULL, NULL), 0);
	host_path(p, sizeof(p), "d/a2");
	cr_assert_str_eq(read_host(p), "A");
	/* NOREPLACE onto an existing name. */
	host_path(p, sizeof(p), "d/b");
	write_host(p, "dB");
	rn2.newdir = d.nodeid;
	rn2.flags = RENAME_NOREPLACE;
	cr_assert_eq(
	    call(FUSE_RENAME2, FUSE_ROOT_ID, &rn2, sizeof(rn2), "b", "b", NULL, 0, NULL, NULL),
	    -EEXIST);
	/* EXCHANGE swaps them. */
	rn2.flags = RENAME_EXCHANGE;
	cr_assert_eq(
	    call(FUSE_RENAME2, FUSE_ROOT_ID, &rn2, sizeof(rn2), "b", "b", NULL, 0, NULL, NULL), 0);
	cr_assert_str_eq(read_host(p), "B");
	host_path(p, sizeof(p), "b");
	cr_assert_str_eq(read_host(p), "dB");
	rn2.flags = 0x80;
	cr_assert_eq(
	    call(FUSE_RENAME2, FUSE_ROOT_ID, &rn2, sizeof(rn2), "b", "c", NULL, 0, NULL, NULL),
	    -EINVAL);
}

Test(passthrough_ops, link_symlink_readlink)
{
	struct fuse_entry_out e, l, s;
	struct fuse_link_in li;
	char p[160];
	struct stat st;
	void *b;
	size_t n;

	cr_assert_eq(create(FUSE_ROOT_ID, "f", 0644, O_WRONLY, 0, &e, NULL), 0);
	li.oldnodeid = e.nodeid;
	cr_assert_eq(call(FUSE_LINK, FUSE_ROOT_ID, &li, sizeof(li), "g", NULL, NULL, 0, &b, NULL),
		     0);
	memcpy(&l, b, sizeof(l));
	cr_assert_eq(l.nodeid, e.nodeid);
	cr_assert_eq(l.attr.nlink, 2);
	host_path(p, sizeof(p), "g");
	cr_assert_eq(stat(p, &st), 0);
	cr_assert_eq(st.st_nlink, 2);
	/* A directory cannot be linked. */
	li.oldnodeid = FUSE_ROOT_ID;
	cr_assert_eq(call(FUSE_LINK, FUSE_ROOT_ID, &li, sizeof(li), "r", NULL, NULL, 0, NULL, NULL),
		     -EPERM);

	cr_assert_eq(call(FUSE_SYMLINK, FUSE_ROOT_ID, NULL, 0, "sl", "../outside/sentinel", NULL, 0,
			  &b, NULL),
		     0);
	memcpy(&s, b, sizeof(s));
	cr_assert(S_ISLNK(s.attr.mode));
	host_path(p, sizeof(p), "sl");
	cr_assert_eq(lstat(p, &st), 0);
	cr_assert(S_ISLNK(st.st_mode));
	cr_assert_eq(call(FUSE_READLINK, s.nodeid, NULL, 0, NULL, NULL, NULL, 0, &b, &n), 0);
	cr_assert_eq(n, strlen("../outside/sentinel"));
	cr_assert_eq(memcmp(b, "../outside/sentinel", n), 0);
	cr_assert_eq(call(FUSE_READLINK, e.nodeid, NULL, 0, NULL, NULL, NULL, 0, NULL, NULL),
		     -EINVAL);
	/* An empty target is refused. */
	cr_assert_eq(call(FUSE_SYMLINK, FUSE_ROOT_ID, NULL, 0, "sl2", "", NULL, 0, NULL, NULL),
		     -EINVAL);
}

static int collect_names(bool plus, uint64_t fh, char names[][32], unsigned max, uint64_t *nodes)
{
	struct fuse_read_in in = {.fh = fh, .size = 4096};
	unsigned count = 0;

	for (;;) {
		void *b;
		size_t n, off = 0;
		int r = call(plus ? FUSE_READDIRPLUS : FUSE_READDIR, FUSE_ROOT_ID, &in, sizeof(in),
			     NULL, NULL, NULL, 0, &b, &n);

		cr_assert_eq(r, 0);
		if (n == 0)
			break;
		while (off < n) {
			struct fuse_dirent *d;
			size_t rec;

			if (plus) {
				struct fuse_direntplus *dp = (void *)((char *)b + off);

				d = &dp->dirent;
				rec = FUSE_DIRENTPLUS_SIZE(dp);
				if (nodes && count < max)
					nodes[count] = dp->entry_out.nodeid;
			} else {
				d = (void *)((char *)b + off);
				rec = FUSE_DIRENT_SIZE(d);
			}
			cr_assert(d->namelen < 32);
			if (count < max) {
				memcpy(names[count], d->name, d->namelen);
				names[count][d->namelen] = 0;
			}
			count++;
			in.offset = d->off;
			off += rec;
		}
		cr_assert_eq(off, n);
	}
	return (int)count;
}

Test(passthrough_ops, readdir_and_readdirplus)
{
	char p[160], names[64][32];
	uint64_t nodes[64];
	struct fuse_open_in oi = {0};
	struct fuse_release_in rel = {0};
	void *b;
	int n;
	bool seen[20] = {0};

	for (int i = 0; i < 20; i++) {
		char name[40];

		snprintf(name, sizeof(name), "file-with-a-long-name-%02d", i);
		host_path(p, sizeof(p), name);
		write_host(p, "x");
	}
	cr_assert_eq(
	    call(FUSE_OPENDIR, FUSE_ROOT_ID, &oi, sizeof(oi), NULL, NULL, NULL, 0, &b, NULL), 0);
	rel.fh = ((struct fuse_open_out *)b)->fh;
	n = collect_names(false, rel.fh, names, 64, NULL);
	cr_assert_eq(n, 22); /* and "." and ".." */
	for (int i = 0; i < n; i++) {
		int k;

		if (sscanf(names[i], "file-with-a-long-name-%d", &k) == 1) {
			cr_assert(!seen[k]);
			seen[k] = true;
		}
	}
	for (int i = 0; i < 20; i++)
		cr_assert(seen[i], "missing entry %d", i);

	/* Rewind to 0 with the same handle, now with attributes. */
	unsigned before = passthrough_nr_nodes(pt);
	n = collect_names(true, rel.fh, names, 64, nodes);
	cr_assert_eq(n, 22);
	cr_assert_eq(passthrough_nr_nodes(pt), before + 20);
	for (int i = 0; i < n; i++) {
		struct fuse_entry_out e;

		if (!strcmp(names[i], ".") || !strcmp(names[i], "..")) {
			cr_assert_eq(nodes[i], 0);
			continue;
		}
		cr_assert_eq(lookup(FUSE_ROOT_ID, names[i], &e), 0);
		cr_assert_eq(e.nodeid, nodes[i]);
	}
	cr_assert_eq(
	    call(FUSE_RELEASEDIR, FUSE_ROOT_ID, &rel, sizeof(rel), NULL, NULL, NULL, 0, NULL, NULL),
	    0);
	cr_assert_eq(
	    call(FUSE_RELEASEDIR, FUSE_ROOT_ID, &rel, sizeof(rel), NULL, NULL, NULL, 0, NULL, NULL),
	    -EBADF);
	cr_assert_eq(passthrough_nr_handles(pt), 0);
}

Test(passthrough_ops, setattr_mode_owner_size_times)
{
	struct fuse_entry_out e;
	struct fuse_setattr_in sa;
	struct fuse_attr_out ao;
	char p[160];
	struct stat st;
	uint64_t fh = 0;

	host_path(p, sizeof(p), "f");
	write_host(p, "0123456789");
	cr_assert_eq(lookup(FUSE_ROOT_ID, "f", &e), 0);

	memset(&sa, 0, sizeof(sa));
	sa.valid = FATTR_MODE;
	sa.mode = S_IFREG | 0600;
	cr_assert_eq(setattr(e.nodeid, &sa, &ao), 0);
	cr_assert_eq(ao.attr.mode & 07777, 0600);
	cr_assert_eq(stat(p, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0600);

	if (geteuid() == 0) {
		memset(&sa, 0, sizeof(sa));
		sa.valid = FATTR_UID | FATTR_GID;
		sa.uid = 1234;
		sa.gid = 5678;
		cr_assert_eq(setattr(e.nodeid, &sa, &ao), 0);
		cr_assert_eq(stat(p, &st), 0);
		cr_assert_eq(st.st_uid, 1234);
		cr_assert_eq(st.st_gid, 5678);
	}

	memset(&sa, 0, sizeof(sa));
	sa.valid = FATTR_SIZE;
	sa.size = 4;
	cr_assert_eq(setattr(e.nodeid, &sa, &ao), 0);
	cr_assert_eq(ao.attr.size, 4);
	cr_assert_str_eq(read_host(p), "0123");

	cr_assert_eq(fopen_node(e.nodeid, O_RDWR, &fh), 0);
	sa.valid = FATTR_SIZE | FATTR_FH;
	sa.fh = fh;
	sa.size = 2;
	cr_assert_eq(setattr(e.nodeid, &sa, &ao), 0);
	cr_assert_str_eq(read_host(p), "01");
	sa.fh = fh + 1;
	cr_assert_eq(setattr(e.nodeid, &sa, NULL), -EBADF);
	cr_assert_eq(release(e.nodeid, fh), 0);

	memset(&sa, 0, sizeof(sa));
	sa.valid = FATTR_ATIME | FATTR_MTIME;
	sa.atime = 1000000;
	sa.atimensec = 5;
	sa.mtime = 2000000;
	sa.mtimensec = 7;
	cr_assert_eq(setattr(e.nodeid, &sa, &ao), 0);
	cr_assert_eq(stat(p, &st), 0);
	cr_assert_eq(st.st_atim.tv_sec, 1000000);
	cr_assert_eq(st.st_mtim.tv_sec, 2000000);
	cr_assert_eq(st.st_mtim.tv_nsec, 7);
	cr_assert_eq(ao.attr.mtime, 2000000);

	sa.valid = FATTR_MTIME | FATTR_MTIME_NOW;
	cr_assert_eq(setattr(e.nodeid, &sa, &ao), 0);
	cr_assert_eq(stat(p, &st), 0);
	cr_assert_gt(st.st_mtim.tv_sec, 2000000);
	cr_assert_eq(st.st_atim.tv_sec, 1000000);

	sa.valid = FATTR_MTIME;
	sa.mtimensec = 1000000000;
	cr_assert_eq(setattr(e.nodeid, &sa, NULL), -EINVAL);

	/* Truncating a directory. */
	memset(&sa, 0, sizeof(sa));
	sa.valid = FATTR_SIZE;
	cr_assert_eq(setattr(FUSE_ROOT_ID, &sa, NULL), -EISDIR);
}

Test(passthrough_ops, xattrs)
{
	struct fuse_entry_out e;
	struct fuse_setxattr_in si = {.size = 5};
	struct fuse_getxattr_in gi = {0};
	char p[160], buf[256];
	void *b;
	size_t n;
	int r;

	host_path(p, sizeof(p), "f");
	write_host(p, "x");
	cr_assert_eq(lookup(FUSE_ROOT_ID, "f", &e), 0);
	/* FUSE_SETXATTR_EXT is not negotiated: the 8-byte layout. */
	r = call(FUSE_SETXATTR, e.nodeid, &si, FUSE_COMPAT_SETXATTR_IN_SIZE, "user.test", NULL,
		 "value", 5, NULL, NULL);
	if (r == -EOPNOTSUPP)
		cr_skip_test("no user xattrs on %s", p);
	cr_assert_eq(r, 0);
	cr_assert_eq(getxattr(p, "user.test", buf, sizeof(buf)), 5);
	cr_assert_eq(memcmp(buf, "value", 5), 0);
	/* Size query, then the value. */
	cr_assert_eq(
	    call(FUSE_GETXATTR, e.nodeid, &gi, sizeof(gi), "user.test", NULL, NULL, 0, &b, &n), 0);
	cr_assert_eq(n, sizeof(struct fuse_getxattr_out));
	cr_assert_eq(((struct fuse_getxattr_out *)b)->size, 5);
	gi.size = 64;
	cr_assert_eq(
	    call(FUSE_GETXATTR, e.nodeid, &gi, sizeof(gi), "user.test", NULL, NULL, 0, &b, &n), 0);
	cr_assert_eq(n, 5);
	cr_assert_eq(memcmp(b, "value", 5), 0);
	gi.size = 2;
	cr_assert_eq(
	    call(FUSE_GETXATTR, e.nodeid, &gi, sizeof(gi), "user.test", NULL, NULL, 0, &b, &n),
	    -ERANGE);
	gi.size = 256;
	cr_assert_eq(call(FUSE_LISTXATTR, e.nodeid, &gi, sizeof(gi), NULL, NULL, NULL, 0, &b, &n),
		     0);
	cr_assert(memmem(b, n, "user.test", 10) != NULL);
	/* XATTR_CREATE on an existing name. */
	si.flags = XATTR_CREATE;
	cr_assert_eq(call(FUSE_SETXATTR, e.nodeid, &si, FUSE_COMPAT_SETXATTR_IN_SIZE, "user.test",
			  NULL, "other", 5, NULL, NULL),
		     -EEXIST);
	cr_assert_eq(
	    call(FUSE_REMOVEXATTR, e.nodeid, NULL, 0, "user.test", NULL, NULL, 0, NULL, NULL), 0);
	cr_assert_eq(getxattr(p, "user.test", buf, sizeof(buf)), -1);
	gi.size = 64;
	cr_assert_eq(
	    call(FUSE_GETXATTR, e.nodeid, &gi, sizeof(gi), "user.test", NULL, NULL, 0, &b, &n),
	    -ENODATA);
	/* On the root directory too. */
	si.flags = 0;
	cr_assert_eq(call(FUSE_SETXATTR, FUSE_ROOT_ID, &si, FUSE_COMPAT_SETXATTR_IN_SIZE,
			  "user.dir", NULL, "value", 5, NULL, NULL),
		     0);
	cr_assert_eq(getxattr(share, "user.dir", buf, sizeof(buf)), 5);
}

Test(passthrough_ops, statfs_access_lseek_fallocate)
{
	struct fuse_entry_out e;
	uint64_t fh = 0;
	void *b;
	struct statfs_check {
		int dummy;
	};

	cr_assert_eq(call(FUSE_STATFS, FUSE_ROOT_ID, NULL, 0, NULL, NULL, NULL, 0, &b, NULL), 0);
	cr_assert_gt(((struct fuse_statfs_out *)b)->st.bsize, 0);
	cr_assert_gt(((struct fuse_statfs_out *)b)->st.namelen, 0);
	cr_assert_gt(((struct fuse_statfs_out *)b)->st.blocks, 0);

	cr_assert_eq(create(FUSE_ROOT_ID, "f", 0640, O_RDWR, 0, &e, &fh), 0);
	struct fuse_fallocate_in fa = {.fh = fh, .offset = 0, .length = 8192};
	cr_assert_eq(
	    call(FUSE_FALLOCATE, e.nodeid, &fa, sizeof(fa), NULL, NULL, NULL, 0, NULL, NULL), 0);
	struct fuse_getattr_in gi = {0};
	cr_assert_eq(call(FUSE_GETATTR, e.nodeid, &gi, sizeof(gi), NULL, NULL, NULL, 0, &b, NULL),
		     0);
	cr_assert_eq(((struct fuse_attr_out *)b)->attr.size, 8192);
	struct fuse_lseek_in ls = {.fh = fh, .offset = 0, .whence = SEEK_END};
	cr_assert_eq(call(FUSE_LSEEK, e.nodeid, &ls, sizeof(ls), NULL, NULL, NULL, 0, &b, NULL), 0);
	cr_assert_eq(((struct fuse_lseek_out *)b)->offset, 8192);
	ls.whence = 77;
	cr_assert_eq(call(FUSE_LSEEK, e.nodeid, &ls, sizeof(ls), NULL, NULL, NULL, 0, NULL, NULL),
		     -EINVAL);

	struct fuse_access_in ai = {.mask = R_OK | W_OK};
	req_uid = 0;
	cr_assert_eq(call(FUSE_ACCESS, e.nodeid, &ai, sizeof(ai), NULL, NULL, NULL, 0, NULL, NULL),
		     0);
	ai.mask = X_OK;
	cr_assert_eq(call(FUSE_ACCESS, e.nodeid, &ai, sizeof(ai), NULL, NULL, NULL, 0, NULL, NULL),
		     -EACCES);
	req_uid = 4242;
	req_gid = 4242;
	ai.mask = R_OK;
	cr_assert_eq(call(FUSE_ACCESS, e.nodeid, &ai, sizeof(ai), NULL, NULL, NULL, 0, NULL, NULL),
		     -EACCES);
	req_uid = req_gid = 0;
	cr_assert_eq(release(e.nodeid, fh), 0);
}

Test(passthrough_ops, posix_locks_as_ofd_locks)
{
	struct fuse_entry_out e;
	uint64_t fh1, fh2;
	void *b;
	struct fuse_lk_in lk = {0};

	cr_assert_eq(create(FUSE_ROOT_ID, "lockme", 0644, O_RDWR, 0, &e, &fh1), 0);
	cr_assert_eq(fopen_node(e.nodeid, O_RDWR, &fh2), 0);
	lk.fh = fh1;
	lk.lk.type = F_WRLCK;
	lk.lk.start = 0;
	lk.lk.end = 99;
	cr_assert_eq(call(FUSE_SETLK, e.nodeid, &lk, sizeof(lk), NULL, NULL, NULL, 0, NULL, NULL),
		     0);
	lk.fh = fh2;
	lk.lk.type = F_RDLCK;
	lk.lk.start = 50;
	lk.lk.end = 0x7fffffffffffffffULL;
	cr_assert_eq(call(FUSE_GETLK, e.nodeid, &lk, sizeof(lk), NULL, NULL, NULL, 0, &b, NULL), 0);
	cr_assert_eq(((struct fuse_lk_out *)b)->lk.type, F_WRLCK);
	cr_assert_eq(((struct fuse_lk_out *)b)->lk.start, 0);
	cr_assert_eq(((struct fuse_lk_out *)b)->lk.end, 99);
	cr_assert_eq(call(FUSE_SETLK, e.nodeid, &lk, sizeof(lk), NULL, NULL, NULL, 0, NULL, NULL),
		     -EAGAIN);
	/* A non-conflicting range is free. */
	lk.lk.start = 100;
	cr_assert_eq(call(FUSE_GETLK, e.nodeid, &lk, sizeof(lk), NULL, NULL, NULL, 0, &b, NULL), 0);
	cr_assert_eq(((struct fuse_lk_out *)b)->lk.type, F_UNLCK);
	/* SETLKW gives up once the device stops. */
	lk.lk.start = 0;
	passthrough_stop(pt, true);
	cr_assert_eq(call(FUSE_SETLKW, e.nodeid, &lk, sizeof(lk), NULL, NULL, NULL, 0, NULL, NULL),
		     -EINTR);
	passthrough_stop(pt, false);
	/* Unlock through fh1, then fh2 gets it. */
	lk.fh = fh1;
	lk.lk.type = F_UNLCK;
	lk.lk.start = 0;
	lk.lk.end = 0x7fffffffffffffffULL;
	cr_assert_eq(call(FUSE_SETLK, e.nodeid, &lk, sizeof(lk), NULL, NULL, NULL, 0, NULL, NULL),
		     0);
	lk.fh = fh2;
	lk.lk.type = F_WRLCK;
	cr_assert_eq(call(FUSE_SETLKW, e.nodeid, &lk, sizeof(lk), NULL, NULL, NULL, 0, NULL, NULL),
		     0);
	lk.lk.type = 99;
	cr_assert_eq(call(FUSE_SETLK, e.nodeid, &lk, sizeof(lk), NULL, NULL, NULL, 0, NULL, NULL),
		     -EINVAL);
	lk.lk.type = F_WRLCK;
	lk.lk_flags = FUSE_LK_FLOCK;
	cr_assert_eq(call(FUSE_SETLK, e.nodeid, &lk, sizeof(lk), NULL, NULL, NULL, 0, NULL, NULL),
		     -ENOSYS);
	cr_assert_eq(release(e.nodeid, fh1), 0);
	cr_assert_eq(release(e.nodeid, fh2), 0);
}

Test(passthrough_ops, forget_drops_nodes_and_ids_go_stale)
{
	struct fuse_entry_out e;
	char p[160];
	unsigned base = passthrough_nr_nodes(pt);
	struct fuse_forget_in fi = {.nlookup = 1};
	struct fuse_getattr_in gi = {0};

	cr_assert_eq(base, 1);
	host_path(p, sizeof(p), "f");
	write_host(p, "x");
	cr_assert_eq(lookup(FUSE_ROOT_ID, "f", &e), 0);
	cr_assert_eq(lookup(FUSE_ROOT_ID, "f", NULL), 0);
	cr_assert_eq(passthrough_nr_nodes(pt), 2);
	cr_assert_eq(call(FUSE_FORGET, e.nodeid, &fi, sizeof(fi), NULL, NULL, NULL, 0, NULL, NULL),
		     0);
	cr_assert_eq(passthrough_nr_nodes(pt), 2);
	cr_assert_eq(call(FUSE_FORGET, e.nodeid, &fi, sizeof(fi), NULL, NULL, NULL, 0, NULL, NULL),
		     0);
	cr_assert_eq(passthrough_nr_nodes(pt), 1);
	/* The forgotten id is dead, even when its slot is reused. */
	cr_assert_eq(call(FUSE_GETATTR, e.nodeid, &gi, sizeof(gi), NULL, NULL, NULL, 0, NULL, NULL),
		     -ENOENT);
	struct fuse_entry_out e2;
	cr_assert_eq(lookup(FUSE_ROOT_ID, "f", &e2), 0);
	cr_assert_neq(e2.nodeid, e.nodeid);
	cr_assert_eq((uint32_t)e2.nodeid, (uint32_t)e.nodeid); /* same slot, new generation */
	cr_assert_eq(call(FUSE_GETATTR, e.nodeid, &gi, sizeof(gi), NULL, NULL, NULL, 0, NULL, NULL),
		     -ENOENT);
	/* BATCH_FORGET, and the root is never forgotten. */
	struct {
		struct fuse_batch_forget_in h;
		struct fuse_forget_one one[2];
	} bf = {
	    .h = {.count = 2},
	    .one = {{.nodeid = e2.nodeid, .nlookup = 1}, {.nodeid = FUSE_ROOT_ID, .nlookup = 5}}};
	cr_assert_eq(call(FUSE_BATCH_FORGET, 0, &bf, sizeof(bf), NULL, NULL, NULL, 0, NULL, NULL),
		     0);
	cr_assert_eq(passthrough_nr_nodes(pt), 1);
	cr_assert_eq(lookup(FUSE_ROOT_ID, "f", NULL), 0);
	/* DESTROY forgets everything but the root. */
	cr_assert_eq(call(FUSE_DESTROY, 0, NULL, 0, NULL, NULL, NULL, 0, NULL, NULL), 0);
	cr_assert_eq(passthrough_nr_nodes(pt), 1);
	cr_assert_eq(fuse_server_minor(srv), 0);
}

Test(passthrough_ops, creates_with_the_callers_ids)
{
	struct fuse_entry_out e;
	char p[160];
	struct stat st;

	if (geteuid() != 0)
		cr_skip_test("needs root for setfsuid");
	/* The share root must let uid 1000 create (the host checks too). */
	cr_assert_eq(chmod(share, 0777), 0);
	req_uid = 1000;
	req_gid = 1001;
	cr_assert_eq(create(FUSE_ROOT_ID, "mine", 0644, O_WRONLY, 0, &e, NULL), 0);
	cr_assert_eq(e.attr.uid, 1000);
	cr_assert_eq(e.attr.gid, 1001);
	host_path(p, sizeof(p), "mine");
	cr_assert_eq(stat(p, &st), 0);
	cr_assert_eq(st.st_uid, 1000);
	cr_assert_eq(st.st_gid, 1001);
	cr_assert_eq(mkdir_node(FUSE_ROOT_ID, "mydir", 0755, 0, &e), 0);
	cr_assert_eq(e.attr.uid, 1000);
	cr_assert_eq(call(FUSE_SYMLINK, FUSE_ROOT_ID, NULL, 0, "mylink", "x", NULL, 0, NULL, NULL),
		     0);
	host_path(p, sizeof(p), "mylink");
	cr_assert_eq(lstat(p, &st), 0);
	cr_assert_eq(st.st_uid, 1000);
	/* The thread's own ids are back afterwards. */
	req_uid = req_gid = 0;
	cr_assert_eq(create(FUSE_ROOT_ID, "roots", 0644, O_WRONLY, 0, &e, NULL), 0);
	cr_assert_eq(e.attr.uid, 0);
	/* uid 1000 cannot create in a directory only root may write. */
	cr_assert_eq(chmod(share, 0755), 0);
	req_uid = req_gid = 1000;
	cr_assert_eq(create(FUSE_ROOT_ID, "denied", 0644, O_WRONLY, 0, NULL, NULL), -EACCES);
}

Test(passthrough_ops, create_opens_an_existing_regular_file)
{
	struct fuse_entry_out l, e;
	uint64_t fh = 0;
	char p[160], buf[64];
	struct stat st;

	host_path(p, sizeof(p), "f");
	write_host(p, "old content");
	cr_assert_eq(chmod(p, 0640), 0);
	cr_assert_eq(lookup(FUSE_ROOT_ID, "f", &l), 0);
	/* Without O_EXCL: the file that is there, its mode and data kept. */
	cr_assert_eq(create(FUSE_ROOT_ID, "f", 0600, O_RDWR | O_CREAT, 0, &e, &fh), 0);
	cr_assert_eq(e.nodeid, l.nodeid);
	cr_assert_eq(fread_fh(e.nodeid, fh, 0, 64, buf), 11);
	cr_assert_str_eq(buf, "old content");
	cr_assert_eq(fwrite_fh(e.nodeid, fh, 0, "new"), 0);
	cr_assert_str_eq(read_host(p), "new content");
	cr_assert_eq(release(e.nodeid, fh), 0);
	cr_assert_eq(stat(p, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0640, "mode %o", st.st_mode & 07777);
	/* O_TRUNC is honoured. */
	cr_assert_eq(create(FUSE_ROOT_ID, "f", 0600, O_WRONLY | O_CREAT | O_TRUNC, 0, &e, &fh), 0);
	cr_assert_eq(e.nodeid, l.nodeid);
	cr_assert_eq(e.attr.size, 0);
	cr_assert_str_eq(read_host(p), "");
	cr_assert_eq(release(e.nodeid, fh), 0);
	/* O_EXCL: the name exists. */
	cr_assert_eq(create(FUSE_ROOT_ID, "f", 0600, O_RDWR | O_CREAT | O_EXCL, 0, NULL, NULL),
		     -EEXIST);
	/* A directory is not opened for I/O. */
	cr_assert_eq(mkdir_node(FUSE_ROOT_ID, "d", 0755, 0, NULL), 0);
	cr_assert_eq(create(FUSE_ROOT_ID, "d", 0644, O_RDONLY | O_CREAT, 0, NULL, NULL), -EISDIR);
	cr_assert_eq(passthrough_nr_handles(pt), 0);
	if (geteuid() == 0) {
		/* The caller's permissions apply to the file that is there. */
		cr_assert_eq(chmod(share, 0777), 0);
		req_uid = req_gid = 1000;
		cr_assert_eq(create(FUSE_ROOT_ID, "f", 0666, O_WRONLY | O_CREAT, 0, NULL, NULL),
			     -EACCES);
		cr_assert_eq(create(FUSE_ROOT_ID, "f", 0666, O_RDONLY | O_CREAT, 0, NULL, NULL),
			     -EACCES);
		cr_assert_eq(chmod(p, 0644), 0);
		cr_assert_eq(create(FUSE_ROOT_ID, "f", 0666, O_RDONLY | O_CREAT, 0, &e, &fh), 0);
		cr_assert_eq(e.attr.uid, 0, "the owner is kept");
		cr_assert_eq(release(e.nodeid, fh), 0);
		cr_assert_eq(create(FUSE_ROOT_ID, "f", 0666, O_WRONLY | O_TRUNC, 0, NULL, NULL),
			     -EACCES);
	}
}

/* Descriptors this process has open. */
static unsigned count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned n = 0;

	cr_assert_not_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

Test(passthrough_ops, descriptor_cap_is_enfile_and_opens_nothing)
{
	struct fuse_entry_out e[4], ex;
	struct fuse_forget_in fi = {.nlookup = 1};
	struct fuse_open_in oi = {0};
	char p[160], name[16];
	uint64_t fh, fh2 = 0;
	unsigned fds;
	void *b;

	for (int k = 0; k < 4; k++) {
		snprintf(name, sizeof(name), "f%d", k);
		host_path(p, sizeof(p), name);
		write_host(p, "x");
	}
	/* Three held descriptors: two nodes and a handle. */
	passthrough_set_fd_limit(pt, 3);
	cr_assert_eq(lookup(FUSE_ROOT_ID, "f0", &e[0]), 0);
	cr_assert_eq(lookup(FUSE_ROOT_ID, "f1", &e[1]), 0);
	cr_assert_eq(fopen_node(e[0].nodeid, O_RDONLY, &fh), 0);
	cr_assert_eq(passthrough_nr_fds(pt), 3);
	fds = count_fds();
	/* At the cap: a new node, a handle, a directory handle, a create. */
	cr_assert_eq(lookup(FUSE_ROOT_ID, "f2", NULL), -ENFILE);
	cr_assert_eq(fopen_node(e[1].nodeid, O_RDONLY, &fh2), -ENFILE);
	cr_assert_eq(
	    call(FUSE_OPENDIR, FUSE_ROOT_ID, &oi, sizeof(oi), NULL, NULL, NULL, 0, &b, NULL),
	    -ENFILE);
	cr_assert_eq(create(FUSE_ROOT_ID, "new", 0644, O_RDWR, 0, NULL, NULL), -ENFILE);
	cr_assert_eq(mkdir_node(FUSE_ROOT_ID, "d", 0755, 0, NULL), -ENFILE);
	/* Nothing was opened or kept for them. */
	cr_assert_eq(count_fds(), fds);
	cr_assert_eq(passthrough_nr_fds(pt), 3);
	cr_assert_eq(passthrough_nr_nodes(pt), 3);
	cr_assert_eq(passthrough_nr_handles(pt), 1);
	/* Even a name of a node already held: its lookup opens a handle. */
	cr_assert_eq(lookup(FUSE_ROOT_ID, "f0", &ex), -ENFILE);
	/* RELEASE frees a handle's place, FORGET a node's. */
	cr_assert_eq(release(e[0].nodeid, fh), 0);
	cr_assert_eq(passthrough_nr_fds(pt), 2);
	cr_assert_eq(fopen_node(e[1].nodeid, O_RDONLY, &fh2), 0);
	cr_assert_eq(lookup(FUSE_ROOT_ID, "f2", NULL), -ENFILE);
	cr_assert_eq(release(e[1].nodeid, fh2), 0);
	cr_assert_eq(
	    call(FUSE_FORGET, e[1].nodeid, &fi, sizeof(fi), NULL, NULL, NULL, 0, NULL, NULL), 0);
	cr_assert_eq(passthrough_nr_fds(pt), 1);
	cr_assert_eq(create(FUSE_ROOT_ID, "new", 0644, O_RDWR, 0, &e[2], &fh), 0);
	cr_assert_eq(passthrough_nr_fds(pt), 3);
	cr_assert_eq(release(e[2].nodeid, fh), 0);
	cr_assert_eq(lookup(FUSE_ROOT_ID, "f2", &e[3]), 0);
	cr_assert_eq(passthrough_nr_fds(pt), 3);
	/* DESTROY gives every place back. */
	cr_assert_eq(call(FUSE_DESTROY, 0, NULL, 0, NULL, NULL, NULL, 0, NULL, NULL), 0);
	cr_assert_eq(passthrough_nr_fds(pt), 0);
	cr_assert_lt(count_fds(), fds);
}

static int write_proc(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/*
 * In a user namespace that maps only id 0, setfsuid(1000) and setfsgid(1000)
 * silently keep the old ids. Runs in a forked child (unshare(CLONE_NEWUSER)
 * wants a single thread) with a share of its own (the parent's keeps the
 * parent's /proc/self/fd); returns an exit code, 0 for success.
 */
static int unmapped_ids_child(void)
{
	const struct pt_cred root = {0, 0}, user = {1000, 0}, group = {0, 1000};
	const struct pt_cred *bad[] = {&user, &group};
	struct fuse_entry_out e;
	struct fuse_open_out o;
	struct passthrough *cpt;

	if (unshare(CLONE_NEWUSER) < 0)
		return 77;
	if (write_proc("/proc/self/setgroups", "deny") < 0 ||
	    write_proc("/proc/self/uid_map", "0 0 1") < 0 ||
	    write_proc("/proc/self/gid_map", "0 0 1") < 0)
		return 78;
	cpt = passthrough_new(share, false, NULL, 0);
	if (!cpt)
		return 79;
	/* A mapped id still works. */
	if (passthrough_create(cpt, &root, FUSE_ROOT_ID, "mapped", O_WRONLY, 0644, 0, &e, &o))
		return 10;
	for (int k = 0; k < 2; k++) {
		if (passthrough_create(cpt, bad[k], FUSE_ROOT_ID, "new", O_WRONLY, 04755, 0, &e,
				       &o) != -EPERM)
			return 11 + 10 * k;
		/* Not even an existing file is opened. */
		if (passthrough_create(cpt, bad[k], FUSE_ROOT_ID, "mapped", O_WRONLY | O_TRUNC,
				       0644, 0, &e, &o) != -EPERM)
			return 12 + 10 * k;
		if (passthrough_mkdir(cpt, bad[k], FUSE_ROOT_ID, "newdir", 0755, 0, &e) != -EPERM)
			return 13 + 10 * k;
		if (passthrough_mknod(cpt, bad[k], FUSE_ROOT_ID, "newnod", S_IFREG | 04755, 0, 0,
				      &e) != -EPERM)
			return 14 + 10 * k;
		if (passthrough_symlink(cpt, bad[k], FUSE_ROOT_ID, "newlink", "x", &e) != -EPERM)
			return 15 + 10 * k;
		/* The thread's own ids are back. */
		if (setfsuid((uid_t)-1) != 0 || setfsgid((gid_t)-1) != 0)
			return 16 + 10 * k;
	}
	if (passthrough_nr_handles(cpt) != 1)
		return 17;
	passthrough_free(cpt);
	return 0;
}

Test(passthrough_ops, ids_that_cannot_be_taken_are_eperm)
{
	static const char *const never[] = {"new", "newdir", "newnod", "newlink"};
	char p[160];
	struct stat st;
	pid_t pid;
	int status;

	if (geteuid() != 0)
		cr_skip_test("needs root to map id 0 in a user namespace");
	host_path(p, sizeof(p), "mapped");
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0)
		_exit(unmapped_ids_child());
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status), "child status %#x", status);
	if (WEXITSTATUS(status) == 77)
		cr_skip_test("no user namespaces here");
	cr_assert_eq(WEXITSTATUS(status), 0, "child failed at step %d", WEXITSTATUS(status));
	cr_assert_eq(stat(p, &st), 0);
	cr_assert_eq(st.st_uid, 0);
	cr_assert_eq(st.st_size, 0);
	for (size_t k = 0; k < sizeof(never) / sizeof(never[0]); k++) {
		host_path(p, sizeof(p), never[k]);
		cr_assert_eq(lstat(p, &st), -1, "%s was created", never[k]);
	}
}

/* --- hostile requests ----------------------------------------------------------------- */

TestSuite(passthrough_escape, .init = setup_rw, .fini = teardown);

Test(passthrough_escape, symlink_to_etc_is_returned_not_followed)
{
	struct fuse_entry_out l;
	char p[160];
	uint64_t fh = 0;

	host_path(p, sizeof(p), "etc");
	cr_assert_eq(symlink("/etc", p), 0);
	cr_assert_eq(lookup(FUSE_ROOT_ID, "etc", &l), 0);
	cr_assert(S_ISLNK(l.attr.mode));
	cr_assert_eq(lookup(l.nodeid, "passwd", NULL), -ENOTDIR);
	cr_assert_eq(fopen_node(l.nodeid, O_RDONLY, &fh), -ELOOP);
	cr_assert_eq(create(l.nodeid, "evil", 0644, O_WRONLY, 0, NULL, NULL), -ENOTDIR);
	struct fuse_open_in oi = {0};
	cr_assert_eq(call(FUSE_OPENDIR, l.nodeid, &oi, sizeof(oi), NULL, NULL, NULL, 0, NULL, NULL),
		     -ENOTDIR);
	cr_assert_eq(access("/etc/evil", F_OK), -1);
}

Test(passthrough_escape, symlink_to_outside_changes_nothing_outside)
{
	struct fuse_entry_out l, hl;
	struct fuse_setattr_in sa;
	struct fuse_setxattr_in si = {.size = 3};
	struct fuse_link_in li;
	char p[160];
	struct stat st, before;
	uint64_t fh = 0;
	void *b;
	int r;

	cr_assert_eq(stat(sentinel, &before), 0);
	host_path(p, sizeof(p), "out");
	cr_assert_eq(symlink("../outside/sentinel", p), 0);
	cr_assert_eq(lookup(FUSE_ROOT_ID, "out", &l), 0);
	cr_assert(S_ISLNK(l.attr.mode));
	cr_assert_eq(fopen_node(l.nodeid, O_RDWR | O_TRUNC, &fh), -ELOOP);
	/* chmod, truncate, times on the symlink's node. */
	memset(&sa, 0, sizeof(sa));
	sa.valid = FATTR_MODE;
	sa.mode = 0777;
	cr_assert_eq(setattr(l.nodeid, &sa, NULL), -EOPNOTSUPP);
	sa.valid = FATTR_SIZE;
	sa.size = 0;
	cr_assert_eq(setattr(l.nodeid, &sa, NULL), -EINVAL);
	sa.valid = FATTR_MTIME;
	sa.mtime = 12345;
	cr_assert_eq(setattr(l.nodeid, &sa, NULL), 0);
	cr_assert_eq(lstat(p, &st), 0);
	cr_assert_eq(st.st_mtim.tv_sec, 12345, "the symlink itself got the time");
	if (geteuid() == 0) {
		sa.valid = FATTR_UID;
		sa.uid = 4321;
		cr_assert_eq(setattr(l.nodeid, &sa, NULL), 0);
		cr_assert_eq(lstat(p, &st), 0);
		cr_assert_eq(st.st_uid, 4321);
	}
	/* xattrs on a symlink: user.* is not allowed on symlinks; trusted.*
	 * (root) lands on the link itself. */
	r = call(FUSE_SETXATTR, l.nodeid, &si, FUSE_COMPAT_SETXATTR_IN_SIZE, "user.evil", NULL,
		 "bad", 3, NULL, NULL);
	cr_assert(r == -EPERM || r == -EOPNOTSUPP, "user xattr on symlink: %d", r);
	r = call(FUSE_SETXATTR, l.nodeid, &si, FUSE_COMPAT_SETXATTR_IN_SIZE, "trusted.evil", NULL,
		 "bad", 3, NULL, NULL);
	if (r == 0) {
		char v[8];

		cr_assert_eq(lgetxattr(p, "trusted.evil", v, sizeof(v)), 3);
	}
	struct fuse_getxattr_in gi = {.size = 64};
	r = call(FUSE_GETXATTR, l.nodeid, &gi, sizeof(gi), "trusted.evil", NULL, NULL, 0, &b, NULL);
	cr_assert(r == 0 || r == -ENODATA || r == -EOPNOTSUPP);
	/* A hard link of the symlink is a link to the symlink. */
	li.oldnodeid = l.nodeid;
	cr_assert_eq(call(FUSE_LINK, FUSE_ROOT_ID, &li, sizeof(li), "hl", NULL, NULL, 0, &b, NULL),
		     0);
	memcpy(&hl, b, sizeof(hl));
	host_path(p, sizeof(p), "hl");
	cr_assert_eq(lstat(p, &st), 0);
	cr_assert(S_ISLNK(st.st_mode));
	/* Nothing reached through the link works as a directory. */
	cr_assert_eq(lookup(l.nodeid, "sentinel", NULL), -ENOTDIR);
	assert_sentinel_intact();
	cr_assert_eq(stat(sentinel, &st), 0);
	cr_assert_eq(st.st_mtim.tv_sec, before.st_mtim.tv_sec);
	cr_assert_eq(st.st_size, before.st_size);
}

Test(passthrough_escape, dotdot_never_leaves_the_share)
{
	struct fuse_entry_out e, sub, up;

	cr_assert_eq(lookup(FUSE_ROOT_ID, "..", &e), 0);
	cr_assert_eq(e.nodeid, FUSE_ROOT_ID);
	cr_assert_eq(lookup(FUSE_ROOT_ID, ".", &e), 0);
	cr_assert_eq(e.nodeid, FUSE_ROOT_ID);
	cr_assert_eq(lookup(e.nodeid, "outside", NULL), -ENOENT);
	cr_assert_eq(mkdir_node(FUSE_ROOT_ID, "sub", 0755, 0, &sub), 0);
	cr_assert_eq(lookup(sub.nodeid, "..", &up), 0);
	cr_assert_eq(up.nodeid, FUSE_ROOT_ID);
	cr_assert_eq(lookup(up.nodeid, "..", &up), 0);
	cr_assert_eq(up.nodeid, FUSE_ROOT_ID);
	/* Multi-component names are refused before the file system sees them. */
	cr_assert_eq(lookup(FUSE_ROOT_ID, "../outside", NULL), -EINVAL);
	cr_assert_eq(lookup(FUSE_ROOT_ID, "../../", NULL), -EINVAL);
	cr_assert_eq(lookup(sub.nodeid, "../../outside/sentinel", NULL), -EINVAL);
	cr_assert_eq(create(FUSE_ROOT_ID, "../outside/new", 0644, O_WRONLY, 0, NULL, NULL),
		     -EINVAL);
	cr_assert_eq(create(FUSE_ROOT_ID, "..", 0644, O_WRONLY, 0, NULL, NULL), -EINVAL);
	cr_assert_eq(mkdir_node(FUSE_ROOT_ID, ".", 0755, 0, NULL), -EINVAL);
	struct fuse_rename_in rn = {.newdir = FUSE_ROOT_ID};
	cr_assert_eq(call(FUSE_RENAME, FUSE_ROOT_ID, &rn, sizeof(rn), "sub", "../outside/sub", NULL,
			  0, NULL, NULL),
		     -EINVAL);
	cr_assert_eq(call(FUSE_UNLINK, sub.nodeid, NULL, 0, "../outside/sentinel", NULL, NULL, 0,
			  NULL, NULL),
		     -EINVAL);
	/* A directory moved out of the share by the host: its ".." is
	 * outside, and the walk up never meets the root. */
	char from[160], to[160];
	host_path(from, sizeof(from), "sub");
	snprintf(to, sizeof(to), "%s/moved", outside);
	cr_assert_eq(rename(from, to), 0);
	cr_assert_eq(lookup(sub.nodeid, "..", NULL), -EACCES);
	assert_sentinel_intact();
}

Test(passthrough_escape, link_and_rename_need_known_nodes)
{
	struct fuse_link_in li;
	struct fuse_rename_in rn;
	struct fuse_entry_out e;
	char p[160];

	host_path(p, sizeof(p), "f");
	write_host(p, "x");
	cr_assert_eq(lookup(FUSE_ROOT_ID, "f", &e), 0);
	/* Node ids the guest never got: made up, slot 0, and another generation. */
	uint64_t bogus[] = {0, 0x9999, e.nodeid + (1ULL << 32), (uint64_t)-1};
	for (unsigned i = 0; i < sizeof(bogus) / sizeof(bogus[0]); i++) {
		li.oldnodeid = bogus[i];
		cr_assert_eq(call(FUSE_LINK, FUSE_ROOT_ID, &li, sizeof(li), "stolen", NULL, NULL, 0,
				  NULL, NULL),
			     -ENOENT);
		rn.newdir = bogus[i];
		cr_assert_eq(call(FUSE_RENAME, FUSE_ROOT_ID, &rn, sizeof(rn), "f", "f2", NULL, 0,
				  NULL, NULL),
			     -ENOENT);
		cr_assert_eq(create(bogus[i], "c", 0644, O_WRONLY, 0, NULL, NULL), -ENOENT);
	}
	/* A file handle never opened. */
	char buf[8];
	cr_assert_eq(fread_fh(e.nodeid, 12345, 0, 4, buf), -EBADF);
	host_path(p, sizeof(p), "stolen");
	cr_assert_eq(access(p, F_OK), -1);
	assert_sentinel_intact();
}

Test(passthrough_escape, directory_swapped_for_symlink_after_lookup)
{
	struct fuse_entry_out d, e, s;
	char p[160], old[160], q[192];
	struct stat st;

	cr_assert_eq(mkdir_node(FUSE_ROOT_ID, "d", 0755, 0, &d), 0);
	/* The host swaps the directory for a symlink to the outside. */
	host_path(p, sizeof(p), "d");
	host_path(old, sizeof(old), "d.old");
	cr_assert_eq(rename(p, old), 0);
	cr_assert_eq(symlink(outside, p), 0);
	/* The node still is the original directory. */
	cr_assert_eq(create(d.nodeid, "new", 0644, O_WRONLY, 0, &e, NULL), 0);
	snprintf(q, sizeof(q), "%s/new", old);
	cr_assert_eq(stat(q, &st), 0);
	snprintf(q, sizeof(q), "%s/new", outside);
	cr_assert_eq(stat(q, &st), -1);
	cr_assert_eq(lookup(d.nodeid, "sentinel", NULL), -ENOENT);
	/* A fresh lookup sees the symlink, which is no directory. */
	cr_assert_eq(lookup(FUSE_ROOT_ID, "d", &s), 0);
	cr_assert(S_ISLNK(s.attr.mode));
	cr_assert_eq(lookup(s.nodeid, "sentinel", NULL), -ENOTDIR);
	cr_assert_eq(create(s.nodeid, "new2", 0644, O_WRONLY, 0, NULL, NULL), -ENOTDIR);
	/* A file swapped for a symlink: creating with its name does not
	 * follow it (O_NOFOLLOW), even without O_EXCL. */
	host_path(p, sizeof(p), "victim");
	cr_assert_eq(symlink(sentinel, p), 0);
	cr_assert_eq(create(FUSE_ROOT_ID, "victim", 0644, O_WRONLY | O_TRUNC, 0, NULL, NULL),
		     -ELOOP);
	assert_sentinel_intact();
}

/* An existing FIFO: opening it would wait for a peer, forever. */
Test(passthrough_escape, create_on_a_fifo_neither_opens_nor_waits)
{
	static const uint32_t modes[] = {O_WRONLY, O_RDONLY, O_RDWR, O_WRONLY | O_TRUNC};
	char p[160];
	struct stat st;

	host_path(p, sizeof(p), "fifo");
	cr_assert_eq(mkfifo(p, 0666), 0);
	/* A worker stuck in open() kills the test instead of hanging it. */
	alarm(10);
	for (size_t k = 0; k < sizeof(modes) / sizeof(modes[0]); k++)
		cr_assert_eq(create(FUSE_ROOT_ID, "fifo", 0644, modes[k] | O_CREAT, 0, NULL, NULL),
			     -ENXIO, "flags %#x", modes[k]);
	cr_assert_eq(create(FUSE_ROOT_ID, "fifo", 0644, O_WRONLY | O_CREAT | O_EXCL, 0, NULL, NULL),
		     -EEXIST);
	alarm(0);
	cr_assert_eq(passthrough_nr_handles(pt), 0);
	cr_assert_eq(lstat(p, &st), 0);
	cr_assert(S_ISFIFO(st.st_mode));
}

/* An existing device node (the host's /dev/zero) is never opened. */
Test(passthrough_escape, create_on_a_device_node_is_refused)
{
	struct fuse_entry_out e;
	uint64_t fh = 0;
	char p[160], buf[16];
	struct stat st;

	host_path(p, sizeof(p), "zero");
	if (mknod(p, S_IFCHR | 0666, makedev(1, 5)) < 0)
		cr_skip_test("cannot make a device node: %s", strerror(errno));
	cr_assert_eq(create(FUSE_ROOT_ID, "zero", 0644, O_RDWR | O_CREAT, 0, &e, &fh), -ENXIO);
	cr_assert_eq(create(FUSE_ROOT_ID, "zero", 0644, O_RDONLY | O_CREAT, 0, &e, &fh), -ENXIO);
	cr_assert_eq(passthrough_nr_handles(pt), 0);
	/* No handle, so nothing to read from: the first one would be id 1. */
	cr_assert_eq(lookup(FUSE_ROOT_ID, "zero", &e), 0);
	cr_assert(S_ISCHR(e.attr.mode));
	cr_assert_eq(fread_fh(e.nodeid, 1, 0, 8, buf), -EBADF);
	cr_assert_eq(fopen_node(e.nodeid, O_RDWR, &fh), -ENXIO);
	cr_assert_eq(lstat(p, &st), 0);
	cr_assert(S_ISCHR(st.st_mode));
	cr_assert_eq(st.st_rdev, makedev(1, 5));
}

/* --- read-only shares --------------------------------------------------------------------- */

static void setup_ro(void)
{
	char p[192];

	/* Populate before the read-only share is opened. */
	strcpy(top, "/tmp/hyrun-pt-XXXXXX");
	cr_assert_not_null(mkdtemp(top));
	snprintf(share, sizeof(share), "%s/share", top);
	snprintf(outside, sizeof(outside), "%s/outside", top);
	snprintf(sentinel, sizeof(sentinel), "%s/sentinel", outside);
	cr_assert_eq(mkdir(share, 0755), 0);
	cr_assert_eq(mkdir(outside, 0755), 0);
	write_host(sentinel, "secret");
	snprintf(p, sizeof(p), "%s/f", share);
	write_host(p, "content");
	snprintf(p, sizeof(p), "%s/d", share);
	cr_assert_eq(mkdir(p, 0755), 0);
	req = malloc(FUSE_SERVER_BUF_SIZE);
	rep = malloc(REP_SIZE);
	cr_assert_eq(passthrough_thread_init(), 0);
	pt = passthrough_new(share, true, NULL, 0);
	cr_assert_not_null(pt);
	srv = fuse_server_new(pt);
	req_uid = geteuid();
	req_gid = getegid();
	do_init();
}

TestSuite(passthrough_readonly, .init = setup_ro, .fini = teardown);

Test(passthrough_readonly, every_change_is_erofs)
{
	struct fuse_entry_out f, d;
	uint64_t fh = 0;
	char buf[64];
	struct stat st, before;
	char p[160];

	host_path(p, sizeof(p), "f");
	cr_assert_eq(stat(p, &before), 0);
	cr_assert_eq(lookup(FUSE_ROOT_ID, "f", &f), 0);
	cr_assert_eq(lookup(FUSE_ROOT_ID, "d", &d), 0);

	/* Reading works. */
	cr_assert_eq(fopen_node(f.nodeid, O_RDONLY, &fh), 0);
	cr_assert_eq(fread_fh(f.nodeid, fh, 0, 64, buf), 7);
	cr_assert_str_eq(buf, "content");
	cr_assert_eq(fwrite_fh(f.nodeid, fh, 0, "x"), -EROFS);
	struct fuse_fallocate_in fa = {.fh = fh, .length = 100};
	cr_assert_eq(
	    call(FUSE_FALLOCATE, f.nodeid, &fa, sizeof(fa), NULL, NULL, NULL, 0, NULL, NULL),
	    -EROFS);
	cr_assert_eq(release(f.nodeid, fh), 0);

	cr_assert_eq(fopen_node(f.nodeid, O_RDWR, &fh), -EROFS);
	cr_assert_eq(fopen_node(f.nodeid, O_WRONLY, &fh), -EROFS);
	cr_assert_eq(fopen_node(f.nodeid, O_RDONLY | O_TRUNC, &fh), -EROFS);
	cr_assert_eq(create(FUSE_ROOT_ID, "new", 0644, O_WRONLY, 0, NULL, NULL), -EROFS);
	cr_assert_eq(create(FUSE_ROOT_ID, "new", 0644, O_RDONLY, 0, NULL, NULL), -EROFS);
	cr_assert_eq(mkdir_node(FUSE_ROOT_ID, "nd", 0755, 0, NULL), -EROFS);
	struct fuse_mknod_in mk = {.mode = S_IFIFO | 0644};
	cr_assert_eq(
	    call(FUSE_MKNOD, FUSE_ROOT_ID, &mk, sizeof(mk), "p", NULL, NULL, 0, NULL, NULL),
	    -EROFS);
	cr_assert_eq(call(FUSE_SYMLINK, FUSE_ROOT_ID, NULL, 0, "l", "f", NULL, 0, NULL, NULL),
		     -EROFS);
	cr_assert_eq(call(FUSE_UNLINK, FUSE_ROOT_ID, NULL, 0, "f", NULL, NULL, 0, NULL, NULL),
		     -EROFS);
	cr_assert_eq(call(FUSE_RMDIR, FUSE_ROOT_ID, NULL, 0, "d", NULL, NULL, 0, NULL, NULL),
		     -EROFS);
	struct fuse_rename_in rn = {.newdir = FUSE_ROOT_ID};
	cr_assert_eq(
	    call(FUSE_RENAME, FUSE_ROOT_ID, &rn, sizeof(rn), "f", "g", NULL, 0, NULL, NULL),
	    -EROFS);
	struct fuse_rename2_in rn2 = {.newdir = FUSE_ROOT_ID, .flags = RENAME_EXCHANGE};
	cr_assert_eq(
	    call(FUSE_RENAME2, FUSE_ROOT_ID, &rn2, sizeof(rn2), "f", "d", NULL, 0, NULL, NULL),
	    -EROFS);
	struct fuse_link_in li = {.oldnodeid = f.nodeid};
	cr_assert_eq(call(FUSE_LINK, FUSE_ROOT_ID, &li, sizeof(li), "g", NULL, NULL, 0, NULL, NULL),
		     -EROFS);
	struct fuse_setattr_in sa = {.valid = FATTR_MODE, .mode = 0777};
	cr_assert_eq(setattr(f.nodeid, &sa, NULL), -EROFS);
	sa.valid = FATTR_SIZE;
	cr_assert_eq(setattr(f.nodeid, &sa, NULL), -EROFS);
	sa.valid = FATTR_MTIME_NOW | FATTR_MTIME;
	cr_assert_eq(setattr(f.nodeid, &sa, NULL), -EROFS);
	struct fuse_setxattr_in si = {.size = 1};
	cr_assert_eq(call(FUSE_SETXATTR, f.nodeid, &si, FUSE_COMPAT_SETXATTR_IN_SIZE, "user.x",
			  NULL, "1", 1, NULL, NULL),
		     -EROFS);
	cr_assert_eq(call(FUSE_REMOVEXATTR, f.nodeid, NULL, 0, "user.x", NULL, NULL, 0, NULL, NULL),
		     -EROFS);
	struct fuse_access_in ai = {.mask = W_OK};
	cr_assert_eq(call(FUSE_ACCESS, f.nodeid, &ai, sizeof(ai), NULL, NULL, NULL, 0, NULL, NULL),
		     -EROFS);

	/* The passthrough layer refuses on its own too. */
	cr_assert_eq(passthrough_unlink(pt, FUSE_ROOT_ID, "f"), -EROFS);
	cr_assert_eq(passthrough_setxattr(pt, f.nodeid, "user.x", "1", 1, 0), -EROFS);

	/* Nothing changed. */
	cr_assert_eq(stat(p, &st), 0);
	cr_assert_eq(st.st_mode, before.st_mode);
	cr_assert_eq(st.st_size, before.st_size);
	cr_assert_eq(st.st_mtim.tv_sec, before.st_mtim.tv_sec);
	cr_assert_eq(st.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
	cr_assert_str_eq(read_host(p), "content");
	host_path(p, sizeof(p), "new");
	cr_assert_eq(access(p, F_OK), -1);
	host_path(p, sizeof(p), "d");
	cr_assert_eq(access(p, F_OK), 0);

	/* Directory reads and statfs still work. */
	void *b;
	cr_assert_eq(call(FUSE_STATFS, FUSE_ROOT_ID, NULL, 0, NULL, NULL, NULL, 0, &b, NULL), 0);
	struct fuse_open_in oi = {0};
	cr_assert_eq(
	    call(FUSE_OPENDIR, FUSE_ROOT_ID, &oi, sizeof(oi), NULL, NULL, NULL, 0, &b, NULL), 0);
	assert_sentinel_intact();
}

Test(passthrough_new, a_missing_root_is_named_in_err)
{
	char err[256] = "";

	cr_assert_null(passthrough_new("/nonexistent/hyrun-share", false, err, sizeof(err)));
	cr_assert(strstr(err, "/nonexistent/hyrun-share"), "%s", err);
	cr_assert_null(passthrough_new("/proc/self/status", false, err, sizeof(err)));
	cr_assert(strstr(err, "/proc/self/status"), "%s", err);
}
