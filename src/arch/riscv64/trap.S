/* Trap entry, world switch and task context switch.
 *
 * Every trap into HS-mode arrives at trap_entry. tp and sscratch both hold
 * this CPU's struct percpu_arch while HS-mode code runs; while a guest runs
 * tp is the guest's and sscratch still ours, so the entry swaps them and
 * then asks hstatus.SPV where the trap came from (1: the guest, V=1;
 * hardware writes SPV on every trap into HS-mode):
 *   - from HS-mode: a trap frame on the current stack, riscv_trap(frame);
 *     tp is not restored on the way out (the task may have moved to another
 *     CPU meanwhile: tp must stay this CPU's), SPV is cleared so the sret
 *     stays in HS-mode even if a guest ran on this CPU since.
 *   - from the guest: the guest's registers go to the struct guest_regs
 *     guest_enter was given, and guest_enter returns to its caller.
 */
#include "asm.h"

#define HOST_FRAME 112   /* ra, gp, s0-s11 */

    .section .text.trap, "ax"
    .balign 4
    .globl  trap_entry
trap_entry:
    csrrw   tp, sscratch, tp
    sd      t0, PC_T0(tp)
    csrr    t0, hstatus
    andi    t0, t0, HSTATUS_SPV
    bnez    t0, guest_exit

    ld      t0, PC_T0(tp)
    addi    sp, sp, -TF_SIZE
    sd      x1, TF_X(1)(sp)
    sd      x3, TF_X(3)(sp)
    sd      x5, TF_X(5)(sp)
    sd      x6, TF_X(6)(sp)
    sd      x7, TF_X(7)(sp)
    sd      x8, TF_X(8)(sp)
    sd      x9, TF_X(9)(sp)
    sd      x10, TF_X(10)(sp)
    sd      x11, TF_X(11)(sp)
    sd      x12, TF_X(12)(sp)
    sd      x13, TF_X(13)(sp)
    sd      x14, TF_X(14)(sp)
    sd      x15, TF_X(15)(sp)
    sd      x16, TF_X(16)(sp)
    sd      x17, TF_X(17)(sp)
    sd      x18, TF_X(18)(sp)
    sd      x19, TF_X(19)(sp)
    sd      x20, TF_X(20)(sp)
    sd      x21, TF_X(21)(sp)
    sd      x22, TF_X(22)(sp)
    sd      x23, TF_X(23)(sp)
    sd      x24, TF_X(24)(sp)
    sd      x25, TF_X(25)(sp)
    sd      x26, TF_X(26)(sp)
    sd      x27, TF_X(27)(sp)
    sd      x28, TF_X(28)(sp)
    sd      x29, TF_X(29)(sp)
    sd      x30, TF_X(30)(sp)
    sd      x31, TF_X(31)(sp)
    csrr    t0, sscratch
    sd      t0, TF_X(4)(sp)
    csrw    sscratch, tp
    addi    t0, sp, TF_SIZE
    sd      t0, TF_X(2)(sp)
    csrr    t0, sepc
    sd      t0, TF_SEPC(sp)
    csrr    t0, sstatus
    sd      t0, TF_SSTATUS(sp)
    csrr    t0, scause
    sd      t0, TF_SEPC+16(sp)
    csrr    t0, stval
    sd      t0, TF_SEPC+24(sp)

    mv      a0, sp
    call    riscv_trap

    ld      t0, TF_SEPC(sp)
    csrw    sepc, t0
    ld      t0, TF_SSTATUS(sp)
    csrw    sstatus, t0
    li      t0, HSTATUS_SPV
    csrc    hstatus, t0
    ld      x1, TF_X(1)(sp)
    ld      x3, TF_X(3)(sp)
    ld      x5, TF_X(5)(sp)
    ld      x6, TF_X(6)(sp)
    ld      x7, TF_X(7)(sp)
    ld      x8, TF_X(8)(sp)
    ld      x9, TF_X(9)(sp)
    ld      x10, TF_X(10)(sp)
    ld      x11, TF_X(11)(sp)
    ld      x12, TF_X(12)(sp)
    ld      x13, TF_X(13)(sp)
    ld      x14, TF_X(14)(sp)
    ld      x15, TF_X(15)(sp)
    ld      x16, TF_X(16)(sp)
    ld      x17, TF_X(17)(sp)
    ld      x18, TF_X(18)(sp)
    ld      x19, TF_X(19)(sp)
    ld      x20, TF_X(20)(sp)
    ld      x21, TF_X(21)(sp)
    ld      x22, TF_X(22)(sp)
    ld      x23, TF_X(23)(sp)
    ld      x24, TF_X(24)(sp)
    ld      x25, TF_X(25)(sp)
    ld      x26, TF_X(26)(sp)
    ld      x27, TF_X(27)(sp)
    ld      x28, TF_X(28)(sp)
    ld      x29, TF_X(29)(sp)
    ld      x30, TF_X(30)(sp)
    ld      x31, TF_X(31)(sp)
    addi    sp, sp, TF_SIZE
    sret

/* From the guest: tp = percpu, sscratch = guest tp, guest t0 in PC_T0. */
guest_exit:
    ld      t0, PC_GUEST_REGS(tp)
    sd      x1, GR_X(1)(t0)
    sd      x2, GR_X(2)(t0)
    sd      x3, GR_X(3)(t0)
    sd      x6, GR_X(6)(t0)
    sd      x7, GR_X(7)(t0)
    sd      x8, GR_X(8)(t0)
    sd      x9, GR_X(9)(t0)
    sd      x10, GR_X(10)(t0)
    sd      x11, GR_X(11)(t0)
    sd      x12, GR_X(12)(t0)
    sd      x13, GR_X(13)(t0)
    sd      x14, GR_X(14)(t0)
    sd      x15, GR_X(15)(t0)
    sd      x16, GR_X(16)(t0)
    sd      x17, GR_X(17)(t0)
    sd      x18, GR_X(18)(t0)
    sd      x19, GR_X(19)(t0)
    sd      x20, GR_X(20)(t0)
    sd      x21, GR_X(21)(t0)
    sd      x22, GR_X(22)(t0)
    sd      x23, GR_X(23)(t0)
    sd      x24, GR_X(24)(t0)
    sd      x25, GR_X(25)(t0)
    sd      x26, GR_X(26)(t0)
    sd      x27, GR_X(27)(t0)
    sd      x28, GR_X(28)(t0)
    sd      x29, GR_X(29)(t0)
    sd      x30, GR_X(30)(t0)
    sd      x31, GR_X(31)(t0)
    ld      t1, PC_T0(tp)
    sd      t1, GR_X(5)(t0)
    csrr    t1, sscratch
    sd      t1, GR_X(4)(t0)
    csrw    sscratch, tp
    csrr    t1, sepc
    sd      t1, GR_PC(t0)
    csrr    t1, sstatus
    sd      t1, GR_SSTATUS(t0)
    csrr    t1, hstatus
    sd      t1, GR_HSTATUS(t0)

    ld      sp, PC_HOST_SP(tp)
    ld      ra, 0(sp)
    ld      gp, 8(sp)
    ld      s0, 16(sp)
    ld      s1, 24(sp)
    ld      s2, 32(sp)
    ld      s3, 40(sp)
    ld      s4, 48(sp)
    ld      s5, 56(sp)
    ld      s6, 64(sp)
    ld      s7, 72(sp)
    ld      s8, 80(sp)
    ld      s9, 88(sp)
    ld      s10, 96(sp)
    ld      s11, 104(sp)
    addi    sp, sp, HOST_FRAME
    ret

/* void guest_enter(struct guest_regs *regs)
 * Called with interrupts disabled. Saves the host's callee-saved registers
 * on the task stack, loads the guest's and srets into it. The guest's next
 * trap comes back through guest_exit, which returns from here. */
    .section .text
    .globl  guest_enter
guest_enter:
    addi    sp, sp, -HOST_FRAME
    sd      ra, 0(sp)
    sd      gp, 8(sp)
    sd      s0, 16(sp)
    sd      s1, 24(sp)
    sd      s2, 32(sp)
    sd      s3, 40(sp)
    sd      s4, 48(sp)
    sd      s5, 56(sp)
    sd      s6, 64(sp)
    sd      s7, 72(sp)
    sd      s8, 80(sp)
    sd      s9, 88(sp)
    sd      s10, 96(sp)
    sd      s11, 104(sp)
    sd      sp, PC_HOST_SP(tp)
    sd      a0, PC_GUEST_REGS(tp)

    ld      t0, GR_PC(a0)
    csrw    sepc, t0
    /* sstatus: only SPP (the guest's privilege) comes from the guest;
     * SPIE = 0 keeps HS interrupts masked if we ever sret to HS by mistake */
    li      t1, SSTATUS_SPP | SSTATUS_SPIE
    csrc    sstatus, t1
    ld      t0, GR_SSTATUS(a0)
    li      t1, SSTATUS_SPP
    and     t0, t0, t1
    csrs    sstatus, t0
    ld      t0, GR_HSTATUS(a0)
    csrw    hstatus, t0

    ld      x1, GR_X(1)(a0)
    ld      x2, GR_X(2)(a0)
    ld      x3, GR_X(3)(a0)
    ld      x4, GR_X(4)(a0)
    ld      x5, GR_X(5)(a0)
    ld      x6, GR_X(6)(a0)
    ld      x7, GR_X(7)(a0)
    ld      x8, GR_X(8)(a0)
    ld      x9, GR_X(9)(a0)
    ld      x11, GR_X(11)(a0)
    ld      x12, GR_X(12)(a0)
    ld      x13, GR_X(13)(a0)
    ld      x14, GR_X(14)(a0)
    ld      x15, GR_X(15)(a0)
    ld      x16, GR_X(16)(a0)
    ld      x17, GR_X(17)(a0)
    ld      x18, GR_X(18)(a0)
    ld      x19, GR_X(19)(a0)
    ld      x20, GR_X(20)(a0)
    ld      x21, GR_X(21)(a0)
    ld      x22, GR_X(22)(a0)
    ld      x23, GR_X(23)(a0)
    ld      x24, GR_X(24)(a0)
    ld      x25, GR_X(25)(a0)
    ld      x26, GR_X(26)(a0)
    ld      x27, GR_X(27)(a0)
    ld      x28, GR_X(28)(a0)
    ld      x29, GR_X(29)(a0)
    ld      x30, GR_X(30)(a0)
    ld      x31, GR_X(31)(a0)
    ld      x10, GR_X(10)(a0)
    sret

/* void arch_context_switch(struct arch_context *prev, struct arch_context *next) */
    .globl  arch_context_switch
arch_context_switch:
    sd      ra, 0(a0)
    sd      sp, 8(a0)
    sd      s0, 16(a0)
    sd      s1, 24(a0)
    sd      s2, 32(a0)
    sd      s3, 40(a0)
    sd      s4, 48(a0)
    sd      s5, 56(a0)
    sd      s6, 64(a0)
    sd      s7, 72(a0)
    sd      s8, 80(a0)
    sd      s9, 88(a0)
    sd      s10, 96(a0)
    sd      s11, 104(a0)
    ld      ra, 0(a1)
    ld      sp, 8(a1)
    ld      s0, 16(a1)
    ld      s1, 24(a1)
    ld      s2, 32(a1)
    ld      s3, 40(a1)
    ld      s4, 48(a1)
    ld      s5, 56(a1)
    ld      s6, 64(a1)
    ld      s7, 72(a1)
    ld      s8, 80(a1)
    ld      s9, 88(a1)
    ld      s10, 96(a1)
    ld      s11, 104(a1)
    ret

/* First run of a new task: s1 = the trampoline's argument. */
    .globl  arch_task_start
arch_task_start:
    mv      a0, s1
    call    task_entry_trampoline
1:  j       1b
