/* Interrupt latency benchmarks for `make bench`, beside `bench` (which stays
 * a VM without an interrupt controller, so its figures keep their meaning).
 * Run under QEMU -icount shift=0 -smp 1, where one guest instruction is one
 * nanosecond of virtual time, with 2 vCPUs on the one pCPU.
 *
 * Each figure is the median (and *_mean, the mean) over EVENTS interrupts of
 * the time from the event to the interrupt vector's first instructions
 * (kit_irq_entry_ns), in ns = instructions, at the counter's resolution
 * (16 on QEMU virt aarch64):
 *   vtimer_irq_latency      timer deadline -> vector, the vCPU running a loop
 *   vtimer_irq_latency_wfi  the same, the vCPU waiting in WFI
 *   ipi_self_latency        the IPI send instruction -> vector, to itself
 *   ipi_cross_vcpu_switch   vCPU 0's send -> vector on vCPU 1, which waits
 *                           in WFI: vCPU 0 goes on to WFI itself, so this
 *                           includes the hypervisor switching vCPUs
 * Prints "BENCH <metric> <value>" lines that scripts/bench.py collects;
 * without an interrupt controller it SKIPs. */
#include "kit.h"

KIT_TEST(benchirq);

#define EVENTS 1001
#define TIMER_AHEAD KIT_US(20)
#define WARMUP 10

static uint64_t samples[EVENTS];

static uint32_t hits[KIT_MAX_CPUS];
static uint64_t entry_ns[KIT_MAX_CPUS];
static uint32_t cpu1_ready, stop;

static uint32_t load(const uint32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/* Every handler only stamps and counts; vCPU 1 answers an IPI with one. */
static void handler(unsigned irq)
{
    unsigned cpu = kit_cpu_id() % KIT_MAX_CPUS;
    entry_ns[cpu] = kit_irq_entry_ns();
    __atomic_fetch_add(&hits[cpu], 1, __ATOMIC_ACQ_REL);
    if (cpu == 1 && irq == kit_ipi_irq())
        kit_ipi_send(0);
}

static void sort(uint64_t *a, int n)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && a[j - 1] > a[j]; j--) {
            uint64_t t = a[j];
            a[j] = a[j - 1];
            a[j - 1] = t;
        }
}

static void report(const char *name)
{
    uint64_t sum = 0;
    for (int i = 0; i < EVENTS; i++)
        sum += samples[i];
    sort(samples, EVENTS);
    kit_printf("BENCH %s %llu\n", name, (unsigned long long)samples[EVENTS / 2]);
    kit_printf("BENCH %s_mean %llu\n", name, (unsigned long long)(sum / EVENTS));
}

/* One timer interrupt `TIMER_AHEAD` from now, waited for in WFI or in a
 * loop; returns deadline -> vector entry. */
static uint64_t timer_event(bool wfi)
{
    uint32_t before = load(&hits[0]);
    uint64_t deadline = kit_time_ns() + TIMER_AHEAD;
    if (wfi) {
        kit_irq_local_disable();
        kit_timer_irq_arm(deadline);
        while (load(&hits[0]) == before)
            kit_irq_wait();
        kit_irq_local_enable();
    } else {
        kit_timer_irq_arm(deadline);
        while (load(&hits[0]) == before)
            ;
    }
    return entry_ns[0] - deadline;
}

static void bench_timer(const char *name, bool wfi)
{
    for (int i = 0; i < WARMUP; i++)
        timer_event(wfi);
    for (int i = 0; i < EVENTS; i++)
        samples[i] = timer_event(wfi);
    report(name);
}

static void bench_ipi_self(void)
{
    for (int i = -WARMUP; i < EVENTS; i++) {
        uint32_t before = load(&hits[0]);
        kit_ipi_send(0);
        while (load(&hits[0]) == before)
            ;
        if (i >= 0)
            samples[i] = entry_ns[0] - kit_ipi_sent_ns();
    }
    report("ipi_self_latency");
}

static void cpu1_main(unsigned cpu, uint64_t arg)
{
    (void)cpu;
    (void)arg;
    if (!kit_irq_init() || !kit_irq_enable(kit_ipi_irq()))
        kit_fail("cpu 1: no interrupt controller");
    kit_irq_local_disable();
    __atomic_store_n(&cpu1_ready, 1, __ATOMIC_RELEASE);
    while (!load(&stop))
        kit_irq_wait();
    kit_cpu_stop();
}

/* vCPU 0 sends, then waits in WFI for the answer; vCPU 1 is in WFI on the
 * same pCPU, so the hypervisor has to switch to it. */
static void bench_ipi_cross(void)
{
    int r = kit_cpu_start(1, cpu1_main, 0);
    KIT_CHECK(r == KIT_CPU_OK, "starting cpu 1 returned %d", r);
    uint64_t deadline = kit_time_ns() + KIT_MS(1000);
    while (!load(&cpu1_ready)) {
        KIT_CHECK(kit_time_ns() < deadline, "cpu 1 did not come up");
        kit_sleep_ns(KIT_US(100));
    }
    kit_sleep_ns(KIT_US(100)); /* let it reach its WFI */
    kit_irq_local_disable();
    for (int i = -WARMUP; i < EVENTS; i++) {
        uint32_t before = load(&hits[0]);
        kit_ipi_send(1);
        while (load(&hits[0]) == before)
            kit_irq_wait();
        if (i >= 0)
            samples[i] = entry_ns[1] - kit_ipi_sent_ns();
    }
    kit_irq_local_enable();
    __atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
    kit_ipi_send(1);
    report("ipi_cross_vcpu_switch");
}

void kit_main(void)
{
    if (!kit_irq_init())
        kit_skip("no interrupt controller in this kit runtime (or VM)");
    kit_irq_set_handler(handler);
    KIT_CHECK(kit_irq_enable(kit_timer_irq()) && kit_irq_enable(kit_ipi_irq()),
              "enabling the timer and IPI interrupts failed");
    kit_irq_local_enable();
    bench_timer("vtimer_irq_latency", false);
    bench_timer("vtimer_irq_latency_wfi", true);
    bench_ipi_self();
    bench_ipi_cross();
    kit_pass();
}
