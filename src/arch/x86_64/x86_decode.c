/* MOV-class instruction decoder for MMIO emulation (ax/x86_decode.h).
 * Every byte read is bounds-checked against n and the architectural 15-byte
 * limit; nothing here trusts the input. */
#include "ax/x86_decode.h"
#include "ax/string.h"

struct cursor {
    const uint8_t *buf;
    size_t n, pos;
};

/* -AX_ERANGE when the buffer ends early, -AX_EINVAL past 15 bytes. */
static int next_byte(struct cursor *c, uint8_t *b)
{
    if (c->pos >= X86_INSN_MAX)
        return -AX_EINVAL;
    if (c->pos >= c->n)
        return -AX_ERANGE;
    *b = c->buf[c->pos++];
    return 0;
}

static int next_le(struct cursor *c, unsigned bytes, uint64_t *v)
{
    uint64_t r = 0;
    for (unsigned i = 0; i < bytes; i++) {
        uint8_t b;
        int err = next_byte(c, &b);
        if (err)
            return err;
        r |= (uint64_t)b << (8 * i);
    }
    *v = r;
    return 0;
}

static int64_t sext(uint64_t v, unsigned bytes)
{
    if (bytes >= 8)
        return (int64_t)v;
    unsigned sh = 64 - 8 * bytes;
    return (int64_t)(v << sh) >> sh;
}

static uint64_t mask_of(unsigned bytes)
{
    return bytes >= 8 ? ~0ULL : (1ULL << (8 * bytes)) - 1;
}

/* ModRM (+ SIB + displacement) for a memory operand. */
static int decode_modrm(struct cursor *c, uint8_t rex, uint8_t *reg_field, struct x86_insn *in)
{
    uint8_t modrm;
    int err = next_byte(c, &modrm);
    if (err)
        return err;
    unsigned mod = modrm >> 6, reg = (modrm >> 3) & 7, rm = modrm & 7;
    *reg_field = (uint8_t)(reg | ((rex & 4) ? 8 : 0));
    if (mod == 3)
        return -AX_EINVAL; /* a register, not memory */
    in->base = -1;
    in->index = -1;
    in->scale = 1;
    unsigned disp_bytes = mod == 1 ? 1 : mod == 2 ? 4 : 0;
    if (rm == 4) {
        uint8_t sib;
        err = next_byte(c, &sib);
        if (err)
            return err;
        unsigned ss = sib >> 6, idx = ((sib >> 3) & 7) | ((rex & 2) ? 8 : 0), base = sib & 7;
        in->scale = (uint8_t)(1u << ss);
        if (idx != 4)
            in->index = (int8_t)idx;
        if (base == 5 && mod == 0)
            disp_bytes = 4; /* no base, disp32 */
        else
            in->base = (int8_t)(base | ((rex & 1) ? 8 : 0));
    } else if (rm == 5 && mod == 0) {
        in->rip_rel = true;
        disp_bytes = 4;
    } else {
        in->base = (int8_t)(rm | ((rex & 1) ? 8 : 0));
    }
    if (disp_bytes) {
        uint64_t d;
        err = next_le(c, disp_bytes, &d);
        if (err)
            return err;
        in->disp = sext(d, disp_bytes);
    }
    return 0;
}

/* Register operand of an 8-bit form: without REX, 4..7 are AH, CH, DH, BH. */
static void set_reg8(struct x86_insn *in, uint8_t reg, uint8_t rex, bool have_rex)
{
    if (!have_rex && reg >= 4 && reg < 8) {
        in->reg = (uint8_t)(reg - 4);
        in->reg_high8 = true;
    } else {
        in->reg = reg;
    }
    (void)rex;
}

int x86_decode(const uint8_t *buf, size_t n, struct x86_insn *out)
{
    struct x86_insn in;
    memset(&in, 0, sizeof(in));
    in.base = in.index = -1;
    in.scale = 1;
    struct cursor c = {buf, n, 0};
    bool opsize = false, have_rex = false;
    uint8_t rex = 0, b;
    int err;

    /* legacy prefixes, then at most one REX right before the opcode */
    for (;;) {
        err = next_byte(&c, &b);
        if (err)
            return err;
        if (b >= 0x40 && b <= 0x4F) {
            rex = b;
            have_rex = true;
            continue;
        }
        bool prefix = true;
        switch (b) {
        case 0x66: opsize = true; break;
        case 0x67: in.addr32 = true; break;
        case 0xF0: break; /* lock: harmless on a MOV to MMIO for our purposes */
        case 0x2E: case 0x36: case 0x3E: case 0x26: break;
        case 0x64: in.seg = X86_SEG_FS; break;
        case 0x65: in.seg = X86_SEG_GS; break;
        case 0xF2: case 0xF3: return -AX_EINVAL;
        default: prefix = false; break;
        }
        if (!prefix)
            break;
        /* a REX followed by a legacy prefix is ignored by the CPU */
        rex = 0;
        have_rex = false;
    }
    bool rex_w = rex & 8;
    unsigned osz = rex_w ? 8 : opsize ? 2 : 4;
    uint8_t reg = 0;

    switch (b) {
    case 0x88: case 0x8A:
        err = decode_modrm(&c, rex, &reg, &in);
        if (err)
            return err;
        in.kind = b == 0x88 ? X86_MOV_STORE : X86_MOV_LOAD;
        in.width = in.reg_width = 1;
        set_reg8(&in, reg, rex, have_rex);
        break;
    case 0x89: case 0x8B:
        err = decode_modrm(&c, rex, &reg, &in);
        if (err)
            return err;
        in.kind = b == 0x89 ? X86_MOV_STORE : X86_MOV_LOAD;
        in.width = in.reg_width = (uint8_t)osz;
        in.reg = reg;
        break;
    case 0x63:
        if (!rex_w)
            return -AX_EINVAL; /* movsxd without REX.W: discouraged form, not used */
        err = decode_modrm(&c, rex, &reg, &in);
        if (err)
            return err;
        in.kind = X86_MOV_LOAD;
        in.width = 4;
        in.reg_width = 8;
        in.sign_ext = true;
        in.reg = reg;
        break;
    case 0xC6: case 0xC7: {
        err = decode_modrm(&c, rex, &reg, &in);
        if (err)
            return err;
        if ((reg & 7) != 0)
            return -AX_EINVAL; /* /0 only */
        in.kind = X86_MOV_STORE_IMM;
        in.width = b == 0xC6 ? 1 : (uint8_t)osz;
        unsigned ib = in.width == 8 ? 4 : in.width;
        uint64_t imm;
        err = next_le(&c, ib, &imm);
        if (err)
            return err;
        in.imm = (uint64_t)sext(imm, ib) & mask_of(in.width);
        break;
    }
    case 0xA0: case 0xA1: case 0xA2: case 0xA3: {
        uint64_t a;
        unsigned ab = in.addr32 ? 4 : 8;
        err = next_le(&c, ab, &a);
        if (err)
            return err;
        in.kind = (b == 0xA0 || b == 0xA1) ? X86_MOV_LOAD : X86_MOV_STORE;
        in.width = in.reg_width = (b == 0xA0 || b == 0xA2) ? 1 : (uint8_t)osz;
        in.reg = 0;
        in.absolute = true;
        in.disp = (int64_t)a;
        break;
    }
    case 0x0F: {
        uint8_t op2;
        err = next_byte(&c, &op2);
        if (err)
            return err;
        if (op2 != 0xB6 && op2 != 0xB7 && op2 != 0xBE && op2 != 0xBF)
            return -AX_EINVAL;
        err = decode_modrm(&c, rex, &reg, &in);
        if (err)
            return err;
        in.kind = X86_MOV_LOAD;
        in.width = (op2 == 0xB6 || op2 == 0xBE) ? 1 : 2;
        in.reg_width = (uint8_t)osz;
        in.sign_ext = op2 == 0xBE || op2 == 0xBF;
        in.reg = reg;
        break;
    }
    default:
        return -AX_EINVAL;
    }
    in.len = (uint8_t)c.pos;
    *out = in;
    return 0;
}

uint64_t x86_insn_addr(const struct x86_insn *in, const uint64_t regs[16], uint64_t next_rip, uint64_t seg_base)
{
    uint64_t a = (uint64_t)in->disp;
    if (!in->absolute) {
        if (in->rip_rel)
            a += next_rip;
        if (in->base >= 0)
            a += regs[in->base & 15];
        if (in->index >= 0)
            a += regs[in->index & 15] * in->scale;
    }
    if (in->addr32)
        a &= 0xffffffffULL;
    return a + seg_base;
}

uint64_t x86_insn_store_value(const struct x86_insn *in, const uint64_t regs[16])
{
    if (in->kind == X86_MOV_STORE_IMM)
        return in->imm;
    uint64_t v = regs[in->reg & 15];
    if (in->reg_high8)
        v >>= 8;
    return v & mask_of(in->width);
}

uint64_t x86_insn_load_result(const struct x86_insn *in, uint64_t old, uint64_t mem)
{
    uint64_t v = mem & mask_of(in->width);
    if (in->sign_ext)
        v = (uint64_t)sext(v, in->width);
    switch (in->reg_width) {
    case 1:
        if (in->reg_high8)
            return (old & ~0xff00ULL) | ((v & 0xff) << 8);
        return (old & ~0xffULL) | (v & 0xff);
    case 2:
        return (old & ~0xffffULL) | (v & 0xffff);
    case 4:
        return v & 0xffffffffULL;
    default:
        return v;
    }
}
