/* setup.c: kernel command line, firmware tables, the per-VM initramfs and loading the kernel. */
#include "vmm/boot/setup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/agent_proto.h"
#include "common/cleanup.h"
#include "common/err.h"
#include "common/log.h"
#include "vmm/boot/acpi.h"
#include "vmm/boot/cpio.h"
#include "vmm/boot/elf.h"
#include "vmm/boot/mptable.h"
#include "vmm/layout.h"

/*
 * The kernel command line every guest gets.
 * - console=ttyS0: kernel messages (and panics, even with "quiet") reach the
 *   serial ring buffer that is shown when the guest crashes.
 * - reboot=k, panic=-1: a panic reboots at once, through the keyboard
 *   controller, which ends the VM instead of leaving it spinning.
 * - pci=off: there is no PCI bus; this skips probing config space.
 * - 8250.nr_uarts=1: only COM1 exists; no time spent probing COM2..4.
 * - i8042.*: the controller has no mouse port, no multiplexer and no PnP
 *   description, and the keyboard is never talked to; this keeps the driver's
 *   probe to a handful of port accesses.
 * - rdinit=/init: hyrun-init, from the initramfs.
 * "nomodeset" is not needed: there is no display device for a driver to find.
 */
#define DEFAULT_CMDLINE                                                                            \
	"console=ttyS0 reboot=k panic=-1 pci=off 8250.nr_uarts=1 i8042.noaux i8042.nomux "         \
	"i8042.nopnp i8042.dumbkbd rdinit=/init"

#define CMDLINE_CAP 4096

/*
 * Open a kernel or initrd for loading: it is read later with pread(2) straight
 * into guest memory (boot_file_to_guest()), one copy and only the parts the
 * guest needs, rather than mmap()ed, which costs a page fault per 4 KiB on
 * network and 9p filesystems.
 */
static int open_boot_file(struct boot_file *f, const char *path, const char *what, char *err,
			  size_t errlen)
{
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		int r = hy_err(err, errlen, -errno, "cannot open %s '%s': %s", what, path,
			       strerror(errno));

		if (fd >= 0)
			close(fd);
		return r;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return hy_err(err, errlen, -EINVAL, "%s '%s' is not a regular file", what, path);
	}
	if (st.st_size == 0) {
		close(fd);
		return hy_err(err, errlen, -EINVAL, "%s '%s' is empty", what, path);
	}
	*f = (struct boot_file){.data = NULL, .fd = fd, .size = (uint64_t)st.st_size};
	return 0;
}

static void close_boot_file(struct boot_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	*f = (struct boot_file){.data = NULL, .fd = -1, .size = 0};
}

/* A whole regular file of at most `max` bytes, for an option (`opt`, as the
 * messages name it). */
static int read_small_file(const char *opt, const char *path, size_t max, struct boot_blob *out,
			   char *err, size_t errlen)
{
	struct stat st;
	char *data;
	size_t done = 0;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return hy_err(err, errlen, -errno, "%s: cannot open '%s': %s", opt, path,
			      strerror(errno));
	if (fstat(fd, &st) < 0) {
		r = hy_err(err, errlen, -errno, "%s: '%s': %s", opt, path, strerror(errno));
		close(fd);
		return r;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return hy_err(err, errlen, -EINVAL, "%s: '%s' is not a regular file", opt, path);
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return hy_err(err, errlen, -EFBIG, "%s: '%s' is larger than %zu bytes", opt, path,
			      max);
	}
	data = malloc((size_t)st.st_size + 1);
	if (!data) {
		close(fd);
		return hy_err(err, errlen, -ENOMEM, "%s: '%s': out of memory", opt, path);
	}
	/* One byte more than fstat() said, to see a file that grows meanwhile. */
	while (done <= (size_t)st.st_size) {
		ssize_t n = read(fd, data + done, (size_t)st.st_size + 1 - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = hy_err(err, errlen, -errno, "%s: reading '%s': %s", opt, path,
				   strerror(errno));
			free(data);
			close(fd);
			return r;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	close(fd);
	if (done > (size_t)st.st_size) {
		free(data);
		return hy_err(err, errlen, -EAGAIN, "%s: '%s' changed while it was read", opt,
			      path);
	}
	*out = (struct boot_blob){.data = data, .len = done, .mode = st.st_mode & 0777};
	return 0;
}

static int open_kernel(struct boot_setup *b, const char *path, char *err, size_t errlen)
{
	struct bzimage_info info;
	struct boot_elf_info elf;
	uint8_t head[4]; /* the ELF magic's length */
	char why[256] = "";
	int r;

	r = open_boot_file(&b->kernel, path, "kernel", err, errlen);
	if (r)
		return r;
	b->kernel_is_elf = b->kernel.size >= sizeof(head) &&
			   !boot_file_read(&b->kernel, 0, head, sizeof(head)) &&
			   boot_elf_is_elf(head, sizeof(head));
	if (b->kernel_is_elf)
		r = boot_elf_parse_file(&b->kernel, &elf, why, sizeof(why));
	else
		r = bzimage_parse_file(&b->kernel, &info, why, sizeof(why));
	if (r)
		return hy_err(err, errlen, r, "kernel '%s': %s", path,
			      why[0] ? why : "not a usable kernel image");
	return 0;
}

int boot_setup_open(struct boot_setup *b, const struct boot_setup_config *c, char *err,
		    size_t errlen)
{
	const struct vm_plan *p = c->plan;
	int r;

	memset(b, 0, sizeof(*b));
	b->kernel.fd = b->initrd.fd = -1;
	r = open_kernel(b, p->kernel, err, errlen);
	if (!r && p->initrd)
		r = open_boot_file(&b->initrd, p->initrd, "initrd", err, errlen);
	if (r)
		return r;
	if (p->nr_files) {
		b->files = calloc(p->nr_files, sizeof(*b->files));
		if (!b->files)
			return hy_err(err, errlen, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < p->nr_files; i++) {
		char opt[PLAN_NAME_MAX + 16];

		snprintf(opt, sizeof(opt), "--file %s", p->files[i].name);
		r = read_small_file(opt, p->files[i].path, PLAN_FILE_MAX, &b->files[i], err,
				    errlen);
		if (r)
			return r;
		b->nr_files++;
	}
	if (p->guest_config)
		r = read_small_file("--guest-config", p->guest_config, BOOT_GUEST_CONFIG_MAX,
				    &b->guest_config, err, errlen);
	return r;
}

void boot_setup_free(struct boot_setup *b)
{
	close_boot_file(&b->kernel);
	close_boot_file(&b->initrd);
	for (size_t i = 0; i < b->nr_files; i++)
		free(b->files[i].data);
	free(b->files);
	b->files = NULL;
	b->nr_files = 0;
	free(b->guest_config.data);
	b->guest_config = (struct boot_blob){0};
}

static int build_cmdline(const struct boot_setup_config *c, const struct boot_mmio_dev *devs,
			 unsigned nr_devs, char *buf, size_t cap, char *err, size_t errlen)
{
	char arg[128];
	int r;

	buf[0] = '\0';
	r = cmdline_append(buf, cap, DEFAULT_CMDLINE);
	if (!r && !c->console)
		r = cmdline_append(buf, cap, "quiet");
	/*
	 * Devices are described both in the DSDT and on the command line: a
	 * kernel without ACPI (the minimal one) reads only the latter, and a
	 * distribution kernel without CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES ignores
	 * it (virtio_mmio is then a module loaded without these parameters).
	 */
	for (unsigned i = 0; !r && c->virtio_cmdline && i < nr_devs; i++) {
		snprintf(arg, sizeof(arg), "virtio_mmio.device=%#llx@%#llx:%u",
			 (unsigned long long)devs[i].size, (unsigned long long)devs[i].base,
			 devs[i].gsi);
		r = cmdline_append(buf, cap, arg);
	}
	if (!r && c->plan->cmdline && c->plan->cmdline[0])
		r = cmdline_append(buf, cap, c->plan->cmdline);
	if (r)
		return hy_err(err, errlen, r, "the kernel command line is longer than %zu bytes",
			      cap - 1);
	return 0;
}

/* NUL-terminated arguments, one after the other (HY_INIT_ARGV). */
static int join_argv(char *const *argv, char **out, size_t *len)
{
	size_t n = 0;
	char *buf, *p;

	for (char *const *a = argv; *a; a++)
		n += strlen(*a) + 1;
	buf = malloc(n ? n : 1);
	if (!buf)
		return -ENOMEM;
	p = buf;
	for (char *const *a = argv; *a; a++) {
		size_t l = strlen(*a) + 1;

		memcpy(p, *a, l);
		p += l;
	}
	*out = buf;
	*len = n;
	return 0;
}

/* The per-VM files hyrun-init reads (agent_proto.h). Names are relative to
 * the initramfs root, like every archive's. */
int boot_setup_initramfs(const struct boot_setup *b, const struct boot_setup_config *c,
			 struct cpio_buf *cb)
{
	const struct vm_plan *p = c->plan;
	const char *config = b->guest_config.data ? b->guest_config.data : c->guest_config_data;
	size_t config_len = b->guest_config.data ? b->guest_config.len : c->guest_config_len;
	cleanup_free char *argv_buf = NULL;
	char flags[64];
	size_t argv_len = 0;
	int r;

	/* terminal=1 only for --tty: with a guest configuration, hyrun-init
	 * also honours its process.terminal. */
	snprintf(flags, sizeof(flags), "%s%s%s", p->debug ? "debug=1\n" : "",
		 p->control_fd >= 0 ? "wait_start=1\n" : "", p->tty ? "terminal=1\n" : "");
	r = cpio_add_dir(cb, &HY_INIT_DIR[1], 0755);
	if (!r && !config) {
		r = join_argv(c->argv, &argv_buf, &argv_len);
		if (!r)
			r = cpio_add_file(cb, &HY_INIT_ARGV[1], 0444, argv_buf, argv_len);
	}
	if (!r)
		r = cpio_add_file(cb, &HY_INIT_FLAGS[1], 0444, flags, strlen(flags));
	if (!r && config)
		r = cpio_add_file(cb, &HY_INIT_CONFIG[1], 0444, config, config_len);
	if (!r && b->nr_files)
		r = cpio_add_dir(cb, &HY_INIT_FILES[1], 0755);
	/* A snapshot taken now, not a live bind: changes on the host after
	 * the start (a rewritten /etc/resolv.conf) are not seen. */
	for (size_t i = 0; !r && i < b->nr_files; i++) {
		char path[sizeof(HY_INIT_FILES) + PLAN_NAME_MAX + 1];

		snprintf(path, sizeof(path), "%s/%s", &HY_INIT_FILES[1], p->files[i].name);
		r = cpio_add_file(cb, path, b->files[i].mode, b->files[i].data, b->files[i].len);
	}
	if (!r)
		r = cpio_finish(cb);
	return r;
}

static int setup_tables(struct guest_mem *mem, unsigned nr_cpus, const struct boot_mmio_dev *devs,
			unsigned nr_devs, uint64_t *rsdp, char *err, size_t errlen)
{
	struct acpi_mmio_dev adevs[HY_VIRTIO_MAX_DEVS];
	struct acpi_config cfg = {
	    .nr_cpus = nr_cpus,
	    .mmio_devs = adevs,
	    .nr_mmio_devs = nr_devs,
	};
	long r;

	if (nr_devs > HY_VIRTIO_MAX_DEVS)
		return hy_err(err, errlen, -EINVAL, "too many virtio devices (at most %d)",
			      HY_VIRTIO_MAX_DEVS);
	for (unsigned i = 0; i < nr_devs; i++)
		adevs[i] = (struct acpi_mmio_dev){
		    .base = devs[i].base,
		    .size = devs[i].size,
		    .gsi = devs[i].gsi,
		};
	r = acpi_setup(mem, &cfg);
	if (r < 0)
		return hy_err(err, errlen, (int)r, "cannot build the ACPI tables: %s",
			      strerror((int)-r));
	*rsdp = (uint64_t)r;
	/* Both descriptions are written: a kernel with ACPI reads the MADT, one
	 * without it (the minimal kernel) finds its CPUs in the MP table. */
	r = mptable_setup(mem, nr_cpus);
	if (r < 0)
		return hy_err(err, errlen, (int)r, "cannot build the MP table: %s",
			      strerror((int)-r));
	return 0;
}

int boot_setup_load(struct boot_setup *b, struct guest_mem *mem, const struct boot_setup_config *c,
		    const struct boot_mmio_dev *devs, unsigned nr_devs, struct boot_x86_result *res,
		    char *err, size_t errlen)
{
	const struct vm_plan *p = c->plan;
	cleanup_free char *cmdline = malloc(CMDLINE_CAP);
	struct cpio_buf cb = {0};
	struct boot_x86_params bp;
	char why[256] = "";
	uint64_t rsdp = 0;
	int r;

	if (!cmdline)
		return hy_err(err, errlen, -ENOMEM, "out of memory");
	r = setup_tables(mem, p->cpus, devs, nr_devs, &rsdp, err, errlen);
	if (r)
		return r;
	r = build_cmdline(c, devs, nr_devs, cmdline, CMDLINE_CAP, err, errlen);
	if (r)
		return r;
	log_debug("kernel command line: %s", cmdline);
	r = boot_setup_initramfs(b, c, &cb);
	if (r) {
		hy_err(err, errlen, r, "cannot build the per-VM initramfs: %s", strerror(-r));
		goto out;
	}
	bp = (struct boot_x86_params){
	    .kernel = b->kernel,
	    .initrd = b->initrd,
	    .initrd_extra = cb.data,
	    .initrd_extra_size = cb.len,
	    .cmdline = cmdline,
	    .acpi_rsdp = rsdp,
	};
	if (b->kernel_is_elf)
		r = boot_elf_load(mem, &bp, res, why, sizeof(why));
	else
		r = boot_x86_load(mem, &bp, res, why, sizeof(why));
	if (r)
		hy_err(err, errlen, r, "cannot load the kernel '%s'%s%s%s: %s", p->kernel,
		       p->initrd ? " and initrd '" : "", p->initrd ? p->initrd : "",
		       p->initrd ? "'" : "", why[0] ? why : strerror(-r));
out:
	cpio_free(&cb);
	return r;
}
