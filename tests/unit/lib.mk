UNIT_TESTS += lib
UT_SRCS_lib := src/lib/format.c src/lib/strerror.c src/lib/parse.c
