#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side (busybox sh): the exit paths of request-fed jobs in a loop, to
# catch races between close()/STREAMOFF and the end of a job that a single
# run hits only now and then (it found the use-after-free patch 1 fixes).
# Each iteration loads vicodec afresh and runs the kselftest's
# request_fence_exit tests (five closes and STREAMOFFs racing a job);
# stops at the first failure or kernel report. Not part of make check
# (about 10 s an iteration on the debug kernel):
#   bash scripts/vm.sh --kernel debug --timeout 1500 \
#	--add tests/vm/request-exit-loop.sh --add tests/vm/kernel-checks.sh \
#	--add ~/.cache/vb2fence/selftest/vb2_request_fence_test \
#	-- request-exit-loop.sh 30
#   request-exit-loop.sh [ITERATIONS]   default 20
n=${1:-20}
case "$n" in
''|*[!0-9]*|0) echo "FAIL: ITERATIONS must be a positive number, not '$n'"; exit 2 ;;
esac
. "$(dirname "$0")/kernel-checks.sh"
report='KASAN:|BUG:|WARNING:|Oops'
log=/tmp/exit-loop.log
i=0
while [ "$i" -lt "$n" ]; do
	i=$((i + 1))
	# a module that cannot be unloaded is a leaked reference: a finding
	if [ -d /sys/module/vicodec ]; then
		rmmod vicodec || { echo "FAIL: rmmod vicodec before iteration $i"; exit 1; }
	fi
	modprobe vicodec || { echo "FAIL: modprobe vicodec"; exit 1; }
	vb2_request_fence_test -f request_fence_exit > "$log" 2>&1
	rc=$?
	totals=$(grep '^# Totals' "$log")
	echo "iteration $i: ${totals:-no totals}"
	# The fixture's tests skip on a kernel without the series: then this
	# loop would test nothing, and must not pass.
	pass=$(echo "$totals" | sed -n 's/^# Totals: pass:\([0-9]*\).*/\1/p')
	if [ "$rc" != 0 ] || [ -z "$pass" ] || [ "$pass" = 0 ]; then
		cat "$log"
		echo "FAIL: iteration $i: the kselftest failed or ran no test (exit $rc)"
		exit 1
	fi
	if dmesg | grep -qE "$report"; then
		dmesg | grep -A 40 -E "$report" | head -n 80
		echo "FAIL: a kernel report in iteration $i"
		exit 1
	fi
done
kernel_reports || exit 1
echo "PASS: $n iterations with no kernel report"
