#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side (busybox sh): the release fence kselftest where it must not
# pass, so that its passes elsewhere mean something.
#   selftest-expect.sh old-kernel   on the base kernel: vim2m has no
#                                   release_fences parameter, so every test
#                                   must skip, saying so
#   selftest-expect.sh negative     vim2m reloaded with release_fences=0,
#                                   checked by reading the parameter back,
#                                   and VB2_FENCE_NEGATIVE_CONTROL=1: every
#                                   test must run and fail
# Exits 0 only if every test ended as expected, and only then prints
# "selftest-expect: MODE: as expected" (check.sh looks for that line).
mode=${1:-}
log=/tmp/selftest-$mode.log
param=/sys/module/vim2m/parameters/release_fences

case "$mode" in
old-kernel)
	modprobe vim2m || { echo "FAIL: modprobe vim2m"; exit 1; }
	[ -e "$param" ] && { echo "FAIL: this kernel's vim2m has $param"; exit 1; }
	vb2_release_fence_test > "$log" 2>&1
	want_skip="vim2m has no release_fences parameter (old kernel)"
	;;
negative)
	rmmod vim2m 2>/dev/null
	modprobe vim2m release_fences=0 || { echo "FAIL: modprobe vim2m release_fences=0"; exit 1; }
	[ "$(cat "$param")" = N ] || { echo "FAIL: $param reads '$(cat "$param")', not N"; exit 1; }
	VB2_FENCE_NEGATIVE_CONTROL=1 vb2_release_fence_test > "$log" 2>&1
	want_skip=
	;;
*)
	echo "usage: selftest-expect.sh old-kernel|negative" >&2
	exit 2
	;;
esac

grep -E '^(ok|not ok) |^# Totals' "$log"
# the check each failed test failed on, to be read in the log
grep -E '^# .*:(Expected|.* FAIL)' "$log" | sed 's|^# [^ ]*/||' | head -n 40
tests=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$log")
passed=$(grep -c '^ok [0-9]* [^#]*$' "$log")
failed=$(grep -c '^not ok ' "$log")
skipped=$(grep -c '^ok [0-9]* .*# SKIP' "$log")
skip_why=$(grep -c "^ok [0-9]* .*# SKIP $want_skip\$" "$log")
echo "selftest ($mode): $tests tests: $passed passed, $failed failed, $skipped skipped"
if [ -z "$tests" ] || [ "$tests" -lt 1 ]; then
	cat "$log"; echo "FAIL: no test plan in the output"; exit 1
fi
totals="^# Totals: pass:0 fail:[0-9]* xfail:0 xpass:0 skip:[0-9]* error:0\$"
if ! grep -q "$totals" "$log"; then
	cat "$log"; echo "FAIL: no clean Totals line (errors, or tests passed)"; exit 1
fi
# a test that hung or crashed failed, but not on a check
if grep -q -e 'terminated by timeout' -e 'terminated unexpectedly' "$log"; then
	cat "$log"; echo "FAIL: a test timed out or crashed"; exit 1
fi
if [ "$mode" = old-kernel ]; then
	[ "$skipped" = "$tests" ] && [ "$skip_why" = "$tests" ] &&
		{ echo "selftest-expect: $mode: as expected"; exit 0; }
	cat "$log"; echo "FAIL: expected all $tests tests skipped with '$want_skip'"
else
	[ "$failed" = "$tests" ] &&
		{ echo "selftest-expect: $mode: as expected"; exit 0; }
	cat "$log"; echo "FAIL: expected all $tests tests to fail without fences"
fi
exit 1
