/* Logging with levels and a CPU-id prefix, on the hypervisor console. */
#ifndef AX_LOG_H
#define AX_LOG_H

#include <stdarg.h>
#include "ax/types.h"

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG, LOG_TRACE };

extern int log_max_level;
/* Set by the console multiplexer: true when the cursor is not at the start
 * of a line, so a log line must begin with a newline. */
extern bool (*log_line_break_hook)(void);

void ax_log(int level, const char *fmt, ...) PRINTF_LIKE(2, 3);
void ax_vlog(int level, const char *fmt, va_list ap);
/* Raw output without prefix, under the console lock. */
void ax_printf(const char *fmt, ...) PRINTF_LIKE(1, 2);
void ax_puts(const char *s);
int log_level_parse(const char *name);      /* -1 if unknown */
const char *log_level_name(int level);
/* After a fatal error: stop honouring the console lock so a CPU that died
 * holding it cannot silence the report. */
void log_panic_mode(void);

#define log_error(...) ax_log(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) ax_log(LOG_WARN, __VA_ARGS__)
#define log_info(...) ax_log(LOG_INFO, __VA_ARGS__)
#define log_debug(...) do { if (log_max_level >= LOG_DEBUG) ax_log(LOG_DEBUG, __VA_ARGS__); } while (0)
#define log_trace(...) do { if (log_max_level >= LOG_TRACE) ax_log(LOG_TRACE, __VA_ARGS__); } while (0)

NORETURN void ax_panic(const char *fmt, ...) PRINTF_LIKE(1, 2);

#endif
