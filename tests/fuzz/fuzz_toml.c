/* libFuzzer harness for the TOML parser.
 *
 * Oracles beyond "no crash / no sanitizer report":
 *  - tree invariants (list counts, NUL-terminated strings and keys,
 *    positions >= 1, nodes inside the arena);
 *  - round trip: a parsed tree printed back as TOML (inline form) must
 *    parse again to an identical tree;
 *  - a smaller arena may only turn success into -AX_ENOMEM, never change
 *    the outcome otherwise, and always rolls the arena back on failure. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ax/toml.h"

#define ARENA_SIZE (256 * 1024)

static char arena_a[ARENA_SIZE], arena_b[ARENA_SIZE], arena_c[ARENA_SIZE];

static void check(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_toml invariant failed: %s\n", what);
        abort();
    }
}

static bool in_arena(const void *p, const char *mem)
{
    return (const char *)p >= mem && (const char *)p < mem + ARENA_SIZE;
}

/* Returns the container nesting depth below n. */
static unsigned walk(const struct toml_node *n, const char *mem, unsigned level)
{
    unsigned deepest = level;
    check(level < 10000, "tree depth bounded");
    check(in_arena(n, mem), "node inside arena");
    check(n->line >= 1 && n->col >= 1, "positions are 1-based");
    if (n->key) {
        check(in_arena(n->key, mem), "key inside arena");
        check(n->key[n->key_len] == '\0', "key NUL-terminated");
    }
    switch (n->type) {
    case TOML_TABLE:
    case TOML_ARRAY: {
        uint32_t count = 0;
        const struct toml_node *last = NULL;
        for (const struct toml_node *c = toml_first(n); c; c = toml_next(c)) {
            check((n->type == TOML_TABLE) == (c->key != NULL), "keys exactly in tables");
            unsigned d = walk(c, mem, level + 1);
            deepest = d > deepest ? d : deepest;
            last = c;
            count++;
        }
        check(count == n->v.list.count && count == toml_len(n), "list count");
        check(last == n->v.list.last, "list last");
        if (count)
            check(toml_at(n, count - 1) == (n->type == TOML_ARRAY ? last : NULL), "toml_at");
        break;
    }
    case TOML_STRING:
        check(in_arena(n->v.str.ptr, mem), "string inside arena");
        check(n->v.str.ptr[n->v.str.len] == '\0', "string NUL-terminated");
        break;
    case TOML_INT:
        check(!n->neg || (int64_t)n->v.bits < 0, "negative flag matches value");
        break;
    case TOML_BOOL:
        break;
    default:
        check(false, "known node type");
    }
    return deepest;
}

/* ------------------------------------------------------------ printer */

struct out {
    char *buf;
    size_t cap, len;
};

static void put(struct out *o, const char *s, size_t n)
{
    if (o->len + n + 1 > o->cap) {
        size_t cap = (o->cap + n + 1) * 2;
        o->buf = realloc(o->buf, cap);
        check(o->buf != NULL, "realloc");
        o->cap = cap;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

static void puts_(struct out *o, const char *s)
{
    put(o, s, strlen(s));
}

static void put_quoted(struct out *o, const char *s, size_t n)
{
    put(o, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            put(o, esc, 2);
        } else if (c < 0x20 || c == 0x7F) {
            snprintf(esc, sizeof(esc), "\\u%04x", c);
            put(o, esc, 6);
        } else {
            put(o, (const char *)&c, 1);
        }
    }
    put(o, "\"", 1);
}

static void print_value(struct out *o, const struct toml_node *n)
{
    char num[32];
    switch (n->type) {
    case TOML_INT:
        if (n->neg)
            snprintf(num, sizeof(num), "-%llu", (unsigned long long)(0 - n->v.bits));
        else if (n->v.bits > (uint64_t)INT64_MAX)
            snprintf(num, sizeof(num), "0x%llx", (unsigned long long)n->v.bits);
        else
            snprintf(num, sizeof(num), "%llu", (unsigned long long)n->v.bits);
        puts_(o, num);
        break;
    case TOML_BOOL:
        puts_(o, n->v.boolean ? "true" : "false");
        break;
    case TOML_STRING:
        put_quoted(o, n->v.str.ptr, n->v.str.len);
        break;
    case TOML_ARRAY:
        puts_(o, "[");
        for (const struct toml_node *c = toml_first(n); c; c = toml_next(c)) {
            print_value(o, c);
            puts_(o, c->next ? ", " : "");
        }
        puts_(o, "]");
        break;
    case TOML_TABLE:
        puts_(o, "{");
        for (const struct toml_node *c = toml_first(n); c; c = toml_next(c)) {
            put_quoted(o, c->key, c->key_len);
            puts_(o, " = ");
            print_value(o, c);
            puts_(o, c->next ? ", " : "");
        }
        puts_(o, "}");
        break;
    }
}

static void print_doc(struct out *o, const struct toml_node *root)
{
    for (const struct toml_node *c = toml_first(root); c; c = toml_next(c)) {
        put_quoted(o, c->key, c->key_len);
        puts_(o, " = ");
        print_value(o, c);
        puts_(o, "\n");
    }
}

static bool same_tree(const struct toml_node *a, const struct toml_node *b)
{
    if (a->type != b->type || (a->key == NULL) != (b->key == NULL))
        return false;
    if (a->key && (a->key_len != b->key_len || memcmp(a->key, b->key, a->key_len)))
        return false;
    switch (a->type) {
    case TOML_INT:
        return a->v.bits == b->v.bits && a->neg == b->neg;
    case TOML_BOOL:
        return a->v.boolean == b->v.boolean;
    case TOML_STRING:
        return a->v.str.len == b->v.str.len &&
               memcmp(a->v.str.ptr, b->v.str.ptr, a->v.str.len) == 0;
    default: {
        const struct toml_node *x = toml_first(a), *y = toml_first(b);
        for (; x && y; x = toml_next(x), y = toml_next(y)) {
            if (!same_tree(x, y))
                return false;
        }
        return !x && !y;
    }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct toml_arena arena;
    struct toml_error err;
    const struct toml_node *root = NULL;

    toml_arena_init(&arena, arena_a, sizeof(arena_a));
    int rc = toml_parse(text, size, &arena, &root, &err);
    check(rc == 0 || rc == -AX_EINVAL || rc == -AX_ENOMEM, "known return code");
    if (rc) {
        check(arena.used == 0, "arena rolled back");
        check(memchr(err.msg, 0, sizeof(err.msg)) != NULL, "message terminated");
        check(err.msg[0] != '\0', "message present");
        check(err.line >= 1 && err.col >= 1, "error position");
    } else {
        unsigned depth = walk(root, arena_a, 0);
        /* Lookups by path of each top-level key must find that entry. */
        for (const struct toml_node *c = toml_first(root); c; c = toml_next(c)) {
            if (!memchr(c->key, '.', c->key_len) && c->key_len == strlen(c->key) && c->key_len)
                check(toml_get_path(root, c->key) == toml_table_get(root, c->key),
                      "path lookup of a plain key");
        }
        /* Round trip, when the inline form stays within the nesting limit. */
        if (depth <= TOML_MAX_DEPTH) {
            struct out o = { 0 };
            const struct toml_node *again = NULL;
            print_doc(&o, root);
            struct toml_arena a2;
            toml_arena_init(&a2, arena_b, sizeof(arena_b));
            int rc2 = toml_parse(o.buf ? o.buf : "", o.len, &a2, &again, &err);
            /* Same nodes and strings as the original: never more arena. */
            check(rc2 != -AX_ENOMEM, "round trip ran out of memory");
            if (rc2 || !same_tree(root, again)) {
                fprintf(stderr, "round trip mismatch (rc %d: %u:%u %s)\n--- printed:\n%s\n", rc2,
                        err.line, err.col, err.msg, o.buf ? o.buf : "");
                abort();
            }
            free(o.buf);
        }
    }

    /* A smaller arena: same outcome unless it runs out of memory. */
    size_t small = size ? (size_t)data[0] * 16 + (size_t)(data[size - 1] & 0xF) : 0;
    toml_arena_init(&arena, arena_c + 1, small < ARENA_SIZE - 1 ? small : ARENA_SIZE - 1);
    const struct toml_node *root3 = NULL;
    int rc3 = toml_parse(text, size, &arena, &root3, &err);
    if (rc3 == -AX_ENOMEM)
        check(arena.used == 0, "arena rolled back after ENOMEM");
    else if (rc3 == 0)
        check(rc == 0 && same_tree(root, root3), "small arena: same tree");
    else
        check(rc3 == rc, "small arena: same error");
    return 0;
}
