FUZZERS += rvdecode
FZ_SRCS_rvdecode := src/arch/riscv64/rvdecode.c
