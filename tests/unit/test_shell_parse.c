/* The shell's word splitting, VM id parsing and text detection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "ax/shell.h"

/* Splits line and checks the words (NULL-terminated list) or the error. */
static void split_is(const char *line, int want_rc, ...)
{
    struct shell_args a;
    int rc = shell_split(line, &a);
    if (rc != want_rc)
        fail_msg("'%s': rc %d, expected %d", line, rc, want_rc);
    if (rc < 0)
        return;
    va_list ap;
    va_start(ap, want_rc);
    for (int i = 0; i < rc; i++) {
        const char *w = va_arg(ap, const char *);
        assert_non_null(w);
        if (strcmp(a.argv[i], w) != 0)
            fail_msg("'%s': word %d is '%s', expected '%s'", line, i, a.argv[i], w);
        /* every word lies inside the buffer */
        assert_true(a.argv[i] >= a.buf && a.argv[i] + strlen(a.argv[i]) < a.buf + sizeof(a.buf));
    }
    va_end(ap);
    assert_int_equal(a.argc, (unsigned)rc);
    assert_null(a.argv[rc]);
}

static void test_split_plain(void **state)
{
    (void)state;
    split_is("", 0);
    split_is("   \t  ", 0);
    split_is("help", 1, "help");
    split_is("vm list", 2, "vm", "list");
    split_is("  vm \t start\t\t7  ", 3, "vm", "start", "7");
    split_is("a b c d e f g h", 8, "a", "b", "c", "d", "e", "f", "g", "h");
    split_is("a b c d e f g h i", -AX_ERANGE);
    split_is("a b c d e f g h   ", 8, "a", "b", "c", "d", "e", "f", "g", "h");
}

static void test_split_quotes(void **state)
{
    (void)state;
    split_is("cat 'my file.txt'", 2, "cat", "my file.txt");
    split_is("cat \"my file.txt\"", 2, "cat", "my file.txt");
    split_is("a\"b c\"d", 1, "ab cd");
    split_is("'' x", 2, "", "x");
    split_is("x \"\"", 2, "x", "");
    split_is("''", 1, "");
    split_is("'a\"b' \"c'd\"", 2, "a\"b", "c'd");
    split_is("'back\\slash'", 1, "back\\slash");       /* single quotes: literal */
    split_is("\"q\\\"q\" \"b\\\\b\"", 2, "q\"q", "b\\b"); /* \" and \\ in double quotes */
    split_is("\"keep\\n\"", 1, "keep\\n");             /* other escapes stay as typed */
    split_is("a\\ b", 1, "a b");
    split_is("\\'x", 1, "'x");
    split_is("'unterminated", -AX_EINVAL);
    split_is("\"unterminated", -AX_EINVAL);
    split_is("a\"b", -AX_EINVAL);
    split_is("trailing\\", -AX_EINVAL);
    split_is("\"\\\"", -AX_EINVAL); /* the quote is escaped: still open */
}

static void test_split_lengths(void **state)
{
    (void)state;
    char line[SHELL_LINE_MAX + 2];
    memset(line, 'x', SHELL_LINE_MAX);
    line[SHELL_LINE_MAX] = 0;
    struct shell_args a;
    assert_int_equal(shell_split(line, &a), 1);
    assert_int_equal(strlen(a.argv[0]), SHELL_LINE_MAX);
    line[SHELL_LINE_MAX] = 'x';
    line[SHELL_LINE_MAX + 1] = 0;
    assert_int_equal(shell_split(line, &a), -AX_ERANGE);
    /* many one-letter words at full length: words run out first */
    for (int i = 0; i < SHELL_LINE_MAX; i++)
        line[i] = i % 2 ? ' ' : 'w';
    line[SHELL_LINE_MAX] = 0;
    assert_int_equal(shell_split(line, &a), -AX_ERANGE);
    /* eight words that fill the line */
    memset(line, 'y', SHELL_LINE_MAX);
    for (int i = 1; i < 8; i++)
        line[i * 32 - 1] = ' ';
    line[SHELL_LINE_MAX] = 0;
    assert_int_equal(shell_split(line, &a), 8);
    assert_int_equal(strlen(a.argv[7]), 32);
}

static void id_is(const char *s, int want_rc, unsigned want)
{
    unsigned id = 12345;
    int rc = shell_parse_id(s, &id);
    if (rc != want_rc)
        fail_msg("'%s': rc %d, expected %d", s, rc, want_rc);
    assert_int_equal(id, rc ? 12345u : want);
}

static void test_parse_id(void **state)
{
    (void)state;
    id_is("7", 0, 7);
    id_is("0", 0, 0);
    id_is("015", 0, 15); /* a leading zero is not octal */
    id_is("0x10", 0, 16);
    id_is("0XfF", 0, 255);
    id_is("4294967295", 0, 4294967295u);
    id_is("4294967296", -AX_ERANGE, 0);
    id_is("99999999999999999999999", -AX_ERANGE, 0);
    id_is("", -AX_EINVAL, 0);
    id_is("abc", -AX_EINVAL, 0);
    id_is("-1", -AX_EINVAL, 0);
    id_is("+1", -AX_EINVAL, 0);
    id_is("7x", -AX_EINVAL, 0);
    id_is(" 7", -AX_EINVAL, 0);
    id_is("1_0", -AX_EINVAL, 0);
    id_is("0x", -AX_EINVAL, 0);
}

static bool text(const char *s) { return shell_is_text((const uint8_t *)s, strlen(s)); }

static void test_is_text(void **state)
{
    (void)state;
    assert_true(text(""));
    assert_true(text("[base]\nid = 1\r\n\tname = \"x\"\n"));
    assert_true(text("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
    assert_false(shell_is_text((const uint8_t *)"a\0b", 3));
    assert_false(text("esc \x1b[2J"));
    assert_false(text("del \x7f"));
    assert_false(text("bell \a"));
    assert_false(text("\x80"));             /* continuation without a lead */
    assert_false(text("\xc0\x80"));         /* overlong NUL */
    assert_false(text("\xc1\xbf"));
    assert_false(text("\xe0\x80\x80"));     /* overlong */
    assert_false(text("\xed\xa0\x80"));     /* UTF-16 surrogate */
    assert_false(text("\xf4\x90\x80\x80")); /* above U+10FFFF */
    assert_false(text("\xf5\x80\x80\x80"));
    assert_false(text("\xe2\x82"));         /* cut short */
    assert_false(text("\xe2\x28\xa1"));     /* bad continuation */
    assert_false(text("\xff"));
    assert_true(text("\xf4\x8f\xbf\xbf"));  /* U+10FFFF itself */
    assert_true(text("\xed\x9f\xbf"));      /* U+D7FF */
}

static size_t trim(const char *s) { return shell_utf8_trim((const uint8_t *)s, strlen(s)); }

static void test_utf8_trim(void **state)
{
    (void)state;
    assert_int_equal(trim("abc"), 3);
    assert_int_equal(trim(""), 0);
    assert_int_equal(trim("ab\xe2\x82\xac"), 5);
    assert_int_equal(trim("ab\xe2\x82"), 2);
    assert_int_equal(trim("ab\xe2"), 2);
    assert_int_equal(trim("a\xf0\x9f\x98"), 1);
    assert_int_equal(trim("a\xf0\x9f\x98\x80"), 5);
    assert_int_equal(trim("\xc3"), 0);
    assert_int_equal(trim("\xc3\xa9"), 2);
    /* not a cut character: left for shell_is_text to refuse */
    assert_int_equal(trim("\x80\x80\x80"), 3);
    assert_int_equal(trim("a\x80\x80\x80\x80"), 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_plain),   cmocka_unit_test(test_split_quotes),
        cmocka_unit_test(test_split_lengths), cmocka_unit_test(test_parse_id),
        cmocka_unit_test(test_is_text),       cmocka_unit_test(test_utf8_trim),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
