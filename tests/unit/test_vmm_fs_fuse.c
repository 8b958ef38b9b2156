/* test_vmm_fs_fuse.c: the FUSE decoder against malformed and edge-case requests. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/fuse.h>

#include "vmm/fs/fuse.h"
#include "vmm/fs/passthrough.h"

static char dir[64];
static struct passthrough *fpt;
static struct fuse_server *fsrv;
static char *in, *out;

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void decode_setup(void)
{
	char p[128];
	int fd;

	strcpy(dir, "/tmp/hyrun-fuse-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/file", dir);
	fd = open(p, O_WRONLY | O_CREAT, 0644);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, "0123456789", 10), 10);
	close(fd);
	in = calloc(1, FUSE_SERVER_BUF_SIZE);
	out = calloc(1, FUSE_SERVER_BUF_SIZE);
	fpt = passthrough_new(dir, false, NULL, 0);
	cr_assert_not_null(fpt);
	fsrv = fuse_server_new(fpt);
	cr_assert_not_null(fsrv);
}

static void decode_teardown(void)
{
	fuse_server_free(fsrv);
	passthrough_free(fpt);
	free(in);
	free(out);
	nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* Lay out header + body; returns the request length (header len = that + len_adjust). */
static size_t build(uint32_t opcode, uint64_t nodeid, const void *body, size_t body_len,
		    long len_adjust)
{
	struct fuse_in_header h = {.opcode = opcode, .unique = 0xabc0 + opcode, .nodeid = nodeid};
	size_t len = sizeof(h) + body_len;

	h.len = (uint32_t)((long)len + len_adjust);
	memcpy(in, &h, sizeof(h));
	if (body_len)
		memcpy(in + sizeof(h), body, body_len);
	return len;
}

/* Dispatch; returns the reply error, checks the reply framing. */
static int send_req(size_t len, size_t out_size, size_t *body_len)
{
	struct fuse_in_header h;
	struct fuse_out_header oh;
	ssize_t n = fuse_server_handle(fsrv, in, len, out, out_size);

	memcpy(&h, in, sizeof(h));
	cr_assert_geq(n, (ssize_t)sizeof(oh), "no reply (%zd)", n);
	cr_assert_leq((size_t)n, out_size);
	memcpy(&oh, out, sizeof(oh));
	cr_assert_eq(oh.len, (uint32_t)n);
	cr_assert_eq(oh.unique, h.unique);
	cr_assert_leq(oh.error, 0);
	cr_assert_gt(oh.error, -1000);
	if (oh.error)
		cr_assert_eq(n, (ssize_t)sizeof(oh), "an error carries no body");
	if (body_len)
		*body_len = (size_t)n - sizeof(oh);
	return oh.error;
}

static int simple(uint32_t opcode, uint64_t nodeid, const void *body, size_t body_len)
{
	return send_req(build(opcode, nodeid, body, body_len, 0), FUSE_SERVER_BUF_SIZE, NULL);
}

static void init_session(uint32_t minor)
{
	struct fuse_init_in ii = {
	    .major = 7, .minor = minor, .max_readahead = 65536, .flags = FUSE_ASYNC_READ};

	cr_assert_eq(simple(FUSE_INIT, 0, &ii, sizeof(ii)), 0);
}

/* LOOKUP body with exact bytes (no implied NUL). */
static int lookup_raw(const char *bytes, size_t n)
{
	return simple(FUSE_LOOKUP, FUSE_ROOT_ID, bytes, n);
}

TestSuite(fuse_decode, .init = decode_setup, .fini = decode_teardown);

Test(fuse_decode, short_header_gets_no_reply)
{
	build(FUSE_GETATTR, 1, NULL, 0, 0);
	cr_assert_eq(fuse_server_handle(fsrv, in, 0, out, 4096), -EINVAL);
	cr_assert_eq(fuse_server_handle(fsrv, in, sizeof(struct fuse_in_header) - 1, out, 4096),
		     -EINVAL);
	/* No room for even an out header. */
	cr_assert_eq(fuse_server_handle(fsrv, in, sizeof(struct fuse_in_header), out,
					sizeof(struct fuse_out_header) - 1),
		     -EINVAL);
}

Test(fuse_decode, header_len_must_match_the_bytes)
{
	struct fuse_init_in ii = {.major = 7, .minor = 38};
	size_t len = build(FUSE_INIT, 0, &ii, sizeof(ii), 8);

	/* Larger than what arrived. */
	cr_assert_eq(send_req(len, 4096, NULL), -EINVAL);
	/* Smaller than what arrived, and smaller than a header. */
	len = build(FUSE_INIT, 0, &ii, sizeof(ii), -(long)sizeof(ii) - 20);
	cr_assert_eq(send_req(len, 4096, NULL), -EINVAL);
	len = build(FUSE_INIT, 0, &ii, sizeof(ii), -4);
	cr_assert_eq(send_req(len, 4096, NULL), -EINVAL);
	/* Nothing was negotiated by any of them. */
	cr_assert_eq(fuse_server_minor(fsrv), 0);
	/* The same request well-formed. */
	len = build(FUSE_INIT, 0, &ii, sizeof(ii), 0);
	cr_assert_eq(send_req(len, 4096, NULL), 0);
	cr_assert_eq(fuse_server_minor(fsrv), 38);
}

Test(fuse_decode, requests_before_init_fail)
{
	struct fuse_getattr_in gi = {0};

	cr_assert_eq(simple(FUSE_GETATTR, FUSE_ROOT_ID, &gi, sizeof(gi)), -EIO);
	init_session(38);
	cr_assert_eq(simple(FUSE_GETATTR, FUSE_ROOT_ID, &gi, sizeof(gi)), 0);
}

Test(fuse_decode, init_negotiation)
{
	struct fuse_init_in ii = {.major = 7,
				  .minor = 31,
				  .max_readahead = 1u << 30,
				  .flags = FUSE_ASYNC_READ | FUSE_POSIX_LOCKS |
					   FUSE_WRITEBACK_CACHE | FUSE_DO_READDIRPLUS |
					   FUSE_MAX_PAGES | FUSE_DONT_MASK | FUSE_POSIX_ACL};
	struct fuse_init_out io;
	size_t n;

	cr_assert_eq(send_req(build(FUSE_INIT, 0, &ii, sizeof(ii), 0), 4096, &n), 0);
	cr_assert_eq(n, sizeof(io));
	memcpy(&io, out + sizeof(struct fuse_out_header), sizeof(io));
	cr_assert_eq(io.major, 7);
	cr_assert_eq(io.minor, 31, "the guest's older minor wins");
	cr_assert_eq(io.flags, FUSE_ASYNC_READ | FUSE_DO_READDIRPLUS | FUSE_MAX_PAGES,
		     "only what both sides do: %#x", io.flags);
	cr_assert_eq(io.max_write, FUSE_SERVER_MAX_WRITE);
	cr_assert_eq(io.max_pages, FUSE_SERVER_MAX_PAGES);
	cr_assert_leq(io.max_readahead, FUSE_SERVER_MAX_WRITE);
	/* A second INIT in the same session. */
	cr_assert_eq(send_req(build(FUSE_INIT, 0, &ii, sizeof(ii), 0), 4096, NULL), -EPROTO);
}

Test(fuse_decode, init_versions)
{
	struct fuse_init_in ii = {.major = 7, .minor = 99};
	struct fuse_init_out io;
	size_t n;

	/* Too short for major, minor, readahead, flags. */
	cr_assert_eq(send_req(build(FUSE_INIT, 0, &ii, 8, 0), 4096, NULL), -EINVAL);
	/* A newer major: answer with ours only, so the guest can retry. */
	ii.major = 8;
	cr_assert_eq(send_req(build(FUSE_INIT, 0, &ii, sizeof(ii), 0), 4096, &n), 0);
	cr_assert_eq(n, FUSE_COMPAT_INIT_OUT_SIZE);
	memcpy(&io, out + sizeof(struct fuse_out_header), n);
	cr_assert_eq(io.major, 7);
	cr_assert_eq(fuse_server_minor(fsrv), 0);
	ii.major = 6;
	cr_assert_eq(send_req(build(FUSE_INIT, 0, &ii, sizeof(ii), 0), 4096, NULL), -EPROTO);
	ii.major = 7;
	ii.minor = 5;
	cr_assert_eq(send_req(build(FUSE_INIT, 0, &ii, sizeof(ii), 0), 4096, NULL), -EPROTO);
	/* A newer minor is answered with ours; an old 16-byte body is fine. */
	ii.minor = 99;
	cr_assert_eq(send_req(build(FUSE_INIT, 0, &ii, 16, 0), 4096, &n), 0);
	memcpy(&io, out + sizeof(struct fuse_out_header), sizeof(io));
	cr_assert_eq(io.minor, FUSE_KERNEL_MINOR_VERSION);
}

Test(fuse_decode, init_reply_for_minor_below_23_is_short)
{
	struct fuse_init_in ii = {.major = 7, .minor = 22};
	size_t n;

	cr_assert_eq(send_req(build(FUSE_INIT, 0, &ii, 16, 0), 4096, &n), 0);
	cr_assert_eq(n, FUSE_COMPAT_22_INIT_OUT_SIZE);
}

Test(fuse_decode, unknown_opcodes_are_enosys)
{
	uint32_t codes[] = {0,
			    7,
			    19,
			    FUSE_BMAP,
			    FUSE_IOCTL,
			    FUSE_POLL,
			    FUSE_NOTIFY_REPLY,
			    FUSE_COPY_FILE_RANGE,
			    FUSE_SETUPMAPPING,
			    FUSE_TMPFILE,
			    52,
			    4096,
			    FUSE_INIT_BSWAP_RESERVED,
			    0xffffffffu};
	char junk[64] = {0};

	init_session(38);
	for (unsigned i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		cr_assert_eq(simple(codes[i], FUSE_ROOT_ID, junk, sizeof(junk)), -ENOSYS,
			     "opcode %u", codes[i]);
	/* ENOSYS even before INIT and with no body. */
	cr_assert_eq(simple(9999, 0, NULL, 0), -ENOSYS);
}

Test(fuse_decode, bodies_shorter_than_their_struct)
{
	char junk[256] = {0};
	struct {
		uint32_t op;
		size_t need;
	} cases[] = {
	    {FUSE_GETATTR, sizeof(struct fuse_getattr_in)},
	    {FUSE_SETATTR, sizeof(struct fuse_setattr_in)},
	    {FUSE_OPEN, sizeof(struct fuse_open_in)},
	    {FUSE_READ, sizeof(struct fuse_read_in)},
	    {FUSE_WRITE, sizeof(struct fuse_write_in)},
	    {FUSE_CREATE, sizeof(struct fuse_create_in)},
	    {FUSE_MKNOD, sizeof(struct fuse_mknod_in)},
	    {FUSE_RENAME2, sizeof(struct fuse_rename2_in)},
	    {FUSE_GETLK, sizeof(struct fuse_lk_in)},
	    {FUSE_LSEEK, sizeof(struct fuse_lseek_in)},
	    {FUSE_FALLOCATE, sizeof(struct fuse_fallocate_in)},
	    {FUSE_SETXATTR, FUSE_COMPAT_SETXATTR_IN_SIZE},
	};

	init_session(38);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_assert_eq(simple(cases[i].op, FUSE_ROOT_ID, junk, cases[i].need - 1), -EINVAL,
			     "opcode %u", cases[i].op);
}

Test(fuse_decode, names_are_checked)
{
	char longname[300];

	init_session(38);
	cr_assert_eq(lookup_raw("file", 4), -EINVAL, "no NUL inside the body");
	cr_assert_eq(lookup_raw("", 0), -EINVAL, "no name at all");
	cr_assert_eq(lookup_raw("\0", 1), -EINVAL, "empty name");
	cr_assert_eq(lookup_raw("a/b\0", 4), -EINVAL);
	cr_assert_eq(lookup_raw("/\0", 2), -EINVAL);
	cr_assert_eq(lookup_raw("file/\0", 6), -EINVAL);
	memset(longname, 'x', sizeof(longname));
	longname[299] = 0;
	cr_assert_eq(lookup_raw(longname, 300), -ENAMETOOLONG);
	cr_assert_eq(lookup_raw("file\0", 5), 0);
	/* "." and ".." are entry names only for LOOKUP. */
	struct {
		struct fuse_mkdir_in m;
		char name[4];
	} mk = {.m = {.mode = 0755}, .name = ".."};
	cr_assert_eq(simple(FUSE_MKDIR, FUSE_ROOT_ID, &mk, sizeof(mk.m) + 3), -EINVAL);
	memcpy(mk.name, ".", 2);
	cr_assert_eq(simple(FUSE_MKDIR, FUSE_ROOT_ID, &mk, sizeof(mk.m) + 2), -EINVAL);
	cr_assert_eq(simple(FUSE_UNLINK, FUSE_ROOT_ID, "..", 3), -EINVAL);
	/* RENAME: the second name must be there and valid too. */
	struct {
		struct fuse_rename_in r;
		char names[16];
	} rn = {.r = {.newdir = FUSE_ROOT_ID}};
	memcpy(rn.names, "file\0", 5);
	cr_assert_eq(simple(FUSE_RENAME, FUSE_ROOT_ID, &rn, sizeof(rn.r) + 5), -EINVAL);
	memcpy(rn.names, "file\0x/y\0", 9);
	cr_assert_eq(simple(FUSE_RENAME, FUSE_ROOT_ID, &rn, sizeof(rn.r) + 9), -EINVAL);
	memcpy(rn.names, "file\0new", 8);
	cr_assert_eq(simple(FUSE_RENAME, FUSE_ROOT_ID, &rn, sizeof(rn.r) + 8), -EINVAL);
	/* SYMLINK target without its NUL. */
	cr_assert_eq(simple(FUSE_SYMLINK, FUSE_ROOT_ID, "l\0target", 8), -EINVAL);
	/* Nothing was created or renamed by any of these. */
	char p[128];
	snprintf(p, sizeof(p), "%s/file", dir);
	cr_assert_eq(access(p, F_OK), 0);
	snprintf(p, sizeof(p), "%s/l", dir);
	cr_assert_eq(access(p, F_OK), -1);
}

Test(fuse_decode, payload_lengths_past_the_body)
{
	struct {
		struct fuse_write_in w;
		char data[8];
	} wr = {0};
	struct {
		uint32_t size, flags;
		char rest[32];
	} sx = {0};

	init_session(38);
	/* WRITE claims more data than it carries. */
	wr.w.size = 4096;
	cr_assert_eq(simple(FUSE_WRITE, FUSE_ROOT_ID, &wr, sizeof(wr)), -EINVAL);
	wr.w.size = 0xffffffffu;
	cr_assert_eq(simple(FUSE_WRITE, FUSE_ROOT_ID, &wr, sizeof(wr)), -EINVAL);
	/* SETXATTR value longer than the body. */
	sx.size = 100;
	memcpy(sx.rest, "user.a\0vvv", 10);
	cr_assert_eq(simple(FUSE_SETXATTR, FUSE_ROOT_ID, &sx, 8 + 10), -EINVAL);
	sx.size = 1u << 20;
	cr_assert_eq(simple(FUSE_SETXATTR, FUSE_ROOT_ID, &sx, 8 + 10), -E2BIG);
}

Test(fuse_decode, reply_buffer_too_small)
{
	size_t len;
	unsigned nodes = passthrough_nr_nodes(fpt);

	init_session(38);
	/* Room for the header but not for the entry: refused before the
	 * lookup, so no node reference leaks. */
	len = build(FUSE_LOOKUP, FUSE_ROOT_ID, "file", 5, 0);
	cr_assert_eq(send_req(len, sizeof(struct fuse_out_header) + 10, NULL), -EINVAL);
	cr_assert_eq(passthrough_nr_nodes(fpt), nodes);
	cr_assert_eq(
	    send_req(len, sizeof(struct fuse_out_header) + sizeof(struct fuse_entry_out), NULL), 0);
	cr_assert_eq(passthrough_nr_nodes(fpt), nodes + 1);

	/* READ is cut to the room there is. */
	struct fuse_entry_out e;
	struct fuse_open_in oi = {.flags = O_RDONLY};
	struct fuse_open_out oo;
	size_t n;
	memcpy(&e, out + sizeof(struct fuse_out_header), sizeof(e));
	cr_assert_eq(send_req(build(FUSE_OPEN, e.nodeid, &oi, sizeof(oi), 0), 4096, NULL), 0);
	memcpy(&oo, out + sizeof(struct fuse_out_header), sizeof(oo));
	struct fuse_read_in ri = {.fh = oo.fh, .size = 1 << 20};
	cr_assert_eq(send_req(build(FUSE_READ, e.nodeid, &ri, sizeof(ri), 0),
			      sizeof(struct fuse_out_header) + 4, &n),
		     0);
	cr_assert_eq(n, 4);
	cr_assert_eq(memcmp(out + sizeof(struct fuse_out_header), "0123", 4), 0);
	/* READDIR into a buffer too small for one entry returns nothing. */
	cr_assert_eq(send_req(build(FUSE_OPENDIR, FUSE_ROOT_ID, &oi, sizeof(oi), 0), 4096, NULL),
		     0);
	memcpy(&oo, out + sizeof(struct fuse_out_header), sizeof(oo));
	ri.fh = oo.fh;
	cr_assert_eq(send_req(build(FUSE_READDIR, FUSE_ROOT_ID, &ri, sizeof(ri), 0),
			      sizeof(struct fuse_out_header) + 8, &n),
		     0);
	cr_assert_eq(n, 0);
	/* CREATE needs room for entry and open: refused, and no file. */
	struct {
		struct fuse_create_in c;
		char name[8];
	} cr = {.c = {.flags = O_WRONLY, .mode = S_IFREG | 0644}, .name = "made"};
	len = build(FUSE_CREATE, FUSE_ROOT_ID, &cr, sizeof(cr.c) + 5, 0);
	cr_assert_eq(
	    send_req(len, sizeof(struct fuse_out_header) + sizeof(struct fuse_entry_out), NULL),
	    -EINVAL);
	char p[128];
	snprintf(p, sizeof(p), "%s/made", dir);
	cr_assert_eq(access(p, F_OK), -1);
}

Test(fuse_decode, no_reply_requests)
{
	struct fuse_forget_in fi = {.nlookup = 1};
	struct fuse_interrupt_in ii = {.unique = 5};
	size_t len;

	init_session(38);
	len = build(FUSE_FORGET, 0x1234, &fi, sizeof(fi), 0);
	cr_assert_eq(fuse_server_handle(fsrv, in, len, out, 0), 0);
	/* Malformed ones are dropped silently too. */
	len = build(FUSE_FORGET, 0x1234, &fi, 4, 0);
	cr_assert_eq(fuse_server_handle(fsrv, in, len, out, 0), 0);
	len = build(FUSE_FORGET, 0x1234, &fi, sizeof(fi), 100);
	cr_assert_eq(fuse_server_handle(fsrv, in, len, out, 0), 0);
	len = build(FUSE_INTERRUPT, 0, &ii, sizeof(ii), 0);
	cr_assert_eq(fuse_server_handle(fsrv, in, len, out, 4096), 0);
	/* BATCH_FORGET whose count runs past the body: only what is there. */
	struct {
		struct fuse_batch_forget_in h;
		struct fuse_forget_one one[1];
	} bf = {.h = {.count = 1000000}, .one = {{.nodeid = 77, .nlookup = 1}}};
	len = build(FUSE_BATCH_FORGET, 0, &bf, sizeof(bf), 0);
	cr_assert_eq(fuse_server_handle(fsrv, in, len, out, 0), 0);
	cr_assert_eq(passthrough_nr_nodes(fpt), 1);
}

Test(fuse_decode, readonly_refusal_happens_before_the_handler)
{
	struct passthrough *ro = passthrough_new(dir, true, NULL, 0);
	struct fuse_server *s = fuse_server_new(ro);
	struct fuse_init_in ii = {.major = 7, .minor = 38};
	struct fuse_out_header oh;
	size_t len;

	cr_assert_not_null(ro);
	len = build(FUSE_INIT, 0, &ii, sizeof(ii), 0);
	cr_assert_gt(fuse_server_handle(s, in, len, out, 4096), 0);
	len = build(FUSE_UNLINK, FUSE_ROOT_ID, "file", 5, 0);
	cr_assert_eq(fuse_server_handle(s, in, len, out, 4096), (ssize_t)sizeof(oh));
	memcpy(&oh, out, sizeof(oh));
	cr_assert_eq(oh.error, -EROFS);
	char p[128];
	snprintf(p, sizeof(p), "%s/file", dir);
	cr_assert_eq(access(p, F_OK), 0);
	fuse_server_free(s);
	passthrough_free(ro);
}
