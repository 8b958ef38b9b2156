#!/bin/bash
# init-selftest.sh: hyrun-init's self-test mode against a fake guest tree (no VM needed).
#
# usage: tests/integration/init-selftest.sh [path/to/hyrun-init]
# Without an argument it builds rootfs/init/*.c and the common code it needs statically
# into a temporary directory.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/hyrun-init-selftest.XXXXXX)
trap 'rm -rf "$work"' EXIT

if [ $# -ge 1 ]; then
	init=$(realpath "$1")
else
	init=$work/hyrun-init
	gcc -static -std=gnu11 -Wall -Wextra -Wshadow -Wmissing-prototypes -Wformat=2 \
		-Wno-unused-parameter -Werror -D_GNU_SOURCE -I"$top" -O2 -o "$init" \
		$(pkg-config --cflags libnl-route-3.0) \
		"$top"/rootfs/init/*.c "$top"/common/{err,time,fdio,names,strv,plan,guest_config,agent_msg}.c \
		-ljansson -lseccomp -lcap $(pkg-config --libs libnl-route-3.0) ||
		{ echo "build failed"; echo "0 passed, 1 failed"; exit 1; }
fi

passed=0
failed=0

ok() {
	passed=$((passed + 1))
	echo "ok   $1"
}

not_ok() {
	failed=$((failed + 1))
	echo "FAIL $1"
	shift
	for line in "$@"; do
		echo "     $line"
	done
}

# A fresh fake guest: sysfs class entries whose names point at regular files in dev/.
# $1: ports to create (default: all three)
new_root() {
	root=$work/root.$((passed + failed))
	mkdir -p "$root/.hyrun" "$root/dev" "$root/sys/class/virtio-ports"
	local i=0 port
	for port in ${1:-stdin stdout stderr}; do
		mkdir "$root/sys/class/virtio-ports/vport9p$i"
		echo "hyrun.$port" >"$root/sys/class/virtio-ports/vport9p$i/name"
		: >"$root/dev/vport9p$i"
		ln -s "vport9p$i" "$root/dev/$port"	# names for the checks below
		i=$((i + 1))
	done
	# A decoy with a name that is not ours comes first in the scan.
	mkdir "$root/sys/class/virtio-ports/vport0p0"
	echo "org.qemu.guest_agent.0" >"$root/sys/class/virtio-ports/vport0p0/name"
}

set_argv() {
	printf '%s\0' "$@" >"$root/.hyrun/argv"
}

# Runs hyrun-init on $root (redirections on the call reach it). The exit report lands
# in $report, hyrun-init's own stderr (its console) in $root/init.err.
run_init() {
	report=$(cd "$work" && HYRUN_INIT_TEST_ROOT=$root timeout 20 "$init" \
		2>"$root/init.err" | sed -n 's/^hyrun-init: exit-report //p')
}

# check NAME EXPECTED-REPORT
check_report() {
	if [ "$report" = "$2" ]; then
		ok "$1"
	else
		not_ok "$1" "report '$report', expected '$2'" "stderr port: $(cat "$root/dev/stderr")" \
			"init stderr: $(cat "$root/init.err")"
	fi
}

# --- argv with spaces and special characters, and stdout
new_root
# shellcheck disable=SC2016,SC1003 # literal characters are the point
args=("a b" '$HOME' "'q'" '"d"' '' 'tab	x' $'new\nline' '*' ';' '\' 'é')
set_argv /usr/bin/printf '[%s]\n' "${args[@]}"
run_init
check_report "argv: exit report" 0x0
expected=$(printf '[%s]\n' "${args[@]}")
if [ "$(cat "$root/dev/stdout")" = "$expected" ]; then
	ok "argv: spaces, quotes, empty and newline arguments arrive intact"
else
	not_ok "argv: arguments" "got: $(cat "$root/dev/stdout")" "expected: $expected"
fi

# --- exit codes
for code in 0 7 255; do
	new_root
	set_argv /bin/sh -c "echo out; echo err >&2; exit $code"
	run_init
	check_report "exit $code" "$(printf '0x%x' "$code")"
done
if [ "$(cat "$root/dev/stdout")" = out ] && [ "$(cat "$root/dev/stderr")" = err ]; then
	ok "stdout and stderr go to their own ports"
else
	not_ok "stdout/stderr ports" "stdout: $(cat "$root/dev/stdout")" \
		"stderr: $(cat "$root/dev/stderr")"
fi

# --- killed by a signal: kind 1
new_root
set_argv /bin/sh -c 'kill -9 $$'
run_init
check_report "kill -9 -> kind 1 signal 9" 0x109

# --- exec failures: kind 2 with 127/126 and a message on the stderr port
new_root
set_argv /nonexistent/prog arg
run_init
check_report "missing binary -> kind 2 code 127" 0x27f
if grep -qx "hyrun-init: exec '/nonexistent/prog': No such file or directory" "$root/dev/stderr"; then
	ok "missing binary: message on the stderr port"
else
	not_ok "missing binary message" "stderr port: $(cat "$root/dev/stderr")"
fi

new_root
set_argv no-such-command-hyrun
run_init
check_report "command not in PATH -> kind 2 code 127" 0x27f
if grep -qx "hyrun-init: exec 'no-such-command-hyrun': executable file not found in \$PATH" \
	"$root/dev/stderr"; then
	ok "command not in PATH: message on the stderr port"
else
	not_ok "PATH message" "stderr port: $(cat "$root/dev/stderr")"
fi

new_root
printf '#!/bin/sh\necho should-not-run\n' >"$work/not-executable"
chmod 0644 "$work/not-executable"
set_argv "$work/not-executable"
run_init
check_report "non-executable file -> kind 2 code 126" 0x27e
if grep -q "Permission denied" "$root/dev/stderr"; then
	ok "non-executable file: message on the stderr port"
else
	not_ok "non-executable message" "stderr port: $(cat "$root/dev/stderr")"
fi

# A workload that itself exits 127 is kind 0, not an init error.
new_root
set_argv /bin/sh -c 'exit 127'
run_init
check_report "workload exit 127 stays kind 0" 0x7f

# --- missing argv file: /bin/sh reads its commands from the stdin port
new_root
printf 'echo from-stdin\nexit 4\n' >"$root/dev/stdin"
rm -f "$root/.hyrun/argv"
run_init
check_report "no argv: /bin/sh on stdin" 0x4
if [ "$(cat "$root/dev/stdout")" = from-stdin ]; then
	ok "no argv: stdin port is fd 0"
else
	not_ok "no argv stdin" "stdout port: $(cat "$root/dev/stdout")"
fi

# --- environment, working directory and file descriptors of the workload
new_root
set_argv /usr/bin/env
run_init
check_report "env runs" 0x0
expected=$(printf '%s\n' PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root)
if [ "$(cat "$root/dev/stdout")" = "$expected" ]; then
	ok "environment is exactly PATH and HOME"
else
	not_ok "environment" "got: $(cat "$root/dev/stdout")" "expected: $expected"
fi

new_root
set_argv /bin/sh -c 'pwd; exec ls /proc/self/fd'
run_init 7</dev/null 8>/dev/null
check_report "fd check runs" 0x0
expected=$(printf '/\n0\n1\n2\n3')	# 3: the directory ls is reading
if [ "$(cat "$root/dev/stdout")" = "$expected" ]; then
	ok "cwd is /, only fds 0-2 inherited"
else
	not_ok "cwd/fds" "got: $(tr '\n' ' ' <"$root/dev/stdout")"
fi

# --- signal forwarding to the workload's process group
new_root
set_argv /bin/sh -c 'echo ready; exec sleep 30'
(cd "$work" && HYRUN_INIT_TEST_ROOT=$root exec "$init" >"$root/report" 2>"$root/init.err") &
pid=$!
for _ in $(seq 200); do
	[ -s "$root/dev/stdout" ] && break
	sleep 0.05
done
sleep 0.1
kill -TERM $pid
wait $pid
report=$(sed -n 's/^hyrun-init: exit-report //p' "$root/report")
check_report "SIGTERM forwarded -> kind 1 signal 15" 0x10f

# --- orphans are reaped and the report is not held up by them
new_root
set_argv /bin/sh -c '(sleep 0.2; echo late) & exit 3'
start=$(date +%s%N)
run_init
check_report "orphan left behind: report of the direct child" 0x3

# --- ports that never show up: kind 2, setup status 125
new_root "stdin stdout"
set_argv /bin/true
start=$(date +%s%N)
report=$(cd "$work" && HYRUN_INIT_TEST_ROOT=$root HYRUN_INIT_TEST_PORT_TIMEOUT_MS=200 \
	"$init" 2>"$root/init.err" | sed -n 's/^hyrun-init: exit-report //p')
elapsed=$((($(date +%s%N) - start) / 1000000))
check_report "missing stderr port -> kind 2 code 125" 0x27d
if grep -q "port 'hyrun.stderr' not found" "$root/init.err" && [ "$elapsed" -lt 5000 ]; then
	ok "missing port: named on the console, gave up after the timeout (${elapsed} ms)"
else
	not_ok "missing port message" "elapsed ${elapsed} ms" "init stderr: $(cat "$root/init.err")"
fi

# --- debug flag turns on diagnostics; unknown keys are ignored
new_root
set_argv /bin/true
printf 'colour=blue\ndebug=1\n' >"$root/.hyrun/flags"
run_init
check_report "debug flag: exit report" 0x0
if grep -q "hyrun-init: port 'hyrun.stdout' is $root/dev/vport9p1" "$root/init.err"; then
	ok "debug flag: diagnostics on the console"
else
	not_ok "debug diagnostics" "init stderr: $(cat "$root/init.err")"
fi
new_root
set_argv /bin/true
run_init
if [ ! -s "$root/init.err" ]; then
	ok "no debug flag: silent console"
else
	not_ok "silent console" "init stderr: $(cat "$root/init.err")"
fi

# --- a guest configuration (common/guest_config.h) at /.hyrun/guest-config.json
# The root's share is the host's / (share tag T is $work/shares/T), entered in the child's own
# mount and UTS namespaces, so the mounts below change nothing outside.
mkdir -p "$work/shares"
ln -sfn / "$work/shares/rootfs"

# set_config PROCESS-MEMBERS [MORE-TOP-LEVEL-MEMBERS]: write the guest configuration.
set_config() {
	printf '{"version":1,"root":{"share":"rootfs"},%s"process":{%s}}' "${2:+$2,}" "$1" \
		>"$root/.hyrun/guest-config.json"
}

# Runs hyrun-init with the test shares (as run_init).
run_init_shares() {
	report=$(cd "$work" && HYRUN_INIT_TEST_ROOT=$root HYRUN_INIT_TEST_SHARES=$work/shares \
		timeout 20 "$init" 2>"$root/init.err" | sed -n 's/^hyrun-init: exit-report //p')
}

if ! unshare -m true 2>/dev/null; then
	echo "skip guest configuration tests: no mount namespaces here"
else
	new_root
	mkdir -p "$root/.hyrun/files"
	echo "from-the-host" >"$root/.hyrun/files/0"
	set_argv /bin/false	# the configuration's args win
	# shellcheck disable=SC2016 # expanded by the workload's shell
	set_config '"args":["/bin/sh","-c","hostname; pwd; echo \"$GREETING\"; cat /etc/hostname; ls /tmp; umask; exit 5"],
		"env":["PATH=/usr/bin:/bin","GREETING=hello world"],"cwd":"/etc","uid":0,"gid":0,
		"umask":23' \
		'"hostname":"guest-box","mounts":[{"destination":"/tmp","type":"tmpfs","source":"tmpfs",
		"options":["nosuid","mode=755"]},{"destination":"/etc/hostname","type":"bind",
		"options":["ro"],"file":"0"}]'
	run_init_shares
	check_report "config: exit report" 0x5
	expected=$(printf '%s\n' guest-box /etc "hello world" from-the-host 0027)
	if [ "$(cat "$root/dev/stdout")" = "$expected" ]; then
		ok "config: args, env, cwd, umask, hostname, a tmpfs and a file mount"
	else
		not_ok "config: workload's view" "got: $(cat "$root/dev/stdout")" \
			"expected: $expected" "stderr port: $(cat "$root/dev/stderr")" \
			"init stderr: $(cat "$root/init.err")"
	fi

	new_root
	set_config '"args":["/bin/sh","-c","[ -t 0 ] && [ -t 1 ] && echo on-a-tty"],"cwd":"/",
		"terminal":true,"uid":0,"gid":0'
	run_init_shares </dev/null
	check_report "config: process.terminal" 0x0
	if [ "$(tr -d '\r' <"$root/dev/stdout")" = on-a-tty ]; then
		ok "config: process.terminal gives a pty without the flag"
	else
		not_ok "config: terminal" "stdout port: $(cat "$root/dev/stdout")" \
			"stderr port: $(cat "$root/dev/stderr")"
	fi

	new_root
	set_config '"args":["no-such-command-hyrun"],"env":["PATH=/usr/bin:/bin"],"cwd":"/","uid":0,
		"gid":0'
	run_init_shares
	check_report "config: command not in process.env's PATH -> 127" 0x27f

	new_root
	set_config '"args":[],"cwd":"/","uid":0,"gid":0'
	run_init_shares
	check_report "config: invalid -> kind 2 code 125" 0x27d
	if grep -q "hyrun-init: process.args: must be a non-empty array of strings" \
		"$root/dev/stderr"; then
		ok "config: invalid, the member named on the stderr port"
	else
		not_ok "config: invalid message" "stderr port: $(cat "$root/dev/stderr")"
	fi

	# The self-test leaves the host's network alone: the NICs are decoded, not applied.
	new_root
	set_config '"args":["/bin/true"],"cwd":"/","uid":0,"gid":0' \
		'"network":[{"name":"eth0","mac":"02:42:ac:11:00:02","mtu":1500,
		"addresses":["10.88.0.5/16"],"routes":[{"destination":"0.0.0.0/0",
		"gateway":"10.88.0.1"}]}]'
	run_init_shares
	check_report "config: a network -> the workload runs" 0x0

	new_root
	set_config '"args":["/bin/true"],"cwd":"/","uid":0,"gid":0' \
		'"network":[{"name":"eth0","mac":"02:42:ac:11:00:02","mtu":1500,
		"routes":[{"destination":"10.88.0.1/16"}]}]'
	run_init_shares
	check_report "config: invalid network -> kind 2 code 125" 0x27d
	if grep -q "hyrun-init: network\[0\].routes\[0\].destination: \"10.88.0.1/16\" has bits" \
		"$root/dev/stderr"; then
		ok "config: invalid network, the member named on the stderr port"
	else
		not_ok "config: invalid network message" "stderr port: $(cat "$root/dev/stderr")"
	fi

	new_root
	printf '{"version":1,"process":{"args":["/bin/true"],"cwd":"/","uid":0,"gid":0},' \
		>"$root/.hyrun/guest-config.json"
	run_init_shares
	check_report "config: truncated JSON -> kind 2 code 125" 0x27d
	if grep -q "hyrun-init: guest configuration: invalid JSON" "$root/dev/stderr"; then
		ok "config: a syntax error, named on the stderr port"
	else
		not_ok "config: syntax message" "stderr port: $(cat "$root/dev/stderr")"
	fi
fi

# --- refuses to run outside PID 1 without the test root
if out=$(env -u HYRUN_INIT_TEST_ROOT "$init" 2>&1); then
	not_ok "refuses to run as non-PID-1" "it ran: $out"
elif echo "$out" | grep -q "must run as PID 1"; then
	ok "refuses to run as non-PID-1 without HYRUN_INIT_TEST_ROOT"
else
	not_ok "refusal message" "$out"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
