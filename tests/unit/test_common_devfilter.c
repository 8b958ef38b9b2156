/* test_common_devfilter.c: the cgroup device program, run by a small BPF interpreter and by the
 * kernel. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/devfilter.h"
#include "rootfs/init/devfilter.h"

#define ACC_R BPF_DEVCG_ACC_READ
#define ACC_W BPF_DEVCG_ACC_WRITE
#define ACC_M BPF_DEVCG_ACC_MKNOD

/*
 * Runs insns on one request as the kernel would: the context is struct
 * bpf_cgroup_dev_ctx. It knows only the instructions the generator may
 * emit, and fails the test on anything else, on a register read before it
 * was written, on a backward or out-of-range jump, and on a context load
 * that is not a 32-bit load of one of the three fields. Returns r0.
 */
static uint64_t run(const struct bpf_insn *insns, int n, char type, unsigned access, uint32_t major,
		    uint32_t minor)
{
	uint32_t ctx[3] = {(access << 16) |
			       (type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR),
			   major, minor};
	uint64_t reg[11] = {0};
	bool set[11] = {[1] = true};
	int pc = 0;

	while (pc >= 0 && pc < n) {
		const struct bpf_insn *in = &insns[pc++];
		uint8_t d = in->dst_reg, s = in->src_reg;

		cr_assert_lt(d, 11, "insn %d: register r%u", pc - 1, d);
		switch (in->code) {
		case BPF_LDX | BPF_W | BPF_MEM:
			cr_assert_eq(s, 1, "insn %d: a load not from the context", pc - 1);
			cr_assert(in->off == 0 || in->off == 4 || in->off == 8,
				  "insn %d: offset %d", pc - 1, in->off);
			reg[d] = ctx[in->off / 4];
			set[d] = true;
			break;
		case BPF_ALU | BPF_MOV | BPF_X:
			cr_assert(set[s], "insn %d: r%u read before it is set", pc - 1, s);
			reg[d] = (uint32_t)reg[s];
			set[d] = true;
			break;
		case BPF_ALU | BPF_RSH | BPF_K:
			cr_assert(set[d], "insn %d: r%u read before it is set", pc - 1, d);
			reg[d] = (uint32_t)reg[d] >> (in->imm & 31);
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			cr_assert(set[d], "insn %d: r%u read before it is set", pc - 1, d);
			reg[d] = (uint32_t)reg[d] & (uint32_t)in->imm;
			break;
		case BPF_ALU64 | BPF_MOV | BPF_K:
			reg[d] = (uint64_t)(int64_t)in->imm;
			set[d] = true;
			break;
		case BPF_JMP | BPF_JNE | BPF_K:
		case BPF_JMP | BPF_JEQ | BPF_K: {
			bool eq = reg[d] == (uint64_t)(int64_t)in->imm;

			cr_assert(set[d], "insn %d: r%u read before it is set", pc - 1, d);
			cr_assert_geq(in->off, 0, "insn %d: a backward jump", pc - 1);
			cr_assert_leq(pc + in->off, n - 1, "insn %d: a jump past the end", pc - 1);
			if (eq == (BPF_OP(in->code) == BPF_JEQ))
				pc += in->off;
			break;
		}
		case BPF_JMP | BPF_EXIT:
			cr_assert(set[0], "insn %d: exit without r0", pc - 1);
			return reg[0];
		default:
			cr_assert_fail("insn %d: unexpected opcode 0x%02x", pc - 1, in->code);
		}
	}
	cr_assert_fail("ran off the end of the program (pc %d of %d)", pc, n);
	return 0;
}

struct built {
	struct bpf_insn insns[DEVFILTER_MAX_INSNS];
	int n;
};

static struct built *build(const struct gc_device_rule *rules, size_t nr, bool defaults)
{
	struct gc_device_rule all[64];
	struct built *b = calloc(1, sizeof(*b));
	char err[256] = "";

	cr_assert_not_null(b);
	cr_assert_leq(nr + DEVFILTER_NR_DEFAULTS, 64);
	if (nr)
		memcpy(all, rules, nr * sizeof(*rules));
	if (defaults) {
		memcpy(all + nr, devfilter_defaults, sizeof(devfilter_defaults));
		nr += DEVFILTER_NR_DEFAULTS;
	}
	b->n = devfilter_build(all, nr, b->insns, DEVFILTER_MAX_INSNS, err, sizeof(err));
	cr_assert_gt(b->n, 0, "devfilter_build: %s", err);
	return b;
}

static bool allowed(const struct built *b, char type, unsigned access, uint32_t major,
		    uint32_t minor)
{
	uint64_t r = run(b->insns, b->n, type, access, major, minor);

	cr_assert(r == 0 || r == 1, "verdict %llu", (unsigned long long)r);
	return r == 1;
}

#define RULE(a, t, ma, mi, acc)                                                                    \
	{                                                                                          \
		.allow = (a), .type = (t), .major = (ma), .minor = (mi),                           \
		.read = strchr(acc, 'r') != NULL, .write = strchr(acc, 'w') != NULL,               \
		.mknod = strchr(acc, 'm') != NULL                                                  \
	}

Test(devfilter, no_rules_denies_everything)
{
	struct built *b = build(NULL, 0, false);

	cr_assert_not(allowed(b, 'c', ACC_R, 1, 3));
	cr_assert_not(allowed(b, 'b', ACC_M, 8, 0));
	cr_assert_not(allowed(b, 'c', ACC_R | ACC_W | ACC_M, 0, 0));
	free(b);
}

Test(devfilter, deny_all_then_allow_one)
{
	const struct gc_device_rule rules[] = {RULE(false, 'a', -1, -1, "rwm"),
					       RULE(true, 'c', 1, 3, "rwm")};
	struct built *b = build(rules, 2, false);

	cr_assert(allowed(b, 'c', ACC_R, 1, 3));
	cr_assert(allowed(b, 'c', ACC_R | ACC_W, 1, 3));
	cr_assert(allowed(b, 'c', ACC_M, 1, 3));
	cr_assert_not(allowed(b, 'c', ACC_R, 1, 5));
	cr_assert_not(allowed(b, 'b', ACC_R, 1, 3), "a block device with the same numbers");
	cr_assert_not(allowed(b, 'c', ACC_R, 3, 1));
	free(b);
}

Test(devfilter, the_last_matching_rule_wins)
{
	const struct gc_device_rule rules[] = {RULE(true, 'c', 1, 5, "rwm"),
					       RULE(false, 'c', 1, 5, "w")};
	struct built *b = build(rules, 2, false);

	cr_assert(allowed(b, 'c', ACC_R, 1, 5));
	cr_assert(allowed(b, 'c', ACC_M, 1, 5));
	cr_assert_not(allowed(b, 'c', ACC_W, 1, 5));
	cr_assert_not(allowed(b, 'c', ACC_R | ACC_W, 1, 5), "a denied access denies the request");
	free(b);

	/* The other way round: the later allow wins over the earlier deny. */
	const struct gc_device_rule rules2[] = {RULE(false, 'c', -1, -1, "rwm"),
						RULE(true, 'c', 1, 5, "r")};
	b = build(rules2, 2, false);
	cr_assert(allowed(b, 'c', ACC_R, 1, 5));
	cr_assert_not(allowed(b, 'c', ACC_W, 1, 5));
	cr_assert_not(allowed(b, 'c', ACC_R | ACC_W, 1, 5), "write is still denied");
	cr_assert_not(allowed(b, 'c', ACC_R, 1, 7));
	free(b);
}

Test(devfilter, a_deny_of_one_access_within_a_broad_allow)
{
	/* allow all; deny writes to /dev/null: opening it read-write is denied. */
	const struct gc_device_rule rules[] = {RULE(true, 'a', -1, -1, "rwm"),
					       RULE(false, 'c', 1, 3, "w")};
	struct built *b = build(rules, 2, false);

	cr_assert_not(allowed(b, 'c', ACC_R | ACC_W, 1, 3));
	cr_assert_not(allowed(b, 'c', ACC_W, 1, 3));
	cr_assert(allowed(b, 'c', ACC_R, 1, 3));
	cr_assert(allowed(b, 'c', ACC_R | ACC_W, 1, 5));
	cr_assert(allowed(b, 'b', ACC_R | ACC_W | ACC_M, 8, 1));
	free(b);
}

Test(devfilter, accesses_decided_by_different_rules)
{
	/* read from one rule, write from another: together they allow rw. */
	const struct gc_device_rule rules[] = {RULE(true, 'c', 4, -1, "r"),
					       RULE(true, 'c', -1, 64, "w")};
	struct built *b = build(rules, 2, false);

	cr_assert(allowed(b, 'c', ACC_R | ACC_W, 4, 64));
	cr_assert_not(allowed(b, 'c', ACC_R | ACC_W, 4, 65), "4:65 is not writable");
	cr_assert_not(allowed(b, 'c', ACC_R | ACC_W, 5, 64), "5:64 is not readable");
	cr_assert_not(allowed(b, 'c', ACC_M, 4, 64));
	free(b);
}

Test(devfilter, wildcards_and_type_a)
{
	const struct gc_device_rule rules[] = {RULE(true, 'c', 136, -1, "rw"),
					       RULE(true, 'a', 8, -1, "r")};
	struct built *b = build(rules, 2, false);

	cr_assert(allowed(b, 'c', ACC_R | ACC_W, 136, 5));
	cr_assert(allowed(b, 'c', ACC_R | ACC_W, 136, 1048575));
	cr_assert_not(allowed(b, 'c', ACC_M, 136, 5));
	cr_assert_not(allowed(b, 'c', ACC_R, 137, 0));
	cr_assert(allowed(b, 'b', ACC_R, 8, 0), "type a takes block devices");
	cr_assert(allowed(b, 'c', ACC_R, 8, 17), "and char devices");
	cr_assert_not(allowed(b, 'b', ACC_W, 8, 0));
	cr_assert_not(allowed(b, 'b', ACC_R, 9, 0));
	free(b);
}

Test(devfilter, a_rule_without_access_decides_nothing)
{
	const struct gc_device_rule rules[] = {RULE(true, 'c', 1, 3, "rwm"),
					       RULE(false, 'c', 1, 3, "")};
	struct built *b = build(rules, 2, false);

	cr_assert(allowed(b, 'c', ACC_R | ACC_W, 1, 3));
	free(b);
}

Test(devfilter, the_defaults_win_over_a_deny_all)
{
	const struct gc_device_rule rules[] = {RULE(false, 'a', -1, -1, "rwm"),
					       RULE(true, 'c', 1, 11, "r")};
	struct built *b = build(rules, 2, true);
	static const uint32_t rwm_devs[][2] = {{1, 3}, {1, 5}, {1, 7}, {1, 8},	 {1, 9},
					       {5, 0}, {5, 1}, {5, 2}, {136, 0}, {10, 200}};

	for (size_t i = 0; i < sizeof(rwm_devs) / sizeof(rwm_devs[0]); i++)
		cr_assert(allowed(b, 'c', ACC_R | ACC_W | ACC_M, rwm_devs[i][0], rwm_devs[i][1]),
			  "c %u:%u", rwm_devs[i][0], rwm_devs[i][1]);
	/* Any node may be made; opening it is the rules' business. */
	cr_assert(allowed(b, 'c', ACC_M, 10, 229));
	cr_assert(allowed(b, 'b', ACC_M, 8, 0));
	cr_assert_not(allowed(b, 'c', ACC_R, 10, 229));
	cr_assert_not(allowed(b, 'b', ACC_R, 8, 0));
	cr_assert(allowed(b, 'c', ACC_R, 1, 11));
	cr_assert_not(allowed(b, 'c', ACC_R | ACC_W, 1, 11));
	cr_assert_not(allowed(b, 'c', ACC_R, 1, 1));
	free(b);
}

/* The semantics of devfilter.h, written plainly: the reference for the random test. */
static bool reference(const struct gc_device_rule *rules, size_t nr, char type, unsigned access,
		      uint32_t major, uint32_t minor)
{
	static const unsigned bits[] = {ACC_R, ACC_W, ACC_M};

	for (size_t k = 0; k < 3; k++) {
		bool decided = false, allow = false;

		if (!(access & bits[k]))
			continue;
		for (size_t i = nr; i-- > 0 && !decided;) {
			const struct gc_device_rule *r = &rules[i];
			unsigned names =
			    (r->read ? ACC_R : 0) | (r->write ? ACC_W : 0) | (r->mknod ? ACC_M : 0);

			if ((r->type != 'a' && r->type != type) ||
			    (r->major >= 0 && (uint32_t)r->major != major) ||
			    (r->minor >= 0 && (uint32_t)r->minor != minor) || !(names & bits[k]))
				continue;
			decided = true;
			allow = r->allow;
		}
		if (!allow)
			return false;
	}
	return true;
}

Test(devfilter, random_rule_sets_agree_with_the_reference)
{
	static const char types[] = {'a', 'c', 'b'};
	static const int64_t majors[] = {-1, 1, 2}, minors[] = {-1, 3, 5};
	unsigned seed = 12345;

	for (int round = 0; round < 300; round++) {
		struct gc_device_rule rules[12];
		size_t nr = (size_t)(rand_r(&seed) % 12);
		struct built *b;

		for (size_t i = 0; i < nr; i++) {
			unsigned acc = (unsigned)rand_r(&seed) % 8;

			rules[i] = (struct gc_device_rule){
			    .allow = rand_r(&seed) % 2,
			    .type = types[rand_r(&seed) % 3],
			    .major = majors[rand_r(&seed) % 3],
			    .minor = minors[rand_r(&seed) % 3],
			    .read = acc & 1,
			    .write = acc & 2,
			    .mknod = acc & 4,
			};
		}
		b = build(rules, nr, false);
		for (int t = 0; t < 2; t++)
			for (unsigned acc = 1; acc < 8; acc++)
				for (uint32_t ma = 1; ma <= 3; ma++)
					for (uint32_t mi = 3; mi <= 6; mi++) {
						char type = t ? 'b' : 'c';

						cr_assert_eq(
						    allowed(b, type, acc, ma, mi),
						    reference(rules, nr, type, acc, ma, mi),
						    "round %d: %c %u:%u access %u", round, type, ma,
						    mi, acc);
					}
		free(b);
	}
}

Test(devfilter, bad_rules_are_named)
{
	struct bpf_insn insns[64];
	struct gc_device_rule r = RULE(true, 'x', 1, 3, "r");
	char err[256] = "";

	cr_assert_eq(devfilter_build(&r, 1, insns, 64, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "devices[0]: type 'x' is not a, c or b");
	r = (struct gc_device_rule)RULE(true, 'c', (int64_t)1 << 40, 3, "r");
	cr_assert_eq(devfilter_build(&r, 1, insns, 64, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "devices[0]: major 1099511627776, minor 3: out of range");
	r = (struct gc_device_rule)RULE(true, 'c', 1, -2, "r");
	cr_assert_eq(devfilter_build(&r, 1, insns, 64, err, sizeof(err)), -1);
}

Test(devfilter, the_room_is_checked)
{
	const struct gc_device_rule rules[] = {RULE(true, 'c', 1, 3, "rwm"),
					       RULE(false, 'b', 8, 0, "r")};
	struct bpf_insn insns[64];
	char err[256] = "";
	int n = devfilter_build(rules, 2, insns, 64, err, sizeof(err));

	/* 6 to load the context, 7 and 8 for the rules, 2 to deny the rest. */
	cr_assert_eq(n, 6 + 8 + 7 + 2);
	cr_assert_eq(devfilter_build(rules, 2, insns, (size_t)n - 1, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "2 rules take 23 instructions, more than the 22 there is room for");
}

Test(devfilter, the_largest_configuration_fits)
{
	static struct gc_device_rule rules[GC_MAX_DEVICE_RULES + DEVFILTER_NR_DEFAULTS + 3];
	static struct bpf_insn insns[DEVFILTER_MAX_INSNS];
	size_t nr = sizeof(rules) / sizeof(rules[0]);
	char err[256] = "";

	for (size_t i = 0; i < nr; i++)
		rules[i] = (struct gc_device_rule)RULE(i % 2, 'c', (int64_t)i, (int64_t)i, "rw");
	cr_assert_gt(devfilter_build(rules, nr, insns, DEVFILTER_MAX_INSNS, err, sizeof(err)), 0,
		     "%s", err);
}

/* Skips the test where this machine lets it load no device program (not root, no BPF). */
static void bpf_or_skip(void)
{
	const struct bpf_insn allow[] = {
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 1},
	    {.code = BPF_JMP | BPF_EXIT},
	};
	char err[512] = "";
	int fd = devfilter_load(allow, 2, err, sizeof(err));

	if (fd < 0)
		cr_skip_test("cannot load a device program here: %s", err);
	close(fd);
}

/* The kernel's verifier takes the programs, where this machine lets the test load one. */
Test(devfilter, the_kernel_verifier_accepts_them)
{
	const struct gc_device_rule rules[] = {
	    RULE(false, 'a', -1, -1, "rwm"), RULE(true, 'c', 1, 3, "rwm"),
	    RULE(false, 'c', 1, 5, "w"), RULE(true, 'b', 8, -1, "r")};
	struct built *b = build(rules, 4, true);
	char err[512] = "";
	int fd;

	bpf_or_skip();
	fd = devfilter_load(b->insns, b->n, err, sizeof(err));
	cr_assert_geq(fd, 0, "%s", err);
	close(fd);
	free(b);
}

/* A program the verifier refuses: the message says so, with the verifier's words. */
Test(devfilter, a_refused_program_is_named)
{
	/* exit without setting r0 */
	const struct bpf_insn insns[] = {{.code = BPF_JMP | BPF_EXIT}};
	char err[512] = "";
	int fd;

	bpf_or_skip();
	fd = devfilter_load(insns, 1, err, sizeof(err));
	cr_assert_lt(fd, 0, "the verifier took an exit without r0");
	cr_assert(strstr(err, "load the device program (1 instructions): ") == err, "%s", err);
	cr_assert(strstr(err, ": verifier: ") && strstr(err, "R0"), "%s", err);
}

/* Installing on something that is not a cgroup: built and loaded, refused at the attach. */
Test(devfilter, install_names_the_step_that_failed)
{
	const struct gc_device_rule ok = RULE(true, 'c', 1, 3, "rw"),
				    bad = RULE(true, 'x', 1, 3, "r");
	char err[512] = "";
	int dir = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;

	cr_assert_geq(dir, 0);
	cr_assert_eq(devfilter_install(dir, &bad, 1, BPF_F_ALLOW_MULTI, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "devices[0]: type 'x' is not a, c or b");
	bpf_or_skip();
	r = devfilter_install(dir, &ok, 1, BPF_F_ALLOW_MULTI, err, sizeof(err));
	close(dir);
	cr_assert_lt(r, 0);
	cr_assert(strstr(err, "attach the device program: ") == err, "%s", err);
}
