/* AArch64 descriptor encodings for the generic walker. Field layout and the
 * reasons behind each choice are in ax/pte_aarch64.h. Heights (0 = 4 KiB
 * leaf) are the walker's; Arm level = 3 - height. */
#include "ax/pte_aarch64.h"

#define A64_LO_TYPE_MASK 0x3ull
#define A64_ATTRINDX_MASK (7ull << 2)
#define A64_MEMATTR_MASK (0xFull << 2)

/* ---- shared ------------------------------------------------------------ */

static uint64_t a64_make_table(paddr_t next)
{
    return (next & A64_PTE_ADDR_MASK) | A64_PTE_VALID | A64_PTE_TABLE;
}

/* At Arm level 3 the "table" encoding 0b11 is the page descriptor and 0b01
 * is reserved (treated as invalid). */
static bool a64_is_valid(uint64_t pte, unsigned lvl)
{
    if (lvl == 0)
        return (pte & A64_LO_TYPE_MASK) == (A64_PTE_VALID | A64_PTE_TABLE);
    return (pte & A64_PTE_VALID) != 0;
}

static bool a64_is_table(uint64_t pte, unsigned lvl)
{
    return lvl > 0 &&
           (pte & A64_LO_TYPE_MASK) == (A64_PTE_VALID | A64_PTE_TABLE);
}

static paddr_t a64_pte_addr(uint64_t pte)
{
    return pte & A64_PTE_ADDR_MASK;
}

/* 4 KiB granule without FEAT_LPA2: 1 GiB blocks at level 1, 2 MiB at 2. */
static bool a64_block_allowed(unsigned lvl)
{
    return lvl == 1 || lvl == 2;
}

static uint64_t a64_leaf_base(paddr_t pa, unsigned lvl)
{
    uint64_t type = lvl == 0 ? (A64_PTE_VALID | A64_PTE_TABLE) : A64_PTE_VALID;
    return (pa & A64_PTE_ADDR_MASK) | type | A64_PTE_AF;
}

/* Device and Normal-NC are outer shareable whatever SH says; say so. */
static uint64_t a64_shareability(uint32_t attrs)
{
    return (attrs & (PT_DEVICE | PT_NC)) ? A64_PTE_SH_OUTER : A64_PTE_SH_INNER;
}

/* ---- EL2 stage 1 ------------------------------------------------------- */

static uint64_t a64_s1_make_leaf(paddr_t pa, unsigned lvl, uint32_t attrs)
{
    unsigned idx = A64_MAIR_IDX_NORMAL;
    if (attrs & PT_DEVICE)
        idx = A64_MAIR_IDX_DEVICE;
    else if (attrs & PT_NC)
        idx = A64_MAIR_IDX_NC;

    uint64_t pte = a64_leaf_base(pa, lvl) | A64_PTE_ATTRINDX(idx) |
                   A64_PTE_AP_RES1 | a64_shareability(attrs);
    if (!(attrs & PT_W))
        pte |= A64_PTE_AP_RO;
    if (!(attrs & PT_X))
        pte |= A64_PTE_XN;
    return pte;
}

static uint32_t a64_s1_pte_attrs(uint64_t pte, unsigned lvl)
{
    (void)lvl;
    uint32_t attrs = PT_R;
    if (!(pte & A64_PTE_AP_RO))
        attrs |= PT_W;
    if (!(pte & A64_PTE_XN))
        attrs |= PT_X;
    switch ((pte & A64_ATTRINDX_MASK) >> 2) {
    case A64_MAIR_IDX_NORMAL:
        break;
    case A64_MAIR_IDX_NC:
        attrs |= PT_NC;
        break;
    default: /* index 0 and any index we never write: the safe reading */
        attrs |= PT_DEVICE;
        break;
    }
    return attrs;
}

const struct pt_format pte_aarch64_s1 = {
    .name = "aarch64-el2-s1",
    .va_bits = 48,
    .va_bits_min = 25,
    .va_bits_max = 48,
    .pa_bits = 48,
    .attrs_supported = PT_R | PT_W | PT_X | PT_DEVICE | PT_NC,
    .attrs_required = PT_R,
    .make_table = a64_make_table,
    .make_leaf = a64_s1_make_leaf,
    .is_valid = a64_is_valid,
    .is_table = a64_is_table,
    .pte_addr = a64_pte_addr,
    .pte_attrs = a64_s1_pte_attrs,
    .block_allowed = a64_block_allowed,
};

/* ---- stage 2 ----------------------------------------------------------- */

static uint64_t a64_s2_make_leaf(paddr_t pa, unsigned lvl, uint32_t attrs)
{
    unsigned memattr = A64_S2_MEMATTR_NORMAL_WB;
    if (attrs & PT_DEVICE)
        memattr = A64_S2_MEMATTR_DEVICE_nGnRE;
    else if (attrs & PT_NC)
        memattr = A64_S2_MEMATTR_NORMAL_NC;

    uint64_t pte = a64_leaf_base(pa, lvl) | A64_PTE_MEMATTR(memattr) |
                   a64_shareability(attrs);
    if (attrs & PT_R)
        pte |= A64_PTE_S2AP_R;
    if (attrs & PT_W)
        pte |= A64_PTE_S2AP_W;
    if (!(attrs & PT_X))
        pte |= A64_PTE_XN;
    return pte;
}

static uint32_t a64_s2_pte_attrs(uint64_t pte, unsigned lvl)
{
    (void)lvl;
    uint32_t attrs = 0;
    if (pte & A64_PTE_S2AP_R)
        attrs |= PT_R;
    if (pte & A64_PTE_S2AP_W)
        attrs |= PT_W;
    if (!(pte & A64_PTE_XN))
        attrs |= PT_X;
    switch ((pte & A64_MEMATTR_MASK) >> 2) {
    case A64_S2_MEMATTR_NORMAL_WB:
        break;
    case A64_S2_MEMATTR_NORMAL_NC:
        attrs |= PT_NC;
        break;
    default:
        attrs |= PT_DEVICE;
        break;
    }
    return attrs;
}

const struct pt_format pte_aarch64_s2 = {
    .name = "aarch64-s2",
    .va_bits = 40,
    .va_bits_min = 25,
    .va_bits_max = 48,
    .pa_bits = 48,
    .attrs_supported = PT_R | PT_W | PT_X | PT_DEVICE | PT_NC,
    .attrs_required = 0,
    .make_table = a64_make_table,
    .make_leaf = a64_s2_make_leaf,
    .is_valid = a64_is_valid,
    .is_table = a64_is_table,
    .pte_addr = a64_pte_addr,
    .pte_attrs = a64_s2_pte_attrs,
    .block_allowed = a64_block_allowed,
};
