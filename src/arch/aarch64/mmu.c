/* The hypervisor's own stage-1 map (EL2, TTBR0_EL2), built from the DTB:
 * RAM identity-mapped as normal write-back memory with the image split into
 * text (RX), read-only data (R) and data (RW, XN); device regions the
 * hypervisor drives identity-mapped as Device-nGnRE. */
#include "ax/axhal.h"
#include "ax/log.h"
#include "ax/hypmap.h"
#include "ax/pagetable.h"
#include "ax/pte_aarch64.h"
#include "platform.h"
#include "sysreg.h"

static void pt_inval(void *ctx, vaddr_t va, uint64_t size)
{
    (void)ctx;
    (void)va;
    (void)size;
    dsb(ishst);
    __asm__ volatile("tlbi alle2is" ::: "memory");
    dsb(ish);
    isb();
}

static void pt_barrier(void *ctx) { (void)ctx; dsb(ishst); }

void mmu_enable_cpu(void)
{
    dsb(ishst);
    write_sysreg(ttbr0_el2, hypmap_root());
    isb();
    __asm__ volatile("tlbi alle2" ::: "memory");
    dsb(ish);
    isb();
}

int mmu_init(const struct fdt_platform *p)
{
    int err = hypmap_init(&pte_aarch64_s1, pt_inval, pt_barrier);
    if (err)
        return err;
    for (unsigned i = 0; i < p->mem_count && !err; i++)
        err = hypmap_ram_bank(p->mem[i].base, p->mem[i].size);
    const uint32_t dev = PT_R | PT_W | PT_DEVICE;
    if (!err && p->uart.kind != FDT_UART_NONE)
        err = hypmap_range(p->uart.regs.base, p->uart.regs.size, dev);
    else if (!err)
        err = hypmap_range(0x09000000, 0x1000, dev); /* the fallback console */
    if (!err)
        err = hypmap_range(p->intc.gicd.base, p->intc.gicd.size, dev);
    for (unsigned i = 0; i < p->intc.gicr_count && !err; i++)
        err = hypmap_range(p->intc.gicr[i].base, p->intc.gicr[i].size, dev);
    if (!err && p->intc.has_gicc)
        err = hypmap_range(p->intc.gicc.base, p->intc.gicc.size, dev);
    if (!err && p->intc.has_gich)
        err = hypmap_range(p->intc.gich.base, p->intc.gich.size, dev);
    for (unsigned i = 0; i < p->virtio_count && !err; i++)
        err = hypmap_range(p->virtio[i].regs.base, p->virtio[i].regs.size, dev);
    if (err) {
        log_error("mmu: building the hypervisor map failed: %s", ax_strerror(err));
        return err;
    }
    mmu_enable_cpu();
    return 0;
}
