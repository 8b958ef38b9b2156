/* fuzz_spec.c: oci_spec_parse() on the input as a config.json.
 *
 * The first byte picks the parse flags; the rest is the document. A spec
 * that parses must be internally consistent, survive the args setter that
 * `hyrun plan -- CMD` uses, and dump to JSON that parses again to the same
 * values.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oci/spec.h"
#include "tests/fuzz/fuzz.h"

static void check_spec(const struct oci_spec *s, unsigned flags)
{
	FUZZ_CHECK(s->json);
	if (s->has_process && !(flags & OCI_SPEC_ARGS_OPTIONAL))
		FUZZ_CHECK(s->nr_args > 0);
	if (s->args) {
		for (size_t i = 0; i < s->nr_args; i++)
			FUZZ_CHECK(s->args[i]);
		FUZZ_CHECK(s->args[s->nr_args] == NULL);
	}
	if (s->env) {
		for (size_t i = 0; i < s->nr_env; i++)
			FUZZ_CHECK(s->env[i]);
		FUZZ_CHECK(s->env[s->nr_env] == NULL);
	}
	for (size_t i = 0; i < s->nr_mounts; i++) {
		FUZZ_CHECK(s->mounts[i].destination && s->mounts[i].destination[0] == '/');
		for (size_t j = 0; j < s->mounts[i].nr_options; j++)
			FUZZ_CHECK(s->mounts[i].options[j]);
	}
	for (size_t i = 0; i < s->nr_rlimits; i++)
		FUZZ_CHECK(s->rlimits[i].type);
	if (s->seccomp)
		for (size_t i = 0; i < s->seccomp->nr_syscalls; i++)
			for (size_t j = 0; j < s->seccomp->syscalls[i].nr_names; j++)
				FUZZ_CHECK(s->seccomp->syscalls[i].names[j]);
	for (unsigned c = 0; c < HY_CAP_NR_SETS; c++)
		FUZZ_CHECK(!(s->caps[c] >> hy_cap_last() >> 1));
	FUZZ_CHECK(s->rootfs_propagation <= OCI_PROP_RUNBINDABLE);
	for (size_t i = 0; i < s->nr_masked_paths; i++)
		FUZZ_CHECK(s->masked_paths[i][0] == '/');
	for (size_t i = 0; i < s->nr_readonly_paths; i++)
		FUZZ_CHECK(s->readonly_paths[i][0] == '/');
	/* What the plan hands the guest, which refuses anything else. */
	for (size_t i = 0; i < s->nr_devices; i++) {
		const struct oci_device *d = &s->devices[i];

		FUZZ_CHECK(!strncmp(d->path, "/dev/", 5) && !strstr(d->path, "//") &&
			   !strstr(d->path, "/./") && !strstr(d->path, "/../"));
		FUZZ_CHECK(strchr("cubp", d->type) && d->type);
		FUZZ_CHECK(d->major <= 4095 && d->minor <= 1048575 && d->mode <= 07777);
	}
}

/* What hyrun-init relies on after the round trip. */
static void check_same(const struct oci_spec *a, const struct oci_spec *b)
{
	FUZZ_CHECK(a->nr_args == b->nr_args && a->nr_env == b->nr_env);
	FUZZ_CHECK(a->nr_mounts == b->nr_mounts && a->nr_rlimits == b->nr_rlimits);
	FUZZ_CHECK(a->uid == b->uid && a->gid == b->gid);
	FUZZ_CHECK(!memcmp(a->caps, b->caps, sizeof(a->caps)));
	FUZZ_CHECK((a->seccomp == NULL) == (b->seccomp == NULL));
	for (size_t i = 0; i < a->nr_args; i++)
		FUZZ_CHECK(!strcmp(a->args[i], b->args[i]));
	for (size_t i = 0; i < a->nr_mounts; i++)
		FUZZ_CHECK(!strcmp(a->mounts[i].destination, b->mounts[i].destination));
	for (size_t i = 0; i < a->nr_rlimits; i++)
		FUZZ_CHECK(a->rlimits[i].hard == b->rlimits[i].hard &&
			   a->rlimits[i].soft == b->rlimits[i].soft);
	FUZZ_CHECK((a->domainname == NULL) == (b->domainname == NULL));
	FUZZ_CHECK(!a->domainname || !strcmp(a->domainname, b->domainname));
	FUZZ_CHECK(a->rootfs_propagation == b->rootfs_propagation);
	FUZZ_CHECK(a->nr_masked_paths == b->nr_masked_paths &&
		   a->nr_readonly_paths == b->nr_readonly_paths && a->nr_devices == b->nr_devices);
	for (size_t i = 0; i < a->nr_devices; i++)
		FUZZ_CHECK(!strcmp(a->devices[i].path, b->devices[i].path) &&
			   a->devices[i].type == b->devices[i].type &&
			   a->devices[i].major == b->devices[i].major &&
			   a->devices[i].minor == b->devices[i].minor &&
			   a->devices[i].mode == b->devices[i].mode);
}

/* The spec is consistent, and its dump parses again to the same values. */
static void check_round_trip(const struct oci_spec *s, unsigned flags)
{
	struct oci_spec again;
	char err[512] = "", *dump;
	int ret;

	check_spec(s, flags);
	dump = oci_spec_dump(s);
	FUZZ_CHECK(dump);
	ret = oci_spec_parse(&again, dump, strlen(dump), flags, err, sizeof(err));
	if (ret)
		fprintf(stderr, "dump does not parse again: %s\n%s\n", err, dump);
	FUZZ_CHECK(ret == 0);
	check_same(s, &again);
	oci_spec_free(&again);
	free(dump);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *const argv[] = {"/bin/sh", "-c", "true", NULL};
	struct oci_spec s;
	unsigned flags;
	char err[512];
	int ret;

	if (size < 1)
		return 0;
	flags = (data[0] & 1) ? OCI_SPEC_ARGS_OPTIONAL : 0;
	err[0] = 0;
	ret = oci_spec_parse(&s, (const char *)data + 1, size - 1, flags, err, sizeof(err));
	FUZZ_CHECK(memchr(err, 0, sizeof(err)));
	if (ret) {
		FUZZ_CHECK(ret == -EINVAL || ret == -ENOMEM);
		FUZZ_CHECK(err[0]);
		return 0;
	}
	check_round_trip(&s, flags);
	/* What `hyrun plan -- CMD` does: the args replaced, the rest the same. */
	if (data[0] & 2) {
		FUZZ_CHECK(oci_spec_set_args(&s, argv) == 0 && s.nr_args == 3);
		check_round_trip(&s, flags);
	}
	oci_spec_free(&s);
	return 0;
}
