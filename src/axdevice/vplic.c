/* A virtual PLIC; the model is described in ax/vplic.h. */
#include "ax/vplic.h"
#include "ax/string.h"

static uint64_t src_mask(const struct vplic *p)
{
    return p->nsrc >= 64 ? ~1ULL : ((1ULL << p->nsrc) - 1) & ~1ULL;
}

/* The best source context ctx could claim now, or 0. */
static unsigned best_source(const struct vplic *p, unsigned ctx)
{
    uint64_t cand = p->pending & p->enable[ctx] & src_mask(p);
    unsigned best = 0;
    uint32_t best_prio = p->threshold[ctx];
    for (unsigned s = 1; s < p->nsrc && cand; s++) {
        if (!(cand >> s & 1))
            continue;
        if (p->priority[s] > best_prio) {
            best = s;
            best_prio = p->priority[s];
        }
    }
    return best;
}

/* Recompute every context's output and tell the owner about changes. */
static void update(struct vplic *p)
{
    for (unsigned c = 0; c < p->nctx; c++) {
        bool on = best_source(p, c) != 0;
        bool was = p->output >> c & 1;
        if (on == was)
            continue;
        p->output = (uint8_t)(on ? p->output | (1u << c) : p->output & ~(1u << c));
        if (p->notify)
            p->notify(p->arg, c, on);
    }
}

int vplic_init(struct vplic *p, unsigned nsrc, unsigned nctx,
               void (*notify)(void *arg, unsigned ctx, bool level), void *arg)
{
    if (nsrc < 2 || nsrc > VPLIC_MAX_SRC || nctx < 1 || nctx > VPLIC_MAX_CTX)
        return -AX_EINVAL;
    memset(p, 0, sizeof(*p));
    p->nsrc = nsrc;
    p->nctx = nctx;
    p->notify = notify;
    p->arg = arg;
    return 0;
}

void vplic_set_level(struct vplic *p, unsigned src, bool level)
{
    if (src == 0 || src >= p->nsrc)
        return;
    uint64_t bit = 1ULL << src;
    if (level) {
        p->level |= bit;
        if (!(p->in_service & bit))
            p->pending |= bit;
    } else {
        /* a level source that drops before being claimed is no longer
         * pending (the gateway forwards the line as it is) */
        p->level &= ~bit;
        p->pending &= ~bit;
    }
    update(p);
}

bool vplic_output(const struct vplic *p, unsigned ctx)
{
    return ctx < p->nctx && (p->output >> ctx & 1);
}

static unsigned claim(struct vplic *p, unsigned ctx)
{
    unsigned s = best_source(p, ctx);
    if (s) {
        p->pending &= ~(1ULL << s);
        p->in_service |= 1ULL << s;
        update(p);
    }
    return s;
}

static void complete(struct vplic *p, unsigned ctx, uint32_t src)
{
    /* completing a source this context may not take, or one not in
     * service, is ignored, as on the hardware */
    if (src == 0 || src >= p->nsrc || !(p->enable[ctx] >> src & 1) || !(p->in_service >> src & 1))
        return;
    uint64_t bit = 1ULL << src;
    p->in_service &= ~bit;
    if (p->level & bit)
        p->pending |= bit;
    update(p);
}

uint32_t vplic_read(struct vplic *p, uint64_t off, unsigned width)
{
    if (width != 4 || (off & 3))
        return 0;
    if (off < VPLIC_PENDING) {
        unsigned s = (unsigned)(off / 4);
        return s > 0 && s < p->nsrc ? p->priority[s] : 0;
    }
    if (off < VPLIC_ENABLE) {
        uint64_t w = (off - VPLIC_PENDING) / 4;
        return w < 2 ? (uint32_t)((p->pending & src_mask(p)) >> (32 * w)) : 0;
    }
    if (off < VPLIC_CONTEXT) {
        uint64_t c = (off - VPLIC_ENABLE) / VPLIC_ENABLE_STRIDE, w = (off - VPLIC_ENABLE) % VPLIC_ENABLE_STRIDE / 4;
        return c < p->nctx && w < 2 ? (uint32_t)(p->enable[c] >> (32 * w)) : 0;
    }
    if (off >= VPLIC_WINDOW)
        return 0;
    uint64_t c = (off - VPLIC_CONTEXT) / VPLIC_CONTEXT_STRIDE, r = (off - VPLIC_CONTEXT) % VPLIC_CONTEXT_STRIDE;
    if (c >= p->nctx)
        return 0;
    if (r == 0)
        return p->threshold[c];
    if (r == 4)
        return claim(p, (unsigned)c);
    return 0;
}

void vplic_write(struct vplic *p, uint64_t off, unsigned width, uint32_t val)
{
    if (width != 4 || (off & 3))
        return;
    if (off < VPLIC_PENDING) {
        unsigned s = (unsigned)(off / 4);
        if (s > 0 && s < p->nsrc) {
            p->priority[s] = val & VPLIC_PRIO_MASK;
            update(p);
        }
        return;
    }
    if (off < VPLIC_ENABLE)
        return; /* pending bits are read-only */
    if (off < VPLIC_CONTEXT) {
        uint64_t c = (off - VPLIC_ENABLE) / VPLIC_ENABLE_STRIDE, w = (off - VPLIC_ENABLE) % VPLIC_ENABLE_STRIDE / 4;
        if (c < p->nctx && w < 2) {
            uint64_t keep = p->enable[c] & ~(0xffffffffULL << (32 * w));
            p->enable[c] = (keep | ((uint64_t)val << (32 * w))) & src_mask(p);
            update(p);
        }
        return;
    }
    if (off >= VPLIC_WINDOW)
        return;
    uint64_t c = (off - VPLIC_CONTEXT) / VPLIC_CONTEXT_STRIDE, r = (off - VPLIC_CONTEXT) % VPLIC_CONTEXT_STRIDE;
    if (c >= p->nctx)
        return;
    if (r == 0) {
        p->threshold[c] = val & VPLIC_PRIO_MASK;
        update(p);
    } else if (r == 4) {
        complete(p, (unsigned)c, val);
    }
}
