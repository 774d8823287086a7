/* The hypervisor's own page tables (CR3), built with the generic walker and
 * the x86-64 format: RAM identity-mapped write-back, the image split into
 * text (RX), read-only data (R) and data (RW, NX); the first MiB (BIOS
 * data, the AP trampoline) RW; the local APIC uncached. */
#include "ax/axhal.h"
#include "ax/log.h"
#include "ax/hypmap.h"
#include "ax/pagetable.h"
#include "ax/pte_x86_64.h"
#include "platform.h"

extern const struct boot_info *x86_boot_info;

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

void mmu_enable_cpu(void)
{
    write_cr3(hypmap_root());
}

int mmu_init(void)
{
    int err = hypmap_init(&pte_x86_64, pt_inval, NULL);
    if (err)
        return err;
    const struct boot_info *bi = x86_boot_info;
    /* the image is inside a RAM bank; map it even if the bank list is odd */
    err = hypmap_range(0, 0x100000, PT_R | PT_W);
    for (unsigned i = 0; i < bi->mem_count && !err; i++)
        err = hypmap_ram_bank(bi->mem[i].base, bi->mem[i].size);
    if (!err)
        err = hypmap_range(platform.lapic_base, PAGE_SIZE, PT_R | PT_W | PT_DEVICE);
    if (err) {
        log_error("mmu: building the hypervisor map failed: %s", ax_strerror(err));
        return err;
    }
    mmu_enable_cpu();
    return 0;
}
