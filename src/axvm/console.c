/* axvm console: guest output on the shared console, host input to a VM's
 * console UART, and the console focus (see ax/vm_console.h).
 *
 * Output of VMs without the focus is collected a line at a time and printed
 * whole with a "[vmID name] " prefix, so VMs never interleave inside a line.
 * The focused VM's UART bytes are printed the moment the guest writes them:
 * a shell prompt has no newline, and line editing sends escape sequences.
 * Its hypercall console output stays prefixed and line-buffered: that
 * channel carries whole lines by design (the guest kit's PASS lines).
 *
 * Locks, in the order they may nest: vm->con_dev_lock (input), the UART
 * model's lock, vm->con_lock (the line buffer), the log's console lock. */
#include "ax/log.h"
#include "ax/vm.h"
#include "ax/vuart16550.h"
#include "ax/vpl011.h"

static struct vm *focus;
static bool focus_chosen; /* someone set the focus: no more automatic choice */
static spinlock_t focus_lock = SPINLOCK_INIT;
static bool raw_mid_line; /* the last raw byte printed was not a newline */

bool vm_console_end_raw_line(void) { return __atomic_exchange_n(&raw_mid_line, false, __ATOMIC_ACQ_REL); }

struct vm *vm_console_focus(void) { return __atomic_load_n(&focus, __ATOMIC_ACQUIRE); }

/* ---- output ---- */

static void flush_locked(struct vm *vm)
{
    if (!vm->con_len)
        return;
    vm->con_line[vm->con_len] = 0;
    ax_printf("%s[vm%u %s] %s\n", vm_console_end_raw_line() ? "\n" : "", vm->id, vm->name, vm->con_line);
    vm->con_len = 0;
}

void vm_console_flush(struct vm *vm)
{
    unsigned long f = spin_lock_irqsave(&vm->con_lock);
    flush_locked(vm);
    spin_unlock_irqrestore(&vm->con_lock, f);
}

void vm_console_putc(struct vm *vm, char c)
{
    if (c == '\r')
        return;
    unsigned long f = spin_lock_irqsave(&vm->con_lock);
    if (c == '\n') {
        flush_locked(vm);
    } else {
        /* a guest's bytes are shown as they are, except control characters
         * that could repaint the hypervisor's terminal */
        if ((unsigned char)c < 0x20 && c != '\t')
            c = '?';
        vm->con_line[vm->con_len++] = c;
        if (vm->con_len >= sizeof(vm->con_line) - 1)
            flush_locked(vm);
    }
    spin_unlock_irqrestore(&vm->con_lock, f);
}

void vm_console_uart_putc(struct vm *vm, char c)
{
    if (vm_console_focus() != vm) {
        vm_console_putc(vm, c);
        return;
    }
    unsigned long f = spin_lock_irqsave(&vm->con_lock);
    flush_locked(vm); /* what it wrote before it had the focus comes first */
    ax_printf("%c", c);
    __atomic_store_n(&raw_mid_line, c != '\n', __ATOMIC_RELEASE);
    spin_unlock_irqrestore(&vm->con_lock, f);
}

/* ---- focus ---- */

void vm_console_set_focus(struct vm *vm)
{
    unsigned long f = spin_lock_irqsave(&focus_lock);
    focus_chosen = true;
    struct vm *old = focus;
    __atomic_store_n(&focus, vm, __ATOMIC_RELEASE);
    spin_unlock_irqrestore(&focus_lock, f);
    /* a prompt it printed while in the background would otherwise wait
     * for its next output */
    if (vm && vm != old)
        vm_console_flush(vm);
}

/* ---- input ---- */

bool vm_console_has_uart(struct vm *vm)
{
    for (unsigned i = 0; i < vm->cfg->emu_num; i++)
        if (vm->cfg->emu_devices[i].type == EMU_CONSOLE)
            return true;
    return false;
}

bool vm_console_input(struct vm *vm, char c)
{
    unsigned long f = spin_lock_irqsave(&vm->con_dev_lock);
    /* each model checks that the device is its own */
    bool taken = vm->con_dev && (vpl011_dev_input(vm->con_dev, (uint8_t)c) ||
                                 vuart16550_dev_input(vm->con_dev, (uint8_t)c));
    spin_unlock_irqrestore(&vm->con_dev_lock, f);
    return taken;
}

void vm_console_attach(struct vm *vm)
{
    struct emu_dev *dev = NULL;
    for (unsigned i = 0; i < vm->bus.count && !dev; i++)
        if (vm->bus.devs[i]->type == EMU_CONSOLE)
            dev = vm->bus.devs[i];
    unsigned long f = spin_lock_irqsave(&vm->con_dev_lock);
    vm->con_dev = dev;
    spin_unlock_irqrestore(&vm->con_dev_lock, f);
    if (!dev)
        return;
    f = spin_lock_irqsave(&focus_lock);
    if (!focus_chosen && !focus) {
        __atomic_store_n(&focus, vm, __ATOMIC_RELEASE);
        focus_chosen = true;
    }
    spin_unlock_irqrestore(&focus_lock, f);
}

void vm_console_detach(struct vm *vm)
{
    unsigned long f = spin_lock_irqsave(&vm->con_dev_lock);
    vm->con_dev = NULL;
    spin_unlock_irqrestore(&vm->con_dev_lock, f);
}
