/* A freestanding TOML parser for VM configuration files.
 *
 * Accepted language: TOML 1.0 minus floats and dates/times, which are
 * rejected with "... not supported in VM configs". That covers tables
 * [a.b], arrays of tables [[x]], dotted / bare / quoted keys, arrays
 * (nested, multi-line, trailing commas, comments, mixed types), inline
 * tables, integers (decimal with sign, 0x / 0o / 0b, '_' separators),
 * basic / literal / multi-line strings and booleans.
 *
 * One deliberate extension: hexadecimal, octal and binary integers may use
 * the full unsigned 64-bit range (guest addresses such as
 * 0xffff_0000_0000_0000 would not fit TOML's signed 64-bit integers).
 * Decimal integers must fit int64_t as TOML requires. Inside multi-line
 * strings CRLF is normalized to LF (TOML allows either), so a config's
 * strings do not depend on how its line endings were saved.
 *
 * The parser never calls malloc: every node and decoded string comes from a
 * caller-provided arena, and running out of it fails cleanly with
 * -AX_ENOMEM. The input is a (pointer, length) buffer; NUL bytes, control
 * characters and invalid UTF-8 are rejected with a positioned error.
 *
 * Costs: duplicate detection scans a table's keys linearly, so parse time is
 * bounded by (keys per table) x (input size); the arena size bounds the key
 * count. Nesting of arrays / inline tables is limited to TOML_MAX_DEPTH and
 * a dotted key to TOML_MAX_KEY_PARTS parts. */
#ifndef AX_TOML_H
#define AX_TOML_H

#include <stdarg.h>

#include "ax/types.h"

#define TOML_MAX_DEPTH 16     /* nested arrays / inline tables (configs use 3) */
#define TOML_MAX_KEY_PARTS 32 /* parts of one dotted key or header */
#define TOML_ERR_MSG_LEN 160  /* including the NUL */

/* Caller-owned memory the parser allocates from. Set buf/size and used = 0;
 * several documents may share one arena (each parse continues at used). */
struct toml_arena {
    void *buf;
    size_t size;
    size_t used;
};

enum toml_type {
    TOML_TABLE = 1,
    TOML_ARRAY,
    TOML_STRING,
    TOML_INT,
    TOML_BOOL,
};

/* A value in the document tree. Tables and arrays keep their children in a
 * singly linked list in document order. Read the fields directly or through
 * the accessors below; never modify a parsed tree. */
struct toml_node {
    struct toml_node *next; /* next entry of the parent table / array */
    const char *key;        /* decoded, NUL-terminated; NULL in arrays / root */
    size_t key_len;         /* may differ from strlen(key) if "\u0000" was used */
    uint32_t line, col;     /* 1-based position of the key (or of an array
                             * element's value; of the header for [tables]) */
    uint8_t type;           /* enum toml_type */
    uint8_t flags;          /* parser bookkeeping, see toml.c */
    uint8_t neg;            /* TOML_INT: the value is negative */
    union {
        struct {
            struct toml_node *first, *last;
            uint32_t count;
        } list;             /* TOML_TABLE, TOML_ARRAY */
        struct {
            const char *ptr; /* NUL-terminated, may contain NULs from escapes */
            size_t len;
        } str;              /* TOML_STRING */
        uint64_t bits;      /* TOML_INT: two's complement when neg */
        bool boolean;       /* TOML_BOOL */
    } v;
};

/* Where and why parsing failed. line/col are 1-based (col counts characters). */
struct toml_error {
    uint32_t line, col;
    char msg[TOML_ERR_MSG_LEN];
};

void toml_arena_init(struct toml_arena *arena, void *buf, size_t size);

/* Parses text[0..len) into a tree allocated from arena; *root is the
 * top-level table. Returns 0, -AX_EINVAL (syntax / semantic error) or
 * -AX_ENOMEM (arena too small); on error err (if not NULL) says where and
 * why, and the arena's used mark is restored. */
int toml_parse(const char *text, size_t len, struct toml_arena *arena,
               const struct toml_node **root, struct toml_error *err);

/* "table", "array", "string", "integer", "boolean" ("?" for anything else). */
const char *toml_type_name(int type);

/* Entry `key` of a table (NULL if absent or `table` is not a table). */
const struct toml_node *toml_table_get(const struct toml_node *table, const char *key);
const struct toml_node *toml_table_getn(const struct toml_node *table, const char *key,
                                        size_t key_len);
/* Follows a dotted path of bare keys from a table, e.g. "kernel.entry_point". */
const struct toml_node *toml_get_path(const struct toml_node *table, const char *path);

/* Children of a table or array, in document order. */
size_t toml_len(const struct toml_node *container);
const struct toml_node *toml_first(const struct toml_node *container);
const struct toml_node *toml_next(const struct toml_node *node);
const struct toml_node *toml_at(const struct toml_node *array, size_t index);

/* Typed access. Return 0, -AX_EINVAL if node is NULL or of another type,
 * -AX_ERANGE if the integer does not fit (negative for u64, > INT64_MAX for
 * i64). Outputs are written only on success. */
int toml_as_u64(const struct toml_node *node, uint64_t *out);
int toml_as_i64(const struct toml_node *node, int64_t *out);
int toml_as_bool(const struct toml_node *node, bool *out);
int toml_as_str(const struct toml_node *node, const char **str, size_t *len);

/* Same via a dotted path; -AX_ENOENT when the path does not exist. */
int toml_get_u64(const struct toml_node *table, const char *path, uint64_t *out);
int toml_get_i64(const struct toml_node *table, const char *path, int64_t *out);
int toml_get_bool(const struct toml_node *table, const char *path, bool *out);
int toml_get_str(const struct toml_node *table, const char *path, const char **str,
                 size_t *len);

/* Writes a printable rendering of a key (control characters as '?',
 * truncated with "..." beyond 48 characters) into buf; returns buf. */
char *toml_key_repr(char *buf, size_t size, const char *key, size_t key_len);

/* A small freestanding snprintf subset: %s %.*s %c %d %i %u %x with the
 * l / ll / z length modifiers, and %%. No widths or flags. Always
 * NUL-terminates when size > 0; returns the number of characters written
 * (excluding the NUL, at most size - 1). */
size_t toml_format(char *buf, size_t size, const char *fmt, ...) PRINTF_LIKE(3, 4);
size_t toml_vformat(char *buf, size_t size, const char *fmt, va_list ap);

#endif
