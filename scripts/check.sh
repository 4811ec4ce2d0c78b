#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Every check of the series, in order: round trip, checkpatch and a compile
# after each patch (a full build of the three kernels after the last one),
# sparse and W=1 against the base, kernel-doc, and the tests in QEMU on the
# normal and the debug kernel. Ends with "N passed, N failed"; exits non-zero on a failure.
#   QUICK=1  skip the per-patch builds, the mutation run and the debug kernel
#   SOAK_FRAMES=N  frames of the soak test (default 2000; full: 100000)
set -uo pipefail
. "$(dirname "$0")/lib.sh"
one_at_a_time "make check"
S=$WB_ROOT/scripts
logs=$CACHE/logs/check
rm -rf "$logs"
mkdir -p "$logs"
passed=0 failed=0 skipped=0 n=0 failures=() skips=()

# step NAME CMD...: run CMD, keep its output in a log, print one line. CMD
# exits 77 when what it needs cannot be had here (its last line says why):
# the step is skipped, which is neither a pass nor a failure.
step() {
	local name=$1; shift
	local logf rc
	n=$((n + 1))
	logf=$logs/$(printf '%02d' $n)-$(echo "$name" | tr -c 'a-zA-Z0-9.\n-' '_').log
	local t0=$SECONDS
	printf '[%s] %-62s ' "$(date +%H:%M:%S)" "$name"
	"$@" >"$logf" 2>&1
	rc=$?
	last_rc=$rc
	if [ $rc = 0 ]; then
		passed=$((passed + 1)); echo "PASS ($((SECONDS - t0)) s)"
	elif [ $rc = 77 ]; then
		skipped=$((skipped + 1)); skips+=("$name: $(tail -n 1 "$logf")")
		echo "SKIP ($((SECONDS - t0)) s), log: $logf"
		return 1
	else
		failed=$((failed + 1)); failures+=("$name")
		echo "FAIL ($((SECONDS - t0)) s), log: $logf"
		tail -n 15 "$logf" | sed 's/^/    /'
		return 1
	fi
}

finish() {
	echo
	for f in "${skips[@]}"; do echo "skipped: $f"; done
	for f in "${failures[@]}"; do echo "failed: $f"; done
	if [ "$skipped" = 0 ]; then
		echo "$passed passed, $failed failed"
	else
		echo "$passed passed, $failed failed, $skipped skipped"
	fi
	[ "$failed" = 0 ]
	exit
}

# After a failed step that later ones need: stop.
stop() { echo "(stopping: later checks need that step)"; finish; }

git=(wbgit -C "$TREE")
branch=${SERIES_BRANCH:-vb2fence}

step "host packages" "$S/deps.sh"
step "base tree ($BASE_PACKAGE)" "$S/base.sh" || stop
step "import patches/ with git am" "$S/import.sh" || stop

# The round trip may not depend on who runs it: export with no git identity
# and no global config (a new machine), then with a global config that sets
# another identity and options that change format-patch's output. Both must
# reproduce patches/ exactly.
roundtrip_as() { # no-identity|other-identity
	local tmp home rc
	tmp=$(mktemp -d) home=$(mktemp -d)
	if [ "$1" = other-identity ]; then
		printf '%s\n' '[user]' 'name = Someone Else' 'email = else@example.com' \
			'[format]' 'signOff = true' 'numbered = true' 'signature = sig' \
			'[diff]' 'noprefix = true' 'mnemonicPrefix = true' \
			'[commit]' 'gpgSign = true' > "$home/.gitconfig"
	fi
	HOME=$home GIT_CONFIG_GLOBAL=$home/.gitconfig GIT_CONFIG_NOSYSTEM=1 \
		"$S/export.sh" "$tmp" && diff -ru -x v4l-utils "$WB_ROOT/patches" "$tmp"
	rc=$?
	rm -rf "$tmp" "$home"
	return $rc
}
step "export after import changes nothing (no git identity)" roundtrip_as no-identity
step "export after import changes nothing (another identity, format.*)" roundtrip_as other-identity

# patches/ names no person; the mail step signs it off for its sender. Run it
# for a made-up sender: every patch must carry their From: and sign-off, and
# without an identity it must refuse. checkpatch reads that mail.
mail=$logs/mail
check_sender="Check Sender <check.sender@example.com>"
mail_as_sender() {
	local home rc=0
	home=$(mktemp -d)
	if HOME=$home GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 "$S/mail.sh" "$mail.none" 2>&1; then
		echo "mail.sh made mail with no git identity"; rm -rf "$home" "$mail.none"; return 1
	fi
	HOME=$home GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_COUNT=2 \
		GIT_CONFIG_KEY_0=user.name GIT_CONFIG_VALUE_0="${check_sender% <*}" \
		GIT_CONFIG_KEY_1=user.email GIT_CONFIG_VALUE_1="check.sender@example.com" \
		"$S/mail.sh" "$mail" || rc=1
	rm -rf "$home"
	[ $rc = 0 ] || return 1
	grep -L "^From: $check_sender\$" "$mail"/*.patch | grep . && return 1
	grep -c "^Signed-off-by: $check_sender\$" "$mail"/*.patch
	! grep -l "$WB_AUTHOR_EMAIL" "$mail"/*.patch
}
step "make mail: the sender's From and Signed-off-by; refused without one" mail_as_sender || stop

mapfile -t commits < <("${git[@]}" rev-list --reverse "$BASE_TAG..$branch")
subject() { "${git[@]}" log -1 --format=%s "$1"; }
mapfile -t mailed < <(ls "$mail"/[0-9][0-9][0-9][0-9]-*.patch | grep -v /0000-cover-letter.patch)
checkpatch() { # COMMIT MAILED-PATCH
	local out f who
	# Debian's python3 first: its python3-ply runs checkpatch's SPDX check.
	# The tree is a source package without git history, where checkpatch
	# cannot look up the commit of a Fixes: tag (UNKNOWN_COMMIT_ID); the
	# tag's form is still checked (GIT_COMMIT_ID).
	out=$(cd "$TREE" && PATH=/usr/bin:$PATH ./scripts/checkpatch.pl --strict \
		--max-line-length=80 --ignore UNKNOWN_COMMIT_ID "$2")
	[ $? = 0 ] && { printf '%s\n' "$out"; return 0; }
	printf '%s\n' "$out"
	# checkpatch asks "does MAINTAINERS need updating?" of every patch that
	# adds a file without touching MAINTAINERS. When that is the only
	# finding, answer it: every added file must have a maintainer already.
	printf '%s\n' "$out" | grep -q '^total: 0 errors, 1 warnings, 0 checks' &&
		printf '%s\n' "$out" | grep -q '^WARNING: added, moved or deleted file(s), does MAINTAINERS need updating' ||
		return 1
	for f in $("${git[@]}" diff-tree --no-commit-id --diff-filter=A --name-only -r "$1"); do
		who=$(cd "$TREE" && ./scripts/get_maintainer.pl --nogit --nogit-fallback -f "$f" | grep '(maintainer:')
		[ -n "$who" ] || { echo "$f: no maintainer in MAINTAINERS"; return 1; }
		echo "$f is covered by MAINTAINERS:"
		printf '%s\n' "$who" | sed 's/^/    /'
	done
}
[ ${#mailed[@]} = ${#commits[@]} ] ||
	{ echo "the mail has ${#mailed[@]} patches, the branch ${#commits[@]}"; failed=$((failed + 1)); stop; }
for i in "${!commits[@]}"; do
	c=${commits[$i]}
	step "checkpatch $((i + 1))/${#commits[@]}: $(subject "$c")" checkpatch "$c" "${mailed[$i]}"
done

# Objects of the changed kernel C files: what sparse and W=1 look at.
mapfile -t changed < <("${git[@]}" diff --name-only "$BASE_TAG" "$branch")
mapfile -t objs < <(printf '%s\n' "${changed[@]}" | grep -E '^(drivers|mm|fs|kernel)/.*\.c$' |
	sed 's/\.c$/.o/')
find_sparse() { sparse_bin=$("$S/sparse.sh"); }
step "sparse from sid's source" find_sparse

# warnings KIND DIRS...: sparse (C=2) and W=1 warnings of DIRS, without
# line numbers, so that unrelated line shifts compare equal.
warnings() {
	local kind=$1; shift
	local out
	[ $# -gt 0 ] || return 0
	out=$("$S/build.sh" "$kind" -k W=1 C=2 CHECK="$sparse_bin" "$@" 2>&1)
	printf '%s\n' "$out" | grep -q '^  CHECK ' ||
		{ echo "sparse did not run" >&2; printf '%s\n' "$out" | tail -n 5 >&2; return 1; }
	printf '%s\n' "$out" | grep -q 'sparse is not available' &&
		{ echo "kbuild says sparse is not usable" >&2; return 1; }
	# Line numbers move, and so does the size in sparse's "memset with
	# byte count of N" when a patch changes the size of the struct an
	# old memset() clears: the same warning either way.
	printf '%s\n' "$out" | { grep -E ': (warning|error):' || true; } |
		sed -E "s|$TREE/||; s|:[0-9]+:[0-9]+:|:|; s|:[0-9]+:|:|" |
		sed -E 's/(with byte count of) [0-9]+$/\1 N/' | sort -u
}

base_warnings() { warnings "$@" > "$logs/warn-$1-base"; }

# kernel-doc -Wall on the changed C files and headers that exist in the
# tree's current checkout; it exits 0 whatever it finds, so compare lists.
kdoc_warnings() { # OUTFILE
	local f files=()
	for f in "${changed[@]}"; do
		case "$f" in tools/*) continue ;; *.c|*.h) ;; *) continue ;; esac
		[ -f "$TREE/$f" ] && files+=("$f")
	done
	[ ${#files[@]} -gt 0 ] || { : > "$1"; return 0; }
	(cd "$TREE" && ./scripts/kernel-doc -none -Wall "${files[@]}") 2>&1 |
		sed -E 's/:[0-9]+ / /' | sort -u > "$1"
}

# The documentation directories the series touches, built with Sphinx at the
# base and at the end; warnings compared without line numbers.
mapfile -t docdirs < <(printf '%s\n' "${changed[@]}" | sed -n 's|^Documentation/\([^/]*/[^/]*\)/.*|\1|p' | sort -u)
docs_warnings() { # OUTFILE
	# A full build each time: an incremental one only warns about what it
	# rereads, which would make the two lists incomparable.
	rm -rf "$CACHE/docs-build"
	make -C "$TREE" O="$CACHE/docs-build" SPHINXDIRS="${docdirs[*]}" htmldocs > "$1.log" 2>&1 ||
		{ tail -n 20 "$1.log"; return 1; }
	{ grep -E 'WARNING|ERROR' "$1.log" || true; } |
		sed -E "s|$TREE/||; s|:[0-9]+:|:|g" | sort -u > "$1"
}

# Everything builds for x86 (hantro and rga with COMPILE_TEST); the arm64
# tree builds the Rockchip drivers, their real targets, and every media file
# of the series with lockdep and V4L2 advanced debug on.
x86_objs=("${objs[@]}") arm_objs=()
for o in "${objs[@]}"; do
	case "$o" in drivers/media/*) arm_objs+=("$o") ;; esac
done

# Built from the series, before the tree goes back to the base: the base
# kernel's VM run checks that it skips there.
step "selftest binary" "$S/selftest.sh" || stop
# before the base kernel: the base steps run some of them too
step "guest test programs (tests/vm, tools)" "$S/programs.sh" || stop

# Bisectability: the base and then every patch build, in one build tree.
"${git[@]}" checkout -q --detach "$BASE_TAG"
step "build x86 test kernel at base" "$S/build.sh" x86 || stop
step "guest userspace" "$S/guest.sh" || stop
# Not fatal: without it only the two patched v4l2-compliance runs cannot run.
step "v4l2-compliance from Debian's v4l-utils source + patches/v4l-utils" "$S/v4l-utils.sh"
v4l_utils_rc=$last_rc

# The patched v4l2-compliance (tests/vm/compliance-fences.sh): with the
# series vim2m reports V4L2_BUF_CAP_SUPPORTS_WRITE_FENCES with its opt-in
# and passes the write fence test, and reports it absent without the opt-in
# and on vivid; visl and vicodec's stateless decoder report it; at the base
# it is absent everywhere. Every run passes.
fences_compliance_at() { # base|series
	case $v4l_utils_rc in
	0) ;;
	77) echo "skipped: no patched v4l2-compliance, the v4l-utils step was skipped (no source)"
	    return 77 ;;
	*) echo "no patched v4l2-compliance: the v4l-utils step failed"; return 1 ;;
	esac
	"$S/vm.sh" --timeout 900 --add "$CACHE/v4l-utils/v4l2-compliance-wf" \
		--add "$WB_ROOT/tests/vm/compliance-fences.sh" -- compliance-fences.sh "$1"
}

# compliance_at LABEL [GUEST_CMD]: v4l2-compliance on the virtual drivers in
# QEMU (compliance.sh, or GUEST_CMD which runs it); the per-run totals (node
# numbers and times dropped) go to $logs/compliance-LABEL.
compliance_at() {
	local out=$logs/compliance-$1.out rc
	"$S/vm.sh" --timeout 900 --add "$WB_ROOT/tests/vm/compliance.sh" \
		--add "$WB_ROOT/tests/vm/at-base.sh" --add "$WB_ROOT/tests/vm/selftest-expect.sh" \
		--add "$CACHE/selftest/vb2_release_fence_test" \
		--add "$CACHE/selftest/vb2_request_fence_test" -- "${2:-compliance.sh}" > "$out" 2>&1
	rc=$?
	cat "$out"
	tr -d '\r' < "$out" | grep -E '^[a-z0-9-]+: Total for' |
		sed -E 's| \([0-9]+s\)$||; s|/dev/video[0-9]+|/dev/videoN|' > "$logs/compliance-$1"
	[ -s "$logs/compliance-$1" ] || { echo "no totals in the output"; return 1; }
	return $rc
}
# The reference for "no regressions": the same runs on the base kernel. A
# failure there is reported, not fatal; the comparison below decides. The
# kselftest of the series must skip every test there (an old kernel).
base_compliance() {
	compliance_at base at-base.sh ||
		echo "(the base kernel fails some runs; compared below)"
	[ -s "$logs/compliance-base" ] || return 1
	local verdict
	for verdict in 'old-kernel' 'old-kernel vicodec'; do
		tr -d '\r' < "$logs/compliance-base.out" |
			grep -qx "selftest-expect: $verdict: as expected" ||
			{ echo "a kselftest did not skip every test on the base kernel ($verdict)"; return 1; }
	done
}
step "VM x86 at base: v4l2-compliance reference totals; the kselftest skips all" base_compliance
step "VM x86 at base: patched v4l2-compliance finds no write fences" fences_compliance_at base
# write-fence-caps.sh: which queues report V4L2_BUF_CAP_SUPPORTS_WRITE_FENCES,
# which buffers V4L2_BUF_FLAG_NO_WRITE_FENCE; at the base neither shows.
write_fence_caps() { # series|base [vm.sh options]
	"$S/vm.sh" "${@:2}" --timeout 600 --add "$CACHE/programs/write-fence-caps" \
		--add "$WB_ROOT/tests/vm/write-fence-caps.sh" \
		--add "$WB_ROOT/tests/vm/kernel-checks.sh" -- write-fence-caps.sh "$1"
}
step "VM x86 at base: no queue reports write fences, no buffer is flagged" write_fence_caps base
step "sparse + W=1 at base, x86 (${#x86_objs[@]} files)" base_warnings x86 "${x86_objs[@]}"
step "kernel-doc -Wall at base" kdoc_warnings "$logs/kdoc-base"
[ ${#docdirs[@]} -gt 0 ] &&
	step "htmldocs at base (${docdirs[*]})" docs_warnings "$logs/docs-base"
step "arm64 build at base (media dirs, lockdep, ADV_DEBUG)" "$S/build.sh" arm64
step "sparse + W=1 at base, arm64 (${#arm_objs[@]} files)" base_warnings arm64 "${arm_objs[@]}"
# Each patch is compiled where it can break a build, the last one built
# everywhere (the x86 test kernel, the debug kernel and arm64, each in full):
# - a patch that changes only what no kernel build reads (documentation,
#   selftests, MAINTAINERS) leaves the previous patch's builds standing;
# - scripts/compile-commit.sh compiles, with the command lines kbuild
#   recorded, every object whose C file the patch changes, and checks with
#   -fsyntax-only every object made from a C file the series changes that
#   includes a header the patch changes, in the x86 test kernel's build tree as the
#   base's VM runs left it (V4L2
#   advanced debug, every hantro variant and rga under COMPILE_TEST); a
#   patch that changes a Kconfig file or a Makefile, or adds a file, is
#   built there by kbuild;
# - a patch that changes hantro or rga is compiled the same way for arm64,
#   their real target, with lockdep on; one that changes nothing else only
#   there.
# What only the last patch checks: the link and modpost (a missing export,
# an undefined symbol), code generation for the users of a changed header
# (warnings only the optimiser finds), the users of a changed header that
# the series does not change (v4l2-ioctl.c, vivid, drivers/acpi...), the
# branches compiled only with lockdep or KASAN on (the debug kernel is built
# only there: from scratch on a new machine), and arm64's build of a core
# patch. A commit this loop does not compile in a tree (x86 skips hantro and
# rga, arm64 sees only them) is compiled there with the next one it does.
# Building each patch with kbuild in the debug configuration took 35
# minutes on a slow machine, most of it generating code again for every
# user of a changed header: CI ran out of time in this loop.
patch_dirs=(drivers/dma-buf/ drivers/media/mc/ drivers/media/v4l2-core/
	drivers/media/common/ drivers/media/test-drivers/ drivers/media/platform/)
# the C files a patch of the series changes (also those it leaves as they
# were at the base in the end): the users of a changed header checked at
# each patch
"${git[@]}" log --name-only --format= "$BASE_TAG..$branch" |
	{ grep -E '^drivers/.*\.c$' || true; } | sort -u > "$logs/series-c-files"
changed_files() { "${git[@]}" diff-tree --no-commit-id --name-only -r "$1"; }
# only_in COMMIT REGEX: every file the commit changes matches REGEX
only_in() {
	local files
	files=$(changed_files "$1") || return 1
	[ -n "$files" ] && ! grep -qvE "$2" <<< "$files"
}
# touches COMMIT REGEX: the commit changes a file that matches REGEX
touches() {
	local files
	files=$(changed_files "$1") || return 1
	grep -qE "$2" <<< "$files"
}
unbuilt='^(Documentation/|tools/testing/|MAINTAINERS$)'
arm64_drivers='^drivers/media/platform/(verisilicon|rockchip/rga)/'
for i in "${!commits[@]}"; do
	c=${commits[$i]}
	"${git[@]}" checkout -q --detach "$c"
	what="after $((i + 1))/${#commits[@]}: $(subject "$c")"
	if [ "$i" = $((${#commits[@]} - 1)) ]; then
		step "build x86 $what" "$S/build.sh" x86
		[ -z "${QUICK:-}" ] &&
			step "build debug (lockdep, KASAN, kmemleak) $what" "$S/build.sh" debug
		step "build arm64 $what" "$S/build.sh" arm64
		continue
	fi
	if only_in "$c" "$unbuilt"; then
		printf '[%s] %-62s %s\n' "$(date +%H:%M:%S)" "compile $what" \
			"not built: only Documentation/, tools/testing/, MAINTAINERS"
		continue
	fi
	[ -n "${QUICK:-}" ] && continue
	if ! only_in "$c" "$unbuilt|$arm64_drivers"; then
		step "compile x86 $what" "$S/compile-commit.sh" --users-from "$logs/series-c-files" x86 "$c" "${patch_dirs[@]}"
	fi
	touches "$c" "$arm64_drivers" &&
		step "compile arm64 $what" "$S/compile-commit.sh" --users-from "$logs/series-c-files" arm64 "$c"
done
"${git[@]}" checkout -q "$branch"

# no_new BASE_LIST HEAD_LIST: the lines of the sorted HEAD_LIST that
# BASE_LIST lacks are what the series added.
no_new() {
	if comm -13 "$1" "$2" | grep .; then
		echo "new warnings above (all of them in $2)"
		return 1
	fi
	echo "no new warnings ($(wc -l < "$2") old ones)"
}

new_warnings() { # KIND DIRS...
	local kind=$1; shift
	warnings "$kind" "$@" > "$logs/warn-$kind-head" || return 1
	no_new "$logs/warn-$kind-base" "$logs/warn-$kind-head"
}
step "no new sparse/W=1 warnings, x86" new_warnings x86 "${x86_objs[@]}"
step "no new sparse/W=1 warnings, arm64" new_warnings arm64 "${arm_objs[@]}"
# The W=1 pass rebuilt some objects with other flags; relink the kernel.
step "build x86 test kernel (series)" "$S/build.sh" x86

new_kdoc_warnings() {
	kdoc_warnings "$logs/kdoc-head" && no_new "$logs/kdoc-base" "$logs/kdoc-head"
}
step "kernel-doc -Wall: no new warnings" new_kdoc_warnings

new_doc_warnings() {
	docs_warnings "$logs/docs-head" && no_new "$logs/docs-base" "$logs/docs-head"
}
[ ${#docdirs[@]} -gt 0 ] &&
	step "htmldocs: no new warnings (${docdirs[*]})" new_doc_warnings

step "VM x86: v4l2-compliance (vim2m, vivid, vicodec, visl)" compliance_at series
same_compliance() {
	diff -u "$logs/compliance-base" "$logs/compliance-series" || return 1
	echo "same totals with and without the series:"
	cat "$logs/compliance-series"
}
step "v4l2-compliance totals: series equal to base" same_compliance
step "VM x86: patched v4l2-compliance, write fences on vim2m (on, off), visl, vicodec, vivid" \
	fences_compliance_at series
step "VM x86: the write fence capability where fences are published, the flag where not" \
	write_fence_caps series
step "VM x86: KUnit suites + release fence selftest, and its negative control" \
	"$S/vm.sh" --timeout 600 --add "$CACHE/selftest/vb2_release_fence_test" \
	--add "$WB_ROOT/tests/vm/fences.sh" --add "$WB_ROOT/tests/vm/kernel-checks.sh" \
	--add "$WB_ROOT/tests/vm/selftest-expect.sh" -- fences.sh
kms_vm() { # KIND
	"$S/vm.sh" --kernel "$1" --timeout 1200 --add "$CACHE/programs/kms-flip" \
		--add "$WB_ROOT/tests/vm/kms.sh" --add "$WB_ROOT/tests/vm/kernel-checks.sh" -- kms.sh
}
# Exit paths, a random sequence (seed 1, 10^4 operations) and a soak with
# SOAK_FRAMES frames (default 2000; the full setting is 100000).
faults_vm() { # KIND [--negative]
	"$S/vm.sh" --kernel "$1" --timeout 1800 --add "$CACHE/programs/fence-exit-paths" \
		--add "$CACHE/programs/fence-stress" --add "$WB_ROOT/tests/vm/faults.sh" \
		--add "$WB_ROOT/tests/vm/kernel-checks.sh" \
		-- faults.sh "${SOAK_FRAMES:-2000}" ${2:+"$2"}
}
# Jobs fed by media requests: vicodec's stateless decoder decoding a real
# stream, byte-identical with the opt-in on and off, and vim2m's requests.
requests_vm() { # KIND [FRAMES]
	"$S/vm.sh" --kernel "$1" --timeout 1200 --add "$CACHE/programs/req-fence-decode" \
		--add "$CACHE/programs/req-vim2m" --add "$WB_ROOT/tests/vm/requests.sh" \
		--add "$CACHE/selftest/vb2_request_fence_test" \
		--add "$WB_ROOT/tests/vm/selftest-expect.sh" \
		--add "$WB_ROOT/tests/vm/kernel-checks.sh" -- requests.sh ${2:+"$2"}
}
step "VM x86: vkms flip waits for the fence, shows the finished frame" kms_vm x86
step "VM x86: request-fed jobs (vicodec stateless decode, vim2m requests)" requests_vm x86
step "VM x86: exit paths, random operations, soak; all fail without fences" faults_vm x86 --negative

if [ -z "${QUICK:-}" ]; then
	# negative controls: each deliberate bug must make a test fail (~5 min)
	step "mutations: each deliberate bug is caught (tests/mutations)" "$S/mutate.sh"
	step "VM debug: KUnit + selftest + vim2m compliance, 0 kernel reports" \
		"$S/vm.sh" --kernel debug --timeout 1500 --add "$CACHE/selftest/vb2_release_fence_test" \
			--add "$WB_ROOT/tests/vm/fences.sh" --add "$WB_ROOT/tests/vm/kernel-checks.sh" \
		--add "$WB_ROOT/tests/vm/compliance.sh" \
		-- fences.sh --debug
	step "VM debug: vkms flip, 0 kernel reports" kms_vm debug
	step "VM debug: the write fence capability and flag flows, 0 kernel reports" \
		write_fence_caps series --kernel debug
	# a shorter stream: KASAN makes every frame slow, and lockdep needs
	# each path once, not each frame
	step "VM debug: request-fed jobs, 0 kernel reports" requests_vm debug 8
	step "VM debug: exit paths, random operations, soak, 0 kernel reports" faults_vm debug
	# the negative control of the one-device rule for requests
	step "VM debug: without the one-device rule for requests, lockdep reports the cycle" \
		"$S/lockdep-negative.sh"
fi
finish
