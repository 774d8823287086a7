FUZZERS += vmconfig
FZ_SRCS_vmconfig := src/axvmconfig/vmconfig.c src/axvmconfig/toml.c
