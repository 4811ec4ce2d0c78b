#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The cost of the release fences at native speed: the series' kernel and
# the base kernel built for User Mode Linux with kunit.py (UML runs kernel
# code as host instructions; bench.sh's QEMU guest emulates them), each with
# the workbench's benchmark suite tests/native/vb2-fence-bench.c. Prints a
# table of
#   - the series' kernel, opt-in off and on interleaved in one run: the vb2
#     core cycle (1 and 3 planes, exported or not), the v4l2-mem2mem cycle,
#     their phases and the primitives they are made of;
#   - the opt-out setting against the base kernel, booted in turn.
#   bench-native.sh [--quick] [--rounds N]
#   bench-native.sh --kunit        build, then the series' two KUnit suites
#                                  alone on UML (no benchmark), timed
#   bench-native.sh --table LOG    the table of an earlier run again
#   bench-native.sh --against REV  the series' cost (on-off) against that
#                                  of REV, an earlier version of the
#                                  series branch: both kernels booted in
#                                  turn (--rounds, 7), for changes to the
#                                  fence path, before and after
#     --quick     fewer blocks and rounds (the builds take as long)
#     --rounds N  boots of each kernel for the opt-out comparison (9)
# Worktrees of the kernel tree: $CACHE/linux-uml (vb2fence) and
# $CACHE/linux-uml-base (the base tag), with tests/native/ copied in and
# its UML patch applied; builds in $CACHE/build-uml and build-uml-base
# (about 4 min each, cold, on 2 cores); logs and tables in $CACHE/bench/.
# Prints targets, asserts none: the exit status says whether all ran.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

NATIVE=$WB_ROOT/tests/native
mode=bench only_table='' blocks=1000 rounds='' against=''
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) blocks=200 rounds=${rounds:-2}; shift ;;
	--rounds)
		[[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || die "--rounds needs a number of boots, got '${2:-}'"
		rounds=$2; shift 2 ;;
	--kunit) mode=kunit; shift ;;
	--against)
		[ -n "${2:-}" ] || die "--against needs a revision of the series branch, e.g. vb2fence@{1}"
		mode=against against=$2; shift 2 ;;
	--table) [ $# -ge 2 ] || die "--table needs a log of an earlier run"; only_table=$2; shift 2 ;;
	-h|--help) sed -n '3,23s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) die "unknown option '$1'" "Usage: bash scripts/bench-native.sh [--quick] [--rounds N] | --kunit | --table LOG | --against REV" ;;
	esac
done
[ "$mode" != against ] || [ -n "$rounds" ] || rounds=7
rounds=${rounds:-9}

# awk functions of both tables: a number as printed, the median of a[1..n]
# (sorts a), and the Mann-Whitney z of "the y are higher than the x", normal
# approximation; |z| > 1.96 is a difference at the 5 % level
stats_awk='
function num(v) { return (v >= 1000 || v <= -1000) ? sprintf("%.0f", v) : sprintf("%.3g", v) }
function median_of(a, n,    i, j, t) {
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function mann_whitney_z(x, nx, y, ny,    i, j, u) {
	for (i = 1; i <= nx; i++)
		for (j = 1; j <= ny; j++)
			u += y[j] > x[i] ? 1 : y[j] == x[i] ? 0.5 : 0
	return (u - nx * ny / 2) / sqrt(nx * ny * (nx + ny + 1) / 12)
}
'

# R native.<metric> <setting> <blocks> <median> <q1> <q3> ns, in sections:
# NATIVE-RUN main (one interleaved run) and NATIVE-RUN optout <kernel> <n>.
make_table() { # make_table LOG
	local log=$1
	grep -q 'R native\.m2m 1 ' "$log" ||
		die "no results of the interleaved run in $log"
	awk -v cfg="$(sed -n 's/^NATIVE-CONFIG //p' "$log" | head -n 1)" "$stats_awk"'
/^NATIVE-RUN / { sec = $2; kern = $3; next }
match($0, /R native\.[^ ]+ [-01] [0-9]+ [0-9.]+ [0-9.]+ [0-9.]+ ns/) {
	split(substr($0, RSTART, RLENGTH), f, " ")
	m = substr(f[2], 8); s = f[3]
	if (sec == "main") {
		cnt[m, s] = f[4]; med[m, s] = f[5]; lo[m, s] = f[6]; hi[m, s] = f[7]
	} else if (sec == "optout" && s != "1") {
		boot[m, kern, ++nb[m, kern]] = f[5]
	}
}
function has(m, s) { return ((m, s) in med) }
function cell(m, s) {
	return has(m, s) ? sprintf("%s [%s..%s]", num(med[m, s]), num(lo[m, s]), num(hi[m, s])) : "-"
}
# standard error of a median from the quartiles, as if normal: rough, but
# it tells a miss from noise (as bench.sh)
function se(m, s) { return 1.2533 * (hi[m, s] - lo[m, s]) / 1.349 / sqrt(cnt[m, s]) }
function delta(m) { return med[m, 1] - med[m, 0] }
function derr(m) { return sqrt(se(m, 0) ^ 2 + se(m, 1) ^ 2) }
function verdict(ok, miss, err) {
	if (ok)
		return "met"
	return miss <= 2 * err ? sprintf("missed by %s, within noise", num(miss)) : "MISSED"
}
# the per-plane target: at most 1 us per plane
function plane_target(m, planes,    d) {
	d = delta(m)
	return sprintf("<=1 us/plane: %s", verdict(d / planes <= 1000, d / planes - 1000, derr(m) / planes))
}
function row(m, label, planes, target,    d) {
	if (!has(m, 0) || !has(m, 1))
		return
	d = delta(m)
	printf "%-40s %-20s %-20s %7s %7s %6.2f  %s\n", label, cell(m, 0), cell(m, 1),
	       (d >= 0 ? "+" : "") num(d), (d >= 0 ? "+" : "") num(d / planes), med[m, 1] / med[m, 0], target
}
function phase(m, label,    d) {
	if (!has(m, 0) || !has(m, 1))
		return
	d = delta(m)
	printf "  %-38s %-20s %-20s %7s\n", label, cell(m, 0), cell(m, 1), (d >= 0 ? "+" : "") num(d)
}
function prim(m, label) {
	if (has(m, "-"))
		printf "  %-52s %s\n", label, cell(m, "-")
}
function median(m, k,    n, i, a) {
	n = nb[m, k]
	for (i = 1; i <= n; i++)
		a[i] = boot[m, k, i]
	return median_of(a, n)
}
# the lowest and highest of the medians of the boots, in rlo and rhi
function range(m, k,    i) {
	rlo = rhi = boot[m, k, 1]
	for (i = 2; i <= nb[m, k]; i++) {
		if (boot[m, k, i] < rlo) rlo = boot[m, k, i]
		if (boot[m, k, i] > rhi) rhi = boot[m, k, i]
	}
	return num(rlo) ".." num(rhi)
}
# z of "the boots of the series are slower"
function mwz(m,    i, x, y) {
	for (i = 1; i <= nb[m, "base"]; i++)
		x[i] = boot[m, "base", i]
	for (i = 1; i <= nb[m, "series"]; i++)
		y[i] = boot[m, "series", i]
	return mann_whitney_z(x, nb[m, "base"], y, nb[m, "series"])
}
# a measurement of both kernels; with control, of code the series leaves
function optout(m, label, control,    b, o, d, z, rb, rs, v) {
	if (!nb[m, "base"] || !nb[m, "series"])
		return
	b = median(m, "base"); o = median(m, "series"); d = o - b
	rb = range(m, "base"); rs = range(m, "series")
	z = mwz(m)
	if (nb[m, "base"] < 5 || nb[m, "series"] < 5) {
		v = "too few boots to tell"
		undecided += !control
	}
	else if (z > 1.96)
		v = sprintf("MISSED by %s (%+.1f %%, z = %.1f)", num(d), 100 * d / b, z)
	else
		v = sprintf("met: no difference (z = %.1f)", z)
	if (!control && v ~ /^MISSED/)
		missed++
	printf "%-34s %-24s %-24s %6s %6.3f  %s\n", label,
	       num(b) " (" rb ")", num(o) " (" rs ")",
	       (d >= 0 ? "+" : "") num(d), o / b, control ? "(control: " v ")" : "0: " v
}
END {
	print "videobuf2 release fences at native speed: KUnit on User Mode Linux (kunit.py --arch=um)"
	print cfg
	print "cells: ns per operation, median [25%..75%] of the blocks; the opt-in off and on"
	print "alternate block by block in one run"
	printf "\n%-40s %-20s %-20s %7s %7s %6s  %s\n", "measurement", "off", "on", "on-off", "/plane", "on/off", "target"
	row("core.1p", "vb2 cycle, 1 plane", 1, plane_target("core.1p", 1))
	row("core.3p", "vb2 cycle, 3 planes", 3, plane_target("core.3p", 3))
	row("core.1p_exp", "vb2 cycle, 1 plane, exported", 1, plane_target("core.1p_exp", 1))
	row("core.3p_exp", "vb2 cycle, 3 planes, exported", 3, plane_target("core.3p_exp", 3))
	if (has("m2m", 0) && has("m2m", 1)) {
		pct = 100 * delta("m2m") / med["m2m", 0]
		pcterr = 100 * derr("m2m") / med["m2m", 0]
		row("m2m", "m2m cycle (1 plane)", 1, plane_target("m2m", 1) \
		    sprintf("; <=2 %%/cycle: %s (%+.1f %%)", verdict(pct <= 2, pct - 2, pcterr), pct))
	}
	print ""
	print "vb2 cycle: vb2_core_qbuf() (the driver attaches in buf_queue), vb2_buffer_publish_release_fence()"
	print "as v4l2-mem2mem does at commit, vb2_buffer_done(DONE), vb2_core_dqbuf(); vmalloc, one buffer."
	print "m2m cycle: QBUF CAPTURE, QBUF OUTPUT (commits: publication, job queued, device_run()),"
	print "both buffers removed and done and v4l2_m2m_job_finish() as an interrupt handler does, the"
	print "device'"'"'s job_work run, DQBUF OUTPUT and CAPTURE; vb2_qbuf()/vb2_dqbuf() under the queue lock"
	print "as the ioctls call them, with no system call, copy, poll, driver or hardware work. The opt-out"
	print "and opt-in devices are two v4l2-mem2mem devices of the same test driver."

	print "\nwhere the time goes: each phase alone (each includes one clock read, \"clock\")"
	printf "  %-38s %-20s %-20s %7s\n", "phase", "off", "on", "on-off"
	phase("core.1p.qbuf", "vb2 1 plane: QBUF (attach)")
	phase("core.1p.publish", "  publish")
	phase("core.1p.done", "  vb2_buffer_done (signal)")
	phase("core.1p.dqbuf", "  DQBUF")
	phase("core.1p.clock", "  clock")
	phase("core.3p.qbuf", "vb2 3 planes: QBUF (attach)")
	phase("core.3p.publish", "  publish")
	phase("core.3p.done", "  vb2_buffer_done (signal)")
	phase("core.3p.dqbuf", "  DQBUF")
	phase("m2m.qbuf_cap", "m2m: QBUF CAPTURE (attach)")
	phase("m2m.qbuf_out_run", "  QBUF OUTPUT (commit, publish, run)")
	phase("m2m.done_finish", "  2 buf_done + job_finish (signal)")
	phase("m2m.job_work", "  job_work (the worker runs)")
	phase("m2m.dqbuf", "  DQBUF OUTPUT + CAPTURE")
	phase("m2m.clock", "  clock")

	print "\nprimitives, each alone (ns per operation)"
	prim("prim.clock", "ktime_get() (dma_fence_signal takes a timestamp)")
	prim("prim.irq_save_restore", "local_irq_save + restore (UML: a host thread variable)")
	prim("prim.spin_lock_unlock", "spin_lock + spin_unlock")
	prim("prim.atomic_inc", "atomic_inc")
	prim("prim.alloc_free", "kzalloc + kfree of the fence (attach)")
	prim("prim.alloc_kfree_rcu", "kzalloc + kfree_rcu (a replaced fence is freed so)")
	prim("prim.resv_lock", "dma_resv_lock + unlock, 1 object")
	prim("prim.resv_lock_3", "3 objects, no acquire context")
	prim("prim.resv_lock_3_ww", "3 objects with a ww acquire context (as publish)")
	prim("prim.resv_lock_reserve_add", "lock, reserve, add a WRITE fence, unlock")
	prim("prim.fence_init_signal_put", "dma_fence_init + dma_fence_signal + put")
	prim("prim.yield", "yield() with nothing else to run")
	prim("prim.work_system_percpu", "queue_work + run: system_percpu_wq (opt-out)")
	prim("prim.work_ordered_reclaim", "  the series'"'"' ordered WQ_MEM_RECLAIM queue (opt-in)")
	prim("prim.work_percpu_reclaim", "  a per-CPU WQ_MEM_RECLAIM queue")

	if (nb["m2m", "base"]) {
		print "\nopt-out: the series with the opt-in off against the base kernel (no series), booted in"
		print "turn " nb["m2m", "base"] " times each; median of the boots'"'"' medians (lowest..highest), ns per cycle;"
		print "z: Mann-Whitney over the boots, above 1.96 the series is slower at the 5 % level"
		printf "%-34s %-24s %-24s %6s %6s  %s\n", "measurement", "base", "series, opt-in off", "diff", "ratio", "target"
		optout("core.1p", "vb2 cycle, 1 plane")
		optout("core.3p", "vb2 cycle, 3 planes")
		optout("core.1p_exp", "vb2 cycle, 1 plane, exported")
		optout("m2m", "m2m cycle")
		optout("prim.alloc_free", "kzalloc + kfree", 1)
		optout("prim.resv_lock", "dma_resv_lock + unlock", 1)
		print "What the series runs here for a driver that did not opt in: a NULL test in"
		print "vb2_buffer_done(), flag tests in v4l2-mem2mem'"'"'s scheduling, a counter in"
		print "v4l2_m2m_buf_queue(), 40 more bytes per vb2_buffer. Two kernel binaries also differ in"
		print "code layout, which this comparison cannot tell from them: the controls, code that the"
		print "series does not change, show how far that goes."
	}

	print "\ntargets (printed, not asserted)"
	if (has("core.3p", 1))
		printf "- <= 1 us per plane: vb2 cycle %+.0f ns (1 plane), %+.0f ns per plane (3 planes); m2m cycle %+.0f ns: %s\n",
		       delta("core.1p"), delta("core.3p") / 3, delta("m2m"),
		       delta("core.1p") <= 1000 && delta("core.3p") <= 3000 && delta("m2m") <= 1000 ? "met" : "MISSED"
	if (has("m2m", 1)) {
		printf "- <= 2 %% of a buffer cycle'"'"'s kernel CPU: %+.0f ns on the m2m cycle of %.0f ns = %+.1f %%: %s.\n",
		       delta("m2m"), med["m2m", 0], pct, verdict(pct <= 2, pct - 2, pcterr)
		printf "  That cycle is v4l2-mem2mem and videobuf2 alone, a lower bound of a real cycle'"'"'s kernel CPU\n"
		printf "  (4 ioctls and a poll with their entry, copies and checks, the driver, the interrupt), so\n"
		printf "  the share is an upper bound: the target holds for cycles of at least %.1f us of kernel CPU.\n", delta("m2m") / 20
	}
	if (nb["m2m", "base"])
		printf "- 0 for a driver that does not opt in: %s\n", missed ? "MISSED where marked above" : \
		       undecided ? "not told: too few boots (--rounds)" : "met: no difference to the base kernel at the 5 % level"
	print ""
	print "UML: an SMP kernel on one CPU, no lockdep or other debugging, with tests/native/uml-smp-native.patch"
	print "(irq flags without a host system call, x86 barriers). Unlike x86 hardware, irq save/restore is"
	print "a function call (see above), the clock is the host'"'"'s vDSO, and no mitigation slows system calls"
	print "or indirect calls. Other work on this machine shares its 2 cores: compare quartiles, and"
	print "the off and on columns of one run rather than runs of different days."
}' "$log"
}

# The --against table: R lines in sections NATIVE-RUN against <kernel> <n>,
# kernel "ref" (before) or "series" (after). For each boot, a metric's cost
# is its on-off difference in that boot (drift between boots cancels);
# the boots' costs of the two kernels are compared.
make_against_table() { # make_against_table LOG
	local log=$1
	grep -q '^NATIVE-RUN against series' "$log" && grep -q '^NATIVE-RUN against ref' "$log" ||
		die "no boots of both kernels in $log"
	awk -v cfg="$(sed -n 's/^NATIVE-CONFIG //p' "$log" | head -n 1)" "$stats_awk"'
/^NATIVE-RUN / { sec = $2; kern = $3; r = $4; next }
sec == "against" && match($0, /R native\.[^ ]+ [01] [0-9]+ [0-9.]+ [0-9.]+ [0-9.]+ ns/) {
	split(substr($0, RSTART, RLENGTH), f, " ")
	m = substr(f[2], 8)
	v[m, kern, f[3], r] = f[5]
	boots[kern, r] = 1
}
function sgn(x) { return (x >= 0 ? "+" : "") num(x) }
# into a[1..], what each boot of kernel k with both settings gives for s:
# a setting, 0 or 1, or "d", on-off; returns how many
function per_boot(a, m, k, s,    n, r) {
	for (r = 1; r <= 1000; r++)
		if ((k, r) in boots && (m, k, 0, r) in v && (m, k, 1, r) in v)
			a[++n] = s == "d" ? v[m, k, 1, r] - v[m, k, 0, r] : v[m, k, s, r]
	return n
}
# the median over the boots of kernel k, or "" if none has both settings
function med(m, k, s,    a, n) {
	n = per_boot(a, m, k, s)
	return n ? median_of(a, n) : ""
}
function row(m, label,    b0, b1, a0, a1, bd, ad, z, verdict, x, nx, y, ny) {
	b0 = med(m, "ref", 0); b1 = med(m, "ref", 1)
	a0 = med(m, "series", 0); a1 = med(m, "series", 1)
	if (b0 == "" || a0 == "")
		return
	bd = med(m, "ref", "d"); ad = med(m, "series", "d")
	# z of "the costs after are higher"
	nx = per_boot(x, m, "ref", "d"); ny = per_boot(y, m, "series", "d")
	z = mann_whitney_z(x, nx, y, ny)
	if (nx < 5 || ny < 5)
		verdict = "too few boots"
	else
		verdict = z < -1.96 ? "cheaper" : z > 1.96 ? "DEARER" : "no difference"
	printf "%-40s %7s %7s %8s  %7s %7s %8s  %8s %6s  %s\n", label, num(b0), num(b1), sgn(bd),
	       num(a0), num(a1), sgn(ad), sgn(ad - bd), sprintf("%.1f", z), verdict
}
END {
	print "the cost of the opt-in, before and after: KUnit on User Mode Linux (kunit.py --arch=um)"
	print cfg
	print "each kernel booted in turn; per boot, a cell is the median of its blocks (ns per operation),"
	print "and the cost is on-off of that boot; columns: medians over the boots. z: Mann-Whitney of the"
	print "costs, after against before (below -1.96: cheaper after at the 5 % level)"
	printf "\n%-40s %7s %7s %8s  %7s %7s %8s  %8s %6s\n", "", "before", "", "", "after", "", "", "", ""
	printf "%-40s %7s %7s %8s  %7s %7s %8s  %8s %6s\n", "measurement", "off", "on", "cost", "off", "on", "cost", "change", "z"
	row("core.1p", "vb2 cycle, 1 plane")
	row("core.3p", "vb2 cycle, 3 planes")
	row("core.1p_exp", "vb2 cycle, 1 plane, exported")
	row("core.3p_exp", "vb2 cycle, 3 planes, exported")
	row("m2m", "m2m cycle (1 plane)")
	row("core.1p.qbuf", "  vb2 1 plane: QBUF (attach)")
	row("core.1p.publish", "    publish")
	row("core.1p.done", "    vb2_buffer_done (signal)")
	row("core.3p.qbuf", "  vb2 3 planes: QBUF (attach)")
	row("core.3p.publish", "    publish")
	row("core.3p.done", "    vb2_buffer_done (signal)")
	row("m2m.qbuf_cap", "  m2m: QBUF CAPTURE (attach)")
	row("m2m.qbuf_out_run", "    QBUF OUTPUT (commit, publish, run)")
	row("m2m.done_finish", "    2 buf_done + job_finish (signal)")
	row("m2m.job_work", "    job_work (the worker runs)")
	row("m2m.dqbuf", "    DQBUF OUTPUT + CAPTURE")
}' "$log"
}

if [ -n "$only_table" ]; then
	[ -f "$only_table" ] || die "no such file: $only_table"
	if grep -q '^NATIVE-RUN against ' "$only_table"; then
		make_against_table "$only_table"
	else
		make_table "$only_table"
	fi
	exit 0
fi

for c in python3 gcc make flex bison bc; do
	command -v "$c" >/dev/null ||
		die "$c not found: kunit.py builds UML with the host's toolchain" \
		    "Install the host packages: bash scripts/deps.sh"
done
need_tree

# uml_dirs KIND: the worktree (wt) and build directory (bdir) of KIND,
# series, base or ref (--against), and the commit it builds (rev)
uml_dirs() {
	case "$1" in
	series) wt=$CACHE/linux-uml bdir=$CACHE/build-uml rev=vb2fence ;;
	ref) wt=$CACHE/linux-uml-ref bdir=$CACHE/build-uml-ref rev=$against ;;
	*) wt=$CACHE/linux-uml-base bdir=$CACHE/build-uml-base rev=$BASE_TAG ;;
	esac
}

# uml_glue WT: make drivers/media build drivers/media/vb2-fence-bench/
uml_glue() {
	grep -qxF 'source "drivers/media/vb2-fence-bench/Kconfig"' "$1/drivers/media/Kconfig" ||
		echo 'source "drivers/media/vb2-fence-bench/Kconfig"' >> "$1/drivers/media/Kconfig"
	grep -qxF 'obj-y += vb2-fence-bench/' "$1/drivers/media/Makefile" ||
		echo 'obj-y += vb2-fence-bench/' >> "$1/drivers/media/Makefile"
}

# uml_tree KIND: prepare KIND's worktree: at its commit, with
# tests/native/'s UML patch applied and the benchmark in
# drivers/media/vb2-fence-bench/. Kept between runs, its files rewritten
# only when they change, so that builds stay incremental.
uml_tree() {
	local wt bdir rev commit dst f touched keep
	local patch=$NATIVE/uml-smp-native.patch
	local ours="arch/um/os-Linux/smp.c arch/x86/um/asm/barrier.h drivers/media/Kconfig drivers/media/Makefile "
	uml_dirs "$1"
	commit=$(wbgit -C "$TREE" rev-parse --verify -q "$rev^{commit}") ||
		die "no '$rev' in $TREE" "Run 'make import': it makes the series branch, vb2fence."
	# forget a worktree whose directory was deleted
	wbgit -C "$TREE" worktree prune
	if [ -e "$wt" ]; then
		[ "$(wbgit -C "$wt" rev-parse --show-toplevel 2>/dev/null)" = "$wt" ] ||
			die "$wt exists but is not a worktree of $TREE" \
			    "Move it away; bench-native.sh makes it again."
	else
		need_space 3 "a UML worktree and its build"
		wbgit -C "$TREE" worktree add -q --detach "$wt" "$commit"
	fi
	touched=$(wbgit -C "$wt" diff --name-only HEAD | sort | tr '\n' ' ')
	if [ "$(wbgit -C "$wt" rev-parse HEAD)" != "$commit" ] ||
	   [ "$touched" != "$ours" ] ||
	   ! wbgit -C "$wt" apply --check -R "$patch" 2>/dev/null; then
		# Files that end up as they were keep their time: a new
		# series commit that changes no header must not rebuild all.
		keep=$(mktemp -d)
		for f in $ours; do
			[ ! -f "$wt/$f" ] || cp -p "$wt/$f" "$keep/${f//\//_}"
		done
		wbgit -C "$wt" checkout -q -f --detach "$commit"
		wbgit -C "$wt" apply "$patch" ||
			die "tests/native/uml-smp-native.patch does not apply to $rev"
		uml_glue "$wt"
		for f in $ours; do
			! cmp -s "$wt/$f" "$keep/${f//\//_}" ||
				touch -r "$keep/${f//\//_}" "$wt/$f"
		done
		rm -rf "$keep"
	fi
	uml_glue "$wt"
	dst=$wt/drivers/media/vb2-fence-bench
	mkdir -p "$dst" "$bdir"
	for f in Kconfig Makefile vb2-fence-bench.c; do
		cmp -s "$NATIVE/$f" "$dst/$f" || cp "$NATIVE/$f" "$dst/$f"
	done
}

# kunit KIND COMMAND ARGS...: kunit.py COMMAND in KIND's worktree and build
# directory; with NICE set, at a lower priority
kunit() {
	local wt bdir rev configs=(--kunitconfig="$NATIVE/kunitconfig")
	uml_dirs "$1"
	[ "$1" = base ] || configs+=(--kunitconfig="$NATIVE/kunitconfig.series")
	(cd "$wt" && ${NICE:+nice -n 10} python3 tools/testing/kunit/kunit.py "$2" \
		--arch=um --build_dir="$bdir" "${configs[@]}" "${@:3}")
}

out=$CACHE/bench
mkdir -p "$out"
stamp=$(date +%Y%m%d-%H%M%S)

# build KIND: prepare and build KIND's UML kernel, niced so that a
# benchmark or a VM running alongside keeps its CPU. Sets build_s.
build() {
	local wt bdir rev t0=$SECONDS blog=$out/native-build-$1.log how=incremental
	uml_tree "$1"
	uml_dirs "$1"
	[ -f "$bdir/linux" ] || how="cold: about 4 min on 2 cores"
	log "building the $1 kernel for UML in $bdir ($how)"
	NICE=1 with_progress "$bdir" kunit "$1" build --jobs="$JOBS" > "$blog" 2>&1 ||
		{ tail -n 30 "$blog" >&2; die "the UML build of the $1 kernel failed (log: $blog)"; }
	build_s=$((SECONDS - t0))
}

# boot KIND LOG HEADER [KERNEL_ARG...]: run the benchmark suite on KIND's
# kernel and append its kernel log to LOG after the line HEADER
boot() {
	local wt bdir rev kind=$1 logf=$2 header=$3 a
	local args=(--kernel_args="vb2_fence_bench.blocks=$blocks")
	shift 3
	uml_dirs "$kind"
	for a in "$@"; do
		args+=(--kernel_args="$a")
	done
	if ! kunit "$kind" exec --timeout=900 "${args[@]}" vb2_fence_bench \
		> "$out/native-exec.out" 2>&1; then
		cat "$out/native-exec.out" >&2
		die "the benchmark suite failed on the $kind kernel ($header)" \
		    "(kunit.py's output above; the kernel log: $bdir/test.log)"
	fi
	{ echo "NATIVE-RUN $header"; cat "$bdir/test.log"; } >> "$logf"
}

if [ "$mode" = kunit ]; then
	build series
	log "built in ${build_s} s; running the series' KUnit suites on UML"
	t0=$(date +%s%N)
	rc=0
	kunit series exec --timeout=300 '*release_fence' > "$out/native-kunit.out" 2>&1 || rc=$?
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	grep -E '\[(FAILED|SKIPPED)\]|Testing complete' "$out/native-kunit.out" || true
	[ "$rc" = 0 ] || { cat "$out/native-kunit.out" >&2; die "the series' KUnit suites failed on UML"; }
	log "build ${build_s} s, run ${ms} ms (kunit.py exec, the boot included); output: $out/native-kunit.out"
	exit 0
fi

if [ "$mode" = against ]; then
	ref=$(wbgit -C "$TREE" rev-parse --verify -q "$against^{commit}") ||
		die "no revision '$against' in $TREE" \
		    "Give a commit of the series branch, e.g. vb2fence@{1} (git -C $TREE reflog vb2fence)."
	wbgit -C "$TREE" grep -q 'release_fences:1;' "$ref" -- include/media/videobuf2-core.h ||
		die "$against has no declared release fences (vb2_queue.release_fences): the benchmark cannot run on it"
	build series
	build ref
	logf=$out/native-against-$stamp.log
	table=$out/native-against-$stamp.txt
	printf 'NATIVE-CONFIG %s, %s, %s core(s); before: %s, after: %s (series); %s blocks of ~50 us per setting; %s boots of each kernel\n' \
		"$(date +%Y-%m-%d)" "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)" "$(nproc)" \
		"$(wbgit -C "$TREE" rev-parse --short "$ref")" "$(wbgit -C "$CACHE/linux-uml" rev-parse --short HEAD)" \
		"$blocks" "$rounds" > "$logf"
	for r in $(seq 1 "$rounds"); do
		if [ $((r % 2)) = 1 ]; then order="ref series"; else order="series ref"; fi
		for k in $order; do
			log "round $r/$rounds: the $k kernel"
			boot "$k" "$logf" "against $k $r"
		done
	done
	make_against_table "$logf" > "$table"
	ln -sf "$(basename "$table")" "$out/latest-against.txt"
	cat "$table"
	log "table: $table; log: $logf"
	exit 0
fi

build series
series_build_s=$build_s
build base
logf=$out/native-$stamp.log
table=$out/native-$stamp.txt
{
	printf 'NATIVE-CONFIG %s, %s, %s core(s); series %s, base %s; %s blocks of ~50 us per setting; opt-out: %s boots of each kernel\n' \
		"$(date +%Y-%m-%d)" "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)" "$(nproc)" \
		"$(wbgit -C "$CACHE/linux-uml" rev-parse --short HEAD)" "$(wbgit -C "$CACHE/linux-uml-base" rev-parse --short HEAD)" \
		"$blocks" "$rounds"
} > "$logf"
log "the interleaved run on the series' kernel"
boot series "$logf" "main series"
# base, series, series, base, ...: drift hits both kernels alike
for r in $(seq 1 "$rounds"); do
	if [ $((r % 2)) = 1 ]; then order="base series"; else order="series base"; fi
	for k in $order; do
		log "opt-out round $r/$rounds: the $k kernel"
		boot "$k" "$logf" "optout $k $r" vb2_fence_bench.only_off=1
	done
done
make_table "$logf" > "$table"
ln -sf "$(basename "$table")" "$out/latest-native.txt"
cat "$table"
log "table: $table; log: $logf (series build ${series_build_s} s, base build ${build_s} s)"
