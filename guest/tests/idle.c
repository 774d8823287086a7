/* idle: a VM that stays up until someone stops it, for the shell's tests
 * (stop, start, restart, suspend, resume, delete while it runs). It prints
 * one line with its boot count (HC_INFO_RESETS), then waits in WFI / HLT
 * sleeps of 10 ms, so it costs its pCPU almost nothing. After 5 minutes it
 * gives up waiting and passes, so a forgotten idle VM cannot keep a
 * machine up forever. */
#include "kit.h"

KIT_TEST(idle);

#define NAP_NS KIT_MS(10)
#define LIFETIME_NS (300ULL * 1000000000ULL)

void kit_main(void)
{
    int64_t resets = kit_guest_info(HC_INFO_RESETS);
    kit_printf("idle: up (boot %ld), waiting to be stopped\n", (long)resets);
    uint64_t end = kit_time_ns() + LIFETIME_NS;
    while (kit_time_ns() < end)
        kit_sleep_ns(NAP_NS);
    kit_pass();
}
