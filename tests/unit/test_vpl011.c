/* The virtual PL011: register model and device-bus glue. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ax/devbus.h"
#include "ax/heap.h"
#include "ax/vm_console.h"
#include "ax/vpl011.h"

/* ---- what the model tells the outside world ---- */

struct sink {
    uint8_t out[256];
    unsigned nout;
    bool levels[64];
    unsigned nirq;
};

static void sink_tx(void *ctx, uint8_t c)
{
    struct sink *s = ctx;
    if (s->nout < sizeof(s->out))
        s->out[s->nout] = c;
    s->nout++;
}

static void sink_irq(void *ctx, bool level)
{
    struct sink *s = ctx;
    if (s->nirq < ARRAY_SIZE(s->levels))
        s->levels[s->nirq] = level;
    s->nirq++;
}

static struct vpl011 u;
static struct sink sk;

static int setup(void **state)
{
    (void)state;
    memset(&sk, 0, sizeof(sk));
    vpl011_init(&u, sink_tx, sink_irq, &sk);
    return 0;
}

static uint32_t rd(uint32_t off) { return vpl011_reg_read(&u, off); }
static void wr(uint32_t off, uint32_t v) { vpl011_reg_write(&u, off, v); }

/* ---- reset state and identification ---- */

static void test_reset_state(void **state)
{
    (void)state;
    assert_int_equal(rd(VPL011_CR), VPL011_CR_UARTEN | VPL011_CR_TXE | VPL011_CR_RXE);
    assert_int_equal(rd(VPL011_LCR_H), VPL011_LCRH_WLEN8 | VPL011_LCRH_FEN);
    assert_int_equal(rd(VPL011_IFLS), 0x12);
    assert_int_equal(rd(VPL011_IBRD), 13);
    assert_int_equal(rd(VPL011_FBRD), 1);
    assert_int_equal(rd(VPL011_IMSC), 0);
    assert_int_equal(rd(VPL011_RIS), 0);
    assert_int_equal(rd(VPL011_MIS), 0);
    assert_int_equal(rd(VPL011_RSR), 0);
    uint32_t fr = rd(VPL011_FR);
    assert_true(fr & VPL011_FR_TXFE);
    assert_true(fr & VPL011_FR_RXFE);
    assert_false(fr & (VPL011_FR_TXFF | VPL011_FR_RXFF | VPL011_FR_BUSY));
    assert_int_equal(sk.nirq, 0);
    assert_false(vpl011_irq_level(&u));
}

static void test_id_registers(void **state)
{
    (void)state;
    static const uint8_t id[8] = {0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};
    for (unsigned i = 0; i < 8; i++)
        assert_int_equal(rd(0xfe0 + 4 * i), id[i]);
    /* writes do not change them; unaligned offsets and holes read zero */
    wr(0xfe0, 0xff);
    assert_int_equal(rd(0xfe0), 0x11);
    assert_int_equal(rd(0xfe1), 0);
    assert_int_equal(rd(0x100), 0);
    assert_int_equal(rd(0x1000), 0);
    assert_int_equal(rd(0xffffffff), 0);
}

static void test_register_masks(void **state)
{
    (void)state;
    wr(VPL011_IBRD, 0xffffffff);
    wr(VPL011_FBRD, 0xffffffff);
    wr(VPL011_LCR_H, 0xffffffff);
    wr(VPL011_IFLS, 0xffffffff);
    wr(VPL011_DMACR, 0xffffffff);
    wr(VPL011_ILPR, 0xffffffff);
    assert_int_equal(rd(VPL011_IBRD), 0xffff);
    assert_int_equal(rd(VPL011_FBRD), 0x3f);
    assert_int_equal(rd(VPL011_LCR_H), 0xff);
    assert_int_equal(rd(VPL011_IFLS), 0x3f);
    assert_int_equal(rd(VPL011_DMACR), 0x7);
    assert_int_equal(rd(VPL011_ILPR), 0xff);
    /* read-only registers ignore writes */
    wr(VPL011_FR, 0);
    wr(VPL011_RIS, 0x7ff);
    wr(VPL011_MIS, 0x7ff);
    assert_true(rd(VPL011_FR) & VPL011_FR_TXFE);
    assert_int_equal(rd(VPL011_RIS), 0);
}

/* ---- transmit ---- */

static void test_tx_sends_bytes(void **state)
{
    (void)state;
    const char *msg = "hi\r\n";
    for (const char *p = msg; *p; p++)
        wr(VPL011_DR, (uint8_t)*p | 0xff00); /* only the low byte counts */
    assert_int_equal(sk.nout, 4);
    assert_memory_equal(sk.out, msg, 4);
    assert_int_equal(u.stats.tx, 4);
    /* always done at once */
    uint32_t fr = rd(VPL011_FR);
    assert_true(fr & VPL011_FR_TXFE);
    assert_false(fr & (VPL011_FR_TXFF | VPL011_FR_BUSY));
}

static void test_tx_disabled_drops(void **state)
{
    (void)state;
    wr(VPL011_CR, VPL011_CR_TXE | VPL011_CR_RXE); /* UART off */
    wr(VPL011_DR, 'a');
    wr(VPL011_CR, VPL011_CR_UARTEN | VPL011_CR_RXE); /* transmitter off */
    wr(VPL011_DR, 'b');
    assert_int_equal(sk.nout, 0);
    assert_int_equal(u.stats.tx_dropped, 2);
    assert_int_equal(rd(VPL011_RIS) & VPL011_INT_TX, 0);
    wr(VPL011_CR, VPL011_CR_UARTEN | VPL011_CR_TXE);
    wr(VPL011_DR, 'c');
    assert_int_equal(sk.nout, 1);
    assert_int_equal(sk.out[0], 'c');
}

static void test_tx_interrupt(void **state)
{
    (void)state;
    /* not raised at reset: only draining the FIFO raises it */
    assert_int_equal(rd(VPL011_RIS) & VPL011_INT_TX, 0);
    wr(VPL011_IMSC, VPL011_INT_TX);
    assert_int_equal(sk.nirq, 0);
    wr(VPL011_DR, 'x');
    assert_true(rd(VPL011_RIS) & VPL011_INT_TX);
    assert_int_equal(rd(VPL011_MIS), VPL011_INT_TX);
    assert_int_equal(sk.nirq, 1);
    assert_true(sk.levels[0]);
    /* stays set while more is written (the FIFO keeps draining) */
    wr(VPL011_DR, 'y');
    assert_int_equal(sk.nirq, 1);
    assert_int_equal(rd(VPL011_MIS), VPL011_INT_TX);
    /* ICR clears it; the line drops */
    wr(VPL011_ICR, VPL011_INT_TX);
    assert_int_equal(rd(VPL011_RIS) & VPL011_INT_TX, 0);
    assert_int_equal(sk.nirq, 2);
    assert_false(sk.levels[1]);
    assert_false(vpl011_irq_level(&u));
}

/* Linux's pl011 driver: start_tx fills the FIFO until TXFF, then unmasks
 * TXIM only if data is left; its interrupt handler writes fifosize/2 bytes
 * without looking at TXFF, never clears TXIS in ICR, and masks TXIM when it
 * runs out of data. The line must follow IMSC exactly. */
static void test_tx_linux_pattern(void **state)
{
    (void)state;
    wr(VPL011_IMSC, VPL011_INT_RX | VPL011_INT_RT);
    unsigned sent = 0;
    while (!(rd(VPL011_FR) & VPL011_FR_TXFF) && sent < 100)
        wr(VPL011_DR, 'a' + sent++ % 26);
    assert_int_equal(sent, 100); /* never full */
    assert_false(vpl011_irq_level(&u));
    /* unmasking TXIM with TXRIS latched interrupts at once */
    wr(VPL011_IMSC, VPL011_INT_RX | VPL011_INT_RT | VPL011_INT_TX);
    assert_true(vpl011_irq_level(&u));
    assert_int_equal(sk.nirq, 1);
    assert_true(sk.levels[0]);
    /* handler: ICR without TX/RX/RT bits, writes 8 bytes, masks TXIM */
    uint32_t status = rd(VPL011_RIS) & rd(VPL011_IMSC);
    assert_int_equal(status, VPL011_INT_TX);
    wr(VPL011_ICR, status & ~(VPL011_INT_TX | VPL011_INT_RT | VPL011_INT_RX));
    assert_true(vpl011_irq_level(&u));
    for (int i = 0; i < 8; i++)
        wr(VPL011_DR, '0' + i);
    wr(VPL011_IMSC, VPL011_INT_RX | VPL011_INT_RT);
    assert_false(vpl011_irq_level(&u));
    assert_int_equal(sk.nirq, 2);
    assert_false(sk.levels[1]);
    assert_int_equal(sk.nout, 108);
}

/* Old Linux drivers provoked the first TX interrupt by sending a byte in
 * loopback with the receiver off: it must neither appear on the console
 * nor be received. */
static void test_loopback(void **state)
{
    (void)state;
    wr(VPL011_CR, VPL011_CR_UARTEN | VPL011_CR_TXE | VPL011_CR_LBE);
    wr(VPL011_DR, 0);
    assert_int_equal(sk.nout, 0);
    assert_true(rd(VPL011_FR) & VPL011_FR_RXFE);
    assert_true(rd(VPL011_RIS) & VPL011_INT_TX);
    assert_false(rd(VPL011_FR) & VPL011_FR_BUSY);
    /* with the receiver on, the byte comes back */
    wr(VPL011_CR, VPL011_CR_UARTEN | VPL011_CR_TXE | VPL011_CR_RXE | VPL011_CR_LBE);
    wr(VPL011_DR, 'L');
    assert_int_equal(sk.nout, 0);
    assert_false(rd(VPL011_FR) & VPL011_FR_RXFE);
    assert_int_equal(rd(VPL011_DR), 'L');
}

/* ---- receive ---- */

static void test_rx_fifo_order(void **state)
{
    (void)state;
    for (unsigned i = 0; i < VPL011_FIFO_DEPTH; i++) {
        assert_int_equal(vpl011_rx_room(&u), VPL011_FIFO_DEPTH - i);
        assert_true(vpl011_rx_push(&u, (uint8_t)(0x40 + i)));
    }
    assert_int_equal(vpl011_rx_room(&u), 0);
    uint32_t fr = rd(VPL011_FR);
    assert_true(fr & VPL011_FR_RXFF);
    assert_false(fr & VPL011_FR_RXFE);
    for (unsigned i = 0; i < VPL011_FIFO_DEPTH; i++) {
        assert_false(rd(VPL011_FR) & VPL011_FR_RXFE);
        assert_int_equal(rd(VPL011_DR), 0x40 + i);
    }
    assert_true(rd(VPL011_FR) & VPL011_FR_RXFE);
    assert_int_equal(rd(VPL011_DR), 0); /* empty: reads zero, no underflow */
    assert_true(rd(VPL011_FR) & VPL011_FR_RXFE);
    /* the ring wraps */
    for (unsigned round = 0; round < 3; round++) {
        for (unsigned i = 0; i < 20; i++)
            assert_true(vpl011_rx_push(&u, (uint8_t)(round * 20 + i)));
        for (unsigned i = 0; i < 20; i++)
            assert_int_equal(rd(VPL011_DR), round * 20 + i);
    }
    assert_int_equal(u.stats.rx, VPL011_FIFO_DEPTH + 60);
}

static void test_rx_overrun(void **state)
{
    (void)state;
    wr(VPL011_IMSC, VPL011_INT_OE);
    for (unsigned i = 0; i < VPL011_FIFO_DEPTH; i++)
        assert_true(vpl011_rx_push(&u, (uint8_t)i));
    assert_int_equal(sk.nirq, 0);
    assert_false(vpl011_rx_push(&u, 0xee));
    assert_int_equal(u.stats.rx_overruns, 1);
    assert_true(rd(VPL011_RSR) & VPL011_RSR_OE);
    assert_true(rd(VPL011_RIS) & VPL011_INT_OE);
    assert_int_equal(sk.nirq, 1);
    assert_true(sk.levels[0]);
    /* the FIFO contents stay; the newest entry carries the mark */
    for (unsigned i = 0; i < VPL011_FIFO_DEPTH - 1; i++)
        assert_int_equal(rd(VPL011_DR), i);
    assert_int_equal(rd(VPL011_DR), (VPL011_FIFO_DEPTH - 1) | VPL011_DR_OE);
    /* RSR.OE stays until ECR is written; OERIS until ICR */
    assert_true(rd(VPL011_RSR) & VPL011_RSR_OE);
    wr(VPL011_RSR, 0);
    assert_int_equal(rd(VPL011_RSR), 0);
    assert_true(vpl011_irq_level(&u));
    wr(VPL011_ICR, VPL011_INT_OE);
    assert_false(vpl011_irq_level(&u));
    assert_false(sk.levels[1]);
}

static void test_rx_disabled(void **state)
{
    (void)state;
    wr(VPL011_CR, VPL011_CR_UARTEN | VPL011_CR_TXE); /* receiver off */
    assert_false(vpl011_rx_enabled(&u));
    assert_false(vpl011_rx_push(&u, 'a'));
    wr(VPL011_CR, VPL011_CR_TXE | VPL011_CR_RXE); /* UART off */
    assert_false(vpl011_rx_push(&u, 'b'));
    assert_int_equal(u.stats.rx_dropped, 2);
    assert_int_equal(u.stats.rx_overruns, 0);
    assert_true(rd(VPL011_FR) & VPL011_FR_RXFE);
    assert_int_equal(rd(VPL011_RIS), 0);
    wr(VPL011_CR, VPL011_CR_UARTEN | VPL011_CR_RXE);
    assert_true(vpl011_rx_push(&u, 'c'));
    assert_int_equal(rd(VPL011_DR), 'c');
}

static void test_rx_fifo_disabled_depth_one(void **state)
{
    (void)state;
    wr(VPL011_LCR_H, VPL011_LCRH_WLEN8); /* FEN off: a one-byte holding register */
    wr(VPL011_IMSC, VPL011_INT_RX);
    assert_int_equal(vpl011_rx_room(&u), 1);
    assert_true(vpl011_rx_push(&u, '1'));
    assert_true(rd(VPL011_FR) & VPL011_FR_RXFF);
    assert_true(rd(VPL011_RIS) & VPL011_INT_RX); /* the trigger is one byte */
    assert_true(vpl011_irq_level(&u));
    assert_false(vpl011_rx_push(&u, '2'));
    assert_int_equal(u.stats.rx_overruns, 1);
    assert_int_equal(rd(VPL011_DR), '1' | VPL011_DR_OE);
    assert_false(rd(VPL011_RIS) & VPL011_INT_RX);
    assert_false(vpl011_irq_level(&u));
}

static void fill(unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        assert_true(vpl011_rx_push(&u, (uint8_t)('a' + i % 26)));
}

static void drain(void)
{
    for (unsigned i = 0; i < 2 * VPL011_FIFO_DEPTH && !(rd(VPL011_FR) & VPL011_FR_RXFE); i++)
        rd(VPL011_DR);
}

static void test_rx_trigger_levels(void **state)
{
    (void)state;
    /* RXIFLSEL: 1/8, 1/4, 1/2, 3/4, 7/8 of 32; reserved values act as 7/8 */
    static const struct {
        uint32_t sel;
        unsigned trigger;
    } t[] = {{0, 4}, {1, 8}, {2, 16}, {3, 24}, {4, 28}, {5, 28}, {7, 28}};
    for (unsigned k = 0; k < ARRAY_SIZE(t); k++) {
        wr(VPL011_IFLS, t[k].sel << 3);
        fill(t[k].trigger - 1);
        assert_false(rd(VPL011_RIS) & VPL011_INT_RX);
        fill(1);
        assert_true(rd(VPL011_RIS) & VPL011_INT_RX);
        /* reading below the trigger clears it */
        rd(VPL011_DR);
        assert_false(rd(VPL011_RIS) & VPL011_INT_RX);
        drain();
    }
}

static void test_rx_timeout_immediate(void **state)
{
    (void)state;
    wr(VPL011_IMSC, VPL011_INT_RX | VPL011_INT_RT);
    assert_true(vpl011_rx_push(&u, 'k'));
    /* one byte is below the trigger: the timeout reports it */
    assert_int_equal(rd(VPL011_RIS) & (VPL011_INT_RX | VPL011_INT_RT), VPL011_INT_RT);
    assert_int_equal(rd(VPL011_MIS), VPL011_INT_RT);
    assert_int_equal(sk.nirq, 1);
    assert_true(sk.levels[0]);
    assert_true(vpl011_rx_push(&u, 'l'));
    assert_int_equal(rd(VPL011_DR), 'k');
    assert_true(rd(VPL011_RIS) & VPL011_INT_RT); /* not empty yet */
    assert_int_equal(rd(VPL011_DR), 'l');
    assert_false(rd(VPL011_RIS) & VPL011_INT_RT);
    assert_false(vpl011_irq_level(&u));
    assert_int_equal(sk.nirq, 2);
    assert_false(sk.levels[1]);
}

/* Linux's pl011_startup + set_termios, then typed input handled the way
 * pl011_int does: the line rises with the first byte and falls once the
 * handler has read the FIFO empty, with no help from ICR. */
static void test_rx_linux_pattern(void **state)
{
    (void)state;
    /* bytes typed before the driver starts */
    fill(3);
    wr(VPL011_ICR, VPL011_INT_OE | VPL011_INT_BE | VPL011_INT_PE | VPL011_INT_FE | VPL011_INT_RT |
                       VPL011_INT_RX);
    uint32_t im = rd(VPL011_IMSC);
    assert_int_equal(im, 0);
    wr(VPL011_IMSC, VPL011_INT_RT | VPL011_INT_RX);
    assert_false(vpl011_irq_level(&u)); /* ICR cleared RT before the unmask */
    wr(VPL011_IFLS, 0x12);
    wr(VPL011_CR, (rd(VPL011_CR) & 0x0c00) | VPL011_CR_UARTEN | VPL011_CR_RXE | VPL011_CR_TXE);
    wr(VPL011_ICR, VPL011_INT_RT | VPL011_INT_RX);
    for (unsigned i = 0; i < 32 && !(rd(VPL011_FR) & VPL011_FR_RXFE); i++)
        rd(VPL011_DR);
    assert_true(rd(VPL011_FR) & VPL011_FR_RXFE);
    im = VPL011_INT_RT | VPL011_INT_RX;
    wr(VPL011_IMSC, im);
    uint32_t cr = rd(VPL011_CR);
    wr(VPL011_FBRD, 1);
    wr(VPL011_IBRD, 13);
    wr(VPL011_LCR_H, VPL011_LCRH_WLEN8 | VPL011_LCRH_FEN);
    wr(VPL011_CR, cr);
    assert_false(vpl011_irq_level(&u));
    unsigned calls = sk.nirq;

    const char *typed = "ls -l\r";
    for (const char *p = typed; *p; p++)
        assert_true(vpl011_rx_push(&u, (uint8_t)*p));
    assert_true(vpl011_irq_level(&u));
    assert_int_equal(sk.nirq, calls + 1);
    /* the handler */
    char got[16];
    unsigned n = 0;
    uint32_t status = rd(VPL011_RIS) & im;
    for (unsigned pass = 0; status && pass < 256; pass++) {
        wr(VPL011_ICR, status & ~(VPL011_INT_TX | VPL011_INT_RT | VPL011_INT_RX));
        if (status & (VPL011_INT_RT | VPL011_INT_RX))
            for (unsigned k = 0; k < 256 && !(rd(VPL011_FR) & VPL011_FR_RXFE); k++)
                got[n++ % sizeof(got)] = (char)rd(VPL011_DR);
        status = rd(VPL011_RIS) & im;
    }
    assert_int_equal(status, 0);
    assert_int_equal(n, 6);
    assert_memory_equal(got, typed, 6);
    assert_false(vpl011_irq_level(&u));
    assert_int_equal(sk.nirq, calls + 2);
}

/* ---- interrupt plumbing ---- */

static void test_mis_and_icr(void **state)
{
    (void)state;
    fill(20); /* RX (trigger 16) and RT */
    wr(VPL011_DR, '!'); /* TX */
    assert_int_equal(rd(VPL011_RIS), VPL011_INT_RX | VPL011_INT_RT | VPL011_INT_TX);
    assert_int_equal(rd(VPL011_MIS), 0);
    assert_int_equal(sk.nirq, 0);
    wr(VPL011_IMSC, VPL011_INT_RT);
    assert_int_equal(rd(VPL011_MIS), VPL011_INT_RT);
    wr(VPL011_IMSC, VPL011_INT_RT | VPL011_INT_RX);
    assert_int_equal(rd(VPL011_MIS), VPL011_INT_RT | VPL011_INT_RX);
    /* every change of MIS is reported, with the level */
    assert_int_equal(sk.nirq, 2);
    assert_true(sk.levels[0] && sk.levels[1]);
    wr(VPL011_ICR, VPL011_INT_RT);
    assert_int_equal(rd(VPL011_MIS), VPL011_INT_RX);
    assert_int_equal(sk.nirq, 3);
    assert_true(sk.levels[2]);
    wr(VPL011_ICR, VPL011_INT_ALL);
    assert_int_equal(rd(VPL011_RIS), 0);
    assert_int_equal(sk.nirq, 4);
    assert_false(sk.levels[3]);
    /* writing IMSC with no change of MIS reports nothing */
    wr(VPL011_IMSC, VPL011_INT_ALL);
    wr(VPL011_IMSC, 0);
    assert_int_equal(sk.nirq, 4);
    assert_int_equal(rd(VPL011_IMSC), 0);
    wr(VPL011_IMSC, 0xffffffff);
    assert_int_equal(rd(VPL011_IMSC), VPL011_INT_ALL);
}

static void test_reset_drops_line(void **state)
{
    (void)state;
    wr(VPL011_IMSC, VPL011_INT_RT);
    fill(3);
    assert_true(vpl011_irq_level(&u));
    wr(VPL011_CR, 0);
    vpl011_reset(&u);
    assert_false(vpl011_irq_level(&u));
    assert_false(sk.levels[sk.nirq - 1]);
    assert_true(rd(VPL011_FR) & VPL011_FR_RXFE);
    assert_int_equal(rd(VPL011_CR), VPL011_CR_UARTEN | VPL011_CR_TXE | VPL011_CR_RXE);
    assert_int_equal(u.stats.rx, 3);
}

static void test_no_callbacks(void **state)
{
    (void)state;
    struct vpl011 bare;
    vpl011_init(&bare, NULL, NULL, NULL);
    vpl011_reg_write(&bare, VPL011_IMSC, VPL011_INT_ALL);
    vpl011_reg_write(&bare, VPL011_DR, 'x');
    assert_true(vpl011_rx_push(&bare, 'y'));
    assert_true(vpl011_irq_level(&bare));
    assert_int_equal(vpl011_reg_read(&bare, VPL011_DR), 'y');
}

static void test_peek_has_no_side_effects(void **state)
{
    (void)state;
    fill(2);
    assert_int_equal(vpl011_reg_peek(&u, VPL011_DR), 'a');
    assert_int_equal(vpl011_reg_peek(&u, VPL011_DR), 'a');
    assert_int_equal(u.rx_count, 2);
    assert_int_equal(rd(VPL011_DR), 'a');
}

/* ---- device-bus glue ---- */

struct vm {
    int dummy;
};
static struct vm fake_vm;
static char console[256];
static unsigned console_len;
static uint32_t irq_intid;
static int irq_level = -1;
static unsigned irq_calls;

void vm_console_uart_putc(struct vm *vm, char c)
{
    assert_ptr_equal(vm, &fake_vm);
    if (console_len < sizeof(console))
        console[console_len++] = c;
}

void vm_irq_set_level(struct vm *vm, uint32_t intid, bool level)
{
    assert_ptr_equal(vm, &fake_vm);
    irq_intid = intid;
    irq_level = level;
    irq_calls++;
}

void *kzalloc(size_t size) { return calloc(1, size); }
void kfree(void *p) { free(p); }

static struct emu_dev *dev;

static int dev_setup(void **state)
{
    (void)state;
    char err[80];
    dev = vpl011_create(0x9000000, 0x1000, 33, err, sizeof(err));
    assert_non_null(dev);
    dev->vm = &fake_vm;
    console_len = 0;
    irq_level = -1;
    irq_calls = 0;
    return 0;
}

static int dev_teardown(void **state)
{
    (void)state;
    free(dev->priv);
    free(dev);
    return 0;
}

static uint64_t dread(uint64_t off, unsigned width)
{
    uint64_t v = 0xdeadbeef;
    assert_int_equal(dev->ops->read(dev, off, width, &v), 0);
    return v;
}

static void test_dev_create_rejects_small_window(void **state)
{
    (void)state;
    char err[80] = "";
    assert_null(vpl011_create(0x9000000, 0xfff, 33, err, sizeof(err)));
    assert_non_null(strstr(err, "pl011"));
}

static void test_dev_output_and_irq(void **state)
{
    (void)state;
    assert_int_equal(dev->ops->write(dev, VPL011_IMSC, 4, VPL011_INT_TX), 0);
    assert_int_equal(dev->ops->write(dev, VPL011_DR, 1, 'o'), 0); /* earlycon: byte writes */
    assert_int_equal(dev->ops->write(dev, VPL011_DR, 2, 'k'), 0); /* Linux: 16-bit */
    assert_int_equal(console_len, 2);
    assert_memory_equal(console, "ok", 2);
    assert_int_equal(irq_calls, 1);
    assert_int_equal(irq_intid, 33);
    assert_int_equal(irq_level, 1);
    assert_int_equal(dev->ops->write(dev, VPL011_ICR, 2, VPL011_INT_TX), 0);
    assert_int_equal(irq_level, 0);
}

static void test_dev_widths(void **state)
{
    (void)state;
    assert_int_equal(dread(VPL011_CR, 4), 0x301);
    assert_int_equal(dread(VPL011_CR, 2), 0x301);
    assert_int_equal(dread(VPL011_CR, 1), 0x01);
    assert_int_equal(dread(VPL011_CR + 1, 1), 0x03);
    assert_int_equal(dread(0xfe8, 1), 0x14);
    /* a sub-word read of DR's upper byte does not pop */
    assert_true(vpl011_dev_input(dev, 'z'));
    assert_int_equal(dread(VPL011_DR + 1, 1), 0);
    assert_int_equal(dread(VPL011_DR, 2), 'z');
    assert_true(dread(VPL011_FR, 2) & VPL011_FR_RXFE);
    /* rejected: 8-byte, crossing a register, unaligned writes */
    uint64_t v;
    assert_int_equal(dev->ops->read(dev, VPL011_CR, 8, &v), -AX_EINVAL);
    assert_int_equal(dev->ops->read(dev, VPL011_CR + 2, 4, &v), -AX_EINVAL);
    assert_int_equal(dev->ops->write(dev, VPL011_CR + 1, 1, 0), -AX_EINVAL);
    assert_int_equal(dev->ops->write(dev, VPL011_CR, 8, 0), -AX_EINVAL);
    assert_int_equal(dread(VPL011_CR, 4), 0x301);
    /* a narrow write stores the value zero-extended */
    assert_int_equal(dev->ops->write(dev, VPL011_IBRD, 1, 0x1ff), 0);
    assert_int_equal(dread(VPL011_IBRD, 4), 0xff);
}

static void test_dev_large_window(void **state)
{
    (void)state;
    char err[80];
    struct emu_dev *big = vpl011_create(0x9000000, 0x10000, 40, err, sizeof(err));
    assert_non_null(big);
    uint64_t v = 1;
    assert_int_equal(big->ops->read(big, 0x2000, 8, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(big->ops->write(big, 0x2000, 4, 1), 0);
    free(big->priv);
    free(big);
}

static void test_dev_input(void **state)
{
    (void)state;
    assert_int_equal(dev->ops->write(dev, VPL011_IMSC, 4, VPL011_INT_RT | VPL011_INT_RX), 0);
    for (unsigned i = 0; i < VPL011_FIFO_DEPTH; i++)
        assert_true(vpl011_dev_input(dev, (uint8_t)('A' + i % 26)));
    assert_int_equal(irq_level, 1);
    /* full: refused without an overrun, so the caller can retry */
    assert_false(vpl011_dev_input(dev, '#'));
    struct vpl011_stats st;
    assert_true(vpl011_dev_stats(dev, &st));
    assert_int_equal(st.rx, VPL011_FIFO_DEPTH);
    assert_int_equal(st.rx_overruns, 0);
    assert_int_equal(dread(VPL011_RSR, 4), 0);
    for (unsigned i = 0; i < VPL011_FIFO_DEPTH; i++)
        assert_int_equal(dread(VPL011_DR, 4), 'A' + i % 26);
    assert_int_equal(irq_level, 0);
    /* receiver off: taken and dropped, as on a real line */
    assert_int_equal(dev->ops->write(dev, VPL011_CR, 4, VPL011_CR_UARTEN | VPL011_CR_TXE), 0);
    assert_true(vpl011_dev_input(dev, 'q'));
    assert_true(dread(VPL011_FR, 4) & VPL011_FR_RXFE);
    assert_true(vpl011_dev_stats(dev, &st));
    assert_int_equal(st.rx_dropped, 1);
}

static void test_dev_input_rejects_other_devices(void **state)
{
    (void)state;
    struct emu_dev other;
    memset(&other, 0, sizeof(other));
    struct vpl011_stats st;
    assert_false(vpl011_dev_input(&other, 'x'));
    assert_false(vpl011_dev_input(NULL, 'x'));
    assert_false(vpl011_dev_is(&other));
    assert_false(vpl011_dev_stats(&other, &st));
    assert_true(vpl011_dev_is(dev));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_reset_state, setup),
        cmocka_unit_test_setup(test_id_registers, setup),
        cmocka_unit_test_setup(test_register_masks, setup),
        cmocka_unit_test_setup(test_tx_sends_bytes, setup),
        cmocka_unit_test_setup(test_tx_disabled_drops, setup),
        cmocka_unit_test_setup(test_tx_interrupt, setup),
        cmocka_unit_test_setup(test_tx_linux_pattern, setup),
        cmocka_unit_test_setup(test_loopback, setup),
        cmocka_unit_test_setup(test_rx_fifo_order, setup),
        cmocka_unit_test_setup(test_rx_overrun, setup),
        cmocka_unit_test_setup(test_rx_disabled, setup),
        cmocka_unit_test_setup(test_rx_fifo_disabled_depth_one, setup),
        cmocka_unit_test_setup(test_rx_trigger_levels, setup),
        cmocka_unit_test_setup(test_rx_timeout_immediate, setup),
        cmocka_unit_test_setup(test_rx_linux_pattern, setup),
        cmocka_unit_test_setup(test_mis_and_icr, setup),
        cmocka_unit_test_setup(test_reset_drops_line, setup),
        cmocka_unit_test_setup(test_no_callbacks, setup),
        cmocka_unit_test_setup(test_peek_has_no_side_effects, setup),
        cmocka_unit_test(test_dev_create_rejects_small_window),
        cmocka_unit_test_setup_teardown(test_dev_output_and_irq, dev_setup, dev_teardown),
        cmocka_unit_test_setup_teardown(test_dev_widths, dev_setup, dev_teardown),
        cmocka_unit_test(test_dev_large_window),
        cmocka_unit_test_setup_teardown(test_dev_input, dev_setup, dev_teardown),
        cmocka_unit_test_setup_teardown(test_dev_input_rejects_other_devices, dev_setup, dev_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
