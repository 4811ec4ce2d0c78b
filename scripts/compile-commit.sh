#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# compile-commit.sh [--users-from FILE] KIND COMMIT [DIR...]: does the
# kernel tree, checked out at COMMIT, still compile where it changed? In the
# build tree of KIND (x86, debug or arm64, built before by build.sh), with
# the command line kbuild recorded for each object:
# - every object whose .c file changed is compiled, objtool included, into
#   a scratch file;
# - every object that includes a changed header is compiled with
#   -fsyntax-only: a changed declaration breaks its users there, at about
#   half the cost of generating code; with --users-from, only those made
#   from the C files the file lists.
# "Changed" is since the last commit this script checked in this build
# tree, or since its last kbuild build: a commit routed to another tree is
# checked here with the next one. When a Kconfig file or a Makefile changed
# since the last kbuild build, or a file came or went, kbuild would do
# something else: then kbuild builds (build.sh KIND DIR..., or what
# build.sh KIND builds without DIRs; of the DIRs, only the directories
# where files changed, when no header and no Kconfig file did since the
# last check and all changed files are in the DIRs).
# An object's users are found through the dependencies kbuild recorded
# (.cmd files) and those of its last compile here (.wb-commit-deps/, newer
# than the .cmd file), so that a header a patch adds to a file counts for
# the patches after it; a header reached only through a path with ".."
# in it is not seen. The build tree's objects are not touched.
# Exits non-zero when something does not compile, or when a changed file in
# a directory this tree builds (or under include/) is read by no object.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
one_at_a_time "scripts/compile-commit.sh"

# --users-from FILE: of the objects that only include a changed header,
# check those made from the C files FILE lists (paths in the tree)
users_from=
if [ "${1:-}" = --users-from ]; then
	[ $# -ge 2 ] && [ -f "$2" ] || die "--users-from needs a file that lists C files"
	users_from=$2
	shift 2
fi
[ $# -ge 2 ] || die "usage: compile-commit.sh [--users-from FILE] KIND COMMIT [DIR...]" \
	"KIND is x86, debug or arm64; DIRs are what kbuild builds when it must" \
	"(without them, what build.sh KIND builds)."
kind=$1 commit=$2
shift 2
need_tree
# kbuild records sources and headers by their real path
TREE=$(realpath "$TREE")
out=$CACHE/build-$kind
[ -f "$out/.wb-config" ] || die "no $kind build in $out" "Build it first: bash scripts/build.sh $kind"
head=$(wbgit -C "$TREE" rev-parse HEAD)
[ "$head" = "$(wbgit -C "$TREE" rev-parse "$commit^{commit}")" ] ||
	die "$TREE is not checked out at $commit" "Check it out first; this script compiles the files as they are."
deps=$out/.wb-commit-deps
# written by build.sh: the commit of the last kbuild build of this tree
built_at=$(cat "$out/.wb-built-at" 2>/dev/null) ||
	die "$out has no .wb-built-at" "Build it again with scripts/build.sh $kind."
checked_at=$(cat "$deps/.checked-at" 2>/dev/null || echo "$built_at")
wbgit -C "$TREE" cat-file -e "$checked_at^{commit}" 2>/dev/null || checked_at=$built_at
wbgit -C "$TREE" cat-file -e "$built_at^{commit}" 2>/dev/null ||
	die "$out was built at $built_at, which $TREE does not have" "Build it again with scripts/build.sh $kind."

kbuild() {
	echo "$1: kbuild builds ${*:2}"
	"$WB_ROOT/scripts/build.sh" "$kind" "${@:2}"
}
kernel_files() { grep -vE '^(Documentation/|tools/|MAINTAINERS$)' || true; }
came_or_went=$(wbgit -C "$TREE" diff --name-only --diff-filter=ADR "$built_at" "$head" | kernel_files)
build_files=$(wbgit -C "$TREE" diff --name-only "$built_at" "$head" | kernel_files |
	grep -E '(^|/)(Kconfig[^/]*|Makefile|Kbuild)$' || true)
if [ -n "$came_or_went$build_files" ]; then
	dirs=("$@")
	# When no header and no Kconfig file changed since the last check
	# here, and every file that changed since kbuild's last build is in
	# one of the DIRs, kbuild has to build only their directories: the
	# users of earlier headers were checked with their commits.
	headers=$(wbgit -C "$TREE" diff --name-only "$checked_at" "$head" | kernel_files |
		grep '\.h$' || true)
	given=$(printf '%s\n' "$@" | sed 's|/*$|/|')
	changed_dirs=$(wbgit -C "$TREE" diff --name-only "$built_at" "$head" | kernel_files |
		xargs -r -n 1 dirname | sed 's|$|/|' | sort -u)
	if [ $# -gt 0 ] && [ -z "$headers" ] && ! grep -q Kconfig <<< "$build_files" &&
	   [ -n "$changed_dirs" ] && ! grep -qvE "^($(paste -sd'|' <<< "$given"))" <<< "$changed_dirs"; then
		mapfile -t dirs <<< "$changed_dirs"
	fi
	kbuild "a Kconfig file or a Makefile changed, or a file came or went" "${dirs[@]}"
	exit
fi
mapfile -t changed < <(wbgit -C "$TREE" diff --name-only "$checked_at" "$head" | kernel_files)
[ ${#changed[@]} -gt 0 ] || { echo "nothing a kernel build reads"; exit 0; }

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$deps"
for f in "${changed[@]}"; do printf '%s/%s\n' "$TREE" "$f"; done > "$scratch/paths"
# a path ends a line of a .cmd file ("source_... := PATH", "  PATH \")
# (kernel file names hold no regex character but these two)
sed 's/[.+]/\\&/g; s/^/ /; s/$/( \\\\)?$/' "$scratch/paths" > "$scratch/patterns"
# grep -r: exit status 1 is "nothing found", above that an error
grep_or_none() { grep "$@" || [ $? = 1 ]; }
# the objects whose record here is newer than kbuild's: only it counts
(cd "$deps" && find . -type f -name '*.o' -printf '%P\n') | while read -r o; do
	if [ "$deps/$o" -nt "$out/$(dirname "$o")/.$(basename "$o").cmd" ]; then echo "$o"; fi
done > "$scratch/own"
# One pass over kbuild's .cmd files and one over the records, each line
# "FILE:MATCH": which objects read a changed file, and which changed files
# are read at all.
grep_or_none -roE --include='.*.o.cmd' --exclude-dir=.wb-commit-deps \
	-f "$scratch/patterns" "$out" > "$scratch/cmd-hits"
grep_or_none -rHxF -f "$scratch/paths" "$deps" |
	sed "s#^$deps/##" | awk -F: 'NR == FNR { own[$0]; next } $1 in own' "$scratch/own" - \
	> "$scratch/own-hits"
{
	cut -d: -f1 "$scratch/cmd-hits" | sed -E "s#^$out/##; s#(^|/)\.([^/]*)\.cmd\$#\1\2#" |
		grep_or_none -vxF -f "$scratch/own"
	cut -d: -f1 "$scratch/own-hits"
} | sort -u > "$scratch/objs"
mapfile -t objs < "$scratch/objs"

# Every changed file that this tree could read must be read by an object:
# files under include/, and those in a directory where it compiles anything.
{
	cut -d: -f2- "$scratch/cmd-hits" | sed 's/^ //; s/ \\$//'
	cut -d: -f2- "$scratch/own-hits"
} | sort -u > "$scratch/read"
unread=()
for f in "${changed[@]}"; do
	grep -qxF "$TREE/$f" "$scratch/read" && continue
	case "$f" in
	include/*) ;;
	*) compgen -G "$out/$(dirname "$f")/.*.o.cmd" > /dev/null || continue ;;
	esac
	unread+=("$f")
done

full=0 syntax=0 elsewhere=0
: > "$scratch/jobs"
for i in "${!objs[@]}"; do
	o=${objs[$i]}
	cmdf=$out/$(dirname "$o")/.$(basename "$o").cmd
	src=$(sed -n "s|^source_[^ ]* := ||p" "$cmdf")
	case "$src" in /*) ;; *) src=$out/$src ;; esac
	# an object of a file this commit does not have (the build tree
	# was built at a later commit): not part of this kernel
	[ -e "$src" ] || continue
	own_change=''
	grep -qxF "$src" "$scratch/paths" && own_change=1
	if [ -z "$own_change" ] && [ -n "$users_from" ] &&
	   ! grep -qxF "${src#"$TREE"/}" "$users_from"; then
		elsewhere=$((elsewhere + 1))
		continue
	fi
	case "$src" in
	*.c) ;;
	*) kbuild "$o is not made from a C file ($src)" "$@"; exit ;;
	esac
	# the command as the shell runs it: kbuild wrote it for make
	cmd=$(sed -n "s|^savedcmd_[^ ]* := ||p" "$cmdf" | sed 's/\$\$/$/g')
	dfile=$(dirname "$o")/.$(basename "$o").d
	[[ "$cmd" == *" -Wp,-MMD,$dfile "* && "$cmd" == *" -c -o $o "* && "$cmd" != *'$('* ]] ||
		{ kbuild "the command of $o is not the usual compile" "$@"; exit; }
	cmd=${cmd//-Wp,-MMD,$dfile /-Wp,-MMD,$scratch/$i.d }
	# the compiler itself: ccache would preprocess each file twice to
	# cache what is thrown away
	cmd=${cmd#ccache }
	if [ -n "$own_change" ]; then
		# objtool checks what the compiler made: it reads and rewrites
		# the object, the scratch copy here
		cmd=${cmd//" -c -o $o "/" -c -o $scratch/$i.o "}
		cmd=${cmd//" $o"/" $scratch/$i.o"}
		full=$((full + 1))
	else
		cmd=${cmd%% ; *}
		cmd=${cmd//" -c -o $o "/" -fsyntax-only "}
		syntax=$((syntax + 1))
	fi
	printf '%s\n' "$cmd" > "$scratch/$i.sh"
	printf '%s %s\n' "$i" "$o" >> "$scratch/jobs"
done

echo "$full object(s) compiled, $syntax checked with -fsyntax-only ($kind)${users_from:+; $elsewhere other users left to the full build}"
# one job per object; each runs from the build tree, as kbuild's commands do
run_job() { # INDEX OBJECT
	local i=$1 o=$2
	if ! (cd "$out" && sh "$scratch/$i.sh") > "$scratch/$i.log" 2>&1; then
		echo "FAILED: $o"; cat "$scratch/$i.log"; return 1
	fi
	if [ -s "$scratch/$i.log" ]; then echo "$o:"; cat "$scratch/$i.log"; fi
	# the dependencies of this compile, one path per line, for the
	# choice of the next commits
	mkdir -p "$deps/$(dirname "$o")"
	sed 's/\\$//' "$scratch/$i.d" | tr ' ' '\n' | grep -v ':$' | grep . > "$deps/$o"
}
export -f run_job
export out scratch deps
rc=0
xargs -r -L 1 -P "$JOBS" bash -c 'run_job "$@"' _ < "$scratch/jobs" || rc=1
if [ ${#unread[@]} -gt 0 ]; then
	echo "changed, but no object of this build tree ($kind) reads it:"
	printf '    %s\n' "${unread[@]}"
	rc=1
fi
[ $rc != 0 ] || echo "$head" > "$deps/.checked-at"
exit $rc
