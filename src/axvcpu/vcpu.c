/* The common vCPU run loop: run the guest through the arch backend, then
 * dispatch each arch-neutral exit. */
#include "ax/axvcpu_arch.h"
#include "ax/log.h"
#include "ax/vcpu.h"
#include "ax/vm.h"

static const char *const exit_names[EXIT_REASON_COUNT] = {
    [EXIT_NONE] = "none",           [EXIT_HYPERCALL] = "hypercall",   [EXIT_MMIO_READ] = "mmio-read",
    [EXIT_MMIO_WRITE] = "mmio-write", [EXIT_IO_READ] = "io-read",      [EXIT_IO_WRITE] = "io-write",
    [EXIT_SYSREG_READ] = "sysreg-read", [EXIT_SYSREG_WRITE] = "sysreg-write", [EXIT_NPF] = "npf",
    [EXIT_EXT_IRQ] = "irq",         [EXIT_HALT] = "halt",             [EXIT_CPU_UP] = "cpu-up",
    [EXIT_CPU_DOWN] = "cpu-down",   [EXIT_SYSTEM_DOWN] = "system-down", [EXIT_SYSTEM_RESET] = "system-reset",
    [EXIT_SEND_IPI] = "send-ipi",   [EXIT_FAIL_ENTRY] = "fail",
};

const char *exit_reason_name(int reason)
{
    return reason >= 0 && reason < EXIT_REASON_COUNT && exit_names[reason] ? exit_names[reason] : "?";
}

void vcpu_kick(struct vcpu *v)
{
    __atomic_store_n(&v->kick, true, __ATOMIC_RELEASE);
    wq_wake_all(&v->wq);
    struct task *t = v->task;
    if (t && __atomic_load_n(&t->state, __ATOMIC_ACQUIRE) == TASK_RUNNING && t->cpu != cpu_id())
        ipi_send(t->cpu); /* forces the guest out to the run loop */
}

bool vcpu_run_should_return(struct vcpu *v)
{
    if (!__atomic_load_n(&v->kick, __ATOMIC_ACQUIRE) && !sched_need_resched() && !vm_should_exit(v->vm))
        return false;
    __atomic_store_n(&v->kick, false, __ATOMIC_RELEASE);
    irq_enable();
    if (sched_need_resched())
        schedule();
    return true;
}

#define MAX_ACCESS_LOGS 8

static bool rate_ok(struct vcpu *v)
{
    if (v->mmio_err_logs >= MAX_ACCESS_LOGS)
        return false;
    if (++v->mmio_err_logs == MAX_ACCESS_LOGS)
        log_warn("vm%u vcpu%u: further bad-access messages suppressed", v->vm->id, v->id);
    return true;
}

static void stop_vm_error(struct vcpu *v, const char *why, uint64_t addr)
{
    log_error("vm%u (%s) vcpu%u: %s (address %#llx, pc %#llx); stopping this VM", v->vm->id, v->vm->name, v->id,
              why, (unsigned long long)addr, (unsigned long long)vcpu_arch_pc(v));
    vcpu_arch_dump(v);
    vm_request_stop(v->vm, why);
}

static void handle_fault(struct vcpu *v, struct vcpu_exit *e, uint64_t addr, const char *what)
{
    if (rate_ok(v))
        log_warn("vm%u vcpu%u: %s %#llx at pc %#llx: nothing there; abort injected", v->vm->id, v->id, what,
                 (unsigned long long)addr, (unsigned long long)vcpu_arch_pc(v));
    if (vcpu_arch_inject_fault(v, e) < 0)
        stop_vm_error(v, "the guest keeps faulting at the same instruction", addr);
}

static void handle_mmio(struct vcpu *v, struct vcpu_exit *e)
{
    bool write = e->reason == EXIT_MMIO_WRITE;
    uint64_t val = e->mmio.data;
    int err = devbus_access(&v->vm->bus, false, e->mmio.addr, e->mmio.width, write, &val);
    if (err == -AX_ENOENT) {
        handle_fault(v, e, e->mmio.addr, write ? "write to" : "read from");
        return;
    }
    if (!write) {
        unsigned bits = 8 * e->mmio.width;
        if (e->mmio.sign_ext && bits < 64 && (val >> (bits - 1)) & 1)
            val |= ~0ULL << bits;
        if (!e->mmio.reg64)
            val &= 0xffffffffULL;
        vcpu_arch_set_reg(v, e->mmio.reg, val);
    }
    vcpu_arch_advance_pc(v);
}

/* Port I/O (x86): the device bus's port windows. An unclaimed port reads
 * as all ones and ignores writes, as on a PC, with a rate-limited log. */
static void handle_io(struct vcpu *v, struct vcpu_exit *e)
{
    bool write = e->reason == EXIT_IO_WRITE;
    uint64_t val = e->io.data;
    int err = devbus_access(&v->vm->bus, true, e->io.addr, e->io.width, write, &val);
    if (err == -AX_ENOENT) {
        if (rate_ok(v))
            log_warn("vm%u vcpu%u: %s port %#llx at pc %#llx: no device; %s", v->vm->id, v->id,
                     write ? "write to" : "read from", (unsigned long long)e->io.addr,
                     (unsigned long long)vcpu_arch_pc(v), write ? "ignored" : "reads as all ones");
        val = ~0ULL;
    }
    if (!write)
        vcpu_arch_set_reg(v, e->io.reg, val);
    vcpu_arch_advance_pc(v);
}

static void handle_halt(struct vcpu *v, uint64_t deadline)
{
    v->stats.halts++;
    if (deadline && deadline <= timer_now_ns())
        return;
    wait_event_deadline(&v->wq,
                        __atomic_load_n(&v->kick, __ATOMIC_ACQUIRE) || vm_should_exit(v->vm) ||
                            vcpu_arch_irq_pending(v),
                        deadline);
    __atomic_store_n(&v->kick, false, __ATOMIC_RELEASE);
}

static void dispatch(struct vcpu *v, struct vcpu_exit *e)
{
    struct vm *vm = v->vm;
    switch (e->reason) {
    case EXIT_NONE:
    case EXIT_EXT_IRQ:
        break;
    case EXIT_HYPERCALL:
        vcpu_arch_set_hc_result(v, (uint64_t)hypercall_dispatch(v, e->hc.nr, e->hc.args));
        break;
    case EXIT_MMIO_READ:
    case EXIT_MMIO_WRITE:
        handle_mmio(v, e);
        break;
    case EXIT_IO_READ:
    case EXIT_IO_WRITE:
        handle_io(v, e);
        break;
    case EXIT_SYSREG_READ:
    case EXIT_SYSREG_WRITE:
        if (rate_ok(v))
            log_warn("vm%u vcpu%u: %s of unemulated system register %#x at pc %#llx: read as zero, write ignored",
                     vm->id, v->id, e->reason == EXIT_SYSREG_READ ? "read" : "write", e->sysreg.id,
                     (unsigned long long)vcpu_arch_pc(v));
        if (e->reason == EXIT_SYSREG_READ)
            vcpu_arch_set_reg(v, e->sysreg.reg, 0);
        vcpu_arch_advance_pc(v);
        break;
    case EXIT_NPF:
        handle_fault(v, e, e->npf.addr, e->npf.exec ? "instruction fetch from" : "access to");
        break;
    case EXIT_HALT:
        handle_halt(v, e->halt.deadline_ns);
        break;
    case EXIT_CPU_UP:
        vcpu_arch_cpu_up_result(
            v, e->cpu_up.target >= vm->nvcpu ? -AX_EINVAL
                                             : vm_cpu_up(vm, (unsigned)e->cpu_up.target, e->cpu_up.entry, e->cpu_up.arg));
        break;
    case EXIT_CPU_DOWN: {
        unsigned left = __atomic_sub_fetch(&vm->vcpus_on, 1, __ATOMIC_ACQ_REL);
        __atomic_store_n(&v->power, VCPU_OFF, __ATOMIC_RELEASE);
        if (left == 0)
            vm_request_stop(vm, "all vCPUs are off");
        break;
    }
    case EXIT_SYSTEM_DOWN:
        vm_request_stop(vm, "guest powered off");
        break;
    case EXIT_SYSTEM_RESET:
        vm_request_reset(vm);
        break;
    case EXIT_FAIL_ENTRY:
        stop_vm_error(v, e->fail.why, 0);
        break;
    default:
        if (rate_ok(v))
            log_warn("vm%u vcpu%u: exit %s not handled on this arch; ignored", vm->id, v->id,
                     exit_reason_name(e->reason));
        break;
    }
}

void vcpu_task_main(void *arg)
{
    struct vcpu *v = arg;
    struct vm *vm = v->vm;
    struct vcpu_exit e;
    for (;;) {
        wait_event(&v->wq, vm_should_exit(vm) ||
                               (__atomic_load_n(&v->power, __ATOMIC_ACQUIRE) != VCPU_OFF &&
                                __atomic_load_n(&vm->state, __ATOMIC_ACQUIRE) != VM_STATE_SUSPENDED));
        if (vm_should_exit(vm))
            break;
        if (__atomic_load_n(&v->power, __ATOMIC_ACQUIRE) == VCPU_ON_PENDING) {
            vcpu_arch_reset(v, v->start_entry, v->start_arg);
            __atomic_store_n(&v->power, VCPU_ON, __ATOMIC_RELEASE);
        }
        vcpu_arch_run(v, &e);
        v->stats.exits[e.reason]++;
        dispatch(v, &e);
    }
    vcpu_arch_put(v);
}
