/* libFuzzer harness for the shell's input path: bytes typed into the line
 * editor, each finished line split into words, every word parsed as a VM id.
 * Checks: the echo, replayed on a VT100 model, shows exactly the buffer
 * after every byte; a simple shadow editor agrees on every finished line
 * typed without escape sequences or history keys; words lie inside their
 * buffer and survive quoting and splitting again unchanged; the id parser
 * agrees with a reference; the UTF-8 helpers keep their promises. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ax/lineedit.h"
#include "ax/shell.h"
#include "../unit/term_model.h"

static struct lineedit le;
static struct term term;

/* A second, deliberately simple editor: insert at the end only. It is
 * valid while no cursor movement, history or escape byte was typed. */
struct shadow {
    char buf[LINEEDIT_MAX + 1];
    size_t len;
    bool valid, after_cr;
};

static void shadow_reset(struct shadow *s)
{
    s->len = 0;
    s->buf[0] = 0;
    s->valid = true;
}

/* Returns 1 when the shadow sees a line end. */
static int shadow_feed(struct shadow *s, uint8_t c)
{
    bool after_cr = s->after_cr;
    s->after_cr = c == '\r';
    if (c == '\r' || (c == '\n' && !after_cr))
        return 1;
    if (c >= 0x20 && c < 0x7f) {
        if (s->len < LINEEDIT_MAX) {
            s->buf[s->len++] = (char)c;
            s->buf[s->len] = 0;
        }
    } else if (c == 0x7f || c == 0x08) {
        if (s->len)
            s->buf[--s->len] = 0;
    } else if (c == 0x15 || c == 0x03) {
        shadow_reset(s);
    } else if (c == 0x1b) {
        s->valid = false;
    }
    return 0;
}

/* Reference id parser: decimal, or 0x / 0o / 0b (either case) hex, octal,
 * binary; no signs, no separators. -1 malformed, -2 too large. */
static int ref_id(const char *w, unsigned *out)
{
    uint64_t v = 0;
    int base = 10;
    if (w[0] == '0' && w[1]) {
        switch (w[1] | 0x20) {
        case 'x': base = 16; break;
        case 'o': base = 8; break;
        case 'b': base = 2; break;
        default: break;
        }
        if (base != 10)
            w += 2;
    }
    if (!*w)
        return -1;
    bool big = false;
    for (; *w; w++) {
        int d;
        if (*w >= '0' && *w <= '9')
            d = *w - '0';
        else if (*w >= 'a' && *w <= 'f')
            d = *w - 'a' + 10;
        else if (*w >= 'A' && *w <= 'F')
            d = *w - 'A' + 10;
        else
            return -1;
        if (d >= base)
            return -1;
        if (v > 0xffffffffULL)
            big = true;
        else
            v = v * (uint64_t)base + (uint64_t)d;
    }
    if (big || v > 0xffffffffULL)
        return -2;
    *out = (unsigned)v;
    return 0;
}

/* Quote every word in single quotes ('\'' for a quote) and split again. */
static void check_requote(const struct shell_args *a)
{
    char line[4 * SHELL_LINE_MAX + 64];
    size_t n = 0;
    for (unsigned i = 0; i < a->argc; i++) {
        if (n + 2 >= sizeof(line))
            return;
        if (i)
            line[n++] = ' ';
        line[n++] = '\'';
        for (const char *p = a->argv[i]; *p; p++) {
            if (n + 6 >= sizeof(line))
                return;
            if (*p == '\'') {
                memcpy(line + n, "'\\''", 4);
                n += 4;
            } else {
                line[n++] = *p;
            }
        }
        if (n + 2 >= sizeof(line))
            return;
        line[n++] = '\'';
    }
    line[n] = 0;
    if (n > SHELL_LINE_MAX)
        return; /* longer than a line may be */
    struct shell_args b;
    int rc = shell_split(line, &b);
    if (rc != (int)a->argc)
        abort();
    for (unsigned i = 0; i < a->argc; i++)
        if (strcmp(a->argv[i], b.argv[i]) != 0)
            abort();
}

static void check_line(const char *line)
{
    struct shell_args a;
    int rc = shell_split(line, &a);
    if (rc < 0) {
        if (rc != -AX_EINVAL && rc != -AX_ERANGE)
            abort();
        return;
    }
    if ((unsigned)rc != a.argc || a.argc > SHELL_MAX_ARGS || a.argv[a.argc] != NULL)
        abort();
    size_t total = 0;
    for (unsigned i = 0; i < a.argc; i++) {
        const char *w = a.argv[i];
        if (w < a.buf || w >= a.buf + sizeof(a.buf))
            abort();
        size_t len = strnlen(w, (size_t)(a.buf + sizeof(a.buf) - w));
        if (w + len >= a.buf + sizeof(a.buf))
            abort(); /* not terminated inside the buffer */
        total += len;
        unsigned id = 0, ref = 0;
        int r1 = shell_parse_id(w, &id), r2 = ref_id(w, &ref);
        if ((r1 == 0) != (r2 == 0) || (r1 == 0 && id != ref))
            abort();
        if (r1 != 0 && r1 != (r2 == -2 ? -AX_ERANGE : -AX_EINVAL))
            abort();
    }
    if (total > strlen(line))
        abort();
    check_requote(&a);
}

static void check_text(const uint8_t *data, size_t size)
{
    size_t t = shell_utf8_trim(data, size);
    if (t > size || size - t > 3)
        abort();
    if (shell_is_text(data, size) && t != size)
        abort();
    /* a text cut anywhere becomes text again once trimmed */
    if (shell_is_text(data, size) && size) {
        size_t cut = data[0] % size;
        if (!shell_is_text(data, shell_utf8_trim(data, cut)))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    term_init(&term);
    lineedit_init(&le, term_out, &term);
    struct shadow sh;
    shadow_reset(&sh);
    sh.after_cr = false;
    for (size_t i = 0; i < size; i++) {
        uint8_t c = data[i];
        /* arrows and history are reached through ESC, which the shadow
         * treats as "no longer valid for this line" */
        int shadow_end = shadow_feed(&sh, c);
        enum lineedit_act a = lineedit_feed(&le, c);
        const char *b = lineedit_buffer(&le);
        size_t len = strnlen(b, LINEEDIT_MAX + 1);
        if (len > LINEEDIT_MAX || lineedit_cursor(&le) > len)
            abort();
        if (!term_shows(&term, b, len, lineedit_cursor(&le)))
            abort();
        if ((a == LINEEDIT_LINE) != (shadow_end == 1))
            abort();
        if (a == LINEEDIT_CANCEL && c != 0x03)
            abort();
        if (a == LINEEDIT_LINE) {
            if (sh.valid && strcmp(sh.buf, lineedit_line(&le)) != 0)
                abort();
            check_line(lineedit_line(&le));
            shadow_reset(&sh);
        }
        if (lineedit_history_count(&le) > LINEEDIT_HISTORY)
            abort();
    }
    check_line((const char *)lineedit_buffer(&le));
    check_text(data, size);
    return 0;
}
