/* aarch64 entry at EL2 (QEMU virt, virtualization=on).
 *
 * The image starts with an arm64 Linux Image header so QEMU loads it at
 * RAM base + text_offset and passes the DTB address in x0. Before any C runs
 * we turn the MMU on with a tiny static identity map (first GiB device, the
 * next three GiB normal cacheable), so C code never runs with the MMU off:
 * with the MMU off all data accesses are Device memory and an unaligned
 * access (which the compiler may emit) would fault. mmu.c later replaces
 * the map with one built from the DTB. */
#include "asm.h"

    .section .text.head, "ax"
    .globl _start
_start:
    b       primary_entry           /* code0 */
    .long   0                       /* code1 */
    .quad   0x200000                /* text_offset: load at RAM base + 2 MiB */
    .quad   _image_size             /* image_size, from the linker script */
    .quad   0x2                     /* flags: little endian, 4 KiB pages, 2 MiB-aligned base */
    .quad   0, 0, 0                 /* res2-res4 */
    .ascii  "ARM\x64"               /* magic */
    .long   0                       /* res5 */

primary_entry:
    mov     x19, x0                 /* DTB physical address */
    mrs     x1, CurrentEL
    cmp     x1, #(2 << 2)
    b.ne    not_el2

    /* clear .bss (the early page tables live in .data, not .bss) */
    adrp    x1, __bss_start
    add     x1, x1, :lo12:__bss_start
    adrp    x2, __bss_end
    add     x2, x2, :lo12:__bss_end
1:  cmp     x1, x2
    b.hs    2f
    str     xzr, [x1], #8
    b       1b
2:
    mov     x20, #0                 /* logical CPU 0 */
    bl      el2_early_setup
    mov     x0, x19
    bl      aarch64_primary_main
    b       cpu_park

/* PSCI CPU_ON lands here with x0 = context id = logical CPU number. */
    .globl  secondary_entry
secondary_entry:
    mov     x20, x0
    bl      el2_early_setup
    mov     x0, x20
    bl      aarch64_secondary_main
    b       cpu_park

/* x20 = logical CPU. Sets the boot stack, vectors and the early MMU. */
el2_early_setup:
    /* known SCTLR_EL2 with the MMU and caches off */
    ldr     x1, =SCTLR_EL2_RES1
    msr     sctlr_el2, x1
    isb
    adrp    x1, boot_stacks
    add     x1, x1, :lo12:boot_stacks
    mov     x2, #BOOT_STACK_SIZE
    madd    x1, x20, x2, x1
    add     sp, x1, x2
    adrp    x1, el2_vectors
    add     x1, x1, :lo12:el2_vectors
    msr     vbar_el2, x1

    /* route physical IRQ/FIQ/SError to EL2 (with IMO=0 they would target
     * EL1 and stay masked while we run at EL2); lower EL is AArch64 */
    ldr     x1, =HCR_EL2_HOST
    msr     hcr_el2, x1
    isb

    ldr     x1, =MAIR_EL2_VALUE
    msr     mair_el2, x1
    mrs     x1, id_aa64mmfr0_el1
    and     x1, x1, #0x7            /* PARange -> TCR_EL2.PS */
    cmp     x1, #5
    mov     x2, #5
    csel    x1, x1, x2, ls          /* cap at 48 bits: our tables are 4-level */
    lsl     x1, x1, #16
    ldr     x2, =TCR_EL2_BASE
    orr     x1, x1, x2
    msr     tcr_el2, x1
    adrp    x1, early_pt_l0
    add     x1, x1, :lo12:early_pt_l0
    msr     ttbr0_el2, x1
    isb
    tlbi    alle2
    dsb     nsh
    isb
    ldr     x1, =(SCTLR_EL2_RES1 | SCTLR_M | SCTLR_C | SCTLR_I)
    msr     sctlr_el2, x1
    isb
    ret

not_el2:
    /* Nothing to report through yet; the C side cannot run without EL2.
     * Park so a debugger shows where we are. */
cpu_park:
    msr     daifset, #0xf
3:  wfi
    b       3b

    .section .data.early_pt, "aw"
    .balign 4096
early_pt_l0:
    .quad   early_pt_l1 + 3         /* table descriptor */
    .fill   511, 8, 0
early_pt_l1:
    /* 1 GiB blocks: [0,1G) device nGnRE XN, [1G,4G) normal WB inner-shareable */
    .quad   0x0040000000000401
    .quad   0x0000000040000705
    .quad   0x0000000080000705
    .quad   0x00000000c0000705
    .fill   508, 8, 0

    .section .bss.stacks, "aw", %nobits
    .balign 16
    .globl  boot_stacks
boot_stacks:
    .space  BOOT_STACK_SIZE * AX_MAX_CPUS
