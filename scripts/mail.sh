#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The series as its sender mails it. patches/ carries no person: its author
# is a placeholder and nothing in it is signed off, because only the person
# who sends a patch can certify its origin. This writes the mail for whoever
# runs it, from the series branch (make import): author and From: their git
# identity (user.name, user.email), their Signed-off-by: on every patch (as
# git format-patch -s does), To/Cc from get_maintainer.pl. It sends nothing.
#   mail.sh [DIR]    DIR defaults to $CACHE/mail; then: git send-email DIR/*
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_tree

name=$(git -C "$WB_ROOT" config user.name || true)
email=$(git -C "$WB_ROOT" config user.email || true)
[ -n "$name" ] && [ -n "$email" ] ||
	die "no git identity (user.name and user.email): the sender signs the series off" \
	    "Set yours, then rerun: git config --global user.name 'Your Name'" \
	    "                       git config --global user.email you@your.domain"
[ "$email" != "$WB_AUTHOR_EMAIL" ] ||
	die "user.email is the workbench's placeholder; set your own address"

branch=${SERIES_BRANCH:-vb2fence}
out=${1:-$CACHE/mail}
git=(wbgit -C "$TREE")
"${git[@]}" rev-parse -q --verify "refs/heads/$branch" >/dev/null ||
	die "no branch $branch in $TREE" "Run 'make import' first."

# The same trees, commit by commit, now authored by the sender and signed
# off by them (the trailer joins any trailers the message already has).
# The author dates stay, so that the mail describes the series as it is.
sob="Signed-off-by: $name <$email>"
export GIT_AUTHOR_NAME=$name GIT_AUTHOR_EMAIL=$email
export GIT_COMMITTER_NAME=$name GIT_COMMITTER_EMAIL=$email
head=$("${git[@]}" rev-parse "$BASE_TAG^{commit}")
for c in $("${git[@]}" rev-list --reverse "$BASE_TAG..$branch"); do
	GIT_AUTHOR_DATE=$("${git[@]}" log -1 --format=%ad --date=raw "$c")
	export GIT_AUTHOR_DATE
	head=$("${git[@]}" log -1 --format=%B "$c" |
		"${git[@]}" interpret-trailers --if-exists addIfDifferent --trailer "$sob" |
		"${git[@]}" commit-tree "$c^{tree}" -p "$head")
done
"${git[@]}" update-ref "refs/heads/$branch-mail" "$head"

WB_GIT_NAME=$name WB_GIT_EMAIL=$email SERIES_BRANCH=$branch-mail \
	"$WB_ROOT/scripts/export.sh" "$out"
for p in "$out"/[0-9][0-9][0-9][0-9]-*.patch; do
	case "$p" in */0000-cover-letter.patch) continue ;; esac
	grep -qxF "$sob" "$p" || die "$(basename "$p") lacks '$sob'"
done
log "mail for $name <$email> in $out; check it, then: git send-email $out/*.patch"
