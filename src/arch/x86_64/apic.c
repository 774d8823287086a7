/* Local APIC (xAPIC, MMIO at the address in IA32_APIC_BASE), its timer,
 * IPIs, and time from the TSC.
 *
 * Time: timer_now_ns() is the TSC scaled by a factor measured at boot
 * against PIT channel 2 (a fixed 1.193182 MHz clock every PC and QEMU
 * has). Under QEMU TCG the TSC frequency is the host's and nothing in
 * CPUID says it (EPYC has no leaf 0x15/0x16); under -icount the TSC and
 * the PIT both follow virtual time. The same PIT window measures the LAPIC
 * timer's count rate, so one-shot deadlines need no other clock. TSC
 * deadline mode is not used: AMD CPUs do not have it. */
#include "ax/axhal.h"
#include "ax/log.h"
#include "ax/task.h"
#include "arch/context.h"
#include "platform.h"

#define MSR_APIC_BASE 0x1B
#define APIC_BASE_ENABLE (1ULL << 11)

#define LAPIC_ID 0x020
#define LAPIC_VER 0x030
#define LAPIC_TPR 0x080
#define LAPIC_EOI 0x0B0
#define LAPIC_SVR 0x0F0
#define LAPIC_ESR 0x280
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR 0x390
#define LAPIC_TIMER_DIV 0x3E0
#define LVT_MASKED (1u << 16)
#define ICR_BUSY (1u << 12)
#define ICR_INIT 0x00004500u  /* INIT, level assert */
#define ICR_SIPI 0x00004600u
#define ICR_FIXED 0x00004000u /* fixed, assert */

#define PIT_HZ 1193182ULL
#define CALIBRATE_MS 20

static volatile uint32_t *lapic;
static uint64_t tsc_freq, lapic_freq;
static uint64_t tsc_mult; /* ns = (tsc * tsc_mult) >> 32 */
static uint64_t tsc_base;

static irq_handler_t handlers[256];
static void *handler_args[256];

static inline uint32_t lapic_r(unsigned reg) { return lapic[reg / 4]; }
static inline void lapic_w(unsigned reg, uint32_t v) { lapic[reg / 4] = v; }

uint64_t tsc_hz(void) { return tsc_freq; }
uint64_t lapic_timer_hz(void) { return lapic_freq; }
uint64_t timer_freq_hz(void) { return tsc_freq ? tsc_freq : 1000000000ULL; }

uint64_t timer_now_ns(void)
{
    if (!tsc_mult)
        return 0;
    uint64_t t = rdtsc() - tsc_base;
    return (uint64_t)(((unsigned __int128)t * tsc_mult) >> 32);
}

void delay_us(uint64_t us)
{
    uint64_t end = timer_now_ns() + us * 1000;
    while (timer_now_ns() < end)
        cpu_relax();
}

/* Both 8259s fully masked: all interrupts come through the local APIC. */
void pic_disable(void)
{
    outb(0x21, 0xff);
    outb(0xA1, 0xff);
}

static void lapic_map(void)
{
    if (lapic)
        return;
    uint64_t base = rdmsr(MSR_APIC_BASE) & 0xFFFFFF000ULL;
    if (!base)
        base = 0xFEE00000ULL;
    platform.lapic_base = base;
    lapic = (volatile uint32_t *)(uintptr_t)base;
}

uint32_t lapic_read_id(void)
{
    lapic_map();
    return lapic_r(LAPIC_ID) >> 24;
}

/* Runs on the boot CPU before the scheduler: the PIT counts down from a
 * known value (mode 0 on channel 2, gate on, speaker off) and its OUT2 bit
 * in port 0x61 rises at zero. */
void time_calibrate(void)
{
    lapic_map();
    uint16_t count = (uint16_t)(PIT_HZ * CALIBRATE_MS / 1000);
    uint8_t p61 = inb(0x61);
    outb(0x61, (uint8_t)((p61 & ~0x02) | 0x01));
    outb(0x43, 0xB0); /* channel 2, lobyte/hibyte, mode 0, binary */
    outb(0x42, (uint8_t)count);
    outb(0x42, (uint8_t)(count >> 8));

    lapic_w(LAPIC_TIMER_DIV, 0xB); /* divide by 1 */
    lapic_w(LAPIC_LVT_TIMER, LVT_MASKED);
    lapic_w(LAPIC_TIMER_INIT, 0xFFFFFFFFu);
    uint64_t t0 = rdtsc();
    uint32_t c0 = lapic_r(LAPIC_TIMER_CUR);
    uint64_t polls = 0;
    while (!(inb(0x61) & 0x20) && polls < 100000000ULL)
        polls++;
    uint64_t t1 = rdtsc();
    uint32_t c1 = lapic_r(LAPIC_TIMER_CUR);
    outb(0x61, p61);

    (void)c0;
    (void)c1;
    uint64_t ticks_ns = (uint64_t)count * 1000000000ULL / PIT_HZ; /* the window in ns */
    tsc_freq = (t1 - t0) * 1000000000ULL / ticks_ns;
    if (tsc_freq < 1000000ULL)
        tsc_freq = 1000000000ULL; /* no PIT? assume 1 GHz rather than divide by ~0 */

    /* The LAPIC timer against the TSC itself: what matters for deadlines is
     * that both agree. */
    lapic_w(LAPIC_TIMER_INIT, 0xFFFFFFFFu);
    t0 = rdtsc();
    c0 = lapic_r(LAPIC_TIMER_CUR);
    uint64_t window = tsc_freq / 100; /* 10 ms */
    while (rdtsc() - t0 < window)
        cpu_relax();
    t1 = rdtsc();
    c1 = lapic_r(LAPIC_TIMER_CUR);
    lapic_w(LAPIC_TIMER_INIT, 0);
    lapic_freq = (uint64_t)(((unsigned __int128)(c0 - c1) * tsc_freq) / (t1 - t0));
    if (lapic_freq < 1000000ULL)
        lapic_freq = 1000000000ULL;
    tsc_mult = (uint64_t)(((unsigned __int128)1000000000ULL << 32) / tsc_freq);
    tsc_base = 0; /* time counts from the TSC's own zero, like the guests' rdtsc */
}

void lapic_eoi(void) { lapic_w(LAPIC_EOI, 0); }

void lapic_init_cpu(void)
{
    lapic_map();
    wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_ENABLE);
    lapic_w(LAPIC_TPR, 0);
    lapic_w(LAPIC_LVT_LINT0, LVT_MASKED);
    lapic_w(LAPIC_LVT_LINT1, LVT_MASKED);
    lapic_w(LAPIC_LVT_ERROR, LVT_MASKED);
    lapic_w(LAPIC_SVR, 0x100 | VEC_SPURIOUS); /* software enable */
    lapic_w(LAPIC_ESR, 0);
    lapic_w(LAPIC_TIMER_DIV, 0xB);
    lapic_w(LAPIC_LVT_TIMER, LVT_MASKED | VEC_TIMER);
    lapic_w(LAPIC_TIMER_INIT, 0);
    lapic_eoi();
}

static void icr_wait(void)
{
    for (unsigned i = 0; i < 1000000 && (lapic_r(LAPIC_ICR_LO) & ICR_BUSY); i++)
        cpu_relax();
}

static void icr_send(uint32_t apic_id, uint32_t lo)
{
    unsigned long f = arch_irq_save();
    icr_wait();
    lapic_w(LAPIC_ICR_HI, apic_id << 24);
    lapic_w(LAPIC_ICR_LO, lo);
    icr_wait();
    arch_irq_restore(f);
}

void ipi_send(unsigned cpu)
{
    if (cpu >= cpu_count())
        return;
    icr_send(platform.apic_id[cpu], ICR_FIXED | VEC_RESCHED);
}

/* INIT, 10 ms, SIPI, 200 us, SIPI (the MP specification's sequence). A CPU
 * that already runs ignores the second SIPI. */
int lapic_send_init_sipi(uint32_t apic_id, paddr_t entry)
{
    if (entry & 0xfff || entry >= 0x100000)
        return -AX_EINVAL;
    icr_send(apic_id, ICR_INIT);
    delay_us(10000);
    icr_send(apic_id, ICR_SIPI | (uint32_t)(entry >> 12));
    delay_us(200);
    icr_send(apic_id, ICR_SIPI | (uint32_t)(entry >> 12));
    return 0;
}

/* ---- the scheduler's one-shot timer ---- */

void timer_set_oneshot(uint64_t deadline_ns)
{
    if (deadline_ns == 0) {
        lapic_w(LAPIC_TIMER_INIT, 0);
        return;
    }
    uint64_t now = timer_now_ns();
    uint64_t delta = deadline_ns > now ? deadline_ns - now : 0;
    uint64_t ticks = (uint64_t)(((unsigned __int128)delta * lapic_freq) / 1000000000ULL);
    if (ticks == 0)
        ticks = 1;
    if (ticks > 0xFFFFFFFFULL)
        ticks = 0xFFFFFFFFULL; /* fires early; the scheduler re-arms */
    lapic_w(LAPIC_LVT_TIMER, VEC_TIMER); /* one-shot, unmasked */
    lapic_w(LAPIC_TIMER_INIT, (uint32_t)ticks);
}

static void timer_handler(unsigned irq, void *arg)
{
    (void)irq;
    (void)arg;
    sched_timer_irq();
}

static void resched_handler(unsigned irq, void *arg)
{
    (void)irq;
    (void)arg;
    sched_ipi();
}

int irq_register(unsigned irq, irq_handler_t fn, void *arg)
{
    if (irq < 32 || irq > 255)
        return -AX_EINVAL;
    handler_args[irq] = arg;
    __atomic_store_n(&handlers[irq], fn, __ATOMIC_RELEASE);
    return 0;
}

void irq_unregister(unsigned irq)
{
    if (irq >= 32 && irq <= 255)
        __atomic_store_n(&handlers[irq], NULL, __ATOMIC_RELEASE);
}

/* Vectors are always enabled at the LAPIC; masking is per source. */
void irq_set_enabled(unsigned irq, bool on)
{
    (void)irq;
    (void)on;
}

void irq_dispatch(unsigned vector)
{
    if (vector == VEC_SPURIOUS)
        return; /* no EOI for the spurious vector */
    irq_handler_t h = __atomic_load_n(&handlers[vector], __ATOMIC_ACQUIRE);
    /* EOI first: the handler may end in schedule() on another task */
    lapic_eoi();
    if (h)
        h(vector, handler_args[vector]);
}

void timer_init_handlers(void)
{
    irq_register(VEC_TIMER, timer_handler, NULL);
    irq_register(VEC_RESCHED, resched_handler, NULL);
}
