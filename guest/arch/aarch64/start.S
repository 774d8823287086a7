/* aarch64 kit guest entry at EL1, MMU off.
 *
 * _start (the first byte of the image, GUEST_BASE) is where the hypervisor
 * starts vCPU 0; x0..x3 are ignored. kit_secondary_start is the entry point
 * the runtime hands to PSCI CPU_ON, with the context id in x0. Both pick
 * their stack by MPIDR_EL1.Aff0 (the vCPU index), so a CPU never runs on
 * another's stack whatever order they come up in. */

#define KIT_MAX_CPUS 8
#define STACK_SHIFT 14          /* 16 KiB per vCPU */
#define FRAME_SIZE (38 * 8)     /* struct kit_frame in rt.c */
#define FRAME_STAMP (16 * 18)   /* its stamp slot */

/* SCTLR_EL1: the ARMv8.0 RES1 bits (29, 28, 23, 22, 20, 11) and I (12);
 * M, C, A, EE, WXN all 0: MMU off, little endian, no alignment checks
 * beyond the ones Device memory makes anyway. */
#define SCTLR_EL1_KIT 0x30d01800

#define PSCI_SYSTEM_OFF 0x84000008

    .section .text.boot, "ax"
    .globl  _start
_start:
    msr     daifset, #0xf
    bl      el1_setup
    bl      set_stack

    /* clear .bss: only vCPU 0 runs this, before any other vCPU starts */
    adrp    x1, __kit_bss_start
    add     x1, x1, :lo12:__kit_bss_start
    adrp    x2, __kit_bss_end
    add     x2, x2, :lo12:__kit_bss_end
1:  cmp     x1, x2
    b.hs    2f
    stp     xzr, xzr, [x1], #16     /* the linker script 16-aligns both ends */
    b       1b
2:
    bl      kit_boot_primary
    b       park

    .globl  kit_secondary_start
kit_secondary_start:
    msr     daifset, #0xf
    mov     x19, x0                 /* PSCI context id */
    bl      el1_setup
    bl      set_stack
    mov     x0, x19
    bl      kit_boot_secondary
    b       park

/* Known system state: this vCPU's SCTLR_EL1, SP_EL1 in use, our vectors. */
el1_setup:
    movz    x9, #(SCTLR_EL1_KIT & 0xffff)
    movk    x9, #(SCTLR_EL1_KIT >> 16), lsl #16
    msr     sctlr_el1, x9
    msr     spsel, #1
    adrp    x9, kit_vectors
    add     x9, x9, :lo12:kit_vectors
    msr     vbar_el1, x9
    isb
    ret

/* sp = top of this vCPU's stack; a vCPU index the kit cannot hold stops
 * the VM (there is no stack to print from). */
set_stack:
    mrs     x9, mpidr_el1
    and     x9, x9, #0xff
    cmp     x9, #KIT_MAX_CPUS
    b.hs    bad_cpu
    add     x9, x9, #1
    adrp    x10, __kit_stacks_start
    add     x10, x10, :lo12:__kit_stacks_start
    add     x10, x10, x9, lsl #STACK_SHIFT
    mov     sp, x10
    ret

bad_cpu:
    movz    x0, #(PSCI_SYSTEM_OFF & 0xffff)
    movk    x0, #(PSCI_SYSTEM_OFF >> 16), lsl #16
    hvc     #0
park:
    wfi
    b       park

/* ---- exception vectors ----
 * Each entry pushes a struct kit_frame (x0..x30, sp, elr, spsr, esr, far,
 * and for IRQs the counter at entry) and calls kit_arch_exception(frame,
 * vector index); the C side may change frame->elr to skip the faulting
 * instruction. */

.macro VECTOR kind
    .balign 0x80
    sub     sp, sp, #FRAME_SIZE
    stp     x0, x1, [sp, #16 * 0]
    mov     x0, #\kind
    b       vector_common
.endm

/* An interrupt vector reads the counter as early as it can, for the
 * interrupt latency benchmarks (kit_irq_entry_ns). */
.macro VECTOR_IRQ kind
    .balign 0x80
    sub     sp, sp, #FRAME_SIZE
    stp     x0, x1, [sp, #16 * 0]
    mrs     x1, cntvct_el0
    str     x1, [sp, #FRAME_STAMP]
    mov     x0, #\kind
    b       vector_common
.endm

    .section .text.vectors, "ax"
    .balign 0x800
    .globl  kit_vectors
kit_vectors:
    VECTOR 0    /* current EL, SP_EL0: sync */
    VECTOR 1    /* irq */
    VECTOR 2    /* fiq */
    VECTOR 3    /* serror */
    VECTOR 4    /* current EL, SP_ELx: sync */
    VECTOR_IRQ 5
    VECTOR 6
    VECTOR 7
    VECTOR 8    /* lower EL, AArch64 (never: the kit has no EL0) */
    VECTOR 9
    VECTOR 10
    VECTOR 11
    VECTOR 12   /* lower EL, AArch32 */
    VECTOR 13
    VECTOR 14
    VECTOR 15

vector_common:
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
    add     x1, sp, #FRAME_SIZE     /* sp before the exception */
    stp     x30, x1, [sp, #16 * 15]
    mrs     x2, elr_el1
    mrs     x3, spsr_el1
    stp     x2, x3, [sp, #16 * 16]
    mrs     x2, esr_el1
    mrs     x3, far_el1
    stp     x2, x3, [sp, #16 * 17]

    mov     x1, x0
    mov     x0, sp
    bl      kit_arch_exception

    ldp     x2, x3, [sp, #16 * 16]
    msr     elr_el1, x2
    msr     spsr_el1, x3
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
    ldr     x30, [sp, #16 * 15]
    add     sp, sp, #FRAME_SIZE
    eret
