/* Unit tests for the generic page-table walker and the aarch64 formats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ax/pagetable.h"
#include "ax/pte_aarch64.h"

/* ---- a counting page allocator over an arena --------------------------- */

#define ARENA_PAGES 1200u
/* Fake physical base: tables live far from the addresses the tests map, so
 * confusing a table address with a mapping shows up. */
#define ARENA_PA 0x0000008000000000ull

struct arena {
    uint8_t *mem;
    bool used[ARENA_PAGES];
    unsigned live;
    long fail_after; /* allocations that still succeed; < 0: unlimited */
    unsigned invalidates;
    unsigned barriers;
    const struct pagetable *pt; /* for the invalidate hook's checks */
    vaddr_t inv_va[64];
    uint64_t inv_size[64];
};

static struct arena A;

static paddr_t arena_alloc(void *ctx)
{
    struct arena *a = ctx;
    if (a->fail_after == 0)
        return PT_PADDR_NONE;
    if (a->fail_after > 0)
        a->fail_after--;
    for (unsigned i = 0; i < ARENA_PAGES; i++) {
        if (!a->used[i]) {
            a->used[i] = true;
            a->live++;
            /* garbage: the walker must clear what it gets */
            memset(a->mem + (size_t)i * PAGE_SIZE, 0xA5, PAGE_SIZE);
            return ARENA_PA + (paddr_t)i * PAGE_SIZE;
        }
    }
    return PT_PADDR_NONE;
}

static unsigned arena_slot(paddr_t pa)
{
    assert_true(pa >= ARENA_PA);
    assert_true(IS_ALIGNED(pa, PAGE_SIZE));
    uint64_t i = (pa - ARENA_PA) / PAGE_SIZE;
    assert_true(i < ARENA_PAGES);
    return (unsigned)i;
}

static void arena_free(void *ctx, paddr_t pa)
{
    struct arena *a = ctx;
    unsigned i = arena_slot(pa);
    assert_true(a->used[i]); /* double free / foreign page */
    a->used[i] = false;
    a->live--;
    memset(a->mem + (size_t)i * PAGE_SIZE, 0x5A, PAGE_SIZE);
}

static void *arena_p2v(void *ctx, paddr_t pa)
{
    struct arena *a = ctx;
    unsigned i = arena_slot(pa);
    assert_true(a->used[i]); /* walker touching a freed page */
    return a->mem + (size_t)i * PAGE_SIZE;
}

static void arena_invalidate(void *ctx, vaddr_t va, uint64_t size)
{
    struct arena *a = ctx;
    if (a->invalidates < 64) {
        a->inv_va[a->invalidates] = va;
        a->inv_size[a->invalidates] = size;
    }
    a->invalidates++;
    /* break-before-make: at this point nothing translates va */
    if (a->pt)
        assert_int_equal(pt_query(a->pt, va, NULL, NULL, NULL), -AX_ENOENT);
}

static void arena_barrier(void *ctx)
{
    ((struct arena *)ctx)->barriers++;
}

static struct pt_env arena_env(void)
{
    struct pt_env env = {
        .alloc_page = arena_alloc,
        .free_page = arena_free,
        .phys_to_virt = arena_p2v,
        .invalidate = NULL,
        .store_barrier = arena_barrier,
        .ctx = &A,
    };
    return env;
}

static int setup(void **state)
{
    (void)state;
    memset(&A, 0, sizeof(A));
    A.mem = aligned_alloc(PAGE_SIZE, (size_t)ARENA_PAGES * PAGE_SIZE);
    A.fail_after = -1;
    return A.mem ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    free(A.mem);
    A.mem = NULL;
    return 0;
}

static void init_pt(struct pagetable *pt, const struct pt_format *fmt,
                    unsigned bits)
{
    struct pt_env env = arena_env();
    assert_int_equal(pt_init_bits(pt, fmt, bits, &env), 0);
    assert_int_equal(A.live, 1);
}

/* Reads the raw entry at height `lvl` for va with the test's own index
 * arithmetic (not the walker's). */
static uint64_t raw_pte(const struct pagetable *pt, vaddr_t va, unsigned lvl)
{
    paddr_t tpa = pt->root;
    for (unsigned h = pt->levels - 1;; h--) {
        uint64_t *t = arena_p2v(&A, tpa);
        uint64_t pte = t[(va >> (12 + 9 * h)) & 511];
        if (h == lvl)
            return pte;
        assert_int_equal(pte & 3, 3); /* a table on the way */
        tpa = pte & A64_PTE_ADDR_MASK;
    }
}

static void expect_map(const struct pagetable *pt, vaddr_t va, paddr_t pa,
                       uint32_t attrs, uint64_t size)
{
    paddr_t got_pa = 0;
    uint32_t got_attrs = 0;
    uint64_t got_size = 0;
    assert_int_equal(pt_query(pt, va, &got_pa, &got_attrs, &got_size), 0);
    assert_int_equal(got_pa, pa);
    assert_int_equal(got_attrs, attrs);
    assert_int_equal(got_size, size);
}

static void expect_hole(const struct pagetable *pt, vaddr_t va)
{
    assert_int_equal(pt_query(pt, va, NULL, NULL, NULL), -AX_ENOENT);
}

#define RW (PT_R | PT_W)
#define RWX (PT_R | PT_W | PT_X)

/* ---- tests ------------------------------------------------------------- */

static void test_init_destroy(void **state)
{
    (void)state;
    struct pagetable pt;
    struct pt_env env = arena_env();

    assert_int_equal(pt_init(&pt, &pte_aarch64_s1, &env), 0);
    assert_int_equal(pt.levels, 4);
    assert_int_equal(pt.va_bits, 48);
    assert_int_equal(A.live, 1);
    /* the root came back zeroed although the arena hands out garbage */
    const uint64_t *root = arena_p2v(&A, pt.root);
    for (unsigned i = 0; i < 512; i++)
        assert_int_equal(root[i], 0);
    pt_destroy(&pt);
    assert_int_equal(A.live, 0);
    pt_destroy(&pt); /* idempotent */

    assert_int_equal(pt_init_bits(&pt, &pte_aarch64_s1, 39, &env), 0);
    assert_int_equal(pt.levels, 3);
    pt_destroy(&pt);
    assert_int_equal(pt_init(&pt, &pte_aarch64_s2, &env), 0);
    assert_int_equal(pt.levels, 4);
    assert_int_equal(pt.va_bits, 40);
    pt_destroy(&pt);

    assert_int_equal(pt_init_bits(&pt, &pte_aarch64_s1, 49, &env), -AX_EINVAL);
    assert_int_equal(pt_init_bits(&pt, &pte_aarch64_s1, 24, &env), -AX_EINVAL);
    assert_int_equal(pt_init(&pt, NULL, &env), -AX_EINVAL);
    assert_int_equal(pt_init(&pt, &pte_aarch64_s1, NULL), -AX_EINVAL);
    struct pt_env bad = env;
    bad.phys_to_virt = NULL;
    assert_int_equal(pt_init(&pt, &pte_aarch64_s1, &bad), -AX_EINVAL);
    /* an uninitialised-by-failure table refuses work instead of crashing */
    assert_int_equal(pt_map(&pt, 0, 0, PAGE_SIZE, RW), -AX_EINVAL);
    assert_int_equal(pt_query(&pt, 0, NULL, NULL, NULL), -AX_EINVAL);
    pt_destroy(&pt);

    A.fail_after = 0;
    assert_int_equal(pt_init(&pt, &pte_aarch64_s1, &env), -AX_ENOMEM);
    assert_int_equal(A.live, 0);
}

static void test_map_query_4k(void **state)
{
    (void)state;
    struct pagetable pt;
    init_pt(&pt, &pte_aarch64_s1, 48);

    assert_int_equal(pt_map(&pt, 0x40001000, 0x80005000, PAGE_SIZE, RW), 0);
    /* root + L1 + L2 + L3 tables */
    assert_int_equal(A.live, 4);
    expect_map(&pt, 0x40001000, 0x80005000, RW, PAGE_SIZE);
    expect_map(&pt, 0x40001ff8, 0x80005ff8, RW, PAGE_SIZE);
    expect_hole(&pt, 0x40000000);
    expect_hole(&pt, 0x40002000);

    uint64_t hole = 0;
    assert_int_equal(pt_query(&pt, 0x40002000, NULL, NULL, &hole), -AX_ENOENT);
    assert_int_equal(hole, PAGE_SIZE);
    assert_int_equal(pt_query(&pt, 0x40200000, NULL, NULL, &hole), -AX_ENOENT);
    assert_int_equal(hole, MiB(2));
    assert_int_equal(pt_query(&pt, GiB(5), NULL, NULL, &hole), -AX_ENOENT);
    assert_int_equal(hole, GiB(1));
    assert_int_equal(pt_query(&pt, GiB(512), NULL, NULL, &hole), -AX_ENOENT);
    assert_int_equal(hole, GiB(512));
    assert_int_equal(pt_query(&pt, (vaddr_t)1 << 48, NULL, NULL, NULL),
                     -AX_EINVAL);

    /* the very last page of the input space */
    vaddr_t last = ((vaddr_t)1 << 48) - PAGE_SIZE;
    assert_int_equal(pt_map(&pt, last, 0x1000, PAGE_SIZE, PT_R), 0);
    expect_map(&pt, last + 0x123, 0x1123, PT_R, PAGE_SIZE);

    assert_true(A.barriers > 0);
    pt_destroy(&pt);
    assert_int_equal(A.live, 0);
}

static void test_block_selection(void **state)
{
    (void)state;
    struct pagetable pt;
    init_pt(&pt, &pte_aarch64_s1, 48);

    /* aligned 1 GiB: one L1 block, only root + L1 table */
    assert_int_equal(pt_map(&pt, GiB(1), GiB(4), GiB(1), RWX), 0);
    assert_int_equal(A.live, 2);
    expect_map(&pt, GiB(1), GiB(4), RWX, GiB(1));
    expect_map(&pt, GiB(2) - PAGE_SIZE, GiB(5) - PAGE_SIZE, RWX, GiB(1));
    expect_hole(&pt, GiB(2));
    expect_hole(&pt, GiB(1) - PAGE_SIZE);

    /* va 1 GiB aligned, pa only 2 MiB aligned: 2 MiB blocks */
    assert_int_equal(pt_map(&pt, GiB(8), GiB(8) + MiB(2), GiB(1), RW), 0);
    expect_map(&pt, GiB(8), GiB(8) + MiB(2), RW, MiB(2));
    expect_map(&pt, GiB(9) - PAGE_SIZE, GiB(9) + MiB(2) - PAGE_SIZE, RW, MiB(2));

    /* 1G + 2M + 4K: one of each, in order */
    vaddr_t va = GiB(16);
    paddr_t pa = GiB(32);
    assert_int_equal(pt_map(&pt, va, pa, GiB(1) + MiB(2) + KiB(4), RW), 0);
    expect_map(&pt, va, pa, RW, GiB(1));
    expect_map(&pt, va + GiB(1), pa + GiB(1), RW, MiB(2));
    expect_map(&pt, va + GiB(1) + MiB(2), pa + GiB(1) + MiB(2), RW, KiB(4));
    expect_hole(&pt, va + GiB(1) + MiB(2) + KiB(4));

    /* unaligned start: 4K pages up to the 2M boundary, then a 2M block,
     * then 4K pages again */
    va = GiB(20) + MiB(2) - KiB(8);
    pa = GiB(40) + MiB(2) - KiB(8);
    assert_int_equal(pt_map(&pt, va, pa, MiB(2) + KiB(16), RW), 0);
    expect_map(&pt, va, pa, RW, KiB(4));
    expect_map(&pt, va + KiB(4), pa + KiB(4), RW, KiB(4));
    expect_map(&pt, va + KiB(8), pa + KiB(8), RW, MiB(2));
    expect_map(&pt, va + KiB(8) + MiB(2), pa + KiB(8) + MiB(2), RW, KiB(4));
    expect_map(&pt, va + KiB(12) + MiB(2), pa + KiB(12) + MiB(2), RW, KiB(4));
    expect_hole(&pt, va + KiB(16) + MiB(2));
    expect_hole(&pt, va - KiB(4));

    /* va and pa misaligned against each other: pages only */
    assert_int_equal(pt_map(&pt, GiB(24), GiB(24) + KiB(4), MiB(4), RW), 0);
    expect_map(&pt, GiB(24) + MiB(3), GiB(24) + MiB(3) + KiB(4), RW, KiB(4));

    pt_destroy(&pt);
    assert_int_equal(A.live, 0);
}

static void test_three_level(void **state)
{
    (void)state;
    struct pagetable pt;
    init_pt(&pt, &pte_aarch64_s1, 39);
    assert_int_equal(a64_start_level(&pt), 1);
    assert_int_equal(a64_t0sz(pt.va_bits), 25);

    /* the root is Arm level 1, so a 1 GiB block goes in the root itself */
    assert_int_equal(pt_map(&pt, GiB(3), GiB(1), GiB(1), RW), 0);
    assert_int_equal(A.live, 1);
    expect_map(&pt, GiB(3) + 0x1234000, GiB(1) + 0x1234000, RW, GiB(1));
    assert_int_equal(raw_pte(&pt, GiB(3), 2) & 3, 1); /* block descriptor */

    vaddr_t top = (vaddr_t)1 << 39;
    assert_int_equal(pt_map(&pt, top - MiB(2), 0, MiB(2), RW), 0);
    expect_map(&pt, top - PAGE_SIZE, MiB(2) - PAGE_SIZE, RW, MiB(2));
    assert_int_equal(pt_map(&pt, top, 0, PAGE_SIZE, RW), -AX_EINVAL);
    assert_int_equal(pt_map(&pt, top - PAGE_SIZE, 0, 2 * PAGE_SIZE, RW),
                     -AX_EINVAL);
    assert_int_equal(pt_query(&pt, top, NULL, NULL, NULL), -AX_EINVAL);

    assert_int_equal(pt_unmap(&pt, 0, top), 0);
    assert_int_equal(A.live, 1);
    pt_destroy(&pt);
    assert_int_equal(A.live, 0);
}

static void test_stage2_geometry(void **state)
{
    (void)state;
    struct pagetable pt;
    init_pt(&pt, &pte_aarch64_s2, 40);
    /* 40-bit IPA: 4 levels from level 0, root uses 2 entries */
    assert_int_equal(a64_start_level(&pt), 0);
    assert_int_equal(a64_vtcr_sl0(&pt), 2);
    assert_int_equal(a64_t0sz(pt.va_bits), 24);

    vaddr_t top = (vaddr_t)1 << 40;
    assert_int_equal(pt_map(&pt, top - GiB(1), GiB(2), GiB(1), RWX), 0);
    expect_map(&pt, top - PAGE_SIZE, GiB(3) - PAGE_SIZE, RWX, GiB(1));
    assert_int_equal(raw_pte(&pt, top - GiB(1), 3) & 3, 3); /* root entry 1 */
    assert_int_equal(pt_map(&pt, top, 0, PAGE_SIZE, RW), -AX_EINVAL);
    pt_destroy(&pt);

    init_pt(&pt, &pte_aarch64_s2, 39);
    assert_int_equal(a64_start_level(&pt), 1);
    assert_int_equal(a64_vtcr_sl0(&pt), 1);
    assert_int_equal(a64_t0sz(pt.va_bits), 25);
    pt_destroy(&pt);
    assert_int_equal(A.live, 0);

    assert_int_equal(A64_MAIR_EL2_VALUE, 0x44FF04ull);
}

static void test_overlap_rejected(void **state)
{
    (void)state;
    struct pagetable pt;
    init_pt(&pt, &pte_aarch64_s2, 40);

    assert_int_equal(pt_map(&pt, GiB(1), GiB(1), MiB(2), RW), 0);
    assert_int_equal(pt_map(&pt, GiB(1) + MiB(4), GiB(2), KiB(4), RW), 0);
    unsigned live = A.live;

    /* inside the block, straddling its start, its end, containing it all */
    assert_int_equal(pt_map(&pt, GiB(1) + KiB(4), 0, KiB(4), RW), -AX_EEXIST);
    assert_int_equal(pt_map(&pt, GiB(1) - KiB(4), 0, KiB(8), RW), -AX_EEXIST);
    assert_int_equal(pt_map(&pt, GiB(1) + MiB(2) - KiB(4), 0, KiB(8), RW),
                     -AX_EEXIST);
    assert_int_equal(pt_map(&pt, 0, 0, GiB(2), RW), -AX_EEXIST);
    /* a free 2M slot whose range ends on the lone 4K page */
    assert_int_equal(pt_map(&pt, GiB(1) + MiB(2), 0, MiB(2) + KiB(4), RW),
                     -AX_EEXIST);
    /* nothing was added or changed */
    assert_int_equal(A.live, live);
    expect_map(&pt, GiB(1), GiB(1), RW, MiB(2));
    expect_hole(&pt, GiB(1) + MiB(2));
    expect_hole(&pt, GiB(1) - KiB(4));
    expect_map(&pt, GiB(1) + MiB(4), GiB(2), RW, KiB(4));

    /* right next to existing mappings is fine */
    assert_int_equal(pt_map(&pt, GiB(1) + MiB(2), 0, MiB(2), RW), 0);
    assert_int_equal(pt_map(&pt, GiB(1) - KiB(4), 0, KiB(4), RW), 0);

    pt_destroy(&pt);
    assert_int_equal(A.live, 0);
}

static void test_bad_input(void **state)
{
    (void)state;
    struct pagetable pt;
    init_pt(&pt, &pte_aarch64_s1, 48);
    vaddr_t top = (vaddr_t)1 << 48;

    assert_int_equal(pt_map(&pt, 0x1000, 0x1000, 0, RW), -AX_EINVAL);
    assert_int_equal(pt_map(&pt, 0x1800, 0x1000, 0x1000, RW), -AX_EINVAL);
    assert_int_equal(pt_map(&pt, 0x1000, 0x1010, 0x1000, RW), -AX_EINVAL);
    assert_int_equal(pt_map(&pt, 0x1000, 0x1000, 0x1001, RW), -AX_EINVAL);
    assert_int_equal(pt_map(&pt, top, 0, 0x1000, RW), -AX_EINVAL);
    assert_int_equal(pt_map(&pt, top - 0x1000, 0, 0x2000, RW), -AX_EINVAL);
    assert_int_equal(pt_map(&pt, 0x1000, 0, UINT64_MAX - 0xfff, RW), -AX_EINVAL);
    assert_int_equal(pt_map(&pt, (vaddr_t)-0x1000, 0, 0x1000, RW), -AX_EINVAL);
    assert_int_equal(pt_map(&pt, 0, top - 0x1000, 0x2000, RW), -AX_EINVAL);
    assert_int_equal(pt_map(&pt, 0, (paddr_t)-0x1000, 0x1000, RW), -AX_EINVAL);
    /* attrs: contradictory memory types, unknown bit, no read on stage 1 */
    assert_int_equal(pt_map(&pt, 0, 0, 0x1000, RW | PT_DEVICE | PT_NC),
                     -AX_EINVAL);
    assert_int_equal(pt_map(&pt, 0, 0, 0x1000, RW | 0x100), -AX_EINVAL);
    assert_int_equal(pt_map(&pt, 0, 0, 0x1000, PT_W), -AX_EINVAL);
    assert_int_equal(pt_unmap(&pt, 0x800, 0x1000), -AX_EINVAL);
    assert_int_equal(pt_unmap(&pt, 0, 0), -AX_EINVAL);
    assert_int_equal(pt_unmap(&pt, top - 0x1000, 0x2000), -AX_EINVAL);
    assert_int_equal(pt_protect(&pt, 0, 0x1000, PT_W), -AX_EINVAL);
    assert_int_equal(A.live, 1);

    /* PT_U means nothing at EL2 stage 1: accepted, dropped */
    assert_int_equal(pt_map(&pt, 0, 0, 0x1000, RW | PT_U), 0);
    expect_map(&pt, 0, 0, RW, 0x1000);
    /* unmapping holes is not an error */
    assert_int_equal(pt_unmap(&pt, GiB(7), GiB(3)), 0);

    pt_destroy(&pt);
    assert_int_equal(A.live, 0);
}

/* Hand-assembled from the Arm ARM descriptor layouts (see the header for
 * the field list). */
static void test_descriptor_bits(void **state)
{
    (void)state;
    const struct pt_format *s1 = &pte_aarch64_s1, *s2 = &pte_aarch64_s2;

    /* stage 1, L2 block, normal RW not executable:
     * 0b01 | AttrIndx 1 (0x4) | AP[1] RES1 (0x40) | SH inner (0x300) |
     * AF (0x400) | XN (bit 54) */
    assert_int_equal(s1->make_leaf(0x40200000, 1, RW),
                     0x0040000040200745ull);
    /* same, executable */
    assert_int_equal(s1->make_leaf(0x40200000, 1, RWX), 0x0000000040200745ull);
    /* stage 1, L3 page, device read-only: 0b11 | AttrIndx 0 | AP 0b11 (0xC0)
     * | SH outer (0x200) | AF | XN */
    assert_int_equal(s1->make_leaf(0x09000000, 0, PT_R | PT_DEVICE),
                     0x00400000090006C3ull);
    /* stage 1, L1 block, normal non-cacheable RW: AttrIndx 2 (0x8) */
    assert_int_equal(s1->make_leaf(0xC0000000, 2, RW | PT_NC),
                     0x00400000C0000649ull);
    /* stage 2, L3 page, device RW XN: 0b11 | MemAttr 0b0001 (0x4) |
     * S2AP 0b11 (0xC0) | SH outer (0x200) | AF | XN */
    assert_int_equal(s2->make_leaf(0x09000000, 0, RW | PT_DEVICE),
                     0x00400000090006C7ull);
    /* stage 2, L1 block, normal WB RWX: 0b01 | MemAttr 0b1111 (0x3C) |
     * S2AP 0b11 | SH inner | AF */
    assert_int_equal(s2->make_leaf(0x40000000, 2, RWX), 0x00000000400007FDull);
    /* stage 2, L2 block, read-only executable normal: S2AP 0b01 */
    assert_int_equal(s2->make_leaf(0x40200000, 1, PT_R | PT_X),
                     0x000000004020077Dull);
    /* table descriptor */
    assert_int_equal(s1->make_table(0x8000123000ull), 0x0000008000123003ull);
    assert_int_equal(s2->make_table(0x8000123000ull), 0x0000008000123003ull);

    /* decoding gives the attributes back */
    assert_int_equal(s1->pte_attrs(0x0040000040200745ull, 1), RW);
    assert_int_equal(s1->pte_attrs(0x00400000090006C3ull, 0), PT_R | PT_DEVICE);
    assert_int_equal(s2->pte_attrs(0x00400000090006C7ull, 0), RW | PT_DEVICE);
    assert_int_equal(s2->pte_attrs(0x000000004020077Dull, 1), PT_R | PT_X);
    /* at Arm level 3, 0b01 is reserved, i.e. invalid; at level 2 a block */
    assert_false(s1->is_valid(0x40000401ull, 0));
    assert_true(s1->is_valid(0x40000401ull, 1));
    assert_false(s1->is_table(0x40000403ull, 0));
    assert_true(s1->is_table(0x40000403ull, 1));
    assert_false(s1->block_allowed(3)); /* no 512 GiB blocks at level 0 */

    /* and the walker stores exactly these words */
    struct pagetable pt;
    init_pt(&pt, s1, 48);
    assert_int_equal(pt_map(&pt, 0x40200000, 0x40200000, MiB(2), RW), 0);
    assert_int_equal(raw_pte(&pt, 0x40200000, 1), 0x0040000040200745ull);
    uint64_t l1 = raw_pte(&pt, 0x40200000, 2);
    assert_int_equal(l1 & ~A64_PTE_ADDR_MASK, 3);
    assert_true((l1 & A64_PTE_ADDR_MASK) >= ARENA_PA);
    pt_destroy(&pt);

    init_pt(&pt, s2, 40);
    assert_int_equal(pt_map(&pt, 0x09000000, 0x09000000, KiB(4),
                            RW | PT_DEVICE), 0);
    assert_int_equal(raw_pte(&pt, 0x09000000, 0), 0x00400000090006C7ull);
    pt_destroy(&pt);
    assert_int_equal(A.live, 0);
}

/* Unmapping one 4K page out of a 1G block leaves: 2M blocks, 4K pages in
 * the split 2M, and the hole. */
static void test_unmap_splits_block(void **state)
{
    (void)state;
    struct pagetable pt;
    init_pt(&pt, &pte_aarch64_s2, 40);
    const uint32_t at = RWX | PT_NC;
    vaddr_t va = GiB(1);
    paddr_t pa = GiB(4);
    assert_int_equal(pt_map(&pt, va, pa, GiB(1), at), 0);
    assert_int_equal(A.live, 2);

    vaddr_t hole = va + MiB(2) + KiB(4);
    assert_int_equal(pt_unmap(&pt, hole, KiB(4)), 0);
    /* root, L1, new L2, new L3 */
    assert_int_equal(A.live, 4);
    expect_map(&pt, va, pa, at, MiB(2));
    expect_map(&pt, va + MiB(2), pa + MiB(2), at, KiB(4));
    expect_hole(&pt, hole);
    expect_map(&pt, hole + KiB(4), pa + MiB(2) + KiB(8), at, KiB(4));
    expect_map(&pt, va + MiB(4) - KiB(4), pa + MiB(4) - KiB(4), at, KiB(4));
    expect_map(&pt, va + MiB(4), pa + MiB(4), at, MiB(2));
    expect_map(&pt, va + GiB(1) - KiB(4), pa + GiB(1) - KiB(4), at, MiB(2));
    expect_hole(&pt, va + GiB(1));

    /* a range spanning 2M blocks and pages: the 2M at the end is split */
    assert_int_equal(pt_unmap(&pt, va + MiB(3), MiB(4)), 0);
    expect_map(&pt, va + MiB(3) - KiB(4), pa + MiB(3) - KiB(4), at, KiB(4));
    expect_hole(&pt, va + MiB(3));
    expect_hole(&pt, va + MiB(4));
    expect_hole(&pt, va + MiB(7) - KiB(4));
    expect_map(&pt, va + MiB(7), pa + MiB(7), at, KiB(4));
    expect_map(&pt, va + MiB(8), pa + MiB(8), at, MiB(2));

    /* the rest goes piece by piece; empty tables go with it */
    assert_int_equal(pt_unmap(&pt, va, MiB(8)), 0);
    expect_map(&pt, va + MiB(8), pa + MiB(8), at, MiB(2));
    assert_int_equal(pt_unmap(&pt, va + MiB(8), GiB(1) - MiB(8)), 0);
    assert_int_equal(A.live, 1);
    assert_int_equal(pt_unmap(&pt, va, GiB(1)), 0);
    assert_int_equal(A.live, 1);
    pt_destroy(&pt);
    assert_int_equal(A.live, 0);
}

static void test_unmap_frees_tables(void **state)
{
    (void)state;
    struct pagetable pt;
    init_pt(&pt, &pte_aarch64_s1, 48);

    /* scattered pages under different L0/L1/L2 entries */
    static const vaddr_t vas[] = { 0x1000, 0x201000, 0x40000000,
                                   GiB(513), GiB(1024) + 0x5000,
                                   ((vaddr_t)1 << 48) - 0x1000 };
    for (unsigned i = 0; i < ARRAY_SIZE(vas); i++)
        assert_int_equal(pt_map(&pt, vas[i], 0x10000 + i * 0x1000, 0x1000, RW),
                         0);
    assert_true(A.live > 8);
    for (unsigned i = 0; i < ARRAY_SIZE(vas); i++) {
        assert_int_equal(pt_unmap(&pt, vas[i], 0x1000), 0);
        expect_hole(&pt, vas[i]);
        for (unsigned j = i + 1; j < ARRAY_SIZE(vas); j++)
            expect_map(&pt, vas[j], 0x10000 + j * 0x1000, RW, 0x1000);
    }
    assert_int_equal(A.live, 1);

    /* one big unmap over everything */
    for (unsigned i = 0; i < ARRAY_SIZE(vas); i++)
        assert_int_equal(pt_map(&pt, vas[i], 0, 0x1000, RW), 0);
    assert_int_equal(pt_unmap(&pt, 0, (vaddr_t)1 << 48), 0);
    assert_int_equal(A.live, 1);
    pt_destroy(&pt);
    assert_int_equal(A.live, 0);
}

/* Every allocation point of a map that needs several tables fails once in
 * turn: the table must look exactly as before each time. */
static void test_map_rollback_enomem(void **state)
{
    (void)state;
    struct pagetable pt;
    init_pt(&pt, &pte_aarch64_s1, 48);
    /* something already there that shares the upper tables */
    assert_int_equal(pt_map(&pt, GiB(1), 0x1000, 0x1000, RW), 0);
    unsigned base = A.live;

    /* 4K pages across a 1 GiB boundary and a 512 GiB boundary */
    vaddr_t va = GiB(512) - MiB(2) - KiB(8);
    uint64_t size = MiB(4) + KiB(16);
    paddr_t pa = 0x123000;
    int err = -1;
    long n;
    for (n = 0; n < 20; n++) {
        A.fail_after = n;
        err = pt_map(&pt, va, pa, size, RW);
        if (err != -AX_ENOMEM)
            break;
        assert_int_equal(A.live, base);
        for (uint64_t off = 0; off < size; off += KiB(4))
            expect_hole(&pt, va + off);
        expect_map(&pt, GiB(1), 0x1000, RW, 0x1000);
    }
    A.fail_after = -1;
    assert_int_equal(err, 0);
    assert_true(n >= 5); /* it really needed several pages */
    for (uint64_t off = 0; off < size; off += KiB(4))
        expect_map(&pt, va + off, pa + off, RW, KiB(4));

    assert_int_equal(pt_unmap(&pt, va, size), 0);
    assert_int_equal(A.live, base);
    pt_destroy(&pt);
    assert_int_equal(A.live, 0);
}

static void test_unmap_split_enomem(void **state)
{
    (void)state;
    struct pagetable pt;

    /* each end needs 2 tables (1G -> 2M blocks -> 4K pages); fail at each
     * of the 4 allocations on a fresh table */
    for (long n = 0; n < 4; n++) {
        init_pt(&pt, &pte_aarch64_s2, 40);
        assert_int_equal(pt_map(&pt, 0, 0, GiB(2), RW), 0);
        A.fail_after = n;
        assert_int_equal(pt_unmap(&pt, GiB(1) - KiB(4), KiB(8)), -AX_ENOMEM);
        A.fail_after = -1;
        /* no translation changed (blocks may have become finer) */
        static const vaddr_t probe[] = { 0, GiB(1) - KiB(8), GiB(1) - KiB(4),
                                         GiB(1), GiB(1) + KiB(4),
                                         GiB(2) - KiB(4) };
        for (unsigned i = 0; i < ARRAY_SIZE(probe); i++) {
            paddr_t got;
            uint32_t at;
            assert_int_equal(pt_query(&pt, probe[i], &got, &at, NULL), 0);
            assert_int_equal(got, probe[i]);
            assert_int_equal(at, RW);
        }
        assert_int_equal(A.live, 2 + n);
        pt_destroy(&pt);
        assert_int_equal(A.live, 0);
    }

    init_pt(&pt, &pte_aarch64_s2, 40);
    assert_int_equal(pt_map(&pt, 0, 0, GiB(2), RW), 0);
    A.fail_after = -1;
    assert_int_equal(pt_unmap(&pt, GiB(1) - KiB(4), KiB(8)), 0);
    expect_hole(&pt, GiB(1) - KiB(4));
    expect_hole(&pt, GiB(1));
    expect_map(&pt, GiB(1) - KiB(8), GiB(1) - KiB(8), RW, KiB(4));
    expect_map(&pt, GiB(1) + KiB(4), GiB(1) + KiB(4), RW, KiB(4));
    expect_map(&pt, GiB(1) - MiB(2) - KiB(4), GiB(1) - MiB(2) - KiB(4), RW,
               MiB(2));

    /* protect fails the same way without changing anything */
    unsigned live = A.live;
    A.fail_after = 0;
    assert_int_equal(pt_protect(&pt, GiB(1) + MiB(4) + KiB(4), KiB(4), PT_R),
                     -AX_ENOMEM);
    A.fail_after = -1;
    expect_map(&pt, GiB(1) + MiB(4) + KiB(4), GiB(1) + MiB(4) + KiB(4), RW,
               MiB(2));
    assert_int_equal(A.live, live);

    pt_destroy(&pt);
    assert_int_equal(A.live, 0);
}

static void test_protect(void **state)
{
    (void)state;
    struct pagetable pt;
    init_pt(&pt, &pte_aarch64_s2, 40);
    assert_int_equal(pt_map(&pt, GiB(1), GiB(1), MiB(4), RWX), 0);

    /* make the middle 8K read-only: the first 2M block is split */
    assert_int_equal(pt_protect(&pt, GiB(1) + MiB(1), KiB(8), PT_R), 0);
    expect_map(&pt, GiB(1) + MiB(1) - KiB(4), GiB(1) + MiB(1) - KiB(4), RWX,
               KiB(4));
    expect_map(&pt, GiB(1) + MiB(1), GiB(1) + MiB(1), PT_R, KiB(4));
    expect_map(&pt, GiB(1) + MiB(1) + KiB(4), GiB(1) + MiB(1) + KiB(4), PT_R,
               KiB(4));
    expect_map(&pt, GiB(1) + MiB(1) + KiB(8), GiB(1) + MiB(1) + KiB(8), RWX,
               KiB(4));
    expect_map(&pt, GiB(1) + MiB(2), GiB(1) + MiB(2), RWX, MiB(2));

    /* whole-block change stays a block */
    assert_int_equal(pt_protect(&pt, GiB(1) + MiB(2), MiB(2), RW | PT_DEVICE),
                     0);
    expect_map(&pt, GiB(1) + MiB(2), GiB(1) + MiB(2), RW | PT_DEVICE, MiB(2));

    /* a hole anywhere: refused, nothing changed */
    assert_int_equal(pt_protect(&pt, GiB(1) + MiB(2), MiB(4), PT_R),
                     -AX_ENOENT);
    expect_map(&pt, GiB(1) + MiB(2), GiB(1) + MiB(2), RW | PT_DEVICE, MiB(2));

    pt_destroy(&pt);
    assert_int_equal(A.live, 0);
}

/* With the invalidate hook, a split goes through an invalid entry (the hook
 * checks that) and table pages are freed only after their invalidation. */
static void test_break_before_make(void **state)
{
    (void)state;
    struct pagetable pt;
    struct pt_env env = arena_env();
    env.invalidate = arena_invalidate;
    assert_int_equal(pt_init(&pt, &pte_aarch64_s1, &env), 0);
    A.pt = &pt;

    assert_int_equal(pt_map(&pt, GiB(2), GiB(2), GiB(1), RW), 0);
    assert_int_equal(A.invalidates, 0);
    assert_int_equal(pt_unmap(&pt, GiB(2), KiB(4)), 0);
    /* 1G block broken, then the 2M block under it */
    assert_int_equal(A.invalidates, 2);
    assert_int_equal(A.inv_va[0], GiB(2));
    assert_int_equal(A.inv_size[0], GiB(1));
    assert_int_equal(A.inv_va[1], GiB(2));
    assert_int_equal(A.inv_size[1], MiB(2));
    expect_map(&pt, GiB(2) + KiB(4), GiB(2) + KiB(4), RW, KiB(4));

    /* dropping that GiB unlinks the L2 table (with the L3 under it), then
     * the L1 table it leaves empty: the hook sees both ranges */
    A.invalidates = 0;
    assert_int_equal(pt_unmap(&pt, GiB(2), GiB(1)), 0);
    assert_int_equal(A.live, 1);
    assert_int_equal(A.invalidates, 2);
    assert_int_equal(A.inv_va[0], GiB(2));
    assert_int_equal(A.inv_size[0], GiB(1));
    assert_int_equal(A.inv_va[1], 0);
    assert_int_equal(A.inv_size[1], GiB(512));

    /* a fully covered subtree is unlinked with one invalidation */
    assert_int_equal(pt_map(&pt, GiB(5), GiB(5), KiB(4), RW), 0);
    A.invalidates = 0;
    assert_int_equal(pt_unmap(&pt, 0, GiB(512)), 0);
    assert_int_equal(A.invalidates, 1);
    assert_int_equal(A.live, 1);

    /* memory-type change is break-before-make too, permission change not */
    assert_int_equal(pt_map(&pt, GiB(3), GiB(3), MiB(2), RW), 0);
    A.invalidates = 0;
    assert_int_equal(pt_protect(&pt, GiB(3), MiB(2), PT_R), 0);
    assert_int_equal(A.invalidates, 0);
    assert_int_equal(pt_protect(&pt, GiB(3), MiB(2), PT_R | PT_DEVICE), 0);
    assert_int_equal(A.invalidates, 1);
    expect_map(&pt, GiB(3), GiB(3), PT_R | PT_DEVICE, MiB(2));

    A.pt = NULL;
    pt_destroy(&pt);
    assert_int_equal(A.live, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_init_destroy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_map_query_4k, setup, teardown),
        cmocka_unit_test_setup_teardown(test_block_selection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_three_level, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stage2_geometry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overlap_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_descriptor_bits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unmap_splits_block, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unmap_frees_tables, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_map_rollback_enomem, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unmap_split_enomem, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_protect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_break_before_make, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("pagetable", tests, NULL, NULL);
}
