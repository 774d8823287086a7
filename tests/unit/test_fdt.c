/* FDT parser tests.
 *
 * Real inputs: the DTBs QEMU 7.2 dumps for the virt machines we boot on
 * (expected values checked by hand with `dtc -I dtb -O dts`) and dtc-built
 * edge-case fixtures (tests/unit/fixtures/fdt-*.dts). Malformed inputs are
 * crafted here, either by patching a real blob or with the small builder
 * below, which writes tokens verbatim so it can also write invalid ones.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ax/fdt.h"

#define FIX "build/host/fixtures/"
#define QEMU_V3 FIX "fdt-qemu-virt-aarch64-gicv3.dtb"
#define QEMU_V2 FIX "fdt-qemu-virt-aarch64-gicv2.dtb"
#define QEMU_RV FIX "fdt-qemu-virt-riscv64.dtb"
#define DTS_RV FIX "fdt-riscv-cells1.dtb"
#define DTS_V2 FIX "fdt-arm-gicv2-misc.dtb"
#define DTS_V3 FIX "fdt-arm-gicv3-multi.dtb"
#define DTS_OVF FIX "fdt-overflow.dtb"

static const char *const all_fixtures[] = { QEMU_V3, QEMU_V2, QEMU_RV, DTS_RV,
                                            DTS_V2,  DTS_V3,  DTS_OVF };

/* ---- helpers ---- */

static uint8_t *load(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s (built by tests/unit/fdt.mk)", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    assert_true(n > 0);
    uint8_t *buf = malloc((size_t)n);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* The blob trimmed to its header's totalsize (QEMU pads dumps to 1 MiB). */
static uint8_t *load_exact(const char *path, size_t *len)
{
    uint8_t *b = load(path, len);
    assert_true(*len >= 40);
    uint32_t total = fdt_be32(b + 4);
    assert_true(total <= *len);
    *len = total;
    return b;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static struct fdt open_fdt(const uint8_t *blob, size_t len)
{
    struct fdt f;
    assert_int_equal(fdt_init(&f, blob, len), 0);
    return f;
}

static int path(const struct fdt *f, const char *p)
{
    return fdt_path_offset(f, p);
}

static const char *name_of(const struct fdt *f, int node)
{
    static char buf[128];
    size_t len;
    const char *n = fdt_node_name(f, node, &len);
    assert_non_null(n);
    assert_true(len < sizeof(buf));
    memcpy(buf, n, len);
    buf[len] = 0;
    return buf;
}

/* ---- blob builder ---- */

struct fb {
    uint8_t st[8192];
    uint32_t st_len;
    char str[512];
    uint32_t str_len;
};

static void fb_word(struct fb *b, uint32_t v)
{
    assert_true(b->st_len + 4 <= sizeof(b->st));
    put32(b->st + b->st_len, v);
    b->st_len += 4;
}

static void fb_bytes(struct fb *b, const void *p, uint32_t n)
{
    assert_true(b->st_len + n + 3 <= sizeof(b->st));
    memcpy(b->st + b->st_len, p, n);
    b->st_len += n;
    while (b->st_len % 4)
        b->st[b->st_len++] = 0;
}

static void fb_begin(struct fb *b, const char *name)
{
    fb_word(b, 1);
    fb_bytes(b, name, (uint32_t)strlen(name) + 1);
}

static void fb_end(struct fb *b)
{
    fb_word(b, 2);
}

static uint32_t fb_string(struct fb *b, const char *s)
{
    uint32_t n = (uint32_t)strlen(s) + 1;
    for (uint32_t off = 0; off < b->str_len; off += (uint32_t)strlen(b->str + off) + 1)
        if (strcmp(b->str + off, s) == 0)
            return off;
    assert_true(b->str_len + n <= sizeof(b->str));
    memcpy(b->str + b->str_len, s, n);
    b->str_len += n;
    return b->str_len - n;
}

static void fb_prop(struct fb *b, const char *name, const void *data, uint32_t len)
{
    fb_word(b, 3);
    fb_word(b, len);
    fb_word(b, fb_string(b, name));
    fb_bytes(b, data, len);
}

static void fb_prop_str(struct fb *b, const char *name, const char *s)
{
    fb_prop(b, name, s, (uint32_t)strlen(s) + 1);
}

static void fb_prop_cells(struct fb *b, const char *name, const uint32_t *cells, uint32_t n)
{
    uint8_t buf[256];
    assert_true(n * 4 <= sizeof(buf));
    for (uint32_t i = 0; i < n; i++)
        put32(buf + 4 * i, cells[i]);
    fb_prop(b, name, buf, n * 4);
}

static void fb_prop_u32(struct fb *b, const char *name, uint32_t v)
{
    fb_prop_cells(b, name, &v, 1);
}

/* Header (40 bytes), an empty /memreserve/ list, structure, strings. */
static uint8_t *fb_finish(const struct fb *b, size_t *len)
{
    uint32_t off_rsv = 40, off_st = off_rsv + 16, off_str = off_st + b->st_len;
    uint32_t total = off_str + b->str_len;
    uint8_t *out = calloc(1, total);
    assert_non_null(out);
    put32(out, FDT_MAGIC);
    put32(out + 4, total);
    put32(out + 8, off_st);
    put32(out + 12, off_str);
    put32(out + 16, off_rsv);
    put32(out + 20, 17);
    put32(out + 24, 16);
    put32(out + 32, b->str_len);
    put32(out + 36, b->st_len);
    memcpy(out + off_st, b->st, b->st_len);
    memcpy(out + off_str, b->str, b->str_len);
    *len = total;
    return out;
}

/* A minimal valid tree; the callback adds to the root before it closes. */
static uint8_t *build(void (*body)(struct fb *), size_t *len)
{
    static struct fb b;
    memset(&b, 0, sizeof(b));
    fb_begin(&b, "");
    fb_prop_u32(&b, "#address-cells", 2);
    fb_prop_u32(&b, "#size-cells", 1);
    if (body)
        body(&b);
    fb_end(&b);
    fb_word(&b, 9);
    return fb_finish(&b, len);
}

static int check_built(void (*body)(struct fb *))
{
    size_t len;
    uint8_t *blob = build(body, &len);
    int r = fdt_check(blob, len);
    struct fdt_platform p;
    int rp = fdt_parse_platform(blob, len, &p);
    if (r < 0)
        assert_int_equal(rp, r); /* the platform parser validates first */
    free(blob);
    return r;
}

static int platform_built(void (*body)(struct fb *), struct fdt_platform *p)
{
    size_t len;
    uint8_t *blob = build(body, &len);
    int r = fdt_parse_platform(blob, len, p);
    free(blob);
    return r;
}

/* ---- header validation ---- */

static void test_check_all_fixtures(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(all_fixtures) / sizeof(all_fixtures[0]); i++) {
        size_t len, exact;
        uint8_t *b = load(all_fixtures[i], &len);
        exact = fdt_be32(b + 4);
        assert_int_equal(fdt_check(b, len), 0);
        assert_int_equal(fdt_check(b, exact), 0);
        assert_int_equal(fdt_check(b, exact - 1), -AX_EINVAL);
        free(b);
    }
}

static void test_header_errors(void **state)
{
    (void)state;
    size_t len;
    uint8_t *orig = load_exact(DTS_V3, &len);
    uint8_t *b = malloc(len);
    assert_non_null(b);
    struct {
        uint32_t off, val;
    } cases[] = {
        { 0, 0xd00dfeee },          /* magic */
        { 4, (uint32_t)len + 1 },   /* totalsize beyond maxlen */
        { 4, 39 },                  /* totalsize smaller than a header */
        { 8, 0x3a },                /* struct offset misaligned */
        { 8, (uint32_t)len + 4 },   /* struct offset past the end */
        { 8, 16 },                  /* struct block overlapping the header */
        { 12, (uint32_t)len + 1 },  /* strings offset past the end */
        { 16, 0x2c },               /* memreserve misaligned */
        { 16, (uint32_t)len + 8 },  /* memreserve past the end */
        { 20, 15 },                 /* version too old */
        { 24, 18 },                 /* needs a newer parser */
        { 32, (uint32_t)len },      /* strings size past the end */
        { 32, 0xffffffff },         /* strings size overflowing */
        { 36, (uint32_t)len },      /* struct size past the end */
        { 36, 0xfffffffc },         /* struct size overflowing */
        { 36, 8 },                  /* struct block cut short */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memcpy(b, orig, len);
        put32(b + cases[i].off, cases[i].val);
        assert_int_equal(fdt_check(b, len), -AX_EINVAL);
        struct fdt_platform p;
        assert_true(fdt_parse_platform(b, len, &p) < 0);
    }
    assert_int_equal(fdt_check(NULL, 100), -AX_EINVAL);
    assert_int_equal(fdt_check(orig, 39), -AX_EINVAL);

    /* Version 16 has no size_dt_struct: the walk must end at FDT_END. */
    memcpy(b, orig, len);
    put32(b + 20, 16);
    put32(b + 36, 0xdeadbeef);
    assert_int_equal(fdt_check(b, len), 0);
    free(b);
    free(orig);
}

/* Every truncation of a real blob, whether the header still claims the
 * full size (caught by maxlen) or is patched to the cut size. */
static void test_truncated(void **state)
{
    (void)state;
    size_t len;
    uint8_t *orig = load_exact(DTS_RV, &len);
    for (size_t cut = 0; cut < len; cut++) {
        uint8_t *b = malloc(cut ? cut : 1);
        memcpy(b, orig, cut);
        assert_int_equal(fdt_check(b, cut), -AX_EINVAL);
        if (cut >= 40) {
            put32(b + 4, (uint32_t)cut);
            struct fdt_platform p;
            assert_true(fdt_check(b, cut) < 0);
            assert_true(fdt_parse_platform(b, cut, &p) < 0);
        }
        free(b);
    }
    free(orig);
}

/* ---- structure validation with crafted trees ---- */

static void body_nothing(struct fb *b)
{
    (void)b;
}

static int depth_n;
static void body_deep(struct fb *b)
{
    for (int i = 0; i < depth_n; i++)
        fb_begin(b, "n");
    for (int i = 0; i < depth_n; i++)
        fb_end(b);
}

static void body_huge_prop(struct fb *b)
{
    fb_word(b, 3);
    fb_word(b, 0xfffffff0); /* length */
    fb_word(b, fb_string(b, "x"));
}

static void body_prop_past_end(struct fb *b)
{
    fb_word(b, 3);
    fb_word(b, 16); /* 16 bytes claimed, only END_NODE and END follow */
    fb_word(b, fb_string(b, "x"));
}

static void body_bad_nameoff(struct fb *b)
{
    fb_word(b, 3);
    fb_word(b, 0);
    fb_word(b, 0x7fff0000);
}

static void body_nameoff_at_end(struct fb *b)
{
    fb_string(b, "tail");
    fb_word(b, 3);
    fb_word(b, 0);
    fb_word(b, b->str_len); /* one past the strings block */
}

static void body_unknown_token(struct fb *b)
{
    fb_word(b, 5);
}

static void body_extra_end_node(struct fb *b)
{
    fb_end(b);
    fb_end(b);
}

static void body_unclosed(struct fb *b)
{
    fb_begin(b, "open");
}

static void body_early_end(struct fb *b)
{
    fb_begin(b, "a");
    fb_word(b, 9);
    fb_end(b);
}

static void body_nops(struct fb *b)
{
    fb_word(b, 4);
    fb_begin(b, "a");
    fb_word(b, 4);
    fb_prop_u32(b, "v", 7);
    fb_word(b, 4);
    fb_end(b);
    fb_word(b, 4);
}

static void test_struct_errors(void **state)
{
    (void)state;
    assert_int_equal(check_built(body_nothing), 0);
    assert_int_equal(check_built(body_nops), 0);
    depth_n = FDT_MAX_DEPTH - 1; /* deepest allowed: root + 31 levels */
    assert_int_equal(check_built(body_deep), 0);
    depth_n = FDT_MAX_DEPTH;
    assert_int_equal(check_built(body_deep), -AX_EINVAL);
    depth_n = 400;
    assert_int_equal(check_built(body_deep), -AX_EINVAL);
    assert_int_equal(check_built(body_huge_prop), -AX_EINVAL);
    assert_int_equal(check_built(body_prop_past_end), -AX_EINVAL);
    assert_int_equal(check_built(body_bad_nameoff), -AX_EINVAL);
    assert_int_equal(check_built(body_nameoff_at_end), -AX_EINVAL);
    assert_int_equal(check_built(body_unknown_token), -AX_EINVAL);
    assert_int_equal(check_built(body_extra_end_node), -AX_EINVAL);
    assert_int_equal(check_built(body_unclosed), -AX_EINVAL);
    assert_int_equal(check_built(body_early_end), -AX_EINVAL);
}

static void test_struct_errors_raw(void **state)
{
    (void)state;
    struct fb *b = calloc(1, sizeof(*b));
    size_t len;
    uint8_t *blob;

    /* Two roots. */
    fb_begin(b, "");
    fb_end(b);
    fb_begin(b, "");
    fb_end(b);
    fb_word(b, 9);
    blob = fb_finish(b, &len);
    assert_int_equal(fdt_check(blob, len), -AX_EINVAL);
    free(blob);

    /* Property outside any node. */
    memset(b, 0, sizeof(*b));
    fb_prop_u32(b, "x", 1);
    fb_begin(b, "");
    fb_end(b);
    fb_word(b, 9);
    blob = fb_finish(b, &len);
    assert_int_equal(fdt_check(blob, len), -AX_EINVAL);
    free(blob);

    /* A node name running to the end of the structure block. */
    memset(b, 0, sizeof(*b));
    fb_begin(b, "");
    fb_word(b, 1);
    memset(b->st + b->st_len, 'a', 64);
    b->st_len += 64;
    blob = fb_finish(b, &len);
    assert_int_equal(fdt_check(blob, len), -AX_EINVAL);
    free(blob);

    /* No root at all. */
    memset(b, 0, sizeof(*b));
    fb_word(b, 9);
    blob = fb_finish(b, &len);
    assert_int_equal(fdt_check(blob, len), -AX_EINVAL);
    free(blob);

    /* Strings block whose last name lacks its NUL. */
    memset(b, 0, sizeof(*b));
    fb_begin(b, "");
    fb_prop_u32(b, "abc", 1);
    fb_end(b);
    fb_word(b, 9);
    blob = fb_finish(b, &len);
    assert_int_equal(fdt_check(blob, len), 0);
    blob[len - 1] = 'x';
    assert_int_equal(fdt_check(blob, len), -AX_EINVAL);

    /* /memreserve/ list without its terminator before totalsize: point it
     * at the structure block, which has no all-zero 16-byte entry. */
    blob[len - 1] = 0;
    assert_int_equal(fdt_check(blob, len), 0);
    put32(blob + 16, fdt_be32(blob + 8));
    assert_int_equal(fdt_check(blob, len), -AX_EINVAL);
    free(blob);
    free(b);
}

/* Corrupt every 4-byte word of a real blob in turn: whatever check says,
 * nothing may crash, and a blob that still passes must parse or fail cleanly. */
static void test_word_corruption(void **state)
{
    (void)state;
    size_t len;
    uint8_t *orig = load_exact(DTS_V2, &len);
    uint8_t *b = malloc(len);
    static const uint32_t junk[] = { 0, 1, 2, 3, 9, 0xffffffff, 0x7ffffff0 };
    for (size_t off = 0; off + 4 <= len; off += 4) {
        for (size_t j = 0; j < sizeof(junk) / sizeof(junk[0]); j++) {
            struct fdt_platform p;
            memcpy(b, orig, len);
            put32(b + off, junk[j]);
            (void)fdt_parse_platform(b, len, &p);
        }
    }
    free(b);
    free(orig);
}

/* ---- walking and lookups ---- */

static void test_walk_qemu(void **state)
{
    (void)state;
    size_t len;
    uint8_t *blob = load(QEMU_V3, &len);
    struct fdt f = open_fdt(blob, len);

    int depth = -1;
    int root = fdt_first_node(&f, &depth);
    assert_true(root >= 0);
    assert_int_equal(depth, 0);
    assert_string_equal(name_of(&f, root), "");

    /* Count nodes and top-level children by walking, then by siblings. */
    int nodes = 0, top = 0, maxdepth = 0;
    for (int n = root; n >= 0; n = fdt_next_node(&f, n, &depth)) {
        nodes++;
        top += depth == 1;
        if (depth > maxdepth)
            maxdepth = depth;
    }
    assert_int_equal(maxdepth, 5);       /* /cpus/cpu-map/socket0/cluster0/core0 */
    int siblings = 0;
    for (int n = fdt_first_child(&f, root); n >= 0; n = fdt_next_sibling(&f, n))
        siblings++;
    assert_int_equal(siblings, top);
    /* psci, memory, platform-bus, fw-cfg, 32 virtio, gpio-keys, pl061, pcie,
     * pl031, pl011, pmu, intc, flash, cpus, timer, apb-pclk, chosen */
    assert_int_equal(top, 16 + 32);
    /* + poweroff, its, cpu-map, socket0, cluster0, 4 cores, 4 cpus */
    assert_int_equal(nodes, 1 + 48 + 1 + 1 + 3 + 4 + 4);

    int cpus = path(&f, "/cpus");
    int cpu0 = path(&f, "/cpus/cpu@0");
    assert_true(cpus >= 0 && cpu0 >= 0);
    assert_int_equal(fdt_parent(&f, cpu0), cpus);
    assert_int_equal(fdt_parent(&f, cpus), root);
    assert_int_equal(fdt_parent(&f, root), -AX_ENOENT);
    assert_int_equal(fdt_parent(&f, cpu0 + 4), -AX_EINVAL); /* not a node */

    /* Walking from cpu@0 covers its later siblings then stops at /cpus' end. */
    int d = 0, seen = 0;
    for (int n = cpu0; n >= 0; n = fdt_next_node(&f, n, &d))
        seen++;
    assert_int_equal(seen, 4);
    assert_int_equal(fdt_first_child(&f, cpu0), -AX_ENOENT);
    assert_int_equal(fdt_next_sibling(&f, path(&f, "/cpus/cpu@3")), -AX_ENOENT);
    assert_int_equal(fdt_next_sibling(&f, root), -AX_ENOENT);

    /* Bad offsets are refused, not followed. */
    assert_int_equal(fdt_next_node(&f, -8, NULL), -AX_EINVAL);
    assert_int_equal(fdt_next_node(&f, 2, NULL), -AX_EINVAL);
    assert_int_equal(fdt_next_node(&f, 1 << 30, NULL), -AX_EINVAL);
    assert_int_equal(fdt_first_child(&f, (int)f.struct_size), -AX_EINVAL);
    assert_null(fdt_node_name(&f, cpu0 + 4, NULL));
    free(blob);
}

static void test_paths(void **state)
{
    (void)state;
    size_t len;
    uint8_t *blob = load(QEMU_V3, &len);
    struct fdt f = open_fdt(blob, len);

    assert_int_equal(path(&f, "/"), fdt_first_node(&f, NULL));
    assert_string_equal(name_of(&f, path(&f, "/cpus/cpu@2")), "cpu@2");
    assert_string_equal(name_of(&f, path(&f, "/cpus/cpu")), "cpu@0"); /* no @unit */
    assert_string_equal(name_of(&f, path(&f, "//cpus//cpu@1/")), "cpu@1");
    assert_string_equal(name_of(&f, path(&f, "/intc/its")), "its@8080000");
    assert_string_equal(name_of(&f, path(&f, "/cpus/cpu-map/socket0/cluster0/core3")),
                        "core3");
    assert_int_equal(path(&f, "/cpus/cpu@4"), -AX_ENOENT);
    assert_int_equal(path(&f, "/cpus/cpu@"), -AX_ENOENT);
    assert_int_equal(path(&f, "/cpu"), -AX_ENOENT); /* "cpus" is not "cpu" */
    assert_int_equal(path(&f, "/cpus/cpu@0/x"), -AX_ENOENT);
    assert_int_equal(path(&f, "serial0"), -AX_ENOENT); /* no /aliases here */
    assert_int_equal(path(&f, ""), -AX_EINVAL);
    assert_int_equal(path(&f, NULL), -AX_EINVAL);
    /* Length-bounded: only the first 5 bytes count. */
    assert_string_equal(name_of(&f, fdt_path_offset_len(&f, "/cpus/cpu@9", 5)), "cpus");
    free(blob);

    blob = load(DTS_RV, &len);
    f = open_fdt(blob, len);
    assert_string_equal(name_of(&f, path(&f, "serial1")), "serial@10001000");
    assert_string_equal(name_of(&f, path(&f, "serial0")), "serial@10000000");
    assert_int_equal(path(&f, "serial1/"), path(&f, "serial1"));
    assert_int_equal(path(&f, "serial2"), -AX_ENOENT);
    assert_int_equal(path(&f, "nonabs"), -AX_EINVAL); /* alias must be absolute */
    assert_int_equal(fdt_path_offset_len(&f, "serial1:115200", 7), path(&f, "/soc/serial@10001000"));
    free(blob);
}

static void test_props(void **state)
{
    (void)state;
    size_t len;
    uint8_t *blob = load(QEMU_V3, &len);
    struct fdt f = open_fdt(blob, len);
    int psci = path(&f, "/psci");
    struct fdt_prop p;

    /* Iteration sees all six properties in order. */
    static const char *const names[] = { "migrate", "cpu_on", "cpu_off",
                                         "cpu_suspend", "method", "compatible" };
    int i = 0;
    for (int r = fdt_first_prop(&f, psci, &p); r == 0; r = fdt_next_prop(&f, &p)) {
        assert_true(i < 6);
        assert_string_equal(p.name, names[i++]);
    }
    assert_int_equal(i, 6);

    assert_int_equal(fdt_get_prop(&f, psci, "compatible", &p), 0);
    assert_int_equal(fdt_stringlist_count(&p), 3);
    const char *s;
    size_t slen;
    assert_int_equal(fdt_stringlist_get(&p, 1, &s, &slen), 0);
    assert_string_equal(s, "arm,psci-0.2");
    assert_int_equal(slen, 12);
    assert_int_equal(fdt_stringlist_get(&p, 3, &s, &slen), -AX_ENOENT);
    assert_true(fdt_stringlist_contains(&p, "arm,psci"));
    assert_false(fdt_stringlist_contains(&p, "arm,psci-0"));
    assert_int_equal(fdt_node_is_compatible(&f, psci, "arm,psci-1.0"), 1);
    assert_int_equal(fdt_node_is_compatible(&f, psci, "virtio,mmio"), 0);
    assert_int_equal(fdt_node_is_compatible(&f, path(&f, "/chosen"), "x"), 0);
    assert_int_equal(fdt_get_prop(&f, psci, "nope", &p), -AX_ENOENT);
    assert_int_equal(fdt_get_prop(&f, psci, "cpu_o", &p), -AX_ENOENT);

    uint32_t v;
    uint64_t v64;
    assert_int_equal(fdt_get_u32(&f, psci, "cpu_on", &v), 0);
    assert_int_equal(v, 0xc4000003);
    assert_int_equal(fdt_get_u32(&f, psci, "compatible", &v), -AX_EINVAL);
    assert_int_equal(fdt_get_string(&f, psci, "method", &s, &slen), 0);
    assert_string_equal(s, "smc");
    assert_int_equal(slen, 3);
    int mem = path(&f, "/memory");
    assert_int_equal(fdt_get_u64(&f, mem, "reg", &v64), -AX_EINVAL); /* 16 bytes */
    assert_int_equal(fdt_get_prop(&f, mem, "reg", &p), 0);
    assert_int_equal(fdt_prop_cells(&p, 2, 2, &v64), 0);
    assert_int_equal(v64, 0x80000000);
    assert_int_equal(fdt_prop_cells(&p, 3, 2, &v64), -AX_EINVAL);
    assert_int_equal(fdt_prop_cells(&p, 0, 3, &v64), -AX_ERANGE);
    assert_int_equal(fdt_prop_cells(&p, 0xffffffff, 2, &v64), -AX_EINVAL);
    assert_int_equal(fdt_get_u64(&f, path(&f, "/apb-pclk"), "clock-frequency", &v64), 0);
    assert_int_equal(v64, 24000000);
    /* A boolean (empty) property exists but is no string and no list. */
    int virtio = fdt_find_compatible(&f, -1, "virtio,mmio");
    assert_int_equal(fdt_get_prop(&f, virtio, "dma-coherent", &p), 0);
    assert_int_equal(p.len, 0);
    assert_int_equal(fdt_stringlist_count(&p), 0);
    assert_false(fdt_stringlist_contains(&p, ""));
    assert_int_equal(fdt_get_string(&f, virtio, "dma-coherent", &s, NULL), -AX_EINVAL);

    /* The rng-seed is 32 bytes of binary: not a terminated string list. */
    assert_int_equal(fdt_get_prop(&f, path(&f, "/chosen"), "rng-seed", &p), 0);
    if (p.data[p.len - 1] != 0) {
        assert_int_equal(fdt_stringlist_count(&p), -AX_EINVAL);
        assert_int_equal(fdt_stringlist_get(&p, 0, &s, NULL), -AX_EINVAL);
    }
    free(blob);
}

static void test_phandle_compatible(void **state)
{
    (void)state;
    size_t len;
    uint8_t *blob = load(QEMU_V3, &len);
    struct fdt f = open_fdt(blob, len);
    int intc = path(&f, "/intc@8000000");
    assert_true(intc >= 0);
    assert_int_equal(fdt_get_phandle(&f, intc), 0x8005);
    assert_int_equal(fdt_node_by_phandle(&f, 0x8005), intc);
    assert_string_equal(name_of(&f, fdt_node_by_phandle(&f, 0x8001)), "cpu@3");
    assert_int_equal(fdt_node_by_phandle(&f, 0x1234), -AX_ENOENT);
    assert_int_equal(fdt_node_by_phandle(&f, 0), -AX_ENOENT);
    assert_int_equal(fdt_node_by_phandle(&f, 0xffffffff), -AX_ENOENT);
    assert_int_equal(fdt_get_phandle(&f, path(&f, "/chosen")), 0);

    int n, count = 0, prev = -1;
    for (n = fdt_find_compatible(&f, -1, "virtio,mmio"); n >= 0;
         n = fdt_find_compatible(&f, n, "virtio,mmio")) {
        assert_true(n > prev);
        prev = n;
        count++;
    }
    assert_int_equal(n, -AX_ENOENT);
    assert_int_equal(count, 32);
    /* A match deep in the tree, found from an earlier node in another subtree. */
    assert_int_equal(fdt_find_compatible(&f, path(&f, "/psci"), "arm,gic-v3-its"),
                     path(&f, "/intc/its"));
    assert_int_equal(fdt_find_compatible(&f, -1, "no,such"), -AX_ENOENT);
    assert_int_equal(fdt_node_is_enabled(&f, intc), 1);
    free(blob);

    blob = load(QEMU_RV, &len);
    f = open_fdt(blob, len);
    count = 0;
    for (n = fdt_find_compatible(&f, -1, "virtio,mmio"); n >= 0;
         n = fdt_find_compatible(&f, n, "virtio,mmio"))
        count++;
    assert_int_equal(count, 8);
    free(blob);

    blob = load(DTS_RV, &len);
    f = open_fdt(blob, len);
    assert_int_equal(fdt_node_is_enabled(&f, path(&f, "/cpus/cpu@0")), 1);
    assert_int_equal(fdt_node_is_enabled(&f, path(&f, "/cpus/cpu@1")), 0);
    assert_int_equal(fdt_node_is_enabled(&f, path(&f, "/cpus/cpu@2")), 1);
    assert_int_equal(fdt_node_is_enabled(&f, path(&f, "/cpus/cpu@3")), 1); /* "ok" */
    free(blob);
}

static void test_reg(void **state)
{
    (void)state;
    size_t len;
    uint8_t *blob = load(QEMU_V3, &len);
    struct fdt f = open_fdt(blob, len);
    struct fdt_reg r;

    int intc = path(&f, "/intc");
    assert_int_equal(fdt_reg_count(&f, intc), 2);
    assert_int_equal(fdt_get_reg(&f, intc, 1, &r), 0);
    assert_int_equal(r.addr, 0x80a0000);
    assert_int_equal(r.size, 0xf60000);
    assert_int_equal(fdt_get_reg(&f, intc, 2, &r), -AX_ENOENT);
    assert_int_equal(fdt_address_cells(&f, path(&f, "/cpus")), 1);
    assert_int_equal(fdt_size_cells(&f, path(&f, "/cpus")), 0);
    assert_int_equal(fdt_address_cells(&f, path(&f, "/psci")), 2); /* default */
    assert_int_equal(fdt_size_cells(&f, path(&f, "/psci")), 1);   /* default */
    assert_int_equal(fdt_get_reg(&f, path(&f, "/cpus/cpu@3"), 0, &r), 0);
    assert_int_equal(r.addr, 3);
    assert_int_equal(r.size, 0);
    assert_int_equal(fdt_reg_count(&f, path(&f, "/psci")), 0);
    assert_int_equal(fdt_get_reg(&f, path(&f, "/psci"), 0, &r), -AX_ENOENT);
    /* cfi-flash has two banks. */
    assert_int_equal(fdt_get_reg_phys(&f, path(&f, "/flash"), 1, &r), 0);
    assert_int_equal(r.addr, 0x4000000);
    assert_int_equal(r.size, 0x4000000);
    free(blob);

    blob = load(DTS_RV, &len);
    f = open_fdt(blob, len);
    int v1 = path(&f, "/soc/bus/virtio@1000");
    int v2 = path(&f, "/soc/bus/virtio@200000");
    assert_int_equal(fdt_get_reg(&f, v1, 0, &r), 0);
    assert_int_equal(r.addr, 0x1000);
    assert_int_equal(fdt_get_reg_phys(&f, v1, 0, &r), 0);
    assert_int_equal(r.addr, 0x20001000);
    assert_int_equal(r.size, 0x200);
    assert_int_equal(fdt_get_reg_phys(&f, v2, 0, &r), 0);
    assert_int_equal(r.addr, 0x30000000);
    assert_int_equal(fdt_get_reg_phys(&f, path(&f, "/memory@80000000"), 1, &r), 0);
    assert_int_equal(r.addr, 0xa0000000);
    assert_int_equal(r.size, 0x08000000);

    assert_int_equal(fdt_memrsv_count(&f), 2);
    assert_int_equal(fdt_memrsv_get(&f, 1, &r), 0);
    assert_int_equal(r.addr, 0x87000000);
    assert_int_equal(r.size, 0x1000);
    assert_int_equal(fdt_memrsv_get(&f, 2, &r), -AX_ENOENT);
    free(blob);
}

static void body_untranslatable(struct fb *b)
{
    fb_begin(b, "bus");
    fb_prop_u32(b, "#address-cells", 1);
    fb_prop_u32(b, "#size-cells", 1);
    static const uint32_t ranges[] = { 0x0, 0x0, 0x40000000, 0x1000 };
    fb_prop_cells(b, "ranges", ranges, 4); /* child 1 cell, parent 2, size 1 */
    fb_begin(b, "in@800");
    fb_prop_cells(b, "reg", (const uint32_t[]){ 0x800, 0x10 }, 2);
    fb_end(b);
    fb_begin(b, "out@2000");
    fb_prop_cells(b, "reg", (const uint32_t[]){ 0x2000, 0x10 }, 2);
    fb_end(b);
    fb_begin(b, "odd");
    fb_prop_cells(b, "reg", (const uint32_t[]){ 0x1, 0x2, 0x3 }, 3);
    fb_end(b);
    fb_begin(b, "wide");
    fb_prop_u32(b, "#address-cells", 3);
    fb_prop_u32(b, "#size-cells", 5);
    fb_end(b);
    fb_end(b);
}

static void test_reg_translation_errors(void **state)
{
    (void)state;
    size_t len;
    uint8_t *blob = build(body_untranslatable, &len);
    struct fdt f = open_fdt(blob, len);
    struct fdt_reg r;
    assert_int_equal(fdt_get_reg_phys(&f, path(&f, "/bus/in"), 0, &r), 0);
    assert_int_equal(r.addr, 0x40000800);
    assert_int_equal(fdt_get_reg(&f, path(&f, "/bus/out"), 0, &r), 0);
    assert_int_equal(fdt_get_reg_phys(&f, path(&f, "/bus/out"), 0, &r), -AX_ERANGE);
    assert_int_equal(fdt_reg_count(&f, path(&f, "/bus/odd")), -AX_EINVAL);
    assert_int_equal(fdt_get_reg(&f, path(&f, "/bus/odd"), 0, &r), -AX_EINVAL);
    assert_int_equal(fdt_address_cells(&f, path(&f, "/bus/wide")), 3);
    assert_int_equal(fdt_size_cells(&f, path(&f, "/bus/wide")), -AX_EINVAL);
    free(blob);
}

/* ---- platform extraction: the real QEMU machines ---- */

static void expect_region(const struct fdt_region *r, uint64_t base, uint64_t size)
{
    assert_int_equal(r->base, base);
    assert_int_equal(r->size, size);
}

static void expect_qemu_arm_common(const struct fdt_platform *p)
{
    assert_int_equal(p->mem_count, 1);
    assert_int_equal(p->mem_total, 1);
    expect_region(&p->mem[0], 0x40000000, 0x80000000);
    assert_int_equal(p->cpu_count, 4);
    assert_int_equal(p->cpu_total, 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(p->cpu_hwid[i], i);
    assert_null(p->riscv_isa);
    assert_int_equal(p->timebase_hz, 0);

    assert_true(p->timer.present);
    assert_int_equal(p->timer.sec_phys_intid, 29);
    assert_int_equal(p->timer.phys_intid, 30);
    assert_int_equal(p->timer.virt_intid, 27);
    assert_int_equal(p->timer.hyp_intid, 26);
    assert_int_equal(p->timer.clock_hz, 0);
    assert_int_equal(p->intc.maint_intid, 25);
    assert_int_equal(p->intc.phandle, 0x8005);

    assert_int_equal(p->uart.kind, FDT_UART_PL011);
    assert_true(p->uart.from_stdout_path);
    expect_region(&p->uart.regs, 0x9000000, 0x1000);
    assert_int_equal(p->uart.irq, 33);
    assert_int_equal(p->uart.reg_shift, 0);
    assert_int_equal(p->uart.reg_io_width, 1);

    assert_true(p->psci.present);
    assert_int_equal(p->psci.method, FDT_PSCI_SMC);
    assert_true(p->psci.v0_2);
    assert_int_equal(p->psci.cpu_on_fn, 0xc4000003);

    assert_int_equal(p->reserved_count, 0);
    assert_null(p->chosen.bootargs);
    assert_false(p->chosen.has_initrd);

    assert_int_equal(p->virtio_count, 32);
    assert_int_equal(p->virtio_total, 32);
    for (int i = 0; i < 32; i++) {
        expect_region(&p->virtio[i].regs, 0xa000000 + 0x200 * (uint64_t)i, 0x200);
        assert_int_equal(p->virtio[i].irq, 32 + 16 + i);
    }
}

static void test_platform_qemu_gicv3(void **state)
{
    (void)state;
    size_t len;
    uint8_t *blob = load(QEMU_V3, &len);
    struct fdt_platform p;
    assert_int_equal(fdt_parse_platform(blob, len, &p), 0);
    expect_qemu_arm_common(&p);
    assert_int_equal(p.intc.kind, FDT_INTC_GICV3);
    expect_region(&p.intc.gicd, 0x8000000, 0x10000);
    assert_int_equal(p.intc.gicr_count, 1);
    assert_int_equal(p.intc.gicr_total, 1);
    expect_region(&p.intc.gicr[0], 0x80a0000, 0xf60000);
    assert_false(p.intc.has_gicc);
    assert_false(p.intc.has_gich);
    assert_false(p.intc.has_gicv);
    free(blob);
}

static void test_platform_qemu_gicv2(void **state)
{
    (void)state;
    size_t len;
    uint8_t *blob = load(QEMU_V2, &len);
    struct fdt_platform p;
    assert_int_equal(fdt_parse_platform(blob, len, &p), 0);
    expect_qemu_arm_common(&p);
    assert_int_equal(p.intc.kind, FDT_INTC_GICV2);
    expect_region(&p.intc.gicd, 0x8000000, 0x10000);
    assert_int_equal(p.intc.gicr_count, 0);
    assert_true(p.intc.has_gicc && p.intc.has_gich && p.intc.has_gicv);
    expect_region(&p.intc.gicc, 0x8010000, 0x10000);
    expect_region(&p.intc.gich, 0x8030000, 0x10000);
    expect_region(&p.intc.gicv, 0x8040000, 0x10000);
    free(blob);
}

static void test_platform_qemu_riscv(void **state)
{
    (void)state;
    size_t len;
    uint8_t *blob = load(QEMU_RV, &len);
    struct fdt_platform p;
    assert_int_equal(fdt_parse_platform(blob, len, &p), 0);
    assert_int_equal(p.mem_count, 1);
    expect_region(&p.mem[0], 0x80000000, 0x80000000);
    assert_int_equal(p.cpu_count, 4);
    assert_int_equal(p.cpu_total, 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(p.cpu_hwid[i], i);
    assert_int_equal(p.timebase_hz, 10000000);
    assert_non_null(p.riscv_isa);
    assert_int_equal(p.riscv_isa_len, strlen(p.riscv_isa));
    assert_int_equal(strncmp(p.riscv_isa, "rv64imafdch", 11), 0);
    assert_true(fdt_riscv_isa_has(p.riscv_isa, p.riscv_isa_len, 'h'));
    /* "zihintpause" has an 'h' but is a multi-letter extension. */
    assert_false(fdt_riscv_isa_has(p.riscv_isa, p.riscv_isa_len, 'v'));
    assert_false(fdt_riscv_isa_has("rv64imac_zh", 11, 'h'));
    assert_false(fdt_riscv_isa_has("rv64imafdch", 10, 'h')); /* length-bounded */
    assert_false(fdt_riscv_isa_has("x86_64h", 7, 'h'));
    assert_false(fdt_riscv_isa_has(NULL, 0, 'h'));

    assert_int_equal(p.intc.kind, FDT_INTC_PLIC);
    expect_region(&p.intc.plic, 0xc000000, 0x600000);
    assert_int_equal(p.intc.plic_ndev, 0x60);
    assert_int_equal(p.intc.phandle, 9);
    assert_int_equal(p.intc.maint_intid, FDT_IRQ_NONE);

    assert_false(p.timer.present);
    assert_int_equal(p.timer.virt_intid, FDT_IRQ_NONE);
    assert_false(p.psci.present);
    assert_int_equal(p.psci.method, FDT_PSCI_NONE);

    assert_int_equal(p.uart.kind, FDT_UART_NS16550);
    assert_true(p.uart.from_stdout_path);
    expect_region(&p.uart.regs, 0x10000000, 0x100);
    assert_int_equal(p.uart.irq, 10);
    assert_int_equal(p.uart.clock_hz, 3686400);

    assert_int_equal(p.virtio_count, 8);
    for (int i = 0; i < 8; i++) { /* QEMU lists them downwards */
        expect_region(&p.virtio[i].regs, 0x10008000 - 0x1000 * (uint64_t)i, 0x1000);
        assert_int_equal(p.virtio[i].irq, 8 - i);
    }
    assert_int_equal(p.reserved_count, 0);
    free(blob);
}

/* The same blob at an odd address parses to the same result. */
static void test_platform_unaligned(void **state)
{
    (void)state;
    size_t len;
    uint8_t *blob = load_exact(QEMU_RV, &len);
    uint8_t *odd = malloc(len + 3);
    memcpy(odd + 3, blob, len);
    struct fdt_platform a, b;
    assert_int_equal(fdt_parse_platform(blob, len, &a), 0);
    assert_int_equal(fdt_parse_platform(odd + 3, len, &b), 0);
    assert_int_equal(a.virtio_count, b.virtio_count);
    assert_memory_equal(a.virtio, b.virtio, sizeof(a.virtio));
    assert_memory_equal(&a.intc, &b.intc, sizeof(a.intc));
    assert_memory_equal(a.mem, b.mem, sizeof(a.mem));
    assert_int_equal(b.riscv_isa - (const char *)odd, a.riscv_isa - (const char *)blob + 3);
    free(odd);
    free(blob);
}

/* ---- platform extraction: edge-case fixtures ---- */

static void test_platform_riscv_cells1(void **state)
{
    (void)state;
    size_t len;
    uint8_t *blob = load(DTS_RV, &len);
    struct fdt_platform p;
    assert_int_equal(fdt_parse_platform(blob, len, &p), 0);

    assert_int_equal(p.mem_count, 3); /* the empty bank is dropped */
    expect_region(&p.mem[0], 0x80000000, 0x10000000);
    expect_region(&p.mem[1], 0xa0000000, 0x08000000);
    expect_region(&p.mem[2], 0xc0000000, 0x01000000);

    assert_int_equal(p.reserved_count, 3);
    expect_region(&p.reserved[0], 0x80000000, 0x200000);
    expect_region(&p.reserved[1], 0x87000000, 0x1000);
    expect_region(&p.reserved[2], 0x80200000, 0x10000); /* not pool, not off@ */

    assert_int_equal(p.cpu_count, 3); /* cpu@1 disabled; cpu-map is no cpu */
    assert_int_equal(p.cpu_total, 3);
    assert_int_equal(p.cpu_hwid[0], 0);
    assert_int_equal(p.cpu_hwid[1], 2);
    assert_int_equal(p.cpu_hwid[2], 3);
    assert_int_equal(p.timebase_hz, 1000000);
    assert_int_equal(p.riscv_isa_len, 10);
    assert_memory_equal(p.riscv_isa, "rv64imafdc", 11);
    assert_false(fdt_riscv_isa_has(p.riscv_isa, p.riscv_isa_len, 'h'));
    assert_true(fdt_riscv_isa_has(p.riscv_isa, p.riscv_isa_len, 'c'));

    assert_int_equal(p.intc.kind, FDT_INTC_PLIC);
    assert_int_equal(p.intc.plic_ndev, 53);

    /* stdout-path "serial1:115200n8" -> alias -> the second UART. */
    assert_int_equal(p.uart.kind, FDT_UART_NS16550);
    assert_true(p.uart.from_stdout_path);
    expect_region(&p.uart.regs, 0x10001000, 0x100);
    assert_int_equal(p.uart.irq, 11);
    assert_int_equal(p.uart.reg_shift, 2);
    assert_int_equal(p.uart.reg_io_width, 4);
    assert_int_equal(p.uart.clock_hz, 24000000);

    assert_non_null(p.chosen.bootargs);
    assert_string_equal(p.chosen.bootargs, "console=ttyS1 root=/dev/vda");
    assert_int_equal(p.chosen.bootargs_len, strlen(p.chosen.bootargs));
    assert_true(p.chosen.has_initrd);
    assert_int_equal(p.chosen.initrd_start, 0x88000000);
    assert_int_equal(p.chosen.initrd_end, 0x88400000);

    /* Translated through bus ranges; disabled one skipped; the one wired
     * to another interrupt controller keeps its address but no irq. */
    assert_int_equal(p.virtio_count, 3);
    expect_region(&p.virtio[0].regs, 0x20001000, 0x200);
    assert_int_equal(p.virtio[0].irq, 5);
    expect_region(&p.virtio[1].regs, 0x30000000, 0x200);
    assert_int_equal(p.virtio[1].irq, 6);
    expect_region(&p.virtio[2].regs, 0x10008000, 0x1000);
    assert_int_equal(p.virtio[2].irq, FDT_IRQ_NONE);
    free(blob);
}

static void test_platform_arm_gicv2_misc(void **state)
{
    (void)state;
    size_t len;
    uint8_t *blob = load(DTS_V2, &len);
    struct fdt_platform p;
    assert_int_equal(fdt_parse_platform(blob, len, &p), 0);

    assert_int_equal(p.mem_count, 2); /* the one on the disabled bus is hidden */
    expect_region(&p.mem[1], 0x100000000, 0x100000000);
    assert_int_equal(p.cpu_count, 3);
    assert_int_equal(p.cpu_hwid[1], 0x100);
    assert_int_equal(p.cpu_hwid[2], 0x10000000000);

    assert_int_equal(p.intc.kind, FDT_INTC_GICV2);
    expect_region(&p.intc.gicd, 0x8000000, 0x1000);
    assert_true(p.intc.has_gicc);
    expect_region(&p.intc.gicc, 0x8010000, 0x2000);
    assert_false(p.intc.has_gich);
    assert_false(p.intc.has_gicv);
    assert_int_equal(p.intc.maint_intid, FDT_IRQ_NONE);

    assert_true(p.psci.present);
    assert_int_equal(p.psci.method, FDT_PSCI_HVC);
    assert_false(p.psci.v0_2);
    assert_int_equal(p.psci.cpu_on_fn, 0x95c1ba5f);

    assert_true(p.timer.present);
    assert_int_equal(p.timer.phys_intid, 30);
    assert_int_equal(p.timer.virt_intid, 27);
    assert_int_equal(p.timer.hyp_intid, FDT_IRQ_NONE); /* only three entries */
    assert_int_equal(p.timer.clock_hz, 62500000);

    /* stdout-path names the second PL011, which comes after the first. */
    assert_int_equal(p.uart.kind, FDT_UART_PL011);
    assert_true(p.uart.from_stdout_path);
    expect_region(&p.uart.regs, 0x9010000, 0x1000);
    assert_int_equal(p.uart.irq, 37);

    assert_true(p.chosen.has_initrd);
    assert_int_equal(p.chosen.initrd_start, 0x100000000);
    assert_int_equal(p.chosen.initrd_end, 0x100800000);
    assert_null(p.chosen.bootargs);

    assert_int_equal(p.virtio_count, 1);
    expect_region(&p.virtio[0].regs, 0xa000200, 0x200);
    assert_int_equal(p.virtio[0].irq, 49);
    free(blob);
}

static void test_platform_arm_gicv3_multi(void **state)
{
    (void)state;
    size_t len;
    uint8_t *blob = load(DTS_V3, &len);
    struct fdt_platform p;
    assert_int_equal(fdt_parse_platform(blob, len, &p), 0);
    assert_int_equal(p.intc.kind, FDT_INTC_GICV3);
    assert_int_equal(p.intc.gicr_count, 2);
    expect_region(&p.intc.gicr[0], 0x80a0000, 0x20000);
    expect_region(&p.intc.gicr[1], 0x9a00000, 0x40000);
    assert_true(p.intc.has_gicc && p.intc.has_gich && p.intc.has_gicv);
    expect_region(&p.intc.gicc, 0x8100000, 0x2000);
    expect_region(&p.intc.gich, 0x8110000, 0x2000);
    expect_region(&p.intc.gicv, 0x8120000, 0x2000);
    assert_int_equal(p.intc.maint_intid, 25);
    assert_false(p.psci.present);
    assert_int_equal(p.psci.cpu_on_fn, 0);
    /* stdout-path names an alias that does not exist: first PL011 guessed. */
    assert_int_equal(p.uart.kind, FDT_UART_PL011);
    assert_false(p.uart.from_stdout_path);
    expect_region(&p.uart.regs, 0x9000000, 0x1000);
    assert_non_null(p.chosen.bootargs);
    assert_int_equal(p.chosen.bootargs_len, 0);
    assert_int_equal(p.virtio[0].irq, 4096 + 3); /* extended SPI */
    free(blob);
}

static void test_platform_overflow(void **state)
{
    (void)state;
    size_t len;
    uint8_t *blob = load(DTS_OVF, &len);
    struct fdt_platform p;
    assert_int_equal(fdt_parse_platform(blob, len, &p), 0);
    assert_int_equal(p.mem_count, FDT_MAX_MEM);
    assert_int_equal(p.mem_total, 10);
    expect_region(&p.mem[7], 0x87000000, 0x100000);
    assert_int_equal(p.cpu_count, AX_MAX_CPUS);
    assert_int_equal(p.cpu_total, 10);
    assert_int_equal(p.cpu_hwid[4], 5); /* cpu@4 is disabled */
    assert_int_equal(p.reserved_count, FDT_MAX_RESERVED);
    assert_int_equal(p.reserved_total, 4 + 14);
    expect_region(&p.reserved[4], 0x90000000, 0x1000);
    assert_int_equal(p.virtio_count, FDT_MAX_VIRTIO);
    assert_int_equal(p.virtio_total, 34);
    assert_int_equal(p.virtio[31].irq, 32 + 16 + 31);
    assert_int_equal(p.intc.kind, FDT_INTC_GICV2);
    assert_true(p.intc.has_gich && p.intc.has_gicv);
    assert_int_equal(p.uart.kind, FDT_UART_NONE);
    assert_int_equal(p.uart.irq, FDT_IRQ_NONE);
    assert_false(p.timer.present);
    free(blob);
}

/* ---- platform extraction: malformed trees are errors ---- */

static void body_gic(struct fb *b, uint32_t icells)
{
    fb_begin(b, "gic");
    fb_prop_str(b, "compatible", "arm,gic-v3");
    fb_prop_u32(b, "#interrupt-cells", icells);
    fb_prop_u32(b, "phandle", 1);
    fb_prop_cells(b, "reg", (const uint32_t[]){ 0, 0x8000000, 0x10000, 0, 0x80a0000, 0xf60000 }, 6);
    fb_end(b);
}

static void body_bad_irq_type(struct fb *b)
{
    body_gic(b, 3);
    fb_begin(b, "virtio");
    fb_prop_str(b, "compatible", "virtio,mmio");
    fb_prop_cells(b, "reg", (const uint32_t[]){ 0, 0xa000000, 0x200 }, 3);
    fb_prop_cells(b, "interrupts", (const uint32_t[]){ 7, 1, 1 }, 3);
    fb_end(b);
}

static void body_bad_irq_len(struct fb *b)
{
    body_gic(b, 3);
    fb_begin(b, "timer");
    fb_prop_str(b, "compatible", "arm,armv8-timer");
    fb_prop_cells(b, "interrupts", (const uint32_t[]){ 1, 13, 4, 1 }, 4);
    fb_end(b);
}

static void body_bad_ppi(struct fb *b)
{
    body_gic(b, 3);
    fb_begin(b, "timer");
    fb_prop_str(b, "compatible", "arm,armv8-timer");
    fb_prop_cells(b, "interrupts", (const uint32_t[]){ 1, 16, 4 }, 3);
    fb_end(b);
}

static void body_bad_icells(struct fb *b)
{
    body_gic(b, 9);
}

static void body_virtio_no_reg(struct fb *b)
{
    fb_begin(b, "virtio");
    fb_prop_str(b, "compatible", "virtio,mmio");
    fb_end(b);
}

static void body_bad_compat(struct fb *b)
{
    fb_begin(b, "x");
    fb_prop(b, "compatible", "virtio,mmio", 11); /* no NUL */
    fb_end(b);
}

static void body_bad_memory_reg(struct fb *b)
{
    fb_begin(b, "memory@0");
    fb_prop_str(b, "device_type", "memory");
    fb_prop_cells(b, "reg", (const uint32_t[]){ 0, 0x40000000 }, 2); /* needs 3 */
    fb_end(b);
}

static void body_bad_initrd(struct fb *b)
{
    fb_begin(b, "chosen");
    fb_prop_u32(b, "linux,initrd-start", 0x2000);
    fb_prop_u32(b, "linux,initrd-end", 0x1000);
    fb_end(b);
}

static void body_cpu_no_reg(struct fb *b)
{
    fb_begin(b, "cpus");
    fb_begin(b, "cpu@0");
    fb_prop_str(b, "device_type", "cpu");
    fb_end(b);
    fb_end(b);
}

static void body_plic_bad_source(struct fb *b)
{
    fb_begin(b, "plic");
    fb_prop_str(b, "compatible", "riscv,plic0");
    fb_prop_cells(b, "reg", (const uint32_t[]){ 0, 0xc000000, 0x600000 }, 3);
    fb_prop_u32(b, "riscv,ndev", 10);
    fb_end(b);
    fb_begin(b, "uart");
    fb_prop_str(b, "compatible", "ns16550a");
    fb_prop_cells(b, "reg", (const uint32_t[]){ 0, 0x10000000, 0x100 }, 3);
    fb_prop_u32(b, "interrupts", 11);
    fb_end(b);
}

static void body_minimal_ok(struct fb *b)
{
    body_gic(b, 3);
    fb_begin(b, "psci");
    fb_prop(b, "compatible", "arm,psci-0.2\0arm,psci", 22);
    fb_prop_str(b, "method", "magic");
    fb_end(b);
}

static void test_platform_malformed(void **state)
{
    (void)state;
    struct fdt_platform p;
    assert_int_equal(platform_built(body_bad_irq_type, &p), -AX_EINVAL);
    assert_int_equal(platform_built(body_bad_irq_len, &p), -AX_EINVAL);
    assert_int_equal(platform_built(body_bad_ppi, &p), -AX_ERANGE);
    assert_int_equal(platform_built(body_bad_icells, &p), -AX_EINVAL);
    assert_int_equal(platform_built(body_virtio_no_reg, &p), -AX_EINVAL);
    assert_int_equal(platform_built(body_bad_compat, &p), -AX_EINVAL);
    assert_int_equal(platform_built(body_bad_memory_reg, &p), -AX_EINVAL);
    assert_int_equal(platform_built(body_bad_initrd, &p), -AX_EINVAL);
    assert_int_equal(platform_built(body_cpu_no_reg, &p), -AX_EINVAL);
    assert_int_equal(platform_built(body_plic_bad_source, &p), -AX_ERANGE);
    assert_int_equal(fdt_parse_platform(NULL, 0, &p), -AX_EINVAL);

    /* Optional parts missing: fine, flagged absent. */
    assert_int_equal(platform_built(body_nothing, &p), 0);
    assert_int_equal(p.mem_count + p.cpu_count + p.virtio_count + p.reserved_count, 0);
    assert_int_equal(p.intc.kind, FDT_INTC_NONE);
    assert_int_equal(p.uart.kind, FDT_UART_NONE);
    assert_false(p.psci.present);
    assert_int_equal(platform_built(body_minimal_ok, &p), 0);
    assert_int_equal(p.intc.kind, FDT_INTC_GICV3);
    assert_int_equal(p.intc.maint_intid, FDT_IRQ_NONE);
    assert_true(p.psci.present);
    assert_int_equal(p.psci.method, FDT_PSCI_NONE); /* unknown method */
    assert_true(p.psci.v0_2);
    assert_int_equal(p.psci.cpu_on_fn, FDT_PSCI_0_2_CPU_ON_64);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_all_fixtures),
        cmocka_unit_test(test_header_errors),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_struct_errors),
        cmocka_unit_test(test_struct_errors_raw),
        cmocka_unit_test(test_word_corruption),
        cmocka_unit_test(test_walk_qemu),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_props),
        cmocka_unit_test(test_phandle_compatible),
        cmocka_unit_test(test_reg),
        cmocka_unit_test(test_reg_translation_errors),
        cmocka_unit_test(test_platform_qemu_gicv3),
        cmocka_unit_test(test_platform_qemu_gicv2),
        cmocka_unit_test(test_platform_qemu_riscv),
        cmocka_unit_test(test_platform_unaligned),
        cmocka_unit_test(test_platform_riscv_cells1),
        cmocka_unit_test(test_platform_arm_gicv2_misc),
        cmocka_unit_test(test_platform_arm_gicv3_multi),
        cmocka_unit_test(test_platform_overflow),
        cmocka_unit_test(test_platform_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
