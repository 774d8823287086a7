/* Spinlocks for the hypervisor's shared state.
 *
 * A plain test-and-test-and-set lock built on GCC __atomic builtins, so it has
 * no arch dependency. The irqsave variants also mask local interrupts so an
 * interrupt handler on the same CPU can never spin on a lock its own CPU holds.
 * On the host (AX_HOST) there are no interrupts to mask. */
#ifndef AX_SPINLOCK_H
#define AX_SPINLOCK_H

#include <stdint.h>

typedef struct {
    volatile uint32_t v;
} spinlock_t;

#define SPINLOCK_INIT {0}

#ifdef AX_HOST
static inline unsigned long arch_irq_save(void) { return 0; }
static inline void arch_irq_restore(unsigned long flags) { (void)flags; }
#else
/* Provided by the arch layer: mask IRQs, return the previous state. */
extern unsigned long arch_irq_save(void);
extern void arch_irq_restore(unsigned long flags);
#endif

static inline void spin_lock(spinlock_t *l)
{
    while (__atomic_exchange_n(&l->v, 1u, __ATOMIC_ACQUIRE) != 0) {
        /* Spin on a plain load so waiters do not bounce the cache line. */
        while (__atomic_load_n(&l->v, __ATOMIC_RELAXED) != 0) {
        }
    }
}

static inline void spin_unlock(spinlock_t *l)
{
    __atomic_store_n(&l->v, 0u, __ATOMIC_RELEASE);
}

static inline unsigned long spin_lock_irqsave(spinlock_t *l)
{
    unsigned long flags = arch_irq_save();
    spin_lock(l);
    return flags;
}

static inline void spin_unlock_irqrestore(spinlock_t *l, unsigned long flags)
{
    spin_unlock(l);
    arch_irq_restore(flags);
}

#endif
