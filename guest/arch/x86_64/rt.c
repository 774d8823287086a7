/* x86_64 kit runtime: CPU start through the virtual local APIC, power
 * through the VM's ACPI-style ports, TSC time with the LAPIC timer for
 * waits, the 16550 UART on port 0x3F8, and exceptions.
 *
 * x86 has no firmware CPU interface like PSCI: a CPU is started with
 * INIT + SIPI through the local APIC's ICR and nothing answers. So the
 * runtime keeps each vCPU's state itself (OFF -> ON_PENDING at the SIPI,
 * ON when it runs, OFF when it stops) and answers the kit's CPU calls from
 * that and HC_GUEST_INFO(VCPUS). A stopped vCPU parks in HLT with
 * interrupts off, which the hypervisor blocks for good. */
#include "kit_rt.h"
#include "ax/x86_decode.h"

/* ---- the local APIC ---- */

#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR 0x390
#define LAPIC_TIMER_DIV 0x3E0
#define LVT_MASKED (1u << 16)
#define ICR_INIT 0x00004500u
#define ICR_SIPI 0x00004600u

static void lapic_w(unsigned reg, uint32_t v) { kit_mmio_write32(KIT_LAPIC_BASE + reg, v); }
static uint32_t lapic_r(unsigned reg) { return kit_mmio_read32(KIT_LAPIC_BASE + reg); }

/* ---- CPUs ---- */

enum { ST_OFF = 0, ST_PENDING, ST_ON };
static uint32_t cpu_st[KIT_MAX_CPUS] = {ST_ON};
static uint64_t cpu_context[KIT_MAX_CPUS];
extern char kit_secondary_start[];

static unsigned vcpu_count(void)
{
    int64_t n = kit_guest_info(HC_INFO_VCPUS);
    return n > 0 ? (unsigned)n : 1;
}

/* movabs $kit_secondary_start, %rax; jmp *%rax */
static void sipi_page_setup(void)
{
    volatile uint8_t *p = (volatile uint8_t *)KIT_SIPI_PAGE;
    uint64_t target = (uintptr_t)kit_secondary_start;
    p[0] = 0x48;
    p[1] = 0xB8;
    for (unsigned i = 0; i < 8; i++)
        p[2 + i] = (uint8_t)(target >> (8 * i));
    p[10] = 0xFF;
    p[11] = 0xE0;
}

int kit_arch_cpu_on(unsigned cpu, uint64_t context)
{
    if (cpu >= vcpu_count() || cpu >= KIT_MAX_CPUS)
        return KIT_CPU_INVALID;
    uint32_t off = ST_OFF;
    if (!__atomic_compare_exchange_n(&cpu_st[cpu], &off, ST_PENDING, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE))
        return KIT_CPU_ALREADY_ON;
    cpu_context[cpu] = context;
    sipi_page_setup();
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    lapic_w(LAPIC_ICR_HI, cpu << 24);
    lapic_w(LAPIC_ICR_LO, ICR_INIT);
    lapic_w(LAPIC_ICR_HI, cpu << 24);
    lapic_w(LAPIC_ICR_LO, ICR_SIPI | (KIT_SIPI_PAGE >> 12));
    lapic_w(LAPIC_ICR_HI, cpu << 24);
    lapic_w(LAPIC_ICR_LO, ICR_SIPI | (KIT_SIPI_PAGE >> 12)); /* the second SIPI of the MP protocol */
    return KIT_CPU_OK;
}

void kit_arch_secondary(void);
void kit_arch_secondary(void)
{
    unsigned me = kit_cpu_id();
    __atomic_store_n(&cpu_st[me], ST_ON, __ATOMIC_RELEASE);
    kit_boot_secondary(__atomic_load_n(&cpu_context[me], __ATOMIC_ACQUIRE));
}

void kit_arch_cpu_off(void)
{
    __atomic_store_n(&cpu_st[kit_cpu_id() % KIT_MAX_CPUS], ST_OFF, __ATOMIC_RELEASE);
    for (;;)
        __asm__ volatile("cli; hlt" ::: "memory");
}

int kit_arch_cpu_state(unsigned cpu)
{
    if (cpu >= vcpu_count() || cpu >= KIT_MAX_CPUS)
        return KIT_CPU_INVALID;
    switch (__atomic_load_n(&cpu_st[cpu], __ATOMIC_ACQUIRE)) {
    case ST_ON: return KIT_CPU_STATE_ON;
    case ST_PENDING: return KIT_CPU_STATE_ON_PENDING;
    default: return KIT_CPU_STATE_OFF;
    }
}

/* No firmware interface on x86: report the hypervisor's ABI version. */
int64_t kit_arch_firmware_version(void) { return kit_hc0(HC_VERSION); }

/* The VM's ACPI-style power ports (the hypervisor implements them): PM1a
 * control with SLP_EN and SLP_TYP 0 is S5, the reset control register's
 * full reset restarts the VM. */
void kit_arch_system_off(void) { kit_outw(0x604, 0x2000); }
void kit_arch_system_reset(void) { kit_outb(0xCF9, 0x06); }

/* ---- time: the TSC, waits on the LAPIC timer ---- */

static uint64_t tsc_khz, lapic_khz;

static void timing_info(void)
{
    if (tsc_khz)
        return;
    uint32_t a, b, c, d;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x40000000u), "c"(0));
    uint32_t max = a;
    uint64_t t = 0, l = 0;
    if (max >= 0x40000010u) {
        __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x40000010u), "c"(0));
        t = a;
        l = b;
    }
    lapic_khz = l ? l : 1000000;
    tsc_khz = t ? t : 1000000; /* no timing leaf: assume 1 GHz */
}

uint64_t kit_arch_counter(void)
{
    uint32_t lo, hi;
    __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
    return ((uint64_t)hi << 32) | lo;
}

uint64_t kit_arch_counter_freq(void)
{
    timing_info();
    return tsc_khz * 1000;
}

void kit_arch_wfi(void) { __asm__ volatile("hlt" ::: "memory"); }

/* Arms the LAPIC timer (masked in its LVT entry, so it never interrupts)
 * for the time left and HLTs until the TSC passes the deadline; the
 * hypervisor ends a HLT when the running timer's count reaches 0. A wait
 * longer than the 32-bit count re-arms. */
uint64_t kit_arch_wait_until(uint64_t deadline)
{
    timing_info();
    uint64_t wfis = 0;
    lapic_w(LAPIC_TIMER_DIV, 0xB); /* divide by 1 */
    lapic_w(LAPIC_LVT_TIMER, LVT_MASKED | 0x40);
    uint64_t now;
    while ((now = kit_arch_counter()) < deadline) {
        if (lapic_r(LAPIC_TIMER_CUR) == 0) {
            uint64_t left = deadline - now;
            uint64_t ticks = left / tsc_khz * lapic_khz + (left % tsc_khz) * lapic_khz / tsc_khz + 1;
            lapic_w(LAPIC_TIMER_INIT, ticks > 0xFFFFFFFFull ? 0xFFFFFFFFu : (uint32_t)ticks);
        }
        kit_arch_wfi();
        wfis++;
    }
    lapic_w(LAPIC_TIMER_INIT, 0); /* stopped: it cannot end a later HLT */
    return wfis;
}

/* ---- 16550 UART at KIT_UART_BASE (I/O ports) ---- */

#define UART_LSR 5
#define UART_LSR_THRE 0x20
#define UART_POLLS 1000000

bool kit_arch_uart_putc(char c)
{
    for (unsigned i = 0; i < UART_POLLS; i++) {
        if (kit_inb(KIT_UART_BASE + UART_LSR) & UART_LSR_THRE) {
            kit_outb(KIT_UART_BASE, (uint8_t)c);
            return true;
        }
    }
    return false;
}

/* ---- exceptions ---- */

struct kit_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss;
};
_Static_assert(sizeof(struct kit_frame) == 22 * 8, "start.S frame");

struct idt_entry {
    uint16_t off_lo, sel;
    uint8_t ist, type;
    uint16_t off_mid;
    uint32_t off_hi, zero;
} __attribute__((packed));

static struct idt_entry idt[256] __attribute__((aligned(16)));
extern char kit_trap_stubs[];

void kit_arch_idt_load(void);
void kit_arch_idt_load(void)
{
    if (kit_cpu_id() == 0) {
        for (unsigned v = 0; v < 256; v++) {
            uint64_t a = (uintptr_t)kit_trap_stubs + 16 * v;
            idt[v] = (struct idt_entry){(uint16_t)a, 0x08, 0, 0x8E, (uint16_t)(a >> 16), (uint32_t)(a >> 32), 0};
        }
    }
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) p = {sizeof(idt) - 1, (uintptr_t)idt};
    __asm__ volatile("lidt %0" ::"m"(p) : "memory");
}

static unsigned exception_depth[KIT_MAX_CPUS];

static enum kit_fault_class classify(const struct kit_frame *f)
{
    if (f->vector >= 32)
        return KIT_FAULT_IRQ;
    if (f->vector == 14)
        return (f->error & 0x10) ? KIT_FAULT_FETCH : (f->error & 2) ? KIT_FAULT_STORE : KIT_FAULT_LOAD;
    if (f->vector == 6)
        return KIT_FAULT_UNDEF;
    return KIT_FAULT_OTHER;
}

static uint64_t read_cr2(void)
{
    uint64_t v;
    __asm__ volatile("mov %%cr2, %0" : "=r"(v));
    return v;
}

/* Length of the faulting instruction, for KIT_FAULT_SKIP: the kit's own
 * accesses are plain MOVs, which the hypervisor's decoder reads too. */
static unsigned insn_len(uint64_t rip)
{
    struct x86_insn in;
    if (x86_decode((const uint8_t *)(uintptr_t)rip, X86_INSN_MAX, &in) != 0)
        return 0;
    return in.len;
}

static void dump(const struct kit_frame *f)
{
    kit_printf("exception: vector %lu error 0x%lx\n", (unsigned long)f->vector, (unsigned long)f->error);
    kit_printf("  RIP 0x%016lx  RSP 0x%016lx  RFLAGS 0x%lx  CR2 0x%016lx\n", (unsigned long)f->rip,
               (unsigned long)f->rsp, (unsigned long)f->rflags, (unsigned long)read_cr2());
    kit_printf("  RAX 0x%016lx  RBX 0x%016lx  RCX 0x%016lx  RDX 0x%016lx\n", (unsigned long)f->rax,
               (unsigned long)f->rbx, (unsigned long)f->rcx, (unsigned long)f->rdx);
    kit_printf("  RSI 0x%016lx  RDI 0x%016lx  RBP 0x%016lx  R8  0x%016lx\n", (unsigned long)f->rsi,
               (unsigned long)f->rdi, (unsigned long)f->rbp, (unsigned long)f->r8);
    kit_printf("  R9  0x%016lx  R10 0x%016lx  R11 0x%016lx  R12 0x%016lx\n", (unsigned long)f->r9,
               (unsigned long)f->r10, (unsigned long)f->r11, (unsigned long)f->r12);
    kit_printf("  R13 0x%016lx  R14 0x%016lx  R15 0x%016lx\n", (unsigned long)f->r13, (unsigned long)f->r14,
               (unsigned long)f->r15);
}

static NORETURN void nested_exception(void)
{
    static const char msg[] = ": FAIL nested exception\n";
    for (const char *p = "KIT "; *p; p++)
        kit_hc1(HC_CONSOLE_PUTC, (uint64_t)*p);
    for (const char *p = kit_test_name; *p; p++)
        kit_hc1(HC_CONSOLE_PUTC, (uint64_t)*p);
    for (const char *p = msg; *p; p++)
        kit_hc1(HC_CONSOLE_PUTC, (uint64_t)*p);
    kit_arch_system_off();
    kit_park();
}

void kit_arch_exception(struct kit_frame *f);
void kit_arch_exception(struct kit_frame *f)
{
    unsigned cpu = kit_cpu_id() % KIT_MAX_CPUS;
    if (exception_depth[cpu]++ > 0)
        nested_exception();
    bool pf = f->vector == 14;
    struct kit_fault fault = {
        .cls = classify(f),
        .kind = (unsigned)f->vector,
        .cause = f->error,
        .addr = pf ? read_cr2() : 0,
        .addr_valid = pf,
        .pc = f->rip,
    };
    switch (kit_fault_dispatch(&fault)) {
    case KIT_FAULT_SKIP: {
        unsigned n = insn_len(f->rip);
        if (n) {
            f->rip += n;
            exception_depth[cpu]--;
            return;
        }
        break; /* cannot skip what we cannot decode */
    }
    case KIT_FAULT_RETRY:
        exception_depth[cpu]--;
        return;
    default:
        break;
    }
    kit_console_panic();
    dump(f);
    kit_fault_fail(&fault);
}
