/* printf-style formatting without libc, for the console, logs and the shell.
 *
 * Conversions: %d %i %u %x %X %o %p %s %c %%, flags '-' '0' '+' ' ' '#',
 * width and precision (digits or '*'), length modifiers hh h l ll z j t.
 * Semantics follow C's printf so GCC's -Wformat checks apply, with these
 * deliberate differences:
 *  - %p prints "0x" + lowercase hex, also for NULL ("0x0", not "(nil)");
 *  - %s of NULL prints "(null)", cut by the precision like any string;
 *  - an unknown or unsupported conversion (%f, %n, %q, %Lf ...) is copied to
 *    the output literally and consumes no argument (not even for '*');
 *  - %lc / %ls print wide characters above 0x7f as '?';
 *  - as in glibc, '0' pads %s and %c with spaces, and '+', ' ', '0' and a
 *    precision apply to %p as they would to a signed number.
 * No floating point is used anywhere.
 *
 * Return value: the number of characters the full output has, as C's
 * snprintf, or -1 if that number does not fit in an int.
 */
#ifndef AX_FORMAT_H
#define AX_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

#include "ax/types.h"

/* Writes at most size - 1 characters and, when size > 0, always a final NUL.
 * buf may be NULL when size is 0 (to measure the output). */
int ax_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap) PRINTF_LIKE(3, 0);
int ax_snprintf(char *buf, size_t size, const char *fmt, ...) PRINTF_LIKE(3, 4);

/* Streams every output character to putc(ctx, c), with no length limit and
 * no NUL terminator. putc may be NULL to only count. */
int ax_vcbprintf(void (*putc)(void *ctx, char c), void *ctx, const char *fmt, va_list ap)
    PRINTF_LIKE(3, 0);
int ax_cbprintf(void (*putc)(void *ctx, char c), void *ctx, const char *fmt, ...)
    PRINTF_LIKE(3, 4);

#endif
