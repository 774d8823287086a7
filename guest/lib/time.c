/* Guest time in ns from the arch counter, without 128-bit division: split
 * into whole seconds and a remainder, which is below the frequency, so the
 * products fit 64 bits for any counter up to ~18 GHz. */
#include "kit_rt.h"

#define NS_PER_S 1000000000ull

static uint64_t ticks_to_ns(uint64_t t, uint64_t freq)
{
    return (t / freq) * NS_PER_S + (t % freq) * NS_PER_S / freq;
}

/* Rounds up, so that reaching the returned tick means ns has passed. */
static uint64_t ns_to_ticks(uint64_t ns, uint64_t freq)
{
    uint64_t secs = ns / NS_PER_S;
    if (secs > UINT64_MAX / freq - 1)
        return UINT64_MAX;
    return secs * freq + ((ns % NS_PER_S) * freq + NS_PER_S - 1) / NS_PER_S;
}

uint64_t kit_ticks_to_ns(uint64_t ticks)
{
    return ticks_to_ns(ticks, kit_arch_counter_freq());
}

uint64_t kit_ns_to_ticks(uint64_t ns)
{
    return ns_to_ticks(ns, kit_arch_counter_freq());
}

uint64_t kit_time_ns(void)
{
    return ticks_to_ns(kit_arch_counter(), kit_arch_counter_freq());
}

uint64_t kit_wait_until_ns(uint64_t deadline)
{
    return kit_arch_wait_until(ns_to_ticks(deadline, kit_arch_counter_freq()));
}

uint64_t kit_sleep_ns(uint64_t ns)
{
    uint64_t now = kit_time_ns();
    uint64_t deadline = now > UINT64_MAX - ns ? UINT64_MAX : now + ns;
    return kit_wait_until_ns(deadline);
}
