# shellcheck shell=bash
# tests/integration/share.sh: helpers for the tests that give the guest a root filesystem
# shared from the host (fs.sh, spec.sh); sourced by run after lib.sh.
#
# Shared directories live on the (test) host's own file systems (its scratch disk), never
# on the test host's 9p view of the build machine, whose owners and xattrs are not a real
# host's.

# The minimal kernel reaches init several times sooner than the cloud kernel.
if [ -n "${HYRUN_FS_KERNEL:-}" ]; then
	KFS=$HYRUN_FS_KERNEL
elif [ -e "$ROOT/build/guest/vmlinux" ]; then
	KFS=$ROOT/build/guest/vmlinux
else
	KFS=$K
fi
PROBE=$ROOT/build/probe
BUSYBOX_TAR=$ROOT/build/rootfs/busybox.tar
DEBIAN_TAR=$ROOT/build/rootfs/debian.tar
FUSE_SUPER_MAGIC=0x65735546
TMPFS_MAGIC=0x1021994

HYRUN=${HYRUN:-$ROOT/build/hyrun}
SDIR=''	# the test's scratch directory (removed when the test ends)
XNS=''	# an xattr namespace SDIR's file system supports: user, else trusted
B=''	# the OCI bundle of a spec test: $B/config.json, $B/rootfs

need_vmm_option() {	# need_vmm_option OPTION
	"$VMM" --help 2>&1 | grep -q -- "$1" || fail "$VMM has no $1 option (not implemented yet)"
}

# scratch: a fresh $SDIR in host_scratch_base.
scratch() {
	local base
	base=$(host_scratch_base)
	SDIR=$(mktemp -d "$base/hyrun-fs.XXXXXX")
	chmod 0755 "$SDIR"
	# shellcheck disable=SC2064  # expand now: the path is fixed
	trap "rm -rf '$SDIR'" EXIT
	# tmpfs has user.* xattrs only from Linux 6.6 on (the test host runs 6.1).
	XNS=user
	if ! "$PROBE" setxattr "$SDIR" user.hyrun-check x >/dev/null; then
		XNS=trusted
		printf 'note: no user.* xattrs on %s: using trusted.*\n' "$SDIR"
	fi
}

# busybox_root DIR: unpack the busybox test root (hack/mkrootfs busybox) into DIR.
busybox_root() {
	[ -s "$BUSYBOX_TAR" ] || fail "$BUSYBOX_TAR is missing (run hack/mkrootfs busybox)"
	mkdir -p "$1"
	tar --numeric-owner -C "$1" -xf "$BUSYBOX_TAR"
}

# vmfs [VMM OPTION...] [-- CMD [ARG]...]: hyrun-vmm with $KFS, the initramfs, 256M, 2
# vCPUs and the options given (--rootfs DIR, or a plan's options); no "--" is added.
vmfs() {
	need_file kernel "$KFS" "run hack/setup, or make kernel"
	need_file initramfs "$I" "run make"
	vm_raw "$VMM" --kernel "$KFS" --initrd "$I" --mem 256M --cpus 2 "$@"
}

expect_line() {	# expect_line LINE: stdout has this exact line
	grep -qxF -- "$1" <<<"$OUT" || fail "stdout has no line '$1'"
}

expect_no_line_matching() {	# expect_no_line_matching REGEX
	local l
	l=$(grep -E -- "$1" <<<"$OUT" | head -n 3 || true)
	[ -z "$l" ] || fail "stdout has lines matching '$1': $l"
}

expect_stderr_has_i() {	# case-insensitive expect_stderr_has, any of the strings
	local s
	for s in "$@"; do
		grep -qiF -- "$s" <<<"$ERR" && return 0
	done
	fail "stderr contains none of: $*"
}

expect_content() {	# expect_content PATH WANT: a host file's exact content
	[ -f "$1" ] || fail "$1 is missing on the host"
	local got
	got=$(cat "$1"; echo x)
	got=${got%x}
	[ "$got" = "$2" ] || fail "$1 on the host: got '$(head -c 100 <<<"$got")', expected '$2'"
}

expect_absent() {	# expect_absent PATH...
	local p
	for p in "$@"; do
		[ ! -e "$p" ] && [ ! -L "$p" ] || fail "$p exists on the host"
	done
}

# tree_state DIR: one line per entry (path, type, mode, owner, size, mtime, link
# target) and the hash of every file's content, to compare before and after a run.
tree_state() {
	(
		cd "$1"
		find . -printf '%P %y %m %U:%G %s %T@ %l\n' | LC_ALL=C sort
		find . -type f -print0 | LC_ALL=C sort -z | xargs -0r md5sum
	)
}

# --- OCI bundles ------------------------------------------------------------------

# Fragments of the bundle's config.json (JSON text), set by a test before spec_write.
spec_defaults() {
	SP_ARGS='["/probe", "env"]'
	SP_ENV='["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"]'
	SP_CWD='/'
	SP_USER='{"uid": 0, "gid": 0}'
	local c='["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]'
	SP_CAPS="{\"bounding\": $c, \"effective\": $c, \"permitted\": $c}"
	SP_RLIMITS='[{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}]'
	SP_NNP=true
	SP_PROCESS_EXTRA=''	# e.g. ', "oomScoreAdj": 100'
	SP_ROOT='{"path": "rootfs", "readonly": false}'
	SP_HOSTNAME='hyrun-test'
	SP_MOUNTS_EXTRA=''	# e.g. ', {"destination": "/x", "type": "tmpfs", "source": "tmpfs"}'
	SP_LINUX_EXTRA=''	# e.g. ', "seccomp": {...}'
}

# spec_bundle: $SDIR with a bundle $B whose rootfs is the busybox test root.
spec_bundle() {
	need_vmm_option --guest-config
	scratch
	B=$SDIR/bundle
	busybox_root "$B/rootfs"
	spec_defaults
}

# spec_write [FILE]: write config.json (default $B/config.json) from the SP_* fragments,
# a minimal OCI runtime spec like `runc spec` makes.
spec_write() {
	cat >"${1:-$B/config.json}" <<-EOF
	{
		"ociVersion": "1.0.2",
		"process": {
			"terminal": false,
			"user": $SP_USER,
			"args": $SP_ARGS,
			"env": $SP_ENV,
			"cwd": "$SP_CWD",
			"capabilities": $SP_CAPS,
			"rlimits": $SP_RLIMITS,
			"noNewPrivileges": $SP_NNP$SP_PROCESS_EXTRA
		},
		"root": $SP_ROOT,
		"hostname": "$SP_HOSTNAME",
		"mounts": [
			{"destination": "/proc", "type": "proc", "source": "proc"},
			{"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
			 "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
			{"destination": "/dev/pts", "type": "devpts", "source": "devpts",
			 "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
			{"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
			 "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
			{"destination": "/sys", "type": "sysfs", "source": "sysfs",
			 "options": ["nosuid", "noexec", "nodev", "ro"]}$SP_MOUNTS_EXTRA
		],
		"linux": {
			"namespaces": [
				{"type": "pid"}, {"type": "network"}, {"type": "ipc"},
				{"type": "uts"}, {"type": "mount"}
			]$SP_LINUX_EXTRA
		}
	}
	EOF
}

# vmplan FILE [--rootfs DIR] [-- CMD [ARG]...]: `hyrun plan` makes hyrun-vmm's options
# (shares, files, the guest configuration in $TDIR/plan) from the config.json FILE, with
# --rootfs replacing root.path and CMD process.args; vmfs runs them. When the plan fails,
# its status and messages are the result (ST, OUT, ERR), as a VM's would be.
vmplan() {
	local spec=$1 opts=() cmd=() plan=()
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	[ $# -eq 0 ] || cmd=("$@")
	[ -x "$HYRUN" ] || fail "$HYRUN is missing (run make)"
	vm_raw "$HYRUN" plan --spec "$spec" "${opts[@]}" --out "$TDIR/plan" "${cmd[@]}"
	[ "$ST" = 0 ] || return 0
	mapfile -t plan <<<"$OUT"
	vmfs "${plan[@]}"
}

# plan_opts FILE: PLAN=(the plan options `hyrun plan` makes from the config.json FILE),
# for tests that start hyrun-vmm themselves (create mode, terminals).
PLAN=()
plan_opts() {
	[ -x "$HYRUN" ] || fail "$HYRUN is missing (run make)"
	mapfile -t PLAN < <("$HYRUN" plan --spec "$1" --out "$TDIR/plan")
	[ ${#PLAN[@]} -gt 0 ] || fail "hyrun plan --spec $1 made no plan"
}

# vmspec [-- CMD [ARG]...]: write the bundle's config.json and run it.
vmspec() {
	spec_write
	vmplan "$B/config.json" "$@"
}
