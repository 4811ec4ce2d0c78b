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
#        run and fail (for vim2m, the release fence tests: the fence wait
#        tests have their own mode)
#   selftest-expect.sh negative-waits
#        vim2m reloaded with wait_fences=0, and VB2_FENCE_NEGATIVE_CONTROL=1:
#        the fence wait tests (fixture vb2_fence_wait) run; those that show
#        a wait must fail, and only the three that show that nothing more is
#        waited for may pass, which they must
# DRIVER: vim2m (default; vb2_release_fence_test) or vicodec
# (vb2_request_fence_test, request-fed jobs).
# Exits 0 only if every test ended as expected, and only then prints
# "selftest-expect: MODE: as expected" (vim2m) or
# "selftest-expect: MODE DRIVER: as expected" (check.sh looks for them).
mode=${1:-} driver=${2:-vim2m}
case "$driver" in
vim2m)   test=vb2_release_fence_test verdict=$mode ;;
vicodec) test=vb2_request_fence_test verdict="$mode $driver" ;;
*) echo "usage: selftest-expect.sh old-kernel|negative|negative-waits [vim2m|vicodec]" >&2; exit 2 ;;
esac
log=/tmp/selftest-$mode-$driver.log
param=/sys/module/$driver/parameters/release_fences
# The fence wait tests (fixture vb2_fence_wait) also check the job's write
# fence while it waits; their negative control is negative-waits.
only_waits='-f vb2_fence_wait'
[ "$driver" = vim2m ] && not_waits='-F vb2_fence_wait' || not_waits=
# the fence wait tests that pass without waits: nothing more is waited for
may_pass='read_fence_on_output_does_not_hold fence_after_qbuf_not_waited
in_place_job_no_self_wait'
n_may_pass=$(echo "$may_pass" | wc -w)

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
	# shellcheck disable=SC2086 # the filter is two words or none
	VB2_FENCE_NEGATIVE_CONTROL=1 "$test" $not_waits > "$log" 2>&1
	want_skip=
	;;
negative-waits)
	[ "$driver" = vim2m ] || { echo "negative-waits is for vim2m" >&2; exit 2; }
	param=/sys/module/vim2m/parameters/wait_fences
	fences=/sys/module/vim2m/parameters/release_fences
	rmmod vim2m 2>/dev/null
	modprobe vim2m release_fences=1 wait_fences=0 ||
		{ echo "FAIL: modprobe vim2m release_fences=1 wait_fences=0"; exit 1; }
	[ "$(cat "$param")" = N ] || { echo "FAIL: $param reads '$(cat "$param")', not N"; exit 1; }
	[ "$(cat "$fences")" = Y ] || { echo "FAIL: $fences reads '$(cat "$fences")', not Y"; exit 1; }
	# shellcheck disable=SC2086
	VB2_FENCE_NEGATIVE_CONTROL=1 "$test" $only_waits > "$log" 2>&1
	{ rmmod vim2m && modprobe vim2m && [ "$(cat "$param")" = Y ]; } ||
		{ echo "FAIL: vim2m not reloaded with its defaults"; exit 1; }
	want_skip=
	;;
*)
	echo "usage: selftest-expect.sh old-kernel|negative|negative-waits [vim2m|vicodec]" >&2
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
[ "$mode" = negative-waits ] &&
	totals="^# Totals: pass:$n_may_pass fail:[0-9]* xfail:0 xpass:0 skip:0 error:0\$"
if ! grep -q "$totals" "$log"; then
	cat "$log"; echo "FAIL: no clean Totals line (errors, or tests passed)"; exit 1
fi
# a test that hung or crashed failed, but not on a check
if grep -q -e 'terminated by timeout' -e 'terminated unexpectedly' "$log"; then
	cat "$log"; echo "FAIL: a test timed out or crashed"; exit 1
fi
if [ "$mode" = negative-waits ]; then
	bad=0
	passed_tests=$(sed -n 's/^ok [0-9]* vb2_fence_wait\.\([a-z_]*\)$/\1/p' "$log")
	for t in $passed_tests; do
		echo " $may_pass " | tr '\n' ' ' | grep -q " $t " ||
			{ echo "FAIL: $t passed without waits"; bad=1; }
	done
	for t in $may_pass; do
		grep -q "^ok [0-9]* vb2_fence_wait\.$t\$" "$log" ||
			{ echo "FAIL: $t, which waits for nothing, did not pass"; bad=1; }
	done
	# at least one test that shows a wait, and each of them failed
	[ "$bad" = 0 ] && [ "$failed" -ge 1 ] && [ "$failed" = $((tests - n_may_pass)) ] &&
		{ echo "selftest-expect: $verdict: as expected"; exit 0; }
	cat "$log"; echo "FAIL: expected exactly the tests that show a wait to fail"
elif [ "$mode" = old-kernel ]; then
	[ "$skipped" = "$tests" ] && [ "$skip_why" = "$tests" ] &&
		{ echo "selftest-expect: $verdict: as expected"; exit 0; }
	cat "$log"; echo "FAIL: expected all $tests tests skipped with '$want_skip'"
else
	[ "$failed" = "$tests" ] &&
		{ echo "selftest-expect: $verdict: as expected"; exit 0; }
	cat "$log"; echo "FAIL: expected all $tests tests to fail without fences"
fi
exit 1
