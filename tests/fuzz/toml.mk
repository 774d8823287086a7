FUZZERS += toml
FZ_SRCS_toml := src/axvmconfig/toml.c
