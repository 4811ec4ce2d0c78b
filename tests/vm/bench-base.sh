#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side (busybox sh) of scripts/bench.sh --base: fence-bench on vim2m
# with one setting, to compare the base kernel with the series whose opt-in
# is off (release_fences=0). Prints fence-bench's "R ..." lines.
#   bench-base.sh base|series CYCLES SCALE_SECONDS SCALE_RUNS
kernel=$1 n=$2 secs=$3 runs=$4
param=/sys/module/vim2m/parameters/release_fences
dmesg -n 1
case $kernel in
base)
	modprobe vim2m || { echo "FAIL: modprobe vim2m"; exit 1; }
	[ ! -e $param ] || { echo "FAIL: the base kernel's vim2m has $param"; exit 1; } ;;
series)
	modprobe vim2m release_fences=0 || { echo "FAIL: modprobe vim2m release_fences=0"; exit 1; }
	[ "$(cat $param)" = N ] || { echo "FAIL: $param is not N"; exit 1; } ;;
*)
	echo "usage: bench-base.sh base|series CYCLES SCALE_SECONDS SCALE_RUNS"; exit 2 ;;
esac
echo "BENCH-KERNEL $kernel"
rc=0
fence-bench -1 -n "$n" cycle || rc=1
fence-bench -1 -r "$runs" scale 4 32 "$secs" || rc=1
rmmod vim2m
exit $rc
