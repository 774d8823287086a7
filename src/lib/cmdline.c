#include "ax/cmdline.h"
#include "ax/string.h"

bool cmdline_get(const char *cmdline, const char *key, const char **val, size_t *vlen)
{
    size_t klen = strlen(key);
    const char *p = cmdline;
    while (p && *p) {
        while (*p == ' ' || *p == '\t')
            p++;
        const char *w = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        size_t wlen = (size_t)(p - w);
        if (wlen >= klen && memcmp(w, key, klen) == 0 && (wlen == klen || w[klen] == '=')) {
            if (val)
                *val = wlen == klen ? w + klen : w + klen + 1;
            if (vlen)
                *vlen = wlen == klen ? 0 : wlen - klen - 1;
            return true;
        }
    }
    return false;
}

bool cmdline_is(const char *cmdline, const char *key, const char *value)
{
    const char *v;
    size_t n;
    return cmdline_get(cmdline, key, &v, &n) && n == strlen(value) && memcmp(v, value, n) == 0;
}
