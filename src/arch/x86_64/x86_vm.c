/* x86 VM set-up and guest-visible CPU identity that do not depend on the
 * virtualisation extension (SVM today; VMX would share this file): the boot
 * argument and tables, the arch's emulated devices, the CPUID a guest sees. */
#include "ax/axhal.h"
#include "ax/axvcpu_arch.h"
#include "ax/format.h"
#include "ax/heap.h"
#include "ax/vm.h"
#include "ax/vmconfig.h"
#include "ax/vuart16550.h"
#include "ax/string.h"
#include "platform.h"
#include "vlapic.h"
#include "x86_guest.h"

int vm_arch_prepare_boot(struct vm *vm, uint64_t *boot_arg, char *err, size_t errlen)
{
    *boot_arg = vm->images[VM_IMG_DTB].present ? vm->images[VM_IMG_DTB].load_addr : 0;
    return x86_guest_boot_setup(vm, err, errlen);
}

/* The console UART (type 0x2) is a 16550 on port I/O; its config gpa is
 * the port base (0x3F8 for COM1). */
int vm_arch_add_device(struct vm *vm, const struct vm_emu_device *d, char *err, size_t errlen)
{
    if (d->type != EMU_CONSOLE)
        return -AX_ENOENT;
    if (d->gpa > 0xFFFF || d->gpa + d->size > 0x10000) {
        ax_snprintf(err, errlen, "console UART '%s': on x86 its address %#llx is an I/O port (0..0xffff)", d->name,
                    (unsigned long long)d->gpa);
        return -AX_EINVAL;
    }
    struct emu_dev *dev = vuart16550_create(d->gpa, d->size, d->irq, err, errlen);
    if (!dev)
        return -AX_EINVAL;
    dev->port_io = true;
    dev->type = d->type;
    dev->vm = vm;
    int rc = devbus_add(&vm->bus, dev);
    if (rc) {
        if (dev->ops->destroy)
            dev->ops->destroy(dev);
        kfree(dev->priv);
        kfree(dev);
        ax_snprintf(err, errlen, "console UART '%s' at port %#llx: %s", d->name, (unsigned long long)d->gpa,
                    ax_strerror(rc));
    }
    return rc;
}

/* CPUID as guests see it: the host's, with SVM, VMX, MONITOR, x2APIC and
 * TSC-deadline hidden (none is virtualised), the hypervisor bit set, the
 * APIC id = the vCPU index, and two hypervisor leaves: 0x4000_0000 (max
 * leaf, signature "AxVisorCAxV") and 0x4000_0010 (EAX = TSC kHz, EBX =
 * LAPIC timer kHz, the timing leaf guests use instead of calibrating). */
void x86_cpuid_guest(uint32_t leaf, uint32_t sub, unsigned vcpu_id, unsigned nvcpu, uint32_t r[4])
{
    r[0] = r[1] = r[2] = r[3] = 0;
    if (leaf >= 0x40000000 && leaf < 0x40000100) {
        if (leaf == 0x40000000) {
            r[0] = 0x40000010;
            memcpy(&r[1], "AxVi", 4);
            memcpy(&r[2], "sorC", 4);
            memcpy(&r[3], "AxV\0", 4);
        } else if (leaf == 0x40000010) {
            r[0] = (uint32_t)(tsc_hz() / 1000);          /* TSC kHz */
            r[1] = (uint32_t)(VLAPIC_BUS_HZ / 1000);     /* LAPIC timer kHz */
        }
    } else {
        cpuid(leaf, sub, r);
        switch (leaf) {
        case 1:
            r[1] = (r[1] & 0x0000FFFF) | ((uint32_t)vcpu_id << 24) | ((uint32_t)nvcpu << 16);
            r[2] &= ~((1u << 3) | (1u << 5) | (1u << 21) | (1u << 24)); /* MONITOR, VMX, x2APIC, TSC deadline */
            r[2] |= 1u << 31;                                          /* running under a hypervisor */
            break;
        case 0xB:
        case 0x1F:
            r[3] = vcpu_id; /* x2APIC id */
            break;
        case 0x80000001:
            r[2] &= ~(1u << 2); /* SVM */
            break;
        case 0x8000000A:
            r[0] = r[1] = r[2] = r[3] = 0;
            break;
        default:
            break;
        }
    }
}


int vm_arch_passthrough_irq(struct vm *vm, uint32_t irq, char *err, size_t errlen)
{
    (void)vm;
    ax_snprintf(err, errlen, "interrupt %u: routing host interrupts to guests is implemented for aarch64 only", irq);
    return -AX_ENOSYS;
}

/* Device interrupt lines (the 16550's): x86 guests get a virtual LAPIC but
 * no IOAPIC model yet, so a device line has nowhere to go. Guests poll their
 * UART; the kit never relies on device interrupts on x86. */
void vm_irq_set_level(struct vm *vm, uint32_t intid, bool level)
{
    (void)vm;
    (void)intid;
    (void)level;
}
