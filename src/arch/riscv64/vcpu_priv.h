/* Between the riscv64 vCPU files. */
#ifndef RISCV64_VCPU_PRIV_H
#define RISCV64_VCPU_PRIV_H

#include "ax/vcpu.h"

/* An ecall from VS-mode (pc already past it): SBI emulation. Returns true
 * when it became an exit for the common loop. */
bool vsbi_handle(struct vcpu *v, struct vcpu_exit *e);

#endif
