/* A virtual ARM PL011 UART (PrimeCell r1p1 register set), as a plain state
 * machine: the device-bus glue in src/axdevice/vpl011.c feeds it guest
 * register accesses and host input bytes, and it answers through two
 * callbacks, one per transmitted byte and one per change of its interrupt
 * output.
 *
 * Transmission is instantaneous: the transmit FIFO is always empty, so the
 * flag register always says TXFE and never TXFF or BUSY, and every byte the
 * guest sends raises the transmit interrupt (TXRIS) at once, the way the TX
 * FIFO draining to its trigger level does on hardware. TXRIS stays set until
 * the guest clears it in UARTICR; like hardware it is not raised at reset,
 * only by transmitting.
 *
 * Reception has a real FIFO (VPL011_FIFO_DEPTH entries with LCR_H.FEN set,
 * one without). RXRIS follows the RX trigger level of UARTIFLS; the receive
 * timeout (RTRIS) is modelled as immediate: it is raised with every byte
 * received and dropped when the FIFO is read empty. A byte arriving at a full
 * FIFO is lost and flags an overrun (RSR.OE, OERIS and the OE bit of the
 * newest FIFO entry).
 *
 * The reset state is what firmware leaves for an OS console, not the
 * silicon's power-on state: UART, transmitter and receiver enabled, 8N1 with
 * FIFOs on, 115200 baud from a 24 MHz clock. Early consoles (Linux earlycon,
 * bare-metal programs) write UARTDR without programming the UART first. */
#ifndef AX_VPL011_H
#define AX_VPL011_H

#include "ax/types.h"

#define VPL011_FIFO_DEPTH 32
#define VPL011_WINDOW 0x1000

/* register offsets */
#define VPL011_DR 0x000
#define VPL011_RSR 0x004 /* read: RSR; write: ECR */
#define VPL011_FR 0x018
#define VPL011_ILPR 0x020
#define VPL011_IBRD 0x024
#define VPL011_FBRD 0x028
#define VPL011_LCR_H 0x02c
#define VPL011_CR 0x030
#define VPL011_IFLS 0x034
#define VPL011_IMSC 0x038
#define VPL011_RIS 0x03c
#define VPL011_MIS 0x040
#define VPL011_ICR 0x044
#define VPL011_DMACR 0x048
#define VPL011_PERIPHID0 0xfe0 /* ..0xffc: four peripheral then four PrimeCell ID bytes */

/* UARTDR (read) / UARTRSR error bits */
#define VPL011_DR_FE (1u << 8)
#define VPL011_DR_PE (1u << 9)
#define VPL011_DR_BE (1u << 10)
#define VPL011_DR_OE (1u << 11)
#define VPL011_RSR_OE (1u << 3)

/* UARTFR */
#define VPL011_FR_CTS (1u << 0)
#define VPL011_FR_DSR (1u << 1)
#define VPL011_FR_DCD (1u << 2)
#define VPL011_FR_BUSY (1u << 3)
#define VPL011_FR_RXFE (1u << 4)
#define VPL011_FR_TXFF (1u << 5)
#define VPL011_FR_RXFF (1u << 6)
#define VPL011_FR_TXFE (1u << 7)

/* UARTLCR_H */
#define VPL011_LCRH_FEN (1u << 4)
#define VPL011_LCRH_WLEN8 (3u << 5)

/* UARTCR */
#define VPL011_CR_UARTEN (1u << 0)
#define VPL011_CR_LBE (1u << 7)
#define VPL011_CR_TXE (1u << 8)
#define VPL011_CR_RXE (1u << 9)

/* interrupt bits of IMSC / RIS / MIS / ICR */
#define VPL011_INT_RX (1u << 4)
#define VPL011_INT_TX (1u << 5)
#define VPL011_INT_RT (1u << 6)
#define VPL011_INT_FE (1u << 7)
#define VPL011_INT_PE (1u << 8)
#define VPL011_INT_BE (1u << 9)
#define VPL011_INT_OE (1u << 10)
#define VPL011_INT_ALL 0x7ffu

typedef void (*vpl011_tx_fn)(void *ctx, uint8_t c);
typedef void (*vpl011_irq_fn)(void *ctx, bool level);

struct vpl011_stats {
    uint64_t tx;          /* bytes sent to the output callback */
    uint64_t tx_dropped;  /* written while the UART or transmitter was off */
    uint64_t rx;          /* bytes queued in the RX FIFO */
    uint64_t rx_dropped;  /* arrived while the UART or receiver was off */
    uint64_t rx_overruns; /* arrived at a full FIFO */
};

struct vpl011 {
    uint16_t rx_fifo[VPL011_FIFO_DEPTH]; /* data bits 7:0, error bits 11:8 */
    unsigned rx_head, rx_count;
    uint32_t rsr, ilpr, ibrd, fbrd, lcr_h, cr, ifls, imsc, ris, dmacr;
    uint32_t mis_seen; /* MIS as last reported to set_irq */
    vpl011_tx_fn tx;
    vpl011_irq_fn set_irq;
    void *ctx;
    struct vpl011_stats stats;
};

/* Both callbacks are optional and are called synchronously from inside the
 * call that caused them. set_irq(ctx, MIS != 0) is called on every change of
 * MIS, so the same level can be reported twice in a row. */
void vpl011_init(struct vpl011 *u, vpl011_tx_fn tx, vpl011_irq_fn set_irq, void *ctx);
/* Back to the reset state: FIFO emptied, interrupts cleared (the interrupt
 * line is reported low if it was high). Statistics are kept. */
void vpl011_reset(struct vpl011 *u);

/* A 32-bit register access at off (< VPL011_WINDOW, a multiple of 4; any
 * other offset reads as zero and ignores writes). Reading UARTDR pops. */
uint32_t vpl011_reg_read(struct vpl011 *u, uint32_t off);
void vpl011_reg_write(struct vpl011 *u, uint32_t off, uint32_t val);
/* The value a read would return, without its side effects. */
uint32_t vpl011_reg_peek(const struct vpl011 *u, uint32_t off);

/* A byte from the outside world. Returns true when it was queued; false when
 * the FIFO was full (the byte is lost and an overrun is flagged) or the UART
 * or its receiver is off (the byte is lost silently). */
bool vpl011_rx_push(struct vpl011 *u, uint8_t c);
/* Free RX FIFO entries at the current FIFO mode; a caller that wants no
 * overruns pushes only while this is non-zero. */
unsigned vpl011_rx_room(const struct vpl011 *u);
bool vpl011_rx_enabled(const struct vpl011 *u);
bool vpl011_irq_level(const struct vpl011 *u);

/* Device-bus glue. vpl011_create() is declared in devbus.h. */
struct emu_dev;
/* Queue a host input byte in an emulated PL011. Returns false, leaving
 * everything unchanged, when dev is not a PL011 or its RX FIFO is full (the
 * caller may retry); true when the byte was taken, which includes the case
 * of a guest that has switched its receiver off (the byte is then dropped
 * as on a real line). */
bool vpl011_dev_input(struct emu_dev *dev, uint8_t c);
bool vpl011_dev_is(const struct emu_dev *dev);
/* Copy of the model's statistics; false if dev is not a PL011. */
bool vpl011_dev_stats(struct emu_dev *dev, struct vpl011_stats *out);

#endif
