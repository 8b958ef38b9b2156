/* test_common_guest_config.c: the guest configuration's encoder, decoder and defaults. */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "common/agent_proto.h"
#include "common/guest_config.h"
#include "common/plan.h"

static const char *const args[] = {"/bin/sh", "-c", "echo hi", NULL};
static const char *const env[] = {"PATH=/usr/bin:/bin", "TERM=xterm", NULL};
static const char *const proc_opts[] = {"nosuid", "noexec"};
static const char *const bind_opts[] = {"rbind", "ro"};
static const uint32_t gids[] = {5, 6};
static const struct gc_mount mounts[] = {
    {.destination = "/proc",
     .type = "proc",
     .source = "proc",
     .options = proc_opts,
     .nr_options = 2},
    {.destination = "/data",
     .type = "bind",
     .source = "/srv/data",
     .options = bind_opts,
     .nr_options = 2,
     .share = "m1"},
    {.destination = "/etc/hosts",
     .options = (const char *const[]){"bind"},
     .nr_options = 1,
     .file = "3"},
};
static const struct gc_rlimit rlimits[] = {
    {.resource = RLIMIT_NOFILE, .soft = 512, .hard = 1024},
    {.resource = RLIMIT_CORE, .soft = 0, .hard = UINT64_MAX},
};
static const struct gc_ip eth0_addrs[] = {
    {.family = AF_INET, .addr = {10, 88, 0, 5}, .prefix = 16},
    {.family = AF_INET6, .addr = {0xfd, 0, [15] = 5}, .prefix = 64},
};
static const struct gc_route eth0_routes[] = {
    {.destination = {.family = AF_INET, .addr = {10, 88, 0, 0}, .prefix = 16}},
    {.destination = {.family = AF_INET, .prefix = 0},
     .has_gateway = true,
     .gateway = {10, 88, 0, 1},
     .has_source = true,
     .source = {10, 88, 0, 5},
     .metric = UINT32_MAX,
     .mtu = 1400},
    {.destination = {.family = AF_INET6, .prefix = 0},
     .has_gateway = true,
     .gateway = {0xfe, 0x80, [15] = 1},
     .metric = 1024},
};
static const struct gc_nic nics[] = {
    {.name = "eth0",
     .mac = {0x02, 0x42, 0xac, 0x11, 0x00, 0x02},
     .mtu = 1500,
     .addresses = eth0_addrs,
     .nr_addresses = 2,
     .routes = eth0_routes,
     .nr_routes = 3},
    {.name = "net1", .mac = {0x0a, 0, 0, 0, 0, 0xff}, .mtu = PLAN_MAX_MTU},
};
static const struct gc_mac standby[] = {
    {.mac = {0x02, 0x5e, 0x1a, 0x00, 0x00, 0x01}},
    {.mac = {0x02, 0x5e, 0x1a, 0x00, 0x00, 0x02}},
};
static const struct gc_sysctl sysctls[] = {{"net.ipv4.ip_forward", "1"}, {"kernel.shmmax", "9"}};
static const char *const arches[] = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"};
static const char *const names_rw[] = {"read", "write"};
static const char *const names_kill[] = {"kill"};
static const struct gc_seccomp_arg kill_args[] = {
    {.index = 1, .value = 9, .value_two = 0, .op = HY_SECCOMP_OP_EQ},
    {.index = 0, .value = UINT64_MAX, .value_two = 0xff, .op = HY_SECCOMP_OP_MASKED_EQ},
};
static const struct gc_seccomp_rule rules[] = {
    {.names = names_rw, .nr_names = 2, .action = HY_SECCOMP_ALLOW},
    {.names = names_kill,
     .nr_names = 1,
     .action = HY_SECCOMP_ERRNO,
     .has_errno_ret = true,
     .errno_ret = 38,
     .args = kill_args,
     .nr_args = 2},
};
static const struct gc_unified unified[] = {
    {"memory.high", "100M"},
    {"io.weight", "default 200"},
};
static const struct gc_seccomp seccomp = {
    .flags = GC_SECCOMP_FLAG_TSYNC | GC_SECCOMP_FLAG_SPEC_ALLOW,
    .default_action = HY_SECCOMP_KILL_PROCESS,
    .has_default_errno_ret = true,
    .default_errno_ret = 1,
    .architectures = arches,
    .nr_architectures = 2,
    .syscalls = rules,
    .nr_syscalls = 2,
};

static const char *const masked[] = {"/proc/kcore", "/sys/firmware"};
static const char *const readonly_paths[] = {"/proc/sys"};
static const struct gc_device devices[] = {
    {.path = "/dev/fuse",
     .type = 'c',
     .major = 10,
     .minor = 229,
     .has_mode = true,
     .mode = 0620,
     .has_uid = true,
     .uid = 1000,
     .has_gid = true,
     .gid = 5},
    {.path = "/dev/disk/sda", .type = 'b', .major = 4095, .minor = 1048575, .mode = 0666},
    {.path = "/dev/fifo", .type = 'p', .has_mode = true, .mode = 07777},
};
static const struct gc_device_rule device_rules[] = {
    {.allow = false,
     .type = 'a',
     .major = -1,
     .minor = -1,
     .read = true,
     .write = true,
     .mknod = true},
    {.allow = true, .type = 'c', .major = 1, .minor = 3, .read = true, .write = true},
    {.allow = true, .type = 'b', .major = 8, .minor = -1, .mknod = true},
};

static struct guest_config full(void)
{
	struct guest_config gc = {
	    .hostname = "box",
	    .domainname = "example.org",
	    .has_root = true,
	    .root_share = "rootfs",
	    .root_readonly = true,
	    .root_propagation = GC_PROP_RSLAVE,
	    .mounts = mounts,
	    .nr_mounts = 3,
	    .masked_paths = masked,
	    .nr_masked_paths = 2,
	    .readonly_paths = readonly_paths,
	    .nr_readonly_paths = 1,
	    .devices = devices,
	    .nr_devices = 3,
	    .pid_namespace = true,
	    .has_resources = true,
	    .resources = {.has_memory = true,
			  .memory = 1 << 30,
			  .has_memory_swap = true,
			  .memory_swap = -1,
			  .has_pids = true,
			  .pids = 100,
			  .has_cpu_quota = true,
			  .cpu_quota = 50000,
			  .has_cpu_period = true,
			  .cpu_period = 100000,
			  .has_cpu_weight = true,
			  .cpu_weight = 10000,
			  .has_devices = true,
			  .devices = device_rules,
			  .nr_devices = 3,
			  .unified = unified,
			  .nr_unified = 2},
	    .args = args,
	    .nr_args = 3,
	    .env = env,
	    .nr_env = 2,
	    .cwd = "/work",
	    .terminal = true,
	    .uid = 1000,
	    .gid = 100,
	    .additional_gids = gids,
	    .nr_additional_gids = 2,
	    .has_umask = true,
	    .umask = 027,
	    .has_caps = true,
	    .rlimits = rlimits,
	    .nr_rlimits = 2,
	    .no_new_privileges = true,
	    .has_oom_score_adj = true,
	    .oom_score_adj = -500,
	    .has_scheduler = true,
	    .scheduler = {.policy = 6,
			  .flags = 0x01 | 0x04,
			  .runtime = 10000000,
			  .deadline = 20000000,
			  .period = 30000000},
	    .has_io_priority = true,
	    .io_priority = {.ioclass = 3, .priority = 7},
	    .has_personality = true,
	    .personality = 8,
	    .nics = nics,
	    .nr_nics = 2,
	    .standby = standby,
	    .nr_standby = 2,
	    .sysctl = sysctls,
	    .nr_sysctl = 2,
	    .seccomp = &seccomp,
	};

	gc.caps[HY_CAP_BOUNDING] = 1ull << 0 | 1ull << 5 | 1ull << hy_cap_last();
	gc.caps[HY_CAP_EFFECTIVE] = 1ull << 5;
	gc.caps[HY_CAP_PERMITTED] = 1ull << 5 | 1ull << 10;
	gc.caps[HY_CAP_INHERITABLE] = 1ull << 10;
	gc.caps[HY_CAP_AMBIENT] = 1ull << 10;
	return gc;
}

static void same_str(const char *a, const char *b)
{
	if (!a || !b)
		cr_assert_eq(a, b);
	else
		cr_assert_str_eq(a, b);
}

static void same_strv(const char *const *a, size_t na, const char *const *b, size_t nb)
{
	cr_assert_eq(na, nb);
	for (size_t i = 0; i < na; i++)
		cr_assert_str_eq(a[i], b[i]);
}

static void same_ip(int family, const uint8_t *a, const uint8_t *b)
{
	cr_assert(family == AF_INET || family == AF_INET6);
	cr_assert_arr_eq(a, b, family == AF_INET ? 4 : 16);
}

static void same_nics(const struct guest_config *a, const struct guest_config *b)
{
	cr_assert_eq(a->nr_nics, b->nr_nics);
	for (size_t i = 0; i < a->nr_nics; i++) {
		const struct gc_nic *x = &a->nics[i], *y = &b->nics[i];

		cr_assert_str_eq(x->name, y->name);
		cr_assert_arr_eq(x->mac, y->mac, 6);
		cr_assert_eq(x->mtu, y->mtu);
		cr_assert_eq(x->nr_addresses, y->nr_addresses);
		for (size_t j = 0; j < x->nr_addresses; j++) {
			cr_assert_eq(x->addresses[j].family, y->addresses[j].family);
			same_ip(x->addresses[j].family, x->addresses[j].addr, y->addresses[j].addr);
			cr_assert_eq(x->addresses[j].prefix, y->addresses[j].prefix);
		}
		cr_assert_eq(x->nr_routes, y->nr_routes);
		for (size_t j = 0; j < x->nr_routes; j++) {
			const struct gc_route *p = &x->routes[j], *q = &y->routes[j];

			cr_assert_eq(p->destination.family, q->destination.family);
			same_ip(p->destination.family, p->destination.addr, q->destination.addr);
			cr_assert_eq(p->destination.prefix, q->destination.prefix);
			cr_assert_eq(p->has_gateway, q->has_gateway);
			if (p->has_gateway)
				same_ip(p->destination.family, p->gateway, q->gateway);
			cr_assert_eq(p->has_source, q->has_source);
			if (p->has_source)
				same_ip(p->destination.family, p->source, q->source);
			cr_assert_eq(p->metric, q->metric);
			cr_assert_eq(p->mtu, q->mtu);
		}
	}
}

static void same_devices(const struct guest_config *a, const struct guest_config *b)
{
	cr_assert_eq(a->nr_devices, b->nr_devices);
	for (size_t i = 0; i < a->nr_devices; i++) {
		const struct gc_device *x = &a->devices[i], *y = &b->devices[i];

		cr_assert_str_eq(x->path, y->path);
		cr_assert_eq(x->type, y->type);
		if (x->type != 'p') {
			cr_assert_eq(x->major, y->major);
			cr_assert_eq(x->minor, y->minor);
		}
		cr_assert_eq(x->has_mode, y->has_mode);
		if (x->has_mode)
			cr_assert_eq(x->mode, y->mode);
		cr_assert_eq(x->has_uid, y->has_uid);
		cr_assert_eq(x->uid, y->uid);
		cr_assert_eq(x->has_gid, y->has_gid);
		cr_assert_eq(x->gid, y->gid);
	}
}

static void same_resources(const struct gc_resources *a, const struct gc_resources *b)
{
	cr_assert_eq(a->has_memory, b->has_memory);
	cr_assert_eq(a->memory, b->memory);
	cr_assert_eq(a->has_memory_swap, b->has_memory_swap);
	cr_assert_eq(a->memory_swap, b->memory_swap);
	cr_assert_eq(a->has_pids, b->has_pids);
	cr_assert_eq(a->pids, b->pids);
	cr_assert_eq(a->has_cpu_quota, b->has_cpu_quota);
	cr_assert_eq(a->cpu_quota, b->cpu_quota);
	cr_assert_eq(a->has_cpu_period, b->has_cpu_period);
	cr_assert_eq(a->cpu_period, b->cpu_period);
	cr_assert_eq(a->has_cpu_weight, b->has_cpu_weight);
	cr_assert_eq(a->cpu_weight, b->cpu_weight);
	cr_assert_eq(a->has_devices, b->has_devices);
	cr_assert_eq(a->nr_devices, b->nr_devices);
	for (size_t i = 0; i < a->nr_devices; i++) {
		const struct gc_device_rule *x = &a->devices[i], *y = &b->devices[i];

		cr_assert_eq(x->allow, y->allow, "rule %zu", i);
		cr_assert_eq(x->type, y->type, "rule %zu", i);
		cr_assert_eq(x->major, y->major, "rule %zu", i);
		cr_assert_eq(x->minor, y->minor, "rule %zu", i);
		cr_assert_eq(x->read, y->read, "rule %zu", i);
		cr_assert_eq(x->write, y->write, "rule %zu", i);
		cr_assert_eq(x->mknod, y->mknod, "rule %zu", i);
	}
	cr_assert_eq(a->nr_unified, b->nr_unified);
	for (size_t i = 0; i < a->nr_unified; i++) {
		cr_assert_str_eq(a->unified[i].key, b->unified[i].key);
		cr_assert_str_eq(a->unified[i].value, b->unified[i].value);
	}
}

static void check_same(const struct guest_config *a, const struct guest_config *b)
{
	same_str(a->hostname, b->hostname);
	same_str(a->domainname, b->domainname);
	cr_assert_eq(a->has_root, b->has_root);
	same_str(a->root_share, b->root_share);
	cr_assert_eq(a->root_readonly, b->root_readonly);
	cr_assert_eq(a->root_propagation, b->root_propagation);
	same_strv(a->masked_paths, a->nr_masked_paths, b->masked_paths, b->nr_masked_paths);
	same_strv(a->readonly_paths, a->nr_readonly_paths, b->readonly_paths, b->nr_readonly_paths);
	same_devices(a, b);
	cr_assert_eq(a->pid_namespace, b->pid_namespace);
	cr_assert_eq(a->has_resources, b->has_resources);
	same_resources(&a->resources, &b->resources);
	cr_assert_eq(a->nr_mounts, b->nr_mounts);
	for (size_t i = 0; i < a->nr_mounts; i++) {
		const struct gc_mount *x = &a->mounts[i], *y = &b->mounts[i];

		same_str(x->destination, y->destination);
		same_str(x->type, y->type);
		same_str(x->source, y->source);
		same_strv(x->options, x->nr_options, y->options, y->nr_options);
		same_str(x->share, y->share);
		same_str(x->file, y->file);
	}
	same_strv(a->args, a->nr_args, b->args, b->nr_args);
	same_strv(a->env, a->nr_env, b->env, b->nr_env);
	same_str(a->cwd, b->cwd);
	cr_assert_eq(a->terminal, b->terminal);
	cr_assert_eq(a->uid, b->uid);
	cr_assert_eq(a->gid, b->gid);
	cr_assert_eq(a->nr_additional_gids, b->nr_additional_gids);
	for (size_t i = 0; i < a->nr_additional_gids; i++)
		cr_assert_eq(a->additional_gids[i], b->additional_gids[i]);
	cr_assert_eq(a->has_umask, b->has_umask);
	cr_assert_eq(a->umask, b->umask);
	cr_assert_eq(a->has_caps, b->has_caps);
	for (int s = 0; s < HY_CAP_NR_SETS; s++)
		cr_assert_eq(a->caps[s], b->caps[s], "set %d", s);
	cr_assert_eq(a->nr_rlimits, b->nr_rlimits);
	for (size_t i = 0; i < a->nr_rlimits; i++) {
		cr_assert_eq(a->rlimits[i].resource, b->rlimits[i].resource);
		cr_assert_eq(a->rlimits[i].soft, b->rlimits[i].soft);
		cr_assert_eq(a->rlimits[i].hard, b->rlimits[i].hard);
	}
	cr_assert_eq(a->no_new_privileges, b->no_new_privileges);
	cr_assert_eq(a->has_oom_score_adj, b->has_oom_score_adj);
	cr_assert_eq(a->oom_score_adj, b->oom_score_adj);
	cr_assert_eq(a->has_scheduler, b->has_scheduler);
	cr_assert_eq(a->scheduler.policy, b->scheduler.policy);
	cr_assert_eq(a->scheduler.nice, b->scheduler.nice);
	cr_assert_eq(a->scheduler.priority, b->scheduler.priority);
	cr_assert_eq(a->scheduler.flags, b->scheduler.flags);
	cr_assert_eq(a->scheduler.runtime, b->scheduler.runtime);
	cr_assert_eq(a->scheduler.deadline, b->scheduler.deadline);
	cr_assert_eq(a->scheduler.period, b->scheduler.period);
	cr_assert_eq(a->has_io_priority, b->has_io_priority);
	cr_assert_eq(a->io_priority.ioclass, b->io_priority.ioclass);
	cr_assert_eq(a->io_priority.priority, b->io_priority.priority);
	cr_assert_eq(a->has_personality, b->has_personality);
	cr_assert_eq(a->personality, b->personality);
	same_nics(a, b);
	cr_assert_eq(a->nr_standby, b->nr_standby);
	for (size_t i = 0; i < a->nr_standby; i++)
		cr_assert_arr_eq(a->standby[i].mac, b->standby[i].mac, 6);
	cr_assert_eq(a->nr_sysctl, b->nr_sysctl);
	for (size_t i = 0; i < a->nr_sysctl; i++) {
		cr_assert_str_eq(a->sysctl[i].key, b->sysctl[i].key);
		cr_assert_str_eq(a->sysctl[i].value, b->sysctl[i].value);
	}
	cr_assert_eq(a->seccomp == NULL, b->seccomp == NULL);
	if (!a->seccomp)
		return;
	cr_assert_eq(a->seccomp->flags, b->seccomp->flags);
	cr_assert_eq(a->seccomp->default_action, b->seccomp->default_action);
	cr_assert_eq(a->seccomp->has_default_errno_ret, b->seccomp->has_default_errno_ret);
	cr_assert_eq(a->seccomp->default_errno_ret, b->seccomp->default_errno_ret);
	same_strv(a->seccomp->architectures, a->seccomp->nr_architectures,
		  b->seccomp->architectures, b->seccomp->nr_architectures);
	cr_assert_eq(a->seccomp->nr_syscalls, b->seccomp->nr_syscalls);
	for (size_t i = 0; i < a->seccomp->nr_syscalls; i++) {
		const struct gc_seccomp_rule *x = &a->seccomp->syscalls[i];
		const struct gc_seccomp_rule *y = &b->seccomp->syscalls[i];

		same_strv(x->names, x->nr_names, y->names, y->nr_names);
		cr_assert_eq(x->action, y->action);
		cr_assert_eq(x->has_errno_ret, y->has_errno_ret);
		cr_assert_eq(x->errno_ret, y->errno_ret);
		cr_assert_eq(x->nr_args, y->nr_args);
		for (size_t j = 0; j < x->nr_args; j++) {
			cr_assert_eq(x->args[j].index, y->args[j].index);
			cr_assert_eq(x->args[j].value, y->args[j].value);
			cr_assert_eq(x->args[j].value_two, y->args[j].value_two);
			cr_assert_eq(x->args[j].op, y->args[j].op);
		}
	}
}

static void round_trip(const struct guest_config *gc, struct guest_config *out)
{
	char err[256] = "";
	char *text = guest_config_encode(gc, err, sizeof(err));

	cr_assert(text, "encode: %s", err);
	cr_assert_eq(guest_config_decode(out, text, strlen(text), err, sizeof(err)), 0,
		     "decode: %s\n%s", err, text);
	cr_assert(out->priv);
	check_same(gc, out);
	free(text);
}

Test(guest_config, full_round_trip)
{
	struct guest_config gc = full(), out;

	round_trip(&gc, &out);
	/* Decoded, not encoded. */
	cr_assert(!out.mounts[0].bind);
	cr_assert(out.mounts[1].bind);
	cr_assert(out.mounts[2].bind);
	cr_assert_null(out.args[out.nr_args]);
	cr_assert_null(out.env[out.nr_env]);
	cr_assert_eq(out.rlimits[1].hard, RLIM_INFINITY);
	guest_config_free(&out);
	cr_assert_null(out.priv);
	cr_assert_null(out.args);
}

Test(guest_config, minimal_round_trip)
{
	struct guest_config gc = {.args = args, .nr_args = 1, .cwd = "/"}, out;

	round_trip(&gc, &out);
	cr_assert(!out.has_root && !out.has_caps && !out.seccomp && !out.env);
	guest_config_free(&out);
}

Test(guest_config, default_round_trip)
{
	struct guest_config gc, out;

	guest_config_default(&gc, args, 3);
	cr_assert(gc.has_root);
	cr_assert_str_eq(gc.root_share, HY_SHARE_ROOTFS);
	cr_assert(!gc.root_readonly && !gc.has_caps && !gc.seccomp);
	cr_assert_eq(gc.nr_mounts, 7);
	cr_assert_str_eq(gc.mounts[0].destination, "/proc");
	cr_assert_str_eq(gc.mounts[6].destination, "/sys/fs/cgroup");
	cr_assert_str_eq(gc.mounts[6].type, "cgroup2");
	cr_assert_str_eq(gc.env[0],
			 "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	cr_assert_str_eq(gc.env[1], "HOME=/root");
	cr_assert_null(gc.env[2]);
	cr_assert_str_eq(gc.cwd, "/");
	cr_assert_eq(gc.uid, 0);
	cr_assert_null(gc.priv);
	round_trip(&gc, &out);
	guest_config_free(&out);
}

Test(guest_config, encode_compact_and_versioned)
{
	struct guest_config gc = {.args = args, .nr_args = 1, .cwd = "/"};
	char err[256], *text = guest_config_encode(&gc, err, sizeof(err));

	cr_assert(text, "%s", err);
	cr_assert_str_eq(text, "{\"version\":1,\"process\":{\"args\":[\"/bin/sh\"],\"cwd\":\"/\","
			       "\"uid\":0,\"gid\":0}}");
	free(text);
}

/* decode_fails(TEXT, MESSAGE-PART) */
static void decode_fails(const char *text, const char *want)
{
	struct guest_config gc;
	char err[256] = "";
	int r = guest_config_decode(&gc, text, strlen(text), err, sizeof(err));

	cr_assert_eq(r, -EINVAL, "accepted: %s", text);
	cr_assert(strstr(err, want), "message '%s' lacks '%s' (%s)", err, want, text);
	cr_assert_null(gc.priv);
}

#define PROC "\"process\":{\"args\":[\"/bin/true\"],\"cwd\":\"/\",\"uid\":0,\"gid\":0}"
#define DOC(s) "{\"version\":1," s "}"

Test(guest_config, decode_minimal_document)
{
	static const char text[] = DOC(PROC);
	struct guest_config gc;
	char err[256];

	cr_assert_eq(guest_config_decode(&gc, text, strlen(text), err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(gc.args[0], "/bin/true");
	guest_config_free(&gc);
}

Test(guest_config, bad_process)
{
	decode_fails(DOC("\"process\":{\"cwd\":\"/\",\"uid\":0,\"gid\":0}"),
		     "process.args: must be a non-empty array of strings");
	decode_fails(DOC("\"process\":{\"args\":[],\"cwd\":\"/\",\"uid\":0,\"gid\":0}"),
		     "process.args: must be a non-empty array of strings");
	decode_fails(DOC("\"process\":{\"args\":[\"a\",1],\"cwd\":\"/\",\"uid\":0,\"gid\":0}"),
		     "process.args: must be a non-empty array of strings");
	decode_fails(DOC("\"process\":{\"args\":[\"a\"],\"cwd\":\"work\",\"uid\":0,\"gid\":0}"),
		     "process.cwd: must be an absolute path");
	decode_fails(DOC("\"process\":{\"args\":[\"a\"],\"cwd\":\"/\",\"gid\":0}"),
		     "process.uid: must be an integer");
	decode_fails(DOC("\"process\":{\"args\":[\"a\"],\"cwd\":\"/\",\"uid\":-1,\"gid\":0}"),
		     "process.uid: must be an integer from 0 to 4294967295");
	decode_fails(DOC("\"process\":{\"args\":[\"a\"],\"cwd\":\"/\",\"uid\":0,\"gid\":\"0\"}"),
		     "process.gid: must be an integer");
	decode_fails(DOC("\"process\":{\"args\":[\"a\"],\"cwd\":\"/\",\"uid\":0,\"gid\":0,"
			 "\"terminal\":1}"),
		     "process.terminal: must be true or false");
	decode_fails(DOC("\"process\":{\"args\":[\"a\"],\"cwd\":\"/\",\"uid\":0,\"gid\":0,"
			 "\"umask\":4096}"),
		     "process.umask: must be an integer from 0 to 4095");
	decode_fails(DOC("\"process\":{\"args\":[\"a\"],\"cwd\":\"/\",\"uid\":0,\"gid\":0,"
			 "\"oomScoreAdj\":1001}"),
		     "process.oomScoreAdj");
	decode_fails(DOC("\"process\":{\"args\":[\"a\"],\"cwd\":\"/\",\"uid\":0,\"gid\":0,"
			 "\"additionalGids\":[1,\"x\"]}"),
		     "process.additionalGids[1]: must be an integer");
	decode_fails(DOC("\"process\":{\"args\":[\"a\"],\"cwd\":\"/\",\"uid\":0,\"gid\":0,"
			 "\"env\":\"PATH=/bin\"}"),
		     "process.env: must be an array of strings");
	decode_fails(DOC("\"process\":[]"), "process: must be an object");
	decode_fails(DOC("\"hostname\":\"x\""), "process: required");
}

Test(guest_config, bad_names)
{
	decode_fails(DOC(PROC ",\"process\":{}"), "duplicate");
	decode_fails(DOC("\"process\":{\"args\":[\"a\"],\"cwd\":\"/\",\"uid\":0,\"gid\":0,"
			 "\"capabilities\":{\"bounding\":[\"CAP_CHOWN\",\"CAP_FLY\"]}}"),
		     "process.capabilities.bounding: unknown capability \"CAP_FLY\"");
	decode_fails(DOC("\"process\":{\"args\":[\"a\"],\"cwd\":\"/\",\"uid\":0,\"gid\":0,"
			 "\"capabilities\":{\"everything\":[]}}"),
		     "process.capabilities: unknown member \"everything\"");
	decode_fails(DOC("\"process\":{\"args\":[\"a\"],\"cwd\":\"/\",\"uid\":0,\"gid\":0,"
			 "\"rlimits\":[{\"type\":\"RLIMIT_FUN\",\"soft\":1,\"hard\":1}]}"),
		     "process.rlimits[0].type: unknown rlimit \"RLIMIT_FUN\"");
	decode_fails(DOC("\"process\":{\"args\":[\"a\"],\"cwd\":\"/\",\"uid\":0,\"gid\":0,"
			 "\"rlimits\":[{\"type\":\"RLIMIT_CORE\",\"soft\":1}]}"),
		     "process.rlimits[0].hard: must be an integer");
	decode_fails(DOC(PROC ",\"seccomp\":{\"defaultAction\":\"SCMP_ACT_PANIC\"}"),
		     "seccomp.defaultAction: unknown action \"SCMP_ACT_PANIC\"");
	decode_fails(DOC(PROC ",\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
			      "\"architectures\":[\"SCMP_ARCH_Z80\"]}"),
		     "seccomp.architectures: unknown architecture \"SCMP_ARCH_Z80\"");
	decode_fails(DOC(PROC ",\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
			      "\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\","
			      "\"args\":[{\"index\":6,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}"),
		     "seccomp.syscalls[0].args[0].index: must be an integer from 0 to 5");
	decode_fails(DOC(PROC ",\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
			      "\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\","
			      "\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_ABOUT\"}]}]}"),
		     "seccomp.syscalls[0].args[0].op: unknown operator \"SCMP_CMP_ABOUT\"");
	decode_fails(DOC(PROC ",\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
			      "\"syscalls\":[{\"names\":[],\"action\":\"SCMP_ACT_ERRNO\"}]}"),
		     "seccomp.syscalls[0].names: must be a non-empty array of strings");
	decode_fails(DOC(PROC ",\"sysctl\":{\"net/../../x\":\"1\"}"),
		     "sysctl.net/../../x: not a sysctl name");
	decode_fails(DOC(PROC ",\"sysctl\":{\"net.x\":1}"), "sysctl.net.x: must be a string");
}

Test(guest_config, unknown_members)
{
	decode_fails(DOC(PROC ",\"linux\":{}"), "guest configuration: unknown member \"linux\"");
	decode_fails(DOC("\"process\":{\"args\":[\"a\"],\"cwd\":\"/\",\"uid\":0,\"gid\":0,"
			 "\"user\":{}}"),
		     "process: unknown member \"user\"");
	decode_fails(DOC(PROC ",\"root\":{\"share\":\"rootfs\",\"path\":\"/x\"}"),
		     "root: unknown member \"path\"");
	decode_fails(DOC(PROC ",\"mounts\":[{\"destination\":\"/x\",\"type\":\"tmpfs\","
			      "\"hyrun.share\":\"a\"}]"),
		     "mounts[0]: unknown member \"hyrun.share\"");
	decode_fails(DOC(PROC ",\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flag\":[]}"),
		     "seccomp: unknown member \"flag\"");
	decode_fails(DOC(PROC ",\"personality\":{\"domain\":\"LINUX\",\"flags\":[]}"),
		     "personality: unknown member \"flags\"");
	decode_fails(DOC("\"process\":{\"args\":[\"a\"],\"cwd\":\"/\",\"uid\":0,\"gid\":0,"
			 "\"scheduler\":{\"policy\":\"SCHED_OTHER\",\"utilMin\":0}}"),
		     "process.scheduler: unknown member \"utilMin\"");
}

Test(guest_config, bad_mounts)
{
	decode_fails(DOC(PROC ",\"mounts\":[{\"destination\":\"proc\",\"type\":\"proc\"}]"),
		     "mounts[0].destination: must be an absolute path");
	decode_fails(DOC(PROC ",\"mounts\":[{\"type\":\"proc\"}]"),
		     "mounts[0].destination: must be an absolute path");
	decode_fails(DOC(PROC ",\"mounts\":[{\"destination\":\"/p\",\"type\":\"proc\"},"
			      "{\"destination\":\"/d\",\"type\":\"bind\",\"source\":\"/x\"}]"),
		     "mounts[1]: a bind mount needs \"share\" or \"file\"");
	decode_fails(DOC(PROC ",\"mounts\":[{\"destination\":\"/d\",\"type\":\"none\","
			      "\"options\":[\"rbind\"]}]"),
		     "mounts[0]: a bind mount needs \"share\" or \"file\"");
	decode_fails(DOC(PROC ",\"mounts\":[{\"destination\":\"/d\",\"type\":\"tmpfs\","
			      "\"share\":\"m0\"}]"),
		     "mounts[0]: \"share\" is only for a bind mount");
	decode_fails(DOC(PROC ",\"mounts\":[{\"destination\":\"/d\",\"type\":\"bind\","
			      "\"share\":\"m0\",\"file\":\"1\"}]"),
		     "mounts[0]: \"share\" and \"file\" exclude each other");
	decode_fails(DOC(PROC ",\"mounts\":[{\"destination\":\"/d\",\"type\":\"bind\","
			      "\"file\":\"../etc/shadow\"}]"),
		     "mounts[0].file: must be a file name");
	decode_fails(DOC(PROC ",\"mounts\":[{\"destination\":\"/d\",\"options\":[\"ro\"]}]"),
		     "mounts[0]: \"type\" is required");
	decode_fails(DOC(PROC ",\"mounts\":[{\"destination\":\"/d\",\"type\":\"tmpfs\","
			      "\"options\":[\"ro\",7]}]"),
		     "mounts[0].options: must be an array of strings");
	decode_fails(DOC(PROC ",\"mounts\":{}"), "mounts: must be an array of objects");
	decode_fails(DOC(PROC ",\"root\":{\"readonly\":true}"),
		     "root.share: must be a non-empty string");
}

Test(guest_config, bad_documents)
{
	decode_fails("{\"version\":1,", "invalid JSON at line 1");
	decode_fails("[]", "guest configuration: must be an object");
	decode_fails("{" PROC "}", "version: must be an integer");
	decode_fails("{\"version\":2," PROC "}", "version: 2");
	decode_fails(DOC(PROC ",\"hostname\":\"\""), "hostname: must be a non-empty string");
}

Test(guest_config, encode_refuses)
{
	struct guest_config gc = {.args = args, .nr_args = 1, .cwd = "rel"};
	struct gc_mount m = {.destination = "/d", .type = "bind"};
	struct gc_rlimit rl = {.resource = 999};
	char err[256];

	cr_assert_null(guest_config_encode(&gc, err, sizeof(err)));
	cr_assert(strstr(err, "process.cwd: must be an absolute path"), "%s", err);
	gc.cwd = "/";
	gc.nr_args = 0;
	cr_assert_null(guest_config_encode(&gc, err, sizeof(err)));
	cr_assert(strstr(err, "process.args"), "%s", err);
	gc.nr_args = 1;
	gc.mounts = &m;
	gc.nr_mounts = 1;
	cr_assert_null(guest_config_encode(&gc, err, sizeof(err)));
	cr_assert(strstr(err, "mounts[0]: a bind mount needs"), "%s", err);
	m.destination = NULL;
	cr_assert_null(guest_config_encode(&gc, err, sizeof(err)));
	cr_assert(strstr(err, "mounts[0].destination: missing"), "%s", err);
	gc.nr_mounts = 0;
	gc.rlimits = &rl;
	gc.nr_rlimits = 1;
	cr_assert_null(guest_config_encode(&gc, err, sizeof(err)));
	cr_assert(strstr(err, "process.rlimits: unknown resource 999"), "%s", err);
	gc.nr_rlimits = 0;
	gc.has_caps = true;
	gc.caps[HY_CAP_AMBIENT] = 1ull << 63;
	cr_assert_null(guest_config_encode(&gc, err, sizeof(err)));
	cr_assert(strstr(err, "process.capabilities: no name for capability 63"), "%s", err);
	gc.caps[HY_CAP_AMBIENT] = 0;
	gc.cwd = NULL;
	cr_assert_null(guest_config_encode(&gc, err, sizeof(err)));
	cr_assert(strstr(err, "process.cwd: missing"), "%s", err);
}

Test(guest_config, network_encoding)
{
	struct guest_config gc = {
	    .args = args, .nr_args = 1, .cwd = "/", .nics = nics, .nr_nics = 2};
	char err[256], *text = guest_config_encode(&gc, err, sizeof(err));

	cr_assert(text, "%s", err);
	cr_assert(strstr(text,
			 "\"network\":[{\"name\":\"eth0\",\"mac\":\"02:42:ac:11:00:02\","
			 "\"mtu\":1500,\"addresses\":[\"10.88.0.5/16\",\"fd00::5/64\"],"
			 "\"routes\":[{\"destination\":\"10.88.0.0/16\"},"
			 "{\"destination\":\"0.0.0.0/0\",\"gateway\":\"10.88.0.1\","
			 "\"source\":\"10.88.0.5\",\"metric\":4294967295,\"mtu\":1400},"
			 "{\"destination\":\"::/0\",\"gateway\":\"fe80::1\",\"metric\":1024}]},"
			 "{\"name\":\"net1\",\"mac\":\"0a:00:00:00:00:ff\",\"mtu\":65535}]"),
		  "%s", text);
	free(text);
}

#define NIC(s) "{\"name\":\"eth0\",\"mac\":\"02:00:00:00:00:01\",\"mtu\":1500" s "}"
#define NET(s) DOC(PROC ",\"network\":[" s "]")

Test(guest_config, decode_network)
{
	static const char text[] = NET(
	    "{\"name\":\"net-1.a_b\",\"mac\":\"0A:BC:de:F0:00:01\",\"mtu\":68,"
	    "\"addresses\":[\"192.168.1.255/24\",\"::ffff:10.0.0.1/128\",\"10.1.2.3/0\"],"
	    "\"routes\":[{\"destination\":\"fd00:1::/32\",\"source\":\"fd00:1::2\",\"metric\":0},"
	    "{\"destination\":\"192.168.1.128/25\",\"mtu\":65535},"
	    "{\"destination\":\"10.9.9.9/32\",\"gateway\":\"192.168.1.1\"}]},"
	    "{\"name\":\"eth0\",\"mac\":\"02:00:00:00:00:01\",\"mtu\":65535,\"addresses\":[],"
	    "\"routes\":[]}");
	static const uint8_t v6net[16] = {0xfd, 0, 0, 1};
	struct guest_config gc;
	char err[256];

	cr_assert_eq(guest_config_decode(&gc, text, strlen(text), err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(gc.nr_nics, 2);
	cr_assert_str_eq(gc.nics[0].name, "net-1.a_b");
	cr_assert_arr_eq(gc.nics[0].mac, ((uint8_t[]){0x0a, 0xbc, 0xde, 0xf0, 0, 1}), 6);
	cr_assert_eq(gc.nics[0].mtu, 68);
	cr_assert_eq(gc.nics[0].nr_addresses, 3);
	cr_assert_eq(gc.nics[0].addresses[0].family, AF_INET);
	cr_assert_arr_eq(gc.nics[0].addresses[0].addr, ((uint8_t[]){192, 168, 1, 255}), 4);
	cr_assert_eq(gc.nics[0].addresses[0].prefix, 24);
	cr_assert_eq(gc.nics[0].addresses[1].family, AF_INET6);
	cr_assert_eq(gc.nics[0].addresses[1].prefix, 128);
	cr_assert_eq(gc.nics[0].addresses[1].addr[10], 0xff);
	cr_assert_eq(gc.nics[0].addresses[1].addr[15], 1);
	cr_assert_eq(gc.nics[0].addresses[2].prefix, 0);
	cr_assert_eq(gc.nics[0].nr_routes, 3);
	cr_assert_eq(gc.nics[0].routes[0].destination.family, AF_INET6);
	cr_assert_arr_eq(gc.nics[0].routes[0].destination.addr, v6net, 16);
	cr_assert_eq(gc.nics[0].routes[0].destination.prefix, 32);
	cr_assert(!gc.nics[0].routes[0].has_gateway && gc.nics[0].routes[0].has_source);
	cr_assert_eq(gc.nics[0].routes[0].source[15], 2);
	cr_assert_eq(gc.nics[0].routes[0].mtu, 0);
	cr_assert_eq(gc.nics[0].routes[1].mtu, 65535);
	cr_assert(gc.nics[0].routes[2].has_gateway && !gc.nics[0].routes[2].has_source);
	cr_assert_arr_eq(gc.nics[0].routes[2].gateway, ((uint8_t[]){192, 168, 1, 1}), 4);
	cr_assert_eq(gc.nics[1].nr_addresses, 0);
	cr_assert_eq(gc.nics[1].nr_routes, 0);
	guest_config_free(&gc);
}

Test(guest_config, network_limits)
{
	struct gc_ip ips[GC_MAX_ADDRESSES + 1] = {0};
	struct gc_route routes[GC_MAX_ROUTES + 1] = {0};
	struct gc_nic many[GC_MAX_NICS + 1] = {0};
	struct guest_config gc = {.args = args, .nr_args = 1, .cwd = "/", .nics = many};
	char names[GC_MAX_NICS + 1][8], err[256], *text;

	for (size_t i = 0; i < GC_MAX_ADDRESSES + 1; i++)
		ips[i] =
		    (struct gc_ip){.family = AF_INET, .addr = {10, 0, 0, (uint8_t)i}, .prefix = 8};
	for (size_t i = 0; i < GC_MAX_ROUTES + 1; i++)
		routes[i] = (struct gc_route){
		    .destination = {.family = AF_INET, .addr = {10, (uint8_t)i}, .prefix = 16}};
	for (size_t i = 0; i < GC_MAX_NICS + 1; i++) {
		snprintf(names[i], sizeof(names[i]), "eth%zu", i);
		many[i] = (struct gc_nic){.name = names[i],
					  .mac = {2, 0, 0, 0, 0, (uint8_t)i + 1},
					  .mtu = 1500,
					  .addresses = ips,
					  .nr_addresses = GC_MAX_ADDRESSES,
					  .routes = routes,
					  .nr_routes = GC_MAX_ROUTES};
	}
	gc.nr_nics = GC_MAX_NICS;
	text = guest_config_encode(&gc, err, sizeof(err));
	cr_assert(text, "%s", err);
	free(text);
	gc.nr_nics = GC_MAX_NICS + 1;
	cr_assert_null(guest_config_encode(&gc, err, sizeof(err)));
	cr_assert(strstr(err, "network: at most 4 interfaces"), "%s", err);
	gc.nr_nics = 1;
	many[0].nr_addresses = GC_MAX_ADDRESSES + 1;
	cr_assert_null(guest_config_encode(&gc, err, sizeof(err)));
	cr_assert(strstr(err, "network[0].addresses: at most 32 addresses"), "%s", err);
	many[0].nr_addresses = 0;
	many[0].nr_routes = GC_MAX_ROUTES + 1;
	cr_assert_null(guest_config_encode(&gc, err, sizeof(err)));
	cr_assert(strstr(err, "network[0].routes: at most 64 routes"), "%s", err);
}

Test(guest_config, bad_network)
{
	decode_fails(DOC(PROC ",\"network\":{}"), "network: must be an array of objects");
	decode_fails(NET("[]"), "network[0]: must be an object");
	decode_fails(NET(NIC(",\"ipv4\":[]")), "network[0]: unknown member \"ipv4\"");
	/* name */
	decode_fails(NET("{\"mac\":\"02:00:00:00:00:01\",\"mtu\":1500}"),
		     "network[0].name: must be a non-empty string");
	decode_fails(NET("{\"name\":\"\",\"mac\":\"02:00:00:00:00:01\",\"mtu\":1500}"),
		     "network[0].name: must be a non-empty string");
	decode_fails(NET("{\"name\":\"lo\",\"mac\":\"02:00:00:00:00:01\",\"mtu\":1500}"),
		     "network[0].name: \"lo\" is not an interface name");
	decode_fails(
	    NET("{\"name\":\"0123456789abcdef\",\"mac\":\"02:00:00:00:00:01\","
		"\"mtu\":1500}"),
	    "network[0].name: \"0123456789abcdef\" is not an interface name: 1 to 15 bytes");
	decode_fails(NET("{\"name\":\"a/b\",\"mac\":\"02:00:00:00:00:01\",\"mtu\":1500}"),
		     "network[0].name: \"a/b\" is not");
	decode_fails(NET("{\"name\":\"eth0:1\",\"mac\":\"02:00:00:00:00:01\",\"mtu\":1500}"),
		     "network[0].name: \"eth0:1\" is not");
	decode_fails(NET("{\"name\":\"eth 0\",\"mac\":\"02:00:00:00:00:01\",\"mtu\":1500}"),
		     "network[0].name: \"eth 0\" is not");
	decode_fails(NET("{\"name\":\"eth\\t\",\"mac\":\"02:00:00:00:00:01\",\"mtu\":1500}"),
		     "network[0].name:");
	decode_fails(NET("{\"name\":\"eth%d\",\"mac\":\"02:00:00:00:00:01\",\"mtu\":1500}"),
		     "network[0].name: \"eth%d\" is not");
	decode_fails(NET("{\"name\":\"..\",\"mac\":\"02:00:00:00:00:01\",\"mtu\":1500}"),
		     "network[0].name: \"..\" is not");
	decode_fails(NET(NIC("") "," NIC("")), "network[1].name: \"eth0\" given twice");
	/* mac */
	decode_fails(NET("{\"name\":\"eth0\",\"mtu\":1500}"),
		     "network[0].mac: must be a non-empty string");
	decode_fails(NET("{\"name\":\"eth0\",\"mac\":\"02:00:00:00:00\",\"mtu\":1500}"),
		     "network[0].mac: \"02:00:00:00:00\" is not six hex pairs");
	decode_fails(NET("{\"name\":\"eth0\",\"mac\":\"02:00:00:00:00:01:\",\"mtu\":1500}"),
		     "network[0].mac: \"02:00:00:00:00:01:\" is not six hex pairs");
	decode_fails(NET("{\"name\":\"eth0\",\"mac\":\"02-00-00-00-00-01\",\"mtu\":1500}"),
		     "network[0].mac: \"02-00-00-00-00-01\" is not six hex pairs");
	decode_fails(NET("{\"name\":\"eth0\",\"mac\":\"0g:00:00:00:00:01\",\"mtu\":1500}"),
		     "network[0].mac: \"0g:00:00:00:00:01\" is not six hex pairs");
	decode_fails(NET("{\"name\":\"eth0\",\"mac\":\"01:00:5e:00:00:01\",\"mtu\":1500}"),
		     "network[0].mac: 01:00:5e:00:00:01 is not a unicast address");
	decode_fails(NET("{\"name\":\"eth0\",\"mac\":\"00:00:00:00:00:00\",\"mtu\":1500}"),
		     "network[0].mac: 00:00:00:00:00:00 is not a unicast address");
	decode_fails(NET(NIC("") ",{\"name\":\"eth1\",\"mac\":\"02:00:00:00:00:01\",\"mtu\":1500}"),
		     "network[1].mac: 02:00:00:00:00:01 given twice");
	/* mtu */
	decode_fails(NET("{\"name\":\"eth0\",\"mac\":\"02:00:00:00:00:01\"}"),
		     "network[0].mtu: must be an integer from 68 to 65535");
	decode_fails(NET("{\"name\":\"eth0\",\"mac\":\"02:00:00:00:00:01\",\"mtu\":67}"),
		     "network[0].mtu: must be an integer from 68 to 65535");
	decode_fails(NET("{\"name\":\"eth0\",\"mac\":\"02:00:00:00:00:01\",\"mtu\":65536}"),
		     "network[0].mtu: must be an integer from 68 to 65535");
	/* addresses */
	decode_fails(NET(NIC(",\"addresses\":\"10.0.0.1/8\"")),
		     "network[0].addresses: must be an array of strings");
	decode_fails(NET(NIC(",\"addresses\":[\"10.0.0.1/8\",1]")),
		     "network[0].addresses[1]: must be a string");
	decode_fails(
	    NET(NIC(",\"addresses\":[\"10.0.0.1\"]")),
	    "network[0].addresses[0]: \"10.0.0.1\" is not an address with a prefix length");
	decode_fails(NET(NIC(",\"addresses\":[\"10.0.0.1/\"]")),
		     "network[0].addresses[0]: \"10.0.0.1/\" is not an address");
	decode_fails(NET(NIC(",\"addresses\":[\"10.0.0.1/08\"]")),
		     "network[0].addresses[0]: \"10.0.0.1/08\" is not an address");
	decode_fails(NET(NIC(",\"addresses\":[\"10.0.0.1/+8\"]")),
		     "network[0].addresses[0]: \"10.0.0.1/+8\" is not an address");
	decode_fails(NET(NIC(",\"addresses\":[\"10.0.0.1/8/8\"]")),
		     "network[0].addresses[0]: \"10.0.0.1/8/8\" is not an address");
	decode_fails(NET(NIC(",\"addresses\":[\"10.0.1/8\"]")),
		     "network[0].addresses[0]: \"10.0.1/8\" is not an address");
	decode_fails(NET(NIC(",\"addresses\":[\"10.0.0.256/8\"]")),
		     "network[0].addresses[0]: \"10.0.0.256/8\" is not an address");
	decode_fails(NET(NIC(",\"addresses\":[\"fd00::5::1/64\"]")),
		     "network[0].addresses[0]: \"fd00::5::1/64\" is not an address");
	decode_fails(NET(NIC(",\"addresses\":[\"eth0/24\"]")),
		     "network[0].addresses[0]: \"eth0/24\" is not an address");
	decode_fails(NET(NIC(",\"addresses\":[\"10.0.0.1/33\"]")),
		     "network[0].addresses[0]: prefix length 33 is more than 32");
	decode_fails(NET(NIC(",\"addresses\":[\"fd00::1/129\"]")),
		     "network[0].addresses[0]: prefix length 129 is more than 128");
	decode_fails(NET(NIC(",\"addresses\":[\"fd00::1/1280\"]")),
		     "network[0].addresses[0]: \"fd00::1/1280\" is not an address");
	/* routes */
	decode_fails(NET(NIC(",\"routes\":{}")), "network[0].routes: must be an array of objects");
	decode_fails(NET(NIC(",\"routes\":[{\"gateway\":\"10.0.0.1\"}]")),
		     "network[0].routes[0].destination: must be a string");
	decode_fails(NET(NIC(",\"routes\":[{\"destination\":\"default\"}]")),
		     "network[0].routes[0].destination: \"default\" is not an address");
	decode_fails(NET(NIC(",\"routes\":[{\"destination\":\"10.0.0.0/8\",\"via\":\"x\"}]")),
		     "network[0].routes[0]: unknown member \"via\"");
	decode_fails(
	    NET(NIC(",\"routes\":[{\"destination\":\"10.0.0.0/8\"},"
		    "{\"destination\":\"10.0.0.1/8\"}]")),
	    "network[0].routes[1].destination: \"10.0.0.1/8\" has bits set past the prefix");
	decode_fails(NET(NIC(",\"routes\":[{\"destination\":\"10.128.0.0/9\"},"
			     "{\"destination\":\"10.192.0.0/9\"}]")),
		     "network[0].routes[1].destination: \"10.192.0.0/9\" has bits set");
	decode_fails(NET(NIC(",\"routes\":[{\"destination\":\"fd00::1/127\"}]")),
		     "network[0].routes[0].destination: \"fd00::1/127\" has bits set");
	decode_fails(NET(NIC(",\"routes\":[{\"destination\":\"::1/0\"}]")),
		     "network[0].routes[0].destination: \"::1/0\" has bits set");
	decode_fails(
	    NET(NIC(",\"routes\":[{\"destination\":\"0.0.0.0/0\","
		    "\"gateway\":\"fd00::1\"}]")),
	    "network[0].routes[0].gateway: must be an IPv4 address, as the destination is");
	decode_fails(
	    NET(NIC(",\"routes\":[{\"destination\":\"::/0\",\"gateway\":\"10.0.0.1\"}]")),
	    "network[0].routes[0].gateway: must be an IPv6 address, as the destination is");
	decode_fails(
	    NET(NIC(",\"routes\":[{\"destination\":\"::/0\",\"gateway\":\"fd00::1/64\"}]")),
	    "network[0].routes[0].gateway: must be an IPv4 or IPv6 address");
	decode_fails(NET(NIC(",\"routes\":[{\"destination\":\"::/0\",\"gateway\":7}]")),
		     "network[0].routes[0].gateway: must be an IPv4 or IPv6 address");
	decode_fails(NET(NIC(",\"routes\":[{\"destination\":\"::/0\",\"source\":\"1.2.3.4\"}]")),
		     "network[0].routes[0].source: must be an IPv6 address, as the destination is");
	decode_fails(NET(NIC(",\"routes\":[{\"destination\":\"::/0\",\"metric\":-1}]")),
		     "network[0].routes[0].metric: must be an integer from 0 to 4294967295");
	decode_fails(NET(NIC(",\"routes\":[{\"destination\":\"::/0\",\"metric\":4294967296}]")),
		     "network[0].routes[0].metric: must be an integer from 0 to 4294967295");
	decode_fails(NET(NIC(",\"routes\":[{\"destination\":\"::/0\",\"mtu\":0}]")),
		     "network[0].routes[0].mtu: must be an integer from 68 to 65535");
	decode_fails(NET(NIC(",\"routes\":[{\"destination\":\"::/0\",\"mtu\":65536}]")),
		     "network[0].routes[0].mtu: must be an integer from 68 to 65535");
	decode_fails(NET(NIC("") ",{\"name\":\"eth1\",\"mac\":\"02:00:00:00:00:02\",\"mtu\":1500,"
				 "\"routes\":[{},{\"destination\":\"::/0\"}]}"),
		     "network[1].routes[0].destination: must be a string");
}

Test(guest_config, encode_refuses_network)
{
	struct gc_ip ip = {.family = AF_INET, .addr = {10, 0, 0, 1}, .prefix = 8};
	struct gc_route rt = {.destination = {.family = AF_INET6, .prefix = 64}};
	struct gc_nic nic = {.name = "eth0", .mac = {2, 0, 0, 0, 0, 1}, .mtu = 1500};
	struct guest_config gc = {
	    .args = args, .nr_args = 1, .cwd = "/", .nics = &nic, .nr_nics = 1};
	char err[256], *text;

	gc.nics = NULL;
	cr_assert_null(guest_config_encode(&gc, err, sizeof(err)));
	cr_assert(strstr(err, "network: missing"), "%s", err);
	gc.nics = &nic;
	nic.name = NULL;
	cr_assert_null(guest_config_encode(&gc, err, sizeof(err)));
	cr_assert(strstr(err, "network[0].name: missing"), "%s", err);
	nic.name = "eth0";
	nic.mtu = 0;
	cr_assert_null(guest_config_encode(&gc, err, sizeof(err)));
	cr_assert(strstr(err, "network[0].mtu: must be an integer from 68"), "%s", err);
	nic.mtu = 1500;
	nic.nr_addresses = 1;
	cr_assert_null(guest_config_encode(&gc, err, sizeof(err)));
	cr_assert(strstr(err, "network[0].addresses: missing"), "%s", err);
	nic.addresses = &ip;
	ip.family = AF_UNIX;
	cr_assert_null(guest_config_encode(&gc, err, sizeof(err)));
	cr_assert(strstr(err, "network[0].addresses[0]: family 1 is neither AF_INET nor AF_INET6"),
		  "%s", err);
	ip.family = AF_INET;
	ip.prefix = 4000000000u;
	cr_assert_null(guest_config_encode(&gc, err, sizeof(err)));
	cr_assert(strstr(err, "network[0].addresses[0]: \"10.0.0.1/4000000000\" is not an address"),
		  "%s", err);
	ip.prefix = 8;
	nic.nr_routes = 1;
	cr_assert_null(guest_config_encode(&gc, err, sizeof(err)));
	cr_assert(strstr(err, "network[0].routes: missing"), "%s", err);
	nic.routes = &rt;
	rt.has_gateway = true;
	rt.gateway[0] = 0xfe;
	rt.gateway[1] = 0x80;
	text = guest_config_encode(&gc, err, sizeof(err));
	cr_assert(text, "%s", err);
	cr_assert(strstr(text, "\"routes\":[{\"destination\":\"::/64\",\"gateway\":\"fe80::\"}]"),
		  "%s", text);
	free(text);
	rt.destination.addr[15] = 1;
	cr_assert_null(guest_config_encode(&gc, err, sizeof(err)));
	cr_assert(strstr(err, "network[0].routes[0].destination: \"::1/64\" has bits set"), "%s",
		  err);
	rt.destination.addr[15] = 0;
	rt.destination.family = 0;
	cr_assert_null(guest_config_encode(&gc, err, sizeof(err)));
	cr_assert(strstr(err, "network[0].routes[0].destination: family 0 is neither"), "%s", err);
}

/* --- standbyNics ---------------------------------------------------------------- */

#define STANDBY(s) DOC(PROC ",\"standbyNics\":[" s "]")

Test(guest_config, standby_encoding)
{
	struct guest_config gc = {.args = args,
				  .nr_args = 1,
				  .cwd = "/",
				  .nics = nics,
				  .nr_nics = 1,
				  .standby = standby,
				  .nr_standby = 2},
			    out;
	char err[256], *text = guest_config_encode(&gc, err, sizeof(err));

	cr_assert(text, "%s", err);
	cr_assert(strstr(text, "\"standbyNics\":[\"02:5e:1a:00:00:01\",\"02:5e:1a:00:00:02\"]"),
		  "%s", text);
	free(text);
	round_trip(&gc, &out);
	guest_config_free(&out);
	/* none: the member is left out */
	gc.nr_standby = 0;
	text = guest_config_encode(&gc, err, sizeof(err));
	cr_assert(text, "%s", err);
	cr_assert_null(strstr(text, "standbyNics"), "%s", text);
	free(text);
}

Test(guest_config, decode_standby)
{
	static const char text[] =
	    DOC(PROC ",\"network\":[" NIC("") "],\"standbyNics\":["
					      "\"0A:BC:de:F0:00:02\",\"02:5e:1a:00:00:01\"]");
	static const char empty[] = STANDBY("");
	struct guest_config gc;
	char err[256];

	cr_assert_eq(guest_config_decode(&gc, text, strlen(text), err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(gc.nr_nics, 1);
	cr_assert_eq(gc.nr_standby, 2);
	cr_assert_arr_eq(gc.standby[0].mac, ((uint8_t[]){0x0a, 0xbc, 0xde, 0xf0, 0, 2}), 6);
	cr_assert_arr_eq(gc.standby[1].mac, standby[0].mac, 6);
	guest_config_free(&gc);
	cr_assert_eq(guest_config_decode(&gc, empty, strlen(empty), err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(gc.nr_standby, 0);
	guest_config_free(&gc);
}

#define MAC1 "\"02:00:00:00:00:01\""
#define MAC2 "\"02:00:00:00:00:02\""
#define MAC3 "\"02:00:00:00:00:03\""

Test(guest_config, bad_standby)
{
	decode_fails(DOC(PROC ",\"standbyNics\":{}"),
		     "standbyNics: must be an array of MAC addresses");
	decode_fails(DOC(PROC ",\"standbyNics\":\"02:00:00:00:00:01\""),
		     "standbyNics: must be an array of MAC addresses");
	decode_fails(STANDBY(MAC2 ",7"), "standbyNics[1]: must be a non-empty string");
	decode_fails(STANDBY("\"\""), "standbyNics[0]: must be a non-empty string");
	decode_fails(STANDBY(MAC2 ",\"02:00:00:00:00\""),
		     "standbyNics[1]: \"02:00:00:00:00\" is not six hex pairs");
	decode_fails(STANDBY("\"02-00-00-00-00-01\""),
		     "standbyNics[0]: \"02-00-00-00-00-01\" is not six hex pairs");
	decode_fails(STANDBY(MAC2 ",\"03:00:00:00:00:01\""),
		     "standbyNics[1]: 03:00:00:00:00:01 is not a unicast address");
	decode_fails(STANDBY("\"ff:ff:ff:ff:ff:ff\""),
		     "standbyNics[0]: ff:ff:ff:ff:ff:ff is not a unicast address");
	decode_fails(STANDBY("\"00:00:00:00:00:00\""),
		     "standbyNics[0]: 00:00:00:00:00:00 is not a unicast address");
	decode_fails(STANDBY(MAC2 "," MAC3 ",\"02:00:00:00:00:0A\",\"02:00:00:00:00:0a\""),
		     "standbyNics[3]: 02:00:00:00:00:0a given twice");
	/* NIC() has MAC1 */
	decode_fails(DOC(PROC ",\"network\":[" NIC("") "],\"standbyNics\":[" MAC2 "," MAC1 "]"),
		     "standbyNics[1]: 02:00:00:00:00:01 is network[0]'s MAC too");
	decode_fails(STANDBY(MAC1 "," MAC2 "," MAC3 ",\"02:00:00:00:00:04\","
				  "\"02:00:00:00:00:05\""),
		     "standbyNics: at most 4 interfaces with those of \"network\"");
	decode_fails(DOC(PROC
			 ",\"network\":[" NIC("") "],\"standbyNics\":[" MAC2 "," MAC3
						  ",\"02:00:00:00:00:04\",\"02:00:00:00:00:05\"]"),
		     "standbyNics: at most 4 interfaces with those of \"network\"");
}

Test(guest_config, standby_limits)
{
	struct gc_mac macs[GC_MAX_NICS];
	struct gc_nic nic = {.name = "eth0", .mac = {2, 0, 0, 0, 0, 0x10}, .mtu = 1500};
	struct guest_config gc = {.args = args, .nr_args = 1, .cwd = "/", .standby = macs};
	char err[256], *text;

	for (size_t i = 0; i < GC_MAX_NICS; i++)
		macs[i] = (struct gc_mac){.mac = {2, 0, 0, 0, 0, (uint8_t)i + 1}};
	gc.nr_standby = GC_MAX_NICS;
	text = guest_config_encode(&gc, err, sizeof(err));
	cr_assert(text, "%s", err);
	free(text);
	/* together with "network" */
	gc.nics = &nic;
	gc.nr_nics = 1;
	cr_assert_null(guest_config_encode(&gc, err, sizeof(err)));
	cr_assert(strstr(err, "standbyNics: at most 4 interfaces"), "%s", err);
	gc.nr_standby = GC_MAX_NICS - 1;
	text = guest_config_encode(&gc, err, sizeof(err));
	cr_assert(text, "%s", err);
	free(text);
}

Test(guest_config, encode_refuses_standby)
{
	struct gc_nic nic = {.name = "eth0", .mac = {2, 0, 0, 0, 0, 1}, .mtu = 1500};
	struct gc_mac macs[2] = {{.mac = {2, 0, 0, 0, 0, 2}}, {.mac = {2, 0, 0, 0, 0, 3}}};
	struct guest_config gc = {
	    .args = args, .nr_args = 1, .cwd = "/", .nics = &nic, .nr_nics = 1, .nr_standby = 2};
	char err[256];

	cr_assert_null(guest_config_encode(&gc, err, sizeof(err)));
	cr_assert(strstr(err, "standbyNics: missing"), "%s", err);
	gc.standby = macs;
	macs[1].mac[0] = 1;
	cr_assert_null(guest_config_encode(&gc, err, sizeof(err)));
	cr_assert(strstr(err, "standbyNics[1]: 01:00:00:00:00:03 is not a unicast address"), "%s",
		  err);
	macs[1] = macs[0];
	cr_assert_null(guest_config_encode(&gc, err, sizeof(err)));
	cr_assert(strstr(err, "standbyNics[1]: 02:00:00:00:00:02 given twice"), "%s", err);
	macs[1].mac[5] = 1;
	cr_assert_null(guest_config_encode(&gc, err, sizeof(err)));
	cr_assert(strstr(err, "standbyNics[1]: 02:00:00:00:00:01 is network[0]'s MAC too"), "%s",
		  err);
}

/* --- the start configuration ------------------------------------------------------ */

static void decode_start_fails(const char *text, const char *want)
{
	struct guest_config gc;
	char err[256] = "";
	int r = guest_config_decode_start(&gc, text, strlen(text), err, sizeof(err));

	cr_assert_eq(r, -EINVAL, "accepted: %s", text);
	cr_assert(strstr(err, want), "message '%s' lacks '%s' (%s)", err, want, text);
	cr_assert_null(gc.priv);
}

Test(guest_config, decode_start)
{
	static const char *const ok[] = {"{\"version\":1}", "{\"version\":1,\"network\":[]}",
					 "{\"network\":[" NIC("") "],\"version\":1}"};
	struct guest_config gc;
	char err[256];

	for (size_t i = 0; i < 3; i++) {
		cr_assert_eq(guest_config_decode_start(&gc, ok[i], strlen(ok[i]), err, sizeof(err)),
			     0, "%s: %s", ok[i], err);
		cr_assert(gc.priv);
		cr_assert_eq(gc.nr_nics, i == 2 ? 1 : 0);
		cr_assert_null(gc.args);
		cr_assert_eq(gc.nr_standby, 0);
		if (i == 2) {
			cr_assert_str_eq(gc.nics[0].name, "eth0");
			cr_assert_eq(gc.nics[0].mtu, 1500);
		}
		guest_config_free(&gc);
		cr_assert_null(gc.priv);
	}
}

Test(guest_config, bad_start)
{
	decode_start_fails("{\"version\":1,", "start configuration: invalid JSON at line 1");
	decode_start_fails("[]", "start configuration: must be an object");
	decode_start_fails("{}", "version: must be an integer");
	decode_start_fails("{\"version\":2}", "version: 2");
	decode_start_fails(DOC(PROC), "start configuration: unknown member \"process\"");
	decode_start_fails(DOC("\"hostname\":\"x\""),
			   "start configuration: unknown member \"hostname\"");
	decode_start_fails(DOC("\"standbyNics\":[]"),
			   "start configuration: unknown member \"standbyNics\"");
	decode_start_fails(DOC("\"networks\":[]"),
			   "start configuration: unknown member \"networks\"");
	decode_start_fails(DOC("\"network\":{}"), "network: must be an array of objects");
	decode_start_fails(DOC("\"network\":[" NIC("") "," NIC("") "]"),
			   "network[1].name: \"eth0\" given twice");
	/* a duplicate member */
	decode_start_fails(DOC("\"network\":[" NIC(",\"mtu\":1") "]"),
			   "start configuration: invalid JSON");
	decode_start_fails(
	    DOC("\"network\":[{\"name\":\"eth0\",\"mac\":\"01:00:5e:00:00:01\",\"mtu\":1500}]"),
	    "network[0].mac: 01:00:5e:00:00:01 is not a unicast address");
}

Test(guest_config, encode_start)
{
	struct gc_nic many[GC_MAX_NICS + 1];
	char names[GC_MAX_NICS + 1][8], err[256], *text;
	struct guest_config out;

	text = guest_config_encode_start(nics, 2, err, sizeof(err));
	cr_assert(text, "%s", err);
	cr_assert(!strncmp(text, "{\"version\":1,\"network\":[{\"name\":\"eth0\"", 38), "%s", text);
	cr_assert_eq(guest_config_decode_start(&out, text, strlen(text), err, sizeof(err)), 0, "%s",
		     err);
	same_nics(&(struct guest_config){.nics = nics, .nr_nics = 2}, &out);
	guest_config_free(&out);
	/* A guest configuration it is not. */
	cr_assert_eq(guest_config_decode(&out, text, strlen(text), err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "process: required"), "%s", err);
	free(text);

	text = guest_config_encode_start(NULL, 0, err, sizeof(err));
	cr_assert(text, "%s", err);
	cr_assert_str_eq(text, "{\"version\":1}");
	free(text);

	cr_assert_null(guest_config_encode_start(NULL, 1, err, sizeof(err)));
	cr_assert(strstr(err, "network: missing"), "%s", err);
	for (size_t i = 0; i < GC_MAX_NICS + 1; i++) {
		snprintf(names[i], sizeof(names[i]), "eth%zu", i);
		many[i] = (struct gc_nic){
		    .name = names[i], .mac = {2, 0, 0, 0, 0, (uint8_t)i + 1}, .mtu = 1500};
	}
	text = guest_config_encode_start(many, GC_MAX_NICS, err, sizeof(err));
	cr_assert(text, "%s", err);
	free(text);
	cr_assert_null(guest_config_encode_start(many, GC_MAX_NICS + 1, err, sizeof(err)));
	cr_assert(strstr(err, "network: at most 4 interfaces"), "%s", err);
	many[1].name = "eth0";
	cr_assert_null(guest_config_encode_start(many, 2, err, sizeof(err)));
	cr_assert(strstr(err, "network[1].name: \"eth0\" given twice"), "%s", err);
	many[1].name = names[1];
	many[1].mtu = 10;
	cr_assert_null(guest_config_encode_start(many, 2, err, sizeof(err)));
	cr_assert(strstr(err, "network[1].mtu: must be an integer from 68"), "%s", err);
}

/* --- the runtime-spec's container semantics ----------------------------------- */

static void decode_ok(const char *text, struct guest_config *gc)
{
	char err[256] = "";

	cr_assert_eq(guest_config_decode(gc, text, strlen(text), err, sizeof(err)), 0, "%s: %s",
		     text, err);
}

Test(guest_config, decode_defaults_of_new_members)
{
	struct guest_config gc;

	decode_ok(DOC(PROC ",\"devices\":[{\"path\":\"/dev/tty9\",\"type\":\"u\",\"major\":4,"
			   "\"minor\":9},{\"path\":\"/dev/p\",\"type\":\"p\",\"major\":7,"
			   "\"minor\":8}],\"resources\":{\"devices\":[{\"allow\":true},"
			   "{\"allow\":false,\"type\":\"c\",\"major\":1,\"access\":\"m\"}]}"),
		  &gc);
	cr_assert_eq(gc.nr_devices, 2);
	cr_assert_eq(gc.devices[0].type, 'c');
	cr_assert_eq(gc.devices[0].major, 4);
	cr_assert_eq(gc.devices[0].minor, 9);
	cr_assert(!gc.devices[0].has_mode && !gc.devices[0].has_uid && !gc.devices[0].has_gid);
	cr_assert_eq(gc.devices[0].mode, 0666);
	cr_assert_eq(gc.devices[0].uid, 0);
	/* A FIFO's numbers are ignored. */
	cr_assert_eq(gc.devices[1].type, 'p');
	cr_assert_eq(gc.devices[1].major, 0);
	cr_assert_eq(gc.devices[1].minor, 0);
	cr_assert(gc.has_resources && gc.resources.has_devices);
	cr_assert(!gc.resources.has_memory && !gc.resources.has_pids);
	cr_assert_eq(gc.resources.nr_devices, 2);
	cr_assert(gc.resources.devices[0].allow);
	cr_assert_eq(gc.resources.devices[0].type, 'a');
	cr_assert_eq(gc.resources.devices[0].major, -1);
	cr_assert_eq(gc.resources.devices[0].minor, -1);
	cr_assert(gc.resources.devices[0].read && gc.resources.devices[0].write &&
		  gc.resources.devices[0].mknod);
	cr_assert(!gc.resources.devices[1].allow);
	cr_assert_eq(gc.resources.devices[1].major, 1);
	cr_assert_eq(gc.resources.devices[1].minor, -1);
	cr_assert(!gc.resources.devices[1].read && !gc.resources.devices[1].write &&
		  gc.resources.devices[1].mknod);
	cr_assert(!gc.pid_namespace && !gc.domainname);
	cr_assert_eq(gc.root_propagation, GC_PROP_DEFAULT);
	guest_config_free(&gc);

	/* An empty device list is a filter that denies everything; {} limits nothing. */
	decode_ok(DOC(PROC ",\"resources\":{\"devices\":[]},\"pidNamespace\":false"), &gc);
	cr_assert(gc.has_resources && gc.resources.has_devices && !gc.resources.nr_devices);
	cr_assert(!gc.pid_namespace);
	guest_config_free(&gc);
	decode_ok(DOC(PROC ",\"resources\":{}"), &gc);
	cr_assert(gc.has_resources && !gc.resources.has_devices);
	guest_config_free(&gc);
}

Test(guest_config, every_root_propagation)
{
	static const char *const names[] = {"shared",  "slave",	 "private",  "unbindable",
					    "rshared", "rslave", "rprivate", "runbindable"};
	static const enum gc_propagation values[] = {
	    GC_PROP_SHARED,  GC_PROP_SLAVE,  GC_PROP_PRIVATE,  GC_PROP_UNBINDABLE,
	    GC_PROP_RSHARED, GC_PROP_RSLAVE, GC_PROP_RPRIVATE, GC_PROP_RUNBINDABLE,
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char text[256];
		struct guest_config gc, out;

		snprintf(text, sizeof(text),
			 DOC(PROC ",\"root\":{\"share\":\"rootfs\",\"propagation\":\"%s\"}"),
			 names[i]);
		decode_ok(text, &gc);
		cr_assert_eq(gc.root_propagation, values[i], "%s", names[i]);
		round_trip(&gc, &out);
		guest_config_free(&out);
		guest_config_free(&gc);
	}
}

Test(guest_config, resource_limits_at_their_bounds)
{
	struct guest_config gc, out;

	decode_ok(DOC(PROC ",\"resources\":{\"memory\":-1,\"memorySwap\":0,\"pids\":1,"
			   "\"cpuQuota\":1000,\"cpuPeriod\":1000000,\"cpuWeight\":1}"),
		  &gc);
	cr_assert(gc.resources.has_memory && gc.resources.memory == -1);
	cr_assert(gc.resources.has_memory_swap && gc.resources.memory_swap == 0);
	cr_assert_eq(gc.resources.pids, 1);
	cr_assert_eq(gc.resources.cpu_quota, 1000);
	cr_assert_eq(gc.resources.cpu_period, 1000000);
	cr_assert_eq(gc.resources.cpu_weight, 1);
	round_trip(&gc, &out);
	guest_config_free(&out);
	guest_config_free(&gc);
	decode_ok(DOC(PROC ",\"resources\":{\"pids\":-1,\"cpuQuota\":-1,\"cpuPeriod\":1000}"), &gc);
	cr_assert_eq(gc.resources.pids, -1);
	cr_assert_eq(gc.resources.cpu_quota, -1);
	guest_config_free(&gc);
}

Test(guest_config, bad_new_members)
{
	decode_fails(DOC(PROC ",\"domainname\":\"\""), "domainname: must be a non-empty string");
	decode_fails(DOC(PROC ",\"domainname\":7"), "domainname: must be a non-empty string");
	decode_fails(DOC(PROC ",\"root\":{\"share\":\"r\",\"propagation\":\"recursive\"}"),
		     "root.propagation: \"recursive\" is none of shared");
	decode_fails(DOC(PROC ",\"root\":{\"share\":\"r\",\"propagation\":1}"),
		     "root.propagation: must be a non-empty string");
	decode_fails(DOC(PROC ",\"maskedPaths\":[\"/proc/kcore\",\"proc/keys\"]"),
		     "maskedPaths[1]: \"proc/keys\" is not an absolute path");
	decode_fails(DOC(PROC ",\"maskedPaths\":\"/proc/kcore\""),
		     "maskedPaths: must be an array of strings");
	decode_fails(DOC(PROC ",\"readonlyPaths\":[\"\"]"),
		     "readonlyPaths[0]: \"\" is not an absolute path");
	decode_fails(DOC(PROC ",\"readonlyPaths\":[1]"),
		     "readonlyPaths: must be an array of strings");
	decode_fails(DOC(PROC ",\"pidNamespace\":1"), "pidNamespace: must be true or false");
	decode_fails(DOC(PROC ",\"devices\":{}"), "devices: must be an array of objects");
	decode_fails(DOC(PROC ",\"devices\":[{\"path\":\"/etc/x\",\"type\":\"c\",\"major\":1,"
			      "\"minor\":1}]"),
		     "devices[0].path: \"/etc/x\" is not a path below /dev");
	decode_fails(DOC(PROC ",\"devices\":[{\"path\":\"/dev/../etc/x\",\"type\":\"c\","
			      "\"major\":1,\"minor\":1}]"),
		     "devices[0].path: \"/dev/../etc/x\" is not a path below /dev");
	decode_fails(DOC(PROC ",\"devices\":[{\"path\":\"/dev/\",\"type\":\"p\"}]"),
		     "devices[0].path: \"/dev/\" is not a path below /dev");
	decode_fails(DOC(PROC ",\"devices\":[{\"path\":\"/dev/a//b\",\"type\":\"p\"}]"),
		     "devices[0].path");
	decode_fails(DOC(PROC ",\"devices\":[{\"path\":\"/dev/./b\",\"type\":\"p\"}]"),
		     "devices[0].path");
	decode_fails(DOC(PROC ",\"devices\":[{\"path\":\"dev/b\",\"type\":\"p\"}]"),
		     "devices[0].path: must be an absolute path");
	decode_fails(DOC(PROC ",\"devices\":[{\"path\":\"/dev/b\",\"type\":\"x\"}]"),
		     "devices[0].type: \"x\" is none of c, u, b and p");
	decode_fails(DOC(PROC ",\"devices\":[{\"path\":\"/dev/b\",\"type\":\"cb\"}]"),
		     "devices[0].type: \"cb\" is none of c, u, b and p");
	decode_fails(DOC(PROC ",\"devices\":[{\"path\":\"/dev/b\"}]"),
		     "devices[0].type: must be a non-empty string");
	decode_fails(DOC(PROC ",\"devices\":[{\"path\":\"/dev/b\",\"type\":\"b\",\"minor\":1}]"),
		     "devices[0]: \"major\" is required for a device of type b");
	decode_fails(DOC(PROC ",\"devices\":[{\"path\":\"/dev/b\",\"type\":\"c\",\"major\":1}]"),
		     "devices[0]: \"minor\" is required for a device of type c");
	decode_fails(DOC(PROC ",\"devices\":[{\"path\":\"/dev/b\",\"type\":\"c\",\"major\":4096,"
			      "\"minor\":0}]"),
		     "devices[0].major: must be an integer from 0 to 4095");
	decode_fails(DOC(PROC ",\"devices\":[{\"path\":\"/dev/b\",\"type\":\"c\",\"major\":1,"
			      "\"minor\":1048576}]"),
		     "devices[0].minor: must be an integer from 0 to 1048575");
	decode_fails(DOC(PROC ",\"devices\":[{\"path\":\"/dev/b\",\"type\":\"p\",\"major\":-1}]"),
		     "devices[0].major: must be an integer from 0 to 4095");
	decode_fails(DOC(PROC ",\"devices\":[{\"path\":\"/dev/b\",\"type\":\"p\","
			      "\"fileMode\":4096}]"),
		     "devices[0].fileMode: must be an integer from 0 to 4095");
	decode_fails(DOC(PROC ",\"devices\":[{\"path\":\"/dev/b\",\"type\":\"p\",\"uid\":-1}]"),
		     "devices[0].uid: must be an integer from 0 to 4294967295");
	decode_fails(DOC(PROC ",\"devices\":[{\"path\":\"/dev/b\",\"type\":\"p\","
			      "\"gid\":4294967296}]"),
		     "devices[0].gid: must be an integer from 0 to 4294967295");
	decode_fails(DOC(PROC ",\"devices\":[{\"path\":\"/dev/b\",\"type\":\"p\",\"mode\":1}]"),
		     "devices[0]: unknown member \"mode\"");
	decode_fails(DOC(PROC ",\"devices\":[{\"path\":\"/dev/b\",\"type\":\"p\",\"path\":\"x\"}]"),
		     "duplicate");
}

Test(guest_config, bad_resources)
{
	decode_fails(DOC(PROC ",\"resources\":[]"), "resources: must be an object");
	decode_fails(DOC(PROC ",\"resources\":{\"cpus\":\"0-1\"}"),
		     "resources: unknown member \"cpus\"");
	decode_fails(DOC(PROC ",\"resources\":{\"memory\":-2}"),
		     "resources.memory: must be an integer from -1 to");
	decode_fails(DOC(PROC ",\"resources\":{\"memory\":\"1G\"}"),
		     "resources.memory: must be an integer");
	decode_fails(DOC(PROC ",\"resources\":{\"memorySwap\":-2}"),
		     "resources.memorySwap: must be an integer from -1 to");
	decode_fails(DOC(PROC ",\"resources\":{\"pids\":0}"),
		     "resources.pids: must be -1 (no limit) or at least 1");
	decode_fails(DOC(PROC ",\"resources\":{\"pids\":-2}"),
		     "resources.pids: must be an integer");
	decode_fails(DOC(PROC ",\"resources\":{\"cpuQuota\":999}"),
		     "resources.cpuQuota: must be -1 (no limit) or at least 1000");
	decode_fails(DOC(PROC ",\"resources\":{\"cpuQuota\":0}"),
		     "resources.cpuQuota: must be -1 (no limit) or at least 1000");
	decode_fails(DOC(PROC ",\"resources\":{\"cpuPeriod\":999}"),
		     "resources.cpuPeriod: must be an integer from 1000 to 1000000");
	decode_fails(DOC(PROC ",\"resources\":{\"cpuPeriod\":1000001}"),
		     "resources.cpuPeriod: must be an integer from 1000 to 1000000");
	decode_fails(DOC(PROC ",\"resources\":{\"cpuWeight\":0}"),
		     "resources.cpuWeight: must be an integer from 1 to 10000");
	decode_fails(DOC(PROC ",\"resources\":{\"cpuWeight\":10001}"),
		     "resources.cpuWeight: must be an integer from 1 to 10000");
	decode_fails(DOC(PROC ",\"resources\":{\"devices\":{}}"),
		     "resources.devices: must be an array of objects");
	decode_fails(DOC(PROC ",\"resources\":{\"devices\":[{}]}"),
		     "resources.devices[0].allow: must be true or false");
	decode_fails(DOC(PROC ",\"resources\":{\"devices\":[{\"allow\":true,\"type\":\"p\"}]}"),
		     "resources.devices[0].type: \"p\" is none of a, c and b");
	decode_fails(DOC(PROC ",\"resources\":{\"devices\":[{\"allow\":true,\"type\":\"\"}]}"),
		     "resources.devices[0].type: must be a non-empty string");
	decode_fails(DOC(PROC ",\"resources\":{\"devices\":[{\"allow\":true,\"major\":-2}]}"),
		     "resources.devices[0].major: must be an integer from -1 to 4294967295");
	decode_fails(DOC(PROC ",\"resources\":{\"devices\":[{\"allow\":true,"
			      "\"minor\":4294967296}]}"),
		     "resources.devices[0].minor: must be an integer from -1 to 4294967295");
	decode_fails(DOC(PROC ",\"resources\":{\"devices\":[{\"allow\":true,\"access\":\"rx\"}]}"),
		     "resources.devices[0].access: \"rx\" is not a combination of r, w and m");
	decode_fails(DOC(PROC ",\"resources\":{\"devices\":[{\"allow\":true,\"access\":\"rr\"}]}"),
		     "resources.devices[0].access: \"rr\" is not a combination of r, w and m");
	decode_fails(DOC(PROC ",\"resources\":{\"devices\":[{\"allow\":true,\"access\":\"\"}]}"),
		     "resources.devices[0].access: must be a non-empty string");
	decode_fails(DOC(PROC ",\"resources\":{\"devices\":[{\"allow\":true,\"path\":\"/x\"}]}"),
		     "resources.devices[0]: unknown member \"path\"");
	decode_fails(DOC(PROC ",\"resources\":{\"pids\":1,\"pids\":2}"), "duplicate");
}

/* head, `n` copies of `item` as a JSON array, then tail; malloc'd. */
static char *repeated(const char *head, const char *item, size_t n, const char *tail)
{
	size_t len = strlen(head) + n * (strlen(item) + 1) + strlen(tail) + 3;
	char *doc = malloc(len);
	size_t used;

	cr_assert(doc);
	used = (size_t)sprintf(doc, "%s[", head);
	for (size_t i = 0; i < n; i++)
		used += (size_t)sprintf(doc + used, "%s%s", i ? "," : "", item);
	sprintf(doc + used, "]%s", tail);
	return doc;
}

Test(guest_config, device_limits)
{
	static const char dev[] = "{\"path\":\"/dev/p\",\"type\":\"p\"}";
	static const char rule[] = "{\"allow\":true}";
	struct guest_config gc;
	char *text;

	text = repeated("{\"version\":1," PROC ",\"devices\":", dev, GC_MAX_DEVICES, "}");
	decode_ok(text, &gc);
	cr_assert_eq(gc.nr_devices, GC_MAX_DEVICES);
	guest_config_free(&gc);
	free(text);
	text = repeated("{\"version\":1," PROC ",\"devices\":", dev, GC_MAX_DEVICES + 1, "}");
	decode_fails(text, "devices: at most 256 devices");
	free(text);
	text = repeated("{\"version\":1," PROC ",\"resources\":{\"devices\":", rule,
			GC_MAX_DEVICE_RULES, "}}");
	decode_ok(text, &gc);
	cr_assert_eq(gc.resources.nr_devices, GC_MAX_DEVICE_RULES);
	guest_config_free(&gc);
	free(text);
	text = repeated("{\"version\":1," PROC ",\"resources\":{\"devices\":", rule,
			GC_MAX_DEVICE_RULES + 1, "}}");
	decode_fails(text, "resources.devices: at most 256 rules");
	free(text);
}

Test(guest_config, encode_refuses_new_members)
{
	struct guest_config gc = {.args = args, .nr_args = 1, .cwd = "/"};
	struct gc_device dev = {.path = "/dev/x", .type = 'x', .major = 1, .minor = 1};
	struct gc_device_rule rule = {.allow = true, .type = 'a', .major = -1, .minor = -1};
	const char *rel[] = {"proc/kcore"};
	char err[256];

	gc.has_root = true;
	gc.root_share = "rootfs";
	gc.root_propagation = (enum gc_propagation)99;
	cr_assert_null(guest_config_encode(&gc, err, sizeof(err)));
	cr_assert(strstr(err, "root.propagation: unknown value 99"), "%s", err);
	gc.root_propagation = GC_PROP_RSHARED;
	gc.devices = &dev;
	gc.nr_devices = 1;
	cr_assert_null(guest_config_encode(&gc, err, sizeof(err)));
	cr_assert(strstr(err, "devices[0].type: \"x\" is none of c, u, b and p"), "%s", err);
	dev.type = 'c';
	dev.major = 5000;
	cr_assert_null(guest_config_encode(&gc, err, sizeof(err)));
	cr_assert(strstr(err, "devices[0].major"), "%s", err);
	dev.major = 1;
	dev.path = NULL;
	cr_assert_null(guest_config_encode(&gc, err, sizeof(err)));
	cr_assert(strstr(err, "devices[0].path: missing"), "%s", err);
	gc.devices = NULL;
	cr_assert_null(guest_config_encode(&gc, err, sizeof(err)));
	cr_assert(strstr(err, "devices: missing"), "%s", err);
	gc.nr_devices = 0;
	gc.has_resources = true;
	gc.resources.has_devices = true;
	gc.resources.devices = &rule;
	gc.resources.nr_devices = 1;
	/* A rule without access is refused, not silently widened to rwm. */
	cr_assert_null(guest_config_encode(&gc, err, sizeof(err)));
	cr_assert(strstr(err, "resources.devices[0].access"), "%s", err);
	rule.read = true;
	gc.resources.has_cpu_period = true;
	gc.resources.cpu_period = UINT64_MAX;
	cr_assert_null(guest_config_encode(&gc, err, sizeof(err)));
	cr_assert(strstr(err, "resources.cpuPeriod"), "%s", err);
	gc.resources.cpu_period = 100000;
	gc.masked_paths = rel;
	gc.nr_masked_paths = 1;
	cr_assert_null(guest_config_encode(&gc, err, sizeof(err)));
	cr_assert(strstr(err, "maskedPaths[0]: \"proc/kcore\" is not an absolute path"), "%s", err);
	gc.nr_masked_paths = 0;
	gc.readonly_paths = NULL;
	gc.nr_readonly_paths = 1;
	cr_assert_null(guest_config_encode(&gc, err, sizeof(err)));
	cr_assert(strstr(err, "readonlyPaths: missing"), "%s", err);
	gc.nr_readonly_paths = 0;
	gc.domainname = "";
	cr_assert_null(guest_config_encode(&gc, err, sizeof(err)));
	cr_assert(strstr(err, "domainname: must be a non-empty string"), "%s", err);
	gc.domainname = "example.org";
	char *text = guest_config_encode(&gc, err, sizeof(err));
	cr_assert(text, "%s", err);
	cr_assert(strstr(text, "\"propagation\":\"rshared\""), "%s", text);
	cr_assert(strstr(text, "\"devices\":[{\"allow\":true,\"type\":\"a\",\"major\":-1,"
			       "\"minor\":-1,\"access\":\"r\"}]"),
		  "%s", text);
	free(text);
}

/* --- process.scheduler, ioPriority, personality, seccomp flags, resources.unified --- */

#define PROC_WITH(m) "\"process\":{\"args\":[\"a\"],\"cwd\":\"/\",\"uid\":0,\"gid\":0," m "}"

Test(guest_config, decode_scheduler_and_friends)
{
	static const char text[] = DOC(PROC_WITH("\"scheduler\":{\"policy\":\"SCHED_RR\","
						 "\"priority\":99,\"nice\":-20,"
						 "\"flags\":[\"SCHED_FLAG_RESET_ON_FORK\",\"SCHED_"
						 "FLAG_UTIL_CLAMP_MAX\"]},"
						 "\"ioPriority\":{\"class\":\"IOPRIO_CLASS_RT\","
						 "\"priority\":0}") ","
								    "\"personality\":{\"domain\":"
								    "\"LINUX\"},"
								    "\"resources\":{\"unified\":{"
								    "\"cgroup.max.depth\":\"3\","
								    "\"memory.high\":\"max\"}},"
								    "\"seccomp\":{"
								    "\"defaultAction\":\"SCMP_ACT_"
								    "ALLOW\",\"flags\":"
								    "[\"SECCOMP_FILTER_FLAG_LOG\","
								    "\"SECCOMP_FILTER_FLAG_WAIT_"
								    "KILLABLE_RECV\"]}");
	struct guest_config gc;
	char err[256];

	cr_assert_eq(guest_config_decode(&gc, text, strlen(text), err, sizeof(err)), 0, "%s", err);
	cr_assert(gc.has_scheduler);
	cr_assert_eq(gc.scheduler.policy, 2);
	cr_assert_eq(gc.scheduler.priority, 99);
	cr_assert_eq(gc.scheduler.nice, -20);
	cr_assert_eq(gc.scheduler.flags, 0x41);
	cr_assert(gc.has_io_priority);
	cr_assert_eq(gc.io_priority.ioclass, 1);
	cr_assert_eq(gc.io_priority.priority, 0);
	cr_assert(gc.has_personality);
	cr_assert_eq(gc.personality, 0);
	cr_assert(gc.has_resources);
	cr_assert_eq(gc.resources.nr_unified, 2);
	cr_assert_str_eq(gc.resources.unified[0].key, "cgroup.max.depth");
	cr_assert_str_eq(gc.resources.unified[0].value, "3");
	cr_assert_str_eq(gc.resources.unified[1].key, "memory.high");
	cr_assert_eq(gc.seccomp->flags, GC_SECCOMP_FLAG_LOG | GC_SECCOMP_FLAG_WAIT_KILLABLE_RECV);
	guest_config_free(&gc);
}

Test(guest_config, absent_scheduler_and_friends)
{
	static const char text[] = DOC(PROC);
	struct guest_config gc;
	char err[256];

	cr_assert_eq(guest_config_decode(&gc, text, strlen(text), err, sizeof(err)), 0, "%s", err);
	cr_assert(!gc.has_scheduler);
	cr_assert(!gc.has_io_priority);
	cr_assert(!gc.has_personality);
	cr_assert(!gc.has_resources);
	cr_assert_eq(gc.resources.nr_unified, 0);
	guest_config_free(&gc);
}

Test(guest_config, names_both_ways)
{
	cr_assert_eq(gc_sched_policy_from_name("SCHED_OTHER"), 0);
	cr_assert_eq(gc_sched_policy_from_name("SCHED_IDLE"), 5);
	cr_assert_eq(gc_sched_policy_from_name("SCHED_DEADLINE"), 6);
	cr_assert_eq(gc_sched_policy_from_name("SCHED_ISO"), -1);
	cr_assert_eq(gc_sched_policy_from_name("sched_other"), -1);
	cr_assert_null(gc_sched_policy_name(4));
	cr_assert_str_eq(gc_sched_policy_name(3), "SCHED_BATCH");
	cr_assert_eq(gc_sched_flag_from_name("SCHED_FLAG_KEEP_PARAMS"), 0x10);
	cr_assert_null(gc_sched_flag_name(0x80));
	cr_assert_eq(gc_ioprio_class_from_name("IOPRIO_CLASS_IDLE"), 3);
	cr_assert_eq(gc_ioprio_class_from_name("IOPRIO_CLASS_NONE"), -1);
	cr_assert_str_eq(gc_ioprio_class_name(2), "IOPRIO_CLASS_BE");
	cr_assert_eq(gc_personality_from_name("LINUX32"), 8);
	cr_assert_eq(gc_personality_from_name("LINUX64"), -1);
	cr_assert_eq(gc_seccomp_flag_from_name("SECCOMP_FILTER_FLAG_SPEC_ALLOW"), 4);
	cr_assert_eq(gc_seccomp_flag_from_name("SECCOMP_FILTER_FLAG_NEW_LISTENER"), -1);
	cr_assert_str_eq(gc_seccomp_flag_name(1), "SECCOMP_FILTER_FLAG_TSYNC");
	cr_assert(gc_unified_key_ok("memory.high"));
	cr_assert(gc_unified_key_ok("..."));
	cr_assert(!gc_unified_key_ok(""));
	cr_assert(!gc_unified_key_ok("."));
	cr_assert(!gc_unified_key_ok(".."));
	cr_assert(!gc_unified_key_ok("../memory.max"));
	cr_assert(!gc_unified_key_ok("a/b"));
}

/* check_fails(SCHEDULER, MESSAGE-PART) */
static void check_fails(struct gc_scheduler s, const char *want)
{
	char err[256] = "";

	cr_assert_eq(gc_scheduler_check(&s, "process.scheduler", err, sizeof(err)), -EINVAL,
		     "accepted: want %s", want);
	cr_assert(strstr(err, want), "message '%s' lacks '%s'", err, want);
}

Test(guest_config, scheduler_as_the_kernel_checks_it)
{
	char err[256];
	struct gc_scheduler ok[] = {
	    {.policy = 0, .nice = -20},
	    {.policy = 3, .nice = 19},
	    {.policy = 5},
	    {.policy = 1, .priority = 1},
	    {.policy = 2, .priority = 99, .flags = 0x7f},
	    {.policy = 6, .runtime = 1024, .deadline = 1024},
	    {.policy = 6, .runtime = 1024, .deadline = 2000, .period = 2000},
	    {.policy = 6, .runtime = 1 << 20, .deadline = 1 << 21, .period = INT64_MAX},
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++)
		cr_assert_eq(gc_scheduler_check(&ok[i], "s", err, sizeof(err)), 0, "%zu: %s", i,
			     err);
	check_fails((struct gc_scheduler){.policy = 4},
		    "process.scheduler.policy: unknown policy 4");
	check_fails((struct gc_scheduler){.policy = 7},
		    "process.scheduler.policy: unknown policy 7");
	check_fails((struct gc_scheduler){.nice = -21}, "process.scheduler.nice: -21 is not from");
	check_fails((struct gc_scheduler){.nice = 20}, "process.scheduler.nice: 20");
	check_fails((struct gc_scheduler){.policy = 1},
		    "process.scheduler.priority: SCHED_FIFO needs a priority from 1 to 99");
	check_fails((struct gc_scheduler){.policy = 2, .priority = 100},
		    "process.scheduler.priority: SCHED_RR needs");
	check_fails((struct gc_scheduler){.policy = 3, .priority = 1},
		    "process.scheduler.priority: only SCHED_FIFO and SCHED_RR take a priority, not "
		    "SCHED_BATCH");
	check_fails((struct gc_scheduler){.flags = 0x80},
		    "process.scheduler.flags: unknown flags 0x80");
	check_fails((struct gc_scheduler){.policy = 0, .runtime = 5},
		    "process.scheduler.runtime: only SCHED_DEADLINE takes");
	check_fails((struct gc_scheduler){.policy = 5, .period = 5},
		    "process.scheduler.period: only SCHED_DEADLINE takes");
	check_fails(
	    (struct gc_scheduler){.policy = 6, .runtime = 1023, .deadline = 2000},
	    "process.scheduler.runtime: SCHED_DEADLINE needs a runtime of at least 1024 ns");
	check_fails((struct gc_scheduler){.policy = 6, .runtime = 2000, .deadline = 1999},
		    "process.scheduler.deadline: must be at least the runtime (2000 ns)");
	check_fails(
	    (struct gc_scheduler){.policy = 6, .runtime = 2000, .deadline = 3000, .period = 2999},
	    "process.scheduler.period: must be at least the deadline (3000 ns)");
	check_fails((struct gc_scheduler){.policy = 6, .runtime = 2000, .deadline = UINT64_MAX},
		    "process.scheduler.deadline");
}

Test(guest_config, bad_scheduler_and_friends)
{
	decode_fails(DOC(PROC_WITH("\"scheduler\":{}")),
		     "process.scheduler.policy: must be a non-empty string");
	decode_fails(DOC(PROC_WITH("\"scheduler\":{\"policy\":\"SCHED_ISO\"}")),
		     "process.scheduler.policy: unknown policy \"SCHED_ISO\"");
	decode_fails(DOC(PROC_WITH("\"scheduler\":{\"policy\":\"SCHED_OTHER\",\"nice\":20}")),
		     "process.scheduler.nice: must be an integer from -20 to 19");
	decode_fails(DOC(PROC_WITH("\"scheduler\":{\"policy\":\"SCHED_FIFO\"}")),
		     "process.scheduler.priority: SCHED_FIFO needs a priority");
	decode_fails(DOC(PROC_WITH("\"scheduler\":{\"policy\":\"SCHED_OTHER\",\"flags\":"
				   "[\"SCHED_FLAG_RECLAIM\",\"SCHED_FLAG_RECLAIM\"]}")),
		     "process.scheduler.flags: \"SCHED_FLAG_RECLAIM\" given twice");
	decode_fails(DOC(PROC_WITH("\"scheduler\":{\"policy\":\"SCHED_OTHER\",\"flags\":"
				   "[\"SCHED_FLAG_X\"]}")),
		     "process.scheduler.flags: unknown flag \"SCHED_FLAG_X\"");
	decode_fails(DOC(PROC_WITH("\"scheduler\":{\"policy\":\"SCHED_OTHER\",\"flags\":1}")),
		     "process.scheduler.flags: must be an array of flag names");
	decode_fails(DOC(PROC_WITH("\"scheduler\":{\"policy\":\"SCHED_DEADLINE\",\"runtime\":-1}")),
		     "process.scheduler.runtime: must be an integer from 0");
	decode_fails(DOC(PROC_WITH("\"ioPriority\":{\"class\":\"IOPRIO_CLASS_BE\"}")),
		     "process.ioPriority.priority: must be an integer from 0 to 7");
	decode_fails(
	    DOC(PROC_WITH("\"ioPriority\":{\"class\":\"IOPRIO_CLASS_BE\",\"priority\":8}")),
	    "process.ioPriority.priority: must be an integer from 0 to 7");
	decode_fails(DOC(PROC_WITH("\"ioPriority\":{\"class\":\"BE\",\"priority\":1}")),
		     "process.ioPriority.class: unknown class \"BE\"");
	decode_fails(DOC(PROC ",\"personality\":{}"),
		     "personality.domain: must be a non-empty string");
	decode_fails(DOC(PROC ",\"personality\":{\"domain\":\"LINUX64\"}"),
		     "personality.domain: unknown domain \"LINUX64\"");
	decode_fails(DOC(PROC ",\"personality\":\"LINUX\""), "personality: must be an object");
	decode_fails(DOC(PROC ",\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":"
			      "[\"SECCOMP_FILTER_FLAG_NEW_LISTENER\"]}"),
		     "seccomp.flags: unknown flag \"SECCOMP_FILTER_FLAG_NEW_LISTENER\"");
	decode_fails(DOC(PROC ",\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":"
			      "[\"SECCOMP_FILTER_FLAG_LOG\",\"SECCOMP_FILTER_FLAG_LOG\"]}"),
		     "seccomp.flags: \"SECCOMP_FILTER_FLAG_LOG\" given twice");
	decode_fails(DOC(PROC ",\"resources\":{\"unified\":{\"../memory.max\":\"1\"}}"),
		     "resources.unified.../memory.max: not a file name of a cgroup");
	decode_fails(DOC(PROC ",\"resources\":{\"unified\":{\"..\":\"1\"}}"),
		     "resources.unified...: not a file name");
	decode_fails(DOC(PROC ",\"resources\":{\"unified\":{\"\":\"1\"}}"),
		     "resources.unified.: not a file name");
	decode_fails(DOC(PROC ",\"resources\":{\"unified\":{\"memory.high\":100}}"),
		     "resources.unified.memory.high: must be a string");
	decode_fails(DOC(PROC ",\"resources\":{\"unified\":[]}"),
		     "resources.unified: must be an object of strings");
}

Test(guest_config, encode_refuses_scheduler_and_friends)
{
	struct guest_config gc = {.args = args, .nr_args = 1, .cwd = "/"};
	struct gc_unified bad_key = {"a/b", "1"};
	struct gc_seccomp sc = {.default_action = HY_SECCOMP_ALLOW, .flags = 1u << 3};
	char err[256], *text;

	gc.has_scheduler = true;
	gc.scheduler = (struct gc_scheduler){.policy = 4};
	cr_assert_null(guest_config_encode(&gc, err, sizeof(err)));
	cr_assert(strstr(err, "process.scheduler.policy: no name for 4"), "%s", err);
	gc.scheduler = (struct gc_scheduler){.policy = 0, .flags = 0x100};
	cr_assert_null(guest_config_encode(&gc, err, sizeof(err)));
	cr_assert(strstr(err, "process.scheduler.flags: no name for flag 0x100"), "%s", err);
	gc.scheduler = (struct gc_scheduler){.policy = 1};
	cr_assert_null(guest_config_encode(&gc, err, sizeof(err)));
	cr_assert(strstr(err, "process.scheduler.priority: SCHED_FIFO needs"), "%s", err);
	gc.scheduler = (struct gc_scheduler){.policy = 1, .priority = 10};
	gc.has_io_priority = true;
	gc.io_priority = (struct gc_io_priority){.ioclass = 0};
	cr_assert_null(guest_config_encode(&gc, err, sizeof(err)));
	cr_assert(strstr(err, "process.ioPriority.class: no name for 0"), "%s", err);
	gc.io_priority = (struct gc_io_priority){.ioclass = 2, .priority = 8};
	cr_assert_null(guest_config_encode(&gc, err, sizeof(err)));
	cr_assert(strstr(err, "process.ioPriority.priority"), "%s", err);
	gc.io_priority.priority = 4;
	gc.has_personality = true;
	gc.personality = 0x0400000; /* ADDR_NO_RANDOMIZE: a flag, not a domain */
	cr_assert_null(guest_config_encode(&gc, err, sizeof(err)));
	cr_assert(strstr(err, "personality.domain: no name for"), "%s", err);
	gc.personality = 8;
	gc.seccomp = &sc;
	cr_assert_null(guest_config_encode(&gc, err, sizeof(err)));
	cr_assert(strstr(err, "seccomp.flags: no name for flag 0x8"), "%s", err);
	sc.flags = GC_SECCOMP_FLAG_LOG;
	gc.has_resources = true;
	gc.resources.unified = &bad_key;
	gc.resources.nr_unified = 1;
	cr_assert_null(guest_config_encode(&gc, err, sizeof(err)));
	cr_assert(strstr(err, "resources.unified.a/b: not a file name of a cgroup"), "%s", err);
	gc.resources.unified = NULL;
	cr_assert_null(guest_config_encode(&gc, err, sizeof(err)));
	cr_assert(strstr(err, "resources.unified: missing"), "%s", err);
	bad_key.key = "memory.low";
	gc.resources.unified = &bad_key;
	text = guest_config_encode(&gc, err, sizeof(err));
	cr_assert(text, "%s", err);
	cr_assert(strstr(text, "\"scheduler\":{\"policy\":\"SCHED_FIFO\",\"priority\":10}"), "%s",
		  text);
	cr_assert(strstr(text, "\"ioPriority\":{\"class\":\"IOPRIO_CLASS_BE\",\"priority\":4}"),
		  "%s", text);
	cr_assert(strstr(text, "\"personality\":{\"domain\":\"LINUX32\"}"), "%s", text);
	cr_assert(strstr(text, "\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\"]"), "%s", text);
	cr_assert(strstr(text, "\"unified\":{\"memory.low\":\"1\"}"), "%s", text);
	free(text);
}
