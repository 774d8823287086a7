UNIT_TESTS += vlapic
UT_SRCS_vlapic := src/arch/x86_64/vlapic.c
