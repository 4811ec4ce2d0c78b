# SPDX-License-Identifier: GPL-2.0
# Common settings and helpers for the workbench scripts; sourced, not run.

WB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Everything big (source, build trees, guest root, tools) lives outside the
# tracked files, so that a clean clone stays small and caches survive it.
# Exported: scripts run with another HOME (check.sh's identity tests) keep it.
export CACHE=${CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vb2fence}
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

# The workbench's own git on the kernel tree. The caller's global and system
# configuration (identity, signing, format.* and diff.* settings) must not
# change the base commit, the series branch or what export writes: only the
# tree's own config counts, and the identity is given here. patches/ carries
# this placeholder, never a person; scripts/mail.sh makes the mail for the
# real sender and signs it off for them.
WB_AUTHOR_NAME="Sender Placeholder"
WB_AUTHOR_EMAIL="sign-off-with-make-mail@invalid"
wbgit() {
	env -u GIT_CONFIG_PARAMETERS -u GIT_CONFIG_COUNT \
		GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 \
		git -c user.name="${WB_GIT_NAME:-$WB_AUTHOR_NAME}" \
		-c user.email="${WB_GIT_EMAIL:-$WB_AUTHOR_EMAIL}" \
		-c commit.gpgSign=false -c tag.gpgSign=false "$@"
}

# one_at_a_time WHAT: the long runs (check, mutate, bench, demo) rebuild and
# boot the same kernels under $CACHE; a second one at the same time would
# build over the first's kernel or check out another commit under it. The
# lock is held until the caller exits; the runs it starts inherit it.
one_at_a_time() {
	[ -n "${WB_LOCK_HELD:-}" ] && return 0
	mkdir -p "$CACHE" && exec 9>>"$CACHE/.workbench.lock" ||
		die "cannot create $CACHE/.workbench.lock" "Check that $CACHE is writable."
	flock -n 9 ||
		die "another workbench run uses $CACHE: $(cat "$CACHE/.workbench.who" 2>/dev/null || echo unknown)" \
			"Wait for it to end, or give this one another CACHE=DIR."
	echo "$1, pid $$, started $(date '+%F %T')" > "$CACHE/.workbench.who"
	export WB_LOCK_HELD=1
}

# need_space GIB WHAT: stop before WHAT fills the disk under $CACHE.
need_space() {
	local free
	mkdir -p "$CACHE"
	free=$(df -Pk "$CACHE" | awk 'NR == 2 { print int($4 / 1048576) }')
	[ "$free" -ge "$1" ] ||
		die "only $free GiB free in $CACHE; $2 needs about $1 GiB" \
		    "Free some space there, or point CACHE at a directory with more room."
}

# The Debian archive this machine already uses, read from its own apt
# sources (deb822 *.sources files and one-line *.list files): the first
# "deb" entry for this release (or "stable"), so that the private apt
# configuration goes through whatever mirror the machine is set up with.
# WB_DEBIAN_ARCHIVE=URI overrides.
debian_archive() {
	local codename uri
	if [ -n "${WB_DEBIAN_ARCHIVE:-}" ]; then
		echo "$WB_DEBIAN_ARCHIVE"
		return
	fi
	codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
	uri=$( {
		awk -v rel="$codename" '
		function flush(  i, u) {
			if (types ~ / deb( |$)/ && enabled != "no" &&
			    (suites " ") ~ (" (" rel "|stable) "))
				for (i = 1; i <= split(uris, u, " "); i++) print u[i]
			types = uris = suites = enabled = ""
		}
		FNR == 1 { flush() }
		/^[ \t]*$/ { flush(); next }
		/^[ \t]*#/ { next }
		tolower($1) == "types:" { $1 = ""; types = $0 }
		tolower($1) == "uris:" { $1 = ""; uris = $0 }
		tolower($1) == "suites:" { $1 = ""; suites = $0 }
		tolower($1) == "enabled:" { enabled = tolower($2) }
		END { flush() }' /etc/apt/sources.list.d/*.sources 2>/dev/null
		cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
			sed -E 's/\[[^]]*\]//' |
			awk -v rel="$codename" '$1 == "deb" && ($3 == rel || $3 == "stable") { print $2 }'
	} | head -n 1)
	[ -n "$uri" ] ||
		die "no Debian archive for '${codename:-this release}' in this machine's apt sources" \
		    "(looked in /etc/apt/sources.list and /etc/apt/sources.list.d/)" \
		    "Set WB_DEBIAN_ARCHIVE to the URI of a Debian archive, the one a 'deb' line" \
		    "would name: WB_DEBIAN_ARCHIVE=http://<your mirror>/debian"
	echo "${uri%/}"
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
	local stamp=$PAPT/lists/.updated archive suite
	archive=$(debian_archive) || exit 1
	mkdir -p "$PAPT/lists/partial" "$PAPT/cache/archives/partial"
	for suite in trixie trixie-backports sid experimental; do
		echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $archive $suite main"
	done > "$PAPT/sources.list.new"
	echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $archive sid main" \
		>> "$PAPT/sources.list.new"
	# Replace it only when it changed: apt drops its binary caches (3 s a
	# call) whenever sources.list is newer than them; a new archive also
	# means new lists.
	if cmp -s "$PAPT/sources.list.new" "$PAPT/sources.list"; then
		rm "$PAPT/sources.list.new"
	else
		mv "$PAPT/sources.list.new" "$PAPT/sources.list"
		rm -f "$stamp"
	fi
	# Refresh at most every 6 hours: suites move, but not that fast.
	if [ -z "$(find "$stamp" -mmin -360 2>/dev/null)" ]; then
		log "updating the private apt lists (trixie, trixie-backports, sid, experimental from $archive)"
		# shellcheck disable=SC2046
		# apt-get update exits 0 when it cannot fetch: read its log too.
		if ! apt-get $(papt_opts) -q update >"$PAPT/update.log" 2>&1 ||
		   grep -q '^Err:' "$PAPT/update.log"; then
			die "apt-get update on the private lists failed: $(grep -m1 -A1 -E '^(E|Err):' "$PAPT/update.log" | tr -s ' \n' ' ')" \
			    "Is $archive reachable from here? (full log: $PAPT/update.log)" \
			    "The archive comes from this machine's apt sources; WB_DEBIAN_ARCHIVE=URI overrides it."
		fi
		touch "$stamp"
	fi
}

papt() { # papt apt-get|apt-cache ARGS...
	local cmd=$1; shift
	# shellcheck disable=SC2046
	"$cmd" $(papt_opts) "$@"
}

need_tree() {
	[ -z "${KERNEL_SRC:-}" ] || git -C "$KERNEL_SRC" rev-parse --git-dir >/dev/null 2>&1 ||
		die "KERNEL_SRC=$KERNEL_SRC is not a git tree" \
		    "Point KERNEL_SRC at a kernel git checkout, or unset it to use Debian's $BASE_PACKAGE."
	git -C "$TREE" rev-parse --verify -q "$BASE_TAG^{commit}" >/dev/null 2>&1 ||
		die "no kernel git tree with a '$BASE_TAG' tag at $TREE" \
		    "Run 'make base' to make one from Debian's $BASE_PACKAGE," \
		    "or point KERNEL_SRC at a kernel git tree and tag its base commit: git tag $BASE_TAG <commit>"
	[ -f "$TREE/Makefile" ] && [ -d "$TREE/drivers/media" ] ||
		die "$TREE is not a Linux kernel tree (no Makefile or drivers/media)"
}
