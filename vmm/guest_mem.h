/* guest_mem.h: guest RAM and the one checked guest-physical address accessor.
 *
 * Contract: every access the VMM makes to guest memory on behalf of the guest
 * (virtqueues, buffers, boot structures) goes through guest_mem_ptr(), which
 * returns a host pointer only when [gpa, gpa + len) lies wholly inside one RAM
 * region, without overflow. A NULL return is the guest's fault and must be
 * handled as a malformed request, never dereferenced.
 */
#ifndef HYRUN_VMM_GUEST_MEM_H
#define HYRUN_VMM_GUEST_MEM_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#define GUEST_MEM_MAX_REGIONS 2

struct guest_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *host;
};

struct guest_mem {
	struct guest_region regions[GUEST_MEM_MAX_REGIONS];
	unsigned nr_regions;
	uint64_t ram_size; /* total RAM, as asked for */
};

enum guest_mem_flags {
	GUEST_MEM_HUGEPAGES = 1 << 0, /* back RAM with MAP_HUGETLB */
	GUEST_MEM_THP = 1 << 1,	      /* madvise(MADV_HUGEPAGE) */
	GUEST_MEM_PREFAULT = 1 << 2,  /* fault every page in now (MAP_POPULATE) */
};

/*
 * Map `size` bytes of anonymous RAM (size a multiple of 4 KiB, at least
 * 16 MiB): region 0 at gpa 0 up to min(size, HY_MMIO_HOLE_START), region 1
 * at HY_MMIO_HOLE_END for the rest. Nothing is pre-faulted.
 * Returns 0 or -errno with the reason in err.
 */
int guest_mem_init(struct guest_mem *m, uint64_t size, unsigned flags, char *err, size_t errlen);
void guest_mem_free(struct guest_mem *m);

/* Host pointer for [gpa, gpa+len) or NULL (see the contract above). len 0 is
 * valid when gpa is inside or at the end of a region. */
void *guest_mem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len);

/* Copy helpers built on guest_mem_ptr(); return 0 or -EFAULT. */
int guest_mem_read(const struct guest_mem *m, uint64_t gpa, void *dst, size_t len);
int guest_mem_write(const struct guest_mem *m, uint64_t gpa, const void *src, size_t len);

/* End of the RAM region that starts at gpa 0 (the "low" memory below the hole). */
uint64_t guest_mem_low_end(const struct guest_mem *m);

#endif
