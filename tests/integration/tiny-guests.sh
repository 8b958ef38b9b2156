#!/usr/bin/env bash
# tiny-guests.sh: exit-status paths of hyrun-vmm with hand-written 64-bit "kernels" wrapped in a
# minimal bzImage header (runs on any /dev/kvm, PVM included: each guest is a few instructions).
# Usage: tests/integration/tiny-guests.sh [HYRUN_VMM]
set -euo pipefail
vmm=${1:-build/hyrun-vmm}
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -c /dev/kvm ]; then
	echo "tiny-guests: skipped: this machine has no /dev/kvm"
	echo "0 passed, 0 failed, 12 skipped"
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

# A hostile driver of the virtio-net device (window 1, after the console): a transmit
# chain whose buffer lies outside guest RAM. The device must stop itself (status
# DEVICE_NEEDS_RESET, 0x40) and the VM go on: the guest polls the status and exits 64,
# or 51 if the bit never came, 50 if there is no NIC there. The tap is made in a private
# network namespace and inherited as fd 3, as hyrun create hands it over.
mk hostilenet "mov \$0xd0000200, %ebx
mov 8(%rbx), %eax; cmp \$1, %eax; je 4f; mov \$50, %eax; $EXIT
4: movl \$0, 0x70(%rbx); movl \$3, 0x70(%rbx)
movl \$1, 0x24(%rbx); movl \$1, 0x20(%rbx); movl \$0, 0x24(%rbx); movl \$0, 0x20(%rbx)
movl \$11, 0x70(%rbx)
movl \$1, 0x30(%rbx); movl \$8, 0x38(%rbx)
movl \$0x200000, 0x80(%rbx); movl \$0, 0x84(%rbx)
movl \$0x201000, 0x90(%rbx); movl \$0, 0x94(%rbx)
movl \$0x202000, 0xa0(%rbx); movl \$0, 0xa4(%rbx)
movl \$1, 0x44(%rbx); movl \$15, 0x70(%rbx)
mov \$0x200000, %edi; movabs \$0x7fff00000000, %rax; mov %rax, (%rdi)
movl \$100, 8(%rdi); movl \$0, 12(%rdi)
mov \$0x201000, %edi; movw \$0, (%rdi); movw \$0, 4(%rdi); movw \$1, 2(%rdi)
movl \$1, 0x50(%rbx)
mov \$200000000, %ecx
2: mov 0x70(%rbx), %eax; test \$0x40, %eax; jnz 3f; dec %ecx; jnz 2b
mov \$51, %eax; $EXIT
3: mov \$64, %eax; $EXIT"
if [ "$(id -u)" = 0 ] && [ -c /dev/net/tun ] && unshare --net true 2>/dev/null; then
	rc=0
	unshare --net python3 - "$vmm" "$tmp/hostilenet.img" >"$tmp/out" 2>"$tmp/err" <<-'PY' || rc=$?
		import fcntl, os, struct, sys
		fd = os.open("/dev/net/tun", os.O_RDWR)
		# TUNSETIFF with IFF_TAP | IFF_NO_PI | IFF_VNET_HDR
		fcntl.ioctl(fd, 0x400454CA, struct.pack("16sH", b"hytiny0", 0x0002 | 0x1000 | 0x4000))
		if fd != 3:
		    os.dup2(fd, 3)
		os.set_inheritable(3, True)
		vmm, img = sys.argv[1], sys.argv[2]
		os.execv(vmm, [vmm, "--kernel", img, "--mem", "64M", "--net", "fd=3,mac=02:00:00:00:00:01"])
	PY
	if [ "$rc" != 64 ] || ! grep -q "malformed request from the guest" "$tmp/err"; then
		echo "not ok - tiny-guest hostilenet: status $rc, want 64 and a malformed-request message"
		sed 's/^/    /' "$tmp/err"
		fail=$((fail + 1))
	else
		echo "ok - tiny-guest hostilenet"
		passed=$((passed + 1))
	fi
else
	echo "ok - tiny-guest hostilenet # skip: needs root, /dev/net/tun and network namespaces"
fi
echo "$passed passed, $fail failed"
[ "$fail" = 0 ]
