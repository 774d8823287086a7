/* A guest that misbehaves on purpose: it reads outside its RAM and its fault
 * handler retries the same access forever. The hypervisor must notice the
 * guest makes no progress, stop this VM with a message, and keep every other
 * VM running. This test never prints PASS: the integration test checks the
 * hypervisor's side. */
#include "kit.h"

KIT_TEST(wild);

static volatile uint64_t faults;

static enum kit_fault_action retry_forever(const struct kit_fault *f)
{
    (void)f;
    faults++;
    return KIT_FAULT_RETRY;
}

void kit_main(void)
{
    kit_printf("wild: reading 0x1000, outside guest RAM, and retrying forever\n");
    kit_console_flush();
    kit_set_fault_handler(retry_forever);
    (void)kit_mmio_read64(0x1000);
    kit_fail("the read outside RAM returned (after %llu faults)", (unsigned long long)faults);
}
