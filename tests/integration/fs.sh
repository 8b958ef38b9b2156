# shellcheck shell=bash
# shellcheck disable=SC2016,SC2034,SC2012  # guests' shell code single-quoted; SP_* read by spec_write
# tests/integration/fs.sh: the guest's root shared over virtio-fs (hyrun-vmm --rootfs DIR);
# sourced by run. Each test shares a copy of the busybox test root made on tmpfs.

test_fs_rootfs_boot() {
	need_vmm_option --rootfs
	scratch
	busybox_root "$SDIR/root"
	vmfs --rootfs "$SDIR/root" -- /bin/sh -c \
		'/probe statfs /; cat /etc/hostname; echo from-guest >/hello; exit 3'
	expect_status 3
	expect_line "f_type=$FUSE_SUPER_MAGIC"
	expect_line busybox-rootfs
	expect_content "$SDIR/root/hello" $'from-guest\n'
}

test_fs_rootfs_missing() {
	need_vmm_option --rootfs
	vmfs --rootfs "$TDIR/no-such-root" -- /bin/true
	expect_status 125
	expect_stderr_has "$TDIR/no-such-root"
	expect_stdout ""
}

# Every kind of file operation from the guest (probe fsops), then what the host sees.
test_fs_ops_guest_to_host() {
	local d
	need_vmm_option --rootfs
	scratch
	busybox_root "$SDIR/root"
	mkdir "$SDIR/root/srv"
	vmfs --rootfs "$SDIR/root" -- /probe fsops /srv "$XNS"
	expect_no_line_matching '=FAIL'
	expect_line fsops_failures=0
	expect_status 0

	d=$SDIR/root/srv/fsops
	expect_content "$d/data" $'HELLO world\nbye\n'
	expect_eq "data mode, owner, links" "$(stat -c '%a %u:%g %h' "$d/data")" "640 1234:5678 2"
	expect_eq "data.link inode" "$(stat -c %i "$d/data.link")" "$(stat -c %i "$d/data")"
	expect_eq "data.sym target" "$(readlink "$d/data.sym")" data
	expect_eq "xattr" "$("$PROBE" getxattr "$d/data" "$XNS.hyrun")" "$XNS.hyrun=probe"
	expect_eq "removed xattr" "$("$PROBE" getxattr "$d/data" "$XNS.gone" || true)" \
		"$XNS.gone=ENODATA"
	expect_content "$d/trunc" abc
	expect_eq "trunc mtime" "$(stat -c %Y "$d/trunc")" 1000000000
	expect_eq "sparse size" "$(stat -c %s "$d/sparse")" 8192
	expect_eq "mmap size" "$(stat -c %s "$d/mmap")" 8192
	expect_eq "mmap content" "$(tail -c 8 "$d/mmap" | head -n 1)" mmap-ok
	expect_eq "mmap lines" "$(grep -c '^mmap-ok$' "$d/mmap")" 1024
	expect_eq "big size" "$(stat -c %s "$d/big")" 1048576
	# byte i is i % 251
	expect_eq "big bytes 250..252" "$(od -An -tu1 -j250 -N3 "$d/big" | tr -s ' ')" " 250 0 1"
	expect_eq "big last byte" "$(od -An -tu1 -j1048575 -N1 "$d/big" | tr -d ' ')" \
		$((1048575 % 251))
	[ -p "$d/fifo" ] || fail "$d/fifo is not a FIFO on the host"
	expect_content "$d/sub/inner" $'inner\n'
	[ -f "$d/locks" ] || fail "$d/locks is missing on the host"
	expect_absent "$d/gone" "$d/emptydir" "$d/data.tmp"
}

# More files than a process's default limit of open files (1024): the server must not
# run out of host descriptors while the guest keeps their inodes cached.
test_fs_many_files() {
	need_vmm_option --rootfs
	need_file kernel "$KFS" "run hack/setup, or make kernel"
	scratch
	busybox_root "$SDIR/root"
	mkdir "$SDIR/root/many"
	# Start the VMM with a soft limit of 64 descriptors (hard 4096) and have the guest
	# hold 300 files at once: the same exhaustion as >1024 files under the usual 1024,
	# at a fraction of the emulated test host's time. hyrun-vmm must raise its soft limit.
	# A run repeated after an emulation reset starts from an empty /many again.
	local VM_RETRY_PREP="find '$SDIR/root/many' -mindepth 1 -delete"
	vm_raw prlimit --nofile=64:4096 "$VMM" --kernel "$KFS" --initrd "$I" --mem 256M \
		--cpus 2 --rootfs "$SDIR/root" -- /probe smallfiles /many 300
	expect_line errors=0
	expect_status 0
	expect_eq "files left on the host" "$(find "$SDIR/root/many" -mindepth 1 | wc -l)" 0
}

# Files the host made, as the guest sees them.
test_fs_host_to_guest() {
	local h sum
	need_vmm_option --rootfs
	scratch
	busybox_root "$SDIR/root"
	h=$SDIR/root/fromhost
	mkdir -p "$h/deep/a/b/c"
	printf 'made on the host\n' >"$h/file"
	chmod 0751 "$h/file"
	chown 4321:8765 "$h/file"
	touch -d @1234567890 "$h/file"
	ln "$h/file" "$h/file.link"
	ln -s file "$h/file.sym"
	"$PROBE" setxattr "$h/file" "$XNS.origin" host >/dev/null
	printf 'leaf\n' >"$h/deep/a/b/c/leaf"
	head -c 3000000 /dev/urandom >"$h/big"
	sum=$(md5sum <"$h/big" | cut -d' ' -f1)
	for i in $(seq 1 300); do : >"$h/many.$i"; done
	vmfs --rootfs "$SDIR/root" -- /bin/sh -c 'cd /fromhost && cat file && cat file.sym &&
		/probe stat file file.link file.sym && /probe getxattr file '"$XNS"'.origin &&
		md5sum big && cat deep/a/b/c/leaf && echo "many=$(ls | grep -c "^many\.")"'
	expect_status 0
	expect_eq "file and file.sym" "$(grep -c '^made on the host$' <<<"$OUT")" 2
	expect_line "file=file mode=0751 uid=4321 gid=8765 size=17 nlink=2 mtime=1234567890"
	expect_line "file.link=file mode=0751 uid=4321 gid=8765 size=17 nlink=2 mtime=1234567890"
	grep -qE '^file\.sym=symlink .* size=4 ' <<<"$OUT" || fail "file.sym is not a symlink"
	expect_line "$XNS.origin=host"
	grep -qxE "$sum +(-|big)" <<<"$OUT" || fail "md5sum of big differs (host: $sum)"
	expect_line leaf
	expect_line many=300
}

# root.readonly (hyrun plan: --share rootfs=DIR:ro and a read-only root in the guest
# configuration): every write is refused with EROFS and the tree stays as it was.
test_fs_readonly_root() {
	local before
	spec_bundle
	SP_ROOT='{"path": "rootfs", "readonly": true}'
	before=$(tree_state "$B/rootfs")
	vmspec -- /bin/sh -c '/probe fsops /; touch /ro-touch; echo touch=$?;
		rm -f /etc/hostname; echo rm=$?; mkdir /ro-dir; echo mkdir=$?;
		echo x >>/etc/passwd; echo append=$?; cat /etc/hostname'
	grep -q '^mkdir=FAIL EROFS' <<<"$OUT" || fail "mkdir in / did not fail with EROFS"
	expect_line touch=1
	expect_line rm=1
	expect_line mkdir=1
	expect_line append=1
	expect_line busybox-rootfs
	expect_stderr_has_i "read-only file system"
	expect_status 0
	expect_eq "the shared tree after the run" "$(tree_state "$B/rootfs")" "$before"
}

# Attempts to reach the host's files from the guest: every one must fail, and nothing
# outside the share may be read or changed.
test_fs_escape() {
	local r sentinel_state
	need_vmm_option --rootfs
	scratch
	r=$SDIR/root
	busybox_root "$r"
	printf 'HOST-SENTINEL outside the share\n' >"$SDIR/sentinel"
	touch -d @1111111111 "$SDIR/sentinel"
	# Made on the host: they must resolve in the guest's tree, not the host's.
	ln -s /etc "$r/hostetc"
	ln -s ../../../../../../../../etc "$r/hostup"
	ln -s "$SDIR/sentinel" "$r/hostsentinel"
	ln -s .. "$r/parent"
	sentinel_state=$(stat -c '%s %Y %Z %i' "$SDIR/sentinel")
	[ "$(cat /etc/hostname 2>/dev/null)" != busybox-rootfs ] ||
		fail "the host's own hostname is busybox-rootfs: the test cannot tell them apart"

	vmfs --rootfs "$r" -- /bin/sh -c "/probe escape / '$SDIR'; echo probe=\$?;
		cat /hostsentinel /parent/sentinel /parent/../sentinel 2>&1;
		cat /hostetc/passwd | head -n 1; ls /parent/ | tr '\n' ' '; echo"
	expect_no_line_matching 'ESCAPED'
	grep -q HOST-SENTINEL <<<"$OUT" && fail "the guest read the host's sentinel"
	expect_line "hostetc_hostname=busybox-rootfs"
	expect_line "hostetc=blocked"
	expect_line "hostup=blocked busybox-rootfs"
	expect_line "escapes=0"
	expect_line "probe=0"
	expect_line "root:x:0:0:root:/root:/bin/sh"
	grep -q '^symlink_race=blocked [1-9][0-9]* opens$' <<<"$OUT" ||
		fail "the symlink race did not run (no successful open)"
	expect_status 0

	expect_eq "sentinel (size mtime ctime inode)" "$(stat -c '%s %Y %Z %i' "$SDIR/sentinel")" \
		"$sentinel_state"
	expect_content "$SDIR/sentinel" $'HOST-SENTINEL outside the share\n'
	expect_eq "entries next to the share" "$(ls -A "$SDIR" | tr '\n' ' ')" "root sentinel "
	expect_absent "$SDIR/race-created" "$SDIR/victim-out" "$SDIR/victim-abs" \
		"$SDIR/dotdot-created" "/victim-out" "/dotdot-created" "$(dirname "$SDIR")/victim-out"
	# What went somewhere went inside the share.
	[ -e "$r/dotdot-created" ] || fail "dotdot-created is not in the share's root"
	[ -d "$r/race" ] || fail "the race directory is not in the share"
}

test_fs_debian_rootfs() {
	local d
	need_vmm_option --rootfs
	[ -s "$DEBIAN_TAR" ] ||
		skip "no Debian rootfs: hack/mkrootfs debian could not build it (no network?)"
	scratch
	d=$SDIR/debian
	mkdir "$d"
	tar --numeric-owner -C "$d" -xf "$DEBIAN_TAR"
	vmfs --rootfs "$d" -- /bin/bash -c \
		'cat /etc/debian_version; dpkg -l | grep -c ^ii; id -un; ls /usr/bin | wc -l'
	expect_status 0
	[[ $(sed -n 1p <<<"$OUT") =~ ^12\.[0-9]+$ ]] || fail "debian_version: $(sed -n 1p <<<"$OUT")"
	expect_between "installed packages" "$(sed -n 2p <<<"$OUT")" 50 400
	expect_eq "user" "$(sed -n 3p <<<"$OUT")" root
	expect_between "programs in /usr/bin" "$(sed -n 4p <<<"$OUT")" 100 2000
}

# The cloud kernel needs virtiofs.ko and fuse.ko from the initramfs.
test_fs_cloud_kernel() {
	need_vmm_option --rootfs
	[ "$KFS" != "$K" ] || skip "the fs tests already use the cloud kernel"
	scratch
	busybox_root "$SDIR/root"
	vm_raw "$VMM" --kernel "$K" --initrd "$I" --mem 256M --cpus 2 --rootfs "$SDIR/root" \
		-- /probe statfs /
	expect_status 0
	expect_line "f_type=$FUSE_SUPER_MAGIC"
}
