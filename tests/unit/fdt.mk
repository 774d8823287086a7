# FDT parser unit test. Fixtures are built, not committed: the real QEMU virt
# device trees are dumped by QEMU itself, the edge cases come from
# tests/unit/fixtures/fdt-*.dts through dtc.
UNIT_TESTS += fdt
UT_SRCS_fdt := src/fdt/fdt.c src/fdt/fdt_platform.c

FDT_FIX := $(HOST_BUILD)/fixtures
FDT_QEMU_DTBS := $(FDT_FIX)/fdt-qemu-virt-aarch64-gicv3.dtb \
	$(FDT_FIX)/fdt-qemu-virt-aarch64-gicv2.dtb \
	$(FDT_FIX)/fdt-qemu-virt-riscv64.dtb
FDT_DTS_DTBS := $(patsubst tests/unit/fixtures/%.dts,$(FDT_FIX)/%.dtb,\
	$(wildcard tests/unit/fixtures/fdt-*.dts))
UT_DEPS_fdt := $(FDT_QEMU_DTBS) $(FDT_DTS_DTBS)

$(FDT_FIX)/fdt-%.dtb: tests/unit/fixtures/fdt-%.dts
	@echo "  DTC     $@"
	$(Q)mkdir -p $(@D) && dtc -q -I dts -O dtb -o $@ $<

# QEMU prints an "info: dtb dumped" line on success: show its output only on failure.
FDT_QEMU_QUIET = -nographic </dev/null >$@.log 2>&1 || { cat $@.log; rm -f $@; exit 1; }

$(FDT_FIX)/fdt-qemu-virt-aarch64-gicv3.dtb:
	@echo "  QEMU    $@"
	$(Q)mkdir -p $(@D) && qemu-system-aarch64 \
	  -M virt,virtualization=on,gic-version=3,dumpdtb=$@ -cpu cortex-a72 -smp 4 -m 2G $(FDT_QEMU_QUIET)

$(FDT_FIX)/fdt-qemu-virt-aarch64-gicv2.dtb:
	@echo "  QEMU    $@"
	$(Q)mkdir -p $(@D) && qemu-system-aarch64 \
	  -M virt,virtualization=on,gic-version=2,dumpdtb=$@ -cpu cortex-a72 -smp 4 -m 2G $(FDT_QEMU_QUIET)

$(FDT_FIX)/fdt-qemu-virt-riscv64.dtb:
	@echo "  QEMU    $@"
	$(Q)mkdir -p $(@D) && qemu-system-riscv64 \
	  -M virt,dumpdtb=$@ -smp 4 -m 2G $(FDT_QEMU_QUIET)
