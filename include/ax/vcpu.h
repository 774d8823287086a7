/* axvcpu: the arch-neutral vCPU, its exits and the common run loop.
 *
 * Every vCPU is an axtask task. The arch backend runs the guest until an
 * exit it cannot finish alone and describes it as a struct vcpu_exit; the
 * common loop dispatches it (hypercalls, MMIO to the device bus, halt, CPU
 * power, VM shutdown/reset). */
#ifndef AX_VCPU_H
#define AX_VCPU_H

#include "ax/task.h"
#include "ax/types.h"
#include "arch/vcpu.h"

struct vm;

enum exit_reason {
    EXIT_NONE = 0,       /* nothing for the common loop (e.g. host interrupt taken) */
    EXIT_HYPERCALL,
    EXIT_MMIO_READ,
    EXIT_MMIO_WRITE,
    EXIT_IO_READ,
    EXIT_IO_WRITE,
    EXIT_SYSREG_READ,
    EXIT_SYSREG_WRITE,
    EXIT_NPF,            /* access to guest-physical memory nothing backs */
    EXIT_EXT_IRQ,
    EXIT_HALT,
    EXIT_CPU_UP,
    EXIT_CPU_DOWN,
    EXIT_SYSTEM_DOWN,
    EXIT_SYSTEM_RESET,
    EXIT_SEND_IPI,
    EXIT_FAIL_ENTRY,     /* the guest cannot continue (e.g. undecodable access) */
    EXIT_REASON_COUNT,
};

const char *exit_reason_name(int reason);

struct vcpu_exit {
    int reason;
    union {
        struct {
            uint64_t nr;
            uint64_t args[6];
        } hc;
        struct {
            uint64_t addr;    /* guest-physical */
            unsigned width;   /* 1, 2, 4, 8 */
            unsigned reg;     /* arch register number to read from / write to */
            bool sign_ext;    /* reads: sign-extend to the register */
            bool reg64;       /* reads: target register is 64-bit (else 32, zero-extended) */
            uint64_t data;    /* writes: the value */
        } mmio;
        struct {
            uint64_t addr;    /* port */
            unsigned width;   /* 1, 2, 4 */
            unsigned reg;     /* reads: arch register (number) to complete */
            uint64_t data;    /* writes: the value */
        } io;
        struct {
            uint32_t id;      /* arch encoding */
            unsigned reg;
            uint64_t data;
        } sysreg;
        struct {
            uint64_t addr;
            bool write, exec;
        } npf;
        struct {
            uint64_t target;  /* vCPU index */
            uint64_t entry;
            uint64_t arg;
        } cpu_up;
        struct {
            uint64_t deadline_ns; /* guest timer deadline, 0 = none */
        } halt;
        struct {
            const char *why;
        } fail;
    };
};

enum vcpu_power {
    VCPU_OFF = 0,        /* not started / after CPU_OFF */
    VCPU_ON_PENDING,     /* CPU_ON accepted, not yet running */
    VCPU_ON,
};

struct vcpu_stats {
    uint64_t exits[EXIT_REASON_COUNT];
    uint64_t total_exits;
    uint64_t halts;
};

struct vcpu {
    struct vm *vm;
    unsigned id;
    uint64_t affinity;           /* pCPU mask for its task */
    struct task *task;
    int power;                   /* enum vcpu_power */
    uint64_t start_entry, start_arg;
    struct wait_queue wq;        /* halt / power-on waits */
    bool kick;                   /* something for it to look at */
    uint64_t halt_deadline_ns;
    struct vcpu_stats stats;
    uint32_t mmio_err_logs;      /* rate limit for unhandled-access messages */
    struct vcpu_arch arch;
};

/* The vCPU whose task is running on this CPU, or NULL. */
static inline struct vcpu *vcpu_current(void)
{
    struct task *t = task_current();
    return t && t->switch_out ? (struct vcpu *)t->owner : NULL;
}

/* Wake a halted or powered-off vCPU, or make a running one exit to the run
 * loop promptly (IPI to its pCPU). */
void vcpu_kick(struct vcpu *v);
/* For vcpu_arch_run, with interrupts off, before each guest entry: true
 * when it must return to the run loop (a kick, a stop or reset of the VM, or
 * a pending reschedule); interrupts are then back on and the reschedule has
 * happened. Checking with interrupts off means a kick that arrives later is
 * a pending interrupt that forces the next guest entry straight back out. */
bool vcpu_run_should_return(struct vcpu *v);

/* The task body of every vCPU. */
void vcpu_task_main(void *arg);

#endif
