/* update.c: `hyrun update`: new limits for the VMM's cgroup and the guest's (update.h). */
#include "runtime/update.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "common/err.h"
#include "common/fdio.h"
#include "oci/linux.h"
#include "runtime/agent.h"
#include "runtime/container.h"
#include "runtime/defaults.h"
#include "runtime/runtime.h"

#define MIB ((int64_t)1 << 20)
#define RESOURCES_MAX (1u << 20)

/* ---- parsing ------------------------------------------------------------------ */

int update_parse_size(const char *s, int64_t *out)
{
	static const char units[] = "kmgtp";
	uint64_t ip = 0, frac = 0, scale = 1, mult = 1, v;
	const char *p = s, *u;

	if (!strcmp(s, "-1")) {
		*out = -1;
		return 0;
	}
	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (ip > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		ip = ip * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		if (p[1] < '0' || p[1] > '9')
			return -EINVAL;
		/* Digits beyond the 18th cannot change a byte count. */
		for (p++; *p >= '0' && *p <= '9'; p++)
			if (scale < 1000000000000000000ULL) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				scale *= 10;
			}
	}
	if (*p == ' ')
		p++;
	if (*p && (u = strchr(units, *p | 0x20))) {
		for (long i = 0; i <= u - units; i++)
			mult *= 1024;
		p++;
		if (*p == 'i' || *p == 'I')
			p++;
	}
	if (*p == 'b' || *p == 'B')
		p++;
	if (*p)
		return -EINVAL;
	if (ip > (uint64_t)INT64_MAX / mult)
		return -EINVAL;
	v = ip * mult;
	/* frac / scale < 1: the fraction adds less than mult. */
	v += (uint64_t)((unsigned __int128)frac * mult / scale);
	if (v > (uint64_t)INT64_MAX)
		return -EINVAL;
	*out = (int64_t)v;
	return 0;
}

static int parse_i64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (!*s)
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_u64(const char *s, uint64_t *out)
{
	int64_t v;

	if (parse_i64(s, &v) || v < 0)
		return -EINVAL;
	*out = (uint64_t)v;
	return 0;
}

static int copy_cpuset(char *dst, const char *src, const char *what, char *err, size_t errlen)
{
	if (strlen(src) >= UPDATE_CPUSET_MAX)
		return hy_err(err, errlen, -EINVAL, "%s: too long", what);
	strcpy(dst, src);
	return 0;
}

int update_parse_args(int argc, char **argv, struct update_opts *o, char *err, size_t errlen)
{
	enum {
		OPT_BLKIO = 0x100,
		OPT_CPU_PERIOD,
		OPT_CPU_QUOTA,
		OPT_CPU_SHARES,
		OPT_CPUSET_CPUS,
		OPT_CPUSET_MEMS,
		OPT_KMEM,
		OPT_MEMORY,
		OPT_MEMORY_RES,
		OPT_MEMORY_SWAP,
		OPT_PIDS,
	};
	static const struct option opts[] = {
	    {"resources", required_argument, NULL, 'r'},
	    {"blkio-weight", required_argument, NULL, OPT_BLKIO},
	    {"cpu-period", required_argument, NULL, OPT_CPU_PERIOD},
	    {"cpu-quota", required_argument, NULL, OPT_CPU_QUOTA},
	    {"cpu-share", required_argument, NULL, OPT_CPU_SHARES},
	    {"cpu-shares", required_argument, NULL, OPT_CPU_SHARES},
	    {"cpuset-cpus", required_argument, NULL, OPT_CPUSET_CPUS},
	    {"cpuset-mems", required_argument, NULL, OPT_CPUSET_MEMS},
	    {"kernel-memory", required_argument, NULL, OPT_KMEM},
	    {"kernel-memory-tcp", required_argument, NULL, OPT_KMEM},
	    {"memory", required_argument, NULL, OPT_MEMORY},
	    {"memory-reservation", required_argument, NULL, OPT_MEMORY_RES},
	    {"memory-swap", required_argument, NULL, OPT_MEMORY_SWAP},
	    {"pids-limit", required_argument, NULL, OPT_PIDS},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct update_req *r = &o->req;
	int c, idx;

	memset(o, 0, sizeof(*o));
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:r:h", opts, &idx)) != -1) {
		const char *name = c >= 0x100 ? opts[idx].name : NULL;
		int bad = 0;

		o->other_options |= c >= 0x100;
		switch (c) {
		case 'r':
			o->resources = optarg;
			break;
		case 'h':
			return 1;
		case OPT_BLKIO:
			bad = parse_u64(optarg, &r->blkio_weight);
			break;
		case OPT_CPU_PERIOD:
			bad = parse_u64(optarg, &r->cpu_period);
			break;
		case OPT_CPU_QUOTA:
			bad = parse_i64(optarg, &r->cpu_quota);
			break;
		case OPT_CPU_SHARES:
			bad = parse_u64(optarg, &r->cpu_shares);
			break;
		case OPT_CPUSET_CPUS:
			if (copy_cpuset(r->cpus, optarg, "--cpuset-cpus", err, errlen))
				return -EINVAL;
			break;
		case OPT_CPUSET_MEMS:
			if (copy_cpuset(r->mems, optarg, "--cpuset-mems", err, errlen))
				return -EINVAL;
			break;
		case OPT_KMEM:
			r->kernel_memory = true;
			break;
		case OPT_MEMORY:
			bad = update_parse_size(optarg, &r->memory);
			break;
		case OPT_MEMORY_RES:
			bad = update_parse_size(optarg, &r->memory_reservation);
			break;
		case OPT_MEMORY_SWAP:
			bad = update_parse_size(optarg, &r->memory_swap);
			break;
		case OPT_PIDS:
			bad = parse_i64(optarg, &r->pids);
			break;
		case ':':
			return hy_err(err, errlen, -EINVAL, "update: option '%s' needs a value",
				      argv[optind - 1]);
		default:
			return hy_err(err, errlen, -EINVAL,
				      "update: unknown option '%s' (see hyrun update --help)",
				      argv[optind - 1]);
		}
		if (bad)
			return hy_err(err, errlen, -EINVAL, "invalid value for %s: \"%s\"", name,
				      optarg);
	}
	if (argc - optind != 1)
		return hy_err(
		    err, errlen, -EINVAL,
		    "\"update\" requires exactly 1 argument(s) (see hyrun update --help)");
	o->id = argv[optind];
	return 0;
}

/* A JSON integer member of obj into *out; null or absent leaves it. */
static int get_int(json_t *obj, const char *key, const char *where, bool sign, int64_t *out,
		   char *err, size_t errlen)
{
	json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || (!sign && json_integer_value(v) < 0))
		return hy_err(err, errlen, -EINVAL, "%s.%s: must be %s", where, key,
			      sign ? "an integer" : "a non-negative integer");
	*out = json_integer_value(v);
	return 0;
}

static int get_cpuset(json_t *obj, const char *key, char *dst, char *err, size_t errlen)
{
	json_t *v = json_object_get(obj, key);
	char what[32];

	if (!v || json_is_null(v))
		return 0;
	snprintf(what, sizeof(what), "cpu.%s", key);
	if (!json_is_string(v))
		return hy_err(err, errlen, -EINVAL, "%s: must be a string", what);
	return copy_cpuset(dst, json_string_value(v), what, err, errlen);
}

static json_t *get_object(json_t *doc, const char *key, char *err, size_t errlen, int *r)
{
	json_t *v = json_object_get(doc, key);

	*r = 0;
	if (!v || json_is_null(v))
		return NULL;
	if (!json_is_object(v)) {
		*r = hy_err(err, errlen, -EINVAL, "%s: must be an object", key);
		return NULL;
	}
	return v;
}

int update_parse_resources(const char *text, size_t len, struct update_req *r, char *err,
			   size_t errlen)
{
	json_t *doc, *m, *cpu, *pids, *blkio;
	json_error_t je;
	int64_t v = 0, period = 0, shares = 0, weight = 0;
	int rc;

	memset(r, 0, sizeof(*r));
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!doc)
		return hy_err(err, errlen, -EINVAL, "line %d: %s", je.line, je.text);
	if (!json_is_object(doc)) {
		rc = hy_err(err, errlen, -EINVAL, "(document): must be an object");
		goto out;
	}
	if ((m = get_object(doc, "memory", err, errlen, &rc)) &&
	    !(rc = get_int(m, "limit", "memory", true, &r->memory, err, errlen)) &&
	    !(rc =
		  get_int(m, "reservation", "memory", true, &r->memory_reservation, err, errlen)) &&
	    !(rc = get_int(m, "swap", "memory", true, &r->memory_swap, err, errlen)))
		r->kernel_memory = json_object_get(m, "kernel") || json_object_get(m, "kernelTCP");
	if (rc)
		goto out;
	if ((cpu = get_object(doc, "cpu", err, errlen, &rc)) &&
	    !(rc = get_int(cpu, "shares", "cpu", false, &shares, err, errlen)) &&
	    !(rc = get_int(cpu, "quota", "cpu", true, &r->cpu_quota, err, errlen)) &&
	    !(rc = get_int(cpu, "period", "cpu", false, &period, err, errlen)) &&
	    !(rc = get_int(cpu, "realtimeRuntime", "cpu", true, &v, err, errlen)) && v)
		rc = hy_err(err, errlen, -EINVAL,
			    "cpu.realtimeRuntime: real-time scheduling is not supported");
	if (!rc && cpu && !(rc = get_cpuset(cpu, "cpus", r->cpus, err, errlen)))
		rc = get_cpuset(cpu, "mems", r->mems, err, errlen);
	if (rc)
		goto out;
	r->cpu_shares = (uint64_t)shares;
	r->cpu_period = (uint64_t)period;
	if ((pids = get_object(doc, "pids", err, errlen, &rc)))
		rc = get_int(pids, "limit", "pids", true, &r->pids, err, errlen);
	if (rc)
		goto out;
	if ((blkio = get_object(doc, "blockIO", err, errlen, &rc)))
		rc = get_int(blkio, "weight", "blockIO", false, &weight, err, errlen);
	r->blkio_weight = (uint64_t)weight;
out:
	json_decref(doc);
	return rc;
}

/* ---- the split ----------------------------------------------------------------- */

static void fmt_size(int64_t v, char *buf, size_t len)
{
	if (v >= MIB && v % MIB == 0)
		snprintf(buf, len, "%" PRId64 "M", v / MIB);
	else
		snprintf(buf, len, "%" PRId64, v);
}

static int split_memory(const struct update_req *r, const struct update_vm *vm,
			struct cg_update *host, struct agent_resources *guest, char *err,
			size_t errlen)
{
	const int64_t overhead = (int64_t)HY_MEM_OVERHEAD_MIB * MIB;
	int64_t floor, ceiling, swap = r->memory_swap;
	char a[32], b[32];

	if (r->memory < -1 || r->memory_swap < -1 || r->memory_reservation < -1)
		return hy_err(err, errlen, -EINVAL,
			      "memory limits must be a number of bytes, or -1 for none");
	if (r->memory > 0) {
		if (!vm->mem_mib)
			return hy_err(err, errlen, -EINVAL,
				      "the size of this container's VM is not recorded (it was "
				      "created by an older hyrun): its memory limit cannot change");
		floor = (int64_t)vm->mem_mib * MIB + overhead;
		ceiling = vm->create_limit > floor ? vm->create_limit : floor;
		fmt_size(r->memory, a, sizeof(a));
		/* Compared in whole MiB: create sized the guest from the limit rounded down. */
		if (r->memory / MIB > ceiling / MIB)
			return hy_err(err, errlen, -EINVAL,
				      "memory limit %s is above the VM's %uM of RAM (and %dM for "
				      "hyrun-vmm): the guest's memory is fixed when it boots",
				      a, vm->mem_mib, HY_MEM_OVERHEAD_MIB);
		if (r->memory < (int64_t)(HY_MEM_MIN_MIB + HY_MEM_OVERHEAD_MIB) * MIB)
			return hy_err(err, errlen, -EINVAL,
				      "memory limit %s is too small for a microVM: it needs at "
				      "least %dM (%dM for the guest and %dM for hyrun-vmm)",
				      a, HY_MEM_MIN_MIB + HY_MEM_OVERHEAD_MIB, HY_MEM_MIN_MIB,
				      HY_MEM_OVERHEAD_MIB);
		host->has_memory = guest->has_memory = true;
		host->memory = r->memory > floor ? r->memory : floor;
		guest->memory = r->memory - overhead;
	} else if (r->memory == -1) {
		host->has_memory = guest->has_memory = true;
		host->memory = guest->memory = -1;
		/* As runc: no memory limit and no swap given is no swap limit either. */
		if (!swap)
			swap = -1;
	}
	if (swap > 0 && r->memory > 0 && swap < r->memory) {
		fmt_size(swap, a, sizeof(a));
		fmt_size(r->memory, b, sizeof(b));
		return hy_err(err, errlen, -EINVAL,
			      "memory+swap limit %s is below the memory limit %s: it counts "
			      "memory plus swap",
			      a, b);
	}
	if (swap) {
		host->has_memory_swap = true;
		host->memory_swap = swap;
		/* The same swap allowance above the host's (possibly raised) memory limit. */
		if (swap > 0 && r->memory > 0)
			host->memory_swap = swap + (host->memory - r->memory);
	}
	if (r->memory_reservation) {
		host->has_memory_reservation = true;
		host->memory_reservation = r->memory_reservation;
	}
	return 0;
}

int update_split(const struct update_req *r, const struct update_vm *vm, struct cg_update *host,
		 struct agent_resources *guest, char *err, size_t errlen)
{
	int rc;

	memset(host, 0, sizeof(*host));
	memset(guest, 0, sizeof(*guest));
	rc = split_memory(r, vm, host, guest, err, errlen);
	if (rc)
		return rc;
	if (r->cpu_quota) {
		if (r->cpu_quota < -1 || (r->cpu_quota > 0 && r->cpu_quota < 1000))
			return hy_err(err, errlen, -EINVAL,
				      "cpu quota %" PRId64 ": must be at least 1000 "
				      "(microseconds), or -1 for none",
				      r->cpu_quota);
		host->has_cpu_quota = guest->has_cpu_quota = true;
		host->cpu_quota = guest->cpu_quota = r->cpu_quota;
	}
	if (r->cpu_period) {
		if (r->cpu_period < 1000 || r->cpu_period > 1000000)
			return hy_err(err, errlen, -EINVAL,
				      "cpu period %" PRIu64 ": must be from 1000 to 1000000 "
				      "(microseconds)",
				      r->cpu_period);
		host->has_cpu_period = guest->has_cpu_period = true;
		host->cpu_period = guest->cpu_period = r->cpu_period;
	}
	if (r->cpu_shares) {
		if (r->cpu_shares < 2 || r->cpu_shares > 262144)
			return hy_err(err, errlen, -EINVAL,
				      "cpu shares %" PRIu64 ": must be from 2 to 262144",
				      r->cpu_shares);
		host->has_cpu_shares = guest->has_cpu_weight = true;
		host->cpu_shares = r->cpu_shares;
		guest->cpu_weight = cgroup_shares_to_weight(r->cpu_shares);
	}
	if (r->cpus[0]) {
		if (oci_cpuset_count(r->cpus) < 0)
			return hy_err(
			    err, errlen, -EINVAL,
			    "cpuset-cpus \"%s\": must be a list of CPUs such as \"0-3,6\"",
			    r->cpus);
		host->cpuset_cpus = r->cpus;
	}
	if (r->mems[0]) {
		if (oci_cpuset_count(r->mems) < 0)
			return hy_err(err, errlen, -EINVAL,
				      "cpuset-mems \"%s\": must be a list of memory nodes such as "
				      "\"0-1\"",
				      r->mems);
		host->cpuset_mems = r->mems;
	}
	if (r->pids) {
		if (r->pids < -1)
			return hy_err(err, errlen, -EINVAL,
				      "pids limit %" PRId64 ": must be at least 1, or -1 for none",
				      r->pids);
		guest->has_pids = true;
		guest->pids = r->pids;
	}
	if (r->blkio_weight && (r->blkio_weight < 10 || r->blkio_weight > 1000))
		return hy_err(err, errlen, -EINVAL,
			      "blkio weight %" PRIu64 ": must be from 10 to 1000", r->blkio_weight);
	return 0;
}

bool update_guest_has_work(const struct agent_resources *g)
{
	return g->has_memory || g->has_pids || g->has_cpu_quota || g->has_cpu_period ||
	       g->has_cpu_weight;
}

/* ---- the verb ------------------------------------------------------------------- */

static const char usage_fmt[] =
    "Usage: hyrun update [OPTIONS] CONTAINER_ID\n"
    "\n"
    "Change the resource limits of a running container: those of hyrun-vmm's\n"
    "cgroup on the host and of the container's cgroup inside the guest.\n"
    "\n"
    "  -r, --resources FILE        an OCI linux.resources JSON object (\"-\": stdin);\n"
    "                              the other options are then ignored\n"
    "  --memory SIZE               memory limit (bytes, or 64m, 1g...; -1: none)\n"
    "  --memory-reservation SIZE   soft limit (host cgroup only)\n"
    "  --memory-swap SIZE          memory plus swap (host cgroup only; -1: unlimited)\n"
    "  --cpu-quota US              CPU time per period (-1: none)\n"
    "  --cpu-period US             the period of the quota\n"
    "  --cpu-share(s) N            relative weight, 2..262144 (cpu.weight in cgroup v2)\n"
    "  --cpuset-cpus LIST          host CPUs for the VM's threads (host only)\n"
    "  --cpuset-mems LIST          host memory nodes (host only)\n"
    "  --pids-limit N              processes in the container (guest only; -1: none)\n"
    "  --blkio-weight N            accepted, ignored: hyrun sets no block I/O weights\n"
    "  --kernel-memory SIZE        accepted, ignored (as runc)\n"
    "\n"
    "The guest's memory is fixed when the VM boots: a memory limit above the\n"
    "guest's RAM plus the %d MiB hyrun-vmm needs is refused. The guest's cgroup\n"
    "gets the limit minus those %d MiB; the host's never less than the VM needs.\n";

static int read_resources(const char *path, char **text, size_t *len, char *err, size_t errlen)
{
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
	char *buf = NULL, *nb;
	size_t n = 0, cap = 0;
	ssize_t got;
	int e = 0;

	if (fd < 0)
		return hy_err(err, errlen, -errno, "--resources '%s': %s", path, strerror(errno));
	for (;;) {
		if (cap - n < 4096) {
			cap = cap ? cap * 2 : 8192;
			nb = cap <= RESOURCES_MAX ? realloc(buf, cap) : NULL;
			if (!nb) {
				e = cap > RESOURCES_MAX ? EFBIG : ENOMEM;
				break;
			}
			buf = nb;
		}
		got = read(fd, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			e = got < 0 ? errno : 0;
			break;
		}
		n += (size_t)got;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	if (e) {
		free(buf);
		return hy_err(err, errlen, -e, "--resources '%s': %s", path, strerror(e));
	}
	*text = buf;
	*len = n;
	return 0;
}

static int apply(struct container *c, const struct update_req *req)
{
	struct update_vm vm = {.mem_mib = c->st.mem_mib, .create_limit = c->st.memory_limit};
	struct agent_request areq = {.op = AGENT_OP_UPDATE};
	enum oci_status status = container_status(c);
	char err[RT_ERRLEN];
	struct cg_update host;
	struct cgroup *cg;
	bool guest;
	int r;

	if (status == OCI_STATUS_STOPPED || status == OCI_STATUS_CREATING) {
		rt_error("container not running");
		return -1;
	}
	if (update_split(req, &vm, &host, &areq.res, err, sizeof(err))) {
		rt_error("update: %s", err);
		return -1;
	}
	guest = update_guest_has_work(&areq.res);
	if (guest && status == OCI_STATUS_PAUSED) {
		rt_error("update: the container is paused: resume it first (its guest applies the "
			 "new limits)");
		return -1;
	}
	if (req->kernel_memory)
		rt_warn("Setting --kernel-memory is ignored and will be removed");
	if (req->blkio_weight)
		rt_warn("update: --blkio-weight is ignored: hyrun sets no block I/O weights");

	if (cgroup_open(&cg, c->st.cgroups_path, c->st.id, err, sizeof(err))) {
		rt_error("update: %s", err);
		return -1;
	}
	r = cgroup_update(cg, &host, err, sizeof(err));
	cgroup_free(cg);
	if (r) {
		rt_error("update: %s", err);
		return -1;
	}
	if (!guest)
		return 0;
	r = agent_request(c, &areq, NULL, err, sizeof(err));
	if (r) {
		if (!container_vmm_alive(c))
			rt_error("container not running");
		else
			rt_error("update: the host's cgroup is updated, but not the guest's: %s",
				 err);
		return -1;
	}
	return 0;
}

int cmd_update(struct rt_global *g, int argc, char **argv)
{
	struct update_opts o;
	struct container *c;
	char err[RT_ERRLEN], *text = NULL;
	size_t len = 0;
	int r;

	r = update_parse_args(argc, argv, &o, err, sizeof(err));
	if (r == 1) {
		printf(usage_fmt, HY_MEM_OVERHEAD_MIB, HY_MEM_OVERHEAD_MIB);
		return 0;
	}
	if (r) {
		rt_error("%s", err);
		return 1;
	}
	if (o.resources) {
		if (o.other_options)
			rt_warn("update: options besides --resources are ignored");
		if (read_resources(o.resources, &text, &len, err, sizeof(err))) {
			rt_error("%s", err);
			return 1;
		}
		r = update_parse_resources(text, len, &o.req, err, sizeof(err));
		free(text);
		if (r) {
			rt_error("--resources '%s': %s", o.resources, err);
			return 1;
		}
	}
	if (container_open(g->root, o.id, CONTAINER_LOCK_EXCLUSIVE, &c, err, sizeof(err))) {
		rt_error("%s", err);
		return 1;
	}
	r = apply(c, &o.req);
	container_close(c);
	return r ? 1 : 0;
}
