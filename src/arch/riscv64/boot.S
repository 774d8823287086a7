/* riscv64 entry in HS-mode under OpenSBI (fw_dynamic jumps to 0x80200000
 * with a0 = hart id, a1 = DTB, satp = 0). Only the hart OpenSBI picked
 * arrives here; it becomes logical CPU 0. The others stay stopped in
 * OpenSBI until cpu_start() asks for them with SBI HSM hart_start, which
 * lands in secondary_entry with a1 = the logical CPU number.
 *
 * Not every firmware start-up is that tidy: QEMU's OpenSBI sometimes lets a
 * second hart through to 0x80200000 as well. So the first hart to win the
 * boot lottery is the boot CPU; any other that arrives here waits in a
 * holding pen (no stack, no memory but .data) until cpu_start() finds that
 * SBI HSM calls it already started and releases it through pen_cpu[].
 *
 * Per-CPU pointer: tp and sscratch both hold &percpu_area[cpu] from the
 * first instruction on (see trap.S for why both). C runs with translation
 * off until mmu.c switches to the Sv39 map; RISC-V has no alignment
 * restriction for bare-mode accesses that would make that unsafe. */
#include "asm.h"

    .section .text.head, "ax"
    .globl  _start
_start:
    csrw    sie, zero
    csrci   sstatus, SSTATUS_SIE
    mv      s0, a0                  /* hart id */
    mv      s1, a1                  /* DTB */
    la      t0, boot_lottery
    li      t1, 1
    amoswap.w.aqrl t1, t1, (t0)
    bnez    t1, holding_pen
    /* clear .bss once: no other hart runs yet */
    la      t0, __bss_start
    la      t1, __bss_end
1:  bgeu    t0, t1, 2f
    sd      zero, 0(t0)
    addi    t0, t0, 8
    j       1b
2:
    li      a0, 0
    call    early_setup
    mv      a0, s0
    mv      a1, s1
    call    riscv_primary_main
    j       cpu_park

/* SBI HSM hart_start lands here: a0 = hart id, a1 = opaque = logical CPU. */
    .globl  secondary_entry
secondary_entry:
    csrw    sie, zero
    csrci   sstatus, SSTATUS_SIE
    li      t0, AX_MAX_CPUS
    bgeu    a1, t0, cpu_park
    mv      s0, a1
    mv      a0, a1
    call    early_setup_nostack
    mv      a0, s0
    call    riscv_secondary_main
    j       cpu_park

/* a0 = logical CPU: boot stack, per-CPU pointer, trap vector. Called
 * before any stack exists, so it must not use one (ra is preserved). */
early_setup:
early_setup_nostack:
    la      t0, boot_stacks
    li      t1, BOOT_STACK_SIZE
    addi    t2, a0, 1
    mul     t2, t2, t1
    add     sp, t0, t2
    la      t0, percpu_area
    li      t1, PERCPU_SIZE
    mul     t2, a0, t1
    add     tp, t0, t2
    csrw    sscratch, tp
    sw      a0, PC_ID(tp)
    la      t0, trap_entry
    csrw    stvec, t0
    ret

/* A hart that lost the lottery: a0 = its hart id. Waits for
 * pen_cpu[hart] to name its logical CPU, then starts like one that SBI HSM
 * started. Hart ids beyond the pen park for good. */
holding_pen:
    li      t0, AX_MAX_CPUS
    bgeu    a0, t0, cpu_park
    la      t0, pen_cpu
    slli    t1, a0, 3
    add     t0, t0, t1
1:  ld      a1, 0(t0)
    bltz    a1, 1b
    fence   r, rw
    j       secondary_entry

    .globl  cpu_park
cpu_park:
    csrw    sie, zero
    csrci   sstatus, SSTATUS_SIE
3:  wfi
    j       3b

    /* in .data: the boot CPU clears .bss while others may read these */
    .section .data
    .balign 8
boot_lottery:
    .word   0
    .word   0
    .globl  pen_cpu
pen_cpu:
    .rept   AX_MAX_CPUS
    .dword  -1
    .endr

    .section .bss.stacks, "aw", @nobits
    .balign 16
    .globl  boot_stacks
boot_stacks:
    .space  BOOT_STACK_SIZE * AX_MAX_CPUS
