#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side (busybox sh) of scripts/bench.sh: fence-bench on vim2m. Each
# fence-bench run measures vim2m's release fence opt-in off and on, flipping
# the module parameter between blocks of samples. Prints fence-bench's
# report; its "R ..." lines are what the host turns into the table.
#   bench.sh [-n CYCLES] [-p WAKE_AND_PIPE_SAMPLES] [-s SCALE_SECONDS]
#            [-r SCALE_RUNS]
# Counts are per setting (and per method for wake and pipe).
n=1000 nw=400 secs=2 runs=3
while getopts n:p:s:r: opt; do
	case $opt in
	n) n=$OPTARG ;;
	p) nw=$OPTARG ;;
	s) secs=$OPTARG ;;
	r) runs=$OPTARG ;;
	*) echo "usage: bench.sh [-n N] [-p N] [-s SECONDS] [-r RUNS]"; exit 2 ;;
	esac
done
rc=0
dmesg -n 1

load() { # load [module parameters]
	rmmod vim2m 2>/dev/null
	modprobe vim2m "$@" || { echo "FAIL: modprobe vim2m $*"; exit 1; }
}
run() {
	echo "+ fence-bench $*"
	fence-bench "$@" || { echo "FAIL: fence-bench $* exited with $?"; rc=1; }
}

echo "BENCH-CONFIG cycles=$n wake_pipe_samples=$nw scale_seconds=$secs scale_runs=$runs cpus=$(grep -c ^processor /proc/cpuinfo)"
start=$(cut -d. -f1 /proc/uptime)
fence-bench calib
load
run -n "$n" cycle
run -n "$nw" wake
run -n "$nw" pipe
for ctx in 1 4 16; do
	for bufs in 4 32; do
		run -r "$runs" scale "$ctx" "$bufs" "$secs"
	done
done
# vim2m has no format with more than one plane: the multiplanar API with
# one plane is the only other case there is.
load multiplanar=2
run -r "$runs" scale 4 32 "$secs"
# Last: once selected, the function_graph tracer stays selected (see
# fence-bench.c), and it slows the traced functions down.
load
run -n "$n" fgraph
rmmod vim2m
echo "BENCH-TIME $(( $(cut -d. -f1 /proc/uptime) - start )) s"
exit $rc
