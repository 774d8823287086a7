FUZZERS += pagetable
FZ_SRCS_pagetable := src/axaddrspace/pagetable.c src/arch/aarch64/pte_aarch64.c
