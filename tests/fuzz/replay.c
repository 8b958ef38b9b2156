/* replay.c: a main() for the fuzz harnesses that needs no libFuzzer (any C compiler).
 *
 *   fuzz-NAME [-n ITERATIONS] [-s SEED] [-t SECONDS] [-m MAX_LEN] [FILE|DIR ...]
 *
 * Runs every FILE (and every regular file in each DIR) through
 * LLVMFuzzerTestOneInput(), then ITERATIONS inputs made by seeded random
 * mutation of those files (or random bytes when there are none), stopping
 * early after SECONDS. The same seed always gives the same inputs. When an
 * input makes the process abort (a sanitizer report, a failed FUZZ_CHECK),
 * it is written to ./crash-NAME-PID (or $FUZZ_CRASH_DIR/crash-NAME-PID) first.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tests/fuzz/fuzz.h"

/* Sanitizer settings that make every finding fatal and visible; they apply
 * when the binary is built with -fsanitize and are overridden by the
 * environment (ASAN_OPTIONS, UBSAN_OPTIONS). */
const char *__asan_default_options(void);
const char *__ubsan_default_options(void);

const char *__asan_default_options(void)
{
	return "abort_on_error=1:halt_on_error=1:detect_leaks=1:allocator_may_return_null=1";
}

const char *__ubsan_default_options(void)
{
	return "halt_on_error=1:abort_on_error=1:print_stacktrace=1";
}

__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

struct input {
	uint8_t *data;
	size_t size;
	char *name;
};

static struct input *corpus;
static size_t nr_corpus;
static uint64_t rng_state;

/* The input being run, for the abort handler. */
static const uint8_t *cur_data;
static size_t cur_size;
static char crash_path[4096];

static void on_fatal(int sig)
{
	int fd = open(crash_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd >= 0) {
		size_t off = 0;

		while (off < cur_size) {
			ssize_t n = write(fd, cur_data + off, cur_size - off);

			if (n <= 0)
				break;
			off += (size_t)n;
		}
		close(fd);
		if (write(STDERR_FILENO, "replay: input saved to ", 23) < 0 ||
		    write(STDERR_FILENO, crash_path, strlen(crash_path)) < 0 ||
		    write(STDERR_FILENO, "\n", 1) < 0)
			(void)0;
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static uint64_t rnd(void)
{
	/* xorshift64*: small, fast and fully determined by the seed. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static size_t rnd_below(size_t n)
{
	return n ? (size_t)(rnd() % n) : 0;
}

static int read_file(const char *path, struct input *in)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 4096, len = 0;
	uint8_t *buf = malloc(cap);

	if (!f || !buf) {
		free(buf);
		if (f)
			fclose(f);
		return -1;
	}
	for (;;) {
		size_t n = fread(buf + len, 1, cap - len, f);

		len += n;
		if (len < cap)
			break;
		cap *= 2;
		buf = realloc(buf, cap);
		if (!buf) {
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	in->data = buf;
	in->size = len;
	in->name = strdup(path);
	return 0;
}

static void add_file(const char *path)
{
	struct input in;

	if (read_file(path, &in) < 0) {
		fprintf(stderr, "replay: cannot read %s: %s\n", path, strerror(errno));
		exit(2);
	}
	corpus = realloc(corpus, (nr_corpus + 1) * sizeof(*corpus));
	if (!corpus)
		abort();
	corpus[nr_corpus++] = in;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static void add_path(const char *path)
{
	struct dirent **ents;
	struct stat st;
	int n;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	if (!S_ISDIR(st.st_mode)) {
		add_file(path);
		return;
	}
	/* Sorted, so a run is the same wherever the files came from. */
	n = scandir(path, &ents, NULL, by_name);
	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	for (int i = 0; i < n; i++) {
		char sub[4096];

		snprintf(sub, sizeof(sub), "%s/%s", path, ents[i]->d_name);
		if (ents[i]->d_name[0] != '.' && stat(sub, &st) == 0 && S_ISREG(st.st_mode))
			add_file(sub);
		free(ents[i]);
	}
	free(ents);
}

/* Run one input from an allocation of exactly its size, so that the
 * sanitizers see any read past its end. */
static void run_one(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);

	if (!copy)
		abort();
	if (size)
		memcpy(copy, data, size);
	cur_data = copy;
	cur_size = size;
	LLVMFuzzerTestOneInput(copy, size);
	cur_data = NULL;
	cur_size = 0;
	free(copy);
}

static const uint64_t interesting[] = {
    0,		1,
    2,		0x7f,
    0x80,	0xff,
    0x100,	0x7fff,
    0x8000,	0xffff,
    0x10000,	0x7fffffff,
    0x80000000, 0xffffffff,
    0x100000,	0xfff,
    0x1000,	16,
    64,		512,
    4096,	0x8000000000000000ULL,
    ~0ULL,
};

/* One random edit of buf (length *len, capacity cap). */
static void mutate_once(uint8_t *buf, size_t *len, size_t cap)
{
	size_t n = *len, pos = rnd_below(n), k;

	switch (rnd_below(9)) {
	case 0: /* flip a bit */
		if (n)
			buf[pos] ^= (uint8_t)(1u << rnd_below(8));
		break;
	case 1: /* random byte */
		if (n)
			buf[pos] = (uint8_t)rnd();
		break;
	case 2: /* small add/subtract */
		if (n)
			buf[pos] = (uint8_t)(buf[pos] + (int)rnd_below(33) - 16);
		break;
	case 3: { /* an interesting value, 1, 2, 4 or 8 bytes wide */
		uint64_t v = interesting[rnd_below(sizeof(interesting) / sizeof(interesting[0]))];
		size_t w = (size_t)1 << rnd_below(4);

		if (n >= w) {
			pos = rnd_below(n - w + 1);
			memcpy(buf + pos, &v, w);
		}
		break;
	}
	case 4: /* insert random bytes */
		k = 1 + rnd_below(16);
		if (n + k <= cap) {
			memmove(buf + pos + k, buf + pos, n - pos);
			for (size_t i = 0; i < k; i++)
				buf[pos + i] = (uint8_t)rnd();
			*len = n + k;
		}
		break;
	case 5: /* delete a range */
		if (n) {
			k = 1 + rnd_below(n - pos < 32 ? n - pos : 32);
			memmove(buf + pos, buf + pos + k, n - pos - k);
			*len = n - k;
		}
		break;
	case 6: /* copy a range over another place */
		if (n > 1) {
			size_t src = rnd_below(n);

			k = 1 + rnd_below(n - (src > pos ? src : pos));
			memmove(buf + pos, buf + src, k);
		}
		break;
	case 7: /* splice in part of another corpus entry */
		if (nr_corpus) {
			const struct input *o = &corpus[rnd_below(nr_corpus)];

			if (o->size) {
				size_t src = rnd_below(o->size);

				k = 1 + rnd_below(o->size - src);
				if (pos + k > cap)
					k = cap - pos;
				memcpy(buf + pos, o->data + src, k);
				if (pos + k > n)
					*len = pos + k;
			}
		}
		break;
	default: /* truncate */
		*len = pos;
		break;
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-n ITERATIONS] [-s SEED] [-t SECONDS] [-m MAX_LEN] [FILE|DIR ...]\n",
		prog);
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long long iterations = 0, seed = 1, done = 0;
	size_t max_len = 4096;
	double limit = 0, start;
	const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	const char *dir = getenv("FUZZ_CRASH_DIR");
	uint8_t *buf;
	int opt;

	LLVMFuzzerInitialize(&argc, &argv);
	while ((opt = getopt(argc, argv, "n:s:t:m:h")) != -1) {
		switch (opt) {
		case 'n':
			iterations = strtoull(optarg, NULL, 0);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 't':
			limit = strtod(optarg, NULL);
			break;
		case 'm':
			max_len = strtoull(optarg, NULL, 0);
			break;
		default:
			usage(argv[0]);
		}
	}
	if (max_len == 0)
		usage(argv[0]);
	for (int i = optind; i < argc; i++)
		add_path(argv[i]);

	snprintf(crash_path, sizeof(crash_path), "%s/crash-%s-%d", dir ? dir : ".", prog,
		 (int)getpid());
	signal(SIGABRT, on_fatal);
	signal(SIGSEGV, on_fatal);
	signal(SIGBUS, on_fatal);
	signal(SIGFPE, on_fatal);
	signal(SIGILL, on_fatal);

	start = now();
	for (size_t i = 0; i < nr_corpus; i++)
		run_one(corpus[i].data, corpus[i].size);

	/* Zero would make xorshift stay at zero. */
	rng_state = seed * 0x9e3779b97f4a7c15ULL + 1;
	buf = malloc(max_len);
	if (!buf)
		abort();
	for (; done < iterations; done++) {
		size_t len;

		if (limit > 0 && (done & 63) == 0 && now() - start > limit)
			break;
		if (nr_corpus && rnd_below(8)) {
			const struct input *base = &corpus[rnd_below(nr_corpus)];
			unsigned edits = 1 + (unsigned)rnd_below(8);

			len = base->size < max_len ? base->size : max_len;
			memcpy(buf, base->data, len);
			while (edits--)
				mutate_once(buf, &len, max_len);
		} else {
			len = rnd_below(max_len + 1);
			for (size_t j = 0; j < len; j++)
				buf[j] = (uint8_t)rnd();
		}
		run_one(buf, len);
	}
	fprintf(stderr, "%s: %zu corpus inputs, %llu random inputs (seed %llu) in %.1f s\n", prog,
		nr_corpus, done, seed, now() - start);
	free(buf);
	for (size_t i = 0; i < nr_corpus; i++) {
		free(corpus[i].data);
		free(corpus[i].name);
	}
	free(corpus);
	return 0;
}
