UNIT_TESTS += rvdecode
UT_SRCS_rvdecode := src/arch/riscv64/rvdecode.c
