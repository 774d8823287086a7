/* libFuzzer harness for src/lib/format.c and src/lib/parse.c.
 *
 * The first byte picks a mode:
 *  0: one conversion of any supported type, random flags/width/precision,
 *     compared with the host's snprintf at a random buffer size, and the
 *     callback variant compared with the full output;
 *  1: a run of up to 8 int-typed conversions, '%%' and unknown conversions
 *     in one format, checking that arguments are consumed in step (unknown
 *     specs must consume none: the host sees them escaped as "%%...");
 *  2: ax_strtou64 / ax_strtoi64 against a reference model written
 *     differently (128-bit accumulation, grammar checked up front), plus
 *     libc's strtoull for plain digit strings and a print/parse round trip.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "ax/format.h"
#include "ax/parse.h"
#include "ax/types.h"

#define OUT 8192
#define CANARY 0xa5

/* ---- input reader -------------------------------------------------------- */

struct rd {
    const uint8_t *p;
    size_t n;
};

static uint8_t rd_u8(struct rd *r)
{
    if (r->n == 0)
        return 0;
    r->n--;
    return *r->p++;
}

static uint64_t rd_u64(struct rd *r)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | rd_u8(r);
    return v;
}

/* Small signed values, the range '*' arguments are drawn from. */
static int rd_star(struct rd *r)
{
    unsigned hi = rd_u8(r);
    unsigned lo = rd_u8(r);
    return (int)(int16_t)(hi << 8 | lo) % 600;
}

/* ---- running both implementations --------------------------------------- */

struct sink {
    char buf[OUT];
    size_t len;
};

static void sink_putc(void *ctx, char c)
{
    struct sink *s = ctx;
    if (s->len < OUT)
        s->buf[s->len] = c;
    s->len++;
}

static char g_ax[OUT], g_host[OUT], g_full[OUT];
static int r_ax, r_host, r_full, r_cb;
static struct sink g_cb;

static void run_ax(size_t size, const char *fmt, ...)
{
    va_list ap;

    memset(g_ax, CANARY, sizeof(g_ax));
    va_start(ap, fmt);
    r_ax = ax_vsnprintf(g_ax, size, fmt, ap);
    va_end(ap);
    g_cb.len = 0;
    va_start(ap, fmt);
    r_cb = ax_vcbprintf(sink_putc, &g_cb, fmt, ap);
    va_end(ap);
}

static void run_host(size_t size, const char *fmt, ...)
{
    va_list ap;

    memset(g_host, CANARY, sizeof(g_host));
    va_start(ap, fmt);
    r_host = vsnprintf(g_host, size, fmt, ap);
    va_end(ap);
    va_start(ap, fmt);
    r_full = vsnprintf(g_full, sizeof(g_full), fmt, ap);
    va_end(ap);
}

static void check(const char *fmt_ax, const char *fmt_host, size_t size)
{
    if (r_full < 0 || r_full >= OUT) {
        fprintf(stderr, "harness: host output too long for \"%s\"\n", fmt_host);
        abort();
    }
    bool ok = r_ax == r_host && memcmp(g_ax, g_host, sizeof(g_ax)) == 0 && r_cb == r_full &&
              g_cb.len == (size_t)r_full && memcmp(g_cb.buf, g_full, (size_t)r_full) == 0;
    if (!ok) {
        fprintf(stderr,
                "MISMATCH fmt(ax) \"%s\" fmt(host) \"%s\" size %zu\n"
                "  ax:   r=%d \"%.*s\"\n  host: r=%d \"%.*s\"\n  cb:   r=%d \"%.*s\"\n"
                "  full: r=%d \"%s\"\n",
                fmt_ax, fmt_host, size, r_ax, (int)(size ? size - 1 : 0), g_ax, r_host,
                (int)(size ? size - 1 : 0), g_host, r_cb, (int)MIN(g_cb.len, (size_t)OUT),
                g_cb.buf, r_full, g_full);
        abort();
    }
}

/* ---- spec generation ----------------------------------------------------- */

struct fmtbuf {
    char s[512];
    size_t len;
};

static void fb_add(struct fmtbuf *f, const char *s)
{
    size_t n = strlen(s);
    if (f->len + n < sizeof(f->s)) {
        memcpy(f->s + f->len, s, n + 1);
        f->len += n;
    }
}

static void fb_addc(struct fmtbuf *f, char c)
{
    char t[2] = {c, '\0'};
    fb_add(f, t);
}

/* Literal text between conversions: printable, no '%'. */
static void gen_literal(struct rd *r, struct fmtbuf *a, struct fmtbuf *h)
{
    static const char text[] = "abc XYZ-_=:[]0123456789";
    unsigned n = rd_u8(r) % 4;
    for (unsigned i = 0; i < n; i++) {
        char c = text[rd_u8(r) % (sizeof(text) - 1)];
        fb_addc(a, c);
        fb_addc(h, c);
    }
}

struct gspec {
    char text[64];     /* "%..." up to, not including, length and conversion */
    int nstar;
    bool width_star;
    bool prec;         /* any precision */
    bool prec_small;   /* a digit precision below 6 (matters for NULL %s) */
};

static void gen_flags_width_prec(struct rd *r, struct gspec *g)
{
    static const char flag_chars[] = "-0+ #";
    struct fmtbuf f = {.len = 0};
    f.s[0] = '\0';

    fb_addc(&f, '%');
    uint8_t fl = rd_u8(r);
    for (int i = 0; i < 5; i++)
        if (fl & (1u << i))
            fb_addc(&f, flag_chars[i]);
    if (fl & 0x20)
        fb_addc(&f, flag_chars[(fl >> 6) % 5]); /* repeated flags are legal */

    uint8_t w = rd_u8(r);
    g->nstar = 0;
    g->width_star = false;
    if (w % 4 == 1) {
        fb_addc(&f, '*');
        g->nstar++;
        g->width_star = true;
    } else if (w % 4 >= 2) {
        char d[8];
        snprintf(d, sizeof(d), "%u", (unsigned)(w >> 2) % 64 + 1);
        fb_add(&f, d);
    }

    uint8_t q = rd_u8(r);
    g->prec = q % 4 != 0;
    g->prec_small = false;
    if (q % 4 == 1) {
        fb_addc(&f, '.');
        g->prec_small = true;
    } else if (q % 4 == 2) {
        fb_add(&f, ".*");
        g->nstar++;
    } else if (q % 4 == 3) {
        char d[8];
        unsigned p = (unsigned)(q >> 2) % 64;
        snprintf(d, sizeof(d), ".%u", p);
        fb_add(&f, d);
        g->prec_small = p < 6;
    }
    memcpy(g->text, f.s, f.len + 1);
}

enum kind { K_INT, K_C, K_LC, K_S, K_LS, K_P, K_COUNT };
static const char *const lens[] = {"", "hh", "h", "l", "ll", "z", "j", "t"};
static const char int_convs[] = "diuxXo";

/* Calls fn(size, fmt, [stars...], args...) with the stars this spec needs. */
#define CALL(fn, size, fmt, g, st, ...)                                           \
    do {                                                                         \
        if ((g)->nstar == 0)                                                     \
            fn(size, fmt, __VA_ARGS__);                                          \
        else if ((g)->nstar == 1)                                                \
            fn(size, fmt, (st)[0], __VA_ARGS__);                                 \
        else                                                                     \
            fn(size, fmt, (st)[0], (st)[1], __VA_ARGS__);                        \
    } while (0)

#define CALL_BOTH(size, fa, fh, g, st, ...)                                      \
    do {                                                                         \
        CALL(run_ax, size, fa, g, st, __VA_ARGS__);                              \
        CALL(run_host, size, fh, g, st, __VA_ARGS__);                            \
    } while (0)

static void int_call(size_t size, const char *f, const struct gspec *g, const int *st,
                     int lm, bool sgn, uint64_t v)
{
    if (sgn) {
        switch (lm) {
        case 3: CALL_BOTH(size, f, f, g, st, (long)v); break;
        case 4: CALL_BOTH(size, f, f, g, st, (long long)v); break;
        case 5:
        case 7: CALL_BOTH(size, f, f, g, st, (ptrdiff_t)v); break;
        case 6: CALL_BOTH(size, f, f, g, st, (intmax_t)v); break;
        default: CALL_BOTH(size, f, f, g, st, (int)(int64_t)v); break;
        }
    } else {
        switch (lm) {
        case 3: CALL_BOTH(size, f, f, g, st, (unsigned long)v); break;
        case 4: CALL_BOTH(size, f, f, g, st, (unsigned long long)v); break;
        case 5:
        case 7: CALL_BOTH(size, f, f, g, st, (size_t)v); break;
        case 6: CALL_BOTH(size, f, f, g, st, (uintmax_t)v); break;
        default: CALL_BOTH(size, f, f, g, st, (unsigned int)v); break;
        }
    }
}

static size_t gen_size(struct rd *r)
{
    uint8_t b = rd_u8(r);
    return b < 200 ? b % 70 : OUT;
}

static void fuzz_single(struct rd *r)
{
    struct fmtbuf f = {.len = 0};
    struct gspec g;
    int st[2];

    f.s[0] = '\0';
    gen_literal(r, &f, &f);
    gen_flags_width_prec(r, &g);
    fb_add(&f, g.text);
    for (int i = 0; i < g.nstar; i++)
        st[i] = rd_star(r);

    uint8_t k = rd_u8(r);
    enum kind kind = (enum kind)(k % K_COUNT);
    int lm = (k >> 3) % 8;
    char conv = int_convs[rd_u8(r) % 6];
    switch (kind) {
    case K_INT: fb_add(&f, lens[lm]); fb_addc(&f, conv); break;
    case K_C: fb_addc(&f, 'c'); break;
    case K_LC: fb_add(&f, "lc"); break;
    case K_S: fb_addc(&f, 's'); break;
    case K_LS: fb_add(&f, "ls"); break;
    default: fb_addc(&f, 'p'); break;
    }
    gen_literal(r, &f, &f);

    const char *fmt = f.s;
    size_t size = gen_size(r);
    uint64_t v = rd_u64(r);
    switch (kind) {
    case K_INT:
        int_call(size, fmt, &g, st, lm, conv == 'd' || conv == 'i', v);
        break;
    case K_C:
        CALL_BOTH(size, fmt, fmt, &g, st, (int)(v & 0xff));
        break;
    case K_LC:
        /* Host conversion of wide chars depends on the locale: ASCII only. */
        CALL_BOTH(size, fmt, fmt, &g, st, (wint_t)(v & 0x7f));
        break;
    case K_S: {
        char str[64];
        size_t n = (size_t)(v % sizeof(str));
        for (size_t i = 0; i < n; i++)
            str[i] = (char)(rd_u8(r) | 1); /* non-zero, any byte */
        str[n] = '\0';
        if ((v >> 8) % 8 == 0) {
            /* NULL must behave exactly as the string "(null)". */
            CALL(run_ax, size, fmt, &g, st, (char *)NULL);
            CALL(run_host, size, fmt, &g, st, "(null)");
        } else {
            CALL_BOTH(size, fmt, fmt, &g, st, str);
        }
        break;
    }
    case K_LS: {
        wchar_t ws[32];
        size_t n = (size_t)(v % 32);
        for (size_t i = 0; i < n; i++)
            ws[i] = (wchar_t)((rd_u8(r) % 0x7f) + 1);
        ws[n] = 0;
        CALL_BOTH(size, fmt, fmt, &g, st, ws);
        break;
    }
    default:
        if (v == 0) {
            /* glibc prints "(nil)"; we print "0x0": only run ours. */
            CALL(run_ax, size, fmt, &g, st, (void *)NULL);
            if (r_ax < 2 || r_cb != r_ax) /* at least "0x" */
                abort();
            return;
        }
        CALL_BOTH(size, fmt, fmt, &g, st, (void *)(uintptr_t)v);
        break;
    }
    check(fmt, fmt, size);
}

/* Every conversion here takes int-sized arguments, so one fixed argument
 * list serves any mix, and a mis-stepped va_list shows up as wrong output. */
static void fuzz_int_run(struct rd *r)
{
    static const char unknown[] = "fFeEgGaAnmkwyvbBrRCSI!&{~";
    struct fmtbuf fa = {.len = 0}, fh = {.len = 0};
    int args[24] = {0};
    int nargs = 0;

    fa.s[0] = fh.s[0] = '\0';
    unsigned nspecs = rd_u8(r) % 9;
    for (unsigned i = 0; i < nspecs; i++) {
        gen_literal(r, &fa, &fh);
        uint8_t k = rd_u8(r);
        if (k % 8 == 0) {
            fb_add(&fa, "%%");
            fb_add(&fh, "%%");
            continue;
        }
        struct gspec g;
        gen_flags_width_prec(r, &g);
        if (k % 8 == 1) {
            /* Unknown: ours copies it out and reads nothing; the host gets
             * it escaped. 'L' or 'q' before a valid conversion is unknown too. */
            char c = unknown[(k >> 3) % (sizeof(unknown) - 1)];
            fb_add(&fa, g.text);
            fb_addc(&fh, '%');
            fb_add(&fh, g.text);
            if ((k >> 3) & 1) {
                fb_addc(&fa, (k & 0x80) ? 'L' : 'q');
                fb_addc(&fh, (k & 0x80) ? 'L' : 'q');
                c = int_convs[(k >> 4) % 6];
            }
            fb_addc(&fa, c);
            fb_addc(&fh, c);
            continue;
        }
        for (int s = 0; s < g.nstar; s++)
            args[nargs++] = rd_star(r);
        fb_add(&fa, g.text);
        fb_add(&fh, g.text);
        if (k % 8 == 2) {
            fb_addc(&fa, 'c');
            fb_addc(&fh, 'c');
            args[nargs++] = (int)rd_u8(r);
        } else {
            const char *len = lens[(k >> 3) % 3]; /* "", "hh", "h" */
            char conv = int_convs[(k >> 5) % 6];
            fb_add(&fa, len);
            fb_addc(&fa, conv);
            fb_add(&fh, len);
            fb_addc(&fh, conv);
            args[nargs++] = (int)(uint32_t)rd_u64(r);
        }
    }
    gen_literal(r, &fa, &fh);
    /* A format may end in the middle of a spec. */
    uint8_t tail = rd_u8(r);
    if (tail % 4 == 0) {
        struct gspec g;
        gen_flags_width_prec(r, &g);
        fb_add(&fa, g.text);
        fb_addc(&fh, '%');
        fb_add(&fh, g.text);
    }

    size_t size = gen_size(r);
    run_ax(size, fa.s, args[0], args[1], args[2], args[3], args[4], args[5], args[6],
           args[7], args[8], args[9], args[10], args[11], args[12], args[13], args[14],
           args[15], args[16], args[17], args[18], args[19], args[20], args[21], args[22],
           args[23]);
    run_host(size, fh.s, args[0], args[1], args[2], args[3], args[4], args[5], args[6],
             args[7], args[8], args[9], args[10], args[11], args[12], args[13], args[14],
             args[15], args[16], args[17], args[18], args[19], args[20], args[21], args[22],
             args[23]);
    check(fa.s, fh.s, size);
}

/* ---- number parsing ------------------------------------------------------ */

static int ref_digit(char c)
{
    const char *digits = "0123456789abcdefghijklmnopqrstuvwxyz";
    char lc = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    const char *p = c != '\0' ? strchr(digits, lc) : NULL;
    return p != NULL ? (int)(p - digits) : 99;
}

/* Reference: decides the grammar first, then accumulates in 128 bits. */
static int ref_strtou64(const char *s, size_t len, int base_arg, uint64_t *out)
{
    bool seps = (base_arg & AX_PARSE_UNDERSCORE) != 0;
    int base = base_arg & ~AX_PARSE_UNDERSCORE;
    if (base < 0 || base == 1 || base > 36)
        return -AX_EINVAL;

    int pb = 0;
    if (len >= 2 && s[0] == '0') {
        char c = s[1] | 0x20;
        pb = c == 'x' ? 16 : c == 'o' ? 8 : c == 'b' ? 2 : 0;
    }
    size_t i = 0;
    if (base == 0) {
        base = pb ? pb : 10;
        i = pb ? 2 : 0;
    } else if (pb == base) {
        i = 2;
    }
    if (i >= len)
        return -AX_EINVAL;
    if (s[i] == '_' || s[len - 1] == '_')
        return -AX_EINVAL;
    unsigned __int128 v = 0;
    bool big = false;
    for (size_t k = i; k < len; k++) {
        if (s[k] == '_') {
            if (!seps || s[k - 1] == '_')
                return -AX_EINVAL;
            continue;
        }
        int d = ref_digit(s[k]);
        if (d >= base)
            return -AX_EINVAL;
        v = v * (unsigned)base + (unsigned)d;
        if (v > UINT64_MAX) {
            big = true;
            v = (unsigned __int128)UINT64_MAX + 1; /* stays above the limit */
        }
    }
    if (big)
        return -AX_ERANGE;
    *out = (uint64_t)v;
    return 0;
}

static void fuzz_parse(struct rd *r)
{
    static const int bases[] = {0, 2, 8, 10, 16, 36, 1, 37, -1, 3, 7, 35};
    uint8_t b = rd_u8(r);
    int base = bases[b % ARRAY_SIZE(bases)] | ((b & 0x80) ? AX_PARSE_UNDERSCORE : 0);

    /* An exact-size heap copy: ASan flags any read past len. */
    size_t len = MIN(r->n, (size_t)120);
    char *s = malloc(len > 0 ? len : 1);
    if (s == NULL)
        return;
    memcpy(s, r->p, len);

    uint64_t got = 0xfeedface, want = 0xfeedface;
    int rg = ax_strtou64(s, len, base, &got);
    int rw = ref_strtou64(s, len, base, &want);
    if (rg != rw || got != want) {
        fprintf(stderr, "strtou64 \"%.*s\" base %#x: ax %d %llu, ref %d %llu\n", (int)len, s,
                (unsigned)base, rg, (unsigned long long)got, rw, (unsigned long long)want);
        abort();
    }

    /* Plain digits in an explicit base: libc agrees, overflow included. */
    int pure = base & ~AX_PARSE_UNDERSCORE;
    bool plain = len > 0 && len < 100 && pure >= 2 && pure <= 36;
    for (size_t i = 0; plain && i < len; i++)
        plain = ref_digit(s[i]) < pure;
    if (plain) {
        char z[128];
        memcpy(z, s, len);
        z[len] = '\0';
        errno = 0;
        unsigned long long c = strtoull(z, NULL, pure);
        int rc = errno == ERANGE ? -AX_ERANGE : 0;
        if (rc != rg || (rc == 0 && c != got)) {
            fprintf(stderr, "strtou64 \"%s\" base %d: ax %d %llu, libc %d %llu\n", z, pure, rg,
                    (unsigned long long)got, rc, c);
            abort();
        }
    }

    /* Signed: an optional sign, then exactly the unsigned grammar. */
    int64_t sv = 0;
    int rs = ax_strtoi64(s, len, base, &sv);
    bool has_sign = len > 0 && (s[0] == '+' || s[0] == '-');
    bool neg = len > 0 && s[0] == '-';
    uint64_t m = 0;
    int rm = has_sign ? ref_strtou64(s + 1, len - 1, base, &m) : rw;
    if (!has_sign)
        m = want;
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    int want_s = rm != 0 ? rm : m > limit ? -AX_ERANGE : 0;
    if (rs != want_s || (rs == 0 && (uint64_t)sv != (neg ? (uint64_t)0 - m : m))) {
        fprintf(stderr, "strtoi64 \"%.*s\" base %#x: ax %d %lld, want %d\n", (int)len, s,
                (unsigned)base, rs, (long long)sv, want_s);
        abort();
    }

    /* Whatever parsed prints back and parses to the same value. */
    if (rg == 0) {
        char t[40];
        uint64_t again = 0;
        int n = ax_snprintf(t, sizeof(t), "%#llx", (unsigned long long)got);
        if (got != 0 && (ax_strtou64(t, (size_t)n, 0, &again) != 0 || again != got))
            abort();
        n = ax_snprintf(t, sizeof(t), "%llu", (unsigned long long)got);
        if (ax_strtou64(t, (size_t)n, 10, &again) != 0 || again != got)
            abort();
    }
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rd r = {data, size};

    switch (rd_u8(&r) % 3) {
    case 0: fuzz_single(&r); break;
    case 1: fuzz_int_run(&r); break;
    default: fuzz_parse(&r); break;
    }
    return 0;
}
