#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side (busybox sh): the videobuf2 KUnit suite and the release fence
# kselftest on vim2m; with --debug (debug kernel) also vim2m's
# v4l2-compliance. Then a kmemleak scan (where built in) and a scan of the
# kernel log: any lockdep, KASAN, kmemleak or WARN report fails the run.
debug=${1:-}
rc=0
modprobe vim2m || { echo "FAIL: modprobe vim2m"; exit 1; }
. "$(dirname "$0")/kernel-checks.sh"
kmemleak_start

# KUnit: loading the module runs the suite; debugfs keeps its KTAP report.
suite=videobuf2_release_fence
modprobe videobuf2-fence-kunit || { echo "FAIL: modprobe videobuf2-fence-kunit"; exit 1; }
results=/sys/kernel/debug/kunit/$suite/results
cat "$results" | tee /tmp/kunit.log
cases_ok=$(grep -c '^    ok [0-9]' /tmp/kunit.log)
cases_bad=$(grep -c -e '^    not ok [0-9]' -e '# SKIP' /tmp/kunit.log)
echo "KUnit $suite: $cases_ok cases passed, $cases_bad failed or skipped"
if [ "$cases_ok" -lt 1 ] || [ "$cases_bad" != 0 ] || ! grep -q "^ok [0-9]* $suite" /tmp/kunit.log; then
	echo "FAIL: KUnit suite $suite"
	rc=1
fi
rmmod videobuf2-fence-kunit

# A skipped test proves nothing here: every prerequisite is in the guest.
vb2_release_fence_test 2>&1 | tee /tmp/selftest.log
grep -q '^# Totals: pass:[0-9]* fail:0 xfail:0 xpass:0 skip:0 error:0' /tmp/selftest.log ||
	{ echo "FAIL: the selftest failed or skipped tests"; rc=1; }

if [ "$debug" = --debug ]; then
	# Streaming through the fenced paths under lockdep, with both memory
	# types: MMAP and DMABUF imported from vivid's capture node.
	for d in /sys/class/video4linux/video*; do
		[ "$(cat "$d/name")" = vim2m ] && vim2m=/dev/${d##*/}
	done
	v4l2-compliance -d "$vim2m" -s5 > /tmp/compliance.log 2>&1
	grep '^Total for' /tmp/compliance.log
	grep -q '^Total for.*Failed: 0,' /tmp/compliance.log ||
		{ cat /tmp/compliance.log; rc=1; }
fi
kmemleak_check || rc=1
kernel_reports || rc=1
exit $rc
