/* The hypervisor shell (see ax/shell.h and README.md "Shell").
 *
 * Input: the console task calls shell_input() for every byte typed while the
 * hypervisor has the focus; it only queues the byte and wakes the shell task,
 * so a slow command never stalls the console keys. The shell task feeds the
 * line editor, runs finished lines and, ten times a second, puts the prompt
 * back when something else broke its line (a log line, a focus switch).
 *
 * VM control goes through the vm_ctl_* requests, which the VM manager in the
 * init task carries out; a command waits (bounded) until the VM has reached
 * the state it asked for, so its one line of output is the result. Every
 * error is one line naming the command.
 *
 * Reading a VM's vCPUs: they exist while the VM is loaded, running or
 * suspended, and the manager frees them only after a stop request, after
 * the vCPU tasks have exited and the stop was logged. The shell copies what
 * it shows with interrupts off, right after checking that no stop or reset
 * is pending, which keeps the copy far inside that window. */
#include "ax/axhal.h"
#include "ax/console_mux.h"
#include "ax/format.h"
#include "ax/frame.h"
#include "ax/fsload.h"
#include "ax/heap.h"
#include "ax/lineedit.h"
#include "ax/log.h"
#include "ax/shell.h"
#include "ax/string.h"
#include "ax/task.h"
#include "ax/vfs.h"
#include "ax/vm.h"

#define IN_RING 512                  /* typed bytes waiting for the shell task */
#define POLL_NS 100000000ULL         /* 100 ms: prompt repair */
#define WAIT_STEP_NS 5000000ULL      /* 5 ms between looks at a VM's state */
#define WAIT_NS 10000000000ULL       /* 10 s for a VM to reach a state */
#define POWEROFF_GRACE_NS 3000000000ULL
#define CAT_MAX 16384                /* bytes cat shows */
#define CREATE_ERR_MAX 2048          /* vm create's messages */
#define LS_MAX 500                   /* entries ls shows */

/* ---- input ring (any task → shell task) ---- */

static struct {
    spinlock_t lock;
    uint8_t buf[IN_RING];
    unsigned head, tail; /* free-running: head - tail bytes queued */
    uint64_t dropped;
} in = {.lock = SPINLOCK_INIT};
static struct wait_queue shell_wq = {SPINLOCK_INIT, LIST_HEAD_INIT(shell_wq.waiters)};

static void shell_input(char c)
{
    unsigned long f = spin_lock_irqsave(&in.lock);
    if (in.head - in.tail < IN_RING)
        in.buf[in.head++ % IN_RING] = (uint8_t)c;
    else
        in.dropped++;
    spin_unlock_irqrestore(&in.lock, f);
    wq_wake_all(&shell_wq);
}

static bool ring_pending(void)
{
    return __atomic_load_n(&in.head, __ATOMIC_ACQUIRE) != __atomic_load_n(&in.tail, __ATOMIC_ACQUIRE);
}

static bool ring_pop(uint8_t *c)
{
    unsigned long f = spin_lock_irqsave(&in.lock);
    bool got = in.head != in.tail;
    if (got)
        *c = in.buf[in.tail++ % IN_RING];
    spin_unlock_irqrestore(&in.lock, f);
    return got;
}

/* ---- screen state (shell task only, except mid_line) ---- */

static struct lineedit le;
static bool mid_line;      /* our prompt or echo left the cursor mid-line */
static bool prompt_shown;  /* the prompt and the line being typed are on screen */
static bool engaged;       /* the prompt may be shown without a key typed first */
static bool focus_was_vm;  /* a VM had the focus at the last poll */
static unsigned hv_polls;  /* consecutive polls that found the hypervisor in focus */
static bool used;          /* a command was entered: keep the machine up */
static bool (*prev_break_hook)(void);

bool shell_line_break(void)
{
    bool a = prev_break_hook ? prev_break_hook() : false;
    bool b = __atomic_exchange_n(&mid_line, false, __ATOMIC_ACQ_REL);
    return a || b;
}

/* Echo from the line editor. The console adds a CR before every LF, so the
 * editor's own CRs are left out. */
static void echo(void *ctx, const char *s, size_t n)
{
    (void)ctx;
    __atomic_store_n(&mid_line, true, __ATOMIC_RELEASE);
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '\r') {
            if (i > start)
                ax_printf("%.*s", (int)(i - start), s + start);
            start = i + 1;
        }
    }
    if (s[n - 1] == '\n')
        __atomic_store_n(&mid_line, false, __ATOMIC_RELEASE);
}

static void show_prompt(void)
{
    __atomic_store_n(&mid_line, true, __ATOMIC_RELEASE);
    ax_puts(SHELL_PROMPT);
    if (lineedit_buffer(&le)[0])
        lineedit_redraw(&le); /* a half-typed line comes back */
    prompt_shown = true;
    __atomic_store_n(&engaged, true, __ATOMIC_RELEASE);
}

static bool prompt_intact(void) { return prompt_shown && __atomic_load_n(&mid_line, __ATOMIC_ACQUIRE); }

/* The first VM with a console UART takes the focus by itself, so the
 * hypervisor holding it while such a VM exists means someone gave it the
 * focus (Ctrl-A h), even if the switch fell between two polls. */
static bool any_vm_has_uart(void)
{
    struct vm *vms[VM_MAX];
    unsigned n = vm_list(vms, VM_MAX);
    for (unsigned i = 0; i < n; i++)
        if (vm_console_has_uart(vms[i]))
            return true;
    return false;
}

/* Put the prompt back once the hypervisor has held the focus for two polls
 * in a row, so it comes after the multiplexer's "[console: hypervisor]". */
static void screen_poll(void)
{
    if (vm_console_focus()) {
        focus_was_vm = true;
        hv_polls = 0;
        return;
    }
    if (focus_was_vm || (!__atomic_load_n(&engaged, __ATOMIC_ACQUIRE) && any_vm_has_uart())) {
        __atomic_store_n(&engaged, true, __ATOMIC_RELEASE);
        focus_was_vm = false;
    }
    if (hv_polls < 2)
        hv_polls++;
    if (__atomic_load_n(&engaged, __ATOMIC_ACQUIRE) && hv_polls >= 2 && !prompt_intact())
        show_prompt();
}

#define out(...) ax_printf(__VA_ARGS__)

/* ---- helpers ---- */

static void fmt_size(char *buf, size_t len, uint64_t bytes)
{
    if (bytes && bytes % GiB(1) == 0)
        ax_snprintf(buf, len, "%llu GiB", (unsigned long long)(bytes >> 30));
    else if (bytes && bytes % MiB(1) == 0)
        ax_snprintf(buf, len, "%llu MiB", (unsigned long long)(bytes >> 20));
    else if (bytes && bytes % KiB(1) == 0)
        ax_snprintf(buf, len, "%llu KiB", (unsigned long long)(bytes >> 10));
    else
        ax_snprintf(buf, len, "%llu bytes", (unsigned long long)bytes);
}

/* "12.345 s" / "12.345 ms" from nanoseconds. */
static void fmt_time(char *buf, size_t len, uint64_t ns)
{
    if (ns >= 1000000000ULL)
        ax_snprintf(buf, len, "%llu.%03llu s", (unsigned long long)(ns / 1000000000ULL),
                    (unsigned long long)(ns / 1000000ULL % 1000));
    else
        ax_snprintf(buf, len, "%llu.%03llu ms", (unsigned long long)(ns / 1000000ULL),
                    (unsigned long long)(ns / 1000ULL % 1000));
}

static uint64_t vm_ram_bytes(const struct vm *vm)
{
    uint64_t sum = 0;
    for (unsigned i = 0; i < vm->cfg->region_num; i++)
        if (!(vm->cfg->regions[i].flags & VM_MEM_DEVICE))
            sum += vm->cfg->regions[i].size;
    return sum;
}

static int vm_state(const struct vm *vm) { return __atomic_load_n(&vm->state, __ATOMIC_ACQUIRE); }

/* What a wait condition says: not yet, reached, or reached if it stays
 * so for SETTLE_POLLS looks in a row (a state the manager passes through
 * for a moment while it works on the request). */
enum wait_res { W_NOT_YET, W_DONE, W_SETTLING };
#define SETTLE_POLLS 4

/* Waits until done(vm) or the deadline; false on timeout. */
static bool wait_for(struct vm *vm, enum wait_res (*done)(struct vm *vm, uint64_t arg), uint64_t arg)
{
    uint64_t deadline = timer_now_ns() + WAIT_NS;
    unsigned settling = 0;
    for (;;) {
        enum wait_res r = done(vm, arg);
        if (r == W_DONE || (r == W_SETTLING && ++settling >= SETTLE_POLLS))
            return true;
        if (r != W_SETTLING)
            settling = 0;
        if (timer_now_ns() >= deadline)
            return false;
        task_sleep_ns(WAIT_STEP_NS);
    }
}

/* A copy of what the shell shows of one vCPU. */
struct vcpu_snap {
    int power;
    uint64_t affinity;
    struct vcpu_stats stats;
    bool has_task;
    int task_state;
    unsigned task_cpu;
    uint64_t run_ns;
};

static const char *power_name(int p)
{
    static const char *const names[] = {"off", "starting", "on"};
    return p >= 0 && p < (int)ARRAY_SIZE(names) ? names[p] : "?";
}

static const char *task_state_name(int s)
{
    static const char *const names[] = {"ready", "running", "waiting", "sleeping", "exited"};
    return s >= 0 && s < (int)ARRAY_SIZE(names) ? names[s] : "?";
}

/* Copies the vCPUs of a VM that has them and is not being stopped; returns
 * how many (0 when it has none now). See the file comment. */
static unsigned snapshot_vcpus(struct vm *vm, struct vcpu_snap *snap, unsigned max)
{
    unsigned n = 0;
    unsigned long f = arch_irq_save();
    int st = vm_state(vm);
    bool stable = (st == VM_STATE_LOADED || st == VM_STATE_RUNNING || st == VM_STATE_SUSPENDED) &&
                  !__atomic_load_n(&vm->stop_req, __ATOMIC_ACQUIRE) &&
                  !__atomic_load_n(&vm->reset_req, __ATOMIC_ACQUIRE);
    for (unsigned i = 0; stable && i < vm->nvcpu && i < max; i++) {
        const struct vcpu *v = vm->vcpus[i];
        if (!v)
            break;
        struct vcpu_snap *s = &snap[n++];
        s->power = __atomic_load_n(&v->power, __ATOMIC_ACQUIRE);
        s->affinity = v->affinity;
        s->stats = v->stats;
        const struct task *t = v->task;
        s->has_task = t != NULL;
        if (t) {
            s->task_state = __atomic_load_n(&t->state, __ATOMIC_ACQUIRE);
            s->task_cpu = t->cpu;
            s->run_ns = t->run_ns;
        }
    }
    arch_irq_restore(f);
    return n;
}

/* ---- vm ---- */

struct vm_cmd {
    const char *name;
    void (*fn)(struct vm *vm);
};

static void vm_cmd_list(void)
{
    struct vm *vms[VM_MAX];
    unsigned n = vm_list(vms, VM_MAX);
    if (n == 0) {
        out("no VMs\n");
        return;
    }
    out("%4s  %-20s %-10s %5s  %s\n", "ID", "NAME", "STATE", "VCPUS", "MEMORY");
    for (unsigned i = 0; i < n; i++) {
        char mem[24];
        fmt_size(mem, sizeof(mem), vm_ram_bytes(vms[i]));
        out("%4u  %-20s %-10s %5u  %s\n", vms[i]->id, vms[i]->name, vm_state_name(vm_state(vms[i])),
            vms[i]->nvcpu, mem);
    }
}

static void region_flags(char *buf, uint32_t flags)
{
    buf[0] = flags & VM_MEM_READ ? 'R' : '-';
    buf[1] = flags & VM_MEM_WRITE ? 'W' : '-';
    buf[2] = flags & VM_MEM_EXECUTE ? 'X' : '-';
    buf[3] = flags & VM_MEM_DEVICE ? 'D' : '-';
    buf[4] = 0;
}

static const char *map_type_name(uint32_t t)
{
    static const char *const names[] = {"alloc", "identical", "reserved"};
    return t < ARRAY_SIZE(names) ? names[t] : "?";
}

static void show_config(const struct vm *vm)
{
    const struct vm_config *c = vm->cfg;
    out("  type      %s, %u vCPU%s, config %s\n", vmconfig_vm_type_name(c->vm_type), vm->nvcpu,
        vm->nvcpu == 1 ? "" : "s", c->source[0] ? c->source : "?");
    out("  entry     %#llx\n", (unsigned long long)c->entry_point);
    for (unsigned k = 0; k < VM_IMG_COUNT; k++) {
        const struct vm_blob *b = &vm->images[k];
        if (!c->images[k].has_path && !b->present)
            continue;
        char sz[24];
        fmt_size(sz, sizeof(sz), b->size);
        out("  %-9s %s at %#llx, %s\n", vmconfig_image_name((enum vm_image_kind)k), c->images[k].path,
            (unsigned long long)(b->present ? b->load_addr : c->images[k].load_addr),
            b->present ? sz : "not loaded");
    }
    if (c->has_cmdline)
        out("  cmdline   %.160s\n", c->cmdline);
    for (unsigned i = 0; i < c->region_num; i++) {
        const struct vm_mem_region *r = &c->regions[i];
        char sz[24], fl[5];
        fmt_size(sz, sizeof(sz), r->size);
        region_flags(fl, r->flags);
        out("  memory    %#llx +%s %s %s\n", (unsigned long long)r->gpa, sz, fl, map_type_name(r->map_type));
    }
    for (unsigned i = 0; i < c->emu_num; i++) {
        const struct vm_emu_device *d = &c->emu_devices[i];
        const char *tn = vmconfig_emu_type_name(d->type);
        out("  device    %s: %s (type %#x) at %#llx +%#llx, irq %u\n", d->name, tn ? tn : "?", d->type,
            (unsigned long long)d->gpa, (unsigned long long)d->size, d->irq);
    }
    for (unsigned i = 0; i < c->pt_dev_num; i++) {
        const struct vm_pt_device *p = &c->pt_devices[i];
        if (p->from_dtb)
            out("  passthru  host DTB node %s\n", p->name);
        else
            out("  passthru  %s: %#llx -> host %#llx +%#llx, irq %u\n", p->name, (unsigned long long)p->gpa,
                (unsigned long long)p->hpa, (unsigned long long)p->size, p->irq);
    }
    for (unsigned i = 0; i < c->pt_addr_num; i++)
        out("  passthru  %#llx +%#llx (identity)\n", (unsigned long long)c->pt_addrs[i].gpa,
            (unsigned long long)c->pt_addrs[i].size);
    out("  irq mode  %s\n", vmconfig_irq_mode_name(c->irq_mode));
}

static void vm_cmd_show(struct vm *vm)
{
    int st = vm_state(vm);
    char up[32] = "";
    if (st == VM_STATE_RUNNING || st == VM_STATE_SUSPENDED) {
        char t[24];
        fmt_time(t, sizeof(t), timer_now_ns() - vm->start_ns);
        ax_snprintf(up, sizeof(up), " for %s", t);
    }
    out("vm %u (%s): %s%s, %u reset%s\n", vm->id, vm->name, vm_state_name(st), up, vm->resets,
        vm->resets == 1 ? "" : "s");
    show_config(vm);
    struct vcpu_snap snap[VM_MAX_VCPUS];
    unsigned n = snapshot_vcpus(vm, snap, VM_MAX_VCPUS);
    if (n == 0) {
        out("  vcpus     none now (the VM is %s)\n", vm_state_name(st));
        return;
    }
    for (unsigned i = 0; i < n; i++) {
        const struct vcpu_snap *s = &snap[i];
        if (s->has_task)
            out("  vcpu %-4u %s, pCPUs %#llx, task %s on cpu %u, %llu exits\n", i, power_name(s->power),
                (unsigned long long)s->affinity, task_state_name(s->task_state), s->task_cpu,
                (unsigned long long)s->stats.total_exits);
        else
            out("  vcpu %-4u %s, pCPUs %#llx, no task yet\n", i, power_name(s->power),
                (unsigned long long)s->affinity);
    }
}

static uint64_t start_time(const struct vm *vm) { return __atomic_load_n(&vm->start_ns, __ATOMIC_ACQUIRE); }

/* vm_start stamps start_ns: a new value means it started (it may already
 * have stopped again). */
static enum wait_res has_started(struct vm *vm, uint64_t old_start)
{
    if (start_time(vm) != old_start)
        return W_DONE;
    /* the manager took the request and could not build the VM; it clears
     * the request just before it leaves STOPPED, hence the settling */
    if (vm_state(vm) == VM_STATE_STOPPED && !__atomic_load_n(&vm->start_req, __ATOMIC_ACQUIRE))
        return W_SETTLING;
    return W_NOT_YET;
}

static enum wait_res is_stopped(struct vm *vm, uint64_t arg)
{
    (void)arg;
    return vm_state(vm) == VM_STATE_STOPPED ? W_DONE : W_NOT_YET;
}

/* A reset goes RUNNING, STOPPING, LOADING, RUNNING with a new start_ns;
 * STOPPED means the rebuild failed or a stop came first. */
static enum wait_res has_restarted(struct vm *vm, uint64_t old_start)
{
    if (start_time(vm) != old_start || vm_state(vm) == VM_STATE_STOPPED)
        return W_DONE;
    return W_NOT_YET;
}

static void state_error(const char *cmd, struct vm *vm, const char *hint)
{
    out("vm %s: vm %u is %s%s\n", cmd, vm->id, vm_state_name(vm_state(vm)), hint);
}

static void vm_cmd_start(struct vm *vm)
{
    uint64_t old = start_time(vm);
    if (vm_ctl_start(vm)) {
        state_error("start", vm, "");
        return;
    }
    if (!wait_for(vm, has_started, old))
        out("vm start: vm %u did not start within 10 s\n", vm->id);
    else if (start_time(vm) == old)
        out("vm start: vm %u could not be started (see the log)\n", vm->id);
    else
        out("vm start: vm %u (%s) started\n", vm->id, vm->name);
}

static void vm_cmd_stop(struct vm *vm)
{
    if (vm_ctl_stop(vm, "stopped from the shell")) {
        state_error("stop", vm, "");
        return;
    }
    if (!wait_for(vm, is_stopped, 0))
        out("vm stop: vm %u is still %s after 10 s\n", vm->id, vm_state_name(vm_state(vm)));
    else
        out("vm stop: vm %u (%s) stopped\n", vm->id, vm->name);
}

static void vm_cmd_restart(struct vm *vm)
{
    int st = vm_state(vm);
    if (st != VM_STATE_RUNNING && st != VM_STATE_SUSPENDED) {
        if (st != VM_STATE_STOPPED && st != VM_STATE_LOADED) {
            state_error("restart", vm, "");
            return;
        }
        vm_cmd_start(vm);
        return;
    }
    uint64_t old = start_time(vm);
    if (vm_ctl_restart(vm)) {
        state_error("restart", vm, "");
        return;
    }
    if (!wait_for(vm, has_restarted, old))
        out("vm restart: vm %u did not restart within 10 s\n", vm->id);
    else if (start_time(vm) == old)
        out("vm restart: vm %u stopped instead of restarting (see the log)\n", vm->id);
    else
        out("vm restart: vm %u (%s) restarted\n", vm->id, vm->name);
}

static void vm_cmd_suspend(struct vm *vm)
{
    if (vm_ctl_suspend(vm))
        state_error("suspend", vm, "");
    else
        out("vm suspend: vm %u (%s) suspended\n", vm->id, vm->name);
}

static void vm_cmd_resume(struct vm *vm)
{
    if (vm_ctl_resume(vm))
        state_error("resume", vm, "");
    else
        out("vm resume: vm %u (%s) resumed\n", vm->id, vm->name);
}

static enum wait_res is_gone(struct vm *vm, uint64_t id)
{
    (void)vm;
    return vm_is_gone((unsigned)id) ? W_DONE : W_NOT_YET;
}

static void vm_cmd_delete(struct vm *vm)
{
    unsigned id = vm->id;
    char name[VM_NAME_LEN];
    memcpy(name, vm->name, sizeof(name));
    name[sizeof(name) - 1] = 0;
    if (vm_ctl_delete(vm)) {
        state_error("delete", vm, " (stop it first)");
        return;
    }
    /* vm is freed once it is gone: only its id is used from here on */
    if (!wait_for(NULL, is_gone, id))
        out("vm delete: vm %u is still there after 10 s\n", id);
    else
        out("vm delete: vm %u (%s) deleted\n", id, name);
}

/* The disk has no current directory: a relative path starts at "/". */
static const char *abs_path(const char *path, char *buf, size_t len)
{
    if (path[0] == '/')
        return path;
    ax_snprintf(buf, len, "/%s", path);
    return buf;
}

/* Every message vm_create_from_file gave, one line each. */
static void print_lines(const char *prefix, const char *text)
{
    while (*text) {
        const char *nl = strchr(text, '\n');
        size_t n = nl ? (size_t)(nl - text) : strlen(text);
        if (n)
            out("%s%.*s\n", prefix, (int)n, text);
        text += n + (nl ? 1 : 0);
    }
}

static void vm_cmd_create(const char *arg)
{
    if (!fs_disk_mounted()) {
        out("vm create: no filesystem mounted\n");
        return;
    }
    char pbuf[SHELL_LINE_MAX + 2];
    const char *path = abs_path(arg, pbuf, sizeof(pbuf));
    char *err = kzalloc(CREATE_ERR_MAX);
    if (!err) {
        out("vm create: out of memory\n");
        return;
    }
    struct vm *vm = NULL;
    int rc = vm_create_from_file(path, err, CREATE_ERR_MAX, &vm);
    if (rc || !vm) {
        if (err[0])
            print_lines("vm create: ", err);
        else
            out("vm create: %s: %s\n", path, ax_strerror(rc));
    } else {
        out("vm create: vm %u (%s) created from %s; 'vm start %u' runs it\n", vm->id, vm->name, path, vm->id);
    }
    kfree(err);
}

static const struct vm_cmd vm_cmds[] = {
    {"show", vm_cmd_show},       {"start", vm_cmd_start},   {"stop", vm_cmd_stop},
    {"suspend", vm_cmd_suspend}, {"resume", vm_cmd_resume}, {"restart", vm_cmd_restart},
    {"delete", vm_cmd_delete},
};

static void cmd_vm(struct shell_args *a)
{
    const char *sub = a->argc > 1 ? a->argv[1] : "";
    if (strcmp(sub, "list") == 0) {
        if (a->argc > 2)
            out("vm list: too many arguments\n");
        else
            vm_cmd_list();
        return;
    }
    if (strcmp(sub, "create") == 0) {
        if (a->argc != 3)
            out("vm create: %s (vm create PATH.toml)\n", a->argc < 3 ? "which file?" : "too many arguments");
        else
            vm_cmd_create(a->argv[2]);
        return;
    }
    for (unsigned i = 0; i < ARRAY_SIZE(vm_cmds); i++) {
        if (strcmp(sub, vm_cmds[i].name) != 0)
            continue;
        if (a->argc != 3) {
            out("vm %s: %s (vm %s ID)\n", sub, a->argc < 3 ? "which VM?" : "too many arguments", sub);
            return;
        }
        unsigned id;
        int rc = shell_parse_id(a->argv[2], &id);
        if (rc) {
            out("vm %s: '%.40s' is not a VM id\n", sub, a->argv[2]);
            return;
        }
        struct vm *vm = vm_by_id(id);
        if (!vm) {
            out("vm: no VM with id %u\n", id);
            return;
        }
        vm_cmds[i].fn(vm);
        return;
    }
    if (a->argc < 2)
        out("vm: what? (vm list|show|create|start|stop|suspend|resume|restart|delete)\n");
    else
        out("vm: unknown subcommand '%.40s' (help lists them)\n", sub);
}

/* ---- disk ---- */

static const char *fs_error(int rc) { return rc == -AX_ENOENT ? "no such file or directory" : ax_strerror(rc); }

struct ls_ctx {
    unsigned shown, skipped;
};

static int ls_entry(const struct vfs_dirent *de, void *arg)
{
    struct ls_ctx *c = arg;
    if (c->shown >= LS_MAX) {
        c->skipped++;
        return 0;
    }
    c->shown++;
    if (de->is_dir)
        out("%12s  %.200s/\n", "<dir>", de->name);
    else
        out("%12llu  %.200s\n", (unsigned long long)de->size, de->name);
    return 0;
}

static void cmd_ls(struct shell_args *a)
{
    if (a->argc > 2) {
        out("ls: too many arguments (ls [PATH])\n");
        return;
    }
    if (!fs_disk_mounted()) {
        out("ls: no filesystem mounted\n");
        return;
    }
    char pbuf[SHELL_LINE_MAX + 2];
    const char *path = abs_path(a->argc == 2 ? a->argv[1] : "/", pbuf, sizeof(pbuf));
    struct ls_ctx c = {0, 0};
    struct vfs_stat st;
    fs_lock();
    int rc = vfs_stat(path, &st);
    if (rc == 0 && st.is_dir)
        rc = vfs_readdir(path, ls_entry, &c);
    fs_unlock();
    if (rc < 0)
        out("ls: %s: %s\n", path, fs_error(rc));
    else if (!st.is_dir)
        out("%12llu  %s\n", (unsigned long long)st.size, path);
    else if (c.skipped)
        out("(%u more entries not shown)\n", c.skipped);
    else if (c.shown == 0)
        out("(empty)\n");
}

/* Reads up to max bytes from the start of path (fs_lock held); the file's
 * size in st. Returns the bytes read or a negative AX_E* (0 for a
 * directory: st says so). */
static int64_t read_head(const char *path, uint8_t *buf, size_t max, struct vfs_stat *st)
{
    st->size = 0;
    st->is_dir = false;
    int fd = vfs_open(path);
    if (fd < 0)
        return fd;
    int64_t rc = vfs_fstat(fd, st);
    size_t done = 0;
    if (rc == 0 && st->is_dir)
        max = 0;
    while (rc == 0 && done < max) {
        int64_t n = vfs_read(fd, buf + done, max - done);
        if (n < 0)
            rc = n;
        else if (n == 0)
            break;
        else
            done += (size_t)n;
    }
    vfs_close(fd);
    return rc < 0 ? rc : (int64_t)done;
}

static void cmd_cat(struct shell_args *a)
{
    if (a->argc != 2) {
        out("cat: %s (cat PATH)\n", a->argc < 2 ? "which file?" : "too many arguments");
        return;
    }
    if (!fs_disk_mounted()) {
        out("cat: no filesystem mounted\n");
        return;
    }
    char pbuf[SHELL_LINE_MAX + 2];
    const char *path = abs_path(a->argv[1], pbuf, sizeof(pbuf));
    uint8_t *buf = kmalloc(CAT_MAX);
    if (!buf) {
        out("cat: out of memory\n");
        return;
    }
    struct vfs_stat st;
    fs_lock();
    int64_t got = read_head(path, buf, CAT_MAX, &st);
    fs_unlock();
    if (got < 0 || st.is_dir) {
        out("cat: %s: %s\n", path,
            st.is_dir ? "is a directory" : got == -AX_ENOENT ? "no such file" : ax_strerror((int)got));
        kfree(buf);
        return;
    }
    uint64_t size = st.size;
    size_t n = (size_t)got;
    bool cut = size > n;
    if (cut)
        n = shell_utf8_trim(buf, n);
    if (!shell_is_text(buf, n)) {
        out("cat: %s: binary file (%llu bytes), not shown\n", path, (unsigned long long)size);
        kfree(buf);
        return;
    }
    /* in pieces: the console lock is held, interrupts off, for each */
    for (size_t off = 0; off < n; off += 256) {
        size_t k = MIN((size_t)256, n - off);
        ax_printf("%.*s", (int)k, (const char *)buf + off);
    }
    if (n && buf[n - 1] != '\n')
        out("\n");
    if (cut)
        out("(cat: the first %zu of %llu bytes)\n", n, (unsigned long long)size);
    kfree(buf);
}

/* ---- log, stats, poweroff, help ---- */

static void cmd_log(struct shell_args *a)
{
    if (a->argc < 2 || strcmp(a->argv[1], "level") != 0 || a->argc > 3) {
        out("log: usage: log level [error|warn|info|debug|trace]\n");
        return;
    }
    if (a->argc == 3) {
        int lv = log_level_parse(a->argv[2]);
        if (lv < 0) {
            out("log level: unknown level '%.40s' (error, warn, info, debug, trace)\n", a->argv[2]);
            return;
        }
        __atomic_store_n(&log_max_level, lv, __ATOMIC_RELEASE);
    }
    out("log level: %s\n", log_level_name(__atomic_load_n(&log_max_level, __ATOMIC_ACQUIRE)));
}

static void stats_vcpu(unsigned i, const struct vcpu_snap *s)
{
    char line[256];
    size_t n = (size_t)ax_snprintf(line, sizeof(line), "  vcpu %u: %llu exits", i,
                                   (unsigned long long)s->stats.total_exits);
    const char *sep = " (";
    uint64_t seen = 0;
    for (int r = 0; r < EXIT_REASON_COUNT && n < sizeof(line); r++) {
        if (!s->stats.exits[r])
            continue;
        seen += s->stats.exits[r];
        n += (size_t)ax_snprintf(line + n, sizeof(line) - n, "%s%s %llu", sep, exit_reason_name(r),
                                 (unsigned long long)s->stats.exits[r]);
        sep = ", ";
    }
    /* exits the arch backend finished without the common loop */
    if (s->stats.total_exits > seen && n < sizeof(line)) {
        n += (size_t)ax_snprintf(line + n, sizeof(line) - n, "%sin the backend %llu", sep,
                                 (unsigned long long)(s->stats.total_exits - seen));
        sep = ", ";
    }
    if (sep[0] == ',' && n < sizeof(line))
        ax_snprintf(line + n, sizeof(line) - n, ")");
    char run[24];
    fmt_time(run, sizeof(run), s->has_task ? s->run_ns : 0);
    out("%s, %llu halts, ran %s\n", line, (unsigned long long)s->stats.halts, run);
}

static void cmd_stats(struct shell_args *a)
{
    if (a->argc > 1) {
        out("stats: too many arguments\n");
        return;
    }
    struct vm *vms[VM_MAX];
    unsigned nvm = vm_list(vms, VM_MAX);
    uint64_t now = timer_now_ns();
    for (unsigned k = 0; k < nvm; k++) {
        struct vm *vm = vms[k];
        int st = vm_state(vm);
        if (st == VM_STATE_RUNNING || st == VM_STATE_SUSPENDED) {
            char up[24];
            fmt_time(up, sizeof(up), now - vm->start_ns);
            out("vm %u (%s): %s, up %s, %u reset%s\n", vm->id, vm->name, vm_state_name(st), up, vm->resets,
                vm->resets == 1 ? "" : "s");
        } else {
            out("vm %u (%s): %s\n", vm->id, vm->name, vm_state_name(st));
        }
        struct vcpu_snap snap[VM_MAX_VCPUS];
        unsigned n = snapshot_vcpus(vm, snap, VM_MAX_VCPUS);
        for (unsigned i = 0; i < n; i++)
            stats_vcpu(i, &snap[i]);
    }
    struct frame_stats fs;
    struct heap_stats hs;
    frame_stats(&fs);
    heap_stats(&hs);
    out("memory: %llu of %llu pages free (%llu used), %llu KiB free; heap %zu bytes in %zu allocations\n",
        (unsigned long long)fs.free_pages, (unsigned long long)fs.total_pages, (unsigned long long)fs.used_pages,
        (unsigned long long)(fs.free_pages * PAGE_SIZE >> 10), hs.in_use_bytes, hs.live_allocs);
    out("tasks: %u\n", task_count());
    uint64_t dropped = __atomic_load_n(&in.dropped, __ATOMIC_RELAXED);
    if (dropped)
        out("shell: %llu typed bytes dropped (typed faster than commands ran)\n", (unsigned long long)dropped);
}

static bool all_stopped(void)
{
    struct vm *vms[VM_MAX];
    unsigned n = vm_list(vms, VM_MAX);
    for (unsigned i = 0; i < n; i++) {
        int st = vm_state(vms[i]);
        if (st == VM_STATE_RUNNING || st == VM_STATE_SUSPENDED || st == VM_STATE_STOPPING ||
            st == VM_STATE_LOADING)
            return false;
    }
    return vm_running_count() == 0;
}

static void cmd_poweroff(struct shell_args *a)
{
    if (a->argc > 1) {
        out("poweroff: too many arguments\n");
        return;
    }
    struct vm *vms[VM_MAX];
    unsigned n = vm_list(vms, VM_MAX), asked = 0;
    for (unsigned i = 0; i < n; i++)
        if (vm_ctl_stop(vms[i], "machine powering off") == 0)
            asked++;
    out("poweroff: stopping %u VM%s\n", asked, asked == 1 ? "" : "s");
    uint64_t deadline = timer_now_ns() + WAIT_NS;
    while (!all_stopped() && timer_now_ns() < deadline)
        task_sleep_ns(WAIT_STEP_NS);
    if (!all_stopped())
        out("poweroff: some VMs did not stop within 10 s; powering off anyway\n");
    /* the init task's VM manager returns and powers the machine off */
    vm_manager_keep_alive(false);
    task_sleep_ns(POWEROFF_GRACE_NS);
    log_warn("poweroff: the VM manager did not finish; powering off from the shell");
    power_off();
}

static void cmd_help(struct shell_args *a);

struct cmd {
    const char *name;
    void (*fn)(struct shell_args *a);
};

static const struct cmd cmds[] = {
    {"help", cmd_help}, {"vm", cmd_vm},       {"ls", cmd_ls},
    {"cat", cmd_cat},   {"log", cmd_log},     {"stats", cmd_stats},
    {"poweroff", cmd_poweroff},
};

static const char help_text[] =
    "commands:\n"
    "  help                  this list\n"
    "  vm list               every VM: id, name, state, vCPUs, memory\n"
    "  vm show ID            a VM's configuration and vCPUs\n"
    "  vm create PATH.toml   create a VM from a config on the disk (not started)\n"
    "  vm start ID           start a loaded or stopped VM\n"
    "  vm stop ID            stop a running or suspended VM (frees its memory)\n"
    "  vm suspend ID         pause a running VM\n"
    "  vm resume ID          continue a suspended VM\n"
    "  vm restart ID         reset a running VM from its images (starts a stopped one)\n"
    "  vm delete ID          remove a stopped VM and its configuration\n"
    "  ls [PATH]             list a directory of the disk (default /)\n"
    "  cat PATH              show a text file of the disk (the first 16 KiB)\n"
    "  log level [LEVEL]     show or set the log level (error warn info debug trace)\n"
    "  stats                 run time and exits per VM and vCPU; memory in use\n"
    "  poweroff              stop every VM, then power the machine off\n"
    "keys: Ctrl-A 1..9 focus a VM, Ctrl-A 0 or h the hypervisor, Ctrl-A ? more\n";

static void cmd_help(struct shell_args *a)
{
    (void)a;
    ax_puts(help_text);
}

static void run_line(const char *line)
{
    struct shell_args a;
    int n = shell_split(line, &a);
    if (n == 0)
        return;
    if (!used) {
        /* from now on stopping the last VM leaves the machine up */
        used = true;
        vm_manager_keep_alive(true);
    }
    if (n < 0) {
        out("shell: %s\n", n == -AX_EINVAL ? "unterminated quote or trailing backslash"
                                           : "too many words (at most 8)");
        return;
    }
    for (unsigned i = 0; i < ARRAY_SIZE(cmds); i++) {
        if (strcmp(a.argv[0], cmds[i].name) == 0) {
            cmds[i].fn(&a);
            return;
        }
    }
    out("%.40s: unknown command (help lists them)\n", a.argv[0]);
}

/* ---- the task ---- */

static void prompt_if_focused(void)
{
    if (!vm_console_focus())
        show_prompt();
}

static void handle_byte(uint8_t c)
{
    if (!prompt_intact())
        show_prompt();
    switch (lineedit_feed(&le, c)) {
    case LINEEDIT_LINE:
        prompt_shown = false;
        run_line(lineedit_line(&le));
        prompt_if_focused();
        break;
    case LINEEDIT_CANCEL:
        prompt_shown = false;
        prompt_if_focused();
        break;
    case LINEEDIT_NONE:
        break;
    }
}

static void shell_task(void *arg)
{
    (void)arg;
    for (;;) {
        wait_event_deadline(&shell_wq, ring_pending(), timer_now_ns() + POLL_NS);
        screen_poll();
        uint8_t c;
        while (ring_pop(&c))
            handle_byte(c);
    }
}

static bool started;

/* The task shows the prompt at its next polls: the screen belongs to it. */
void shell_engage(void) { __atomic_store_n(&engaged, true, __ATOMIC_RELEASE); }

void shell_start(void)
{
    if (__atomic_exchange_n(&started, true, __ATOMIC_ACQ_REL))
        return;
    lineedit_init(&le, echo, NULL);
    prev_break_hook = log_line_break_hook;
    __atomic_store_n(&log_line_break_hook, shell_line_break, __ATOMIC_RELEASE);
    if (!task_spawn("shell", shell_task, NULL, 0)) {
        __atomic_store_n(&log_line_break_hook, prev_break_hook, __ATOMIC_RELEASE);
        log_warn("shell: cannot create its task; there is no shell");
        return;
    }
    console_mux_set_hv_input(shell_input);
}
