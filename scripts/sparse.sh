#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build sparse from Debian sid's source package: Debian 12's sparse 0.6.4 is
# too old for Linux 7.3 (kbuild then says "sparse is not available or not up
# to date" and checks nothing). Prints the path of the sparse binary.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

dir=$CACHE/sparse
if [ ! -x "$dir/bin/sparse" ]; then
	papt_update
	src=$(mktemp -d)
	log "building sparse from sid's source package"
	(cd "$src" && papt apt-get -q source sparse >"$src/log" 2>&1) ||
		die "apt-get source sparse failed (see $src/log)" "Is dpkg-dev installed? bash scripts/deps.sh"
	make -C "$src"/sparse-*/ -s -j"$JOBS" CC=gcc HAVE_GTK=no HAVE_LLVM=no \
		HAVE_SQLITE=no PREFIX="$dir" install >"$src/build.log" 2>&1 ||
		die "building sparse failed (see $src/build.log)"
	rm -rf "$src"
fi
"$dir/bin/sparse" --version >/dev/null 2>&1 || die "$dir/bin/sparse does not run"
echo "$dir/bin/sparse"
