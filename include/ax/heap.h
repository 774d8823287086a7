/* Kernel heap: kmalloc/kfree on top of the frame allocator.
 *
 * Requests up to HEAP_SLAB_MAX bytes come from size-class slabs, one 4 KiB
 * frame each; larger ones get their own run of frames with a 16-byte header.
 * Every result is 16-byte aligned. Slabs are taken from the frame allocator
 * when needed and given back as soon as they are empty, so the heap holds no
 * frames it does not use. kfree() of a pointer the heap did not hand out
 * (or of one already freed) is detected (the page must be an allocated
 * frame, then per-page magic words and per-object allocation bits must
 * match) and rejected without touching heap state; it
 * is counted in heap_stats().bad_frees and reported to the error hook.
 * Freestanding: needs only the frame allocator and memset/memcpy. */
#ifndef AX_HEAP_H
#define AX_HEAP_H

#include "ax/frame.h"

#define HEAP_ALIGN 16
#define HEAP_SLAB_MAX 2016 /* largest slab size class */

struct heap_stats {
    size_t in_use_bytes;   /* usable bytes of live allocations (class size or large size) */
    size_t reserved_bytes; /* bytes of frames the heap holds */
    size_t live_allocs;
    size_t slab_pages;
    size_t large_pages;
    size_t bad_frees;
};

/* Reset heap bookkeeping. Call after frame_init()/frame_add_range(); it does
 * not give back frames of an earlier heap. */
void heap_init(void);

void *kmalloc(size_t size); /* size 0 gets a minimal object; NULL if out of memory */
void *kzalloc(size_t size);
void *kcalloc(size_t n, size_t size); /* zeroed; NULL if n*size overflows */
/* Standard realloc semantics: NULL p allocates, size 0 frees and returns NULL.
 * On failure or a bad p returns NULL and leaves p untouched. */
void *krealloc(void *p, size_t size);
void kfree(void *p); /* NULL is a no-op */

/* kfree that says what happened: 0, or -AX_EINVAL for a pointer the heap
 * does not own / a double free. */
int heap_free(void *p);

/* Usable bytes at p (>= requested size), or 0 if p is not a live allocation. */
size_t kmalloc_usable_size(const void *p);

void heap_stats(struct heap_stats *st);

/* Walk every slab and verify headers, object bitmaps and counters;
 * 0 or -AX_EFAULT. */
int heap_check(void);

/* Called (outside the heap lock) for every rejected free, if set; lets the
 * caller log it. */
typedef void (*heap_error_hook_t)(const char *what, const void *ptr);
void heap_set_error_hook(heap_error_hook_t hook);

/* Exercise the live frame allocator and heap: allocate and free a mix of
 * orders and sizes, verify contents survive and that free counts return
 * exactly to their starting values. Prints nothing. 0 or a negative AX_E*. */
int axalloc_selftest(void);

#endif
