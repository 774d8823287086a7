/* Generic multi-level page-table builder/walker.
 *
 * One walker serves the hypervisor's own stage-1 tables and every guest's
 * stage-2 / nested tables. It knows only the radix-tree shape shared by all
 * supported MMUs with a 4 KiB granule (512 eight-byte entries per table, 9
 * index bits per level); what an entry looks like is the arch hook
 * struct pt_format (see e.g. ax/pte_aarch64.h).
 *
 * Levels are counted from the leaf up ("height"): level 0 holds 4 KiB pages,
 * level 1 entries cover 2 MiB, level 2 1 GiB, level 3 512 GiB. (Arm numbers
 * the other way: Arm level = 3 - height. RISC-V uses the same order as here.)
 * The number of levels follows from the input-address size:
 * levels = ceil((va_bits - 12) / 9), so 39 bits -> 3 levels, 40..48 -> 4.
 * The root table may use fewer than 512 entries (40 bits: 2 root entries);
 * concatenated roots spanning several pages are not supported.
 *
 * What the walker does NOT do, and the caller must:
 *  - TLB maintenance. The walker only writes entries. After pt_unmap,
 *    pt_protect or a failed pt_map, flush the range (for live tables).
 *  - Concurrency: calls on one table must be serialised by the caller.
 * What the walker guarantees for a hardware walker running concurrently:
 *  - every entry is written with one aligned 64-bit store, never torn;
 *  - a new table page is zeroed or completely filled, then env.store_barrier
 *    runs, and only then is the table linked into the tree;
 *  - splitting a block replaces one valid entry by another of a different
 *    size, which Arm requires to be done break-before-make. With
 *    env.invalidate set, the walker writes an invalid entry, calls
 *    invalidate (the caller's TLBI for the block), then links the new table.
 *    Without it the table replaces the block directly: only safe when nothing
 *    uses that range meanwhile (e.g. a guest that is not running).
 *  - an unlinked table page is handed to env.invalidate (when set) for its
 *    whole range before it is given to env.free_page, so a walk cache cannot
 *    keep pointing at a recycled page.
 */
#ifndef AX_PAGETABLE_H
#define AX_PAGETABLE_H

#include "ax/types.h"

/* Arch-neutral mapping attributes. The values match the VM config's
 * memory_regions flags (R=1 W=2 X=4 U=8 DEVICE=0x10). Without PT_DEVICE or
 * PT_NC memory is normal write-back cacheable, inner shareable. */
#define PT_R 0x01u      /* readable */
#define PT_W 0x02u      /* writable */
#define PT_X 0x04u      /* executable */
#define PT_U 0x08u      /* user / guest-EL0 accessible, where the format has it */
#define PT_DEVICE 0x10u /* device memory (Arm: Device-nGnRE) */
#define PT_NC 0x20u     /* normal memory, non-cacheable */
#define PT_ATTR_ALL (PT_R | PT_W | PT_X | PT_U | PT_DEVICE | PT_NC)

/* What alloc_page returns when it has no page: not page-aligned, so no
 * real page can be mistaken for it. */
#define PT_PADDR_NONE ((paddr_t)-1)

#define PT_MAX_LEVELS 5u

/* The arch hook: how an entry is encoded. `lvl` is the height (0 = 4 KiB
 * leaf). A leaf at lvl > 0 is a block. The walker only asks make_leaf for a
 * level where block_allowed(lvl) holds (or lvl 0), and only decodes entries
 * it made, so pte_attrs(make_leaf(pa, lvl, a), lvl) must give back `a` for
 * every `a` the format accepts (attrs masked by attrs_supported). */
struct pt_format {
    const char *name;
    unsigned va_bits;          /* input-address size pt_init() uses */
    unsigned va_bits_min;      /* range pt_init_bits() accepts */
    unsigned va_bits_max;
    unsigned pa_bits;          /* output addresses must be below 1 << pa_bits */
    uint32_t attrs_supported;  /* PT_* flags encoded; others are dropped */
    uint32_t attrs_required;   /* flags every mapping must carry */
    uint64_t (*make_table)(paddr_t next);
    uint64_t (*make_leaf)(paddr_t pa, unsigned lvl, uint32_t attrs);
    bool (*is_valid)(uint64_t pte, unsigned lvl);
    bool (*is_table)(uint64_t pte, unsigned lvl); /* never true at lvl 0 */
    paddr_t (*pte_addr)(uint64_t pte);            /* output / next-table address */
    uint32_t (*pte_attrs)(uint64_t pte, unsigned lvl);
    bool (*block_allowed)(unsigned lvl);          /* lvl >= 1 */
};

/* Where table pages come from. The target passes the frame allocator and the
 * linear map; host tests pass an arena. */
struct pt_env {
    /* One 4 KiB page, or PT_PADDR_NONE. Need not be zeroed. */
    paddr_t (*alloc_page)(void *ctx);
    void (*free_page)(void *ctx, paddr_t pa);
    /* Where the walker reads/writes the table page at pa. */
    void *(*phys_to_virt)(void *ctx, paddr_t pa);
    /* Optional (NULL = none). Called after a live entry covering
     * [va, va + size) was made invalid, before its replacement is written
     * (block split) or what it pointed to is freed (table page). Target:
     * DSB; TLBI by VA/IPA for the range (or all); DSB. The table is
     * mid-update: the hook may pt_query it but must not change it. */
    void (*invalidate)(void *ctx, vaddr_t va, uint64_t size);
    /* Optional. Orders the stores that filled a new table page before the
     * store linking it (aarch64: DSB ISHST). */
    void (*store_barrier)(void *ctx);
    void *ctx;
};

struct pagetable {
    const struct pt_format *fmt;
    struct pt_env env;
    paddr_t root;     /* physical address of the root table: TTBR0/VTTBR base */
    unsigned va_bits; /* input addresses are [0, 1 << va_bits) */
    unsigned levels;  /* root table height is levels - 1 */
};

/* Allocates a zeroed root. pt_init uses fmt->va_bits; pt_init_bits takes
 * another input size within [fmt->va_bits_min, fmt->va_bits_max], e.g. 39
 * for a 3-level Arm table. -AX_EINVAL on a bad format/env/size,
 * -AX_ENOMEM when no root page. */
int pt_init(struct pagetable *pt, const struct pt_format *fmt,
            const struct pt_env *env);
int pt_init_bits(struct pagetable *pt, const struct pt_format *fmt,
                 unsigned va_bits, const struct pt_env *env);

/* Maps [va, va + size) to [pa, pa + size). Each step uses the largest block
 * the format allows at which va, pa and the remaining size are all aligned,
 * else 4 KiB pages. va, pa and size must be 4 KiB aligned, size > 0, the
 * range inside the input space and pa + size within pa_bits.
 * Returns 0, -AX_EINVAL (bad input or attrs: PT_DEVICE with PT_NC, a
 * required flag missing, an unknown bit), -AX_EEXIST if any part is already
 * mapped (nothing changed), -AX_ENOMEM (everything it added removed again,
 * including table pages). */
int pt_map(struct pagetable *pt, vaddr_t va, paddr_t pa, uint64_t size,
           uint32_t attrs);

/* Removes every mapping inside [va, va + size); holes are fine. A block
 * straddling either end is split first (new tables re-create the parts
 * outside the range with the same attributes); table pages left empty are
 * freed. -AX_EINVAL on bad input; -AX_ENOMEM if a split could not get a
 * page, in which case no translation changed. */
int pt_unmap(struct pagetable *pt, vaddr_t va, uint64_t size);

/* Translates va. On success *pa is the address va maps to (block base plus
 * offset), *attrs the mapping's PT_* flags as the format encodes them, and
 * *mapping_size the size of the leaf holding va (4 KiB, 2 MiB, 1 GiB).
 * -AX_ENOENT if unmapped: then *mapping_size is the size of the naturally
 * aligned unmapped region around va, so a scan can skip it. -AX_EINVAL if
 * va is outside the input space. Any out pointer may be NULL. */
int pt_query(const struct pagetable *pt, vaddr_t va, paddr_t *pa,
             uint32_t *attrs, uint64_t *mapping_size);

/* Sets the attributes of every mapping in [va, va + size), splitting blocks
 * at the ends. -AX_ENOENT if any part is unmapped (nothing changed),
 * -AX_EINVAL, -AX_ENOMEM (no translation changed). Permissions change in
 * place; a change of memory type (PT_DEVICE / PT_NC) goes break-before-make
 * through env.invalidate when it is set. */
int pt_protect(struct pagetable *pt, vaddr_t va, uint64_t size,
               uint32_t attrs);

/* Frees every table page including the root (not the mapped memory). The
 * table must no longer be in use by any CPU. */
void pt_destroy(struct pagetable *pt);

#endif
