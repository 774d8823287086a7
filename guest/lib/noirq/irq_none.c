/* Interrupts for an arch whose kit runtime drives no interrupt controller
 * yet (mk/guest.mk links this when guest/arch/<arch>/irq.c is missing):
 * kit_irq_init() answers false and tests that need one print
 * "KIT <name>: SKIP ...". guest/lib refuses every other call then. */
#include "kit_rt.h"

bool kit_arch_irq_init(void) { return false; }
const char *kit_arch_irq_controller(void) { return "none"; }

bool kit_arch_irq_enable(unsigned irq, bool on)
{
    (void)irq;
    (void)on;
    return false;
}

bool kit_arch_irq_set_priority(unsigned irq, uint8_t prio)
{
    (void)irq;
    (void)prio;
    return false;
}

/* Interrupts stay masked in this runtime. */
void kit_arch_irq_local_enable(void) {}
void kit_arch_irq_local_disable(void) {}
bool kit_arch_irq_local_enabled(void) { return false; }
void kit_arch_irq_wait(void) { kit_arch_wfi(); }

unsigned kit_arch_timer_irq(void) { return 0; }
void kit_arch_timer_irq_arm(uint64_t deadline) { (void)deadline; }
void kit_arch_timer_irq_cancel(void) {}

unsigned kit_arch_ipi_count(void) { return 0; }
unsigned kit_arch_ipi_irq_nth(unsigned k) { (void)k; return 0; }

bool kit_arch_ipi_send(unsigned cpu, unsigned irq)
{
    (void)cpu;
    (void)irq;
    return false;
}

uint64_t kit_arch_ipi_sent(void) { return 0; }
