/* bus.c: dispatch of port and MMIO exits to the devices that registered ranges. */
#include "vmm/bus.h"

#include <errno.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"

/* The first few unhandled accesses are worth a debug line; a guest that
 * probes many ports would drown the rest. */
#define UNHANDLED_LOG_MAX 32

void bus_init(struct bus *b, const char *name, uint8_t fill, unsigned flags)
{
	memset(b, 0, sizeof(*b));
	b->name = name;
	b->fill = fill;
	b->flags = flags;
}

int bus_register(struct bus *b, uint64_t base, uint64_t len, unsigned flags, bus_io_fn *fn,
		 void *opaque, const char *name, char *err, size_t errlen)
{
	uint64_t last = base + len - 1;

	if (len == 0 || last < base || !fn)
		return hy_err(err, errlen, -EINVAL, "%s %s range %#llx+%#llx is not valid", name,
			      b->name, (unsigned long long)base, (unsigned long long)len);
	for (unsigned i = 0; i < b->nr_ranges; i++) {
		const struct bus_range *r = &b->ranges[i];

		if (base <= r->base + r->len - 1 && r->base <= last)
			return hy_err(err, errlen, -EBUSY,
				      "%s at %s %#llx-%#llx overlaps %s at %#llx-%#llx", name,
				      b->name, (unsigned long long)base, (unsigned long long)last,
				      r->name, (unsigned long long)r->base,
				      (unsigned long long)(r->base + r->len - 1));
	}
	if (b->nr_ranges == BUS_MAX_RANGES)
		return hy_err(err, errlen, -ENOSPC, "%s: no room for another %s range (%d)", name,
			      b->name, BUS_MAX_RANGES);
	b->ranges[b->nr_ranges++] = (struct bus_range){
	    .base = base,
	    .len = len,
	    .flags = flags,
	    .fn = fn,
	    .opaque = opaque,
	    .name = name,
	};
	return 0;
}

const struct bus_range *bus_find(const struct bus *b, uint64_t addr)
{
	for (unsigned i = 0; i < b->nr_ranges; i++) {
		const struct bus_range *r = &b->ranges[i];

		if (addr >= r->base && addr - r->base < r->len)
			return r;
	}
	return NULL;
}

static void unhandled(struct bus *b, uint64_t addr, uint8_t *data, unsigned len, bool is_write)
{
	if (!is_write)
		memset(data, b->fill, len);
	if (log_get_level() >= LOG_DEBUG &&
	    __atomic_fetch_add(&b->unhandled_logged, 1, __ATOMIC_RELAXED) < UNHANDLED_LOG_MAX)
		log_debug("guest %s unhandled %s %#llx (%u bytes)", is_write ? "wrote" : "read",
			  b->name, (unsigned long long)addr, len);
}

static void call(const struct bus_range *r, uint64_t addr, uint8_t *data, unsigned len,
		 bool is_write)
{
	uint64_t off = addr - r->base;

	if (!(r->flags & BUS_BYTEWISE)) {
		r->fn(r->opaque, off, data, len, is_write);
		return;
	}
	for (unsigned i = 0; i < len; i++)
		r->fn(r->opaque, off + i, data + i, 1, is_write);
}

bool bus_access(struct bus *b, uint64_t addr, uint8_t *data, unsigned len, bool is_write)
{
	const struct bus_range *r = bus_find(b, addr);
	bool all = true;

	if (r && len <= r->len - (addr - r->base)) {
		call(r, addr, data, len, is_write);
		return true;
	}
	if (!(b->flags & BUS_SPLIT_BYTES) || len == 1) {
		unhandled(b, addr, data, len, is_write);
		return false;
	}
	for (unsigned i = 0; i < len; i++) {
		r = bus_find(b, addr + i);
		if (r) {
			call(r, addr + i, data + i, 1, is_write);
		} else {
			unhandled(b, addr + i, data + i, 1, is_write);
			all = false;
		}
	}
	return all;
}
