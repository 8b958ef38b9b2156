/* test_runtime_plan.c: the VM plan: jail binds, shares, file copies, the guest configuration. */
#include <criterion/criterion.h>
#include <linux/magic.h>
#include <sys/statfs.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "common/guest_config.h"
#include "common/strv.h"
#include "oci/linux.h"
#include "oci/spec.h"
#include "runtime/plan.h"

static char dir[64];
static struct oci_spec spec;
static struct oci_linux lx;
static struct container_plan plan;
static json_t *gc;
static char err[512];

static void setup(void)
{
	char path[128];
	int fd;

	strcpy(dir, "/tmp/hyrun-ut-plan.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/rootfs", dir);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/data", dir);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/hosts", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	cr_assert_geq(fd, 0);
	close(fd);
}

static void teardown(void)
{
	char cmd[128];

	json_decref(gc);
	plan_free(&plan);
	oci_linux_free(&lx);
	oci_spec_free(&spec);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(runtime_plan, .init = setup, .fini = teardown);

static const struct vm_files files = {"/opt/hyrun-vmm", "/opt/vmlinux", "/opt/initrd"};

/* Plan a spec with these mounts (and `extra` members of the top object); the
 * guest configuration decoded into gc. */
static int plan_with(const char *mounts, bool readonly, bool jail, const char *extra)
{
	struct plan_request req = {
	    .base = dir,
	    .jail = jail,
	    .files = &files,
	    .guest_config_path = "/run/hyrun/c/guest-config.json",
	};
	char text[4096];
	int r;

	snprintf(text, sizeof(text),
		 "{\"ociVersion\": \"1.0.2\", \"process\": {\"args\": [\"/bin/true\", \"x\"],"
		 " \"env\": [\"A=1\"], \"cwd\": \"/w\", \"user\": {\"uid\": 5, \"gid\": 6}},"
		 " \"root\": {\"path\": \"rootfs\", \"readonly\": %s}, \"mounts\": %s%s}",
		 readonly ? "true" : "false", mounts, extra ? extra : "");
	json_decref(gc);
	gc = NULL;
	plan_free(&plan);
	oci_linux_free(&lx);
	oci_spec_free(&spec);
	cr_assert_eq(oci_spec_parse(&spec, text, strlen(text), 0, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(oci_linux_parse(&lx, spec.json, err, sizeof(err)), 0, "%s", err);
	r = plan_build(&plan, &spec, &lx, &req, err, sizeof(err));
	if (r == 0) {
		json_error_t je;

		gc = json_loads(plan.guest_config_text, 0, &je);
		cr_assert_not_null(gc, "the guest configuration is JSON: %s", je.text);
	}
	return r;
}

/* Make `path` below the test's rootfs: a directory, or an empty file when it
 * ends in "!" (dropped). */
static void image_has(const char *path)
{
	char full[256], cmd[600];
	size_t n = strlen(path);
	bool file = n && path[n - 1] == '!';

	snprintf(full, sizeof(full), "%s/rootfs%.*s", dir, (int)(file ? n - 1 : n), path);
	if (file)
		snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\" && touch '%s'", full,
			 full);
	else
		snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", full);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
}

/* The mount points and the cwd of mounts3 in the image. */
static void image_has_mounts3(void)
{
	image_has("/proc");
	image_has("/data");
	image_has("/etc/hosts!");
	image_has("/w");
}

static const struct jail_bind *bind_at(const char *target)
{
	for (size_t i = 0; i < plan.nr_binds; i++)
		if (strcmp(plan.binds[i].target, target) == 0)
			return &plan.binds[i];
	return NULL;
}

static const char *str_at(json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(o, a);

	if (b)
		v = json_object_get(v, b);
	return json_string_value(v);
}

static const char mounts3[] =
    "[{\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},"
    " {\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"data\", "
    "\"options\": [\"rbind\", \"ro\"]},"
    " {\"destination\": \"/etc/hosts\", \"source\": \"hosts\", \"options\": [\"bind\"]}]";

Test(runtime_plan, jail_binds)
{
	char want[128];

	image_has_mounts3();
	cr_assert_eq(plan_with(mounts3, true, true, NULL), 0, "%s", err);
	snprintf(want, sizeof(want), "%s/rootfs", dir);
	cr_assert_str_eq(plan.rootfs, want);
	cr_assert_eq(plan.nr_binds, 6);
	cr_assert_null(bind_at("/proc"), "the jail mounts a procfs of its own");
	cr_assert_str_eq(bind_at("/kernel")->source, "/opt/vmlinux");
	cr_assert(bind_at("/kernel")->readonly);
	/* Only the shares are idmapped. */
	cr_assert_not(bind_at("/kernel")->idmap);
	cr_assert_not(bind_at("/initrd")->idmap);
	cr_assert_not(bind_at("/guest-config.json")->idmap);
	cr_assert(bind_at("/rootfs")->idmap);
	cr_assert(bind_at("/.hyrun-binds/1")->idmap);
	cr_assert(bind_at("/.hyrun-binds/2")->idmap);
	cr_assert_str_eq(bind_at("/initrd")->source, "/opt/initrd");
	cr_assert_str_eq(bind_at("/rootfs")->source, want);
	cr_assert(bind_at("/rootfs")->readonly, "root.readonly");
	cr_assert_str_eq(bind_at("/guest-config.json")->source, "/run/hyrun/c/guest-config.json");
	cr_assert(bind_at("/guest-config.json")->readonly);
	snprintf(want, sizeof(want), "%s/data", dir);
	cr_assert_str_eq(bind_at("/.hyrun-binds/1")->source, want);
	cr_assert(bind_at("/.hyrun-binds/1")->readonly);
	snprintf(want, sizeof(want), "%s/hosts", dir);
	cr_assert_str_eq(bind_at("/.hyrun-binds/2")->source, want);
	cr_assert_not(bind_at("/.hyrun-binds/2")->readonly);
	cr_assert_null(bind_at("/.hyrun-binds/0"), "proc is not a bind mount");
	/* The spec itself is not changed. */
	cr_assert_str_eq(spec.root_path, "rootfs");
	cr_assert_str_eq(spec.mounts[1].source, "data");
}

Test(runtime_plan, jail_vm_options)
{
	char **argv;
	size_t n = 0;

	image_has_mounts3();
	cr_assert_eq(plan_with(mounts3, true, true, NULL), 0, "%s", err);
	cr_assert_str_eq(plan.vm.kernel, "/kernel");
	cr_assert_str_eq(plan.vm.initrd, "/initrd");
	cr_assert_eq(plan.vm.nr_shares, 2);
	cr_assert_str_eq(plan.vm.shares[0].tag, "rootfs");
	cr_assert_str_eq(plan.vm.shares[0].dir, "/rootfs");
	cr_assert(plan.vm.shares[0].readonly);
	cr_assert_str_eq(plan.vm.shares[1].tag, "m1");
	cr_assert_str_eq(plan.vm.shares[1].dir, "/.hyrun-binds/1");
	cr_assert(plan.vm.shares[1].readonly);
	cr_assert_eq(plan.vm.nr_files, 1);
	cr_assert_str_eq(plan.vm.files[0].name, "2");
	cr_assert_str_eq(plan.vm.files[0].path, "/.hyrun-binds/2");
	cr_assert_str_eq(plan.vm.guest_config, "/guest-config.json");

	plan.vm.mem = 256 << 20;
	plan.vm.cpus = 2;
	plan.vm.control_fd = 7;
	argv = plan_to_argv(&plan.vm, "hyrun-vmm");
	cr_assert_not_null(argv);
	while (argv[n])
		n++;
	cr_assert_eq(n, 19);
	cr_assert_str_eq(argv[9], "--share");
	cr_assert_str_eq(argv[10], "rootfs=/rootfs:ro");
	cr_assert_str_eq(argv[12], "m1=/.hyrun-binds/1:ro");
	cr_assert_str_eq(argv[14], "2=/.hyrun-binds/2");
	cr_assert_str_eq(argv[15], "--guest-config");
	cr_assert_str_eq(argv[17], "--control-fd");
	free(argv);
}

Test(runtime_plan, hand_use_host_paths)
{
	char want[128];

	cr_assert_eq(plan_with(mounts3, false, false, NULL), 0, "%s", err);
	cr_assert_eq(plan.nr_binds, 0);
	cr_assert_null(plan.vm.kernel);
	snprintf(want, sizeof(want), "%s/rootfs", dir);
	cr_assert_str_eq(plan.vm.shares[0].dir, want);
	cr_assert_not(plan.vm.shares[0].readonly);
	snprintf(want, sizeof(want), "%s/data", dir);
	cr_assert_str_eq(plan.vm.shares[1].dir, want);
	snprintf(want, sizeof(want), "%s/hosts", dir);
	cr_assert_str_eq(plan.vm.files[0].path, want);
	cr_assert_str_eq(plan.vm.guest_config, "/run/hyrun/c/guest-config.json");
}

Test(runtime_plan, rootfs_replaces_root_path)
{
	struct plan_request req = {.base = "/nonexistent", .rootfs = dir};

	cr_assert_eq(plan_with("[]", false, false, NULL), 0, "%s", err);
	plan_free(&plan);
	cr_assert_eq(plan_build(&plan, &spec, &lx, &req, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(plan.vm.shares[0].dir, dir);
}

Test(runtime_plan, rw_and_rro_options)
{
	cr_assert_eq(plan_with("[{\"destination\": \"/a\", \"type\": \"bind\", \"source\": "
			       "\"data\", \"options\": [\"rw\"]},"
			       " {\"destination\": \"/b\", \"source\": \"data\", \"options\": "
			       "[\"rbind\", \"rro\"]}]",
			       false, false, NULL),
		     0, "%s", err);
	cr_assert_eq(plan.vm.nr_shares, 3);
	cr_assert_str_eq(plan.vm.shares[1].tag, "m0");
	cr_assert_not(plan.vm.shares[1].readonly);
	cr_assert_str_eq(plan.vm.shares[2].tag, "m1");
	cr_assert(plan.vm.shares[2].readonly);
}

Test(runtime_plan, guest_config)
{
	json_t *m, *p;

	cr_assert_eq(plan_with(mounts3, true, true,
			       ", \"hostname\": \"box\", \"linux\": {\"namespaces\": [{\"type\": "
			       "\"network\"}, {\"type\": \"uts\"}], \"sysctl\": "
			       "{\"net.ipv4.ip_forward\": \"1\"}}"),
		     0, "%s", err);
	cr_assert_eq(json_integer_value(json_object_get(gc, "version")), 1);
	cr_assert_str_eq(str_at(gc, "hostname", NULL), "box");
	cr_assert_str_eq(str_at(gc, "root", "share"), "rootfs");
	cr_assert(json_is_true(json_object_get(json_object_get(gc, "root"), "readonly")));
	m = json_object_get(gc, "mounts");
	cr_assert_eq(json_array_size(m), 3);
	cr_assert_str_eq(str_at(json_array_get(m, 0), "source", NULL), "proc");
	cr_assert_null(json_object_get(json_array_get(m, 0), "share"));
	cr_assert_str_eq(str_at(json_array_get(m, 1), "share", NULL), "m1");
	cr_assert_str_eq(str_at(json_array_get(m, 1), "destination", NULL), "/data");
	cr_assert_null(json_object_get(json_array_get(m, 1), "source"),
		       "a host path means nothing in the guest");
	cr_assert_str_eq(str_at(json_array_get(m, 2), "file", NULL), "2");
	p = json_object_get(gc, "process");
	cr_assert_str_eq(json_string_value(json_array_get(json_object_get(p, "args"), 1)), "x");
	cr_assert_str_eq(json_string_value(json_array_get(json_object_get(p, "env"), 0)), "A=1");
	cr_assert_str_eq(str_at(p, "cwd", NULL), "/w");
	cr_assert_eq(json_integer_value(json_object_get(p, "uid")), 5);
	cr_assert_eq(json_integer_value(json_object_get(p, "gid")), 6);
	cr_assert_str_eq(str_at(gc, "sysctl", "net.ipv4.ip_forward"), "1");
	cr_assert_null(json_object_get(gc, "seccomp"));
}

/* A tmpfs bound at /dev/shm (Podman's per-container shm) is the guest's own tmpfs, as
 * large; another tmpfs bind, or a directory at /dev/shm, is still a share. */
Test(runtime_plan, dev_shm_from_a_tmpfs_is_the_guests_own)
{
	char shm[] = "/dev/shm/hyrun-plan-shm.XXXXXX", mounts[512], want[64];
	struct statfs sf;
	json_t *m, *o;

	if (statfs("/dev/shm", &sf) < 0 || sf.f_type != TMPFS_MAGIC)
		cr_skip_test("/dev/shm is not a tmpfs here");
	cr_assert_not_null(mkdtemp(shm));
	image_has("/dev/shm");
	image_has("/data");
	image_has("/w");
	snprintf(mounts, sizeof(mounts),
		 "[{\"destination\": \"/dev/shm\", \"type\": \"bind\", \"source\": \"%s\","
		 " \"options\": [\"rbind\"]},"
		 " {\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"%s\","
		 " \"options\": [\"rbind\"]}]",
		 shm, shm);
	cr_assert_eq(plan_with(mounts, false, true, NULL), 0, "%s", err);
	cr_assert_eq(plan.vm.nr_shares, 2, "the root and /data");
	cr_assert_null(bind_at("/.hyrun-binds/0"), "no bind for /dev/shm");
	cr_assert_not_null(bind_at("/.hyrun-binds/1"));
	m = json_object_get(gc, "mounts");
	o = json_array_get(m, 0);
	cr_assert_str_eq(str_at(o, "type", NULL), "tmpfs");
	cr_assert_null(json_object_get(o, "share"));
	snprintf(want, sizeof(want), "size=%llu",
		 (unsigned long long)sf.f_blocks * (unsigned long long)sf.f_bsize);
	cr_assert_str_eq(json_string_value(json_array_get(json_object_get(o, "options"), 4)), want);
	cr_assert_str_eq(json_string_value(json_array_get(json_object_get(o, "options"), 3)),
			 "mode=1777");
	cr_assert_str_eq(str_at(json_array_get(m, 1), "share", NULL), "m1");
	cr_assert_eq(rmdir(shm), 0);
}

Test(runtime_plan, guest_config_caps_rlimits_seccomp)
{
	json_t *p, *s;

	cr_assert_eq(
	    plan_with("[]", false, false,
		      ", \"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ERRNO\","
		      " \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\"}]}}"),
	    0, "%s", err);
	s = json_object_get(gc, "seccomp");
	cr_assert_str_eq(str_at(s, "defaultAction", NULL), "SCMP_ACT_ERRNO");
	cr_assert_str_eq(str_at(json_array_get(json_object_get(s, "syscalls"), 0), "action", NULL),
			 "SCMP_ACT_ALLOW");
	cr_assert_eq(plan.gc.seccomp->nr_syscalls, 1);
	cr_assert_eq(plan.gc.seccomp->syscalls[0].action, HY_SECCOMP_ALLOW);

	/* process.capabilities and rlimits, in a spec of their own. */
	{
		struct plan_request req = {.base = dir, .guest_config_path = "/g"};
		const char *text =
		    "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"},"
		    " \"process\": {\"args\": [\"/bin/true\"], \"cwd\": \"/\","
		    " \"user\": {\"uid\": 0, \"gid\": 0},"
		    " \"capabilities\": {\"bounding\": [\"CAP_CHOWN\"]},"
		    " \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 10, \"hard\": 20}]}}";

		json_decref(gc);
		plan_free(&plan);
		oci_linux_free(&lx);
		oci_spec_free(&spec);
		cr_assert_eq(oci_spec_parse(&spec, text, strlen(text), 0, err, sizeof(err)), 0,
			     "%s", err);
		cr_assert_eq(oci_linux_parse(&lx, spec.json, err, sizeof(err)), 0, "%s", err);
		cr_assert_eq(plan_build(&plan, &spec, &lx, &req, err, sizeof(err)), 0, "%s", err);
		gc = json_loads(plan.guest_config_text, 0, NULL);
		cr_assert_not_null(gc);
	}
	p = json_object_get(gc, "process");
	cr_assert_str_eq(json_string_value(json_array_get(
			     json_object_get(json_object_get(p, "capabilities"), "bounding"), 0)),
			 "CAP_CHOWN");
	s = json_array_get(json_object_get(p, "rlimits"), 0);
	cr_assert_str_eq(str_at(s, "type", NULL), "RLIMIT_NOFILE");
	cr_assert_eq(json_integer_value(json_object_get(s, "soft")), 10);
	cr_assert_eq(json_integer_value(json_object_get(s, "hard")), 20);
}

/* What the runtime writes is what hyrun-init's decoder reads back, member for member. */
Test(runtime_plan, guest_config_decodes_as_hyrun_init_reads_it)
{
	struct guest_config d;
	char derr[256] = "";

	cr_assert_eq(plan_with(mounts3, true, true,
			       ", \"hostname\": \"box\", \"linux\": {\"namespaces\": "
			       "[{\"type\": \"uts\"}]}"),
		     0, "%s", err);
	cr_assert_eq(guest_config_decode(&d, plan.guest_config_text, strlen(plan.guest_config_text),
					 derr, sizeof(derr)),
		     0, "%s", derr);
	cr_assert(d.has_root);
	cr_assert_str_eq(d.root_share, "rootfs");
	cr_assert(d.root_readonly);
	cr_assert_str_eq(d.hostname, "box");
	cr_assert_eq(d.nr_mounts, 3);
	cr_assert(d.mounts[1].bind);
	cr_assert_str_eq(d.mounts[1].share, "m1");
	cr_assert(hy_strv_contains(d.mounts[1].options, d.mounts[1].nr_options, "ro"));
	cr_assert_str_eq(d.mounts[2].file, "2");
	cr_assert_eq(d.nr_args, 2);
	cr_assert_str_eq(d.args[0], "/bin/true");
	cr_assert_str_eq(d.cwd, "/w");
	cr_assert_eq(d.uid, 5);
	cr_assert_eq(d.gid, 6);
	guest_config_free(&d);
}

Test(runtime_plan, errors_name_the_member)
{
	char rootfs[128];

	cr_assert_eq(plan_with("[{\"destination\": \"/x\", \"type\": \"bind\", \"source\": "
			       "\"missing\"}]",
			       false, true, NULL),
		     -ENOENT);
	cr_assert_str_eq(err, "mounts[0].source: 'missing': No such file or directory");
	cr_assert_eq(plan_with("[{\"destination\": \"/x\", \"type\": \"bind\", \"source\": "
			       "\"/dev/null\"}]",
			       false, true, NULL),
		     -EINVAL);
	cr_assert_str_eq(err, "mounts[0].source: '/dev/null' is neither a directory nor a regular "
			      "file; only those can be bind-mounted into the VM");
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", dir);
	cr_assert_eq(rmdir(rootfs), 0);
	cr_assert_eq(plan_with("[]", false, true, NULL), -ENOENT);
	cr_assert_str_eq(err, "root.path: 'rootfs': No such file or directory");
}

Test(runtime_plan, too_many_shares)
{
	char mounts[4096];
	size_t n = 0;

	n += (size_t)snprintf(mounts + n, sizeof(mounts) - n, "[");
	for (int i = 0; i < PLAN_MAX_SHARES; i++)
		n += (size_t)snprintf(mounts + n, sizeof(mounts) - n,
				      "%s{\"destination\": \"/d%d\", \"type\": \"bind\", "
				      "\"source\": \"data\"}",
				      i ? ", " : "", i);
	snprintf(mounts + n, sizeof(mounts) - n, "]");
	cr_assert_eq(plan_with(mounts, false, true, NULL), -E2BIG);
	cr_assert(strstr(err, "mounts[9]: "), "%s", err);
}

/* --- root.readonly and the root's share ---------------------------------------- */

/* The root's share, and its bind into the jail, read-only or not. */
static void expect_root_share(bool readonly)
{
	cr_assert_str_eq(plan.vm.shares[0].tag, "rootfs");
	cr_assert_eq(plan.vm.shares[0].readonly, readonly, "share: %s", err);
	cr_assert_eq(bind_at("/rootfs")->readonly, readonly);
	/* The guest makes the root read-only in every case. */
	cr_assert(json_is_true(json_object_get(json_object_get(gc, "root"), "readonly")));
}

Test(runtime_plan, readonly_root_share_when_nothing_is_to_be_made)
{
	image_has_mounts3();
	cr_assert_eq(plan_with(mounts3, true, true, NULL), 0, "%s", err);
	expect_root_share(true);
}

Test(runtime_plan, readonly_root_writable_share_for_a_missing_mount_point)
{
	image_has("/proc");
	image_has("/etc/hosts!");
	image_has("/w");
	cr_assert_eq(plan_with(mounts3, true, true, NULL), 0, "%s", err);
	expect_root_share(false);
}

Test(runtime_plan, readonly_root_writable_share_for_a_missing_cwd)
{
	image_has("/proc");
	image_has("/data");
	image_has("/etc/hosts!");
	cr_assert_eq(plan_with(mounts3, true, true, NULL), 0, "%s", err);
	expect_root_share(false);
}

Test(runtime_plan, readonly_root_what_a_mount_holds_is_not_the_images)
{
	/* /dev/pts and /dev/shm land in /dev's tmpfs, the cwd in /w's. */
	image_has("/dev");
	image_has("/w");
	cr_assert_eq(plan_with("[{\"destination\": \"/dev\", \"type\": \"tmpfs\"},"
			       " {\"destination\": \"/dev/pts\", \"type\": \"devpts\"},"
			       " {\"destination\": \"/dev//shm/\", \"type\": \"tmpfs\"},"
			       " {\"destination\": \"/w\", \"type\": \"tmpfs\"}]",
			       true, true,
			       ", \"linux\": {\"devices\": [{\"path\": \"/dev/fuse\", "
			       "\"type\": \"c\", \"major\": 10, \"minor\": 229}]}"),
		     0, "%s", err);
	expect_root_share(true);
	/* A mount below a later one is made in the image: /devices is not /dev. */
	cr_assert_eq(plan_with("[{\"destination\": \"/devices/x\", \"type\": \"tmpfs\"},"
			       " {\"destination\": \"/dev\", \"type\": \"tmpfs\"},"
			       " {\"destination\": \"/w\", \"type\": \"tmpfs\"}]",
			       true, true, NULL),
		     0, "%s", err);
	expect_root_share(false);
}

Test(runtime_plan, readonly_root_a_device_outside_the_mounts_is_made_in_the_image)
{
	image_has("/dev");
	image_has("/w");
	cr_assert_eq(plan_with("[]", true, true,
			       ", \"linux\": {\"devices\": [{\"path\": \"/dev/fuse\", "
			       "\"type\": \"c\", \"major\": 10, \"minor\": 229}]}"),
		     0, "%s", err);
	expect_root_share(false);
}

Test(runtime_plan, readonly_root_lookups_stay_in_the_root)
{
	char link[256], target[128];

	/* /data is there on the host, not in the image: the image's absolute
	 * symlink to it must not count. */
	image_has("/w");
	snprintf(link, sizeof(link), "%s/rootfs/hostdata", dir);
	snprintf(target, sizeof(target), "%s/data", dir);
	cr_assert_eq(symlink(target, link), 0);
	cr_assert_eq(
	    plan_with("[{\"destination\": \"/hostdata\", \"type\": \"tmpfs\"}]", true, true, NULL),
	    0, "%s", err);
	expect_root_share(false);
	/* A symlink within the image is followed, as hyrun-init follows it. */
	image_has("/real");
	snprintf(link, sizeof(link), "%s/rootfs/inside", dir);
	cr_assert_eq(symlink("/real", link), 0);
	cr_assert_eq(
	    plan_with("[{\"destination\": \"/inside\", \"type\": \"tmpfs\"}]", true, true, NULL), 0,
	    "%s", err);
	expect_root_share(true);
}

Test(runtime_plan, writable_root_stays_writable)
{
	image_has_mounts3();
	cr_assert_eq(plan_with(mounts3, false, true, NULL), 0, "%s", err);
	cr_assert_not(plan.vm.shares[0].readonly);
	cr_assert_not(bind_at("/rootfs")->readonly);
	cr_assert(json_is_false(json_object_get(json_object_get(gc, "root"), "readonly")));
}

/* --- linux.* for the guest ------------------------------------------------------ */

Test(runtime_plan, guest_config_container_semantics)
{
	struct guest_config d;
	char derr[256] = "";

	cr_assert_eq(
	    plan_with("[{\"destination\": \"/s\", \"type\": \"tmpfs\", \"options\": "
		      "[\"rshared\", \"unbindable\", \"rslave\", \"private\"]}]",
		      false, false,
		      ", \"domainname\": \"example.org\", \"linux\": {"
		      "\"rootfsPropagation\": \"rslave\","
		      "\"maskedPaths\": [\"/proc/kcore\", \"/nonexistent\"],"
		      "\"readonlyPaths\": [\"/proc/sys\"],"
		      "\"namespaces\": [{\"type\": \"pid\", \"path\": \"/proc/1/ns/pid\"},"
		      " {\"type\": \"uts\"}],"
		      "\"devices\": [{\"path\": \"/dev/fuse\", \"type\": \"u\", \"major\": 10,"
		      " \"minor\": 229, \"fileMode\": 8630, \"uid\": 7, \"gid\": 8},"
		      " {\"path\": \"/dev/net/fifo\", \"type\": \"p\"}]}"),
	    0, "%s", err);
	cr_assert_eq(guest_config_decode(&d, plan.guest_config_text, strlen(plan.guest_config_text),
					 derr, sizeof(derr)),
		     0, "%s", derr);
	cr_assert_str_eq(d.domainname, "example.org");
	cr_assert_eq(d.root_propagation, GC_PROP_RSLAVE);
	/* Propagation options are the mount's: they pass through untouched. */
	cr_assert_eq(d.mounts[0].nr_options, 4);
	cr_assert_str_eq(d.mounts[0].options[0], "rshared");
	cr_assert_str_eq(d.mounts[0].options[1], "unbindable");
	cr_assert_str_eq(d.mounts[0].options[3], "private");
	cr_assert_eq(d.nr_masked_paths, 2);
	cr_assert_str_eq(d.masked_paths[1], "/nonexistent");
	cr_assert_eq(d.nr_readonly_paths, 1);
	cr_assert_str_eq(d.readonly_paths[0], "/proc/sys");
	cr_assert(d.pid_namespace, "a pid namespace joined by path is one too");
	cr_assert_eq(d.nr_devices, 2);
	cr_assert_str_eq(d.devices[0].path, "/dev/fuse");
	cr_assert_eq(d.devices[0].type, 'c');
	cr_assert_eq(d.devices[0].major, 10);
	cr_assert_eq(d.devices[0].minor, 229);
	cr_assert(d.devices[0].has_mode);
	cr_assert_eq(d.devices[0].mode, 0666, "fileMode without its S_IFCHR bits: %o",
		     d.devices[0].mode);
	cr_assert_eq(d.devices[0].uid, 7);
	cr_assert_eq(d.devices[0].gid, 8);
	cr_assert_eq(d.devices[1].type, 'p');
	cr_assert(!d.devices[1].has_mode && !d.devices[1].has_uid);
	cr_assert_not(d.has_resources);
	guest_config_free(&d);
}

Test(runtime_plan, guest_config_defaults_of_container_semantics)
{
	cr_assert_eq(plan_with("[]", false, false, ", \"hostname\": \"\", \"domainname\": \"\""), 0,
		     "%s", err);
	cr_assert_null(json_object_get(gc, "hostname"), "an empty hostname sets none");
	cr_assert_null(json_object_get(gc, "domainname"));
	cr_assert_null(json_object_get(json_object_get(gc, "root"), "propagation"));
	cr_assert_null(json_object_get(gc, "maskedPaths"));
	cr_assert_null(json_object_get(gc, "readonlyPaths"));
	cr_assert_null(json_object_get(gc, "devices"));
	cr_assert_null(json_object_get(gc, "pidNamespace"));
	cr_assert_null(json_object_get(gc, "resources"));
	cr_assert_eq(plan_with("[]", false, false,
			       ", \"linux\": {\"namespaces\": [{\"type\": \"pid\"}], "
			       "\"rootfsPropagation\": \"\"}"),
		     0, "%s", err);
	cr_assert(json_is_true(json_object_get(gc, "pidNamespace")));
	cr_assert_null(json_object_get(json_object_get(gc, "root"), "propagation"));
}

static json_int_t res_int(const char *key)
{
	json_t *v = json_object_get(json_object_get(gc, "resources"), key);

	cr_assert(json_is_integer(v), "resources.%s missing", key);
	return json_integer_value(v);
}

Test(runtime_plan, guest_resources)
{
	const struct gc_resources *r = &plan.gc.resources;

	cr_assert_eq(plan_with("[]", false, false,
			       ", \"linux\": {\"resources\": {"
			       "\"memory\": {\"limit\": 104857600, \"swap\": 314572800},"
			       "\"cpu\": {\"shares\": 1024, \"quota\": 50000, \"period\": 100000},"
			       "\"pids\": {\"limit\": 64}}}"),
		     0, "%s", err);
	cr_assert_eq(res_int("memory"), 104857600);
	cr_assert_eq(res_int("memorySwap"), 209715200, "swap alone, not memory + swap");
	cr_assert_eq(res_int("pids"), 64);
	cr_assert_eq(res_int("cpuQuota"), 50000);
	cr_assert_eq(res_int("cpuPeriod"), 100000);
	cr_assert_eq(res_int("cpuWeight"), 39, "runc's weight for 1024 shares");
	cr_assert_null(json_object_get(json_object_get(gc, "resources"), "devices"));
	cr_assert(plan.gc.has_resources && !r->has_devices);

	/* -1: unlimited swap; the ends of the shares' range; unset members. */
	cr_assert_eq(plan_with("[]", false, false,
			       ", \"linux\": {\"resources\": {"
			       "\"memory\": {\"limit\": 104857600, \"swap\": -1},"
			       "\"cpu\": {\"shares\": 2}}}"),
		     0, "%s", err);
	cr_assert_eq(res_int("memorySwap"), -1);
	cr_assert_eq(res_int("cpuWeight"), 1);
	cr_assert_null(json_object_get(json_object_get(gc, "resources"), "pids"));
	cr_assert_null(json_object_get(json_object_get(gc, "resources"), "cpuQuota"));
	cr_assert_eq(plan_with("[]", false, false,
			       ", \"linux\": {\"resources\": {\"cpu\": {\"shares\": 262144}}}"),
		     0, "%s", err);
	cr_assert_eq(res_int("cpuWeight"), 10000);
	cr_assert_null(json_object_get(json_object_get(gc, "resources"), "memory"));
	/* runc's "unset" values set nothing. */
	cr_assert_eq(
	    plan_with("[]", false, false,
		      ", \"linux\": {\"resources\": {\"memory\": {\"limit\": 0},"
		      " \"cpu\": {\"shares\": 0, \"quota\": 0}, \"pids\": {\"limit\": 0}}}"),
	    0, "%s", err);
	cr_assert_null(json_object_get(gc, "resources"));
}

Test(runtime_plan, guest_device_rules_as_given)
{
	const struct gc_resources *r = &plan.gc.resources;
	json_t *rules;

	cr_assert_eq(plan_with("[]", false, false,
			       ", \"linux\": {\"resources\": {\"devices\": ["
			       "{\"allow\": false, \"access\": \"rwm\"},"
			       "{\"allow\": true, \"type\": \"c\", \"major\": 10, \"minor\": 229, "
			       "\"access\": \"rw\"}]}}"),
		     0, "%s", err);
	rules = json_object_get(json_object_get(gc, "resources"), "devices");
	/* The spec's rules alone: hyrun-init appends runc's defaults itself. */
	cr_assert_eq(json_array_size(rules), 2);
	cr_assert(r->has_devices);
	cr_assert_not(r->devices[0].allow);
	cr_assert_eq(r->devices[0].type, 'a');
	cr_assert(r->devices[1].allow);
	cr_assert_eq(r->devices[1].major, 10);
	cr_assert(r->devices[1].read && r->devices[1].write && !r->devices[1].mknod);

	/* An empty list is a filter too (the defaults alone, in the guest). */
	cr_assert_eq(
	    plan_with("[]", false, false, ", \"linux\": {\"resources\": {\"devices\": []}}"), 0,
	    "%s", err);
	cr_assert(plan.gc.resources.has_devices);
	cr_assert_eq(json_array_size(json_object_get(json_object_get(gc, "resources"), "devices")),
		     0);
}

/* Plan a spec whose "linux" is member_head, `n` copies of `item` as an array, then tail. */
static int plan_many(const char *member_head, const char *item, size_t n, const char *tail)
{
	size_t len = strlen(member_head) + n * (strlen(item) + 1) + strlen(tail) + 16;
	char *extra = malloc(len);
	size_t used;
	int r;

	cr_assert(extra);
	used = (size_t)sprintf(extra, "%s[", member_head);
	for (size_t i = 0; i < n; i++)
		used += (size_t)sprintf(extra + used, "%s%s", i ? "," : "", item);
	sprintf(extra + used, "]%s", tail);
	{
		struct plan_request req = {.base = dir, .guest_config_path = "/g"};
		char *text;

		cr_assert(asprintf(&text,
				   "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"},"
				   " \"process\": {\"args\": [\"/bin/true\"], \"cwd\": \"/\","
				   " \"user\": {\"uid\": 0, \"gid\": 0}}, \"linux\": %s}",
				   extra) > 0);
		plan_free(&plan);
		oci_linux_free(&lx);
		oci_spec_free(&spec);
		cr_assert_eq(oci_spec_parse(&spec, text, strlen(text), 0, err, sizeof(err)), 0,
			     "%s", err);
		cr_assert_eq(oci_linux_parse(&lx, spec.json, err, sizeof(err)), 0, "%s", err);
		r = plan_build(&plan, &spec, &lx, &req, err, sizeof(err));
		free(text);
	}
	free(extra);
	return r;
}

Test(runtime_plan, too_many_devices_and_rules)
{
	static const char dev[] = "{\"path\": \"/dev/p\", \"type\": \"p\"}";
	static const char rule[] = "{\"allow\": true}";

	cr_assert_eq(plan_many("{\"devices\": ", dev, GC_MAX_DEVICES, "}"), 0, "%s", err);
	cr_assert_eq(plan_many("{\"devices\": ", dev, GC_MAX_DEVICES + 1, "}"), -E2BIG);
	cr_assert_str_eq(err, "linux.devices: 257 devices, at most 256");
	cr_assert_eq(plan_many("{\"resources\": {\"devices\": ", rule, GC_MAX_DEVICE_RULES, "}}"),
		     0, "%s", err);
	cr_assert_eq(
	    plan_many("{\"resources\": {\"devices\": ", rule, GC_MAX_DEVICE_RULES + 1, "}}"),
	    -E2BIG);
	cr_assert_str_eq(err, "linux.resources.devices: 257 rules, at most 256");
}

/* process.scheduler and ioPriority, linux.personality, linux.seccomp.flags and
 * linux.resources.unified: in the guest configuration, and what of them an exec gets. */
static const char sched_doc[] =
    "{\"ociVersion\": \"1.1.0\", \"root\": {\"path\": \"rootfs\"},"
    " \"process\": {\"args\": [\"/bin/true\"], \"cwd\": \"/\","
    "  \"scheduler\": {\"policy\": \"SCHED_BATCH\", \"nice\": 7,"
    "   \"flags\": [\"SCHED_FLAG_RESET_ON_FORK\"]},"
    "  \"ioPriority\": {\"class\": \"IOPRIO_CLASS_BE\", \"priority\": 6}},"
    " \"linux\": {\"personality\": {\"domain\": \"LINUX32\"},"
    "  \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\":"
    "   [\"SECCOMP_FILTER_FLAG_LOG\"]},"
    "  \"resources\": {\"unified\": {\"memory.high\": \"100M\", \"pids.max\": \"20\"}}}}";

static void check_sched_members(const struct guest_config *d, bool with_resources)
{
	cr_assert(d->has_scheduler);
	cr_assert_eq(d->scheduler.policy, 3);
	cr_assert_eq(d->scheduler.nice, 7);
	cr_assert_eq(d->scheduler.flags, 0x01);
	cr_assert(d->has_io_priority);
	cr_assert_eq(d->io_priority.ioclass, 2);
	cr_assert_eq(d->io_priority.priority, 6);
	cr_assert(d->has_personality);
	cr_assert_eq(d->personality, 8);
	cr_assert_not_null(d->seccomp);
	cr_assert_eq(d->seccomp->flags, GC_SECCOMP_FLAG_LOG);
	cr_assert_eq(d->has_resources, with_resources);
	if (!with_resources)
		return;
	cr_assert_eq(d->resources.nr_unified, 2);
	cr_assert_str_eq(d->resources.unified[0].key, "memory.high");
	cr_assert_str_eq(d->resources.unified[0].value, "100M");
	cr_assert_str_eq(d->resources.unified[1].key, "pids.max");
	cr_assert(!d->resources.has_pids, "unified is not a limit of its own");
}

Test(runtime_plan, scheduler_personality_seccomp_flags_unified)
{
	struct plan_request req = {.base = dir, .guest_config_path = "/tmp/gc.json"};
	struct guest_config d;
	char derr[256], *text;

	cr_assert_eq(oci_spec_parse(&spec, sched_doc, strlen(sched_doc), 0, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(oci_linux_parse(&lx, spec.json, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(plan_build(&plan, &spec, &lx, &req, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(guest_config_decode(&d, plan.guest_config_text, strlen(plan.guest_config_text),
					 derr, sizeof(derr)),
		     0, "%s", derr);
	check_sched_members(&d, true);
	guest_config_free(&d);

	/* An exec gets the process's scheduler and I/O priority, the container's
	 * personality and filter; not the cgroup's files, which are the
	 * container's and set once. */
	text = plan_exec_config(&spec, err, sizeof(err));
	cr_assert_not_null(text, "%s", err);
	cr_assert_eq(guest_config_decode(&d, text, strlen(text), derr, sizeof(derr)), 0, "%s",
		     derr);
	check_sched_members(&d, false);
	guest_config_free(&d);
	free(text);
}

Test(runtime_plan, without_scheduler_and_friends)
{
	cr_assert_eq(plan_with("[]", false, false, NULL), 0, "%s", err);
	cr_assert(!plan.gc.has_scheduler);
	cr_assert(!plan.gc.has_io_priority);
	cr_assert(!plan.gc.has_personality);
	cr_assert(!plan.gc.has_resources);
	cr_assert_null(json_object_get(json_object_get(gc, "process"), "scheduler"));
	cr_assert_null(json_object_get(json_object_get(gc, "process"), "ioPriority"));
	cr_assert_null(json_object_get(gc, "personality"));
	cr_assert_null(json_object_get(gc, "resources"));
}
