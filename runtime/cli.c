/* cli.c: what the verbs share on their command lines: argument counts, --help-only verbs, --format.
 */
#include "runtime/runtime.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

int rt_want_args(const char *verb, int argc, int optind_, int want)
{
	if (argc - optind_ == want)
		return 0;
	rt_error("\"%s\" requires exactly %d argument(s) (see hyrun %s --help)", verb, want, verb);
	return -1;
}

int rt_parse_help_only(const char *verb, int argc, char **argv, int want, const char *usage)
{
	static const struct option opts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage, stdout);
			return 1;
		}
		rt_error("%s: unknown option '%s'", verb, argv[optind - 1]);
		return -1;
	}
	return rt_want_args(verb, argc, optind, want);
}

int rt_parse_format(const char *arg, bool *json)
{
	if (strcmp(arg, "json") == 0 || strcmp(arg, "table") == 0) {
		*json = arg[0] == 'j';
		return 0;
	}
	rt_error("invalid format option \"%s\": table or json", arg);
	return -1;
}
