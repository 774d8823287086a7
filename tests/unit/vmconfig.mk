UNIT_TESTS += vmconfig
UT_SRCS_vmconfig := src/axvmconfig/vmconfig.c src/axvmconfig/toml.c
