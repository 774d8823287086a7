/* Flattened device tree writer.
 *
 * Buffer layout while building:
 *
 *   [header 40][memreserve entries][structure block -> ...free... <- strings]
 *
 * The strings block grows down from the end of the buffer because its
 * final place (right after the structure block) is unknown until the end.
 * A property therefore first records its name as a distance from the
 * buffer's end; fdt_w_finish() moves the strings block down and rewrites
 * those distances into real offsets with one walk over our own tokens.
 * The header is written last, so an unfinished buffer never looks valid. */
#include "ax/fdt_writer.h"
#include "ax/fdt.h" /* FDT_MAGIC, FDT_MAX_DEPTH only: no link dependency */
#include "ax/string.h"

#define TOK_BEGIN_NODE 0x1U
#define TOK_END_NODE 0x2U
#define TOK_PROP 0x3U
#define TOK_END 0x9U

#define HDR_SIZE 40U
#define RSV_ENTRY 16U
#define VERSION 17U
#define LAST_COMP_VERSION 16U
/* Header, memreserve terminator, root begin (empty name) and end, END. */
#define MIN_SIZE (HDR_SIZE + RSV_ENTRY + 8U + 4U + 4U)
/* Offsets in the blob are u32 and our parser keeps them in ints. */
#define MAX_SIZE 0x7fff0000U

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)(v >> 32));
    put32(p + 4, (uint32_t)v);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int fail(struct fdt_writer *w, int err)
{
    if (w->err == 0)
        w->err = err;
    return w->err;
}

/* Common entry check: a recorded error or a finished blob stops every call. */
static int check_usable(struct fdt_writer *w)
{
    if (w->err)
        return w->err;
    if (w->finished)
        return fail(w, -AX_EINVAL);
    return 0;
}

/* Node and property names: printable ASCII, no '/', no space. Returns the
 * length, or -1 if invalid (empty counts as invalid). */
static int name_len(const char *name)
{
    size_t n = 0;
    for (; n <= FDT_W_MAX_NAME && name[n]; n++) {
        unsigned char c = (unsigned char)name[n];
        if (c <= 0x20 || c >= 0x7f || c == '/')
            return -1;
    }
    if (n == 0 || n > FDT_W_MAX_NAME)
        return -1;
    return (int)n;
}

/* Claims n bytes of the structure block, zeroed so padding is clean. */
static uint8_t *emit(struct fdt_writer *w, size_t n)
{
    if (n > w->str_lo - w->off) {
        fail(w, -AX_ENOSPC);
        return NULL;
    }
    uint8_t *p = w->buf + w->off;
    memset(p, 0, n);
    w->off += (uint32_t)n;
    return p;
}

int fdt_w_init(struct fdt_writer *w, void *buf, size_t size)
{
    if (!w)
        return -AX_EINVAL;
    memset(w, 0, sizeof(*w));
    if (!buf)
        return fail(w, -AX_EINVAL);
    if (size < MIN_SIZE)
        return fail(w, -AX_ENOSPC);
    w->buf = buf;
    w->size = size > MAX_SIZE ? MAX_SIZE : (uint32_t)size;
    w->off = HDR_SIZE;
    w->str_lo = w->size;
    memset(w->buf, 0, HDR_SIZE);
    return 0;
}

int fdt_w_reserve(struct fdt_writer *w, uint64_t addr, uint64_t size)
{
    if (!w)
        return -AX_EINVAL;
    int r = check_usable(w);
    if (r)
        return r;
    if (w->struct_off)
        return fail(w, -AX_EINVAL); /* the list precedes the structure block */
    if (size == 0)
        return fail(w, -AX_EINVAL); /* and an all-zero entry would end it */
    if (size - 1 > UINT64_MAX - addr)
        return fail(w, -AX_ERANGE);
    /* Keep room for the terminating entry written with the root. */
    if (w->str_lo - w->off < 2 * RSV_ENTRY)
        return fail(w, -AX_ENOSPC);
    uint8_t *e = emit(w, RSV_ENTRY);
    put64(e, addr);
    put64(e + 8, size);
    w->nrsv++;
    return 0;
}

static int begin_root(struct fdt_writer *w, const char *name)
{
    if (name[0] != 0)
        return fail(w, -AX_EINVAL);
    if (!emit(w, RSV_ENTRY)) /* memreserve terminator: all zero */
        return w->err;
    w->struct_off = w->off;
    return 0;
}

int fdt_w_begin_node(struct fdt_writer *w, const char *name)
{
    if (!w)
        return -AX_EINVAL;
    int r = check_usable(w);
    if (r)
        return r;
    if (!name || w->root_done)
        return fail(w, -AX_EINVAL);

    size_t len = 0;
    if (w->struct_off == 0) {
        if ((r = begin_root(w, name)) < 0)
            return r;
    } else {
        int n = name_len(name);
        if (n < 0)
            return fail(w, -AX_EINVAL);
        if (w->depth >= FDT_MAX_DEPTH)
            return fail(w, -AX_ERANGE);
        len = (size_t)n;
    }
    uint8_t *p = emit(w, 4 + ALIGN_UP(len + 1, 4));
    if (!p)
        return w->err;
    put32(p, TOK_BEGIN_NODE);
    memcpy(p + 4, name, len);
    w->depth++;
    w->props_open = true;
    w->props_off = w->off;
    return 0;
}

int fdt_w_end_node(struct fdt_writer *w)
{
    if (!w)
        return -AX_EINVAL;
    int r = check_usable(w);
    if (r)
        return r;
    if (w->depth == 0)
        return fail(w, -AX_EINVAL);
    uint8_t *p = emit(w, 4);
    if (!p)
        return w->err;
    put32(p, TOK_END_NODE);
    w->depth--;
    w->props_open = false; /* the parent now has a child */
    if (w->depth == 0)
        w->root_done = true;
    return 0;
}

/* A name in the strings block as a distance from the buffer end (see the
 * top comment). The search goes from the top down, so a name already
 * stored keeps resolving to the same place as the block grows below it;
 * a match may be the tail of a longer name, which the format allows. */
static uint32_t string_find(const struct fdt_writer *w, const char *name, size_t len)
{
    if (len + 1 > w->size - w->str_lo)
        return 0;
    for (uint32_t p = w->size - (uint32_t)len - 1;; p--) {
        if (w->buf[p + len] == 0 && memcmp(w->buf + p, name, len) == 0)
            return w->size - p;
        if (p == w->str_lo)
            return 0;
    }
}

static uint32_t string_add(struct fdt_writer *w, const char *name, size_t len)
{
    uint32_t d = string_find(w, name, len);
    if (d)
        return d;
    if (len + 1 > w->str_lo - w->off) {
        fail(w, -AX_ENOSPC);
        return 0;
    }
    w->str_lo -= (uint32_t)len + 1;
    memcpy(w->buf + w->str_lo, name, len + 1);
    return w->size - w->str_lo;
}

/* Whether the open node already has a property named name. Only our own
 * property tokens lie between props_off and off. */
static bool prop_exists(const struct fdt_writer *w, const char *name)
{
    uint32_t pos = w->props_off;
    while (pos + 12 <= w->off) {
        uint32_t len = get32(w->buf + pos + 4);
        uint32_t d = get32(w->buf + pos + 8);
        if (strcmp((const char *)w->buf + (w->size - d), name) == 0)
            return true;
        pos += 12 + ALIGN_UP(len, 4U);
    }
    return false;
}

/* Writes a property header and returns where its len data bytes go. */
static uint8_t *prop_alloc(struct fdt_writer *w, const char *name, size_t len)
{
    if (!w)
        return NULL;
    if (check_usable(w))
        return NULL;
    if (!name || w->depth == 0 || !w->props_open) {
        fail(w, -AX_EINVAL);
        return NULL;
    }
    int n = name_len(name);
    if (n < 0) {
        fail(w, -AX_EINVAL);
        return NULL;
    }
    if (len > MAX_SIZE) {
        fail(w, -AX_ENOSPC);
        return NULL;
    }
    if (prop_exists(w, name)) {
        fail(w, -AX_EEXIST);
        return NULL;
    }
    uint32_t d = string_add(w, name, (size_t)n);
    if (!d)
        return NULL;
    uint8_t *p = emit(w, 12 + ALIGN_UP(len, 4));
    if (!p)
        return NULL;
    put32(p, TOK_PROP);
    put32(p + 4, (uint32_t)len);
    put32(p + 8, d);
    return p + 12;
}

static int status(const struct fdt_writer *w)
{
    return w ? w->err : -AX_EINVAL;
}

int fdt_w_prop(struct fdt_writer *w, const char *name, const void *data, size_t len)
{
    if (w && !data && len) {
        if (check_usable(w) == 0)
            fail(w, -AX_EINVAL);
        return w->err;
    }
    uint8_t *p = prop_alloc(w, name, len);
    if (p && len)
        memcpy(p, data, len);
    return status(w);
}

int fdt_w_prop_empty(struct fdt_writer *w, const char *name)
{
    return fdt_w_prop(w, name, NULL, 0);
}

int fdt_w_prop_u32(struct fdt_writer *w, const char *name, uint32_t v)
{
    uint8_t *p = prop_alloc(w, name, 4);
    if (p)
        put32(p, v);
    return status(w);
}

int fdt_w_prop_u64(struct fdt_writer *w, const char *name, uint64_t v)
{
    uint8_t *p = prop_alloc(w, name, 8);
    if (p)
        put64(p, v);
    return status(w);
}

int fdt_w_prop_cells(struct fdt_writer *w, const char *name, const uint32_t *cells,
                     size_t n)
{
    if (w && ((!cells && n) || n > MAX_SIZE / 4)) {
        if (check_usable(w) == 0)
            fail(w, cells ? -AX_ENOSPC : -AX_EINVAL);
        return w->err;
    }
    uint8_t *p = prop_alloc(w, name, n * 4);
    for (size_t i = 0; p && i < n; i++)
        put32(p + 4 * i, cells[i]);
    return status(w);
}

int fdt_w_prop_string(struct fdt_writer *w, const char *name, const char *s)
{
    return fdt_w_prop_stringlist(w, name, &s, 1);
}

int fdt_w_prop_stringlist(struct fdt_writer *w, const char *name,
                          const char *const *list, size_t n)
{
    size_t total = 0;
    bool bad = !list && n;
    for (size_t i = 0; !bad && i < n; i++) {
        if (!list[i]) {
            bad = true;
            break;
        }
        /* Stop counting once it cannot fit anyway: no size_t overflow. */
        total += strnlen(list[i], (size_t)MAX_SIZE + 1) + 1;
        if (total > MAX_SIZE)
            break;
    }
    if (w && bad) {
        if (check_usable(w) == 0)
            fail(w, -AX_EINVAL);
        return w->err;
    }
    uint8_t *p = prop_alloc(w, name, total);
    for (size_t i = 0; p && i < n; i++) {
        size_t len = strlen(list[i]) + 1;
        memcpy(p, list[i], len);
        p += len;
    }
    return status(w);
}

/* Turns every property's distance-from-end name into a strings offset.
 * The tokens are ours, but the walk still stays inside [start, end). */
static int fixup_names(struct fdt_writer *w, uint32_t start, uint32_t end,
                       uint32_t strings_size)
{
    uint32_t pos = start;
    while (pos + 4 <= end) {
        uint32_t tag = get32(w->buf + pos);
        if (tag == TOK_BEGIN_NODE) {
            const uint8_t *nul = memchr(w->buf + pos + 4, 0, end - pos - 4);
            if (!nul)
                return -AX_EINVAL;
            pos = ALIGN_UP((uint32_t)(nul - w->buf) + 1, 4U);
        } else if (tag == TOK_PROP) {
            if (end - pos < 12)
                return -AX_EINVAL;
            uint32_t len = get32(w->buf + pos + 4);
            uint32_t d = get32(w->buf + pos + 8);
            if (d == 0 || d > strings_size || len > end - pos - 12)
                return -AX_EINVAL;
            put32(w->buf + pos + 8, strings_size - d);
            pos += 12 + ALIGN_UP(len, 4U);
        } else if (tag == TOK_END_NODE) {
            pos += 4;
        } else {
            return tag == TOK_END ? 0 : -AX_EINVAL;
        }
    }
    return -AX_EINVAL;
}

int fdt_w_finish(struct fdt_writer *w, size_t *total_size)
{
    if (!w)
        return -AX_EINVAL;
    int r = check_usable(w);
    if (r)
        return r;
    if (!w->root_done)
        return fail(w, -AX_EINVAL); /* no root, or nodes still open */
    uint8_t *p = emit(w, 4);
    if (!p)
        return w->err;
    put32(p, TOK_END);

    uint32_t strings_size = w->size - w->str_lo;
    uint32_t strings_off = w->off;
    memmove(w->buf + strings_off, w->buf + w->str_lo, strings_size);
    if ((r = fixup_names(w, w->struct_off, w->off, strings_size)) < 0)
        return fail(w, r);

    uint32_t total = strings_off + strings_size;
    uint8_t *h = w->buf;
    put32(h + 0, FDT_MAGIC);
    put32(h + 4, total);
    put32(h + 8, w->struct_off);
    put32(h + 12, strings_off);
    put32(h + 16, HDR_SIZE);
    put32(h + 20, VERSION);
    put32(h + 24, LAST_COMP_VERSION);
    put32(h + 28, 0); /* boot_cpuid_phys */
    put32(h + 32, strings_size);
    put32(h + 36, w->off - w->struct_off);
    w->finished = true;
    if (total_size)
        *total_size = total;
    return 0;
}
