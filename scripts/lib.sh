# SPDX-License-Identifier: GPL-2.0
# Common settings and helpers for the workbench scripts; sourced, not run.

WB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Everything big (source, build trees, guest root, tools) lives outside the
# tracked files, so that a clean clone stays small and caches survive it.
CACHE=${CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vb2fence}
BASE_PACKAGE=linux-source-7.3
BASE_TAG=base
JOBS=${JOBS:-$(nproc)}

# The kernel git tree: the developer's own (KERNEL_SRC) or the cached one
# made from the Debian package.
TREE=${KERNEL_SRC:-$CACHE/linux}

log()  { printf '==> %s\n' "$*" >&2; }
die()  { printf 'ERROR: %s\n' "$1" >&2; shift; for l in "$@"; do printf '       %s\n' "$l" >&2; done; exit 1; }

# with_progress DIR CMD...: run CMD; while it runs, say once a minute how
# long it has been and how many objects DIR holds, so that a cold kernel
# build does not look like a hang. Returns CMD's status.
with_progress() {
	local dir=$1 pid t0=$SECONDS next=60
	shift
	"$@" &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		sleep 2
		if [ $((SECONDS - t0)) -ge "$next" ]; then
			log "  still building: $((next / 60)) min, $(find "$dir" -name '*.o' 2>/dev/null | wc -l) objects"
			next=$((next + 60))
		fi
	done
	wait "$pid"
}

# A private apt configuration, so that packages from newer Debian suites can
# be downloaded without touching the system's sources or state.
PAPT=$CACHE/apt
papt_opts() {
	printf '%s\n' -o "Dir::Etc::SourceList=$PAPT/sources.list" \
		-o "Dir::Etc::SourceParts=/dev/null" \
		-o "Dir::State::Lists=$PAPT/lists" \
		-o "Dir::Cache=$PAPT/cache" \
		-o "Dir::State::status=/dev/null" \
		-o "Dir::Cache::pkgcache=$PAPT/cache/pkgcache.bin" \
		-o "Dir::Cache::srcpkgcache=$PAPT/cache/srcpkgcache.bin" \
		-o "APT::Sandbox::User=root" \
		-o "Debug::NoLocking=1"
}

papt_update() {
	local stamp=$PAPT/lists/.updated
	mkdir -p "$PAPT/lists/partial" "$PAPT/cache/archives/partial"
	cat > "$PAPT/sources.list.new" <<SRC
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie-backports main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian sid main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian experimental main
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian sid main
SRC
	# Replace it only when it changed: apt drops its binary caches (3 s a
	# call) whenever sources.list is newer than them.
	if cmp -s "$PAPT/sources.list.new" "$PAPT/sources.list"; then
		rm "$PAPT/sources.list.new"
	else
		mv "$PAPT/sources.list.new" "$PAPT/sources.list"
	fi
	# Refresh at most every 6 hours: suites move, but not that fast.
	if [ -z "$(find "$stamp" -mmin -360 2>/dev/null)" ]; then
		log "updating the private apt lists (trixie, trixie-backports, sid, experimental)"
		# shellcheck disable=SC2046
		apt-get $(papt_opts) -q update >"$PAPT/update.log" 2>&1 ||
			die "apt-get update on the private lists failed (see $PAPT/update.log)" \
			    "Is deb.debian.org reachable? Try: apt-get $(papt_opts | tr '\n' ' ') update"
		touch "$stamp"
	fi
}

papt() { # papt apt-get|apt-cache ARGS...
	local cmd=$1; shift
	# shellcheck disable=SC2046
	"$cmd" $(papt_opts) "$@"
}

need_tree() {
	git -C "$TREE" rev-parse --verify -q "$BASE_TAG^{commit}" >/dev/null ||
		die "no kernel git tree with a '$BASE_TAG' tag at $TREE" \
		    "Run 'make base' to make one from Debian's $BASE_PACKAGE," \
		    "or point KERNEL_SRC at a kernel git tree and tag its base commit: git tag $BASE_TAG <commit>"
	[ -f "$TREE/Makefile" ] && [ -d "$TREE/drivers/media" ] ||
		die "$TREE is not a Linux kernel tree (no Makefile or drivers/media)"
}
