# Target string.c, tested on the host by #including it under renamed symbols.
UNIT_TESTS += string
UT_SRCS_string :=
UT_DEPS_string := src/lib/string.c
