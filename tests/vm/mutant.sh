#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side (busybox sh) of scripts/mutate.sh: run the two KUnit suites,
# the release fence kselftest (without its 1500-round concurrency test, and
# without its fence wait tests unless the argument "waits" is given) and
# the kselftest of request-fed jobs, and print "CAUGHT-BY <test>" for each
# test that failed, as soon as it fails. A mutant a KUnit case caught is
# caught: the kselftests (20 s and more of guest time) then run only with
# the argument "all" (the baseline, which must pass all of them).
#   mutant.sh [all] [waits]
# Anything that keeps the tests from running is "MUTANT-ERROR <what>", never
# a catch; "MUTANT-DONE" ends a complete run.
echo 1 > /proc/sys/kernel/printk	# keep kernel messages off our lines
mount | grep -q ' /sys/kernel/debug ' || mount -t debugfs none /sys/kernel/debug
kst=vb2_release_fence_test
command -v $kst >/dev/null || { echo "MUTANT-ERROR no $kst in the guest"; exit 0; }
$kst -l 2>&1 | grep -q commit_races_completion ||
	echo "MUTANT-ERROR no commit_races_completion test to leave out"
modprobe vim2m || { echo "MUTANT-ERROR modprobe vim2m"; exit 0; }
. "$(dirname "$0")/kernel-checks.sh"
all='' waits='-F vb2_fence_wait'
for arg in "$@"; do
	case "$arg" in
	all) all=1 ;;
	# the fence wait tests add a few seconds: only where asked for
	waits) waits= ;;
	esac
done
if [ -n "$all$(echo "$@" | grep -w waits)" ] &&
   ! $kst -l 2>&1 | grep -q vb2_fence_wait; then
	echo "MUTANT-ERROR no fence wait tests (vb2_fence_wait) in $kst"
fi
kunit_caught=
for m in $kunit_suites; do
	mod=${m%%:*} suite=${m#*:}
	results=/sys/kernel/debug/kunit/$suite/results
	modprobe "$mod" && [ -r "$results" ] ||
		{ echo "MUTANT-ERROR KUnit suite $suite did not run"; continue; }
	sed -n "s/^    not ok [0-9]* \(.*\)/CAUGHT-BY kunit:$suite.\1/p" "$results"
	grep -q '^    not ok [0-9]' "$results" && kunit_caught=1
	# why, for the reader of the console log
	grep -E 'FAILED at|Expected' "$results" | head -n 10 | sed 's/^ */MUTANT-LOG /'
	rmmod "$mod"
done
if [ -n "$kunit_caught" ] && [ -z "$all" ]; then
	echo "MUTANT-LOG caught by KUnit: the kselftests are not run"
	echo MUTANT-DONE
	exit 0
fi
# shellcheck disable=SC2086 # the filter is two words or none
$kst -T commit_races_completion $waits 2>&1 | tee /tmp/kst.log |
	sed -n 's/^not ok [0-9]* \(.*\)/CAUGHT-BY kselftest:\1/p'
grep '^# Totals' /tmp/kst.log || echo "MUTANT-ERROR the kselftest did not finish"
# why the failed tests failed, for the reader of the console log
grep -E '^# .*(Expected|FAIL)' /tmp/kst.log | head -n 20 | sed 's/^/MUTANT-LOG /'
# request-fed jobs, on vicodec's stateless decoder, where mutate.sh added
# the test (the baseline and the mutations of the request paths)
rkst=vb2_request_fence_test
if ! command -v $rkst >/dev/null; then
	echo "MUTANT-LOG $rkst not run for this mutation"
elif ! modprobe vicodec; then
	echo "MUTANT-ERROR modprobe vicodec"
else
	$rkst 2>&1 | tee /tmp/rkst.log |
		sed -n 's/^not ok [0-9]* \(.*\)/CAUGHT-BY kselftest:\1/p'
	grep '^# Totals' /tmp/rkst.log ||
		echo "MUTANT-ERROR the request kselftest did not finish"
	grep -E '^# .*(Expected|FAIL)' /tmp/rkst.log | head -n 10 | sed 's/^/MUTANT-LOG /'
fi
dmesg | grep -E 'runs unfenced|callbacks suppressed' | head -n 5 | sed 's/^/MUTANT-LOG /'
echo MUTANT-DONE
