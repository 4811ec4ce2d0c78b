#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install the host packages the workbench needs (Debian 12), once.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

pkgs=(build-essential flex bison bc libelf-dev libssl-dev dwarves kmod
      cpio xz-utils rsync python3 ccache git
      gcc-aarch64-linux-gnu qemu-system-x86 busybox-static
      dpkg-dev perl python3-ply python3-git python3-sphinx python3-yaml
      gnuplot-nox libdrm-dev pkg-config meson ninja-build)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
[ "$(id -u)" = 0 ] || die "missing packages: ${missing[*]}" "Run as root, or: sudo apt-get install ${missing[*]}"
log "installing ${missing[*]}"
mkdir -p "$CACHE"
export DEBIAN_FRONTEND=noninteractive
apt-get -q update >"$CACHE/apt-update.log" 2>&1 ||
	die "apt-get update failed: $(grep -m1 -E '^(E|Err):' "$CACHE/apt-update.log")" \
	    "Is the Debian mirror of /etc/apt/sources.list* reachable? (log: $CACHE/apt-update.log)"
apt-get -q install -y --no-install-recommends "${missing[@]}" >"$CACHE/apt-install.log" 2>&1 ||
	die "apt-get install failed: $(grep -m1 '^E:' "$CACHE/apt-install.log")" \
	    "(log: $CACHE/apt-install.log)"
