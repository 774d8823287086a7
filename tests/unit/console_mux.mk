UNIT_TESTS += console_mux
UT_SRCS_console_mux := src/axvisor/console_mux.c
