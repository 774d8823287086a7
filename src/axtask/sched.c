/* axtask scheduler: per-CPU FIFO run queues with time slices, a per-CPU
 * sorted sleeper list driving a one-shot timer, wake-up by IPI across CPUs,
 * and work stealing of migratable tasks by idle CPUs. */
#include "ax/axhal.h"
#include "ax/frame.h"
#include "ax/heap.h"
#include "ax/log.h"
#include "ax/string.h"
#include "ax/task.h"

struct runqueue {
    spinlock_t lock;
    struct list_head ready;
    struct list_head sleepers;   /* sorted by wake_at_ns */
    unsigned nr_ready;
    struct task *curr;
    struct task *idle;
    struct task *prev;           /* switched-out task whose on_cpu is still set */
    bool need_resched;
    bool wake_pending;           /* a woken task waits: preempt after TASK_WAKE_GRAN_NS */
    uint64_t cpu_deadline;       /* sched_set_cpu_deadline: an extra timer interrupt, 0 = none */
    bool online;
    struct task idle_task;
    struct sched_stats stats;
} __attribute__((aligned(64)));

static struct runqueue runqueues[AX_MAX_CPUS];
static spinlock_t task_id_lock = SPINLOCK_INIT;
static unsigned next_task_id = 1;
static unsigned live_tasks;

static inline struct runqueue *this_rq(void) { return &runqueues[cpu_id()]; }

static inline int task_state(const struct task *t) { return __atomic_load_n(&t->state, __ATOMIC_ACQUIRE); }
static inline bool task_cas_state(struct task *t, int from, int to)
{
    return __atomic_compare_exchange_n(&t->state, &from, to, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

struct task *task_current(void) { return this_rq()->curr; }

void sched_init(void)
{
    for (unsigned i = 0; i < AX_MAX_CPUS; i++) {
        struct runqueue *rq = &runqueues[i];
        memset(rq, 0, sizeof(*rq));
        list_init(&rq->ready);
        list_init(&rq->sleepers);
    }
}

void sched_init_cpu(unsigned cpu)
{
    struct runqueue *rq = &runqueues[cpu];
    struct task *idle = &rq->idle_task;
    memset(idle, 0, sizeof(*idle));
    memcpy(idle->name, "idle", 5);
    idle->is_idle = true;
    idle->state = TASK_RUNNING;
    idle->on_cpu = true;
    idle->cpu = cpu;
    idle->affinity = 1ULL << cpu;
    list_init(&idle->rq_node);
    list_init(&idle->wq_node);
    list_init(&idle->sleep_node);
    wq_init(&idle->exit_wq);
    rq->idle = idle;
    rq->curr = idle;
    __atomic_store_n(&rq->online, true, __ATOMIC_RELEASE);
}

/* ---- run queue helpers (rq->lock held) ---- */

static void rq_program_timer(struct runqueue *rq, uint64_t now)
{
    uint64_t deadline = 0;
    if (!list_empty(&rq->sleepers))
        deadline = list_first_entry(&rq->sleepers, struct task, sleep_node)->wake_at_ns;
    if (rq->cpu_deadline && (deadline == 0 || rq->cpu_deadline < deadline))
        deadline = rq->cpu_deadline;
    if (rq->nr_ready > 0 && !rq->curr->is_idle) {
        uint64_t slice_end = rq->curr->slice_start_ns + (rq->wake_pending ? TASK_WAKE_GRAN_NS : TASK_SLICE_NS);
        if (slice_end <= now)
            slice_end = now + 1000;
        if (deadline == 0 || slice_end < deadline)
            deadline = slice_end;
    }
    timer_set_oneshot(deadline);
}

static void rq_enqueue(struct runqueue *rq, struct task *t)
{
    t->cpu = (unsigned)(rq - runqueues);
    list_add_tail(&t->rq_node, &rq->ready);
    rq->nr_ready++;
}

static struct task *rq_dequeue(struct runqueue *rq)
{
    if (list_empty(&rq->ready))
        return NULL;
    struct task *t = list_first_entry(&rq->ready, struct task, rq_node);
    list_del(&t->rq_node);
    rq->nr_ready--;
    return t;
}

static bool cpu_is_idle(unsigned cpu)
{
    struct runqueue *rq = &runqueues[cpu];
    return __atomic_load_n(&rq->online, __ATOMIC_ACQUIRE) && rq->curr->is_idle && rq->nr_ready == 0;
}

/* An idle CPU other than this one that t may run on, or -1. */
static int idle_cpu_for(const struct task *t)
{
    for (unsigned c = 0; c < cpu_count(); c++)
        if (c != cpu_id() && (t->affinity & (1ULL << c)) && cpu_is_idle(c))
            return (int)c;
    return -1;
}

/* Where a waking task should run: its last CPU if allowed and idle, else any
 * idle allowed CPU, else its last CPU if allowed, else the first allowed. */
static unsigned select_cpu(struct task *t)
{
    unsigned n = cpu_count();
    uint64_t mask = t->affinity;
    if (t->cpu < n && (mask & (1ULL << t->cpu)) && cpu_is_idle(t->cpu))
        return t->cpu;
    for (unsigned c = 0; c < n; c++)
        if ((mask & (1ULL << c)) && cpu_is_idle(c))
            return c;
    if (t->cpu < n && (mask & (1ULL << t->cpu)) && runqueues[t->cpu].online)
        return t->cpu;
    for (unsigned c = 0; c < n; c++)
        if ((mask & (1ULL << c)) && runqueues[c].online)
            return c;
    return 0;
}

static bool rq_should_preempt(struct runqueue *rq, uint64_t now)
{
    struct task *c = rq->curr;
    return c->is_idle || now - c->slice_start_ns >= (rq->wake_pending ? TASK_WAKE_GRAN_NS : TASK_SLICE_NS);
}

/* Put a task that is READY on a run queue and kick that CPU. A task that was
 * waiting (woken) goes to the front and may preempt the running task once
 * that has had TASK_WAKE_GRAN_NS: tasks that mostly wait (a halted vCPU
 * whose timer fired) then run promptly, while CPU-bound ones still get at
 * least that much at a time. */
static void task_enqueue(struct task *t, bool woken)
{
    unsigned me = cpu_id();
    /* a task waking itself (wq_cancel) stays where it runs */
    unsigned target = t == task_current() ? me : select_cpu(t);
    struct runqueue *rq = &runqueues[target];
    if (t->cpu != target && t->nr_switches > 0)
        t->nr_migrations++;
    unsigned long flags = spin_lock_irqsave(&rq->lock);
    if (woken) {
        t->cpu = target;
        list_add(&t->rq_node, &rq->ready);
        rq->nr_ready++;
        rq->wake_pending = true;
    } else {
        rq_enqueue(rq, t);
    }
    if (target == me) {
        uint64_t now = timer_now_ns();
        if (rq_should_preempt(rq, now))
            rq->need_resched = true;
        else
            rq_program_timer(rq, now);
    }
    spin_unlock_irqrestore(&rq->lock, flags);
    if (target != me) {
        this_rq()->stats.nr_ipis++;
        ipi_send(target);
    }
}

/* Wake t if it is in state `from`. Returns true when this call woke it. */
static bool task_wake_from(struct task *t, int from)
{
    if (!task_cas_state(t, from, TASK_READY))
        return false;
    task_enqueue(t, true);
    return true;
}

/* ---- the switch ---- */

static void finish_switch(struct runqueue *rq)
{
    struct task *prev = rq->prev;
    rq->prev = NULL;
    if (prev)
        __atomic_store_n(&prev->on_cpu, false, __ATOMIC_RELEASE);
}

static struct task *steal_task(struct runqueue *me)
{
    unsigned n = cpu_count();
    unsigned self = (unsigned)(me - runqueues);
    for (unsigned i = 1; i < n; i++) {
        struct runqueue *rq = &runqueues[(self + i) % n];
        if (rq->nr_ready == 0)
            continue;
        spin_lock(&rq->lock);
        struct list_head *pos;
        struct task *found = NULL;
        list_for_each(pos, &rq->ready) {
            struct task *t = list_entry(pos, struct task, rq_node);
            if (t->affinity & (1ULL << self)) {
                found = t;
                break;
            }
        }
        if (found) {
            list_del(&found->rq_node);
            rq->nr_ready--;
            found->nr_migrations++;
        }
        spin_unlock(&rq->lock);
        if (found) {
            me->stats.nr_steals++;
            return found;
        }
    }
    return NULL;
}

void schedule(void)
{
    unsigned long flags = arch_irq_save();
    struct runqueue *rq = this_rq();
    struct task *prev = rq->curr;
    uint64_t now = timer_now_ns();

    spin_lock(&rq->lock);
    rq->need_resched = false;
    rq->wake_pending = false;
    if (!prev->is_idle && task_state(prev) == TASK_RUNNING) {
        if (!(prev->affinity & (1ULL << cpu_id()))) {
            /* affinity changed away from this CPU: hand it to another */
            spin_unlock(&rq->lock);
            __atomic_store_n(&prev->state, TASK_READY, __ATOMIC_RELEASE);
            prev->cpu = select_cpu(prev);
            task_enqueue(prev, false);
            spin_lock(&rq->lock);
        } else if (rq->nr_ready > 0) {
            __atomic_store_n(&prev->state, TASK_READY, __ATOMIC_RELEASE);
            if (idle_cpu_for(prev) >= 0) {
                /* push: an idle CPU may run it at once */
                spin_unlock(&rq->lock);
                task_enqueue(prev, false);
                spin_lock(&rq->lock);
            } else {
                rq_enqueue(rq, prev);
            }
        } else {
            /* alone on this CPU: keep running with a fresh slice */
            prev->slice_start_ns = now;
            rq_program_timer(rq, now);
            spin_unlock(&rq->lock);
            arch_irq_restore(flags);
            return;
        }
    }
    struct task *next = rq_dequeue(rq);
    spin_unlock(&rq->lock);
    if (!next && cpu_count() > 1)
        next = steal_task(rq);
    if (!next)
        next = rq->idle;

    /* A task woken on another CPU may still be saving its registers there. */
    while (__atomic_load_n(&next->on_cpu, __ATOMIC_ACQUIRE) && next != prev)
        cpu_relax();

    next->cpu = cpu_id();
    __atomic_store_n(&next->state, TASK_RUNNING, __ATOMIC_RELEASE);
    next->on_cpu = true;
    next->slice_start_ns = now;
    prev->run_ns += now - prev->slice_start_ns;

    spin_lock(&rq->lock);
    rq->curr = next;
    rq_program_timer(rq, now);
    spin_unlock(&rq->lock);

    if (next != prev) {
        next->nr_switches++;
        rq->stats.nr_switches++;
        rq->prev = prev;
        if (prev->switch_out)
            prev->switch_out(prev);
        arch_context_switch(&prev->ctx, &next->ctx);
        /* back on prev, possibly on another CPU */
        finish_switch(this_rq());
    }
    arch_irq_restore(flags);
}

void task_entry_trampoline(void *arg)
{
    struct task *t = arg;
    finish_switch(this_rq());
    irq_enable();
    t->entry(t->arg);
    task_exit();
}

void task_exit(void)
{
    irq_disable();
    struct task *t = task_current();
    __atomic_store_n(&t->state, TASK_EXITED, __ATOMIC_RELEASE);
    wq_wake_all(&t->exit_wq);
    schedule();
    for (;;)
        cpu_halt(); /* unreachable: an exited task is never picked again */
}

struct task *task_spawn(const char *name, void (*entry)(void *), void *arg, uint64_t affinity)
{
    return task_spawn_owned(name, entry, arg, affinity, NULL, NULL);
}

struct task *task_spawn_owned(const char *name, void (*entry)(void *), void *arg, uint64_t affinity,
                              void (*switch_out)(struct task *), void *owner)
{
    struct task *t = kzalloc(sizeof(*t));
    if (!t)
        return NULL;
    paddr_t stack = frame_alloc(TASK_STACK_ORDER);
    if (!stack) {
        kfree(t);
        return NULL;
    }
    size_t n = strlen(name);
    if (n >= TASK_NAME_LEN)
        n = TASK_NAME_LEN - 1;
    memcpy(t->name, name, n);
    t->entry = entry;
    t->arg = arg;
    t->stack = stack;
    t->switch_out = switch_out;
    t->owner = owner;
    uint64_t all = cpu_count() >= 64 ? ~0ULL : ((1ULL << cpu_count()) - 1);
    t->affinity = (affinity ? affinity : CPUMASK_ALL) & all;
    if (!t->affinity)
        t->affinity = all;
    t->cpu = cpu_id();
    list_init(&t->rq_node);
    list_init(&t->wq_node);
    list_init(&t->sleep_node);
    wq_init(&t->exit_wq);
    arch_context_init(&t->ctx, stack + (PAGE_SIZE << TASK_STACK_ORDER), t);
    unsigned long flags = spin_lock_irqsave(&task_id_lock);
    t->id = next_task_id++;
    live_tasks++;
    spin_unlock_irqrestore(&task_id_lock, flags);
    t->state = TASK_READY;
    task_enqueue(t, false);
    return t;
}

void task_join(struct task *t)
{
    wait_event(&t->exit_wq, task_state(t) == TASK_EXITED);
    /* It woke us just before its last switch; wait until that switch has
     * saved its registers (a few instructions away) before freeing it. */
    while (__atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE))
        cpu_relax();
    frame_free(t->stack, TASK_STACK_ORDER);
    unsigned long flags = spin_lock_irqsave(&task_id_lock);
    live_tasks--;
    spin_unlock_irqrestore(&task_id_lock, flags);
    kfree(t);
}

unsigned task_count(void) { return __atomic_load_n(&live_tasks, __ATOMIC_RELAXED); }

void task_yield(void)
{
    struct runqueue *rq = this_rq();
    unsigned long flags = arch_irq_save();
    if (rq->nr_ready > 0 || cpu_count() > 1)
        schedule();
    arch_irq_restore(flags);
}

void task_set_affinity(struct task *t, uint64_t mask)
{
    uint64_t all = (1ULL << cpu_count()) - 1;
    if (mask & all)
        t->affinity = mask & all;
}

/* ---- sleeping ---- */

void task_sleep_ns(uint64_t ns)
{
    unsigned long flags = arch_irq_save();
    struct runqueue *rq = this_rq();
    struct task *t = rq->curr;
    uint64_t now = timer_now_ns();
    t->wake_at_ns = now + (ns ? ns : 1);
    t->sleep_cpu = cpu_id();
    spin_lock(&rq->lock);
    struct list_head *pos;
    list_for_each(pos, &rq->sleepers) {
        if (list_entry(pos, struct task, sleep_node)->wake_at_ns > t->wake_at_ns)
            break;
    }
    list_insert_between(&t->sleep_node, pos->prev, pos);
    __atomic_store_n(&t->state, TASK_SLEEPING, __ATOMIC_RELEASE);
    spin_unlock(&rq->lock);
    schedule();
    arch_irq_restore(flags);
}

/* Put the current (BLOCKED) task on this CPU's sleeper list too, so the
 * timer wakes it at deadline_ns if nothing else does first. */
void wq_arm_deadline(uint64_t deadline_ns)
{
    unsigned long flags = arch_irq_save();
    struct runqueue *rq = this_rq();
    struct task *t = rq->curr;
    t->wake_at_ns = deadline_ns;
    t->sleep_cpu = cpu_id();
    spin_lock(&rq->lock);
    struct list_head *pos;
    list_for_each(pos, &rq->sleepers) {
        if (list_entry(pos, struct task, sleep_node)->wake_at_ns > deadline_ns)
            break;
    }
    list_insert_between(&t->sleep_node, pos->prev, pos);
    rq_program_timer(rq, timer_now_ns());
    spin_unlock(&rq->lock);
    arch_irq_restore(flags);
}

void wq_disarm_deadline(void)
{
    struct task *t = task_current();
    struct runqueue *rq = &runqueues[t->sleep_cpu];
    unsigned long flags = spin_lock_irqsave(&rq->lock);
    if (list_linked(&t->sleep_node))
        list_del(&t->sleep_node);
    spin_unlock_irqrestore(&rq->lock, flags);
}

/* Ask for a timer interrupt on this CPU at deadline_ns (0: none) besides the
 * scheduler's own: a vCPU whose emulated timer has no hardware behind it
 * (x86's virtual LAPIC) gets an exit when its timer is due. Interrupts off. */
void sched_set_cpu_deadline(uint64_t deadline_ns)
{
    struct runqueue *rq = this_rq();
    if (rq->cpu_deadline == deadline_ns)
        return;
    spin_lock(&rq->lock);
    rq->cpu_deadline = deadline_ns;
    rq_program_timer(rq, timer_now_ns());
    spin_unlock(&rq->lock);
}

void sched_timer_irq(void)
{
    struct runqueue *rq = this_rq();
    uint64_t now = timer_now_ns();
    if (rq->cpu_deadline && rq->cpu_deadline <= now)
        rq->cpu_deadline = 0; /* delivered: the interrupt itself was the point */
    rq->stats.nr_ticks++;
    for (;;) {
        spin_lock(&rq->lock);
        struct task *t = NULL;
        if (!list_empty(&rq->sleepers)) {
            t = list_first_entry(&rq->sleepers, struct task, sleep_node);
            if (t->wake_at_ns <= now)
                list_del(&t->sleep_node);
            else
                t = NULL;
        }
        spin_unlock(&rq->lock);
        if (!t)
            break;
        if (!task_wake_from(t, TASK_SLEEPING))
            task_wake_from(t, TASK_BLOCKED); /* a timed wait ran out */
    }
    spin_lock(&rq->lock);
    if (rq->nr_ready > 0 && rq_should_preempt(rq, now))
        rq->need_resched = true;
    rq_program_timer(rq, now);
    spin_unlock(&rq->lock);
}

void sched_ipi(void)
{
    struct runqueue *rq = this_rq();
    spin_lock(&rq->lock);
    uint64_t now = timer_now_ns();
    if (rq->nr_ready > 0 && rq_should_preempt(rq, now))
        rq->need_resched = true;
    rq_program_timer(rq, now);
    spin_unlock(&rq->lock);
}

bool sched_need_resched(void) { return this_rq()->need_resched; }

NORETURN void sched_idle_loop(void)
{
    struct runqueue *rq = this_rq();
    for (;;) {
        /* schedule() already tried to steal; nothing to do until an
         * interrupt (timer, or a wake-up IPI) arrives. wfi wakes on a pending
         * interrupt even while masked, so no wake-up is lost between the
         * check and the wait. */
        irq_disable();
        if (rq->nr_ready == 0 && !rq->need_resched)
            irq_wait();
        irq_enable();
        /* pending interrupts are taken here */
        schedule();
    }
}

void sched_get_stats(unsigned cpu, struct sched_stats *s)
{
    struct runqueue *rq = &runqueues[cpu];
    *s = rq->stats;
    s->nr_ready = rq->nr_ready;
}

/* ---- wait queues ---- */

void wq_init(struct wait_queue *wq)
{
    wq->lock = (spinlock_t)SPINLOCK_INIT;
    list_init(&wq->waiters);
}

void wq_prepare(struct wait_queue *wq)
{
    struct task *t = task_current();
    unsigned long flags = spin_lock_irqsave(&wq->lock);
    if (!list_linked(&t->wq_node))
        list_add_tail(&t->wq_node, &wq->waiters);
    __atomic_store_n(&t->state, TASK_BLOCKED, __ATOMIC_RELEASE);
    spin_unlock_irqrestore(&wq->lock, flags);
}

/* The condition came true between wq_prepare() and schedule(): wake ourselves
 * unless a waker already did. Either way we are READY and on a run queue, so
 * the schedule() that follows returns soon. */
void wq_cancel(struct wait_queue *wq)
{
    (void)wq;
    task_wake_from(task_current(), TASK_BLOCKED);
}

void wq_finish(struct wait_queue *wq)
{
    struct task *t = task_current();
    unsigned long flags = spin_lock_irqsave(&wq->lock);
    if (list_linked(&t->wq_node))
        list_del(&t->wq_node);
    spin_unlock_irqrestore(&wq->lock, flags);
}

static void wq_wake(struct wait_queue *wq, bool all)
{
    unsigned long flags = spin_lock_irqsave(&wq->lock);
    while (!list_empty(&wq->waiters)) {
        struct task *t = list_first_entry(&wq->waiters, struct task, wq_node);
        list_del(&t->wq_node);
        bool woke = task_wake_from(t, TASK_BLOCKED);
        if (woke && !all)
            break;
    }
    spin_unlock_irqrestore(&wq->lock, flags);
}

void wq_wake_one(struct wait_queue *wq) { wq_wake(wq, false); }
void wq_wake_all(struct wait_queue *wq) { wq_wake(wq, true); }
