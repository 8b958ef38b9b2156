# shellcheck shell=bash
# shellcheck disable=SC2016  # the guests' shell code is single-quoted on purpose
# tests/integration/exec.sh: into a running microVM: hyrun exec and its proxy, the vsock
# device, ps, events, update; Podman's and containerd's exec. Sourced by run (group
# "exec", tests named test_exec_*).
#
# Most tests share one container, booted by the first test that needs it and deleted by
# the last test (test_exec_zz_leave_nothing), which also checks that nothing was left
# behind: a VM per test would cost most of the group's time. Its state root, bundle and
# scratch files are under one directory on tmpfs (sockets cannot be bound on the test
# host's 9p /tmp).
#
# Environment: HYRUN_EXEC_CYCLES  create/start/exec/delete cycles of the leak test
#                                 (default 5; hack/leak-test runs 50)

EX_BASE=$(host_scratch_base)
EX_DIR=$EX_BASE/hyrun-exec.$$ # $$: the suite's shell, the same in every test
EX_ID=hyrun-exec-$$

# ex ARG...: hyrun --root <the shared state root> ARG... (cl_run: OUT, ERR, ST).
ex() {
	cl_run env HYRUN_KERNEL="$KFS" "$HYRUN" --root "$EX_DIR/state" "$@"
}

# ex_state_dir: the shared container's state directory.
ex_state_dir() {
	echo "$EX_DIR/state/$EX_ID"
}

# ex_shared: the shared container, running `sleep` (made once).
ex_shared() {
	[ -x "$HYRUN" ] || fail "$HYRUN is missing (run make)"
	need_file kernel "$KFS" "run hack/setup, or make kernel"
	if [ -e "$EX_DIR/ready" ]; then
		[ "$(EX_status)" = running ] ||
			fail "the shared container is $(EX_status): an earlier test broke it; its VMM's stderr: $(tail -c 2000 "$EX_DIR/vmm.err")"
		return 0
	fi
	mkdir -p "$EX_DIR"
	B=$EX_DIR/bundle
	busybox_root "$B/rootfs"
	"$HYRUN" spec --bundle "$B" || fail "hyrun spec failed"
	"$PY" - "$B/config.json" <<-'EOF' || fail "editing config.json failed"
		import json, sys
		with open(sys.argv[1]) as f:
		    c = json.load(f)
		c["process"]["terminal"] = False
		c["process"]["args"] = ["/bin/sleep", "1000000"]
		c["process"]["env"].append("SHARED=yes")
		c.setdefault("annotations", {})["io.hyrun.vsock_guest_connect"] = "true"
		c["root"]["readonly"] = False
		with open(sys.argv[1], "w") as f:
		    json.dump(c, f, indent=1)
	EOF
	# The VMM keeps the stdio it is given: files of the group, not of this test.
	printf '$ hyrun create --bundle %s %s\n' "$B" "$EX_ID"
	HYRUN_KERNEL="$KFS" timeout 300 "$HYRUN" --root "$EX_DIR/state" create --bundle "$B" \
		"$EX_ID" </dev/null >"$EX_DIR/vmm.out" 2>"$EX_DIR/vmm.err" ||
		fail "hyrun create failed: $(tail -n 5 "$EX_DIR/vmm.err")"
	ex start "$EX_ID"
	[ "$ST" = 0 ] || fail "hyrun start failed ($ST): $ERR"
	touch "$EX_DIR/ready"
}

EX_status() {
	local s
	s=$("$HYRUN" --root "$EX_DIR/state" state "$EX_ID" 2>/dev/null) || {
		echo gone
		return
	}
	sed -n 's/^ *"status": "\([a-z]*\)",*$/\1/p' <<<"$s"
}

# ex_exec ARG...: hyrun exec ARG... into the shared container (cl_run).
ex_exec() {
	ex exec "$@"
}

# ex_exec_bg ARG...: hyrun exec -d ARG... into the shared container; the proxy that stays
# writes to $TDIR/detached.out, not to the files of the next cl_run.
ex_exec_bg() {
	printf '$ hyrun exec -d %s\n' "$*"
	"$HYRUN" --root "$EX_DIR/state" exec -d "$@" >>"$TDIR/detached.out" 2>&1 ||
		fail "hyrun exec -d $* failed: $(tail -n 3 "$TDIR/detached.out")"
}

# ex_guest_has PATTERN: a process of the guest matches PATTERN (busybox ps, through exec).
ex_guest_has() {
	"$HYRUN" --root "$EX_DIR/state" exec "$EX_ID" /bin/ps -o pid,args 2>/dev/null |
		grep -v -e 'ps -o' | grep -qE -- "$1"
}

# ex_vmm_pid: the shared container's VMM.
ex_vmm_pid() {
	"$HYRUN" --root "$EX_DIR/state" state "$EX_ID" | sed -n 's/^ *"pid": \([0-9]*\),*$/\1/p'
}

# --- hyrun exec -------------------------------------------------------------------------

test_exec_plain() {
	ex_shared
	ex_exec "$EX_ID" /bin/echo hello from the guest
	expect_status 0
	expect_stdout "hello from the guest"
	# The container's own environment is the base of the exec's.
	ex_exec "$EX_ID" /bin/sh -c 'echo $SHARED'
	expect_status 0
	expect_stdout yes
}

test_exec_exit_status() {
	ex_shared
	ex_exec "$EX_ID" /bin/sh -c 'exit 3'
	expect_status 3
	ex_exec "$EX_ID" /bin/sh -c 'kill -TERM $$'
	expect_status 143
}

test_exec_not_found() {
	local t0 dt
	ex_shared
	t0=$(now_ms)
	ex_exec "$EX_ID" nosuchcommand arg
	dt=$(($(now_ms) - t0))
	expect_status 127
	expect_stderr_has nosuchcommand
	expect_stderr_has 'executable file not found'
	[ "$dt" -lt 20000 ] || fail "a missing command took $dt ms to be reported"
	ex_exec "$EX_ID" /nonexistent/path
	expect_status 127
	ex_exec "$EX_ID" /etc/passwd
	expect_status 126
	ex_exec --cwd /nonexistent "$EX_ID" /bin/true
	expect_status 125
	expect_stderr_has /nonexistent
}

test_exec_stdio_apart() {
	ex_shared
	ex_exec "$EX_ID" /bin/sh -c 'echo out1; echo err1 >&2; echo out2; echo err2 >&2'
	expect_status 0
	expect_eq stdout "$OUT" "out1
out2"
	expect_eq stderr "$ERR" "err1
err2"
}

test_exec_env_user_cwd() {
	ex_shared
	ex_exec -e FOO=bar -e SHARED=changed -u 1000:1001 -g 2000 --cwd /tmp "$EX_ID" \
		/bin/sh -c 'echo "$FOO $SHARED"; id -u; id -g; id -G; pwd'
	expect_status 0
	expect_eq output "$OUT" "bar changed
1000
1001
1001 2000
/tmp"
	ex_exec --no-new-privs "$EX_ID" /probe nnp
	expect_status 0
	expect_stdout nnp=1
}

test_exec_stdin_eof() {
	ex_shared
	printf '$ printf abc | hyrun exec ID /bin/cat\n'
	set +e
	OUT=$(printf abc | timeout 60 "$HYRUN" --root "$EX_DIR/state" exec "$EX_ID" /bin/cat)
	ST=$?
	set -e
	expect_status 0
	expect_eq stdout "$OUT" abc
	# Stdin at its end from the start (/dev/null): cat ends at once.
	ex_exec "$EX_ID" /bin/cat
	expect_status 0
	expect_eq stdout "$OUT" ""
}

test_exec_cat_64m() {
	local want got
	ex_shared
	head -c $((64 << 20)) /dev/urandom >"$EX_DIR/64m"
	want=$(sha256sum <"$EX_DIR/64m" | cut -d' ' -f1)
	printf '$ hyrun exec ID /bin/cat <64 MiB >out\n'
	set +e
	timeout 600 "$HYRUN" --root "$EX_DIR/state" exec "$EX_ID" /bin/cat <"$EX_DIR/64m" \
		>"$EX_DIR/64m.out" 2>"$TDIR/stderr"
	ST=$?
	set -e
	expect_status 0
	got=$(sha256sum <"$EX_DIR/64m.out" | cut -d' ' -f1)
	rm -f "$EX_DIR/64m" "$EX_DIR/64m.out"
	expect_eq "sha256 of what came back" "$got" "$want"
}

test_exec_background_child_holds_stdout() {
	local t0 base dt
	ex_shared
	t0=$(now_ms)
	ex_exec "$EX_ID" /bin/true
	base=$(($(now_ms) - t0))
	t0=$(now_ms)
	ex_exec "$EX_ID" /bin/sh -c 'sleep 30 & echo started'
	dt=$(($(now_ms) - t0))
	expect_status 0
	expect_stdout started
	[ "$dt" -lt $((base + 2000)) ] ||
		fail "exec returned after $dt ms (a plain exec takes $base ms): it waited for the background child"
}

test_exec_signal_to_proxy() {
	local pid
	ex_shared
	printf '$ hyrun exec ID sh -c trap... & (in the background)\n'
	"$HYRUN" --root "$EX_DIR/state" exec "$EX_ID" /bin/sh -c \
		'trap "echo got TERM; exit 7" TERM; echo ready; while :; do sleep 0.1; done' \
		>"$TDIR/out" 2>&1 &
	pid=$!
	cl_wait_for "'ready' from the exec'd process" 60 grep -q ready "$TDIR/out"
	kill -TERM "$pid"
	set +e
	timeout 30 tail --pid="$pid" -f /dev/null
	wait "$pid"
	ST=$?
	set -e
	printf -- '--- output ---\n%s\n' "$(<"$TDIR/out")"
	expect_status 7
	grep -q 'got TERM' "$TDIR/out" || fail "the guest process did not get SIGTERM"
}

test_exec_proxy_killed() {
	local pid i
	ex_shared
	"$HYRUN" --root "$EX_DIR/state" exec "$EX_ID" /bin/sleep 4242 >"$TDIR/out" 2>&1 &
	pid=$!
	cl_wait_for "sleep 4242 in the guest" 60 ex_guest_has 'sleep 4242'
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null || true
	for ((i = 0; i < 20; i++)); do
		ex_guest_has 'sleep 4242' || return 0
		sleep 0.1
	done
	fail "the guest's sleep 4242 outlived its proxy by 2 s"
}

test_exec_concurrent() {
	local i pids=() bad=0
	ex_shared
	for ((i = 0; i < 10; i++)); do
		"$HYRUN" --root "$EX_DIR/state" exec "$EX_ID" /bin/sh -c "echo exec-$i; exit $i" \
			>"$TDIR/out.$i" 2>&1 &
		pids+=($!)
	done
	for ((i = 0; i < 10; i++)); do
		set +e
		wait "${pids[$i]}"
		ST=$?
		set -e
		if [ "$ST" != "$i" ] || [ "$(<"$TDIR/out.$i")" != "exec-$i" ]; then
			printf 'exec %d: status %s, output: %s\n' "$i" "$ST" "$(<"$TDIR/out.$i")"
			bad=1
		fi
	done
	[ "$bad" = 0 ] || fail "concurrent execs went wrong"
}

test_exec_tty() {
	ex_shared
	pty_helper
	cl_run "$PY" "$TDIR/pty.py" "$HYRUN" --root "$EX_DIR/state" exec -t "$EX_ID" \
		/bin/sh -c 'stty size; tty'
	expect_status 0
	grep -q '^40 100' <<<"$OUT" || fail "the exec's terminal is not 40x100: $OUT"
	grep -q '^/dev/pts/' <<<"$OUT" || fail "the exec has no pty: $OUT"
}

test_exec_detach_pid_file() {
	local pid t0 dt
	ex_shared
	t0=$(now_ms)
	ex_exec -d --pid-file "$TDIR/pid" "$EX_ID" /bin/sleep 3
	dt=$(($(now_ms) - t0))
	expect_status 0
	pid=$(<"$TDIR/pid")
	[[ $pid =~ ^[1-9][0-9]*$ ]] || fail "--pid-file holds '$pid'"
	kill -0 "$pid" || fail "the proxy $pid is not running"
	grep -q hyrun "/proc/$pid/cmdline" || fail "pid $pid is not a proxy: $(tr '\0' ' ' <"/proc/$pid/cmdline")"
	# --format json lists host pids: the VMM and the proxy.
	ex ps --format json "$EX_ID"
	expect_status 0
	grep -qw "$pid" <<<"$OUT" || fail "ps --format json does not list the proxy $pid: $OUT"
	grep -qw "$(ex_vmm_pid)" <<<"$OUT" || fail "ps --format json does not list the VMM: $OUT"
	cl_wait_for "the proxy's end" 60 bash -c "! kill -0 $pid 2>/dev/null"
}

test_exec_ps_table() {
	ex_shared
	ex ps "$EX_ID"
	expect_status 0
	grep -q 'sleep 1000000' <<<"$OUT" || fail "ps does not list the workload: $OUT"
	grep -qE '^ *UID +PID' <<<"$OUT" || fail "ps has no header: $OUT"
}

test_exec_flags_refused() {
	ex_shared
	ex_exec --preserve-fds 2 "$EX_ID" /bin/true
	[ "$ST" != 0 ] || fail "--preserve-fds 2 was accepted"
	expect_stderr_has 'cannot be passed into'
	ex_exec -d -t "$EX_ID" /bin/true
	[ "$ST" != 0 ] || fail "-d -t without a console socket was accepted"
	ex_exec -u bob "$EX_ID" /bin/true
	[ "$ST" != 0 ] || fail "-u bob was accepted"
	ex_exec --process /nonexistent.json "$EX_ID"
	[ "$ST" != 0 ] || fail "a missing --process file was accepted"
	ex_exec --process-label foo --apparmor bar "$EX_ID" /bin/true
	expect_status 0
}

test_exec_process_file() {
	ex_shared
	cat >"$TDIR/p.json" <<-'EOF'
		{"args": ["/bin/sh", "-c", "echo $X; id -u; pwd"], "env": ["X=from-file",
		 "PATH=/bin:/usr/bin"], "cwd": "/etc", "user": {"uid": 7, "gid": 7},
		 "terminal": false}
	EOF
	ex_exec --process "$TDIR/p.json" "$EX_ID"
	expect_status 0
	expect_eq output "$OUT" "from-file
7
/etc"
}

# --- vsock ------------------------------------------------------------------------------

# ex_vsock_client MODE PORT ARG...: python client of the shared container's vsock.sock.
ex_vsock_client() {
	cat >"$TDIR/vc.py" <<-'EOF'
		import hashlib, os, socket, sys, threading, time
		path, mode, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
		def connect():
		    for _ in range(100):
		        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
		        s.connect(path)
		        s.sendall(b"CONNECT %d\n" % port)
		        line = b""
		        while not line.endswith(b"\n"):
		            c = s.recv(1)
		            if not c:
		                break
		            line += c
		        if line.startswith(b"OK "):
		            return s
		        s.close()
		        time.sleep(0.1)  # the guest server is not listening yet
		    sys.exit("no connection to guest port %d" % port)
		s = connect()
		if mode == "echo":
		    n = int(sys.argv[4])
		    data = os.urandom(1 << 20)
		    got = hashlib.sha256()
		    def reader():
		        left = n
		        while left:
		            d = s.recv(min(left, 1 << 20))
		            if not d:
		                break
		            got.update(d)
		            left -= len(d)
		    t = threading.Thread(target=reader)
		    t.start()
		    sent = hashlib.sha256()
		    for i in range(n >> 20):
		        s.sendall(data)
		        sent.update(data)
		    s.shutdown(socket.SHUT_WR)
		    t.join()
		    print("same" if got.digest() == sent.digest() else "differ")
		elif mode == "stall":
		    # Read nothing for a while, then everything.
		    time.sleep(float(sys.argv[4]))
		    print("vmm-rss-kib", open(sys.argv[5]).read().split("VmRSS:")[1].split()[0])
		    n = 0
		    while True:
		        d = s.recv(1 << 20)
		        if not d:
		            break
		        n += len(d)
		    print("bytes", n)
	EOF
	cl_run "$PY" "$TDIR/vc.py" "$(ex_state_dir)/vsock.sock" "$@"
}

vm_rss_kib() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

test_exec_vsock_64m_both_ways() {
	ex_shared
	ex_exec_bg "$EX_ID" /probe vsock-echo 5000
	ex_vsock_client echo 5000 $((64 << 20))
	expect_status 0
	expect_stdout same
}

test_exec_vsock_slow_reader_bounded() {
	local vmm before after
	ex_shared
	vmm=$(ex_vmm_pid)
	ex_exec_bg "$EX_ID" /probe vsock-source 5001 $((64 << 20))
	before=$(vm_rss_kib "$vmm")
	# The host client reads nothing for 5 s while the guest writes 64 MiB.
	ex_vsock_client stall 5001 5 "/proc/$vmm/status"
	expect_status 0
	grep -qx "bytes $((64 << 20))" <<<"$OUT" || fail "not every byte came: $OUT"
	after=$(sed -n 's/^vmm-rss-kib //p' <<<"$OUT")
	printf 'VMM RSS: %s KiB before, %s KiB while the reader stalled\n' "$before" "$after"
	[ $((after - before)) -lt $((16 << 10)) ] ||
		fail "the VMM grew by $((after - before)) KiB while a reader stalled"
}

test_exec_vsock_guest_connects() {
	local d
	ex_shared
	d=$(ex_state_dir)/vsock.d
	"$PY" - "$d/vsock.sock_6000" >"$TDIR/server.out" 2>&1 <<-'EOF' &
		import os, socket, sys
		s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
		s.bind(sys.argv[1])
		# hyrun-vmm connects as the owner of vsock.d (its host uid), which needs write
		# permission on the socket: the listener gives it the socket.
		st = os.stat(os.path.dirname(sys.argv[1]))
		os.chown(sys.argv[1], st.st_uid, st.st_gid)
		s.listen(1)
		s.settimeout(60)
		c, _ = s.accept()
		data = c.recv(100)
		c.sendall(b"got " + data)
		c.close()
	EOF
	cl_wait_for "the host listener" 10 test -S "$d/vsock.sock_6000"
	ex_exec "$EX_ID" /probe vsock-connect 6000
	wait || true
	rm -f "$d/vsock.sock_6000"
	expect_status 0
	grep -q 'got=got hello' <<<"$OUT" || fail "the guest's connection: $OUT"
	# Nobody listens on port 6001: the guest is refused.
	ex_exec "$EX_ID" /probe vsock-connect 6001
	[ "$ST" != 0 ] || fail "a connection to an unserved host port succeeded: $OUT"
}

# --- events, update ---------------------------------------------------------------------

test_exec_events_stats() {
	ex_shared
	ex events --stats "$EX_ID"
	expect_status 0
	"$PY" - "$OUT" <<-'EOF' || fail "events --stats: $OUT"
		import json, sys
		e = json.loads(sys.argv[1])
		assert e["type"] == "stats", e
		d = e["data"]
		assert d["cpu"]["usage"]["total"] > 0, d["cpu"]
		assert d["memory"]["usage"]["usage"] > 0, d["memory"]
		assert d["pids"]["current"] >= 1, d["pids"]
	EOF
}

# ex_guest_pids: the number of processes in the container's cgroup in the guest.
ex_guest_pids() {
	"$HYRUN" --root "$EX_DIR/state" events --stats "$EX_ID" |
		"$PY" -c 'import json,sys; print(json.load(sys.stdin)["data"]["guest"]["pids"]["current"])'
}

test_exec_update_pids_limit() {
	local cur n
	ex_shared
	cur=$(ex_guest_pids) || fail "no pids count from events --stats"
	# Room for five more processes: the exec'd shell and at most four of its children. A
	# fork bomb of background sleeps: the shell dies at the first fork refused.
	ex update --pids-limit $((cur + 5)) "$EX_ID"
	expect_status 0
	ex_exec "$EX_ID" /bin/sh -c 'n=0; while [ $n -lt 20 ]; do sleep 31 & echo started; n=$((n + 1)); done'
	local st=$ST out=$OUT err=$ERR
	ex update --pids-limit -1 "$EX_ID"
	expect_status 0
	ex_exec "$EX_ID" /bin/sh -c \
		'for p in $(ps -o pid,args | awk '"'"'$2 == "sleep" && $3 == "31" { print $1 }'"'"'); do kill $p; done'
	n=$(grep -c '^started$' <<<"$out" || true)
	printf '%s sleeps started (status %s, %s): %s processes were there before\n' "$n" "$st" "$err" "$cur"
	[ "$st" != 0 ] || fail "the fork bomb ran to its end under --pids-limit $((cur + 5))"
	# busybox sh ends with 2 at the fork refused (124 would be the test's time limit).
	[ "$st" = 2 ] || fail "the fork bomb's shell ended with $st, not 2 (can't fork)"
	{ [ "$n" -ge 1 ] && [ "$n" -le 4 ]; } ||
		fail "$n background processes started with room for 4 (--pids-limit $((cur + 5)))"
}

# A memory limit in the guest's cgroup: a process that goes over it is killed by the
# guest kernel, and the events stream reports the OOM.
test_exec_update_memory_oom_event() {
	local ev
	ex_shared
	printf '$ hyrun events --interval 1s ID & (in the background)\n'
	"$HYRUN" --root "$EX_DIR/state" events --interval 1s "$EX_ID" >"$TDIR/events" 2>&1 &
	ev=$!
	ex update --memory 160m "$EX_ID"
	expect_status 0
	ex events --stats "$EX_ID"
	expect_status 0
	"$PY" -c 'import json,sys; g=json.loads(sys.argv[1])["data"]["guest"]; assert 0 < g["memory"]["limit"] <= 160<<20, g' "$OUT" ||
		fail "the guest's memory limit is not set: $OUT"
	ex_exec "$EX_ID" /bin/sh -c 'head -c 300m /dev/zero | tail'
	local st=$ST
	ex update --memory -1 "$EX_ID"
	[ "$st" = 137 ] || fail "the memory hog ended with status $st, expected 137"
	cl_wait_for "an oom event" 30 grep -q '"type":"oom"' "$TDIR/events"
	kill "$ev" 2>/dev/null || true
	wait "$ev" 2>/dev/null || true
	grep -q '"type":"stats"' "$TDIR/events" || fail "no stats line in the stream: $(head -c 300 "$TDIR/events")"
	ex events --stats "$EX_ID"
	"$PY" -c 'import json,sys; assert json.loads(sys.argv[1])["data"]["guest"]["oom_kills"] >= 1' "$OUT" ||
		fail "oom_kills did not grow: $OUT"
}

test_exec_update_memory_above_vm_refused() {
	ex_shared
	ex update --memory 64g "$EX_ID"
	[ "$ST" != 0 ] || fail "update --memory 64g was accepted"
	expect_stderr_has 'fixed when it boots'
}

# --- paused and stopped -----------------------------------------------------------------

test_exec_paused_refused() {
	ex_shared
	ex pause "$EX_ID"
	expect_status 0
	ex_exec "$EX_ID" /bin/true
	local st=$ST err=$ERR
	ex resume "$EX_ID"
	expect_status 0
	[ "$st" != 0 ] || fail "exec into a paused container succeeded"
	grep -q paused <<<"$err" || fail "no word of the pause: $err"
}

# A state root where Unix sockets cannot be bound (the test host's 9p view of the build
# machine, where this repository is): create says so and leaves nothing.
test_exec_state_root_without_sockets() {
	local base d
	for base in "${TMPDIR:-/tmp}" "$ROOT/build"; do
		# (statfs on 9p reports the file system behind it: ask the mount table.)
		[ "$(findmnt -n -o FSTYPE --target "$base")" != 9p ] || d=$base/hyrun-nosock.$$
	done
	[ -n "${d:-}" ] || skip "no 9p filesystem here to try a state root on"
	rt_bundle
	mkdir -p "$d"
	vm_raw env HYRUN_KERNEL="$KFS" "$HYRUN" --root "$d" create --bundle "$B" nosock
	local st=$ST err=$ERR left
	left=$(ls -A "$d")
	rm -rf "$d"
	[ "$st" != 0 ] || fail "create with its state root on 9p succeeded"
	grep -q 'Unix sockets' <<<"$err" || fail "the message does not say why: $err"
	[ -z "$left" ] || fail "left in the state root: $left"
}

# --- Podman -----------------------------------------------------------------------------

test_exec_podman() {
	local name=hyrun-exec-pm-$$ t0
	cl_podman
	pm_cleanup_on_failure "$name"
	pm run -d --name "$name" "$CL_IMAGE" /bin/sleep 1000
	expect_status 0
	cl_run podman exec "$name" /bin/echo hi
	expect_status 0
	expect_stdout hi
	cl_run podman exec -e FOO=bar -u 1000 -w /tmp "$name" /bin/sh -c 'echo $FOO; id -u; pwd'
	expect_status 0
	expect_eq output "$OUT" "bar
1000
/tmp"
	cl_run podman exec "$name" /bin/sh -c 'exit 3'
	expect_status 3
	t0=$(now_ms)
	cl_run podman exec "$name" nosuchcommand
	expect_status 127
	expect_stderr_has nosuchcommand
	[ $(($(now_ms) - t0)) -lt 30000 ] || fail "a missing command took too long"
	cl_run podman exec -d "$name" /bin/sleep 5
	expect_status 0
	pty_helper
	cl_run "$PY" "$TDIR/pty.py" podman exec -it "$name" /bin/sh -c 'stty size'
	expect_status 0
	grep -q '^40 100' <<<"$OUT" || fail "podman exec -it: the size is not 40x100: $OUT"
	cl_run podman top "$name"
	printf 'podman top: %s\n' "$OUT"
	cl_ok podman stop -t 0 "$name"
	cl_run podman exec "$name" /bin/true
	[ "$ST" != 0 ] || fail "exec into a stopped container succeeded"
	cl_ok podman rm "$name"
}

test_exec_podman_healthcheck() {
	local name=hyrun-exec-hc-$$
	cl_podman
	pm_cleanup_on_failure "$name"
	pm run -d --name "$name" --health-cmd 'test -e /tmp/healthy' --health-interval 0 \
		"$CL_IMAGE" /bin/sleep 1000
	expect_status 0
	cl_run podman healthcheck run "$name"
	[ "$ST" != 0 ] || fail "the health check passed before /tmp/healthy existed"
	cl_ok podman exec "$name" /bin/touch /tmp/healthy
	cl_run podman healthcheck run "$name"
	expect_status 0
	cl_ok podman rm -f -t 0 "$name"
}

# --- containerd -------------------------------------------------------------------------

test_exec_containerd() {
	local id=hyrun-exec-ctr-$$ rpid
	cl_containerd
	printf '$ ctr run %s & (in the background)\n' "$id"
	"${CL_CTR[@]}" run --rm --runc-binary "$CL_RT" "$CL_IMAGE" "$id" /bin/sh -c \
		'echo started; exec sleep 1000' >"$TDIR/ctr.out" 2>&1 &
	rpid=$!
	cl_wait_for "task $id running" 120 task_running "$id" "$rpid"
	cl_run "${CL_CTR[@]}" tasks exec --exec-id e1 "$id" /bin/sh -c 'echo in; exit 5'
	expect_status 5
	expect_stdout in
	pty_helper
	cl_run "$PY" "$TDIR/pty.py" "${CL_CTR[@]}" tasks exec --tty --exec-id e2 "$id" \
		/bin/sh -c 'tty'
	expect_status 0
	grep -q '^/dev/pts/' <<<"$OUT" || fail "ctr tasks exec --tty: no pty: $OUT"
	printf '$ ctr tasks exec --exec-id e3 ... sleep & (in the background)\n'
	"${CL_CTR[@]}" tasks exec --exec-id e3 "$id" /bin/sleep 1000 >"$TDIR/e3.out" 2>&1 &
	local epid=$!
	sleep 2
	cl_run "${CL_CTR[@]}" tasks ps "$id"
	printf 'tasks ps: %s\n' "$OUT"
	expect_status 0
	[ "$(grep -cE '^[0-9]+' <<<"$OUT")" -ge 2 ] || fail "tasks ps lists fewer than two pids: $OUT"
	cl_ok "${CL_CTR[@]}" tasks kill --exec-id e3 --signal SIGKILL "$id"
	set +e
	timeout 30 tail --pid="$epid" -f /dev/null
	wait "$epid"
	ST=$?
	set -e
	expect_status 137
	cl_ok "${CL_CTR[@]}" tasks kill --signal SIGKILL "$id"
	set +e
	timeout 60 tail --pid="$rpid" -f /dev/null
	wait "$rpid"
	set -e
	cl_run "${CL_CTR[@]}" containers list --quiet
	[ -z "$OUT" ] || fail "containers left in containerd: $OUT"
}

# --- leaks and the end ------------------------------------------------------------------

test_exec_leak_cycles() {
	local n=${HYRUN_EXEC_CYCLES:-5} i id vmms=()
	rt_bundle 'c["process"]["args"] = ["/bin/sleep", "1000"]'
	for ((i = 0; i < n; i++)); do
		id=leak-$i
		hr create --bundle "$B" "$id"
		expect_status 0
		vmms+=("$(rt_pid "$id")")
		hr start "$id"
		expect_status 0
		hr exec "$id" /bin/echo "cycle $i"
		expect_status 0
		hr exec -d "$id" /bin/sleep 1000
		expect_status 0
		hr delete --force "$id"
		expect_status 0
	done
	for i in "${vmms[@]}"; do
		! kill -0 "$i" 2>/dev/null || fail "VMM $i outlived its container"
	done
	[ -z "$(pgrep -f "$RT_ROOT" || true)" ] || fail "processes left: $(pgrep -af "$RT_ROOT")"
	[ -z "$(ls -A "$RT_ROOT" 2>/dev/null)" ] || fail "state left: $(ls -A "$RT_ROOT")"
}

# The last test of the group (run_suite keeps the order): the shared container deleted,
# and nothing of it, its proxies or the engines left behind.
test_exec_zz_leave_nothing() {
	local vmm
	if [ -e "$EX_DIR/ready" ]; then
		vmm=$(ex_vmm_pid)
		ex kill "$EX_ID" KILL
		expect_status 0
		cl_wait_for "the shared container's end" 30 bash -c "[ \"\$($HYRUN --root $EX_DIR/state state $EX_ID | grep -c stopped)\" = 1 ]"
		ex_exec "$EX_ID" /bin/true
		[ "$ST" != 0 ] || fail "exec into a stopped container succeeded"
		expect_stderr_has stopped
		ex delete "$EX_ID"
		expect_status 0
		! kill -0 "$vmm" 2>/dev/null || fail "the VMM $vmm is still there"
		[ -z "$(pgrep -f "$EX_DIR" || true)" ] || fail "processes left: $(pgrep -af "$EX_DIR")"
		[ -z "$(ls -A "$EX_DIR/state")" ] || fail "state left: $(ls -A "$EX_DIR/state")"
	fi
	rm -rf "$EX_DIR"
	[ ! -d "$CL_DIR" ] || cl_teardown || fail "the engine tests left the above behind"
}
