/* The guest conformance kit: the API every test in guest/tests/ uses.
 *
 * A test is one C file with KIT_TEST(name) and `void kit_main(void)`, run on
 * vCPU 0 of a VM. It ends with exactly one result line on the hypercall
 * console, "KIT <name>: PASS" or "KIT <name>: FAIL <reason>" (or "KIT <name>:
 * SKIP <reason>" when it cannot run here), and then powers its VM off
 * (kit_pass / kit_fail / kit_exit / kit_skip). Nothing here names an
 * architecture: instruction-level details live behind kit_arch.h, which each
 * guest/arch/<arch>/include/ provides (see guest/README.md for its contract).
 */
#ifndef KIT_H
#define KIT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ax/hypercall_abi.h"
#include "ax/types.h"

/* Most vCPUs a kit guest supports (per-CPU stacks and console buffers). */
#define KIT_MAX_CPUS 8

/* ---- test identity and results ------------------------------------------ */

/* Names the test for its result line; the name is the file's base name. */
#define KIT_TEST(name) const char kit_test_name[] = #name
extern const char kit_test_name[];

/* The test body, on vCPU 0 with its stack, console and exception vectors set
 * up. Returning from it is a failure. */
void kit_main(void);

/* Prints the result line and powers the VM off. Only the first caller (of
 * any vCPU) prints; later ones park their vCPU. */
NORETURN void kit_pass(void);
NORETURN void kit_fail(const char *fmt, ...) PRINTF_LIKE(1, 2);
NORETURN void kit_exit(bool pass);
/* Prints "KIT <name>: SKIP <reason>" and powers the VM off: the test could
 * not run here (e.g. no interrupt controller in this arch's kit runtime).
 * A skip is neither a pass nor a failure; harnesses must not count it as a
 * pass. */
NORETURN void kit_skip(const char *fmt, ...) PRINTF_LIKE(1, 2);

/* Fails the test with the message unless cond holds. */
#define KIT_CHECK(cond, ...)          \
    do {                              \
        if (!(cond))                  \
            kit_fail(__VA_ARGS__);    \
    } while (0)

/* ---- console ------------------------------------------------------------- */

/* Formatted output (see ax/format.h for the conversions) through
 * HC_CONSOLE_WRITE. Each vCPU collects its own line in guest RAM and sends
 * it whole on '\n', so lines of different vCPUs never interleave. */
int kit_printf(const char *fmt, ...) PRINTF_LIKE(1, 2);
int kit_vprintf(const char *fmt, va_list ap) PRINTF_LIKE(1, 0);
/* Sends this vCPU's unfinished line, if any, ending it with '\n'. */
void kit_console_flush(void);

/* Writes s to the platform's emulated UART directly (aarch64: the PL011 at
 * KIT_UART_BASE). Returns false if the UART stayed busy. The VM config must
 * give the VM that UART. */
bool kit_uart_puts(const char *s);

/* ---- hypercalls ---------------------------------------------------------- */

/* kit_hypercall(nr, a1..a6) comes from kit_arch.h (inline: benchmarks time
 * it). Results are the ABI's: >= 0, or a negative HC_E* code. */
#define kit_hc0(nr) kit_hypercall((nr), 0, 0, 0, 0, 0, 0)
#define kit_hc1(nr, a) kit_hypercall((nr), (a), 0, 0, 0, 0, 0)
#define kit_hc2(nr, a, b) kit_hypercall((nr), (a), (b), 0, 0, 0, 0)

/* HC_GUEST_INFO(key). */
static inline int64_t kit_guest_info(uint64_t key);

/* ---- time ---------------------------------------------------------------- */

/* Guest time from the CPU's virtual counter, in ns since the counter's 0. */
uint64_t kit_time_ns(void);
/* Idles (WFI with the virtual timer armed, interrupts masked) until
 * kit_time_ns() >= deadline. Returns how many WFIs it took. */
uint64_t kit_wait_until_ns(uint64_t deadline);
uint64_t kit_sleep_ns(uint64_t ns);

#define KIT_MS(x) ((uint64_t)(x) * 1000000u)
#define KIT_US(x) ((uint64_t)(x) * 1000u)

/* ---- interrupts ------------------------------------------------------------ */

/* Interrupt numbers are the platform's (aarch64: GIC INTIDs; SGIs 0..15 are
 * the IPIs, the EL1 virtual timer is PPI 27). Everything here acts on the
 * calling vCPU unless it names another one.
 *
 * A handler runs in exception context on the vCPU that took the interrupt,
 * with interrupts masked; the runtime acknowledges the interrupt before the
 * handler and ends it (EOI) after. Keep handlers short: record, count,
 * send an IPI; do not print (the interrupted code may hold the console). */
typedef void (*kit_irq_handler)(unsigned irq);

/* Brings up the VM's interrupt controller for this vCPU (aarch64: the
 * GICv3 or GICv2 the hypervisor gives, found at run time): every private
 * interrupt disabled, not pending and at priority KIT_IRQ_PRIO_DEFAULT, the
 * CPU interface accepting all priorities. Interrupts stay masked at the CPU.
 * Call it on each vCPU that takes interrupts, on vCPU 0 before the others.
 * Returns false when the VM (or this arch's kit runtime) has none. */
bool kit_irq_init(void);
/* "GICv3", "GICv2", ... after kit_irq_init; "none" without. */
const char *kit_irq_controller(void);
/* One handler for every vCPU; NULL makes any interrupt a test failure. */
void kit_irq_set_handler(kit_irq_handler h);

#define KIT_IRQ_PRIO_DEFAULT 0xa0
/* This vCPU's private interrupts (aarch64: INTID < 32), or a shared one
 * (aarch64: SPI, delivered to vCPU 0). False if irq is neither or the
 * controller is not up. Priorities: lower is more urgent; how
 * many low bits count is the controller's business (steps of 0x10 are
 * always distinct). */
bool kit_irq_enable(unsigned irq);
bool kit_irq_disable(unsigned irq);
bool kit_irq_set_priority(unsigned irq, uint8_t prio);

/* The CPU's interrupt mask (aarch64: PSTATE.I). */
void kit_irq_local_enable(void);
void kit_irq_local_disable(void);
bool kit_irq_local_enabled(void);
/* Waits for an interrupt (WFI; a pending one ends it even while masked),
 * then unmasks just long enough for pending interrupts to be taken, and
 * returns with the mask as it was. Called with interrupts masked it is the
 * race-free way to sleep until a handler has done something:
 *     kit_irq_local_disable();
 *     while (!done) kit_irq_wait();
 *     kit_irq_local_enable();
 * (with interrupts on, one arriving between the test of `done` and the WFI
 * would be handled before the WFI, which then sleeps on). Nothing bounds
 * the wait but an interrupt: arm the timer for a timeout. */
void kit_irq_wait(void);
/* Inside a handler: kit_time_ns() as read by the first instructions of the
 * interrupt vector that is running it (for latency measurements; the
 * counter's resolution applies, 16 ns on QEMU virt aarch64). */
uint64_t kit_irq_entry_ns(void);

/* The per-vCPU timer interrupt (aarch64: the EL1 virtual timer, PPI 27).
 * kit_timer_irq_arm is one-shot: the interrupt comes once kit_time_ns()
 * reaches deadline (at once if it already has), and the runtime stops the
 * timer before the handler runs. Arming again replaces the deadline. The
 * timer is the one kit_sleep_ns uses: do not mix the two on one vCPU. */
unsigned kit_timer_irq(void);
void kit_timer_irq_arm(uint64_t deadline_ns);
void kit_timer_irq_cancel(void);

/* Inter-processor interrupts (aarch64: SGIs). kit_ipi_irq() is the kit's
 * usual one (SGI 1); kit_ipi_irq_nth(k), k < kit_ipi_count(), are all the
 * platform has (SGI k). kit_ipi_send_irq(cpu, irq) makes irq pending on
 * vCPU cpu (which may be this one); false if cpu or irq is out of range.
 * The target must have enabled irq to take it. */
unsigned kit_ipi_irq(void);
unsigned kit_ipi_count(void);
unsigned kit_ipi_irq_nth(unsigned k);
bool kit_ipi_send(unsigned cpu);
bool kit_ipi_send_irq(unsigned cpu, unsigned irq);
/* kit_time_ns() as read just before this vCPU's last IPI left (right before
 * the instruction that sends it), for latency measurements. */
uint64_t kit_ipi_sent_ns(void);

/* ---- CPUs ---------------------------------------------------------------- */

/* This vCPU's index (aarch64: MPIDR_EL1.Aff0). */
static inline unsigned kit_cpu_id(void);
/* Its full hardware id, for messages (aarch64: MPIDR_EL1). */
static inline uint64_t kit_cpu_hw_id(void);

/* Results of the CPU calls; the values are PSCI's, other arches map to them. */
enum {
    KIT_CPU_OK = 0,
    KIT_CPU_NOT_SUPPORTED = -1,
    KIT_CPU_INVALID = -2,
    KIT_CPU_DENIED = -3,
    KIT_CPU_ALREADY_ON = -4,
    KIT_CPU_ON_PENDING = -5,
    KIT_CPU_INTERNAL = -6,
};
/* kit_cpu_state() values (PSCI AFFINITY_INFO). */
enum { KIT_CPU_STATE_ON = 0, KIT_CPU_STATE_OFF = 1, KIT_CPU_STATE_ON_PENDING = 2 };

typedef void (*kit_cpu_fn)(unsigned cpu, uint64_t arg);

/* Starts vCPU `cpu` running fn(cpu, arg) on its own stack. fn must end with
 * kit_cpu_stop() or a result call; returning stops the vCPU too. cpu may be
 * any number (to test the error path); the runtime records fn only for
 * cpu < KIT_MAX_CPUS. */
int kit_cpu_start(unsigned cpu, kit_cpu_fn fn, uint64_t arg);
NORETURN void kit_cpu_stop(void);
/* ON / OFF / ON_PENDING, or a negative KIT_CPU_* error. */
int kit_cpu_state(unsigned cpu);
/* The firmware interface's version, as the arch reports it (PSCI_VERSION). */
int64_t kit_firmware_version(void);

/* ---- power ---------------------------------------------------------------- */

/* Flush the console and stop / restart the VM; no result line is printed.
 * kit_system_reset returns only if the restart request failed. */
NORETURN void kit_system_off(void);
void kit_system_reset(void);

/* ---- faults ---------------------------------------------------------------- */

enum kit_fault_class {
    KIT_FAULT_LOAD,    /* data access fault on a load (aarch64: EC 0x25, WnR=0) */
    KIT_FAULT_STORE,   /* ... on a store (EC 0x25, WnR=1) */
    KIT_FAULT_FETCH,   /* instruction fetch fault (EC 0x21) */
    KIT_FAULT_UNDEF,   /* undefined / illegal instruction */
    KIT_FAULT_IRQ,     /* an interrupt the runtime does not expect (no
                          controller set up on this vCPU) */
    KIT_FAULT_OTHER,
};

struct kit_fault {
    enum kit_fault_class cls;
    unsigned kind;     /* arch-specific vector / trap kind (aarch64: vector 0..15) */
    uint64_t cause;    /* raw syndrome (aarch64: ESR_EL1) */
    uint64_t addr;     /* faulting address (aarch64: FAR_EL1) */
    bool addr_valid;
    uint64_t pc;       /* faulting instruction (aarch64: ELR_EL1) */
};

enum kit_fault_action {
    KIT_FAULT_UNHANDLED, /* dump and fail the test */
    KIT_FAULT_SKIP,      /* resume after the faulting instruction */
    KIT_FAULT_RETRY,     /* resume at the faulting instruction */
};

/* Called in exception context on the faulting vCPU; keep it short (no
 * printing). NULL restores the default: dump, FAIL, power off. */
typedef enum kit_fault_action (*kit_fault_handler)(const struct kit_fault *f);
void kit_set_fault_handler(kit_fault_handler h);

/* ---- MMIO ---------------------------------------------------------------- */

/* kit_mmio_read8/16/32/64(addr) and kit_mmio_write8/16/32/64(addr, v) come
 * from kit_arch.h: one plain load/store instruction each. */

/* Instruction forms the hypervisor's MMIO emulation must decode, each one
 * exact instruction an arch lists in kit_arch_mmio_forms[] (registers,
 * widths, sign extension, the zero register, addressing modes). */
enum kit_mmio_kind {
    KIT_MMIO_LOAD,          /* run(addr, poison) returns the destination register */
    KIT_MMIO_STORE,         /* run(addr, value) stores value (or zero) */
    KIT_MMIO_LOAD_DISCARD,  /* load into the zero register; run returns 1 if
                               the stack pointer survived it */
};

struct kit_mmio_form {
    const char *insn;      /* the instruction, for messages */
    uint8_t kind;          /* enum kit_mmio_kind */
    uint8_t width;         /* bytes accessed: 1, 2, 4, 8 */
    uint8_t reg_bits;      /* bits of the register a load writes: 8..64 */
    bool sign;             /* load sign-extends from width to reg_bits */
    bool merge;            /* load keeps register bits above reg_bits (x86) */
    bool zero_src;         /* store writes zero whatever value is */
    uint64_t (*run)(uintptr_t addr, uint64_t value);
};

extern const struct kit_mmio_form kit_arch_mmio_forms[];
extern const unsigned kit_arch_mmio_nforms;

/* ---- image layout ---------------------------------------------------------- */

/* [start, end) holds the program image, BSS and all stacks; page aligned. */
uintptr_t kit_image_start(void);
uintptr_t kit_image_end(void);

/* ---- a fixed CPU-bound job --------------------------------------------------- */

/* iters steps of xorshift64 from seed folded into a checksum: the same inputs
 * give the same checksum on every arch, so a wrong one shows corrupted
 * registers (e.g. across vCPU switches). */
uint64_t kit_work(uint64_t seed, uint64_t iters);

/* The arch part: kit_hypercall, kit_cpu_id, MMIO accessors, KIT_UART_BASE,
 * KIT_DUMMY_BASE, KIT_RAM_BASE. */
#include "kit_arch.h"

static inline int64_t kit_guest_info(uint64_t key)
{
    return kit_hc1(HC_GUEST_INFO, key);
}

#endif
