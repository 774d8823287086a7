/* PL011 UART: polled transmit, polled receive. The base comes from the DTB. */
#include "ax/axhal.h"
#include "platform.h"
#include "sysreg.h"

#define UARTDR 0x00
#define UARTFR 0x18
#define UARTLCR_H 0x2c
#define LCRH_FEN (1 << 4)
#define LCRH_WLEN8 (3 << 5)
#define UARTCR 0x30
#define UARTIMSC 0x38
#define FR_TXFF (1 << 5)
#define FR_RXFE (1 << 4)
#define CR_UARTEN (1 << 0)
#define CR_TXE (1 << 8)
#define CR_RXE (1 << 9)

static uintptr_t uart_base;

void pl011_init(paddr_t base)
{
    uart_base = (uintptr_t)base;
    /* QEMU (and firmware on real boards) leaves the baud rate set; just make
     * sure the UART, TX and RX are on and its interrupts masked. */
    mmio_write32(uart_base + UARTIMSC, 0);
    /* 8N1 with FIFOs on, so typed input queues up between polls */
    mmio_write32(uart_base + UARTLCR_H, LCRH_WLEN8 | LCRH_FEN);
    mmio_write32(uart_base + UARTCR, CR_UARTEN | CR_TXE | CR_RXE);
}

void pl011_putc(char c)
{
    if (!uart_base)
        return;
    while (mmio_read32(uart_base + UARTFR) & FR_TXFF)
        ;
    mmio_write32(uart_base + UARTDR, (uint8_t)c);
}

int pl011_getc(void)
{
    if (!uart_base || (mmio_read32(uart_base + UARTFR) & FR_RXFE))
        return -1;
    return (int)(mmio_read32(uart_base + UARTDR) & 0xff);
}
