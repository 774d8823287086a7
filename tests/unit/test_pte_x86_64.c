/* The x86-64 paging formats (hypervisor map and AMD nested page tables)
 * driven through the generic walker: raw entry bits, attribute round
 * trips, block sizes, and what each format refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ax/pagetable.h"
#include "ax/pte_x86_64.h"

#define ARENA_PAGES 64u
#define ARENA_PA 0x0000008000000000ull

static uint8_t *arena;
static bool used[ARENA_PAGES];

static paddr_t a_alloc(void *ctx)
{
    (void)ctx;
    for (unsigned i = 0; i < ARENA_PAGES; i++)
        if (!used[i]) {
            used[i] = true;
            memset(arena + (size_t)i * PAGE_SIZE, 0xA5, PAGE_SIZE);
            return ARENA_PA + (paddr_t)i * PAGE_SIZE;
        }
    return PT_PADDR_NONE;
}

static void a_free(void *ctx, paddr_t pa)
{
    (void)ctx;
    used[(pa - ARENA_PA) / PAGE_SIZE] = false;
}

static void *a_p2v(void *ctx, paddr_t pa)
{
    (void)ctx;
    assert_true(pa >= ARENA_PA && pa < ARENA_PA + (paddr_t)ARENA_PAGES * PAGE_SIZE);
    return arena + (pa - ARENA_PA);
}

static int setup(void **state)
{
    (void)state;
    memset(used, 0, sizeof(used));
    arena = aligned_alloc(PAGE_SIZE, (size_t)ARENA_PAGES * PAGE_SIZE);
    return arena ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    free(arena);
    return 0;
}

static void init(struct pagetable *pt, const struct pt_format *fmt)
{
    struct pt_env env = {.alloc_page = a_alloc, .free_page = a_free, .phys_to_virt = a_p2v};
    assert_int_equal(pt_init(pt, fmt, &env), 0);
    assert_int_equal(pt->levels, 4);
    assert_int_equal(pt->va_bits, 48);
}

/* The entry at height lvl for va, walking with the test's own arithmetic;
 * checks every table entry on the way with table_check. */
static uint64_t raw(const struct pagetable *pt, vaddr_t va, unsigned lvl, uint64_t table_bits)
{
    paddr_t t = pt->root;
    for (unsigned h = 3;; h--) {
        uint64_t e = ((uint64_t *)a_p2v(NULL, t))[(va >> (12 + 9 * h)) & 511];
        if (h == lvl)
            return e;
        assert_int_equal(e & ~X86_PTE_ADDR_MASK, table_bits);
        t = e & X86_PTE_ADDR_MASK;
    }
}

static void expect(const struct pagetable *pt, vaddr_t va, paddr_t pa, uint32_t attrs, uint64_t size)
{
    paddr_t p;
    uint32_t a;
    uint64_t s;
    assert_int_equal(pt_query(pt, va, &p, &a, &s), 0);
    assert_int_equal(p, pa);
    assert_int_equal(a, attrs);
    assert_int_equal(s, size);
}

static void test_host_leaf_bits(void **state)
{
    (void)state;
    struct pagetable pt;
    init(&pt, &pte_x86_64);
    const uint64_t tbl = X86_PTE_P | X86_PTE_RW; /* no U/S for the host */
    assert_int_equal(pt_map(&pt, 0x1000, 0x5000, 0x1000, PT_R | PT_X), 0);
    uint64_t e = raw(&pt, 0x1000, 0, tbl);
    assert_int_equal(e & X86_PTE_ADDR_MASK, 0x5000);
    assert_true(e & X86_PTE_P);
    assert_false(e & X86_PTE_RW);
    assert_false(e & X86_PTE_NX);
    assert_false(e & X86_PTE_US);
    assert_false(e & X86_PTE_PS); /* PS at height 0 would be PAT */
    assert_true((e & (X86_PTE_A | X86_PTE_D)) == (X86_PTE_A | X86_PTE_D));
    expect(&pt, 0x1234, 0x5234, PT_R | PT_X, 0x1000);

    assert_int_equal(pt_map(&pt, 0x2000, 0x6000, 0x1000, PT_R | PT_W | PT_DEVICE), 0);
    e = raw(&pt, 0x2000, 0, tbl);
    assert_true(e & X86_PTE_RW);
    assert_true(e & X86_PTE_NX);
    assert_int_equal(e & (X86_PTE_PCD | X86_PTE_PWT), X86_PTE_PCD | X86_PTE_PWT);
    expect(&pt, 0x2000, 0x6000, PT_R | PT_W | PT_DEVICE, 0x1000);

    assert_int_equal(pt_map(&pt, 0x3000, 0x7000, 0x1000, PT_R | PT_NC), 0);
    e = raw(&pt, 0x3000, 0, tbl);
    assert_int_equal(e & (X86_PTE_PCD | X86_PTE_PWT), X86_PTE_PCD);
    expect(&pt, 0x3000, 0x7000, PT_R | PT_NC, 0x1000);
    pt_destroy(&pt);
}

static void test_blocks(void **state)
{
    (void)state;
    struct pagetable pt;
    init(&pt, &pte_x86_64);
    /* 2 MiB aligned on both sides: one PD leaf */
    assert_int_equal(pt_map(&pt, 0x40000000ull + 0x200000, 0x80200000ull, 0x200000, PT_R | PT_W), 0);
    uint64_t e = raw(&pt, 0x40200000ull, 1, X86_PTE_P | X86_PTE_RW);
    assert_true(e & X86_PTE_PS);
    assert_int_equal(e & X86_PTE_ADDR_MASK, 0x80200000ull);
    expect(&pt, 0x40212345ull, 0x80212345ull, PT_R | PT_W, 0x200000);
    /* 1 GiB: one PDPT leaf */
    assert_int_equal(pt_map(&pt, 0x80000000ull, 0x100000000ull, 0x40000000ull, PT_R | PT_W | PT_X), 0);
    e = raw(&pt, 0x80000000ull, 2, X86_PTE_P | X86_PTE_RW);
    assert_true(e & X86_PTE_PS);
    expect(&pt, 0x80000000ull + 0x12345678, 0x100000000ull + 0x12345678, PT_R | PT_W | PT_X, 0x40000000ull);
    /* misaligned physical side: 4 KiB pages */
    assert_int_equal(pt_map(&pt, 0xC0000000ull, 0x1000, 0x200000, PT_R), 0);
    expect(&pt, 0xC0001000ull, 0x2000, PT_R, 0x1000);
    pt_destroy(&pt);
}

static void test_npt_user_everywhere(void **state)
{
    (void)state;
    struct pagetable pt;
    init(&pt, &pte_x86_64_npt);
    const uint64_t tbl = X86_PTE_P | X86_PTE_RW | X86_PTE_US;
    assert_int_equal(pt_map(&pt, 0x40000000ull, 0x12340000ull, 0x1000, PT_R | PT_W | PT_X), 0);
    uint64_t e = raw(&pt, 0x40000000ull, 0, tbl);
    assert_true(e & X86_PTE_US);
    assert_true(e & X86_PTE_RW);
    assert_false(e & X86_PTE_NX);
    expect(&pt, 0x40000abcull, 0x12340abcull, PT_R | PT_W | PT_X, 0x1000);
    assert_int_equal(pt_map(&pt, 0x40200000ull, 0x40200000ull, 0x200000, PT_R | PT_W | PT_DEVICE), 0);
    e = raw(&pt, 0x40200000ull, 1, tbl);
    assert_true(e & X86_PTE_US);
    assert_true(e & X86_PTE_PS);
    assert_int_equal(e & (X86_PTE_PCD | X86_PTE_PWT), X86_PTE_PCD | X86_PTE_PWT);
    expect(&pt, 0x40200000ull, 0x40200000ull, PT_R | PT_W | PT_DEVICE, 0x200000);
    pt_destroy(&pt);
}

static void test_refusals(void **state)
{
    (void)state;
    struct pagetable pt;
    init(&pt, &pte_x86_64_npt);
    /* a present x86 entry is readable: write-only cannot be expressed */
    assert_int_equal(pt_map(&pt, 0x1000, 0x1000, 0x1000, PT_W), -AX_EINVAL);
    assert_int_equal(pt_map(&pt, 0x1000, 0x1000, 0x1000, PT_R | PT_DEVICE | PT_NC), -AX_EINVAL);
    /* only 48-bit inputs */
    struct pagetable pt2;
    struct pt_env env = {.alloc_page = a_alloc, .free_page = a_free, .phys_to_virt = a_p2v};
    assert_int_equal(pt_init_bits(&pt2, &pte_x86_64, 39, &env), -AX_EINVAL);
    assert_int_not_equal(pt_map(&pt, 1ull << 48, 0, 0x1000, PT_R), 0);
    pt_destroy(&pt);
}

static void test_pml4_never_block(void **state)
{
    (void)state;
    /* PS in a PML4 entry is reserved: the format must read it as a table */
    assert_true(pte_x86_64.is_table(0x1000 | X86_PTE_P | X86_PTE_PS, 3));
    assert_false(pte_x86_64.is_table(0x1000 | X86_PTE_P | X86_PTE_PS, 2));
    assert_false(pte_x86_64.is_table(0x1000 | X86_PTE_P, 0));
    assert_false(pte_x86_64.is_valid(0x1000, 1));
    assert_false(pte_x86_64.block_allowed(3));
    assert_true(pte_x86_64_npt.block_allowed(1) && pte_x86_64_npt.block_allowed(2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_host_leaf_bits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_blocks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_npt_user_everywhere, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
        cmocka_unit_test(test_pml4_never_block),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
