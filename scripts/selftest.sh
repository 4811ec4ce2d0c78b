#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the series' kselftests from the kernel tree as static binaries for
# the guest: $CACHE/selftest/vb2_release_fence_test (vim2m) and
# $CACHE/selftest/vb2_request_fence_test (request-fed jobs, vicodec).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_tree

tests=(vb2_release_fence_test vb2_request_fence_test)
dir=$TREE/tools/testing/selftests/media_tests
for t in "${tests[@]}"; do
	[ -f "$dir/$t.c" ] || die "$dir/$t.c not found" "Is the series applied? Run 'make import'."
done
out=$CACHE/selftest
mkdir -p "$out"
# The test must build against the tree's own uapi headers. Their own build
# directory: headers_install needs no configuration, and make check runs
# this before any kernel is configured.
make -s -C "$TREE" O="$out/headers" ARCH=x86_64 \
	INSTALL_HDR_PATH="$out/usr" headers_install
for t in "${tests[@]}"; do
	gcc -O2 -Wall -Wextra -static \
		-I"$out/usr/include" -I"$TREE/tools/testing/selftests" \
		-o "$out/$t" "$dir/$t.c" -lpthread
	log "built $out/$t"
done
