#!/usr/bin/env bash
# tiny-guests.sh: exit-status paths of hyrun-vmm with hand-written 64-bit "kernels" wrapped in a
# minimal bzImage header (runs on any /dev/kvm, PVM included: each guest is a few instructions).
# Usage: tests/integration/tiny-guests.sh [HYRUN_VMM]
set -euo pipefail
vmm=${1:-build/hyrun-vmm}
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -c /dev/kvm ]; then
	echo "tiny-guests: skipped: this machine has no /dev/kvm"
	echo "0 passed, 0 failed, 11 skipped"
	exit 0
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
passed=0
mk() {
	printf '.code64\n.globl _start\n_start:\n%s\n1: hlt\njmp 1b\nmsg: .ascii "tiny guest\\nKernel panic - not syncing: pretend\\n"\nmsgend:\n' "$2" >"$tmp/$1.S"
	gcc -c -o "$tmp/$1.o" "$tmp/$1.S"
	ld -Ttext=0x100200 -o "$tmp/$1.elf" "$tmp/$1.o"
	objcopy -O binary "$tmp/$1.elf" "$tmp/$1.bin"
	python3 "$here/mkbzimage.py" "$tmp/$1.bin" "$tmp/$1.img"
}
check() { # name want [grep-pattern-in-stderr]
	local rc=0
	"$vmm" --kernel "$tmp/$1.img" --mem 64M ${EXTRA:-} </dev/null >"$tmp/out" 2>"$tmp/err" || rc=$?
	if [ "$rc" != "$2" ] || [ -s "$tmp/out" ] || { [ -n "${3:-}" ] && ! grep -q "$3" "$tmp/err"; }; then
		echo "not ok - tiny-guest $1: status $rc, want $2"; sed 's/^/    /' "$tmp/err"; fail=$((fail + 1))
	else
		echo "ok - tiny-guest $1"; passed=$((passed + 1))
	fi
}
EXIT='mov $0x600, %dx; outl %eax, %dx'
mk exit7 "mov \$1, %al; mov \$0x604, %dx; outb %al, %dx
lea msg(%rip), %rsi; mov \$(msgend-msg), %ecx; mov \$0x3f8, %dx; rep outsb
mov \$7, %eax; $EXIT"
mk invalid "mov \$0x10007, %eax; $EXIT"
mk signaled "mov \$0x0109, %eax; $EXIT"
mk badsig "mov \$0x0141, %eax; $EXIT"
mk initerr "mov \$0x027f, %eax; $EXIT"
mk triple "lea msg(%rip), %rsi; mov \$(msgend-msg), %ecx; mov \$0x3f8, %dx; rep outsb; ud2"
mk kbdreset 'mov $0xfe, %al; outb %al, $0x64'
mk s5 'mov $0x34, %al; mov $0x3c0, %dx; outb %al, %dx'
mk s5after "mov \$3, %eax; $EXIT; mov \$0x34, %al; mov \$0x3c0, %dx; outb %al, %dx"
mk mmio "mov \$0xd0000000, %ebx; mov (%rbx), %eax; and \$0xff, %eax; $EXIT"
check exit7 7
check invalid 123 'invalid exit value 0x10007'
check signaled 137
check badsig 123 'invalid exit value 0x141'
check initerr 127
check triple 123 'guest kernel panic: Kernel panic - not syncing: pretend'
check kbdreset 123 'keyboard controller'
check s5 123 'powered off'
check s5after 3
EXTRA=--prefault check exit7 7
check mmio 118   # low byte of the virtio-mmio magic "virt"
echo "$passed passed, $fail failed"
[ "$fail" = 0 ]
