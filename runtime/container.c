/* container.c: state directories, their locks, state.json and the computed status. */
#include "runtime/container.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/control_proto.h"
#include "common/err.h"
#include "common/fdio.h"
#include "common/time.h"
#include "runtime/cgroup.h"
#include "runtime/defaults.h"
#include "runtime/runtime.h"

#define STATE_FILE_MAX (1u << 20)

bool container_id_valid(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > 1024 || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return false;
	for (const char *p = id; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '+' || *p == '-' || *p == '.'))
			return false;
	return true;
}

static char *join(const char *a, const char *b)
{
	char *s;

	if (asprintf(&s, "%s/%s", a, b) < 0)
		return NULL;
	return s;
}

static int mkdir_p(const char *path, mode_t mode, char *err, size_t errlen)
{
	char buf[4096], *p;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return hy_err(err, errlen, -EINVAL, "--root '%s': path too long", path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return hy_err(err, errlen, -errno, "mkdir '%s': %s", buf, strerror(errno));
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return hy_err(err, errlen, -errno, "mkdir '%s': %s", buf, strerror(errno));
	return 0;
}

static struct container *container_alloc(const char *root, const char *id)
{
	struct container *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->dirfd = -1;
	c->dir = join(root, id);
	if (!c->dir) {
		free(c);
		return NULL;
	}
	return c;
}

static void owner_name(struct container *c)
{
	struct stat st;
	struct passwd *pw;

	free(c->st.owner);
	c->st.owner = NULL;
	if (fstat(c->dirfd, &st) < 0)
		return;
	pw = getpwuid(st.st_uid);
	if (pw)
		c->st.owner = strdup(pw->pw_name);
	else if (asprintf(&c->st.owner, "#%u", (unsigned)st.st_uid) < 0)
		c->st.owner = NULL;
}

int container_make(const char *root, const char *id, struct container **out, char *err,
		   size_t errlen)
{
	struct container *c;
	int r;

	if (!container_id_valid(id))
		return hy_err(err, errlen, -EINVAL, "invalid container id format: \"%s\"", id);
	if ((r = mkdir_p(root, 0711, err, errlen)))
		return r;
	c = container_alloc(root, id);
	if (!c)
		return hy_err(err, errlen, -ENOMEM, "out of memory");
	if (mkdir(c->dir, 0711) < 0) {
		r = errno == EEXIST ? -EEXIST : -errno;
		if (r == -EEXIST)
			hy_err(err, errlen, -EEXIST, "container with id exists: %s", id);
		else
			hy_err(err, errlen, r, "mkdir '%s': %s", c->dir, strerror(-r));
		container_close(c);
		return r;
	}
	c->dirfd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->dirfd < 0 || flock(c->dirfd, LOCK_EX) < 0) {
		r = -errno;
		hy_err(err, errlen, -errno, "lock '%s': %s", c->dir, strerror(errno));
		rmdir(c->dir);
		container_close(c);
		return r;
	}
	c->st.id = strdup(id);
	if (!c->st.id) {
		rmdir(c->dir);
		container_close(c);
		return hy_err(err, errlen, -ENOMEM, "out of memory");
	}
	owner_name(c);
	*out = c;
	return 0;
}

static int read_state(struct container *c, char *err, size_t errlen)
{
	char msg[512];
	json_error_t jerr;
	json_t *doc;
	int fd, r;

	fd = openat(c->dirfd, HY_STATE_FILE, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		if (r == -ENOENT)
			return r;
		return hy_err(err, errlen, r, "%s/%s: %s", c->dir, HY_STATE_FILE, strerror(-r));
	}
	doc = json_loadfd(fd, 0, &jerr);
	close(fd);
	if (!doc)
		return hy_err(err, errlen, -EINVAL, "%s/%s: invalid JSON: %s", c->dir,
			      HY_STATE_FILE, jerr.text);
	r = oci_state_from_json(&c->st, doc, msg, sizeof(msg));
	json_decref(doc);
	if (r)
		return hy_err(err, errlen, -EINVAL, "%s/%s: %s", c->dir, HY_STATE_FILE, msg);
	owner_name(c);
	return 0;
}

int container_open(const char *root, const char *id, enum container_lock lock,
		   struct container **out, char *err, size_t errlen)
{
	struct container *c;
	int r;

	if (!container_id_valid(id))
		return hy_err(err, errlen, -EINVAL, "invalid container id format: \"%s\"", id);
	c = container_alloc(root, id);
	if (!c)
		return hy_err(err, errlen, -ENOMEM, "out of memory");
	c->dirfd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->dirfd < 0) {
		r = -errno;
		if (r == -ENOENT || r == -ENOTDIR)
			hy_err(err, errlen, -ENOENT, "container does not exist");
		else
			hy_err(err, errlen, r, "open '%s': %s", c->dir, strerror(-r));
		container_close(c);
		return r == -ENOTDIR ? -ENOENT : r;
	}
	if (lock == CONTAINER_LOCK_EXCLUSIVE) {
		while ((r = flock(c->dirfd, LOCK_EX)) < 0 && errno == EINTR)
			;
	} else {
		r = flock(c->dirfd, LOCK_SH | LOCK_NB);
		if (r < 0 && errno == EWOULDBLOCK) {
			c->lock_busy = true;
			r = 0;
		}
	}
	if (r < 0) {
		r = -errno;
		hy_err(err, errlen, -errno, "lock '%s': %s", c->dir, strerror(errno));
		container_close(c);
		return r;
	}
	/* A create that has made the directory but not written state.json yet,
	 * or a delete that removed it while we waited for the lock. */
	r = read_state(c, err, errlen);
	if (r == -ENOENT)
		hy_err(err, errlen, -ENOENT, "container does not exist");
	if (r) {
		container_close(c);
		return r;
	}
	*out = c;
	return 0;
}

int container_remove_stale(const char *root, const char *id)
{
	struct container *c;
	char err[256];
	int r;

	if (!container_id_valid(id))
		return -ENOENT;
	c = container_alloc(root, id);
	if (!c)
		return -ENOMEM;
	c->dirfd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->dirfd < 0) {
		r = errno == ENOENT || errno == ENOTDIR ? -ENOENT : -errno;
	} else if (flock(c->dirfd, LOCK_EX | LOCK_NB) < 0 ||
		   faccessat(c->dirfd, HY_STATE_FILE, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		r = -EBUSY;
	} else {
		r = container_remove(c, err, sizeof(err)) ? -EIO : 0;
	}
	container_close(c);
	return r;
}

int container_save(struct container *c, char *err, size_t errlen)
{
	json_t *doc = oci_state_to_json(&c->st, c->st.status, true);
	char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	int r;

	json_decref(doc);
	if (!text)
		return hy_err(err, errlen, -ENOMEM, "out of memory");
	r = rt_write_at_atomic(c->dirfd, HY_STATE_FILE, text, strlen(text), 0600, err, errlen);
	free(text);
	return r;
}

/* A subdirectory of the state directory (vsock.d) and what is in it: sockets
 * and files that host programs put there, never followed. */
static int remove_subdir(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct dirent *e;
	DIR *d;

	if (fd < 0)
		return -1;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -1;
	}
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(fd, e->d_name, 0);
	closedir(d);
	return unlinkat(dirfd, name, AT_REMOVEDIR);
}

int container_remove(struct container *c, char *err, size_t errlen)
{
	DIR *d;
	struct dirent *e;
	int fd, r = 0;

	fd = openat(c->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return hy_err(err, errlen, -errno, "open '%s': %s", c->dir, strerror(errno));
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (unlinkat(c->dirfd, e->d_name, 0) == 0 ||
		    (errno == EISDIR && remove_subdir(c->dirfd, e->d_name) == 0))
			continue;
		if (errno != ENOENT && !r)
			r = hy_err(err, errlen, -errno, "remove '%s/%s': %s", c->dir, e->d_name,
				   strerror(errno));
	}
	closedir(d);
	if (rmdir(c->dir) < 0 && errno != ENOENT && !r)
		r = hy_err(err, errlen, -errno, "remove '%s': %s", c->dir, strerror(errno));
	return r;
}

void container_unlock(struct container *c)
{
	if (c->dirfd >= 0 && !c->lock_busy)
		flock(c->dirfd, LOCK_UN);
}

void container_close(struct container *c)
{
	if (!c)
		return;
	if (c->dirfd >= 0)
		close(c->dirfd); /* drops the flock */
	oci_state_free(&c->st);
	free(c->dir);
	free(c);
}

/* --- status ------------------------------------------------------------------------ */

int proc_stat_parse(const char *text, char *state, uint64_t *start_time)
{
	const char *p = strrchr(text, ')');
	unsigned long long v;
	char *end;

	if (!p || p[1] != ' ' || !p[2] || p[3] != ' ')
		return -EINVAL;
	*state = p[2];
	p += 3;
	/* p is at the space before field 4; field 22 is 19 fields on. */
	for (int field = 4; field <= 22; field++) {
		if (*p != ' ')
			return -EINVAL;
		p++;
		if (field == 22)
			break;
		p = strchr(p, ' ');
		if (!p)
			return -EINVAL;
	}
	if (*p < '0' || *p > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(p, &end, 10);
	if (errno || (*end != ' ' && *end != '\n' && *end != '\0'))
		return -EINVAL;
	*start_time = v;
	return 0;
}

enum oci_status container_status_compute(const struct oci_state *st, char proc_state,
					 uint64_t proc_start, bool lock_busy, bool frozen)
{
	bool alive;

	if (st->status == OCI_STATUS_STOPPED)
		return OCI_STATUS_STOPPED;
	if (st->status == OCI_STATUS_CREATING)
		return lock_busy ? OCI_STATUS_CREATING : OCI_STATUS_STOPPED;
	alive = st->pid > 0 && proc_state && proc_state != 'Z' && proc_state != 'X' &&
		proc_start == st->start_time;
	if (!alive)
		return OCI_STATUS_STOPPED;
	if (st->paused || frozen)
		return OCI_STATUS_PAUSED;
	return st->status;
}

static int read_proc_stat(pid_t pid, char *state, uint64_t *start)
{
	char path[64], buf[1024];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	return proc_stat_parse(buf, state, start);
}

static void observe(pid_t pid, char *state, uint64_t *start)
{
	*state = 0;
	*start = 0;
	if (pid > 0 && read_proc_stat(pid, state, start) < 0)
		*state = 0;
}

static bool cgroup_frozen(const struct container *c)
{
	struct cgroup *cg;
	char err[256];
	bool frozen;

	if (cgroup_open(&cg, c->st.cgroups_path, c->st.id, err, sizeof(err)))
		return false;
	frozen = cgroup_is_frozen(cg);
	cgroup_free(cg);
	return frozen;
}

enum oci_status container_status(const struct container *c)
{
	enum oci_status s;
	uint64_t start;
	char state;

	observe(c->st.pid, &state, &start);
	s = container_status_compute(&c->st, state, start, c->lock_busy, false);
	/* Frozen by hand (or by a pause that failed half way) is paused as well. */
	if ((s == OCI_STATUS_RUNNING || s == OCI_STATUS_CREATED) && cgroup_frozen(c))
		s = OCI_STATUS_PAUSED;
	return s;
}

bool container_vmm_alive(const struct container *c)
{
	uint64_t start;
	char state;

	observe(c->st.pid, &state, &start);
	return c->st.pid > 0 && state && state != 'Z' && state != 'X' && start == c->st.start_time;
}

int container_wait_vmm(const struct container *c, int timeout_ms)
{
	int64_t t0;
	int fd, r = -ETIMEDOUT;

	if (!container_vmm_alive(c))
		return 0;
	/* A pidfd polls readable once the process has exited. */
	fd = (int)syscall(SYS_pidfd_open, c->st.pid, 0);
	t0 = hy_now_ms();
	for (;;) {
		int64_t elapsed;

		if (!container_vmm_alive(c)) {
			r = 0;
			break;
		}
		elapsed = hy_now_ms() - t0;
		if (elapsed >= timeout_ms)
			break;
		if (fd >= 0) {
			struct pollfd p = {.fd = fd, .events = POLLIN};

			poll(&p, 1, (int)(timeout_ms - elapsed < 100 ? timeout_ms - elapsed : 100));
		} else {
			usleep(10000);
		}
	}
	if (fd >= 0)
		close(fd);
	return r;
}

/* --- listing ----------------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int container_list(const char *root, char ***ids, size_t *n, char *err, size_t errlen)
{
	size_t cap = 16, count = 0;
	char **v = calloc(cap + 1, sizeof(*v));
	struct dirent *e;
	DIR *d;

	if (!v)
		return hy_err(err, errlen, -ENOMEM, "out of memory");
	d = opendir(root);
	if (!d) {
		if (errno == ENOENT) {
			*ids = v;
			*n = 0;
			return 0;
		}
		free(v);
		return hy_err(err, errlen, -errno, "open '%s': %s", root, strerror(errno));
	}
	while ((e = readdir(d)) != NULL) {
		struct stat st;

		if (!container_id_valid(e->d_name) ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		if (count == cap) {
			char **nv = realloc(v, (cap * 2 + 1) * sizeof(*v));

			if (!nv)
				goto nomem;
			v = nv;
			cap *= 2;
		}
		if (!(v[count] = strdup(e->d_name)))
			goto nomem;
		v[++count] = NULL;
	}
	closedir(d);
	qsort(v, count, sizeof(*v), cmp_str);
	*ids = v;
	*n = count;
	return 0;
nomem:
	closedir(d);
	for (size_t i = 0; i < count; i++)
		free(v[i]);
	free(v);
	return hy_err(err, errlen, -ENOMEM, "out of memory");
}

/* --- the control socket ------------------------------------------------------------ */

void container_socket_addr(const struct container *c, const char *name, struct sockaddr_un *addr)
{
	*addr = (struct sockaddr_un){.sun_family = AF_UNIX};
	if (snprintf(addr->sun_path, sizeof(addr->sun_path), "%s/%s", c->dir, name) >=
	    (int)sizeof(addr->sun_path))
		snprintf(addr->sun_path, sizeof(addr->sun_path), "/proc/self/fd/%d/%s", c->dirfd,
			 name);
}

int container_control(struct container *c, const struct control_request *req, char *err,
		      size_t errlen)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	char line[CONTROL_LINE_MAX + 1], reply[CONTROL_LINE_MAX + 1];
	size_t len = 0;
	int fd, r, n;

	n = control_request_format(req, line, sizeof(line));
	if (n < 0)
		return hy_err(err, errlen, n, "a control request out of range");
	container_socket_addr(c, HY_CONTROL_SOCKET, &addr);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return hy_err(err, errlen, -errno, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		r = hy_err(err, errlen, -errno, "the VMM's control socket: %s", strerror(errno));
		close(fd);
		return r;
	}
	r = hy_write_all(fd, line, (size_t)n);
	if (r) {
		close(fd);
		return hy_err(err, errlen, r, "the VMM's control socket: %s", strerror(-r));
	}
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t got;

		r = poll(&p, 1, HY_CONTROL_TIMEOUT_S * 1000);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0) {
			close(fd);
			return hy_err(err, errlen, -ETIMEDOUT,
				      "the VMM did not answer \"%.*s\" within %d s", n - 1, line,
				      HY_CONTROL_TIMEOUT_S);
		}
		got = read(fd, reply + len, sizeof(reply) - 1 - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		len += (size_t)got;
		if (memchr(reply, '\n', len) || len == sizeof(reply) - 1)
			break;
	}
	close(fd);
	r = control_reply_parse(reply, len, err, errlen);
	if (r == -EPROTO) {
		char msg[256];

		snprintf(msg, sizeof(msg), "%s", err);
		hy_err(err, errlen, -EIO, "\"%.*s\": %s", n - 1, line, msg);
	}
	return r ? -EIO : 0;
}
