#!/usr/bin/env bash
# tiny-guests.sh: exit-status paths of hyrun-vmm with hand-written 64-bit "kernels" wrapped in a
# minimal bzImage header (runs on any /dev/kvm, PVM included: each guest is a few instructions).
# Usage: tests/integration/tiny-guests.sh [HYRUN_VMM]
set -euo pipefail
vmm=${1:-build/hyrun-vmm}
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -c /dev/kvm ]; then
	echo "tiny-guests: skipped: this machine has no /dev/kvm"
	echo "0 passed, 0 failed, 14 skipped"
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
hostile() { # DEVICE_ID: the hostile driver above, for the device with that ID in window 1
	printf '%s' "mov \$0xd0000200, %ebx
mov 8(%rbx), %eax; cmp \$$1, %eax; je 4f; mov \$50, %eax; $EXIT
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
}
mk hostilenet "$(hostile 1)"
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

# virtio-vsock under the real seccomp filter (window 1). hostilevsock: a host client that
# connected and sent "CONNECT 1024" before the VMM started; the guest's driver resets the
# device first (the waiting client survives that, as it must when a client comes before
# the driver has probed), takes the client's REQUEST (accept, its line, the connect
# timer), then breaks the device: the client is closed, the VM goes on (64; 66: not that
# REQUEST, 52: the device did not stop). vsockconnect: the guest connects to host port
# 5555, a socket in the --vsock dir (socket, connect), sends "hi", gets "ok" back (writev,
# readv), shuts the stream down (shutdown) and waits for the RST: 65, or 66..68 for a
# wrong answer at each step. 51: no answer within some seconds (timed by the TSC: a
# spinning loop is slow where /dev/kvm is emulated).
# vhdr ADDR OP LEN FLAGS FWD: a packet header from guest port 1234 to host port 5555.
vhdr() {
	printf 'mov $%s, %%edi; movq $3, (%%rdi); movq $2, 8(%%rdi); movl $1234, 16(%%rdi)
movl $5555, 20(%%rdi); movl $%s, 24(%%rdi); movw $1, 28(%%rdi); movw $%s, 30(%%rdi)
movl $%s, 32(%%rdi); movl $65536, 36(%%rdi); movl $%s, 40(%%rdi)\n' "$1" "$3" "$2" "$4" "$5"
}
# vwait N: wait until the rx used index reaches N, else exit 51.
vwait() {
	printf 'rdtsc; shl $32, %%rdx; or %%rdx, %%rax; mov %%rax, %%r8; movabs $20000000000, %%r9
2: movzwl 0x202002, %%eax; cmp $%s, %%eax; jae 3f
rdtsc; shl $32, %%rdx; or %%rdx, %%rax; sub %%r8, %%rax; cmp %%r9, %%rax; jb 2b
mov $51, %%eax; %s\n3:\n' "$1" "$EXIT"
}
# The driver: device 19 in window 1 (else exit 50), VERSION_1, rx queue 0 at 0x200000
# with three 4140-byte buffers (0x220000, 0x222000, 0x224000), tx queue 1 at 0x210000.
VSOCK_PROBE="mov \$0xd0000200, %ebx
mov 8(%rbx), %eax; cmp \$19, %eax; je 4f; mov \$50, %eax; $EXIT
4: movl \$0, 0x70(%rbx); movl \$3, 0x70(%rbx)
movl \$1, 0x24(%rbx); movl \$1, 0x20(%rbx); movl \$0, 0x24(%rbx); movl \$0, 0x20(%rbx)
movl \$11, 0x70(%rbx)
movl \$0, 0x30(%rbx); movl \$8, 0x38(%rbx)
movl \$0x200000, 0x80(%rbx); movl \$0, 0x84(%rbx)
movl \$0x201000, 0x90(%rbx); movl \$0, 0x94(%rbx)
movl \$0x202000, 0xa0(%rbx); movl \$0, 0xa4(%rbx)
movl \$1, 0x44(%rbx)
movl \$1, 0x30(%rbx); movl \$8, 0x38(%rbx)
movl \$0x210000, 0x80(%rbx); movl \$0, 0x84(%rbx)
movl \$0x211000, 0x90(%rbx); movl \$0, 0x94(%rbx)
movl \$0x212000, 0xa0(%rbx); movl \$0, 0xa4(%rbx)
movl \$1, 0x44(%rbx)
movl \$15, 0x70(%rbx)
mov \$0x200000, %edi
movl \$0x220000, (%rdi); movl \$4140, 8(%rdi); movw \$2, 12(%rdi)
movl \$0x222000, 16(%rdi); movl \$4140, 24(%rdi); movw \$2, 28(%rdi)
movl \$0x224000, 32(%rdi); movl \$4140, 40(%rdi); movw \$2, 44(%rdi)"
mk hostilevsock "$VSOCK_PROBE
movw \$0, 0x201004; movw \$1, 0x201002; movl \$0, 0x50(%rbx)
$(vwait 1)
movzwl 0x22001e, %eax; cmp \$1, %eax; jne 6f; mov 0x220014, %eax; cmp \$1024, %eax; je 5f
6: mov \$66, %eax; $EXIT
5: mov \$0x210000, %edi; movabs \$0x7fff00000000, %rax; mov %rax, (%rdi); movl \$100, 8(%rdi)
movw \$0, 0x211004; movw \$1, 0x211002; movl \$1, 0x50(%rbx)
rdtsc; shl \$32, %rdx; or %rdx, %rax; mov %rax, %r8; movabs \$20000000000, %r9
2: mov 0x70(%rbx), %eax; test \$0x40, %eax; jnz 3f
rdtsc; shl \$32, %rdx; or %rdx, %rax; sub %r8, %rax; cmp %r9, %rax; jb 2b
mov \$52, %eax; $EXIT
3: mov \$64, %eax; $EXIT"
mk vsockconnect "$VSOCK_PROBE
movw \$0, 0x201004; movw \$1, 0x201006; movw \$2, 0x201008; movw \$3, 0x201002
movl \$0, 0x50(%rbx)
$(vhdr 0x230000 1 0 0 0)
$(vhdr 0x230100 5 2 0 0)
movw \$0x6968, 44(%rdi)
$(vhdr 0x230200 4 0 3 2)
mov \$0x210000, %edi
movl \$0x230000, (%rdi); movl \$44, 8(%rdi)
movl \$0x230100, 16(%rdi); movl \$46, 24(%rdi)
movl \$0x230200, 32(%rdi); movl \$44, 40(%rdi)
movw \$0, 0x211004; movw \$1, 0x211002; movl \$1, 0x50(%rbx)
$(vwait 1)
movzwl 0x22001e, %eax; cmp \$2, %eax; je 5f; mov \$66, %eax; $EXIT
5: movw \$1, 0x211006; movw \$2, 0x211002; movl \$1, 0x50(%rbx)
$(vwait 2)
movzwl 0x22201e, %eax; cmp \$5, %eax; jne 6f; movzwl 0x22202c, %eax; cmp \$0x6b6f, %eax; je 7f
6: mov \$67, %eax; $EXIT
7: movw \$2, 0x211008; movw \$3, 0x211002; movl \$1, 0x50(%rbx)
$(vwait 3)
movzwl 0x22401e, %eax; cmp \$3, %eax; je 8f; mov \$68, %eax; $EXIT
8: mov \$65, %eax; $EXIT"
vsock_run() { # NAME WANT: the tiny guest NAME with --vsock, a client and a host socket
	local rc=0
	python3 - "$vmm" "$tmp/$1.img" "$tmp" "$1" >"$tmp/out" 2>"$tmp/err" <<-'PY' || rc=$?
		import os, socket, subprocess, sys
		vmm, img, d, name = sys.argv[1:5]
		def listener(path):
		    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
		    s.bind(path)
		    s.listen(8)
		    return s
		lst = listener(d + "/vsock.sock")
		srv = listener(d + "/vsock.sock_5555")
		if name == "hostilevsock":
		    # A client in the backlog before the VMM starts, its line sent.
		    cl = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
		    cl.connect(d + "/vsock.sock")
		    cl.sendall(b"CONNECT 1024\n")
		p = subprocess.Popen([vmm, "--kernel", img, "--mem", "64M", "--vsock",
		                      "fd=%d,dir=%s" % (lst.fileno(), d)], pass_fds=[lst.fileno()])
		lst.close()
		ok = True
		try:
		    if name == "vsockconnect":
		        srv.settimeout(60)
		        c, _ = srv.accept()
		        c.settimeout(20)
		        got = c.recv(2)
		        c.sendall(b"ok")
		        end = c.recv(1)
		        if got != b"hi" or end != b"":
		            print("host socket got %r then %r" % (got, end), file=sys.stderr)
		            ok = False
		    rc = p.wait(120)
		finally:
		    if p.poll() is None:
		        p.kill()
		if name == "hostilevsock":
		    cl.settimeout(10)
		    try:
		        end = cl.recv(1)
		    except OSError as e:
		        end = repr(e)
		    if end != b"":
		        print("the client got %r, not end of file" % (end,), file=sys.stderr)
		        ok = False
		sys.exit(rc if ok else 1)
	PY
	if [ "$rc" != "$2" ] || grep -q "seccomp" "$tmp/err"; then
		echo "not ok - tiny-guest $1: status $rc, want $2"; sed 's/^/    /' "$tmp/err"; fail=$((fail + 1))
	else
		echo "ok - tiny-guest $1"; passed=$((passed + 1))
	fi
	rm -f "$tmp/vsock.sock" "$tmp/vsock.sock_5555"
}
vsock_run hostilevsock 64
vsock_run vsockconnect 65
echo "$passed passed, $fail failed"
[ "$fail" = 0 ]
