/* fuzz.h: helpers shared by the fuzz harnesses: an input reader and a check that aborts.
 *
 * Every harness defines LLVMFuzzerTestOneInput() and links either with
 * libFuzzer (clang -fsanitize=fuzzer) or with replay.c, which feeds it files
 * and seeded random mutations without needing clang.
 */
#ifndef HYRUN_TESTS_FUZZ_FUZZ_H
#define HYRUN_TESTS_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A broken invariant is a finding: abort so that libFuzzer (or the replay
 * driver's caller) records the input. */
#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__,      \
				#cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* Consumes the input front to back; past the end every read yields zeros,
 * so a harness never has to special-case short inputs. */
struct fuzz_in {
	const uint8_t *p;
	size_t left;
};

static inline void fuzz_in_init(struct fuzz_in *in, const uint8_t *data, size_t size)
{
	in->p = data;
	in->left = size;
}

static inline size_t fuzz_bytes(struct fuzz_in *in, void *dst, size_t n)
{
	size_t got = n < in->left ? n : in->left;

	if (got)
		memcpy(dst, in->p, got);
	memset((uint8_t *)dst + got, 0, n - got);
	in->p += got;
	in->left -= got;
	return got;
}

static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
	uint8_t v;

	fuzz_bytes(in, &v, sizeof(v));
	return v;
}

static inline uint16_t fuzz_u16(struct fuzz_in *in)
{
	uint16_t v;

	fuzz_bytes(in, &v, sizeof(v));
	return v;
}

static inline uint32_t fuzz_u32(struct fuzz_in *in)
{
	uint32_t v;

	fuzz_bytes(in, &v, sizeof(v));
	return v;
}

static inline uint64_t fuzz_u64(struct fuzz_in *in)
{
	uint64_t v;

	fuzz_bytes(in, &v, sizeof(v));
	return v;
}

/* Take up to n bytes in place; returns how many there were. */
static inline size_t fuzz_take(struct fuzz_in *in, const uint8_t **p, size_t n)
{
	size_t got = n < in->left ? n : in->left;

	*p = in->p;
	in->p += got;
	in->left -= got;
	return got;
}

#endif
