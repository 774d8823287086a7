FUZZERS += addrspace
FZ_SRCS_addrspace := src/axaddrspace/addrspace.c src/axaddrspace/pagetable.c \
	src/arch/aarch64/pte_aarch64.c src/axalloc/frame.c src/axalloc/heap.c
