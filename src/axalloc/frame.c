/* Buddy allocator of 4 KiB frames over several disjoint physical ranges.
 *
 * State per range: for each order k, one bit per aligned 2^k-page slot saying
 * "a free block starts here" and one saying "an allocated block starts here".
 * The bitmaps are the truth; the per-order free lists (links stored inside
 * the free blocks) only make allocation O(1). Because a stray write into a
 * free block can damage a link, every unlink checks its neighbours against
 * the bitmaps and, on a mismatch, the lists are rebuilt from the bitmaps.
 *
 * Pages inside a range that are covered by no block are reserved: either by
 * frame_reserve() or because they hold the bitmaps ("carves"). */
#include "ax/frame.h"
#include "ax/spinlock.h"
#include "ax/string.h"

#define NODE_MAGIC 0x6672616d65667265ULL /* "framefre" */

enum range_state { RANGE_PENDING, RANGE_LIVE, RANGE_DROPPED };
enum block_kind { BLOCK_NONE, BLOCK_FREE, BLOCK_ALLOC };

struct frame_range {
    uint64_t base, end; /* pfns, [base, end) */
    uint64_t *bits;
    uint64_t words;     /* bitmap size in 64-bit words */
    uint64_t free_off[FRAME_ORDERS];
    uint64_t alloc_off[FRAME_ORDERS];
    enum range_state state;
};

struct pfn_span {
    uint64_t start, end;
};

/* Lives at the start of every free block. */
struct frame_node {
    struct frame_node *next, *prev;
    uint64_t magic;
};

static struct {
    spinlock_t lock;
    bool pending; /* some range awaits activation */
    unsigned nranges, nresv, ncarves;
    struct frame_range ranges[FRAME_MAX_RANGES];
    struct pfn_span resv[FRAME_MAX_RESERVED];
    struct pfn_span carves[FRAME_MAX_RANGES];
    struct frame_node *free_list[FRAME_ORDERS];
    uint64_t free_blocks[FRAME_ORDERS];
    uint64_t free_pages, used_pages;
    uint64_t bad_frees, corruptions;
} fa;

static inline uint64_t blk(unsigned k)
{
    return (uint64_t)1 << k;
}

static inline paddr_t pfn_pa(uint64_t pfn)
{
    return (paddr_t)pfn << FRAME_SHIFT;
}

static inline struct frame_node *pfn_node(uint64_t pfn)
{
    return (struct frame_node *)frame_ptr(pfn_pa(pfn));
}

/* ---- bitmaps ---------------------------------------------------------- */

static uint64_t range_slots(const struct frame_range *r, unsigned k)
{
    return ((r->end - 1) >> k) - (r->base >> k) + 1;
}

/* Assigns bitmap offsets; returns the number of words needed. */
static uint64_t range_layout(struct frame_range *r)
{
    uint64_t w = 0;
    for (unsigned k = 0; k < FRAME_ORDERS; k++) {
        r->free_off[k] = w;
        w += (range_slots(r, k) + 63) / 64;
    }
    for (unsigned k = 0; k < FRAME_ORDERS; k++) {
        r->alloc_off[k] = w;
        w += (range_slots(r, k) + 63) / 64;
    }
    r->words = w;
    return w;
}

static inline uint64_t slot_of(const struct frame_range *r, uint64_t pfn, unsigned k)
{
    return (pfn >> k) - (r->base >> k);
}

static bool bit_get(const struct frame_range *r, uint64_t off, uint64_t slot)
{
    return (r->bits[off + slot / 64] >> (slot % 64)) & 1;
}

static void bit_put(struct frame_range *r, uint64_t off, uint64_t slot, bool on)
{
    uint64_t m = (uint64_t)1 << (slot % 64);
    if (on)
        r->bits[off + slot / 64] |= m;
    else
        r->bits[off + slot / 64] &= ~m;
}

static bool is_free(const struct frame_range *r, uint64_t pfn, unsigned k)
{
    return bit_get(r, r->free_off[k], slot_of(r, pfn, k));
}

static bool is_alloc(const struct frame_range *r, uint64_t pfn, unsigned k)
{
    return bit_get(r, r->alloc_off[k], slot_of(r, pfn, k));
}

static bool block_fits(const struct frame_range *r, uint64_t pfn, unsigned k)
{
    return (pfn & (blk(k) - 1)) == 0 && pfn >= r->base && pfn < r->end &&
           blk(k) <= r->end - pfn;
}

/* The live range that can hold an order-k block at pfn, or NULL. */
static struct frame_range *range_find(uint64_t pfn, unsigned k)
{
    for (unsigned i = 0; i < fa.nranges; i++) {
        struct frame_range *r = &fa.ranges[i];
        if (r->state == RANGE_LIVE && block_fits(r, pfn, k))
            return r;
    }
    return NULL;
}

/* Which block covers pfn, if any. */
static enum block_kind block_at(const struct frame_range *r, uint64_t pfn,
                                uint64_t *head, unsigned *order)
{
    for (unsigned k = 0; k < FRAME_ORDERS; k++) {
        uint64_t h = pfn & ~(blk(k) - 1);
        if (!block_fits(r, h, k))
            break; /* larger blocks only stick out further */
        if (is_free(r, h, k) || is_alloc(r, h, k)) {
            *head = h;
            *order = k;
            return is_free(r, h, k) ? BLOCK_FREE : BLOCK_ALLOC;
        }
    }
    return BLOCK_NONE;
}

static void alloc_mark(struct frame_range *r, uint64_t pfn, unsigned k, bool on)
{
    bit_put(r, r->alloc_off[k], slot_of(r, pfn, k), on);
    if (on)
        fa.used_pages += blk(k);
    else
        fa.used_pages -= blk(k);
}

/* ---- free lists ------------------------------------------------------- */

static void list_push(unsigned k, uint64_t pfn)
{
    struct frame_node *n = pfn_node(pfn);
    n->magic = NODE_MAGIC ^ pfn;
    n->prev = NULL;
    n->next = fa.free_list[k];
    if (n->next)
        n->next->prev = n;
    fa.free_list[k] = n;
    fa.free_blocks[k]++;
}

/* Whether p points at an order-k block the bitmaps call free; only such
 * pointers are ever dereferenced. */
static bool node_is_free_block(const struct frame_node *p, unsigned k)
{
    paddr_t pa = frame_paddr(p);
    if (pa & (FRAME_SIZE - 1))
        return false;
    uint64_t pfn = pa >> FRAME_SHIFT;
    struct frame_range *r = range_find(pfn, k);
    return r && is_free(r, pfn, k);
}

static bool node_links_ok(const struct frame_node *n, unsigned k)
{
    uint64_t pfn = frame_paddr(n) >> FRAME_SHIFT;
    if (n->magic != (NODE_MAGIC ^ pfn))
        return false;
    if (n->prev == NULL) {
        if (fa.free_list[k] != n)
            return false;
    } else if (!node_is_free_block(n->prev, k) || n->prev->next != n) {
        return false;
    }
    if (n->next && (!node_is_free_block(n->next, k) || n->next->prev != n))
        return false;
    return true;
}

/* Recreate every free list from the free bitmaps. */
static void lists_rebuild(void)
{
    for (unsigned k = 0; k < FRAME_ORDERS; k++) {
        fa.free_list[k] = NULL;
        fa.free_blocks[k] = 0;
    }
    for (unsigned i = 0; i < fa.nranges; i++) {
        struct frame_range *r = &fa.ranges[i];
        if (r->state != RANGE_LIVE)
            continue;
        for (unsigned k = 0; k < FRAME_ORDERS; k++) {
            uint64_t n = range_slots(r, k);
            for (uint64_t s = 0; s < n; s++) {
                if (bit_get(r, r->free_off[k], s))
                    list_push(k, ((r->base >> k) + s) << k);
            }
        }
    }
}

static void list_remove(unsigned k, struct frame_node *n)
{
    if (!node_links_ok(n, k)) {
        fa.corruptions++;
        lists_rebuild();
    }
    if (n->prev)
        n->prev->next = n->next;
    else
        fa.free_list[k] = n->next;
    if (n->next)
        n->next->prev = n->prev;
    fa.free_blocks[k]--;
}

/* The block becomes free as is, without merging. */
static void free_add(struct frame_range *r, uint64_t pfn, unsigned k)
{
    bit_put(r, r->free_off[k], slot_of(r, pfn, k), true);
    list_push(k, pfn);
    fa.free_pages += blk(k);
}

/* A free block leaves the pool. */
static void free_take(struct frame_range *r, uint64_t pfn, unsigned k)
{
    list_remove(k, pfn_node(pfn));
    bit_put(r, r->free_off[k], slot_of(r, pfn, k), false);
    fa.free_pages -= blk(k);
}

/* The block becomes free, merging with free buddies as far as possible. */
static void block_release(struct frame_range *r, uint64_t pfn, unsigned k)
{
    while (k < FRAME_MAX_ORDER) {
        uint64_t buddy = pfn ^ blk(k);
        if (!block_fits(r, buddy, k) || !is_free(r, buddy, k))
            break;
        free_take(r, buddy, k);
        pfn &= ~blk(k);
        k++;
    }
    free_add(r, pfn, k);
}

/* Take any free block of at least order `order`, split down to exactly it.
 * Returns its pfn (not yet marked allocated) or 0. */
static uint64_t block_take(unsigned order, struct frame_range **rout)
{
    for (unsigned k = order; k < FRAME_ORDERS; k++) {
        struct frame_node *n = fa.free_list[k];
        if (n == NULL)
            continue;
        if (!node_is_free_block(n, k)) {
            fa.corruptions++;
            lists_rebuild();
            n = fa.free_list[k];
            if (n == NULL)
                continue;
        }
        uint64_t pfn = frame_paddr(n) >> FRAME_SHIFT;
        struct frame_range *r = range_find(pfn, k);
        free_take(r, pfn, k);
        while (k > order) {
            k--;
            free_add(r, pfn + blk(k), k);
        }
        *rout = r;
        return pfn;
    }
    return 0;
}

/* ---- ranges, reservations, activation --------------------------------- */

static unsigned span_count(void)
{
    return fa.nresv + fa.ncarves;
}

static const struct pfn_span *span_get(unsigned i)
{
    return i < fa.nresv ? &fa.resv[i] : &fa.carves[i - fa.nresv];
}

/* First pfn >= p not inside any reservation or carve. */
static uint64_t skip_reserved(uint64_t p)
{
    unsigned n = span_count();
    for (unsigned pass = 0; pass <= n; pass++) {
        bool moved = false;
        for (unsigned i = 0; i < n; i++) {
            const struct pfn_span *s = span_get(i);
            if (s->start <= p && p < s->end) {
                p = s->end;
                moved = true;
            }
        }
        if (!moved)
            break;
    }
    return p;
}

/* Start of the first reservation or carve after p, capped at hi. */
static uint64_t next_reserved(uint64_t p, uint64_t hi)
{
    for (unsigned i = 0; i < span_count(); i++) {
        const struct pfn_span *s = span_get(i);
        if (s->start > p && s->start < hi)
            hi = s->start;
    }
    return hi;
}

/* First run of `pages` unreserved pfns in [lo, hi), or 0. Each step jumps
 * past one span, so it ends after at most span_count()+1 steps. */
static uint64_t find_run(uint64_t lo, uint64_t hi, uint64_t pages)
{
    uint64_t cand = lo;
    for (unsigned step = 0; step <= span_count(); step++) {
        if (cand >= hi || pages > hi - cand)
            return 0;
        bool hit = false;
        for (unsigned i = 0; i < span_count(); i++) {
            const struct pfn_span *s = span_get(i);
            if (s->start < cand + pages && cand < s->end) {
                cand = s->end;
                hit = true;
                break;
            }
        }
        if (!hit)
            return cand;
    }
    return 0;
}

/* Hand [p, q) to the pool as the largest aligned blocks that fit. They are
 * never buddies of each other, so no merging is needed. */
static void populate_run(struct frame_range *r, uint64_t p, uint64_t q)
{
    while (p < q) {
        unsigned k = 0;
        while (k < FRAME_MAX_ORDER && (p & blk(k)) == 0 && blk(k + 1) <= q - p)
            k++;
        free_add(r, p, k);
        p += blk(k);
    }
}

static void range_populate(struct frame_range *r)
{
    uint64_t p = r->base;
    while (p < r->end) {
        p = skip_reserved(p);
        if (p >= r->end)
            break;
        uint64_t q = next_reserved(p, r->end);
        populate_run(r, p, q);
        p = q;
    }
}

static uint64_t words_to_pages(uint64_t words)
{
    return (words * sizeof(uint64_t) + FRAME_SIZE - 1) / FRAME_SIZE;
}

static void carve_add(uint64_t pfn, uint64_t pages)
{
    fa.carves[fa.ncarves].start = pfn;
    fa.carves[fa.ncarves].end = pfn + pages;
    fa.ncarves++;
    memset(frame_ptr(pfn_pa(pfn)), 0, pages * FRAME_SIZE);
}

/* Try to place the bitmaps of all pending ranges in one carve. */
static bool carve_shared(void)
{
    uint64_t words = 0;
    for (unsigned i = 0; i < fa.nranges; i++) {
        if (fa.ranges[i].state == RANGE_PENDING)
            words += fa.ranges[i].words;
    }
    uint64_t pages = words_to_pages(words);
    for (unsigned i = 0; i < fa.nranges; i++) {
        struct frame_range *r = &fa.ranges[i];
        if (r->state != RANGE_PENDING)
            continue;
        uint64_t at = find_run(r->base, r->end, pages);
        if (at == 0)
            continue;
        carve_add(at, pages);
        uint64_t *bits = frame_ptr(pfn_pa(at));
        for (unsigned j = 0; j < fa.nranges; j++) {
            struct frame_range *q = &fa.ranges[j];
            if (q->state == RANGE_PENDING) {
                q->bits = bits;
                bits += q->words;
            }
        }
        return true;
    }
    return false;
}

/* Fallback: each pending range holds its own bitmaps or is dropped. */
static void carve_each(void)
{
    for (unsigned i = 0; i < fa.nranges; i++) {
        struct frame_range *r = &fa.ranges[i];
        if (r->state != RANGE_PENDING)
            continue;
        uint64_t pages = words_to_pages(r->words);
        uint64_t at = find_run(r->base, r->end, pages);
        if (at == 0) {
            r->state = RANGE_DROPPED;
            continue;
        }
        carve_add(at, pages);
        r->bits = frame_ptr(pfn_pa(at));
    }
}

/* Place metadata and build free lists for ranges added since last time.
 * Runs lazily so that reservations made after frame_add_range() are known. */
static void activate(void)
{
    if (!fa.pending)
        return;
    fa.pending = false;
    if (!carve_shared())
        carve_each();
    for (unsigned i = 0; i < fa.nranges; i++) {
        struct frame_range *r = &fa.ranges[i];
        if (r->state == RANGE_PENDING) {
            r->state = RANGE_LIVE;
            range_populate(r);
        }
    }
}

void frame_init(void)
{
    memset(&fa, 0, sizeof(fa));
}

int frame_add_range(paddr_t base, uint64_t size)
{
    if (size == 0 || base > UINT64_MAX - size)
        return -AX_EINVAL;
    uint64_t spfn = (base >> FRAME_SHIFT) + ((base & (FRAME_SIZE - 1)) != 0);
    uint64_t epfn = (base + size) >> FRAME_SHIFT;
    if (spfn == 0)
        spfn = 1; /* pa 0 means "no memory" */
    if (spfn >= epfn)
        return -AX_EINVAL;

    unsigned long flags = spin_lock_irqsave(&fa.lock);
    int rc = 0;
    for (unsigned i = 0; i < fa.nranges && rc == 0; i++) {
        if (spfn < fa.ranges[i].end && fa.ranges[i].base < epfn)
            rc = -AX_EEXIST;
    }
    if (rc == 0 && fa.nranges == FRAME_MAX_RANGES)
        rc = -AX_ENOSPC;
    if (rc == 0) {
        struct frame_range *r = &fa.ranges[fa.nranges++];
        memset(r, 0, sizeof(*r));
        r->base = spfn;
        r->end = epfn;
        r->state = RANGE_PENDING;
        range_layout(r);
        fa.pending = true;
    }
    spin_unlock_irqrestore(&fa.lock, flags);
    return rc;
}

/* Is any page of [lo, hi) in r allocated? */
static bool range_busy(const struct frame_range *r, uint64_t lo, uint64_t hi)
{
    uint64_t p = lo;
    while (p < hi) {
        uint64_t h;
        unsigned k;
        enum block_kind kind = block_at(r, p, &h, &k);
        if (kind == BLOCK_ALLOC)
            return true;
        if (kind == BLOCK_FREE)
            p = h + blk(k);
        else
            p = MAX(p + 1, skip_reserved(p));
    }
    return false;
}

/* Take the free pages of [lo, hi) in r out of the pool, splitting blocks
 * that stick out of the interval. */
static void range_claim(struct frame_range *r, uint64_t lo, uint64_t hi)
{
    uint64_t p = lo;
    while (p < hi) {
        uint64_t h;
        unsigned k;
        enum block_kind kind = block_at(r, p, &h, &k);
        if (kind != BLOCK_FREE) {
            p = MAX(p + 1, skip_reserved(p));
            continue;
        }
        free_take(r, h, k);
        while (h < lo || h + blk(k) > hi) {
            k--;
            uint64_t lower = h, upper = h + blk(k);
            if (p >= upper) {
                free_add(r, lower, k);
                h = upper;
            } else {
                free_add(r, upper, k);
            }
        }
        p = h + blk(k);
    }
}

int frame_reserve(paddr_t base, uint64_t size)
{
    if (size == 0)
        return 0;
    uint64_t end = size > UINT64_MAX - base ? UINT64_MAX : base + size;
    uint64_t spfn = base >> FRAME_SHIFT;
    uint64_t epfn = (end >> FRAME_SHIFT) + ((end & (FRAME_SIZE - 1)) != 0);

    unsigned long flags = spin_lock_irqsave(&fa.lock);
    int rc = 0;
    if (fa.nresv == FRAME_MAX_RESERVED)
        rc = -AX_ENOSPC;
    for (unsigned i = 0; i < fa.nranges && rc == 0; i++) {
        struct frame_range *r = &fa.ranges[i];
        if (r->state == RANGE_LIVE &&
            range_busy(r, MAX(spfn, r->base), MIN(epfn, r->end)))
            rc = -AX_EBUSY;
    }
    if (rc == 0) {
        for (unsigned i = 0; i < fa.nranges; i++) {
            struct frame_range *r = &fa.ranges[i];
            if (r->state == RANGE_LIVE)
                range_claim(r, MAX(spfn, r->base), MIN(epfn, r->end));
        }
        fa.resv[fa.nresv].start = spfn;
        fa.resv[fa.nresv].end = epfn;
        fa.nresv++;
    }
    spin_unlock_irqrestore(&fa.lock, flags);
    return rc;
}

/* ---- allocation ------------------------------------------------------- */

int frame_order_of_pages(size_t n)
{
    if (n == 0)
        return -1;
    for (unsigned k = 0; k < FRAME_ORDERS; k++) {
        if (blk(k) >= n)
            return (int)k;
    }
    return -1;
}

paddr_t frame_alloc(unsigned order)
{
    if (order > FRAME_MAX_ORDER)
        return 0;
    unsigned long flags = spin_lock_irqsave(&fa.lock);
    activate();
    struct frame_range *r = NULL;
    uint64_t pfn = block_take(order, &r);
    if (pfn)
        alloc_mark(r, pfn, order, true);
    spin_unlock_irqrestore(&fa.lock, flags);
    return pfn_pa(pfn);
}

paddr_t frame_alloc_pages(size_t n)
{
    int order = frame_order_of_pages(n);
    if (order < 0)
        return 0;
    unsigned long flags = spin_lock_irqsave(&fa.lock);
    activate();
    struct frame_range *r = NULL;
    uint64_t pfn = block_take((unsigned)order, &r);
    if (pfn) {
        /* Keep n as its binary decomposition, largest block first: each piece
         * is then aligned to its size. */
        uint64_t off = 0;
        for (int k = order; k >= 0; k--) {
            if (n & blk((unsigned)k)) {
                alloc_mark(r, pfn + off, (unsigned)k, true);
                off += blk((unsigned)k);
            }
        }
        populate_run(r, pfn + off, pfn + blk((unsigned)order));
    }
    spin_unlock_irqrestore(&fa.lock, flags);
    return pfn_pa(pfn);
}

paddr_t frame_alloc_zeroed(unsigned order)
{
    paddr_t pa = frame_alloc(order);
    if (pa)
        memset(frame_ptr(pa), 0, blk(order) * FRAME_SIZE);
    return pa;
}

paddr_t frame_alloc_pages_zeroed(size_t n)
{
    paddr_t pa = frame_alloc_pages(n);
    if (pa)
        memset(frame_ptr(pa), 0, n * FRAME_SIZE);
    return pa;
}

/* Is [pfn, pfn+n) exactly the allocated blocks of n's binary decomposition? */
static bool run_is_allocated(uint64_t pfn, size_t n)
{
    uint64_t off = 0;
    for (int k = FRAME_MAX_ORDER; k >= 0; k--) {
        if (!(n & blk((unsigned)k)))
            continue;
        struct frame_range *r = range_find(pfn + off, (unsigned)k);
        if (r == NULL || !is_alloc(r, pfn + off, (unsigned)k))
            return false;
        off += blk((unsigned)k);
    }
    return true;
}

int frame_free_pages(paddr_t pa, size_t n)
{
    if (n == 0 || n > blk(FRAME_MAX_ORDER) || (pa & (FRAME_SIZE - 1))) {
        unsigned long flags = spin_lock_irqsave(&fa.lock);
        fa.bad_frees++;
        spin_unlock_irqrestore(&fa.lock, flags);
        return -AX_EINVAL;
    }
    uint64_t pfn = pa >> FRAME_SHIFT;
    unsigned long flags = spin_lock_irqsave(&fa.lock);
    activate();
    int rc = 0;
    if (!run_is_allocated(pfn, n)) {
        fa.bad_frees++;
        rc = -AX_ENOENT;
    } else {
        uint64_t off = 0;
        for (int k = FRAME_MAX_ORDER; k >= 0; k--) {
            if (!(n & blk((unsigned)k)))
                continue;
            struct frame_range *r = range_find(pfn + off, (unsigned)k);
            alloc_mark(r, pfn + off, (unsigned)k, false);
            block_release(r, pfn + off, (unsigned)k);
            off += blk((unsigned)k);
        }
    }
    spin_unlock_irqrestore(&fa.lock, flags);
    return rc;
}

int frame_free(paddr_t pa, unsigned order)
{
    if (order > FRAME_MAX_ORDER || (pa & ((blk(order) << FRAME_SHIFT) - 1))) {
        unsigned long flags = spin_lock_irqsave(&fa.lock);
        fa.bad_frees++;
        spin_unlock_irqrestore(&fa.lock, flags);
        return -AX_EINVAL;
    }
    return frame_free_pages(pa, (size_t)blk(order));
}

/* ---- introspection ---------------------------------------------------- */

bool frame_is_allocated(paddr_t pa)
{
    uint64_t pfn = pa >> FRAME_SHIFT;
    bool yes = false;
    unsigned long flags = spin_lock_irqsave(&fa.lock);
    activate();
    for (unsigned i = 0; i < fa.nranges; i++) {
        const struct frame_range *r = &fa.ranges[i];
        uint64_t h;
        unsigned k;
        if (r->state == RANGE_LIVE && pfn >= r->base && pfn < r->end)
            yes = block_at(r, pfn, &h, &k) == BLOCK_ALLOC;
    }
    spin_unlock_irqrestore(&fa.lock, flags);
    return yes;
}

void frame_stats(struct frame_stats *st)
{
    unsigned long flags = spin_lock_irqsave(&fa.lock);
    activate();
    memset(st, 0, sizeof(*st));
    uint64_t span = 0;
    for (unsigned i = 0; i < fa.nranges; i++) {
        const struct frame_range *r = &fa.ranges[i];
        if (r->state == RANGE_LIVE)
            st->ranges++;
        else
            st->dropped_ranges++;
        span += r->end - r->base;
    }
    for (unsigned i = 0; i < fa.ncarves; i++)
        st->meta_bytes += (fa.carves[i].end - fa.carves[i].start) * FRAME_SIZE;
    st->free_pages = fa.free_pages;
    st->used_pages = fa.used_pages;
    st->total_pages = fa.free_pages + fa.used_pages;
    st->reserved_pages = span - st->total_pages;
    st->bad_frees = fa.bad_frees;
    st->corruptions = fa.corruptions;
    for (unsigned k = 0; k < FRAME_ORDERS; k++)
        st->free_blocks[k] = fa.free_blocks[k];
    spin_unlock_irqrestore(&fa.lock, flags);
}

static int check_lists(void)
{
    for (unsigned k = 0; k < FRAME_ORDERS; k++) {
        uint64_t count = 0;
        for (struct frame_node *n = fa.free_list[k]; n; n = n->next) {
            if (count++ >= fa.free_blocks[k])
                return -AX_EFAULT; /* longer than counted, or a cycle */
            if (!node_is_free_block(n, k) || !node_links_ok(n, k))
                return -AX_EFAULT;
        }
        if (count != fa.free_blocks[k])
            return -AX_EFAULT;
    }
    return 0;
}

/* No slot that sticks out of the range may be marked. */
static bool edges_clean(const struct frame_range *r)
{
    for (unsigned k = 0; k < FRAME_ORDERS; k++) {
        uint64_t last = range_slots(r, k) - 1;
        uint64_t first_pfn = (r->base >> k) << k;
        uint64_t last_pfn = ((r->base >> k) + last) << k;
        if (!block_fits(r, first_pfn, k) &&
            (bit_get(r, r->free_off[k], 0) || bit_get(r, r->alloc_off[k], 0)))
            return false;
        if (!block_fits(r, last_pfn, k) &&
            (bit_get(r, r->free_off[k], last) || bit_get(r, r->alloc_off[k], last)))
            return false;
    }
    return true;
}

/* Is any bit of [s, s+n) set at word offset off? */
static bool bits_any(const struct frame_range *r, uint64_t off, uint64_t s, uint64_t n)
{
    while (n > 0) {
        uint64_t b = s % 64, take = MIN(n, 64 - b);
        uint64_t mask = (take == 64 ? ~(uint64_t)0 : (((uint64_t)1 << take) - 1)) << b;
        if (r->bits[off + s / 64] & mask)
            return true;
        s += take;
        n -= take;
    }
    return false;
}

/* Is the block (h, k) the only one covering its pages? */
static bool block_alone(const struct frame_range *r, uint64_t h, unsigned k)
{
    if (is_free(r, h, k) && is_alloc(r, h, k))
        return false;
    for (unsigned j = k + 1; j < FRAME_ORDERS; j++) {
        uint64_t up = h & ~(blk(j) - 1);
        if (!block_fits(r, up, j))
            break;
        if (is_free(r, up, j) || is_alloc(r, up, j))
            return false;
    }
    for (unsigned j = 0; j < k; j++) {
        uint64_t s = slot_of(r, h, j), n = blk(k - j);
        if (bits_any(r, r->free_off[j], s, n) || bits_any(r, r->alloc_off[j], s, n))
            return false;
    }
    return true;
}

/* Walk each range block by block: every page is covered by at most one
 * block, free buddies are merged, and totals match the counters. */
static int check_ranges(void)
{
    uint64_t free_pages = 0, used_pages = 0;
    uint64_t heads[FRAME_ORDERS] = {0};
    for (unsigned i = 0; i < fa.nranges; i++) {
        const struct frame_range *r = &fa.ranges[i];
        if (r->state != RANGE_LIVE)
            continue;
        if (!edges_clean(r))
            return -AX_EFAULT;
        uint64_t p = r->base;
        while (p < r->end) {
            uint64_t h;
            unsigned k;
            enum block_kind kind = block_at(r, p, &h, &k);
            if (kind == BLOCK_NONE) {
                p++;
                continue;
            }
            /* Blocks are visited in address order, so one that starts before
             * p overlaps a page already accounted for. */
            if (h != p || !block_alone(r, h, k))
                return -AX_EFAULT;
            if (kind == BLOCK_FREE) {
                uint64_t b = h ^ blk(k);
                if (k < FRAME_MAX_ORDER && block_fits(r, b, k) && is_free(r, b, k))
                    return -AX_EFAULT; /* unmerged buddies */
                heads[k]++;
                free_pages += blk(k);
            } else {
                used_pages += blk(k);
            }
            p = h + blk(k);
        }
    }
    if (free_pages != fa.free_pages || used_pages != fa.used_pages)
        return -AX_EFAULT;
    for (unsigned k = 0; k < FRAME_ORDERS; k++) {
        if (heads[k] != fa.free_blocks[k])
            return -AX_EFAULT;
    }
    return 0;
}

int frame_check(void)
{
    unsigned long flags = spin_lock_irqsave(&fa.lock);
    activate();
    int rc = check_lists();
    if (rc == 0)
        rc = check_ranges();
    spin_unlock_irqrestore(&fa.lock, flags);
    return rc;
}
