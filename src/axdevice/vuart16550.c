/* An emulated 16550 UART; the register model is in ax/vuart16550.h. */
#include "ax/vuart16550.h"
#include "ax/devbus.h"
#include "ax/format.h"
#include "ax/heap.h"
#include "ax/spinlock.h"
#include "ax/string.h"
#include "ax/vm_console.h"

void vuart16550_init(struct vuart16550 *u, void (*tx)(void *ctx, char c), void *ctx)
{
    memset(u, 0, sizeof(*u));
    u->tx = tx;
    u->ctx = ctx;
}

static bool rx_ready(const struct vuart16550 *u)
{
    return u->rx_count > 0;
}

static uint8_t iir(const struct vuart16550 *u)
{
    uint8_t fifo = (u->fcr & VUART_FCR_ENABLE) ? 0xc0 : 0;
    if ((u->ier & VUART_IER_ERBFI) && rx_ready(u))
        return fifo | VUART_IIR_RDA;
    if ((u->ier & VUART_IER_ETBEI) && u->thre_pending)
        return fifo | VUART_IIR_THRE;
    return fifo | VUART_IIR_NONE;
}

bool vuart16550_irq_level(const struct vuart16550 *u)
{
    return !(iir(u) & VUART_IIR_NONE);
}

bool vuart16550_receive(struct vuart16550 *u, uint8_t c)
{
    if (u->rx_count >= VUART_RX_FIFO)
        return false;
    u->rx[(u->rx_head + u->rx_count) % VUART_RX_FIFO] = c;
    u->rx_count++;
    return true;
}

static uint8_t rx_pop(struct vuart16550 *u)
{
    if (!rx_ready(u))
        return 0;
    uint8_t c = u->rx[u->rx_head];
    u->rx_head = (u->rx_head + 1) % VUART_RX_FIFO;
    u->rx_count--;
    return c;
}

uint8_t vuart16550_read(struct vuart16550 *u, uint64_t off)
{
    bool dlab = u->lcr & VUART_LCR_DLAB;
    switch (off) {
    case VUART_REG_RBR: return dlab ? u->dll : rx_pop(u);
    case VUART_REG_IER: return dlab ? u->dlm : u->ier;
    case VUART_REG_IIR: {
        uint8_t v = iir(u);
        /* reading IIR while it reports "THR empty" clears that source */
        if ((v & 0x0f) == VUART_IIR_THRE)
            u->thre_pending = false;
        return v;
    }
    case VUART_REG_LCR: return u->lcr;
    case VUART_REG_MCR: return u->mcr;
    case VUART_REG_LSR: return VUART_LSR_THRE | VUART_LSR_TEMT | (rx_ready(u) ? VUART_LSR_DR : 0);
    case VUART_REG_MSR: return 0xb0; /* DCD, DSR, CTS: a line that is always ready */
    case VUART_REG_SCR: return u->scr;
    default: return 0;
    }
}

void vuart16550_write(struct vuart16550 *u, uint64_t off, uint8_t val)
{
    bool dlab = u->lcr & VUART_LCR_DLAB;
    switch (off) {
    case VUART_REG_THR:
        if (dlab) {
            u->dll = val;
        } else {
            if (u->tx)
                u->tx(u->ctx, (char)val);
            /* sent at once: THR is empty again */
            u->thre_pending = true;
        }
        break;
    case VUART_REG_IER:
        if (dlab) {
            u->dlm = val;
        } else {
            /* enabling ETBEI with THR empty raises the interrupt */
            if ((val & VUART_IER_ETBEI) && !(u->ier & VUART_IER_ETBEI))
                u->thre_pending = true;
            u->ier = val & 0x0f;
        }
        break;
    case VUART_REG_FCR:
        u->fcr = val & 0xc9;
        if (val & VUART_FCR_CLEAR_RX)
            u->rx_head = u->rx_count = 0;
        break;
    case VUART_REG_LCR: u->lcr = val; break;
    case VUART_REG_MCR: u->mcr = val & 0x1f; break;
    case VUART_REG_SCR: u->scr = val; break;
    default: break; /* LSR, MSR are read-only; beyond 7 nothing */
    }
}

/* ---- device-bus glue ---- */

/* The device's interrupt line goes to the VM's interrupt controller
 * (vm_irq_set_level; lines of a VM without one go nowhere). */
struct vuart_dev {
    spinlock_t lock;
    struct vuart16550 m;
    bool irq_level;
};

static void console_tx(void *ctx, char c)
{
    struct emu_dev *d = ctx;
    if (d->vm)
        vm_console_uart_putc(d->vm, c);
}

/* With the device lock held: forward a change of the interrupt output. */
static void irq_update(struct emu_dev *d, struct vuart_dev *u)
{
    bool level = vuart16550_irq_level(&u->m);
    if (level == u->irq_level)
        return;
    u->irq_level = level;
    if (d->vm)
        vm_irq_set_level(d->vm, d->irq, level);
}

static int dev_read(struct emu_dev *d, uint64_t off, unsigned width, uint64_t *val)
{
    (void)width;
    struct vuart_dev *u = d->priv;
    unsigned long f = spin_lock_irqsave(&u->lock);
    *val = vuart16550_read(&u->m, off);
    irq_update(d, u);
    spin_unlock_irqrestore(&u->lock, f);
    return 0;
}

static int dev_write(struct emu_dev *d, uint64_t off, unsigned width, uint64_t val)
{
    (void)width;
    struct vuart_dev *u = d->priv;
    unsigned long f = spin_lock_irqsave(&u->lock);
    vuart16550_write(&u->m, off, (uint8_t)val);
    irq_update(d, u);
    spin_unlock_irqrestore(&u->lock, f);
    return 0;
}

static const struct emu_dev_ops vuart_ops = {.read = dev_read, .write = dev_write};

bool vuart16550_dev_input(struct emu_dev *d, uint8_t c)
{
    if (!d || d->ops != &vuart_ops)
        return false;
    struct vuart_dev *u = d->priv;
    unsigned long f = spin_lock_irqsave(&u->lock);
    bool taken = vuart16550_receive(&u->m, c);
    irq_update(d, u);
    spin_unlock_irqrestore(&u->lock, f);
    return taken;
}

struct emu_dev *vuart16550_create(uint64_t base, uint64_t size, uint32_t irq, char *err, size_t errlen)
{
    if (size < 8) {
        ax_snprintf(err, errlen, "16550: window size %#llx, needs at least 8 bytes", (unsigned long long)size);
        return NULL;
    }
    struct emu_dev *d = kzalloc(sizeof(*d));
    struct vuart_dev *u = kzalloc(sizeof(*u));
    if (!d || !u) {
        kfree(d);
        kfree(u);
        ax_snprintf(err, errlen, "16550: out of memory");
        return NULL;
    }
    u->lock = (spinlock_t)SPINLOCK_INIT;
    vuart16550_init(&u->m, console_tx, d);
    memcpy(d->name, "16550", 6);
    d->base = base;
    d->size = size;
    d->irq = irq;
    d->ops = &vuart_ops;
    d->priv = u;
    return d;
}
