/* The hypervisor's own Sv39 map (satp), built from the DTB with the
 * generic walker: RAM identity-mapped, the image split into text (RX),
 * read-only data (R) and data (RW); the console UART identity-mapped RW.
 * Sv39 covers VAs below 256 GiB identically (bit 38 clear), which holds
 * QEMU virt's RAM and devices. */
#include "ax/axhal.h"
#include "ax/frame.h"
#include "ax/log.h"
#include "ax/pagetable.h"
#include "ax/pte_riscv64.h"
#include "ax/spinlock.h"
#include "csr.h"
#include "platform.h"

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
/* Other CPUs' TLBs are not shot down: after boot the map only grows
 * (invalid -> valid needs no flush beyond the local fence). */
static void pt_inval(void *ctx, vaddr_t va, uint64_t size)
{
    (void)ctx;
    (void)va;
    (void)size;
    sfence_vma_all();
}
static void pt_barrier(void *ctx) { (void)ctx; __asm__ volatile("fence w, w" ::: "memory"); }

static const struct pt_env hyp_env = {
    .alloc_page = pt_alloc,
    .free_page = pt_free,
    .phys_to_virt = pt_p2v,
    .invalidate = pt_inval,
    .store_barrier = pt_barrier,
};

/* Map a range, page-rounded; parts already mapped (device windows sharing
 * a page) are kept as they are. */
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
    if (!err)
        sfence_vma_all();
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
    __asm__ volatile("fence rw, rw" ::: "memory");
    csr_write(satp, rv_satp_sv39(hyp_pt.root));
    sfence_vma_all();
}

int mmu_init(const struct fdt_platform *p)
{
    struct pt_env env = hyp_env;
    int err = pt_init(&hyp_pt, &pte_riscv64_sv39, &env);
    if (err)
        return err;
    for (unsigned i = 0; i < p->mem_count && !err; i++) {
        if (p->mem[i].base + p->mem[i].size > (1ULL << 38)) {
            log_warn("mmu: RAM bank at %#llx lies beyond Sv39's identity range; not mapped",
                     (unsigned long long)p->mem[i].base);
            continue;
        }
        err = map_ram_bank(p->mem[i].base, p->mem[i].size);
    }
    if (!err && p->uart.kind == FDT_UART_NS16550)
        err = map_range(p->uart.regs.base, p->uart.regs.size, PT_R | PT_W | PT_DEVICE);
    if (!err && p->intc.kind == FDT_INTC_PLIC)
        err = map_range(p->intc.plic.base, p->intc.plic.size, PT_R | PT_W | PT_DEVICE);
    for (unsigned i = 0; i < p->virtio_count && !err; i++)
        err = map_range(p->virtio[i].regs.base, p->virtio[i].regs.size, PT_R | PT_W | PT_DEVICE);
    if (err) {
        log_error("mmu: building the hypervisor map failed: %s", ax_strerror(err));
        return err;
    }
    mmu_enable_cpu();
    if ((csr_read(satp) >> 60) != 8) {
        log_error("mmu: the CPU does not accept Sv39 in satp");
        return -AX_ENOSYS;
    }
    return 0;
}
