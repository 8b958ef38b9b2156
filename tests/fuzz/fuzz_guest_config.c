/* fuzz_guest_config.c: guest_config_decode() on the input, then an encode/decode round trip.
 *
 * hyrun-init decodes what the runtime encoded; a configuration that decodes
 * must be internally consistent (what hyrun-init relies on without checking
 * again: a device's path below /dev, the resources' ranges...), encode, and
 * decode again to the same values. The input is also
 * tried as a start configuration (guest_config_decode_start()), which has
 * its own round trip.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/guest_config.h"
#include "common/plan.h"
#include "tests/fuzz/fuzz.h"

static void check_strv(const char *const *v, size_t n, bool terminated)
{
	FUZZ_CHECK(v || n == 0);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(v[i]);
	if (terminated && v)
		FUZZ_CHECK(v[n] == NULL);
}

static void check_mount(const struct gc_mount *m)
{
	FUZZ_CHECK(m->destination && m->destination[0] == '/');
	check_strv(m->options, m->nr_options, true);
	FUZZ_CHECK(!(m->share && m->file));
	if (m->bind)
		FUZZ_CHECK(m->share || m->file);
	else
		FUZZ_CHECK(m->type && !m->share && !m->file);
	if (m->file)
		FUZZ_CHECK(m->file[0] && !strchr(m->file, '/'));
}

static unsigned ip_bits(int family)
{
	FUZZ_CHECK(family == AF_INET || family == AF_INET6);
	return family == AF_INET ? 32 : 128;
}

static void check_nic(const struct guest_config *gc, size_t idx)
{
	const struct gc_nic *nic = &gc->nics[idx];

	FUZZ_CHECK(nic->name && nic->name[0] && strlen(nic->name) <= GC_IFNAME_MAX);
	FUZZ_CHECK(strcmp(nic->name, "lo") && !strpbrk(nic->name, "/:% \t\n"));
	FUZZ_CHECK(!(nic->mac[0] & 1));
	FUZZ_CHECK(nic->mtu >= PLAN_MIN_MTU && nic->mtu <= PLAN_MAX_MTU);
	for (size_t i = 0; i < idx; i++)
		FUZZ_CHECK(strcmp(gc->nics[i].name, nic->name) &&
			   memcmp(gc->nics[i].mac, nic->mac, 6));
	FUZZ_CHECK(nic->nr_addresses <= GC_MAX_ADDRESSES && nic->nr_routes <= GC_MAX_ROUTES);
	FUZZ_CHECK(nic->addresses || !nic->nr_addresses);
	FUZZ_CHECK(nic->routes || !nic->nr_routes);
	for (size_t i = 0; i < nic->nr_addresses; i++)
		FUZZ_CHECK(nic->addresses[i].prefix <= ip_bits(nic->addresses[i].family));
	for (size_t i = 0; i < nic->nr_routes; i++) {
		const struct gc_ip *dst = &nic->routes[i].destination;
		unsigned bits = ip_bits(dst->family);

		FUZZ_CHECK(dst->prefix <= bits);
		/* nothing past the prefix */
		for (unsigned b = dst->prefix; b < bits; b++)
			FUZZ_CHECK(!(dst->addr[b / 8] & (0x80 >> (b % 8))));
		FUZZ_CHECK(nic->routes[i].mtu == 0 || nic->routes[i].mtu >= PLAN_MIN_MTU);
		FUZZ_CHECK(nic->routes[i].mtu <= PLAN_MAX_MTU);
	}
}

/* Unicast, unique, none a "network" NIC's, all of them within GC_MAX_NICS. */
static void check_standby(const struct guest_config *gc)
{
	static const uint8_t zero[6];

	FUZZ_CHECK(gc->nr_standby + gc->nr_nics <= GC_MAX_NICS);
	FUZZ_CHECK(gc->standby || !gc->nr_standby);
	for (size_t i = 0; i < gc->nr_standby; i++) {
		const uint8_t *mac = gc->standby[i].mac;

		FUZZ_CHECK(!(mac[0] & 1) && memcmp(mac, zero, 6));
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(memcmp(gc->standby[j].mac, mac, 6));
		for (size_t j = 0; j < gc->nr_nics; j++)
			FUZZ_CHECK(memcmp(gc->nics[j].mac, mac, 6));
	}
}

/* The paths below /dev hyrun-init makes nodes at: no empty, "." or ".." component. */
static void check_device(const struct gc_device *d)
{
	const char *p = d->path;

	FUZZ_CHECK(p && !strncmp(p, "/dev/", 5));
	for (p += 5;;) {
		size_t n = strcspn(p, "/");

		FUZZ_CHECK(n > 0 && !(n == 1 && p[0] == '.') &&
			   !(n == 2 && p[0] == '.' && p[1] == '.'));
		if (!p[n])
			break;
		p += n + 1;
	}
	FUZZ_CHECK(d->type == 'c' || d->type == 'b' || d->type == 'p');
	FUZZ_CHECK(d->major <= 4095 && d->minor <= 1048575 && d->mode <= 07777);
	if (d->type == 'p')
		FUZZ_CHECK(d->major == 0 && d->minor == 0);
	if (!d->has_mode)
		FUZZ_CHECK(d->mode == 0666);
}

static void check_resources(const struct gc_resources *r)
{
	FUZZ_CHECK(!r->has_memory || r->memory >= -1);
	FUZZ_CHECK(!r->has_memory_swap || r->memory_swap >= -1);
	FUZZ_CHECK(!r->has_pids || r->pids == -1 || r->pids >= 1);
	FUZZ_CHECK(!r->has_cpu_quota || r->cpu_quota == -1 || r->cpu_quota >= 1000);
	FUZZ_CHECK(!r->has_cpu_period || (r->cpu_period >= 1000 && r->cpu_period <= 1000000));
	FUZZ_CHECK(!r->has_cpu_weight || (r->cpu_weight >= 1 && r->cpu_weight <= 10000));
	FUZZ_CHECK(r->nr_devices <= GC_MAX_DEVICE_RULES && (r->devices || !r->nr_devices));
	FUZZ_CHECK(r->has_devices || !r->nr_devices);
	for (size_t i = 0; i < r->nr_devices; i++) {
		const struct gc_device_rule *d = &r->devices[i];

		FUZZ_CHECK(d->type == 'a' || d->type == 'c' || d->type == 'b');
		FUZZ_CHECK(d->major >= -1 && d->major <= UINT32_MAX);
		FUZZ_CHECK(d->minor >= -1 && d->minor <= UINT32_MAX);
		FUZZ_CHECK(d->read || d->write || d->mknod);
	}
}

static void check_paths(const char *const *v, size_t n)
{
	check_strv(v, n, true);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(v[i][0] == '/');
}

static void check_config(const struct guest_config *gc)
{
	FUZZ_CHECK(gc->priv);
	FUZZ_CHECK(!gc->has_root || (gc->root_share && gc->root_share[0]));
	FUZZ_CHECK(gc->root_propagation <= GC_PROP_RUNBINDABLE);
	FUZZ_CHECK(gc->has_root || gc->root_propagation == GC_PROP_DEFAULT);
	FUZZ_CHECK(!gc->domainname || gc->domainname[0]);
	for (size_t i = 0; i < gc->nr_mounts; i++)
		check_mount(&gc->mounts[i]);
	check_paths(gc->masked_paths, gc->nr_masked_paths);
	check_paths(gc->readonly_paths, gc->nr_readonly_paths);
	FUZZ_CHECK(gc->nr_devices <= GC_MAX_DEVICES && (gc->devices || !gc->nr_devices));
	for (size_t i = 0; i < gc->nr_devices; i++)
		check_device(&gc->devices[i]);
	if (gc->has_resources)
		check_resources(&gc->resources);
	FUZZ_CHECK(gc->nr_args > 0);
	check_strv(gc->args, gc->nr_args, true);
	check_strv(gc->env, gc->nr_env, true);
	FUZZ_CHECK(gc->cwd && gc->cwd[0] == '/');
	FUZZ_CHECK(!gc->has_umask || gc->umask <= 07777);
	for (unsigned s = 0; s < HY_CAP_NR_SETS; s++)
		FUZZ_CHECK(!(gc->caps[s] >> hy_cap_last() >> 1));
	for (size_t i = 0; i < gc->nr_rlimits; i++)
		FUZZ_CHECK(hy_rlimit_name(gc->rlimits[i].resource));
	FUZZ_CHECK(gc->nr_nics <= GC_MAX_NICS && (gc->nics || !gc->nr_nics));
	for (size_t i = 0; i < gc->nr_nics; i++)
		check_nic(gc, i);
	check_standby(gc);
	for (size_t i = 0; i < gc->nr_sysctl; i++)
		FUZZ_CHECK(gc->sysctl[i].key[0] && !strchr(gc->sysctl[i].key, '/') &&
			   gc->sysctl[i].value);
	if (!gc->seccomp)
		return;
	check_strv(gc->seccomp->architectures, gc->seccomp->nr_architectures, true);
	for (size_t i = 0; i < gc->seccomp->nr_syscalls; i++) {
		const struct gc_seccomp_rule *r = &gc->seccomp->syscalls[i];

		FUZZ_CHECK(r->nr_names > 0);
		check_strv(r->names, r->nr_names, true);
		FUZZ_CHECK(!r->has_errno_ret || r->errno_ret <= 0xffff);
		for (size_t j = 0; j < r->nr_args; j++)
			FUZZ_CHECK(r->args[j].index <= 5);
	}
}

static void check_same_nics(const struct guest_config *a, const struct guest_config *b)
{
	FUZZ_CHECK(a->nr_nics == b->nr_nics);
	for (size_t i = 0; i < a->nr_nics; i++) {
		const struct gc_nic *x = &a->nics[i], *y = &b->nics[i];

		FUZZ_CHECK(!strcmp(x->name, y->name) && !memcmp(x->mac, y->mac, 6));
		FUZZ_CHECK(x->mtu == y->mtu && x->nr_addresses == y->nr_addresses &&
			   x->nr_routes == y->nr_routes);
		for (size_t j = 0; j < x->nr_addresses; j++)
			FUZZ_CHECK(
			    !memcmp(&x->addresses[j], &y->addresses[j], sizeof(x->addresses[j])));
		for (size_t j = 0; j < x->nr_routes; j++)
			FUZZ_CHECK(!memcmp(&x->routes[j], &y->routes[j], sizeof(x->routes[j])));
	}
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static void check_same_strv(const char *const *a, size_t na, const char *const *b, size_t nb)
{
	FUZZ_CHECK(na == nb);
	for (size_t i = 0; i < na; i++)
		FUZZ_CHECK(!strcmp(a[i], b[i]));
}

/* The members of the runtime-spec's container semantics. */
static void check_same_semantics(const struct guest_config *a, const struct guest_config *b)
{
	const struct gc_resources *x = &a->resources, *y = &b->resources;

	FUZZ_CHECK(same_str(a->domainname, b->domainname));
	FUZZ_CHECK(a->root_propagation == b->root_propagation);
	check_same_strv(a->masked_paths, a->nr_masked_paths, b->masked_paths, b->nr_masked_paths);
	check_same_strv(a->readonly_paths, a->nr_readonly_paths, b->readonly_paths,
			b->nr_readonly_paths);
	FUZZ_CHECK(a->nr_devices == b->nr_devices);
	for (size_t i = 0; i < a->nr_devices; i++) {
		const struct gc_device *p = &a->devices[i], *q = &b->devices[i];

		FUZZ_CHECK(!strcmp(p->path, q->path) && p->type == q->type);
		FUZZ_CHECK(p->major == q->major && p->minor == q->minor && p->mode == q->mode);
		FUZZ_CHECK(p->has_mode == q->has_mode && p->has_uid == q->has_uid &&
			   p->has_gid == q->has_gid && p->uid == q->uid && p->gid == q->gid);
	}
	FUZZ_CHECK(a->pid_namespace == b->pid_namespace && a->has_resources == b->has_resources);
	FUZZ_CHECK(x->has_memory == y->has_memory && x->memory == y->memory);
	FUZZ_CHECK(x->has_memory_swap == y->has_memory_swap && x->memory_swap == y->memory_swap);
	FUZZ_CHECK(x->has_pids == y->has_pids && x->pids == y->pids);
	FUZZ_CHECK(x->has_cpu_quota == y->has_cpu_quota && x->cpu_quota == y->cpu_quota);
	FUZZ_CHECK(x->has_cpu_period == y->has_cpu_period && x->cpu_period == y->cpu_period);
	FUZZ_CHECK(x->has_cpu_weight == y->has_cpu_weight && x->cpu_weight == y->cpu_weight);
	FUZZ_CHECK(x->has_devices == y->has_devices && x->nr_devices == y->nr_devices);
	for (size_t i = 0; i < x->nr_devices; i++) {
		const struct gc_device_rule *p = &x->devices[i], *q = &y->devices[i];

		FUZZ_CHECK(p->allow == q->allow && p->type == q->type && p->major == q->major &&
			   p->minor == q->minor && p->read == q->read && p->write == q->write &&
			   p->mknod == q->mknod);
	}
}

static void check_same(const struct guest_config *a, const struct guest_config *b)
{
	check_same_semantics(a, b);
	FUZZ_CHECK(a->nr_args == b->nr_args && a->nr_env == b->nr_env);
	FUZZ_CHECK(a->nr_mounts == b->nr_mounts && a->nr_rlimits == b->nr_rlimits);
	FUZZ_CHECK(a->nr_sysctl == b->nr_sysctl);
	FUZZ_CHECK(a->uid == b->uid && a->gid == b->gid && a->terminal == b->terminal);
	FUZZ_CHECK(a->has_caps == b->has_caps && !memcmp(a->caps, b->caps, sizeof(a->caps)));
	FUZZ_CHECK(a->has_root == b->has_root && a->root_readonly == b->root_readonly);
	FUZZ_CHECK((a->seccomp == NULL) == (b->seccomp == NULL));
	for (size_t i = 0; i < a->nr_args; i++)
		FUZZ_CHECK(!strcmp(a->args[i], b->args[i]));
	for (size_t i = 0; i < a->nr_mounts; i++) {
		FUZZ_CHECK(!strcmp(a->mounts[i].destination, b->mounts[i].destination));
		FUZZ_CHECK(a->mounts[i].bind == b->mounts[i].bind);
		FUZZ_CHECK(a->mounts[i].nr_options == b->mounts[i].nr_options);
	}
	for (size_t i = 0; i < a->nr_rlimits; i++)
		FUZZ_CHECK(a->rlimits[i].resource == b->rlimits[i].resource &&
			   a->rlimits[i].hard == b->rlimits[i].hard &&
			   a->rlimits[i].soft == b->rlimits[i].soft);
	FUZZ_CHECK(a->nr_standby == b->nr_standby);
	for (size_t i = 0; i < a->nr_standby; i++)
		FUZZ_CHECK(!memcmp(a->standby[i].mac, b->standby[i].mac, 6));
	check_same_nics(a, b);
	if (a->seccomp) {
		FUZZ_CHECK(a->seccomp->default_action == b->seccomp->default_action);
		FUZZ_CHECK(a->seccomp->nr_syscalls == b->seccomp->nr_syscalls);
	}
}

/* The same bytes as a start configuration: only the network, which encodes
 * (guest_config_encode_start()) and decodes again to the same NICs. */
static void fuzz_start(const char *data, size_t size)
{
	struct guest_config gc, again;
	char err[512] = "", *text;
	int ret;

	ret = guest_config_decode_start(&gc, data, size, err, sizeof(err));
	FUZZ_CHECK(memchr(err, 0, sizeof(err)));
	if (ret) {
		FUZZ_CHECK((ret == -EINVAL || ret == -ENOMEM) && err[0]);
		FUZZ_CHECK(gc.priv == NULL);
		return;
	}
	FUZZ_CHECK(gc.priv && !gc.args && !gc.nr_standby && !gc.nr_mounts && !gc.seccomp);
	FUZZ_CHECK(gc.nr_nics <= GC_MAX_NICS && (gc.nics || !gc.nr_nics));
	for (size_t i = 0; i < gc.nr_nics; i++)
		check_nic(&gc, i);
	text = guest_config_encode_start(gc.nics, gc.nr_nics, err, sizeof(err));
	if (!text)
		fprintf(stderr, "a decoded start configuration does not encode: %s\n", err);
	FUZZ_CHECK(text);
	ret = guest_config_decode_start(&again, text, strlen(text), err, sizeof(err));
	if (ret)
		fprintf(stderr, "the encoding does not decode: %s\n%s\n", err, text);
	FUZZ_CHECK(ret == 0);
	check_same_nics(&gc, &again);
	guest_config_free(&again);
	free(text);
	guest_config_free(&gc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guest_config gc, again;
	char err[512], *text;
	int ret;

	fuzz_start((const char *)data, size);
	err[0] = 0;
	ret = guest_config_decode(&gc, (const char *)data, size, err, sizeof(err));
	FUZZ_CHECK(memchr(err, 0, sizeof(err)));
	if (ret) {
		FUZZ_CHECK(ret == -EINVAL || ret == -ENOMEM);
		FUZZ_CHECK(err[0]);
		FUZZ_CHECK(gc.priv == NULL);
		return 0;
	}
	check_config(&gc);

	text = guest_config_encode(&gc, err, sizeof(err));
	if (!text)
		fprintf(stderr, "a decoded configuration does not encode: %s\n", err);
	FUZZ_CHECK(text);
	ret = guest_config_decode(&again, text, strlen(text), err, sizeof(err));
	if (ret)
		fprintf(stderr, "the encoding does not decode: %s\n%s\n", err, text);
	FUZZ_CHECK(ret == 0);
	check_same(&gc, &again);
	guest_config_free(&again);
	free(text);
	guest_config_free(&gc);
	FUZZ_CHECK(gc.priv == NULL);
	return 0;
}
