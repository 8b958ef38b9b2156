/* procfs.c: parsers of the text of /proc and cgroup files (procfs.h). */
#include "rootfs/init/procfs.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/agent_msg.h"

/* A decimal number without sign at *p; the end in *end. */
static int number(const char *p, const char **end, uint64_t *out)
{
	char *e;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoull(p, &e, 10);
	if (errno)
		return -EINVAL;
	*end = e;
	return 0;
}

int procfs_parse_stat(const char *text, struct procfs_stat *st)
{
	const char *open = strchr(text, '('), *close = strrchr(text, ')'), *p;
	uint64_t v;
	size_t n;

	memset(st, 0, sizeof(*st));
	if (!open || !close || close < open || sscanf(text, "%d", &st->pid) != 1)
		return -EINVAL;
	n = (size_t)(close - open - 1);
	if (n >= sizeof(st->comm))
		n = sizeof(st->comm) - 1;
	memcpy(st->comm, open + 1, n);
	st->comm[n] = 0;
	/* ") S ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime" */
	p = close + 1;
	if (p[0] != ' ' || !p[1] || p[2] != ' ')
		return -EINVAL;
	st->state = p[1];
	p += 3;
	for (int field = 4; field <= 15; field++) {
		if (number(p, &p, &v) < 0) {
			/* tty_nr and tpgid may be negative */
			if (*p != '-' || number(p + 1, &p, &v) < 0)
				return -EINVAL;
		}
		if (field == 4)
			st->ppid = (int)v;
		else if (field == 14)
			st->utime = v;
		else if (field == 15)
			st->stime = v;
		if (field < 15 && *p++ != ' ')
			return -EINVAL;
	}
	return 0;
}

void procfs_format_cmd(const char *cmdline, size_t len, const char *comm, char *out, size_t outlen)
{
	size_t n = 0;

	while (len && cmdline[len - 1] == '\0')
		len--;
	if (len == 0) {
		snprintf(out, outlen, "[%s]", comm);
	} else {
		for (size_t i = 0; i < len && n + 1 < outlen; i++)
			out[n++] = cmdline[i] ? cmdline[i] : ' ';
		out[n] = 0;
	}
	/* A cut may split a character; a process may write anything there. */
	agent_text_sanitize(out);
}

int procfs_keyed(const char *text, const char *key, uint64_t *out)
{
	size_t klen = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		const char *end;

		if (strncmp(p, key, klen) == 0 && p[klen] == ' ')
			return number(p + klen + 1, &end, out);
	}
	return -EINVAL;
}

int procfs_meminfo(const char *text, const char *key, uint64_t *bytes)
{
	size_t klen = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		const char *end;
		uint64_t kb;

		if (strncmp(p, key, klen) != 0 || p[klen] != ':')
			continue;
		p += klen + 1;
		p += strspn(p, " \t");
		if (number(p, &end, &kb) < 0 || kb > UINT64_MAX / 1024)
			return -EINVAL;
		*bytes = strncmp(end, " kB", 3) == 0 ? kb * 1024 : kb;
		return 0;
	}
	return -EINVAL;
}

int procfs_limit(const char *text, int64_t *out)
{
	const char *end;
	uint64_t v;

	if (strncmp(text, "max", 3) == 0 && (text[3] == '\n' || text[3] == 0)) {
		*out = -1;
		return 0;
	}
	if (number(text, &end, &v) < 0 || v > INT64_MAX || (*end != '\n' && *end))
		return -EINVAL;
	*out = (int64_t)v;
	return 0;
}

int procfs_status_uid(const char *text, uint32_t *uid)
{
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		unsigned real, eff;

		if (strncmp(p, "Uid:", 4) == 0) {
			if (sscanf(p + 4, "%u %u", &real, &eff) != 2)
				return -EINVAL;
			*uid = eff;
			return 0;
		}
	}
	return -EINVAL;
}
