#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Configure and build a kernel from the tracked config fragments.
#   build.sh x86    x86_64 test kernel (tinyconfig + configs/x86_64-test.config)
#   build.sh debug  the same plus configs/debug.config (lockdep, KASAN, ...)
#   build.sh arm64  arm64 allnoconfig + configs/arm64-rockchip.config; builds
#                   only the media directories the series touches
#   build.sh base   the x86 test kernel without the series, from a worktree
#                   of the tree at the base tag ($CACHE/linux-base), for
#                   comparisons (make bench-base)
# Extra make arguments after the kind are passed on (e.g. W=1 C=1 TARGETS).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
one_at_a_time "scripts/build.sh"

kind=${1:-}
shift || true
case "$kind" in
x86)   arch=x86_64; base=tinyconfig;  frags=(x86_64-test.config) ;;
debug) arch=x86_64; base=tinyconfig;  frags=(x86_64-test.config debug.config) ;;
arm64) arch=arm64;  base=allnoconfig; frags=(arm64-rockchip.config) ;;
base)  arch=x86_64; base=tinyconfig;  frags=(x86_64-test.config) ;;
*) die "unknown build kind '${kind}'" "Use one of: x86, debug, arm64, base." ;;
esac
need_tree
if [ "$kind" = base ]; then
	# A worktree, so that the series branch stays checked out in $TREE.
	# It is registered in $TREE's repository (git worktree list).
	wt=$CACHE/linux-base
	# forget a worktree whose directory was deleted
	wbgit -C "$TREE" worktree prune
	if [ -e "$wt" ]; then
		[ "$(wbgit -C "$wt" rev-parse --show-toplevel 2>/dev/null)" = "$wt" ] ||
			die "$wt exists but is not a worktree of $TREE" \
			    "Move it away; build.sh base makes it again."
		wbgit -C "$wt" checkout -q --detach "$BASE_TAG"
	else
		need_space 4 "the base worktree and its build"
		wbgit -C "$TREE" worktree add -q --detach "$wt" "$BASE_TAG"
	fi
	TREE=$wt
fi

out=$CACHE/build-$kind
mkdir -p "$out"
export CCACHE_DIR=${CCACHE_DIR:-$CACHE/ccache} CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
export KBUILD_BUILD_TIMESTAMP=@0 KBUILD_BUILD_USER=wb KBUILD_BUILD_HOST=wb
cross=
[ "$arch" = arm64 ] && cross=aarch64-linux-gnu-
command -v "${cross}gcc" >/dev/null ||
	die "${cross}gcc not found" "Install the host packages: bash scripts/deps.sh"
cc="${cross}gcc"
command -v ccache >/dev/null && cc="ccache ${cross}gcc"
kmake() {
	make -C "$TREE" O="$out" ARCH="$arch" CROSS_COMPILE="$cross" CC="$cc" \
		-j"$JOBS" "$@"
}

# Fragment symbols that the checked-out tree does not define: the ones the
# series adds, at the base. They are skipped there, and the configuration is
# redone when the set changes.
# A later fragment's line for a symbol replaces an earlier one's.
fragment_lines() {
	cat "${frags[@]/#/$WB_ROOT/configs/}" | grep '^CONFIG_' | tac |
		awk -F= '!seen[$1]++' | tac
}
undefined=$(comm -23 <(fragment_lines | sed 's/=.*//; s/^CONFIG_//' | sort -u) \
	<(wbgit -C "$TREE" grep -hoE '^(menu)?config [A-Za-z0-9_]+' -- '*Kconfig*' |
		sed 's/.* //' | sort -u) | tr '\n' ' ')

# Reconfigure only when a fragment or the base changed: rewriting the same
# .config costs time, and a stamp keeps incremental builds incremental.
stamp=$(cat "${frags[@]/#/$WB_ROOT/configs/}" | sha1sum | cut -c1-12)-$(wbgit -C "$TREE" rev-parse --short "$BASE_TAG")-${undefined// /,}
if [ "$(cat "$out/.wb-config" 2>/dev/null)" != "$stamp" ] || [ ! -f "$out/.config" ]; then
	log "configuring $kind ($base + ${frags[*]})"
	kmake -s "$base" >/dev/null
	for f in "${frags[@]}"; do
		"$TREE/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" \
			"$WB_ROOT/configs/$f" >/dev/null
	done
	kmake -s olddefconfig >/dev/null
	# Kconfig drops what it cannot satisfy without a word: check every line.
	[ -z "$undefined" ] || echo "  not defined by this tree, skipped: $undefined"
	bad=0
	while IFS= read -r line; do
		sym=${line%%=*}
		[[ " $undefined " == *" ${sym#CONFIG_} "* ]] && continue
		case "$line" in
		CONFIG_*=n) sym=${line%=n}
			grep -q "^$sym=" "$out/.config" && { echo "  $sym wanted off, is $(grep "^$sym=" "$out/.config")"; bad=1; } ;;
		CONFIG_*=*) grep -qx "$line" "$out/.config" ||
			{ echo "  $line wanted, got: $(grep -E "^(# )?${line%%=*}[= ]" "$out/.config" || echo unset)"; bad=1; } ;;
		esac
	done < <(fragment_lines)
	[ "$bad" = 0 ] || die "config symbols did not stick for '$kind' (above)" \
		"Add the missing dependency to configs/${frags[-1]} and rerun."
	echo "$stamp" > "$out/.wb-config"
fi

if [ $# -gt 0 ]; then
	kmake "$@"
elif [ "$kind" = arm64 ]; then
	log "building arm64 media directories (hantro, rga, vim2m, vb2, v4l2-core)"
	kmake -s modules_prepare
	kmake W=1 drivers/media/common/videobuf2/ drivers/media/v4l2-core/ \
		drivers/media/platform/verisilicon/ drivers/media/platform/rockchip/rga/ \
		drivers/media/test-drivers/
else
	log "building $kind kernel and modules in $out"
	with_progress "$out" kmake -s bzImage modules
	# from the tree as it is now: no longer a mutant (scripts/mutate.sh)
	rm -f "$out/.wb-mutant"
	rm -rf "$out/mods"
	kmake -s INSTALL_MOD_PATH="$out/mods" INSTALL_MOD_STRIP=1 modules_install >/dev/null
fi
# for scripts/compile-commit.sh: the commit kbuild last built here; the
# dependencies its compiles recorded stay (it trusts one only when newer
# than kbuild's .cmd file), its last check does not
rm -f "$out/.wb-commit-deps/.checked-at"
wbgit -C "$TREE" rev-parse HEAD > "$out/.wb-built-at"
