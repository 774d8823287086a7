/* Kernel heap: size-class slabs for small objects, frame runs for large ones.
 *
 * Both kinds keep a header at the start of their first 4 KiB page, and both
 * headers begin with a magic word mixed with the page number, so kfree() finds
 * the header by rounding the pointer down to its page and can tell a heap
 * page from anything else. Slab objects start at offset SLAB_HDR and large
 * allocations at offset LARGE_HDR (< SLAB_HDR), so the two never collide. */
#include "ax/heap.h"
#include "ax/spinlock.h"
#include "ax/string.h"

#define SLAB_MAGIC 0x534c4142u  /* "SLAB" */
#define LARGE_MAGIC 0x4c524745u /* "LRGE" */
#define SLAB_HDR 64
#define LARGE_HDR 16
#define SLAB_BYTES (FRAME_SIZE - SLAB_HDR)
#define SLAB_MAX_OBJS 256

/* Chosen so that each class fills most of a page (4032 usable bytes). */
static const uint16_t class_size[] = {
    16, 32, 48, 64, 96, 128, 192, 256, 336, 448, 672, 1008, 1344, HEAP_SLAB_MAX,
};
#define NCLASSES ARRAY_SIZE(class_size)

struct slab {
    uint32_t magic;
    uint16_t cls;
    uint16_t inuse;
    struct slab *next, *prev;
    uint64_t used[SLAB_MAX_OBJS / 64]; /* bit set = object allocated */
};

struct large_hdr {
    uint32_t magic;
    uint32_t npages;
    uint64_t size; /* requested */
};

_Static_assert(sizeof(struct slab) <= SLAB_HDR, "slab header too big");
_Static_assert(sizeof(struct large_hdr) == LARGE_HDR, "large header size");
_Static_assert(LARGE_HDR < SLAB_HDR, "large and slab offsets must differ");
_Static_assert(SLAB_BYTES / 16 <= SLAB_MAX_OBJS, "slab bitmap too small");

/* A slab is "partial" while it has a free object and "full" otherwise; an
 * empty slab goes straight back to the frame allocator. */
static struct {
    spinlock_t lock;
    struct slab *partial[NCLASSES];
    struct slab *full[NCLASSES];
    size_t in_use_bytes, live_allocs, slab_pages, large_pages;
    size_t large_allocs, large_bytes, bad_frees;
    heap_error_hook_t hook;
} hp;

static inline uint32_t page_tag(uintptr_t page)
{
    return (uint32_t)(page >> FRAME_SHIFT);
}

static inline unsigned class_cap(unsigned cls)
{
    return SLAB_BYTES / class_size[cls];
}

static int class_of(size_t size)
{
    for (unsigned c = 0; c < NCLASSES; c++) {
        if (size <= class_size[c])
            return (int)c;
    }
    return -1;
}

static unsigned popcount64(uint64_t x)
{
    unsigned n = 0;
    while (x) {
        x &= x - 1;
        n++;
    }
    return n;
}

/* ---- slab lists ------------------------------------------------------- */

static void slab_link(struct slab **head, struct slab *s)
{
    s->prev = NULL;
    s->next = *head;
    if (s->next)
        s->next->prev = s;
    *head = s;
}

static void slab_unlink(struct slab **head, struct slab *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        *head = s->next;
    if (s->next)
        s->next->prev = s->prev;
}

static struct slab *slab_new(unsigned cls)
{
    paddr_t pa = frame_alloc(0);
    if (pa == 0)
        return NULL;
    struct slab *s = frame_ptr(pa);
    memset(s, 0, sizeof(*s));
    s->magic = SLAB_MAGIC ^ page_tag((uintptr_t)s);
    s->cls = (uint16_t)cls;
    slab_link(&hp.partial[cls], s);
    hp.slab_pages++;
    return s;
}

static void *slab_alloc(unsigned cls)
{
    struct slab *s = hp.partial[cls];
    if (s == NULL && (s = slab_new(cls)) == NULL)
        return NULL;
    unsigned cap = class_cap(cls);
    unsigned idx = cap;
    for (unsigned w = 0; w * 64 < cap && idx == cap; w++) {
        uint64_t freebits = ~s->used[w];
        for (unsigned b = 0; b < 64 && freebits; b++, freebits >>= 1) {
            if (freebits & 1) {
                idx = w * 64 + b;
                break;
            }
        }
    }
    if (idx >= cap)
        return NULL; /* a partial slab with no free object: cannot happen */
    s->used[idx / 64] |= (uint64_t)1 << (idx % 64);
    if (++s->inuse == cap) {
        slab_unlink(&hp.partial[cls], s);
        slab_link(&hp.full[cls], s);
    }
    hp.in_use_bytes += class_size[cls];
    hp.live_allocs++;
    return (char *)s + SLAB_HDR + (size_t)idx * class_size[cls];
}

/* ---- large allocations ------------------------------------------------ */

static void *large_alloc(size_t size)
{
    size_t limit = (size_t)(((uint64_t)1 << FRAME_MAX_ORDER) * FRAME_SIZE) - LARGE_HDR;
    if (size > limit)
        return NULL;
    size_t npages = (size + LARGE_HDR + FRAME_SIZE - 1) / FRAME_SIZE;
    paddr_t pa = frame_alloc_pages(npages);
    if (pa == 0)
        return NULL;
    struct large_hdr *h = frame_ptr(pa);
    h->magic = LARGE_MAGIC ^ page_tag((uintptr_t)h);
    h->npages = (uint32_t)npages;
    h->size = size;
    size_t usable = npages * FRAME_SIZE - LARGE_HDR;
    hp.large_pages += npages;
    hp.large_allocs++;
    hp.large_bytes += usable;
    hp.in_use_bytes += usable;
    hp.live_allocs++;
    return (char *)h + LARGE_HDR;
}

/* ---- pointer validation ----------------------------------------------- */

enum owner { OWN_NONE, OWN_SLAB, OWN_LARGE };

struct owner_info {
    enum owner kind;
    struct slab *slab;
    struct large_hdr *large;
    unsigned idx;
    size_t usable;
};

/* Identify a live allocation from its pointer, without writing anything. */
static enum owner owner_of(const void *p, struct owner_info *o)
{
    uintptr_t addr = (uintptr_t)p;
    uintptr_t page = addr & ~(uintptr_t)(FRAME_SIZE - 1);
    size_t off = addr - page;
    o->kind = OWN_NONE;
    /* Never read through a pointer into memory that is not an allocated
     * frame: it may be unmapped, or a device. */
    if (addr == 0 || (addr & (HEAP_ALIGN - 1)) ||
        !frame_is_allocated(frame_paddr((const void *)page)))
        return OWN_NONE;
    uint32_t magic = *(const uint32_t *)page;
    if (off == LARGE_HDR && magic == (LARGE_MAGIC ^ page_tag(page))) {
        struct large_hdr *h = (struct large_hdr *)page;
        if (h->npages == 0 || h->npages > ((uint32_t)1 << FRAME_MAX_ORDER))
            return OWN_NONE;
        o->large = h;
        o->usable = (size_t)h->npages * FRAME_SIZE - LARGE_HDR;
        return o->kind = OWN_LARGE;
    }
    if (off < SLAB_HDR || magic != (SLAB_MAGIC ^ page_tag(page)))
        return OWN_NONE;
    struct slab *s = (struct slab *)page;
    if (s->cls >= NCLASSES)
        return OWN_NONE;
    size_t sz = class_size[s->cls];
    size_t idx = (off - SLAB_HDR) / sz;
    if ((off - SLAB_HDR) % sz != 0 || idx >= class_cap(s->cls) ||
        !(s->used[idx / 64] & ((uint64_t)1 << (idx % 64))))
        return OWN_NONE; /* interior pointer or already free */
    o->slab = s;
    o->idx = (unsigned)idx;
    o->usable = sz;
    return o->kind = OWN_SLAB;
}

static void slab_free(struct slab *s, unsigned idx)
{
    unsigned cls = s->cls, cap = class_cap(cls);
    s->used[idx / 64] &= ~((uint64_t)1 << (idx % 64));
    if (s->inuse-- == cap) {
        slab_unlink(&hp.full[cls], s);
        slab_link(&hp.partial[cls], s);
    }
    hp.in_use_bytes -= class_size[cls];
    hp.live_allocs--;
    if (s->inuse == 0) {
        slab_unlink(&hp.partial[cls], s);
        s->magic = 0; /* stale pointers into this page must not match */
        hp.slab_pages--;
        frame_free(frame_paddr(s), 0);
    }
}

static void large_free(struct large_hdr *h, size_t usable)
{
    uint32_t npages = h->npages;
    h->magic = 0;
    hp.large_pages -= npages;
    hp.large_allocs--;
    hp.large_bytes -= usable;
    hp.in_use_bytes -= usable;
    hp.live_allocs--;
    frame_free_pages(frame_paddr(h), npages);
}

static void report(const char *what, const void *p)
{
    heap_error_hook_t hook = __atomic_load_n(&hp.hook, __ATOMIC_ACQUIRE);
    if (hook)
        hook(what, p);
}

/* ---- public API ------------------------------------------------------- */

void heap_init(void)
{
    memset(&hp, 0, sizeof(hp));
}

void heap_set_error_hook(heap_error_hook_t hook)
{
    __atomic_store_n(&hp.hook, hook, __ATOMIC_RELEASE);
}

void *kmalloc(size_t size)
{
    int cls = class_of(size);
    unsigned long flags = spin_lock_irqsave(&hp.lock);
    void *p = cls >= 0 ? slab_alloc((unsigned)cls) : large_alloc(size);
    spin_unlock_irqrestore(&hp.lock, flags);
    return p;
}

void *kzalloc(size_t size)
{
    void *p = kmalloc(size);
    if (p)
        memset(p, 0, size);
    return p;
}

void *kcalloc(size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size)
        return NULL;
    return kzalloc(n * size);
}

int heap_free(void *p)
{
    if (p == NULL)
        return 0;
    struct owner_info o;
    unsigned long flags = spin_lock_irqsave(&hp.lock);
    enum owner kind = owner_of(p, &o);
    if (kind == OWN_SLAB)
        slab_free(o.slab, o.idx);
    else if (kind == OWN_LARGE)
        large_free(o.large, o.usable);
    else
        hp.bad_frees++;
    spin_unlock_irqrestore(&hp.lock, flags);
    if (kind == OWN_NONE) {
        report("kfree: pointer not allocated by the heap (or already freed)", p);
        return -AX_EINVAL;
    }
    return 0;
}

void kfree(void *p)
{
    (void)heap_free(p);
}

size_t kmalloc_usable_size(const void *p)
{
    if (p == NULL)
        return 0;
    struct owner_info o;
    unsigned long flags = spin_lock_irqsave(&hp.lock);
    size_t n = owner_of(p, &o) == OWN_NONE ? 0 : o.usable;
    spin_unlock_irqrestore(&hp.lock, flags);
    return n;
}

void *krealloc(void *p, size_t size)
{
    if (p == NULL)
        return kmalloc(size);
    if (size == 0) {
        kfree(p);
        return NULL;
    }
    size_t have = kmalloc_usable_size(p);
    if (have == 0) {
        unsigned long flags = spin_lock_irqsave(&hp.lock);
        hp.bad_frees++;
        spin_unlock_irqrestore(&hp.lock, flags);
        report("krealloc: pointer not allocated by the heap", p);
        return NULL;
    }
    if (size <= have)
        return p; /* shrinking keeps the block: frames are not split */
    void *n = kmalloc(size);
    if (n == NULL)
        return NULL;
    memcpy(n, p, have);
    kfree(p);
    return n;
}

void heap_stats(struct heap_stats *st)
{
    unsigned long flags = spin_lock_irqsave(&hp.lock);
    st->in_use_bytes = hp.in_use_bytes;
    st->reserved_bytes = (hp.slab_pages + hp.large_pages) * FRAME_SIZE;
    st->live_allocs = hp.live_allocs;
    st->slab_pages = hp.slab_pages;
    st->large_pages = hp.large_pages;
    st->bad_frees = hp.bad_frees;
    spin_unlock_irqrestore(&hp.lock, flags);
}

/* Check one slab list; adds its pages and objects to the totals. */
static int check_list(struct slab *head, unsigned cls, bool full, size_t *pages,
                      size_t *objs)
{
    unsigned cap = class_cap(cls);
    const struct slab *prev = NULL;
    for (const struct slab *s = head; s; prev = s, s = s->next) {
        if (++*pages > hp.slab_pages)
            return -AX_EFAULT; /* more slabs than counted, or a cycle */
        if ((uintptr_t)s & (FRAME_SIZE - 1) || s->prev != prev ||
            s->magic != (SLAB_MAGIC ^ page_tag((uintptr_t)s)) || s->cls != cls)
            return -AX_EFAULT;
        unsigned bits = 0;
        for (unsigned w = 0; w < SLAB_MAX_OBJS / 64; w++) {
            uint64_t word = s->used[w];
            if (w * 64 + 64 > cap) /* no bit may be set past the last object */
                word &= cap > w * 64 ? ~(~(uint64_t)0 << (cap - w * 64)) : 0;
            if (word != s->used[w])
                return -AX_EFAULT;
            bits += popcount64(word);
        }
        if (bits != s->inuse || s->inuse == 0 || (s->inuse == cap) != full)
            return -AX_EFAULT;
        *objs += s->inuse;
    }
    return 0;
}

int heap_check(void)
{
    unsigned long flags = spin_lock_irqsave(&hp.lock);
    size_t pages = 0, objs = 0, bytes = 0;
    int rc = 0;
    for (unsigned c = 0; c < NCLASSES && rc == 0; c++) {
        size_t before = objs;
        rc = check_list(hp.partial[c], c, false, &pages, &objs);
        if (rc == 0)
            rc = check_list(hp.full[c], c, true, &pages, &objs);
        bytes += (objs - before) * class_size[c];
    }
    if (rc == 0 && (pages != hp.slab_pages || objs + hp.large_allocs != hp.live_allocs ||
                    bytes + hp.large_bytes != hp.in_use_bytes))
        rc = -AX_EFAULT;
    spin_unlock_irqrestore(&hp.lock, flags);
    return rc;
}
