# FDT writer fuzzer: random call sequences checked against a model of the
# writer's rules, finished blobs parsed back with the FDT parser.
FUZZERS += fdt_writer
FZ_SRCS_fdt_writer := src/fdt/fdt_writer.c src/fdt/fdt.c src/fdt/fdt_platform.c
