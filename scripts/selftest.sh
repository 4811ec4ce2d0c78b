#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the series' kselftest from the kernel tree as a static binary for the
# guest: $CACHE/selftest/vb2_release_fence_test.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_tree

src=$TREE/tools/testing/selftests/media_tests/vb2_release_fence_test.c
[ -f "$src" ] || die "$src not found" "Is the series applied? Run 'make import'."
out=$CACHE/selftest
mkdir -p "$out"
# The test must build against the tree's own uapi headers. Their own build
# directory: headers_install needs no configuration, and make check runs
# this before any kernel is configured.
make -s -C "$TREE" O="$out/headers" ARCH=x86_64 \
	INSTALL_HDR_PATH="$out/usr" headers_install
gcc -O2 -Wall -Wextra -static \
	-I"$out/usr/include" -I"$TREE/tools/testing/selftests" \
	-o "$out/vb2_release_fence_test" "$src" -lpthread
log "built $out/vb2_release_fence_test"
