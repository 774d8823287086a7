/* Fuzzes the page-table walker: input bytes become map / unmap / query /
 * protect calls on an aarch64 table, and every result is checked against a
 * reference model (a list of disjoint intervals va -> pa with attributes).
 * At the end the whole touched range is compared leaf by leaf with the
 * model, everything is unmapped (only the root may remain) and destroyed
 * (no table page may remain).
 *
 * Input: byte 0 format/window/hook, byte 1 page budget, then ops. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ax/pagetable.h"
#include "ax/pte_aarch64.h"

#define CHECK(c)                                                         \
    do {                                                                 \
        if (!(c)) {                                                      \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,       \
                    __LINE__, #c);                                       \
            abort();                                                     \
        }                                                                \
    } while (0)

/* ---- table-page arena ---------------------------------------------------- */

#define ARENA_PAGES 2048u
#define ARENA_PA 0x0000010000000000ull /* 1 TiB: far from what ops map */

static uint8_t arena[(size_t)ARENA_PAGES * 4096] __attribute__((aligned(4096)));
static bool page_used[ARENA_PAGES];
static unsigned free_stack[ARENA_PAGES];
static unsigned free_top;
static unsigned live;
static unsigned budget;     /* most pages live at once */
static bool alloc_refused;  /* set when a request was turned down */
static struct pagetable *hook_pt;

static paddr_t fz_alloc(void *ctx)
{
    (void)ctx;
    if (live >= budget || free_top == 0) {
        alloc_refused = true;
        return PT_PADDR_NONE;
    }
    unsigned i = free_stack[--free_top];
    CHECK(!page_used[i]);
    page_used[i] = true;
    live++;
    memset(arena + (size_t)i * 4096, 0xA5, 4096);
    return ARENA_PA + (paddr_t)i * 4096;
}

static unsigned fz_slot(paddr_t pa)
{
    CHECK(pa >= ARENA_PA && (pa & 0xfff) == 0);
    CHECK((pa - ARENA_PA) / 4096 < ARENA_PAGES);
    unsigned i = (unsigned)((pa - ARENA_PA) / 4096);
    CHECK(page_used[i]);
    return i;
}

static void fz_free(void *ctx, paddr_t pa)
{
    (void)ctx;
    unsigned i = fz_slot(pa);
    page_used[i] = false;
    live--;
    memset(arena + (size_t)i * 4096, 0x5A, 4096);
    free_stack[free_top++] = i;
}

static void *fz_p2v(void *ctx, paddr_t pa)
{
    (void)ctx;
    return arena + (size_t)fz_slot(pa) * 4096;
}

/* Break-before-make: whatever was invalidated no longer translates. */
static void fz_invalidate(void *ctx, vaddr_t va, uint64_t size)
{
    (void)ctx;
    CHECK(size >= 4096 && (va & (size - 1)) == 0);
    CHECK(pt_query(hook_pt, va, NULL, NULL, NULL) == -AX_ENOENT);
}

static void arena_reset(unsigned pages)
{
    memset(page_used, 0, sizeof(page_used));
    for (unsigned i = 0; i < ARENA_PAGES; i++)
        free_stack[i] = ARENA_PAGES - 1 - i;
    free_top = ARENA_PAGES;
    live = 0;
    budget = pages;
}

/* ---- reference model ---------------------------------------------------- */

struct iv {
    uint64_t va, pa, size;
    uint32_t attrs;
};

#define MODEL_CAP 1024u
static struct iv model[MODEL_CAP];
static unsigned nmodel;

static int model_find(uint64_t va)
{
    for (unsigned i = 0; i < nmodel; i++)
        if (va >= model[i].va && va - model[i].va < model[i].size)
            return (int)i;
    return -1;
}

static uint64_t model_covered(uint64_t s, uint64_t e)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < nmodel; i++) {
        uint64_t a = model[i].va > s ? model[i].va : s;
        uint64_t b = model[i].va + model[i].size < e ? model[i].va + model[i].size : e;
        if (a < b)
            n += b - a;
    }
    return n;
}

static void model_add(uint64_t va, uint64_t pa, uint64_t size, uint32_t attrs)
{
    CHECK(nmodel < MODEL_CAP);
    model[nmodel++] = (struct iv){ va, pa, size, attrs };
}

/* Cuts [s, e) out of every interval; returns the pieces removed through
 * `cut` (may be NULL) so protect can re-add them. */
static void model_remove(uint64_t s, uint64_t e, struct iv *cut, unsigned *ncut)
{
    unsigned n = nmodel;
    for (unsigned i = 0; i < n;) {
        struct iv v = model[i];
        uint64_t ve = v.va + v.size;
        if (ve <= s || v.va >= e) {
            i++;
            continue;
        }
        model[i] = model[--n];
        nmodel = n;
        uint64_t a = v.va > s ? v.va : s, b = ve < e ? ve : e;
        if (cut)
            cut[(*ncut)++] = (struct iv){ a, v.pa + (a - v.va), b - a, v.attrs };
        if (v.va < s)
            model[nmodel++] = (struct iv){ v.va, v.pa, s - v.va, v.attrs };
        if (ve > e)
            model[nmodel++] = (struct iv){ e, v.pa + (e - v.va), ve - e, v.attrs };
        n = nmodel;
        /* the slot i now holds an unvisited interval (or one just added,
         * which lies outside [s, e) and is skipped) */
    }
}

static struct iv cutbuf[MODEL_CAP];

static void model_protect(uint64_t s, uint64_t e, uint32_t attrs)
{
    unsigned ncut = 0;
    model_remove(s, e, cutbuf, &ncut);
    for (unsigned i = 0; i < ncut; i++)
        model_add(cutbuf[i].va, cutbuf[i].pa, cutbuf[i].size, attrs);
}

/* ---- input --------------------------------------------------------------- */

struct in {
    const uint8_t *p;
    size_t n;
};

static uint8_t in_u8(struct in *in)
{
    if (in->n == 0)
        return 0;
    in->n--;
    return *in->p++;
}

static uint16_t in_u16(struct in *in)
{
    uint16_t lo = in_u8(in);
    return (uint16_t)(lo | (uint16_t)in_u8(in) << 8);
}

static const uint64_t grains[4] = { 1ull << 12, 1ull << 21, 1ull << 30, 1ull << 12 };

#define WINDOW (8ull << 30)
#define SCAN (16ull << 30)

struct run {
    struct pagetable pt;
    const struct pt_format *fmt;
    uint64_t top, base, scan_end;
};

static uint64_t gen_addr(struct in *in, uint64_t span)
{
    uint8_t b = in_u8(in);
    uint64_t off = ((uint64_t)in_u16(in) * grains[b & 3]) % span;
    if (b & 4)
        off += (uint64_t)(in_u8(in) & 7) << 12;
    return off;
}

static uint64_t gen_size(struct in *in)
{
    uint8_t b = in_u8(in);
    uint8_t c = in_u8(in);
    uint64_t unit = grains[b & 3];
    uint64_t size = unit * (1 + (unit == grains[2] ? c % 2 : c % 8));
    if (b & 4)
        size += (uint64_t)(c >> 4) << 12;
    if ((b & 8) && size > 4096)
        size -= 4096;
    return size;
}

/* ---- expectations -------------------------------------------------------- */

static bool attrs_bad(const struct pt_format *f, uint32_t a)
{
    if (a & ~PT_ATTR_ALL)
        return true;
    if ((a & PT_DEVICE) && (a & PT_NC))
        return true;
    return ((a & f->attrs_supported) & f->attrs_required) != f->attrs_required;
}

static bool range_bad(const struct run *r, uint64_t va, uint64_t size)
{
    return size == 0 || (va & 0xfff) || (size & 0xfff) || size > r->top ||
           va > r->top - size;
}

static bool pa_bad(uint64_t pa, uint64_t size)
{
    uint64_t lim = 1ull << 48;
    return (pa & 0xfff) || size > lim || pa > lim - size;
}

/* Checks one query answer against the model. Returns where the next
 * distinct region starts. */
static uint64_t check_query(const struct run *r, uint64_t va)
{
    paddr_t pa = 0;
    uint32_t attrs = 0;
    uint64_t msize = 0;
    int rc = pt_query(&r->pt, va, &pa, &attrs, &msize);
    if (va >= r->top) {
        CHECK(rc == -AX_EINVAL);
        return va;
    }
    CHECK(msize == (1ull << 12) || msize == (1ull << 21) ||
          msize == (1ull << 30) || msize == (1ull << 39));
    uint64_t b = va & ~(msize - 1);
    int i = model_find(va);
    if (i < 0) {
        CHECK(rc == -AX_ENOENT);
        /* the reported hole really is empty */
        CHECK(model_covered(b, b + msize) == 0);
        return b + msize;
    }
    const struct iv *v = &model[i];
    CHECK(rc == 0);
    CHECK(pa == v->pa + (va - v->va));
    CHECK(attrs == v->attrs);
    CHECK(msize <= (1ull << 30));
    /* a leaf never spans two model intervals */
    CHECK(b >= v->va && b + msize <= v->va + v->size);
    CHECK((pa & (msize - 1)) == (va & (msize - 1)));
    return b + msize;
}

static void check_all(const struct run *r)
{
    uint64_t mapped = 0;
    for (uint64_t va = r->base; va < r->scan_end;) {
        uint64_t next = check_query(r, va);
        if (model_find(va) >= 0)
            mapped += (next < r->scan_end ? next : r->scan_end) - va;
        CHECK(next > va);
        va = next;
    }
    CHECK(mapped == model_covered(r->base, r->scan_end));
    CHECK(mapped == model_covered(0, UINT64_MAX));
}

/* ---- ops ----------------------------------------------------------------- */

static void op_map(struct run *r, struct in *in, uint8_t flags)
{
    uint64_t va = r->base + gen_addr(in, WINDOW);
    uint64_t pa = gen_addr(in, 64ull << 30);
    uint64_t size = gen_size(in);
    uint32_t attrs = in_u8(in) & 0x3f;
    if (flags & 0x10)
        attrs |= PT_R | PT_W; /* mostly usable mappings */
    /* all-4K mappings cost a store per page: keep them to 64 MiB so runs
     * stay fast */
    if (((va ^ pa) & ((1ull << 21) - 1)) && size > (64ull << 20))
        size = 64ull << 20;
    if ((flags & 0xe0) == 0xe0) { /* now and then, a bad argument */
        switch (in_u8(in) & 7) {
        case 0: va |= 0x800; break;
        case 1: pa |= 0x10; break;
        case 2: size = 0; break;
        case 3: attrs |= 0x40; break;
        case 4: pa = (1ull << 48) - 4096; break;
        case 5: va = r->top - 4096; size += 4096; break; /* past the top */
        case 6: size |= 1; break;
        default: attrs |= PT_DEVICE | PT_NC; break;
        }
    }

    unsigned before = live;
    alloc_refused = false;
    int rc = pt_map(&r->pt, va, pa, size, attrs);
    if (range_bad(r, va, size) || pa_bad(pa, size) || attrs_bad(r->fmt, attrs)) {
        CHECK(rc == -AX_EINVAL);
        CHECK(live == before);
        return;
    }
    if (model_covered(va, va + size)) {
        CHECK(rc == -AX_EEXIST);
        CHECK(live == before);
        return;
    }
    if (rc == -AX_ENOMEM) {
        CHECK(alloc_refused);
        CHECK(live == before); /* rolled back, tables included */
        check_query(r, va);
        check_query(r, va + size - 4096);
        return;
    }
    CHECK(rc == 0);
    model_add(va, pa, size, attrs & r->fmt->attrs_supported);
    check_query(r, va);
    check_query(r, va + size - 4096);
    if (va >= 4096)
        check_query(r, va - 4096);
    if (va + size < r->top)
        check_query(r, va + size);
}

static void op_unmap(struct run *r, struct in *in, uint8_t flags)
{
    uint64_t va = r->base + gen_addr(in, WINDOW);
    uint64_t size = gen_size(in);
    if ((flags & 0xe0) == 0xe0)
        va |= 0x800;

    alloc_refused = false;
    int rc = pt_unmap(&r->pt, va, size);
    if (range_bad(r, va, size)) {
        CHECK(rc == -AX_EINVAL);
        return;
    }
    if (rc == -AX_ENOMEM) {
        CHECK(alloc_refused);
    } else {
        CHECK(rc == 0);
        model_remove(va, va + size, NULL, NULL);
    }
    check_query(r, va);
    check_query(r, va + size - 4096);
    if (va >= 4096)
        check_query(r, va - 4096);
    if (va + size < r->top)
        check_query(r, va + size);
}

static void op_protect(struct run *r, struct in *in, uint8_t flags)
{
    uint64_t va = r->base + gen_addr(in, WINDOW);
    uint64_t size = gen_size(in);
    uint32_t attrs = in_u8(in) & 0x3f;
    if (flags & 0x10)
        attrs |= PT_R;
    if ((flags & 0xe0) == 0xe0)
        attrs |= 0x80;

    alloc_refused = false;
    int rc = pt_protect(&r->pt, va, size, attrs);
    if (range_bad(r, va, size) || attrs_bad(r->fmt, attrs)) {
        CHECK(rc == -AX_EINVAL);
        return;
    }
    if (model_covered(va, va + size) != size) {
        CHECK(rc == -AX_ENOENT);
        return;
    }
    if (rc == -AX_ENOMEM) {
        CHECK(alloc_refused);
    } else {
        CHECK(rc == 0);
        model_protect(va, va + size, attrs & r->fmt->attrs_supported);
    }
    check_query(r, va);
    check_query(r, va + size - 4096);
}

static void op_query(struct run *r, struct in *in, uint8_t flags)
{
    uint64_t va = r->base + gen_addr(in, SCAN);
    if ((flags & 0xe0) == 0xe0)
        va = r->top + (va & 0xfff000);
    va |= (uint64_t)(in_u8(in) & 0xf) << 8; /* inside the page too */
    check_query(r, va);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct {
        const struct pt_format *fmt;
        unsigned bits;
    } kinds[4] = {
        { &pte_aarch64_s1, 48 },
        { &pte_aarch64_s1, 39 },
        { &pte_aarch64_s2, 40 },
        { &pte_aarch64_s2, 39 },
    };
    struct in in = { data, size };
    uint8_t h = in_u8(&in);
    uint8_t b = in_u8(&in);
    struct run r;
    struct pt_env env = {
        .alloc_page = fz_alloc,
        .free_page = fz_free,
        .phys_to_virt = fz_p2v,
        .invalidate = (h & 0x20) ? fz_invalidate : NULL,
        .store_barrier = NULL,
        .ctx = NULL,
    };

    arena_reset(ARENA_PAGES);
    nmodel = 0;
    r.fmt = kinds[h & 3].fmt;
    CHECK(pt_init_bits(&r.pt, r.fmt, kinds[h & 3].bits, &env) == 0);
    hook_pt = &r.pt;
    r.top = 1ull << r.pt.va_bits;
    switch ((h >> 2) & 7) {
    case 1: r.base = r.top - WINDOW; break;
    case 2: r.base = r.top > (1ull << 40) ? (1ull << 39) - (4ull << 30) : 0; break;
    case 3: r.base = (1ull << 30) - (4ull << 20); break;
    case 4: r.base = r.top - SCAN; break;
    default: r.base = 0; break;
    }
    r.scan_end = r.base + SCAN < r.top ? r.base + SCAN : r.top;
    budget = b < 128 ? ARENA_PAGES : 1u + (b - 128u);

    for (unsigned n = 0; in.n > 0 && n < 200 && nmodel + 3 < MODEL_CAP; n++) {
        uint8_t op = in_u8(&in);
        switch (op & 3) {
        case 0: op_map(&r, &in, op); break;
        case 1: op_unmap(&r, &in, op); break;
        case 2: op_query(&r, &in, op); break;
        default: op_protect(&r, &in, op); break;
        }
    }

    check_all(&r);
    budget = ARENA_PAGES;
    CHECK(pt_unmap(&r.pt, r.base, r.scan_end - r.base) == 0);
    CHECK(live == 1);
    pt_destroy(&r.pt);
    CHECK(live == 0);
    return 0;
}
