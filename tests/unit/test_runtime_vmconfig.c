/* test_runtime_vmconfig.c: the jail's binds and the config.json rewritten for the jail. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci/spec.h"
#include "runtime/vmconfig.h"

static char dir[64];
static struct oci_spec spec;
static struct vm_plan plan;
static char err[512];

static void setup(void)
{
	char path[128];
	int fd;

	strcpy(dir, "/tmp/hyrun-ut-vmconfig.XXXXXX");
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

	vm_plan_free(&plan);
	oci_spec_free(&spec);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(runtime_vmconfig, .init = setup, .fini = teardown);

static int plan_for(const char *mounts, bool readonly)
{
	static const struct vm_files files = {"/opt/hyrun-vmm", "/opt/vmlinux", "/opt/initrd"};
	char text[2048];

	snprintf(text, sizeof(text),
		 "{\"ociVersion\": \"1.0.2\", \"process\": {\"args\": [\"/bin/true\"]},"
		 " \"root\": {\"path\": \"rootfs\", \"readonly\": %s}, \"mounts\": %s,"
		 " \"hooks\": {\"poststop\": [{\"path\": \"/bin/true\"}]}}",
		 readonly ? "true" : "false", mounts);
	oci_spec_free(&spec);
	cr_assert_eq(oci_spec_parse(&spec, text, strlen(text), 0, err, sizeof(err)), 0, "%s", err);
	return vm_plan_make(&plan, &spec, dir, &files, "/run/hyrun/c/config.json", err,
			    sizeof(err));
}

static const struct jail_bind *bind_at(const char *target)
{
	for (size_t i = 0; i < plan.nr_binds; i++)
		if (strcmp(plan.binds[i].target, target) == 0)
			return &plan.binds[i];
	return NULL;
}

Test(runtime_vmconfig, rewrite)
{
	char want[128], mounts[512];
	json_t *m;

	snprintf(mounts, sizeof(mounts),
		 "[{\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},"
		 " {\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"data\", "
		 "\"options\": [\"rbind\", \"ro\"]},"
		 " {\"destination\": \"/etc/hosts\", \"source\": \"%s/hosts\", \"options\": "
		 "[\"bind\"]}]",
		 dir);
	cr_assert_eq(plan_for(mounts, true), 0, "%s", err);

	snprintf(want, sizeof(want), "%s/rootfs", dir);
	cr_assert_str_eq(plan.rootfs, want);
	cr_assert_eq(plan.nr_binds, 7);
	cr_assert_str_eq(bind_at("/proc")->source, "/proc");
	cr_assert_str_eq(bind_at("/kernel")->source, "/opt/vmlinux");
	cr_assert(bind_at("/kernel")->readonly);
	cr_assert_str_eq(bind_at("/initrd")->source, "/opt/initrd");
	cr_assert_str_eq(bind_at("/rootfs")->source, want);
	cr_assert(bind_at("/rootfs")->readonly, "root.readonly");
	cr_assert_str_eq(bind_at("/config.json")->source, "/run/hyrun/c/config.json");
	snprintf(want, sizeof(want), "%s/data", dir);
	cr_assert_str_eq(bind_at("/.hyrun-binds/1")->source, want);
	cr_assert(bind_at("/.hyrun-binds/1")->readonly);
	snprintf(want, sizeof(want), "%s/hosts", dir);
	cr_assert_str_eq(bind_at("/.hyrun-binds/2")->source, want);
	cr_assert_not(bind_at("/.hyrun-binds/2")->readonly);
	cr_assert_null(bind_at("/.hyrun-binds/0"), "proc is not a bind mount");

	cr_assert_str_eq(
	    json_string_value(json_object_get(json_object_get(plan.config, "root"), "path")),
	    "/rootfs");
	m = json_object_get(plan.config, "mounts");
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(m, 0), "source")),
			 "proc");
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(m, 1), "source")),
			 "/.hyrun-binds/1");
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(m, 2), "source")),
			 "/.hyrun-binds/2");
	cr_assert_not_null(json_object_get(plan.config, "hooks"), "the rest is kept");
	/* The spec itself is not changed. */
	cr_assert_str_eq(spec.root_path, "rootfs");
	cr_assert_str_eq(spec.mounts[1].source, "data");
}

Test(runtime_vmconfig, errors)
{
	char rootfs[128];

	cr_assert_eq(plan_for("[{\"destination\": \"/x\", \"type\": \"bind\", \"source\": "
			      "\"missing\"}]",
			      false),
		     -EINVAL);
	cr_assert_str_eq(err, "mounts[0].source: 'missing': No such file or directory");
	cr_assert_eq(plan_for("[{\"destination\": \"/x\", \"type\": \"bind\", \"source\": "
			      "\"/dev/null\"}]",
			      false),
		     -EINVAL);
	cr_assert_str_eq(err, "mounts[0].source: '/dev/null' is neither a directory nor a regular "
			      "file; only those can be bind-mounted into the VM");
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", dir);
	cr_assert_eq(rmdir(rootfs), 0);
	cr_assert_eq(plan_for("[]", false), -EINVAL);
	cr_assert_str_eq(err, "root.path: 'rootfs': No such file or directory");
}
