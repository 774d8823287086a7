UNIT_TESTS += lineedit
UT_SRCS_lineedit := src/lib/lineedit.c
