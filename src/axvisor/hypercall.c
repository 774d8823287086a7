/* The project's hypercalls (include/ax/hypercall_abi.h). Every guest
 * pointer is checked against the VM's address space before it is used. */
#include "ax/axhal.h"
#include "ax/hypercall_abi.h"
#include "ax/vm.h"

#define CONSOLE_WRITE_MAX 4096

static int64_t console_write(struct vm *vm, uint64_t gpa, uint64_t len)
{
    if (gpa + len < gpa)
        return HC_EFAULT; /* wraps around: not a buffer */
    if (len > CONSOLE_WRITE_MAX)
        return HC_EINVAL;
    char buf[128];
    /* check the whole buffer first so a bad one prints nothing */
    for (uint64_t off = 0; off < len; off += sizeof(buf)) {
        size_t n = (size_t)MIN(sizeof(buf), len - off);
        if (gpa + off < gpa || as_copy_from_guest(&vm->as, buf, gpa + off, n) != 0)
            return HC_EFAULT;
    }
    for (uint64_t off = 0; off < len; off += sizeof(buf)) {
        size_t n = (size_t)MIN(sizeof(buf), len - off);
        if (as_copy_from_guest(&vm->as, buf, gpa + off, n) != 0)
            return HC_EFAULT; /* the guest changed nothing we can see; defensive */
        for (size_t i = 0; i < n; i++)
            vm_console_putc(vm, buf[i]);
    }
    return (int64_t)len;
}

static int64_t guest_info(struct vcpu *v, uint64_t key)
{
    struct vm *vm = v->vm;
    const struct vm_config *cfg = vm->cfg;
    switch (key) {
    case HC_INFO_RAM_BASE:
    case HC_INFO_RAM_SIZE:
        for (unsigned i = 0; i < cfg->region_num; i++) {
            const struct vm_mem_region *r = &cfg->regions[i];
            if (r->map_type == VM_MAP_ALLOC && !(r->flags & VM_MEM_DEVICE))
                return (int64_t)(key == HC_INFO_RAM_BASE ? r->gpa : r->size);
        }
        return HC_EINVAL;
    case HC_INFO_VCPUS: return vm->nvcpu;
    case HC_INFO_VM_ID: return vm->id;
    case HC_INFO_VCPU_ID: return v->id;
    case HC_INFO_RESETS: return vm->resets;
    default: return HC_EINVAL;
    }
}

int64_t hypercall_dispatch(struct vcpu *v, uint64_t nr, const uint64_t a[6])
{
    struct vm *vm = v->vm;
    switch (nr) {
    case HC_VERSION: return HC_ABI_VERSION;
    case HC_NOP: return 0;
    case HC_CONSOLE_PUTC: vm_console_putc(vm, (char)a[0]); return 0;
    case HC_CONSOLE_WRITE: return console_write(vm, a[0], a[1]);
    case HC_GUEST_INFO: return guest_info(v, a[0]);
    case HC_TEST_SUM6: return (int64_t)(a[0] + 2 * a[1] + 3 * a[2] + 4 * a[3] + 5 * a[4] + 6 * a[5]);
    case HC_TIME_NS: return (int64_t)timer_now_ns();
    case HC_VM_SHUTDOWN: vm_request_stop(vm, "guest asked to shut down"); return 0;
    case HC_VM_RESET: vm_request_reset(vm); return 0;
    default: return HC_ENOSYS;
    }
}
