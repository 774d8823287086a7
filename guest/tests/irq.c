/* irq: guest interrupts through the VM's interrupt controller (aarch64:
 * the vGIC, GICv3 or GICv2 as the host has it), with 2 vCPUs.
 *
 * 1. timer: armed 1 ms ahead, vCPU 0 waits in WFI; the handler runs exactly
 *    once and not before the deadline. Then 100 in a row, then one that
 *    arrives while the vCPU computes instead of waiting.
 * 2. an IPI to itself is taken at once with interrupts on; with them masked
 *    it waits, and comes exactly once when they are unmasked.
 * 3. IPI ping-pong with vCPU 1, which sleeps in WFI: 100 round trips, each
 *    pong sent from vCPU 1's handler.
 * 4. more interrupts pending than the hypervisor has list registers (QEMU's
 *    GIC has 4): 8 different IPIs made pending on a vCPU with interrupts
 *    masked, first on vCPU 0 itself, then on vCPU 1; once unmasked every
 *    handler runs exactly once (the order is printed, not checked: a vGIC
 *    that fills list registers as interrupts arrive need not keep it).
 * No interrupt other than the timer and these IPIs may arrive. Waits sleep
 * with interrupts masked and unmask after each WFI (kit_irq_wait), with the
 * timer as a watchdog where the timer is not what is tested. Without an
 * interrupt controller in this arch's kit runtime the test SKIPs. */
#include "kit.h"

KIT_TEST(irq);

#define TIMEOUT KIT_MS(2000)
#define TIMER_ROUNDS 100
#define PINGS 100
#define NIPI 8             /* more than QEMU's 4 list registers */
#define MAX_IPIS 16

struct irq_counts {
    uint32_t timer;
    uint64_t timer_entry_ns;
    uint32_t ipi[MAX_IPIS];   /* by IPI index k (kit_ipi_irq_nth(k)) */
    uint32_t order[MAX_IPIS]; /* IPI indexes in arrival order */
    uint32_t norder;
    uint32_t other;           /* anything else */
    uint32_t other_irq;
};

static struct irq_counts counts[KIT_MAX_CPUS];

/* vCPU 1's orders */
enum { CMD_NONE, CMD_PONG, CMD_MASKED, CMD_UNMASK, CMD_STOP };
static uint32_t cmd;
static uint32_t cpu1_ready, cpu1_masked, cpu1_unmasked;
static uint32_t cpu1_error;

static uint32_t load(const uint32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store(uint32_t *p, uint32_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static int ipi_index(unsigned irq)
{
    unsigned n = kit_ipi_count() < MAX_IPIS ? kit_ipi_count() : MAX_IPIS;
    for (unsigned k = 0; k < n; k++)
        if (kit_ipi_irq_nth(k) == irq)
            return (int)k;
    return -1;
}

static void handler(unsigned irq)
{
    unsigned cpu = kit_cpu_id() % KIT_MAX_CPUS;
    struct irq_counts *c = &counts[cpu];
    if (irq == kit_timer_irq()) {
        c->timer_entry_ns = kit_irq_entry_ns();
        __atomic_fetch_add(&c->timer, 1, __ATOMIC_ACQ_REL);
        return;
    }
    int k = ipi_index(irq);
    if (k < 0) {
        c->other_irq = irq;
        __atomic_fetch_add(&c->other, 1, __ATOMIC_ACQ_REL);
        return;
    }
    if (c->norder < MAX_IPIS)
        c->order[c->norder++] = (uint32_t)k;
    __atomic_fetch_add(&c->ipi[k], 1, __ATOMIC_ACQ_REL);
    /* vCPU 1 answers each ping while ping-pong is on */
    if (cpu == 1 && irq == kit_ipi_irq() && load(&cmd) == CMD_PONG)
        kit_ipi_send(0);
}

/* Sleeps in WFI until *v >= want, the timer waking it at the deadline at
 * the latest. Returns with interrupts as they were. */
static bool wait_for(const uint32_t *v, uint32_t want, uint64_t timeout)
{
    uint64_t deadline = kit_time_ns() + timeout;
    bool was_on = kit_irq_local_enabled();
    bool ok;
    kit_irq_local_disable();
    while (!(ok = load(v) >= want) && kit_time_ns() < deadline) {
        kit_timer_irq_arm(deadline);
        kit_irq_wait();
    }
    kit_timer_irq_cancel();
    if (was_on)
        kit_irq_local_enable();
    return ok;
}

/* Polls with short sleeps: for what another vCPU does without sending an
 * interrupt. */
static bool poll_for(const uint32_t *v, uint32_t want, uint64_t timeout)
{
    uint64_t deadline = kit_time_ns() + timeout;
    while (load(v) < want) {
        if (kit_time_ns() >= deadline)
            return false;
        kit_sleep_ns(KIT_US(100));
    }
    return true;
}

/* Polls without WFI (for what must happen without any waiting). */
static bool spin_for(const uint32_t *v, uint32_t want, uint64_t timeout)
{
    uint64_t deadline = kit_time_ns() + timeout;
    while (load(v) < want)
        if (kit_time_ns() >= deadline)
            return false;
    return true;
}

static void enable_all(void)
{
    bool ok = kit_irq_enable(kit_timer_irq()) && kit_irq_enable(kit_ipi_irq());
    for (unsigned k = 0; k < NIPI; k++) {
        unsigned irq = kit_ipi_irq_nth(k);
        /* SGI 7 most urgent, SGI 0 least */
        ok = ok && kit_irq_set_priority(irq, (uint8_t)(0x80 - 0x10 * k)) && kit_irq_enable(irq);
    }
    if (!ok)
        kit_fail("cpu %u: enabling its interrupts at the controller failed", kit_cpu_id());
}

/* ---- 1. the timer ---- */

/* Arms the timer `ahead` ns from now and sleeps in WFI until its handler
 * ran; returns the latency from deadline to handler entry. */
static uint64_t timer_once(uint64_t ahead, unsigned round)
{
    struct irq_counts *c = &counts[0];
    uint32_t before = load(&c->timer);
    uint64_t deadline = kit_time_ns() + ahead;
    kit_irq_local_disable();
    kit_timer_irq_arm(deadline);
    while (load(&c->timer) == before && kit_time_ns() < deadline + TIMEOUT)
        kit_irq_wait();
    kit_irq_local_enable();
    uint32_t got = load(&c->timer) - before;
    KIT_CHECK(got == 1, "timer round %u: %u interrupts, expected 1", round, got);
    KIT_CHECK(c->timer_entry_ns >= deadline, "timer round %u: handler entered at %lu ns, before the deadline %lu",
              round, (unsigned long)c->timer_entry_ns, (unsigned long)deadline);
    return c->timer_entry_ns - deadline;
}

static void test_timer(void)
{
    uint64_t lat = timer_once(KIT_MS(1), 0);
    kit_printf("irq: timer interrupt 1 ms ahead: handler %lu ns after the deadline\n", (unsigned long)lat);

    uint64_t worst = 0, start = kit_time_ns();
    for (unsigned i = 1; i <= TIMER_ROUNDS; i++) {
        lat = timer_once(KIT_US(500), i);
        worst = lat > worst ? lat : worst;
    }
    kit_printf("irq: %u timer interrupts in a row in %lu us, worst latency %lu ns\n", TIMER_ROUNDS,
               (unsigned long)((kit_time_ns() - start) / 1000), (unsigned long)worst);

    /* taken while running, not waiting */
    struct irq_counts *c = &counts[0];
    uint32_t before = load(&c->timer);
    uint64_t deadline = kit_time_ns() + KIT_MS(1), sum = 0;
    kit_timer_irq_arm(deadline);
    while (load(&c->timer) == before && kit_time_ns() < deadline + TIMEOUT)
        sum += kit_work(sum, 1000);
    KIT_CHECK(load(&c->timer) == before + 1, "timer while computing: %u interrupts, expected 1",
              load(&c->timer) - before);
    KIT_CHECK(c->timer_entry_ns >= deadline, "timer while computing: handler before the deadline");
    /* one-shot: nothing more comes */
    kit_sleep_ns(KIT_MS(2));
    KIT_CHECK(load(&c->timer) == before + 1, "the one-shot timer interrupt came again");
}

/* ---- 2. an IPI to itself ---- */

static void test_self_ipi(void)
{
    int k = ipi_index(kit_ipi_irq());
    struct irq_counts *c = &counts[0];
    uint32_t before = load(&c->ipi[k]);
    KIT_CHECK(kit_ipi_send(0), "sending an IPI to itself failed");
    KIT_CHECK(spin_for(&c->ipi[k], before + 1, TIMEOUT), "IPI to itself with interrupts on: handler did not run");

    kit_irq_local_disable();
    KIT_CHECK(kit_ipi_send(0), "sending an IPI to itself failed");
    volatile uint64_t sink = kit_work(1, 10000); /* time to arrive, were it not masked */
    (void)sink;
    KIT_CHECK(load(&c->ipi[k]) == before + 1, "an IPI was taken with interrupts masked");
    kit_irq_local_enable();
    KIT_CHECK(spin_for(&c->ipi[k], before + 2, TIMEOUT), "a masked IPI did not come once unmasked");
    kit_sleep_ns(KIT_MS(1));
    KIT_CHECK(load(&c->ipi[k]) == before + 2, "the IPI to itself came %u times, expected 2",
              load(&c->ipi[k]) - before);
    kit_printf("irq: IPI to itself taken with interrupts on, and held while masked\n");
}

/* ---- 3. ping-pong with vCPU 1 ---- */

static void test_ping_pong(void)
{
    int k = ipi_index(kit_ipi_irq());
    struct irq_counts *me = &counts[0], *peer = &counts[1];
    uint32_t pings = load(&peer->ipi[k]), pongs = load(&me->ipi[k]);
    store(&cmd, CMD_PONG);
    uint64_t start = kit_time_ns();
    for (unsigned i = 1; i <= PINGS; i++) {
        KIT_CHECK(kit_ipi_send(1), "sending an IPI to cpu 1 failed");
        KIT_CHECK(wait_for(&me->ipi[k], pongs + i, TIMEOUT), "ping %u: no pong from cpu 1 (it took %u pings)", i,
                  load(&peer->ipi[k]) - pings);
    }
    uint64_t took = kit_time_ns() - start;
    kit_sleep_ns(KIT_MS(1));
    KIT_CHECK(load(&peer->ipi[k]) == pings + PINGS, "cpu 1 took %u pings, expected %u", load(&peer->ipi[k]) - pings,
              PINGS);
    KIT_CHECK(load(&me->ipi[k]) == pongs + PINGS, "cpu 0 took %u pongs, expected %u", load(&me->ipi[k]) - pongs,
              PINGS);
    kit_printf("irq: %u IPI round trips with cpu 1 in %lu us\n", PINGS, (unsigned long)(took / 1000));
}

/* ---- 4. more pending than list registers ---- */

static void check_each_once(unsigned cpu, const uint32_t *before, const char *what)
{
    struct irq_counts *c = &counts[cpu];
    for (unsigned k = 0; k < NIPI; k++) {
        uint32_t got = load(&c->ipi[k]) - before[k];
        KIT_CHECK(got == 1, "%s: IPI %u (irq %u) handled %u times, expected once", what, k, kit_ipi_irq_nth(k), got);
    }
    char line[3 * MAX_IPIS + 1];
    unsigned n = 0;
    for (unsigned i = 0; i < c->norder && i < MAX_IPIS; i++) {
        line[n++] = ' ';
        line[n++] = (char)('0' + c->order[i] % 10);
    }
    line[n] = '\0';
    kit_printf("irq: %s: all %u handled once, in order%s\n", what, NIPI, line);
}

static void snapshot(unsigned cpu, uint32_t *before)
{
    for (unsigned k = 0; k < NIPI; k++)
        before[k] = load(&counts[cpu].ipi[k]);
}

static void send_all(unsigned cpu)
{
    for (unsigned k = 0; k < NIPI; k++)
        KIT_CHECK(kit_ipi_send_irq(cpu, kit_ipi_irq_nth(k)), "sending IPI %u to cpu %u failed", k, cpu);
}

static bool all_arrived(unsigned cpu, const uint32_t *before)
{
    for (unsigned k = 0; k < NIPI; k++)
        if (load(&counts[cpu].ipi[k]) == before[k])
            return false;
    return true;
}

static void test_overflow_self(void)
{
    uint32_t before[NIPI];
    snapshot(0, before);
    kit_irq_local_disable();
    counts[0].norder = 0;
    send_all(0);
    for (unsigned k = 0; k < NIPI; k++)
        KIT_CHECK(load(&counts[0].ipi[k]) == before[k], "IPI %u taken with interrupts masked", k);
    kit_irq_local_enable();
    uint64_t deadline = kit_time_ns() + TIMEOUT;
    while (!all_arrived(0, before) && kit_time_ns() < deadline)
        kit_sleep_ns(KIT_US(100));
    kit_sleep_ns(KIT_MS(1)); /* let duplicates show */
    check_each_once(0, before, "8 IPIs pending on cpu 0 (masked)");
}

static void test_overflow_peer(void)
{
    uint32_t before[NIPI];
    store(&cmd, CMD_MASKED);
    kit_ipi_send(1); /* wake it to read the order */
    KIT_CHECK(poll_for(&cpu1_masked, 1, TIMEOUT), "cpu 1 did not mask its interrupts");
    snapshot(1, before);
    counts[1].norder = 0; /* cpu 1 takes no interrupt now */
    send_all(1);
    kit_sleep_ns(KIT_MS(1));
    for (unsigned k = 0; k < NIPI; k++)
        KIT_CHECK(load(&counts[1].ipi[k]) == before[k], "cpu 1 took IPI %u with interrupts masked", k);
    store(&cmd, CMD_UNMASK);
    KIT_CHECK(poll_for(&cpu1_unmasked, 1, TIMEOUT), "cpu 1 did not unmask its interrupts");
    check_each_once(1, before, "8 IPIs pending on cpu 1 (masked)");
}

/* ---- vCPU 1 ---- */

/* Sleeps until cmd is no longer `now`; interrupts are taken meanwhile
 * (the timer wakes it every millisecond to look). */
static uint32_t cpu1_wait_cmd(uint32_t now)
{
    uint32_t c;
    kit_irq_local_disable();
    while ((c = load(&cmd)) == now) {
        kit_timer_irq_arm(kit_time_ns() + KIT_MS(1));
        kit_irq_wait();
    }
    kit_timer_irq_cancel();
    kit_irq_local_enable();
    return c;
}

static void cpu1_main(unsigned cpu, uint64_t arg)
{
    (void)cpu;
    (void)arg;
    if (!kit_irq_init()) {
        store(&cpu1_error, 1);
        kit_cpu_stop();
    }
    enable_all();
    kit_irq_local_enable();
    store(&cpu1_ready, 1);
    uint32_t c = CMD_NONE;
    for (;;) {
        c = cpu1_wait_cmd(c);
        if (c == CMD_STOP)
            break;
        if (c != CMD_MASKED)
            continue;
        kit_irq_local_disable();
        store(&cpu1_masked, 1);
        uint64_t deadline = kit_time_ns() + 2 * TIMEOUT; /* vCPU 0 gives up first */
        while (load(&cmd) == CMD_MASKED && kit_time_ns() < deadline)
            kit_sleep_ns(KIT_US(100)); /* stays masked; pending IPIs end its WFIs early */
        kit_irq_local_enable();        /* all eight come now */
        kit_sleep_ns(KIT_MS(1));
        store(&cpu1_unmasked, 1);
        c = load(&cmd);
    }
    kit_irq_local_disable();
    kit_cpu_stop();
}

void kit_main(void)
{
    if (!kit_irq_init())
        kit_skip("no interrupt controller in this kit runtime (or VM)");
    int64_t n = kit_guest_info(HC_INFO_VCPUS);
    kit_printf("irq: %s, %ld vCPUs\n", kit_irq_controller(), (long)n);
    KIT_CHECK(n >= 2, "the irq test needs 2 vCPUs, the VM has %ld", (long)n);
    KIT_CHECK(kit_ipi_count() >= NIPI, "only %u IPIs on this platform", kit_ipi_count());
    kit_irq_set_handler(handler);
    enable_all();
    kit_irq_local_enable();

    test_timer();
    test_self_ipi();
    test_overflow_self();

    int r = kit_cpu_start(1, cpu1_main, 0);
    KIT_CHECK(r == KIT_CPU_OK, "starting cpu 1 returned %d", r);
    KIT_CHECK(poll_for(&cpu1_ready, 1, TIMEOUT) || load(&cpu1_error), "cpu 1 did not come up");
    KIT_CHECK(!load(&cpu1_error), "cpu 1: kit_irq_init failed there");
    test_ping_pong();
    test_overflow_peer();

    store(&cmd, CMD_STOP);
    kit_ipi_send(1);
    uint64_t deadline = kit_time_ns() + TIMEOUT;
    while (kit_cpu_state(1) != KIT_CPU_STATE_OFF && kit_time_ns() < deadline)
        kit_sleep_ns(KIT_US(200));
    KIT_CHECK(kit_cpu_state(1) == KIT_CPU_STATE_OFF, "cpu 1 did not stop");
    for (unsigned c = 0; c < 2; c++)
        KIT_CHECK(load(&counts[c].other) == 0, "cpu %u took %u unexpected interrupts (last irq %u)", c,
                  load(&counts[c].other), counts[c].other_irq);
    kit_pass();
}
