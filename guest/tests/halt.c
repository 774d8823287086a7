/* halt: an idle vCPU must not burn its pCPU. vCPU 0 waits 100 times for
 * 5 ms with WFI and the virtual timer; the hypervisor has to block it and
 * wake it when the deadline passes. Run together with `compute` on the same
 * pCPU (both configs pin to pCPU 0), the integration test sees that compute
 * is not slowed down by much. */
#include "kit.h"

KIT_TEST(halt);

#define WAITS 100
#define WAIT_NS KIT_MS(5)

void kit_main(void)
{
    uint64_t start = kit_time_ns(), deadline = start, wfis = 0;
    for (unsigned i = 0; i < WAITS; i++) {
        deadline += WAIT_NS;
        wfis += kit_wait_until_ns(deadline);
        uint64_t now = kit_time_ns();
        KIT_CHECK(now >= deadline, "wait %u returned %lu ns early", i,
                  (unsigned long)(deadline - now));
    }
    uint64_t elapsed = kit_time_ns() - start;
    kit_printf("halt: %u waits of %lu us took %lu us in total with %lu WFIs\n", WAITS,
               (unsigned long)(WAIT_NS / 1000), (unsigned long)(elapsed / 1000),
               (unsigned long)wfis);
    KIT_CHECK(elapsed >= WAITS * WAIT_NS, "only %lu us passed", (unsigned long)(elapsed / 1000));
    kit_pass();
}
