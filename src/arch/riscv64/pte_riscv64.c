/* RISC-V Sv39 / Sv39x4 entry encodings for the generic walker. The layout
 * and the reasons behind each choice are in ax/pte_riscv64.h. Heights are
 * the walker's (0 = 4 KiB leaf), which is also RISC-V's level numbering. */
#include "ax/pte_riscv64.h"

#define RV_PTE_RWX (RV_PTE_R | RV_PTE_W | RV_PTE_X)

static uint64_t rv_ppn_bits(paddr_t pa)
{
    return ((uint64_t)pa >> 12 << RV_PTE_PPN_SHIFT) & RV_PTE_PPN_MASK;
}

static uint64_t rv_make_table(paddr_t next)
{
    return rv_ppn_bits(next) | RV_PTE_V;
}

/* A valid entry with W set but R clear is reserved: the hardware faults on
 * it, so it is not a mapping. */
static bool rv_is_valid(uint64_t pte, unsigned lvl)
{
    (void)lvl;
    if (!(pte & RV_PTE_V))
        return false;
    return !((pte & RV_PTE_W) && !(pte & RV_PTE_R));
}

static bool rv_is_table(uint64_t pte, unsigned lvl)
{
    return lvl > 0 && rv_is_valid(pte, lvl) && !(pte & RV_PTE_RWX);
}

static paddr_t rv_pte_addr(uint64_t pte)
{
    return (pte & RV_PTE_PPN_MASK) >> RV_PTE_PPN_SHIFT << 12;
}

/* Sv39: 2 MiB megapages at height 1, 1 GiB gigapages at height 2. */
static bool rv_block_allowed(unsigned lvl)
{
    return lvl == 1 || lvl == 2;
}

static uint64_t rv_leaf_perms(uint32_t attrs)
{
    uint64_t pte = RV_PTE_V | RV_PTE_A | RV_PTE_D;
    if (attrs & PT_R)
        pte |= RV_PTE_R;
    if (attrs & PT_W)
        pte |= RV_PTE_W;
    if (attrs & PT_X)
        pte |= RV_PTE_X;
    return pte;
}

static uint32_t rv_pte_perms(uint64_t pte, unsigned lvl)
{
    (void)lvl;
    uint32_t attrs = 0;
    if (pte & RV_PTE_R)
        attrs |= PT_R;
    if (pte & RV_PTE_W)
        attrs |= PT_W;
    if (pte & RV_PTE_X)
        attrs |= PT_X;
    return attrs;
}

/* ---- HS-mode stage 1 (satp) ------------------------------------------- */

static uint64_t rv_s1_make_leaf(paddr_t pa, unsigned lvl, uint32_t attrs)
{
    (void)lvl;
    return rv_ppn_bits(pa) | rv_leaf_perms(attrs);
}

const struct pt_format pte_riscv64_sv39 = {
    .name = "riscv64-sv39",
    .va_bits = 39,
    .va_bits_min = 39,
    .va_bits_max = 39,
    .pa_bits = 56,
    .attrs_supported = PT_R | PT_W | PT_X,
    .attrs_required = PT_R,
    .make_table = rv_make_table,
    .make_leaf = rv_s1_make_leaf,
    .is_valid = rv_is_valid,
    .is_table = rv_is_table,
    .pte_addr = rv_pte_addr,
    .pte_attrs = rv_pte_perms,
    .block_allowed = rv_block_allowed,
};

/* ---- G-stage (hgatp) --------------------------------------------------- */

static uint64_t rv_g_make_leaf(paddr_t pa, unsigned lvl, uint32_t attrs)
{
    (void)lvl;
    return rv_ppn_bits(pa) | rv_leaf_perms(attrs) | RV_PTE_U;
}

const struct pt_format pte_riscv64_sv39x4 = {
    .name = "riscv64-sv39x4",
    .va_bits = 39,
    .va_bits_min = 39,
    .va_bits_max = 39,
    .pa_bits = 56,
    .attrs_supported = PT_R | PT_W | PT_X,
    .attrs_required = PT_R,
    .make_table = rv_make_table,
    .make_leaf = rv_g_make_leaf,
    .is_valid = rv_is_valid,
    .is_table = rv_is_table,
    .pte_addr = rv_pte_addr,
    .pte_attrs = rv_pte_perms,
    .block_allowed = rv_block_allowed,
};
