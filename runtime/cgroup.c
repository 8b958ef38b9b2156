/* cgroup.c: the container's control group on cgroupfs (v2, v1 and hybrid), no systemd.
 *
 * One file on purpose, though it is long: a host is v2, v1 or hybrid (v1
 * controllers beside a v2 mount that may hold some of them, as on the build
 * machines), so one container's group is a set of hierarchies (struct
 * cg_hier), and every operation (create, apply the limits, enter, freeze,
 * kill, destroy) walks that set and picks per hierarchy. Split into a v1 and
 * a v2 file, each operation would be cut in two and hybrid mode would live
 * in neither. The seams inside are the sections below: pure helpers
 * (unit-tested), cgroupfs files, hierarchies, creation and limits, the
 * freezer and processes.
 */
#include "runtime/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/devfilter.h"
#include "common/err.h"
#include "common/time.h"

#define CG_ROOT "/sys/fs/cgroup"
#define CG_UNIFIED CG_ROOT "/unified"
#define CG_MAX_HIER 8
/* How long freezing, emptying and removing a group may take. */
#define CG_WAIT_MS 5000
#define CPU_PERIOD_DEFAULT 100000

enum cg_kind { CG_V1, CG_HYBRID, CG_V2 };

/*
 * One hierarchy the group lives in: in v1 one per mounted controller set
 * (cpu and cpuacct may share one), in v2 the unified one. In hybrid mode the
 * controllers are v1 and the group is made in the (controller-less) unified
 * hierarchy too, so that its processes are in a non-root v2 group as well:
 * that gives cgroup.kill, and a v2 view for tools that read only v2.
 */
struct cg_hier {
	char *mnt;	/* mount point: the hierarchy root as this process sees it */
	char *dir;	/* the group's directory: mnt + path */
	unsigned ctrls; /* CG_CTRL_* (v1 only) */
	bool v2;
	bool created; /* the leaf was made by cgroup_create */
};

struct cgroup {
	enum cg_kind kind;
	char path[PATH_MAX]; /* from the hierarchy root, "/hyrun/<id>" */
	struct cg_hier h[CG_MAX_HIER];
	size_t nr;
};

static const struct {
	const char *name;
	unsigned bit;
} controllers[] = {
    {"cpu", CG_CTRL_CPU},	  {"cpuacct", CG_CTRL_CPUACCT}, {"cpuset", CG_CTRL_CPUSET},
    {"memory", CG_CTRL_MEMORY},	  {"pids", CG_CTRL_PIDS},	{"freezer", CG_CTRL_FREEZER},
    {"devices", CG_CTRL_DEVICES},
};

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- pure helpers ---------------------------------------------------------- */

/* Appends path's components to out (which holds "" or "/a/b"), each as "/c". */
static int append_components(char *out, size_t outlen, const char *path)
{
	size_t len = strlen(out);
	const char *p = path;

	while (*p) {
		const char *end;
		size_t n;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		end = strchrnul(p, '/');
		n = (size_t)(end - p);
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return -EINVAL;
		if (len + 1 + n + 1 > outlen)
			return -ENAMETOOLONG;
		out[len++] = '/';
		memcpy(out + len, p, n);
		len += n;
		out[len] = '\0';
		p = end;
	}
	return 0;
}

int cgroup_resolve(const char *path, const char *id, char *out, size_t outlen)
{
	int r;

	if (!outlen)
		return -ENAMETOOLONG;
	out[0] = '\0';
	if (!path || !*path) {
		if (!id || !*id || strchr(id, '/') || !strcmp(id, ".") || !strcmp(id, ".."))
			return -EINVAL;
		r = append_components(out, outlen, CGROUP_DEFAULT_PARENT);
		return r < 0 ? r : append_components(out, outlen, id);
	}
	if (path[0] != '/') {
		r = append_components(out, outlen, CGROUP_DEFAULT_PARENT);
		if (r < 0)
			return r;
	}
	r = append_components(out, outlen, path);
	if (r < 0)
		return r;
	/* The root group itself is never the container's. */
	return out[0] ? 0 : -EINVAL;
}

uint64_t cgroup_shares_to_weight(uint64_t shares)
{
	if (!shares)
		return 0;
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	return 1 + ((shares - 2) * 9999) / 262142;
}

int cgroup_format_cpu_max(int64_t quota, uint64_t period, char *buf, size_t len)
{
	int n;

	if (!period)
		period = CPU_PERIOD_DEFAULT;
	if (quota > 0)
		n = snprintf(buf, len, "%" PRId64 " %" PRIu64, quota, period);
	else
		n = snprintf(buf, len, "max %" PRIu64, period);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int cgroup_swap_v2(int64_t memory, int64_t swap, int64_t *out)
{
	if (swap < 0) {
		*out = -1;
		return 0;
	}
	if (memory < 0 || swap < memory)
		return -EINVAL;
	*out = swap - memory;
	return 0;
}

static void unescape_octal(char *s)
{
	char *w = s;

	for (char *r = s; *r;) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 4;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

int cgroup_parse_mountinfo(const char *line, char *mnt, size_t mntlen)
{
	char buf[4096], *save = NULL, *f, *mountpoint = NULL, *fstype = NULL, *opts = NULL;
	int field = 0;
	bool dash = false;
	int ctrls = 0;

	if (strlen(line) >= sizeof(buf))
		return -1;
	strcpy(buf, line);
	buf[strcspn(buf, "\n")] = '\0';
	/* id parent major:minor root mountpoint options [optional...] - fstype source superopts */
	for (f = strtok_r(buf, " ", &save); f; f = strtok_r(NULL, " ", &save), field++) {
		if (field == 4)
			mountpoint = f;
		if (field < 6)
			continue;
		if (!dash) {
			dash = !strcmp(f, "-");
			field = dash ? 100 : field;
			continue;
		}
		if (field == 101)
			fstype = f;
		else if (field == 103)
			opts = f;
	}
	if (!mountpoint || !fstype || !opts || strcmp(fstype, "cgroup"))
		return -1;
	unescape_octal(mountpoint);
	if (strlen(mountpoint) >= mntlen)
		return -1;
	strcpy(mnt, mountpoint);
	for (f = strtok_r(opts, ",", &save); f; f = strtok_r(NULL, ",", &save))
		for (size_t i = 0; i < ARRAY_SIZE(controllers); i++)
			if (!strcmp(f, controllers[i].name))
				ctrls |= (int)controllers[i].bit;
	return ctrls;
}

/* ---- cgroupfs files -------------------------------------------------------- */

static int cg_write(const char *dir, const char *file, const char *val, char *err, size_t errlen)
{
	char p[PATH_MAX];
	ssize_t n;
	int fd, e;

	snprintf(p, sizeof(p), "%s/%s", dir, file);
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		hy_err(err, errlen, 0, "cgroup: open '%s': %s", p, strerror(e));
		return -e;
	}
	n = write(fd, val, strlen(val));
	e = errno;
	close(fd);
	if (n < 0) {
		hy_err(err, errlen, 0, "cgroup: write '%s' to '%s': %s", val, p, strerror(e));
		return -e;
	}
	return 0;
}

static int cg_write_i64(const char *dir, const char *file, int64_t v, char *err, size_t errlen)
{
	char val[32];

	snprintf(val, sizeof(val), "%" PRId64, v);
	return cg_write(dir, file, val, err, errlen);
}

/* Reads a small cgroupfs file into buf without its trailing newline: length or -errno. */
static ssize_t cg_read(const char *dir, const char *file, char *buf, size_t len)
{
	char p[PATH_MAX];
	ssize_t n, total = 0;
	int fd, e;

	snprintf(p, sizeof(p), "%s/%s", dir, file);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((size_t)total < len - 1) {
		n = read(fd, buf + total, len - 1 - (size_t)total);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = errno;
			close(fd);
			return -e;
		}
		if (!n)
			break;
		total += n;
	}
	close(fd);
	while (total > 0 && buf[total - 1] == '\n')
		total--;
	buf[total] = '\0';
	return total;
}

static bool cg_has_file(const char *dir, const char *file)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", dir, file);
	return access(p, F_OK) == 0;
}

/* ---- hierarchies ----------------------------------------------------------- */

static int add_hier(struct cgroup *cg, const char *mnt, unsigned ctrls, bool v2)
{
	struct cg_hier *h;
	size_t len;

	if (cg->nr == CG_MAX_HIER)
		return -E2BIG;
	h = &cg->h[cg->nr];
	len = strlen(mnt) + strlen(cg->path) + 1;
	h->mnt = strdup(mnt);
	h->dir = malloc(len);
	if (!h->mnt || !h->dir) {
		free(h->mnt);
		free(h->dir);
		h->mnt = h->dir = NULL;
		return -ENOMEM;
	}
	snprintf(h->dir, len, "%s%s", mnt, cg->path);
	h->ctrls = ctrls;
	h->v2 = v2;
	h->created = false;
	cg->nr++;
	return 0;
}

static int add_v1_hiers(struct cgroup *cg, char *err, size_t errlen)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL, mnt[PATH_MAX];
	unsigned seen = 0;
	size_t cap = 0;
	int r = 0, ctrls;

	if (!f) {
		r = -errno;
		hy_err(err, errlen, 0, "cgroup: open '/proc/self/mountinfo': %s", strerror(-r));
		return r;
	}
	while (getline(&line, &cap, f) > 0) {
		ctrls = cgroup_parse_mountinfo(line, mnt, sizeof(mnt));
		/* A hierarchy mounted twice shows its controllers twice: keep the first. */
		if (ctrls <= 0 || ((unsigned)ctrls & seen))
			continue;
		r = add_hier(cg, mnt, (unsigned)ctrls, false);
		if (r < 0) {
			hy_err(err, errlen, 0, "cgroup: too many v1 hierarchies: %s", strerror(-r));
			break;
		}
		seen |= (unsigned)ctrls;
	}
	free(line);
	fclose(f);
	if (!r && !seen) {
		hy_err(err, errlen, 0,
		       "cgroup: '%s' is not cgroup2 and no cgroup v1 controller is "
		       "mounted (/proc/self/mountinfo)",
		       CG_ROOT);
		r = -ENOENT;
	}
	return r;
}

static struct cg_hier *hier_for(struct cgroup *cg, unsigned ctrl)
{
	for (size_t i = 0; i < cg->nr; i++)
		if (cg->kind == CG_V2 ? cg->h[i].v2 : (cg->h[i].ctrls & ctrl) != 0)
			return &cg->h[i];
	return NULL;
}

static struct cg_hier *hier_v2(struct cgroup *cg)
{
	for (size_t i = 0; i < cg->nr; i++)
		if (cg->h[i].v2)
			return &cg->h[i];
	return NULL;
}

/* The hierarchy whose cgroup.procs lists the container's processes. */
static struct cg_hier *hier_procs(struct cgroup *cg)
{
	struct cg_hier *h = hier_v2(cg);

	if (!h)
		h = hier_for(cg, CG_CTRL_FREEZER);
	return h ? h : &cg->h[0];
}

static int cg_setup(struct cgroup **out, const char *path, const char *id, char *err, size_t errlen)
{
	struct cgroup *cg;
	struct statfs st;
	int r;

	*out = NULL;
	cg = calloc(1, sizeof(*cg));
	if (!cg) {
		hy_err(err, errlen, 0, "cgroup: out of memory");
		return -ENOMEM;
	}
	r = cgroup_resolve(path, id, cg->path, sizeof(cg->path));
	if (r < 0) {
		hy_err(err, errlen, 0, "cgroup: invalid path '%s' (id '%s'): %s", path ? path : "",
		       id ? id : "", r == -EINVAL ? "empty, '.' or '..' component" : strerror(-r));
		free(cg);
		return r;
	}
	if (statfs(CG_ROOT, &st) < 0) {
		r = -errno;
		hy_err(err, errlen, 0, "cgroup: statfs '%s': %s", CG_ROOT, strerror(-r));
		free(cg);
		return r;
	}
	if (st.f_type == CGROUP2_SUPER_MAGIC) {
		cg->kind = CG_V2;
		r = add_hier(cg, CG_ROOT, 0, true);
		if (r < 0)
			hy_err(err, errlen, 0, "cgroup: %s", strerror(-r));
	} else {
		r = add_v1_hiers(cg, err, errlen);
		if (!r && statfs(CG_UNIFIED, &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC) {
			cg->kind = CG_HYBRID;
			r = add_hier(cg, CG_UNIFIED, 0, true);
			if (r < 0)
				hy_err(err, errlen, 0, "cgroup: %s", strerror(-r));
		}
	}
	if (r < 0) {
		cgroup_free(cg);
		return r;
	}
	*out = cg;
	return 0;
}

/* ---- creation ---------------------------------------------------------------- */

/* A v1 cpuset group takes no task while cpuset.cpus or .mems is empty: copy the parent's. */
static int cpuset_fill(const char *dir, const char *parent, char *err, size_t errlen)
{
	static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
	char val[4096];
	ssize_t n;
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		n = cg_read(dir, files[i], val, sizeof(val));
		if (n < 0) {
			hy_err(err, errlen, 0, "cgroup: read '%s/%s': %s", dir, files[i],
			       strerror((int)-n));
			return (int)n;
		}
		if (n > 0)
			continue;
		n = cg_read(parent, files[i], val, sizeof(val));
		if (n < 0) {
			hy_err(err, errlen, 0, "cgroup: read '%s/%s': %s", parent, files[i],
			       strerror((int)-n));
			return (int)n;
		}
		r = cg_write(dir, files[i], val, err, errlen);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Whether the space-separated list has the word. */
static bool has_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

/*
 * cgroup v2: a group gets a controller's files only when the parent enables it
 * in cgroup.subtree_control. required: fail when one is not available;
 * wanted: enable when available.
 */
static int v2_enable(const char *dir, unsigned required, unsigned wanted, char *err, size_t errlen)
{
	static const struct {
		const char *name;
		unsigned bit;
	} v2ctrls[] = {
	    {"cpu", CG_CTRL_CPU},
	    {"cpuset", CG_CTRL_CPUSET},
	    {"memory", CG_CTRL_MEMORY},
	    {"pids", CG_CTRL_PIDS},
	};
	char avail[1024], enabled[1024], op[32];
	ssize_t n;
	int r;

	n = cg_read(dir, "cgroup.controllers", avail, sizeof(avail));
	if (n < 0) {
		hy_err(err, errlen, 0, "cgroup: read '%s/cgroup.controllers': %s", dir,
		       strerror((int)-n));
		return (int)n;
	}
	n = cg_read(dir, "cgroup.subtree_control", enabled, sizeof(enabled));
	if (n < 0) {
		hy_err(err, errlen, 0, "cgroup: read '%s/cgroup.subtree_control': %s", dir,
		       strerror((int)-n));
		return (int)n;
	}
	for (size_t i = 0; i < ARRAY_SIZE(v2ctrls); i++) {
		unsigned bit = v2ctrls[i].bit;

		if (!((required | wanted) & bit) || has_word(enabled, v2ctrls[i].name))
			continue;
		if (!has_word(avail, v2ctrls[i].name)) {
			if (!(required & bit))
				continue;
			hy_err(
			    err, errlen, 0,
			    "cgroup: the %s controller is not available in '%s/cgroup.controllers'",
			    v2ctrls[i].name, dir);
			return -ENOTSUP;
		}
		snprintf(op, sizeof(op), "+%s", v2ctrls[i].name);
		/* A parent with processes of its own cannot delegate (EBUSY). */
		r = cg_write(dir, "cgroup.subtree_control", op, err, errlen);
		if (r < 0 && (required & bit))
			return r;
	}
	return 0;
}

/*
 * mkdir -p of the group in one hierarchy, preparing each level on the way:
 * cpuset values in v1, subtree_control in v2. -ENOENT from mkdir means a
 * concurrent cgroup_destroy removed an empty parent: the caller retries.
 */
static int hier_make(struct cgroup *cg, struct cg_hier *h, unsigned required, char *err,
		     size_t errlen)
{
	char dir[PATH_MAX], parent[PATH_MAX];
	const char *p = cg->path;
	int r;

	snprintf(dir, sizeof(dir), "%s", h->mnt);
	while (*p) {
		const char *end = strchrnul(p + 1, '/');
		size_t len = strlen(dir);
		bool leaf = *end == '\0';

		if (h->v2 && cg->kind == CG_V2) {
			r = v2_enable(dir, required, CG_CTRL_MEMORY | CG_CTRL_PIDS, err, errlen);
			if (r < 0)
				return r;
		}
		snprintf(parent, sizeof(parent), "%s", dir);
		if (len + (size_t)(end - p) >= sizeof(dir)) {
			hy_err(err, errlen, 0, "cgroup: path too long: '%s%s'", h->mnt, cg->path);
			return -ENAMETOOLONG;
		}
		memcpy(dir + len, p, (size_t)(end - p));
		dir[len + (size_t)(end - p)] = '\0';
		if (mkdir(dir, 0755) == 0) {
			if (leaf)
				h->created = true;
		} else if (errno != EEXIST) {
			r = -errno;
			hy_err(err, errlen, 0, "cgroup: mkdir '%s': %s", dir, strerror(-r));
			return r;
		}
		if (!h->v2 && (h->ctrls & CG_CTRL_CPUSET)) {
			r = cpuset_fill(dir, parent, err, errlen);
			if (r < 0)
				return r;
		}
		p = end;
	}
	return 0;
}

static int need_hier(struct cgroup *cg, unsigned ctrl, const char *name, const char *what,
		     struct cg_hier **out, char *err, size_t errlen)
{
	*out = hier_for(cg, ctrl);
	if (*out)
		return 0;
	hy_err(err, errlen, 0, "cgroup: %s needs the %s controller, which is not mounted", what,
	       name);
	return -ENOTSUP;
}

static int apply_v1(struct cgroup *cg, const struct cg_limits *lim, char *err, size_t errlen)
{
	struct cg_hier *h;
	int r;

	if (lim->memory_limit >= 0) {
		r = need_hier(cg, CG_CTRL_MEMORY, "memory", "a memory limit", &h, err, errlen);
		if (!r)
			r = cg_write_i64(h->dir, "memory.limit_in_bytes", lim->memory_limit, err,
					 errlen);
		if (r < 0)
			return r;
		/* memory.memsw.* exists only with swap accounting. */
		if (lim->memory_swap >= 0 && cg_has_file(h->dir, "memory.memsw.limit_in_bytes")) {
			r = cg_write_i64(h->dir, "memory.memsw.limit_in_bytes", lim->memory_swap,
					 err, errlen);
			if (r < 0)
				return r;
		}
	}
	if (lim->pids_limit > 0) {
		r = need_hier(cg, CG_CTRL_PIDS, "pids", "a pids limit", &h, err, errlen);
		if (!r)
			r = cg_write_i64(h->dir, "pids.max", lim->pids_limit, err, errlen);
		if (r < 0)
			return r;
	}
	if (lim->cpu_period || lim->cpu_quota > 0 || lim->cpu_shares) {
		r = need_hier(cg, CG_CTRL_CPU, "cpu", "a cpu limit", &h, err, errlen);
		if (r < 0)
			return r;
		if (lim->cpu_period) {
			r = cg_write_i64(h->dir, "cpu.cfs_period_us", (int64_t)lim->cpu_period, err,
					 errlen);
			if (r < 0)
				return r;
		}
		if (lim->cpu_quota > 0) {
			r = cg_write_i64(h->dir, "cpu.cfs_quota_us", lim->cpu_quota, err, errlen);
			if (r < 0)
				return r;
		}
		if (lim->cpu_shares) {
			r = cg_write_i64(h->dir, "cpu.shares", (int64_t)lim->cpu_shares, err,
					 errlen);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int apply_v2(struct cgroup *cg, const struct cg_limits *lim, char *err, size_t errlen)
{
	struct cg_hier *h = hier_v2(cg);
	char val[64];
	int64_t swap;
	int r;

	if (lim->memory_limit >= 0) {
		r = cg_write_i64(h->dir, "memory.max", lim->memory_limit, err, errlen);
		if (r < 0)
			return r;
	}
	/* memory.swap.max exists only with swap accounting. */
	if (lim->memory_swap >= 0 && cg_has_file(h->dir, "memory.swap.max")) {
		if (cgroup_swap_v2(lim->memory_limit, lim->memory_swap, &swap) < 0) {
			hy_err(err, errlen, 0,
			       "cgroup: memory+swap limit %" PRId64
			       " needs a memory limit not above it (memory limit %" PRId64 ")",
			       lim->memory_swap, lim->memory_limit);
			return -EINVAL;
		}
		r = cg_write_i64(h->dir, "memory.swap.max", swap, err, errlen);
		if (r < 0)
			return r;
	}
	if (lim->pids_limit > 0) {
		r = cg_write_i64(h->dir, "pids.max", lim->pids_limit, err, errlen);
		if (r < 0)
			return r;
	}
	if (lim->cpu_period || lim->cpu_quota > 0) {
		cgroup_format_cpu_max(lim->cpu_quota, lim->cpu_period, val, sizeof(val));
		r = cg_write(h->dir, "cpu.max", val, err, errlen);
		if (r < 0)
			return r;
	}
	if (lim->cpu_shares) {
		r = cg_write_i64(h->dir, "cpu.weight",
				 (int64_t)cgroup_shares_to_weight(lim->cpu_shares), err, errlen);
		if (r < 0)
			return r;
	}
	return 0;
}

static int apply_cpuset(struct cgroup *cg, const struct cg_limits *lim, char *err, size_t errlen)
{
	struct cg_hier *h;
	int r;

	if (!lim->cpuset_cpus && !lim->cpuset_mems)
		return 0;
	r = need_hier(cg, CG_CTRL_CPUSET, "cpuset", "a cpuset", &h, err, errlen);
	if (!r && lim->cpuset_cpus)
		r = cg_write(h->dir, "cpuset.cpus", lim->cpuset_cpus, err, errlen);
	if (!r && lim->cpuset_mems)
		r = cg_write(h->dir, "cpuset.mems", lim->cpuset_mems, err, errlen);
	return r;
}

/* Removes the empty parents up to and including CGROUP_DEFAULT_PARENT, which are hyrun's. */
static void remove_default_parents(struct cgroup *cg, struct cg_hier *h)
{
	static const char prefix[] = "/" CGROUP_DEFAULT_PARENT "/";
	char dir[PATH_MAX];
	size_t stop;
	char *slash;

	if (strncmp(cg->path, prefix, sizeof(prefix) - 1))
		return;
	/* dir[stop] is the '/' after the default parent's name. */
	stop = strlen(h->mnt) + sizeof(prefix) - 2;
	snprintf(dir, sizeof(dir), "%s", h->dir);
	while ((slash = strrchr(dir, '/')) && (size_t)(slash - dir) >= stop) {
		*slash = '\0';
		/* Another container's group keeps it busy: that is fine. */
		if (rmdir(dir) < 0)
			return;
	}
}

static unsigned required_ctrls(const struct cg_limits *lim)
{
	unsigned req = 0;

	if (lim->memory_limit >= 0 || lim->memory_swap >= 0)
		req |= CG_CTRL_MEMORY;
	if (lim->pids_limit > 0)
		req |= CG_CTRL_PIDS;
	if (lim->cpu_period || lim->cpu_quota > 0 || lim->cpu_shares)
		req |= CG_CTRL_CPU;
	if (lim->cpuset_cpus || lim->cpuset_mems)
		req |= CG_CTRL_CPUSET;
	return req;
}

int cgroup_create(struct cgroup **out, const char *path, const char *id,
		  const struct cg_limits *lim, char *err, size_t errlen)
{
	static const struct cg_limits none = {
	    .memory_limit = -1, .memory_swap = -1, .pids_limit = -1, .cpu_quota = -1};
	struct cgroup *cg;
	unsigned req;
	int r;

	if (!lim)
		lim = &none;
	req = required_ctrls(lim);
	if (lim->memory_swap >= 0 &&
	    (lim->memory_limit < 0 || lim->memory_swap < lim->memory_limit)) {
		hy_err(err, errlen, 0,
		       "cgroup: memory+swap limit %" PRId64
		       " needs a memory limit not above it (memory limit %" PRId64 ")",
		       lim->memory_swap, lim->memory_limit);
		return -EINVAL;
	}
	r = cg_setup(&cg, path, id, err, errlen);
	if (r < 0)
		return r;
	for (size_t i = 0; i < cg->nr; i++) {
		/* A concurrent destroy may remove an empty parent between two mkdirs. */
		for (int tries = 0; tries < 5; tries++) {
			r = hier_make(cg, &cg->h[i], req, err, errlen);
			if (r != -ENOENT)
				break;
		}
		if (r < 0)
			goto fail;
	}
	r = cg->kind == CG_V2 ? apply_v2(cg, lim, err, errlen) : apply_v1(cg, lim, err, errlen);
	if (!r)
		r = apply_cpuset(cg, lim, err, errlen);
	if (r < 0)
		goto fail;
	*out = cg;
	return 0;
fail:
	for (size_t i = 0; i < cg->nr; i++) {
		if (cg->h[i].created && rmdir(cg->h[i].dir) == 0)
			remove_default_parents(cg, &cg->h[i]);
	}
	cgroup_free(cg);
	return r;
}

int cgroup_open(struct cgroup **out, const char *path, const char *id, char *err, size_t errlen)
{
	struct cgroup *cg;
	struct stat st;
	int r;

	r = cg_setup(&cg, path, id, err, errlen);
	if (r < 0)
		return r;
	if (stat(hier_procs(cg)->dir, &st) < 0)
		r = -errno;
	else if (!S_ISDIR(st.st_mode))
		r = -ENOTDIR;
	if (r < 0) {
		hy_err(err, errlen, 0, "cgroup: '%s': %s", hier_procs(cg)->dir, strerror(-r));
		cgroup_free(cg);
		return r;
	}
	*out = cg;
	return 0;
}

int cgroup_enter(struct cgroup *cg, pid_t pid, char *err, size_t errlen)
{
	char val[32];
	int r;

	snprintf(val, sizeof(val), "%d", (int)pid);
	for (size_t i = 0; i < cg->nr; i++) {
		r = cg_write(cg->h[i].dir, "cgroup.procs", val, err, errlen);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- freezer, processes ------------------------------------------------------ */

/* The freezer: v1's controller where it is mounted, else the v2 core one. */
static struct cg_hier *hier_freezer(struct cgroup *cg)
{
	struct cg_hier *h = cg->kind == CG_V2 ? NULL : hier_for(cg, CG_CTRL_FREEZER);

	return h ? h : hier_v2(cg);
}

/* 1 frozen, 0 not (yet), -errno. */
static int read_frozen(struct cg_hier *h)
{
	char buf[512];
	ssize_t n;

	if (!h->v2) {
		n = cg_read(h->dir, "freezer.state", buf, sizeof(buf));
		return n < 0 ? (int)n : !strcmp(buf, "FROZEN");
	}
	n = cg_read(h->dir, "cgroup.events", buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	for (char *l = buf; l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, "frozen ", 7))
			return l[7] == '1';
	return -ENOTSUP;
}

/*
 * KVM before Linux 6.13 attaches a kernel thread per VM (kvm-nx-lpage-recovery)
 * to the cgroup of the process that made the VM. The v2 freezer never freezes
 * kernel threads but counts them, so the group would never read frozen: move
 * them to the hierarchy root first (they are not the container's).
 */
static void evict_kernel_threads(struct cg_hier *h)
{
	char path[PATH_MAX], buf[1024];
	unsigned long flags;
	long pid;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.procs", h->dir);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fscanf(f, "%ld", &pid) == 1) {
		char stat[64], *p;
		ssize_t n;
		int fd;

		snprintf(stat, sizeof(stat), "/proc/%ld/stat", pid);
		fd = open(stat, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		/* Field 9 (flags) is the 7th after the ")" that ends the name. */
		p = strrchr(buf, ')');
		if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %lu", &flags) != 1)
			continue;
		if (flags & 0x00200000) { /* PF_KTHREAD */
			snprintf(buf, sizeof(buf), "%ld", pid);
			cg_write(h->mnt, "cgroup.procs", buf, NULL, 0);
		}
	}
	fclose(f);
}

int cgroup_freeze(struct cgroup *cg, bool frozen, char *err, size_t errlen)
{
	struct cg_hier *h = hier_freezer(cg);
	const char *file, *val;
	int64_t deadline;
	long delay = 1;
	int r;

	if (!h) {
		hy_err(err, errlen, 0, "cgroup: no freezer: the freezer controller is not mounted");
		return -ENOTSUP;
	}
	file = h->v2 ? "cgroup.freeze" : "freezer.state";
	val = h->v2 ? (frozen ? "1" : "0") : (frozen ? "FROZEN" : "THAWED");
	if (h->v2 && frozen)
		evict_kernel_threads(h);
	deadline = hy_now_ms() + CG_WAIT_MS;
	for (;;) {
		/* v1 may stay FREEZING while a task is busy: asking again retries it. */
		r = cg_write(h->dir, file, val, err, errlen);
		if (r < 0)
			return r;
		r = read_frozen(h);
		if (r < 0) {
			hy_err(err, errlen, 0, "cgroup: read the state of '%s': %s", h->dir,
			       strerror(-r));
			return r;
		}
		if (r == frozen)
			return 0;
		if (hy_now_ms() >= deadline)
			break;
		sleep_ms(delay);
		delay = delay < 16 ? delay * 2 : delay;
	}
	hy_err(err, errlen, 0, "cgroup: '%s/%s' did not become %s within %d ms", h->dir, file,
	       frozen ? "frozen" : "thawed", CG_WAIT_MS);
	if (frozen)
		cg_write(h->dir, file, h->v2 ? "0" : "THAWED", NULL, 0);
	return -ETIMEDOUT;
}

bool cgroup_is_frozen(struct cgroup *cg)
{
	struct cg_hier *h = hier_freezer(cg);

	return h && read_frozen(h) == 1;
}

int cgroup_pids(struct cgroup *cg, pid_t **pids, size_t *n)
{
	char p[PATH_MAX];
	pid_t *v = NULL, *nv;
	size_t nr = 0, cap = 0;
	long pid;
	FILE *f;
	int r = 0;

	*pids = NULL;
	*n = 0;
	snprintf(p, sizeof(p), "%s/cgroup.procs", hier_procs(cg)->dir);
	f = fopen(p, "re");
	if (!f)
		return -errno;
	while (fscanf(f, "%ld", &pid) == 1) {
		if (nr == cap) {
			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				r = -ENOMEM;
				break;
			}
			v = nv;
		}
		v[nr++] = (pid_t)pid;
	}
	if (!r && ferror(f))
		r = -EIO;
	fclose(f);
	if (r < 0) {
		free(v);
		return r;
	}
	*pids = v;
	*n = nr;
	return 0;
}

int cgroup_kill_all(struct cgroup *cg, int sig)
{
	struct cg_hier *h = hier_v2(cg);
	pid_t *pids;
	size_t n;
	int r;

	/* cgroup.kill (Linux 5.14) kills atomically, forks in flight included. */
	if (sig == SIGKILL && h && cg_has_file(h->dir, "cgroup.kill") &&
	    cg_write(h->dir, "cgroup.kill", "1", NULL, 0) == 0)
		return 0;
	r = cgroup_pids(cg, &pids, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if (kill(pids[i], sig) < 0 && errno != ESRCH && !r)
			r = -errno;
	free(pids);
	return r;
}

static bool cg_empty(struct cgroup *cg)
{
	pid_t *pids;
	size_t n;

	if (cgroup_pids(cg, &pids, &n) < 0)
		return true;
	free(pids);
	return n == 0;
}

int cgroup_destroy(struct cgroup *cg)
{
	bool exists = false;
	int64_t deadline;
	int r = 0;

	for (size_t i = 0; i < cg->nr; i++)
		exists |= access(cg->h[i].dir, F_OK) == 0;
	if (!exists)
		return 0;
	/* Frozen, nothing can fork away from the kill; v1 tasks die only once thawed. */
	cgroup_freeze(cg, true, NULL, 0);
	cgroup_kill_all(cg, SIGKILL);
	if (hier_freezer(cg) && access(hier_freezer(cg)->dir, F_OK) == 0)
		cgroup_freeze(cg, false, NULL, 0);
	deadline = hy_now_ms() + CG_WAIT_MS;
	while (!cg_empty(cg) && hy_now_ms() < deadline) {
		cgroup_kill_all(cg, SIGKILL);
		sleep_ms(5);
	}
	for (size_t i = 0; i < cg->nr; i++) {
		struct cg_hier *h = &cg->h[i];

		/* rmdir fails with EBUSY until the last task has left the group. */
		for (;;) {
			if (rmdir(h->dir) == 0 || errno == ENOENT) {
				remove_default_parents(cg, h);
				break;
			}
			if (errno != EBUSY || hy_now_ms() >= deadline) {
				if (!r)
					r = -errno;
				break;
			}
			sleep_ms(5);
		}
	}
	return r;
}

void cgroup_free(struct cgroup *cg)
{
	if (!cg)
		return;
	for (size_t i = 0; i < cg->nr; i++) {
		free(cg->h[i].mnt);
		free(cg->h[i].dir);
	}
	free(cg);
}

const char *cgroup_path(const struct cgroup *cg)
{
	return cg->path;
}

const char *cgroup_mode(const struct cgroup *cg)
{
	return cg->kind == CG_V2 ? "v2" : cg->kind == CG_HYBRID ? "hybrid" : "v1";
}

/* ---- statistics ------------------------------------------------------------- */

#define CG_FILE_MAX (1u << 20)

/* A whole cgroupfs file, malloc'd and NUL-terminated, in *out: 0 or -errno. */
static int cg_slurp(const char *dir, const char *file, char **out)
{
	char p[PATH_MAX], *buf = NULL, *nb;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd, e;

	*out = NULL;
	snprintf(p, sizeof(p), "%s/%s", dir, file);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (cap - len < 2) {
			cap = cap ? cap * 2 : 4096;
			nb = cap <= CG_FILE_MAX ? realloc(buf, cap) : NULL;
			if (!nb) {
				e = cap > CG_FILE_MAX ? EFBIG : ENOMEM;
				goto fail;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = errno;
			goto fail;
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	*out = buf;
	return 0;
fail:
	close(fd);
	free(buf);
	return -e;
}

/* A decimal number or "max" (CG_UNLIMITED), up to a space or newline. */
static int parse_u64(const char *s, uint64_t *v, const char **rest)
{
	unsigned long long x;
	char *end;

	if (!strncmp(s, "max", 3)) {
		*v = CG_UNLIMITED;
		end = (char *)s + 3;
	} else {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		errno = 0;
		x = strtoull(s, &end, 10);
		if (errno)
			return -EINVAL;
		*v = x;
	}
	if (*end && *end != ' ' && *end != '\n')
		return -EINVAL;
	if (rest)
		*rest = end;
	return 0;
}

/* Files that are not there are counters this kernel or hierarchy does not keep. */
static bool absent(int r)
{
	return r == -ENOENT || r == -EOPNOTSUPP;
}

static int stat_u64(const char *dir, const char *file, uint64_t *v, char *err, size_t errlen)
{
	char buf[64];
	ssize_t n;

	if (!dir)
		return 0;
	n = cg_read(dir, file, buf, sizeof(buf));
	if (n < 0 && absent((int)n))
		return 0;
	if (n < 0)
		return hy_err(err, errlen, (int)n, "cgroup: read '%s/%s': %s", dir, file,
			      strerror((int)-n));
	if (parse_u64(buf, v, NULL))
		return hy_err(err, errlen, -EINVAL, "cgroup: '%s/%s': not a number: '%s'", dir,
			      file, buf);
	return 0;
}

/* A "key value" file (cpu.stat, memory.stat, memory.events): its lines, in order. Lines
 * whose value is not a number, or whose key is too long, are skipped. */
static int stat_kv(const char *dir, const char *file, struct cg_stat_kv **out, size_t *nr,
		   char *err, size_t errlen)
{
	struct cg_stat_kv *kv = NULL, *nkv;
	size_t n = 0, cap = 0;
	char *text, *line, *save = NULL;
	int r;

	*out = NULL;
	*nr = 0;
	if (!dir)
		return 0;
	r = cg_slurp(dir, file, &text);
	if (r < 0 && absent(r))
		return 0;
	if (r < 0)
		return hy_err(err, errlen, r, "cgroup: read '%s/%s': %s", dir, file, strerror(-r));
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');
		uint64_t v;

		if (!sp || (size_t)(sp - line) >= sizeof(kv->key) || parse_u64(sp + 1, &v, NULL))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			nkv = realloc(kv, cap * sizeof(*kv));
			if (!nkv) {
				free(kv);
				free(text);
				return hy_err(err, errlen, -ENOMEM, "cgroup: out of memory");
			}
			kv = nkv;
		}
		memcpy(kv[n].key, line, (size_t)(sp - line));
		kv[n].key[sp - line] = '\0';
		kv[n].value = v;
		n++;
	}
	free(text);
	*out = kv;
	*nr = n;
	return 0;
}

static uint64_t kv_get(const struct cg_stat_kv *kv, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(kv[i].key, key))
			return kv[i].value;
	return 0;
}

/* Reads `file` into the key-value list and picks keys[i] into *vals[i]. */
static int stat_pick(const char *dir, const char *file, const char *const *keys, uint64_t **vals,
		     size_t nr, char *err, size_t errlen)
{
	struct cg_stat_kv *kv;
	size_t n;
	int r;

	r = stat_kv(dir, file, &kv, &n, err, errlen);
	if (r < 0)
		return r;
	for (size_t i = 0; i < nr; i++)
		*vals[i] = kv_get(kv, n, keys[i]);
	free(kv);
	return 0;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
	return b && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

/* The files memory.<prefix><names[i]> into *vals[i]. */
static int mem_files(const char *dir, const char *prefix, const char *const *names,
		     uint64_t *const *vals, size_t n, char *err, size_t errlen)
{
	char file[64];
	int r;

	for (size_t i = 0; i < n; i++) {
		snprintf(file, sizeof(file), "memory.%s%s", prefix, names[i]);
		r = stat_u64(dir, file, vals[i], err, errlen);
		if (r < 0)
			return r;
	}
	return 0;
}

/* memory.<prefix>current, .peak, .max (v2). */
static int mem_entry_v2(const char *dir, const char *prefix, struct cg_mem_entry *e, char *err,
			size_t errlen)
{
	static const char *const names[] = {"current", "peak", "max"};
	uint64_t *const vals[] = {&e->usage, &e->max_usage, &e->limit};

	return mem_files(dir, prefix, names, vals, ARRAY_SIZE(names), err, errlen);
}

static int stats_v2(const char *dir, struct cg_stats *st, char *err, size_t errlen)
{
	static const char *const cpu_keys[] = {"usage_usec", "user_usec",    "system_usec",
					       "nr_periods", "nr_throttled", "throttled_usec"};
	static const char *const ev_keys[] = {"max", "oom_kill"};
	uint64_t *cpu_vals[] = {&st->cpu_total,	 &st->cpu_user,	    &st->cpu_kernel,
				&st->nr_periods, &st->nr_throttled, &st->throttled_time};
	uint64_t *ev_vals[] = {&st->mem.failcnt, &st->oom_kills};
	int r;

	r = stat_pick(dir, "cpu.stat", cpu_keys, cpu_vals, ARRAY_SIZE(cpu_keys), err, errlen);
	if (r < 0)
		return r;
	st->cpu_total = sat_mul(st->cpu_total, 1000);
	st->cpu_user = sat_mul(st->cpu_user, 1000);
	st->cpu_kernel = sat_mul(st->cpu_kernel, 1000);
	st->throttled_time = sat_mul(st->throttled_time, 1000);

	if ((r = mem_entry_v2(dir, "", &st->mem, err, errlen)) < 0 ||
	    (r = stat_pick(dir, "memory.events", ev_keys, ev_vals, ARRAY_SIZE(ev_keys), err,
			   errlen)) < 0 ||
	    (r = stat_kv(dir, "memory.stat", &st->raw, &st->nr_raw, err, errlen)) < 0)
		return r;
	st->cache = kv_get(st->raw, st->nr_raw, "file");
	/* v2 counts swap alone; report memory + swap, as v1's memsw does (and runc). */
	if (cg_has_file(dir, "memory.swap.current")) {
		r = mem_entry_v2(dir, "swap.", &st->swap, err, errlen);
		if (r < 0)
			return r;
		st->swap.usage = sat_add(st->swap.usage, st->mem.usage);
		if (st->swap.limit != CG_UNLIMITED)
			st->swap.limit = sat_add(st->swap.limit, st->mem.limit);
	}

	if ((r = stat_u64(dir, "pids.current", &st->pids_current, err, errlen)) < 0 ||
	    (r = stat_u64(dir, "pids.max", &st->pids_limit, err, errlen)) < 0)
		return r;
	if (st->pids_limit == CG_UNLIMITED)
		st->pids_limit = 0;
	return 0;
}

/* memory.<prefix>usage_in_bytes, max_usage_in_bytes, limit_in_bytes, failcnt (v1). */
static int mem_entry_v1(const char *dir, const char *prefix, struct cg_mem_entry *e, char *err,
			size_t errlen)
{
	static const char *const names[] = {"usage_in_bytes", "max_usage_in_bytes",
					    "limit_in_bytes", "failcnt"};
	uint64_t *const vals[] = {&e->usage, &e->max_usage, &e->limit, &e->failcnt};

	return mem_files(dir, prefix, names, vals, ARRAY_SIZE(names), err, errlen);
}

static int percpu_v1(const char *dir, struct cg_stats *st, char *err, size_t errlen)
{
	const char *p;
	char *text;
	size_t cap = 0;
	uint64_t v, *nv;
	int r;

	if (!dir)
		return 0;
	r = cg_slurp(dir, "cpuacct.usage_percpu", &text);
	if (r < 0 && absent(r))
		return 0;
	if (r < 0)
		return hy_err(err, errlen, r, "cgroup: read '%s/cpuacct.usage_percpu': %s", dir,
			      strerror(-r));
	for (p = text; *p;) {
		while (*p == ' ' || *p == '\n')
			p++;
		if (!*p)
			break;
		if (parse_u64(p, &v, &p)) {
			r = hy_err(err, errlen, -EINVAL,
				   "cgroup: '%s/cpuacct.usage_percpu': not a list of numbers", dir);
			break;
		}
		if (st->nr_percpu == cap) {
			cap = cap ? cap * 2 : 16;
			nv = realloc(st->percpu, cap * sizeof(*nv));
			if (!nv) {
				r = hy_err(err, errlen, -ENOMEM, "cgroup: out of memory");
				break;
			}
			st->percpu = nv;
		}
		st->percpu[st->nr_percpu++] = v;
	}
	free(text);
	return r;
}

static int stats_v1(const struct cg_stats_dirs *d, struct cg_stats *st, char *err, size_t errlen)
{
	static const char *const acct_keys[] = {"user", "system"};
	static const char *const cpu_keys[] = {"nr_periods", "nr_throttled", "throttled_time"};
	static const char *const oom_keys[] = {"oom_kill"};
	uint64_t *acct_vals[] = {&st->cpu_user, &st->cpu_kernel};
	uint64_t *cpu_vals[] = {&st->nr_periods, &st->nr_throttled, &st->throttled_time};
	uint64_t *oom_vals[] = {&st->oom_kills};
	long hz = sysconf(_SC_CLK_TCK);
	int r;

	if ((r = stat_u64(d->cpuacct, "cpuacct.usage", &st->cpu_total, err, errlen)) < 0 ||
	    (r = percpu_v1(d->cpuacct, st, err, errlen)) < 0 ||
	    (r = stat_pick(d->cpuacct, "cpuacct.stat", acct_keys, acct_vals, 2, err, errlen)) < 0 ||
	    (r = stat_pick(d->cpu, "cpu.stat", cpu_keys, cpu_vals, 3, err, errlen)) < 0)
		return r;
	/* cpuacct.stat counts USER_HZ ticks. */
	if (hz <= 0)
		hz = 100;
	st->cpu_user = sat_mul(st->cpu_user, 1000000000ULL / (uint64_t)hz);
	st->cpu_kernel = sat_mul(st->cpu_kernel, 1000000000ULL / (uint64_t)hz);

	if ((r = mem_entry_v1(d->memory, "", &st->mem, err, errlen)) < 0 ||
	    (r = mem_entry_v1(d->memory, "memsw.", &st->swap, err, errlen)) < 0 ||
	    (r = mem_entry_v1(d->memory, "kmem.", &st->kernel, err, errlen)) < 0 ||
	    (r = mem_entry_v1(d->memory, "kmem.tcp.", &st->kernel_tcp, err, errlen)) < 0 ||
	    (r = stat_pick(d->memory, "memory.oom_control", oom_keys, oom_vals, 1, err, errlen)) <
		0 ||
	    (r = stat_kv(d->memory, "memory.stat", &st->raw, &st->nr_raw, err, errlen)) < 0)
		return r;
	st->cache = kv_get(st->raw, st->nr_raw, "cache");

	if ((r = stat_u64(d->pids, "pids.current", &st->pids_current, err, errlen)) < 0 ||
	    (r = stat_u64(d->pids, "pids.max", &st->pids_limit, err, errlen)) < 0)
		return r;
	if (st->pids_limit == CG_UNLIMITED)
		st->pids_limit = 0;
	return 0;
}

int cgroup_stats_read(const struct cg_stats_dirs *d, struct cg_stats *st, char *err, size_t errlen)
{
	const char *dirs[] = {d->cpu, d->cpuacct, d->memory, d->pids};
	struct stat sb;
	int r;

	memset(st, 0, sizeof(*st));
	/* A group that is gone is an error; a file that is missing is a counter not kept. */
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
		if (dirs[i] && stat(dirs[i], &sb) < 0)
			return hy_err(err, errlen, -errno, "cgroup: '%s': %s", dirs[i],
				      strerror(errno));
	r = d->v2 ? stats_v2(d->cpu, st, err, errlen) : stats_v1(d, st, err, errlen);
	if (r < 0)
		cgroup_stats_free(st);
	return r;
}

int cgroup_stats(struct cgroup *cg, struct cg_stats *st, char *err, size_t errlen)
{
	struct cg_stats_dirs d = {.v2 = cg->kind == CG_V2};
	struct cg_hier *h;

	if (d.v2) {
		h = hier_v2(cg);
		d.cpu = d.cpuacct = d.memory = d.pids = h->dir;
	} else {
		d.cpu = (h = hier_for(cg, CG_CTRL_CPU)) ? h->dir : NULL;
		d.cpuacct = (h = hier_for(cg, CG_CTRL_CPUACCT)) ? h->dir : NULL;
		d.memory = (h = hier_for(cg, CG_CTRL_MEMORY)) ? h->dir : NULL;
		d.pids = (h = hier_for(cg, CG_CTRL_PIDS)) ? h->dir : NULL;
	}
	return cgroup_stats_read(&d, st, err, errlen);
}

void cgroup_stats_free(struct cg_stats *st)
{
	free(st->percpu);
	free(st->raw);
	st->percpu = NULL;
	st->raw = NULL;
	st->nr_percpu = st->nr_raw = 0;
}

/* ---- updates ---------------------------------------------------------------- */

/* A limit as cgroupfs takes it: -1 is "max" in v2, -1 in v1. */
static int cg_write_limit(const struct cg_hier *h, const char *file, int64_t v, char *err,
			  size_t errlen)
{
	if (v < 0)
		return cg_write(h->dir, file, h->v2 ? "max" : "-1", err, errlen);
	return cg_write_i64(h->dir, file, v, err, errlen);
}

/*
 * cgroup v2: a group has a controller's files only while its parent enables
 * the controller in cgroup.subtree_control. create enabled those its limits
 * needed (and memory and pids); an update may need more.
 */
static int v2_enable_parents(struct cgroup *cg, struct cg_hier *h, unsigned required, char *err,
			     size_t errlen)
{
	char dir[PATH_MAX];
	const char *p = cg->path;
	int r;

	snprintf(dir, sizeof(dir), "%s", h->mnt);
	while (*p) {
		const char *end = strchrnul(p + 1, '/');
		size_t len = strlen(dir);

		r = v2_enable(dir, required, 0, err, errlen);
		if (r < 0)
			return r;
		if (len + (size_t)(end - p) >= sizeof(dir))
			return hy_err(err, errlen, -ENAMETOOLONG, "cgroup: path too long: '%s%s'",
				      h->mnt, cg->path);
		memcpy(dir + len, p, (size_t)(end - p));
		dir[len + (size_t)(end - p)] = '\0';
		p = end;
	}
	return 0;
}

/* cpu.max now: quota (-1 for "max") and period. */
static int read_cpu_max(const char *dir, int64_t *quota, uint64_t *period, char *err, size_t errlen)
{
	char buf[64];
	const char *rest;
	uint64_t q;
	ssize_t n;

	n = cg_read(dir, "cpu.max", buf, sizeof(buf));
	if (n < 0)
		return hy_err(err, errlen, (int)n, "cgroup: read '%s/cpu.max': %s", dir,
			      strerror((int)-n));
	if (parse_u64(buf, &q, &rest) || *rest != ' ' || parse_u64(rest + 1, period, NULL) ||
	    *period == CG_UNLIMITED || (q != CG_UNLIMITED && q > INT64_MAX))
		return hy_err(err, errlen, -EINVAL, "cgroup: '%s/cpu.max': unexpected '%s'", dir,
			      buf);
	*quota = q == CG_UNLIMITED ? -1 : (int64_t)q;
	return 0;
}

static int update_v2(struct cgroup *cg, const struct cg_update *u, char *err, size_t errlen)
{
	struct cg_hier *h = hier_v2(cg);
	unsigned req = 0;
	char val[64];
	int r;

	if (u->has_memory || u->has_memory_swap || u->has_memory_reservation)
		req |= CG_CTRL_MEMORY;
	if (u->has_cpu_quota || u->has_cpu_period || u->has_cpu_shares)
		req |= CG_CTRL_CPU;
	if (u->has_pids)
		req |= CG_CTRL_PIDS;
	if (u->cpuset_cpus || u->cpuset_mems)
		req |= CG_CTRL_CPUSET;
	r = v2_enable_parents(cg, h, req, err, errlen);
	if (r < 0)
		return r;

	if (u->has_memory && (r = cg_write_limit(h, "memory.max", u->memory, err, errlen)) < 0)
		return r;
	if (u->has_memory_reservation &&
	    (r = cg_write_limit(h, "memory.low", u->memory_reservation, err, errlen)) < 0)
		return r;
	/* memory.swap.max exists only with swap accounting. */
	if (u->has_memory_swap && cg_has_file(h->dir, "memory.swap.max")) {
		int64_t mem = u->memory, swap;

		if (!u->has_memory) {
			uint64_t cur = CG_UNLIMITED;

			r = stat_u64(h->dir, "memory.max", &cur, err, errlen);
			if (r < 0)
				return r;
			mem = cur > INT64_MAX ? -1 : (int64_t)cur;
		}
		if (cgroup_swap_v2(mem, u->memory_swap, &swap) < 0)
			return hy_err(err, errlen, -EINVAL,
				      "cgroup: memory+swap limit %" PRId64
				      " needs a memory limit not above it (memory limit %" PRId64
				      ")",
				      u->memory_swap, mem);
		r = cg_write_limit(h, "memory.swap.max", swap, err, errlen);
		if (r < 0)
			return r;
	}

	if (u->has_cpu_quota || u->has_cpu_period) {
		int64_t quota = -1;
		uint64_t period = 0;

		r = read_cpu_max(h->dir, &quota, &period, err, errlen);
		if (r < 0)
			return r;
		if (u->has_cpu_quota)
			quota = u->cpu_quota;
		if (u->has_cpu_period)
			period = u->cpu_period;
		cgroup_format_cpu_max(quota, period, val, sizeof(val));
		r = cg_write(h->dir, "cpu.max", val, err, errlen);
		if (r < 0)
			return r;
	}
	if (u->has_cpu_shares &&
	    (r = cg_write_i64(h->dir, "cpu.weight", (int64_t)cgroup_shares_to_weight(u->cpu_shares),
			      err, errlen)) < 0)
		return r;
	if (u->has_pids && (r = cg_write_limit(h, "pids.max", u->pids, err, errlen)) < 0)
		return r;
	return 0;
}

static int update_v1_memory(struct cgroup *cg, const struct cg_update *u, char *err, size_t errlen)
{
	struct cg_hier *h;
	bool swap;
	int r;

	if (!u->has_memory && !u->has_memory_swap && !u->has_memory_reservation)
		return 0;
	r = need_hier(cg, CG_CTRL_MEMORY, "memory", "a memory limit", &h, err, errlen);
	if (r < 0)
		return r;
	/* memory.memsw.* exists only with swap accounting. */
	swap = u->has_memory_swap && cg_has_file(h->dir, "memory.memsw.limit_in_bytes");
	if (u->has_memory) {
		/* The kernel keeps memsw.limit >= limit at every step: raising both
		 * needs memsw first, lowering both needs memory first. */
		r = cg_write_limit(h, "memory.limit_in_bytes", u->memory, NULL, 0);
		if (r == -EINVAL && swap) {
			r = cg_write_limit(h, "memory.memsw.limit_in_bytes", u->memory_swap, err,
					   errlen);
			if (r < 0)
				return r;
			swap = false;
		}
		r = cg_write_limit(h, "memory.limit_in_bytes", u->memory, err, errlen);
		if (r < 0)
			return r;
	}
	if (swap &&
	    (r = cg_write_limit(h, "memory.memsw.limit_in_bytes", u->memory_swap, err, errlen)) < 0)
		return r;
	if (u->has_memory_reservation &&
	    (r = cg_write_limit(h, "memory.soft_limit_in_bytes", u->memory_reservation, err,
				errlen)) < 0)
		return r;
	return 0;
}

static int update_v1(struct cgroup *cg, const struct cg_update *u, char *err, size_t errlen)
{
	struct cg_hier *h;
	int r;

	r = update_v1_memory(cg, u, err, errlen);
	if (r < 0)
		return r;
	if (u->has_cpu_quota || u->has_cpu_period || u->has_cpu_shares) {
		r = need_hier(cg, CG_CTRL_CPU, "cpu", "a cpu limit", &h, err, errlen);
		if (r < 0)
			return r;
		if (u->has_cpu_period &&
		    (r = cg_write_i64(h->dir, "cpu.cfs_period_us", (int64_t)u->cpu_period, err,
				      errlen)) < 0)
			return r;
		if (u->has_cpu_quota &&
		    (r = cg_write_limit(h, "cpu.cfs_quota_us", u->cpu_quota, err, errlen)) < 0)
			return r;
		if (u->has_cpu_shares &&
		    (r = cg_write_i64(h->dir, "cpu.shares", (int64_t)u->cpu_shares, err, errlen)) <
			0)
			return r;
	}
	if (u->has_pids) {
		r = need_hier(cg, CG_CTRL_PIDS, "pids", "a pids limit", &h, err, errlen);
		if (r < 0)
			return r;
		r = u->pids < 0 ? cg_write(h->dir, "pids.max", "max", err, errlen)
				: cg_write_i64(h->dir, "pids.max", u->pids, err, errlen);
		if (r < 0)
			return r;
	}
	return 0;
}

int cgroup_update(struct cgroup *cg, const struct cg_update *u, char *err, size_t errlen)
{
	struct cg_limits lim = {.cpuset_cpus = u->cpuset_cpus, .cpuset_mems = u->cpuset_mems};
	int r;

	r = cg->kind == CG_V2 ? update_v2(cg, u, err, errlen) : update_v1(cg, u, err, errlen);
	if (r < 0)
		return r;
	return apply_cpuset(cg, &lim, err, errlen);
}

/* ---- devices ------------------------------------------------------------------ */

/*
 * What hyrun-vmm may open by path in its jail: /dev/null (the control
 * server's reserve descriptor, vmm/control.c), zero and urandom (the jail's
 * read-only binds), and full and random, harmless, as runc and crun allow
 * them to every container. No mknod: the VMM makes no device node (its
 * virtio-fs server refuses those the guest asks for, and the kernel lets
 * overlayfs's 0:0 whiteouts through the device cgroup).
 */
#define RW .read = true, .write = true
const struct gc_device_rule cgroup_vmm_device_rules[CGROUP_VMM_NR_DEVICES] = {
    {.allow = true, .type = 'c', .major = 1, .minor = 3, RW}, /* null */
    {.allow = true, .type = 'c', .major = 1, .minor = 5, RW}, /* zero */
    {.allow = true, .type = 'c', .major = 1, .minor = 7, RW}, /* full */
    {.allow = true, .type = 'c', .major = 1, .minor = 8, RW}, /* random */
    {.allow = true, .type = 'c', .major = 1, .minor = 9, RW}, /* urandom */
};
#undef RW

/* v1: deny all, then allow the list, in the group's own devices directory. */
static int devices_v1(const struct cg_hier *h, char *err, size_t errlen)
{
	char line[64];
	int r;

	r = cg_write(h->dir, "devices.deny", "a", err, errlen);
	for (size_t i = 0; !r && i < CGROUP_VMM_NR_DEVICES; i++) {
		const struct gc_device_rule *d = &cgroup_vmm_device_rules[i];

		snprintf(line, sizeof(line), "%c %lld:%lld %s%s%s", d->type, (long long)d->major,
			 (long long)d->minor, d->read ? "r" : "", d->write ? "w" : "",
			 d->mknod ? "m" : "");
		r = cg_write(h->dir, "devices.allow", line, err, errlen);
	}
	return r;
}

static int devices_v2(const struct cg_hier *h, char *err, size_t errlen)
{
	char msg[512];
	int fd, r;

	fd = open(h->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return hy_err(err, errlen, -errno, "cgroup %s: open: %s", h->dir, strerror(errno));
	r = devfilter_install(fd, cgroup_vmm_device_rules, CGROUP_VMM_NR_DEVICES, BPF_F_ALLOW_MULTI,
			      msg, sizeof(msg));
	close(fd);
	if (r < 0)
		return hy_err(err, errlen, r, "cgroup %s: %s", h->dir, msg);
	return 0;
}

int cgroup_vmm_devices(struct cgroup *cg, char *err, size_t errlen)
{
	struct cg_hier *h;

	for (size_t i = 0; i < cg->nr; i++)
		if (!cg->h[i].created)
			return hy_err(err, errlen, 1,
				      "cgroup %s existed before: no device rules of hyrun's on it",
				      cg->h[i].dir);
	h = cg->kind == CG_V2 ? NULL : hier_for(cg, CG_CTRL_DEVICES);
	if (h)
		return devices_v1(h, err, errlen);
	h = hier_v2(cg);
	if (h)
		return devices_v2(h, err, errlen);
	return hy_err(err, errlen, 1, "cgroup %s: no devices controller mounted: no device rules",
		      cgroup_path(cg));
}
