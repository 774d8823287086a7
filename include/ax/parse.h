/* Number parsing for the shell and configuration files.
 *
 * Inputs are (pointer, length) slices, need not be NUL-terminated, and are
 * never read past len. The whole slice must be the number: no whitespace,
 * no trailing characters. *out is written only on success.
 */
#ifndef AX_PARSE_H
#define AX_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* OR into the base argument to accept '_' digit separators as TOML does:
 * each '_' must sit between two digits ("1_000", "0xdead_beef"; not "_1",
 * "1_", "1__0" or "0x_1"). */
#define AX_PARSE_UNDERSCORE 0x100

/* Parses an unsigned number.
 * base: 2..36, or 0 for auto: "0x"/"0X" hex, "0o"/"0O" octal, "0b"/"0B"
 *       binary, otherwise decimal (a leading 0 does NOT mean octal).
 *       With an explicit base 16, 8 or 2 the matching prefix is allowed too.
 *       Letters are case-insensitive. Optionally | AX_PARSE_UNDERSCORE.
 * Returns 0, -AX_EINVAL (empty, bad digit, bad base/separator, s or out
 * NULL) or -AX_ERANGE (well-formed but larger than UINT64_MAX). */
int ax_strtou64(const char *s, size_t len, int base, uint64_t *out);

/* Same, with an optional leading '+' or '-' before any prefix ("-0x10");
 * -AX_ERANGE outside [INT64_MIN, INT64_MAX]. */
int ax_strtoi64(const char *s, size_t len, int base, int64_t *out);

#endif
