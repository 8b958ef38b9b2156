/* state.c: `hyrun state` (runc's JSON) and `hyrun list` (runc's table, JSON, ids). */
#include "runtime/runtime.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "runtime/container.h"

/* The document `state` prints and `list --format json` lists: the pid of a
 * stopped container is 0, as with runc. */
static json_t *state_json(struct container *c)
{
	enum oci_status status = container_status(c);
	pid_t pid = c->st.pid;
	json_t *o;

	if (status == OCI_STATUS_STOPPED)
		c->st.pid = 0;
	o = oci_state_to_json(&c->st, status, false);
	c->st.pid = pid;
	return o;
}

static int print_json(json_t *o, size_t flags)
{
	char *s = o ? json_dumps(o, flags) : NULL;

	if (!s) {
		rt_error("out of memory");
		return 1;
	}
	printf("%s\n", s);
	free(s);
	return fflush(stdout) == 0 ? 0 : 1;
}

int cmd_state(struct rt_global *g, int argc, char **argv)
{
	struct container *c;
	char err[RT_ERRLEN];
	json_t *o;
	int r;

	r = rt_parse_help_only("state", argc, argv, 1,
			       "Usage: hyrun state CONTAINER_ID\n\n"
			       "Print the container's state as JSON.\n");
	if (r)
		return r < 0;
	if (container_open(g->root, argv[optind], CONTAINER_LOCK_READ, &c, err, sizeof(err))) {
		rt_error("%s", err);
		return 1;
	}
	o = state_json(c);
	r = print_json(o, JSON_INDENT(2));
	json_decref(o);
	container_close(c);
	return r;
}

struct row {
	char *cells[6];
};

int cmd_list(struct rt_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"format", required_argument, NULL, 'f'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	static const char *const head[6] = {"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"};
	bool json = false, quiet = false;
	char err[RT_ERRLEN], **ids;
	size_t n, nrows = 0, width[6];
	struct row *rows;
	json_t *arr;
	int ch, r = 0;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+f:qh", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			if (rt_parse_format(optarg, &json))
				return 1;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			printf("Usage: hyrun list [--format table|json] [--quiet]\n\n"
			       "List the containers under the state root.\n");
			return 0;
		default:
			rt_error("list: unknown option or missing value '%s'", argv[optind - 1]);
			return 1;
		}
	}
	if (rt_want_args("list", argc, optind, 0))
		return 1;
	if (container_list(g->root, &ids, &n, err, sizeof(err))) {
		rt_error("%s", err);
		return 1;
	}
	arr = json_array();
	rows = calloc(n + 1, sizeof(*rows));
	if (!arr || !rows) {
		rt_error("out of memory");
		r = 1;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct container *c;
		json_t *o;

		/* One may be deleted, or half made, while we look: skip it. */
		if (container_open(g->root, ids[i], CONTAINER_LOCK_READ, &c, err, sizeof(err)))
			continue;
		o = state_json(c);
		container_close(c);
		if (!o || json_array_append_new(arr, o)) {
			rt_error("out of memory");
			r = 1;
			goto out;
		}
	}
	if (json) {
		r = print_json(arr, JSON_COMPACT);
		goto out;
	}
	for (size_t i = 0; i < json_array_size(arr); i++) {
		json_t *o = json_array_get(arr, i);

		if (quiet) {
			printf("%s\n", json_string_value(json_object_get(o, "id")));
			continue;
		}
		rows[nrows].cells[0] = strdup(json_string_value(json_object_get(o, "id")));
		if (asprintf(&rows[nrows].cells[1], "%lld",
			     (long long)json_integer_value(json_object_get(o, "pid"))) < 0)
			rows[nrows].cells[1] = NULL;
		rows[nrows].cells[2] = strdup(json_string_value(json_object_get(o, "status")));
		rows[nrows].cells[3] = strdup(json_string_value(json_object_get(o, "bundle")));
		rows[nrows].cells[4] = strdup(json_string_value(json_object_get(o, "created")));
		rows[nrows].cells[5] = strdup(json_string_value(json_object_get(o, "owner")));
		nrows++;
	}
	if (quiet)
		goto out;
	/* Columns as runc's tabwriter: at least 12 wide, 3 spaces apart. */
	for (int col = 0; col < 6; col++) {
		width[col] = strlen(head[col]);
		for (size_t i = 0; i < nrows; i++)
			if (rows[i].cells[col] && strlen(rows[i].cells[col]) > width[col])
				width[col] = strlen(rows[i].cells[col]);
		width[col] = width[col] + 3 < 12 ? 12 : width[col] + 3;
	}
	for (size_t i = 0; i <= nrows; i++) {
		for (int col = 0; col < 6; col++) {
			const char *s = i == 0 ? head[col] : rows[i - 1].cells[col];

			if (!s)
				s = "";
			if (col == 5)
				printf("%s\n", s);
			else
				printf("%-*s", (int)width[col], s);
		}
	}
out:
	for (size_t i = 0; rows && i < nrows; i++)
		for (int col = 0; col < 6; col++)
			free(rows[i].cells[col]);
	free(rows);
	json_decref(arr);
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	return r;
}
