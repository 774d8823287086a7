/* Generic page-table walker: the tree shape only; entry encoding comes from
 * struct pt_format. Recursion never goes deeper than the table's levels. */
#include "ax/pagetable.h"
#include "ax/string.h"

#define PT_INDEX_BITS 9u
#define PT_ENTRIES (1u << PT_INDEX_BITS)

enum pte_kind { PTE_NONE, PTE_TABLE, PTE_LEAF };

/* ---- geometry ---------------------------------------------------------- */

static unsigned lvl_shift(unsigned lvl)
{
    return PAGE_SHIFT + PT_INDEX_BITS * lvl;
}

static uint64_t lvl_size(unsigned lvl)
{
    return (uint64_t)1 << lvl_shift(lvl);
}

static unsigned pt_top_lvl(const struct pagetable *pt)
{
    return pt->levels - 1;
}

static uint64_t pt_top(const struct pagetable *pt)
{
    return (uint64_t)1 << pt->va_bits;
}

static unsigned lvl_index(vaddr_t va, unsigned lvl)
{
    return (unsigned)((va >> lvl_shift(lvl)) & (PT_ENTRIES - 1));
}

/* ---- entries ----------------------------------------------------------- */

/* volatile: one 64-bit access the compiler may neither split nor elide, so a
 * concurrent hardware walk never sees half an entry. */
static uint64_t pte_load(const uint64_t *p)
{
    return *(const volatile uint64_t *)p;
}

static void pte_store(uint64_t *p, uint64_t v)
{
    *(volatile uint64_t *)p = v;
}

static enum pte_kind pte_kind(const struct pagetable *pt, uint64_t pte,
                              unsigned lvl)
{
    if (!pt->fmt->is_valid(pte, lvl))
        return PTE_NONE;
    if (lvl > 0 && pt->fmt->is_table(pte, lvl))
        return PTE_TABLE;
    return PTE_LEAF;
}

static paddr_t leaf_base(const struct pagetable *pt, uint64_t pte,
                         unsigned lvl)
{
    return ALIGN_DOWN(pt->fmt->pte_addr(pte), lvl_size(lvl));
}

static uint64_t *table_at(const struct pagetable *pt, paddr_t pa)
{
    return (uint64_t *)pt->env.phys_to_virt(pt->env.ctx, pa);
}

static void env_invalidate(const struct pagetable *pt, vaddr_t va,
                           uint64_t size)
{
    if (pt->env.invalidate)
        pt->env.invalidate(pt->env.ctx, va, size);
}

static void env_barrier(const struct pagetable *pt)
{
    if (pt->env.store_barrier)
        pt->env.store_barrier(pt->env.ctx);
}

/* ---- table pages ------------------------------------------------------- */

static int table_alloc(struct pagetable *pt, paddr_t *out)
{
    paddr_t pa = pt->env.alloc_page(pt->env.ctx);
    if (pa == PT_PADDR_NONE || !IS_ALIGNED(pa, PAGE_SIZE))
        return -AX_ENOMEM;
    /* A table the descriptor cannot point at is as good as no page. */
    if (pt->fmt->pa_bits < 64 && (pa >> pt->fmt->pa_bits) != 0) {
        pt->env.free_page(pt->env.ctx, pa);
        return -AX_ENOMEM;
    }
    uint64_t *t = table_at(pt, pa);
    if (!t) {
        pt->env.free_page(pt->env.ctx, pa);
        return -AX_ENOMEM;
    }
    memset(t, 0, PAGE_SIZE);
    *out = pa;
    return 0;
}

static bool table_empty(const struct pagetable *pt, paddr_t tpa, unsigned lvl)
{
    const uint64_t *t = table_at(pt, tpa);
    for (unsigned i = 0; i < PT_ENTRIES; i++)
        if (pt->fmt->is_valid(pte_load(&t[i]), lvl))
            return false;
    return true;
}

/* Frees a table and everything below it. Its entries are left as they are:
 * the caller has already unlinked it. */
static void table_free_tree(struct pagetable *pt, paddr_t tpa, unsigned lvl,
                            unsigned nentries)
{
    const uint64_t *t = table_at(pt, tpa);
    for (unsigned i = 0; lvl > 0 && i < nentries; i++) {
        uint64_t pte = pte_load(&t[i]);
        if (pte_kind(pt, pte, lvl) == PTE_TABLE)
            table_free_tree(pt, pt->fmt->pte_addr(pte), lvl - 1, PT_ENTRIES);
    }
    pt->env.free_page(pt->env.ctx, tpa);
}

/* Unlinks the table behind entry *p (covering [va, va + size of lvl)) and
 * frees it once no walker can reach it any more. */
static void table_unlink(struct pagetable *pt, uint64_t *p, unsigned lvl,
                         vaddr_t va)
{
    paddr_t child = pt->fmt->pte_addr(pte_load(p));
    pte_store(p, 0);
    env_invalidate(pt, va, lvl_size(lvl));
    table_free_tree(pt, child, lvl - 1, PT_ENTRIES);
}

/* ---- range walks ------------------------------------------------------- */

/* One table's slice of a range: entries [first, last] of the table at height
 * lvl whose first entry starts at tbase. s < e, both inside the table. */
struct span {
    vaddr_t tbase, s, e;
    unsigned first, last;
};

static struct span span_of(vaddr_t tbase, unsigned lvl, vaddr_t s, vaddr_t e)
{
    struct span sp = { tbase, s, e, 0, 0 };
    sp.first = (unsigned)((s - tbase) >> lvl_shift(lvl));
    sp.last = (unsigned)((e - 1 - tbase) >> lvl_shift(lvl));
    return sp;
}

/* True if [s, e) under this table holds a leaf (want_hole false) or an
 * unmapped 4 KiB page (want_hole true). */
static bool range_find(const struct pagetable *pt, paddr_t tpa, unsigned lvl,
                       vaddr_t tbase, vaddr_t s, vaddr_t e, bool want_hole)
{
    const uint64_t *t = table_at(pt, tpa);
    struct span sp = span_of(tbase, lvl, s, e);
    uint64_t size = lvl_size(lvl);

    for (unsigned i = sp.first; i <= sp.last; i++) {
        uint64_t pte = pte_load(&t[i]);
        vaddr_t eb = tbase + (uint64_t)i * size;
        switch (pte_kind(pt, pte, lvl)) {
        case PTE_NONE:
            if (want_hole)
                return true;
            break;
        case PTE_LEAF:
            if (!want_hole)
                return true;
            break;
        case PTE_TABLE:
            if (range_find(pt, pt->fmt->pte_addr(pte), lvl - 1, eb, MAX(s, eb),
                           MIN(e, eb + size), want_hole))
                return true;
            break;
        }
    }
    return false;
}

/* Removes the leaves inside [s, e) and frees the tables left empty. Leaves
 * straddling s or e must have been split before (pt_unmap does); pt_map's
 * rollback never has any. */
static void range_clear(struct pagetable *pt, paddr_t tpa, unsigned lvl,
                        vaddr_t tbase, vaddr_t s, vaddr_t e)
{
    uint64_t *t = table_at(pt, tpa);
    struct span sp = span_of(tbase, lvl, s, e);
    uint64_t size = lvl_size(lvl);

    for (unsigned i = sp.first; i <= sp.last; i++) {
        uint64_t *p = &t[i];
        uint64_t pte = pte_load(p);
        vaddr_t eb = tbase + (uint64_t)i * size;
        enum pte_kind kind = pte_kind(pt, pte, lvl);
        bool whole = s <= eb && eb + size <= e;

        if (kind == PTE_LEAF && whole) {
            pte_store(p, 0);
        } else if (kind == PTE_TABLE && whole) {
            table_unlink(pt, p, lvl, eb);
        } else if (kind == PTE_TABLE) {
            paddr_t child = pt->fmt->pte_addr(pte);
            range_clear(pt, child, lvl - 1, eb, MAX(s, eb), MIN(e, eb + size));
            if (table_empty(pt, child, lvl - 1))
                table_unlink(pt, p, lvl, eb);
        }
    }
}

/* Gives every leaf inside [s, e) the attributes `attrs`; the ends have been
 * split already. */
static void range_reprotect(struct pagetable *pt, paddr_t tpa, unsigned lvl,
                            vaddr_t tbase, vaddr_t s, vaddr_t e,
                            uint32_t attrs)
{
    const uint32_t memtype = PT_DEVICE | PT_NC;
    uint64_t *t = table_at(pt, tpa);
    struct span sp = span_of(tbase, lvl, s, e);
    uint64_t size = lvl_size(lvl);

    for (unsigned i = sp.first; i <= sp.last; i++) {
        uint64_t *p = &t[i];
        uint64_t pte = pte_load(p);
        vaddr_t eb = tbase + (uint64_t)i * size;
        enum pte_kind kind = pte_kind(pt, pte, lvl);

        if (kind == PTE_TABLE) {
            range_reprotect(pt, pt->fmt->pte_addr(pte), lvl - 1, eb,
                            MAX(s, eb), MIN(e, eb + size), attrs);
        } else if (kind == PTE_LEAF) {
            uint32_t old = pt->fmt->pte_attrs(pte, lvl);
            uint64_t npte = pt->fmt->make_leaf(leaf_base(pt, pte, lvl), lvl,
                                               attrs);
            /* Arm wants break-before-make when the memory type changes;
             * permissions may change in place. */
            if (((old ^ attrs) & memtype) && pt->env.invalidate) {
                pte_store(p, 0);
                env_invalidate(pt, eb, size);
            }
            pte_store(p, npte);
        }
    }
}

/* ---- splitting --------------------------------------------------------- */

/* Replaces the block at *p (height lvl, covering [va, ...)) by a table of
 * next-level leaves with the same translation and attributes. */
static int leaf_split(struct pagetable *pt, uint64_t *p, unsigned lvl,
                      vaddr_t va)
{
    const struct pt_format *f = pt->fmt;
    unsigned clvl = lvl - 1;
    uint64_t pte = pte_load(p);
    paddr_t base = leaf_base(pt, pte, lvl);
    uint32_t attrs = f->pte_attrs(pte, lvl);
    paddr_t tpa;

    /* Every MMU we target allows blocks on all levels below its largest. */
    if (clvl > 0 && !f->block_allowed(clvl))
        return -AX_EINVAL;
    int err = table_alloc(pt, &tpa);
    if (err)
        return err;
    uint64_t *t = table_at(pt, tpa);
    for (unsigned j = 0; j < PT_ENTRIES; j++)
        pte_store(&t[j], f->make_leaf(base + (uint64_t)j * lvl_size(clvl),
                                      clvl, attrs));
    env_barrier(pt);
    if (pt->env.invalidate) {
        pte_store(p, 0);
        env_invalidate(pt, va, lvl_size(lvl));
    }
    pte_store(p, f->make_table(tpa));
    return 0;
}

/* Makes addr a leaf boundary: splits each block that straddles it, down to
 * the level where addr is aligned. Translations do not change, so a failure
 * half-way leaves a correct (if finer) table. */
static int split_at(struct pagetable *pt, vaddr_t addr)
{
    paddr_t tpa = pt->root;

    for (unsigned lvl = pt_top_lvl(pt);; lvl--) {
        uint64_t *p = &table_at(pt, tpa)[lvl_index(addr, lvl)];
        uint64_t pte = pte_load(p);
        enum pte_kind kind = pte_kind(pt, pte, lvl);

        /* Aligned addr starts this entry: nothing below straddles it. Level
         * 0 always is, which ends the loop. */
        if (kind == PTE_NONE || IS_ALIGNED(addr, lvl_size(lvl)))
            return 0;
        if (kind == PTE_LEAF) {
            int err = leaf_split(pt, p, lvl, ALIGN_DOWN(addr, lvl_size(lvl)));
            if (err)
                return err;
            pte = pte_load(p);
        }
        tpa = pt->fmt->pte_addr(pte);
    }
}

/* ---- input checks ------------------------------------------------------ */

static bool pt_ready(const struct pagetable *pt)
{
    return pt && pt->fmt && pt->root != PT_PADDR_NONE;
}

static int range_check(const struct pagetable *pt, vaddr_t va, uint64_t size)
{
    if (!pt_ready(pt))
        return -AX_EINVAL;
    if (size == 0 || !IS_ALIGNED(va, PAGE_SIZE) || !IS_ALIGNED(size, PAGE_SIZE))
        return -AX_EINVAL;
    if (size > pt_top(pt) || va > pt_top(pt) - size)
        return -AX_EINVAL;
    return 0;
}

static int pa_check(const struct pagetable *pt, paddr_t pa, uint64_t size)
{
    unsigned bits = pt->fmt->pa_bits;
    if (!IS_ALIGNED(pa, PAGE_SIZE))
        return -AX_EINVAL;
    if (bits >= 64)
        return pa > UINT64_MAX - size + 1 ? -AX_EINVAL : 0;
    uint64_t lim = (uint64_t)1 << bits;
    return (size > lim || pa > lim - size) ? -AX_EINVAL : 0;
}

/* Drops flags the format cannot express; rejects contradictions. */
static int attrs_fix(const struct pt_format *f, uint32_t *attrs)
{
    uint32_t a = *attrs;
    if (a & ~PT_ATTR_ALL)
        return -AX_EINVAL;
    if ((a & PT_DEVICE) && (a & PT_NC))
        return -AX_EINVAL;
    a &= f->attrs_supported;
    if ((a & f->attrs_required) != f->attrs_required)
        return -AX_EINVAL;
    *attrs = a;
    return 0;
}

static bool format_ok(const struct pt_format *f)
{
    return f && f->make_table && f->make_leaf && f->is_valid && f->is_table &&
           f->pte_addr && f->pte_attrs && f->block_allowed &&
           f->va_bits_min <= f->va_bits_max && f->pa_bits > PAGE_SHIFT;
}

/* ---- public API -------------------------------------------------------- */

int pt_init_bits(struct pagetable *pt, const struct pt_format *fmt,
                 unsigned va_bits, const struct pt_env *env)
{
    if (!pt)
        return -AX_EINVAL;
    pt->fmt = NULL;
    pt->root = PT_PADDR_NONE;
    if (!format_ok(fmt) || !env || !env->alloc_page || !env->free_page ||
        !env->phys_to_virt)
        return -AX_EINVAL;
    if (va_bits < fmt->va_bits_min || va_bits > fmt->va_bits_max ||
        va_bits <= PAGE_SHIFT)
        return -AX_EINVAL;
    unsigned levels = (va_bits - PAGE_SHIFT + PT_INDEX_BITS - 1) / PT_INDEX_BITS;
    if (levels > PT_MAX_LEVELS)
        return -AX_EINVAL;

    pt->fmt = fmt;
    pt->env = *env;
    pt->va_bits = va_bits;
    pt->levels = levels;
    int err = table_alloc(pt, &pt->root);
    if (err) {
        pt->fmt = NULL;
        pt->root = PT_PADDR_NONE;
    }
    return err;
}

int pt_init(struct pagetable *pt, const struct pt_format *fmt,
            const struct pt_env *env)
{
    return pt_init_bits(pt, fmt, fmt ? fmt->va_bits : 0, env);
}

/* The largest leaf for the next step of a mapping. */
static unsigned leaf_level(const struct pagetable *pt, vaddr_t va, paddr_t pa,
                           uint64_t left)
{
    for (unsigned lvl = pt_top_lvl(pt); lvl > 0; lvl--) {
        uint64_t sz = lvl_size(lvl);
        if (pt->fmt->block_allowed(lvl) && IS_ALIGNED(va, sz) &&
            IS_ALIGNED(pa, sz) && left >= sz)
            return lvl;
    }
    return 0;
}

/* Writes one leaf, creating the tables on the way down. */
static int leaf_install(struct pagetable *pt, vaddr_t va, paddr_t pa,
                        unsigned target, uint32_t attrs)
{
    paddr_t tpa = pt->root;

    for (unsigned lvl = pt_top_lvl(pt); lvl > target; lvl--) {
        uint64_t *p = &table_at(pt, tpa)[lvl_index(va, lvl)];
        uint64_t pte = pte_load(p);
        enum pte_kind kind = pte_kind(pt, pte, lvl);

        if (kind == PTE_LEAF)
            return -AX_EEXIST;
        if (kind == PTE_NONE) {
            paddr_t next;
            int err = table_alloc(pt, &next);
            if (err)
                return err;
            env_barrier(pt);
            pte = pt->fmt->make_table(next);
            pte_store(p, pte);
        }
        tpa = pt->fmt->pte_addr(pte);
    }
    uint64_t *p = &table_at(pt, tpa)[lvl_index(va, target)];
    if (pt->fmt->is_valid(pte_load(p), target))
        return -AX_EEXIST;
    pte_store(p, pt->fmt->make_leaf(pa, target, attrs));
    return 0;
}

int pt_map(struct pagetable *pt, vaddr_t va, paddr_t pa, uint64_t size,
           uint32_t attrs)
{
    int err = range_check(pt, va, size);
    if (!err)
        err = pa_check(pt, pa, size);
    if (!err)
        err = attrs_fix(pt->fmt, &attrs);
    if (err)
        return err;

    unsigned top = pt_top_lvl(pt);
    vaddr_t end = va + size;
    if (range_find(pt, pt->root, top, 0, va, end, false))
        return -AX_EEXIST;

    for (uint64_t off = 0; off < size;) {
        unsigned lvl = leaf_level(pt, va + off, pa + off, size - off);
        err = leaf_install(pt, va + off, pa + off, lvl, attrs);
        if (err) {
            /* The range was empty before, so clearing all of it removes
             * exactly what this call added, table pages included. */
            range_clear(pt, pt->root, top, 0, va, end);
            return err;
        }
        off += lvl_size(lvl);
    }
    return 0;
}

int pt_unmap(struct pagetable *pt, vaddr_t va, uint64_t size)
{
    int err = range_check(pt, va, size);
    if (err)
        return err;
    vaddr_t end = va + size;
    err = split_at(pt, va);
    if (!err && end < pt_top(pt))
        err = split_at(pt, end);
    if (err)
        return err;
    range_clear(pt, pt->root, pt_top_lvl(pt), 0, va, end);
    return 0;
}

int pt_protect(struct pagetable *pt, vaddr_t va, uint64_t size, uint32_t attrs)
{
    int err = range_check(pt, va, size);
    if (!err)
        err = attrs_fix(pt->fmt, &attrs);
    if (err)
        return err;
    vaddr_t end = va + size;
    if (range_find(pt, pt->root, pt_top_lvl(pt), 0, va, end, true))
        return -AX_ENOENT;
    err = split_at(pt, va);
    if (!err && end < pt_top(pt))
        err = split_at(pt, end);
    if (err)
        return err;
    range_reprotect(pt, pt->root, pt_top_lvl(pt), 0, va, end, attrs);
    return 0;
}

int pt_query(const struct pagetable *pt, vaddr_t va, paddr_t *pa,
             uint32_t *attrs, uint64_t *mapping_size)
{
    if (!pt_ready(pt) || va >= pt_top(pt))
        return -AX_EINVAL;
    paddr_t tpa = pt->root;

    for (unsigned lvl = pt_top_lvl(pt);; lvl--) {
        uint64_t pte = pte_load(&table_at(pt, tpa)[lvl_index(va, lvl)]);
        uint64_t size = lvl_size(lvl);

        switch (pte_kind(pt, pte, lvl)) {
        case PTE_NONE:
            if (mapping_size)
                *mapping_size = size;
            return -AX_ENOENT;
        case PTE_LEAF:
            if (pa)
                *pa = leaf_base(pt, pte, lvl) + (va & (size - 1));
            if (attrs)
                *attrs = pt->fmt->pte_attrs(pte, lvl);
            if (mapping_size)
                *mapping_size = size;
            return 0;
        case PTE_TABLE:
            /* pte_kind never reports a table at level 0. */
            tpa = pt->fmt->pte_addr(pte);
            break;
        }
    }
}

void pt_destroy(struct pagetable *pt)
{
    if (!pt_ready(pt))
        return;
    unsigned top = pt_top_lvl(pt);
    unsigned nroot = (unsigned)(pt_top(pt) >> lvl_shift(top));
    table_free_tree(pt, pt->root, top, nroot);
    pt->root = PT_PADDR_NONE;
    pt->fmt = NULL;
}
