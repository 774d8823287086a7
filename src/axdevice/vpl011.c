/* The emulated PL011 UART (device type 0x2 on aarch64): the register model
 * (see ax/vpl011.h for what it emulates and why), then its device-bus glue,
 * which sends transmitted bytes to the VM's console and the interrupt line
 * to the VM's interrupt controller. */
#include "ax/vpl011.h"
#include "ax/devbus.h"
#include "ax/format.h"
#include "ax/heap.h"
#include "ax/spinlock.h"
#include "ax/string.h"
#include "ax/vm_console.h"

/* PL011 r1p1 as Linux's AMBA bus and QEMU identify it; then the PrimeCell ID. */
static const uint8_t pl011_id[8] = {0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};

/* RX trigger points of UARTIFLS, in eighths of the FIFO; the reserved
 * encodings behave as the highest one. */
static const uint8_t ifls_eighths[5] = {1, 2, 4, 6, 7};

#define RESET_CR (VPL011_CR_UARTEN | VPL011_CR_TXE | VPL011_CR_RXE)
#define RESET_LCRH (VPL011_LCRH_WLEN8 | VPL011_LCRH_FEN)
#define RESET_IFLS 0x12 /* both trigger points at half full */
#define RESET_IBRD 13   /* 24 MHz / (16 * 115200) = 13.02 */
#define RESET_FBRD 1

/* ---- the model ---- */

static void update_irq(struct vpl011 *u)
{
    uint32_t mis = u->ris & u->imsc;
    if (mis == u->mis_seen)
        return;
    u->mis_seen = mis;
    if (u->set_irq)
        u->set_irq(u->ctx, mis != 0);
}

static unsigned rx_capacity(const struct vpl011 *u)
{
    return (u->lcr_h & VPL011_LCRH_FEN) ? VPL011_FIFO_DEPTH : 1;
}

static unsigned rx_trigger(const struct vpl011 *u)
{
    if (!(u->lcr_h & VPL011_LCRH_FEN))
        return 1;
    unsigned sel = (u->ifls >> 3) & 7;
    if (sel >= ARRAY_SIZE(ifls_eighths))
        sel = ARRAY_SIZE(ifls_eighths) - 1;
    return VPL011_FIFO_DEPTH * ifls_eighths[sel] / 8;
}

bool vpl011_rx_enabled(const struct vpl011 *u)
{
    return (u->cr & (VPL011_CR_UARTEN | VPL011_CR_RXE)) == (VPL011_CR_UARTEN | VPL011_CR_RXE);
}

unsigned vpl011_rx_room(const struct vpl011 *u)
{
    unsigned cap = rx_capacity(u);
    return u->rx_count >= cap ? 0 : cap - u->rx_count;
}

bool vpl011_irq_level(const struct vpl011 *u) { return (u->ris & u->imsc) != 0; }

bool vpl011_rx_push(struct vpl011 *u, uint8_t c)
{
    if (!vpl011_rx_enabled(u)) {
        u->stats.rx_dropped++;
        return false;
    }
    if (u->rx_count >= rx_capacity(u)) {
        /* the byte in the shift register is lost; the newest FIFO entry
         * carries the mark, so a reader sees where the gap is */
        u->stats.rx_overruns++;
        u->rsr |= VPL011_RSR_OE;
        if (u->rx_count > 0)
            u->rx_fifo[(u->rx_head + u->rx_count - 1) % VPL011_FIFO_DEPTH] |= VPL011_DR_OE;
        u->ris |= VPL011_INT_OE;
        update_irq(u);
        return false;
    }
    u->rx_fifo[(u->rx_head + u->rx_count) % VPL011_FIFO_DEPTH] = c;
    u->rx_count++;
    u->stats.rx++;
    if (u->rx_count >= rx_trigger(u))
        u->ris |= VPL011_INT_RX;
    u->ris |= VPL011_INT_RT;
    update_irq(u);
    return true;
}

static uint32_t rx_pop(struct vpl011 *u)
{
    if (u->rx_count == 0)
        return 0;
    uint32_t v = u->rx_fifo[u->rx_head];
    u->rx_head = (u->rx_head + 1) % VPL011_FIFO_DEPTH;
    u->rx_count--;
    /* RSR reports the error bits of the character just read; OE stays
     * until the guest writes UARTECR */
    u->rsr |= (v >> 8) & 0x7;
    if (u->rx_count < rx_trigger(u))
        u->ris &= ~VPL011_INT_RX;
    if (u->rx_count == 0)
        u->ris &= ~VPL011_INT_RT;
    update_irq(u);
    return v;
}

static void transmit(struct vpl011 *u, uint8_t c)
{
    if ((u->cr & (VPL011_CR_UARTEN | VPL011_CR_TXE)) != (VPL011_CR_UARTEN | VPL011_CR_TXE)) {
        u->stats.tx_dropped++;
        return;
    }
    if (u->cr & VPL011_CR_LBE) {
        vpl011_rx_push(u, c);
    } else {
        u->stats.tx++;
        if (u->tx)
            u->tx(u->ctx, c);
    }
    u->ris |= VPL011_INT_TX;
    update_irq(u);
}

static uint32_t flags(const struct vpl011 *u)
{
    /* a terminal is always attached: clear to send, data set ready, carrier */
    uint32_t fr = VPL011_FR_TXFE | VPL011_FR_CTS | VPL011_FR_DSR | VPL011_FR_DCD;
    if (u->rx_count == 0)
        fr |= VPL011_FR_RXFE;
    if (vpl011_rx_room(u) == 0)
        fr |= VPL011_FR_RXFF;
    return fr;
}

uint32_t vpl011_reg_peek(const struct vpl011 *u, uint32_t off)
{
    switch (off) {
    case VPL011_DR: return u->rx_count ? u->rx_fifo[u->rx_head] : 0;
    case VPL011_RSR: return u->rsr & 0xf;
    case VPL011_FR: return flags(u);
    case VPL011_ILPR: return u->ilpr;
    case VPL011_IBRD: return u->ibrd;
    case VPL011_FBRD: return u->fbrd;
    case VPL011_LCR_H: return u->lcr_h;
    case VPL011_CR: return u->cr;
    case VPL011_IFLS: return u->ifls;
    case VPL011_IMSC: return u->imsc;
    case VPL011_RIS: return u->ris;
    case VPL011_MIS: return u->ris & u->imsc;
    case VPL011_DMACR: return u->dmacr;
    default:
        if (off >= VPL011_PERIPHID0 && off < VPL011_WINDOW && (off & 3) == 0)
            return pl011_id[(off - VPL011_PERIPHID0) / 4];
        return 0;
    }
}

uint32_t vpl011_reg_read(struct vpl011 *u, uint32_t off)
{
    if (off == VPL011_DR)
        return rx_pop(u);
    return vpl011_reg_peek(u, off);
}

void vpl011_reg_write(struct vpl011 *u, uint32_t off, uint32_t val)
{
    switch (off) {
    case VPL011_DR: transmit(u, (uint8_t)val); break;
    case VPL011_RSR: u->rsr = 0; break; /* UARTECR: any write clears */
    case VPL011_ILPR: u->ilpr = val & 0xff; break;
    case VPL011_IBRD: u->ibrd = val & 0xffff; break;
    case VPL011_FBRD: u->fbrd = val & 0x3f; break;
    case VPL011_LCR_H: u->lcr_h = val & 0xff; break;
    case VPL011_CR: u->cr = val & 0xff87; break; /* bits 6:3 are reserved */
    case VPL011_IFLS: u->ifls = val & 0x3f; break;
    case VPL011_IMSC:
        u->imsc = val & VPL011_INT_ALL;
        update_irq(u);
        break;
    case VPL011_ICR:
        u->ris &= ~(val & VPL011_INT_ALL);
        update_irq(u);
        break;
    case VPL011_DMACR: u->dmacr = val & 0x7; break;
    default: break; /* FR, RIS, MIS, the IDs: read-only */
    }
}

void vpl011_reset(struct vpl011 *u)
{
    u->rx_head = u->rx_count = 0;
    u->rsr = u->ilpr = u->dmacr = 0;
    u->ibrd = RESET_IBRD;
    u->fbrd = RESET_FBRD;
    u->lcr_h = RESET_LCRH;
    u->cr = RESET_CR;
    u->ifls = RESET_IFLS;
    u->imsc = u->ris = 0;
    update_irq(u);
}

void vpl011_init(struct vpl011 *u, vpl011_tx_fn tx, vpl011_irq_fn set_irq, void *ctx)
{
    memset(u, 0, sizeof(*u));
    u->tx = tx;
    u->set_irq = set_irq;
    u->ctx = ctx;
    vpl011_reset(u);
}

/* ---- device-bus glue ---- */

/* vCPUs of the VM and the console multiplexer reach the model concurrently.
 * The callbacks run under the lock, so the order of interrupt-level reports
 * always matches the order of the changes. Lock order: this lock, then the
 * VM's console lock (output) or interrupt controller lock (set_irq). */
struct vpl011_dev {
    struct vpl011 m;
    spinlock_t lock;
};

static void dev_tx(void *ctx, uint8_t c)
{
    struct emu_dev *d = ctx;
    if (d->vm)
        vm_console_uart_putc(d->vm, (char)c);
}

static void dev_set_irq(void *ctx, bool level)
{
    struct emu_dev *d = ctx;
    if (d->vm)
        vm_irq_set_level(d->vm, d->irq, level);
}

/* Accesses of 1, 2 or 4 bytes. Reads may address any byte of a register and
 * have side effects only when they include its lowest byte; writes must
 * start at the register (a narrower write stores the value zero-extended,
 * as Linux's 8- and 16-bit accessors expect). */
static bool access_ok(uint64_t off, unsigned width)
{
    if (width != 1 && width != 2 && width != 4)
        return false;
    return off < VPL011_WINDOW && (off & 3) + width <= 4;
}

static int vpl011_mmio_read(struct emu_dev *d, uint64_t off, unsigned width, uint64_t *val)
{
    struct vpl011_dev *p = d->priv;
    if (off >= VPL011_WINDOW && width <= 8) {
        *val = 0; /* the rest of a larger window reads as zero */
        return 0;
    }
    if (!access_ok(off, width))
        return -AX_EINVAL;
    uint32_t reg = (uint32_t)off & ~3u, shift = ((uint32_t)off & 3) * 8;
    unsigned long f = spin_lock_irqsave(&p->lock);
    uint32_t v = shift ? vpl011_reg_peek(&p->m, reg) : vpl011_reg_read(&p->m, reg);
    spin_unlock_irqrestore(&p->lock, f);
    v >>= shift;
    if (width < 4)
        v &= (1u << (8 * width)) - 1;
    *val = v;
    return 0;
}

static int vpl011_mmio_write(struct emu_dev *d, uint64_t off, unsigned width, uint64_t val)
{
    struct vpl011_dev *p = d->priv;
    if (off >= VPL011_WINDOW && width <= 8)
        return 0;
    if (!access_ok(off, width) || (off & 3))
        return -AX_EINVAL;
    uint32_t v = (uint32_t)val;
    if (width < 4)
        v &= (1u << (8 * width)) - 1;
    unsigned long f = spin_lock_irqsave(&p->lock);
    vpl011_reg_write(&p->m, (uint32_t)off, v);
    spin_unlock_irqrestore(&p->lock, f);
    return 0;
}

static const struct emu_dev_ops vpl011_ops = {.read = vpl011_mmio_read, .write = vpl011_mmio_write};

bool vpl011_dev_is(const struct emu_dev *dev) { return dev && dev->ops == &vpl011_ops; }

bool vpl011_dev_input(struct emu_dev *dev, uint8_t c)
{
    if (!vpl011_dev_is(dev))
        return false;
    struct vpl011_dev *p = dev->priv;
    unsigned long f = spin_lock_irqsave(&p->lock);
    bool taken = true;
    if (vpl011_rx_enabled(&p->m)) {
        if (vpl011_rx_room(&p->m) > 0)
            vpl011_rx_push(&p->m, c);
        else
            taken = false;
    } else {
        vpl011_rx_push(&p->m, c); /* counted as dropped */
    }
    spin_unlock_irqrestore(&p->lock, f);
    return taken;
}

bool vpl011_dev_stats(struct emu_dev *dev, struct vpl011_stats *out)
{
    if (!vpl011_dev_is(dev))
        return false;
    struct vpl011_dev *p = dev->priv;
    unsigned long f = spin_lock_irqsave(&p->lock);
    *out = p->m.stats;
    spin_unlock_irqrestore(&p->lock, f);
    return true;
}

struct emu_dev *vpl011_create(uint64_t base, uint64_t size, uint32_t irq, char *err, size_t errlen)
{
    if (size < VPL011_WINDOW) {
        ax_snprintf(err, errlen, "pl011: window size %#llx, needs %#x", (unsigned long long)size, VPL011_WINDOW);
        return NULL;
    }
    struct emu_dev *d = kzalloc(sizeof(*d));
    struct vpl011_dev *p = kzalloc(sizeof(*p));
    if (!d || !p) {
        kfree(d);
        kfree(p);
        ax_snprintf(err, errlen, "pl011: out of memory");
        return NULL;
    }
    memcpy(d->name, "pl011", 6);
    d->base = base;
    d->size = size;
    d->irq = irq;
    d->ops = &vpl011_ops;
    d->priv = p;
    vpl011_init(&p->m, dev_tx, dev_set_irq, d);
    return d;
}
