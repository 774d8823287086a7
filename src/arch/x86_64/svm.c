/* AMD SVM vCPU backend with nested paging.
 *
 * Everything SVM-specific lives here and in svm_entry.S: the VMCB, the
 * intercept setup, VMRUN, and the translation of #VMEXIT codes into the
 * arch-neutral exits of ax/vcpu.h. Guest boot tables, guest page walks,
 * the instruction decoder and the virtual local APIC are shared x86 code
 * a VMX backend would reuse.
 *
 * Finished here without the common loop: CPUID (SVM hidden, a hypervisor
 * leaf 0x4000_0000 "AxVisorCAxV", timing leaf 0x4000_0010), the MSRs guests
 * need (EFER, APIC base, TSC, PAT, the rest read as zero / ignore writes
 * with a rate-limited log), the virtual LAPIC's MMIO page (timer, EOI,
 * IPIs), host interrupts (INTR exits), interrupt windows. QEMU's SVM has
 * neither NRIP save nor DecodeAssists, so the next RIP is computed here:
 * VMMCALL 3 bytes, CPUID/RDMSR/WRMSR 2, HLT 1, IN/OUT from EXITINFO2, MMIO
 * from decoding the instruction fetched through the guest's page tables. */
#include "ax/axhal.h"
#include "ax/axvcpu_arch.h"
#include "ax/format.h"
#include "ax/frame.h"
#include "ax/log.h"
#include "ax/pte_x86_64.h"
#include "ax/string.h"
#include "ax/vm.h"
#include "ax/x86_decode.h"
#include "arch/context.h"
#include "platform.h"
#include "vlapic.h"
#include "x86_guest.h"

void svm_enter(uint64_t vmcb_pa, struct x86_gprs *gprs, uint64_t host_vmcb_pa);
void svm_vmsave(uint64_t pa);

/* ---- VMCB layout (AMD APM vol. 2, appendix B) ---- */
#define C_INTERCEPT_CR 0x000
#define C_INTERCEPT_EXC 0x008
#define C_INTERCEPT_MISC1 0x00C
#define C_INTERCEPT_MISC2 0x010
#define C_IOPM_BASE 0x040
#define C_MSRPM_BASE 0x048
#define C_TSC_OFFSET 0x050
#define C_ASID 0x058
#define C_TLB_CTL 0x05C
#define C_VINTR 0x060
#define C_INT_SHADOW 0x068
#define C_EXITCODE 0x070
#define C_EXITINFO1 0x078
#define C_EXITINFO2 0x080
#define C_EXITINTINFO 0x088
#define C_NP_ENABLE 0x090
#define C_EVENTINJ 0x0A8
#define C_NCR3 0x0B0
#define C_CLEAN 0x0C0
#define S_ES 0x400
#define S_CS 0x410
#define S_SS 0x420
#define S_DS 0x430
#define S_FS 0x440
#define S_GS 0x450
#define S_GDTR 0x460
#define S_LDTR 0x470
#define S_IDTR 0x480
#define S_TR 0x490
#define S_CPL 0x4CB
#define S_EFER 0x4D0
#define S_CR4 0x548
#define S_CR3 0x550
#define S_CR0 0x558
#define S_DR7 0x560
#define S_DR6 0x568
#define S_RFLAGS 0x570
#define S_RIP 0x578
#define S_RSP 0x5D8
#define S_RAX 0x5F8
#define S_CR2 0x640
#define S_PAT 0x668

/* intercept vector 3 (offset 0x0C) */
#define I_INTR (1u << 0)
#define I_NMI (1u << 1)
#define I_SMI (1u << 2)
#define I_INIT (1u << 3)
#define I_VINTR (1u << 4)
#define I_CPUID (1u << 18)
#define I_INVD (1u << 22)
#define I_HLT (1u << 24)
#define I_IOIO (1u << 27)
#define I_MSR (1u << 28)
#define I_SHUTDOWN (1u << 31)
/* vector 4 (offset 0x10) */
#define I_VMRUN (1u << 0)
#define I_VMMCALL (1u << 1)
#define I_VMLOAD (1u << 2)
#define I_VMSAVE (1u << 3)
#define I_STGI (1u << 4)
#define I_CLGI (1u << 5)
#define I_SKINIT (1u << 6)
#define I_ICEBP (1u << 8)
#define I_MONITOR (1u << 10)
#define I_MWAIT (1u << 11)
#define I_XSETBV (1u << 13)

#define VINTR_V_IRQ (1ULL << 8)
#define VINTR_V_IGN_TPR (1ULL << 20)
#define VINTR_MASKING (1ULL << 24)
#define VINTR_PRIO(p) ((uint64_t)(p) << 16)
#define VINTR_VECTOR(v) ((uint64_t)(v) << 32)

#define EV_VALID (1ULL << 31)
#define EV_ERR (1ULL << 11)
#define EV_TYPE_INTR (0ULL << 8)
#define EV_TYPE_EXC (3ULL << 8)

#define SVM_EXIT_INTR 0x060
#define SVM_EXIT_NMI 0x061
#define SVM_EXIT_SMI 0x062
#define SVM_EXIT_INIT 0x063
#define SVM_EXIT_VINTR 0x064
#define SVM_EXIT_CPUID 0x072
#define SVM_EXIT_INVD 0x076
#define SVM_EXIT_HLT 0x078
#define SVM_EXIT_IOIO 0x07B
#define SVM_EXIT_MSR 0x07C
#define SVM_EXIT_SHUTDOWN 0x07F
#define SVM_EXIT_VMRUN 0x080
#define SVM_EXIT_VMMCALL 0x081
#define SVM_EXIT_NPF 0x400
#define SVM_EXIT_INVALID 0xFFFFFFFFFFFFFFFFULL

#define MSR_VM_CR 0xC0010114
#define MSR_VM_HSAVE_PA 0xC0010117
#define VM_CR_SVMDIS (1ULL << 4)

#define RFLAGS_IF (1ULL << 9)
#define GUEST_CR0 (CR0_PE | CR0_ET | CR0_NE | CR0_WP | CR0_PG)
#define GUEST_EFER (EFER_LME | EFER_LMA | EFER_SVME)
#define DEFAULT_PAT 0x0007040600070406ULL

#define X86_VM_PM1A_CNT 0x604
#define X86_VM_RESET_CTL 0xCF9

#define MAX_FAULT_STREAK 8
#define MAX_MSR_LOGS 8

static inline uint64_t *q(void *vmcb, unsigned off) { return (uint64_t *)((uint8_t *)vmcb + off); }
static inline uint32_t *d(void *vmcb, unsigned off) { return (uint32_t *)((uint8_t *)vmcb + off); }

static void seg_set(void *vmcb, unsigned off, uint16_t sel, uint16_t attr, uint32_t limit, uint64_t base)
{
    uint8_t *p = (uint8_t *)vmcb + off;
    memcpy(p, &sel, 2);
    memcpy(p + 2, &attr, 2);
    memcpy(p + 4, &limit, 4);
    memcpy(p + 8, &base, 8);
}

/* ---- per CPU and global set-up ---- */

static paddr_t iopm_pa, msrpm_pa;
static spinlock_t setup_lock = SPINLOCK_INIT;

bool svm_supported(const char **why)
{
    uint32_t r[4];
    cpuid(0x80000000, 0, r);
    if (r[0] < 0x8000000A) {
        *why = "no SVM (CPUID 8000_0001 missing)";
        return false;
    }
    cpuid(0x80000001, 0, r);
    if (!(r[2] & (1u << 2))) {
        *why = "the CPU has no AMD SVM (CPUID 8000_0001 ECX.SVM = 0; Intel VMX is not implemented)";
        return false;
    }
    cpuid(0x8000000A, 0, r);
    if (!(r[3] & 1)) {
        *why = "SVM without nested paging (CPUID 8000_000A EDX.NP = 0)";
        return false;
    }
    if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS) {
        *why = "SVM is disabled by the firmware (VM_CR.SVMDIS)";
        return false;
    }
    return true;
}

static void msrpm_pass(uint8_t *pm, uint32_t msr)
{
    uint32_t base, off;
    if (msr < 0x2000) {
        base = 0;
        off = msr;
    } else if (msr >= 0xC0000000 && msr < 0xC0002000) {
        base = 0x800;
        off = msr - 0xC0000000;
    } else if (msr >= 0xC0010000 && msr < 0xC0012000) {
        base = 0x1000;
        off = msr - 0xC0010000;
    } else {
        return;
    }
    pm[base + off / 4] &= (uint8_t)~(3u << (2 * (off % 4)));
}

static int svm_global_init(void)
{
    unsigned long f = spin_lock_irqsave(&setup_lock);
    int rc = 0;
    if (!iopm_pa) {
        /* every port and every MSR exits, except the segment bases the
         * VMCB holds anyway */
        paddr_t io = frame_alloc(2), msr = frame_alloc(1);
        if (!io || !msr) {
            if (io)
                frame_free(io, 2);
            if (msr)
                frame_free(msr, 1);
            rc = -AX_ENOMEM;
        } else {
            memset(phys_to_virt(io), 0xff, 4 * PAGE_SIZE);
            memset(phys_to_virt(msr), 0xff, 2 * PAGE_SIZE);
            msrpm_pass(phys_to_virt(msr), MSR_FS_BASE);
            msrpm_pass(phys_to_virt(msr), MSR_GS_BASE);
            msrpm_pass(phys_to_virt(msr), MSR_KERNEL_GS_BASE);
            iopm_pa = io;
            msrpm_pa = msr;
        }
    }
    spin_unlock_irqrestore(&setup_lock, f);
    return rc;
}

int svm_init_cpu(void)
{
    int rc = svm_global_init();
    if (rc)
        return rc;
    struct percpu_arch *pc = this_percpu();
    if (!pc->hsave_pa) {
        pc->hsave_pa = frame_alloc_zeroed(0);
        pc->host_vmcb_pa = frame_alloc_zeroed(0);
        if (!pc->hsave_pa || !pc->host_vmcb_pa)
            return -AX_ENOMEM;
    }
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
    wrmsr(MSR_VM_HSAVE_PA, pc->hsave_pa);
    /* the host's GS base (per-CPU data), TR, syscall MSRs: what VMLOAD
     * brings back after each guest run */
    svm_vmsave(pc->host_vmcb_pa);
    /* FXSAVE/FXRSTOR of guest SSE state needs OSFXSR */
    uint64_t cr4 = read_cr4() | (1ULL << 9) | (1ULL << 10);
    __asm__ volatile("mov %0, %%cr4" ::"r"(cr4));
    return 0;
}

/* ---- per VM ---- */

/* Per-VM state that must outlive the vCPU structures (which the common
 * code frees before vm_arch_destroy): one VMCB page and one FXSAVE page per
 * vCPU, and the virtual LAPICs. Indexed by VMID (1..63), which is also the
 * ASID. */
struct x86_vm {
    paddr_t pages[VM_MAX_VCPUS]; /* order 1: VMCB, then FXSAVE area */
    struct vlapic lapic[VM_MAX_VCPUS];
};
static struct x86_vm vm_pool[64];

static struct x86_vm *xvm(const struct vm *vm) { return &vm_pool[vm->vmid & 63]; }

const struct pt_format *vm_arch_npt_format(unsigned *va_bits)
{
    *va_bits = 48;
    return &pte_x86_64_npt;
}

int vm_arch_init(struct vm *vm)
{
    if (!iopm_pa)
        return -AX_ENOSYS; /* no SVM on this machine */
    if (vm->vmid == 0 || vm->vmid >= 64)
        return -AX_EINVAL;
    struct x86_vm *x = xvm(vm);
    for (unsigned i = 0; i < vm->nvcpu; i++) {
        if (!x->pages[i])
            x->pages[i] = frame_alloc_zeroed(1);
        if (!x->pages[i])
            return -AX_ENOMEM; /* vm_arch_destroy frees the others */
    }
    return 0;
}

void vm_arch_destroy(struct vm *vm)
{
    if (vm->vmid == 0 || vm->vmid >= 64)
        return;
    struct x86_vm *x = xvm(vm);
    for (unsigned i = 0; i < VM_MAX_VCPUS; i++) {
        if (x->pages[i])
            frame_free(x->pages[i], 1);
        x->pages[i] = 0;
    }
    /* the ASID's TLB entries: every vCPU flushes at its first run */
}

/* ---- vCPU reset and state ---- */

#define SEG_CODE64 0xA9B /* P, S, type 0xB, L, G */
#define SEG_DATA 0xC93   /* P, S, type 0x3, D/B, G */
#define SEG_TSS 0x08B    /* P, busy 64-bit TSS */

void vcpu_arch_reset(struct vcpu *v, uint64_t entry, uint64_t arg)
{
    struct x86_vm *x = xvm(v->vm);
    struct vcpu_arch *a = &v->arch;
    unsigned long flags = arch_irq_save();
    if (this_percpu()->loaded_vcpu == v)
        this_percpu()->loaded_vcpu = NULL;
    arch_irq_restore(flags);
    memset(&a->gprs, 0, sizeof(a->gprs));
    a->vmcb_pa = x->pages[v->id];
    a->vmcb = phys_to_virt(a->vmcb_pa);
    a->lapic = &x->lapic[v->id];
    a->asid = v->vm->vmid;
    a->flush_tlb = true;
    a->fault_streak = 0;
    a->last_fault_rip = ~0ULL;
    vlapic_reset(a->lapic, v->id);
    memset(a->vmcb, 0, 2 * PAGE_SIZE); /* VMCB and the FXSAVE area */
    uint8_t *fx = (uint8_t *)a->vmcb + PAGE_SIZE;
    uint16_t fcw = 0x37F;
    uint32_t mxcsr = 0x1F80;
    memcpy(fx, &fcw, 2);
    memcpy(fx + 24, &mxcsr, 4);

    void *vmcb = a->vmcb;
    *d(vmcb, C_INTERCEPT_EXC) = 1u << 18; /* #MC */
    *d(vmcb, C_INTERCEPT_MISC1) = I_INTR | I_NMI | I_SMI | I_INIT | I_CPUID | I_INVD | I_HLT | I_IOIO | I_MSR |
                                  I_SHUTDOWN;
    *d(vmcb, C_INTERCEPT_MISC2) = I_VMRUN | I_VMMCALL | I_VMLOAD | I_VMSAVE | I_STGI | I_CLGI | I_SKINIT |
                                  I_ICEBP | I_MONITOR | I_MWAIT | I_XSETBV;
    *q(vmcb, C_IOPM_BASE) = iopm_pa;
    *q(vmcb, C_MSRPM_BASE) = msrpm_pa;
    *q(vmcb, C_TSC_OFFSET) = 0; /* guest TSC = host TSC: HC_TIME_NS and rdtsc agree */
    *d(vmcb, C_ASID) = a->asid;
    *q(vmcb, C_VINTR) = VINTR_MASKING;
    *q(vmcb, C_NP_ENABLE) = 1;
    *q(vmcb, C_NCR3) = v->vm->as.pt.root;

    seg_set(vmcb, S_CS, X86_GUEST_SEL_CODE, SEG_CODE64, 0xFFFFFFFF, 0);
    seg_set(vmcb, S_DS, X86_GUEST_SEL_DATA, SEG_DATA, 0xFFFFFFFF, 0);
    seg_set(vmcb, S_ES, X86_GUEST_SEL_DATA, SEG_DATA, 0xFFFFFFFF, 0);
    seg_set(vmcb, S_SS, X86_GUEST_SEL_DATA, SEG_DATA, 0xFFFFFFFF, 0);
    seg_set(vmcb, S_FS, X86_GUEST_SEL_DATA, SEG_DATA, 0xFFFFFFFF, 0);
    seg_set(vmcb, S_GS, X86_GUEST_SEL_DATA, SEG_DATA, 0xFFFFFFFF, 0);
    seg_set(vmcb, S_GDTR, 0, 0, X86_BOOT_GDT_LIMIT, X86_BOOT_GDT);
    seg_set(vmcb, S_IDTR, 0, 0, 0, 0);
    seg_set(vmcb, S_LDTR, 0, 0x082, 0, 0);
    seg_set(vmcb, S_TR, 0, SEG_TSS, 0x67, 0);
    *((uint8_t *)vmcb + S_CPL) = 0;
    *q(vmcb, S_EFER) = GUEST_EFER;
    *q(vmcb, S_CR0) = GUEST_CR0;
    *q(vmcb, S_CR3) = X86_BOOT_PML4;
    *q(vmcb, S_CR4) = CR4_PAE;
    *q(vmcb, S_DR7) = 0x400;
    *q(vmcb, S_DR6) = 0xFFFF0FF0;
    *q(vmcb, S_RFLAGS) = 0x2;
    *q(vmcb, S_RIP) = entry;
    *q(vmcb, S_RSP) = 0;
    *q(vmcb, S_RAX) = 0;
    *q(vmcb, S_PAT) = DEFAULT_PAT;
    a->gprs.r[7] = arg; /* rdi */
}

static void fx_save(void *area) { __asm__ volatile("fxsave64 (%0)" ::"r"(area) : "memory"); }
static void fx_restore(const void *area) { __asm__ volatile("fxrstor64 (%0)" ::"r"(area) : "memory"); }

/* The hypervisor never touches x87/SSE state (-mgeneral-regs-only), so the
 * guest's stays in the registers until another vCPU needs them. */
void vcpu_arch_put(struct vcpu *v)
{
    unsigned long flags = arch_irq_save();
    struct percpu_arch *pc = this_percpu();
    if (pc->loaded_vcpu == v) {
        fx_save((uint8_t *)v->arch.vmcb + PAGE_SIZE);
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
    fx_restore((uint8_t *)v->arch.vmcb + PAGE_SIZE);
    /* the ASID is per VM: TLB entries on this CPU may be another vCPU's
     * (or stale from before a migration), so start clean */
    v->arch.flush_tlb = true;
    v->arch.last_cpu = cpu_id();
    pc->loaded_vcpu = v;
}

/* ---- registers ---- */

static uint64_t reg_get(struct vcpu *v, unsigned r)
{
    r &= 15;
    if (r == 0)
        return *q(v->arch.vmcb, S_RAX);
    if (r == 4)
        return *q(v->arch.vmcb, S_RSP);
    return v->arch.gprs.r[r];
}

static void reg_put(struct vcpu *v, unsigned r, uint64_t val)
{
    r &= 15;
    if (r == 0)
        *q(v->arch.vmcb, S_RAX) = val;
    else if (r == 4)
        *q(v->arch.vmcb, S_RSP) = val;
    else
        v->arch.gprs.r[r] = val;
}

static void regs_snapshot(struct vcpu *v, uint64_t r[16])
{
    for (unsigned i = 0; i < 16; i++)
        r[i] = reg_get(v, i);
}

/* vcpu_arch_set_reg's register numbers: plain 0..15, or X86_REG_PENDING to
 * complete the MMIO load / IN decoded at the last exit (merging the value
 * into the destination the way that instruction writes it). */
#define X86_REG_PENDING 0x100u

static struct x86_insn *pending_insn(struct vcpu *v) { return &v->arch.pending; }

void vcpu_arch_set_reg(struct vcpu *v, unsigned reg, uint64_t val)
{
    if (reg == X86_REG_PENDING) {
        struct x86_insn *in = pending_insn(v);
        reg_put(v, in->reg, x86_insn_load_result(in, reg_get(v, in->reg), val));
        return;
    }
    if (reg < 16)
        reg_put(v, reg, val);
}

uint64_t vcpu_arch_get_reg(struct vcpu *v, unsigned reg) { return reg < 16 ? reg_get(v, reg) : 0; }
void vcpu_arch_set_hc_result(struct vcpu *v, uint64_t val) { *q(v->arch.vmcb, S_RAX) = val; }
void vcpu_arch_advance_pc(struct vcpu *v) { *q(v->arch.vmcb, S_RIP) = v->arch.next_rip; }
uint64_t vcpu_arch_pc(struct vcpu *v) { return *q(v->arch.vmcb, S_RIP); }

/* SIPI results have no channel back to the guest on x86. */
void vcpu_arch_cpu_up_result(struct vcpu *v, int err)
{
    if (err && err != -AX_EBUSY)
        log_debug("vm%u vcpu%u: SIPI not delivered: %s", v->vm->id, v->id, ax_strerror(err));
}

bool vcpu_arch_irq_pending(struct vcpu *v)
{
    if (!v->arch.lapic)
        return false;
    vlapic_timer_update(v->arch.lapic, timer_now_ns());
    return vlapic_pending(v->arch.lapic) >= 0;
}

/* ---- event injection ---- */

static void inject_exception(struct vcpu *v, unsigned vec, bool has_err, uint32_t errcode)
{
    uint64_t ev = vec | EV_TYPE_EXC | EV_VALID;
    if (has_err)
        ev |= EV_ERR | ((uint64_t)errcode << 32);
    *q(v->arch.vmcb, C_EVENTINJ) = ev;
}

int vcpu_arch_inject_fault(struct vcpu *v, const struct vcpu_exit *exit)
{
    uint64_t rip = vcpu_arch_pc(v);
    if (rip == v->arch.last_fault_rip) {
        if (++v->arch.fault_streak >= MAX_FAULT_STREAK)
            return -AX_EFAULT;
    } else {
        v->arch.last_fault_rip = rip;
        v->arch.fault_streak = 0;
    }
    /* a page fault on a not-present page at the access's linear address
     * (when the instruction decoded; else the guest-physical address) */
    bool write = (exit->reason == EXIT_NPF && exit->npf.write) || exit->reason == EXIT_MMIO_WRITE;
    bool fetch = exit->reason == EXIT_NPF && exit->npf.exec;
    uint64_t addr = exit->reason == EXIT_NPF ? exit->npf.addr : exit->mmio.addr;
    if (v->arch.fault_cr2 != ~0ULL)
        addr = v->arch.fault_cr2;
    *q(v->arch.vmcb, S_CR2) = addr;
    inject_exception(v, 14, true, (write ? 2u : 0u) | (fetch ? 0x10u : 0u));
    return 0;
}

static void inject_ud(struct vcpu *v) { inject_exception(v, 6, false, 0); }
static void inject_gp(struct vcpu *v) { inject_exception(v, 13, true, 0); }

/* Before entry: re-inject an event whose delivery an exit interrupted,
 * else deliver the highest pending LAPIC interrupt if the guest can take
 * it, else ask for an exit when it can (virtual interrupt window). */
static void prepare_events(struct vcpu *v)
{
    void *vmcb = v->arch.vmcb;
    struct vlapic *l = v->arch.lapic;
    vlapic_timer_update(l, timer_now_ns());
    if (*q(vmcb, C_EVENTINJ) & EV_VALID)
        return;
    int vec = vlapic_pending(l);
    if (vec < 0)
        return;
    bool open = (*q(vmcb, S_RFLAGS) & RFLAGS_IF) && !(*q(vmcb, C_INT_SHADOW) & 1);
    if (open) {
        vlapic_accept(l, (uint8_t)vec);
        *q(vmcb, C_EVENTINJ) = (uint64_t)vec | EV_TYPE_INTR | EV_VALID;
        *q(vmcb, C_VINTR) &= ~VINTR_V_IRQ;
        *d(vmcb, C_INTERCEPT_MISC1) &= ~I_VINTR;
    } else {
        *q(vmcb, C_VINTR) |= VINTR_V_IRQ | VINTR_V_IGN_TPR | VINTR_PRIO(0xF) | VINTR_VECTOR(0);
        *d(vmcb, C_INTERCEPT_MISC1) |= I_VINTR;
    }
}

/* ---- exits finished here ---- */

static void do_cpuid(struct vcpu *v)
{
    uint32_t r[4];
    x86_cpuid_guest((uint32_t)reg_get(v, 0), (uint32_t)reg_get(v, 1), v->id, v->vm->nvcpu, r);
    reg_put(v, 0, r[0]);
    reg_put(v, 3, r[1]);
    reg_put(v, 1, r[2]);
    reg_put(v, 2, r[3]);
}

static void do_msr(struct vcpu *v, bool write)
{
    uint32_t msr = (uint32_t)reg_get(v, 1);
    uint64_t val = (reg_get(v, 0) & 0xffffffffULL) | (reg_get(v, 2) << 32);
    void *vmcb = v->arch.vmcb;
    uint64_t out = 0;
    switch (msr) {
    case MSR_EFER:
        if (write) {
            if (val & ~(uint64_t)(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)) {
                inject_gp(v);
                return;
            }
            /* LMA is the CPU's; SVME must stay set for VMRUN */
            uint64_t lma = *q(vmcb, S_EFER) & EFER_LMA;
            *q(vmcb, S_EFER) = (val & ~(uint64_t)EFER_LMA) | lma | EFER_SVME;
        } else {
            out = *q(vmcb, S_EFER) & ~(uint64_t)EFER_SVME;
        }
        break;
    case 0x1B: /* IA32_APIC_BASE */
        out = VLAPIC_BASE | (1u << 11) | (v->id == 0 ? (1u << 8) : 0);
        break;
    case 0x10: /* TSC */
        out = rdtsc() + *q(vmcb, C_TSC_OFFSET);
        break;
    case 0x277: /* PAT */
        if (write)
            *q(vmcb, S_PAT) = val;
        else
            out = *q(vmcb, S_PAT);
        break;
    default:
        if (v->arch.msr_logs < MAX_MSR_LOGS) {
            v->arch.msr_logs++;
            log_warn("vm%u vcpu%u: %s of unemulated MSR %#x at rip %#llx: %s%s", v->vm->id, v->id,
                     write ? "write" : "read", msr, (unsigned long long)vcpu_arch_pc(v),
                     write ? "ignored" : "read as zero",
                     v->arch.msr_logs == MAX_MSR_LOGS ? " (further MSR messages suppressed)" : "");
        }
        break;
    }
    if (!write) {
        reg_put(v, 0, out & 0xffffffffULL);
        reg_put(v, 2, out >> 32);
    }
    *q(vmcb, S_RIP) += 2;
}

/* ---- MMIO and the virtual LAPIC ---- */

static struct vcpu *vcpu_by_apic(struct vm *vm, uint32_t id) { return id < vm->nvcpu ? vm->vcpus[id] : NULL; }

static void send_fixed_ipi(struct vm *vm, struct vcpu *from, const struct vlapic_icr *icr)
{
    for (unsigned i = 0; i < vm->nvcpu; i++) {
        struct vcpu *t = vm->vcpus[i];
        bool hit = icr->shorthand == 0 ? i == icr->dest
                   : icr->shorthand == 1 ? t == from
                   : icr->shorthand == 2 ? true
                                          : t != from;
        if (!hit || !t)
            continue;
        vlapic_set_irr(&xvm(vm)->lapic[i], icr->vector);
        if (t != from)
            vcpu_kick(t);
    }
}

/* Returns true when the ICR write became an exit (SIPI -> CpuUp). */
static bool lapic_icr(struct vcpu *v, const struct vlapic_icr *icr, struct vcpu_exit *e)
{
    switch (icr->action) {
    case VLAPIC_ICR_FIXED:
        send_fixed_ipi(v->vm, v, icr);
        return false;
    case VLAPIC_ICR_SIPI:
        if (icr->shorthand != 0) {
            log_warn("vm%u vcpu%u: SIPI with a destination shorthand is not supported; ignored", v->vm->id, v->id);
            return false;
        }
        e->reason = EXIT_CPU_UP;
        e->cpu_up.target = icr->dest;
        e->cpu_up.entry = (uint64_t)icr->vector << 12;
        e->cpu_up.arg = 0;
        return true;
    case VLAPIC_ICR_INIT:
        /* vCPUs not yet started are in wait-for-SIPI already; INIT to a
         * running one (a reset) is not supported and ignored */
        if (icr->shorthand == 0 && vcpu_by_apic(v->vm, icr->dest) &&
            vm_cpu_power_state(v->vm, icr->dest) == VCPU_ON)
            log_debug("vm%u: INIT to running vCPU %u ignored", v->vm->id, icr->dest);
        return false;
    default:
        return false;
    }
}

static bool is_lapic(uint64_t gpa) { return (gpa & ~0xFFFULL) == VLAPIC_BASE; }

/* A nested page fault: MMIO (decode and emulate, or hand to the device
 * bus), or an access to nothing (fault injected by the common loop).
 * Returns true when there is an exit for the common loop. */
static bool handle_npf(struct vcpu *v, struct vcpu_exit *e)
{
    void *vmcb = v->arch.vmcb;
    uint64_t gpa = v->arch.exit_info2, info = v->arch.exit_info1;
    bool fetch = info & (1ULL << 4), write = info & 2;
    const struct as_region *r = as_find(&v->vm->as, gpa);
    bool emulated = (r && r->kind == AS_EMULATED) || is_lapic(gpa);
    v->arch.fault_cr2 = ~0ULL;

    uint64_t rip = *q(vmcb, S_RIP);
    /* the walk knows 4-level long-mode tables only: a guest with paging on
     * outside long mode (legacy or PAE 32-bit) cannot have its MMIO decoded */
    bool paging = *q(vmcb, S_CR0) & CR0_PG;
    bool walkable = !paging || (*q(vmcb, S_EFER) & EFER_LMA);
    uint8_t buf[X86_INSN_MAX];
    size_t got = 0;
    struct x86_insn *in = pending_insn(v);
    int dec = -AX_EFAULT;
    if (!fetch && walkable && x86_guest_fetch(&v->vm->as, *q(vmcb, S_CR3), paging, rip, buf, sizeof(buf), &got) == 0)
        dec = x86_decode(buf, got, in);
    uint64_t regs[16];
    regs_snapshot(v, regs);
    if (dec == 0) {
        uint64_t seg = in->seg == X86_SEG_FS ? *q(vmcb, S_FS + 8) : in->seg == X86_SEG_GS ? *q(vmcb, S_GS + 8) : 0;
        v->arch.fault_cr2 = x86_insn_addr(in, regs, rip + in->len, seg);
        v->arch.next_rip = rip + in->len;
    }

    if (!emulated || fetch) {
        e->reason = EXIT_NPF;
        e->npf.addr = gpa;
        e->npf.write = write;
        e->npf.exec = fetch;
        return true;
    }
    if (dec != 0) {
        e->reason = EXIT_FAIL_ENTRY;
        e->fail.why = got ? "MMIO access by an instruction the x86 decoder does not handle"
                          : "MMIO access at a RIP the hypervisor cannot read";
        return true;
    }
    bool is_store = in->kind != X86_MOV_LOAD;
    if (is_lapic(gpa)) {
        struct vlapic *l = v->arch.lapic;
        uint32_t off = (uint32_t)(gpa & 0xFFF);
        uint64_t now = timer_now_ns();
        *q(vmcb, S_RIP) = v->arch.next_rip;
        if (is_store) {
            struct vlapic_icr icr = vlapic_write(l, off, (uint32_t)x86_insn_store_value(in, regs), now);
            return lapic_icr(v, &icr, e);
        }
        uint64_t val = vlapic_read(l, off, now);
        reg_put(v, in->reg, x86_insn_load_result(in, reg_get(v, in->reg), val));
        return false;
    }
    e->reason = is_store ? EXIT_MMIO_WRITE : EXIT_MMIO_READ;
    e->mmio.addr = gpa;
    e->mmio.width = in->width;
    e->mmio.reg = X86_REG_PENDING;
    e->mmio.sign_ext = false; /* x86_insn_load_result extends and merges */
    e->mmio.reg64 = true;
    e->mmio.data = is_store ? x86_insn_store_value(in, regs) : 0;
    return true;
}

static bool handle_io(struct vcpu *v, struct vcpu_exit *e)
{
    uint64_t info = v->arch.exit_info1;
    unsigned width = (info & (1u << 4)) ? 1 : (info & (1u << 5)) ? 2 : 4;
    if (info & (1u << 2)) {
        /* INS/OUTS: not emulated; real devices for guests here need none */
        log_warn("vm%u vcpu%u: string port I/O at rip %#llx not supported; #GP injected", v->vm->id, v->id,
                 (unsigned long long)vcpu_arch_pc(v));
        inject_gp(v);
        return false;
    }
    v->arch.next_rip = v->arch.exit_info2; /* the CPU reports the next RIP here */
    bool in = info & 1;
    uint16_t port = (uint16_t)(info >> 16);
    /* The VM's power controls, at the ports QEMU's q35 uses, unless a
     * device of the VM claims them: ACPI PM1a_CNT (SLP_EN with SLP_TYP 0
     * is S5) and the reset control register (full reset). */
    if (!in && !devbus_find(&v->vm->bus, true, port, width)) {
        uint64_t val = reg_get(v, 0);
        if (port == X86_VM_PM1A_CNT && width >= 2 && (val & 0x2000) && ((val >> 10) & 7) == 0) {
            *q(v->arch.vmcb, S_RIP) = v->arch.next_rip;
            e->reason = EXIT_SYSTEM_DOWN;
            return true;
        }
        if (port == X86_VM_RESET_CTL && (val & 0x04)) {
            *q(v->arch.vmcb, S_RIP) = v->arch.next_rip;
            e->reason = EXIT_SYSTEM_RESET;
            return true;
        }
    }
    e->reason = in ? EXIT_IO_READ : EXIT_IO_WRITE;
    e->io.addr = (info >> 16) & 0xFFFF;
    e->io.width = width;
    e->io.data = in ? 0 : reg_get(v, 0) & (width == 4 ? 0xffffffffULL : (1ULL << (8 * width)) - 1);
    e->io.reg = X86_REG_PENDING;
    struct x86_insn *p = pending_insn(v);
    memset(p, 0, sizeof(*p));
    p->kind = X86_MOV_LOAD;
    p->width = p->reg_width = (uint8_t)width; /* IN writes al/ax/eax like a MOV load */
    p->reg = 0;
    return true;
}

static bool decode_exit(struct vcpu *v, struct vcpu_exit *e)
{
    void *vmcb = v->arch.vmcb;
    uint64_t code = v->arch.exit_code;
    switch (code) {
    case SVM_EXIT_VMMCALL:
        *q(vmcb, S_RIP) += 3;
        e->reason = EXIT_HYPERCALL;
        e->hc.nr = reg_get(v, 0);
        e->hc.args[0] = reg_get(v, 7);
        e->hc.args[1] = reg_get(v, 6);
        e->hc.args[2] = reg_get(v, 2);
        e->hc.args[3] = reg_get(v, 1);
        e->hc.args[4] = reg_get(v, 8);
        e->hc.args[5] = reg_get(v, 9);
        return true;
    case SVM_EXIT_CPUID:
        do_cpuid(v);
        *q(vmcb, S_RIP) += 2;
        return false;
    case SVM_EXIT_MSR:
        do_msr(v, v->arch.exit_info1 & 1);
        return false;
    case SVM_EXIT_HLT: {
        *q(vmcb, S_RIP) += 1;
        struct vlapic *l = v->arch.lapic;
        vlapic_timer_update(l, timer_now_ns());
        if (vlapic_pending(l) >= 0)
            return false;
        uint64_t dl = vlapic_timer_deadline(l);
        if (dl && dl <= timer_now_ns())
            return false; /* the timer's deadline has passed: HLT completes */
        e->reason = EXIT_HALT;
        e->halt.deadline_ns = dl;
        return true;
    }
    case SVM_EXIT_IOIO:
        return handle_io(v, e);
    case SVM_EXIT_NPF:
        return handle_npf(v, e);
    case SVM_EXIT_VINTR:
        *q(vmcb, C_VINTR) &= ~VINTR_V_IRQ;
        *d(vmcb, C_INTERCEPT_MISC1) &= ~I_VINTR;
        return false;
    case SVM_EXIT_SHUTDOWN:
        e->reason = EXIT_FAIL_ENTRY;
        e->fail.why = "triple fault (SHUTDOWN): the guest could not handle an exception";
        return true;
    case SVM_EXIT_INVALID:
    case 0xFFFFFFFFULL: /* QEMU stores VMEXIT_INVALID as a 32-bit -1 */
        e->reason = EXIT_FAIL_ENTRY;
        e->fail.why = "VMRUN refused the guest state (VMEXIT_INVALID)";
        return true;
    case SVM_EXIT_INIT:
    case SVM_EXIT_SMI:
    case SVM_EXIT_NMI:
        return false;
    case SVM_EXIT_INVD:
        *q(vmcb, S_RIP) += 2;
        return false;
    default:
        if (code >= 0x80 && code <= 0x8D) { /* SVM instructions, MONITOR/MWAIT, XSETBV... */
            inject_ud(v);
            return false;
        }
        e->reason = EXIT_FAIL_ENTRY;
        e->fail.why = "unexpected SVM exit code";
        log_error("vm%u vcpu%u: SVM exit code %#llx info1 %#llx info2 %#llx", v->vm->id, v->id,
                  (unsigned long long)code, (unsigned long long)v->arch.exit_info1,
                  (unsigned long long)v->arch.exit_info2);
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
        void *vmcb = v->arch.vmcb;
        prepare_events(v);
        /* the virtual LAPIC timer has no hardware behind it: make sure the
         * host timer brings the guest out when it is due */
        struct vlapic *lt = v->arch.lapic;
        sched_set_cpu_deadline(lt && lt->timer_counting ? vlapic_timer_deadline(lt) : 0);
        *((uint8_t *)vmcb + C_TLB_CTL) = v->arch.flush_tlb ? 3 : 0; /* 3: this guest's ASID */
        v->arch.flush_tlb = false;
        *d(vmcb, C_CLEAN) = 0; /* nothing cached: QEMU ignores clean bits anyway */
        svm_enter(v->arch.vmcb_pa, &v->arch.gprs, this_percpu()->host_vmcb_pa);
        v->stats.total_exits++;
        v->arch.exit_code = *q(vmcb, C_EXITCODE);
        v->arch.exit_info1 = *q(vmcb, C_EXITINFO1);
        v->arch.exit_info2 = *q(vmcb, C_EXITINFO2);
        v->arch.exit_int_info = *q(vmcb, C_EXITINTINFO);
        *q(vmcb, C_EVENTINJ) = 0;
        if (v->arch.exit_int_info & EV_VALID)
            *q(vmcb, C_EVENTINJ) = v->arch.exit_int_info; /* its delivery was interrupted: again */
        if (v->arch.exit_code == SVM_EXIT_INTR) {
            v->stats.exits[EXIT_EXT_IRQ]++;
            irq_enable(); /* the host interrupt is taken here */
            continue;
        }
        bool out = decode_exit(v, e);
        irq_enable();
        if (out)
            return;
    }
}

void vcpu_arch_dump(struct vcpu *v)
{
    void *vmcb = v->arch.vmcb;
    if (!vmcb)
        return;
    log_error("  rip %#llx rsp %#llx rflags %#llx exit %#llx info1 %#llx info2 %#llx",
              (unsigned long long)*q(vmcb, S_RIP), (unsigned long long)*q(vmcb, S_RSP),
              (unsigned long long)*q(vmcb, S_RFLAGS), (unsigned long long)v->arch.exit_code,
              (unsigned long long)v->arch.exit_info1, (unsigned long long)v->arch.exit_info2);
    log_error("  cr0 %#llx cr2 %#llx cr3 %#llx cr4 %#llx efer %#llx", (unsigned long long)*q(vmcb, S_CR0),
              (unsigned long long)*q(vmcb, S_CR2), (unsigned long long)*q(vmcb, S_CR3),
              (unsigned long long)*q(vmcb, S_CR4), (unsigned long long)*q(vmcb, S_EFER));
    static const char *const names[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                          "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
    for (unsigned i = 0; i < 16; i += 4)
        log_error("  %-3s %016llx %-3s %016llx %-3s %016llx %-3s %016llx", names[i],
                  (unsigned long long)reg_get(v, i), names[i + 1], (unsigned long long)reg_get(v, i + 1),
                  names[i + 2], (unsigned long long)reg_get(v, i + 2), names[i + 3],
                  (unsigned long long)reg_get(v, i + 3));
}
