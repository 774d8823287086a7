/* axaddrspace: a guest's physical address space (stage-2 / nested paging).
 *
 * An address space is a stage-2 page table (the generic walker of
 * ax/pagetable.h with an arch format, e.g. pte_aarch64_s2) plus the list of
 * regions the guest knows about. Each region is one of:
 *
 *   AS_ALLOC      guest RAM backed by frames from the buddy allocator,
 *                 zeroed, mapped with the region's flags. The backing is
 *                 taken in the largest naturally aligned blocks available,
 *                 up to 2 MiB (so stage 2 can use 2 MiB blocks); a region
 *                 never needs one contiguous allocation of its whole size.
 *   AS_IDENTICAL  host physical memory or a device, mapped linearly:
 *                 gpa + x -> hpa + x (usually hpa == gpa). Nothing is
 *                 allocated or freed.
 *   AS_RESERVED   known to the guest but not mapped: accesses fault.
 *   AS_EMULATED   an MMIO window of emulated devices: never mapped, so
 *                 accesses trap; registered so a fault can tell "emulated
 *                 device" from "nothing there".
 *
 * Region flags are the PT_* attributes of ax/pagetable.h (PT_R, PT_W, PT_X,
 * PT_U, PT_DEVICE, PT_NC); the VM config's memory_regions flags use the same
 * bits. The kinds' values 0..2 equal the config's map_type values.
 *
 * Hypervisor copies (as_copy_*, as_zero_guest, as_load_image) ignore the
 * guest's permissions but only ever touch AS_ALLOC and AS_IDENTICAL regions
 * without PT_DEVICE; anything else in the range (device, reserved, emulated,
 * a hole, gpa + len overflowing) fails the whole call with -AX_EFAULT before
 * a single byte is copied.
 *
 * Locking: one irqsave spinlock per address space serialises the page table
 * and the region list. Expensive work (allocating and zeroing a region's
 * backing, freeing it) runs outside the lock; copies, as_reset_ram and the
 * page-table updates run under it, so keep copies short once guests run.
 * The struct must not move after as_init (the walker's hooks point at it).
 */
#ifndef AX_ADDRSPACE_H
#define AX_ADDRSPACE_H

#include "ax/pagetable.h"
#include "ax/spinlock.h"
#include "ax/types.h"

#define AS_MAX_REGIONS 32
/* Largest block backing an AS_ALLOC region: 2^9 pages = 2 MiB, the stage-2
 * block size every supported MMU has. */
#define AS_CHUNK_MAX_ORDER 9u

enum as_kind {
    AS_ALLOC = 0,
    AS_IDENTICAL = 1,
    AS_RESERVED = 2,
    AS_EMULATED = 3,
};

struct as_chunk_seg; /* private: a slab-sized piece of a region's chunk list */

struct as_region {
    paddr_t gpa;
    uint64_t size;
    uint32_t flags;    /* PT_* */
    uint32_t kind;     /* enum as_kind */
    paddr_t hpa;       /* AS_IDENTICAL: host address of gpa; otherwise 0 */
    /* AS_ALLOC backing (private): the chunk list, cut into segments so it
     * never needs a large contiguous heap block, and indexed by segs[]. */
    struct as_chunk_seg **segs;
    uint32_t nsegs, segs_cap;
    uint64_t nchunks;
};

/* Hooks of the arch that runs this address space (may be left unset in
 * tests). invalidate: after a live stage-2 entry covering [gpa, gpa + size)
 * was removed: TLBI IPAS2E1IS + VMALLE1IS for the VMID / HFENCE.GVMA /
 * INVLPGA or a full flush. store_barrier: orders table-page stores before
 * the store linking them (aarch64: DSB ISHST). */
struct as_arch_ops {
    void (*invalidate)(void *ctx, paddr_t gpa, uint64_t size);
    void (*store_barrier)(void *ctx);
    void *ctx;
};

struct as_stats {
    uint64_t ram_bytes;   /* backing of AS_ALLOC regions */
    uint64_t chunks;      /* buddy blocks holding it */
    uint64_t table_pages; /* stage-2 table pages, root included */
    uint32_t regions;
};

struct addrspace {
    struct pagetable pt; /* pt.root is what VTTBR_EL2 / hgatp / nCR3 take */
    struct as_region regions[AS_MAX_REGIONS]; /* sorted by gpa, disjoint */
    uint32_t nregions;
    spinlock_t lock;
    struct as_arch_ops ops;
    uint64_t ram_bytes, nchunks, table_pages;
};

/* Empty address space with a zeroed root table from the frame allocator.
 * va_bits: guest-physical input size (0 = the format's default), within the
 * format's range. 0, -AX_EINVAL, -AX_ENOMEM. */
int as_init(struct addrspace *as, const struct pt_format *fmt, unsigned va_bits);

/* Set (or clear, ops NULL) the arch's TLB hooks. Call before the address
 * space goes live. */
void as_set_arch_ops(struct addrspace *as, const struct as_arch_ops *ops);

/* Adds a region. gpa and size page aligned, size > 0, [gpa, gpa + size)
 * inside the input space; flags PT_* only, not PT_DEVICE with PT_NC; hpa
 * (AS_IDENTICAL only, ignored otherwise) page aligned and within the
 * format's physical address size. Returns 0, -AX_EINVAL, -AX_EEXIST
 * (overlaps a region), -AX_ENOSPC (AS_MAX_REGIONS reached), -AX_ENOMEM. On
 * any error the address space and the allocators are as before. */
int as_add_region(struct addrspace *as, paddr_t gpa, uint64_t size,
                  uint32_t flags, enum as_kind kind, paddr_t hpa);

/* Removes the region starting at gpa: unmaps it, invalidates the range,
 * frees its backing and the table pages left empty. 0, -AX_ENOENT (no
 * region starts there), -AX_ENOMEM (the unmap needed a page; nothing
 * changed). */
int as_remove_region(struct addrspace *as, paddr_t gpa);

/* Frees every region's backing and every table page. No CPU may use the
 * table any more. Safe on an address space whose as_init failed, and twice. */
void as_destroy(struct addrspace *as);

/* The region containing gpa, or NULL. The pointer stays valid until the
 * next as_add_region / as_remove_region / as_destroy. */
const struct as_region *as_find(struct addrspace *as, paddr_t gpa);

/* Region idx in gpa order (idx < nregions), or NULL; same lifetime. */
const struct as_region *as_region_at(struct addrspace *as, unsigned idx);

/* Host physical address gpa is mapped to (AS_ALLOC and AS_IDENTICAL,
 * devices included) and, in *contig (may be NULL), how many bytes from
 * there are physically contiguous: to the end of the backing chunk
 * (AS_ALLOC) or of the region (AS_IDENTICAL). -AX_EFAULT if gpa is not
 * mapped. */
int as_translate(struct addrspace *as, paddr_t gpa, paddr_t *hpa,
                 uint64_t *contig);

/* Copies between a host buffer and guest memory; len 0 does nothing.
 * 0 or -AX_EFAULT (nothing copied); see the rules above. */
int as_copy_to_guest(struct addrspace *as, paddr_t gpa, const void *src,
                     size_t len);
int as_copy_from_guest(struct addrspace *as, void *dst, paddr_t gpa,
                       size_t len);
int as_zero_guest(struct addrspace *as, paddr_t gpa, size_t len);
/* as_copy_to_guest under the name loaders use; the rest of the region is
 * left as it is. (Arch code does any I-cache maintenance.) */
int as_load_image(struct addrspace *as, paddr_t gpa, const void *img,
                  size_t len);

/* Zeroes the memory of every AS_ALLOC region (VM restart). */
void as_reset_ram(struct addrspace *as);

void as_get_stats(struct addrspace *as, struct as_stats *st);

#endif
