UNIT_TESTS += vplic
UT_SRCS_vplic := src/axdevice/vplic.c
