/* plan.c: the VM plan's options, parsed and rendered (plan.h). */
#include "common/plan.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

bool plan_name_valid(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!isalnum(c) && c != '.' && c != '_' && c != '-')
			return false;
	}
	return true;
}

/* NAME=VALUE: the name copied into name (cap bytes), *value into arg. */
static int split(const char *opt, const char *arg, char *name, size_t cap, const char **value,
		 char *err, size_t errlen)
{
	const char *eq = strchr(arg, '=');
	size_t n;

	if (!eq)
		return hy_err(err, errlen, -EINVAL, "%s '%s': expected %s", opt, arg,
			      strcmp(opt, "--share") == 0 ? "TAG=DIR[:ro]" : "NAME=FILE");
	n = (size_t)(eq - arg);
	if (n >= cap) {
		n = 0; /* reported as invalid below */
		name[0] = '\0';
	} else {
		memcpy(name, arg, n);
		name[n] = '\0';
	}
	if (!plan_name_valid(name, cap - 1))
		return hy_err(err, errlen, -EINVAL,
			      "%s '%s': the %s must be 1 to %zu of A-Z a-z 0-9 . _ -", opt, arg,
			      strcmp(opt, "--share") == 0 ? "tag" : "name", cap - 1);
	if (!eq[1])
		return hy_err(err, errlen, -EINVAL, "%s '%s': no %s after '='", opt, arg,
			      strcmp(opt, "--share") == 0 ? "directory" : "file");
	*value = eq + 1;
	return 0;
}

int plan_parse_share(char *arg, struct plan_share *out, char *err, size_t errlen)
{
	const char *dir;
	size_t n;
	int r;

	memset(out, 0, sizeof(*out));
	r = split("--share", arg, out->tag, sizeof(out->tag), &dir, err, errlen);
	if (r)
		return r;
	n = strlen(dir);
	out->dir = dir;
	if (n > 3 && (strcmp(dir + n - 3, ":ro") == 0 || strcmp(dir + n - 3, ":rw") == 0)) {
		out->readonly = dir[n - 1] == 'o';
		arg[(size_t)(dir - arg) + n - 3] = '\0'; /* the suffix cut off in place */
	}
	return 0;
}

int plan_parse_file(const char *arg, struct plan_file *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	return split("--file", arg, out->name, sizeof(out->name), &out->path, err, errlen);
}

int plan_parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned shift = 0;
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -ERANGE;
	switch (toupper((unsigned char)*end)) {
	case '\0':
		break;
	case 'K':
		shift = 10;
		break;
	case 'M':
		shift = 20;
		break;
	case 'G':
		shift = 30;
		break;
	default:
		return -EINVAL;
	}
	if (shift && end[1] != '\0')
		return -EINVAL;
	if (v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = (uint64_t)v << shift;
	return 0;
}

/* The options as "opt\0value\0..." in a growing buffer. */
struct args {
	char *buf;
	size_t len, cap;
	size_t count;
	bool failed;
};

static void add(struct args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct args *a, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (a->failed)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		a->failed = true;
		return;
	}
	if (a->len + (size_t)n + 1 > a->cap) {
		size_t cap = (a->cap + (size_t)n + 1) * 2;
		char *p = realloc(a->buf, cap);

		if (!p) {
			a->failed = true;
			return;
		}
		a->buf = p;
		a->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(a->buf + a->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	a->len += (size_t)n + 1;
	a->count++;
}

static bool plan_valid(const struct vm_plan *p)
{
	if (!p->kernel || p->cpus < 1 || p->cpus > PLAN_MAX_VCPUS || p->mem < PLAN_MIN_MEM ||
	    p->mem % 4096 || p->nr_shares > PLAN_MAX_SHARES || p->nr_files > PLAN_MAX_FILES)
		return false;
	for (size_t i = 0; i < p->nr_shares; i++)
		if (!plan_name_valid(p->shares[i].tag, PLAN_TAG_MAX) || !p->shares[i].dir)
			return false;
	for (size_t i = 0; i < p->nr_files; i++)
		if (!plan_name_valid(p->files[i].name, PLAN_NAME_MAX) || !p->files[i].path)
			return false;
	return true;
}

char **plan_to_argv(const struct vm_plan *p, const char *vmm_name)
{
	struct args a = {0};
	char **argv, *s, *strings;

	if (!plan_valid(p)) {
		errno = EINVAL;
		return NULL;
	}
	add(&a, "%s", vmm_name);
	add(&a, "--kernel");
	add(&a, "%s", p->kernel);
	if (p->initrd) {
		add(&a, "--initrd");
		add(&a, "%s", p->initrd);
	}
	add(&a, "--mem");
	if (p->mem % (1ULL << 20) == 0)
		add(&a, "%" PRIu64 "M", p->mem >> 20);
	else
		add(&a, "%" PRIu64 "K", p->mem >> 10);
	add(&a, "--cpus");
	add(&a, "%u", p->cpus);
	if (p->cmdline && p->cmdline[0]) {
		add(&a, "--cmdline");
		add(&a, "%s", p->cmdline);
	}
	for (size_t i = 0; i < p->nr_shares; i++) {
		size_t n = strlen(p->shares[i].dir);
		/* A directory that ends in ":ro" or ":rw" itself gets an explicit suffix. */
		bool ambiguous = n > 3 && (strcmp(p->shares[i].dir + n - 3, ":ro") == 0 ||
					   strcmp(p->shares[i].dir + n - 3, ":rw") == 0);

		add(&a, "--share");
		add(&a, "%s=%s%s", p->shares[i].tag, p->shares[i].dir,
		    p->shares[i].readonly ? ":ro"
		    : ambiguous		  ? ":rw"
					  : "");
	}
	for (size_t i = 0; i < p->nr_files; i++) {
		add(&a, "--file");
		add(&a, "%s=%s", p->files[i].name, p->files[i].path);
	}
	if (p->guest_config) {
		add(&a, "--guest-config");
		add(&a, "%s", p->guest_config);
	}
	if (p->control_fd >= 0) {
		add(&a, "--control-fd");
		add(&a, "%d", p->control_fd);
	}
	if (p->ready_fd >= 0) {
		add(&a, "--ready-fd");
		add(&a, "%d", p->ready_fd);
	}
	if (p->tty)
		add(&a, "--tty");
	if (p->debug)
		add(&a, "--debug");
	if (a.failed) {
		free(a.buf);
		errno = ENOMEM;
		return NULL;
	}
	/* One block: the pointers, then the strings. */
	argv = malloc((a.count + 1) * sizeof(*argv) + a.len);
	if (!argv) {
		free(a.buf);
		errno = ENOMEM;
		return NULL;
	}
	strings = (char *)(argv + a.count + 1);
	memcpy(strings, a.buf, a.len);
	free(a.buf);
	s = strings;
	for (size_t i = 0; i < a.count; i++) {
		argv[i] = s;
		s += strlen(s) + 1;
	}
	argv[a.count] = NULL;
	return argv;
}
