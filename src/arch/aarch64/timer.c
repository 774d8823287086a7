/* EL2 physical timer (CNTHP): one-shot deadlines for the scheduler. */
#include "ax/axhal.h"
#include "ax/task.h"
#include "platform.h"
#include "sysreg.h"

#define CNTHP_CTL_ENABLE (1 << 0)
#define CNTHP_CTL_IMASK (1 << 1)
#define DEFAULT_HYP_TIMER_INTID 26

static uint64_t freq;

uint64_t timer_freq_hz(void) { return freq ? freq : read_sysreg(cntfrq_el0); }

unsigned timer_irq(void)
{
    uint32_t id = platform.timer.present ? platform.timer.hyp_intid : FDT_IRQ_NONE;
    return id == FDT_IRQ_NONE ? DEFAULT_HYP_TIMER_INTID : id;
}

static inline uint64_t ticks_to_ns(uint64_t t)
{
    uint64_t f = timer_freq_hz();
    return (t / f) * 1000000000ULL + (t % f) * 1000000000ULL / f;
}

static inline uint64_t ns_to_ticks(uint64_t ns)
{
    uint64_t f = timer_freq_hz();
    return (ns / 1000000000ULL) * f + (ns % 1000000000ULL) * f / 1000000000ULL;
}

uint64_t timer_now_ns(void)
{
    isb();
    return ticks_to_ns(read_sysreg(cntpct_el0));
}

void timer_set_oneshot(uint64_t deadline_ns)
{
    if (deadline_ns == 0) {
        write_sysreg(cnthp_ctl_el2, CNTHP_CTL_IMASK);
        return;
    }
    write_sysreg(cnthp_cval_el2, ns_to_ticks(deadline_ns) + 1);
    write_sysreg(cnthp_ctl_el2, CNTHP_CTL_ENABLE);
    isb();
}

static void timer_handler(unsigned irq, void *arg)
{
    (void)irq;
    (void)arg;
    /* mask until the scheduler programs the next deadline */
    write_sysreg(cnthp_ctl_el2, CNTHP_CTL_IMASK);
    sched_timer_irq();
}

void timer_init_cpu(void)
{
    if (!freq)
        freq = platform.timer.clock_hz ? platform.timer.clock_hz : read_sysreg(cntfrq_el0);
    write_sysreg(cnthp_ctl_el2, CNTHP_CTL_IMASK);
    /* guests read the physical counter directly, with no offset */
    write_sysreg(cntvoff_el2, 0);
    if (cpu_id() == 0)
        irq_register(timer_irq(), timer_handler, NULL);
}
