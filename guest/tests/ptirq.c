/* Interrupt passthrough (interrupt_mode = "passthrough"): a real device of
 * the host, QEMU virt's PL031 RTC, is mapped into the VM with its interrupt.
 * The guest programs the RTC's match register a second ahead three times and
 * must take the device's interrupt each time; clearing it at the device and
 * EOI at the GIC must let the next one through. */
#include "kit.h"

KIT_TEST(ptirq);

#ifdef KIT_PT_RTC_BASE
#define RTCDR 0x00
#define RTCMR 0x04
#define RTCCR 0x0c
#define RTCIMSC 0x10
#define RTCMIS 0x18
#define RTCICR 0x1c

static volatile unsigned rtc_irqs, other_irqs;

static void handler(unsigned irq)
{
    if (irq != KIT_PT_RTC_IRQ) {
        other_irqs++;
        return;
    }
    if (kit_mmio_read32(KIT_PT_RTC_BASE + RTCMIS) & 1) {
        kit_mmio_write32(KIT_PT_RTC_BASE + RTCICR, 1);
        rtc_irqs++;
    }
}

void kit_main(void)
{
    if (!kit_irq_init())
        kit_fail("no interrupt controller");
    kit_irq_set_handler(handler);
    kit_mmio_write32(KIT_PT_RTC_BASE + RTCCR, 1); /* running */
    kit_mmio_write32(KIT_PT_RTC_BASE + RTCIMSC, 1);
    KIT_CHECK(kit_irq_enable(KIT_PT_RTC_IRQ), "cannot enable SPI %u", KIT_PT_RTC_IRQ);
    kit_irq_enable(kit_timer_irq());
    for (unsigned round = 1; round <= 3; round++) {
        uint32_t now = kit_mmio_read32(KIT_PT_RTC_BASE + RTCDR);
        kit_mmio_write32(KIT_PT_RTC_BASE + RTCMR, now + 1);
        uint64_t t0 = kit_time_ns();
        kit_irq_local_disable();
        while (rtc_irqs < round && kit_time_ns() - t0 < KIT_MS(5000)) {
            kit_timer_irq_arm(kit_time_ns() + KIT_MS(100)); /* watchdog for the wait */
            kit_irq_wait();
        }
        kit_irq_local_enable();
        KIT_CHECK(rtc_irqs >= round, "round %u: no RTC interrupt within 5 s", round);
        kit_printf("ptirq: RTC interrupt %u after %llu ms\n", round,
                   (unsigned long long)((kit_time_ns() - t0) / 1000000));
    }
    kit_timer_irq_cancel();
    KIT_CHECK(rtc_irqs == 3, "%u RTC interrupts, expected 3", rtc_irqs);
    kit_pass();
}
#else
void kit_main(void) { kit_skip("no passthrough device for this arch in the kit"); }
#endif
