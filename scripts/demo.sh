#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The main job: boot the series kernel in QEMU and show what a consumer of a
# vim2m CAPTURE buffer sees, with vim2m's opt-in off and on, then run the
# release fence selftest. Expects 'make import build guest selftest' done
# (make demo does that first).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out=$CACHE/demo
mkdir -p "$out"
log "building tools/fence-timeline"
gcc -O2 -Wall -Wextra -static -o "$out/fence-timeline" "$WB_ROOT/tools/fence-timeline.c"
cat > "$out/demo-guest.sh" <<'GUEST'
#!/bin/sh
dmesg -n 1
for fences in 0 1; do
	modprobe vim2m release_fences=$fences
	echo
	echo "=== vim2m release_fences=$fences"
	fence-timeline -n 6 -t 100 | tee /tmp/timeline-$fences
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
echo
echo "=== release fence selftest"
modprobe vim2m
vb2_release_fence_test 2>&1 | grep -E '^(ok|not ok|# Totals)'
GUEST
chmod +x "$out/demo-guest.sh"
log "booting the series kernel in QEMU (TCG: about a minute)"
"$WB_ROOT/scripts/vm.sh" --timeout 600 --add "$out/fence-timeline" \
	--add "$CACHE/selftest/vb2_release_fence_test" --add "$out/demo-guest.sh" \
	-- demo-guest.sh | tee "$out/console.log" | sed -n '/^=== /,/^WB-EXIT/p' | grep -v '^WB-EXIT'
