FUZZERS += vplic
FZ_SRCS_vplic := src/axdevice/vplic.c src/axdevice/vuart16550.c src/lib/format.c
