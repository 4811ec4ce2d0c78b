#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side (busybox sh): the videobuf2 and v4l2-mem2mem KUnit suites and
# the release fence kselftest on vim2m, then its negative controls
# (selftest-expect.sh negative: with vim2m's release fences off, every
# release fence test must fail; negative-waits: with its fence waits off,
# every test that shows a wait must fail). With --debug (debug kernel),
# instead of the negative controls, vim2m's v4l2-compliance streaming MMAP
# and DMABUF buffers imported from vivid. Then a kmemleak scan (where
# built in) and a scan of the kernel log: any lockdep, KASAN, kmemleak or
# WARN report fails the run.
debug=${1:-}
rc=0
modprobe vim2m || { echo "FAIL: modprobe vim2m"; exit 1; }
. "$(dirname "$0")/kernel-checks.sh"
kmemleak_start

kunit_suite() { # module suite
	modprobe "$1" || { echo "FAIL: modprobe $1"; rc=1; return; }
	results=/sys/kernel/debug/kunit/$2/results
	[ -r "$results" ] || { echo "FAIL: no KUnit results at $results"; rc=1; rmmod "$1"; return; }
	cat "$results" | tee "/tmp/kunit-$2.log"
	cases_ok=$(grep -c '^    ok [0-9]' "/tmp/kunit-$2.log")
	cases_bad=$(grep -c -e '^    not ok [0-9]' -e '# SKIP' "/tmp/kunit-$2.log")
	echo "KUnit $2: $cases_ok cases passed, $cases_bad failed or skipped"
	if [ "$cases_ok" -lt 1 ] || [ "$cases_bad" != 0 ] ||
	   ! grep -q "^ok [0-9]* $2" "/tmp/kunit-$2.log"; then
		echo "FAIL: KUnit suite $2"
		rc=1
	fi
	rmmod "$1"
}
for m in $kunit_suites; do
	kunit_suite "${m%%:*}" "${m#*:}"
done

# A skipped test proves nothing here: every prerequisite is in the guest.
vb2_release_fence_test 2>&1 | tee /tmp/selftest.log
grep -q '^# Totals: pass:[0-9]* fail:0 xfail:0 xpass:0 skip:0 error:0' /tmp/selftest.log ||
	{ echo "FAIL: the selftest failed or skipped tests"; rc=1; }

if [ "$debug" = --debug ]; then
	# Streaming through the fenced paths under lockdep, with both memory
	# types: MMAP, and DMABUF imported from vivid's capture node, which
	# must be at least as large as vim2m's buffers.
	modprobe vivid n_devs=1 || { echo "FAIL: modprobe vivid"; rc=1; }
	for d in /sys/class/video4linux/video*; do
		case "$(cat "$d/name")" in
		vim2m) vim2m=/dev/${d##*/} ;;
		vivid-000-vid-cap) vivid=/dev/${d##*/} ;;
		esac
	done
	v4l2-ctl -d "$vivid" -v width=1280,height=720,pixelformat=YUYV ||
		{ echo "FAIL: setting vivid's capture format"; rc=1; }
	v4l2-compliance -d "$vim2m" -s5 -e "$vivid" > /tmp/compliance.log 2>&1
	grep '^Total for' /tmp/compliance.log
	grep -q '^Total for.*Failed: 0,' /tmp/compliance.log ||
		{ cat /tmp/compliance.log; rc=1; }
	grep -q 'test DMABUF.*: OK' /tmp/compliance.log ||
		{ echo "FAIL: v4l2-compliance streamed no DMABUF buffers"; rc=1; }
else
	selftest-expect.sh negative || rc=1
	selftest-expect.sh negative-waits || rc=1
fi
kmemleak_check || rc=1
kernel_reports || rc=1
exit $rc
