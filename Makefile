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
# libnl-route: netns/ wires the container's network namespace with it, and hyrun-init
# configures the guest's network (rootfs/init/net.c).
NL_CFLAGS := $(shell pkg-config --cflags libnl-route-3.0)
NL_LIBS  := $(shell pkg-config --libs libnl-route-3.0)
CPPFLAGS += -I. -D_GNU_SOURCE -MMD -MP $(NL_CFLAGS)
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) $(CPPFLAGS) -pthread

# --- objects, one per line ---------------------------------------------------
COMMON_OBJS := \
	common/log.o \
	common/log_ratelimit.o \
	common/err.o \
	common/time.o \
	common/fdio.o \
	common/names.o \
	common/plan.o \
	common/control_proto.o \
	common/strv.o \
	common/guest_config.o \
	common/agent_msg.o \
	common/devfilter.o

# The OCI layer: config.json, its linux section, state.json. Only the runtime links it
# (hyrun-init reads the guest configuration; hyrun-vmm a plan).
OCI_OBJS := \
	oci/spec.o \
	oci/linux.o \
	oci/state.o

# The network layer: a container's network namespace joined to its VM's taps (libnl-route).
# Only the runtime links it.
NETNS_OBJS := \
	netns/netns.o \
	netns/link.o \
	netns/tap.o \
	netns/tc.o

VMM_OBJS := \
	vmm/guest_mem.o \
	vmm/boot/x86.o \
	vmm/boot/elf.o \
	vmm/boot/mptable.o \
	vmm/boot/cpio.o \
	vmm/boot/acpi.o \
	vmm/boot/setup.o \
	vmm/event.o \
	vmm/control.o \
	vmm/kvm.o \
	vmm/vcpu.o \
	vmm/vm.o \
	vmm/bus.o \
	vmm/devices.o \
	vmm/term.o \
	vmm/callerio.o \
	vmm/report.o \
	vmm/hw/serial.o \
	vmm/hw/i8042.o \
	vmm/hw/legacy.o \
	vmm/virtio/queue.o \
	vmm/virtio/virtio.o \
	vmm/virtio/mmio.o \
	vmm/virtio/console.o \
	vmm/virtio/fs.o \
	vmm/virtio/net.o \
	vmm/virtio/vsock.o \
	vmm/fs/fuse.o \
	vmm/fs/passthrough.o \
	vmm/seccomp.o

VMM_MAIN_OBJS := \
	vmm/main.o

# The runtime (build/hyrun): objects without main(), which the unit tests link too.
RUNTIME_OBJS := \
	runtime/cgroup.o \
	runtime/jail.o \
	runtime/util.o \
	runtime/cli.o \
	runtime/container.o \
	runtime/signals.o \
	runtime/hooks.o \
	runtime/console.o \
	runtime/sizing.o \
	runtime/plan.o \
	runtime/create.o \
	runtime/start.o \
	runtime/run.o \
	runtime/state.o \
	runtime/kill.o \
	runtime/delete.o \
	runtime/ps.o \
	runtime/events.o \
	runtime/update.o \
	runtime/pause.o \
	runtime/spec.o \
	runtime/features.o \
	runtime/plan_cmd.o \
	runtime/network.o \
	runtime/idpool.o \
	runtime/agent.o \
	runtime/exec.o \
	runtime/proxy.o

RUNTIME_MAIN_OBJS := \
	runtime/main.o
RUNTIME_LIBS := -lcap $(NL_LIBS)

# hyrun-init: its own files, linked with the common layer (built again without -pthread)
# and nothing else: not the config.json parser.
INIT_OBJS := \
	rootfs/init/init.o \
	rootfs/init/child.o \
	rootfs/init/supervise.o \
	rootfs/init/mounts.o \
	rootfs/init/process.o \
	rootfs/init/seccomp.o \
	rootfs/init/net.o \
	rootfs/init/agent.o \
	rootfs/init/exec.o \
	rootfs/init/cgroup.o \
	rootfs/init/devfilter.o \
	rootfs/init/ps.o \
	rootfs/init/procfs.o

# The parts of hyrun-init the unit tests link too (library-style: they never print).
INIT_TESTED_OBJS := \
	rootfs/init/net.o \
	rootfs/init/procfs.o \
	rootfs/init/devfilter.o

UNIT_TEST_OBJS := \
	tests/unit/test_common_plan.o \
	tests/unit/test_common_fdio.o \
	tests/unit/test_common_control_proto.o \
	tests/unit/test_common_guest_config.o \
	tests/unit/test_common_agent_msg.o \
	tests/unit/test_common_devfilter.o \
	tests/unit/test_oci_spec.o \
	tests/unit/test_vmm_guest_mem.o \
	tests/unit/test_vmm_bus.o \
	tests/unit/test_vmm_boot_x86.o \
	tests/unit/test_vmm_boot_setup.o \
	tests/unit/test_vmm_boot_elf.o \
	tests/unit/test_vmm_boot_mptable.o \
	tests/unit/test_vmm_boot_cpio.o \
	tests/unit/test_vmm_boot_acpi.o \
	tests/unit/test_vmm_virtio_queue.o \
	tests/unit/test_vmm_virtio_mmio.o \
	tests/unit/test_vmm_virtio_console.o \
	tests/unit/test_vmm_virtio_net.o \
	tests/unit/test_vmm_virtio_vsock.o \
	tests/unit/test_vmm_control.o \
	tests/unit/test_vmm_hw_serial.o \
	tests/unit/test_vmm_hw_i8042.o \
	tests/unit/test_vmm_fs_fuse.o \
	tests/unit/test_vmm_fs_passthrough.o \
	tests/unit/test_vmm_seccomp.o \
	tests/unit/test_vmm_callerio.o \
	tests/unit/lsan_runner.o \
	tests/unit/test_runtime_cgroup.o \
	tests/unit/test_runtime_jail.o \
	tests/unit/test_oci_linux.o \
	tests/unit/test_oci_state.o \
	tests/unit/test_runtime_container.o \
	tests/unit/test_runtime_signals.o \
	tests/unit/test_runtime_sizing.o \
	tests/unit/test_runtime_plan.o \
	tests/unit/test_runtime_create.o \
	tests/unit/test_runtime_console.o \
	tests/unit/test_runtime_cli.o \
	tests/unit/test_runtime_update.o \
	tests/unit/test_runtime_events.o \
	tests/unit/test_runtime_guest.o \
	tests/unit/test_runtime_hooks.o \
	tests/unit/test_runtime_network.o \
	tests/unit/test_runtime_idpool.o \
	tests/unit/test_runtime_agent.o \
	tests/unit/test_runtime_proxy.o \
	tests/unit/test_netns_netns.o \
	tests/unit/test_rootfs_init_net.o \
	tests/unit/test_rootfs_init_procfs.o

# Every layer, for the sanitizer and fuzzing builds of the tests.
ALL_LIB_OBJS := $(COMMON_OBJS) $(OCI_OBJS) $(NETNS_OBJS) $(VMM_OBJS)
LIB_LIBS := -ljansson -lseccomp
# hyrun-vmm is linked statically, so that the jail's root needs no libraries;
# not when sanitized (ASan and UBSan's runtimes cannot be linked statically).
VMM_LIBS := -ljansson -lseccomp
VMM_STATIC := $(if $(filter 1,$(SANITIZE)),,-static)
# hyrun-init links these statically (their .a files come with the -dev packages).
# libnl-3.a makes the linker warn that getaddrinfo() and getprotobyname() would need
# glibc's shared NSS modules at run time: hyrun-init calls nothing that reaches them
# (libnl's name lookups for printing objects).
INIT_LIBS := -ljansson -lseccomp -lcap $(NL_LIBS)

# --- outputs -------------------------------------------------------------------
# One static library per layer; each binary links only the layers it may use, so a
# wrong include fails to link (hack/check-layers names it first):
#   hyrun      runtime objects + oci + netns + common
#   hyrun-vmm  vmm + common
#   hyrun-init rootfs/init + common
COMMON_LIB := $(BUILD)/lib/libhyrun-common.a
OCI_LIB    := $(BUILD)/lib/libhyrun-oci.a
NETNS_LIB  := $(BUILD)/lib/libhyrun-netns.a
VMM_LIB    := $(BUILD)/lib/libhyrun-vmm.a
INIT_COMMON_LIB := $(BUILD)/init-obj/libhyrun-common.a
VMM_BIN    := $(BUILD)/hyrun-vmm
RUNTIME_BIN := $(BUILD)/hyrun
# The same VMM without its seccomp filter: for debugging only.
VMM_DEBUG_BIN := $(BUILD)/debug/hyrun-vmm
INIT_BIN   := $(BUILD)/hyrun-init
UNIT_BIN   := $(BUILD)/tests/unit-tests
GUEST_DIR  := $(BUILD)/guest
PROBE_BIN  := $(BUILD)/probe
INITRAMFS  := $(GUEST_DIR)/initramfs.cpio

obj = $(addprefix $(BUILD)/obj/,$(1))

.PHONY: all setup kernel demo check unit integration format format-check clean bench-boot bench-start bench-fs leak-test
all: $(RUNTIME_BIN) $(VMM_BIN) $(VMM_DEBUG_BIN) $(INIT_BIN) $(INITRAMFS) $(PROBE_BIN)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(COMMON_LIB): $(call obj,$(COMMON_OBJS))
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(OCI_LIB): $(call obj,$(OCI_OBJS))
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(NETNS_LIB): $(call obj,$(NETNS_OBJS))
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(VMM_LIB): $(call obj,$(VMM_OBJS))
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(VMM_BIN): $(call obj,$(VMM_MAIN_OBJS)) $(VMM_LIB) $(COMMON_LIB)
	$(CC) $(LDFLAGS) $(VMM_STATIC) -pthread -o $@ $^ $(VMM_LIBS)

# Its seccomp.o, listed before the library, replaces the library's.
$(BUILD)/debug/obj/vmm/seccomp.o: vmm/seccomp.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -DHY_VMM_NO_SECCOMP -c -o $@ $<

$(VMM_DEBUG_BIN): $(call obj,$(VMM_MAIN_OBJS)) $(BUILD)/debug/obj/vmm/seccomp.o $(VMM_LIB) \
		$(COMMON_LIB)
	$(CC) $(LDFLAGS) $(VMM_STATIC) -pthread -o $@ $^ $(VMM_LIBS)

$(RUNTIME_BIN): $(call obj,$(RUNTIME_MAIN_OBJS) $(RUNTIME_OBJS)) $(OCI_LIB) $(NETNS_LIB) \
		$(COMMON_LIB)
	$(CC) $(LDFLAGS) -pthread -o $@ $^ $(LIB_LIBS) $(RUNTIME_LIBS)

# hyrun-init is PID 1 of the guest: static, so it needs nothing from the rootfs.
$(BUILD)/init-obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) -O2 -g $(CPPFLAGS) -c -o $@ $<

$(INIT_COMMON_LIB): $(addprefix $(BUILD)/init-obj/,$(COMMON_OBJS))
	rm -f $@
	ar rcs $@ $^

$(INIT_BIN): $(addprefix $(BUILD)/init-obj/,$(INIT_OBJS)) $(INIT_COMMON_LIB)
	$(CC) -static -o $@ $^ $(INIT_LIBS)

$(INITRAMFS): $(INIT_BIN) rootfs/mkinitramfs $(GUEST_DIR)/kernel.stamp
	rootfs/mkinitramfs --init $(INIT_BIN) --kernel-dir $(GUEST_DIR)/kernel --out $@

# The tests' probe runs inside guests on any root filesystem: static, like hyrun-init.
$(PROBE_BIN): tests/probe/probe.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) -O2 -g $(CPPFLAGS) -static -o $@ $<

# The jail tests run build/probe inside the jail.
$(UNIT_BIN): $(call obj,$(UNIT_TEST_OBJS)) $(call obj,$(RUNTIME_OBJS)) \
		$(call obj,$(INIT_TESTED_OBJS)) $(OCI_LIB) $(NETNS_LIB) $(VMM_LIB) $(COMMON_LIB) \
		| $(PROBE_BIN)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -pthread -o $@ $^ $(LIB_LIBS) $(RUNTIME_LIBS) $(NL_LIBS) \
		$(shell pkg-config --libs criterion)

setup:
	hack/setup

# The minimal guest kernel (build/guest/vmlinux, bzImage-mini), cached by config hash.
kernel:
	hack/build-kernel

unit: $(UNIT_BIN)
	$(UNIT_BIN) --jobs 2

integration: all
	tests/integration/run

# check builds the minimal kernel too (once; cached) so that its boot path is tested.
check: setup
	$(MAKE) kernel
	$(MAKE) all $(UNIT_BIN)
	hack/check

demo: setup
	$(MAKE) all
	hack/demo

bench-boot: all
	hack/bench-boot

bench-start: all
	hack/bench-start

bench-fs: all
	hack/bench-fs

leak-test: all
	hack/leak-test

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD)/obj $(BUILD)/init-obj $(BUILD)/tests $(BUILD)/asan $(BUILD)/fuzz $(BUILD)/lib \
		$(BUILD)/debug \
		$(VMM_BIN) $(RUNTIME_BIN) $(INIT_BIN) $(INITRAMFS) $(PROBE_BIN)

-include $(shell find $(BUILD)/obj $(BUILD)/init-obj $(BUILD)/debug -name '*.d' 2>/dev/null)

# --- fuzzing and sanitizers --------------------------------------------------------
#   make fuzz        libFuzzer harnesses in build/fuzz/ (clang), see tests/fuzz/README.md
#   make fuzz-smoke  every harness over its corpus plus seeded mutations: gcc, ASan/UBSan
#   make unit-asan   the unit tests built with ASan/UBSan in build/asan/, then run
#   make fuzz-long   every libFuzzer harness for FUZZ_TIME seconds each (not in CI),
#                    new coverage merged into tests/fuzz/corpus/ (hack/fuzz-long)
FUZZ_NAMES := queue mmio console net vsock bzimage elf fuse spec serial i8042 guest_config \
	agent_msg
FUZZ_LIB_OBJS := $(ALL_LIB_OBJS)
ifeq ($(origin FUZZ_CC),undefined)
FUZZ_CC := $(shell command -v clang 2>/dev/null)
endif
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
# Findings abort (so Criterion's forked workers and the replay driver fail loudly).
SAN_ENV := ASAN_OPTIONS=abort_on_error=1:halt_on_error=1:detect_leaks=1 \
	UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
FUZZ_SMOKE_ITERS ?= 200000
FUZZ_SMOKE_SECS ?= 4
ASAN_DIR := $(BUILD)/asan
FUZZ_DIR := $(BUILD)/fuzz
ASAN_LIB := $(ASAN_DIR)/libhyrun.a
FUZZ_LIB := $(FUZZ_DIR)/libhyrun.a

FUZZ_TIME ?= 600
FUZZ_JOBS ?= 1

.PHONY: fuzz fuzz-smoke fuzz-long print-fuzz-names unit-asan $(addprefix fuzz-smoke-,$(FUZZ_NAMES))
# Kept between runs (make would delete them as intermediates of the pattern rules).
.SECONDARY: $(foreach d,$(ASAN_DIR) $(FUZZ_DIR),$(addprefix $(d)/obj/tests/fuzz/, \
	$(patsubst %,fuzz_%.o,$(FUZZ_NAMES)) replay.o quiet_log.o))

$(ASAN_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) -O1 -g $(SAN_FLAGS) $(CPPFLAGS) -pthread -c -o $@ $<

$(ASAN_LIB): $(addprefix $(ASAN_DIR)/obj/,$(FUZZ_LIB_OBJS))
	rm -f $@
	ar rcs $@ $^

$(ASAN_DIR)/unit-tests: $(addprefix $(ASAN_DIR)/obj/,$(UNIT_TEST_OBJS) $(RUNTIME_OBJS) \
		$(INIT_TESTED_OBJS)) $(ASAN_LIB) | $(PROBE_BIN)
	$(CC) $(SAN_FLAGS) -pthread -o $@ $^ $(LIB_LIBS) $(RUNTIME_LIBS) $(NL_LIBS) \
		$(shell pkg-config --libs criterion)

# Criterion only warns when a test's worker dies in teardown (where LeakSanitizer
# reports), so any sanitizer report in the output fails the run as well.
unit-asan: $(ASAN_DIR)/unit-tests
	@$(SAN_ENV) $< --jobs 2 > $(ASAN_DIR)/unit-tests.log 2>&1; rc=$$?; \
	cat $(ASAN_DIR)/unit-tests.log; \
	if grep -q -E 'ERROR: [A-Za-z]+Sanitizer|runtime error:' $(ASAN_DIR)/unit-tests.log; then \
		echo "unit-asan: sanitizer report above" >&2; exit 1; fi; exit $$rc

# The replay builds: any compiler, no libFuzzer (tests/fuzz/replay.c has main()).
$(ASAN_DIR)/fuzz-%: $(ASAN_DIR)/obj/tests/fuzz/fuzz_%.o $(ASAN_DIR)/obj/tests/fuzz/replay.o \
		$(ASAN_DIR)/obj/tests/fuzz/quiet_log.o $(ASAN_LIB)
	$(CC) $(SAN_FLAGS) -pthread -o $@ $^ $(LIB_LIBS)

fuzz-smoke: $(addprefix fuzz-smoke-,$(FUZZ_NAMES))

$(addprefix fuzz-smoke-,$(FUZZ_NAMES)): fuzz-smoke-%: $(ASAN_DIR)/fuzz-%
	$(SAN_ENV) $< -s 1 -n $(FUZZ_SMOKE_ITERS) -t $(FUZZ_SMOKE_SECS) tests/fuzz/corpus/$*

# libFuzzer builds: the library instrumented for coverage too.
$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=gnu11 $(WARN) -O1 -g $(SAN_FLAGS) -fsanitize=fuzzer-no-link $(CPPFLAGS) \
		-pthread -c -o $@ $<

$(FUZZ_LIB): $(addprefix $(FUZZ_DIR)/obj/,$(FUZZ_LIB_OBJS))
	rm -f $@
	ar rcs $@ $^

$(FUZZ_DIR)/fuzz-%: $(FUZZ_DIR)/obj/tests/fuzz/fuzz_%.o $(FUZZ_DIR)/obj/tests/fuzz/quiet_log.o \
		$(FUZZ_LIB)
	$(FUZZ_CC) $(SAN_FLAGS) -fsanitize=fuzzer -pthread -o $@ $^ $(LIB_LIBS)

fuzz: $(addprefix $(ASAN_DIR)/fuzz-,$(FUZZ_NAMES)) \
		$(if $(FUZZ_CC),$(addprefix $(FUZZ_DIR)/fuzz-,$(FUZZ_NAMES)))
	$(if $(FUZZ_CC),,@echo "fuzz: no clang, so only the replay builds ($(ASAN_DIR)/fuzz-*)")

fuzz-long:
	hack/fuzz-long -t $(FUZZ_TIME) -j $(FUZZ_JOBS)

print-fuzz-names:
	@echo $(FUZZ_NAMES)

-include $(shell find $(ASAN_DIR)/obj $(FUZZ_DIR)/obj -name '*.d' 2>/dev/null)
