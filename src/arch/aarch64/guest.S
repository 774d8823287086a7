/* World switch between the hypervisor (EL2) and a guest (EL1/EL0).
 *
 * uint64_t guest_enter(struct guest_regs *regs)
 *   Saves the host's callee-saved registers on the current (task) stack,
 *   records regs in the per-CPU area, loads the guest's GPRs, PC and PSTATE
 *   and erets. The guest's next exception to EL2 arrives at the lower-EL
 *   vectors (vectors.S), which jump to guest_exit with the exception kind;
 *   guest_exit stores the guest's GPRs back into regs, restores the host
 *   registers and returns the kind (0 sync, 1 IRQ, 2 FIQ, 3 SError) from
 *   guest_enter. SP_EL2 is the task stack throughout: the guest runs on
 *   SP_EL1/SP_EL0 and never sees it. */
#include "asm.h"

#define HOST_FRAME 112   /* x19-x30 */

    .section .text
    .globl  guest_enter
guest_enter:
    sub     sp, sp, #HOST_FRAME
    stp     x19, x20, [sp, #0]
    stp     x21, x22, [sp, #16]
    stp     x23, x24, [sp, #32]
    stp     x25, x26, [sp, #48]
    stp     x27, x28, [sp, #64]
    stp     x29, x30, [sp, #80]
    mrs     x9, tpidr_el2
    str     x0, [x9, #PERCPU_GUEST_REGS]

    ldp     x1, x2, [x0, #GR_PC]
    msr     elr_el2, x1
    msr     spsr_el2, x2
    ldp     x2, x3, [x0, #16 * 1]
    ldp     x4, x5, [x0, #16 * 2]
    ldp     x6, x7, [x0, #16 * 3]
    ldp     x8, x9, [x0, #16 * 4]
    ldp     x10, x11, [x0, #16 * 5]
    ldp     x12, x13, [x0, #16 * 6]
    ldp     x14, x15, [x0, #16 * 7]
    ldp     x16, x17, [x0, #16 * 8]
    ldp     x18, x19, [x0, #16 * 9]
    ldp     x20, x21, [x0, #16 * 10]
    ldp     x22, x23, [x0, #16 * 11]
    ldp     x24, x25, [x0, #16 * 12]
    ldp     x26, x27, [x0, #16 * 13]
    ldp     x28, x29, [x0, #16 * 14]
    ldr     x30, [x0, #8 * 30]
    ldp     x0, x1, [x0, #0]
    eret
    dsb nsh
    isb

/* Entered from the lower-EL vectors: guest x0/x1 are on the stack, x0 holds
 * the exception kind. */
    .globl  guest_exit
guest_exit:
    mrs     x1, tpidr_el2
    ldr     x1, [x1, #PERCPU_GUEST_REGS]
    stp     x2, x3, [x1, #16 * 1]
    stp     x4, x5, [x1, #16 * 2]
    stp     x6, x7, [x1, #16 * 3]
    stp     x8, x9, [x1, #16 * 4]
    stp     x10, x11, [x1, #16 * 5]
    stp     x12, x13, [x1, #16 * 6]
    stp     x14, x15, [x1, #16 * 7]
    stp     x16, x17, [x1, #16 * 8]
    stp     x18, x19, [x1, #16 * 9]
    stp     x20, x21, [x1, #16 * 10]
    stp     x22, x23, [x1, #16 * 11]
    stp     x24, x25, [x1, #16 * 12]
    stp     x26, x27, [x1, #16 * 13]
    stp     x28, x29, [x1, #16 * 14]
    str     x30, [x1, #8 * 30]
    ldp     x2, x3, [sp], #16          /* guest x0, x1 */
    stp     x2, x3, [x1, #0]
    mrs     x2, elr_el2
    mrs     x3, spsr_el2
    stp     x2, x3, [x1, #GR_PC]

    ldp     x19, x20, [sp, #0]
    ldp     x21, x22, [sp, #16]
    ldp     x23, x24, [sp, #32]
    ldp     x25, x26, [sp, #48]
    ldp     x27, x28, [sp, #64]
    ldp     x29, x30, [sp, #80]
    add     sp, sp, #HOST_FRAME
    ret
