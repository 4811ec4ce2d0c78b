#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Export the series branch of the kernel tree to patches/ (or to DIR, the
# only argument) with git format-patch: stable names, zero commit ids and a
# fixed cover letter date, so that exporting right after importing changes
# nothing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_tree

branch=${SERIES_BRANCH:-vb2fence}
cover=$WB_ROOT/series/cover-letter.txt
git=(wbgit -C "$TREE")
"${git[@]}" rev-parse -q --verify "refs/heads/$branch" >/dev/null ||
	die "no branch $branch in $TREE" "Run 'make import' first."
[ -f "$cover" ] || die "missing $cover (first line: subject, then the text)"
n=$("${git[@]}" rev-list --count "$BASE_TAG..$branch")
[ "$n" -gt 0 ] || die "branch $branch has no commits on top of $BASE_TAG"

# The cover letter text lives in series/; git takes it from the branch
# description.
"${git[@]}" config "branch.$branch.description" "$(cat "$cover")"

tmp=$(mktemp -d)
# the recipients' jobs below end with the script, before their files go
trap 'kill $(jobs -p) 2>/dev/null || true; wait; rm -rf "$tmp"' EXIT
"${git[@]}" format-patch -q --zero-commit --no-signature --base="$BASE_TAG" \
	--cover-letter --cover-from-description=subject \
	-o "$tmp" "$BASE_TAG..$branch" >/dev/null
# git dates the cover letter now; give it the newest patch's date instead.
last_date=$(grep -m1 '^Date: ' "$(ls "$tmp"/*.patch | tail -n 1)")
sed -i "s/^Date: .*/$last_date/" "$tmp/0000-cover-letter.patch"

# Recipients as scripts/get_maintainer.pl gives them: maintainers and
# reviewers in To:, lists in Cc:; the cover letter goes to all of them.
# MAINTAINERS as the series leaves it, whatever the tree has checked out.
# --no-fixes: the tree has no git history in which to find the authors of
# a commit named by a Fixes: tag (the fix's maintainers are in To: anyway).
"${git[@]}" show "$branch:MAINTAINERS" > "$tmp/.MAINTAINERS"
# get_maintainer.pl reads all of MAINTAINERS at each call (0.3 s, two calls
# a patch), and make check exports three times: the recipients are kept in
# $CACHE/recipients under a hash of all that decides them (the script,
# MAINTAINERS, its options here, the diffs: with --no-git it reads the
# patch's diff lines only, never the commit message).
recipients_cache=$CACHE/recipients
recipients() { # PATCH... -> "To: ...\nCc: ..." folded as mail headers
	local gm=(./scripts/get_maintainer.pl --mpath "$tmp/.MAINTAINERS"
		  --no-rolestats --no-git --no-git-fallback --no-fixes) key part to cc
	key=$( { declare -f recipients; cat "$TREE/scripts/get_maintainer.pl" "$tmp/.MAINTAINERS"
		 for p in "$@"; do sed -n '/^diff --git /,$p' "$p"; done; } | sha1sum | cut -c1-40)
	if [ ! -f "$recipients_cache/$key" ]; then
		mkdir -p "$recipients_cache"
		# its own, when several run at once
		part=$recipients_cache/$key.tmp$BASHPID
		# a failed get_maintainer.pl is not an empty list: nothing cached
		to=$(cd "$TREE" && "${gm[@]}" --no-l "$@") &&
			cc=$(cd "$TREE" && "${gm[@]}" --no-m --no-r --l "$@") &&
			[ -n "$to$cc" ] || { echo "get_maintainer.pl failed for $*" >&2; return 1; }
		{ echo "To: $(paste -sd, <<< "$to" | sed 's/,/, /g')" | header_fold
		  echo "Cc: $(paste -sd, <<< "$cc" | sed 's/,/, /g')" | header_fold; } > "$part" &&
			mv "$part" "$recipients_cache/$key"
	fi
	cat "$recipients_cache/$key"
}
header_fold() { fold -s -w 76 | sed '2,$s/^/ /; s/ *$//'; }
# Not in the cache yet (a new machine: 1 s a call on a slow one): the
# patches' recipients, $JOBS (the number of CPUs) at a time, into the cache
# the loop below reads; that loop says what failed.
for p in $(ls "$tmp"/*.patch | grep -v /0000-); do
	recipients "$p" > /dev/null &
	while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || true; done
done
wait || true
for p in "$tmp"/*.patch; do
	case "$p" in
	*/0000-cover-letter.patch) r=$(recipients $(ls "$tmp"/*.patch | grep -v /0000-)) ;;
	*) r=$(recipients "$p") ;;
	esac
	awk -v r="$r" '!done && /^Date: / { print; print r; done = 1; next } { print }' \
		"$p" > "$p.new" && mv "$p.new" "$p"
done

out=${1:-$WB_ROOT/patches}
mkdir -p "$out"
rm -f "$out"/[0-9][0-9][0-9][0-9]-*.patch
cp "$tmp"/*.patch "$out/"
log "exported $n patches and the cover letter to $out"
