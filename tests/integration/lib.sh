# shellcheck shell=bash
# tests/integration/lib.sh: helpers for the integration tests (sourced by run).
#
# A test is a function test_NAME run in its own subshell with errexit on, its
# stdin from /dev/null and its own scratch directory $TDIR. It fails by
# exiting non-zero (the expect_* helpers do that with a message), and skips
# itself with `skip REASON`.

shopt -s inherit_errexit

VMM=${HYRUN_VMM:-$ROOT/build/hyrun-vmm}
K=${HYRUN_KERNEL:-$ROOT/build/guest/vmlinuz}
I=${HYRUN_INITRD:-$ROOT/build/guest/initramfs.cpio}
# shellcheck disable=SC2034  # used by the tests
BOOT=(--kernel "$K" --initrd "$I" --mem 256M --cpus 2)
TEST_TIMEOUT=${HYRUN_TEST_TIMEOUT:-120}

OUT=''	# stdout of the last VMM run, trailing newlines stripped
ERR=''	# its stderr
ST=''	# its exit status
TDIR=''

fail() {
	printf 'FAIL: %s\n' "$*"
	exit 1
}

skip() {
	printf '%s\n' "$*"
	exit 77
}

# host_scratch_base: where tests keep what hyrun-vmm shares with its guests: $TMPDIR (the
# test host's ext4 scratch disk, which can be idmapped, as the VMM's shares must be),
# else tmpfs (/run), else /tmp; never the test host's 9p view of the build machine.
host_scratch_base() {
	local base=${TMPDIR:-}
	if [ -z "$base" ] || [ ! -w "$base" ] || [ "$(stat -f -c %T "$base" 2>/dev/null)" = v9fs ]; then
		base=/run
		[ -w /run ] && [ "$(stat -f -c %T /run 2>/dev/null)" = tmpfs ] || base=/tmp
	fi
	printf '%s\n' "$base"
}

need_file() {	# need_file WHAT PATH HINT
	[ -e "$2" ] || fail "$1 $2 is missing ($3)"
}

need_boot_files() {
	need_file kernel "$K" "run hack/setup"
	need_file initramfs "$I" "run make"
}

# vm [VMM OPTION VALUE]... -- CMD [ARG]...: boot a microVM with the default
# kernel, initramfs, --mem 256M and --cpus 2; an option given replaces its default.
vm() {
	local -A val=([--kernel]=$K [--initrd]=$I [--mem]=256M [--cpus]=2)
	local order=(--kernel --initrd --mem --cpus) args=() o
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		[ $# -ge 2 ] || fail "vm: option $1 has no value"
		[ -n "${val[$1]+x}" ] || order+=("$1")
		val[$1]=$2
		shift 2
	done
	for o in "${order[@]}"; do
		args+=("$o" "${val[$o]}")
	done
	need_file kernel "${val[--kernel]}" "run hack/setup"
	need_file initramfs "${val[--initrd]}" "run make"
	vm_raw "$VMM" "${args[@]}" "$@"
}

# vcpu_reset_seen: the run whose stderr is $TDIR/stderr met a vCPU reset to the reset
# vector, which the nested, software-emulated test host causes now and then (seen with
# QEMU as the inner VMM too); such a run says nothing about hyrun.
vcpu_reset_seen() {
	grep -qE 'triple-faulted on vCPU [0-9]+ \(rip 0xfff0\)' "$TDIR/stderr"
}

# vm_raw CMD [ARG]...: run CMD (which runs the VMM) under a time limit; set OUT,
# ERR and ST. The test's stdin is passed on.
vm_raw() {
	local t0
	[ -x "$VMM" ] || fail "$VMM is missing (run make)"
	printf '$'
	printf ' %q' "$@"
	printf '\n'
	t0=$(now_ms)
	set +e
	timeout -k 5 "$TEST_TIMEOUT" "$@" >"$TDIR/stdout" 2>"$TDIR/stderr"
	ST=$?
	# In the nested, software-emulated test host a vCPU is now and then reset to the
	# reset vector (seen with QEMU as the inner VMM too). Such a run says nothing about
	# hyrun: run it once more, saying so, when its stdin can be given again.
	if [ "$ST" = 123 ] && [ ! -p /dev/stdin ] && vcpu_reset_seen; then
		printf 'note: a vCPU was reset to 0xfff0 (test host emulation); running it again\n'
		# A test whose guest changed files first says how to undo that (VM_RETRY_PREP).
		[ -z "${VM_RETRY_PREP:-}" ] || eval "$VM_RETRY_PREP"
		t0=$(now_ms)
		timeout -k 5 "$TEST_TIMEOUT" "$@" >"$TDIR/stdout" 2>"$TDIR/stderr"
		ST=$?
	fi
	set -e
	# Killed by the time limit: noted for run_suite, which runs such a test once more.
	if { [ "$ST" = 124 ] || [ "$ST" = 137 ]; } &&
		[ $(($(now_ms) - t0)) -ge $((TEST_TIMEOUT * 1000)) ]; then
		: >"$TDIR/.timed-out"
	fi
	OUT=$(<"$TDIR/stdout")
	ERR=$(<"$TDIR/stderr")
	log_run_result "$t0"
}

# log_run_result T0: log ST, the time since T0 and the end of $TDIR/stdout and stderr
# (shown only when the test fails; plain bash, as every exec is slow in the test host);
# fail when the run timed out.
log_run_result() {
	local f n lines
	printf 'exit status %s after %s ms\n' "$ST" $(($(now_ms) - $1))
	for f in stdout stderr; do
		mapfile -t lines <"$TDIR/$f"
		n=${#lines[@]}
		printf -- '--- %s (%s lines%s) ---\n' "$f" "$n" "$([ "$n" -le 25 ] || echo ', last 25')"
		[ "$n" = 0 ] || printf '%s\n' "${lines[@]:$((n > 25 ? n - 25 : 0))}"
	done
	[ "$ST" != 124 ] || fail "timed out after $TEST_TIMEOUT s"
}

now_ms() {
	local t=${EPOCHREALTIME/[.,]/}
	echo "${t:0:-3}"
}

expect_status() {
	[ "$ST" = "$1" ] || fail "exit status $ST, expected $1"
}

expect_eq() {	# expect_eq WHAT GOT WANT
	[ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"
}

expect_stdout() {
	[ "$OUT" = "$1" ] || fail "stdout: got '$(head -c 200 <<<"$OUT")', expected '$1'"
}

expect_stderr_has() {
	grep -qF -- "$1" <<<"$ERR" || fail "stderr does not contain '$1'"
}

expect_stderr_nonempty() {
	[ -n "$ERR" ] || fail "stderr is empty: expected a message"
}

expect_between() {	# expect_between WHAT VALUE MIN MAX
	[[ $2 =~ ^[0-9]+$ ]] || fail "$1: '$2' is not a number"
	if [ "$2" -lt "$3" ] || [ "$2" -gt "$4" ]; then
		fail "$1: $2 is not within [$3, $4]"
	fi
}

# run_suite [PATTERN]...: run the test_* functions of the calling script (or of the
# files in the array TEST_FILES, when set), in the order they are defined, and print
# the results.
run_suite() {
	local tests=() t p sel passed=0 failed=0 skipped=0 timeouts=0 rc log t0 dt name try
	while IFS= read -r t; do
		sel=$([ $# -eq 0 ] && echo 1 || echo 0)
		for p in "$@"; do
			[[ $t == *"$p"* ]] && sel=1
		done
		[ "$sel" = 0 ] || tests+=("$t")
	done < <(grep -ohE '^test_[A-Za-z0-9_]+\(\)' "${TEST_FILES[@]:-$SELF}" | tr -d '()')

	local lack=''
	[ -e /dev/kvm ] || lack="/dev/kvm (a machine with KVM, or hack/testhost)"
	[ -x "$VMM" ] || printf 'integration: note: %s is missing (run make): tests will fail\n' "$VMM"

	log=$(mktemp)
	for t in "${tests[@]}"; do
		name=${t#test_}
		if [ -n "$lack" ]; then
			printf 'ok - %s # skip: no %s\n' "$name" "$lack"
			skipped=$((skipped + 1))
			continue
		fi
		# A test whose VM ran into the time limit runs once more, saying so: the
		# software-emulated test host now and then stalls a guest for minutes
		# (hack/testhost stops a test host that stalls whole). A hang that is
		# hyrun's fails both times.
		for try in 1 2; do
			TDIR=$(mktemp -d "${TMPDIR:-/tmp}/hyrun-it.XXXXXX")
			t0=$(now_ms)
			set +e
			(
				set -e
				cd "$ROOT"
				"$t"
			) </dev/null >"$log" 2>&1
			rc=$?
			set -e
			dt=$(($(now_ms) - t0))
			dt=$((dt / 1000)).$((dt % 1000 / 100))
			if [ "$try" = 1 ] && [ "$rc" != 0 ] && [ "$rc" != 77 ] && [ -e "$TDIR/.timed-out" ]; then
				printf 'note: %s: a VM ran into the %s s limit after %s s; running the test again\n' \
					"$name" "$TEST_TIMEOUT" "$dt"
				timeouts=$((timeouts + 1))
				rm -rf "$TDIR"
				continue
			fi
			rm -rf "$TDIR"
			break
		done
		if [ "$rc" = 0 ]; then
			printf 'ok - %s (%s s)\n' "$name" "$dt"
			passed=$((passed + 1))
		elif [ "$rc" = 77 ]; then
			printf 'ok - %s # skip: %s\n' "$name" "$(tail -n 1 "$log")"
			skipped=$((skipped + 1))
		else
			printf 'not ok - %s (%s s)\n' "$name" "$dt"
			sed 's/^/    /' "$log"
			failed=$((failed + 1))
		fi
	done
	rm -f "$log"
	[ "$timeouts" = 0 ] || printf 'note: %s test(s) ran again after a VM ran into the time limit\n' "$timeouts"
	if [ "$skipped" -gt 0 ]; then
		printf '%d passed, %d failed, %d skipped\n' "$passed" "$failed" "$skipped"
	else
		printf '%d passed, %d failed\n' "$passed" "$failed"
	fi
	[ "$failed" = 0 ]
}
