/* riscv64 emulated devices and boot conventions.
 *
 * The console UART (type 0x2) is a 16550; the interrupt controller (type
 * 0x30 "plic", or 0x1) is a vPLIC whose context c is vCPU c's VS-mode
 * external interrupt (hvip.VSEIP). Device interrupt lines reach it through
 * vm_irq_set_level. Guests start with a0 = hart id (vCPU index) and a1 =
 * their DTB's guest-physical address, or 0 without one. */
#include "ax/axhal.h"
#include "ax/axvcpu_arch.h"
#include "ax/devbus.h"
#include "ax/format.h"
#include "ax/heap.h"
#include "ax/spinlock.h"
#include "ax/string.h"
#include "ax/vm.h"
#include "ax/vplic.h"
#include "ax/vuart16550.h"

#define VPLIC_MIN_WINDOW 0x4000ull /* priorities, pending and enable of context 0 */

struct vplic_dev {
    spinlock_t lock;
    struct vplic plic;
    struct vm *vm;
    unsigned vmid;
};

/* The vPLIC of each VM by VMID, for vm_irq_set_level. */
static struct vplic_dev *vplics[64];
static spinlock_t vplics_lock = SPINLOCK_INIT;

/* Context ctx's output changed: VSEIP of vCPU ctx follows it. */
static void vplic_notify(void *arg, unsigned ctx, bool level)
{
    struct vm *vm = arg;
    if (ctx >= vm->nvcpu || !vm->vcpus[ctx])
        return;
    struct vcpu *v = vm->vcpus[ctx];
    __atomic_store_n(&v->arch.pending_vseip, level ? 1u : 0u, __ATOMIC_RELEASE);
    if (level)
        vcpu_kick(v);
}

static int vplic_dev_read(struct emu_dev *d, uint64_t off, unsigned width, uint64_t *val)
{
    struct vplic_dev *p = d->priv;
    unsigned long f = spin_lock_irqsave(&p->lock);
    *val = vplic_read(&p->plic, off, width);
    spin_unlock_irqrestore(&p->lock, f);
    return 0;
}

static int vplic_dev_write(struct emu_dev *d, uint64_t off, unsigned width, uint64_t val)
{
    struct vplic_dev *p = d->priv;
    unsigned long f = spin_lock_irqsave(&p->lock);
    vplic_write(&p->plic, off, width, (uint32_t)val);
    spin_unlock_irqrestore(&p->lock, f);
    return 0;
}

static void vplic_dev_destroy(struct emu_dev *d)
{
    struct vplic_dev *p = d->priv;
    unsigned long f = spin_lock_irqsave(&vplics_lock);
    if (p->vmid < ARRAY_SIZE(vplics) && vplics[p->vmid] == p)
        vplics[p->vmid] = NULL;
    spin_unlock_irqrestore(&vplics_lock, f);
}

static const struct emu_dev_ops vplic_ops = {
    .read = vplic_dev_read,
    .write = vplic_dev_write,
    .destroy = vplic_dev_destroy,
};

static int add_vplic(struct vm *vm, const struct vm_emu_device *d, char *err, size_t errlen)
{
    if (d->size < VPLIC_MIN_WINDOW) {
        ax_snprintf(err, errlen, "plic '%s': window size %#llx, needs at least %#llx", d->name,
                    (unsigned long long)d->size, (unsigned long long)VPLIC_MIN_WINDOW);
        return -AX_EINVAL;
    }
    if (vm->vmid >= ARRAY_SIZE(vplics) || vplics[vm->vmid]) {
        ax_snprintf(err, errlen, "plic '%s': one interrupt controller per VM", d->name);
        return -AX_EEXIST;
    }
    struct emu_dev *dev = kzalloc(sizeof(*dev));
    struct vplic_dev *p = kzalloc(sizeof(*p));
    if (!dev || !p) {
        kfree(dev);
        kfree(p);
        ax_snprintf(err, errlen, "plic: out of memory");
        return -AX_ENOMEM;
    }
    vplic_init(&p->plic, VPLIC_MAX_SRC, vm->nvcpu < VPLIC_MAX_CTX ? vm->nvcpu : VPLIC_MAX_CTX, vplic_notify, vm);
    p->lock = (spinlock_t)SPINLOCK_INIT;
    p->vm = vm;
    p->vmid = vm->vmid;
    memcpy(dev->name, "vplic", 6);
    dev->base = d->gpa;
    dev->size = d->size;
    dev->irq = d->irq;
    dev->ops = &vplic_ops;
    dev->priv = p;
    int rc = vm_add_emu_dev(vm, dev, d->type, err, errlen); /* frees dev on failure */
    if (rc == 0) {
        unsigned long f = spin_lock_irqsave(&vplics_lock);
        vplics[vm->vmid] = p;
        spin_unlock_irqrestore(&vplics_lock, f);
    }
    return rc;
}

/* A device's interrupt line (a vPLIC source id on riscv64). Lines of a VM
 * without a vPLIC go nowhere. */
void vm_irq_set_level(struct vm *vm, uint32_t intid, bool level);
void vm_irq_set_level(struct vm *vm, uint32_t intid, bool level)
{
    unsigned long f = spin_lock_irqsave(&vplics_lock);
    struct vplic_dev *p = vm->vmid < ARRAY_SIZE(vplics) ? vplics[vm->vmid] : NULL;
    if (p) {
        spin_lock(&p->lock);
        vplic_set_level(&p->plic, intid, level);
        spin_unlock(&p->lock);
    }
    spin_unlock_irqrestore(&vplics_lock, f);
}

int vm_arch_add_device(struct vm *vm, const struct vm_emu_device *d, char *err, size_t errlen)
{
    struct emu_dev *dev;
    switch (d->type) {
    case EMU_CONSOLE:
        dev = vuart16550_create(d->gpa, d->size, d->irq, err, errlen);
        break;
    case EMU_INTC:
    case EMU_PLIC:
        return add_vplic(vm, d, err, errlen);
    default:
        return -AX_ENOENT;
    }
    if (!dev)
        return -AX_EINVAL;
    return vm_add_emu_dev(vm, dev, d->type, err, errlen);
}

int vm_arch_prepare_boot(struct vm *vm, uint64_t *boot_arg, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    *boot_arg = vm->images[VM_IMG_DTB].present ? vm->images[VM_IMG_DTB].load_addr : 0;
    return 0;
}

int vm_arch_passthrough_irq(struct vm *vm, uint32_t irq, char *err, size_t errlen)
{
    (void)vm;
    ax_snprintf(err, errlen, "interrupt %u: routing host interrupts to guests is implemented for aarch64 only", irq);
    return -AX_ENOSYS;
}
