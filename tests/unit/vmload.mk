# vm_load_config, shared by built-in and disk VMs, over a stub vm_create and
# the real heap (tests/unit/arch/ stands in for the arch headers ax/vm.h
# pulls in).
UNIT_TESTS += vmload
UT_SRCS_vmload := src/axvisor/vmload.c src/axvmconfig/vmconfig.c src/axvmconfig/toml.c \
	src/axalloc/frame.c src/axalloc/heap.c src/lib/format.c
UT_DEPS_vmload := tests/unit/arch/context.h tests/unit/arch/vcpu.h
