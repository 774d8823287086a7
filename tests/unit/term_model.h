/* A model of the few VT100 features the line editor's echo may use, for
 * the lineedit unit test and the shell fuzzer: it replays the echo and
 * keeps the current screen row and cursor, so a test can check that the
 * terminal shows exactly the editor's buffer. Any other byte or sequence
 * in the echo is an error (term.bad). Header-only, host only. */
#ifndef TERM_MODEL_H
#define TERM_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#define TERM_COLS 1024

struct term {
    char row[TERM_COLS];  /* 0 = blank */
    size_t col;
    unsigned newlines;
    int esc;              /* 0 none, 1 after ESC, 2 in CSI */
    unsigned num;
    bool has_num;
    bool bad;
    const char *why;
};

static inline void term_init(struct term *t) { memset(t, 0, sizeof(*t)); }

static inline void term_fail(struct term *t, const char *why)
{
    if (!t->bad) {
        t->bad = true;
        t->why = why;
    }
}

static inline void term_byte(struct term *t, unsigned char c)
{
    if (t->esc == 1) {
        if (c != '[')
            term_fail(t, "ESC not followed by [");
        t->esc = 2;
        t->num = 0;
        t->has_num = false;
        return;
    }
    if (t->esc == 2) {
        if (c >= '0' && c <= '9') {
            t->num = t->num * 10 + (c - '0');
            t->has_num = true;
            if (t->num > TERM_COLS)
                term_fail(t, "huge count");
            return;
        }
        t->esc = 0;
        unsigned n = t->has_num ? t->num : 1;
        if (t->has_num && t->num == 0)
            term_fail(t, "count 0");
        switch (c) {
        case 'D':
            if (n > t->col)
                term_fail(t, "left past column 0");
            else
                t->col -= n;
            break;
        case 'C':
            t->col += n;
            if (t->col >= TERM_COLS)
                term_fail(t, "right past the model's width");
            break;
        case 'K':
            if (t->has_num)
                term_fail(t, "ESC [ n K");
            memset(t->row + t->col, 0, TERM_COLS - t->col);
            break;
        default:
            term_fail(t, "unexpected CSI final byte");
        }
        return;
    }
    if (c == 0x1b) {
        t->esc = 1;
    } else if (c >= 0x20 && c < 0x7f) {
        if (t->col >= TERM_COLS - 1) {
            term_fail(t, "write past the model's width");
            return;
        }
        t->row[t->col++] = (char)c;
    } else if (c == '\b') {
        if (t->col == 0)
            term_fail(t, "backspace at column 0");
        else
            t->col--;
    } else if (c == '\r') {
        t->col = 0;
    } else if (c == '\n') {
        t->newlines++;
        memset(t->row, 0, sizeof(t->row));
        t->col = 0;
    } else if (c == '\a') {
        /* bell */
    } else {
        term_fail(t, "unexpected control byte");
    }
}

static inline void term_out(void *ctx, const char *s, size_t n)
{
    struct term *t = ctx;
    if (n == 0)
        term_fail(t, "empty write");
    for (size_t i = 0; i < n; i++)
        term_byte(t, (unsigned char)s[i]);
}

/* Does the row show exactly buf (len bytes), blank after it, with the
 * cursor at cur? */
static inline bool term_shows(const struct term *t, const char *buf, size_t len, size_t cur)
{
    if (t->bad || t->esc || t->col != cur || len >= TERM_COLS)
        return false;
    if (memcmp(t->row, buf, len) != 0)
        return false;
    for (size_t i = len; i < TERM_COLS; i++)
        if (t->row[i])
            return false;
    return true;
}

#endif
