UNIT_TESTS += toml
UT_SRCS_toml := src/axvmconfig/toml.c
