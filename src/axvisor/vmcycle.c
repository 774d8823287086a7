/* hv.test=vmcycle: a boot self-check that VM deletion gives every page and
 * heap object back. The first built-in VM's config is created, started,
 * stopped and deleted again and again through the same control requests
 * the shell uses (the VM manager in the init task carries them out); the
 * frame allocator's free pages and the heap's live allocations must end
 * where they started. */
#include "ax/axhal.h"
#include "ax/builtin.h"
#include "ax/frame.h"
#include "ax/heap.h"
#include "ax/log.h"
#include "ax/selftest.h"
#include "ax/task.h"
#include "ax/vm.h"

#define STEP_NS 1000000ULL          /* 1 ms between looks at the VM */
#define START_NS 2000000000ULL      /* how long a start may take */
#define STOP_NS 10000000000ULL      /* how long a stop or delete may take */
#define RUN_NS 2000000ULL           /* let the guest run a little each cycle */

static bool vm_started(struct vm *vm)
{
    if (__atomic_load_n(&vm->start_ns, __ATOMIC_ACQUIRE) != 0)
        return true;
    return __atomic_load_n(&vm->state, __ATOMIC_ACQUIRE) == VM_STATE_STOPPED &&
           !__atomic_load_n(&vm->start_req, __ATOMIC_ACQUIRE);
}

static bool vm_stopped(struct vm *vm) { return __atomic_load_n(&vm->state, __ATOMIC_ACQUIRE) == VM_STATE_STOPPED; }

static bool wait_vm(struct vm *vm, bool (*cond)(struct vm *), uint64_t timeout)
{
    uint64_t deadline = timer_now_ns() + timeout;
    while (!cond(vm)) {
        if (timer_now_ns() >= deadline)
            return false;
        task_sleep_ns(STEP_NS);
    }
    return true;
}

static bool wait_gone(unsigned id)
{
    uint64_t deadline = timer_now_ns() + STOP_NS;
    while (!vm_is_gone(id)) {
        if (timer_now_ns() >= deadline)
            return false;
        task_sleep_ns(STEP_NS);
    }
    return true;
}

/* One create/start/stop/delete round; NULL or what went wrong. */
static const char *one_cycle(void)
{
    struct vm *vm;
    if (builtin_vm_create(0, &vm) != 0)
        return "the VM could not be created";
    unsigned id = vm->id;
    if (vm_ctl_start(vm) != 0)
        return "the start request was refused";
    if (!wait_vm(vm, vm_started, START_NS))
        return "the VM did not start within 2 s";
    if (__atomic_load_n(&vm->start_ns, __ATOMIC_ACQUIRE) == 0)
        return "the VM could not be started";
    task_sleep_ns(RUN_NS);
    /* refused only when it has already stopped on its own */
    (void)vm_ctl_stop(vm, "selftest vmcycle");
    if (!wait_vm(vm, vm_stopped, STOP_NS))
        return "the VM did not stop within 10 s";
    if (vm_ctl_delete(vm) != 0)
        return "the delete request was refused";
    if (!wait_gone(id))
        return "the VM was not deleted within 10 s";
    return NULL;
}

int selftest_vmcycle(unsigned cycles)
{
    if (builtin_vm_count == 0) {
        log_error("selftest vmcycle: FAIL (no built-in VM to cycle)");
        return 1;
    }
    struct frame_stats fb, fa;
    struct heap_stats hb, ha;
    log_info("selftest vmcycle: %u cycles of create, start, stop, delete of the first built-in VM", cycles);
    /* a hundred start/stop logs say nothing; warnings and errors still show */
    int level = log_max_level;
    if (level == LOG_INFO)
        log_max_level = LOG_WARN;
    frame_stats(&fb);
    heap_stats(&hb);
    const char *why = NULL;
    unsigned done = 0;
    while (done < cycles && !why) {
        why = one_cycle();
        if (!why)
            done++;
    }
    frame_stats(&fa);
    heap_stats(&ha);
    log_max_level = level;
    if (why) {
        log_error("selftest vmcycle: FAIL (cycle %u: %s)", done + 1, why);
        return 1;
    }
    if (fa.free_pages != fb.free_pages || ha.live_allocs != hb.live_allocs) {
        log_error("selftest vmcycle: FAIL (%u cycles: %llu free pages before, %llu after, %lld; "
                  "%zu heap allocations before, %zu after)",
                  cycles, (unsigned long long)fb.free_pages, (unsigned long long)fa.free_pages,
                  (long long)(fa.free_pages - fb.free_pages), hb.live_allocs, ha.live_allocs);
        return 1;
    }
    log_info("selftest vmcycle: PASS (%u cycles, %llu free pages before and after)", cycles,
             (unsigned long long)fa.free_pages);
    return 0;
}
