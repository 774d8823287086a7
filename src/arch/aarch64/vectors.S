/* EL2 exception vectors. Every entry saves the full GPR set into a trap frame
 * on the current stack and calls C; the C side decides what to do. */
#include "asm.h"

.macro SAVE_FRAME
    sub     sp, sp, #TF_SIZE
    stp     x0, x1, [sp, #16 * 0]
    stp     x2, x3, [sp, #16 * 1]
    stp     x4, x5, [sp, #16 * 2]
    stp     x6, x7, [sp, #16 * 3]
    stp     x8, x9, [sp, #16 * 4]
    stp     x10, x11, [sp, #16 * 5]
    stp     x12, x13, [sp, #16 * 6]
    stp     x14, x15, [sp, #16 * 7]
    stp     x16, x17, [sp, #16 * 8]
    stp     x18, x19, [sp, #16 * 9]
    stp     x20, x21, [sp, #16 * 10]
    stp     x22, x23, [sp, #16 * 11]
    stp     x24, x25, [sp, #16 * 12]
    stp     x26, x27, [sp, #16 * 13]
    stp     x28, x29, [sp, #16 * 14]
    mrs     x21, elr_el2
    stp     x30, x21, [sp, #TF_X30]
    mrs     x22, spsr_el2
    add     x23, sp, #TF_SIZE
    stp     x22, x23, [sp, #TF_SPSR]
.endm

.macro RESTORE_FRAME
    ldp     x21, x22, [sp, #TF_ELR]
    msr     elr_el2, x21
    msr     spsr_el2, x22
    ldp     x0, x1, [sp, #16 * 0]
    ldp     x2, x3, [sp, #16 * 1]
    ldp     x4, x5, [sp, #16 * 2]
    ldp     x6, x7, [sp, #16 * 3]
    ldp     x8, x9, [sp, #16 * 4]
    ldp     x10, x11, [sp, #16 * 5]
    ldp     x12, x13, [sp, #16 * 6]
    ldp     x14, x15, [sp, #16 * 7]
    ldp     x16, x17, [sp, #16 * 8]
    ldp     x18, x19, [sp, #16 * 9]
    ldp     x20, x21, [sp, #16 * 10]
    ldp     x22, x23, [sp, #16 * 11]
    ldp     x24, x25, [sp, #16 * 12]
    ldp     x26, x27, [sp, #16 * 13]
    ldp     x28, x29, [sp, #16 * 14]
    ldr     x30, [sp, #TF_X30]
    add     sp, sp, #TF_SIZE
.endm

/* kind: 0 sync, 1 irq, 2 fiq, 3 serror; from: 0 EL2 SP0, 1 EL2 SPx, 2 lower a64, 3 lower a32 */
.macro VECTOR kind, from
    .balign 0x80
    SAVE_FRAME
    mov     x0, sp
    mov     x1, #\kind
    mov     x2, #\from
    b       el2_trap_common
.endm

/* From a guest (lower EL, AArch64): back to guest_enter's caller. */
.macro GUEST_VECTOR kind
    .balign 0x80
    stp     x0, x1, [sp, #-16]!
    mov     x0, #\kind
    b       guest_exit
.endm

    .section .text.vectors, "ax"
    .balign 0x800
    .globl  el2_vectors
el2_vectors:
    VECTOR 0, 0
    VECTOR 1, 0
    VECTOR 2, 0
    VECTOR 3, 0
    VECTOR 0, 1
    VECTOR 1, 1
    VECTOR 2, 1
    VECTOR 3, 1
    GUEST_VECTOR 0
    GUEST_VECTOR 1
    GUEST_VECTOR 2
    GUEST_VECTOR 3
    VECTOR 0, 3
    VECTOR 1, 3
    VECTOR 2, 3
    VECTOR 3, 3

el2_trap_common:
    bl      aarch64_trap
    RESTORE_FRAME
    eret

/* void arch_context_switch(struct arch_context *prev, struct arch_context *next)
 * Saves callee-saved registers, sp and lr into prev, loads next's. */
    .section .text
    .globl  arch_context_switch
arch_context_switch:
    mov     x9, sp
    stp     x19, x20, [x0, #0]
    stp     x21, x22, [x0, #16]
    stp     x23, x24, [x0, #32]
    stp     x25, x26, [x0, #48]
    stp     x27, x28, [x0, #64]
    stp     x29, x30, [x0, #80]
    str     x9, [x0, #96]
    ldp     x19, x20, [x1, #0]
    ldp     x21, x22, [x1, #16]
    ldp     x23, x24, [x1, #32]
    ldp     x25, x26, [x1, #48]
    ldp     x27, x28, [x1, #64]
    ldp     x29, x30, [x1, #80]
    ldr     x9, [x1, #96]
    mov     sp, x9
    ret

/* First run of a new task: x19 = entry trampoline arg */
    .globl  arch_task_start
arch_task_start:
    mov     x0, x19
    bl      task_entry_trampoline
    b       .
