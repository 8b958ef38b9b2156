/* plan.c: the VM plan's options, parsed and rendered (plan.h). */
#include "common/plan.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

int plan_parse_mac(const char *s, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		const char *h = s + i * 3;

		if (!isxdigit((unsigned char)h[0]) || !isxdigit((unsigned char)h[1]) ||
		    h[2] != (i == 5 ? '\0' : ':'))
			return -EINVAL;
		mac[i] = (uint8_t)strtoul((char[3]){h[0], h[1], 0}, NULL, 16);
	}
	return 0;
}

void plan_format_mac(const uint8_t mac[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}

/* A decimal number without sign or suffix, at most max. */
static int parse_uint(const char *s, size_t len, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (len == 0 || len > 10)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int plan_parse_net(const char *arg, struct plan_nic *out, char *err, size_t errlen)
{
	bool have_fd = false, have_mac = false, have_mtu = false;
	const char *p = arg;

	memset(out, 0, sizeof(*out));
	out->fd = -1;
	while (*p) {
		const char *end = strchrnul(p, ','), *eq = memchr(p, '=', (size_t)(end - p));
		size_t klen = eq ? (size_t)(eq - p) : 0, vlen = eq ? (size_t)(end - eq - 1) : 0;
		const char *v = eq ? eq + 1 : NULL;
		unsigned long n;
		char val[32];

		if (!eq || klen == 0)
			return hy_err(err, errlen, -EINVAL,
				      "--net '%s': expected fd=N,mac=MAC[,mtu=M]", arg);
		if (vlen >= sizeof(val))
			vlen = sizeof(val) - 1;
		memcpy(val, v, vlen);
		val[vlen] = '\0';
		if (klen == 2 && strncmp(p, "fd", 2) == 0 && !have_fd) {
			if (parse_uint(v, (size_t)(end - v), INT32_MAX, &n) || n < 3)
				return hy_err(err, errlen, -EINVAL,
					      "--net '%s': fd must be a descriptor number above 2",
					      arg);
			out->fd = (int)n;
			have_fd = true;
		} else if (klen == 3 && strncmp(p, "mac", 3) == 0 && !have_mac) {
			if ((size_t)(end - v) != 17 || plan_parse_mac(val, out->mac))
				return hy_err(err, errlen, -EINVAL,
					      "--net '%s': mac must be six hex pairs like "
					      "02:00:00:00:00:01",
					      arg);
			if (out->mac[0] & 1)
				return hy_err(err, errlen, -EINVAL,
					      "--net '%s': mac %s is a multicast address", arg,
					      val);
			have_mac = true;
		} else if (klen == 3 && strncmp(p, "mtu", 3) == 0 && !have_mtu) {
			if (parse_uint(v, (size_t)(end - v), PLAN_MAX_MTU, &n) || n < PLAN_MIN_MTU)
				return hy_err(err, errlen, -EINVAL,
					      "--net '%s': mtu must be %d to %d", arg, PLAN_MIN_MTU,
					      PLAN_MAX_MTU);
			out->mtu = (uint32_t)n;
			have_mtu = true;
		} else {
			return hy_err(err, errlen, -EINVAL,
				      "--net '%s': unknown or repeated key '%.*s'", arg, (int)klen,
				      p);
		}
		if (*end && !end[1])
			return hy_err(err, errlen, -EINVAL, "--net '%s': ends in ','", arg);
		p = *end ? end + 1 : end;
	}
	if (!have_fd || !have_mac)
		return hy_err(err, errlen, -EINVAL, "--net '%s': fd= and mac= are required", arg);
	return 0;
}

int plan_parse_vsock(const char *arg, int *fd, const char **dir, char *err, size_t errlen)
{
	const char *comma = strchrnul(arg, ',');
	unsigned long n;

	*fd = -1;
	*dir = NULL;
	if (strncmp(arg, "fd=", 3) != 0 ||
	    parse_uint(arg + 3, (size_t)(comma - arg - 3), INT32_MAX, &n) || n < 3)
		return hy_err(err, errlen, -EINVAL,
			      "--vsock '%s': expected fd=N[,dir=DIR] with N a descriptor above 2",
			      arg);
	if (*comma) {
		if (strncmp(comma + 1, "dir=", 4) != 0 || comma[5] != '/')
			return hy_err(
			    err, errlen, -EINVAL,
			    "--vsock '%s': expected dir=DIR (an absolute path) after fd=N", arg);
		*dir = comma + 5;
	}
	*fd = (int)n;
	return 0;
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
	    p->mem % 4096 || p->nr_shares > PLAN_MAX_SHARES || p->nr_files > PLAN_MAX_FILES ||
	    p->nr_nics > PLAN_MAX_NICS ||
	    p->nr_shares + p->nr_nics + p->has_vsock > PLAN_MAX_DEVICES - 1 ||
	    (p->has_vsock && p->vsock_fd < 3))
		return false;
	for (size_t i = 0; i < p->nr_nics; i++)
		if (p->nics[i].fd < 3 || (p->nics[i].mac[0] & 1) ||
		    (p->nics[i].mtu &&
		     (p->nics[i].mtu < PLAN_MIN_MTU || p->nics[i].mtu > PLAN_MAX_MTU)))
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
	for (size_t i = 0; i < p->nr_nics; i++) {
		char mac[18];

		plan_format_mac(p->nics[i].mac, mac);
		add(&a, "--net");
		if (p->nics[i].mtu)
			add(&a, "fd=%d,mac=%s,mtu=%u", p->nics[i].fd, mac, p->nics[i].mtu);
		else
			add(&a, "fd=%d,mac=%s", p->nics[i].fd, mac);
	}
	if (p->has_vsock) {
		add(&a, "--vsock");
		if (p->vsock_dir)
			add(&a, "fd=%d,dir=%s", p->vsock_fd, p->vsock_dir);
		else
			add(&a, "fd=%d", p->vsock_fd);
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
	if (p->kvm_fd > STDERR_FILENO) {
		add(&a, "--kvm-fd");
		add(&a, "%d", p->kvm_fd);
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
