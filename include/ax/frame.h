/* Physical frame allocator: a buddy allocator of 4 KiB pages.
 *
 * Setup order: frame_init(), then frame_add_range() for each RAM range and
 * frame_reserve() for what must never be handed out (hypervisor image, DTB,
 * reserved-memory nodes), then allocate. Ranges and reservations are only
 * recorded until the first allocator operation (alloc, free, stats, check);
 * that operation places the metadata and builds the free lists, so all
 * reservations known by then are honoured. frame_reserve() may also be called
 * later: it then claims the pages from the free pool, and fails with
 * -AX_EBUSY (changing nothing) if any of them is allocated. A range added later
 * becomes usable at the next operation.
 *
 * Metadata: two bits per block per order (free / allocated), about half a bit
 * per page per bitmap, so 2 GiB of RAM costs 256 KiB. The bitmaps of all
 * ranges activated together are carved from the first of them that has room
 * (so the other ranges keep their large blocks); free-list links live inside
 * the free blocks themselves.
 *
 * Physical address 0 is never handed out: 0 means "no memory".
 * All functions are safe to call from any CPU; one irqsave lock guards state. */
#ifndef AX_FRAME_H
#define AX_FRAME_H

#include "ax/types.h"

#define FRAME_SHIFT PAGE_SHIFT
#define FRAME_SIZE PAGE_SIZE
#define FRAME_MAX_ORDER 18 /* 2^18 pages = 1 GiB */
#define FRAME_ORDERS (FRAME_MAX_ORDER + 1)
#define FRAME_MAX_RANGES 16
#define FRAME_MAX_RESERVED 64

/* Offset from a managed physical address to the pointer that reaches it.
 * The hypervisor maps its RAM identically and host tests use buffer addresses
 * as "physical" ones, so it is 0 unless a build says otherwise. */
#ifndef FRAME_VA_OFFSET
#define FRAME_VA_OFFSET 0
#endif

static inline void *frame_ptr(paddr_t pa)
{
    return (void *)(uintptr_t)(pa + FRAME_VA_OFFSET);
}

static inline paddr_t frame_paddr(const void *va)
{
    return (paddr_t)(uintptr_t)va - FRAME_VA_OFFSET;
}

struct frame_stats {
    uint64_t total_pages;    /* allocatable pages: free + used */
    uint64_t free_pages;
    uint64_t used_pages;
    uint64_t reserved_pages; /* in ranges but never allocatable (reservations, metadata) */
    uint64_t meta_bytes;     /* bytes of pages holding the bitmaps */
    uint64_t bad_frees;      /* frees rejected: double free, wrong order, foreign address */
    uint64_t corruptions;    /* free-list damage seen (e.g. a write to a free block) */
    uint32_t ranges;         /* ranges in use */
    uint32_t dropped_ranges; /* ranges too small to hold their metadata */
    uint64_t free_blocks[FRAME_ORDERS]; /* free blocks per order */
};

/* Forget every range, reservation and allocation (boot, or between tests). */
void frame_init(void);

/* Add RAM [base, base+size); edges are trimmed inward to whole pages.
 * 0, -AX_EINVAL (empty/overflowing), -AX_EEXIST (overlaps a range),
 * -AX_ENOSPC (too many ranges). */
int frame_add_range(paddr_t base, uint64_t size);

/* Exclude [base, base+size), widened outward to whole pages. May cover
 * memory outside any range. 0, -AX_EBUSY (part of it is allocated),
 * -AX_ENOSPC (too many reservations), -AX_EINVAL. */
int frame_reserve(paddr_t base, uint64_t size);

/* One block of 2^order pages aligned to its own size, or 0. */
paddr_t frame_alloc(unsigned order);
paddr_t frame_alloc_zeroed(unsigned order);

/* n contiguous pages, aligned to the power of two >= n. The unused tail of
 * that power of two goes back to the pool at once; the run is kept as the
 * binary decomposition of n (largest block first), so frame_free_pages(pa, n)
 * must get the same n (freeing a power-of-two suffix block on its own with
 * frame_free also works). */
paddr_t frame_alloc_pages(size_t n);
paddr_t frame_alloc_pages_zeroed(size_t n);

/* 0, or -AX_EINVAL (misaligned/bad order) / -AX_ENOENT (not an allocated
 * block of that size: double free, wrong order, foreign address). A rejected
 * free changes nothing and is counted in bad_frees. */
int frame_free(paddr_t pa, unsigned order);
int frame_free_pages(paddr_t pa, size_t n);

/* Is the page holding pa part of an allocated block? Lets callers vet a
 * pointer before reading through it. */
bool frame_is_allocated(paddr_t pa);

/* Smallest order whose block holds n pages (n >= 1), or -1 if none does. */
int frame_order_of_pages(size_t n);

void frame_stats(struct frame_stats *st);

/* Verify every invariant (lists vs bitmaps, no overlap, counters);
 * 0 or -AX_EFAULT. Walks every block of every range: a debug tool. */
int frame_check(void);

#endif
