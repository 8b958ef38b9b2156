/* test_runtime_events.c: events' interval, runc's stats shape and its event lines; ps' helpers. */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "runtime/events.h"
#include "runtime/ps.h"

Test(runtime_events, interval)
{
	int64_t ms;

	cr_assert_eq(events_parse_interval("5s", &ms), 0);
	cr_assert_eq(ms, 5000);
	cr_assert_eq(events_parse_interval("250ms", &ms), 0);
	cr_assert_eq(ms, 250);
	cr_assert_eq(events_parse_interval("1m30s", &ms), 0);
	cr_assert_eq(ms, 90000);
	cr_assert_eq(events_parse_interval("1.5h", &ms), 0);
	cr_assert_eq(ms, 5400000);
	cr_assert_eq(events_parse_interval(".5s", &ms), 0);
	cr_assert_eq(ms, 500);
	cr_assert_eq(events_parse_interval("10us", &ms), 0);
	cr_assert_eq(ms, 1, "rounded up to a millisecond");
	cr_assert_eq(events_parse_interval("+2s", &ms), 0);
	cr_assert_eq(ms, 2000);

	cr_assert_eq(events_parse_interval("0", &ms), -ERANGE);
	cr_assert_eq(events_parse_interval("0s", &ms), -ERANGE);
	cr_assert_eq(events_parse_interval("-5s", &ms), -ERANGE);
	cr_assert_eq(events_parse_interval("5", &ms), -EINVAL, "a unit is needed");
	cr_assert_eq(events_parse_interval("5x", &ms), -EINVAL);
	cr_assert_eq(events_parse_interval("s", &ms), -EINVAL);
	cr_assert_eq(events_parse_interval("", &ms), -EINVAL);
	cr_assert_eq(events_parse_interval("1e9h", &ms), -EINVAL);
}

static json_t *at(json_t *o, const char *path)
{
	char buf[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
		o = json_object_get(o, k);
	return o;
}

static long long num_at(json_t *o, const char *path)
{
	json_t *v = at(o, path);

	cr_assert(json_is_integer(v), "%s is not a number", path);
	return json_integer_value(v);
}

Test(runtime_events, stats_shape)
{
	uint64_t percpu[] = {10, 20};
	struct cg_stat_kv raw[] = {{"anon", 4096}, {"file", 8192}};
	struct cg_stats host = {
	    .cpu_total = 3000,
	    .cpu_user = 2000,
	    .cpu_kernel = 1000,
	    .percpu = percpu,
	    .nr_percpu = 2,
	    .nr_periods = 5,
	    .mem = {.usage = 100, .max_usage = 200, .limit = CG_UNLIMITED, .failcnt = 0},
	    .swap = {.usage = 150, .limit = 1 << 30},
	    .cache = 8192,
	    .raw = raw,
	    .nr_raw = 2,
	    .pids_current = 3,
	    .pids_limit = 0,
	};
	struct agent_stats guest = {
	    .mem_total = 500 << 20,
	    .mem_free = 400 << 20,
	    .mem_available = 450 << 20,
	    .mem_usage = 20 << 20,
	    .mem_limit = -1,
	    .cpu_usage_usec = 7,
	    .cpu_user_usec = 5,
	    .cpu_system_usec = 2,
	    .pids_current = 4,
	    .pids_limit = 5,
	    .oom_kills = 1,
	};
	json_t *data = events_stats_data(&host, &guest), *doc;
	char *line;

	cr_assert_not_null(data);
	cr_assert_eq(num_at(data, "cpu.usage.total"), 3000);
	cr_assert_eq(json_array_size(at(data, "cpu.usage.percpu")), 2);
	cr_assert_eq(num_at(data, "cpu.usage.kernel"), 1000);
	cr_assert_eq(num_at(data, "cpu.usage.user"), 2000);
	cr_assert_eq(num_at(data, "cpu.throttling.periods"), 5);
	cr_assert_null(at(data, "cpu.throttling.throttledPeriods"), "omitempty, as runc");
	cr_assert_eq(num_at(data, "memory.cache"), 8192);
	cr_assert_eq(num_at(data, "memory.usage.usage"), 100);
	cr_assert_eq(num_at(data, "memory.usage.max"), 200);
	cr_assert_eq(num_at(data, "memory.usage.failcnt"), 0, "failcnt is always there");
	cr_assert_eq(num_at(data, "memory.swap.limit"), 1 << 30);
	cr_assert_eq(num_at(data, "memory.kernel.limit"), 0);
	cr_assert_null(at(data, "memory.kernel.usage"));
	cr_assert_not_null(at(data, "memory.kernelTCP"));
	cr_assert_eq(num_at(data, "memory.raw.anon"), 4096);
	cr_assert_eq(num_at(data, "pids.current"), 3);
	cr_assert_null(at(data, "pids.limit"), "no limit: 0, left out");
	cr_assert(json_is_object(at(data, "blkio")));
	cr_assert(json_is_object(at(data, "hugetlb")));
	cr_assert(json_is_null(at(data, "network_interfaces")));
	cr_assert_eq(num_at(data, "guest.memory.total"), 500 << 20);
	cr_assert_eq(num_at(data, "guest.memory.available"), 450 << 20);
	cr_assert_eq(num_at(data, "guest.cpu.usage.total"), 7000);
	cr_assert_eq(num_at(data, "guest.cpu.usage.kernel"), 2000);
	cr_assert_eq(num_at(data, "guest.pids.limit"), 5);
	cr_assert_eq(num_at(data, "guest.oom_kills"), 1);

	/* The line: "max" is 2^64-1 as runc prints it, the rest valid JSON. */
	line = events_line("stats", "web-1", data);
	cr_assert_not_null(line);
	{
		const char *head = "{\"type\":\"stats\",\"id\":\"web-1\",\"data\":{\"cpu\":";

		cr_assert_eq(strncmp(line, head, strlen(head)), 0, "%s", line);
	}
	cr_assert_not_null(strstr(line, "\"usage\":{\"limit\":18446744073709551615,"), "%s", line);
	cr_assert_not_null(strstr(line, "\"guest\":{\"memory\":{\"total\":524288000"), "%s", line);
	cr_assert_null(strchr(line, '\n'));
	/* (jansson cannot hold 2^64-1 itself.) */
	for (char *p = line; (p = strstr(p, "18446744073709551615")); p++)
		memcpy(p, "1                   ", 20);
	doc = json_loads(line, 0, NULL);
	cr_assert_not_null(doc, "not JSON: %s", line);
	json_decref(doc);
	free(line);

	/* Without the guest's view; an empty memory.stat leaves raw out. */
	host.nr_raw = 0;
	host.nr_percpu = 0;
	data = events_stats_data(&host, NULL);
	cr_assert_null(at(data, "guest"));
	cr_assert_null(at(data, "memory.raw"));
	cr_assert_null(at(data, "cpu.usage.percpu"));
	json_decref(data);
}

Test(runtime_events, oom_line)
{
	char *line = events_line("oom", "-9223372036854775808", NULL);

	/* An id that looks like the marker stays what it is. */
	cr_assert_str_eq(line, "{\"type\":\"oom\",\"id\":\"-9223372036854775808\"}");
	free(line);
}

Test(runtime_ps, time)
{
	char buf[32];

	ps_format_time(0, buf, sizeof(buf));
	cr_assert_str_eq(buf, "00:00:00");
	ps_format_time(99, buf, sizeof(buf));
	cr_assert_str_eq(buf, "00:00:00");
	ps_format_time(6100, buf, sizeof(buf));
	cr_assert_str_eq(buf, "00:01:01");
	ps_format_time((uint64_t)(3 * 3600 + 25 * 60 + 7) * 100, buf, sizeof(buf));
	cr_assert_str_eq(buf, "03:25:07");
	ps_format_time((uint64_t)(2 * 86400 + 3600 + 1) * 100, buf, sizeof(buf));
	cr_assert_str_eq(buf, "2-01:00:01");
}

Test(runtime_ps, args_and_text)
{
	char s[] = "sh\x1b[2J -c\ttrue\x7f";

	cr_assert(ps_arg_accepted("-ef"));
	cr_assert(ps_arg_accepted("aux"));
	cr_assert(ps_arg_accepted("-e"));
	cr_assert_not(ps_arg_accepted("-o"));
	cr_assert_not(ps_arg_accepted("pid,comm"));
	cr_assert_not(ps_arg_accepted("--sort"));
	ps_sanitize(s);
	cr_assert_str_eq(s, "sh?[2J -c?true?");
}
