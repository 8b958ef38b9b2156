# shellcheck shell=bash
# shellcheck disable=SC2016  # the guests' and hooks' shell code is single-quoted on purpose
# tests/integration/runtime.sh: the hyrun runtime (build/hyrun) with the real hyrun-vmm: the
# lifecycle of every command, hooks, the console socket, bad input and leaks; sourced by run.
#
# Each test has its own bundle (a copy of the busybox test root: the rootfs is shared
# read-write with the guest) and its own state root, both under $SDIR on tmpfs, and boots
# the minimal kernel when it is built.
#
# Environment: HYRUN_LEAK_CYCLES  create/start/delete cycles of the leak test (default 10;
#                                 hack/leak-test runs the full 50)

HYRUN=$ROOT/build/hyrun
# Debian's python3 (hack/setup) rather than a wrapper found earlier in PATH: every exec
# is slow in the test host.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
RT_ROOT=''	# the test's state root (--root)
RT_PIDS=()	# VMM pids seen by the test, checked by rt_expect_nothing_left

# rt_bundle [PYTHON]: $B = a bundle from `hyrun spec` with the busybox rootfs, made
# writable and without a terminal; PYTHON (statements on the dict `c`) edits its config.
rt_bundle() {
	[ -x "$HYRUN" ] || fail "$HYRUN is missing (run make)"
	need_file kernel "$KFS" "run hack/setup, or make kernel"
	scratch
	B=$SDIR/bundle
	RT_ROOT=$SDIR/state
	# A failed test must not leave its VMs to the next ones.
	trap rt_cleanup EXIT
	busybox_root "$B/rootfs"
	"$HYRUN" spec --bundle "$B" || fail "hyrun spec failed"
	rt_config 'c["process"]["terminal"] = False; c["root"]["readonly"] = False'"${1:+; $1}"
}

rt_cleanup() {
	local id
	if [ -d "$RT_ROOT" ]; then
		for id in $("$HYRUN" --root "$RT_ROOT" list -q 2>/dev/null); do
			"$HYRUN" --root "$RT_ROOT" delete --force "$id" || true
		done
	fi
	rm -rf "$SDIR"
}

# rt_config PYTHON: edit $B/config.json with python3 statements on the dict `c`.
rt_config() {
	"$PY" - "$B/config.json" "$1" <<-'EOF' || fail "editing config.json failed"
		import json, sys
		path, code = sys.argv[1], sys.argv[2]
		with open(path) as f:
		    c = json.load(f)
		exec(code)
		with open(path, "w") as f:
		    json.dump(c, f, indent=1)
	EOF
}

# hr ARGS...: build/hyrun --root $RT_ROOT ARGS with the test kernel; sets OUT, ERR and ST.
# Output goes to files: a detached VMM inherits them and may write after hyrun is gone.
hr() {
	vm_raw env HYRUN_KERNEL="$KFS" "$HYRUN" --root "$RT_ROOT" "$@"
}

# rt_status ID: the status `hyrun state` reports ("gone" when it fails).
rt_status() {
	local s
	s=$("$HYRUN" --root "$RT_ROOT" state "$1" 2>/dev/null) || {
		echo gone
		return
	}
	sed -n 's/^ *"status": "\([a-z]*\)",*$/\1/p' <<<"$s"
}

rt_pid() {
	"$HYRUN" --root "$RT_ROOT" state "$1" | sed -n 's/^ *"pid": \([0-9]*\),*$/\1/p'
}

# rt_wait_status ID STATUS [SECONDS]: until `hyrun state ID` says STATUS (default 30 s).
rt_wait_status() {
	local i s
	for ((i = 0; i < ${3:-30} * 10; i++)); do
		s=$(rt_status "$1")
		[ "$s" != "$2" ] || return 0
		sleep 0.1
	done
	fail "container $1 is '$s', not '$2', after ${3:-30} s"
}

expect_status_of() {	# expect_status_of ID STATUS
	local s
	s=$(rt_status "$1")
	[ "$s" = "$2" ] || fail "container $1 is '$s', expected '$2'"
}

# rt_wait_output FILE PATTERN [PID]: until FILE has a line matching PATTERN (30 s), or
# process PID (when given) has ended.
rt_wait_output() {
	local i
	for ((i = 0; i < 300; i++)); do
		! grep -qE -- "$2" "$1" 2>/dev/null || return 0
		[ -z "${3:-}" ] || kill -0 "$3" 2>/dev/null || break
		sleep 0.1
	done
	fail "no line matching '$2' in $1: $(tail -c 300 "$1" 2>/dev/null)"
}

# rt_threads PID: the state and wait channel of each thread of PID (to see what a freeze
# waits for).
rt_threads() {
	local t
	for t in /proc/"$1"/task/*; do
		printf '%s: %s %s\n' "${t##*/}" "$(awk '{ print $3 }' "$t/stat")" "$(cat "$t/wchan")"
	done
	cat /sys/fs/cgroup/hyrun/*/cgroup.events 2>/dev/null || true
}

# rt_expect_nothing_left ID...: no state directory, VMM process, cgroup or mount is left.
rt_expect_nothing_left() {
	local id pid st d
	for id in "$@"; do
		[ ! -e "$RT_ROOT/$id" ] || fail "the state directory $RT_ROOT/$id is left"
		for d in /sys/fs/cgroup/hyrun/"$id" /sys/fs/cgroup/*/hyrun/"$id"; do
			[ ! -e "$d" ] || fail "the cgroup $d is left"
		done
		! grep -qxF "$(realpath -m "$RT_ROOT/$id")" /run/hyrun-ids/* 2>/dev/null ||
			fail "the host id range of $id is still held in /run/hyrun-ids"
	done
	for pid in "${RT_PIDS[@]}"; do
		st=$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null || true)
		[ -z "$st" ] || [ "$st" = Z ] || fail "hyrun-vmm (pid $pid) is still running"
	done
	! pgrep -f -- '--ready-fd' >/dev/null || fail "a hyrun-vmm is still running: $(pgrep -af -- --ready-fd)"
	! grep -qF "$SDIR" /proc/self/mountinfo || fail "mounts of $SDIR are left"
}

# rt_create ID [ARGS...]: hyrun create --bundle $B ID, expected to succeed. The VMM's
# stdout and stderr (the workload's) go to $SDIR/ID.out and ID.err, which later commands
# do not overwrite; its pid is remembered.
rt_create() {
	local id=$1
	shift
	env HYRUN_KERNEL="$KFS" "$HYRUN" --root "$RT_ROOT" create --bundle "$B" "$@" "$id" \
		>"$SDIR/$id.out" 2>"$SDIR/$id.err" || fail "create $id: $(cat "$SDIR/$id.err")"
	RT_PIDS+=("$(rt_pid "$id")")
}

# --- the lifecycle ------------------------------------------------------------------------

test_runtime_create_start_kill_delete() {
	rt_bundle 'c["process"]["args"] = ["sh", "-c", "trap \"echo got-term; exit 3\" TERM; echo started; while :; do sleep 0.1; done"]'
	# Created under umask 000: the control and vsock sockets are 0600 all the same.
	(umask 000 && rt_create c1 --pid-file "$SDIR/pid")
	RT_PIDS+=("$(rt_pid c1)")
	expect_status_of c1 created
	local pid
	pid=$(rt_pid c1)
	expect_eq "ctl.sock's mode" "$(stat -c %a "$RT_ROOT/c1/ctl.sock")" 600
	expect_eq "vsock.sock's mode" "$(stat -c %a "$RT_ROOT/c1/vsock.sock")" 600
	# Another container's VMM (a host uid of another range, no capability) opens
	# neither its memory nor its root.
	local other
	other=$(($(awk '/^Uid:/ { print $2 }' "/proc/$pid/status") + 65536))
	OUT=$(setpriv --reuid "$other" --regid "$other" --clear-groups --inh-caps=-all \
		--bounding-set=-all -- "$PY" -c 'import os, sys
for p in sys.argv[1:]:
    try:
        os.close(os.open(p, os.O_RDONLY))
        print(p, "opened")
    except OSError as e:
        print(p, e.strerror)' "/proc/$pid/mem" "/proc/$pid/root/" 2>&1)
	grep -qx "/proc/$pid/mem Permission denied" <<<"$OUT" || fail "the VMM's memory: $OUT"
	grep -qx "/proc/$pid/root/ Permission denied" <<<"$OUT" || fail "the VMM's root: $OUT"
	expect_eq "pid file" "$(cat "$SDIR/pid")" "$pid"
	grep -q hyrun-vmm "/proc/$pid/cmdline" || fail "pid $pid is not hyrun-vmm"
	grep -q started "$SDIR/c1.out" && fail "the workload ran before start"

	hr ps --format json c1
	expect_status 0
	"$PY" -c 'import json, sys; p = json.loads(sys.argv[1]); assert int(sys.argv[2]) in p, p' \
		"$OUT" "$pid" || fail "ps --format json: $OUT lacks $pid"
	# The table is the guest's: the workload's process, held before its execve.
	hr ps c1
	expect_status 0
	grep -qE '^ *UID +PID +PPID' <<<"$OUT" || fail "ps: no header: $OUT"
	[ "$(grep -cE '^ *[0-9]+ +[0-9]+ +1 ' <<<"$OUT")" -ge 1 ] || fail "ps: no process of the guest: $OUT"

	hr start c1
	expect_status 0
	expect_status_of c1 running
	rt_wait_output "$SDIR/c1.out" started

	hr list
	expect_status 0
	grep -qE "^c1 +$pid +running +$B " <<<"$OUT" || fail "list: no line for c1"
	hr list -q
	expect_stdout c1
	hr list --format json
	"$PY" -c 'import json, sys
l = json.loads(sys.argv[1])
assert [(c["id"], c["status"], c["pid"]) for c in l] == [("c1", "running", int(sys.argv[2]))], l' \
		"$OUT" "$pid" || fail "list --format json: $OUT"
	hr state c1
	"$PY" -c 'import json, sys
s = json.loads(sys.argv[1])
for k in ("ociVersion", "id", "pid", "status", "bundle", "rootfs", "created", "owner", "annotations"):
    assert k in s, k
assert s["bundle"] == sys.argv[2] and s["rootfs"] == sys.argv[2] + "/rootfs", s' \
		"$OUT" "$B" || fail "state: $OUT"

	hr kill c1 TERM
	expect_status 0
	rt_wait_status c1 stopped
	rt_wait_output "$SDIR/c1.out" got-term
	hr kill c1 TERM
	expect_status 1
	expect_stderr_has "container not running"
	hr delete c1
	expect_status 0
	rt_expect_nothing_left c1
	hr state c1
	expect_status 1
	expect_stderr_has "container does not exist"
}

test_runtime_kill_names_numbers_and_sigkill() {
	rt_bundle 'c["process"]["args"] = ["sh", "-c", "trap \"echo usr1\" USR1; trap \"echo hup\" HUP; while :; do sleep 0.1; done"]'
	rt_create k1
	hr start k1
	expect_status 0
	hr kill k1 SIGUSR1
	expect_status 0
	rt_wait_output "$SDIR/k1.out" usr1
	hr kill k1 1
	expect_status 0
	rt_wait_output "$SDIR/k1.out" hup
	hr kill k1 NOSUCH
	expect_status 1
	expect_stderr_has 'invalid signal "NOSUCH"'
	hr kill --all k1 KILL
	expect_status 0
	rt_wait_status k1 stopped 10
	hr delete k1
	expect_status 0
	rt_expect_nothing_left k1
}

test_runtime_run_exit_status() {
	rt_bundle 'c["process"]["args"] = ["sh", "-c", "echo hi from the vm; echo oops >&2; exit 7"]'
	hr run --bundle "$B" r1
	expect_status 7
	expect_stdout "hi from the vm"
	expect_stderr_has oops
	rt_expect_nothing_left r1
}

test_runtime_run_killed_by_signal() {
	# Without a pid namespace: PID 1 of one cannot be killed from inside it (runc's too).
	rt_bundle 'c["process"]["args"] = ["sh", "-c", "kill -9 $$"]
c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "pid"]'
	hr run --bundle "$B" r2
	expect_status 137
	rt_expect_nothing_left r2
}

test_runtime_run_passes_sigterm_on() {
	rt_bundle 'c["process"]["args"] = ["sh", "-c", "trap \"echo got-term; exit 42\" TERM; echo ready; while :; do sleep 0.1; done"]'
	local pid st
	env HYRUN_KERNEL="$KFS" "$HYRUN" --root "$RT_ROOT" run --bundle "$B" r3 >"$TDIR/stdout" 2>"$TDIR/stderr" &
	pid=$!
	rt_wait_output "$TDIR/stdout" ready "$pid"
	kill -TERM "$pid"
	st=0
	wait "$pid" || st=$?
	expect_eq "exit status of hyrun run" "$st" 42
	grep -q got-term "$TDIR/stdout" || fail "the workload did not get SIGTERM"
	rt_expect_nothing_left r3
}

test_runtime_run_detach() {
	rt_bundle 'c["process"]["args"] = ["sh", "-c", "echo detached; while :; do sleep 0.1; done"]'
	env HYRUN_KERNEL="$KFS" "$HYRUN" --root "$RT_ROOT" run --bundle "$B" --detach \
		--pid-file "$SDIR/pid" d1 >"$SDIR/d1.out" 2>"$SDIR/d1.err" ||
		fail "run --detach: $(cat "$SDIR/d1.err")"
	RT_PIDS+=("$(cat "$SDIR/pid")")
	expect_status_of d1 running
	rt_wait_output "$SDIR/d1.out" detached
	hr delete d1
	expect_status 1
	expect_stderr_has "cannot delete container d1 that is not stopped: running"
	expect_status_of d1 running
	hr delete --force d1
	expect_status 0
	rt_expect_nothing_left d1
}

test_runtime_pause_resume() {
	rt_bundle 'c["process"]["args"] = ["sh", "-c", "i=0; while :; do i=$((i+1)); echo $i; sleep 0.1; done"]'
	local c1 c2 c3
	rt_create p1
	hr start p1
	expect_status 0
	rt_wait_output "$SDIR/p1.out" '^5$'
	hr pause p1
	[ "$ST" = 0 ] || rt_threads "$(rt_pid p1)"
	expect_status 0
	expect_status_of p1 paused
	hr pause p1
	expect_status 1
	expect_stderr_has "container already paused"
	c1=$(tail -n 1 "$SDIR/p1.out")
	sleep 2
	c2=$(tail -n 1 "$SDIR/p1.out")
	expect_eq "counter while paused" "$c2" "$c1"
	hr resume p1
	expect_status 0
	expect_status_of p1 running
	sleep 2
	c3=$(tail -n 1 "$SDIR/p1.out")
	[ "$c3" -gt "$c2" ] || fail "the counter did not go on after resume: $c2 -> $c3"
	hr resume p1
	expect_status 1
	expect_stderr_has "container not paused"
	hr pause p1
	expect_status 0
	hr delete --force p1
	expect_status 0
	rt_expect_nothing_left p1
}

# --- spec, features, hooks, terminal ---------------------------------------------------------

test_runtime_spec_and_features() {
	[ -x "$HYRUN" ] || fail "$HYRUN is missing (run make)"
	mkdir "$TDIR/b"
	vm_raw "$HYRUN" spec --bundle "$TDIR/b"
	expect_status 0
	"$PY" - "$TDIR/b/config.json" <<-'EOF' || fail "hyrun spec wrote an unexpected config.json"
		import json, sys
		c = json.load(open(sys.argv[1]))
		assert c["root"]["path"] == "rootfs", c["root"]
		assert c["process"]["args"] == ["sh"] and c["process"]["terminal"] is True
		assert {n["type"] for n in c["linux"]["namespaces"]} >= {"pid", "mount", "ipc", "uts"}
		assert any(m["destination"] == "/proc" for m in c["mounts"])
	EOF
	vm_raw "$HYRUN" spec --bundle "$TDIR/b"
	expect_status 1
	expect_stderr_has "config.json exists"

	vm_raw "$HYRUN" features
	expect_status 0
	"$PY" - "$OUT" <<-'EOF' || fail "hyrun features: unexpected document"
		import json, sys
		f = json.loads(sys.argv[1])
		assert f["ociVersionMin"] == "1.0.0" and f["ociVersionMax"].startswith("1.")
		assert f["hooks"] == ["prestart", "createRuntime", "createContainer",
		                      "startContainer", "poststart", "poststop"], f["hooks"]
		l = f["linux"]
		assert set(l["namespaces"]) == {"pid", "network", "mount", "ipc", "uts", "user", "cgroup"}
		assert "time" not in l["namespaces"]
		assert l["cgroup"]["v1"] and l["cgroup"]["v2"] and not l["cgroup"]["systemd"]
		assert "SCMP_ACT_ERRNO" in l["seccomp"]["actions"]
		assert "SCMP_ACT_NOTIFY" not in l["seccomp"]["actions"]
		assert "SCMP_ARCH_X86_64" in l["seccomp"]["archs"]
		assert "CAP_SYS_ADMIN" in l["capabilities"]
		assert "rbind" in f["mountOptions"] and "ro" in f["mountOptions"]
		for k in ("io.hyrun.vcpus", "io.hyrun.memory_mib", "io.hyrun.kernel", "io.hyrun.version"):
		    assert k in f["annotations"], k
	EOF
	vm_raw "$HYRUN" --version
	expect_status 0
	grep -qE '^hyrun version [0-9]' <<<"$OUT" || fail "--version: $OUT"
	grep -qE '^spec: 1\.' <<<"$OUT" || fail "--version has no spec line: $OUT"
}

test_runtime_hooks_order_and_state() {
	rt_bundle
	local log=$SDIR/hooks.log
	rt_config "$(printf '%s\n' \
		'c["process"]["args"] = ["sh", "-c", "echo workload"]' \
		'c["hooks"] = {k: [{"path": "/bin/sh", "args": ["sh", "-c", "{ echo " + k + "; cat; echo; } >> '"$log"'"]}]' \
		'    for k in ("prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop")}')"
	hr run --bundle "$B" h1
	expect_status 0
	expect_stdout workload
	"$PY" - "$log" <<-'EOF' || fail "hooks: $(cat "$log")"
		import json, sys
		lines = open(sys.argv[1]).read().split("\n")
		names = lines[0::2][:6]
		assert names == ["prestart", "createRuntime", "createContainer",
		                 "startContainer", "poststart", "poststop"], names
		states = [json.loads(s) for s in lines[1::2][:6]]
		assert [s["status"] for s in states] == ["created", "created", "created",
		                                         "created", "running", "stopped"], states
		assert all(s["id"] == "h1" and s["pid"] > 0 for s in states), states
	EOF
	rt_expect_nothing_left h1
}

test_runtime_failing_hook_undoes_create() {
	rt_bundle 'c["hooks"] = {"createRuntime": [{"path": "/bin/sh", "args": ["sh", "-c", "echo no network for you >&2; exit 5"]}]}'
	hr create --bundle "$B" h2
	expect_status 1
	expect_stderr_has "hooks.createRuntime[0] (/bin/sh): exit status 5: no network for you"
	rt_expect_nothing_left h2
}

test_runtime_console_socket() {
	rt_bundle 'c["process"]["terminal"] = True; c["process"]["args"] = ["sh", "-c", "tty; echo term=$TERM; sleep 0.5"]'
	local sock=$SDIR/console.sock out=$SDIR/console.out rpid
	"$PY" - "$sock" "$out" >"$SDIR/receiver.log" 2>&1 <<-'EOF' &
		# A console-socket receiver as conmon is one: take the pty master, read it to EOF.
		import os, select, socket, sys
		s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
		s.bind(sys.argv[1])
		s.listen(1)
		c, _ = s.accept()
		msg, fds, _, _ = socket.recv_fds(c, 1024, 1)
		with open(sys.argv[2], "wb", buffering=0) as f:
		    f.write(b"name=" + msg + b"\n")
		    while select.select([fds[0]], [], [], 60)[0]:
		        try:
		            d = os.read(fds[0], 4096)
		        except OSError:
		            break
		        if not d:
		            break
		        f.write(d)
	EOF
	rpid=$!
	for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
	rt_create t1 --console-socket "$sock"
	hr start t1
	expect_status 0
	rt_wait_status t1 stopped
	rt_wait_output "$out" 'term=xterm'
	grep -q '^name=/dev/pts/' "$out" || fail "no pty name came with the master: $(cat "$out")"
	grep -qE '^/dev/(pts/[0-9]+|console|tty)' "$out" || fail "the workload has no tty: $(cat "$out")"
	hr delete t1
	expect_status 0
	kill "$rpid" 2>/dev/null || true
	rt_expect_nothing_left t1

	hr create --bundle "$B" t2
	expect_status 1
	expect_stderr_has "no --console-socket"
	rt_expect_nothing_left t2
}

# --- bad input: a clear error and nothing left ------------------------------------------------

test_runtime_missing_bundle() {
	rt_bundle
	hr create --bundle "$SDIR/no-such-bundle" m1
	expect_status 1
	expect_stderr_has "no-such-bundle"
	expect_stderr_has "No such file or directory"
	rm "$B/config.json"
	hr create --bundle "$B" m2
	expect_status 1
	expect_stderr_has "$B/config.json: No such file or directory"
	rt_expect_nothing_left m1 m2
}

test_runtime_malformed_config() {
	rt_bundle
	cp "$B/config.json" "$SDIR/config.good"
	printf '{"ociVersion": "1.0.2", "process": {' >"$B/config.json"
	hr create --bundle "$B" b1
	expect_status 1
	expect_stderr_has "config.json: invalid JSON at line 1"
	cp "$SDIR/config.good" "$B/config.json"
	rt_config 'c["process"]["args"] = []'
	hr create --bundle "$B" b2
	expect_status 1
	expect_stderr_has "process.args: must be a non-empty array of strings"
	cp "$SDIR/config.good" "$B/config.json"
	rt_config 'c["linux"]["namespaces"].append({"type": "time"})'
	hr create --bundle "$B" b3
	expect_status 1
	expect_stderr_has '.type: "time" is not supported'
	cp "$SDIR/config.good" "$B/config.json"
	rt_config 'c["linux"]["resources"]["memory"] = {"limit": 1048576}'
	hr create --bundle "$B" b4
	expect_status 1
	expect_stderr_has "linux.resources.memory.limit: 1048576 bytes is too small"
	rt_expect_nothing_left b1 b2 b3 b4
}

test_runtime_missing_kernel() {
	rt_bundle
	vm_raw env HYRUN_KERNEL="$SDIR/no-such-kernel" "$HYRUN" --root "$RT_ROOT" create \
		--bundle "$B" n1
	expect_status 1
	expect_stderr_has "kernel '$SDIR/no-such-kernel' (from \$HYRUN_KERNEL): No such file"
	rt_config 'c["annotations"] = {"io.hyrun.kernel": "'"$SDIR"'/other-kernel"}'
	hr create --bundle "$B" n2
	expect_status 1
	expect_stderr_has "kernel '$SDIR/other-kernel' (annotation io.hyrun.kernel): No such file"
	# A file the host can read, outside the kernel directories: not a kernel to boot.
	rt_config 'c["annotations"] = {"io.hyrun.kernel": "'"$B"'/config.json"}'
	hr create --bundle "$B" n3
	expect_status 1
	expect_stderr_has "(annotation io.hyrun.kernel): not in a kernel directory this host allows"
	rt_expect_nothing_left n1 n2 n3
}

test_runtime_executable_not_found() {
	# A name looked up in PATH is found missing before the workload is prepared: create fails.
	rt_bundle 'c["process"]["args"] = ["no-such-program"]'
	hr create --bundle "$B" x1
	expect_status 1
	expect_stderr_has 'exec: "no-such-program": executable file not found in $PATH'
	rt_expect_nothing_left x1
	# A path is tried only by the execve() itself: its status is 127, as from a shell.
	rt_config 'c["process"]["args"] = ["/no/such/program"]'
	hr run --bundle "$B" x2
	expect_status 127
	expect_stderr_has "/no/such/program"
	rt_expect_nothing_left x2
}

test_runtime_duplicate_id_and_start_twice() {
	rt_bundle 'c["process"]["args"] = ["sh", "-c", "while :; do sleep 0.1; done"]'
	rt_create u1
	hr create --bundle "$B" u1
	expect_status 1
	expect_stderr_has "container with id exists: u1"
	expect_status_of u1 created
	hr start u1
	expect_status 0
	hr start u1
	expect_status 1
	expect_stderr_has "cannot start an already running container"
	hr delete u1
	expect_status 1
	expect_stderr_has "that is not stopped: running"
	hr kill u1 KILL
	expect_status 0
	rt_wait_status u1 stopped 10
	hr start u1
	expect_status 1
	expect_stderr_has "cannot start a container that has stopped"
	hr delete u1
	expect_status 0
	hr delete u1
	expect_status 1
	expect_stderr_has "container does not exist"
	hr delete --force u1
	expect_status 0
	rt_expect_nothing_left u1
}

test_runtime_delete_created() {
	# As runc: a container that was created but never started is deleted without --force.
	rt_bundle
	rt_create e1
	hr delete e1
	expect_status 0
	rt_expect_nothing_left e1
}

test_runtime_json_log() {
	rt_bundle
	hr --log "$SDIR/log.json" --log-format json start no-such-container
	expect_status 1
	expect_stderr_has "container does not exist"
	"$PY" - "$SDIR/log.json" <<-'EOF' || fail "log: $(cat "$SDIR/log.json")"
		import json, sys
		lines = [json.loads(l) for l in open(sys.argv[1])]
		assert lines[-1]["level"] == "error", lines
		assert lines[-1]["msg"] == "container does not exist", lines
		assert lines[-1]["time"].endswith("Z"), lines
	EOF
	hr --systemd-cgroup create --bundle "$B" s1
	expect_status 1
	expect_stderr_has "systemd cgroup manager is not supported"
	rt_expect_nothing_left s1
}

# --- leaks ----------------------------------------------------------------------------------

# --- the VMM's jail ------------------------------------------------------------------------

# hyrun-vmm as the host sees it: a uid of the pool (not 0), no capability over the host,
# a user namespace of its own, a procfs of its own, /dev/kvm as a descriptor; the share
# idmapped, so the guest's files keep their owners on the host. The range is given back.
test_runtime_vmm_unprivileged() {
	rt_bundle 'c["process"]["args"] = ["sh", "-c", "touch /made-by-guest; chown 1234:5678 /made-by-guest; echo ok; while :; do sleep 1; done"]
for k in ("bounding", "effective", "permitted"): c["process"]["capabilities"][k].append("CAP_CHOWN")'
	local pid uid held other
	rt_create u1
	pid=$(rt_pid u1)
	hr start u1
	expect_status 0
	rt_wait_output "$SDIR/u1.out" '^ok$'
	uid=$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")
	printf 'hyrun-vmm (pid %d) as the host sees it:\n%s\nuid_map: %s\n' "$pid" \
		"$(grep -E '^(Uid|Gid|Groups|Cap[A-Za-z]+|Seccomp|NoNewPrivs):' "/proc/$pid/status")" \
		"$(cat "/proc/$pid/uid_map")"
	[ "$uid" -ge 1000000000 ] || fail "hyrun-vmm runs as host uid $uid, not one of the pool"
	read -r a b c <"/proc/$pid/uid_map"
	[ "$a $b $c" = "0 $uid 65536" ] || fail "uid_map: $a $b $c"
	[ "$(readlink "/proc/$pid/ns/user")" != "$(readlink /proc/self/ns/user)" ] ||
		fail "hyrun-vmm is in the host's user namespace"
	ls -l "/proc/$pid/fd" | grep -q ' -> /dev/kvm$' || fail "hyrun-vmm holds no /dev/kvm descriptor"
	held=$(grep -lxF "$(realpath "$RT_ROOT/u1")" /run/hyrun-ids/*) || fail "no range held for u1"
	[ "$(stat -c %u:%g "$B/rootfs/made-by-guest")" = 1234:5678 ] ||
		fail "a file the guest made is owned by $(stat -c %u:%g "$B/rootfs/made-by-guest") on the host; the guest said: $(cat "$SDIR/u1.out" "$SDIR/u1.err")"
	# Its procfs: itself only.
	other=$(ls "/proc/$pid/root/proc")
	[ "$other" = "$(printf '1\nself\nthread-self')" ] || fail "the jail's /proc has: $other"
	hr delete --force u1
	expect_status 0
	[ ! -e "$held" ] || fail "$held is still there after delete"
	rt_expect_nothing_left u1
}

# A spec with a user namespace of its own (Podman's --userns=auto, uidMappings): the VMM
# runs in that one, unprivileged, on the root filesystem the engine chowned to the range;
# nothing is idmapped and no range of the pool is taken.
test_runtime_vmm_in_spec_userns() {
	rt_bundle 'c["process"]["args"] = ["sh", "-c", "touch /made-in-userns; echo ok; while :; do sleep 1; done"]
c["linux"]["namespaces"].append({"type": "user"})
c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 3000000000, "size": 65536}]
c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 3000000000, "size": 65536}]'
	local pid
	chown -R 3000000000:3000000000 "$B/rootfs"
	rt_create s1
	pid=$(rt_pid s1)
	hr start s1
	expect_status 0
	rt_wait_output "$SDIR/s1.out" '^ok$'
	expect_eq "hyrun-vmm's host uid" "$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")" 3000000000
	expect_eq "a file the guest made" "$(stat -c %u:%g "$B/rootfs/made-in-userns")" 3000000000:3000000000
	! grep -qxF "$(realpath "$RT_ROOT/s1")" /run/hyrun-ids/* 2>/dev/null ||
		fail "a range of the pool was taken for s1"
	hr delete --force s1
	expect_status 0
	rt_expect_nothing_left s1
}

# A root filesystem on overlayfs (Podman's and containerd's default storage) cannot be
# mounted idmapped: create refuses, naming the share and what would allow it, and leaves
# nothing; with HYRUN_ROOT_VMM=1 the container runs with a root VMM and a warning.
test_runtime_overlay_rootfs_root_vmm() {
	local id
	rt_bundle 'c["process"]["args"] = ["/bin/sh", "-c", "exit 5"]'
	mkdir -p "$SDIR/upper" "$SDIR/work"
	mv "$B/rootfs" "$SDIR/lower"
	mkdir "$B/rootfs"
	mount -t overlay overlay -o "lowerdir=$SDIR/lower,upperdir=$SDIR/upper,workdir=$SDIR/work" \
		"$B/rootfs" || fail "mount overlay"
	# shellcheck disable=SC2064  # expand now
	trap "umount -l '$B/rootfs' 2>/dev/null || true; rt_cleanup" EXIT
	hr run --bundle "$B" o1
	expect_status 1
	expect_stderr_has "is on overlay, which cannot be mounted idmapped"
	expect_stderr_has "HYRUN_ROOT_VMM=1"
	[ ! -e "$RT_ROOT/o1" ] || fail "the state directory of o1 is left"
	vm_raw env HYRUN_KERNEL="$KFS" HYRUN_ROOT_VMM=1 "$HYRUN" --root "$RT_ROOT" run --bundle "$B" o2
	expect_status 5
	expect_stderr_has "hyrun-vmm runs as root (HYRUN_ROOT_VMM=1)"
	umount -l "$B/rootfs" || fail "umount $B/rootfs"
	for id in o1 o2; do
		[ ! -e "$RT_ROOT/$id" ] || fail "the state directory of $id is left"
		[ ! -e "/sys/fs/cgroup/hyrun/$id" ] || fail "the cgroup of $id is left"
	done
	! pgrep -f -- '--ready-fd' >/dev/null || fail "a hyrun-vmm is still running: $(pgrep -af -- --ready-fd)"
}

# Run by a user other than root, the verbs that change containers stop at once, in one
# line, and make nothing.
test_runtime_rootless_refused() {
	rt_bundle
	vm_raw setpriv --reuid 65534 --regid 65534 --clear-groups -- \
		"$HYRUN" --root "$RT_ROOT" create --bundle "$B" r1
	expect_status 1
	expect_stderr_has "create: rootless containers are not supported: hyrun must run as root"
	[ "$(wc -l <"$TDIR/stderr")" = 1 ] || fail "more than one line: $ERR"
	[ ! -e "$RT_ROOT/r1" ] || fail "a state directory was made"
}

test_runtime_leak() {
	rt_bundle 'c["process"]["args"] = ["/bin/true"]'
	local n=${HYRUN_LEAK_CYCLES:-10} i t0 ids=()
	t0=$(now_ms)
	for ((i = 0; i < n; i++)); do
		env HYRUN_KERNEL="$KFS" "$HYRUN" --root "$RT_ROOT" create --bundle "$B" \
			--pid-file "$SDIR/pid" "l$i" >"$TDIR/stdout" 2>"$TDIR/stderr" ||
			fail "create l$i: $(cat "$TDIR/stderr")"
		RT_PIDS+=("$(cat "$SDIR/pid")")
		"$HYRUN" --root "$RT_ROOT" start "l$i" || fail "start l$i"
		rt_wait_status "l$i" stopped 30
		"$HYRUN" --root "$RT_ROOT" delete "l$i" || fail "delete l$i"
		ids+=("l$i")
	done
	printf '%d create/start/delete cycles in %d ms\n' "$n" $(($(now_ms) - t0))
	rt_expect_nothing_left "${ids[@]}"
	[ -z "$(ls -A "$RT_ROOT")" ] || fail "the state root is not empty: $(ls -A "$RT_ROOT")"
}
