#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side (busybox sh), debug kernel built with
# tests/negative/requests-lockdep.patch: the negative control of the
# one-device rule for jobs fed by requests. Without the rule, a context
# whose requests are not frozen runs its jobs, which apply the request
# under the control handler lock, on the signalling path of another
# context's published fences (req-vim2m -m sets that up on vim2m), and
# lockdep must report the cycle that made the rule necessary:
# dma_fence_map -> hdl->_lock -> fs_reclaim -> dma_fence_map.
# Prints "requests-lockdep: reproduced" and exits 0 only then.
node() { # the /dev node of the first device under $1 whose $2 is $3
	for d in "$1"/*; do
		[ "$(cat "$d/$2" 2>/dev/null)" = "$3" ] && { echo "/dev/${d##*/}"; return 0; }
	done
	return 1
}
modprobe vim2m || { echo "FAIL: modprobe vim2m"; exit 1; }
[ -f /proc/lockdep_stats ] || { echo "FAIL: this kernel has no lockdep"; exit 1; }
v=$(node /sys/class/video4linux name vim2m) || { echo "FAIL: no vim2m node"; exit 1; }
m=$(node /sys/bus/media/devices model vim2m) || { echo "FAIL: no vim2m media device"; exit 1; }
# its own verdict does not matter here: the rule it checks is gone
req-vim2m -m "$v" "$m" > /tmp/req-vim2m-m.log 2>&1
report=$(dmesg | grep -A60 'possible circular locking dependency detected')
if [ -n "$report" ] &&
   printf '%s\n' "$report" | grep -q '(hdl)->_lock' &&
   printf '%s\n' "$report" | grep -q 'dma_fence_map' &&
   printf '%s\n' "$report" | grep -q 'fs_reclaim'; then
	printf '%s\n' "$report" | grep -E 'trying to acquire|already holding|^-> #'
	echo "requests-lockdep: reproduced"
	exit 0
fi
dmesg | tail -n 80
cat /tmp/req-vim2m-m.log
echo "FAIL: no lockdep report of hdl->_lock against dma_fence_map and fs_reclaim"
exit 1
