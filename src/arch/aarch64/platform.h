/* aarch64 internal interfaces between the files of this folder. */
#ifndef AARCH64_PLATFORM_H
#define AARCH64_PLATFORM_H

#include "ax/fdt.h"
#include "ax/types.h"

struct trap_frame {
    uint64_t x[31];
    uint64_t elr, spsr, sp;
};
_Static_assert(sizeof(struct trap_frame) == 272, "TF_SIZE in asm.h");

struct percpu_arch {
    unsigned id;            /* must stay first: cpu_id() reads it */
    uint64_t mpidr;
    void *guest_regs;       /* offset PERCPU_GUEST_REGS: the running guest's registers */
    struct vcpu *loaded_vcpu; /* whose EL1/FP state is in this CPU's registers */
};
struct percpu_arch *this_percpu(void);

extern struct fdt_platform platform;
struct vcpu;

void pl011_init(paddr_t base);
void pl011_putc(char c);
int pl011_getc(void);

int gic_init(const struct fdt_platform *p);   /* distributor, once */
void gic_init_cpu(unsigned cpu);              /* this CPU's interface */
void gic_handle_irq(void);
unsigned gic_version(void);

void timer_init_cpu(void);
unsigned timer_irq(void);

int mmu_init(const struct fdt_platform *p);   /* build the final map, switch to it */
void mmu_enable_cpu(void);                    /* secondaries: load the final map */

int psci_cpu_on(uint64_t mpidr, paddr_t entry, uint64_t ctx);
NORETURN void psci_system_off(void);
NORETURN void psci_system_reset(void);

void dump_frame(const struct trap_frame *f, const char *why, uint64_t esr, uint64_t far);

#endif
