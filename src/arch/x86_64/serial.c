/* The console: a 16550 UART at I/O port 0x3F8 (COM1), polled. */
#include "platform.h"

#define COM1 0x3F8
#define RBR 0 /* receive buffer (read) / transmit holding (write) */
#define IER 1
#define FCR 2
#define LCR 3
#define MCR 4
#define LSR 5
#define LSR_DR 0x01
#define LSR_THRE 0x20
#define TX_POLLS 100000

void serial_init(void)
{
    outb(COM1 + IER, 0x00);      /* no interrupts: polled */
    outb(COM1 + LCR, 0x80);      /* DLAB: divisor follows */
    outb(COM1 + 0, 1);           /* 115200 baud */
    outb(COM1 + 1, 0);
    outb(COM1 + LCR, 0x03);      /* 8N1 */
    outb(COM1 + FCR, 0x07);      /* FIFOs on and cleared */
    outb(COM1 + MCR, 0x03);      /* DTR, RTS */
}

void serial_putc(char c)
{
    /* bounded: a missing UART must not hang the hypervisor */
    for (unsigned i = 0; i < TX_POLLS && !(inb(COM1 + LSR) & LSR_THRE); i++)
        __asm__ volatile("pause");
    outb(COM1 + RBR, (uint8_t)c);
}

int serial_getc(void)
{
    if (!(inb(COM1 + LSR) & LSR_DR))
        return -1;
    return inb(COM1 + RBR);
}
