/* The console multiplexer's decision logic: escape sequences and focus. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ax/console_mux.h"

static struct console_mux m;

static int setup(void **state)
{
    (void)state;
    console_mux_init(&m);
    return 0;
}

static struct console_mux_action feed(uint8_t c) { return console_mux_feed(&m, c); }

static void test_plain_bytes_pass_through(void **state)
{
    (void)state;
    for (unsigned c = 0; c < 256; c++) {
        if (c == CONSOLE_MUX_ESCAPE)
            continue;
        struct console_mux_action a = feed((uint8_t)c);
        assert_int_equal(a.act, MUX_ACT_INPUT);
        assert_int_equal(a.byte, c);
    }
}

static void test_escape_is_swallowed(void **state)
{
    (void)state;
    assert_int_equal(feed(0x01).act, MUX_ACT_NONE);
    assert_true(m.escaped);
}

static void test_digits_select_vm(void **state)
{
    (void)state;
    for (unsigned d = 1; d <= 9; d++) {
        assert_int_equal(feed(0x01).act, MUX_ACT_NONE);
        struct console_mux_action a = feed((uint8_t)('0' + d));
        assert_int_equal(a.act, MUX_ACT_FOCUS_NTH);
        assert_int_equal(a.nth, d);
        /* the escape covers one byte only */
        assert_int_equal(feed((uint8_t)('0' + d)).act, MUX_ACT_INPUT);
    }
}

static void test_commands(void **state)
{
    (void)state;
    static const struct {
        uint8_t key;
        enum console_mux_act act;
    } t[] = {
        {'n', MUX_ACT_FOCUS_NEXT}, {'N', MUX_ACT_FOCUS_NEXT}, {'0', MUX_ACT_FOCUS_HV},
        {'h', MUX_ACT_FOCUS_HV},   {'H', MUX_ACT_FOCUS_HV},   {'?', MUX_ACT_HELP},
        {'x', MUX_ACT_UNKNOWN},    {'\r', MUX_ACT_UNKNOWN},   {0xff, MUX_ACT_UNKNOWN},
    };
    for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        feed(0x01);
        struct console_mux_action a = feed(t[i].key);
        assert_int_equal(a.act, t[i].act);
        assert_int_equal(a.byte, t[i].key);
        assert_false(m.escaped);
    }
}

static void test_double_escape_sends_one(void **state)
{
    (void)state;
    feed(0x01);
    struct console_mux_action a = feed(0x01);
    assert_int_equal(a.act, MUX_ACT_INPUT);
    assert_int_equal(a.byte, 0x01);
    /* and the next Ctrl-A starts a new sequence */
    assert_int_equal(feed(0x01).act, MUX_ACT_NONE);
    assert_int_equal(feed('2').act, MUX_ACT_FOCUS_NTH);
    /* three in a row: one literal, then an escape pending */
    feed(0x01);
    assert_int_equal(feed(0x01).act, MUX_ACT_INPUT);
    assert_int_equal(feed(0x01).act, MUX_ACT_NONE);
    assert_int_equal(feed('a').act, MUX_ACT_UNKNOWN);
}

static void test_typed_stream(void **state)
{
    (void)state;
    /* "ls\r" to the focus, switch to VM 2, "x", help */
    const uint8_t in[] = {'l', 's', '\r', 0x01, '2', 'x', 0x01, '?'};
    enum console_mux_act want[] = {MUX_ACT_INPUT, MUX_ACT_INPUT, MUX_ACT_INPUT, MUX_ACT_NONE,
                                   MUX_ACT_FOCUS_NTH, MUX_ACT_INPUT, MUX_ACT_NONE, MUX_ACT_HELP};
    for (unsigned i = 0; i < sizeof(in); i++)
        assert_int_equal(feed(in[i]).act, want[i]);
}

static struct console_mux_action mk(enum console_mux_act act, unsigned nth)
{
    struct console_mux_action a = {act, 0, nth};
    return a;
}

static void test_target_nth(void **state)
{
    (void)state;
    assert_int_equal(console_mux_target(mk(MUX_ACT_FOCUS_NTH, 1), CONSOLE_MUX_HV, 3), 0);
    assert_int_equal(console_mux_target(mk(MUX_ACT_FOCUS_NTH, 3), 0, 3), 2);
    assert_int_equal(console_mux_target(mk(MUX_ACT_FOCUS_NTH, 4), 0, 3), CONSOLE_MUX_INVALID);
    assert_int_equal(console_mux_target(mk(MUX_ACT_FOCUS_NTH, 0), 0, 3), CONSOLE_MUX_INVALID);
    assert_int_equal(console_mux_target(mk(MUX_ACT_FOCUS_NTH, 1), CONSOLE_MUX_HV, 0), CONSOLE_MUX_INVALID);
    assert_int_equal(console_mux_target(mk(MUX_ACT_FOCUS_NTH, 9), 0, 16), 8);
}

static void test_target_next_cycles(void **state)
{
    (void)state;
    struct console_mux_action next = mk(MUX_ACT_FOCUS_NEXT, 0);
    assert_int_equal(console_mux_target(next, CONSOLE_MUX_HV, 3), 0);
    assert_int_equal(console_mux_target(next, 0, 3), 1);
    assert_int_equal(console_mux_target(next, 1, 3), 2);
    assert_int_equal(console_mux_target(next, 2, 3), 0);
    assert_int_equal(console_mux_target(next, 0, 1), 0);
    assert_int_equal(console_mux_target(next, CONSOLE_MUX_HV, 0), CONSOLE_MUX_INVALID);
    /* a focus the list no longer has counts as the hypervisor */
    assert_int_equal(console_mux_target(next, 7, 3), 0);
    assert_int_equal(console_mux_target(next, -5, 3), 0);
}

static void test_target_hv_and_others(void **state)
{
    (void)state;
    assert_int_equal(console_mux_target(mk(MUX_ACT_FOCUS_HV, 0), 2, 3), CONSOLE_MUX_HV);
    assert_int_equal(console_mux_target(mk(MUX_ACT_FOCUS_HV, 0), CONSOLE_MUX_HV, 0), CONSOLE_MUX_HV);
    assert_int_equal(console_mux_target(mk(MUX_ACT_INPUT, 0), 0, 3), CONSOLE_MUX_INVALID);
    assert_int_equal(console_mux_target(mk(MUX_ACT_HELP, 0), 0, 3), CONSOLE_MUX_INVALID);
    assert_int_equal(console_mux_target(mk(MUX_ACT_NONE, 0), 0, 3), CONSOLE_MUX_INVALID);
}

static void test_help_text(void **state)
{
    (void)state;
    size_t n = strlen(console_mux_help);
    assert_true(n > 0);
    assert_int_equal(console_mux_help[n - 1], '\n');
    assert_non_null(strstr(console_mux_help, "Ctrl-A ?"));
    assert_non_null(strstr(console_mux_help, "Ctrl-A n"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_plain_bytes_pass_through, setup),
        cmocka_unit_test_setup(test_escape_is_swallowed, setup),
        cmocka_unit_test_setup(test_digits_select_vm, setup),
        cmocka_unit_test_setup(test_commands, setup),
        cmocka_unit_test_setup(test_double_escape_sends_one, setup),
        cmocka_unit_test_setup(test_typed_stream, setup),
        cmocka_unit_test(test_target_nth),
        cmocka_unit_test(test_target_next_cycles),
        cmocka_unit_test(test_target_hv_and_others),
        cmocka_unit_test(test_help_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
