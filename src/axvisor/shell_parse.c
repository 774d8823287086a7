/* The shell's word splitting and argument checks (see ax/shell.h). Plain
 * C, tested and fuzzed on the host. */
#include "ax/parse.h"
#include "ax/shell.h"
#include "ax/string.h"

enum quote { Q_NONE, Q_SINGLE, Q_DOUBLE };

int shell_split(const char *line, struct shell_args *a)
{
    memset(a, 0, sizeof(*a));
    size_t n = strnlen(line, SHELL_LINE_MAX + 1);
    if (n > SHELL_LINE_MAX)
        return -AX_ERANGE;
    /* every output byte comes from an input byte and each word's NUL from
     * the separator (or the end) after it, so buf never overflows; the
     * check on w is a second fence */
    size_t w = 0;
    bool in_word = false;
    enum quote q = Q_NONE;
    for (size_t r = 0; r < n; r++) {
        char c = line[r];
        if (q == Q_NONE && (c == ' ' || c == '\t')) {
            if (in_word) {
                a->buf[w++] = 0;
                in_word = false;
            }
            continue;
        }
        if (!in_word) {
            if (a->argc >= SHELL_MAX_ARGS)
                return -AX_ERANGE;
            a->argv[a->argc++] = &a->buf[w];
            in_word = true;
        }
        if (q == Q_SINGLE) {
            if (c == '\'') {
                q = Q_NONE;
                continue;
            }
        } else if (q == Q_DOUBLE) {
            if (c == '"') {
                q = Q_NONE;
                continue;
            }
            if (c == '\\' && r + 1 < n && (line[r + 1] == '"' || line[r + 1] == '\\'))
                c = line[++r];
        } else if (c == '\'') {
            q = Q_SINGLE;
            continue;
        } else if (c == '"') {
            q = Q_DOUBLE;
            continue;
        } else if (c == '\\') {
            if (r + 1 >= n)
                return -AX_EINVAL;
            c = line[++r];
        }
        if (w >= SHELL_LINE_MAX)
            return -AX_ERANGE;
        a->buf[w++] = c;
    }
    if (q != Q_NONE)
        return -AX_EINVAL;
    if (in_word)
        a->buf[w] = 0;
    a->argv[a->argc] = NULL;
    return (int)a->argc;
}

int shell_parse_id(const char *s, unsigned *id)
{
    uint64_t v;
    int rc = ax_strtou64(s, strlen(s), 0, &v);
    if (rc)
        return rc;
    if (v > 0xffffffffULL)
        return -AX_ERANGE;
    *id = (unsigned)v;
    return 0;
}

/* Length of the UTF-8 sequence starting with lead byte b (0: not a lead),
 * and the smallest allowed second byte range so overlong forms, UTF-16
 * surrogates and code points above U+10FFFF are refused. */
static unsigned utf8_len(uint8_t b, uint8_t *lo, uint8_t *hi)
{
    *lo = 0x80;
    *hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf)
        return 2;
    if (b >= 0xe0 && b <= 0xef) {
        if (b == 0xe0)
            *lo = 0xa0;
        if (b == 0xed)
            *hi = 0x9f;
        return 3;
    }
    if (b >= 0xf0 && b <= 0xf4) {
        if (b == 0xf0)
            *lo = 0x90;
        if (b == 0xf4)
            *hi = 0x8f;
        return 4;
    }
    return 0;
}

bool shell_is_text(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint8_t b = p[i];
        if (b < 0x80) {
            if ((b < 0x20 && b != '\t' && b != '\n' && b != '\r') || b == 0x7f)
                return false;
            i++;
            continue;
        }
        uint8_t lo, hi;
        unsigned len = utf8_len(b, &lo, &hi);
        if (len == 0 || len > n - i)
            return false;
        if (p[i + 1] < lo || p[i + 1] > hi)
            return false;
        for (unsigned k = 2; k < len; k++)
            if (p[i + k] < 0x80 || p[i + k] > 0xbf)
                return false;
        i += len;
    }
    return true;
}

size_t shell_utf8_trim(const uint8_t *p, size_t n)
{
    /* a lead byte among the last three whose sequence runs past the end */
    for (size_t back = 1; back <= 3 && back <= n; back++) {
        uint8_t b = p[n - back];
        if (b < 0x80)
            return n;
        if (b >= 0xc0) {
            uint8_t lo, hi;
            unsigned len = utf8_len(b, &lo, &hi);
            return len > back ? n - back : n;
        }
    }
    return n;
}
