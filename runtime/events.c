/* events.c: `hyrun events`: the container's stats once (--stats) or every interval, and
 * OOM events from its guest, as runc prints them (events.h). */
#include "runtime/events.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/err.h"
#include "common/time.h"
#include "runtime/agent.h"
#include "runtime/container.h"
#include "runtime/runtime.h"

/* jansson's integers are signed: CG_UNLIMITED goes in as this marker and is written
 * out as 2^64-1, as runc (Go's uint64) prints it. */
#define UNLIMITED_MARK INT64_MIN
#define UNLIMITED_TEXT "18446744073709551615"

/* How long a failed events connection waits before the next try. */
#define EVENTS_RETRY_MS 30000

/* ---- pure parts ------------------------------------------------------------------ */

int events_parse_interval(const char *s, int64_t *ms)
{
	static const struct {
		const char *name;
		double ns;
	} units[] = {
	    /* Longest first: "ms" before "m". */
	    {"ns", 1},	 {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"\xce\xbcs", 1e3},
	    {"ms", 1e6}, {"s", 1e9},  {"m", 60e9},	  {"h", 3600e9},
	};
	const char *p = s;
	double total = 0;
	bool neg = false;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (!strcmp(p, "0"))
		return -ERANGE; /* valid for Go, but the interval must be above 0 */
	if (!*p)
		return -EINVAL;
	while (*p) {
		double v = 0, scale = 1;
		bool digits = false;
		size_t i;

		for (; *p >= '0' && *p <= '9'; p++, digits = true)
			v = v * 10 + (*p - '0');
		if (*p == '.')
			for (p++; *p >= '0' && *p <= '9'; p++, digits = true)
				v += (*p - '0') * (scale /= 10);
		if (!digits)
			return -EINVAL;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (!strncmp(p, units[i].name, strlen(units[i].name)))
				break;
		if (i == sizeof(units) / sizeof(units[0]))
			return -EINVAL;
		p += strlen(units[i].name);
		total += v * units[i].ns;
		if (total > 1e18)
			return -EINVAL;
	}
	if (neg || total <= 0)
		return -ERANGE;
	*ms = (int64_t)((total + 999999) / 1e6);
	return 0;
}

static json_t *num(uint64_t v)
{
	if (v == CG_UNLIMITED)
		return json_integer(UNLIMITED_MARK);
	return json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v);
}

/* Go's `omitempty`: a zero number is left out. */
static int set_num(json_t *o, const char *key, uint64_t v, bool omitempty)
{
	if (omitempty && !v)
		return 0;
	return json_object_set_new(o, key, num(v));
}

static json_t *mem_entry(const struct cg_mem_entry *e)
{
	json_t *o = json_object();

	if (!o || set_num(o, "limit", e->limit, false) || set_num(o, "usage", e->usage, true) ||
	    set_num(o, "max", e->max_usage, true) || set_num(o, "failcnt", e->failcnt, false)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *host_cpu(const struct cg_stats *h)
{
	json_t *usage = json_object(), *thr = json_object(), *percpu;

	if (!usage || !thr || set_num(usage, "total", h->cpu_total, true))
		goto fail;
	if (h->nr_percpu) {
		percpu = json_array();
		if (json_object_set_new(usage, "percpu", percpu))
			goto fail;
		for (size_t i = 0; i < h->nr_percpu; i++)
			if (json_array_append_new(percpu, num(h->percpu[i])))
				goto fail;
	}
	if (set_num(usage, "kernel", h->cpu_kernel, false) ||
	    set_num(usage, "user", h->cpu_user, false) ||
	    set_num(thr, "periods", h->nr_periods, true) ||
	    set_num(thr, "throttledPeriods", h->nr_throttled, true) ||
	    set_num(thr, "throttledTime", h->throttled_time, true))
		goto fail;
	return json_pack("{s:o, s:o}", "usage", usage, "throttling", thr);
fail:
	json_decref(usage);
	json_decref(thr);
	return NULL;
}

static json_t *host_memory(const struct cg_stats *h)
{
	json_t *o = json_object(), *raw = json_object();

	if (!o || !raw || set_num(o, "cache", h->cache, true) ||
	    json_object_set_new(o, "usage", mem_entry(&h->mem)) ||
	    json_object_set_new(o, "swap", mem_entry(&h->swap)) ||
	    json_object_set_new(o, "kernel", mem_entry(&h->kernel)) ||
	    json_object_set_new(o, "kernelTCP", mem_entry(&h->kernel_tcp)))
		goto fail;
	for (size_t i = 0; i < h->nr_raw; i++)
		if (set_num(raw, h->raw[i].key, h->raw[i].value, false))
			goto fail;
	/* Go's omitempty leaves out an empty map. */
	if (!h->nr_raw) {
		json_decref(raw);
		return o;
	}
	if (!json_object_set_new(o, "raw", raw))
		return o;
	json_decref(o);
	return NULL;
fail:
	json_decref(o);
	json_decref(raw);
	return NULL;
}

static json_t *pids(uint64_t current, uint64_t limit)
{
	json_t *o = json_object();

	if (!o || set_num(o, "current", current, true) || set_num(o, "limit", limit, true)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *guest_view(const struct agent_stats *g)
{
	return json_pack(
	    "{s:{s:o, s:o, s:o, s:o, s:o}, s:{s:{s:o, s:o, s:o}}, s:{s:o, s:o}, s:o}", "memory",
	    "total", num(g->mem_total), "free", num(g->mem_free), "available",
	    num(g->mem_available), "usage", num(g->mem_usage), "limit",
	    num(g->mem_limit < 0 ? CG_UNLIMITED : (uint64_t)g->mem_limit), "cpu", "usage", "total",
	    num(g->cpu_usage_usec * 1000), "user", num(g->cpu_user_usec * 1000), "kernel",
	    num(g->cpu_system_usec * 1000), "pids", "current", num(g->pids_current), "limit",
	    num(g->pids_limit < 0 ? 0 : (uint64_t)g->pids_limit), "oom_kills", num(g->oom_kills));
}

json_t *events_stats_data(const struct cg_stats *host, const struct agent_stats *guest)
{
	json_t *d =
	    json_pack("{s:o, s:o, s:o, s:{}, s:{}, s:{}, s:n}", "cpu", host_cpu(host), "memory",
		      host_memory(host), "pids", pids(host->pids_current, host->pids_limit),
		      "blkio", "hugetlb", "intel_rdt", "network_interfaces");

	if (d && guest && json_object_set_new(d, "guest", guest_view(guest))) {
		json_decref(d);
		return NULL;
	}
	return d;
}

char *events_line(const char *type, const char *id, json_t *data)
{
	json_t *ev = json_pack("{s:s, s:s}", "type", type, "id", id);
	char *text, *p;
	size_t mark_len = strlen(":-9223372036854775808");

	if (!ev || (data && json_object_set_new(ev, "data", data))) {
		json_decref(ev);
		return NULL;
	}
	text = json_dumps(ev, JSON_COMPACT);
	json_decref(ev);
	if (!text)
		return NULL;
	/* The marker as a member's value (never inside a string: ids hold no ':'); both
	 * numbers are 20 characters, so it is replaced in place. */
	for (p = text; (p = strstr(p, ":-9223372036854775808")); p += mark_len)
		memcpy(p + 1, UNLIMITED_TEXT, mark_len - 1);
	return text;
}

/* ---- the verb --------------------------------------------------------------------- */

struct events {
	struct container *c;
	struct cgroup *cg;
	uint64_t host_ooms; /* the host cgroup's oom_kill count, last seen */
	int ev_fd;	    /* the guest's events connection, or -1 */
	int64_t ev_retry;   /* when to try it again */
	bool ev_warned;
	uint8_t *frame;
};

static int print_line(const char *type, const char *id, json_t *data)
{
	char *line = events_line(type, id, data);
	int r;

	if (!line) {
		rt_error("events: out of memory");
		return -1;
	}
	r = printf("%s\n", line) < 0 || fflush(stdout) ? -1 : 0;
	free(line);
	return r;
}

/* The guest's view, or NULL when it does not answer (a paused VM, an agent that is not
 * there). */
static bool guest_stats(struct events *e, struct agent_reply *rep)
{
	struct agent_request req = {.op = AGENT_OP_STATS};
	char err[RT_ERRLEN];

	memset(rep, 0, sizeof(*rep));
	if (cgroup_is_frozen(e->cg))
		return false;
	if (agent_request(e->c, &req, rep, err, sizeof(err))) {
		rt_debug("events: no stats from the guest: %s", err);
		return false;
	}
	if (!rep->has_stats) {
		rt_debug("events: the guest's reply holds no stats");
		agent_reply_free(rep);
		return false;
	}
	return true;
}

/* The host cgroup's OOM kills since last time: the VMM itself killed by the host. */
static int host_ooms(struct events *e, const struct cg_stats *st)
{
	while (e->host_ooms < st->oom_kills) {
		e->host_ooms++;
		if (print_line("oom", e->c->st.id, NULL))
			return -1;
	}
	return 0;
}

/* One stats line: -1 when it cannot be written (or, with strict, not collected). */
static int emit_stats(struct events *e, bool strict)
{
	struct cg_stats st;
	struct agent_reply rep;
	char err[RT_ERRLEN];
	bool guest;
	json_t *data;
	int r;

	if (cgroup_stats(e->cg, &st, err, sizeof(err))) {
		rt_error("events: %s", err);
		return strict ? -1 : 0;
	}
	guest = guest_stats(e, &rep);
	data = events_stats_data(&st, guest ? &rep.stats : NULL);
	if (guest)
		agent_reply_free(&rep);
	r = data ? print_line("stats", e->c->st.id, data) : -1;
	if (!data)
		rt_error("events: out of memory");
	if (!r && !strict)
		r = host_ooms(e, &st);
	cgroup_stats_free(&st);
	return r;
}

static void events_close(struct events *e)
{
	if (e->ev_fd >= 0)
		close(e->ev_fd);
	e->ev_fd = -1;
}

/* The guest's events connection: REQUEST {"op":"events"}, then EVENT frames. */
static void events_open(struct events *e)
{
	struct agent_request req = {.op = AGENT_OP_EVENTS};
	struct agent_reply rep = {0};
	char err[RT_ERRLEN];
	int fd, r;

	if (e->ev_fd >= 0 || hy_now_ms() < e->ev_retry || cgroup_is_frozen(e->cg))
		return;
	fd = agent_connect(e->c, err, sizeof(err));
	r = fd < 0 ? fd : agent_call(fd, &req, &rep, err, sizeof(err));
	if (!r && !rep.ok) {
		snprintf(err, sizeof(err), "the agent refused: %s", rep.error);
		r = -EIO;
	}
	agent_reply_free(&rep);
	if (!r) {
		e->ev_fd = fd;
		return;
	}
	if (fd >= 0)
		close(fd);
	e->ev_retry = hy_now_ms() + EVENTS_RETRY_MS;
	if (!e->ev_warned)
		rt_warn("events: no OOM events from the guest for now: %s", err);
	e->ev_warned = true;
}

/* A frame on the events connection: -1 when stdout fails. */
static int events_read(struct events *e)
{
	enum hy_agent_frame type;
	struct agent_event ev;
	char err[RT_ERRLEN];
	uint32_t len;
	int r;

	r = agent_read_frame(e->ev_fd, 1000, &type, e->frame, HY_AGENT_FRAME_MAX, &len, err,
			     sizeof(err));
	if (!r && type != HY_AGENT_EVENT) {
		snprintf(err, sizeof(err), "unexpected frame type %d", (int)type);
		r = -EPROTO;
	}
	if (!r)
		r = agent_event_decode(&ev, (const char *)e->frame, len, err, sizeof(err));
	if (r) {
		/* Also how a VM that ends shows first: the loop then sees the VMM gone. */
		rt_debug("events: the guest's events connection: %s", err);
		events_close(e);
		e->ev_retry = hy_now_ms() + EVENTS_RETRY_MS;
		return 0;
	}
	if (ev.type == AGENT_EVENT_OOM)
		return print_line("oom", e->c->st.id, NULL);
	return 0;
}

static int stream(struct events *e, int64_t interval)
{
	int64_t next = hy_now_ms() + interval;
	struct cg_stats st;
	char err[RT_ERRLEN];
	int pidfd, r = 0;

	/* OOM kills before now are not news. */
	if (!cgroup_stats(e->cg, &st, err, sizeof(err))) {
		e->host_ooms = st.oom_kills;
		cgroup_stats_free(&st);
	}
	/* A pidfd polls readable once the VMM has exited. */
	pidfd = (int)syscall(SYS_pidfd_open, e->c->st.pid, 0);
	events_open(e);
	while (container_vmm_alive(e->c)) {
		struct pollfd p[2] = {{.fd = pidfd, .events = POLLIN},
				      {.fd = e->ev_fd, .events = POLLIN}};
		int64_t wait = next - hy_now_ms();

		if (wait < 0)
			wait = 0;
		/* Without a pidfd, look at the VMM every second. */
		if (wait > (pidfd < 0 ? 1000 : INT_MAX))
			wait = pidfd < 0 ? 1000 : INT_MAX;
		if (poll(p, 2, (int)wait) < 0 && errno != EINTR) {
			rt_error("events: poll: %s", strerror(errno));
			r = -1;
			break;
		}
		if (p[0].revents)
			break;
		if (p[1].revents && events_read(e)) {
			r = -1;
			break;
		}
		if (hy_now_ms() >= next) {
			if (emit_stats(e, false)) {
				r = -1;
				break;
			}
			next += interval;
			if (next < hy_now_ms())
				next = hy_now_ms() + interval;
			events_open(e);
		}
	}
	if (pidfd >= 0)
		close(pidfd);
	/* A VMM the host's OOM killer ended is the container's OOM. */
	if (!r && !cgroup_stats(e->cg, &st, err, sizeof(err))) {
		r = host_ooms(e, &st);
		cgroup_stats_free(&st);
	}
	events_close(e);
	return r;
}

int cmd_events(struct rt_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"interval", required_argument, NULL, 'i'},
	    {"stats", no_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct events e = {.ev_fd = -1};
	enum oci_status status;
	int64_t interval = 5000;
	bool once = false;
	char err[RT_ERRLEN];
	int ch, r;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'i':
			r = events_parse_interval(optarg, &interval);
			if (r == -ERANGE) {
				rt_error("duration interval must be greater than 0");
				return 1;
			}
			if (r) {
				rt_error("events: --interval \"%s\": not a duration such as 5s, "
					 "500ms or 1m30s",
					 optarg);
				return 1;
			}
			break;
		case 's':
			once = true;
			break;
		case 'h':
			printf(
			    "Usage: hyrun events [--stats] [--interval DURATION] CONTAINER_ID\n\n"
			    "Print the container's stats as JSON, one line each interval (default\n"
			    "5s), and {\"type\":\"oom\",\"id\":ID} when its guest kernel OOM-kills "
			    "a\n"
			    "process of the container (or the host kills hyrun-vmm for memory);\n"
			    "ends with status 0 when the container stops. --stats prints the\n"
			    "stats once. The stats have runc's shape, from hyrun-vmm's cgroup on\n"
			    "the host; \"data\".\"guest\" adds the guest's view: its memory, and "
			    "the\n"
			    "cgroup of the container inside it (usage, limit, cpu, pids, OOM "
			    "kills).\n");
			return 0;
		case ':':
			rt_error("events: option '%s' needs a value", argv[optind - 1]);
			return 1;
		default:
			rt_error("events: unknown option '%s'", argv[optind - 1]);
			return 1;
		}
	}
	if (rt_want_args("events", argc, optind, 1))
		return 1;
	r = 1;
	if (container_open(g->root, argv[optind], CONTAINER_LOCK_READ, &e.c, err, sizeof(err))) {
		rt_error("%s", err);
		return 1;
	}
	status = container_status(e.c);
	if (status == OCI_STATUS_STOPPED || status == OCI_STATUS_CREATING) {
		rt_error("container with id %s is not running", e.c->st.id);
		goto out;
	}
	if (cgroup_open(&e.cg, e.c->st.cgroups_path, e.c->st.id, err, sizeof(err))) {
		rt_error("events: %s", err);
		goto out;
	}
	if (once) {
		r = emit_stats(&e, true) ? 1 : 0;
		goto out;
	}
	e.frame = malloc(HY_AGENT_FRAME_MAX);
	if (!e.frame) {
		rt_error("events: out of memory");
		goto out;
	}
	/* It runs until the container stops: it must not hold up kill or delete. */
	container_unlock(e.c);
	r = stream(&e, interval) ? 1 : 0;
out:
	free(e.frame);
	cgroup_free(e.cg);
	container_close(e.c);
	return r;
}
