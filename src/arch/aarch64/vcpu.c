/* aarch64 vCPU backend: EL1 guests under EL2 with stage-2 translation.
 *
 * Exits handled here without reaching the common loop: host interrupts
 * (taken at EL2 as soon as interrupts are unmasked), WFE (a yield), PSCI
 * queries that need no other vCPU (VERSION, FEATURES, MIGRATE_INFO_TYPE),
 * SMC from the guest that is not PSCI. Everything else becomes an
 * arch-neutral struct vcpu_exit. */
#include "ax/axhal.h"
#include "ax/axvcpu_arch.h"
#include "ax/log.h"
#include "ax/pte_aarch64.h"
#include "ax/string.h"
#include "ax/vm.h"
#include "platform.h"
#include "sysreg.h"
#include "vgic.h"

uint64_t guest_enter(struct guest_regs *regs);

#define HCR_VM (1ULL << 0)
#define HCR_SWIO (1ULL << 1)
#define HCR_FMO (1ULL << 3)
#define HCR_IMO (1ULL << 4)
#define HCR_AMO (1ULL << 5)
#define HCR_FB (1ULL << 9)
#define HCR_BSU_IS (1ULL << 10)
#define HCR_TWI (1ULL << 13)
#define HCR_TWE (1ULL << 14)
#define HCR_TSC (1ULL << 19)
#define HCR_RW (1ULL << 31)
/* Stage 2 on, physical interrupts to EL2, guest TLB/cache maintenance
 * broadcast (vCPUs move between pCPUs), WFI/WFE and SMC trapped. */
#define HCR_GUEST (HCR_VM | HCR_SWIO | HCR_FMO | HCR_IMO | HCR_AMO | HCR_FB | HCR_BSU_IS | HCR_TWI | \
                   HCR_TWE | HCR_TSC | HCR_RW)

#define VTCR_T0SZ(x) ((uint64_t)(x))
#define VTCR_SL0(x) ((uint64_t)(x) << 6)
#define VTCR_WBWA_IS ((1ULL << 8) | (1ULL << 10) | (3ULL << 12))
/* PS: the CPU's whole physical range. A walk that starts at level 0 (our
 * 40-bit IPA, 4 levels) needs PS > 42 bits, and guests may be given any
 * host address by passthrough. Capped at 48 bits (no 52-bit tables). */
static uint64_t vtcr_ps(void)
{
    uint64_t pa_range = read_sysreg(id_aa64mmfr0_el1) & 0xf;
    return (pa_range > 5 ? 5 : pa_range) << 16;
}
#define VTCR_RES1 (1ULL << 31)
#define GUEST_IPA_BITS 40

#define PSTATE_EL1H_MASKED 0x3c5ULL
#define SCTLR_EL1_RESET 0x30d00800ULL

#define ESR_EC(esr) (((esr) >> 26) & 0x3f)
/* trapped system register keys: ISS without Rt and direction */
#define SYSREG_KEY(op0, op1, crn, crm, op2) \
    (((op0) << 20) | ((op2) << 17) | ((op1) << 14) | ((crn) << 10) | ((crm) << 1))
#define SYSREG_ICC_SGI1R SYSREG_KEY(3U, 0U, 12U, 11U, 5U)
#define SYSREG_ICC_ASGI1R SYSREG_KEY(3U, 0U, 12U, 11U, 6U)
#define SYSREG_ICC_SGI0R SYSREG_KEY(3U, 0U, 12U, 11U, 7U)
#define EC_WFX 0x01
#define EC_HVC64 0x16
#define EC_SMC64 0x17
#define EC_SYSREG 0x18
#define EC_IABT_LOW 0x20
#define EC_DABT_LOW 0x24

/* PSCI function ids (SMC32 and SMC64 forms) */
#define PSCI_VERSION 0x84000000U
#define PSCI_CPU_OFF 0x84000002U
#define PSCI_CPU_ON_32 0x84000003U
#define PSCI_CPU_ON_64 0xC4000003U
#define PSCI_AFFINITY_INFO_32 0x84000004U
#define PSCI_AFFINITY_INFO_64 0xC4000004U
#define PSCI_MIGRATE_INFO_TYPE 0x84000006U
#define PSCI_SYSTEM_OFF 0x84000008U
#define PSCI_SYSTEM_RESET 0x84000009U
#define PSCI_FEATURES 0x8400000AU
#define PSCI_RET_SUCCESS 0
#define PSCI_RET_NOT_SUPPORTED (-1)
#define PSCI_RET_INVALID (-2)
#define PSCI_RET_ALREADY_ON (-4)

/* ---- per VM ---- */

const struct pt_format *vm_arch_npt_format(unsigned *va_bits)
{
    *va_bits = GUEST_IPA_BITS;
    return &pte_aarch64_s2;
}

int vm_arch_init(struct vm *vm)
{
    vm->arch.vttbr = ((uint64_t)vm->vmid << 48) | vm->as.pt.root;
    return 0;
}

int vm_arch_add_device(struct vm *vm, const struct vm_emu_device *d, char *err, size_t errlen)
{
    struct emu_dev *dev;
    switch (d->type) {
    case EMU_CONSOLE:
        dev = vpl011_create(d->gpa, d->size, d->irq, err, errlen);
        break;
    case EMU_INTC:
        return vgic_create(vm, d, err, errlen);
    default:
        return -AX_ENOENT;
    }
    if (!dev)
        return -AX_EINVAL;
    return vm_add_emu_dev(vm, dev, d->type, err, errlen);
}

int vm_arch_passthrough_irq(struct vm *vm, uint32_t irq, char *err, size_t errlen)
{
    return vgic_bind_host_irq(vm, irq, err, errlen);
}

void vm_arch_destroy(struct vm *vm)
{
    /* Drop every TLB entry tagged with this VMID on all CPUs before the
     * VMID or the table pages are reused. */
    unsigned long f = arch_irq_save();
    uint64_t saved = read_sysreg(vttbr_el2);
    write_sysreg(vttbr_el2, vm->arch.vttbr);
    isb();
    __asm__ volatile("tlbi vmalls12e1is" ::: "memory");
    dsb(ish);
    write_sysreg(vttbr_el2, saved);
    isb();
    arch_irq_restore(f);
}

/* ---- lazily switched state ---- */

static void sysregs_save(struct el1_sysregs *s)
{
    s->sctlr = read_sysreg(sctlr_el1);
    s->actlr = read_sysreg(actlr_el1);
    s->cpacr = read_sysreg(cpacr_el1);
    s->ttbr0 = read_sysreg(ttbr0_el1);
    s->ttbr1 = read_sysreg(ttbr1_el1);
    s->tcr = read_sysreg(tcr_el1);
    s->mair = read_sysreg(mair_el1);
    s->amair = read_sysreg(amair_el1);
    s->vbar = read_sysreg(vbar_el1);
    s->contextidr = read_sysreg(contextidr_el1);
    s->sp_el0 = read_sysreg(sp_el0);
    s->sp_el1 = read_sysreg(sp_el1);
    s->elr = read_sysreg(elr_el1);
    s->spsr = read_sysreg(spsr_el1);
    s->esr = read_sysreg(esr_el1);
    s->far = read_sysreg(far_el1);
    s->afsr0 = read_sysreg(afsr0_el1);
    s->afsr1 = read_sysreg(afsr1_el1);
    s->par = read_sysreg(par_el1);
    s->tpidr_el0 = read_sysreg(tpidr_el0);
    s->tpidrro_el0 = read_sysreg(tpidrro_el0);
    s->tpidr_el1 = read_sysreg(tpidr_el1);
    s->cntkctl = read_sysreg(cntkctl_el1);
    s->csselr = read_sysreg(csselr_el1);
    s->mdscr = read_sysreg(mdscr_el1);
    s->cntv_ctl = read_sysreg(cntv_ctl_el0);
    s->cntv_cval = read_sysreg(cntv_cval_el0);
    /* a descheduled vCPU's timer must not fire into whoever runs next */
    write_sysreg(cntv_ctl_el0, 0);
}

static void sysregs_restore(const struct el1_sysregs *s)
{
    write_sysreg(sctlr_el1, s->sctlr);
    write_sysreg(actlr_el1, s->actlr);
    write_sysreg(cpacr_el1, s->cpacr);
    write_sysreg(ttbr0_el1, s->ttbr0);
    write_sysreg(ttbr1_el1, s->ttbr1);
    write_sysreg(tcr_el1, s->tcr);
    write_sysreg(mair_el1, s->mair);
    write_sysreg(amair_el1, s->amair);
    write_sysreg(vbar_el1, s->vbar);
    write_sysreg(contextidr_el1, s->contextidr);
    write_sysreg(sp_el0, s->sp_el0);
    write_sysreg(sp_el1, s->sp_el1);
    write_sysreg(elr_el1, s->elr);
    write_sysreg(spsr_el1, s->spsr);
    write_sysreg(esr_el1, s->esr);
    write_sysreg(far_el1, s->far);
    write_sysreg(afsr0_el1, s->afsr0);
    write_sysreg(afsr1_el1, s->afsr1);
    write_sysreg(par_el1, s->par);
    write_sysreg(tpidr_el0, s->tpidr_el0);
    write_sysreg(tpidrro_el0, s->tpidrro_el0);
    write_sysreg(tpidr_el1, s->tpidr_el1);
    write_sysreg(cntkctl_el1, s->cntkctl);
    write_sysreg(csselr_el1, s->csselr);
    write_sysreg(mdscr_el1, s->mdscr);
    write_sysreg(cntv_cval_el0, s->cntv_cval);
    write_sysreg(cntv_ctl_el0, s->cntv_ctl);
}

static void fp_save(struct fp_state *f)
{
    __asm__ volatile(
        ".arch_extension fp\n"
        ".arch_extension simd\n"
        "stp q0, q1, [%0, #0]\n stp q2, q3, [%0, #32]\n stp q4, q5, [%0, #64]\n"
        "stp q6, q7, [%0, #96]\n stp q8, q9, [%0, #128]\n stp q10, q11, [%0, #160]\n"
        "stp q12, q13, [%0, #192]\n stp q14, q15, [%0, #224]\n stp q16, q17, [%0, #256]\n"
        "stp q18, q19, [%0, #288]\n stp q20, q21, [%0, #320]\n stp q22, q23, [%0, #352]\n"
        "stp q24, q25, [%0, #384]\n stp q26, q27, [%0, #416]\n stp q28, q29, [%0, #448]\n"
        "stp q30, q31, [%0, #480]\n" ::"r"(f->v)
        : "memory");
    f->fpsr = read_sysreg(fpsr);
    f->fpcr = read_sysreg(fpcr);
}

static void fp_restore(const struct fp_state *f)
{
    __asm__ volatile(
        ".arch_extension fp\n"
        ".arch_extension simd\n"
        "ldp q0, q1, [%0, #0]\n ldp q2, q3, [%0, #32]\n ldp q4, q5, [%0, #64]\n"
        "ldp q6, q7, [%0, #96]\n ldp q8, q9, [%0, #128]\n ldp q10, q11, [%0, #160]\n"
        "ldp q12, q13, [%0, #192]\n ldp q14, q15, [%0, #224]\n ldp q16, q17, [%0, #256]\n"
        "ldp q18, q19, [%0, #288]\n ldp q20, q21, [%0, #320]\n ldp q22, q23, [%0, #352]\n"
        "ldp q24, q25, [%0, #384]\n ldp q26, q27, [%0, #416]\n ldp q28, q29, [%0, #448]\n"
        "ldp q30, q31, [%0, #480]\n" ::"r"(f->v)
        : "memory");
    write_sysreg(fpsr, f->fpsr);
    write_sysreg(fpcr, f->fpcr);
}

void vcpu_arch_put(struct vcpu *v)
{
    unsigned long flags = arch_irq_save();
    struct percpu_arch *pc = this_percpu();
    if (v->arch.loaded && pc->loaded_vcpu == v) {
        sysregs_save(&v->arch.sys);
        fp_save(&v->arch.fp);
        vgic_save(v);
        v->arch.loaded = false;
        pc->loaded_vcpu = NULL;
    }
    arch_irq_restore(flags);
}

void vcpu_arch_load(struct vcpu *v)
{
    struct percpu_arch *pc = this_percpu();
    if (pc->loaded_vcpu == v)
        return;
    if (pc->loaded_vcpu)
        vcpu_arch_put(pc->loaded_vcpu);
    sysregs_restore(&v->arch.sys);
    fp_restore(&v->arch.fp);
    vgic_restore(v);
    write_sysreg(vttbr_el2, v->vm->arch.vttbr);
    write_sysreg(vtcr_el2, VTCR_T0SZ(a64_t0sz(GUEST_IPA_BITS)) | VTCR_SL0(a64_vtcr_sl0(&v->vm->as.pt)) |
                               VTCR_WBWA_IS | vtcr_ps() | VTCR_RES1);
    write_sysreg(vmpidr_el2, v->arch.vmpidr);
    write_sysreg(vpidr_el2, read_sysreg(midr_el1));
    /* guests read the counter directly; the EL1 physical timer traps (it
     * would interrupt the host), the virtual timer is theirs */
    write_sysreg(cnthctl_el2, 1ULL << 0);
    write_sysreg(cntvoff_el2, 0);
    write_sysreg(cptr_el2, 0x33ff); /* RES1 bits, no FP/SIMD trap */
    write_sysreg(hcr_el2, v->arch.hcr);
    isb();
    v->arch.loaded = true;
    v->arch.loaded_cpu = cpu_id();
    pc->loaded_vcpu = v;
}

void vcpu_arch_reset(struct vcpu *v, uint64_t entry, uint64_t arg)
{
    unsigned long flags = arch_irq_save();
    if (v->arch.loaded && this_percpu()->loaded_vcpu == v) {
        this_percpu()->loaded_vcpu = NULL;
        write_sysreg(cntv_ctl_el0, 0);
    }
    v->arch.loaded = false;
    arch_irq_restore(flags);
    memset(&v->arch.regs, 0, sizeof(v->arch.regs));
    memset(&v->arch.sys, 0, sizeof(v->arch.sys));
    memset(&v->arch.fp, 0, sizeof(v->arch.fp));
    v->arch.regs.x[0] = arg;
    v->arch.regs.pc = entry;
    v->arch.regs.pstate = PSTATE_EL1H_MASKED;
    v->arch.sys.sctlr = SCTLR_EL1_RESET;
    v->arch.hcr = HCR_GUEST;
    v->arch.vmpidr = (1ULL << 31) | (v->id & 0xff);
    v->arch.fault_streak = 0;
    v->arch.vtimer_hv_masked = false;
}

/* ---- exits ---- */

static uint64_t ticks_to_ns(uint64_t t)
{
    uint64_t f = timer_freq_hz();
    return (t / f) * 1000000000ULL + (t % f) * 1000000000ULL / f;
}

static bool psci_fn(uint64_t x0)
{
    uint32_t fn = (uint32_t)x0;
    return x0 <= 0xffffffffULL && ((fn & 0xbfffffe0U) == 0x84000000U);
}

/* Target vCPU of a PSCI call: MPIDR Aff0 is the vCPU index. */
static uint64_t mpidr_to_vcpu(uint64_t mpidr)
{
    return (mpidr & ~0xffULL & 0xff00ffffffULL) ? ~0ULL : (mpidr & 0xff);
}

/* Returns true when the call became an exit for the common loop. */
static bool psci_handle(struct vcpu *v, struct vcpu_exit *e)
{
    uint64_t *x = v->arch.regs.x;
    uint32_t fn = (uint32_t)x[0];
    switch (fn) {
    case PSCI_VERSION: x[0] = 0x10000; return false; /* PSCI 1.0 */
    case PSCI_MIGRATE_INFO_TYPE: x[0] = 2; return false; /* no trusted OS */
    case PSCI_FEATURES: {
        uint32_t q = (uint32_t)x[1];
        bool ok = q == PSCI_VERSION || q == PSCI_CPU_OFF || q == PSCI_CPU_ON_32 || q == PSCI_CPU_ON_64 ||
                  q == PSCI_AFFINITY_INFO_32 || q == PSCI_AFFINITY_INFO_64 || q == PSCI_MIGRATE_INFO_TYPE ||
                  q == PSCI_SYSTEM_OFF || q == PSCI_SYSTEM_RESET || q == PSCI_FEATURES;
        x[0] = ok ? 0 : (uint64_t)(int64_t)PSCI_RET_NOT_SUPPORTED;
        return false;
    }
    case PSCI_AFFINITY_INFO_32:
    case PSCI_AFFINITY_INFO_64: {
        uint64_t target = mpidr_to_vcpu(fn == PSCI_AFFINITY_INFO_32 ? (uint32_t)x[1] : x[1]);
        int st = x[2] != 0 || target >= v->vm->nvcpu ? -AX_EINVAL : vm_cpu_power_state(v->vm, (unsigned)target);
        if (st < 0)
            x[0] = (uint64_t)(int64_t)PSCI_RET_INVALID;
        else
            x[0] = st == VCPU_ON ? 0 : st == VCPU_OFF ? 1 : 2;
        return false;
    }
    case PSCI_CPU_ON_32:
    case PSCI_CPU_ON_64:
        e->reason = EXIT_CPU_UP;
        e->cpu_up.target = mpidr_to_vcpu(fn == PSCI_CPU_ON_32 ? (uint32_t)x[1] : x[1]);
        e->cpu_up.entry = fn == PSCI_CPU_ON_32 ? (uint32_t)x[2] : x[2];
        e->cpu_up.arg = fn == PSCI_CPU_ON_32 ? (uint32_t)x[3] : x[3];
        return true;
    case PSCI_CPU_OFF: e->reason = EXIT_CPU_DOWN; return true;
    case PSCI_SYSTEM_OFF: e->reason = EXIT_SYSTEM_DOWN; return true;
    case PSCI_SYSTEM_RESET: e->reason = EXIT_SYSTEM_RESET; return true;
    default: x[0] = (uint64_t)(int64_t)PSCI_RET_NOT_SUPPORTED; return false;
    }
}

void vcpu_arch_cpu_up_result(struct vcpu *v, int err)
{
    v->arch.regs.x[0] = (uint64_t)(int64_t)(err == 0 ? PSCI_RET_SUCCESS
                                            : err == -AX_EBUSY ? PSCI_RET_ALREADY_ON
                                                               : PSCI_RET_INVALID);
}

/* Decode a synchronous exit. Returns true when it is for the common loop. */
static bool decode_sync(struct vcpu *v, struct vcpu_exit *e)
{
    uint64_t esr = v->arch.esr;
    uint64_t *x = v->arch.regs.x;
    switch (ESR_EC(esr)) {
    case EC_WFX:
        v->arch.regs.pc += 4;
        if (esr & 1) { /* WFE: nothing to wait for but other vCPUs; let them run */
            task_yield();
            return false;
        }
        e->reason = EXIT_HALT;
        e->halt.deadline_ns = 0;
        {
            uint64_t ctl = v->arch.sys.cntv_ctl, cval = v->arch.sys.cntv_cval;
            /* the vCPU is loaded: its timer is in the registers */
            if (v->arch.loaded) {
                ctl = read_sysreg(cntv_ctl_el0);
                cval = read_sysreg(cntv_cval_el0);
            }
            /* IMASK set by us (vgic.c's timer handler), not by the guest,
             * still counts as a timer the guest waits for: the interrupt
             * may have fired between its last check and this WFI. */
            bool hv_masked = v->arch.vtimer_hv_masked && (ctl & 2);
            if (!(ctl & 2))
                v->arch.vtimer_hv_masked = false;
            if ((ctl & 1) && (!(ctl & 2) || hv_masked)) {
                if (ctl & 4)
                    return false; /* the timer condition already holds: WFI completes */
                e->halt.deadline_ns = ticks_to_ns(cval);
            }
        }
        return true;
    case EC_HVC64:
        if (psci_fn(x[0]))
            return psci_handle(v, e);
        e->reason = EXIT_HYPERCALL;
        e->hc.nr = x[0];
        for (int i = 0; i < 6; i++)
            e->hc.args[i] = x[1 + i];
        return true;
    case EC_SMC64:
        v->arch.regs.pc += 4; /* a trapped SMC returns to itself */
        if (psci_fn(x[0]))
            return psci_handle(v, e);
        x[0] = (uint64_t)(int64_t)PSCI_RET_NOT_SUPPORTED;
        return false;
    case EC_SYSREG: {
        uint32_t iss = (uint32_t)(esr & 0x1ffffff);
        unsigned rt = (iss >> 5) & 0x1f;
        uint32_t key = iss & ~((0x1fU << 5) | 1U);
        if (!(iss & 1) && (key == SYSREG_ICC_SGI1R || key == SYSREG_ICC_ASGI1R || key == SYSREG_ICC_SGI0R)) {
            vgic_sgi1r_write(v, rt == 31 ? 0 : x[rt]);
            v->arch.regs.pc += 4;
            return false;
        }
        e->reason = (iss & 1) ? EXIT_SYSREG_READ : EXIT_SYSREG_WRITE;
        e->sysreg.id = iss & ~((0x1fU << 5) | 1U);
        e->sysreg.reg = rt;
        e->sysreg.data = rt == 31 ? 0 : x[rt];
        return true;
    }
    case EC_DABT_LOW: {
        uint64_t ipa = ((v->arch.hpfar & 0xffffffffff0ULL) << 8) | (v->arch.far & 0xfff);
        bool isv = esr & (1ULL << 24), s1ptw = esr & (1ULL << 7), write = esr & (1ULL << 6);
        if (!isv || s1ptw) {
            e->reason = EXIT_NPF;
            e->npf.addr = ipa;
            e->npf.write = write;
            e->npf.exec = false;
            return true;
        }
        unsigned srt = (esr >> 16) & 0x1f;
        e->reason = write ? EXIT_MMIO_WRITE : EXIT_MMIO_READ;
        e->mmio.addr = ipa;
        e->mmio.width = 1U << ((esr >> 22) & 3);
        e->mmio.reg = srt;
        e->mmio.sign_ext = esr & (1ULL << 21);
        e->mmio.reg64 = esr & (1ULL << 15);
        uint64_t val = srt == 31 ? 0 : x[srt];
        e->mmio.data = e->mmio.width == 8 ? val : val & ((1ULL << (8 * e->mmio.width)) - 1);
        return true;
    }
    case EC_IABT_LOW:
        e->reason = EXIT_NPF;
        e->npf.addr = ((v->arch.hpfar & 0xffffffffff0ULL) << 8) | (v->arch.far & 0xfff);
        e->npf.write = false;
        e->npf.exec = true;
        return true;
    default:
        e->reason = EXIT_FAIL_ENTRY;
        e->fail.why = "unhandled exception class from the guest";
        return true;
    }
}

void vcpu_arch_run(struct vcpu *v, struct vcpu_exit *e)
{
    e->reason = EXIT_NONE;
    for (;;) {
        irq_disable();
        if (vcpu_run_should_return(v))
            return;
        vcpu_arch_load(v);
        vgic_flush(v);
        uint64_t kind = guest_enter(&v->arch.regs);
        vgic_sync(v);
        v->stats.total_exits++;
        if (kind == 1 || kind == 2) {
            v->stats.exits[EXIT_EXT_IRQ]++;
            irq_enable(); /* the host interrupt is taken here */
            continue;
        }
        v->arch.esr = read_sysreg(esr_el2);
        v->arch.far = read_sysreg(far_el2);
        v->arch.hpfar = read_sysreg(hpfar_el2);
        if (kind == 3) {
            irq_enable();
            e->reason = EXIT_FAIL_ENTRY;
            e->fail.why = "SError from the guest";
            return;
        }
        bool out = decode_sync(v, e);
        irq_enable();
        if (out)
            return;
    }
}

/* ---- completing exits ---- */

void vcpu_arch_set_hc_result(struct vcpu *v, uint64_t val) { v->arch.regs.x[0] = val; }

void vcpu_arch_set_reg(struct vcpu *v, unsigned reg, uint64_t val)
{
    if (reg < 31)
        v->arch.regs.x[reg] = val;
}

uint64_t vcpu_arch_get_reg(struct vcpu *v, unsigned reg) { return reg < 31 ? v->arch.regs.x[reg] : 0; }
void vcpu_arch_advance_pc(struct vcpu *v) { v->arch.regs.pc += 4; }
uint64_t vcpu_arch_pc(struct vcpu *v) { return v->arch.regs.pc; }

#define MAX_FAULT_STREAK 8

int vcpu_arch_inject_fault(struct vcpu *v, const struct vcpu_exit *exit)
{
    uint64_t pc = v->arch.regs.pc;
    if (pc == v->arch.last_fault_pc) {
        if (++v->arch.fault_streak >= MAX_FAULT_STREAK)
            return -AX_EFAULT;
    } else {
        v->arch.last_fault_pc = pc;
        v->arch.fault_streak = 0;
    }
    uint64_t spsr = v->arch.regs.pstate;
    unsigned mode = spsr & 0xf;
    bool from_el0 = mode == 0;
    bool data = !(exit->reason == EXIT_NPF && exit->npf.exec);
    bool write = (exit->reason == EXIT_NPF && exit->npf.write) || exit->reason == EXIT_MMIO_WRITE;
    unsigned ec = data ? (from_el0 ? 0x24 : 0x25) : (from_el0 ? 0x20 : 0x21);
    uint64_t esr = ((uint64_t)ec << 26) | (1ULL << 25) | 0x10; /* synchronous external abort */
    if (data && write)
        esr |= 1ULL << 6;
    uint64_t off = mode == 5 ? 0x200 : mode == 4 ? 0x0 : 0x400;

    unsigned long flags = arch_irq_save();
    bool live = v->arch.loaded && this_percpu()->loaded_vcpu == v;
    uint64_t vbar;
    if (live) {
        write_sysreg(elr_el1, pc);
        write_sysreg(spsr_el1, spsr);
        write_sysreg(esr_el1, esr);
        write_sysreg(far_el1, v->arch.far);
        vbar = read_sysreg(vbar_el1);
    } else {
        v->arch.sys.elr = pc;
        v->arch.sys.spsr = spsr;
        v->arch.sys.esr = esr;
        v->arch.sys.far = v->arch.far;
        vbar = v->arch.sys.vbar;
    }
    arch_irq_restore(flags);
    v->arch.regs.pc = vbar + off;
    v->arch.regs.pstate = PSTATE_EL1H_MASKED;
    return 0;
}

bool vcpu_arch_irq_pending(struct vcpu *v) { return vgic_vcpu_pending(v); }

void vcpu_arch_dump(struct vcpu *v)
{
    struct guest_regs *r = &v->arch.regs;
    log_error("  pc %#llx pstate %#llx esr %#llx far %#llx hpfar %#llx", (unsigned long long)r->pc,
              (unsigned long long)r->pstate, (unsigned long long)v->arch.esr, (unsigned long long)v->arch.far,
              (unsigned long long)v->arch.hpfar);
    for (int i = 0; i < 30; i += 3)
        log_error("  x%-2d %016llx x%-2d %016llx x%-2d %016llx", i, (unsigned long long)r->x[i], i + 1,
                  (unsigned long long)r->x[i + 1], i + 2, (unsigned long long)r->x[i + 2]);
}
