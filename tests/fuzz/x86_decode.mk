FUZZERS += x86_decode
FZ_SRCS_x86_decode := src/arch/x86_64/x86_decode.c
