/* The kit console: printf into a per-vCPU line buffer in guest RAM, sent
 * with one HC_CONSOLE_WRITE per line under a lock, so lines of different
 * vCPUs never interleave and the hypervisor reads the buffer from RAM.
 *
 * Built with -DKIT_DEBUG_UART every line also goes to the platform UART:
 * for running a guest on bare QEMU, where hvc reaches QEMU's PSCI firmware
 * and the hypercall console is silent. */
#include "ax/format.h"
#include "kit_rt.h"

#define LINE_CAP 320
#define PANIC_SPINS (1u << 22)

struct line {
    char buf[LINE_CAP];
    size_t len;
};

static struct line lines[KIT_MAX_CPUS];
static bool panicking[KIT_MAX_CPUS];
static uint32_t console_lock;

static unsigned this_cpu(void)
{
    return kit_cpu_id() % KIT_MAX_CPUS;
}

/* A vCPU that faulted while holding the lock would wait for itself, so in
 * panic mode the wait is bounded and the lock is then taken anyway. */
static void lock_console(unsigned cpu)
{
    uint32_t spins = 0;
    while (__atomic_exchange_n(&console_lock, 1, __ATOMIC_ACQUIRE) != 0) {
        while (__atomic_load_n(&console_lock, __ATOMIC_RELAXED) != 0) {
            if (panicking[cpu] && ++spins >= PANIC_SPINS)
                return;
        }
    }
}

static void unlock_console(void)
{
    __atomic_store_n(&console_lock, 0, __ATOMIC_RELEASE);
}

/* The hypervisor may write less than asked; every round either makes
 * progress or ends the loop. */
static void console_send(const char *s, size_t n)
{
    while (n > 0) {
        int64_t r = kit_hc2(HC_CONSOLE_WRITE, (uintptr_t)s, n);
        if (r <= 0 || (uint64_t)r > n)
            break;
        s += r;
        n -= (size_t)r;
    }
}

static void line_send(unsigned cpu)
{
    struct line *l = &lines[cpu];
    if (l->len == 0)
        return;
    lock_console(cpu);
    console_send(l->buf, l->len);
#ifdef KIT_DEBUG_UART
    for (size_t i = 0; i < l->len; i++)
        kit_arch_uart_putc(l->buf[i]);
#endif
    unlock_console();
    l->len = 0;
}

static void line_putc(void *ctx, char c)
{
    unsigned cpu = (unsigned)(uintptr_t)ctx;
    struct line *l = &lines[cpu];
    l->buf[l->len++] = c;
    if (c == '\n' || l->len == LINE_CAP)
        line_send(cpu);
}

int kit_vprintf(const char *fmt, va_list ap)
{
    return ax_vcbprintf(line_putc, (void *)(uintptr_t)this_cpu(), fmt, ap);
}

int kit_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = kit_vprintf(fmt, ap);
    va_end(ap);
    return n;
}

void kit_console_flush(void)
{
    unsigned cpu = this_cpu();
    if (lines[cpu].len > 0)
        line_putc((void *)(uintptr_t)cpu, '\n');
}

void kit_console_panic(void)
{
    unsigned cpu = this_cpu();
    panicking[cpu] = true;
    kit_console_flush();
}

bool kit_uart_puts(const char *s)
{
    for (; *s; s++) {
        if (!kit_arch_uart_putc(*s))
            return false;
    }
    return true;
}
