/* test_runtime_create.c: the options create and run share. */
#include <criterion/criterion.h>

#include <getopt.h>
#include <stdbool.h>

#include "runtime/lifecycle.h"

static int parse(bool run, struct rt_global *g, struct create_opts *o, char **argv)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	optind = 0;
	return create_parse_args(g, run, argc, argv, o);
}

Test(runtime_create, options)
{
	struct rt_global g = {.root = "/run/hyrun"};
	struct create_opts o;
	char *create[] = {"create",	    "--bundle", "/b",	      "--pid-file", "/p",
			  "--preserve-fds", "2",	"--no-pivot", "id1",	    NULL};
	char *run[] = {"run", "-d", "--keep", "-b", "/b", "id2", NULL};

	cr_assert_eq(parse(false, &g, &o, create), 0);
	cr_assert_str_eq(o.id, "id1");
	cr_assert_str_eq(o.bundle, "/b");
	cr_assert_str_eq(o.pid_file, "/p");
	cr_assert_eq(o.preserve_fds, 2);
	cr_assert_not(o.detach);
	cr_assert_eq(parse(true, &g, &o, run), 0);
	cr_assert_str_eq(o.id, "id2");
	cr_assert(o.detach && o.keep);
}

Test(runtime_create, errors)
{
	struct rt_global g = {.root = "/run/hyrun"};
	struct create_opts o;
	char *detach[] = {"create", "-d", "id", NULL};
	char *fds[] = {"create", "--preserve-fds", "-1", "id", NULL};
	char *notnum[] = {"create", "--preserve-fds", "3x", "id", NULL};
	char *huge[] = {"create", "--preserve-fds", "2147483647", "id", NULL};
	char *noid[] = {"run", "--bundle", "/b", NULL};
	char *help[] = {"run", "--help", NULL};
	char *plain[] = {"create", "id", NULL};

	cr_assert_eq(parse(false, &g, &o, detach), -1, "--detach is run's");
	cr_assert_eq(parse(false, &g, &o, fds), -1);
	cr_assert_eq(parse(false, &g, &o, notnum), -1);
	cr_assert_eq(parse(false, &g, &o, huge), -1, "descriptor numbers must fit an int");
	cr_assert_eq(parse(true, &g, &o, noid), -1);
	cr_assert_eq(parse(true, &g, &o, help), 1);
	g.systemd_cgroup = true;
	cr_assert_eq(parse(false, &g, &o, plain), -1);
	cr_assert_eq(parse(true, &g, &o, plain), -1);
}

/* runc and crun take any count the process may hold: no cap of its own. */
Test(runtime_create, many_preserved_fds)
{
	struct rt_global g = {.root = "/run/hyrun"};
	struct create_opts o;
	char *hundred[] = {"run", "--preserve-fds", "100", "id", NULL};
	char *many[] = {"create", "--preserve-fds", "100000", "id", NULL};

	cr_assert_eq(parse(true, &g, &o, hundred), 0);
	cr_assert_eq(o.preserve_fds, 100);
	cr_assert_eq(parse(false, &g, &o, many), 0);
	cr_assert_eq(o.preserve_fds, 100000);
}
