/* Unit tests for the freestanding TOML parser (src/axvmconfig/toml.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ax/toml.h"

static char arena_mem[256 * 1024];
static struct toml_arena arena;
static struct toml_error err;

static int parse_n(const char *text, size_t len, const struct toml_node **root)
{
    toml_arena_init(&arena, arena_mem, sizeof(arena_mem));
    memset(&err, 0x55, sizeof(err));
    return toml_parse(text, len, &arena, root, &err);
}

static const struct toml_node *parse_ok(const char *text)
{
    const struct toml_node *root = NULL;
    int rc = parse_n(text, strlen(text), &root);
    if (rc)
        print_error("unexpected error %d at %u:%u: %s\n--- input:\n%s\n", rc, err.line, err.col,
                    err.msg, text);
    assert_int_equal(rc, 0);
    assert_non_null(root);
    assert_int_equal(root->type, TOML_TABLE);
    return root;
}

/* Parsing must fail with exactly this position and message. */
static void expect_error_n(const char *text, size_t len, uint32_t line, uint32_t col,
                           const char *msg)
{
    const struct toml_node *root = (const void *)0x1;
    int rc = parse_n(text, len, &root);
    if (rc == 0 || strcmp(err.msg, msg) != 0 || err.line != line || err.col != col)
        print_error("input: %.*s\n  got %d %u:%u: %s\n want %u:%u: %s\n", (int)len, text, rc,
                    err.line, err.col, err.msg, line, col, msg);
    assert_int_equal(rc, -AX_EINVAL);
    assert_string_equal(err.msg, msg);
    assert_int_equal(err.line, line);
    assert_int_equal(err.col, col);
    assert_ptr_equal(root, (const void *)0x1); /* untouched on failure */
    assert_int_equal(arena.used, 0);           /* arena rolled back */
}

static void expect_error(const char *text, uint32_t line, uint32_t col, const char *msg)
{
    expect_error_n(text, strlen(text), line, col, msg);
}

static uint64_t get_u64(const struct toml_node *root, const char *path)
{
    uint64_t v = 0xdeadbeef;
    int rc = toml_get_u64(root, path, &v);
    if (rc)
        print_error("path %s: rc %d\n", path, rc);
    assert_int_equal(rc, 0);
    return v;
}

static int64_t get_i64(const struct toml_node *root, const char *path)
{
    int64_t v = 0;
    assert_int_equal(toml_get_i64(root, path, &v), 0);
    return v;
}

static const char *get_str(const struct toml_node *root, const char *path, size_t *len)
{
    const char *s = NULL;
    size_t l = 0;
    int rc = toml_get_str(root, path, &s, &l);
    if (rc)
        print_error("path %s: rc %d\n", path, rc);
    assert_int_equal(rc, 0);
    assert_non_null(s);
    assert_int_equal(s[l], '\0');
    if (len)
        *len = l;
    return s;
}

/* ------------------------------------------------------------------ tests */

static void test_empty_and_comments(void **state)
{
    (void)state;
    const struct toml_node *root = parse_ok("");
    assert_int_equal(toml_len(root), 0);
    root = parse_ok("# only a comment\n\n   \t\n# another");
    assert_int_equal(toml_len(root), 0);
    root = parse_ok("\xEF\xBB\xBFkey = 1 # BOM is skipped\r\n");
    assert_int_equal(get_u64(root, "key"), 1);
    assert_int_equal(toml_first(root)->line, 1);
    assert_int_equal(toml_first(root)->col, 1);
    /* Empty input with a NULL pointer is fine. */
    const struct toml_node *r2;
    toml_arena_init(&arena, arena_mem, sizeof(arena_mem));
    assert_int_equal(toml_parse(NULL, 0, &arena, &r2, NULL), 0);
    assert_int_equal(toml_len(r2), 0);
}

static void test_integers(void **state)
{
    (void)state;
    const struct toml_node *root = parse_ok(
        "a = 42\nb = +17\nc = -17\nd = 0\ne = -0\nf = +0\n"
        "g = 1_000_000\nh = 0xDEAD_beef\ni = 0o755\nj = 0b1101_0101\n"
        "k = 9223372036854775807\nl = -9223372036854775808\n"
        "m = 0xffff_ffff_ffff_ffff\nn = 0x0000_8000\n");
    assert_int_equal(get_u64(root, "a"), 42);
    assert_int_equal(get_u64(root, "b"), 17);
    assert_int_equal(get_i64(root, "c"), -17);
    assert_int_equal(get_u64(root, "d"), 0);
    assert_int_equal(get_u64(root, "e"), 0); /* -0 is plain zero */
    assert_int_equal(get_u64(root, "f"), 0);
    assert_int_equal(get_u64(root, "g"), 1000000);
    assert_int_equal(get_u64(root, "h"), 0xdeadbeef);
    assert_int_equal(get_u64(root, "i"), 0755);
    assert_int_equal(get_u64(root, "j"), 0xd5);
    assert_int_equal(get_i64(root, "k"), INT64_MAX);
    assert_true(get_i64(root, "l") == INT64_MIN);
    assert_true(get_u64(root, "m") == UINT64_MAX);
    assert_int_equal(get_u64(root, "n"), 0x8000);

    /* Range and sign checks in the getters. */
    uint64_t u;
    int64_t s;
    assert_int_equal(toml_get_u64(root, "c", &u), -AX_ERANGE);
    assert_int_equal(toml_get_i64(root, "m", &s), -AX_ERANGE);
    assert_int_equal(toml_get_u64(root, "nope", &u), -AX_ENOENT);
}

static void test_integer_errors(void **state)
{
    (void)state;
    expect_error("x = 9223372036854775808\n", 1, 5,
                 "integer '9223372036854775808' is out of range for a signed 64-bit integer");
    expect_error("x = -9223372036854775809\n", 1, 5,
                 "integer '-9223372036854775809' is out of range for a signed 64-bit integer");
    expect_error("x = 0x1_0000_0000_0000_0000\n", 1, 5, "integer does not fit in 64 bits");
    expect_error("x = 99999999999999999999999\n", 1, 5, "integer does not fit in 64 bits");
    expect_error("x = 0b1_0000000000000000000000000000000000000000000000000000000000000000\n", 1,
                 5, "integer does not fit in 64 bits");
    expect_error("x = 01\n", 1, 5, "leading zeros are not allowed in decimal integers");
    expect_error("x = 0_1\n", 1, 5, "leading zeros are not allowed in decimal integers");
    expect_error("x = 1__0\n", 1, 5, "'_' in an integer must sit between two digits");
    expect_error("x = 1_\n", 1, 5, "'_' in an integer must sit between two digits");
    expect_error("x = 0x_1\n", 1, 5, "'_' in an integer must sit between two digits");
    expect_error("x = _1\n", 1, 5,
                 "expected a value (string, integer, boolean, array or inline table), found '_1'");
    expect_error("x = +0x10\n", 1, 5,
                 "a sign is not allowed on hexadecimal, octal or binary integers");
    expect_error("x = -0b1\n", 1, 5,
                 "a sign is not allowed on hexadecimal, octal or binary integers");
    expect_error("x = 0X10\n", 1, 5, "invalid digit 'X' in a decimal integer");
    expect_error("x = 0x\n", 1, 5, "hexadecimal integer has no digits");
    expect_error("x = 0o8\n", 1, 5, "invalid digit '8' in a octal integer");
    expect_error("x = 0b102\n", 1, 5, "invalid digit '2' in a binary integer");
    expect_error("x = 0xfg\n", 1, 5, "invalid digit 'g' in a hexadecimal integer");
    expect_error("x = 12abc\n", 1, 5, "invalid digit 'a' in a decimal integer");
    expect_error("x = +\n", 1, 5,
                 "expected a value (string, integer, boolean, array or inline table), found '+'");
}

static void test_floats_and_dates_rejected(void **state)
{
    (void)state;
    static const char *const floats[] = { "1.5", "-0.0", "1e5", "6.02E23", "inf", "-inf",
                                          "+nan", "nan", "1_000.5" };
    static const char *const dates[] = { "1979-05-27", "1979-05-27T07:32:00Z", "07:32:00",
                                         "1979-05-27 07:32:00" };
    char buf[64];
    for (size_t i = 0; i < sizeof(floats) / sizeof(floats[0]); i++) {
        snprintf(buf, sizeof(buf), "v = %s\n", floats[i]);
        expect_error(buf, 1, 5, "floating-point numbers are not supported in VM configs");
    }
    for (size_t i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
        snprintf(buf, sizeof(buf), "v = %s\n", dates[i]);
        expect_error(buf, 1, 5, "dates and times are not supported in VM configs");
    }
    /* Inside arrays, too. */
    expect_error("v = [1, 2.5]\n", 1, 9, "floating-point numbers are not supported in VM configs");
}

static void test_booleans(void **state)
{
    (void)state;
    const struct toml_node *root = parse_ok("t = true\nf = false\n");
    bool b = false;
    assert_int_equal(toml_get_bool(root, "t", &b), 0);
    assert_true(b);
    assert_int_equal(toml_get_bool(root, "f", &b), 0);
    assert_false(b);
    expect_error("t = True\n", 1, 5,
                 "expected a value (string, integer, boolean, array or inline table), found 'True'");
    expect_error("t = truefalse\n", 1, 5,
                 "expected a value (string, integer, boolean, array or inline table), found 'truefalse'");
}

static void test_strings(void **state)
{
    (void)state;
    size_t len;
    const struct toml_node *root = parse_ok(
        "a = \"tab\\there \\\"q\\\" back\\\\slash\\nnl\"\n"
        "b = \"\\u00e9\\U0001F600\\b\\f\\r\"\n"
        "c = 'C:\\Users\\no\\escapes'\n"
        "d = \"\"\n"
        "e = ''\n"
        "f = \"nul\\u0000inside\"\n"
        "g = \"raw UTF-8: caf\xC3\xA9\"\n");
    assert_string_equal(get_str(root, "a", NULL), "tab\there \"q\" back\\slash\nnl");
    assert_string_equal(get_str(root, "b", NULL), "\xC3\xA9\xF0\x9F\x98\x80\b\f\r");
    assert_string_equal(get_str(root, "c", NULL), "C:\\Users\\no\\escapes");
    assert_string_equal(get_str(root, "d", &len), "");
    assert_int_equal(len, 0);
    assert_string_equal(get_str(root, "e", &len), "");
    const char *f = get_str(root, "f", &len);
    assert_int_equal(len, 10);
    assert_memory_equal(f, "nul\0inside", 10);
    assert_string_equal(get_str(root, "g", NULL), "raw UTF-8: caf\xC3\xA9");
}

static void test_multiline_strings(void **state)
{
    (void)state;
    const struct toml_node *root = parse_ok(
        "a = \"\"\"\nfirst\nsecond\"\"\"\n"
        "b = \"\"\"one \\\n     two \\\n\n   three\"\"\"\n"
        "c = '''\nraw \\n text\n'''\n"
        "d = \"\"\"quote at end\"\"\"\"\n"
        "e = \"\"\"two quotes\"\"\"\"\"\n"
        "f = '''it''s'''\n"
        "g = \"\"\"\r\ncrlf\r\nkept\"\"\"\n"
        "h = \"\"\"\"\"\"\n"
        "i = \"\"\"trailing ws \\   \n  next\"\"\"\n");
    assert_string_equal(get_str(root, "a", NULL), "first\nsecond");
    assert_string_equal(get_str(root, "b", NULL), "one two three");
    assert_string_equal(get_str(root, "c", NULL), "raw \\n text\n");
    assert_string_equal(get_str(root, "d", NULL), "quote at end\"");
    assert_string_equal(get_str(root, "e", NULL), "two quotes\"\"");
    assert_string_equal(get_str(root, "f", NULL), "it''s");
    assert_string_equal(get_str(root, "g", NULL), "crlf\nkept"); /* normalized */
    assert_string_equal(get_str(root, "h", NULL), "");
    assert_string_equal(get_str(root, "i", NULL), "trailing ws next");
    /* Line numbers keep counting through multi-line strings. */
    const struct toml_node *i = toml_table_get(root, "i");
    assert_int_equal(i->line, 18);
}

static void test_string_errors(void **state)
{
    (void)state;
    expect_error("s = \"abc\n", 1, 9,
                 "newline in a single-line string (use \\n or a multi-line string)");
    expect_error("s = \"abc", 1, 5, "unterminated string");
    expect_error("s = 'abc", 1, 5, "unterminated string");
    expect_error("s = \"\"\"abc\"\"\n", 1, 5, "unterminated string");
    expect_error("s = '''abc", 1, 5, "unterminated string");
    expect_error("s = \"a\\qb\"\n", 1, 7, "invalid escape sequence: backslash followed by 'q'");
    expect_error("s = \"a\\ b\"\n", 1, 7, "invalid escape sequence: backslash followed by ' '");
    expect_error("s = \"a\\", 1, 7, "unterminated string");
    expect_error("s = \"\\u12\"\n", 1, 6, "\\u escape needs 4 hexadecimal digits");
    expect_error("s = \"\\u12", 1, 6, "\\u escape needs 4 hexadecimal digits");
    expect_error("s = \"\\U0011FFFF\"\n", 1, 6, "\\U escape is not a Unicode scalar value");
    expect_error("s = \"\\uD800\"\n", 1, 6, "\\u escape is not a Unicode scalar value");
    expect_error("s = \"\"\"a\"\"\"\"\"\"\n", 1, 14,
                 "too many quotes at the end of a multi-line string");
    expect_error("s = \"\"\"x\\\"\"\"\n", 1, 5, "unterminated string");
}

static void test_control_chars_and_utf8(void **state)
{
    (void)state;
    expect_error_n("a = \"x\0y\"\n", 10, 1, 7, "NUL byte in the input");
    expect_error_n("a = 1\n\0", 7, 2, 1, "NUL byte in the input");
    expect_error("a = \"x\x01\"\n", 1, 7,
                 "control character 0x1 is not allowed (use an escape in strings)");
    expect_error("# comment with DEL \x7F\n", 1, 20,
                 "control character 0x7f is not allowed (use an escape in strings)");
    expect_error("a = 1\rb = 2\n", 1, 6, "carriage return not followed by a line feed");
    expect_error("a = 1\r", 1, 6, "carriage return not followed by a line feed");
    expect_error("a = \"\xff\"\n", 1, 6, "invalid UTF-8 (byte 0xff)");
    expect_error("a = \"\x80\"\n", 1, 6, "invalid UTF-8 (byte 0x80)");
    expect_error("a = \"\xC0\xAF\"\n", 1, 6, "invalid UTF-8 (byte 0xc0)");
    expect_error("a = \"\xE0\x80\xAF\"\n", 1, 6,
                 "invalid UTF-8 (overlong, surrogate or out-of-range sequence)");
    expect_error("a = \"\xED\xA0\x80\"\n", 1, 6,
                 "invalid UTF-8 (overlong, surrogate or out-of-range sequence)");
    expect_error("a = \"\xF4\x90\x80\x80\"\n", 1, 6,
                 "invalid UTF-8 (overlong, surrogate or out-of-range sequence)");
    expect_error("a = \"\xE2\x82\"\n", 1, 6, "invalid UTF-8 (byte 0xe2)");
    expect_error("a = \"\xE2\x82", 1, 6, "invalid UTF-8 (byte 0xe2)");
    /* Column counts characters, not bytes. */
    expect_error("\"\xC3\xA9\xC3\xA9\" = 1 2\n", 1, 10, "expected end of line after a value, found '2'");
    /* Tabs are fine in strings and comments. */
    const struct toml_node *root = parse_ok("a = \"x\ty\" # c\tc\n");
    assert_string_equal(get_str(root, "a", NULL), "x\ty");
}

static void test_keys(void **state)
{
    (void)state;
    const struct toml_node *root = parse_ok(
        "bare_key-1 = 1\n"
        "\"quoted key\" = 2\n"
        "'literal.key' = 3\n"
        "\"\" = 4\n"
        "1234 = 5\n"
        "a . b . c = 6\n"
        "a.\"x.y\" = 7\n"
        "\"\\u00e9\" = 8\n");
    assert_int_equal(get_u64(root, "bare_key-1"), 1);
    assert_int_equal(toml_table_get(root, "quoted key")->v.bits, 2);
    assert_int_equal(toml_table_get(root, "literal.key")->v.bits, 3);
    assert_int_equal(toml_table_get(root, "")->v.bits, 4);
    assert_int_equal(get_u64(root, "1234"), 5);
    assert_int_equal(get_u64(root, "a.b.c"), 6);
    assert_null(toml_get_path(root, "a.x.y")); /* the key contains a dot */
    assert_int_equal(toml_table_get(toml_table_get(root, "a"), "x.y")->v.bits, 7);
    assert_int_equal(toml_table_get(root, "\xC3\xA9")->v.bits, 8);
    assert_null(toml_get_path(root, "a..b"));
    assert_null(toml_get_path(root, ""));
    assert_null(toml_get_path(root, "a."));
    assert_null(toml_get_path(root, "bare_key-1.x")); /* through a non-table */
    const struct toml_node *a = toml_table_get(root, "a");
    assert_int_equal(a->line, 6);
    assert_int_equal(a->col, 1);
    assert_int_equal(toml_table_get(a, "b")->col, 5);
}

static void test_tables(void **state)
{
    (void)state;
    const struct toml_node *root = parse_ok(
        "top = 0\n"
        "[base]\n"
        "id = 1\n"
        "[kernel.sub]\n"
        "x = 2\n"
        "[kernel]\n"             /* implicit table becomes defined */
        "y = 3\n"
        "[ spaced . header ]  # comment\n"
        "z = 4\n"
        "[fruit]\n"
        "apple.color = \"red\"\n"
        "apple.taste.sweet = true\n"
        "[fruit.apple.texture]\n" /* sub-table of a dotted-key table: allowed */
        "smooth = true\n");
    assert_int_equal(get_u64(root, "top"), 0);
    assert_int_equal(get_u64(root, "base.id"), 1);
    assert_int_equal(get_u64(root, "kernel.sub.x"), 2);
    assert_int_equal(get_u64(root, "kernel.y"), 3);
    assert_int_equal(get_u64(root, "spaced.header.z"), 4);
    bool b;
    assert_int_equal(toml_get_bool(root, "fruit.apple.texture.smooth", &b), 0);
    assert_true(b);
    /* Document order, and the header line of an implicit-then-defined table. */
    const char *order[] = { "top", "base", "kernel", "spaced", "fruit" };
    size_t i = 0;
    for (const struct toml_node *n = toml_first(root); n; n = toml_next(n), i++)
        assert_string_equal(n->key, order[i]);
    assert_int_equal(i, 5);
    assert_int_equal(toml_len(root), 5);
    assert_int_equal(toml_table_get(root, "kernel")->line, 6);
    assert_int_equal(toml_table_get(root, "base")->line, 2);
}

static void test_array_of_tables(void **state)
{
    (void)state;
    const struct toml_node *root = parse_ok(
        "[[vm]]\n"
        "id = 1\n"
        "[[vm]]\n"
        "id = 2\n"
        "[vm.kernel]\n"          /* goes into the last element */
        "path = \"b\"\n"
        "[[vm.dev]]\n"
        "n = 1\n"
        "[[vm.dev]]\n"
        "n = 2\n");
    const struct toml_node *vm = toml_table_get(root, "vm");
    assert_int_equal(vm->type, TOML_ARRAY);
    assert_int_equal(toml_len(vm), 2);
    assert_int_equal(get_u64(toml_at(vm, 0), "id"), 1);
    assert_null(toml_get_path(toml_at(vm, 0), "kernel"));
    assert_int_equal(get_u64(toml_at(vm, 1), "id"), 2);
    assert_string_equal(get_str(toml_at(vm, 1), "kernel.path", NULL), "b");
    const struct toml_node *dev = toml_get_path(toml_at(vm, 1), "dev");
    assert_int_equal(toml_len(dev), 2);
    assert_int_equal(get_u64(toml_at(dev, 1), "n"), 2);
    assert_null(toml_at(dev, 2));
    assert_int_equal(toml_at(vm, 1)->line, 3);
}

static void test_arrays(void **state)
{
    (void)state;
    const struct toml_node *root = parse_ok(
        "empty = []\n"
        "ints = [1, 2, 3,]\n"
        "multi = [\n"
        "  1, # one\n"
        "  # a whole comment line\n"
        "\n"
        "  2\n"
        "  ,3\n"
        "]\n"
        "nested = [[1, [2, [3]]], []]\n"
        "emu_devices = [\n"
        "    [\"gppt-gicr\", 0x080c_0000, 0x2_0000, 0, 0x20, [1, 0x2_0000, 1]], # comment\n"
        "    [\"x\", 1, 2, 3, 4, []],\n"
        "]\n"
        "mixed = [\"s\", 1, true, [], {a = 1}]\n");
    assert_int_equal(toml_len(toml_table_get(root, "empty")), 0);
    const struct toml_node *ints = toml_table_get(root, "ints");
    assert_int_equal(toml_len(ints), 3);
    assert_int_equal(toml_at(ints, 2)->v.bits, 3);
    const struct toml_node *multi = toml_table_get(root, "multi");
    assert_int_equal(toml_len(multi), 3);
    assert_int_equal(toml_at(multi, 1)->line, 7);
    assert_int_equal(toml_at(multi, 1)->col, 3);
    const struct toml_node *nested = toml_table_get(root, "nested");
    const struct toml_node *inner = toml_at(toml_at(toml_at(nested, 0), 1), 1);
    assert_int_equal(toml_at(inner, 0)->v.bits, 3);
    const struct toml_node *emu = toml_table_get(root, "emu_devices");
    assert_int_equal(toml_len(emu), 2);
    const struct toml_node *d0 = toml_at(emu, 0);
    assert_int_equal(toml_at(d0, 0)->type, TOML_STRING);
    assert_int_equal(toml_at(d0, 1)->v.bits, 0x080c0000);
    assert_int_equal(toml_len(toml_at(d0, 5)), 3);
    const struct toml_node *mixed = toml_table_get(root, "mixed");
    static const int types[] = { TOML_STRING, TOML_INT, TOML_BOOL, TOML_ARRAY, TOML_TABLE };
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(toml_at(mixed, i)->type, types[i]);
        assert_null(toml_at(mixed, i)->key);
    }
    /* Accessors on the wrong kind of node. */
    assert_int_equal(toml_len(toml_at(ints, 0)), 0);
    assert_null(toml_first(toml_at(ints, 0)));
    assert_null(toml_at(root, 0));
    assert_null(toml_table_get(ints, "x"));
    assert_null(toml_next(NULL));
}

static void test_inline_tables(void **state)
{
    (void)state;
    const struct toml_node *root = parse_ok(
        "point = { x = 1, y = 2 }\n"
        "empty = {}\n"
        "nest = { a = { b = { c = \"deep\" } }, d.e = 5, d.f = 6 }\n"
        "arr = [ { n = 1 }, { n = 2 } ]\n");
    assert_int_equal(get_u64(root, "point.y"), 2);
    assert_int_equal(toml_len(toml_table_get(root, "empty")), 0);
    assert_string_equal(get_str(root, "nest.a.b.c", NULL), "deep");
    assert_int_equal(get_u64(root, "nest.d.f"), 6);
    assert_int_equal(get_u64(toml_at(toml_table_get(root, "arr"), 1), "n"), 2);
}

static void test_structure_errors(void **state)
{
    (void)state;
    expect_error("a = 1\na = 2\n", 2, 1, "duplicate key 'a' (first defined on line 1)");
    expect_error("a.b = 1\na.b = 2\n", 2, 3, "duplicate key 'a.b' (first defined on line 1)");
    expect_error("a = 1\na.b = 2\n", 2, 1, "cannot add keys to 'a': it is an integer (line 1)");
    expect_error("[t]\nx = 1\n[t]\n", 3, 1, "table [t] is defined twice (first on line 1)");
    expect_error("a.b = 1\n[a]\n", 2, 1, "table [a] was already defined with dotted keys (line 1)");
    expect_error("[fruit]\napple.color = 1\n[fruit.apple]\n", 3, 1,
                 "table [fruit.apple] was already defined with dotted keys (line 2)");
    expect_error("[a.b.c]\n[a]\nb.d = 1\n", 3, 1,
                 "cannot add keys to table 'b' with a dotted key: it is defined by a [header] (line 1)");
    expect_error("a = []\n[[a]]\n", 2, 1, "cannot define [[a]]: 'a' is already an array (line 1)");
    expect_error("[[a]]\n[a]\n", 2, 1,
                 "cannot define [a]: 'a' is already an array of tables (line 1)");
    expect_error("a = {}\n[a.b]\n", 2, 2, "cannot define [a.b]: 'a' is already an inline table (line 1)");
    expect_error("a = {}\na.b = 1\n", 2, 1, "cannot add keys to 'a': it is an inline table (line 1)");
    expect_error("a = [1]\n[a.b]\n", 2, 2, "cannot define [a.b]: 'a' is already an array (line 1)");
    expect_error("a = 1\n[a]\n", 2, 1, "cannot define [a]: 'a' is already an integer (line 1)");
    expect_error("x = { a = 1, a = 2 }\n", 1, 14, "duplicate key 'a' (first defined on line 1)");
    expect_error("x = { a = {}, a.b = 1 }\n", 1, 15,
                 "cannot add keys to 'a': it is an inline table (line 1)");
}

static void test_syntax_errors(void **state)
{
    (void)state;
    expect_error("= 1\n", 1, 1, "expected a key, found '='");
    expect_error("key\n", 1, 4, "expected '=' after key 'key', found end of line");
    expect_error("key 1\n", 1, 5, "expected '=' after key 'key', found '1'");
    expect_error("a.b c = 1\n", 1, 5, "expected '=' after key 'a.b', found 'c'");
    expect_error("a. = 1\n", 1, 4, "expected a key, found '='");
    expect_error("x = \n", 1, 5, "expected a value, found end of line");
    expect_error("x =", 1, 4, "expected a value, found end of input");
    expect_error("x = 1 2\n", 1, 7, "expected end of line after a value, found '2'");
    expect_error("x = 1 y = 2\n", 1, 7, "expected end of line after a value, found 'y'");
    expect_error("x = tru\n", 1, 5,
                 "expected a value (string, integer, boolean, array or inline table), found 'tru'");
    expect_error("x = [1 2]\n", 1, 8, "expected ',' or ']' in an array, found '2'");
    expect_error("x = [1,,2]\n", 1, 8, "expected a value, found ','");
    expect_error("x = [,]\n", 1, 6, "expected a value, found ','");
    expect_error("x = [1, 2\n", 1, 5, "unterminated array (missing ']')");
    expect_error("x = [1, 2\ny = 3\n", 2, 1,
                 "unterminated array (opened on line 1): found a key = value line before ']'");
    expect_error("x = {a=1,}\n", 1, 10, "trailing comma is not allowed in an inline table");
    expect_error("x = {a=1\n}\n", 1, 9,
                 "an inline table must be on one line; found a newline before '}'");
    expect_error("x = {a=1 # c\n}\n", 1, 10,
                 "an inline table must be on one line; found a comment before '}'");
    expect_error("x = {a=1 b=2}\n", 1, 10, "expected ',' or '}' in an inline table, found 'b'");
    expect_error("x = {a=1", 1, 5, "unterminated inline table (missing '}')");
    expect_error("x = {\n", 1, 6, "expected a key, found end of line");
    expect_error("[]\n", 1, 2, "expected a key, found ']'");
    expect_error("[a\n", 1, 3, "expected ']' to close the header, found end of line");
    expect_error("[[a]\n", 1, 5, "expected ']]' to close the header, found end of line");
    expect_error("[[a] ]\n", 1, 5, "expected ']]' to close the header, found ' '");
    expect_error("[a]]\n", 1, 4, "expected end of line after a table header, found ']'");
    expect_error("[a] b = 1\n", 1, 5, "expected end of line after a table header, found 'b'");
    expect_error("x = @\n", 1, 5, "expected a value, found '@'");
    expect_error("\xC3\xA9 = 1\n", 1, 1, "expected a key, found byte 0xc3");
}

static void test_depth_limits(void **state)
{
    (void)state;
    char buf[256];
    /* Exactly TOML_MAX_DEPTH nested arrays parse; one more does not. */
    for (int extra = 0; extra <= 1; extra++) {
        int d = TOML_MAX_DEPTH + extra;
        size_t n = 0;
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "x = ");
        for (int i = 0; i < d; i++)
            buf[n++] = '[';
        for (int i = 0; i < d; i++)
            buf[n++] = ']';
        buf[n++] = '\n';
        buf[n] = '\0';
        if (!extra)
            parse_ok(buf);
        else
            expect_error(buf, 1, 5 + TOML_MAX_DEPTH,
                         "arrays / inline tables nested deeper than 16 levels");
    }
    /* Dotted keys: TOML_MAX_KEY_PARTS parts are fine, one more is not. */
    size_t n = 0;
    for (int i = 0; i < TOML_MAX_KEY_PARTS; i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%sk", i ? "." : "");
    snprintf(buf + n, sizeof(buf) - n, " = 1\n");
    parse_ok(buf);
    snprintf(buf + n, sizeof(buf) - n, ".k = 1\n");
    expect_error(buf, 1, (uint32_t)n + 2, "key has more than 32 dotted parts");
}

/* Every arena size below the need fails cleanly; the need itself works. */
static void test_arena_exhaustion(void **state)
{
    (void)state;
    static const char text[] =
        "[base]\nid = 1\nname = \"a long enough name\"\n"
        "[kernel]\nmemory_regions = [[0x4000_0000, 0x1000_0000, 0x7, 0]]\n"
        "[[x]]\ny = { z = 'q' }\n";
    static char mem[8192];
    const struct toml_node *root;
    toml_arena_init(&arena, mem + 1, sizeof(mem) - 1); /* misaligned on purpose */
    assert_int_equal(toml_parse(text, sizeof(text) - 1, &arena, &root, &err), 0);
    size_t need = arena.used;
    assert_true(need > 0 && need < sizeof(mem) - 1);
    for (size_t size = 0; size < need; size++) {
        toml_arena_init(&arena, mem + 1, size);
        int rc = toml_parse(text, sizeof(text) - 1, &arena, &root, &err);
        assert_int_equal(rc, -AX_ENOMEM);
        assert_int_equal(arena.used, 0);
        assert_non_null(strstr(err.msg, "out of memory"));
    }
    toml_arena_init(&arena, mem + 1, need);
    assert_int_equal(toml_parse(text, sizeof(text) - 1, &arena, &root, &err), 0);
    assert_int_equal(get_u64(root, "base.id"), 1);
    /* Nodes are aligned even in a misaligned buffer. */
    assert_int_equal((uintptr_t)root % _Alignof(struct toml_node), 0);
    /* A NULL buffer is an empty arena. */
    toml_arena_init(&arena, NULL, 100);
    assert_int_equal(toml_parse("a = 1", 5, &arena, &root, NULL), -AX_ENOMEM);
    /* Two documents in one arena. */
    toml_arena_init(&arena, mem, sizeof(mem));
    const struct toml_node *r1, *r2;
    assert_int_equal(toml_parse("a = 1", 5, &arena, &r1, NULL), 0);
    size_t after_first = arena.used;
    assert_int_equal(toml_parse("a = 2", 5, &arena, &r2, NULL), 0);
    assert_true(arena.used > after_first);
    assert_int_equal(get_u64(r1, "a"), 1);
    assert_int_equal(get_u64(r2, "a"), 2);
    /* A failing second parse leaves the first document intact. */
    assert_int_equal(toml_parse("a = ", 4, &arena, &r2, NULL), -AX_EINVAL);
    assert_int_equal(get_u64(r1, "a"), 1);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    const struct toml_node *root;
    toml_arena_init(&arena, arena_mem, sizeof(arena_mem));
    assert_int_equal(toml_parse("a=1", 3, NULL, &root, &err), -AX_EINVAL);
    assert_int_equal(toml_parse("a=1", 3, &arena, NULL, &err), -AX_EINVAL);
    assert_int_equal(toml_parse(NULL, 3, &arena, &root, &err), -AX_EINVAL);
    assert_string_equal(err.msg, "invalid arguments");
    uint64_t u;
    bool b;
    const char *s;
    int64_t i;
    assert_int_equal(toml_as_u64(NULL, &u), -AX_EINVAL);
    assert_int_equal(toml_as_i64(NULL, &i), -AX_EINVAL);
    assert_int_equal(toml_as_bool(NULL, &b), -AX_EINVAL);
    assert_int_equal(toml_as_str(NULL, &s, NULL), -AX_EINVAL);
    root = parse_ok("s = 'x'\nn = 1\n");
    assert_int_equal(toml_get_u64(root, "s", &u), -AX_EINVAL);
    assert_int_equal(toml_get_bool(root, "n", &b), -AX_EINVAL);
    assert_int_equal(toml_get_str(root, "n", &s, NULL), -AX_EINVAL);
    assert_int_equal(toml_get_str(root, "s", &s, NULL), 0);
    assert_null(toml_get_path(root, NULL));
    assert_null(toml_table_get(root, NULL));
    assert_string_equal(toml_type_name(TOML_INT), "integer");
    assert_string_equal(toml_type_name(99), "?");
}

/* Many entries: positions stay exact and parsing stays fast. */
static void test_large_document(void **state)
{
    (void)state;
    enum { N = 4000 };
    size_t cap = N * 24 + 64, n = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    n += (size_t)snprintf(buf + n, cap - n, "arr = [\n");
    for (int i = 0; i < N; i++)
        n += (size_t)snprintf(buf + n, cap - n, "  0x%x,\n", i);
    n += (size_t)snprintf(buf + n, cap - n, "]\nlast = \"end\"\n");
    const struct toml_node *root;
    assert_int_equal(parse_n(buf, n, &root), 0);
    const struct toml_node *arr = toml_table_get(root, "arr");
    assert_int_equal(toml_len(arr), N);
    assert_int_equal(toml_at(arr, N - 1)->v.bits, N - 1);
    assert_int_equal(toml_at(arr, N - 1)->line, N + 1);
    assert_int_equal(toml_table_get(root, "last")->line, N + 3);
    free(buf);
}

static void test_format(void **state)
{
    (void)state;
    char b[64];
    assert_int_equal(toml_format(b, sizeof(b), "%s|%d|%u|%x|%c|%%", "s", -5, 7u, 255u, 'z'), 13);
    assert_string_equal(b, "s|-5|7|ff|z|%");
    toml_format(b, sizeof(b), "%lld %llu %llx", (long long)INT64_MIN,
                (unsigned long long)UINT64_MAX, 0x1234abcdULL);
    assert_string_equal(b, "-9223372036854775808 18446744073709551615 1234abcd");
    const char *volatile null_str = NULL; /* hidden from -Wformat-overflow */
    toml_format(b, sizeof(b), "%zu %ld %lu %.*s|%s", (size_t)42, -1L, 3UL, 3, "abcdef", null_str);
    assert_string_equal(b, "42 -1 3 abc|(null)");
    toml_format(b, sizeof(b), "%.*s|", 10, "ab");
    assert_string_equal(b, "ab|");
    /* Truncation always terminates and reports what fit. */
    assert_int_equal(toml_format(b, 5, "%s", "abcdefgh"), 4);
    assert_string_equal(b, "abcd");
    assert_int_equal(toml_format(b, 1, "xyz"), 0);
    assert_string_equal(b, "");
    assert_int_equal(toml_format(NULL, 0, "xyz"), 0);
}

static void test_key_repr(void **state)
{
    (void)state;
    char b[80];
    assert_string_equal(toml_key_repr(b, sizeof(b), "plain", 5), "plain");
    assert_string_equal(toml_key_repr(b, sizeof(b), "a\0b\nc", 5), "a?b?c");
    assert_string_equal(toml_key_repr(b, sizeof(b), "caf\xC3\xA9", 5), "caf\xC3\xA9");
    char lng[60];
    memset(lng, 'k', sizeof(lng));
    assert_string_equal(toml_key_repr(b, sizeof(b), lng, sizeof(lng)),
                        "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk...");
    /* A multi-byte character straddling the limit is dropped whole. */
    memset(lng, 'k', 47);
    memcpy(lng + 47, "\xC3\xA9", 2);
    toml_key_repr(b, sizeof(b), lng, 49);
    assert_int_equal(strlen(b), 47 + 3);
    assert_string_equal(b + 47, "...");
    /* Small output buffers truncate safely. */
    assert_string_equal(toml_key_repr(b, 4, "abcdef", 6), "abc");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_and_comments),
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_integer_errors),
        cmocka_unit_test(test_floats_and_dates_rejected),
        cmocka_unit_test(test_booleans),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_multiline_strings),
        cmocka_unit_test(test_string_errors),
        cmocka_unit_test(test_control_chars_and_utf8),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_tables),
        cmocka_unit_test(test_array_of_tables),
        cmocka_unit_test(test_arrays),
        cmocka_unit_test(test_inline_tables),
        cmocka_unit_test(test_structure_errors),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_depth_limits),
        cmocka_unit_test(test_arena_exhaustion),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_large_document),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_key_repr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
