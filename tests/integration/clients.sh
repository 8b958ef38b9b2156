# shellcheck shell=bash
# shellcheck disable=SC2016  # the workloads' shell code is single-quoted on purpose
# tests/integration/clients.sh: real container engines driving the runtime; sourced by run.
#
# Debian's Podman 4.3 (conmon calls the runtime: create, start, kill, delete) and
# containerd 1.6 (`ctr run --runc-binary`: the stock runc v2 shim calls it with --root,
# --log and --log-format json). Both get a private configuration and private state under
# one directory on tmpfs (/run in the test host: libpod's and containerd's bolt databases
# need mmap and containerd needs to bind its sockets, which the test host's 9p /tmp
# refuses), an image made here from build/rootfs/busybox.tar (no registry is reachable)
# and no network. That directory is made by the first test that needs it, shared by the
# tests that follow, and removed by the last test, test_clients_leave_nothing, which
# checks that the engines and the runtime left nothing behind; when that test is not
# selected, the directory is removed at exit.
#
# Environment: HYRUN_CLIENTS_RUNTIME  the runtime the engines call (default build/hyrun);
#                                     a name without a slash is looked up in PATH, so
#                                     that HYRUN_CLIENTS_RUNTIME=crun checks the tests

CL_RT=${HYRUN_CLIENTS_RUNTIME:-$ROOT/build/hyrun}
case $CL_RT in
*/*) [[ $CL_RT == /* ]] || CL_RT=$PWD/$CL_RT ;;
*) CL_RT=$(command -v "$CL_RT" || echo "/nonexistent/$CL_RT") ;;
esac
CL_BASE=$(host_scratch_base)
CL_DIR=$CL_BASE/hyrun-clients.$$	# $$: the suite's shell, the same in every test
CL_IMAGE=localhost/hyrun-clients:busybox
CL_NS=hyrun-clients-$$	# the containerd namespace: also names the shim's runtime root and
			# the parent cgroup of its containers
CL_CG_PODMAN=hyrun-clients-$$-podman	# the parent cgroup of the Podman containers
CL_CTR=()	# ctr with the private containerd's address and namespace

# cl_run CMD [ARG]...: run CMD under the test time limit; set OUT, ERR and ST, and log
# the command, its status, time and output (shown when the test fails).
cl_run() {
	local t0
	printf '$'
	printf ' %q' "$@"
	printf '\n'
	t0=$(now_ms)
	set +e
	timeout -k 5 "$TEST_TIMEOUT" "$@" >"$TDIR/stdout" 2>"$TDIR/stderr"
	ST=$?
	# A container whose VM met a vCPU reset (the test host's emulation, lib.sh) runs once
	# more when its stdin can be given again and the caller says how to clear what the
	# failed try left (CL_RETRY_PREP; pm and ctr_run set it).
	if [ "$ST" != 0 ] && [ -n "${CL_RETRY_PREP:-}" ] && [ ! -p /dev/stdin ] && vcpu_reset_seen; then
		printf 'note: a vCPU was reset to 0xfff0 (test host emulation); running it again\n'
		eval "$CL_RETRY_PREP"
		t0=$(now_ms)
		timeout -k 5 "$TEST_TIMEOUT" "$@" >"$TDIR/stdout" 2>"$TDIR/stderr"
		ST=$?
	fi
	set -e
	OUT=$(<"$TDIR/stdout")
	# shellcheck disable=SC2034  # read by expect_stderr_has (lib.sh)
	ERR=$(<"$TDIR/stderr")
	log_run_result "$t0"
}

# cl_ok CMD [ARG]...: cl_run that must succeed.
cl_ok() {
	cl_run "$@"
	[ "$ST" = 0 ] || fail "$1 $2 failed with status $ST"
}

need_runtime() {
	[ -x "$CL_RT" ] || fail "the runtime $CL_RT is missing (run make)"
}

# cl_wait_for WHAT SECONDS CMD [ARG]...: poll CMD every 0.2 s until it succeeds.
cl_wait_for() {
	local what=$1 s=$2 deadline=$(($(now_ms) + $2 * 1000))
	shift 2
	until "$@"; do
		[ "$(now_ms)" -lt "$deadline" ] || fail "$what: not seen in $s s"
		sleep 0.2
	done
}

# pty_helper: $TDIR/pty.py CMD [ARG]... runs CMD with a new pseudo-terminal of 40 rows
# and 100 columns as its controlling terminal, stdin, stdout and stderr, prints what CMD
# wrote there and exits with its status (Podman's -t needs a terminal on its stdin).
pty_helper() {
	cat >"$TDIR/pty.py" <<-'EOF'
		import fcntl, os, struct, subprocess, sys, termios
		m, s = os.openpty()
		fcntl.ioctl(s, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
		p = subprocess.Popen(sys.argv[1:], stdin=s, stdout=s, stderr=s, start_new_session=True,
		                     preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
		os.close(s)
		out = b""
		while True:
		    try:
		        d = os.read(m, 4096)
		    except OSError:  # EIO: every slave fd is closed
		        break
		    if not d:
		        break
		    out += d
		p.wait()
		sys.stdout.write(out.decode(errors="replace"))
		sys.exit(p.returncode if p.returncode >= 0 else 128 - p.returncode)
	EOF
}

# --- Podman ---------------------------------------------------------------------------

# cl_podman: private Podman configuration and storage (made once), the test image
# imported; exports CONTAINERS_CONF and CONTAINERS_STORAGE_CONF for this test.
cl_podman() {
	local d=$CL_DIR/podman
	need_runtime
	command -v podman >/dev/null || skip "podman is not installed (hack/setup installs it)"
	export CONTAINERS_CONF=$d/containers.conf CONTAINERS_STORAGE_CONF=$d/storage.conf
	# Podman's own temporary files go to $TMPDIR, else /var/tmp (read-only in the test host).
	export TMPDIR=$d/tmp
	[ ! -e "$d/ready" ] || return 0
	mkdir -p "$CL_DIR" "$d/tmp"
	chmod 0755 "$CL_DIR"
	# No systemd here, and nofile cannot be raised above the hard limit: Podman's
	# defaults (systemd cgroups, journald, nofile 1048576) fail, whatever the runtime.
	cat >"$CONTAINERS_CONF" <<-EOF
		[containers]
		default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
		netns = "none"
		log_driver = "k8s-file"
		[engine]
		cgroup_manager = "cgroupfs"
		# conmon makes the terminal's console socket in $TMPDIR, else /tmp (9p in the
		# test host, where sockets cannot be bound).
		conmon_env_vars = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TMPDIR=$d/tmp"]
		events_logger = "file"
		events_logfile_path = "$d/events.log"
		tmp_dir = "$d/libpod-tmp"
		static_dir = "$d/storage/libpod"
		volume_path = "$d/storage/volumes"
		image_copy_tmp_dir = "$d/tmp"
	EOF
	cat >"$CONTAINERS_STORAGE_CONF" <<-EOF
		[storage]
		# Plain directories: an overlay mount cannot be idmapped, so its containers
		# would need HYRUN_ROOT_VMM=1 (podman_overlay_root_vmm tests exactly that).
		driver = "vfs"
		graphroot = "$d/storage"
		runroot = "$d/run"
	EOF
	[ -s "$BUSYBOX_TAR" ] || fail "$BUSYBOX_TAR is missing (run hack/mkrootfs busybox)"
	cl_ok podman import --quiet "$BUSYBOX_TAR" "$CL_IMAGE"
	# Podman uses the runtime's default root: what is there already is not ours.
	"$CL_RT" list -q >"$d/runtime-list" 2>/dev/null || true
	touch "$d/ready"
}

pm() {	# pm run ARG...: podman run with the runtime under test and our cgroup parent (cl_run)
	local cmd=$1 a prev='' CL_RETRY_PREP=''
	shift
	if [ "$cmd" = run ]; then
		# A run may be tried again: with --rm Podman removed the failed container; a
		# named one is removed first.
		CL_RETRY_PREP=:
		for a in "$@"; do
			[ "$prev" != --name ] ||
				CL_RETRY_PREP="podman rm -f -t 0 $(printf %q "$a") >/dev/null 2>&1 || true"
			prev=$a
		done
	fi
	cl_run podman --runtime "$CL_RT" "$cmd" --cgroup-parent "/$CL_CG_PODMAN" "$@"
}

# pm_gone NAME: Podman no longer knows the container.
pm_gone() {
	[ -z "$(podman ps -a -q --filter "name=^$1\$")" ]
}

# pm_cleanup_on_failure NAME: when the test fails, remove the container NAME (Podman
# keeps a container whose creation failed), so that the last test reports only what
# the engines and the runtime left behind on their own.
pm_cleanup_on_failure() {
	# shellcheck disable=SC2064  # expand the name now
	trap "[ \$? = 0 ] || podman rm -f -t 0 '$1' >/dev/null 2>&1 || true" EXIT
}

test_podman_run_image() {
	cl_podman
	pm run --rm "$CL_IMAGE" /bin/echo hi
	expect_status 0
	expect_stdout hi
}

test_podman_exit_status() {
	cl_podman
	pm run --rm "$CL_IMAGE" /bin/sh -c 'echo out; echo err >&2; exit 3'
	expect_status 3
	expect_stdout out
	expect_stderr_has err
}

test_podman_rootfs() {
	cl_podman
	busybox_root "$TDIR/rootfs"
	echo "from the rootfs $TDIR" >"$TDIR/rootfs/marker"
	pm run --rm --rootfs "$TDIR/rootfs" /bin/cat /marker
	expect_status 0
	expect_stdout "from the rootfs $TDIR"
}

test_podman_tty() {
	cl_podman
	pty_helper
	cl_run python3 "$TDIR/pty.py" podman --runtime "$CL_RT" run --cgroup-parent "/$CL_CG_PODMAN" \
		--rm -it "$CL_IMAGE" \
		/bin/sh -c 'tty; i=0; while [ "$(stty size)" != "40 100" ] && [ $i -lt 100 ]; do
			sleep 0.1; i=$((i + 1)); done; echo "size $(stty size)"; exit 5'
	expect_status 5
	OUT=${OUT//$'\r'/}
	[[ $OUT =~ (^|$'\n')/dev/pts/[0-9]+($'\n'|$) ]] || fail "tty in the container: '$OUT', expected /dev/pts/N"
	grep -qx 'size 40 100' <<<"$OUT" || fail "the container's terminal is not 40x100 as the client's"
}

test_podman_stop() {
	local name=hyrun-stop-$$ log t0 dt
	cl_podman
	pm_cleanup_on_failure "$name"
	pm run -d --name "$name" "$CL_IMAGE" \
		/bin/sh -c 'trap "echo got TERM; exit 42" TERM; echo started; while :; do sleep 0.2; done'
	expect_status 0
	log=$(podman inspect --format '{{.HostConfig.LogConfig.Path}}' "$name")
	[ -n "$log" ] || log=$(podman inspect --format '{{.LogPath}}' "$name")
	cl_wait_for "'started' in $log" 120 grep -q started "$log"
	t0=$(now_ms)
	cl_run podman stop --time 60 "$name"
	dt=$(($(now_ms) - t0))
	expect_status 0
	[ "$dt" -lt 50000 ] || fail "podman stop took $dt ms: SIGTERM did not end the workload"
	cl_run podman logs "$name"
	grep -qx 'got TERM' <<<"$OUT" || fail "the workload's TERM trap did not run (podman logs: '$OUT')"
	cl_run podman inspect --format '{{.State.ExitCode}}' "$name"
	expect_stdout 42
	cl_ok podman rm "$name"
	pm_gone "$name" || fail "podman still lists $name"
}

test_podman_rm_force() {
	local name=hyrun-rm-$$ pid
	cl_podman
	pm_cleanup_on_failure "$name"
	pm run -d --name "$name" "$CL_IMAGE" /bin/sleep 1000
	expect_status 0
	pid=$(podman inspect --format '{{.State.Pid}}' "$name")
	[[ $pid =~ ^[1-9][0-9]*$ ]] || fail "podman inspect: no pid for $name ('$pid')"
	kill -0 "$pid" || fail "the container's process $pid is not running"
	cl_ok podman rm -f "$name"
	pm_gone "$name" || fail "podman still lists $name"
	! kill -0 "$pid" 2>/dev/null || fail "process $pid of the removed container is still there"
	cl_run "$CL_RT" list
	! grep -q "$name" <<<"$OUT" || fail "the runtime still lists the container"
}

# --- containerd -------------------------------------------------------------------------

# cl_oci_archive TAR REF OUT: an OCI image archive (oci-layout, index.json, blobs) with the
# root filesystem tarball TAR as its one (uncompressed) layer, named REF.
cl_oci_archive() {
	python3 - "$@" <<-'EOF'
		import hashlib, io, json, sys, tarfile
		src, ref, out = sys.argv[1:4]
		blobs = {}
		def blob(data):
		    d = hashlib.sha256(data).hexdigest()
		    blobs[d] = data
		    return "sha256:" + d
		with open(src, "rb") as f:
		    layer = f.read()
		ldig = blob(layer)
		config = json.dumps({
		    "architecture": "amd64", "os": "linux",
		    "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
		               "Cmd": ["/bin/sh"]},
		    "rootfs": {"type": "layers", "diff_ids": [ldig]}}).encode()
		manifest = json.dumps({
		    "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		    "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
		               "digest": blob(config), "size": len(config)},
		    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
		                "digest": ldig, "size": len(layer)}]}).encode()
		index = json.dumps({"schemaVersion": 2, "manifests": [{
		    "mediaType": "application/vnd.oci.image.manifest.v1+json",
		    "digest": blob(manifest), "size": len(manifest),
		    "annotations": {"org.opencontainers.image.ref.name": ref}}]}).encode()
		with tarfile.open(out, "w") as t:
		    def add(name, data):
		        ti = tarfile.TarInfo(name)
		        ti.size = len(data)
		        ti.mode = 0o644
		        t.addfile(ti, io.BytesIO(data))
		    add("oci-layout", b'{"imageLayoutVersion": "1.0.0"}')
		    add("index.json", index)
		    for d, data in blobs.items():
		        add("blobs/sha256/" + d, data)
	EOF
}

# cl_containerd: a private containerd (started once, CRI off, its own root, state and
# sockets), the test image imported into namespace $CL_NS; sets CL_CTR.
cl_containerd() {
	local d=$CL_DIR/containerd pid i
	need_runtime
	for i in containerd ctr containerd-shim-runc-v2; do
		command -v "$i" >/dev/null || skip "$i is not installed (hack/setup installs containerd)"
	done
	CL_CTR=(ctr --address "$d/containerd.sock" --namespace "$CL_NS")
	# Plain directories for root filesystems (ctr's default for import and run): an
	# overlay mount cannot be idmapped, which hyrun-vmm's shares must be.
	export CONTAINERD_SNAPSHOTTER=native
	if [ -e "$d/ready" ] && kill -0 "$(<"$d/pid")" 2>/dev/null; then
		return 0
	fi
	[ ! -e "$d/ready" ] || fail "the private containerd (pid $(<"$d/pid")) has died: $(tail -n 5 "$d/log")"
	mkdir -p "$CL_DIR" "$d"
	chmod 0755 "$CL_DIR"
	# The shim keeps its sockets and the runtime's state under /run/containerd: remove
	# that directory at the end only when it was not there before.
	[ -e /run/containerd ] || touch "$d/made-run-containerd"
	cat >"$d/config.toml" <<-EOF
		version = 2
		root = "$d/root"
		state = "$d/state"
		disabled_plugins = ["io.containerd.grpc.v1.cri"]
		[grpc]
		  address = "$d/containerd.sock"
		[ttrpc]
		  address = "$d/containerd.sock.ttrpc"
	EOF
	# The shim binds a terminal's console socket in $TMPDIR, else /tmp (9p in the test
	# host, where sockets cannot be bound).
	mkdir -p "$d/tmp"
	TMPDIR=$d/tmp containerd --config "$d/config.toml" </dev/null >"$d/log" 2>&1 &
	pid=$!
	echo "$pid" >"$d/pid"
	for ((i = 0; i < 300; i++)); do
		[ ! -S "$d/containerd.sock" ] || break
		kill -0 "$pid" 2>/dev/null || fail "containerd exited at start: $(tail -n 5 "$d/log")"
		sleep 0.1
	done
	[ -S "$d/containerd.sock" ] || fail "containerd did not open $d/containerd.sock in 30 s"
	[ -s "$BUSYBOX_TAR" ] || fail "$BUSYBOX_TAR is missing (run hack/mkrootfs busybox)"
	cl_oci_archive "$BUSYBOX_TAR" "$CL_IMAGE" "$d/image.tar" || fail "building the OCI archive failed"
	cl_ok "${CL_CTR[@]}" images import "$d/image.tar"
	rm -f "$d/image.tar"
	touch "$d/ready"
}

ctr_run() {	# ctr_run ID ARG...: ctr run --rm with the runtime under test (cl_run)
	local id=$1 CL_RETRY_PREP
	shift
	# ctr run --rm deletes the container when its task fails to start; a leftover is removed.
	CL_RETRY_PREP="$(printf '%q ' "${CL_CTR[@]}")containers rm $(printf %q "$id") >/dev/null 2>&1 || true"
	cl_run "${CL_CTR[@]}" run --rm --runc-binary "$CL_RT" "$CL_IMAGE" "$id" "$@"
}

test_containerd_run() {
	cl_containerd
	ctr_run "hyrun-run-$$" /bin/sh -c 'echo hi; echo err >&2; exit 4'
	expect_status 4
	expect_stdout hi
	expect_stderr_has err
	cl_run "${CL_CTR[@]}" containers list --quiet
	[ -z "$OUT" ] || fail "containers left in containerd: $OUT"
}

# task_status ID: the task's status in `ctr task list` (RUNNING, STOPPED...).
task_status() {
	"${CL_CTR[@]}" tasks list 2>/dev/null | awk -v id="$1" '$1 == id { print $3 }'
}

# task_running ID PID: the task runs and its workload has started; fails the test when
# PID (its `ctr run`) has ended.
task_running() {
	kill -0 "$2" 2>/dev/null || fail "ctr run ended: $(<"$TDIR/ctr.out")"
	[ "$(task_status "$1")" = RUNNING ] && grep -q started "$TDIR/ctr.out"
}

test_containerd_task_kill() {
	local id=hyrun-kill-$$ rpid
	cl_containerd
	# A workload that survives SIGTERM (it only reports it), then SIGKILL ends it.
	printf '$ ctr run %s & (in the background)\n' "$id"
	"${CL_CTR[@]}" run --rm --runc-binary "$CL_RT" "$CL_IMAGE" "$id" /bin/sh -c \
		'trap "echo got TERM" TERM; echo started; while :; do sleep 0.2; done' \
		>"$TDIR/ctr.out" 2>&1 &
	rpid=$!
	cl_wait_for "task $id running" 120 task_running "$id" "$rpid"
	cl_ok "${CL_CTR[@]}" tasks kill "$id"
	cl_wait_for "'got TERM' from the workload" 60 grep -q 'got TERM' "$TDIR/ctr.out"
	[ "$(task_status "$id")" = RUNNING ] || fail "task $id did not survive SIGTERM"
	cl_ok "${CL_CTR[@]}" tasks kill --signal SIGKILL "$id"
	set +e
	timeout 60 tail --pid="$rpid" -f /dev/null
	wait "$rpid"
	ST=$?
	set -e
	printf -- '--- ctr run output ---\n%s\n' "$(<"$TDIR/ctr.out")"
	expect_status 137
	cl_run "${CL_CTR[@]}" containers list --quiet
	[ -z "$OUT" ] || fail "containers left in containerd: $OUT"
}

# --- the end ----------------------------------------------------------------------------

# cl_teardown: remove everything the client tests made; print what had been left behind
# by them (the engines' containers, processes, mounts, runtime state) and return 1 then.
cl_teardown() {
	local left=0 pid i m cgm
	[ -d "$CL_DIR" ] || return 0
	if [ -e "$CL_DIR/podman/ready" ]; then
		export CONTAINERS_CONF=$CL_DIR/podman/containers.conf
		export CONTAINERS_STORAGE_CONF=$CL_DIR/podman/storage.conf
		if [ -n "$(podman ps -a -q)" ]; then
			printf 'left behind: Podman containers:\n%s\n' "$(podman ps -a)"
			left=1
			podman rm -f -a -t 0 >/dev/null || true
		fi
		podman rmi -a -f >/dev/null 2>&1 || true
		i=$("$CL_RT" list -q 2>/dev/null | grep -vxF -f "$CL_DIR/podman/runtime-list" || true)
		if [ -n "$i" ]; then
			printf 'left behind: containers in the runtime'"'"'s default root: %s\n' "$i"
			left=1
		fi
	fi
	if [ -e "$CL_DIR/containerd/pid" ]; then
		pid=$(<"$CL_DIR/containerd/pid")
		CL_CTR=(ctr --address "$CL_DIR/containerd/containerd.sock" --namespace "$CL_NS")
		if kill -0 "$pid" 2>/dev/null; then
			i=$("${CL_CTR[@]}" containers list --quiet 2>/dev/null || true)
			if [ -n "$i" ]; then
				printf 'left behind: containerd containers: %s\n' "$i"
				left=1
				for m in $i; do
					"${CL_CTR[@]}" tasks kill --signal SIGKILL "$m" >/dev/null 2>&1 || true
					sleep 1
					"${CL_CTR[@]}" tasks delete --force "$m" >/dev/null 2>&1 || true
					"${CL_CTR[@]}" containers delete "$m" >/dev/null 2>&1 || true
				done
			fi
			kill "$pid"
			for ((i = 0; i < 100; i++)); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.1
			done
			kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
		fi
		if [ -d "/run/containerd/runc/$CL_NS" ]; then
			if [ -n "$(ls -A "/run/containerd/runc/$CL_NS")" ]; then
				printf 'left behind: runtime state in /run/containerd/runc/%s: %s\n' \
					"$CL_NS" "$(ls -A "/run/containerd/runc/$CL_NS")"
				left=1
			fi
			rm -rf "/run/containerd/runc/$CL_NS"
		fi
		[ ! -e "$CL_DIR/containerd/made-run-containerd" ] || rm -rf /run/containerd
	fi
	# Processes (conmon, shims, VMMs) still using the directory.
	for ((i = 0; i < 50; i++)); do
		[ -n "$(pgrep -f "$CL_DIR" || true)" ] || break
		sleep 0.2
	done
	if [ -n "$(pgrep -f "$CL_DIR" || true)" ]; then
		printf 'left behind: processes:\n%s\n' "$(pgrep -af "$CL_DIR")"
		left=1
		for pid in $(pgrep -f "$CL_DIR"); do
			kill -9 "$pid" 2>/dev/null || true
		done
		sleep 0.5
	fi
	# Mounts under it, deepest first.
	mapfile -t m < <(awk -v d="$CL_DIR" 'index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo |
		sort -r)
	if [ ${#m[@]} -gt 0 ]; then
		printf 'left behind: mounts:\n%s\n' "${m[@]}"
		left=1
		for i in "${m[@]}"; do
			umount -l "$i" || true
		done
	fi
	# Container cgroups below the parents the engines were given (Podman's conmon has
	# its own, "conmon"), then the parents.
	mapfile -t cgm < <(awk '$(NF - 2) ~ /^cgroup2?$/ { print $5 }' /proc/self/mountinfo)
	for m in "${cgm[@]}"; do
		for i in "$m/$CL_NS" "$m/$CL_CG_PODMAN"; do
			[ -d "$i" ] || continue
			if [ -n "$(find "$i" -mindepth 1 -type d ! -path "$i/conmon" | head -n 1)" ]; then
				printf 'left behind: cgroups:\n%s\n' \
					"$(find "$i" -mindepth 1 -type d ! -path "$i/conmon")"
				left=1
			fi
			find "$i" -depth -type d -exec rmdir {} + 2>/dev/null || true
		done
	done
	rm -rf "$CL_DIR"
	[ "$left" = 0 ]
}

# The last test: it runs after the others in this file (run_suite keeps their order).
test_clients_leave_nothing() {
	[ -d "$CL_DIR" ] || skip "no client test ran before it"
	cl_teardown || fail "the client tests left the above behind"
	[ ! -e "$CL_DIR" ] || fail "$CL_DIR is still there"
}

# When the last test is not selected: clean up at the end of the suite.
case ${HYRUN_TEST_GROUP:-clients} in
clients)
	# shellcheck disable=SC2064  # keep whatever EXIT trap was set before, expanded now
	trap "cl_teardown >/dev/null 2>&1 || true; $(trap -p EXIT | sed -E "s/^trap -- '(.*)' EXIT\$/\\1/")" EXIT
	;;
esac
