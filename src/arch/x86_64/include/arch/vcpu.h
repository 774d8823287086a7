/* x86_64 vCPU state, shared by every x86 virtualisation backend (the SVM
 * one in svm.c; a VMX one would keep its VMCS beside the same fields).
 * RAX, RSP, RIP, RFLAGS and the system registers live in the backend's
 * control block (VMCB); the other GPRs are saved by the entry code on every
 * exit (svm_entry.S) in struct x86_gprs. */
#ifndef ARCH_VCPU_H
#define ARCH_VCPU_H

#include <stdbool.h>
#include <stdint.h>

#include "ax/x86_decode.h"

/* Register numbers are the x86 encoding (ModRM reg / REX.R): 0 rax, 1 rcx,
 * 2 rdx, 3 rbx, 4 rsp, 5 rbp, 6 rsi, 7 rdi, 8..15 r8..r15. */
struct x86_gprs {
    uint64_t r[16]; /* r[0] (rax) and r[4] (rsp) are copies; the VMCB holds the real ones */
};

struct vlapic;

struct vcpu_arch {
    struct x86_gprs gprs;
    void *vmcb;               /* backend control block (one page) */
    uint64_t vmcb_pa;
    unsigned asid;
    unsigned last_cpu;        /* pCPU it last ran on (ASID/TLB bookkeeping) */
    bool flush_tlb;           /* flush this vCPU's ASID at the next entry */
    uint64_t next_rip;        /* RIP after the instruction that exited */
    struct x86_insn pending;  /* the MMIO load / IN whose result the run loop completes */
    /* exit decoding scratch */
    uint64_t exit_code, exit_info1, exit_info2, exit_int_info;
    unsigned fault_streak;    /* consecutive injected faults at the same RIP */
    uint64_t last_fault_rip;
    uint64_t fault_cr2;       /* linear address of the last decoded access, ~0 if unknown */
    struct vlapic *lapic;
    uint64_t msr_logs;
};

#endif
