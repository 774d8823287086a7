/* RISC-V page-table formats (4 KiB pages) for the generic walker
 * (ax/pagetable.h). Plain C, so host tests use them too.
 *
 * pte_riscv64_sv39: the hypervisor's own HS-mode map (satp MODE = 8, Sv39):
 *   39-bit VA, 3 levels, root = one 4 KiB page. Leaves carry R/W/X as
 *   asked, A = D = 1 (no A/D update faults, with or without Svadu) and
 *   U = 0 (HS-mode code never runs with SUM, so U pages would be out of its
 *   reach). PT_R is required: W without R is a reserved encoding. Memory
 *   types (PT_DEVICE, PT_NC) are dropped: without Svpbmt the platform's
 *   PMAs decide them, and QEMU virt's device ranges are I/O by PMA already.
 *
 * pte_riscv64_sv39x4: the G-stage (hgatp MODE = 8, Sv39x4). The hardware
 *   format takes a 41-bit guest-physical address and a 16 KiB root table
 *   (2048 entries, four concatenated pages, 16 KiB aligned); the walker
 *   supports only one-page roots. We use it with 39-bit input: every guest
 *   physical layout stays below 512 GiB, so GPA bits 40:39 are 0 and a
 *   walk only ever indexes the first 512 entries (the first page) of the
 *   root. The arch layer (src/arch/riscv64/vcpu.c) moves the walker's root
 *   into the first page of a zeroed, 16 KiB aligned block of four pages
 *   before the table goes live; the other three pages stay zero (invalid),
 *   so a GPA >= 512 GiB faults as it should.
 *   Leaves: R/W/X as asked, U = 1 (the G-stage treats every access as a
 *   user access: a leaf without U faults), A = D = 1. PT_R required, memory
 *   types and PT_U dropped as above.
 *
 * Both: non-leaf entries are V = 1 with R = W = X = 0 (and A, D, U = 0);
 * blocks of 2 MiB (height 1) and 1 GiB (height 2); PPN in bits 53:10 holds
 * physical address bits 55:12.
 */
#ifndef AX_PTE_RISCV64_H
#define AX_PTE_RISCV64_H

#include "ax/pagetable.h"

extern const struct pt_format pte_riscv64_sv39;
extern const struct pt_format pte_riscv64_sv39x4;

#define RV_PTE_V (1ull << 0)
#define RV_PTE_R (1ull << 1)
#define RV_PTE_W (1ull << 2)
#define RV_PTE_X (1ull << 3)
#define RV_PTE_U (1ull << 4)
#define RV_PTE_G (1ull << 5)
#define RV_PTE_A (1ull << 6)
#define RV_PTE_D (1ull << 7)
#define RV_PTE_PPN_SHIFT 10
#define RV_PTE_PPN_MASK (((1ull << 44) - 1) << RV_PTE_PPN_SHIFT) /* bits 53:10 */

/* satp / hgatp MODE field values */
#define RV_SATP_MODE_SV39 (8ull << 60)
#define RV_HGATP_MODE_SV39X4 (8ull << 60)
#define RV_HGATP_VMID_SHIFT 44
#define RV_HGATP_VMID_MASK (0x3fffull << RV_HGATP_VMID_SHIFT)
#define RV_HGATP_ROOT_PAGES 4u    /* Sv39x4 root: 16 KiB, 16 KiB aligned */

static inline uint64_t rv_satp_sv39(paddr_t root)
{
    return RV_SATP_MODE_SV39 | (root >> 12);
}

static inline uint64_t rv_hgatp_sv39x4(paddr_t root, unsigned vmid)
{
    return RV_HGATP_MODE_SV39X4 | (((uint64_t)vmid << RV_HGATP_VMID_SHIFT) & RV_HGATP_VMID_MASK) |
           (root >> 12);
}

#endif
