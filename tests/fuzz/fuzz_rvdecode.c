/* libFuzzer harness for the RISC-V load/store decoder: an instruction and
 * an htinst value a guest controls. Decoded accesses must be well formed. */
#include <stdint.h>
#include <string.h>
#include <stdlib.h>

#include "ax/rvdecode.h"

static void check(const struct rv_access *a)
{
    if (a->reg > 31 || (a->len != 2 && a->len != 4) ||
        (a->width != 1 && a->width != 2 && a->width != 4 && a->width != 8) || (a->store && a->sign_ext))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint32_t insn = 0;
    uint64_t htinst = 0;
    memcpy(&insn, data, size < 4 ? size : 4);
    if (size > 4)
        memcpy(&htinst, data + 4, size - 4 < 8 ? size - 4 : 8);
    struct rv_access a;
    unsigned len = rv_insn_len((uint16_t)insn);
    if (len != 0 && len != 2 && len != 4)
        abort();
    if (rv_decode_access(insn, &a) == 0) {
        check(&a);
        if (a.len != len)
            abort();
    }
    if (rv_decode_htinst(htinst, &a) == 0)
        check(&a);
    return 0;
}
