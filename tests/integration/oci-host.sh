# shellcheck shell=bash
# shellcheck disable=SC2016  # the containers' and hooks' shell code is single-quoted on purpose
# tests/integration/oci-host.sh: the runtime-spec's host-side behaviour, with crun as the
# reference where it applies; part of the oci group (oci.sh), sourced by run.
#
# What a caller of the runtime sees on the host: its stdio reaching end of file when the
# workload closes it (the VMM keeps no copy past create), run as the console of a terminal
# container, many preserved descriptors, and the state hooks are given.

# oh_fifo NAME: a FIFO $SDIR/NAME.
oh_fifo() {
	mkfifo "$SDIR/$1" || fail "mkfifo $SDIR/$1"
}

# oh_read_to_eof FIFO OUT SECONDS &: read FIFO into OUT until its end of file, for SECONDS
# at most; the exit status is timeout's (124: no end of file came).
oh_read_to_eof() {
	timeout "$3" cat "$1" >"$2"
}

# oh_wait_pid PID SECONDS: wait for background PID; its exit status, or fail when it is
# still running after SECONDS.
oh_wait_pid() {
	local i st=0
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$1" 2>/dev/null && fail "process $1 still runs after $2 s"
	wait "$1" || st=$?
	return "$st"
}

# oh_hyrun ARGS...: build/hyrun --root $RT_ROOT ARGS with the test kernel and the time
# limit, stdin /dev/null, stdout and stderr as the caller redirects them.
oh_hyrun() {
	timeout -k 5 "$TEST_TIMEOUT" env HYRUN_KERNEL="$KFS" "$HYRUN" --root "$RT_ROOT" "$@" </dev/null
}

# oh_console_receiver SOCK OUT: a console-socket receiver as conmon is one, in the
# background ($!): it takes the pty master and copies what it reads into OUT.
oh_console_receiver() {
	"$PY" - "$1" "$2" >"$SDIR/receiver.log" 2>&1 <<-'EOF' &
		import os, select, socket, sys
		s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
		s.bind(sys.argv[1])
		s.listen(1)
		c, _ = s.accept()
		_, fds, _, _ = socket.recv_fds(c, 1024, 1)
		with open(sys.argv[2], "wb", buffering=0) as f:
		    while select.select([fds[0]], [], [], 120)[0]:
		        try:
		            d = os.read(fds[0], 4096)
		        except OSError:
		            break
		        if not d:
		            break
		        f.write(d)
	EOF
}

# --- standard streams: end of file when the workload closes them -------------------------

# A daemon that closes its stdio and runs on: `$(runtime run -d ...)` returns, as with
# crun; and a reader of create's stdout (conmon's way) sees end of file while the
# workload runs on.
test_oci_stdout_eof_daemon() {
	oci_bundle 'c["process"]["args"] = ["sh", "-c", "echo started; exec >&- 2>&-; sleep 600"]'
	local t0 rpid st=0

	if oci_have_crun; then
		cp -a "$B" "$B.crun"
		oh_fifo crun.out
		oh_read_to_eof "$SDIR/crun.out" "$SDIR/crun.got" 60 &
		rpid=$!
		"$CRUN" --root "$SDIR/crun-state" run -d --bundle "$B.crun" oh-crun \
			>"$SDIR/crun.out" 2>"$SDIR/crun.err" </dev/null || fail "crun run -d: $(cat "$SDIR/crun.err")"
		oh_wait_pid "$rpid" 60 || st=$?
		"$CRUN" --root "$SDIR/crun-state" delete --force oh-crun >/dev/null 2>&1 || true
		[ "$st" = 0 ] || fail "crun's daemon kept stdout open (reader status $st): the reference disagrees"
		expect_eq "crun's stdout" "$(cat "$SDIR/crun.got")" started
	fi

	# hyrun run -d with its stdout a pipe, as in out=$(hyrun run -d ...).
	oh_fifo d1.out
	t0=$(now_ms)
	oh_read_to_eof "$SDIR/d1.out" "$SDIR/d1.got" 90 &
	rpid=$!
	oh_hyrun run -d --bundle "$B" d1 >"$SDIR/d1.out" 2>"$SDIR/d1.err" ||
		fail "run -d: $(cat "$SDIR/d1.err")"
	RT_PIDS+=("$(rt_pid d1)")
	st=0
	oh_wait_pid "$rpid" 90 || st=$?
	printf 'run -d: stdout ended after %s ms\n' $(($(now_ms) - t0))
	[ "$st" = 0 ] || fail "stdout of run -d did not end (reader status $st): the VMM holds it"
	expect_eq "stdout" "$(cat "$SDIR/d1.got")" started
	# Long before the workload ends: it still runs.
	expect_status_of d1 running

	# create with its stdout a pipe, as conmon does; the workload closes only stdout.
	rt_config 'c["process"]["args"] = ["sh", "-c", "echo one; exec >&-; echo two >&2; sleep 600"]'
	oh_fifo c1.out
	oh_read_to_eof "$SDIR/c1.out" "$SDIR/c1.got" 90 &
	rpid=$!
	oh_hyrun create --bundle "$B" c1 >"$SDIR/c1.out" 2>"$SDIR/c1.err" ||
		fail "create: $(cat "$SDIR/c1.err")"
	RT_PIDS+=("$(rt_pid c1)")
	oh_hyrun start c1 >/dev/null 2>"$SDIR/c1.start.err" || fail "start: $(cat "$SDIR/c1.start.err")"
	st=0
	oh_wait_pid "$rpid" 90 || st=$?
	[ "$st" = 0 ] || fail "create's stdout did not end after the workload closed it (status $st)"
	expect_eq "stdout" "$(cat "$SDIR/c1.got")" one
	rt_wait_output "$SDIR/c1.err" '^two$'
	expect_status_of c1 running
	oh_hyrun delete --force d1 || fail "delete d1"
	oh_hyrun delete --force c1 || fail "delete c1"
	rt_expect_nothing_left d1 c1
}

# After create returns, the VMM holds none of the caller's stdio that the workload does
# not use: with a terminal (and a console socket) none at all, so `$(create ...)` returns
# as crun's does; without one, what the workload closes ends for the caller at once.
test_oci_create_tty_releases_stdio() {
	oci_bundle 'c["process"]["terminal"] = True; c["process"]["args"] = ["sh", "-c", "echo on-the-pty; sleep 600"]'
	local sock=$SDIR/console.sock rpid cpid st=0 t0

	oh_console_receiver "$sock" "$SDIR/console.got"
	cpid=$!
	for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
	# $(hyrun create ... 2>&1): the caller's stdout and stderr on one pipe.
	oh_fifo t1.out
	oh_read_to_eof "$SDIR/t1.out" "$SDIR/t1.got" 90 &
	rpid=$!
	t0=$(now_ms)
	oh_hyrun create --bundle "$B" --console-socket "$sock" t1 >"$SDIR/t1.out" 2>&1 ||
		fail "create: $(cat "$SDIR/t1.got" 2>/dev/null)"
	RT_PIDS+=("$(rt_pid t1)")
	oh_wait_pid "$rpid" 30 || st=$?
	printf 'create returned and its output ended after %s ms\n' $(($(now_ms) - t0))
	[ "$st" = 0 ] || fail "create's stdout and stderr are still held by the VM (reader status $st)"
	expect_status_of t1 created
	oh_hyrun start t1 2>"$SDIR/t1.start.err" || fail "start: $(cat "$SDIR/t1.start.err")"
	rt_wait_output "$SDIR/console.got" 'on-the-pty'
	oh_hyrun delete --force t1 || fail "delete t1"
	kill "$cpid" 2>/dev/null || true

	# Without a terminal: the VMM holds exactly the workload's stdio. The workload closes
	# stderr and keeps stdout: stderr's reader sees its end, stdout's does not.
	rt_config 'c["process"]["terminal"] = False; c["process"]["args"] = ["sh", "-c", "exec 2>&-; echo out; sleep 600"]'
	oh_fifo n1.out
	oh_fifo n1.err
	oh_read_to_eof "$SDIR/n1.out" "$SDIR/n1.gotout" 120 &
	local opid=$!
	oh_read_to_eof "$SDIR/n1.err" "$SDIR/n1.goterr" 90 &
	rpid=$!
	oh_hyrun create --bundle "$B" n1 >"$SDIR/n1.out" 2>"$SDIR/n1.err" || fail "create n1"
	RT_PIDS+=("$(rt_pid n1)")
	oh_hyrun start n1 >/dev/null 2>"$SDIR/n1.start.err" || fail "start: $(cat "$SDIR/n1.start.err")"
	st=0
	oh_wait_pid "$rpid" 90 || st=$?
	[ "$st" = 0 ] || fail "stderr did not end after the workload closed it (status $st)"
	expect_eq "stderr" "$(cat "$SDIR/n1.goterr")" ""
	kill -0 "$opid" 2>/dev/null || fail "stdout ended while the workload holds it"
	oh_hyrun delete --force n1 || fail "delete n1"
	st=0
	oh_wait_pid "$opid" 30 || st=$?
	[ "$st" = 0 ] || fail "stdout did not end with the container (status $st)"
	expect_eq "stdout" "$(cat "$SDIR/n1.gotout")" out
	rt_expect_nothing_left t1 n1
}

# --- run as the console ----------------------------------------------------------------

# `run` of a terminal container from a caller whose stdin is not a terminal (what `hyrun
# spec` writes, run under a harness): the runtime makes the pty and relays it, as runc
# and crun do; the output arrives and the exit status is the workload's.
test_oci_run_terminal_without_tty() {
	oci_bundle 'c["process"]["terminal"] = True; c["process"]["args"] = ["sh", "-c", "echo hello; [ -t 0 ] && [ -t 1 ] && echo on-a-tty; exit 3"]'
	# runc's behaviour (it makes a pty and relays it); crun 1.8 fails instead
	# ("tcgetattr: Inappropriate ioctl for device"), so hyrun is checked alone.
	oci_hyrun
	expect_status 3
	! grep -q 'error' <<<"$ERR" || fail "stderr: $ERR"
	# A pty turns \n into \r\n (ONLCR); what is compared is the text.
	expect_eq "stdout" "$(tr -d '\r' <<<"$OUT")" "$(printf 'hello\non-a-tty')"
	rt_expect_nothing_left "oci-$$"

	# Detached, nobody is the console: refused, as by crun.
	hr run -d --bundle "$B" t2
	expect_status 1
	expect_stderr_has "no --console-socket"
	rt_expect_nothing_left t2
}

# --- preserved descriptors ----------------------------------------------------------------

# oh_with_fds N FIFO CMD...: CMD with descriptors 3 .. 2+N open (on /dev/null), the
# last one the writing end of FIFO.
oh_with_fds() {
	"$PY" - "$@" <<-'EOF'
		import fcntl, os, sys
		n, fifo, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
		# Above the numbers to fill, so that no source is overwritten on the way.
		null = fcntl.fcntl(os.open("/dev/null", os.O_RDONLY), fcntl.F_DUPFD, 3 + n)
		w = fcntl.fcntl(os.open(fifo, os.O_WRONLY), fcntl.F_DUPFD, 3 + n)
		for fd in range(3, 2 + n):
		    os.dup2(null, fd)
		os.dup2(w, 2 + n)
		os.close(null)
		os.close(w)
		os.execvp(cmd[0], cmd)
	EOF
}

# --preserve-fds 100: accepted (runc and crun take any count the process may hold). crun's
# container sees fd 102; hyrun's descriptors stay with the VMM (a guest cannot use host
# descriptors), which holds them for the container's life: a reader of the FIFO on fd 102
# sees its end only once the container is deleted.
test_oci_preserve_fds_many() {
	oci_bundle 'c["process"]["args"] = ["sh", "-c", "sleep 600"]'
	local rpid st=0

	if oci_have_crun; then
		cp -a "$B" "$B.crun"
		"$PY" - "$B.crun/config.json" <<-'EOF' || fail "editing crun's config.json"
			import json, sys
			c = json.load(open(sys.argv[1]))
			c["process"]["args"] = ["sh", "-c", "[ -e /proc/self/fd/102 ] && echo fd-102-open"]
			json.dump(c, open(sys.argv[1], "w"))
		EOF
		oh_fifo crun.fifo
		cat "$SDIR/crun.fifo" >/dev/null &
		oh_with_fds 100 "$SDIR/crun.fifo" timeout -k 5 "$TEST_TIMEOUT" "$CRUN" --root "$SDIR/crun-state" run \
			--preserve-fds 100 --bundle "$B.crun" oh-crun >"$SDIR/crun.got" 2>"$SDIR/crun.err" </dev/null ||
			fail "crun run --preserve-fds 100: $(cat "$SDIR/crun.err")"
		"$CRUN" --root "$SDIR/crun-state" delete --force oh-crun >/dev/null 2>&1 || true
		expect_eq "crun's container" "$(cat "$SDIR/crun.got")" fd-102-open
	fi

	oh_fifo p1.fifo
	oh_read_to_eof "$SDIR/p1.fifo" /dev/null 120 &
	rpid=$!
	oh_with_fds 100 "$SDIR/p1.fifo" timeout -k 5 "$TEST_TIMEOUT" env HYRUN_KERNEL="$KFS" \
		"$HYRUN" --root "$RT_ROOT" create --preserve-fds 100 --bundle "$B" p1 \
		>"$SDIR/p1.out" 2>"$SDIR/p1.err" </dev/null ||
		fail "create --preserve-fds 100: $(cat "$SDIR/p1.err")"
	RT_PIDS+=("$(rt_pid p1)")
	oh_hyrun start p1 2>"$SDIR/p1.start.err" || fail "start: $(cat "$SDIR/p1.start.err")"
	sleep 1
	kill -0 "$rpid" 2>/dev/null || fail "fd 102 was not kept open for the container"
	oh_hyrun delete --force p1 || fail "delete p1"
	oh_wait_pid "$rpid" 30 || st=$?
	[ "$st" = 0 ] || fail "fd 102 stayed open after the container was deleted (status $st)"

	# A descriptor of the range that is not open: a clear error, nothing left.
	hr create --preserve-fds 100 --bundle "$B" p2
	expect_status 1
	expect_stderr_has "--preserve-fds 100: descriptor"
	expect_stderr_has "is not open"
	rt_expect_nothing_left p1 p2
}

# --- hooks ------------------------------------------------------------------------------

# oh_hooks KIND...: hooks of those kinds, each a python3 that appends "KIND STATUS PID"
# to hooks.log in the bundle the state it reads names (so that each runtime's copy of
# the bundle gets its own log). Hooks get no PATH: python3 by its absolute path.
oh_hooks() {
	local pyabs code
	pyabs=$(command -v "$PY") || fail "no $PY"
	code=$(
		cat <<-'EOF'
			def hook(kind):
			    return {"path": "PYABS", "args": ["python3", "-c",
			        "import json, sys; s = json.load(sys.stdin); "
			        "open(s['bundle'] + '/hooks.log', 'a').write("
			        "'" + kind + " ' + s['status'] + ' ' + str(s['pid']) + chr(10))"]}
			c["hooks"] = {k: [hook(k)] for k in (KINDS)}
		EOF
	)
	code=${code//PYABS/$pyabs}
	rt_config "${code//KINDS/$(printf '"%s",' "$@")}"
}

# oh_states LOG: the log's "KIND STATUS" pairs on one line; a pid must be there but
# for poststop's.
oh_states() {
	local kind status pid out=''
	[ -s "$1" ] || fail "no hook ran: $1 is missing or empty"
	while read -r kind status pid; do
		[ "$kind" = poststop ] || [ "${pid:-0}" -gt 0 ] || fail "$kind got pid '$pid'"
		out+="$kind $status "
	done <"$1"
	printf '%s\n' "${out% }"
}

# The status each host-side hook reads on stdin: after the environment was created
# (prestart, createRuntime: "created", runtime-spec lifecycle steps 3-4, as crun gives
# it), once the workload runs (poststart: "running"), after it (poststop: "stopped").
test_oci_hook_states() {
	oci_bundle 'c["process"]["args"] = ["sh", "-c", "echo workload"]'
	oh_hooks prestart createRuntime poststart poststop
	oci_both
	expect_status 0
	expect_stdout workload
	expect_eq "hook states" "$(oh_states "$B.hyrun/hooks.log")" \
		"prestart created createRuntime created poststart running poststop stopped"
	if oci_have_crun; then
		expect_eq "crun's hook states" "$(oh_states "$B.crun/hooks.log")" \
			"$(oh_states "$B.hyrun/hooks.log")"
	fi
	rt_expect_nothing_left "oci-$$"
}

# A failing poststart hook is a warning (runtime-spec 1.1, and crun): start succeeds, the
# other poststart hooks run, the container runs on; run still gives the workload's status.
test_oci_poststart_failure_warns() {
	oci_bundle 'c["process"]["args"] = ["sh", "-c", "sleep 600"]'
	oh_hooks poststart
	rt_config 'c["hooks"]["poststart"].insert(0, {"path": "/bin/sh", "args": ["sh", "-c", "echo poststart broke >&2; exit 4"]})'
	local st=0

	if oci_have_crun; then
		cp -a "$B" "$B.crun"
		"$CRUN" --root "$SDIR/crun-state" create --bundle "$B.crun" oh-crun \
			>/dev/null 2>"$SDIR/crun.err" </dev/null || fail "crun create: $(cat "$SDIR/crun.err")"
		"$CRUN" --root "$SDIR/crun-state" start oh-crun >/dev/null 2>"$SDIR/crun.err" || st=$?
		"$CRUN" --root "$SDIR/crun-state" delete --force oh-crun >/dev/null 2>&1 || true
		[ "$st" = 0 ] || fail "crun start failed ($st): the reference disagrees: $(cat "$SDIR/crun.err")"
		expect_eq "crun's second poststart hook" "$(oh_states "$B.crun/hooks.log")" "poststart running"
	fi

	rt_create w1
	hr start w1
	expect_status 0
	expect_stderr_has "warning"
	expect_stderr_has "hooks.poststart[0] (/bin/sh): exit status 4: poststart broke"
	expect_eq "the second poststart hook" "$(oh_states "$B/hooks.log")" "poststart running"
	expect_status_of w1 running
	hr delete --force w1
	expect_status 0

	# run: the warning, and the workload's own status.
	rt_config 'c["process"]["args"] = ["sh", "-c", "echo done; exit 7"]'
	hr run --bundle "$B" w2
	expect_status 7
	expect_stdout "done"
	expect_stderr_has "hooks.poststart[0] (/bin/sh): exit status 4: poststart broke"
	rt_expect_nothing_left w1 w2
}
