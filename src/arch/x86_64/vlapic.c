/* Virtual local APIC (vlapic.h). IRR bits may be set by other vCPUs' IPIs,
 * so IRR is updated atomically; everything else belongs to the owning vCPU. */
#include "vlapic.h"
#include "ax/string.h"

#define REG_ID 0x020
#define REG_VER 0x030
#define REG_TPR 0x080
#define REG_APR 0x090
#define REG_PPR 0x0A0
#define REG_EOI 0x0B0
#define REG_LDR 0x0D0
#define REG_DFR 0x0E0
#define REG_SVR 0x0F0
#define REG_ISR 0x100
#define REG_TMR 0x180
#define REG_IRR 0x200
#define REG_ESR 0x280
#define REG_CMCI 0x2F0
#define REG_ICR_LO 0x300
#define REG_ICR_HI 0x310
#define REG_LVT_TIMER 0x320
#define REG_LVT_THERMAL 0x330
#define REG_LVT_PERF 0x340
#define REG_LVT_LINT0 0x350
#define REG_LVT_LINT1 0x360
#define REG_LVT_ERROR 0x370
#define REG_TIMER_INIT 0x380
#define REG_TIMER_CUR 0x390
#define REG_TIMER_DIV 0x3E0

#define LVT_MASK (1u << 16)
#define LVT_PERIODIC (1u << 17)
#define VERSION 0x00050014u /* version 0x14, 6 LVT entries */

void vlapic_reset(struct vlapic *l, uint32_t id)
{
    memset(l, 0, sizeof(*l));
    l->id = id;
    l->dfr = 0xFFFFFFFFu;
    l->svr = 0xFF;
    l->lvt_timer = l->lvt_thermal = l->lvt_perf = LVT_MASK;
    l->lvt_lint0 = l->lvt_lint1 = l->lvt_error = l->lvt_cmci = LVT_MASK;
}

static unsigned divisor(const struct vlapic *l)
{
    unsigned v = (l->divide & 3) | ((l->divide >> 1) & 4);
    return v == 7 ? 1 : 2u << v;
}

static uint64_t period_ns(const struct vlapic *l)
{
    /* count * divide bus cycles; VLAPIC_BUS_HZ is 1 GHz: 1 cycle = 1 ns */
    return (uint64_t)l->init_count * divisor(l) * (1000000000ULL / VLAPIC_BUS_HZ);
}

uint64_t vlapic_timer_deadline(const struct vlapic *l)
{
    if (!l->init_count)
        return 0;
    return l->timer_start_ns + period_ns(l);
}

static int highest(const uint32_t *bits)
{
    for (int w = 7; w >= 0; w--) {
        uint32_t v = __atomic_load_n(&bits[w], __ATOMIC_ACQUIRE);
        if (v)
            return w * 32 + 31 - __builtin_clz(v);
    }
    return -1;
}

void vlapic_set_irr(struct vlapic *l, uint8_t vector)
{
    if (vector < 16)
        return; /* illegal vectors; a real APIC would set ESR */
    __atomic_fetch_or(&l->irr[vector / 32], 1u << (vector % 32), __ATOMIC_ACQ_REL);
}

static uint32_t ppr(const struct vlapic *l)
{
    int isr = highest(l->isr);
    uint32_t isrv = isr < 0 ? 0 : (uint32_t)isr;
    return (l->tpr & 0xF0) >= (isrv & 0xF0) ? l->tpr & 0xFF : isrv & 0xF0;
}

int vlapic_pending(const struct vlapic *l)
{
    if (!(l->svr & 0x100))
        return -1; /* software-disabled */
    int v = highest(l->irr);
    if (v < 0 || ((uint32_t)v & 0xF0) <= (ppr(l) & 0xF0))
        return -1;
    return v;
}

void vlapic_accept(struct vlapic *l, uint8_t vector)
{
    __atomic_fetch_and(&l->irr[vector / 32], ~(1u << (vector % 32)), __ATOMIC_ACQ_REL);
    l->isr[vector / 32] |= 1u << (vector % 32);
}

void vlapic_timer_update(struct vlapic *l, uint64_t now_ns)
{
    if (!l->timer_counting || !l->init_count)
        return;
    uint64_t p = period_ns(l);
    uint64_t end = l->timer_start_ns + p;
    if (now_ns < end)
        return;
    if (!(l->lvt_timer & LVT_MASK))
        vlapic_set_irr(l, (uint8_t)l->lvt_timer);
    if ((l->lvt_timer & LVT_PERIODIC) && p) {
        /* skip whole missed periods: one interrupt, as a real APIC coalesces */
        l->timer_start_ns = end + ((now_ns - end) / p) * p;
    } else {
        l->timer_counting = false; /* current count reads 0, deadline stays */
    }
}

static uint32_t current_count(const struct vlapic *l, uint64_t now_ns)
{
    if (!l->timer_counting || !l->init_count)
        return 0;
    uint64_t p = period_ns(l);
    uint64_t el = now_ns > l->timer_start_ns ? now_ns - l->timer_start_ns : 0;
    if (el >= p) {
        if (!(l->lvt_timer & LVT_PERIODIC))
            return 0;
        el %= p;
    }
    uint64_t per_tick = (uint64_t)divisor(l) * (1000000000ULL / VLAPIC_BUS_HZ);
    return (uint32_t)((p - el) / per_tick);
}

uint32_t vlapic_read(struct vlapic *l, uint32_t off, uint64_t now_ns)
{
    if (off & 0xF)
        return 0;
    vlapic_timer_update(l, now_ns);
    if (off >= REG_ISR && off < REG_ISR + 0x80)
        return l->isr[(off - REG_ISR) / 16];
    if (off >= REG_TMR && off < REG_TMR + 0x80)
        return l->tmr[(off - REG_TMR) / 16];
    if (off >= REG_IRR && off < REG_IRR + 0x80)
        return __atomic_load_n(&l->irr[(off - REG_IRR) / 16], __ATOMIC_ACQUIRE);
    switch (off) {
    case REG_ID: return l->id << 24;
    case REG_VER: return VERSION;
    case REG_TPR: return l->tpr;
    case REG_PPR: return ppr(l);
    case REG_LDR: return l->ldr;
    case REG_DFR: return l->dfr;
    case REG_SVR: return l->svr;
    case REG_ESR: return l->esr;
    case REG_CMCI: return l->lvt_cmci;
    case REG_ICR_LO: return l->icr_lo & ~(1u << 12); /* delivery always complete */
    case REG_ICR_HI: return l->icr_hi;
    case REG_LVT_TIMER: return l->lvt_timer;
    case REG_LVT_THERMAL: return l->lvt_thermal;
    case REG_LVT_PERF: return l->lvt_perf;
    case REG_LVT_LINT0: return l->lvt_lint0;
    case REG_LVT_LINT1: return l->lvt_lint1;
    case REG_LVT_ERROR: return l->lvt_error;
    case REG_TIMER_INIT: return l->init_count;
    case REG_TIMER_CUR: return current_count(l, now_ns);
    case REG_TIMER_DIV: return l->divide;
    default: return 0;
    }
}

static void eoi(struct vlapic *l)
{
    int v = highest(l->isr);
    if (v >= 0)
        l->isr[v / 32] &= ~(1u << (v % 32));
}

struct vlapic_icr vlapic_write(struct vlapic *l, uint32_t off, uint32_t val, uint64_t now_ns)
{
    struct vlapic_icr r = {VLAPIC_ICR_NONE, 0, 0, 0};
    if (off & 0xF)
        return r;
    vlapic_timer_update(l, now_ns);
    /* while software-disabled the LVT mask bits stay set */
    uint32_t lvt_force = (l->svr & 0x100) ? 0 : LVT_MASK;
    switch (off) {
    case REG_TPR: l->tpr = val & 0xFF; break;
    case REG_EOI: eoi(l); break;
    case REG_LDR: l->ldr = val & 0xFF000000u; break;
    case REG_DFR: l->dfr = val | 0x0FFFFFFFu; break;
    case REG_SVR:
        l->svr = val & 0x3FF;
        if (!(val & 0x100)) {
            l->lvt_timer |= LVT_MASK;
            l->lvt_thermal |= LVT_MASK;
            l->lvt_perf |= LVT_MASK;
            l->lvt_lint0 |= LVT_MASK;
            l->lvt_lint1 |= LVT_MASK;
            l->lvt_error |= LVT_MASK;
        }
        break;
    case REG_ESR: l->esr = 0; break;
    case REG_ICR_HI: l->icr_hi = val & 0xFF000000u; break;
    case REG_ICR_LO: {
        l->icr_lo = val & 0x000CCFFFu;
        unsigned mode = (val >> 8) & 7;
        r.dest = l->icr_hi >> 24;
        r.shorthand = (val >> 18) & 3;
        r.vector = (uint8_t)val;
        if (mode == 0)
            r.action = VLAPIC_ICR_FIXED;
        else if (mode == 5 && (val & (1u << 14))) /* INIT assert; de-assert is a no-op */
            r.action = VLAPIC_ICR_INIT;
        else if (mode == 6)
            r.action = VLAPIC_ICR_SIPI;
        break;
    }
    case REG_LVT_TIMER: l->lvt_timer = (val & 0x300FFu) | lvt_force; break;
    case REG_LVT_THERMAL: l->lvt_thermal = (val & 0x107FFu) | lvt_force; break;
    case REG_LVT_PERF: l->lvt_perf = (val & 0x107FFu) | lvt_force; break;
    case REG_LVT_LINT0: l->lvt_lint0 = (val & 0x1A7FFu) | lvt_force; break;
    case REG_LVT_LINT1: l->lvt_lint1 = (val & 0x1A7FFu) | lvt_force; break;
    case REG_LVT_ERROR: l->lvt_error = (val & 0x100FFu) | lvt_force; break;
    case REG_CMCI: l->lvt_cmci = (val & 0x107FFu) | lvt_force; break;
    case REG_TIMER_INIT:
        l->init_count = val;
        l->timer_start_ns = now_ns;
        l->timer_counting = val != 0;
        break;
    case REG_TIMER_DIV: {
        /* keep the current count going at the new rate from now */
        l->divide = val & 0xB;
        break;
    }
    default: break;
    }
    return r;
}
