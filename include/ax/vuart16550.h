/* An emulated 16550 UART (the console device, type 0x2, on riscv64).
 *
 * Registers at byte offsets 0..7 (reg-shift 0, any access width; only the
 * low byte counts): RBR/THR, IER, IIR/FCR, LCR, MCR, LSR, MSR, SCR, and
 * DLL/DLM in place of RBR/THR and IER while LCR.DLAB is set. Transmit is
 * immediate (THR and the shift register are always empty: LSR reports
 * THRE | TEMT); received bytes wait in a 16-byte FIFO. The interrupt line
 * follows IER: "received data available" while the FIFO has data and
 * ERBFI is set, "THR empty" while ETBEI is set (until IIR reports it or
 * THR is written, as on the real part). Offsets 8 and up read as zero and
 * ignore writes. */
#ifndef AX_VUART16550_H
#define AX_VUART16550_H

#include "ax/types.h"

#define VUART_REG_RBR 0
#define VUART_REG_THR 0
#define VUART_REG_DLL 0
#define VUART_REG_IER 1
#define VUART_REG_DLM 1
#define VUART_REG_IIR 2
#define VUART_REG_FCR 2
#define VUART_REG_LCR 3
#define VUART_REG_MCR 4
#define VUART_REG_LSR 5
#define VUART_REG_MSR 6
#define VUART_REG_SCR 7

#define VUART_LCR_DLAB 0x80u
#define VUART_LSR_DR 0x01u
#define VUART_LSR_THRE 0x20u
#define VUART_LSR_TEMT 0x40u
#define VUART_IER_ERBFI 0x01u
#define VUART_IER_ETBEI 0x02u
#define VUART_IIR_NONE 0x01u
#define VUART_IIR_THRE 0x02u
#define VUART_IIR_RDA 0x04u
#define VUART_FCR_ENABLE 0x01u
#define VUART_FCR_CLEAR_RX 0x02u
#define VUART_RX_FIFO 16u

struct vuart16550 {
    uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
    bool thre_pending;            /* a "THR empty" interrupt not yet reported */
    uint8_t rx[VUART_RX_FIFO];
    unsigned rx_head, rx_count;
    void (*tx)(void *ctx, char c); /* where transmitted bytes go */
    void *ctx;
};

void vuart16550_init(struct vuart16550 *u, void (*tx)(void *ctx, char c), void *ctx);
/* Register access by byte offset (0..7; others read 0, ignore writes). */
uint8_t vuart16550_read(struct vuart16550 *u, uint64_t off);
void vuart16550_write(struct vuart16550 *u, uint64_t off, uint8_t val);
/* Queue a received byte; false when the FIFO is full (the byte is lost). */
bool vuart16550_receive(struct vuart16550 *u, uint8_t c);
/* Level of the interrupt line. */
bool vuart16550_irq_level(const struct vuart16550 *u);

/* The device-bus glue (needs a window of at least 8 bytes). Its interrupt
 * output drives vm_irq_set_level(vm, irq, level). */
struct emu_dev;
struct emu_dev *vuart16550_create(uint64_t base, uint64_t size, uint32_t irq, char *err, size_t errlen);
/* Host input for a device vuart16550_create made; false for any other
 * device or when its receive FIFO is full. */
bool vuart16550_dev_input(struct emu_dev *d, uint8_t c);

#endif
