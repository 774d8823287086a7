/* aarch64 kit interrupts: the VM's GIC, the EL1 virtual timer as the
 * per-vCPU timer interrupt and SGIs as IPIs.
 *
 * The GIC is whatever the hypervisor gives (the host's version): its
 * distributor at QEMU virt's address answers GICD_PIDR2 with ArchRev 3 or
 * 2, and a VM without one faults on that load. GICv3 guests use the ICC_*
 * system registers and the redistributor frames; GICv2 guests the memory
 * mapped CPU interface. Every interrupt is Group 1 on GICv3 and Group 0 on
 * GICv2 (where group 0 is delivered as IRQ while FIQs are off), so both
 * take them through the IRQ vector. */
#include "kit_rt.h"

#define GICD_BASE 0x08000000UL
#define GICC_BASE 0x08010000UL     /* GICv2 CPU interface */
#define GICR_BASE 0x080a0000UL     /* GICv3 redistributors */
#define GICR_STRIDE 0x20000UL      /* RD_base + SGI_base frames */
#define GICR_SGI 0x10000UL

#define GICD_CTLR 0x000
#define GICD_IGROUPR 0x080
#define GICD_ISENABLER 0x100
#define GICD_ICENABLER 0x180
#define GICD_ICPENDR 0x280
#define GICD_IPRIORITYR 0x400
#define GICD_SGIR 0xf00
#define GICD_PIDR2 0xffe8
#define GICD_CTLR_V3 ((1u << 4) | (1u << 1)) /* ARE, EnableGrp1 (one security state) */
#define GICD_CTLR_V2 1u                      /* Enable */

#define GICR_TYPER 0x0008
#define GICR_WAKER 0x0014
#define TYPER_LAST (1ULL << 4)
#define WAKER_PROCESSOR_SLEEP (1u << 1)
#define WAKER_CHILDREN_ASLEEP (1u << 2)

#define GICC_CTLR 0x00
#define GICC_PMR 0x04
#define GICC_IAR 0x0c
#define GICC_EOIR 0x10

/* GICv3 CPU interface registers by encoding (plain -march=armv8-a gas
 * does not know their names) */
#define ICC_PMR_EL1 "s3_0_c4_c6_0"
#define ICC_IAR1_EL1 "s3_0_c12_c12_0"
#define ICC_EOIR1_EL1 "s3_0_c12_c12_1"
#define ICC_SGI1R_EL1 "s3_0_c12_c11_5"
#define ICC_SRE_EL1 "s3_0_c12_c12_5"
#define ICC_IGRPEN1_EL1 "s3_0_c12_c12_7"

#define NR_PRIVATE 32
#define NR_SGIS 16
#define TIMER_PPI 27
#define SPURIOUS_FIRST 1020
#define MAX_ACKS 64          /* interrupts handled per vector entry */
#define WAKER_POLLS 100000

#define CNTV_CTL_ENABLE (1u << 0)
#define CNTV_CTL_ISTATUS (1u << 2)

#define READ_SYSREG(name)                                      \
    ({                                                         \
        uint64_t v_;                                           \
        __asm__ volatile("mrs %0, " name : "=r"(v_));          \
        v_;                                                    \
    })
#define WRITE_SYSREG(name, v) __asm__ volatile("msr " name ", %0" : : "r"((uint64_t)(v)) : "memory")

static inline void isb(void)
{
    __asm__ volatile("isb" : : : "memory");
}

/* Set once by the first kit_irq_init (vCPU 0): 0 none, else 2 or 3. */
static unsigned gic_version;
static bool probed;
/* Each vCPU's registers for its private interrupts once it is set up: its
 * redistributor's SGI frame (GICv3) or the banked distributor (GICv2). */
static uintptr_t private_frames[KIT_MAX_CPUS];

static unsigned this_cpu(void)
{
    return kit_cpu_id() % KIT_MAX_CPUS;
}

static unsigned probe_version(void)
{
    uint32_t pidr2;
    if (!kit_probe_read32(GICD_BASE + GICD_PIDR2, &pidr2))
        return 0;
    unsigned rev = (pidr2 >> 4) & 0xf;
    return rev == 3 || rev == 4 ? 3 : rev == 2 ? 2 : 0;
}

/* The redistributor whose GICR_TYPER affinity is this vCPU's MPIDR. */
static uintptr_t find_redistributor(void)
{
    uint64_t mpidr = kit_cpu_hw_id();
    uint32_t aff = (uint32_t)((mpidr & 0xffffff) | ((mpidr >> 8) & 0xff000000));
    for (unsigned i = 0; i < KIT_MAX_CPUS; i++) {
        uintptr_t rd = GICR_BASE + i * GICR_STRIDE;
        uint64_t typer = kit_mmio_read64(rd + GICR_TYPER);
        if ((uint32_t)(typer >> 32) == aff)
            return rd;
        if (typer & TYPER_LAST)
            break;
    }
    return 0;
}

/* Private interrupts off, not pending, default priority: the same start
 * on every vCPU whatever ran before a reset. */
static void private_reset(uintptr_t frame, bool group1)
{
    if (group1)
        kit_mmio_write32(frame + GICD_IGROUPR, 0xffffffffu);
    kit_mmio_write32(frame + GICD_ICENABLER, 0xffffffffu);
    kit_mmio_write32(frame + GICD_ICPENDR, 0xffffffffu);
    uint32_t prio = KIT_IRQ_PRIO_DEFAULT * 0x01010101u;
    for (unsigned i = 0; i < NR_PRIVATE / 4; i++)
        kit_mmio_write32(frame + GICD_IPRIORITYR + 4 * i, prio);
}

static bool v3_cpu_init(void)
{
    WRITE_SYSREG(ICC_SRE_EL1, READ_SYSREG(ICC_SRE_EL1) | 1);
    isb();
    if (!(READ_SYSREG(ICC_SRE_EL1) & 1))
        return false; /* no system register interface */
    kit_mmio_write32(GICD_BASE + GICD_CTLR, GICD_CTLR_V3);
    uintptr_t rd = find_redistributor();
    if (!rd)
        return false;
    kit_mmio_write32(rd + GICR_WAKER, kit_mmio_read32(rd + GICR_WAKER) & ~WAKER_PROCESSOR_SLEEP);
    unsigned polls = 0;
    while (kit_mmio_read32(rd + GICR_WAKER) & WAKER_CHILDREN_ASLEEP)
        if (++polls >= WAKER_POLLS)
            return false;
    private_reset(rd + GICR_SGI, true);
    WRITE_SYSREG(ICC_PMR_EL1, 0xff);
    WRITE_SYSREG(ICC_IGRPEN1_EL1, 1);
    isb();
    private_frames[this_cpu()] = rd + GICR_SGI;
    return true;
}

static bool v2_cpu_init(void)
{
    kit_mmio_write32(GICD_BASE + GICD_CTLR, GICD_CTLR_V2);
    private_reset(GICD_BASE, false); /* banked per CPU below INTID 32 */
    kit_mmio_write32(GICC_BASE + GICC_PMR, 0xff);
    kit_mmio_write32(GICC_BASE + GICC_CTLR, 1);
    private_frames[this_cpu()] = GICD_BASE;
    return true;
}

bool kit_arch_irq_init(void)
{
    if (!__atomic_load_n(&probed, __ATOMIC_ACQUIRE)) {
        gic_version = probe_version();
        __atomic_store_n(&probed, true, __ATOMIC_RELEASE);
    }
    if (gic_version == 3)
        return v3_cpu_init();
    if (gic_version == 2)
        return v2_cpu_init();
    return false;
}

const char *kit_arch_irq_controller(void)
{
    return gic_version == 3 ? "GICv3" : gic_version == 2 ? "GICv2" : "none";
}

static uintptr_t private_frame(void)
{
    return private_frames[this_cpu()];
}

#define NR_SHARED_MAX 1020

bool kit_arch_irq_enable(unsigned irq, bool on)
{
    if (!private_frame())
        return false;
    if (irq >= NR_PRIVATE && irq < NR_SHARED_MAX) {
        /* a shared peripheral interrupt: the distributor, routed to vCPU 0
         * (its reset routing) */
        kit_mmio_write32(GICD_BASE + (on ? GICD_ISENABLER : GICD_ICENABLER) + 4 * (irq / 32), 1u << (irq % 32));
        return true;
    }
    if (irq >= NR_PRIVATE)
        return false;
    kit_mmio_write32(private_frame() + (on ? GICD_ISENABLER : GICD_ICENABLER), 1u << irq);
    return true;
}

bool kit_arch_irq_set_priority(unsigned irq, uint8_t prio)
{
    if (irq >= NR_PRIVATE || !private_frame())
        return false;
    kit_mmio_write8(private_frame() + GICD_IPRIORITYR + irq, prio);
    return true;
}

void kit_arch_irq_local_enable(void)
{
    __asm__ volatile("msr daifclr, #2; isb" : : : "memory");
}

void kit_arch_irq_local_disable(void)
{
    __asm__ volatile("msr daifset, #2" : : : "memory");
}

bool kit_arch_irq_local_enabled(void)
{
    return !(READ_SYSREG("daif") & (1u << 7));
}

/* The isb after unmasking is where a pending interrupt is taken. */
void kit_arch_irq_wait(void)
{
    uint64_t daif = READ_SYSREG("daif");
    __asm__ volatile("dsb sy; wfi; msr daifclr, #2; isb; msr daif, %0" : : "r"(daif) : "memory");
}

/* ---- the virtual timer ---- */

unsigned kit_arch_timer_irq(void)
{
    return TIMER_PPI;
}

void kit_arch_timer_irq_arm(uint64_t deadline)
{
    WRITE_SYSREG("cntv_cval_el0", deadline);
    WRITE_SYSREG("cntv_ctl_el0", CNTV_CTL_ENABLE);
    isb();
}

void kit_arch_timer_irq_cancel(void)
{
    WRITE_SYSREG("cntv_ctl_el0", 0);
    isb();
}

/* The timer's interrupt is level-sensitive: it is only real while the
 * timer is enabled and has expired (whatever IMASK says: the hypervisor
 * masks it there once it has injected the interrupt). Then stop it, so it
 * is one-shot. A stale one (the timer was stopped or re-armed since, e.g.
 * by kit_sleep_ns with interrupts masked) is dropped. */
static bool timer_fired(void)
{
    uint64_t ctl = READ_SYSREG("cntv_ctl_el0");
    if ((ctl & (CNTV_CTL_ENABLE | CNTV_CTL_ISTATUS)) != (CNTV_CTL_ENABLE | CNTV_CTL_ISTATUS))
        return false;
    kit_arch_timer_irq_cancel();
    return true;
}

/* ---- SGIs ---- */

unsigned kit_arch_ipi_count(void)
{
    return NR_SGIS;
}

unsigned kit_arch_ipi_irq_nth(unsigned k)
{
    return k < NR_SGIS ? k : 0;
}

static uint64_t sent_ticks[KIT_MAX_CPUS];

uint64_t kit_arch_ipi_sent(void)
{
    return sent_ticks[this_cpu()];
}

/* Our vCPUs' MPIDR is Aff0 = index, Aff1..3 = 0: the target list names
 * them directly (GICv3 holds 16 per list, GICv2 8). The dsb orders the
 * sender's data before the interrupt. */
bool kit_arch_ipi_send(unsigned cpu, unsigned irq)
{
    if (irq >= NR_SGIS || cpu >= (gic_version == 3 ? 16u : 8u) || !gic_version)
        return false;
    __asm__ volatile("dsb ishst" : : : "memory");
    if (gic_version == 3) {
        uint64_t sgi1r = ((uint64_t)irq << 24) | (1u << cpu);
        sent_ticks[this_cpu()] = kit_arch_counter();
        WRITE_SYSREG(ICC_SGI1R_EL1, sgi1r);
        isb();
    } else {
        uint32_t sgir = (1u << (16 + cpu)) | irq;
        sent_ticks[this_cpu()] = kit_arch_counter();
        kit_mmio_write32(GICD_BASE + GICD_SGIR, sgir);
    }
    return true;
}

/* ---- the IRQ vector ---- */

static uint32_t ack(void)
{
    if (gic_version == 3)
        return (uint32_t)READ_SYSREG(ICC_IAR1_EL1);
    return kit_mmio_read32(GICC_BASE + GICC_IAR);
}

static void eoi(uint32_t iar)
{
    if (gic_version == 3) {
        WRITE_SYSREG(ICC_EOIR1_EL1, iar);
        isb();
    } else {
        kit_mmio_write32(GICC_BASE + GICC_EOIR, iar); /* with the SGI source bits */
    }
}

static unsigned intid(uint32_t iar)
{
    return gic_version == 3 ? (iar & 0xffffff) : (iar & 0x3ff);
}

/* For rt.c's exception entry. */
bool kit_arch_irq_ready(void);
void kit_arch_irq_entry(uint64_t stamp);

/* An IRQ on a vCPU whose controller is not set up is a fault. */
bool kit_arch_irq_ready(void)
{
    return private_frame() != 0;
}

/* Everything pending at this entry, most urgent first (the GIC's order),
 * each acknowledged, handled and ended. */
void kit_arch_irq_entry(uint64_t stamp)
{
    for (unsigned n = 0; n < MAX_ACKS; n++) {
        uint32_t iar = ack();
        unsigned irq = intid(iar);
        if (irq >= SPURIOUS_FIRST)
            return;
        if (irq != TIMER_PPI || timer_fired())
            kit_irq_dispatch(irq, stamp);
        eoi(iar);
    }
}
