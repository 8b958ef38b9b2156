# shellcheck shell=bash
# tests/hostile/lib.sh: build and run the hostile virtio-fs guests (fsguest.c) under
# hyrun-vmm and check what each case must leave behind; sourced by
# tests/integration/tiny-hostile.sh (standalone) and tests/integration/hostile.sh (the
# integration group "hostile").
#
# A case passes when the guest exits 64 (fsguest.c lists the other statuses) with its
# "passed" line, the VMM said what a malformed request makes it say where the case
# breaks the device, the share and a file next to it are unchanged, the VMM's peak
# resident memory stays under HOSTILE_PEAK_MAX_KIB and no process of the run is left.

HOSTILE_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck disable=SC2034  # used by the scripts that source this file
HOSTILE_CASES=(create_fifo create_chardev bad_nodeid huge_len forget_storm desc_outside_ram
	desc_loop mmio_storm)
HOSTILE_MEM_MIB=64 # fsguest.c places its buffers for --mem 64M
# The VMM's peak resident set measured 7.3 to 10 MiB per case (the binary and its
# libraries, one share with two FUSE queues of 2 x 516 KiB buffers each, and the few MiB
# of guest RAM the guest touches). The bound is all of the guest's RAM, as if touched,
# plus 32 MiB for the VMM: three times what it needs; a leak of 1 KiB per request of the
# FORGET storm (100000 of them) would cross it.
HOSTILE_PEAK_MAX_KIB=${HOSTILE_PEAK_MAX_KIB:-$(((HOSTILE_MEM_MIB + 32) * 1024))}
# A guest may make the VMM log, but only so much: its stderr with the guest's own
# serial lines (a few KiB) stays under this.
HOSTILE_STDERR_MAX=${HOSTILE_STDERR_MAX:-65536}
HOSTILE_TIMEOUT=${HOSTILE_TIMEOUT:-120}

# hostile_build_one DIR CASE: DIR/CASE.img, a bzImage around fsguest.c built for CASE.
hostile_build_one() {
	local o=$1/$2
	gcc -std=gnu11 -Wall -Wextra -Werror -ffreestanding -nostdlib -fno-pic \
		-fno-stack-protector -mno-red-zone -mgeneral-regs-only \
		-fno-asynchronous-unwind-tables -O2 -static -DHOSTILE_CASE="$2" \
		-c -o "$o.o" "$HOSTILE_SRC/fsguest.c" || return 1
	gcc -c -o "$o.start.o" "$HOSTILE_SRC/start.S" || return 1
	ld -static -nostdlib --no-warn-rwx-segments -T "$HOSTILE_SRC/guest.ld" -o "$o.elf" \
		"$o.start.o" "$o.o" || return 1
	objcopy -O binary "$o.elf" "$o.bin" || return 1
	python3 "$HOSTILE_SRC/../integration/mkbzimage.py" "$o.bin" "$o.img"
}

# hostile_build DIR: DIR/CASE.img for each case, built unless newer than the sources.
hostile_build() {
	local dir=$1 c o
	mkdir -p "$dir"
	for c in "${HOSTILE_CASES[@]}"; do
		o=$dir/$c
		if [ "$o.img" -nt "$HOSTILE_SRC/fsguest.c" ] && [ "$o.img" -nt "$HOSTILE_SRC/start.S" ] &&
			[ "$o.img" -nt "$HOSTILE_SRC/guest.ld" ]; then
			continue
		fi
		if ! hostile_build_one "$dir" "$c"; then
			rm -f "$o.img"
			return 1
		fi
	done
}

# hostile_share DIR: DIR/share with a regular file "file", a FIFO "fifo" and, where this
# process may make one, the character device "zero" (c 1 5); DIR/outside next to it.
hostile_share() {
	mkdir -p "$1/share"
	printf 'hyrun hostile guest test file\n' >"$1/share/file"
	mkfifo "$1/share/fifo"
	mknod "$1/share/zero" c 1 5 2>/dev/null || true
	printf 'outside the share\n' >"$1/outside"
}

# hostile_snapshot DIR: what the host sees of DIR/share and DIR/outside: each entry's type,
# mode, size, modification and change times, device numbers, and the regular files'
# contents. (Access times are left out: READ may change them.)
hostile_snapshot() {
	(
		cd "$1" || exit 1
		find share outside -printf '%p %y %m %s %T@ %C@\n' | sort
		[ ! -e share/zero ] || stat -c '%n %F %t:%T' share/zero
		md5sum share/file outside
	)
}

# hostile_case VMM DIR CASE: build the guests into DIR (once), run CASE with a fresh share
# under DIR and check it. Prints what it did; returns 0 (passed), 77 (skipped: the last
# line says why) or 1 (failed: "FAIL: ..." says why).
hostile_case() {
	local vmm=$1 dir=$2 c=$3 work img st=0 peak before after left expect=''
	if ! hostile_build "$dir"; then
		echo "FAIL: building the hostile guests failed"
		return 1
	fi
	img=$dir/$c.img
	work=$(mktemp -d "$dir/$c.XXXXXX")
	hostile_share "$work"
	if [ "$c" = create_chardev ] && [ ! -c "$work/share/zero" ]; then
		rm -rf "$work"
		echo "cannot make a device node here (needs root, or a file system that allows one)"
		return 77
	fi
	before=$(hostile_snapshot "$work")
	printf '$ %s --kernel %s --mem %sM --console --share hostile=%s\n' "$vmm" "$img" \
		"$HOSTILE_MEM_MIB" "$work/share"
	# time(1) reports the largest resident set among the processes it waited for,
	# timeout's child included.
	/usr/bin/time -f '%M' -o "$work/peak" timeout -k 5 "$HOSTILE_TIMEOUT" "$vmm" \
		--kernel "$img" --mem "$HOSTILE_MEM_MIB"M --console --share "hostile=$work/share" \
		</dev/null >"$work/stdout" 2>"$work/stderr" || st=$?
	peak=$(grep -E '^[0-9]+$' "$work/peak" | tail -n 1)
	after=$(hostile_snapshot "$work")
	left=$(pgrep -af -- "$img" || true)
	printf 'exit status %s, VMM peak RSS %s KiB, stderr %s bytes; stderr (last 30 lines):\n' \
		"$st" "$peak" "$(wc -c <"$work/stderr")"
	tail -n 30 "$work/stderr" | sed 's/^/    /'
	case $c in
	huge_len | desc_outside_ram | desc_loop) expect='malformed request from the guest' ;;
	esac
	local why=''
	if [ "$st" != 64 ]; then
		why="exit status $st, expected 64 (tests/hostile/fsguest.c says what each means)"
	elif ! grep -qF "hostile $c: passed" "$work/stderr"; then
		why="no 'hostile $c: passed' line from the guest"
	elif [ -n "$expect" ] && ! grep -qF "$expect" "$work/stderr"; then
		why="the VMM did not say '$expect'"
	elif grep -qiE 'seccomp|SIGSYS' "$work/stderr"; then
		why="the seccomp filter refused a call"
	elif [ -s "$work/stdout" ]; then
		why="output on stdout: $(head -c 200 "$work/stdout")"
	elif [ "$before" != "$after" ]; then
		why="the host changed: before: $before; after: $after"
	elif ! [[ $peak =~ ^[0-9]+$ ]]; then
		why="no peak memory measured"
	elif [ "$peak" -gt "$HOSTILE_PEAK_MAX_KIB" ]; then
		why="the VMM's peak RSS is $peak KiB, over $HOSTILE_PEAK_MAX_KIB KiB"
	elif [ "$(wc -c <"$work/stderr")" -gt "$HOSTILE_STDERR_MAX" ]; then
		why="the VMM wrote more than $HOSTILE_STDERR_MAX bytes on stderr"
	elif [ -n "$left" ]; then
		why="processes left: $left"
	fi
	rm -rf "$work"
	if [ -n "$why" ]; then
		echo "FAIL: $why"
		return 1
	fi
}
