/* The x86_64 MOV forms the mmio test runs against the dummy device.
 *
 * The hypervisor decodes each access from the instruction bytes (QEMU's
 * SVM gives no decode assist), so the forms vary what the decoder must get
 * right: every width, 8-bit registers with and without REX (AL, SIL, R11B)
 * and the legacy high byte AH, 16-bit forms with the 66 prefix (which keep
 * the register's other bits: `merge`), 32-bit forms (which zero bits
 * 32..63), movzx/movsx/movsxd, immediates, ModRM with disp8/disp32, SIB
 * with and without a base, R12/R13 as base (SIB and disp8 encodings), and
 * 32-bit addressing (67 prefix).
 *
 * Each function is one instruction on fixed registers: register variables
 * pin the operands, the template names them literally. */
#include "kit.h"

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

LOAD_FN(ld_b_al, "movb (%%rbx), %%al", "rax", "rbx", 0)
LOAD_FN(ld_b_r11b, "movb (%%rcx), %%r11b", "r11", "rcx", 0)
LOAD_FN(ld_b_sil, "movb (%%rdx), %%sil", "rsi", "rdx", 0)
LOAD_FN(ld_w_dx, "movw (%%rcx), %%dx", "rdx", "rcx", 0)
LOAD_FN(ld_w_r10w, "movw (%%r9), %%r10w", "r10", "r9", 0)
LOAD_FN(ld_l_esi, "movl (%%rdi), %%esi", "rsi", "rdi", 0)
LOAD_FN(ld_l_r15d, "movl (%%r14), %%r15d", "r15", "r14", 0)
LOAD_FN(ld_q_r9, "movq (%%r8), %%r9", "r9", "r8", 0)
LOAD_FN(ld_q_disp8, "movq 0x10(%%rbx), %%rax", "rax", "rbx", 0x10)
LOAD_FN(ld_q_r13, "movq (%%r13), %%rcx", "rcx", "r13", 0)
LOAD_FN(ld_l_r12_disp32, "movl 0x12345(%%r12), %%eax", "rax", "r12", 0x12345)
LOAD_FN(ld_zbl, "movzbl (%%rbx), %%ecx", "rcx", "rbx", 0)
LOAD_FN(ld_zwl, "movzwl (%%rsi), %%edi", "rdi", "rsi", 0)
LOAD_FN(ld_zbq, "movzbq (%%r10), %%r11", "r11", "r10", 0)
LOAD_FN(ld_zwq, "movzwq (%%rdx), %%r12", "r12", "rdx", 0)
LOAD_FN(ld_sbl, "movsbl (%%rsi), %%edi", "rdi", "rsi", 0)
LOAD_FN(ld_sbq, "movsbq (%%r13), %%r14", "r14", "r13", 0)
LOAD_FN(ld_swl, "movswl (%%r15), %%eax", "rax", "r15", 0)
LOAD_FN(ld_swq, "movswq (%%rbx), %%rdx", "rdx", "rbx", 0)
LOAD_FN(ld_slq, "movslq (%%rcx), %%r8", "r8", "rcx", 0)
LOAD_FN(ld_sbw, "movsbw (%%rdi), %%ax", "rax", "rdi", 0)

/* the destination is also the base: only the low byte is checked */
static uint64_t ld_b_self(uintptr_t a, uint64_t poison)
{
    (void)poison;
    register uint64_t d __asm__("rax") = a;
    __asm__ volatile("movb (%%rax), %%al" : "+r"(d) : : "memory");
    return d & 0xff;
}

/* SIB: base + index * 8 + disp32 */
static uint64_t ld_sib(uintptr_t a, uint64_t poison)
{
    register uint64_t d __asm__("rax") = poison;
    register uintptr_t b __asm__("rsi") = a - 0x100 - 2 * 8;
    register uint64_t i __asm__("rdi") = 2;
    __asm__ volatile("movq 0x100(%%rsi,%%rdi,8), %%rax" : "+r"(d) : "r"(b), "r"(i) : "memory");
    return d;
}

/* SIB without a base: index * 4 + disp32 */
static uint64_t ld_sib_nobase(uintptr_t a, uint64_t poison)
{
    register uint64_t d __asm__("rdx") = poison;
    register uint64_t i __asm__("rcx") = (a - KIT_DUMMY_BASE) / 4;
    __asm__ volatile("movl 0x0b000000(,%%rcx,4), %%edx" : "+r"(d) : "r"(i) : "memory");
    return d;
}

/* 67 prefix: 32-bit address register */
static uint64_t ld_addr32(uintptr_t a, uint64_t poison)
{
    register uint64_t d __asm__("rax") = poison;
    register uintptr_t b __asm__("rbx") = a;
    __asm__ volatile("movl (%%ebx), %%eax" : "+r"(d) : "r"(b) : "memory");
    return d;
}

/* AH: bits 8..15 of rax. Returns the byte with the rest of the poison if
 * (and only if) the other bits of rax survived, like a merging 8-bit load. */
static uint64_t ld_b_ah(uintptr_t a, uint64_t poison)
{
    register uint64_t d __asm__("rax") = poison;
    register uintptr_t b __asm__("rsi") = a;
    __asm__ volatile("movb (%%rsi), %%ah" : "+r"(d) : "r"(b) : "memory");
    if ((d & ~0xff00ull) != (poison & ~0xff00ull))
        return 0xbad0bad0bad0bad0ull;
    return ((d >> 8) & 0xff) | (poison & ~0xffull);
}

STORE_FN(st_b_al, "movb %%al, (%%rbx)", "rax", "rbx", 0)
STORE_FN(st_b_r11b, "movb %%r11b, (%%rcx)", "r11", "rcx", 0)
STORE_FN(st_b_sil, "movb %%sil, (%%rdx)", "rsi", "rdx", 0)
STORE_FN(st_w_dx, "movw %%dx, (%%rsi)", "rdx", "rsi", 0)
STORE_FN(st_w_r10w, "movw %%r10w, (%%r9)", "r10", "r9", 0)
STORE_FN(st_l_edi, "movl %%edi, (%%r8)", "rdi", "r8", 0)
STORE_FN(st_l_r15d, "movl %%r15d, (%%r14)", "r15", "r14", 0)
STORE_FN(st_q_r9, "movq %%r9, (%%r10)", "r9", "r10", 0)
STORE_FN(st_q_disp8, "movq %%rax, 0x10(%%rbx)", "rax", "rbx", 0x10)
STORE_FN(st_q_r13, "movq %%rcx, (%%r13)", "rcx", "r13", 0)
STORE_FN(st_l_r12_disp32, "movl %%eax, 0x12345(%%r12)", "rax", "r12", 0x12345)
STORE_ZERO_FN(st_imm_b, "movb $0, (%%rbx)", "rbx")
STORE_ZERO_FN(st_imm_w, "movw $0, (%%rcx)", "rcx")
STORE_ZERO_FN(st_imm_l, "movl $0, (%%rdx)", "rdx")
STORE_ZERO_FN(st_imm_q, "movq $0, (%%rsi)", "rsi")

static uint64_t st_sib(uintptr_t a, uint64_t v)
{
    register uint64_t s __asm__("rax") = v;
    register uintptr_t b __asm__("rbx") = a - 0x20 - 3 * 2;
    register uint64_t i __asm__("rcx") = 3;
    __asm__ volatile("movl %%eax, 0x20(%%rbx,%%rcx,2)" : : "r"(s), "r"(b), "r"(i) : "memory");
    return 0;
}

static uint64_t st_b_ah(uintptr_t a, uint64_t v)
{
    register uint64_t s __asm__("rax") = v << 8;
    register uintptr_t b __asm__("rcx") = a;
    __asm__ volatile("movb %%ah, (%%rcx)" : : "r"(s), "r"(b) : "memory");
    return 0;
}

#define LOAD(insn, fn, width, bits, sign, merge) { insn, KIT_MMIO_LOAD, width, bits, sign, merge, false, fn }
#define STORE(insn, fn, width) { insn, KIT_MMIO_STORE, width, 0, false, false, false, fn }
#define STORE_ZERO(insn, fn, width) { insn, KIT_MMIO_STORE, width, 0, false, false, true, fn }

const struct kit_mmio_form kit_arch_mmio_forms[] = {
    LOAD("movb (%rbx), %al", ld_b_al, 1, 8, false, true),
    LOAD("movb (%rcx), %r11b", ld_b_r11b, 1, 8, false, true),
    LOAD("movb (%rdx), %sil", ld_b_sil, 1, 8, false, true),
    LOAD("movb (%rsi), %ah", ld_b_ah, 1, 8, false, true),
    LOAD("movb (%rax), %al", ld_b_self, 1, 8, false, false),
    LOAD("movw (%rcx), %dx", ld_w_dx, 2, 16, false, true),
    LOAD("movw (%r9), %r10w", ld_w_r10w, 2, 16, false, true),
    LOAD("movl (%rdi), %esi", ld_l_esi, 4, 32, false, false),
    LOAD("movl (%r14), %r15d", ld_l_r15d, 4, 32, false, false),
    LOAD("movq (%r8), %r9", ld_q_r9, 8, 64, false, false),
    LOAD("movq 0x10(%rbx), %rax", ld_q_disp8, 8, 64, false, false),
    LOAD("movq (%r13), %rcx", ld_q_r13, 8, 64, false, false),
    LOAD("movl 0x12345(%r12), %eax", ld_l_r12_disp32, 4, 32, false, false),
    LOAD("movq 0x100(%rsi,%rdi,8), %rax", ld_sib, 8, 64, false, false),
    LOAD("movl 0x0b000000(,%rcx,4), %edx", ld_sib_nobase, 4, 32, false, false),
    LOAD("movl (%ebx), %eax", ld_addr32, 4, 32, false, false),
    LOAD("movzbl (%rbx), %ecx", ld_zbl, 1, 32, false, false),
    LOAD("movzwl (%rsi), %edi", ld_zwl, 2, 32, false, false),
    LOAD("movzbq (%r10), %r11", ld_zbq, 1, 64, false, false),
    LOAD("movzwq (%rdx), %r12", ld_zwq, 2, 64, false, false),
    LOAD("movsbl (%rsi), %edi", ld_sbl, 1, 32, true, false),
    LOAD("movsbq (%r13), %r14", ld_sbq, 1, 64, true, false),
    LOAD("movswl (%r15), %eax", ld_swl, 2, 32, true, false),
    LOAD("movswq (%rbx), %rdx", ld_swq, 2, 64, true, false),
    LOAD("movslq (%rcx), %r8", ld_slq, 4, 64, true, false),
    LOAD("movsbw (%rdi), %ax", ld_sbw, 1, 16, true, true),
    STORE("movb %al, (%rbx)", st_b_al, 1),
    STORE("movb %r11b, (%rcx)", st_b_r11b, 1),
    STORE("movb %sil, (%rdx)", st_b_sil, 1),
    STORE("movb %ah, (%rcx)", st_b_ah, 1),
    STORE("movw %dx, (%rsi)", st_w_dx, 2),
    STORE("movw %r10w, (%r9)", st_w_r10w, 2),
    STORE("movl %edi, (%r8)", st_l_edi, 4),
    STORE("movl %r15d, (%r14)", st_l_r15d, 4),
    STORE("movq %r9, (%r10)", st_q_r9, 8),
    STORE("movq %rax, 0x10(%rbx)", st_q_disp8, 8),
    STORE("movq %rcx, (%r13)", st_q_r13, 8),
    STORE("movl %eax, 0x12345(%r12)", st_l_r12_disp32, 4),
    STORE("movl %eax, 0x20(%rbx,%rcx,2)", st_sib, 4),
    STORE_ZERO("movb $0, (%rbx)", st_imm_b, 1),
    STORE_ZERO("movw $0, (%rcx)", st_imm_w, 2),
    STORE_ZERO("movl $0, (%rdx)", st_imm_l, 4),
    STORE_ZERO("movq $0, (%rsi)", st_imm_q, 8),
};

const unsigned kit_arch_mmio_nforms = ARRAY_SIZE(kit_arch_mmio_forms);
