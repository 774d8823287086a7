/* EL2 exception handling. Interrupts go to the GIC driver and may end in a
 * reschedule; anything unexpected prints a full register dump and stops
 * only the CPU it happened on. */
#include "ax/axhal.h"
#include "ax/format.h"
#include "ax/log.h"
#include "ax/task.h"
#include "platform.h"
#include "sysreg.h"

static const char *const kind_names[] = {"synchronous", "IRQ", "FIQ", "SError"};
static const char *const from_names[] = {"EL2 with SP_EL0", "EL2", "lower EL (AArch64)",
                                         "lower EL (AArch32)"};

static const char *esr_class_name(unsigned ec)
{
    switch (ec) {
    case 0x00: return "unknown reason";
    case 0x01: return "WFI/WFE";
    case 0x07: return "SIMD/FP access";
    case 0x0e: return "illegal execution state";
    case 0x15: return "SVC (AArch64)";
    case 0x16: return "HVC (AArch64)";
    case 0x17: return "SMC (AArch64)";
    case 0x18: return "system register access";
    case 0x20: return "instruction abort from lower EL";
    case 0x21: return "instruction abort";
    case 0x22: return "PC alignment fault";
    case 0x24: return "data abort from lower EL";
    case 0x25: return "data abort";
    case 0x26: return "SP alignment fault";
    case 0x2f: return "SError";
    case 0x3c: return "BRK";
    default: return "other";
    }
}

void dump_frame(const struct trap_frame *f, const char *why, uint64_t esr, uint64_t far)
{
    log_panic_mode();
    ax_printf("\n=== CPU %u: %s ===\n", cpu_id(), why);
    ax_printf("ESR_EL2  %016llx (EC %#x: %s, ISS %#llx)\n", (unsigned long long)esr,
              (unsigned)(esr >> 26) & 0x3f, esr_class_name((unsigned)(esr >> 26) & 0x3f),
              (unsigned long long)(esr & 0x1ffffff));
    ax_printf("ELR_EL2  %016llx  FAR_EL2  %016llx\n", (unsigned long long)f->elr,
              (unsigned long long)far);
    ax_printf("SPSR_EL2 %016llx  SP       %016llx\n", (unsigned long long)f->spsr,
              (unsigned long long)f->sp);
    for (int i = 0; i < 31; i += 2) {
        if (i + 1 < 31)
            ax_printf("x%-2d %016llx  x%-2d %016llx\n", i, (unsigned long long)f->x[i], i + 1,
                      (unsigned long long)f->x[i + 1]);
        else
            ax_printf("x%-2d %016llx\n", i, (unsigned long long)f->x[i]);
    }
    ax_printf("=== CPU %u stopped ===\n", cpu_id());
}

void aarch64_trap(struct trap_frame *f, unsigned kind, unsigned from);
void aarch64_trap(struct trap_frame *f, unsigned kind, unsigned from)
{
    if (kind == 1 && from == 1) {
        gic_handle_irq();
        if (sched_need_resched())
            schedule();
        return;
    }
    uint64_t esr = read_sysreg(esr_el2);
    uint64_t far = read_sysreg(far_el2);
    char why[96];
    ax_snprintf(why, sizeof(why), "unexpected %s exception from %s", kind < 4 ? kind_names[kind] : "?",
                from < 4 ? from_names[from] : "?");
    dump_frame(f, why, esr, far);
    cpu_halt();
}
