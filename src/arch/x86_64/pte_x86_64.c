/* x86-64 paging entry encodings for the generic walker. The layout and the
 * reasons behind each choice are in ax/pte_x86_64.h. Heights: 0 = PT (4 KiB
 * leaf), 1 = PD (2 MiB blocks), 2 = PDPT (1 GiB blocks), 3 = PML4. */
#include "ax/pte_x86_64.h"

static uint64_t x86_make_table(paddr_t next)
{
    return (next & X86_PTE_ADDR_MASK) | X86_PTE_P | X86_PTE_RW;
}

static uint64_t x86_npt_make_table(paddr_t next)
{
    return x86_make_table(next) | X86_PTE_US;
}

static bool x86_is_valid(uint64_t pte, unsigned lvl)
{
    (void)lvl;
    return (pte & X86_PTE_P) != 0;
}

/* PS is only meaningful in the PD and PDPT; a PML4 entry is always a table. */
static bool x86_is_table(uint64_t pte, unsigned lvl)
{
    if (lvl == 0 || !(pte & X86_PTE_P))
        return false;
    return lvl == 3 || !(pte & X86_PTE_PS);
}

static paddr_t x86_pte_addr(uint64_t pte)
{
    return pte & X86_PTE_ADDR_MASK;
}

static bool x86_block_allowed(unsigned lvl)
{
    return lvl == 1 || lvl == 2;
}

/* Accessed and dirty are preset so the CPU never has to write them back
 * into the tables (and a walk never dirties a read-only mapping's entry). */
static uint64_t x86_make_leaf(paddr_t pa, unsigned lvl, uint32_t attrs)
{
    uint64_t pte = (pa & X86_PTE_ADDR_MASK) | X86_PTE_P | X86_PTE_A | X86_PTE_D;
    if (lvl > 0)
        pte |= X86_PTE_PS;
    if (attrs & PT_W)
        pte |= X86_PTE_RW;
    if (!(attrs & PT_X))
        pte |= X86_PTE_NX;
    if (attrs & PT_DEVICE)
        pte |= X86_PTE_PCD | X86_PTE_PWT;
    else if (attrs & PT_NC)
        pte |= X86_PTE_PCD;
    return pte;
}

static uint64_t x86_npt_make_leaf(paddr_t pa, unsigned lvl, uint32_t attrs)
{
    return x86_make_leaf(pa, lvl, attrs) | X86_PTE_US;
}

static uint32_t x86_pte_attrs(uint64_t pte, unsigned lvl)
{
    (void)lvl;
    uint32_t attrs = PT_R;
    if (pte & X86_PTE_RW)
        attrs |= PT_W;
    if (!(pte & X86_PTE_NX))
        attrs |= PT_X;
    if ((pte & (X86_PTE_PCD | X86_PTE_PWT)) == (X86_PTE_PCD | X86_PTE_PWT))
        attrs |= PT_DEVICE;
    else if (pte & X86_PTE_PCD)
        attrs |= PT_NC;
    else if (pte & X86_PTE_PWT)
        attrs |= PT_DEVICE; /* write-through: never written by us; the safe reading */
    return attrs;
}

const struct pt_format pte_x86_64 = {
    .name = "x86_64",
    .va_bits = 48,
    .va_bits_min = 48,
    .va_bits_max = 48,
    .pa_bits = 48,
    .attrs_supported = PT_R | PT_W | PT_X | PT_DEVICE | PT_NC,
    .attrs_required = PT_R,
    .make_table = x86_make_table,
    .make_leaf = x86_make_leaf,
    .is_valid = x86_is_valid,
    .is_table = x86_is_table,
    .pte_addr = x86_pte_addr,
    .pte_attrs = x86_pte_attrs,
    .block_allowed = x86_block_allowed,
};

const struct pt_format pte_x86_64_npt = {
    .name = "x86_64-npt",
    .va_bits = 48,
    .va_bits_min = 48,
    .va_bits_max = 48,
    .pa_bits = 48,
    .attrs_supported = PT_R | PT_W | PT_X | PT_DEVICE | PT_NC,
    .attrs_required = PT_R,
    .make_table = x86_npt_make_table,
    .make_leaf = x86_npt_make_leaf,
    .is_valid = x86_is_valid,
    .is_table = x86_is_table,
    .pte_addr = x86_pte_addr,
    .pte_attrs = x86_pte_attrs,
    .block_allowed = x86_block_allowed,
};
