/* The shell's line editor (see ax/lineedit.h). Echo is collected in obuf
 * during one feed and handed to the callback once, so a redraw reaches the
 * console in one piece rather than byte by byte. */
#include "ax/lineedit.h"
#include "ax/string.h"

enum { ESC_NONE = 0, ESC_SEEN, ESC_CSI, ESC_SS3 };

enum key {
    KEY_NONE = 0,
    KEY_UP,
    KEY_DOWN,
    KEY_LEFT,
    KEY_RIGHT,
    KEY_HOME,
    KEY_END,
    KEY_DELETE,
};

#define CTRL(c) ((c) & 0x1f)

/* ---- echo ---- */

static void out_flush(struct lineedit *le)
{
    if (le->olen && le->out)
        le->out(le->ctx, le->obuf, le->olen);
    le->olen = 0;
}

static void out_bytes(struct lineedit *le, const char *s, size_t n)
{
    while (n) {
        size_t room = sizeof(le->obuf) - le->olen;
        if (room == 0) {
            out_flush(le);
            continue;
        }
        size_t k = n < room ? n : room;
        memcpy(le->obuf + le->olen, s, k);
        le->olen += k;
        s += k;
        n -= k;
    }
}

static void out_str(struct lineedit *le, const char *s) { out_bytes(le, s, strlen(s)); }

/* ESC [ n <final>; nothing for n == 0. */
static void out_move(struct lineedit *le, size_t n, char final)
{
    if (n == 0)
        return;
    char tmp[24];
    size_t i = sizeof(tmp);
    tmp[--i] = final;
    do {
        tmp[--i] = (char)('0' + n % 10);
        n /= 10;
    } while (n && i > 2);
    tmp[--i] = '[';
    tmp[--i] = 0x1b;
    out_bytes(le, tmp + i, sizeof(tmp) - i);
}

/* Redraw from the cursor to the end of the line, erase what is left of a
 * longer old line, and put the cursor back. */
static void redraw_tail(struct lineedit *le)
{
    out_bytes(le, le->buf + le->cur, le->len - le->cur);
    out_str(le, "\x1b[K");
    out_move(le, le->len - le->cur, 'D');
}

/* Replace the whole line with s, cursor at its end. */
static void replace_line(struct lineedit *le, const char *s)
{
    out_move(le, le->cur, 'D');
    size_t n = strnlen(s, LINEEDIT_MAX);
    memcpy(le->buf, s, n);
    le->buf[n] = 0;
    le->len = le->cur = n;
    out_bytes(le, le->buf, le->len);
    out_str(le, "\x1b[K");
}

/* ---- editing ---- */

static void insert_char(struct lineedit *le, char c)
{
    if (le->len >= LINEEDIT_MAX) {
        out_str(le, "\a");
        return;
    }
    memmove(le->buf + le->cur + 1, le->buf + le->cur, le->len - le->cur + 1);
    le->buf[le->cur] = c;
    le->len++;
    /* the new byte and everything after it, then back to just after it */
    out_bytes(le, le->buf + le->cur, le->len - le->cur);
    le->cur++;
    out_move(le, le->len - le->cur, 'D');
}

static void delete_at_cursor(struct lineedit *le)
{
    if (le->cur >= le->len)
        return;
    memmove(le->buf + le->cur, le->buf + le->cur + 1, le->len - le->cur);
    le->len--;
    redraw_tail(le);
}

static void backspace(struct lineedit *le)
{
    if (le->cur == 0)
        return;
    le->cur--;
    out_str(le, "\b");
    delete_at_cursor(le);
}

static bool is_blank(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t')
            return false;
    return true;
}

static char *hist_entry(struct lineedit *le, unsigned i)
{
    unsigned slot = (le->hist_next + LINEEDIT_HISTORY - 1 - i) % LINEEDIT_HISTORY;
    return le->hist[slot];
}

static void hist_add(struct lineedit *le, const char *s)
{
    if (is_blank(s))
        return;
    if (le->hist_count && strcmp(hist_entry(le, 0), s) == 0)
        return;
    size_t n = strnlen(s, LINEEDIT_MAX);
    memcpy(le->hist[le->hist_next], s, n);
    le->hist[le->hist_next][n] = 0;
    le->hist_next = (le->hist_next + 1) % LINEEDIT_HISTORY;
    if (le->hist_count < LINEEDIT_HISTORY)
        le->hist_count++;
}

static void hist_move(struct lineedit *le, int dir)
{
    int pos = le->hist_pos + dir;
    if (pos < -1 || pos >= (int)le->hist_count)
        return;
    if (le->hist_pos == -1)
        memcpy(le->saved, le->buf, le->len + 1);
    le->hist_pos = pos;
    replace_line(le, pos == -1 ? le->saved : hist_entry(le, (unsigned)pos));
}

static void clear_line_state(struct lineedit *le)
{
    le->buf[0] = 0;
    le->len = le->cur = 0;
    le->hist_pos = -1;
}

static enum lineedit_act finish_line(struct lineedit *le)
{
    out_str(le, "\r\n");
    memcpy(le->done, le->buf, le->len + 1);
    hist_add(le, le->done);
    clear_line_state(le);
    return LINEEDIT_LINE;
}

static void do_key(struct lineedit *le, enum key k)
{
    switch (k) {
    case KEY_UP:
        hist_move(le, +1);
        break;
    case KEY_DOWN:
        hist_move(le, -1);
        break;
    case KEY_LEFT:
        if (le->cur > 0) {
            le->cur--;
            out_str(le, "\x1b[D");
        }
        break;
    case KEY_RIGHT:
        if (le->cur < le->len) {
            le->cur++;
            out_str(le, "\x1b[C");
        }
        break;
    case KEY_HOME:
        out_move(le, le->cur, 'D');
        le->cur = 0;
        break;
    case KEY_END:
        out_bytes(le, le->buf + le->cur, le->len - le->cur);
        le->cur = le->len;
        break;
    case KEY_DELETE:
        delete_at_cursor(le);
        break;
    case KEY_NONE:
        break;
    }
}

/* ---- escape sequences ---- */

static enum key csi_key(const struct lineedit *le, uint8_t final)
{
    if (le->param_len == 0) {
        switch (final) {
        case 'A': return KEY_UP;
        case 'B': return KEY_DOWN;
        case 'C': return KEY_RIGHT;
        case 'D': return KEY_LEFT;
        case 'H': return KEY_HOME;
        case 'F': return KEY_END;
        default: return KEY_NONE;
        }
    }
    if (final != '~' || le->param_len != 1)
        return KEY_NONE;
    switch (le->param[0]) {
    case '1': case '7': return KEY_HOME;
    case '4': case '8': return KEY_END;
    case '3': return KEY_DELETE;
    default: return KEY_NONE;
    }
}

static enum key ss3_key(uint8_t c)
{
    switch (c) {
    case 'A': return KEY_UP;
    case 'B': return KEY_DOWN;
    case 'C': return KEY_RIGHT;
    case 'D': return KEY_LEFT;
    case 'H': return KEY_HOME;
    case 'F': return KEY_END;
    default: return KEY_NONE;
    }
}

/* One byte inside an escape sequence. Returns false when the byte is not
 * part of it and must be handled as typed. */
static bool esc_feed(struct lineedit *le, uint8_t c)
{
    if (c == 0x1b) { /* a new sequence starts over */
        le->esc = ESC_SEEN;
        le->seq_len = le->param_len = 0;
        return true;
    }
    if (c < 0x20) {
        le->esc = ESC_NONE;
        return false;
    }
    if (++le->seq_len > LINEEDIT_SEQ_MAX) {
        le->esc = ESC_NONE;
        return true;
    }
    switch (le->esc) {
    case ESC_SEEN:
        le->esc = c == '[' ? ESC_CSI : c == 'O' ? ESC_SS3 : ESC_NONE; /* Alt-x etc.: dropped */
        return true;
    case ESC_SS3:
        le->esc = ESC_NONE;
        do_key(le, ss3_key(c));
        return true;
    case ESC_CSI:
        if (c >= 0x20 && c <= 0x3f) { /* parameter and intermediate bytes */
            if (le->param_len < sizeof(le->param))
                le->param[le->param_len] = (char)c;
            le->param_len++;
            return true;
        }
        le->esc = ESC_NONE;
        if (c <= 0x7e && le->param_len <= sizeof(le->param))
            do_key(le, csi_key(le, c));
        return true;
    default:
        le->esc = ESC_NONE;
        return false;
    }
}

/* ---- the interface ---- */

void lineedit_init(struct lineedit *le, lineedit_out_fn out, void *ctx)
{
    memset(le, 0, sizeof(*le));
    le->out = out;
    le->ctx = ctx;
    le->hist_pos = -1;
}

static enum lineedit_act feed_one(struct lineedit *le, uint8_t c)
{
    bool after_cr = le->after_cr;
    le->after_cr = c == '\r';
    if (le->esc != ESC_NONE && esc_feed(le, c))
        return LINEEDIT_NONE;
    if (c >= 0x20 && c < 0x7f) {
        insert_char(le, (char)c);
        return LINEEDIT_NONE;
    }
    switch (c) {
    case '\r':
        return finish_line(le);
    case '\n':
        return after_cr ? LINEEDIT_NONE : finish_line(le);
    case 0x1b:
        le->esc = ESC_SEEN;
        le->seq_len = le->param_len = 0;
        return LINEEDIT_NONE;
    case 0x08:
    case 0x7f:
        backspace(le);
        return LINEEDIT_NONE;
    case CTRL('U'):
        replace_line(le, "");
        le->hist_pos = -1;
        return LINEEDIT_NONE;
    case CTRL('C'):
        out_str(le, "^C\r\n");
        clear_line_state(le);
        return LINEEDIT_CANCEL;
    default:
        return LINEEDIT_NONE; /* other control bytes and non-ASCII */
    }
}

enum lineedit_act lineedit_feed(struct lineedit *le, uint8_t c)
{
    enum lineedit_act a = feed_one(le, c);
    out_flush(le);
    return a;
}

const char *lineedit_line(const struct lineedit *le) { return le->done; }

void lineedit_redraw(struct lineedit *le)
{
    out_bytes(le, le->buf, le->len);
    out_str(le, "\x1b[K");
    out_move(le, le->len - le->cur, 'D');
    out_flush(le);
}

const char *lineedit_buffer(const struct lineedit *le) { return le->buf; }
size_t lineedit_cursor(const struct lineedit *le) { return le->cur; }
unsigned lineedit_history_count(const struct lineedit *le) { return le->hist_count; }

const char *lineedit_history(const struct lineedit *le, unsigned i)
{
    if (i >= le->hist_count)
        return NULL;
    unsigned slot = (le->hist_next + LINEEDIT_HISTORY - 1 - i) % LINEEDIT_HISTORY;
    return le->hist[slot];
}
