/* A virtual local APIC (xAPIC register interface at 0xFEE0_0000 in the
 * guest), one per vCPU. Plain C with no hardware dependency; the caller
 * passes the time. Registers: ID, version, TPR, PPR, EOI, LDR, DFR, SVR,
 * ISR/TMR/IRR, ESR, ICR low/high, the LVT entries, and the timer (initial
 * count, current count, divide). Others read as zero and ignore writes.
 *
 * The timer counts at VLAPIC_BUS_HZ / divide. Project convention (the
 * guest kit relies on it): a HLT with the timer counting wakes at the
 * timer's deadline even when the LVT entry or RFLAGS.IF masks the
 * interrupt, like WFI with a masked timer on Arm; the guest then polls
 * the current count. */
#ifndef X86_64_VLAPIC_H
#define X86_64_VLAPIC_H

#include "ax/types.h"

#define VLAPIC_BASE 0xFEE00000ULL
#define VLAPIC_BUS_HZ 1000000000ULL

enum vlapic_icr_action {
    VLAPIC_ICR_NONE = 0,
    VLAPIC_ICR_FIXED,   /* interrupt `vector` to dest */
    VLAPIC_ICR_INIT,
    VLAPIC_ICR_SIPI,    /* start dest at vector << 12 */
};

struct vlapic_icr {
    int action;
    uint32_t dest;      /* APIC id, valid when shorthand == 0 */
    unsigned shorthand; /* 0 dest, 1 self, 2 all incl. self, 3 all excl. self */
    uint8_t vector;
};

struct vlapic {
    uint32_t id, tpr, ldr, dfr, svr, esr, icr_lo, icr_hi;
    uint32_t lvt_timer, lvt_thermal, lvt_perf, lvt_lint0, lvt_lint1, lvt_error, lvt_cmci;
    uint32_t divide, init_count;
    uint32_t irr[8], isr[8], tmr[8];
    uint64_t timer_start_ns;   /* when the count was loaded (periodic: last reload) */
    bool timer_counting;
};

void vlapic_reset(struct vlapic *l, uint32_t id);
/* off: byte offset in the 4 KiB page; only aligned 4-byte accesses to the
 * registers are defined (others read 0 / are ignored). */
uint32_t vlapic_read(struct vlapic *l, uint32_t off, uint64_t now_ns);
/* Returns what an ICR write asks for (VLAPIC_ICR_NONE otherwise). */
struct vlapic_icr vlapic_write(struct vlapic *l, uint32_t off, uint32_t val, uint64_t now_ns);

/* Advance the timer to now: an expiry raises the LVT vector in IRR
 * (unless masked) and stops (one-shot) or reloads (periodic). */
void vlapic_timer_update(struct vlapic *l, uint64_t now_ns);
/* When the running timer next expires; 0 if it is stopped. A one-shot
 * that has expired but was not stopped by the guest keeps its deadline. */
uint64_t vlapic_timer_deadline(const struct vlapic *l);

void vlapic_set_irr(struct vlapic *l, uint8_t vector);   /* any CPU */
/* Highest IRR vector whose priority class beats the PPR, or -1. */
int vlapic_pending(const struct vlapic *l);
void vlapic_accept(struct vlapic *l, uint8_t vector);     /* IRR -> ISR */

#endif
