UNIT_TESTS += vuart16550
UT_SRCS_vuart16550 := src/axdevice/vuart16550.c src/lib/format.c
