UNIT_TESTS += shell_parse
UT_SRCS_shell_parse := src/axvisor/shell_parse.c src/lib/parse.c
