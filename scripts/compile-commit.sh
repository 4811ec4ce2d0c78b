#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# compile-commit.sh [--users-in DIR]... KIND COMMIT [DIR...]: does the kernel tree, checked out at
# COMMIT, still compile where COMMIT changed it? In the build tree of KIND
# (x86, debug or arm64, built before by build.sh), with the command line
# kbuild recorded for each object:
# - every object whose .c file COMMIT changes is compiled, objtool included,
#   into a scratch file;
# - every object that includes a header COMMIT changes is compiled with
#   -fsyntax-only: a changed declaration breaks its users there, at about
#   half the cost of generating code (a third with KASAN); with
#   --users-in, only those in the directories given.
# A commit that changes a Kconfig file or a Makefile, or adds, removes or
# renames a file, changes what kbuild would do: that one is built by kbuild
# instead (build.sh KIND DIR...).
# The build tree's objects are not touched, so kbuild's own state stays that
# of its last build; the dependencies each compile reports are kept beside
# it (.wb-commit-deps/), so that a header a patch adds to a file counts for
# the patches after it. Exits non-zero when something does not compile or
# COMMIT changes a C file this build tree does not compile.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
one_at_a_time "scripts/compile-commit.sh"

# --users-in DIR (repeatable): of the objects that only include a changed
# header, check those in these directories (not their subdirectories)
user_dirs=()
while [ "${1:-}" = --users-in ]; do
	[ $# -ge 2 ] || die "--users-in needs a directory"
	user_dirs+=("${2%/}")
	shift 2
done
[ $# -ge 2 ] || die "usage: compile-commit.sh [--users-in DIR]... KIND COMMIT [DIR...]" \
	"KIND is x86, debug or arm64; DIRs are what kbuild builds when it must" \
	"(without them, what build.sh KIND builds)."
kind=$1 commit=$2
shift 2
need_tree
out=$CACHE/build-$kind
[ -f "$out/.wb-config" ] || die "no $kind build in $out" "Build it first: bash scripts/build.sh $kind"
[ "$(wbgit -C "$TREE" rev-parse HEAD)" = "$(wbgit -C "$TREE" rev-parse "$commit^{commit}")" ] ||
	die "$TREE is not checked out at $commit" "Check it out first; this script compiles the files as they are."
deps=$out/.wb-commit-deps

mapfile -t changed < <(wbgit -C "$TREE" diff-tree --no-commit-id --name-only -r "$commit" |
	grep -vE '^(Documentation/|tools/|MAINTAINERS$)' || true)
[ ${#changed[@]} -gt 0 ] || { echo "nothing a kernel build reads"; exit 0; }

kbuild() {
	echo "$1: kbuild builds ${*:2}"
	rm -rf "$deps"
	"$WB_ROOT/scripts/build.sh" "$kind" "${@:2}"
}
if wbgit -C "$TREE" diff-tree --no-commit-id --name-only -r --diff-filter=ADR "$commit" | grep -q . ||
	printf '%s\n' "${changed[@]}" | grep -qE '(^|/)(Kconfig[^/]*|Makefile|Kbuild)$'; then
	kbuild "a Kconfig file or a Makefile changes, or a file comes or goes" "$@"
	exit
fi

# The objects that read a changed file: their .cmd file (written by kbuild)
# names it as source or dependency, or the dependencies of their last
# compile here do. A path ends a line of either.
mkdir -p "$deps"
paths=$(printf "$TREE/%s\n" "${changed[@]}")
# (kernel file names hold no regex character but these two)
patterns=$(sed 's/[.+]/\\&/g; s/^/ /; s/$/( \\\\)?$/' <<< "$paths")
cmd_files() { find "$out" -name '.*.o.cmd' -not -path "$deps/*"; }
own=$(cd "$deps" && find . -type f -printf '%P\n')
# objects with dependencies of their own here are looked up only there
readers() {
	cmd_files | xargs -r grep -lE -f <(printf '%s\n' "$patterns") |
		sed -E "s#^$out/##; s#(^|/)\.([^/]*)\.cmd\$#\1\2#" |
		grep -vxF -f <(printf '%s\n' "$own") || true
	[ -z "$own" ] || (cd "$deps" && xargs -r grep -lxF -f <(printf '%s\n' "$paths") <<< "$own")
}
mapfile -t objs < <(readers | sort -u)
# Every changed C file must be read by some object of this build tree.
read_paths() {
	cmd_files | xargs -r grep -hoE -f <(printf '%s\n' "$patterns") | sed 's/^ //; s/ \\$//'
	[ -z "$own" ] || (cd "$deps" && xargs -r grep -hoxF -f <(printf '%s\n' "$paths") <<< "$own")
}
missing=$(grep '\.c$' <<< "$paths" | grep -vxF -f <(read_paths | sort -u) || true)

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
full=0 syntax=0 elsewhere=0
jobs=$scratch/jobs
: > "$jobs"
for i in "${!objs[@]}"; do
	o=${objs[$i]}
	cmdf=$out/$(dirname "$o")/.$(basename "$o").cmd
	src=$(sed -n "s|^source_[^ ]* := ||p" "$cmdf")
	cmd=$(sed -n "s|^savedcmd_[^ ]* := ||p" "$cmdf")
	# an object of a file this commit does not have (the build tree
	# was built at a later commit): not part of this kernel
	[ -e "$src" ] || continue
	case "$src" in
	*.c) ;;
	*) kbuild "$o is not made from a C file ($src)" "$@"; exit ;;
	esac
	dfile=$(dirname "$o")/.$(basename "$o").d
	[[ "$cmd" == *" -Wp,-MMD,$dfile "* && "$cmd" == *" -c -o $o "* ]] ||
		{ kbuild "the command of $o is not the usual compile" "$@"; exit; }
	cmd=${cmd//-Wp,-MMD,$dfile /-Wp,-MMD,$scratch/$i.d }
	# the compiler itself: ccache would preprocess each file twice to
	# cache what is thrown away
	cmd=${cmd#ccache }
	if ! grep -qxF "$src" <<< "$paths" && [ ${#user_dirs[@]} -gt 0 ] &&
	   ! printf '%s\n' "${user_dirs[@]}" | grep -qxF "$(dirname "$o")"; then
		elsewhere=$((elsewhere + 1))
		continue
	fi
	if grep -qxF "$src" <<< "$paths"; then
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
	printf '%s\t%s\t%s\n' "$i" "$o" "$cmd" >> "$jobs"
done
echo "$full object(s) compiled, $syntax checked with -fsyntax-only ($kind)${user_dirs:+; $elsewhere in other directories left to the full build}"
# one line per job; each runs from the build tree, as kbuild's commands do
run_job() {
	local i=$1 o=$2 cmd=$3 rc=0
	(cd "$out" && sh -c "$cmd") > "$scratch/$i.log" 2>&1 || rc=$?
	if [ $rc != 0 ]; then
		echo "FAILED: $o"; cat "$scratch/$i.log"; return 1
	fi
	[ -s "$scratch/$i.log" ] && { echo "$o:"; cat "$scratch/$i.log"; }
	# the dependencies of this compile, one path per line, for the next
	# commits' choice
	mkdir -p "$deps/$(dirname "$o")"
	sed 's/\\$//' "$scratch/$i.d" | tr ' ' '\n' | grep -v ':$' | grep . > "$deps/$o"
}
export -f run_job
export out scratch deps
rc=0
tr '\t\n' '\0\0' < "$jobs" | xargs -0 -r -n 3 -P "$JOBS" bash -c 'run_job "$@"' _ || rc=1
if [ -n "$missing" ]; then
	echo "changed, but this build tree ($kind) does not compile it:"
	sed "s|^$TREE/|    |" <<< "$missing"
	rc=1
fi
exit $rc
