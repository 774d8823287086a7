/* oversub: more vCPUs than pCPUs. All four vCPUs of this VM are pinned to
 * pCPU 0 (phys_cpu_sets = [1, 1, 1, 1]); each runs a CPU-bound job with its
 * own seed and reports its checksum, which must be exact (registers survive
 * every switch). vCPU 0 does its share, then sleeps until the others finish. */
#include "kit.h"

KIT_TEST(oversub);

#define ITERS (1u << 21)
#define TIMEOUT KIT_MS(120000)

/* kit_work(cpu + 1, ITERS), computed on the host */
static const uint64_t expect[KIT_MAX_CPUS] = {
    0xb94771860dc92bf5ull, 0x6b63ed60c8b131d5ull, 0x87c518b7df62aeb8ull, 0x0702346823b437eeull,
    0xf134c99c36b9ead5ull, 0x64e8930e792f056cull, 0x915440a5a8e3683full, 0x15bcba5f67112f4full,
};

static uint32_t done;

/* Fails the test on a wrong checksum. */
static void job(unsigned cpu)
{
    uint64_t t0 = kit_time_ns();
    uint64_t sum = kit_work(cpu + 1, ITERS);
    uint64_t t1 = kit_time_ns();
    kit_printf("cpu %u done: checksum 0x%016lx in %lu us\n", cpu, (unsigned long)sum,
               (unsigned long)((t1 - t0) / 1000));
    if (sum != expect[cpu])
        kit_fail("cpu %u: checksum 0x%016lx, expected 0x%016lx", cpu, (unsigned long)sum,
                 (unsigned long)expect[cpu]);
}

static void secondary(unsigned cpu, uint64_t arg)
{
    (void)arg;
    job(cpu);
    __atomic_fetch_add(&done, 1, __ATOMIC_ACQ_REL);
    kit_cpu_stop();
}

void kit_main(void)
{
    int64_t n = kit_guest_info(HC_INFO_VCPUS);
    KIT_CHECK(n >= 2 && n <= KIT_MAX_CPUS, "HC_INFO_VCPUS is %ld, want 2..%d", (long)n,
              KIT_MAX_CPUS);
    unsigned ncpu = (unsigned)n;
    uint64_t t0 = kit_time_ns();
    for (unsigned c = 1; c < ncpu; c++) {
        int r = kit_cpu_start(c, secondary, 0);
        KIT_CHECK(r == KIT_CPU_OK, "starting cpu %u returned %d", c, r);
    }
    job(0);

    uint64_t deadline = kit_time_ns() + TIMEOUT;
    while (__atomic_load_n(&done, __ATOMIC_ACQUIRE) < ncpu - 1) {
        KIT_CHECK(kit_time_ns() < deadline, "only %u of %u secondary vCPUs finished",
                  __atomic_load_n(&done, __ATOMIC_ACQUIRE), ncpu - 1);
        kit_sleep_ns(KIT_MS(1));
    }
    kit_printf("oversub: %u vCPUs finished in %lu us\n", ncpu,
               (unsigned long)((kit_time_ns() - t0) / 1000));
    kit_pass();
}
