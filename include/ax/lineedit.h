/* A small line editor for the hypervisor shell. Plain C without I/O of its
 * own: bytes typed go in one at a time through lineedit_feed(), the echo
 * (what a VT100-style terminal needs to show the line) comes out through a
 * callback, and a finished line is handed back.
 *
 * Keys:
 *   printable ASCII (0x20..0x7e)   insert at the cursor (ignored, with a
 *                                  bell, when the line is full)
 *   Backspace (0x08) / DEL (0x7f)  delete before the cursor
 *   ESC [ D / ESC [ C              cursor left / right (also ESC O D / C)
 *   ESC [ A / ESC [ B              older / newer history entry (ESC O A / B)
 *   ESC [ H, ESC [ 1 ~, ESC O H    start of line (Home)
 *   ESC [ F, ESC [ 4 ~, ESC O F    end of line (End)
 *   ESC [ 3 ~                      delete under the cursor (Delete)
 *   Ctrl-U                         kill the whole line
 *   Ctrl-C                         cancel the line (LINEEDIT_CANCEL)
 *   CR or LF                       finish the line (LINEEDIT_LINE); CR LF
 *                                  counts once
 * Every other control byte, byte >= 0x80 and escape sequence is ignored. An
 * escape sequence ends at its final byte, at a control byte (which is then
 * handled as typed: a stray ESC cannot swallow Enter) or after
 * LINEEDIT_SEQ_MAX bytes.
 *
 * History: a ring of LINEEDIT_HISTORY lines. A finished line that is not
 * blank and differs from the newest entry is added. Browsing works on a
 * copy: editing a recalled line does not change the history, and going
 * back past the newest entry restores the line being typed before.
 *
 * Echo: only printable bytes, "\r\n", "\b", BEL, ESC [ n D (left n),
 * ESC [ n C (right n) and ESC [ K (erase to end of line). After every
 * lineedit_feed() the terminal's line (from where the editor started
 * drawing) shows exactly the buffer and its cursor is at lineedit_cursor(). */
#ifndef AX_LINEEDIT_H
#define AX_LINEEDIT_H

#include "ax/types.h"

#define LINEEDIT_MAX 200     /* bytes of one line, excluding the NUL */
#define LINEEDIT_HISTORY 16  /* lines remembered */
#define LINEEDIT_SEQ_MAX 16  /* bytes of one escape sequence before it is dropped */

enum lineedit_act {
    LINEEDIT_NONE = 0, /* keep feeding */
    LINEEDIT_LINE,     /* a line was entered: lineedit_line() */
    LINEEDIT_CANCEL,   /* Ctrl-C: the line was dropped */
};

/* Receives echo bytes (n >= 1; not NUL-terminated). */
typedef void (*lineedit_out_fn)(void *ctx, const char *s, size_t n);

struct lineedit {
    lineedit_out_fn out;
    void *ctx;
    char buf[LINEEDIT_MAX + 1];   /* the line being edited, NUL-terminated */
    size_t len, cur;              /* length and cursor (0..len) */
    char done[LINEEDIT_MAX + 1];  /* the last finished line */
    int esc;                      /* escape-sequence state (lineedit.c) */
    unsigned seq_len;             /* bytes of the sequence so far */
    char param[4];                /* its first parameter bytes */
    unsigned param_len;
    bool after_cr;                /* the previous byte was CR */
    char hist[LINEEDIT_HISTORY][LINEEDIT_MAX + 1];
    unsigned hist_count;          /* entries stored (<= LINEEDIT_HISTORY) */
    unsigned hist_next;           /* slot the next entry goes to */
    int hist_pos;                 /* entry shown (0 newest), -1 = own line */
    char saved[LINEEDIT_MAX + 1]; /* own line while browsing */
    char obuf[2 * LINEEDIT_MAX + 64]; /* echo collected during one feed */
    size_t olen;
};

/* out may be NULL (no echo). */
void lineedit_init(struct lineedit *le, lineedit_out_fn out, void *ctx);
enum lineedit_act lineedit_feed(struct lineedit *le, uint8_t c);
/* The line LINEEDIT_LINE announced (NUL-terminated, without CR/LF); valid
 * until the next LINEEDIT_LINE. */
const char *lineedit_line(const struct lineedit *le);

/* Draw the current buffer again at the terminal's cursor and put the
 * cursor where it belongs (after the caller printed a prompt again, e.g.
 * because other output broke the line). */
void lineedit_redraw(struct lineedit *le);

/* State, for the shell and for tests. */
const char *lineedit_buffer(const struct lineedit *le);
size_t lineedit_cursor(const struct lineedit *le);
unsigned lineedit_history_count(const struct lineedit *le);
/* History entry i (0 = newest), or NULL. */
const char *lineedit_history(const struct lineedit *le, unsigned i);

#endif
