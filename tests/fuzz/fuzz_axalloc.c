/* Fuzzer for the frame allocator and heap.
 *
 * The input describes up to three RAM ranges with unaligned edges inside a
 * 4 MiB buffer, a few reservations, then a sequence of operations: frame
 * allocs/frees of various orders and run lengths, kmalloc/kfree/krealloc of
 * various sizes, deliberately bad frees, late reservations and self-tests.
 * A shadow model tracks who owns every page; after each operation the
 * allocator must agree with it (no overlap, nothing handed out from reserved
 * or unmanaged memory, counters exact, contents intact, internal checks
 * passing). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ax/heap.h"

#define BUF_PAGES 1024
#define BUF_BYTES (BUF_PAGES * FRAME_SIZE)
#define MAX_RECS 128

enum page_use { PG_FREE, PG_FRAME, PG_LARGE, PG_SLAB };

struct frame_rec {
    paddr_t pa;
    size_t pages;
    int order; /* >= 0: frame_alloc(order); -1: frame_alloc_pages(pages) */
};

struct heap_rec {
    uint8_t *p;
    size_t size;
    size_t pages; /* large allocation: its frames; 0: a slab object */
    uint8_t seed;
};

static uint8_t *buf;
static uint8_t page_use[BUF_PAGES];
static uint16_t slab_refs[BUF_PAGES];
static bool in_range[BUF_PAGES], reserved[BUF_PAGES];
static struct frame_rec frames[MAX_RECS];
static struct heap_rec objs[MAX_RECS];
static unsigned nframes, nobjs, nresv_ok;
static uint64_t model_frame_pages, model_heap_pages;

struct input {
    const uint8_t *d;
    size_t n, pos;
};

static uint8_t next(struct input *in)
{
    return in->pos < in->n ? in->d[in->pos++] : 0;
}

static uint16_t next16(struct input *in)
{
    return (uint16_t)(next(in) | (next(in) << 8));
}

static void die(void)
{
    abort();
}

#define CHECK(c) \
    do {         \
        if (!(c)) \
            die(); \
    } while (0)

static uint64_t pidx(const void *p)
{
    return ((uintptr_t)p - (uintptr_t)buf) / FRAME_SIZE;
}

static bool in_buf(const void *p, size_t len)
{
    uintptr_t a = (uintptr_t)p, b = (uintptr_t)buf;
    return a >= b && len <= BUF_BYTES && a - b <= BUF_BYTES - len;
}

/* ---- page ownership model --------------------------------------------- */

/* New pages handed out: each must be managed, unreserved and unowned. */
static void claim_pages(uint64_t first, size_t n, enum page_use use)
{
    CHECK(first + n <= BUF_PAGES);
    for (size_t i = first; i < first + n; i++) {
        CHECK(in_range[i] && !reserved[i] && page_use[i] == PG_FREE);
        page_use[i] = (uint8_t)use;
    }
}

static void release_pages(uint64_t first, size_t n)
{
    for (size_t i = first; i < first + n; i++)
        page_use[i] = PG_FREE;
}

static uint64_t pattern(uint64_t pa, size_t i)
{
    return pa * 0x9e3779b97f4a7c15ULL + i;
}

/* Stamp the first and last word of every page of a frame allocation. */
static void frame_stamp(paddr_t pa, size_t pages)
{
    for (size_t i = 0; i < pages; i++) {
        uint64_t *w = frame_ptr(pa + i * FRAME_SIZE);
        w[0] = pattern(pa, i);
        w[FRAME_SIZE / 8 - 1] = ~pattern(pa, i);
    }
}

static void frame_verify(paddr_t pa, size_t pages)
{
    for (size_t i = 0; i < pages; i++) {
        const uint64_t *w = frame_ptr(pa + i * FRAME_SIZE);
        CHECK(w[0] == pattern(pa, i) && w[FRAME_SIZE / 8 - 1] == ~pattern(pa, i));
    }
}

/* Object bytes are seed + 13*i. As 13 * 197 == 1 (mod 256), that equals
 * 13 * (i + 197*seed): a window into one precomputed table, so filling and
 * verifying are a memcpy and a memcmp. */
#define MAX_OBJ 30000
static uint8_t pat[256 + MAX_OBJ];
static const uint8_t zero_page[FRAME_SIZE];

static const uint8_t *pat_for(uint8_t seed)
{
    return pat + (uint8_t)(seed * 197);
}

static void heap_fill(struct heap_rec *o)
{
    memcpy(o->p, pat_for(o->seed), o->size);
}

static void heap_verify(const struct heap_rec *o, size_t n)
{
    CHECK(memcmp(o->p, pat_for(o->seed), n) == 0);
}

/* Frames a fresh allocation of `size` takes if it is large (0 if it comes
 * from a slab). Large allocations start 16 bytes into their first page. */
static size_t large_pages(size_t size)
{
    return size > HEAP_SLAB_MAX ? (size + 16 + FRAME_SIZE - 1) / FRAME_SIZE : 0;
}

static void heap_model_add(struct heap_rec *o)
{
    CHECK(((uintptr_t)o->p & 15) == 0 && in_buf(o->p, MAX(o->size, 1)));
    CHECK(kmalloc_usable_size(o->p) >= o->size);
    for (unsigned i = 0; i < nobjs; i++) {
        const struct heap_rec *q = &objs[i];
        if (q == o)
            continue;
        CHECK(o->p + MAX(o->size, 1) <= q->p || q->p + MAX(q->size, 1) <= o->p);
    }
    if (o->pages) {
        CHECK(((uintptr_t)o->p & (FRAME_SIZE - 1)) == 16);
        claim_pages(pidx(o->p), o->pages, PG_LARGE);
        model_heap_pages += o->pages;
    } else {
        uint64_t pg = pidx(o->p);
        if (slab_refs[pg] == 0) {
            claim_pages(pg, 1, PG_SLAB);
            model_heap_pages++;
        }
        CHECK(page_use[pg] == PG_SLAB);
        slab_refs[pg]++;
    }
}

static void heap_model_remove(const struct heap_rec *o)
{
    if (o->pages) {
        release_pages(pidx(o->p), o->pages);
        model_heap_pages -= o->pages;
    } else {
        uint64_t pg = pidx(o->p);
        if (--slab_refs[pg] == 0) {
            release_pages(pg, 1);
            model_heap_pages--;
        }
    }
}

/* ---- operations ------------------------------------------------------- */

static void op_frame_alloc(uint8_t a, uint8_t b)
{
    if (nframes == MAX_RECS)
        return;
    struct frame_rec r = {0};
    if (a & 1) {
        r.order = b % 7;
        r.pages = (size_t)1 << r.order;
        r.pa = (a & 2) ? frame_alloc_zeroed((unsigned)r.order) : frame_alloc((unsigned)r.order);
    } else {
        r.order = -1;
        r.pages = 1 + b % 40;
        r.pa = (a & 2) ? frame_alloc_pages_zeroed(r.pages) : frame_alloc_pages(r.pages);
    }
    if (r.pa == 0)
        return;
    int align = r.order >= 0 ? r.order : frame_order_of_pages(r.pages);
    CHECK(in_buf(frame_ptr(r.pa), r.pages * FRAME_SIZE));
    CHECK((r.pa & (((paddr_t)FRAME_SIZE << align) - 1)) == 0);
    if (a & 2) {
        for (size_t i = 0; i < r.pages; i++)
            CHECK(memcmp(frame_ptr(r.pa + i * FRAME_SIZE), zero_page, FRAME_SIZE) == 0);
    }
    claim_pages(pidx(frame_ptr(r.pa)), r.pages, PG_FRAME);
    model_frame_pages += r.pages;
    frame_stamp(r.pa, r.pages);
    frames[nframes++] = r;
}

static int frame_release(const struct frame_rec *r)
{
    return r->order >= 0 ? frame_free(r->pa, (unsigned)r->order)
                         : frame_free_pages(r->pa, r->pages);
}

static void op_frame_free(uint8_t a, uint8_t b)
{
    if (nframes == 0)
        return;
    unsigned i = a % nframes;
    struct frame_rec r = frames[i];
    frame_verify(r.pa, r.pages);
    CHECK(frame_release(&r) == 0);
    release_pages(pidx(frame_ptr(r.pa)), r.pages);
    model_frame_pages -= r.pages;
    frames[i] = frames[--nframes];
    if (b & 1)
        CHECK(frame_release(&r) < 0); /* double free */
}

/* Frees that must be refused without any effect. */
static void op_frame_bad_free(uint8_t a, uint8_t b)
{
    if (nframes == 0)
        return;
    const struct frame_rec *r = &frames[a % nframes];
    struct frame_stats before, after;
    frame_stats(&before);
    switch (b % 4) {
    case 0:
        CHECK(frame_free(r->pa + 8, 0) < 0);
        break;
    case 1:
        if (r->order >= 0)
            CHECK(frame_free(r->pa, (unsigned)r->order + 1) < 0);
        break;
    case 2:
        if (r->order > 0)
            CHECK(frame_free(r->pa, (unsigned)r->order - 1) < 0);
        break;
    case 3:
        if (r->order > 0)
            CHECK(frame_free(r->pa + FRAME_SIZE * (1 + b % (r->pages - 1)), 0) < 0);
        break;
    }
    frame_stats(&after);
    CHECK(after.used_pages == before.used_pages && after.free_pages == before.free_pages);
}

static size_t pick_size(uint8_t a, uint8_t b)
{
    switch (a % 4) {
    case 0:
        return b % 64;
    case 1:
        return b * 8u;
    case 2:
        return 1900 + b;
    default:
        return (size_t)b * 97;
    }
}

static void op_kmalloc(uint8_t a, uint8_t b)
{
    if (nobjs == MAX_RECS)
        return;
    struct heap_rec o = {.size = pick_size(a, b), .seed = b};
    o.pages = large_pages(o.size);
    o.p = (a & 4) ? kzalloc(o.size) : kmalloc(o.size);
    if (o.p == NULL)
        return;
    if (a & 4) {
        for (size_t i = 0; i < o.size; i += FRAME_SIZE)
            CHECK(memcmp(o.p + i, zero_page, MIN(FRAME_SIZE, o.size - i)) == 0);
    }
    objs[nobjs] = o;
    heap_model_add(&objs[nobjs]);
    heap_fill(&objs[nobjs]);
    nobjs++;
}

static void op_kfree(uint8_t a, uint8_t b)
{
    if (nobjs == 0)
        return;
    unsigned i = a % nobjs;
    struct heap_rec o = objs[i];
    heap_verify(&o, o.size);
    CHECK(heap_free(o.p) == 0);
    heap_model_remove(&o);
    objs[i] = objs[--nobjs];
    if (b & 1)
        CHECK(heap_free(o.p) == -AX_EINVAL); /* double free */
}

static void op_krealloc(uint8_t a, uint8_t b)
{
    if (nobjs == 0)
        return;
    unsigned i = a % nobjs;
    struct heap_rec *o = &objs[i];
    size_t ns = pick_size(b, a);
    heap_verify(o, o->size);
    uint8_t *np = krealloc(o->p, ns);
    if (ns == 0) {
        CHECK(np == NULL);
        heap_model_remove(o);
        *o = objs[--nobjs];
        return;
    }
    if (np == NULL) {
        heap_verify(o, o->size); /* the old block survives a failure */
        return;
    }
    struct heap_rec n = {.p = np, .size = ns, .seed = o->seed, .pages = large_pages(ns)};
    heap_verify(&n, MIN(ns, o->size));
    if (np == o->p) {
        /* Grown or shrunk in place: same block, same frames. */
        CHECK(kmalloc_usable_size(np) >= ns);
        n.pages = o->pages;
        *o = n;
    } else {
        heap_model_remove(o);
        *o = n;
        heap_model_add(o);
    }
    heap_fill(o);
}

static void op_heap_bad_free(uint8_t a, uint8_t b)
{
    if (nobjs == 0)
        return;
    const struct heap_rec *o = &objs[a % nobjs];
    struct heap_stats before, after;
    heap_stats(&before);
    size_t off = (b % 2) ? 1 + b % 15 : 16 * (1 + b % 8);
    if (off < MAX(o->size, 1) || (b % 2))
        CHECK(heap_free(o->p + off) == -AX_EINVAL);
    heap_stats(&after);
    CHECK(after.live_allocs == before.live_allocs && after.in_use_bytes == before.in_use_bytes);
    heap_verify(o, o->size);
}

/* A late reservation is refused exactly when it covers an owned page. */
static void op_reserve(uint8_t a, uint8_t b)
{
    uint64_t first = (uint64_t)a * 4 + b % 4;
    uint64_t bytes = 1 + (uint64_t)b * 211;
    if (first >= BUF_PAGES)
        return;
    uint64_t off = first * FRAME_SIZE + (b & 0xf0);
    uint64_t last = MIN((off + bytes - 1) / FRAME_SIZE, BUF_PAGES - 1);
    bool busy = false;
    for (uint64_t p = off / FRAME_SIZE; p <= last; p++)
        busy |= in_range[p] && page_use[p] != PG_FREE;
    int rc = frame_reserve((paddr_t)(uintptr_t)(buf + off), bytes);
    if (rc == -AX_ENOSPC) {
        CHECK(nresv_ok == FRAME_MAX_RESERVED);
        return;
    }
    CHECK(rc == (busy ? -AX_EBUSY : 0));
    if (rc == 0) {
        nresv_ok++;
        for (uint64_t p = off / FRAME_SIZE; p <= last; p++)
            reserved[p] = true;
    }
}

static bool selftest_done;

/* Costly (it fills ~300 KiB), so at most once per input. */
static void op_selftest(void)
{
    if (selftest_done)
        return;
    selftest_done = true;
    struct frame_stats st;
    frame_stats(&st);
    if (st.free_pages >= 128)
        CHECK(axalloc_selftest() == 0);
}

static void check_all(void)
{
    struct frame_stats fs;
    struct heap_stats hs;
    frame_stats(&fs);
    heap_stats(&hs);
    CHECK(fs.used_pages == model_frame_pages + model_heap_pages);
    CHECK(hs.live_allocs == nobjs);
    CHECK(hs.reserved_bytes == model_heap_pages * FRAME_SIZE);
    CHECK(frame_check() == 0);
    CHECK(heap_check() == 0);
}

/* ---- setup ------------------------------------------------------------ */

static void setup(struct input *in)
{
    memset(page_use, 0, sizeof(page_use));
    memset(slab_refs, 0, sizeof(slab_refs));
    memset(in_range, 0, sizeof(in_range));
    memset(reserved, 0, sizeof(reserved));
    nframes = nobjs = nresv_ok = 0;
    selftest_done = false;
    model_frame_pages = model_heap_pages = 0;
    frame_init();
    heap_init();

    /* Up to three ranges, one per 340-page slot, with unaligned edges. */
    unsigned nr = 1 + next(in) % 3;
    for (unsigned i = 0; i < nr; i++) {
        uint64_t slot = i * 340;
        uint64_t start = slot * FRAME_SIZE + next(in) % 32 * FRAME_SIZE + next(in) % 2 * 100;
        uint64_t size = (1 + next16(in) % 300) * FRAME_SIZE - next(in) % 2 * 50;
        uint64_t first = (start + FRAME_SIZE - 1) / FRAME_SIZE, end = (start + size) / FRAME_SIZE;
        int rc = frame_add_range((paddr_t)(uintptr_t)(buf + start), size);
        CHECK(rc == (first < end ? 0 : -AX_EINVAL));
        for (uint64_t p = first; p < end; p++)
            in_range[p] = true;
    }
    unsigned nres = next(in) % 5;
    for (unsigned i = 0; i < nres; i++) {
        uint64_t off = next16(in) % BUF_BYTES;
        uint64_t bytes = next16(in) % (64 * FRAME_SIZE);
        CHECK(frame_reserve((paddr_t)(uintptr_t)(buf + off), bytes) == 0);
        if (bytes) {
            nresv_ok++;
            for (uint64_t p = off / FRAME_SIZE;
                 p <= (off + bytes - 1) / FRAME_SIZE && p < BUF_PAGES; p++)
                reserved[p] = true;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (buf == NULL) {
        buf = aligned_alloc(BUF_BYTES, BUF_BYTES);
        if (buf == NULL)
            return 0;
        for (size_t i = 0; i < sizeof(pat); i++)
            pat[i] = (uint8_t)(i * 13);
    }
    struct input in = {data, size, 0};
    setup(&in);
    struct frame_stats st0;
    frame_stats(&st0);
    CHECK(frame_check() == 0);
    unsigned late_resv = 0;

    for (unsigned step = 0; in.pos < in.n && step < 2000; step++) {
        uint8_t op = next(&in), a = next(&in), b = next(&in);
        switch (op % 10) {
        case 0: case 1: op_frame_alloc(a, b); break;
        case 2: op_frame_free(a, b); break;
        case 3: op_frame_bad_free(a, b); break;
        case 4: case 5: op_kmalloc(a, b); break;
        case 6: op_kfree(a, b); break;
        case 7: op_krealloc(a, b); break;
        case 8: op_heap_bad_free(a, b); break;
        default:
            if (b & 0x80) {
                op_selftest();
            } else {
                op_reserve(a, b);
                late_resv++;
            }
            break;
        }
        check_all();
    }

    while (nobjs > 0)
        op_kfree(0, 0);
    while (nframes > 0)
        op_frame_free(0, 0);
    check_all();
    struct frame_stats st1;
    frame_stats(&st1);
    CHECK(st1.used_pages == 0);
    if (late_resv == 0) {
        /* Everything merged back into exactly the blocks it started as. */
        CHECK(st1.free_pages == st0.free_pages);
        CHECK(memcmp(st1.free_blocks, st0.free_blocks, sizeof(st0.free_blocks)) == 0);
    }
    return 0;
}
