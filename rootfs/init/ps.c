/* ps.c: the container's processes, from /proc, for the agent's "ps". */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/agent_msg.h"
#include "rootfs/init/agent.h"
#include "rootfs/init/procfs.h"

/* The processes of a guest looked at (all of /proc, to find the tree). */
#define PS_SCAN_MAX 65536

static int cmp_pid(const void *a, const void *b)
{
	const struct procfs_stat *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* A small /proc file, NUL-terminated: its length, or -1. */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = 0, got;

	if (fd < 0)
		return -1;
	while ((size_t)n < len - 1 && (got = read(fd, buf + n, len - 1 - (size_t)n)) > 0)
		n += got;
	close(fd);
	buf[n] = 0;
	return n;
}

/* Every process of /proc, sorted by pid: how many, or -1. */
static ssize_t scan_proc(struct procfs_stat **out)
{
	struct procfs_stat *all = NULL;
	size_t nr = 0, cap = 0;
	struct dirent *de;
	DIR *d = opendir("/proc");

	if (!d)
		return -1;
	while ((de = readdir(d)) && nr < PS_SCAN_MAX) {
		char path[64], buf[1024];

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%.20s/stat", de->d_name);
		if (read_small(path, buf, sizeof(buf)) <= 0)
			continue; /* it has ended since */
		if (nr == cap) {
			struct procfs_stat *n = realloc(all, (cap ? cap * 2 : 256) * sizeof(*n));

			if (!n)
				break;
			all = n;
			cap = cap ? cap * 2 : 256;
		}
		if (procfs_parse_stat(buf, &all[nr]) == 0)
			nr++;
	}
	closedir(d);
	if (nr)
		qsort(all, nr, sizeof(*all), cmp_pid);
	*out = all;
	return (ssize_t)nr;
}

/* The descendants of this process (PID 1, or hyrun-init in self-test mode). */
static size_t collect(const struct procfs_stat *all, size_t nr, struct agent_process *ps,
		      bool (*skip)(int pid))
{
	int self = (int)getpid();
	long ticks = sysconf(_SC_CLK_TCK);
	bool *mine = calloc(nr ? nr : 1, sizeof(*mine)), changed = true;
	size_t n = 0;

	if (!mine)
		return 0;
	if (ticks <= 0)
		ticks = 100;
	/* A fixed point over the parent links; the tree is shallow. */
	while (changed) {
		changed = false;
		for (size_t i = 0; i < nr; i++) {
			struct procfs_stat key = {.pid = all[i].ppid}, *parent;

			if (mine[i])
				continue;
			parent = bsearch(&key, all, nr, sizeof(*all), cmp_pid);
			if (all[i].ppid == self || (parent && mine[parent - all])) {
				mine[i] = true;
				changed = true;
			}
		}
	}
	for (size_t i = 0; i < nr && n < AGENT_PS_MAX; i++) {
		struct agent_process *p = &ps[n];
		char path[64], buf[4096];
		ssize_t len;

		if (!mine[i] || skip(all[i].pid))
			continue;
		p->pid = all[i].pid;
		p->ppid = all[i].ppid;
		p->time = (all[i].utime + all[i].stime) * 100 / (uint64_t)ticks;
		p->stat[0] = all[i].state;
		snprintf(path, sizeof(path), "/proc/%d/status", p->pid);
		if (read_small(path, buf, sizeof(buf)) < 0 || procfs_status_uid(buf, &p->uid) < 0)
			continue; /* it has ended since */
		snprintf(path, sizeof(path), "/proc/%d/cmdline", p->pid);
		len = read_small(path, buf, sizeof(buf));
		procfs_format_cmd(buf, len > 0 ? (size_t)len : 0, all[i].comm, p->cmd,
				  sizeof(p->cmd));
		n++;
	}
	free(mine);
	return n;
}

ssize_t ps_collect(struct agent_process *ps, bool (*skip)(int pid))
{
	struct procfs_stat *all = NULL;
	ssize_t nr = scan_proc(&all);
	size_t n;

	if (nr < 0)
		return -1;
	n = collect(all, (size_t)nr, ps, skip);
	free(all);
	return (ssize_t)n;
}
