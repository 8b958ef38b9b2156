/* test_vmm_boot_setup.c: the host files a boot reads (--file, --guest-config, kernel) and the
 * per-VM initramfs. */
#include "vmm/boot/setup.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/agent_proto.h"

static char dir[64];
static char kernel[128];

/* The smallest bzImage bzimage_parse_file() accepts: a 2.15 header, 64-bit
 * entry, relocatable. */
static void write_kernel(const char *path)
{
	size_t setup = 5 * 512, n = setup + 4096;
	uint8_t *img = calloc(1, n);
	struct setup_header *h = (struct setup_header *)(img + offsetof(struct boot_params, hdr));
	FILE *f;

	cr_assert_not_null(img);
	h->setup_sects = 4;
	h->syssize = 4096 / 16;
	h->boot_flag = 0xaa55;
	h->jump = (uint16_t)(0xeb | (0x26c - 0x202) << 8);
	memcpy(&h->header, "HdrS", 4);
	h->version = 0x020f;
	h->loadflags = LOADED_HIGH;
	h->code32_start = 0x100000;
	h->initrd_addr_max = 0x7fffffff;
	h->kernel_alignment = 0x200000;
	h->relocatable_kernel = 1;
	h->min_alignment = 21;
	h->xloadflags = XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G;
	h->cmdline_size = 0x7ff;
	h->pref_address = 0x1000000;
	h->init_size = 0x800000;
	f = fopen(path, "w");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(img, 1, n, f), n);
	fclose(f);
	free(img);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
	cr_assert_eq(chmod(path, mode), 0);
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/hyrun-boot-setup-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(kernel, sizeof(kernel), "%s/kernel", dir);
	write_kernel(kernel);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(boot_setup, .init = setup, .fini = teardown);

static char *path_in(const char *name)
{
	static char p[4][128];
	static unsigned n;
	char *s = p[n++ % 4];

	snprintf(s, 128, "%s/%s", dir, name);
	return s;
}

static char *const default_argv[] = {"/bin/sh", NULL};

static int open_plan(struct vm_plan *p, struct boot_setup *b, char *err, size_t errlen)
{
	struct boot_setup_config c = {.plan = p, .argv = default_argv};

	if (!p->kernel)
		p->kernel = kernel;
	p->cpus = 1;
	p->control_fd = p->ready_fd = -1;
	err[0] = '\0';
	return boot_setup_open(b, &c, err, errlen);
}

Test(boot_setup, kernel_missing_or_bad)
{
	struct vm_plan p = {.kernel = path_in("none")};
	struct boot_setup b;
	char err[512];

	cr_assert_eq(open_plan(&p, &b, err, sizeof(err)), -ENOENT);
	cr_assert(strstr(err, "cannot open kernel") && strstr(err, "none"), "%s", err);
	boot_setup_free(&b);
	write_file(path_in("junk"), "not a kernel", 0644);
	p.kernel = path_in("junk");
	cr_assert_eq(open_plan(&p, &b, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "kernel '"), "%s", err);
	boot_setup_free(&b);
}

Test(boot_setup, file_errors_name_the_option)
{
	struct plan_file f = {.name = "hosts"};
	struct vm_plan p = {.files = &f, .nr_files = 1};
	struct boot_setup b;
	char err[512];
	int fd;

	f.path = path_in("missing");
	cr_assert_eq(open_plan(&p, &b, err, sizeof(err)), -ENOENT);
	cr_assert(strstr(err, "--file hosts") && strstr(err, "missing"), "%s", err);
	boot_setup_free(&b);

	f.path = dir;
	cr_assert_eq(open_plan(&p, &b, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "--file hosts") && strstr(err, "not a regular file"), "%s", err);
	boot_setup_free(&b);

	f.path = path_in("big");
	fd = open(f.path, O_WRONLY | O_CREAT, 0644);
	cr_assert_geq(fd, 0);
	cr_assert_eq(ftruncate(fd, PLAN_FILE_MAX + 1), 0);
	close(fd);
	cr_assert_eq(open_plan(&p, &b, err, sizeof(err)), -EFBIG);
	cr_assert(strstr(err, "--file hosts") && strstr(err, "larger than"), "%s", err);
	boot_setup_free(&b);
}

Test(boot_setup, guest_config_errors_name_the_option)
{
	struct vm_plan p = {.guest_config = path_in("nothing.json")};
	struct boot_setup b;
	char err[512];
	int fd;

	cr_assert_eq(open_plan(&p, &b, err, sizeof(err)), -ENOENT);
	cr_assert(strstr(err, "--guest-config") && strstr(err, "nothing.json"), "%s", err);
	boot_setup_free(&b);

	p.guest_config = path_in("huge.json");
	fd = open(p.guest_config, O_WRONLY | O_CREAT, 0644);
	cr_assert_geq(fd, 0);
	cr_assert_eq(ftruncate(fd, BOOT_GUEST_CONFIG_MAX + 1), 0);
	close(fd);
	cr_assert_eq(open_plan(&p, &b, err, sizeof(err)), -EFBIG);
	cr_assert(strstr(err, "--guest-config"), "%s", err);
	boot_setup_free(&b);
}

/* The newc archive's entries, by name. */
struct entry {
	char name[128];
	unsigned mode;
	const char *data;
	size_t len;
};

static unsigned hex8(const uint8_t *p)
{
	char tmp[9];

	memcpy(tmp, p, 8);
	tmp[8] = 0;
	return (unsigned)strtoul(tmp, NULL, 16);
}

static size_t entries(const struct cpio_buf *cb, struct entry *out, size_t max)
{
	size_t off = 0, n = 0;

	while (off + 110 <= cb->len && n < max) {
		const uint8_t *h = cb->data + off;
		unsigned namesize = hex8(h + 94), filesize = hex8(h + 54);
		size_t name_off = off + 110, data_off = (name_off + namesize + 3) & ~(size_t)3;

		cr_assert_eq(memcmp(h, "070701", 6), 0);
		snprintf(out[n].name, sizeof(out[n].name), "%s", (const char *)cb->data + name_off);
		out[n].mode = hex8(h + 14);
		out[n].data = (const char *)cb->data + data_off;
		out[n].len = filesize;
		off = (data_off + filesize + 3) & ~(size_t)3;
		if (!strcmp(out[n].name, "TRAILER!!!"))
			return n;
		n++;
	}
	cr_assert_fail("no trailer");
	return n;
}

static const struct entry *find(const struct entry *e, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(e[i].name, name))
			return &e[i];
	return NULL;
}

Test(boot_setup, initramfs_without_a_guest_config_carries_argv)
{
	static char *const argv[] = {"/bin/echo", "a b", "", NULL};
	struct vm_plan p = {.kernel = kernel, .cpus = 1, .debug = true, .control_fd = -1};
	struct boot_setup_config c = {.plan = &p, .argv = argv};
	struct boot_setup b;
	struct cpio_buf cb = {0};
	struct entry e[16];
	const struct entry *a, *f;
	char err[256];
	size_t n;

	cr_assert_eq(boot_setup_open(&b, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(boot_setup_initramfs(&b, &c, &cb), 0);
	n = entries(&cb, e, 16);
	a = find(e, n, &HY_INIT_ARGV[1]);
	cr_assert_not_null(a);
	cr_assert_eq(a->len, sizeof("/bin/echo") + sizeof("a b") + 1);
	cr_assert_eq(memcmp(a->data, "/bin/echo\0a b\0", a->len), 0);
	f = find(e, n, &HY_INIT_FLAGS[1]);
	cr_assert_not_null(f);
	cr_assert_eq(f->len, strlen("debug=1\n"));
	cr_assert_eq(memcmp(f->data, "debug=1\n", f->len), 0);
	cr_assert_null(find(e, n, &HY_INIT_CONFIG[1]));
	cr_assert_null(find(e, n, &HY_INIT_FILES[1]));
	cpio_free(&cb);
	boot_setup_free(&b);
}

Test(boot_setup, initramfs_with_a_guest_config_and_files)
{
	static const char config[] = "{\"version\":1}";
	struct plan_file files[2] = {{.name = "hosts"}, {.name = "3"}};
	struct vm_plan p = {.kernel = kernel,
			    .cpus = 1,
			    .files = files,
			    .nr_files = 2,
			    .guest_config = path_in("config.json"),
			    .control_fd = 5,
			    .tty = true};
	struct boot_setup_config c = {.plan = &p, .argv = default_argv};
	struct boot_setup b;
	struct cpio_buf cb = {0};
	struct entry e[16];
	const struct entry *g, *f, *h, *t;
	char err[256];
	size_t n;

	write_file(p.guest_config, config, 0600);
	files[0].path = path_in("hosts");
	write_file(files[0].path, "127.0.0.1 localhost\n", 0640);
	files[1].path = path_in("empty");
	write_file(files[1].path, "", 0755);
	cr_assert_eq(boot_setup_open(&b, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(boot_setup_initramfs(&b, &c, &cb), 0);
	n = entries(&cb, e, 16);
	cr_assert_null(find(e, n, &HY_INIT_ARGV[1]), "the arguments are in the configuration");
	g = find(e, n, &HY_INIT_CONFIG[1]);
	cr_assert_not_null(g);
	cr_assert_eq(g->len, strlen(config));
	cr_assert_eq(memcmp(g->data, config, g->len), 0, "copied unread");
	f = find(e, n, &HY_INIT_FLAGS[1]);
	cr_assert_not_null(f);
	cr_assert_eq(memcmp(f->data, "wait_start=1\nterminal=1\n", f->len), 0);
	cr_assert_not_null(find(e, n, &HY_INIT_FILES[1]));
	h = find(e, n, ".hyrun/files/hosts");
	cr_assert_not_null(h);
	cr_assert_eq(h->mode & 07777, 0640);
	cr_assert_eq(h->mode & S_IFMT, S_IFREG);
	cr_assert_eq(h->len, strlen("127.0.0.1 localhost\n"));
	cr_assert_eq(memcmp(h->data, "127.0.0.1 localhost\n", h->len), 0);
	t = find(e, n, ".hyrun/files/3");
	cr_assert_not_null(t);
	cr_assert_eq(t->len, 0);
	cr_assert_eq(t->mode & 07777, 0755);
	cpio_free(&cb);
	boot_setup_free(&b);
}

Test(boot_setup, initramfs_with_a_guest_config_in_memory)
{
	static const char config[] = "{\"version\":1,\"root\":{\"share\":\"rootfs\"}}";
	struct vm_plan p = {.kernel = kernel, .cpus = 1, .control_fd = -1};
	struct boot_setup_config c = {.plan = &p,
				      .argv = default_argv,
				      .guest_config_data = config,
				      .guest_config_len = strlen(config)};
	struct boot_setup b;
	struct cpio_buf cb = {0};
	struct entry e[16];
	const struct entry *g, *f;
	char err[256];
	size_t n;

	cr_assert_eq(boot_setup_open(&b, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(boot_setup_initramfs(&b, &c, &cb), 0);
	n = entries(&cb, e, 16);
	g = find(e, n, &HY_INIT_CONFIG[1]);
	cr_assert_not_null(g);
	cr_assert_eq(g->len, strlen(config));
	cr_assert_null(find(e, n, &HY_INIT_ARGV[1]));
	f = find(e, n, &HY_INIT_FLAGS[1]);
	cr_assert_not_null(f);
	cr_assert_eq(f->len, 0, "no terminal=1 without --tty");
	cpio_free(&cb);
	boot_setup_free(&b);
}
