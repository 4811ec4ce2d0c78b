#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side (busybox sh): release fences of jobs fed by media requests.
#  - vicodec: a real FWHT stream (made by the stateful encoder) decoded by
#    the stateless decoder with v4l2-ctl --stream-from-hdr, with the opt-in
#    on and off, synchronous and with a 20 ms job delay: every output must
#    be byte-identical to the stateful decoder's; then req-fence-decode,
#    which drives the requests itself and checks, right after each
#    committing MEDIA_REQUEST_IOC_QUEUE (or QBUF), a pending videobuf2
#    fence on the capture buffer that signals when the frame is done
#    (also with two contexts at once); with the opt-in off it must see none;
#    then the kselftest vb2_request_fence_test, and its negative control
#    (selftest-expect.sh negative vicodec).
#  - vim2m: req-vim2m, the frozen control semantics, requests complete
#    when STREAMOFF and DQBUF return, and the exit paths of request-fed
#    jobs; then its negative control (release_fences=0): only its fence
#    checks may fail, and some must; then req-vim2m -m, a fenced context
#    and one feeding unfrozen requests on one device.
# Then a kmemleak scan (where built in) and a scan of the kernel log.
#   requests.sh [FRAMES]   frames of the FWHT stream, default 24
frames=${1:-24}
t=/tmp/requests
mkdir -p "$t"
rc=0
note() { echo "ok: $*"; }
failed() { echo "FAIL: $*"; rc=1; }

. "$(dirname "$0")/kernel-checks.sh"
kmemleak_start
. "$(dirname "$0")/nodes.sh"

vicodec_param() { # NAME VALUE
	echo "$2" > "/sys/module/vicodec/parameters/$1"
	[ "$(cat "/sys/module/vicodec/parameters/$1")" = "$2" ] ||
		failed "vicodec $1 is $(cat "/sys/module/vicodec/parameters/$1"), not $2"
}

modprobe vicodec || { echo "FAIL: modprobe vicodec"; exit 1; }
modprobe vim2m || { echo "FAIL: modprobe vim2m"; exit 1; }
dmesg -n 5
enc=$(node stateful-encoder) || failed "no vicodec stateful-encoder node"
dec=$(node stateful-decoder) || failed "no vicodec stateful-decoder node"
sdec=$(node stateless-decoder) || failed "no vicodec stateless-decoder node"
vmedia=$(media_of vicodec) || failed "no vicodec media device"
[ "$rc" = 0 ] || exit 1

# the stream, and the reference: the stateful decoder's output
enc_opts="--stream-mmap --stream-out-mmap --stream-out-hor-speed=1 --stream-count=$frames"
v4l2-ctl -d "$enc" $enc_opts --stream-to-hdr="$t/comp.hdr" || failed "encoding the stream (with headers)"
v4l2-ctl -d "$enc" $enc_opts --stream-to="$t/comp.fwht" || failed "encoding the stream (raw)"
dec_opts="--stream-mmap --stream-out-mmap --stream-from-hdr=$t/comp.hdr"
v4l2-ctl -d "$dec" $dec_opts --stream-to="$t/raw.stateful" || failed "stateful decode"
[ -s "$t/raw.stateful" ] || { echo "FAIL: no reference decode"; exit 1; }

ctl_decode() { # NAME FENCES DELAY_MS
	vicodec_param release_fences "$2"
	vicodec_param stateless_delay_ms "$3"
	v4l2-ctl -d "$sdec" $dec_opts --stream-to="$t/raw.$1" ||
		failed "v4l2-ctl stateless decode ($1)"
	if cmp -s "$t/raw.stateful" "$t/raw.$1"; then
		note "v4l2-ctl stateless decode ($1) == stateful decode ($(stat -c %s "$t/raw.$1") bytes)"
	else
		failed "v4l2-ctl stateless decode ($1) differs from the stateful decode"
	fi
}
ctl_decode fences-on Y 0
ctl_decode fences-on-delayed Y 20
ctl_decode fences-off-delayed N 20
ctl_decode fences-off N 0

fence_decode() { # NAME FENCES DELAY_MS ARGS...
	name=$1
	vicodec_param release_fences "$2"
	vicodec_param stateless_delay_ms "$3"
	shift 3
	if req-fence-decode -d "$sdec" -m "$vmedia" -i "$t/comp.fwht" -o "$t/out.$name" "$@"; then
		note "req-fence-decode $name"
	else
		failed "req-fence-decode $name"
	fi
	for f in "$t/out.$name"*; do
		cmp -s "$t/raw.stateful" "$f" || failed "$f differs from the stateful decode"
	done
}
fence_decode queue Y 30 -e fences -q 3
fence_decode qbuf Y 30 -e fences -q 3 -Q
fence_decode two-contexts Y 30 -e fences -q 2 -c 2
fence_decode sync Y 0 -e fences -q 1
# negative control: with the opt-in off, no frame may be fenced
fence_decode off N 30 -e none -q 3
vicodec_param release_fences Y
vicodec_param stateless_delay_ms 0

# the series' kselftest of request-fed jobs: all pass here; then its
# negative control (vicodec reloaded with release_fences=0): all fail
if vb2_request_fence_test > "$t/kselftest.log" 2>&1; then
	note "vb2_request_fence_test: $(grep '^# Totals' "$t/kselftest.log")"
else
	cat "$t/kselftest.log"
	failed "vb2_request_fence_test"
fi
selftest-expect.sh negative vicodec || failed "the kselftest's negative control"
rmmod vicodec && modprobe vicodec || failed "reloading vicodec"

v=$(node vim2m) || failed "no vim2m node"
m=$(media_of vim2m) || failed "no vim2m media device"
param=/sys/module/vim2m/parameters/release_fences
echo Y > "$param"
if req-vim2m "$v" "$m"; then note "req-vim2m"; else failed "req-vim2m"; fi
echo N > "$param"
if [ "$(cat "$param")" = N ]; then
	req-vim2m "$v" "$m" > "$t/req-vim2m-negative.log" 2>&1
	all=$(grep -c '^FAIL' "$t/req-vim2m-negative.log")
	other=$(grep '^FAIL' "$t/req-vim2m-negative.log" |
		grep -vc -e 'after the QUEUE' -e 'consumer woke' -e 'fence pending before the kill')
	if [ "$all" -gt 0 ] && [ "$other" = 0 ]; then
		note "without fences, req-vim2m fails on its $all fence checks only"
	else
		cat "$t/req-vim2m-negative.log"
		failed "without fences, req-vim2m: $all failures, $other not about fences"
	fi
else
	failed "vim2m release_fences did not turn off"
fi
echo Y > "$param"
# one device, a fenced context with frozen requests and one feeding
# requests that are not frozen: never both at once (-EBUSY, no fence)
if req-vim2m -m "$v" "$m"; then note "req-vim2m -m"; else failed "req-vim2m -m"; fi

kmemleak_check || rc=1
kernel_reports || rc=1
[ "$rc" = 0 ] && echo "requests.sh: PASS" || echo "requests.sh: FAIL"
exit $rc
