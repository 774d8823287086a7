/* Arch-neutral half of the kit's interrupt API: the handler, the
 * ns <-> counter conversions and the "is this vCPU set up" checks. The
 * controller itself is the arch runtime's (kit_arch_irq_* in kit_rt.h). */
#include "kit_rt.h"

static kit_irq_handler irq_handler;
static bool cpu_ready[KIT_MAX_CPUS];
static uint64_t entry_ticks[KIT_MAX_CPUS];

static unsigned this_cpu(void)
{
    return kit_cpu_id() % KIT_MAX_CPUS;
}

static bool ready(void)
{
    return __atomic_load_n(&cpu_ready[this_cpu()], __ATOMIC_ACQUIRE);
}

bool kit_irq_init(void)
{
    if (!kit_arch_irq_init())
        return false;
    __atomic_store_n(&cpu_ready[this_cpu()], true, __ATOMIC_RELEASE);
    return true;
}

const char *kit_irq_controller(void)
{
    return kit_arch_irq_controller();
}

void kit_irq_set_handler(kit_irq_handler h)
{
    __atomic_store_n(&irq_handler, h, __ATOMIC_RELEASE);
}

bool kit_irq_enable(unsigned irq)
{
    return ready() && kit_arch_irq_enable(irq, true);
}

bool kit_irq_disable(unsigned irq)
{
    return ready() && kit_arch_irq_enable(irq, false);
}

bool kit_irq_set_priority(unsigned irq, uint8_t prio)
{
    return ready() && kit_arch_irq_set_priority(irq, prio);
}

void kit_irq_local_enable(void)
{
    kit_arch_irq_local_enable();
}

void kit_irq_local_disable(void)
{
    kit_arch_irq_local_disable();
}

bool kit_irq_local_enabled(void)
{
    return kit_arch_irq_local_enabled();
}

void kit_irq_wait(void)
{
    kit_arch_irq_wait();
}

uint64_t kit_irq_entry_ns(void)
{
    return kit_ticks_to_ns(entry_ticks[this_cpu()]);
}

void kit_irq_dispatch(unsigned irq, uint64_t entry)
{
    kit_irq_handler h = __atomic_load_n(&irq_handler, __ATOMIC_ACQUIRE);
    if (!h) {
        /* the interrupted code may hold the console lock */
        kit_console_panic();
        kit_fail("interrupt %u on cpu %u with no handler set", irq, kit_cpu_id());
    }
    entry_ticks[this_cpu()] = entry;
    h(irq);
}

unsigned kit_timer_irq(void)
{
    return kit_arch_timer_irq();
}

void kit_timer_irq_arm(uint64_t deadline_ns)
{
    kit_arch_timer_irq_arm(kit_ns_to_ticks(deadline_ns));
}

void kit_timer_irq_cancel(void)
{
    kit_arch_timer_irq_cancel();
}

unsigned kit_ipi_count(void)
{
    return kit_arch_ipi_count();
}

unsigned kit_ipi_irq_nth(unsigned k)
{
    return kit_arch_ipi_irq_nth(k);
}

/* SGI 1 on aarch64: the kit's one IPI when a test needs only one. */
unsigned kit_ipi_irq(void)
{
    return kit_arch_ipi_irq_nth(kit_arch_ipi_count() > 1 ? 1 : 0);
}

bool kit_ipi_send_irq(unsigned cpu, unsigned irq)
{
    return ready() && kit_arch_ipi_send(cpu, irq);
}

bool kit_ipi_send(unsigned cpu)
{
    return kit_ipi_send_irq(cpu, kit_ipi_irq());
}

uint64_t kit_ipi_sent_ns(void)
{
    return kit_ticks_to_ns(kit_arch_ipi_sent());
}
