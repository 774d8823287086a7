/* The aarch64 load/store forms the mmio test runs against the dummy device.
 *
 * The hypervisor learns an MMIO access from the data abort syndrome (ESR_EL2
 * ISS: size SAS, sign extension SSE, register SRT, 64-bit register SF,
 * acquire/release AR), so the forms vary exactly those: every width, sign
 * extension into w and x registers, low, high and callee-saved registers,
 * x30, the zero register (SRT 31 is xzr here, never sp), a destination that
 * is also the base, and addressing modes that still give a valid syndrome
 * (immediate, unscaled and register offsets, load-acquire/store-release).
 * Forms without a syndrome (writeback, pairs, exclusives) are left out: the
 * hypervisor stops a VM that uses them on MMIO.
 *
 * Each function is one instruction on fixed registers: register variables
 * pin the operands, the template names them literally. */
#include "kit.h"

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

LOAD_FN(ldrb_w19, "ldrb w19, [x28]", "x19", "x28", 0)
LOAD_FN(ldrh_w0, "ldrh w0, [x1]", "x0", "x1", 0)
LOAD_FN(ldr_w7, "ldr w7, [x8]", "x7", "x8", 0)
LOAD_FN(ldr_x28, "ldr x28, [x19]", "x28", "x19", 0)
LOAD_FN(ldrsb_w19, "ldrsb w19, [x28]", "x19", "x28", 0)
LOAD_FN(ldrsb_x20, "ldrsb x20, [x21]", "x20", "x21", 0)
LOAD_FN(ldrsh_w28, "ldrsh w28, [x19]", "x28", "x19", 0)
LOAD_FN(ldrsh_x2, "ldrsh x2, [x3]", "x2", "x3", 0)
LOAD_FN(ldrsw_x19, "ldrsw x19, [x28]", "x19", "x28", 0)
LOAD_FN(ldr_x5_imm, "ldr x5, [x6, #8]", "x5", "x6", 8)
LOAD_FN(ldur_w9, "ldur w9, [x10, #-4]", "x9", "x10", -4)
LOAD_FN(ldrh_w11_imm, "ldrh w11, [x12, #0x10]", "x11", "x12", 0x10)
LOAD_FN(ldar_x22, "ldar x22, [x23]", "x22", "x23", 0)
LOAD_FN(ldarb_w24, "ldarb w24, [x25]", "x24", "x25", 0)
LOAD_FN(ldr_w30, "ldr w30, [x0]", "x30", "x0", 0)

/* register offset: [x14, x15] */
static uint64_t ldr_x13_reg(uintptr_t a, uint64_t poison)
{
    register uint64_t d __asm__("x13") = poison;
    register uintptr_t b __asm__("x14") = a - 0x20;
    register uint64_t o __asm__("x15") = 0x20;
    __asm__ volatile("ldr x13, [x14, x15]" : "+r"(d) : "r"(b), "r"(o) : "memory");
    return d;
}

/* the loaded value replaces the base register */
static uint64_t ldr_x3_self(uintptr_t a, uint64_t poison)
{
    (void)poison;
    register uint64_t d __asm__("x3") = a;
    __asm__ volatile("ldr x3, [x3]" : "+r"(d) : : "memory");
    return d;
}

/* Rt = 31 on a load is xzr: the value goes nowhere, sp must not change. */
static uint64_t ldr_xzr(uintptr_t a, uint64_t unused)
{
    (void)unused;
    register uintptr_t b __asm__("x4") = a;
    uint64_t before, after;
    __asm__ volatile("mov %0, sp\n\tldr xzr, [%2]\n\tmov %1, sp"
                     : "=&r"(before), "=&r"(after)
                     : "r"(b)
                     : "memory");
    return before == after;
}

static uint64_t ldrb_wzr(uintptr_t a, uint64_t unused)
{
    (void)unused;
    register uintptr_t b __asm__("x4") = a;
    uint64_t before, after;
    __asm__ volatile("mov %0, sp\n\tldrb wzr, [%2]\n\tmov %1, sp"
                     : "=&r"(before), "=&r"(after)
                     : "r"(b)
                     : "memory");
    return before == after;
}

STORE_FN(strb_w19, "strb w19, [x28]", "x19", "x28", 0)
STORE_FN(strh_w28, "strh w28, [x19]", "x28", "x19", 0)
STORE_FN(str_w0, "str w0, [x1]", "x0", "x1", 0)
STORE_FN(str_x19, "str x19, [x28]", "x19", "x28", 0)
STORE_FN(str_x5_imm, "str x5, [x6, #16]", "x5", "x6", 16)
STORE_FN(stur_w9, "stur w9, [x10, #-4]", "x9", "x10", -4)
STORE_FN(stlr_x22, "stlr x22, [x23]", "x22", "x23", 0)
STORE_FN(stlrh_w24, "stlrh w24, [x25]", "x24", "x25", 0)
STORE_FN(str_x30, "str x30, [x0]", "x30", "x0", 0)
STORE_ZERO_FN(strb_wzr, "strb wzr, [x28]", "x28")
STORE_ZERO_FN(strh_wzr, "strh wzr, [x19]", "x19")
STORE_ZERO_FN(str_wzr, "str wzr, [x2]", "x2")
STORE_ZERO_FN(str_xzr, "str xzr, [x19]", "x19")

static uint64_t str_x11_reg(uintptr_t a, uint64_t v)
{
    register uint64_t s __asm__("x11") = v;
    register uintptr_t b __asm__("x12") = a - 0x40;
    register uint64_t o __asm__("x13") = 0x40;
    __asm__ volatile("str x11, [x12, x13]" : : "r"(s), "r"(b), "r"(o) : "memory");
    return 0;
}

#define LOAD(insn, fn, width, bits, sign) { insn, KIT_MMIO_LOAD, width, bits, sign, false, false, fn }
#define DISCARD(insn, fn, width) { insn, KIT_MMIO_LOAD_DISCARD, width, 0, false, false, false, fn }
#define STORE(insn, fn, width) { insn, KIT_MMIO_STORE, width, 0, false, false, false, fn }
#define STORE_ZERO(insn, fn, width) { insn, KIT_MMIO_STORE, width, 0, false, false, true, fn }

const struct kit_mmio_form kit_arch_mmio_forms[] = {
    LOAD("ldrb w19, [x28]", ldrb_w19, 1, 32, false),
    LOAD("ldrh w0, [x1]", ldrh_w0, 2, 32, false),
    LOAD("ldr w7, [x8]", ldr_w7, 4, 32, false),
    LOAD("ldr x28, [x19]", ldr_x28, 8, 64, false),
    LOAD("ldrsb w19, [x28]", ldrsb_w19, 1, 32, true),
    LOAD("ldrsb x20, [x21]", ldrsb_x20, 1, 64, true),
    LOAD("ldrsh w28, [x19]", ldrsh_w28, 2, 32, true),
    LOAD("ldrsh x2, [x3]", ldrsh_x2, 2, 64, true),
    LOAD("ldrsw x19, [x28]", ldrsw_x19, 4, 64, true),
    LOAD("ldr x5, [x6, #8]", ldr_x5_imm, 8, 64, false),
    LOAD("ldur w9, [x10, #-4]", ldur_w9, 4, 32, false),
    LOAD("ldrh w11, [x12, #0x10]", ldrh_w11_imm, 2, 32, false),
    LOAD("ldr x13, [x14, x15]", ldr_x13_reg, 8, 64, false),
    LOAD("ldar x22, [x23]", ldar_x22, 8, 64, false),
    LOAD("ldarb w24, [x25]", ldarb_w24, 1, 32, false),
    LOAD("ldr w30, [x0]", ldr_w30, 4, 32, false),
    LOAD("ldr x3, [x3]", ldr_x3_self, 8, 64, false),
    DISCARD("ldr xzr, [x4]", ldr_xzr, 8),
    DISCARD("ldrb wzr, [x4]", ldrb_wzr, 1),
    STORE("strb w19, [x28]", strb_w19, 1),
    STORE("strh w28, [x19]", strh_w28, 2),
    STORE("str w0, [x1]", str_w0, 4),
    STORE("str x19, [x28]", str_x19, 8),
    STORE("str x5, [x6, #16]", str_x5_imm, 8),
    STORE("stur w9, [x10, #-4]", stur_w9, 4),
    STORE("str x11, [x12, x13]", str_x11_reg, 8),
    STORE("stlr x22, [x23]", stlr_x22, 8),
    STORE("stlrh w24, [x25]", stlrh_w24, 2),
    STORE("str x30, [x0]", str_x30, 8),
    STORE_ZERO("strb wzr, [x28]", strb_wzr, 1),
    STORE_ZERO("strh wzr, [x19]", strh_wzr, 2),
    STORE_ZERO("str wzr, [x2]", str_wzr, 4),
    STORE_ZERO("str xzr, [x19]", str_xzr, 8),
};

const unsigned kit_arch_mmio_nforms = ARRAY_SIZE(kit_arch_mmio_forms);
