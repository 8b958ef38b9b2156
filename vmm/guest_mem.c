/* guest_mem.c: guest RAM mapping and the checked guest-physical address accessor. */
#include "vmm/guest_mem.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "common/err.h"
#include "common/log.h"
#include "vmm/layout.h"

#define MIN_RAM (16ULL << 20)
#define PAGE_4K 0x1000ULL
#define PAGE_2M 0x200000ULL

/*
 * An anonymous mapping of `size` bytes that starts on a 2 MiB boundary. KVM
 * maps guest memory with 2 MiB pages only where guest-physical and host
 * addresses agree modulo 2 MiB, and a transparent huge page only fills an
 * aligned 2 MiB range: an unaligned mapping leaves the guest on 4 KiB pages,
 * one nested page fault per page it touches. A PROT_NONE reservation 2 MiB
 * larger is placed first, the aligned part mapped over it, the rest returned.
 */
static void *map_aligned(size_t size, int mflags)
{
	size_t span = size + PAGE_2M;
	uint8_t *r, *a;
	void *p;

	r = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r == MAP_FAILED)
		return MAP_FAILED;
	a = (uint8_t *)(((uintptr_t)r + PAGE_2M - 1) & ~(uintptr_t)(PAGE_2M - 1));
	p = mmap(a, size, PROT_READ | PROT_WRITE, mflags | MAP_FIXED, -1, 0);
	if (p == MAP_FAILED) {
		int err = errno;

		munmap(r, span);
		errno = err;
		return MAP_FAILED;
	}
	if (a > r)
		munmap(r, (size_t)(a - r));
	if (r + span > a + size)
		munmap(a + size, (size_t)(r + span - (a + size)));
	return p;
}

int guest_mem_init(struct guest_mem *m, uint64_t size, unsigned flags, char *err, size_t errlen)
{
	uint64_t low, high;
	int mflags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
	void *p;

	memset(m, 0, sizeof(*m));
	if (size < MIN_RAM || size % PAGE_4K)
		return hy_err(err, errlen, -EINVAL,
			      "guest memory size %#llx is invalid: it must be a multiple of 4 KiB "
			      "and at least 16 MiB",
			      (unsigned long long)size);
	if ((flags & GUEST_MEM_HUGEPAGES) && size % PAGE_2M)
		return hy_err(err, errlen, -EINVAL,
			      "guest memory size %#llx is not a multiple of 2 MiB, which hugetlb "
			      "backing needs",
			      (unsigned long long)size);
	low = size < HY_MMIO_HOLE_START ? size : HY_MMIO_HOLE_START;
	high = size - low;
	/* Region 1 starts at 4 GiB: its end must stay representable. */
	if (high > UINT64_MAX - HY_MMIO_HOLE_END || size > SIZE_MAX)
		return hy_err(err, errlen, -EINVAL, "guest memory size %#llx is too large",
			      (unsigned long long)size);

	/*
	 * hugetlb pages are taken from a fixed pool: with MAP_NORESERVE an empty
	 * pool would surface as SIGBUS on the first guest access instead of a
	 * clean mmap() failure here.
	 */
	if (flags & GUEST_MEM_HUGEPAGES)
		mflags = (mflags & ~MAP_NORESERVE) | MAP_HUGETLB;
	/* Only when asked: it costs time and memory the guest may never use. */
	if (flags & GUEST_MEM_PREFAULT)
		mflags = (mflags & ~MAP_NORESERVE) | MAP_POPULATE;
	/*
	 * One host mapping for both regions keeps teardown trivial; the guest
	 * never sees the host layout, only the per-region gpa ranges below.
	 * MAP_NORESERVE: RAM the guest never touches costs nothing.
	 */
	if (flags & GUEST_MEM_HUGEPAGES) /* hugetlb mappings are aligned anyway */
		p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, mflags, -1, 0);
	else
		p = map_aligned((size_t)size, mflags);
	if (p == MAP_FAILED) {
		if (flags & GUEST_MEM_HUGEPAGES)
			return hy_err(err, errlen, -errno,
				      "mapping %llu MiB of hugetlb guest memory: %s (are enough "
				      "2 MiB pages reserved in /proc/sys/vm/nr_hugepages?)",
				      (unsigned long long)(size >> 20), strerror(errno));
		return hy_err(err, errlen, -errno, "mapping %llu MiB of guest memory: %s",
			      (unsigned long long)(size >> 20), strerror(errno));
	}
	if ((flags & GUEST_MEM_THP) && madvise(p, (size_t)size, MADV_HUGEPAGE) < 0)
		/* Only a performance hint: a kernel without THP still runs the guest. */
		log_warn("madvise(MADV_HUGEPAGE) on guest memory: %s", strerror(errno));

	m->regions[0].gpa = 0;
	m->regions[0].size = low;
	m->regions[0].host = p;
	m->nr_regions = 1;
	if (high) {
		m->regions[1].gpa = HY_MMIO_HOLE_END;
		m->regions[1].size = high;
		m->regions[1].host = (uint8_t *)p + low;
		m->nr_regions = 2;
	}
	m->ram_size = size;
	return 0;
}

void guest_mem_free(struct guest_mem *m)
{
	if (m->nr_regions && m->regions[0].host)
		munmap(m->regions[0].host, (size_t)m->ram_size);
	memset(m, 0, sizeof(*m));
}

void *guest_mem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	unsigned i;

	if (!m)
		return NULL;
	for (i = 0; i < m->nr_regions && i < GUEST_MEM_MAX_REGIONS; i++) {
		const struct guest_region *r = &m->regions[i];
		uint64_t off;

		if (gpa < r->gpa)
			continue;
		off = gpa - r->gpa;
		/*
		 * Written as two comparisons against the region size so that
		 * no sum of guest-controlled values is ever formed: gpa + len
		 * may wrap, size - off cannot once off <= size.
		 */
		if (off > r->size || len > r->size - off)
			continue;
		return r->host + off;
	}
	return NULL;
}

int guest_mem_read(const struct guest_mem *m, uint64_t gpa, void *dst, size_t len)
{
	const void *src = guest_mem_ptr(m, gpa, len);

	if (!src)
		return -EFAULT;
	memcpy(dst, src, len);
	return 0;
}

int guest_mem_write(const struct guest_mem *m, uint64_t gpa, const void *src, size_t len)
{
	void *dst = guest_mem_ptr(m, gpa, len);

	if (!dst)
		return -EFAULT;
	memcpy(dst, src, len);
	return 0;
}

uint64_t guest_mem_low_end(const struct guest_mem *m)
{
	if (!m->nr_regions || m->regions[0].gpa != 0)
		return 0;
	return m->regions[0].size;
}
