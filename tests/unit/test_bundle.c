/* test_bundle.c: the host side of a container: shares, file copies, the guest's config.json. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/agent_proto.h"
#include "oci/bundle.h"

static char dir[64];
static struct oci_bundle b;
static char err[1024];

static void write_file(const char *name, const char *text)
{
	char path[PATH_MAX + 64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

static void sub(char *out, const char *name)
{
	snprintf(out, PATH_MAX, "%s/%s", dir, name);
}

static void setup(void)
{
	char p[PATH_MAX];

	snprintf(dir, sizeof(dir), "/tmp/hyrun-test-bundle.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	sub(p, "rootfs");
	cr_assert_eq(mkdir(p, 0755), 0);
	sub(p, "data");
	cr_assert_eq(mkdir(p, 0755), 0);
	write_file("hosts", "10.1.2.3 h\n");
	memset(&b, 0, sizeof(b));
}

static void teardown(void)
{
	char cmd[PATH_MAX + 16];

	oci_bundle_free(&b);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(oci_bundle, .init = setup, .fini = teardown);

Test(oci_bundle, rootfs_only_gets_the_default_spec)
{
	char root[PATH_MAX], *argv[] = {"/bin/true", "x", NULL}, *cfg;
	struct oci_spec g;

	sub(root, "rootfs");
	cr_assert_eq(oci_bundle_load(&b, NULL, root, argv, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(b.nr_shares, 1);
	cr_assert_str_eq(b.shares[0].tag, HY_SHARE_ROOTFS);
	cr_assert_str_eq(b.shares[0].host_dir, root);
	cr_assert_not(b.shares[0].readonly);
	cr_assert_eq(b.nr_files, 0);
	cr_assert_str_eq(b.spec.args[1], "x");
	cr_assert_eq(b.spec.uid, 0);
	cr_assert_not(b.spec.has_caps, "root keeps every capability");
	cr_assert_geq(b.spec.nr_mounts, 6);
	cr_assert_str_eq(b.spec.mounts[0].destination, "/proc");

	cfg = oci_bundle_guest_config(&b);
	cr_assert_not_null(cfg);
	cr_assert_eq(oci_spec_parse(&g, cfg, strlen(cfg), 0, err, sizeof(err)), 0, "%s", err);
	free(cfg);
	cr_assert_str_eq(g.root_hyrun_share, HY_SHARE_ROOTFS);
	cr_assert_str_eq(g.args[0], "/bin/true");
	cr_assert_str_eq(g.env[0],
			 "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	oci_spec_free(&g);
}

Test(oci_bundle, spec_binds_become_shares_and_copies)
{
	char spec[PATH_MAX], data[PATH_MAX], *cfg;
	struct oci_spec g;

	sub(data, "data");
	write_file(
	    "config.json",
	    "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\", \"readonly\": true},"
	    " \"process\": {\"args\": [\"sh\"]},"
	    " \"mounts\": [{\"destination\": \"/proc\", \"type\": \"proc\"},"
	    "  {\"destination\": \"/d\", \"type\": \"bind\", \"source\": \"data\","
	    "   \"options\": [\"rbind\", \"ro\"]},"
	    "  {\"destination\": \"/etc/hosts\", \"source\": \"hosts\", \"options\": [\"bind\"]},"
	    "  {\"destination\": \"/e\", \"source\": \"data\", \"type\": \"none\","
	    "   \"options\": [\"bind\"]}]}");
	sub(spec, "config.json");
	cr_assert_eq(oci_bundle_load(&b, spec, NULL, NULL, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(b.nr_shares, 3);
	cr_assert(b.shares[0].readonly, "root.readonly makes a read-only share");
	cr_assert_str_eq(b.shares[1].tag, "m1");
	cr_assert_str_eq(b.shares[1].host_dir, data);
	cr_assert(b.shares[1].readonly);
	cr_assert_str_eq(b.shares[2].tag, "m3");
	cr_assert_not(b.shares[2].readonly);
	cr_assert_eq(b.nr_files, 1);
	cr_assert_str_eq(b.files[0].guest_path, HY_INIT_FILES "/2");
	cr_assert_eq(b.files[0].len, strlen("10.1.2.3 h\n"));
	cr_assert_arr_eq(b.files[0].data, "10.1.2.3 h\n", b.files[0].len);

	cfg = oci_bundle_guest_config(&b);
	cr_assert_eq(oci_spec_parse(&g, cfg, strlen(cfg), 0, err, sizeof(err)), 0, "%s", err);
	free(cfg);
	cr_assert_null(g.mounts[0].hyrun_share);
	cr_assert_str_eq(g.mounts[1].hyrun_share, "m1");
	cr_assert_str_eq(g.mounts[2].hyrun_file, HY_INIT_FILES "/2");
	cr_assert_str_eq(g.mounts[3].hyrun_share, "m3");
	oci_spec_free(&g);
}

Test(oci_bundle, command_replaces_args_and_rootfs_replaces_root)
{
	char spec[PATH_MAX], root[PATH_MAX], *argv[] = {"echo", NULL};

	write_file("config.json", "{\"ociVersion\": \"1\", \"root\": {\"path\": \"nowhere\"}}");
	sub(spec, "config.json");
	sub(root, "rootfs");
	cr_assert_eq(oci_bundle_load(&b, spec, NULL, argv, err, sizeof(err)), -ENOENT);
	cr_assert_not_null(strstr(err, "the root 'nowhere'"), "%s", err);
	cr_assert_eq(oci_bundle_load(&b, spec, root, NULL, err, sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, "process: required"), "%s", err);
	cr_assert_eq(oci_bundle_load(&b, spec, root, argv, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(b.shares[0].host_dir, root);
	cr_assert_str_eq(b.spec.args[0], "echo");
}

Test(oci_bundle, bad_bind_sources)
{
	char spec[PATH_MAX];

	write_file(
	    "config.json",
	    "{\"ociVersion\": \"1\", \"root\": {\"path\": \"rootfs\"}, \"process\":"
	    " {\"args\": [\"sh\"]}, \"mounts\": [{\"destination\": \"/n\", \"type\": \"bind\","
	    " \"source\": \"/dev/null\"}]}");
	sub(spec, "config.json");
	cr_assert_eq(oci_bundle_load(&b, spec, NULL, NULL, err, sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, "mounts[0].source: '/dev/null' is neither a directory nor"),
			   "%s", err);
	write_file(
	    "config.json",
	    "{\"ociVersion\": \"1\", \"root\": {\"path\": \"rootfs\"}, \"process\":"
	    " {\"args\": [\"sh\"]}, \"mounts\": [{\"destination\": \"/n\", \"type\": \"bind\","
	    " \"source\": \"missing\"}]}");
	cr_assert_eq(oci_bundle_load(&b, spec, NULL, NULL, err, sizeof(err)), -ENOENT);
	cr_assert_not_null(strstr(err, "mounts[0].source: 'missing'"), "%s", err);
	cr_assert_not_null(strstr(err, spec), "the file is named: %s", err);
}
