#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The main job: boot the series kernel in QEMU and show what a consumer of a
# vim2m CAPTURE buffer sees, with vim2m's opt-in off and on: fence-timeline
# (poll on the dma-buf, EXPORT_SYNC_FILE) and kms-flip (a vkms atomic flip),
# then the release fence selftest, and the other direction: when vim2m's job
# starts, and what it reads, with a GPU-like producer's fence released N ms
# after QBUF, vim2m's fence waits off and on (wait-demo); draw the timeline
# as SVG and PNG.
# Expects 'make import build guest selftest' done
# (make demo does that first).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
one_at_a_time "make demo"

out=$CACHE/demo
mkdir -p "$out"
# The guest programs (fence-timeline, kms-flip), built against the series'
# uapi headers.
"$WB_ROOT/scripts/programs.sh" > "$out/programs.log" 2>&1 ||
	{ cat "$out/programs.log"; die "building the guest programs failed"; }
bin=$CACHE/programs
cat > "$out/demo-guest.sh" <<'GUEST'
#!/bin/sh
dmesg -n 1
for fences in 0 1; do
	modprobe vim2m release_fences=$fences
	echo
	echo "=== vim2m release_fences=$fences"
	fence-timeline -n 6 -t 100 -o /tmp/timeline-$fences.csv | tee /tmp/timeline-$fences
	rmmod vim2m
done
echo
echo "=== summary"
printf '%-22s %-28s %s\n' "vim2m opt-in" "real fence at commit" "consumer woke before the frame was done"
for fences in 0 1; do
	line=$(tail -n 1 /tmp/timeline-$fences)
	real=$(echo "$line" | sed -n 's/.*: \([0-9]*\/[0-9]*\) frames had.*/\1/p')
	early=$(echo "$line" | sed -n 's/.*done in \([0-9]*\/[0-9]*\)$/\1/p')
	[ $fences = 0 ] && what="off (as before)" || what="on (this series)"
	printf '%-22s %-28s %s\n' "$what" "$real" "$early"
done
# Kernel events from tracefs (fence published, job start, fence signalled)
# beside what the consumer saw, from fence-timeline's CSV.
for fences in 0 1; do
	echo
	echo "=== events, release_fences=$fences (ms after the committing QBUF; - = none)"
	awk -F, 'NR == 2 { next } NR > 1 && NR <= 5 {
		for (i = 8; i <= 14; i++) if ($i == "") $i = "-"
		printf "%5s %10s %10s %10s %10s %10s %10s\n", $1, $8, $9, $11, $12, $13, $14
	} NR == 1 { printf "%5s %10s %10s %10s %10s %10s %10s\n", "frame", "published", "job start", "signalled", "sync_file", "dma-buf", "DQBUF" }' /tmp/timeline-$fences.csv
done
echo
echo "=== a KMS consumer: vkms flips to the buffer right after the committing QBUF"
echo "(the buffer is written by the second of two 400 ms jobs; ms after the QBUF that"
echo " commits it; flip-done: the flip's vblank minus the fence signal, or minus DQBUF"
echo " without a fence; 1st frame: what vkms' CRC says the first frame after the flip was)"
kms.sh 2>&1 | sed -n '/^=== summary/,$p' | sed 1d
echo
echo "=== release fence selftest"
modprobe vim2m
vb2_release_fence_test 2>&1 | grep -E '^(ok|not ok|# Totals)'
echo
echo "=== the other direction: vim2m reads a buffer a GPU-like producer renders"
echo "(a sw_sync fence in the OUTPUT buffer's dma-buf, released N ms after the QBUF"
echo " that commits the job, once the frame is written; 10 ms jobs)"
wait-demo
# For the picture (kept off the terminal by the host).
cat /tmp/timeline-0.csv /tmp/timeline-1.csv
GUEST
chmod +x "$out/demo-guest.sh"
log "booting the series kernel in QEMU (TCG: about a minute)"
"$WB_ROOT/scripts/vm.sh" --timeout 600 --add "$bin/fence-timeline" --add "$bin/kms-flip" \
	--add "$WB_ROOT/tests/vm/kms.sh" --add "$WB_ROOT/tests/vm/kernel-checks.sh" \
	--add "$CACHE/selftest/vb2_release_fence_test" --add "$bin/wait-demo" \
	--add "$out/demo-guest.sh" -- demo-guest.sh | tee "$out/console.log" |
	sed -n '/^=== /,/^WB-EXIT/p' | grep -v -e '^WB-EXIT' -e '^# fence-timeline' -e '^frame,' -e '^[0-9][0-9]*,'
log "drawing the timeline"
bash "$WB_ROOT/tools/plot-timeline.sh" -o "$out/timeline" --log "$out/console.log"
log "the picture: $out/timeline.svg and $out/timeline.png"
