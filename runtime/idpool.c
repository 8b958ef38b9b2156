/* idpool.c: host id ranges for the VMMs' user namespaces (idpool.h). */
#include "runtime/idpool.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "runtime/runtime.h"

int idpool_parse(const char *s, uint32_t *first, unsigned *ranges, char *err, size_t errlen)
{
	const char *orig = s;
	unsigned long long f, n;
	char *end;

	*first = IDPOOL_FIRST_DEFAULT;
	*ranges = IDPOOL_RANGES_DEFAULT;
	if (!s || !*s)
		return 0;
	errno = 0;
	f = strtoull(s, &end, 10);
	if (errno || end == s || *end != ':')
		goto bad;
	s = end + 1;
	n = strtoull(s, &end, 10);
	if (errno || end == s || *end)
		goto bad;
	/* uid 0 and the last id (-1, "no id") stay out; the ranges must fit below it. */
	if (f == 0 || n == 0 || n > UINT32_MAX / IDPOOL_RANGE ||
	    f + n * IDPOOL_RANGE > (unsigned long long)UINT32_MAX)
		goto bad;
	*first = (uint32_t)f;
	*ranges = (unsigned)n;
	return 0;
bad:
	return hy_err(err, errlen, -EINVAL,
		      "$%s: '%s' is not FIRST:RANGES (host ids FIRST to FIRST+RANGES*%u-1, "
		      "above 0 and below 4294967295)",
		      HY_ENV_VMM_IDS, orig, IDPOOL_RANGE);
}

/* FNV-1a of owner: where the search for a free range starts. */
static unsigned start_slot(const char *owner, unsigned ranges)
{
	uint32_t h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)owner; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h % ranges;
}

/* Whether the range file `name` is held by a container that still exists. */
static int held(int dir, const char *name)
{
	char owner[PATH_MAX];
	struct stat st;
	int n = rt_read_at(dir, name, owner, sizeof(owner));

	if (n < 0)
		return n != -ENOENT;
	if (n == 0)
		return 0; /* written by a create that died at once */
	return owner[0] == '/' && stat(owner, &st) == 0 && S_ISDIR(st.st_mode);
}

static int pool_lock(const char *pool_dir, int *dir, char *err, size_t errlen)
{
	if (mkdir(pool_dir, 0700) < 0 && errno != EEXIST)
		return hy_err(err, errlen, -errno, "%s: %s", pool_dir, strerror(errno));
	*dir = open(pool_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (*dir < 0)
		return hy_err(err, errlen, -errno, "%s: %s", pool_dir, strerror(errno));
	if (flock(*dir, LOCK_EX) < 0) {
		int e = errno;

		close(*dir);
		return hy_err(err, errlen, -e, "%s: lock: %s", pool_dir, strerror(e));
	}
	return 0;
}

int idpool_take(const char *pool_dir, const char *owner, struct idpool_range *r, char *err,
		size_t errlen)
{
	unsigned ranges, slot;
	uint32_t first;
	char name[16];
	int dir, fd, e;

	if (idpool_parse(getenv(HY_ENV_VMM_IDS), &first, &ranges, err, errlen))
		return -EINVAL;
	if (pool_lock(pool_dir, &dir, err, errlen))
		return -1;
	slot = start_slot(owner, ranges);
	for (unsigned i = 0; i < ranges; i++, slot = (slot + 1) % ranges) {
		snprintf(name, sizeof(name), "%u", slot);
		if (held(dir, name))
			continue;
		unlinkat(dir, name, 0);
		fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0) {
			e = errno;
			close(dir);
			return hy_err(err, errlen, -e, "%s/%s: %s", pool_dir, name, strerror(e));
		}
		if (write(fd, owner, strlen(owner)) != (ssize_t)strlen(owner)) {
			e = errno ? errno : EIO;
			close(fd);
			unlinkat(dir, name, 0);
			close(dir);
			return hy_err(err, errlen, -e, "%s/%s: %s", pool_dir, name, strerror(e));
		}
		close(fd);
		close(dir);
		r->slot = slot;
		r->first = first + slot * IDPOOL_RANGE;
		r->size = IDPOOL_RANGE;
		return 0;
	}
	close(dir);
	return hy_err(err, errlen, -EAGAIN,
		      "all %u host id ranges for VMMs are in use (%s; $%s sets the pool)", ranges,
		      pool_dir, HY_ENV_VMM_IDS);
}

void idpool_release(const char *pool_dir, const char *owner, unsigned slot)
{
	char name[16], buf[PATH_MAX];
	int dir;

	if (pool_lock(pool_dir, &dir, buf, sizeof(buf)))
		return;
	snprintf(name, sizeof(name), "%u", slot);
	if (rt_read_at(dir, name, buf, sizeof(buf)) >= 0 && !strcmp(buf, owner))
		unlinkat(dir, name, 0);
	close(dir);
}
