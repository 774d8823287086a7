# aarch64 guest DTB generator: trees are read back with the FDT parser
# (fdt_parse_platform) and checked with dtc.
UNIT_TESTS += guest_dtb
UT_SRCS_guest_dtb := src/arch/aarch64/guest_dtb.c src/fdt/fdt_writer.c \
	src/fdt/fdt.c src/fdt/fdt_platform.c
