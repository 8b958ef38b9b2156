/* passthrough.c: a host directory served to the guest, one path component at a time. */
/*
 * One file, on purpose: every operation below works on the same private
 * state (the inode slot table, the (dev, ino) hash, the handle table and
 * their reference counts, all under pt->lock), and the safety argument (each
 * access is made relative to a pinned O_PATH handle and one checked name, so
 * a guest cannot reach outside the share through "..", symlinks or a rename
 * race) is easiest to audit when the helpers that enforce it sit next to
 * their callers. Splitting the tables out (a fs/inode.c) would need a header
 * that exposes struct passthrough's internals to every part; it is the
 * seam to take if this file keeps growing.
 */
#include "vmm/fs/passthrough.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <linux/openat2.h>

#include "common/err.h"
#include "common/log.h"

/* fuse_file_lock.end of a lock that runs to the end of the file. */
#define LOCK_EOF 0x7fffffffffffffffULL
#define DIRBUF_SIZE 16384
#define SLOTS_MAX (1u << 24)

struct pt_inode {
	int fd; /* O_PATH|O_NOFOLLOW handle: pins the inode, never a path */
	dev_t dev;
	ino_t ino;
	mode_t type; /* S_IFMT bits: an inode never changes type */
	uint64_t id;
	uint64_t nlookup; /* references the guest holds (LOOKUP minus FORGET) */
	unsigned users;	  /* requests in flight and handles using it */
	struct pt_inode *hnext;
};

struct pt_handle {
	int fd;
	bool dir;
	uint64_t id;
	unsigned users;
	struct pt_inode *inode; /* holds a `users` reference */
	/* Directory stream state, under `lock`. */
	pthread_mutex_t lock;
	uint64_t pos; /* cookie of the next entry in buf (or to read) */
	char *buf;
	size_t buf_len, buf_pos;
};

/* Objects named by (generation << 32 | slot + 1), so a stale id is refused. */
struct slot_table {
	void **obj;
	uint32_t *gen;
	uint32_t *free;
	uint32_t nfree, used, cap;
};

struct passthrough {
	pthread_mutex_t lock; /* tables and reference counts */
	struct slot_table inodes, handles;
	struct pt_inode **buckets; /* (dev, ino) -> inode */
	unsigned nbuckets, nhashed;
	struct pt_inode *root;
	int proc_fd; /* /proc/self/fd */
	bool readonly;
	int stopping;	/* atomic */
	int no_openat2; /* atomic: the kernel lacks openat2 */
	/* Descriptors held for the guest (an O_PATH handle per node but the
	 * root, one per file handle) or being opened to become one: atomic,
	 * never above fd_max (passthrough_set_fd_limit()). */
	unsigned nfds, fd_max;
};

static struct log_ratelimit enfile_log = LOG_RATELIMIT_INIT;
static struct log_ratelimit emfile_log = LOG_RATELIMIT_INIT;

/* Set once passthrough_thread_init() gave this thread its own cwd. */
static __thread bool thread_has_own_fs;

/* --- slot tables ---------------------------------------------------------- */

static int table_add(struct slot_table *t, void *o, uint64_t *id)
{
	uint32_t slot;

	if (t->nfree) {
		slot = t->free[--t->nfree];
	} else {
		if (t->used == t->cap) {
			uint32_t cap = t->cap ? t->cap * 2 : 64;
			void **obj;
			uint32_t *gen, *fr;

			if (cap > SLOTS_MAX)
				return -ENFILE;
			obj = realloc(t->obj, cap * sizeof(*obj));
			if (!obj)
				return -ENOMEM;
			t->obj = obj;
			gen = realloc(t->gen, cap * sizeof(*gen));
			if (!gen)
				return -ENOMEM;
			t->gen = gen;
			fr = realloc(t->free, cap * sizeof(*fr));
			if (!fr)
				return -ENOMEM;
			t->free = fr;
			memset(t->gen + t->cap, 0, (cap - t->cap) * sizeof(*gen));
			t->cap = cap;
		}
		slot = t->used++;
	}
	t->obj[slot] = o;
	*id = ((uint64_t)t->gen[slot] << 32) | (slot + 1);
	return 0;
}

static void *table_get(const struct slot_table *t, uint64_t id)
{
	uint32_t idx = (uint32_t)id;

	if (idx == 0 || idx > t->used || t->gen[idx - 1] != (uint32_t)(id >> 32))
		return NULL;
	return t->obj[idx - 1];
}

static void table_del(struct slot_table *t, uint64_t id)
{
	uint32_t slot = (uint32_t)id - 1;

	t->obj[slot] = NULL;
	t->gen[slot]++;
	t->free[t->nfree++] = slot;
}

static void table_release(struct slot_table *t)
{
	free(t->obj);
	free(t->gen);
	free(t->free);
	memset(t, 0, sizeof(*t));
}

/* --- the descriptor cap -------------------------------------------------------- */

/* Count one more descriptor the guest will hold, or -ENFILE at the cap. */
static int fd_take(struct passthrough *pt)
{
	unsigned n = __atomic_add_fetch(&pt->nfds, 1, __ATOMIC_RELAXED);

	if (n > __atomic_load_n(&pt->fd_max, __ATOMIC_RELAXED)) {
		__atomic_sub_fetch(&pt->nfds, 1, __ATOMIC_RELAXED);
		log_ratelimited(&enfile_log, LOG_WARN,
				"virtio-fs: the guest holds %u descriptors of a share, its cap; "
				"request refused with ENFILE",
				pt->fd_max);
		return -ENFILE;
	}
	return 0;
}

static void fd_give(struct passthrough *pt)
{
	__atomic_sub_fetch(&pt->nfds, 1, __ATOMIC_RELAXED);
}

/* An open() for the guest failed for lack of descriptors in the process. */
static int note_open_error(int err)
{
	if (err == -EMFILE || err == -ENFILE)
		log_ratelimited(&emfile_log, LOG_WARN, "virtio-fs: out of descriptors: %s",
				strerror(-err));
	return err;
}

static unsigned default_fd_limit(void)
{
	struct rlimit rl;
	rlim_t n = PT_FDS_MAX;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
		n = rl.rlim_cur > PT_FDS_KEEP ? (rl.rlim_cur - PT_FDS_KEEP) / 2 : 0;
		if (n < PT_FDS_MIN)
			n = PT_FDS_MIN;
		if (n > PT_FDS_MAX)
			n = PT_FDS_MAX;
	}
	return (unsigned)n;
}

/* --- (dev, ino) hash ---------------------------------------------------------- */

static unsigned hash_of(dev_t dev, ino_t ino, unsigned nbuckets)
{
	uint64_t h = (uint64_t)ino * 0x9e3779b97f4a7c15ULL ^ (uint64_t)dev * 0xc2b2ae3d27d4eb4fULL;

	return (unsigned)(h >> 32) & (nbuckets - 1);
}

static struct pt_inode *hash_find(struct passthrough *pt, dev_t dev, ino_t ino)
{
	for (struct pt_inode *i = pt->buckets[hash_of(dev, ino, pt->nbuckets)]; i; i = i->hnext)
		if (i->dev == dev && i->ino == ino)
			return i;
	return NULL;
}

static void hash_insert(struct passthrough *pt, struct pt_inode *i)
{
	unsigned b;

	if (pt->nhashed >= pt->nbuckets) {
		unsigned n = pt->nbuckets * 2;
		struct pt_inode **nb = calloc(n, sizeof(*nb));

		/* Without memory the chains just grow longer. */
		if (nb) {
			for (unsigned k = 0; k < pt->nbuckets; k++) {
				struct pt_inode *x = pt->buckets[k], *next;

				for (; x; x = next) {
					unsigned h = hash_of(x->dev, x->ino, n);

					next = x->hnext;
					x->hnext = nb[h];
					nb[h] = x;
				}
			}
			free(pt->buckets);
			pt->buckets = nb;
			pt->nbuckets = n;
		}
	}
	b = hash_of(i->dev, i->ino, pt->nbuckets);
	i->hnext = pt->buckets[b];
	pt->buckets[b] = i;
	pt->nhashed++;
}

static void hash_remove(struct passthrough *pt, struct pt_inode *i)
{
	struct pt_inode **p = &pt->buckets[hash_of(i->dev, i->ino, pt->nbuckets)];

	for (; *p; p = &(*p)->hnext) {
		if (*p == i) {
			*p = i->hnext;
			pt->nhashed--;
			return;
		}
	}
}

/* --- inode references --------------------------------------------------------- */

/* pt->lock held. */
static void inode_maybe_free(struct passthrough *pt, struct pt_inode *i)
{
	if (i->nlookup || i->users || i == pt->root)
		return;
	hash_remove(pt, i);
	table_del(&pt->inodes, i->id);
	close(i->fd);
	fd_give(pt);
	free(i);
}

static struct pt_inode *inode_get(struct passthrough *pt, uint64_t id)
{
	struct pt_inode *i;

	pthread_mutex_lock(&pt->lock);
	i = table_get(&pt->inodes, id);
	if (i)
		i->users++;
	pthread_mutex_unlock(&pt->lock);
	return i;
}

static void inode_put(struct passthrough *pt, struct pt_inode *i)
{
	if (!i)
		return;
	pthread_mutex_lock(&pt->lock);
	i->users--;
	inode_maybe_free(pt, i);
	pthread_mutex_unlock(&pt->lock);
}

static struct pt_handle *handle_get(struct passthrough *pt, uint64_t id, bool dir)
{
	struct pt_handle *h;

	pthread_mutex_lock(&pt->lock);
	h = table_get(&pt->handles, id);
	if (h && h->dir != dir)
		h = NULL;
	if (h)
		h->users++;
	pthread_mutex_unlock(&pt->lock);
	return h;
}

/* pt->lock held; returns whether the handle must be freed by the caller
 * (outside the lock, as freeing drops an inode reference). */
static bool handle_unref_locked(struct pt_handle *h)
{
	return --h->users == 0;
}

static void handle_free(struct passthrough *pt, struct pt_handle *h)
{
	close(h->fd);
	fd_give(pt);
	if (h->dir)
		pthread_mutex_destroy(&h->lock);
	free(h->buf);
	inode_put(pt, h->inode);
	free(h);
}

static void handle_put(struct passthrough *pt, struct pt_handle *h)
{
	bool last;

	pthread_mutex_lock(&pt->lock);
	last = handle_unref_locked(h);
	pthread_mutex_unlock(&pt->lock);
	if (last)
		handle_free(pt, h);
}

/* Takes ownership of fd (closed on failure) with its fd_take() count, and of a
 * `users` reference on inode. */
static int handle_new(struct passthrough *pt, int fd, bool dir, struct pt_inode *inode,
		      uint64_t *fh)
{
	struct pt_handle *h = calloc(1, sizeof(*h));
	int ret;

	if (h && dir) {
		h->buf = malloc(DIRBUF_SIZE);
		if (!h->buf) {
			free(h);
			h = NULL;
		}
	}
	if (!h) {
		close(fd);
		fd_give(pt);
		inode_put(pt, inode);
		return -ENOMEM;
	}
	h->fd = fd;
	h->dir = dir;
	h->inode = inode;
	h->users = 1; /* the table's */
	if (dir)
		pthread_mutex_init(&h->lock, NULL);
	pthread_mutex_lock(&pt->lock);
	ret = table_add(&pt->handles, h, &h->id);
	pthread_mutex_unlock(&pt->lock);
	if (ret < 0) {
		h->users = 0;
		handle_free(pt, h);
		return ret;
	}
	*fh = h->id;
	return 0;
}

static int handle_remove(struct passthrough *pt, uint64_t id, bool dir)
{
	struct pt_handle *h;
	bool last = false;

	pthread_mutex_lock(&pt->lock);
	h = table_get(&pt->handles, id);
	if (h && h->dir == dir) {
		table_del(&pt->handles, id);
		last = handle_unref_locked(h);
	}
	pthread_mutex_unlock(&pt->lock);
	if (!h || h->dir != dir)
		return -EBADF;
	if (last)
		handle_free(pt, h);
	return 0;
}

/* --- helpers ---------------------------------------------------------------- */

static int check_name(const char *name)
{
	size_t len = strnlen(name, NAME_MAX + 1);

	if (len == 0 || strchr(name, '/'))
		return -EINVAL;
	if (len > NAME_MAX)
		return -ENAMETOOLONG;
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	return 0;
}

static void proc_name(int fd, char buf[16])
{
	snprintf(buf, 16, "%d", fd);
}

/* One component below dirfd as an O_PATH handle, never following a symlink. */
static int open_child(struct passthrough *pt, int dirfd, const char *name)
{
	int fd;

	if (!__atomic_load_n(&pt->no_openat2, __ATOMIC_RELAXED)) {
		struct open_how how = {
		    .flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
		    .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS,
		};

		fd = (int)syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
		if (fd >= 0)
			return fd;
		if (errno != ENOSYS)
			return -errno;
		__atomic_store_n(&pt->no_openat2, 1, __ATOMIC_RELAXED);
	}
	fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* open_child() of a handle the guest will hold: counted against the cap. */
static int open_child_held(struct passthrough *pt, int dirfd, const char *name)
{
	int fd = fd_take(pt);

	if (fd < 0)
		return fd;
	fd = open_child(pt, dirfd, name);
	if (fd < 0)
		fd_give(pt);
	return note_open_error(fd);
}

static int stat_fd(int fd, struct stat *st)
{
	return fstatat(fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

/* The kernel's new_encode_dev(), which is what fuse_attr.rdev carries. */
static uint32_t encode_dev(dev_t dev)
{
	unsigned maj = major(dev), min = minor(dev);

	return (min & 0xff) | (maj << 8) | ((min & ~0xffu) << 12);
}

static dev_t decode_dev(uint32_t dev)
{
	return makedev((dev & 0xfff00) >> 8, (dev & 0xff) | ((dev >> 12) & 0xfff00));
}

static void fill_attr(const struct stat *st, struct fuse_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->ino = st->st_ino;
	a->size = (uint64_t)st->st_size;
	a->blocks = (uint64_t)st->st_blocks;
	a->atime = (uint64_t)st->st_atim.tv_sec;
	a->mtime = (uint64_t)st->st_mtim.tv_sec;
	a->ctime = (uint64_t)st->st_ctim.tv_sec;
	a->atimensec = (uint32_t)st->st_atim.tv_nsec;
	a->mtimensec = (uint32_t)st->st_mtim.tv_nsec;
	a->ctimensec = (uint32_t)st->st_ctim.tv_nsec;
	a->mode = st->st_mode;
	a->nlink = (uint32_t)st->st_nlink;
	a->uid = st->st_uid;
	a->gid = st->st_gid;
	a->rdev = encode_dev(st->st_rdev);
	a->blksize = (uint32_t)st->st_blksize;
}

static void fill_entry(const struct pt_inode *i, const struct stat *st, struct fuse_entry_out *e)
{
	memset(e, 0, sizeof(*e));
	e->nodeid = i->id;
	e->entry_valid = PT_ENTRY_TIMEOUT_S;
	e->attr_valid = PT_ATTR_TIMEOUT_S;
	fill_attr(st, &e->attr);
}

/*
 * Turn an O_PATH handle (consumed, with its fd_take() count) into a node the guest holds one more
 * lookup reference on: the existing node of the same (dev, ino), or a new one.
 */
static int entry_from_fd(struct passthrough *pt, int fd, struct fuse_entry_out *out)
{
	struct pt_inode *i;
	struct stat st;
	int ret = stat_fd(fd, &st);

	if (ret < 0) {
		close(fd);
		fd_give(pt);
		return ret;
	}
	pthread_mutex_lock(&pt->lock);
	i = hash_find(pt, st.st_dev, st.st_ino);
	if (i) {
		i->nlookup++;
		close(fd);
		fd_give(pt);
	} else {
		i = calloc(1, sizeof(*i));
		if (!i) {
			ret = -ENOMEM;
		} else {
			i->fd = fd;
			i->dev = st.st_dev;
			i->ino = st.st_ino;
			i->type = st.st_mode & S_IFMT;
			i->nlookup = 1;
			ret = table_add(&pt->inodes, i, &i->id);
			if (ret < 0)
				free(i);
			else
				hash_insert(pt, i);
		}
		if (ret < 0) {
			pthread_mutex_unlock(&pt->lock);
			close(fd);
			fd_give(pt);
			return ret;
		}
	}
	fill_entry(i, &st, out);
	pthread_mutex_unlock(&pt->lock);
	return 0;
}

/* Another lookup reference on a node the caller holds (".", LINK). */
static int entry_of_inode(struct passthrough *pt, struct pt_inode *i, struct fuse_entry_out *out)
{
	struct stat st;
	int ret = stat_fd(i->fd, &st);

	if (ret < 0)
		return ret;
	pthread_mutex_lock(&pt->lock);
	i->nlookup++;
	fill_entry(i, &st, out);
	pthread_mutex_unlock(&pt->lock);
	return 0;
}

/*
 * ".." of a directory below the root: only the guest's export code asks for
 * it. Walk up from the candidate to prove it lies within the share (a
 * directory the host moved out of the share would otherwise lead outside).
 */
static int open_parent_within(struct passthrough *pt, struct pt_inode *dir)
{
	struct stat st, up_st;
	int fd, cur, up, ret = -EACCES;

	fd = openat(dir->fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	cur = dup(fd);
	if (cur < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	for (unsigned depth = 0; depth < 4096; depth++) {
		ret = stat_fd(cur, &st);
		if (ret < 0)
			break;
		if (st.st_dev == pt->root->dev && st.st_ino == pt->root->ino) {
			close(cur);
			return fd;
		}
		up = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (up < 0) {
			ret = -errno;
			break;
		}
		ret = stat_fd(up, &up_st);
		/* The host's "/" is its own parent: the share was never met. */
		if (ret == 0 && up_st.st_dev == st.st_dev && up_st.st_ino == st.st_ino)
			ret = -EACCES;
		close(cur);
		cur = up;
		if (ret < 0)
			break;
		ret = -EACCES;
	}
	close(cur);
	close(fd);
	return ret;
}

struct saved_cred {
	int uid, gid;
};

static void cred_leave(const struct saved_cred *s)
{
	int saved = errno;

	setfsuid((uid_t)s->uid);
	setfsgid((gid_t)s->gid);
	errno = saved;
}

/*
 * Per thread: setfsuid/setfsgid are plain system calls (glibc does not
 * broadcast them to the other threads as it does for setuid). They report
 * no error: each returns the previous id and leaves it unchanged when the
 * new one may not be taken (no CAP_SETUID/CAP_SETGID, or an id with no
 * mapping in this user namespace). Asking again with -1, never a valid id,
 * reads back the one in force. A request that cannot run as its caller
 * fails with EPERM rather than run as this process (a guest's setuid file
 * would belong to root); on failure the previous ids are back and the
 * caller must do nothing.
 */
static int cred_enter(const struct pt_cred *c, struct saved_cred *s)
{
	s->gid = setfsgid(c->gid);
	s->uid = setfsuid(c->uid);
	if ((uid_t)setfsuid((uid_t)-1) != c->uid || (gid_t)setfsgid((gid_t)-1) != c->gid) {
		cred_leave(s);
		return -EPERM;
	}
	return 0;
}

/* --- lifetime ------------------------------------------------------------------ */

struct passthrough *passthrough_new(const char *root, bool readonly, char *err, size_t errlen)
{
	struct passthrough *pt = calloc(1, sizeof(*pt));
	struct pt_inode *ri = calloc(1, sizeof(*ri));
	struct stat st;
	uint64_t id;

	if (!pt || !ri)
		goto fail_mem;
	pt->proc_fd = -1;
	ri->fd = -1;
	pthread_mutex_init(&pt->lock, NULL);
	pt->readonly = readonly;
	pt->fd_max = default_fd_limit();
	pt->nbuckets = 256;
	pt->buckets = calloc(pt->nbuckets, sizeof(*pt->buckets));
	if (!pt->buckets)
		goto fail_mem;
	ri->fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (ri->fd < 0) {
		hy_err(err, errlen, 0, "virtio-fs: cannot open share root %s: %m", root);
		goto fail;
	}
	if (stat_fd(ri->fd, &st) < 0 || !S_ISDIR(st.st_mode)) {
		hy_err(err, errlen, 0, "virtio-fs: share root %s is not a directory", root);
		goto fail;
	}
	pt->proc_fd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (pt->proc_fd < 0) {
		hy_err(err, errlen, 0, "virtio-fs: cannot open /proc/self/fd: %m");
		goto fail;
	}
	ri->dev = st.st_dev;
	ri->ino = st.st_ino;
	ri->type = S_IFDIR;
	ri->nlookup = 1;
	if (table_add(&pt->inodes, ri, &id) < 0 || id != FUSE_ROOT_ID)
		goto fail_mem;
	ri->id = id;
	hash_insert(pt, ri);
	pt->root = ri;
	return pt;

fail_mem:
	hy_err(err, errlen, 0, "virtio-fs: out of memory");
fail:
	if (ri && ri->fd >= 0)
		close(ri->fd);
	free(ri);
	if (pt) {
		if (pt->proc_fd >= 0)
			close(pt->proc_fd);
		free(pt->buckets);
		table_release(&pt->inodes);
		free(pt);
	}
	return NULL;
}

void passthrough_destroy(struct passthrough *pt)
{
	pthread_mutex_lock(&pt->lock);
	for (uint32_t s = 0; s < pt->handles.used; s++) {
		struct pt_handle *h = pt->handles.obj[s];
		bool last;

		if (!h)
			continue;
		table_del(&pt->handles, h->id);
		last = handle_unref_locked(h);
		if (last) {
			pthread_mutex_unlock(&pt->lock);
			handle_free(pt, h);
			pthread_mutex_lock(&pt->lock);
		}
	}
	for (uint32_t s = 0; s < pt->inodes.used; s++) {
		struct pt_inode *i = pt->inodes.obj[s];

		if (!i || i == pt->root)
			continue;
		i->nlookup = 0;
		inode_maybe_free(pt, i);
	}
	pthread_mutex_unlock(&pt->lock);
}

void passthrough_free(struct passthrough *pt)
{
	if (!pt)
		return;
	passthrough_destroy(pt);
	/* Requests in flight are gone (the device stopped its workers), so
	 * whatever is left is only held by the tables. */
	for (uint32_t s = 0; s < pt->inodes.used; s++) {
		struct pt_inode *i = pt->inodes.obj[s];

		if (i) {
			close(i->fd);
			free(i);
		}
	}
	table_release(&pt->inodes);
	table_release(&pt->handles);
	free(pt->buckets);
	close(pt->proc_fd);
	pthread_mutex_destroy(&pt->lock);
	free(pt);
}

bool passthrough_readonly(const struct passthrough *pt)
{
	return pt->readonly;
}

void passthrough_stop(struct passthrough *pt, bool stop)
{
	__atomic_store_n(&pt->stopping, stop ? 1 : 0, __ATOMIC_RELEASE);
}

int passthrough_thread_init(void)
{
	if (unshare(CLONE_FS) < 0)
		return -errno;
	umask(0);
	thread_has_own_fs = true;
	return 0;
}

void passthrough_set_fd_limit(struct passthrough *pt, unsigned max)
{
	__atomic_store_n(&pt->fd_max, max ? max : default_fd_limit(), __ATOMIC_RELAXED);
}

unsigned passthrough_nr_fds(struct passthrough *pt)
{
	return __atomic_load_n(&pt->nfds, __ATOMIC_RELAXED);
}

unsigned passthrough_nr_nodes(struct passthrough *pt)
{
	unsigned n;

	pthread_mutex_lock(&pt->lock);
	n = pt->inodes.used - pt->inodes.nfree;
	pthread_mutex_unlock(&pt->lock);
	return n;
}

unsigned passthrough_nr_handles(struct passthrough *pt)
{
	unsigned n;

	pthread_mutex_lock(&pt->lock);
	n = pt->handles.used - pt->handles.nfree;
	pthread_mutex_unlock(&pt->lock);
	return n;
}

/* --- names ------------------------------------------------------------------- */

int passthrough_lookup(struct passthrough *pt, uint64_t parent, const char *name,
		       struct fuse_entry_out *out)
{
	struct pt_inode *p = inode_get(pt, parent);
	int ret, fd;

	if (!p)
		return -ENOENT;
	if (p->type != S_IFDIR) {
		ret = -ENOTDIR;
	} else if (!strcmp(name, ".") || (!strcmp(name, "..") && p == pt->root)) {
		/* ".." of the root is the root, as in a chroot. */
		ret = entry_of_inode(pt, p, out);
	} else if (!strcmp(name, "..")) {
		fd = fd_take(pt);
		if (fd == 0) {
			fd = open_parent_within(pt, p);
			if (fd < 0)
				fd_give(pt);
		}
		ret = fd < 0 ? fd : entry_from_fd(pt, fd, out);
	} else {
		ret = check_name(name);
		if (ret == 0) {
			fd = open_child_held(pt, p->fd, name);
			ret = fd < 0 ? fd : entry_from_fd(pt, fd, out);
		}
	}
	inode_put(pt, p);
	return ret;
}

void passthrough_forget(struct passthrough *pt, uint64_t nodeid, uint64_t nlookup)
{
	struct pt_inode *i;

	pthread_mutex_lock(&pt->lock);
	i = table_get(&pt->inodes, nodeid);
	if (i && i != pt->root) {
		i->nlookup -= nlookup < i->nlookup ? nlookup : i->nlookup;
		inode_maybe_free(pt, i);
	}
	pthread_mutex_unlock(&pt->lock);
}

static int attr_of(struct pt_inode *i, struct fuse_attr_out *out)
{
	struct stat st;
	int ret = stat_fd(i->fd, &st);

	if (ret < 0)
		return ret;
	memset(out, 0, sizeof(*out));
	out->attr_valid = PT_ATTR_TIMEOUT_S;
	fill_attr(&st, &out->attr);
	return 0;
}

int passthrough_getattr(struct passthrough *pt, uint64_t nodeid, struct fuse_attr_out *out)
{
	struct pt_inode *i = inode_get(pt, nodeid);
	int ret;

	if (!i)
		return -ENOENT;
	ret = attr_of(i, out);
	inode_put(pt, i);
	return ret;
}

static int set_times(struct passthrough *pt, struct pt_inode *i, const struct fuse_setattr_in *in)
{
	struct timespec ts[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_nsec = UTIME_OMIT}};
	char name[16];

	if (in->valid & FATTR_ATIME_NOW) {
		ts[0].tv_nsec = UTIME_NOW;
	} else if (in->valid & FATTR_ATIME) {
		if (in->atimensec >= 1000000000u)
			return -EINVAL;
		ts[0].tv_sec = (time_t)in->atime;
		ts[0].tv_nsec = in->atimensec;
	}
	if (in->valid & FATTR_MTIME_NOW) {
		ts[1].tv_nsec = UTIME_NOW;
	} else if (in->valid & FATTR_MTIME) {
		if (in->mtimensec >= 1000000000u)
			return -EINVAL;
		ts[1].tv_sec = (time_t)in->mtime;
		ts[1].tv_nsec = in->mtimensec;
	}
	/* Through the handle's /proc/self/fd entry: the magic link lands on
	 * the pinned inode itself, a symlink included, and goes no further. */
	proc_name(i->fd, name);
	return utimensat(pt->proc_fd, name, ts, 0) < 0 ? -errno : 0;
}

int passthrough_setattr(struct passthrough *pt, uint64_t nodeid, const struct fuse_setattr_in *in,
			struct fuse_attr_out *out)
{
	struct pt_inode *i = inode_get(pt, nodeid);
	char name[16];
	int ret = 0;

	if (!i)
		return -ENOENT;
	if (pt->readonly) {
		ret = -EROFS;
		goto out;
	}
	proc_name(i->fd, name);
	if (in->valid & FATTR_MODE) {
		/* A symlink's mode means nothing on Linux and chmod cannot
		 * address one without following it. */
		if (i->type == S_IFLNK)
			ret = -EOPNOTSUPP;
		else if (fchmodat(pt->proc_fd, name, in->mode & 07777, 0) < 0)
			ret = -errno;
		if (ret < 0)
			goto out;
	}
	if (in->valid & (FATTR_UID | FATTR_GID)) {
		uid_t uid = (in->valid & FATTR_UID) ? in->uid : (uid_t)-1;
		gid_t gid = (in->valid & FATTR_GID) ? in->gid : (gid_t)-1;

		if (fchownat(i->fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) {
			ret = -errno;
			goto out;
		}
	}
	if (in->valid & FATTR_SIZE) {
		if (in->size > (uint64_t)INT64_MAX) {
			ret = -EFBIG;
			goto out;
		}
		if (in->valid & FATTR_FH) {
			struct pt_handle *h = handle_get(pt, in->fh, false);

			if (!h) {
				ret = -EBADF;
				goto out;
			}
			if (ftruncate(h->fd, (off_t)in->size) < 0)
				ret = -errno;
			handle_put(pt, h);
		} else if (i->type != S_IFREG) {
			ret = i->type == S_IFDIR ? -EISDIR : -EINVAL;
		} else {
			/* Only a regular file is ever reopened: opening a
			 * device node or FIFO on the host could have effects. */
			int fd = openat(pt->proc_fd, name, O_WRONLY | O_CLOEXEC);

			if (fd < 0) {
				ret = -errno;
			} else {
				if (ftruncate(fd, (off_t)in->size) < 0)
					ret = -errno;
				close(fd);
			}
		}
		if (ret < 0)
			goto out;
	}
	if (in->valid & (FATTR_ATIME | FATTR_MTIME | FATTR_ATIME_NOW | FATTR_MTIME_NOW)) {
		ret = set_times(pt, i, in);
		if (ret < 0)
			goto out;
	}
	ret = attr_of(i, out);
out:
	inode_put(pt, i);
	return ret;
}

ssize_t passthrough_readlink(struct passthrough *pt, uint64_t nodeid, char *buf, size_t size)
{
	struct pt_inode *i = inode_get(pt, nodeid);
	ssize_t n;

	if (!i)
		return -ENOENT;
	if (i->type != S_IFLNK)
		n = -EINVAL;
	else if ((n = readlinkat(i->fd, "", buf, size)) < 0)
		n = -errno;
	inode_put(pt, i);
	return n;
}

/* The parent of a create-type call: a directory of the share, writable. */
static struct pt_inode *parent_for_change(struct passthrough *pt, uint64_t parent, const char *name,
					  int *err)
{
	struct pt_inode *p;

	*err = check_name(name);
	if (*err < 0)
		return NULL;
	if (pt->readonly) {
		*err = -EROFS;
		return NULL;
	}
	p = inode_get(pt, parent);
	if (!p) {
		*err = -ENOENT;
		return NULL;
	}
	if (p->type != S_IFDIR) {
		inode_put(pt, p);
		*err = -ENOTDIR;
		return NULL;
	}
	return p;
}

static int lookup_new(struct passthrough *pt, struct pt_inode *p, const char *name,
		      struct fuse_entry_out *out)
{
	int fd = open_child_held(pt, p->fd, name);

	return fd < 0 ? fd : entry_from_fd(pt, fd, out);
}

int passthrough_mknod(struct passthrough *pt, const struct pt_cred *cred, uint64_t parent,
		      const char *name, uint32_t mode, uint32_t rdev, uint32_t umask,
		      struct fuse_entry_out *out)
{
	struct saved_cred saved;
	struct pt_inode *p;
	dev_t dev = 0;
	int ret;

	switch (mode & S_IFMT) {
	case S_IFREG:
	case S_IFIFO:
	case S_IFSOCK:
		break;
	case S_IFCHR:
		/* Device nodes would be real devices on the host; only the
		 * 0:0 "whiteout" that overlayfs uses is allowed. */
		if (rdev != 0)
			return -EPERM;
		break;
	default:
		return (mode & S_IFMT) == S_IFBLK ? -EPERM : -EINVAL;
	}
	p = parent_for_change(pt, parent, name, &ret);
	if (!p)
		return ret;
	dev = decode_dev(rdev);
	ret = cred_enter(cred, &saved);
	if (ret == 0) {
		ret = mknodat(p->fd, name, (mode & S_IFMT) | (mode & 07777 & ~umask), dev);
		if (ret < 0)
			ret = -errno;
		cred_leave(&saved);
	}
	if (ret == 0)
		ret = lookup_new(pt, p, name, out);
	inode_put(pt, p);
	return ret;
}

int passthrough_mkdir(struct passthrough *pt, const struct pt_cred *cred, uint64_t parent,
		      const char *name, uint32_t mode, uint32_t umask, struct fuse_entry_out *out)
{
	struct saved_cred saved;
	struct pt_inode *p;
	int ret;

	p = parent_for_change(pt, parent, name, &ret);
	if (!p)
		return ret;
	ret = cred_enter(cred, &saved);
	if (ret == 0) {
		ret = mkdirat(p->fd, name, mode & 07777 & ~umask) < 0 ? -errno : 0;
		cred_leave(&saved);
	}
	if (ret == 0)
		ret = lookup_new(pt, p, name, out);
	inode_put(pt, p);
	return ret;
}

int passthrough_symlink(struct passthrough *pt, const struct pt_cred *cred, uint64_t parent,
			const char *name, const char *target, struct fuse_entry_out *out)
{
	struct saved_cred saved;
	struct pt_inode *p;
	int ret;

	/* The target is only data for the guest to interpret: never resolved here. */
	if (!*target || strnlen(target, PATH_MAX) >= PATH_MAX)
		return !*target ? -ENOENT : -ENAMETOOLONG;
	p = parent_for_change(pt, parent, name, &ret);
	if (!p)
		return ret;
	ret = cred_enter(cred, &saved);
	if (ret == 0) {
		ret = symlinkat(target, p->fd, name) < 0 ? -errno : 0;
		cred_leave(&saved);
	}
	if (ret == 0)
		ret = lookup_new(pt, p, name, out);
	inode_put(pt, p);
	return ret;
}

/* Flags the host open gets from a guest open: no creation, no symlink
 * following, no controlling tty; O_DIRECT dropped (the host may not support
 * it and the guest's cache policy is its own). */
static int open_flags(uint32_t flags, bool readonly, int *out)
{
	int acc = (int)flags & O_ACCMODE;
	int keep = O_APPEND | O_TRUNC | O_SYNC | O_DSYNC | O_NOATIME | O_EXCL;

	if (acc == 3)
		return -EINVAL;
	if (readonly && (acc != O_RDONLY || (flags & O_TRUNC)))
		return -EROFS;
	*out = acc | ((int)flags & keep) | O_CLOEXEC | O_LARGEFILE;
	return 0;
}

/*
 * CREATE of a name that exists, without O_EXCL: open what is there, as
 * open(O_CREAT) would, but only a regular file. The entry is pinned with an
 * O_PATH handle, which opens nothing (no FIFO waits for a peer, no device
 * driver's open() runs), checked, and reopened through its magic link as
 * OPEN does, so what is opened is the inode that was checked. The errors
 * are OPEN's. Returns the open file and its O_PATH handle in *path_fd.
 */
static int open_existing(struct passthrough *pt, struct pt_inode *p, const char *name, int oflags,
			 int *path_fd)
{
	struct stat st, fst;
	char pname[16];
	int fd, pfd, ret;

	pfd = open_child(pt, p->fd, name);
	if (pfd < 0)
		return pfd;
	ret = stat_fd(pfd, &st);
	if (ret == 0 && !S_ISREG(st.st_mode))
		ret = S_ISDIR(st.st_mode) ? -EISDIR : S_ISLNK(st.st_mode) ? -ELOOP : -ENXIO;
	if (ret < 0)
		goto fail;
	proc_name(pfd, pname);
	fd = openat(pt->proc_fd, pname, oflags & ~O_EXCL);
	if (fd < 0) {
		ret = -errno;
		goto fail;
	}
	if (fstat(fd, &fst) < 0 || !S_ISREG(fst.st_mode) || fst.st_ino != st.st_ino ||
	    fst.st_dev != st.st_dev) {
		close(fd);
		ret = -EIO;
		goto fail;
	}
	*path_fd = pfd;
	return fd;
fail:
	close(pfd);
	return ret;
}

/*
 * The file CREATE opens: a new one (O_EXCL: never an existing device node
 * or FIFO) or, unless the guest asked for O_EXCL, the regular file of that
 * name. *path_fd: the existing file's O_PATH handle, -1 for a new file.
 */
static int create_or_open(struct passthrough *pt, struct pt_inode *p, const char *name, int oflags,
			  mode_t mode, int *path_fd)
{
	int fd = -ENOENT;

	*path_fd = -1;
	/* A name removed between the two calls is created again, a few times. */
	for (int tries = 0; tries < 8; tries++) {
		fd = openat(p->fd, name, oflags | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
		if (fd >= 0)
			return fd;
		if (errno != EEXIST || (oflags & O_EXCL))
			return -errno;
		fd = open_existing(pt, p, name, oflags, path_fd);
		if (fd != -ENOENT)
			return fd;
	}
	return fd;
}

int passthrough_create(struct passthrough *pt, const struct pt_cred *cred, uint64_t parent,
		       const char *name, uint32_t flags, uint32_t mode, uint32_t umask,
		       struct fuse_entry_out *entry, struct fuse_open_out *open)
{
	struct saved_cred saved;
	struct pt_inode *p, *i;
	char pname[16];
	int ret, fd, pfd, oflags;

	ret = open_flags(flags, pt->readonly, &oflags);
	if (ret < 0)
		return ret;
	p = parent_for_change(pt, parent, name, &ret);
	if (!p)
		return ret;
	/* Two descriptors held: the open file and the node's O_PATH handle. */
	ret = fd_take(pt);
	if (ret == 0) {
		ret = fd_take(pt);
		if (ret < 0)
			fd_give(pt);
	}
	if (ret == 0) {
		ret = cred_enter(cred, &saved);
		if (ret < 0) {
			fd_give(pt);
			fd_give(pt);
		}
	}
	if (ret < 0) {
		inode_put(pt, p);
		return ret;
	}
	fd = create_or_open(pt, p, name, oflags, (mode & 07777) & ~umask, &pfd);
	cred_leave(&saved);
	inode_put(pt, p);
	if (fd < 0) {
		fd_give(pt);
		fd_give(pt);
		return note_open_error(fd);
	}
	if (pfd < 0) {
		/* The node is the file just created, whatever the name points to now. */
		proc_name(fd, pname);
		pfd = openat(pt->proc_fd, pname, O_PATH | O_CLOEXEC);
		if (pfd < 0) {
			ret = -errno;
			close(fd);
			fd_give(pt);
			fd_give(pt);
			return note_open_error(ret);
		}
	}
	ret = entry_from_fd(pt, pfd, entry);
	if (ret < 0) {
		close(fd);
		fd_give(pt);
		return ret;
	}
	i = inode_get(pt, entry->nodeid);
	memset(open, 0, sizeof(*open));
	ret = handle_new(pt, fd, false, i, &open->fh);
	if (ret < 0)
		passthrough_forget(pt, entry->nodeid, 1);
	return ret;
}

int passthrough_link(struct passthrough *pt, uint64_t nodeid, uint64_t newparent,
		     const char *newname, struct fuse_entry_out *out)
{
	struct pt_inode *i, *p;
	char name[16];
	int ret;

	p = parent_for_change(pt, newparent, newname, &ret);
	if (!p)
		return ret;
	i = inode_get(pt, nodeid);
	if (!i) {
		ret = -ENOENT;
		goto out;
	}
	if (i->type == S_IFDIR) {
		ret = -EPERM;
		goto out;
	}
	/* AT_EMPTY_PATH links the pinned inode (needs CAP_DAC_READ_SEARCH);
	 * without it, the /proc/self/fd magic link does the same. */
	ret = linkat(i->fd, "", p->fd, newname, AT_EMPTY_PATH);
	if (ret < 0 && errno == ENOENT) {
		proc_name(i->fd, name);
		ret = linkat(pt->proc_fd, name, p->fd, newname, AT_SYMLINK_FOLLOW);
	}
	ret = ret < 0 ? -errno : entry_of_inode(pt, i, out);
out:
	inode_put(pt, i);
	inode_put(pt, p);
	return ret;
}

static int remove_entry(struct passthrough *pt, uint64_t parent, const char *name, int flags)
{
	struct pt_inode *p;
	int ret;

	p = parent_for_change(pt, parent, name, &ret);
	if (!p)
		return ret;
	ret = unlinkat(p->fd, name, flags) < 0 ? -errno : 0;
	inode_put(pt, p);
	return ret;
}

int passthrough_unlink(struct passthrough *pt, uint64_t parent, const char *name)
{
	return remove_entry(pt, parent, name, 0);
}

int passthrough_rmdir(struct passthrough *pt, uint64_t parent, const char *name)
{
	return remove_entry(pt, parent, name, AT_REMOVEDIR);
}

int passthrough_rename(struct passthrough *pt, uint64_t parent, const char *name,
		       uint64_t newparent, const char *newname, uint32_t flags)
{
	struct pt_inode *p, *np;
	int ret;

	if (flags & ~(uint32_t)(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT))
		return -EINVAL;
	ret = check_name(newname);
	if (ret < 0)
		return ret;
	p = parent_for_change(pt, parent, name, &ret);
	if (!p)
		return ret;
	np = parent_for_change(pt, newparent, newname, &ret);
	if (!np) {
		inode_put(pt, p);
		return ret;
	}
	/* Both ends are directories the guest named by node: nothing can be
	 * moved out of the share or in from outside it. */
	ret = renameat2(p->fd, name, np->fd, newname, flags) < 0 ? -errno : 0;
	inode_put(pt, np);
	inode_put(pt, p);
	return ret;
}

/* --- files ---------------------------------------------------------------------- */

int passthrough_open(struct passthrough *pt, uint64_t nodeid, uint32_t flags,
		     struct fuse_open_out *out)
{
	struct pt_inode *i;
	char name[16];
	struct stat st;
	int ret, fd, oflags;

	ret = open_flags(flags & ~(uint32_t)O_EXCL, pt->readonly, &oflags);
	if (ret < 0)
		return ret;
	i = inode_get(pt, nodeid);
	if (!i)
		return -ENOENT;
	/* Only regular files are opened for I/O through the magic link: a
	 * symlink would not be followed anyway (ELOOP), and a device node or
	 * FIFO must never be opened on the host. */
	switch (i->type) {
	case S_IFREG:
		break;
	case S_IFDIR:
		ret = -EISDIR;
		goto fail;
	case S_IFLNK:
		ret = -ELOOP;
		goto fail;
	default:
		ret = -ENXIO;
		goto fail;
	}
	ret = fd_take(pt);
	if (ret < 0)
		goto fail;
	proc_name(i->fd, name);
	fd = openat(pt->proc_fd, name, oflags);
	if (fd < 0) {
		ret = note_open_error(-errno);
		fd_give(pt);
		goto fail;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_ino != i->ino ||
	    st.st_dev != i->dev) {
		close(fd);
		fd_give(pt);
		ret = -EIO;
		goto fail;
	}
	memset(out, 0, sizeof(*out));
	return handle_new(pt, fd, false, i, &out->fh);
fail:
	inode_put(pt, i);
	return ret;
}

ssize_t passthrough_read(struct passthrough *pt, uint64_t fh, uint64_t off, void *buf, size_t size)
{
	struct pt_handle *h = handle_get(pt, fh, false);
	size_t done = 0;
	ssize_t ret = 0;

	if (!h)
		return -EBADF;
	if (off > (uint64_t)INT64_MAX) {
		handle_put(pt, h);
		return -EINVAL;
	}
	/* The guest treats a short read as end of file: read until then. */
	while (done < size) {
		ssize_t n = pread(h->fd, (char *)buf + done, size - done, (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			break;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	handle_put(pt, h);
	return done ? (ssize_t)done : ret;
}

ssize_t passthrough_write(struct passthrough *pt, uint64_t fh, uint64_t off, const void *buf,
			  size_t size)
{
	struct pt_handle *h = handle_get(pt, fh, false);
	size_t done = 0;
	ssize_t ret = 0;

	if (!h)
		return -EBADF;
	if (pt->readonly) {
		handle_put(pt, h);
		return -EROFS;
	}
	if (off > (uint64_t)INT64_MAX) {
		handle_put(pt, h);
		return -EFBIG;
	}
	while (done < size) {
		ssize_t n =
		    pwrite(h->fd, (const char *)buf + done, size - done, (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			break;
		}
		done += (size_t)n;
	}
	handle_put(pt, h);
	return done ? (ssize_t)done : ret;
}

int passthrough_flush(struct passthrough *pt, uint64_t fh)
{
	struct pt_handle *h = handle_get(pt, fh, false);
	int ret = 0, fd;

	if (!h)
		return -EBADF;
	/* close() of a duplicate reports delayed write errors, as the
	 * guest's close() would on a local file system. */
	fd = dup(h->fd);
	if (fd < 0 || close(fd) < 0)
		ret = -errno;
	handle_put(pt, h);
	return ret;
}

static int sync_handle(struct passthrough *pt, uint64_t fh, bool dir, bool datasync)
{
	struct pt_handle *h = handle_get(pt, fh, dir);
	int ret;

	if (!h)
		return -EBADF;
	ret = (datasync ? fdatasync(h->fd) : fsync(h->fd)) < 0 ? -errno : 0;
	handle_put(pt, h);
	return ret;
}

int passthrough_fsync(struct passthrough *pt, uint64_t fh, bool datasync)
{
	return sync_handle(pt, fh, false, datasync);
}

int passthrough_release(struct passthrough *pt, uint64_t fh)
{
	return handle_remove(pt, fh, false);
}

int passthrough_fallocate(struct passthrough *pt, uint64_t fh, uint32_t mode, uint64_t off,
			  uint64_t len)
{
	struct pt_handle *h;
	int ret;

	if (pt->readonly)
		return -EROFS;
	if (off > (uint64_t)INT64_MAX || len > (uint64_t)INT64_MAX)
		return -EFBIG;
	h = handle_get(pt, fh, false);
	if (!h)
		return -EBADF;
	ret = fallocate(h->fd, (int)mode, (off_t)off, (off_t)len) < 0 ? -errno : 0;
	handle_put(pt, h);
	return ret;
}

int passthrough_lseek(struct passthrough *pt, uint64_t fh, uint64_t off, uint32_t whence,
		      uint64_t *result)
{
	struct pt_handle *h;
	off_t r;

	if (whence != SEEK_SET && whence != SEEK_CUR && whence != SEEK_END && whence != SEEK_DATA &&
	    whence != SEEK_HOLE)
		return -EINVAL;
	if (off > (uint64_t)INT64_MAX)
		return -EINVAL;
	h = handle_get(pt, fh, false);
	if (!h)
		return -EBADF;
	r = lseek(h->fd, (off_t)off, (int)whence);
	handle_put(pt, h);
	if (r < 0)
		return -errno;
	*result = (uint64_t)r;
	return 0;
}

/* --- directories -------------------------------------------------------------------- */

int passthrough_opendir(struct passthrough *pt, uint64_t nodeid, struct fuse_open_out *out)
{
	struct pt_inode *i = inode_get(pt, nodeid);
	int fd;

	if (!i)
		return -ENOENT;
	if (i->type != S_IFDIR) {
		inode_put(pt, i);
		return -ENOTDIR;
	}
	fd = fd_take(pt);
	if (fd < 0) {
		inode_put(pt, i);
		return fd;
	}
	/* "." of the pinned directory: no path, no /proc needed. */
	fd = openat(i->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		int ret = note_open_error(-errno);

		fd_give(pt);
		inode_put(pt, i);
		return ret;
	}
	memset(out, 0, sizeof(*out));
	return handle_new(pt, fd, true, i, &out->fh);
}

static bool is_dot_or_dotdot(const char *n)
{
	return n[0] == '.' && (n[1] == 0 || (n[1] == '.' && n[2] == 0));
}

ssize_t passthrough_readdir(struct passthrough *pt, uint64_t fh, uint64_t off, void *buf,
			    size_t size, bool plus)
{
	struct pt_handle *h = handle_get(pt, fh, true);
	size_t used = 0;
	ssize_t ret = 0;

	if (!h)
		return -EBADF;
	pthread_mutex_lock(&h->lock);
	if (off != h->pos) {
		if (off > (uint64_t)INT64_MAX || lseek(h->fd, (off_t)off, SEEK_SET) < 0) {
			ret = off > (uint64_t)INT64_MAX ? -EINVAL : -errno;
			goto out;
		}
		h->pos = off;
		h->buf_len = h->buf_pos = 0;
	}
	for (;;) {
		struct dirent64 *d;
		size_t namelen, reclen;

		if (h->buf_pos >= h->buf_len) {
			ssize_t n = getdents64(h->fd, h->buf, DIRBUF_SIZE);

			if (n < 0) {
				ret = -errno;
				break;
			}
			if (n == 0)
				break;
			h->buf_len = (size_t)n;
			h->buf_pos = 0;
		}
		d = (struct dirent64 *)(h->buf + h->buf_pos);
		namelen = strlen(d->d_name);
		reclen = plus ? FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET_DIRENTPLUS + namelen)
			      : FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET + namelen);
		if (used + reclen > size)
			break;
		if (plus) {
			struct fuse_direntplus *e = (struct fuse_direntplus *)((char *)buf + used);

			memset(e, 0, reclen);
			if (is_dot_or_dotdot(d->d_name)) {
				/* Node id 0: the guest takes no reference. */
				e->entry_out.attr.ino = d->d_ino;
				e->entry_out.attr.mode = (uint32_t)d->d_type << 12;
			} else {
				int fd = open_child_held(pt, h->inode->fd, d->d_name);
				int r = fd < 0 ? fd : entry_from_fd(pt, fd, &e->entry_out);

				if (r == -ENOENT) {
					/* Removed since it was read: skip it. */
					h->buf_pos += d->d_reclen;
					h->pos = (uint64_t)d->d_off;
					continue;
				}
				if (r < 0) {
					if (!used)
						ret = r;
					break;
				}
			}
			e->dirent.ino = d->d_ino;
			e->dirent.off = (uint64_t)d->d_off;
			e->dirent.namelen = (uint32_t)namelen;
			e->dirent.type = d->d_type;
			memcpy(e->dirent.name, d->d_name, namelen);
		} else {
			struct fuse_dirent *e = (struct fuse_dirent *)((char *)buf + used);

			memset(e, 0, reclen);
			e->ino = d->d_ino;
			e->off = (uint64_t)d->d_off;
			e->namelen = (uint32_t)namelen;
			e->type = d->d_type;
			memcpy(e->name, d->d_name, namelen);
		}
		used += reclen;
		h->buf_pos += d->d_reclen;
		h->pos = (uint64_t)d->d_off;
	}
out:
	pthread_mutex_unlock(&h->lock);
	handle_put(pt, h);
	return used ? (ssize_t)used : ret;
}

int passthrough_releasedir(struct passthrough *pt, uint64_t fh)
{
	return handle_remove(pt, fh, true);
}

int passthrough_fsyncdir(struct passthrough *pt, uint64_t fh, bool datasync)
{
	return sync_handle(pt, fh, true, datasync);
}

/* --- misc -------------------------------------------------------------------------- */

int passthrough_statfs(struct passthrough *pt, uint64_t nodeid, struct fuse_kstatfs *out)
{
	struct pt_inode *i = inode_get(pt, nodeid);
	struct statfs s;
	int ret;

	if (!i)
		return -ENOENT;
	ret = fstatfs(i->fd, &s) < 0 ? -errno : 0;
	inode_put(pt, i);
	if (ret < 0)
		return ret;
	memset(out, 0, sizeof(*out));
	out->blocks = s.f_blocks;
	out->bfree = s.f_bfree;
	out->bavail = s.f_bavail;
	out->files = s.f_files;
	out->ffree = s.f_ffree;
	out->bsize = (uint32_t)s.f_bsize;
	out->namelen = (uint32_t)s.f_namelen;
	out->frsize = (uint32_t)s.f_frsize;
	return 0;
}

int passthrough_access(struct passthrough *pt, const struct pt_cred *cred, uint64_t nodeid,
		       uint32_t mask)
{
	struct pt_inode *i = inode_get(pt, nodeid);
	struct stat st;
	unsigned bits;
	int ret;

	if (!i)
		return -ENOENT;
	ret = stat_fd(i->fd, &st);
	inode_put(pt, i);
	if (ret < 0)
		return ret;
	if ((mask & W_OK) && pt->readonly)
		return -EROFS;
	mask &= R_OK | W_OK | X_OK;
	if (cred->uid == 0) {
		/* root may execute only what someone may execute */
		if ((mask & X_OK) && !S_ISDIR(st.st_mode) && !(st.st_mode & 0111))
			return -EACCES;
		return 0;
	}
	if (cred->uid == st.st_uid)
		bits = (st.st_mode >> 6) & 7;
	else if (cred->gid == st.st_gid)
		bits = (st.st_mode >> 3) & 7;
	else
		bits = st.st_mode & 7;
	return (mask & ~bits) ? -EACCES : 0;
}

/*
 * Extended attributes. A regular file or directory is opened (regular files
 * through the magic link, directories as "." of the handle) and the f*xattr
 * calls used; nothing else is ever opened. Other nodes (symlinks, FIFOs,
 * device nodes, sockets) are reached by the path-based calls on
 * "/proc/self/fd/N" relative to the thread's own current directory: the
 * non-l variants follow the magic link onto the pinned inode and stop there
 * (the l variants would act on the /proc link itself).
 */
enum xop { XGET, XSET, XLIST, XREMOVE };

static ssize_t xattr_op(struct passthrough *pt, uint64_t nodeid, enum xop op, const char *name,
			void *buf, size_t size, int flags)
{
	struct pt_inode *i = inode_get(pt, nodeid);
	char pname[16];
	ssize_t ret;
	int fd = -1;

	if (!i)
		return -ENOENT;
	if ((op == XSET || op == XREMOVE) && pt->readonly) {
		ret = -EROFS;
		goto out;
	}
	proc_name(i->fd, pname);
	if (i->type == S_IFREG || i->type == S_IFDIR) {
		if (i->type == S_IFDIR)
			fd = openat(i->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		else
			fd = openat(pt->proc_fd, pname, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			ret = -errno;
			goto out;
		}
		switch (op) {
		case XGET:
			ret = fgetxattr(fd, name, buf, size);
			break;
		case XSET:
			ret = fsetxattr(fd, name, buf, size, flags);
			break;
		case XLIST:
			ret = flistxattr(fd, buf, size);
			break;
		default:
			ret = fremovexattr(fd, name);
			break;
		}
	} else {
		if (!thread_has_own_fs) {
			ret = -EOPNOTSUPP;
			goto out;
		}
		if (fchdir(pt->proc_fd) < 0) {
			ret = -errno;
			goto out;
		}
		switch (op) {
		case XGET:
			ret = getxattr(pname, name, buf, size);
			break;
		case XSET:
			ret = setxattr(pname, name, buf, size, flags);
			break;
		case XLIST:
			ret = listxattr(pname, buf, size);
			break;
		default:
			ret = removexattr(pname, name);
			break;
		}
	}
	if (ret < 0)
		ret = -errno;
out:
	if (fd >= 0)
		close(fd);
	inode_put(pt, i);
	return ret;
}

int passthrough_setxattr(struct passthrough *pt, uint64_t nodeid, const char *name,
			 const void *value, size_t size, uint32_t flags)
{
	if (flags & ~(uint32_t)(XATTR_CREATE | XATTR_REPLACE))
		return -EINVAL;
	return (int)xattr_op(pt, nodeid, XSET, name, (void *)value, size, (int)flags);
}

ssize_t passthrough_getxattr(struct passthrough *pt, uint64_t nodeid, const char *name, void *buf,
			     size_t size)
{
	return xattr_op(pt, nodeid, XGET, name, buf, size, 0);
}

ssize_t passthrough_listxattr(struct passthrough *pt, uint64_t nodeid, void *buf, size_t size)
{
	return xattr_op(pt, nodeid, XLIST, NULL, buf, size, 0);
}

int passthrough_removexattr(struct passthrough *pt, uint64_t nodeid, const char *name)
{
	return (int)xattr_op(pt, nodeid, XREMOVE, name, NULL, 0, 0);
}

/* --- locks -------------------------------------------------------------------------- */

static int to_flock(const struct fuse_file_lock *in, struct flock *fl)
{
	if (in->type != F_RDLCK && in->type != F_WRLCK && in->type != F_UNLCK)
		return -EINVAL;
	if (in->start > LOCK_EOF || (in->end != LOCK_EOF && in->end < in->start) ||
	    in->end > LOCK_EOF)
		return -EINVAL;
	memset(fl, 0, sizeof(*fl));
	fl->l_type = (short)in->type;
	fl->l_whence = SEEK_SET;
	fl->l_start = (off_t)in->start;
	fl->l_len = in->end == LOCK_EOF ? 0 : (off_t)(in->end - in->start + 1);
	fl->l_pid = 0; /* required for F_OFD_* */
	return 0;
}

int passthrough_getlk(struct passthrough *pt, uint64_t fh, const struct fuse_file_lock *in,
		      struct fuse_file_lock *out)
{
	struct pt_handle *h;
	struct flock fl;
	int ret = to_flock(in, &fl);

	if (ret < 0)
		return ret;
	h = handle_get(pt, fh, false);
	if (!h)
		return -EBADF;
	ret = fcntl(h->fd, F_OFD_GETLK, &fl) < 0 ? -errno : 0;
	handle_put(pt, h);
	if (ret < 0)
		return ret;
	memset(out, 0, sizeof(*out));
	out->type = (uint32_t)fl.l_type;
	if (fl.l_type != F_UNLCK) {
		out->start = (uint64_t)fl.l_start;
		out->end = fl.l_len == 0 ? LOCK_EOF : (uint64_t)(fl.l_start + fl.l_len - 1);
		/* The holder is another handle, not a process the guest knows. */
		out->pid = 0;
	}
	return 0;
}

/*
 * SETLKW: a blocking F_OFD_SETLKW would hold this worker (and its queue) until
 * the lock is free, with no way to cancel it when the device stops. Instead
 * the non-blocking call is retried with a growing sleep (1 ms to 50 ms) until
 * it succeeds or passthrough_stop() is called (EINTR).
 */
int passthrough_setlk(struct passthrough *pt, uint64_t fh, const struct fuse_file_lock *in,
		      bool wait)
{
	struct pt_handle *h;
	struct flock fl;
	long delay_us = 1000;
	int ret = to_flock(in, &fl);

	if (ret < 0)
		return ret;
	h = handle_get(pt, fh, false);
	if (!h)
		return -EBADF;
	for (;;) {
		struct flock try = fl;

		if (fcntl(h->fd, F_OFD_SETLK, &try) == 0) {
			ret = 0;
			break;
		}
		ret = -errno;
		if (ret == -EINTR)
			continue;
		if ((ret != -EAGAIN && ret != -EACCES) || !wait)
			break;
		if (__atomic_load_n(&pt->stopping, __ATOMIC_ACQUIRE)) {
			ret = -EINTR;
			break;
		}
		nanosleep(&(struct timespec){.tv_nsec = delay_us * 1000}, NULL);
		if (delay_us < 50000)
			delay_us *= 2;
	}
	handle_put(pt, h);
	return ret == -EACCES ? -EAGAIN : ret;
}
