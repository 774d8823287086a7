# Target (hypervisor image) build for $(ARCH).

OUT := $(BUILD)/$(ARCH)

ifeq ($(ARCH),aarch64)
CROSS_COMPILE ?= aarch64-linux-gnu-
ARCH_CFLAGS := -mgeneral-regs-only -mno-outline-atomics -mcmodel=small -march=armv8-a
else ifeq ($(ARCH),riscv64)
CROSS_COMPILE ?= riscv64-linux-gnu-
# RV64IMAC without floating point (lp64); medany: the image lives above
# 2 GiB; no linker relaxation (gp is not set up as a global pointer).
ARCH_CFLAGS := -march=rv64imac_zicsr_zifencei -mabi=lp64 -mcmodel=medany -mno-relax
else ifeq ($(ARCH),x86_64)
CROSS_COMPILE ?=
# No red zone: interrupts arrive on the current stack. No SSE/x87 code.
ARCH_CFLAGS := -m64 -march=x86-64 -mno-red-zone -mgeneral-regs-only -mcmodel=small \
	-fno-asynchronous-unwind-tables -fcf-protection=none -Wl,-z,noexecstack
endif

CC := $(CROSS_COMPILE)gcc
OBJCOPY := $(CROSS_COMPILE)objcopy
OBJDUMP := $(CROSS_COMPILE)objdump

CFLAGS := -std=c11 -ffreestanding -fno-stack-protector -fno-pic -fno-pie \
	-fno-omit-frame-pointer -fno-common -O2 -g -Wall -Wextra -Werror \
	-Iinclude -Isrc/arch/$(ARCH)/include -Isrc/arch/$(ARCH) -MMD -MP $(ARCH_CFLAGS)
ASFLAGS := $(CFLAGS) -D__ASSEMBLY__
LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=4096 \
	-Wl,--no-warn-rwx-segments -T src/arch/$(ARCH)/linker.ld

COMMON_SRCS := $(wildcard src/lib/*.c src/fdt/*.c src/axalloc/*.c src/axtask/*.c \
	src/axaddrspace/*.c src/axhal/*.c src/axvmconfig/*.c src/axdevice/*.c src/axvcpu/*.c \
	src/axvm/*.c src/axvisor/*.c src/axfs/*.c src/drivers/*.c)
ARCH_SRCS := $(wildcard src/arch/$(ARCH)/*.c src/arch/$(ARCH)/*.S)
OBJS := $(patsubst %,$(OUT)/%.o,$(COMMON_SRCS) $(ARCH_SRCS)) $(OUT)/version.o

# VMs built into the image: VM_CONFIGS="a.toml b.toml" (validated at build
# time, images packed in). IMAGE_DIR lets several images share the objects.
DEFAULT_VM_CONFIGS_aarch64 := configs/vms/linux-aarch64-qemu-smp2.toml configs/vms/kit/aarch64/multi1.toml
DEFAULT_VM_CONFIGS_riscv64 := configs/vms/kit/riscv64/hello.toml configs/vms/kit/riscv64/smp4.toml
DEFAULT_VM_CONFIGS_x86_64 := configs/vms/kit/x86_64/hello.toml configs/vms/kit/x86_64/smp4.toml
VM_CONFIGS ?= $(DEFAULT_VM_CONFIGS_$(ARCH))
IMAGE_DIR ?= $(OUT)
BUILTIN_S := $(IMAGE_DIR)/builtin_vms.S
BUILTIN_O := $(IMAGE_DIR)/builtin_vms.o

ELF := $(IMAGE_DIR)/axvisor.elf
BIN := $(IMAGE_DIR)/axvisor.bin

ifeq ($(filter $(ARCH),$(SUPPORTED_ARCHES)),)
all run itest-arch $(ELF) $(BIN):
	@echo "ARCH=$(ARCH) is not implemented yet (implemented: $(SUPPORTED_ARCHES))"; exit 1
else
all: $(BIN)

$(OUT)/%.c.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(OUT)/%.S.o: %.S
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	$(Q)$(CC) $(ASFLAGS) -c -o $@ $<

# version.c is rewritten only when `git describe` changes
$(OUT)/version.c: FORCE
	@mkdir -p $(dir $@)
	$(Q)v=$$(git describe --always --dirty --tags 2>/dev/null || echo unknown); \
	d=$$(date -u +%Y-%m-%d); \
	printf 'const char ax_version[] = "%s";\nconst char ax_build_date[] = "%s";\n' "$$v" "$$d" > $@.tmp; \
	cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

$(OUT)/version.o: $(OUT)/version.c
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

# Configs whose images come from build/linux/ need the Linux guest fetched
# (scripts/fetch-linux.sh: Debian's kernel and busybox, cached under build/).
LINUX_NEEDED := $(if $(VM_CONFIGS),$(shell grep -l 'build/linux/' $(VM_CONFIGS) 2>/dev/null))

.PHONY: linux-images
linux-images:
	$(Q)scripts/fetch-linux.sh

# regenerated on every build (cheap); rewritten only when it changes
$(BUILTIN_S): FORCE $(HOST_BUILD)/axvisor-config $(if $(VM_CONFIGS),guests) $(if $(LINUX_NEEDED),linux-images)
	@mkdir -p $(dir $@)
	$(Q)scripts/gen-builtin.sh $(HOST_BUILD)/axvisor-config $@ $(VM_CONFIGS)

$(BUILTIN_O): $(BUILTIN_S)
	@echo "  AS      $<"
	$(Q)$(CC) $(ASFLAGS) -c -o $@ $<

$(ELF): $(OBJS) $(BUILTIN_O) src/arch/$(ARCH)/linker.ld
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(OBJS) $(BUILTIN_O) -lgcc

$(BIN): $(ELF)
	@echo "  OBJCOPY $@"
	$(Q)$(OBJCOPY) -O binary $< $@
	@echo "  image   $@: $$(stat -c %s $@) bytes"

-include $(OBJS:.o=.d) $(BUILTIN_O:.o=.d) $(BUILTIN_O:.o=.incbin.d)
endif

# QEMU knobs for run/debug: SMP, MEM, GIC (aarch64), QEMU_EXTRA
SMP ?= 4
MEM ?= 2G
GIC ?= 3

# run/test install missing dependencies first, then build and go.
run:
	$(Q)scripts/deps.sh --quiet
	$(Q)$(MAKE) --no-print-directory run-now

# make disk: a FAT32 image build/<arch>/disk.img (README "Disk"). From
# DISK_DIR as it is, or by default from build/<arch>/disk/, filled with the
# kit's guests (guest/images/) and DISK_CONFIGS (guest/vm_default/).
# DISK=1 on run/debug attaches that image, DISK=path another one.
DISK_CONFIGS ?= $(wildcard configs/vms/disk/$(ARCH)/*.toml)
DISK_IMG := $(OUT)/disk.img
DISK_FILE := $(if $(filter 1,$(DISK)),$(DISK_IMG),$(DISK))

.PHONY: disk
disk: $(if $(DISK_DIR),,guests $(HOST_BUILD)/axvisor-config)
	$(Q)$(if $(DISK_DIR),,scripts/disk-tree.sh $(HOST_BUILD)/axvisor-config $(ARCH) $(OUT)/disk $(DISK_CONFIGS))
	@echo "  MKDISK  $(DISK_IMG)"
	$(Q)scripts/mkdisk.sh $(or $(DISK_DIR),$(OUT)/disk) $(DISK_IMG)

run-now: $(BIN) $(if $(filter 1,$(DISK)),disk)
	$(Q)SMP=$(SMP) MEM=$(MEM) GIC=$(GIC) DISK=$(DISK_FILE) scripts/qemu.sh $(ARCH) $(BIN) $(QEMU_EXTRA)

# Boot halted with the gdb stub on :1234; see README "Debugging".
debug: $(BIN) $(if $(filter 1,$(DISK)),disk)
	$(Q)SMP=$(SMP) MEM=$(MEM) GIC=$(GIC) DISK=$(DISK_FILE) scripts/qemu.sh $(ARCH) $(BIN) -s -S $(QEMU_EXTRA)

# make test: host unit tests, then integration tests. Without ARCH on the
# command line every implemented arch is built and tested.
ifeq ($(origin ARCH),command line)
ITEST_ARCHES := $(ARCH)
else
ITEST_ARCHES := $(SUPPORTED_ARCHES)
endif

itest:
	$(Q)set -e; for a in $(ITEST_ARCHES); do $(MAKE) --no-print-directory ARCH=$$a all; done
	$(Q)python3 tests/integration/run.py --arch $(ITEST_ARCHES) $(if $(ITEST_FILTER),--filter $(ITEST_FILTER))

bench:
	$(Q)scripts/deps.sh --quiet
	$(Q)python3 scripts/bench.py $(ARCH)

test:
	$(Q)scripts/deps.sh --quiet
	$(Q)scripts/test.sh $(ITEST_ARCHES)
