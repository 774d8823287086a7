/* A virtual PLIC (RISC-V Platform-Level Interrupt Controller, the
 * "riscv,plic0" / "sifive,plic-1.0.0" register layout), emulated device
 * type 0x30 (or 0x1 on riscv64). Plain C: host tests drive it directly.
 *
 * Context c is the S-mode (here: VS-mode) external interrupt of the
 * guest's hart c; there are no M-mode contexts. Sources 1..nsrc-1 are
 * level-triggered: a source is pending while its line is high and it is
 * not being serviced; a claim takes the highest-priority pending source
 * enabled for the context whose priority is above the context's threshold
 * (ties go to the lowest id), clears its pending bit and marks it in
 * service; a complete of that id ends the service, and a line still high
 * makes it pending again. Priorities have 3 bits (0 = never interrupts).
 *
 * Registers (32-bit; other widths and offsets read as zero, writes ignored):
 *   0x000000 + 4*src          priority
 *   0x001000 + 4*word         pending bits (read-only)
 *   0x002000 + 0x80*ctx + 4*w enable bits of context ctx
 *   0x200000 + 0x1000*ctx     priority threshold
 *   0x200004 + 0x1000*ctx     claim (read) / complete (write)
 *
 * notify(arg, ctx, level) is called whenever the external-interrupt output
 * of a context changes; the caller's lock (if any) is held. */
#ifndef AX_VPLIC_H
#define AX_VPLIC_H

#include "ax/types.h"

#define VPLIC_MAX_SRC 64     /* sources 1..63 */
#define VPLIC_MAX_CTX 8
#define VPLIC_PRIO_MASK 7u
#define VPLIC_WINDOW 0x400000ull

#define VPLIC_PRIORITY 0x0ull
#define VPLIC_PENDING 0x1000ull
#define VPLIC_ENABLE 0x2000ull
#define VPLIC_ENABLE_STRIDE 0x80ull
#define VPLIC_CONTEXT 0x200000ull
#define VPLIC_CONTEXT_STRIDE 0x1000ull

struct vplic {
    unsigned nsrc, nctx;
    uint32_t priority[VPLIC_MAX_SRC];
    uint64_t level;       /* line state per source */
    uint64_t pending;
    uint64_t in_service;  /* claimed, not yet completed */
    uint64_t enable[VPLIC_MAX_CTX];
    uint32_t threshold[VPLIC_MAX_CTX];
    uint8_t output;       /* bit c: context c's interrupt output */
    void (*notify)(void *arg, unsigned ctx, bool level);
    void *arg;
};

/* nsrc: sources including the reserved 0 (2..VPLIC_MAX_SRC); nctx:
 * 1..VPLIC_MAX_CTX. -AX_EINVAL when out of range. */
int vplic_init(struct vplic *p, unsigned nsrc, unsigned nctx,
               void (*notify)(void *arg, unsigned ctx, bool level), void *arg);
/* A device's interrupt line; unknown sources are ignored. */
void vplic_set_level(struct vplic *p, unsigned src, bool level);
uint32_t vplic_read(struct vplic *p, uint64_t off, unsigned width);
void vplic_write(struct vplic *p, uint64_t off, unsigned width, uint32_t val);
bool vplic_output(const struct vplic *p, unsigned ctx);

#endif
