/* fuzz_queue.c: virtq_pop/virtq_push over a guest memory image the input controls.
 *
 * Input: queue configuration, then an op script, then the image of low guest
 * RAM (rings, descriptors, indirect tables). Every element popped must
 * describe buffers that lie wholly inside guest RAM, with lengths that add up.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "vmm/guest_mem.h"
#include "vmm/virtio/queue.h"

/* Two regions with a hole between them, so that a buffer spanning the hole
 * or ending just past a region is representable. */
#define LOW_SIZE 0x4000u
#define HIGH_GPA 0x10000u
#define HIGH_SIZE 0x1000u

static uint8_t *low, *high;
static struct guest_mem gm;
static struct virtq_elem elem;
static uint8_t scratch[0x2000];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	low = aligned_alloc(4096, LOW_SIZE);
	high = aligned_alloc(4096, HIGH_SIZE);
	if (!low || !high)
		abort();
	gm.regions[0] = (struct guest_region){.gpa = 0, .size = LOW_SIZE, .host = low};
	gm.regions[1] = (struct guest_region){.gpa = HIGH_GPA, .size = HIGH_SIZE, .host = high};
	gm.nr_regions = 2;
	gm.ram_size = LOW_SIZE + HIGH_SIZE;
	return 0;
}

static bool in_region(const void *p, size_t len, const uint8_t *base, size_t size)
{
	const uint8_t *b = p;

	return b >= base && b <= base + size && len <= (size_t)(base + size - b);
}

static void check_elem(const struct virtq_elem *e, const struct virtq *q)
{
	uint64_t out = 0, in = 0;

	FUZZ_CHECK(e->head < q->size);
	FUZZ_CHECK(e->n_out + e->n_in <= VIRTQ_MAX_SEGS);
	FUZZ_CHECK(e->n_out + e->n_in > 0);
	for (unsigned i = 0; i < e->n_out + e->n_in; i++) {
		const struct iovec *v = &e->iov[i];

		FUZZ_CHECK(v->iov_len > 0);
		FUZZ_CHECK(in_region(v->iov_base, v->iov_len, low, LOW_SIZE) ||
			   in_region(v->iov_base, v->iov_len, high, HIGH_SIZE));
		if (i < e->n_out)
			out += v->iov_len;
		else
			in += v->iov_len;
	}
	FUZZ_CHECK(out == e->out_len && in == e->in_len);
	FUZZ_CHECK(out + in <= UINT32_MAX);
}

/* A ring address: mostly inside low RAM (near the rings), sometimes raw. */
static uint64_t pick_gpa(struct fuzz_in *in, unsigned align)
{
	uint8_t mode = fuzz_u8(in);

	if (mode < 0xf0)
		return (uint64_t)(fuzz_u16(in) % LOW_SIZE) & ~(uint64_t)(align - 1);
	if (mode < 0xf8)
		return HIGH_GPA + (fuzz_u16(in) % HIGH_SIZE);
	return fuzz_u64(in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in;
	struct virtq q;
	const uint8_t *ops, *image;
	size_t nr_ops, len;
	uint8_t flags;
	bool have_elem = false;

	fuzz_in_init(&in, data, size);
	memset(&q, 0, sizeof(q));
	flags = fuzz_u8(&in);
	/* Power-of-two sizes as the transport enforces, or anything when asked. */
	if (flags & 0x80)
		q.size = fuzz_u16(&in);
	else
		q.size = (uint16_t)(1u << (fuzz_u8(&in) % 11));
	q.ready = !(flags & 0x40);
	q.event_idx = flags & 1;
	q.indirect = flags & 2;
	q.mem = &gm;
	q.desc_gpa = pick_gpa(&in, 16);
	q.avail_gpa = pick_gpa(&in, 2);
	q.used_gpa = pick_gpa(&in, 4);
	if (flags & 4)
		q.last_avail_idx = q.used_idx = fuzz_u16(&in);
	nr_ops = fuzz_u8(&in) % 64;
	nr_ops = fuzz_take(&in, &ops, nr_ops);

	memset(low, 0, LOW_SIZE);
	memset(high, 0, HIGH_SIZE);
	len = fuzz_take(&in, &image, LOW_SIZE + HIGH_SIZE);
	memcpy(low, image, len < LOW_SIZE ? len : LOW_SIZE);
	if (len > LOW_SIZE)
		memcpy(high, image + LOW_SIZE, len - LOW_SIZE);

	/* With no script, pop until the ring is empty or broken. */
	if (nr_ops == 0) {
		for (int i = 0; i < 2 * VIRTQ_MAX_SIZE; i++) {
			int ret = virtq_pop(&q, &elem);

			FUZZ_CHECK(ret == 0 || ret == 1 || ret == -EINVAL);
			if (ret != 1)
				break;
			check_elem(&elem, &q);
			FUZZ_CHECK(virtq_push(&q, elem.head, (uint32_t)elem.in_len) == 0);
			virtq_should_notify(&q);
		}
		return 0;
	}

	for (size_t i = 0; i < nr_ops; i++) {
		uint8_t op = ops[i];
		uint16_t arg = (uint16_t)(op >> 3) * 131u;
		int ret;

		switch (op & 7) {
		case 0:
		case 1:
			ret = virtq_pop(&q, &elem);
			FUZZ_CHECK(ret == 0 || ret == 1 || ret == -EINVAL);
			if (ret == 1) {
				check_elem(&elem, &q);
				have_elem = true;
			}
			break;
		case 2:
			ret = virtq_push(&q, have_elem ? elem.head : arg, arg * 7u);
			FUZZ_CHECK(ret == 0 || ret == -EINVAL);
			break;
		case 3:
			virtq_should_notify(&q);
			break;
		case 4:
			virtq_update_avail_event(&q);
			FUZZ_CHECK(virtq_pending(&q) <= q.size);
			break;
		case 5:
			if (have_elem) {
				uint64_t n = virtq_elem_read(&elem, arg % 64, scratch,
							     (arg * 3u) % sizeof(scratch));

				FUZZ_CHECK(n <= (arg * 3u) % sizeof(scratch));
				FUZZ_CHECK(n <= elem.out_len);
			}
			break;
		case 6:
			if (have_elem) {
				uint64_t n = virtq_elem_write(&elem, arg % 64, scratch,
							      (arg * 5u) % sizeof(scratch));

				FUZZ_CHECK(n <= elem.in_len);
			}
			break;
		default:
			/* The guest changes its memory between two device steps. */
			low[(arg * 13u) % LOW_SIZE] ^= (uint8_t)(op | 1);
			break;
		}
	}
	return 0;
}
