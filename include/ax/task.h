/* axtask: tasks, per-CPU run queues, preemption, sleep and wait queues.
 *
 * Every lock in the scheduler is taken with interrupts disabled, so the
 * timer interrupt can preempt any task that has interrupts enabled without
 * ever finding a lock held by the task it interrupted. */
#ifndef AX_TASK_H
#define AX_TASK_H

#include "ax/axhal.h"
#include "ax/list.h"
#include "ax/spinlock.h"
#include "ax/types.h"
#include "arch/context.h"

#define TASK_NAME_LEN 24
#define TASK_STACK_ORDER 2          /* 16 KiB task stacks */
#define TASK_SLICE_NS 5000000ULL    /* 5 ms time slice */
#define TASK_WAKE_GRAN_NS 1000000ULL /* a woken task may preempt after 1 ms */
#define CPUMASK_ALL (~0ULL)

enum task_state {
    TASK_READY = 0,     /* on a run queue */
    TASK_RUNNING,       /* on a CPU */
    TASK_BLOCKED,       /* on a wait queue */
    TASK_SLEEPING,      /* on a CPU's timer list */
    TASK_EXITED,
};

struct wait_queue {
    spinlock_t lock;
    struct list_head waiters;
};

struct task {
    struct arch_context ctx;
    char name[TASK_NAME_LEN];
    unsigned id;
    int state;                  /* enum task_state, changed atomically */
    bool on_cpu;                /* its registers are live on some CPU */
    bool is_idle;
    unsigned cpu;               /* CPU whose run queue holds it / it last ran on */
    uint64_t affinity;          /* allowed CPUs, bit n = CPU n */
    void (*entry)(void *arg);
    void *arg;
    paddr_t stack;              /* 0 for idle tasks (boot stacks) */
    struct list_head rq_node;   /* run queue */
    struct list_head wq_node;   /* wait queue */
    struct list_head sleep_node;
    uint64_t wake_at_ns;
    unsigned sleep_cpu;         /* whose sleeper list sleep_node is on */
    struct wait_queue exit_wq;
    /* Called on this task's CPU, interrupts off, just before it is switched
     * out (vCPU tasks save guest state here). */
    void (*switch_out)(struct task *t);
    void *owner;                /* e.g. the struct vcpu a vCPU task runs */
    /* statistics */
    uint64_t slice_start_ns;
    uint64_t run_ns;
    uint64_t nr_switches;
    uint64_t nr_migrations;
};

/* Boot: sched_init_cpu() on every CPU turns the current boot context into
 * that CPU's idle task. sched_idle_loop() never returns. */
void sched_init(void);
void sched_init_cpu(unsigned cpu);
NORETURN void sched_idle_loop(void);

/* Create a task; it is runnable at once. affinity 0 means all CPUs.
 * Returns NULL when out of memory. */
struct task *task_spawn(const char *name, void (*entry)(void *), void *arg, uint64_t affinity);
/* The same with a switch-out hook and an owner set before it first runs. */
struct task *task_spawn_owned(const char *name, void (*entry)(void *), void *arg, uint64_t affinity,
                              void (*switch_out)(struct task *), void *owner);
/* Wait for a task to exit and free it. */
void task_join(struct task *t);
NORETURN void task_exit(void);
struct task *task_current(void);
void task_yield(void);
void task_sleep_ns(uint64_t ns);
void task_set_affinity(struct task *t, uint64_t mask); /* takes effect at the next wake-up */

/* Scheduler entry points for the arch layer. */
void schedule(void);                 /* may be called with interrupts on or off */
void sched_timer_irq(void);          /* per-CPU timer interrupt */
void sched_set_cpu_deadline(uint64_t deadline_ns); /* extra timer interrupt on this CPU */
void sched_ipi(void);                /* reschedule IPI */
bool sched_need_resched(void);       /* checked on interrupt return */
void task_entry_trampoline(void *task);

/* Wait queues. wait_event() sleeps until cond holds; cond is re-checked after
 * every wake-up and there are no lost wake-ups. */
void wq_init(struct wait_queue *wq);
void wq_prepare(struct wait_queue *wq);
void wq_cancel(struct wait_queue *wq);
void wq_finish(struct wait_queue *wq);
void wq_wake_one(struct wait_queue *wq);
void wq_wake_all(struct wait_queue *wq);
#define wait_event(wq, cond)                 \
    do {                                     \
        while (!(cond)) {                    \
            wq_prepare(wq);                  \
            if (cond)                        \
                wq_cancel(wq);               \
            schedule();                      \
            wq_finish(wq);                   \
        }                                    \
    } while (0)

/* Like wait_event, but gives up at deadline_ns (absolute, timer_now_ns()
 * time base; 0 = no deadline). */
void wq_arm_deadline(uint64_t deadline_ns);
void wq_disarm_deadline(void);
#define wait_event_deadline(wq, cond, deadline_ns)                                   \
    do {                                                                             \
        uint64_t __dl = (deadline_ns);                                               \
        while (!(cond) && (__dl == 0 || timer_now_ns() < __dl)) {                    \
            wq_prepare(wq);                                                          \
            if (__dl)                                                                \
                wq_arm_deadline(__dl);                                               \
            if (cond)                                                                \
                wq_cancel(wq);                                                       \
            schedule();                                                              \
            if (__dl)                                                                \
                wq_disarm_deadline();                                                \
            wq_finish(wq);                                                           \
        }                                                                            \
    } while (0)

struct sched_stats {
    uint64_t nr_switches, nr_ipis, nr_ticks, nr_steals;
    unsigned nr_ready;
};
void sched_get_stats(unsigned cpu, struct sched_stats *s);
unsigned task_count(void);

#endif
