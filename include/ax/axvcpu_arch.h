/* The arch seam for vCPUs. Implemented per arch in src/arch/<arch>/. */
#ifndef AX_AXVCPU_ARCH_H
#define AX_AXVCPU_ARCH_H

#include "ax/vcpu.h"

struct vm;

/* Per VM: stage-2 format, VMID, whatever the arch keeps per VM. */
const struct pt_format *vm_arch_npt_format(unsigned *va_bits);
int vm_arch_init(struct vm *vm);
/* Create an emulated device of an arch-specific type (interrupt controller,
 * console UART model, ...) and put it on the VM's bus / address space.
 * Returns -AX_ENOENT when the arch has no such device type (the common code
 * then tries its own), else 0 or an error with a message in err. */
struct vm_emu_device;
int vm_arch_add_device(struct vm *vm, const struct vm_emu_device *d, char *err, size_t errlen);
void vm_arch_destroy(struct vm *vm);
/* interrupt_mode = "passthrough": deliver host interrupt irq (the same
 * number in the guest) of a passthrough device to the VM. 0 or an error
 * with a message in err. Undone when the VM's devices are destroyed. */
int vm_arch_passthrough_irq(struct vm *vm, uint32_t irq, char *err, size_t errlen);
/* After the images are loaded: arch boot conventions (e.g. generate the
 * guest device tree). Sets *boot_arg, the value vCPU 0 starts with. */
int vm_arch_prepare_boot(struct vm *vm, uint64_t *boot_arg, char *err, size_t errlen);   /* flush the VM's TLB entries */

/* Reset a vCPU to its power-on state at entry with arg (x0 / a1 / rdi...). */
void vcpu_arch_reset(struct vcpu *v, uint64_t entry, uint64_t arg);
/* Run the guest until an exit the backend cannot finish alone. Called from
 * the vCPU task with interrupts enabled; returns with them enabled. */
void vcpu_arch_run(struct vcpu *v, struct vcpu_exit *exit);
/* Completing exits */
void vcpu_arch_set_hc_result(struct vcpu *v, uint64_t val);
void vcpu_arch_set_reg(struct vcpu *v, unsigned reg, uint64_t val);
uint64_t vcpu_arch_get_reg(struct vcpu *v, unsigned reg);
void vcpu_arch_advance_pc(struct vcpu *v);
uint64_t vcpu_arch_pc(struct vcpu *v);
/* An access to nothing: give the guest its arch's abort / fault. */
/* Returns -AX_EFAULT when the guest keeps faulting at the same place
 * (no usable handler): the caller then stops the VM. */
int vcpu_arch_inject_fault(struct vcpu *v, const struct vcpu_exit *exit);
/* Task switch hooks: save / restore the state that is not switched on
 * every exit (EL1 system registers, FP). */
void vcpu_arch_put(struct vcpu *v);
void vcpu_arch_load(struct vcpu *v);
/* CPU power answers that the arch ABI returns to the guest (e.g. PSCI). */
void vcpu_arch_cpu_up_result(struct vcpu *v, int err);  /* 0, -AX_EBUSY (already on), -AX_EINVAL */
/* A virtual interrupt is waiting for this vCPU (ends a halt). */
bool vcpu_arch_irq_pending(struct vcpu *v);
/* Log the guest's registers (used when a VM is stopped for an error). */
void vcpu_arch_dump(struct vcpu *v);

#endif
