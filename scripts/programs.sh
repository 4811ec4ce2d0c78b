#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the workbench's guest programs (tests/vm/*.c, tools/*.c) as static
# binaries into $CACHE/programs, against the series tree's uapi headers
# (installed by scripts/selftest.sh), the tree's kselftest harness and
# Debian's libdrm. Their shared helpers, tools/v4l2-m2m-util.h, are included
# by a path relative to each source file: no -I for them.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_tree

hdrs=$CACHE/selftest/usr/include
[ -f "$hdrs/linux/videodev2.h" ] ||
	die "no uapi headers in $hdrs" "Run 'bash scripts/selftest.sh' (make selftest) first."
pkg-config --exists libdrm ||
	die "libdrm's pkg-config file not found" "Install the host packages: bash scripts/deps.sh"
out=$CACHE/programs
mkdir -p "$out"
for src in "$WB_ROOT"/tests/vm/*.c "$WB_ROOT"/tools/*.c; do
	bin=$out/$(basename "$src" .c)
	gcc -O2 -Wall -Wextra -Werror -static -I"$hdrs" \
		-I"$TREE/tools/testing/selftests" $(pkg-config --cflags libdrm) \
		-o "$bin" "$src" -ldrm -lpthread -lm ||
		die "building $src failed (above)"
	echo "built $bin"
done
