/* riscv64 vCPU state (H extension, guest in VS/VU-mode).
 *
 * GPRs, pc (sepc), and the HS sstatus / hstatus the guest runs with are
 * saved on every exit (trap.S). The VS-mode CSRs (vsstatus ... vstimecmp,
 * hvip) are only switched when the vCPU's task is switched out
 * (vcpu_arch_put), since the hypervisor itself never touches them. */
#ifndef ARCH_VCPU_H
#define ARCH_VCPU_H

#include <stdbool.h>
#include <stdint.h>

struct guest_regs {
    uint64_t x[32];   /* x[0] unused */
    uint64_t pc;      /* sepc */
    uint64_t sstatus; /* SPP: the guest's privilege (1 = VS, 0 = VU) */
    uint64_t hstatus; /* SPV = 1, SPVP, VTW ... */
};

struct vs_csrs {
    uint64_t vsstatus, vsie, vstvec, vsscratch, vsepc, vscause, vstval, vsatp;
    uint64_t hvip, vstimecmp;
};

struct vcpu_arch {
    struct guest_regs regs;
    struct vs_csrs vs;
    uint64_t hgatp;
    bool loaded;               /* VS state is live on loaded_cpu */
    unsigned loaded_cpu;
    /* set by other vCPUs (SBI IPI / RFENCE), applied before entry */
    uint32_t pending_vssip;
    uint32_t pending_vvma_flush;
    uint32_t pending_vseip;    /* level of its vPLIC context's output */
    uint64_t wfi_vsie;         /* the guest's vsie when it last halted */
    /* SBI TIME deadline in ticks when there is no Sstc (~0 = none) */
    uint64_t timer_ticks;
    /* exit decoding scratch */
    uint64_t scause, stval, htval, htinst;
    unsigned insn_len;         /* of the trapped load/store, for advance_pc */
    unsigned fault_streak;     /* consecutive injected faults at the same PC */
    uint64_t last_fault_pc;
};

#endif
