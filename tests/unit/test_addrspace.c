/* Unit tests for axaddrspace: guest address spaces over the real frame
 * allocator, heap, page-table walker and aarch64 stage-2 format. The
 * "physical" memory is a 128 MiB buffer aligned to 64 MiB whose addresses
 * serve as physical addresses (frame_ptr is the identity). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "ax/addrspace.h"
#include "ax/heap.h"
#include "ax/pte_aarch64.h"

#define ARENA_SIZE MiB(128)
#define ARENA_ALIGN MiB(64)
#define ARENA_PAGES (ARENA_SIZE / FRAME_SIZE)

#define RAM_GPA 0x40000000ull
#define DEV_GPA 0x09000000ull

static uint8_t *arena;
/* Frames a test holds itself (to fragment or exhaust the allocator). */
static paddr_t held[ARENA_PAGES];
static size_t nheld;

static int group_setup(void **state)
{
    (void)state;
    arena = aligned_alloc(ARENA_ALIGN, ARENA_SIZE);
    return arena ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    free(arena);
    return 0;
}

/* Fresh allocator and heap over a dirty arena, so missing zeroing shows. */
static int reset(void **state)
{
    (void)state;
    memset(arena, 0xa5, ARENA_SIZE);
    frame_init();
    if (frame_add_range((paddr_t)(uintptr_t)arena, ARENA_SIZE) != 0)
        return -1;
    heap_init();
    nheld = 0;
    return 0;
}

static uint64_t free_pages(void)
{
    struct frame_stats st;
    frame_stats(&st);
    return st.free_pages;
}

static size_t heap_live(void)
{
    struct heap_stats st;
    heap_stats(&st);
    return st.live_allocs;
}

static struct as_stats as_stats_of(struct addrspace *as)
{
    struct as_stats st;
    as_get_stats(as, &st);
    return st;
}

static void hold_all_pages(void)
{
    paddr_t pa;
    while ((pa = frame_alloc(0)) != 0) {
        assert_true(nheld < ARENA_PAGES);
        held[nheld++] = pa;
    }
}

static void release_held(void)
{
    for (size_t i = 0; i < nheld; i++)
        if (held[i])
            assert_int_equal(frame_free(held[i], 0), 0);
    nheld = 0;
}

static void init_s2(struct addrspace *as, unsigned va_bits)
{
    assert_int_equal(as_init(as, &pte_aarch64_s2, va_bits), 0);
}

static uint64_t rng_state = 1;

static uint32_t rnd(void)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng_state >> 33);
}

static void fill_pattern(uint8_t *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)((i * 131u + seed) ^ (i >> 12));
}

/* An invalidate hook that records what it was told. */
struct inval_log {
    unsigned calls;
    paddr_t last_gpa;
    uint64_t last_size;
};

static void log_invalidate(void *ctx, paddr_t gpa, uint64_t size)
{
    struct inval_log *l = ctx;
    l->calls++;
    l->last_gpa = gpa;
    l->last_size = size;
}

/* ---- lifetime ---------------------------------------------------------- */

static void test_init_and_destroy(void **state)
{
    (void)state;
    struct addrspace as;
    uint64_t free0 = free_pages();

    assert_int_equal(as_init(NULL, &pte_aarch64_s2, 0), -AX_EINVAL);
    assert_int_equal(as_init(&as, NULL, 0), -AX_EINVAL);
    as_destroy(&as); /* after a failed init: harmless */
    assert_int_equal(as_init(&as, &pte_aarch64_s2, 20), -AX_EINVAL);
    assert_int_equal(as_init(&as, &pte_aarch64_s2, 49), -AX_EINVAL);
    assert_int_equal(free_pages(), free0);

    init_s2(&as, 0);
    assert_int_equal(as.pt.va_bits, 40);
    assert_int_equal(as.pt.levels, 4);
    assert_int_equal(as_stats_of(&as).table_pages, 1);
    assert_int_equal(free_pages(), free0 - 1);
    as_destroy(&as);
    as_destroy(&as); /* twice: harmless */
    assert_int_equal(free_pages(), free0);

    init_s2(&as, 39);
    assert_int_equal(as.pt.levels, 3);
    as_destroy(&as);
    assert_int_equal(free_pages(), free0);

    /* Without memory for the root. */
    hold_all_pages();
    assert_int_equal(as_init(&as, &pte_aarch64_s2, 0), -AX_ENOMEM);
    as_destroy(&as);
    release_held();
    assert_int_equal(free_pages(), free0);
}

/* Create/destroy cycles with every kind of region give back every frame
 * and every heap object. */
static void test_destroy_cycles_return_everything(void **state)
{
    (void)state;
    uint64_t free0 = free_pages();
    size_t live0 = heap_live();

    for (unsigned cycle = 0; cycle < 6; cycle++) {
        struct addrspace as;
        init_s2(&as, 0);
        assert_int_equal(as_add_region(&as, RAM_GPA, MiB(16) + cycle * KiB(12),
                                       PT_R | PT_W | PT_X, AS_ALLOC, 0), 0);
        assert_int_equal(as_add_region(&as, GiB(2) + KiB(4), MiB(3),
                                       PT_R | PT_W, AS_ALLOC, 0), 0);
        assert_int_equal(as_add_region(&as, DEV_GPA, KiB(4),
                                       PT_R | PT_W | PT_DEVICE, AS_IDENTICAL,
                                       DEV_GPA), 0);
        assert_int_equal(as_add_region(&as, 0x08000000, MiB(1), PT_R | PT_W,
                                       AS_EMULATED, 0), 0);
        assert_int_equal(as_add_region(&as, 0x0, MiB(64), PT_R,
                                       AS_RESERVED, 0), 0);
        if (cycle & 1) /* some cycles remove a region first */
            assert_int_equal(as_remove_region(&as, RAM_GPA), 0);
        assert_true(free_pages() < free0);
        as_destroy(&as);
        assert_int_equal(free_pages(), free0);
        assert_int_equal(heap_live(), live0);
        struct as_stats st = as_stats_of(&as);
        assert_int_equal(st.table_pages, 0);
        assert_int_equal(st.regions, 0);
        assert_int_equal(st.ram_bytes, 0);
    }
    assert_int_equal(frame_check(), 0);
    assert_int_equal(heap_check(), 0);
}

/* ---- region validation ------------------------------------------------- */

static void test_region_validation(void **state)
{
    (void)state;
    struct addrspace as;
    init_s2(&as, 0);
    uint64_t free0 = free_pages();
    const uint32_t rw = PT_R | PT_W;

    /* alignment, size, wrap, input-space limit */
    assert_int_equal(as_add_region(&as, RAM_GPA + 1, MiB(1), rw, AS_ALLOC, 0), -AX_EINVAL);
    assert_int_equal(as_add_region(&as, RAM_GPA, MiB(1) + 8, rw, AS_ALLOC, 0), -AX_EINVAL);
    assert_int_equal(as_add_region(&as, RAM_GPA, 0, rw, AS_ALLOC, 0), -AX_EINVAL);
    assert_int_equal(as_add_region(&as, RAM_GPA, 0, rw, AS_EMULATED, 0), -AX_EINVAL);
    assert_int_equal(as_add_region(&as, UINT64_MAX - 0xFFF, KiB(8), rw, AS_RESERVED, 0), -AX_EINVAL);
    assert_int_equal(as_add_region(&as, 0xFFFFFFFFFFFFF000ull, KiB(4), rw, AS_EMULATED, 0), -AX_EINVAL);
    assert_int_equal(as_add_region(&as, GiB(1024) - KiB(4), KiB(8), rw, AS_RESERVED, 0), -AX_EINVAL);
    assert_int_equal(as_add_region(&as, GiB(1024), KiB(4), rw, AS_EMULATED, 0), -AX_EINVAL);
    assert_int_equal(as_add_region(&as, 0, UINT64_MAX & ~0xFFFull, rw, AS_RESERVED, 0), -AX_EINVAL);
    /* The last page of the 40-bit space is fine. */
    assert_int_equal(as_add_region(&as, GiB(1024) - KiB(4), KiB(4), rw, AS_EMULATED, 0), 0);
    assert_int_equal(as_remove_region(&as, GiB(1024) - KiB(4)), 0);

    /* flags and kind */
    assert_int_equal(as_add_region(&as, RAM_GPA, MiB(1), 0x40, AS_ALLOC, 0), -AX_EINVAL);
    assert_int_equal(as_add_region(&as, RAM_GPA, MiB(1), PT_R | PT_DEVICE | PT_NC, AS_IDENTICAL, RAM_GPA), -AX_EINVAL);
    assert_int_equal(as_add_region(&as, RAM_GPA, MiB(1), rw, (enum as_kind)4, 0), -AX_EINVAL);
    /* identical: hpa aligned, not wrapping, inside the 48-bit PA space */
    assert_int_equal(as_add_region(&as, DEV_GPA, KiB(4), rw, AS_IDENTICAL, DEV_GPA + 4), -AX_EINVAL);
    assert_int_equal(as_add_region(&as, DEV_GPA, KiB(8), rw, AS_IDENTICAL, 0xFFFFFFFFFFFFF000ull), -AX_EINVAL);
    assert_int_equal(as_add_region(&as, DEV_GPA, KiB(4), rw, AS_IDENTICAL, 1ull << 48), -AX_EINVAL);
    assert_int_equal(as_stats_of(&as).regions, 0);
    assert_int_equal(free_pages(), free0);

    /* overlap, against every kind and from every side */
    assert_int_equal(as_add_region(&as, RAM_GPA, MiB(4), rw, AS_ALLOC, 0), 0);
    assert_int_equal(as_add_region(&as, RAM_GPA + MiB(8), MiB(1), rw, AS_EMULATED, 0), 0);
    assert_int_equal(as_add_region(&as, RAM_GPA + MiB(16), MiB(1), rw, AS_RESERVED, 0), 0);
    uint64_t free1 = free_pages();
    size_t live1 = heap_live();
    static const struct {
        uint64_t gpa, size;
    } clash[] = {
        { RAM_GPA, MiB(4) },                       /* same */
        { RAM_GPA - KiB(4), KiB(8) },              /* left edge */
        { RAM_GPA + MiB(4) - KiB(4), KiB(8) },     /* right edge */
        { RAM_GPA + MiB(1), KiB(4) },              /* inside */
        { RAM_GPA - MiB(1), MiB(32) },             /* around all three */
        { RAM_GPA + MiB(8) + KiB(4), KiB(4) },     /* inside emulated */
        { RAM_GPA + MiB(7), MiB(2) },              /* over emulated start */
        { RAM_GPA + MiB(16) + MiB(1) - KiB(4), MiB(1) }, /* over reserved end */
    };
    for (size_t i = 0; i < ARRAY_SIZE(clash); i++) {
        for (unsigned k = AS_ALLOC; k <= AS_EMULATED; k++)
            assert_int_equal(as_add_region(&as, clash[i].gpa, clash[i].size, rw,
                                           (enum as_kind)k, clash[i].gpa),
                             -AX_EEXIST);
    }
    assert_int_equal(free_pages(), free1);
    assert_int_equal(heap_live(), live1);
    assert_int_equal(as_stats_of(&as).regions, 3);
    /* touching neighbours are fine */
    assert_int_equal(as_add_region(&as, RAM_GPA - KiB(4), KiB(4), rw, AS_ALLOC, 0), 0);
    assert_int_equal(as_add_region(&as, RAM_GPA + MiB(4), MiB(4), rw, AS_ALLOC, 0), 0);

    /* remove: only by start address */
    assert_int_equal(as_remove_region(&as, RAM_GPA + KiB(4)), -AX_ENOENT);
    assert_int_equal(as_remove_region(&as, RAM_GPA + MiB(12)), -AX_ENOENT);
    assert_int_equal(as_stats_of(&as).regions, 5);

    /* sorted listing */
    const struct as_region *prev = NULL;
    for (unsigned i = 0; i < 5; i++) {
        const struct as_region *r = as_region_at(&as, i);
        assert_non_null(r);
        if (prev)
            assert_true(prev->gpa + prev->size <= r->gpa);
        prev = r;
    }
    assert_null(as_region_at(&as, 5));
    as_destroy(&as);
}

static void test_region_capacity(void **state)
{
    (void)state;
    struct addrspace as;
    init_s2(&as, 0);
    /* Added in descending order to exercise sorted insertion. */
    for (unsigned i = 0; i < AS_MAX_REGIONS; i++) {
        paddr_t gpa = RAM_GPA + (AS_MAX_REGIONS - 1 - i) * MiB(1);
        enum as_kind k = (enum as_kind)(i % 4);
        assert_int_equal(as_add_region(&as, gpa, KiB(64), PT_R | PT_W, k, gpa), 0);
    }
    uint64_t free0 = free_pages();
    size_t live0 = heap_live();
    assert_int_equal(as_add_region(&as, GiB(4), MiB(2), PT_R, AS_ALLOC, 0), -AX_ENOSPC);
    assert_int_equal(as_add_region(&as, GiB(4), MiB(2), PT_R, AS_EMULATED, 0), -AX_ENOSPC);
    assert_int_equal(free_pages(), free0);
    assert_int_equal(heap_live(), live0);
    for (unsigned i = 0; i < AS_MAX_REGIONS; i++) {
        const struct as_region *r = as_region_at(&as, i);
        assert_int_equal(r->gpa, RAM_GPA + i * MiB(1));
        assert_ptr_equal(as_find(&as, r->gpa + KiB(60)), r);
        assert_null(as_find(&as, r->gpa + KiB(64)));
    }
    assert_int_equal(as_remove_region(&as, RAM_GPA + MiB(5)), 0);
    assert_int_equal(as_add_region(&as, GiB(4), MiB(2), PT_R, AS_ALLOC, 0), 0);
    assert_int_equal(as_region_at(&as, AS_MAX_REGIONS - 1)->gpa, GiB(4));
    as_destroy(&as);
}

/* ---- backing and mappings ---------------------------------------------- */

static void test_alloc_uses_2m_blocks(void **state)
{
    (void)state;
    struct addrspace as;
    init_s2(&as, 0);
    const uint32_t rwx = PT_R | PT_W | PT_X;
    assert_int_equal(as_add_region(&as, RAM_GPA, MiB(8), rwx | PT_U, AS_ALLOC, 0), 0);

    struct as_stats st = as_stats_of(&as);
    assert_int_equal(st.ram_bytes, MiB(8));
    assert_int_equal(st.chunks, 4);
    const struct as_region *r = as_find(&as, RAM_GPA + MiB(3));
    assert_non_null(r);
    assert_int_equal(r->gpa, RAM_GPA);
    assert_int_equal(r->kind, AS_ALLOC);
    assert_int_equal(r->flags, rwx | PT_U);

    for (uint64_t off = 0; off < MiB(8); off += KiB(508)) {
        paddr_t hpa, pa;
        uint64_t contig, msize;
        uint32_t attrs;
        assert_int_equal(as_translate(&as, RAM_GPA + off, &hpa, &contig), 0);
        assert_int_equal(contig, MiB(2) - off % MiB(2));
        assert_true(IS_ALIGNED(hpa - off % MiB(2), MiB(2)));
        assert_true(frame_is_allocated(hpa));
        assert_int_equal(pt_query(&as.pt, RAM_GPA + off, &pa, &attrs, &msize), 0);
        assert_int_equal(pa, hpa);
        assert_true(msize >= MiB(2)); /* a block, not 4 KiB pages */
        assert_int_equal(attrs, rwx); /* PT_U is not expressible at stage 2 */
        /* zeroed although the arena was dirty */
        const uint8_t *p = frame_ptr(hpa);
        assert_int_equal(p[0], 0);
    }
    uint8_t *buf = malloc(MiB(8));
    assert_non_null(buf);
    memset(buf, 0x5a, MiB(8));
    assert_int_equal(as_copy_from_guest(&as, buf, RAM_GPA, MiB(8)), 0);
    for (size_t i = 0; i < MiB(8); i++)
        if (buf[i])
            fail_msg("guest RAM not zeroed at %zu", i);
    free(buf);

    /* Outside the region: nothing mapped. */
    assert_int_equal(pt_query(&as.pt, RAM_GPA + MiB(8), NULL, NULL, NULL), -AX_ENOENT);
    assert_int_equal(pt_query(&as.pt, RAM_GPA - KiB(4), NULL, NULL, NULL), -AX_ENOENT);
    as_destroy(&as);
}

/* A region starting just past a 2 MiB boundary gets blocks that grow with
 * the guest address's alignment, then 2 MiB ones. */
static void test_alloc_follows_gpa_alignment(void **state)
{
    (void)state;
    struct addrspace as;
    init_s2(&as, 0);
    paddr_t gpa = RAM_GPA + KiB(4);
    assert_int_equal(as_add_region(&as, gpa, MiB(4) - KiB(4), PT_R | PT_W, AS_ALLOC, 0), 0);
    /* orders 0..8 cover [4 KiB, 2 MiB), then one 2 MiB block */
    assert_int_equal(as_stats_of(&as).chunks, 10);
    for (unsigned k = 0; k <= 8; k++) {
        paddr_t g = RAM_GPA + (KiB(4) << k), hpa;
        uint64_t contig, msize;
        assert_int_equal(as_translate(&as, g, &hpa, &contig), 0);
        assert_int_equal(contig, KiB(4) << k);
        assert_true(IS_ALIGNED(hpa, KiB(4) << k));
        assert_int_equal(pt_query(&as.pt, g, NULL, NULL, &msize), 0);
        assert_true(msize < MiB(2));
    }
    uint64_t msize;
    assert_int_equal(pt_query(&as.pt, RAM_GPA + MiB(3), NULL, NULL, &msize), 0);
    assert_int_equal(msize, MiB(2));
    as_destroy(&as);
}

static void test_identical_device_mapping(void **state)
{
    (void)state;
    struct addrspace as;
    init_s2(&as, 0);
    const uint32_t dev = PT_R | PT_W | PT_DEVICE;
    uint64_t free0 = free_pages();
    assert_int_equal(as_add_region(&as, DEV_GPA, KiB(4), dev, AS_IDENTICAL, DEV_GPA), 0);
    assert_int_equal(as_add_region(&as, 0x08000000, MiB(2), dev, AS_IDENTICAL, 0x08000000), 0);
    /* A passthrough device at another guest address. */
    assert_int_equal(as_add_region(&as, 0x0a000000, KiB(8), PT_R | PT_DEVICE, AS_IDENTICAL, 0x10000000), 0);
    /* Only table pages were taken, no backing. */
    assert_int_equal(as_stats_of(&as).ram_bytes, 0);
    assert_int_equal(free0 - free_pages(), as_stats_of(&as).table_pages - 1);

    paddr_t pa;
    uint32_t attrs;
    uint64_t msize, contig;
    assert_int_equal(pt_query(&as.pt, DEV_GPA + 0x10, &pa, &attrs, &msize), 0);
    assert_int_equal(pa, DEV_GPA + 0x10);
    assert_int_equal(attrs, dev); /* no PT_X: device memory is never executable */
    assert_int_equal(msize, KiB(4));
    assert_int_equal(pt_query(&as.pt, 0x08100000, &pa, &attrs, &msize), 0);
    assert_int_equal(pa, 0x08100000);
    assert_int_equal(attrs, dev);
    assert_int_equal(msize, MiB(2));
    assert_int_equal(pt_query(&as.pt, 0x0a001000, &pa, &attrs, NULL), 0);
    assert_int_equal(pa, 0x10001000);
    assert_int_equal(attrs, PT_R | PT_DEVICE);

    assert_int_equal(as_translate(&as, 0x0a001008, &pa, &contig), 0);
    assert_int_equal(pa, 0x10001008);
    assert_int_equal(contig, KiB(4) - 8);
    assert_int_equal(as_translate(&as, 0x08000000, &pa, &contig), 0);
    assert_int_equal(contig, MiB(2));

    /* Device memory is mapped but never copied to or from. */
    uint8_t b[4] = { 0 };
    assert_int_equal(as_copy_from_guest(&as, b, DEV_GPA, 4), -AX_EFAULT);
    assert_int_equal(as_copy_to_guest(&as, DEV_GPA, b, 4), -AX_EFAULT);
    assert_int_equal(as_zero_guest(&as, 0x08000000, 4), -AX_EFAULT);

    /* Non-device memory mapped normal WB, as the same call says. */
    assert_int_equal(as_add_region(&as, 0x0c000000, KiB(4), PT_R | PT_NC, AS_IDENTICAL, 0x0c000000), 0);
    assert_int_equal(pt_query(&as.pt, 0x0c000000, NULL, &attrs, NULL), 0);
    assert_int_equal(attrs, PT_R | PT_NC);
    as_destroy(&as);
    assert_int_equal(free_pages(), free0 + 1);
}

static void test_reserved_and_emulated_unmapped(void **state)
{
    (void)state;
    struct addrspace as;
    init_s2(&as, 0);
    assert_int_equal(as_add_region(&as, 0x08000000, MiB(2), PT_R | PT_W, AS_EMULATED, 0), 0);
    assert_int_equal(as_add_region(&as, 0x20000000, MiB(4), PT_R | PT_W | PT_X, AS_RESERVED, 0), 0);
    assert_int_equal(as_stats_of(&as).table_pages, 1);
    assert_int_equal(pt_query(&as.pt, 0x08000000, NULL, NULL, NULL), -AX_ENOENT);
    assert_int_equal(pt_query(&as.pt, 0x20100000, NULL, NULL, NULL), -AX_ENOENT);
    paddr_t pa = 77;
    assert_int_equal(as_translate(&as, 0x08000000, &pa, NULL), -AX_EFAULT);
    assert_int_equal(as_translate(&as, 0x20000000, &pa, NULL), -AX_EFAULT);
    assert_int_equal(as_translate(&as, 0x30000000, &pa, NULL), -AX_EFAULT);
    assert_int_equal(pa, 77);

    const struct as_region *r = as_find(&as, 0x081fffff);
    assert_non_null(r);
    assert_int_equal(r->kind, AS_EMULATED);
    r = as_find(&as, 0x20000000);
    assert_non_null(r);
    assert_int_equal(r->kind, AS_RESERVED);
    assert_null(as_find(&as, 0x08200000));
    assert_null(as_find(&as, 0x1fffffff));
    assert_null(as_find(&as, UINT64_MAX));
    as_destroy(&as);
}

/* With no free block above 1 MiB, a 96 MiB region still comes together;
 * with only single free pages, so does a 16 MiB one (4096 chunks). */
static void test_fragmented_allocator(void **state)
{
    (void)state;
    uint64_t free0 = free_pages();
    hold_all_pages();
    /* Keep the first page of every 2 MiB: no order-9 block remains. */
    for (size_t i = 0; i < nheld; i++) {
        if (!IS_ALIGNED(held[i], MiB(2))) {
            assert_int_equal(frame_free(held[i], 0), 0);
            held[i] = 0;
        }
    }
    struct frame_stats fst;
    frame_stats(&fst);
    for (unsigned k = AS_CHUNK_MAX_ORDER; k < FRAME_ORDERS; k++)
        assert_int_equal(fst.free_blocks[k], 0);
    uint64_t free1 = fst.free_pages;
    size_t live0 = heap_live();

    struct addrspace as;
    init_s2(&as, 0);
    const uint64_t size = MiB(96);
    assert_int_equal(as_add_region(&as, RAM_GPA, size, PT_R | PT_W, AS_ALLOC, 0), 0);
    struct as_stats st = as_stats_of(&as);
    assert_true(st.chunks >= size / MiB(1));
    assert_int_equal(st.ram_bytes, size);

    /* Every piece is at most 1 MiB, mapped with pages, and holds what was
     * written through the copy interface. */
    uint8_t *src = malloc(size), *dst = malloc(size);
    assert_non_null(src);
    assert_non_null(dst);
    fill_pattern(src, size, 3);
    assert_int_equal(as_copy_to_guest(&as, RAM_GPA, src, size), 0);
    uint64_t pieces = 0;
    for (uint64_t off = 0; off < size; pieces++) {
        paddr_t hpa, pa;
        uint64_t contig, msize;
        assert_int_equal(as_translate(&as, RAM_GPA + off, &hpa, &contig), 0);
        assert_true(contig <= MiB(1) && contig >= KiB(4));
        assert_int_equal(pt_query(&as.pt, RAM_GPA + off, &pa, NULL, &msize), 0);
        assert_int_equal(pa, hpa);
        assert_int_equal(msize, KiB(4));
        assert_memory_equal(frame_ptr(hpa), src + off, contig);
        off += contig;
    }
    assert_int_equal(pieces, st.chunks);
    memset(dst, 0, size);
    assert_int_equal(as_copy_from_guest(&as, dst, RAM_GPA, size), 0);
    assert_memory_equal(dst, src, size);
    assert_int_equal(as_remove_region(&as, RAM_GPA), 0);
    assert_int_equal(free_pages(), free1 - 1); /* the root */
    assert_int_equal(heap_live(), live0);

    /* Now hold every other page of what is free: only order-0 blocks. */
    size_t n2 = 0;
    static paddr_t odd[ARENA_PAGES];
    paddr_t pa;
    while ((pa = frame_alloc(0)) != 0)
        odd[n2++] = pa;
    for (size_t i = 0; i < n2; i++) {
        if ((odd[i] / PAGE_SIZE) & 1) {
            assert_int_equal(frame_free(odd[i], 0), 0);
            odd[i] = 0;
        }
    }
    frame_stats(&fst);
    assert_int_equal(fst.free_blocks[0], fst.free_pages);
    assert_true(fst.free_pages > MiB(16) / PAGE_SIZE + 64);
    uint64_t free2 = fst.free_pages;
    assert_int_equal(as_add_region(&as, RAM_GPA, MiB(16), PT_R | PT_W, AS_ALLOC, 0), 0);
    assert_int_equal(as_stats_of(&as).chunks, MiB(16) / PAGE_SIZE);
    assert_int_equal(as_copy_to_guest(&as, RAM_GPA, src, MiB(16)), 0);
    memset(dst, 0, MiB(16));
    assert_int_equal(as_copy_from_guest(&as, dst, RAM_GPA + KiB(2), MiB(16) - KiB(4)), 0);
    assert_memory_equal(dst, src + KiB(2), MiB(16) - KiB(4));
    for (uint64_t off = 0; off < MiB(16); off += KiB(4) * 37) {
        paddr_t hpa;
        uint64_t contig;
        assert_int_equal(as_translate(&as, RAM_GPA + off + 5, &hpa, &contig), 0);
        assert_int_equal(contig, KiB(4) - 5);
        assert_int_equal(*(uint8_t *)frame_ptr(hpa), src[off + 5]);
    }
    as_destroy(&as);
    assert_int_equal(free_pages(), free2 + 1);
    assert_int_equal(heap_live(), live0);

    for (size_t i = 0; i < n2; i++)
        if (odd[i])
            assert_int_equal(frame_free(odd[i], 0), 0);
    release_held();
    free(src);
    free(dst);
    assert_int_equal(free_pages(), free0);
    assert_int_equal(frame_check(), 0);
}

/* Tries to add [gpa, gpa + size) with exactly f free pages, for each f in
 * [f_lo, f_hi): the add either works (and the remove gives everything back)
 * or fails with -AX_ENOMEM and nothing leaked or changed. The free pages are
 * taken from the held ones; with odd_only, only pages whose buddy is held,
 * so every free block is a single page. Returns the number of failures. */
static unsigned enomem_sweep(struct addrspace *as, paddr_t gpa, uint64_t size,
                             uint64_t f_lo, uint64_t f_hi, bool odd_only)
{
    size_t live0 = heap_live();
    struct as_stats st0 = as_stats_of(as);
    unsigned failures = 0;

    for (uint64_t f = f_lo; f < f_hi; f++) {
        uint64_t given = 0;
        for (size_t i = 0; i < nheld && given < f; i++) {
            if (held[i] && (!odd_only || ((held[i] / PAGE_SIZE) & 1))) {
                assert_int_equal(frame_free(held[i], 0), 0);
                held[i] = 0;
                given++;
            }
        }
        assert_int_equal(given, f);
        assert_int_equal(free_pages(), f);
        int err = as_add_region(as, gpa, size, PT_R | PT_W, AS_ALLOC, 0);
        if (err) {
            assert_int_equal(err, -AX_ENOMEM);
            failures++;
            assert_int_equal(free_pages(), f);
            assert_int_equal(heap_live(), live0);
            struct as_stats st = as_stats_of(as);
            assert_int_equal(st.regions, st0.regions);
            assert_int_equal(st.table_pages, st0.table_pages);
            assert_int_equal(st.ram_bytes, st0.ram_bytes);
            assert_int_equal(st.chunks, st0.chunks);
            assert_null(as_find(as, gpa));
            for (uint64_t off = 0; off < size; off += PAGE_SIZE)
                assert_int_equal(pt_query(&as->pt, gpa + off, NULL, NULL, NULL),
                                 -AX_ENOENT);
        } else {
            assert_int_equal(as_stats_of(as).ram_bytes, st0.ram_bytes + size);
            for (uint64_t off = 0; off < size; off += PAGE_SIZE) {
                paddr_t hpa, pa;
                assert_int_equal(as_translate(as, gpa + off, &hpa, NULL), 0);
                assert_int_equal(pt_query(&as->pt, gpa + off, &pa, NULL, NULL), 0);
                assert_int_equal(pa, hpa);
            }
            assert_int_equal(as_remove_region(as, gpa), 0);
            assert_int_equal(free_pages(), f);
            assert_int_equal(heap_live(), live0);
            assert_int_equal(as_stats_of(as).table_pages, st0.table_pages);
        }
        /* Take them back (into the slots just emptied). */
        for (size_t i = 0; i < nheld && given; i++) {
            if (!held[i]) {
                held[i] = frame_alloc(0);
                assert_true(held[i] != 0);
                given--;
            }
        }
        assert_int_equal(free_pages(), 0);
    }
    return failures;
}

/* Every failure point of as_add_region (backing, chunk-list growth, table
 * pages for the first or a later mapping run) is hit by some amount of free
 * memory, and none leaks. */
static void test_enomem_rollback(void **state)
{
    (void)state;
    struct addrspace as;
    init_s2(&as, 0);
    /* A device mapping first, so some tables exist and some do not. */
    assert_int_equal(as_add_region(&as, DEV_GPA, KiB(4), PT_R | PT_W | PT_DEVICE,
                                   AS_IDENTICAL, DEV_GPA), 0);
    hold_all_pages();

    /* Contiguous free memory: 9 chunks, 2 heap pages, 2 table pages. */
    uint64_t pages = (MiB(1) + KiB(12)) / PAGE_SIZE;
    unsigned fails = enomem_sweep(&as, RAM_GPA + KiB(4), MiB(1) + KiB(12),
                                  pages - 2, pages + 8, false);
    assert_int_equal(fails, 6);

    /* Single free pages: 251 chunks, so the third list segment is taken
     * after the last block, and the region straddles two last-level
     * tables, mapped run by run. */
    pages = 251;
    paddr_t gpa = RAM_GPA + MiB(2) - 128 * PAGE_SIZE;
    fails = enomem_sweep(&as, gpa, pages * PAGE_SIZE, pages - 1, pages + 12, true);
    assert_true(fails >= 5 && fails < 12);

    /* The same with the second last-level table already there (another
     * region uses it): now the first run's table is the one missing, and
     * the later runs would map fine, so a failed run must end the call. */
    release_held();
    assert_int_equal(as_add_region(&as, RAM_GPA + MiB(2) + 200 * PAGE_SIZE, PAGE_SIZE,
                                   PT_R, AS_ALLOC, 0), 0);
    hold_all_pages();
    fails = enomem_sweep(&as, gpa, pages * PAGE_SIZE, pages - 1, pages + 12, true);
    assert_true(fails >= 3 && fails < 12);

    release_held();
    as_destroy(&as);
    assert_int_equal(frame_check(), 0);
}

/* ---- copies ------------------------------------------------------------ */

/* Two adjacent RAM regions (crossing chunks) followed by identical host
 * memory: the layout the copy tests use. Guest window [RAM_GPA, +CPY_SPAN). */
#define CPY_A_SIZE (MiB(3) + KiB(8))
#define CPY_B_SIZE (MiB(2) + KiB(4))
#define CPY_C_SIZE KiB(64)
#define CPY_SPAN (CPY_A_SIZE + CPY_B_SIZE + CPY_C_SIZE)

static uint8_t host_mem[CPY_C_SIZE] __attribute__((aligned(4096)));

static void copy_layout(struct addrspace *as)
{
    init_s2(as, 48); /* host addresses as hpa need a 48-bit space */
    assert_int_equal(as_add_region(as, RAM_GPA, CPY_A_SIZE, PT_R | PT_W | PT_X, AS_ALLOC, 0), 0);
    assert_int_equal(as_add_region(as, RAM_GPA + CPY_A_SIZE, CPY_B_SIZE, PT_R, AS_ALLOC, 0), 0);
    assert_int_equal(as_add_region(as, RAM_GPA + CPY_A_SIZE + CPY_B_SIZE, CPY_C_SIZE,
                                   PT_R | PT_W, AS_IDENTICAL,
                                   (paddr_t)(uintptr_t)host_mem), 0);
    /* Devices and friends right after, and a hole before. */
    paddr_t end = RAM_GPA + CPY_SPAN;
    assert_int_equal(as_add_region(as, end, KiB(4), PT_R | PT_W | PT_DEVICE, AS_IDENTICAL, DEV_GPA), 0);
    assert_int_equal(as_add_region(as, end + KiB(4), KiB(4), PT_R | PT_W, AS_RESERVED, 0), 0);
    assert_int_equal(as_add_region(as, end + KiB(8), KiB(4), PT_R | PT_W, AS_EMULATED, 0), 0);
    memset(host_mem, 0, sizeof(host_mem));
}

static void test_copy_across_boundaries(void **state)
{
    (void)state;
    struct addrspace as;
    copy_layout(&as);
    size_t span = CPY_SPAN;
    uint8_t *shadow = malloc(span), *buf = malloc(span);
    assert_non_null(shadow);
    assert_non_null(buf);
    memset(shadow, 0, span);

    /* Whole span at once, through all three regions. */
    fill_pattern(buf, span, 11);
    assert_int_equal(as_load_image(&as, RAM_GPA, buf, span), 0);
    memcpy(shadow, buf, span);
    /* The identical region wrote straight into host memory. */
    assert_memory_equal(host_mem, shadow + CPY_A_SIZE + CPY_B_SIZE, CPY_C_SIZE);

    /* Random windows, biased towards the region and chunk boundaries. */
    static const uint64_t edges[] = { 0, MiB(2), CPY_A_SIZE, CPY_A_SIZE + MiB(2),
                                      CPY_A_SIZE + CPY_B_SIZE, CPY_SPAN };
    for (unsigned it = 0; it < 400; it++) {
        uint64_t base = edges[rnd() % ARRAY_SIZE(edges)];
        uint64_t off = base + rnd() % 9000;
        off = off > 4500 ? off - 4500 : 0;
        if (off >= span)
            off = span - 1;
        size_t len = 1 + rnd() % (it % 10 == 0 ? 300000 : 9000);
        if (len > span - off)
            len = span - off;
        switch (rnd() % 3) {
        case 0:
            fill_pattern(buf, len, it);
            assert_int_equal(as_copy_to_guest(&as, RAM_GPA + off, buf, len), 0);
            memcpy(shadow + off, buf, len);
            break;
        case 1:
            assert_int_equal(as_zero_guest(&as, RAM_GPA + off, len), 0);
            memset(shadow + off, 0, len);
            break;
        default:
            assert_int_equal(as_copy_from_guest(&as, buf, RAM_GPA + off, len), 0);
            assert_memory_equal(buf, shadow + off, len);
            break;
        }
    }
    /* Every page's host memory matches, found via as_translate. */
    for (uint64_t off = 0; off < span;) {
        paddr_t hpa;
        uint64_t contig;
        assert_int_equal(as_translate(&as, RAM_GPA + off, &hpa, &contig), 0);
        contig = MIN(contig, span - off);
        assert_memory_equal(frame_ptr(hpa), shadow + off, contig);
        off += contig;
    }
    assert_int_equal(as_copy_from_guest(&as, buf, RAM_GPA, span), 0);
    assert_memory_equal(buf, shadow, span);

    /* len 0 is a no-op anywhere. */
    assert_int_equal(as_copy_to_guest(&as, 0, buf, 0), 0);
    assert_int_equal(as_copy_from_guest(&as, NULL, UINT64_MAX, 0), 0);
    free(shadow);
    free(buf);
    as_destroy(&as);
}

static void test_copy_efault(void **state)
{
    (void)state;
    struct addrspace as;
    copy_layout(&as);
    const paddr_t end = RAM_GPA + CPY_SPAN;
    uint8_t *ram0 = malloc(CPY_SPAN), *ram1 = malloc(CPY_SPAN);
    uint8_t buf[KiB(16)];
    assert_non_null(ram0);
    assert_non_null(ram1);
    fill_pattern(ram0, CPY_SPAN, 5);
    assert_int_equal(as_copy_to_guest(&as, RAM_GPA, ram0, CPY_SPAN), 0);

    static const struct {
        uint64_t gpa, len;
    } bad[] = {
        { RAM_GPA - 1, 2 },                 /* starts in the hole before */
        { RAM_GPA - KiB(4), KiB(8) },
        { end - 8, 16 },                    /* runs into the device */
        { end, 1 },                         /* device */
        { end + KiB(4), 4 },                /* reserved */
        { end + KiB(8) + 100, 4 },          /* emulated */
        { end + KiB(12), 4 },               /* hole after */
        { RAM_GPA + 100, CPY_SPAN },        /* RAM..device */
        { 0, 1 },
        { UINT64_MAX - 10, 100 },           /* wraps */
        { UINT64_MAX, 1 },
        { GiB(1ull << 18) - 1, 2 },         /* past the 48-bit input space */
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        size_t len = (size_t)MIN(bad[i].len, sizeof(buf));
        if (bad[i].len > sizeof(buf)) {
            /* long copies use a big buffer */
            uint8_t *big = malloc(bad[i].len);
            assert_non_null(big);
            memset(big, 0xee, bad[i].len);
            assert_int_equal(as_copy_to_guest(&as, bad[i].gpa, big, bad[i].len), -AX_EFAULT);
            assert_int_equal(as_copy_from_guest(&as, big, bad[i].gpa, bad[i].len), -AX_EFAULT);
            for (size_t j = 0; j < bad[i].len; j++)
                if (big[j] != 0xee)
                    fail_msg("failed copy wrote the destination at %zu", j);
            free(big);
        } else {
            memset(buf, 0xee, sizeof(buf));
            assert_int_equal(as_copy_to_guest(&as, bad[i].gpa, buf, len), -AX_EFAULT);
            assert_int_equal(as_copy_from_guest(&as, buf, bad[i].gpa, len), -AX_EFAULT);
            for (size_t j = 0; j < sizeof(buf); j++)
                assert_int_equal(buf[j], 0xee);
        }
        assert_int_equal(as_zero_guest(&as, bad[i].gpa, (size_t)bad[i].len), -AX_EFAULT);
        assert_int_equal(as_load_image(&as, bad[i].gpa, ram0, (size_t)MIN(bad[i].len, CPY_SPAN)),
                         -AX_EFAULT);
    }
    /* size_t length that overflows gpa + len */
    assert_int_equal(as_copy_to_guest(&as, RAM_GPA, buf, SIZE_MAX), -AX_EFAULT);
    /* NULL buffers */
    assert_int_equal(as_copy_to_guest(&as, RAM_GPA, NULL, 4), -AX_EFAULT);
    assert_int_equal(as_copy_from_guest(&as, NULL, RAM_GPA, 4), -AX_EFAULT);
    assert_int_equal(as_copy_to_guest(NULL, RAM_GPA, buf, 4), -AX_EFAULT);

    /* Nothing was written by any failed call. */
    assert_int_equal(as_copy_from_guest(&as, ram1, RAM_GPA, CPY_SPAN), 0);
    assert_memory_equal(ram1, ram0, CPY_SPAN);
    /* The read-only region is still writable by the hypervisor. */
    assert_int_equal(as_copy_to_guest(&as, RAM_GPA + CPY_A_SIZE, buf, 16), 0);
    free(ram0);
    free(ram1);
    as_destroy(&as);
}

static void test_translate_contig(void **state)
{
    (void)state;
    struct addrspace as;
    copy_layout(&as);
    paddr_t hpa;
    uint64_t contig;
    /* Region A (1 GiB aligned): chunks of 2 MiB, 1 MiB, 8 KiB. Region B
     * starts 8 KiB aligned: 8, 16, ... 512 KiB up to the 4 MiB boundary,
     * then 1 MiB, 8 KiB, 4 KiB. */
    assert_int_equal(as_stats_of(&as).chunks, 3 + 10);
    assert_int_equal(as_translate(&as, RAM_GPA, &hpa, &contig), 0);
    assert_int_equal(contig, MiB(2));
    assert_int_equal(as_translate(&as, RAM_GPA + MiB(2) - 1, &hpa, &contig), 0);
    assert_int_equal(contig, 1);
    assert_int_equal(as_translate(&as, RAM_GPA + MiB(2), &hpa, &contig), 0);
    assert_int_equal(contig, MiB(1));
    assert_int_equal(as_translate(&as, RAM_GPA + MiB(3) + 3, &hpa, &contig), 0);
    assert_int_equal(contig, KiB(8) - 3);
    assert_true(IS_ALIGNED(hpa - 3, KiB(8)));
    assert_int_equal(as_translate(&as, RAM_GPA + CPY_A_SIZE, &hpa, &contig), 0);
    assert_int_equal(contig, KiB(8));
    assert_int_equal(as_translate(&as, RAM_GPA + MiB(4) + KiB(5), &hpa, &contig), 0);
    assert_int_equal(contig, MiB(1) - KiB(5));
    assert_int_equal(as_translate(&as, RAM_GPA + MiB(5) + KiB(8), &hpa, &contig), 0);
    assert_int_equal(contig, KiB(4));
    /* NULL outputs are fine. */
    assert_int_equal(as_translate(&as, RAM_GPA + CPY_A_SIZE, NULL, NULL), 0);
    /* Identical: contiguous to the region's end. */
    paddr_t c = RAM_GPA + CPY_A_SIZE + CPY_B_SIZE;
    assert_int_equal(as_translate(&as, c + 10, &hpa, &contig), 0);
    assert_int_equal(hpa, (paddr_t)(uintptr_t)host_mem + 10);
    assert_int_equal(contig, CPY_C_SIZE - 10);
    assert_int_equal(as_translate(&as, RAM_GPA - 1, &hpa, &contig), -AX_EFAULT);
    assert_int_equal(as_translate(NULL, RAM_GPA, &hpa, &contig), -AX_EFAULT);
    as_destroy(&as);
}

static void test_reset_ram_zeroes(void **state)
{
    (void)state;
    struct addrspace as;
    copy_layout(&as);
    uint8_t *buf = malloc(CPY_SPAN);
    assert_non_null(buf);
    fill_pattern(buf, CPY_SPAN, 9);
    assert_int_equal(as_copy_to_guest(&as, RAM_GPA, buf, CPY_SPAN), 0);
    as_reset_ram(&as);
    uint8_t *out = malloc(CPY_SPAN);
    assert_non_null(out);
    assert_int_equal(as_copy_from_guest(&as, out, RAM_GPA, CPY_SPAN), 0);
    for (size_t i = 0; i < CPY_A_SIZE + CPY_B_SIZE; i++)
        if (out[i])
            fail_msg("RAM byte %zu survived the reset", i);
    /* Identical memory is the host's, not the guest's RAM: untouched. */
    assert_memory_equal(out + CPY_A_SIZE + CPY_B_SIZE,
                        buf + CPY_A_SIZE + CPY_B_SIZE, CPY_C_SIZE);
    free(buf);
    free(out);
    as_destroy(&as);
}

static void test_remove_unmaps_and_invalidates(void **state)
{
    (void)state;
    struct addrspace as;
    struct inval_log log = { 0 };
    init_s2(&as, 0);
    const struct as_arch_ops ops = { .invalidate = log_invalidate, .ctx = &log };
    as_set_arch_ops(&as, &ops);
    uint64_t free0 = free_pages();

    assert_int_equal(as_add_region(&as, RAM_GPA, MiB(6), PT_R | PT_W, AS_ALLOC, 0), 0);
    assert_int_equal(as_add_region(&as, GiB(8), MiB(2), PT_R | PT_W, AS_ALLOC, 0), 0);
    assert_int_equal(as_add_region(&as, DEV_GPA, KiB(4), PT_R | PT_DEVICE, AS_IDENTICAL, DEV_GPA), 0);
    assert_int_equal(as_add_region(&as, 0x08000000, MiB(1), PT_R | PT_W, AS_EMULATED, 0), 0);
    paddr_t hpa;
    assert_int_equal(as_translate(&as, RAM_GPA, &hpa, NULL), 0);
    assert_int_equal(log.calls, 0);

    assert_int_equal(as_remove_region(&as, RAM_GPA), 0);
    assert_true(log.calls >= 1);
    assert_int_equal(log.last_gpa, RAM_GPA);
    assert_int_equal(log.last_size, MiB(6));
    assert_false(frame_is_allocated(hpa));
    assert_int_equal(pt_query(&as.pt, RAM_GPA, NULL, NULL, NULL), -AX_ENOENT);
    assert_int_equal(as_translate(&as, RAM_GPA, NULL, NULL), -AX_EFAULT);
    assert_int_equal(as_stats_of(&as).ram_bytes, MiB(2));
    assert_int_equal(as_remove_region(&as, RAM_GPA), -AX_ENOENT);

    unsigned calls = log.calls;
    assert_int_equal(as_remove_region(&as, 0x08000000), 0); /* unmapped kind */
    assert_int_equal(log.calls, calls);
    assert_int_equal(as_remove_region(&as, DEV_GPA), 0);
    assert_int_equal(as_remove_region(&as, GiB(8)), 0);
    /* Empty tables went back too: only the root is left. */
    struct as_stats st = as_stats_of(&as);
    assert_int_equal(st.table_pages, 1);
    assert_int_equal(st.regions, 0);
    assert_int_equal(st.chunks, 0);
    assert_int_equal(free_pages(), free0);

    /* The same space takes new regions afterwards. */
    assert_int_equal(as_add_region(&as, RAM_GPA, MiB(2), PT_R | PT_W, AS_ALLOC, 0), 0);
    calls = log.calls;
    as_destroy(&as);
    assert_int_equal(log.calls, calls + 1); /* whole-space flush */
    assert_int_equal(free_pages(), free0 + 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_init_and_destroy, reset),
        cmocka_unit_test_setup(test_destroy_cycles_return_everything, reset),
        cmocka_unit_test_setup(test_region_validation, reset),
        cmocka_unit_test_setup(test_region_capacity, reset),
        cmocka_unit_test_setup(test_alloc_uses_2m_blocks, reset),
        cmocka_unit_test_setup(test_alloc_follows_gpa_alignment, reset),
        cmocka_unit_test_setup(test_identical_device_mapping, reset),
        cmocka_unit_test_setup(test_reserved_and_emulated_unmapped, reset),
        cmocka_unit_test_setup(test_fragmented_allocator, reset),
        cmocka_unit_test_setup(test_enomem_rollback, reset),
        cmocka_unit_test_setup(test_copy_across_boundaries, reset),
        cmocka_unit_test_setup(test_copy_efault, reset),
        cmocka_unit_test_setup(test_translate_contig, reset),
        cmocka_unit_test_setup(test_reset_ram_zeroes, reset),
        cmocka_unit_test_setup(test_remove_unmaps_and_invalidates, reset),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
