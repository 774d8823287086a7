/* reset: PSCI SYSTEM_RESET (on aarch64; the arch's reset call elsewhere)
 * restarts the VM from a freshly loaded image. First boot: change a
 * variable in .data and one in .bss, print "boot 0" and reset. Second boot
 * (HC_INFO_RESETS == 1): both must hold their initial values again. */
#include "kit.h"

KIT_TEST(reset);

#define DATA_INIT 0x600dda7au

static volatile uint32_t in_data = DATA_INIT;
static volatile uint32_t in_bss;

void kit_main(void)
{
    int64_t resets = kit_guest_info(HC_INFO_RESETS);
    kit_printf("boot %ld\n", (long)resets);
    KIT_CHECK(in_data == DATA_INIT && in_bss == 0,
              "after %ld resets .data holds 0x%x (want 0x%x), .bss 0x%x (want 0)", (long)resets,
              in_data, DATA_INIT, in_bss);
    if (resets == 0) {
        in_data = 0xbad;
        in_bss = 0xbad;
        kit_system_reset();
        kit_fail("system reset returned");
    }
    KIT_CHECK(resets == 1, "HC_INFO_RESETS is %ld, expected 0 or 1", (long)resets);
    kit_pass();
}
