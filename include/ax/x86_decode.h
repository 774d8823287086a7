/* A small x86-64 instruction decoder for MMIO emulation.
 *
 * The SVM backend gets no decoded instruction from the CPU on a nested page
 * fault (QEMU's SVM has no DecodeAssists), so it fetches the bytes at the
 * guest's RIP and decodes them here. Only the MOV-class forms guests use
 * for device registers are accepted, in 64-bit mode:
 *
 *   88 /r  mov r/m8, r8          8A /r  mov r8, r/m8
 *   89 /r  mov r/m, r            8B /r  mov r, r/m          (16/32/64)
 *   C6 /0  mov r/m8, imm8        C7 /0  mov r/m, imm16/32   (imm32 sign-extended for 64)
 *   0F B6 / 0F B7  movzx r, r/m8 / r/m16
 *   0F BE / 0F BF  movsx r, r/m8 / r/m16
 *   63 /r  movsxd r64, r/m32     (REX.W)
 *   A0-A3  mov al/ax/eax/rax <-> moffs64
 *
 * with the legacy prefixes 66 (operand size), 67 (32-bit addressing), F0
 * (lock), the segment overrides (CS/DS/ES/SS ignored as in 64-bit mode,
 * FS/GS reported), and REX (only as the last prefix, as the CPU requires).
 * Memory operands: ModRM with SIB, disp8/disp32, RIP-relative. A register
 * operand in ModRM.rm (mod = 3) is not a memory access and is rejected, as
 * are F2/F3 prefixes and everything else. Plain C, no allocation: the input
 * is untrusted guest memory. */
#ifndef AX_X86_DECODE_H
#define AX_X86_DECODE_H

#include "ax/types.h"

#define X86_INSN_MAX 15

enum x86_mov_kind {
    X86_MOV_LOAD = 1,   /* register <- memory */
    X86_MOV_STORE,      /* memory <- register */
    X86_MOV_STORE_IMM,  /* memory <- immediate */
};

enum x86_seg { X86_SEG_NONE = 0, X86_SEG_FS, X86_SEG_GS };

struct x86_insn {
    uint8_t len;        /* bytes, prefixes included */
    uint8_t kind;       /* enum x86_mov_kind */
    uint8_t width;      /* bytes of memory accessed: 1, 2, 4, 8 */
    uint8_t reg;        /* register operand, 0..15 (rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8..) */
    bool reg_high8;     /* the register is AH/CH/DH/BH: bits 8..15 of reg */
    uint8_t reg_width;  /* loads: bytes of the register written (1, 2, 4, 8); a 4-byte write zero-extends */
    bool sign_ext;      /* loads: sign-extend from width to reg_width (movsx) */
    uint64_t imm;       /* STORE_IMM: the value, truncated to width */
    /* the memory operand: seg_base + base + index * scale + disp (+ next RIP) */
    bool rip_rel;
    bool addr32;        /* 67 prefix: the address is truncated to 32 bits */
    bool absolute;      /* moffs: disp is the whole address */
    int8_t base, index; /* register numbers, -1 for none */
    uint8_t scale;      /* 1, 2, 4, 8 */
    int64_t disp;
    uint8_t seg;        /* enum x86_seg */
};

/* Decodes the instruction at buf[0..n). Returns 0, -AX_ERANGE when the
 * bytes end before the instruction does (n < 15 and more might help), or
 * -AX_EINVAL for anything not in the list above. */
int x86_decode(const uint8_t *buf, size_t n, struct x86_insn *out);

/* The operand's effective (linear) address given the 16 GPRs, the RIP of
 * the next instruction and the FS/GS base the segment override selects
 * (0 for none). */
uint64_t x86_insn_addr(const struct x86_insn *in, const uint64_t regs[16], uint64_t next_rip, uint64_t seg_base);

/* The value a store writes: the register (its low `width` bytes, or bits
 * 8..15 for AH..BH) or the immediate. */
uint64_t x86_insn_store_value(const struct x86_insn *in, const uint64_t regs[16]);

/* Merges a value loaded from memory into the old register value the way
 * the instruction writes its destination: 1- and 2-byte writes keep the
 * other bits, 4-byte writes zero bits 32..63, movzx/movsx extend first. */
uint64_t x86_insn_load_result(const struct x86_insn *in, uint64_t old, uint64_t mem);

#endif
