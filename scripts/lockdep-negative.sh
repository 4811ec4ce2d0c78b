#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The negative control of the rule that keeps jobs applying requests that
# are not frozen off the signalling path of a device's release fences:
# rebuild the debug kernel with tests/negative/requests-lockdep.patch (the
# rule removed), run tests/vm/requests-lockdep.sh there, where lockdep must
# report the cycle the rule prevents, and rebuild the debug kernel from the
# series, also when something fails or the run is interrupted. Both builds
# are incremental: one module changes. Run by make check (not with
# QUICK=1) after the debug kernel's own tests.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
one_at_a_time "lockdep negative control"
need_tree

patch=$WB_ROOT/tests/negative/requests-lockdep.patch
prog=$CACHE/programs/req-vim2m
[ -x "$prog" ] || die "no $prog" "Build the guest programs first: make programs"
out=$CACHE/logs/lockdep-negative
mkdir -p "$out"
# While build-debug holds the patched kernel, this file says so: vm.sh
# refuses to boot it for anything but this run, and build.sh removes it.
marker=$CACHE/build-debug/.wb-mutant
applied='' built=''

finish() {
	local rc=$?
	set +e
	trap - EXIT INT TERM HUP
	if [ -n "$applied" ] && ! wbgit -C "$TREE" apply -R "$patch"; then
		echo "ERROR: cannot take $patch back out of $TREE" >&2
		rc=1
	fi
	if [ -n "$built" ]; then
		log "rebuilding the debug kernel from the series" >&2
		if ! "$WB_ROOT/scripts/build.sh" debug > "$out/restore.build.log" 2>&1; then
			echo "ERROR: rebuilding the debug kernel failed: $out/restore.build.log" >&2
			rc=1
		fi
	fi
	exit "$rc"
}
trap finish EXIT
trap 'exit 143' INT TERM HUP

[ -z "$(wbgit -C "$TREE" status --porcelain --untracked-files=no)" ] ||
	die "$TREE has uncommitted changes" \
	    "Commit or stash them: this run changes and restores a file there."
wbgit -C "$TREE" apply "$patch" ||
	die "$patch does not apply" "The series changed: update the patch."
applied=1 built=1
log "building the debug kernel without the rule"
"$WB_ROOT/scripts/build.sh" debug > "$out/build.log" 2>&1 ||
	die "the debug kernel without the rule does not build: $out/build.log"
touch "$marker"
wbgit -C "$TREE" apply -R "$patch"
applied=''
WB_ALLOW_MUTANT=1 "$WB_ROOT/scripts/vm.sh" --kernel debug --timeout 900 \
	--add "$prog" --add "$WB_ROOT/tests/vm/requests-lockdep.sh" -- requests-lockdep.sh
