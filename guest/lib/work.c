/* A fixed CPU-bound job whose result depends on every step, so a register
 * corrupted anywhere along the way (by a vCPU switch, say) changes it. */
#include "kit.h"

uint64_t kit_work(uint64_t seed, uint64_t iters)
{
    uint64_t x = seed ^ 0x9e3779b97f4a7c15ull;
    uint64_t sum = 0;
    if (x == 0)
        x = 1; /* xorshift's only fixed point */
    for (uint64_t i = 0; i < iters; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        sum = ((sum << 5) | (sum >> 59)) ^ (x + i);
    }
    return sum;
}
