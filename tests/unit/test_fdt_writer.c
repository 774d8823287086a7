/* FDT writer tests: blobs are read back with our parser (and once with
 * dtc), and every error path is checked for its code, its stickiness and
 * for leaving the bytes outside the buffer alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ax/fdt.h"
#include "ax/fdt_writer.h"

#define BUFSZ 4096

static uint8_t buf[BUFSZ];

/* ---- helpers ---- */

static struct fdt open_fdt(const void *blob, size_t len)
{
    struct fdt f;
    assert_int_equal(fdt_init(&f, blob, len), 0);
    return f;
}

static void init_root(struct fdt_writer *w)
{
    assert_int_equal(fdt_w_init(w, buf, sizeof(buf)), 0);
    assert_int_equal(fdt_w_begin_node(w, ""), 0);
}

/* Root plus closing and finish, returning the length. */
static size_t close_finish(struct fdt_writer *w)
{
    size_t len = 0;
    assert_int_equal(fdt_w_end_node(w), 0);
    assert_int_equal(fdt_w_finish(w, &len), 0);
    return len;
}

/* Occurrences of s (with its NUL) starting a string in the strings block. */
static int strings_count(const struct fdt *f, const char *s)
{
    const char *blk = (const char *)f->blob + f->strings_off;
    size_t n = strlen(s) + 1;
    int count = 0;
    for (uint32_t i = 0; i + n <= f->strings_size; i++)
        if ((i == 0 || blk[i - 1] == 0) && memcmp(blk + i, s, n) == 0)
            count++;
    return count;
}

/* A fixed sample tree used by the round-trip and overflow tests. */
static int build_sample(struct fdt_writer *w, void *b, size_t size)
{
    static const uint32_t cells[] = { 1, 2, 0xdeadbeef };
    static const char *const list[] = { "vendor,dev", "generic", "" };
    fdt_w_init(w, b, size);
    fdt_w_reserve(w, 0x48000000, 0x100000);
    fdt_w_reserve(w, 0xfffffffffffff000ULL, 0x1000);
    fdt_w_begin_node(w, "");
    fdt_w_prop_u32(w, "#address-cells", 2);
    fdt_w_prop_u32(w, "#size-cells", 1);
    fdt_w_prop_string(w, "model", "sample");
    fdt_w_begin_node(w, "dev@1000");
    fdt_w_prop_stringlist(w, "compatible", list, 3);
    fdt_w_prop_cells(w, "reg", cells, 3);
    fdt_w_prop_u64(w, "big", 0x0123456789abcdefULL);
    fdt_w_prop_empty(w, "flag");
    fdt_w_prop(w, "odd", "\x01\x02\x03", 3);
    fdt_w_begin_node(w, "child");
    fdt_w_prop_string(w, "compatible", "x");
    fdt_w_end_node(w);
    fdt_w_end_node(w);
    fdt_w_begin_node(w, "other");
    fdt_w_prop_u32(w, "phandle", 7);
    fdt_w_prop_u32(w, "linux,phandle", 7);
    fdt_w_end_node(w);
    fdt_w_end_node(w);
    size_t len = 0;
    int r = fdt_w_finish(w, &len);
    return r < 0 ? r : (int)len;
}

/* ---- round trip ---- */

static void test_sample_roundtrip(void **state)
{
    (void)state;
    struct fdt_writer w;
    int len = build_sample(&w, buf, sizeof(buf));
    assert_true(len > 0);
    struct fdt f = open_fdt(buf, (size_t)len);

    assert_int_equal(fdt_be32(buf), FDT_MAGIC);
    assert_int_equal(fdt_be32(buf + 4), len);
    assert_int_equal(fdt_be32(buf + 20), 17);
    assert_int_equal(fdt_be32(buf + 24), 16);
    assert_int_equal(fdt_be32(buf + 16), 40); /* memreserve right after header */
    assert_int_equal(f.struct_off % 4, 0);

    assert_int_equal(fdt_memrsv_count(&f), 2);
    struct fdt_reg e;
    assert_int_equal(fdt_memrsv_get(&f, 0, &e), 0);
    assert_true(e.addr == 0x48000000 && e.size == 0x100000);
    assert_int_equal(fdt_memrsv_get(&f, 1, &e), 0);
    assert_true(e.addr == 0xfffffffffffff000ULL && e.size == 0x1000);

    int root = fdt_first_node(&f, NULL);
    const char *s;
    assert_int_equal(fdt_get_string(&f, root, "model", &s, NULL), 0);
    assert_string_equal(s, "sample");
    assert_int_equal(fdt_address_cells(&f, root), 2);
    assert_int_equal(fdt_size_cells(&f, root), 1);

    int dev = fdt_path_offset(&f, "/dev@1000");
    assert_true(dev >= 0);
    struct fdt_prop p;
    assert_int_equal(fdt_get_prop(&f, dev, "compatible", &p), 0);
    assert_int_equal(fdt_stringlist_count(&p), 3);
    assert_int_equal(p.len, sizeof("vendor,dev") + sizeof("generic") + 1);
    assert_int_equal(fdt_node_is_compatible(&f, dev, "generic"), 1);
    struct fdt_reg reg;
    assert_int_equal(fdt_get_reg(&f, dev, 0, &reg), 0);
    assert_true(reg.addr == 0x100000002ULL && reg.size == 0xdeadbeef);
    uint64_t v;
    assert_int_equal(fdt_get_u64(&f, dev, "big", &v), 0);
    assert_true(v == 0x0123456789abcdefULL);
    assert_int_equal(fdt_get_prop(&f, dev, "flag", &p), 0);
    assert_int_equal(p.len, 0);
    assert_int_equal(fdt_get_prop(&f, dev, "odd", &p), 0);
    assert_int_equal(p.len, 3);
    assert_memory_equal(p.data, "\x01\x02\x03", 3);
    /* Padding after the 3-byte property keeps the next token aligned. */
    int child = fdt_path_offset(&f, "/dev@1000/child");
    assert_true(child >= 0);
    assert_int_equal(fdt_node_is_compatible(&f, child, "x"), 1);
    assert_int_equal(fdt_parent(&f, child), dev);

    int other = fdt_path_offset(&f, "/other");
    assert_int_equal(fdt_get_phandle(&f, other), 7);
    assert_int_equal(fdt_node_by_phandle(&f, 7), other);
    uint32_t u;
    assert_int_equal(fdt_get_u32(&f, other, "linux,phandle", &u), 0);
    assert_int_equal(u, 7);
    assert_int_equal(fdt_get_u32(&f, other, "phandle", &u), 0);
    assert_int_equal(u, 7);
}

static void test_strings_deduplicated(void **state)
{
    (void)state;
    struct fdt_writer w;
    init_root(&w);
    for (int i = 0; i < 10; i++) {
        char name[16];
        snprintf(name, sizeof(name), "n%d", i);
        assert_int_equal(fdt_w_begin_node(&w, name), 0);
        assert_int_equal(fdt_w_prop_string(&w, "compatible", "c"), 0);
        assert_int_equal(fdt_w_prop_u32(&w, "reg", (uint32_t)i), 0);
        assert_int_equal(fdt_w_end_node(&w), 0);
    }
    size_t len = close_finish(&w);
    struct fdt f = open_fdt(buf, len);
    assert_int_equal(strings_count(&f, "compatible"), 1);
    assert_int_equal(strings_count(&f, "reg"), 1);
    assert_int_equal(f.strings_size, sizeof("compatible") + sizeof("reg"));
    for (int i = 0; i < 10; i++) {
        char path[16];
        snprintf(path, sizeof(path), "/n%d", i);
        int n = fdt_path_offset(&f, path);
        uint32_t u;
        assert_int_equal(fdt_get_u32(&f, n, "reg", &u), 0);
        assert_int_equal(u, (uint32_t)i);
        assert_int_equal(fdt_node_is_compatible(&f, n, "c"), 1);
    }
}

/* A name that is the tail of an earlier one shares its bytes. */
static void test_strings_suffix_shared(void **state)
{
    (void)state;
    struct fdt_writer w;
    init_root(&w);
    assert_int_equal(fdt_w_prop_u32(&w, "linux,phandle", 1), 0);
    assert_int_equal(fdt_w_prop_u32(&w, "phandle", 2), 0);
    assert_int_equal(fdt_w_prop_u32(&w, "cells", 3), 0);
    assert_int_equal(fdt_w_prop_u32(&w, "#size-cells", 4), 0);
    size_t len = close_finish(&w);
    struct fdt f = open_fdt(buf, len);
    assert_int_equal(f.strings_size, sizeof("linux,phandle") + sizeof("cells") +
                                         sizeof("#size-cells"));
    int root = fdt_first_node(&f, NULL);
    struct fdt_prop p;
    const char *names[] = { "linux,phandle", "phandle", "cells", "#size-cells" };
    int i = 0;
    for (int r = fdt_first_prop(&f, root, &p); r == 0; r = fdt_next_prop(&f, &p), i++) {
        assert_true(i < 4);
        assert_string_equal(p.name, names[i]);
        assert_int_equal(fdt_be32(p.data), (uint32_t)i + 1);
    }
    assert_int_equal(i, 4);
}

static void test_unaligned_buffer(void **state)
{
    (void)state;
    static uint8_t raw[BUFSZ + 8];
    struct fdt_writer w;
    int len = build_sample(&w, raw + 3, BUFSZ);
    assert_true(len > 0);
    struct fdt f = open_fdt(raw + 3, (size_t)len);
    int dev = fdt_path_offset(&f, "/dev@1000");
    uint64_t v;
    assert_int_equal(fdt_get_u64(&f, dev, "big", &v), 0);
    assert_true(v == 0x0123456789abcdefULL);
    /* Same bytes as the aligned build. */
    int len2 = build_sample(&w, buf, sizeof(buf));
    assert_int_equal(len, len2);
    assert_memory_equal(raw + 3, buf, (size_t)len);
}

static void test_empty_tree_min_size(void **state)
{
    (void)state;
    uint8_t *b = malloc(72); /* ASan catches any write past it */
    assert_non_null(b);
    struct fdt_writer w;
    assert_int_equal(fdt_w_init(&w, b, 72), 0);
    assert_int_equal(fdt_w_begin_node(&w, ""), 0);
    size_t len = 0;
    assert_int_equal(fdt_w_end_node(&w), 0);
    assert_int_equal(fdt_w_finish(&w, &len), 0);
    assert_int_equal(len, 72);
    struct fdt f = open_fdt(b, len);
    assert_int_equal(f.strings_size, 0);
    assert_int_equal(fdt_memrsv_count(&f), 0);
    int depth;
    int root = fdt_first_node(&f, &depth);
    assert_true(root >= 0);
    assert_int_equal(fdt_next_node(&f, root, &depth), -AX_ENOENT);
    free(b);

    assert_int_equal(fdt_w_init(&w, buf, 71), -AX_ENOSPC);
    assert_int_equal(fdt_w_begin_node(&w, ""), -AX_ENOSPC);
    assert_int_equal(fdt_w_init(&w, buf, 0), -AX_ENOSPC);
}

static void test_stringlist_and_cells_edge(void **state)
{
    (void)state;
    struct fdt_writer w;
    init_root(&w);
    assert_int_equal(fdt_w_prop_stringlist(&w, "none", NULL, 0), 0);
    assert_int_equal(fdt_w_prop_cells(&w, "nocells", NULL, 0), 0);
    assert_int_equal(fdt_w_prop(&w, "nodata", NULL, 0), 0);
    assert_int_equal(fdt_w_prop_string(&w, "emptystr", ""), 0);
    size_t len = close_finish(&w);
    struct fdt f = open_fdt(buf, len);
    int root = fdt_first_node(&f, NULL);
    struct fdt_prop p;
    assert_int_equal(fdt_get_prop(&f, root, "none", &p), 0);
    assert_int_equal(p.len, 0);
    assert_int_equal(fdt_get_prop(&f, root, "nocells", &p), 0);
    assert_int_equal(p.len, 0);
    assert_int_equal(fdt_get_prop(&f, root, "nodata", &p), 0);
    assert_int_equal(p.len, 0);
    const char *s;
    size_t sl;
    assert_int_equal(fdt_get_string(&f, root, "emptystr", &s, &sl), 0);
    assert_int_equal(sl, 0);
}

/* Nesting down to the parser's limit works, one more level is refused. */
static void test_depth_limit(void **state)
{
    (void)state;
    struct fdt_writer w;
    init_root(&w);
    for (int i = 1; i < FDT_MAX_DEPTH; i++)
        assert_int_equal(fdt_w_begin_node(&w, "n"), 0);
    for (int i = 1; i < FDT_MAX_DEPTH; i++)
        assert_int_equal(fdt_w_end_node(&w), 0);
    size_t len = close_finish(&w);
    struct fdt f = open_fdt(buf, len);
    int depth = 0, n = fdt_first_node(&f, &depth), max = 0;
    for (; n >= 0; n = fdt_next_node(&f, n, &depth))
        max = depth > max ? depth : max;
    assert_int_equal(max, FDT_MAX_DEPTH - 1);

    init_root(&w);
    for (int i = 1; i < FDT_MAX_DEPTH; i++)
        assert_int_equal(fdt_w_begin_node(&w, "n"), 0);
    assert_int_equal(fdt_w_begin_node(&w, "n"), -AX_ERANGE);
    assert_int_equal(fdt_w_end_node(&w), -AX_ERANGE); /* sticky */
}

static void test_name_rules(void **state)
{
    (void)state;
    char longname[FDT_W_MAX_NAME + 2];
    memset(longname, 'a', sizeof(longname));
    longname[FDT_W_MAX_NAME] = 0;
    const char *good[] = { "a", "memory@40000000", "virtio_mmio@a000000", "#size-cells",
                           "linux,initrd-start", "a+b.c?d*", longname };
    for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
        struct fdt_writer w;
        init_root(&w);
        assert_int_equal(fdt_w_prop_empty(&w, good[i]), 0);
        assert_int_equal(fdt_w_begin_node(&w, good[i]), 0);
        assert_int_equal(fdt_w_end_node(&w), 0);
        size_t len = close_finish(&w);
        struct fdt f = open_fdt(buf, len);
        int root = fdt_first_node(&f, NULL);
        struct fdt_prop p;
        assert_int_equal(fdt_get_prop(&f, root, good[i], &p), 0);
        size_t nl;
        const char *nn = fdt_node_name(&f, fdt_first_child(&f, root), &nl);
        assert_non_null(nn);
        assert_string_equal(nn, good[i]);
    }

    longname[FDT_W_MAX_NAME] = 'a';
    longname[FDT_W_MAX_NAME + 1] = 0;
    const char *bad[] = { "", "a/b", "/", "a b", "tab\there", "\x7f", "caf\xc3\xa9", longname };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        struct fdt_writer w;
        init_root(&w);
        assert_int_equal(fdt_w_begin_node(&w, bad[i]), -AX_EINVAL);
        init_root(&w);
        assert_int_equal(fdt_w_prop_u32(&w, bad[i], 1), -AX_EINVAL);
    }
}

/* ---- error paths ---- */

/* Every later call returns the first error and writes nothing. */
static void assert_sticky(struct fdt_writer *w, int err)
{
    uint8_t before[BUFSZ];
    memcpy(before, buf, sizeof(buf));
    static const uint32_t one = 1;
    static const char *const l[] = { "a" };
    size_t len = 12345;
    assert_int_equal(fdt_w_reserve(w, 0x1000, 0x1000), err);
    assert_int_equal(fdt_w_begin_node(w, "x"), err);
    assert_int_equal(fdt_w_prop(w, "p", "d", 1), err);
    assert_int_equal(fdt_w_prop_empty(w, "p"), err);
    assert_int_equal(fdt_w_prop_u32(w, "p", 1), err);
    assert_int_equal(fdt_w_prop_u64(w, "p", 1), err);
    assert_int_equal(fdt_w_prop_cells(w, "p", &one, 1), err);
    assert_int_equal(fdt_w_prop_string(w, "p", "s"), err);
    assert_int_equal(fdt_w_prop_stringlist(w, "p", l, 1), err);
    assert_int_equal(fdt_w_end_node(w), err);
    assert_int_equal(fdt_w_finish(w, &len), err);
    assert_int_equal(len, 12345);
    assert_memory_equal(before, buf, sizeof(buf));
}

static void test_err_end_without_begin(void **state)
{
    (void)state;
    struct fdt_writer w;
    assert_int_equal(fdt_w_init(&w, buf, sizeof(buf)), 0);
    assert_int_equal(fdt_w_end_node(&w), -AX_EINVAL);
    assert_sticky(&w, -AX_EINVAL);

    init_root(&w);
    assert_int_equal(fdt_w_end_node(&w), 0);
    assert_int_equal(fdt_w_end_node(&w), -AX_EINVAL);
    assert_sticky(&w, -AX_EINVAL);
}

static void test_err_finish_open_nodes(void **state)
{
    (void)state;
    struct fdt_writer w;
    assert_int_equal(fdt_w_init(&w, buf, sizeof(buf)), 0);
    assert_int_equal(fdt_w_finish(&w, NULL), -AX_EINVAL); /* no root at all */
    assert_sticky(&w, -AX_EINVAL);

    init_root(&w);
    assert_int_equal(fdt_w_finish(&w, NULL), -AX_EINVAL);
    assert_sticky(&w, -AX_EINVAL);

    init_root(&w);
    assert_int_equal(fdt_w_begin_node(&w, "a"), 0);
    assert_int_equal(fdt_w_end_node(&w), 0);
    assert_int_equal(fdt_w_begin_node(&w, "b"), 0);
    assert_int_equal(fdt_w_end_node(&w), 0);
    assert_int_equal(fdt_w_finish(&w, NULL), -AX_EINVAL);
    /* The header is never written for an unfinished blob. */
    assert_int_not_equal(fdt_check(buf, sizeof(buf)), 0);
}

static void test_err_root_rules(void **state)
{
    (void)state;
    struct fdt_writer w;
    assert_int_equal(fdt_w_init(&w, buf, sizeof(buf)), 0);
    assert_int_equal(fdt_w_begin_node(&w, "notroot"), -AX_EINVAL);
    assert_sticky(&w, -AX_EINVAL);

    /* A second root after the first was closed. */
    init_root(&w);
    assert_int_equal(fdt_w_end_node(&w), 0);
    assert_int_equal(fdt_w_begin_node(&w, ""), -AX_EINVAL);
    init_root(&w);
    assert_int_equal(fdt_w_end_node(&w), 0);
    assert_int_equal(fdt_w_begin_node(&w, "x"), -AX_EINVAL);

    /* NULL name */
    init_root(&w);
    assert_int_equal(fdt_w_begin_node(&w, NULL), -AX_EINVAL);
    assert_sticky(&w, -AX_EINVAL);
}

static void test_err_prop_placement(void **state)
{
    (void)state;
    struct fdt_writer w;
    /* before the root */
    assert_int_equal(fdt_w_init(&w, buf, sizeof(buf)), 0);
    assert_int_equal(fdt_w_prop_u32(&w, "p", 1), -AX_EINVAL);
    assert_sticky(&w, -AX_EINVAL);
    /* after the root closed */
    init_root(&w);
    assert_int_equal(fdt_w_end_node(&w), 0);
    assert_int_equal(fdt_w_prop_empty(&w, "p"), -AX_EINVAL);
    /* after a child node */
    init_root(&w);
    assert_int_equal(fdt_w_begin_node(&w, "c"), 0);
    assert_int_equal(fdt_w_prop_u32(&w, "inner", 1), 0);
    assert_int_equal(fdt_w_end_node(&w), 0);
    assert_int_equal(fdt_w_prop_u32(&w, "late", 1), -AX_EINVAL);
    assert_sticky(&w, -AX_EINVAL);
}

static void test_err_duplicate_prop(void **state)
{
    (void)state;
    struct fdt_writer w;
    init_root(&w);
    assert_int_equal(fdt_w_prop_u32(&w, "reg", 1), 0);
    assert_int_equal(fdt_w_prop_u32(&w, "other", 1), 0);
    assert_int_equal(fdt_w_begin_node(&w, "c"), 0);
    assert_int_equal(fdt_w_prop_u32(&w, "reg", 1), 0); /* same name, other node: fine */
    assert_int_equal(fdt_w_prop_string(&w, "reg", "x"), -AX_EEXIST);
    assert_sticky(&w, -AX_EEXIST);

    /* A name that is only a suffix of an existing one is not a duplicate. */
    init_root(&w);
    assert_int_equal(fdt_w_prop_u32(&w, "linux,phandle", 1), 0);
    assert_int_equal(fdt_w_prop_u32(&w, "phandle", 1), 0);
    assert_int_equal(fdt_w_prop_u32(&w, "linux,phandle", 1), -AX_EEXIST);
}

static void test_err_bad_args(void **state)
{
    (void)state;
    struct fdt_writer w;
    static const char *const with_null[] = { "a", NULL };

    init_root(&w);
    assert_int_equal(fdt_w_prop(&w, "p", NULL, 4), -AX_EINVAL);
    assert_sticky(&w, -AX_EINVAL);
    init_root(&w);
    assert_int_equal(fdt_w_prop_cells(&w, "p", NULL, 2), -AX_EINVAL);
    assert_sticky(&w, -AX_EINVAL);
    init_root(&w);
    assert_int_equal(fdt_w_prop_stringlist(&w, "p", with_null, 2), -AX_EINVAL);
    assert_sticky(&w, -AX_EINVAL);
    init_root(&w);
    assert_int_equal(fdt_w_prop_stringlist(&w, "p", NULL, 1), -AX_EINVAL);
    init_root(&w);
    assert_int_equal(fdt_w_prop_string(&w, "p", NULL), -AX_EINVAL);
    init_root(&w);
    assert_int_equal(fdt_w_prop_u32(&w, NULL, 1), -AX_EINVAL);

    /* Lengths that can never fit. */
    init_root(&w);
    assert_int_equal(fdt_w_prop(&w, "p", buf, SIZE_MAX), -AX_ENOSPC);
    assert_sticky(&w, -AX_ENOSPC);
    init_root(&w);
    assert_int_equal(fdt_w_prop_cells(&w, "p", (const uint32_t *)buf, SIZE_MAX / 2), -AX_ENOSPC);
    init_root(&w);
    assert_int_equal(fdt_w_prop(&w, "p", buf, sizeof(buf)), -AX_ENOSPC);

    /* NULL writer or buffer */
    assert_int_equal(fdt_w_init(NULL, buf, sizeof(buf)), -AX_EINVAL);
    assert_int_equal(fdt_w_init(&w, NULL, sizeof(buf)), -AX_EINVAL);
    assert_int_equal(fdt_w_begin_node(&w, ""), -AX_EINVAL);
    assert_int_equal(fdt_w_reserve(NULL, 1, 1), -AX_EINVAL);
    assert_int_equal(fdt_w_begin_node(NULL, ""), -AX_EINVAL);
    assert_int_equal(fdt_w_end_node(NULL), -AX_EINVAL);
    assert_int_equal(fdt_w_prop(NULL, "p", NULL, 0), -AX_EINVAL);
    assert_int_equal(fdt_w_prop(NULL, "p", NULL, 1), -AX_EINVAL);
    assert_int_equal(fdt_w_prop_u32(NULL, "p", 1), -AX_EINVAL);
    assert_int_equal(fdt_w_prop_u64(NULL, "p", 1), -AX_EINVAL);
    assert_int_equal(fdt_w_prop_cells(NULL, "p", NULL, 1), -AX_EINVAL);
    assert_int_equal(fdt_w_prop_string(NULL, "p", "s"), -AX_EINVAL);
    assert_int_equal(fdt_w_prop_stringlist(NULL, "p", NULL, 1), -AX_EINVAL);
    assert_int_equal(fdt_w_prop_empty(NULL, "p"), -AX_EINVAL);
    assert_int_equal(fdt_w_finish(NULL, NULL), -AX_EINVAL);
}

static void test_err_reserve(void **state)
{
    (void)state;
    struct fdt_writer w;
    assert_int_equal(fdt_w_init(&w, buf, sizeof(buf)), 0);
    assert_int_equal(fdt_w_reserve(&w, 0x1000, 0), -AX_EINVAL);
    assert_sticky(&w, -AX_EINVAL);

    assert_int_equal(fdt_w_init(&w, buf, sizeof(buf)), 0);
    assert_int_equal(fdt_w_reserve(&w, 0xfffffffffffff000ULL, 0x1001), -AX_ERANGE);
    assert_sticky(&w, -AX_ERANGE);

    /* up to the very top is fine, as is address 0 */
    assert_int_equal(fdt_w_init(&w, buf, sizeof(buf)), 0);
    assert_int_equal(fdt_w_reserve(&w, 0, 0x1000), 0);
    assert_int_equal(fdt_w_reserve(&w, 1, UINT64_MAX), 0);
    assert_int_equal(fdt_w_begin_node(&w, ""), 0);
    assert_int_equal(fdt_w_reserve(&w, 0x2000, 0x1000), -AX_EINVAL); /* after root */

    assert_int_equal(fdt_w_init(&w, buf, sizeof(buf)), 0);
    assert_int_equal(fdt_w_reserve(&w, 0, 0x1000), 0);
    assert_int_equal(fdt_w_reserve(&w, 1, UINT64_MAX), 0);
    assert_int_equal(fdt_w_begin_node(&w, ""), 0);
    size_t len = close_finish(&w);
    struct fdt f = open_fdt(buf, len);
    struct fdt_reg e;
    assert_int_equal(fdt_memrsv_count(&f), 2);
    assert_int_equal(fdt_memrsv_get(&f, 1, &e), 0);
    assert_true(e.addr == 1 && e.size == UINT64_MAX);

    /* Entries stop while the terminator still fits. */
    assert_int_equal(fdt_w_init(&w, buf, 72), 0);
    assert_int_equal(fdt_w_reserve(&w, 0x1000, 0x1000), 0);
    assert_int_equal(fdt_w_reserve(&w, 0x2000, 0x1000), -AX_ENOSPC);
}

static void test_err_after_finish(void **state)
{
    (void)state;
    struct fdt_writer w;
    int len = build_sample(&w, buf, sizeof(buf));
    assert_true(len > 0);
    assert_int_equal(fdt_w_finish(&w, NULL), -AX_EINVAL);
    assert_sticky(&w, -AX_EINVAL);
    /* The finished blob itself is untouched. */
    open_fdt(buf, (size_t)len);
}

/* Every buffer size short of the blob fails with -AX_ENOSPC and writes
 * nothing outside the buffer; the exact size succeeds with the same bytes. */
static void test_every_short_size(void **state)
{
    (void)state;
    struct fdt_writer w;
    int full = build_sample(&w, buf, sizeof(buf));
    assert_true(full > 0);
    static uint8_t ref[BUFSZ];
    memcpy(ref, buf, (size_t)full);

    static uint8_t area[BUFSZ + 64];
    for (int size = 0; size <= full; size++) {
        memset(area, 0xa5, sizeof(area));
        int r = build_sample(&w, area + 32, (size_t)size);
        for (int i = 0; i < 32; i++)
            assert_int_equal(area[i], 0xa5);
        for (size_t i = 32 + (size_t)size; i < sizeof(area); i++)
            assert_int_equal(area[i], 0xa5);
        if (size < full) {
            assert_int_equal(r, -AX_ENOSPC);
        } else {
            assert_int_equal(r, full);
            assert_memory_equal(area + 32, ref, (size_t)full);
        }
        /* Exact-size heap buffer: ASan reports any stray byte. */
        uint8_t *h = malloc(size ? (size_t)size : 1);
        assert_non_null(h);
        r = build_sample(&w, h, (size_t)size);
        assert_int_equal(r, size < full ? -AX_ENOSPC : full);
        free(h);
    }
}

/* dtc, the reference implementation, reads our output back. */
static void test_dtc_reads_it(void **state)
{
    (void)state;
    struct fdt_writer w;
    int len = build_sample(&w, buf, sizeof(buf));
    assert_true(len > 0);
    char dtb[] = "/tmp/ax-fdtw-XXXXXX";
    int fd = mkstemp(dtb);
    assert_true(fd >= 0);
    FILE *fp = fdopen(fd, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(buf, 1, (size_t)len, fp), (size_t)len);
    fclose(fp);

    char cmd[256], dts[64], err[64];
    snprintf(dts, sizeof(dts), "%s.dts", dtb);
    snprintf(err, sizeof(err), "%s.err", dtb);
    snprintf(cmd, sizeof(cmd), "dtc -I dtb -O dts -o %s %s 2>%s", dts, dtb, err);
    int rc = system(cmd);
    static char out[8192];
    FILE *e = fopen(err, "r");
    assert_non_null(e);
    size_t n = fread(out, 1, sizeof(out) - 1, e);
    out[n] = 0;
    fclose(e);
    if (rc != 0 || strstr(out, "ERROR")) {
        remove(dtb);
        remove(err);
        fail_msg("dtc failed (%d): %s", rc, out);
    }

    FILE *d = fopen(dts, "r");
    assert_non_null(d);
    n = fread(out, 1, sizeof(out) - 1, d);
    out[n] = 0;
    fclose(d);
    remove(dtb);
    remove(dts);
    remove(err);
    assert_non_null(strstr(out, "/memreserve/\t0x0000000048000000 0x0000000000100000;"));
    assert_non_null(strstr(out, "compatible = \"vendor,dev\\0generic\\0\";"));
    assert_non_null(strstr(out, "reg = <0x01 0x02 0xdeadbeef>;"));
    assert_non_null(strstr(out, "big = <0x1234567 0x89abcdef>;"));
    assert_non_null(strstr(out, "odd = [01 02 03];"));
    assert_non_null(strstr(out, "flag;"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sample_roundtrip),
        cmocka_unit_test(test_strings_deduplicated),
        cmocka_unit_test(test_strings_suffix_shared),
        cmocka_unit_test(test_unaligned_buffer),
        cmocka_unit_test(test_empty_tree_min_size),
        cmocka_unit_test(test_stringlist_and_cells_edge),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_name_rules),
        cmocka_unit_test(test_err_end_without_begin),
        cmocka_unit_test(test_err_finish_open_nodes),
        cmocka_unit_test(test_err_root_rules),
        cmocka_unit_test(test_err_prop_placement),
        cmocka_unit_test(test_err_duplicate_prop),
        cmocka_unit_test(test_err_bad_args),
        cmocka_unit_test(test_err_reserve),
        cmocka_unit_test(test_err_after_finish),
        cmocka_unit_test(test_every_short_size),
        cmocka_unit_test(test_dtc_reads_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
