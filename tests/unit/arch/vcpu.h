/* Host stand-in for src/arch/<arch>/include/arch/vcpu.h (see context.h). */
#ifndef ARCH_VCPU_H
#define ARCH_VCPU_H

struct vcpu_arch {
    int unused;
};

#endif
