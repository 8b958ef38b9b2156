/* cpio.c: in-memory "newc" cpio writer, the format the kernel unpacks as initramfs. */
#include "vmm/boot/cpio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define NEWC_MAGIC "070701"
#define NEWC_HDR_LEN 110 /* magic + 13 fields of 8 hex digits */
#define NEWC_TRAILER "TRAILER!!!"

static size_t pad4(size_t n)
{
	return (4 - n % 4) % 4;
}

static int reserve(struct cpio_buf *b, size_t more)
{
	size_t want, cap;
	uint8_t *p;

	if (more > SIZE_MAX - b->len)
		return -ENOMEM;
	want = b->len + more;
	if (want <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 512;
	while (cap < want) {
		if (cap > SIZE_MAX / 2) {
			cap = want;
			break;
		}
		cap *= 2;
	}
	p = realloc(b->data, cap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

static void put_zeros(struct cpio_buf *b, size_t n)
{
	memset(b->data + b->len, 0, n);
	b->len += n;
}

/* One entry: header, NUL-terminated name and data, each padded so that the
 * next part starts on a 4-byte boundary (the newc layout). */
static int add_entry(struct cpio_buf *b, const char *name, uint32_t mode, uint32_t nlink,
		     const void *data, size_t len)
{
	char hdr[NEWC_HDR_LEN + 1];
	size_t namesize, need;
	uint32_t ino;
	int n, ret;

	if (!name || !*name)
		return -EINVAL;
	if (len > UINT32_MAX)
		return -EFBIG;
	namesize = strlen(name) + 1;
	if (namesize > UINT32_MAX || namesize > SIZE_MAX / 2)
		return -EINVAL;
	if (len > SIZE_MAX / 2)
		return -ENOMEM;
	need = NEWC_HDR_LEN + namesize + pad4(NEWC_HDR_LEN + namesize) + len + pad4(len);
	ret = reserve(b, need);
	if (ret)
		return ret;

	/* The trailer gets inode 0, like every cpio implementation writes it. */
	ino = strcmp(name, NEWC_TRAILER) ? ++b->last_ino : 0;
	n = snprintf(hdr, sizeof(hdr), "%s%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		     NEWC_MAGIC, ino, mode, 0u /* uid */, 0u /* gid */, nlink, 0u /* mtime */,
		     (uint32_t)len, 0u, 0u, 0u, 0u /* dev, rdev */, (uint32_t)namesize,
		     0u /* check */);
	if (n != NEWC_HDR_LEN)
		return -EINVAL;
	memcpy(b->data + b->len, hdr, NEWC_HDR_LEN);
	b->len += NEWC_HDR_LEN;
	memcpy(b->data + b->len, name, namesize);
	b->len += namesize;
	put_zeros(b, pad4(NEWC_HDR_LEN + namesize));
	if (len) {
		memcpy(b->data + b->len, data, len);
		b->len += len;
	}
	put_zeros(b, pad4(len));
	return 0;
}

int cpio_add_dir(struct cpio_buf *b, const char *path, unsigned mode)
{
	if (mode & ~07777u)
		return -EINVAL;
	/* "." and ".." links: the count a directory without subdirectories has. */
	return add_entry(b, path, S_IFDIR | mode, 2, NULL, 0);
}

int cpio_add_file(struct cpio_buf *b, const char *path, unsigned mode, const void *data, size_t len)
{
	if (mode & ~07777u || (len && !data))
		return -EINVAL;
	/*
	 * nlink 1: with 2 or more the kernel's unpacker treats entries that
	 * share an inode number as hard links of each other.
	 */
	return add_entry(b, path, S_IFREG | mode, 1, data, len);
}

int cpio_finish(struct cpio_buf *b)
{
	/* Every entry length is a multiple of 4 already, so the archive is too. */
	return add_entry(b, NEWC_TRAILER, 0, 1, NULL, 0);
}

void cpio_free(struct cpio_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}
