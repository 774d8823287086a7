/* The console multiplexer: one physical UART shared by the hypervisor (its
 * log, later its shell) and every VM.
 *
 * Output policy lives in the VM layer (ax/vm_console.h): the VM in focus
 * gets its UART output raw, everyone else is shown a prefixed line at a time.
 * Input: every byte typed goes to the focus, except the escape sequences:
 *
 *   Ctrl-A 1..9     focus the nth VM of the VM table
 *   Ctrl-A n        focus the next VM (from the hypervisor: the first)
 *   Ctrl-A 0 or h   focus the hypervisor (input goes to its shell)
 *   Ctrl-A Ctrl-A   send one Ctrl-A to the focus
 *   Ctrl-A ?        print the keys and the VMs
 *
 * The decisions are a small state machine (console_mux_feed) and a pure
 * function choosing the new focus (console_mux_target), both plain C; the
 * task that polls the UART and carries them out is console_task.c. */
#ifndef AX_CONSOLE_MUX_H
#define AX_CONSOLE_MUX_H

#include "ax/types.h"

#define CONSOLE_MUX_ESCAPE 0x01 /* Ctrl-A */

enum console_mux_act {
    MUX_ACT_NONE = 0,  /* byte consumed (the escape key itself) */
    MUX_ACT_INPUT,     /* deliver .byte to the focus */
    MUX_ACT_FOCUS_NTH, /* focus the .nth VM (1-based) */
    MUX_ACT_FOCUS_NEXT,
    MUX_ACT_FOCUS_HV,
    MUX_ACT_HELP,
    MUX_ACT_UNKNOWN,   /* Ctrl-A followed by .byte, which is no command */
};

struct console_mux_action {
    enum console_mux_act act;
    uint8_t byte;
    unsigned nth;
};

struct console_mux {
    bool escaped; /* the previous byte was Ctrl-A */
};

void console_mux_init(struct console_mux *m);
struct console_mux_action console_mux_feed(struct console_mux *m, uint8_t c);

/* Focus targets are indexes into the current list of VMs (0-based), or: */
#define CONSOLE_MUX_HV (-1)      /* the hypervisor */
#define CONSOLE_MUX_INVALID (-2) /* no such target: keep the focus */

/* The focus a FOCUS_* action leads to, given the current focus (an index or
 * CONSOLE_MUX_HV; anything else counts as the hypervisor) and the number of
 * VMs. Other actions give CONSOLE_MUX_INVALID. */
int console_mux_target(struct console_mux_action a, int current, unsigned nvms);

/* One line per key, each ending in '\n'. */
extern const char console_mux_help[];

/* ---- the task (console_task.c) ---- */

/* Start the task that reads the UART (idempotent). The VM layer starts it
 * when the first VM starts. */
void console_mux_start(void);
/* Where input goes while the hypervisor has the focus (NULL: discarded). */
void console_mux_set_hv_input(void (*fn)(char c));

#endif
