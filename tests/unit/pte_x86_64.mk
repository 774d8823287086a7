UNIT_TESTS += pte_x86_64
UT_SRCS_pte_x86_64 := src/axaddrspace/pagetable.c src/arch/x86_64/pte_x86_64.c
