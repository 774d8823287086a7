/* aarch64 kit runtime: PSCI, the generic timer, the PL011 and exceptions.
 *
 * PSCI goes through hvc like the hypercalls (the hypervisor tells them apart
 * by function id); results are 32-bit signed, as Linux reads them. */
#include "kit_rt.h"

/* ---- PSCI ---------------------------------------------------------------- */

#define PSCI_VERSION 0x84000000u
#define PSCI_CPU_OFF 0x84000002u
#define PSCI_CPU_ON 0xc4000003u
#define PSCI_AFFINITY_INFO 0xc4000004u
#define PSCI_SYSTEM_OFF 0x84000008u
#define PSCI_SYSTEM_RESET 0x84000009u

extern char kit_secondary_start[];

static int32_t psci_call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
    return (int32_t)kit_hypercall(fn, a1, a2, a3, 0, 0, 0);
}

/* The kit's vCPU index is MPIDR Aff0, so the PSCI target is the index. */
int kit_arch_cpu_on(unsigned cpu, uint64_t context)
{
    return psci_call(PSCI_CPU_ON, cpu, (uintptr_t)kit_secondary_start, context);
}

void kit_arch_cpu_off(void)
{
    psci_call(PSCI_CPU_OFF, 0, 0, 0);
}

int kit_arch_cpu_state(unsigned cpu)
{
    return psci_call(PSCI_AFFINITY_INFO, cpu, 0, 0);
}

int64_t kit_arch_firmware_version(void)
{
    return psci_call(PSCI_VERSION, 0, 0, 0);
}

void kit_arch_system_off(void)
{
    psci_call(PSCI_SYSTEM_OFF, 0, 0, 0);
}

void kit_arch_system_reset(void)
{
    psci_call(PSCI_SYSTEM_RESET, 0, 0, 0);
}

/* ---- generic timer ------------------------------------------------------- */

#define CNTV_CTL_ENABLE (1u << 0)
#define CNTV_CTL_IMASK (1u << 1)
#define CNTV_CTL_ISTATUS (1u << 2)

uint64_t kit_arch_counter(void)
{
    uint64_t v;
    /* the isb keeps the read from being taken early, before prior code */
    __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v) : : "memory");
    return v;
}

uint64_t kit_arch_counter_freq(void)
{
    uint64_t v;
    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v));
    return v & 0xffffffffu;
}

void kit_arch_wfi(void)
{
    __asm__ volatile("dsb sy; wfi" : : : "memory");
}

static uint64_t cntv_ctl(void)
{
    uint64_t v;
    __asm__ volatile("mrs %0, cntv_ctl_el0" : "=r"(v));
    return v;
}

/* No interrupt controller is needed: the hypervisor wakes a vCPU from WFI
 * once its virtual timer deadline has passed. The timer interrupt is left
 * unmasked at the timer (IMASK=0) so it is pending for WFI to see, and
 * masked at PSTATE so it is not taken here; the caller's mask comes back at
 * the end (a test using interrupts then takes a stale timer interrupt,
 * which the interrupt code drops: the timer is off by then). */
uint64_t kit_arch_wait_until(uint64_t deadline)
{
    uint64_t wfis = 0, daif;

    __asm__ volatile("mrs %0, daif" : "=r"(daif));
    __asm__ volatile("msr daifset, #2" : : : "memory");
    __asm__ volatile("msr cntv_cval_el0, %0" : : "r"(deadline));
    __asm__ volatile("msr cntv_ctl_el0, %0; isb" : : "r"((uint64_t)CNTV_CTL_ENABLE) : "memory");
    while (!(cntv_ctl() & CNTV_CTL_ISTATUS) && kit_arch_counter() < deadline) {
        kit_arch_wfi();
        wfis++;
    }
    /* a disabled timer asserts nothing, so it cannot keep the vCPU awake */
    __asm__ volatile("msr cntv_ctl_el0, xzr; isb" : : : "memory");
    __asm__ volatile("msr daif, %0; isb" : : "r"(daif) : "memory");
    return wfis;
}

/* ---- PL011 --------------------------------------------------------------- */

#define UARTDR 0x00
#define UARTFR 0x18
#define UARTFR_TXFF (1u << 5)
#define UART_POLLS 1000000

bool kit_arch_uart_putc(char c)
{
    for (unsigned i = 0; i < UART_POLLS; i++) {
        if (!(kit_mmio_read32(KIT_UART_BASE + UARTFR) & UARTFR_TXFF)) {
            kit_mmio_write32(KIT_UART_BASE + UARTDR, (uint8_t)c);
            return true;
        }
    }
    return false;
}

/* ---- exceptions ---------------------------------------------------------- */

/* Saved by start.S's vectors; the layout is fixed there. */
struct kit_frame {
    uint64_t x[31];
    uint64_t sp;
    uint64_t elr;
    uint64_t spsr;
    uint64_t esr;
    uint64_t far;
    uint64_t stamp;   /* IRQ vectors: CNTVCT_EL0 at entry */
    uint64_t pad;
};
_Static_assert(sizeof(struct kit_frame) == 38 * 8, "start.S FRAME_SIZE");
_Static_assert(offsetof(struct kit_frame, elr) == 16 * 16, "start.S elr slot");
_Static_assert(offsetof(struct kit_frame, esr) == 16 * 17, "start.S esr slot");
_Static_assert(offsetof(struct kit_frame, stamp) == 16 * 18, "start.S stamp slot");

#define ESR_EC(esr) (((esr) >> 26) & 0x3f)
#define ESR_FNV (1u << 10)   /* FAR not valid (aborts) */
#define ESR_WNR (1u << 6)    /* abort caused by a write */
#define EC_UNKNOWN 0x00
#define EC_IABT_LOWER 0x20
#define EC_IABT_CUR 0x21
#define EC_DABT_LOWER 0x24
#define EC_DABT_CUR 0x25

static unsigned exception_depth[KIT_MAX_CPUS];

static enum kit_fault_class classify(unsigned kind, uint64_t esr)
{
    switch (kind % 4) {
    case 1:
    case 2:
        return KIT_FAULT_IRQ;
    case 3:
        return KIT_FAULT_OTHER;
    default:
        break;
    }
    switch (ESR_EC(esr)) {
    case EC_DABT_CUR:
        return (esr & ESR_WNR) ? KIT_FAULT_STORE : KIT_FAULT_LOAD;
    case EC_IABT_CUR:
        return KIT_FAULT_FETCH;
    case EC_UNKNOWN:
        return KIT_FAULT_UNDEF;
    default:
        return KIT_FAULT_OTHER;
    }
}

static bool far_valid(unsigned kind, uint64_t esr)
{
    unsigned ec = (unsigned)ESR_EC(esr);
    bool abort = ec == EC_IABT_LOWER || ec == EC_IABT_CUR || ec == EC_DABT_LOWER ||
                 ec == EC_DABT_CUR;
    return kind % 4 == 0 && abort && !(esr & ESR_FNV);
}

static const char *const kind_names[16] = {
    "sync EL1t", "irq EL1t", "fiq EL1t", "serror EL1t",
    "sync EL1h", "irq EL1h", "fiq EL1h", "serror EL1h",
    "sync EL0",  "irq EL0",  "fiq EL0",  "serror EL0",
    "sync EL0/32", "irq EL0/32", "fiq EL0/32", "serror EL0/32",
};

static void dump(const struct kit_frame *f, unsigned kind)
{
    kit_printf("exception: %s  EC 0x%02llx  ESR 0x%016llx\n", kind_names[kind % 16],
               (unsigned long long)ESR_EC(f->esr), (unsigned long long)f->esr);
    kit_printf("  ELR 0x%016llx  FAR 0x%016llx  SPSR 0x%08llx  SP 0x%016llx\n",
               (unsigned long long)f->elr, (unsigned long long)f->far,
               (unsigned long long)f->spsr, (unsigned long long)f->sp);
    for (unsigned i = 0; i < 31; i += 2) {
        if (i + 1 < 31)
            kit_printf("  x%-2u 0x%016llx  x%-2u 0x%016llx\n", i, (unsigned long long)f->x[i],
                       i + 1, (unsigned long long)f->x[i + 1]);
        else
            kit_printf("  x%-2u 0x%016llx\n", i, (unsigned long long)f->x[i]);
    }
}

/* A fault while handling a fault: do not trust the console code, say one
 * fixed line a character at a time and stop the VM. */
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

void kit_arch_exception(struct kit_frame *f, unsigned kind);
bool kit_arch_irq_ready(void);           /* irq.c */
void kit_arch_irq_entry(uint64_t stamp); /* irq.c */

#define VECTOR_IRQ_EL1H 5

void kit_arch_exception(struct kit_frame *f, unsigned kind)
{
    unsigned cpu = kit_cpu_id() % KIT_MAX_CPUS;
    if (exception_depth[cpu]++ > 0)
        nested_exception();
    /* the one interrupt vector the kit uses: EL1 on SP_EL1 */
    if (kind == VECTOR_IRQ_EL1H && kit_arch_irq_ready()) {
        kit_arch_irq_entry(f->stamp);
        exception_depth[cpu]--;
        return;
    }

    struct kit_fault fault = {
        .cls = classify(kind, f->esr),
        .kind = kind,
        .cause = f->esr,
        .addr = f->far,
        .addr_valid = far_valid(kind, f->esr),
        .pc = f->elr,
    };
    switch (kit_fault_dispatch(&fault)) {
    case KIT_FAULT_SKIP:
        f->elr += 4; /* A64 instructions are all 4 bytes */
        exception_depth[cpu]--;
        return;
    case KIT_FAULT_RETRY:
        exception_depth[cpu]--;
        return;
    case KIT_FAULT_UNHANDLED:
    default:
        break;
    }
    kit_console_panic();
    dump(f, kind);
    kit_fault_fail(&fault);
}
