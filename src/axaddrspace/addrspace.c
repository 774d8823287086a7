/* A guest's physical address space: regions over a stage-2 page table.
 * See ax/addrspace.h for the model; the notes here are about how. */
#include "ax/addrspace.h"
#include "ax/frame.h"
#include "ax/heap.h"
#include "ax/string.h"

/* One buddy block backing part of an AS_ALLOC region. The block's order
 * lives in the low bits of its (page-aligned) host address. */
struct as_chunk {
    uint64_t off;       /* offset of the block inside the region */
    uint64_t hpa_order; /* hpa | order */
};

/* Sized to stay within one heap slab class, so even a region made of tens
 * of thousands of 4 KiB blocks (a fragmented host) needs no large
 * contiguous heap allocation for its bookkeeping. */
#define AS_SEG_CHUNKS 125u
struct as_chunk_seg {
    struct as_chunk c[AS_SEG_CHUNKS];
};
_Static_assert(sizeof(struct as_chunk_seg) <= HEAP_SLAB_MAX,
               "a chunk segment must be a slab object");

#define AS_ORDER_MASK 0xFFFull

static uint64_t order_bytes(unsigned order)
{
    return (uint64_t)PAGE_SIZE << order;
}

static paddr_t chunk_hpa(const struct as_chunk *c)
{
    return c->hpa_order & ~AS_ORDER_MASK;
}

static unsigned chunk_order(const struct as_chunk *c)
{
    return (unsigned)(c->hpa_order & AS_ORDER_MASK);
}

static uint64_t chunk_size(const struct as_chunk *c)
{
    return order_bytes(chunk_order(c));
}

static uint64_t region_end(const struct as_region *r)
{
    return r->gpa + r->size;
}

static bool region_mapped(const struct as_region *r)
{
    return r->kind == AS_ALLOC || r->kind == AS_IDENTICAL;
}

/* Memory the hypervisor may read and write on the guest's behalf. */
static bool region_copyable(const struct as_region *r)
{
    return region_mapped(r) && !(r->flags & PT_DEVICE);
}

/* ---- walker hooks ------------------------------------------------------ */

static paddr_t as_pt_alloc(void *ctx)
{
    struct addrspace *as = ctx;
    paddr_t pa = frame_alloc(0);
    if (!pa)
        return PT_PADDR_NONE;
    as->table_pages++;
    return pa;
}

static void as_pt_free(void *ctx, paddr_t pa)
{
    struct addrspace *as = ctx;
    if (frame_free(pa, 0) == 0)
        as->table_pages--;
}

static void *as_pt_p2v(void *ctx, paddr_t pa)
{
    (void)ctx;
    return frame_ptr(pa);
}

static void as_pt_invalidate(void *ctx, vaddr_t va, uint64_t size)
{
    struct addrspace *as = ctx;
    if (as->ops.invalidate)
        as->ops.invalidate(as->ops.ctx, va, size);
}

static void as_pt_barrier(void *ctx)
{
    struct addrspace *as = ctx;
    if (as->ops.store_barrier)
        as->ops.store_barrier(as->ops.ctx);
}

/* ---- chunk lists ------------------------------------------------------- */

/* Chunk i lives in segment i / AS_SEG_CHUNKS: every segment but the last
 * is full. */
static int chunks_append(struct as_region *r, uint64_t off, paddr_t hpa,
                         unsigned order)
{
    uint64_t slot = r->nchunks % AS_SEG_CHUNKS;

    if (slot == 0) {
        if (r->nsegs == r->segs_cap) {
            uint32_t cap = r->segs_cap ? r->segs_cap * 2 : 4;
            struct as_chunk_seg **segs = krealloc(r->segs, cap * sizeof(*segs));
            if (!segs)
                return -AX_ENOMEM;
            r->segs = segs;
            r->segs_cap = cap;
        }
        struct as_chunk_seg *seg = kmalloc(sizeof(*seg));
        if (!seg)
            return -AX_ENOMEM;
        r->segs[r->nsegs++] = seg;
    }
    struct as_chunk *c = &r->segs[r->nsegs - 1]->c[slot];
    c->off = off;
    c->hpa_order = hpa | order;
    r->nchunks++;
    return 0;
}

/* Chunk i (< nchunks). */
static const struct as_chunk *chunk_at(const struct as_region *r, uint64_t i)
{
    return &r->segs[i / AS_SEG_CHUNKS]->c[i % AS_SEG_CHUNKS];
}

/* Frees the blocks and the list itself. */
static void chunks_free(struct as_region *r)
{
    for (uint64_t i = 0; i < r->nchunks; i++)
        frame_free(chunk_hpa(chunk_at(r, i)), chunk_order(chunk_at(r, i)));
    for (uint32_t s = 0; s < r->nsegs; s++)
        kfree(r->segs[s]);
    kfree(r->segs);
    r->segs = NULL;
    r->nsegs = r->segs_cap = 0;
    r->nchunks = 0;
}

/* The chunk holding region offset off (off < size; the chunks cover the
 * region in order): the last one starting at or below off. */
static const struct as_chunk *chunks_find(const struct as_region *r,
                                          uint64_t off)
{
    uint64_t lo = 0, hi = r->nchunks;
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (chunk_at(r, mid)->off <= off)
            lo = mid;
        else
            hi = mid;
    }
    return chunk_at(r, lo);
}

/* ---- backing memory ---------------------------------------------------- */

/* Largest block for the next piece: aligned like the guest address it
 * backs (so stage 2 can map it with a block of that size), no larger than
 * what is left, nor than the largest order known to be available. */
static unsigned backing_order(paddr_t gpa, uint64_t left, unsigned cap)
{
    unsigned order = cap;
    while (order > 0 &&
           (!IS_ALIGNED(gpa, order_bytes(order)) || left < order_bytes(order)))
        order--;
    return order;
}

/* Allocates the zeroed backing of r, all or nothing. */
static int backing_alloc(struct as_region *r)
{
    struct frame_stats fst;
    frame_stats(&fst);
    /* Hopeless sizes fail at once instead of draining the allocator. */
    if (r->size / PAGE_SIZE > fst.free_pages)
        return -AX_ENOMEM;

    unsigned cap = AS_CHUNK_MAX_ORDER;
    for (uint64_t off = 0; off < r->size;) {
        unsigned order = backing_order(r->gpa + off, r->size - off, cap);
        paddr_t pa = frame_alloc_zeroed(order);
        /* A failed order stays failed for this region: free blocks of it
         * would only appear through someone else's frees. */
        while (!pa && order > 0) {
            cap = --order;
            pa = frame_alloc_zeroed(order);
        }
        int err = pa ? chunks_append(r, off, pa, order) : -AX_ENOMEM;
        if (err) {
            if (pa)
                frame_free(pa, order);
            chunks_free(r);
            return err;
        }
        off += order_bytes(order);
    }
    return 0;
}

/* ---- mapping ----------------------------------------------------------- */

/* Maps an AS_ALLOC region. Physically contiguous neighbouring chunks go in
 * one pt_map call, so the walker may use blocks larger than a chunk. */
static int map_alloc(struct addrspace *as, const struct as_region *r)
{
    uint64_t run_off = 0, run_len = 0;
    paddr_t run_hpa = 0;
    int err = 0;

    for (uint64_t i = 0; i < r->nchunks; i++) {
        const struct as_chunk *c = chunk_at(r, i);
        if (run_len && chunk_hpa(c) == run_hpa + run_len) {
            run_len += chunk_size(c);
            continue;
        }
        if (run_len) {
            err = pt_map(&as->pt, r->gpa + run_off, run_hpa, run_len, r->flags);
            if (err)
                break;
        }
        run_off = c->off;
        run_hpa = chunk_hpa(c);
        run_len = chunk_size(c);
    }
    if (!err)
        err = pt_map(&as->pt, r->gpa + run_off, run_hpa, run_len, r->flags);
    /* The failed pt_map undid itself; the runs before it are exactly
     * [gpa, gpa + run_off). No leaf straddles a run, so no split, so this
     * unmap cannot fail. */
    if (err && run_off)
        pt_unmap(&as->pt, r->gpa, run_off);
    return err;
}

static int region_map(struct addrspace *as, const struct as_region *r)
{
    switch (r->kind) {
    case AS_ALLOC:
        return map_alloc(as, r);
    case AS_IDENTICAL:
        return pt_map(&as->pt, r->gpa, r->hpa, r->size, r->flags);
    default:
        return 0;
    }
}

/* ---- the region list --------------------------------------------------- */

/* Index of the first region ending above gpa (nregions if none): the one
 * containing gpa, if any does. */
static uint32_t region_index(const struct addrspace *as, paddr_t gpa)
{
    uint32_t lo = 0, hi = as->nregions;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (region_end(&as->regions[mid]) <= gpa)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static struct as_region *region_lookup(struct addrspace *as, paddr_t gpa)
{
    uint32_t i = region_index(as, gpa);
    if (i < as->nregions && as->regions[i].gpa <= gpa)
        return &as->regions[i];
    return NULL;
}

/* Where [gpa, gpa + size) would go, or -AX_EEXIST if it overlaps. */
static int region_slot(const struct addrspace *as, paddr_t gpa, uint64_t size,
                       uint32_t *slot)
{
    uint32_t i = region_index(as, gpa);
    if (i < as->nregions && as->regions[i].gpa < gpa + size)
        return -AX_EEXIST;
    *slot = i;
    return 0;
}

static int region_room(const struct addrspace *as, const struct as_region *r,
                       uint32_t *slot)
{
    int err = region_slot(as, r->gpa, r->size, slot);
    if (!err && as->nregions == AS_MAX_REGIONS)
        err = -AX_ENOSPC;
    return err;
}

static void region_insert(struct addrspace *as, uint32_t slot,
                          const struct as_region *r)
{
    memmove(&as->regions[slot + 1], &as->regions[slot],
            (as->nregions - slot) * sizeof(as->regions[0]));
    as->regions[slot] = *r;
    as->nregions++;
    as->ram_bytes += r->kind == AS_ALLOC ? r->size : 0;
    as->nchunks += r->nchunks;
}

static void region_delete(struct addrspace *as, uint32_t slot)
{
    const struct as_region *r = &as->regions[slot];
    as->ram_bytes -= r->kind == AS_ALLOC ? r->size : 0;
    as->nchunks -= r->nchunks;
    as->nregions--;
    memmove(&as->regions[slot], &as->regions[slot + 1],
            (as->nregions - slot) * sizeof(as->regions[0]));
    memset(&as->regions[as->nregions], 0, sizeof(as->regions[0]));
}

static bool as_ready(const struct addrspace *as)
{
    return as && as->pt.fmt && as->pt.root != PT_PADDR_NONE;
}

static int region_validate(const struct addrspace *as, const struct as_region *r)
{
    if (!as_ready(as) || r->kind > AS_EMULATED)
        return -AX_EINVAL;
    if (r->size == 0 || !IS_ALIGNED(r->gpa, PAGE_SIZE) ||
        !IS_ALIGNED(r->size, PAGE_SIZE))
        return -AX_EINVAL;
    uint64_t top = (uint64_t)1 << as->pt.va_bits;
    if (r->size > top || r->gpa > top - r->size)
        return -AX_EINVAL;
    if ((r->flags & ~PT_ATTR_ALL) ||
        (r->flags & (PT_DEVICE | PT_NC)) == (PT_DEVICE | PT_NC))
        return -AX_EINVAL;
    if (r->kind == AS_IDENTICAL) {
        unsigned pa_bits = as->pt.fmt->pa_bits;
        uint64_t pa_top = pa_bits < 64 ? (uint64_t)1 << pa_bits : UINT64_MAX;
        if (!IS_ALIGNED(r->hpa, PAGE_SIZE) || r->size > pa_top ||
            r->hpa > pa_top - r->size)
            return -AX_EINVAL;
    }
    return 0;
}

/* ---- public: lifetime and regions -------------------------------------- */

int as_init(struct addrspace *as, const struct pt_format *fmt, unsigned va_bits)
{
    if (!as)
        return -AX_EINVAL;
    memset(as, 0, sizeof(*as));
    as->lock = (spinlock_t)SPINLOCK_INIT;
    as->pt.root = PT_PADDR_NONE;
    if (!fmt)
        return -AX_EINVAL;
    struct pt_env env = {
        .alloc_page = as_pt_alloc,
        .free_page = as_pt_free,
        .phys_to_virt = as_pt_p2v,
        .invalidate = as_pt_invalidate,
        .store_barrier = as_pt_barrier,
        .ctx = as,
    };
    return pt_init_bits(&as->pt, fmt, va_bits ? va_bits : fmt->va_bits, &env);
}

void as_set_arch_ops(struct addrspace *as, const struct as_arch_ops *ops)
{
    if (!as)
        return;
    unsigned long fl = spin_lock_irqsave(&as->lock);
    if (ops)
        as->ops = *ops;
    else
        memset(&as->ops, 0, sizeof(as->ops));
    spin_unlock_irqrestore(&as->lock, fl);
}

int as_add_region(struct addrspace *as, paddr_t gpa, uint64_t size,
                  uint32_t flags, enum as_kind kind, paddr_t hpa)
{
    struct as_region r = {
        .gpa = gpa,
        .size = size,
        .flags = flags,
        .kind = (uint32_t)kind,
        .hpa = kind == AS_IDENTICAL ? hpa : 0,
    };
    int err = region_validate(as, &r);
    if (err)
        return err;

    /* Refuse before allocating; checked again below, since the lock is
     * dropped while the backing is allocated and zeroed. */
    uint32_t slot;
    unsigned long fl = spin_lock_irqsave(&as->lock);
    err = region_room(as, &r, &slot);
    spin_unlock_irqrestore(&as->lock, fl);
    if (err)
        return err;

    if (kind == AS_ALLOC) {
        err = backing_alloc(&r);
        if (err)
            return err;
    }

    fl = spin_lock_irqsave(&as->lock);
    err = region_room(as, &r, &slot);
    if (!err)
        err = region_map(as, &r);
    if (!err)
        region_insert(as, slot, &r);
    spin_unlock_irqrestore(&as->lock, fl);

    if (err)
        chunks_free(&r);
    return err;
}

int as_remove_region(struct addrspace *as, paddr_t gpa)
{
    if (!as_ready(as))
        return -AX_EINVAL;
    unsigned long fl = spin_lock_irqsave(&as->lock);
    struct as_region *found = region_lookup(as, gpa);
    if (!found || found->gpa != gpa) {
        spin_unlock_irqrestore(&as->lock, fl);
        return -AX_ENOENT;
    }
    struct as_region r = *found;
    int err = 0;
    if (region_mapped(&r)) {
        err = pt_unmap(&as->pt, r.gpa, r.size);
        /* The walker only invalidates for tables it frees; the leaves must
         * leave the TLB before the memory behind them is reused. */
        if (!err && as->ops.invalidate)
            as->ops.invalidate(as->ops.ctx, r.gpa, r.size);
    }
    if (!err)
        region_delete(as, (uint32_t)(found - as->regions));
    spin_unlock_irqrestore(&as->lock, fl);

    if (!err)
        chunks_free(&r);
    return err;
}

void as_destroy(struct addrspace *as)
{
    if (!as_ready(as))
        return;
    if (as->ops.invalidate)
        as->ops.invalidate(as->ops.ctx, 0, (uint64_t)1 << as->pt.va_bits);
    for (uint32_t i = 0; i < as->nregions; i++)
        chunks_free(&as->regions[i]);
    pt_destroy(&as->pt);
    as->pt.root = PT_PADDR_NONE;
    memset(as->regions, 0, sizeof(as->regions));
    as->nregions = 0;
    as->ram_bytes = as->nchunks = 0;
}

const struct as_region *as_find(struct addrspace *as, paddr_t gpa)
{
    if (!as_ready(as))
        return NULL;
    unsigned long fl = spin_lock_irqsave(&as->lock);
    const struct as_region *r = region_lookup(as, gpa);
    spin_unlock_irqrestore(&as->lock, fl);
    return r;
}

const struct as_region *as_region_at(struct addrspace *as, unsigned idx)
{
    if (!as_ready(as))
        return NULL;
    unsigned long fl = spin_lock_irqsave(&as->lock);
    const struct as_region *r = idx < as->nregions ? &as->regions[idx] : NULL;
    spin_unlock_irqrestore(&as->lock, fl);
    return r;
}

/* ---- public: translation and copies ------------------------------------ */

/* Host address of gpa inside mapped region r, and the contiguous bytes. */
static paddr_t region_host(const struct as_region *r, paddr_t gpa,
                           uint64_t *contig)
{
    uint64_t off = gpa - r->gpa;
    if (r->kind == AS_IDENTICAL) {
        *contig = r->size - off;
        return r->hpa + off;
    }
    const struct as_chunk *c = chunks_find(r, off);
    uint64_t in = off - c->off;
    *contig = chunk_size(c) - in;
    return chunk_hpa(c) + in;
}

int as_translate(struct addrspace *as, paddr_t gpa, paddr_t *hpa,
                 uint64_t *contig)
{
    if (!as_ready(as))
        return -AX_EFAULT;
    unsigned long fl = spin_lock_irqsave(&as->lock);
    const struct as_region *r = region_lookup(as, gpa);
    int err = -AX_EFAULT;
    if (r && region_mapped(r)) {
        uint64_t n;
        paddr_t pa = region_host(r, gpa, &n);
        if (hpa)
            *hpa = pa;
        if (contig)
            *contig = n;
        err = 0;
    }
    spin_unlock_irqrestore(&as->lock, fl);
    return err;
}

/* Is all of [gpa, gpa + len) (len > 0, no overflow) copyable memory? Walks
 * adjacent regions; at most one step per region. */
static bool range_copyable(const struct addrspace *as, paddr_t gpa,
                           uint64_t len)
{
    for (uint32_t i = region_index(as, gpa); i < as->nregions; i++) {
        const struct as_region *r = &as->regions[i];
        if (r->gpa > gpa || !region_copyable(r))
            return false;
        uint64_t here = region_end(r) - gpa;
        if (here >= len)
            return true;
        gpa += here;
        len -= here;
    }
    return false;
}

enum copy_dir { COPY_TO, COPY_FROM, COPY_ZERO };

static int guest_access(struct addrspace *as, paddr_t gpa, uint8_t *buf,
                        size_t len, enum copy_dir dir)
{
    if (!as_ready(as) || (len && !buf && dir != COPY_ZERO))
        return -AX_EFAULT;
    if (len == 0)
        return 0;
    if ((uint64_t)len > UINT64_MAX - gpa)
        return -AX_EFAULT;

    unsigned long fl = spin_lock_irqsave(&as->lock);
    if (!range_copyable(as, gpa, len)) {
        spin_unlock_irqrestore(&as->lock, fl);
        return -AX_EFAULT;
    }
    /* Each step ends at a chunk or region end, so it is one contiguous
     * host piece; the check above guarantees a region at every step. */
    uint32_t i = region_index(as, gpa);
    while (len) {
        const struct as_region *r = &as->regions[i];
        uint64_t contig;
        void *host = frame_ptr(region_host(r, gpa, &contig));
        size_t n = (size_t)MIN((uint64_t)len, contig);
        if (dir == COPY_TO)
            memcpy(host, buf, n);
        else if (dir == COPY_FROM)
            memcpy(buf, host, n);
        else
            memset(host, 0, n);
        if (buf)
            buf += n;
        gpa += n;
        len -= n;
        if (gpa == region_end(r))
            i++;
    }
    spin_unlock_irqrestore(&as->lock, fl);
    return 0;
}

int as_copy_to_guest(struct addrspace *as, paddr_t gpa, const void *src,
                     size_t len)
{
    /* The cast only shares guest_access; COPY_TO never writes to src. */
    return guest_access(as, gpa, (uint8_t *)(uintptr_t)src, len, COPY_TO);
}

int as_copy_from_guest(struct addrspace *as, void *dst, paddr_t gpa,
                       size_t len)
{
    return guest_access(as, gpa, dst, len, COPY_FROM);
}

int as_zero_guest(struct addrspace *as, paddr_t gpa, size_t len)
{
    return guest_access(as, gpa, NULL, len, COPY_ZERO);
}

int as_load_image(struct addrspace *as, paddr_t gpa, const void *img,
                  size_t len)
{
    return as_copy_to_guest(as, gpa, img, len);
}

void as_reset_ram(struct addrspace *as)
{
    if (!as_ready(as))
        return;
    unsigned long fl = spin_lock_irqsave(&as->lock);
    for (uint32_t i = 0; i < as->nregions; i++) {
        const struct as_region *r = &as->regions[i];
        for (uint64_t j = 0; r->kind == AS_ALLOC && j < r->nchunks; j++) {
            const struct as_chunk *c = chunk_at(r, j);
            memset(frame_ptr(chunk_hpa(c)), 0, chunk_size(c));
        }
    }
    spin_unlock_irqrestore(&as->lock, fl);
}

void as_get_stats(struct addrspace *as, struct as_stats *st)
{
    if (!st)
        return;
    memset(st, 0, sizeof(*st));
    if (!as)
        return;
    unsigned long fl = spin_lock_irqsave(&as->lock);
    st->ram_bytes = as->ram_bytes;
    st->chunks = as->nchunks;
    st->table_pages = as->table_pages;
    st->regions = as->nregions;
    spin_unlock_irqrestore(&as->lock, fl);
}
