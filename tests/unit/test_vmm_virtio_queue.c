/* test_vmm_virtio_queue.c: split virtqueue walking against hand-built rings. */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <linux/virtio_ring.h>

#include "vmm/virtio/queue.h"

#define RAM_GPA 0x1000ULL
#define RAM_SIZE 0x40000ULL
#define QSIZE 8
#define DESC_GPA 0x2000ULL
#define AVAIL_GPA 0x3000ULL
#define USED_GPA 0x4000ULL
#define TABLE_GPA 0x8000ULL /* indirect tables */
#define BUF_GPA 0x10000ULL
#define BIG_GPA 0x100000000ULL /* second region: address space only */
#define BIG_SIZE 0x200000000ULL

static struct guest_mem mem;
static uint8_t *ram;
static void *big;
static struct virtq q;
static struct virtq_elem e;

static void *gpa(uint64_t a)
{
	return ram + (a - RAM_GPA);
}

static struct vring_desc *desc_at(uint64_t table, unsigned i)
{
	return (struct vring_desc *)gpa(table) + i;
}

static void set_desc(uint64_t table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	struct vring_desc *d = desc_at(table, i);

	d->addr = addr;
	d->len = len;
	d->flags = flags;
	d->next = next;
}

static struct vring_avail *avail(void)
{
	return gpa(AVAIL_GPA);
}

static struct vring_used *used(void)
{
	return gpa(USED_GPA);
}

static void avail_add(uint16_t head)
{
	avail()->ring[avail()->idx % QSIZE] = head;
	avail()->idx++;
}

static uint16_t *used_event(void)
{
	return &avail()->ring[QSIZE];
}

static uint16_t *avail_event(void)
{
	return gpa(USED_GPA + 4 + 8 * QSIZE);
}

static void setup(void)
{
	ram = aligned_alloc(4096, RAM_SIZE);
	cr_assert_not_null(ram);
	memset(ram, 0, RAM_SIZE);
	/* Backs a huge region with reserved address space only: the queue
	 * code must never touch buffer memory while walking a chain. */
	big = mmap(NULL, BIG_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	cr_assert_neq(big, MAP_FAILED);
	memset(&mem, 0, sizeof(mem));
	mem.regions[0] = (struct guest_region){.gpa = RAM_GPA, .size = RAM_SIZE, .host = ram};
	mem.regions[1] = (struct guest_region){.gpa = BIG_GPA, .size = BIG_SIZE, .host = big};
	mem.nr_regions = 2;
	mem.ram_size = RAM_SIZE + BIG_SIZE;

	q.mem = &mem;
	virtq_reset(&q);
	q.size = QSIZE;
	q.desc_gpa = DESC_GPA;
	q.avail_gpa = AVAIL_GPA;
	q.used_gpa = USED_GPA;
	q.ready = true;
}

static void teardown(void)
{
	munmap(big, BIG_SIZE);
	free(ram);
}

TestSuite(virtq, .init = setup, .fini = teardown);

Test(virtq, empty_and_not_ready)
{
	cr_assert_eq(virtq_pop(&q, &e), 0);
	cr_assert_eq(virtq_pending(&q), 0);
	set_desc(DESC_GPA, 0, BUF_GPA, 8, 0, 0);
	avail_add(0);
	q.ready = false;
	cr_assert_eq(virtq_pop(&q, &e), 0);
	cr_assert_eq(virtq_pending(&q), 0);
	q.ready = true;
	cr_assert_eq(virtq_pending(&q), 1);
}

Test(virtq, simple_chain)
{
	uint8_t out[16], in[40] = {0}, back[16];

	for (unsigned i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(i * 7 + 1);
	memcpy(gpa(BUF_GPA), out, sizeof(out));
	set_desc(DESC_GPA, 3, BUF_GPA, 16, VRING_DESC_F_NEXT, 5);
	set_desc(DESC_GPA, 5, BUF_GPA + 0x100, 24, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1);
	set_desc(DESC_GPA, 1, BUF_GPA + 0x200, 16, VRING_DESC_F_WRITE, 0);
	avail_add(3);

	cr_assert_eq(virtq_pending(&q), 1);
	cr_assert_eq(virtq_pop(&q, &e), 1);
	cr_assert_eq(e.head, 3);
	cr_assert_eq(e.n_out, 1);
	cr_assert_eq(e.n_in, 2);
	cr_assert_eq(e.out_len, 16);
	cr_assert_eq(e.in_len, 40);
	cr_assert_eq(e.iov[0].iov_base, gpa(BUF_GPA));
	cr_assert_eq(e.iov[1].iov_base, gpa(BUF_GPA + 0x100));
	cr_assert_eq(e.iov[2].iov_base, gpa(BUF_GPA + 0x200));
	cr_assert_eq(e.iov[2].iov_len, 16);

	cr_assert_eq(virtq_elem_read(&e, 0, back, sizeof(back)), 16);
	cr_assert_arr_eq(back, out, sizeof(out));
	cr_assert_eq(virtq_elem_read(&e, 10, back, sizeof(back)), 6);
	cr_assert_arr_eq(back, out + 10, 6);

	/* A write crossing from the first writable buffer into the second. */
	for (unsigned i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(0xa0 + i);
	cr_assert_eq(virtq_elem_write(&e, 20, in, sizeof(in)), 20);
	cr_assert_arr_eq((uint8_t *)gpa(BUF_GPA + 0x100) + 20, in, 4);
	cr_assert_arr_eq(gpa(BUF_GPA + 0x200), in + 4, 16);

	cr_assert_eq(virtq_pop(&q, &e), 0);
	cr_assert_eq(virtq_pending(&q), 0);
}

Test(virtq, full_length_chain_is_fine)
{
	for (unsigned i = 0; i < QSIZE; i++)
		set_desc(DESC_GPA, i, BUF_GPA + i * 0x10, 0x10,
			 i + 1 < QSIZE ? VRING_DESC_F_NEXT : 0, (uint16_t)(i + 1));
	avail_add(0);
	cr_assert_eq(virtq_pop(&q, &e), 1);
	cr_assert_eq(e.n_out, QSIZE);
	cr_assert_eq(e.out_len, QSIZE * 0x10);
}

Test(virtq, descriptor_loop)
{
	set_desc(DESC_GPA, 0, BUF_GPA, 8, VRING_DESC_F_NEXT, 1);
	set_desc(DESC_GPA, 1, BUF_GPA, 8, VRING_DESC_F_NEXT, 0);
	avail_add(0);
	cr_assert_eq(virtq_pop(&q, &e), -EINVAL);
}

Test(virtq, self_loop)
{
	set_desc(DESC_GPA, 2, BUF_GPA, 8, VRING_DESC_F_NEXT, 2);
	avail_add(2);
	cr_assert_eq(virtq_pop(&q, &e), -EINVAL);
}

Test(virtq, chain_longer_than_queue)
{
	/* Every descriptor once, then back into the chain: QSIZE + 1 steps. */
	for (unsigned i = 0; i < QSIZE; i++)
		set_desc(DESC_GPA, i, BUF_GPA, 8, VRING_DESC_F_NEXT, (uint16_t)((i + 1) % QSIZE));
	avail_add(0);
	cr_assert_eq(virtq_pop(&q, &e), -EINVAL);
}

Test(virtq, next_out_of_range)
{
	set_desc(DESC_GPA, 0, BUF_GPA, 8, VRING_DESC_F_NEXT, QSIZE);
	avail_add(0);
	cr_assert_eq(virtq_pop(&q, &e), -EINVAL);
}

Test(virtq, bad_head_index)
{
	avail_add(QSIZE);
	cr_assert_eq(virtq_pop(&q, &e), -EINVAL);
	avail()->ring[0] = 0xffff;
	cr_assert_eq(virtq_pop(&q, &e), -EINVAL);
}

Test(virtq, avail_idx_jump)
{
	set_desc(DESC_GPA, 0, BUF_GPA, 8, 0, 0);
	avail()->idx = QSIZE;
	cr_assert_eq(virtq_pending(&q), QSIZE);
	avail()->idx = QSIZE + 1;
	cr_assert_eq(virtq_pop(&q, &e), -EINVAL);
	cr_assert_eq(virtq_pending(&q), 0);
	/* Going backwards is a jump of almost 2^16. */
	avail()->idx = 0xffff;
	cr_assert_eq(virtq_pop(&q, &e), -EINVAL);
}

Test(virtq, addresses_outside_ram)
{
	set_desc(DESC_GPA, 0, RAM_GPA + RAM_SIZE - 8, 16, 0, 0);
	avail_add(0);
	cr_assert_eq(virtq_pop(&q, &e), -EINVAL);

	set_desc(DESC_GPA, 0, RAM_GPA - 8, 8, 0, 0);
	cr_assert_eq(virtq_pop(&q, &e), -EINVAL);

	set_desc(DESC_GPA, 0, 0, 8, 0, 0);
	cr_assert_eq(virtq_pop(&q, &e), -EINVAL);

	/* addr + len wraps around 2^64. */
	set_desc(DESC_GPA, 0, 0xfffffffffffffff0ULL, 0x20, 0, 0);
	cr_assert_eq(virtq_pop(&q, &e), -EINVAL);

	/* Exactly the last bytes of RAM are fine. */
	set_desc(DESC_GPA, 0, RAM_GPA + RAM_SIZE - 8, 8, 0, 0);
	cr_assert_eq(virtq_pop(&q, &e), 1);
}

Test(virtq, rings_outside_ram_or_misaligned)
{
	set_desc(DESC_GPA, 0, BUF_GPA, 8, 0, 0);
	avail_add(0);
	q.used_gpa = RAM_GPA + RAM_SIZE - 16;
	cr_assert_eq(virtq_pop(&q, &e), -EINVAL);
	q.used_gpa = USED_GPA + 2;
	cr_assert_eq(virtq_pop(&q, &e), -EINVAL);
	q.used_gpa = USED_GPA;
	q.desc_gpa = DESC_GPA + 8;
	cr_assert_eq(virtq_pop(&q, &e), -EINVAL);
	q.desc_gpa = DESC_GPA;
	cr_assert_eq(virtq_pop(&q, &e), 1);
	cr_assert_eq(virtq_push(&q, 0, 0), 0);
	q.used_gpa = 0x10;
	cr_assert_eq(virtq_push(&q, 0, 0), -EINVAL);
}

Test(virtq, zero_length_buffer)
{
	set_desc(DESC_GPA, 0, BUF_GPA, 8, VRING_DESC_F_NEXT, 1);
	set_desc(DESC_GPA, 1, BUF_GPA, 0, VRING_DESC_F_WRITE, 0);
	avail_add(0);
	cr_assert_eq(virtq_pop(&q, &e), -EINVAL);
}

Test(virtq, total_length_overflow)
{
	/* One 4 GiB - 1 buffer is the most a chain may carry. */
	set_desc(DESC_GPA, 0, BIG_GPA, 0xffffffff, 0, 0);
	avail_add(0);
	cr_assert_eq(virtq_pop(&q, &e), 1);
	cr_assert_eq(e.out_len, 0xffffffffULL);

	set_desc(DESC_GPA, 1, BIG_GPA, 0xffffffff, VRING_DESC_F_NEXT, 2);
	set_desc(DESC_GPA, 2, BIG_GPA + 0x100000000ULL, 1, VRING_DESC_F_WRITE, 0);
	avail_add(1);
	cr_assert_eq(virtq_pop(&q, &e), -EINVAL);
}

Test(virtq, readable_after_writable)
{
	set_desc(DESC_GPA, 0, BUF_GPA, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	set_desc(DESC_GPA, 1, BUF_GPA + 8, 8, 0, 0);
	avail_add(0);
	cr_assert_eq(virtq_pop(&q, &e), -EINVAL);
}

static void build_table(unsigned n, uint16_t last_flags)
{
	for (unsigned i = 0; i < n; i++)
		set_desc(TABLE_GPA, i, BUF_GPA + i * 4, 4, VRING_DESC_F_NEXT, (uint16_t)(i + 1));
	desc_at(TABLE_GPA, n - 1)->flags = last_flags;
}

Test(virtq, indirect_good)
{
	q.indirect = true;
	set_desc(TABLE_GPA, 0, BUF_GPA, 16, VRING_DESC_F_NEXT, 2);
	set_desc(TABLE_GPA, 2, BUF_GPA + 0x100, 32, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1);
	set_desc(TABLE_GPA, 1, BUF_GPA + 0x200, 64, VRING_DESC_F_WRITE, 0);
	/* The WRITE flag on the table descriptor itself is ignored. */
	set_desc(DESC_GPA, 4, TABLE_GPA, 3 * 16, VRING_DESC_F_INDIRECT | VRING_DESC_F_WRITE, 0);
	avail_add(4);
	cr_assert_eq(virtq_pop(&q, &e), 1);
	cr_assert_eq(e.head, 4);
	cr_assert_eq(e.n_out, 1);
	cr_assert_eq(e.n_in, 2);
	cr_assert_eq(e.out_len, 16);
	cr_assert_eq(e.in_len, 96);
	cr_assert_eq(e.iov[2].iov_base, gpa(BUF_GPA + 0x200));
}

Test(virtq, indirect_max_segments)
{
	q.indirect = true;
	build_table(VIRTQ_MAX_SEGS, 0);
	set_desc(DESC_GPA, 0, TABLE_GPA, VIRTQ_MAX_SEGS * 16, VRING_DESC_F_INDIRECT, 0);
	avail_add(0);
	cr_assert_eq(virtq_pop(&q, &e), 1);
	cr_assert_eq(e.n_out, VIRTQ_MAX_SEGS);

	build_table(VIRTQ_MAX_SEGS + 1, 0);
	set_desc(DESC_GPA, 1, TABLE_GPA, (VIRTQ_MAX_SEGS + 1) * 16, VRING_DESC_F_INDIRECT, 0);
	avail_add(1);
	cr_assert_eq(virtq_pop(&q, &e), -EINVAL);
}

Test(virtq, indirect_bad)
{
	q.indirect = false;
	build_table(3, 0);
	set_desc(DESC_GPA, 0, TABLE_GPA, 48, VRING_DESC_F_INDIRECT, 0);
	avail_add(0);
	/* Not negotiated. */
	cr_assert_eq(virtq_pop(&q, &e), -EINVAL);
	q.indirect = true;
	cr_assert_eq(virtq_pop(&q, &e), 1);

	/* Length not a multiple of 16, and zero. */
	set_desc(DESC_GPA, 0, TABLE_GPA, 40, VRING_DESC_F_INDIRECT, 0);
	avail_add(0);
	cr_assert_eq(virtq_pop(&q, &e), -EINVAL);
	set_desc(DESC_GPA, 0, TABLE_GPA, 0, VRING_DESC_F_INDIRECT, 0);
	cr_assert_eq(virtq_pop(&q, &e), -EINVAL);

	/* Table outside RAM. */
	set_desc(DESC_GPA, 0, RAM_GPA + RAM_SIZE - 32, 48, VRING_DESC_F_INDIRECT, 0);
	cr_assert_eq(virtq_pop(&q, &e), -EINVAL);

	/* INDIRECT together with NEXT. */
	set_desc(DESC_GPA, 0, TABLE_GPA, 48, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1);
	set_desc(DESC_GPA, 1, BUF_GPA, 8, 0, 0);
	cr_assert_eq(virtq_pop(&q, &e), -EINVAL);

	/* Nested table. */
	set_desc(DESC_GPA, 0, TABLE_GPA, 48, VRING_DESC_F_INDIRECT, 0);
	set_desc(TABLE_GPA, 1, TABLE_GPA, 48, VRING_DESC_F_INDIRECT, 0);
	cr_assert_eq(virtq_pop(&q, &e), -EINVAL);

	/* A loop inside the table. */
	build_table(3, VRING_DESC_F_NEXT);
	desc_at(TABLE_GPA, 2)->next = 0;
	cr_assert_eq(virtq_pop(&q, &e), -EINVAL);

	/* next beyond the table's end. */
	build_table(3, VRING_DESC_F_NEXT);
	desc_at(TABLE_GPA, 2)->next = 3;
	cr_assert_eq(virtq_pop(&q, &e), -EINVAL);

	/* Readable after writable inside the table. */
	build_table(3, 0);
	desc_at(TABLE_GPA, 0)->flags |= VRING_DESC_F_WRITE;
	cr_assert_eq(virtq_pop(&q, &e), -EINVAL);

	/* A table referenced from the middle of a chain. */
	build_table(3, 0);
	set_desc(DESC_GPA, 0, BUF_GPA, 8, VRING_DESC_F_NEXT, 1);
	set_desc(DESC_GPA, 1, TABLE_GPA, 48, VRING_DESC_F_INDIRECT, 0);
	cr_assert_eq(virtq_pop(&q, &e), -EINVAL);
}

Test(virtq, used_ring_after_push)
{
	cr_assert_eq(virtq_push(&q, 3, 42), 0);
	cr_assert_eq(used()->idx, 1);
	cr_assert_eq(used()->ring[0].id, 3);
	cr_assert_eq(used()->ring[0].len, 42);
	cr_assert_eq(virtq_push(&q, 7, 0x12345678), 0);
	cr_assert_eq(used()->idx, 2);
	cr_assert_eq(used()->ring[1].id, 7);
	cr_assert_eq(used()->ring[1].len, 0x12345678);
	cr_assert_eq(virtq_push(&q, QSIZE, 1), -EINVAL);
	cr_assert_eq(used()->idx, 2);

	/* Indices run free and wrap at 2^16; ring slots wrap at the size. */
	q.used_idx = 0xffff;
	cr_assert_eq(virtq_push(&q, 1, 5), 0);
	cr_assert_eq(used()->ring[QSIZE - 1].id, 1);
	cr_assert_eq(used()->idx, 0);
	cr_assert_eq(virtq_push(&q, 2, 6), 0);
	cr_assert_eq(used()->ring[0].id, 2);
	cr_assert_eq(used()->idx, 1);
}

Test(virtq, notify_without_event_idx)
{
	cr_assert_not(virtq_should_notify(&q), "nothing pushed yet");
	virtq_push(&q, 0, 0);
	cr_assert(virtq_should_notify(&q));
	cr_assert_not(virtq_should_notify(&q), "nothing new since last time");
	avail()->flags = VRING_AVAIL_F_NO_INTERRUPT;
	virtq_push(&q, 0, 0);
	cr_assert_not(virtq_should_notify(&q));
	avail()->flags = 0;
	virtq_push(&q, 0, 0);
	cr_assert(virtq_should_notify(&q));
}

Test(virtq, notify_event_idx_math)
{
	q.event_idx = true;
	/* NO_INTERRUPT is ignored with event idx (section 2.7.10). */
	avail()->flags = VRING_AVAIL_F_NO_INTERRUPT;
	*used_event() = 0;
	virtq_push(&q, 0, 0);
	cr_assert(virtq_should_notify(&q), "first notification always goes out");

	/* The driver wants an interrupt once used idx passes 5. */
	*used_event() = 5;
	virtq_push(&q, 0, 0); /* used idx 2 */
	cr_assert_not(virtq_should_notify(&q));
	for (int i = 0; i < 3; i++)
		virtq_push(&q, 0, 0); /* 5 */
	cr_assert_not(virtq_should_notify(&q));
	virtq_push(&q, 0, 0); /* 6: entry 5 was filled */
	cr_assert(virtq_should_notify(&q));
	cr_assert_not(virtq_should_notify(&q));

	/* A used_event behind the window: no interrupt. */
	*used_event() = 2;
	virtq_push(&q, 0, 0);
	cr_assert_not(virtq_should_notify(&q));

	/* Across the 16-bit wrap. */
	q.used_idx = 0xfffe;
	q.signalled_used = 0xfffe;
	*used_event() = 0xffff;
	virtq_push(&q, 0, 0);
	virtq_push(&q, 0, 0); /* 0xfffe -> 0 */
	cr_assert(virtq_should_notify(&q));
}

Test(virtq, avail_event_published)
{
	q.event_idx = true;
	*avail_event() = 0x7777;
	cr_assert_eq(virtq_pop(&q, &e), 0);
	cr_assert_eq(*avail_event(), 0);

	set_desc(DESC_GPA, 0, BUF_GPA, 8, 0, 0);
	avail_add(0);
	avail_add(0);
	cr_assert_eq(virtq_pop(&q, &e), 1);
	cr_assert_eq(virtq_pop(&q, &e), 1);
	cr_assert_eq(virtq_pop(&q, &e), 0);
	cr_assert_eq(*avail_event(), 2);

	q.event_idx = false;
	*avail_event() = 0x7777;
	virtq_update_avail_event(&q);
	cr_assert_eq(*avail_event(), 0x7777);
}
