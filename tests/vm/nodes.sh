# SPDX-License-Identifier: GPL-2.0
# Sourced by the guest test scripts (busybox sh): the device nodes of the
# virtual drivers, found by what the drivers call them. scripts/vm.sh puts
# this file in every guest, next to the scripts (/wb).

# node NAME: the /dev/videoN whose video_device name is NAME
node() {
	for d in /sys/class/video4linux/video*; do
		[ "$(cat "$d/name" 2>/dev/null)" = "$1" ] && { echo "/dev/${d##*/}"; return 0; }
	done
	return 1
}

# media_of MODEL: the /dev/mediaN whose media device model is MODEL
media_of() {
	for d in /sys/bus/media/devices/media*; do
		[ "$(cat "$d/model" 2>/dev/null)" = "$1" ] && { echo "/dev/${d##*/}"; return 0; }
	done
	return 1
}
