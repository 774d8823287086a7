/* The arch seam of the hardware abstraction layer: every function here is
 * implemented once per architecture in src/arch/<arch>/. Common code uses
 * only this header (plus axvcpu_arch.h / npt_arch.h later) to reach hardware. */
#ifndef AX_AXHAL_H
#define AX_AXHAL_H

#include "ax/types.h"

/* What the arch layer found at boot, in arch-neutral form. */
#define BOOT_MAX_MEM 16
#define BOOT_MAX_RESERVED 32
struct mem_range {
    paddr_t base;
    uint64_t size;
};
struct boot_info {
    struct mem_range mem[BOOT_MAX_MEM];          /* usable RAM banks */
    unsigned mem_count;
    struct mem_range reserved[BOOT_MAX_RESERVED]; /* hypervisor image, DTB, firmware */
    unsigned reserved_count;
    const void *dtb;                              /* NULL on platforms without one */
    size_t dtb_size;
    const char *cmdline;                          /* hypervisor command line, "" if none */
};

/* Common entry points the arch layer calls. */
NORETURN void hv_main(struct boot_info *bi);        /* boot CPU, after console init */
NORETURN void hv_secondary_main(unsigned cpu);      /* every other CPU */

/* Second arch stage on the boot CPU, once the frame allocator works: final
 * MMU map, interrupt controller, timer. */
int arch_init_late(void);

/* ---- CPUs ---- */
unsigned cpu_id(void);                       /* logical id 0..cpu_count()-1 */
unsigned cpu_count(void);                    /* CPUs found in the platform description */
uint64_t cpu_hwid(unsigned cpu);             /* MPIDR / hart id / APIC id */
/* Start a secondary CPU; it runs entry(cpu) on its own boot stack with the MMU
 * and per-CPU state set up. Returns 0 or a negative AX_E* code. */
int cpu_start(unsigned cpu, void (*entry)(unsigned cpu));
NORETURN void cpu_halt(void);                /* mask interrupts and stop this CPU */

/* ---- interrupts ---- */
void irq_enable(void);
void irq_disable(void);
bool irq_enabled(void);
void irq_wait(void);                          /* wait for an interrupt (WFI / HLT) */
#ifndef AX_HOST /* host builds get no-op inlines from ax/spinlock.h */
unsigned long arch_irq_save(void);            /* disable, return previous state */
void arch_irq_restore(unsigned long flags);
#endif

/* Host interrupt controller. Interrupt numbers are the controller's own
 * (GIC INTID, PLIC source, vector). */
typedef void (*irq_handler_t)(unsigned irq, void *arg);
int irq_register(unsigned irq, irq_handler_t fn, void *arg);  /* also enables it; -AX_EBUSY if taken */
void irq_unregister(unsigned irq);
void irq_set_enabled(unsigned irq, bool on);
/* Inter-processor interrupts: one reserved for "reschedule / look at your queues". */
void ipi_send(unsigned cpu);

/* ---- time ---- */
uint64_t timer_now_ns(void);
uint64_t timer_freq_hz(void);
/* Fire the per-CPU timer interrupt at absolute time deadline_ns (0 = cancel).
 * The handler is the scheduler's timer_tick(). */
void timer_set_oneshot(uint64_t deadline_ns);

/* ---- console ---- */
void console_putc(char c);
int console_getc(void);                       /* -1 when nothing is waiting */

/* ---- memory ---- */
/* Map [pa, pa+size) at va in the hypervisor's own address space. attrs are PT_*
 * flags from ax/pagetable.h. */
int mmu_map_hyp(vaddr_t va, paddr_t pa, uint64_t size, uint32_t attrs);
static inline void *phys_to_virt(paddr_t pa) { return (void *)(uintptr_t)pa; }
static inline paddr_t virt_to_phys(const void *va) { return (paddr_t)(uintptr_t)va; }

/* ---- power ---- */
NORETURN void power_off(void);
NORETURN void power_reset(void);

/* ---- per-arch description for the banner ---- */
const char *arch_name(void);
void arch_describe(void);                     /* logs irq controller version etc. */

#endif
