#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the cached guest userspace, $CACHE/guest/base.cpio: the host's static
# busybox, an /init that runs /wb/cmd, and v4l-utils with its libraries from
# Debian sid. The kernel modules are not in it: they depend on the kernel
# kind, so scripts/vm.sh adds them with each run.
# Rebuilds only when the package versions or this script changed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# sid: v4l-utils 1.32. bookworm's 1.22 fails on 7.3 (reserved fields now
# used for max_num_buffers; requests), and trixie's 1.30 fails vivid's
# pixel array control test that 7.3 fixed in the driver (v4l-utils commit
# 1cc84dfb, first in 1.32). WB_GUEST_SUITE=trixie selects the other suite.
SUITE=${WB_GUEST_SUITE:-sid}
PACKAGES=(v4l-utils)
out=$CACHE/guest
debs=$CACHE/debs
mkdir -p "$out" "$debs"

# One builder at a time: vm.sh runs this, and two vm.sh may start together.
exec 9>"$out/.lock"
flock 9

# The guest has no libraries of its own for busybox: it must be the static one.
/bin/busybox --list-full >/dev/null 2>&1 && ! ldd /bin/busybox >/dev/null 2>&1 ||
	die "/bin/busybox is missing or not statically linked" \
	    "Install the host package: apt-get install busybox-static"

# A failed refresh is not fatal while older lists exist: a guest built from
# them is still a valid guest.
if ! (papt_update); then
	ls "$PAPT"/lists/*_"$SUITE"_*Packages* >/dev/null 2>&1 ||
		die "no private apt lists for $SUITE" "Check that $(debian_archive) is reachable and rerun."
	log "WARNING: using the existing (older) private apt lists"
fi

# papt with the guest's suite as the candidate versions
gapt() {
	local cmd=$1; shift
	papt "$cmd" -t "$SUITE" "$@"
}

# The closure of the runtime dependencies, all from trixie: gapt's "-t" makes
# the trixie versions the candidates, so glibc and libstdc++ match the
# binaries.
# Lines in <angle brackets> are virtual packages; real ones provide them.
mapfile -t pkgs < <(gapt apt-cache depends --recurse --no-recommends \
	--no-suggests --no-conflicts --no-breaks --no-replaces --no-enhances \
	"${PACKAGES[@]}" | grep '^[a-z0-9]' | sort -u)
[ "${#pkgs[@]}" -gt 3 ] || die "could not resolve the dependencies of ${PACKAGES[*]} in $SUITE" \
	"Try: rm -rf $PAPT/lists and rerun (the private apt lists may be broken)."
# The .deb file names carry the exact versions: they are the stamp's input.
mapfile -t files < <(gapt apt-get download --print-uris "${pkgs[@]}" |
	awk '{print $2}' | sort)
[ "${#files[@]}" = "${#pkgs[@]}" ] ||
	die "apt-get --print-uris gave ${#files[@]} files for ${#pkgs[@]} packages"

stamp=$( { printf '%s\n' "${files[@]}"; sha1sum < "$0"; sha1sum < /bin/busybox; } | sha1sum | cut -c1-16)
if [ -f "$out/base.cpio" ] && [ "$(cat "$out/base.stamp" 2>/dev/null)" = "$stamp" ]; then
	log "guest up to date: $out/base.cpio"
	exit 0
fi

missing=()
for f in "${files[@]}"; do [ -f "$debs/$f" ] || missing+=("${f%%_*}"); done
if [ "${#missing[@]}" -gt 0 ]; then
	log "downloading from $SUITE: ${missing[*]}"
	(cd "$debs" && gapt apt-get -q download "${missing[@]}" >/dev/null) ||
		die "could not download ${missing[*]}" "Check that $(debian_archive) is reachable."
fi

root=$out/root
log "assembling the guest root in $root (${#files[@]} packages)"
rm -rf "$root"
mkdir -p "$root"
for f in "${files[@]}"; do dpkg-deb -x "$debs/$f" "$root"; done
rm -rf "$root"/usr/share/{doc,man,info,locale,lintian,bug,gcc,gdb}

# usrmerge: trixie ships most files under /usr, but some packages still have
# /lib or /bin paths. Fold them into /usr and make the top-level names
# symlinks, as on a Debian system, so that every path resolves one way.
mkdir -p "$root"/usr/{bin,sbin,lib,lib64}
for d in bin sbin lib lib64; do
	if [ -d "$root/$d" ] && [ ! -L "$root/$d" ]; then
		cp -a "$root/$d/." "$root/usr/$d/"
		rm -rf "${root:?}/$d"
	fi
	ln -s "usr/$d" "$root/$d"
done
[ -e "$root/lib64/ld-linux-x86-64.so.2" ] ||
	die "the trixie root has no /lib64/ld-linux-x86-64.so.2 (libc6 layout changed?)"

# busybox goes in as /usr/bin/busybox (no trixie package here ships that) and
# its applets as symlinks, but never over a real trixie program.
cp /bin/busybox "$root/usr/bin/busybox"
/bin/busybox --list-full | while read -r applet; do
	case "$applet" in
	*/*) ;;
	*) continue ;;   # "linuxrc" would sit at the top level
	esac
	link=$root/usr/${applet#usr/}
	[ -e "$link" ] || [ -L "$link" ] || ln -s /usr/bin/busybox "$link"
done

# Every v4l-utils program must find all its libraries in the guest root.
# Trixie's own ld.so resolves them here on the host, like ldd would in the
# guest, without using any host library.
bad=$(find "$root/usr/bin" "$root/usr/sbin" -type f ! -name busybox | while read -r exe; do
	[ "$(head -c 4 "$exe" | tail -c 3)" = ELF ] || continue
	"$root/lib64/ld-linux-x86-64.so.2" --library-path "$root/usr/lib/x86_64-linux-gnu" \
		--list "$exe" | grep 'not found' | sed "s|^|${exe#"$root"}: |" || true
done)
[ -z "$bad" ] || die "missing libraries in the guest root:" "$bad" \
	"Add the packages that provide them to PACKAGES in scripts/guest.sh."

mkdir -p "$root"/{proc,sys,dev,tmp,run,root,wb,etc}
mknod -m 600 "$root/dev/console" c 5 1
mknod -m 666 "$root/dev/null" c 1 3
echo 'root:x:0:0:root:/root:/bin/sh' > "$root/etc/passwd"
echo 'root:x:0:' > "$root/etc/group"

# PID 1. The markers are what vm.sh looks for: WB-INIT-STARTED shows that
# the kernel got as far as userspace, WB-EXIT-STATUS= carries /wb/cmd's exit
# status out of the guest.
cat > "$root/init" <<'INIT'
#!/bin/sh
export PATH=/wb:/usr/sbin:/usr/bin HOME=/root TERM=vt100
mount -t proc proc /proc
mount -t sysfs sysfs /sys
# The kernel mounts it itself when it had to fall back from rdinit.
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
echo "WB-INIT-STARTED uptime=$(cut -d' ' -f1 /proc/uptime)s kernel=$(uname -r)"
if [ -f /wb/cmd ]; then
	cd /wb
	# stdin from /dev/null: a command waiting for input would hang the run.
	sh /wb/cmd </dev/null
	rc=$?
else
	echo "WB-ERROR: /wb/cmd is missing; run commands with scripts/vm.sh -- CMD"
	rc=125
fi
# On its own line, even if the command's output did not end with a newline.
printf '\nWB-EXIT-STATUS=%s uptime=%ss\n' "$rc" "$(cut -d' ' -f1 /proc/uptime)"
poweroff -f
INIT
chmod 755 "$root/init"

log "writing $out/base.cpio"
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
	cpio --quiet -o -H newc -R 0:0) > "$out/base.cpio.tmp"
mv "$out/base.cpio.tmp" "$out/base.cpio"
echo "$stamp" > "$out/base.stamp"
printf '%s\n' "${files[@]}" > "$out/packages.txt"
log "guest ready: $out/base.cpio ($(du -h "$out/base.cpio" | cut -f1); packages in $out/packages.txt)"
