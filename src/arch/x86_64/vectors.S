/* Interrupt and exception entry, and the task context switch.
 *
 * Every IDT vector has a stub that pushes an error code (0 when the CPU
 * pushes none) and the vector number, then jumps to intr_common, which
 * saves all GPRs into a struct trap_frame on the current stack and calls
 * x86_trap(frame). The hypervisor runs in ring 0 only, so no stack switch
 * or swapgs happens except for the IST vectors (#DF, NMI, #MC). */
#include "asm.h"

/* vectors that push an error code: 8, 10-14, 17, 21, 29, 30 */
#define HAS_ERR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

    .section .text
    .balign 16
    .globl  intr_stubs
intr_stubs:
    .set    vec, 0
    .rept   256
    .balign 16
    .if     !HAS_ERR(vec)
    pushq   $0
    .endif
    pushq   $vec
    jmp     intr_common
    .set    vec, vec + 1
    .endr

intr_common:
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
    call    x86_trap
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
    add     $16, %rsp                   /* vector, error code */
    iretq

/* void arch_context_switch(struct arch_context *prev, struct arch_context *next) */
    .globl  arch_context_switch
arch_context_switch:
    mov     %rbx, 0(%rdi)
    mov     %rbp, 8(%rdi)
    mov     %r12, 16(%rdi)
    mov     %r13, 24(%rdi)
    mov     %r14, 32(%rdi)
    mov     %r15, 40(%rdi)
    lea     8(%rsp), %rax               /* the caller's rsp after our ret */
    mov     %rax, 48(%rdi)
    mov     (%rsp), %rax                /* our return address */
    mov     %rax, 56(%rdi)
    mov     0(%rsi), %rbx
    mov     8(%rsi), %rbp
    mov     16(%rsi), %r12
    mov     24(%rsi), %r13
    mov     32(%rsi), %r14
    mov     40(%rsi), %r15
    mov     48(%rsi), %rsp
    jmp     *56(%rsi)

/* First run of a new task: rbx = the task (task_entry_trampoline's arg). */
    .globl  arch_task_start
arch_task_start:
    mov     %rbx, %rdi
    call    task_entry_trampoline
    ud2
