/* halt: an idle vCPU must not burn its pCPU. vCPU 0 sleeps 100 times for
 * 5 ms with WFI and the virtual timer armed; the hypervisor has to block it
 * and wake it once the deadline has passed. Each sleep is relative, so the
 * total shows the wake-up latency too. Run together with `compute` on the
 * same pCPU (both configs pin to pCPU 0), the integration test sees that
 * compute is not slowed down by much. */
#include "kit.h"

KIT_TEST(halt);

#define WAITS 100
#define WAIT_NS KIT_MS(5)

void kit_main(void)
{
    uint64_t start = kit_time_ns(), wfis = 0, worst = 0;
    for (unsigned i = 0; i < WAITS; i++) {
        uint64_t t0 = kit_time_ns();
        wfis += kit_sleep_ns(WAIT_NS);
        uint64_t slept = kit_time_ns() - t0;
        KIT_CHECK(slept >= WAIT_NS, "sleep %u took only %lu ns", i, (unsigned long)slept);
        if (slept - WAIT_NS > worst)
            worst = slept - WAIT_NS;
    }
    uint64_t elapsed = kit_time_ns() - start;
    kit_printf("halt: %u waits of %lu us took %lu us in total, %lu WFIs, worst oversleep %lu us\n",
               WAITS, (unsigned long)(WAIT_NS / 1000), (unsigned long)(elapsed / 1000),
               (unsigned long)wfis, (unsigned long)(worst / 1000));
    kit_pass();
}
