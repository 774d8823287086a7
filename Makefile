# AxVisor in C — top-level build.
#   make [ARCH=aarch64|riscv64|x86_64]   build build/<arch>/axvisor.elf and axvisor.bin
#   make run                              boot it in QEMU with the default VMs
#   make test [ARCH=...]                  host unit tests + QEMU integration tests
#   make unit | itest | fuzz FUZZ_SECONDS=N | clean
# V=1 shows commands; CROSS_COMPILE= overrides the toolchain prefix.

ARCH ?= aarch64
SUPPORTED_ARCHES := aarch64 riscv64 x86_64
BUILD := build
HOST_BUILD := $(BUILD)/host

ifeq ($(V),1)
Q :=
else
Q := @
endif

.DEFAULT_GOAL := all
.PHONY: all run run-now bench test unit itest fuzz clean deps debug FORCE

include mk/host.mk
include mk/tools.mk
-include mk/guest.mk
include mk/target.mk

deps:
	$(Q)scripts/deps.sh

clean:
	rm -rf $(BUILD)
