/* Fuzzes axaddrspace over the real frame allocator, heap, walker and the
 * aarch64 stage-2 format. Input bytes become add/remove/copy/zero/
 * translate/find/reset calls, plus allocator pressure (frames held by the
 * harness, some freed again to fragment memory) and destroy/re-init cycles.
 * A reference model keeps the regions and the guest-visible bytes:
 *   - every return code is predicted (-AX_ENOMEM is accepted where memory
 *     is involved, and must then leave frame and heap counters unchanged);
 *   - copies must give back what the model holds, and fail with nothing
 *     written whenever any byte is outside copyable memory;
 *   - translations must agree with pt_query, with the model's identical
 *     offsets and with the model's bytes at the host address;
 *   - at the end, destroy must return every frame and heap object.
 *
 * Guest addresses used: a 16 MiB window at GBASE (byte-granular offsets),
 * plus a few edge values (0, top of the input space, near UINT64_MAX).
 * Identical non-device regions point into host_mem, a harness buffer with
 * its own shadow (two regions may alias the same host bytes). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ax/addrspace.h"
#include "ax/heap.h"
#include "ax/pte_aarch64.h"

#define CHECK(c)                                                         \
    do {                                                                 \
        if (!(c)) {                                                      \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,       \
                    __LINE__, #c);                                       \
            abort();                                                     \
        }                                                                \
    } while (0)

#define ARENA_SIZE MiB(8)
#define GBASE 0x40000000ull
#define GWIN MiB(16)
#define HOST_SIZE MiB(1)
#define MAX_OPS 256
#define MAX_HELD 4096
#define MAX_COPY KiB(64)

static uint8_t *arena;
static uint8_t host_mem[HOST_SIZE] __attribute__((aligned(4096)));
static uint8_t host_shadow[HOST_SIZE];
static uint8_t guest_shadow[GWIN];     /* AS_ALLOC bytes in the window */
static uint8_t xfer[MAX_COPY];

struct mregion {
    uint64_t gpa, size, hpa;
    uint32_t flags, kind;
};

static struct mregion model[AS_MAX_REGIONS];
static unsigned nmodel;
static struct addrspace as;
static bool as_live;
static paddr_t held[MAX_HELD];
static unsigned nheld;

struct input {
    const uint8_t *d;
    size_t n, pos;
};

static uint8_t next8(struct input *in)
{
    return in->pos < in->n ? in->d[in->pos++] : 0;
}

static uint16_t next16(struct input *in)
{
    return (uint16_t)(next8(in) | (next8(in) << 8));
}

static uint64_t free_pages(void)
{
    struct frame_stats st;
    frame_stats(&st);
    return st.free_pages;
}

static size_t heap_live(void)
{
    struct heap_stats st;
    heap_stats(&st);
    return st.live_allocs;
}

/* ---- model ------------------------------------------------------------- */

static uint64_t as_top(void)
{
    return (uint64_t)1 << as.pt.va_bits;
}

static const struct mregion *model_find(uint64_t gpa)
{
    for (unsigned i = 0; i < nmodel; i++)
        if (gpa >= model[i].gpa && gpa - model[i].gpa < model[i].size)
            return &model[i];
    return NULL;
}

static bool m_mapped(const struct mregion *r)
{
    return r->kind == AS_ALLOC || r->kind == AS_IDENTICAL;
}

static bool m_copyable(const struct mregion *r)
{
    return m_mapped(r) && !(r->flags & PT_DEVICE);
}

/* The model's byte for gpa (which lies in a copyable region). */
static uint8_t *m_byte(const struct mregion *r, uint64_t gpa)
{
    if (r->kind == AS_IDENTICAL)
        return &host_shadow[r->hpa + (gpa - r->gpa) - (uintptr_t)host_mem];
    return &guest_shadow[gpa - GBASE];
}

/* Is [gpa, gpa + len) all copyable? Steps region by region. */
static bool m_range_ok(uint64_t gpa, uint64_t len)
{
    if (len > UINT64_MAX - gpa)
        return false;
    while (len) {
        const struct mregion *r = model_find(gpa);
        if (!r || !m_copyable(r))
            return false;
        uint64_t here = r->gpa + r->size - gpa;
        if (here >= len)
            return true;
        gpa += here;
        len -= here;
    }
    return true;
}

static int m_expect_add(uint64_t gpa, uint64_t size, uint32_t flags,
                        uint32_t kind, uint64_t hpa)
{
    if (kind > AS_EMULATED || size == 0 || (gpa | size) & (PAGE_SIZE - 1))
        return -AX_EINVAL;
    if (size > as_top() || gpa > as_top() - size)
        return -AX_EINVAL;
    if ((flags & ~PT_ATTR_ALL) || ((flags & PT_DEVICE) && (flags & PT_NC)))
        return -AX_EINVAL;
    if (kind == AS_IDENTICAL &&
        ((hpa & (PAGE_SIZE - 1)) || hpa + size > (1ull << 48) || hpa + size < hpa))
        return -AX_EINVAL;
    for (unsigned i = 0; i < nmodel; i++)
        if (gpa < model[i].gpa + model[i].size && model[i].gpa < gpa + size)
            return -AX_EEXIST;
    if (nmodel == AS_MAX_REGIONS)
        return -AX_ENOSPC;
    return 0;
}

/* ---- checks ------------------------------------------------------------ */

static void check_stats(void)
{
    struct as_stats st;
    as_get_stats(&as, &st);
    uint64_t ram = 0;
    for (unsigned i = 0; i < nmodel; i++)
        ram += model[i].kind == AS_ALLOC ? model[i].size : 0;
    CHECK(st.regions == nmodel);
    CHECK(st.ram_bytes == ram);
    CHECK(st.table_pages >= 1);
    CHECK(st.chunks >= (ram + MiB(2) - 1) / MiB(2));
    CHECK(st.chunks <= ram / PAGE_SIZE);
}

/* One address: as_find, as_translate and pt_query against the model. */
static void check_addr(uint64_t gpa)
{
    const struct mregion *m = gpa < as_top() ? model_find(gpa) : NULL;
    const struct as_region *r = as_find(&as, gpa);
    CHECK((r == NULL) == (m == NULL));
    if (m)
        CHECK(r->gpa == m->gpa && r->size == m->size && r->kind == m->kind &&
              r->flags == m->flags);

    paddr_t hpa = 1, pa;
    uint64_t contig = 1, msize;
    uint32_t attrs;
    int err = as_translate(&as, gpa, &hpa, &contig);
    if (!m || !m_mapped(m)) {
        CHECK(err == -AX_EFAULT && hpa == 1 && contig == 1);
        if (gpa < as_top())
            CHECK(pt_query(&as.pt, gpa, NULL, NULL, NULL) == -AX_ENOENT);
        return;
    }
    CHECK(err == 0);
    uint64_t left = m->gpa + m->size - gpa;
    CHECK(contig >= 1 && contig <= left);
    if (m->kind == AS_IDENTICAL) {
        CHECK(hpa == m->hpa + (gpa - m->gpa));
        CHECK(contig == left);
    } else {
        CHECK(contig <= MiB(2));
        CHECK(hpa >= (uintptr_t)arena && hpa - (uintptr_t)arena < ARENA_SIZE);
        CHECK(ARENA_SIZE - (hpa - (uintptr_t)arena) >= contig);
        CHECK(frame_is_allocated(hpa));
    }
    CHECK(pt_query(&as.pt, gpa, &pa, &attrs, &msize) == 0);
    CHECK(pa == hpa);
    CHECK(attrs == (m->flags & pte_aarch64_s2.attrs_supported));
    if (m_copyable(m))
        CHECK(*(uint8_t *)frame_ptr(hpa) == *m_byte(m, gpa));
}

/* Everything in every mapped region, page by page (and the bytes). */
static void check_all(void)
{
    check_stats();
    for (unsigned i = 0; i < nmodel; i++) {
        const struct mregion *m = &model[i];
        for (uint64_t off = 0; off < m->size; off += PAGE_SIZE) {
            check_addr(m->gpa + off);
            if (m_copyable(m) && m->size <= GWIN) {
                paddr_t hpa;
                uint64_t contig;
                CHECK(as_translate(&as, m->gpa + off, &hpa, &contig) == 0);
                CHECK(memcmp(frame_ptr(hpa), m_byte(m, m->gpa + off), PAGE_SIZE) == 0);
            }
        }
    }
}

/* ---- operations -------------------------------------------------------- */

static uint64_t pick_gpa(struct input *in, bool page_aligned)
{
    uint8_t sel = next8(in);
    uint64_t off = (uint64_t)next16(in) << 8 | next8(in); /* 24 bits */
    switch (sel & 7) {
    case 0:
        return 0;
    case 1:
        return as_top() - ((uint64_t)(sel >> 3) << PAGE_SHIFT) - (page_aligned ? 0 : 1);
    case 2:
        return UINT64_MAX - (page_aligned ? 0xFFF : sel);
    default:
        off %= GWIN;
        return GBASE + (page_aligned ? ALIGN_DOWN(off, PAGE_SIZE) : off);
    }
}

static void op_add(struct input *in)
{
    uint8_t k = next8(in);
    uint64_t gpa = pick_gpa(in, !(k & 0x80));
    uint64_t pages = 1 + next16(in) % ((k & 0x40) ? 1024 : 64);
    uint64_t size = pages * PAGE_SIZE;
    uint32_t kind = k & 3;
    uint32_t flags = next8(in);
    if (!(k & 0x20))
        flags &= PT_ATTR_ALL;
    if ((k & 0x1C) == 0x1C) /* rarely: a bad size or kind */
        size = (k & 1) ? 0 : size + 8;
    if ((k & 0x1C) == 0x18)
        kind = 4 + (k & 1);
    /* RAM stays inside the window the shadow covers. */
    if (kind == AS_ALLOC && (gpa < GBASE || gpa - GBASE >= GWIN))
        gpa = GBASE + (gpa & (GWIN - 1));
    if (kind == AS_ALLOC && gpa >= GBASE && size > GBASE + GWIN - gpa)
        size = GBASE + GWIN - gpa;
    uint64_t hpa = 0;
    if (kind == AS_IDENTICAL) {
        if (flags & PT_DEVICE) {
            hpa = 0x09000000 + ((uint64_t)next8(in) << PAGE_SHIFT);
        } else {
            /* Inside host_mem, so copies through it are real memory. */
            uint64_t hp = next8(in) % (HOST_SIZE / PAGE_SIZE);
            if (size > HOST_SIZE - hp * PAGE_SIZE)
                size = HOST_SIZE - hp * PAGE_SIZE;
            hpa = (uintptr_t)host_mem + hp * PAGE_SIZE;
        }
    }

    int want = m_expect_add(gpa, size, flags, kind, hpa);
    uint64_t free0 = free_pages();
    size_t live0 = heap_live();
    struct as_stats st0;
    as_get_stats(&as, &st0);
    int err = as_add_region(&as, gpa, size, flags, (enum as_kind)kind, hpa);

    if (err == -AX_ENOMEM && want == 0 && kind != AS_RESERVED &&
        kind != AS_EMULATED) {
        CHECK(free_pages() == free0);
        CHECK(heap_live() == live0);
        struct as_stats st;
        as_get_stats(&as, &st);
        CHECK(st.table_pages == st0.table_pages && st.chunks == st0.chunks);
        return;
    }
    CHECK(err == want);
    if (err) {
        CHECK(free_pages() == free0 && heap_live() == live0);
        return;
    }
    struct mregion *m = &model[nmodel++];
    *m = (struct mregion){ gpa, size, kind == AS_IDENTICAL ? hpa : 0, flags, kind };
    /* New RAM reads as zero; inside the window the shadow follows it. */
    if (kind == AS_ALLOC) {
        CHECK(gpa >= GBASE && gpa - GBASE + size <= GWIN);
        memset(&guest_shadow[gpa - GBASE], 0, size);
    }
}

static void op_remove(struct input *in)
{
    uint8_t k = next8(in);
    if (nmodel && !(k & 0x80)) {
        unsigned i = k % nmodel;
        CHECK(as_remove_region(&as, model[i].gpa) == 0);
        model[i] = model[--nmodel];
        return;
    }
    uint64_t gpa = pick_gpa(in, true);
    const struct mregion *m = model_find(gpa);
    int want = m && m->gpa == gpa ? 0 : -AX_ENOENT;
    CHECK(as_remove_region(&as, gpa) == want);
    if (!want) {
        unsigned i = (unsigned)(m - model);
        model[i] = model[--nmodel];
    }
}

static void op_copy(struct input *in, unsigned which)
{
    uint64_t gpa = pick_gpa(in, false);
    uint8_t l = next8(in);
    size_t len = (l & 0x80) ? (size_t)next16(in) % (MAX_COPY + 1) : (size_t)(l & 0x7F);
    if ((l & 0xF0) == 0x70)
        len = (size_t)1 << 63; /* overflowing lengths */
    bool ok = len == 0 || m_range_ok(gpa, len);
    uint8_t seed = next8(in);

    if (which == 0) { /* to guest */
        size_t n = MIN(len, (size_t)MAX_COPY);
        for (size_t i = 0; i < n; i++)
            xfer[i] = (uint8_t)(seed + i * 7);
        if (len > MAX_COPY) {
            CHECK(!ok);
            CHECK(as_copy_to_guest(&as, gpa, xfer, len) == -AX_EFAULT);
            return;
        }
        int err = (seed & 1) ? as_load_image(&as, gpa, xfer, len)
                             : as_copy_to_guest(&as, gpa, xfer, len);
        CHECK(err == (ok ? 0 : -AX_EFAULT));
        for (size_t i = 0; ok && i < len; i++)
            *m_byte(model_find(gpa + i), gpa + i) = xfer[i];
    } else if (which == 1) { /* from guest */
        if (len > MAX_COPY) {
            CHECK(!ok);
            CHECK(as_copy_from_guest(&as, xfer, gpa, len) == -AX_EFAULT);
            return;
        }
        memset(xfer, seed, len);
        int err = as_copy_from_guest(&as, xfer, gpa, len);
        CHECK(err == (ok ? 0 : -AX_EFAULT));
        for (size_t i = 0; i < len; i++)
            CHECK(xfer[i] == (ok ? *m_byte(model_find(gpa + i), gpa + i) : seed));
    } else { /* zero */
        CHECK(as_zero_guest(&as, gpa, len) == (ok ? 0 : -AX_EFAULT));
        for (size_t i = 0; ok && i < len; i++)
            *m_byte(model_find(gpa + i), gpa + i) = 0;
    }
}

/* Allocator pressure: hold single pages (optionally giving every even one
 * back, so free memory is single pages), or release held ones. */
static void op_pressure(struct input *in)
{
    uint8_t k = next8(in);
    unsigned n = 1 + next8(in) * ((k & 0x20) ? 8u : 1u);
    if (k & 0x80) {
        for (unsigned i = 0; i < n && nheld; i++)
            CHECK(frame_free(held[--nheld], 0) == 0);
        return;
    }
    unsigned first = nheld;
    for (unsigned i = 0; i < n && nheld < MAX_HELD; i++) {
        paddr_t pa = frame_alloc(0);
        if (!pa)
            break;
        held[nheld++] = pa;
    }
    if (k & 0x40) {
        unsigned w = first;
        for (unsigned i = first; i < nheld; i++) {
            if ((held[i] / PAGE_SIZE) & 1)
                held[w++] = held[i];
            else
                CHECK(frame_free(held[i], 0) == 0);
        }
        nheld = w;
    }
}

static void fresh_as(struct input *in)
{
    static const unsigned bits[] = { 0, 39, 40, 48 };
    CHECK(as_init(&as, &pte_aarch64_s2, bits[next8(in) & 3]) == 0);
    as_live = true;
    nmodel = 0;
}

static void teardown_as(void)
{
    if (!as_live)
        return;
    check_all();
    as_destroy(&as);
    as_live = false;
    nmodel = 0;
    struct as_stats st;
    as_get_stats(&as, &st);
    CHECK(st.table_pages == 0 && st.regions == 0 && st.ram_bytes == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!arena) {
        arena = aligned_alloc(ARENA_SIZE, ARENA_SIZE);
        CHECK(arena);
        memset(arena, 0xa5, ARENA_SIZE);
    }
    struct input in = { data, size, 0 };
    frame_init();
    CHECK(frame_add_range((uintptr_t)arena, ARENA_SIZE) == 0);
    heap_init();
    nheld = 0;
    memcpy(host_shadow, host_mem, HOST_SIZE);
    uint64_t free_start = free_pages();

    fresh_as(&in);
    for (unsigned ops = 0; ops < MAX_OPS && in.pos < in.n; ops++) {
        uint8_t op = next8(&in);
        switch (op % 12) {
        case 0:
        case 1:
            op_add(&in);
            break;
        case 2:
            op_remove(&in);
            break;
        case 3:
        case 4:
        case 5:
            op_copy(&in, (op % 12) - 3);
            break;
        case 6:
            check_addr(pick_gpa(&in, false));
            break;
        case 7:
            as_reset_ram(&as);
            for (unsigned i = 0; i < nmodel; i++)
                if (model[i].kind == AS_ALLOC)
                    memset(&guest_shadow[model[i].gpa - GBASE], 0, model[i].size);
            break;
        case 8:
            op_pressure(&in);
            break;
        case 9:
            check_all();
            break;
        case 10:
            if (op & 0x80) { /* destroy and start over */
                teardown_as();
                CHECK(heap_live() == 0);
                CHECK(free_pages() + nheld == free_start);
                fresh_as(&in);
            }
            break;
        default:
            check_stats();
            break;
        }
    }
    teardown_as();
    while (nheld)
        CHECK(frame_free(held[--nheld], 0) == 0);
    CHECK(heap_live() == 0);
    CHECK(free_pages() == free_start);
    CHECK(frame_check() == 0);
    CHECK(heap_check() == 0);
    /* Identical regions wrote through to host memory exactly as modelled. */
    CHECK(memcmp(host_mem, host_shadow, HOST_SIZE) == 0);
    return 0;
}
