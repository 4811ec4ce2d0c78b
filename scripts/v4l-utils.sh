#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build v4l2-compliance from Debian's source of the v4l-utils version the
# guest runs (scripts/guest.sh), with the companion series of
# patches/v4l-utils/ applied (the write fence tests):
# $CACHE/v4l-utils/v4l2-compliance-wf, static, so that it runs in the guest
# next to the packaged v4l2-compliance (vm.sh --add ...:/wb/v4l2-compliance-wf).
# Prints the binary's path. Rebuilds only when the version, the patches or
# this script changed.
#
# The source package comes through the private apt configuration, like the
# kernel source. WB_V4L_UTILS_SRC=DIR uses DIR instead: the unpacked source
# of the same upstream version (for instance the tree of the upstream tag
# v4l-utils-X.Y.Z), for an archive that serves no source packages. Without
# it, an archive that answers 404 for the source exits 77 (skipped).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out=$CACHE/v4l-utils
mkdir -p "$out"
exec 9>"$out/.lock"
flock 9

command -v meson >/dev/null && command -v ninja >/dev/null ||
	die "meson or ninja not found" "Install the host packages: bash scripts/deps.sh"

# The version the guest has: the .deb that guest.sh put in it.
bash "$WB_ROOT/scripts/guest.sh" >&2
deb=$(grep -m1 '^v4l-utils_' "$CACHE/guest/packages.txt") ||
	die "no v4l-utils package in $CACHE/guest/packages.txt" "Rebuild the guest: bash scripts/guest.sh"
version=${deb#v4l-utils_}
version=${version%_*.deb}
version=${version//%3a/:}
upstream=${version#*:}
upstream=${upstream%-*}

mapfile -t patches < <(ls "$WB_ROOT"/patches/v4l-utils/[0-9][0-9][0-9][0-9]-*.patch 2>/dev/null |
	grep -v '/0000-cover-letter\.patch$')
[ ${#patches[@]} -gt 0 ] || die "no patches in $WB_ROOT/patches/v4l-utils"

bin=$out/v4l2-compliance-wf
stamp=$( { echo "$version ${WB_V4L_UTILS_SRC:-debian}"; cat "${patches[@]}"; sha1sum < "$0"; } |
	sha1sum | cut -c1-16)
if [ -x "$bin" ] && [ "$(cat "$out/stamp" 2>/dev/null)" = "$stamp" ]; then
	log "v4l2-compliance with the write fence patches up to date: $bin"
	echo "$bin"
	exit 0
fi

src=$out/src
rm -rf "$src" "$out/build" "$bin"
mkdir -p "$src"
if [ -n "${WB_V4L_UTILS_SRC:-}" ]; then
	[ -f "$WB_V4L_UTILS_SRC/meson.build" ] ||
		die "WB_V4L_UTILS_SRC=$WB_V4L_UTILS_SRC has no meson.build" \
		    "Point it at the unpacked source of v4l-utils $upstream."
	log "v4l-utils $upstream from $WB_V4L_UTILS_SRC (WB_V4L_UTILS_SRC)"
	tar -C "$WB_V4L_UTILS_SRC" --exclude=.git -cf - . | tar -C "$src" -xf -
	tree=$src
else
	papt_update
	log "downloading Debian's source of v4l-utils $version"
	if ! (cd "$src" && papt apt-get -q source --download-only "v4l-utils=$version") \
		> "$out/source.log" 2>&1; then
		# An archive that lists the source but answers 404 for its files
		# serves none: nothing to build from, which is not a failure of
		# the series (exit 77, make check reports the step skipped).
		if grep -q '404' "$out/source.log"; then
			echo "skipped: the Debian archive of the apt sources serves no source of v4l-utils $version" \
			     "(apt-get source: 404 Not Found, log: $out/source.log);" \
			     "WB_V4L_UTILS_SRC=DIR builds from the unpacked source of v4l-utils $upstream"
			exit 77
		fi
		die "apt-get source v4l-utils=$version failed: $(grep -m1 -E '^(E|Err):' "$out/source.log")" \
		    "(log: $out/source.log) Is $(debian_archive) reachable?" \
		    "WB_V4L_UTILS_SRC=DIR builds from the unpacked source of v4l-utils $upstream."
	fi
	dsc=$(ls "$src"/v4l-utils_*.dsc)
	# Debian's patches applied, as the package was built
	dpkg-source -q -x "$dsc" "$src/tree" > "$out/unpack.log" 2>&1 ||
		die "dpkg-source -x $dsc failed (log: $out/unpack.log)" "Is dpkg-dev installed? bash scripts/deps.sh"
	tree=$src/tree
fi
got=$(sed -n "s/^ *version *: *'\([^']*\)'.*/\1/p" "$tree/meson.build" | head -n 1)
[ "$got" = "$upstream" ] ||
	die "the v4l-utils source is version '$got', the guest runs $upstream" \
	    "Use the source of v4l-utils $upstream."

for p in "${patches[@]}"; do
	patch -d "$tree" -p1 --forward --quiet < "$p" > "$out/patch.log" 2>&1 ||
		die "patches/v4l-utils/$(basename "$p") does not apply to v4l-utils $version:" \
		    "$(cat "$out/patch.log")"
done
log "applied ${#patches[@]} patches; building v4l2-compliance (static)"

# Only v4l2-compliance, static and without libv4l, so that it needs nothing
# from the guest.
meson setup "$out/build" "$tree" -Dbpf=disabled -Dgconv=disabled -Djpeg=disabled \
	-Dlibdvbv5=disabled -Dqv4l2=disabled -Dqvidcap=disabled -Dv4l2-tracer=disabled \
	-Dv4l-plugins=false -Dv4l-wrappers=false -Dv4l2-compliance-libv4l=false \
	-Dv4l2-ctl-libv4l=false -Ddoxygen-doc=disabled -Ddefault_library=static \
	-Dc_link_args=-static -Dcpp_link_args=-static > "$out/build.log" 2>&1 &&
	ninja -C "$out/build" -j"$JOBS" utils/v4l2-compliance/v4l2-compliance >> "$out/build.log" 2>&1 ||
	die "building v4l2-compliance failed (log: $out/build.log)"
cp "$out/build/utils/v4l2-compliance/v4l2-compliance" "$bin"
"$bin" --version >/dev/null 2>&1 || die "$bin does not run"
echo "$stamp" > "$out/stamp"
log "built $bin (v4l-utils $version + ${#patches[@]} patches)"
echo "$bin"
