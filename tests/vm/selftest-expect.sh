#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side (busybox sh): a release fence kselftest where it must not
# pass, so that its passes elsewhere mean something.
#   selftest-expect.sh old-kernel [DRIVER]
#        on the base kernel: DRIVER has no release_fences parameter, so
#        every test must skip, saying so
#   selftest-expect.sh negative [DRIVER]
#        DRIVER reloaded with release_fences=0, checked by reading the
#        parameter back, and VB2_FENCE_NEGATIVE_CONTROL=1: every test must
#        run and fail
# DRIVER: vim2m (default; vb2_release_fence_test) or vicodec
# (vb2_request_fence_test, request-fed jobs).
# Exits 0 only if every test ended as expected, and only then prints
# "selftest-expect: MODE: as expected" (vim2m) or
# "selftest-expect: MODE DRIVER: as expected" (check.sh looks for them).
mode=${1:-} driver=${2:-vim2m}
case "$driver" in
vim2m)   test=vb2_release_fence_test verdict=$mode ;;
vicodec) test=vb2_request_fence_test verdict="$mode $driver" ;;
*) echo "usage: selftest-expect.sh old-kernel|negative [vim2m|vicodec]" >&2; exit 2 ;;
esac
log=/tmp/selftest-$mode-$driver.log
param=/sys/module/$driver/parameters/release_fences

case "$mode" in
old-kernel)
	modprobe "$driver" || { echo "FAIL: modprobe $driver"; exit 1; }
	[ -e "$param" ] && { echo "FAIL: this kernel's $driver has $param"; exit 1; }
	"$test" > "$log" 2>&1
	want_skip="$driver has no release_fences parameter (old kernel)"
	;;
negative)
	rmmod "$driver" 2>/dev/null
	modprobe "$driver" release_fences=0 ||
		{ echo "FAIL: modprobe $driver release_fences=0"; exit 1; }
	[ "$(cat "$param")" = N ] || { echo "FAIL: $param reads '$(cat "$param")', not N"; exit 1; }
	VB2_FENCE_NEGATIVE_CONTROL=1 "$test" > "$log" 2>&1
	want_skip=
	;;
*)
	echo "usage: selftest-expect.sh old-kernel|negative [vim2m|vicodec]" >&2
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
echo "selftest $test ($mode): $tests tests: $passed passed, $failed failed, $skipped skipped"
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
		{ echo "selftest-expect: $verdict: as expected"; exit 0; }
	cat "$log"; echo "FAIL: expected all $tests tests skipped with '$want_skip'"
else
	[ "$failed" = "$tests" ] &&
		{ echo "selftest-expect: $verdict: as expected"; exit 0; }
	cat "$log"; echo "FAIL: expected all $tests tests to fail without fences"
fi
exit 1
