/* The console multiplexer's task: polls the UART, lets console_mux.c decide
 * what each byte means, and carries that out (input to the focused VM's
 * UART or the hypervisor's shell, focus changes, help). */
#include "ax/axhal.h"
#include "ax/console_mux.h"
#include "ax/log.h"
#include "ax/task.h"
#include "ax/vm.h"

#define POLL_NS 5000000ULL  /* 5 ms: well below what a typist notices */
#define HOLD_NS 2000000000ULL /* how long a byte waits for room in a guest FIFO: a slow guest under TCG can take a while */
#define READ_BUDGET 64      /* bytes per poll, so a flood cannot hog a CPU */

static struct console_mux mux;
static bool started;
static void (*hv_input)(char c);

/* A byte the focused VM had no room for. While it waits, the UART is not
 * read, which keeps the rest of a paste in order (QEMU and the UART's own
 * FIFO hold it). A guest that does not read at all must not block the
 * escape key for long: after HOLD_NS the byte is dropped and the VM marked
 * stalled, and bytes for a stalled VM are dropped at once until it takes one
 * again. */
static struct {
    bool held;
    char c;
    struct vm *vm;
    uint64_t deadline;
} hold;
static struct vm *stalled;
static uint64_t dropped;

void console_mux_set_hv_input(void (*fn)(char c)) { __atomic_store_n(&hv_input, fn, __ATOMIC_RELEASE); }

static void deliver(char c)
{
    struct vm *vm = vm_console_focus();
    if (!vm) {
        void (*fn)(char) = __atomic_load_n(&hv_input, __ATOMIC_ACQUIRE);
        if (fn)
            fn(c);
        return;
    }
    if (vm_console_input(vm, c)) {
        if (stalled == vm)
            stalled = NULL;
        return;
    }
    if (stalled == vm || !vm_console_has_uart(vm)) {
        dropped++;
        return;
    }
    hold.held = true;
    hold.c = c;
    hold.vm = vm;
    hold.deadline = timer_now_ns() + HOLD_NS;
}

/* True when the UART may be read again. */
static bool retry_hold(void)
{
    if (!hold.held)
        return true;
    struct vm *f = vm_console_focus();
    if (hold.vm == f) { /* else the focus moved on: the byte was not for the new one */
        if (vm_console_input(f, hold.c)) {
            hold.held = false;
            return true;
        }
        if (timer_now_ns() < hold.deadline)
            return false;
        stalled = f;
    }
    hold.held = false;
    dropped++;
    return true;
}

static const char *line_start(void) { return vm_console_end_raw_line() ? "\n" : ""; }

static void announce(struct vm *vm)
{
    if (!vm) {
        ax_printf("%s[console: hypervisor]\n", line_start());
        return;
    }
    bool running = __atomic_load_n(&vm->state, __ATOMIC_ACQUIRE) == VM_STATE_RUNNING;
    ax_printf("%s[console: vm%u %s%s%s%s]\n", line_start(), vm->id, vm->name,
              running ? "" : " (", running ? "" : vm_state_name(vm->state), running ? "" : ")");
    if (!vm_console_has_uart(vm))
        ax_printf("[console: vm%u has no console UART; what you type is discarded]\n", vm->id);
}

static void help(void)
{
    struct vm *vms[VM_MAX];
    unsigned n = vm_list(vms, VM_MAX);
    struct vm *f = vm_console_focus();
    ax_printf("%s[console: keys]\n%s", line_start(), console_mux_help);
    for (unsigned i = 0; i < n; i++)
        ax_printf(" %c %u: vm%u %s, %s%s\n", vms[i] == f ? '*' : ' ', i + 1, vms[i]->id, vms[i]->name,
                  vm_state_name(vms[i]->state), vm_console_has_uart(vms[i]) ? "" : ", no console UART");
    ax_printf(" %c 0: hypervisor\n", f ? ' ' : '*');
    if (dropped)
        ax_printf("   (%llu typed bytes dropped: the VM did not read them)\n", (unsigned long long)dropped);
}

static void change_focus(struct console_mux_action a)
{
    struct vm *vms[VM_MAX];
    unsigned n = vm_list(vms, VM_MAX);
    struct vm *cur = vm_console_focus();
    int ci = CONSOLE_MUX_HV;
    for (unsigned i = 0; i < n; i++)
        if (vms[i] == cur)
            ci = (int)i;
    int t = console_mux_target(a, ci, n);
    if (t == CONSOLE_MUX_INVALID) {
        ax_printf("%s[console: no VM #%u; Ctrl-A ? lists them]\n", line_start(), a.nth);
        return;
    }
    struct vm *vm = t == CONSOLE_MUX_HV ? NULL : vms[t];
    vm_console_set_focus(vm);
    announce(vm);
}

static void perform(struct console_mux_action a)
{
    switch (a.act) {
    case MUX_ACT_NONE:
        return;
    case MUX_ACT_INPUT:
        deliver((char)a.byte);
        return;
    case MUX_ACT_HELP:
        help();
        return;
    case MUX_ACT_UNKNOWN:
        if (a.byte > 0x20 && a.byte < 0x7f)
            ax_printf("%s[console: Ctrl-A %c is no command; Ctrl-A ? for help]\n", line_start(), a.byte);
        else
            ax_printf("%s[console: Ctrl-A %#x is no command; Ctrl-A ? for help]\n", line_start(), a.byte);
        return;
    case MUX_ACT_FOCUS_NTH:
    case MUX_ACT_FOCUS_NEXT:
    case MUX_ACT_FOCUS_HV:
        change_focus(a);
        return;
    }
}

static void mux_task(void *arg)
{
    (void)arg;
    for (;;) {
        task_sleep_ns(POLL_NS);
        if (!retry_hold())
            continue;
        for (unsigned n = 0; n < READ_BUDGET && !hold.held; n++) {
            int c = console_getc();
            if (c < 0)
                break;
            perform(console_mux_feed(&mux, (uint8_t)c));
        }
    }
}

void console_mux_start(void)
{
    if (__atomic_exchange_n(&started, true, __ATOMIC_ACQ_REL))
        return;
    console_mux_init(&mux);
    if (!task_spawn("console", mux_task, NULL, 0)) {
        log_warn("console: cannot start the input task; typing has no effect");
        return;
    }
    struct vm *f = vm_console_focus();
    if (f)
        log_info("console: input goes to vm%u (%s); Ctrl-A ? for help", f->id, f->name);
    else
        log_info("console: input goes to the hypervisor; Ctrl-A ? for help");
}

void hv_vm_starting(struct vm *vm)
{
    (void)vm;
    console_mux_start();
}
