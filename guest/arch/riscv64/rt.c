/* riscv64 kit runtime: SBI (HSM, SRST, TIME), the time CSR, the 16550 and
 * traps. SBI calls go through ecall like the hypercalls (the hypervisor
 * tells them apart by extension id in a7). */
#include "kit_rt.h"

/* ---- SBI ------------------------------------------------------------------ */

#define SBI_EXT_BASE 0x10
#define SBI_EXT_TIME 0x54494D45
#define SBI_EXT_HSM 0x48534D
#define SBI_EXT_SRST 0x53525354

#define SBI_ERR_INVALID_PARAM (-3)
#define SBI_ERR_ALREADY_AVAILABLE (-6)
#define SBI_ERR_ALREADY_STARTED (-7)

struct sbiret {
    long error;
    long value;
};

static struct sbiret sbi_call(uint64_t ext, uint64_t fid, uint64_t a0, uint64_t a1, uint64_t a2)
{
    register uint64_t r0 __asm__("a0") = a0;
    register uint64_t r1 __asm__("a1") = a1;
    register uint64_t r2 __asm__("a2") = a2;
    register uint64_t r6 __asm__("a6") = fid;
    register uint64_t r7 __asm__("a7") = ext;
    __asm__ volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(r2), "r"(r6), "r"(r7) : "memory");
    return (struct sbiret){(long)r0, (long)r1};
}

extern char kit_secondary_start[];

/* SBI answers mapped to the kit's (PSCI-valued) codes. */
static int cpu_err(long e)
{
    switch (e) {
    case 0: return KIT_CPU_OK;
    case SBI_ERR_ALREADY_AVAILABLE:
    case SBI_ERR_ALREADY_STARTED: return KIT_CPU_ALREADY_ON;
    case SBI_ERR_INVALID_PARAM: return KIT_CPU_INVALID;
    case -2: return KIT_CPU_NOT_SUPPORTED;
    case -4: return KIT_CPU_DENIED;
    default: return KIT_CPU_INTERNAL;
    }
}

/* The kit's vCPU index is the hart id. */
int kit_arch_cpu_on(unsigned cpu, uint64_t context)
{
    return cpu_err(sbi_call(SBI_EXT_HSM, 0, cpu, (uintptr_t)kit_secondary_start, context).error);
}

void kit_arch_cpu_off(void)
{
    sbi_call(SBI_EXT_HSM, 1, 0, 0, 0);
}

/* HSM hart states STARTED 0, STOPPED 1, START_PENDING 2 are the kit's
 * ON, OFF, ON_PENDING. */
int kit_arch_cpu_state(unsigned cpu)
{
    struct sbiret r = sbi_call(SBI_EXT_HSM, 2, cpu, 0, 0);
    return r.error ? cpu_err(r.error) : (int)r.value;
}

int64_t kit_arch_firmware_version(void)
{
    struct sbiret r = sbi_call(SBI_EXT_BASE, 0, 0, 0, 0);
    return r.error ? r.error : r.value;
}

void kit_arch_system_off(void)
{
    sbi_call(SBI_EXT_SRST, 0, 0, 0, 0);
}

void kit_arch_system_reset(void)
{
    sbi_call(SBI_EXT_SRST, 0, 1, 0, 0);
}

/* ---- time ------------------------------------------------------------------- */

#define TIMEBASE_HZ 10000000u /* QEMU virt's timebase-frequency */
#define SIE_STIE (1u << 5)
#define SIP_STIP (1u << 5)
#define SSTATUS_SIE (1u << 1)

uint64_t kit_arch_counter(void)
{
    uint64_t v;
    __asm__ volatile("rdtime %0" : "=r"(v) : : "memory");
    return v;
}

uint64_t kit_arch_counter_freq(void)
{
    return TIMEBASE_HZ;
}

void kit_arch_wfi(void)
{
    __asm__ volatile("wfi" : : : "memory");
}

static uint64_t read_sip(void)
{
    uint64_t v;
    __asm__ volatile("csrr %0, sip" : "=r"(v) : : "memory");
    return v;
}

/* There is no guest interrupt controller in the kit's VMs: the timer
 * interrupt is enabled in sie so that it is pending for WFI to see, and
 * masked by sstatus.SIE so it is never taken. */
uint64_t kit_arch_wait_until(uint64_t deadline)
{
    uint64_t wfis = 0;

    __asm__ volatile("csrc sstatus, %0" : : "r"((uint64_t)SSTATUS_SIE) : "memory");
    __asm__ volatile("csrs sie, %0" : : "r"((uint64_t)SIE_STIE) : "memory");
    sbi_call(SBI_EXT_TIME, 0, deadline, 0, 0);
    while (!(read_sip() & SIP_STIP) && kit_arch_counter() < deadline) {
        kit_arch_wfi();
        wfis++;
    }
    /* a timer far in the future asserts nothing, so it cannot keep the
     * vCPU awake */
    sbi_call(SBI_EXT_TIME, 0, ~0ull, 0, 0);
    __asm__ volatile("csrc sie, %0" : : "r"((uint64_t)SIE_STIE) : "memory");
    return wfis;
}

/* ---- 16550 ---------------------------------------------------------------- */

#define UART_THR 0
#define UART_LSR 5
#define LSR_THRE 0x20u
#define UART_POLLS 1000000

bool kit_arch_uart_putc(char c)
{
    for (unsigned i = 0; i < UART_POLLS; i++) {
        if (kit_mmio_read8(KIT_UART_BASE + UART_LSR) & LSR_THRE) {
            kit_mmio_write8(KIT_UART_BASE + UART_THR, (uint8_t)c);
            return true;
        }
    }
    return false;
}

/* ---- traps ---------------------------------------------------------------- */

/* Saved by start.S; the layout is fixed there. */
struct kit_frame {
    uint64_t x[32]; /* x[0] unused, x[2] = sp before the trap */
    uint64_t sepc;
    uint64_t sstatus;
    uint64_t scause;
    uint64_t stval;
};
_Static_assert(sizeof(struct kit_frame) == 36 * 8, "start.S FRAME_SIZE");
_Static_assert(offsetof(struct kit_frame, sepc) == 256, "start.S sepc slot");

#define SCAUSE_INTR (1ull << 63)

static unsigned exception_depth[KIT_MAX_CPUS];

static enum kit_fault_class classify(uint64_t scause)
{
    if (scause & SCAUSE_INTR)
        return KIT_FAULT_IRQ;
    switch (scause) {
    case 5:  /* load access fault */
    case 13: /* load page fault */
        return KIT_FAULT_LOAD;
    case 7:  /* store/AMO access fault */
    case 15: /* store/AMO page fault */
        return KIT_FAULT_STORE;
    case 1:  /* instruction access fault */
    case 12: /* instruction page fault */
        return KIT_FAULT_FETCH;
    case 2:  /* illegal instruction */
        return KIT_FAULT_UNDEF;
    default:
        return KIT_FAULT_OTHER;
    }
}

static bool addr_valid(uint64_t scause)
{
    switch (scause) {
    case 0: case 1: case 4: case 5: case 6: case 7: case 12: case 13: case 15:
        return true;
    default:
        return false;
    }
}

static const char *const abi_names[32] = {
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
    "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
};

static void dump(const struct kit_frame *f)
{
    kit_printf("exception: scause 0x%016llx  stval 0x%016llx\n", (unsigned long long)f->scause,
               (unsigned long long)f->stval);
    kit_printf("  sepc 0x%016llx  sstatus 0x%016llx\n", (unsigned long long)f->sepc,
               (unsigned long long)f->sstatus);
    for (unsigned i = 1; i < 32; i += 2) {
        if (i + 1 < 32)
            kit_printf("  %-4s 0x%016llx  %-4s 0x%016llx\n", abi_names[i], (unsigned long long)f->x[i],
                       abi_names[i + 1], (unsigned long long)f->x[i + 1]);
        else
            kit_printf("  %-4s 0x%016llx\n", abi_names[i], (unsigned long long)f->x[i]);
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

/* Length of the instruction at pc (RVC: 2 bytes unless the low bits are 11). */
static uint64_t insn_len(uint64_t pc)
{
    uint16_t lo = *(const volatile uint16_t *)(uintptr_t)pc;
    return (lo & 3u) == 3u ? 4 : 2;
}

void kit_arch_exception(struct kit_frame *f);

void kit_arch_exception(struct kit_frame *f)
{
    unsigned cpu = kit_cpu_id() % KIT_MAX_CPUS;
    if (exception_depth[cpu]++ > 0)
        nested_exception();

    struct kit_fault fault = {
        .cls = classify(f->scause),
        .kind = (unsigned)(f->scause & 0xff),
        .cause = f->scause,
        .addr = f->stval,
        .addr_valid = !(f->scause & SCAUSE_INTR) && addr_valid(f->scause),
        .pc = f->sepc,
    };
    switch (kit_fault_dispatch(&fault)) {
    case KIT_FAULT_SKIP:
        f->sepc += insn_len(f->sepc);
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
    dump(f);
    kit_fault_fail(&fault);
}
