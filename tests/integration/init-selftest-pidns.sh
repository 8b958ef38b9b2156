#!/bin/bash
# init-selftest-pidns.sh: hyrun-init's pid namespace, linux.resources, device filter and
# "started means exec'd", in its self-test mode against a fake guest tree (no VM needed).
#
# usage: tests/integration/init-selftest-pidns.sh [path/to/hyrun-init [path/to/probe]]
# Defaults: build/hyrun-init and build/probe. Needs root, mount namespaces and python3 (the
# agent's client); the device filter needs a cgroup2 hierarchy to make a cgroup in. The
# workload's root is the host's / (share "rootfs"), as in init-selftest.sh.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
init=$(realpath "${1:-$top/build/hyrun-init}")
probe=$(realpath "${2:-$top/build/probe}")
work=$(mktemp -d /tmp/hyrun-init-pidns.XXXXXX)
cg=''
cleanup() {
	[ -z "$cg" ] || rmdir "$cg/container" "$cg" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

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

if [ "$(id -u)" != 0 ] || ! unshare -m -p -f true 2>/dev/null || ! command -v python3 >/dev/null; then
	echo "skip: needs root, mount and pid namespaces, and python3"
	echo "0 passed, 0 failed"
	exit 0
fi
if [ ! -x "$init" ] || [ ! -x "$probe" ]; then
	echo "no $init or $probe (run make)"
	exit 1
fi

mkdir -p "$work/shares"
ln -sfn / "$work/shares/rootfs"

new_root() {
	root=$work/root.$((passed + failed))
	mkdir -p "$root/.hyrun" "$root/dev" "$root/sys/class/virtio-ports"
	local i=0 port
	for port in stdin stdout stderr; do
		mkdir "$root/sys/class/virtio-ports/vport9p$i"
		echo "hyrun.$port" >"$root/sys/class/virtio-ports/vport9p$i/name"
		: >"$root/dev/vport9p$i"
		ln -s "vport9p$i" "$root/dev/$port"
		i=$((i + 1))
	done
}

# set_config ARGS-JSON [MORE-TOP-LEVEL-MEMBERS]: a configuration with the mounts of $mounts
# (default: a proc of its own and a tmpfs on $scratch: not on /tmp, which would hide the
# probe when the tree is below /tmp, as in a CI clone).
scratch=$work/scratch
default_mounts='{"destination":"/proc","type":"proc","source":"proc"},{"destination":"'$scratch'","type":"tmpfs","source":"tmpfs"}'
mounts=$default_mounts
set_config() {
	printf '{"version":1,"root":{"share":"rootfs"},"mounts":[%s],%s"process":{"args":%s,"env":["PATH=/usr/bin:/bin"],"cwd":"/","uid":0,"gid":0}}' \
		"$mounts" "${2:+$2,}" "$1" >"$root/.hyrun/guest-config.json"
}

# run_init [ENV...]: hyrun-init on $root to its end; the report in $report.
run_init() {
	report=$(cd "$work" && env HYRUN_INIT_TEST_ROOT="$root" HYRUN_INIT_TEST_SHARES="$work/shares" \
		"$@" timeout 30 "$init" 2>"$root/init.err" | sed -n 's/^hyrun-init: exit-report //p')
}

check_report() {
	if [ "$report" = "$2" ]; then
		ok "$1"
	else
		not_ok "$1" "report '$report', expected '$2'" "stdout port: $(cat "$root/dev/stdout")" \
			"stderr port: $(cat "$root/dev/stderr")" "init stderr: $(tail -5 "$root/init.err")"
	fi
}

# check_stdout NAME EXPECTED
check_stdout() {
	if [ "$(cat "$root/dev/stdout")" = "$2" ]; then
		ok "$1"
	else
		not_ok "$1" "stdout port: $(cat "$root/dev/stdout")" "expected: $2" \
			"stderr port: $(cat "$root/dev/stderr")"
	fi
}

# --- the workload is PID 1 of its pid namespace
new_root
set_config '["/bin/sh","-c","echo $$; grep ^0:: /proc/self/cgroup; ls /proc | grep -c \"^[0-9]\""]' \
	'"pidNamespace":true'
run_init
check_report "pidns: the workload runs" 0x0
mapfile -t lines <"$root/dev/stdout"
if [ "${lines[0]:-}" = 1 ] && [ "${lines[1]:-}" = 0::/ ] && [[ ${lines[2]:-x} =~ ^[1-4]$ ]]; then
	ok "pidns: it is PID 1, its /proc shows its namespace (${lines[2]} processes), its cgroup namespace is its own"
else
	not_ok "pidns: the workload's view" "stdout port: ${lines[*]}" \
		"stderr port: $(cat "$root/dev/stderr")"
fi

new_root
set_config '["/bin/sh","-c","echo $$"]'
run_init
if [ "$(cat "$root/dev/stdout")" != 1 ] && [ "$report" = 0x0 ]; then
	ok "pidns: without pidNamespace the workload is not PID 1"
else
	not_ok "pidns: without pidNamespace" "stdout port: $(cat "$root/dev/stdout")"
fi

# The namespace's other processes go with its PID 1, and its status is the report.
new_root
set_config '["/bin/sh","-c","sleep 31.25 & sleep 0.3; exit 3"]' '"pidNamespace":true'
t0=$(date +%s%N)
run_init
ms=$((($(date +%s%N) - t0) / 1000000))
check_report "pidns: the workload's exit status is the report" 0x3
if [ "$ms" -lt 10000 ] && ! pgrep -f 'sleep 31.25' >/dev/null; then
	ok "pidns: what the workload left running ended with it (${ms} ms)"
else
	not_ok "pidns: leftovers" "took ${ms} ms; $(pgrep -af 'sleep 31.25')"
	pkill -f 'sleep 31.25'
fi

# --- through the agent: exec joins the namespace; ps; signals; start after exec
cat >"$work/agent.py" <<'PY'
# agent.py SOCKET SCENARIO: a client of hyrun-init's agent (common/agent_proto.h); prints
# "ok NAME" or "FAIL NAME: detail" per check.
import json, os, socket, struct, sys, threading, time

HDR = struct.Struct("<IB3x")
REQUEST, REPLY, STDOUT, STDERR, EXIT = 1, 16, 17, 18, 19
sock = sys.argv[1]


def check(name, cond, detail=""):
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + str(detail)), flush=True)


def frame(s):
    hdr = b""
    while len(hdr) < HDR.size:
        got = s.recv(HDR.size - len(hdr))
        if not got:
            return None
        hdr += got
    n, t = HDR.unpack(hdr)
    p = b""
    while len(p) < n:
        got = s.recv(n - len(p))
        if not got:
            return None
        p += got
    return t, p


def call(obj, timeout=20):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock)
    s.settimeout(timeout)
    p = json.dumps(obj).encode()
    s.sendall(HDR.pack(len(p), REQUEST) + p)
    f = frame(s)
    s.close()
    return json.loads(f[1]) if f and f[0] == REPLY else {"frame": f}


def run(args, on_reply=None):
    """exec args: (reply, stdout, exit); on_reply(reply) is called while it runs."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock)
    s.settimeout(20)
    cfg = {"version": 1, "process": {"args": args, "cwd": "/", "uid": 0, "gid": 0,
                                     "env": ["PATH=/usr/bin:/bin"]}}
    p = json.dumps({"op": "exec", "config": cfg}).encode()
    s.sendall(HDR.pack(len(p), REQUEST) + p)
    f = frame(s)
    rep = json.loads(f[1]) if f and f[0] == REPLY else {"frame": f}
    if on_reply:
        on_reply(rep)
    out, ex = b"", None
    while True:
        f = frame(s)
        if f is None:
            break
        if f[0] == STDOUT:
            out += f[1]
        elif f[0] == EXIT:
            ex = struct.unpack("<II", f[1])
    s.close()
    return rep, out, ex


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").strip().decode()
    except OSError:
        return None


def workload_pid(init_pid):
    r = call({"op": "ps"})
    kids = [p for p in r.get("processes", []) if p["ppid"] == init_pid]
    return kids[0]["pid"] if len(kids) == 1 else None


def nspid(pid):
    """The NSpid line of /proc/PID/status (this, the guest's, /proc): [guest pid, ...]."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("NSpid:"):
                    return [int(x) for x in line.split()[1:]]
    except OSError:
        return None


def exec_in(init_pid):
    init_pid = int(init_pid)
    seen = {}
    rep, out, ex = run(["/bin/sh", "-c", "echo $$; cat /proc/1/cmdline | tr '\\0' ' '; sleep 0.5"],
                       lambda r: seen.update(ns=nspid(r.get("pid", 0))))
    lines = out.decode().split("\n")
    check("exec: the process is in the workload's pid namespace (a small pid, PID 1 is the workload)",
          rep.get("ok") and ex == (0, 0) and lines[0].isdigit() and 1 < int(lines[0]) < 50 and
          lines[1].strip() == "/bin/sleep 3600", (rep, out, ex))
    check("exec: the reply's pid is the guest's, the process's own one level down",
          seen.get("ns") and len(seen["ns"]) == 2 and seen["ns"][0] == rep.get("pid") and
          str(seen["ns"][1]) == lines[0], (seen, rep, lines))
    wl = workload_pid(init_pid)
    check("ps: the workload by its guest pid", wl and cmdline(wl) == "/bin/sleep 3600", wl)
    r = call({"op": "signal", "signal": 15})
    time.sleep(0.3)
    check("signal: SIGTERM without a handler does not end PID 1 of the namespace (as runc)",
          r.get("ok") and cmdline(wl) == "/bin/sleep 3600", (r, cmdline(wl)))
    call({"op": "signal", "signal": 9})


def start_stopped(init_pid):
    init_pid = int(init_pid)
    wl = workload_pid(init_pid)
    held = cmdline(wl)
    r = call({"op": "signal", "signal": 19})  # SIGSTOP: forced into a namespace's PID 1
    got = {}
    t0 = time.time()
    th = threading.Thread(target=lambda: got.update(call({"op": "start"}, timeout=30)))
    th.start()
    th.join(1.0)
    check("start: no reply while the released workload is stopped before its execve()",
          th.is_alive() and cmdline(wl) == held, (got, cmdline(wl)))
    call({"op": "signal", "signal": 18})  # SIGCONT
    th.join(10)
    check("start: the reply once it has exec'd, and it has",
          got.get("ok") is True and cmdline(wl) == "/bin/sleep 3600" and time.time() - t0 < 5,
          (got, cmdline(wl), time.time() - t0))
    call({"op": "signal", "signal": 9})


def start_late(init_pid):
    init_pid = int(init_pid)
    wl = workload_pid(init_pid)
    call({"op": "signal", "signal": 19})
    t0 = time.time()
    r = call({"op": "start"}, timeout=30)
    took = time.time() - t0
    check("start: a workload stopped for good gets its reply after the bound (8 s)",
          r.get("ok") is True and 7.5 < took < 10, (r, took))
    call({"op": "signal", "signal": 18})
    time.sleep(0.3)
    check("start: ... and runs once continued", cmdline(wl) == "/bin/sleep 3600", cmdline(wl))
    call({"op": "signal", "signal": 9})


globals()[sys.argv[2]](*sys.argv[3:])
PY

# run_agent SCENARIO [ENV...]: hyrun-init on $root with its agent; the client runs SCENARIO
# once the socket is there (and, without wait_start, "ready" is on the stdout port).
run_agent() {
	local pid out line scenario=$1
	shift
	(cd "$work" && exec env HYRUN_INIT_TEST_ROOT="$root" HYRUN_INIT_TEST_SHARES="$work/shares" \
		HYRUN_INIT_AGENT_SOCKET="$root/agent.sock" "$@" "$init" >"$root/report" \
		2>"$root/init.err") &
	pid=$!
	for _ in $(seq 200); do
		if [ -S "$root/agent.sock" ] && { [ -e "$root/.hyrun/flags" ] ||
			grep -q ready "$root/dev/stdout"; }; then
			break
		fi
		sleep 0.05
	done
	# With wait_start, until the workload is prepared (ps shows it).
	sleep 0.3
	out=$(timeout 60 python3 "$work/agent.py" "$root/agent.sock" "$scenario" "$pid" 2>&1)
	while IFS= read -r line; do
		case $line in
		"ok   "*) ok "agent: ${line#ok   }" ;;
		"FAIL "*) not_ok "agent: ${line#FAIL }" ;;
		*) [ -z "$line" ] || not_ok "agent $scenario: $line" ;;
		esac
	done <<<"$out"
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid"
	report=$(sed -n 's/^hyrun-init: exit-report //p' "$root/report")
}

new_root
set_config '["/bin/sh","-c","echo ready; exec /bin/sleep 3600"]' '"pidNamespace":true'
run_agent exec_in
check_report "agent: the workload killed (signal 9)" 0x109

new_root
printf 'wait_start=1\n' >"$root/.hyrun/flags"
set_config '["/bin/sleep","3600"]' '"pidNamespace":true'
run_agent start_stopped
check_report "agent: the started workload killed (signal 9)" 0x109

new_root
printf 'wait_start=1\n' >"$root/.hyrun/flags"
set_config '["/bin/sleep","3600"]' '"pidNamespace":true'
run_agent start_late
check_report "agent: the late workload killed (signal 9)" 0x109

# --- linux.resources: what the guest cannot apply stops the container, named
new_root
set_config '["/bin/true"]' '"resources":{"pids":10}'
run_init
check_report "resources without a cgroup -> kind 2 code 125" 0x27d
if grep -q "hyrun-init: linux.resources: cannot be applied: no cgroup (self-test mode)" \
	"$root/dev/stderr"; then
	ok "resources without a cgroup: the reason on the stderr port"
else
	not_ok "resources without a cgroup: message" "stderr port: $(cat "$root/dev/stderr")"
fi

cg2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
if [ -n "$cg2" ] && mkdir "$cg2/hyrun-pidns-selftest.$$" 2>/dev/null; then
	cg=$cg2/hyrun-pidns-selftest.$$
	have=$(cat "$cg/cgroup.controllers")
	if [[ " $have " != *" pids "* ]]; then
		new_root
		set_config '["/bin/true"]' '"resources":{"pids":10}'
		run_init HYRUN_INIT_TEST_CGROUP="$cg"
		check_report "resources: pids without a pids controller -> 125" 0x27d
		rmdir "$cg/container"
		if grep -q "hyrun-init: linux.resources.pids.limit: the guest kernel has no pids controller" \
			"$root/dev/stderr"; then
			ok "resources: the missing controller named"
		else
			not_ok "resources: missing controller message" "stderr port: $(cat "$root/dev/stderr")"
		fi
		new_root
		set_config '["/bin/true"]' '"resources":{"pids":-1}'
		run_init HYRUN_INIT_TEST_CGROUP="$cg"
		check_report "resources: no limit (-1) without the controller: nothing lost, it runs" 0x0
		rmdir "$cg/container"
	else
		new_root
		mounts=$default_mounts',{"destination":"/sys/fs/cgroup","type":"cgroup2","source":"cgroup"}'
		set_config '["/bin/sh","-c","cat /sys/fs/cgroup/pids.max"]' '"resources":{"pids":10}'
		mounts=$default_mounts
		run_init HYRUN_INIT_TEST_CGROUP="$cg"
		check_report "resources: pids.max set" 0x0
		check_stdout "resources: pids.max is 10 in the container's cgroup namespace" 10
		rmdir "$cg/container"
	fi

	# The device filter: deny all, read /dev/kmsg; the defaults stay usable and any node
	# may be made. The nodes are made in the workload's own tmpfs. With a pid namespace
	# too: the child is cloned into the cgroup and the namespace at once.
	new_root
	set_config "[\"/bin/sh\",\"-c\",\"mknod $scratch/kmsg c 1 11 && mknod $scratch/mem c 1 1 && mknod $scratch/zero c 1 5 && $probe open $scratch/kmsg r; $probe open $scratch/kmsg rw; $probe open $scratch/mem r; $probe open $scratch/zero rw; $probe open /dev/null w; echo \$\$; grep ^0:: /proc/self/cgroup\"]" \
		'"pidNamespace":true,"resources":{"devices":[{"allow":false,"access":"rwm"},{"allow":true,"type":"c","major":1,"minor":11,"access":"r"}]}'
	run_init HYRUN_INIT_TEST_CGROUP="$cg"
	if [ -n "$(cat "$cg/container/cgroup.procs")" ]; then
		not_ok "devices: the container's cgroup is empty once the workload ended"
	fi
	rmdir "$cg/container"
	check_report "devices: the workload runs" 0x0
	check_stdout "devices: kmsg readable only, mem denied, zero and null by default" \
		"$(printf 'open=ok\nopen=EPERM\nopen=EPERM\nopen=ok\nopen=ok\n1\n0::/')"
	# hyrun-init itself is outside the filter: its ports and console are still its own.
	if [ ! -s "$root/init.err" ]; then
		ok "devices: hyrun-init said nothing on its console"
	else
		not_ok "devices: console" "$(cat "$root/init.err")"
	fi
else
	echo "skip resources tests with a cgroup: no cgroup2 hierarchy to make a cgroup in"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
