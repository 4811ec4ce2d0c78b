# SPDX-License-Identifier: GPL-2.0
# Sourced by the guest test scripts (busybox sh): what the kernel itself
# found during a run. Each function prints what it measured and returns
# non-zero on a finding.

kmemleak=/sys/kernel/debug/kmemleak

# The series' KUnit suites, as module:suite; loading a module runs its
# suite, and debugfs keeps the KTAP report in kunit/SUITE/results.
kunit_suites="videobuf2-fence-kunit:videobuf2_release_fence v4l2-mem2mem-kunit:v4l2_mem2mem_release_fence"

# Forget what boot left behind: only leaks from here on count.
kmemleak_start() {
	[ -e "$kmemleak" ] || return 0
	echo scan > "$kmemleak"
	echo clear > "$kmemleak"
}

kmemleak_check() {
	[ -e "$kmemleak" ] || { echo "kmemleak: not in this kernel"; return 0; }
	# Objects must be older than kmemleak's minimum age to be reported.
	sleep 6
	echo scan > "$kmemleak"
	echo scan > "$kmemleak"
	leaks=$(grep -c 'unreferenced object' "$kmemleak")
	echo "kmemleak: $leaks unreferenced objects"
	[ "$leaks" = 0 ] || { cat "$kmemleak"; return 1; }
}

# Lockdep, KASAN, WARN and BUG reports in the kernel log; lockdep switches
# itself off after its first report, so it must still be on.
kernel_reports() {
	reports=$(dmesg | grep -E 'WARNING:|BUG:|KASAN:|Oops|INFO: lockdep|possible circular locking|inconsistent lock state|possible recursive locking|suspicious RCU usage|sleeping function called from invalid context')
	echo "kernel reports (lockdep/KASAN/WARN/BUG): $(printf '%s' "$reports" | grep -c .)"
	[ -z "$reports" ] || { dmesg; return 1; }
	[ -f /proc/lockdep_stats ] || return 0
	grep 'debug_locks' /proc/lockdep_stats
	grep -q 'debug_locks: *1$' /proc/lockdep_stats || { echo "lockdep is off"; return 1; }
}
