/* RISC-V load/store decoder (see ax/rvdecode.h). */
#include "ax/rvdecode.h"

#define OP_LOAD 0x03u
#define OP_STORE 0x23u

static uint32_t bits(uint32_t v, unsigned hi, unsigned lo)
{
    return (v >> lo) & ((1u << (hi - lo + 1)) - 1);
}

unsigned rv_insn_len(uint16_t lo)
{
    if ((lo & 3u) != 3u)
        return 2;
    if ((lo & 0x1cu) != 0x1cu)
        return 4;
    return 0;
}

static int decode32(uint32_t insn, unsigned len, struct rv_access *out)
{
    uint32_t op = bits(insn, 6, 0), f3 = bits(insn, 14, 12);
    if (op == OP_LOAD) {
        if (f3 == 7)
            return -AX_EINVAL; /* no 128-bit loads */
        out->store = false;
        out->width = 1u << (f3 & 3);
        out->sign_ext = f3 < 3; /* lb, lh, lw; ld needs none; lbu/lhu/lwu zero-extend */
        out->reg = bits(insn, 11, 7);
        out->len = len;
        return 0;
    }
    if (op == OP_STORE) {
        if (f3 > 3)
            return -AX_EINVAL;
        out->store = true;
        out->width = 1u << f3;
        out->sign_ext = false;
        out->reg = bits(insn, 24, 20);
        out->len = len;
        return 0;
    }
    return -AX_EINVAL;
}

/* RV64C integer loads and stores: c.lw, c.ld, c.sw, c.sd (registers
 * x8..x15) and their stack-pointer forms c.lwsp, c.ldsp, c.swsp, c.sdsp. */
static int decode16(uint16_t c, struct rv_access *out)
{
    unsigned quad = c & 3u, f3 = bits(c, 15, 13);
    out->len = 2;
    out->sign_ext = false;
    if (quad == 0) {
        switch (f3) {
        case 2: out->store = false; out->width = 4; out->sign_ext = true; break; /* c.lw */
        case 3: out->store = false; out->width = 8; break;                      /* c.ld */
        case 6: out->store = true; out->width = 4; break;                       /* c.sw */
        case 7: out->store = true; out->width = 8; break;                       /* c.sd */
        default: return -AX_EINVAL;
        }
        out->reg = 8 + bits(c, 4, 2); /* rd' or rs2' */
        return 0;
    }
    if (quad == 2) {
        switch (f3) {
        case 2: /* c.lwsp: rd = 0 is reserved */
        case 3: /* c.ldsp */
            out->reg = bits(c, 11, 7);
            if (out->reg == 0)
                return -AX_EINVAL;
            out->store = false;
            out->width = f3 == 2 ? 4 : 8;
            out->sign_ext = f3 == 2;
            return 0;
        case 6: /* c.swsp */
        case 7: /* c.sdsp */
            out->reg = bits(c, 6, 2);
            out->store = true;
            out->width = f3 == 6 ? 4 : 8;
            return 0;
        default:
            return -AX_EINVAL;
        }
    }
    return -AX_EINVAL;
}

int rv_decode_access(uint32_t insn, struct rv_access *out)
{
    switch (rv_insn_len((uint16_t)insn)) {
    case 2: return decode16((uint16_t)insn, out);
    case 4: return decode32(insn, 4, out);
    default: return -AX_EINVAL;
    }
}

int rv_decode_htinst(uint64_t htinst, struct rv_access *out)
{
    if (htinst == RV_HTINST_PT_READ32 || htinst == RV_HTINST_PT_WRITE32 ||
        htinst == RV_HTINST_PT_READ64 || htinst == RV_HTINST_PT_WRITE64)
        return -AX_EFAULT;
    /* a transformed instruction has bit 0 set; anything else (0 or a
     * custom value) carries no decodable access */
    if (!(htinst & 1u) || htinst > 0xffffffffull)
        return -AX_ENOENT;
    uint32_t insn = (uint32_t)htinst;
    unsigned len = (insn & 2u) ? 4 : 2;
    return decode32(insn | 3u, len, out);
}
