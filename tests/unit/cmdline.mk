UNIT_TESTS += cmdline
UT_SRCS_cmdline := src/lib/cmdline.c
