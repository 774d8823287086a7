/* libFuzzer harness for the FDT writer.
 *
 * The input is decoded into a sequence of writer calls (nodes, every kind
 * of property, /memreserve/ entries, finish, and misuse such as bad names,
 * duplicates, props after children, ends without begins, too deep trees).
 * A small independent model of the writer's rules predicts each call's
 * result; the calls run on a large buffer at an odd address and every
 * result must match. A finished blob is parsed back with fdt_init and
 * walked, and the node/property/reserve sequence must equal what was
 * written.
 *
 * The same calls are then replayed into an exact-size heap buffer (ASan
 * catches any byte written past it) of a size around the blob's: they must
 * succeed with identical bytes iff the blob fits, otherwise fail with
 * -AX_ENOSPC (or with the predicted misuse error, whichever comes first),
 * and errors must be sticky. */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ax/fdt.h"
#include "ax/fdt_writer.h"

#define MAX_OPS 512
#define BIG (256 * 1024) /* bigger than any sequence of MAX_OPS calls needs */
#define MAX_EVENTS (MAX_OPS + FDT_MAX_DEPTH + 2)
#define MAX_NAME 300

enum kind {
    K_BEGIN, K_END, K_PROP, K_U32, K_U64, K_CELLS, K_STRING, K_LIST, K_EMPTY,
    K_RESERVE, K_FINISH, K_PROP_NULL, K_COUNT
};

struct op {
    uint8_t kind;
    char name[MAX_NAME];
    uint8_t data[96]; /* raw input of PROP, encoded value of the others */
    size_t len;
    uint32_t cells[8];
    size_t ncells;
    char strs[4][16];
    const char *list[4];
    size_t nlist;
    uint64_t a, b; /* reserve; u32/u64 value in a */
};

struct event {
    uint8_t kind; /* K_BEGIN, K_END, K_PROP */
    const struct op *op;
};

struct model {
    bool started, root_done, finished;
    unsigned depth;
    bool props_open;
    const char *props[MAX_OPS]; /* names in the open node */
    unsigned nprops;
    int err;
};

static struct op ops[MAX_OPS];
static int results[MAX_OPS + 1];
static struct event events[MAX_EVENTS];
static unsigned nevents;
static uint64_t rsv[MAX_OPS][2];
static unsigned nrsv;
static uint8_t big_raw[BIG + 1];

#define CHECK(c)                                                               \
    do {                                                                       \
        if (!(c)) {                                                            \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c); \
            abort();                                                           \
        }                                                                      \
    } while (0)

/* ---- input decoding ---- */

struct in {
    const uint8_t *p;
    size_t n;
};

static uint8_t take(struct in *in)
{
    if (!in->n)
        return 0;
    in->n--;
    return *in->p++;
}

static uint64_t take_n(struct in *in, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v = v << 8 | take(in);
    return v;
}

static void be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Mostly a few common names (to get duplicates and shared strings), else
 * raw bytes that may be invalid, empty or too long. */
static void take_name(struct in *in, char *out)
{
    static const char *const common[] = {
        "compatible", "reg", "#address-cells", "cells", "phandle", "linux,phandle",
        "a", "status", "interrupts", "x@1", "dev@1000", "ab",
    };
    uint8_t s = take(in);
    if (s % 8 < 5) {
        strcpy(out, common[(s >> 3) % (sizeof(common) / sizeof(common[0]))]);
        return;
    }
    size_t len = s % 8 == 7 ? 250 + take(in) % 10 : take(in) % 24;
    size_t i = 0;
    for (; i < len; i++) {
        uint8_t c = take(in);
        if (c == 0)
            break;
        out[i] = (char)(s % 8 == 6 ? c : 'a' + c % 26); /* 6: raw bytes */
    }
    out[i] = 0;
}

static void take_string(struct in *in, char *out, size_t max)
{
    size_t len = take(in) % max, i = 0;
    for (; i < len; i++) {
        uint8_t c = take(in);
        if (c == 0)
            break;
        out[i] = (char)c;
    }
    out[i] = 0;
}

static void decode(struct in *in, struct op *o, bool want_root)
{
    memset(o, 0, sizeof(*o));
    o->kind = take(in) % K_COUNT;
    switch (o->kind) {
    case K_BEGIN:
        if (want_root && take(in) % 8)
            o->name[0] = 0;
        else
            take_name(in, o->name);
        break;
    case K_PROP:
        take_name(in, o->name);
        o->len = take(in) % 64;
        for (size_t i = 0; i < o->len; i++)
            o->data[i] = take(in);
        break;
    case K_PROP_NULL:
        take_name(in, o->name);
        o->len = 1 + take(in) % 4;
        break;
    case K_U32:
        take_name(in, o->name);
        o->a = take_n(in, 4);
        be32(o->data, (uint32_t)o->a);
        o->len = 4;
        break;
    case K_U64:
        take_name(in, o->name);
        o->a = take_n(in, 8);
        be32(o->data, (uint32_t)(o->a >> 32));
        be32(o->data + 4, (uint32_t)o->a);
        o->len = 8;
        break;
    case K_CELLS:
        take_name(in, o->name);
        o->ncells = take(in) % 8;
        for (size_t i = 0; i < o->ncells; i++) {
            o->cells[i] = (uint32_t)take_n(in, 4);
            be32(o->data + 4 * i, o->cells[i]);
        }
        o->len = 4 * o->ncells;
        break;
    case K_STRING:
        take_name(in, o->name);
        take_string(in, o->strs[0], sizeof(o->strs[0]));
        o->len = strlen(o->strs[0]) + 1;
        memcpy(o->data, o->strs[0], o->len);
        break;
    case K_LIST:
        take_name(in, o->name);
        o->nlist = take(in) % 5;
        for (size_t i = 0; i < o->nlist; i++) {
            take_string(in, o->strs[i], sizeof(o->strs[i]));
            o->list[i] = o->strs[i];
            size_t l = strlen(o->strs[i]) + 1;
            memcpy(o->data + o->len, o->strs[i], l);
            o->len += l;
        }
        break;
    case K_EMPTY:
        take_name(in, o->name);
        break;
    case K_RESERVE: {
        uint8_t s = take(in);
        o->a = s & 1 ? take_n(in, 8) : take_n(in, 2) << 12;
        o->b = s & 2 ? take_n(in, 8) : take_n(in, 1) << 12;
        break;
    }
    default: /* K_END, K_FINISH */
        break;
    }
}

/* ---- the model ---- */

static bool model_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > FDT_W_MAX_NAME)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isgraph((unsigned char)s[i]) || s[i] == '/')
            return false;
    return true;
}

static int model_prop(const struct model *m, const struct op *o)
{
    if (m->finished || m->depth == 0 || !m->props_open || !model_name_ok(o->name))
        return -AX_EINVAL;
    if (o->kind == K_PROP_NULL)
        return -AX_EINVAL;
    for (unsigned i = 0; i < m->nprops; i++)
        if (strcmp(m->props[i], o->name) == 0)
            return -AX_EEXIST;
    return 0;
}

static int model_predict(const struct model *m, const struct op *o)
{
    if (m->err)
        return m->err;
    switch (o->kind) {
    case K_BEGIN:
        if (m->finished || m->root_done)
            return -AX_EINVAL;
        if (!m->started)
            return o->name[0] ? -AX_EINVAL : 0;
        if (!model_name_ok(o->name))
            return -AX_EINVAL;
        return m->depth >= FDT_MAX_DEPTH ? -AX_ERANGE : 0;
    case K_END:
        return m->finished || m->depth == 0 ? -AX_EINVAL : 0;
    case K_RESERVE:
        if (m->finished || m->started || o->b == 0)
            return -AX_EINVAL;
        return o->b - 1 > UINT64_MAX - o->a ? -AX_ERANGE : 0;
    case K_FINISH:
        return m->finished || !m->root_done ? -AX_EINVAL : 0;
    default:
        return model_prop(m, o);
    }
}

static void add_event(uint8_t kind, const struct op *o)
{
    CHECK(nevents < MAX_EVENTS);
    events[nevents++] = (struct event){ kind, o };
}

/* Applies a call that succeeded (or records the error) in the model. */
static void model_apply(struct model *m, const struct op *o, int r)
{
    if (r) {
        m->err = r;
        return;
    }
    switch (o->kind) {
    case K_BEGIN:
        m->started = true;
        m->depth++;
        m->props_open = true;
        m->nprops = 0;
        add_event(K_BEGIN, o);
        break;
    case K_END:
        m->depth--;
        m->props_open = false;
        if (m->depth == 0)
            m->root_done = true;
        add_event(K_END, o);
        break;
    case K_RESERVE:
        rsv[nrsv][0] = o->a;
        rsv[nrsv][1] = o->b;
        nrsv++;
        break;
    case K_FINISH:
        m->finished = true;
        break;
    default:
        m->props[m->nprops++] = o->name;
        add_event(K_PROP, o);
        break;
    }
}

/* ---- running calls ---- */

static int run_op(struct fdt_writer *w, const struct op *o, size_t *len)
{
    switch (o->kind) {
    case K_BEGIN: return fdt_w_begin_node(w, o->name);
    case K_END: return fdt_w_end_node(w);
    case K_PROP: return fdt_w_prop(w, o->name, o->data, o->len);
    case K_PROP_NULL: return fdt_w_prop(w, o->name, NULL, o->len);
    case K_U32: return fdt_w_prop_u32(w, o->name, (uint32_t)o->a);
    case K_U64: return fdt_w_prop_u64(w, o->name, o->a);
    case K_CELLS: return fdt_w_prop_cells(w, o->name, o->cells, o->ncells);
    case K_STRING: return fdt_w_prop_string(w, o->name, o->strs[0]);
    case K_LIST: return fdt_w_prop_stringlist(w, o->name, o->list, o->nlist);
    case K_EMPTY: return fdt_w_prop_empty(w, o->name);
    case K_RESERVE: return fdt_w_reserve(w, o->a, o->b);
    default: return fdt_w_finish(w, len);
    }
}

/* ---- reading back ---- */

static void compare_tree(const uint8_t *blob, size_t len)
{
    struct fdt f;
    CHECK(fdt_init(&f, blob, len) == 0);
    CHECK(f.totalsize == len);
    CHECK(f.version == 17 && fdt_be32(blob + 24) == 16);

    CHECK(fdt_memrsv_count(&f) == (int)nrsv);
    for (unsigned i = 0; i < nrsv; i++) {
        struct fdt_reg e;
        CHECK(fdt_memrsv_get(&f, i, &e) == 0);
        CHECK(e.addr == rsv[i][0] && e.size == rsv[i][1]);
    }

    unsigned ei = 0;
    int depth, cur = -1, n;
    for (n = fdt_first_node(&f, &depth); n >= 0; n = fdt_next_node(&f, n, &depth)) {
        for (; cur >= depth; cur--)
            CHECK(ei < nevents && events[ei++].kind == K_END);
        CHECK(ei < nevents && events[ei].kind == K_BEGIN);
        const char *name = fdt_node_name(&f, n, NULL);
        CHECK(name && strcmp(name, events[ei].op->name) == 0);
        ei++;
        cur = depth;
        struct fdt_prop p;
        int r;
        for (r = fdt_first_prop(&f, n, &p); r == 0; r = fdt_next_prop(&f, &p)) {
            CHECK(ei < nevents && events[ei].kind == K_PROP);
            const struct op *o = events[ei++].op;
            CHECK(strcmp(p.name, o->name) == 0);
            CHECK(p.len == o->len);
            CHECK(o->len == 0 || memcmp(p.data, o->data, o->len) == 0);
        }
        CHECK(r == -AX_ENOENT);
    }
    CHECK(n == -AX_ENOENT);
    for (; cur >= 0; cur--)
        CHECK(ei < nevents && events[ei++].kind == K_END);
    CHECK(ei == nevents);

    /* Deduplicated: never more than the distinct names. */
    size_t distinct = 0;
    for (unsigned i = 0; i < nevents; i++) {
        if (events[i].kind != K_PROP)
            continue;
        bool seen = false;
        for (unsigned j = 0; j < i && !seen; j++)
            seen = events[j].kind == K_PROP &&
                   strcmp(events[j].op->name, events[i].op->name) == 0;
        if (!seen)
            distinct += strlen(events[i].op->name) + 1;
    }
    CHECK(f.strings_size <= distinct);

    struct fdt_platform plat; /* any outcome; must not crash */
    (void)fdt_parse_platform(blob, len, &plat);
}

/* Replays ops[0..nops) into an exact-size heap buffer. */
static void replay_small(unsigned nops, size_t size, const uint8_t *ref, size_t ref_len,
                         int misuse_at, int misuse_err)
{
    uint8_t *b = malloc(size ? size : 1);
    CHECK(b);
    struct fdt_writer w;
    int first = fdt_w_init(&w, b, size);
    CHECK(first == (size < 72 ? -AX_ENOSPC : 0));
    size_t len = 0;
    for (unsigned i = 0; i < nops; i++) {
        int r = run_op(&w, &ops[i], &len);
        if (first) {
            CHECK(r == first); /* sticky */
            continue;
        }
        if ((int)i == misuse_at)
            CHECK(r == misuse_err || r == -AX_ENOSPC);
        else
            CHECK(r == 0 || r == -AX_ENOSPC);
        first = r;
    }
    if (misuse_at < 0) {
        bool fits = ref_len <= size;
        CHECK(fits == (first == 0));
        if (fits)
            CHECK(len == ref_len && memcmp(b, ref, ref_len) == 0);
    }
    free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct in in = { data, size };
    uint16_t size_sel = (uint16_t)take_n(&in, 2);
    uint8_t close_sel = take(&in);

    uint8_t *big = big_raw + 1; /* odd address: no aligned stores */
    struct fdt_writer w;
    CHECK(fdt_w_init(&w, big, BIG) == 0);
    struct model m = { 0 };
    nevents = 0;
    nrsv = 0;
    size_t len = 0;
    int misuse_at = -1;

    unsigned nops = 0;
    while (in.n > 0 && nops < MAX_OPS - FDT_MAX_DEPTH - 2) {
        struct op *o = &ops[nops];
        decode(&in, o, !m.started);
        int want = model_predict(&m, o);
        int r = run_op(&w, o, &len);
        CHECK(r != -AX_ENOSPC || m.err == -AX_ENOSPC); /* BIG always fits */
        CHECK(r == want);
        if (r && misuse_at < 0)
            misuse_at = (int)nops;
        model_apply(&m, o, r);
        results[nops++] = r;
    }
    /* Usually close what is open and finish; sometimes leave it open. */
    if (!m.finished && (close_sel & 3)) {
        unsigned open = m.err ? 1 : m.depth;
        for (unsigned i = 0; i < open; i++) {
            struct op *o = &ops[nops];
            memset(o, 0, sizeof(*o));
            o->kind = K_END;
            int r = run_op(&w, o, &len);
            CHECK(r == model_predict(&m, o));
            model_apply(&m, o, r);
            results[nops++] = r;
        }
    }
    if (!m.finished) {
        struct op *o = &ops[nops];
        memset(o, 0, sizeof(*o));
        o->kind = K_FINISH;
        int want = model_predict(&m, o);
        int r = run_op(&w, o, &len);
        CHECK(r == want);
        if (r && misuse_at < 0)
            misuse_at = (int)nops;
        model_apply(&m, o, r);
        results[nops++] = r;
    }

    size_t small;
    if (m.finished && misuse_at < 0) {
        compare_tree(big, len);
        small = size_sel & 0x8000 ? len + (size_sel & 0xff)
                                  : len - (size_sel & 0x7fff) % (len + 1);
    } else {
        CHECK(m.err != 0 || m.finished);
        small = size_sel % 4200;
    }
    replay_small(nops, small, big, len, misuse_at, misuse_at >= 0 ? results[misuse_at] : 0);
    return 0;
}
