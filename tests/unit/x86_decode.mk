UNIT_TESTS += x86_decode
UT_SRCS_x86_decode := src/arch/x86_64/x86_decode.c src/lib/string.c
