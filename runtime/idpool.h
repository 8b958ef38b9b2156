/* SPDX-License-Identifier: MIT */
/*
 * The host uid/gid ranges of the VMMs' user namespaces.
 *
 * Each container whose spec has no user namespace gets a range of
 * IDPOOL_RANGE host ids of its own: its VMM runs as the range's first id
 * (root in its namespace), and the guest's ids 0..IDPOOL_RANGE-1 become the
 * range's ids on the host (through idmapped shares the files keep their own
 * owners). The pool is HY_ENV_VMM_IDS="FIRST:RANGES" (default
 * IDPOOL_FIRST_DEFAULT and IDPOOL_RANGES_DEFAULT): RANGES ranges from FIRST,
 * which nothing else on the host may use (no user, no /etc/subuid entry).
 *
 * A range is held by a file IDPOOL_DIR/<n> naming the state directory of its
 * container, made under a lock; one whose state directory is gone is taken
 * again.
 */
#ifndef HYRUN_RUNTIME_IDPOOL_H
#define HYRUN_RUNTIME_IDPOOL_H

#include <stddef.h>
#include <stdint.h>

#define IDPOOL_DIR "/run/hyrun-ids"
#define IDPOOL_RANGE 65536u
#define IDPOOL_FIRST_DEFAULT 1000000000u
#define IDPOOL_RANGES_DEFAULT 8192u
#define HY_ENV_VMM_IDS "HYRUN_VMM_IDS"

struct idpool_range {
	unsigned slot;
	uint32_t first; /* host id of the VMM's uid and gid 0 */
	uint32_t size;	/* IDPOOL_RANGE */
};

/* "FIRST:RANGES" (NULL or "": the defaults); -EINVAL with a message naming HY_ENV_VMM_IDS. */
int idpool_parse(const char *s, uint32_t *first, unsigned *ranges, char *err, size_t errlen);

/* A free range for the container whose state directory is owner, tried first
 * at a slot derived from owner. pool_dir: IDPOOL_DIR but in tests. */
int idpool_take(const char *pool_dir, const char *owner, struct idpool_range *r, char *err,
		size_t errlen);

/* Gives the range back if owner still holds it. */
void idpool_release(const char *pool_dir, const char *owner, unsigned slot);

#endif
