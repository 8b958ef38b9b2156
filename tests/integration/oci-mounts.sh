# shellcheck shell=bash
# shellcheck disable=SC2016  # the containers' shell code is single-quoted on purpose
# tests/integration/oci-mounts.sh: the root and its mounts (read-only root, cwd, masked and
# read-only paths, propagation, linux.devices) and the process's surroundings (domainname,
# HOME, refused sysctls and seccomp listener), each run under crun and hyrun (oci.sh's
# harness); part of the oci group, sourced by run.

# oci_mounts_script NAME <<'EOF' ... EOF: a shell script in the bundle's root at /NAME,
# which both runtimes' copies of the bundle get.
oci_mounts_script() {
	cat >"$B/rootfs/$1"
	chmod 0755 "$B/rootfs/$1"
}

# The propagation of the root and of the mounts named (their mountinfo's optional fields,
# peer group numbers dropped: "/a shared"), sorted, printed by the script /prop.sh.
oci_mounts_prop_script() {
	local where=$1
	oci_mounts_script prop.sh <<-EOF
		awk '$where { s = \$5; for (i = 7; \$i != "-"; i++) s = s " " \$i; print s }' \\
			/proc/self/mountinfo | sed 's/:[0-9]*//g' | sort
	EOF
}

test_oci_readonly_root_missing_mountpoint() {
	oci_bundle 'c["root"]["readonly"] = True
c["mounts"].append({"destination": "/data", "type": "tmpfs", "source": "tmpfs",
                    "options": ["nosuid", "nodev"]})
c["process"]["args"] = ["/bin/sh", "-c",
    "echo data > /data/f && cat /data/f; touch /x; echo root=$?; touch /tmp/t; echo tmp=$?"]'
	[ ! -e "$B/rootfs/data" ] || fail "the test image has /data already"
	oci_both
	expect_status 0
	expect_line data
	expect_line root=1
	# /tmp is the image's, under the read-only root.
	expect_line tmp=1
	expect_stderr_has "Read-only file system"
	oci_same
}

test_oci_cwd_created() {
	oci_bundle 'c["process"]["cwd"] = "/srv/new/dir"
c["process"]["args"] = ["/probe", "cwd"]'
	[ ! -e "$B/rootfs/srv/new" ] || fail "the test image has /srv/new already"
	oci_both
	expect_status 0
	expect_stdout cwd=/srv/new/dir
	[ -d "$B.hyrun/rootfs/srv/new/dir" ] || fail "the cwd was not made in the root"
	oci_same
}

test_oci_masked_paths() {
	oci_bundle 'c["linux"]["maskedPaths"] += ["/etc/masked-file", "/etc/masked-dir",
                                     "/nonexistent/x"]
c["process"]["args"] = ["/bin/sh", "-c",
    "cat /etc/masked-file; echo cat=$?; ls -A /etc/masked-dir; echo ls=$?; "
    "echo w 2>/dev/null > /etc/masked-dir/n; echo write=$?; cat /etc/visible"]'
	echo secret >"$B/rootfs/etc/masked-file"
	mkdir "$B/rootfs/etc/masked-dir"
	echo hidden >"$B/rootfs/etc/masked-dir/inner"
	echo visible >"$B/rootfs/etc/visible"
	oci_both
	expect_status 0
	expect_stdout "$(printf '%s\n' cat=0 ls=0 write=1 visible)"
	oci_same
	[ "$(cat "$B.hyrun/rootfs/etc/masked-file")" = secret ] ||
		fail "masking changed the file in the image"
}

# The read-only paths: a directory, /proc/sys (part of the proc mount) and a mount point,
# each refusing writes; a mount below a read-only path is read-only too in hyrun, which
# makes the whole tree read-only (crun and runc remount the top mount alone), so that
# last line is not compared.
test_oci_readonly_paths() {
	oci_bundle 'c["linux"]["readonlyPaths"] += ["/etc", "/mnt/t", "/srv/ro"]
c["mounts"] += [{"destination": "/mnt/t", "type": "tmpfs", "source": "tmpfs"},
                {"destination": "/srv/ro/sub", "type": "tmpfs", "source": "tmpfs"}]
c["process"]["args"] = ["/bin/sh", "/ro.sh"]'
	oci_mounts_script ro.sh <<-'EOF'
		touch /etc/x 2>/dev/null; echo etc=$?
		echo x 2>/dev/null >/proc/sys/kernel/domainname; echo sys=$?
		touch /mnt/t/x 2>/dev/null; echo mnt=$?
		touch /tmp/x; echo tmp=$?
		touch /srv/ro/sub/x 2>/dev/null; echo below=$?
	EOF
	oci_both
	expect_status 0
	expect_stdout "$(printf '%s\n' etc=1 sys=1 mnt=1 tmp=0 below=1)"
	if oci_have_crun; then
		[ "$CRUN_ST" = 0 ] || fail "crun: exit status $CRUN_ST"
		[ "${OUT%$'\n'below=*}" = "${CRUN_OUT%$'\n'below=*}" ] ||
			fail "stdout differs: hyrun '$OUT', crun '$CRUN_OUT'"
	fi
}

test_oci_rootfs_propagation() {
	oci_bundle 'c["linux"]["rootfsPropagation"] = "rshared"
c["mounts"].append({"destination": "/a", "type": "tmpfs", "source": "tmpfs",
                    "options": ["private"]})
c["process"]["args"] = ["/bin/sh", "/prop.sh"]'
	oci_mounts_prop_script '$5 == "/" || $5 == "/a" || $5 == "/proc"'
	oci_both
	expect_status 0
	# Recursive: over the mount's own "private" too.
	expect_stdout "$(printf '%s\n' '/ shared' '/a shared' '/proc shared')"
	oci_same
}

# A mount's own propagation, under a root whose propagation is not recursive (crun applies
# its default, rprivate, recursively over the mounts' own; hyrun, as runc, leaves them).
test_oci_mount_propagation_options() {
	oci_bundle 'c["linux"]["rootfsPropagation"] = "private"
c["mounts"] += [{"destination": "/a", "type": "tmpfs", "source": "tmpfs",
                 "options": ["nosuid", "shared"]},
                {"destination": "/b", "type": "tmpfs", "source": "tmpfs",
                 "options": ["unbindable"]},
                {"destination": "/c", "type": "tmpfs", "source": "tmpfs",
                 "options": ["rslave"]}]
c["process"]["args"] = ["/bin/sh", "/prop.sh"]'
	oci_mounts_prop_script '$5 == "/" || $5 == "/a" || $5 == "/b" || $5 == "/c"'
	oci_both
	expect_status 0
	# A slave of nothing is private.
	expect_stdout "$(printf '%s\n' / '/a shared' '/b unbindable' /c)"
	oci_same
}

test_oci_devices() {
	oci_bundle 'c["linux"]["devices"] = [
    {"path": "/dev/hyrun/tst", "type": "c", "major": 1, "minor": 5, "fileMode": 0o640,
     "uid": 1000, "gid": 5},
    {"path": "/dev/hyrun-fifo", "type": "p", "fileMode": 0o600, "uid": 0, "gid": 0}]
c["process"]["args"] = ["/bin/sh", "-c",
    "stat -c \"%n %F %t:%T %a %u:%g\" /dev/hyrun/tst /dev/hyrun-fifo"]'
	oci_both
	expect_status 0
	expect_line '/dev/hyrun/tst character special file 1:5 640 1000:5'
	expect_line '/dev/hyrun-fifo fifo 0:0 600 0:0'
	oci_same
}

test_oci_domainname() {
	oci_bundle 'c["domainname"] = "hyrun.example"
c["process"]["args"] = ["/bin/cat", "/proc/sys/kernel/domainname"]'
	oci_both
	expect_status 0
	expect_stdout hyrun.example
	oci_same
}

test_oci_home_from_passwd() {
	oci_bundle 'assert not [e for e in c["process"]["env"] if e.startswith("HOME=")]
c["process"]["user"] = {"uid": 0, "gid": 0}
c["process"]["args"] = ["/bin/sh", "-c", "echo HOME=$HOME"]'
	oci_both
	expect_status 0
	# The busybox image's /etc/passwd: root:x:0:0:root:/root:/bin/sh
	expect_stdout HOME=/root
	oci_same
}

# A uid the image's /etc/passwd lacks: HOME=/, as runc sets it (seen with runc 1.1.5); crun
# 1.8.1 sets an empty HOME instead, so its output is not compared.
test_oci_home_unknown_uid() {
	oci_bundle 'c["process"]["user"] = {"uid": 4242, "gid": 4242}
c["process"]["args"] = ["/bin/sh", "-c", "echo HOME=$HOME"]'
	! grep -q ':4242:' "$B/rootfs/etc/passwd" || fail "uid 4242 is in the image's passwd"
	oci_both
	expect_status 0
	expect_stdout HOME=/
	if oci_have_crun; then
		[ "$CRUN_ST" = 0 ] || fail "crun: exit status $CRUN_ST"
	fi
}

# kernel.hostname beside the hostname member (which `hyrun spec` sets): refused by both.
test_oci_sysctl_refused() {
	oci_bundle 'assert c["hostname"]
c["linux"]["sysctl"] = {"kernel.hostname": "other"}
c["process"]["args"] = ["/bin/echo", "ran"]'
	oci_both
	[ "$ST" != 0 ] || fail "hyrun ran the container"
	expect_stderr_has 'linux.sysctl.kernel.hostname: not allowed: it conflicts with the "hostname" member'
	[ "$OUT" != ran ] || fail "the workload ran"
	if oci_have_crun; then
		[ "$CRUN_ST" != 0 ] || fail "crun ran the container"
	fi
}

test_oci_seccomp_listener_refused() {
	oci_bundle 'c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW",
    "listenerPath": "/run/hyrun-oci-no-such-agent.sock"}
c["process"]["args"] = ["/bin/echo", "ran"]'
	oci_both
	[ "$ST" != 0 ] || fail "hyrun ran the container"
	expect_stderr_has 'linux.seccomp.listenerPath: not supported'
	[ "$OUT" != ran ] || fail "the workload ran"
	# crun cannot reach the agent either.
	if oci_have_crun; then
		[ "$CRUN_ST" != 0 ] || fail "crun ran the container"
	fi
}

test_oci_tmpcopyup_and_recursive_options() {
	# tmpcopyup (Podman's --tmpfs): the tmpfs starts with the image's files there; rro and
	# rnosuid (mount_setattr's recursive forms) are applied to the mount.
	oci_bundle 'c["mounts"].append({"destination": "/etc", "type": "tmpfs", "source": "tmpfs",
                    "options": ["tmpcopyup", "mode=755"]})
c["mounts"].append({"destination": "/r", "type": "tmpfs", "source": "tmpfs",
                    "options": ["rro", "rnosuid"]})
c["process"]["args"] = ["/bin/sh", "-c",
    "grep -c ^root: /etc/passwd; echo new > /etc/new; echo write=$?; "
    "touch /r/f 2>/dev/null; echo r=$?; "
    "awk \"\\$5 == \\\"/r\\\" { print \\$6 }\" /proc/self/mountinfo"]'
	oci_both
	expect_status 0
	expect_line 1
	expect_line write=0
	expect_line r=1
	grep -qE '^ro,nosuid' <<<"$OUT" || fail "/r is not ro,nosuid: $OUT"
	[ ! -e "$B.hyrun/rootfs/etc/new" ] || fail "a write to the tmpfs reached the image"
	oci_same
}

test_oci_console_is_the_terminal() {
	# With a terminal, /dev/console is that terminal (the pty's slave bound over it), as
	# runc and crun make it: same device numbers as fd 0.
	oci_bundle 'c["process"]["terminal"] = True
c["process"]["args"] = ["/bin/sh", "-c",
    "a=$(stat -L -c %t:%T /proc/self/fd/0); b=$(stat -c %t:%T /dev/console); "
    "[ \"$a\" = \"$b\" ] && echo console=tty || echo console=$b tty=$a"]'
	# hyrun run makes the pty itself here (stdin is no terminal), as runc does; crun 1.8
	# cannot, so hyrun is checked alone.
	oci_hyrun
	expect_status 0
	expect_eq "stdout" "$(tr -d '\r' <<<"$OUT")" console=tty
}
