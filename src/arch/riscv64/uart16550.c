/* 16550 UART: polled transmit and receive. Base, register spacing
 * (reg-shift) and access width (reg-io-width) come from the DTB. */
#include "ax/axhal.h"
#include "platform.h"

#define RBR 0 /* read: receive buffer */
#define THR 0 /* write: transmit holding */
#define IER 1
#define LSR 5
#define LSR_DR (1u << 0)
#define LSR_THRE (1u << 5)
#define TX_SPINS 1000000u

static uintptr_t uart_base;
static unsigned uart_shift, uart_width = 1;

static uint32_t reg_read(unsigned r)
{
    uintptr_t a = uart_base + ((uintptr_t)r << uart_shift);
    uint32_t v = uart_width == 4 ? *(volatile uint32_t *)a : *(volatile uint8_t *)a;
    __asm__ volatile("fence i, r" ::: "memory");
    return v;
}

static void reg_write(unsigned r, uint32_t v)
{
    uintptr_t a = uart_base + ((uintptr_t)r << uart_shift);
    __asm__ volatile("fence w, o" ::: "memory");
    if (uart_width == 4)
        *(volatile uint32_t *)a = v;
    else
        *(volatile uint8_t *)a = (uint8_t)v;
}

void uart16550_init(paddr_t base, unsigned reg_shift, unsigned io_width)
{
    uart_shift = reg_shift <= 4 ? reg_shift : 0;
    uart_width = io_width == 4 ? 4 : 1;
    uart_base = (uintptr_t)base;
    /* firmware left the line set up; we only poll, so no interrupts */
    reg_write(IER, 0);
}

bool uart16550_present(void) { return uart_base != 0; }

void uart16550_putc(char c)
{
    if (!uart_base) {
        sbi_legacy_putchar(c);
        return;
    }
    for (unsigned i = 0; i < TX_SPINS && !(reg_read(LSR) & LSR_THRE); i++)
        ;
    reg_write(THR, (uint8_t)c);
}

int uart16550_getc(void)
{
    if (!uart_base || !(reg_read(LSR) & LSR_DR))
        return -1;
    return (int)(reg_read(RBR) & 0xff);
}
