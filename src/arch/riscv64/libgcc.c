/* The few libgcc helpers GCC calls on RV64IMAC. Debian's libgcc for
 * riscv64 is built for the lp64d ABI and cannot be linked into this
 * soft-float (lp64) image, so the ones our code needs live here. */
#include <stdint.h>

int __popcountdi2(uint64_t x);
int __popcountsi2(uint32_t x);

int __popcountdi2(uint64_t x)
{
    x = x - ((x >> 1) & 0x5555555555555555ULL);
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
    return (int)((x * 0x0101010101010101ULL) >> 56);
}

int __popcountsi2(uint32_t x)
{
    return __popcountdi2(x);
}
