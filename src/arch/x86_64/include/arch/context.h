/* x86_64 task context: what arch_context_switch saves (the SysV
 * callee-saved registers, the stack pointer and where to resume). Layout
 * matches vectors.S. */
#ifndef ARCH_CONTEXT_H
#define ARCH_CONTEXT_H

#include <stdint.h>

struct arch_context {
    uint64_t rbx, rbp, r12, r13, r14, r15;
    uint64_t rsp, rip;
};

void arch_context_switch(struct arch_context *prev, struct arch_context *next);
void arch_task_start(void);

/* A new task begins in arch_task_start, which calls task_entry_trampoline(rbx). */
static inline void arch_context_init(struct arch_context *c, uint64_t stack_top, void *arg)
{
    c->rbx = (uint64_t)(uintptr_t)arg;
    c->rbp = c->r12 = c->r13 = c->r14 = c->r15 = 0;
    c->rsp = stack_top & ~15ULL;
    c->rip = (uint64_t)(uintptr_t)arch_task_start;
}

static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }

#endif
