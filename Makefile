# SPDX-License-Identifier: GPL-2.0
# Workbench for the videobuf2 release fence series. See README.md.
S := scripts
KIND ?= x86
RUN ?=
OUT ?=

.PHONY: help demo check deps base import export build build-debug build-arm64 \
	guest selftest programs v4l-utils bench bench-base bench-native mutate vm mail \
	clean-builds

help:
	@sed -n 's/^## \(make .*\)/\1/p' README.md

demo: deps base import build guest selftest
	bash $(S)/demo.sh

check:
	bash $(S)/check.sh

# not part of check: numbers, not pass/fail (TCG, then native on UML)
bench: deps base import build guest selftest
	bash $(S)/bench.sh
# the native figures alone: the series and the base kernel on User Mode Linux
bench-native: deps base import
	bash $(S)/bench-native.sh
# the base kernel against the series with the opt-in off
bench-base: deps base import guest selftest
	bash $(S)/bench.sh --base
# each deliberate bug of tests/mutations/ must make a test fail
mutate: deps base import build guest selftest
	bash $(S)/mutate.sh

deps:
	bash $(S)/deps.sh
base: deps
	bash $(S)/base.sh
import: base
	bash $(S)/import.sh
export:
	bash $(S)/export.sh
# the series as you would send it: your From: and Signed-off-by:, To/Cc from
# get_maintainer.pl; written to OUT (default ~/.cache/vb2fence/mail)
mail: import
	bash $(S)/mail.sh $(OUT)
build:
	bash $(S)/build.sh x86
build-debug:
	bash $(S)/build.sh debug
build-arm64:
	bash $(S)/build.sh arm64
guest:
	bash $(S)/guest.sh
selftest:
	bash $(S)/selftest.sh
programs: selftest
	bash $(S)/programs.sh
# v4l2-compliance from Debian's v4l-utils source with patches/v4l-utils/
v4l-utils: deps
	bash $(S)/v4l-utils.sh

# make vm RUN=./my-test [KIND=debug]: run your own file in the guest
vm: guest
	@test -n "$(RUN)" || { echo "usage: make vm RUN=FILE [KIND=x86|debug]"; exit 2; }
	bash $(S)/vm.sh --kernel $(KIND) --add $(RUN) -- ./$(notdir $(RUN))

clean-builds:
	bash -c '. $(S)/lib.sh; rm -rf "$$CACHE"/build-*'
