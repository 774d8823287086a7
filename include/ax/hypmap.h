/* The hypervisor's own (identity) address space, common to every arch: one
 * page table in the arch's stage-1 format built with the generic walker.
 * The arch gives the format and its TLB/ordering hooks, maps what it needs
 * with hypmap_range / hypmap_ram_bank, then loads hypmap_root() into its
 * translation base register. mmu_map_hyp() (axhal.h) is implemented here. */
#ifndef AX_HYPMAP_H
#define AX_HYPMAP_H

#include "ax/pagetable.h"
#include "ax/types.h"

/* invalidate: drop translations of [va, va+size) (may be NULL);
 * store_barrier: order table stores before linking (may be NULL). */
int hypmap_init(const struct pt_format *fmt, void (*invalidate)(void *ctx, vaddr_t va, uint64_t size),
                void (*store_barrier)(void *ctx));
/* Identity-map [base, base+size), widened to pages; pages already mapped
 * (device windows sharing a page) are kept as they are. */
int hypmap_range(paddr_t base, uint64_t size, uint32_t attrs);
/* Identity-map a RAM bank; where it holds the hypervisor image, the image is
 * split into text (RX), read-only data (R) and data (RW, no execute). */
int hypmap_ram_bank(paddr_t base, uint64_t size);
paddr_t hypmap_root(void);

#endif
