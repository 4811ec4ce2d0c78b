#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Make the base kernel git tree from Debian's newest linux-source-7.3:
# download it through a private apt configuration, unpack it once, and commit
# it as a single base commit tagged "base".
set -euo pipefail
. "$(dirname "$0")/lib.sh"
one_at_a_time "scripts/base.sh"

if [ -n "${KERNEL_SRC:-}" ]; then
	need_tree
	log "using KERNEL_SRC=$KERNEL_SRC (base: $(wbgit -C "$TREE" describe --always "$BASE_TAG"))"
	exit 0
fi

if wbgit -C "$TREE" rev-parse --verify -q "$BASE_TAG^{commit}" >/dev/null 2>&1; then
	log "base tree ready: $TREE ($(wbgit -C "$TREE" log -1 --format=%s "$BASE_TAG"))"
	exit 0
fi

# The tree and its git objects take about 3 GiB.
need_space 4 "the base tree"
papt_update
# The newest released 7.3.y in any of the suites; release candidates do not
# count, and Debian drops superseded versions, so take what is there.
version=$(papt apt-cache madison "$BASE_PACKAGE" 2>/dev/null |
	awk -F'|' '{gsub(/ /, "", $2); print $2}' | grep -v '~rc' |
	sort -V | tail -n 1 || true)
if [ -z "$version" ]; then
	avail=$(papt apt-cache madison linux-source 2>/dev/null |
		awk -F'|' '{gsub(/ /, "", $2); print $2}' | sort -uV | tr '\n' ' ')
	die "no released $BASE_PACKAGE in trixie-backports, sid or experimental" \
	    "linux-source versions available now: ${avail:-none}" \
	    "Moving the series to a newer base is a rebase: change BASE_PACKAGE in scripts/lib.sh."
fi

dl=$CACHE/dl
mkdir -p "$dl"
deb=$(ls "$dl/${BASE_PACKAGE}_${version//:/%3a}_all.deb" 2>/dev/null || true)
if [ -z "$deb" ]; then
	log "downloading $BASE_PACKAGE $version"
	(cd "$dl" && papt apt-get -q download "$BASE_PACKAGE=$version") ||
		die "could not download $BASE_PACKAGE=$version" "Check that $(debian_archive) is reachable."
	deb=$(ls "$dl/${BASE_PACKAGE}_"*"_all.deb" | sort -V | tail -n 1)
fi

log "unpacking $(basename "$deb") into $TREE"
rm -rf "$TREE.tmp"
mkdir -p "$TREE.tmp"
dpkg-deb --fsys-tarfile "$deb" |
	tar -xO --wildcards "./usr/src/$BASE_PACKAGE.tar.xz" |
	xz -d -T"$JOBS" | tar -x -C "$TREE.tmp" --strip-components=1

# Debian's tarball ends its .gitignore with a catch-all "/*" for its
# packaging repository, which would make git ignore every file: drop that
# stanza so the tree behaves like an upstream checkout.
sed -i '/^# Debian packaging: ignore everything/,$d' "$TREE.tmp/.gitignore"
sed -i '${/^#$/d}' "$TREE.tmp/.gitignore"

log "committing the base tree (takes a minute)"
cd "$TREE.tmp"
wbgit init -q -b base-debian
wbgit config gc.auto 0
wbgit add -A
[ "$(wbgit diff --cached --name-only | head -n 100 | wc -l)" -ge 100 ] ||
	die "git added almost nothing from the unpacked tree (.gitignore still ignores it?)"
kver=$(make -s kernelversion)
# Commit with the package's own timestamp and the workbench's fixed name, so
# that the base commit (and the base-commit: line in exported patches) is the
# same on every machine.
GIT_AUTHOR_DATE="@$(stat -c %Y Makefile) +0000"
GIT_COMMITTER_DATE=$GIT_AUTHOR_DATE
WB_GIT_NAME="vb2fence workbench" WB_GIT_EMAIL="workbench@localhost"
export GIT_AUTHOR_DATE GIT_COMMITTER_DATE
wbgit commit -q -m "Linux $kver from Debian $BASE_PACKAGE $version

Unpacked from ${BASE_PACKAGE}_${version}_all.deb; the only change is
Debian's catch-all '/*' stanza removed from the top-level .gitignore."
wbgit tag -a -m "Debian $BASE_PACKAGE $version (Linux $kver)" "$BASE_TAG"
unset GIT_AUTHOR_DATE GIT_COMMITTER_DATE WB_GIT_NAME WB_GIT_EMAIL
wbgit checkout -q -b work
cd - >/dev/null
mv "$TREE.tmp" "$TREE"
log "base tree ready: $TREE (Linux $kver, Debian $version)"
