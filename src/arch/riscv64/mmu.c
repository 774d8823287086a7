/* The hypervisor's own Sv39 map (satp), built from the DTB with the
 * generic walker: RAM identity-mapped, the image split into text (RX),
 * read-only data (R) and data (RW); the console UART identity-mapped RW.
 * Sv39 covers VAs below 256 GiB identically (bit 38 clear), which holds
 * QEMU virt's RAM and devices. */
#include "ax/axhal.h"
#include "ax/log.h"
#include "ax/hypmap.h"
#include "ax/pagetable.h"
#include "ax/pte_riscv64.h"
#include "csr.h"
#include "platform.h"

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

void mmu_enable_cpu(void)
{
    __asm__ volatile("fence rw, rw" ::: "memory");
    csr_write(satp, rv_satp_sv39(hypmap_root()));
    sfence_vma_all();
}

int mmu_init(const struct fdt_platform *p)
{
    int err = hypmap_init(&pte_riscv64_sv39, pt_inval, pt_barrier);
    if (err)
        return err;
    for (unsigned i = 0; i < p->mem_count && !err; i++) {
        if (p->mem[i].base + p->mem[i].size > (1ULL << 38)) {
            log_warn("mmu: RAM bank at %#llx lies beyond Sv39's identity range; not mapped",
                     (unsigned long long)p->mem[i].base);
            continue;
        }
        err = hypmap_ram_bank(p->mem[i].base, p->mem[i].size);
    }
    if (!err && p->uart.kind == FDT_UART_NS16550)
        err = hypmap_range(p->uart.regs.base, p->uart.regs.size, PT_R | PT_W | PT_DEVICE);
    if (!err && p->intc.kind == FDT_INTC_PLIC)
        err = hypmap_range(p->intc.plic.base, p->intc.plic.size, PT_R | PT_W | PT_DEVICE);
    for (unsigned i = 0; i < p->virtio_count && !err; i++)
        err = hypmap_range(p->virtio[i].regs.base, p->virtio[i].regs.size, PT_R | PT_W | PT_DEVICE);
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
