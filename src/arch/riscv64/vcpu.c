/* riscv64 vCPU backend: VS-mode guests under HS-mode with G-stage (Sv39x4)
 * translation.
 *
 * Exits handled here without reaching the common loop: host interrupts
 * (taken in HS-mode as soon as interrupts are unmasked), SBI calls that
 * need no other part of the hypervisor (BASE, TIME, IPI, RFENCE, HSM
 * status, DBCN: vsbi.c), WFI with an interrupt already pending, and
 * virtual-instruction traps other than WFI (an illegal-instruction
 * exception is injected). Everything else becomes an arch-neutral struct
 * vcpu_exit. */
#include "ax/axhal.h"
#include "ax/axvcpu_arch.h"
#include "ax/frame.h"
#include "ax/log.h"
#include "ax/pte_riscv64.h"
#include "ax/rvdecode.h"
#include "ax/string.h"
#include "ax/vm.h"
#include "csr.h"
#include "platform.h"
#include "vcpu_priv.h"

void guest_enter(struct guest_regs *regs);

#define GUEST_GPA_BITS 39 /* Sv39x4 used below 512 GiB: see ax/pte_riscv64.h */
#define INSN_WFI 0x10500073u

/* Exceptions the guest handles itself (hedeleg): everything a guest OS
 * expects to see, but not its ecalls to us, guest-page faults or virtual
 * instructions. */
#define HEDELEG_GUEST                                                                           \
    ((1UL << EXC_INSN_MISALIGNED) | (1UL << EXC_INSN_ACCESS) | (1UL << EXC_ILLEGAL_INSN) |      \
     (1UL << EXC_BREAKPOINT) | (1UL << EXC_LOAD_MISALIGNED) | (1UL << EXC_LOAD_ACCESS) |        \
     (1UL << EXC_STORE_MISALIGNED) | (1UL << EXC_STORE_ACCESS) | (1UL << EXC_ECALL_U) |         \
     (1UL << EXC_INSN_PAGE) | (1UL << EXC_LOAD_PAGE) | (1UL << EXC_STORE_PAGE))

/* Bumped when a VM goes away: a CPU that sees a new epoch flushes its
 * G-stage and VS-stage TLB entries before it runs the next guest, so a
 * recycled VMID or table page is never seen through a stale entry. */
static uint64_t tlb_epoch = 1;

/* The 16 KiB Sv39x4 root of each live VM, by VMID, and the walker's own
 * root page it replaced (given back at destroy so the walker frees what it
 * allocated). */
static struct {
    paddr_t block;
    paddr_t walker_root;
} npt_roots[64];

/* ---- per VM ---- */

const struct pt_format *vm_arch_npt_format(unsigned *va_bits)
{
    *va_bits = GUEST_GPA_BITS;
    return &pte_riscv64_sv39x4;
}

int vm_arch_init(struct vm *vm)
{
    if (vm->vmid >= ARRAY_SIZE(npt_roots))
        return -AX_EINVAL;
    paddr_t block = frame_alloc_zeroed(2); /* 4 pages, aligned to 16 KiB */
    if (!block)
        return -AX_ENOMEM;
    unsigned long f = spin_lock_irqsave(&vm->as.lock);
    memcpy(frame_ptr(block), frame_ptr(vm->as.pt.root), PAGE_SIZE);
    npt_roots[vm->vmid].block = block;
    npt_roots[vm->vmid].walker_root = vm->as.pt.root;
    vm->as.pt.root = block;
    spin_unlock_irqrestore(&vm->as.lock, f);
    /* vm->arch.vttbr holds the VM's hgatp on this arch */
    vm->arch.vttbr = rv_hgatp_sv39x4(block, vm->vmid);
    return 0;
}

void vm_arch_destroy(struct vm *vm)
{
    if (vm->vmid < ARRAY_SIZE(npt_roots) && npt_roots[vm->vmid].block) {
        paddr_t block = npt_roots[vm->vmid].block;
        unsigned long f = spin_lock_irqsave(&vm->as.lock);
        memcpy(frame_ptr(npt_roots[vm->vmid].walker_root), frame_ptr(block), PAGE_SIZE);
        vm->as.pt.root = npt_roots[vm->vmid].walker_root;
        spin_unlock_irqrestore(&vm->as.lock, f);
        npt_roots[vm->vmid].block = 0;
        npt_roots[vm->vmid].walker_root = 0;
        frame_free(block, 2);
    }
    __atomic_add_fetch(&tlb_epoch, 1, __ATOMIC_ACQ_REL);
    unsigned long f = arch_irq_save();
    hfence_gvma_all();
    arch_irq_restore(f);
}

/* ---- lazily switched state ---- */

static void vs_save(struct vs_csrs *s)
{
    s->vsstatus = csr_read(vsstatus);
    s->vsie = csr_read(vsie);
    s->vstvec = csr_read(vstvec);
    s->vsscratch = csr_read(vsscratch);
    s->vsepc = csr_read(vsepc);
    s->vscause = csr_read(vscause);
    s->vstval = csr_read(vstval);
    s->vsatp = csr_read(vsatp);
    s->hvip = csr_read(hvip);
    if (have_sstc) {
        s->vstimecmp = csr_read(vstimecmp);
        /* a descheduled vCPU's timer must not stay armed here */
        csr_write(vstimecmp, ~0UL);
    }
    csr_write(hvip, 0);
}

static void vs_restore(const struct vs_csrs *s)
{
    csr_write(vsstatus, s->vsstatus);
    csr_write(vsie, s->vsie);
    csr_write(vstvec, s->vstvec);
    csr_write(vsscratch, s->vsscratch);
    csr_write(vsepc, s->vsepc);
    csr_write(vscause, s->vscause);
    csr_write(vstval, s->vstval);
    csr_write(vsatp, s->vsatp);
    csr_write(hvip, s->hvip);
    if (have_sstc)
        csr_write(vstimecmp, s->vstimecmp);
}

void vcpu_arch_put(struct vcpu *v)
{
    unsigned long flags = arch_irq_save();
    struct percpu_arch *pc = this_percpu();
    if (v->arch.loaded && pc->loaded_vcpu == v) {
        vs_save(&v->arch.vs);
        v->arch.loaded = false;
        pc->loaded_vcpu = NULL;
    }
    arch_irq_restore(flags);
}

void vcpu_arch_load(struct vcpu *v)
{
    struct percpu_arch *pc = this_percpu();
    uint64_t epoch = __atomic_load_n(&tlb_epoch, __ATOMIC_ACQUIRE);
    if (pc->loaded_vcpu == v && v->arch.loaded && pc->tlb_epoch == epoch)
        return;
    if (pc->loaded_vcpu)
        vcpu_arch_put(pc->loaded_vcpu);
    csr_write(hgatp, v->arch.hgatp);
    /* another vCPU (maybe of another VM, maybe a VMID since recycled) ran
     * here: drop its G-stage and VS-stage translations */
    hfence_gvma_all();
    hfence_vvma_all();
    csr_write(hedeleg, HEDELEG_GUEST);
    csr_write(hideleg, HVIP_VS_ALL);
    csr_write(hcounteren, COUNTEREN_CY_TM_IR);
    csr_write(htimedelta, 0);
    csr_write(henvcfg, have_sstc ? ENVCFG_STCE : 0);
    vs_restore(&v->arch.vs);
    v->arch.loaded = true;
    v->arch.loaded_cpu = cpu_id();
    pc->loaded_vcpu = v;
    pc->tlb_epoch = epoch;
}

void vcpu_arch_reset(struct vcpu *v, uint64_t entry, uint64_t arg)
{
    unsigned long flags = arch_irq_save();
    if (v->arch.loaded && this_percpu()->loaded_vcpu == v) {
        this_percpu()->loaded_vcpu = NULL;
        if (have_sstc)
            csr_write(vstimecmp, ~0UL);
        csr_write(hvip, 0);
    }
    v->arch.loaded = false;
    arch_irq_restore(flags);
    memset(&v->arch.regs, 0, sizeof(v->arch.regs));
    memset(&v->arch.vs, 0, sizeof(v->arch.vs));
    v->arch.regs.x[10] = v->id; /* a0: hart id = vCPU index */
    v->arch.regs.x[11] = arg;   /* a1: DTB (boot vCPU) or HSM opaque */
    v->arch.regs.pc = entry;
    v->arch.regs.sstatus = SSTATUS_SPP; /* VS-mode, interrupts off (vsstatus = 0) */
    v->arch.regs.hstatus = HSTATUS_VSXL_64 | HSTATUS_SPV | HSTATUS_SPVP | HSTATUS_VTW;
    v->arch.vs.vstimecmp = ~0UL;
    v->arch.timer_ticks = ~0UL;
    v->arch.hgatp = v->vm->arch.vttbr;
    v->arch.fault_streak = 0;
    v->arch.insn_len = 4;
    __atomic_store_n(&v->arch.pending_vssip, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&v->arch.pending_vvma_flush, 0, __ATOMIC_RELEASE);
    v->arch.wfi_vsie = 0;
}

/* ---- guest memory reads ---- */

/* Reads the halfword at guest virtual address va as an instruction fetch
 * would see it (VS-stage with the guest's vsatp, then G-stage). A fault
 * comes back as false instead of stopping the CPU (trap.c). */
static bool guest_fetch16(uint64_t va, uint16_t *out)
{
    struct percpu_arch *pc = this_percpu();
    unsigned long val = 0;
    pc->faulted = 0;
    pc->expect_fault = 1;
    __asm__ volatile(H_INSN("hlvx.hu %0, (%1)") : "=&r"(val) : "r"(va) : "memory");
    pc->expect_fault = 0;
    if (pc->faulted)
        return false;
    *out = (uint16_t)val;
    return true;
}

static bool guest_fetch_insn(uint64_t pc, uint32_t *insn)
{
    uint16_t lo, hi;
    if (!guest_fetch16(pc, &lo))
        return false;
    unsigned len = rv_insn_len(lo);
    if (len == 2) {
        *insn = lo;
        return true;
    }
    if (len != 4 || !guest_fetch16(pc + 2, &hi))
        return false;
    *insn = lo | ((uint32_t)hi << 16);
    return true;
}

/* ---- exits ---- */

static void exit_npf(struct vcpu_exit *e, uint64_t gpa, bool write, bool exec)
{
    e->reason = EXIT_NPF;
    e->npf.addr = gpa;
    e->npf.write = write;
    e->npf.exec = exec;
}

static bool decode_guest_page_fault(struct vcpu *v, struct vcpu_exit *e)
{
    uint64_t gpa = (v->arch.htval << 2) | (v->arch.stval & 3);
    bool store = v->arch.scause == EXC_STORE_GUEST_PAGE;
    struct rv_access acc;
    int r = rv_decode_htinst(v->arch.htinst, &acc);
    if (r == -AX_ENOENT) {
        uint32_t insn;
        r = guest_fetch_insn(v->arch.regs.pc, &insn) ? rv_decode_access(insn, &acc) : -AX_EFAULT;
    }
    if (r || acc.store != store) {
        /* an implicit page-table access, an AMO, an unreadable or
         * undecodable instruction: an access to nothing for the guest */
        exit_npf(e, gpa, store, false);
        return true;
    }
    v->arch.insn_len = acc.len;
    e->reason = store ? EXIT_MMIO_WRITE : EXIT_MMIO_READ;
    e->mmio.addr = gpa;
    e->mmio.width = acc.width;
    e->mmio.reg = acc.reg;
    e->mmio.sign_ext = acc.sign_ext;
    e->mmio.reg64 = true; /* RV64 loads always write the whole register */
    uint64_t val = acc.reg ? v->arch.regs.x[acc.reg] : 0;
    e->mmio.data = acc.width == 8 ? val : val & ((1ULL << (8 * acc.width)) - 1);
    return true;
}

static void inject_exception(struct vcpu *v, uint64_t cause, uint64_t tval);

/* WFI: complete at once when an interrupt is pending and enabled for the
 * guest (sstatus.SIE does not matter to WFI), else halt until the guest's
 * timer deadline or a kick. */
static bool decode_wfi(struct vcpu *v, struct vcpu_exit *e)
{
    v->arch.regs.pc += 4;
    v->arch.wfi_vsie = csr_read(hie) & HVIP_VS_ALL;
    uint64_t pending = csr_read(hip) & v->arch.wfi_vsie;
    if (pending)
        return false;
    uint64_t ticks = have_sstc ? csr_read(vstimecmp) : v->arch.timer_ticks;
    bool timer_on = csr_read(hie) & HVIP_VSTIP;
    e->reason = EXIT_HALT;
    e->halt.deadline_ns = 0;
    if (timer_on && ticks != ~0UL) {
        if (ticks <= rdtime())
            return false;
        e->halt.deadline_ns = timer_ticks_to_ns(ticks);
    }
    return true;
}

static bool decode_virtual_insn(struct vcpu *v, struct vcpu_exit *e)
{
    uint32_t insn = (uint32_t)v->arch.stval;
    if (insn == 0 && !guest_fetch_insn(v->arch.regs.pc, &insn))
        insn = 0;
    if (insn == INSN_WFI)
        return decode_wfi(v, e);
    inject_exception(v, EXC_ILLEGAL_INSN, insn);
    return false;
}

/* Decode a synchronous exit. Returns true when it is for the common loop. */
static bool decode_sync(struct vcpu *v, struct vcpu_exit *e)
{
    switch (v->arch.scause) {
    case EXC_ECALL_VS:
        v->arch.regs.pc += 4;
        return vsbi_handle(v, e);
    case EXC_LOAD_GUEST_PAGE:
    case EXC_STORE_GUEST_PAGE:
        return decode_guest_page_fault(v, e);
    case EXC_INSN_GUEST_PAGE:
        exit_npf(e, (v->arch.htval << 2) | (v->arch.stval & 3), false, true);
        return true;
    case EXC_VIRTUAL_INSN:
        return decode_virtual_insn(v, e);
    default:
        e->reason = EXIT_FAIL_ENTRY;
        e->fail.why = "unhandled trap from the guest";
        return true;
    }
}

static void apply_pending(struct vcpu *v)
{
    if (__atomic_load_n(&v->arch.pending_vssip, __ATOMIC_ACQUIRE) &&
        __atomic_exchange_n(&v->arch.pending_vssip, 0, __ATOMIC_ACQ_REL))
        csr_set(hvip, HVIP_VSSIP);
    if (__atomic_load_n(&v->arch.pending_vvma_flush, __ATOMIC_ACQUIRE) &&
        __atomic_exchange_n(&v->arch.pending_vvma_flush, 0, __ATOMIC_ACQ_REL))
        hfence_vvma_all();
    if (__atomic_load_n(&v->arch.pending_vseip, __ATOMIC_ACQUIRE))
        csr_set(hvip, HVIP_VSEIP);
    else
        csr_clear(hvip, HVIP_VSEIP);
    if (!have_sstc) {
        if (v->arch.timer_ticks <= rdtime())
            csr_set(hvip, HVIP_VSTIP);
        else
            csr_clear(hvip, HVIP_VSTIP);
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
        apply_pending(v);
        guest_enter(&v->arch.regs);
        v->stats.total_exits++;
        v->arch.scause = csr_read(scause);
        if (v->arch.scause & SCAUSE_INTR) {
            v->stats.exits[EXIT_EXT_IRQ]++;
            irq_enable(); /* the host interrupt is taken here */
            continue;
        }
        /* an SBI call (the hot path) needs none of the fault CSRs */
        if (v->arch.scause != EXC_ECALL_VS) {
            v->arch.stval = csr_read(stval);
            v->arch.htval = csr_read(htval);
            v->arch.htinst = csr_read(htinst);
        }
        bool out = decode_sync(v, e);
        irq_enable();
        if (out)
            return;
    }
}

/* ---- completing exits ---- */

void vcpu_arch_set_hc_result(struct vcpu *v, uint64_t val) { v->arch.regs.x[10] = val; }

void vcpu_arch_set_reg(struct vcpu *v, unsigned reg, uint64_t val)
{
    if (reg > 0 && reg < 32)
        v->arch.regs.x[reg] = val;
}

uint64_t vcpu_arch_get_reg(struct vcpu *v, unsigned reg) { return reg > 0 && reg < 32 ? v->arch.regs.x[reg] : 0; }
void vcpu_arch_advance_pc(struct vcpu *v) { v->arch.regs.pc += v->arch.insn_len; }
uint64_t vcpu_arch_pc(struct vcpu *v) { return v->arch.regs.pc; }

/* Enter the guest's trap handler as the hardware would for an exception
 * taken into VS-mode: vsepc/vscause/vstval, vsstatus.SPP/SPIE/SIE, pc =
 * vstvec's base (exceptions never use vectored mode). */
static void inject_exception(struct vcpu *v, uint64_t cause, uint64_t tval)
{
    unsigned long flags = arch_irq_save();
    bool live = v->arch.loaded && this_percpu()->loaded_vcpu == v;
    uint64_t vsstatus = live ? csr_read(vsstatus) : v->arch.vs.vsstatus;
    uint64_t vstvec = live ? csr_read(vstvec) : v->arch.vs.vstvec;
    vsstatus &= ~(SSTATUS_SPP | SSTATUS_SPIE);
    if (v->arch.regs.sstatus & SSTATUS_SPP)
        vsstatus |= SSTATUS_SPP;
    if (vsstatus & SSTATUS_SIE)
        vsstatus |= SSTATUS_SPIE;
    vsstatus &= ~SSTATUS_SIE;
    if (live) {
        csr_write(vsepc, v->arch.regs.pc);
        csr_write(vscause, cause);
        csr_write(vstval, tval);
        csr_write(vsstatus, vsstatus);
    } else {
        v->arch.vs.vsepc = v->arch.regs.pc;
        v->arch.vs.vscause = cause;
        v->arch.vs.vstval = tval;
        v->arch.vs.vsstatus = vsstatus;
    }
    arch_irq_restore(flags);
    v->arch.regs.pc = vstvec & ~3UL;
    v->arch.regs.sstatus |= SSTATUS_SPP;
    v->arch.regs.hstatus |= HSTATUS_SPVP;
}

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
    bool exec = exit->reason == EXIT_NPF && exit->npf.exec;
    bool write = (exit->reason == EXIT_NPF && exit->npf.write) || exit->reason == EXIT_MMIO_WRITE;
    uint64_t cause = exec ? EXC_INSN_ACCESS : write ? EXC_STORE_ACCESS : EXC_LOAD_ACCESS;
    /* stval of the guest-page fault is the guest's virtual address */
    inject_exception(v, cause, v->arch.stval);
    return 0;
}

/* Ends a halt: a software or external interrupt that arrived for the
 * vCPU while it waited, and that it had enabled (the timer has its own
 * deadline). */
bool vcpu_arch_irq_pending(struct vcpu *v)
{
    uint64_t want = 0;
    if (__atomic_load_n(&v->arch.pending_vssip, __ATOMIC_ACQUIRE))
        want |= HVIP_VSSIP;
    if (__atomic_load_n(&v->arch.pending_vseip, __ATOMIC_ACQUIRE))
        want |= HVIP_VSEIP;
    return (want & v->arch.wfi_vsie) != 0;
}

void vcpu_arch_dump(struct vcpu *v)
{
    struct guest_regs *r = &v->arch.regs;
    log_error("  pc %#llx sstatus %#llx hstatus %#llx scause %#llx stval %#llx htval %#llx htinst %#llx",
              (unsigned long long)r->pc, (unsigned long long)r->sstatus, (unsigned long long)r->hstatus,
              (unsigned long long)v->arch.scause, (unsigned long long)v->arch.stval,
              (unsigned long long)v->arch.htval, (unsigned long long)v->arch.htinst);
    for (int i = 1; i < 32; i += 3)
        log_error("  x%-2d %016llx x%-2d %016llx x%-2d %016llx", i, (unsigned long long)r->x[i], i + 1,
                  (unsigned long long)(i + 1 < 32 ? r->x[i + 1] : 0), i + 2,
                  (unsigned long long)(i + 2 < 32 ? r->x[i + 2] : 0));
}
