/* test_runtime_idpool.c: the host id ranges of the VMMs' user namespaces. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/idpool.h"

static char base[] = "/tmp/hyrun-idpool.XXXXXX";
static char pool[PATH_MAX], owner_a[PATH_MAX], owner_b[PATH_MAX];
static char err[512];

static void setup(void)
{
	cr_assert_not_null(mkdtemp(base));
	snprintf(pool, sizeof(pool), "%s/pool", base);
	snprintf(owner_a, sizeof(owner_a), "%s/a", base);
	snprintf(owner_b, sizeof(owner_b), "%s/b", base);
	cr_assert_eq(mkdir(owner_a, 0700), 0);
	cr_assert_eq(mkdir(owner_b, 0700), 0);
	unsetenv(HY_ENV_VMM_IDS);
}

static void teardown(void)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	cr_assert_eq(system(cmd), 0);
	unsetenv(HY_ENV_VMM_IDS);
}

TestSuite(runtime_idpool, .init = setup, .fini = teardown);

Test(runtime_idpool, parse)
{
	uint32_t first;
	unsigned ranges;

	cr_assert_eq(idpool_parse(NULL, &first, &ranges, err, sizeof(err)), 0);
	cr_assert_eq(first, IDPOOL_FIRST_DEFAULT);
	cr_assert_eq(ranges, IDPOOL_RANGES_DEFAULT);
	cr_assert_eq(idpool_parse("200000:3", &first, &ranges, err, sizeof(err)), 0);
	cr_assert_eq(first, 200000);
	cr_assert_eq(ranges, 3);
	for (const char *const *s = (const char *const[]){"0:1", "5:0", "x:1", "1", "1:", "1:2x",
							  "4294901760:1", "1:65536", NULL};
	     *s; s++) {
		cr_assert_eq(idpool_parse(*s, &first, &ranges, err, sizeof(err)), -EINVAL, "%s",
			     *s);
		cr_assert(strstr(err, HY_ENV_VMM_IDS), "%s", err);
	}
}

Test(runtime_idpool, ranges_are_distinct_and_given_back)
{
	struct idpool_range a, b, c;

	setenv(HY_ENV_VMM_IDS, "1000000:2", 1);
	cr_assert_eq(idpool_take(pool, owner_a, &a, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(idpool_take(pool, owner_b, &b, err, sizeof(err)), 0, "%s", err);
	cr_assert_neq(a.slot, b.slot);
	cr_assert_eq(a.size, IDPOOL_RANGE);
	cr_assert_eq(a.first, 1000000 + a.slot * IDPOOL_RANGE);
	cr_assert_eq(b.first, 1000000 + b.slot * IDPOOL_RANGE);
	/* Both held: the pool is full, and says so. */
	cr_assert_eq(idpool_take(pool, owner_a, &c, err, sizeof(err)), -EAGAIN);
	cr_assert(strstr(err, "all 2 host id ranges"), "%s", err);
	/* Given back only by its holder. */
	idpool_release(pool, owner_b, a.slot);
	cr_assert_eq(idpool_take(pool, owner_a, &c, err, sizeof(err)), -EAGAIN);
	idpool_release(pool, owner_a, a.slot);
	cr_assert_eq(idpool_take(pool, owner_a, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.slot, a.slot);
}

Test(runtime_idpool, a_range_whose_container_is_gone_is_taken_again)
{
	struct idpool_range a, b;

	setenv(HY_ENV_VMM_IDS, "1000000:1", 1);
	cr_assert_eq(idpool_take(pool, owner_a, &a, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(idpool_take(pool, owner_b, &b, err, sizeof(err)), -EAGAIN);
	/* The holder's state directory is gone (a create killed before it could undo). */
	cr_assert_eq(rmdir(owner_a), 0);
	cr_assert_eq(idpool_take(pool, owner_b, &b, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(b.slot, a.slot);
	/* The old holder cannot give the new holder's range back. */
	idpool_release(pool, owner_a, b.slot);
	cr_assert_eq(idpool_take(pool, owner_a, &a, err, sizeof(err)), -EAGAIN);
}

Test(runtime_idpool, bad_pool_setting_is_an_error)
{
	struct idpool_range a;

	setenv(HY_ENV_VMM_IDS, "nonsense", 1);
	cr_assert_eq(idpool_take(pool, owner_a, &a, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "nonsense"), "%s", err);
	cr_assert_eq(access(pool, F_OK), -1, "nothing is made");
}
