UNIT_TESTS += vpl011
UT_SRCS_vpl011 := src/axdevice/vpl011.c src/lib/format.c
