/* Host GIC driver for GICv2 and GICv3, chosen from the DTB.
 * SGI 1 is the reschedule IPI. SPIs are routed to the boot CPU. */
#include "ax/axhal.h"
#include "ax/log.h"
#include "ax/task.h"
#include "platform.h"
#include "sysreg.h"

#define GIC_MAX_INTID 1020
#define IPI_RESCHED 1
#define DEFAULT_PRIO 0xa0

/* distributor */
#define GICD_CTLR 0x000
#define GICD_TYPER 0x004
#define GICD_IGROUPR 0x080
#define GICD_ISENABLER 0x100
#define GICD_ICENABLER 0x180
#define GICD_ICPENDR 0x280
#define GICD_IPRIORITYR 0x400
#define GICD_ITARGETSR 0x800
#define GICD_ICFGR 0xc00
#define GICD_SGIR 0xf00
#define GICD_IROUTER 0x6100
#define GICD_CTLR_RWP (1U << 31)
/* GICv2 CPU interface */
#define GICC_CTLR 0x00
#define GICC_PMR 0x04
#define GICC_BPR 0x08
#define GICC_IAR 0x0c
#define GICC_EOIR 0x10
/* GICv3 redistributor */
#define GICR_CTLR 0x0000
#define GICR_TYPER 0x0008
#define GICR_WAKER 0x0014
#define GICR_SGI_BASE 0x10000
#define GICR_FRAME_SIZE 0x20000
#define GICR_TYPER_LAST (1ULL << 4)

struct irq_slot {
    irq_handler_t fn;
    void *arg;
};

static unsigned version;
static uintptr_t gicd, gicc;
static unsigned nr_lines;
static uintptr_t gicr_frame[AX_MAX_CPUS];
static uint8_t v2_cpu_mask[AX_MAX_CPUS];
static struct irq_slot handlers[GIC_MAX_INTID];
static uint32_t percpu_enabled; /* SGI/PPI bits to enable on every CPU */

unsigned gic_version(void) { return version; }

static void gicd_wait_rwp(void)
{
    for (unsigned i = 0; i < 1000000 && (mmio_read32(gicd + GICD_CTLR) & GICD_CTLR_RWP); i++)
        ;
}

static uint64_t mpidr_aff(uint64_t mpidr) { return mpidr & 0xff00ffffffULL; }

static void ipi_handler(unsigned irq, void *arg)
{
    (void)irq;
    (void)arg;
    sched_ipi();
}

int gic_init(const struct fdt_platform *p)
{
    if (p->intc.kind == FDT_INTC_GICV3) {
        version = 3;
        if (p->intc.gicr_count == 0) {
            log_error("gic: GICv3 without a redistributor region in the DTB");
            return -AX_EINVAL;
        }
    } else if (p->intc.kind == FDT_INTC_GICV2) {
        version = 2;
        if (!p->intc.has_gicc) {
            log_error("gic: GICv2 without a CPU interface region in the DTB");
            return -AX_EINVAL;
        }
        gicc = (uintptr_t)p->intc.gicc.base;
    } else {
        log_error("gic: no supported interrupt controller in the DTB");
        return -AX_ENOENT;
    }
    gicd = (uintptr_t)p->intc.gicd.base;
    nr_lines = ((mmio_read32(gicd + GICD_TYPER) & 0x1f) + 1) * 32;
    if (nr_lines > GIC_MAX_INTID)
        nr_lines = GIC_MAX_INTID;

    mmio_write32(gicd + GICD_CTLR, 0);
    gicd_wait_rwp();
    for (unsigned i = 32; i < nr_lines; i += 32) {
        mmio_write32(gicd + GICD_ICENABLER + i / 8, 0xffffffff);
        mmio_write32(gicd + GICD_ICPENDR + i / 8, 0xffffffff);
        mmio_write32(gicd + GICD_IGROUPR + i / 8, version == 3 ? 0xffffffff : 0);
    }
    for (unsigned i = 32; i < nr_lines; i += 4)
        mmio_write32(gicd + GICD_IPRIORITYR + i, DEFAULT_PRIO * 0x01010101U);
    if (version == 3) {
        /* ARE + both group enables: covers the DS=1 and the non-secure layouts */
        mmio_write32(gicd + GICD_CTLR, (1 << 4) | (1 << 1) | (1 << 0));
    } else {
        mmio_write32(gicd + GICD_CTLR, 1);
    }
    gicd_wait_rwp();

    /* find each CPU's redistributor by affinity */
    if (version == 3) {
        unsigned found = 0;
        for (unsigned r = 0; r < p->intc.gicr_count; r++) {
            uintptr_t base = (uintptr_t)p->intc.gicr[r].base;
            uintptr_t end = base + p->intc.gicr[r].size;
            for (uintptr_t f = base; f + GICR_FRAME_SIZE <= end; f += GICR_FRAME_SIZE) {
                uint64_t typer = mmio_read64(f + GICR_TYPER);
                uint64_t aff = typer >> 32;
                for (unsigned c = 0; c < cpu_count(); c++) {
                    uint64_t m = cpu_hwid(c);
                    uint64_t packed = (m & 0xffffff) | ((m >> 8) & 0xff000000);
                    if (packed == aff && !gicr_frame[c]) {
                        gicr_frame[c] = f;
                        found++;
                    }
                }
                if (typer & GICR_TYPER_LAST)
                    break;
            }
        }
        if (found < cpu_count())
            log_warn("gic: redistributors found for %u of %u CPUs", found, cpu_count());
    }
    irq_register(IPI_RESCHED, ipi_handler, NULL);
    return 0;
}

static void gicv3_cpu_init(unsigned cpu)
{
    uintptr_t rd = gicr_frame[cpu];
    if (!rd) {
        log_error("gic: no redistributor for CPU %u; it gets no interrupts", cpu);
        return;
    }
    uint32_t waker = mmio_read32(rd + GICR_WAKER);
    mmio_write32(rd + GICR_WAKER, waker & ~(1U << 1));
    for (unsigned i = 0; i < 1000000 && (mmio_read32(rd + GICR_WAKER) & (1U << 2)); i++)
        ;
    uintptr_t sgi = rd + GICR_SGI_BASE;
    mmio_write32(sgi + GICD_IGROUPR, 0xffffffff);
    mmio_write32(sgi + GICD_ICENABLER, 0xffffffff);
    for (unsigned i = 0; i < 32; i += 4)
        mmio_write32(sgi + GICD_IPRIORITYR + i, DEFAULT_PRIO * 0x01010101U);
    mmio_write32(sgi + GICD_ISENABLER, __atomic_load_n(&percpu_enabled, __ATOMIC_ACQUIRE));

    write_sysreg_s(ICC_SRE_EL2, read_sysreg_s(ICC_SRE_EL2) | (1 << 0) | (1 << 3));
    isb();
    write_sysreg_s(ICC_PMR_EL1, 0xff);
    write_sysreg_s(ICC_BPR1_EL1, 0);
    write_sysreg_s(ICC_CTLR_EL1, 0);
    write_sysreg_s(ICC_IGRPEN1_EL1, 1);
    isb();
}

static void gicv2_cpu_init(unsigned cpu)
{
    /* our CPU interface number: the banked ITARGETSR0 byte names it */
    uint32_t t = mmio_read32(gicd + GICD_ITARGETSR);
    uint8_t mask = 0;
    for (int i = 0; i < 4 && !mask; i++)
        mask = (uint8_t)(t >> (8 * i));
    v2_cpu_mask[cpu] = mask ? mask : (uint8_t)(1u << cpu);
    mmio_write32(gicd + GICD_ICENABLER, 0xffffffff);
    for (unsigned i = 0; i < 32; i += 4)
        mmio_write32(gicd + GICD_IPRIORITYR + i, DEFAULT_PRIO * 0x01010101U);
    mmio_write32(gicd + GICD_ISENABLER, __atomic_load_n(&percpu_enabled, __ATOMIC_ACQUIRE));
    mmio_write32(gicc + GICC_PMR, 0xff);
    mmio_write32(gicc + GICC_BPR, 0);
    mmio_write32(gicc + GICC_CTLR, 1);
}

void gic_init_cpu(unsigned cpu)
{
    if (version == 3)
        gicv3_cpu_init(cpu);
    else
        gicv2_cpu_init(cpu);
}

void irq_set_enabled(unsigned irq, bool on)
{
    if (irq >= nr_lines && irq >= 32)
        return;
    uint32_t bit = 1U << (irq % 32);
    uintptr_t reg = on ? GICD_ISENABLER : GICD_ICENABLER;
    if (irq < 32) {
        if (on)
            __atomic_fetch_or(&percpu_enabled, bit, __ATOMIC_RELEASE);
        else
            __atomic_fetch_and(&percpu_enabled, ~bit, __ATOMIC_RELEASE);
        /* this CPU now; the others when they initialise (boot CPU registers
         * SGIs/PPIs before starting them) */
        if (version == 3 && gicr_frame[cpu_id()])
            mmio_write32(gicr_frame[cpu_id()] + GICR_SGI_BASE + reg, bit);
        else if (version == 2)
            mmio_write32(gicd + reg, bit);
        return;
    }
    if (on) {
        if (version == 3)
            mmio_write64(gicd + GICD_IROUTER + 8 * irq, mpidr_aff(cpu_hwid(0)));
        else
            mmio_write8(gicd + GICD_ITARGETSR + irq, v2_cpu_mask[0]);
    }
    mmio_write32(gicd + reg + (irq / 32) * 4, bit);
}

int irq_register(unsigned irq, irq_handler_t fn, void *arg)
{
    if (irq >= GIC_MAX_INTID || (irq >= 32 && irq >= nr_lines) || !fn)
        return -AX_EINVAL;
    irq_handler_t none = NULL;
    handlers[irq].arg = arg;
    if (!__atomic_compare_exchange_n(&handlers[irq].fn, &none, fn, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return -AX_EBUSY;
    irq_set_enabled(irq, true);
    return 0;
}

void irq_unregister(unsigned irq)
{
    if (irq >= GIC_MAX_INTID)
        return;
    irq_set_enabled(irq, false);
    __atomic_store_n(&handlers[irq].fn, NULL, __ATOMIC_RELEASE);
}
void ipi_send(unsigned cpu)
{
    if (cpu >= cpu_count())
        return;
    dsb(ishst);
    if (version == 3) {
        uint64_t m = cpu_hwid(cpu);
        uint64_t aff0 = m & 0xf, rs = (m & 0xff) >> 4;
        uint64_t v = ((m >> 32 & 0xff) << 48) | ((m >> 16 & 0xff) << 32) | (rs << 44) |
                     ((uint64_t)IPI_RESCHED << 24) | ((m >> 8 & 0xff) << 16) | (1ULL << aff0);
        write_sysreg_s(ICC_SGI1R_EL1, v);
        isb();
    } else {
        mmio_write32(gicd + GICD_SGIR, ((uint32_t)v2_cpu_mask[cpu] << 16) | IPI_RESCHED);
    }
}

static unsigned long spurious;
uint64_t irq_counts[GIC_MAX_INTID]; /* per-INTID statistics */

void gic_handle_irq(void)
{
    for (;;) {
        uint32_t iar, intid;
        if (version == 3) {
            iar = (uint32_t)read_sysreg_s(ICC_IAR1_EL1);
            intid = iar & 0xffffff;
        } else {
            iar = mmio_read32(gicc + GICC_IAR);
            intid = iar & 0x3ff;
        }
        if (intid >= GIC_MAX_INTID)
            break;
        irq_counts[intid]++;
        irq_handler_t fn = __atomic_load_n(&handlers[intid].fn, __ATOMIC_ACQUIRE);
        if (fn)
            fn(intid, handlers[intid].arg);
        else if (spurious++ < 10)
            log_warn("gic: interrupt %u has no handler; disabling it", intid);
        if (!fn && intid >= 32)
            irq_set_enabled(intid, false);
        if (version == 3) {
            write_sysreg_s(ICC_EOIR1_EL1, iar);
            isb();
        } else {
            mmio_write32(gicc + GICC_EOIR, iar);
        }
    }
}
