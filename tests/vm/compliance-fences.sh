#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side (busybox sh): the patched v4l2-compliance (v4l-utils with the
# write fence patches) on vim2m with its opt-in on and off, on the
# request-fed visl and vicodec stateless decoder, and on vivid.
#   compliance-fences.sh [series|base] [PROGRAM]
# series: vim2m release_fences=1 must report the capability and pass the
#         write fences test; release_fences=0 and vivid must report it absent
#         ("Not Supported"); visl and vicodec's stateless decoder report it
#         (their streaming needs requests, which v4l2-compliance does not
#         feed: the test checks where the capability is reported); every
#         run passes.
# base:   a kernel without the series: the capability is absent everywhere
#         and every run passes.
# PROGRAM is the patched v4l2-compliance (default v4l2-compliance-wf).
mode=${1:-series}
prog=${2:-v4l2-compliance-wf}
logs=/tmp/compliance-fences
mkdir -p "$logs"
summary=$logs/summary
: > "$summary"
bad=0

note_fail() { echo "FAIL: $*" | tee -a "$summary"; bad=1; }

. "$(dirname "$0")/nodes.sh"

# run LABEL WANT ARGS...: one run; WANT is the result the "test write fences"
# line must show ("OK" or "OK (Not Supported)").
run() {
	label=$1 want=$2; shift 2
	echo
	echo "=== $label: $prog $*"
	{ "$prog" "$@" 2>&1; echo "exit=$?" > "$logs/$label.rc"; } | tee "$logs/$label"
	rc=$(cut -d= -f2 "$logs/$label.rc")
	total=$(grep '^Total for' "$logs/$label" | tail -n 1)
	got=$(sed -n 's/^[[:space:]]*test write fences: //p' "$logs/$label" | head -n 1)
	echo "$label: write fences: ${got:-missing}; $total" >> "$summary"
	[ -n "$total" ] || note_fail "$label: no Total line (exit $rc)"
	failed=$(echo "$total" | sed -n 's/.*Failed: \([0-9]*\).*/\1/p')
	[ "${failed:-1}" = 0 ] && [ "$rc" = 0 ] ||
		{ note_fail "$label: failed ($total, exit $rc)"; grep -E 'fail:|: FAIL' "$logs/$label" >> "$summary"; }
	[ "$got" = "$want" ] || note_fail "$label: 'test write fences: $got', want '$want'"
	grep -E 'info: .*write fence|warn: .*fence' "$logs/$label" | sed "s/^[[:space:]]*/    $label: /" >> "$summary"
}

echo "$prog: $("$prog" --version 2>&1 | head -n 1)"
dmesg -n 5
modprobe "vivid" n_devs=1 || note_fail "modprobe vivid"
vivid=$(node vivid-000-vid-cap) || note_fail "no vivid capture node"

for rf in 1 0; do
	rmmod vim2m 2>/dev/null
	if ! modprobe vim2m release_fences=$rf 2>/dev/null; then
		[ "$mode" = base ] && [ "$rf" = 1 ] || { note_fail "modprobe vim2m release_fences=$rf"; continue; }
		modprobe vim2m || { note_fail "modprobe vim2m"; continue; }
	fi
	vim2m=$(node vim2m) || { note_fail "no vim2m node"; continue; }
	want="OK (Not Supported)" label=vim2m-rf$rf
	[ "$mode" = series ] && [ "$rf" = 1 ] && want=OK
	[ "$mode" = base ] && label=vim2m
	# -v: the write fence test says how many jobs it saw fenced
	run "$label" "$want" -d "$vim2m" -s5 -v
	[ "$mode" = base ] && break
done
[ -n "$vivid" ] && run vivid "OK (Not Supported)" -d "$vivid" -s5

# The request-fed drivers, as compliance.sh runs them: visl streams,
# vicodec's stateless decoder does not.
modprobe visl || note_fail "modprobe visl"
modprobe vicodec || note_fail "modprobe vicodec"
want=OK
[ "$mode" = base ] && want="OK (Not Supported)"
if visl=$(node visl); then
	run visl "$want" -d "$visl" -s5
else
	note_fail "no visl node"
fi
if sdec=$(node stateless-decoder); then
	run vicodec-stateless "$want" -d "$sdec"
else
	note_fail "no vicodec stateless-decoder node"
fi

dmesg | grep -E 'WARNING:|BUG:|runs unfenced' && note_fail "kernel warnings (above)"
echo
echo "=== summary"
cat "$summary"
[ "$bad" = 0 ] && echo "compliance-fences: all passed" || echo "compliance-fences: FAILED"
exit "$bad"
