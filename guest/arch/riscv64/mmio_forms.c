/* The riscv64 load/store forms the mmio test runs against the dummy device.
 *
 * The hypervisor learns an MMIO access by decoding the trapped instruction
 * (from htinst, or read from guest memory), so the forms vary what the
 * decoder must get right: every width, sign and zero extension, low, high
 * and callee-saved destination and source registers, ra, the zero register
 * (a load into x0 is discarded, a store of x0 writes 0), a destination
 * that is also the base, positive and negative offsets, and the compressed
 * forms (c.lw, c.ld, c.sw, c.sd on x8..x15 and the sp-based c.lwsp,
 * c.ldsp, c.swsp, c.sdsp, run with sp pointing at the device).
 *
 * Each function is one access instruction on fixed registers: register
 * variables pin the operands, the template names them literally. */
#include "kit.h"

#define RVC(insn) ".option push\n.option rvc\n" insn "\n.option pop\n"
#define NORVC(insn) ".option push\n.option norvc\n" insn "\n.option pop\n"

/* dst <- [base + off], with dst preset to poison to show that the
 * instruction wrote the whole register. */
#define LOAD_FN(fn, insn, dst, base, off)                           \
    static uint64_t fn(uintptr_t a, uint64_t poison)                \
    {                                                               \
        register uint64_t d __asm__(dst) = poison;                  \
        register uintptr_t b __asm__(base) = a - (off);             \
        __asm__ volatile(insn : "+r"(d) : "r"(b) : "memory");       \
        return d;                                                   \
    }

#define STORE_FN(fn, insn, src, base, off)                          \
    static uint64_t fn(uintptr_t a, uint64_t v)                     \
    {                                                               \
        register uint64_t s __asm__(src) = v;                       \
        register uintptr_t b __asm__(base) = a - (off);             \
        __asm__ volatile(insn : : "r"(s), "r"(b) : "memory");       \
        return 0;                                                   \
    }

#define STORE_ZERO_FN(fn, insn, base)                               \
    static uint64_t fn(uintptr_t a, uint64_t v)                     \
    {                                                               \
        (void)v;                                                    \
        register uintptr_t b __asm__(base) = a;                     \
        __asm__ volatile(insn : : "r"(b) : "memory");               \
        return 0;                                                   \
    }

/* sp-relative compressed forms: sp is pointed at the device for exactly
 * one instruction (no trap can come in between: the kit masks
 * interrupts, and the MMIO trap goes to the hypervisor, not to us) */
#define SP_LOAD_FN(fn, insn, dst)                                               \
    static uint64_t fn(uintptr_t a, uint64_t poison)                            \
    {                                                                           \
        register uint64_t d __asm__(dst) = poison;                              \
        register uintptr_t b __asm__("t0") = a;                                 \
        __asm__ volatile("mv t1, sp\n\tmv sp, %1\n" RVC(insn) "\tmv sp, t1"      \
                         : "+r"(d) : "r"(b) : "t1", "memory");                  \
        return d;                                                               \
    }

#define SP_STORE_FN(fn, insn, src)                                              \
    static uint64_t fn(uintptr_t a, uint64_t v)                                 \
    {                                                                           \
        register uint64_t s __asm__(src) = v;                                   \
        register uintptr_t b __asm__("t0") = a;                                 \
        __asm__ volatile("mv t1, sp\n\tmv sp, %1\n" RVC(insn) "\tmv sp, t1"      \
                         : : "r"(s), "r"(b) : "t1", "memory");                  \
        return 0;                                                               \
    }

LOAD_FN(lb_a5, NORVC("lb a5, 0(a4)"), "a5", "a4", 0)
LOAD_FN(lh_s2, NORVC("lh s2, 0(s3)"), "s2", "s3", 0)
LOAD_FN(lw_t6, NORVC("lw t6, 0(t5)"), "t6", "t5", 0)
LOAD_FN(ld_s11, NORVC("ld s11, 0(a0)"), "s11", "a0", 0)
LOAD_FN(lbu_ra, NORVC("lbu ra, 0(a1)"), "ra", "a1", 0)
LOAD_FN(lhu_a0, NORVC("lhu a0, 0(a1)"), "a0", "a1", 0)
LOAD_FN(lwu_s4, NORVC("lwu s4, 0(a7)"), "s4", "a7", 0)
LOAD_FN(ld_t2_imm, NORVC("ld t2, 8(a2)"), "t2", "a2", 8)
LOAD_FN(lw_a3_neg, NORVC("lw a3, -4(a6)"), "a3", "a6", -4)
LOAD_FN(lhu_s5_imm, NORVC("lhu s5, 0x10(s6)"), "s5", "s6", 0x10)
LOAD_FN(c_lw_a1, RVC("c.lw a1, 0(a2)"), "a1", "a2", 0)
LOAD_FN(c_ld_s0, RVC("c.ld s0, 8(a5)"), "s0", "a5", 8)
SP_LOAD_FN(c_lwsp_a3, "c.lwsp a3, 0(sp)", "a3")
SP_LOAD_FN(c_ldsp_s7, "c.ldsp s7, 0(sp)", "s7")

/* the loaded value replaces the base register */
static uint64_t ld_a2_self(uintptr_t a, uint64_t poison)
{
    (void)poison;
    register uint64_t d __asm__("a2") = a;
    __asm__ volatile(NORVC("ld a2, 0(a2)") : "+r"(d) : : "memory");
    return d;
}

/* a load into x0: the value goes nowhere, sp must not change */
static uint64_t lw_zero(uintptr_t a, uint64_t unused)
{
    (void)unused;
    register uintptr_t b __asm__("a4") = a;
    uint64_t before, after;
    __asm__ volatile("mv %0, sp\n" NORVC("lw zero, 0(%2)") "mv %1, sp"
                     : "=&r"(before), "=&r"(after)
                     : "r"(b)
                     : "memory");
    return before == after;
}

static uint64_t lbu_zero(uintptr_t a, uint64_t unused)
{
    (void)unused;
    register uintptr_t b __asm__("a4") = a;
    uint64_t before, after;
    __asm__ volatile("mv %0, sp\n" NORVC("lbu zero, 0(%2)") "mv %1, sp"
                     : "=&r"(before), "=&r"(after)
                     : "r"(b)
                     : "memory");
    return before == after;
}

STORE_FN(sb_s2, NORVC("sb s2, 0(s3)"), "s2", "s3", 0)
STORE_FN(sh_t6, NORVC("sh t6, 0(t5)"), "t6", "t5", 0)
STORE_FN(sw_a0, NORVC("sw a0, 0(a1)"), "a0", "a1", 0)
STORE_FN(sd_s11, NORVC("sd s11, 0(a0)"), "s11", "a0", 0)
STORE_FN(sd_t2_imm, NORVC("sd t2, 16(a2)"), "t2", "a2", 16)
STORE_FN(sw_a3_neg, NORVC("sw a3, -4(a6)"), "a3", "a6", -4)
STORE_FN(sd_ra, NORVC("sd ra, 0(a1)"), "ra", "a1", 0)
STORE_FN(c_sw_a4, RVC("c.sw a4, 4(a3)"), "a4", "a3", 4)
STORE_FN(c_sd_s1, RVC("c.sd s1, 0(a0)"), "s1", "a0", 0)
SP_STORE_FN(c_swsp_a5, "c.swsp a5, 0(sp)", "a5")
SP_STORE_FN(c_sdsp_s8, "c.sdsp s8, 0(sp)", "s8")
STORE_ZERO_FN(sb_zero, NORVC("sb zero, 0(s3)"), "s3")
STORE_ZERO_FN(sh_zero, NORVC("sh zero, 0(a1)"), "a1")
STORE_ZERO_FN(sw_zero, NORVC("sw zero, 0(a2)"), "a2")
STORE_ZERO_FN(sd_zero, NORVC("sd zero, 0(s4)"), "s4")

#define LOAD(insn, fn, width, sign) { insn, KIT_MMIO_LOAD, width, 64, sign, false, false, fn }
#define DISCARD(insn, fn, width) { insn, KIT_MMIO_LOAD_DISCARD, width, 0, false, false, false, fn }
#define STORE(insn, fn, width) { insn, KIT_MMIO_STORE, width, 0, false, false, false, fn }
#define STORE_ZERO(insn, fn, width) { insn, KIT_MMIO_STORE, width, 0, false, false, true, fn }

const struct kit_mmio_form kit_arch_mmio_forms[] = {
    LOAD("lb a5, 0(a4)", lb_a5, 1, true),
    LOAD("lh s2, 0(s3)", lh_s2, 2, true),
    LOAD("lw t6, 0(t5)", lw_t6, 4, true),
    LOAD("ld s11, 0(a0)", ld_s11, 8, false),
    LOAD("lbu ra, 0(a1)", lbu_ra, 1, false),
    LOAD("lhu a0, 0(a1)", lhu_a0, 2, false),
    LOAD("lwu s4, 0(a7)", lwu_s4, 4, false),
    LOAD("ld t2, 8(a2)", ld_t2_imm, 8, false),
    LOAD("lw a3, -4(a6)", lw_a3_neg, 4, true),
    LOAD("lhu s5, 0x10(s6)", lhu_s5_imm, 2, false),
    LOAD("c.lw a1, 0(a2)", c_lw_a1, 4, true),
    LOAD("c.ld s0, 8(a5)", c_ld_s0, 8, false),
    LOAD("c.lwsp a3, 0(sp)", c_lwsp_a3, 4, true),
    LOAD("c.ldsp s7, 0(sp)", c_ldsp_s7, 8, false),
    LOAD("ld a2, 0(a2)", ld_a2_self, 8, false),
    DISCARD("lw zero, 0(a4)", lw_zero, 4),
    DISCARD("lbu zero, 0(a4)", lbu_zero, 1),
    STORE("sb s2, 0(s3)", sb_s2, 1),
    STORE("sh t6, 0(t5)", sh_t6, 2),
    STORE("sw a0, 0(a1)", sw_a0, 4),
    STORE("sd s11, 0(a0)", sd_s11, 8),
    STORE("sd t2, 16(a2)", sd_t2_imm, 8),
    STORE("sw a3, -4(a6)", sw_a3_neg, 4),
    STORE("sd ra, 0(a1)", sd_ra, 8),
    STORE("c.sw a4, 4(a3)", c_sw_a4, 4),
    STORE("c.sd s1, 0(a0)", c_sd_s1, 8),
    STORE("c.swsp a5, 0(sp)", c_swsp_a5, 4),
    STORE("c.sdsp s8, 0(sp)", c_sdsp_s8, 8),
    STORE_ZERO("sb zero, 0(s3)", sb_zero, 1),
    STORE_ZERO("sh zero, 0(a1)", sh_zero, 2),
    STORE_ZERO("sw zero, 0(a2)", sw_zero, 4),
    STORE_ZERO("sd zero, 0(s4)", sd_zero, 8),
};

const unsigned kit_arch_mmio_nforms = ARRAY_SIZE(kit_arch_mmio_forms);
