/* Host test of the target's src/lib/string.c.
 *
 * The make rule cannot pass per-test defines, so this file defines
 * AX_TARGET_STRING_TEST itself and #includes string.c with every function
 * renamed to tgt_*: libc keeps its own names (cmocka and ASan use them) and
 * the compiler does not treat ours as builtins it may fold away. Results are
 * compared against libc for every alignment and length combination.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define AX_TARGET_STRING_TEST
#define memcpy tgt_memcpy
#define memmove tgt_memmove
#define memset tgt_memset
#define memcmp tgt_memcmp
#define memchr tgt_memchr
#define strlen tgt_strlen
#define strnlen tgt_strnlen
#define strcmp tgt_strcmp
#define strncmp tgt_strncmp
#define strchr tgt_strchr
#define strrchr tgt_strrchr
#include "../../src/lib/string.c"
#undef memcpy
#undef memmove
#undef memset
#undef memcmp
#undef memchr
#undef strlen
#undef strnlen
#undef strcmp
#undef strncmp
#undef strchr
#undef strrchr

#define BUF 160
#define MAXLEN 100
#define MAXOFF 16

static void fill_pattern(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(seed * 31u + i * 7u + (i >> 3) + 1u);
}

static int sign(int v)
{
    return (v > 0) - (v < 0);
}

static void test_memcpy_all_alignments(void **state)
{
    (void)state;
    static unsigned char src[BUF], got[BUF], want[BUF];

    for (size_t so = 0; so < MAXOFF; so++)
        for (size_t doff = 0; doff < MAXOFF; doff++)
            for (size_t n = 0; n <= MAXLEN; n++) {
                fill_pattern(src, BUF, (unsigned)(so + n));
                fill_pattern(got, BUF, 99);
                fill_pattern(want, BUF, 99);
                void *r = tgt_memcpy(got + doff, src + so, n);
                memcpy(want + doff, src + so, n);
                assert_ptr_equal(r, got + doff);
                /* Whole buffer: catches writes outside [doff, doff + n). */
                assert_memory_equal(got, want, BUF);
            }
}

static void test_memmove_overlap(void **state)
{
    (void)state;
    static unsigned char got[BUF], want[BUF];

    for (size_t so = 0; so < 2 * MAXOFF; so++)
        for (size_t doff = 0; doff < 2 * MAXOFF; doff++)
            for (size_t n = 0; n <= MAXLEN; n += (n < 40 ? 1 : 7)) {
                fill_pattern(got, BUF, (unsigned)n);
                fill_pattern(want, BUF, (unsigned)n);
                void *r = tgt_memmove(got + doff, got + so, n);
                memmove(want + doff, want + so, n);
                assert_ptr_equal(r, got + doff);
                assert_memory_equal(got, want, BUF);
            }
}

static void test_memset_all_alignments(void **state)
{
    (void)state;
    static unsigned char got[BUF], want[BUF];
    const int values[] = {0, 0x5a, 0xff, -1, 0x1234};

    for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++)
        for (size_t off = 0; off < MAXOFF; off++)
            for (size_t n = 0; n <= MAXLEN; n++) {
                fill_pattern(got, BUF, 3);
                fill_pattern(want, BUF, 3);
                void *r = tgt_memset(got + off, values[v], n);
                memset(want + off, values[v], n);
                assert_ptr_equal(r, got + off);
                assert_memory_equal(got, want, BUF);
            }
}

static void test_memcmp_sign_and_position(void **state)
{
    (void)state;
    static unsigned char a[BUF], b[BUF];

    for (size_t ao = 0; ao < 9; ao++)
        for (size_t bo = 0; bo < 9; bo++)
            for (size_t n = 0; n <= 40; n++) {
                fill_pattern(a, BUF, 5);
                memcpy(b + bo, a + ao, n);
                assert_int_equal(tgt_memcmp(a + ao, b + bo, n), 0);
                /* A difference at every position, in both directions; 0x80 vs
                 * 0x7f checks the bytes compare as unsigned. */
                for (size_t i = 0; i < n; i++) {
                    unsigned char keep = b[bo + i];
                    b[bo + i] = (unsigned char)(a[ao + i] ^ 0xff);
                    assert_int_equal(sign(tgt_memcmp(a + ao, b + bo, n)),
                                     sign(memcmp(a + ao, b + bo, n)));
                    assert_int_not_equal(tgt_memcmp(a + ao, b + bo, n), 0);
                    /* Bytes past n never matter. */
                    assert_int_equal(tgt_memcmp(a + ao, b + bo, i), 0);
                    b[bo + i] = keep;
                }
            }
    unsigned char x = 0x80, y = 0x7f;
    assert_true(tgt_memcmp(&x, &y, 1) > 0);
    assert_true(tgt_memcmp(&y, &x, 1) < 0);
}

static void test_memchr(void **state)
{
    (void)state;
    unsigned char buf[64];

    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (unsigned char)i;
    for (size_t off = 0; off < 8; off++)
        for (size_t n = 0; n <= 40; n++)
            for (int c = 0; c < 64; c++)
                assert_ptr_equal(tgt_memchr(buf + off, c, n), memchr(buf + off, c, n));
    /* c is converted to unsigned char. */
    buf[10] = 0xff;
    assert_ptr_equal(tgt_memchr(buf, -1, sizeof(buf)), buf + 10);
    assert_ptr_equal(tgt_memchr(buf, 0x1ff, sizeof(buf)), buf + 10);
    assert_null(tgt_memchr(NULL, 'a', 0));
}

static void test_strlen_strnlen(void **state)
{
    (void)state;
    char buf[80];

    for (size_t off = 0; off < 9; off++)
        for (size_t len = 0; len < 60; len++) {
            memset(buf, 'x', sizeof(buf));
            buf[off + len] = '\0';
            assert_int_equal(tgt_strlen(buf + off), len);
            for (size_t max = 0; max < 70; max += 3)
                assert_int_equal(tgt_strnlen(buf + off, max), len < max ? len : max);
        }
    /* strnlen must not read past max: a heap block with no terminator. */
    char *raw = malloc(5);
    assert_non_null(raw);
    memcpy(raw, "abcde", 5);
    assert_int_equal(tgt_strnlen(raw, 5), 5);
    free(raw);
}

static void test_strcmp_strncmp(void **state)
{
    (void)state;
    static const char *const words[] = {
        "", "a", "b", "ab", "abc", "abd", "abcd", "ABC", "\x80", "\x7f", "a\xff", "a\x01",
        "zzzzzzzzzzzzzzzzzzz", "zzzzzzzzzzzzzzzzzzy",
    };
    const size_t nw = sizeof(words) / sizeof(words[0]);

    for (size_t i = 0; i < nw; i++)
        for (size_t j = 0; j < nw; j++) {
            assert_int_equal(sign(tgt_strcmp(words[i], words[j])),
                             sign(strcmp(words[i], words[j])));
            for (size_t n = 0; n < 22; n++)
                assert_int_equal(sign(tgt_strncmp(words[i], words[j], n)),
                                 sign(strncmp(words[i], words[j], n)));
        }
    /* strncmp stops at the first NUL even if n is larger than both. */
    assert_int_equal(tgt_strncmp("ab\0x", "ab\0y", 4), 0);
}

static void test_strchr_strrchr(void **state)
{
    (void)state;
    const char *s = "hello, world";

    for (int c = 0; c < 256; c++) {
        assert_ptr_equal(tgt_strchr(s, c), strchr(s, c));
        assert_ptr_equal(tgt_strrchr(s, c), strrchr(s, c));
    }
    /* The terminator is found by both. */
    assert_ptr_equal(tgt_strchr(s, '\0'), s + strlen(s));
    assert_ptr_equal(tgt_strrchr(s, '\0'), s + strlen(s));
    assert_ptr_equal(tgt_strchr(s, 'o'), s + 4);
    assert_ptr_equal(tgt_strrchr(s, 'o'), s + 8);
    /* c is converted to char: 'l' + 256 still finds 'l'. */
    assert_ptr_equal(tgt_strchr(s, 'l' + 256), s + 2);
    const char high[] = "a\xe9z\xe9";
    assert_ptr_equal(tgt_strrchr(high, 0xe9), high + 3);
    assert_ptr_equal(tgt_strchr(high, 0xe9), high + 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memcpy_all_alignments),
        cmocka_unit_test(test_memmove_overlap),
        cmocka_unit_test(test_memset_all_alignments),
        cmocka_unit_test(test_memcmp_sign_and_position),
        cmocka_unit_test(test_memchr),
        cmocka_unit_test(test_strlen_strnlen),
        cmocka_unit_test(test_strcmp_strncmp),
        cmocka_unit_test(test_strchr_strrchr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
