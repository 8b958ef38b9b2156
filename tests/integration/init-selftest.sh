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

	# Standby NICs, released by the control port's START (a guest without vsock): that
	# START has no network, so they are to be unbound (the self-test leaves them alone).
	new_root "stdin stdout stderr signal"
	printf 'wait_start=1\ndebug=1\n' >"$root/.hyrun/flags"
	printf '\360' >"$root/dev/signal"
	set_config '"args":["/bin/sh","-c","echo started-ok"],"env":["PATH=/usr/bin:/bin"],"cwd":"/",
		"uid":0,"gid":0' '"standbyNics":["02:5e:1a:00:00:01"]'
	run_init_shares
	check_report "config: standby NICs, the control port's START -> the workload runs" 0x0
	if [ "$(cat "$root/dev/stdout")" = started-ok ] &&
		grep -q "self-test: standby NICs left alone" "$root/init.err"; then
		ok "config: standby NICs left alone at the control port's START"
	else
		not_ok "config: control port START" "stdout port: $(cat "$root/dev/stdout")" \
			"init stderr: $(tail -5 "$root/init.err")"
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

# --- the agent (common/agent_proto.h, agent_msg.h), on a Unix socket instead of vsock
# A small client: frames, requests, exec relays. Each scenario prints "ok"/"FAIL" lines.
cat >"$work/agent.py" <<'PY'
# agent.py SOCKET SCENARIO INIT-PID [ARGS]: drives hyrun-init's agent (common/agent_proto.h,
# agent_msg.h) over its self-test Unix socket. Prints "ok NAME" or "FAIL NAME: detail" per check.
import hashlib
import json
import os
import socket
import struct
import sys
import threading
import time

HDR = struct.Struct("<IB3x")
REQUEST, STDIN, WINSIZE, SIGNAL = 1, 2, 3, 4
REPLY, STDOUT, STDERR, EXIT, EVENT = 16, 17, 18, 19, 20
FRAME_MAX = 64 << 10
PATH_ENV = ["PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"]

sock_path = sys.argv[1]


def check(name, cond, detail=""):
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + str(detail)), flush=True)
    return cond


def connect():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock_path)  # blocking: a full backlog makes it wait, not fail
    s.settimeout(20)
    return s


def send(s, ftype, payload=b""):
    s.sendall(HDR.pack(len(payload), ftype) + payload)


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        got = s.recv(n - len(buf))
        if not got:
            return None
        buf += got
    return buf


def recv_frame(s):
    """(type, payload), or None at the end of the stream."""
    try:
        hdr = recv_exact(s, HDR.size)
    except ConnectionResetError:
        return None
    if hdr is None:
        return None
    length, ftype = HDR.unpack(hdr)
    payload = recv_exact(s, length) if length else b""
    return ftype, payload


def call(obj):
    s = connect()
    send(s, REQUEST, json.dumps(obj).encode())
    f = recv_frame(s)
    end = recv_frame(s)
    s.close()
    if f is None or f[0] != REPLY:
        return {"frame": f}
    r = json.loads(f[1])
    if end is not None:
        r["_after"] = end
    return r


def exec_config(args, terminal=False, cwd="/", env=None):
    return {"version": 1, "process": {"args": args, "cwd": cwd, "uid": 0, "gid": 0,
                                      "env": PATH_ENV if env is None else env,
                                      "terminal": terminal}}


class Exec:
    """One exec connection: the reply, then its frames collected by run()."""

    def __init__(self, args, **kw):
        self.s = connect()
        send(self.s, REQUEST, json.dumps({"op": "exec", "config": exec_config(args, **kw)}).encode())
        self.stdout = b""
        self.stderr = b""
        self.exit = None
        self.order = []
        self.reply = None

    def get_reply(self):
        f = recv_frame(self.s)
        if f is None or f[0] != REPLY:
            self.reply = {"frame": f}
        else:
            self.reply = json.loads(f[1])
        return self.reply

    def run(self, timeout=20):
        """Frames until EXIT and the end of the stream; False on a timeout."""
        self.s.settimeout(timeout)
        try:
            while True:
                f = recv_frame(self.s)
                if f is None:
                    return True
                t, p = f
                self.order.append(t)
                if t == STDOUT:
                    self.stdout += p
                elif t == STDERR:
                    self.stderr += p
                elif t == EXIT:
                    self.exit = struct.unpack("<II", p)
                else:
                    self.order.append(("unexpected", t))
        except socket.timeout:
            return False

    def close(self):
        self.s.close()


def pid_alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ")[1][0] != "Z"
    except OSError:
        return False


def wait_gone(pid, secs=3):
    end = time.time() + secs
    while time.time() < end:
        if not pid_alive(pid):
            return True
        time.sleep(0.02)
    return False


# --- scenarios ----------------------------------------------------------------------------

def basic(init_pid):
    init_pid = int(init_pid)

    e = Exec(["/bin/sh", "-c", "echo out; echo err >&2; echo out2; exit 3"])
    r = e.get_reply()
    check("exec: reply ok with a pid", r.get("ok") is True and r.get("pid", 0) > 0, r)
    done = e.run()
    check("exec: stdout and stderr apart", done and e.stdout == b"out\nout2\n" and e.stderr == b"err\n",
          (e.stdout, e.stderr))
    check("exec: exit status 3 in EXIT", e.exit == (0, 3), e.exit)
    check("exec: EXIT is the last frame", e.order and e.order[-1] == EXIT, e.order)
    e.close()

    t0 = time.time()
    e = Exec(["nosuch-hyrun-cmd", "x"])
    r = e.get_reply()
    took = time.time() - t0
    check("exec: a missing command -> status 127 at once",
          r.get("ok") is False and r.get("status") == 127 and took < 2, (r, took))
    check("exec: a missing command is named",
          r.get("error") == "exec 'nosuch-hyrun-cmd': executable file not found in $PATH", r)
    check("exec: no EXIT after a failed start", e.run(5) and e.exit is None and not e.order, e.order)
    e.close()

    r = call({"op": "exec", "config": exec_config(["/nonexistent/prog"])})
    check("exec: a missing path -> 127", r.get("ok") is False and r.get("status") == 127 and
          "/nonexistent/prog" in r.get("error", ""), r)
    r = call({"op": "exec", "config": exec_config(["/etc/passwd"])})
    check("exec: not executable -> 126", r.get("ok") is False and r.get("status") == 126, r)
    r = call({"op": "exec", "config": exec_config(["/bin/true"], cwd="/nonexistent-hyrun-dir")})
    check("exec: a missing cwd -> 125 chdir to cwd", r.get("ok") is False and r.get("status") == 125
          and "chdir to cwd" in r.get("error", ""), r)

    # 1 MiB through cat, sent while the output is read.
    data = os.urandom(1 << 20)
    e = Exec(["cat"])
    r = e.get_reply()

    def feed():
        for off in range(0, len(data), 50000):
            send(e.s, STDIN, data[off:off + 50000])
        send(e.s, STDIN, b"")

    th = threading.Thread(target=feed)
    th.start()
    done = e.run()
    th.join()
    check("exec: 1 MiB through cat's stdin and stdout",
          done and hashlib.sha256(e.stdout).digest() == hashlib.sha256(data).digest(),
          "%d bytes back" % len(e.stdout))
    check("exec: the end of stdin reaches cat", e.exit == (0, 0), e.exit)
    e.close()

    e = Exec(["sleep", "30"])
    r = e.get_reply()
    send(e.s, SIGNAL, struct.pack("<I", 15))
    t0 = time.time()
    done = e.run(10)
    check("exec: SIGNAL 15 kills sleep", done and e.exit == (1, 15) and time.time() - t0 < 3, e.exit)
    e.close()

    e = Exec(["sleep", "30"])
    r = e.get_reply()
    pid = r.get("pid", 0)
    alive = pid_alive(pid)
    e.close()
    check("exec: the host closing kills the process", alive and wait_gone(pid), (pid, alive))

    t0 = time.time()
    e = Exec(["/bin/sh", "-c", "sleep 3 & echo started"])
    r = e.get_reply()
    done = e.run(10)
    took = time.time() - t0
    check("exec: a background child holding stdout does not hold EXIT",
          done and e.exit == (0, 0) and e.stdout == b"started\n" and took < 2, (e.exit, e.stdout, took))
    e.close()

    e = Exec(["/bin/sh", "-c", "tty >/dev/null && echo on-a-tty; read x; stty size; echo got $x"],
             terminal=True)
    send(e.s, WINSIZE, struct.pack("<HH", 33, 77))
    r = e.get_reply()
    send(e.s, STDIN, b"hello\n")
    done = e.run(10)
    out = e.stdout.replace(b"\r", b"")
    check("exec: a terminal", done and b"on-a-tty\n" in out and e.exit == (0, 0), (out, e.exit))
    check("exec: WINSIZE sizes the terminal", b"33 77\n" in out, out)
    check("exec: STDIN into the terminal", b"got hello\n" in out, out)
    check("exec: nothing on STDERR with a terminal", STDERR not in e.order, e.order)
    e.close()

    e = Exec(["cat"], terminal=True)
    r = e.get_reply()
    send(e.s, STDIN, b"abc\n")
    send(e.s, STDIN, b"")
    done = e.run(10)
    check("exec: the end of stdin on a terminal ends cat", done and e.exit == (0, 0), (e.exit, e.stdout))
    e.close()

    # Output left in the pipe when the process ends is all sent, then EXIT.
    for size in (65536, 1000000, 3 << 20):
        e = Exec(["head", "-c", str(size), "/dev/zero"])
        e.get_reply()
        done = e.run(10)
        check("exec: %d bytes of output, then EXIT" % size,
              done and len(e.stdout) == size and e.exit == (0, 0), (len(e.stdout), e.exit))
        e.close()
    e = Exec(["/bin/sh", "-c", "head -c 200000 /dev/zero; exit 4"])
    e.get_reply()
    time.sleep(0.5)  # the process ends while its output waits in the pipe
    done = e.run(10)
    check("exec: output still in the pipe at the exit is sent",
          done and len(e.stdout) == 200000 and e.exit == (0, 4), (len(e.stdout), e.exit))
    e.close()

    # A host that does not read does not hold up the others.
    slow = Exec(["/bin/sh", "-c", "exec head -c 50000000 /dev/zero"])
    slow.get_reply()
    time.sleep(0.3)
    e = Exec(["/bin/echo", "still-served"])
    e.get_reply()
    done = e.run(5)
    check("exec: a slow host does not block the others", done and e.stdout == b"still-served\n", e.stdout)
    e.close()
    spid = slow.reply.get("pid", 0)
    slow.close()
    check("exec: the slow one is killed when its host goes", wait_gone(spid), spid)

    # Several at once.
    many = [Exec(["/bin/sh", "-c", "sleep 0.3; echo n%d" % i]) for i in range(20)]
    for m in many:
        m.get_reply()
    good = 0
    for i, m in enumerate(many):
        if m.run(10) and m.stdout == b"n%d\n" % i and m.exit == (0, 0):
            good += 1
        m.close()
    check("exec: 20 at once", good == 20, "%d good" % good)

    r = call({"op": "ps"})
    procs = r.get("processes", [])
    wl = [p for p in procs if p["cmd"] == "sleep 3600"]
    check("ps: lists the workload", r.get("ok") and len(wl) == 1 and wl[0]["ppid"] == init_pid and
          wl[0]["stat"] in ("S", "R"), r)
    check("ps: not hyrun-init itself", all(p["pid"] != init_pid for p in procs), procs)
    check("ps: nothing outside hyrun-init's tree", all(p["pid"] != 1 for p in procs) and
          len(procs) < 20, procs)

    # Malformed frames close the connection; the agent goes on.
    s = connect()
    s.sendall(struct.pack("<IBBBB", 2, REQUEST, 1, 0, 0) + b"{}")
    check("malformed header: connection closed", recv_frame(s) is None)
    s.close()
    s = connect()
    send(s, STDIN, b"x")
    check("STDIN before a request: connection closed", recv_frame(s) is None)
    s.close()
    s = connect()
    s.sendall(struct.pack("<IB3x", FRAME_MAX + 1, REQUEST))
    check("oversized frame: connection closed", recv_frame(s) is None)
    s.close()
    r = call({"op": "launch"})
    check("unknown op: an error reply", r.get("ok") is False and "op: unknown op" in r.get("error", ""), r)
    s = connect()
    send(s, REQUEST, b"{\"op\":")
    f = recv_frame(s)
    check("bad JSON: an error reply, then closed", f and f[0] == REPLY and
          b"invalid JSON" in f[1] and recv_frame(s) is None, f)
    s.close()
    e = Exec(["sleep", "30"])
    r = e.get_reply()
    pid = r.get("pid", 0)
    send(e.s, 99)
    check("exec: a frame of a wrong type closes the connection", e.run(5) and e.exit is None, e.order)
    check("exec: ... and kills the process", wait_gone(pid), pid)
    e.close()
    e = Exec(["sleep", "30"])
    r = e.get_reply()
    pid = r.get("pid", 0)
    send(e.s, SIGNAL, struct.pack("<I", 65))
    check("exec: SIGNAL 65 closes the connection", e.run(5) and e.exit is None and wait_gone(pid))
    e.close()
    r = call({"op": "ps"})
    check("after all that: still serving", r.get("ok") is True, r)

    r = call({"op": "stats"})
    check("stats without a cgroup: says so", r.get("ok") is False and "no cgroup" in r.get("error", ""), r)
    r = call({"op": "update", "pids": 10})
    check("update without a cgroup: says so", r.get("ok") is False and "no cgroup" in r.get("error", ""), r)
    r = call({"op": "events"})
    check("events without a cgroup: says so", r.get("ok") is False and "no cgroup" in r.get("error", ""), r)

    r = call({"op": "start"})
    check("start without wait_start: an error", r.get("ok") is False and "started already" in
          r.get("error", ""), r)
    # Last: the workload ends, and the VM (here hyrun-init) with it.
    e = Exec(["sleep", "30"])
    e.get_reply()
    r = call({"op": "signal", "signal": 15})
    check("signal: ok", r.get("ok") is True, r)
    check("signal: an exec'd process ends with the workload", e.run(5), e.order)
    e.close()


START_CONFIG = {"version": 1, "network": [{"name": "eth0", "mac": "02:42:0a:58:00:05", "mtu": 1500,
                                           "addresses": ["10.88.0.5/16"]}]}


def start(init_pid):
    r = call({"op": "start", "config": START_CONFIG})
    check("start: a network without standby NICs is refused, the workload held",
          r.get("ok") is False and r.get("error") ==
          "start: network: a configuration, but the container has no standby NICs", r)
    r = call({"op": "start", "config": {"version": 1, "process": {}}})
    check("start: a configuration with more than the network is refused",
          r.get("ok") is False and "config: start configuration: unknown member" in r.get("error", ""), r)
    r = call({"op": "start"})
    check("start: ok (the held workload is released)", r.get("ok") is True, r)
    r = call({"op": "start"})
    check("start: a second start is an error", r.get("ok") is False and "started already" in
          r.get("error", ""), r)


def start_standby(init_pid):
    r = call({"op": "start", "config": START_CONFIG})
    check("start: a network for the standby NICs (self-test: left alone), released",
          r.get("ok") is True, r)
    r = call({"op": "start", "config": START_CONFIG})
    check("start: with standby NICs, a second start is an error", r.get("ok") is False and
          "started already" in r.get("error", ""), r)


def container(init_pid):
    e = Exec(["/bin/sh", "-c", "cat /tmp/marker; hostname; pwd"], cwd="/tmp")
    e.get_reply()
    done = e.run()
    check("container: exec sees the workload's mounts, hostname and cwd",
          done and e.stdout == b"from-the-workload\nguest-box\n/tmp\n" and e.exit == (0, 0),
          (e.stdout, e.stderr, e.exit))
    e.close()
    r = call({"op": "signal", "signal": 9, "all": True})
    check("signal all (self-test: the workload only): ok", r.get("ok") is True, r)


def cgroup(init_pid, cgdir, rel):
    e = Exec(["cat", "/proc/self/cgroup"])
    e.get_reply()
    e.run()
    check("cgroup: an exec'd process is in the container's cgroup",
          ("0::%s/container\n" % rel).encode() in e.stdout, e.stdout)
    e.close()
    with open(os.path.join(cgdir, "container", "cgroup.procs")) as f:
        pids = f.read().split()
    check("cgroup: the workload is in it", len(pids) == 1, pids)
    r = call({"op": "stats"})
    check("cgroup: stats answers, or names the file it lacks",
          r.get("ok") is True or r.get("error", "").startswith("stats: memory.current: "), r)
    r = call({"op": "signal", "signal": 9})


def fakecg(init_pid, cgdir):
    d = os.path.join(cgdir, "container")
    r = call({"op": "stats"})
    st = r.get("stats", {})
    check("fake cgroup: stats", r.get("ok") is True and st.get("memory", {}).get("usage") == 1048576
          and st["memory"]["limit"] == -1 and st["memory"]["total"] > 0 and
          st["cpu"] == {"usage_usec": 1500, "user_usec": 1000, "system_usec": 500} and
          st["pids"] == {"current": 3, "limit": 100} and st["oom_kills"] == 0, r)

    def content(name):
        with open(os.path.join(d, name)) as f:
            return f.read()

    r = call({"op": "update", "memory": 64 << 20, "pids": -1, "cpu_quota": 50000, "cpu_weight": 200})
    check("fake cgroup: update", r.get("ok") is True and content("memory.max") == "67108864" and
          content("pids.max") == "max" and content("cpu.max") == "50000 100000" and
          content("cpu.weight") == "200", (r, content("memory.max"), content("cpu.max")))
    r = call({"op": "update", "cpu_period": 200000})
    check("fake cgroup: cpu_period alone keeps the quota",
          r.get("ok") is True and content("cpu.max") == "50000 200000", (r, content("cpu.max")))
    r = call({"op": "update", "cpu_quota": -1})
    check("fake cgroup: cpu_quota -1 is max, the period kept",
          r.get("ok") is True and content("cpu.max") == "max 200000", (r, content("cpu.max")))

    s = connect()
    send(s, REQUEST, b'{"op":"events"}')
    f = recv_frame(s)
    check("fake cgroup: events: ok", f and f[0] == REPLY and json.loads(f[1]) == {"ok": True}, f)
    with open(os.path.join(d, "memory.events"), "w") as f:
        f.write("low 0\nhigh 0\nmax 0\noom 1\noom_kill 1\n")
    s.settimeout(5)
    f = recv_frame(s)
    check("fake cgroup: an OOM kill is an event", f == (EVENT, b'{"type":"oom"}'), f)
    with open(os.path.join(d, "memory.events"), "w") as f:
        f.write("low 0\nhigh 0\nmax 0\noom 3\noom_kill 3\n")
    got = [recv_frame(s), recv_frame(s)]
    check("fake cgroup: two more kills, two events", got == [(EVENT, b'{"type":"oom"}')] * 2, got)
    r = call({"op": "stats"})
    check("fake cgroup: stats counts them", r.get("stats", {}).get("oom_kills") == 3, r)
    send(s, STDIN, b"x")
    check("fake cgroup: a frame on the events connection closes it", recv_frame(s) is None)
    s.close()
    call({"op": "signal", "signal": 9})


globals()[sys.argv[2]](*sys.argv[3:])
PY

# run_agent SCENARIO [ARGS...]: hyrun-init on $root with its agent on $root/agent.sock and the
# environment in agent_env; once the workload said "ready" on its stdout port (at once with
# agent_nowait=1), the client runs SCENARIO, whose checks count here. The scenario ends the
# workload; the exit report lands in $report.
agent_env=()
agent_nowait=
run_agent() {
	local pid out rc line rest=""
	(cd "$work" && exec env HYRUN_INIT_TEST_ROOT="$root" HYRUN_INIT_AGENT_SOCKET="$root/agent.sock" \
		"${agent_env[@]}" "$init" >"$root/report" 2>"$root/init.err") &
	pid=$!
	for _ in $(seq 200); do
		if [ -S "$root/agent.sock" ] && { [ -n "$agent_nowait" ] ||
			grep -q ready "$root/dev/stdout"; }; then
			break
		fi
		sleep 0.05
	done
	out=$(timeout 60 python3 "$work/agent.py" "$root/agent.sock" "$1" "$pid" "${@:2}" 2>&1)
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok   "*) ok "agent: ${line#ok   }" ;;
		"FAIL "*) not_ok "agent: ${line#FAIL }" ;;
		*) rest+="$line"$'\n' ;;
		esac
	done <<<"$out"
	[ "$rc" -eq 0 ] || not_ok "agent $1: the client failed ($rc)" "$rest" \
		"init stderr: $(tail -5 "$root/init.err")"
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid"
	report=$(sed -n 's/^hyrun-init: exit-report //p' "$root/report")
}

if ! command -v python3 >/dev/null; then
	echo "skip agent tests: no python3"
else
	# An exec'd process is set up as its configuration says (uid 0, groups): root only.
	if [ "$(id -u)" != 0 ]; then
		echo "skip agent exec tests: not root"
	else
		new_root
		set_argv /bin/sh -c 'echo ready; exec sleep 3600'
		run_agent basic
		check_report "agent: a signal request ends the workload (SIGTERM)" 0x10f
		if [ ! -e "$root/agent.sock" ]; then
			ok "agent: the socket is gone with hyrun-init"
		else
			not_ok "agent: socket left behind"
		fi
	fi

	new_root
	printf 'wait_start=1\n' >"$root/.hyrun/flags"
	set_argv /bin/sh -c 'echo started-ok; sleep 1'
	agent_nowait=1 run_agent start
	check_report "agent: start releases the held workload" 0x0
	if [ "$(cat "$root/dev/stdout")" = started-ok ]; then
		ok "agent: the started workload ran"
	else
		not_ok "agent: start" "stdout port: $(cat "$root/dev/stdout")"
	fi

	# Standby NICs in the guest configuration: a start with a network is taken (the
	# self-test leaves the host's network alone).
	if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
		new_root
		printf 'wait_start=1\ndebug=1\n' >"$root/.hyrun/flags"
		set_config '"args":["/bin/sh","-c","echo started-ok; sleep 1"],"env":["PATH=/usr/bin:/bin"],
			"cwd":"/","uid":0,"gid":0' '"standbyNics":["02:5e:1a:00:00:01","02:5e:1a:00:00:02"]'
		agent_env=(HYRUN_INIT_TEST_SHARES="$work/shares")
		agent_nowait=1 run_agent start_standby
		agent_env=()
		check_report "agent: start with standby NICs releases the workload" 0x0
		if [ "$(cat "$root/dev/stdout")" = started-ok ] &&
			grep -q "self-test: standby NICs left alone" "$root/init.err"; then
			ok "agent: the workload ran, the standby NICs left alone"
		else
			not_ok "agent: start with standby NICs" "stdout port: $(cat "$root/dev/stdout")" \
				"init stderr: $(tail -5 "$root/init.err")"
		fi
	fi

	if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
		new_root
		set_config '"args":["/bin/sh","-c","echo from-the-workload >/tmp/marker; echo ready; exec sleep 3600"],
			"env":["PATH=/usr/bin:/bin"],"cwd":"/","uid":0,"gid":0' \
			'"hostname":"guest-box","mounts":[{"destination":"/tmp","type":"tmpfs","source":"tmpfs"}]'
		agent_env=(HYRUN_INIT_TEST_SHARES="$work/shares")
		run_agent container
		agent_env=()
		check_report "agent: container workload killed (signal 9)" 0x109
	fi

	# update, stats and events against a stand-in: plain files where cgroup.c expects a
	# cgroup2 directory's (self-test mode takes HYRUN_INIT_TEST_CGROUP as it is).
	new_root
	fake=$root/fakecg
	mkdir -p "$fake/container"
	echo "memory pids cpu" >"$fake/cgroup.controllers"
	: >"$fake/cgroup.subtree_control"
	: >"$fake/container/cgroup.procs"
	echo 1048576 >"$fake/container/memory.current"
	echo max >"$fake/container/memory.max"
	printf 'usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n' >"$fake/container/cpu.stat"
	echo 3 >"$fake/container/pids.current"
	echo 100 >"$fake/container/pids.max"
	echo "max 100000" >"$fake/container/cpu.max"
	echo 100 >"$fake/container/cpu.weight"
	printf 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n' >"$fake/container/memory.events"
	set_argv /bin/sh -c 'echo ready; exec sleep 3600'
	agent_env=(HYRUN_INIT_TEST_CGROUP="$fake")
	run_agent fakecg "$fake"
	agent_env=()
	check_report "agent: fake cgroup workload killed (signal 9)" 0x109
	if grep -q "^+memory" "$fake/cgroup.subtree_control" ||
		grep -q "+cpu" "$fake/cgroup.subtree_control"; then
		ok "agent: controllers enabled in the parent's cgroup.subtree_control"
	else
		not_ok "agent: subtree_control" "$(cat "$fake/cgroup.subtree_control")"
	fi

	# The container's cgroup, where this machine has a cgroup2 hierarchy to make one in.
	cg2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	cg=${cg2:+$cg2/hyrun-selftest.$$}
	if [ "$(id -u)" = 0 ] && [ -n "$cg" ] && mkdir "$cg" 2>/dev/null; then
		new_root
		set_argv /bin/sh -c 'echo ready; exec sleep 3600'
		agent_env=(HYRUN_INIT_TEST_CGROUP="$cg")
		run_agent cgroup "$cg" "${cg#"$cg2"}"
		agent_env=()
		check_report "agent: cgroup workload killed (signal 9)" 0x109
		for _ in $(seq 50); do
			rmdir "$cg/container" "$cg" 2>/dev/null
			[ -d "$cg" ] || break
			sleep 0.1
		done
	else
		echo "skip agent cgroup tests: no cgroup2 hierarchy to make a cgroup in"
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

# --- the root's container semantics (mounts.c, process.c): read-only root, cwd, linux.devices,
# masked and read-only paths, propagation, domainname and HOME, in a small root of the static
# busybox shared as "mini" (not the host's /, where mount points would be made for real)
bb=$(command -v busybox || true)
if ! unshare -m true 2>/dev/null; then
	echo "skip root semantics tests: no mount namespaces here"
elif [ -z "$bb" ] || ldd "$bb" >/dev/null 2>&1; then
	echo "skip root semantics tests: no static busybox here"
else
	mini=$work/shares/mini
	mkdir -p "$mini/bin" "$mini/etc/secretdir" "$mini/home/u" "$mini/ro"
	cp "$bb" "$mini/bin/busybox"
	for a in sh cat ls stat touch grep awk echo mkdir pwd; do
		ln -s busybox "$mini/bin/$a"
	done
	printf '%s\n' root:x:0:0:root:/root:/bin/sh u:x:1000:1000::/home/u:/bin/sh \
		'broken line' 'x:x:notanumber:0::/nowhere:/bin/sh' >"$mini/etc/passwd"
	echo secret >"$mini/etc/secret"
	echo inside >"$mini/etc/secretdir/f"
	ln -s /etc/secret "$mini/etc/link"

	# mini_config ROOT-MEMBERS PROCESS-MEMBERS [MORE-TOP-LEVEL-MEMBERS]: the guest
	# configuration, with the root share "mini", the mounts $MINI_BASE (proc and a tmpfs
	# /dev unless set) and $MINI_MOUNTS, PATH=/bin ($MINI_ENV) and uid 0 ($MINI_UID).
	mini_base='{"destination":"/proc","type":"proc","source":"proc"},{"destination":"/dev","type":"tmpfs","source":"tmpfs","options":["mode=755"]}'
	mini_config() {
		local mounts=${MINI_BASE-$mini_base}
		[ -z "${MINI_MOUNTS:-}" ] || mounts=${mounts:+$mounts,}$MINI_MOUNTS
		printf '{"version":1,"root":{"share":"mini"%s},%s"mounts":[%s],"process":{"env":[%s],"uid":%s,"gid":%s,%s}}' \
			"${1:+,$1}" "${3:+$3,}" "$mounts" "${MINI_ENV:-\"PATH=/bin\"}" "${MINI_UID:-0}" \
			"${MINI_UID:-0}" "$2" >"$root/.hyrun/guest-config.json"
	}
	# mini_check NAME EXPECTED-STDOUT: the workload printed that.
	mini_check() {
		if [ "$(cat "$root/dev/stdout")" = "$2" ]; then
			ok "$1"
		else
			not_ok "$1" "got: $(cat "$root/dev/stdout")" "expected: $2" \
				"report $report, stderr port: $(cat "$root/dev/stderr")" \
				"init stderr: $(cat "$root/init.err")"
		fi
	}

	# A read-only root with a mount point and a cwd the image lacks: both made first.
	new_root
	MINI_MOUNTS='{"destination":"/data/deep","type":"tmpfs","source":"tmpfs"}'
	mini_config '"readonly":true' '"args":["/bin/sh","-c","pwd; touch /x 2>/dev/null; echo root=$?; touch /data/deep/y; echo data=$?; touch /work/z 2>/dev/null; echo cwd=$?"],"cwd":"/work/here"'
	run_init_shares
	check_report "root.readonly with a missing mount point and cwd: exit report" 0x0
	mini_check "root.readonly: mount point and cwd made, then the root read-only" \
		"$(printf '%s\n' /work/here root=1 data=0 cwd=1)"
	if [ -d "$mini/data/deep" ] && [ -d "$mini/work/here" ] && [ ! -e "$mini/x" ]; then
		ok "root.readonly: the mount point and the cwd are in the image, nothing else"
	else
		not_ok "root.readonly: what the image got" "$(find "$mini" -maxdepth 2 | head -20)"
	fi
	MINI_MOUNTS=''

	# Masked paths: a file, a directory, a symlink to a file, one that is missing.
	new_root
	mini_config '' '"args":["/bin/sh","-c","cat /etc/secret; echo file=$?; ls -A /etc/secretdir; echo dir=$?; cat /etc/link; echo link=$?; touch /etc/secretdir/n 2>/dev/null; echo write=$?; cat /proc/kcore | wc -c"],"cwd":"/"' \
		'"maskedPaths":["/etc/secret","/etc/secretdir","/etc/link","/no/such/path","/proc/kcore"]'
	run_init_shares
	check_report "maskedPaths: exit report" 0x0
	mini_check "maskedPaths: a file, a directory and a symlink read empty, a missing one skipped" \
		"$(printf '%s\n' file=0 dir=0 link=0 write=1 0)"
	if [ "$(cat "$mini/etc/secret")" = secret ] && [ -e "$mini/etc/secretdir/f" ]; then
		ok "maskedPaths: the image's files are untouched"
	else
		not_ok "maskedPaths: the image" "$(ls -l "$mini/etc")"
	fi

	# Read-only paths: a directory, a mount below it, and /proc/sys (part of a mount).
	new_root
	MINI_MOUNTS='{"destination":"/ro/sub","type":"tmpfs","source":"tmpfs"}'
	mini_config '' '"args":["/bin/sh","-c","touch /ro/f 2>/dev/null; echo dir=$?; touch /ro/sub/f 2>/dev/null; echo below=$?; echo x > /proc/sys/kernel/domainname 2>/dev/null; echo procsys=$?; touch /etc/w; echo elsewhere=$?"],"cwd":"/"' \
		'"readonlyPaths":["/ro","/proc/sys","/missing"]'
	run_init_shares
	check_report "readonlyPaths: exit report" 0x0
	mini_check "readonlyPaths: the path and the mounts below it are read-only, the rest is not" \
		"$(printf '%s\n' dir=1 below=1 procsys=1 elsewhere=0)"
	rm -f "$mini/etc/w"
	MINI_MOUNTS=''

	# linux.devices: parents made, an existing node replaced, the mode exact, the owner set.
	new_root
	mini_config '' '"args":["/bin/sh","-c","stat -c \"%F %t:%T %a %u:%g\" /dev/hy/sub/node /dev/fifo /dev/null"],"cwd":"/","umask":63' \
		'"devices":[{"path":"/dev/hy/sub/node","type":"c","major":1,"minor":5,"fileMode":2534,"uid":1000,"gid":5},{"path":"/dev/fifo","type":"p","fileMode":438},{"path":"/dev/null","type":"u","major":1,"minor":7,"fileMode":384}]'
	run_init_shares
	check_report "linux.devices: exit report" 0x0
	mini_check "linux.devices: type, numbers, mode (setuid too, the umask aside) and owner" \
		"$(printf '%s\n' 'character special file 1:5 4746 1000:5' 'fifo 0:0 666 0:0' \
			'character special file 1:7 600 0:0')"

	# Without a /dev mount the node goes into the image's /dev, where a directory is in the way.
	new_root
	mkdir -p "$mini/dev/isdir"
	MINI_BASE='' mini_config '' '"args":["/bin/true"],"cwd":"/"' \
		'"devices":[{"path":"/dev/isdir","type":"p"}]'
	run_init_shares
	check_report "linux.devices: a directory in the way -> kind 2 code 125" 0x27d
	if grep -q "hyrun-init: linux.devices\[0\] (/dev/isdir): Is a directory" "$root/dev/stderr"; then
		ok "linux.devices: a directory in the way is named"
	else
		not_ok "linux.devices: directory message" "stderr port: $(cat "$root/dev/stderr")"
	fi
	rmdir "$mini/dev/isdir"

	# tmpcopyup: the tmpfs starts with what the image held there (a file with its mode and
	# owner, a subdirectory, a symlink), and the image keeps its own; the recursive options
	# (rro, rnosuid) reach a mount below the one they are given on.
	new_root
	mkdir -p "$mini/cu/sub"
	echo kept >"$mini/cu/sub/f"
	chmod 0640 "$mini/cu/sub/f"
	chown 1000:5 "$mini/cu/sub/f"
	ln -s sub/f "$mini/cu/l"
	MINI_MOUNTS='{"destination":"/cu","type":"tmpfs","source":"tmpfs","options":["tmpcopyup"]},{"destination":"/r","type":"tmpfs","source":"tmpfs","options":["rro","rnosuid"]}'
	mini_config '' '"args":["/bin/sh","-c","stat -c \"%a %u:%g\" /cu/sub/f; cat /cu/l; echo new > /cu/n; echo write=$?; awk '"'"'$5 == \"/r\" { print $6 }'"'"' /proc/self/mountinfo"],"cwd":"/"'
	run_init_shares
	check_report "tmpcopyup, rro and rnosuid: exit report" 0x0
	mini_check "tmpcopyup: the image's files in the tmpfs; rro and rnosuid on the mount" \
		"$(printf '%s\n' '640 1000:5' kept write=0 ro,nosuid,relatime)"
	if [ ! -e "$mini/cu/n" ] && [ "$(cat "$mini/cu/sub/f")" = kept ]; then
		ok "tmpcopyup: the image is untouched"
	else
		not_ok "tmpcopyup: the image" "$(ls -lR "$mini/cu")"
	fi
	rm -rf "$mini/cu" "$mini/r"
	MINI_MOUNTS=''

	# prop_args [SHELL-CODE] DEST...: the "args" member of a workload that runs SHELL-CODE,
	# then prints the propagation of the root and of the mounts at DEST ("/a shared"; the
	# optional fields of mountinfo, peer group numbers dropped).
	# shellcheck disable=SC2016 # awk's own fields
	prop_args() {
		local code=$1 where='$5 == "/"' d
		shift
		for d in "$@"; do
			where="$where || \$5 == \"$d\""
		done
		code="$code awk '$where { s = \$5; for (i = 7; \$i != \"-\"; i++) s = s \" \" \$i; print s }' /proc/self/mountinfo | sed 's/:[0-9]*//g'"
		printf '"args":["/bin/sh","-c",%s]' "$(printf '%s' "$code" | python3 -c 'import json, sys; print(json.dumps(sys.stdin.read()))')"
	}

	# Propagation: a recursive rootfsPropagation over the mounts' own; without one, theirs.
	new_root
	MINI_MOUNTS='{"destination":"/a","type":"tmpfs","source":"tmpfs","options":["shared"]},{"destination":"/b","type":"tmpfs","source":"tmpfs","options":["unbindable"]}'
	mini_config '' "$(prop_args '' /a /b),\"cwd\":\"/\""
	run_init_shares
	check_report "mount propagation options: exit report" 0x0
	mini_check "mount propagation options: each mount's own, the root private" \
		"$(printf '%s\n' / '/a shared' '/b unbindable')"
	new_root
	mini_config '"propagation":"rshared"' "$(prop_args '' /a /b),\"cwd\":\"/\""
	run_init_shares
	check_report "rootfsPropagation rshared: exit report" 0x0
	mini_check "rootfsPropagation rshared: the root and every mount shared" \
		"$(printf '%s\n' '/ shared' '/a shared' '/b shared')"
	new_root
	mini_config '"propagation":"runbindable","readonly":true' "$(prop_args '' /a /b),\"cwd\":\"/\"" \
		'"readonlyPaths":["/proc/sys"],"maskedPaths":["/proc/kcore"]'
	run_init_shares
	check_report "rootfsPropagation runbindable with read-only and masked paths: exit report" 0x0
	mini_check "rootfsPropagation runbindable: the root and every mount unbindable" \
		"$(printf '%s\n' '/ unbindable' '/a unbindable' '/b unbindable')"
	MINI_MOUNTS=''

	# Propagation options on the mounts from the host, a share and a file: both there.
	new_root
	mkdir -p "$work/shares/pm" "$root/.hyrun/files"
	echo from-share >"$work/shares/pm/f"
	echo from-file >"$root/.hyrun/files/0"
	MINI_MOUNTS='{"destination":"/a","type":"bind","options":["rbind","rshared"],"share":"pm"},{"destination":"/bfile","type":"bind","options":["bind","runbindable","ro"],"file":"0"}'
	mini_config '' "$(prop_args 'cat /a/f /bfile;' /a /bfile),\"cwd\":\"/\""
	run_init_shares
	check_report "propagation options of a share and a file: exit report" 0x0
	mini_check "propagation options of a share and a file: mounted, each with its own" \
		"$(printf '%s\n' from-share from-file / '/a shared' '/bfile unbindable')"
	MINI_MOUNTS=''

	# domainname and hostname in the child's UTS namespace; HOME from /etc/passwd.
	new_root
	# shellcheck disable=SC2016 # the workload's shell expands $HOME
	mini_config '' '"args":["/bin/sh","-c","cat /proc/sys/kernel/hostname /proc/sys/kernel/domainname; echo HOME=$HOME"],"cwd":"/"' \
		'"hostname":"box","domainname":"example.org"'
	run_init_shares
	check_report "domainname: exit report" 0x0
	mini_check "domainname and hostname set; HOME of uid 0 from /etc/passwd" \
		"$(printf '%s\n' box example.org HOME=/root)"

	for c in "1000 /home/u" "4242 /" "0 /given"; do
		new_root
		MINI_ENV='"PATH=/bin"'
		[ "${c#* }" != /given ] || MINI_ENV='"PATH=/bin","HOME=/given"'
		# shellcheck disable=SC2016 # the workload's shell expands $HOME
		MINI_UID=${c% *} mini_config '' '"args":["/bin/sh","-c","echo HOME=$HOME"],"cwd":"/"'
		MINI_ENV=''
		run_init_shares
		check_report "HOME for uid ${c% *}: exit report" 0x0
		mini_check "HOME for uid ${c% *}: ${c#* }" "HOME=${c#* }"
	done
fi


# --- process.scheduler, process.ioPriority, linux.personality, linux.seccomp.flags and
# linux.resources.unified (process.c, seccomp.c, cgroup.c), in the mini root above; the
# policies are the gentle ones (SCHED_BATCH, SCHED_IDLE), as the workload runs on this host.
if [ -n "${mini:-}" ] && [ -d "$mini" ]; then
	for a in ionice uname mkdir; do
		ln -sf busybox "$mini/bin/$a"
	done

	# Policy (field 41 of /proc/PID/stat) and nice (field 19), as a child of the workload
	# sees them; the I/O priority; the personality and what uname says under it.
	new_root
	# shellcheck disable=SC2016 # the workload's shell expands $$
	mini_config '' '"args":["/bin/sh","-c","awk '"'"'{ print $41, $19 }'"'"' /proc/self/stat; ionice -p $$; cat /proc/self/personality; uname -m"],"cwd":"/","scheduler":{"policy":"SCHED_BATCH","nice":7},"ioPriority":{"class":"IOPRIO_CLASS_BE","priority":6}' \
		'"personality":{"domain":"LINUX32"}'
	run_init_shares
	check_report "scheduler, ioPriority, personality: exit report" 0x0
	mini_check "SCHED_BATCH with nice 7, best-effort 6, LINUX32 (uname says i686)" \
		"$(printf '%s\n' '3 7' 'best-effort: prio 6' 00000008 i686)"

	# SCHED_FLAG_RESET_ON_FORK: the workload keeps its negative nice, its children do not.
	new_root
	# shellcheck disable=SC2016 # the workload's shell expands $$
	mini_config '' '"args":["/bin/sh","-c","awk '"'"'{ print $41, $19 }'"'"' /proc/$$/stat /proc/self/stat; ionice -p $$; cat /proc/self/personality"],"cwd":"/","scheduler":{"policy":"SCHED_OTHER","nice":-5,"flags":["SCHED_FLAG_RESET_ON_FORK"]},"ioPriority":{"class":"IOPRIO_CLASS_IDLE","priority":0}' \
		'"personality":{"domain":"LINUX"}'
	run_init_shares
	check_report "SCHED_OTHER with SCHED_FLAG_RESET_ON_FORK: exit report" 0x0
	mini_check "SCHED_FLAG_RESET_ON_FORK: nice -5 for the workload, 0 for its child; idle I/O; LINUX" \
		"$(printf '%s\n' '0 -5' '0 0' idle 00000000)"

	# Seccomp flags: the filter is loaded with them and filters.
	new_root
	# shellcheck disable=SC2016 # awk's own fields
	mini_config '' '"args":["/bin/sh","-c","mkdir /dev/sub; echo mkdir=$?; awk '"'"'$1 == \"Seccomp:\" { print $2 }'"'"' /proc/self/status"],"cwd":"/"' \
		'"seccomp":{"defaultAction":"SCMP_ACT_ALLOW","flags":["SECCOMP_FILTER_FLAG_TSYNC","SECCOMP_FILTER_FLAG_LOG"],"syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}'
	run_init_shares
	check_report "seccomp flags TSYNC and LOG: exit report" 0x0
	mini_check "seccomp flags TSYNC and LOG: the filter is loaded and denies mkdir" \
		"$(printf '%s\n' mkdir=1 2)"

	# A flag this libseccomp has no attribute for (before 2.6) stops the container.
	minor=$(awk '$2 == "SCMP_VER_MINOR" { print $3 }' /usr/include/seccomp.h 2>/dev/null)
	if [ -n "$minor" ] && [ "$minor" -lt 6 ]; then
		new_root
		mini_config '' '"args":["/bin/echo","ran"],"cwd":"/"' \
			'"seccomp":{"defaultAction":"SCMP_ACT_ALLOW","flags":["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]}'
		run_init_shares
		check_report "seccomp flag libseccomp cannot set -> kind 2 code 125" 0x27d
		if grep -q "hyrun-init: linux.seccomp.flags: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV cannot be set by this hyrun-init's libseccomp" \
			"$root/dev/stderr" && [ "$(cat "$root/dev/stdout")" != ran ]; then
			ok "seccomp flag libseccomp cannot set: named, the workload not run"
		else
			not_ok "seccomp flag message" "stdout port: $(cat "$root/dev/stdout")" \
				"stderr port: $(cat "$root/dev/stderr")"
		fi
	else
		echo "skip seccomp flag refusal: libseccomp 2.6 or later, or no seccomp.h here"
	fi

	# linux.resources.unified on a stand-in cgroup (plain files, as the agent's tests
	# above): written after the limits, so memory.max is unified's; a key whose
	# controller is not the container's stops the container, naming the key.
	# fake_cgroup DIR: the stand-in, with the memory, pids and cpu controllers.
	fake_cgroup() {
		mkdir -p "$1/container"
		echo "memory pids cpu" >"$1/cgroup.controllers"
		: >"$1/cgroup.subtree_control"
		echo "memory pids cpu" >"$1/container/cgroup.controllers"
		: >"$1/container/cgroup.procs"
		echo max >"$1/container/memory.max"
		echo max >"$1/container/memory.high"
	}
	new_root
	fake_cgroup "$root/fakecg"
	mini_config '' '"args":["/bin/echo","ran"],"cwd":"/"' \
		'"resources":{"memory":67108864,"unified":{"memory.max":"134217728","memory.high":"100M"}}'
	report=$(cd "$work" && HYRUN_INIT_TEST_ROOT=$root HYRUN_INIT_TEST_SHARES=$work/shares \
		HYRUN_INIT_TEST_CGROUP=$root/fakecg timeout 20 "$init" 2>"$root/init.err" |
		sed -n 's/^hyrun-init: exit-report //p')
	check_report "resources.unified: exit report" 0x0
	if [ "$(cat "$root/fakecg/container/memory.max")" = 134217728 ] &&
		[ "$(cat "$root/fakecg/container/memory.high")" = 100M ] &&
		[ "$(cat "$root/dev/stdout")" = ran ]; then
		ok "resources.unified: its files written, over the memory limit"
	else
		not_ok "resources.unified: the files" \
			"memory.max $(cat "$root/fakecg/container/memory.max")" \
			"memory.high $(cat "$root/fakecg/container/memory.high")" \
			"stderr port: $(cat "$root/dev/stderr")" "init stderr: $(cat "$root/init.err")"
	fi

	for c in "io.max|8:0 rbps=1|the io controller is not enabled for the container's cgroup" \
		"memory.nosuchfile|1|cannot write \"1\": No such file or directory"; do
		key=${c%%|*}
		rest=${c#*|}
		new_root
		fake_cgroup "$root/fakecg"
		mini_config '' '"args":["/bin/echo","ran"],"cwd":"/"' \
			"\"resources\":{\"unified\":{\"$key\":\"${rest%%|*}\"}}"
		report=$(cd "$work" && HYRUN_INIT_TEST_ROOT=$root HYRUN_INIT_TEST_SHARES=$work/shares \
			HYRUN_INIT_TEST_CGROUP=$root/fakecg timeout 20 "$init" 2>"$root/init.err" |
			sed -n 's/^hyrun-init: exit-report //p')
		check_report "resources.unified $key: -> kind 2 code 125" 0x27d
		if grep -qF "hyrun-init: linux.resources.unified.$key: ${rest#*|}" "$root/dev/stderr" &&
			[ "$(cat "$root/dev/stdout")" != ran ]; then
			ok "resources.unified $key: named, the workload not run"
		else
			not_ok "resources.unified $key: message" "stdout port: $(cat "$root/dev/stdout")" \
				"stderr port: $(cat "$root/dev/stderr")"
		fi
	done
else
	echo "skip scheduler, personality, seccomp flags and unified tests: no mini root"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
