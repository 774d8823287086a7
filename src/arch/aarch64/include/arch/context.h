/* aarch64 task context: what arch_context_switch saves (callee-saved GPRs,
 * frame pointer, link register, stack pointer). Layout matches vectors.S. */
#ifndef ARCH_CONTEXT_H
#define ARCH_CONTEXT_H

#include <stdint.h>

struct arch_context {
    uint64_t x19_x28[10];
    uint64_t fp, lr, sp;
};

void arch_context_switch(struct arch_context *prev, struct arch_context *next);
void arch_task_start(void);

/* A new task begins in arch_task_start, which calls task_entry_trampoline(arg). */
static inline void arch_context_init(struct arch_context *c, uint64_t stack_top, void *arg)
{
    for (int i = 0; i < 10; i++)
        c->x19_x28[i] = 0;
    c->x19_x28[0] = (uint64_t)(uintptr_t)arg;
    c->fp = 0;
    c->lr = (uint64_t)(uintptr_t)arch_task_start;
    c->sp = stack_top;
}

static inline void cpu_relax(void) { __asm__ volatile("yield" ::: "memory"); }

#endif
