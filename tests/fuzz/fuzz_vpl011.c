/* libFuzzer harness for the emulated PL011 (src/axdevice/vpl011.c): a guest
 * controls every register access and the host side pushes input, so the
 * input is a script of MMIO reads and writes (any offset and width) and
 * host input bytes, run through the device-bus ops. After every step the
 * model's invariants are checked against a shadow of what it reported:
 * the FIFO count stays in bounds, FR agrees with it, and the last interrupt
 * level it reported equals MIS != 0. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ax/devbus.h"
#include "ax/heap.h"
#include "ax/vm_console.h"
#include "ax/vpl011.h"

struct vm {
    int dummy;
};
static struct vm fake_vm;
static int reported_level = 0;
static uint64_t tx_bytes;

void vm_console_uart_putc(struct vm *vm, char c)
{
    (void)c;
    if (vm != &fake_vm)
        abort();
    tx_bytes++;
}

void vm_irq_set_level(struct vm *vm, uint32_t intid, bool level)
{
    if (vm != &fake_vm || intid != 33)
        abort();
    reported_level = level;
}

void *kzalloc(size_t size) { return calloc(1, size); }
void kfree(void *p) { free(p); }

static void check(struct emu_dev *d)
{
    /* the model's state is reachable only through its public registers */
    uint64_t fr = 0, ris = 0, imsc = 0, mis = 0;
    d->ops->read(d, VPL011_FR, 4, &fr);
    d->ops->read(d, VPL011_RIS, 4, &ris);
    d->ops->read(d, VPL011_IMSC, 4, &imsc);
    d->ops->read(d, VPL011_MIS, 4, &mis);
    if (mis != (ris & imsc) || (ris & ~(uint64_t)VPL011_INT_ALL))
        abort();
    if (reported_level != (mis != 0))
        abort();
    if (!(fr & VPL011_FR_TXFE) || (fr & (VPL011_FR_TXFF | VPL011_FR_BUSY)))
        abort();
    if ((fr & VPL011_FR_RXFE) && (fr & VPL011_FR_RXFF))
        abort(); /* empty and full at once */
    struct vpl011_stats st;
    if (!vpl011_dev_stats(d, &st) || st.tx != tx_bytes)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[64];
    struct emu_dev *d = vpl011_create(0x9000000, 0x2000, 33, err, sizeof(err));
    if (!d)
        abort();
    d->vm = &fake_vm;
    reported_level = 0;
    tx_bytes = 0;
    size_t i = 0;
    while (i < size) {
        uint8_t op = data[i++];
        uint16_t off = 0;
        if (i + 1 < size) {
            off = (uint16_t)(data[i] | data[i + 1] << 8) % 0x2000;
            i += 2;
        }
        if (op & 0x20)
            off &= 0x7f; /* mostly the registers that do something */
        unsigned width = 1u << (op >> 6); /* 1, 2, 4, 8 */
        uint64_t v = 0;
        switch (op & 3) {
        case 0:
            d->ops->read(d, off, width, &v);
            break;
        case 1: /* write a register with the next byte as its value */
            v = i < size ? data[i++] : 0;
            if (op & 4)
                v |= (uint64_t)(i < size ? data[i++] : 0) << 8;
            d->ops->write(d, off, width, v);
            break;
        case 2: /* host input */
            vpl011_dev_input(d, (uint8_t)off);
            break;
        case 3: /* a burst of input, as a paste */
            for (unsigned k = 0; k < (off & 63u); k++)
                vpl011_dev_input(d, (uint8_t)k);
            break;
        }
        check(d);
    }
    free(d->priv);
    free(d);
    return 0;
}
