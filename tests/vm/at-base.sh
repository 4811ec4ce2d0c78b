#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side (busybox sh) on the base kernel: v4l2-compliance's reference
# totals (compliance.sh), then the release fence kselftests, which must
# skip every test there, saying why (selftest-expect.sh old-kernel).
compliance.sh
rc=$?
selftest-expect.sh old-kernel vim2m || rc=1
selftest-expect.sh old-kernel vicodec || rc=1
exit $rc
