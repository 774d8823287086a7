/* The SVM world switch.
 *
 * void svm_enter(uint64_t vmcb_pa, struct x86_gprs *gprs, uint64_t host_vmcb_pa)
 *   Called with interrupts disabled. Clears GIF, then sets IF so that a
 *   physical interrupt arriving while the guest runs causes an INTR #VMEXIT
 *   (V_INTR_MASKING: the host's IF at VMRUN decides), loads the guest GPRs
 *   the VMCB does not hold (all but RAX and RSP), VMLOADs the guest's
 *   FS/GS/TR/LDTR/syscall state, VMRUNs, and on #VMEXIT does the reverse:
 *   VMSAVE the guest state, store its GPRs, VMLOAD the host's
 *   (host_vmcb_pa, filled by VMSAVE at boot: GS base = per-CPU data, TR),
 *   clear IF, set GIF. A pending host interrupt is then taken when the
 *   caller enables interrupts. */
#define G(n) (8 * (n))

    .section .text
    .globl  svm_enter
svm_enter:
    push    %rbx
    push    %rbp
    push    %r12
    push    %r13
    push    %r14
    push    %r15
    push    %rdx                        /* 16(%rsp): host_vmcb_pa */
    push    %rsi                        /* 8(%rsp): gprs */
    push    %rdi                        /* 0(%rsp): vmcb_pa */

    clgi
    sti
    mov     %rsi, %rax
    mov     G(1)(%rax), %rcx
    mov     G(2)(%rax), %rdx
    mov     G(3)(%rax), %rbx
    mov     G(5)(%rax), %rbp
    mov     G(6)(%rax), %rsi
    mov     G(7)(%rax), %rdi
    mov     G(8)(%rax), %r8
    mov     G(9)(%rax), %r9
    mov     G(10)(%rax), %r10
    mov     G(11)(%rax), %r11
    mov     G(12)(%rax), %r12
    mov     G(13)(%rax), %r13
    mov     G(14)(%rax), %r14
    mov     G(15)(%rax), %r15
    mov     0(%rsp), %rax
    vmload  %rax
    vmrun   %rax
    vmsave  %rax                        /* rax is the host's again: vmcb_pa */

    mov     8(%rsp), %rax
    mov     %rcx, G(1)(%rax)
    mov     %rdx, G(2)(%rax)
    mov     %rbx, G(3)(%rax)
    mov     %rbp, G(5)(%rax)
    mov     %rsi, G(6)(%rax)
    mov     %rdi, G(7)(%rax)
    mov     %r8, G(8)(%rax)
    mov     %r9, G(9)(%rax)
    mov     %r10, G(10)(%rax)
    mov     %r11, G(11)(%rax)
    mov     %r12, G(12)(%rax)
    mov     %r13, G(13)(%rax)
    mov     %r14, G(14)(%rax)
    mov     %r15, G(15)(%rax)
    mov     16(%rsp), %rax
    vmload  %rax
    cli
    stgi

    add     $24, %rsp
    pop     %r15
    pop     %r14
    pop     %r13
    pop     %r12
    pop     %rbp
    pop     %rbx
    ret

/* void svm_vmsave(uint64_t pa): the host's FS/GS/TR/... into pa (boot). */
    .globl  svm_vmsave
svm_vmsave:
    mov     %rdi, %rax
    vmsave  %rax
    ret
