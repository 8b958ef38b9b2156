# shellcheck shell=bash
# shellcheck disable=SC2016  # the containers' shell code is single-quoted on purpose
# tests/integration/oci-process.sh: the process's scheduling (process.scheduler,
# process.ioPriority), linux.personality, linux.seccomp.flags, linux.resources.unified and
# the uts namespace that hostname needs; part of the oci group (oci.sh), sourced by run.
#
# crun 1.8.1 (Debian's) applies linux.personality, linux.seccomp.flags and
# linux.resources.unified, and refuses a hostname without a uts namespace: those tests
# compare with it. It knows neither process.scheduler nor process.ioPriority (it ignores
# them), so those tests check hyrun's output against the values they expect.

# A real-time policy in the guest: /proc/PID/stat's rt_priority (field 40) and policy (41)
# of the workload itself.
test_oci_scheduler_fifo() {
	oci_bundle 'c["process"]["args"] = ["/bin/sh", "-c", "awk '"'"'{ print $40, $41 }'"'"' /proc/$$/stat"]
c["process"]["scheduler"] = {"policy": "SCHED_FIFO", "priority": 10}'
	oci_hyrun
	expect_status 0
	expect_stdout "10 1"
}

# Checked at create, before a VM starts: Linux has no SCHED_ISO.
test_oci_scheduler_iso_refused() {
	oci_bundle 'c["process"]["args"] = ["/bin/echo", "ran"]
c["process"]["scheduler"] = {"policy": "SCHED_ISO"}'
	oci_hyrun
	[ "$ST" != 0 ] || fail "hyrun ran the container"
	expect_stderr_has 'process.scheduler.policy: SCHED_ISO is not supported'
	[ "$OUT" != ran ] || fail "the workload ran"
}

test_oci_io_priority() {
	oci_bundle 'c["process"]["args"] = ["/bin/sh", "-c", "ionice -p $$ || echo no-ioprio"]
c["process"]["ioPriority"] = {"class": "IOPRIO_CLASS_BE", "priority": 6}'
	oci_hyrun
	expect_status 0
	# A guest kernel without a block layer (the minimal one) has no I/O priorities at
	# all: ionice says ENOSYS there, and hyrun runs the container (docs/oci-spec.md).
	if grep -q 'Function not implemented' <<<"$ERR"; then
		expect_stdout no-ioprio
	else
		expect_stdout "best-effort: prio 6"
	fi
}

test_oci_personality() {
	oci_bundle 'c["process"]["args"] = ["/bin/sh", "-c", "uname -m; cat /proc/self/personality"]
c["linux"]["personality"] = {"domain": "LINUX32"}'
	oci_both
	expect_status 0
	expect_stdout "$(printf '%s\n' i686 00000008)"
	oci_same
}

# The runtime-spec defines no personality flags: hyrun refuses any (crun's handling of
# them is its own, so not compared).
test_oci_personality_flags_refused() {
	oci_bundle 'c["process"]["args"] = ["/bin/echo", "ran"]
c["linux"]["personality"] = {"domain": "LINUX", "flags": ["ADDR_NO_RANDOMIZE"]}'
	oci_hyrun
	[ "$ST" != 0 ] || fail "hyrun ran the container"
	expect_stderr_has 'linux.personality.flags: not supported'
	[ "$OUT" != ran ] || fail "the workload ran"
}

# The filter loads with the flags and filters: mkdir in the writable root is denied, the
# status shows a filter.
test_oci_seccomp_flags() {
	oci_bundle 'c["process"]["args"] = ["/bin/sh", "-c", "mkdir /seccomp-d 2>/dev/null; echo mkdir=$?; awk '"'"'$1 == \"Seccomp:\" { print $2 }'"'"' /proc/self/status"]
c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW",
    "flags": ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
              "SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
    "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
	oci_both
	expect_status 0
	expect_stdout "$(printf '%s\n' mkdir=1 2)"
	oci_same
}

# unified is written after the other limits: its memory.max wins over memory.limit. The
# container's /sys/fs/cgroup is its own cgroup under both runtimes (oci-pidns.sh).
test_oci_unified() {
	oci_bundle 'c["process"]["args"] = ["/bin/sh", "-c", "cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory.high /sys/fs/cgroup/pids.max"]
c["linux"].setdefault("resources", {})
c["linux"]["resources"]["memory"] = {"limit": 268435456}
c["linux"]["resources"]["unified"] = {"memory.max": "314572800", "memory.high": "200M",
                                      "pids.max": "40"}'
	oci_both
	expect_status 0
	expect_stdout "$(printf '%s\n' 314572800 209715200 40)"
	oci_same
}

# A file the guest's cgroup does not have: create fails naming the key, as the
# runtime-spec asks (crun fails too).
test_oci_unified_unknown_file() {
	oci_bundle 'c["process"]["args"] = ["/bin/echo", "ran"]
c["linux"].setdefault("resources", {})
c["linux"]["resources"]["unified"] = {"memory.no_such_file": "1"}'
	oci_both
	[ "$ST" != 0 ] || fail "hyrun ran the container"
	expect_stderr_has 'linux.resources.unified.memory.no_such_file: cannot write "1"'
	[ "$OUT" != ran ] || fail "the workload ran"
	if oci_have_crun; then
		[ "$CRUN_ST" != 0 ] || fail "crun ran the container"
	fi
}

# hostname without a uts namespace: refused by both, as runc refuses it.
test_oci_hostname_without_uts() {
	oci_bundle 'assert c["hostname"]
c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "uts"]
c["process"]["args"] = ["/bin/echo", "ran"]'
	oci_both
	[ "$ST" != 0 ] || fail "hyrun ran the container"
	expect_stderr_has 'hostname: not allowed without a uts namespace'
	[ "$OUT" != ran ] || fail "the workload ran"
	if oci_have_crun; then
		[ "$CRUN_ST" != 0 ] || fail "crun ran the container"
	fi
}
