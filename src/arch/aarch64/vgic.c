/* Virtual GIC for aarch64 guests, GICv3 and GICv2 (the guest gets the host's
 * version, since the CPU interface is the hardware's virtual one).
 *
 * The distributor (and, for v3, the redistributors) are emulated here as
 * MMIO devices; the CPU interface is the hardware's: GICv3 guests use the
 * ICC_* system registers backed by the ICH_* list registers, GICv2 guests get
 * the host's GICV frame mapped at their GICC address and the hypervisor
 * drives GICH. Interrupts waiting for a list register are kept in a per-vCPU
 * bitmap; when more are pending than there are list registers, the underflow
 * maintenance interrupt brings the vCPU back to refill them, so nothing is
 * lost. One lock per VM guards the model. */
#include "ax/axhal.h"
#include "ax/axvcpu_arch.h"
#include "ax/format.h"
#include "ax/heap.h"
#include "ax/log.h"
#include "ax/string.h"
#include "ax/vm.h"
#include "platform.h"
#include "sysreg.h"
#include "vgic.h"

/* ---- register layout ---- */
#define GICD_CTLR 0x000
#define GICD_TYPER 0x004
#define GICD_IIDR 0x008
#define GICD_TYPER2 0x00c
#define GICD_IGROUPR 0x080
#define GICD_ISENABLER 0x100
#define GICD_ICENABLER 0x180
#define GICD_ISPENDR 0x200
#define GICD_ICPENDR 0x280
#define GICD_ISACTIVER 0x300
#define GICD_ICACTIVER 0x380
#define GICD_IPRIORITYR 0x400
#define GICD_ITARGETSR 0x800
#define GICD_ICFGR 0xc00
#define GICD_IGRPMODR 0xd00
#define GICD_SGIR 0xf00
#define GICD_IROUTER 0x6000
#define GICD_PIDR2 0xffe8
#define GICR_CTLR 0x0000
#define GICR_IIDR 0x0004
#define GICR_TYPER 0x0008
#define GICR_WAKER 0x0014
#define GICR_PIDR2 0xffe8
#define GICR_SGI 0x10000
#define GICR_FRAME 0x20000
#define GICV2_CPU_SIZE 0x2000
#define IIDR_VALUE 0x0000043b /* implementer Arm */

/* ICH_* (GICv3 hypervisor interface) */
#define ICH_AP0R0_EL2 "s3_4_c12_c8_0"
#define ICH_AP1R0_EL2 "s3_4_c12_c9_0"
#define ICH_HCR_EL2 "s3_4_c12_c11_0"
#define ICH_VTR_EL2 "s3_4_c12_c11_1"
#define ICH_MISR_EL2 "s3_4_c12_c11_2"
#define ICH_EISR_EL2 "s3_4_c12_c11_3"
#define ICH_ELRSR_EL2 "s3_4_c12_c11_5"
#define ICH_VMCR_EL2 "s3_4_c12_c11_7"
#define ICH_HCR_EN (1ULL << 0)
#define ICH_HCR_UIE (1ULL << 1)
#define LR3_STATE_PENDING (1ULL << 62)
#define LR3_GROUP1 (1ULL << 60)
#define LR3_EOI (1ULL << 41)
/* GICH (GICv2 hypervisor interface) */
#define GICH_HCR 0x00
#define GICH_VTR 0x04
#define GICH_VMCR 0x08
#define GICH_EISR0 0x20
#define GICH_ELRSR0 0x30
#define GICH_APR 0xf0
#define GICH_LR0 0x100
#define LR2_STATE_PENDING (1U << 28)
#define LR2_GROUP1 (1U << 30)
#define LR2_EOI (1U << 19)

static unsigned hw_version;   /* host GIC version */
static unsigned hw_nr_lr;
static uintptr_t gich_base;
static paddr_t gicv_phys;

/* ---- list register access ---- */

static uint64_t ich_lr_read(unsigned n)
{
    switch (n) {
#define R(i, e) case i: return read_sysreg_s(e);
    R(0, "s3_4_c12_c12_0") R(1, "s3_4_c12_c12_1") R(2, "s3_4_c12_c12_2") R(3, "s3_4_c12_c12_3")
    R(4, "s3_4_c12_c12_4") R(5, "s3_4_c12_c12_5") R(6, "s3_4_c12_c12_6") R(7, "s3_4_c12_c12_7")
    R(8, "s3_4_c12_c13_0") R(9, "s3_4_c12_c13_1") R(10, "s3_4_c12_c13_2") R(11, "s3_4_c12_c13_3")
    R(12, "s3_4_c12_c13_4") R(13, "s3_4_c12_c13_5") R(14, "s3_4_c12_c13_6") R(15, "s3_4_c12_c13_7")
#undef R
    default: return 0;
    }
}

static void ich_lr_write(unsigned n, uint64_t v)
{
    switch (n) {
#define W(i, e) case i: write_sysreg_s(e, v); break;
    W(0, "s3_4_c12_c12_0") W(1, "s3_4_c12_c12_1") W(2, "s3_4_c12_c12_2") W(3, "s3_4_c12_c12_3")
    W(4, "s3_4_c12_c12_4") W(5, "s3_4_c12_c12_5") W(6, "s3_4_c12_c12_6") W(7, "s3_4_c12_c12_7")
    W(8, "s3_4_c12_c13_0") W(9, "s3_4_c12_c13_1") W(10, "s3_4_c12_c13_2") W(11, "s3_4_c12_c13_3")
    W(12, "s3_4_c12_c13_4") W(13, "s3_4_c12_c13_5") W(14, "s3_4_c12_c13_6") W(15, "s3_4_c12_c13_7")
#undef W
    default: break;
    }
}

static uint64_t lr_read(unsigned n)
{
    return hw_version == 3 ? ich_lr_read(n) : mmio_read32(gich_base + GICH_LR0 + 4 * n);
}

static void lr_write(unsigned n, uint64_t v)
{
    if (hw_version == 3)
        ich_lr_write(n, v);
    else
        mmio_write32(gich_base + GICH_LR0 + 4 * n, (uint32_t)v);
}

static uint64_t elrsr_read(void)
{
    if (hw_version == 3)
        return read_sysreg_s(ICH_ELRSR_EL2);
    return mmio_read32(gich_base + GICH_ELRSR0) | ((uint64_t)mmio_read32(gich_base + GICH_ELRSR0 + 4) << 32);
}

/* List registers whose interrupt the guest has EOId and that asked for a
 * maintenance interrupt on EOI: not "empty" in ELRSR until we clear them. */
static uint64_t eisr_read(void)
{
    if (hw_version == 3)
        return read_sysreg_s(ICH_EISR_EL2);
    return mmio_read32(gich_base + GICH_EISR0) | ((uint64_t)mmio_read32(gich_base + GICH_EISR0 + 4) << 32);
}

static void hcr_write(uint64_t v)
{
    if (!hw_version || (hw_version == 2 && !gich_base))
        return; /* no virtualization interface: nothing to program */
    if (hw_version == 3)
        write_sysreg_s(ICH_HCR_EL2, v);
    else
        mmio_write32(gich_base + GICH_HCR, (uint32_t)v);
}

/* ---- host side set-up ---- */

static void maint_handler(unsigned irq, void *arg)
{
    (void)irq;
    (void)arg;
    /* Nothing to do: the exit it caused makes vgic_sync/flush run, which
     * clears the underflow request that raised it. */
    hcr_write(ICH_HCR_EN);
}

static void vtimer_handler(unsigned irq, void *arg)
{
    (void)arg;
    /* The guest's virtual timer fired while its vCPU was loaded here: mask
     * it at the timer (the guest unmasks when it reprograms) and give the
     * guest its PPI. */
    uint64_t ctl = read_sysreg(cntv_ctl_el0);
    write_sysreg(cntv_ctl_el0, ctl | 2);
    isb();
    struct vcpu *v = this_percpu()->loaded_vcpu;
    if (v)
        v->arch.vtimer_hv_masked = true;
    if (v && v->vm->vintc)
        vgic_inject_private(v, irq);
}

int vgic_host_init(const struct fdt_platform *p)
{
    hw_version = gic_version();
    if (hw_version == 3) {
        hw_nr_lr = (unsigned)(read_sysreg_s(ICH_VTR_EL2) & 0x1f) + 1;
    } else {
        if (!p->intc.has_gich || !p->intc.has_gicv) {
            log_warn("vgic: GICv2 without GICH/GICV in the DTB; guests get no interrupt controller");
            return -AX_ENOENT;
        }
        gich_base = (uintptr_t)p->intc.gich.base;
        gicv_phys = p->intc.gicv.base;
        hw_nr_lr = (mmio_read32(gich_base + GICH_VTR) & 0x3f) + 1;
    }
    if (hw_nr_lr > VGIC_MAX_LR)
        hw_nr_lr = VGIC_MAX_LR;
    uint32_t maint = p->intc.maint_intid != FDT_IRQ_NONE ? p->intc.maint_intid : 25;
    irq_register(maint, maint_handler, NULL);
    uint32_t vt = p->timer.present && p->timer.virt_intid != FDT_IRQ_NONE ? p->timer.virt_intid : 27;
    irq_register(vt, vtimer_handler, NULL);
    log_info("vgic: GICv%u guests, %u list registers, maintenance INTID %u, virtual timer INTID %u", hw_version,
             hw_nr_lr, maint, vt);
    return 0;
}

/* ---- the model ---- */

static struct virq *irq_of(struct vgic *g, unsigned vcpu, uint32_t intid)
{
    if (intid < 32)
        return vcpu < g->ncpu ? &g->cpu[vcpu].priv[intid] : NULL;
    if (intid < 32 + VGIC_NR_SPIS)
        return &g->spi[intid - 32];
    return NULL;
}

static unsigned spi_target(struct vgic *g, const struct virq *q)
{
    unsigned t;
    if (g->version == 3)
        t = (unsigned)(q->irouter & 0xff); /* Aff0 = vCPU index */
    else
        t = q->targets ? (unsigned)__builtin_ctz(q->targets) : 0;
    return t < g->ncpu ? t : 0;
}

/* If the interrupt can be delivered, queue it for its vCPU. Lock held.
 * Returns the vCPU to kick or -1. */
static int update(struct vgic *g, unsigned vcpu, uint32_t intid)
{
    struct virq *q = irq_of(g, vcpu, intid);
    if (!q)
        return -1;
    bool want = (q->pending || (!q->edge && q->level)) && q->enabled && q->lr < 0;
    unsigned t = intid < 32 ? vcpu : spi_target(g, q);
    struct vgic_cpu *c = &g->cpu[t];
    if (intid >= 32 && q->queued_on >= 0 && (unsigned)q->queued_on != t) {
        /* retargeted while waiting: move it */
        g->cpu[q->queued_on].pend[intid / 64] &= ~(1ULL << (intid % 64));
        q->queued_on = -1;
    }
    if (want) {
        c->pend[intid / 64] |= 1ULL << (intid % 64);
        q->queued_on = (int8_t)t;
        return (int)t;
    }
    c->pend[intid / 64] &= ~(1ULL << (intid % 64));
    q->queued_on = -1;
    return -1;
}

static void kick(struct vgic *g, int t)
{
    if (t >= 0 && (unsigned)t < g->ncpu && g->vm->vcpus[t])
        vcpu_kick(g->vm->vcpus[t]);
}

void vgic_inject_private(struct vcpu *v, uint32_t intid)
{
    struct vgic *g = v->vm->vintc;
    if (!g || intid >= 32)
        return;
    unsigned long f = spin_lock_irqsave(&g->lock);
    g->cpu[v->id].priv[intid].pending = true;
    int t = update(g, v->id, intid);
    spin_unlock_irqrestore(&g->lock, f);
    /* the vCPU is the one running here for the timer; for SGIs kick it */
    if (t >= 0 && v != vcpu_current())
        kick(g, t);
}

static void inject_sgi(struct vgic *g, unsigned src, unsigned target, uint32_t intid)
{
    unsigned long f = spin_lock_irqsave(&g->lock);
    struct virq *q = &g->cpu[target].priv[intid];
    q->pending = true;
    g->cpu[target].sgi_src[intid] = (uint8_t)src;
    int t = update(g, target, intid);
    spin_unlock_irqrestore(&g->lock, f);
    kick(g, t);
}

/* Devices drive SPIs as levels (PL011, virtio). */
void vm_irq_set_level(struct vm *vm, uint32_t intid, bool level)
{
    struct vgic *g = vm->vintc;
    if (!g || intid < 32 || intid >= 32 + VGIC_NR_SPIS)
        return;
    unsigned long f = spin_lock_irqsave(&g->lock);
    struct virq *q = &g->spi[intid - 32];
    if (q->edge && level && !q->level)
        q->pending = true;
    q->level = level;
    int t = update(g, 0, intid);
    spin_unlock_irqrestore(&g->lock, f);
    kick(g, t);
}

bool vgic_vcpu_pending(struct vcpu *v)
{
    struct vgic *g = v->vm->vintc;
    if (!g)
        return false;
    struct vgic_cpu *c = &g->cpu[v->id];
    if (c->pend[0] | c->pend[1])
        return true;
    /* an interrupt still pending in a list register also ends WFI */
    for (unsigned n = 0; n < hw_nr_lr; n++) {
        if (!(c->lr_used & (1u << n)))
            continue;
        uint64_t lr = v->arch.loaded ? lr_read(n) : c->lr_saved[n];
        if (hw_version == 3 ? (lr & LR3_STATE_PENDING) : (lr & LR2_STATE_PENDING))
            return true;
    }
    return false;
}

/* Before entering the guest (interrupts off, vCPU loaded): move waiting
 * interrupts into free list registers, highest priority first. */
void vgic_flush(struct vcpu *v)
{
    struct vgic *g = v->vm->vintc;
    if (!g)
        return;
    struct vgic_cpu *c = &g->cpu[v->id];
    if (!(__atomic_load_n(&c->pend[0], __ATOMIC_RELAXED) | __atomic_load_n(&c->pend[1], __ATOMIC_RELAXED)))
        return;
    spin_lock(&g->lock);
    bool overflow = false;
    for (;;) {
        if (!(c->pend[0] | c->pend[1]))
            break;
        /* highest priority (lowest value) waiting interrupt */
        int best = -1;
        unsigned best_prio = 0x100;
        for (unsigned w = 0; w < 2; w++) {
            uint64_t bits = c->pend[w];
            while (bits) {
                unsigned intid = w * 64 + (unsigned)__builtin_ctzll(bits);
                bits &= bits - 1;
                struct virq *q = irq_of(g, v->id, intid);
                if (q && q->prio < best_prio) {
                    best_prio = q->prio;
                    best = (int)intid;
                }
            }
        }
        if (best < 0)
            break;
        unsigned free_lr = hw_nr_lr;
        for (unsigned n = 0; n < hw_nr_lr; n++)
            if (!(c->lr_used & (1u << n))) {
                free_lr = n;
                break;
            }
        if (free_lr == hw_nr_lr) {
            /* All full: a waiting interrupt more urgent than one that is
             * only pending in a list register takes its place (the evicted
             * one goes back to waiting), as a real GIC would deliver it. */
            unsigned victim = hw_nr_lr, victim_prio = best_prio;
            for (unsigned n = 0; n < hw_nr_lr; n++) {
                uint64_t lr = lr_read(n);
                bool pending_only = hw_version == 3 ? (lr >> 62) == 1 : ((lr >> 28) & 3) == 1;
                struct virq *lq = irq_of(g, v->id, c->lr_intid[n]);
                if (pending_only && lq && lq->prio > victim_prio) {
                    victim_prio = lq->prio;
                    victim = n;
                }
            }
            if (victim == hw_nr_lr) {
                overflow = true;
                break;
            }
            struct virq *vq = irq_of(g, v->id, c->lr_intid[victim]);
            lr_write(victim, 0);
            c->lr_used &= ~(1u << victim);
            vq->lr = -1;
            vq->pending = true;
            update(g, v->id, c->lr_intid[victim]);
            free_lr = victim;
            overflow = true; /* the evicted one needs a list register again */
        }
        struct virq *q = irq_of(g, v->id, (uint32_t)best);
        c->pend[best / 64] &= ~(1ULL << (best % 64));
        q->queued_on = -1;
        q->pending = false; /* now the list register holds the pending state */
        q->lr = (int8_t)free_lr;
        q->lr_vcpu = (uint8_t)v->id;
        c->lr_used |= 1u << free_lr;
        c->lr_intid[free_lr] = (uint16_t)best;
        uint64_t lr;
        if (hw_version == 3) {
            lr = LR3_STATE_PENDING | ((uint64_t)q->prio << 48) | (uint32_t)best;
            if (q->group1 || g->version == 3)
                lr |= LR3_GROUP1;
            if (!q->edge)
                lr |= LR3_EOI;
        } else {
            lr = LR2_STATE_PENDING | ((uint64_t)(q->prio >> 3) << 23) | (uint32_t)best;
            if (q->group1)
                lr |= LR2_GROUP1;
            if (!q->edge)
                lr |= LR2_EOI;
            if (best < 16)
                lr |= (uint64_t)(c->sgi_src[best] & 7) << 10;
        }
        lr_write(free_lr, lr);
        g->stats_injected++;
    }
    spin_unlock(&g->lock);
    /* more waiting than list registers: ask for a maintenance interrupt
     * when they drain so the rest follow */
    hcr_write(overflow ? (ICH_HCR_EN | ICH_HCR_UIE) : ICH_HCR_EN);
    if (overflow)
        g->stats_overflows++;
}

/* After an exit (interrupts off, vCPU loaded): retire list registers the
 * guest has finished with; a level interrupt whose line is still high is
 * queued again. */
void vgic_sync(struct vcpu *v)
{
    struct vgic *g = v->vm->vintc;
    if (!g)
        return;
    struct vgic_cpu *c = &g->cpu[v->id];
    if (!c->lr_used)
        return;
    uint64_t empty = elrsr_read() | eisr_read();
    uint32_t done = c->lr_used & (uint32_t)empty;
    if (!done)
        return;
    spin_lock(&g->lock);
    int kick_t = -1;
    while (done) {
        unsigned n = (unsigned)__builtin_ctz(done);
        done &= done - 1;
        uint32_t intid = c->lr_intid[n];
        c->lr_used &= ~(1u << n);
        lr_write(n, 0); /* an empty LR with its EOI bit set would keep the maintenance IRQ asserted */
        struct virq *q = irq_of(g, v->id, intid);
        if (!q)
            continue;
        q->lr = -1;
        if (q->host_intid)
            irq_set_enabled(q->host_intid, true); /* the guest is done: the device may interrupt again */
        int t = update(g, v->id, intid);
        if (t >= 0 && (unsigned)t != v->id)
            kick_t = t;
    }
    spin_unlock(&g->lock);
    hcr_write(ICH_HCR_EN);
    kick(g, kick_t);
}

/* vCPU switch: the list registers and the virtual CPU interface state are
 * per physical CPU, so they travel with the vCPU. */
void vgic_save(struct vcpu *v)
{
    struct vgic *g = v->vm->vintc;
    if (!g || !hw_nr_lr)
        return;
    struct vgic_cpu *c = &g->cpu[v->id];
    for (unsigned n = 0; n < hw_nr_lr; n++) {
        c->lr_saved[n] = (c->lr_used & (1u << n)) ? lr_read(n) : 0;
        lr_write(n, 0);
    }
    if (hw_version == 3) {
        c->vmcr = read_sysreg_s(ICH_VMCR_EL2);
        c->apr0 = read_sysreg_s(ICH_AP0R0_EL2);
        c->apr1 = read_sysreg_s(ICH_AP1R0_EL2);
    } else {
        c->vmcr = mmio_read32(gich_base + GICH_VMCR);
        c->apr0 = mmio_read32(gich_base + GICH_APR);
    }
    hcr_write(0);
}

void vgic_restore(struct vcpu *v)
{
    struct vgic *g = v->vm->vintc;
    if (!g || !hw_nr_lr) {
        hcr_write(0);
        return;
    }
    struct vgic_cpu *c = &g->cpu[v->id];
    if (hw_version == 3) {
        write_sysreg_s(ICH_VMCR_EL2, c->vmcr);
        write_sysreg_s(ICH_AP0R0_EL2, c->apr0);
        write_sysreg_s(ICH_AP1R0_EL2, c->apr1);
    } else {
        mmio_write32(gich_base + GICH_VMCR, (uint32_t)c->vmcr);
        mmio_write32(gich_base + GICH_APR, (uint32_t)c->apr0);
    }
    for (unsigned n = 0; n < hw_nr_lr; n++)
        lr_write(n, (c->lr_used & (1u << n)) ? c->lr_saved[n] : 0);
    hcr_write(ICH_HCR_EN);
}

/* ---- guest-visible registers ---- */

/* Bit-per-interrupt registers: 32 interrupts per word starting at base. */
static uint32_t bits_read(struct vgic *g, unsigned vcpu, uint32_t base, unsigned reg)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < 32; i++) {
        struct virq *q = irq_of(g, vcpu, base + i);
        if (!q)
            continue;
        bool b = false;
        switch (reg) {
        case GICD_IGROUPR: b = q->group1; break;
        case GICD_ISENABLER:
        case GICD_ICENABLER: b = q->enabled; break;
        case GICD_ISPENDR:
        case GICD_ICPENDR: b = q->pending || (!q->edge && q->level) || q->lr >= 0; break;
        case GICD_ISACTIVER:
        case GICD_ICACTIVER: b = false; break; /* active state lives in the list registers */
        }
        v |= (uint32_t)b << i;
    }
    return v;
}

static int bits_write(struct vgic *g, unsigned vcpu, uint32_t base, unsigned reg, uint32_t val)
{
    int kick_t = -1;
    for (unsigned i = 0; i < 32; i++) {
        struct virq *q = irq_of(g, vcpu, base + i);
        if (!q)
            continue;
        bool bit = (val >> i) & 1;
        switch (reg) {
        case GICD_IGROUPR: q->group1 = bit; break;
        case GICD_ISENABLER: if (bit) q->enabled = true; break;
        case GICD_ICENABLER: if (bit) q->enabled = false; break;
        case GICD_ISPENDR: if (bit) q->pending = true; break;
        case GICD_ICPENDR: if (bit) q->pending = false; break;
        default: break;
        }
        if (bit || reg == GICD_IGROUPR) {
            int t = update(g, vcpu, base + i);
            if (t >= 0)
                kick_t = t;
        }
    }
    return kick_t;
}

/* Shared by GICD (SPIs; and 0-31 for GICv2) and GICR's SGI frame. */
static int dist_regs(struct vgic *g, unsigned vcpu, uint64_t off, unsigned width, bool write, uint64_t *val,
                     uint32_t first, uint32_t limit, int *kick_t)
{
    if (off >= GICD_IGROUPR && off < GICD_IPRIORITYR) {
        if (width != 4)
            return -AX_EINVAL;
        unsigned reg = (unsigned)(off & ~0x7fULL);
        uint32_t base = (uint32_t)(off - reg) * 8;
        if (base < first || base >= limit) {
            if (!write)
                *val = 0;
            return 0;
        }
        if (write)
            *kick_t = bits_write(g, vcpu, base, reg, (uint32_t)*val);
        else
            *val = bits_read(g, vcpu, base, reg);
        return 0;
    }
    if (off >= GICD_IPRIORITYR && off < GICD_IPRIORITYR + 1020) {
        uint32_t base = (uint32_t)(off - GICD_IPRIORITYR);
        if (!write)
            *val = 0;
        for (unsigned i = 0; i < width; i++) {
            if (base + i < first || base + i >= limit)
                continue;
            struct virq *q = irq_of(g, vcpu, base + i);
            if (!q)
                continue;
            if (write)
                q->prio = (uint8_t)(*val >> (8 * i));
            else
                *val |= (uint64_t)q->prio << (8 * i);
        }
        return 0;
    }
    if (off >= GICD_ICFGR && off < GICD_ICFGR + 0x100) {
        if (width != 4)
            return -AX_EINVAL;
        uint32_t base = (uint32_t)(off - GICD_ICFGR) * 4;
        if (!write)
            *val = 0;
        for (unsigned i = 0; i < 16; i++) {
            if (base + i < first || base + i >= limit)
                continue;
            struct virq *q = irq_of(g, vcpu, base + i);
            if (!q || base + i < 16)
                continue; /* SGIs are always edge */
            if (write && !q->host_intid)
                q->edge = (*val >> (2 * i + 1)) & 1;
            else
                *val |= (uint64_t)q->edge << (2 * i + 1);
        }
        if (!write)
            *val |= base < 16 ? 0xaaaaaaaaULL : 0; /* SGIs read as edge */
        return 0;
    }
    if (!write)
        *val = 0;
    return 1; /* not a shared register */
}

static void log_unhandled(struct vgic *g, const char *what, uint64_t off, bool write)
{
    if (g->bad_logs < 8) {
        g->bad_logs++;
        log_warn("vm%u vgic: %s of unimplemented %s register %#llx: read as zero, write ignored", g->vm->id,
                 write ? "write" : "read", what, (unsigned long long)off);
    }
}

static unsigned this_vcpu_id(struct vgic *g)
{
    struct vcpu *v = vcpu_current();
    return v && v->vm == g->vm ? v->id : 0;
}

static void sgir_write(struct vgic *g, uint32_t val)
{
    unsigned src = this_vcpu_id(g);
    uint32_t intid = val & 0xf;
    unsigned filter = (val >> 24) & 3;
    uint32_t targets = (val >> 16) & 0xff;
    if (filter == 1)
        targets = ((1u << g->ncpu) - 1) & ~(1u << src);
    else if (filter == 2)
        targets = 1u << src;
    for (unsigned t = 0; t < g->ncpu; t++)
        if (targets & (1u << t))
            inject_sgi(g, src, t, intid);
}

static int gicd_access(struct emu_dev *d, uint64_t off, unsigned width, bool write, uint64_t *val)
{
    struct vgic *g = d->priv;
    unsigned vcpu = this_vcpu_id(g);
    int kick_t = -1;
    if (g->version == 2 && write && off == GICD_SGIR && width == 4) {
        sgir_write(g, (uint32_t)*val);
        return 0;
    }
    unsigned long f = spin_lock_irqsave(&g->lock);
    int rc = 0;
    /* with affinity routing (v3) the first 32 interrupts live in the GICR */
    uint32_t first = g->version == 3 ? 32 : 0;
    int r = dist_regs(g, vcpu, off, width, write, val, first, 32 + VGIC_NR_SPIS, &kick_t);
    if (r == 1) {
        switch (off) {
        case GICD_CTLR:
            if (write)
                g->ctlr = (uint32_t)*val & 0x3; /* the two group enables */
            else
                *val = g->ctlr | (g->version == 3 ? (1u << 4) | (1u << 6) : 0); /* ARE, DS */
            break;
        case GICD_TYPER:
            if (!write)
                *val = ((32 + VGIC_NR_SPIS) / 32 - 1) | ((uint64_t)(g->ncpu - 1) << 5) |
                       (g->version == 3 ? (9ULL << 19) : 0);
            break;
        case GICD_IIDR:
            if (!write)
                *val = IIDR_VALUE;
            break;
        case GICD_TYPER2:
            break;
        case GICD_PIDR2:
            if (!write)
                *val = g->version == 3 ? 0x3b : 0x2b;
            break;
        default:
            if (g->version == 2 && off >= GICD_ITARGETSR && off < GICD_ITARGETSR + 32 + VGIC_NR_SPIS) {
                uint32_t base = (uint32_t)(off - GICD_ITARGETSR);
                for (unsigned i = 0; i < width; i++) {
                    struct virq *q = irq_of(g, vcpu, base + i);
                    if (!q)
                        continue;
                    if (base + i < 32) {
                        if (!write)
                            *val |= (uint64_t)(1u << vcpu) << (8 * i);
                    } else if (write) {
                        q->targets = (uint8_t)(*val >> (8 * i)) & (uint8_t)((1u << g->ncpu) - 1);
                        int t = update(g, vcpu, base + i);
                        if (t >= 0)
                            kick_t = t;
                    } else {
                        *val |= (uint64_t)q->targets << (8 * i);
                    }
                }
            } else if (g->version == 3 && off >= GICD_IROUTER + 8 * 32 && off < GICD_IROUTER + 8 * (32 + VGIC_NR_SPIS) &&
                       (width == 8 || width == 4)) {
                uint32_t intid = (uint32_t)((off - GICD_IROUTER) / 8);
                struct virq *q = irq_of(g, vcpu, intid);
                unsigned shift = (off & 4) ? 32 : 0;
                if (write) {
                    uint64_t mask = width == 8 ? ~0ULL : 0xffffffffULL << shift;
                    q->irouter = (q->irouter & ~mask) | ((*val << shift) & mask);
                    int t = update(g, vcpu, intid);
                    if (t >= 0)
                        kick_t = t;
                } else {
                    *val = width == 8 ? q->irouter : (q->irouter >> shift) & 0xffffffffULL;
                }
            } else if (off >= GICD_IGRPMODR && off < GICD_IGRPMODR + 0x80) {
                /* group modifier: one security state, reads as zero */
            } else {
                log_unhandled(g, "distributor", off, write);
            }
        }
    } else if (r < 0) {
        rc = r;
    }
    spin_unlock_irqrestore(&g->lock, f);
    kick(g, kick_t);
    return rc;
}

static int gicd_read(struct emu_dev *d, uint64_t off, unsigned width, uint64_t *val)
{
    return gicd_access(d, off, width, false, val);
}
static int gicd_write(struct emu_dev *d, uint64_t off, unsigned width, uint64_t val)
{
    return gicd_access(d, off, width, true, &val);
}

static int gicr_access(struct emu_dev *d, uint64_t off, unsigned width, bool write, uint64_t *val)
{
    struct vgic *g = d->priv;
    unsigned vcpu = (unsigned)(off / GICR_FRAME);
    uint64_t o = off % GICR_FRAME;
    if (vcpu >= g->ncpu)
        return -AX_EINVAL;
    struct vgic_cpu *c = &g->cpu[vcpu];
    int kick_t = -1, rc = 0;
    unsigned long f = spin_lock_irqsave(&g->lock);
    if (o >= GICR_SGI) {
        int r = dist_regs(g, vcpu, o - GICR_SGI, width, write, val, 0, 32, &kick_t);
        if (r == 1 && !(o - GICR_SGI >= GICD_IGRPMODR && o - GICR_SGI < GICD_IGRPMODR + 4))
            log_unhandled(g, "redistributor SGI", o, write);
        else if (r < 0)
            rc = r;
    } else {
        if (!write)
            *val = 0;
        switch (o) {
        case GICR_CTLR:
            break; /* no LPIs: nothing to enable, reads as zero */
        case GICR_IIDR:
            if (!write)
                *val = IIDR_VALUE;
            break;
        case GICR_TYPER:
        case GICR_TYPER + 4: {
            uint64_t typer = ((uint64_t)vcpu << 32) | ((uint64_t)vcpu << 8) | (vcpu == g->ncpu - 1 ? 1u << 4 : 0);
            if (!write)
                *val = width == 8 ? typer : (o == GICR_TYPER ? typer & 0xffffffff : typer >> 32);
            break;
        }
        case GICR_WAKER:
            if (write)
                c->waker_asleep = (*val >> 1) & 1;
            else
                *val = c->waker_asleep ? (1u << 1) | (1u << 2) : 0;
            break;
        case GICR_PIDR2:
            if (!write)
                *val = 0x3b;
            break;
        default:
            log_unhandled(g, "redistributor", o, write);
        }
    }
    spin_unlock_irqrestore(&g->lock, f);
    kick(g, kick_t);
    return rc;
}

static int gicr_read(struct emu_dev *d, uint64_t off, unsigned width, uint64_t *val)
{
    return gicr_access(d, off, width, false, val);
}
static int gicr_write(struct emu_dev *d, uint64_t off, unsigned width, uint64_t val)
{
    return gicr_access(d, off, width, true, &val);
}

static void vgic_dev_destroy(struct emu_dev *d)
{
    /* the GICD device owns the model; the GICR device shares it */
    if (d->ops->read == gicd_read) {
        struct vgic *g = d->priv;
        for (unsigned i = 0; i < g->npt; i++)
            irq_unregister(g->pt[i].intid);
        g->vm->vintc = NULL;
        kfree(g);
    }
    d->priv = NULL;
}

static const struct emu_dev_ops gicd_ops = {.read = gicd_read, .write = gicd_write, .destroy = vgic_dev_destroy};
static const struct emu_dev_ops gicr_ops = {.read = gicr_read, .write = gicr_write, .destroy = vgic_dev_destroy};

/* ICC_SGI1R_EL1 / ICC_ASGI1R_EL1 / ICC_SGI0R_EL1 writes (GICv3 guests) trap
 * here: deliver the SGI to the named vCPUs. */
void vgic_sgi1r_write(struct vcpu *v, uint64_t val)
{
    struct vgic *g = v->vm->vintc;
    if (!g)
        return;
    uint32_t intid = (val >> 24) & 0xf;
    if (val & (1ULL << 40)) { /* IRM: everyone but us */
        for (unsigned t = 0; t < g->ncpu; t++)
            if (t != v->id)
                inject_sgi(g, v->id, t, intid);
        return;
    }
    /* our vCPUs have Aff0 = index and Aff1..3 = 0 */
    if ((val >> 16 & 0xff) || (val >> 32 & 0xff) || (val >> 48 & 0xff))
        return;
    unsigned rs = (val >> 44) & 0xf;
    for (unsigned bit = 0; bit < 16; bit++) {
        unsigned t = rs * 16 + bit;
        if ((val & (1u << bit)) && t < g->ncpu)
            inject_sgi(g, v->id, t, intid);
    }
}

static struct emu_dev *new_dev(const char *name, uint64_t base, uint64_t size, const struct emu_dev_ops *ops,
                               struct vgic *g)
{
    struct emu_dev *d = kzalloc(sizeof(*d));
    if (!d)
        return NULL;
    size_t n = strlen(name);
    memcpy(d->name, name, n < sizeof(d->name) - 1 ? n : sizeof(d->name) - 1);
    d->base = base;
    d->size = size;
    d->ops = ops;
    d->priv = g;
    return d;
}

/* type 0x1 device at gpa: GICD at gpa; GICv3 redistributors at cfg[0] or
 * gpa + 0xa0000; GICv2 CPU interface at cfg[0] or gpa + 0x10000 (QEMU virt's
 * layout), backed by the host's GICV frame. */
int vgic_create(struct vm *vm, const struct vm_emu_device *cfg, char *err, size_t errlen)
{
    if (!hw_version || (hw_version == 2 && !gich_base)) {
        ax_snprintf(err, errlen, "interrupt controller '%s': the host GIC offers no virtualization interface", cfg->name);
        return -AX_ENOSYS;
    }
    if (vm->vintc) {
        ax_snprintf(err, errlen, "interrupt controller '%s': the VM already has one", cfg->name);
        return -AX_EEXIST;
    }
    if (cfg->size < 0x10000) {
        ax_snprintf(err, errlen, "interrupt controller '%s': distributor window %#llx is smaller than 0x10000",
                    cfg->name, (unsigned long long)cfg->size);
        return -AX_EINVAL;
    }
    struct vgic *g = kzalloc(sizeof(*g));
    if (!g) {
        ax_snprintf(err, errlen, "interrupt controller: out of memory");
        return -AX_ENOMEM;
    }
    g->vm = vm;
    g->version = hw_version;
    g->ncpu = vm->nvcpu;
    g->gicd_base = cfg->gpa;
    g->lock = (spinlock_t)SPINLOCK_INIT;
    for (unsigned i = 0; i < VGIC_NR_SPIS; i++) {
        g->spi[i].lr = -1;
        g->spi[i].queued_on = -1;
        g->spi[i].targets = 1;
    }
    for (unsigned c = 0; c < g->ncpu; c++)
        for (unsigned i = 0; i < 32; i++) {
            struct virq *q = &g->cpu[c].priv[i];
            q->lr = -1;
            q->queued_on = -1;
            q->edge = i < 16;
            q->enabled = i < 16; /* SGIs are always enabled on GICv2 */
        }
    struct emu_dev *gicd = new_dev("gicd", cfg->gpa, 0x10000, &gicd_ops, g);
    if (!gicd) {
        kfree(g);
        ax_snprintf(err, errlen, "interrupt controller: out of memory");
        return -AX_ENOMEM;
    }
    vm->vintc = g;
    int rc = vm_add_emu_dev(vm, gicd, cfg->type, err, errlen); /* frees g on failure via destroy */
    if (rc) {
        vm->vintc = NULL;
        return rc;
    }
    if (g->version == 3) {
        g->gicr_base = cfg->cfg_num > 0 ? cfg->cfg[0] : cfg->gpa + 0xa0000;
        struct emu_dev *gicr = new_dev("gicr", g->gicr_base, (uint64_t)GICR_FRAME * g->ncpu, &gicr_ops, g);
        if (!gicr) {
            ax_snprintf(err, errlen, "interrupt controller: out of memory");
            return -AX_ENOMEM;
        }
        return vm_add_emu_dev(vm, gicr, cfg->type, err, errlen);
    }
    g->gicc_base = cfg->cfg_num > 0 ? cfg->cfg[0] : cfg->gpa + 0x10000;
    rc = as_add_region(&vm->as, g->gicc_base, GICV2_CPU_SIZE, PT_R | PT_W | PT_DEVICE, AS_IDENTICAL, gicv_phys);
    if (rc)
        ax_snprintf(err, errlen, "interrupt controller: CPU interface at %#llx: %s",
                    (unsigned long long)g->gicc_base, ax_strerror(rc));
    return rc;
}

/* Passthrough interrupts (interrupt_mode = "passthrough"). The host keeps
 * its GIC in EOImode 0, so a physical interrupt cannot stay active while
 * the guest handles it; instead the host masks it at the distributor,
 * completes it and queues the virtual one (with an EOI maintenance request).
 * When the guest has EOId it, vgic_sync unmasks the physical interrupt; a
 * device still asserting its line then interrupts again. */
static void pt_irq_handler(unsigned irq, void *arg)
{
    struct vgic_pt_irq *p = arg;
    struct vgic *g = p->g;
    irq_set_enabled(irq, false);
    spin_lock(&g->lock);
    struct virq *q = irq_of(g, 0, p->intid);
    q->pending = true;
    int t = update(g, 0, p->intid);
    spin_unlock(&g->lock);
    kick(g, t);
}

int vgic_bind_host_irq(struct vm *vm, uint32_t intid, char *err, size_t errlen)
{
    struct vgic *g = vm->vintc;
    if (!g) {
        ax_snprintf(err, errlen, "interrupt %u: passthrough needs an interrupt controller (emu device type 0x1)", intid);
        return -AX_EINVAL;
    }
    if (intid < 32 || intid >= 32 + VGIC_NR_SPIS) {
        ax_snprintf(err, errlen, "interrupt %u: only SPIs 32..%u can be passed through", intid, 32 + VGIC_NR_SPIS - 1);
        return -AX_EINVAL;
    }
    if (g->npt >= VGIC_MAX_PT_IRQS) {
        ax_snprintf(err, errlen, "interrupt %u: more than %d passthrough interrupts", intid, VGIC_MAX_PT_IRQS);
        return -AX_ENOSPC;
    }
    struct vgic_pt_irq *p = &g->pt[g->npt];
    p->g = g;
    p->intid = intid;
    struct virq *q = &g->spi[intid - 32];
    q->host_intid = (uint16_t)intid;
    q->edge = false; /* retired through the EOI maintenance path */
    int rc = irq_register(intid, pt_irq_handler, p);
    if (rc) {
        q->host_intid = 0;
        ax_snprintf(err, errlen, "interrupt %u: %s", intid,
                    rc == -AX_EBUSY ? "already used by the hypervisor or another VM" : ax_strerror(rc));
        return rc;
    }
    g->npt++;
    return 0;
}

void vgic_describe(struct vm *vm, unsigned *version, uint64_t *gicd, uint64_t *gicr_or_gicc)
{
    struct vgic *g = vm->vintc;
    *version = g ? g->version : 0;
    *gicd = g ? g->gicd_base : 0;
    *gicr_or_gicc = g ? (g->version == 3 ? g->gicr_base : g->gicc_base) : 0;
}
