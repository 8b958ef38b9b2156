#!/usr/bin/env bash
# tiny-hostile.sh: hyrun-vmm against hostile virtio-fs drivers: tiny guest kernels
# (tests/hostile/fsguest.c) that send FUSE requests and descriptor chains no stock kernel
# sends and storm the virtio-mmio registers and I/O ports. Runs on any /dev/kvm, PVM
# included; the integration group "hostile" runs the same cases (tests/integration/hostile.sh).
# (Not named hostile-*.sh: run sources such files as parts of the group.)
# Usage: tests/integration/tiny-hostile.sh [HYRUN_VMM]
set -euo pipefail
vmm=${1:-build/hyrun-vmm}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/hostile/lib.sh
. "$here/../hostile/lib.sh"
if [ ! -c /dev/kvm ] || [ ! -x /usr/bin/time ]; then
	echo "tiny-hostile: skipped: this machine has no /dev/kvm or no /usr/bin/time"
	echo "0 passed, 0 failed, ${#HOSTILE_CASES[@]} skipped"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
skipped=0
for c in "${HOSTILE_CASES[@]}"; do
	rc=0
	hostile_case "$vmm" "$tmp" "$c" >"$tmp/log" 2>&1 || rc=$?
	if [ "$rc" = 0 ]; then
		echo "ok - tiny-hostile $c ($(grep -o 'VMM peak RSS [0-9]* KiB' "$tmp/log"))"
		passed=$((passed + 1))
	elif [ "$rc" = 77 ]; then
		echo "ok - tiny-hostile $c # skip: $(tail -n 1 "$tmp/log")"
		skipped=$((skipped + 1))
	else
		echo "not ok - tiny-hostile $c"
		sed 's/^/    /' "$tmp/log"
		failed=$((failed + 1))
	fi
done
if [ "$skipped" != 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" = 0 ]
