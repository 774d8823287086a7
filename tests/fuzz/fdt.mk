# FDT parser fuzzer. Seeds: the QEMU virt DTBs (padding stripped by dtc)
# and the dtc-built edge-case fixtures.
FUZZERS += fdt
FZ_SRCS_fdt := src/fdt/fdt.c src/fdt/fdt_platform.c
