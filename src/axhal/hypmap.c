/* The hypervisor's own identity map, shared by every arch (see hypmap.h). */
#include "ax/axhal.h"
#include "ax/frame.h"
#include "ax/hypmap.h"
#include "ax/spinlock.h"

extern char _start[], _etext[], _erodata[], _end[];

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

int hypmap_init(const struct pt_format *fmt, void (*invalidate)(void *ctx, vaddr_t va, uint64_t size),
                void (*store_barrier)(void *ctx))
{
    struct pt_env env = {
        .alloc_page = pt_alloc,
        .free_page = pt_free,
        .phys_to_virt = pt_p2v,
        .invalidate = invalidate,
        .store_barrier = store_barrier,
    };
    return pt_init(&hyp_pt, fmt, &env);
}

paddr_t hypmap_root(void) { return hyp_pt.root; }

static int map_identity(paddr_t base, uint64_t size, uint32_t attrs)
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

int hypmap_range(paddr_t base, uint64_t size, uint32_t attrs)
{
    unsigned long flags = spin_lock_irqsave(&hyp_pt_lock);
    int err = map_identity(base, size, attrs);
    spin_unlock_irqrestore(&hyp_pt_lock, flags);
    return err;
}

int mmu_map_hyp(vaddr_t va, paddr_t pa, uint64_t size, uint32_t attrs)
{
    if (va == pa)
        return hypmap_range(pa, size, attrs);
    unsigned long flags = spin_lock_irqsave(&hyp_pt_lock);
    int err = pt_map(&hyp_pt, va, pa, size, attrs);
    spin_unlock_irqrestore(&hyp_pt_lock, flags);
    return err;
}

int hypmap_ram_bank(paddr_t base, uint64_t size)
{
    paddr_t img_s = (paddr_t)(uintptr_t)_start, img_e = (paddr_t)(uintptr_t)_end;
    paddr_t text_e = (paddr_t)(uintptr_t)_etext, ro_e = (paddr_t)(uintptr_t)_erodata;
    paddr_t end = base + size;
    if (img_e <= base || img_s >= end)
        return hypmap_range(base, size, PT_R | PT_W);
    int err = 0;
    if (img_s > base)
        err = hypmap_range(base, img_s - base, PT_R | PT_W);
    if (!err)
        err = hypmap_range(img_s, text_e - img_s, PT_R | PT_X);
    if (!err)
        err = hypmap_range(text_e, ro_e - text_e, PT_R);
    if (!err)
        err = hypmap_range(ro_e, img_e - ro_e, PT_R | PT_W);
    if (!err && end > img_e)
        err = hypmap_range(img_e, end - img_e, PT_R | PT_W);
    return err;
}
