#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run one command in a QEMU guest booted from a workbench kernel.
#   vm.sh [--kernel x86|debug] [--add FILE[:GUEST_PATH]]... [--timeout SECONDS]
#         [--mem MB] [--append 'kernel args'] -- CMD [ARGS...]
# The initramfs is the cached guest userspace (scripts/guest.sh) followed by a
# per-run archive with the kernel's modules, the --add files and /wb/cmd.
# Exit status: the command's; 124 if the guest timed out; 125 if the guest
# never reached /init or died before reporting the command's status.
# Env: WB_ACCEL=tcg|kvm skips the KVM probe.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<EOF
Usage: bash scripts/vm.sh [--kernel x86|debug] [--add FILE[:GUEST_PATH]]...
                          [--timeout SECONDS] [--mem MB] [--append 'kernel args'] -- CMD [ARGS...]
  --kernel KIND   kernel from \$CACHE/build-KIND (default x86), or from
                  the build directory KIND if it is an absolute path
  --add FILE[:P]  copy FILE into the guest at P (default /wb/<basename>; /wb is on PATH)
  --timeout S     kill the guest after S seconds (default 600)
  --mem MB        guest memory (default 2048)
  --append ARGS   extra kernel command line
Example: bash scripts/vm.sh --add tests/vm/compliance.sh -- compliance.sh
EOF
}

kind=x86 timeout_s=600 mem=2048 append='' adds=()
need_arg() { [ "$2" -ge 2 ] || die "option $1 needs an argument" "$(usage)"; }
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel)  need_arg "$1" $#; kind=$2; shift 2 ;;
	--add)     need_arg "$1" $#; adds+=("$2"); shift 2 ;;
	--timeout) need_arg "$1" $#; timeout_s=$2; shift 2 ;;
	--mem)     need_arg "$1" $#; mem=$2; shift 2 ;;
	--append)  need_arg "$1" $#; append=$2; shift 2 ;;
	-h|--help) usage; exit 0 ;;
	--)        shift; break ;;
	*)         die "unknown option '$1' (the command goes after '--')" "$(usage)" ;;
	esac
done
[ $# -gt 0 ] || die "no command to run in the guest" "$(usage)"
# the device lookups that the guest scripts source
adds+=("$WB_ROOT/tests/vm/nodes.sh")
[[ $timeout_s =~ ^[1-9][0-9]*$ ]] || die "--timeout wants a number of seconds, not '$timeout_s'"
[[ $mem =~ ^[1-9][0-9]*$ ]] || die "--mem wants a number of MB, not '$mem'"
case "$kind" in
x86|debug) out=$CACHE/build-$kind ;;
/*) out=$kind kind=$(basename "$kind") ;;
*) die "unknown kernel kind '$kind'" "Use --kernel x86, debug or the absolute path of a build directory." ;;
esac

kernel=$out/arch/x86/boot/bzImage
[ -f "$kernel" ] && [ -f "$out/include/config/kernel.release" ] ||
	die "no $kind kernel at $kernel" "Build it first: bash scripts/build.sh $kind"
[ ! -e "$out/.wb-mutant" ] || [ -n "${WB_ALLOW_MUTANT:-}" ] ||
	die "$out holds a kernel with a deliberate bug (an interrupted mutation run)" \
	    "Rebuild it: bash scripts/build.sh $kind"
release=$(cat "$out/include/config/kernel.release")
moddir=$out/mods/lib/modules/$release
[ -d "$moddir" ] || die "no modules for $release in $out/mods" \
	"Build them (build.sh installs them): bash scripts/build.sh $kind"
# busybox modprobe needs depmod's modules.dep; modules_install runs depmod
# only when the host has it.
[ -f "$moddir/modules.dep" ] || die "no modules.dep in $moddir (depmod did not run)" \
	"Install kmod on the host (apt-get install kmod) and rerun: bash scripts/build.sh $kind"
command -v qemu-system-x86_64 >/dev/null ||
	die "qemu-system-x86_64 not found" "Install it: apt-get install qemu-system-x86"
for spec in "${adds[@]}"; do
	[ -f "${spec%%:*}" ] || die "--add: no such file: ${spec%%:*}" "Only regular files can be added."
done

bash "$WB_ROOT/scripts/guest.sh"
base=$CACHE/guest/base.cpio

tmp=$(mktemp -d "${TMPDIR:-/tmp}/wb-vm.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# Quote each word for the guest's sh, so the command runs as given here.
shquote() { local s=${1//\'/\'\\\'\'}; printf "'%s'" "$s"; }
write_cmd() { # write_cmd STAGE CMD [ARGS...]: the guest's /wb/cmd
	local stage=$1 w line=; shift
	for w in "$@"; do line+="$(shquote "$w") "; done
	mkdir -p "$stage/wb"
	printf '#!/bin/sh\n%s\n' "$line" > "$stage/wb/cmd"
	chmod 755 "$stage/wb/cmd"
}
make_initrd() { # make_initrd STAGE OUT: base.cpio + the STAGE tree
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort |
		cpio --quiet -o -H newc -R 0:0) > "$1.cpio"
	# Linux unpacks concatenated newc archives in order, later files winning.
	cat "$base" "$1.cpio" > "$2"
}

# The guest's /bin, /sbin, /lib and /lib64 are symlinks into /usr; an archive
# entry for such a directory would replace the symlink, so use /usr paths.
guest_path() {
	local p=$1
	case "$p" in /*) ;; *) p=/wb/$p ;; esac
	case "$p" in /bin/*|/sbin/*|/lib/*|/lib64/*) p=/usr$p ;; esac
	printf '%s' "$p"
}

stage=$tmp/run
mkdir -p "$stage/usr/lib/modules"
cp -a "$moddir" "$stage/usr/lib/modules/"
rm -f "$stage/usr/lib/modules/$release"/{build,source}   # host paths
for spec in "${adds[@]}"; do
	src=${spec%%:*}
	if [[ $spec == *:* ]]; then dst=$(guest_path "${spec#*:}"); else dst=/wb/$(basename "$src"); fi
	[[ $dst == */ ]] && dst+=$(basename "$src")
	mkdir -p "$stage$(dirname "$dst")"
	cp -p "$src" "$stage$dst"   # -p keeps the executable bit
done
write_cmd "$stage" "$@"
make_initrd "$stage" "$tmp/initrd"

# init=/init: should /init fail to run, the kernel then panics (and QEMU
# exits) instead of falling back to busybox init or sh waiting on the console.
cmdline="console=ttyS0 panic=-1 init=/init${append:+ $append}"
mkdir -p "$CACHE/logs"

run_qemu() { # run_qemu ACCEL TIMEOUT INITRD LOG [quiet]: QEMU's (or timeout's) status
	# No 5-level paging: a KASAN kernel under TCG reports wild accesses at
	# boot with it (and then disables lockdep for the whole run).
	local cpu=max,la57=off st
	[ "$1" = kvm ] && cpu=host
	set +e
	# stdin from /dev/null: QEMU leaves the terminal alone, and cannot be
	# stopped by reading from it in the background.
	timeout --foreground -k 10 "$2" qemu-system-x86_64 -nographic -no-reboot \
		-nic none -smp 2 -m "$mem" -accel "$1" -cpu "$cpu" \
		-kernel "$kernel" -initrd "$3" -append "$cmdline" </dev/null 2>&1 |
		sed -u 's/\r$//' | if [ "${5:-}" = quiet ]; then cat > "$4"; else tee "$4"; fi
	st=${PIPESTATUS[0]}
	set -e
	return "$st"
}

# TCG always works; KVM is much faster but on nested machines /dev/kvm may
# exist and still fail (SeaBIOS hangs, "emulation failure"). So boot once
# with KVM and remember the answer for this kernel release.
pick_accel() {
	local key="$kind $release" log
	if [ -n "${WB_ACCEL:-}" ]; then
		case "$WB_ACCEL" in tcg|kvm) echo "$WB_ACCEL"; return ;; esac
		die "WB_ACCEL must be tcg or kvm, not '$WB_ACCEL'"
	fi
	if grep -qxF "$key" "$CACHE/kvm.ok" 2>/dev/null; then echo kvm; return; fi
	if grep -qxF "$key" "$CACHE/kvm.no" 2>/dev/null; then echo tcg; return; fi
	[ -w /dev/kvm ] || { echo tcg; return; }
	log "probing KVM with the $kind kernel (once per kernel release; at most 20 s)"
	write_cmd "$tmp/probe" true
	make_initrd "$tmp/probe" "$tmp/probe.initrd"
	log=$CACHE/logs/kvm-probe-$kind-$(date +%Y%m%d-%H%M%S).log
	run_qemu kvm 20 "$tmp/probe.initrd" "$log" quiet || true
	if grep -aq 'WB-EXIT-STATUS=0' "$log"; then
		echo "$key" >> "$CACHE/kvm.ok"; echo kvm
	else
		log "KVM does not work here (probe log: $log); using TCG"
		echo "$key" >> "$CACHE/kvm.no"; echo tcg
	fi
}
accel=$(pick_accel)

console=$CACHE/logs/vm-$kind-$(date +%Y%m%d-%H%M%S).log
[ -e "$console" ] && console=${console%.log}-$$.log
log "booting $kind kernel $release with $accel, ${mem} MB, timeout ${timeout_s} s; console log: $console"
start=$(date +%s)
qrc=0
run_qemu "$accel" "$timeout_s" "$tmp/initrd" "$console" || qrc=$?
elapsed=$(( $(date +%s) - start ))

init_line=$(grep -ao 'WB-INIT-STARTED uptime=[0-9.]*s' "$console" | head -n 1 || true)
status=$(grep -ao 'WB-EXIT-STATUS=[0-9]*' "$console" | tail -n 1 | cut -d= -f2 || true)
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	[ -n "$init_line" ] || log "(the guest had not even reached /init)"
	printf 'ERROR: guest timed out after %s s; console log: %s\n' "$timeout_s" "$console" >&2
	exit 124
fi
if [ -z "$init_line" ]; then
	printf 'ERROR: the guest never reached /init (no WB-INIT-STARTED on the console; QEMU exit %s):\n' "$qrc" >&2
	printf '       the kernel failed to boot or panicked early; console log: %s\n' "$console" >&2
	exit 125
fi
if [ -z "$status" ]; then
	printf 'ERROR: the guest died while running the command (no WB-EXIT-STATUS marker; QEMU exit %s):\n' "$qrc" >&2
	printf '       look for a panic or oops in the console log: %s\n' "$console" >&2
	exit 125
fi
log "guest command exited with $status (init reached at guest ${init_line#*uptime=}, ${elapsed} s in all, $accel)"
exit "$status"
