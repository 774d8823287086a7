/* Timer: the time CSR at the DTB's timebase-frequency; one-shot deadlines
 * through stimecmp when the CPU has Sstc (QEMU's default CPU does), else
 * through SBI TIME set_timer. Either way the interrupt is STIP, cleared by
 * moving the compare value into the future. */
#include "ax/axhal.h"
#include "ax/task.h"
#include "csr.h"
#include "platform.h"

#define DEFAULT_TIMEBASE 10000000ULL /* QEMU virt */

static uint64_t freq;

uint64_t timer_freq_hz(void) { return freq ? freq : DEFAULT_TIMEBASE; }

uint64_t timer_ticks_to_ns(uint64_t t)
{
    uint64_t f = timer_freq_hz();
    return (t / f) * 1000000000ULL + (t % f) * 1000000000ULL / f;
}

uint64_t timer_ns_to_ticks(uint64_t ns)
{
    uint64_t f = timer_freq_hz();
    return (ns / 1000000000ULL) * f + (ns % 1000000000ULL) * f / 1000000000ULL;
}

uint64_t timer_now_ns(void) { return timer_ticks_to_ns(rdtime()); }

static void compare_set(uint64_t ticks)
{
    if (have_sstc)
        csr_write(stimecmp, ticks);
    else
        sbi_set_timer(ticks);
}

void timer_set_oneshot(uint64_t deadline_ns)
{
    compare_set(deadline_ns == 0 ? ~0ULL : timer_ns_to_ticks(deadline_ns) + 1);
}

void timer_irq_handler(void)
{
    /* quiet until the scheduler programs the next deadline */
    compare_set(~0ULL);
    sched_timer_irq();
}

void timer_init_cpu(void)
{
    if (!freq)
        freq = platform.timebase_hz ? platform.timebase_hz : DEFAULT_TIMEBASE;
    compare_set(~0ULL);
    csr_set(sie, SIP_STIP | SIP_SSIP);
}
