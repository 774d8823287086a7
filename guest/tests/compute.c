/* compute: a fixed CPU-bound job (2^22 xorshift steps folded into a
 * checksum) timed with the guest clock. The checksum is the same on every
 * arch, so a vCPU whose registers were corrupted by a switch fails. Paired
 * with `halt` on the same pCPU by the integration test. */
#include "kit.h"

KIT_TEST(compute);

#define SEED 1
#define ITERS (1u << 22)
#define EXPECT 0x3b04140ebee8e521ull /* kit_work(1, 1 << 22), computed on the host */

void kit_main(void)
{
    uint64_t t0 = kit_time_ns();
    uint64_t sum = kit_work(SEED, ITERS);
    uint64_t t1 = kit_time_ns();
    kit_printf("compute: checksum 0x%016lx after %u steps in %lu us\n", (unsigned long)sum, ITERS,
               (unsigned long)((t1 - t0) / 1000));
    KIT_CHECK(sum == EXPECT, "checksum 0x%016lx, expected 0x%016lx", (unsigned long)sum,
              (unsigned long)EXPECT);
    kit_pass();
}
