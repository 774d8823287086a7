/* x86_64 internal interfaces between the files of this folder. */
#ifndef X86_64_PLATFORM_H
#define X86_64_PLATFORM_H

#include "ax/types.h"
#include "asm.h"

struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss;
};
_Static_assert(sizeof(struct trap_frame) == TF_SIZE, "TF_SIZE in asm.h");

struct vcpu;

/* Per-CPU data, reached through GS base (cpu_id() reads the first field). */
struct percpu_arch {
    unsigned id;                /* must stay first */
    unsigned apic_id;
    struct vcpu *loaded_vcpu;   /* whose state is set up on this CPU */
    paddr_t hsave_pa;           /* SVM host save area (VM_HSAVE_PA) */
    paddr_t host_vmcb_pa;       /* VMSAVE/VMLOAD area for the host's FS/GS/TR... */
    unsigned last_asid_gen;
};
struct percpu_arch *this_percpu(void);
struct percpu_arch *percpu_of(unsigned cpu);

/* What the boot CPU found (ACPI, multiboot). */
struct x86_platform {
    unsigned cpu_count;
    unsigned cpu_total;             /* enabled CPUs in the MADT, may exceed AX_MAX_CPUS */
    uint32_t apic_id[AX_MAX_CPUS];
    paddr_t lapic_base;
    bool acpi;
    bool madt;
    uint16_t pm1a_cnt, pm1b_cnt;    /* ports, 0 = none */
    uint16_t slp_typ_s5a, slp_typ_s5b;
    bool have_s5;
    uint64_t mem_total;
};
extern struct x86_platform platform;

/* ---- low-level helpers ---- */
static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}
static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}
static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}
static inline uint64_t read_cr0(void) { uint64_t v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline uint64_t read_cr2(void) { uint64_t v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline uint64_t read_cr3(void) { uint64_t v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline uint64_t read_cr4(void) { uint64_t v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void write_cr3(uint64_t v) { __asm__ volatile("mov %0, %%cr3" ::"r"(v) : "memory"); }

/* ---- serial.c: polled 16550 at 0x3F8 ---- */
void serial_init(void);
void serial_putc(char c);
int serial_getc(void);

/* ---- trap.c / vectors.S ---- */
void gdt_idt_init_cpu(unsigned cpu);          /* GDT with this CPU's TSS, IDT */
void dump_frame(const struct trap_frame *f, const char *why);
#define VEC_TIMER 0xF0
#define VEC_RESCHED 0xF1
#define VEC_SPURIOUS 0xFF

/* ---- apic.c: local APIC, its timer, IPIs, TSC time ---- */
void pic_disable(void);
void lapic_init_cpu(void);
void lapic_eoi(void);
uint32_t lapic_read_id(void);
int lapic_send_init_sipi(uint32_t apic_id, paddr_t entry);
void time_calibrate(void);                  /* TSC and LAPIC timer against the PIT */
uint64_t lapic_timer_hz(void);
uint64_t tsc_hz(void);
void delay_us(uint64_t us);
void irq_dispatch(unsigned vector);
void timer_init_handlers(void);             /* the timer and reschedule vectors */

/* ---- acpi.c ---- */
void acpi_init(void);                        /* fills platform.* from the ACPI tables */

/* ---- mmu.c ---- */
int mmu_init(void);
void mmu_enable_cpu(void);

/* ---- svm.c ---- */
int svm_init_cpu(void);                      /* per CPU, after the allocator works */
bool svm_supported(const char **why);

#endif
