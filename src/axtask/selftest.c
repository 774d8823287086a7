/* Scheduler self-check run at boot: pinned tasks stay on their CPU,
 * CPU-bound tasks are preempted, sleep waits at least as long as asked, wait
 * queues wake tasks on other CPUs (IPI), migratable tasks spread over the
 * CPUs, and every task's memory comes back. Prints one PASS/FAIL line. */
#include "ax/axhal.h"
#include "ax/frame.h"
#include "ax/heap.h"
#include "ax/log.h"
#include "ax/selftest.h"
#include "ax/task.h"

#define CHECK(cond, ...)                                \
    do {                                                \
        if (!(cond)) {                                  \
            log_error("selftest sched: " __VA_ARGS__);  \
            return -1;                                  \
        }                                               \
    } while (0)

/* ---- pinned ---- */
struct pin_arg {
    unsigned want;
    unsigned seen_bad;
};
static void pinned_fn(void *p)
{
    struct pin_arg *a = p;
    for (int i = 0; i < 5; i++) {
        if (cpu_id() != a->want)
            a->seen_bad++;
        if (i & 1)
            task_sleep_ns(200000);
        else
            task_yield();
    }
}

static int test_pinned(void)
{
    static struct pin_arg args[AX_MAX_CPUS];
    struct task *t[AX_MAX_CPUS];
    unsigned n = cpu_count();
    for (unsigned c = 0; c < n; c++) {
        args[c] = (struct pin_arg){.want = c};
        t[c] = task_spawn("pinned", pinned_fn, &args[c], 1ULL << c);
        CHECK(t[c], "cannot spawn pinned task");
    }
    for (unsigned c = 0; c < n; c++)
        task_join(t[c]);
    for (unsigned c = 0; c < n; c++)
        CHECK(args[c].seen_bad == 0, "task pinned to CPU %u ran elsewhere", c);
    return 0;
}

/* ---- preemption: two spinners that never yield share one CPU ---- */
static volatile bool spin_stop;
static volatile uint64_t spin_count[2];
static void spinner_fn(void *p)
{
    volatile uint64_t *cnt = p;
    while (!spin_stop)
        (*cnt)++;
}

static int test_preempt(void)
{
    unsigned c = cpu_count() - 1;
    spin_stop = false;
    spin_count[0] = spin_count[1] = 0;
    struct task *a = task_spawn("spin-a", spinner_fn, (void *)&spin_count[0], 1ULL << c);
    struct task *b = task_spawn("spin-b", spinner_fn, (void *)&spin_count[1], 1ULL << c);
    CHECK(a && b, "cannot spawn spinners");
    /* Neither yields, so each can only get the CPU back by preemption:
     * wait until each has been switched in three times. */
    uint64_t start = timer_now_ns();
    while ((a->nr_switches < 3 || b->nr_switches < 3) && timer_now_ns() - start < 3000000000ULL)
        task_sleep_ns(TASK_SLICE_NS);
    uint64_t a1 = spin_count[0], b1 = spin_count[1];
    uint64_t sw_a = a->nr_switches, sw_b = b->nr_switches;
    spin_stop = true;
    task_join(a);
    task_join(b);
    CHECK(a1 && b1, "CPU-bound tasks on CPU %u were not preempted (%llu / %llu)", c,
          (unsigned long long)a1, (unsigned long long)b1);
    CHECK(sw_a >= 3 && sw_b >= 3, "spinners were switched too few times (%llu, %llu)",
          (unsigned long long)sw_a, (unsigned long long)sw_b);
    return 0;
}

/* ---- sleep ---- */
static int test_sleep(void)
{
    for (uint64_t ns = 1000000; ns <= 8000000; ns *= 2) {
        uint64_t t0 = timer_now_ns();
        task_sleep_ns(ns);
        uint64_t dt = timer_now_ns() - t0;
        CHECK(dt >= ns, "slept %llu ns, asked for %llu", (unsigned long long)dt, (unsigned long long)ns);
    }
    return 0;
}

/* ---- wait queues across CPUs ---- */
#define PINGPONG_ROUNDS 200
static struct wait_queue pp_wq;
static volatile unsigned pp_turn, pp_rounds, pp_wrong_cpu;
static unsigned pp_cpu;
static void pong_fn(void *p)
{
    (void)p;
    for (unsigned i = 0; i < PINGPONG_ROUNDS; i++) {
        wait_event(&pp_wq, pp_turn == 1);
        if (cpu_id() != pp_cpu)
            pp_wrong_cpu++;
        pp_rounds++;
        __atomic_store_n(&pp_turn, 0, __ATOMIC_RELEASE);
        wq_wake_all(&pp_wq);
    }
}

static int test_waitqueue(void)
{
    struct sched_stats before, after;
    sched_get_stats(cpu_id(), &before);
    wq_init(&pp_wq);
    pp_turn = 0;
    pp_rounds = 0;
    pp_wrong_cpu = 0;
    pp_cpu = cpu_count() - 1;
    struct task *t = task_spawn("pong", pong_fn, NULL, 1ULL << pp_cpu);
    CHECK(t, "cannot spawn pong");
    for (unsigned i = 0; i < PINGPONG_ROUNDS; i++) {
        __atomic_store_n(&pp_turn, 1, __ATOMIC_RELEASE);
        wq_wake_all(&pp_wq);
        wait_event(&pp_wq, pp_turn == 0);
    }
    task_join(t);
    sched_get_stats(cpu_id(), &after);
    CHECK(pp_rounds == PINGPONG_ROUNDS, "ping-pong did %u of %u rounds", pp_rounds, PINGPONG_ROUNDS);
    CHECK(pp_wrong_cpu == 0, "pong ran off its CPU %u times", pp_wrong_cpu);
    if (cpu_count() > 1)
        CHECK(after.nr_ipis > before.nr_ipis, "cross-CPU wake-ups sent no IPI");
    return 0;
}

/* ---- migratable tasks: respect their CPU set, spread over it ---- */
#define MIG_PER_CPU 2
static volatile uint64_t mig_cpus_seen;
static void mig_fn(void *p)
{
    (void)p;
    /* about 30 ms of work in slices, so idle CPUs have time to take some */
    for (int i = 0; i < 60; i++) {
        __atomic_fetch_or(&mig_cpus_seen, 1ULL << cpu_id(), __ATOMIC_RELAXED);
        uint64_t t0 = timer_now_ns();
        while (timer_now_ns() - t0 < 500000)
            cpu_relax();
        if (i % 10 == 9)
            task_sleep_ns(100000);
        else
            task_yield();
    }
}

static int test_migratable(void)
{
    struct task *t[AX_MAX_CPUS * MIG_PER_CPU];
    unsigned ncpu = cpu_count();
    unsigned n = ncpu * MIG_PER_CPU;
    /* with 3+ CPUs keep them off CPU 0, so the set is really a restriction */
    uint64_t all = (1ULL << ncpu) - 1;
    uint64_t set = ncpu >= 3 ? all & ~1ULL : all;
    mig_cpus_seen = 0;
    for (unsigned i = 0; i < n; i++) {
        t[i] = task_spawn("mig", mig_fn, NULL, set);
        CHECK(t[i], "cannot spawn migratable task");
    }
    for (unsigned i = 0; i < n; i++)
        task_join(t[i]);
    CHECK((mig_cpus_seen & ~set) == 0, "tasks allowed on CPUs %#llx ran on %#llx", (unsigned long long)set,
          (unsigned long long)mig_cpus_seen);
    if (ncpu >= 2)
        CHECK(__builtin_popcountll(mig_cpus_seen) >= 2, "%u migratable tasks all ran on CPUs %#llx", n,
              (unsigned long long)mig_cpus_seen);
    return 0;
}

int selftest_sched(void)
{
    struct frame_stats f0, f1;
    struct heap_stats h0, h1;
    frame_stats(&f0);
    heap_stats(&h0);
    unsigned tasks0 = task_count();
    log_debug("selftest sched: pinned");
    int err = test_pinned();
    if (!err)
    {
        log_debug("selftest sched: preempt");
        err = test_preempt();
    }
    if (!err)
    {
        log_debug("selftest sched: sleep");
        err = test_sleep();
    }
    if (!err)
    {
        log_debug("selftest sched: waitqueue");
        err = test_waitqueue();
    }
    if (!err)
    {
        log_debug("selftest sched: migratable");
        err = test_migratable();
    }
    if (err) {
        log_error("selftest sched: FAIL");
        return 1;
    }
    heap_stats(&h1);
    frame_stats(&f1);
    if (task_count() != tasks0 || h1.live_allocs != h0.live_allocs) {
        log_error("selftest sched: FAIL: %u tasks / %zu heap objects leaked", task_count() - tasks0,
                  h1.live_allocs - h0.live_allocs);
        return 1;
    }
    struct sched_stats s;
    uint64_t switches = 0, ipis = 0, steals = 0;
    for (unsigned c = 0; c < cpu_count(); c++) {
        sched_get_stats(c, &s);
        switches += s.nr_switches;
        ipis += s.nr_ipis;
        steals += s.nr_steals;
    }
    log_info("selftest sched: PASS (%u CPUs, %llu switches, %llu IPIs, %llu steals, frames %lld)",
             cpu_count(), (unsigned long long)switches, (unsigned long long)ipis,
             (unsigned long long)steals, (long long)(f1.free_pages - f0.free_pages));
    return 0;
}
