/* Unit tests for the emulated 16550 UART: the register model and the
 * device-bus glue. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ax/devbus.h"
#include "ax/vuart16550.h"

/* ---- what the glue needs from the rest of the hypervisor ----------------- */

void *kzalloc(size_t size);
void kfree(void *p);
void *kzalloc(size_t size) { return calloc(1, size); }
void kfree(void *p) { free(p); }

static char out[64];
static size_t nout;

struct vm;
void vm_console_uart_putc(struct vm *vm, char c);
void vm_console_uart_putc(struct vm *vm, char c)
{
    assert_non_null(vm);
    if (nout < sizeof(out))
        out[nout++] = c;
}

static int irq_changes;
static bool irq_line;

void vm_irq_set_level(struct vm *vm, uint32_t intid, bool level);
void vm_irq_set_level(struct vm *vm, uint32_t intid, bool level)
{
    assert_non_null(vm);
    assert_int_equal(intid, 10);
    assert_int_not_equal(level, irq_line);
    irq_line = level;
    irq_changes++;
}

static void tx(void *ctx, char c)
{
    (void)ctx;
    if (nout < sizeof(out))
        out[nout++] = c;
}

static struct vuart16550 U;

static int setup(void **state)
{
    (void)state;
    nout = 0;
    vuart16550_init(&U, tx, NULL);
    return 0;
}

static void test_transmit_and_status(void **state)
{
    (void)state;
    /* always ready to send: THRE and TEMT */
    assert_int_equal(vuart16550_read(&U, VUART_REG_LSR) & 0x61, VUART_LSR_THRE | VUART_LSR_TEMT);
    vuart16550_write(&U, VUART_REG_THR, 'h');
    vuart16550_write(&U, VUART_REG_THR, 'i');
    assert_int_equal(nout, 2);
    assert_memory_equal(out, "hi", 2);
    assert_int_equal(vuart16550_read(&U, VUART_REG_IIR) & 0x0f, VUART_IIR_NONE);
    assert_false(vuart16550_irq_level(&U));
    /* scratch, line and modem control read back */
    vuart16550_write(&U, VUART_REG_SCR, 0x5a);
    assert_int_equal(vuart16550_read(&U, VUART_REG_SCR), 0x5a);
    vuart16550_write(&U, VUART_REG_LCR, 0x03);
    assert_int_equal(vuart16550_read(&U, VUART_REG_LCR), 0x03);
    vuart16550_write(&U, VUART_REG_MCR, 0xff);
    assert_int_equal(vuart16550_read(&U, VUART_REG_MCR), 0x1f);
    /* LSR and MSR are read-only; beyond the 8 registers nothing */
    vuart16550_write(&U, VUART_REG_LSR, 0);
    assert_true(vuart16550_read(&U, VUART_REG_LSR) & VUART_LSR_THRE);
    vuart16550_write(&U, 8, 0x77);
    assert_int_equal(vuart16550_read(&U, 8), 0);
    assert_int_equal(vuart16550_read(&U, 0xfff), 0);
}

static void test_divisor_latch(void **state)
{
    (void)state;
    vuart16550_write(&U, VUART_REG_IER, 0x01);
    vuart16550_write(&U, VUART_REG_LCR, VUART_LCR_DLAB | 0x03);
    vuart16550_write(&U, VUART_REG_DLL, 0x01);
    vuart16550_write(&U, VUART_REG_DLM, 0x02);
    assert_int_equal(vuart16550_read(&U, VUART_REG_DLL), 0x01);
    assert_int_equal(vuart16550_read(&U, VUART_REG_DLM), 0x02);
    assert_int_equal(nout, 0); /* a divisor write is not a byte sent */
    vuart16550_write(&U, VUART_REG_LCR, 0x03);
    assert_int_equal(vuart16550_read(&U, VUART_REG_IER), 0x01); /* untouched */
    vuart16550_write(&U, VUART_REG_THR, 'x');
    assert_int_equal(nout, 1);
}

static void test_receive_and_interrupts(void **state)
{
    (void)state;
    assert_int_equal(vuart16550_read(&U, VUART_REG_LSR) & VUART_LSR_DR, 0);
    assert_int_equal(vuart16550_read(&U, VUART_REG_RBR), 0);
    for (unsigned i = 0; i < VUART_RX_FIFO; i++)
        assert_true(vuart16550_receive(&U, (uint8_t)('a' + i)));
    assert_false(vuart16550_receive(&U, 'Z')); /* full: lost */
    assert_false(vuart16550_irq_level(&U));     /* not enabled */
    vuart16550_write(&U, VUART_REG_IER, VUART_IER_ERBFI);
    assert_true(vuart16550_irq_level(&U));
    assert_int_equal(vuart16550_read(&U, VUART_REG_IIR) & 0x0f, VUART_IIR_RDA);
    for (unsigned i = 0; i < VUART_RX_FIFO; i++) {
        assert_true(vuart16550_read(&U, VUART_REG_LSR) & VUART_LSR_DR);
        assert_int_equal(vuart16550_read(&U, VUART_REG_RBR), 'a' + i);
    }
    assert_false(vuart16550_irq_level(&U));
    /* THR-empty interrupt: raised by enabling it, cleared by reading IIR */
    vuart16550_write(&U, VUART_REG_IER, VUART_IER_ETBEI);
    assert_true(vuart16550_irq_level(&U));
    assert_int_equal(vuart16550_read(&U, VUART_REG_IIR) & 0x0f, VUART_IIR_THRE);
    assert_false(vuart16550_irq_level(&U));
    vuart16550_write(&U, VUART_REG_THR, '!');
    assert_true(vuart16550_irq_level(&U));
    /* FIFO control: enabled FIFOs show in IIR, clearing RX empties it */
    vuart16550_write(&U, VUART_REG_FCR, VUART_FCR_ENABLE);
    assert_int_equal(vuart16550_read(&U, VUART_REG_IIR) & 0xc0, 0xc0);
    vuart16550_receive(&U, 'q');
    vuart16550_write(&U, VUART_REG_FCR, VUART_FCR_ENABLE | VUART_FCR_CLEAR_RX);
    assert_int_equal(vuart16550_read(&U, VUART_REG_LSR) & VUART_LSR_DR, 0);
}

static void test_bus_glue(void **state)
{
    (void)state;
    char err[80];
    assert_null(vuart16550_create(0x10000000, 4, 10, err, sizeof(err)));
    assert_non_null(strstr(err, "16550"));
    struct emu_dev *d = vuart16550_create(0x10000000, 0x100, 10, err, sizeof(err));
    assert_non_null(d);
    assert_int_equal(d->irq, 10);
    d->vm = (struct vm *)(uintptr_t)0x1000; /* any non-NULL VM: the stub only records */
    uint64_t v = 0;
    assert_int_equal(d->ops->read(d, VUART_REG_LSR, 1, &v), 0);
    assert_true(v & VUART_LSR_THRE);
    assert_int_equal(d->ops->write(d, VUART_REG_THR, 4, 0xffffff41), 0);
    assert_int_equal(nout, 1);
    assert_int_equal(out[0], 'A');
    /* host input and the interrupt line */
    assert_int_equal(d->ops->write(d, VUART_REG_IER, 1, VUART_IER_ERBFI), 0);
    assert_false(irq_line);
    assert_true(vuart16550_dev_input(d, 'k'));
    assert_true(irq_line);
    assert_int_equal(d->ops->read(d, VUART_REG_RBR, 1, &v), 0);
    assert_int_equal(v, 'k');
    assert_false(irq_line);
    assert_int_equal(irq_changes, 2);
    struct emu_dev other = {0};
    assert_false(vuart16550_dev_input(&other, 'x'));
    kfree(d->priv);
    kfree(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_transmit_and_status, setup),
        cmocka_unit_test_setup(test_divisor_latch, setup),
        cmocka_unit_test_setup(test_receive_and_interrupts, setup),
        cmocka_unit_test_setup(test_bus_glue, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
