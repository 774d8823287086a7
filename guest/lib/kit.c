/* Arch-neutral kit runtime: boot, results, power, CPUs and faults. */
#include "kit_rt.h"

extern char __kit_image_start[], __kit_image_end[];

/* Set by the first result; later results only park their vCPU, so a test
 * prints exactly one result line even when several vCPUs fail at once. */
static uint32_t finished;

uintptr_t kit_image_start(void)
{
    return (uintptr_t)__kit_image_start;
}

uintptr_t kit_image_end(void)
{
    return (uintptr_t)__kit_image_end;
}

void kit_park(void)
{
    for (;;)
        kit_arch_wfi();
}

/* ---- boot ---------------------------------------------------------------- */

void kit_boot_primary(void)
{
    if (kit_arch_counter_freq() == 0)
        kit_fail("the counter frequency reads as 0");
    kit_main();
    kit_fail("kit_main returned without a result");
}

/* ---- results and power ----------------------------------------------------- */

static bool claim_result(void)
{
    return __atomic_exchange_n(&finished, 1, __ATOMIC_ACQ_REL) == 0;
}

/* After the result line: power off. If that fails, say so on a second
 * result line (harnesses treat any FAIL line as failure) and stop the VM
 * with the hypercall instead. */
static NORETURN void power_off_after_result(void)
{
    kit_arch_system_off();
    kit_printf("KIT %s: FAIL system off returned\n", kit_test_name);
    kit_hc0(HC_VM_SHUTDOWN);
    kit_park();
}

void kit_exit(bool pass)
{
    if (!claim_result())
        kit_park();
    kit_console_flush();
    kit_printf("KIT %s: %s\n", kit_test_name, pass ? "PASS" : "FAIL");
    power_off_after_result();
}

void kit_pass(void)
{
    kit_exit(true);
}

void kit_fail(const char *fmt, ...)
{
    if (!claim_result())
        kit_park();
    kit_console_flush();
    kit_printf("KIT %s: FAIL ", kit_test_name);
    va_list ap;
    va_start(ap, fmt);
    kit_vprintf(fmt, ap);
    va_end(ap);
    kit_printf("\n");
    power_off_after_result();
}

void kit_skip(const char *fmt, ...)
{
    if (!claim_result())
        kit_park();
    kit_console_flush();
    kit_printf("KIT %s: SKIP ", kit_test_name);
    va_list ap;
    va_start(ap, fmt);
    kit_vprintf(fmt, ap);
    va_end(ap);
    kit_printf("\n");
    power_off_after_result();
}

void kit_system_off(void)
{
    kit_console_flush();
    kit_arch_system_off();
    kit_hc0(HC_VM_SHUTDOWN);
    kit_park();
}

void kit_system_reset(void)
{
    kit_console_flush();
    kit_arch_system_reset();
}

/* ---- CPUs ------------------------------------------------------------------ */

/* The context id carries a tag and the target index, so a secondary can
 * check that the hypervisor delivered it (and to the right vCPU). */
#define CONTEXT_TAG 0x4b49540000000000ull /* "KIT" */

struct boot_slot {
    kit_cpu_fn fn;
    uint64_t arg;
};

static struct boot_slot boot_slots[KIT_MAX_CPUS];

int kit_cpu_start(unsigned cpu, kit_cpu_fn fn, uint64_t arg)
{
    if (cpu < KIT_MAX_CPUS) {
        boot_slots[cpu].fn = fn;
        boot_slots[cpu].arg = arg;
        __atomic_thread_fence(__ATOMIC_RELEASE);
    }
    return kit_arch_cpu_on(cpu, CONTEXT_TAG | cpu);
}

void kit_boot_secondary(uint64_t context)
{
    unsigned cpu = kit_cpu_id();
    uint64_t want = CONTEXT_TAG | cpu;
    if (context != want)
        kit_fail("cpu %u started with context 0x%lx, expected 0x%lx", cpu,
                 (unsigned long)context, (unsigned long)want);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    struct boot_slot slot = boot_slots[cpu];
    if (!slot.fn)
        kit_fail("cpu %u started but nothing asked for it", cpu);
    slot.fn(cpu, slot.arg);
    kit_cpu_stop();
}

void kit_cpu_stop(void)
{
    kit_console_flush();
    kit_arch_cpu_off();
    kit_fail("cpu %u: CPU_OFF returned", kit_cpu_id());
}

int kit_cpu_state(unsigned cpu)
{
    return kit_arch_cpu_state(cpu);
}

int64_t kit_firmware_version(void)
{
    return kit_arch_firmware_version();
}

/* ---- faults ------------------------------------------------------------------ */

static kit_fault_handler fault_handler;

void kit_set_fault_handler(kit_fault_handler h)
{
    __atomic_store_n(&fault_handler, h, __ATOMIC_RELEASE);
}

enum kit_fault_action kit_fault_dispatch(const struct kit_fault *f)
{
    kit_fault_handler h = __atomic_load_n(&fault_handler, __ATOMIC_ACQUIRE);
    return h ? h(f) : KIT_FAULT_UNHANDLED;
}

/* ---- probing for a device ---- */

static uint32_t probe_faults;

static enum kit_fault_action probe_fault(const struct kit_fault *f)
{
    if (f->cls != KIT_FAULT_LOAD)
        return KIT_FAULT_UNHANDLED;
    __atomic_fetch_add(&probe_faults, 1, __ATOMIC_RELAXED);
    return KIT_FAULT_SKIP;
}

/* The test's own fault handler is put aside for the one load; nothing else
 * may fault meanwhile (the runtime probes on vCPU 0 before others run). */
bool kit_probe_read32(uintptr_t addr, uint32_t *val)
{
    kit_fault_handler saved = __atomic_exchange_n(&fault_handler, probe_fault, __ATOMIC_ACQ_REL);
    uint32_t before = __atomic_load_n(&probe_faults, __ATOMIC_RELAXED);
    uint32_t v = kit_mmio_read32(addr);
    bool ok = __atomic_load_n(&probe_faults, __ATOMIC_RELAXED) == before;
    __atomic_store_n(&fault_handler, saved, __ATOMIC_RELEASE);
    *val = ok ? v : 0;
    return ok;
}

static const char *class_name(enum kit_fault_class c)
{
    switch (c) {
    case KIT_FAULT_LOAD: return "load abort";
    case KIT_FAULT_STORE: return "store abort";
    case KIT_FAULT_FETCH: return "fetch abort";
    case KIT_FAULT_UNDEF: return "undefined instruction";
    case KIT_FAULT_IRQ: return "interrupt";
    default: return "other";
    }
}

void kit_fault_fail(const struct kit_fault *f)
{
    kit_fail("unexpected exception (%s) on cpu %u: cause 0x%lx addr 0x%lx pc 0x%lx",
             class_name(f->cls), kit_cpu_id(), (unsigned long)f->cause,
             (unsigned long)f->addr, (unsigned long)f->pc);
}
