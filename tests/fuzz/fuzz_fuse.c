/* fuzz_fuse.c: the FUSE request decoder and dispatcher over a passthrough share of a scratch
 * directory.
 *
 * Each input is a guest session: a sequence of requests whose header, body
 * and reply room come from the input, with node ids and file handles either
 * raw or taken from earlier replies (so that deep paths are reachable). The
 * share starts each run with a file, a directory and symlinks that point out
 * of it; a sibling directory outside the share holds a canary. Checked:
 * every reply is well-formed and inside the room given, and nothing outside
 * the share is created, removed or changed (the point of the passthrough
 * contract). The scratch directory lives in $FUZZ_TMPDIR, else /dev/shm,
 * else /tmp; file sizes are capped with RLIMIT_FSIZE.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/fuse.h>

#include "tests/fuzz/fuzz.h"
#include "vmm/fs/fuse.h"
#include "vmm/fs/passthrough.h"

#define MAX_REQS 64
#define MAX_IDS 32
#define CANARY "canary: must never change\n"
#define PREFIX "hyrun-fuzz-fuse."

static char base[256], share[300];
static int base_fd = -1;
static struct stat canary_st, outside_st, base_st;
static uint8_t *out_buf;
static bool xfsz_ignored;

static uint64_t nodes[MAX_IDS], fhs[MAX_IDS];
static unsigned nr_nodes, nr_fhs;

/* Every opcode the kernel may send, plus ones that do not exist. */
static const uint32_t opcodes[] = {
    FUSE_LOOKUP,
    FUSE_FORGET,
    FUSE_GETATTR,
    FUSE_SETATTR,
    FUSE_READLINK,
    FUSE_SYMLINK,
    FUSE_MKNOD,
    FUSE_MKDIR,
    FUSE_UNLINK,
    FUSE_RMDIR,
    FUSE_RENAME,
    FUSE_LINK,
    FUSE_OPEN,
    FUSE_READ,
    FUSE_WRITE,
    FUSE_STATFS,
    FUSE_RELEASE,
    FUSE_FSYNC,
    FUSE_SETXATTR,
    FUSE_GETXATTR,
    FUSE_LISTXATTR,
    FUSE_REMOVEXATTR,
    FUSE_FLUSH,
    FUSE_INIT,
    FUSE_OPENDIR,
    FUSE_READDIR,
    FUSE_RELEASEDIR,
    FUSE_FSYNCDIR,
    FUSE_GETLK,
    FUSE_SETLK,
    FUSE_SETLKW,
    FUSE_ACCESS,
    FUSE_CREATE,
    FUSE_INTERRUPT,
    FUSE_BMAP,
    FUSE_DESTROY,
    FUSE_IOCTL,
    FUSE_POLL,
    FUSE_NOTIFY_REPLY,
    FUSE_BATCH_FORGET,
    FUSE_FALLOCATE,
    FUSE_READDIRPLUS,
    FUSE_RENAME2,
    FUSE_LSEEK,
    FUSE_COPY_FILE_RANGE,
    FUSE_SETUPMAPPING,
    FUSE_REMOVEMAPPING,
    FUSE_SYNCFS,
    0,
    CUSE_INIT,
};

static const size_t out_sizes[] = {
    FUSE_SERVER_BUF_SIZE, 4096, 256, sizeof(struct fuse_out_header), 15, 0, 144, 4096 + 16,
};

static void die(const char *what)
{
	perror(what);
	abort();
}

/* Remove everything below dfd without following symlinks; closes dfd. */
static void wipe(int dfd)
{
	DIR *d = fdopendir(dfd);
	struct dirent *e;

	if (!d)
		die("fdopendir");
	/* dfd may be a dup() sharing its offset with one read before. */
	rewinddir(d);
	while ((e = readdir(d))) {
		int sub;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (unlinkat(dfd, e->d_name, 0) == 0)
			continue;
		if (errno != EISDIR)
			die("unlinkat");
		/* A mode the guest set must not keep us out. */
		fchmodat(dfd, e->d_name, 0700, 0);
		sub = openat(dfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			die("openat");
		wipe(sub);
		if (unlinkat(dfd, e->d_name, AT_REMOVEDIR) < 0)
			die("rmdir");
	}
	closedir(d);
}

/* A fresh share: its root's mode, owner and xattrs are the guest's to change. */
static void make_share(void)
{
	int fd, dfd;

	dfd = openat(base_fd, "share", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd >= 0) {
		wipe(dfd);
		if (unlinkat(base_fd, "share", AT_REMOVEDIR) < 0)
			die("rmdir share");
	}
	if (mkdirat(base_fd, "share", 0755) < 0)
		die("mkdir share");
	dfd = openat(base_fd, "share", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		die("open share");
	fd = openat(dfd, "file", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, "hello\n", 6) != 6)
		die("share/file");
	close(fd);
	if (mkdirat(dfd, "dir", 0755) < 0 || mkdirat(dfd, "dir/sub", 0700) < 0)
		die("share/dir");
	/* Ways out that must never be taken. */
	if (symlinkat("../outside", dfd, "up") < 0 ||
	    symlinkat("../outside/canary", dfd, "dir/canary") < 0 ||
	    symlinkat("/", dfd, "hostroot") < 0)
		die("share symlinks");
	close(dfd);
}

static void same_stat(const struct stat *a, const struct stat *b)
{
	FUZZ_CHECK(a->st_ino == b->st_ino && a->st_mode == b->st_mode && a->st_uid == b->st_uid &&
		   a->st_gid == b->st_gid && a->st_nlink == b->st_nlink &&
		   a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
		   a->st_mtim.tv_nsec == b->st_mtim.tv_nsec);
}

/* Outside the share: the same two entries, the canary untouched. */
static void check_outside(void)
{
	struct stat st;
	char buf[64];
	int fd;
	ssize_t n;

	FUZZ_CHECK(fstatat(base_fd, "outside/canary", &st, AT_SYMLINK_NOFOLLOW) == 0);
	same_stat(&st, &canary_st);
	FUZZ_CHECK(fstatat(base_fd, "outside", &st, AT_SYMLINK_NOFOLLOW) == 0);
	same_stat(&st, &outside_st);
	FUZZ_CHECK(fstat(base_fd, &st) == 0);
	/* The share itself is recreated each run; nothing else may appear. */
	FUZZ_CHECK(st.st_nlink == base_st.st_nlink && st.st_mode == base_st.st_mode);
	fd = openat(base_fd, "outside/canary", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	FUZZ_CHECK(fd >= 0);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	FUZZ_CHECK(n == (ssize_t)strlen(CANARY) && !memcmp(buf, CANARY, strlen(CANARY)));
	FUZZ_CHECK(faccessat(base_fd, "share", F_OK, AT_SYMLINK_NOFOLLOW) == 0);
	{
		/* Only "share" and "outside" in the scratch directory. */
		DIR *d = fdopendir(dup(base_fd));
		struct dirent *e;
		unsigned others = 0;

		FUZZ_CHECK(d);
		rewinddir(d);
		while ((e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
			    strcmp(e->d_name, "share") && strcmp(e->d_name, "outside"))
				others++;
		closedir(d);
		FUZZ_CHECK(others == 0);
	}
}

/*
 * libFuzzer ends a timed run with _exit() and a crash skips atexit() too,
 * so scratch directories of processes that are gone are removed here.
 */
static void remove_stale(const char *tmp)
{
	DIR *d = opendir(tmp);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char *end;
		long pid;
		int fd;

		if (strncmp(e->d_name, PREFIX, strlen(PREFIX)))
			continue;
		pid = strtol(e->d_name + strlen(PREFIX), &end, 10);
		if (*end || pid <= 0 || (kill((pid_t)pid, 0) < 0 && errno != ESRCH) ||
		    (pid != getpid() && kill((pid_t)pid, 0) == 0))
			continue;
		fd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		wipe(fd);
		unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR);
	}
	closedir(d);
}

static void cleanup(void)
{
	if (base_fd >= 0) {
		wipe(dup(base_fd));
		close(base_fd);
		base_fd = -1;
		rmdir(base);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("FUZZ_TMPDIR");
	struct rlimit fsize = {1 << 20, 1 << 20};
	int fd;

	if (!tmp)
		tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	remove_stale(tmp);
	snprintf(base, sizeof(base), "%s/%s%d", tmp, PREFIX, (int)getpid());
	if (mkdir(base, 0755) < 0)
		die(base);
	snprintf(share, sizeof(share), "%s/share", base);
	base_fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (base_fd < 0)
		die(base);
	atexit(cleanup);
	/* WRITE, FALLOCATE and SETATTR(size) must not fill the disk. */
	if (setrlimit(RLIMIT_FSIZE, &fsize) < 0)
		die("setrlimit");
	if (mkdirat(base_fd, "outside", 0755) < 0)
		die("mkdir outside");
	fd = openat(base_fd, "outside/canary", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, CANARY, strlen(CANARY)) != (ssize_t)strlen(CANARY))
		die("canary");
	close(fd);
	make_share();
	if (fstatat(base_fd, "outside/canary", &canary_st, AT_SYMLINK_NOFOLLOW) ||
	    fstatat(base_fd, "outside", &outside_st, AT_SYMLINK_NOFOLLOW) ||
	    fstat(base_fd, &base_st))
		die("stat");
	/* As a worker thread would: umask 0, private cwd. */
	if (passthrough_thread_init() < 0)
		die("passthrough_thread_init");
	out_buf = malloc(FUSE_SERVER_BUF_SIZE);
	if (!out_buf)
		die("malloc");
	return 0;
}

static void remember(uint64_t *ids, unsigned *nr, uint64_t id)
{
	if (*nr < MAX_IDS)
		ids[(*nr)++] = id;
	else
		ids[MAX_IDS - 1] = id;
}

/* sel 0 is the root (or handle 0), n the n-th most recent one seen. */
static uint64_t pick(const uint64_t *ids, unsigned nr, uint8_t sel, uint64_t zero)
{
	if (sel == 0 || nr == 0)
		return zero;
	return ids[nr - 1 - (sel - 1u) % nr];
}

static void put64(uint8_t *body, size_t len, size_t off, uint64_t v)
{
	if (len >= off + 8)
		memcpy(body + off, &v, 8);
}

/* Point the body's handle or node fields at ones this session was given. */
static void patch_ids(uint32_t opcode, uint8_t *body, size_t len, uint8_t sel)
{
	switch (opcode) {
	case FUSE_READ:
	case FUSE_WRITE:
	case FUSE_RELEASE:
	case FUSE_RELEASEDIR:
	case FUSE_FLUSH:
	case FUSE_FSYNC:
	case FUSE_FSYNCDIR:
	case FUSE_READDIR:
	case FUSE_READDIRPLUS:
	case FUSE_GETLK:
	case FUSE_SETLK:
	case FUSE_SETLKW:
	case FUSE_FALLOCATE:
	case FUSE_LSEEK:
		put64(body, len, 0, pick(fhs, nr_fhs, sel, 0));
		break;
	case FUSE_SETATTR:
		put64(body, len, 8, pick(fhs, nr_fhs, sel, 0));
		break;
	case FUSE_LINK:
	case FUSE_RENAME:
	case FUSE_RENAME2:
		put64(body, len, 0, pick(nodes, nr_nodes, sel, FUSE_ROOT_ID));
		break;
	case FUSE_BATCH_FORGET:
		put64(body, len, 8, pick(nodes, nr_nodes, sel, FUSE_ROOT_ID));
		break;
	default:
		break;
	}
}

static void check_reply(uint32_t opcode, uint64_t unique, size_t in_len, size_t out_size,
			const uint8_t *out, ssize_t n)
{
	struct fuse_out_header oh;
	bool noreply =
	    opcode == FUSE_FORGET || opcode == FUSE_BATCH_FORGET || opcode == FUSE_INTERRUPT;

	if (n == -EINVAL) {
		FUZZ_CHECK(in_len < sizeof(struct fuse_in_header) || out_size < sizeof(oh));
		return;
	}
	if (n == 0) {
		FUZZ_CHECK(noreply);
		return;
	}
	FUZZ_CHECK(n >= (ssize_t)sizeof(oh) && (size_t)n <= out_size);
	memcpy(&oh, out, sizeof(oh));
	FUZZ_CHECK(oh.len == (uint32_t)n && oh.unique == unique);
	FUZZ_CHECK(oh.error <= 0 && oh.error > -1000);
	FUZZ_CHECK(oh.error == 0 || n == (ssize_t)sizeof(oh));
	if (oh.error)
		return;
	switch (opcode) {
	case FUSE_LOOKUP:
	case FUSE_MKNOD:
	case FUSE_MKDIR:
	case FUSE_SYMLINK:
	case FUSE_LINK:
	case FUSE_CREATE: {
		struct fuse_entry_out e;

		FUZZ_CHECK((size_t)n >= sizeof(oh) + sizeof(e));
		memcpy(&e, out + sizeof(oh), sizeof(e));
		if (e.nodeid)
			remember(nodes, &nr_nodes, e.nodeid);
		if (opcode == FUSE_CREATE) {
			struct fuse_open_out o;

			FUZZ_CHECK((size_t)n >= sizeof(oh) + sizeof(e) + sizeof(o));
			memcpy(&o, out + sizeof(oh) + sizeof(e), sizeof(o));
			remember(fhs, &nr_fhs, o.fh);
		}
		break;
	}
	case FUSE_OPEN:
	case FUSE_OPENDIR: {
		struct fuse_open_out o;

		FUZZ_CHECK((size_t)n == sizeof(oh) + sizeof(o));
		memcpy(&o, out + sizeof(oh), sizeof(o));
		remember(fhs, &nr_fhs, o.fh);
		break;
	}
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in;
	struct passthrough *pt;
	struct fuse_server *srv;
	uint8_t global;
	uint64_t unique = 0;

	/* Here rather than at init: libFuzzer installs its own SIGXFSZ
	 * handler after LLVMFuzzerInitialize(). Writes past the cap then fail
	 * with EFBIG, as they would for a guest on a full disk. */
	if (!xfsz_ignored) {
		signal(SIGXFSZ, SIG_IGN);
		xfsz_ignored = true;
	}
	fuzz_in_init(&in, data, size);
	global = fuzz_u8(&in);
	nr_nodes = nr_fhs = 0;
	pt = passthrough_new(share, global & 2, NULL, 0);
	FUZZ_CHECK(pt);
	/* SETLKW on a lock the session itself holds would wait forever:
	 * a stopping share makes it give up (EINTR) instead. */
	passthrough_stop(pt, true);
	srv = fuse_server_new(pt);
	FUZZ_CHECK(srv);

	if (!(global & 1)) {
		struct {
			struct fuse_in_header h;
			struct fuse_init_in i;
		} init = {
		    .h = {.len = sizeof(init), .opcode = FUSE_INIT, .unique = ++unique},
		    .i = {.major = FUSE_KERNEL_VERSION,
			  .minor = 31,
			  .max_readahead = 1 << 17,
			  .flags = FUSE_ASYNC_READ | FUSE_DO_READDIRPLUS | FUSE_MAX_PAGES},
		};
		ssize_t n =
		    fuse_server_handle(srv, &init, sizeof(init), out_buf, FUSE_SERVER_BUF_SIZE);

		check_reply(FUSE_INIT, init.h.unique, sizeof(init), FUSE_SERVER_BUF_SIZE, out_buf,
			    n);
		FUZZ_CHECK(fuse_server_minor(srv) >= FUSE_SERVER_MIN_MINOR);
	}

	for (int i = 0; i < MAX_REQS && in.left; i++) {
		uint8_t flags = fuzz_u8(&in), op_sel = fuzz_u8(&in), node_sel = fuzz_u8(&in);
		uint8_t id_sel = fuzz_u8(&in), out_sel = fuzz_u8(&in);
		size_t body_len = fuzz_u16(&in) % 1024, out_size;
		struct fuse_in_header h;
		uint8_t *req, *out;
		const uint8_t *body;
		ssize_t n;

		memset(&h, 0, sizeof(h));
		h.opcode = (flags & 2) ? fuzz_u32(&in) : opcodes[op_sel % (sizeof(opcodes) / 4)];
		h.nodeid = (flags & 4) ? fuzz_u64(&in) : pick(nodes, nr_nodes, node_sel, 1);
		/* 1000, or ids this process can always take (others are EPERM). */
		h.uid = (flags & 8) ? 1000 : (uint32_t)geteuid();
		h.gid = (flags & 8) ? 1000 : (uint32_t)getegid();
		h.pid = 42;
		h.unique = ++unique;
		if (flags & 0x40)
			body_len = 0x10000 + fuzz_u16(&in) * 8u; /* a big WRITE */
		body_len = fuzz_take(&in, &body, body_len);
		h.len = (flags & 1) ? fuzz_u32(&in) : (uint32_t)(sizeof(h) + body_len);
		/* A request shorter than its header, sometimes. */
		if ((flags & 0x30) == 0x30) {
			req = malloc(out_sel % sizeof(h) + 1);
			FUZZ_CHECK(req);
			memcpy(req, &h, out_sel % sizeof(h));
			n = fuse_server_handle(srv, req, out_sel % sizeof(h), out_buf, 4096);
			FUZZ_CHECK(n == -EINVAL);
			free(req);
			continue;
		}
		/* Exactly sized, so that any overread hits a sanitizer redzone. */
		req = malloc(sizeof(h) + body_len);
		FUZZ_CHECK(req);
		memcpy(req, &h, sizeof(h));
		memcpy(req + sizeof(h), body, body_len);
		if (flags & 0x10)
			patch_ids(h.opcode, req + sizeof(h), body_len, id_sel);
		out_size = out_sizes[out_sel % (sizeof(out_sizes) / sizeof(out_sizes[0]))];
		if (flags & 0x80)
			out_size = out_sel; /* any small room */
		/* The reply room is its own allocation (aligned, as the device's
		 * buffer is), so a sanitizer sees any write past it. */
		out = out_size == FUSE_SERVER_BUF_SIZE ? out_buf : malloc(out_size ? out_size : 1);
		FUZZ_CHECK(out);
		n = fuse_server_handle(srv, req, sizeof(h) + body_len, out, out_size);
		check_reply(h.opcode, h.unique, sizeof(h) + body_len, out_size, out, n);
		if (out != out_buf)
			free(out);
		free(req);
	}

	fuse_server_free(srv);
	passthrough_free(pt);
	check_outside();
	make_share();
	return 0;
}
