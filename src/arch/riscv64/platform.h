/* riscv64 internal interfaces between the files of this folder. */
#ifndef RISCV64_PLATFORM_H
#define RISCV64_PLATFORM_H

#include "ax/fdt.h"
#include "ax/types.h"
#include "asm.h"

/* Saved by trap.S on every trap taken in HS-mode from HS-mode. x[0] is
 * unused (x0), x[2] is the stack pointer before the trap, x[4] the thread
 * pointer (always this CPU's struct percpu_arch in HS-mode). */
struct trap_frame {
    uint64_t x[32];
    uint64_t sepc, sstatus, scause, stval;
};
_Static_assert(sizeof(struct trap_frame) == TF_SIZE, "TF_SIZE in asm.h");

/* One per CPU; tp and sscratch hold its address whenever the CPU runs in
 * HS-mode (sscratch also while a guest runs, so the trap entry finds it).
 * The first fields are read by assembly (asm.h). */
struct percpu_arch {
    uint64_t t0_scratch;
    void *guest_regs;
    uint64_t host_sp;
    unsigned id;
    unsigned pad;
    uint64_t hartid;
    struct vcpu *loaded_vcpu;   /* whose VS-mode state is in this CPU's CSRs */
    uint64_t tlb_epoch;         /* vm_arch_destroy's epoch last flushed here */
    /* guest-memory reads (HLVX) that may fault: the trap handler sets
     * faulted and skips the instruction instead of stopping the CPU */
    volatile uint32_t expect_fault;
    volatile uint32_t faulted;
    uint64_t fault_cause;
    uint8_t pad2[PERCPU_SIZE - 72];
};
_Static_assert(sizeof(struct percpu_arch) == PERCPU_SIZE, "PERCPU_SIZE in asm.h");

struct percpu_arch *this_percpu(void);

extern struct fdt_platform platform;
extern bool have_sstc;          /* stimecmp / vstimecmp usable */
struct vcpu;

/* SBI client (sbi.c) */
struct sbiret {
    long error;
    long value;
};
struct sbiret sbi_call(unsigned long ext, unsigned long fid, unsigned long a0, unsigned long a1,
                       unsigned long a2, unsigned long a3);
void sbi_legacy_putchar(char c);
int sbi_hart_start(uint64_t hartid, paddr_t entry, uint64_t opaque);
void sbi_send_ipi_hart(uint64_t hartid);
void sbi_set_timer(uint64_t stime);
NORETURN void sbi_shutdown(void);
NORETURN void sbi_reboot(void);
long sbi_spec_version(void);

/* 16550 UART (uart16550.c) */
void uart16550_init(paddr_t base, unsigned reg_shift, unsigned io_width);
void uart16550_putc(char c);
int uart16550_getc(void);
bool uart16550_present(void);

/* timer.c */
void timer_init_cpu(void);
void timer_irq_handler(void);
uint64_t timer_ticks_to_ns(uint64_t t);
uint64_t timer_ns_to_ticks(uint64_t ns);
static inline uint64_t rdtime(void)
{
    uint64_t t;
    __asm__ volatile("rdtime %0" : "=r"(t));
    return t;
}

/* mmu.c */
int mmu_init(const struct fdt_platform *p);
void mmu_enable_cpu(void);

/* trap.c */
void dump_frame(const struct trap_frame *f, const char *why);

/* The boot hart's id and the logical CPU -> hart id table. */
extern uint64_t hart_ids[AX_MAX_CPUS];

#endif
