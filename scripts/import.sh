#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the kernel tree's series branch from patches/: reset it to the base
# and apply every patch with git am. Refuses to drop commits that were not
# exported first.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
one_at_a_time "scripts/import.sh"
need_tree

branch=${SERIES_BRANCH:-vb2fence}
git=(wbgit -C "$TREE")
mapfile -t series < <(ls "$WB_ROOT"/patches/[0-9][0-9][0-9][0-9]-*.patch 2>/dev/null |
	grep -v '/0000-cover-letter.patch$' || true)
[ ${#series[@]} -gt 0 ] || die "no patches in $WB_ROOT/patches"

[ -z "$("${git[@]}" status --porcelain --untracked-files=no)" ] ||
	die "the kernel tree $TREE has uncommitted changes" \
	    "Commit them and run 'make export', or discard them (git -C $TREE stash)."

# Commits on the series branch that patches/ does not have would be lost.
if "${git[@]}" rev-parse -q --verify "refs/heads/$branch" >/dev/null &&
   [ "$("${git[@]}" rev-list --count "$BASE_TAG..$branch")" -gt 0 ] &&
   [ -z "${FORCE:-}" ]; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	"$WB_ROOT/scripts/export.sh" "$tmp" 2>/dev/null ||
		die "cannot export branch $branch to compare it with patches/"
	rm -f "$tmp/0000-cover-letter.patch"
	for p in "$tmp"/*.patch; do
		cmp -s "$p" "$WB_ROOT/patches/$(basename "$p")" ||
			die "branch $branch has work that is not in patches/ ($(basename "$p"))" \
			    "Run 'make export' to keep it, or FORCE=1 to drop it."
	done
fi

# Apply on a branch of its own; the series branch moves only when every
# patch applied, so a failed import leaves it as it was.
old_head=$("${git[@]}" rev-parse -q --verify "refs/heads/$branch" || true)
"${git[@]}" checkout -q -B "$branch-import" "$BASE_TAG"
for p in "${series[@]}"; do
	if ! out=$("${git[@]}" am -q --keep-cr "$p" 2>&1); then
		"${git[@]}" am --abort >/dev/null 2>&1 || true
		if [ -n "$old_head" ]; then
			"${git[@]}" checkout -q "$branch"
		else
			"${git[@]}" checkout -q --detach "$BASE_TAG"
		fi
		"${git[@]}" branch -q -D "$branch-import"
		files=$(printf '%s\n' "$out" | sed -n 's/^error: \(patch failed: \|corrupt patch at\|\)\([^:]*\):.*/\2/p' | sort -u | tr '\n' ' ')
		die "$(basename "$p") does not apply on $BASE_TAG (branch $branch left as it was)" \
		    "files: ${files:-see below}" "$(printf '%s\n' "$out" | grep -v '^hint:' | head -n 5)"
	fi
done
"${git[@]}" checkout -q -B "$branch"
"${git[@]}" branch -q -D "$branch-import"
log "applied ${#series[@]} patches on $BASE_TAG: branch $branch in $TREE"
