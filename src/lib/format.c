/* printf-style formatting: one engine, two sinks (bounded buffer, callback).
 *
 * A conversion is parsed completely before any argument is read, so a spec
 * we do not support can be copied out literally without touching va_list:
 * reading an argument of the wrong type (a double for %f, say) is undefined
 * and, without floating-point registers, impossible to do right anyway.
 */
#include "ax/format.h"

#include <stdint.h>

#include "ax/string.h"

/* <limits.h> is not on the freestanding include list; the compiler knows. */
#define FMT_INT_MAX __INT_MAX__

_Static_assert(sizeof(size_t) == sizeof(ptrdiff_t),
               "%zd and %tu read the other type of the same width");

/* ---- output sinks ------------------------------------------------------ */

struct fmt_out {
    bool to_cb;
    char *buf;                      /* buffer sink; NULL when size is 0 */
    size_t cap;                     /* characters the buffer can hold before the NUL */
    void (*cb)(void *ctx, char c);  /* callback sink; NULL only counts */
    void *cb_ctx;
    size_t len;                     /* characters produced so far, saturating */
};

static void out_advance(struct fmt_out *o, size_t n)
{
    o->len = (SIZE_MAX - o->len < n) ? SIZE_MAX : o->len + n;
}

static size_t out_room(const struct fmt_out *o)
{
    return o->len < o->cap ? o->cap - o->len : 0;
}

static void out_write(struct fmt_out *o, const char *s, size_t n)
{
    if (o->to_cb) {
        if (o->cb != NULL) {
            for (size_t i = 0; i < n; i++)
                o->cb(o->cb_ctx, s[i]);
        }
    } else {
        size_t k = MIN(n, out_room(o));
        if (k > 0)
            memcpy(o->buf + o->len, s, k);
    }
    out_advance(o, n);
}

static void out_char(struct fmt_out *o, char c)
{
    out_write(o, &c, 1);
}

/* Padding can be as long as FMT_INT_MAX: for a full buffer it costs nothing. */
static void out_pad(struct fmt_out *o, char c, size_t n)
{
    if (o->to_cb) {
        if (o->cb != NULL) {
            for (size_t i = 0; i < n; i++)
                o->cb(o->cb_ctx, c);
        }
    } else {
        size_t k = MIN(n, out_room(o));
        if (k > 0)
            memset(o->buf + o->len, c, k);
    }
    out_advance(o, n);
}

/* ---- conversion specs -------------------------------------------------- */

enum {
    F_MINUS = 1 << 0,
    F_ZERO = 1 << 1,
    F_PLUS = 1 << 2,
    F_SPACE = 1 << 3,
    F_HASH = 1 << 4,
};

enum fmt_len { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z, LEN_J, LEN_T, LEN_BAD };

struct fmt_spec {
    unsigned flags;
    bool width_star;
    bool prec_star;
    bool has_prec;
    size_t width;       /* capped at FMT_INT_MAX */
    size_t prec;        /* meaningful only when has_prec; capped at FMT_INT_MAX */
    enum fmt_len len;
    char conv;          /* '\0' when the format ended inside the spec */
};

/* Accumulates a decimal width or precision; saturates instead of wrapping. */
static const char *spec_number(const char *p, size_t *out)
{
    size_t v = 0;

    while (*p >= '0' && *p <= '9') {
        size_t d = (size_t)(*p - '0');
        v = (v > ((size_t)FMT_INT_MAX - d) / 10) ? (size_t)FMT_INT_MAX : v * 10 + d;
        p++;
    }
    *out = v;
    return p;
}

static const char *spec_flags(const char *p, unsigned *flags)
{
    for (;; p++) {
        switch (*p) {
        case '-': *flags |= F_MINUS; break;
        case '0': *flags |= F_ZERO; break;
        case '+': *flags |= F_PLUS; break;
        case ' ': *flags |= F_SPACE; break;
        case '#': *flags |= F_HASH; break;
        default: return p;
        }
    }
}

static const char *spec_length(const char *p, enum fmt_len *len)
{
    switch (*p) {
    case 'h':
        if (p[1] == 'h') {
            *len = LEN_HH;
            return p + 2;
        }
        *len = LEN_H;
        return p + 1;
    case 'l':
        if (p[1] == 'l') {
            *len = LEN_LL;
            return p + 2;
        }
        *len = LEN_L;
        return p + 1;
    case 'z': *len = LEN_Z; return p + 1;
    case 'j': *len = LEN_J; return p + 1;
    case 't': *len = LEN_T; return p + 1;
    /* Valid C but not supported (long double, etc.): mark the spec bad. */
    case 'L':
    case 'q':
        *len = LEN_BAD;
        return p + 1;
    default: *len = LEN_NONE; return p;
    }
}

/* p points just after the '%'. Returns the first character after the spec;
 * never steps over the format's terminating NUL. */
static const char *spec_parse(const char *p, struct fmt_spec *sp)
{
    *sp = (struct fmt_spec){0};
    p = spec_flags(p, &sp->flags);
    if (*p == '*') {
        sp->width_star = true;
        p++;
    } else {
        p = spec_number(p, &sp->width);
    }
    if (*p == '.') {
        sp->has_prec = true;
        p++;
        if (*p == '*') {
            sp->prec_star = true;
            p++;
        } else {
            p = spec_number(p, &sp->prec);
        }
    }
    p = spec_length(p, &sp->len);
    sp->conv = *p;
    return *p != '\0' ? p + 1 : p;
}

static bool spec_supported(const struct fmt_spec *sp)
{
    switch (sp->conv) {
    case 'd': case 'i': case 'u': case 'x': case 'X': case 'o':
        return sp->len != LEN_BAD;
    case 's': case 'c':
        return sp->len == LEN_NONE || sp->len == LEN_L;
    case 'p':
        return sp->len == LEN_NONE;
    default:
        return false; /* includes '%', which is handled only as a bare "%%" */
    }
}

/* Reads '*' arguments in format order; a negative width means '-' flag and a
 * negative precision means none, as in C. */
static void spec_read_stars(struct fmt_spec *sp, va_list *ap)
{
    if (sp->width_star) {
        int w = va_arg(*ap, int);
        if (w < 0) {
            sp->flags |= F_MINUS;
            sp->width = (size_t)0 - (size_t)(long long)w;
            if (sp->width > (size_t)FMT_INT_MAX)
                sp->width = (size_t)FMT_INT_MAX;
        } else {
            sp->width = (size_t)w;
        }
    }
    if (sp->prec_star) {
        int pr = va_arg(*ap, int);
        sp->has_prec = pr >= 0;
        sp->prec = pr >= 0 ? (size_t)pr : 0;
    }
}

/* ---- integers ---------------------------------------------------------- */

static uintmax_t arg_unsigned(enum fmt_len len, va_list *ap)
{
    switch (len) {
    case LEN_HH: return (unsigned char)va_arg(*ap, unsigned int);
    case LEN_H: return (unsigned short)va_arg(*ap, unsigned int);
    case LEN_L: return va_arg(*ap, unsigned long);
    case LEN_LL: return va_arg(*ap, unsigned long long);
    case LEN_Z: return va_arg(*ap, size_t);
    case LEN_J: return va_arg(*ap, uintmax_t);
    case LEN_T: return va_arg(*ap, size_t); /* the unsigned ptrdiff_t type */
    default: return va_arg(*ap, unsigned int);
    }
}

static intmax_t arg_signed(enum fmt_len len, va_list *ap)
{
    switch (len) {
    case LEN_HH: return (signed char)va_arg(*ap, int);
    case LEN_H: return (short)va_arg(*ap, int);
    case LEN_L: return va_arg(*ap, long);
    case LEN_LL: return va_arg(*ap, long long);
    case LEN_Z: return va_arg(*ap, ptrdiff_t); /* the signed size_t type */
    case LEN_J: return va_arg(*ap, intmax_t);
    case LEN_T: return va_arg(*ap, ptrdiff_t);
    default: return va_arg(*ap, int);
    }
}

/* Enough for a uintmax_t in octal, the longest base we print. */
#define DIGITS_MAX (sizeof(uintmax_t) * __CHAR_BIT__ / 3 + 1)

/* Writes the digits right-aligned into buf and returns where they start. */
static char *num_digits(char *end, uintmax_t v, unsigned base, bool upper)
{
    const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char *p = end;

    do {
        *--p = set[v % base];
        v /= base;
    } while (v != 0);
    return p;
}

/* Lays out [padding][prefix][zeros][digits] per C's rules for width,
 * precision and the '-' and '0' flags. */
static void num_emit(struct fmt_out *o, const struct fmt_spec *sp, const char *prefix,
                     size_t prefix_len, const char *digits, size_t nd, size_t zeros)
{
    size_t body = prefix_len + zeros + nd; /* small: nd, prefix <= 24, zeros <= FMT_INT_MAX */
    size_t pad = sp->width > body ? sp->width - body : 0;

    if (sp->flags & F_MINUS) {
        out_write(o, prefix, prefix_len);
        out_pad(o, '0', zeros);
        out_write(o, digits, nd);
        out_pad(o, ' ', pad);
    } else if ((sp->flags & F_ZERO) && !sp->has_prec) {
        out_write(o, prefix, prefix_len);
        out_pad(o, '0', zeros + pad);
        out_write(o, digits, nd);
    } else {
        out_pad(o, ' ', pad);
        out_write(o, prefix, prefix_len);
        out_pad(o, '0', zeros);
        out_write(o, digits, nd);
    }
}

static void conv_integer(struct fmt_out *o, const struct fmt_spec *sp, va_list *ap)
{
    char buf[DIGITS_MAX];
    char prefix[3];
    size_t prefix_len = 0;
    uintmax_t v;
    bool neg = false;
    unsigned base = 10;

    switch (sp->conv) {
    case 'd':
    case 'i': {
        intmax_t s = arg_signed(sp->len, ap);
        neg = s < 0;
        /* Negate in unsigned arithmetic so INTMAX_MIN does not overflow. */
        v = neg ? (uintmax_t)0 - (uintmax_t)s : (uintmax_t)s;
        break;
    }
    case 'p':
        v = (uintptr_t)va_arg(*ap, void *);
        base = 16;
        break;
    default:
        v = arg_unsigned(sp->len, ap);
        base = sp->conv == 'o' ? 8 : sp->conv == 'u' ? 10 : 16;
        break;
    }

    /* Signs apply to %d/%i; glibc applies '+' and ' ' to %p too. */
    if (sp->conv == 'd' || sp->conv == 'i' || sp->conv == 'p') {
        if (neg)
            prefix[prefix_len++] = '-';
        else if (sp->flags & F_PLUS)
            prefix[prefix_len++] = '+';
        else if (sp->flags & F_SPACE)
            prefix[prefix_len++] = ' ';
    }
    if (sp->conv == 'p' || ((sp->flags & F_HASH) && v != 0 &&
                            (sp->conv == 'x' || sp->conv == 'X'))) {
        prefix[prefix_len++] = '0';
        prefix[prefix_len++] = sp->conv == 'X' ? 'X' : 'x';
    }

    char *end = buf + sizeof(buf);
    char *digits = num_digits(end, v, base, sp->conv == 'X');
    size_t nd = (size_t)(end - digits);
    /* C: converting zero with precision zero produces no digits. */
    if (v == 0 && sp->has_prec && sp->prec == 0)
        nd = 0;
    size_t zeros = sp->has_prec && sp->prec > nd ? sp->prec - nd : 0;
    /* '#' with %o: the first digit printed must be a 0. */
    if (sp->conv == 'o' && (sp->flags & F_HASH) && zeros == 0 &&
        (nd == 0 || digits[0] != '0'))
        zeros = 1;

    num_emit(o, sp, prefix, prefix_len, digits, nd, zeros);
}

/* ---- characters and strings -------------------------------------------- */

static void conv_padded(struct fmt_out *o, const struct fmt_spec *sp, const char *s, size_t n)
{
    size_t pad = sp->width > n ? sp->width - n : 0;

    if (!(sp->flags & F_MINUS))
        out_pad(o, ' ', pad);
    out_write(o, s, n);
    if (sp->flags & F_MINUS)
        out_pad(o, ' ', pad);
}

/* Wide characters are narrowed to ASCII; anything else becomes '?'. */
static char wide_to_ascii(unsigned long long wc)
{
    return wc < 0x80 ? (char)wc : '?';
}

static void conv_wide_string(struct fmt_out *o, const struct fmt_spec *sp,
                             const wchar_t *ws)
{
    size_t n = 0;
    size_t limit = sp->has_prec ? sp->prec : SIZE_MAX;

    while (n < limit && ws[n] != 0)
        n++;
    size_t pad = sp->width > n ? sp->width - n : 0;
    if (!(sp->flags & F_MINUS))
        out_pad(o, ' ', pad);
    for (size_t i = 0; i < n; i++)
        out_char(o, wide_to_ascii((unsigned long long)ws[i]));
    if (sp->flags & F_MINUS)
        out_pad(o, ' ', pad);
}

static void conv_string(struct fmt_out *o, const struct fmt_spec *sp, va_list *ap)
{
    if (sp->len == LEN_L) {
        const wchar_t *ws = va_arg(*ap, const wchar_t *);
        if (ws != NULL) {
            conv_wide_string(o, sp, ws);
            return;
        }
        conv_padded(o, sp, "(null)", sp->has_prec ? MIN(sp->prec, (size_t)6) : 6);
        return;
    }

    const char *s = va_arg(*ap, const char *);
    if (s == NULL)
        s = "(null)";
    /* With a precision the string need not be terminated: never read past
     * it. (strnlen is not visible in the host's strict C11 <string.h>.) */
    size_t n = 0;
    if (sp->has_prec) {
        while (n < sp->prec && s[n] != '\0')
            n++;
    } else {
        n = strlen(s);
    }
    conv_padded(o, sp, s, n);
}

static void conv_char(struct fmt_out *o, const struct fmt_spec *sp, va_list *ap)
{
    char c;

    if (sp->len == LEN_L)
        c = wide_to_ascii((unsigned long long)va_arg(*ap, __WINT_TYPE__));
    else
        c = (char)va_arg(*ap, int);
    conv_padded(o, sp, &c, 1);
}

/* ---- the engine -------------------------------------------------------- */

static void fmt_run(struct fmt_out *o, const char *fmt, va_list *ap)
{
    const char *p = fmt;

    if (p == NULL)
        return;
    while (*p != '\0') {
        if (*p != '%') {
            const char *run = p;
            while (*p != '\0' && *p != '%')
                p++;
            out_write(o, run, (size_t)(p - run));
            continue;
        }
        if (p[1] == '%') {
            out_char(o, '%');
            p += 2;
            continue;
        }

        const char *start = p;
        struct fmt_spec sp;
        p = spec_parse(p + 1, &sp);
        if (!spec_supported(&sp)) {
            out_write(o, start, (size_t)(p - start));
            continue;
        }
        spec_read_stars(&sp, ap);
        switch (sp.conv) {
        case 's': conv_string(o, &sp, ap); break;
        case 'c': conv_char(o, &sp, ap); break;
        default: conv_integer(o, &sp, ap); break;
        }
    }
}

static int fmt_result(size_t len)
{
    return len > (size_t)FMT_INT_MAX ? -1 : (int)len;
}

int ax_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct fmt_out o = {
        .to_cb = false,
        .buf = buf,
        .cap = (buf != NULL && size > 0) ? size - 1 : 0,
    };
    va_list aq;

    va_copy(aq, ap);
    fmt_run(&o, fmt, &aq);
    va_end(aq);
    if (buf != NULL && size > 0)
        buf[MIN(o.len, o.cap)] = '\0';
    return fmt_result(o.len);
}

int ax_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    int r = ax_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return r;
}

int ax_vcbprintf(void (*putc)(void *ctx, char c), void *ctx, const char *fmt, va_list ap)
{
    struct fmt_out o = {
        .to_cb = true,
        .cb = putc,
        .cb_ctx = ctx,
    };
    va_list aq;

    va_copy(aq, ap);
    fmt_run(&o, fmt, &aq);
    va_end(aq);
    return fmt_result(o.len);
}

int ax_cbprintf(void (*putc)(void *ctx, char c), void *ctx, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    int r = ax_vcbprintf(putc, ctx, fmt, ap);
    va_end(ap);
    return r;
}
