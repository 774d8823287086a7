/* Boot-time self-test of the live frame allocator and heap.
 *
 * Run it while nothing else allocates (e.g. on the boot CPU before the others
 * start): it checks that free counts return exactly to where they were. */
#include "ax/heap.h"
#include "ax/string.h"

#define ST_FRAMES 16
#define ST_SMALL 160 /* more than one slab of the 32-byte class holds */

static const uint8_t st_orders[] = {0, 1, 2, 3, 0, 4, 1, 5, 0, 2};
static const uint8_t st_runs[] = {3, 5, 7, 1, 6};
static const uint32_t st_sizes[] = {
    0, 1, 8, 16, 17, 31, 48, 100, 200, 256, 300, 500, 700, 1000, 1500,
    2016, 2017, 3000, 4080, 4081, 9000, 20000, 70000,
};

struct st_block {
    paddr_t pa;
    size_t pages; /* 0: slot unused */
    bool is_run;  /* from frame_alloc_pages (free with frame_free_pages) */
};

static uint64_t st_word(uint64_t seed, size_t i)
{
    return seed ^ ((uint64_t)i * 0x9e3779b97f4a7c15ULL);
}

static void st_fill(void *p, size_t bytes, uint64_t seed)
{
    uint64_t *w = p;
    for (size_t i = 0; i < bytes / 8; i++)
        w[i] = st_word(seed, i);
}

static bool st_intact(const void *p, size_t bytes, uint64_t seed)
{
    const uint64_t *w = p;
    for (size_t i = 0; i < bytes / 8; i++) {
        if (w[i] != st_word(seed, i))
            return false;
    }
    return true;
}

static void st_fill_bytes(uint8_t *p, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed + i * 7);
}

static bool st_bytes_intact(const uint8_t *p, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != (uint8_t)(seed + i * 7))
            return false;
    }
    return true;
}

static int st_release(struct st_block *b)
{
    int rc = b->is_run ? frame_free_pages(b->pa, b->pages)
                       : frame_free(b->pa, (unsigned)frame_order_of_pages(b->pages));
    b->pages = 0;
    return rc;
}

static int st_frames(void)
{
    struct st_block blk[ST_FRAMES];
    unsigned n = 0;
    int rc = 0;
    memset(blk, 0, sizeof(blk));

    for (unsigned i = 0; i < ARRAY_SIZE(st_orders) && n < ST_FRAMES; i++) {
        unsigned order = st_orders[i];
        paddr_t pa = frame_alloc(order);
        if (pa == 0) {
            if (order == 0)
                rc = -AX_ENOMEM; /* a page must always be available */
            continue; /* larger blocks may be fragmented away: not an error */
        }
        if (pa & (((paddr_t)FRAME_SIZE << order) - 1))
            rc = -AX_EFAULT;
        blk[n++] = (struct st_block){pa, (size_t)1 << order, false};
    }
    for (unsigned i = 0; i < ARRAY_SIZE(st_runs) && n < ST_FRAMES; i++) {
        paddr_t pa = frame_alloc_pages(st_runs[i]);
        if (pa)
            blk[n++] = (struct st_block){pa, st_runs[i], true};
    }
    paddr_t z = frame_alloc_zeroed(1);
    if (z) {
        const uint8_t *zp = frame_ptr(z);
        for (size_t i = 0; i < 2 * FRAME_SIZE; i++) {
            if (zp[i] != 0)
                rc = -AX_EFAULT;
        }
        if (frame_free(z, 1) != 0)
            rc = -AX_EFAULT;
    }

    for (unsigned i = 0; i < n; i++)
        st_fill(frame_ptr(blk[i].pa), blk[i].pages * FRAME_SIZE, blk[i].pa);
    /* Free every other block, then check the survivors were not touched. */
    for (unsigned i = 0; i < n; i += 2) {
        if (!st_intact(frame_ptr(blk[i].pa), blk[i].pages * FRAME_SIZE, blk[i].pa) ||
            st_release(&blk[i]) != 0)
            rc = -AX_EFAULT;
    }
    for (unsigned i = 1; i < n; i += 2) {
        if (!st_intact(frame_ptr(blk[i].pa), blk[i].pages * FRAME_SIZE, blk[i].pa) ||
            st_release(&blk[i]) != 0)
            rc = -AX_EFAULT;
    }
    return rc;
}

static int st_heap(void)
{
    void *big[ARRAY_SIZE(st_sizes)];
    void *small[ST_SMALL];
    int rc = 0;

    for (unsigned i = 0; i < ARRAY_SIZE(st_sizes); i++) {
        big[i] = kmalloc(st_sizes[i]);
        if (big[i] == NULL) {
            /* Only multi-page requests may fail, on fragmented memory. */
            if (st_sizes[i] <= FRAME_SIZE - HEAP_ALIGN)
                rc = -AX_ENOMEM;
        } else if (((uintptr_t)big[i] & (HEAP_ALIGN - 1)) ||
                   kmalloc_usable_size(big[i]) < st_sizes[i]) {
            rc = -AX_EFAULT;
        } else {
            st_fill_bytes(big[i], st_sizes[i], (uint8_t)i);
        }
    }
    for (unsigned i = 0; i < ST_SMALL; i++) {
        small[i] = kzalloc(24 + (i % 2) * 8);
        if (small[i] == NULL)
            rc = -AX_ENOMEM;
        else
            st_fill_bytes(small[i], 24, (uint8_t)(i * 3));
    }
    /* Grow a few: contents must move along. */
    for (unsigned i = 4; i < ARRAY_SIZE(st_sizes); i += 6) {
        if (big[i] == NULL)
            continue;
        void *n = krealloc(big[i], (size_t)st_sizes[i] * 3 + 40);
        if (n == NULL)
            continue; /* big[i] is still valid */
        big[i] = n;
    }
    for (unsigned i = 0; i < ST_SMALL; i += 2) {
        if (small[i] && !st_bytes_intact(small[i], 24, (uint8_t)(i * 3)))
            rc = -AX_EFAULT;
        kfree(small[i]);
    }
    for (unsigned i = 0; i < ARRAY_SIZE(st_sizes); i++) {
        if (big[i] && !st_bytes_intact(big[i], st_sizes[i], (uint8_t)i))
            rc = -AX_EFAULT;
        kfree(big[i]);
    }
    for (unsigned i = 1; i < ST_SMALL; i += 2) {
        if (small[i] && !st_bytes_intact(small[i], 24, (uint8_t)(i * 3)))
            rc = -AX_EFAULT;
        kfree(small[i]);
    }
    return rc;
}

int axalloc_selftest(void)
{
    struct frame_stats f0, f1;
    struct heap_stats h0, h1;
    frame_stats(&f0);
    heap_stats(&h0);

    int rc = st_frames();
    int rc2 = st_heap();
    if (rc == 0)
        rc = rc2;

    frame_stats(&f1);
    heap_stats(&h1);
    if (rc == 0 && (f1.free_pages != f0.free_pages || f1.used_pages != f0.used_pages ||
                    f1.bad_frees != f0.bad_frees || h1.live_allocs != h0.live_allocs ||
                    h1.in_use_bytes != h0.in_use_bytes ||
                    h1.reserved_bytes != h0.reserved_bytes || h1.bad_frees != h0.bad_frees))
        rc = -AX_EFAULT;
    if (rc == 0)
        rc = frame_check();
    if (rc == 0)
        rc = heap_check();
    return rc;
}
