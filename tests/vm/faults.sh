#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side (busybox sh): release fences on vim2m's exit paths and under
# stress. Runs fence-exit-paths (kselftest harness), fence-stress in random
# mode (seed 1, 10000 operations) and in soak mode (CYCLES frames), then,
# where the kernel has them, a kmemleak scan and a scan of the kernel log
# for lockdep, KASAN and WARN/BUG reports. Exits 1 on any failure.
#   faults.sh [CYCLES [--negative]]
#     CYCLES      soak frames, default 2000 (CI); 100000 for a full run
#     --negative  then the negative control: vim2m reloaded with
#                 release_fences=0, and each of the runs above must fail
#                 for want of fences
# From the host, with the two programs built static into $out:
#   bash scripts/vm.sh [--kernel debug --timeout 1800] \
#       --add "$out/fence-exit-paths" --add "$out/fence-stress" \
#       --add tests/vm/faults.sh --add tests/vm/kernel-checks.sh -- faults.sh [CYCLES]
cycles=${1:-2000}
negative=${2:-}
summary=/tmp/faults.summary
: > "$summary"
rc=0

note() { echo "$*" | tee -a "$summary"; }
failed() { note "FAIL: $*"; rc=1; }

# step NAME CMD...: runs CMD, notes its status and how long it took
step() {
	name=$1
	shift
	t0=$(cut -d. -f1 /proc/uptime)
	"$@"
	st=$?
	t=$(( $(cut -d. -f1 /proc/uptime) - t0 ))
	if [ "$st" = 0 ]; then note "ok: $name (${t} s)"; else failed "$name (exit $st, ${t} s)"; fi
	return "$st"
}

modprobe vim2m || { echo "FAIL: modprobe vim2m"; exit 1; }
. "$(dirname "$0")/kernel-checks.sh"
kmemleak_start

# A skipped test proves nothing here: every prerequisite is in the guest.
exit_paths() {
	fence-exit-paths 2>&1 | tee /tmp/exit-paths.log
	grep -q '^# Totals: pass:[0-9]* fail:0 xfail:0 xpass:0 skip:0 error:0' /tmp/exit-paths.log
}
step "exit paths (fence-exit-paths)" exit_paths
# The module unload test reloads vim2m; make sure it is there either way.
modprobe vim2m
# A foreign fence that never signals, where the device does not wait for
# it (what drivers without fence waits do): contexts opened with vim2m's
# wait_fences off.
waits_param=/sys/module/vim2m/parameters/wait_fences
foreign_unwaited() {
	echo N > "$waits_param" && [ "$(cat "$waits_param")" = N ] ||
		{ echo "cannot turn $waits_param off"; return 1; }
	fence-exit-paths -t foreign_write_fence_never_signals 2>&1 |
		tee /tmp/exit-foreign.log
	echo Y > "$waits_param"
	[ "$(cat "$waits_param")" = Y ] || { echo "$waits_param not back to Y"; return 1; }
	grep -q '^# Totals: pass:1 fail:0 xfail:0 xpass:0 skip:0 error:0' /tmp/exit-foreign.log &&
		grep -q 'kept over 3 frames' /tmp/exit-foreign.log
}
step "a foreign fence vim2m does not wait for (wait_fences=0)" foreign_unwaited
step "random operations (seed 1, 10000 ops)" fence-stress -s 1 -n 10000
step "soak ($cycles frames)" fence-stress -S "$cycles"

# must_fail NAME PATTERN CMD...: CMD must fail, and its output must show
# PATTERN, the check that needs a fence; any other failure is not the
# control's.
must_fail() {
	name=$1 pattern=$2
	shift 2
	"$@" > /tmp/negative.out 2>&1
	st=$?
	if [ "$st" != 0 ] && grep -q -e "$pattern" /tmp/negative.out &&
	   ! grep -q -e 'terminated by timeout' -e 'terminated unexpectedly' \
		-e 'operation hung' /tmp/negative.out; then
		note "ok: without fences, $name fails: $(grep -m1 -e "$pattern" /tmp/negative.out)"
		return 0
	fi
	cat /tmp/negative.out
	failed "without fences, $name (exit $st) did not fail on '$pattern'"
}

if [ "$negative" = --negative ]; then
	param=/sys/module/vim2m/parameters/release_fences
	rmmod vim2m
	modprobe vim2m release_fences=0
	if [ "$(cat "$param" 2>/dev/null)" = N ]; then
		must_fail "exit paths" '^# Totals: pass:0 fail:2 ' fence-exit-paths
		must_fail "random operations" 'no pending fence was ever observed' \
			fence-stress -s 1 -n 2000
		must_fail "the soak" 'resv holds 0 fences, not 1' \
			fence-stress -S 300
	else
		failed "negative control: $param is '$(cat "$param" 2>/dev/null)', not N"
	fi
fi

kmemleak_check > /tmp/kmemleak.out
st=$?
cat /tmp/kmemleak.out
if [ "$st" = 0 ]; then note "ok: $(tail -n 1 /tmp/kmemleak.out)"
else failed "$(grep '^kmemleak:' /tmp/kmemleak.out)"; fi
kernel_reports > /tmp/reports.out
st=$?
cat /tmp/reports.out
if [ "$st" = 0 ]; then note "ok: $(grep '^kernel reports' /tmp/reports.out)"
else failed "$(grep -e '^kernel reports' -e '^lockdep is off' /tmp/reports.out | tr '\n' ' ')"; fi
# Nothing here makes allocations fail: a fence that could not be published
# is a bug too.
n=$(dmesg | grep -c 'runs unfenced')
if [ "$n" = 0 ]; then note "ok: no unfenced-buffer warnings"
else dmesg | grep 'runs unfenced'; failed "$n unfenced-buffer warnings"; fi

echo "=== faults.sh summary ==="
cat "$summary"
[ "$rc" = 0 ] && echo "faults.sh: PASS" || echo "faults.sh: FAIL"
exit $rc
