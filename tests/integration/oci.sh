# shellcheck shell=bash
# shellcheck disable=SC2016  # the containers' shell code is single-quoted on purpose
# tests/integration/oci.sh: the runtime-spec's container semantics, seen from inside the
# container with the probe, with crun as the reference; sourced by run. The group "oci" is
# this file and its parts, oci-*.sh (each part's tests are named oci_...).
#
# A test builds a bundle with oci_bundle (runtime.sh's rt_bundle: `hyrun spec`, the busybox
# root with /probe, no terminal, a writable root) and edits it with rt_config. oci_both then
# runs that same config under crun and under hyrun, each on its own copy of the bundle, so
# that what one runtime does to the root (a mount point it creates) cannot help the other:
#   CRUN_OUT, CRUN_ERR, CRUN_ST   what `crun run` printed and its exit status
#   OUT, ERR, ST                  the same of `hyrun run` (as hr sets them)
# oci_same then requires both to agree; where the VM makes hyrun differ (docs/oci-spec.md
# says where), a test checks hyrun's own output instead.
#
# crun is the reference where it runs: Debian's crun (Podman's dependency). Without it the
# tests that compare say so and check hyrun against the values they expect.

CRUN=${HYRUN_OCI_REFERENCE:-$(command -v crun || true)}

# oci_bundle [PYTHON]: $B, a bundle as rt_bundle makes it (PYTHON edits the config).
oci_bundle() {
	rt_bundle "$@"
}

# oci_have_crun: true when the reference runtime is there.
oci_have_crun() {
	[ -n "$CRUN" ] && [ -x "$CRUN" ]
}

# oci_crun [RUN OPTION...]: `crun run` of a copy of $B ($B.crun: the same config and
# root), id oci-PID; sets CRUN_OUT, CRUN_ERR and CRUN_ST and logs them.
oci_crun() {
	local id=oci-$$ t0
	oci_have_crun || fail "no crun here to compare with"
	rm -rf "$B.crun"
	cp -a "$B" "$B.crun"
	printf '$ crun run %s\n' "$*"
	t0=$(now_ms)
	set +e
	timeout -k 5 "$TEST_TIMEOUT" "$CRUN" --root "$SDIR/crun-state" run --bundle "$B.crun" \
		"$@" "$id" </dev/null >"$TDIR/crun.stdout" 2>"$TDIR/crun.stderr"
	CRUN_ST=$?
	set -e
	"$CRUN" --root "$SDIR/crun-state" delete --force "$id" >/dev/null 2>&1 || true
	CRUN_OUT=$(<"$TDIR/crun.stdout")
	CRUN_ERR=$(<"$TDIR/crun.stderr")
	printf 'crun: exit status %s after %s ms\n--- crun stdout ---\n%s\n--- crun stderr ---\n%s\n' \
		"$CRUN_ST" $(($(now_ms) - t0)) "$CRUN_OUT" "$CRUN_ERR"
}

# oci_hyrun [RUN OPTION...]: `hyrun run` of a copy of $B ($B.hyrun), id oci-PID; sets
# OUT, ERR and ST (hr).
oci_hyrun() {
	local b=$B
	rm -rf "$B.hyrun"
	cp -a "$B" "$B.hyrun"
	B=$B.hyrun
	hr run --bundle "$B" "$@" "oci-$$" </dev/null
	B=$b
}

# oci_both [RUN OPTION...]: oci_crun (when crun is there), then oci_hyrun.
oci_both() {
	if oci_have_crun; then
		oci_crun "$@"
	else
		printf 'note: no crun here: hyrun is checked against the expected values only\n'
	fi
	oci_hyrun "$@"
}

# oci_same: hyrun's exit status and stdout are crun's (when crun ran).
oci_same() {
	oci_have_crun || return 0
	[ "$ST" = "$CRUN_ST" ] || fail "exit status: hyrun $ST, crun $CRUN_ST"
	[ "$OUT" = "$CRUN_OUT" ] || fail "stdout differs: hyrun '$OUT', crun '$CRUN_OUT'"
}
