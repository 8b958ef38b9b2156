/* cpio.h: a tiny in-memory writer for the "newc" cpio format, used to append
 * per-VM files (argv, flags) to the initramfs without touching disk. */
#ifndef HYRUN_VMM_BOOT_CPIO_H
#define HYRUN_VMM_BOOT_CPIO_H

#include <stddef.h>
#include <stdint.h>

/* Start from a zeroed struct (struct cpio_buf b = { 0 }). */
struct cpio_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	uint32_t last_ino; /* inode numbers are handed out increasing from 1 */
};

/* Add a directory / regular file (mode without the type bits). Parents must
 * be added first. Return 0, -ENOMEM, -EINVAL (empty path, type bits in mode)
 * or -EFBIG (file over 4 GiB, beyond what newc can describe). */
int cpio_add_dir(struct cpio_buf *b, const char *path, unsigned mode);
int cpio_add_file(struct cpio_buf *b, const char *path, unsigned mode, const void *data,
		  size_t len);
/* Write the TRAILER!!! entry; the buffer is then a complete archive whose
 * length is a multiple of 4. */
int cpio_finish(struct cpio_buf *b);
void cpio_free(struct cpio_buf *b);

#endif
