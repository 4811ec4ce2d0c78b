#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side (busybox sh): v4l2-compliance with streaming on the virtual
# media drivers vim2m, vicodec, visl and vivid, plus a DMABUF import run.
# Run it from the host with:
#   bash scripts/vm.sh --add tests/vm/compliance.sh -- compliance.sh [FRAMES]
# FRAMES is the frame count of each streaming test (default 10: enough to
# exercise queueing and requeueing, small enough for TCG).
# Prints each run's Total line and a summary; exits 1 if any run failed,
# printed no Total line, or the kernel logged a warning or BUG.
frames=${1:-10}
logs=/tmp/compliance
mkdir -p "$logs"
summary=$logs/summary
: > "$summary"
bad=0

note_fail() { echo "FAIL: $*" | tee -a "$summary"; bad=1; }

. "$(dirname "$0")/nodes.sh"

# run LABEL ARGS...: one v4l2-compliance run; its output goes to the console
# as it comes (so a hang shows where) and to $logs/LABEL for the summary.
run() {
	label=$1; shift
	echo
	echo "=== $label: v4l2-compliance $*"
	start=$(date +%s)
	{ v4l2-compliance "$@" 2>&1; echo "exit=$?" > "$logs/$label.rc"; } | tee "$logs/$label"
	rc=$(cut -d= -f2 "$logs/$label.rc")
	secs=$(( $(date +%s) - start ))
	total=$(grep '^Total for' "$logs/$label" | tail -n 1)
	if [ -z "$total" ]; then
		note_fail "$label: no Total line (v4l2-compliance exit $rc, ${secs}s)"
		return
	fi
	echo "$label: $total (${secs}s)" >> "$summary"
	failed=$(echo "$total" | sed -n 's/.*Failed: \([0-9]*\).*/\1/p')
	if [ "${failed:-1}" != 0 ] || [ "$rc" != 0 ]; then
		bad=1
		# The failing tests with their reasons, e.g.
		# "fail: v4l2-test-buffers.cpp(1234): ..." and "test VIDIOC_X: FAIL".
		grep -E 'fail:|: FAIL' "$logs/$label" | sed "s/^/    $label: /" >> "$summary"
		[ "$rc" != 0 ] && echo "    $label: v4l2-compliance exit $rc" >> "$summary"
	fi
}

echo "v4l2-compliance: $(v4l2-compliance --version 2>&1 | head -n 1)"
# One vivid instance is enough: its capture node is tested and then serves
# as the DMABUF exporter for the import run.
for m in vim2m "vivid n_devs=1" vicodec visl; do
	# shellcheck disable=SC2086 # the module parameters are separate words
	modprobe $m || note_fail "modprobe $m"
done
# Keep driver chatter off the console during the runs; warnings still show.
dmesg -n 5

vim2m=$(node vim2m) || note_fail "no vim2m video node"
vivid=$(node vivid-000-vid-cap) || note_fail "no vivid capture node"
enc=$(node stateful-encoder) || note_fail "no vicodec stateful-encoder node"
dec=$(node stateful-decoder) || note_fail "no vicodec stateful-decoder node"
sdec=$(node stateless-decoder) || note_fail "no vicodec stateless-decoder node"
visl=$(node visl) || note_fail "no visl video node"

[ -n "$vim2m" ] && run vim2m -d "$vim2m" -s"$frames" -P
[ -n "$vivid" ] && run vivid-cap -d "$vivid" -s"$frames" -P
[ -n "$enc" ] && run vicodec-enc -d "$enc" -s"$frames" -P
# The stateful decoder needs a real FWHT stream: make one with the encoder.
if [ -n "$enc" ] && [ -n "$dec" ]; then
	if v4l2-ctl -d "$enc" --stream-mmap --stream-out-mmap --stream-count="$frames" \
		--stream-to-hdr="$logs/fwht.hdr" >/dev/null 2>&1 && [ -s "$logs/fwht.hdr" ]; then
		run vicodec-dec -d "$dec" -s"$frames" -P --stream-from-hdr "$logs/fwht.hdr"
	else
		note_fail "vicodec-dec: could not encode a test stream with v4l2-ctl"
	fi
fi
# Streaming the stateless decoder needs per-frame FWHT parameters in
# requests, which v4l2-compliance does not make: test its ioctls only.
[ -n "$sdec" ] && run vicodec-stateless -d "$sdec" -P
[ -n "$visl" ] && run visl -d "$visl" -s"$frames" -P
# DMABUF import: vim2m's queues take buffers exported by vivid's capture
# node, which must be at least as large as vim2m's (640x480 RGB24).
if [ -n "$vim2m" ] && [ -n "$vivid" ]; then
	v4l2-ctl -d "$vivid" -v width=1280,height=720,pixelformat=YUYV >/dev/null ||
		note_fail "could not set vivid's capture format for exporting"
	run vim2m-dmabuf -d "$vim2m" -s"$frames" -P -e "$vivid"
fi

# A WARN_ON or BUG in the kernel is a failure even if every ioctl passed.
if dmesg | grep -qE 'WARNING:|BUG:|Oops|cut here'; then
	note_fail "kernel warnings or BUGs in dmesg:"
	dmesg | grep -E -A2 'WARNING:|BUG:|Oops|cut here' | sed 's/^/    /' | tee -a "$summary"
fi

echo
echo "=== compliance summary (streaming with $frames frames)"
cat "$summary"
if [ "$bad" = 0 ]; then
	echo "compliance: all runs passed"
else
	echo "compliance: FAILED"
fi
exit "$bad"
