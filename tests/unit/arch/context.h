/* Host stand-in for src/arch/<arch>/include/arch/context.h, so host tests
 * can include headers that embed a task (ax/task.h, ax/vm.h); no test
 * switches contexts. */
#ifndef ARCH_CONTEXT_H
#define ARCH_CONTEXT_H

#include <stdint.h>

struct arch_context {
    uint64_t unused;
};

static inline void cpu_relax(void) {}

#endif
