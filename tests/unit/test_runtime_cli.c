/* test_runtime_cli.c: the verbs' shared command-line helpers. */
#include <criterion/criterion.h>

#include <getopt.h>
#include <stdbool.h>

#include "runtime/runtime.h"

Test(runtime_cli, format)
{
	bool json = true;

	cr_assert_eq(rt_parse_format("table", &json), 0);
	cr_assert_not(json);
	cr_assert_eq(rt_parse_format("json", &json), 0);
	cr_assert(json);
	cr_assert_eq(rt_parse_format("yaml", &json), -1);
	cr_assert(json, "unchanged on error");
}

Test(runtime_cli, help_only)
{
	char *ok[] = {"start", "id", NULL};
	char *help[] = {"start", "--help", NULL};
	char *bad[] = {"start", "--bogus", "id", NULL};
	char *two[] = {"start", "a", "b", NULL};

	optind = 0;
	cr_assert_eq(rt_parse_help_only("start", 2, ok, 1, ""), 0);
	cr_assert_str_eq(ok[optind], "id");
	optind = 0;
	cr_assert_eq(rt_parse_help_only("start", 2, help, 1, ""), 1);
	optind = 0;
	cr_assert_eq(rt_parse_help_only("start", 3, bad, 1, ""), -1);
	optind = 0;
	cr_assert_eq(rt_parse_help_only("start", 3, two, 1, ""), -1);
}
