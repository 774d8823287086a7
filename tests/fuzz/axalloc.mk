FUZZERS += axalloc
FZ_SRCS_axalloc := src/axalloc/frame.c src/axalloc/heap.c src/axalloc/selftest.c
