/* plan.c: a container's VM planned from its spec: shares, file copies, the jail's binds, the guest
 * configuration. */
#include "runtime/plan.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/openat2.h>

#include "common/agent_proto.h"
#include "common/cleanup.h"
#include "common/err.h"
#include "common/strv.h"
#include "runtime/defaults.h"

static const char *own(struct container_plan *p, char *s)
{
	if (s)
		p->owned[p->nr_owned++] = s;
	return s;
}

/* A share's bind is marked idmap: the VMM reaches it idmapped when it runs in a
 * user namespace of its own (create.c clears the mark otherwise). */
static void add_bind(struct container_plan *p, const char *source, const char *target,
		     bool readonly, bool share)
{
	p->binds[p->nr_binds++] = (struct jail_bind){source, target, readonly, share};
}

/* `path` relative to `base` unless absolute (or base is NULL), resolved; NULL with errno set. */
static char *resolve(const char *base, const char *path)
{
	char buf[PATH_MAX];

	if (path[0] != '/' && base) {
		if (snprintf(buf, sizeof(buf), "%s/%s", base, path) >= (int)sizeof(buf)) {
			errno = ENAMETOOLONG;
			return NULL;
		}
		path = buf;
	}
	return realpath(path, NULL);
}

/* Whether `path` is `base` or below it, component by component ("/dev" holds
 * "/dev/pts", not "/devices"). */
static bool path_within(const char *base, const char *path)
{
	for (;;) {
		size_t n;

		while (*base == '/')
			base++;
		while (*path == '/')
			path++;
		if (!*base)
			return true;
		n = strcspn(base, "/");
		if (strncmp(base, path, n) != 0 || (path[n] != '/' && path[n] != '\0'))
			return false;
		base += n;
		path += n;
	}
}

/* Whether one of the first n mounts is at `path` or above it. */
static bool under_a_mount(const struct oci_spec *spec, size_t n, const char *path)
{
	for (size_t i = 0; i < n; i++)
		if (path_within(spec->mounts[i].destination, path))
			return true;
	return false;
}

/* Whether the image lacks `path`, looked up as hyrun-init does: confined to
 * the root, so that a symlink in the image cannot make the runtime look at
 * the host. Any failure counts as missing. */
static bool missing_in(int rootfd, const char *path)
{
	struct open_how how = {
	    .flags = O_PATH | O_CLOEXEC,
	    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd;

	while (*path == '/')
		path++;
	fd = (int)syscall(SYS_openat2, rootfd, *path ? path : ".", &how, sizeof(how));
	if (fd < 0)
		return true;
	close(fd);
	return false;
}

/*
 * Whether hyrun-init must write to the root before it makes the root
 * read-only: a mount point the image lacks that no earlier mount holds, a
 * missing cwd outside every mount, a device node outside every mount. In
 * doubt (the root cannot be opened) it must.
 */
static bool root_needs_writes(const char *rootfs, const struct oci_spec *spec)
{
	int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	bool needs = rootfd < 0;

	for (size_t i = 0; !needs && i < spec->nr_mounts; i++)
		needs = !under_a_mount(spec, i, spec->mounts[i].destination) &&
			missing_in(rootfd, spec->mounts[i].destination);
	if (!needs && spec->cwd && !under_a_mount(spec, spec->nr_mounts, spec->cwd))
		needs = missing_in(rootfd, spec->cwd);
	for (size_t i = 0; !needs && i < spec->nr_devices; i++)
		needs = !under_a_mount(spec, spec->nr_mounts, spec->devices[i].path);
	if (rootfd >= 0)
		close(rootfd);
	return needs;
}

/*
 * The root's share. root.readonly is a flag of the container's root mount,
 * which hyrun-init sets once it has made the mount points and the cwd, as
 * runc remounts the rootfs read-only after making them on the host. Until
 * then the share must take writes when something is to be made; otherwise
 * it is read-only in the VMM too. A writable share gives the workload no
 * more than runc gives it: the guest's read-only mount stands between the
 * workload and the share, and only a workload that may remount it
 * (CAP_SYS_ADMIN in the guest, which could remount runc's rootfs as well)
 * or one that takes over the guest's kernel reaches the share, which holds
 * this container's rootfs and nothing else of the host.
 */
static int plan_root(struct container_plan *p, const struct oci_spec *spec,
		     const struct plan_request *req, char *err, size_t errlen)
{
	const char *what = req->rootfs ? "--rootfs" : "root.path";
	const char *path = req->rootfs ? req->rootfs : spec->root_path;
	struct plan_share *sh = &p->vm.shares[p->vm.nr_shares++];
	struct stat st;

	if (!path)
		return hy_err(err, errlen, -EINVAL, "root.path: required");
	p->rootfs = resolve(req->rootfs ? NULL : req->base, path);
	if (!p->rootfs || stat(p->rootfs, &st) < 0)
		return hy_err(err, errlen, -errno, "%s: '%s': %s", what, path, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return hy_err(err, errlen, -ENOTDIR, "%s: '%s': not a directory", what, path);
	snprintf(sh->tag, sizeof(sh->tag), "%s", HY_SHARE_ROOTFS);
	sh->dir = req->jail ? HY_JAIL_ROOTFS : p->rootfs;
	sh->readonly = spec->root_readonly && !root_needs_writes(p->rootfs, spec);
	p->gc.has_root = true;
	p->gc.root_share = sh->tag;
	p->gc.root_readonly = spec->root_readonly;
	/* The enums have one order (spec.h). */
	_Static_assert((int)OCI_PROP_NONE == (int)GC_PROP_DEFAULT &&
			   (int)OCI_PROP_SHARED == (int)GC_PROP_SHARED &&
			   (int)OCI_PROP_SLAVE == (int)GC_PROP_SLAVE &&
			   (int)OCI_PROP_PRIVATE == (int)GC_PROP_PRIVATE &&
			   (int)OCI_PROP_UNBINDABLE == (int)GC_PROP_UNBINDABLE &&
			   (int)OCI_PROP_RSHARED == (int)GC_PROP_RSHARED &&
			   (int)OCI_PROP_RSLAVE == (int)GC_PROP_RSLAVE &&
			   (int)OCI_PROP_RPRIVATE == (int)GC_PROP_RPRIVATE &&
			   (int)OCI_PROP_RUNBINDABLE == (int)GC_PROP_RUNBINDABLE,
		       "propagation order");
	p->gc.root_propagation = (enum gc_propagation)spec->rootfs_propagation;
	if (req->jail)
		add_bind(p, p->rootfs, HY_JAIL_ROOTFS, sh->readonly, true);
	return 0;
}

/*
 * A tmpfs bound at /dev/shm (Podman's and the CRI's per-container shm) becomes
 * a tmpfs of the guest's own, as large: POSIX shared memory cannot span the VM
 * boundary (a share's pages are not shared memory), and a tmpfs share would
 * keep the VMM from running unprivileged where tmpfs cannot be idmapped.
 * 1 when it did, 0 when the mount is not one, -ENOMEM.
 */
static int plan_guest_shm(struct container_plan *p, const struct oci_mount *m, const char *host,
			  struct gc_mount *gm)
{
	const char **opts;
	struct statfs sf;
	char *size;

	if (strcmp(m->destination, "/dev/shm") || statfs(host, &sf) < 0 || sf.f_type != TMPFS_MAGIC)
		return 0;
	opts = calloc(5, sizeof(*opts));
	if (!opts ||
	    asprintf(&size, "size=%llu",
		     (unsigned long long)sf.f_blocks * (unsigned long long)sf.f_bsize) < 0) {
		free(opts);
		return -ENOMEM;
	}
	own(p, (char *)opts);
	opts[0] = "nosuid";
	opts[1] = "nodev";
	opts[2] = "noexec";
	opts[3] = "mode=1777";
	opts[4] = own(p, size);
	*gm = (struct gc_mount){.destination = m->destination,
				.type = "tmpfs",
				.source = "shm",
				.options = opts,
				.nr_options = 5};
	return 1;
}

/* mounts[i] bind-mounts a host path: a directory becomes a share of its own,
 * a regular file a copy. */
static int plan_bind(struct container_plan *p, const struct oci_mount *m, size_t i,
		     const struct plan_request *req, struct gc_mount *gm, char *err, size_t errlen)
{
	bool ro = hy_strv_contains(m->options, m->nr_options, "ro") ||
		  hy_strv_contains(m->options, m->nr_options, "rro");
	const char *host, *path;
	struct stat st;
	char *t;

	if (!m->source)
		return hy_err(err, errlen, -EINVAL, "mounts[%zu].source: required for a bind mount",
			      i);
	host = own(p, resolve(req->base, m->source));
	if (!host || stat(host, &st) < 0)
		return hy_err(err, errlen, -errno, "mounts[%zu].source: '%s': %s", i, m->source,
			      strerror(errno));
	if (S_ISDIR(st.st_mode)) {
		int r = plan_guest_shm(p, m, host, gm);

		if (r)
			return r < 0 ? hy_err(err, errlen, r, "out of memory") : 0;
	}
	path = host;
	if (req->jail) {
		if (asprintf(&t, HY_JAIL_BINDS "/%zu", i) < 0)
			return hy_err(err, errlen, -ENOMEM, "out of memory");
		path = own(p, t);
	}
	if (S_ISDIR(st.st_mode)) {
		struct plan_share *sh;

		if (p->vm.nr_shares == PLAN_MAX_SHARES)
			return hy_err(
			    err, errlen, -E2BIG,
			    "mounts[%zu]: more than %d host directories are bind-mounted; "
			    "a VM has room for %d shares besides the root",
			    i, PLAN_MAX_SHARES - 1, PLAN_MAX_SHARES - 1);
		sh = &p->vm.shares[p->vm.nr_shares++];
		snprintf(sh->tag, sizeof(sh->tag), "m%zu", i);
		sh->dir = path;
		sh->readonly = ro;
		gm->share = sh->tag;
	} else if (S_ISREG(st.st_mode)) {
		struct plan_file *f;

		if (st.st_size > PLAN_FILE_MAX)
			return hy_err(err, errlen, -EFBIG,
				      "mounts[%zu].source: '%s' is larger than %u MiB, too large "
				      "to copy into the VM",
				      i, m->source, PLAN_FILE_MAX >> 20);
		if (p->vm.nr_files == PLAN_MAX_FILES)
			return hy_err(err, errlen, -E2BIG,
				      "mounts[%zu]: more than %d host files are bind-mounted", i,
				      PLAN_MAX_FILES);
		f = &p->files[p->vm.nr_files++];
		snprintf(f->name, sizeof(f->name), "%zu", i);
		f->path = path;
		gm->file = f->name;
	} else {
		return hy_err(err, errlen, -EINVAL,
			      "mounts[%zu].source: '%s' is neither a directory nor a regular file; "
			      "only those can be bind-mounted into the VM",
			      i, m->source);
	}
	if (req->jail)
		add_bind(p, host, path, ro, true);
	/* The host path means nothing in the guest. */
	gm->source = NULL;
	return 0;
}

static int plan_mounts(struct container_plan *p, const struct oci_spec *spec,
		       const struct plan_request *req, char *err, size_t errlen)
{
	for (size_t i = 0; i < spec->nr_mounts; i++) {
		const struct oci_mount *m = &spec->mounts[i];
		struct gc_mount *gm = &p->mounts[i];
		int r;

		*gm = (struct gc_mount){
		    .destination = m->destination,
		    .type = m->type,
		    .source = m->source,
		    .options = m->options,
		    .nr_options = m->nr_options,
		};
		if (m->bind && (r = plan_bind(p, m, i, req, gm, err, errlen)))
			return r;
	}
	p->gc.mounts = p->mounts;
	p->gc.nr_mounts = spec->nr_mounts;
	return 0;
}

static int plan_seccomp(struct container_plan *p, const struct oci_seccomp *s)
{
	size_t nr_args = 0, k = 0;

	for (size_t i = 0; i < s->nr_syscalls; i++)
		nr_args += s->syscalls[i].nr_args;
	p->rules = calloc(s->nr_syscalls + 1, sizeof(*p->rules));
	p->args = calloc(nr_args + 1, sizeof(*p->args));
	if (!p->rules || !p->args)
		return -ENOMEM;
	for (size_t i = 0; i < s->nr_syscalls; i++) {
		const struct oci_seccomp_rule *r = &s->syscalls[i];

		p->rules[i] = (struct gc_seccomp_rule){
		    .names = r->names,
		    .nr_names = r->nr_names,
		    .action = r->action,
		    .has_errno_ret = r->has_errno_ret,
		    .errno_ret = r->errno_ret,
		    .args = p->args + k,
		    .nr_args = r->nr_args,
		};
		for (size_t j = 0; j < r->nr_args; j++)
			p->args[k++] = (struct gc_seccomp_arg){
			    .index = r->args[j].index,
			    .value = r->args[j].value,
			    .value_two = r->args[j].value_two,
			    .op = r->args[j].op,
			};
	}
	p->seccomp = (struct gc_seccomp){
	    .flags = s->flags,
	    .default_action = s->default_action,
	    .has_default_errno_ret = s->has_default_errno_ret,
	    .default_errno_ret = s->default_errno_ret,
	    .architectures = s->architectures,
	    .nr_architectures = s->nr_architectures,
	    .syscalls = p->rules,
	    .nr_syscalls = s->nr_syscalls,
	};
	p->gc.seccomp = &p->seccomp;
	return 0;
}

/* linux.devices: the nodes hyrun-init makes in the container's /dev. */
static int plan_devices(struct container_plan *p, const struct oci_spec *spec, char *err,
			size_t errlen)
{
	if (spec->nr_devices > GC_MAX_DEVICES)
		return hy_err(err, errlen, -E2BIG, "linux.devices: %zu devices, at most %d",
			      spec->nr_devices, GC_MAX_DEVICES);
	p->devices = calloc(spec->nr_devices + 1, sizeof(*p->devices));
	if (!p->devices)
		return hy_err(err, errlen, -ENOMEM, "out of memory");
	for (size_t i = 0; i < spec->nr_devices; i++) {
		const struct oci_device *d = &spec->devices[i];

		p->devices[i] = (struct gc_device){
		    .path = d->path,
		    .type = d->type == 'u' ? 'c' : d->type,
		    .major = d->major,
		    .minor = d->minor,
		    .has_mode = d->has_mode,
		    .mode = d->has_mode ? d->mode : 0666,
		    .has_uid = d->has_uid,
		    .uid = d->uid,
		    .has_gid = d->has_gid,
		    .gid = d->gid,
		};
	}
	p->gc.devices = p->devices;
	p->gc.nr_devices = spec->nr_devices;
	return 0;
}

/* cgroup v1's cpu.shares (2..262144) as cgroup v2's cpu.weight (1..10000),
 * the linear map runc and crun use. */
static uint64_t shares_to_weight(uint64_t shares)
{
	return 1 + ((shares - 2) * 9999) / 262142;
}

/*
 * linux.resources as the guest's cgroup limits. The VMM's cgroup on the host
 * keeps its own (runtime/cgroup.h); inside the guest they bound the
 * workload among hyrun-init and the guest's own processes.
 */
static int plan_resources(struct container_plan *p, const struct oci_resources *r, char *err,
			  size_t errlen)
{
	struct gc_resources *g = &p->gc.resources;
	size_t n;

	if (r->memory_limit > 0) {
		g->has_memory = true;
		g->memory = r->memory_limit;
	}
	/* The runtime-spec's swap counts memory plus swap; the guest's
	 * memory.swap.max is swap alone. */
	if (r->has_memory_swap) {
		g->has_memory_swap = true;
		g->memory_swap = r->memory_swap < 0 ? -1 : r->memory_swap - r->memory_limit;
	}
	if (r->pids_limit > 0) {
		g->has_pids = true;
		g->pids = r->pids_limit;
	}
	if (r->cpu_quota > 0) {
		g->has_cpu_quota = true;
		g->cpu_quota = r->cpu_quota;
	}
	if (r->cpu_period) {
		g->has_cpu_period = true;
		g->cpu_period = r->cpu_period;
	}
	if (r->cpu_shares) {
		g->has_cpu_weight = true;
		g->cpu_weight = shares_to_weight(r->cpu_shares);
	}
	if (r->has_devices) {
		/* The spec's rules alone: hyrun-init appends what runc and crun
		 * allow in every container (its devfilter.c), so that the
		 * "deny all" engines put first leaves the workload its /dev/null. */
		n = r->nr_devices;
		if (n > GC_MAX_DEVICE_RULES)
			return hy_err(err, errlen, -E2BIG,
				      "linux.resources.devices: %zu rules, at most %d", n,
				      GC_MAX_DEVICE_RULES);
		p->device_rules = calloc(n ? n : 1, sizeof(*p->device_rules));
		if (!p->device_rules)
			return hy_err(err, errlen, -ENOMEM, "out of memory");
		for (size_t i = 0; i < r->nr_devices; i++) {
			const struct oci_device_rule *d = &r->devices[i];

			p->device_rules[i] = (struct gc_device_rule){
			    .allow = d->allow,
			    .type = d->type,
			    .major = d->major,
			    .minor = d->minor,
			    .read = d->read,
			    .write = d->write,
			    .mknod = d->mknod,
			};
		}
		g->has_devices = true;
		g->devices = p->device_rules;
		g->nr_devices = n;
	}
	/* The host's cgroup holds hyrun-vmm, whose threads and memory are not the
	 * workload's: unified's files are for the guest's cgroup alone. */
	_Static_assert(sizeof(struct oci_unified) == sizeof(struct gc_unified), "unified layout");
	g->unified = (const struct gc_unified *)r->unified;
	g->nr_unified = r->nr_unified;
	p->gc.has_resources = g->has_memory || g->has_memory_swap || g->has_pids ||
			      g->has_cpu_quota || g->has_cpu_period || g->has_cpu_weight ||
			      g->has_devices || g->nr_unified;
	return 0;
}

/* linux.* the guest applies: the root's propagation is plan_root's. */
static int plan_linux(struct container_plan *p, const struct oci_spec *spec,
		      const struct oci_linux *l, char *err, size_t errlen)
{
	struct guest_config *gc = &p->gc;
	int r;

	gc->masked_paths = spec->masked_paths;
	gc->nr_masked_paths = spec->nr_masked_paths;
	gc->readonly_paths = spec->readonly_paths;
	gc->nr_readonly_paths = spec->nr_readonly_paths;
	/* A pid namespace joined by path on the host is the VMM's (the jail's);
	 * the workload gets one of its own in the guest either way. */
	gc->pid_namespace = l->ns[OCI_NS_PID].enabled;
	/* "" sets nothing, as with runc. */
	gc->domainname = spec->domainname && spec->domainname[0] ? spec->domainname : NULL;
	r = plan_devices(p, spec, err, errlen);
	return r ? r : plan_resources(p, &l->res, err, errlen);
}

/* The process (its scheduler and I/O priority too), the personality, hostname
 * and sysctls, as the spec has them. */
static int plan_process(struct container_plan *p, const struct oci_spec *spec)
{
	struct guest_config *gc = &p->gc;

	/* An empty hostname is no hostname, as with runc. */
	gc->hostname = spec->hostname && spec->hostname[0] ? spec->hostname : NULL;
	gc->args = spec->args;
	gc->nr_args = spec->nr_args;
	gc->env = spec->env;
	gc->nr_env = spec->nr_env;
	gc->cwd = spec->cwd ? spec->cwd : "/";
	gc->terminal = spec->terminal;
	gc->uid = spec->uid;
	gc->gid = spec->gid;
	gc->additional_gids = spec->additional_gids;
	gc->nr_additional_gids = spec->nr_additional_gids;
	gc->has_umask = spec->has_umask;
	gc->umask = spec->umask;
	gc->has_caps = spec->has_caps;
	_Static_assert(sizeof(gc->caps) == sizeof(spec->caps), "capability sets");
	memcpy(gc->caps, spec->caps, sizeof(gc->caps));
	p->rlimits = calloc(spec->nr_rlimits + 1, sizeof(*p->rlimits));
	if (!p->rlimits)
		return -ENOMEM;
	for (size_t i = 0; i < spec->nr_rlimits; i++)
		p->rlimits[i] = (struct gc_rlimit){spec->rlimits[i].resource, spec->rlimits[i].soft,
						   spec->rlimits[i].hard};
	gc->rlimits = p->rlimits;
	gc->nr_rlimits = spec->nr_rlimits;
	gc->no_new_privileges = spec->no_new_privileges;
	gc->has_oom_score_adj = spec->has_oom_score_adj;
	gc->oom_score_adj = spec->oom_score_adj;
	gc->has_scheduler = spec->has_scheduler;
	gc->scheduler = (struct gc_scheduler){
	    .policy = spec->scheduler.policy,
	    .nice = spec->scheduler.nice,
	    .priority = spec->scheduler.priority,
	    .flags = spec->scheduler.flags,
	    .runtime = spec->scheduler.runtime,
	    .deadline = spec->scheduler.deadline,
	    .period = spec->scheduler.period,
	};
	gc->has_io_priority = spec->has_io_priority;
	gc->io_priority =
	    (struct gc_io_priority){spec->io_priority.ioclass, spec->io_priority.priority};
	/* linux.personality is the container's execution domain: every process
	 * of it gets it, an exec'd one too (as runc gives it). */
	gc->has_personality = spec->has_personality;
	gc->personality = spec->personality;
	/* struct oci_sysctl and struct gc_sysctl are the same two strings. */
	_Static_assert(sizeof(struct oci_sysctl) == sizeof(struct gc_sysctl), "sysctl layout");
	gc->sysctl = (const struct gc_sysctl *)spec->sysctl;
	gc->nr_sysctl = spec->nr_sysctl;
	return spec->seccomp ? plan_seccomp(p, spec->seccomp) : 0;
}

int plan_build(struct container_plan *p, const struct oci_spec *spec, const struct oci_linux *l,
	       const struct plan_request *req, char *err, size_t errlen)
{
	size_t n = spec->nr_mounts;
	char msg[512];
	int r;

	memset(p, 0, sizeof(*p));
	p->vm.control_fd = p->vm.ready_fd = p->vm.kvm_fd = -1;
	p->binds = calloc(n + 5, sizeof(*p->binds));
	p->owned = calloc(4 * n + 1, sizeof(*p->owned));
	p->files = calloc(n + 1, sizeof(*p->files));
	p->mounts = calloc(n + 1, sizeof(*p->mounts));
	if (!p->binds || !p->owned || !p->files || !p->mounts)
		return hy_err(err, errlen, -ENOMEM, "out of memory");
	if (!spec->has_process || !spec->nr_args)
		return hy_err(err, errlen, -EINVAL, "process.args: required");
	if (req->jail) {
		p->vm.kernel = HY_JAIL_KERNEL;
		p->vm.initrd = HY_JAIL_INITRD;
		add_bind(p, req->files->kernel, HY_JAIL_KERNEL, true, false);
		add_bind(p, req->files->initrd, HY_JAIL_INITRD, true, false);
	}
	p->vm.files = p->files;
	p->vm.guest_config = req->jail ? HY_JAIL_GUEST_CONFIG : req->guest_config_path;
	r = plan_root(p, spec, req, err, errlen);
	if (!r)
		r = plan_mounts(p, spec, req, err, errlen);
	if (!r)
		r = plan_linux(p, spec, l, err, errlen);
	if (r)
		return r;
	if (plan_process(p, spec))
		return hy_err(err, errlen, -ENOMEM, "out of memory");
	p->guest_config_text = guest_config_encode(&p->gc, msg, sizeof(msg));
	if (!p->guest_config_text)
		return hy_err(err, errlen, -EINVAL, "the guest configuration: %s", msg);
	if (req->jail) {
		add_bind(p, req->guest_config_path, HY_JAIL_GUEST_CONFIG, true, false);
		/* The virtio-fs server reopens its O_PATH handles through /proc/self/fd:
		 * the jail mounts a procfs of the VMM's own (jail_config.proc), never
		 * the host's. */
	}
	return 0;
}

int plan_set_network(struct container_plan *p, const struct gc_nic *nics, size_t nr_nics,
		     const struct gc_mac *standby, size_t nr_standby, char *err, size_t errlen)
{
	char msg[512], *text;

	p->gc.nics = nics;
	p->gc.nr_nics = nr_nics;
	p->gc.standby = standby;
	p->gc.nr_standby = nr_standby;
	text = guest_config_encode(&p->gc, msg, sizeof(msg));
	if (!text)
		return hy_err(err, errlen, -EINVAL, "the guest configuration: %s", msg);
	free(p->guest_config_text);
	p->guest_config_text = text;
	return 0;
}

char *plan_exec_config(const struct oci_spec *spec, char *err, size_t errlen)
{
	struct container_plan p;
	char *text = NULL;

	memset(&p, 0, sizeof(p));
	if (!spec->has_process || !spec->nr_args) {
		hy_err(err, errlen, -EINVAL, "process.args: required");
		return NULL;
	}
	if (plan_process(&p, spec) < 0) {
		hy_err(err, errlen, -ENOMEM, "out of memory");
	} else {
		/* The exec request carries the process, its personality and the
		 * filter only. */
		p.gc.hostname = NULL;
		p.gc.sysctl = NULL;
		p.gc.nr_sysctl = 0;
		text = guest_config_encode(&p.gc, err, errlen);
	}
	plan_free(&p);
	return text;
}

void plan_free(struct container_plan *p)
{
	for (size_t i = 0; p->owned && i < p->nr_owned; i++)
		free(p->owned[i]);
	free(p->owned);
	free(p->binds);
	free(p->files);
	free(p->mounts);
	free(p->rlimits);
	free(p->rules);
	free(p->args);
	free(p->devices);
	free(p->device_rules);
	free(p->rootfs);
	free(p->guest_config_text);
	memset(p, 0, sizeof(*p));
}
