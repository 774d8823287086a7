/* The MOV-class x86-64 decoder used for MMIO emulation: every accepted
 * form with its operands, prefixes, addressing modes and the register
 * write semantics, and the inputs it must refuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ax/x86_decode.h"

struct want {
    const char *what;
    uint8_t bytes[16];
    size_t n;
    int kind;
    unsigned len, width, reg, reg_width;
    bool high8, sign;
};

#define B(...) {__VA_ARGS__}, sizeof((uint8_t[]){__VA_ARGS__})

static const struct want cases[] = {
    /* what, bytes, kind, len, width, reg, reg_width, high8, sign */
    {"mov (%rbx),%al", B(0x8A, 0x03), X86_MOV_LOAD, 2, 1, 0, 1, false, false},
    {"mov (%rsi),%ah", B(0x8A, 0x26), X86_MOV_LOAD, 2, 1, 0, 1, true, false},
    {"mov (%rdx),%sil", B(0x40, 0x8A, 0x32), X86_MOV_LOAD, 3, 1, 6, 1, false, false},
    {"mov (%rcx),%r11b", B(0x44, 0x8A, 0x19), X86_MOV_LOAD, 3, 1, 11, 1, false, false},
    {"mov (%rcx),%dx", B(0x66, 0x8B, 0x11), X86_MOV_LOAD, 3, 2, 2, 2, false, false},
    {"mov (%rdi),%esi", B(0x8B, 0x37), X86_MOV_LOAD, 2, 4, 6, 4, false, false},
    {"mov (%r8),%r9", B(0x4D, 0x8B, 0x08), X86_MOV_LOAD, 3, 8, 9, 8, false, false},
    {"mov %r9,(%r10)", B(0x4D, 0x89, 0x0A), X86_MOV_STORE, 3, 8, 9, 8, false, false},
    {"mov %ah,(%rcx)", B(0x88, 0x21), X86_MOV_STORE, 2, 1, 0, 1, true, false},
    {"movzbl (%rbx),%ecx", B(0x0F, 0xB6, 0x0B), X86_MOV_LOAD, 3, 1, 1, 4, false, false},
    {"movzwq (%rdx),%r12", B(0x4C, 0x0F, 0xB7, 0x22), X86_MOV_LOAD, 4, 2, 12, 8, false, false},
    {"movsbq (%r13),%r14", B(0x4D, 0x0F, 0xBE, 0x75, 0x00), X86_MOV_LOAD, 5, 1, 14, 8, false, true},
    {"movswl (%r15),%eax", B(0x41, 0x0F, 0xBF, 0x07), X86_MOV_LOAD, 4, 2, 0, 4, false, true},
    {"movsbw (%rdi),%ax", B(0x66, 0x0F, 0xBE, 0x07), X86_MOV_LOAD, 4, 1, 0, 2, false, true},
    {"movslq (%rcx),%r8", B(0x4C, 0x63, 0x01), X86_MOV_LOAD, 3, 4, 8, 8, false, true},
    {"movb $0x5a,(%rbx)", B(0xC6, 0x03, 0x5A), X86_MOV_STORE_IMM, 3, 1, 0, 0, false, false},
    {"movw $0x1234,(%rcx)", B(0x66, 0xC7, 0x01, 0x34, 0x12), X86_MOV_STORE_IMM, 5, 2, 0, 0, false, false},
    {"movq $-1,(%rsi)", B(0x48, 0xC7, 0x06, 0xFF, 0xFF, 0xFF, 0xFF), X86_MOV_STORE_IMM, 7, 8, 0, 0, false, false},
    {"mov 0x10(%rbx),%rax", B(0x48, 0x8B, 0x43, 0x10), X86_MOV_LOAD, 4, 8, 0, 8, false, false},
    {"mov 0x12345(%r12),%eax", B(0x41, 0x8B, 0x84, 0x24, 0x45, 0x23, 0x01, 0x00), X86_MOV_LOAD, 8, 4, 0, 4, false,
     false},
    {"lock; fs mov (%rax),%eax", B(0xF0, 0x64, 0x8B, 0x00), X86_MOV_LOAD, 4, 4, 0, 4, false, false},
    {"mov moffs64,%eax", B(0xA1, 0x00, 0x01, 0x00, 0x0B, 0, 0, 0, 0), X86_MOV_LOAD, 9, 4, 0, 4, false, false},
    {"mov %al,moffs64", B(0xA2, 0x08, 0x00, 0x00, 0x0B, 0, 0, 0, 0), X86_MOV_STORE, 9, 1, 0, 1, false, false},
};

static void test_forms(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct want *w = &cases[i];
        struct x86_insn in;
        int rc = x86_decode(w->bytes, w->n, &in);
        if (rc != 0)
            fail_msg("%s: decode returned %d", w->what, rc);
        assert_int_equal(in.kind, w->kind);
        assert_int_equal(in.len, w->len);
        assert_int_equal(in.width, w->width);
        if (w->kind != X86_MOV_STORE_IMM) {
            assert_int_equal(in.reg, w->reg);
            assert_int_equal(in.reg_width, w->reg_width);
            assert_int_equal(in.reg_high8, w->high8);
        }
        assert_int_equal(in.sign_ext, w->sign);
        /* one byte short must ask for more, never succeed */
        struct x86_insn t;
        assert_int_equal(x86_decode(w->bytes, w->len - 1, &t), -AX_ERANGE);
    }
}

static uint64_t regs[16];

static void set_regs(void)
{
    for (unsigned i = 0; i < 16; i++)
        regs[i] = 0x1000ull * (i + 1);
}

static void test_addressing(void **state)
{
    (void)state;
    set_regs();
    struct x86_insn in;
    /* mov 0x100(%rsi,%rdi,8),%rax: 48 8B 84 FE 00 01 00 00 */
    const uint8_t sib[] = {0x48, 0x8B, 0x84, 0xFE, 0x00, 0x01, 0x00, 0x00};
    assert_int_equal(x86_decode(sib, sizeof(sib), &in), 0);
    assert_int_equal(in.base, 6);
    assert_int_equal(in.index, 7);
    assert_int_equal(in.scale, 8);
    assert_int_equal(x86_insn_addr(&in, regs, 0, 0), regs[6] + regs[7] * 8 + 0x100);
    /* mov 0x0b000000(,%rcx,4),%edx: 8B 14 8D 00 00 00 0B (no base) */
    const uint8_t nobase[] = {0x8B, 0x14, 0x8D, 0x00, 0x00, 0x00, 0x0B};
    assert_int_equal(x86_decode(nobase, sizeof(nobase), &in), 0);
    assert_int_equal(in.base, -1);
    assert_int_equal(x86_insn_addr(&in, regs, 0, 0), 0x0B000000ull + regs[1] * 4);
    /* mov -8(%rip),%eax: 8B 05 F8 FF FF FF */
    const uint8_t riprel[] = {0x8B, 0x05, 0xF8, 0xFF, 0xFF, 0xFF};
    assert_int_equal(x86_decode(riprel, sizeof(riprel), &in), 0);
    assert_true(in.rip_rel);
    assert_int_equal(x86_insn_addr(&in, regs, 0x40001006ull, 0), 0x40000FFEull);
    /* mov (%r13),%rcx needs disp8 0: 49 8B 4D 00 */
    const uint8_t r13[] = {0x49, 0x8B, 0x4D, 0x00};
    assert_int_equal(x86_decode(r13, sizeof(r13), &in), 0);
    assert_int_equal(in.base, 13);
    assert_int_equal(x86_insn_addr(&in, regs, 0, 0), regs[13]);
    /* 67: mov (%ebx),%eax truncates to 32 bits */
    regs[3] = 0xFFFFFFFF00001234ull;
    const uint8_t a32[] = {0x67, 0x8B, 0x03};
    assert_int_equal(x86_decode(a32, sizeof(a32), &in), 0);
    assert_true(in.addr32);
    assert_int_equal(x86_insn_addr(&in, regs, 0, 0), 0x1234);
    /* gs: segment base added */
    const uint8_t gs[] = {0x65, 0x8B, 0x00};
    assert_int_equal(x86_decode(gs, sizeof(gs), &in), 0);
    assert_int_equal(in.seg, X86_SEG_GS);
    assert_int_equal(x86_insn_addr(&in, regs, 0, 0x7000), regs[0] + 0x7000);
    /* REX.X extends the index, REX.B the base: mov (%r9,%r10,2),%al 43 8A 04 51 */
    const uint8_t rexxb[] = {0x43, 0x8A, 0x04, 0x51};
    assert_int_equal(x86_decode(rexxb, sizeof(rexxb), &in), 0);
    assert_int_equal(in.base, 9);
    assert_int_equal(in.index, 10);
    assert_int_equal(in.scale, 2);
}

static void test_values(void **state)
{
    (void)state;
    set_regs();
    struct x86_insn in;
    regs[0] = 0x1122334455667788ull;
    /* mov %ah,(%rcx) stores bits 8..15 */
    const uint8_t st_ah[] = {0x88, 0x21};
    assert_int_equal(x86_decode(st_ah, sizeof(st_ah), &in), 0);
    assert_int_equal(x86_insn_store_value(&in, regs), 0x77);
    /* 16-bit store: low 16 bits only */
    const uint8_t st_w[] = {0x66, 0x89, 0x01};
    assert_int_equal(x86_decode(st_w, sizeof(st_w), &in), 0);
    assert_int_equal(x86_insn_store_value(&in, regs), 0x7788);
    /* movq $-1 is sign-extended to 64 bits */
    const uint8_t imm[] = {0x48, 0xC7, 0x06, 0xFF, 0xFF, 0xFF, 0xFF};
    assert_int_equal(x86_decode(imm, sizeof(imm), &in), 0);
    assert_int_equal(x86_insn_store_value(&in, regs), ~0ull);
    /* 8-bit load into AL keeps the rest; into AH only bits 8..15 change */
    const uint8_t ld_al[] = {0x8A, 0x03};
    assert_int_equal(x86_decode(ld_al, sizeof(ld_al), &in), 0);
    assert_int_equal(x86_insn_load_result(&in, regs[0], 0xAB), 0x11223344556677ABull);
    const uint8_t ld_ah[] = {0x8A, 0x26};
    assert_int_equal(x86_decode(ld_ah, sizeof(ld_ah), &in), 0);
    assert_int_equal(x86_insn_load_result(&in, regs[0], 0xAB), 0x112233445566AB88ull);
    /* 32-bit load zeroes the upper half; 16-bit keeps it */
    const uint8_t ld_l[] = {0x8B, 0x37};
    assert_int_equal(x86_decode(ld_l, sizeof(ld_l), &in), 0);
    assert_int_equal(x86_insn_load_result(&in, ~0ull, 0x12345678), 0x12345678);
    const uint8_t ld_w[] = {0x66, 0x8B, 0x11};
    assert_int_equal(x86_decode(ld_w, sizeof(ld_w), &in), 0);
    assert_int_equal(x86_insn_load_result(&in, ~0ull, 0x1234), 0xFFFFFFFFFFFF1234ull);
    /* movsbl: sign-extend to 32 and zero the upper half */
    const uint8_t sbl[] = {0x0F, 0xBE, 0x37};
    assert_int_equal(x86_decode(sbl, sizeof(sbl), &in), 0);
    assert_int_equal(x86_insn_load_result(&in, ~0ull, 0x80), 0xFFFFFF80ull);
    /* movsbw: sign-extend to 16, keep bits 16..63 */
    const uint8_t sbw[] = {0x66, 0x0F, 0xBE, 0x07};
    assert_int_equal(x86_decode(sbw, sizeof(sbw), &in), 0);
    assert_int_equal(x86_insn_load_result(&in, 0xAAAAAAAAAAAAAAAAull, 0x80), 0xAAAAAAAAAAAAFF80ull);
    /* movslq */
    const uint8_t slq[] = {0x48, 0x63, 0x01};
    assert_int_equal(x86_decode(slq, sizeof(slq), &in), 0);
    assert_int_equal(x86_insn_load_result(&in, 0, 0x80000000ull), 0xFFFFFFFF80000000ull);
}

static void test_refused(void **state)
{
    (void)state;
    struct x86_insn in;
    const uint8_t regreg[] = {0x89, 0xC3};        /* mov %eax,%ebx: no memory */
    const uint8_t add[] = {0x01, 0x03};           /* add */
    const uint8_t rep[] = {0xF3, 0x8B, 0x03};     /* rep prefix */
    const uint8_t c7_1[] = {0xC7, 0x08, 1, 2, 3, 4}; /* C7 /1 */
    const uint8_t movsxd[] = {0x63, 0x01};        /* no REX.W */
    const uint8_t twobyte[] = {0x0F, 0x05};       /* syscall */
    assert_int_equal(x86_decode(regreg, sizeof(regreg), &in), -AX_EINVAL);
    assert_int_equal(x86_decode(add, sizeof(add), &in), -AX_EINVAL);
    assert_int_equal(x86_decode(rep, sizeof(rep), &in), -AX_EINVAL);
    assert_int_equal(x86_decode(c7_1, sizeof(c7_1), &in), -AX_EINVAL);
    assert_int_equal(x86_decode(movsxd, sizeof(movsxd), &in), -AX_EINVAL);
    assert_int_equal(x86_decode(twobyte, sizeof(twobyte), &in), -AX_EINVAL);
    assert_int_equal(x86_decode(regreg, 0, &in), -AX_ERANGE);
    /* more than 15 bytes of prefixes: the architectural limit */
    uint8_t many[20];
    memset(many, 0x66, sizeof(many));
    assert_int_equal(x86_decode(many, sizeof(many), &in), -AX_EINVAL);
    /* a REX followed by a legacy prefix is dropped: 48 66 8B 03 is a 16-bit load */
    const uint8_t lost_rex[] = {0x48, 0x66, 0x8B, 0x03};
    assert_int_equal(x86_decode(lost_rex, sizeof(lost_rex), &in), 0);
    assert_int_equal(in.width, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forms),
        cmocka_unit_test(test_addressing),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
