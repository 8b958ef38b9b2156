/* test_runtime_update.c: update's options, resources file, sizes and the host/guest split. */
#include <criterion/criterion.h>

#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "runtime/defaults.h"
#include "runtime/update.h"

#define MiB (1LL << 20)

static char err[1024];

Test(runtime_update, sizes)
{
	int64_t v;

	cr_assert_eq(update_parse_size("0", &v), 0);
	cr_assert_eq(v, 0);
	cr_assert_eq(update_parse_size("4096", &v), 0);
	cr_assert_eq(v, 4096);
	cr_assert_eq(update_parse_size("-1", &v), 0);
	cr_assert_eq(v, -1);
	cr_assert_eq(update_parse_size("64m", &v), 0);
	cr_assert_eq(v, 64 * MiB);
	cr_assert_eq(update_parse_size("64M", &v), 0);
	cr_assert_eq(v, 64 * MiB);
	cr_assert_eq(update_parse_size("2g", &v), 0);
	cr_assert_eq(v, 2048 * MiB);
	cr_assert_eq(update_parse_size("1GiB", &v), 0);
	cr_assert_eq(v, 1024 * MiB);
	cr_assert_eq(update_parse_size("512 kb", &v), 0);
	cr_assert_eq(v, 512 * 1024);
	cr_assert_eq(update_parse_size("1.5g", &v), 0);
	cr_assert_eq(v, 1536 * MiB);
	cr_assert_eq(update_parse_size("10b", &v), 0);
	cr_assert_eq(v, 10);
	cr_assert_eq(update_parse_size("1t", &v), 0);
	cr_assert_eq(v, 1024 * 1024 * MiB);

	cr_assert_eq(update_parse_size("", &v), -EINVAL);
	cr_assert_eq(update_parse_size("-2", &v), -EINVAL);
	cr_assert_eq(update_parse_size("m", &v), -EINVAL);
	cr_assert_eq(update_parse_size("64x", &v), -EINVAL);
	cr_assert_eq(update_parse_size("64mm", &v), -EINVAL);
	cr_assert_eq(update_parse_size("1.", &v), -EINVAL);
	cr_assert_eq(update_parse_size(" 64m", &v), -EINVAL);
	cr_assert_eq(update_parse_size("9999999999p", &v), -EINVAL, "overflow");
	cr_assert_eq(update_parse_size("99999999999999999999", &v), -EINVAL, "overflow");
}

static int parse(struct update_opts *o, int argc, char **argv)
{
	optind = 0;
	return update_parse_args(argc, argv, o, err, sizeof(err));
}

Test(runtime_update, options)
{
	char *all[] = {
	    "update", "--memory",	 "256m", "--memory-reservation", "128m",  "--memory-swap",
	    "-1",     "--kernel-memory", "1g",	 "--cpu-quota",		 "50000", "--cpu-period",
	    "100000", "--cpu-shares",	 "512",	 "--cpuset-cpus",	 "0-1",	  "--cpuset-mems",
	    "0",      "--pids-limit",	 "5",	 "--blkio-weight",	 "300",	  "ctr",
	    NULL};
	char *runc_share[] = {"update", "--cpu-share", "1024", "ctr", NULL};
	char *res[] = {"update", "-r", "-", "ctr", NULL};
	char *help[] = {"update", "--help", NULL};
	struct update_opts o;

	cr_assert_eq(parse(&o, 24, all), 0, "%s", err);
	cr_assert_str_eq(o.id, "ctr");
	cr_assert_eq(o.req.memory, 256 * MiB);
	cr_assert_eq(o.req.memory_reservation, 128 * MiB);
	cr_assert_eq(o.req.memory_swap, -1);
	cr_assert(o.req.kernel_memory);
	cr_assert_eq(o.req.cpu_quota, 50000);
	cr_assert_eq(o.req.cpu_period, 100000);
	cr_assert_eq(o.req.cpu_shares, 512);
	cr_assert_str_eq(o.req.cpus, "0-1");
	cr_assert_str_eq(o.req.mems, "0");
	cr_assert_eq(o.req.pids, 5);
	cr_assert_eq(o.req.blkio_weight, 300);
	cr_assert(o.other_options);
	cr_assert_null(o.resources);

	cr_assert_eq(parse(&o, 4, runc_share), 0, "%s", err);
	cr_assert_eq(o.req.cpu_shares, 1024);
	cr_assert_eq(parse(&o, 4, res), 0, "%s", err);
	cr_assert_str_eq(o.resources, "-");
	cr_assert_not(o.other_options);
	cr_assert_eq(parse(&o, 2, help), 1);
}

Test(runtime_update, bad_options)
{
	char *size[] = {"update", "--memory", "lots", "ctr", NULL};
	char *quota[] = {"update", "--cpu-quota", "1x", "ctr", NULL};
	char *shares[] = {"update", "--cpu-shares", "-5", "ctr", NULL};
	char *unknown[] = {"update", "--swappiness", "1", "ctr", NULL};
	char *noval[] = {"update", "ctr", "--memory", NULL};
	char *noid[] = {"update", "--memory", "1g", NULL};
	char *two[] = {"update", "a", "b", NULL};
	struct update_opts o;

	cr_assert_eq(parse(&o, 4, size), -EINVAL);
	cr_assert(strstr(err, "memory") && strstr(err, "lots"), "%s", err);
	cr_assert_eq(parse(&o, 4, quota), -EINVAL);
	cr_assert(strstr(err, "cpu-quota"), "%s", err);
	cr_assert_eq(parse(&o, 4, shares), -EINVAL);
	cr_assert_eq(parse(&o, 4, unknown), -EINVAL);
	cr_assert(strstr(err, "--swappiness"), "%s", err);
	cr_assert_eq(parse(&o, 3, noval), -EINVAL, "options stop at the id, as runc's");
	cr_assert_eq(parse(&o, 3, noid), -EINVAL);
	cr_assert(strstr(err, "exactly 1"), "%s", err);
	cr_assert_eq(parse(&o, 3, two), -EINVAL);
}

static int resources(const char *text, struct update_req *r)
{
	return update_parse_resources(text, strlen(text), r, err, sizeof(err));
}

Test(runtime_update, resources_file)
{
	struct update_req r;

	/* What podman sends: the whole linux.resources, devices and all. */
	cr_assert_eq(resources("{\"devices\": [{\"allow\": false, \"access\": \"rwm\"}],"
			       " \"memory\": {\"limit\": 536870912, \"reservation\": null,"
			       " \"swap\": 1073741824, \"swappiness\": 0},"
			       " \"cpu\": {\"shares\": 1024, \"quota\": 100000, \"period\": 100000,"
			       " \"cpus\": \"0-3\", \"mems\": \"\"},"
			       " \"pids\": {\"limit\": 100}, \"blockIO\": {\"weight\": 500},"
			       " \"unified\": {}}",
			       &r),
		     0, "%s", err);
	cr_assert_eq(r.memory, 512 * MiB);
	cr_assert_eq(r.memory_reservation, 0);
	cr_assert_eq(r.memory_swap, 1024 * MiB);
	cr_assert_eq(r.cpu_shares, 1024);
	cr_assert_eq(r.cpu_quota, 100000);
	cr_assert_eq(r.cpu_period, 100000);
	cr_assert_str_eq(r.cpus, "0-3");
	cr_assert_str_eq(r.mems, "");
	cr_assert_eq(r.pids, 100);
	cr_assert_eq(r.blkio_weight, 500);
	cr_assert_not(r.kernel_memory);

	cr_assert_eq(resources("{\"memory\": {\"kernel\": 1}}", &r), 0, "%s", err);
	cr_assert(r.kernel_memory);
	cr_assert_eq(resources("{}", &r), 0, "%s", err);
	cr_assert_eq(r.memory, 0);

	cr_assert_eq(resources("{\"memory\": {\"limit\": \"1g\"}}", &r), -EINVAL);
	cr_assert(strstr(err, "memory.limit"), "%s", err);
	cr_assert_eq(resources("{\"cpu\": {\"shares\": -1}}", &r), -EINVAL);
	cr_assert(strstr(err, "cpu.shares"), "%s", err);
	cr_assert_eq(resources("{\"cpu\": {\"realtimeRuntime\": 950000}}", &r), -EINVAL);
	cr_assert(strstr(err, "realtimeRuntime"), "%s", err);
	cr_assert_eq(resources("{\"cpu\": {\"cpus\": 3}}", &r), -EINVAL);
	cr_assert(strstr(err, "cpu.cpus"), "%s", err);
	cr_assert_eq(resources("{\"pids\": 5}", &r), -EINVAL);
	cr_assert(strstr(err, "pids"), "%s", err);
	cr_assert_eq(resources("[1]", &r), -EINVAL);
	cr_assert_eq(resources("{\"memory\": ", &r), -EINVAL);
	cr_assert(strstr(err, "line 1"), "%s", err);
}

/* A VM of 448 MiB of RAM, made from a 512 MiB limit (448 + the VMM's 64). */
static const struct update_vm vm512 = {.mem_mib = 448, .create_limit = 512 * MiB};

static int split(const struct update_req *r, const struct update_vm *vm, struct cg_update *h,
		 struct agent_resources *g)
{
	return update_split(r, vm, h, g, err, sizeof(err));
}

Test(runtime_update, split_memory)
{
	struct update_req r = {0};
	struct agent_resources g;
	struct cg_update h;

	/* Lower: the guest's cgroup gets it minus the VMM's share, the host keeps the VM. */
	r.memory = 256 * MiB;
	cr_assert_eq(split(&r, &vm512, &h, &g), 0, "%s", err);
	cr_assert(g.has_memory && h.has_memory);
	cr_assert_eq(g.memory, (256 - HY_MEM_OVERHEAD_MIB) * MiB);
	cr_assert_eq(h.memory, (448 + HY_MEM_OVERHEAD_MIB) * MiB);
	cr_assert_not(h.has_memory_swap);

	/* The limit it was created with, also not a whole MiB above. */
	r.memory = 512 * MiB;
	cr_assert_eq(split(&r, &vm512, &h, &g), 0, "%s", err);
	cr_assert_eq(h.memory, 512 * MiB);
	r.memory = 512 * MiB + 4096;
	cr_assert_eq(split(&r, &vm512, &h, &g), 0, "%s", err);

	/* Above what the VM booted with. */
	r.memory = 2048 * MiB;
	cr_assert_eq(split(&r, &vm512, &h, &g), -EINVAL);
	cr_assert(strstr(err, "2048M is above the VM's 448M of RAM") &&
		      strstr(err, "fixed when it boots"),
		  "%s", err);
	/* A VM sized by annotation below its limit: the create limit is still fine. */
	{
		struct update_vm small = {.mem_mib = 256, .create_limit = 1024 * MiB};

		r.memory = 1024 * MiB;
		cr_assert_eq(split(&r, &small, &h, &g), 0, "%s", err);
		cr_assert_eq(h.memory, 1024 * MiB);
		cr_assert_eq(g.memory, (1024 - HY_MEM_OVERHEAD_MIB) * MiB);
	}
	/* Created without a limit: the default RAM is the ceiling. */
	{
		struct update_vm nolimit = {.mem_mib = HY_MEM_DEFAULT_MIB, .create_limit = -1};

		r.memory = (HY_MEM_DEFAULT_MIB + HY_MEM_OVERHEAD_MIB) * MiB;
		cr_assert_eq(split(&r, &nolimit, &h, &g), 0, "%s", err);
		r.memory += MiB;
		cr_assert_eq(split(&r, &nolimit, &h, &g), -EINVAL);
	}
	/* Too small for a microVM. */
	r.memory = 64 * MiB;
	cr_assert_eq(split(&r, &vm512, &h, &g), -EINVAL);
	cr_assert(strstr(err, "too small"), "%s", err);
	/* Unknown VM size (an old state.json). */
	r.memory = 256 * MiB;
	cr_assert_eq(split(&r, &(struct update_vm){0}, &h, &g), -EINVAL);
	cr_assert(strstr(err, "not recorded"), "%s", err);

	/* No limit: both, and swap with it (runc). */
	r.memory = -1;
	cr_assert_eq(split(&r, &vm512, &h, &g), 0, "%s", err);
	cr_assert_eq(h.memory, -1);
	cr_assert_eq(g.memory, -1);
	cr_assert(h.has_memory_swap);
	cr_assert_eq(h.memory_swap, -1);

	/* Swap: host only, the allowance kept above the raised host limit. */
	r.memory = 256 * MiB;
	r.memory_swap = 384 * MiB;
	cr_assert_eq(split(&r, &vm512, &h, &g), 0, "%s", err);
	cr_assert_eq(h.memory_swap, (448 + HY_MEM_OVERHEAD_MIB + 128) * MiB);
	r.memory_swap = 128 * MiB;
	cr_assert_eq(split(&r, &vm512, &h, &g), -EINVAL);
	cr_assert(strstr(err, "below the memory limit"), "%s", err);
	r.memory = 0;
	r.memory_swap = 1024 * MiB;
	r.memory_reservation = 128 * MiB;
	cr_assert_eq(split(&r, &vm512, &h, &g), 0, "%s", err);
	cr_assert_not(h.has_memory);
	cr_assert_not(g.has_memory);
	cr_assert_eq(h.memory_swap, 1024 * MiB);
	cr_assert(h.has_memory_reservation);
	cr_assert_eq(h.memory_reservation, 128 * MiB);
	cr_assert_not(update_guest_has_work(&g), "swap and reservation are the host's");
}

Test(runtime_update, split_cpu_pids)
{
	struct update_req r = {0};
	struct agent_resources g;
	struct cg_update h;

	cr_assert_eq(split(&r, &vm512, &h, &g), 0, "%s", err);
	cr_assert_not(update_guest_has_work(&g));
	cr_assert_not(h.has_cpu_quota || h.has_pids || h.cpuset_cpus);

	r.cpu_quota = 50000;
	r.cpu_period = 200000;
	r.cpu_shares = 1024;
	r.pids = 5;
	strcpy(r.cpus, "0-1");
	cr_assert_eq(split(&r, &vm512, &h, &g), 0, "%s", err);
	cr_assert(h.has_cpu_quota && g.has_cpu_quota);
	cr_assert_eq(h.cpu_quota, 50000);
	cr_assert_eq(g.cpu_quota, 50000);
	cr_assert_eq(h.cpu_period, 200000);
	cr_assert_eq(g.cpu_period, 200000);
	cr_assert_eq(h.cpu_shares, 1024);
	/* runc's and crun's conversion: 1 + ((shares - 2) * 9999) / 262142. */
	cr_assert(g.has_cpu_weight);
	cr_assert_eq(g.cpu_weight, 1 + ((1024 - 2) * 9999) / 262142);
	cr_assert_eq(g.cpu_weight, 39);
	cr_assert(g.has_pids);
	cr_assert_eq(g.pids, 5);
	cr_assert_not(h.has_pids, "the host cgroup holds the VMM's threads, not the workload");
	cr_assert_str_eq(h.cpuset_cpus, "0-1");
	cr_assert_null(h.cpuset_mems);
	cr_assert(update_guest_has_work(&g));

	r = (struct update_req){.cpu_shares = 2};
	cr_assert_eq(split(&r, &vm512, &h, &g), 0, "%s", err);
	cr_assert_eq(g.cpu_weight, 1);
	r.cpu_shares = 262144;
	cr_assert_eq(split(&r, &vm512, &h, &g), 0, "%s", err);
	cr_assert_eq(g.cpu_weight, 10000);

	r = (struct update_req){.cpu_quota = -1, .pids = -1};
	cr_assert_eq(split(&r, &vm512, &h, &g), 0, "%s", err);
	cr_assert_eq(h.cpu_quota, -1);
	cr_assert_eq(g.cpu_quota, -1);
	cr_assert_eq(g.pids, -1);

	r = (struct update_req){.cpu_quota = 500};
	cr_assert_eq(split(&r, &vm512, &h, &g), -EINVAL);
	cr_assert(strstr(err, "quota"), "%s", err);
	r = (struct update_req){.cpu_period = 2000000};
	cr_assert_eq(split(&r, &vm512, &h, &g), -EINVAL);
	r = (struct update_req){.cpu_shares = 1};
	cr_assert_eq(split(&r, &vm512, &h, &g), -EINVAL);
	r = (struct update_req){.pids = -7};
	cr_assert_eq(split(&r, &vm512, &h, &g), -EINVAL);
	r = (struct update_req){.blkio_weight = 5};
	cr_assert_eq(split(&r, &vm512, &h, &g), -EINVAL);
	r = (struct update_req){0};
	strcpy(r.cpus, "0-");
	cr_assert_eq(split(&r, &vm512, &h, &g), -EINVAL);
	cr_assert(strstr(err, "cpuset-cpus"), "%s", err);
}
