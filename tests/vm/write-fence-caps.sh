#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side (busybox sh): the uAPI of write fences (patches 64-67), with
# write-fence-caps (tests/vm/write-fence-caps.c).
#   write-fence-caps.sh series   V4L2_BUF_CAP_SUPPORTS_WRITE_FENCES exactly
#       on the capture queues of vim2m, vicodec's stateless decoder and
#       visl, whatever the memory type; nowhere with their release_fences=0
#       (contexts opened after the change); V4L2_BUF_FLAG_NO_WRITE_FENCE on
#       the buffers of the jobs that run unfenced (vim2m's one-device rule,
#       visl's held capture buffer) and on no others;
#       V4L2_BUF_CAP_SUPPORTS_FENCE_WAITS on both queues of vim2m, with
#       its release_fences=1 and 0, and nowhere else
#   write-fence-caps.sh base     the base kernel: the capabilities nowhere,
#       no buffer flagged, the same flows running to the end
# Then a scan of the kernel log. Exits 1 on any failed check; the last line
# is "write-fence-caps: all passed" or "write-fence-caps: FAILED".
# From the host, with the program built by scripts/programs.sh:
#   bash scripts/vm.sh [--kernel /abs/build-base] \
#       --add ~/.cache/vb2fence/programs/write-fence-caps \
#       --add tests/vm/write-fence-caps.sh --add tests/vm/kernel-checks.sh \
#       -- write-fence-caps.sh series|base
mode=${1:-}
case "$mode" in
series|base) ;;
*) echo "usage: write-fence-caps.sh series|base" >&2; exit 2 ;;
esac
rc=0
failed() { echo "FAIL: $*"; rc=1; }

. "$(dirname "$0")/kernel-checks.sh"
. "$(dirname "$0")/nodes.sh"

# run NAME CMD...: the checks of one write-fence-caps run
run() {
	echo "=== $1"
	shift
	write-fence-caps "$@" || failed "write-fence-caps $*"
}

for m in vim2m vicodec visl vivid; do
	modprobe "$m" || { echo "FAIL: modprobe $m"; echo "write-fence-caps: FAILED"; exit 1; }
done
dmesg -n 5
vim2m=$(node vim2m) || failed "no vim2m node"
vmedia=$(media_of vim2m) || failed "no vim2m media device"
sdec=$(node stateless-decoder) || failed "no vicodec stateless-decoder node"
dec=$(node stateful-decoder) || failed "no vicodec stateful-decoder node"
enc=$(node stateful-encoder) || failed "no vicodec stateful-encoder node"
visl=$(node visl) || failed "no visl node"
vcap=$(node vivid-000-vid-cap) || failed "no vivid capture node"
vout=$(node vivid-000-vid-out) || failed "no vivid output node"
[ "$rc" = 0 ] || { echo "write-fence-caps: FAILED"; exit 1; }
not_fenced="-n $dec -n $enc -n $vcap -n $vout"

# The opt-ins of the three drivers: 1 (Y) by default; a context keeps
# what it had when it was opened. The base kernel has none.
params=
for m in vim2m vicodec visl; do
	p=/sys/module/$m/parameters/release_fences
	if [ -e "$p" ]; then
		params="$params $p"
		echo "$m: release_fences=$(cat "$p")"
	else
		echo "$m: no release_fences parameter (base kernel): not written"
		[ "$mode" = base ] || failed "$m has no release_fences parameter"
	fi
done

if [ "$mode" = series ]; then
	for p in $params; do
		[ "$(cat "$p")" = Y ] || failed "$p is $(cat "$p"), not the default Y"
	done
	# vim2m also waits for the fences of its buffers (wait_fences=Y)
	[ "$(cat /sys/module/vim2m/parameters/wait_fences)" = Y ] ||
		failed "vim2m's wait_fences is not the default Y"
	run "capability, release_fences=1" caps -F "$vim2m" -f "$sdec" -f "$visl" $not_fenced
	waits=/sys/module/vim2m/parameters/wait_fences
	echo 0 > "$waits"
	[ "$(cat "$waits")" = N ] || failed "$waits did not turn off"
	run "capability, vim2m's wait_fences=0" caps -f "$vim2m"
	echo 1 > "$waits"
	[ "$(cat "$waits")" = Y ] || failed "$waits was not restored to Y"
	for p in $params; do
		echo 0 > "$p"
		[ "$(cat "$p")" = N ] || failed "$p did not turn off"
	done
	run "capability, release_fences=0 (contexts opened after the change)" \
		caps -w "$vim2m" -n "$sdec" -n "$visl" $not_fenced
	for p in $params; do
		echo 1 > "$p"
		[ "$(cat "$p")" = Y ] || failed "$p was not restored to Y"
	done
else
	run "capability (base kernel: nowhere)" \
		caps -n "$vim2m" -n "$sdec" -n "$visl" $not_fenced
fi

# Short jobs keep the run short under TCG; visl's must still last long
# enough for write-fence-caps to see a fence pending (vim2m's are set per
# context by write-fence-caps itself).
transtime=/sys/module/visl/parameters/visl_transtime_ms
old_transtime=$(cat "$transtime")
echo 100 > "$transtime"
run "a fenced vim2m job is not flagged" fenced "$mode" "$vim2m"
run "vim2m: one device, a context feeding requests that are not frozen" \
	perdev "$mode" "$vim2m" "$vmedia"
run "visl: a held capture buffer" hold "$mode" "$visl"
echo "$old_transtime" > "$transtime"
for p in $params; do
	[ "$(cat "$p")" = Y ] || failed "$p is $(cat "$p") after the runs, not Y"
done

echo "=== kernel log"
kernel_reports || failed "kernel reports"
if [ "$rc" = 0 ]; then
	echo "write-fence-caps: all passed"
else
	echo "write-fence-caps: FAILED"
fi
exit $rc
