/* plan_cmd.c: `hyrun plan`: a VM plan made by hand from a config.json, for running hyrun-vmm
 * without a jail. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "runtime/defaults.h"
#include "runtime/plan.h"
#include "runtime/runtime.h"

static void plan_usage(FILE *f)
{
	fprintf(f, "Usage: hyrun plan --spec FILE [--rootfs DIR] --out DIR [-- CMD [ARG...]]\n"
		   "\n"
		   "Plan the VM of a config.json as hyrun create would, with host paths and no\n"
		   "jail: write DIR/" HY_GUEST_CONFIG_FILE " and print hyrun-vmm's options for it\n"
		   "(--share, --file, --guest-config), one per line:\n"
		   "    mapfile -t plan < <(hyrun plan --spec config.json --out /tmp/p)\n"
		   "    hyrun-vmm --kernel K --initrd I \"${plan[@]}\"\n"
		   "\n"
		   "Options:\n"
		   "  --spec FILE    the config.json; root.path and relative bind sources are\n"
		   "                 taken relative to its directory\n"
		   "  --rootfs DIR   replaces root.path\n"
		   "  --out DIR      where the guest configuration is written (made if missing)\n"
		   "  CMD [ARG...]   replaces process.args\n"
		   "  -h, --help     show this help\n");
}

/* The directory of `path` ("." for a bare name). */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

static int write_file(const char *path, const char *text, char *err, size_t errlen)
{
	FILE *f = fopen(path, "we");
	int r = 0;

	if (!f)
		return hy_err(err, errlen, -errno, "%s: %s", path, strerror(errno));
	if (fputs(text, f) == EOF)
		r = -errno;
	if (fclose(f) == EOF && !r)
		r = -errno;
	if (r)
		return hy_err(err, errlen, r, "%s: %s", path, strerror(-r));
	return 0;
}

/* The plan as hyrun-vmm's options, without the kernel, RAM and vCPUs, which the
 * caller gives: plan_to_argv with placeholders for those, cut off. */
static int print_options(const struct vm_plan *vm)
{
	struct vm_plan p = *vm;
	char **argv;

	p.kernel = "-";
	p.initrd = NULL;
	p.mem = PLAN_DEFAULT_MEM;
	p.cpus = 1;
	argv = plan_to_argv(&p, HY_VMM_NAME);
	if (!argv)
		return -errno;
	/* Past "hyrun-vmm --kernel - --mem SIZE --cpus 1", which plan_to_argv() puts first. */
	for (size_t i = 1, skip = 0; argv[i]; i++) {
		if (skip < 3 && (!strcmp(argv[i], "--kernel") || !strcmp(argv[i], "--mem") ||
				 !strcmp(argv[i], "--cpus"))) {
			skip++;
			i++;
			continue;
		}
		printf("%s\n", argv[i]);
	}
	free(argv);
	return fflush(stdout) == EOF ? -EIO : 0;
}

int cmd_plan(struct rt_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"spec", required_argument, NULL, 's'},
	    {"rootfs", required_argument, NULL, 'r'},
	    {"out", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *spec_path = NULL, *rootfs = NULL, *out = NULL;
	struct container_plan plan = {0};
	struct oci_spec spec = {0};
	struct oci_linux l = {0};
	struct plan_request req = {0};
	char err[RT_ERRLEN], path[PATH_MAX], *base = NULL;
	char **cmd = NULL;
	bool made;
	int c, r = 1;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			spec_path = optarg;
			break;
		case 'r':
			rootfs = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'h':
			plan_usage(stdout);
			return 0;
		case ':':
			rt_error("plan: option '%s' needs an argument", argv[optind - 1]);
			return 1;
		default:
			rt_error("plan: unknown option '%s' (see hyrun plan --help)",
				 argv[optind - 1]);
			return 1;
		}
	}
	if (optind < argc) {
		if (strcmp(argv[optind - 1], "--") != 0) {
			rt_error("plan: unexpected argument '%s' (a command goes after --)",
				 argv[optind]);
			return 1;
		}
		cmd = argv + optind;
	}
	if (!spec_path || !out) {
		rt_error("plan: --spec FILE and --out DIR are required (see hyrun plan --help)");
		return 1;
	}
	if (snprintf(path, sizeof(path), "%s/%s", out, HY_GUEST_CONFIG_FILE) >= (int)sizeof(path)) {
		rt_error("--out '%s': path too long", out);
		return 1;
	}
	if (oci_spec_load(&spec, spec_path, cmd ? OCI_SPEC_ARGS_OPTIONAL : 0, err, sizeof(err))) {
		rt_error("%s", err);
		return 1;
	}
	/* The same checks as hyrun create's, and the host side's linux.* the plan
	 * hands to the guest. */
	if (oci_linux_parse(&l, spec.json, err, sizeof(err))) {
		rt_error("%s: %s", spec_path, err);
		goto out;
	}
	if (cmd && oci_spec_set_args(&spec, cmd)) {
		rt_error("%s: the command after --: not valid UTF-8, or out of memory", spec_path);
		goto out;
	}
	base = dir_of(spec_path);
	if (!base) {
		rt_error("out of memory");
		goto out;
	}
	req.base = base;
	req.rootfs = rootfs;
	req.guest_config_path = path;
	if (plan_build(&plan, &spec, &l, &req, err, sizeof(err))) {
		rt_error("%s: %s", spec_path, err);
		goto out;
	}
	made = mkdir(out, 0755) == 0;
	if (!made && errno != EEXIST) {
		rt_error("--out '%s': %s", out, strerror(errno));
		goto out;
	}
	if (write_file(path, plan.guest_config_text, err, sizeof(err))) {
		rt_error("%s", err);
		goto undo;
	}
	if ((c = print_options(&plan.vm))) {
		rt_error("printing the plan: %s", strerror(-c));
		goto undo;
	}
	r = 0;
	goto out;
undo:
	/* A plan that was not handed out leaves nothing behind. */
	unlink(path);
	if (made)
		rmdir(out);
out:
	plan_free(&plan);
	free(base);
	oci_linux_free(&l);
	oci_spec_free(&spec);
	return r;
}
