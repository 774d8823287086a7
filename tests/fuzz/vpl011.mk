FUZZERS += vpl011
FZ_SRCS_vpl011 := src/axdevice/vpl011.c src/lib/format.c
