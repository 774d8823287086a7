/* hello: the smallest guest. Says hello on the hypercall console and on the
 * emulated PL011, and checks that the hypervisor speaks our ABI version. */
#include "kit.h"

KIT_TEST(hello);

void kit_main(void)
{
    kit_printf("hello from kit guest on vCPU %u\n", kit_cpu_id());

    int64_t v = kit_hc0(HC_VERSION);
    kit_printf("hypercall ABI version %ld, firmware (PSCI) version 0x%lx\n", (long)v,
               (unsigned long)kit_firmware_version());
    KIT_CHECK(v == HC_ABI_VERSION, "HC_VERSION returned %ld, expected %d", (long)v,
              HC_ABI_VERSION);

    KIT_CHECK(kit_uart_puts("hello from kit guest via the UART\n"),
              "UART transmit FIFO stayed full");
    kit_pass();
}
