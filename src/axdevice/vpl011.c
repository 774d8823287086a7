/* An emulated PL011 UART (device type 0x2 on aarch64): transmit goes to the
 * VM's console; the flag register always reports "TX empty, RX empty"; the
 * identification registers read as a real PL011 so Linux's AMBA bus binds
 * its driver. Other registers read as zero and ignore writes. */
#include "ax/devbus.h"
#include "ax/format.h"
#include "ax/heap.h"
#include "ax/string.h"
#include "ax/vm.h"

#define UARTDR 0x000
#define UARTFR 0x018
#define UARTCR 0x030
#define UARTIMSC 0x038
#define UARTRIS 0x03c
#define UARTMIS 0x040
#define FR_TXFE (1u << 7)
#define FR_RXFE (1u << 4)

struct vpl011 {
    uint32_t cr, imsc, lcr, ibrd, fbrd, ifls;
};

static const uint8_t pl011_id[8] = {0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};

static int vpl011_read(struct emu_dev *d, uint64_t off, unsigned width, uint64_t *val)
{
    struct vpl011 *u = d->priv;
    (void)width;
    switch (off) {
    case UARTFR: *val = FR_TXFE | FR_RXFE; break;
    case UARTCR: *val = u->cr; break;
    case UARTIMSC: *val = u->imsc; break;
    case 0x024: *val = u->ibrd; break;
    case 0x028: *val = u->fbrd; break;
    case 0x02c: *val = u->lcr; break;
    case 0x034: *val = u->ifls; break;
    default:
        if (off >= 0xfe0 && off < 0x1000 && (off & 3) == 0)
            *val = pl011_id[(off - 0xfe0) / 4];
        else
            *val = 0;
    }
    return 0;
}

static int vpl011_write(struct emu_dev *d, uint64_t off, unsigned width, uint64_t val)
{
    struct vpl011 *u = d->priv;
    (void)width;
    switch (off) {
    case UARTDR: vm_console_putc(d->vm, (char)(val & 0xff)); break;
    case UARTCR: u->cr = (uint32_t)val; break;
    case UARTIMSC: u->imsc = (uint32_t)val; break;
    case 0x024: u->ibrd = (uint32_t)val; break;
    case 0x028: u->fbrd = (uint32_t)val; break;
    case 0x02c: u->lcr = (uint32_t)val; break;
    case 0x034: u->ifls = (uint32_t)val; break;
    default: break;
    }
    return 0;
}

static const struct emu_dev_ops vpl011_ops = {.read = vpl011_read, .write = vpl011_write};

struct emu_dev *vpl011_create(uint64_t base, uint64_t size, uint32_t irq, char *err, size_t errlen)
{
    if (size < 0x1000) {
        ax_snprintf(err, errlen, "pl011: window size %#llx, needs 0x1000", (unsigned long long)size);
        return NULL;
    }
    struct emu_dev *d = kzalloc(sizeof(*d));
    struct vpl011 *u = kzalloc(sizeof(*u));
    if (!d || !u) {
        kfree(d);
        kfree(u);
        ax_snprintf(err, errlen, "pl011: out of memory");
        return NULL;
    }
    memcpy(d->name, "pl011", 6);
    d->base = base;
    d->size = size;
    d->irq = irq;
    d->ops = &vpl011_ops;
    d->priv = u;
    return d;
}
