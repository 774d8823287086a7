/* libFuzzer harness for the guest-facing register models of riscv64's
 * interrupt path: the vPLIC and the 16550. The input is a sequence of
 * register accesses and line changes; the models must never crash, and
 * the vPLIC's outputs must match what a claim would return. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ax/vplic.h"
#include "ax/vuart16550.h"

/* what the 16550's device-bus glue links against */
struct vm;
void *kzalloc(size_t size);
void kfree(void *p);
void vm_console_uart_putc(struct vm *vm, char c);
void vm_irq_set_level(struct vm *vm, uint32_t intid, bool level);
void *kzalloc(size_t size) { return calloc(1, size); }
void kfree(void *p) { free(p); }
void vm_console_uart_putc(struct vm *vm, char c) { (void)vm; (void)c; }
void vm_irq_set_level(struct vm *vm, uint32_t intid, bool level) { (void)vm; (void)intid; (void)level; }

static uint8_t outputs;

static void notify(void *arg, unsigned ctx, bool level)
{
    (void)arg;
    if (ctx >= VPLIC_MAX_CTX || (bool)(outputs >> ctx & 1) == level)
        abort(); /* out of range, or reported without a change */
    outputs ^= (uint8_t)(1u << ctx);
}

static void tx(void *ctx, char c)
{
    (void)ctx;
    (void)c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vplic p;
    struct vuart16550 u;
    outputs = 0;
    if (size < 2)
        return 0;
    if (vplic_init(&p, 2 + data[0] % (VPLIC_MAX_SRC - 1), 1 + data[1] % VPLIC_MAX_CTX, notify, NULL))
        abort();
    vuart16550_init(&u, tx, NULL);
    for (size_t i = 2; i + 8 <= size; i += 8) {
        const uint8_t *op = data + i;
        uint32_t val;
        memcpy(&val, op + 4, 4);
        /* offsets biased towards the register blocks */
        static const uint64_t bases[4] = {VPLIC_PRIORITY, VPLIC_PENDING, VPLIC_ENABLE, VPLIC_CONTEXT};
        uint64_t off = bases[op[1] & 3] + ((uint64_t)op[2] << 8 | op[3]) * 4 % 0x2000;
        if (op[1] & 0x80)
            off = ((uint64_t)op[2] << 16 | (uint64_t)op[3] << 8 | op[4]) << 2;
        unsigned width = 1u << (op[1] >> 2 & 3);
        switch (op[0] % 6) {
        case 0: (void)vplic_read(&p, off, width); break;
        case 1: vplic_write(&p, off, width, val); break;
        case 2: vplic_set_level(&p, op[2], op[3] & 1); break;
        case 3: (void)vuart16550_read(&u, op[2] & 15); break;
        case 4: vuart16550_write(&u, op[2] & 15, op[3]); break;
        default: (void)vuart16550_receive(&u, op[2]); break;
        }
        for (unsigned c = 0; c < p.nctx; c++) {
            if (vplic_output(&p, c) != (bool)(outputs >> c & 1))
                abort();
        }
        if (u.rx_count > VUART_RX_FIFO || u.rx_head >= VUART_RX_FIFO)
            abort();
    }
    /* an asserted output means a claim yields a source, and vice versa */
    for (unsigned c = 0; c < p.nctx; c++) {
        bool on = vplic_output(&p, c);
        uint32_t s = vplic_read(&p, VPLIC_CONTEXT + VPLIC_CONTEXT_STRIDE * c + 4, 4);
        if (on != (s != 0) || s >= p.nsrc)
            abort();
        if (s)
            vplic_write(&p, VPLIC_CONTEXT + VPLIC_CONTEXT_STRIDE * c + 4, 4, s);
    }
    return 0;
}
