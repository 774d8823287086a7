/* libFuzzer harness for the console multiplexer's decisions: whatever is
 * typed, every action is well formed, the escape state covers exactly one
 * byte, and a focus target is always the hypervisor, "keep" or a valid
 * index. A shadow model written differently checks each action. */
#include <stdint.h>
#include <stdlib.h>

#include "ax/console_mux.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned nvms = data[0] % 20;
    int focus = CONSOLE_MUX_HV;
    struct console_mux m;
    console_mux_init(&m);
    bool esc = false;
    for (size_t i = 1; i < size; i++) {
        uint8_t c = data[i];
        struct console_mux_action a = console_mux_feed(&m, c);
        if (a.byte != c)
            abort();
        if (!esc) {
            if ((c == CONSOLE_MUX_ESCAPE) != (a.act == MUX_ACT_NONE))
                abort();
            if (c != CONSOLE_MUX_ESCAPE && a.act != MUX_ACT_INPUT)
                abort();
            esc = c == CONSOLE_MUX_ESCAPE;
        } else {
            if (a.act == MUX_ACT_NONE || (a.act == MUX_ACT_INPUT && c != CONSOLE_MUX_ESCAPE))
                abort();
            if ((a.act == MUX_ACT_FOCUS_NTH) != (c >= '1' && c <= '9'))
                abort();
            if (a.act == MUX_ACT_FOCUS_NTH && a.nth != (unsigned)(c - '0'))
                abort();
            esc = false;
        }
        if (m.escaped != esc)
            abort();
        int t = console_mux_target(a, focus, nvms);
        bool is_focus = a.act == MUX_ACT_FOCUS_NTH || a.act == MUX_ACT_FOCUS_NEXT || a.act == MUX_ACT_FOCUS_HV;
        if (!is_focus && t != CONSOLE_MUX_INVALID)
            abort();
        if (t != CONSOLE_MUX_INVALID && t != CONSOLE_MUX_HV && (t < 0 || (unsigned)t >= nvms))
            abort();
        if (a.act == MUX_ACT_FOCUS_NEXT && nvms > 0 && t != (focus < 0 ? 0 : (focus + 1) % (int)nvms))
            abort();
        if (t != CONSOLE_MUX_INVALID)
            focus = t;
    }
    return 0;
}
