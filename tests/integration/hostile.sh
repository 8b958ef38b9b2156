# shellcheck shell=bash
# tests/integration/hostile.sh: hostile guests: tiny guest kernels (tests/hostile/fsguest.c)
# that drive the virtio-fs device with FUSE requests and descriptor chains no stock kernel
# sends, and storm the virtio-mmio registers and I/O ports. Sourced by run (group
# "hostile", tests named test_hostile_*).
#
# Each case runs under build/hyrun-vmm directly: tests/hostile/lib.sh checks its exit
# status and messages, that the share and a file next to it are unchanged, the VMM's peak
# memory and that no process is left (tests/integration/tiny-hostile.sh runs the same
# outside the test host). test_hostile_runtime_* boot two of them through the whole
# runtime. The guests are built once per run into HOSTILE_DIR, which the last test removes.

# shellcheck source=tests/hostile/lib.sh
. "$ROOT/tests/hostile/lib.sh"

HOSTILE_BASE=/run
[ -w /run ] && [ "$(stat -f -c %T /run 2>/dev/null)" = tmpfs ] || HOSTILE_BASE=${TMPDIR:-/tmp}
HOSTILE_DIR=$HOSTILE_BASE/hyrun-hostile.$$ # $$: the suite's shell, the same in every test

# hostile_test CASE: the case under hyrun-vmm, checked by hostile_case.
hostile_test() {
	local rc=0
	[ -x "$VMM" ] || fail "$VMM is missing (run make)"
	[ -x /usr/bin/time ] || skip "no /usr/bin/time to measure the VMM's peak memory"
	HOSTILE_TIMEOUT=$TEST_TIMEOUT hostile_case "$VMM" "$HOSTILE_DIR" "$1" || rc=$?
	[ "$rc" = 0 ] || exit "$rc"
}

test_hostile_create_fifo() {
	hostile_test create_fifo
}

test_hostile_create_chardev() {
	hostile_test create_chardev
}

test_hostile_bad_nodeid() {
	hostile_test bad_nodeid
}

test_hostile_huge_len() {
	hostile_test huge_len
}

test_hostile_forget_storm() {
	hostile_test forget_storm
}

test_hostile_desc_outside_ram() {
	hostile_test desc_outside_ram
}

test_hostile_desc_loop() {
	hostile_test desc_loop
}

test_hostile_mmio_storm() {
	hostile_test mmio_storm
}

# hostile_runtime CASE: the runtime with an admin-chosen kernel that is the guest of CASE:
# it exits 64 before any workload is ready, so create must fail naming that exit; delete
# --force then leaves nothing (state directory, VMM, cgroup, mounts), and the bundle's root
# is as it was.
hostile_runtime() {
	local id=hostile-$$ before after
	rt_bundle
	hostile_build "$HOSTILE_DIR" || fail "building the hostile guests failed"
	before=$(cd "$B" && find rootfs -printf '%p %y %m %s %T@\n' | sort | md5sum)
	vm_raw env HYRUN_KERNEL="$HOSTILE_DIR/$1.img" HYRUN_CREATE_TIMEOUT=60 \
		"$HYRUN" --root "$RT_ROOT" create --bundle "$B" "$id"
	expect_status 1
	expect_stderr_has "hyrun-vmm exited with status 64 before the workload was ready"
	[ "$1" != desc_loop ] || expect_stderr_has "malformed request from the guest"
	vm_raw "$HYRUN" --root "$RT_ROOT" delete --force "$id"
	[ "$ST" = 0 ] || grep -qF 'does not exist' <<<"$ERR" ||
		fail "delete --force: status $ST: $ERR"
	rt_expect_nothing_left "$id"
	after=$(cd "$B" && find rootfs -printf '%p %y %m %s %T@\n' | sort | md5sum)
	expect_eq "the bundle's root (names, types, modes, sizes, times)" "$after" "$before"
}

# desc_loop breaks the rootfs share's virtio-fs device eleven ways and recovers each time.
test_hostile_runtime_desc_loop() {
	hostile_runtime desc_loop
}

# mmio_storm among the runtime's devices: the console, the rootfs share, the vsock device.
test_hostile_runtime_mmio_storm() {
	hostile_runtime mmio_storm
}

# Last: the guests' directory goes, and no VMM of this group is left running.
test_hostile_zz_leave_nothing() {
	local left
	left=$(pgrep -af -- "$HOSTILE_DIR" || true)
	rm -rf "$HOSTILE_DIR"
	[ -z "$left" ] || fail "processes left: $left"
}
