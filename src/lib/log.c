/* Console logging: "[   1.234567 c0 I] message". One lock keeps lines from
 * different CPUs whole. */
#include "ax/axhal.h"
#include "ax/format.h"
#include "ax/log.h"
#include "ax/spinlock.h"
#include "ax/string.h"

int log_max_level = LOG_INFO;
bool (*log_line_break_hook)(void);
static spinlock_t console_lock = SPINLOCK_INIT;
static bool panic_mode;

static const char *const level_names[] = {"error", "warn", "info", "debug", "trace"};
static const char level_chars[] = "EWIDT";

static void put_cb(void *ctx, char c)
{
    (void)ctx;
    if (c == '\n')
        console_putc('\r');
    console_putc(c);
}

static unsigned long console_lock_take(void)
{
    unsigned long flags = arch_irq_save();
    if (!__atomic_load_n(&panic_mode, __ATOMIC_RELAXED))
        spin_lock(&console_lock);
    return flags;
}

static void console_lock_give(unsigned long flags)
{
    if (!__atomic_load_n(&panic_mode, __ATOMIC_RELAXED))
        spin_unlock(&console_lock);
    arch_irq_restore(flags);
}

static int cb_printf(const char *fmt, ...) PRINTF_LIKE(1, 2);
static int cb_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = ax_vcbprintf(put_cb, NULL, fmt, ap);
    va_end(ap);
    return n;
}

void ax_vlog(int level, const char *fmt, va_list ap)
{
    if (level > log_max_level)
        return;
    if (level < 0)
        level = 0;
    uint64_t ns = timer_now_ns();
    unsigned long flags = console_lock_take();
    /* a guest in focus may have left a partial line (a shell prompt) */
    if (log_line_break_hook && log_line_break_hook())
        put_cb(NULL, '\n');
    cb_printf("[%4llu.%06llu c%u %c] ", (unsigned long long)(ns / 1000000000ULL),
              (unsigned long long)(ns / 1000ULL % 1000000ULL), cpu_id(), level_chars[level]);
    ax_vcbprintf(put_cb, NULL, fmt, ap);
    put_cb(NULL, '\n');
    console_lock_give(flags);
}

void ax_log(int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ax_vlog(level, fmt, ap);
    va_end(ap);
}

void ax_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    unsigned long flags = console_lock_take();
    ax_vcbprintf(put_cb, NULL, fmt, ap);
    console_lock_give(flags);
    va_end(ap);
}

void ax_puts(const char *s)
{
    unsigned long flags = console_lock_take();
    while (*s)
        put_cb(NULL, *s++);
    console_lock_give(flags);
}

int log_level_parse(const char *name)
{
    for (unsigned i = 0; i < ARRAY_SIZE(level_names); i++)
        if (strcmp(name, level_names[i]) == 0)
            return (int)i;
    return -1;
}

const char *log_level_name(int level)
{
    if (level < 0 || level >= (int)ARRAY_SIZE(level_names))
        return "?";
    return level_names[level];
}

void log_panic_mode(void) { __atomic_store_n(&panic_mode, true, __ATOMIC_RELAXED); }

void ax_panic(const char *fmt, ...)
{
    irq_disable();
    va_list ap;
    va_start(ap, fmt);
    ax_vlog(LOG_ERROR, fmt, ap);
    va_end(ap);
    ax_log(LOG_ERROR, "PANIC on CPU %u: this CPU stops", cpu_id());
    cpu_halt();
}
