# hyrun: one non-recursive Makefile.
#   make            build hyrun-vmm, hyrun-init and the guest initramfs
#   make setup      install build/test dependencies and unpack the kernels (idempotent)
#   make demo       setup + build + boot a microVM that prints a greeting
#   make check      setup + build + unit tests + integration tests
#   make unit | integration | format-check | clean

CC       ?= gcc
BUILD    := build
CFLAGS   ?= -O2 -g
WARN     := -Wall -Wextra -Wshadow -Wmissing-prototypes -Wformat=2 -Wno-unused-parameter
ifeq ($(WERROR),1)
WARN     += -Werror
endif
ifeq ($(SANITIZE),1)
CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer
LDFLAGS  += -fsanitize=address,undefined
endif
CPPFLAGS += -I. -D_GNU_SOURCE -MMD -MP
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) $(CPPFLAGS) -pthread

# --- objects, one per line ---------------------------------------------------
COMMON_OBJS := \
	common/log.o

VMM_OBJS := \
	vmm/guest_mem.o \
	vmm/boot_x86.o \
	vmm/boot_elf.o \
	vmm/mptable.o \
	vmm/cpio.o \
	vmm/acpi.o \
	vmm/event.o \
	vmm/kvm.o \
	vmm/vcpu.o \
	vmm/vm.o \
	vmm/serial.o \
	vmm/i8042.o \
	vmm/virtio/queue.o \
	vmm/virtio/virtio.o \
	vmm/virtio/mmio.o \
	vmm/virtio/console.o

VMM_MAIN_OBJS := \
	vmm/main.o

INIT_OBJS := \
	rootfs/init/init.o

UNIT_TEST_OBJS := \
	tests/unit/test_guest_mem.o \
	tests/unit/test_boot_x86.o \
	tests/unit/test_boot_elf.o \
	tests/unit/test_mptable.o \
	tests/unit/test_cpio.o \
	tests/unit/test_acpi.o \
	tests/unit/test_queue.o \
	tests/unit/test_mmio.o \
	tests/unit/test_console.o \
	tests/unit/test_serial.o \
	tests/unit/test_i8042.o

LIB_OBJS := $(COMMON_OBJS) $(VMM_OBJS)

# --- outputs -------------------------------------------------------------------
LIB        := $(BUILD)/libhyrun.a
VMM_BIN    := $(BUILD)/hyrun-vmm
INIT_BIN   := $(BUILD)/hyrun-init
UNIT_BIN   := $(BUILD)/tests/unit-tests
GUEST_DIR  := $(BUILD)/guest
INITRAMFS  := $(GUEST_DIR)/initramfs.cpio

obj = $(addprefix $(BUILD)/obj/,$(1))

.PHONY: all setup kernel demo check unit integration format format-check clean bench-boot
all: $(VMM_BIN) $(INIT_BIN) $(INITRAMFS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIB): $(call obj,$(LIB_OBJS))
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(VMM_BIN): $(call obj,$(VMM_MAIN_OBJS)) $(LIB)
	$(CC) $(LDFLAGS) -pthread -o $@ $^

# hyrun-init is PID 1 of the guest: static, so it needs nothing from the rootfs.
$(BUILD)/init-obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) -O2 -g $(CPPFLAGS) -c -o $@ $<

$(INIT_BIN): $(addprefix $(BUILD)/init-obj/,$(INIT_OBJS))
	$(CC) -static -o $@ $^

$(INITRAMFS): $(INIT_BIN) rootfs/mkinitramfs $(GUEST_DIR)/kernel.stamp
	rootfs/mkinitramfs --init $(INIT_BIN) --kernel-dir $(GUEST_DIR)/kernel --out $@

$(UNIT_BIN): $(call obj,$(UNIT_TEST_OBJS)) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -pthread -o $@ $^ $(shell pkg-config --libs criterion)

setup:
	hack/setup

# The minimal guest kernel (build/guest/vmlinux, bzImage-mini), cached by config hash.
kernel:
	hack/build-kernel

unit: $(UNIT_BIN)
	$(UNIT_BIN) --jobs 2

integration: all
	tests/integration/run

check: setup
	$(MAKE) all $(UNIT_BIN)
	hack/check

demo: setup
	$(MAKE) all
	hack/demo

bench-boot: all
	hack/bench-boot

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD)/obj $(BUILD)/init-obj $(BUILD)/tests $(LIB) $(VMM_BIN) $(INIT_BIN) $(INITRAMFS)

-include $(shell find $(BUILD)/obj $(BUILD)/init-obj -name '*.d' 2>/dev/null)
