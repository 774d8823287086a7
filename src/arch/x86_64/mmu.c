/* The hypervisor's own page tables (CR3), built with the generic walker and
 * the x86-64 format: RAM identity-mapped write-back, the image split into
 * text (RX), read-only data (R) and data (RW, NX); the first MiB (BIOS
 * data, the AP trampoline) RW; the local APIC uncached. */
#include "ax/axhal.h"
#include "ax/frame.h"
#include "ax/log.h"
#include "ax/pagetable.h"
#include "ax/pte_x86_64.h"
#include "ax/spinlock.h"
#include "platform.h"

extern char _start[], _etext[], _erodata[], _end[];
extern const struct boot_info *x86_boot_info;

static struct pagetable hyp_pt;
static spinlock_t hyp_pt_lock = SPINLOCK_INIT;

static paddr_t pt_alloc(void *ctx)
{
    (void)ctx;
    paddr_t pa = frame_alloc(0);
    return pa ? pa : PT_PADDR_NONE;
}
static void pt_free(void *ctx, paddr_t pa) { (void)ctx; frame_free(pa, 0); }
static void *pt_p2v(void *ctx, paddr_t pa) { (void)ctx; return phys_to_virt(pa); }
/* Removing or splitting a live entry: flush this CPU (a reload of CR3
 * drops every non-global entry; the hypervisor sets no G bits). Other
 * CPUs only ever gain mappings while running. */
static void pt_inval(void *ctx, vaddr_t va, uint64_t size)
{
    (void)ctx;
    (void)va;
    (void)size;
    write_cr3(read_cr3());
}

static const struct pt_env hyp_env = {
    .alloc_page = pt_alloc,
    .free_page = pt_free,
    .phys_to_virt = pt_p2v,
    .invalidate = pt_inval,
};

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
    write_cr3(hyp_pt.root);
}

int mmu_init(void)
{
    struct pt_env env = hyp_env;
    int err = pt_init(&hyp_pt, &pte_x86_64, &env);
    if (err)
        return err;
    const struct boot_info *bi = x86_boot_info;
    /* the image is inside a RAM bank; map it even if the bank list is odd */
    err = map_range(0, 0x100000, PT_R | PT_W);
    for (unsigned i = 0; i < bi->mem_count && !err; i++)
        err = map_ram_bank(bi->mem[i].base, bi->mem[i].size);
    if (!err)
        err = map_range(platform.lapic_base, PAGE_SIZE, PT_R | PT_W | PT_DEVICE);
    if (err) {
        log_error("mmu: building the hypervisor map failed: %s", ax_strerror(err));
        return err;
    }
    mmu_enable_cpu();
    return 0;
}
