# FDT writer: blobs are read back with the FDT parser and with dtc.
UNIT_TESTS += fdt_writer
UT_SRCS_fdt_writer := src/fdt/fdt_writer.c src/fdt/fdt.c src/fdt/fdt_platform.c
