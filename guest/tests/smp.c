/* smp: vCPU bring-up and the CPU power interface (PSCI on aarch64).
 *
 * vCPU 0 starts every other vCPU; each says "cpu N up" with its hardware
 * id, checks it is who it was started as, bumps a shared counter and holds
 * until released. While they are up, vCPU 0 checks their state reads ON and
 * that starting one again answers ALREADY_ON; starting a vCPU the VM does
 * not have answers INVALID_PARAMETERS. Released, each stops itself and
 * vCPU 0 waits until all read OFF. Configs smp2 and smp4 (2 and 4 vCPUs). */
#include "kit.h"

KIT_TEST(smp);

#define TIMEOUT KIT_MS(10000)
#define POLL KIT_US(200)

static uint32_t up_count;
static uint32_t released;
static uint32_t secondary_error[KIT_MAX_CPUS];

static void secondary(unsigned cpu, uint64_t want)
{
    int64_t hv_id = kit_guest_info(HC_INFO_VCPU_ID);
    kit_printf("cpu %u up, hw id 0x%lx, vcpu id %ld\n", cpu, (unsigned long)kit_cpu_hw_id(), (long)hv_id);
    if (cpu != want || hv_id != (int64_t)want)
        __atomic_store_n(&secondary_error[want % KIT_MAX_CPUS], 1, __ATOMIC_RELEASE);
    __atomic_fetch_add(&up_count, 1, __ATOMIC_ACQ_REL);
    while (!__atomic_load_n(&released, __ATOMIC_ACQUIRE))
        kit_sleep_ns(POLL);
    kit_cpu_stop();
}

/* Polls until *counter reaches want, sleeping between looks. */
static bool wait_count(uint32_t *counter, uint32_t want)
{
    uint64_t deadline = kit_time_ns() + TIMEOUT;
    while (__atomic_load_n(counter, __ATOMIC_ACQUIRE) < want) {
        if (kit_time_ns() >= deadline)
            return false;
        kit_sleep_ns(POLL);
    }
    return true;
}

static bool wait_state(unsigned cpu, int want, int *last)
{
    uint64_t deadline = kit_time_ns() + TIMEOUT;
    for (;;) {
        *last = kit_cpu_state(cpu);
        if (*last == want)
            return true;
        if (*last < 0 || kit_time_ns() >= deadline)
            return false;
        kit_sleep_ns(POLL);
    }
}

void kit_main(void)
{
    int64_t n = kit_guest_info(HC_INFO_VCPUS);
    kit_printf("smp: %ld vCPUs, boot cpu %u hw id 0x%lx\n", (long)n, kit_cpu_id(),
               (unsigned long)kit_cpu_hw_id());
    KIT_CHECK(n >= 2 && n <= KIT_MAX_CPUS, "HC_INFO_VCPUS is %ld, want 2..%d", (long)n,
              KIT_MAX_CPUS);
    KIT_CHECK(kit_cpu_id() == 0, "boot vCPU has id %u", kit_cpu_id());
    unsigned ncpu = (unsigned)n;

    for (unsigned c = 1; c < ncpu; c++) {
        int r = kit_cpu_start(c, secondary, c);
        KIT_CHECK(r == KIT_CPU_OK, "starting cpu %u returned %d", c, r);
    }
    KIT_CHECK(wait_count(&up_count, ncpu - 1), "only %u of %u secondary vCPUs came up",
              __atomic_load_n(&up_count, __ATOMIC_ACQUIRE), ncpu - 1);
    for (unsigned c = 1; c < ncpu; c++)
        KIT_CHECK(!__atomic_load_n(&secondary_error[c], __ATOMIC_ACQUIRE),
                  "cpu started as %u runs with another id (see its line)", c);

    for (unsigned c = 0; c < ncpu; c++) {
        int s = kit_cpu_state(c);
        KIT_CHECK(s == KIT_CPU_STATE_ON, "state of running cpu %u is %d, expected ON (0)", c, s);
    }
    for (unsigned c = 0; c < ncpu; c++) {
        int r = kit_cpu_start(c, secondary, c);
        KIT_CHECK(r == KIT_CPU_ALREADY_ON, "starting running cpu %u returned %d, expected %d", c,
                  r, KIT_CPU_ALREADY_ON);
    }
    int r = kit_cpu_start(ncpu, secondary, ncpu);
    KIT_CHECK(r == KIT_CPU_INVALID, "starting nonexistent cpu %u returned %d, expected %d", ncpu,
              r, KIT_CPU_INVALID);
    r = kit_cpu_start(0xff, secondary, 0xff);
    KIT_CHECK(r == KIT_CPU_INVALID, "starting nonexistent cpu 0xff returned %d, expected %d", r,
              KIT_CPU_INVALID);

    __atomic_store_n(&released, 1, __ATOMIC_RELEASE);
    for (unsigned c = 1; c < ncpu; c++) {
        int last;
        KIT_CHECK(wait_state(c, KIT_CPU_STATE_OFF, &last),
                  "cpu %u did not turn OFF after stopping itself (state %d)", c, last);
    }
    kit_printf("smp: %u secondary vCPUs came up and went off\n", ncpu - 1);
    kit_pass();
}
