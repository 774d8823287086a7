/* Freestanding TOML parser (see include/ax/toml.h for the accepted subset).
 *
 * Structure: one pass over the whole input first rejects NUL / control
 * bytes, bare CRs and invalid UTF-8, so the recursive-descent parser below
 * can treat the text as clean. The parser builds the tree directly in the
 * caller's arena; no state outlives toml_parse() except the tree. */
#include "ax/toml.h"

#include "ax/string.h"

/* Keeps rarely used locals (message buffers) out of the recursive frames. */
#define NOINLINE __attribute__((noinline))

/* Node flags: how a table or array came to exist. TOML forbids re-opening
 * a table through a different mechanism than the one that defined it. */
enum {
    F_HEADER = 1, /* table defined by a [header] (or an [[element]]) */
    F_DOTTED = 2, /* table created by a dotted key (a.b = 1) */
    F_INLINE = 4, /* inline table { ... }: sealed once closed */
    F_AOT = 8,    /* array created by [[header]]s: may be appended to */
};

struct keypart {
    size_t pos;         /* offset of the part in the input, for errors */
    uint32_t line, col; /* position of pos, computed while scanning forward */
    const char *k;
    size_t len;
};

struct parser {
    const char *s;
    size_t len, pos;
    size_t base; /* first byte after an optional BOM */
    struct toml_arena *arena;
    struct toml_node *root, *cur; /* cur: table that key = value lines go to */
    struct toml_error *err;
    int rc;
    unsigned depth;
    /* One key is parsed and resolved at a time, before its value is parsed,
     * so a single buffer serves all recursion levels. */
    struct keypart parts[TOML_MAX_KEY_PARTS];
    size_t nparts;
    /* Cached position -> line/col conversion; positions asked for are
     * almost always increasing, which makes it amortised O(1). */
    size_t ck_pos;
    uint32_t ck_line, ck_col;
};

/* ---------------------------------------------------------------- format */

struct fmt_out {
    char *buf;
    size_t size, n;
};

static void fmt_putc(struct fmt_out *o, char c)
{
    if (o->n + 1 < o->size)
        o->buf[o->n++] = c;
}

static void fmt_puts(struct fmt_out *o, const char *s, size_t max)
{
    for (size_t i = 0; i < max && s[i]; i++)
        fmt_putc(o, s[i]);
}

static void fmt_putu(struct fmt_out *o, unsigned long long v, unsigned base)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v && n < sizeof(tmp));
    while (n)
        fmt_putc(o, tmp[--n]);
}

size_t toml_vformat(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct fmt_out o = { buf, size, 0 };
    if (!buf || !size)
        return 0;
    for (const char *f = fmt; f && *f; f++) {
        if (*f != '%') {
            fmt_putc(&o, *f);
            continue;
        }
        f++;
        size_t prec = (size_t)-1;
        if (f[0] == '.' && f[1] == '*') {
            int pr = va_arg(ap, int);
            prec = pr < 0 ? (size_t)-1 : (size_t)pr;
            f += 2;
        }
        int lng = 0; /* 0 int, 1 long, 2 long long, 3 size_t */
        if (*f == 'z') {
            lng = 3;
            f++;
        } else {
            while (*f == 'l' && lng < 2) {
                lng++;
                f++;
            }
        }
        switch (*f) {
        case 's': {
            const char *s = va_arg(ap, const char *);
            fmt_puts(&o, s ? s : "(null)", prec);
            break;
        }
        case 'c':
            fmt_putc(&o, (char)va_arg(ap, int));
            break;
        case 'd':
        case 'i': {
            long long v = lng == 2 ? va_arg(ap, long long)
                        : lng == 1 ? va_arg(ap, long)
                        : lng == 3 ? (long long)va_arg(ap, size_t)
                                   : va_arg(ap, int);
            unsigned long long mag = (unsigned long long)v;
            if (v < 0) {
                fmt_putc(&o, '-');
                mag = 0ULL - mag;
            }
            fmt_putu(&o, mag, 10);
            break;
        }
        case 'u':
        case 'x': {
            unsigned long long v = lng == 2 ? va_arg(ap, unsigned long long)
                                 : lng == 1 ? va_arg(ap, unsigned long)
                                 : lng == 3 ? va_arg(ap, size_t)
                                            : va_arg(ap, unsigned int);
            fmt_putu(&o, v, *f == 'x' ? 16 : 10);
            break;
        }
        case '%':
            fmt_putc(&o, '%');
            break;
        case '\0':
            f--; /* lone '%' at the end: stop at the NUL next round */
            break;
        default:
            fmt_putc(&o, '%');
            fmt_putc(&o, *f);
            break;
        }
    }
    o.buf[o.n] = '\0';
    return o.n;
}

size_t toml_format(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = toml_vformat(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

char *toml_key_repr(char *buf, size_t size, const char *key, size_t key_len)
{
    enum { MAX_SHOWN = 48 };
    struct fmt_out o = { buf, size, 0 };
    if (!buf || !size)
        return buf;
    size_t i = 0;
    while (i < key_len && i < MAX_SHOWN) {
        unsigned char c = (unsigned char)key[i];
        size_t n = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        if (n > key_len - i || i + n > MAX_SHOWN)
            break; /* never cut a UTF-8 sequence in half */
        if (c < 0x20 || c == 0x7F) {
            fmt_putc(&o, '?');
        } else {
            for (size_t k = 0; k < n; k++)
                fmt_putc(&o, key[i + k]);
        }
        i += n;
    }
    if (i < key_len)
        fmt_puts(&o, "...", 3);
    o.buf[o.n] = '\0';
    return buf;
}

/* --------------------------------------------------------------- errors */

static void where(struct parser *p, size_t at, uint32_t *line, uint32_t *col)
{
    if (at > p->len)
        at = p->len;
    if (at < p->ck_pos) {
        p->ck_pos = p->base;
        p->ck_line = 1;
        p->ck_col = 1;
    }
    for (size_t i = p->ck_pos; i < at; i++) {
        unsigned char c = (unsigned char)p->s[i];
        if (c == '\n') {
            p->ck_line++;
            p->ck_col = 1;
        } else if ((c & 0xC0) != 0x80) {
            p->ck_col++;
        }
    }
    p->ck_pos = at;
    *line = p->ck_line;
    *col = p->ck_col;
}

static int fail(struct parser *p, size_t at, const char *fmt, ...) PRINTF_LIKE(3, 4);

/* Records the first error only: later ones are consequences of it. */
static int fail_rc(struct parser *p, int rc, size_t at, const char *fmt, va_list ap)
{
    if (p->rc == 0) {
        p->rc = rc;
        if (p->err) {
            where(p, at, &p->err->line, &p->err->col);
            toml_vformat(p->err->msg, sizeof(p->err->msg), fmt, ap);
        }
    }
    return p->rc;
}

static int fail(struct parser *p, size_t at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = fail_rc(p, -AX_EINVAL, at, fmt, ap);
    va_end(ap);
    return rc;
}

static int fail_nomem(struct parser *p, ...)
{
    va_list ap;
    va_start(ap, p);
    int rc = fail_rc(p, -AX_ENOMEM, p->pos, "out of memory: the %zu-byte parse arena is full", ap);
    va_end(ap);
    return rc;
}

/* A short human description of the character at a position. */
static const char *describe(const struct parser *p, size_t at, char buf[16])
{
    if (at >= p->len)
        return "end of input";
    unsigned char c = (unsigned char)p->s[at];
    if (c == '\n' || c == '\r')
        return "end of line";
    if (c >= 0x20 && c < 0x7F) {
        toml_format(buf, 16, "'%c'", c);
        return buf;
    }
    toml_format(buf, 16, "byte 0x%x", c);
    return buf;
}

static const char *with_article(const struct toml_node *n)
{
    switch (n->type) {
    case TOML_TABLE:
        return (n->flags & F_INLINE) ? "an inline table" : "a table";
    case TOML_ARRAY:
        return (n->flags & F_AOT) ? "an array of tables" : "an array";
    case TOML_STRING:
        return "a string";
    case TOML_INT:
        return "an integer";
    case TOML_BOOL:
        return "a boolean";
    default:
        return "a value";
    }
}

/* "a.b.c" for the first n parts of the current key, for messages. */
static const char *parts_repr(const struct parser *p, size_t n, char *buf, size_t size)
{
    struct fmt_out o = { buf, size, 0 };
    char one[64];
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i)
            fmt_putc(&o, '.');
        toml_key_repr(one, sizeof(one), p->parts[i].k, p->parts[i].len);
        fmt_puts(&o, one, sizeof(one));
    }
    o.buf[o.n] = '\0';
    return buf;
}

/* ---------------------------------------------------------------- arena */

void toml_arena_init(struct toml_arena *arena, void *buf, size_t size)
{
    arena->buf = buf;
    arena->size = buf ? size : 0;
    arena->used = 0;
}

static void *arena_alloc(struct parser *p, size_t size, size_t align)
{
    struct toml_arena *a = p->arena;
    size_t off = a->used;
    if (off > a->size)
        return NULL;
    uintptr_t addr = (uintptr_t)a->buf + off;
    size_t pad = (size_t)((align - (addr & (align - 1))) & (align - 1));
    if (pad > a->size - off || size > a->size - off - pad)
        return NULL;
    a->used = off + pad + size;
    return (char *)a->buf + off + pad;
}

static struct toml_node *node_new_at(struct parser *p, int type, uint32_t line, uint32_t col)
{
    struct toml_node *n = arena_alloc(p, sizeof(*n), _Alignof(struct toml_node));
    if (!n) {
        fail_nomem(p, p->arena->size);
        return NULL;
    }
    memset(n, 0, sizeof(*n));
    n->type = (uint8_t)type;
    n->line = line;
    n->col = col;
    return n;
}

/* Only for positions at or after every position converted so far. */
static struct toml_node *node_new(struct parser *p, int type, size_t at)
{
    uint32_t line, col;
    where(p, at, &line, &col);
    return node_new_at(p, type, line, col);
}

static void list_append(struct toml_node *parent, struct toml_node *child)
{
    child->next = NULL;
    if (parent->v.list.last)
        parent->v.list.last->next = child;
    else
        parent->v.list.first = child;
    parent->v.list.last = child;
    parent->v.list.count++;
}

static struct toml_node *table_find(struct toml_node *t, const char *k, size_t len)
{
    for (struct toml_node *n = t->v.list.first; n; n = n->next) {
        if (n->key_len == len && memcmp(n->key, k, len) == 0)
            return n;
    }
    return NULL;
}

/* Copies the key into the arena so the tree does not point into the input. */
static int node_set_key(struct parser *p, struct toml_node *n, const struct keypart *kp)
{
    char *k = arena_alloc(p, kp->len + 1, 1);
    if (!k)
        return fail_nomem(p, p->arena->size);
    memcpy(k, kp->k, kp->len);
    k[kp->len] = '\0';
    n->key = k;
    n->key_len = kp->len;
    n->line = kp->line;
    n->col = kp->col;
    return 0;
}

/* A new (sub-)table named by parts[i], appended to parent. */
static struct toml_node *table_add(struct parser *p, struct toml_node *parent, size_t i,
                                   unsigned flags)
{
    struct toml_node *t = node_new_at(p, TOML_TABLE, p->parts[i].line, p->parts[i].col);
    if (!t || node_set_key(p, t, &p->parts[i]))
        return NULL;
    t->flags = (uint8_t)flags;
    list_append(parent, t);
    return t;
}

/* ---------------------------------------------------------------- lexing */

static int peek_at(const struct parser *p, size_t off)
{
    return p->pos < p->len && off < p->len - p->pos ? (unsigned char)p->s[p->pos + off] : -1;
}

static int peek(const struct parser *p)
{
    return peek_at(p, 0);
}

static void skip_ws(struct parser *p)
{
    while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t'))
        p->pos++;
}

static void skip_comment(struct parser *p)
{
    if (peek(p) != '#')
        return;
    while (p->pos < p->len && p->s[p->pos] != '\n' && p->s[p->pos] != '\r')
        p->pos++;
}

static bool at_eol(const struct parser *p)
{
    int c = peek(p);
    return c == '\n' || c == '\r'; /* a CR is always followed by LF here */
}

static void skip_newline(struct parser *p)
{
    if (peek(p) == '\r')
        p->pos++;
    if (peek(p) == '\n')
        p->pos++;
}

/* Whitespace, comments and newlines, as allowed between array elements
 * and between top-level statements. */
static void skip_blank(struct parser *p)
{
    for (;;) {
        skip_ws(p);
        skip_comment(p);
        if (!at_eol(p))
            return;
        skip_newline(p);
    }
}

static int expect_eol(struct parser *p, const char *after)
{
    char d[16];
    skip_ws(p);
    skip_comment(p);
    if (p->pos >= p->len)
        return 0;
    if (at_eol(p)) {
        skip_newline(p);
        return 0;
    }
    return fail(p, p->pos, "expected end of line after %s, found %s", after,
                describe(p, p->pos, d));
}

/* TOML forbids raw control characters everywhere (strings and comments
 * included) and requires UTF-8, so checking once up front is exact. */
static int check_text(struct parser *p)
{
    const unsigned char *s = (const unsigned char *)p->s;
    size_t i = p->pos;
    while (i < p->len) {
        unsigned char c = s[i];
        if (c < 0x80) {
            if (c == '\r') {
                if (i + 1 >= p->len || s[i + 1] != '\n')
                    return fail(p, i, "carriage return not followed by a line feed");
            } else if (c == 0) {
                return fail(p, i, "NUL byte in the input");
            } else if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7F) {
                return fail(p, i,
                            "control character 0x%x is not allowed (use an escape in strings)",
                            c);
            }
            i++;
            continue;
        }
        size_t n = (c >= 0xC2 && c <= 0xDF) ? 2 : (c >= 0xE0 && c <= 0xEF) ? 3
                 : (c >= 0xF0 && c <= 0xF4) ? 4 : 0;
        if (n == 0 || n > p->len - i)
            return fail(p, i, "invalid UTF-8 (byte 0x%x)", c);
        uint32_t cp = c & (0x7Fu >> n);
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return fail(p, i, "invalid UTF-8 (byte 0x%x)", c);
            cp = (cp << 6) | (s[i + k] & 0x3Fu);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return fail(p, i, "invalid UTF-8 (overlong, surrogate or out-of-range sequence)");
        i += n;
    }
    return 0;
}

/* --------------------------------------------------------------- strings */

static size_t utf8_encode(uint32_t cp, char out[4])
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static unsigned digit_value(int c)
{
    if (c >= '0' && c <= '9')
        return (unsigned)(c - '0');
    if (c >= 'a' && c <= 'f')
        return (unsigned)(c - 'a' + 10);
    if (c >= 'A' && c <= 'F')
        return (unsigned)(c - 'A' + 10);
    return 99;
}

static bool is_ws_or_nl(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Handles one escape at s[i] == '\\'; appends to dst (if any) and returns
 * the offset after it, or 0 after recording an error. */
static size_t scan_escape(struct parser *p, size_t i, bool ml, char *dst, size_t *out)
{
    const char *s = p->s;
    char d[16];
    if (i + 1 >= p->len) {
        fail(p, i, "unterminated string");
        return 0;
    }
    char e = s[i + 1], ch;
    switch (e) {
    case 'b': ch = '\b'; break;
    case 't': ch = '\t'; break;
    case 'n': ch = '\n'; break;
    case 'f': ch = '\f'; break;
    case 'r': ch = '\r'; break;
    case '"': ch = '"'; break;
    case '\\': ch = '\\'; break;
    case 'u':
    case 'U': {
        size_t nd = e == 'u' ? 4 : 8;
        uint32_t cp = 0;
        if (nd > p->len - (i + 2)) {
            fail(p, i, "\\%c escape needs %zu hexadecimal digits", e, nd);
            return 0;
        }
        for (size_t k = 0; k < nd; k++) {
            unsigned v = digit_value((unsigned char)s[i + 2 + k]);
            if (v > 15) {
                fail(p, i, "\\%c escape needs %zu hexadecimal digits", e, nd);
                return 0;
            }
            cp = (cp << 4) | v;
        }
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            fail(p, i, "\\%c escape is not a Unicode scalar value", e);
            return 0;
        }
        char u[4];
        size_t n = utf8_encode(cp, u);
        if (dst)
            memcpy(dst + *out, u, n);
        *out += n;
        return i + 2 + nd;
    }
    default:
        if (ml && is_ws_or_nl(e)) {
            /* Line-ending backslash: drop it and all following blanks. */
            size_t j = i + 1;
            while (j < p->len && (s[j] == ' ' || s[j] == '\t'))
                j++;
            if (j < p->len && (s[j] == '\n' || s[j] == '\r')) {
                while (j < p->len && is_ws_or_nl(s[j]))
                    j++;
                return j;
            }
        }
        fail(p, i, "invalid escape sequence: backslash followed by %s", describe(p, i + 1, d));
        return 0;
    }
    if (dst)
        dst[*out] = ch;
    (*out)++;
    return i + 2;
}

/* Scans a string whose opening delimiter (q, tripled if ml) is at p->pos.
 * With dst == NULL it validates and measures; with dst it decodes into it.
 * Both passes see the same bytes, so the length from the first is exact. */
static int scan_string(struct parser *p, char q, bool ml, char *dst, size_t *len,
                       size_t *end)
{
    const char *s = p->s;
    size_t i = p->pos + (ml ? 3 : 1), out = 0;
    if (ml) { /* a newline right after the opening delimiter is trimmed */
        if (i < p->len && s[i] == '\n')
            i++;
        else if (i + 1 < p->len && s[i] == '\r' && s[i + 1] == '\n')
            i += 2;
    }
    for (;;) {
        if (i >= p->len)
            return fail(p, p->pos, "unterminated string");
        char c = s[i];
        if (c == q) {
            if (!ml) {
                *end = i + 1;
                break;
            }
            size_t run = 0;
            while (i + run < p->len && s[i + run] == q)
                run++;
            if (run >= 3) {
                /* Up to two quotes may precede the closing delimiter. */
                if (run > 5)
                    return fail(p, i + 5, "too many quotes at the end of a multi-line string");
                if (dst)
                    memset(dst + out, q, run - 3);
                out += run - 3;
                *end = i + run;
                break;
            }
            if (dst)
                memset(dst + out, q, run);
            out += run;
            i += run;
            continue;
        }
        if ((c == '\n' || c == '\r') && !ml)
            return fail(p, i, "newline in a single-line string (use \\n or a multi-line string)");
        if (c == '\r') { /* CRLF -> LF, so a config's strings do not depend on its line endings */
            i++;
            continue;
        }
        if (c == '\\' && q == '"') {
            i = scan_escape(p, i, ml, dst, &out);
            if (!i)
                return p->rc;
            continue;
        }
        if (dst)
            dst[out] = c;
        out++;
        i++;
    }
    *len = out;
    return 0;
}

/* Parses any string form at p->pos into a NUL-terminated arena copy. */
static NOINLINE int parse_string(struct parser *p, bool allow_ml, const char **str,
                                 size_t *len)
{
    char q = p->s[p->pos];
    bool ml = allow_ml && peek_at(p, 1) == q && peek_at(p, 2) == q;
    size_t n = 0, end = 0;
    int rc = scan_string(p, q, ml, NULL, &n, &end);
    if (rc)
        return rc;
    char *buf = arena_alloc(p, n + 1, 1);
    if (!buf)
        return fail_nomem(p, p->arena->size);
    rc = scan_string(p, q, ml, buf, &n, &end);
    if (rc)
        return rc;
    buf[n] = '\0';
    *str = buf;
    *len = n;
    p->pos = end;
    return 0;
}

/* ------------------------------------------------------------------ keys */

static bool is_bare_key_char(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
}

/* Reads a (dotted) key into p->parts; leaves p->pos after trailing blanks. */
static int parse_key(struct parser *p)
{
    char d[16];
    p->nparts = 0;
    for (;;) {
        if (p->nparts == TOML_MAX_KEY_PARTS)
            return fail(p, p->pos, "key has more than %d dotted parts", TOML_MAX_KEY_PARTS);
        struct keypart *kp = &p->parts[p->nparts];
        int c = peek(p);
        kp->pos = p->pos;
        where(p, kp->pos, &kp->line, &kp->col);
        if (c == '"' || c == '\'') {
            int rc = parse_string(p, false, &kp->k, &kp->len);
            if (rc)
                return rc;
        } else if (is_bare_key_char(c)) {
            kp->k = p->s + p->pos;
            while (is_bare_key_char(peek(p)))
                p->pos++;
            kp->len = (size_t)(p->s + p->pos - kp->k);
        } else {
            return fail(p, p->pos, "expected a key, found %s", describe(p, p->pos, d));
        }
        p->nparts++;
        skip_ws(p);
        if (peek(p) != '.')
            return 0;
        p->pos++;
        skip_ws(p);
    }
}

/* ---------------------------------------------------------------- values */

static int parse_value(struct parser *p, struct toml_node **out);

static bool token_is(const char *t, size_t n, const char *word)
{
    size_t wl = strlen(word);
    return n == wl && memcmp(t, word, n) == 0;
}

static bool is_token_char(int c)
{
    return is_bare_key_char(c) || c == '+' || c == '.' || c == ':';
}

/* Accumulates digits of one base with '_' separators between digits. */
static int parse_digits(struct parser *p, size_t at, const char *d, size_t n, unsigned base,
                        uint64_t *mag)
{
    static const char *const names[17] = { [2] = "binary", [8] = "octal", [10] = "decimal",
                                           [16] = "hexadecimal" };
    uint64_t v = 0;
    bool prev_digit = false;
    if (n == 0)
        return fail(p, at, "%s integer has no digits", names[base]);
    for (size_t k = 0; k < n; k++) {
        if (d[k] == '_') {
            if (!prev_digit || k + 1 >= n || digit_value((unsigned char)d[k + 1]) >= base)
                return fail(p, at, "'_' in an integer must sit between two digits");
            prev_digit = false;
            continue;
        }
        unsigned dv = digit_value((unsigned char)d[k]);
        if (dv >= base)
            return fail(p, at, "invalid digit '%c' in a %s integer", d[k], names[base]);
        if (v > (UINT64_MAX - dv) / base)
            return fail(p, at, "integer does not fit in 64 bits");
        v = v * base + dv;
        prev_digit = true;
    }
    *mag = v;
    return 0;
}

/* Booleans, integers, and a clear error for floats, dates and junk. */
static NOINLINE int parse_bare_value(struct parser *p, struct toml_node *n)
{
    size_t start = p->pos;
    char d[16];
    while (is_token_char(peek(p)))
        p->pos++;
    const char *t = p->s + start;
    size_t len = p->pos - start;
    int shown = (int)MIN(len, (size_t)32);
    const char *more = len > 32 ? "..." : "";
    if (len == 0)
        return fail(p, start, "expected a value, found %s", describe(p, start, d));
    if (token_is(t, len, "true") || token_is(t, len, "false")) {
        n->type = TOML_BOOL;
        n->v.boolean = t[0] == 't';
        return 0;
    }
    bool sign = t[0] == '+' || t[0] == '-', neg = t[0] == '-';
    const char *b = t + sign;
    size_t bl = len - sign;
    if (token_is(b, bl, "inf") || token_is(b, bl, "nan"))
        return fail(p, start, "floating-point numbers are not supported in VM configs");
    if (bl == 0 || b[0] < '0' || b[0] > '9')
        return fail(p, start,
                    "expected a value (string, integer, boolean, array or inline table), "
                    "found '%.*s%s'", shown, t, more);
    uint64_t mag;
    n->type = TOML_INT;
    if (bl > 1 && b[0] == '0' && (b[1] == 'x' || b[1] == 'o' || b[1] == 'b')) {
        if (sign)
            return fail(p, start, "a sign is not allowed on hexadecimal, octal or binary integers");
        unsigned base = b[1] == 'x' ? 16 : b[1] == 'o' ? 8 : 2;
        int rc = parse_digits(p, start, b + 2, bl - 2, base, &mag);
        n->v.bits = mag;
        return rc;
    }
    for (size_t k = 1; k < bl; k++) {
        if (b[k] == ':' || b[k] == '-')
            return fail(p, start, "dates and times are not supported in VM configs");
    }
    for (size_t k = 0; k < bl; k++) {
        if (b[k] == '.' || b[k] == 'e' || b[k] == 'E')
            return fail(p, start, "floating-point numbers are not supported in VM configs");
    }
    int rc = parse_digits(p, start, b, bl, 10, &mag);
    if (rc)
        return rc;
    if (b[0] == '0' && bl > 1)
        return fail(p, start, "leading zeros are not allowed in decimal integers");
    if (mag > (uint64_t)INT64_MAX + (neg ? 1 : 0))
        return fail(p, start, "integer '%.*s%s' is out of range for a signed 64-bit integer",
                    shown, t, more);
    n->neg = neg && mag != 0;
    n->v.bits = n->neg ? 0 - mag : mag;
    return 0;
}

/* A bare word followed by '=' where an array element should be: almost
 * certainly a missing ']', worth a clearer message than "expected a value". */
static bool looks_like_keyval(const struct parser *p)
{
    size_t i = p->pos;
    while (i < p->len && is_bare_key_char((unsigned char)p->s[i]))
        i++;
    if (i == p->pos)
        return false;
    while (i < p->len && (p->s[i] == ' ' || p->s[i] == '\t'))
        i++;
    return i < p->len && p->s[i] == '=';
}

static int fail_unclosed_array(struct parser *p, const struct toml_node *arr)
{
    return fail(p, p->pos, "unterminated array (opened on line %u): found a key = value line "
                "before ']'", arr->line);
}

static int parse_array(struct parser *p, struct toml_node *arr)
{
    size_t open = p->pos;
    char d[16];
    p->pos++;
    for (;;) {
        skip_blank(p);
        if (p->pos >= p->len)
            return fail(p, open, "unterminated array (missing ']')");
        if (peek(p) == ']') {
            p->pos++;
            return 0;
        }
        if (looks_like_keyval(p))
            return fail_unclosed_array(p, arr);
        struct toml_node *el;
        int rc = parse_value(p, &el);
        if (rc)
            return rc;
        list_append(arr, el);
        skip_blank(p);
        int c = peek(p);
        if (c == ',') {
            p->pos++;
        } else if (c == ']') {
            p->pos++;
            return 0;
        } else if (c < 0) {
            return fail(p, open, "unterminated array (missing ']')");
        } else if (looks_like_keyval(p)) {
            return fail_unclosed_array(p, arr);
        } else {
            return fail(p, p->pos, "expected ',' or ']' in an array, found %s",
                        describe(p, p->pos, d));
        }
    }
}

static int parse_keyval(struct parser *p, struct toml_node *table);

static int parse_inline_table(struct parser *p, struct toml_node *t)
{
    size_t open = p->pos;
    char d[16];
    p->pos++;
    skip_ws(p);
    if (peek(p) == '}') {
        p->pos++;
        return 0;
    }
    for (;;) {
        skip_ws(p);
        int rc = parse_keyval(p, t);
        if (rc)
            return rc;
        skip_ws(p);
        int c = peek(p);
        if (c == ',') {
            p->pos++;
            skip_ws(p);
            if (peek(p) == '}')
                return fail(p, p->pos, "trailing comma is not allowed in an inline table");
        } else if (c == '}') {
            p->pos++;
            return 0;
        } else if (c < 0) {
            return fail(p, open, "unterminated inline table (missing '}')");
        } else if (c == '\n' || c == '\r' || c == '#') {
            return fail(p, p->pos, "an inline table must be on one line; found %s before '}'",
                        c == '#' ? "a comment" : "a newline");
        } else {
            return fail(p, p->pos, "expected ',' or '}' in an inline table, found %s",
                        describe(p, p->pos, d));
        }
    }
}

static int parse_nested(struct parser *p, struct toml_node *n)
{
    if (p->depth >= TOML_MAX_DEPTH)
        return fail(p, p->pos, "arrays / inline tables nested deeper than %d levels",
                    TOML_MAX_DEPTH);
    p->depth++;
    int rc;
    if (n->type == TOML_ARRAY) {
        rc = parse_array(p, n);
    } else {
        n->flags = F_INLINE;
        rc = parse_inline_table(p, n);
    }
    p->depth--;
    return rc;
}

/* Parses the value at p->pos into a new, unattached node. */
static int parse_value(struct parser *p, struct toml_node **out)
{
    int c = peek(p);
    int type = c == '[' ? TOML_ARRAY : c == '{' ? TOML_TABLE
             : (c == '"' || c == '\'') ? TOML_STRING : TOML_INT;
    struct toml_node *n = node_new(p, type, p->pos);
    if (!n)
        return p->rc;
    int rc;
    if (type == TOML_STRING)
        rc = parse_string(p, true, &n->v.str.ptr, &n->v.str.len);
    else if (type == TOML_INT)
        rc = parse_bare_value(p, n);
    else
        rc = parse_nested(p, n);
    *out = n;
    return rc;
}

/* ----------------------------------------------------- key / value pairs */

/* Walks the dotted prefix of p->parts from table, creating tables, and
 * returns the table the last part belongs to (NULL after an error). */
static NOINLINE struct toml_node *resolve_dotted(struct parser *p, struct toml_node *t)
{
    char path[128];
    for (size_t i = 0; i + 1 < p->nparts; i++) {
        struct toml_node *c = table_find(t, p->parts[i].k, p->parts[i].len);
        if (!c) {
            c = table_add(p, t, i, F_DOTTED);
            if (!c)
                return NULL;
        } else if (c->type != TOML_TABLE || (c->flags & F_INLINE)) {
            fail(p, p->parts[i].pos, "cannot add keys to '%s': it is %s (line %u)",
                 parts_repr(p, i + 1, path, sizeof(path)), with_article(c), c->line);
            return NULL;
        } else if (!(c->flags & F_DOTTED)) {
            fail(p, p->parts[i].pos,
                 "cannot add keys to table '%s' with a dotted key: it is defined by a "
                 "[header] (line %u)",
                 parts_repr(p, i + 1, path, sizeof(path)), c->line);
            return NULL;
        }
        t = c;
    }
    return t;
}

/* Error reporters kept out of line so the recursive parse_keyval() frame
 * stays small (its depth is bounded by TOML_MAX_DEPTH). */
static NOINLINE int fail_no_equals(struct parser *p)
{
    char path[128], d[16];
    return fail(p, p->pos, "expected '=' after key '%s', found %s",
                parts_repr(p, p->nparts, path, sizeof(path)), describe(p, p->pos, d));
}

static NOINLINE int fail_duplicate(struct parser *p, size_t at, const struct toml_node *old)
{
    char path[128];
    return fail(p, at, "duplicate key '%s' (first defined on line %u)",
                parts_repr(p, p->nparts, path, sizeof(path)), old->line);
}

static int parse_keyval(struct parser *p, struct toml_node *table)
{
    int rc = parse_key(p);
    if (rc)
        return rc;
    if (peek(p) != '=')
        return fail_no_equals(p);
    p->pos++;
    skip_ws(p);
    struct toml_node *t = resolve_dotted(p, table);
    if (!t)
        return p->rc;
    struct keypart last = p->parts[p->nparts - 1];
    struct toml_node *old = table_find(t, last.k, last.len);
    if (old)
        return fail_duplicate(p, last.pos, old);
    struct toml_node *v;
    rc = parse_value(p, &v); /* may reuse p->parts: `last` was copied */
    if (rc)
        return rc;
    rc = node_set_key(p, v, &last);
    if (rc)
        return rc;
    list_append(t, v);
    return 0;
}

/* ---------------------------------------------------------------- headers */

/* Walks the header's prefix: through tables and into the last element of
 * arrays of tables, creating implicit tables as needed. */
static struct toml_node *resolve_header(struct parser *p, const char *what)
{
    char path[128];
    struct toml_node *t = p->root;
    for (size_t i = 0; i + 1 < p->nparts; i++) {
        struct toml_node *c = table_find(t, p->parts[i].k, p->parts[i].len);
        if (!c) {
            c = table_add(p, t, i, 0);
            if (!c)
                return NULL;
        } else if (c->type == TOML_ARRAY && (c->flags & F_AOT)) {
            c = c->v.list.last;
        } else if (c->type != TOML_TABLE || (c->flags & F_INLINE)) {
            fail(p, p->parts[i].pos, "cannot define %s: '%s' is already %s (line %u)", what,
                 parts_repr(p, i + 1, path, sizeof(path)), with_article(c), c->line);
            return NULL;
        }
        t = c;
    }
    return t;
}

static int parse_header(struct parser *p)
{
    char path[128], what[160], d[16];
    size_t start = p->pos;
    uint32_t hl, hc; /* header position, taken before scanning further */
    where(p, start, &hl, &hc);
    bool aot = peek_at(p, 1) == '[';
    p->pos += aot ? 2 : 1;
    skip_ws(p);
    int rc = parse_key(p);
    if (rc)
        return rc;
    size_t bad = peek(p) != ']' ? p->pos : (aot && peek_at(p, 1) != ']') ? p->pos + 1 : 0;
    if (bad)
        return fail(p, bad, "expected '%s' to close the header, found %s", aot ? "]]" : "]",
                    describe(p, bad, d));
    p->pos += aot ? 2 : 1;
    parts_repr(p, p->nparts, path, sizeof(path));
    toml_format(what, sizeof(what), aot ? "[[%s]]" : "[%s]", path);

    struct toml_node *t = resolve_header(p, what);
    if (!t)
        return p->rc;
    struct keypart *last = &p->parts[p->nparts - 1];
    struct toml_node *c = table_find(t, last->k, last->len);
    if (aot) {
        if (!c) {
            c = node_new_at(p, TOML_ARRAY, hl, hc);
            if (!c || node_set_key(p, c, last))
                return p->rc;
            c->line = hl;
            c->col = hc;
            c->flags = F_AOT;
            list_append(t, c);
        } else if (c->type != TOML_ARRAY || !(c->flags & F_AOT)) {
            return fail(p, start, "cannot define %s: '%s' is already %s (line %u)", what, path,
                        with_article(c), c->line);
        }
        struct toml_node *el = node_new_at(p, TOML_TABLE, hl, hc);
        if (!el)
            return p->rc;
        el->flags = F_HEADER;
        list_append(c, el);
        p->cur = el;
        return 0;
    }
    if (!c) {
        c = table_add(p, t, p->nparts - 1, F_HEADER);
        if (!c)
            return p->rc;
    } else if (c->type != TOML_TABLE || (c->flags & F_INLINE)) {
        return fail(p, start, "cannot define %s: '%s' is already %s (line %u)", what, path,
                    with_article(c), c->line);
    } else if (c->flags & F_HEADER) {
        return fail(p, start, "table %s is defined twice (first on line %u)", what, c->line);
    } else if (c->flags & F_DOTTED) {
        return fail(p, start, "table %s was already defined with dotted keys (line %u)", what,
                    c->line);
    }
    /* An implicitly created table becomes defined here. */
    c->flags |= F_HEADER;
    c->line = hl;
    c->col = hc;
    p->cur = c;
    return 0;
}

/* ------------------------------------------------------------------ main */

int toml_parse(const char *text, size_t len, struct toml_arena *arena,
               const struct toml_node **root, struct toml_error *err)
{
    struct parser p;
    if (err) {
        err->line = err->col = 0;
        err->msg[0] = '\0';
    }
    if (!arena || !root || (!text && len)) {
        if (err)
            toml_format(err->msg, sizeof(err->msg), "invalid arguments");
        return -AX_EINVAL;
    }
    memset(&p, 0, sizeof(p));
    p.s = text ? text : "";
    p.len = len;
    p.arena = arena;
    p.err = err;
    p.ck_line = p.ck_col = 1;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        p.pos = p.base = p.ck_pos = 3;
    size_t mark = arena->used;

    int rc = check_text(&p);
    if (!rc) {
        p.root = node_new(&p, TOML_TABLE, p.pos);
        if (p.root) {
            p.root->flags = F_HEADER;
            p.root->line = 1;
            p.root->col = 1;
        }
        rc = p.rc;
    }
    p.cur = p.root;
    while (!rc) {
        skip_blank(&p);
        if (p.pos >= p.len)
            break;
        if (peek(&p) == '[') {
            rc = parse_header(&p);
            if (!rc)
                rc = expect_eol(&p, "a table header");
        } else {
            rc = parse_keyval(&p, p.cur);
            if (!rc)
                rc = expect_eol(&p, "a value");
        }
    }
    if (rc) {
        arena->used = mark;
        return rc;
    }
    *root = p.root;
    return 0;
}

/* ------------------------------------------------------------- accessors */

const char *toml_type_name(int type)
{
    switch (type) {
    case TOML_TABLE: return "table";
    case TOML_ARRAY: return "array";
    case TOML_STRING: return "string";
    case TOML_INT: return "integer";
    case TOML_BOOL: return "boolean";
    default: return "?";
    }
}

const struct toml_node *toml_table_getn(const struct toml_node *table, const char *key,
                                        size_t key_len)
{
    if (!table || table->type != TOML_TABLE || (!key && key_len))
        return NULL;
    for (const struct toml_node *n = table->v.list.first; n; n = n->next) {
        if (n->key_len == key_len && memcmp(n->key, key, key_len) == 0)
            return n;
    }
    return NULL;
}

const struct toml_node *toml_table_get(const struct toml_node *table, const char *key)
{
    return key ? toml_table_getn(table, key, strlen(key)) : NULL;
}

const struct toml_node *toml_get_path(const struct toml_node *table, const char *path)
{
    if (!path)
        return NULL;
    const struct toml_node *n = table;
    const char *seg = path;
    for (;;) {
        const char *dot = strchr(seg, '.');
        size_t sl = dot ? (size_t)(dot - seg) : strlen(seg);
        if (sl == 0)
            return NULL;
        n = toml_table_getn(n, seg, sl);
        if (!n || !dot)
            return n;
        seg = dot + 1;
    }
}

size_t toml_len(const struct toml_node *c)
{
    if (!c || (c->type != TOML_TABLE && c->type != TOML_ARRAY))
        return 0;
    return c->v.list.count;
}

const struct toml_node *toml_first(const struct toml_node *c)
{
    if (!c || (c->type != TOML_TABLE && c->type != TOML_ARRAY))
        return NULL;
    return c->v.list.first;
}

const struct toml_node *toml_next(const struct toml_node *n)
{
    return n ? n->next : NULL;
}

const struct toml_node *toml_at(const struct toml_node *array, size_t index)
{
    if (!array || array->type != TOML_ARRAY || index >= array->v.list.count)
        return NULL;
    const struct toml_node *n = array->v.list.first;
    while (index-- && n)
        n = n->next;
    return n;
}

int toml_as_u64(const struct toml_node *n, uint64_t *out)
{
    if (!n || n->type != TOML_INT)
        return -AX_EINVAL;
    if (n->neg)
        return -AX_ERANGE;
    *out = n->v.bits;
    return 0;
}

int toml_as_i64(const struct toml_node *n, int64_t *out)
{
    if (!n || n->type != TOML_INT)
        return -AX_EINVAL;
    if (!n->neg && n->v.bits > (uint64_t)INT64_MAX)
        return -AX_ERANGE;
    *out = (int64_t)n->v.bits;
    return 0;
}

int toml_as_bool(const struct toml_node *n, bool *out)
{
    if (!n || n->type != TOML_BOOL)
        return -AX_EINVAL;
    *out = n->v.boolean;
    return 0;
}

int toml_as_str(const struct toml_node *n, const char **str, size_t *len)
{
    if (!n || n->type != TOML_STRING)
        return -AX_EINVAL;
    *str = n->v.str.ptr;
    if (len)
        *len = n->v.str.len;
    return 0;
}

int toml_get_u64(const struct toml_node *t, const char *path, uint64_t *out)
{
    const struct toml_node *n = toml_get_path(t, path);
    return n ? toml_as_u64(n, out) : -AX_ENOENT;
}

int toml_get_i64(const struct toml_node *t, const char *path, int64_t *out)
{
    const struct toml_node *n = toml_get_path(t, path);
    return n ? toml_as_i64(n, out) : -AX_ENOENT;
}

int toml_get_bool(const struct toml_node *t, const char *path, bool *out)
{
    const struct toml_node *n = toml_get_path(t, path);
    return n ? toml_as_bool(n, out) : -AX_ENOENT;
}

int toml_get_str(const struct toml_node *t, const char *path, const char **str, size_t *len)
{
    const struct toml_node *n = toml_get_path(t, path);
    return n ? toml_as_str(n, str, len) : -AX_ENOENT;
}
