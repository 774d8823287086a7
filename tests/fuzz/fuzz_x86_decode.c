/* libFuzzer harness for the MMIO instruction decoder: guest memory is
 * untrusted. Whatever the bytes, decoding must stay in bounds, and an
 * accepted instruction must be self-consistent: its length fits the input
 * and the 15-byte limit, decoding exactly those bytes gives the same
 * result, one byte fewer is "need more", and the value helpers behave. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ax/x86_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* exact-size copy so ASan sees any read past the end */
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    struct x86_insn in;
    int rc = x86_decode(buf, size, &in);
    if (rc == 0) {
        if (in.len == 0 || in.len > size || in.len > X86_INSN_MAX)
            abort();
        if (in.width != 1 && in.width != 2 && in.width != 4 && in.width != 8)
            abort();
        if (in.kind != X86_MOV_STORE_IMM && in.reg > 15)
            abort();
        if (in.reg_high8 && in.reg > 3)
            abort();
        struct x86_insn again;
        if (x86_decode(buf, in.len, &again) != 0 || memcmp(&again, &in, sizeof(in)) != 0)
            abort();
        if (x86_decode(buf, in.len - 1, &again) != -AX_ERANGE)
            abort();
        uint64_t regs[16];
        for (unsigned i = 0; i < 16; i++)
            regs[i] = 0x0123456789abcdefull * (i + 1);
        (void)x86_insn_addr(&in, regs, 0x40000000ull, 0);
        uint64_t v = x86_insn_store_value(&in, regs);
        if (in.width < 8 && (v >> (8 * in.width)) != 0)
            abort();
        uint64_t r = x86_insn_load_result(&in, ~0ull, ~0ull);
        if (in.kind == X86_MOV_LOAD && in.reg_width == 4 && (r >> 32) != 0)
            abort();
    } else if (rc != -AX_EINVAL && rc != -AX_ERANGE) {
        abort();
    }
    free(buf);
    return 0;
}
