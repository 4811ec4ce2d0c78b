#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side (busybox sh): a real in-kernel consumer of the release fence.
# kms-flip flips vkms to a vim2m capture buffer right after the QBUF that
# commits the job writing it, with vim2m release_fences=1 (the flip must
# wait for the job) and release_fences=0 (it must not), then prints what it
# measured. Fails if either run fails, kmemleak (where built in) finds a
# leak, or the kernel log has a lockdep, KASAN or WARN report.
#   kms.sh [JOB_MS]    vim2m's job time, default 400
job_ms=${1:-400}
rc=0

modprobe vkms || { echo "FAIL: modprobe vkms"; exit 1; }
. "$(dirname "$0")/kernel-checks.sh"
kmemleak_start
for rf in 1 0; do
	rmmod vim2m 2>/dev/null
	if ! modprobe vim2m release_fences=$rf; then
		echo "FAIL: modprobe vim2m release_fences=$rf"
		rc=1
		continue
	fi
	# a negative control that silently runs the positive case proves nothing
	want=Y
	[ "$rf" = 1 ] || want=N
	got=$(cat /sys/module/vim2m/parameters/release_fences 2>/dev/null)
	if [ "$got" != "$want" ]; then
		echo "FAIL: vim2m release_fences is '$got' after loading it with $rf"
		rc=1
		continue
	fi
	echo "=== kms-flip, vim2m release_fences=$rf"
	kms-flip -t "$job_ms" > /tmp/kms-$rf.log 2>&1
	st=$?
	cat /tmp/kms-$rf.log
	[ $st = 0 ] || { echo "FAIL: kms-flip exited with $st"; rc=1; }
done
rmmod vim2m 2>/dev/null

# RESULT key=value ... lines as a table; times in ms from the QBUF that
# commits the job, flip-done = flip vblank minus the fence signal (or the
# DQBUF when there is no fence).
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }
echo
echo "=== summary (job ${job_ms} ms; ms after the committing QBUF)"
printf '%-14s %7s %8s %8s %8s %10s  %-10s %s\n' release_fences commit \
	flip signal dqbuf flip-done "1st frame" "torn frames"
for rf in 1 0; do
	line=$(grep '^RESULT ' /tmp/kms-$rf.log 2>/dev/null)
	[ -n "$line" ] || { printf '%-14s (no result)\n' "$rf"; continue; }
	printf '%-14s %7s %8s %8s %8s %10s  %-10s %s\n' "$rf" \
		"$(echo "$line" | field commit)" \
		"$(echo "$line" | field flip)" \
		"$(echo "$line" | field signal)" \
		"$(echo "$line" | field dqbuf)" \
		"$(echo "$line" | field flip_minus_done)" \
		"$(echo "$line" | field shown)" \
		"$(echo "$line" | field torn)"
done

kmemleak_check || rc=1
kernel_reports || rc=1
[ $rc = 0 ] && echo "PASS: kms.sh" || echo "FAIL: kms.sh"
exit $rc
