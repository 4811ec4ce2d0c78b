#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Draw what fence-timeline -o recorded with vim2m's opt-in off and on as one
# picture with two panels: per frame the job on the device, the release
# fence while it is pending, and when the consumer woke. With the opt-in
# off the consumer wakes right after QBUF, while the device still writes;
# with it on it wakes when the device is done.
#   plot-timeline.sh [-o OUT] OFF.csv ON.csv
#   plot-timeline.sh [-o OUT] --log CONSOLE_LOG
# --log takes the CSVs from a console log in which the guest printed them
# (cat /tmp/timeline-*.csv); each starts with its "# fence-timeline" line.
# Writes OUT.svg and OUT.png (default OUT: ./fence-timeline).
set -euo pipefail

usage() {
	sed -n '3,12s/^# \{0,1\}//p' "$0"
}
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

out=fence-timeline log=
while [ $# -gt 0 ]; do
	case "$1" in
	-o) [ $# -ge 2 ] || die "-o needs a file name"; out=$2; shift 2 ;;
	--log) [ $# -ge 2 ] || die "--log needs a file"; log=$2; shift 2 ;;
	-h|--help) usage; exit 0 ;;
	-*) usage >&2; exit 2 ;;
	*) break ;;
	esac
done
command -v gnuplot >/dev/null ||
	die "gnuplot not found; install it: apt-get install gnuplot-nox"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/plot-timeline.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# A CSV block: its "# fence-timeline" line, the column names, frame lines.
extract() { # extract LOG FENCES > CSV
	awk -v want="release_fences=$2" '
		/^# fence-timeline / { on = index($0, want) > 0; n = 0 }
		on && /^# fence-timeline / { print; next }
		on && /^frame,/ { print; next }
		on && /^[0-9]+,/ { print; n++; next }
		on && n { on = 0 }' "$1"
}
if [ -n "$log" ]; then
	[ $# = 0 ] || die "give either --log or two CSV files"
	[ -f "$log" ] || die "no such file: $log"
	extract "$log" 0 > "$tmp/off.csv"
	extract "$log" 1 > "$tmp/on.csv"
	set -- "$tmp/off.csv" "$tmp/on.csv"
fi
[ $# = 2 ] || { usage >&2; exit 2; }
for f in "$@"; do
	[ -f "$f" ] || die "no such file: $f"
	grep -q '^[0-9]*,' "$f" || die "$f has no frames (not a fence-timeline -o CSV?)"
done

# Fixed columns for gnuplot, looked up by name; NaN where the CSV has
# nothing (no fence with the opt-in off, no tracefs).
cols="frame qbuf_out qbuf_out_ret fence_published job_start job_done fence_signalled sync_file_woke dmabuf_woke dqbuf_ret"
to_dat() { # to_dat CSV > DAT
	awk -F, -v cols="$cols" '
		/^#/ { next }
		/^frame,/ { for (i = 1; i <= NF; i++) idx[$i] = i; next }
		{
			n = split(cols, c, " "); line = ""
			for (i = 1; i <= n; i++) {
				v = (c[i] in idx) ? $(idx[c[i]]) : ""
				line = line (i > 1 ? " " : "") (v == "" ? "NaN" : v)
			}
			print line
		}' "$1"
}
to_dat "$1" > "$tmp/off.dat"
to_dat "$2" > "$tmp/on.dat"

meta() { # meta CSV KEY: a key=value of the "# fence-timeline" line
	sed -n "1s/.* $2=\([^ ]*\).*/\1/p" "$1"
}
# Median over the frames of (device done - consumer woke), in ms.
gap() {
	awk '$6 != "NaN" { print $6 - $9 }' "$1" | sort -g |
		awk '{ v[NR] = $1 } END {
			if (!NR) { print "?"; exit }
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%.1f", m }'
}
title() { # title CSV DAT
	local rf gap what
	rf=$(meta "$1" release_fences)
	gap=$(gap "$2")
	case "$rf" in
	0) what="opt-in off (as before)" ;;
	1) what="opt-in on (release fences)" ;;
	*) what="opt-in unknown" ;;
	esac
	case "$gap" in
	\?) printf '%s release_fences=%s: %s' "$(meta "$1" driver)" "$rf" "$what" ;;
	-*) printf '%s release_fences=%s: %s\\nthe consumer wakes %s ms after the frame is done' \
		"$(meta "$1" driver)" "$rf" "$what" "${gap#-}" ;;
	*) printf '%s release_fences=%s: %s\\nthe consumer wakes %s ms BEFORE the frame is done' \
		"$(meta "$1" driver)" "$rf" "$what" "$gap" ;;
	esac
}
t_off=$(title "$1" "$tmp/off.dat")
t_on=$(title "$2" "$tmp/on.dat")
[ "$(meta "$1" kernel_trace)" = yes ] && [ "$(meta "$2" kernel_trace)" = yes ] ||
	echo "warning: a CSV has no kernel events (no tracefs): no job or fence bars" >&2

# Both panels share the time axis: up to the latest DQBUF, plus a margin.
xmax=$(awk '{ for (i = 2; i <= NF; i++) if ($i != "NaN" && $i > m) m = $i }
	END { printf "%d", m * 1.08 + 1 }' "$tmp/off.dat" "$tmp/on.dat")
frames="$(wc -l < "$tmp/off.dat") and $(wc -l < "$tmp/on.dat")"
nmax=$(awk '$1 > m { m = $1 } END { print m }' "$tmp/off.dat" "$tmp/on.dat")

# Columns: 1 frame, 2 qbuf_out (0), 3 qbuf_out_ret, 4 fence_published,
# 5 job_start, 6 job_done, 7 fence_signalled, 8 sync_file_woke,
# 9 dmabuf_woke, 10 dqbuf_ret.
cat > "$tmp/plot.gp" <<EOF
set xrange [-2:$xmax]
set yrange [$nmax + 0.7:-0.7]
set ytics 1
set ylabel "frame"
set grid xtics lc rgb "#e0e0e0"
set termoption noenhanced
set key outside right top vertical Left reverse samplen 1.5 spacing 1.3 font ",10"
set multiplot layout 2,1 title "fence-timeline: when does a consumer of a vim2m CAPTURE buffer wake up?" font ",13"
set lmargin 8
set rmargin 60
set style line 1 lc rgb "#b8b8b8" lw 12
set style line 2 lc rgb "#f08c00" lw 5
panel(f) = sprintf("plot '%s' using 5:1:(\$6-\$5):(0) with vectors nohead ls 1 title 'device writes the frame (device_run .. vb2_buf_done)', \
  '' using 4:(\$1+0.28):(\$7-\$4):(0) with vectors nohead ls 2 title 'release fence pending in the dma_resv', \
  '' using 2:1 with points pt 9 ps 1.6 lc rgb '#000000' title 'QBUF that commits the job', \
  '' using 4:(\$1+0.28) with points pt 11 ps 1.4 lc rgb '#f08c00' title 'fence published', \
  '' using 7:(\$1+0.28) with points pt 3 ps 1.8 lc rgb '#c05000' title 'fence signalled', \
  '' using 8:(\$1-0.28) with points pt 6 ps 2.2 lw 2 lc rgb '#1060d0' title 'consumer wakes: sync_file poll', \
  '' using 9:(\$1-0.28) with points pt 7 ps 1.3 lc rgb '#d01010' title 'consumer wakes: dma-buf poll', \
  '' using 10:1 with points pt 5 ps 1.3 lc rgb '#109010' title 'DQBUF returns'", f)
set title "$t_off" font ",11"
unset xlabel
eval panel("$tmp/off.dat")
set key off
set title "$t_on" font ",11"
set xlabel "ms after the QBUF that commits the job"
eval panel("$tmp/on.dat")
unset multiplot
EOF
h=$((340 + 2 * 28 * (nmax + 1)))
{
	echo "set terminal svg size 1200,$h dynamic font 'sans,11' background rgb 'white'"
	echo "set output '$out.svg'"
	cat "$tmp/plot.gp"
} | gnuplot
if gnuplot -e 'set terminal' 2>&1 | grep -q pngcairo; then
	{
		echo "set terminal pngcairo size 1200,$h font 'sans,10' background rgb 'white'"
		echo "set output '$out.png'"
		cat "$tmp/plot.gp"
	} | gnuplot
	echo "wrote $out.svg and $out.png ($frames frames)"
else
	echo "wrote $out.svg ($frames frames; this gnuplot has no pngcairo for a PNG)"
fi
