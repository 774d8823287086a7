/* Flattened device tree: validation and low-level accessors.
 *
 * Everything funnels through tok_read(), which decodes one structure token
 * at an offset and bounds-checks it, so no other function does pointer
 * arithmetic on unchecked data. Each walk advances the offset by at least
 * one token per step, which bounds every loop by the structure size. */
#include "ax/fdt.h"
#include "ax/string.h"

#define FDT_BEGIN_NODE 0x1U
#define FDT_END_NODE 0x2U
#define FDT_PROP 0x3U
#define FDT_NOP 0x4U
#define FDT_END 0x9U

#define FDT_HDR_SIZE 40U
#define FDT_LAST_KNOWN_VERSION 17U
#define FDT_MAX_CELLS 4U /* #address-cells/#size-cells above this is junk */

/* One decoded structure token. */
struct tok {
    uint32_t tag;
    uint32_t next;    /* offset of the following token (may be past the end) */
    uint32_t payload; /* BEGIN_NODE: name offset; PROP: data offset */
    uint32_t len;     /* BEGIN_NODE: name length; PROP: data length */
    uint32_t nameoff; /* PROP: offset of its name in the strings block */
};

uint32_t fdt_be32(const void *p)
{
    const uint8_t *b = p;
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

uint64_t fdt_be64(const void *p)
{
    const uint8_t *b = p;
    return (uint64_t)fdt_be32(b) << 32 | fdt_be32(b + 4);
}

static const uint8_t *struct_base(const struct fdt *fdt)
{
    return fdt->blob + fdt->struct_off;
}

static int tok_read(const struct fdt *fdt, int off, struct tok *t)
{
    uint32_t size = fdt->struct_size;
    if (off < 0 || (off & 3) || (uint32_t)off > size || size - (uint32_t)off < 4)
        return -AX_EINVAL;
    const uint8_t *base = struct_base(fdt);
    uint32_t pos = (uint32_t)off + 4;

    t->tag = fdt_be32(base + off);
    switch (t->tag) {
    case FDT_BEGIN_NODE: {
        const uint8_t *nul = memchr(base + pos, 0, size - pos);
        if (!nul)
            return -AX_EINVAL;
        t->payload = pos;
        t->len = (uint32_t)(nul - (base + pos));
        pos += t->len + 1;
        break;
    }
    case FDT_PROP:
        if (size - pos < 8)
            return -AX_EINVAL;
        t->len = fdt_be32(base + pos);
        t->nameoff = fdt_be32(base + pos + 4);
        pos += 8;
        if (t->len > size - pos)
            return -AX_EINVAL;
        /* strings_size ends at a NUL, so any offset below it is terminated */
        if (t->nameoff >= fdt->strings_size)
            return -AX_EINVAL;
        t->payload = pos;
        pos += t->len;
        break;
    case FDT_END_NODE:
    case FDT_NOP:
    case FDT_END:
        break;
    default:
        return -AX_EINVAL;
    }
    t->next = ALIGN_UP(pos, 4U); /* pos <= size <= INT32_MAX: no overflow */
    return 0;
}

/* ---- Header ---- */

static int check_header(struct fdt *f, const uint8_t *b, size_t maxlen)
{
    if (!b || maxlen < FDT_HDR_SIZE || fdt_be32(b) != FDT_MAGIC)
        return -AX_EINVAL;
    uint32_t total = fdt_be32(b + 4);
    uint32_t off_struct = fdt_be32(b + 8);
    uint32_t off_strings = fdt_be32(b + 12);
    uint32_t off_memrsv = fdt_be32(b + 16);
    uint32_t version = fdt_be32(b + 20);
    uint32_t last_comp = fdt_be32(b + 24);
    uint32_t size_strings = fdt_be32(b + 32);

    if (version < 16 || last_comp > FDT_LAST_KNOWN_VERSION)
        return -AX_EINVAL;
    /* Offsets are ints and a token's end may round up past the block: keep
     * every offset, even one past the end, representable. */
    if (total < FDT_HDR_SIZE || total > maxlen || total > (uint32_t)INT32_MAX - 8)
        return -AX_EINVAL;
    if (off_memrsv < FDT_HDR_SIZE || off_memrsv % 8 || off_memrsv > total)
        return -AX_EINVAL;
    if (off_struct < FDT_HDR_SIZE || off_struct % 4 || off_struct > total)
        return -AX_EINVAL;
    if (off_strings < FDT_HDR_SIZE || off_strings > total ||
        size_strings > total - off_strings)
        return -AX_EINVAL;

    uint32_t size_struct = total - off_struct; /* v16 has no size field */
    if (version >= 17) {
        size_struct = fdt_be32(b + 36);
        if (size_struct > total - off_struct)
            return -AX_EINVAL;
    }

    /* Trim the strings block to its last NUL: then any name offset below
     * strings_size is known to be terminated, checked in O(1). */
    while (size_strings > 0 && b[off_strings + size_strings - 1] != 0)
        size_strings--;

    f->blob = b;
    f->totalsize = total;
    f->version = version;
    f->boot_cpuid = fdt_be32(b + 28);
    f->struct_off = off_struct;
    f->struct_size = size_struct;
    f->strings_off = off_strings;
    f->strings_size = size_strings;
    f->memrsv_off = off_memrsv;
    f->memrsv_count = 0;
    return 0;
}

/* The list ends with an all-zero entry that must lie inside the blob. */
static int check_memrsv(struct fdt *f)
{
    uint32_t room = (f->totalsize - f->memrsv_off) / 16;
    for (uint32_t i = 0; i < room; i++) {
        const uint8_t *e = f->blob + f->memrsv_off + 16 * i;
        if (fdt_be64(e) == 0 && fdt_be64(e + 8) == 0) {
            f->memrsv_count = i;
            return 0;
        }
    }
    return -AX_EINVAL;
}

static int check_struct(struct fdt *f)
{
    uint32_t depth = 0;
    bool seen_root = false;
    int off = 0;

    for (;;) {
        struct tok t;
        int r = tok_read(f, off, &t);
        if (r < 0)
            return r;
        switch (t.tag) {
        case FDT_BEGIN_NODE:
            if ((seen_root && depth == 0) || depth >= FDT_MAX_DEPTH)
                return -AX_EINVAL;
            seen_root = true;
            depth++;
            break;
        case FDT_END_NODE:
            if (depth == 0)
                return -AX_EINVAL;
            depth--;
            break;
        case FDT_PROP:
            if (depth == 0)
                return -AX_EINVAL;
            break;
        case FDT_END:
            if (!seen_root || depth != 0)
                return -AX_EINVAL;
            f->struct_size = t.next; /* ignore anything after FDT_END */
            return 0;
        default: /* FDT_NOP */
            break;
        }
        off = (int)t.next;
    }
}

int fdt_init(struct fdt *fdt, const void *blob, size_t maxlen)
{
    struct fdt f;
    int r = check_header(&f, blob, maxlen);
    if (r == 0)
        r = check_memrsv(&f);
    if (r == 0)
        r = check_struct(&f);
    if (r == 0 && fdt)
        *fdt = f;
    return r;
}

int fdt_check(const void *blob, size_t maxlen)
{
    return fdt_init(NULL, blob, maxlen);
}

/* ---- Nodes ---- */

/* Offset just past a node's BEGIN_NODE token and name. */
static int node_body(const struct fdt *fdt, int node)
{
    struct tok t;
    int r = tok_read(fdt, node, &t);
    if (r < 0)
        return r;
    return t.tag == FDT_BEGIN_NODE ? (int)t.next : -AX_EINVAL;
}

int fdt_first_node(const struct fdt *fdt, int *depth)
{
    int off = 0;
    for (;;) {
        struct tok t;
        int r = tok_read(fdt, off, &t);
        if (r < 0)
            return r;
        if (t.tag == FDT_BEGIN_NODE) {
            if (depth)
                *depth = 0;
            return off;
        }
        if (t.tag != FDT_NOP)
            return -AX_EINVAL;
        off = (int)t.next;
    }
}

/* Next BEGIN_NODE after node; *depth tracks the level. With stay_inside the
 * walk ends when it climbs above the starting level. */
static int walk_next(const struct fdt *fdt, int node, int *depth, bool stay_inside)
{
    int off = node_body(fdt, node);
    if (off < 0)
        return off;
    int level = *depth + 1; /* inside node: its children are one deeper */
    for (;;) {
        struct tok t;
        int r = tok_read(fdt, off, &t);
        if (r < 0)
            return r;
        switch (t.tag) {
        case FDT_BEGIN_NODE:
            *depth = level;
            return off;
        case FDT_END_NODE:
            level--;
            if (stay_inside && level < 0)
                return -AX_ENOENT;
            break;
        case FDT_END:
            return -AX_ENOENT;
        default:
            break;
        }
        off = (int)t.next;
    }
}

int fdt_next_node(const struct fdt *fdt, int node, int *depth)
{
    int d = depth ? *depth : 0;
    int r = walk_next(fdt, node, &d, true);
    if (r >= 0 && depth)
        *depth = d;
    return r;
}

int fdt_first_child(const struct fdt *fdt, int node)
{
    int off = node_body(fdt, node);
    if (off < 0)
        return off;
    for (;;) {
        struct tok t;
        int r = tok_read(fdt, off, &t);
        if (r < 0)
            return r;
        if (t.tag == FDT_BEGIN_NODE)
            return off;
        if (t.tag == FDT_END_NODE)
            return -AX_ENOENT;
        if (t.tag == FDT_END)
            return -AX_EINVAL;
        off = (int)t.next;
    }
}

int fdt_next_sibling(const struct fdt *fdt, int node)
{
    int depth = 0;
    for (;;) {
        node = walk_next(fdt, node, &depth, true);
        if (node < 0 || depth == 0)
            return node;
    }
}

/* Fills anc[0..*nanc) with node's ancestors, root first. */
static int node_ancestors(const struct fdt *fdt, int node, int anc[FDT_MAX_DEPTH],
                          int *nanc)
{
    int r = node_body(fdt, node);
    if (r < 0)
        return r;
    int depth;
    int n = fdt_first_node(fdt, &depth);
    while (n >= 0) {
        if (depth >= FDT_MAX_DEPTH)
            return -AX_EINVAL;
        anc[depth] = n;
        if (n == node) {
            *nanc = depth;
            return 0;
        }
        if (n > node) /* offsets grow in tree order: node is not a node */
            return -AX_EINVAL;
        n = fdt_next_node(fdt, n, &depth);
    }
    return n == -AX_ENOENT ? -AX_EINVAL : n;
}

int fdt_parent(const struct fdt *fdt, int node)
{
    int anc[FDT_MAX_DEPTH], nanc;
    int r = node_ancestors(fdt, node, anc, &nanc);
    if (r < 0)
        return r;
    return nanc == 0 ? -AX_ENOENT : anc[nanc - 1];
}

const char *fdt_node_name(const struct fdt *fdt, int node, size_t *len)
{
    struct tok t;
    if (tok_read(fdt, node, &t) < 0 || t.tag != FDT_BEGIN_NODE)
        return NULL;
    if (len)
        *len = t.len;
    return (const char *)struct_base(fdt) + t.payload;
}

static bool name_matches(const char *node, size_t nlen, const char *want, size_t wlen)
{
    if (nlen < wlen || memcmp(node, want, wlen) != 0)
        return false;
    if (nlen == wlen)
        return true;
    return node[wlen] == '@' && !memchr(want, '@', wlen);
}

int fdt_subnode(const struct fdt *fdt, int parent, const char *name, size_t len)
{
    if (!name)
        return -AX_EINVAL;
    int n = fdt_first_child(fdt, parent);
    while (n >= 0) {
        size_t nlen;
        const char *nname = fdt_node_name(fdt, n, &nlen);
        if (!nname)
            return -AX_EINVAL;
        if (name_matches(nname, nlen, name, len))
            return n;
        n = fdt_next_sibling(fdt, n);
    }
    return n;
}

/* Follows '/'-separated components of path[0..len) from node. */
static int path_walk(const struct fdt *fdt, int node, const char *path, size_t len)
{
    size_t i = 0;
    while (i < len && node >= 0) {
        if (path[i] == '/') {
            i++;
            continue;
        }
        size_t start = i;
        while (i < len && path[i] != '/')
            i++;
        node = fdt_subnode(fdt, node, path + start, i - start);
    }
    return node;
}

static int alias_target(const struct fdt *fdt, int root, const char *name, size_t len)
{
    int aliases = fdt_subnode(fdt, root, "aliases", 7);
    if (aliases < 0)
        return aliases;
    struct fdt_prop p;
    int r = fdt_first_prop(fdt, aliases, &p);
    for (; r == 0; r = fdt_next_prop(fdt, &p)) {
        if (strlen(p.name) != len || memcmp(p.name, name, len) != 0)
            continue;
        /* The value must be an absolute path; no alias chains, no loops. */
        if (p.len < 2 || p.data[0] != '/' || p.data[p.len - 1] != 0)
            return -AX_EINVAL;
        return path_walk(fdt, root, (const char *)p.data, strlen((const char *)p.data));
    }
    return r;
}

int fdt_path_offset_len(const struct fdt *fdt, const char *path, size_t len)
{
    if (!path || len == 0)
        return -AX_EINVAL;
    int root = fdt_first_node(fdt, NULL);
    if (root < 0 || path[0] == '/')
        return root < 0 ? root : path_walk(fdt, root, path, len);

    size_t alen = 0;
    while (alen < len && path[alen] != '/')
        alen++;
    int node = alias_target(fdt, root, path, alen);
    return node < 0 ? node : path_walk(fdt, node, path + alen, len - alen);
}

int fdt_path_offset(const struct fdt *fdt, const char *path)
{
    return path ? fdt_path_offset_len(fdt, path, strlen(path)) : -AX_EINVAL;
}

uint32_t fdt_get_phandle(const struct fdt *fdt, int node)
{
    uint32_t ph;
    if (fdt_get_u32(fdt, node, "phandle", &ph) == 0 ||
        fdt_get_u32(fdt, node, "linux,phandle", &ph) == 0)
        return ph == 0xffffffffU ? 0 : ph;
    return 0;
}

int fdt_node_by_phandle(const struct fdt *fdt, uint32_t phandle)
{
    if (phandle == 0 || phandle == 0xffffffffU)
        return -AX_ENOENT;
    int depth = 0;
    int n = fdt_first_node(fdt, &depth);
    while (n >= 0) {
        if (fdt_get_phandle(fdt, n) == phandle)
            return n;
        n = fdt_next_node(fdt, n, &depth);
    }
    return n;
}

int fdt_node_is_compatible(const struct fdt *fdt, int node, const char *compat)
{
    struct fdt_prop p;
    int r = fdt_get_prop(fdt, node, "compatible", &p);
    if (r == -AX_ENOENT)
        return 0;
    if (r < 0)
        return r;
    return fdt_stringlist_contains(&p, compat) ? 1 : 0;
}

int fdt_find_compatible(const struct fdt *fdt, int from, const char *compat)
{
    int depth = 0;
    int n = from < 0 ? fdt_first_node(fdt, &depth) : walk_next(fdt, from, &depth, false);
    while (n >= 0) {
        int r = fdt_node_is_compatible(fdt, n, compat);
        if (r != 0)
            return r > 0 ? n : r;
        n = walk_next(fdt, n, &depth, false);
    }
    return n;
}

int fdt_node_is_enabled(const struct fdt *fdt, int node)
{
    const char *s;
    int r = fdt_get_string(fdt, node, "status", &s, NULL);
    if (r == -AX_ENOENT)
        return 1;
    if (r < 0)
        return r;
    return strcmp(s, "okay") == 0 || strcmp(s, "ok") == 0;
}

/* ---- Properties ---- */

/* First property at or after off (skipping NOPs), before any subnode. */
static int prop_from(const struct fdt *fdt, int off, struct fdt_prop *prop)
{
    for (;;) {
        struct tok t;
        int r = tok_read(fdt, off, &t);
        if (r < 0)
            return r;
        if (t.tag == FDT_PROP) {
            prop->offset = off;
            prop->name = (const char *)fdt->blob + fdt->strings_off + t.nameoff;
            prop->data = struct_base(fdt) + t.payload;
            prop->len = t.len;
            return 0;
        }
        if (t.tag != FDT_NOP)
            return t.tag == FDT_END ? -AX_EINVAL : -AX_ENOENT;
        off = (int)t.next;
    }
}

int fdt_first_prop(const struct fdt *fdt, int node, struct fdt_prop *prop)
{
    int off = node_body(fdt, node);
    if (off < 0)
        return off;
    return prop ? prop_from(fdt, off, prop) : -AX_EINVAL;
}

int fdt_next_prop(const struct fdt *fdt, struct fdt_prop *prop)
{
    struct tok t;
    if (!prop)
        return -AX_EINVAL;
    int r = tok_read(fdt, prop->offset, &t);
    if (r < 0)
        return r;
    if (t.tag != FDT_PROP)
        return -AX_EINVAL;
    return prop_from(fdt, (int)t.next, prop);
}

int fdt_get_prop(const struct fdt *fdt, int node, const char *name,
                 struct fdt_prop *prop)
{
    struct fdt_prop p;
    if (!name)
        return -AX_EINVAL;
    int r = fdt_first_prop(fdt, node, &p);
    for (; r == 0; r = fdt_next_prop(fdt, &p)) {
        if (strcmp(p.name, name) == 0) {
            if (prop)
                *prop = p;
            return 0;
        }
    }
    return r;
}

int fdt_get_u32(const struct fdt *fdt, int node, const char *name, uint32_t *out)
{
    struct fdt_prop p;
    int r = fdt_get_prop(fdt, node, name, &p);
    if (r < 0)
        return r;
    if (p.len != 4)
        return -AX_EINVAL;
    *out = fdt_be32(p.data);
    return 0;
}

int fdt_get_u64(const struct fdt *fdt, int node, const char *name, uint64_t *out)
{
    struct fdt_prop p;
    int r = fdt_get_prop(fdt, node, name, &p);
    if (r < 0)
        return r;
    if (p.len != 4 && p.len != 8)
        return -AX_EINVAL;
    *out = p.len == 4 ? fdt_be32(p.data) : fdt_be64(p.data);
    return 0;
}

int fdt_get_string(const struct fdt *fdt, int node, const char *name,
                   const char **str, size_t *len)
{
    struct fdt_prop p;
    int r = fdt_get_prop(fdt, node, name, &p);
    if (r < 0)
        return r;
    const uint8_t *nul = p.len ? memchr(p.data, 0, p.len) : NULL;
    if (!nul)
        return -AX_EINVAL;
    *str = (const char *)p.data;
    if (len)
        *len = (size_t)(nul - p.data);
    return 0;
}

int fdt_prop_cells(const struct fdt_prop *prop, uint32_t cell, uint32_t ncells,
                   uint64_t *out)
{
    if (!prop || !out)
        return -AX_EINVAL;
    if (ncells > 2)
        return -AX_ERANGE;
    if (((uint64_t)cell + ncells) * 4 > prop->len)
        return -AX_EINVAL;
    uint64_t v = 0;
    for (uint32_t i = 0; i < ncells; i++)
        v = v << 32 | fdt_be32(prop->data + 4 * ((size_t)cell + i));
    *out = v;
    return 0;
}

/* ---- String lists ---- */

static bool stringlist_ok(const struct fdt_prop *prop)
{
    return prop && prop->len > 0 && prop->data[prop->len - 1] == 0;
}

int fdt_stringlist_count(const struct fdt_prop *prop)
{
    if (!prop)
        return -AX_EINVAL;
    if (prop->len == 0)
        return 0;
    if (!stringlist_ok(prop) || prop->len > (uint32_t)INT32_MAX)
        return -AX_EINVAL;
    int n = 0;
    for (uint32_t i = 0; i < prop->len; i++)
        n += prop->data[i] == 0;
    return n;
}

int fdt_stringlist_get(const struct fdt_prop *prop, uint32_t idx,
                       const char **str, size_t *len)
{
    if (!stringlist_ok(prop) || !str)
        return -AX_EINVAL;
    uint32_t pos = 0;
    while (pos < prop->len) {
        const char *s = (const char *)prop->data + pos;
        size_t slen = strlen(s); /* terminated: last byte is NUL */
        if (idx-- == 0) {
            *str = s;
            if (len)
                *len = slen;
            return 0;
        }
        pos += (uint32_t)slen + 1;
    }
    return -AX_ENOENT;
}

bool fdt_stringlist_contains(const struct fdt_prop *prop, const char *str)
{
    if (!stringlist_ok(prop) || !str)
        return false;
    uint32_t pos = 0;
    while (pos < prop->len) {
        const char *s = (const char *)prop->data + pos;
        if (strcmp(s, str) == 0)
            return true;
        pos += (uint32_t)strlen(s) + 1;
    }
    return false;
}

/* ---- Addresses ---- */

static int cells_prop(const struct fdt *fdt, int node, const char *name, uint32_t dflt)
{
    uint32_t v;
    int r = fdt_get_u32(fdt, node, name, &v);
    if (r == -AX_ENOENT)
        return (int)dflt;
    if (r < 0)
        return r;
    return v <= FDT_MAX_CELLS ? (int)v : -AX_EINVAL;
}

int fdt_address_cells(const struct fdt *fdt, int node)
{
    return cells_prop(fdt, node, "#address-cells", 2);
}

int fdt_size_cells(const struct fdt *fdt, int node)
{
    return cells_prop(fdt, node, "#size-cells", 1);
}

/* Cell sizes a node's "reg" is written in: those its parent declares. */
static int reg_cells(const struct fdt *fdt, const int *anc, int nanc,
                     uint32_t *ac, uint32_t *sc)
{
    if (nanc <= 0) { /* the root has no parent: use the spec defaults */
        *ac = 2;
        *sc = 1;
        return 0;
    }
    int a = fdt_address_cells(fdt, anc[nanc - 1]);
    if (a < 0)
        return a;
    int s = fdt_size_cells(fdt, anc[nanc - 1]);
    if (s < 0)
        return s;
    *ac = (uint32_t)a;
    *sc = (uint32_t)s;
    return 0;
}

static int reg_count_anc(const struct fdt *fdt, const int *anc, int nanc, int node)
{
    uint32_t ac, sc;
    struct fdt_prop p;
    int r = reg_cells(fdt, anc, nanc, &ac, &sc);
    if (r < 0)
        return r;
    r = fdt_get_prop(fdt, node, "reg", &p);
    if (r == -AX_ENOENT)
        return 0;
    if (r < 0)
        return r;
    uint32_t entry = (ac + sc) * 4;
    if (entry == 0)
        return p.len == 0 ? 0 : -AX_EINVAL;
    if (p.len % entry)
        return -AX_EINVAL;
    return (int)(p.len / entry);
}

/* Maps addr from bus's child address space to its parent's via "ranges". */
static int translate_one(const struct fdt *fdt, int bus, int bus_parent, uint64_t *addr)
{
    struct fdt_prop p;
    int r = fdt_get_prop(fdt, bus, "ranges", &p);
    if (r == -AX_ENOENT)
        return 0;
    if (r < 0)
        return r;
    if (p.len == 0)
        return 0; /* empty ranges: identity */

    int cac = fdt_address_cells(fdt, bus);
    int csc = fdt_size_cells(fdt, bus);
    int pac = fdt_address_cells(fdt, bus_parent);
    if (cac < 0 || csc < 0 || pac < 0)
        return -AX_EINVAL;
    uint32_t stride = (uint32_t)(cac + pac + csc);
    if (stride == 0 || p.len % (stride * 4))
        return -AX_EINVAL;

    for (uint32_t e = 0; e < p.len / (stride * 4); e++) {
        uint64_t cbase, pbase, size;
        uint32_t c = e * stride;
        if ((r = fdt_prop_cells(&p, c, (uint32_t)cac, &cbase)) < 0 ||
            (r = fdt_prop_cells(&p, c + (uint32_t)cac, (uint32_t)pac, &pbase)) < 0 ||
            (r = fdt_prop_cells(&p, c + (uint32_t)(cac + pac), (uint32_t)csc, &size)) < 0)
            return r;
        if (*addr >= cbase && *addr - cbase < size) {
            *addr = pbase + (*addr - cbase);
            return 0;
        }
    }
    return -AX_ERANGE;
}

int fdt_get_reg_anc(const struct fdt *fdt, const int *anc, int nanc, int node,
                    uint32_t idx, bool translate, struct fdt_reg *out)
{
    uint32_t ac, sc;
    struct fdt_prop p;
    if (!out || nanc < 0 || nanc >= FDT_MAX_DEPTH || (nanc > 0 && !anc))
        return -AX_EINVAL;
    int n = reg_count_anc(fdt, anc, nanc, node);
    if (n < 0)
        return n;
    if (idx >= (uint32_t)n)
        return -AX_ENOENT;
    int r = reg_cells(fdt, anc, nanc, &ac, &sc);
    if (r == 0)
        r = fdt_get_prop(fdt, node, "reg", &p);
    if (r == 0)
        r = fdt_prop_cells(&p, idx * (ac + sc), ac, &out->addr);
    if (r == 0)
        r = fdt_prop_cells(&p, idx * (ac + sc) + ac, sc, &out->size);
    for (int i = nanc - 1; r == 0 && translate && i >= 1; i--)
        r = translate_one(fdt, anc[i], anc[i - 1], &out->addr);
    return r;
}

int fdt_reg_count(const struct fdt *fdt, int node)
{
    int anc[FDT_MAX_DEPTH], nanc;
    int r = node_ancestors(fdt, node, anc, &nanc);
    return r < 0 ? r : reg_count_anc(fdt, anc, nanc, node);
}

static int get_reg(const struct fdt *fdt, int node, uint32_t idx, bool translate,
                   struct fdt_reg *out)
{
    int anc[FDT_MAX_DEPTH], nanc;
    int r = node_ancestors(fdt, node, anc, &nanc);
    return r < 0 ? r : fdt_get_reg_anc(fdt, anc, nanc, node, idx, translate, out);
}

int fdt_get_reg(const struct fdt *fdt, int node, uint32_t idx, struct fdt_reg *out)
{
    return get_reg(fdt, node, idx, false, out);
}

int fdt_get_reg_phys(const struct fdt *fdt, int node, uint32_t idx,
                     struct fdt_reg *out)
{
    return get_reg(fdt, node, idx, true, out);
}

/* ---- /memreserve/ ---- */

int fdt_memrsv_count(const struct fdt *fdt)
{
    return (int)fdt->memrsv_count;
}

int fdt_memrsv_get(const struct fdt *fdt, uint32_t idx, struct fdt_reg *out)
{
    if (!out)
        return -AX_EINVAL;
    if (idx >= fdt->memrsv_count)
        return -AX_ENOENT;
    const uint8_t *e = fdt->blob + fdt->memrsv_off + 16 * (size_t)idx;
    out->addr = fdt_be64(e);
    out->size = fdt_be64(e + 8);
    return 0;
}
