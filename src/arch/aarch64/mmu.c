/* The hypervisor's own stage-1 map (EL2, TTBR0_EL2), built from the DTB:
 * RAM identity-mapped as normal write-back memory with the image split into
 * text (RX), read-only data (R) and data (RW, XN); device regions the
 * hypervisor drives identity-mapped as Device-nGnRE. */
#include "ax/axhal.h"
#include "ax/frame.h"
#include "ax/log.h"
#include "ax/pagetable.h"
#include "ax/pte_aarch64.h"
#include "ax/spinlock.h"
#include "platform.h"
#include "sysreg.h"

extern char _start[], _etext[], _erodata[], _end[];

static struct pagetable hyp_pt;
static spinlock_t hyp_pt_lock = SPINLOCK_INIT;
static bool hyp_pt_live;

static paddr_t pt_alloc(void *ctx)
{
    (void)ctx;
    paddr_t pa = frame_alloc(0);
    return pa ? pa : PT_PADDR_NONE;
}
static void pt_free(void *ctx, paddr_t pa) { (void)ctx; frame_free(pa, 0); }
static void *pt_p2v(void *ctx, paddr_t pa) { (void)ctx; return phys_to_virt(pa); }
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

static const struct pt_env hyp_env = {
    .alloc_page = pt_alloc,
    .free_page = pt_free,
    .phys_to_virt = pt_p2v,
    .invalidate = pt_inval,
    .store_barrier = pt_barrier,
};

/* Map a range, page-rounded; parts already mapped (device windows sharing a
 * page) are kept as they are. */
static int map_range(paddr_t base, uint64_t size, uint32_t attrs)
{
    paddr_t start = ALIGN_DOWN(base, PAGE_SIZE);
    paddr_t end = ALIGN_UP(base + size, PAGE_SIZE);
    if (end <= start)
        return 0;
    int err = pt_map(&hyp_pt, start, start, end - start, attrs);
    if (err != -AX_EEXIST)
        return err;
    for (paddr_t p = start; p < end; p += PAGE_SIZE) {
        err = pt_map(&hyp_pt, p, p, PAGE_SIZE, attrs);
        if (err && err != -AX_EEXIST)
            return err;
    }
    return 0;
}

int mmu_map_hyp(vaddr_t va, paddr_t pa, uint64_t size, uint32_t attrs)
{
    unsigned long flags = spin_lock_irqsave(&hyp_pt_lock);
    int err = va == pa ? map_range(pa, size, attrs) : pt_map(&hyp_pt, va, pa, size, attrs);
    spin_unlock_irqrestore(&hyp_pt_lock, flags);
    return err;
}

static int map_ram_bank(paddr_t base, uint64_t size)
{
    paddr_t img_s = (paddr_t)(uintptr_t)_start, img_e = (paddr_t)(uintptr_t)_end;
    paddr_t end = base + size;
    if (img_e <= base || img_s >= end)
        return map_range(base, size, PT_R | PT_W);
    int err = 0;
    if (img_s > base)
        err = map_range(base, img_s - base, PT_R | PT_W);
    if (!err)
        err = map_range(img_s, (paddr_t)(uintptr_t)_etext - img_s, PT_R | PT_X);
    if (!err)
        err = map_range((paddr_t)(uintptr_t)_etext, (paddr_t)(uintptr_t)(_erodata - _etext), PT_R);
    if (!err)
        err = map_range((paddr_t)(uintptr_t)_erodata, img_e - (paddr_t)(uintptr_t)_erodata, PT_R | PT_W);
    if (!err && end > img_e)
        err = map_range(img_e, end - img_e, PT_R | PT_W);
    return err;
}

void mmu_enable_cpu(void)
{
    dsb(ishst);
    write_sysreg(ttbr0_el2, hyp_pt.root);
    isb();
    __asm__ volatile("tlbi alle2" ::: "memory");
    dsb(ish);
    isb();
}

int mmu_init(const struct fdt_platform *p)
{
    struct pt_env env = hyp_env;
    int err = pt_init(&hyp_pt, &pte_aarch64_s1, &env);
    if (err)
        return err;
    for (unsigned i = 0; i < p->mem_count && !err; i++)
        err = map_ram_bank(p->mem[i].base, p->mem[i].size);
    const uint32_t dev = PT_R | PT_W | PT_DEVICE;
    if (!err && p->uart.kind != FDT_UART_NONE)
        err = map_range(p->uart.regs.base, p->uart.regs.size, dev);
    else if (!err)
        err = map_range(0x09000000, 0x1000, dev); /* the fallback console */
    if (!err)
        err = map_range(p->intc.gicd.base, p->intc.gicd.size, dev);
    for (unsigned i = 0; i < p->intc.gicr_count && !err; i++)
        err = map_range(p->intc.gicr[i].base, p->intc.gicr[i].size, dev);
    if (!err && p->intc.has_gicc)
        err = map_range(p->intc.gicc.base, p->intc.gicc.size, dev);
    if (!err && p->intc.has_gich)
        err = map_range(p->intc.gich.base, p->intc.gich.size, dev);
    for (unsigned i = 0; i < p->virtio_count && !err; i++)
        err = map_range(p->virtio[i].regs.base, p->virtio[i].regs.size, dev);
    if (err) {
        log_error("mmu: building the hypervisor map failed: %s", ax_strerror(err));
        return err;
    }
    mmu_enable_cpu();
    hyp_pt_live = true;
    return 0;
}
