/* riscv64 kit guest entry in VS-mode, translation off.
 *
 * _start (the first byte of the image) is where the hypervisor starts
 * vCPU 0 with a0 = hart id, a1 = DTB or 0. kit_secondary_start is what
 * the runtime hands to SBI HSM hart_start: a0 = hart id, a1 = opaque (the
 * kit's context). Both pick their stack by hart id, which they also keep
 * in tp (kit_cpu_id). */

#define KIT_MAX_CPUS 8
#define STACK_SHIFT 14          /* 16 KiB per vCPU */
#define FRAME_SIZE (36 * 8)     /* struct kit_frame in rt.c */
#define SBI_EXT_SRST 0x53525354

    .section .text.boot, "ax"
    .globl  _start
_start:
    csrw    sie, zero
    csrci   sstatus, 2
    call    set_stack_tp
    la      t0, __kit_bss_start
    la      t1, __kit_bss_end
1:  bgeu    t0, t1, 2f
    sd      zero, 0(t0)
    sd      zero, 8(t0)
    addi    t0, t0, 16              /* the linker script 16-aligns both ends */
    j       1b
2:
    call    kit_boot_primary
    j       park

    .globl  kit_secondary_start
kit_secondary_start:
    csrw    sie, zero
    csrci   sstatus, 2
    mv      s1, a1
    call    set_stack_tp
    mv      a0, s1
    call    kit_boot_secondary
    j       park

/* a0 = hart id: tp, sp and the trap vector; a hart id the kit cannot hold
 * stops the VM (there is no stack to print from). */
set_stack_tp:
    li      t0, KIT_MAX_CPUS
    bgeu    a0, t0, bad_cpu
    mv      tp, a0
    addi    t0, a0, 1
    slli    t0, t0, STACK_SHIFT
    la      sp, __kit_stacks_start
    add     sp, sp, t0
    la      t0, kit_trap_entry
    csrw    stvec, t0
    ret

bad_cpu:
    li      a7, SBI_EXT_SRST
    li      a6, 0
    li      a0, 0
    li      a1, 0
    ecall
park:
    wfi
    j       park

/* ---- traps ----
 * Pushes a struct kit_frame (x1..x31 in slots 1..31, sepc, sstatus,
 * scause, stval) and calls kit_arch_exception(frame); the C side may
 * change frame->sepc to skip the faulting instruction. */
    .balign 4
    .globl  kit_trap_entry
kit_trap_entry:
    addi    sp, sp, -FRAME_SIZE
    sd      x1, 8(sp)
    sd      x3, 24(sp)
    sd      x4, 32(sp)
    sd      x5, 40(sp)
    sd      x6, 48(sp)
    sd      x7, 56(sp)
    sd      x8, 64(sp)
    sd      x9, 72(sp)
    sd      x10, 80(sp)
    sd      x11, 88(sp)
    sd      x12, 96(sp)
    sd      x13, 104(sp)
    sd      x14, 112(sp)
    sd      x15, 120(sp)
    sd      x16, 128(sp)
    sd      x17, 136(sp)
    sd      x18, 144(sp)
    sd      x19, 152(sp)
    sd      x20, 160(sp)
    sd      x21, 168(sp)
    sd      x22, 176(sp)
    sd      x23, 184(sp)
    sd      x24, 192(sp)
    sd      x25, 200(sp)
    sd      x26, 208(sp)
    sd      x27, 216(sp)
    sd      x28, 224(sp)
    sd      x29, 232(sp)
    sd      x30, 240(sp)
    sd      x31, 248(sp)
    addi    t0, sp, FRAME_SIZE
    sd      t0, 16(sp)
    csrr    t0, sepc
    sd      t0, 256(sp)
    csrr    t0, sstatus
    sd      t0, 264(sp)
    csrr    t0, scause
    sd      t0, 272(sp)
    csrr    t0, stval
    sd      t0, 280(sp)
    mv      a0, sp
    call    kit_arch_exception
    ld      t0, 256(sp)
    csrw    sepc, t0
    ld      x1, 8(sp)
    ld      x3, 24(sp)
    ld      x4, 32(sp)
    ld      x5, 40(sp)
    ld      x6, 48(sp)
    ld      x7, 56(sp)
    ld      x8, 64(sp)
    ld      x9, 72(sp)
    ld      x10, 80(sp)
    ld      x11, 88(sp)
    ld      x12, 96(sp)
    ld      x13, 104(sp)
    ld      x14, 112(sp)
    ld      x15, 120(sp)
    ld      x16, 128(sp)
    ld      x17, 136(sp)
    ld      x18, 144(sp)
    ld      x19, 152(sp)
    ld      x20, 160(sp)
    ld      x21, 168(sp)
    ld      x22, 176(sp)
    ld      x23, 184(sp)
    ld      x24, 192(sp)
    ld      x25, 200(sp)
    ld      x26, 208(sp)
    ld      x27, 216(sp)
    ld      x28, 224(sp)
    ld      x29, 232(sp)
    ld      x30, 240(sp)
    ld      x31, 248(sp)
    addi    sp, sp, FRAME_SIZE
    sret
