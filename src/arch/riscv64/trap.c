/* HS-mode trap handling for traps taken while the hypervisor itself runs
 * (guest traps go back to vcpu.c through guest_exit). Interrupts: timer,
 * IPI; both may end in a reschedule. A fault inside a guarded guest-memory
 * read (HLVX) is recorded and skipped. Anything else prints a full
 * register dump and stops only the hart it happened on. */
#include "ax/axhal.h"
#include "ax/format.h"
#include "ax/log.h"
#include "ax/task.h"
#include "csr.h"
#include "platform.h"

static const char *const abi_names[32] = {
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
    "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
};

static const char *cause_name(uint64_t scause)
{
    if (scause & SCAUSE_INTR)
        return "interrupt";
    switch (scause) {
    case EXC_INSN_MISALIGNED: return "instruction address misaligned";
    case EXC_INSN_ACCESS: return "instruction access fault";
    case EXC_ILLEGAL_INSN: return "illegal instruction";
    case EXC_BREAKPOINT: return "breakpoint";
    case EXC_LOAD_MISALIGNED: return "load address misaligned";
    case EXC_LOAD_ACCESS: return "load access fault";
    case EXC_STORE_MISALIGNED: return "store address misaligned";
    case EXC_STORE_ACCESS: return "store access fault";
    case EXC_ECALL_S: return "ecall from HS-mode";
    case EXC_INSN_PAGE: return "instruction page fault";
    case EXC_LOAD_PAGE: return "load page fault";
    case EXC_STORE_PAGE: return "store page fault";
    case EXC_INSN_GUEST_PAGE: return "instruction guest-page fault";
    case EXC_LOAD_GUEST_PAGE: return "load guest-page fault";
    case EXC_VIRTUAL_INSN: return "virtual instruction";
    case EXC_STORE_GUEST_PAGE: return "store guest-page fault";
    default: return "other";
    }
}

void dump_frame(const struct trap_frame *f, const char *why)
{
    log_panic_mode();
    ax_printf("\n=== CPU %u: %s ===\n", cpu_id(), why);
    ax_printf("scause   %016llx (%s)\n", (unsigned long long)f->scause, cause_name(f->scause));
    ax_printf("sepc     %016llx  stval    %016llx\n", (unsigned long long)f->sepc,
              (unsigned long long)f->stval);
    ax_printf("sstatus  %016llx  hstatus  %016llx\n", (unsigned long long)f->sstatus,
              (unsigned long long)csr_read(hstatus));
    ax_printf("htval    %016llx  htinst   %016llx\n", (unsigned long long)csr_read(htval),
              (unsigned long long)csr_read(htinst));
    for (int i = 1; i < 32; i += 2) {
        if (i + 1 < 32)
            ax_printf("x%-2d/%-4s %016llx  x%-2d/%-4s %016llx\n", i, abi_names[i], (unsigned long long)f->x[i],
                      i + 1, abi_names[i + 1], (unsigned long long)f->x[i + 1]);
        else
            ax_printf("x%-2d/%-4s %016llx\n", i, abi_names[i], (unsigned long long)f->x[i]);
    }
    ax_printf("=== CPU %u stopped ===\n", cpu_id());
}

void riscv_trap(struct trap_frame *f);
void riscv_trap(struct trap_frame *f)
{
    uint64_t cause = f->scause;
    if (cause & SCAUSE_INTR) {
        switch (cause & ~SCAUSE_INTR) {
        case IRQ_S_TIMER:
            timer_irq_handler();
            break;
        case IRQ_S_SOFT:
            csr_clear(sip, SIP_SSIP);
            sched_ipi();
            break;
        default:
            /* not enabled; mask it so it cannot storm */
            csr_clear(sie, 1UL << (cause & 63));
            break;
        }
        if (sched_need_resched())
            schedule();
        return;
    }
    struct percpu_arch *pc = this_percpu();
    if (pc->expect_fault) {
        /* the guarded access is one 4-byte HLVX/HLV instruction */
        pc->faulted = 1;
        pc->fault_cause = cause;
        f->sepc += 4;
        return;
    }
    dump_frame(f, "unexpected exception in HS-mode");
    cpu_halt();
}
