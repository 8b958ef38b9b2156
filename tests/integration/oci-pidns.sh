# shellcheck shell=bash
# shellcheck disable=SC2016  # the containers' and hooks' shell code is single-quoted on purpose
# tests/integration/oci-pidns.sh: part of the oci group (oci.sh): the workload's pid
# namespace, linux.resources and the device filter applied inside the guest, and "started"
# meaning exec'd; crun is the reference where the two should agree.
#
# What the container sees of its cgroup: the spec mounts cgroup2 on /sys/fs/cgroup, and
# both runtimes give the workload a cgroup namespace rooted at its own cgroup (crun from the
# spec's "cgroup" namespace, hyrun-init always), so the files there are the container's.

# oci_pidns_bundle PYTHON: oci_bundle, with c["linux"]["resources"] there to edit.
oci_pidns_bundle() {
	oci_bundle 'c["linux"].setdefault("resources", {}); '"$1"
}

test_oci_pid1() {
	# `hyrun spec` lists a pid namespace: the process is its PID 1, its parent outside.
	oci_pidns_bundle 'c["process"]["args"] = ["/probe", "pid"]'
	oci_both
	expect_status 0
	expect_stdout "$(printf 'pid=1\nppid=0')"
	oci_same
	# Without one, the workload is one of the guest's processes, as before.
	rt_config 'c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "pid"]'
	oci_hyrun
	expect_status 0
	grep -qE '^pid=([2-9]|[1-9][0-9]+)$' <<<"$OUT" || fail "without a pid namespace: $OUT"
}

test_oci_pid1_exec() {
	oci_pidns_bundle 'c["process"]["args"] = ["/bin/sleep", "600"]'
	local pid
	rt_create x1
	hr start x1
	expect_status 0
	# An exec'd process joins the namespace: a small pid, not 1, its parent outside.
	hr exec x1 /probe pid
	expect_status 0
	pid=$(sed -n 's/^pid=//p' <<<"$OUT")
	expect_between "the exec'd process's pid in the namespace" "$pid" 2 50
	grep -qx 'ppid=0' <<<"$OUT" || fail "the exec'd process's parent is in the namespace: $OUT"
	hr exec x1 /bin/sh -c 'xargs -0 echo </proc/1/cmdline'
	expect_status 0
	expect_stdout "/bin/sleep 600"
	# ps lists the guest's pids: the workload's is not its pid in the namespace.
	hr ps x1
	expect_status 0
	grep -qE '^ *[0-9]+ +([2-9]|[1-9][0-9]+) +[0-9]+ .*sleep 600' <<<"$OUT" ||
		fail "ps does not show the workload by its guest pid: $OUT"
	hr kill x1 KILL
	expect_status 0
	rt_wait_status x1 stopped 20
	hr delete x1
	expect_status 0
	rt_expect_nothing_left x1
}

test_oci_pids_limit_fork_bomb() {
	# pids.max counts the probe itself: 10 leaves room for 9 children.
	oci_pidns_bundle 'c["process"]["args"] = ["/probe", "forks", "50"]
c["linux"]["resources"]["pids"] = {"limit": 10}'
	oci_both
	expect_status 0
	expect_stdout "$(printf 'forks=9\nfork_error=EAGAIN')"
	oci_same
}

test_oci_memory_limit_in_guest() {
	# hyrun needs 128 MiB at least (64 MiB of guest RAM, 64 MiB for hyrun-vmm).
	oci_pidns_bundle 'c["process"]["args"] = ["/bin/cat", "/sys/fs/cgroup/memory.max"]
c["linux"]["resources"]["memory"] = {"limit": 268435456}'
	oci_both
	expect_status 0
	expect_stdout 268435456
	oci_same
}

test_oci_cpu_weight() {
	# shares 512 -> weight 1 + (512 - 2) * 9999 / 262142 = 20, runc's conversion.
	oci_pidns_bundle 'c["process"]["args"] = ["/bin/cat", "/sys/fs/cgroup/cpu.weight"]
c["linux"]["resources"]["cpu"] = {"shares": 512}'
	oci_both
	expect_status 0
	expect_stdout 20
	oci_same
}

test_oci_devices_cgroup() {
	# Deny all, allow /dev/null and writing to /dev/kmsg (a node from linux.devices). Both
	# runtimes add runc's default devices after the rules, so /dev/zero stays usable; a
	# node the container makes itself (mknod is always allowed) cannot be opened.
	oci_pidns_bundle 'c["process"]["args"] = ["/bin/sh", "-c", "/probe open /dev/null rw; /probe open /dev/zero r; /probe open /dev/kmsg w; /probe open /dev/kmsg r; mknod /dev/memx c 1 1 && /probe open /dev/memx r; head -c1 /dev/memx 2>&1 | sed \"s/.*: //\""]
for s in ("bounding", "effective", "permitted"):
    c["process"]["capabilities"][s].append("CAP_MKNOD")
c["linux"]["devices"] = [{"path": "/dev/kmsg", "type": "c", "major": 1, "minor": 11, "fileMode": 438, "uid": 0, "gid": 0}]
c["linux"]["resources"]["devices"] = [{"allow": False, "access": "rwm"},
    {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
    {"allow": True, "type": "c", "major": 1, "minor": 11, "access": "w"}]'
	oci_both
	expect_status 0
	expect_stdout "$(printf 'open=ok\nopen=ok\nopen=ok\nopen=EPERM\nopen=EPERM\nOperation not permitted')"
	oci_same
}

test_oci_poststart_after_exec() {
	# The poststart hook runs once `start` returns from the guest, which is once the
	# workload has exec'd: the hook's `hyrun ps` shows its command line. To make "before"
	# observable, the held workload is stopped (SIGSTOP reaches a namespace's PID 1 from
	# outside) before the start, and continued from inside by an exec'd `kill -CONT 1`
	# while `start` waits; were the reply sent at the release, start would return and its
	# hook would see hyrun-init's command line, the workload still stopped.
	local hook i
	oci_pidns_bundle 'c["process"]["args"] = ["/bin/sleep", "600"]'
	hook=$SDIR/hook.out
	rt_config 'c["hooks"] = {"poststart": [{"path": "/bin/sh", "args": ["sh", "-c", "'"$HYRUN"' --root '"$RT_ROOT"' ps ps1 >'"$hook"' 2>&1"]}]}'
	rt_create ps1
	hr kill ps1 STOP
	expect_status 0
	(
		st=0
		env HYRUN_KERNEL="$KFS" "$HYRUN" --root "$RT_ROOT" start ps1 >"$SDIR/start.out" 2>&1 ||
			st=$?
		echo "$st" >"$SDIR/start.st"
	) &
	sleep 2
	[ ! -e "$SDIR/start.st" ] ||
		fail "start returned while the workload was stopped before its execve(): $(cat "$SDIR/start.out")"
	[ ! -e "$hook" ] || fail "the poststart hook ran before the workload exec'd: $(cat "$hook")"
	hr exec ps1 /bin/kill -CONT 1
	expect_status 0
	for ((i = 0; i < 150; i++)); do
		[ ! -e "$SDIR/start.st" ] || break
		sleep 0.1
	done
	[ -e "$SDIR/start.st" ] || fail "start did not return once the workload was continued"
	expect_eq "start's exit status ($(cat "$SDIR/start.out"))" "$(cat "$SDIR/start.st")" 0
	grep -q 'sleep 600' "$hook" || fail "the poststart hook did not see the exec'd workload: $(cat "$hook")"
	hr delete --force ps1
	expect_status 0
	rt_expect_nothing_left ps1
}
