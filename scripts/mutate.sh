#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Mutation run: apply each deliberate bug of tests/mutations/ to the series
# tree, build the x86 test kernel incrementally, run the KUnit suites and
# the kselftests on it in the guest (tests/vm/mutant.sh), and put the tree
# back. First the same run on the unmutated kernel must pass whole; then
# every mutation must make at least one of those tests fail (the
# kselftests run for a mutant only when no KUnit case caught it). Prints
# the table of which tests caught which mutation.
#   mutate.sh [NAME...]   default: every tests/mutations/[a-z]*.py
# Run by make check (not with QUICK=1), about 5 min here. Expects 'make
# build selftest' done; leaves the x86 kernel rebuilt from the unmutated
# tree, also when it fails or is interrupted.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
one_at_a_time "make mutate"
need_tree

dir=$WB_ROOT/tests/mutations
all=$(cd "$dir" && find . -maxdepth 1 -name '[a-z]*.py' | sed 's|^\./||; s/\.py$//' | sort)
[ -n "$all" ] || die "no mutations in $dir"
names=("$@")
[ ${#names[@]} -gt 0 ] || mapfile -t names <<< "$all"
for n in "${names[@]}"; do
	grep -qx -- "$n" <<< "$all" ||
		die "no mutation '$n'" "The mutations are: $(tr '\n' ' ' <<< "$all")"
done
kst=$CACHE/selftest/vb2_release_fence_test
rkst=$CACHE/selftest/vb2_request_fence_test
for b in "$kst" "$rkst"; do
	[ -x "$b" ] || die "no selftest binary at $b" "Run 'make selftest' first."
done
[ -z "$(wbgit -C "$TREE" status --porcelain --untracked-files=no)" ] ||
	die "$TREE has uncommitted changes" \
	    "Commit or stash them: the mutation run changes and restores files there."

out=$CACHE/mutations
mkdir -p "$out"
# While build-x86 holds a mutant, this file says so: vm.sh refuses to boot
# it for anything but this script, and build.sh removes it.
marker=$CACHE/build-x86/.wb-mutant
changed=() child='' mutant_built=''

# Runs a command in the background and waits, so that a signal can stop it.
run() { "$@" & child=$!; wait "$child"; local rc=$?; child=''; return $rc; }
restore_tree() {
	[ ${#changed[@]} = 0 ] || wbgit -C "$TREE" checkout -q -- "${changed[@]}"
	changed=()
}
finish() {
	local rc=$?
	# whatever fails here, the rest of the clean-up must still run
	set +e
	trap - EXIT INT TERM HUP
	[ -z "$child" ] || { kill "$child" 2>/dev/null; wait "$child" 2>/dev/null; }
	restore_tree
	if [ -n "$mutant_built" ]; then
		log "rebuilding the x86 kernel from the unmutated tree" >&2
		if "$WB_ROOT/scripts/build.sh" x86 > "$out/restore.build.log" 2>&1; then
			rm -f "$marker"
		else
			echo "ERROR: rebuilding the unmutated kernel failed: $out/restore.build.log" >&2
			rc=1
		fi
	fi
	exit "$rc"
}
trap finish EXIT
trap 'exit 143' INT TERM HUP

# guest run of the current build-x86: console log to $1; the kselftest of
# request-fed jobs runs too with "requests" (the baseline, and the mutations
# whose script says "# guest: requests": it adds about 15 s), and the fence
# wait tests with "waits" (the baseline, and "# guest: waits"); with "all"
# (the baseline) the kselftests run even when a KUnit case failed
guest() { # LOG [requests] [waits] [all]
	local log=$1 adds=(--add "$kst") args=()
	shift
	for what in "$@"; do
		case "$what" in
		requests) adds+=(--add "$rkst") ;;
		waits|all) args+=("$what") ;;
		esac
	done
	WB_ALLOW_MUTANT=1 run "$WB_ROOT/scripts/vm.sh" --timeout 300 "${adds[@]}" \
		--add "$WB_ROOT/tests/vm/mutant.sh" --add "$WB_ROOT/tests/vm/kernel-checks.sh" \
		-- mutant.sh "${args[@]}" > "$log" 2>&1 ||
		echo "guest exit $?" >> "$log"
}
# what the guest runs for mutation $1 besides the default, from its script
guest_extras() { # NAME
	sed -n 's/^# guest: \(requests\|waits\)$/\1/p' "$dir/$1.py"
}
# the tests that failed, one line, or nothing; dies on a broken run
caught_in() { # CONSOLE_LOG
	if ! grep -q '^MUTANT-DONE' "$1" || grep -q '^MUTANT-ERROR' "$1"; then
		die "the guest run did not complete: $(grep -m1 -e '^MUTANT-ERROR' -e '^guest exit' "$1" || echo 'no MUTANT-DONE')" \
		    "Console log: $1"
	fi
	sed -n 's/^CAUGHT-BY //p' "$1" | tr -d '\r' | paste -sd, - | sed 's/,/, /g'
}

if [ -e "$marker" ]; then
	log "build-x86 holds a mutant of an interrupted run: rebuilding it"
	mutant_built=1
	run "$WB_ROOT/scripts/build.sh" x86 > "$out/restore.build.log" 2>&1 ||
		die "rebuilding the unmutated kernel failed: $out/restore.build.log"
	mutant_built=''
fi
log "the unmutated kernel first: every test must pass"
guest "$out/baseline.console.log" requests waits all
base=$(caught_in "$out/baseline.console.log")
[ -z "$base" ] || die "tests fail on the unmutated kernel: $base" \
	"A mutation run proves nothing then; console log: $out/baseline.console.log"

table=$out/table.md
printf '| mutation | caught by |\n|---|---|\n' > "$table"
missed=0
for n in "${names[@]}"; do
	log "mutation $n"
	files=$(python3 -B "$dir/$n.py" "$TREE") ||
		die "mutation $n does not apply (above)"
	mapfile -t changed <<< "$files"
	mutant_built=1
	run "$WB_ROOT/scripts/build.sh" x86 > "$out/$n.build.log" 2>&1 ||
		die "the kernel with mutation $n does not build: $out/$n.build.log" \
		    "A mutation that does not build proves nothing: fix tests/mutations/$n.py."
	touch "$marker"
	restore_tree
	mapfile -t extras < <(guest_extras "$n")
	guest "$out/$n.console.log" "${extras[@]}"
	caught=$(caught_in "$out/$n.console.log")
	if [ -z "$caught" ]; then
		missed=$((missed + 1))
		caught="**missed**"
	fi
	printf '| %s | %s |\n' "$n" "$caught" >> "$table"
	echo "  $n: $caught"
done
[ -z "$(wbgit -C "$TREE" status --porcelain --untracked-files=no)" ] ||
	die "the tree was not put back: $(wbgit -C "$TREE" status --short | head -3)"
echo
cat "$table"
[ "$missed" = 0 ] || die "$missed mutation(s) went unnoticed (table: $table)"
