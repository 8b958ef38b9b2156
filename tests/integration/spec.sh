# shellcheck shell=bash
# shellcheck disable=SC2016,SC2034,SC2012  # guests' shell code single-quoted; SP_* read by spec_write
# tests/integration/spec.sh: an OCI config.json planned by `hyrun plan` and applied inside
# the guest, observed with the probe; sourced by run. Each test writes its own bundle.

test_spec_env() {
	spec_bundle
	SP_ENV='["PATH=/bin:/sbin", "FOO=bar baz", "EMPTY=", "HYRUN_SPEC=1"]'
	SP_ARGS='["/probe", "env"]'
	vmspec
	expect_status 0
	expect_line "PATH=/bin:/sbin"
	expect_line "FOO=bar baz"
	expect_line "EMPTY="
	expect_line "HYRUN_SPEC=1"
	expect_no_line_matching '^TERM='
}

test_spec_cwd() {
	spec_bundle
	mkdir -p "$B/rootfs/srv/app"
	SP_CWD=/srv/app
	SP_ARGS='["/probe", "cwd"]'
	vmspec
	expect_status 0
	expect_stdout "cwd=/srv/app"
}

test_spec_user_groups_umask() {
	spec_bundle
	SP_USER='{"uid": 1000, "gid": 1001, "additionalGids": [10, 2000], "umask": 63}'
	SP_ARGS='["/bin/sh", "-c", "/probe ids; /probe umask; touch /tmp/u; ls -ln /tmp/u"]'
	vmspec
	expect_status 0
	expect_line uid=1000
	expect_line euid=1000
	expect_line gid=1001
	expect_line egid=1001
	expect_line umask=0077
	local groups
	groups=",$(sed -n 's/^groups=//p' <<<"$OUT"),"
	[[ $groups == *,10,* && $groups == *,2000,* ]] || fail "groups $groups lack 10 and 2000"
	grep -qE '^-rw------- +1 +1000 +1001 ' <<<"$OUT" || fail "a file made with umask 077"
}

test_spec_rlimits() {
	spec_bundle
	SP_RLIMITS='[{"type": "RLIMIT_NOFILE", "soft": 321, "hard": 654},
		{"type": "RLIMIT_CORE", "soft": 0, "hard": 0},
		{"type": "RLIMIT_NPROC", "soft": 77, "hard": 88}]'
	SP_ARGS='["/probe", "rlimits"]'
	vmspec
	expect_status 0
	expect_line RLIMIT_NOFILE=321:654
	expect_line RLIMIT_CORE=0:0
	expect_line RLIMIT_NPROC=77:88
}

test_spec_capabilities() {
	spec_bundle
	# CAP_CHOWN is bit 0, CAP_KILL bit 5; mknod needs CAP_MKNOD (bit 27).
	local c='["CAP_CHOWN", "CAP_KILL"]'
	SP_CAPS="{\"bounding\": $c, \"effective\": $c, \"permitted\": $c,
		\"inheritable\": $c, \"ambient\": $c}"
	SP_ARGS='["/bin/sh", "-c", "/probe caps; chown 1:1 /etc/hosts; echo chown=$?; mknod /tmp/x c 1 3; echo mknod=$?"]'
	vmspec
	expect_status 0
	expect_line CapBnd=0000000000000021
	expect_line CapEff=0000000000000021
	expect_line CapPrm=0000000000000021
	expect_line CapInh=0000000000000021
	expect_line CapAmb=0000000000000021
	expect_line chown=0
	expect_line mknod=1
}

test_spec_no_new_privileges() {
	spec_bundle
	SP_NNP=true
	SP_ARGS='["/probe", "nnp"]'
	vmspec
	expect_status 0
	expect_stdout nnp=1
	SP_NNP=false
	vmspec
	expect_status 0
	expect_stdout nnp=0
}

test_spec_oom_score_adj() {
	spec_bundle
	SP_PROCESS_EXTRA=', "oomScoreAdj": 123'
	SP_ARGS='["/probe", "oom"]'
	vmspec
	expect_status 0
	expect_stdout oom_score_adj=123
}

test_spec_hostname() {
	spec_bundle
	SP_HOSTNAME=hyrun-spec-host
	SP_ARGS='["/bin/sh", "-c", "/probe hostname; hostname"]'
	vmspec
	expect_status 0
	expect_line hostname=hyrun-spec-host
	expect_line hyrun-spec-host
}

test_spec_seccomp() {
	spec_bundle
	SP_LINUX_EXTRA=', "seccomp": {
		"defaultAction": "SCMP_ACT_ALLOW",
		"architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO",
			"errnoRet": 1}]}'
	SP_ARGS='["/bin/sh", "-c", "/probe seccomp mkdir getcwd getpid; mkdir /tmp/d; echo mkdir=$?"]'
	vmspec
	expect_status 0
	expect_line Seccomp=2
	expect_line mkdir=EPERM
	expect_line getcwd=ok
	expect_line getpid=ok
	expect_line mkdir=1
	expect_stderr_has_i "operation not permitted"
	[ ! -e "$B/rootfs/tmp/d" ] || fail "mkdir went through"
}

test_spec_mounts() {
	spec_bundle
	SP_MOUNTS_EXTRA=', {"destination": "/scratch", "type": "tmpfs", "source": "tmpfs",
		"options": ["nosuid", "nodev", "size=1m"]}'
	SP_ARGS='["/bin/sh", "-c", "/probe statfs /scratch; /probe statfs /; echo x >/scratch/f && echo wrote"]'
	vmspec
	expect_status 0
	expect_eq "/scratch" "$(sed -n 1p <<<"$OUT")" "f_type=$TMPFS_MAGIC"
	expect_eq "/" "$(sed -n 2p <<<"$OUT")" "f_type=$FUSE_SUPER_MAGIC"
	expect_line wrote
	expect_absent "$B/rootfs/scratch/f"
}

# A command after -- replaces process.args; the rest of the spec still applies.
test_spec_args_replaced() {
	spec_bundle
	SP_ARGS='["/probe", "env"]'
	SP_HOSTNAME=replaced-args
	vmspec -- /probe hostname
	expect_status 0
	expect_stdout hostname=replaced-args
}

test_spec_exit_status() {
	spec_bundle
	SP_ARGS='["/bin/sh", "-c", "echo out; echo err >&2; exit 42"]'
	vmspec
	expect_status 42
	expect_stdout out
	expect_stderr_has err
}

# --- errors, reported like crun ---------------------------------------------------

test_spec_missing_binary() {
	spec_bundle
	SP_ARGS='["/no/such/binary"]'
	vmspec
	expect_status 127
	expect_stderr_has_i "no such file or directory" "executable file not found"
	expect_stdout ""
	SP_ARGS='["no-such-command"]'
	vmspec
	expect_status 127
	expect_stderr_has 'executable file not found in $PATH'
}

test_spec_not_executable() {
	spec_bundle
	printf '#!/bin/sh\necho should not run\n' >"$B/rootfs/notexec"
	chmod 0644 "$B/rootfs/notexec"
	SP_ARGS='["/notexec"]'
	vmspec
	expect_status 126
	expect_stderr_has_i "permission denied" "not executable"
	expect_stdout ""
}

test_spec_bad_cwd() {
	spec_bundle
	# Under a regular file: no runtime can create it.
	SP_CWD=/etc/hostname/sub
	SP_ARGS='["/probe", "cwd"]'
	vmspec
	expect_status 125
	expect_stderr_has_i "/etc/hostname/sub" "cwd"
	expect_stdout ""
}

test_spec_malformed_json() {
	spec_bundle
	printf '{"ociVersion": "1.0.2", "process": {"args": ["/probe"' >"$B/config.json"
	vmplan "$B/config.json"
	# hyrun plan refuses it, as hyrun create would (runc's status for its errors).
	expect_status 1
	expect_stderr_has "config.json"
	expect_stdout ""
	# Well-formed JSON, wrong type: the message names the field.
	spec_defaults
	SP_ARGS='"/probe env"'
	spec_write
	vmplan "$B/config.json"
	expect_status 1
	expect_stderr_has "args"
	expect_stdout ""
}

test_spec_missing_file() {
	vmplan "$TDIR/no-such-config.json"
	expect_status 1
	expect_stderr_has "$TDIR/no-such-config.json"
}

test_spec_root_missing() {
	spec_bundle
	SP_ROOT='{"path": "no-such-rootfs"}'
	vmspec
	expect_status 1
	expect_stderr_has "no-such-rootfs"
	expect_stdout ""
}

# hyrun plan --rootfs DIR replaces root.path.
test_spec_rootfs_option() {
	spec_bundle
	busybox_root "$SDIR/other"
	printf 'other-root\n' >"$SDIR/other/etc/hostname"
	SP_ROOT='{"path": "no-such-rootfs"}'
	SP_ARGS='["/bin/cat", "/etc/hostname"]'
	spec_write
	vmplan "$B/config.json" --rootfs "$SDIR/other"
	expect_status 0
	expect_stdout other-root
}

# Bind mounts of host directories (shares of their own) and of a host file.
test_spec_bind_mounts() {
	spec_bundle
	mkdir -p "$SDIR/rw" "$SDIR/ro"
	printf 'read-only data\n' >"$SDIR/ro/file"
	printf 'a host file\n' >"$SDIR/hostfile"
	printf 'HOST-SENTINEL\n' >"$SDIR/sentinel"
	SP_MOUNTS_EXTRA=", {\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"$SDIR/rw\",
		\"options\": [\"rbind\", \"rw\"]},
		{\"destination\": \"/ro\", \"type\": \"bind\", \"source\": \"$SDIR/ro\",
		\"options\": [\"rbind\", \"ro\"]},
		{\"destination\": \"/etc/extra\", \"type\": \"bind\", \"source\": \"$SDIR/hostfile\",
		\"options\": [\"bind\", \"ro\"]}"
	SP_ARGS='["/bin/sh", "-c", "echo from-guest >/data/new && echo wrote; cat /ro/file; echo x >/ro/file; echo ro=$?; touch /ro/new; echo rotouch=$?; cat /etc/extra; cat /data/../sentinel /ro/../sentinel 2>&1; ls /data/.. | tr \"\\n\" \" \"; echo"]'
	vmspec
	expect_status 0
	expect_line wrote
	expect_line "read-only data"
	expect_line ro=1
	expect_line rotouch=1
	expect_line "a host file"
	grep -q HOST-SENTINEL <<<"$OUT" && fail "the guest read a file next to a bind-mounted directory"
	expect_content "$SDIR/rw/new" $'from-guest\n'
	expect_content "$SDIR/ro/file" $'read-only data\n'
	expect_absent "$SDIR/ro/new"
}
