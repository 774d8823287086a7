/* axvm: VM lifecycle and the VM table.
 *
 * vm_create() builds everything a VM needs (address space, devices, images,
 * vCPU structures) and leaves it LOADED; vm_start() powers on vCPU 0 and
 * spawns one task per vCPU. Stop and reset requests from vCPUs (or later the
 * shell) are carried out by the manager loop in the init task: it kicks the
 * vCPUs out, joins their tasks and tears the VM down, returning all its
 * memory; a reset then builds and starts it again from its images. */
#include "ax/axhal.h"
#include "ax/axvcpu_arch.h"
#include "ax/format.h"
#include "ax/heap.h"
#include "ax/log.h"
#include "ax/string.h"
#include "ax/vm.h"

static struct vm *vm_table[VM_MAX];
static spinlock_t vm_table_lock = SPINLOCK_INIT;
static struct wait_queue mgr_wq = {SPINLOCK_INIT, LIST_HEAD_INIT(mgr_wq.waiters)};
static unsigned running_vms;
static uint64_t vmids_used = 1; /* VMID 0 is never handed out */

static const char *const state_names[] = {"loading", "loaded", "running", "suspended", "stopping", "stopped"};
const char *vm_state_name(int s) { return s >= 0 && s < (int)ARRAY_SIZE(state_names) ? state_names[s] : "?"; }

unsigned vm_running_count(void) { return __atomic_load_n(&running_vms, __ATOMIC_ACQUIRE); }

struct vm *vm_by_id(unsigned id)
{
    struct vm *found = NULL;
    unsigned long f = spin_lock_irqsave(&vm_table_lock);
    for (unsigned i = 0; i < VM_MAX; i++)
        if (vm_table[i] && vm_table[i]->id == id)
            found = vm_table[i];
    spin_unlock_irqrestore(&vm_table_lock, f);
    return found;
}

unsigned vm_list(struct vm **out, unsigned max)
{
    unsigned n = 0;
    unsigned long f = spin_lock_irqsave(&vm_table_lock);
    for (unsigned i = 0; i < VM_MAX && n < max; i++)
        if (vm_table[i])
            out[n++] = vm_table[i];
    spin_unlock_irqrestore(&vm_table_lock, f);
    return n;
}

bool vm_should_exit(const struct vm *vm)
{
    return __atomic_load_n(&vm->stop_req, __ATOMIC_ACQUIRE) || __atomic_load_n(&vm->reset_req, __ATOMIC_ACQUIRE) ||
           __atomic_load_n(&vm->state, __ATOMIC_ACQUIRE) == VM_STATE_STOPPING;
}

static void kick_all(struct vm *vm)
{
    for (unsigned i = 0; i < vm->nvcpu; i++)
        if (vm->vcpus[i])
            vcpu_kick(vm->vcpus[i]);
}

void vm_request_stop(struct vm *vm, const char *reason)
{
    if (!__atomic_exchange_n(&vm->stop_req, true, __ATOMIC_ACQ_REL))
        vm->stop_reason = reason;
    kick_all(vm);
    wq_wake_all(&mgr_wq);
}

void vm_request_reset(struct vm *vm)
{
    __atomic_store_n(&vm->reset_req, true, __ATOMIC_RELEASE);
    kick_all(vm);
    wq_wake_all(&mgr_wq);
}

/* ---- vCPU power ---- */

int vm_cpu_power_state(struct vm *vm, unsigned target)
{
    if (target >= vm->nvcpu)
        return -AX_EINVAL;
    return __atomic_load_n(&vm->vcpus[target]->power, __ATOMIC_ACQUIRE);
}

int vm_cpu_up(struct vm *vm, unsigned target, uint64_t entry, uint64_t arg)
{
    if (target >= vm->nvcpu)
        return -AX_EINVAL;
    struct vcpu *t = vm->vcpus[target];
    int off = VCPU_OFF;
    t->start_entry = entry;
    t->start_arg = arg;
    if (!__atomic_compare_exchange_n(&t->power, &off, VCPU_ON_PENDING, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE))
        return -AX_EBUSY;
    __atomic_add_fetch(&vm->vcpus_on, 1, __ATOMIC_ACQ_REL);
    vcpu_kick(t);
    return 0;
}

/* ---- building and tearing down ---- */

static int vmid_alloc(void)
{
    unsigned long f = spin_lock_irqsave(&vm_table_lock);
    int id = -1;
    for (int i = 1; i < 64; i++)
        if (!(vmids_used & (1ULL << i))) {
            vmids_used |= 1ULL << i;
            id = i;
            break;
        }
    spin_unlock_irqrestore(&vm_table_lock, f);
    return id;
}

static void vmid_free(unsigned id)
{
    unsigned long f = spin_lock_irqsave(&vm_table_lock);
    vmids_used &= ~(1ULL << id);
    spin_unlock_irqrestore(&vm_table_lock, f);
}

static uint32_t region_attrs(uint32_t flags)
{
    uint32_t a = 0;
    if (flags & VM_MEM_READ) a |= PT_R;
    if (flags & VM_MEM_WRITE) a |= PT_W;
    if (flags & VM_MEM_EXECUTE) a |= PT_X;
    if (flags & VM_MEM_DEVICE) a |= PT_DEVICE;
    return a;
}

/* Devices every arch has; the arch's own types go through vm_arch_add_device. */
static int add_common_device(struct vm *vm, const struct vm_emu_device *d, char *err, size_t errlen)
{
    struct emu_dev *dev = NULL;
    switch (d->type) {
    case EMU_DUMMY:
        dev = dummy_dev_create(d->gpa, d->size, err, errlen);
        break;
    default:
        ax_snprintf(err, errlen, "emulated device '%s' has type %#x, which this hypervisor build does not emulate",
                    d->name, d->type);
        return -AX_ENOSYS;
    }
    if (!dev)
        return -AX_EINVAL;
    return vm_add_emu_dev(vm, dev, d->type, err, errlen);
}

int vm_add_emu_dev(struct vm *vm, struct emu_dev *dev, uint32_t type, char *err, size_t errlen)
{
    dev->type = type;
    dev->vm = vm;
    int rc = devbus_add(&vm->bus, dev);
    if (rc == 0) {
        rc = as_add_region(&vm->as, dev->base, dev->size, PT_R | PT_W | PT_DEVICE, AS_EMULATED, 0);
        if (rc) {
            vm->bus.count--; /* it was the last one added */
            vm->bus.devs[vm->bus.count] = NULL;
        }
    }
    if (rc) {
        ax_snprintf(err, errlen, "emulated device '%s' at %#llx: %s", dev->name, (unsigned long long)dev->base,
                    ax_strerror(rc));
        if (dev->ops && dev->ops->destroy)
            dev->ops->destroy(dev);
        kfree(dev->priv);
        kfree(dev);
    }
    return rc;
}

static void vm_teardown(struct vm *vm);

static int vm_build(struct vm *vm, char *err, size_t errlen)
{
    struct vm_config *cfg = vm->cfg;
    int rc;
    int vmid = vmid_alloc();
    if (vmid < 0) {
        ax_snprintf(err, errlen, "no free VMID");
        return -AX_ENOSPC;
    }
    vm->vmid = (unsigned)vmid;
    unsigned bits;
    const struct pt_format *fmt = vm_arch_npt_format(&bits);
    rc = as_init(&vm->as, fmt, bits);
    if (rc) {
        ax_snprintf(err, errlen, "guest address space: %s", ax_strerror(rc));
        vmid_free(vm->vmid);
        vm->vmid = 0;
        return rc;
    }
    devbus_init(&vm->bus);
    for (unsigned i = 0; i < cfg->region_num; i++) {
        const struct vm_mem_region *r = &cfg->regions[i];
        enum as_kind kind = AS_ALLOC;
        if (r->map_type == VM_MAP_IDENTICAL || r->map_type == VM_MAP_RESERVED) {
            if (hv_range_is_host_ram(r->gpa, r->size)) {
                ax_snprintf(err, errlen,
                            "memory region [%#llx, +%#llx): an identical/reserved mapping of RAM the hypervisor "
                            "allocates from would let the guest overwrite the hypervisor",
                            (unsigned long long)r->gpa, (unsigned long long)r->size);
                rc = -AX_EINVAL;
                goto fail;
            }
            kind = AS_IDENTICAL;
        }
        rc = as_add_region(&vm->as, r->gpa, r->size, region_attrs(r->flags), kind, r->gpa);
        if (rc) {
            ax_snprintf(err, errlen, "memory region [%#llx, +%#llx): %s", (unsigned long long)r->gpa,
                        (unsigned long long)r->size, ax_strerror(rc));
            goto fail;
        }
    }
    for (unsigned i = 0; i < cfg->pt_addr_num; i++) {
        const struct vm_pt_address *p = &cfg->pt_addrs[i];
        rc = as_add_region(&vm->as, p->gpa, p->size, PT_R | PT_W | PT_DEVICE, AS_IDENTICAL, p->gpa);
        if (rc) {
            ax_snprintf(err, errlen, "passthrough address [%#llx, +%#llx): %s", (unsigned long long)p->gpa,
                        (unsigned long long)p->size, ax_strerror(rc));
            goto fail;
        }
    }
    for (unsigned i = 0; i < cfg->pt_dev_num; i++) {
        const struct vm_pt_device *p = &cfg->pt_devices[i];
        if (p->from_dtb) {
            rc = hv_passthrough_dtb_node(vm, p->name, err, errlen);
            if (rc)
                goto fail;
            continue;
        }
        rc = as_add_region(&vm->as, p->gpa, p->size, PT_R | PT_W | PT_DEVICE, AS_IDENTICAL, p->hpa);
        if (rc) {
            ax_snprintf(err, errlen, "passthrough device '%s' at %#llx: %s", p->name, (unsigned long long)p->gpa,
                        ax_strerror(rc));
            goto fail;
        }
    }
    for (unsigned i = 0; i < cfg->emu_num; i++) {
        const struct vm_emu_device *d = &cfg->emu_devices[i];
        rc = vm_arch_add_device(vm, d, err, errlen);
        if (rc == -AX_ENOENT)
            rc = add_common_device(vm, d, err, errlen);
        if (rc)
            goto fail;
    }
    if (cfg->irq_mode == VM_IRQ_PASSTHROUGH) {
        for (unsigned i = 0; i < cfg->pt_dev_num; i++) {
            const struct vm_pt_device *p = &cfg->pt_devices[i];
            if (p->from_dtb || p->irq == 0)
                continue;
            rc = vm_arch_passthrough_irq(vm, p->irq, err, errlen);
            if (rc)
                goto fail;
        }
    }
    for (unsigned k = 0; k < VM_IMG_COUNT; k++) {
        const struct vm_blob *b = &vm->images[k];
        if (!b->present)
            continue;
        rc = as_load_image(&vm->as, b->load_addr, b->data, b->size);
        if (rc) {
            ax_snprintf(err, errlen, "%s image (%zu bytes) at %#llx does not fit in guest RAM",
                        vmconfig_image_name((enum vm_image_kind)k), b->size, (unsigned long long)b->load_addr);
            goto fail;
        }
    }
    rc = vm_arch_prepare_boot(vm, &vm->boot_arg, err, errlen);
    if (rc)
        goto fail;
    rc = vm_arch_init(vm);
    if (rc) {
        ax_snprintf(err, errlen, "arch set-up: %s", ax_strerror(rc));
        goto fail;
    }
    uint64_t online = cpu_count() >= 64 ? ~0ULL : (1ULL << cpu_count()) - 1;
    for (unsigned i = 0; i < vm->nvcpu; i++) {
        struct vcpu *v = kzalloc(sizeof(*v));
        if (!v) {
            ax_snprintf(err, errlen, "out of memory for vCPU %u", i);
            rc = -AX_ENOMEM;
            goto fail;
        }
        v->vm = vm;
        v->id = i;
        wq_init(&v->wq);
        v->affinity = cfg->has_phys_cpu_sets ? cfg->phys_cpu_sets[i] & online : online;
        vm->vcpus[i] = v;
        if (!v->affinity) {
            ax_snprintf(err, errlen, "phys_cpu_sets[%u] = %#llx names no CPU of this machine (%u CPUs)", i,
                        (unsigned long long)cfg->phys_cpu_sets[i], cpu_count());
            rc = -AX_EINVAL;
            goto fail;
        }
    }
    vm_console_attach(vm);
    vm->state = VM_STATE_LOADED;
    return 0;
fail:
    vm_teardown(vm);
    return rc;
}

/* Frees everything vm_build made. vCPU tasks must have exited. */
static void vm_teardown(struct vm *vm)
{
    for (unsigned i = 0; i < VM_MAX_VCPUS; i++) {
        struct vcpu *v = vm->vcpus[i];
        if (!v)
            continue;
        if (v->task) {
            task_join(v->task);
            v->task = NULL;
        }
        kfree(v);
        vm->vcpus[i] = NULL;
    }
    vm_console_detach(vm);
    devbus_destroy(&vm->bus);
    if (vm->vmid) {
        vm_arch_destroy(vm);
        as_destroy(&vm->as);
        vmid_free(vm->vmid);
        vm->vmid = 0;
    }
    vm->vcpus_on = 0;
}

struct vm *vm_create(struct vm_config *cfg, const struct vm_blob images[VM_IMG_COUNT], char *err, size_t errlen)
{
    if (cfg->cpu_num == 0 || cfg->cpu_num > VM_MAX_VCPUS) {
        ax_snprintf(err, errlen, "cpu_num %u not in 1..%u", cfg->cpu_num, VM_MAX_VCPUS);
        return NULL;
    }
    if (cfg->id > 0xffffffffULL || vm_by_id((unsigned)cfg->id)) {
        ax_snprintf(err, errlen, "a VM with id %llu already exists", (unsigned long long)cfg->id);
        return NULL;
    }
    struct vm *vm = kzalloc(sizeof(*vm));
    if (!vm) {
        ax_snprintf(err, errlen, "out of memory");
        return NULL;
    }
    vm->id = (unsigned)cfg->id;
    size_t n = strlen(cfg->name);
    if (n >= VM_NAME_LEN)
        n = VM_NAME_LEN - 1;
    memcpy(vm->name, cfg->name, n);
    vm->cfg = cfg;
    vm->nvcpu = cfg->cpu_num;
    vm->state = VM_STATE_LOADING;
    for (unsigned k = 0; k < VM_IMG_COUNT; k++)
        vm->images[k] = images[k];
    unsigned long f = spin_lock_irqsave(&vm_table_lock);
    int slot = -1;
    for (int i = 0; i < VM_MAX; i++)
        if (!vm_table[i]) {
            slot = i;
            break;
        }
    if (slot >= 0)
        vm_table[slot] = vm;
    spin_unlock_irqrestore(&vm_table_lock, f);
    if (slot < 0) {
        ax_snprintf(err, errlen, "the VM table is full (%d VMs)", VM_MAX);
        kfree(vm);
        return NULL;
    }
    if (vm_build(vm, err, errlen) != 0) {
        f = spin_lock_irqsave(&vm_table_lock);
        vm_table[slot] = NULL;
        spin_unlock_irqrestore(&vm_table_lock, f);
        kfree(vm);
        return NULL;
    }
    return vm;
}

static void vcpu_switch_out(struct task *t) { vcpu_arch_put(t->owner); }

int vm_start(struct vm *vm)
{
    if (vm->state != VM_STATE_LOADED)
        return -AX_EBUSY;
    struct vcpu *boot = vm->vcpus[0];
    boot->start_entry = vm->cfg->entry_point;
    boot->start_arg = vm->boot_arg;
    boot->power = VCPU_ON_PENDING;
    vm->vcpus_on = 1;
    vm->stop_req = vm->reset_req = false;
    vm->start_ns = timer_now_ns();
    __atomic_store_n(&vm->state, VM_STATE_RUNNING, __ATOMIC_RELEASE);
    __atomic_add_fetch(&running_vms, 1, __ATOMIC_ACQ_REL);
    log_info("vm%u (%s): starting, %u vCPU(s), entry %#llx", vm->id, vm->name, vm->nvcpu,
             (unsigned long long)vm->cfg->entry_point);
    hv_vm_starting(vm);
    for (unsigned i = 0; i < vm->nvcpu; i++) {
        struct vcpu *v = vm->vcpus[i];
        char name[TASK_NAME_LEN];
        ax_snprintf(name, sizeof(name), "vm%u.vcpu%u", vm->id, i);
        v->task = task_spawn_owned(name, vcpu_task_main, v, v->affinity, vcpu_switch_out, v);
        if (!v->task) {
            log_error("vm%u: cannot create the task of vCPU %u; stopping the VM", vm->id, i);
            vm_request_stop(vm, "out of memory for vCPU tasks");
            return -AX_ENOMEM;
        }
    }
    return 0;
}

static void log_stats(struct vm *vm)
{
    uint64_t now = timer_now_ns();
    for (unsigned i = 0; i < vm->nvcpu; i++) {
        struct vcpu *v = vm->vcpus[i];
        if (!v)
            continue;
        const struct vcpu_stats *s = &v->stats;
        log_info("vm%u vcpu%u: %llu exits (hypercall %llu, mmio %llu, halt %llu, irq %llu), run %llu us of %llu us",
                 vm->id, i, (unsigned long long)s->total_exits, (unsigned long long)s->exits[EXIT_HYPERCALL],
                 (unsigned long long)(s->exits[EXIT_MMIO_READ] + s->exits[EXIT_MMIO_WRITE]),
                 (unsigned long long)s->exits[EXIT_HALT], (unsigned long long)s->exits[EXIT_EXT_IRQ],
                 (unsigned long long)(v->task ? v->task->run_ns / 1000 : 0),
                 (unsigned long long)((now - vm->start_ns) / 1000));
    }
}

/* Stop a running VM: kick its vCPUs, wait for their tasks, free it. */
static void vm_do_stop(struct vm *vm, bool reset)
{
    __atomic_store_n(&vm->state, VM_STATE_STOPPING, __ATOMIC_RELEASE);
    kick_all(vm);
    for (unsigned i = 0; i < vm->nvcpu; i++) {
        struct vcpu *v = vm->vcpus[i];
        if (v && v->task) {
            /* wait for the task to finish but keep its stats for the log */
            wait_event(&v->task->exit_wq, __atomic_load_n(&v->task->state, __ATOMIC_ACQUIRE) == TASK_EXITED);
        }
    }
    vm_console_flush(vm);
    log_stats(vm);
    vm_teardown(vm);
    __atomic_sub_fetch(&running_vms, 1, __ATOMIC_ACQ_REL);
    if (!reset) {
        log_info("vm%u (%s): stopped (%s)", vm->id, vm->name, vm->stop_reason ? vm->stop_reason : "stopped");
        __atomic_store_n(&vm->state, VM_STATE_STOPPED, __ATOMIC_RELEASE);
        return;
    }
    vm->resets++;
    vm->state = VM_STATE_LOADING;
    char err[160];
    if (vm_build(vm, err, sizeof(err)) != 0) {
        log_error("vm%u (%s): reset failed: %s", vm->id, vm->name, err);
        vm->reset_req = false;
        vm->state = VM_STATE_STOPPED;
        return;
    }
    log_info("vm%u (%s): reset (%u)", vm->id, vm->name, vm->resets);
    vm_start(vm);
}

static bool keep_alive;

void vm_manager_keep_alive(bool on) { __atomic_store_n(&keep_alive, on, __ATOMIC_RELEASE); wq_wake_all(&mgr_wq); }

static bool vm_has_request(const struct vm *vm)
{
    int st = __atomic_load_n(&vm->state, __ATOMIC_ACQUIRE);
    bool live = st == VM_STATE_RUNNING || st == VM_STATE_SUSPENDED;
    return (live && (__atomic_load_n(&vm->stop_req, __ATOMIC_ACQUIRE) ||
                     __atomic_load_n(&vm->reset_req, __ATOMIC_ACQUIRE))) ||
           (!live && (__atomic_load_n(&vm->start_req, __ATOMIC_ACQUIRE) ||
                      __atomic_load_n(&vm->delete_req, __ATOMIC_ACQUIRE)));
}

static bool manager_has_work(void)
{
    if (vm_running_count() == 0 && !__atomic_load_n(&keep_alive, __ATOMIC_ACQUIRE))
        return true;
    for (unsigned i = 0; i < VM_MAX; i++) {
        struct vm *vm = vm_table[i];
        if (vm && vm_has_request(vm))
            return true;
    }
    return false;
}

/* Frees a VM that is not running: its address space (if built), its config
 * and its images. */
static void vm_do_delete(struct vm *vm)
{
    unsigned long f = spin_lock_irqsave(&vm_table_lock);
    for (unsigned i = 0; i < VM_MAX; i++)
        if (vm_table[i] == vm)
            vm_table[i] = NULL;
    spin_unlock_irqrestore(&vm_table_lock, f);
    if (vm_console_focus() == vm)
        vm_console_set_focus(NULL);
    if (vm->state == VM_STATE_LOADED)
        vm_teardown(vm);
    log_info("vm%u (%s): deleted", vm->id, vm->name);
    if (vm->release_images)
        vm->release_images(vm);
    kfree(vm->cfg);
    kfree(vm);
}

static void vm_do_start(struct vm *vm)
{
    bool stopped = vm->state == VM_STATE_STOPPED;
    if (stopped)
        __atomic_store_n(&vm->state, VM_STATE_LOADING, __ATOMIC_RELEASE);
    /* cleared only once the state has moved, so nobody sees "stopped and no
     * start requested" in between */
    __atomic_store_n(&vm->start_req, false, __ATOMIC_RELEASE);
    if (stopped) {
        char err[160];
        if (vm_build(vm, err, sizeof(err)) != 0) {
            log_error("vm%u (%s): start failed: %s", vm->id, vm->name, err);
            vm->state = VM_STATE_STOPPED;
            return;
        }
    }
    if (vm->state == VM_STATE_LOADED)
        vm_start(vm);
}

void vm_manager_run(void)
{
    for (;;) {
        wait_event(&mgr_wq, manager_has_work());
        for (unsigned i = 0; i < VM_MAX; i++) {
            struct vm *vm = vm_table[i];
            if (!vm)
                continue;
            int st = __atomic_load_n(&vm->state, __ATOMIC_ACQUIRE);
            if (st == VM_STATE_RUNNING || st == VM_STATE_SUSPENDED) {
                bool stop = __atomic_load_n(&vm->stop_req, __ATOMIC_ACQUIRE);
                bool reset = __atomic_load_n(&vm->reset_req, __ATOMIC_ACQUIRE);
                if (stop || reset)
                    vm_do_stop(vm, !stop);
            } else if (__atomic_load_n(&vm->delete_req, __ATOMIC_ACQUIRE)) {
                vm_do_delete(vm);
            } else if (__atomic_load_n(&vm->start_req, __ATOMIC_ACQUIRE)) {
                vm_do_start(vm);
            }
        }
        if (vm_running_count() == 0 && !__atomic_load_n(&keep_alive, __ATOMIC_ACQUIRE))
            return;
    }
}

/* ---- control requests (the shell) ---- */

int vm_ctl_start(struct vm *vm)
{
    int st = __atomic_load_n(&vm->state, __ATOMIC_ACQUIRE);
    if (st != VM_STATE_STOPPED && st != VM_STATE_LOADED)
        return -AX_EBUSY;
    __atomic_store_n(&vm->start_req, true, __ATOMIC_RELEASE);
    wq_wake_all(&mgr_wq);
    return 0;
}

int vm_ctl_stop(struct vm *vm, const char *why)
{
    int st = __atomic_load_n(&vm->state, __ATOMIC_ACQUIRE);
    if (st != VM_STATE_RUNNING && st != VM_STATE_SUSPENDED)
        return -AX_EINVAL;
    vm_request_stop(vm, why);
    return 0;
}

int vm_ctl_restart(struct vm *vm)
{
    int st = __atomic_load_n(&vm->state, __ATOMIC_ACQUIRE);
    if (st != VM_STATE_RUNNING && st != VM_STATE_SUSPENDED)
        return vm_ctl_start(vm);
    vm_request_reset(vm);
    return 0;
}

int vm_ctl_suspend(struct vm *vm)
{
    int running = VM_STATE_RUNNING;
    if (!__atomic_compare_exchange_n(&vm->state, &running, VM_STATE_SUSPENDED, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE))
        return -AX_EINVAL;
    kick_all(vm); /* running vCPUs come out and wait */
    log_info("vm%u (%s): suspended", vm->id, vm->name);
    return 0;
}

int vm_ctl_resume(struct vm *vm)
{
    int susp = VM_STATE_SUSPENDED;
    if (!__atomic_compare_exchange_n(&vm->state, &susp, VM_STATE_RUNNING, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE))
        return -AX_EINVAL;
    kick_all(vm);
    log_info("vm%u (%s): resumed", vm->id, vm->name);
    return 0;
}

int vm_ctl_delete(struct vm *vm)
{
    int st = __atomic_load_n(&vm->state, __ATOMIC_ACQUIRE);
    if (st != VM_STATE_STOPPED && st != VM_STATE_LOADED)
        return -AX_EBUSY;
    __atomic_store_n(&vm->delete_req, true, __ATOMIC_RELEASE);
    wq_wake_all(&mgr_wq);
    return 0;
}

bool vm_is_gone(unsigned id) { return vm_by_id(id) == NULL; }
