/* GDT, TSS and IDT, and what happens on an interrupt or exception.
 * Interrupts go to their registered handler and may end in a reschedule;
 * an unexpected exception prints a full register dump and stops only the
 * CPU it happened on. #DF, NMI and #MC run on their own IST stacks, so a
 * blown kernel stack still gives a dump. */
#include "ax/axhal.h"
#include "ax/format.h"
#include "ax/log.h"
#include "ax/string.h"
#include "ax/task.h"
#include "platform.h"

struct tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));

struct idt_entry {
    uint16_t off_lo, sel;
    uint8_t ist, type;
    uint16_t off_mid;
    uint32_t off_hi, zero;
} __attribute__((packed));

#define GDT_ENTRIES (SEL_TSS0 / 8 + 2 * AX_MAX_CPUS)
static uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(16)));
static struct tss64 tss[AX_MAX_CPUS] __attribute__((aligned(16)));
static struct idt_entry idt[256] __attribute__((aligned(16)));
static uint8_t ist_stacks[AX_MAX_CPUS][3][IST_STACK_SIZE] __attribute__((aligned(16)));
static bool idt_ready;
extern char intr_stubs[];

struct desc_ptr {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

static void idt_build(void)
{
    for (unsigned v = 0; v < 256; v++) {
        uint64_t a = (uint64_t)(uintptr_t)intr_stubs + 16 * v;
        struct idt_entry *e = &idt[v];
        e->off_lo = (uint16_t)a;
        e->sel = SEL_CODE64;
        /* IST 1: #DF, 2: NMI, 3: #MC */
        e->ist = v == 8 ? 1 : v == 2 ? 2 : v == 18 ? 3 : 0;
        e->type = 0x8E; /* present, DPL 0, 64-bit interrupt gate */
        e->off_mid = (uint16_t)(a >> 16);
        e->off_hi = (uint32_t)(a >> 32);
        e->zero = 0;
    }
}

static void gdt_build(void)
{
    gdt[0] = 0;
    gdt[SEL_CODE64 / 8] = 0x00af9a000000ffffULL;
    gdt[SEL_DATA / 8] = 0x00cf92000000ffffULL;
    gdt[SEL_CODE32 / 8] = 0x00cf9a000000ffffULL;
    for (unsigned c = 0; c < AX_MAX_CPUS; c++) {
        uint64_t base = (uint64_t)(uintptr_t)&tss[c];
        uint64_t limit = sizeof(struct tss64) - 1;
        unsigned i = SEL_TSS0 / 8 + 2 * c;
        gdt[i] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ULL << 40) | (((limit >> 16) & 0xf) << 48) |
                 (((base >> 24) & 0xff) << 56);
        gdt[i + 1] = base >> 32;
        tss[c].iomap_base = sizeof(struct tss64);
        for (unsigned k = 0; k < 3; k++)
            tss[c].ist[k] = (uint64_t)(uintptr_t)&ist_stacks[c][k][IST_STACK_SIZE];
    }
}

void gdt_idt_init_cpu(unsigned cpu)
{
    if (!idt_ready) {
        gdt_build();
        idt_build();
        idt_ready = true;
    }
    struct desc_ptr g = {sizeof(gdt) - 1, (uint64_t)(uintptr_t)gdt};
    struct desc_ptr i = {sizeof(idt) - 1, (uint64_t)(uintptr_t)idt};
    __asm__ volatile("lgdt %0" ::"m"(g) : "memory");
    /* reload CS through a far return, then the data segments */
    __asm__ volatile("pushq %0\n\t"
                     "leaq 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "lretq\n"
                     "1:\n\t"
                     "movw %w1, %%ax\n\t"
                     "movw %%ax, %%ds\n\t"
                     "movw %%ax, %%es\n\t"
                     "movw %%ax, %%ss\n\t"
                     :
                     : "i"(SEL_CODE64), "i"(SEL_DATA)
                     : "rax", "memory");
    uint16_t tr = (uint16_t)(SEL_TSS0 + 16 * cpu);
    __asm__ volatile("ltr %0" ::"r"(tr) : "memory");
    __asm__ volatile("lidt %0" ::"m"(i) : "memory");
}

static const char *const exc_names[32] = {
    "#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow", "#BR bound range",
    "#UD invalid opcode", "#NM device not available", "#DF double fault", "coprocessor overrun",
    "#TS invalid TSS", "#NP segment not present", "#SS stack fault", "#GP general protection",
    "#PF page fault", "reserved 15", "#MF x87 error", "#AC alignment check", "#MC machine check",
    "#XM SIMD error", "#VE virtualization", "#CP control protection", "reserved 22", "reserved 23",
    "reserved 24", "reserved 25", "reserved 26", "reserved 27", "#HV hypervisor injection",
    "#VC VMM communication", "#SX security", "reserved 31",
};

void dump_frame(const struct trap_frame *f, const char *why)
{
    log_panic_mode();
    ax_printf("\n=== CPU %u: %s ===\n", cpu_id(), why);
    ax_printf("RIP    %016llx  CS %04llx  RFLAGS %016llx\n", (unsigned long long)f->rip,
              (unsigned long long)f->cs, (unsigned long long)f->rflags);
    ax_printf("RSP    %016llx  SS %04llx  CR2    %016llx\n", (unsigned long long)f->rsp,
              (unsigned long long)f->ss, (unsigned long long)read_cr2());
    ax_printf("VECTOR %016llx  ERROR  %016llx\n", (unsigned long long)f->vector, (unsigned long long)f->error);
    ax_printf("CR0    %016llx  CR3    %016llx  CR4 %016llx\n", (unsigned long long)read_cr0(),
              (unsigned long long)read_cr3(), (unsigned long long)read_cr4());
    ax_printf("RAX %016llx  RBX %016llx  RCX %016llx\n", (unsigned long long)f->rax,
              (unsigned long long)f->rbx, (unsigned long long)f->rcx);
    ax_printf("RDX %016llx  RSI %016llx  RDI %016llx\n", (unsigned long long)f->rdx,
              (unsigned long long)f->rsi, (unsigned long long)f->rdi);
    ax_printf("RBP %016llx  R8  %016llx  R9  %016llx\n", (unsigned long long)f->rbp,
              (unsigned long long)f->r8, (unsigned long long)f->r9);
    ax_printf("R10 %016llx  R11 %016llx  R12 %016llx\n", (unsigned long long)f->r10,
              (unsigned long long)f->r11, (unsigned long long)f->r12);
    ax_printf("R13 %016llx  R14 %016llx  R15 %016llx\n", (unsigned long long)f->r13,
              (unsigned long long)f->r14, (unsigned long long)f->r15);
    ax_printf("=== CPU %u stopped ===\n", cpu_id());
}

void x86_trap(struct trap_frame *f);
void x86_trap(struct trap_frame *f)
{
    unsigned v = (unsigned)f->vector;
    if (v >= 32) {
        irq_dispatch(v);
        if (sched_need_resched())
            schedule();
        return;
    }
    char why[80];
    ax_snprintf(why, sizeof(why), "unexpected exception %s (vector %u)", exc_names[v], v);
    dump_frame(f, why);
    cpu_halt();
}
