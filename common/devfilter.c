/* devfilter.c: device rules turned into a cgroup device program, loaded and attached (see
 * devfilter.h). */
#include "common/devfilter.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/err.h"

/* The registers the program keeps its facts in, from the prologue on. */
enum {
	R_RET = 0,
	R_CTX = 1,
	R_TYPE = 2,    /* BPF_DEVCG_DEV_* of the request */
	R_PENDING = 3, /* BPF_DEVCG_ACC_* the request asks for that no rule decided yet */
	R_MAJOR = 4,
	R_MINOR = 5,
	R_TMP = 6,
};

struct prog {
	struct bpf_insn *insns;
	size_t n, room;
};

static void emit(struct prog *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	if (p->n < p->room)
		p->insns[p->n] = (struct bpf_insn){
		    .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
	p->n++;
}

static void load_ctx(struct prog *p, uint8_t dst, int16_t off)
{
	emit(p, BPF_LDX | BPF_W | BPF_MEM, dst, R_CTX, off, 0);
}

static void alu32_imm(struct prog *p, uint8_t op, uint8_t dst, int32_t imm)
{
	emit(p, BPF_ALU | op | BPF_K, dst, 0, 0, imm);
}

static void jump_imm(struct prog *p, uint8_t op, uint8_t dst, int32_t imm, int16_t off)
{
	emit(p, BPF_JMP | op | BPF_K, dst, 0, off, imm);
}

static void ret(struct prog *p, int32_t verdict)
{
	emit(p, BPF_ALU64 | BPF_MOV | BPF_K, R_RET, 0, 0, verdict);
	emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

static unsigned rule_access(const struct gc_device_rule *r)
{
	return (r->read ? BPF_DEVCG_ACC_READ : 0) | (r->write ? BPF_DEVCG_ACC_WRITE : 0) |
	       (r->mknod ? BPF_DEVCG_ACC_MKNOD : 0);
}

/* Device numbers are compared with 32-bit immediates, sign-extended by the
 * jump: only what fits in an int32 compares right (the kernel's majors are
 * 12 bits and minors 20). */
static bool number_ok(int64_t v)
{
	return v == -1 || (v >= 0 && v <= INT32_MAX);
}

/*
 * One rule: the checks that skip to the next block when the device does not
 * match, then the verdict on the accesses it names. The checks jump over the
 * rest of the block, so its length is counted first.
 */
static void emit_rule(struct prog *p, const struct gc_device_rule *r, unsigned access)
{
	bool type = r->type != 'a', major = r->major >= 0, minor = r->minor >= 0;
	int16_t verdict_len = r->allow ? 4 : 5;
	int16_t rest = (int16_t)(type + major + minor) + verdict_len;

	if (type)
		jump_imm(p, BPF_JNE, R_TYPE,
			 r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, --rest);
	if (major)
		jump_imm(p, BPF_JNE, R_MAJOR, (int32_t)r->major, --rest);
	if (minor)
		jump_imm(p, BPF_JNE, R_MINOR, (int32_t)r->minor, --rest);
	if (r->allow) {
		/* These accesses are decided (allowed); the request passes once
		 * nothing is left pending, else earlier rules decide the rest. */
		alu32_imm(p, BPF_AND, R_PENDING, (int32_t)(~access & 7u));
		jump_imm(p, BPF_JNE, R_PENDING, 0, 2);
		ret(p, 1);
	} else {
		/* Any pending access this rule names is denied, and with it the request. */
		emit(p, BPF_ALU | BPF_MOV | BPF_X, R_TMP, R_PENDING, 0, 0);
		alu32_imm(p, BPF_AND, R_TMP, (int32_t)access);
		jump_imm(p, BPF_JEQ, R_TMP, 0, 2);
		ret(p, 0);
	}
}

int devfilter_build(const struct gc_device_rule *rules, size_t nr, struct bpf_insn *insns,
		    size_t room, char *err, size_t errlen)
{
	struct prog p = {.insns = insns, .room = room};

	for (size_t i = 0; i < nr; i++) {
		const struct gc_device_rule *r = &rules[i];

		if (r->type != 'a' && r->type != 'c' && r->type != 'b')
			return hy_err(err, errlen, -1, "devices[%zu]: type '%c' is not a, c or b",
				      i, r->type ? r->type : '?');
		if (!number_ok(r->major) || !number_ok(r->minor))
			return hy_err(err, errlen, -1,
				      "devices[%zu]: major %lld, minor %lld: out of range", i,
				      (long long)r->major, (long long)r->minor);
	}

	load_ctx(&p, R_TYPE, 0);
	emit(&p, BPF_ALU | BPF_MOV | BPF_X, R_PENDING, R_TYPE, 0, 0);
	alu32_imm(&p, BPF_RSH, R_PENDING, 16);
	alu32_imm(&p, BPF_AND, R_TYPE, 0xffff);
	load_ctx(&p, R_MAJOR, 4);
	load_ctx(&p, R_MINOR, 8);
	/* Last rule first: the first block that decides an access is the last
	 * rule that names it. */
	for (size_t i = nr; i-- > 0;) {
		unsigned access = rule_access(&rules[i]);

		if (access)
			emit_rule(&p, &rules[i], access);
	}
	/* Accesses no rule decided. */
	ret(&p, 0);
	if (p.n > room || p.n > DEVFILTER_MAX_INSNS)
		return hy_err(
		    err, errlen, -1,
		    "%zu rules take %zu instructions, more than the %zu there is room for", nr, p.n,
		    room < DEVFILTER_MAX_INSNS ? room : DEVFILTER_MAX_INSNS);
	return (int)p.n;
}

static int bpf(int cmd, union bpf_attr *attr)
{
	return (int)syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

/* The last lines of the verifier's log, on one line, into out. */
static void log_tail(const char *log, char *out, size_t len)
{
	size_t n = strlen(log), keep = n < len - 1 ? n : len - 1;

	memcpy(out, log + n - keep, keep);
	out[keep] = 0;
	for (char *p = out; *p; p++)
		if (*p == '\n')
			*p = *(p + 1) ? ' ' : '\0';
}

int devfilter_load(const struct bpf_insn *insns, int n, char *err, size_t errlen)
{
	enum { LOG_SIZE = 1 << 16 };
	char *log = NULL, tail[384] = "";
	union bpf_attr attr;
	int fd, e;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (uint64_t)(uintptr_t)insns;
	attr.insn_cnt = (uint32_t)n;
	attr.license = (uint64_t)(uintptr_t) "GPL";
	fd = bpf(BPF_PROG_LOAD, &attr);
	if (fd >= 0)
		return fd;
	e = errno;
	/* Again with the verifier's log, for the message. */
	log = calloc(1, LOG_SIZE);
	if (log) {
		attr.log_buf = (uint64_t)(uintptr_t)log;
		attr.log_size = LOG_SIZE;
		attr.log_level = 1;
		fd = bpf(BPF_PROG_LOAD, &attr);
		if (fd >= 0) {
			free(log);
			return fd;
		}
		e = errno;
		log_tail(log, tail, sizeof(tail));
		free(log);
	}
	return hy_err(err, errlen, -e, "load the device program (%d instructions): %s%s%s", n,
		      strerror(e), tail[0] ? ": verifier: " : "", tail);
}

int devfilter_install(int cgroup_fd, const struct gc_device_rule *rules, size_t nr, unsigned flags,
		      char *err, size_t errlen)
{
	struct bpf_insn *insns = calloc(DEVFILTER_MAX_INSNS, sizeof(*insns));
	union bpf_attr attr;
	int n, fd, r;

	if (!insns)
		return hy_err(err, errlen, -ENOMEM, "build the device program: out of memory");
	n = devfilter_build(rules, nr, insns, DEVFILTER_MAX_INSNS, err, errlen);
	if (n < 0) {
		free(insns);
		return -EINVAL;
	}
	fd = devfilter_load(insns, n, err, errlen);
	free(insns);
	if (fd < 0)
		return fd;
	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)cgroup_fd;
	attr.attach_bpf_fd = (uint32_t)fd;
	attr.attach_type = BPF_CGROUP_DEVICE;
	attr.attach_flags = flags;
	r = bpf(BPF_PROG_ATTACH, &attr) < 0 ? -errno : n;
	if (r < 0)
		hy_err(err, errlen, r, "attach the device program: %s", strerror(-r));
	/* Attached, the program is the cgroup's to keep. */
	close(fd);
	return r;
}
