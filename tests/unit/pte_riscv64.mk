UNIT_TESTS += pte_riscv64
UT_SRCS_pte_riscv64 := src/axaddrspace/pagetable.c src/arch/riscv64/pte_riscv64.c
