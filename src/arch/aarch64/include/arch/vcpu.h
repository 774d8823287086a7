/* aarch64 vCPU state. GPRs and PC/PSTATE are saved on every exit (guest.S);
 * EL1 system registers and FP/SIMD only when the vCPU's task is switched out
 * (vcpu_arch_put), since the hypervisor itself never touches them. */
#ifndef ARCH_VCPU_H
#define ARCH_VCPU_H

#include <stdbool.h>
#include <stdint.h>

struct guest_regs {
    uint64_t x[31];
    uint64_t pc;      /* ELR_EL2 */
    uint64_t pstate;  /* SPSR_EL2 */
};

struct el1_sysregs {
    uint64_t sctlr, actlr, cpacr, ttbr0, ttbr1, tcr, mair, amair, vbar, contextidr;
    uint64_t sp_el0, sp_el1, elr, spsr, esr, far, afsr0, afsr1, par;
    uint64_t tpidr_el0, tpidrro_el0, tpidr_el1, cntkctl, csselr, mdscr;
    uint64_t cntv_ctl, cntv_cval;
};

struct fp_state {
    __uint128_t v[32];
    uint64_t fpsr, fpcr;
};

struct vcpu_arch {
    struct guest_regs regs;
    struct el1_sysregs sys;
    struct fp_state fp __attribute__((aligned(16)));
    uint64_t hcr;
    uint64_t vmpidr;
    bool loaded;             /* EL1/FP state is live on loaded_cpu */
    unsigned loaded_cpu;
    /* exit decoding scratch */
    uint64_t esr, far, hpfar;
    unsigned fault_streak;   /* consecutive injected aborts at the same PC */
    bool vtimer_hv_masked;   /* the hypervisor set CNTV_CTL.IMASK when the timer fired */
    uint64_t last_fault_pc;
};

#endif
