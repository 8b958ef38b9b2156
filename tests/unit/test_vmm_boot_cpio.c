/* test_vmm_boot_cpio.c: the newc writer, checked by parsing its output back. */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vmm/boot/cpio.h"

struct parsed {
	uint32_t ino, mode, uid, gid, nlink, mtime, filesize, namesize;
	char name[256];
	const uint8_t *data;
};

static uint32_t hex8(const uint8_t *p)
{
	char tmp[9];
	char *end;
	unsigned long v;

	memcpy(tmp, p, 8);
	tmp[8] = 0;
	v = strtoul(tmp, &end, 16);
	cr_assert_eq(end, tmp + 8, "field '%s' is not 8 hex digits", tmp);
	return (uint32_t)v;
}

/* Parse the entry at *off, checking the layout rules; advances *off. */
static void parse_entry(const struct cpio_buf *b, size_t *off, struct parsed *e)
{
	const uint8_t *h = b->data + *off;
	size_t name_end, data_end;

	cr_assert_eq(*off % 4, 0, "entry at %zu is not 4-byte aligned", *off);
	cr_assert_leq(*off + 110, b->len);
	cr_assert_eq(memcmp(h, "070701", 6), 0, "bad magic at %zu", *off);
	e->ino = hex8(h + 6);
	e->mode = hex8(h + 14);
	e->uid = hex8(h + 22);
	e->gid = hex8(h + 30);
	e->nlink = hex8(h + 38);
	e->mtime = hex8(h + 46);
	e->filesize = hex8(h + 54);
	cr_assert_eq(hex8(h + 62) | hex8(h + 70) | hex8(h + 78) | hex8(h + 86), 0);
	e->namesize = hex8(h + 94);
	cr_assert_eq(hex8(h + 102), 0);
	cr_assert_gt(e->namesize, 1);
	cr_assert_lt(e->namesize, sizeof(e->name));
	name_end = *off + 110 + e->namesize;
	cr_assert_leq(name_end, b->len);
	cr_assert_eq(b->data[name_end - 1], 0, "name is not NUL-terminated");
	memcpy(e->name, h + 110, e->namesize);
	cr_assert_eq(strlen(e->name) + 1, e->namesize);
	/* Header + name padding is zeros up to a 4-byte boundary. */
	while (name_end % 4) {
		cr_assert_eq(b->data[name_end], 0);
		name_end++;
	}
	e->data = b->data + name_end;
	data_end = name_end + e->filesize;
	cr_assert_leq(data_end, b->len);
	while (data_end % 4) {
		cr_assert_lt(data_end, b->len);
		cr_assert_eq(b->data[data_end], 0);
		data_end++;
	}
	*off = data_end;
}

Test(cpio_newc, archive_round_trip)
{
	struct cpio_buf b = {0};
	static const char argv[] = "/bin/sh\0-c\0echo hi\0";
	struct parsed e[5];
	size_t off = 0;
	unsigned i;

	cr_assert_eq(cpio_add_dir(&b, ".hyrun", 0755), 0);
	cr_assert_eq(cpio_add_file(&b, ".hyrun/argv", 0644, argv, sizeof(argv) - 1), 0);
	cr_assert_eq(cpio_add_file(&b, ".hyrun/flags", 0600, "x", 1), 0);
	cr_assert_eq(cpio_add_file(&b, ".hyrun/empty", 0400, NULL, 0), 0);
	cr_assert_eq(cpio_finish(&b), 0);
	cr_assert_eq(b.len % 4, 0, "archive length %zu", b.len);

	for (i = 0; i < 5; i++)
		parse_entry(&b, &off, &e[i]);
	cr_assert_eq(off, b.len, "bytes after the trailer");

	cr_assert_str_eq(e[0].name, ".hyrun");
	cr_assert_eq(e[0].mode, S_IFDIR | 0755);
	cr_assert_eq(e[0].nlink, 2);
	cr_assert_eq(e[0].filesize, 0);

	cr_assert_str_eq(e[1].name, ".hyrun/argv");
	cr_assert_eq(e[1].mode, S_IFREG | 0644);
	cr_assert_eq(e[1].nlink, 1);
	cr_assert_eq(e[1].filesize, sizeof(argv) - 1);
	cr_assert_eq(memcmp(e[1].data, argv, sizeof(argv) - 1), 0);

	cr_assert_str_eq(e[2].name, ".hyrun/flags");
	cr_assert_eq(e[2].mode, S_IFREG | 0600);
	cr_assert_eq(e[2].filesize, 1);
	cr_assert_eq(e[2].data[0], 'x');

	cr_assert_str_eq(e[3].name, ".hyrun/empty");
	cr_assert_eq(e[3].filesize, 0);

	cr_assert_str_eq(e[4].name, "TRAILER!!!");
	cr_assert_eq(e[4].filesize, 0);

	for (i = 0; i < 4; i++) {
		cr_assert_eq(e[i].uid, 0);
		cr_assert_eq(e[i].gid, 0);
		cr_assert_eq(e[i].mtime, 0);
		if (i)
			cr_assert_gt(e[i].ino, e[i - 1].ino, "inode numbers must increase");
	}
	cpio_free(&b);
	cr_assert_null(b.data);
	cr_assert_eq(b.len, 0);
}

/* Every name length mod 4 and data length mod 4, so each padding path runs. */
Test(cpio_newc, padding_all_lengths)
{
	struct cpio_buf b = {0};
	char name[16], data[8];
	struct parsed e;
	size_t off = 0;
	unsigned n, d, i;

	memset(data, 'd', sizeof(data));
	for (n = 1; n <= 4; n++) {
		for (d = 0; d <= 4; d++) {
			memset(name, 'a' + (char)d, n);
			name[n] = 0;
			cr_assert_eq(cpio_add_file(&b, name, 0644, data, d), 0);
		}
	}
	cr_assert_eq(cpio_finish(&b), 0);
	cr_assert_eq(b.len % 4, 0);
	for (n = 1; n <= 4; n++) {
		for (d = 0; d <= 4; d++) {
			parse_entry(&b, &off, &e);
			cr_assert_eq(strlen(e.name), n);
			cr_assert_eq(e.filesize, d);
			for (i = 0; i < d; i++)
				cr_assert_eq(e.data[i], 'd');
		}
	}
	parse_entry(&b, &off, &e);
	cr_assert_str_eq(e.name, "TRAILER!!!");
	cr_assert_eq(off, b.len);
	cpio_free(&b);
}

Test(cpio_newc, large_file_grows_buffer)
{
	struct cpio_buf b = {0};
	size_t len = 100000 + 3, off = 0, i;
	uint8_t *data = malloc(len);
	struct parsed e;

	cr_assert_not_null(data);
	for (i = 0; i < len; i++)
		data[i] = (uint8_t)(i * 7);
	cr_assert_eq(cpio_add_file(&b, "big", 0644, data, len), 0);
	cr_assert_eq(cpio_finish(&b), 0);
	parse_entry(&b, &off, &e);
	cr_assert_eq(e.filesize, len);
	cr_assert_eq(memcmp(e.data, data, len), 0);
	parse_entry(&b, &off, &e);
	cr_assert_str_eq(e.name, "TRAILER!!!");
	cr_assert_eq(off, b.len);
	free(data);
	cpio_free(&b);
}

Test(cpio_newc, rejects_bad_arguments)
{
	struct cpio_buf b = {0};

	cr_assert_eq(cpio_add_file(&b, "", 0644, "x", 1), -EINVAL);
	cr_assert_eq(cpio_add_dir(&b, "d", S_IFDIR | 0755), -EINVAL);
	cr_assert_eq(cpio_add_file(&b, "f", 0644, NULL, 1), -EINVAL);
	cr_assert_eq(b.len, 0);
	cpio_free(&b);
}
