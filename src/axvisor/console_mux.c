/* The console multiplexer's decisions: what a typed byte means and where a
 * focus command leads. Plain C, tested on the host; console_task.c acts. */
#include "ax/console_mux.h"

const char console_mux_help[] =
    "  Ctrl-A 1..9    input to the nth VM (its UART output unprefixed)\n"
    "  Ctrl-A n       next VM\n"
    "  Ctrl-A 0 or h  the hypervisor\n"
    "  Ctrl-A Ctrl-A  send Ctrl-A\n"
    "  Ctrl-A ?       this help\n";

void console_mux_init(struct console_mux *m) { m->escaped = false; }

static struct console_mux_action act(enum console_mux_act a, uint8_t byte, unsigned nth)
{
    struct console_mux_action r = {a, byte, nth};
    return r;
}

static struct console_mux_action command(uint8_t c)
{
    if (c >= '1' && c <= '9')
        return act(MUX_ACT_FOCUS_NTH, c, (unsigned)(c - '0'));
    switch (c) {
    case CONSOLE_MUX_ESCAPE: return act(MUX_ACT_INPUT, c, 0);
    case 'n': case 'N': return act(MUX_ACT_FOCUS_NEXT, c, 0);
    case '0': case 'h': case 'H': return act(MUX_ACT_FOCUS_HV, c, 0);
    case '?': return act(MUX_ACT_HELP, c, 0);
    default: return act(MUX_ACT_UNKNOWN, c, 0);
    }
}

struct console_mux_action console_mux_feed(struct console_mux *m, uint8_t c)
{
    if (m->escaped) {
        m->escaped = false;
        return command(c);
    }
    if (c == CONSOLE_MUX_ESCAPE) {
        m->escaped = true;
        return act(MUX_ACT_NONE, c, 0);
    }
    return act(MUX_ACT_INPUT, c, 0);
}

int console_mux_target(struct console_mux_action a, int current, unsigned nvms)
{
    if (current < 0 || (unsigned)current >= nvms)
        current = CONSOLE_MUX_HV;
    switch (a.act) {
    case MUX_ACT_FOCUS_NTH:
        if (a.nth < 1 || a.nth > nvms)
            return CONSOLE_MUX_INVALID;
        return (int)a.nth - 1;
    case MUX_ACT_FOCUS_NEXT:
        if (nvms == 0)
            return CONSOLE_MUX_INVALID;
        return current == CONSOLE_MUX_HV ? 0 : (int)(((unsigned)current + 1) % nvms);
    case MUX_ACT_FOCUS_HV:
        return CONSOLE_MUX_HV;
    default:
        return CONSOLE_MUX_INVALID;
    }
}
