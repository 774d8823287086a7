/* Unit tests for the RISC-V load/store decoder (MMIO exits). Encodings come
 * from GNU as for rv64imafdc. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ax/rvdecode.h"

struct case_ {
    const char *text;
    uint32_t insn;
    bool store;
    unsigned width, reg, len;
    bool sign;
};

static const struct case_ good[] = {
    {"lb a5,0(a4)", 0x00070783, false, 1, 15, 4, true},
    {"lh s2,-2(s3)", 0xffe99903, false, 2, 18, 4, true},
    {"lw t6,4(t5)", 0x004f2f83, false, 4, 31, 4, true},
    {"ld s11,8(a0)", 0x00853d83, false, 8, 27, 4, false},
    {"lbu ra,0(a1)", 0x0005c083, false, 1, 1, 4, false},
    {"lhu a0,0(a1)", 0x0005d503, false, 2, 10, 4, false},
    {"lwu s4,0(a7)", 0x0008ea03, false, 4, 20, 4, false},
    {"lw zero,0(a4)", 0x00072003, false, 4, 0, 4, true},
    {"sb s2,0(s3)", 0x01298023, true, 1, 18, 4, false},
    {"sh t6,0(t5)", 0x01ff1023, true, 2, 31, 4, false},
    {"sw a0,-4(a1)", 0xfea5ae23, true, 4, 10, 4, false},
    {"sd s11,16(a0)", 0x01b53823, true, 8, 27, 4, false},
    {"sd zero,0(s4)", 0x000a3023, true, 8, 0, 4, false},
    {"c.lw a1,0(a2)", 0x420c, false, 4, 11, 2, true},
    {"c.ld s0,8(a5)", 0x6780, false, 8, 8, 2, false},
    {"c.sw a4,4(a3)", 0xc2d8, true, 4, 14, 2, false},
    {"c.sd s1,0(a0)", 0xe104, true, 8, 9, 2, false},
    {"c.lwsp a3,0(sp)", 0x4682, false, 4, 13, 2, true},
    {"c.ldsp s7,8(sp)", 0x6ba2, false, 8, 23, 2, false},
    {"c.swsp a5,0(sp)", 0xc03e, true, 4, 15, 2, false},
    {"c.sdsp s8,16(sp)", 0xe862, true, 8, 24, 2, false},
};

static void check(const struct case_ *c, const struct rv_access *a)
{
    print_message("%s\n", c->text);
    assert_int_equal(a->store, c->store);
    assert_int_equal(a->width, c->width);
    assert_int_equal(a->reg, c->reg);
    assert_int_equal(a->len, c->len);
    assert_int_equal(a->sign_ext, c->sign);
}

static void test_decode_loads_stores(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        struct rv_access a;
        uint32_t insn = good[i].insn;
        /* a compressed instruction is fetched with whatever follows it */
        if (good[i].len == 2)
            insn |= 0xdead0000u;
        assert_int_equal(rv_decode_access(insn, &a), 0);
        check(&good[i], &a);
    }
}

static void test_decode_rejects(void **state)
{
    (void)state;
    static const uint32_t bad[] = {
        0x00b6252f, /* amoadd.w: not an MMIO access we emulate */
        0x0005a507, /* flw */
        0x00000073, /* ecall */
        0x0505,     /* c.addi */
        0x00007003, /* LOAD funct3 7: reserved */
        0x00004023, /* STORE funct3 4: reserved */
        0x4002,     /* c.lwsp with rd = 0: reserved */
        0x0000,     /* the all-zero illegal instruction */
        0x2000,     /* c.fld */
        0x0000001f, /* 48-bit encoding prefix */
        0xffffffff,
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct rv_access a;
        print_message("%#x\n", bad[i]);
        assert_int_equal(rv_decode_access(bad[i], &a), -AX_EINVAL);
    }
}

static void test_insn_len(void **state)
{
    (void)state;
    assert_int_equal(rv_insn_len(0x420c), 2);
    assert_int_equal(rv_insn_len(0x0783), 4);
    assert_int_equal(rv_insn_len(0x001f), 0);
    assert_int_equal(rv_insn_len(0x003f), 0);
}

/* htinst carries the instruction with rs1 and the offset zeroed; bit 1
 * clear means the original was compressed. */
static void test_htinst(void **state)
{
    (void)state;
    struct rv_access a;
    /* lw t6, 0(x0), transformed from a 32-bit lw */
    assert_int_equal(rv_decode_htinst(0x00002f83, &a), 0);
    assert_false(a.store);
    assert_int_equal(a.width, 4);
    assert_int_equal(a.reg, 31);
    assert_int_equal(a.len, 4);
    assert_true(a.sign_ext);
    /* the same from a compressed original: bits 1:0 = 01 */
    assert_int_equal(rv_decode_htinst(0x00002f81, &a), 0);
    assert_int_equal(a.len, 2);
    /* sd s11 transformed */
    assert_int_equal(rv_decode_htinst(0x01b03023, &a), 0);
    assert_true(a.store);
    assert_int_equal(a.width, 8);
    assert_int_equal(a.reg, 27);
    /* nothing there: read the instruction instead */
    assert_int_equal(rv_decode_htinst(0, &a), -AX_ENOENT);
    assert_int_equal(rv_decode_htinst(0x1000, &a), -AX_ENOENT);
    assert_int_equal(rv_decode_htinst(1ull << 40 | 3, &a), -AX_ENOENT);
    /* implicit VS-stage page-table accesses */
    assert_int_equal(rv_decode_htinst(RV_HTINST_PT_READ32, &a), -AX_EFAULT);
    assert_int_equal(rv_decode_htinst(RV_HTINST_PT_WRITE64, &a), -AX_EFAULT);
    /* a transformed AMO is not a plain access */
    assert_int_equal(rv_decode_htinst(0x00b0252f, &a), -AX_EINVAL);
}

/* Every 16-bit pattern decodes or is rejected; what decodes is sane. */
static void test_all_compressed(void **state)
{
    (void)state;
    unsigned ok = 0;
    for (uint32_t c = 0; c < 0x10000; c++) {
        struct rv_access a = {0};
        if ((c & 3) == 3)
            continue;
        if (rv_decode_access(c, &a) == 0) {
            ok++;
            assert_int_equal(a.len, 2);
            assert_true(a.width == 4 || a.width == 8);
            assert_true(a.reg < 32);
        }
    }
    /* 11 free bits per form: c.lw/c.ld/c.sw/c.sd and the four sp forms,
     * less the c.lwsp/c.ldsp encodings with rd = 0 (6 free bits each) */
    assert_int_equal(ok, 8 * 2048 - 2 * 64);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_loads_stores),
        cmocka_unit_test(test_decode_rejects),
        cmocka_unit_test(test_insn_len),
        cmocka_unit_test(test_htinst),
        cmocka_unit_test(test_all_compressed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
