/* x86_64 entry: multiboot (version 1) in 32-bit protected mode, then long
 * mode.
 *
 * QEMU's -kernel refuses 64-bit ELF files for multiboot, so the image it
 * boots is the raw binary (axvisor.bin) and the header uses the "a.out
 * kludge" (flag bit 16): load, end-of-data, end-of-bss and entry addresses
 * come from the header itself. Entry state: EAX = 0x2BADB002, EBX = the
 * multiboot information's physical address, flat 32-bit segments, paging
 * off, interrupts off, no stack.
 *
 * Before any C runs we identity-map the first 4 GiB with 2 MiB pages (PAE
 * tables in .bss), enable PAE, EFER.LME (and NXE when the CPU has it),
 * paging, and far-jump into 64-bit code with the hypervisor's GDT. mmu.c
 * later replaces this map by one built with the generic walker. */
#include "asm.h"

#define MB_MAGIC 0x1BADB002
#define MB_FLAGS ((1 << 1) | (1 << 16)) /* memory map wanted, a.out kludge */
#define MB_BOOT_MAGIC 0x2BADB002

    .section .text.head, "ax"
    .code32
    .globl  _start
_start:
    jmp     entry32

    .balign 4
mb_header:
    .long   MB_MAGIC
    .long   MB_FLAGS
    .long   -(MB_MAGIC + MB_FLAGS)
    .long   mb_header                   /* header_addr */
    .long   _start                      /* load_addr */
    .long   _edata                      /* load_end_addr */
    .long   _end                        /* bss_end_addr */
    .long   entry32                     /* entry_addr */

entry32:
    cli
    cld
    mov     %eax, %edi                  /* multiboot magic */
    mov     %ebx, %esi                  /* multiboot info */
    lgdt    boot_gdtr32
    mov     $SEL_DATA, %ax
    mov     %ax, %ds
    mov     %ax, %es
    mov     %ax, %ss
    mov     $(boot_stacks + BOOT_STACK_SIZE), %esp

    /* clear .bss (QEMU does, the spec says the loader must; be sure) */
    mov     %edi, %ebp
    mov     $__bss_start, %edi
    mov     $__bss_end, %ecx
    sub     %edi, %ecx
    xor     %eax, %eax
    rep stosb
    mov     %ebp, %edi

    call    build_early_tables
    call    enter_long_mode32
    ljmp    $SEL_CODE64, $entry64

/* PML4[0] -> PDPT; PDPT[0..3] -> four PDs of 512 2-MiB pages each. */
build_early_tables:
    mov     $early_pdpt, %eax
    or      $3, %eax
    mov     %eax, early_pml4
    mov     $early_pd, %eax
    or      $3, %eax
    xor     %ecx, %ecx
1:  mov     %eax, early_pdpt(, %ecx, 8)
    add     $4096, %eax
    inc     %ecx
    cmp     $4, %ecx
    jb      1b
    xor     %ecx, %ecx
    mov     $0x83, %eax                 /* P | RW | PS */
    xor     %edx, %edx
2:  mov     %eax, early_pd(, %ecx, 8)
    mov     %edx, early_pd + 4(, %ecx, 8)
    add     $0x200000, %eax
    adc     $0, %edx
    inc     %ecx
    cmp     $2048, %ecx
    jb      2b
    ret

/* Shared with the AP trampoline's 32-bit part: PAE, CR3, EFER, paging.
 * Preserves edi/esi. */
    .globl  enter_long_mode32
enter_long_mode32:
    mov     %cr4, %eax
    or      $CR4_PAE, %eax
    mov     %eax, %cr4
    mov     $early_pml4, %eax
    mov     %eax, %cr3
    push    %edi
    push    %esi
    /* NX when CPUID 8000_0001 EDX bit 20 says so */
    mov     $0x80000000, %eax
    cpuid
    xor     %ebx, %ebx
    cmp     $0x80000001, %eax
    jb      3f
    mov     $0x80000001, %eax
    cpuid
    bt      $20, %edx
    jnc     3f
    mov     $EFER_NXE, %ebx
3:  mov     $MSR_EFER, %ecx
    rdmsr
    or      $EFER_LME, %eax
    or      %ebx, %eax
    wrmsr
    pop     %esi
    pop     %edi
    mov     %cr0, %eax
    or      $(CR0_PG | CR0_PE | CR0_WP | CR0_NE), %eax
    mov     %eax, %cr0
    ret

    .code64
entry64:
    mov     $SEL_DATA, %ax
    mov     %ax, %ds
    mov     %ax, %es
    mov     %ax, %ss
    xor     %eax, %eax
    mov     %ax, %fs
    mov     %ax, %gs
    mov     $(boot_stacks + BOOT_STACK_SIZE), %rsp
    mov     %edi, %edi                  /* zero-extend magic and info */
    mov     %esi, %esi
    call    x86_primary_main
    jmp     cpu_park

/* Secondary CPUs arrive here from the trampoline in 64-bit mode, on the
 * early tables, with ap_stack_top and ap_cpu set by the CPU starting them. */
    .globl  ap_entry64
ap_entry64:
    mov     $SEL_DATA, %ax
    mov     %ax, %ds
    mov     %ax, %es
    mov     %ax, %ss
    xor     %eax, %eax
    mov     %ax, %fs
    mov     %ax, %gs
    mov     ap_stack_top(%rip), %rsp
    mov     ap_cpu(%rip), %edi
    call    x86_secondary_main
cpu_park:
    cli
4:  hlt
    jmp     4b

/* ---- the AP trampoline: copied to AP_TRAMPOLINE, entered by SIPI ----
 * Real mode with CS = AP_TRAMPOLINE >> 4, IP = 0. Addresses inside it are
 * computed as AP_TRAMPOLINE + offset, since it runs away from its link
 * address. */
#define TRAMP(sym) (AP_TRAMPOLINE + ((sym) - ap_trampoline))

    .section .rodata
    .balign 16
    .globl  ap_trampoline, ap_trampoline_end
    .code16
ap_trampoline:
    cli
    cld
    xor     %ax, %ax
    mov     %ax, %ds
    lgdtl   TRAMP(tramp_gdtr)
    mov     %cr0, %eax
    or      $CR0_PE, %eax
    mov     %eax, %cr0
    ljmpl   $SEL_CODE32, $TRAMP(tramp32)

    .code32
tramp32:
    mov     $SEL_DATA, %ax
    mov     %ax, %ds
    mov     %ax, %es
    mov     %ax, %ss
    mov     $(TRAMP(tramp_stack_top)), %esp
    mov     $enter_long_mode32, %eax    /* absolute: this code runs away from its link address */
    call    *%eax
    ljmp    $SEL_CODE64, $ap_entry64

    .balign 8
tramp_gdtr:
    .word   boot_gdt_end - boot_gdt - 1
    .long   boot_gdt
    .balign 16
    .space  64                          /* a few words for the call above */
tramp_stack_top:
ap_trampoline_end:

    .code64

/* ---- the boot GDT (also the running one until gdt.c adds the TSSs) ---- */
    .section .data
    .balign 16
    .globl  boot_gdt
boot_gdt:
    .quad   0                           /* null */
    .quad   0x00af9a000000ffff          /* 0x08: 64-bit code, DPL 0 */
    .quad   0x00cf92000000ffff          /* 0x10: data, flat */
    .quad   0x00cf9a000000ffff          /* 0x18: 32-bit code, flat */
    .quad   0                           /* 0x20: unused */
boot_gdt_end:
boot_gdtr32:
    .word   boot_gdt_end - boot_gdt - 1
    .long   boot_gdt

    .globl  ap_stack_top, ap_cpu
    .balign 8
ap_stack_top:
    .quad   0
ap_cpu:
    .long   0

    .section .bss
    .balign 4096
    .globl  early_pml4
early_pml4:
    .space  4096
early_pdpt:
    .space  4096
early_pd:
    .space  4096 * 4
    .balign 16
    .globl  boot_stacks
boot_stacks:
    .space  BOOT_STACK_SIZE * AX_MAX_CPUS
