/* x86 guest boot tables and guest page walks (x86_guest.h). */
#include "ax/log.h"
#include "ax/format.h"
#include "ax/string.h"
#include "ax/vm.h"
#include "x86_guest.h"

#define PTE_P 0x1ULL
#define PTE_RW 0x2ULL
#define PTE_PWT 0x8ULL
#define PTE_PCD 0x10ULL
#define PTE_A 0x20ULL
#define PTE_D 0x40ULL
#define PTE_PS 0x80ULL
#define PTE_ADDR 0x000FFFFFFFFFF000ULL

/* Is any part of [a, a + size) a device window of this VM? */
static bool is_device(struct addrspace *as, uint64_t a, uint64_t size)
{
    for (unsigned i = 0; i < as->nregions; i++) {
        const struct as_region *r = as_region_at(as, i);
        if (!r || r->gpa >= a + size || r->gpa + r->size <= a)
            continue;
        if (r->kind == AS_EMULATED || (r->flags & PT_DEVICE))
            return true;
    }
    /* the virtual local APIC is never a region */
    return a <= 0xFEE00000ULL && 0xFEE00000ULL < a + size;
}

int x86_guest_boot_setup(struct vm *vm, char *err, size_t errlen)
{
    struct addrspace *as = &vm->as;
    int rc = as_add_region(as, X86_BOOT_GPA, X86_BOOT_SIZE, PT_R | PT_W, AS_ALLOC, 0);
    if (rc) {
        ax_snprintf(err, errlen,
                    "x86 boot tables at [%#llx, +%#llx): %s (keep that range free of regions and devices)",
                    (unsigned long long)X86_BOOT_GPA, (unsigned long long)X86_BOOT_SIZE, ax_strerror(rc));
        return rc;
    }
    static uint64_t page[512]; /* built one page at a time; vm_build runs in one task */
    memset(page, 0, sizeof(page));
    page[0] = (X86_BOOT_GPA + 0x1000) | PTE_P | PTE_RW | PTE_A;
    rc = as_copy_to_guest(as, X86_BOOT_PML4, page, sizeof(page));
    memset(page, 0, sizeof(page));
    for (unsigned i = 0; i < 4; i++)
        page[i] = (X86_BOOT_GPA + 0x2000 + 0x1000 * i) | PTE_P | PTE_RW | PTE_A;
    if (!rc)
        rc = as_copy_to_guest(as, X86_BOOT_GPA + 0x1000, page, sizeof(page));
    for (unsigned d = 0; d < 4 && !rc; d++) {
        for (unsigned i = 0; i < 512; i++) {
            uint64_t a = ((uint64_t)d << 30) | ((uint64_t)i << 21);
            page[i] = a | PTE_P | PTE_RW | PTE_PS | PTE_A | PTE_D;
            if (is_device(as, a, 1ULL << 21))
                page[i] |= PTE_PCD | PTE_PWT;
        }
        rc = as_copy_to_guest(as, X86_BOOT_GPA + 0x2000 + 0x1000 * d, page, sizeof(page));
    }
    memset(page, 0, sizeof(page));
    page[1] = 0x00af9b000000ffffULL; /* 0x08: 64-bit code, accessed */
    page[2] = 0x00cf93000000ffffULL; /* 0x10: data, accessed */
    if (!rc)
        rc = as_copy_to_guest(as, X86_BOOT_GDT, page, sizeof(page));
    if (rc)
        ax_snprintf(err, errlen, "x86 boot tables: %s", ax_strerror(rc));
    return rc;
}

int x86_guest_walk(struct addrspace *as, uint64_t cr3, bool paging, uint64_t va, paddr_t *gpa)
{
    if (!paging) {
        *gpa = va;
        return 0;
    }
    uint64_t table = cr3 & PTE_ADDR;
    for (int level = 3; level >= 0; level--) {
        unsigned idx = (unsigned)(va >> (12 + 9 * level)) & 511;
        uint64_t e;
        if (as_copy_from_guest(as, &e, table + 8 * idx, sizeof(e)) != 0)
            return -AX_EFAULT;
        if (!(e & PTE_P))
            return -AX_EFAULT;
        if ((level == 1 || level == 2) && (e & PTE_PS)) {
            uint64_t size = 1ULL << (12 + 9 * level);
            *gpa = ((e & PTE_ADDR) & ~(size - 1)) | (va & (size - 1));
            return 0;
        }
        table = e & PTE_ADDR;
    }
    *gpa = table | (va & 0xfff);
    return 0;
}

int x86_guest_fetch(struct addrspace *as, uint64_t cr3, bool paging, uint64_t rip, uint8_t *buf, size_t n,
                    size_t *got)
{
    *got = 0;
    while (*got < n) {
        uint64_t va = rip + *got;
        paddr_t gpa;
        if (x86_guest_walk(as, cr3, paging, va, &gpa) != 0)
            break;
        size_t chunk = (size_t)MIN((uint64_t)(n - *got), PAGE_SIZE - (va & (PAGE_SIZE - 1)));
        if (as_copy_from_guest(as, buf + *got, gpa, chunk) != 0)
            break;
        *got += chunk;
    }
    return *got ? 0 : -AX_EFAULT;
}
