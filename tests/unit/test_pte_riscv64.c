/* Unit tests for the RISC-V Sv39 / Sv39x4 formats, alone and through the
 * generic walker. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ax/pagetable.h"
#include "ax/pte_riscv64.h"

/* ---- a page arena the walker allocates from ------------------------------ */

#define ARENA_PAGES 64u
#define ARENA_PA 0x0000004000000000ull

static uint8_t *arena;
static bool used[ARENA_PAGES];
static unsigned live;

static paddr_t arena_alloc(void *ctx)
{
    (void)ctx;
    for (unsigned i = 0; i < ARENA_PAGES; i++) {
        if (!used[i]) {
            used[i] = true;
            live++;
            memset(arena + (size_t)i * PAGE_SIZE, 0xA5, PAGE_SIZE);
            return ARENA_PA + (paddr_t)i * PAGE_SIZE;
        }
    }
    return PT_PADDR_NONE;
}

static void arena_free(void *ctx, paddr_t pa)
{
    (void)ctx;
    unsigned i = (unsigned)((pa - ARENA_PA) / PAGE_SIZE);
    assert_true(i < ARENA_PAGES && used[i]);
    used[i] = false;
    live--;
}

static void *arena_p2v(void *ctx, paddr_t pa)
{
    (void)ctx;
    assert_true(pa >= ARENA_PA && pa < ARENA_PA + ARENA_PAGES * PAGE_SIZE);
    return arena + (pa - ARENA_PA);
}

static const struct pt_env env = {
    .alloc_page = arena_alloc,
    .free_page = arena_free,
    .phys_to_virt = arena_p2v,
};

static int setup(void **state)
{
    (void)state;
    arena = aligned_alloc(PAGE_SIZE, ARENA_PAGES * PAGE_SIZE);
    memset(used, 0, sizeof(used));
    live = 0;
    return arena ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    free(arena);
    return 0;
}

/* the raw entry that translates va (leaf at whatever height) */
static uint64_t leaf_of(const struct pagetable *pt, vaddr_t va, unsigned *height)
{
    paddr_t t = pt->root;
    for (int lvl = (int)pt->levels - 1; lvl >= 0; lvl--) {
        uint64_t *tab = arena_p2v(NULL, t);
        uint64_t e = tab[(va >> (12 + 9 * lvl)) & 511];
        assert_true(e & RV_PTE_V);
        if (e & (RV_PTE_R | RV_PTE_W | RV_PTE_X)) {
            *height = (unsigned)lvl;
            return e;
        }
        assert_int_equal(e & (RV_PTE_A | RV_PTE_D | RV_PTE_U), 0); /* non-leaf */
        t = (e >> 10) << 12;
    }
    fail_msg("no leaf for %#llx", (unsigned long long)va);
    return 0;
}

/* ---- the formats alone ----------------------------------------------------- */

static void test_roundtrip(void **state)
{
    (void)state;
    const struct pt_format *fmts[] = {&pte_riscv64_sv39, &pte_riscv64_sv39x4};
    const uint32_t attrs[] = {PT_R, PT_R | PT_W, PT_R | PT_X, PT_R | PT_W | PT_X};
    const paddr_t pas[] = {0x80200000ull, 0x00fffffffffff000ull & ~0x3fffffffull, 0x40000000ull};
    for (unsigned f = 0; f < 2; f++) {
        for (unsigned lvl = 0; lvl < 3; lvl++) {
            for (unsigned a = 0; a < 4; a++) {
                for (unsigned p = 0; p < 3; p++) {
                    uint64_t e = fmts[f]->make_leaf(pas[p], lvl, attrs[a]);
                    assert_true(fmts[f]->is_valid(e, lvl));
                    assert_false(fmts[f]->is_table(e, lvl));
                    assert_int_equal(fmts[f]->pte_attrs(e, lvl), attrs[a]);
                    assert_int_equal(fmts[f]->pte_addr(e), pas[p]);
                    assert_true(e & RV_PTE_A);
                    assert_true(e & RV_PTE_D);
                    /* G-stage leaves must be user pages; HS-mode ones never */
                    assert_int_equal(!!(e & RV_PTE_U), f == 1);
                }
            }
        }
        uint64_t t = fmts[f]->make_table(0x81234000ull);
        assert_int_equal(t, (0x81234ull << 10) | RV_PTE_V);
        assert_true(fmts[f]->is_table(t, 1));
        assert_false(fmts[f]->is_table(t, 0));
        assert_int_equal(fmts[f]->pte_addr(t), 0x81234000ull);
        /* W without R is reserved: not a mapping */
        assert_false(fmts[f]->is_valid(RV_PTE_V | RV_PTE_W, 0));
        assert_false(fmts[f]->is_valid(RV_PTE_R, 0));
        assert_false(fmts[f]->block_allowed(0));
        assert_true(fmts[f]->block_allowed(1));
        assert_true(fmts[f]->block_allowed(2));
        assert_false(fmts[f]->block_allowed(3));
    }
}

static void test_hgatp_satp(void **state)
{
    (void)state;
    assert_int_equal(rv_satp_sv39(0x80abc000ull), (8ull << 60) | 0x80abcull);
    uint64_t h = rv_hgatp_sv39x4(0x80ab0000ull, 5);
    assert_int_equal(h >> 60, 8);
    assert_int_equal((h >> 44) & 0x3fff, 5);
    assert_int_equal(h & ((1ull << 44) - 1), 0x80ab0ull);
    /* a VMID wider than the field does not spill into MODE */
    assert_int_equal(rv_hgatp_sv39x4(0, 0xffff) >> 60, 8);
}

/* ---- through the walker ---------------------------------------------------- */

static void test_walker_sv39x4(void **state)
{
    (void)state;
    struct pagetable pt;
    assert_int_equal(pt_init(&pt, &pte_riscv64_sv39x4, &env), 0);
    assert_int_equal(pt.levels, 3);
    /* 1 GiB of guest RAM at 2 GiB: one gigapage */
    assert_int_equal(pt_map(&pt, 0x80000000ull, 0x100000000ull, 1ull << 30, PT_R | PT_W | PT_X), 0);
    unsigned h;
    uint64_t e = leaf_of(&pt, 0x80001234ull, &h);
    assert_int_equal(h, 2);
    assert_true(e & RV_PTE_U);
    assert_int_equal(pt.fmt->pte_addr(e), 0x100000000ull);
    /* a 4 KiB device page: memory types are dropped, R/W kept */
    assert_int_equal(pt_map(&pt, 0x10000000ull, 0x10000000ull, PAGE_SIZE, PT_R | PT_W | PT_DEVICE), 0);
    paddr_t pa;
    uint32_t attrs;
    uint64_t sz;
    assert_int_equal(pt_query(&pt, 0x10000008ull, &pa, &attrs, &sz), 0);
    assert_int_equal(pa, 0x10000008ull);
    assert_int_equal(attrs, PT_R | PT_W);
    assert_int_equal(sz, PAGE_SIZE);
    /* 2 MiB aligned: a megapage */
    assert_int_equal(pt_map(&pt, 0x40200000ull, 0x90200000ull, 2ull << 20, PT_R), 0);
    e = leaf_of(&pt, 0x40300000ull, &h);
    assert_int_equal(h, 1);
    /* writable but not readable cannot be expressed */
    assert_int_equal(pt_map(&pt, 0x20000000ull, 0x20000000ull, PAGE_SIZE, PT_W), -AX_EINVAL);
    /* the 39-bit input space (see ax/pte_riscv64.h: GPAs below 512 GiB) */
    assert_int_equal(pt_map(&pt, 1ull << 39, 0x1000, PAGE_SIZE, PT_R), -AX_EINVAL);
    assert_int_equal(pt_map(&pt, (1ull << 39) - PAGE_SIZE, 0x1000, PAGE_SIZE, PT_R), 0);
    assert_int_equal(pt_unmap(&pt, 0x80000000ull, 4096), 0); /* splits the gigapage */
    assert_int_equal(pt_query(&pt, 0x80000000ull, NULL, NULL, NULL), -AX_ENOENT);
    assert_int_equal(pt_query(&pt, 0x80001000ull, &pa, NULL, NULL), 0);
    assert_int_equal(pa, 0x100001000ull);
    pt_destroy(&pt);
    assert_int_equal(live, 0);
}

static void test_walker_sv39(void **state)
{
    (void)state;
    struct pagetable pt;
    assert_int_equal(pt_init(&pt, &pte_riscv64_sv39, &env), 0);
    assert_int_equal(pt_map(&pt, 0x80200000ull, 0x80200000ull, 0x10000, PT_R | PT_X), 0);
    unsigned h;
    uint64_t e = leaf_of(&pt, 0x80201000ull, &h);
    assert_int_equal(h, 0);
    assert_false(e & RV_PTE_U);
    assert_false(e & RV_PTE_W);
    assert_true(e & RV_PTE_X);
    pt_destroy(&pt);
    assert_int_equal(live, 0);
    /* only Sv39 is described by this format */
    struct pagetable other;
    assert_int_equal(pt_init_bits(&other, &pte_riscv64_sv39, 48, &env), -AX_EINVAL);
    assert_int_equal(live, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_hgatp_satp),
        cmocka_unit_test_setup_teardown(test_walker_sv39x4, setup, teardown),
        cmocka_unit_test_setup_teardown(test_walker_sv39, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
