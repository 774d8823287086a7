/* x86_64 kit guest entry, 64-bit mode on the hypervisor's boot tables.
 *
 * _start (the first byte of the image, GUEST_BASE) is where the hypervisor
 * starts vCPU 0 (RDI = boot argument, ignored; RSP = 0). kit_secondary_start
 * is where a SIPI-started vCPU arrives through the jump the runtime put at
 * KIT_SIPI_PAGE. Both pick their stack by the local APIC id (CPUID 1
 * EBX[31:24], the vCPU index), set GS base to their per-vCPU data and load
 * the IDT. */
#define KIT_MAX_CPUS 8
#define STACK_SHIFT 14          /* 16 KiB per vCPU */
#define MSR_GS_BASE 0xC0000101
#define PM1A_CNT 0x604          /* the VM's ACPI PM1a control port: S5 */

/* rsp = top of this vCPU's stack, r12 = the vCPU index; a vCPU index the
 * kit cannot hold powers the VM off (no stack to print from). A macro, not
 * a call: RSP is 0 on entry. */
.macro CPU_SETUP
    mov     $1, %eax
    cpuid
    shr     $24, %ebx
    cmp     $KIT_MAX_CPUS, %ebx
    jae     bad_cpu
    lea     1(%rbx), %rax
    shl     $STACK_SHIFT, %rax
    lea     __kit_stacks_start(%rip), %rsp
    add     %rax, %rsp
    mov     %ebx, %r12d
.endm

    .section .text.boot, "ax"
    .globl  _start
_start:
    cli
    cld
    CPU_SETUP
    /* clear .bss: only vCPU 0 runs this, before any other vCPU starts */
    lea     __kit_bss_start(%rip), %rdi
    lea     __kit_bss_end(%rip), %rcx
    sub     %rdi, %rcx
    xor     %eax, %eax
    rep stosb
    call    percpu_setup
    call    kit_arch_idt_load
    call    kit_boot_primary
    jmp     park

    .globl  kit_secondary_start
kit_secondary_start:
    cli
    cld
    CPU_SETUP
    call    percpu_setup
    call    kit_arch_idt_load
    call    kit_arch_secondary
    jmp     park

/* GS base = &kit_percpu[id]; its first word is the index, the second the APIC id. */
percpu_setup:
    lea     kit_percpu(%rip), %rax
    mov     %r12d, %ecx
    shl     $3, %ecx
    add     %rcx, %rax
    mov     %r12d, 0(%rax)
    mov     %r12d, 4(%rax)
    mov     %rax, %rdx
    shr     $32, %rdx
    mov     $MSR_GS_BASE, %ecx
    wrmsr
    ret

bad_cpu:
    mov     $PM1A_CNT, %dx
    mov     $0x2000, %ax
    outw    %ax, %dx
park:
    cli
    hlt
    jmp     park

/* ---- exception entry ----
 * One 16-byte stub per vector 0..255 pushes an error code (0 where the CPU
 * pushes none) and the vector, then kit_trap_common saves the GPRs as a
 * struct kit_frame and calls kit_arch_exception(frame). */
#define HAS_ERR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

    .section .text
    .balign 16
    .globl  kit_trap_stubs
kit_trap_stubs:
    .set    vec, 0
    .rept   256
    .balign 16
    .if     !HAS_ERR(vec)
    pushq   $0
    .endif
    pushq   $vec
    jmp     kit_trap_common
    .set    vec, vec + 1
    .endr

kit_trap_common:
    push    %rax
    push    %rbx
    push    %rcx
    push    %rdx
    push    %rsi
    push    %rdi
    push    %rbp
    push    %r8
    push    %r9
    push    %r10
    push    %r11
    push    %r12
    push    %r13
    push    %r14
    push    %r15
    cld
    mov     %rsp, %rdi
    call    kit_arch_exception
    pop     %r15
    pop     %r14
    pop     %r13
    pop     %r12
    pop     %r11
    pop     %r10
    pop     %r9
    pop     %r8
    pop     %rbp
    pop     %rdi
    pop     %rsi
    pop     %rdx
    pop     %rcx
    pop     %rbx
    pop     %rax
    add     $16, %rsp
    iretq

    .section .bss
    .balign 64
    .globl  kit_percpu
kit_percpu:
    .space  8 * KIT_MAX_CPUS
