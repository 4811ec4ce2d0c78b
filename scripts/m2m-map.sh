#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Usage: scripts/m2m-map.sh [KERNEL_TREE]
#
# A map of the in-tree v4l2-mem2mem drivers for the release fence opt-in:
# one markdown table row per driver with what grep can tell about the rules
# of Documentation/driver-api/media/v4l2-release-fences.rst. The tree
# defaults to the workbench's (TREE in scripts/lib.sh); nothing is changed.
#
# This is grep, not a reading of the code. A driver is the directory of a
# file that calls v4l2_m2m_init() or defines a struct v4l2_m2m_ops, or that
# file alone when its directory holds other drivers (has subdirectories with
# a Makefile). Facts are searched in the driver's .c/.h files, except:
#   - rpm, clk: calls in the body of the device_run() function(s) are
#     "run", elsewhere in device_run's file "file"; calls reached through
#     helpers in other files are not seen, and "file" says nothing about
#     whether device_run() reaches them;
#   - timeout: the kinds of delayed work, timers and bounded waits the
#     driver has at all (dwork, timer, wait_to, poll_to); grep cannot tell
#     whether they bound a job, so read the driver before relying on it.
# Other columns: job_abort/job_ready set in a v4l2_m2m_ops ("yes, per job":
# it also calls v4l2_m2m_set_buffers_per_job()); requests "setup" if it
# calls v4l2_ctrl_request_setup(), "ops" if it only has media request ops;
# held cap: VB2_V4L2_FL_SUPPORTS_M2M_HOLD_CAPTURE_BUF anywhere; opts in:
# vb2_buffer_attach_release_fence() anywhere.
# docs/m2m-driver-map.md holds the checked verdicts.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

case ${1:-} in
-h | --help)
	sed -n '3,/^set /{/^set /d; s/^# \{0,1\}//; p}' "$0"
	exit 0
	;;
esac
[ $# -le 1 ] || die "too many arguments" "Usage: $0 [KERNEL_TREE]"
if [ $# -eq 1 ]; then
	tree=$1
	hint="Give the path of a Linux kernel source tree: $0 /path/to/linux"
else
	tree=$TREE
	hint="That is the workbench's tree (KERNEL_SRC, or \$CACHE/linux): make it with 'make base import', or give a path: $0 /path/to/linux"
fi
[ -d "$tree" ] || die "$tree: no such directory" "$hint"
if [ ! -f "$tree/Makefile" ] || [ ! -f "$tree/drivers/media/v4l2-core/v4l2-mem2mem.c" ]; then
	die "$tree is not a Linux kernel tree with v4l2-mem2mem" \
	    "(no Makefile or drivers/media/v4l2-core/v4l2-mem2mem.c there)" "$hint"
fi
cd "$tree"

# has PATTERN FILE...: does any of the files match the extended regex?
has() {
	local re=$1
	shift
	grep -qE -- "$re" "$@" 2>/dev/null
}

# yesno PATTERN FILE...
yesno() { if has "$@"; then echo yes; else echo -; fi; }

# body FUNC FILE: the text of FUNC's definition (from the line that names
# it, not ending in ';', to the first '}' in column 0).
body() {
	awk -v f="$1" '
		!inside && $0 ~ "^[a-z].*[^A-Za-z0-9_]" f "\\(" && $0 !~ /;[ \t]*$/ { inside = 1 }
		inside { print }
		inside && /^}/ { exit }' "$2"
}

# where PATTERN: "run" if a device_run body matches, else "file" if one of
# device_run's files does, else "-". Uses $runs and $runfiles.
where() {
	local fn file text
	for fn in $runs; do
		for file in $runfiles; do
			text=$(body "$fn" "$file")
			if grep -qE -- "$1" <<<"$text"; then
				echo run
				return
			fi
		done
	done
	for file in $runfiles; do
		if has "$1" "$file"; then
			echo file
			return
		fi
	done
	echo -
}

SP='[[:space:]]*'
RPM='pm_runtime_resume_and_get|pm_runtime_get_sync'
CLK='clk_prepare_enable|clk_bulk_prepare_enable|clk_prepare\('
REQ_SETUP='v4l2_ctrl_request_setup'
REQ_OPS='media_request_ops|\.req_validate|\.req_queue'
HOLD='VB2_V4L2_FL_SUPPORTS_M2M_HOLD_CAPTURE_BUF'

# The drivers: one per line, a directory or a file.
drivers() {
	local f d
	grep -rlE --include='*.c' 'v4l2_m2m_init\(|struct v4l2_m2m_ops [a-z0-9_]+ *=' \
		drivers/media drivers/staging/media | grep -v '/v4l2-core/' |
	while read -r f; do
		d=$(dirname "$f")
		if [ -n "$(find "$d" -mindepth 2 -name Makefile -print -quit)" ]; then
			echo "$f"
		else
			echo "$d"
		fi
	done | sort -u
}

echo "| driver | device_run | job_abort | timeout | rpm | clk | requests | held cap | job_ready | opts in |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for drv in $(drivers); do
	mapfile -t files < <(find "$drv" -name '*.[ch]' | sort)

	# no match is an answer too: "-" in the table, not the end of it
	runs=$(grep -hoE "\.device_run${SP}=${SP}[A-Za-z0-9_]+" "${files[@]}" |
		sed 's/.*=[[:space:]]*//' | sort -u | tr '\n' ' ' || true)
	runfiles=
	for fn in $runs; do
		runfiles+=$(grep -lE "^[a-z].*[^A-Za-z0-9_]$fn\([^;]*\$" "${files[@]}" |
			tr '\n' ' ' || true)
	done

	kinds=
	has 'INIT_DELAYED_WORK|schedule_delayed_work|queue_delayed_work|mod_delayed_work' "${files[@]}" &&
		kinds+=" dwork"
	has 'timer_setup|mod_timer\(|hrtimer_start|hrtimer_setup|hrtimer_init' "${files[@]}" &&
		kinds+=" timer"
	has 'wait_for_completion[a-z_]*_timeout|wait_event[a-z_]*_timeout' "${files[@]}" &&
		kinds+=" wait_to"
	has '_poll_timeout(_atomic)?\(' "${files[@]}" && kinds+=" poll_to"
	kinds=${kinds# }

	req=-
	has "$REQ_OPS" "${files[@]}" && req=ops
	has "$REQ_SETUP" "${files[@]}" && req=setup
	jr=$(yesno "\.job_ready${SP}=" "${files[@]}")
	[ "$jr" = yes ] && has 'v4l2_m2m_set_buffers_per_job' "${files[@]}" &&
		jr="yes, per job"

	printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
		"${drv#drivers/}" "$(echo "$runs" | sed 's/ $//; s/ /, /g')" \
		"$(yesno "\.job_abort${SP}=" "${files[@]}")" "${kinds:--}" \
		"$(where "$RPM")" "$(where "$CLK")" "$req" \
		"$(yesno "$HOLD" "${files[@]}")" "$jr" \
		"$(yesno 'vb2_buffer_attach_release_fence' "${files[@]}")"
done
