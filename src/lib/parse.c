/* Number parsing for the shell and configuration files (see ax/parse.h). */
#include "ax/parse.h"

#include "ax/types.h"

/* Value of an ASCII digit or letter in bases up to 36; -1 for anything else. */
static int parse_digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    return -1;
}

/* The base named by a "0x" / "0o" / "0b" prefix, or 0 if there is none. */
static int parse_prefix_base(const char *s, size_t len)
{
    if (len < 2 || s[0] != '0')
        return 0;
    switch (s[1]) {
    case 'x': case 'X': return 16;
    case 'o': case 'O': return 8;
    case 'b': case 'B': return 2;
    default: return 0;
    }
}

/* Digits (and, if allowed, separators) only. Keeps scanning after an
 * overflow so that a malformed string is reported as such, not as ERANGE. */
static int parse_digits(const char *s, size_t len, unsigned base, bool seps, uint64_t *out)
{
    uint64_t v = 0;
    bool overflow = false;
    bool last_was_digit = false;

    for (size_t i = 0; i < len; i++) {
        if (s[i] == '_') {
            if (!seps || !last_was_digit)
                return -AX_EINVAL;
            last_was_digit = false;
            continue;
        }
        int d = parse_digit_value(s[i]);
        if (d < 0 || (unsigned)d >= base)
            return -AX_EINVAL;
        if (v > (UINT64_MAX - (unsigned)d) / base)
            overflow = true;
        else
            v = v * base + (unsigned)d;
        last_was_digit = true;
    }
    /* Catches the empty string and a trailing separator alike. */
    if (!last_was_digit)
        return -AX_EINVAL;
    if (overflow)
        return -AX_ERANGE;
    *out = v;
    return 0;
}

int ax_strtou64(const char *s, size_t len, int base, uint64_t *out)
{
    bool seps = (base & AX_PARSE_UNDERSCORE) != 0;

    base &= ~AX_PARSE_UNDERSCORE;
    if (s == NULL || out == NULL || base < 0 || base == 1 || base > 36)
        return -AX_EINVAL;

    int prefix = parse_prefix_base(s, len);
    size_t skip = 0;
    if (base == 0) {
        base = prefix != 0 ? prefix : 10;
        skip = prefix != 0 ? 2 : 0;
    } else if (prefix == base) {
        /* "0b1" in base 16 is the number 0xb1, so only the base's own
         * prefix is skipped. */
        skip = 2;
    }
    return parse_digits(s + skip, len - skip, (unsigned)base, seps, out);
}

int ax_strtoi64(const char *s, size_t len, int base, int64_t *out)
{
    bool neg = false;
    uint64_t mag;

    if (s == NULL || out == NULL)
        return -AX_EINVAL;
    if (len > 0 && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        s++;
        len--;
    }
    int err = ax_strtou64(s, len, base, &mag);
    if (err != 0)
        return err;
    if (neg) {
        if (mag > (uint64_t)INT64_MAX + 1)
            return -AX_ERANGE;
        /* -(2^63) has no positive int64_t counterpart: build it unsigned. */
        *out = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    } else {
        if (mag > (uint64_t)INT64_MAX)
            return -AX_ERANGE;
        *out = (int64_t)mag;
    }
    return 0;
}
