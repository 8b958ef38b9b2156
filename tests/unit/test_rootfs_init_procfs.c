/* test_rootfs_init_procfs.c: the agent's parsers of /proc and cgroup files. */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/agent_msg.h"
#include "rootfs/init/procfs.h"

Test(procfs, stat_plain)
{
	struct procfs_stat st;

	cr_assert_eq(procfs_parse_stat("42 (sleep) S 1 42 42 0 -1 4194304 101 0 0 0 7 3 0 0 20 0 1 "
				       "0 1234 2400000 150 18446744073709551615\n",
				       &st),
		     0);
	cr_assert_eq(st.pid, 42);
	cr_assert_eq(st.ppid, 1);
	cr_assert_eq(st.state, 'S');
	cr_assert_eq(st.utime, 7);
	cr_assert_eq(st.stime, 3);
	cr_assert_str_eq(st.comm, "sleep");
}

Test(procfs, stat_odd_comm)
{
	struct procfs_stat st;

	/* A command name may hold spaces, parentheses and ") S 9 " itself. */
	cr_assert_eq(procfs_parse_stat("7 (a) S 9 (b)) Z 3 7 7 34816 7 0 0 0 0 0 11 22 0", &st), 0);
	cr_assert_eq(st.pid, 7);
	cr_assert_eq(st.ppid, 3);
	cr_assert_eq(st.state, 'Z');
	cr_assert_eq(st.utime, 11);
	cr_assert_eq(st.stime, 22);
	cr_assert_str_eq(st.comm, "a) S 9 (b)");
}

Test(procfs, stat_own)
{
	char path[64], buf[1024];
	struct procfs_stat st;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)getpid());
	f = fopen(path, "r");
	cr_assert_not_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	cr_assert_eq(procfs_parse_stat(buf, &st), 0, "%s", buf);
	cr_assert_eq(st.pid, getpid());
	cr_assert_eq(st.ppid, getppid());
	cr_assert_eq(st.state, 'R');
}

Test(procfs, stat_refused)
{
	static const char *const bad[] = {
	    "",		 "42",
	    "42 (x",	 "42 x) S 1",
	    "42 (x) S",	 "42 (x) S 1 2 3",
	    "42 (x)S 1", "42 (x) S 1 2 3 4 5 6 7 8 9 10 11 x",
	};
	struct procfs_stat st;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(procfs_parse_stat(bad[i], &st), -EINVAL, "accepted '%s'", bad[i]);
}

Test(procfs, format_cmd)
{
	char out[AGENT_CMD_MAX + 1], small[8], big[600];

	procfs_format_cmd("sh\0-c\0sleep 1\0", 15, "sh", out, sizeof(out));
	cr_assert_str_eq(out, "sh -c sleep 1");
	procfs_format_cmd("", 0, "kworker/0:1", out, sizeof(out));
	cr_assert_str_eq(out, "[kworker/0:1]");
	/* a process that rewrote its argv without terminating it */
	procfs_format_cmd("nginx: worker", 13, "nginx", out, sizeof(out));
	cr_assert_str_eq(out, "nginx: worker");
	procfs_format_cmd("abcdefghij\0", 11, "x", small, sizeof(small));
	cr_assert_str_eq(small, "abcdefg");
	/* cut inside a character, and bytes that are not UTF-8 */
	procfs_format_cmd("abcdef\xc3\xa9", 8, "x", small, sizeof(small));
	cr_assert_str_eq(small, "abcdef?");
	procfs_format_cmd("a\xff\0b", 4, "x", out, sizeof(out));
	cr_assert_str_eq(out, "a? b");
	memset(big, 'x', sizeof(big));
	procfs_format_cmd(big, sizeof(big), "x", out, sizeof(out));
	cr_assert_eq(strlen(out), AGENT_CMD_MAX);
}

Test(procfs, keyed)
{
	static const char cpu[] = "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n"
				  "nr_periods 0\n";
	static const char events[] = "low 0\nhigh 0\nmax 3\noom 2\noom_kill 1\noom_group_kill 0\n";
	uint64_t v = 99;

	cr_assert_eq(procfs_keyed(cpu, "usage_usec", &v), 0);
	cr_assert_eq(v, 1500);
	cr_assert_eq(procfs_keyed(cpu, "system_usec", &v), 0);
	cr_assert_eq(v, 500);
	cr_assert_eq(procfs_keyed(events, "oom", &v), 0);
	cr_assert_eq(v, 2);
	cr_assert_eq(procfs_keyed(events, "oom_kill", &v), 0);
	cr_assert_eq(v, 1);
	cr_assert_eq(procfs_keyed(events, "kill", &v), -EINVAL);
	cr_assert_eq(procfs_keyed("", "x", &v), -EINVAL);
	cr_assert_eq(procfs_keyed("x -1\n", "x", &v), -EINVAL);
	cr_assert_eq(procfs_keyed("x\n", "x", &v), -EINVAL);
}

Test(procfs, meminfo)
{
	static const char mi[] = "MemTotal:        2030036 kB\nMemFree:          123456 kB\n"
				 "MemAvailable:    1500000 kB\nHugePages_Total:       0\n";
	uint64_t v = 0;

	cr_assert_eq(procfs_meminfo(mi, "MemTotal", &v), 0);
	cr_assert_eq(v, 2030036ull * 1024);
	cr_assert_eq(procfs_meminfo(mi, "MemAvailable", &v), 0);
	cr_assert_eq(v, 1500000ull * 1024);
	cr_assert_eq(procfs_meminfo(mi, "HugePages_Total", &v), 0);
	cr_assert_eq(v, 0);
	cr_assert_eq(procfs_meminfo(mi, "Mem", &v), -EINVAL);
	cr_assert_eq(procfs_meminfo(mi, "SwapTotal", &v), -EINVAL);
}

Test(procfs, limit)
{
	int64_t v = 0;

	cr_assert_eq(procfs_limit("max\n", &v), 0);
	cr_assert_eq(v, -1);
	cr_assert_eq(procfs_limit("67108864\n", &v), 0);
	cr_assert_eq(v, 67108864);
	cr_assert_eq(procfs_limit("0", &v), 0);
	cr_assert_eq(v, 0);
	cr_assert_eq(procfs_limit("maximum\n", &v), -EINVAL);
	cr_assert_eq(procfs_limit("12 34\n", &v), -EINVAL);
	cr_assert_eq(procfs_limit("99999999999999999999\n", &v), -EINVAL);
	cr_assert_eq(procfs_limit("", &v), -EINVAL);
}

Test(procfs, status_uid)
{
	uint32_t uid = 0;

	cr_assert_eq(procfs_status_uid("Name:\tsh\nUmask:\t0022\nUid:\t1000\t1001\t1000\t1000\n"
				       "Gid:\t5\t5\t5\t5\n",
				       &uid),
		     0);
	cr_assert_eq(uid, 1001);
	cr_assert_eq(procfs_status_uid("Name:\tsh\n", &uid), -EINVAL);
	cr_assert_eq(procfs_status_uid("Uid:\tx\n", &uid), -EINVAL);
}
