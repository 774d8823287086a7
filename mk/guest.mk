# The guest conformance kit (guest/): one bare-metal program per
# guest/tests/<name>.c, built for GUEST_ARCH into
#   $(BUILD)/guest/<arch>/<name>.elf  and  <name>.bin (raw image, entry at offset 0)
#
#   make guests                      (from the top Makefile, which includes this)
#   make -f mk/guest.mk guests       (standalone)
#   make -f mk/guest.mk guests GUEST_DEBUG_UART=1   console also on the UART,
#                                    for running a guest on bare QEMU
#
# Every variable is prefixed GUEST_ so the hypervisor's CC/CFLAGS are untouched;
# the few shared ones get defaults so the file also works on its own.

BUILD ?= build
Q ?= @
GUEST_ARCH ?= $(if $(ARCH),$(ARCH),aarch64)
GUEST_SUPPORTED_ARCHES := aarch64 x86_64 riscv64

GUEST_OUT := $(BUILD)/guest/$(GUEST_ARCH)
GUEST_ARCH_DIR := guest/arch/$(GUEST_ARCH)

ifeq ($(GUEST_ARCH),aarch64)
GUEST_CROSS_COMPILE ?= aarch64-linux-gnu-
# MMU off: all data accesses are Device memory, so never unaligned; no FP/SIMD;
# LL/SC atomics inline (outline atomics would need libgcc's runtime probe).
GUEST_ARCH_CFLAGS := -mstrict-align -mgeneral-regs-only -mno-outline-atomics \
	-march=armv8-a -mcmodel=small
endif

ifeq ($(GUEST_ARCH),x86_64)
GUEST_CROSS_COMPILE ?=
# Long mode on the hypervisor's boot tables; interrupts arrive on the
# current stack (no red zone); no SSE/x87 code.
GUEST_ARCH_CFLAGS := -m64 -march=x86-64 -mno-red-zone -mgeneral-regs-only -mcmodel=small \
	-fno-asynchronous-unwind-tables -fcf-protection=none -Wl,-z,noexecstack
endif

ifeq ($(GUEST_ARCH),riscv64)
GUEST_CROSS_COMPILE ?= riscv64-linux-gnu-
# VS-mode, translation off; no floating point; RVC on (the mmio test runs
# compressed loads and stores); medany for the image at 0x8000_0000.
GUEST_ARCH_CFLAGS := -march=rv64imac_zicsr_zifencei -mabi=lp64 -mcmodel=medany -mno-relax
endif

GUEST_CC := $(GUEST_CROSS_COMPILE)gcc
GUEST_OBJCOPY := $(GUEST_CROSS_COMPILE)objcopy

GUEST_CFLAGS := -std=c11 -O2 -g -ffreestanding -nostdlib -fno-pic -fno-pie \
	-fno-stack-protector -fno-common -Wall -Wextra -Werror \
	-Iinclude -Iguest/include -Iguest/lib -I$(GUEST_ARCH_DIR)/include \
	-MMD -MP $(GUEST_ARCH_CFLAGS) $(if $(GUEST_DEBUG_UART),-DKIT_DEBUG_UART)
GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none \
	-Wl,-z,max-page-size=4096 -Wl,--no-warn-rwx-segments -T $(GUEST_ARCH_DIR)/linker.ld

# The runtime every test links: arch part, arch-neutral part, and the
# hypervisor's own printf engine and string functions.
GUEST_RT_SRCS := $(wildcard $(GUEST_ARCH_DIR)/*.S $(GUEST_ARCH_DIR)/*.c guest/lib/*.c) \
	$(if $(wildcard $(GUEST_ARCH_DIR)/irq.c),,guest/lib/noirq/irq_none.c) \
	src/lib/format.c src/lib/string.c
GUEST_RT_OBJS := $(patsubst %,$(GUEST_OUT)/obj/%.o,$(GUEST_RT_SRCS))

GUEST_TESTS := $(sort $(basename $(notdir $(wildcard guest/tests/*.c))))
GUEST_ELFS := $(patsubst %,$(GUEST_OUT)/%.elf,$(GUEST_TESTS))
GUEST_BINS := $(patsubst %,$(GUEST_OUT)/%.bin,$(GUEST_TESTS))

ifeq ($(.DEFAULT_GOAL),)
.DEFAULT_GOAL := guests
endif

.PHONY: guests

ifeq ($(filter $(GUEST_ARCH),$(GUEST_SUPPORTED_ARCHES)),)
guests:
	@echo "guest kit: GUEST_ARCH=$(GUEST_ARCH) is not implemented yet (implemented: $(GUEST_SUPPORTED_ARCHES))"; exit 1
else
guests: $(GUEST_BINS)

# Objects depend on guest.mk itself: a flag change rebuilds them.
$(GUEST_OUT)/obj/%.c.o: %.c mk/guest.mk
	@mkdir -p $(dir $@)
	@echo "  GUESTCC $<"
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) -c -o $@ $<

$(GUEST_OUT)/obj/%.S.o: %.S mk/guest.mk
	@mkdir -p $(dir $@)
	@echo "  GUESTAS $<"
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) -D__ASSEMBLY__ -c -o $@ $<

$(GUEST_OUT)/%.elf: $(GUEST_OUT)/obj/guest/tests/%.c.o $(GUEST_RT_OBJS) $(GUEST_ARCH_DIR)/linker.ld
	@echo "  GUESTLD $@"
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) $(GUEST_LDFLAGS) -o $@ $< $(GUEST_RT_OBJS) -lgcc

$(GUEST_OUT)/%.bin: $(GUEST_OUT)/%.elf
	$(Q)$(GUEST_OBJCOPY) -O binary $< $@

# Keep objects and ELFs (make would delete them as intermediates).
.SECONDARY: $(GUEST_ELFS) $(GUEST_RT_OBJS) \
	$(patsubst %,$(GUEST_OUT)/obj/guest/tests/%.c.o,$(GUEST_TESTS))

-include $(GUEST_RT_OBJS:.o=.d) $(patsubst %,$(GUEST_OUT)/obj/guest/tests/%.c.d,$(GUEST_TESTS))
endif
