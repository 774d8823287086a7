/* AArch64 VMSAv8-64 descriptor formats (4 KiB granule) for the generic
 * page-table walker (ax/pagetable.h). Plain C, so host tests use them too.
 *
 * pte_aarch64_s1: EL2 stage-1 (TTBR0_EL2 with HCR_EL2.E2H = 0: one VA range,
 *   one privilege level). Default 48-bit VA = 4 levels from Arm level 0
 *   (TCR_EL2.T0SZ = 16); pt_init_bits(.., 39, ..) gives 3 levels from
 *   level 1 (T0SZ = 25). Accepts 25..48 bits.
 *   Leaf: AttrIndx from the fixed MAIR below, AP[1] = 1 (RES1 in this regime),
 *   AP[2] = 1 when !PT_W, XN (bit 54) when !PT_X, AF = 1, SH = inner for
 *   normal write-back, outer for device and non-cacheable (Arm treats both
 *   as outer shareable anyway). PT_R is required (a valid entry is always
 *   readable here); PT_U is dropped (no EL0 in this regime).
 *
 * pte_aarch64_s2: stage-2 (VTTBR_EL2). Default 40-bit IPA = 4 levels from
 *   level 0: VTCR_EL2.T0SZ = 24, SL0 = 0b10. Starting at level 0 with a 4 KiB
 *   granule needs ID_AA64MMFR0_EL1.PARange >= 44 bits (QEMU cortex-a72:
 *   0b0100 = 44 bits, fine). A 40-bit IPA cannot start at level 1 without
 *   two concatenated level-1 tables (level 1 resolves IPA[38:30] only), which
 *   this walker does not do. For 3 levels from level 1 use
 *   pt_init_bits(.., 39, ..): T0SZ = 25, SL0 = 0b01. Accepts 25..48 bits.
 *   In both cases VTCR_EL2.TG0 = 0b00 (4 KiB), SH0 = 0b11, IRGN0 = ORGN0 =
 *   0b01 (write-back walks, so no cache maintenance of the tables) and
 *   PS >= the IPA size (QEMU faults an IPA size above the PA size).
 *   Leaf: MemAttr[3:0] (HCR_EL2.FWB = 0) 0b0001 Device-nGnRE, 0b0101 Normal
 *   NC, 0b1111 Normal WB; S2AP[0] (bit 6) = PT_R, S2AP[1] (bit 7) = PT_W;
 *   XN (bit 54; XN[1] with FEAT_XNX, meaning "no execution at EL1 or EL0")
 *   when !PT_X; AF = 1; SH as for stage 1. PT_U is dropped: without
 *   FEAT_XNX stage 2 does not tell EL0 from EL1.
 *
 * Both: blocks at Arm level 1 (1 GiB) and level 2 (2 MiB); table and output
 * addresses are bits [47:12]; table descriptors carry no hierarchical
 * attributes (APTable/XNTable/PXNTable = 0).
 */
#ifndef AX_PTE_AARCH64_H
#define AX_PTE_AARCH64_H

#include "ax/pagetable.h"

extern const struct pt_format pte_aarch64_s1;
extern const struct pt_format pte_aarch64_s2;

/* MAIR_EL2 layout the stage-1 format assumes. */
#define A64_MAIR_IDX_DEVICE 0u /* Device-nGnRE */
#define A64_MAIR_IDX_NORMAL 1u /* Normal, inner/outer WB non-transient RA WA */
#define A64_MAIR_IDX_NC 2u     /* Normal, inner/outer non-cacheable */
#define A64_MAIR_ATTR_DEVICE_nGnRE 0x04ull
#define A64_MAIR_ATTR_NORMAL_WB 0xFFull
#define A64_MAIR_ATTR_NORMAL_NC 0x44ull
#define A64_MAIR_EL2_VALUE                                     \
    ((A64_MAIR_ATTR_DEVICE_nGnRE << (8 * A64_MAIR_IDX_DEVICE)) | \
     (A64_MAIR_ATTR_NORMAL_WB << (8 * A64_MAIR_IDX_NORMAL)) |    \
     (A64_MAIR_ATTR_NORMAL_NC << (8 * A64_MAIR_IDX_NC))) /* 0x44FF04 */

/* Descriptor fields (shared by both stages unless marked). */
#define A64_PTE_VALID (1ull << 0)
#define A64_PTE_TABLE (1ull << 1) /* table at levels 0-2, page at level 3 */
#define A64_PTE_ADDR_MASK 0x0000FFFFFFFFF000ull /* bits [47:12] */
#define A64_PTE_ATTRINDX(i) ((uint64_t)(i) << 2) /* stage 1 */
#define A64_PTE_AP_RES1 (1ull << 6)              /* stage 1: AP[1] */
#define A64_PTE_AP_RO (1ull << 7)                /* stage 1: AP[2] */
#define A64_PTE_MEMATTR(m) ((uint64_t)(m) << 2)  /* stage 2: MemAttr[3:0] */
#define A64_PTE_S2AP_R (1ull << 6)               /* stage 2: S2AP[0] */
#define A64_PTE_S2AP_W (1ull << 7)               /* stage 2: S2AP[1] */
#define A64_PTE_SH_OUTER (2ull << 8)
#define A64_PTE_SH_INNER (3ull << 8)
#define A64_PTE_AF (1ull << 10)
#define A64_PTE_XN (1ull << 54)

#define A64_S2_MEMATTR_DEVICE_nGnRE 0x1u
#define A64_S2_MEMATTR_NORMAL_NC 0x5u
#define A64_S2_MEMATTR_NORMAL_WB 0xFu

/* TCR_EL2.T0SZ / VTCR_EL2.T0SZ for an input size. */
static inline unsigned a64_t0sz(unsigned va_bits)
{
    return 64u - va_bits;
}

/* Arm level of a table's root: 4 levels -> 0, 3 -> 1, 2 -> 2. */
static inline unsigned a64_start_level(const struct pagetable *pt)
{
    return 4u - pt->levels;
}

/* VTCR_EL2.SL0 for a 4 KiB granule without concatenation:
 * start level 2 -> 0b00, 1 -> 0b01, 0 -> 0b10. */
static inline unsigned a64_vtcr_sl0(const struct pagetable *pt)
{
    return 2u - a64_start_level(pt);
}

#endif
