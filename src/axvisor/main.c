/* axvisor top level: bring the machine up, run the boot self-checks, start
 * the built-in VMs and the shell, and power off when the last VM stops (or,
 * once the shell was used, when it says `poweroff`). */
#include "ax/axhal.h"
#include "ax/builtin.h"
#include "ax/vm.h"
#include "ax/cmdline.h"
#include "ax/console_mux.h"
#include "ax/frame.h"
#include "ax/fsload.h"
#include "ax/heap.h"
#include "ax/log.h"
#include "ax/selftest.h"
#include "ax/shell.h"
#include "ax/task.h"
#include "ax/version.h"

void hv_set_boot_info(const struct boot_info *bi);

static unsigned cpus_online;
static const char *cmdline = "";

static void fault_fn(void *arg)
{
    (void)arg;
    log_info("hv.test=fault: reading an unmapped address on CPU %u", cpu_id());
    (void)*(volatile uint64_t *)(uintptr_t)0xdead0000;
    log_error("hv.test=fault: the read did not fault");
}

/* Deliberately crash one CPU: its register dump must appear and the rest of
 * the system must keep working (the caller then powers off normally). */
static void test_fault(void)
{
    unsigned victim = cpu_count() - 1;
    if (victim == 0) {
        log_warn("hv.test=fault needs at least 2 CPUs");
        return;
    }
    if (!task_spawn("fault", fault_fn, NULL, 1ULL << victim))
        return;
    task_sleep_ns(200000000ULL);
    log_info("hv.test=fault: CPU 0 still running after CPU %u faulted", victim);
}

static void memory_init(struct boot_info *bi)
{
    frame_init();
    for (unsigned i = 0; i < bi->mem_count; i++)
        frame_add_range(bi->mem[i].base, bi->mem[i].size);
    for (unsigned i = 0; i < bi->reserved_count; i++)
        frame_reserve(bi->reserved[i].base, bi->reserved[i].size);
    heap_init();
    struct frame_stats st;
    frame_stats(&st);
    log_info("axalloc: %llu MiB free of %llu MiB managed (%llu KiB reserved, %llu KiB metadata)",
             (unsigned long long)(st.free_pages * PAGE_SIZE >> 20),
             (unsigned long long)((st.total_pages + st.reserved_pages) * PAGE_SIZE >> 20),
             (unsigned long long)(st.reserved_pages * PAGE_SIZE >> 10),
             (unsigned long long)(st.meta_bytes >> 10));
}

void hv_secondary_main(unsigned cpu)
{
    sched_init_cpu(cpu);
    log_info("cpu %u online (hwid %#llx)", cpu, (unsigned long long)cpu_hwid(cpu));
    __atomic_fetch_add(&cpus_online, 1, __ATOMIC_ACQ_REL);
    irq_enable();
    sched_idle_loop();
}

static void start_secondaries(void)
{
    for (unsigned c = 1; c < cpu_count(); c++) {
        unsigned before = __atomic_load_n(&cpus_online, __ATOMIC_ACQUIRE);
        if (cpu_start(c, hv_secondary_main) != 0)
            continue;
        /* bring them up one at a time so the log reads in order */
        uint64_t deadline = timer_now_ns() + 10000000000ULL; /* generous: TCG on a loaded host */
        while (__atomic_load_n(&cpus_online, __ATOMIC_ACQUIRE) == before && timer_now_ns() < deadline)
            cpu_relax();
        if (__atomic_load_n(&cpus_online, __ATOMIC_ACQUIRE) == before)
            log_error("cpu %u did not come online within 10 s", c);
    }
    log_info("smp: %u of %u CPUs online", cpus_online, cpu_count());
}

#define VMCYCLE_CYCLES 100

static void vmcycle_task(void *arg)
{
    (void)arg;
    selftest_vmcycle(VMCYCLE_CYCLES);
    vm_manager_keep_alive(false); /* lets the manager return: power off */
}

/* hv.test=vmcycle: the cycle test instead of the built-in VMs. It needs
 * the VM manager, which runs here while the test's task asks it for work. */
NORETURN static void run_vmcycle(void)
{
    console_mux_start(); /* the first VM start would, and that task would count as a leak */
    vm_manager_keep_alive(true);
    if (!task_spawn("vmcycle", vmcycle_task, NULL, 0)) {
        log_error("selftest vmcycle: FAIL (cannot create its task)");
        vm_manager_keep_alive(false);
    }
    vm_manager_run();
    log_info("vmcycle done; powering off");
    power_off();
}

/* The first task: self-checks, the shell, the built-in VMs, then the VM
 * manager until no VM runs (and, once the shell was used or with hv.shell=1,
 * until `poweroff`); powers off at the end. */
static void init_task(void *arg)
{
    (void)arg;
    int failed = selftest_run_all();
    if (failed)
        log_error("boot self-checks: %d FAILED", failed);
    else
        log_info("boot self-checks: all passed");
    if (cmdline_is(cmdline, "hv.test", "fault"))
        test_fault();
    shell_start();
    if (cmdline_is(cmdline, "hv.test", "vmcycle"))
        run_vmcycle();
    bool shell_boot = cmdline_is(cmdline, "hv.shell", "1");
    unsigned started = builtin_vms_start();
    started += disk_vms_start();
    if (started || shell_boot) {
        console_mux_start(); /* already running if a VM started */
        if (shell_boot) {
            vm_manager_keep_alive(true);
            vm_console_set_focus(NULL);
            shell_engage();
            log_info("hv.shell=1: the shell has the console; 'poweroff' ends");
        }
        vm_manager_run();
        log_info("all VMs have stopped; powering off");
    } else {
        log_info("no VM to run; powering off");
    }
    power_off();
}

void hv_main(struct boot_info *bi)
{
    cmdline = bi->cmdline ? bi->cmdline : "";
    const char *lv;
    size_t lvlen;
    if (cmdline_get(cmdline, "hv.log", &lv, &lvlen)) {
        char name[8] = {0};
        for (size_t i = 0; i < lvlen && i < sizeof(name) - 1; i++)
            name[i] = lv[i];
        int level = log_level_parse(name);
        if (level >= 0)
            log_max_level = level;
        else
            log_warn("hv.log: unknown level '%s' (error, warn, info, debug, trace)", name);
    }
    log_info("AxVisor-C %s for %s, built %s", ax_version, arch_name(), ax_build_date);
    if (*cmdline)
        log_info("command line: %s", cmdline);
    hv_set_boot_info(bi);
    log_line_break_hook = vm_console_end_raw_line;
    memory_init(bi);
    int err = arch_init_late();
    if (err)
        ax_panic("boot: platform initialisation failed: %s", ax_strerror(err));
    arch_describe();
    sched_init();
    sched_init_cpu(0);
    cpus_online = 1;
    irq_enable();
    start_secondaries();
    if (!task_spawn("init", init_task, NULL, 1ULL << 0))
        ax_panic("boot: cannot create the init task");
    sched_idle_loop();
}
