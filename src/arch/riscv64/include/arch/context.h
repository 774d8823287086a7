/* riscv64 task context: what arch_context_switch saves (callee-saved s0-s11,
 * ra and sp). tp is not part of it: in HS-mode it always points at the
 * current CPU's per-CPU block, whichever task runs. Layout matches trap.S. */
#ifndef ARCH_CONTEXT_H
#define ARCH_CONTEXT_H

#include <stdint.h>

struct arch_context {
    uint64_t ra, sp;
    uint64_t s[12];
};

void arch_context_switch(struct arch_context *prev, struct arch_context *next);
void arch_task_start(void);

/* A new task begins in arch_task_start, which calls task_entry_trampoline(arg). */
static inline void arch_context_init(struct arch_context *c, uint64_t stack_top, void *arg)
{
    for (int i = 0; i < 12; i++)
        c->s[i] = 0;
    c->s[1] = (uint64_t)(uintptr_t)arg;
    c->ra = (uint64_t)(uintptr_t)arch_task_start;
    c->sp = stack_top;
}

static inline void cpu_relax(void) { __asm__ volatile("nop" ::: "memory"); }

#endif
