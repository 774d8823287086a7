/* The shell's line editor: every key, history, limits, escape-sequence
 * robustness, and that the echo always draws exactly the buffer (replayed
 * on a small VT100 model, term_model.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ax/lineedit.h"
#include "term_model.h"

struct fixture {
    struct lineedit le;
    struct term term;
    char echo[8192]; /* every echo byte since the last echo_reset */
    size_t echo_len;
};

static void capture(void *ctx, const char *s, size_t n)
{
    struct fixture *f = ctx;
    term_out(&f->term, s, n);
    if (f->echo_len + n >= sizeof(f->echo))
        f->echo_len = 0; /* long random runs: only recent echo matters */
    assert_true(n < sizeof(f->echo));
    memcpy(f->echo + f->echo_len, s, n);
    f->echo_len += n;
    f->echo[f->echo_len] = 0;
}

static struct fixture *fx_new(void)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    term_init(&f->term);
    lineedit_init(&f->le, capture, f);
    return f;
}

static void echo_reset(struct fixture *f)
{
    f->echo_len = 0;
    f->echo[0] = 0;
}

/* Feeds bytes; checks the screen after each; returns the last action and
 * counts LINE actions in *lines (may be NULL). */
static enum lineedit_act feed_n(struct fixture *f, const char *s, size_t n, unsigned *lines)
{
    enum lineedit_act a = LINEEDIT_NONE;
    for (size_t i = 0; i < n; i++) {
        a = lineedit_feed(&f->le, (uint8_t)s[i]);
        if (a == LINEEDIT_LINE && lines)
            (*lines)++;
        const char *b = lineedit_buffer(&f->le);
        assert_int_equal(strlen(b), strnlen(b, LINEEDIT_MAX + 1));
        assert_true(strlen(b) <= LINEEDIT_MAX);
        assert_true(lineedit_cursor(&f->le) <= strlen(b));
        if (!term_shows(&f->term, b, strlen(b), lineedit_cursor(&f->le)))
            fail_msg("screen differs from buffer '%s' (cursor %zu, term col %zu%s%s) after byte %zu", b,
                     lineedit_cursor(&f->le), f->term.col, f->term.bad ? ": " : "",
                     f->term.bad ? f->term.why : "", i);
    }
    return a;
}

static enum lineedit_act feed(struct fixture *f, const char *s) { return feed_n(f, s, strlen(s), NULL); }

static void assert_buf(struct fixture *f, const char *want, size_t cur)
{
    assert_string_equal(lineedit_buffer(&f->le), want);
    assert_int_equal(lineedit_cursor(&f->le), cur);
}

#define UP "\x1b[A"
#define DOWN "\x1b[B"
#define RIGHT "\x1b[C"
#define LEFT "\x1b[D"

static void test_insert_and_enter(void **state)
{
    (void)state;
    struct fixture *f = fx_new();
    assert_int_equal(feed(f, "vm list"), LINEEDIT_NONE);
    assert_string_equal(f->echo, "vm list");
    assert_buf(f, "vm list", 7);
    echo_reset(f);
    assert_int_equal(feed(f, "\r"), LINEEDIT_LINE);
    assert_string_equal(lineedit_line(&f->le), "vm list");
    assert_string_equal(f->echo, "\r\n");
    assert_buf(f, "", 0);
    assert_int_equal(f->term.newlines, 1);
    free(f);
}

static void test_crlf_counted_once(void **state)
{
    (void)state;
    struct fixture *f = fx_new();
    unsigned lines = 0;
    feed_n(f, "a\r\nb\nc\r\rd\n\n", 12, &lines);
    /* a (CRLF), b (LF), c (CR), "" (CR), d (LF), "" (LF) */
    assert_int_equal(lines, 6);
    assert_string_equal(lineedit_line(&f->le), "");
    /* LF after CR after something else than a line end still ends a line */
    lines = 0;
    feed_n(f, "x\r", 2, &lines);
    assert_string_equal(lineedit_line(&f->le), "x");
    feed_n(f, "y\n", 2, &lines);
    assert_int_equal(lines, 2);
    assert_string_equal(lineedit_line(&f->le), "y");
    /* a lone LF right after a CR is swallowed, even when the CR was in an
     * escape sequence */
    lines = 0;
    feed_n(f, "z\x1b[\r\n", 5, &lines);
    assert_int_equal(lines, 1);
    assert_string_equal(lineedit_line(&f->le), "z");
    free(f);
}

static void test_backspace_and_del(void **state)
{
    (void)state;
    struct fixture *f = fx_new();
    feed(f, "abc");
    echo_reset(f);
    feed(f, "\x7f");
    assert_buf(f, "ab", 2);
    assert_string_equal(f->echo, "\b\x1b[K");
    feed(f, "\b\b");
    assert_buf(f, "", 0);
    echo_reset(f);
    feed(f, "\x7f\b"); /* nothing to delete: no echo at all */
    assert_int_equal(f->echo_len, 0);
    assert_buf(f, "", 0);
    /* in the middle */
    feed(f, "hello" LEFT LEFT "\x7f");
    assert_buf(f, "helo", 2);
    free(f);
}

static void test_arrows_insert_middle(void **state)
{
    (void)state;
    struct fixture *f = fx_new();
    feed(f, "vm strt");
    feed(f, LEFT LEFT LEFT);
    assert_buf(f, "vm strt", 4);
    feed(f, "a"); /* no: insert before 'r' */
    assert_buf(f, "vm satrt", 5);
    feed(f, "\x7f" RIGHT "a");
    assert_buf(f, "vm start", 6);
    /* left at column 0 and right at the end do nothing and echo nothing */
    feed(f, "\x1b[H");
    assert_buf(f, "vm start", 0);
    echo_reset(f);
    feed(f, LEFT);
    assert_int_equal(f->echo_len, 0);
    feed(f, "\x1b[F");
    assert_buf(f, "vm start", 8);
    echo_reset(f);
    feed(f, RIGHT);
    assert_int_equal(f->echo_len, 0);
    /* SS3 forms (application cursor keys) */
    feed(f, "\x1bOD\x1bOD");
    assert_buf(f, "vm start", 6);
    feed(f, "\x1bOC");
    assert_buf(f, "vm start", 7);
    feed(f, "\x1bOH");
    assert_buf(f, "vm start", 0);
    feed(f, "\x1bOF");
    assert_buf(f, "vm start", 8);
    free(f);
}

static void test_home_end_delete(void **state)
{
    (void)state;
    struct fixture *f = fx_new();
    feed(f, "abcdef");
    feed(f, "\x1b[1~");
    assert_buf(f, "abcdef", 0);
    feed(f, "\x1b[3~");
    assert_buf(f, "bcdef", 0);
    feed(f, "\x1b[4~");
    assert_buf(f, "bcdef", 5);
    echo_reset(f);
    feed(f, "\x1b[3~"); /* at the end: nothing */
    assert_int_equal(f->echo_len, 0);
    feed(f, "\x1b[7~" "\x1b[3~" "\x1b[8~");
    assert_buf(f, "cdef", 4);
    free(f);
}

static void test_ctrl_u_and_ctrl_c(void **state)
{
    (void)state;
    struct fixture *f = fx_new();
    feed(f, "vm stop 3" LEFT LEFT);
    feed(f, "\x15");
    assert_buf(f, "", 0);
    feed(f, "help");
    assert_buf(f, "help", 4);
    echo_reset(f);
    assert_int_equal(feed(f, "\x03"), LINEEDIT_CANCEL);
    assert_string_equal(f->echo, "^C\r\n");
    assert_buf(f, "", 0);
    assert_int_equal(lineedit_history_count(&f->le), 0); /* cancelled lines are not kept */
    /* the previous finished line is untouched by a cancel */
    feed(f, "one\r");
    feed(f, "two\x03");
    assert_string_equal(lineedit_line(&f->le), "one");
    free(f);
}

static void test_history(void **state)
{
    (void)state;
    struct fixture *f = fx_new();
    feed(f, "first\rsecond\rthird\r");
    assert_int_equal(lineedit_history_count(&f->le), 3);
    assert_string_equal(lineedit_history(&f->le, 0), "third");
    assert_string_equal(lineedit_history(&f->le, 2), "first");
    assert_null(lineedit_history(&f->le, 3));
    feed(f, "typing");
    feed(f, UP);
    assert_buf(f, "third", 5);
    feed(f, UP UP);
    assert_buf(f, "first", 5);
    echo_reset(f);
    feed(f, UP); /* past the oldest: stays, no echo */
    assert_buf(f, "first", 5);
    assert_int_equal(f->echo_len, 0);
    feed(f, DOWN);
    assert_buf(f, "second", 6);
    feed(f, DOWN DOWN);
    assert_buf(f, "typing", 6); /* the own line comes back */
    echo_reset(f);
    feed(f, DOWN);
    assert_int_equal(f->echo_len, 0);
    /* editing a recalled line changes neither the history nor the own line */
    feed(f, UP "\x7f\x7f\x7f\x7f\x7f" "X");
    assert_buf(f, "X", 1);
    assert_string_equal(lineedit_history(&f->le, 0), "third");
    feed(f, DOWN);
    assert_buf(f, "typing", 6);
    /* entering a recalled line adds it again as the newest */
    feed(f, "\x15" UP UP "\r");
    assert_string_equal(lineedit_line(&f->le), "second");
    assert_string_equal(lineedit_history(&f->le, 0), "second");
    assert_int_equal(lineedit_history_count(&f->le), 4);
    /* the same line twice in a row is kept once; blank lines never */
    feed(f, "second\r   \r\r");
    assert_int_equal(lineedit_history_count(&f->le), 4);
    /* Ctrl-U while browsing ends browsing */
    feed(f, UP "\x15" DOWN);
    assert_buf(f, "", 0);
    free(f);
}

static void test_history_wraps(void **state)
{
    (void)state;
    struct fixture *f = fx_new();
    char line[32];
    for (int i = 0; i < LINEEDIT_HISTORY + 5; i++) {
        snprintf(line, sizeof(line), "cmd %d\r", i);
        feed(f, line);
    }
    assert_int_equal(lineedit_history_count(&f->le), LINEEDIT_HISTORY);
    snprintf(line, sizeof(line), "cmd %d", LINEEDIT_HISTORY + 4);
    assert_string_equal(lineedit_history(&f->le, 0), line);
    snprintf(line, sizeof(line), "cmd %d", 5);
    assert_string_equal(lineedit_history(&f->le, LINEEDIT_HISTORY - 1), line);
    for (int i = 0; i < LINEEDIT_HISTORY + 3; i++)
        feed(f, UP);
    assert_buf(f, "cmd 5", 5);
    free(f);
}

static void test_long_line(void **state)
{
    (void)state;
    struct fixture *f = fx_new();
    char big[LINEEDIT_MAX + 51];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    feed(f, big);
    assert_int_equal(strlen(lineedit_buffer(&f->le)), LINEEDIT_MAX);
    /* the 50 bytes that did not fit rang the bell */
    size_t bells = 0;
    for (size_t i = 0; i < f->echo_len; i++)
        bells += f->echo[i] == '\a';
    assert_int_equal(bells, 50);
    /* inserting in the middle of a full line does nothing either */
    feed(f, LEFT LEFT "y");
    assert_null(strchr(lineedit_buffer(&f->le), 'y'));
    feed(f, "\x7f" "y");
    assert_int_equal(strlen(lineedit_buffer(&f->le)), LINEEDIT_MAX);
    assert_non_null(strchr(lineedit_buffer(&f->le), 'y'));
    assert_int_equal(feed(f, "\r"), LINEEDIT_LINE);
    assert_int_equal(strlen(lineedit_line(&f->le)), LINEEDIT_MAX);
    /* a full line in history comes back whole */
    feed(f, UP);
    assert_int_equal(strlen(lineedit_buffer(&f->le)), LINEEDIT_MAX);
    free(f);
}

static void test_escape_robustness(void **state)
{
    (void)state;
    struct fixture *f = fx_new();
    /* unknown sequences are swallowed whole */
    feed(f, "a\x1b[5~b\x1b[1;5Cc\x1b[?25hd\x1b[200~e\x1bxf\x1b[Zg\x1bOPh");
    assert_buf(f, "abcdefgh", 8);
    /* a long parameter string is dropped after LINEEDIT_SEQ_MAX bytes;
     * what follows is typed text again */
    char longseq[64] = "\x1b[";
    for (int i = 0; i < 30; i++)
        strcat(longseq, "1");
    strcat(longseq, "D");
    feed(f, "\x15");
    feed(f, longseq);
    assert_true(strlen(lineedit_buffer(&f->le)) <= 30);
    assert_null(strchr(lineedit_buffer(&f->le), '['));
    /* ESC ESC [ D is one left arrow */
    feed(f, "\x15" "ab\x1b\x1b[D");
    assert_buf(f, "ab", 1);
    /* a control byte ends a sequence and still works: Enter after ESC */
    feed(f, "\x15" "cmd\x1b");
    assert_int_equal(feed(f, "\r"), LINEEDIT_LINE);
    assert_string_equal(lineedit_line(&f->le), "cmd");
    feed(f, "q\x1b[\x03");
    assert_buf(f, "", 0);
    /* non-ASCII, tab and other control bytes are ignored */
    echo_reset(f);
    feed(f, "\t\x01\x02\x04\x80\xc3\xa9\xff\x7f");
    assert_int_equal(f->echo_len, 0);
    assert_buf(f, "", 0);
    /* a DEL or high byte inside a CSI ends it without effect */
    feed(f, "k\x1b[\x7f" "m\x1b[1\xc3" "n");
    assert_buf(f, "kmn", 3);
    free(f);
}

static void test_redraw_and_no_echo(void **state)
{
    (void)state;
    struct fixture *f = fx_new();
    feed(f, "vm show 2" LEFT LEFT);
    /* a log line broke the screen line: the caller prints a newline and its
     * prompt, then lineedit_redraw puts the line and the cursor back */
    term_out(&f->term, "\n", 1);
    lineedit_redraw(&f->le);
    assert_true(term_shows(&f->term, "vm show 2", 9, 7));
    /* without a callback everything still works */
    struct lineedit *le = calloc(1, sizeof(*le));
    assert_non_null(le);
    lineedit_init(le, NULL, NULL);
    const char *in = "abc\x1b[D\x7f\r";
    enum lineedit_act a = LINEEDIT_NONE;
    for (const char *p = in; *p; p++)
        a = lineedit_feed(le, (uint8_t)*p);
    assert_int_equal(a, LINEEDIT_LINE);
    assert_string_equal(lineedit_line(le), "ac");
    lineedit_redraw(le);
    free(le);
    free(f);
}

/* Random bytes, weighted towards the interesting ones: the screen must
 * match the buffer after every byte (checked inside feed_n). */
static void test_random_streams(void **state)
{
    (void)state;
    static const char *const pieces[] = {"a", "Z", " ", "\x7f", "\b", "\r", "\n", "\x15", "\x03", UP, DOWN,
                                         LEFT, RIGHT, "\x1b[H", "\x1b[F", "\x1b[3~", "\x1b", "\x1b[", "\x1bO",
                                         "\xc3", "\t", "1", "~", "["};
    uint32_t seed = 12345;
    for (int round = 0; round < 200; round++) {
        struct fixture *f = fx_new();
        for (int i = 0; i < 400; i++) {
            seed = seed * 1103515245u + 12345u;
            const char *p = pieces[(seed >> 16) % (sizeof(pieces) / sizeof(pieces[0]))];
            feed(f, p);
            if (round % 4 == 0 && i % 3 == 0)
                for (int k = 0; k < 10; k++)
                    feed(f, "x"); /* long lines too */
        }
        free(f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_insert_and_enter),   cmocka_unit_test(test_crlf_counted_once),
        cmocka_unit_test(test_backspace_and_del),  cmocka_unit_test(test_arrows_insert_middle),
        cmocka_unit_test(test_home_end_delete),    cmocka_unit_test(test_ctrl_u_and_ctrl_c),
        cmocka_unit_test(test_history),            cmocka_unit_test(test_history_wraps),
        cmocka_unit_test(test_long_line),          cmocka_unit_test(test_escape_robustness),
        cmocka_unit_test(test_redraw_and_no_echo), cmocka_unit_test(test_random_streams),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
