FUZZERS += console_mux
FZ_SRCS_console_mux := src/axvisor/console_mux.c
