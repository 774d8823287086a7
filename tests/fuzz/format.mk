FUZZERS += format
FZ_SRCS_format := src/lib/format.c src/lib/parse.c
