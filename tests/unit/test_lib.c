/* Tests for src/lib: ax_snprintf / ax_vcbprintf against the host's printf,
 * ax_strerror, ax_strtou64 / ax_strtoi64. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <cmocka.h>

#include "ax/format.h"
#include "ax/parse.h"
#include "ax/types.h"

/* ---- helpers ------------------------------------------------------------ */

#define OUT_MAX 512
#define CANARY 0xa5

struct sink {
    char buf[OUT_MAX];
    size_t len;   /* characters received, may exceed OUT_MAX */
};

static void sink_putc(void *ctx, char c)
{
    struct sink *s = ctx;
    if (s->len < OUT_MAX)
        s->buf[s->len] = c;
    s->len++;
}

/* Formats with both implementations at one buffer size and compares the
 * return value and every byte of the buffer, including the bytes past size
 * that must stay untouched. Also checks the callback variant against the
 * full output. */
static void compare_va(size_t size, const char *fmt, va_list ap)
{
    char got[OUT_MAX], want[OUT_MAX], full[OUT_MAX];
    va_list a;

    assert_true(size <= OUT_MAX);
    memset(got, CANARY, sizeof(got));
    memset(want, CANARY, sizeof(want));

    va_copy(a, ap);
    int rg = ax_vsnprintf(got, size, fmt, a);
    va_end(a);
    va_copy(a, ap);
    int rw = vsnprintf(want, size, fmt, a);
    va_end(a);
    if (rg != rw || memcmp(got, want, sizeof(got)) != 0) {
        size_t shown = size > 0 ? size - 1 : 0;
        fail_msg("fmt \"%s\" size %zu: got %d \"%.*s\", want %d \"%.*s\"", fmt, size, rg,
                 (int)shown, got, rw, (int)shown, want);
    }

    va_copy(a, ap);
    int rf = vsnprintf(full, sizeof(full), fmt, a);
    va_end(a);
    assert_true(rf >= 0 && rf < OUT_MAX);
    struct sink s = {.len = 0};
    va_copy(a, ap);
    int rc = ax_vcbprintf(sink_putc, &s, fmt, a);
    va_end(a);
    if (rc != rf || s.len != (size_t)rf || memcmp(s.buf, full, s.len) != 0)
        fail_msg("cb fmt \"%s\": got %d \"%.*s\", want %d \"%s\"", fmt, rc,
                 (int)MIN(s.len, (size_t)OUT_MAX), s.buf, rf, full);
}

/* Deliberately without PRINTF_LIKE: the tables build formats at run time. */
static void compare(size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    compare_va(size, fmt, ap);
    va_end(ap);
}

/* Our formatter on a format GCC must not check (unknown conversions). */
static int ax_fmt_unchecked(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = ax_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return r;
}

/* Literal formats: -Wformat checks these calls against C's printf rules. */
#define EXPECT(want, fmt, ...)                                                   \
    do {                                                                         \
        char b_[OUT_MAX];                                                        \
        int r_ = ax_snprintf(b_, sizeof(b_), fmt, __VA_ARGS__);                  \
        assert_string_equal(b_, want);                                           \
        assert_int_equal(r_, (int)strlen(want));                                 \
    } while (0)

#define SAME(fmt, ...)                                                           \
    do {                                                                         \
        char g_[OUT_MAX], w_[OUT_MAX];                                           \
        int rg_ = ax_snprintf(g_, sizeof(g_), fmt, __VA_ARGS__);                 \
        int rw_ = snprintf(w_, sizeof(w_), fmt, __VA_ARGS__);                    \
        assert_string_equal(g_, w_);                                             \
        assert_int_equal(rg_, rw_);                                              \
    } while (0)

static const size_t sizes[] = {0, 1, 2, 3, 5, 8, 13, 21, OUT_MAX};
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

/* ---- integer table ------------------------------------------------------ */

enum lenmod { LM_NONE, LM_HH, LM_H, LM_L, LM_LL, LM_Z, LM_J, LM_T, LM_COUNT };
static const char *const len_text[LM_COUNT] = {"", "hh", "h", "l", "ll", "z", "j", "t"};

/* Passes v with exactly the type the length modifier names. */
static void compare_int(size_t size, const char *fmt, enum lenmod lm, bool is_signed,
                        intmax_t v)
{
    if (is_signed) {
        switch (lm) {
        case LM_L: compare(size, fmt, (long)v); break;
        case LM_LL: compare(size, fmt, (long long)v); break;
        case LM_Z:
        case LM_T: compare(size, fmt, (ptrdiff_t)v); break;
        case LM_J: compare(size, fmt, v); break;
        default: compare(size, fmt, (int)v); break;
        }
    } else {
        switch (lm) {
        case LM_L: compare(size, fmt, (unsigned long)v); break;
        case LM_LL: compare(size, fmt, (unsigned long long)v); break;
        case LM_Z:
        case LM_T: compare(size, fmt, (size_t)v); break;
        case LM_J: compare(size, fmt, (uintmax_t)v); break;
        default: compare(size, fmt, (unsigned int)v); break;
        }
    }
}

static const intmax_t int_values[] = {
    0, 1, -1, 7, 8, 9, 10, 15, 16, 42, 127, 128, 255, 256, -128, -129, 32767, 32768,
    -32768, -32769, 65535, 65536, INT32_MAX, INT32_MIN, (intmax_t)UINT32_MAX,
    (intmax_t)UINT32_MAX + 1, INT64_MAX, INT64_MIN, -2 /* UINT64_MAX - 1 */,
    0x123456789abcdefLL, -1000000000000LL,
};

static void test_format_integer_table(void **state)
{
    (void)state;
    static const char convs[] = "diuxXo";
    static const char *const flagsets[] = {
        "", "-", "0", "+", " ", "#", "-0", "+0", "- ", "#0", "-#", "+ ", "0#-+ ", "00",
    };
    static const char *const widths[] = {"", "1", "5", "22", "30"};
    static const char *const precs[] = {"", ".", ".0", ".1", ".5", ".25"};
    const size_t nvals = sizeof(int_values) / sizeof(int_values[0]);
    size_t rot = 0;
    char fmt[64];

    for (const char *c = convs; *c != '\0'; c++)
        for (int lm = 0; lm < LM_COUNT; lm++)
            for (size_t f = 0; f < ARRAY_SIZE(flagsets); f++)
                for (size_t w = 0; w < ARRAY_SIZE(widths); w++)
                    for (size_t p = 0; p < ARRAY_SIZE(precs); p++) {
                        snprintf(fmt, sizeof(fmt), "<%%%s%s%s%s%c>", flagsets[f], widths[w],
                                 precs[p], len_text[lm], *c);
                        bool is_signed = *c == 'd' || *c == 'i';
                        /* Every value at full size; truncation on a rotating
                         * buffer size keeps the run short. */
                        for (size_t v = 0; v < nvals; v++) {
                            compare_int(OUT_MAX, fmt, (enum lenmod)lm, is_signed,
                                        int_values[v]);
                            if (v % 4 == 0)
                                compare_int(sizes[rot++ % NSIZES], fmt, (enum lenmod)lm,
                                            is_signed, int_values[v]);
                        }
                    }
}

static void test_format_extremes(void **state)
{
    (void)state;
    SAME("%lld %lld", (long long)INT64_MIN, (long long)INT64_MAX);
    SAME("%llu %llx %llX %llo", (unsigned long long)UINT64_MAX, (unsigned long long)UINT64_MAX,
         (unsigned long long)UINT64_MAX, (unsigned long long)UINT64_MAX);
    SAME("%jd %ju %zu %zd %td", (intmax_t)INT64_MIN, (uintmax_t)UINT64_MAX, (size_t)SIZE_MAX,
         (ptrdiff_t)-5, (ptrdiff_t)PTRDIFF_MIN);
    SAME("%+.30lld|%-30lld|%030lld", (long long)INT64_MIN, (long long)INT64_MIN,
         (long long)INT64_MIN);
    SAME("%#.30llo|%#30llx", (unsigned long long)UINT64_MAX, (unsigned long long)UINT64_MAX);
    SAME("%hhd %hhu %hd %hu", 300, 300, 70000, 70000);
    SAME("%d %i %u %x %X %o", INT32_MIN, INT32_MAX, UINT32_MAX, UINT32_MAX, 0xabcdefu, 8u);
    EXPECT("-9223372036854775808", "%lld", (long long)INT64_MIN);
    EXPECT("18446744073709551615", "%llu", (unsigned long long)UINT64_MAX);
    EXPECT("0x00ff", "%#06x", 255u);
    EXPECT("-0042", "%05d", -42);
    EXPECT("  -42", "%5d", -42);
    EXPECT("-42  |", "%-5d|", -42);
    EXPECT("+0", "%+d", 0);
    EXPECT("", "%.0d", 0);
    EXPECT("0", "%#.0o", 0u);
}

/* ---- '*' width and precision -------------------------------------------- */

static void test_format_star(void **state)
{
    (void)state;
    static const char *const fmts[] = {
        "[%*d]", "[%-*d]", "[%0*d]", "[%+*x]", "[%#*o]", "[%*u]", "[%*lld]",
    };
    static const char *const pfmts[] = {"[%.*d]", "[%.*x]", "[%#.*o]", "[%+.*i]", "[%.*s]"};
    static const char *const wpfmts[] = {"[%*.*d]", "[%-*.*x]", "[%0*.*u]", "[%#*.*X]",
                                         "[%*.*s]", "[%-*.*s]"};
    static const int stars[] = {-40, -20, -5, -1, 0, 1, 2, 5, 20, 40};
    static const int vals[] = {0, 1, -1, 12345, INT32_MIN, INT32_MAX};

    for (size_t s = 0; s < ARRAY_SIZE(stars); s++)
        for (size_t v = 0; v < ARRAY_SIZE(vals); v++) {
            for (size_t f = 0; f < ARRAY_SIZE(fmts); f++) {
                if (strstr(fmts[f], "ll") != NULL)
                    compare(OUT_MAX, fmts[f], stars[s], (long long)vals[v] * 3);
                else
                    compare(OUT_MAX, fmts[f], stars[s], vals[v]);
            }
            for (size_t f = 0; f < ARRAY_SIZE(pfmts); f++) {
                if (strstr(pfmts[f], "s") != NULL)
                    compare(sizes[(s + v) % NSIZES], pfmts[f], stars[s], "hello world");
                else
                    compare(sizes[(s + v) % NSIZES], pfmts[f], stars[s], vals[v]);
            }
            for (size_t f = 0; f < ARRAY_SIZE(wpfmts); f++)
                for (size_t s2 = 0; s2 < ARRAY_SIZE(stars); s2 += 2) {
                    if (strstr(wpfmts[f], "s") != NULL)
                        compare(OUT_MAX, wpfmts[f], stars[s], stars[s2], "string");
                    else
                        compare(OUT_MAX, wpfmts[f], stars[s], stars[s2], vals[v]);
                }
        }
    EXPECT("[   7]", "[%*d]", 4, 7);
    EXPECT("[7   ]", "[%*d]", -4, 7);
    EXPECT("[7]", "[%.*d]", -3, 7);
    EXPECT("[  0007]", "[%*.*d]", 6, 4, 7);
}

/* ---- strings, chars, pointers ------------------------------------------- */

static void test_format_strings_chars(void **state)
{
    (void)state;
    static const char *const fmts[] = {
        "%s", "%10s", "%-10s", "%.0s", "%.3s", "%.20s", "%5.2s", "%-5.2s|", "%1s", "%0s",
        "%c", "%5c", "%-5c|", "%1c", "[%s][%c][%s]",
    };
    static const char *const strs[] = {"", "a", "hello", "a much longer string than ten"};

    for (size_t f = 0; f < ARRAY_SIZE(fmts); f++)
        for (size_t s = 0; s < ARRAY_SIZE(strs); s++)
            for (size_t z = 0; z < NSIZES; z++) {
                if (strchr(fmts[f], 'c') == NULL)
                    compare(sizes[z], fmts[f], strs[s]);
                else if (strchr(fmts[f], '[') != NULL)
                    compare(sizes[z], fmts[f], strs[s], 'x', strs[s]);
                else
                    compare(sizes[z], fmts[f], (int)(unsigned char)strs[s][0]);
            }
    /* A NUL from %c is output and counted like any character. */
    compare(OUT_MAX, "a%cb", 0);
    compare(4, "a%cb", 0);
    /* High bytes pass through unchanged. */
    compare(OUT_MAX, "%c%s", 0xe9, "\xc3\xa9");

    /* NULL: "(null)", like glibc when the precision allows all of it. */
    compare(OUT_MAX, "%s|%10s|%-8s|%.6s", (char *)NULL, (char *)NULL, (char *)NULL,
            (char *)NULL);
    /* A shorter precision cuts "(null)" like any string (glibc prints ""). */
    char b[32];
    assert_int_equal(ax_fmt_unchecked(b, sizeof(b), "[%.3s]", (char *)NULL), 5);
    assert_string_equal(b, "[(nu]");

    /* With a precision the argument need not be NUL-terminated. */
    char *raw = malloc(4);
    assert_non_null(raw);
    memcpy(raw, "abcd", 4);
    EXPECT("abcd", "%.4s", raw);
    EXPECT("ab", "%.*s", 2, raw);
    free(raw);
}

static void test_format_wide(void **state)
{
    (void)state;
    compare(OUT_MAX, "[%ls][%8ls][%-8ls][%.2ls][%lc][%3lc]", L"abc", L"abc", L"abc", L"abc",
            (wint_t)L'z', (wint_t)L'q');
    /* Not ASCII: narrowed to '?'. */
    EXPECT("a?b?", "%ls%lc", L"a\u00e9b", (wint_t)0x263a);
    char b[16];
    assert_int_equal(ax_fmt_unchecked(b, sizeof(b), "%ls|%.2ls", (wchar_t *)NULL,
                                      (wchar_t *)NULL), 9);
    assert_string_equal(b, "(null)|(n");
}

static void test_format_pointer(void **state)
{
    (void)state;
    static const char *const fmts[] = {"%p", "%20p", "%-20p|", "%1p", "%.20p", "%+p", "% p"};
    void *ptrs[] = {(void *)1, (void *)0xdeadbeef, (void *)UINTPTR_MAX, &ptrs};

    for (size_t f = 0; f < ARRAY_SIZE(fmts); f++)
        for (size_t p = 0; p < ARRAY_SIZE(ptrs); p++)
            for (size_t z = 0; z < NSIZES; z++)
                compare(sizes[z], fmts[f], ptrs[p]);
    /* NULL deliberately prints as a number, not glibc's "(nil)". */
    EXPECT("0x0", "%p", NULL);
    EXPECT("  0x0|0x0  |", "%5p|%-5p|", NULL, NULL);
    EXPECT("0x1234abcd", "%p", (void *)0x1234abcd);
}

static void test_format_mixed(void **state)
{
    (void)state;
    int x;
    SAME("%d %s %x %c %lld %zu %p %% %o|%-6s|%hhx", -17, "str", 0xbeefu, 'Q', -5LL,
         (size_t)123, (void *)&x, 0755u, "ab", (unsigned char)0x1ff);
    SAME("%i%i%i%i%i%i%i%i%i%i", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
    SAME("%s", "");
    SAME("no conversions at all %s", "");
    SAME("%%%%%d%%", 5);
    EXPECT("100%", "%d%%", 100);
}

/* ---- size handling and return values ------------------------------------ */

static void test_format_truncation(void **state)
{
    (void)state;
    char b[16];

    for (size_t size = 0; size <= sizeof(b); size++) {
        memset(b, CANARY, sizeof(b));
        int r = ax_snprintf(b, size, "%s-%d", "hello", 12345);
        assert_int_equal(r, 11);
        if (size > 0) {
            size_t n = MIN(size - 1, (size_t)11);
            assert_memory_equal(b, "hello-12345", n);
            assert_int_equal(b[n], '\0');
        }
        for (size_t i = size; i < sizeof(b); i++)
            assert_int_equal((unsigned char)b[i], CANARY);
    }
    /* Measuring only. */
    assert_int_equal(ax_snprintf(NULL, 0, "%08d", 5), 8);
    /* A NULL format is an empty format. */
    assert_int_equal(ax_fmt_unchecked(b, sizeof(b), NULL), 0);
    assert_string_equal(b, "");
}

static void test_format_huge_width(void **state)
{
    (void)state;
    char b[8];

    /* Padding into a full buffer must be counted, not written: fast. */
    assert_int_equal(ax_snprintf(b, sizeof(b), "%*d", 1 << 30, 7), 1 << 30);
    assert_string_equal(b, "       ");
    assert_int_equal(ax_snprintf(b, sizeof(b), "%-*d", 1 << 30, 7), 1 << 30);
    assert_string_equal(b, "7      ");
    assert_int_equal(ax_snprintf(b, sizeof(b), "%.*d", 1 << 30, 7), 1 << 30);
    assert_string_equal(b, "0000000");
    assert_int_equal(ax_snprintf(b, sizeof(b), "%*d", INT32_MAX, 7), INT32_MAX);
    /* Past INT_MAX the count cannot be returned: -1, as C's EOVERFLOW. */
    /* (Unchecked: GCC itself knows this output is too long.) */
    assert_int_equal(ax_fmt_unchecked(b, sizeof(b), "x%*d", INT32_MAX, 7), -1);
    assert_int_equal(b[sizeof(b) - 1], '\0');
    assert_int_equal(ax_fmt_unchecked(b, sizeof(b), "%*d", INT32_MIN, 7), INT32_MAX);
    /* A width written with too many digits saturates instead of wrapping. */
    assert_int_equal(ax_fmt_unchecked(b, sizeof(b), "%99999999999999999999d", 7), INT32_MAX);
    assert_int_equal(ax_fmt_unchecked(b, sizeof(b), "%.99999999999999999999d", 7), INT32_MAX);
}

/* ---- unknown conversions ------------------------------------------------ */

static void test_format_unknown_literal(void **state)
{
    (void)state;
    static const struct {
        const char *fmt;
        const char *want;
    } cases[] = {
        {"%q %d", "%q 5"},
        {"%f|%d", "%f|5"},
        {"%-08.3f|%d", "%-08.3f|5"},
        {"%Lf %d", "%Lf 5"},
        {"%lf %d", "%lf 5"},
        {"%*q %d", "%*q 5"},
        {"%.*k %d", "%.*k 5"},
        {"%n %d", "%n 5"},
        {"%5% %d", "%5% 5"},
        {"%l% %d", "%l% 5"},
        {"%lp %d", "%lp 5"},
        {"%hs %d", "%hs 5"},
        {"%llc %d", "%llc 5"},
        {"%Ld %d", "%Ld 5"},
        {"%qd %d", "%qd 5"},
        {"%d %", "5 %"},
        {"%d %-", "5 %-"},
        {"%d %.*", "5 %.*"},
        {"%d %#0", "5 %#0"},
        {"%d %ll", "5 %ll"},
        {"%d%", "5%"},
    };
    char b[64];

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        /* One int argument: any conversion reading more than that would
         * print garbage or trip ASan/UBSan. */
        int r = ax_fmt_unchecked(b, sizeof(b), cases[i].fmt, 5);
        if (strcmp(b, cases[i].want) != 0)
            fail_msg("fmt \"%s\": got \"%s\", want \"%s\"", cases[i].fmt, b, cases[i].want);
        assert_int_equal(r, (int)strlen(cases[i].want));
    }
}

/* ---- callback ----------------------------------------------------------- */

static void test_cbprintf(void **state)
{
    (void)state;
    struct sink s = {.len = 0};
    int r = ax_cbprintf(sink_putc, &s, "[%5d|%-3s|%c]", 42, "ab", 'z');
    assert_int_equal(r, 13);
    assert_int_equal(s.len, 13);
    assert_memory_equal(s.buf, "[   42|ab |z]", 13);

    /* No size limit: output longer than any buffer we pass elsewhere. */
    s.len = 0;
    r = ax_cbprintf(sink_putc, &s, "%300d%200s", 1, "x");
    assert_int_equal(r, 500);
    assert_int_equal(s.len, 500);
    assert_int_equal(s.buf[299], '1');
    assert_int_equal(s.buf[499], 'x');

    /* A NUL from %c reaches the callback; nothing else is appended. */
    s.len = 0;
    r = ax_cbprintf(sink_putc, &s, "a%cb", 0);
    assert_int_equal(r, 3);
    assert_memory_equal(s.buf, "a\0b", 3);

    /* NULL callback counts only. */
    assert_int_equal(ax_cbprintf(NULL, NULL, "%d%s", 12345, "abc"), 8);
}

/* ---- strerror ----------------------------------------------------------- */

static void test_strerror(void **state)
{
    (void)state;
    const char *seen[AX_ETIMEDOUT + 1];

    assert_string_equal(ax_strerror(0), "success");
    for (int e = AX_EINVAL; e <= AX_ETIMEDOUT; e++) {
        const char *pos = ax_strerror(e);
        assert_non_null(pos);
        assert_ptr_equal(ax_strerror(-e), pos);
        assert_string_not_equal(pos, "unknown error");
        assert_true(strlen(pos) > 0);
        for (int k = AX_EINVAL; k < e; k++)
            assert_string_not_equal(seen[k], pos);
        seen[e] = pos;
    }
    assert_string_equal(ax_strerror(-AX_EINVAL), "invalid argument");
    assert_string_equal(ax_strerror(-AX_ENOMEM), "out of memory");
    assert_string_equal(ax_strerror(AX_ERANGE), "out of range");
    const int unknown[] = {AX_ETIMEDOUT + 1, -(AX_ETIMEDOUT + 1), 1000, -1000, INT32_MAX,
                           INT32_MIN, INT32_MIN + 1};
    for (size_t i = 0; i < ARRAY_SIZE(unknown); i++)
        assert_string_equal(ax_strerror(unknown[i]), "unknown error");
}

/* ---- ax_strtou64 / ax_strtoi64 ------------------------------------------ */

/* Parses from a heap copy of exactly strlen(s) bytes, so ASan catches any
 * read past len or any reliance on a terminator. */
static int u64_exact(const char *s, int base, uint64_t *out)
{
    size_t len = strlen(s);
    char *copy = malloc(len > 0 ? len : 1);
    assert_non_null(copy);
    memcpy(copy, s, len);
    int r = ax_strtou64(copy, len, base, out);
    free(copy);
    return r;
}

static int i64_exact(const char *s, int base, int64_t *out)
{
    size_t len = strlen(s);
    char *copy = malloc(len > 0 ? len : 1);
    assert_non_null(copy);
    memcpy(copy, s, len);
    int r = ax_strtoi64(copy, len, base, out);
    free(copy);
    return r;
}

#define US AX_PARSE_UNDERSCORE

static void test_strtou64_table(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int base;
        int rc;
        uint64_t v;
    } cases[] = {
        {"0", 0, 0, 0},
        {"123", 0, 0, 123},
        {"0123", 0, 0, 123}, /* no C-style octal */
        {"0x1F", 0, 0, 0x1f},
        {"0XdeadBEEF", 0, 0, 0xdeadbeef},
        {"0o755", 0, 0, 0755},
        {"0O17", 0, 0, 017},
        {"0b1011", 0, 0, 11},
        {"0B1", 0, 0, 1},
        {"18446744073709551615", 0, 0, UINT64_MAX},
        {"18446744073709551616", 0, -AX_ERANGE, 0},
        {"99999999999999999999999999", 10, -AX_ERANGE, 0},
        {"0xffffffffffffffff", 0, 0, UINT64_MAX},
        {"0x0000000000000000000000000001", 0, 0, 1},
        {"0x10000000000000000", 0, -AX_ERANGE, 0},
        {"0o1777777777777777777777", 0, 0, UINT64_MAX},
        {"0o2000000000000000000000", 0, -AX_ERANGE, 0},
        {"0b1111111111111111111111111111111111111111111111111111111111111111", 0, 0,
         UINT64_MAX},
        {"0b10000000000000000000000000000000000000000000000000000000000000000", 0,
         -AX_ERANGE, 0},
        {"3w5e11264sgsf", 36, 0, UINT64_MAX},
        {"3w5e11264sgsg", 36, -AX_ERANGE, 0},
        {"zz", 36, 0, 1295},
        {"ZZ", 36, 0, 1295},
        {"ff", 16, 0, 255},
        {"0xff", 16, 0, 255},   /* the base's own prefix is allowed */
        {"0b1", 16, 0, 0xb1},   /* but "0b" in base 16 is digits */
        {"0b101", 2, 0, 5},
        {"0o17", 8, 0, 017},
        {"0x10", 10, -AX_EINVAL, 0},
        {"12", 2, -AX_EINVAL, 0},
        {"8", 8, -AX_EINVAL, 0},
        {"g", 16, -AX_EINVAL, 0},
        {"", 0, -AX_EINVAL, 0},
        {"0x", 0, -AX_EINVAL, 0},
        {"0x", 16, -AX_EINVAL, 0},
        {"0b", 0, -AX_EINVAL, 0},
        {"0o", 0, -AX_EINVAL, 0},
        {" 1", 0, -AX_EINVAL, 0},
        {"1 ", 0, -AX_EINVAL, 0},
        {"+1", 0, -AX_EINVAL, 0},
        {"-1", 0, -AX_EINVAL, 0},
        {"1a", 10, -AX_EINVAL, 0},
        {"0x1g", 0, -AX_EINVAL, 0},
        /* Malformed beats overflow. */
        {"99999999999999999999999999x", 10, -AX_EINVAL, 0},
        /* Separators only with the flag, only between digits. */
        {"1_000", 0, -AX_EINVAL, 0},
        {"1_000", 0 | US, 0, 1000},
        {"1_2_3", 10 | US, 0, 123},
        {"0xdead_beef", 0 | US, 0, 0xdeadbeef},
        {"0x4020_0000", 0 | US, 0, 0x40200000},
        {"0b1_0", 0 | US, 0, 2},
        {"_1", 0 | US, -AX_EINVAL, 0},
        {"1_", 0 | US, -AX_EINVAL, 0},
        {"1__0", 0 | US, -AX_EINVAL, 0},
        {"0x_1", 0 | US, -AX_EINVAL, 0},
        {"0_x1", 0 | US, -AX_EINVAL, 0},
        {"_", 0 | US, -AX_EINVAL, 0},
        {"18_446_744_073_709_551_615", 10 | US, 0, UINT64_MAX},
        {"18_446_744_073_709_551_616", 10 | US, -AX_ERANGE, 0},
        /* Bad bases. */
        {"1", 1, -AX_EINVAL, 0},
        {"1", 37, -AX_EINVAL, 0},
        {"1", -1, -AX_EINVAL, 0},
        {"1", -1 | US, -AX_EINVAL, 0},
        {"1", 0x200, -AX_EINVAL, 0},
        {"1", 1 | US, -AX_EINVAL, 0},
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        uint64_t v = 0x5a5a5a5a;
        int r = u64_exact(cases[i].s, cases[i].base, &v);
        if (r != cases[i].rc)
            fail_msg("\"%s\" base %#x: rc %d, want %d", cases[i].s, (unsigned)cases[i].base, r,
                     cases[i].rc);
        /* On error the output is left alone. */
        uint64_t want = cases[i].rc == 0 ? cases[i].v : 0x5a5a5a5a;
        if (v != want)
            fail_msg("\"%s\" base %#x: value %#llx, want %#llx", cases[i].s,
                     (unsigned)cases[i].base, (unsigned long long)v, (unsigned long long)want);
    }
}

static void test_strtou64_slices(void **state)
{
    (void)state;
    uint64_t v = 0;

    /* Only len bytes count: the rest of the string is never looked at. */
    assert_int_equal(ax_strtou64("12345", 3, 10, &v), 0);
    assert_int_equal(v, 123);
    assert_int_equal(ax_strtou64("0x1fz", 4, 0, &v), 0);
    assert_int_equal(v, 0x1f);
    assert_int_equal(ax_strtou64("0x1f", 1, 0, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(ax_strtou64("0x1f", 2, 0, &v), -AX_EINVAL);
    assert_int_equal(ax_strtou64("123", 0, 10, &v), -AX_EINVAL);
    /* An embedded NUL is a bad digit, not an end. */
    assert_int_equal(ax_strtou64("1\0002", 3, 10, &v), -AX_EINVAL);
    assert_int_equal(ax_strtou64(NULL, 0, 10, &v), -AX_EINVAL);
    assert_int_equal(ax_strtou64("1", 1, 10, NULL), -AX_EINVAL);
    int64_t s = 0;
    assert_int_equal(ax_strtoi64(NULL, 0, 10, &s), -AX_EINVAL);
    assert_int_equal(ax_strtoi64("1", 1, 10, NULL), -AX_EINVAL);
    assert_int_equal(ax_strtoi64("-42x", 3, 10, &s), 0);
    assert_int_equal(s, -42);
}

static void test_strtoi64_table(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int base;
        int rc;
        int64_t v;
    } cases[] = {
        {"0", 0, 0, 0},
        {"-0", 0, 0, 0},
        {"+5", 0, 0, 5},
        {"-5", 0, 0, -5},
        {"-0x10", 0, 0, -16},
        {"+0b11", 0, 0, 3},
        {"9223372036854775807", 0, 0, INT64_MAX},
        {"9223372036854775808", 0, -AX_ERANGE, 0},
        {"-9223372036854775808", 0, 0, INT64_MIN},
        {"-9223372036854775809", 0, -AX_ERANGE, 0},
        {"-0x8000000000000000", 0, 0, INT64_MIN},
        {"0x8000000000000000", 0, -AX_ERANGE, 0},
        {"-18446744073709551616", 0, -AX_ERANGE, 0},
        {"-1_000", 0 | US, 0, -1000},
        {"-_1", 0 | US, -AX_EINVAL, 0},
        {"-", 0, -AX_EINVAL, 0},
        {"+", 0, -AX_EINVAL, 0},
        {"--1", 0, -AX_EINVAL, 0},
        {"+-1", 0, -AX_EINVAL, 0},
        {" -1", 0, -AX_EINVAL, 0},
        {"- 1", 0, -AX_EINVAL, 0},
        {"", 0, -AX_EINVAL, 0},
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        int64_t v = 0x5a5a;
        int r = i64_exact(cases[i].s, cases[i].base, &v);
        if (r != cases[i].rc)
            fail_msg("\"%s\": rc %d, want %d", cases[i].s, r, cases[i].rc);
        int64_t want = cases[i].rc == 0 ? cases[i].v : 0x5a5a;
        if (v != want)
            fail_msg("\"%s\": value %lld, want %lld", cases[i].s, (long long)v,
                     (long long)want);
    }
}

/* Whatever ax_snprintf prints, ax_strtou64 reads back. */
static void test_strtou64_round_trip(void **state)
{
    (void)state;
    uint64_t x = 1;

    for (int i = 0; i < 2000; i++) {
        /* xorshift: covers all magnitudes cheaply */
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint64_t v = x >> (i % 64);
        char b[80];
        uint64_t got;
        ax_snprintf(b, sizeof(b), "%llu", (unsigned long long)v);
        assert_int_equal(ax_strtou64(b, strlen(b), 0, &got), 0);
        assert_int_equal(got, v);
        ax_snprintf(b, sizeof(b), "%#llx", (unsigned long long)v);
        if (v != 0) {
            assert_int_equal(ax_strtou64(b, strlen(b), 0, &got), 0);
            assert_int_equal(got, v);
        }
        ax_snprintf(b, sizeof(b), "0o%llo", (unsigned long long)v);
        assert_int_equal(ax_strtou64(b, strlen(b), 0, &got), 0);
        assert_int_equal(got, v);
        ax_snprintf(b, sizeof(b), "%llX", (unsigned long long)v);
        assert_int_equal(ax_strtou64(b, strlen(b), 16, &got), 0);
        assert_int_equal(got, v);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_integer_table),
        cmocka_unit_test(test_format_extremes),
        cmocka_unit_test(test_format_star),
        cmocka_unit_test(test_format_strings_chars),
        cmocka_unit_test(test_format_wide),
        cmocka_unit_test(test_format_pointer),
        cmocka_unit_test(test_format_mixed),
        cmocka_unit_test(test_format_truncation),
        cmocka_unit_test(test_format_huge_width),
        cmocka_unit_test(test_format_unknown_literal),
        cmocka_unit_test(test_cbprintf),
        cmocka_unit_test(test_strerror),
        cmocka_unit_test(test_strtou64_table),
        cmocka_unit_test(test_strtou64_slices),
        cmocka_unit_test(test_strtoi64_table),
        cmocka_unit_test(test_strtou64_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
