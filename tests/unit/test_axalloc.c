/* Unit tests for the frame allocator, the heap and the allocator self-test.
 * The "physical" memory is a 32 MiB buffer aligned to 16 MiB; its addresses
 * are used as physical addresses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ax/heap.h"

#define BUF_SIZE MiB(32)
#define BUF_ALIGN MiB(16)
#define BUF_PAGES (BUF_SIZE / FRAME_SIZE)

static uint8_t *buf;

static paddr_t PA(uint64_t off)
{
    return (paddr_t)(uintptr_t)(buf + off);
}

static uint64_t page_index(paddr_t pa)
{
    return (pa - PA(0)) / FRAME_SIZE;
}

static int group_setup(void **state)
{
    (void)state;
    buf = aligned_alloc(BUF_ALIGN, BUF_SIZE);
    return buf ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    free(buf);
    return 0;
}

/* Fresh allocator over nothing; memory is dirtied so zeroing is observable. */
static int reset(void **state)
{
    (void)state;
    memset(buf, 0xa5, BUF_SIZE);
    frame_init();
    heap_init();
    heap_set_error_hook(NULL);
    return 0;
}

static struct frame_stats stats(void)
{
    struct frame_stats st;
    frame_stats(&st);
    return st;
}

static struct heap_stats hstats(void)
{
    struct heap_stats st;
    heap_stats(&st);
    return st;
}

static uint64_t rng_state;

static uint32_t rnd(void)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng_state >> 33);
}

/* ---- frame allocator -------------------------------------------------- */

static void test_single_range(void **state)
{
    (void)state;
    assert_int_equal(frame_add_range(PA(0), MiB(16)), 0);
    struct frame_stats st = stats();
    assert_int_equal(st.ranges, 1);
    assert_int_equal(st.meta_bytes, FRAME_SIZE); /* 4096 pages need < 4 KiB of bits */
    assert_int_equal(st.total_pages, 4096 - 1);
    assert_int_equal(st.free_pages, 4096 - 1);
    assert_int_equal(st.used_pages, 0);
    assert_int_equal(st.reserved_pages, 1);

    paddr_t pa = frame_alloc(0);
    assert_true(pa >= PA(0) && pa < PA(MiB(16)));
    assert_int_equal(stats().used_pages, 1);
    assert_int_equal(frame_check(), 0);
    assert_int_equal(frame_free(pa, 0), 0);
    assert_int_equal(stats().free_pages, 4095);
    assert_int_equal(frame_check(), 0);
}

static void test_metadata_is_small(void **state)
{
    (void)state;
    assert_int_equal(frame_add_range(PA(0), BUF_SIZE), 0);
    struct frame_stats st = stats();
    /* Four bits per page plus per-order rounding: 8192 pages -> 4 KiB + a bit. */
    assert_true(st.meta_bytes <= ALIGN_UP(BUF_PAGES / 2 + 2 * FRAME_ORDERS * 8, FRAME_SIZE));
    assert_int_equal(st.total_pages + st.meta_bytes / FRAME_SIZE, BUF_PAGES);
}

static void test_add_range_errors(void **state)
{
    (void)state;
    assert_int_equal(frame_add_range(PA(0), 0), -AX_EINVAL);
    assert_int_equal(frame_add_range(UINT64_MAX - 10, 100), -AX_EINVAL);
    assert_int_equal(frame_add_range(PA(100), 4000), -AX_EINVAL); /* no whole page */
    assert_int_equal(frame_add_range(0, FRAME_SIZE), -AX_EINVAL);  /* only pa 0 */
    assert_int_equal(frame_add_range(PA(MiB(1)), MiB(1)), 0);
    /* Trimmed inward, so it only touches the previous range. */
    assert_int_equal(frame_add_range(PA(MiB(1) + MiB(1) - 1), MiB(1)), 0);
    assert_int_equal(frame_add_range(PA(MiB(1) + 5 * FRAME_SIZE), FRAME_SIZE), -AX_EEXIST);
    assert_int_equal(frame_add_range(PA(0), MiB(1) + FRAME_SIZE + 1), -AX_EEXIST);
    int rc = 0;
    for (unsigned i = 0; i < FRAME_MAX_RANGES && rc == 0; i++)
        rc = frame_add_range(PA(MiB(4) + i * 8 * FRAME_SIZE), 4 * FRAME_SIZE);
    assert_int_equal(rc, -AX_ENOSPC);
    assert_int_equal(stats().ranges, FRAME_MAX_RANGES);
    assert_int_equal(frame_check(), 0);
}

/* Allocate order-0 pages until none is left; record each in `seen`. */
static size_t exhaust(paddr_t *out, size_t max, bool *seen)
{
    size_t n = 0;
    paddr_t pa;
    while ((pa = frame_alloc(0)) != 0) {
        assert_true(n < max);
        assert_true(pa >= PA(0) && pa < PA(BUF_SIZE));
        uint64_t idx = page_index(pa);
        assert_false(seen[idx]);
        seen[idx] = true;
        out[n++] = pa;
    }
    return n;
}

static void test_multi_range_exhaustion(void **state)
{
    (void)state;
    /* Unaligned edges: trimmed inward. */
    assert_int_equal(frame_add_range(PA(MiB(8)), MiB(4)), 0);
    assert_int_equal(frame_add_range(PA(100), MiB(2) - 100 + 50), 0);
    assert_int_equal(frame_add_range(PA(MiB(20) + 1), 5 * FRAME_SIZE + 4095), 0);
    struct frame_stats st0 = stats();
    uint64_t span = 1024 + (512 - 1) + 5;
    assert_int_equal(st0.ranges, 3);
    assert_int_equal(st0.total_pages + st0.reserved_pages, span);
    assert_int_equal(st0.reserved_pages, st0.meta_bytes / FRAME_SIZE);

    static paddr_t pages[BUF_PAGES];
    static bool seen[BUF_PAGES];
    memset(seen, 0, sizeof(seen));
    size_t n = exhaust(pages, BUF_PAGES, seen);
    assert_int_equal(n, st0.total_pages);
    assert_int_equal(stats().free_pages, 0);
    assert_int_equal(frame_alloc(0), 0);
    assert_int_equal(frame_alloc_pages(1), 0);
    /* Every page lies in a trimmed range. */
    for (size_t i = 0; i < n; i++) {
        uint64_t p = page_index(pages[i]);
        bool in = (p >= 1 && p < 512) || (p >= 2048 && p < 3072) || (p >= 5121 && p < 5126);
        assert_true(in);
    }
    assert_int_equal(frame_check(), 0);
    /* Free in a scrambled order; everything must merge back. */
    rng_state = 7;
    for (size_t i = n; i > 1; i--) {
        size_t j = rnd() % i;
        paddr_t t = pages[i - 1];
        pages[i - 1] = pages[j];
        pages[j] = t;
    }
    for (size_t i = 0; i < n; i++)
        assert_int_equal(frame_free(pages[i], 0), 0);
    struct frame_stats st1 = stats();
    assert_int_equal(st1.free_pages, st0.free_pages);
    assert_int_equal(st1.used_pages, 0);
    assert_memory_equal(st1.free_blocks, st0.free_blocks, sizeof(st0.free_blocks));
    assert_int_equal(frame_check(), 0);
}

static void test_exhaustion_by_order(void **state)
{
    (void)state;
    assert_int_equal(frame_add_range(PA(0), MiB(8)), 0);
    struct frame_stats st0 = stats();
    static paddr_t blocks[BUF_PAGES];
    size_t n = 0;
    for (unsigned order = 6; order-- > 0;) {
        paddr_t pa;
        while ((pa = frame_alloc(order)) != 0) {
            assert_true(IS_ALIGNED(pa, (uint64_t)FRAME_SIZE << order));
            blocks[n++] = pa | order; /* low bits carry the order */
        }
    }
    assert_int_equal(stats().free_pages, 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(frame_free(blocks[i] & ~(paddr_t)0xfff, blocks[i] & 0xfff), 0);
    assert_int_equal(stats().free_pages, st0.free_pages);
    assert_memory_equal(stats().free_blocks, st0.free_blocks, sizeof(st0.free_blocks));
    assert_int_equal(frame_check(), 0);
}

static void test_coalescing_to_max(void **state)
{
    (void)state;
    /* The small first range takes the bitmaps, so the aligned 16 MiB range
     * starts as one order-12 block. */
    assert_int_equal(frame_add_range(PA(0), MiB(1)), 0);
    assert_int_equal(frame_add_range(PA(MiB(16)), MiB(16)), 0);
    struct frame_stats st0 = stats();
    assert_int_equal(st0.free_blocks[12], 1);

    static paddr_t pages[BUF_PAGES];
    static bool seen[BUF_PAGES];
    memset(seen, 0, sizeof(seen));
    size_t n = exhaust(pages, BUF_PAGES, seen);
    assert_int_equal(stats().free_blocks[12], 0);
    /* Free the odd pages first: nothing can merge yet. */
    for (size_t i = 0; i < n; i++) {
        if (page_index(pages[i]) & 1)
            assert_int_equal(frame_free(pages[i], 0), 0);
    }
    assert_int_equal(stats().free_blocks[1], 0);
    assert_int_equal(frame_check(), 0);
    for (size_t i = 0; i < n; i++) {
        if (!(page_index(pages[i]) & 1))
            assert_int_equal(frame_free(pages[i], 0), 0);
    }
    struct frame_stats st1 = stats();
    assert_int_equal(st1.free_blocks[12], 1);
    assert_memory_equal(st1.free_blocks, st0.free_blocks, sizeof(st0.free_blocks));
    assert_int_equal(frame_alloc(12), PA(MiB(16)));
    assert_int_equal(frame_alloc(12), 0);
    assert_int_equal(frame_alloc(13), 0);
    assert_int_equal(frame_alloc(FRAME_MAX_ORDER + 1), 0);
    assert_int_equal(frame_check(), 0);
}

static void test_alignment_and_zeroing(void **state)
{
    (void)state;
    assert_int_equal(frame_add_range(PA(0), BUF_SIZE), 0);
    paddr_t got[12];
    for (unsigned k = 0; k < 12; k++) {
        got[k] = frame_alloc(k);
        assert_int_not_equal(got[k], 0);
        assert_true(IS_ALIGNED(got[k], (uint64_t)FRAME_SIZE << k));
        memset(frame_ptr(got[k]), 0xee, FRAME_SIZE << k);
    }
    for (unsigned k = 0; k < 12; k++)
        assert_int_equal(frame_free(got[k], k), 0);
    /* The same dirty memory comes back zeroed. */
    for (unsigned k = 0; k < 12; k++) {
        got[k] = frame_alloc_zeroed(k);
        assert_int_not_equal(got[k], 0);
        const uint8_t *p = frame_ptr(got[k]);
        for (size_t i = 0; i < (FRAME_SIZE << k); i++)
            assert_int_equal(p[i], 0);
    }
    paddr_t z = frame_alloc_pages_zeroed(7);
    assert_int_not_equal(z, 0);
    for (size_t i = 0; i < 7 * FRAME_SIZE; i++)
        assert_int_equal(((uint8_t *)frame_ptr(z))[i], 0);
    assert_int_equal(frame_free_pages(z, 7), 0);
    for (unsigned k = 0; k < 12; k++)
        assert_int_equal(frame_free(got[k], k), 0);
    assert_int_equal(stats().used_pages, 0);
    assert_int_equal(frame_check(), 0);
}

static void test_alloc_pages_npot(void **state)
{
    (void)state;
    assert_int_equal(frame_add_range(PA(0), BUF_SIZE), 0);
    struct frame_stats st0 = stats();
    assert_int_equal(frame_alloc_pages(0), 0);
    assert_int_equal(frame_alloc_pages(((size_t)1 << FRAME_MAX_ORDER) + 1), 0);

    paddr_t pa = frame_alloc_pages(5);
    assert_int_not_equal(pa, 0);
    assert_true(IS_ALIGNED(pa, 8 * FRAME_SIZE));
    assert_int_equal(stats().used_pages, 5); /* the 3-page tail went back */
    /* The tail is allocatable right away. */
    paddr_t t = frame_alloc(1);
    assert_int_equal(t, pa + 6 * FRAME_SIZE);
    assert_int_equal(frame_free(t, 1), 0);
    /* Wrong n is rejected without freeing anything. */
    assert_int_equal(frame_free_pages(pa, 3), -AX_ENOENT);
    assert_int_equal(frame_free_pages(pa, 6), -AX_ENOENT);
    assert_int_equal(frame_free_pages(pa, 0), -AX_EINVAL);
    assert_int_equal(stats().used_pages, 5);
    assert_int_equal(frame_free_pages(pa, 5), 0);
    assert_int_equal(stats().used_pages, 0);

    /* Many sizes: exact accounting, natural alignment, no overlap. */
    static paddr_t runs[64];
    uint64_t used = 0;
    for (size_t n = 1; n <= 40; n++) {
        runs[n] = frame_alloc_pages(n);
        assert_int_not_equal(runs[n], 0);
        int order = frame_order_of_pages(n);
        assert_true(IS_ALIGNED(runs[n], (uint64_t)FRAME_SIZE << order));
        memset(frame_ptr(runs[n]), (int)n, n * FRAME_SIZE);
        used += n;
        assert_int_equal(stats().used_pages, used);
    }
    assert_int_equal(frame_check(), 0);
    for (size_t n = 1; n <= 40; n++) {
        const uint8_t *p = frame_ptr(runs[n]);
        for (size_t i = 0; i < n * FRAME_SIZE; i += 512)
            assert_int_equal(p[i], (uint8_t)n);
        assert_int_equal(frame_free_pages(runs[n], n), 0);
    }
    struct frame_stats st1 = stats();
    assert_int_equal(st1.free_pages, st0.free_pages);
    assert_memory_equal(st1.free_blocks, st0.free_blocks, sizeof(st0.free_blocks));
    assert_int_equal(frame_check(), 0);
}

static void test_double_and_bad_free(void **state)
{
    (void)state;
    assert_int_equal(frame_add_range(PA(0), MiB(4)), 0);
    paddr_t a = frame_alloc(2);
    paddr_t b = frame_alloc(0);
    assert_int_not_equal(a, 0);
    assert_int_not_equal(b, 0);
    struct frame_stats st0 = stats();

    assert_int_equal(frame_free(a, 1), -AX_ENOENT); /* wrong order (smaller) */
    int rc = frame_free(a, 3);                       /* wrong order (larger) */
    assert_true(rc == -AX_ENOENT || rc == -AX_EINVAL);
    assert_int_equal(frame_free(a + FRAME_SIZE, 0), -AX_ENOENT); /* inside a block */
    assert_int_equal(frame_free(a + 8, 0), -AX_EINVAL);           /* misaligned */
    assert_int_equal(frame_free(PA(MiB(20)), 0), -AX_ENOENT);     /* not managed */
    assert_int_equal(frame_free(0, 0), -AX_ENOENT);
    assert_int_equal(frame_free(a, FRAME_MAX_ORDER + 1), -AX_EINVAL);
    struct frame_stats st1 = stats();
    assert_int_equal(st1.bad_frees, 7);
    assert_int_equal(st1.used_pages, st0.used_pages);
    assert_int_equal(frame_check(), 0);

    assert_true(frame_is_allocated(a + 3 * FRAME_SIZE + 5));
    assert_false(frame_is_allocated(a + 4 * FRAME_SIZE));
    assert_false(frame_is_allocated(PA(0)));     /* bitmaps */
    assert_false(frame_is_allocated(PA(MiB(8)))); /* unmanaged */
    assert_int_equal(frame_free(a, 2), 0);
    assert_false(frame_is_allocated(a));
    assert_int_equal(frame_free(a, 2), -AX_ENOENT); /* double free */
    assert_int_equal(frame_free(b, 0), 0);
    assert_int_equal(frame_free(b, 0), -AX_ENOENT);
    /* A page of a free block that merged into something larger. */
    assert_int_equal(frame_free(a, 0), -AX_ENOENT);
    assert_int_equal(stats().used_pages, 0);
    assert_int_equal(stats().bad_frees, 10);
    assert_int_equal(frame_check(), 0);
}

static void test_reserve_before_use(void **state)
{
    (void)state;
    assert_int_equal(frame_add_range(PA(0), MiB(4)), 0);
    /* Unaligned: pages 10..20 (inclusive) are touched, so all are excluded. */
    assert_int_equal(frame_reserve(PA(10 * FRAME_SIZE + 100), 10 * FRAME_SIZE + 1), 0);
    assert_int_equal(frame_reserve(PA(0), FRAME_SIZE), 0);            /* range start */
    assert_int_equal(frame_reserve(PA(MiB(4) - 1), 1), 0);            /* last page */
    assert_int_equal(frame_reserve(PA(MiB(30)), MiB(1)), 0);          /* outside */
    assert_int_equal(frame_reserve(PA(MiB(4) - 2 * FRAME_SIZE), 0), 0); /* empty */
    struct frame_stats st = stats();
    assert_int_equal(st.total_pages + st.reserved_pages, 1024);
    assert_int_equal(st.reserved_pages, 11 + 1 + 1 + st.meta_bytes / FRAME_SIZE);

    static paddr_t pages[BUF_PAGES];
    static bool seen[BUF_PAGES];
    memset(seen, 0, sizeof(seen));
    size_t n = exhaust(pages, BUF_PAGES, seen);
    assert_int_equal(n, st.total_pages);
    for (unsigned p = 10; p <= 20; p++)
        assert_false(seen[p]);
    assert_true(seen[9]);
    assert_true(seen[21]);
    assert_false(seen[0]);
    assert_false(seen[1023]);
    assert_true(seen[1022]);
    assert_int_equal(frame_check(), 0);
}

static void test_reserve_after_use(void **state)
{
    (void)state;
    assert_int_equal(frame_add_range(PA(0), MiB(4)), 0);
    paddr_t a = frame_alloc(0);
    assert_int_not_equal(a, 0);
    struct frame_stats st0 = stats();

    /* Claim a free stretch that cuts through large blocks. */
    assert_int_equal(frame_reserve(PA(MiB(1) + 3 * FRAME_SIZE), 37 * FRAME_SIZE), 0);
    struct frame_stats st1 = stats();
    assert_int_equal(st1.free_pages, st0.free_pages - 37);
    assert_int_equal(st1.reserved_pages, st0.reserved_pages + 37);
    assert_int_equal(frame_check(), 0);
    /* Reserving it again is harmless. */
    assert_int_equal(frame_reserve(PA(MiB(1)), 64 * FRAME_SIZE), 0);
    assert_int_equal(stats().free_pages, st0.free_pages - 64);
    assert_int_equal(frame_check(), 0);

    /* Overlapping an allocated page: refused, nothing changes. */
    struct frame_stats st2 = stats();
    assert_int_equal(frame_reserve(a - FRAME_SIZE, 3 * FRAME_SIZE), -AX_EBUSY);
    assert_int_equal(stats().free_pages, st2.free_pages);
    assert_int_equal(frame_free(a, 0), 0);
    assert_int_equal(frame_reserve(a, FRAME_SIZE), 0);
    assert_int_equal(frame_check(), 0);

    static paddr_t pages[BUF_PAGES];
    static bool seen[BUF_PAGES];
    memset(seen, 0, sizeof(seen));
    exhaust(pages, BUF_PAGES, seen);
    for (unsigned p = 256; p < 256 + 64; p++)
        assert_false(seen[p]);
    assert_false(seen[page_index(a)]);
    assert_true(seen[255]);
    assert_true(seen[320]);
}

static void test_reserve_table_full(void **state)
{
    (void)state;
    assert_int_equal(frame_add_range(PA(0), MiB(4)), 0);
    int rc = 0;
    unsigned i;
    for (i = 0; i <= FRAME_MAX_RESERVED && rc == 0; i++)
        rc = frame_reserve(PA(MiB(1) + i * 2 * FRAME_SIZE), FRAME_SIZE);
    assert_int_equal(rc, -AX_ENOSPC);
    assert_int_equal(i, FRAME_MAX_RESERVED + 1);
    assert_int_equal(stats().reserved_pages,
                     FRAME_MAX_RESERVED + stats().meta_bytes / FRAME_SIZE);
    assert_int_equal(frame_check(), 0);
}

static void test_dropped_and_late_ranges(void **state)
{
    (void)state;
    /* A range that is reserved entirely has nowhere for metadata and is
     * dropped; a range added after allocation starts becomes usable too. */
    assert_int_equal(frame_add_range(PA(0), MiB(1)), 0);
    assert_int_equal(frame_reserve(PA(0), MiB(1)), 0);
    struct frame_stats st = stats();
    assert_int_equal(st.ranges, 0);
    assert_int_equal(st.dropped_ranges, 1);
    assert_int_equal(st.total_pages, 0);
    assert_int_equal(frame_alloc(0), 0);

    assert_int_equal(frame_add_range(PA(MiB(2)), MiB(2)), 0);
    paddr_t a = frame_alloc(0);
    assert_true(a >= PA(MiB(2)) && a < PA(MiB(4)));
    assert_int_equal(frame_add_range(PA(MiB(8)), MiB(8)), 0);
    st = stats();
    assert_int_equal(st.ranges, 2);
    assert_int_equal(st.total_pages, 512 + 2048 - st.meta_bytes / FRAME_SIZE);
    paddr_t big = frame_alloc(10);
    assert_true(big >= PA(MiB(8)) && big < PA(MiB(16)));
    assert_int_equal(frame_free(big, 10), 0);
    assert_int_equal(frame_free(a, 0), 0);
    assert_int_equal(frame_check(), 0);
}

static void test_metadata_split_when_no_room(void **state)
{
    (void)state;
    /* Each range keeps only single free pages (0 and 2), so the bitmaps of
     * both (two pages together) cannot share one carve: each range holds
     * its own in page 0 and page 2 stays allocatable. */
    assert_int_equal(frame_add_range(PA(0), MiB(16)), 0);
    assert_int_equal(frame_add_range(PA(MiB(16)), MiB(16)), 0);
    for (unsigned i = 0; i < 2; i++) {
        uint64_t base = i * MiB(16);
        assert_int_equal(frame_reserve(PA(base + FRAME_SIZE), FRAME_SIZE), 0);
        assert_int_equal(frame_reserve(PA(base + 3 * FRAME_SIZE), MiB(16) - 3 * FRAME_SIZE), 0);
    }
    struct frame_stats st = stats();
    assert_int_equal(st.ranges, 2);
    assert_int_equal(st.meta_bytes, 2 * FRAME_SIZE);
    assert_int_equal(st.total_pages, 2);
    paddr_t a = frame_alloc(0), b = frame_alloc(0);
    assert_true((a == PA(2 * FRAME_SIZE) && b == PA(MiB(16) + 2 * FRAME_SIZE)) ||
                (b == PA(2 * FRAME_SIZE) && a == PA(MiB(16) + 2 * FRAME_SIZE)));
    assert_int_equal(frame_alloc(0), 0);
    assert_int_equal(frame_check(), 0);
}

static void test_free_list_damage_recovered(void **state)
{
    (void)state;
    assert_int_equal(frame_add_range(PA(0), MiB(4)), 0);
    paddr_t first = frame_alloc(0); /* page 1: page 0 holds the bitmaps */
    paddr_t p = frame_alloc(0), q = frame_alloc(0);
    assert_int_equal(first, PA(FRAME_SIZE));
    assert_int_equal(q, p ^ FRAME_SIZE); /* buddies */
    assert_int_equal(frame_free(p, 0), 0); /* p stays an order-0 free block */
    /* A use-after-free scribbles over p's links. */
    memset(frame_ptr(p), 0x41, 32);
    assert_int_equal(frame_check(), -AX_EFAULT);
    paddr_t r = frame_alloc(0);
    assert_int_equal(r, p);
    assert_true(stats().corruptions >= 1);
    assert_int_equal(frame_check(), 0);

    /* Links pointing outside managed memory are never followed. */
    assert_int_equal(frame_free(r, 0), 0);
    paddr_t s = frame_alloc(3);
    assert_int_equal(frame_free(s, 3), 0);
    uint64_t *w = frame_ptr(s);
    w[0] = 0x1000; /* next */
    w[1] = 0x12345678; /* prev */
    for (unsigned i = 0; i < 64; i++) {
        paddr_t t = frame_alloc(0);
        assert_int_not_equal(t, 0);
        assert_true(t >= PA(0) && t < PA(MiB(4)));
    }
    assert_int_equal(frame_check(), 0);
}

static void test_check_catches_bitmap_damage(void **state)
{
    (void)state;
    /* 1024 aligned pages: the bitmaps sit in page 0, and the first 31 words
     * (free bits of orders 0-4) have no padding, so every bit is meaningful. */
    assert_int_equal(frame_add_range(PA(0), MiB(4)), 0);
    paddr_t a = frame_alloc(2), b = frame_alloc(0), c = frame_alloc_pages(13);
    assert_int_not_equal(a, 0);
    assert_int_not_equal(b, 0);
    assert_int_not_equal(c, 0);
    assert_int_equal(stats().meta_bytes, FRAME_SIZE);
    uint64_t *bits = frame_ptr(PA(0));
    for (unsigned i = 0; i < 31 * 64; i++) {
        bits[i / 64] ^= (uint64_t)1 << (i % 64);
        if (frame_check() == 0)
            fail_msg("flipping bitmap bit %u went unnoticed", i);
        bits[i / 64] ^= (uint64_t)1 << (i % 64);
    }
    assert_int_equal(frame_check(), 0);
}

/* ---- heap ------------------------------------------------------------- */

static void heap_setup(uint64_t size)
{
    assert_int_equal(frame_add_range(PA(0), size), 0);
    heap_init();
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed * 31 + i);
}

static void verify(const uint8_t *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != (uint8_t)(seed * 31 + i))
            fail_msg("heap object %p clobbered at %zu", (const void *)p, i);
    }
}

static void assert_heap_empty(uint64_t frames_free)
{
    struct heap_stats h = hstats();
    assert_int_equal(h.live_allocs, 0);
    assert_int_equal(h.in_use_bytes, 0);
    assert_int_equal(h.reserved_bytes, 0);
    assert_int_equal(stats().free_pages, frames_free);
    assert_int_equal(heap_check(), 0);
    assert_int_equal(frame_check(), 0);
}

static void test_heap_small_sizes(void **state)
{
    (void)state;
    heap_setup(MiB(8));
    uint64_t free0 = stats().free_pages;
    static void *p[2017];
    for (size_t s = 1; s <= 2016; s++) {
        p[s] = kmalloc(s);
        assert_non_null(p[s]);
        assert_true(IS_ALIGNED((uintptr_t)p[s], 16));
        assert_true(kmalloc_usable_size(p[s]) >= s);
        fill(p[s], s, (uint32_t)s);
    }
    assert_int_equal(hstats().live_allocs, 2016);
    assert_int_equal(hstats().large_pages, 0);
    assert_int_equal(heap_check(), 0);
    for (size_t s = 1; s <= 2016; s++) {
        verify(p[s], s, (uint32_t)s);
        kfree(p[s]);
    }
    assert_heap_empty(free0);
}

static void test_heap_large(void **state)
{
    (void)state;
    heap_setup(MiB(16));
    uint64_t free0 = stats().free_pages;
    static const size_t sizes[] = {2017, 4080, 4081, 8192, 12000, MiB(1), MiB(3) + 5};
    static const size_t pages[] = {1, 1, 2, 3, 3, 257, 769};
    void *p[ARRAY_SIZE(sizes)];
    size_t total = 0;
    for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
        p[i] = kmalloc(sizes[i]);
        assert_non_null(p[i]);
        assert_true(IS_ALIGNED((uintptr_t)p[i], 16));
        assert_int_equal(kmalloc_usable_size(p[i]), pages[i] * FRAME_SIZE - 16);
        fill(p[i], sizes[i], i);
        total += pages[i];
        assert_int_equal(hstats().large_pages, total);
    }
    assert_int_equal(stats().used_pages, total);
    assert_int_equal(hstats().reserved_bytes, total * FRAME_SIZE);
    assert_null(kmalloc(GiB(2)));
    assert_null(kmalloc(SIZE_MAX));
    assert_null(kmalloc(SIZE_MAX - 8));
    for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
        verify(p[i], sizes[i], i);
        kfree(p[i]);
    }
    assert_heap_empty(free0);
}

static void test_heap_many_and_slab_return(void **state)
{
    (void)state;
    heap_setup(MiB(8));
    uint64_t free0 = stats().free_pages;
    enum { N = 5000 };
    static void *p[N];
    for (unsigned i = 0; i < N; i++) {
        p[i] = kmalloc(32);
        assert_non_null(p[i]);
        *(uint32_t *)p[i] = i;
    }
    struct heap_stats h = hstats();
    assert_int_equal(h.live_allocs, N);
    assert_int_equal(h.in_use_bytes, N * 32);
    assert_int_equal(h.slab_pages, (N + 125) / 126); /* 126 objects of 32 bytes per slab */
    assert_int_equal(h.reserved_bytes, h.slab_pages * FRAME_SIZE);
    assert_int_equal(heap_check(), 0);
    for (unsigned i = 0; i < N; i += 2) {
        assert_int_equal(*(uint32_t *)p[i], i);
        kfree(p[i]);
    }
    assert_int_equal(heap_check(), 0);
    for (unsigned i = 1; i < N; i += 2) {
        assert_int_equal(*(uint32_t *)p[i], i);
        kfree(p[i]);
    }
    assert_heap_empty(free0);
}

static void test_heap_random(void **state)
{
    (void)state;
    heap_setup(MiB(16));
    uint64_t free0 = stats().free_pages;
    enum { SLOTS = 512 };
    static void *p[SLOTS];
    static size_t sz[SLOTS];
    memset(p, 0, sizeof(p));
    rng_state = 12345;
    size_t live = 0;
    for (unsigned op = 0; op < 20000; op++) {
        unsigned i = rnd() % SLOTS;
        if (p[i]) {
            verify(p[i], sz[i], i);
            if (rnd() % 4 == 0) {
                size_t ns = rnd() % 6000;
                void *n = krealloc(p[i], ns);
                if (ns == 0) {
                    assert_null(n);
                    p[i] = NULL;
                    live--;
                    continue;
                }
                assert_non_null(n);
                verify(n, MIN(ns, sz[i]), i);
                p[i] = n;
                sz[i] = ns;
                fill(n, ns, i);
            } else {
                kfree(p[i]);
                p[i] = NULL;
                live--;
            }
        } else {
            unsigned r = rnd() % 16;
            sz[i] = r < 12 ? rnd() % 256 : r < 15 ? rnd() % 2100 : rnd() % 20000;
            p[i] = kmalloc(sz[i]);
            assert_non_null(p[i]);
            fill(p[i], sz[i], i);
            live++;
        }
        assert_int_equal(hstats().live_allocs, live);
        if (op % 1000 == 0) {
            assert_int_equal(heap_check(), 0);
            assert_int_equal(frame_check(), 0);
        }
    }
    for (unsigned i = 0; i < SLOTS; i++) {
        if (p[i]) {
            verify(p[i], sz[i], i);
            kfree(p[i]);
        }
    }
    assert_heap_empty(free0);
}

static unsigned hook_calls;
static const void *hook_ptr;

static void hook(const char *what, const void *ptr)
{
    assert_non_null(what);
    hook_calls++;
    hook_ptr = ptr;
}

static void test_heap_bad_free(void **state)
{
    (void)state;
    heap_setup(MiB(4));
    heap_set_error_hook(hook);
    hook_calls = 0;
    uint8_t *a = kmalloc(64), *b = kmalloc(64), *big = kmalloc(10000);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(big);
    fill(b, 64, 9);
    paddr_t raw = frame_alloc(0);
    memset(frame_ptr(raw), 0x5a, FRAME_SIZE);

    assert_int_equal(heap_free(NULL), 0);
    assert_int_equal(heap_free(a + 16), -AX_EINVAL);  /* interior */
    assert_int_equal(hook_ptr, a + 16);
    assert_int_equal(heap_free(a + 1), -AX_EINVAL);   /* misaligned */
    assert_int_equal(heap_free(big + FRAME_SIZE), -AX_EINVAL);
    assert_int_equal(heap_free(big + 16), -AX_EINVAL);
    assert_int_equal(heap_free((uint8_t *)frame_ptr(raw) + 64), -AX_EINVAL); /* not heap */
    assert_int_equal(heap_free((uint8_t *)frame_ptr(raw) + 16), -AX_EINVAL);
    uint64_t local[4] __attribute__((aligned(16))) = {0};
    assert_int_equal(heap_free(local), -AX_EINVAL);    /* unmanaged memory: never read */
    assert_int_equal(heap_free((void *)(uintptr_t)16), -AX_EINVAL);
    assert_int_equal(heap_free(a), 0);
    assert_int_equal(heap_free(a), -AX_EINVAL);       /* double free */
    assert_int_equal(heap_free(big), 0);
    assert_int_equal(heap_free(big), -AX_EINVAL);     /* double free of large */
    assert_null(krealloc(a, 100));                    /* stale pointer */
    assert_int_equal(hook_calls, 11);
    assert_int_equal(hstats().bad_frees, 11);
    assert_int_equal(hstats().live_allocs, 1);
    verify(b, 64, 9);
    assert_int_equal(heap_check(), 0);
    kfree(NULL);
    kfree(b);
    assert_int_equal(frame_free(raw, 0), 0);
    assert_int_equal(hstats().live_allocs, 0);
    assert_int_equal(heap_check(), 0);
    assert_int_equal(frame_check(), 0);
}

static void test_heap_realloc_zalloc(void **state)
{
    (void)state;
    heap_setup(MiB(4));
    uint64_t free0 = stats().free_pages;
    uint8_t *p = krealloc(NULL, 40);
    assert_non_null(p);
    assert_int_equal(kmalloc_usable_size(p), 48);
    fill(p, 40, 1);
    assert_ptr_equal(krealloc(p, 48), p); /* fits the class */
    uint8_t *q = krealloc(p, 3000);
    assert_non_null(q);
    verify(q, 40, 1);
    assert_int_equal(kmalloc_usable_size(p), 0); /* old one is gone */
    fill(q, 3000, 2);
    uint8_t *r = krealloc(q, 100000);
    verify(r, 3000, 2);
    assert_ptr_equal(krealloc(r, 10), r); /* shrinking keeps the block */
    assert_null(krealloc(r, 0));
    assert_int_equal(hstats().live_allocs, 0);

    /* Dirty memory comes back zeroed. */
    uint8_t *d = kmalloc(300);
    memset(d, 0xff, 300);
    kfree(d);
    uint8_t *z = kzalloc(300);
    for (unsigned i = 0; i < 300; i++)
        assert_int_equal(z[i], 0);
    kfree(z);
    uint8_t *c = kcalloc(10, 30);
    for (unsigned i = 0; i < 300; i++)
        assert_int_equal(c[i], 0);
    kfree(c);
    assert_null(kcalloc(SIZE_MAX / 2, 3));
    void *zero = kmalloc(0);
    assert_non_null(zero);
    kfree(zero);
    assert_heap_empty(free0);
}

static void test_heap_out_of_memory(void **state)
{
    (void)state;
    heap_setup(16 * FRAME_SIZE);
    uint64_t free0 = stats().free_pages;
    assert_null(kmalloc(MiB(1)));
    static void *p[4096];
    unsigned n = 0;
    while ((p[n] = kmalloc(1000)) != NULL)
        n++;
    assert_int_equal(n, free0 * 4); /* 4 objects of 1008 bytes per slab page */
    assert_int_equal(stats().free_pages, 0);
    assert_null(kmalloc(16));
    assert_null(kmalloc(5000));
    while (n > 0)
        kfree(p[--n]);
    assert_heap_empty(free0);
}

static void test_heap_stats(void **state)
{
    (void)state;
    heap_setup(MiB(4));
    void *a = kmalloc(10), *b = kmalloc(100), *c = kmalloc(5000);
    struct heap_stats h = hstats();
    assert_int_equal(h.live_allocs, 3);
    assert_int_equal(h.in_use_bytes, 16 + 128 + (2 * FRAME_SIZE - 16));
    assert_int_equal(h.slab_pages, 2);
    assert_int_equal(h.large_pages, 2);
    assert_int_equal(h.reserved_bytes, 4 * FRAME_SIZE);
    assert_int_equal(stats().used_pages, 4);
    kfree(a);
    kfree(b);
    kfree(c);
    h = hstats();
    assert_int_equal(h.live_allocs, 0);
    assert_int_equal(h.reserved_bytes, 0);
    assert_int_equal(stats().used_pages, 0);
}

/* ---- self-test and concurrency ---------------------------------------- */

static void test_selftest(void **state)
{
    (void)state;
    heap_setup(MiB(16));
    assert_int_equal(axalloc_selftest(), 0);
    /* Again with existing partial slabs and allocated frames around. */
    void *keep[5] = {kmalloc(24), kmalloc(32), kmalloc(1000), kmalloc(9000), NULL};
    paddr_t f = frame_alloc(3);
    assert_int_equal(axalloc_selftest(), 0);
    for (unsigned i = 0; i < 5; i++)
        kfree(keep[i]);
    assert_int_equal(frame_free(f, 3), 0);
    assert_int_equal(hstats().live_allocs, 0);
}

static void test_selftest_fragmented(void **state)
{
    (void)state;
    heap_setup(MiB(2));
    /* Leave only isolated free pages: larger orders are unavailable. */
    static paddr_t pages[BUF_PAGES];
    size_t n = 0;
    paddr_t pa;
    while ((pa = frame_alloc(0)) != 0)
        pages[n++] = pa;
    for (size_t i = 0; i < n; i++) {
        if (page_index(pages[i]) % 2 == 0) {
            assert_int_equal(frame_free(pages[i], 0), 0);
            pages[i] = 0;
        }
    }
    assert_int_equal(axalloc_selftest(), 0);
    for (size_t i = 0; i < n; i++) {
        if (pages[i])
            assert_int_equal(frame_free(pages[i], 0), 0);
    }
    assert_int_equal(frame_check(), 0);
}

static void *worker(void *arg)
{
    uint64_t seed = (uintptr_t)arg;
    enum { SLOTS = 64 };
    paddr_t f[SLOTS] = {0};
    unsigned fo[SLOTS] = {0};
    uint8_t *h[SLOTS] = {0};
    size_t hs[SLOTS] = {0};
    bool ok = true;
    for (unsigned op = 0; op < 4000; op++) {
        seed = seed * 6364136223846793005ULL + 1;
        unsigned i = (seed >> 40) % SLOTS;
        if (f[i]) {
            if (*(uint64_t *)frame_ptr(f[i]) != f[i] || frame_free(f[i], fo[i]) != 0)
                ok = false;
            f[i] = 0;
        } else {
            fo[i] = (seed >> 20) % 4;
            f[i] = frame_alloc(fo[i]);
            if (f[i])
                *(uint64_t *)frame_ptr(f[i]) = f[i];
        }
        if (h[i]) {
            for (size_t j = 0; j < hs[i]; j++)
                ok &= h[i][j] == (uint8_t)(i + j);
            kfree(h[i]);
            h[i] = NULL;
        } else {
            hs[i] = (seed >> 8) % 3000;
            h[i] = kmalloc(hs[i]);
            if (h[i])
                for (size_t j = 0; j < hs[i]; j++)
                    h[i][j] = (uint8_t)(i + j);
        }
    }
    for (unsigned i = 0; i < SLOTS; i++) {
        if (f[i] && frame_free(f[i], fo[i]) != 0)
            ok = false;
        kfree(h[i]);
    }
    return ok ? arg : NULL;
}

static void test_threads(void **state)
{
    (void)state;
    heap_setup(MiB(32));
    uint64_t free0 = stats().free_pages;
    pthread_t t[4];
    for (uintptr_t i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, worker, (void *)(i + 1)), 0);
    for (uintptr_t i = 0; i < 4; i++) {
        void *ret;
        assert_int_equal(pthread_join(t[i], &ret), 0);
        assert_ptr_equal(ret, (void *)(i + 1));
    }
    assert_heap_empty(free0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_single_range, reset),
        cmocka_unit_test_setup(test_metadata_is_small, reset),
        cmocka_unit_test_setup(test_add_range_errors, reset),
        cmocka_unit_test_setup(test_multi_range_exhaustion, reset),
        cmocka_unit_test_setup(test_exhaustion_by_order, reset),
        cmocka_unit_test_setup(test_coalescing_to_max, reset),
        cmocka_unit_test_setup(test_alignment_and_zeroing, reset),
        cmocka_unit_test_setup(test_alloc_pages_npot, reset),
        cmocka_unit_test_setup(test_double_and_bad_free, reset),
        cmocka_unit_test_setup(test_reserve_before_use, reset),
        cmocka_unit_test_setup(test_reserve_after_use, reset),
        cmocka_unit_test_setup(test_reserve_table_full, reset),
        cmocka_unit_test_setup(test_dropped_and_late_ranges, reset),
        cmocka_unit_test_setup(test_metadata_split_when_no_room, reset),
        cmocka_unit_test_setup(test_free_list_damage_recovered, reset),
        cmocka_unit_test_setup(test_check_catches_bitmap_damage, reset),
        cmocka_unit_test_setup(test_heap_small_sizes, reset),
        cmocka_unit_test_setup(test_heap_large, reset),
        cmocka_unit_test_setup(test_heap_many_and_slab_return, reset),
        cmocka_unit_test_setup(test_heap_random, reset),
        cmocka_unit_test_setup(test_heap_bad_free, reset),
        cmocka_unit_test_setup(test_heap_realloc_zalloc, reset),
        cmocka_unit_test_setup(test_heap_out_of_memory, reset),
        cmocka_unit_test_setup(test_heap_stats, reset),
        cmocka_unit_test_setup(test_selftest, reset),
        cmocka_unit_test_setup(test_selftest_fragmented, reset),
        cmocka_unit_test_setup(test_threads, reset),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
